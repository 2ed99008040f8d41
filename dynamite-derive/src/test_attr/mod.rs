//! `#[dynamite::test]`: an `async fn` becomes a plain `#[test]` that runs
//! it through `dynamite::testing::Harness` (its runtime, a fresh handle,
//! fixtures, clean-up). Stages: `options` (the attribute's arguments),
//! `check_fn` (the function's shape), then the expansion below.

mod check_fn;
mod options;

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use crate::ctxt::Ctxt;
use options::{Flavor, Options};

/// Expands `#[dynamite::test(args)] item`; errors become `compile_error!`s
/// (with the function left out, so no second error follows from it).
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let cx = Ctxt::new();
    let options = options::parse(&cx, args);
    let function = match syn::parse2::<syn::ItemFn>(item) {
        Ok(function) => function,
        Err(e) => {
            cx.syn_error(syn::Error::new(
                e.span(),
                "#[dynamite::test] goes on an `async fn`",
            ));
            return errors(cx);
        }
    };
    let takes_handle = check_fn::check(&cx, &function);
    options::check_files(&cx, &options);
    if cx.has_errors() {
        return errors(cx);
    }
    let tokens = generate(&options, function, takes_handle);
    match &options.krate {
        Some(path) => crate::crate_path::rewrite(tokens, path),
        None => tokens,
    }
}

fn errors(cx: Ctxt) -> TokenStream {
    cx.check().err().unwrap_or_default()
}

fn generate(options: &Options, function: syn::ItemFn, takes_handle: bool) -> TokenStream {
    let syn::ItemFn {
        attrs,
        vis,
        mut sig,
        block,
    } = function;
    let name = sig.ident.clone();
    let name_text = name.to_string();
    let body = format_ident!("__dynamite_test_body");
    sig.ident = body.clone();
    let output_span = sig.output.span();

    let flavor = match &options.flavor {
        Some((Flavor::MultiThread, _)) => {
            let workers = match &options.worker_threads {
                Some(n) => quote!(::core::option::Option::Some(#n)),
                None => quote!(::core::option::Option::None),
            };
            quote!(::dynamite::testing::Flavor::MultiThread { worker_threads: #workers })
        }
        _ => quote!(::dynamite::testing::Flavor::CurrentThread),
    };
    let models = &options.models;
    let register = (!models.is_empty()).then(|| {
        quote! {
            .configure(|builder: ::dynamite::DynamiteBuilder| builder #(.table::<#models>())*)
        }
    });
    let registry = options
        .registry
        .as_ref()
        .map(|r| quote_spanned!(r.span()=> .configure(#r)));
    let files = (!options.fixtures.is_empty()).then(|| {
        let loads = options.fixtures.iter().map(|file| {
            let path = &file.path;
            quote_spanned! {path.span()=>
                .fixture_json(
                    #path,
                    ::core::include_str!(::core::concat!(::core::env!("CARGO_MANIFEST_DIR"), "/", #path)),
                )
            }
        });
        quote! {
            .fixture_models(::dynamite::testing::Fixtures::new() #(.model::<#models>())*)
            #(#loads)*
        }
    });
    let fixture = options
        .fixture
        .as_ref()
        .map(|f| quote_spanned!(f.span()=> .fixture(#f)));
    let seed = options
        .seed
        .as_ref()
        .map(|s| quote_spanned!(s.span()=> .seed(#s)));
    let call = if takes_handle {
        quote_spanned!(output_span=> .run(|db: ::dynamite::Dynamite| #body(db)))
    } else {
        quote_spanned!(output_span=> .run(|_: ::dynamite::Dynamite| #body()))
    };

    quote! {
        #(#attrs)*
        #[::core::prelude::v1::test]
        #vis fn #name() {
            #sig #block
            ::dynamite::testing::Harness::new(
                ::core::concat!(::core::module_path!(), "::", #name_text),
            )
            .flavor(#flavor)
            #register
            #registry
            #files
            #fixture
            #seed
            #call;
        }
    }
}
