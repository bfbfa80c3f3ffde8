//! The core's layers flow one way: each top-level module of `core/src` may name (`crate::x`)
//! only the modules below it in [`LAYERS`]. A cycle between two modules always breaks this
//! order, so the test also proves there is none. Comments are not read (a doc link is not a
//! dependency), nor unit-test files (`tests.rs`: a test may drive its layer from above).
//!
//! Run alone, it prints the dependencies it found: `cargo test -p ferrotrace-core --test layers
//! -- --nocapture`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Bottom to top. A new top-level module must be placed here.
const LAYERS: &[&str] = &[
    "diag",         // rate-limited warnings
    "error",        // the core's error type
    "model",        // plain data: names nothing
    "runtime",      // clock, fork generation (reseeds the model's ids in a forked child)
    "stats",        // counters, span counts
    "config",       // settings from the environment and the bindings
    "store",        // the local store's format, reading, search
    "process",      // sampling, redaction, finalize
    "export",       // exporters + the choice of destinations (select)
    "pipeline",     // delivery: queue, worker, flush/shutdown/exit, configure
    "tracer",       // hot path: start/end spans, seal traces
    "integrations", // provider responses -> MLflow chat attributes on a live span
    "api",          // the MLflow server and local-store API the bindings call
    "ui",           // `ferrotrace ui`
];

/// Names the crate root re-exports, and the module each comes from.
const ROOT_ITEMS: &[(&str, &str)] = &[
    ("Tracer", "tracer"),
    ("LiveSpan", "tracer"),
    ("SpanContext", "tracer"),
    ("global", "tracer"),
    ("Error", "error"),
    ("Result", "error"),
];

/// The modules one source text names through `crate::`, comments left out.
fn named_modules(source: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in source.lines() {
        let code = match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        };
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            // `ferrotrace_core::...` in doctests and other crates' `crate::` do not count.
            let before = rest[..i].chars().last();
            rest = &rest[i + "crate::".len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            if let Some(group) = rest.strip_prefix('{') {
                // `crate::{a::X, b}`: the first name of each item at the group's top level.
                let (mut depth, mut start) = (0, true);
                let mut name = String::new();
                for c in group.chars() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => start = true,
                        c if start && (c.is_alphanumeric() || c == '_') => name.push(c),
                        _ if start && !name.is_empty() => {
                            out.insert(std::mem::take(&mut name));
                            start = false;
                        }
                        _ => {}
                    }
                }
                if !name.is_empty() {
                    out.insert(name);
                }
                continue;
            }
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.insert(name);
        }
    }
    out.into_iter()
        .map(|n| {
            ROOT_ITEMS
                .iter()
                .find(|(item, _)| *item == n)
                .map_or(n, |(_, m)| (*m).to_owned())
        })
        .collect()
}

fn sources(path: &Path, out: &mut String) {
    if path.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            sources(&p, out);
        }
    } else if path.extension().is_some_and(|e| e == "rs")
        && path.file_name().is_some_and(|n| n != "tests.rs")
    {
        out.push_str(&std::fs::read_to_string(path).unwrap());
        out.push('\n');
    }
}

/// Each top-level module of `src` and the top-level modules it names.
fn dependencies(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut deps = BTreeMap::new();
    for entry in std::fs::read_dir(src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "lib" || name == "main" {
            continue;
        }
        let mut text = String::new();
        sources(&path, &mut text);
        let mut named = named_modules(&text);
        named.remove(&name);
        deps.insert(name, named);
    }
    deps
}

/// Every way `deps` breaks the order of `layers`: empty when the layers flow one way.
fn violations(deps: &BTreeMap<String, BTreeSet<String>>, layers: &[&str]) -> Vec<String> {
    let rank = |m: &str| layers.iter().position(|l| *l == m);
    let mut out = Vec::new();
    for (module, named) in deps {
        let Some(mine) = rank(module) else {
            out.push(format!("{module} is not placed in LAYERS"));
            continue;
        };
        for other in named {
            match rank(other) {
                Some(theirs) if theirs < mine => {}
                Some(_) => out.push(format!("{module} names {other}, a layer above it")),
                None => out.push(format!("{module} names {other}, which is not in LAYERS")),
            }
        }
    }
    out
}

#[test]
// The table of dependencies found is this test's report (`--nocapture`).
#[allow(clippy::print_stdout)]
fn the_core_layers_flow_one_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let deps = dependencies(&src);
    for layer in LAYERS.iter().rev() {
        if let Some(named) = deps.get(*layer) {
            let named: Vec<_> = named.iter().map(String::as_str).collect();
            println!("{layer:>12} -> {}", named.join(" "));
        }
    }
    let broken = violations(&deps, LAYERS);
    assert!(
        broken.is_empty(),
        "layer order broken:\n{}",
        broken.join("\n")
    );
    // The model is plain data.
    assert!(deps["model"].is_empty(), "model names {:?}", deps["model"]);
}

#[test]
fn the_check_finds_a_cycle_and_reads_groups_but_not_comments() {
    let text = "use crate::{config::Config, model::{Trace, SpanId}};\n\
                // see crate::ui\n\
                let t = crate::Tracer::new(c); // crate::api\n\
                ferrotrace_core::export::Exporter;";
    let named: Vec<_> = named_modules(text).into_iter().collect();
    assert_eq!(named, ["config", "model", "tracer"]);
    let deps = BTreeMap::from([
        ("stats".to_owned(), BTreeSet::from(["tracer".to_owned()])),
        ("tracer".to_owned(), BTreeSet::from(["stats".to_owned()])),
        ("extra".to_owned(), BTreeSet::new()),
    ]);
    assert_eq!(
        violations(&deps, LAYERS),
        [
            "extra is not placed in LAYERS",
            "stats names tracer, a layer above it"
        ]
    );
}
