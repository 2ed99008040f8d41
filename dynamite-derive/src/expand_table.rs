//! Code generation for `#[derive(Table)]`.
//!
//! Everything is wrapped in `const _: () = { ... };`: the create builder and
//! its `Missing<Field>` markers cannot be named (or clash) outside. The only
//! inherent items on the model are its column constants (`User::EMAIL`);
//! everything else is a trait item, so fields named `query`, `create`,
//! `exec` or `r#type` never clash with generated code.

use std::collections::HashSet;

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::{DeriveInput, Ident};

use crate::ast::{Field, Model};
use crate::attr::DefaultValue;
use crate::case::{pascal_case, screaming_snake_case};
use crate::check::{Schema, check_model};
use crate::ctxt::Ctxt;

/// Entry point of `#[derive(Table)]`.
pub fn derive(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let model = Model::from_ast(&cx, input);
    let schema = model.as_ref().and_then(|m| check_model(&cx, m));
    match (cx.check(), &model, schema) {
        (Ok(()), Some(model), Some(schema)) => expand(model, &schema),
        (Err(errors), _, _) => errors,
        // Unreachable in practice: a missing model or schema always records an error.
        _ => TokenStream::new(),
    }
}

fn expand(model: &Model, schema: &Schema) -> TokenStream {
    let ident = model.ident;
    let persisted: Vec<&Field> = model.fields.iter().filter(|f| f.persisted()).collect();

    let key_consts = key_consts(model, schema);
    let meta = meta(model, schema, &persisted);
    let columns = columns(ident, &persisted);
    let builder = Builder::new(model);
    let builder_items = builder.items();
    let builder_type = builder.initial_type();
    let builder_init = builder.initial_value();

    let capacity = persisted.len();
    let writes = persisted.iter().map(|f| {
        let stored = &f.stored;
        let member = &f.member;
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
        if f.persisted() {
            quote! {
                #member: ::dynamite::__private::read_attribute::<#ty>(
                    &<Self as ::dynamite::Table>::META, &mut item, #stored,
                )?
            }
        } else {
            quote!(#member: ::core::default::Default::default())
        }
    });
    let touch = schema.updated_at.map(|f| {
        let member = &f.member;
        let ty = &f.ty;
        quote! {
            fn touch(&mut self) {
                self.#member = <#ty as ::dynamite::Timestamp>::now();
            }
        }
    });

    quote! {
        #columns

        #[doc(hidden)]
        const _: () = {
            #key_consts
            #builder_items

            #[automatically_derived]
            impl ::dynamite::Table for #ident {
                #meta

                type Builder = #builder_type;

                fn create() -> Self::Builder {
                    #builder_init
                }

                fn to_item(&self) -> ::dynamite::Result<::dynamite::__private::Item> {
                    let mut item = ::dynamite::__private::Item::with_capacity(#capacity);
                    #(#writes)*
                    ::core::result::Result::Ok(item)
                }

                fn from_item(mut item: ::dynamite::__private::Item) -> ::dynamite::Result<Self> {
                    ::core::result::Result::Ok(Self {
                        #(#reads,)*
                    })
                }

                #touch
            }
        };
    }
}

/// The name of the constant checking that a key field's type is a key type.
fn key_const_ident(model: &Model, field: &Field) -> Ident {
    let position = model
        .fields
        .iter()
        .position(|f| std::ptr::eq(f, field))
        .unwrap_or_default();
    format_ident!("__DYNAMITE_KEY_{}", position)
}

/// One `const` per key field (table and index keys): `scalar_of` panics at
/// compile time, with a clear message, when the type cannot be a key.
fn key_consts(model: &Model, schema: &Schema) -> TokenStream {
    let keys = std::iter::once(schema.partition_key)
        .chain(schema.sort_key)
        .chain(
            schema
                .indexes
                .iter()
                .flat_map(|i| std::iter::once(i.partition_key).chain(i.sort_key)),
        );
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
    out
}

fn key_meta(model: &Model, field: &Field) -> TokenStream {
    let name = &field.stored;
    let scalar = key_const_ident(model, field);
    quote!(::dynamite::__private::KeyMeta { name: #name, scalar: #scalar })
}

fn option_key_meta(model: &Model, field: Option<&Field>) -> TokenStream {
    match field {
        Some(f) => {
            let key = key_meta(model, f);
            quote!(::core::option::Option::Some(#key))
        }
        None => quote!(::core::option::Option::None),
    }
}

fn option_str(field: Option<&Field>) -> TokenStream {
    match field {
        Some(f) => {
            let stored = &f.stored;
            quote!(::core::option::Option::Some(#stored))
        }
        None => quote!(::core::option::Option::None),
    }
}

fn meta(model: &Model, schema: &Schema, persisted: &[&Field]) -> TokenStream {
    let model_name = model.ident.to_string();
    let table_name = &schema.table_name;
    let partition_key = key_meta(model, schema.partition_key);
    let sort_key = option_key_meta(model, schema.sort_key);
    let attributes = persisted.iter().map(|f| {
        let field = &f.name;
        let stored = &f.stored;
        let ty = &f.ty;
        let optional = f.is_option();
        quote! {
            ::dynamite::__private::AttributeMeta {
                field: #field,
                name: #stored,
                scalar: <#ty as ::dynamite::Attribute>::SCALAR,
                optional: #optional,
            }
        }
    });
    let indexes = schema.indexes.iter().map(|index| {
        let name = &index.name;
        let partition_key = key_meta(model, index.partition_key);
        let sort_key = option_key_meta(model, index.sort_key);
        quote! {
            ::dynamite::__private::IndexMeta {
                name: #name,
                partition_key: #partition_key,
                sort_key: #sort_key,
            }
        }
    });
    let created_at = option_str(schema.created_at);
    let updated_at = option_str(schema.updated_at);
    quote! {
        const META: ::dynamite::TableMeta = ::dynamite::TableMeta {
            model: #model_name,
            table_name: #table_name,
            partition_key: #partition_key,
            sort_key: #sort_key,
            attributes: &[#(#attributes),*],
            indexes: &[#(#indexes),*],
            relations: &[],
            created_at: #created_at,
            updated_at: #updated_at,
        };
    }
}

/// `impl User { pub const EMAIL: Column<User, String> = Column::new("email"); }`
fn columns(ident: &Ident, persisted: &[&Field]) -> TokenStream {
    let consts = persisted.iter().map(|f| {
        let name = Ident::new(
            &screaming_snake_case(&f.name),
            f.ident().map_or_else(Span::call_site, Ident::span),
        );
        let ty = &f.ty;
        let stored = &f.stored;
        let doc = format!("The `{}` attribute (stored as `\"{stored}\"`).", f.name);
        quote! {
            #[doc = #doc]
            pub const #name: ::dynamite::Column<#ident, #ty> = ::dynamite::Column::new(#stored);
        }
    });
    quote! {
        #[automatically_derived]
        impl #ident {
            #(#consts)*
        }
    }
}

/// The typestate create builder.
struct Builder<'m, 'a> {
    model: &'m Model<'a>,
    ident: Ident,
    /// Persisted fields (those with a setter).
    fields: Vec<&'m Field<'a>>,
    /// Required fields with their marker type and their type parameter.
    required: Vec<Required<'m, 'a>>,
}

struct Required<'m, 'a> {
    field: &'m Field<'a>,
    marker: Ident,
    param: Ident,
}

impl<'m, 'a> Builder<'m, 'a> {
    fn new(model: &'m Model<'a>) -> Self {
        let fields: Vec<&Field> = model.fields.iter().filter(|f| f.persisted()).collect();
        let mut markers = HashSet::new();
        let required = fields
            .iter()
            .filter(|f| f.required())
            .enumerate()
            .map(|(i, field)| {
                let mut marker = format!("Missing{}", pascal_case(&field.name));
                while !markers.insert(marker.clone()) {
                    marker.push('_');
                }
                Required {
                    field,
                    marker: format_ident!("{}", marker),
                    param: format_ident!("__S{}", i),
                }
            })
            .collect();
        Builder {
            model,
            ident: format_ident!("{}Builder", model.ident),
            fields,
            required,
        }
    }

    /// `UserBuilder<MissingEmail, MissingName>`
    fn initial_type(&self) -> TokenStream {
        let ident = &self.ident;
        let markers = self.required.iter().map(|r| &r.marker);
        quote!(#ident<#(#markers),*>)
    }

    fn initial_value(&self) -> TokenStream {
        let ident = &self.ident;
        let members = self.fields.iter().map(|f| &f.member);
        quote! {
            #ident {
                #(#members: ::core::option::Option::None,)*
                __dynamite_state: ::core::marker::PhantomData,
            }
        }
    }

    fn items(&self) -> TokenStream {
        let model = self.model.ident;
        let vis = self.model.vis;
        let ident = &self.ident;
        let params: Vec<&Ident> = self.required.iter().map(|r| &r.param).collect();
        let members = self.fields.iter().map(|f| &f.member);
        let types = self.fields.iter().map(|f| &f.ty);
        let struct_doc = format!(
            "The create builder of [`{model}`], returned by `{model}::create()`. \
             Finish it with `.exec(&db)` or `.build()`."
        );
        let markers = self.required.iter().map(|r| {
            let marker = &r.marker;
            let doc = format!(
                "Marks the required field `{}` of `{model}` as not set yet.",
                r.field.name
            );
            quote! {
                #[doc = #doc]
                #vis enum #marker {}
            }
        });
        let setters = self.fields.iter().map(|f| self.setter(f));
        let forwarders = self.forwarders();
        let create = self.create_impl();
        quote! {
            #(#markers)*

            #[doc = #struct_doc]
            #[must_use = "a create builder does nothing until `.exec(&db)` or `.build()` is called"]
            #vis struct #ident<#(#params),*> {
                #(#members: ::core::option::Option<#types>,)*
                __dynamite_state: ::core::marker::PhantomData<fn() -> (#(#params,)*)>,
            }

            #[automatically_derived]
            impl<#(#params),*> #ident<#(#params),*> {
                #(#setters)*
                #forwarders
            }

            #create
        }
    }

    fn setter(&self, field: &Field) -> TokenStream {
        let ident = &self.ident;
        let member = &field.member;
        let ty = &field.ty;
        let doc = format!("Sets `{}`.", field.name);
        let position = self
            .required
            .iter()
            .position(|r| std::ptr::eq(r.field, field));
        let Some(position) = position else {
            return quote! {
                #[doc = #doc]
                #[must_use = "a create builder does nothing until `.exec(&db)` or `.build()` is called"]
                pub fn #member(mut self, value: impl ::core::convert::Into<#ty>) -> Self {
                    self.#member = ::core::option::Option::Some(::core::convert::Into::into(value));
                    self
                }
            };
        };
        let states = self.required.iter().enumerate().map(|(i, r)| {
            if i == position {
                quote!(::dynamite::__private::Set)
            } else {
                let param = &r.param;
                quote!(#param)
            }
        });
        let others = self
            .fields
            .iter()
            .filter(|f| !std::ptr::eq(**f, field))
            .map(|f| &f.member);
        quote! {
            #[doc = #doc]
            #[must_use = "a create builder does nothing until `.exec(&db)` or `.build()` is called"]
            pub fn #member(self, value: impl ::core::convert::Into<#ty>) -> #ident<#(#states),*> {
                #ident {
                    #member: ::core::option::Option::Some(::core::convert::Into::into(value)),
                    #(#others: self.#others,)*
                    __dynamite_state: ::core::marker::PhantomData,
                }
            }
        }
    }

    /// Inherent `build` / `exec` requiring `Self: Create`, so a missing
    /// field is reported with `Create`'s message naming the `Missing<Field>`
    /// markers. Left out when a field setter already has the name.
    fn forwarders(&self) -> TokenStream {
        let model = self.model.ident;
        let params = self.required.iter().map(|r| &r.param);
        let taken = |name: &str| self.fields.iter().any(|f| f.name == name);
        let mut out = TokenStream::new();
        if !taken("build") {
            out.extend(quote! {
                /// Builds the model without storing it: unset defaults and
                /// timestamps are filled in. Every required field must be set.
                #[must_use]
                pub fn build(self) -> #model
                where
                    Self: ::dynamite::Create<Model = #model>,
                {
                    ::dynamite::Create::build(self)
                }
            });
        }
        if !taken("exec") {
            out.extend(quote! {
                /// Stores the new row (never overwriting an existing one) and
                /// returns it. Every required field must be set.
                pub fn exec<'__db>(
                    self,
                    db: &'__db ::dynamite::Dynamite,
                ) -> impl ::core::future::Future<Output = ::dynamite::Result<#model>>
                       + ::core::marker::Send
                       + use<'__db, #(#params),*>
                where
                    Self: ::dynamite::Create<Model = #model>,
                {
                    ::dynamite::Create::exec(self, db)
                }
            });
        }
        out
    }

    /// `impl Create for UserBuilder<Set, Set>`: fills defaults in `build`.
    fn create_impl(&self) -> TokenStream {
        let model = self.model.ident;
        let ident = &self.ident;
        let sets = self
            .required
            .iter()
            .map(|_| quote!(::dynamite::__private::Set));

        // One `now` per timestamp type, shared by `created_at`, `updated_at`
        // and `default = now` fields, so they are equal on create.
        let mut now_groups: Vec<(String, Vec<&Field>)> = Vec::new();
        for field in &self.model.fields {
            let is_now = field.attrs.created_at.is_some()
                || field.attrs.updated_at.is_some()
                || matches!(
                    field.attrs.default.as_ref().map(|d| &d.value),
                    Some(DefaultValue::Now)
                );
            if !is_now || !field.persisted() {
                continue;
            }
            let ty = &field.ty;
            let key = quote!(#ty).to_string();
            match now_groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, group)) => group.push(field),
                None => now_groups.push((key, vec![field])),
            }
        }
        let now_lets = now_groups.iter().enumerate().map(|(i, (_, group))| {
            let now = format_ident!("__now_{}", i);
            let ty = &group[0].ty;
            quote!(let #now: #ty = <#ty as ::dynamite::Timestamp>::now();)
        });

        let values = self.model.fields.iter().map(|field| {
            let member = &field.member;
            if !field.persisted() {
                return quote!(#member: ::core::default::Default::default());
            }
            let ty = &field.ty;
            let fallback =
                if let Some((i, group)) = now_groups.iter().enumerate().find_map(|(i, (_, g))| {
                    g.iter().any(|f| std::ptr::eq(*f, field)).then_some((i, g))
                }) {
                    let now = format_ident!("__now_{}", i);
                    let last = group.last().is_some_and(|f| std::ptr::eq(*f, field));
                    if last {
                        quote!(#now)
                    } else {
                        quote!(::core::clone::Clone::clone(&#now))
                    }
                } else if let Some(default) = &field.attrs.default {
                    // A literal default of an `Option` field is its `Some` value.
                    let some = |value: TokenStream| {
                        if field.is_option() {
                            quote!(::core::option::Option::Some(#value))
                        } else {
                            value
                        }
                    };
                    match &default.value {
                        DefaultValue::Str(lit) => some(quote!(::core::convert::Into::into(#lit))),
                        DefaultValue::Lit(expr) => some(quote!(#expr)),
                        DefaultValue::Path(path) => quote!(#path()),
                        DefaultValue::Uuid => quote!(<#ty as ::dynamite::GeneratedId>::uuid()),
                        DefaultValue::Ulid => quote!(<#ty as ::dynamite::GeneratedId>::ulid()),
                        // Handled by the `now` groups above.
                        DefaultValue::Now => quote!(<#ty as ::dynamite::Timestamp>::now()),
                    }
                } else if field.is_option() {
                    quote!(::core::option::Option::None)
                } else {
                    let message = format!(
                        "dynamite: required field `{}` was marked set without a value",
                        field.name
                    );
                    quote!(::core::unreachable!(#message))
                };
            quote! {
                #member: match self.#member {
                    ::core::option::Option::Some(value) => value,
                    ::core::option::Option::None => #fallback,
                }
            }
        });
        quote! {
            #[automatically_derived]
            impl ::dynamite::Create for #ident<#(#sets),*> {
                type Model = #model;

                fn build(self) -> #model {
                    #(#now_lets)*
                    #model {
                        #(#values,)*
                    }
                }
            }
        }
    }
}
