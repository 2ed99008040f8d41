//! The shape `#[dynamite::test]` needs: `async fn name()` or
//! `async fn name(db: Dynamite)`, no generics, no second test attribute.

use syn::{FnArg, ItemFn, Type};

use crate::ctxt::Ctxt;

/// Records what is wrong with `function`; returns whether it takes the
/// handle.
pub fn check(cx: &Ctxt, function: &ItemFn) -> bool {
    let sig = &function.sig;
    if sig.asyncness.is_none() {
        cx.error_spanned_by(
            sig.fn_token,
            "#[dynamite::test] goes on an `async fn`: add `async`",
        );
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        cx.error_spanned_by(
            &sig.generics,
            "a #[dynamite::test] function takes no generics",
        );
    }
    for attr in &function.attrs {
        let path = attr.path();
        let last = path.segments.last().map(|s| s.ident.to_string());
        if last.as_deref() == Some("test") {
            cx.error_spanned_by(
                attr,
                "#[dynamite::test] already makes this a test: remove this attribute",
            );
        }
    }
    let mut inputs = sig.inputs.iter();
    let takes_handle = match inputs.next() {
        None => false,
        Some(FnArg::Receiver(receiver)) => {
            cx.error_spanned_by(receiver, "a #[dynamite::test] function takes no `self`");
            false
        }
        Some(FnArg::Typed(arg)) => {
            if !is_handle(&arg.ty) {
                let hint = if matches!(*arg.ty, Type::Reference(_)) {
                    "take the handle by value: `db: Dynamite`"
                } else {
                    "the argument is the test's handle: `db: Dynamite`"
                };
                cx.error_spanned_by(&arg.ty, hint);
            }
            true
        }
    };
    for extra in inputs {
        cx.error_spanned_by(
            extra,
            "a #[dynamite::test] function takes one argument at most: `db: Dynamite`",
        );
    }
    takes_handle
}

/// `Dynamite`, `dynamite::Dynamite`, or any path ending in `Dynamite`.
fn is_handle(ty: &Type) -> bool {
    match ty {
        Type::Path(p) if p.qself.is_none() => p
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "Dynamite" && s.arguments.is_none()),
        Type::Paren(p) => is_handle(&p.elem),
        Type::Group(g) => is_handle(&g.elem),
        _ => false,
    }
}
