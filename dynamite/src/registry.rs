//! The registered models: full table names, resolved indexes (declared
//! and foreign-key GSIs), relation targets. Plain data, no requests: a
//! plan can be explained from a [`Registry`] alone.

use std::any::TypeId;
use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::model::{IndexMeta, KeyMeta, RelationKind, Table, TableMeta};
use crate::template::fields;
use crate::value::ScalarType;

/// A GSI the models need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexSpec {
    /// Index name.
    pub name: String,
    /// Partition key (the first one of a multi-attribute key).
    pub partition_key: KeyMeta,
    /// Sort key (the first one of a multi-attribute key).
    pub sort_key: Option<KeyMeta>,
    /// A multi-attribute key's further partition key attributes.
    pub more_partition_keys: &'static [KeyMeta],
    /// A multi-attribute key's further sort key attributes.
    pub more_sort_keys: &'static [KeyMeta],
}

impl IndexSpec {
    /// Whether the key has several partition or sort key attributes
    /// (DynamoDB's multi-attribute keys: up to 4 of each, each a natural
    /// attribute of the item), declared on the struct:
    ///
    /// ```
    /// use dynamite::prelude::*;
    /// use dynamite::Registry;
    ///
    /// #[derive(Table, Debug, Clone)]
    /// #[dynamite(index(name = "by_region_status", partition = ["region", "status"], sort = "created_at"))]
    /// struct Ticket {
    ///     #[dynamite(primary_key)]
    ///     id: String,
    ///     region: String,
    ///     status: String,
    ///     created_at: i64,
    /// }
    ///
    /// let registry = Registry::new("").table::<Ticket>().resolve()?;
    /// let q = Ticket::query()
    ///     .filter(Ticket::REGION.eq("eu"))
    ///     .filter(Ticket::STATUS.eq("open"))
    ///     .filter(Ticket::CREATED_AT.gt(10));
    /// assert_eq!(
    ///     q.explain(&registry).to_string(),
    ///     "Query tickets index by_region_status key (region = \"eu\" AND status = \"open\" AND created_at > 10)"
    /// );
    /// // One partition attribute of two: the index cannot be read.
    /// let q = Ticket::query().filter(Ticket::REGION.eq("eu"));
    /// assert_eq!(q.explain(&registry).to_string(), "Scan tickets filter region = \"eu\"");
    /// # Ok::<(), dynamite::Error>(())
    /// ```
    pub fn is_multi_attribute(&self) -> bool {
        !self.more_partition_keys.is_empty() || !self.more_sort_keys.is_empty()
    }

    /// Every partition key attribute, in key-schema order.
    pub fn partition_keys(&self) -> impl Iterator<Item = KeyMeta> + '_ {
        std::iter::once(self.partition_key).chain(self.more_partition_keys.iter().copied())
    }

    /// Every sort key attribute, in key-schema order.
    pub fn sort_keys(&self) -> impl Iterator<Item = KeyMeta> + '_ {
        self.sort_key
            .into_iter()
            .chain(self.more_sort_keys.iter().copied())
    }

    /// The partition key attributes, then the sort key attributes.
    pub fn key_attributes(&self) -> impl Iterator<Item = KeyMeta> + '_ {
        self.partition_keys().chain(self.sort_keys())
    }

    /// The attributes a row of `meta` must have to be in this index: its
    /// key attributes, or for an overloaded index (key templates) every
    /// field of its partition and sort templates (a row missing one is
    /// left out of the index when written).
    pub(crate) fn membership(&self, meta: &TableMeta) -> Vec<&'static str> {
        let template = meta
            .single_table
            .and_then(|layout| layout.indexes.iter().find(|t| t.name == self.name));
        match template {
            Some(t) => fields(t.partition)
                .chain(t.sort.into_iter().flat_map(fields))
                .collect(),
            None => self.key_attributes().map(|k| k.name).collect(),
        }
    }

    /// The attributes of [`IndexSpec::membership`] a row of `meta` may
    /// lack (`Option` fields, attributes the model does not declare): the
    /// index is sparse unless this is empty.
    pub(crate) fn sparse_on(&self, meta: &TableMeta) -> Vec<&'static str> {
        self.membership(meta)
            .into_iter()
            .filter(|name| meta.may_lack(name))
            .collect()
    }
}

impl From<&IndexMeta> for IndexSpec {
    fn from(index: &IndexMeta) -> IndexSpec {
        IndexSpec {
            name: index.name.to_owned(),
            partition_key: index.partition_key,
            sort_key: index.sort_key,
            more_partition_keys: index.more_partition_keys,
            more_sort_keys: index.more_sort_keys,
        }
    }
}

/// A registered model: its metadata and the full (prefixed) table name.
#[derive(Debug, Clone)]
pub(crate) struct Registered {
    pub(crate) meta: &'static TableMeta,
    pub(crate) table_name: String,
    /// Every GSI of the table: declared ones and foreign-key ones.
    pub(crate) indexes: Vec<IndexSpec>,
}

/// Where plans find the registered models: a [`crate::Dynamite`] handle,
/// or a [`Registry`] on its own (no connection needed).
pub trait Models {
    /// The registered models.
    fn registry(&self) -> &Registry;

    /// Table sizes known without a request (items, bytes), for the cost
    /// choices `explain()` describes.
    #[doc(hidden)]
    fn known_table_size(&self, _table: &str) -> Option<(u64, u64)> {
        None
    }

    /// Requests one operation keeps in flight (`None`: the default).
    #[doc(hidden)]
    fn concurrency(&self) -> Option<usize> {
        None
    }

    /// Whether every query is strict (see `Query::strict`).
    #[doc(hidden)]
    fn strict_reads(&self) -> bool {
        false
    }

    /// At most this many Queries for one `is_in` on a partition key
    /// (`None`: the default, 100).
    #[doc(hidden)]
    fn max_is_in_queries(&self) -> Option<usize> {
        None
    }
}

impl Models for Registry {
    fn registry(&self) -> &Registry {
        self
    }
}

/// The models a handle knows: what `sync()` creates and the planner reads.
///
/// Built by [`crate::DynamiteBuilder::build`]; also on its own, to explain
/// plans without a connection:
///
/// ```
/// use dynamite::prelude::*;
/// use dynamite::Registry;
///
/// #[derive(Table, Debug, Clone)]
/// struct Order {
///     #[dynamite(primary_key)]
///     id: String,
///     #[dynamite(index)]
///     user_id: String,
/// }
///
/// let registry = Registry::new("").table::<Order>().resolve()?;
/// let plan = Order::query().filter(Order::USER_ID.eq("u1")).explain(&registry);
/// assert_eq!(plan.to_string(), "Query orders index user_id_index key user_id = \"u1\"");
/// # Ok::<(), dynamite::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Registry {
    prefix: String,
    tables: HashMap<TypeId, Registered>,
    order: Vec<TypeId>,
    pending: Vec<(TypeId, &'static TableMeta)>,
}

impl Registry {
    /// An empty registry whose table names start with `prefix`.
    pub fn new(prefix: impl Into<String>) -> Registry {
        Registry {
            prefix: prefix.into(),
            ..Registry::default()
        }
    }

    /// Adds a model (once).
    pub fn table<T: Table>(mut self) -> Registry {
        let id = TypeId::of::<T>();
        if !self.pending.iter().any(|(t, _)| *t == id) {
            self.pending.push((id, T::meta()));
        }
        self
    }

    pub(crate) fn with_metas(prefix: String, metas: &[(TypeId, &'static TableMeta)]) -> Registry {
        Registry {
            prefix,
            pending: metas.to_vec(),
            ..Registry::default()
        }
    }

    /// Checks the table names and the relations, and computes every
    /// table's indexes (declared ones plus the foreign-key GSIs).
    pub fn resolve(mut self) -> Result<Registry> {
        let mut seen_names: HashMap<String, Vec<&'static TableMeta>> = HashMap::new();
        for (id, meta) in std::mem::take(&mut self.pending) {
            let table_name = format!("{}{}", self.prefix, meta.table_name);
            validate_table_name(&table_name)?;
            crate::mask::register(&table_name, meta.sensitive_names());
            let sharing = seen_names.entry(table_name.clone()).or_default();
            for other in sharing.iter() {
                check_shared(other, meta, &table_name)?;
            }
            sharing.push(meta);
            self.tables.insert(
                id,
                Registered {
                    meta,
                    table_name,
                    indexes: Vec::new(),
                },
            );
            self.order.push(id);
        }
        resolve_indexes(&mut self.tables, &self.order)?;
        Ok(self)
    }

    /// The table name prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The full table name of a registered model.
    pub fn table_name<T: Table>(&self) -> Result<String> {
        self.get::<T>().map(|r| r.table_name.clone())
    }

    pub(crate) fn get<T: Table>(&self) -> Result<&Registered> {
        self.tables
            .get(&TypeId::of::<T>())
            .ok_or(Error::NotRegistered {
                model: T::META.model,
            })
    }

    /// Every registered model, in registration order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Registered> {
        self.order.iter().filter_map(|id| self.tables.get(id))
    }

    /// The registration of a model's metadata.
    pub(crate) fn by_meta(&self, meta: &TableMeta) -> Result<&Registered> {
        self.iter()
            .find(|r| same_model(r.meta, meta))
            .ok_or(Error::NotRegistered { model: meta.model })
    }

    pub(crate) fn len(&self) -> usize {
        self.tables.len()
    }
}

fn index_name(attribute: &str, sort: Option<&str>) -> String {
    match sort {
        Some(s) => format!("{attribute}_{s}_index"),
        None => format!("{attribute}_index"),
    }
}

/// The foreign-key GSI a `has_many` / `has_one` reads: partition key the
/// foreign key, sort key the child's sort key (else, or when that is the
/// foreign key itself, its primary key). A multi-attribute index is never
/// one (its partition needs every attribute), nor a sparse one (see
/// [`reads_children`]).
pub(crate) fn foreign_key_index(child: &TableMeta, foreign_key: &str) -> Option<IndexSpec> {
    if let Some(declared) = child
        .indexes
        .iter()
        .map(IndexSpec::from)
        .find(|i| reads_children(child, i, foreign_key))
    {
        return Some(declared);
    }
    let attribute = child.attribute(foreign_key)?;
    let scalar = attribute.scalar?;
    Some(IndexSpec {
        name: index_name(foreign_key, None),
        partition_key: KeyMeta {
            name: attribute.name,
            scalar,
        },
        // The child's sort key, else its primary key; a foreign key that
        // is the child's sort key (a junction keyed by the pair, read from
        // its far side) is sorted by the child's primary key.
        sort_key: match child.sort_key {
            Some(sort) if sort.name != attribute.name => Some(sort),
            _ if child.partition_key.name != attribute.name => Some(child.partition_key),
            _ => None,
        },
        more_partition_keys: &[],
        more_sort_keys: &[],
    })
}

/// Whether `index` of `child` reads every child row of one foreign-key
/// value: its partition is the foreign key alone, and every other
/// attribute it needs is one each row has (a sparse index would silently
/// drop the children without it).
pub(crate) fn reads_children(child: &TableMeta, index: &IndexSpec, foreign_key: &str) -> bool {
    index.partition_key.name == foreign_key
        && index.more_partition_keys.is_empty()
        && index
            .sparse_on(child)
            .iter()
            .all(|name| *name == foreign_key)
}

/// Computes every registered table's GSIs: the declared ones plus the
/// foreign-key GSIs of `has_many` / `has_one` relations (declared on the
/// parent, living on the child's table).
fn resolve_indexes(tables: &mut HashMap<TypeId, Registered>, order: &[TypeId]) -> Result<()> {
    for registered in tables.values_mut() {
        registered.indexes = registered
            .meta
            .indexes
            .iter()
            .map(IndexSpec::from)
            .collect();
    }
    let metas: Vec<&'static TableMeta> = order
        .iter()
        .filter_map(|id| tables.get(id))
        .map(|r| r.meta)
        .collect();
    let hops = metas
        .iter()
        .flat_map(|owner| owner.relations.iter().flat_map(|r| r.hops(owner)));
    for (owner, relation) in hops {
        {
            let target = (relation.target)();
            let Some(child) = tables.values_mut().find(|r| same_model(r.meta, target)) else {
                return Err(Error::Config(format!(
                    "relation `{}.{}` targets `{}`, which is not registered: add `.table::<{}>()`",
                    owner.model, relation.field, target.model, target.model
                )));
            };
            if relation.kind == RelationKind::BelongsTo {
                continue;
            }
            let Some(pairs) = relation.joins(owner) else {
                return Err(Error::Config(format!(
                    "relation `{}.{}`: foreign key {:?} does not match the key of `{}` field by \
                     field",
                    owner.model, relation.field, relation.foreign_keys, owner.model
                )));
            };
            let children: Vec<&str> = pairs.iter().map(|(_, c)| *c).collect();
            if target.template_reading(&children).is_some() {
                continue;
            }
            if children.len() > 1 {
                return Err(Error::Config(format!(
                    "relation `{}.{}`: a composite foreign key must render the partition of \
                     `{}` (its `pk` template, or a GSI's, made of those fields)",
                    owner.model, relation.field, target.model
                )));
            }
            let Some((_, foreign_key)) = relation.join(owner) else {
                return Err(Error::Config(format!(
                    "relation `{}.{}`: foreign key `{}` is not a persisted field of `{}`",
                    owner.model, relation.field, relation.foreign_key, target.model
                )));
            };
            let Some(index) = foreign_key_index(target, foreign_key) else {
                return Err(Error::Config(format!(
                    "relation `{}.{}`: foreign key `{}` cannot be an index key",
                    owner.model, relation.field, relation.foreign_key
                )));
            };
            if !child.indexes.iter().any(|i| i.name == index.name) {
                child.indexes.push(index);
            }
        }
    }
    Ok(())
}

/// Two models may share a table only as shared-table models (key
/// templates) with the same key attributes and entity attribute, different
/// entity types, and no two TTL attributes (a model may have none; one
/// without must not store a number under the other's TTL name).
fn check_shared(first: &TableMeta, second: &TableMeta, table: &str) -> Result<()> {
    let problem = match (first.single_table, second.single_table) {
        (Some(a), Some(b)) => {
            if first.partition_key != second.partition_key || first.sort_key != second.sort_key {
                Some("their key attributes differ".to_owned())
            } else if a.entity_attribute != b.entity_attribute {
                Some("their entity attributes differ".to_owned())
            } else if let (Some(one), Some(other)) = (first.ttl, second.ttl)
                && one != other
            {
                Some(format!(
                    "their TTL attributes differ ({one} and {other}): a table has one TTL \
                     attribute, so the models stored in it that declare `#[dynamite(ttl)]` \
                     store it under the same name (models without one are fine)"
                ))
            } else if let Some(problem) =
                swept_by_ttl(first, second).or_else(|| swept_by_ttl(second, first))
            {
                Some(problem)
            } else if a.entity == b.entity {
                Some(format!(
                    "both store entity type `{}`: set `entity = \"..\"` on one",
                    a.entity
                ))
            } else {
                None
            }
        }
        _ => Some(
            "only models with key templates (`pk = \"...\"`, single-table design) share a table"
                .to_owned(),
        ),
    };
    match problem {
        Some(problem) => Err(Error::Config(format!(
            "models `{}` and `{}` both map to table `{table}`: {problem}",
            first.model, second.model
        ))),
        None => Ok(()),
    }
}

/// A model without TTL sharing a table with `with_ttl` must not store a
/// number under the table's TTL attribute: DynamoDB's sweep would delete
/// its rows once that number (read as epoch seconds) has passed. Only a
/// field of a string or binary type is known never to store a number.
fn swept_by_ttl(with_ttl: &TableMeta, without: &TableMeta) -> Option<String> {
    let ttl = with_ttl.ttl?;
    if without.ttl.is_some() {
        return None;
    }
    let field = swept_field(without, ttl)?;
    Some(format!(
        "`{}` is the TTL attribute of `{}`, and `{}.{}` is stored under that name without \
         being its TTL: DynamoDB's TTL sweep would delete `{}` rows once that value, read as \
         epoch seconds, has passed; rename the stored attribute \
         (`#[dynamite(rename = \"..\")]`) or declare the field `#[dynamite(ttl)]`",
        ttl, with_ttl.model, without.model, field.field, without.model
    ))
}

/// The field of `meta` that DynamoDB's sweep would read under the TTL
/// attribute `ttl` without being the model's TTL: stored under that name,
/// of a type that may hold a number (only strings and binary are known
/// never to).
fn swept_field(meta: &TableMeta, ttl: &str) -> Option<&'static crate::model::AttributeMeta> {
    if meta.ttl == Some(ttl) {
        return None;
    }
    meta.attributes
        .iter()
        .find(|a| a.name == ttl && !matches!(a.scalar, Some(ScalarType::S) | Some(ScalarType::B)))
}

/// The TTL attribute `live` that table `table` has enabled (as
/// DescribeTimeToLive says, whoever enabled it) against every model of
/// `registry` stored there, with or without TTL: a number field stored
/// under that name that is not its model's TTL is [`Error::Config`]
/// naming the model, field, table and attribute.
pub(crate) fn check_live_ttl(registry: &Registry, table: &str, live: &str) -> Result<()> {
    for registered in registry.iter().filter(|r| r.table_name == table) {
        let meta = registered.meta;
        if let Some(field) = swept_field(meta, live) {
            return Err(Error::Config(format!(
                "table `{table}` has TTL enabled on `{live}`, and `{}.{}` is stored under that                  name without being its TTL: DynamoDB's TTL sweep would delete `{}` rows once                  that value, read as epoch seconds, has passed; rename the stored attribute                  (`#[dynamite(rename = \"..\")]`), declare the field `#[dynamite(ttl)]`, or \
                 disable the table's TTL",
                meta.model, field.field, meta.model
            )));
        }
    }
    Ok(())
}

/// Two metadata references denote the same model.
pub(crate) fn same_model(a: &TableMeta, b: &TableMeta) -> bool {
    std::ptr::eq(a, b) || (a.model == b.model && a.table_name == b.table_name)
}

/// DynamoDB's table-name rules: 3 to 255 characters of `[A-Za-z0-9_.-]`.
pub(crate) fn validate_table_name(name: &str) -> Result<()> {
    let reason = if name.len() < 3 {
        Some("shorter than 3 characters".to_owned())
    } else if name.len() > 255 {
        Some("longer than 255 characters".to_owned())
    } else {
        name.chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
            .map(|c| format!("character {c:?} is not allowed (only A-Z a-z 0-9 _ - .)"))
    };
    match reason {
        Some(reason) => Err(Error::InvalidTableName {
            name: name.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_follow_dynamodb_rules() {
        assert!(validate_table_name("users").is_ok());
        assert!(validate_table_name("a.b-c_d9").is_ok());
        assert!(validate_table_name("ab").is_err());
        assert!(validate_table_name("bad name").is_err());
        assert!(validate_table_name(&"x".repeat(256)).is_err());
    }
}
