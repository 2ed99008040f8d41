//! Error accumulation: every stage reports into one [`Ctxt`], so a user sees
//! all of a model's mistakes at once instead of fixing them one by one.

use std::cell::RefCell;
use std::fmt::Display;

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;

/// Collects spanned errors while the derive input is parsed and checked.
#[derive(Default)]
pub struct Ctxt {
    errors: RefCell<Vec<syn::Error>>,
}

impl Ctxt {
    /// A context with no errors yet.
    pub fn new() -> Self {
        Ctxt::default()
    }

    /// Records an error at `span`.
    pub fn error(&self, span: Span, message: impl Display) {
        self.errors
            .borrow_mut()
            .push(syn::Error::new(span, message));
    }

    /// Records an error spanning all of `tokens` (e.g. a path or a type).
    pub fn error_spanned_by(&self, tokens: impl ToTokens, message: impl Display) {
        self.errors
            .borrow_mut()
            .push(syn::Error::new_spanned(tokens, message));
    }

    /// Records an error produced by syn.
    pub fn syn_error(&self, error: syn::Error) {
        self.errors.borrow_mut().push(error);
    }

    /// Whether any error was recorded.
    pub fn has_errors(&self) -> bool {
        !self.errors.borrow().is_empty()
    }

    /// Consumes the context: `Ok` when no error was recorded, else every
    /// error as `compile_error!` invocations.
    pub fn check(self) -> Result<(), TokenStream> {
        let errors = self.errors.into_inner();
        if errors.is_empty() {
            return Ok(());
        }
        Err(errors.iter().map(syn::Error::to_compile_error).collect())
    }
}

/// The error for a stage that gave up without recording why. A derive never
/// expands to nothing: that would leave the type without its impl and the
/// user with a confusing error far from the cause.
pub fn gave_up(ident: &syn::Ident, derive: &str) -> TokenStream {
    syn::Error::new_spanned(
        ident,
        format!(
            "dynamite: `#[derive({derive})]` could not read this type and recorded no \
             reason; please report this"
        ),
    )
    .to_compile_error()
}
