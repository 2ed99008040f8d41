//! `#[dynamite(crate = "path")]`: the path the generated code reaches the
//! runtime by, for users who rename the dependency (as serde's
//! `#[serde(crate = "..")]`). Code generation always writes `::dynamite::`;
//! when a path is given, the finished expansion is rewritten once.

use proc_macro2::{Group, Spacing, TokenStream, TokenTree};
use quote::ToTokens;

/// The generated code's `::dynamite` prefixes replaced by `path`.
pub fn rewrite(tokens: TokenStream, path: &syn::Path) -> TokenStream {
    let replacement = path.to_token_stream();
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out = TokenStream::new();
    let mut i = 0;
    while i < trees.len() {
        if let [
            TokenTree::Punct(a),
            TokenTree::Punct(b),
            TokenTree::Ident(name),
            ..,
        ] = &trees[i..]
            && a.as_char() == ':'
            && a.spacing() == Spacing::Joint
            && b.as_char() == ':'
            && name == "dynamite"
        {
            out.extend(replacement.clone());
            i += 3;
            continue;
        }
        match &trees[i] {
            TokenTree::Group(group) => {
                let mut inner = Group::new(group.delimiter(), rewrite(group.stream(), path));
                inner.set_span(group.span());
                out.extend([TokenTree::Group(inner)]);
            }
            other => out.extend([other.clone()]),
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn absolute_runtime_paths_take_the_given_crate() {
        let path: syn::Path = syn::parse_quote!(my_db);
        let tokens = quote! {
            impl ::dynamite::Table for X {
                const META: ::dynamite::TableMeta = <Y as ::dynamite::Table>::META;
            }
            ::core::option::Option::None
        };
        let text = rewrite(tokens, &path).to_string();
        assert!(!text.contains(":: dynamite"), "{text}");
        assert!(text.contains("impl my_db :: Table for X"), "{text}");
        assert!(text.contains("< Y as my_db :: Table >"), "{text}");
        assert!(text.contains(":: core :: option"), "{text}");
    }
}
