//! `Serialize` / `Deserialize` for the relation fields (feature `serde`, on
//! by default). What each state writes and reads is documented, with an
//! example, on the [`include`](crate::include) module.

use ::serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::containers::{BelongsTo, HasMany, HasOne};

/// Loaded: the rows as a sequence (projected rows: only their fetched
/// fields). Not loaded: `null`.
impl<T: Serialize> Serialize for HasMany<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if let Some(rows) = self.projected() {
            return serializer.serialize_some(rows);
        }
        match self.loaded() {
            Some(rows) => serializer.serialize_some(rows),
            None => serializer.serialize_none(),
        }
    }
}

/// A sequence: loaded with those rows. `null` (or an absent field): not loaded.
impl<'de, T: Deserialize<'de>> Deserialize<'de> for HasMany<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Option::<Vec<T>>::deserialize(deserializer)?
            .map(HasMany::from)
            .unwrap_or_default())
    }
}

macro_rules! single_relation_serde {
    ($name:ident) => {
        /// Loaded: the row (projected: only its fetched fields), or `null`
        /// when there is none. Not loaded: `null`.
        impl<T: Serialize> Serialize for $name<T> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                if let Some(row) = self.projected() {
                    return match row {
                        Some(row) => serializer.serialize_some(row),
                        None => serializer.serialize_none(),
                    };
                }
                match self.loaded() {
                    Some(Some(row)) => serializer.serialize_some(row),
                    Some(None) | None => serializer.serialize_none(),
                }
            }
        }

        /// A value or `null` (or an absent field): loaded with that row or none.
        impl<'de, T: Deserialize<'de>> Deserialize<'de> for $name<T> {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                Option::<T>::deserialize(deserializer).map($name::from)
            }
        }
    };
}

single_relation_serde!(HasOne);
single_relation_serde!(BelongsTo);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn round<T: Serialize + for<'de> Deserialize<'de>>(value: &T) -> (Value, T) {
        let json = serde_json::to_value(value).expect("serialize");
        let back = serde_json::from_value(json.clone()).expect("deserialize");
        (json, back)
    }

    #[test]
    fn has_many_loaded_is_a_sequence_and_reads_back_loaded() {
        let (json, back) = round(&HasMany::from(vec![1, 2]));
        assert_eq!(json, json!([1, 2]));
        assert_eq!(back.loaded(), Some(&[1, 2][..]));

        let (json, back) = round(&HasMany::<u8>::from(vec![]));
        assert_eq!(json, json!([]));
        assert_eq!(
            back.loaded(),
            Some(&[][..]),
            "loaded and empty stays loaded"
        );
    }

    #[test]
    fn has_many_not_loaded_is_null_and_reads_back_not_loaded() {
        let (json, back) = round(&HasMany::<u8>::default());
        assert_eq!(json, Value::Null);
        assert!(!back.is_loaded());
    }

    #[test]
    fn single_relations_are_the_row_or_null_and_read_back_loaded() {
        let (json, back) = round(&BelongsTo::from(Some("Ada".to_string())));
        assert_eq!(json, json!("Ada"));
        assert_eq!(back.loaded(), Some(Some(&"Ada".to_string())));

        let (json, back) = round(&HasOne::<u8>::from(None));
        assert_eq!(json, Value::Null);
        assert_eq!(back.loaded(), Some(None));

        let (json, back) = round(&HasOne::<u8>::default());
        assert_eq!(json, Value::Null, "not loaded writes null");
        assert_eq!(back.loaded(), Some(None), "and null reads as loaded, none");
    }

    #[test]
    fn wrong_shapes_are_errors() {
        assert!(serde_json::from_value::<HasMany<u8>>(json!(1)).is_err());
        assert!(serde_json::from_value::<BelongsTo<u8>>(json!([1])).is_err());
    }
}
