//! Every key `#[dynamite(...)]` accepts, named once (after serde_derive's
//! `internals/symbol.rs`): the parser matches on these constants, the
//! checks name them in messages, and the list of model-only keys is built
//! from them, so a key cannot be spelled two ways.

/// `primary_key`: The partition key field.
pub const PRIMARY_KEY: &str = "primary_key";
/// `sort_key`: The sort key field; also the sort key of an `index(...)`.
pub const SORT_KEY: &str = "sort_key";
/// `index`: A GSI on the field.
pub const INDEX: &str = "index";
/// `default`: The value a create builder uses when the field is not set.
pub const DEFAULT: &str = "default";
/// `created_at`: Stamped on create.
pub const CREATED_AT: &str = "created_at";
/// `updated_at`: Stamped on every write.
pub const UPDATED_AT: &str = "updated_at";
/// `version`: Optimistic locking.
pub const VERSION: &str = "version";
/// `unversioned`: a field only `update()` actions change; `save()` never
/// writes it and its changes do not bump the version.
pub const UNVERSIONED: &str = "unversioned";
/// `deleted_at`: Soft delete.
pub const DELETED_AT: &str = "deleted_at";
/// `validate`: A validator function.
pub const VALIDATE: &str = "validate";
/// `not_empty`: The not-empty rule.
pub const NOT_EMPTY: &str = "not_empty";
/// `has_many`: A one-to-many relation.
pub const HAS_MANY: &str = "has_many";
/// `has_one`: A one-to-one relation (first child).
pub const HAS_ONE: &str = "has_one";
/// `belongs_to`: The parent relation.
pub const BELONGS_TO: &str = "belongs_to";
/// `rename`: The stored name of a field or variant.
pub const RENAME: &str = "rename";
/// `rename_all`: The naming rule of every field or variant.
pub const RENAME_ALL: &str = "rename_all";
/// `skip`: A field that is not persisted.
pub const SKIP: &str = "skip";
/// `crate = "path"`: The path of the runtime crate, when renamed.
pub const CRATE: &str = "crate";
/// `table`: The table name of a model.
pub const TABLE: &str = "table";
/// `hooks`: Forward to the model's `impl Hooks`.
pub const HOOKS: &str = "hooks";
/// `ttl`: The time-to-live field, stored as epoch seconds.
pub const TTL: &str = "ttl";
/// `name`: The name of an `index(...)`.
pub const NAME: &str = "name";
/// `foreign_key`: The foreign key field of a relation.
pub const FOREIGN_KEY: &str = "foreign_key";
/// `local_key`: The field a relation's foreign key refers to.
pub const LOCAL_KEY: &str = "local_key";
/// `through = Enrollment`: the junction model of a many-to-many `has_many`.
pub const THROUGH: &str = "through";
/// `far_key = "course_id"`: the junction's field holding the far side's key.
pub const FAR_KEY: &str = "far_key";
/// `type_key = "commentable_type"`: the field naming a polymorphic target.
pub const TYPE_KEY: &str = "type_key";
/// `targets(Post = "post", ..)`: a polymorphic `belongs_to`'s models and type values.
pub const TARGETS: &str = "targets";
/// `pk = "USER#{id}"`: the partition key template of a shared-table model.
pub const PK: &str = "pk";
/// `sk = "ORDER#{id}"`: the sort key template of a shared-table model.
pub const SK: &str = "sk";
/// `entity = "Order"`: the entity type stored with a shared-table model.
pub const ENTITY: &str = "entity";
/// `entity_attribute = "type"`: the attribute holding the entity type.
pub const ENTITY_ATTRIBUTE: &str = "entity_attribute";
/// `pk_attribute = "PK"`: the stored name of the rendered partition key.
pub const PK_ATTRIBUTE: &str = "pk_attribute";
/// `sk_attribute = "SK"`: the stored name of the rendered sort key.
pub const SK_ATTRIBUTE: &str = "sk_attribute";
/// `partition = ["region", "status"]`: the partition attributes of a
/// multi-attribute GSI key (struct-level `index`).
pub const PARTITION: &str = "partition";
/// `sort = ["created_at", "id"]`: its sort attributes.
pub const SORT: &str = "sort";

/// Keys only `#[derive(Table)]` fields accept (refused on `#[derive(Attribute)]`).
pub const TABLE_FIELD_KEYS: &[&str] = &[
    PRIMARY_KEY,
    SORT_KEY,
    INDEX,
    DEFAULT,
    CREATED_AT,
    UPDATED_AT,
    VERSION,
    UNVERSIONED,
    DELETED_AT,
    TTL,
    VALIDATE,
    NOT_EMPTY,
    HAS_MANY,
    HAS_ONE,
    BELONGS_TO,
];
