//! A row as an item and back (`to_item` / `from_item`), and the stamps a
//! write applies to the row in hand (`touch`, `bump_version`,
//! `deleted_at_now`).

use proc_macro2::TokenStream;
use quote::quote;

use crate::ast::{Field, Model};
use crate::check::Schema;

/// `to_item` and `from_item`: persisted fields through `Attribute` (the
/// `ttl` field through `Expiry`, as epoch seconds), the others `Default`.
pub(super) fn conversion_fns(model: &Model, persisted: &[&Field]) -> TokenStream {
    let capacity = persisted.len();
    let writes = persisted.iter().map(|f| {
        let stored = &f.stored;
        let member = &f.member;
        if f.attrs.ttl.is_some() {
            return quote! {
                ::dynamite::__private::write_expiry(
                    &<Self as ::dynamite::Table>::META, &mut item, #stored, &self.#member,
                )?;
            };
        }
        quote! {
            ::dynamite::__private::write_attribute(
                &<Self as ::dynamite::Table>::META, &mut item, #stored, &self.#member,
            )?;
        }
    });
    let reads = model.fields.iter().map(|f| {
        let member = &f.member;
        let ty = &f.ty;
        let stored = &f.stored;
        if f.attrs.ttl.is_some() {
            quote! {
                #member: ::dynamite::__private::read_expiry::<#ty>(
                    &<Self as ::dynamite::Table>::META, &mut item, #stored,
                )?
            }
        } else if f.persisted() {
            quote! {
                #member: ::dynamite::__private::read_attribute::<#ty>(
                    &<Self as ::dynamite::Table>::META, &mut item, #stored,
                )?
            }
        } else {
            quote!(#member: ::core::default::Default::default())
        }
    });
    quote! {
        fn to_item(&self) -> ::dynamite::Result<::dynamite::__private::Item> {
            let mut item = ::dynamite::__private::Item::with_capacity(#capacity);
            #(#writes)*
            // A shared-table model: the rendered keys and the entity type.
            <Self as ::dynamite::Table>::META.render_keys(&mut item)?;
            ::core::result::Result::Ok(item)
        }

        fn from_item(mut item: ::dynamite::__private::Item) -> ::dynamite::Result<Self> {
            ::core::result::Result::Ok(Self {
                #(#reads,)*
            })
        }
    }
}

/// `impl Versioned` for a model with a `version` field: the writes that
/// take an expected version from the caller exist only then.
pub(super) fn versioned_impl(ident: &syn::Ident, schema: &Schema) -> Option<TokenStream> {
    let ty = &schema.version?.ty;
    Some(quote! {
        #[automatically_derived]
        impl ::dynamite::Versioned for #ident {
            type Version = #ty;
        }
    })
}

/// `touch` (`updated_at`), `bump_version` (`version`) and `deleted_at_now`
/// (`deleted_at`), each only when the model has that field.
pub(super) fn stamp_fns(schema: &Schema) -> TokenStream {
    let touch = schema.updated_at.map(|f| {
        let member = &f.member;
        let ty = &f.ty;
        quote! {
            fn touch(&mut self) {
                self.#member = <#ty as ::dynamite::Timestamp>::now();
            }
        }
    });

    let version = schema.version.map(|f| {
        let member = &f.member;
        quote! {
            fn bump_version(&mut self) {
                self.#member = self.#member.wrapping_add(1);
            }
        }
    });
    let deleted_at = schema.deleted_at.map(|f| {
        let ty = &f.ty;
        let stored = &f.stored;
        quote! {
            fn deleted_at_now() -> ::dynamite::Result<
                ::core::option::Option<::dynamite::__private::AttributeValue>,
            > {
                let now: #ty = <#ty as ::dynamite::Timestamp>::now();
                <#ty as ::dynamite::Attribute>::to_stored(&now).map_err(|e| {
                    ::dynamite::__private::encode_error(&<Self as ::dynamite::Table>::META, #stored, e)
                })
            }
        }
    });
    quote! {
        #touch
        #version
        #deleted_at
    }
}
