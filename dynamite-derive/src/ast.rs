//! The internal representation of a derive input: the parsed options next to
//! the syn nodes they came from (kept for spans).

use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Ident, Member, Type};

use crate::attr::{self, Derive};
use crate::case::RenameRule;
use crate::ctxt::Ctxt;

/// A `#[derive(Table)]` model: a struct with named fields.
pub struct Model<'a> {
    /// The item as written (for other derives' attributes, such as serde's).
    pub input: &'a DeriveInput,
    pub ident: &'a Ident,
    /// The model's visibility, given to its create builder.
    pub vis: &'a syn::Visibility,
    pub attrs: attr::Container,
    pub fields: Vec<Field<'a>>,
}

/// A `#[derive(Attribute)]` type.
pub struct Value<'a> {
    pub input: &'a DeriveInput,
    pub ident: &'a Ident,
    pub attrs: attr::Container,
    pub shape: Shape<'a>,
}

/// The shape of a `#[derive(Attribute)]` type.
pub enum Shape<'a> {
    /// A struct with named fields, stored as a map.
    Struct(Vec<Field<'a>>),
    /// `struct Email(String)`, stored as its inner value.
    Newtype(Box<Field<'a>>),
    /// An enum.
    Enum(Vec<Variant<'a>>),
}

/// One enum variant.
pub struct Variant<'a> {
    pub ident: &'a Ident,
    /// The stored name (after `rename` / `rename_all`).
    pub stored: String,
    pub style: Style,
    pub fields: Vec<Field<'a>>,
}

/// How a variant holds its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `A`
    Unit,
    /// `A(T)`
    Newtype,
    /// `A(T, U)`
    Tuple,
    /// `A { x: T }`
    Struct,
}

/// One field.
pub struct Field<'a> {
    /// `self.<member>`: the ident as written (raw identifiers kept) or the index.
    pub member: Member,
    /// The Rust name without `r#` (the index for tuple fields).
    pub name: String,
    /// The stored attribute name (after `rename` / `rename_all`).
    pub stored: String,
    /// The field type (in a model, `Self` replaced by the model's name).
    pub ty: Type,
    pub attrs: attr::Field,
    pub original: &'a syn::Field,
}

impl Field<'_> {
    /// Whether the field is written and read (not `skip`, not a relation).
    pub fn persisted(&self) -> bool {
        self.attrs.skip.is_none() && self.attrs.relation.is_none()
    }

    /// Why a field is not stored, for messages (`None` when it is).
    pub fn not_stored_reason(&self) -> Option<&'static str> {
        if self.attrs.relation.is_some() {
            Some("a relation field")
        } else if self.attrs.skip.is_some() {
            Some("a `skip` field")
        } else {
            None
        }
    }

    /// Whether the type is syntactically an `Option<..>`.
    pub fn is_option(&self) -> bool {
        is_option(&self.ty)
    }

    /// Whether the create builder requires a value for this field.
    pub fn required(&self) -> bool {
        let a = &self.attrs;
        self.persisted()
            && !self.is_option()
            && a.default.is_none()
            && a.created_at.is_none()
            && a.updated_at.is_none()
            && a.version.is_none()
    }

    /// The field ident (only for named fields).
    pub fn ident(&self) -> Option<&Ident> {
        match &self.member {
            Member::Named(ident) => Some(ident),
            Member::Unnamed(_) => None,
        }
    }
}

impl<'a> Model<'a> {
    /// Builds the model, recording every attribute error. `None` when the
    /// input is not a struct with named fields.
    pub fn from_ast(cx: &Ctxt, input: &'a DeriveInput) -> Option<Self> {
        let attrs = attr::Container::from_ast(cx, &input.attrs, Derive::Table);
        if !input.generics.params.is_empty() || input.generics.where_clause.is_some() {
            cx.error_spanned_by(&input.generics, "generic models are not supported");
        }
        let fields = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(fields) => &fields.named,
                _ => {
                    cx.error(
                        input.ident.span(),
                        "`#[derive(Table)]` supports only structs with named fields",
                    );
                    return None;
                }
            },
            Data::Enum(data) => {
                cx.error(
                    data.enum_token.span,
                    "`#[derive(Table)]` supports only structs with named fields; \
                     derive `Attribute` to store an enum inside a model",
                );
                return None;
            }
            Data::Union(data) => {
                cx.error(
                    data.union_token.span,
                    "`#[derive(Table)]` supports only structs with named fields",
                );
                return None;
            }
        };
        let rename_all = attrs.rename_all.as_ref().map(|r| r.value);
        let fields = fields
            .iter()
            .enumerate()
            .map(|(i, f)| Field::from_ast(cx, i, f, input, rename_all, Derive::Table))
            .collect();
        Some(Model {
            input,
            ident: &input.ident,
            vis: &input.vis,
            attrs,
            fields,
        })
    }
}

impl<'a> Value<'a> {
    /// Builds a `#[derive(Attribute)]` type, recording every error. `None`
    /// for unsupported shapes.
    pub fn from_ast(cx: &Ctxt, input: &'a DeriveInput) -> Option<Self> {
        let attrs = attr::Container::from_ast(cx, &input.attrs, Derive::Attribute);
        let rename_all = attrs.rename_all.as_ref().map(|r| r.value);
        let shape = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => Shape::Struct(
                    named
                        .named
                        .iter()
                        .enumerate()
                        .map(|(i, f)| {
                            Field::from_ast(cx, i, f, input, rename_all, Derive::Attribute)
                        })
                        .collect(),
                ),
                Fields::Unnamed(unnamed) if unnamed.unnamed.len() == 1 => {
                    let field = &unnamed.unnamed[0];
                    Shape::Newtype(Box::new(Field::from_ast(
                        cx,
                        0,
                        field,
                        input,
                        None,
                        Derive::Attribute,
                    )))
                }
                Fields::Unnamed(unnamed) => {
                    cx.error_spanned_by(
                        unnamed,
                        "`#[derive(Attribute)]` supports tuple structs with exactly one field \
                         (newtypes); use named fields",
                    );
                    return None;
                }
                Fields::Unit => {
                    cx.error(
                        input.ident.span(),
                        "`#[derive(Attribute)]` does not support unit structs",
                    );
                    return None;
                }
            },
            Data::Enum(data) => Shape::Enum(
                data.variants
                    .iter()
                    .map(|v| Variant::from_ast(cx, v, input, rename_all))
                    .collect(),
            ),
            Data::Union(data) => {
                cx.error(
                    data.union_token.span,
                    "`#[derive(Attribute)]` does not support unions",
                );
                return None;
            }
        };
        Some(Value {
            input,
            ident: &input.ident,
            attrs,
            shape,
        })
    }
}

impl<'a> Variant<'a> {
    fn from_ast(
        cx: &Ctxt,
        variant: &'a syn::Variant,
        input: &'a DeriveInput,
        rename_all: Option<RenameRule>,
    ) -> Self {
        let attrs = attr::Variant::from_ast(cx, &variant.attrs);
        let name = variant.ident.unraw().to_string();
        let stored = match (attrs.rename, rename_all) {
            (Some(rename), _) => rename.value,
            (None, Some(rule)) => rule.apply_to_variant(&name),
            (None, None) => name,
        };
        let style = match &variant.fields {
            Fields::Unit => Style::Unit,
            Fields::Named(_) => Style::Struct,
            Fields::Unnamed(unnamed) if unnamed.unnamed.len() == 1 => Style::Newtype,
            Fields::Unnamed(_) => Style::Tuple,
        };
        let fields = variant
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| Field::from_ast(cx, i, f, input, None, Derive::Attribute))
            .collect();
        Variant {
            ident: &variant.ident,
            stored,
            style,
            fields,
        }
    }
}

impl<'a> Field<'a> {
    fn from_ast(
        cx: &Ctxt,
        index: usize,
        field: &'a syn::Field,
        input: &DeriveInput,
        rename_all: Option<RenameRule>,
        derive: Derive,
    ) -> Self {
        let attrs = attr::Field::from_ast(cx, &field.attrs, derive);
        let (member, name) = match &field.ident {
            Some(ident) => (Member::Named(ident.clone()), ident.unraw().to_string()),
            None => (Member::Unnamed(syn::Index::from(index)), index.to_string()),
        };
        let stored = match (&attrs.rename, rename_all) {
            (Some(rename), _) => rename.value.clone(),
            (None, Some(rule)) => rule.apply_to_field(&name),
            (None, None) => name.clone(),
        };
        let mut ty = field.ty.clone();
        if derive == Derive::Table {
            // Models are not generic, so `Self` is exactly the model's name.
            replace_self(&mut ty, &input.ident);
        }
        Field {
            member,
            name,
            stored,
            ty,
            attrs,
            original: field,
        }
    }
}

/// Whether a type is syntactically `Option<..>` (by its last path segment,
/// so `std::option::Option<T>` counts too).
pub fn is_option(ty: &Type) -> bool {
    match ty {
        Type::Group(group) => is_option(&group.elem),
        Type::Paren(paren) => is_option(&paren.elem),
        Type::Path(path) if path.qself.is_none() => path.path.segments.last().is_some_and(|s| {
            s.ident == "Option" && matches!(s.arguments, syn::PathArguments::AngleBracketed(_))
        }),
        _ => false,
    }
}

/// `T` of a syntactic `Option<T>` (see [`is_option`]).
pub fn option_inner(ty: &Type) -> Option<&Type> {
    match ty {
        Type::Group(group) => option_inner(&group.elem),
        Type::Paren(paren) => option_inner(&paren.elem),
        Type::Path(path) if path.qself.is_none() => {
            let segment = path.path.segments.last()?;
            if segment.ident != "Option" {
                return None;
            }
            let syn::PathArguments::AngleBracketed(args) = &segment.arguments else {
                return None;
            };
            match args.args.first() {
                Some(syn::GenericArgument::Type(inner)) if args.args.len() == 1 => Some(inner),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Replaces `Self` in a field type with the type's name, so the type can be
/// used outside the type's own `impl` (in the create builder).
fn replace_self(ty: &mut Type, ident: &Ident) {
    match ty {
        Type::Path(path) => {
            if let Some(qself) = &mut path.qself {
                replace_self(&mut qself.ty, ident);
            }
            if path.qself.is_none()
                && let Some(first) = path.path.segments.first_mut()
                && first.ident == "Self"
            {
                first.ident = Ident::new(&ident.to_string(), first.ident.span());
            }
            for segment in &mut path.path.segments {
                if let syn::PathArguments::AngleBracketed(args) = &mut segment.arguments {
                    for arg in &mut args.args {
                        if let syn::GenericArgument::Type(t) = arg {
                            replace_self(t, ident);
                        }
                    }
                }
            }
        }
        Type::Reference(r) => replace_self(&mut r.elem, ident),
        Type::Slice(s) => replace_self(&mut s.elem, ident),
        Type::Array(a) => replace_self(&mut a.elem, ident),
        Type::Ptr(p) => replace_self(&mut p.elem, ident),
        Type::Paren(p) => replace_self(&mut p.elem, ident),
        Type::Group(g) => replace_self(&mut g.elem, ident),
        Type::Tuple(t) => t.elems.iter_mut().for_each(|e| replace_self(e, ident)),
        _ => {}
    }
}

/// The span of a field's name (or its type, for tuple fields).
pub fn field_span(field: &Field) -> proc_macro2::Span {
    match &field.original.ident {
        Some(ident) => ident.span(),
        None => field.original.ty.span(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_detection_is_syntactic() {
        let yes: [Type; 3] = [
            syn::parse_quote!(Option<String>),
            syn::parse_quote!(std::option::Option<i64>),
            syn::parse_quote!(::core::option::Option<Vec<u8>>),
        ];
        let no: [Type; 3] = [
            syn::parse_quote!(String),
            syn::parse_quote!(Vec<Option<String>>),
            syn::parse_quote!(Option),
        ];
        assert!(yes.iter().all(is_option));
        assert!(!no.iter().any(is_option));
    }

    #[test]
    fn self_is_replaced_by_the_type_name() {
        let ident: Ident = syn::parse_quote!(Node);
        let mut ty: Type = syn::parse_quote!(Vec<Option<Box<Self>>>);
        replace_self(&mut ty, &ident);
        let expected: Type = syn::parse_quote!(Vec<Option<Box<Node>>>);
        assert_eq!(ty, expected);
    }
}
