//! A crate's module graph read from its sources, for the tests that keep the workspace free
//! of import cycles (`tests/e2e/modules.rs` for the agent, `collector/tests/it/modules.rs`
//! for the collector). Included by both with `#[path = "…"] mod modgraph;`.
//!
//! The modules are the ones `lib.rs` declares (`mod x;` files, `mod x { … }` inline), not
//! the binary's `main.rs`. Module `a` depends on module `b` when `a`'s code names a path
//! into `b`: `crate::…`, `super::…`, `self::…`, or a child module by its name (in the root:
//! a top-level module), `use` trees and globs included; a path resolves to the longest
//! module prefix it names (`crate::checks::sshd::Params` → `checks::sshd`). Comments and
//! string and char literals are not code; `#[cfg(test)]` items (test modules, and the files
//! they are declared by) are left out: tests may reach anywhere. A source file the walk
//! neither reaches nor finds declared under `#[cfg(test)]` fails the read, so a new file
//! cannot go unseen.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module path (`crate`, `checks`, `checks::sshd::parser`) → the modules it names.
pub type Graph = BTreeMap<String, BTreeSet<String>>;

/// The module graph of the library whose root is `src/lib.rs`; panics when a source file
/// cannot be read or is not reached.
pub fn graph(src: &Path) -> Graph {
    read(src).unwrap_or_else(|e| panic!("{e}"))
}

fn read(src: &Path) -> Result<Graph, String> {
    let mut modules: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
    let mut seen: BTreeSet<PathBuf> = BTreeSet::new();
    let mut test_only: Vec<PathBuf> = Vec::new();
    // (module path, its file, the directory its `mod x;` children live in)
    let mut todo = vec![(Vec::<String>::new(), src.join("lib.rs"), src.to_path_buf())];
    while let Some((own, file, dir)) = todo.pop() {
        let text =
            std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        seen.insert(file.clone());
        let toks = lex(&text);
        let mut reader = Reader {
            toks: &toks,
            i: 0,
            stack: vec![own.clone()],
            paths: BTreeMap::new(),
            files: Vec::new(),
            test_files: Vec::new(),
        };
        reader.items(usize::MAX);
        for (m, ps) in reader.paths {
            modules.entry(key(&m)).or_default().extend(ps);
        }
        modules.entry(key(&own)).or_default();
        // `mod x;` here: `x.rs` or `x/mod.rs`, its own children in `x/`.
        let child = |name: &str| {
            let flat = dir.join(format!("{name}.rs"));
            let file = if flat.exists() {
                flat
            } else {
                dir.join(name).join("mod.rs")
            };
            (file, dir.join(name))
        };
        for (parent, name) in reader.files {
            let (file, sub) = child(&name);
            let mut m = parent;
            m.push(name);
            todo.push((m, file, sub));
        }
        for name in reader.test_files {
            let (file, sub) = child(&name);
            test_only.push(file);
            test_only.push(sub);
        }
    }
    // Every source file is a module of the library, test code, or the binary's root.
    let mut unseen = Vec::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))? {
            let p = e.map_err(|e| format!("{}: {e}", d.display()))?.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs")
                && !seen.contains(&p)
                && p != src.join("main.rs")
                && !test_only.iter().any(|t| p.starts_with(t))
            {
                unseen.push(p.display().to_string());
            }
        }
    }
    if !unseen.is_empty() {
        unseen.sort();
        return Err(format!(
            "source files the module walk from lib.rs does not reach: {unseen:?}"
        ));
    }

    let names: BTreeSet<String> = modules.keys().cloned().collect();
    let mut g = Graph::new();
    for (m, paths) in &modules {
        let own: Vec<&str> = if m == "crate" {
            vec![]
        } else {
            m.split("::").collect()
        };
        let mut deps = BTreeSet::new();
        for p in paths {
            let Some(abs) = absolute(&names, &own, p) else {
                continue;
            };
            // The longest module prefix the path names.
            let target = (0..=abs.len())
                .rev()
                .map(|i| key(&abs[..i]))
                .find(|c| names.contains(c));
            if let Some(t) = target {
                if &t != m {
                    deps.insert(t);
                }
            }
        }
        g.insert(m.clone(), deps);
    }
    Ok(g)
}

/// The import cycles: for each set of modules that all reach each other (a strongly
/// connected component of two or more), its shortest cycle through its first module
/// (`a`, `b`, …, `a`).
pub fn cycles(g: &Graph) -> Vec<Vec<String>> {
    // Tarjan's algorithm.
    struct Scc<'a> {
        g: &'a Graph,
        index: BTreeMap<&'a str, (usize, usize)>,
        stack: Vec<&'a str>,
        out: Vec<BTreeSet<&'a str>>,
    }
    impl<'a> Scc<'a> {
        fn visit(&mut self, m: &'a str) {
            let n = self.index.len();
            self.index.insert(m, (n, n));
            self.stack.push(m);
            for d in self.g.get(m).into_iter().flatten() {
                let low = match self.index.get(d.as_str()) {
                    None => {
                        self.visit(d);
                        self.index[d.as_str()].1
                    }
                    Some(&(i, _)) if self.stack.contains(&d.as_str()) => i,
                    Some(_) => continue,
                };
                if let Some(e) = self.index.get_mut(m) {
                    e.1 = e.1.min(low);
                }
            }
            let (i, low) = self.index[m];
            if i == low {
                let at = self.stack.iter().rposition(|s| *s == m).unwrap_or(0);
                let comp: BTreeSet<&str> = self.stack.drain(at..).collect();
                if comp.len() > 1 {
                    self.out.push(comp);
                }
            }
        }
    }
    let mut scc = Scc {
        g,
        index: BTreeMap::new(),
        stack: Vec::new(),
        out: Vec::new(),
    };
    for m in g.keys() {
        if !scc.index.contains_key(m.as_str()) {
            scc.visit(m);
        }
    }
    let mut out = Vec::new();
    for comp in scc.out {
        // Breadth-first inside the component, from its first module back to it.
        let Some(&start) = comp.iter().next() else {
            continue;
        };
        let mut from: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        'bfs: while let Some(m) = queue.pop_front() {
            for d in g.get(m).into_iter().flatten().map(String::as_str) {
                if !comp.contains(d) || from.contains_key(d) {
                    continue;
                }
                from.insert(d, m);
                if d == start {
                    break 'bfs;
                }
                queue.push_back(d);
            }
        }
        let mut c = vec![start.to_string()];
        let mut at = from.get(start).copied();
        while let Some(m) = at.filter(|m| *m != start) {
            c.push(m.to_string());
            at = from.get(m).copied();
        }
        c.push(start.to_string());
        c.reverse();
        out.push(c);
    }
    out.sort();
    out
}

/// Panics naming every import cycle in `g`, and the edges of the modules on them.
pub fn assert_acyclic(g: &Graph) {
    let cycles = cycles(g);
    if cycles.is_empty() {
        return;
    }
    let mut msg = format!("{} import cycle(s):\n", cycles.len());
    for c in &cycles {
        msg += &format!("  {}\n", c.join(" -> "));
    }
    msg += "edges of the modules on them:\n";
    let on: BTreeSet<&String> = cycles.iter().flatten().collect();
    for m in on {
        msg += &format!("  {m} -> {:?}\n", g[m]);
    }
    panic!("{msg}");
}

fn key(m: &[impl AsRef<str>]) -> String {
    if m.is_empty() {
        "crate".to_string()
    } else {
        m.iter().map(AsRef::as_ref).collect::<Vec<_>>().join("::")
    }
}

/// `p` (as written in module `own`) from the crate root, or None when it does not start in
/// this crate (`std::…`, `serde::…`, `Self::…`, a local type or enum).
fn absolute(names: &BTreeSet<String>, own: &[&str], p: &[String]) -> Option<Vec<String>> {
    let first = p.first()?;
    let rest = p[1..].iter().cloned();
    let own = own.iter().map(|s| s.to_string());
    Some(match first.as_str() {
        "crate" => rest.collect(),
        "self" => own.chain(rest).collect(),
        "super" => {
            let mut base: Vec<String> = own.collect();
            let mut i = 0;
            while p.get(i).is_some_and(|s| s == "super") {
                base.pop()?;
                i += 1;
            }
            base.into_iter().chain(p[i..].iter().cloned()).collect()
        }
        _ => {
            let n = own.len() + 1;
            let abs: Vec<String> = own.chain(p.iter().cloned()).collect();
            if !names.contains(&key(&abs[..n])) {
                return None;
            }
            abs
        }
    })
}

#[derive(Debug, PartialEq)]
enum Tok {
    Ident(String),
    /// `::`
    Sep,
    Punct(char),
}

/// Rust tokens, enough to find paths: identifiers, `::` and punctuation; whitespace,
/// comments, literals and lifetimes dropped.
fn lex(text: &str) -> Vec<Tok> {
    let c: Vec<char> = text.chars().collect();
    let at = |i: usize| c.get(i).copied().unwrap_or('\0');
    let ident_start = |ch: char| ch.is_alphabetic() || ch == '_';
    let ident_char = |ch: char| ch.is_alphanumeric() || ch == '_';
    let mut out = Vec::new();
    let mut i = 0;
    // Skips a quoted literal whose opening quote is at `i`; `hashes` > 0 or `raw` for raw
    // strings (no escapes, ended by `"` and the same number of `#`).
    let skip_quoted = |mut i: usize, raw: bool, hashes: usize| -> usize {
        let q = c[i];
        i += 1;
        while i < c.len() {
            if !raw && c[i] == '\\' {
                i += 2;
                continue;
            }
            if c[i] == q && (0..hashes).all(|h| at(i + 1 + h) == '#') {
                return i + 1 + hashes;
            }
            i += 1;
        }
        i
    };
    while i < c.len() {
        let ch = c[i];
        if ch.is_whitespace() {
            i += 1;
        } else if ch == '/' && at(i + 1) == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if ch == '"' {
            i = skip_quoted(i, false, 0);
        } else if ch == '\'' {
            if at(i + 1) == '\\' || (at(i + 1) != '\0' && at(i + 2) == '\'') {
                i = skip_quoted(i, false, 0); // a char literal
            } else {
                i += 1; // a lifetime or label: its name is not a path
                while ident_char(at(i)) {
                    i += 1;
                }
            }
        } else if ident_start(ch) {
            let mut j = i;
            while ident_char(at(j)) {
                j += 1;
            }
            let word: String = c[i..j].iter().collect();
            let prefix = matches!(word.as_str(), "r" | "b" | "br" | "c" | "cr");
            let raw = word.ends_with('r');
            let mut hashes = 0;
            while raw && at(j + hashes) == '#' {
                hashes += 1;
            }
            if prefix && at(j + hashes) == '"' {
                i = skip_quoted(j + hashes, raw, hashes);
            } else if word == "b" && at(j) == '\'' {
                i = skip_quoted(j, false, 0);
            } else if word == "r" && hashes == 1 && ident_start(at(j + 1)) {
                // A raw identifier, `r#type`.
                let mut k = j + 1;
                while ident_char(at(k)) {
                    k += 1;
                }
                out.push(Tok::Ident(c[j + 1..k].iter().collect()));
                i = k;
            } else {
                out.push(Tok::Ident(word));
                i = j;
            }
        } else if ch.is_ascii_digit() {
            while ident_char(at(i)) {
                i += 1;
            }
        } else if ch == ':' && at(i + 1) == ':' {
            out.push(Tok::Sep);
            i += 2;
        } else {
            out.push(Tok::Punct(ch));
            i += 1;
        }
    }
    out
}

struct Reader<'t> {
    toks: &'t [Tok],
    i: usize,
    /// The module being read: the file's, or an inline `mod x { … }` in it.
    stack: Vec<Vec<String>>,
    /// Module → the paths its code names.
    paths: BTreeMap<Vec<String>, Vec<Vec<String>>>,
    /// `mod x;` declarations: (declaring module, x).
    files: Vec<(Vec<String>, String)>,
    /// `#[cfg(test)] mod x;` declarations in the file's own module.
    test_files: Vec<String>,
}

impl Reader<'_> {
    fn ident(&self, i: usize) -> Option<&str> {
        match self.toks.get(i) {
            Some(Tok::Ident(s)) => Some(s),
            _ => None,
        }
    }

    fn punct(&self, i: usize, p: char) -> bool {
        self.toks.get(i) == Some(&Tok::Punct(p))
    }

    /// Reads until the `}` that closes the current group (not consumed), or `end` tokens.
    fn items(&mut self, end: usize) {
        while self.i < self.toks.len().min(end) {
            match &self.toks[self.i] {
                Tok::Punct('}') => return,
                Tok::Punct('{') => {
                    self.i += 1;
                    self.items(usize::MAX);
                    self.i += 1;
                }
                Tok::Punct('#') => {
                    let inner = self.punct(self.i + 1, '!');
                    let open = self.i + 1 + usize::from(inner);
                    if !self.punct(open, '[') {
                        self.i += 1;
                        continue;
                    }
                    let close = self.group_end(open);
                    let test = matches!(
                        &self.toks[open + 1..close],
                        [Tok::Ident(cfg), Tok::Punct('('), Tok::Ident(t), Tok::Punct(')')]
                            if cfg == "cfg" && t == "test"
                    );
                    self.i = close + 1;
                    if test && inner {
                        // `#![cfg(test)]`: the rest of this module is test code.
                        self.skip_to_close();
                    } else if test {
                        self.skip_item();
                    } else {
                        // An attribute's paths are read like code (a path in a string
                        // literal, as in serde's `with = "…"`, is not).
                        let after = self.i;
                        self.i = open + 1;
                        self.items(close);
                        self.i = after;
                    }
                }
                Tok::Ident(w) if w == "mod" => {
                    let Some(name) = self.ident(self.i + 1).map(str::to_string) else {
                        self.i += 1;
                        continue;
                    };
                    if self.punct(self.i + 2, ';') {
                        let own = self.stack.last().cloned().unwrap_or_default();
                        self.files.push((own, name));
                        self.i += 3;
                    } else if self.punct(self.i + 2, '{') {
                        let mut m = self.stack.last().cloned().unwrap_or_default();
                        m.push(name);
                        self.paths.entry(m.clone()).or_default();
                        self.stack.push(m);
                        self.i += 3;
                        self.items(usize::MAX);
                        self.i += 1;
                        self.stack.pop();
                    } else {
                        self.i += 1;
                    }
                }
                Tok::Ident(_) | Tok::Sep => {
                    let mut found = Vec::new();
                    self.tree(Vec::new(), &mut found);
                    let own = self.stack.last().cloned().unwrap_or_default();
                    self.paths.entry(own).or_default().extend(found);
                }
                Tok::Punct(_) => self.i += 1,
            }
        }
    }

    /// A path (`a::b::C`), or a use tree (`a::{b, c::{self, D}}`, `a::*`), from `self.i`
    /// (at least one token); pushes every path it names onto `found`.
    fn tree(&mut self, mut prefix: Vec<String>, found: &mut Vec<Vec<String>>) {
        // `::std::…`: another crate, which no module path resolves.
        if prefix.is_empty() && self.toks.get(self.i) == Some(&Tok::Sep) {
            prefix.push("::".to_string());
            self.i += 1;
        }
        // The path names the module itself: `a::*`, `a::{self, …}`.
        let mut whole = false;
        while let Some(w) = self.ident(self.i).map(str::to_string) {
            self.i += 1;
            if w == "self" && !prefix.is_empty() {
                whole = true;
                break;
            }
            prefix.push(w);
            if self.toks.get(self.i) != Some(&Tok::Sep) {
                break;
            }
            self.i += 1;
            if self.punct(self.i, '*') {
                self.i += 1;
                whole = true;
                break;
            }
            if self.punct(self.i, '{') {
                self.i += 1;
                while self.i < self.toks.len() && !self.punct(self.i, '}') {
                    match self.ident(self.i) {
                        Some("as") => self.i += 2,
                        Some(_) => self.tree(prefix.clone(), found),
                        None if self.punct(self.i, '*') => {
                            found.push(prefix.clone());
                            self.i += 1;
                        }
                        None => self.i += 1,
                    }
                }
                self.i += 1;
                return;
            }
        }
        // One segment alone is a name, not a path (`pub(super)`, a local, a keyword).
        if prefix.len() >= 2 || whole && !prefix.is_empty() {
            found.push(prefix);
        }
    }

    /// The index of the bracket closing the one at `open`.
    fn group_end(&self, open: usize) -> usize {
        let mut depth = 0usize;
        for (k, t) in self.toks.iter().enumerate().skip(open) {
            match t {
                Tok::Punct('(' | '[' | '{') => depth += 1,
                Tok::Punct(')' | ']' | '}') => {
                    depth -= 1;
                    if depth == 0 {
                        return k;
                    }
                }
                _ => {}
            }
        }
        self.toks.len()
    }

    /// Skips to the `}` that closes the current group (not consumed).
    fn skip_to_close(&mut self) {
        while self.i < self.toks.len() && !self.punct(self.i, '}') {
            if matches!(self.toks[self.i], Tok::Punct('(' | '[' | '{')) {
                self.i = self.group_end(self.i);
            }
            self.i += 1;
        }
    }

    /// Skips one item (after its attributes): to its `;`, or the end of its first
    /// top-level `{ … }`; stops before a bracket that closes the enclosing group.
    fn skip_item(&mut self) {
        let start = self.i;
        while self.i < self.toks.len() {
            match &self.toks[self.i] {
                Tok::Punct(';') => {
                    self.i += 1;
                    break;
                }
                Tok::Punct('}' | ')' | ']') => break,
                Tok::Punct('{') => {
                    self.i = self.group_end(self.i) + 1;
                    break;
                }
                Tok::Punct('(' | '[') => self.i = self.group_end(self.i) + 1,
                _ => self.i += 1,
            }
        }
        // `#[cfg(test)] mod x;` in the file's own module: x's file is test code.
        let item = &self.toks[start..self.i];
        if self.stack.len() == 1 && item.last() == Some(&Tok::Punct(';')) {
            if let Some(k) = item.iter().position(|t| *t == Tok::Ident("mod".into())) {
                if let Some(Tok::Ident(name)) = item.get(k + 1) {
                    self.test_files.push(name.clone());
                }
            }
        }
    }
}

/// The reader on a small crate: what counts as a dependency and what does not.
#[test]
fn modgraph_reads_paths_not_comments_literals_or_test_code() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    let write = |rel: &str, text: &str| {
        let p = src.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write(
        "lib.rs",
        "//! crate::b::X in a doc\npub mod a;\npub mod b;\npub mod c;\npub mod d;\n\
         #[cfg(test)]\nmod t;\nfn f() { a::run() }\n",
    );
    write("main.rs", "use lib::c::Y; fn main() {}\n");
    write(
        "a.rs",
        "// crate::c\n/* crate::c /* nested */ crate::c */\n\
         const S: &str = \"crate::c \\\" crate::c\";\n\
         const R: &str = r#\"crate::c \" crate::c\"#;\n\
         const Q: char = '\"'; fn g<'x>(v: &'x str) -> &'x str { v }\n\
         use super::{b::{self, X as Y}, *};\npub fn run() {}\n\
         #[cfg(test)]\nmod tests {\n    use crate::c;\n}\n\
         #[cfg(test)]\nuse crate::c::Z;\n",
    );
    write(
        "b.rs",
        "mod inner { pub fn h() -> u8 { super::super::d::N } }\n",
    );
    write(
        "c.rs",
        "use ::b::x; use std::d::y; fn k() { b::f(); crate::b::g(); }\n",
    );
    write("d.rs", "#![cfg(test)]\nuse crate::a::run;\n");
    write("t.rs", "use crate::a::run;\n");
    write("t/u.rs", "use crate::a::run;\n");

    let g = graph(src);
    let deps = |m: &str| g[m].iter().map(String::as_str).collect::<Vec<_>>();
    assert_eq!(deps("crate"), ["a"], "{g:#?}");
    assert_eq!(deps("a"), ["b", "crate"], "{g:#?}");
    assert!(deps("b").is_empty(), "{g:#?}");
    assert_eq!(deps("b::inner"), ["d"], "{g:#?}");
    assert_eq!(deps("c"), ["b"], "{g:#?}");
    assert!(deps("d").is_empty(), "{g:#?}");
    assert!(!g.contains_key("t"), "{g:#?}");
    assert_eq!(
        cycles(&g),
        [["a", "crate", "a"]],
        "the root uses a, a uses the root"
    );

    // A file nothing declares is an error, not a module left out.
    write("lost.rs", "");
    assert!(read(src).unwrap_err().contains("lost.rs"));
}
