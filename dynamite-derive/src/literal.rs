//! Literal defaults (`default = 0`, `-1.5`, `true`, `'c'`, `"text"`): whether
//! one fits its field's type, and the expression the create builder uses.
//!
//! Field types are known by their spelling only. For the primitive numbers,
//! `bool`, `char` and `String` the check is exact, so a literal that does
//! not fit is an error on the literal; an integer literal fits a float
//! (`default = 0` on an `f64` is `0.0`). Any other type gets the literal
//! typed as the field, so a mismatch is still reported on the literal.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Lit, LitFloat, Type};

use crate::ast::{Field, option_inner};
use crate::attr::Literal;

/// A field type the derive recognises by name.
#[derive(Clone, Copy)]
enum Kind {
    /// A primitive integer and its range.
    Integer {
        name: &'static str,
        min: i128,
        max: u128,
    },
    /// `f32` or `f64`.
    Float(&'static str),
    Bool,
    Char,
    String,
}

impl Kind {
    /// The kind of a type (the `T` of an `Option<T>` field).
    fn of(ty: &Type) -> Option<Kind> {
        let ident = match ty {
            Type::Group(group) => return Kind::of(&group.elem),
            Type::Paren(paren) => return Kind::of(&paren.elem),
            Type::Path(path) if path.qself.is_none() => path.path.get_ident()?,
            _ => return None,
        };
        macro_rules! integers {
            ($($t:ident)*) => {
                match ident.to_string().as_str() {
                    $(stringify!($t) => Some(Kind::Integer {
                        name: stringify!($t),
                        min: $t::MIN as i128,
                        max: $t::MAX as u128,
                    }),)*
                    "f32" => Some(Kind::Float("f32")),
                    "f64" => Some(Kind::Float("f64")),
                    "bool" => Some(Kind::Bool),
                    "char" => Some(Kind::Char),
                    "String" => Some(Kind::String),
                    _ => None,
                }
            };
        }
        integers!(u8 u16 u32 u64 u128 usize i8 i16 i32 i64 i128 isize)
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Integer { name, .. } | Kind::Float(name) => name,
            Kind::Bool => "bool",
            Kind::Char => "char",
            Kind::String => "String",
        }
    }

    /// What a literal for this kind looks like, for messages.
    fn expected(self) -> &'static str {
        match self {
            Kind::Integer { .. } => "an integer literal",
            Kind::Float(_) => "a number literal",
            Kind::Bool => "`true` or `false`",
            Kind::Char => "a char literal (`'c'`)",
            Kind::String => "a string literal (`\"...\"`)",
        }
    }
}

/// The value of a literal default for `field` (not yet wrapped in `Some`
/// for an `Option` field), or an error on the literal when it does not fit.
pub fn literal_default(field: &Field, literal: &Literal) -> syn::Result<TokenStream> {
    let ty = option_inner(&field.ty).unwrap_or(&field.ty);
    let expr = &literal.expr;
    let span = expr.span();
    let Some(kind) = Kind::of(ty) else {
        // A type only the compiler knows: a string converts with `Into`,
        // anything else is typed as the field, so a mismatch is reported
        // on the literal.
        return Ok(match &literal.lit {
            Lit::Str(text) => quote_spanned!(span=> ::core::convert::Into::into(#text)),
            _ => quote_spanned!(span=> { let value: #ty = #expr; value }),
        });
    };
    let shown = format!(
        "{}{}",
        if literal.negative { "-" } else { "" },
        literal.lit.to_token_stream()
    );
    let field_ty = match option_inner(&field.ty) {
        Some(_) => format!("Option<{}>", kind.name()),
        None => kind.name().to_owned(),
    };
    let error = |reason: String| {
        syn::Error::new_spanned(
            expr,
            format!(
                "`default = {shown}` does not fit the `{field_ty}` field `{}`: {reason}",
                field.name
            ),
        )
    };
    let suffix_fits = |suffix: &str| suffix.is_empty() || suffix == kind.name();
    match (kind, &literal.lit) {
        (Kind::Integer { name, min, max }, Lit::Int(int)) => {
            if !suffix_fits(int.suffix()) {
                return Err(error(format!("the literal is a `{}`", int.suffix())));
            }
            if literal.negative && min == 0 {
                return Err(error(format!("`{name}` cannot be negative")));
            }
            let magnitude = int.base10_parse::<u128>().ok();
            let limit = if literal.negative {
                min.unsigned_abs()
            } else {
                max
            };
            if magnitude.is_none_or(|m| m > limit) {
                return Err(error(format!("`{name}` holds {min}..={max}")));
            }
            Ok(quote!(#expr))
        }
        (Kind::Float(_), Lit::Int(int)) => {
            if !suffix_fits(int.suffix()) {
                return Err(error(format!("the literal is a `{}`", int.suffix())));
            }
            // `0` is written `0.0` for a float: the same number.
            let float = LitFloat::new(&format!("{}.0", int.base10_digits()), int.span());
            let sign = literal.negative.then(|| quote_spanned!(span=> -));
            Ok(quote!(#sign #float))
        }
        (Kind::Float(_), Lit::Float(float)) => {
            if !suffix_fits(float.suffix()) {
                return Err(error(format!("the literal is a `{}`", float.suffix())));
            }
            Ok(quote!(#expr))
        }
        (Kind::Bool, Lit::Bool(_)) | (Kind::Char, Lit::Char(_)) => Ok(quote!(#expr)),
        (Kind::String, Lit::Str(text)) => {
            Ok(quote_spanned!(span=> ::std::string::String::from(#text)))
        }
        (Kind::String, lit) => {
            let text = match lit {
                Lit::Char(c) => c.value().to_string(),
                _ => shown.clone(),
            };
            Err(error(format!(
                "expected a string literal: `default = \"{text}\"`"
            )))
        }
        (_, _) => Err(error(format!("expected {}", kind.expected()))),
    }
}

#[cfg(test)]
mod tests {
    use super::literal_default;
    use crate::ast::Model;
    use crate::attr::DefaultValue;
    use crate::ctxt::Ctxt;

    /// The expansion (or error) of the one literal default of `input`.
    fn expand(input: syn::DeriveInput) -> Result<String, String> {
        let cx = Ctxt::new();
        let model = Model::from_ast(&cx, &input).expect("a model");
        let (field, literal) = model
            .fields
            .iter()
            .find_map(|f| match f.attrs.default.as_ref().map(|d| &d.value) {
                Some(DefaultValue::Lit(literal)) => Some((f, literal)),
                _ => None,
            })
            .expect("a literal default");
        let result = literal_default(field, literal)
            .map(|tokens| tokens.to_string())
            .map_err(|e| e.to_string());
        // The context holds no error: parsing accepted every literal.
        assert!(cx.check().is_ok());
        result
    }

    #[test]
    fn an_integer_literal_on_a_float_is_the_same_float() {
        let zero = expand(syn::parse_quote! {
            struct M { #[dynamite(default = 0)] a: f64 }
        });
        let minus = expand(syn::parse_quote! {
            struct M { #[dynamite(default = -2)] a: Option<f32> }
        });
        let hex = expand(syn::parse_quote! {
            struct M { #[dynamite(default = 0x10)] a: f64 }
        });
        assert_eq!(zero.as_deref(), Ok("0.0"));
        assert_eq!(minus.as_deref(), Ok("- 2.0"));
        assert_eq!(hex.as_deref(), Ok("16.0"));
    }

    #[test]
    fn integer_bounds_are_exact() {
        let fits = [
            expand(syn::parse_quote! { struct M { #[dynamite(default = 255)] a: u8 } }),
            expand(syn::parse_quote! { struct M { #[dynamite(default = -128)] a: i8 } }),
            expand(syn::parse_quote! {
                struct M { #[dynamite(default = 340282366920938463463374607431768211455)] a: u128 }
            }),
            expand(syn::parse_quote! {
                struct M { #[dynamite(default = -170141183460469231731687303715884105728)] a: i128 }
            }),
        ];
        assert!(fits.iter().all(Result::is_ok), "{fits:?}");
        let too_big = [
            expand(syn::parse_quote! { struct M { #[dynamite(default = 256)] a: u8 } }),
            expand(syn::parse_quote! { struct M { #[dynamite(default = -129)] a: i8 } }),
            expand(syn::parse_quote! {
                struct M { #[dynamite(default = 340282366920938463463374607431768211456)] a: u128 }
            }),
            expand(syn::parse_quote! { struct M { #[dynamite(default = -0)] a: u32 } }),
        ];
        assert!(too_big.iter().all(Result::is_err), "{too_big:?}");
    }
}
