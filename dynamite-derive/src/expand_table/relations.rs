//! Relations: the `pub fn orders()` functions, and the `const` checks of
//! foreign and local keys against the related model.

use std::collections::HashSet;

use proc_macro2::{Delimiter, Group, Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::Ident;
use syn::spanned::Spanned;

use crate::ast::Model;
use crate::attr::RelationKind;
use crate::case::screaming_snake_case;
use crate::check::{Relation, Schema};

/// One `const` per relation key that names a field of another model (or
/// must be checked against a field type): `check_foreign_key` /
/// `check_local_key` panic at compile time when the field is missing or
/// cannot be a key. They are separate constants, outside `META`, so two
/// models referring to each other do not form a cycle of constants.
pub(super) fn relation_checks(model: &Model, schema: &Schema) -> TokenStream {
    let ident = model.ident;
    let mut names = HashSet::new();
    let mut out = TokenStream::new();
    for relation in &schema.relations {
        let target = relation.target;
        let this = quote!(#ident);
        // (which key, checked model, check function, the key)
        let mut checks = Vec::new();
        match relation.kind {
            RelationKind::HasMany | RelationKind::HasOne => {
                // Through a junction, both keys are the junction's fields.
                let holder = match relation.through {
                    Some((junction, far_key)) => {
                        checks.push(("FAR_KEY", quote!(#junction), "check_foreign_key", far_key));
                        quote!(#junction)
                    }
                    None => quote!(#target),
                };
                for foreign_key in &relation.foreign_keys {
                    checks.push((
                        "FOREIGN_KEY",
                        holder.clone(),
                        "check_foreign_key",
                        *foreign_key,
                    ));
                }
                if let Some(local_key) = relation.local_key {
                    checks.push(("LOCAL_KEY", this, "check_foreign_key", local_key));
                }
            }
            // A polymorphic `belongs_to`'s keys are this model's (checked
            // by `check`); its targets are checked by the relation function.
            RelationKind::BelongsTo if relation.polymorphic.is_some() => {}
            RelationKind::BelongsTo => {
                for foreign_key in &relation.foreign_keys {
                    checks.push((
                        "FOREIGN_KEY",
                        this.clone(),
                        "check_foreign_key",
                        *foreign_key,
                    ));
                }
                if let Some(local_key) = relation.local_key {
                    checks.push(("LOCAL_KEY", quote!(#target), "check_local_key", local_key));
                }
            }
        }
        for (which, checked, function, key) in checks {
            let mut name = format!(
                "__DYNAMITE_{}_{which}",
                screaming_snake_case(&relation.field.name)
            );
            while !names.insert(name.clone()) {
                name.push('_');
            }
            let name = format_ident!("{}", name);
            // Spanned on the key's string literal: a failed check underlines it.
            let function = format_ident!("{}", function, span = key.span);
            let callee = quote_spanned!(key.span=> ::dynamite::__private::#function);
            let value = &key.value;
            let mut args = Group::new(
                Delimiter::Parenthesis,
                quote!(&<#checked as ::dynamite::Table>::META, #value),
            );
            args.set_span(key.span);
            out.extend(quote! {
                #[allow(dead_code)]
                const #name: () = #callee #args;
            });
        }
    }
    out
}

/// The related model's name for docs (`Order` for `crate::shop::Order`).
fn type_name(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(path) if path.qself.is_none() => path
            .path
            .segments
            .last()
            .map_or_else(String::new, |s| s.ident.to_string()),
        _ => ty.to_token_stream().to_string(),
    }
}

/// `pub fn orders() -> Relation<User, Order>`: the relation as an include or
/// for lazy loading; it stores loaded rows through `RelationField::load`.
pub(super) fn relation_fn(model: &Ident, relation: &Relation) -> TokenStream {
    let field = relation.field;
    let member = &field.member;
    let name = &field.name;
    let target = relation.target;
    let container = format_ident!("{}", relation.kind.container());
    let how = match (relation.through, relation.polymorphic) {
        (Some((junction, far_key)), _) => format!(
            "through `{}` by `{}` and `{}`",
            type_name(junction),
            relation.foreign_key.value,
            far_key.value
        ),
        (None, Some((type_key, _))) => format!(
            "named by `{}` and `{}`",
            type_key.value, relation.foreign_key.value
        ),
        (None, None) => format!("by `{}`", relation.foreign_key.value),
    };
    let doc = format!(
        "The `{name}` relation ({} {} {how}): use it in `.include(..)`, \
         or `.of(&row)` for lazy loading.",
        relation.kind.key(),
        type_name(target),
    );
    // Models have named fields only; the fallback is never used.
    let fn_name = field
        .ident()
        .cloned()
        .unwrap_or_else(|| Ident::new(name, Span::call_site()));
    if let Some((_, targets)) = relation.polymorphic {
        // Each target must be a variant of the enum (`Variant<T>`, from
        // `#[derive(Entities)]`): a missing one is reported on its name.
        let decoders = targets.iter().map(|(model, value)| {
            let value = &value.value;
            quote_spanned! {model.span()=>
                (
                    #value,
                    ::dynamite::__private::decode_variant::<#target, #model>
                        as fn(::dynamite::__private::Item) -> ::dynamite::Result<#target>,
                )
            }
        });
        return quote! {
            #[doc = #doc]
            pub fn #fn_name() -> ::dynamite::PolymorphicRelation<#model, #target> {
                ::dynamite::PolymorphicRelation::new(
                    #name,
                    |parent: &mut #model, row: ::core::option::Option<#target>| {
                        parent.#member = <::dynamite::BelongsTo<#target> as ::dynamite::RelationField<#target>>::load(
                            row.into_iter().collect(),
                        );
                    },
                    ::std::vec![#(#decoders),*],
                )
            }
        };
    }
    // Spanned on the target type: a target that is not a model is reported there.
    let body = quote_spanned! {target.span()=>
        ::dynamite::Relation::new(
            #name,
            |parent: &mut #model, rows: ::std::vec::Vec<#target>| {
                parent.#member =
                    <::dynamite::#container<#target> as ::dynamite::RelationField<#target>>::load(rows);
            },
            |parent: &mut #model, rows: ::std::vec::Vec<::dynamite::Projected<#target>>| {
                parent.#member =
                    <::dynamite::#container<#target> as ::dynamite::RelationField<#target>>::load_projected(rows);
            },
        )
    };
    let through = relation
        .through
        .map(|(junction, _)| quote_spanned!(junction.span()=> .through::<#junction>()));
    quote! {
        #[doc = #doc]
        pub fn #fn_name() -> ::dynamite::Relation<#model, #target> {
            #body #through
        }
    }
}
