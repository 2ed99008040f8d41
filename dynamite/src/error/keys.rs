//! The keys of the rows a bulk call could not write.

use crate::value::{Item, describe_key};

/// The keys of the rows a bulk call could not write (as stored), in
/// [`Error::Batch`](crate::Error::Batch). It derefs to `Vec<Item>`; its `Debug` shows each key
/// as [`describe_key`] does, so values of [`Sensitive`](crate::Sensitive)
/// attributes read `***`.
#[derive(Clone, Default, PartialEq)]
pub struct Keys(pub Vec<Item>);

impl std::ops::Deref for Keys {
    type Target = Vec<Item>;
    fn deref(&self) -> &Vec<Item> {
        &self.0
    }
}

impl std::ops::DerefMut for Keys {
    fn deref_mut(&mut self) -> &mut Vec<Item> {
        &mut self.0
    }
}

impl From<Vec<Item>> for Keys {
    fn from(keys: Vec<Item>) -> Keys {
        Keys(keys)
    }
}

impl PartialEq<Vec<Item>> for Keys {
    fn eq(&self, other: &Vec<Item>) -> bool {
        self.0 == *other
    }
}

impl IntoIterator for Keys {
    type Item = Item;
    type IntoIter = std::vec::IntoIter<Item>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Keys {
    type Item = &'a Item;
    type IntoIter = std::slice::Iter<'a, Item>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|k| DescribedKey(describe_key(k))))
            .finish()
    }
}

struct DescribedKey(String);

impl std::fmt::Debug for DescribedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
