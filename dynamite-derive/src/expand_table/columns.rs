//! The model's inherent items: one `Column` constant per persisted field,
//! one `IndexRef` constant per declared index and one function per
//! relation.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::Ident;

use super::relations::relation_fn;
use crate::ast::Field;
use crate::case::screaming_snake_case;
use crate::check::Schema;

/// `impl User { pub const EMAIL: Column<User, String> = Column::new("email"); }`
/// and the relation functions (`pub fn orders() -> Relation<User, Order>`).
pub(super) fn columns(ident: &Ident, persisted: &[&Field], schema: &Schema) -> TokenStream {
    let relations = &schema.relations;
    let consts = persisted.iter().map(|f| {
        let name = Ident::new(
            &screaming_snake_case(&f.name),
            f.ident().map_or_else(Span::call_site, Ident::span),
        );
        let ty = &f.ty;
        let stored = &f.stored;
        if f.attrs.ttl.is_some() {
            let doc = format!(
                "The `{}` attribute (stored as `\"{stored}\"`, epoch seconds: the TTL).",
                f.name
            );
            return quote! {
                #[doc = #doc]
                pub const #name: ::dynamite::Column<#ident, #ty> = ::dynamite::Column::expiry(#stored);
            };
        }
        let doc = format!("The `{}` attribute (stored as `\"{stored}\"`).", f.name);
        quote! {
            #[doc = #doc]
            pub const #name: ::dynamite::Column<#ident, #ty> = ::dynamite::Column::new(#stored);
        }
    });
    let relations = relations.iter().map(|r| relation_fn(ident, r));
    let indexes = schema.index_names().into_iter().map(|index| {
        let name = Ident::new(&crate::check::index_constant(&index), Span::call_site());
        let doc = format!("The index `{index}`, for `Query::index(..)`.");
        quote! {
            #[doc = #doc]
            pub const #name: ::dynamite::IndexRef<#ident> = ::dynamite::IndexRef::new(#index);
        }
    });
    quote! {
        #[automatically_derived]
        impl #ident {
            #(#consts)*
            #(#indexes)*
            #(#relations)*
        }
    }
}
