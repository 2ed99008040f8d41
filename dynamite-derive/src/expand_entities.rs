//! Code generation for `#[derive(Entities)]`: an enum with one variant per
//! shared-table model, decoded by the entity type each item carries.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields};

/// Entry point of `#[derive(Entities)]`.
pub fn derive(input: &DeriveInput) -> TokenStream {
    let cx = crate::ctxt::Ctxt::new();
    let krate = crate::attr::crate_only(&cx, &input.attrs);
    if let Err(errors) = cx.check() {
        return errors;
    }
    let expanded = expand(input);
    match krate {
        Some(path) => crate::crate_path::rewrite(expanded, &path),
        None => expanded,
    }
}

fn expand(input: &DeriveInput) -> TokenStream {
    let ident = &input.ident;
    let Data::Enum(data) = &input.data else {
        return syn::Error::new_spanned(
            ident,
            "`#[derive(Entities)]` goes on an enum with one variant per model: \
             `enum UserItem { User(User), Order(Order) }`",
        )
        .to_compile_error();
    };
    if !input.generics.params.is_empty() {
        return syn::Error::new_spanned(&input.generics, "`#[derive(Entities)]` takes no generics")
            .to_compile_error();
    }
    let mut errors = TokenStream::new();
    let mut variants = Vec::new();
    for variant in &data.variants {
        match &variant.fields {
            Fields::Unnamed(fields) if fields.unnamed.len() == 1 => {
                let ty = &fields.unnamed[0].ty;
                variants.push((&variant.ident, ty));
            }
            _ => errors.extend(
                syn::Error::new_spanned(variant, "each variant holds one model: `Order(Order)`")
                    .to_compile_error(),
            ),
        }
    }
    if variants.is_empty() && errors.is_empty() {
        errors.extend(
            syn::Error::new_spanned(ident, "`#[derive(Entities)]` needs at least one variant")
                .to_compile_error(),
        );
    }
    if !errors.is_empty() {
        return errors;
    }
    let metas = variants
        .iter()
        .map(|(_, ty)| quote!(<#ty as ::dynamite::Table>::meta()));
    let decodes = variants.iter().map(|(variant, ty)| {
        quote! {
            if let ::core::option::Option::Some(row) =
                ::dynamite::__private::decode_as::<#ty>(&item)?
            {
                return ::core::result::Result::Ok(::core::option::Option::Some(Self::#variant(row)));
            }
        }
    });
    let wraps = variants.iter().map(|(variant, ty)| {
        quote! {
            #[automatically_derived]
            impl ::dynamite::__private::Variant<#ty> for #ident {
                fn wrap(row: #ty) -> Self {
                    Self::#variant(row)
                }
            }
        }
    });
    quote! {
        #(#wraps)*

        #[automatically_derived]
        impl ::dynamite::Entities for #ident {
            fn models() -> ::std::vec::Vec<&'static ::dynamite::TableMeta> {
                ::std::vec![#(#metas),*]
            }

            fn decode(
                item: ::dynamite::__private::Item,
            ) -> ::dynamite::Result<::core::option::Option<Self>> {
                #(#decodes)*
                ::core::result::Result::Ok(::core::option::Option::None)
            }
        }
    }
}
