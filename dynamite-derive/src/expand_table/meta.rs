//! `const META: TableMeta`: key schema, attributes, indexes, relations and
//! the special fields, known at compile time.

use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident, quote};

use super::keys::key_const_ident;
use super::keys::template_const_ident;
use crate::ast::{Field, Model};
use crate::check::{Keys, Schema, TemplatePart, Templates};

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

pub(super) fn meta(model: &Model, schema: &Schema, persisted: &[&Field]) -> TokenStream {
    let model_name = model.ident.to_string();
    let table_name = &schema.table_name;
    let (partition_key, sort_key, single_table) = match &schema.keys {
        Keys::Fields { partition, sort } => (
            key_meta(model, partition),
            option_key_meta(model, *sort),
            quote!(::core::option::Option::None),
        ),
        Keys::Templates(templates) => {
            let string_key = |name: &str| {
                quote!(::dynamite::__private::KeyMeta {
                    name: #name,
                    scalar: ::dynamite::__private::ScalarType::S,
                })
            };
            let pk = string_key(&templates.pk_attribute);
            let sk = match templates.sort {
                Some(_) => {
                    let sk = string_key(&templates.sk_attribute);
                    quote!(::core::option::Option::Some(#sk))
                }
                None => quote!(::core::option::Option::None),
            };
            (pk, sk, single_table(model, templates))
        }
    };
    let attributes = persisted.iter().map(|f| {
        let field = &f.name;
        let stored = &f.stored;
        let ty = &f.ty;
        let optional = f.is_option();
        let unversioned = f.attrs.unversioned.is_some();
        quote! {
            ::dynamite::__private::AttributeMeta {
                field: #field,
                name: #stored,
                scalar: <#ty as ::dynamite::Attribute>::SCALAR,
                optional: #optional,
                sensitive: <#ty as ::dynamite::Attribute>::SENSITIVE,
                unversioned: #unversioned,
            }
        }
    });
    // Overloaded GSIs of a shared-table model: string keys `<name>pk` / `<name>sk`.
    let template_indexes: Vec<TokenStream> = match &schema.keys {
        Keys::Templates(templates) => templates
            .indexes
            .iter()
            .map(|index| {
                let name = &index.name;
                let pk = &index.pk_attribute;
                let sk = match &index.sk_attribute {
                    Some(sk) => {
                        quote!(::core::option::Option::Some(::dynamite::__private::KeyMeta {
                            name: #sk,
                            scalar: ::dynamite::__private::ScalarType::S,
                        }))
                    }
                    None => quote!(::core::option::Option::None),
                };
                quote! {
                    ::dynamite::__private::IndexMeta {
                        name: #name,
                        partition_key: ::dynamite::__private::KeyMeta {
                            name: #pk,
                            scalar: ::dynamite::__private::ScalarType::S,
                        },
                        sort_key: #sk,
                        more_partition_keys: &[],
                        more_sort_keys: &[],
                    }
                }
            })
            .collect(),
        Keys::Fields { .. } => Vec::new(),
    };
    let indexes = schema.indexes.iter().map(|index| {
        let name = &index.name;
        let partition_key = key_meta(model, index.partition_key);
        let sort_key = option_key_meta(model, index.sort_key);
        let more_partition_keys = index.more_partition_keys.iter().map(|f| key_meta(model, f));
        let more_sort_keys = index.more_sort_keys.iter().map(|f| key_meta(model, f));
        quote! {
            ::dynamite::__private::IndexMeta {
                name: #name,
                partition_key: #partition_key,
                sort_key: #sort_key,
                more_partition_keys: &[#(#more_partition_keys),*],
                more_sort_keys: &[#(#more_sort_keys),*],
            }
        }
    });
    let relations = schema.relations.iter().map(|relation| {
        let field = &relation.field.name;
        let kind = format_ident!("{}", relation.kind.container());
        let target = relation.target;
        let foreign_key = &relation.foreign_key.value;
        let foreign_keys: Vec<&String> = relation.foreign_keys.iter().map(|k| &k.value).collect();
        let local_key = match relation.local_key {
            Some(key) => {
                let key = &key.value;
                quote!(::core::option::Option::Some(#key))
            }
            None => quote!(::core::option::Option::None),
        };
        let none = quote!(::core::option::Option::None);
        // One hop of a relation (the junction and far hops of a `through`,
        // each target of a polymorphic `belongs_to`).
        let hop = |kind: &str, target: &dyn ToTokens, foreign_key: &String, local_key: &TokenStream| {
            let kind = format_ident!("{}", kind);
            quote! {
                ::dynamite::__private::RelationMeta {
                    field: #field,
                    kind: ::dynamite::__private::RelationKind::#kind,
                    target: <#target as ::dynamite::Table>::meta,
                    foreign_key: #foreign_key,
                    foreign_keys: &[#foreign_key],
                    local_key: #local_key,
                    through: ::core::option::Option::None,
                    polymorphic: ::core::option::Option::None,
                }
            }
        };
        let through = match relation.through {
            Some((junction, far_key)) => {
                let near = hop("HasMany", junction, foreign_key, &local_key);
                let far = hop("BelongsTo", target, &far_key.value, &none);
                quote!(::core::option::Option::Some(&::dynamite::__private::Through {
                    near: #near,
                    far: #far,
                }))
            }
            None => none.clone(),
        };
        let (target_meta, polymorphic) = match relation.polymorphic {
            // `targets` is never empty here (parsing reports that).
            Some((type_key, targets @ [(first, _), ..])) => {
                let type_key = &type_key.value;
                let hops = targets.iter().map(|(model, value)| {
                    let value = &value.value;
                    let relation = hop("BelongsTo", model, foreign_key, &none);
                    quote!(::dynamite::__private::PolymorphicTarget { value: #value, relation: #relation })
                });
                (
                    quote!(<#first as ::dynamite::Table>::meta),
                    quote!(::core::option::Option::Some(&::dynamite::__private::Polymorphic {
                        type_key: #type_key,
                        targets: &[#(#hops),*],
                    })),
                )
            }
            _ => (quote!(<#target as ::dynamite::Table>::meta), none.clone()),
        };
        // A function pointer, not the target's `META`: models referring to
        // each other would otherwise be a cycle of constants.
        quote! {
            ::dynamite::__private::RelationMeta {
                field: #field,
                kind: ::dynamite::__private::RelationKind::#kind,
                target: #target_meta,
                foreign_key: #foreign_key,
                foreign_keys: &[#(#foreign_keys),*],
                local_key: #local_key,
                through: #through,
                polymorphic: #polymorphic,
            }
        }
    });
    let created_at = option_str(schema.created_at);
    let updated_at = option_str(schema.updated_at);
    let version = option_str(schema.version);
    let deleted_at = option_str(schema.deleted_at);
    let ttl = option_str(schema.ttl);
    quote! {
        const META: ::dynamite::TableMeta = ::dynamite::TableMeta {
            model: #model_name,
            table_name: #table_name,
            partition_key: #partition_key,
            sort_key: #sort_key,
            attributes: &[#(#attributes),*],
            indexes: &[#(#indexes,)* #(#template_indexes),*],
            relations: &[#(#relations),*],
            created_at: #created_at,
            updated_at: #updated_at,
            version: #version,
            deleted_at: #deleted_at,
            ttl: #ttl,
            single_table: #single_table,
        };
    }
}

/// `Some(&SingleTable { .. })`: the templates, entity type and key fields.
fn single_table(model: &Model, templates: &Templates) -> TokenStream {
    let segments = |parts: &[TemplatePart]| {
        let parts = parts.iter().map(|part| match part {
            TemplatePart::Literal(text) => quote!(::dynamite::template::Segment::Literal(#text)),
            TemplatePart::Field(field) => {
                let stored = &field.stored;
                let encoding = template_const_ident(model, field);
                quote!(::dynamite::template::Segment::Field {
                    attribute: #stored,
                    encoding: #encoding,
                })
            }
        });
        quote!(&[#(#parts),*])
    };
    let partition = segments(&templates.partition);
    let sort = match &templates.sort {
        Some(sort) => {
            let sort = segments(sort);
            quote!(::core::option::Option::Some(#sort))
        }
        None => quote!(::core::option::Option::None),
    };
    let key_fields = templates.key_fields.iter().map(|f| &f.stored);
    let indexes = templates.indexes.iter().map(|index| {
        let name = &index.name;
        let partition = segments(&index.partition);
        let sort = match &index.sort {
            Some(sort) => {
                let sort = segments(sort);
                quote!(::core::option::Option::Some(#sort))
            }
            None => quote!(::core::option::Option::None),
        };
        quote! {
            ::dynamite::__private::IndexTemplate {
                name: #name,
                partition: #partition,
                sort: #sort,
            }
        }
    });
    let entity_attribute = &templates.entity_attribute;
    let entity = &templates.entity;
    quote! {
        ::core::option::Option::Some(&::dynamite::__private::SingleTable {
            entity_attribute: #entity_attribute,
            entity: #entity,
            partition: #partition,
            sort: #sort,
            key_fields: &[#(#key_fields),*],
            indexes: &[#(#indexes),*],
        })
    }
}
