//! The model's named key: `type KeyFields` (the key fields' names, for
//! compile errors) and, for a key of several fields, the typestate builder
//! `Task::key().tenant_id(..).project_id(..).id(..)`.
//!
//! Everything is generated inside the derive's `const _` block, so no
//! generated type can be named from outside or clash with a user's type.
//! Inside the block, a generated name that appears in a field's type is
//! made unique (an underscore appended), so it never shadows that type.

use std::collections::HashSet;

use proc_macro2::{TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote};
use syn::Ident;

use crate::ast::{Field, Model};
use crate::case::{pascal_case, snake_case};
use crate::check::Schema;

/// The key fields' marker module, `type KeyFields`, and the key builder.
pub(super) struct KeyBuilder<'m, 'a> {
    model: &'m Model<'a>,
    fields: Vec<&'m Field<'a>>,
    /// `task_key`: the module holding one unit struct per key field.
    names_module: Ident,
    /// `TaskKey`: the typestate builder.
    builder: Ident,
    /// `UnsetTenantId`, ...: a part not given yet.
    unset: Vec<Ident>,
}

impl<'m, 'a> KeyBuilder<'m, 'a> {
    pub(super) fn new(model: &'m Model<'a>, schema: &Schema<'m, 'a>) -> Self {
        let fields = schema.keys.key_fields();
        let mut taken = type_idents(model);
        let mut fresh = |base: String| {
            let mut name = base;
            while !taken.insert(name.clone()) {
                name.push('_');
            }
            format_ident!("{}", name)
        };
        let names_module = fresh(format!("{}_key", snake_case(&model.ident.to_string())));
        let builder = fresh(format!("{}Key", model.ident));
        let unset = fields
            .iter()
            .map(|f| fresh(format!("Unset{}", pascal_case(&f.name))))
            .collect();
        KeyBuilder {
            model,
            fields,
            names_module,
            builder,
            unset,
        }
    }

    /// `type KeyFields = (task_key::tenant_id, task_key::id);` (one field:
    /// no tuple), for the `Table` impl.
    pub(super) fn key_fields_type(&self) -> TokenStream {
        let module = &self.names_module;
        match self.fields.as_slice() {
            [field] => {
                let name = field_ident(field);
                quote!(type KeyFields = #module::#name;)
            }
            _ => {
                let tuple = self.key_fields_tuple();
                quote!(type KeyFields = #tuple;)
            }
        }
    }

    /// The marker module, and for a key of several fields the builder.
    pub(super) fn items(&self) -> TokenStream {
        let module = &self.names_module;
        let names = self.fields.iter().map(|f| field_ident(f));
        let module_doc = format!(
            "The key fields of `{}`, named in compile errors.",
            self.model.ident
        );
        let markers = quote! {
            #[doc = #module_doc]
            #[allow(non_camel_case_types, dead_code)]
            pub mod #module {
                #(
                    #[doc(hidden)]
                    pub struct #names;
                )*
            }
        };
        if self.fields.len() < 2 {
            return markers;
        }
        let builder = self.builder_items();
        quote!(#markers #builder)
    }

    fn builder_items(&self) -> TokenStream {
        let model = self.model.ident;
        let vis = self.model.vis;
        let builder = &self.builder;
        let unset = &self.unset;
        let types: Vec<_> = self.fields.iter().map(|f| &f.ty).collect();
        let params: Vec<Ident> = (0..self.fields.len())
            .map(|i| format_ident!("__P{}", i))
            .collect();
        let order = self
            .fields
            .iter()
            .map(|f| format!("`{}`", f.name))
            .collect::<Vec<_>>()
            .join(", ");
        let builder_doc = format!(
            "The named key of [`{model}`], returned by `{model}::key()`: set every key \
             field ({order}), then pass it wherever a key of `{model}` is taken. A type \
             parameter named `Unset<Field>` marks a part not given yet."
        );
        let key_doc = format!(
            "Starts the named key of `{model}`, whose parts cannot be swapped: \
             `{model}::key()` then one setter per key field ({order}), in any order. \
             Only the complete key is accepted by `get`, `update_key`, `delete_key`, \
             transactions and the other reads and writes by key; a missing part is \
             a compile error."
        );
        let setters = self.fields.iter().enumerate().map(|(i, field)| {
            let setter = field_ident(field);
            let ty = &field.ty;
            let marker = &unset[i];
            let others: Vec<&Ident> = params
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, p)| p)
                .collect();
            let input: Vec<TokenStream> = params
                .iter()
                .enumerate()
                .map(|(j, p)| if j == i { quote!(#marker) } else { quote!(#p) })
                .collect();
            let output: Vec<TokenStream> = params
                .iter()
                .enumerate()
                .map(|(j, p)| if j == i { quote!(#ty) } else { quote!(#p) })
                .collect();
            let values = (0..params.len()).map(|j| {
                let index = syn::Index::from(j);
                if j == i {
                    quote!(::dynamite::KeyPart::into_part(value))
                } else {
                    quote!(self.#index)
                }
            });
            let doc = format!("Sets the key field `{}`.", field.name);
            quote! {
                impl<#(#others),*> #builder<#(#input),*> {
                    #[doc = #doc]
                    #vis fn #setter(
                        self,
                        value: impl ::dynamite::KeyPart<#ty>,
                    ) -> #builder<#(#output),*> {
                        #builder(#(#values),*)
                    }
                }
            }
        });
        let parts = (0..params.len()).map(syn::Index::from);
        let parts_again = (0..params.len()).map(syn::Index::from);
        let key_fields = self.key_fields_tuple();
        quote! {
            #[doc = #builder_doc]
            #[must_use = "a key does nothing until it is passed to a read or write"]
            #[derive(Debug, Clone)]
            #vis struct #builder<#(#params),*>(#(#params),*);

            #(
                #[doc(hidden)]
                #[derive(Debug, Clone, Copy)]
                #vis struct #unset;
            )*

            #[automatically_derived]
            impl #model {
                #[doc = #key_doc]
                #vis fn key() -> #builder<#(#unset),*> {
                    #builder(#(#unset),*)
                }
            }

            #(#setters)*

            impl ::dynamite::IntoKey<(#(#types,)*), #key_fields> for #builder<#(#types),*> {
                fn into_key(self) -> (#(#types,)*) {
                    (#(self.#parts,)*)
                }
            }

            impl ::dynamite::IntoKey<(#(#types,)*)> for #builder<#(#types),*> {
                fn into_key(self) -> (#(#types,)*) {
                    (#(self.#parts_again,)*)
                }
            }
        }
    }

    /// `(task_key::tenant_id, task_key::id)`.
    fn key_fields_tuple(&self) -> TokenStream {
        let module = &self.names_module;
        let names = self.fields.iter().map(|f| field_ident(f));
        quote!((#(#module::#names,)*))
    }
}

/// The field's identifier as written (`r#type` kept raw).
fn field_ident(field: &Field) -> Ident {
    match &field.member {
        syn::Member::Named(ident) => ident.clone(),
        syn::Member::Unnamed(index) => format_ident!("field{}", index.index),
    }
}

/// Every identifier in the model's field types and the model's name: the
/// names a generated item must not take.
fn type_idents(model: &Model) -> HashSet<String> {
    fn walk(tokens: TokenStream, out: &mut HashSet<String>) {
        for token in tokens {
            match token {
                TokenTree::Ident(ident) => {
                    out.insert(ident.to_string());
                }
                TokenTree::Group(group) => walk(group.stream(), out),
                _ => {}
            }
        }
    }
    let mut out = HashSet::new();
    out.insert(model.ident.to_string());
    for field in &model.fields {
        walk(field.original.ty.to_token_stream(), &mut out);
    }
    out
}
