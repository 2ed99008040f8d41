//! Code generation for `#[derive(Table)]`.
//!
//! Everything is wrapped in `const _: () = { ... };`: the create builder and
//! its `Missing<Field>` markers cannot be named (or clash) outside. The only
//! inherent items on the model are its column constants (`User::EMAIL`) and
//! one function per relation field, named like the field (`User::orders()`);
//! everything else is a trait item, so fields named `query`, `create`,
//! `exec` or `r#type` never clash with generated code.

use std::collections::HashSet;

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{DeriveInput, Ident};

use crate::ast::{Field, Model};
use crate::attr::{DefaultValue, RelationKind};
use crate::case::{pascal_case, screaming_snake_case};
use crate::check::{Relation, Schema, check_model};
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
    let key_fns = key_fns(schema);
    let relation_checks = relation_checks(model, schema);
    let meta = meta(model, schema, &persisted);
    let columns = columns(ident, &persisted, &schema.relations);
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

    let validate = validate_fns(&persisted);
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
    let hooks = model.attrs.hooks.map(|_| hook_fns());

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

            #[automatically_derived]
            impl ::dynamite::Table for #ident {
                #meta

                type Builder = #builder_type;

                #key_fns

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
                #validate
                #version
                #deleted_at
                #hooks
            }
        };
    }
}

/// `validate` / `validate_stored`: the `not_empty` and `validate = path`
/// rules of each field (nothing when no field has one).
fn validate_fns(persisted: &[&Field]) -> Option<TokenStream> {
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
        quote! {
            #stored => {
                let value: #ty = ::dynamite::__private::decode_for_validation::<#ty>(
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

/// With `#[dynamite(hooks)]`: the `Table` hook entry points forward to the
/// user's `impl Hooks`.
fn hook_fns() -> TokenStream {
    let fut = quote! {
        impl ::core::future::Future<Output = ::dynamite::Result<()>> + ::core::marker::Send
    };
    quote! {
        fn __before_create(&mut self) -> #fut {
            <Self as ::dynamite::Hooks>::before_create(self)
        }
        fn __after_create(&self) -> #fut {
            <Self as ::dynamite::Hooks>::after_create(self)
        }
        fn __before_update(
            key: &::dynamite::__private::Item,
            row: ::core::option::Option<&Self>,
            changes: &::dynamite::Changes,
        ) -> #fut {
            <Self as ::dynamite::Hooks>::before_update(key, row, changes)
        }
        fn __after_update(
            key: &::dynamite::__private::Item,
            row: ::core::option::Option<&Self>,
        ) -> #fut {
            <Self as ::dynamite::Hooks>::after_update(key, row)
        }
        fn __before_delete(
            key: &::dynamite::__private::Item,
            row: ::core::option::Option<&Self>,
        ) -> #fut {
            <Self as ::dynamite::Hooks>::before_delete(key, row)
        }
        fn __after_delete(
            key: &::dynamite::__private::Item,
            row: ::core::option::Option<&Self>,
        ) -> #fut {
            <Self as ::dynamite::Hooks>::after_delete(key, row)
        }
    }
}

/// `type Key`, `key()` and `key_item()`: the key field's type, or a tuple
/// of the key fields' types (partition first).
fn key_fns(schema: &Schema) -> TokenStream {
    let fields: Vec<&Field> = std::iter::once(schema.partition_key)
        .chain(schema.sort_key)
        .collect();
    let types = fields.iter().map(|f| &f.ty);
    let members = fields.iter().map(|f| &f.member);
    let parts: Vec<Ident> = (0..fields.len())
        .map(|i| format_ident!("__part{}", i))
        .collect();
    let stored = fields.iter().map(|f| &f.stored);
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
    quote! {
        type Key = #key_type;

        fn key(&self) -> Self::Key {
            #key_value
        }

        fn key_item(key: &Self::Key) -> ::dynamite::Result<::dynamite::__private::Item> {
            let mut item = ::dynamite::__private::Item::with_capacity(#capacity);
            #destructure
            #(
                ::dynamite::__private::write_key_part(
                    &<Self as ::dynamite::Table>::META, &mut item, #stored, #parts,
                )?;
            )*
            ::core::result::Result::Ok(item)
        }
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
    let relations = schema.relations.iter().map(|relation| {
        let field = &relation.field.name;
        let kind = format_ident!("{}", relation.kind.container());
        let target = relation.target;
        let foreign_key = &relation.foreign_key.value;
        let local_key = match relation.local_key {
            Some(key) => {
                let key = &key.value;
                quote!(::core::option::Option::Some(#key))
            }
            None => quote!(::core::option::Option::None),
        };
        // A function pointer, not the target's `META`: models referring to
        // each other would otherwise be a cycle of constants.
        quote! {
            ::dynamite::__private::RelationMeta {
                field: #field,
                kind: ::dynamite::__private::RelationKind::#kind,
                target: <#target as ::dynamite::Table>::meta,
                foreign_key: #foreign_key,
                local_key: #local_key,
            }
        }
    });
    let created_at = option_str(schema.created_at);
    let updated_at = option_str(schema.updated_at);
    let version = option_str(schema.version);
    let deleted_at = option_str(schema.deleted_at);
    quote! {
        const META: ::dynamite::TableMeta = ::dynamite::TableMeta {
            model: #model_name,
            table_name: #table_name,
            partition_key: #partition_key,
            sort_key: #sort_key,
            attributes: &[#(#attributes),*],
            indexes: &[#(#indexes),*],
            relations: &[#(#relations),*],
            created_at: #created_at,
            updated_at: #updated_at,
            version: #version,
            deleted_at: #deleted_at,
        };
    }
}

/// One `const` per relation key that names a field of another model (or
/// must be checked against a field type): `check_foreign_key` /
/// `check_local_key` panic at compile time when the field is missing or
/// cannot be a key. They are separate constants, outside `META`, so two
/// models referring to each other do not form a cycle of constants.
fn relation_checks(model: &Model, schema: &Schema) -> TokenStream {
    let ident = model.ident;
    let mut names = HashSet::new();
    let mut out = TokenStream::new();
    for relation in &schema.relations {
        let target = relation.target;
        let this = quote!(#ident);
        let foreign_key = relation.foreign_key;
        // (which key, checked model, check function, the key)
        let mut checks = Vec::new();
        match relation.kind {
            RelationKind::HasMany | RelationKind::HasOne => {
                checks.push((
                    "FOREIGN_KEY",
                    quote!(#target),
                    "check_foreign_key",
                    foreign_key,
                ));
                if let Some(local_key) = relation.local_key {
                    checks.push(("LOCAL_KEY", this, "check_foreign_key", local_key));
                }
            }
            RelationKind::BelongsTo => {
                checks.push(("FOREIGN_KEY", this, "check_foreign_key", foreign_key));
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
fn relation_fn(model: &Ident, relation: &Relation) -> TokenStream {
    let field = relation.field;
    let member = &field.member;
    let name = &field.name;
    let target = relation.target;
    let container = format_ident!("{}", relation.kind.container());
    let doc = format!(
        "The `{name}` relation ({} {} by `{}`): use it in `.include(..)`, \
         or `.of(&row)` for lazy loading.",
        relation.kind.key(),
        type_name(target),
        relation.foreign_key.value,
    );
    // Models have named fields only; the fallback is never used.
    let fn_name = field
        .ident()
        .cloned()
        .unwrap_or_else(|| Ident::new(name, Span::call_site()));
    // Spanned on the target type: a target that is not a model is reported there.
    let body = quote_spanned! {target.span()=>
        ::dynamite::Relation::new(
            #name,
            |parent: &mut #model, rows: ::std::vec::Vec<#target>| {
                parent.#member =
                    <::dynamite::#container<#target> as ::dynamite::RelationField<#target>>::load(rows);
            },
        )
    };
    quote! {
        #[doc = #doc]
        pub fn #fn_name() -> ::dynamite::Relation<#model, #target> {
            #body
        }
    }
}

/// `impl User { pub const EMAIL: Column<User, String> = Column::new("email"); }`
/// and the relation functions (`pub fn orders() -> Relation<User, Order>`).
fn columns(ident: &Ident, persisted: &[&Field], relations: &[Relation]) -> TokenStream {
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
    let relations = relations.iter().map(|r| relation_fn(ident, r));
    quote! {
        #[automatically_derived]
        impl #ident {
            #(#consts)*
            #(#relations)*
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
        let values = self.fields.iter().map(|f| {
            let member = &f.member;
            if self.is_required(f) {
                quote!(#member: ())
            } else {
                quote!(#member: ::core::option::Option::None)
            }
        });
        quote! {
            #ident {
                #(#values,)*
                __dynamite_state: ::core::marker::PhantomData,
            }
        }
    }

    fn is_required(&self, field: &Field) -> bool {
        self.required.iter().any(|r| std::ptr::eq(r.field, field))
    }

    /// `__S0: __DynamiteSlot<String>, __S1: __DynamiteSlot<String>`
    fn bounded_params(&self) -> TokenStream {
        let bounds = self.required.iter().map(|r| {
            let param = &r.param;
            let ty = &r.field.ty;
            quote!(#param: __DynamiteSlot<#ty>)
        });
        quote!(#(#bounds),*)
    }

    /// The builder's items. A required field is stored as
    /// `<State as __DynamiteSlot<T>>::Value`: `()` while its state is its
    /// `Missing<Field>` marker, `T` once it is `Set`. The builder with every
    /// state `Set` therefore holds every required value, and `build` needs
    /// no `Option` and has no panic path for them.
    fn items(&self) -> TokenStream {
        let model = self.model.ident;
        let vis = self.model.vis;
        let ident = &self.ident;
        let params: Vec<&Ident> = self.required.iter().map(|r| &r.param).collect();
        let bounded = self.bounded_params();
        let fields = self.fields.iter().map(|f| {
            let member = &f.member;
            let ty = &f.ty;
            match self.required.iter().find(|r| std::ptr::eq(r.field, *f)) {
                Some(r) => {
                    let param = &r.param;
                    quote!(#member: <#param as __DynamiteSlot<#ty>>::Value)
                }
                None => quote!(#member: ::core::option::Option<#ty>),
            }
        });
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

                impl<__T> __DynamiteSlot<__T> for #marker {
                    type Value = ();
                }
            }
        });
        let slot = (!self.required.is_empty()).then(|| {
            quote! {
                /// How the builder stores a required field in each state:
                /// nothing while missing, the value once set.
                #[doc(hidden)]
                #vis trait __DynamiteSlot<__T> {
                    /// `()` while missing, `__T` once set.
                    type Value;
                }

                impl<__T> __DynamiteSlot<__T> for ::dynamite::__private::Set {
                    type Value = __T;
                }
            }
        });
        let setters = self.fields.iter().map(|f| self.setter(f));
        let forwarders = self.forwarders();
        let create = self.create_impl();
        quote! {
            #slot
            #(#markers)*

            #[doc = #struct_doc]
            #[must_use = "a create builder does nothing until `.exec(&db)` or `.build()` is called"]
            #vis struct #ident<#bounded> {
                #(#fields,)*
                __dynamite_state: ::core::marker::PhantomData<fn() -> (#(#params,)*)>,
            }

            #[automatically_derived]
            impl<#bounded> #ident<#(#params),*> {
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
        // Primitive numbers take the type itself, so an integer literal
        // infers (`.depth(0)` on a `u32`); everything else takes `impl Into`.
        let value_ty = if is_primitive(ty) {
            quote!(#ty)
        } else {
            quote!(impl ::core::convert::Into<#ty>)
        };
        let position = self
            .required
            .iter()
            .position(|r| std::ptr::eq(r.field, field));
        let Some(position) = position else {
            return quote! {
                #[doc = #doc]
                #[must_use = "a create builder does nothing until `.exec(&db)` or `.build()` is called"]
                pub fn #member(mut self, value: #value_ty) -> Self {
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
            pub fn #member(self, value: #value_ty) -> #ident<#(#states),*> {
                #ident {
                    #member: ::core::convert::Into::into(value),
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
                } else if field.attrs.version.is_some() {
                    // A new row is version 1.
                    quote!(1)
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
                    // Required: the all-`Set` builder holds the value itself.
                    return quote!(#member: self.#member);
                };
            quote! {
                #member: match self.#member {
                    ::core::option::Option::Some(value) => value,
                    ::core::option::Option::None => #fallback,
                }
            }
        });
        let sets: Vec<TokenStream> = self
            .required
            .iter()
            .map(|_| quote!(::dynamite::__private::Set))
            .collect();
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

            #[automatically_derived]
            impl ::dynamite::IntoRow<#model> for #ident<#(#sets),*> {
                fn into_row(self) -> #model {
                    <Self as ::dynamite::Create>::build(self)
                }
            }
        }
    }
}

/// `u8`..`u128`, `i8`..`i128`, `usize`, `isize`, `f32`, `f64`, `bool`, `char`.
fn is_primitive(ty: &syn::Type) -> bool {
    const PRIMITIVES: &[&str] = &[
        "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
        "f32", "f64", "bool", "char",
    ];
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => p
            .path
            .get_ident()
            .is_some_and(|i| PRIMITIVES.contains(&i.to_string().as_str())),
        _ => false,
    }
}
