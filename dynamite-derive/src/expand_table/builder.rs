//! The typestate create builder: a required field left unset is a compile
//! error, `exec` / `build` exist only once every one is set.

use std::collections::HashSet;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Ident;

use crate::ast::{Field, Model};
use crate::attr::DefaultValue;
use crate::case::pascal_case;
use crate::literal::literal_default;

/// The typestate create builder.
pub(super) struct Builder<'m, 'a> {
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
    pub(super) fn new(model: &'m Model<'a>) -> Self {
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
    pub(super) fn initial_type(&self) -> TokenStream {
        let ident = &self.ident;
        let markers = self.required.iter().map(|r| &r.marker);
        quote!(#ident<#(#markers),*>)
    }

    pub(super) fn initial_value(&self) -> TokenStream {
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
    pub(super) fn items(&self) -> TokenStream {
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
        // infers (`.depth(0)` on a `u32`). An `Option` takes `IntoValue`:
        // `Some(v)`, `None`, a bare `v` (`.age(30)`), and the string forms
        // for an `Option<String>` (`.nick("n")`). Everything else takes
        // `impl Into`.
        let (generics, value_ty, convert) = if is_primitive(ty) {
            (quote!(), quote!(#ty), quote!(::core::convert::Into::into))
        } else if field.is_option() {
            (
                quote!(<__F>),
                quote!(impl ::dynamite::IntoValue<#ty, __F>),
                quote!(::dynamite::IntoValue::into_value),
            )
        } else {
            (
                quote!(),
                quote!(impl ::core::convert::Into<#ty>),
                quote!(::core::convert::Into::into),
            )
        };
        let position = self
            .required
            .iter()
            .position(|r| std::ptr::eq(r.field, field));
        let Some(position) = position else {
            return quote! {
                #[doc = #doc]
                #[must_use = "a create builder does nothing until `.exec(&db)` or `.build()` is called"]
                pub fn #member #generics(mut self, value: #value_ty) -> Self {
                    self.#member = ::core::option::Option::Some(#convert(value));
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
            pub fn #member #generics(self, value: #value_ty) -> #ident<#(#states),*> {
                #ident {
                    #member: #convert(value),
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
        let defaults = Defaults::new(self.model);
        let now_lets = defaults.now_lets();

        let values = self.model.fields.iter().map(|field| {
            let member = &field.member;
            if !field.persisted() {
                return quote!(#member: ::core::default::Default::default());
            }
            let fallback = match defaults.fallback(field) {
                Some(value) => value,
                None if field.is_option() => quote!(::core::option::Option::None),
                // Required: the all-`Set` builder holds the value itself.
                None => return quote!(#member: self.#member),
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
                    #now_lets
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

/// What `create` gives a persisted field left unset: `now` for
/// `created_at` / `updated_at` / `default = now` (one `now` per timestamp
/// type, so they are equal on create), 1 for `version`, the `default = ..`
/// value. Shared by the create builder and the fixture loader.
pub(super) struct Defaults<'m, 'a> {
    /// One group of fields per timestamp type (keyed by the type's tokens).
    now_groups: Vec<(String, Vec<&'m Field<'a>>)>,
}

impl<'m, 'a> Defaults<'m, 'a> {
    pub(super) fn new(model: &'m Model<'a>) -> Self {
        let mut now_groups: Vec<(String, Vec<&Field>)> = Vec::new();
        for field in &model.fields {
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
        Defaults { now_groups }
    }

    /// `let __now_0: T = <T as Timestamp>::now();` per timestamp type.
    pub(super) fn now_lets(&self) -> TokenStream {
        let lets = self.now_groups.iter().enumerate().map(|(i, (_, group))| {
            let now = format_ident!("__now_{}", i);
            let ty = &group[0].ty;
            quote!(let #now: #ty = <#ty as ::dynamite::Timestamp>::now();)
        });
        quote!(#(#lets)*)
    }

    /// The value `create` gives `field` when unset (an expression using
    /// [`now_lets`](Self::now_lets)), `None` when it has no default (an
    /// `Option` is then `None`, any other field is required).
    pub(super) fn fallback(&self, field: &Field) -> Option<TokenStream> {
        let ty = &field.ty;
        if let Some((i, group)) = self
            .now_groups
            .iter()
            .enumerate()
            .find_map(|(i, (_, g))| g.iter().any(|f| std::ptr::eq(*f, field)).then_some((i, g)))
        {
            let now = format_ident!("__now_{}", i);
            let last = group.last().is_some_and(|f| std::ptr::eq(*f, field));
            return Some(if last {
                quote!(#now)
            } else {
                quote!(::core::clone::Clone::clone(&#now))
            });
        }
        if field.attrs.version.is_some() {
            // A new row is version 1.
            return Some(quote!(1));
        }
        let default = field.attrs.default.as_ref()?;
        // A literal default of an `Option` field is its `Some` value.
        let some = |value: TokenStream| {
            if field.is_option() {
                quote!(::core::option::Option::Some(#value))
            } else {
                value
            }
        };
        Some(match &default.value {
            // Checked by `check_default`; an error here is only
            // reported, never expanded into a confusing one.
            DefaultValue::Lit(literal) => match literal_default(field, literal) {
                Ok(value) => some(value),
                Err(error) => error.to_compile_error(),
            },
            DefaultValue::Path(path) => quote!(#path()),
            DefaultValue::Uuid => quote!(<#ty as ::dynamite::GeneratedId>::uuid()),
            DefaultValue::Ulid => quote!(<#ty as ::dynamite::GeneratedId>::ulid()),
            // Handled by the `now` groups above.
            DefaultValue::Now => quote!(<#ty as ::dynamite::Timestamp>::now()),
        })
    }
}
