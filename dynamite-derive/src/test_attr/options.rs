//! The options of `#[dynamite::test(...)]`: each key named once, unknown
//! and repeated keys rejected at their token, every error collected.

use proc_macro2::{Span, TokenStream};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Lit, LitInt, LitStr, Meta, Token};

use crate::ctxt::Ctxt;

const MODELS: &str = "models";
const REGISTRY: &str = "registry";
const FIXTURES: &str = "fixtures";
const FIXTURE: &str = "fixture";
const SEED: &str = "seed";
const FLAVOR: &str = "flavor";
const WORKER_THREADS: &str = "worker_threads";
const START_PAUSED: &str = "start_paused";
const CRATE: &str = "crate";

const KNOWN: &[&str] = &[
    MODELS,
    REGISTRY,
    FIXTURES,
    FIXTURE,
    SEED,
    FLAVOR,
    WORKER_THREADS,
    CRATE,
];

/// The runtime a test asks for.
pub enum Flavor {
    CurrentThread,
    MultiThread,
}

/// A fixture file: the path as written, and the literal (for spans).
pub struct FixtureFile {
    pub path: LitStr,
}

/// Everything `#[dynamite::test(...)]` says.
#[derive(Default)]
pub struct Options {
    pub models: Vec<syn::Path>,
    /// The `models` key itself, for errors needing it.
    pub models_given: bool,
    pub registry: Option<syn::Path>,
    pub fixtures: Vec<FixtureFile>,
    pub fixtures_span: Option<Span>,
    pub fixture: Option<syn::Path>,
    pub seed: Option<syn::Path>,
    pub flavor: Option<(Flavor, Span)>,
    pub worker_threads: Option<LitInt>,
    pub krate: Option<syn::Path>,
}

/// Parses the attribute's arguments, recording every error in `cx`.
pub fn parse(cx: &Ctxt, args: TokenStream) -> Options {
    let mut options = Options::default();
    let metas = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args) {
        Ok(metas) => metas,
        Err(e) => {
            cx.syn_error(e);
            return options;
        }
    };
    let mut seen: Vec<String> = Vec::new();
    for meta in metas {
        let path = meta.path();
        let Some(key) = path.get_ident().map(ToString::to_string).or_else(|| {
            // `crate` parses as a path of one keyword segment.
            (path.segments.len() == 1).then(|| path.segments[0].ident.to_string())
        }) else {
            cx.error_spanned_by(path, unknown_message(&quote::quote!(#path).to_string()));
            continue;
        };
        if seen.contains(&key) {
            cx.error_spanned_by(
                path,
                format!("duplicate option `{key}` of #[dynamite::test]"),
            );
            continue;
        }
        seen.push(key.clone());
        option(cx, &mut options, &key, &meta);
    }
    check(cx, &options);
    options
}

/// Reads the option `key` (named once) into `options`.
fn option(cx: &Ctxt, options: &mut Options, key: &str, meta: &Meta) {
    let path = meta.path();
    match key {
        MODELS => {
            options.models_given = true;
            match list::<syn::Path>(meta, MODELS) {
                Ok(models) if models.is_empty() => {
                    cx.error_spanned_by(meta, "`models(..)` names at least one model")
                }
                Ok(models) => options.models = models,
                Err(e) => cx.syn_error(e),
            }
        }
        FIXTURES => {
            options.fixtures_span = Some(syn::spanned::Spanned::span(meta));
            match list::<LitStr>(meta, FIXTURES) {
                Ok(files) if files.is_empty() => {
                    cx.error_spanned_by(meta, "`fixtures(..)` lists at least one file")
                }
                Ok(files) => {
                    options.fixtures = files.into_iter().map(|path| FixtureFile { path }).collect()
                }
                Err(e) => cx.error(
                    e.span(),
                    "fixture files are string literals: \
                     `fixtures(\"tests/fixtures/users.json\")`",
                ),
            }
        }
        REGISTRY => options.registry = path_value(cx, meta, REGISTRY),
        FIXTURE => options.fixture = path_value(cx, meta, FIXTURE),
        SEED => options.seed = path_value(cx, meta, SEED),
        FLAVOR => {
            if let Some(lit) = str_value(cx, meta, FLAVOR) {
                match lit.value().as_str() {
                    "current_thread" => options.flavor = Some((Flavor::CurrentThread, lit.span())),
                    "multi_thread" => options.flavor = Some((Flavor::MultiThread, lit.span())),
                    other => cx.error_spanned_by(
                        &lit,
                        format!(
                            "unknown flavor `{other}`: expected \"current_thread\" or \"multi_thread\""
                        ),
                    ),
                }
            }
        }
        WORKER_THREADS => match value(meta) {
            Some(Expr::Lit(ExprLit {
                lit: Lit::Int(n), ..
            })) => match n.base10_parse::<usize>() {
                Ok(0) => cx.error_spanned_by(n, "`worker_threads` must be at least 1"),
                Ok(_) => options.worker_threads = Some(n.clone()),
                Err(e) => cx.syn_error(e),
            },
            _ => cx.error_spanned_by(meta, "expected `worker_threads = N` (an integer)"),
        },
        START_PAUSED => cx.error_spanned_by(
            path,
            "`start_paused` is not supported by #[dynamite::test] (it needs Tokio's \
             `test-util` feature); use #[tokio::test(start_paused = true)] with a handle \
             of your own",
        ),
        CRATE => {
            if let Some(lit) = str_value(cx, meta, CRATE) {
                match lit.parse::<syn::Path>() {
                    Ok(p) => options.krate = Some(p),
                    Err(e) => cx.error_spanned_by(&lit, format!("`crate` is a path: {e}")),
                }
            }
        }
        other => cx.error_spanned_by(path, unknown_message(other)),
    }
}

/// Checks across options.
fn check(cx: &Ctxt, options: &Options) {
    if let (Some((Flavor::CurrentThread, _)) | None, Some(n)) =
        (&options.flavor, &options.worker_threads)
    {
        cx.error_spanned_by(
            n,
            "`worker_threads` needs `flavor = \"multi_thread\"` (the default runtime has one thread)",
        );
    }
    if let Some(span) = options.fixtures_span
        && options.models.is_empty()
        && !options.models_given
    {
        cx.error(
            span,
            "`fixtures(..)` needs `models(..)`: the rows of a file deserialize into the models it names",
        );
    }
}

fn unknown_message(key: &str) -> String {
    format!(
        "unknown option `{key}` of #[dynamite::test]; expected one of: {}",
        KNOWN.join(", ")
    )
}

fn value(meta: &Meta) -> Option<&Expr> {
    match meta {
        Meta::NameValue(nv) => Some(&nv.value),
        _ => None,
    }
}

fn path_value(cx: &Ctxt, meta: &Meta, key: &str) -> Option<syn::Path> {
    match value(meta) {
        Some(Expr::Path(p)) if p.qself.is_none() => Some(p.path.clone()),
        _ => {
            cx.error_spanned_by(meta, format!("expected `{key} = path::to::function`"));
            None
        }
    }
}

fn str_value(cx: &Ctxt, meta: &Meta, key: &str) -> Option<LitStr> {
    match value(meta) {
        Some(Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        })) => Some(s.clone()),
        _ => {
            cx.error_spanned_by(meta, format!("expected `{key} = \"..\"` (a string)"));
            None
        }
    }
}

fn list<T: syn::parse::Parse>(meta: &Meta, key: &str) -> syn::Result<Vec<T>> {
    match meta {
        Meta::List(list) => Ok(list
            .parse_args_with(Punctuated::<T, Token![,]>::parse_terminated)?
            .into_iter()
            .collect()),
        _ => Err(syn::Error::new_spanned(
            meta,
            format!("expected `{key}(..)`"),
        )),
    }
}

/// Fixture files must exist (relative to the crate's `Cargo.toml`): a
/// missing one is an error at its literal rather than `include_str!`'s.
pub fn check_files(cx: &Ctxt, options: &Options) {
    // Without models the files cannot load anyway: that error is enough.
    let Ok(dir) = std::env::var("CARGO_MANIFEST_DIR") else {
        return;
    };
    if options.models.is_empty() {
        return;
    }
    for file in &options.fixtures {
        let path = std::path::Path::new(&dir).join(file.path.value());
        if !path.is_file() {
            cx.error_spanned_by(
                &file.path,
                format!(
                    "fixture file `{}` not found (paths are relative to the directory of the \
                     crate's Cargo.toml)",
                    file.path.value()
                ),
            );
        }
    }
}
