//! Code generation for `#[derive(Attribute)]`.
//!
//! - a struct with named fields is stored as a map (`M`), `None` fields and
//!   `skip` fields left out;
//! - a newtype struct (`struct Email(String)`) is stored as its inner value
//!   and inherits its key type;
//! - an enum of unit variants is stored as a string (`S`) and can be a key;
//! - an enum with data is externally tagged like serde: unit variants as
//!   `S`, others as a one-entry map `{ "Variant": value }` where the value is
//!   the inner value (newtype variant), a list (tuple variant) or a map
//!   (struct variant).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{DeriveInput, Generics};

use crate::ast::{Field, Shape, Style, Value, Variant};
use crate::check::check_value;
use crate::ctxt::{Ctxt, gave_up};

/// Entry point of `#[derive(Attribute)]`.
pub fn derive(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let value = Value::from_ast(&cx, input);
    if let Some(value) = &value {
        check_value(&cx, value);
    }
    match (cx.check(), value) {
        (Ok(()), Some(value)) => match &value.attrs.krate {
            Some(path) => crate::crate_path::rewrite(expand(&value), path),
            None => expand(&value),
        },
        (Err(errors), _) => errors,
        (Ok(()), None) => gave_up(&input.ident, "Attribute"),
    }
}

/// Adds `T: Attribute` for every type parameter.
fn bounded_generics(generics: &Generics) -> Generics {
    let mut generics = generics.clone();
    let params: Vec<_> = generics.type_params().map(|p| p.ident.clone()).collect();
    let where_clause = generics.make_where_clause();
    for param in params {
        where_clause
            .predicates
            .push(syn::parse_quote!(#param: ::dynamite::Attribute));
    }
    generics
}

fn expand(value: &Value) -> TokenStream {
    let ident = value.ident;
    let type_name = ident.to_string();
    let generics = bounded_generics(&value.input.generics);
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();

    let body = match &value.shape {
        Shape::Struct(fields) => struct_body(fields, &type_name),
        Shape::Newtype(field) => newtype_body(field),
        Shape::Enum(variants) if variants.iter().all(|v| v.style == Style::Unit) => {
            unit_enum_body(variants)
        }
        Shape::Enum(variants) => data_enum_body(variants, &type_name),
    };

    quote! {
        #[doc(hidden)]
        const _: () = {
            /// Reads one field of a stored map, naming it when it is missing.
            #[allow(dead_code)]
            fn __field<T: ::dynamite::Attribute>(
                map: &::dynamite::__private::HashMap<
                    ::std::string::String,
                    ::dynamite::__private::AttributeValue,
                >,
                name: &str,
                owner: &str,
            ) -> ::core::result::Result<T, ::dynamite::__private::ValueError> {
                <T as ::dynamite::Attribute>::from_stored(map.get(name)).map_err(|error| match error {
                    ::dynamite::__private::ValueError::Missing => {
                        ::dynamite::__private::ValueError::Invalid(
                            ::std::format!("missing field `{}` of {}", name, owner),
                        )
                    }
                    other => other,
                })
            }

            /// The error for a stored variant name this enum does not have.
            #[allow(dead_code)]
            fn __unknown_variant(name: &str) -> ::dynamite::__private::ValueError {
                ::dynamite::__private::ValueError::Invalid(
                    ::std::format!("unknown variant `{}` of {}", name, #type_name),
                )
            }

            /// A one-entry map `{ tag: value }`.
            #[allow(dead_code)]
            fn __tagged(
                tag: &str,
                value: ::dynamite::__private::AttributeValue,
            ) -> ::dynamite::__private::AttributeValue {
                let mut map = ::dynamite::__private::HashMap::with_capacity(1);
                map.insert(::std::string::String::from(tag), value);
                ::dynamite::__private::AttributeValue::M(map)
            }

            #[automatically_derived]
            impl #impl_generics ::dynamite::Attribute for #ident #ty_generics #where_clause {
                #body
            }
        };
    }
}

/// Statements inserting each persisted field (bound to `bindings`) into the
/// map `__map`.
fn insert_fields(fields: &[Field], bindings: &[TokenStream]) -> TokenStream {
    let inserts = fields
        .iter()
        .zip(bindings)
        .filter(|(f, _)| f.persisted())
        .map(|(f, binding)| {
            let ty = &f.ty;
            let stored = &f.stored;
            quote! {
                if let ::core::option::Option::Some(value) =
                    <#ty as ::dynamite::Attribute>::to_stored(#binding)?
                {
                    __map.insert(::std::string::String::from(#stored), value);
                }
            }
        });
    let capacity = fields.iter().filter(|f| f.persisted()).count();
    quote! {
        let mut __map = ::dynamite::__private::HashMap::with_capacity(#capacity);
        #(#inserts)*
    }
}

/// Field initializers reading each field from the map `map`.
fn read_fields(fields: &[Field], map: &TokenStream, owner: &str) -> TokenStream {
    let inits = fields.iter().map(|f| {
        let member = &f.member;
        if f.persisted() {
            let ty = &f.ty;
            let stored = &f.stored;
            quote!(#member: __field::<#ty>(#map, #stored, #owner)?)
        } else {
            quote!(#member: ::core::default::Default::default())
        }
    });
    quote!(#(#inits,)*)
}

fn struct_body(fields: &[Field], type_name: &str) -> TokenStream {
    let bindings: Vec<TokenStream> = fields
        .iter()
        .map(|f| {
            let member = &f.member;
            quote!(&self.#member)
        })
        .collect();
    let inserts = insert_fields(fields, &bindings);
    let reads = read_fields(fields, &quote!(__map), type_name);
    quote! {
        fn to_value(
            &self,
        ) -> ::core::result::Result<
            ::dynamite::__private::AttributeValue,
            ::dynamite::__private::ValueError,
        > {
            #inserts
            ::core::result::Result::Ok(::dynamite::__private::AttributeValue::M(__map))
        }

        fn from_value(
            value: &::dynamite::__private::AttributeValue,
        ) -> ::core::result::Result<Self, ::dynamite::__private::ValueError> {
            match value {
                ::dynamite::__private::AttributeValue::M(__map) => {
                    ::core::result::Result::Ok(Self { #reads })
                }
                other => ::core::result::Result::Err(
                    ::dynamite::__private::ValueError::wrong_type("M", other),
                ),
            }
        }
    }
}

fn newtype_body(field: &Field) -> TokenStream {
    let ty = &field.ty;
    quote! {
        const SCALAR: ::core::option::Option<::dynamite::__private::ScalarType> =
            <#ty as ::dynamite::Attribute>::SCALAR;
        const NULLABLE: bool = <#ty as ::dynamite::Attribute>::NULLABLE;

        fn to_value(
            &self,
        ) -> ::core::result::Result<
            ::dynamite::__private::AttributeValue,
            ::dynamite::__private::ValueError,
        > {
            <#ty as ::dynamite::Attribute>::to_value(&self.0)
        }

        fn from_value(
            value: &::dynamite::__private::AttributeValue,
        ) -> ::core::result::Result<Self, ::dynamite::__private::ValueError> {
            <#ty as ::dynamite::Attribute>::from_value(value).map(|inner| Self(inner))
        }

        fn to_stored(
            &self,
        ) -> ::core::result::Result<
            ::core::option::Option<::dynamite::__private::AttributeValue>,
            ::dynamite::__private::ValueError,
        > {
            <#ty as ::dynamite::Attribute>::to_stored(&self.0)
        }

        fn from_stored(
            value: ::core::option::Option<&::dynamite::__private::AttributeValue>,
        ) -> ::core::result::Result<Self, ::dynamite::__private::ValueError> {
            <#ty as ::dynamite::Attribute>::from_stored(value).map(|inner| Self(inner))
        }

        fn is_absent(&self) -> bool {
            <#ty as ::dynamite::Attribute>::is_absent(&self.0)
        }
    }
}

fn unit_enum_body(variants: &[Variant]) -> TokenStream {
    let to_arms = variants.iter().map(|v| {
        let ident = v.ident;
        let stored = &v.stored;
        quote!(Self::#ident => #stored)
    });
    let from_arms = variants.iter().map(|v| {
        let ident = v.ident;
        let stored = &v.stored;
        quote!(#stored => ::core::result::Result::Ok(Self::#ident))
    });
    // An enum without variants has no value to convert.
    let to_value = if variants.is_empty() {
        quote!(match *self {})
    } else {
        quote! {
            let name: &str = match *self {
                #(#to_arms,)*
            };
            ::core::result::Result::Ok(::dynamite::__private::AttributeValue::S(
                ::std::string::String::from(name),
            ))
        }
    };
    quote! {
        const SCALAR: ::core::option::Option<::dynamite::__private::ScalarType> =
            ::core::option::Option::Some(::dynamite::__private::ScalarType::S);

        fn to_value(
            &self,
        ) -> ::core::result::Result<
            ::dynamite::__private::AttributeValue,
            ::dynamite::__private::ValueError,
        > {
            #to_value
        }

        fn from_value(
            value: &::dynamite::__private::AttributeValue,
        ) -> ::core::result::Result<Self, ::dynamite::__private::ValueError> {
            match value {
                ::dynamite::__private::AttributeValue::S(name) => match name.as_str() {
                    #(#from_arms,)*
                    other => ::core::result::Result::Err(__unknown_variant(other)),
                },
                other => ::core::result::Result::Err(
                    ::dynamite::__private::ValueError::wrong_type("S", other),
                ),
            }
        }
    }
}

fn data_enum_body(variants: &[Variant], type_name: &str) -> TokenStream {
    let to_arms = variants.iter().map(|v| to_value_arm(v));
    let unit_arms = variants.iter().filter(|v| v.style == Style::Unit).map(|v| {
        let ident = v.ident;
        let stored = &v.stored;
        quote!(#stored => ::core::result::Result::Ok(Self::#ident))
    });
    let tagged_arms = variants
        .iter()
        .filter(|v| v.style != Style::Unit)
        .map(|v| from_tagged_arm(v, type_name));
    let shape_error =
        format!("expected a map with exactly one key naming a variant of {type_name}");
    quote! {
        fn to_value(
            &self,
        ) -> ::core::result::Result<
            ::dynamite::__private::AttributeValue,
            ::dynamite::__private::ValueError,
        > {
            match self {
                #(#to_arms)*
            }
        }

        fn from_value(
            value: &::dynamite::__private::AttributeValue,
        ) -> ::core::result::Result<Self, ::dynamite::__private::ValueError> {
            match value {
                ::dynamite::__private::AttributeValue::S(name) => match name.as_str() {
                    #(#unit_arms,)*
                    other => ::core::result::Result::Err(__unknown_variant(other)),
                },
                ::dynamite::__private::AttributeValue::M(map) => {
                    let mut entries = map.iter();
                    match (entries.next(), entries.next()) {
                        (::core::option::Option::Some((tag, inner)), ::core::option::Option::None) => {
                            match tag.as_str() {
                                #(#tagged_arms)*
                                other => ::core::result::Result::Err(__unknown_variant(other)),
                            }
                        }
                        _ => ::core::result::Result::Err(
                            ::dynamite::__private::ValueError::Invalid(
                                ::std::string::String::from(#shape_error),
                            ),
                        ),
                    }
                }
                other => ::core::result::Result::Err(
                    ::dynamite::__private::ValueError::wrong_type("S or M", other),
                ),
            }
        }
    }
}

fn bindings(variant: &Variant) -> Vec<syn::Ident> {
    (0..variant.fields.len())
        .map(|i| format_ident!("__f{}", i))
        .collect()
}

fn to_value_arm(variant: &Variant) -> TokenStream {
    let ident = variant.ident;
    let stored = &variant.stored;
    let names = bindings(variant);
    match variant.style {
        Style::Unit => quote! {
            Self::#ident => ::core::result::Result::Ok(
                ::dynamite::__private::AttributeValue::S(::std::string::String::from(#stored)),
            ),
        },
        Style::Newtype => {
            let ty = &variant.fields[0].ty;
            quote! {
                Self::#ident(__f0) => ::core::result::Result::Ok(__tagged(
                    #stored,
                    <#ty as ::dynamite::Attribute>::to_value(__f0)?,
                )),
            }
        }
        Style::Tuple => {
            let values = variant.fields.iter().zip(&names).map(|(f, name)| {
                let ty = &f.ty;
                quote!(<#ty as ::dynamite::Attribute>::to_value(#name)?)
            });
            quote! {
                Self::#ident(#(#names),*) => ::core::result::Result::Ok(__tagged(
                    #stored,
                    ::dynamite::__private::AttributeValue::L(::std::vec![#(#values),*]),
                )),
            }
        }
        Style::Struct => {
            let patterns = variant
                .fields
                .iter()
                .zip(&names)
                .filter(|(f, _)| f.persisted())
                .map(|(f, name)| {
                    let member = &f.member;
                    quote!(#member: #name)
                });
            let bound: Vec<TokenStream> = variant
                .fields
                .iter()
                .zip(&names)
                .map(|(_, name)| quote!(#name))
                .collect();
            let inserts = insert_fields(&variant.fields, &bound);
            quote! {
                Self::#ident { #(#patterns,)* .. } => {
                    #inserts
                    ::core::result::Result::Ok(__tagged(
                        #stored,
                        ::dynamite::__private::AttributeValue::M(__map),
                    ))
                }
            }
        }
    }
}

fn from_tagged_arm(variant: &Variant, type_name: &str) -> TokenStream {
    let ident = variant.ident;
    let stored = &variant.stored;
    let owner = format!("{type_name}::{ident}");
    match variant.style {
        Style::Unit => TokenStream::new(),
        Style::Newtype => {
            let ty = &variant.fields[0].ty;
            quote! {
                #stored => ::core::result::Result::Ok(
                    Self::#ident(<#ty as ::dynamite::Attribute>::from_value(inner)?),
                ),
            }
        }
        Style::Tuple => {
            let names = bindings(variant);
            let count = names.len();
            let values = variant.fields.iter().zip(&names).map(|(f, name)| {
                let ty = &f.ty;
                quote!(<#ty as ::dynamite::Attribute>::from_value(#name)?)
            });
            let message =
                format!("variant `{owner}` expects a list of {count} elements, found {{}}");
            quote! {
                #stored => match inner {
                    ::dynamite::__private::AttributeValue::L(items) => match items.as_slice() {
                        [#(#names),*] => ::core::result::Result::Ok(Self::#ident(#(#values),*)),
                        items => ::core::result::Result::Err(
                            ::dynamite::__private::ValueError::Invalid(
                                ::std::format!(#message, items.len()),
                            ),
                        ),
                    },
                    other => ::core::result::Result::Err(
                        ::dynamite::__private::ValueError::wrong_type("L", other),
                    ),
                },
            }
        }
        Style::Struct => {
            let reads = read_fields(&variant.fields, &quote!(fields), &owner);
            quote! {
                #stored => match inner {
                    ::dynamite::__private::AttributeValue::M(fields) => {
                        ::core::result::Result::Ok(Self::#ident { #reads })
                    }
                    other => ::core::result::Result::Err(
                        ::dynamite::__private::ValueError::wrong_type("M", other),
                    ),
                },
            }
        }
    }
}
