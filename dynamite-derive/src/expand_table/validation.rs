//! `validate` / `validate_stored`: the field rules a write checks before sending.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use crate::ast::Field;

/// `validate` / `validate_stored`: the `not_empty` and `validate = path`
/// rules of each field (nothing when no field has one).
pub(super) fn validate_fns(persisted: &[&Field]) -> Option<TokenStream> {
    let checked: Vec<&&Field> = persisted
        .iter()
        .filter(|f| f.attrs.not_empty.is_some() || f.attrs.validate.is_some())
        .collect();
    if checked.is_empty() {
        return None;
    }
    let checks = |f: &Field, value: TokenStream| {
        let name = &f.name;
        let not_empty = f.attrs.not_empty.map(|_| {
            quote! {
                ::dynamite::__private::check_not_empty(
                    &<Self as ::dynamite::Table>::META, #name, #value,
                )?;
            }
        });
        let validate = f.attrs.validate.as_ref().map(|v| {
            let path = &v.value;
            // Spanned on the path: a validator of the wrong type is reported there.
            quote_spanned! {v.span=>
                ::dynamite::__private::check_with(
                    &<Self as ::dynamite::Table>::META, #name, #value, #path,
                )?;
            }
        });
        quote!(#not_empty #validate)
    };
    let whole = checked.iter().map(|f| {
        let member = &f.member;
        checks(f, quote!(&self.#member))
    });
    let arms = checked.iter().map(|f| {
        let stored = &f.stored;
        let ty = &f.ty;
        let body = checks(f, quote!(&value));
        let decode = if f.attrs.ttl.is_some() {
            quote!(decode_expiry_for_validation)
        } else {
            quote!(decode_for_validation)
        };
        quote! {
            #stored => {
                let value: #ty = ::dynamite::__private::#decode::<#ty>(
                    &<Self as ::dynamite::Table>::META, name, value,
                )?;
                #body
            }
        }
    });
    Some(quote! {
        fn validate(&self) -> ::dynamite::Result<()> {
            #(#whole)*
            ::core::result::Result::Ok(())
        }

        fn validate_stored(
            name: &str,
            value: ::core::option::Option<&::dynamite::__private::AttributeValue>,
        ) -> ::dynamite::Result<()> {
            match name {
                #(#arms)*
                _ => {}
            }
            ::core::result::Result::Ok(())
        }
    })
}
