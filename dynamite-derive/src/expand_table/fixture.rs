//! `Table::__fill_fixture_defaults`: a fixture row (the model's serde form,
//! a JSON object) that leaves out a field `create` would fill gets the same
//! value: its `default = ..`, now for timestamps, 1 for `version`. The row
//! names fields as serde does, so the keys follow `#[serde(rename)]` and
//! `#[serde(rename_all)]`; a field serde skips or flattens is left alone.

use proc_macro2::TokenStream;
use quote::quote;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Lit, Meta, Token};

use super::builder::Defaults;
use crate::ast::{Field, Model};
use crate::case::RenameRule;

/// The method, or nothing when no field has a default.
pub(super) fn fill_fn(model: &Model) -> TokenStream {
    let defaults = Defaults::new(model);
    let container = SerdeNames::container(&model.input.attrs);
    let fills: Vec<TokenStream> = model
        .fields
        .iter()
        .filter(|f| f.persisted())
        .filter_map(|field| {
            let value = defaults.fallback(field)?;
            let key = container.key(field)?;
            let ty = &field.ty;
            Some(quote! {
                if !row.has(#key) {
                    let value: #ty = #value;
                    row.fill(
                        #key,
                        (&::dynamite::__private::FixtureValue(&value)).fixture_json(),
                    );
                }
            })
        })
        .collect();
    if fills.is_empty() {
        return TokenStream::new();
    }
    let now_lets = defaults.now_lets();
    quote! {
        #[allow(clippy::needless_borrow, clippy::clone_on_copy)]
        fn __fill_fixture_defaults(row: &mut ::dynamite::__private::FixtureRow<'_>) {
            #[allow(unused_imports)]
            use ::dynamite::__private::{FixtureNoSerialize as _, FixtureSerialize as _};
            #now_lets
            #(#fills)*
        }
    }
}

/// Serde's container rules for field names.
struct SerdeNames {
    rename_all: Option<Rule>,
}

/// A serde `rename_all` rule (serde's spellings).
#[derive(Clone, Copy)]
enum Rule {
    Known(RenameRule),
    ScreamingKebab,
}

impl SerdeNames {
    fn container(attrs: &[syn::Attribute]) -> Self {
        let mut rename_all = None;
        for meta in serde_metas(attrs) {
            if meta.path().is_ident("rename_all")
                && let Some(rule) = deserialize_str(&meta)
            {
                rename_all = match rule.as_str() {
                    "SCREAMING-KEBAB-CASE" => Some(Rule::ScreamingKebab),
                    other => RenameRule::from_str(other).map(Rule::Known),
                };
            }
        }
        SerdeNames { rename_all }
    }

    /// The key serde reads `field` from; `None` when serde skips or
    /// flattens it (or its attributes do not parse: serde reports those).
    fn key(&self, field: &Field) -> Option<String> {
        let mut key = None;
        for meta in serde_metas(&field.original.attrs) {
            let path = meta.path();
            if ["skip", "skip_deserializing", "flatten"]
                .iter()
                .any(|k| path.is_ident(k))
            {
                return None;
            }
            if path.is_ident("rename") {
                key = deserialize_str(&meta);
            }
        }
        Some(key.unwrap_or_else(|| {
            match self.rename_all {
                None => field.name.clone(),
                Some(Rule::Known(rule)) => rule.apply_to_field(&field.name),
                Some(Rule::ScreamingKebab) => RenameRule::Kebab
                    .apply_to_field(&field.name)
                    .to_ascii_uppercase(),
            }
        }))
    }
}

/// The items of every `#[serde(..)]` attribute (unparsable ones skipped).
fn serde_metas(attrs: &[syn::Attribute]) -> Vec<Meta> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("serde"))
        .filter_map(|a| {
            a.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
                .ok()
        })
        .flatten()
        .collect()
}

/// `key = "x"` or `key(deserialize = "x", ..)`: the name deserializing uses.
fn deserialize_str(meta: &Meta) -> Option<String> {
    match meta {
        Meta::NameValue(nv) => string(&nv.value),
        Meta::List(list) => list
            .parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
            .ok()?
            .into_iter()
            .find_map(|m| match m {
                Meta::NameValue(nv) if nv.path.is_ident("deserialize") => string(&nv.value),
                _ => None,
            }),
        Meta::Path(_) => None,
    }
}

fn string(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Some(s.value()),
        _ => None,
    }
}
