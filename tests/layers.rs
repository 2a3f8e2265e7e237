//! The layers run one way: composition (`site`, the binary) on top; the areas in the middle,
//! each importing only the areas below it; the ground (`server`, `domain`, `calendar`, `i18n`)
//! importing no area and nothing above. This test reads the source and fails on any import that
//! runs up.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const GROUND: &[&str] = &["server", "domain", "calendar", "i18n"];
const COMPOSITION: &[&str] = &["lib", "main", "site"];

/// Each area and the areas it may import (everything lower in the chain).
fn allowed_areas() -> BTreeMap<&'static str, &'static [&'static str]> {
    BTreeMap::from([
        ("org", &[][..]),
        ("channel", &["org"][..]),
        ("join", &["org", "channel"][..]),
        ("admin", &["org"][..]),
        ("review", &["org", "channel", "join", "admin"][..]),
        ("workdays", &["org", "admin"][..]),
        ("transfer", &["org", "admin"][..]),
        ("roster", &["org", "channel", "join", "admin", "review"][..]),
        ("command", &["org", "admin", "review", "transfer"][..]),
        // member
        ("member", &["org", "channel", "join", "admin", "review", "transfer"][..]),
        // benefits
        ("benefit", &["org", "channel", "join", "admin", "review", "transfer", "roster", "command", "workdays", "member"][..]),
        // library
        ("library", &["org", "admin", "member"][..]),
        // legal aid
        ("legal", &["org", "channel", "join", "admin", "review", "transfer", "member"][..]),
        // events and training
        ("event", &["org", "channel", "join", "admin", "review", "transfer", "member"][..]),
        // the service hall: above every area whose pages its catalogue leads to
        (
            "hall",
            &[
                "org", "channel", "join", "admin", "review", "transfer", "member", "benefit", "roster", "command", "workdays", "library",
                "legal", "event",
            ][..],
        ),
    ])
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules a file names through `crate::…`.
fn imported_modules(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        found.push(name);
    }
    found
}

#[test]
fn imports_run_one_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let areas = allowed_areas();
    let mut wrong = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap();
        let top = rel.components().next().unwrap().as_os_str().to_str().unwrap().trim_end_matches(".rs").to_string();
        let source = std::fs::read_to_string(file).unwrap();
        for m in imported_modules(&source) {
            let ok = if GROUND.contains(&top.as_str()) {
                GROUND.contains(&m.as_str())
            } else if let Some(lower) = areas.get(top.as_str()) {
                m == top || GROUND.contains(&m.as_str()) || lower.contains(&m.as_str())
            } else {
                // Composition: lib.rs, main.rs, site/. A folder in none of the lists is an area
                // nobody placed in the chain yet: that is an error too.
                assert!(COMPOSITION.contains(&top.as_str()), "src/{top} is in no layer: add it to allowed_areas");
                true
            };
            if !ok {
                wrong.push(format!("{} imports crate::{m}", rel.display()));
            }
        }
    }
    wrong.sort();
    wrong.dedup();
    assert!(wrong.is_empty(), "imports that run up a layer:\n{}", wrong.join("\n"));
}

#[test]
fn the_checker_sees_imports() {
    assert_eq!(imported_modules("use crate::join::repo; x(crate::site::render)"), vec!["join", "site"]);
}
