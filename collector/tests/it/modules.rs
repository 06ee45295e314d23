//! The collector's modules depend on each other one way: no import cycle. The graph is
//! read from the sources (`crate::…` and `super::…` paths, and `module::…` paths in the
//! crate root; comments and `#[cfg(test)]` code are left out).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module path (`crate`, `agg`, `page::view`) → source text without comments and tests.
fn modules() -> BTreeMap<String, String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    let mut dirs = vec![src.clone()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
                continue;
            }
            let rel = p.strip_prefix(&src).unwrap().to_string_lossy().to_string();
            let Some(rel) = rel.strip_suffix(".rs") else {
                continue;
            };
            if rel == "main" {
                continue; // the binary: another crate
            }
            let name = match rel {
                "lib" => "crate".to_string(),
                r => r.strip_suffix("/mod").unwrap_or(r).replace('/', "::"),
            };
            let text = std::fs::read_to_string(&p).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            let code: String = code
                .lines()
                .map(|l| l.split("//").next().unwrap_or(""))
                .collect::<Vec<_>>()
                .join("\n");
            out.insert(name, code);
        }
    }
    out
}

/// The longest module that `path` (already absolute, `a::b::C`) names.
fn resolve(names: &BTreeSet<String>, segs: &[&str]) -> Option<String> {
    (0..=segs.len())
        .rev()
        .map(|i| match segs[..i].join("::") {
            s if s.is_empty() => "crate".to_string(),
            s => s,
        })
        .find(|c| names.contains(c))
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mods = modules();
    let names: BTreeSet<String> = mods.keys().cloned().collect();
    let mut g = BTreeMap::new();
    for (m, code) in &mods {
        let mut deps = BTreeSet::new();
        let parent: Vec<&str> = if m == "crate" {
            vec![]
        } else {
            let mut p: Vec<&str> = m.split("::").collect();
            p.pop();
            p
        };
        let own: Vec<&str> = if m == "crate" {
            vec![]
        } else {
            m.split("::").collect()
        };
        // Every path: a run of identifiers and `::`, with `{a, b::c}` groups expanded.
        let bytes = code.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let starts = (bytes[i].is_ascii_alphabetic() || bytes[i] == b'_')
                && (i == 0
                    || !(bytes[i - 1].is_ascii_alphanumeric()
                        || bytes[i - 1] == b'_'
                        || bytes[i - 1] == b':'));
            if !starts {
                i += 1;
                continue;
            }
            let mut j = i;
            while j < bytes.len()
                && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_' || bytes[j] == b':')
            {
                j += 1;
            }
            let path = &code[i..j];
            let mut paths = vec![path.trim_end_matches(':').to_string()];
            if path.ends_with("::") && bytes.get(j) == Some(&b'{') {
                let end = code[j..].find('}').map_or(code.len(), |e| j + e);
                paths = code[j + 1..end]
                    .split(',')
                    .map(|item| format!("{path}{}", item.split(" as ").next().unwrap_or("").trim()))
                    .collect();
            }
            for p in paths {
                let segs: Vec<&str> = p.split("::").filter(|s| !s.is_empty()).collect();
                if segs.len() < 2 {
                    continue;
                }
                let abs: Vec<&str> = match segs[0] {
                    "crate" => segs[1..].to_vec(),
                    "super" => {
                        let mut base = parent.clone();
                        let mut rest = &segs[1..];
                        while rest.first() == Some(&"super") {
                            base.pop();
                            rest = &rest[1..];
                        }
                        base.into_iter().chain(rest.iter().copied()).collect()
                    }
                    "self" => own.iter().chain(&segs[1..]).copied().collect(),
                    // A child module (or, in the root, a top-level one) named relatively.
                    first
                        if names.contains(
                            &own.iter()
                                .chain([&first])
                                .copied()
                                .collect::<Vec<_>>()
                                .join("::"),
                        ) =>
                    {
                        own.iter().chain(&segs).copied().collect()
                    }
                    _ => continue,
                };
                if let Some(t) = resolve(&names, &abs) {
                    if &t != m {
                        deps.insert(t);
                    }
                }
            }
            i = j;
        }
        g.insert(m.clone(), deps);
    }
    g
}

#[test]
fn collector_modules_have_no_import_cycle() {
    let g = graph();
    // The graph is what it claims to be: the status page reads the summary, not the API.
    assert!(g["page"].contains("summary"), "{g:#?}");
    assert!(!g["page"].contains("api"), "{g:#?}");
    assert!(g["api"].contains("page"), "{g:#?}");
    // Depth-first search for a back edge.
    fn visit<'a>(
        g: &'a BTreeMap<String, BTreeSet<String>>,
        m: &'a str,
        state: &mut BTreeMap<&'a str, bool>,
        path: &mut Vec<&'a str>,
    ) {
        match state.get(m) {
            Some(true) => return,
            Some(false) => panic!("import cycle: {} -> {m}\n{g:#?}", path.join(" -> ")),
            None => {}
        }
        state.insert(m, false);
        path.push(m);
        for d in &g[m] {
            visit(g, d, state, path);
        }
        path.pop();
        state.insert(m, true);
    }
    let mut state = BTreeMap::new();
    for m in g.keys() {
        visit(&g, m, &mut state, &mut Vec::new());
    }
}
