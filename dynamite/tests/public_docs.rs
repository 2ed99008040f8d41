//! What users read stays theirs: the README, the docs, the guide, rustdoc
//! and the examples carry no internal tracker numbers, link to nothing
//! outside the repository, name the published package in dependency lines,
//! and document the index names the derive really generates.

use std::path::{Path, PathBuf};

use dynamite::Registry;
use dynamite::prelude::*;

fn repository() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    // Outside the repository (a packaged crate) there is nothing to scan.
    root.join("Cargo.toml").exists().then_some(root)
}

/// Every file a user reads: Markdown at the root and in `docs/`, and the
/// Rust sources whose comments become rustdoc, examples or bench output.
fn public_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in [".", "docs"] {
        files.extend(
            list(&root.join(dir))
                .into_iter()
                .filter(|p| p.extension().is_some_and(|e| e == "md")),
        );
    }
    for dir in [
        "dynamite/src",
        "dynamite/examples",
        "dynamite-derive/src",
        "dynamite-testkit/src",
        "dynamite-bench/src",
        "dynamite-bench/benches",
    ] {
        walk(&root.join(dir), &mut files);
    }
    files.sort();
    files
}

fn list(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for path in list(dir) {
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs" || e == "md") {
            out.push(path);
        }
    }
}

/// `word` followed by optional spaces, an optional `#`, then a digit:
/// "issue 4", "Issue #12", "defect 13".
fn numbered(line: &str, word: &str) -> bool {
    let lower = line.to_lowercase();
    lower.match_indices(word).any(|(at, _)| {
        let before = lower[..at].chars().next_back();
        if before.is_some_and(char::is_alphanumeric) {
            return false;
        }
        let rest = lower[at + word.len()..].trim_start_matches('s');
        let rest = rest.trim_start_matches(' ').trim_start_matches('#');
        rest.starts_with(|c: char| c.is_ascii_digit())
    })
}

/// What a user must never read, or `None`.
fn internal_words(line: &str) -> Option<&'static str> {
    if numbered(line, "issue") {
        return Some("an internal issue number");
    }
    if numbered(line, "defect") {
        return Some("an internal defect number");
    }
    for (needle, what) in [
        ("../shared", "a path outside the repository"),
        ("shared/reference", "a path outside the repository"),
        ("DESIGN.md", "the internal design page"),
        ("seed/", "the internal seed folder"),
    ] {
        if line.contains(needle) {
            return Some(what);
        }
    }
    None
}

#[test]
fn public_docs_carry_no_internal_words() {
    let Some(root) = repository() else { return };
    let mut found = Vec::new();
    for file in public_files(&root) {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            if let Some(what) = internal_words(line) {
                found.push(format!("{}:{}: {what}: {line}", file.display(), n + 1));
            }
        }
    }
    assert!(
        found.is_empty(),
        "internal words in public docs:\n{}",
        found.join("\n")
    );
}

/// The targets of Markdown links `[text](target)` in `line`.
fn link_targets(line: &str) -> Vec<&str> {
    line.match_indices("](")
        .filter_map(|(at, _)| {
            let rest = &line[at + 2..];
            rest.find(')').map(|end| &rest[..end])
        })
        .collect()
}

#[test]
fn relative_links_stay_inside_the_repository_and_resolve() {
    let Some(root) = repository() else { return };
    let root = root.canonicalize().unwrap();
    let mut found = Vec::new();
    for file in public_files(&root) {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let dir = file.parent().unwrap().to_path_buf();
        for (n, line) in text.lines().enumerate() {
            for target in link_targets(line) {
                let external = ["http://", "https://", "mailto:", "#"]
                    .iter()
                    .any(|p| target.starts_with(p));
                // Rustdoc intra-doc links (`crate::..`, `super::..`) are
                // checked by `cargo doc -D warnings`.
                if external || target.contains("::") || file.extension().is_some_and(|e| e == "rs")
                {
                    continue;
                }
                let path = target.split('#').next().unwrap_or_default();
                let resolved = dir.join(path).canonicalize();
                let inside = resolved.as_ref().is_ok_and(|p| p.starts_with(&root));
                if !inside {
                    found.push(format!("{}:{}: {target}", file.display(), n + 1));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "links outside the repository or to nothing:\n{}",
        found.join("\n")
    );
}

#[test]
fn a_negative_control_for_the_word_scan() {
    assert_eq!(
        internal_words("the targets of issue 4"),
        Some("an internal issue number")
    );
    assert_eq!(
        internal_words("see Issue #12"),
        Some("an internal issue number")
    );
    assert_eq!(
        internal_words("TS defect 13"),
        Some("an internal defect number")
    );
    assert!(internal_words("see `../shared/reference/peers.md`").is_some());
    assert_eq!(internal_words("open an issue on GitHub"), None);
    assert_eq!(internal_words("tissue 4"), None);
    assert_eq!(
        link_targets("[a](../x.md) and [b](#y)"),
        vec!["../x.md", "#y"]
    );
}

/// A dependency line naming the library: `dynamite = ..` pulls an
/// unrelated crate unless it says `package = "dynamite-orm"`.
fn wrong_dependency_line(line: &str) -> bool {
    let code = line
        .trim_start()
        .trim_start_matches("//!")
        .trim_start_matches("///")
        .trim_start()
        .trim_start_matches('`');
    let names_bare_package = code.starts_with("dynamite = ") || line.contains("`dynamite = ");
    names_bare_package && !line.contains("package = \"dynamite-orm\"")
}

#[test]
fn dependency_lines_name_the_published_package() {
    let Some(root) = repository() else { return };
    assert!(wrong_dependency_line("dynamite = \"0.1\""));
    assert!(wrong_dependency_line(
        "//! dynamite = { version = \"0.1\" }"
    ));
    assert!(!wrong_dependency_line("dynamite-orm = \"0.1\""));
    let mut found = Vec::new();
    for file in public_files(&root) {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            if wrong_dependency_line(line) {
                found.push(format!("{}:{}: {line}", file.display(), n + 1));
            }
        }
    }
    assert!(
        found.is_empty(),
        "dependency lines naming the unrelated `dynamite` crate:\n{}",
        found.join("\n")
    );
}

#[derive(Table, Debug, Clone)]
struct Ticket {
    #[dynamite(primary_key)]
    id: String,
    #[dynamite(index(sort_key = "opened_at"))]
    owner: String,
    opened_at: String,
    #[dynamite(index)]
    status: String,
}

#[test]
fn documented_default_index_names_are_the_generated_ones() {
    let registry = Registry::new("").table::<Ticket>().resolve().unwrap();
    let by_owner = Ticket::query()
        .filter(Ticket::OWNER.eq("ada"))
        .explain(&registry)
        .to_string();
    assert!(
        by_owner.contains("index owner_opened_at_index"),
        "{by_owner}"
    );
    let by_status = Ticket::query()
        .filter(Ticket::STATUS.eq("open"))
        .explain(&registry)
        .to_string();
    assert!(by_status.contains("index status_index"), "{by_status}");
    let Some(root) = repository() else { return };
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(readme.contains("`<attr>_index` by default, or `<attr>_<sort attr>_index`"));
}
