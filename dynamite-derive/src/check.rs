//! Whole-type checks run after attribute parsing: key declarations, option
//! conflicts, index references, name clashes (between fields, and with the
//! model's trait items), literal defaults that do not fit their field. They
//! turn a parsed [`Model`] into the resolved [`Schema`] that code generation
//! relies on.

use std::collections::HashMap;

use proc_macro2::Span;
use syn::Type;

use crate::ast::{Field, Model, Shape, Value, field_span};
use crate::attr::{DefaultValue, RelationKind, Target, WithSpan, check_table_name};
use crate::case::{default_table_name, screaming_snake_case};
use crate::ctxt::Ctxt;
use crate::literal::literal_default;
use crate::reserved;
use crate::symbol::{
    CREATED_AT, DEFAULT, DELETED_AT, INDEX, NOT_EMPTY, PRIMARY_KEY, RENAME, SKIP, SORT_KEY, TTL,
    UNVERSIONED, UPDATED_AT, VALIDATE, VERSION,
};

/// A model's keys, indexes and timestamps, checked.
pub struct Schema<'m, 'a> {
    pub table_name: String,
    pub keys: Keys<'m, 'a>,
    pub indexes: Vec<Index<'m, 'a>>,
    pub created_at: Option<&'m Field<'a>>,
    pub updated_at: Option<&'m Field<'a>>,
    pub version: Option<&'m Field<'a>>,
    pub deleted_at: Option<&'m Field<'a>>,
    /// The `ttl` field (epoch seconds).
    pub ttl: Option<&'m Field<'a>>,
    pub relations: Vec<Relation<'m, 'a>>,
}

/// Where a model's key comes from.
pub enum Keys<'m, 'a> {
    /// `#[dynamite(primary_key)]` / `#[dynamite(sort_key)]` fields.
    Fields {
        partition: &'m Field<'a>,
        sort: Option<&'m Field<'a>>,
    },
    /// Key templates of a model in a shared table.
    Templates(Templates<'m, 'a>),
}

impl<'m, 'a> Keys<'m, 'a> {
    /// The fields of the model's `Key`, in order.
    pub fn key_fields(&self) -> Vec<&'m Field<'a>> {
        match self {
            Keys::Fields { partition, sort } => std::iter::once(*partition).chain(*sort).collect(),
            Keys::Templates(t) => t.key_fields.clone(),
        }
    }
}

/// `pk = "USER#{user_id}"`, `sk = "ORDER#{id}"`, resolved against the fields.
pub struct Templates<'m, 'a> {
    pub partition: Vec<TemplatePart<'m, 'a>>,
    pub sort: Option<Vec<TemplatePart<'m, 'a>>>,
    /// Each field the templates name, once, in order of first appearance.
    pub key_fields: Vec<&'m Field<'a>>,
    pub pk_attribute: String,
    pub sk_attribute: String,
    pub entity_attribute: String,
    pub entity: String,
    /// Overloaded GSIs, `index(name = "gsi1", pk = "..", sk = "..")`.
    pub indexes: Vec<TemplateIndex<'m, 'a>>,
}

impl<'m, 'a> Templates<'m, 'a> {
    /// Every field any template names (key and index), once.
    pub fn fields(&self) -> Vec<&'m Field<'a>> {
        let mut fields: Vec<&'m Field<'a>> = Vec::new();
        let all = self
            .indexes
            .iter()
            .flat_map(|i| i.partition.iter().chain(i.sort.iter().flatten()));
        for part in self
            .partition
            .iter()
            .chain(self.sort.iter().flatten())
            .chain(all)
        {
            if let TemplatePart::Field(f) = part
                && !fields.iter().any(|x| std::ptr::eq(*x, *f))
            {
                fields.push(f);
            }
        }
        fields
    }
}

/// An overloaded GSI of a shared-table model, resolved.
pub struct TemplateIndex<'m, 'a> {
    pub name: String,
    pub pk_attribute: String,
    pub sk_attribute: Option<String>,
    pub partition: Vec<TemplatePart<'m, 'a>>,
    pub sort: Option<Vec<TemplatePart<'m, 'a>>>,
}

/// One part of a resolved template.
pub enum TemplatePart<'m, 'a> {
    Literal(String),
    Field(&'m Field<'a>),
}

/// A relation field, resolved.
pub struct Relation<'m, 'a> {
    pub field: &'m Field<'a>,
    pub kind: RelationKind,
    /// The related model: `T` in `HasMany<T>` (`Self` already replaced).
    pub target: &'m Type,
    /// Rust name of the foreign key field (of the target for `has_many` /
    /// `has_one`, of this model for `belongs_to`); the first of a composite one.
    pub foreign_key: &'m WithSpan<String>,
    /// Every field of the foreign key (one, or a composite key's).
    pub foreign_keys: Vec<&'m WithSpan<String>>,
    /// Rust name of the referenced field (of this model for `has_many` /
    /// `has_one`, of the target for `belongs_to`).
    pub local_key: Option<&'m WithSpan<String>>,
    /// `has_many(through = J, far_key = "..")`: the junction model and its
    /// field holding the far side's key (`foreign_key` is then on `J`).
    pub through: Option<(&'m Type, &'m WithSpan<String>)>,
    /// A polymorphic `belongs_to`: the field naming the target, and each
    /// target model with its type value.
    pub polymorphic: Option<(&'m WithSpan<String>, &'m [Target])>,
}

/// A global secondary index, resolved.
pub struct Index<'m, 'a> {
    pub name: String,
    pub partition_key: &'m Field<'a>,
    pub sort_key: Option<&'m Field<'a>>,
    /// A multi-attribute key's further partition attributes.
    pub more_partition_keys: Vec<&'m Field<'a>>,
    /// A multi-attribute key's further sort attributes.
    pub more_sort_keys: Vec<&'m Field<'a>>,
}

impl<'m, 'a> Index<'m, 'a> {
    /// Every key field: partition attributes, then sort attributes.
    pub fn fields(&self) -> impl Iterator<Item = &'m Field<'a>> + '_ {
        std::iter::once(self.partition_key)
            .chain(self.more_partition_keys.iter().copied())
            .chain(self.sort_key)
            .chain(self.more_sort_keys.iter().copied())
    }
}

/// DynamoDB's limit on the partition (and on the sort) attributes of a
/// multi-attribute GSI key.
const MAX_KEY_ATTRIBUTES: usize = 4;

/// Checks a model. Every problem is recorded in `cx`; the schema is only
/// returned when the model is sound.
pub fn check_model<'m, 'a>(cx: &Ctxt, model: &'m Model<'a>) -> Option<Schema<'m, 'a>> {
    for field in &model.fields {
        check_conflicts(cx, field);
    }
    let templates = model
        .attrs
        .pk
        .as_ref()
        .map(|pk| resolve_templates(cx, model, pk));
    if templates.is_none()
        && let Some(index) = model
            .attrs
            .indexes
            .iter()
            .find(|i| i.partition.is_none() && i.sort.is_none())
    {
        cx.error(
            index.span,
            "a struct-level `index(name, pk, sk)` is an overloaded GSI of a shared-table model: \
             declare `pk = \"...\"` on the struct, put `#[dynamite(index)]` on a field, or \
             list fields: `index(partition = [\"region\", \"status\"], sort = [\"created_at\"])`",
        );
    }
    if templates.is_none()
        && let Some(other) = [
            &model.attrs.sk,
            &model.attrs.entity,
            &model.attrs.entity_attribute,
        ]
        .into_iter()
        .chain([&model.attrs.pk_attribute, &model.attrs.sk_attribute])
        .flatten()
        .next()
    {
        cx.error(
            other.key_span,
            "key templates start with `pk = \"...\"` on the struct (a shared-table model)",
        );
    }
    let partition_key = single(
        cx,
        model,
        |f| f.attrs.primary_key,
        "a model needs exactly one `#[dynamite(primary_key)]` field",
    );
    if partition_key.is_none() && templates.is_none() {
        cx.error(
            model.ident.span(),
            "a model needs exactly one `#[dynamite(primary_key)]` field",
        );
    }
    let sort_key = single(
        cx,
        model,
        |f| f.attrs.sort_key,
        "a model has at most one `#[dynamite(sort_key)]` field",
    );
    for key in partition_key.iter().chain(&sort_key) {
        if key.is_option() {
            cx.error_spanned_by(
                &key.original.ty,
                "a key attribute cannot be an `Option`: DynamoDB keys are always present",
            );
        }
    }
    let created_at = single(
        cx,
        model,
        |f| f.attrs.created_at,
        "a model has at most one `#[dynamite(created_at)]` field",
    );
    let updated_at = single(
        cx,
        model,
        |f| f.attrs.updated_at,
        "a model has at most one `#[dynamite(updated_at)]` field",
    );
    let version = single(
        cx,
        model,
        |f| f.attrs.version,
        "a model has at most one `#[dynamite(version)]` field",
    );
    if let Some(field) = version
        && !is_integer(&field.ty)
    {
        cx.error_spanned_by(
            &field.original.ty,
            "a `version` field must be an integer (`u64`, `i64`, `u32`, ...)",
        );
    }
    let deleted_at = single(
        cx,
        model,
        |f| f.attrs.deleted_at,
        "a model has at most one `#[dynamite(deleted_at)]` field",
    );
    if let Some(field) = deleted_at
        && !field.is_option()
    {
        cx.error_spanned_by(
            &field.original.ty,
            "a `deleted_at` field must be an `Option` of a timestamp type \
             (`Option<String>`, `Option<i64>`, ...): `None` means not deleted",
        );
    }
    let ttl = single(
        cx,
        model,
        |f| f.attrs.ttl,
        "a model has at most one `#[dynamite(ttl)]` field (DynamoDB allows one TTL attribute per table)",
    );
    if let (Some(ttl), Some(Some(templates))) = (ttl, templates.as_ref().map(|t| t.as_ref()))
        && let Some(span) = ttl.attrs.ttl
        && templates.key_fields.iter().any(|f| std::ptr::eq(*f, ttl))
    {
        cx.error(
            span,
            "a `ttl` field cannot be part of a key template: a key never changes, an expiry does",
        );
    }
    if let Some(Some(templates)) = templates.as_ref().map(|t| t.as_ref()) {
        refuse_unversioned_template_fields(cx, templates);
    }
    check_stored_names(cx, model.fields.iter().filter(|f| f.persisted()));
    check_generated_names(cx, model);
    for field in model.fields.iter().filter(|f| f.persisted()) {
        check_default(cx, field);
    }
    let indexes = resolve_indexes(cx, model);
    let relations = resolve_relations(cx, model);

    let table_name = match &model.attrs.table {
        Some(table) => table.value.clone(),
        None => {
            let name = default_table_name(&model.ident.to_string());
            if let Err(reason) = check_table_name(&name) {
                cx.error(
                    model.ident.span(),
                    format!(
                        "the default table name `{name}` is invalid ({reason}); \
                         set one with `#[dynamite(table = \"...\")]`"
                    ),
                );
            }
            name
        }
    };

    if cx.has_errors() {
        return None;
    }
    let keys = match templates {
        Some(templates) => Keys::Templates(templates?),
        None => Keys::Fields {
            partition: partition_key?,
            sort: sort_key,
        },
    };
    let schema = Schema {
        table_name,
        keys,
        indexes,
        created_at,
        updated_at,
        version,
        deleted_at,
        ttl,
        relations,
    };
    check_index_constants(cx, model, &schema);
    (!cx.has_errors()).then_some(schema)
}

impl Schema<'_, '_> {
    /// The names of the declared indexes (fields' and templates'), in
    /// declaration order.
    pub fn index_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.indexes.iter().map(|i| i.name.clone()).collect();
        if let Keys::Templates(t) = &self.keys {
            names.extend(t.indexes.iter().map(|i| i.name.clone()));
        }
        names
    }
}

/// The `IndexRef` constant of index `name`: its name in
/// `SCREAMING_SNAKE_CASE` (`.` and `-`, allowed in index names, become
/// `_`; a leading digit gets `INDEX_` before it).
pub fn index_constant(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let constant = screaming_snake_case(&cleaned);
    if constant.starts_with(|c: char| c.is_ascii_digit()) || constant.is_empty() {
        format!("INDEX_{constant}")
    } else {
        constant
    }
}

/// An index constant must not take the name of a column constant, of a
/// trait constant or of another index's constant: each would be a
/// confusing compile error in generated code, or shadow a trait item.
fn check_index_constants(cx: &Ctxt, model: &Model, schema: &Schema) {
    let ident = model.ident;
    let mut seen: Vec<(String, String)> = Vec::new();
    for index in schema.index_names() {
        let constant = index_constant(&index);
        let clash = if let Some(field) = model
            .fields
            .iter()
            .find(|f| f.persisted() && screaming_snake_case(&f.name) == constant)
        {
            Some(format!(
                "the column constant of field `{}`; rename the Rust field and keep the stored \
                 name with `#[dynamite(rename = \"{}\")]`",
                field.name, field.stored
            ))
        } else if let Some(owner) = reserved::trait_const(&constant) {
            Some(format!("`{owner}::{constant}`; rename the index"))
        } else {
            seen.iter()
                .find(|(_, c)| *c == constant)
                .map(|(other, _)| format!("the constant of index `{other}`; rename one index"))
        };
        if let Some(clash) = clash {
            cx.error(
                ident.span(),
                format!(
                    "the index `{index}` would generate the constant `{ident}::{constant}`, \
                     which clashes with {clash}"
                ),
            );
        }
        seen.push((index, constant));
    }
}

/// A field a key or index template is rendered from cannot be
/// `unversioned`: `save()` writes the rendered keys, so they would drift
/// from a field it does not write.
fn refuse_unversioned_template_fields(cx: &Ctxt, templates: &Templates) {
    for field in templates.fields() {
        if let Some(span) = field.attrs.unversioned {
            cx.error(
                span,
                format!(
                    "`unversioned` cannot be on `{}`: a key or index template is rendered from it",
                    field.name
                ),
            );
        }
    }
}

/// The only field carrying an option; a second one is an error at its key.
fn single<'m, 'a>(
    cx: &Ctxt,
    model: &'m Model<'a>,
    option: impl Fn(&Field) -> Option<Span>,
    message: &str,
) -> Option<&'m Field<'a>> {
    let mut found: Option<&Field> = None;
    for field in &model.fields {
        let Some(span) = option(field) else { continue };
        match found {
            Some(first) => cx.error(span, format!("{message}; `{}` is already one", first.name)),
            None => found = Some(field),
        }
    }
    found
}

/// Options that make no sense together on one field.
fn check_conflicts(cx: &Ctxt, field: &Field) {
    let a = &field.attrs;
    let index = a.indexes.first().map(|i| i.span);
    let rename = a.rename.as_ref().map(|r| r.key_span);
    let default = a.default.as_ref().map(|d| d.key_span);
    let validate = a.validate.as_ref().map(|v| v.key_span);
    if let Some(relation) = &a.relation {
        let others = [
            (PRIMARY_KEY, a.primary_key),
            (SORT_KEY, a.sort_key),
            (INDEX, index),
            (DEFAULT, default),
            (CREATED_AT, a.created_at),
            (UPDATED_AT, a.updated_at),
            (RENAME, rename),
            (SKIP, a.skip),
            (VERSION, a.version),
            (UNVERSIONED, a.unversioned),
            (DELETED_AT, a.deleted_at),
            (TTL, a.ttl),
            (NOT_EMPTY, a.not_empty),
            (VALIDATE, a.validate.as_ref().map(|v| v.key_span)),
        ];
        for (other, span) in others {
            if let Some(span) = span {
                cx.error(
                    span,
                    format!(
                        "`{other}` cannot be combined with `{}`: a relation field is not stored \
                         and takes no other option",
                        relation.kind.key()
                    ),
                );
            }
        }
        return;
    }
    let pairs = [
        (SKIP, a.skip, PRIMARY_KEY, a.primary_key),
        (SKIP, a.skip, SORT_KEY, a.sort_key),
        (SKIP, a.skip, INDEX, index),
        (SKIP, a.skip, DEFAULT, default),
        (SKIP, a.skip, CREATED_AT, a.created_at),
        (SKIP, a.skip, UPDATED_AT, a.updated_at),
        (SKIP, a.skip, RENAME, rename),
        (PRIMARY_KEY, a.primary_key, SORT_KEY, a.sort_key),
        (CREATED_AT, a.created_at, UPDATED_AT, a.updated_at),
        (CREATED_AT, a.created_at, DEFAULT, default),
        (UPDATED_AT, a.updated_at, DEFAULT, default),
        (SKIP, a.skip, VERSION, a.version),
        (SKIP, a.skip, DELETED_AT, a.deleted_at),
        (SKIP, a.skip, NOT_EMPTY, a.not_empty),
        (SKIP, a.skip, VALIDATE, validate),
        (PRIMARY_KEY, a.primary_key, VERSION, a.version),
        (SORT_KEY, a.sort_key, VERSION, a.version),
        (CREATED_AT, a.created_at, VERSION, a.version),
        (UPDATED_AT, a.updated_at, VERSION, a.version),
        (VERSION, a.version, DEFAULT, default),
        (PRIMARY_KEY, a.primary_key, DELETED_AT, a.deleted_at),
        (SORT_KEY, a.sort_key, DELETED_AT, a.deleted_at),
        (CREATED_AT, a.created_at, DELETED_AT, a.deleted_at),
        (UPDATED_AT, a.updated_at, DELETED_AT, a.deleted_at),
        (VERSION, a.version, DELETED_AT, a.deleted_at),
        (DELETED_AT, a.deleted_at, DEFAULT, default),
        (SKIP, a.skip, TTL, a.ttl),
        (PRIMARY_KEY, a.primary_key, TTL, a.ttl),
        (SORT_KEY, a.sort_key, TTL, a.ttl),
        (INDEX, index, TTL, a.ttl),
        (CREATED_AT, a.created_at, TTL, a.ttl),
        (UPDATED_AT, a.updated_at, TTL, a.ttl),
        (VERSION, a.version, TTL, a.ttl),
        (DELETED_AT, a.deleted_at, TTL, a.ttl),
        // An unversioned field is an ordinary stored value only `update()`
        // actions change: never a key, the version, a timestamp or an expiry.
        (SKIP, a.skip, UNVERSIONED, a.unversioned),
        (PRIMARY_KEY, a.primary_key, UNVERSIONED, a.unversioned),
        (SORT_KEY, a.sort_key, UNVERSIONED, a.unversioned),
        (VERSION, a.version, UNVERSIONED, a.unversioned),
        (CREATED_AT, a.created_at, UNVERSIONED, a.unversioned),
        (UPDATED_AT, a.updated_at, UNVERSIONED, a.unversioned),
        (DELETED_AT, a.deleted_at, UNVERSIONED, a.unversioned),
        (TTL, a.ttl, UNVERSIONED, a.unversioned),
    ];
    for (first, first_span, second, second_span) in pairs {
        if let (Some(_), Some(span)) = (first_span, second_span) {
            cx.error(
                span,
                format!("`{second}` cannot be combined with `{first}`"),
            );
        }
    }
}

/// Two fields stored under one attribute name would overwrite each other.
fn check_stored_names<'f, 'a: 'f>(cx: &Ctxt, fields: impl Iterator<Item = &'f Field<'a>>) {
    let mut seen: HashMap<&str, &Field> = HashMap::new();
    for field in fields {
        if let Some(first) = seen.insert(&field.stored, field) {
            let span = field
                .attrs
                .rename
                .as_ref()
                .map_or_else(|| field_span(field), |r| r.span);
            cx.error(
                span,
                format!(
                    "fields `{}` and `{}` are both stored as `{}`",
                    first.name, field.name, field.stored
                ),
            );
        }
    }
}

/// The derive adds inherent items to the model: a column constant per
/// persisted field (`User::META` for `meta`) and a function per relation
/// field (`User::get()` for `get`). An inherent item wins over a trait item
/// in a path, so one named like an item of the model's traits would shadow
/// it silently (`User::get(&db, key)` would call the relation).
fn check_generated_names(cx: &Ctxt, model: &Model) {
    let ident = model.ident;
    for field in &model.fields {
        let name = &field.name;
        if field.attrs.relation.is_some() {
            if name == "key" {
                cx.error(
                    field_span(field),
                    format!(
                        "the relation field `key` would generate `{ident}::key()`, which is the \
                         model's named key (`{ident}::key().<field>(..)`) and shadows \
                         `Table::key` in paths; rename the field (it is not stored, so nothing \
                         else changes)"
                    ),
                );
            } else if let Some(owner) = reserved::trait_fn(name) {
                cx.error(
                    field_span(field),
                    format!(
                        "the relation field `{name}` would generate `{ident}::{name}()`, \
                         shadowing `{owner}::{name}` (`{ident}::{name}(..)` would call the \
                         relation); rename the field (it is not stored, so nothing else changes)"
                    ),
                );
            }
        } else if field.persisted() {
            let constant = screaming_snake_case(name);
            if let Some(owner) = reserved::trait_const(&constant) {
                cx.error(
                    field_span(field),
                    format!(
                        "the field `{name}` would generate the column `{ident}::{constant}`, \
                         shadowing `{owner}::{constant}`; rename the Rust field and keep the \
                         stored name with `#[dynamite(rename = \"{}\")]`",
                        field.stored
                    ),
                );
            }
        }
    }
}

/// A literal `default` must fit the field's type; reported on the literal.
fn check_default(cx: &Ctxt, field: &Field) {
    if let Some(WithSpan {
        value: DefaultValue::Lit(literal),
        ..
    }) = &field.attrs.default
        && let Err(error) = literal_default(field, literal)
    {
        cx.syn_error(error);
    }
}

fn resolve_indexes<'m, 'a>(cx: &Ctxt, model: &'m Model<'a>) -> Vec<Index<'m, 'a>> {
    let mut indexes = Vec::new();
    let mut names: HashMap<String, Span> = HashMap::new();
    for field in model.fields.iter().filter(|f| f.persisted()) {
        for index in &field.attrs.indexes {
            let sort_key = match &index.sort_key {
                None => None,
                Some(wanted) => match stored_field(cx, model, wanted, "index sort key") {
                    Some(f) if std::ptr::eq(f, field) => {
                        cx.error(
                            wanted.span,
                            "an index cannot use one attribute as both partition and sort key",
                        );
                        None
                    }
                    found => found,
                },
            };
            let (name, span) = match (&index.name, sort_key) {
                (Some(name), _) => (name.value.clone(), name.span),
                (None, Some(sort)) => (
                    format!("{}_{}_index", field.stored, sort.stored),
                    index.span,
                ),
                (None, None) => (format!("{}_index", field.stored), index.span),
            };
            if names.insert(name.clone(), span).is_some() {
                cx.error(
                    span,
                    format!("duplicate index name `{name}`; give one a `name = \"...\"`"),
                );
            }
            indexes.push(Index {
                name,
                partition_key: field,
                sort_key,
                more_partition_keys: Vec::new(),
                more_sort_keys: Vec::new(),
            });
        }
    }
    for index in &model.attrs.indexes {
        if let Some(index) = resolve_multi_index(cx, model, index) {
            let span = index_span(index.name.as_str(), model, &model.attrs.indexes);
            if names.insert(index.name.clone(), span).is_some() {
                cx.error(
                    span,
                    format!(
                        "duplicate index name `{}`; give one a `name = \"...\"`",
                        index.name
                    ),
                );
            }
            indexes.push(index);
        }
    }
    indexes
}

/// The stored field `wanted` names (`what`: how the message calls it);
/// an unknown or unstored one is reported at its name.
fn stored_field<'m, 'a>(
    cx: &Ctxt,
    model: &'m Model<'a>,
    wanted: &WithSpan<String>,
    what: &str,
) -> Option<&'m Field<'a>> {
    match model.fields.iter().find(|f| f.name == wanted.value) {
        Some(f) if !f.persisted() => {
            let message = format!(
                "{what} `{}` is {}, which is not stored",
                wanted.value,
                f.not_stored_reason().unwrap_or("a field")
            );
            cx.error(wanted.span, message);
            None
        }
        Some(f) => Some(f),
        None => {
            let message = format!(
                "{what} `{}` is not a field of `{}`",
                wanted.value, model.ident
            );
            cx.error(wanted.span, message);
            None
        }
    }
}

/// Where to report a problem with the struct-level index named `name`.
fn index_span(name: &str, model: &Model, indexes: &[crate::attr::TemplateIndex]) -> Span {
    indexes
        .iter()
        .find(|i| i.name.as_ref().is_some_and(|n| n.value == name))
        .and_then(|i| i.name.as_ref().map(|n| n.span))
        .or_else(|| indexes.first().map(|i| i.span))
        .unwrap_or_else(|| model.ident.span())
}

/// A struct-level `index(partition = [..], sort = [..])`: a multi-attribute
/// GSI key over natural fields (up to 4 partition and 4 sort attributes,
/// each a stored field, none twice). `None` for an overloaded GSI
/// (`pk` / `sk` templates) or when the declaration is wrong (reported).
fn resolve_multi_index<'m, 'a>(
    cx: &Ctxt,
    model: &'m Model<'a>,
    index: &crate::attr::TemplateIndex,
) -> Option<Index<'m, 'a>> {
    let Some(partition) = &index.partition else {
        if let Some(sort) = &index.sort {
            cx.error(
                sort.key_span,
                "`sort` needs `partition` too: `index(partition = [\"region\"], sort = [\"created_at\"])`",
            );
        }
        return None;
    };
    for template in [&index.pk, &index.sk].into_iter().flatten() {
        cx.error(
            template.key_span,
            "an index either renders key templates (`pk` / `sk`) or lists fields \
             (`partition` / `sort`), not both",
        );
    }
    let sort: &[WithSpan<String>] = index.sort.as_ref().map_or(&[], |s| &s.fields);
    let mut seen: Vec<String> = Vec::new();
    let mut resolve = |wanted: &WithSpan<String>| -> Option<&'m Field<'a>> {
        if seen.contains(&wanted.value) {
            cx.error(
                wanted.span,
                format!(
                    "`{}` is already a key attribute of this index",
                    wanted.value
                ),
            );
            return None;
        }
        seen.push(wanted.value.clone());
        stored_field(cx, model, wanted, "index key")
    };
    let mut ok = true;
    let mut fields = |list: &[WithSpan<String>], what: &str| -> Vec<&'m Field<'a>> {
        if let Some(extra) = list.get(MAX_KEY_ATTRIBUTES) {
            cx.error(
                extra.span,
                format!(
                    "a GSI key has at most {MAX_KEY_ATTRIBUTES} {what} attributes \
                     (DynamoDB's multi-attribute keys)"
                ),
            );
            ok = false;
        }
        let resolved: Vec<&'m Field<'a>> = list.iter().filter_map(&mut resolve).collect();
        ok &= resolved.len() == list.len();
        resolved
    };
    let partition_fields = fields(&partition.fields, "partition");
    let sort_fields = fields(sort, "sort");
    let name = match &index.name {
        Some(name) => {
            if let Err(reason) = check_table_name(&name.value) {
                cx.error(
                    name.span,
                    format!("invalid index name `{}`: {reason}", name.value),
                );
            }
            name.value.clone()
        }
        None => {
            let parts: Vec<&str> = partition_fields
                .iter()
                .chain(&sort_fields)
                .map(|f| f.stored.as_str())
                .collect();
            format!("{}_index", parts.join("_"))
        }
    };
    if !ok {
        return None;
    }
    let (first, more_partition) = partition_fields.split_first()?;
    let (sort_key, more_sort) = match sort_fields.split_first() {
        Some((first, rest)) => (Some(*first), rest.to_vec()),
        None => (None, Vec::new()),
    };
    Some(Index {
        name,
        partition_key: first,
        sort_key,
        more_partition_keys: more_partition.to_vec(),
        more_sort_keys: more_sort,
    })
}

/// Resolves the relation fields: checks their container type and, for keys
/// naming fields of this model, that the field exists and is stored. Keys
/// naming fields of the related model are checked at compile time by the
/// `const` assertions of the expansion.
fn resolve_relations<'m, 'a>(cx: &Ctxt, model: &'m Model<'a>) -> Vec<Relation<'m, 'a>> {
    let mut relations = Vec::new();
    for field in &model.fields {
        let Some(relation) = &field.attrs.relation else {
            continue;
        };
        let kind = relation.kind;
        let target = container_argument(&field.ty, kind.container());
        if target.is_none() {
            cx.error_spanned_by(
                &field.original.ty,
                format!(
                    "a `{}` field must have type `{}<T>`, where `T` is the related model",
                    kind.key(),
                    kind.container()
                ),
            );
        }
        // The key of a `belongs_to` is on this model, as is the local key of
        // a `has_many` / `has_one`.
        let own_keys: Vec<(&str, &WithSpan<String>)> = match kind {
            RelationKind::BelongsTo => relation
                .foreign_key
                .iter()
                .chain(&relation.more_foreign_keys)
                .map(|k| ("foreign", k))
                .chain(relation.type_key.iter().map(|k| ("type", k)))
                .collect(),
            RelationKind::HasMany | RelationKind::HasOne => {
                relation.local_key.iter().map(|k| ("local", k)).collect()
            }
        };
        if let (Some(local), false) = (&relation.local_key, relation.more_foreign_keys.is_empty()) {
            cx.error(
                local.span,
                "a composite foreign key refers to the parent's whole `Key`, field by field: \
                 it takes no `local_key`",
            );
        }
        for (which, wanted) in own_keys {
            let found = model.fields.iter().find(|f| f.name == wanted.value);
            let problem = match found {
                None => Some(format!("is not a field of `{}`", model.ident)),
                Some(f) => f
                    .not_stored_reason()
                    .map(|reason| format!("is {reason}, which is not stored")),
            };
            if let Some(problem) = problem {
                cx.error(
                    wanted.span,
                    format!("`{}` {which} key `{}` {problem}", kind.key(), wanted.value),
                );
            }
        }
        if let (Some(target), Some(foreign_key)) = (target, &relation.foreign_key) {
            relations.push(Relation {
                field,
                kind,
                target,
                foreign_key,
                foreign_keys: std::iter::once(foreign_key)
                    .chain(&relation.more_foreign_keys)
                    .collect(),
                local_key: relation.local_key.as_ref(),
                through: relation
                    .through
                    .as_ref()
                    .zip(relation.far_key.as_ref())
                    .map(|(j, far)| (&j.value, far)),
                polymorphic: relation
                    .type_key
                    .as_ref()
                    .zip(relation.targets.as_ref())
                    .map(|(k, t)| (k, t.value.as_slice())),
            });
        }
    }
    relations
}

/// `T` in `Container<T>` (by the last path segment, so `dynamite::HasMany<T>`
/// counts too).
fn container_argument<'t>(ty: &'t Type, container: &str) -> Option<&'t Type> {
    match ty {
        Type::Group(group) => container_argument(&group.elem, container),
        Type::Paren(paren) => container_argument(&paren.elem, container),
        Type::Path(path) if path.qself.is_none() => {
            let segment = path.path.segments.last()?;
            if segment.ident != container {
                return None;
            }
            let syn::PathArguments::AngleBracketed(args) = &segment.arguments else {
                return None;
            };
            let mut args = args.args.iter();
            match (args.next(), args.next()) {
                (Some(syn::GenericArgument::Type(target)), None) => Some(target),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Checks a `#[derive(Attribute)]` type.
pub fn check_value(cx: &Ctxt, value: &Value) {
    match &value.shape {
        Shape::Struct(fields) => check_stored_names(cx, fields.iter().filter(|f| f.persisted())),
        Shape::Newtype(field) => {
            if let Some(rule) = &value.attrs.rename_all {
                cx.error(rule.span, "`rename_all` has no effect on a newtype struct");
            }
            no_field_options(cx, field, "the field of a newtype struct");
        }
        Shape::Enum(variants) => {
            let mut seen: HashMap<&str, &syn::Ident> = HashMap::new();
            for variant in variants {
                if let Some(first) = seen.insert(&variant.stored, variant.ident) {
                    cx.error(
                        variant.ident.span(),
                        format!(
                            "variants `{first}` and `{}` are both stored as `{}`",
                            variant.ident, variant.stored
                        ),
                    );
                }
                match variant.style {
                    crate::ast::Style::Struct => {
                        check_stored_names(cx, variant.fields.iter().filter(|f| f.persisted()));
                    }
                    _ => {
                        for field in &variant.fields {
                            no_field_options(cx, field, "a tuple variant field");
                        }
                    }
                }
            }
        }
    }
}

/// Whether a type is syntactically a primitive integer.
pub fn is_integer(ty: &Type) -> bool {
    const INTEGERS: &[&str] = &[
        "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
    ];
    match ty {
        Type::Group(g) => is_integer(&g.elem),
        Type::Paren(p) => is_integer(&p.elem),
        Type::Path(p) if p.qself.is_none() => p
            .path
            .get_ident()
            .is_some_and(|i| INTEGERS.contains(&i.to_string().as_str())),
        _ => false,
    }
}

fn no_field_options(cx: &Ctxt, field: &Field, what: &str) {
    if let Some(rename) = &field.attrs.rename {
        cx.error(rename.span, format!("`rename` is not allowed on {what}"));
    }
    if let Some(skip) = field.attrs.skip {
        cx.error(skip, format!("`skip` is not allowed on {what}"));
    }
}

/// Resolves `pk` / `sk` templates: every `{field}` a persisted, required
/// field; no `primary_key` / `sort_key` fields beside them; the physical
/// attribute names clash with no field.
fn resolve_templates<'m, 'a>(
    cx: &Ctxt,
    model: &'m Model<'a>,
    pk: &WithSpan<String>,
) -> Option<Templates<'m, 'a>> {
    for field in &model.fields {
        if let Some(span) = field.attrs.primary_key.or(field.attrs.sort_key) {
            cx.error(
                span,
                "a model with key templates (`pk = \"...\"`) has no `primary_key` / \
                 `sort_key` fields: its key is rendered from the templates",
            );
        }
    }
    let partition = resolve_parts(cx, model, pk, false);
    let sort = model
        .attrs
        .sk
        .as_ref()
        .map(|sk| resolve_parts(cx, model, sk, false));
    let mut key_fields: Vec<&'m Field<'a>> = Vec::new();
    for part in partition.iter().chain(sort.iter().flatten()).flatten() {
        if let TemplatePart::Field(f) = part
            && !key_fields.iter().any(|x| std::ptr::eq(*x, *f))
        {
            key_fields.push(f);
        }
    }
    let mut indexes = Vec::new();
    // Multi-attribute keys over fields are resolved with the field indexes.
    let templated = model
        .attrs
        .indexes
        .iter()
        .filter(|i| i.partition.is_none() && i.sort.is_none());
    for index in templated {
        let (Some(name), Some(ipk)) = (&index.name, &index.pk) else {
            cx.error(
                index.span,
                "a struct-level `index` needs `name` and `pk`: `index(name = \"gsi1\", pk = \"ORDER#{id}\")`",
            );
            continue;
        };
        if let Err(reason) = check_table_name(&name.value) {
            cx.error(
                name.span,
                format!("invalid index name `{}`: {reason}", name.value),
            );
        }
        let partition = resolve_parts(cx, model, ipk, true);
        let sort = index
            .sk
            .as_ref()
            .map(|sk| resolve_parts(cx, model, sk, true));
        if let (Some(partition), Some(sort)) = (partition, sort.unwrap_or(Some(Vec::new()))) {
            indexes.push(TemplateIndex {
                name: name.value.clone(),
                pk_attribute: format!("{}pk", name.value),
                sk_attribute: index.sk.as_ref().map(|_| format!("{}sk", name.value)),
                partition,
                sort: index.sk.as_ref().map(|_| sort),
            });
        }
    }
    let text = |w: &Option<WithSpan<String>>, default: &str| {
        w.as_ref()
            .map_or_else(|| default.to_owned(), |w| w.value.clone())
    };
    let pk_attribute = text(&model.attrs.pk_attribute, "pk");
    let sk_attribute = text(&model.attrs.sk_attribute, "sk");
    let entity_attribute = text(&model.attrs.entity_attribute, "entity");
    let entity = text(&model.attrs.entity, &model.ident.to_string());
    let mut physical = vec![&pk_attribute, &entity_attribute];
    if sort.is_some() {
        physical.push(&sk_attribute);
    }
    for index in &indexes {
        physical.push(&index.pk_attribute);
        physical.extend(&index.sk_attribute);
    }
    for name in physical {
        if let Some(field) = model
            .fields
            .iter()
            .find(|f| f.persisted() && f.stored == *name)
        {
            cx.error(
                field_span(field),
                format!(
                    "field `{}` is stored as `{name}`, an attribute a shared-table model \
                     writes itself; rename the field or set `pk_attribute` / `sk_attribute` / \
                     `entity_attribute` on the struct",
                    field.name
                ),
            );
        }
    }
    if pk_attribute == sk_attribute
        || pk_attribute == entity_attribute
        || sk_attribute == entity_attribute
    {
        cx.error(
            pk.key_span,
            "`pk`, `sk` and the entity type need three different attribute names",
        );
    }
    Some(Templates {
        partition: partition?,
        sort: match sort {
            Some(sort) => Some(sort?),
            None => None,
        },
        key_fields,
        pk_attribute,
        sk_attribute,
        entity_attribute,
        entity,
        indexes,
    })
}

/// The parts of one template, each `{field}` a persisted field that is not
/// a relation (and not an `Option`, unless `optional`: a sparse GSI).
fn resolve_parts<'m, 'a>(
    cx: &Ctxt,
    model: &'m Model<'a>,
    template: &WithSpan<String>,
    optional: bool,
) -> Option<Vec<TemplatePart<'m, 'a>>> {
    use crate::template::{Part, parse};
    let parts = match parse(&template.value) {
        Ok(parts) => parts,
        Err(message) => {
            cx.error(template.span, message);
            return None;
        }
    };
    // Values never contain `#`: a field followed by `#` (or last) ends where
    // its value ends, so two different values never render the same key.
    for pair in parts.windows(2) {
        if let [Part::Field(name), next] = pair
            && !matches!(next, Part::Literal(text) if text.starts_with('#'))
        {
            cx.error(
                template.span,
                format!(
                    "key template field `{{{name}}}` must be last or followed by `#`: \
                     otherwise two different values could render the same key"
                ),
            );
            return None;
        }
    }
    let mut resolved = Vec::new();
    for part in parts {
        match part {
            Part::Literal(text) => resolved.push(TemplatePart::Literal(text)),
            Part::Field(name) => {
                let Some(field) = model.fields.iter().find(|f| f.name == name) else {
                    cx.error(
                        template.span,
                        format!("key template field `{name}` is not a field of the model"),
                    );
                    return None;
                };
                if !field.persisted() || field.attrs.relation.is_some() {
                    cx.error(
                        template.span,
                        format!("key template field `{name}` is not a persisted field"),
                    );
                    return None;
                }
                if field.is_option() && !optional {
                    cx.error(
                        template.span,
                        format!(
                            "key template field `{name}` cannot be an `Option`: keys are always present"
                        ),
                    );
                    return None;
                }
                resolved.push(TemplatePart::Field(field));
            }
        }
    }
    Some(resolved)
}

#[cfg(test)]
mod tests {
    use super::container_argument;
    use syn::Type;

    #[test]
    fn relation_containers_are_matched_by_last_segment() {
        let order: Type = syn::parse_quote!(Order);
        let cases: [(Type, &str, Option<&Type>); 6] = [
            (syn::parse_quote!(HasMany<Order>), "HasMany", Some(&order)),
            (
                syn::parse_quote!(dynamite::BelongsTo<Order>),
                "BelongsTo",
                Some(&order),
            ),
            (syn::parse_quote!(HasOne<Order>), "HasMany", None),
            (syn::parse_quote!(HasMany), "HasMany", None),
            (syn::parse_quote!(HasMany<Order, Order>), "HasMany", None),
            (syn::parse_quote!(Option<HasMany<Order>>), "HasMany", None),
        ];
        for (ty, container, expected) in &cases {
            assert_eq!(container_argument(ty, container), *expected, "{container}");
        }
    }
}
