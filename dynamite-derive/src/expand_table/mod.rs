//! Code generation for `#[derive(Table)]`.
//!
//! Everything is wrapped in `const _: () = { ... };`: the create builder and
//! its `Missing<Field>` markers cannot be named (or clash) outside. The only
//! inherent items on the model are its column constants (`User::EMAIL`), one
//! `IndexRef` constant per declared index (`Task::BY_ASSIGNEE`), one
//! function per relation field, named like the field (`User::orders()`),
//! and for a key of several fields `key()` (the named key builder, see
//! `key_builder`); everything else is a trait item, so stored fields named `query`,
//! `create`, `exec` or `r#type` never clash with generated code. A relation
//! function or a column constant that would shadow a trait item (a relation
//! field `get`, a field `meta`) is refused by `check` (see `reserved`).

mod builder;
mod columns;
mod fixture;
mod hooks;
mod item;
mod key_builder;
mod keys;
mod meta;
mod relations;
mod validation;

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use crate::ast::{Field, Model};
use crate::check::{Schema, check_model};
use crate::ctxt::{Ctxt, gave_up};
use builder::Builder;
use columns::columns;
use hooks::hook_fns;
use key_builder::KeyBuilder;
use keys::{key_consts, key_fns};
use meta::meta;
use relations::relation_checks;
use validation::validate_fns;

/// Entry point of `#[derive(Table)]`.
pub fn derive(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let model = Model::from_ast(&cx, input);
    let schema = model.as_ref().and_then(|m| check_model(&cx, m));
    match (cx.check(), &model, schema) {
        (Ok(()), Some(model), Some(schema)) => match &model.attrs.krate {
            Some(path) => crate::crate_path::rewrite(expand(model, &schema), path),
            None => expand(model, &schema),
        },
        (Err(errors), _, _) => errors,
        (Ok(()), _, _) => gave_up(&input.ident, "Table"),
    }
}

fn expand(model: &Model, schema: &Schema) -> TokenStream {
    let ident = model.ident;
    let persisted: Vec<&Field> = model.fields.iter().filter(|f| f.persisted()).collect();

    let key_consts = key_consts(model, schema);
    let key_fns = key_fns(schema);
    let key_builder = KeyBuilder::new(model, schema);
    let key_builder_items = key_builder.items();
    let key_fields_type = key_builder.key_fields_type();
    let relation_checks = relation_checks(model, schema);
    let meta = meta(model, schema, &persisted);
    let columns = columns(ident, &persisted, schema);
    let builder = Builder::new(model);
    let builder_items = builder.items();
    let builder_type = builder.initial_type();
    let builder_init = builder.initial_value();

    let conversions = item::conversion_fns(model, &persisted);
    let stamps = item::stamp_fns(schema);
    let versioned = item::versioned_impl(ident, schema);
    let validate = validate_fns(&persisted);
    let hooks = model.attrs.hooks.map(|_| hook_fns());
    let fixture_defaults = fixture::fill_fn(model);

    // Includes write relation fields and users read them, but a crate may
    // only ever lazy-load one (`User::orders().of(&user)`): count the fields
    // as read so `dead_code` does not report them (an allowed item is a
    // root of the dead-code analysis).
    let relation_reads = (!schema.relations.is_empty()).then(|| {
        let members = schema.relations.iter().map(|r| &r.field.member);
        quote! {
            #[allow(dead_code)]
            fn __dynamite_relation_fields(model: &#ident) {
                #(let _ = &model.#members;)*
            }
        }
    });

    quote! {
        #columns

        #[doc(hidden)]
        const _: () = {
            #key_consts
            #relation_checks
            #relation_reads
            #builder_items
            #key_builder_items

            #[automatically_derived]
            impl ::dynamite::Table for #ident {
                #meta

                type Builder = #builder_type;

                #key_fields_type
                #key_fns

                fn create() -> Self::Builder {
                    #builder_init
                }

                #conversions
                #stamps
                #validate
                #hooks
                #fixture_defaults
            }

            #versioned
        };
    }
}
