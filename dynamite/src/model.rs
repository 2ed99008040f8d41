//! The [`Table`] trait: what `#[derive(Table)]` generates for a model.
//!
//! A model's metadata ([`TableMeta`]) is a `const`: key schema, attributes,
//! indexes and relations are known at compile time, so the planner and
//! `sync()` never guess.

use std::future::Future;

use crate::error::{Error, Result};
use crate::template::{Segment, fields, render};
use crate::value::{Attribute, AttributeValue, Item, ScalarType, ValueError};

/// A key attribute: its stored name and DynamoDB type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyMeta {
    /// The stored attribute name.
    pub name: &'static str,
    /// `S`, `N` or `B`, from the Rust type.
    pub scalar: ScalarType,
}

/// One persisted attribute of a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttributeMeta {
    /// The Rust field name.
    pub field: &'static str,
    /// The stored attribute name (after `rename` / `rename_all`).
    pub name: &'static str,
    /// The key type of the Rust type, when it can be a key.
    pub scalar: Option<ScalarType>,
    /// Whether the field is an `Option` (may be absent).
    pub optional: bool,
    /// Whether the field's values are kept out of traces ([`crate::Sensitive`]).
    pub sensitive: bool,
    /// `#[dynamite(unversioned)]`: changed only by `update()` actions,
    /// never written by `save()`, and its changes neither check nor bump
    /// the version.
    pub unversioned: bool,
}

/// A global secondary index declared with `#[dynamite(index)]`, or over
/// several attributes with a struct-level `index(partition = [..], sort = [..])`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexMeta {
    /// Index name (`<attribute>_index` unless given).
    pub name: &'static str,
    /// Partition key of the index (the first one of a multi-attribute key).
    pub partition_key: KeyMeta,
    /// Sort key of the index, if any (the first one of a multi-attribute key).
    pub sort_key: Option<KeyMeta>,
    /// A multi-attribute key's further partition key attributes (at most 3).
    pub more_partition_keys: &'static [KeyMeta],
    /// A multi-attribute key's further sort key attributes (at most 3).
    pub more_sort_keys: &'static [KeyMeta],
}

/// The kind of a relation field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelationKind {
    /// `HasMany<T>`: children whose foreign key holds this row's local key.
    HasMany,
    /// `HasOne<T>`: like `HasMany`, first child only.
    HasOne,
    /// `BelongsTo<T>`: the parent whose local key this row's foreign key holds.
    BelongsTo,
}

/// A relation declared on a model (used by includes and by `sync()`).
#[derive(Debug, Clone, Copy)]
pub struct RelationMeta {
    /// The Rust field name of the relation.
    pub field: &'static str,
    /// Its kind.
    pub kind: RelationKind,
    /// Metadata of the related model.
    pub target: fn() -> &'static TableMeta,
    /// The Rust field holding the foreign key: on the target for `has_many` /
    /// `has_one`, on this model for `belongs_to`.
    pub foreign_key: &'static str,
    /// Every field of the foreign key: `[foreign_key]`, or the fields of a
    /// composite one (`foreign_key = ["user_id", "order_id"]`), matched field
    /// by field to the parent's `Key`.
    pub foreign_keys: &'static [&'static str],
    /// The Rust field the foreign key refers to: on this model for `has_many`
    /// / `has_one`, on the target for `belongs_to`. `None` means the primary key.
    pub local_key: Option<&'static str>,
    /// A many-to-many `has_many(through = J, ..)`: its two hops. `target` is
    /// the far model; `foreign_key` and `local_key` are those of the first hop.
    pub through: Option<&'static Through>,
    /// A polymorphic `belongs_to`: its targets by type value (`target` is
    /// the first of them).
    pub polymorphic: Option<&'static Polymorphic>,
}

/// The two hops of a many-to-many relation through a junction model:
/// `near` (a `has_many` of the junction rows, by `foreign_key`) and `far`
/// (a `belongs_to` of each junction row, by `far_key`).
#[derive(Debug, Clone, Copy)]
pub struct Through {
    /// Parent -> junction rows.
    pub near: RelationMeta,
    /// Junction row -> far row.
    pub far: RelationMeta,
}

/// A polymorphic `belongs_to`: the field naming the target model, and each
/// target with the value that names it.
#[derive(Debug, Clone, Copy)]
pub struct Polymorphic {
    /// The Rust field holding the type value.
    pub type_key: &'static str,
    /// The targets, in declaration order.
    pub targets: &'static [PolymorphicTarget],
}

/// One target of a [`Polymorphic`] relation.
#[derive(Debug, Clone, Copy)]
pub struct PolymorphicTarget {
    /// The type value naming it (`"post"`).
    pub value: &'static str,
    /// The `belongs_to` read when the type field holds `value`.
    pub relation: RelationMeta,
}

impl RelationMeta {
    /// The stored attribute pairs joined by this relation, `(on the
    /// declaring model, on the target)`: one pair, or for a composite
    /// foreign key one per field, matched in order to the fields of the
    /// referenced model's `Key` (`None` when the counts differ or a field
    /// is not persisted).
    pub fn joins(&self, owner: &TableMeta) -> Option<Vec<(&'static str, &'static str)>> {
        if let Some(through) = self.through {
            return through.near.joins(owner);
        }
        if self.foreign_keys.len() <= 1 {
            return self.join(owner).map(|pair| vec![pair]);
        }
        let target = (self.target)();
        let (referenced, holder) = match self.kind {
            RelationKind::HasMany | RelationKind::HasOne => (owner, target),
            RelationKind::BelongsTo => (target, owner),
        };
        let key_fields = referenced.single_table?.key_fields;
        if key_fields.len() != self.foreign_keys.len() {
            return None;
        }
        let mut pairs = Vec::with_capacity(key_fields.len());
        for (key, foreign) in key_fields.iter().zip(self.foreign_keys) {
            let foreign = holder.attribute_by_field(foreign)?.name;
            pairs.push(match self.kind {
                RelationKind::HasMany | RelationKind::HasOne => (*key, foreign),
                RelationKind::BelongsTo => (foreign, *key),
            });
        }
        Some(pairs)
    }

    /// Every hop this relation reads, each with the model declaring it:
    /// itself, or a `through`'s two hops, or each polymorphic target.
    pub fn hops(
        &'static self,
        owner: &'static TableMeta,
    ) -> Vec<(&'static TableMeta, &'static RelationMeta)> {
        match (self.through, self.polymorphic) {
            (Some(through), _) => vec![
                (owner, &through.near),
                ((through.near.target)(), &through.far),
            ],
            (None, Some(poly)) => poly.targets.iter().map(|t| (owner, &t.relation)).collect(),
            (None, None) => vec![(owner, self)],
        }
    }

    /// The stored attribute names joined by this relation, as
    /// `(on the declaring model, on the target)`.
    pub fn join(&self, owner: &TableMeta) -> Option<(&'static str, &'static str)> {
        if let Some(through) = self.through {
            return through.near.join(owner);
        }
        let target = (self.target)();
        match self.kind {
            RelationKind::HasMany | RelationKind::HasOne => {
                let local = match self.local_key {
                    Some(f) => owner.attribute_by_field(f)?.name,
                    None => owner.default_local_key(),
                };
                Some((local, target.attribute_by_field(self.foreign_key)?.name))
            }
            RelationKind::BelongsTo => {
                let local = match self.local_key {
                    Some(f) => target.attribute_by_field(f)?.name,
                    None => target.default_local_key(),
                };
                Some((owner.attribute_by_field(self.foreign_key)?.name, local))
            }
        }
    }
}

/// How a model in a shared table (single-table design) forms its key
/// attributes: `#[dynamite(table = "shop", pk = "USER#{user_id}", sk =
/// "ORDER#{id}")]`. The rendered keys and the entity type are written with
/// every item; the model's own fields are stored as usual.
#[derive(Debug)]
pub struct SingleTable {
    /// The attribute holding the entity type (`entity` unless configured).
    pub entity_attribute: &'static str,
    /// This model's entity type (the struct name unless `entity = ".."`).
    pub entity: &'static str,
    /// The partition key template, rendered into `partition_key`.
    pub partition: &'static [Segment],
    /// The sort key template, rendered into `sort_key`.
    pub sort: Option<&'static [Segment]>,
    /// The stored names of the fields of [`Table::Key`], in order of first
    /// appearance in the templates.
    pub key_fields: &'static [&'static str],
    /// Templates of the overloaded GSIs the model declares (their key
    /// attributes are in [`TableMeta::indexes`] under the same name).
    pub indexes: &'static [IndexTemplate],
}

/// The key templates of one overloaded GSI.
#[derive(Debug)]
pub struct IndexTemplate {
    /// The index name.
    pub name: &'static str,
    /// Its partition key template.
    pub partition: &'static [Segment],
    /// Its sort key template.
    pub sort: Option<&'static [Segment]>,
}

impl SingleTable {
    /// The entity-type condition every read and write of the model carries.
    pub(crate) fn entity_condition(&self) -> crate::expr::Node {
        crate::expr::Node::Compare {
            path: self.entity_attribute,
            op: crate::expr::CompareOp::Eq,
            value: Ok(AttributeValue::S(self.entity.to_owned())),
        }
    }
}

/// A partition of a shared-table model's table or GSI that one attribute
/// renders (see [`TableMeta::template_reading`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemplateRead {
    /// The GSI, or `None` for the table.
    pub index: Option<&'static str>,
    /// Its partition key attribute.
    pub partition_key: &'static str,
    /// Its sort key attribute.
    pub sort_key: Option<&'static str>,
    /// The partition template.
    pub partition: &'static [Segment],
    /// The sort key template there.
    pub sort: Option<&'static [Segment]>,
    /// The literal text the model's sort key starts with there, which sets
    /// its rows apart from other models'.
    pub sort_prefix: Option<&'static str>,
}

/// Everything Dynamite knows about a model's table.
#[derive(Debug)]
pub struct TableMeta {
    /// The Rust type name (for messages).
    pub model: &'static str,
    /// The table name, before any client prefix.
    pub table_name: &'static str,
    /// The partition key.
    pub partition_key: KeyMeta,
    /// The sort key, if the table has one.
    pub sort_key: Option<KeyMeta>,
    /// Every persisted attribute, in field order.
    pub attributes: &'static [AttributeMeta],
    /// GSIs declared with `index`.
    pub indexes: &'static [IndexMeta],
    /// Relations declared on the model.
    pub relations: &'static [RelationMeta],
    /// The stored name of the `created_at` attribute.
    pub created_at: Option<&'static str>,
    /// The stored name of the `updated_at` attribute.
    pub updated_at: Option<&'static str>,
    /// The stored name of the `version` attribute (optimistic locking):
    /// writes of a row require the stored version to equal the row's and
    /// add one to it.
    pub version: Option<&'static str>,
    /// The stored name of the `deleted_at` attribute (soft delete): `delete`
    /// stamps it and reads skip rows where it is set.
    pub deleted_at: Option<&'static str>,
    /// The stored name of the `ttl` attribute (epoch seconds): reads skip
    /// rows whose time has passed, `sync()` enables TTL on it.
    pub ttl: Option<&'static str>,
    /// Key templates and entity type, for a model in a shared table.
    pub single_table: Option<&'static SingleTable>,
}

impl TableMeta {
    /// The stored attribute names whose values are never shown in errors,
    /// `explain()` or spans: the [`Sensitive`](crate::Sensitive) fields,
    /// and the key attributes rendered from a template naming one.
    pub fn sensitive_names(&self) -> Vec<&'static str> {
        let meta = self;
        let fields: Vec<&'static str> = meta
            .attributes
            .iter()
            .filter(|a| a.sensitive)
            .map(|a| a.name)
            .collect();
        let names_one = |template: &[Segment]| {
            template.iter().any(
                |s| matches!(s, Segment::Field { attribute, .. } if fields.contains(attribute)),
            )
        };
        let mut out = fields.clone();
        if let Some(layout) = meta.single_table {
            if names_one(layout.partition) {
                out.push(meta.partition_key.name);
            }
            if let (Some(template), Some(sk)) = (layout.sort, meta.sort_key)
                && names_one(template)
            {
                out.push(sk.name);
            }
            for template in layout.indexes {
                let Some(index) = meta.indexes.iter().find(|i| i.name == template.name) else {
                    continue;
                };
                if names_one(template.partition) {
                    out.push(index.partition_key.name);
                }
                if let (Some(t), Some(sk)) = (template.sort, index.sort_key)
                    && names_one(t)
                {
                    out.push(sk.name);
                }
            }
        }
        out
    }

    /// The attribute with this stored name.
    pub fn attribute(&self, name: &str) -> Option<&'static AttributeMeta> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// The attribute stored for this Rust field.
    pub fn attribute_by_field(&self, field: &str) -> Option<&'static AttributeMeta> {
        self.attributes.iter().find(|a| a.field == field)
    }

    /// The relation declared on this Rust field.
    pub fn relation(&self, field: &str) -> Option<&'static RelationMeta> {
        self.relations.iter().find(|r| r.field == field)
    }

    /// The key attribute names (partition, then sort).
    pub fn key_names(&self) -> impl Iterator<Item = &'static str> + use<> {
        let pk = self.partition_key.name;
        let sk = self.sort_key.map(|k| k.name);
        std::iter::once(pk).chain(sk)
    }

    /// The attribute a relation joins on when it names no `local_key`: the
    /// partition key, or for a shared-table model the last field of its
    /// `Key` (its own id: `id` of `Order`, whose key is `(user_id, id)`).
    pub fn default_local_key(&self) -> &'static str {
        match self.single_table {
            Some(layout) => layout
                .key_fields
                .last()
                .copied()
                .unwrap_or(self.partition_key.name),
            None => self.partition_key.name,
        }
    }

    /// For a shared-table model: a partition, of the table or of an
    /// overloaded GSI, rendered from `attributes` alone (`pk =
    /// "USER#{user_id}"` and `user_id`, or gsi1 `"ORDER#{id}"` and `id`):
    /// the rows with one value of it are read by one Query. The table's own
    /// key first. A GSI whose templates name an `Option` field other than
    /// `attributes` is sparse (rows without the field are not in it): never
    /// this read.
    pub fn template_reading(&self, attributes: &[&str]) -> Option<TemplateRead> {
        let layout = self.single_table?;
        let rendered_from = |template: &[Segment]| {
            let mut fields = fields(template).peekable();
            fields.peek().is_some() && fields.all(|f| attributes.contains(&f))
        };
        let prefix = |sort: Option<&'static [Segment]>| match sort?.first()? {
            Segment::Literal(text) => Some(*text),
            Segment::Field { .. } => None,
        };
        // Every attribute must narrow the read: in the partition, or in the
        // sort template's leading fields (the prefix a read renders), so the
        // Query returns exactly the rows of one join value.
        let exact = |partition: &[Segment], sort: Option<&[Segment]>| {
            let mut bound: Vec<&str> = fields(partition).collect();
            for segment in sort.unwrap_or_default() {
                if let Segment::Field { attribute, .. } = segment {
                    if !attributes.contains(attribute) {
                        break;
                    }
                    bound.push(attribute);
                }
            }
            attributes.iter().all(|a| bound.contains(a))
        };
        // Every row with a join value is there: no other field of the
        // templates is an `Option` (a sparse index misses the rows without).
        let dense = |partition: &[Segment], sort: Option<&[Segment]>| {
            fields(partition)
                .chain(sort.into_iter().flat_map(fields))
                .all(|f| attributes.contains(&f) || !self.may_lack(f))
        };
        let readable = |partition: &[Segment], sort: Option<&[Segment]>| {
            rendered_from(partition) && exact(partition, sort) && dense(partition, sort)
        };
        if readable(layout.partition, layout.sort) {
            return Some(TemplateRead {
                index: None,
                partition_key: self.partition_key.name,
                sort_key: self.sort_key.map(|k| k.name),
                partition: layout.partition,
                sort: layout.sort,
                sort_prefix: prefix(layout.sort),
            });
        }
        layout.indexes.iter().find_map(|template| {
            let index = self.indexes.iter().find(|i| i.name == template.name)?;
            readable(template.partition, template.sort).then(|| TemplateRead {
                index: Some(index.name),
                partition_key: index.partition_key.name,
                sort_key: index.sort_key.map(|k| k.name),
                partition: template.partition,
                sort: template.sort,
                sort_prefix: prefix(template.sort),
            })
        })
    }

    /// Whether a row of this model may lack `attribute`: not a table key
    /// and an `Option` field or an attribute the model does not declare.
    pub(crate) fn may_lack(&self, attribute: &str) -> bool {
        !self.key_names().any(|k| k == attribute)
            && self.attribute(attribute).is_none_or(|a| a.optional)
    }

    /// Whether `attribute` is an `#[dynamite(unversioned)]` field: `save()`
    /// never writes it and an update of such fields only neither checks
    /// nor bumps the version.
    pub fn is_unversioned(&self, attribute: &str) -> bool {
        self.attribute(attribute).is_some_and(|a| a.unversioned)
    }

    /// Whether `attribute` is a field a shared-table model's key is
    /// rendered from (it names the item: it cannot be updated).
    pub fn is_key_field(&self, attribute: &str) -> bool {
        self.single_table
            .is_some_and(|layout| layout.key_fields.contains(&attribute))
    }

    /// Whether a stored item belongs to this model: always for a model with
    /// its own table; for a shared table, when its entity type is this
    /// model's.
    pub fn owns(&self, item: &Item) -> bool {
        self.single_table.is_none_or(|layout| {
            matches!(item.get(layout.entity_attribute), Some(AttributeValue::S(e)) if e == layout.entity)
        })
    }

    /// Adds the rendered key attributes, the entity type and the overloaded
    /// GSI attributes of a shared-table model to `item` (nothing for a
    /// model with its own table). A GSI whose template names an absent field
    /// is left out (a sparse index).
    ///
    /// An empty string or binary in a declared index's key attribute is
    /// [`Error::MissingKey`] (DynamoDB refuses it), for every model; a key
    /// value (of the table or of a declared index, rendered or not) past
    /// DynamoDB's size limit (2,048 bytes in a partition key, 1,024 in a
    /// sort key) is [`Error::InvalidValue`].
    pub fn render_keys(&self, item: &mut Item) -> Result<()> {
        self.refuse_empty_index_keys(item)?;
        let Some(layout) = self.single_table else {
            return crate::key_limits::check_item(self, item);
        };
        for field in layout.key_fields {
            if item
                .get(*field)
                .is_none_or(crate::value::is_empty_key_value)
            {
                return Err(Error::MissingKey {
                    table: self.table_name.to_owned(),
                    attribute: (*field).to_owned(),
                });
            }
        }
        let invalid = |e: ValueError| Error::InvalidValue {
            attribute: format!("{}.{}", self.model, self.partition_key.name),
            reason: e.to_string(),
        };
        let pk = render(layout.partition, item).map_err(invalid)?;
        let sk = match (layout.sort, self.sort_key) {
            (Some(template), Some(_)) => Some(render(template, item).map_err(invalid)?),
            _ => None,
        };
        let mut extra = vec![(self.partition_key.name, pk)];
        extra.extend(self.sort_key.map(|k| k.name).zip(sk));
        for template in layout.indexes {
            let Some(index) = self.indexes.iter().find(|i| i.name == template.name) else {
                continue;
            };
            let present = |t: &[Segment]| fields(t).all(|f| item.contains_key(f));
            if !present(template.partition) || !template.sort.is_none_or(present) {
                continue;
            }
            extra.push((
                index.partition_key.name,
                render(template.partition, item).map_err(invalid)?,
            ));
            if let (Some(t), Some(k)) = (template.sort, index.sort_key) {
                extra.push((k.name, render(t, item).map_err(invalid)?));
            }
        }
        for (name, value) in extra {
            if value.is_empty() {
                return Err(Error::MissingKey {
                    table: self.table_name.to_owned(),
                    attribute: name.to_owned(),
                });
            }
            item.insert(name.to_owned(), AttributeValue::S(value));
        }
        item.insert(
            layout.entity_attribute.to_owned(),
            AttributeValue::S(layout.entity.to_owned()),
        );
        crate::key_limits::check_item(self, item)
    }

    /// An empty string or binary in a key attribute of a declared index is
    /// [`Error::MissingKey`]: DynamoDB refuses such an item, and an absent
    /// value (a sparse index) is the way to leave it out.
    pub(crate) fn refuse_empty_index_keys(&self, item: &Item) -> Result<()> {
        let names = self.indexes.iter().flat_map(|index| {
            std::iter::once(index.partition_key)
                .chain(index.sort_key)
                .chain(index.more_partition_keys.iter().copied())
                .chain(index.more_sort_keys.iter().copied())
        });
        for key in names {
            let empty = match item.get(key.name) {
                Some(AttributeValue::S(s)) => s.is_empty(),
                Some(AttributeValue::B(b)) => b.as_ref().is_empty(),
                _ => false,
            };
            if empty {
                return Err(Error::MissingKey {
                    table: self.table_name.to_owned(),
                    attribute: key.name.to_owned(),
                });
            }
        }
        Ok(())
    }

    /// Whether a stored item is soft-deleted (its `deleted_at` is set).
    pub fn is_deleted(&self, item: &Item) -> bool {
        self.deleted_at
            .and_then(|name| item.get(name))
            .is_some_and(|v| !matches!(v, AttributeValue::Null(_)))
    }

    /// Whether a stored item's `ttl` time has passed at `now` (epoch seconds).
    pub(crate) fn is_expired(&self, item: &Item, now: i64) -> bool {
        self.ttl
            .is_some_and(|name| crate::ttl::is_expired(name, item, now))
    }

    /// Whether a read shows a stored item: this model's (in a shared
    /// table), not soft-deleted, not expired.
    pub(crate) fn is_visible(&self, item: &Item) -> bool {
        // The clock is read only for a model with a `ttl` field.
        self.owns(item)
            && !self.is_deleted(item)
            && !self
                .ttl
                .is_some_and(|name| crate::ttl::is_expired(name, item, crate::ttl::now_seconds()))
    }

    /// Extracts the key attributes of an item; errors when one is missing or empty.
    pub fn key_of(&self, item: &Item) -> Result<Item> {
        let mut key = Item::with_capacity(2);
        for name in self.key_names() {
            match item.get(name) {
                Some(v) if !crate::value::is_empty_key_value(v) => {
                    key.insert(name.to_owned(), v.clone());
                }
                _ => {
                    return Err(Error::MissingKey {
                        table: self.table_name.to_owned(),
                        attribute: name.to_owned(),
                    });
                }
            }
        }
        Ok(key)
    }
}

/// A model stored in one DynamoDB table. Derive it with `#[derive(Table)]`.
///
/// Reading and writing go through [`crate::Dynamite`]:
/// `User::get(&db, "id")`, `User::query()...all(&db)`, `user.save(&db)`.
// An associated fn without `self` (or a const) added here is a name the
// derive must reserve: add it to `dynamite-derive/src/reserved.rs`.
pub trait Table: Sized + Send + Sync + 'static {
    /// The model's metadata.
    const META: TableMeta;

    /// The create builder returned by [`Table::create`] (fields not set yet).
    type Builder;

    /// The primary key: the key field's type for a partition-key-only
    /// table (`String`, `u64`, ...), a tuple of the key fields' types,
    /// partition first, for a composite key (`(String, i64)`). Reads and
    /// writes by key take anything that converts into it (`IntoKey`).
    type Key: Clone + Send + Sync + 'static;

    /// Names the key fields in order, for compile errors only: a tuple of
    /// generated marker types named like the fields (`(tenant_id, id)`).
    /// Reads and writes by key require `IntoKey<Self::Key, Self::KeyFields>`,
    /// so a wrong key's error lists the fields, and a model's named key
    /// (`Task::key()..`) is accepted by its own model only.
    type KeyFields: 'static;

    /// This row's key.
    fn key(&self) -> Self::Key;

    /// The key attributes of `key`, as an item. An empty string or binary
    /// part is [`Error::MissingKey`].
    fn key_item(key: &Self::Key) -> Result<Item>;

    /// The fields of `key` as an item: the key attributes themselves, or
    /// for a model in a shared table the fields its key templates render
    /// (what relations join on). An empty string or binary part is
    /// [`Error::MissingKey`].
    fn key_fields(key: &Self::Key) -> Result<Item> {
        Self::key_item(key)
    }

    /// Starts a create builder: `User::create().name("Ada").exec(&db)`.
    /// A required field left unset is a compile error.
    fn create() -> Self::Builder;

    /// Converts the model into a stored item (relation fields and `skip`ped
    /// fields are left out; `None` is an absent attribute).
    fn to_item(&self) -> Result<Item>;

    /// Builds the model from a stored item. Attributes the model does not
    /// declare are ignored; a missing required attribute or a wrong type is
    /// [`Error::Decode`].
    fn from_item(item: Item) -> Result<Self>;

    /// Sets the `updated_at` field to now (no-op without one).
    fn touch(&mut self) {}

    /// Runs the field validators (`validate = path`, `not_empty`) on this
    /// row; the first failure is [`Error::Validation`]. Every write that
    /// sends a whole row runs it before sending (create, save, `put_many`,
    /// `create_many`, transactions); reads never do, so a stored row that
    /// breaks a rule added later still loads.
    fn validate(&self) -> Result<()> {
        Ok(())
    }

    /// Runs the validators of the attribute stored as `name` on a value
    /// about to be written by `update().set(..)` (`None`: the value removes
    /// the attribute). Generated; `Ok` for attributes without validators.
    #[doc(hidden)]
    fn validate_stored(name: &str, value: Option<&AttributeValue>) -> Result<()> {
        let _ = (name, value);
        Ok(())
    }

    /// Adds one to the `version` field (no-op without one): what a
    /// successful `save` does to the row in memory.
    #[doc(hidden)]
    fn bump_version(&mut self) {}

    /// The stored value of "now" for the `deleted_at` field (soft delete).
    #[doc(hidden)]
    fn deleted_at_now() -> Result<Option<AttributeValue>> {
        Ok(None)
    }

    /// Forwards to [`crate::Hooks::before_create`] with `#[dynamite(hooks)]`.
    #[doc(hidden)]
    fn __before_create(&mut self) -> impl Future<Output = Result<()>> + Send {
        async { Ok(()) }
    }
    /// Forwards to [`crate::Hooks::after_create`] with `#[dynamite(hooks)]`.
    #[doc(hidden)]
    fn __after_create(&self) -> impl Future<Output = Result<()>> + Send {
        async { Ok(()) }
    }
    /// Forwards to [`crate::Hooks::before_update`] with `#[dynamite(hooks)]`.
    #[doc(hidden)]
    fn __before_update(
        key: &Item,
        row: Option<&Self>,
        changes: &crate::changes::Changes,
    ) -> impl Future<Output = Result<()>> + Send {
        let _ = (key, row, changes);
        async { Ok(()) }
    }
    /// Forwards to [`crate::Hooks::after_update`] with `#[dynamite(hooks)]`.
    #[doc(hidden)]
    fn __after_update(key: &Item, row: Option<&Self>) -> impl Future<Output = Result<()>> + Send {
        let _ = (key, row);
        async { Ok(()) }
    }
    /// Forwards to [`crate::Hooks::before_delete`] with `#[dynamite(hooks)]`.
    #[doc(hidden)]
    fn __before_delete(key: &Item, row: Option<&Self>) -> impl Future<Output = Result<()>> + Send {
        let _ = (key, row);
        async { Ok(()) }
    }
    /// Forwards to [`crate::Hooks::after_delete`] with `#[dynamite(hooks)]`.
    #[doc(hidden)]
    fn __after_delete(key: &Item, row: Option<&Self>) -> impl Future<Output = Result<()>> + Send {
        let _ = (key, row);
        async { Ok(()) }
    }

    /// Fills what a fixture row (the model's serde form) leaves out with
    /// what `create` would give: `default = ..`, now for the timestamps, 1
    /// for `version`. Generated; nothing for models without defaults.
    #[doc(hidden)]
    fn __fill_fixture_defaults(row: &mut crate::testing::row_defaults::FixtureRow<'_>) {
        let _ = row;
    }

    /// The metadata, as a function (handy in `fn` pointers).
    fn meta() -> &'static TableMeta {
        // `META` is a constant; promote it to a static reference.
        const { &Self::META }
    }

    /// The key attributes of this row, as an item.
    fn key_attributes(&self) -> Result<Item> {
        Self::key_item(&self.key())
    }
}

/// A model with a `#[dynamite(version)]` field (optimistic locking),
/// implemented by `#[derive(Table)]`. Writes that take an expected version
/// from the caller (`update_key(k).expect_version(v)`,
/// `delete_key_expecting`) exist only for these models: on another model
/// they do not compile.
///
/// ```compile_fail
/// use dynamite::prelude::*;
/// #[derive(Table, Debug, Clone)]
/// struct Note {
///     #[dynamite(primary_key)]
///     id: String,
///     text: String,
/// }
/// // `Note` has no version field: no expected version to give.
/// let _ = Note::update_key("n1").set(Note::TEXT, "x").expect_version(3u64);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no `#[dynamite(version)]` field: an expected version needs one",
    label = "expected versions need a `#[dynamite(version)]` field on `{Self}`"
)]
pub trait Versioned: Table {
    /// The version field's type (`u64`, `i64`, ...).
    type Version: Attribute + Send + Sync + 'static;
}

/// Turns a value conversion error for one attribute into [`Error::Decode`].
///
/// The error of a sensitive attribute (or a key rendered from one) never
/// carries the stored value.
pub(crate) fn decode_error(meta: &TableMeta, attribute: &str, error: ValueError) -> Error {
    let sensitive = meta.sensitive_names().contains(&attribute);
    let error = if sensitive { error.masked() } else { error };
    let (expected, found) = error.expected_found();
    Error::Decode {
        table: meta.table_name.to_owned(),
        attribute: attribute.to_owned(),
        expected,
        found,
        source: Box::new(error),
    }
}

/// The `not_empty` rule: strings, collections and `Option`s of them
/// (`None` counts as empty).
pub trait NotEmpty {
    /// True when the value is empty.
    fn is_empty_value(&self) -> bool;
}

impl NotEmpty for String {
    fn is_empty_value(&self) -> bool {
        self.trim().is_empty()
    }
}
impl<T> NotEmpty for Vec<T> {
    fn is_empty_value(&self) -> bool {
        self.is_empty()
    }
}
impl<T, S> NotEmpty for std::collections::HashSet<T, S> {
    fn is_empty_value(&self) -> bool {
        self.is_empty()
    }
}
impl<T> NotEmpty for std::collections::BTreeSet<T> {
    fn is_empty_value(&self) -> bool {
        self.is_empty()
    }
}
impl<K, V, S> NotEmpty for std::collections::HashMap<K, V, S> {
    fn is_empty_value(&self) -> bool {
        self.is_empty()
    }
}
impl<K, V> NotEmpty for std::collections::BTreeMap<K, V> {
    fn is_empty_value(&self) -> bool {
        self.is_empty()
    }
}
impl NotEmpty for crate::value::Bytes {
    fn is_empty_value(&self) -> bool {
        self.0.is_empty()
    }
}
impl<T: NotEmpty> NotEmpty for Option<T> {
    fn is_empty_value(&self) -> bool {
        self.as_ref().is_none_or(NotEmpty::is_empty_value)
    }
}

/// A type usable for `created_at` / `updated_at` and `default = now`.
pub trait Timestamp: Attribute {
    /// The current time.
    fn now() -> Self;
}

impl Timestamp for String {
    /// ISO-8601 UTC with milliseconds, like JavaScript's `toISOString()`.
    fn now() -> Self {
        crate::time::now_iso8601()
    }
}

impl<T: Timestamp> Timestamp for Option<T> {
    fn now() -> Self {
        Some(T::now())
    }
}

impl Timestamp for std::time::SystemTime {
    fn now() -> Self {
        std::time::SystemTime::now()
    }
}

impl Timestamp for i64 {
    /// Milliseconds since the Unix epoch.
    fn now() -> Self {
        crate::time::now_millis()
    }
}

#[cfg(feature = "chrono")]
impl Timestamp for chrono::DateTime<chrono::Utc> {
    fn now() -> Self {
        chrono::Utc::now()
    }
}

#[cfg(feature = "time")]
impl Timestamp for time::OffsetDateTime {
    fn now() -> Self {
        time::OffsetDateTime::now_utc()
    }
}

/// A type usable with `default = uuid` / `default = ulid`.
pub trait GeneratedId: Attribute {
    /// A time-ordered UUID (v7), monotonic within the process.
    fn uuid() -> Self;
    /// A ULID (time-ordered, lexicographically sortable).
    fn ulid() -> Self;
}

impl GeneratedId for String {
    fn uuid() -> Self {
        uuid::Uuid::now_v7().to_string()
    }
    fn ulid() -> Self {
        crate::time::next_ulid()
    }
}

impl<T: GeneratedId> GeneratedId for Option<T> {
    fn uuid() -> Self {
        Some(T::uuid())
    }
    fn ulid() -> Self {
        Some(T::ulid())
    }
}

#[cfg(feature = "uuid")]
impl GeneratedId for uuid::Uuid {
    fn uuid() -> Self {
        uuid::Uuid::now_v7()
    }
    fn ulid() -> Self {
        uuid::Uuid::from_bytes(ulid::Ulid::new().to_bytes())
    }
}

/// The value of a stored string attribute, if present (used in tests and examples).
pub fn string_attribute<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(s)) => Some(s),
        _ => None,
    }
}
