//! Names the model's traits already use, which the derive's inherent items
//! must not take: an inherent item wins over a trait item in a path, so a
//! relation field named `get` would make `User::get(&db, key)` call the
//! relation function instead of `TableReads::get`.
//!
//! Only items called through the model's path count: associated functions
//! without a `self` receiver (method calls never see an inherent function
//! without `self`) and associated constants. Keep these lists in step with
//! the traits `Table`, `TableReads`, `ModelExt`, `BulkWrites` and
//! `SetWrites` of the runtime crate.

/// The associated functions without `self` of the traits every model
/// implements, with their trait: a relation function (named like its field)
/// must not take one of these names.
pub const TRAIT_FNS: &[(&str, &str)] = &[
    // `Table`
    ("key_item", "Table"),
    ("key_fields", "Table"),
    ("create", "Table"),
    ("from_item", "Table"),
    ("validate_stored", "Table"),
    ("deleted_at_now", "Table"),
    ("meta", "Table"),
    ("__before_update", "Table"),
    ("__after_update", "Table"),
    ("__before_delete", "Table"),
    ("__after_delete", "Table"),
    ("__fill_fixture_defaults", "Table"),
    // `TableReads`
    ("query", "TableReads"),
    ("get", "TableReads"),
    ("get_many", "TableReads"),
    // `ModelExt`
    ("update_key", "ModelExt"),
    ("delete_key", "ModelExt"),
    ("delete_key_expecting", "ModelExt"),
    ("force_delete_key", "ModelExt"),
    // `BulkWrites`
    ("put_many", "BulkWrites"),
    ("create_many", "BulkWrites"),
    ("delete_many", "BulkWrites"),
    ("delete_rows_many", "BulkWrites"),
    // `SetWrites`
    ("update_where", "SetWrites"),
    ("delete_where", "SetWrites"),
];

/// The associated constants of those traits, with their trait: a column
/// constant (the field's name in SCREAMING_SNAKE_CASE) must not take one.
pub const TRAIT_CONSTS: &[(&str, &str)] = &[("META", "Table")];

/// The trait whose associated function `name` is, if any.
pub fn trait_fn(name: &str) -> Option<&'static str> {
    TRAIT_FNS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// The trait whose associated constant `name` is, if any.
pub fn trait_const(name: &str) -> Option<&'static str> {
    TRAIT_CONSTS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
}
