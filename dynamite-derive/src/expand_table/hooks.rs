//! The `Table` hook entry points, forwarding to the user's `impl Hooks`.

use proc_macro2::TokenStream;
use quote::quote;

/// With `#[dynamite(hooks)]`: the `Table` hook entry points forward to the
/// user's `impl Hooks`.
pub(super) fn hook_fns() -> TokenStream {
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
