//! Derive macros for [Dynamite](https://docs.rs/dynamite-orm), an async DynamoDB ORM.
//!
//! Use them through the runtime crate: `use dynamite::prelude::*;` then
//! `#[derive(Table)]` on models and `#[derive(Attribute)]` on nested structs
//! and enums. The stages follow serde_derive: `ast` (internal AST keeping
//! syn nodes for spans), `attr` (parsing `#[dynamite(...)]`, every key named
//! once in `symbol`), `check` (cross-field checks, literal defaults fitted
//! to their field types in `literal`, names the model's traits reserve in
//! `reserved`), then code generation:
//! `expand_attribute`, and `expand_table/` split by concern (metadata, keys,
//! item conversion, columns, relations, create builder, validation, hooks).
//! Generated code calls only `dynamite::__private` helpers and the public
//! traits. Errors from every stage are collected (`ctxt`) and reported
//! together; a derive never expands to nothing.

mod ast;
mod attr;
mod case;
mod check;
mod crate_path;
mod ctxt;
mod expand_attribute;
mod expand_entities;
mod expand_table;
mod literal;
mod reserved;
mod symbol;
mod template;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Derives `dynamite::Table` for a struct with named fields.
///
/// See the `dynamite` crate documentation for the options of
/// `#[dynamite(...)]`. On every derive, `#[dynamite(crate = "path")]`
/// names the runtime crate when the dependency is renamed
/// (`db = { package = "dynamite-orm", .. }` then `crate = "db"`).
#[proc_macro_derive(Table, attributes(dynamite))]
pub fn derive_table(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand_table::derive(&input).into()
}

/// Derives `dynamite::Attribute` for a struct (stored as a map), a newtype
/// struct (stored as its inner value) or an enum (stored as a string, or
/// externally tagged when variants carry data).
#[proc_macro_derive(Attribute, attributes(dynamite))]
pub fn derive_attribute(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand_attribute::derive(&input).into()
}

/// Derives `dynamite::Entities` for an enum with one variant per model of a
/// shared table (`enum UserItem { User(User), Order(Order) }`): a whole
/// partition read with `Partition::<UserItem>::of::<User>(key)` comes back
/// typed, each item as the variant its entity type names.
#[proc_macro_derive(Entities, attributes(dynamite))]
pub fn derive_entities(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand_entities::derive(&input).into()
}
