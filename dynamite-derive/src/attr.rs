//! Parsing of `#[dynamite(...)]` attributes.
//!
//! Every problem is recorded in the [`Ctxt`] with the span of the offending
//! tokens and parsing goes on, so all mistakes are reported together:
//! unknown keys, duplicated keys, malformed values and options reserved for
//! later releases.

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Expr, Lit, Token};

use crate::case::RenameRule;
use crate::ctxt::Ctxt;
use crate::symbol::{
    BELONGS_TO, CRATE, CREATED_AT, DEFAULT, DELETED_AT, ENTITY, ENTITY_ATTRIBUTE, FAR_KEY,
    FOREIGN_KEY, HAS_MANY, HAS_ONE, HOOKS, INDEX, LOCAL_KEY, NAME, NOT_EMPTY, PARTITION, PK,
    PK_ATTRIBUTE, PRIMARY_KEY, RENAME, RENAME_ALL, SK, SK_ATTRIBUTE, SKIP, SORT, SORT_KEY, TABLE,
    TABLE_FIELD_KEYS, TARGETS, THROUGH, TTL, TYPE_KEY, UNVERSIONED, UPDATED_AT, VALIDATE, VERSION,
};

/// A parsed value and the span of the tokens it came from.
#[derive(Debug, Clone)]
pub struct WithSpan<T> {
    pub value: T,
    /// Span of the value.
    pub span: Span,
    /// Span of the key (`rename` in `rename = "x"`).
    pub key_span: Span,
}

/// Which derive is parsing (they accept different keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Derive {
    Table,
    Attribute,
}

/// Options on the struct / enum itself.
#[derive(Default)]
pub struct Container {
    /// `table = "name"`
    pub table: Option<WithSpan<String>>,
    /// `rename_all = "rule"`
    pub rename_all: Option<WithSpan<RenameRule>>,
    /// `hooks`: the generated `Table` impl forwards to the user's `impl Hooks`.
    pub hooks: Option<Span>,
    /// `pk = "USER#{id}"`: a shared-table model's partition key template.
    pub pk: Option<WithSpan<String>>,
    /// `sk = "ORDER#{id}"`: its sort key template.
    pub sk: Option<WithSpan<String>>,
    /// `entity = "Order"`: its entity type (the struct name by default).
    pub entity: Option<WithSpan<String>>,
    /// `entity_attribute = ".."` (`entity` by default).
    pub entity_attribute: Option<WithSpan<String>>,
    /// `pk_attribute = ".."` (`pk` by default).
    pub pk_attribute: Option<WithSpan<String>>,
    /// `sk_attribute = ".."` (`sk` by default).
    pub sk_attribute: Option<WithSpan<String>>,
    /// `index(name = "gsi1", pk = "ORDER#{id}", sk = "ORDER")`: overloaded
    /// GSIs of a shared-table model.
    pub indexes: Vec<TemplateIndex>,
    /// `crate = "path"`: the runtime crate under another name.
    pub krate: Option<syn::Path>,
}

/// A struct-level `index(name = "..", pk = "..", sk = "..")` (an overloaded
/// GSI of a shared-table model) or `index(name = "..", partition = [..],
/// sort = [..])` (a multi-attribute GSI key over natural fields).
pub struct TemplateIndex {
    /// Span of the `index` key.
    pub span: Span,
    pub name: Option<WithSpan<String>>,
    pub pk: Option<WithSpan<String>>,
    pub sk: Option<WithSpan<String>>,
    /// `partition = ["region", "status"]` (or one `"region"`).
    pub partition: Option<FieldList>,
    /// `sort = ["created_at", "id"]` (or one `"created_at"`).
    pub sort: Option<FieldList>,
}

/// `key = ["a", "b"]` or `key = "a"`: Rust field names.
pub struct FieldList {
    /// Span of the key (`partition`, `sort`).
    pub key_span: Span,
    pub fields: Vec<WithSpan<String>>,
}

/// Options on one field.
#[derive(Default)]
pub struct Field {
    pub primary_key: Option<Span>,
    pub sort_key: Option<Span>,
    pub indexes: Vec<Index>,
    pub default: Option<WithSpan<DefaultValue>>,
    pub created_at: Option<Span>,
    pub updated_at: Option<Span>,
    pub rename: Option<WithSpan<String>>,
    pub skip: Option<Span>,
    /// `version` (optimistic locking).
    pub version: Option<Span>,
    /// `unversioned` (changed only by `update()` actions, never by `save()`).
    pub unversioned: Option<Span>,
    /// `deleted_at` (soft delete).
    pub deleted_at: Option<Span>,
    /// `ttl` (time to live, epoch seconds).
    pub ttl: Option<Span>,
    /// `validate = path`.
    pub validate: Option<WithSpan<syn::Path>>,
    /// `not_empty`.
    pub not_empty: Option<Span>,
    /// `has_many(..)` / `has_one(..)` / `belongs_to(..)`.
    pub relation: Option<Relation>,
}

/// Options on one enum variant.
#[derive(Default)]
pub struct Variant {
    pub rename: Option<WithSpan<String>>,
}

/// One `index` / `index(name = "..", sort_key = "..")` on a field.
pub struct Index {
    /// Span of the `index` key.
    pub span: Span,
    /// Explicit index name.
    pub name: Option<WithSpan<String>>,
    /// Rust name of the field used as the index sort key.
    pub sort_key: Option<WithSpan<String>>,
}

/// The kind of a relation field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelationKind {
    HasMany,
    HasOne,
    BelongsTo,
}

impl RelationKind {
    /// The attribute key: `has_many`, `has_one`, `belongs_to`.
    pub fn key(self) -> &'static str {
        match self {
            RelationKind::HasMany => HAS_MANY,
            RelationKind::HasOne => HAS_ONE,
            RelationKind::BelongsTo => BELONGS_TO,
        }
    }

    /// The container type the field must have (and the variant of
    /// `dynamite::__private::RelationKind`): `HasMany`, `HasOne`, `BelongsTo`.
    pub fn container(self) -> &'static str {
        match self {
            RelationKind::HasMany => "HasMany",
            RelationKind::HasOne => "HasOne",
            RelationKind::BelongsTo => "BelongsTo",
        }
    }
}

/// A polymorphic target as written: the model and its type value.
pub type Target = (syn::Type, WithSpan<String>);

/// `has_many(foreign_key = "..", local_key = "..")` (or `has_one` / `belongs_to`).
pub struct Relation {
    pub kind: RelationKind,
    /// Rust name of the foreign key field; `None` only after an error was
    /// recorded (it is required).
    pub foreign_key: Option<WithSpan<String>>,
    /// The further fields of a composite foreign key (`foreign_key =
    /// ["user_id", "order_id"]`), matched field by field to the parent's `Key`.
    pub more_foreign_keys: Vec<WithSpan<String>>,
    /// Rust name of the field the foreign key refers to.
    pub local_key: Option<WithSpan<String>>,
    /// `through = Enrollment`: the junction model (`has_many` only).
    pub through: Option<WithSpan<syn::Type>>,
    /// `far_key = "course_id"`: the junction's field referring to the far side.
    pub far_key: Option<WithSpan<String>>,
    /// `type_key = "commentable_type"`: the field naming the target (`belongs_to` only).
    pub type_key: Option<WithSpan<String>>,
    /// `targets(Post = "post", ..)`: each model and its stored type value.
    pub targets: Option<WithSpan<Vec<Target>>>,
}

/// A literal `default`, as written.
pub struct Literal {
    /// The whole expression (`-1` for a negated literal).
    pub expr: Expr,
    /// The literal without its sign.
    pub lit: Lit,
    /// Whether it was negated (only numbers may be).
    pub negative: bool,
}

/// The value of `default = ...`.
pub enum DefaultValue {
    /// `default = "text"` / `42` / `-1` / `1.5` / `true` / `'c'`: it must
    /// fit the field's type (see `literal`).
    Lit(Literal),
    /// `default = some::function`: called with no arguments.
    Path(syn::Path),
    /// `default = uuid`
    Uuid,
    /// `default = ulid`
    Ulid,
    /// `default = now`
    Now,
}

impl Container {
    /// Parses the container attributes of a `derive`.
    pub fn from_ast(cx: &Ctxt, attrs: &[syn::Attribute], derive: Derive) -> Self {
        let mut out = Container::default();
        for_each_meta(cx, attrs, |key, meta| {
            let span = meta.path.span();
            match (key, derive) {
                (TABLE, Derive::Table) => {
                    if let Some(name) = string_value(cx, meta, key, "table = \"users\"")? {
                        if let Err(reason) = check_table_name(&name.value) {
                            cx.error(
                                name.span,
                                format!("invalid table name `{}`: {reason}", name.value),
                            );
                        }
                        set_once(cx, &mut out.table, key, span, name);
                    }
                }
                (RENAME_ALL, _) => {
                    if let Some(rule) = string_value(cx, meta, key, "rename_all = \"camelCase\"")? {
                        match RenameRule::from_str(&rule.value) {
                            Some(value) => {
                                let value = WithSpan {
                                    value,
                                    span: rule.span,
                                    key_span: span,
                                };
                                set_once(cx, &mut out.rename_all, key, span, value);
                            }
                            None => cx.error(
                                rule.span,
                                format!(
                                    "unknown rename_all rule `{}`, expected one of {}",
                                    rule.value,
                                    RenameRule::NAMES
                                ),
                            ),
                        }
                    }
                }
                (HOOKS, Derive::Table) => flag(cx, meta, key, &mut out.hooks)?,
                (CRATE, _) => {
                    if let Some(path) = crate_path(cx, meta)? {
                        set_once(cx, &mut out.krate, key, span, path);
                    }
                }
                (INDEX, Derive::Table) => {
                    if let Some(index) = parse_template_index(cx, meta)? {
                        out.indexes.push(index);
                    }
                }
                (
                    PK | SK | ENTITY | ENTITY_ATTRIBUTE | PK_ATTRIBUTE | SK_ATTRIBUTE,
                    Derive::Table,
                ) => {
                    let example = format!("{key} = \"..\"");
                    if let Some(value) = string_value(cx, meta, key, &example)? {
                        let slot = match key {
                            PK => &mut out.pk,
                            SK => &mut out.sk,
                            ENTITY => &mut out.entity,
                            ENTITY_ATTRIBUTE => &mut out.entity_attribute,
                            PK_ATTRIBUTE => &mut out.pk_attribute,
                            _ => &mut out.sk_attribute,
                        };
                        set_once(cx, slot, key, span, value);
                    }
                }
                (
                    TABLE | HOOKS | PK | SK | ENTITY | ENTITY_ATTRIBUTE | PK_ATTRIBUTE
                    | SK_ATTRIBUTE,
                    Derive::Attribute,
                ) => {
                    cx.error(
                        span,
                        format!("`{key}` is only allowed on `#[derive(Table)]` models"),
                    );
                    skip_value(meta)?;
                }
                _ => unknown(cx, meta, key)?,
            }
            Ok(())
        });
        out
    }
}

impl Field {
    /// Parses the attributes of a field (of a model, a struct or a variant).
    pub fn from_ast(cx: &Ctxt, attrs: &[syn::Attribute], derive: Derive) -> Self {
        let mut out = Field::default();
        for_each_meta(cx, attrs, |key, meta| {
            let span = meta.path.span();
            if derive == Derive::Attribute && TABLE_FIELD_KEYS.contains(&key) {
                cx.error(
                    span,
                    format!("`{key}` is only allowed on `#[derive(Table)]` models"),
                );
                return skip_value(meta);
            }
            match key {
                PRIMARY_KEY => flag(cx, meta, key, &mut out.primary_key)?,
                SORT_KEY => flag(cx, meta, key, &mut out.sort_key)?,
                CREATED_AT => flag(cx, meta, key, &mut out.created_at)?,
                UPDATED_AT => flag(cx, meta, key, &mut out.updated_at)?,
                SKIP => flag(cx, meta, key, &mut out.skip)?,
                VERSION => flag(cx, meta, key, &mut out.version)?,
                UNVERSIONED => flag(cx, meta, key, &mut out.unversioned)?,
                DELETED_AT => flag(cx, meta, key, &mut out.deleted_at)?,
                TTL => flag(cx, meta, key, &mut out.ttl)?,
                NOT_EMPTY => flag(cx, meta, key, &mut out.not_empty)?,
                VALIDATE => {
                    if let Some(path) = parse_validate(cx, meta)? {
                        set_once(cx, &mut out.validate, key, span, path);
                    }
                }
                RENAME => {
                    if let Some(name) = string_value(cx, meta, key, "rename = \"name\"")? {
                        set_once(cx, &mut out.rename, key, span, name);
                    }
                }
                INDEX => {
                    if let Some(index) = parse_index(cx, meta)? {
                        out.indexes.push(index);
                    }
                }
                DEFAULT => {
                    if let Some(value) = parse_default(cx, meta)? {
                        set_once(cx, &mut out.default, key, span, value);
                    }
                }
                HAS_MANY => relation(cx, meta, RelationKind::HasMany, &mut out.relation)?,
                HAS_ONE => relation(cx, meta, RelationKind::HasOne, &mut out.relation)?,
                BELONGS_TO => relation(cx, meta, RelationKind::BelongsTo, &mut out.relation)?,
                _ => unknown(cx, meta, key)?,
            }
            Ok(())
        });
        out
    }
}

impl Variant {
    /// Parses the attributes of an enum variant.
    pub fn from_ast(cx: &Ctxt, attrs: &[syn::Attribute]) -> Self {
        let mut out = Variant::default();
        for_each_meta(cx, attrs, |key, meta| {
            let span = meta.path.span();
            match key {
                RENAME => {
                    if let Some(name) = string_value(cx, meta, key, "rename = \"name\"")? {
                        set_once(cx, &mut out.rename, key, span, name);
                    }
                }
                _ => unknown(cx, meta, key)?,
            }
            Ok(())
        });
        out
    }
}

/// Calls `f` with each key of each `#[dynamite(...)]` attribute. A syn error
/// (from `f` or from the attribute's syntax) is recorded and ends that attribute.
fn for_each_meta(
    cx: &Ctxt,
    attrs: &[syn::Attribute],
    mut f: impl FnMut(&str, &ParseNestedMeta) -> syn::Result<()>,
) {
    for attr in attrs.iter().filter(|a| a.path().is_ident("dynamite")) {
        let result = attr.parse_nested_meta(|meta| match meta.path.get_ident() {
            Some(ident) => f(&ident.unraw().to_string(), &meta),
            None => {
                let path = path_to_string(&meta.path);
                cx.error_spanned_by(&meta.path, format!("unknown dynamite attribute `{path}`"));
                skip_value(&meta)
            }
        });
        if let Err(error) = result {
            cx.syn_error(error);
        }
    }
}

/// `crate = "path"`: a path, as a string (serde's form).
fn crate_path(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<syn::Path>> {
    let Some(text) = string_value(cx, meta, CRATE, "crate = \"my_dynamite\"")? else {
        return Ok(None);
    };
    match syn::parse_str::<syn::Path>(&text.value) {
        Ok(path) => Ok(Some(path)),
        Err(_) => {
            cx.error(
                text.span,
                format!("`{}` is not a path: `crate = \"my_dynamite\"`", text.value),
            );
            Ok(None)
        }
    }
}

/// The `crate = ".."` of a derive that takes no other container option
/// (`#[derive(Entities)]`); any other key is an error.
pub fn crate_only(cx: &Ctxt, attrs: &[syn::Attribute]) -> Option<syn::Path> {
    let mut krate = None;
    for_each_meta(cx, attrs, |key, meta| {
        if key == CRATE {
            if let Some(path) = crate_path(cx, meta)? {
                set_once(cx, &mut krate, key, meta.path.span(), path);
            }
            Ok(())
        } else {
            unknown(cx, meta, key)
        }
    });
    krate
}

fn path_to_string(path: &syn::Path) -> String {
    path.segments
        .iter()
        .map(|s| s.ident.unraw().to_string())
        .collect::<Vec<_>>()
        .join("::")
}

/// Stores `value` unless the key was already given.
fn set_once<T>(cx: &Ctxt, slot: &mut Option<T>, key: &str, span: Span, value: T) {
    if slot.is_some() {
        cx.error(span, format!("duplicate dynamite attribute `{key}`"));
    } else {
        *slot = Some(value);
    }
}

/// Consumes whatever follows a key (`= expr` or `(...)`), to go on parsing
/// after an error.
fn skip_value(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.input.parse::<Token![=]>()?;
        meta.input.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.input.parse::<proc_macro2::TokenTree>()?;
    }
    Ok(())
}

fn unknown(cx: &Ctxt, meta: &ParseNestedMeta, key: &str) -> syn::Result<()> {
    cx.error(
        meta.path.span(),
        format!("unknown dynamite attribute `{key}`"),
    );
    skip_value(meta)
}

/// A key without a value, like `primary_key`.
fn flag(cx: &Ctxt, meta: &ParseNestedMeta, key: &str, slot: &mut Option<Span>) -> syn::Result<()> {
    let span = meta.path.span();
    if meta.input.peek(Token![=]) || meta.input.peek(syn::token::Paren) {
        cx.error(
            span,
            format!("`{key}` takes no value: write `#[dynamite({key})]`"),
        );
        return skip_value(meta);
    }
    set_once(cx, slot, key, span, span);
    Ok(())
}

/// `key = "non-empty string"`.
fn string_value(
    cx: &Ctxt,
    meta: &ParseNestedMeta,
    key: &str,
    example: &str,
) -> syn::Result<Option<WithSpan<String>>> {
    if !meta.input.peek(Token![=]) {
        cx.error(
            meta.path.span(),
            format!("`{key}` expects a string: `{example}`"),
        );
        skip_value(meta)?;
        return Ok(None);
    }
    let expr: Expr = meta.value()?.parse()?;
    match &expr {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(s), ..
        }) => {
            let value = s.value();
            if value.is_empty() {
                cx.error(s.span(), format!("`{key}` cannot be empty"));
                return Ok(None);
            }
            Ok(Some(WithSpan {
                value,
                span: s.span(),
                key_span: meta.path.span(),
            }))
        }
        _ => {
            cx.error_spanned_by(&expr, format!("`{key}` expects a string: `{example}`"));
            Ok(None)
        }
    }
}

/// `index(name = "gsi1", pk = "ORDER#{id}", sk = "ORDER")` on the struct.
fn parse_template_index(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<TemplateIndex>> {
    let span = meta.path.span();
    let mut index = TemplateIndex {
        span,
        name: None,
        pk: None,
        sk: None,
        partition: None,
        sort: None,
    };
    if !meta.input.peek(syn::token::Paren) {
        cx.error(
            span,
            "a struct-level `index` takes its templates: `index(name = \"gsi1\", pk = \"ORDER#{id}\", sk = \"ORDER\")`",
        );
        skip_value(meta)?;
        return Ok(None);
    }
    meta.parse_nested_meta(|inner| {
        let key = match inner.path.get_ident() {
            Some(ident) => ident.unraw().to_string(),
            None => path_to_string(&inner.path),
        };
        let key_span = inner.path.span();
        if key == PARTITION || key == SORT {
            let slot = if key == PARTITION {
                &mut index.partition
            } else {
                &mut index.sort
            };
            if slot.is_some() {
                cx.error(key_span, format!("duplicate dynamite attribute `{key}`"));
                return skip_value(&inner);
            }
            *slot = field_list(cx, &inner, &key)?;
            return Ok(());
        }
        let slot = match key.as_str() {
            NAME => &mut index.name,
            PK => &mut index.pk,
            SK => &mut index.sk,
            _ => {
                let message = format!(
                    "unknown dynamite attribute `{key}` in a struct-level `index(...)`, expected \
                     `name`, `pk` / `sk` (key templates) or `partition` / `sort` (fields)"
                );
                cx.error(key_span, message);
                return skip_value(&inner);
            }
        };
        let example = format!("{key} = \"..\"");
        if let Some(value) = string_value(cx, &inner, &key, &example)? {
            set_once(cx, slot, &key, key_span, value);
        }
        Ok(())
    })?;
    Ok(Some(index))
}

fn parse_index(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<Index>> {
    let span = meta.path.span();
    let mut index = Index {
        span,
        name: None,
        sort_key: None,
    };
    if meta.input.peek(Token![=]) {
        cx.error(
            span,
            "`index` takes no value: write `index` or `index(name = \"..\", sort_key = \"..\")`",
        );
        skip_value(meta)?;
        return Ok(None);
    }
    if !meta.input.peek(syn::token::Paren) {
        return Ok(Some(index));
    }
    meta.parse_nested_meta(|inner| {
        let key = match inner.path.get_ident() {
            Some(ident) => ident.unraw().to_string(),
            None => path_to_string(&inner.path),
        };
        let key_span = inner.path.span();
        match key.as_str() {
            NAME => {
                if let Some(name) = string_value(cx, &inner, NAME, "name = \"by_email\"")? {
                    if let Err(reason) = check_table_name(&name.value) {
                        let message = format!("invalid index name `{}`: {reason}", name.value);
                        cx.error(name.span, message);
                    }
                    set_once(cx, &mut index.name, NAME, key_span, name);
                }
            }
            SORT_KEY => {
                let example = "sort_key = \"created_at\"";
                if let Some(field) = string_value(cx, &inner, SORT_KEY, example)? {
                    set_once(cx, &mut index.sort_key, SORT_KEY, key_span, field);
                }
            }
            _ => {
                let message = format!(
                    "unknown dynamite attribute `{key}` in `index(...)`, expected `name` or `sort_key`"
                );
                cx.error(key_span, message);
                skip_value(&inner)?;
            }
        }
        Ok(())
    })?;
    Ok(Some(index))
}

/// Parses a relation key into `slot`; a field holds at most one relation.
fn relation(
    cx: &Ctxt,
    meta: &ParseNestedMeta,
    kind: RelationKind,
    slot: &mut Option<Relation>,
) -> syn::Result<()> {
    let span = meta.path.span();
    let relation = parse_relation(cx, meta, kind)?;
    let key = kind.key();
    match slot {
        Some(first) if first.kind == kind => {
            cx.error(span, format!("duplicate dynamite attribute `{key}`"));
        }
        Some(first) => cx.error(
            span,
            format!("`{key}` cannot be combined with `{}`", first.kind.key()),
        ),
        None => *slot = Some(relation),
    }
    Ok(())
}

fn parse_relation(cx: &Ctxt, meta: &ParseNestedMeta, kind: RelationKind) -> syn::Result<Relation> {
    let key = kind.key();
    let span = meta.path.span();
    let mut relation = Relation {
        kind,
        foreign_key: None,
        more_foreign_keys: Vec::new(),
        local_key: None,
        through: None,
        far_key: None,
        type_key: None,
        targets: None,
    };
    // Set when `foreign_key` was written, even with a bad value (already reported).
    let mut foreign_key_written = false;
    if !meta.input.peek(syn::token::Paren) {
        cx.error(
            span,
            format!("`{key}` expects its keys in parentheses: `{key}(foreign_key = \"user_id\")`"),
        );
        skip_value(meta)?;
        return Ok(relation);
    }
    let empty = matches!(
        meta.input.fork().parse::<proc_macro2::TokenTree>(),
        Ok(proc_macro2::TokenTree::Group(group)) if group.stream().is_empty()
    );
    if empty {
        // `has_many()`: syn's nested-meta parser rejects empty parentheses.
        meta.input.parse::<proc_macro2::TokenTree>()?;
    } else {
        meta.parse_nested_meta(|inner| {
            relation_key(cx, &inner, kind, &mut relation, &mut foreign_key_written)
        })?;
    }
    if !foreign_key_written {
        cx.error(
            span,
            format!("`{key}` requires a foreign key: `{key}(foreign_key = \"user_id\")`"),
        );
    }
    check_relation_shape(cx, &relation);
    Ok(relation)
}

/// The keys that only make sense together: `through` with `far_key` (on a
/// `has_many`), `type_key` with `targets` (on a `belongs_to`).
fn check_relation_shape(cx: &Ctxt, relation: &Relation) {
    let key = relation.kind.key();
    if let Some(through) = &relation.through {
        if relation.kind != RelationKind::HasMany {
            cx.error(
                through.key_span,
                format!("`{THROUGH}` goes on a `has_many` (a many-to-many), not on `{key}`"),
            );
        } else if relation.far_key.is_none() {
            cx.error(
                through.key_span,
                format!(
                    "`{THROUGH}` needs `{FAR_KEY}`, the junction's field holding the far key: \
                     `has_many(through = Enrollment, foreign_key = \"student_id\", far_key = \"course_id\")`"
                ),
            );
        }
        if !relation.more_foreign_keys.is_empty() {
            cx.error(
                through.key_span,
                format!("`{THROUGH}` takes one foreign key field, not a composite one"),
            );
        }
    } else if let Some(far) = &relation.far_key {
        cx.error(
            far.key_span,
            format!("`{FAR_KEY}` needs `{THROUGH} = JunctionModel`"),
        );
    }
    match (&relation.type_key, &relation.targets) {
        (Some(_), Some(_)) | (None, None) => {}
        (Some(type_key), None) => cx.error(
            type_key.key_span,
            format!("`{TYPE_KEY}` needs `{TARGETS}(Post = \"post\", ..)`, the models it names"),
        ),
        (None, Some(targets)) => cx.error(
            targets.key_span,
            format!("`{TARGETS}` needs `{TYPE_KEY} = \"..\"`, the field naming the target"),
        ),
    }
    let polymorphic = (relation.type_key.as_ref().map(|k| k.key_span))
        .or_else(|| relation.targets.as_ref().map(|t| t.key_span));
    if let Some(polymorphic) = polymorphic {
        if relation.kind != RelationKind::BelongsTo {
            cx.error(
                polymorphic,
                format!("a polymorphic relation is a `belongs_to`, not a `{key}`"),
            );
        } else if !relation.more_foreign_keys.is_empty() || relation.local_key.is_some() {
            cx.error(
                polymorphic,
                "a polymorphic `belongs_to` refers to each target's primary key: \
                 one `foreign_key`, no `local_key`",
            );
        }
    }
}

/// One key inside `has_many(...)`: `foreign_key = ".."` or `local_key = ".."`.
fn relation_key(
    cx: &Ctxt,
    inner: &ParseNestedMeta,
    kind: RelationKind,
    relation: &mut Relation,
    foreign_key_written: &mut bool,
) -> syn::Result<()> {
    let inner_key = match inner.path.get_ident() {
        Some(ident) => ident.unraw().to_string(),
        None => path_to_string(&inner.path),
    };
    let key_span = inner.path.span();
    match inner_key.as_str() {
        FOREIGN_KEY => {
            *foreign_key_written = true;
            if relation.foreign_key.is_some() {
                cx.error(
                    key_span,
                    format!("duplicate dynamite attribute `{FOREIGN_KEY}`"),
                );
                return skip_value(inner);
            }
            if let Some(fields) = string_list(cx, inner)? {
                let mut fields = fields.into_iter();
                relation.foreign_key = fields.next();
                relation.more_foreign_keys = fields.collect();
                return Ok(());
            }
            let example = "foreign_key = \"user_id\"";
            if let Some(field) = string_value(cx, inner, FOREIGN_KEY, example)? {
                set_once(cx, &mut relation.foreign_key, FOREIGN_KEY, key_span, field);
            }
        }
        LOCAL_KEY => {
            let example = "local_key = \"id\"";
            if let Some(field) = string_value(cx, inner, LOCAL_KEY, example)? {
                set_once(cx, &mut relation.local_key, LOCAL_KEY, key_span, field);
            }
        }
        THROUGH => {
            if !inner.input.peek(Token![=]) {
                cx.error(
                    key_span,
                    "`through` expects a model: `through = Enrollment`",
                );
                return skip_value(inner);
            }
            let expr: Expr = inner.value()?.parse()?;
            let Expr::Path(path) = &expr else {
                cx.error_spanned_by(&expr, "`through` expects a model: `through = Enrollment`");
                return Ok(());
            };
            let ty = syn::Type::Path(syn::TypePath {
                qself: path.qself.clone(),
                path: path.path.clone(),
            });
            let span = expr.span();
            set_once(
                cx,
                &mut relation.through,
                THROUGH,
                key_span,
                WithSpan {
                    value: ty,
                    span,
                    key_span,
                },
            );
        }
        FAR_KEY => {
            let example = "far_key = \"course_id\"";
            if let Some(field) = string_value(cx, inner, FAR_KEY, example)? {
                set_once(cx, &mut relation.far_key, FAR_KEY, key_span, field);
            }
        }
        TYPE_KEY => {
            let example = "type_key = \"commentable_type\"";
            if let Some(field) = string_value(cx, inner, TYPE_KEY, example)? {
                set_once(cx, &mut relation.type_key, TYPE_KEY, key_span, field);
            }
        }
        TARGETS => {
            let targets = parse_targets(cx, inner)?;
            set_once(cx, &mut relation.targets, TARGETS, key_span, targets);
        }
        _ => {
            let message = format!(
                "unknown dynamite attribute `{inner_key}` in `{}(...)`, \
                 expected `foreign_key`, `local_key`, `through`, `far_key`, `type_key` or `targets`",
                kind.key()
            );
            cx.error(key_span, message);
            skip_value(inner)?;
        }
    }
    Ok(())
}

/// `targets(Post = "post", Video = "video")`: each model and the value
/// its type field stores; values must be distinct and non-empty.
fn parse_targets(cx: &Ctxt, inner: &ParseNestedMeta) -> syn::Result<WithSpan<Vec<Target>>> {
    let key_span = inner.path.span();
    let mut targets: Vec<Target> = Vec::new();
    if !inner.input.peek(syn::token::Paren) {
        cx.error(
            key_span,
            "`targets` lists models and their type values: `targets(Post = \"post\")`",
        );
        skip_value(inner)?;
    } else if matches!(
        inner.input.fork().parse::<proc_macro2::TokenTree>(),
        Ok(proc_macro2::TokenTree::Group(group)) if group.stream().is_empty()
    ) {
        // `targets()`: syn's nested-meta parser rejects empty parentheses.
        inner.input.parse::<proc_macro2::TokenTree>()?;
        cx.error(
            key_span,
            "`targets` names at least one model: `targets(Post = \"post\")`",
        );
    } else {
        let mut bad = false;
        inner.parse_nested_meta(|target| {
            let ty = syn::Type::Path(syn::TypePath {
                qself: None,
                path: target.path.clone(),
            });
            let name = path_to_string(&target.path);
            let example = format!("{name} = \"{}\"", name.to_lowercase());
            let value = string_value(cx, &target, &name, &example)?;
            bad |= value.is_none();
            if let Some(value) = value {
                if targets.iter().any(|(_, v)| v.value == value.value) {
                    cx.error(
                        value.span,
                        format!("duplicate type value {:?}", value.value),
                    );
                } else {
                    targets.push((ty, value));
                }
            }
            Ok(())
        })?;
        if targets.is_empty() && !bad {
            cx.error(
                key_span,
                "`targets` names at least one model: `targets(Post = \"post\")`",
            );
        }
    }
    Ok(WithSpan {
        value: targets,
        span: key_span,
        key_span,
    })
}

/// `partition = ["region", "status"]` or `partition = "region"`: field
/// names (each a non-empty string).
fn field_list(cx: &Ctxt, inner: &ParseNestedMeta, key: &str) -> syn::Result<Option<FieldList>> {
    let key_span = inner.path.span();
    let example = format!("`{key} = [\"region\", \"status\"]` or `{key} = \"region\"`");
    if !inner.input.peek(Token![=]) {
        cx.error(key_span, format!("`{key}` lists field names: {example}"));
        skip_value(inner)?;
        return Ok(None);
    }
    let expr: Expr = inner.value()?.parse()?;
    let elements: Vec<&Expr> = match &expr {
        Expr::Array(array) => array.elems.iter().collect(),
        single => vec![single],
    };
    // Reported problems leave the list short, never absent: the index is
    // still one over fields.
    let mut fields = Vec::new();
    for element in elements {
        match field_name(element, key_span) {
            Some(field) => fields.push(field),
            None => cx.error_spanned_by(element, format!("`{key}` lists field names: {example}")),
        }
    }
    if matches!(&expr, Expr::Array(array) if array.elems.is_empty()) {
        cx.error_spanned_by(
            &expr,
            format!("`{key}` names at least one field: {example}"),
        );
    }
    Ok(Some(FieldList { key_span, fields }))
}

/// A non-empty string literal naming a field.
fn field_name(expr: &Expr, key_span: Span) -> Option<WithSpan<String>> {
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(s), ..
        }) if !s.value().is_empty() => Some(WithSpan {
            value: s.value(),
            span: s.span(),
            key_span,
        }),
        _ => None,
    }
}

/// `key = ["a", "b"]`: a list of non-empty strings; `None` when the value
/// is not a list (the caller parses it as a single string).
fn string_list(cx: &Ctxt, inner: &ParseNestedMeta) -> syn::Result<Option<Vec<WithSpan<String>>>> {
    if !inner.input.peek(Token![=]) || !inner.input.peek2(syn::token::Bracket) {
        return Ok(None);
    }
    let expr: Expr = inner.value()?.parse()?;
    let Expr::Array(array) = &expr else {
        return Ok(None);
    };
    let mut fields = Vec::new();
    for element in &array.elems {
        match field_name(element, inner.path.span()) {
            Some(field) => fields.push(field),
            None => cx.error_spanned_by(
                element,
                "a composite foreign key lists field names: `[\"user_id\", \"order_id\"]`",
            ),
        }
    }
    if fields.len() < 2 {
        cx.error_spanned_by(&expr, "a composite foreign key names at least two fields; write one as `foreign_key = \"user_id\"`");
    }
    Ok(Some(fields))
}

/// `validate = some::function`.
fn parse_validate(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<WithSpan<syn::Path>>> {
    const EXPECTED: &str = "`validate` expects a function path: `validate = check_email` \
                            (a `fn(&FieldType) -> Result<(), impl Display>`)";
    if !meta.input.peek(Token![=]) {
        cx.error(meta.path.span(), EXPECTED);
        skip_value(meta)?;
        return Ok(None);
    }
    let expr: Expr = meta.value()?.parse()?;
    match &expr {
        Expr::Path(path) if path.qself.is_none() && path.attrs.is_empty() => Ok(Some(WithSpan {
            value: path.path.clone(),
            span: expr.span(),
            key_span: meta.path.span(),
        })),
        _ => {
            cx.error_spanned_by(&expr, EXPECTED);
            Ok(None)
        }
    }
}

fn parse_default(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<WithSpan<DefaultValue>>> {
    const EXPECTED: &str = "`default` expects a literal, a function path, `uuid`, `ulid` or `now`";
    if !meta.input.peek(Token![=]) {
        cx.error(
            meta.path.span(),
            format!("{EXPECTED}: `default = \"value\"`"),
        );
        skip_value(meta)?;
        return Ok(None);
    }
    let expr: Expr = meta.value()?.parse()?;
    let span = expr.span();
    let value = match &expr {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Str(_) | Lit::Int(_) | Lit::Float(_) | Lit::Bool(_) | Lit::Char(_) => {
                DefaultValue::Lit(Literal {
                    lit: lit.lit.clone(),
                    expr: expr.clone(),
                    negative: false,
                })
            }
            _ => {
                cx.error(span, EXPECTED);
                return Ok(None);
            }
        },
        Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Neg(_),
            expr: inner,
            ..
        }) => match &**inner {
            Expr::Lit(syn::ExprLit {
                lit: lit @ (Lit::Int(_) | Lit::Float(_)),
                ..
            }) => DefaultValue::Lit(Literal {
                lit: lit.clone(),
                expr: expr.clone(),
                negative: true,
            }),
            _ => {
                cx.error_spanned_by(&expr, EXPECTED);
                return Ok(None);
            }
        },
        Expr::Path(path) if path.qself.is_none() && path.attrs.is_empty() => {
            match path.path.get_ident().map(|i| i.to_string()).as_deref() {
                Some("uuid") => DefaultValue::Uuid,
                Some("ulid") => DefaultValue::Ulid,
                Some("now") => DefaultValue::Now,
                _ => DefaultValue::Path(path.path.clone()),
            }
        }
        _ => {
            cx.error_spanned_by(&expr, EXPECTED);
            return Ok(None);
        }
    };
    Ok(Some(WithSpan {
        value,
        span,
        key_span: meta.path.span(),
    }))
}

/// DynamoDB's rule for table and index names.
pub fn check_table_name(name: &str) -> Result<(), &'static str> {
    let valid_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !(3..=255).contains(&name.len()) {
        return Err("DynamoDB names are 3 to 255 characters long");
    }
    if !valid_chars {
        return Err("DynamoDB names contain only A-Z, a-z, 0-9, `_`, `-` and `.`");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_table_name;

    #[test]
    fn table_names_follow_dynamodb_rules() {
        assert!(check_table_name("users").is_ok());
        assert!(check_table_name("my-app.users_v2").is_ok());
        assert!(check_table_name("ab").is_err());
        assert!(check_table_name(&"a".repeat(256)).is_err());
        assert!(check_table_name(&"a".repeat(255)).is_ok());
        assert!(check_table_name("user items").is_err());
        assert!(check_table_name("usér").is_err());
    }
}
