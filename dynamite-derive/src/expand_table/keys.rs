//! The model's key: `type Key`, `key()`, `key_item()`, and the `const`
//! checks that every key field has a key type.

use std::collections::HashSet;

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::Ident;

use crate::ast::{Field, Model};
use crate::check::{Keys, Schema};

/// `type Key`, `key()` and `key_item()`: the key field's type, or a tuple
/// of the key fields' types (partition first).
pub(super) fn key_fns(schema: &Schema) -> TokenStream {
    let fields: Vec<&Field> = schema.keys.key_fields();
    let types = fields.iter().map(|f| &f.ty);
    let members = fields.iter().map(|f| &f.member);
    let parts: Vec<Ident> = (0..fields.len())
        .map(|i| format_ident!("__part{}", i))
        .collect();
    let stored: Vec<_> = fields.iter().map(|f| &f.stored).collect();
    let (key_type, key_value, destructure) = if fields.len() == 1 {
        (
            quote!(#(#types)*),
            quote!(#(::core::clone::Clone::clone(&self.#members))*),
            quote!(let #(#parts)* = key;),
        )
    } else {
        (
            quote!((#(#types,)*)),
            quote!((#(::core::clone::Clone::clone(&self.#members),)*)),
            quote!(let (#(#parts,)*) = key;),
        )
    };
    let capacity = fields.len();
    // Key fields are the key attributes themselves, or (shared table) the
    // values the key templates are rendered from.
    let key_item = match &schema.keys {
        Keys::Fields { .. } => quote! {
            let mut item = ::dynamite::__private::Item::with_capacity(#capacity);
            #destructure
            #(
                ::dynamite::__private::write_key_part(
                    &<Self as ::dynamite::Table>::META, &mut item, #stored, #parts,
                )?;
            )*
            ::core::result::Result::Ok(item)
        },
        Keys::Templates(_) => quote! {
            let fields = <Self as ::dynamite::Table>::key_fields(key)?;
            ::dynamite::__private::template_key_item(&<Self as ::dynamite::Table>::META, fields)
        },
    };
    // A shared-table model's key fields, before rendering (the values
    // relations join on); the key attributes themselves otherwise.
    let key_fields = match &schema.keys {
        Keys::Fields { .. } => quote!(),
        Keys::Templates(_) => quote! {
            fn key_fields(key: &Self::Key) -> ::dynamite::Result<::dynamite::__private::Item> {
                let mut fields = ::dynamite::__private::Item::with_capacity(#capacity);
                #destructure
                #(
                    ::dynamite::__private::write_attribute(
                        &<Self as ::dynamite::Table>::META, &mut fields, #stored, #parts,
                    )?;
                )*
                ::core::result::Result::Ok(fields)
            }
        },
    };
    quote! {
        type Key = #key_type;

        fn key(&self) -> Self::Key {
            #key_value
        }

        fn key_item(key: &Self::Key) -> ::dynamite::Result<::dynamite::__private::Item> {
            #key_item
        }

        #key_fields
    }
}

/// The name of the constant checking that a key field's type is a key type.
pub(super) fn key_const_ident(model: &Model, field: &Field) -> Ident {
    let position = model
        .fields
        .iter()
        .position(|f| std::ptr::eq(f, field))
        .unwrap_or_default();
    format_ident!("__DYNAMITE_KEY_{}", position)
}

/// One `const` per key field (table and index keys): `scalar_of` panics at
/// compile time, with a clear message, when the type cannot be a key.
pub(super) fn key_consts(model: &Model, schema: &Schema) -> TokenStream {
    let own_keys = match &schema.keys {
        Keys::Fields { partition, sort } => std::iter::once(*partition).chain(*sort).collect(),
        Keys::Templates(_) => Vec::new(),
    };
    let keys = own_keys
        .into_iter()
        .chain(schema.indexes.iter().flat_map(|i| i.fields()));
    let mut seen = HashSet::new();
    let mut out = TokenStream::new();
    for field in keys {
        let name = key_const_ident(model, field);
        if !seen.insert(name.to_string()) {
            continue;
        }
        // Span the call from the type's first token to its last, so the
        // compile-time panic underlines the whole field type.
        let ty = &field.ty;
        let tokens: Vec<TokenTree> = field.original.ty.to_token_stream().into_iter().collect();
        let first = tokens.first().map_or_else(Span::call_site, TokenTree::span);
        let last = tokens.last().map_or(first, TokenTree::span);
        let callee = quote_spanned!(first=> ::dynamite::__private::scalar_of);
        let mut args = Group::new(
            Delimiter::Parenthesis,
            quote!(<#ty as ::dynamite::Attribute>::SCALAR),
        );
        args.set_span(last);
        out.extend(quote! {
            const #name: ::dynamite::__private::ScalarType = #callee #args;
        });
    }
    if let Keys::Templates(templates) = &schema.keys {
        for field in &templates.fields() {
            let name = template_const_ident(model, field);
            let ty = &field.ty;
            let tokens: Vec<TokenTree> = field.original.ty.to_token_stream().into_iter().collect();
            let first = tokens.first().map_or_else(Span::call_site, TokenTree::span);
            // Spanned on the field type: a float or binary field is reported there.
            out.extend(quote_spanned! {first=>
                const #name: ::dynamite::template::Encoding =
                    <#ty as ::dynamite::template::TemplateField>::ENCODING;
            });
        }
    }
    out
}

/// The name of the constant holding a template field's encoding.
pub(super) fn template_const_ident(model: &Model, field: &Field) -> Ident {
    let position = model
        .fields
        .iter()
        .position(|f| std::ptr::eq(f, field))
        .unwrap_or_default();
    format_ident!("__DYNAMITE_TEMPLATE_{}", position)
}
