//! `keyvalue` check: one setting in a `KEY VALUE` / `KEY=VALUE` / `KEY = VALUE` file
//! (`/etc/login.defs`, `/etc/security/pwquality.conf`, `/etc/audit/auditd.conf`,
//! `/etc/systemd/journald.conf`, …), plus optional drop-in files.
//!
//! What it reads: `path`, then the files matched by `drop_ins` (each glob sorted lexically,
//! globs in the order given), all through [`Host`]. By default the drop-ins are read
//! *after* `path` (systemd's `*.conf.d` semantics, e.g. `journald.conf.d`). Some programs
//! read them *before* the main file, so that the main file wins: libpwquality's
//! `pwquality_read_config()` reads `<cfgfile>.d/*.conf` first (scandir, `strcmp` order) and
//! `pwquality.conf` last — write `drop_ins_order: before` for pwquality rules.
//! Several globs are read one after the other; files of different directories are not
//! merged by name as systemd does for `/etc`, `/run` and `/usr/lib/systemd/*.conf.d` (list
//! the directories lowest precedence first; a same-named file masking another is not modelled).
//!
//! Semantics:
//! - a line is `KEY`, then whitespace and/or one `=`, then the value (`KEY VALUE`,
//!   `KEY=VALUE`, `KEY = VALUE`); the value is trimmed and one pair of surrounding quotes
//!   (`"…"` or `'…'`) is stripped;
//! - lines whose first non-blank character is `#` or `;` are comments; a `#` later in the
//!   line is part of the value unless `inline_comments: true` (pwquality cuts at any `#`;
//!   shadow's `getdef` does not, and `PASS_MAX_DAYS 60 # x` is then not a number to it —
//!   keeping the text makes a numeric comparison fail rather than pass wrongly);
//! - `[Section]` lines open an INI section; without `section`, only keys before the first
//!   section header count; with `section`, only keys inside sections of that name;
//! - the LAST definition of a key wins: shadow's `def_load()` calls `putdef_str()` for each
//!   line, which replaces the stored value; libpwquality's `set_name_value()` and auditd's
//!   parser overwrite likewise; systemd's config parser assigns in file order;
//! - keys match case-sensitively unless `case_insensitive_keys: true`.
//!
//! Absent: a key set nowhere is compared as `default` (the program's built-in default) when
//! given, otherwise it fails ("not set"). A missing `path` is handled by `missing_file`
//! (default `treat_as_empty`). An unreadable file is an error. Symbolic links are followed
//! inside the scan root. Evidence names the file and line of the winning definition.

use crate::checks::expect::{Expect, Scalar};
use crate::host::Host;
use crate::outcome::{HostCheck, Outcome};
use crate::report::Evidence;
use serde::{Deserialize, Serialize};
use std::rc::Rc;

/// Parameters of a `keyvalue` check.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The main configuration file (host path), e.g. `/etc/login.defs`.
    pub path: String,
    /// The key to look up, e.g. `PASS_MAX_DAYS`.
    pub key: String,
    /// The condition the effective value must meet.
    pub expect: Expect,
    /// INI section the key must be in (`Journal` for `[Journal]`); without it, only keys
    /// outside any section count.
    #[serde(default)]
    pub section: Option<String>,
    /// Glob(s) of drop-in files read together with `path` (`/etc/security/pwquality.conf.d/*.conf`).
    #[serde(default)]
    pub drop_ins: Option<DropIns>,
    /// Whether the drop-ins are read `after` (default) or `before` the main file.
    #[serde(default)]
    pub drop_ins_order: DropInOrder,
    /// The program's built-in default, used when the key is set nowhere.
    #[serde(default)]
    pub default: Option<Scalar>,
    /// What a missing `path` means: `treat_as_empty` (default), `not_applicable` or `fail`.
    #[serde(default)]
    pub missing_file: MissingFile,
    /// Match keys ASCII case-insensitively.
    #[serde(default)]
    pub case_insensitive_keys: bool,
    /// Cut values at the first `#` (pwquality does; login.defs does not).
    #[serde(default)]
    pub inline_comments: bool,
}

/// One glob or a list of globs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum DropIns {
    /// A single glob.
    One(String),
    /// Several globs, read in the order given.
    Many(Vec<String>),
}

impl DropIns {
    fn patterns(&self) -> Vec<&str> {
        match self {
            DropIns::One(s) => vec![s.as_str()],
            DropIns::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// When drop-in files are read relative to the main file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DropInOrder {
    /// Main file first, drop-ins override it (systemd `*.conf.d`).
    #[default]
    After,
    /// Drop-ins first, the main file overrides them (libpwquality).
    Before,
}

/// What a missing main file means.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingFile {
    /// As if it were empty: the default (or "not set") decides.
    #[default]
    TreatAsEmpty,
    /// The component is absent: `not_applicable`.
    NotApplicable,
    /// A failure.
    Fail,
}

impl HostCheck for Params {
    fn evaluate(&self, host: &Host) -> Outcome {
        evaluate(self, host)
    }
}

/// Evaluate a `keyvalue` check.
pub fn evaluate(p: &Params, host: &Host) -> Outcome {
    type Loaded = Rc<Result<Option<Vec<Entry>>, String>>;
    let main: Loaded = load(host, &p.path);
    match &*main {
        Ok(Some(_)) => {}
        Ok(None) => match p.missing_file {
            MissingFile::TreatAsEmpty => {}
            MissingFile::NotApplicable => {
                return Outcome::not_applicable(format!("{} does not exist", p.path))
            }
            MissingFile::Fail => {
                return Outcome::fail(format!(
                    "{} does not exist; expected it to set {} to {}",
                    p.path,
                    p.key,
                    p.expect.describe()
                ))
                .with(
                    Evidence::at(&p.path, None)
                        .observed("file does not exist")
                        .expected(p.expect.describe()),
                )
            }
        },
        Err(e) => return Outcome::error(e.clone()),
    }

    let mut drop_in_files: Vec<(String, Loaded)> = Vec::new();
    if let Some(d) = &p.drop_ins {
        for pattern in d.patterns() {
            let paths = match host.glob(pattern) {
                Ok(paths) => paths,
                Err(e) => return Outcome::error(e),
            };
            for path in paths {
                let loaded = load(host, &path);
                if let Err(e) = &*loaded {
                    return Outcome::error(e.clone());
                }
                drop_in_files.push((path, loaded));
            }
        }
    }
    let mut loaded: Vec<(String, Loaded)> = Vec::new();
    if p.drop_ins_order == DropInOrder::Before {
        loaded.append(&mut drop_in_files);
    }
    loaded.push((p.path.clone(), main));
    loaded.append(&mut drop_in_files);
    // Files that exist (a vanished drop-in or dangling link is skipped, as the programs do).
    let files: Vec<(&str, &[Entry])> = loaded
        .iter()
        .filter_map(|(path, l)| match &**l {
            Ok(Some(entries)) => Some((path.as_str(), entries.as_slice())),
            _ => None,
        })
        .collect();

    // The last definition wins: search from the end.
    let winner = files
        .iter()
        .rev()
        .flat_map(|(path, entries)| entries.iter().rev().map(move |e| (*path, e)))
        .filter(|(_, e)| e.section.as_deref() == p.section.as_deref())
        .find(|(_, e)| {
            if p.case_insensitive_keys {
                e.key.eq_ignore_ascii_case(&p.key)
            } else {
                e.key == p.key
            }
        });

    let expected = p.expect.describe();
    let ctx = p.section.as_ref().map(|s| format!("[{s}]"));
    let key_desc = match &ctx {
        Some(c) => format!("{} in {c}", p.key),
        None => p.key.clone(),
    };
    match winner {
        Some((path, e)) => {
            let value = clean_value(&e.raw, p.inline_comments);
            let mut ev = Evidence::at(path, Some(e.line))
                .observed(value.clone())
                .expected(expected.clone());
            if let Some(c) = &ctx {
                ev = ev.context(c.clone());
            }
            let at = format!("{path}:{}", e.line);
            if p.expect.matches(&value) {
                Outcome::pass(format!("{key_desc} is {value:?} at {at}")).with(ev)
            } else {
                let extra = disallowed(&p.expect, &value);
                Outcome::fail(format!(
                    "{key_desc} is {value:?} at {at}{extra}; expected {expected}"
                ))
                .with(ev)
            }
        }
        None => {
            let read: Vec<&str> = files.iter().map(|(p, _)| *p).collect();
            let where_ = if read.is_empty() {
                format!("{} (missing)", p.path)
            } else {
                read.join(", ")
            };
            match &p.default {
                Some(d) => {
                    let value = d.to_string();
                    let ev = Evidence::at(p.path.as_str(), None)
                        .observed(format!("not set (built-in default {value})"))
                        .expected(expected.clone());
                    if p.expect.matches(&value) {
                        Outcome::pass(format!(
                            "{key_desc} is not set in {where_}; the built-in default {value:?} applies"
                        ))
                        .with(ev)
                    } else {
                        Outcome::fail(format!(
                            "{key_desc} is not set in {where_} and the built-in default {value:?} applies; expected {expected}"
                        ))
                        .with(ev)
                    }
                }
                None => Outcome::fail(format!(
                    "{key_desc} is not set in {where_}; expected {expected}"
                ))
                .with(
                    Evidence::at(p.path.as_str(), None)
                        .observed("not set")
                        .expected(expected),
                ),
            }
        }
    }
}

fn disallowed(expect: &Expect, value: &str) -> String {
    let bad = expect.disallowed_items(value);
    if bad.is_empty() {
        String::new()
    } else {
        format!(" (not allowed: {})", bad.join(", "))
    }
}

/// One `KEY VALUE` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The INI section the line is in (`None` before any header).
    pub section: Option<String>,
    /// The key as written.
    pub key: String,
    /// Everything after the separator, trailing blanks removed (comments and quotes kept).
    pub raw: String,
    /// 1-based line number.
    pub line: u32,
}

/// Parse a file once per scan; `Ok(None)` when it does not exist.
fn load(host: &Host, path: &str) -> Rc<Result<Option<Vec<Entry>>, String>> {
    host.cached(&format!("keyvalue:{path}"), || {
        match host.read_optional(path) {
            Ok(Some(text)) => Ok(Some(parse(&text))),
            Ok(None) => Ok(None),
            Err(e) => Err(format!("cannot read {e}")),
        }
    })
}

/// Parse `KEY VALUE` / `KEY=VALUE` / `KEY = VALUE` lines with optional `[Section]` headers.
/// Never fails: lines that are not settings are skipped, as the programs do.
pub fn parse(text: &str) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut section: Option<String> = None;
    for (idx, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
            continue;
        }
        if t.starts_with('[') && t.ends_with(']') && t.len() >= 2 {
            section = Some(t[1..t.len() - 1].trim().to_string());
            continue;
        }
        let key_end = t
            .find(|c: char| c.is_whitespace() || c == '=')
            .unwrap_or(t.len());
        let key = &t[..key_end];
        if key.is_empty() {
            continue;
        }
        let mut rest = t[key_end..].trim_start();
        if let Some(r) = rest.strip_prefix('=') {
            rest = r.trim_start();
        }
        out.push(Entry {
            section: section.clone(),
            key: key.to_string(),
            raw: rest.trim_end().to_string(),
            line: u32::try_from(idx + 1).unwrap_or(u32::MAX),
        });
    }
    out
}

/// The value as the program sees it: optionally cut at `#`, trimmed, one pair of
/// surrounding quotes removed.
fn clean_value(raw: &str, inline_comments: bool) -> String {
    let v = if inline_comments {
        raw.split('#').next().unwrap_or("")
    } else {
        raw
    };
    let v = v.trim();
    let bytes = v.as_bytes();
    if bytes.len() >= 2
        && (bytes[0] == b'"' || bytes[0] == b'\'')
        && bytes[bytes.len() - 1] == bytes[0]
    {
        v[1..v.len() - 1].to_string()
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;
    use crate::testutil::fixture;

    fn params(yaml: &str) -> Params {
        serde_saphyr::from_str(yaml).unwrap()
    }

    fn run(case: &str, yaml: &str) -> Outcome {
        let host = Host::new(fixture(&format!("keyvalue/{case}")));
        evaluate(&params(yaml), &host)
    }

    #[test]
    fn parser_separators_sections_comments() {
        let e = parse(
            "# c\n; c\nA 1\nB=2\nC = \"3\"\n  D\t4 # x\n=bad\n[Journal]\nStorage=persistent\n",
        );
        let kv: Vec<(Option<&str>, &str, &str, u32)> = e
            .iter()
            .map(|e| (e.section.as_deref(), e.key.as_str(), e.raw.as_str(), e.line))
            .collect();
        assert_eq!(
            kv,
            vec![
                (None, "A", "1", 3),
                (None, "B", "2", 4),
                (None, "C", "\"3\"", 5),
                (None, "D", "4 # x", 6),
                (Some("Journal"), "Storage", "persistent", 9),
            ]
        );
        assert_eq!(clean_value("\"3\"", false), "3");
        assert_eq!(clean_value("4 # x", true), "4");
        assert_eq!(clean_value("4 # x", false), "4 # x");
        assert_eq!(clean_value("'", false), "'");
    }

    #[test]
    fn login_defs_last_definition_wins() {
        let o = run(
            "login_defs_last_wins",
            "{path: /etc/login.defs, key: PASS_MAX_DAYS, expect: {op: le, value: 60}}",
        );
        assert_eq!(o.status, Status::Fail, "{o:?}");
        assert!(o.message.contains("/etc/login.defs:5"), "{}", o.message);
        assert!(o.message.contains("99999"), "{}", o.message);
        let o = run(
            "login_defs_last_wins",
            "{path: /etc/login.defs, key: PASS_MIN_DAYS, expect: {op: ge, value: 1}}",
        );
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert_eq!(o.evidence[0].line, Some(7));
    }

    #[test]
    fn commented_key_is_not_set() {
        let y = "{path: /etc/login.defs, key: PASS_MAX_DAYS, expect: {op: le, value: 60}}";
        let o = run("login_defs_commented", y);
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains("not set"), "{}", o.message);
        let o = run(
            "login_defs_commented",
            "{path: /etc/login.defs, key: PASS_MAX_DAYS, expect: {op: le, value: 60}, default: 99999}",
        );
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains("built-in default"), "{}", o.message);
        let o = run(
            "login_defs_commented",
            "{path: /etc/login.defs, key: PASS_MAX_DAYS, expect: {op: le, value: 60}, default: 30}",
        );
        assert_eq!(o.status, Status::Pass);
    }

    #[test]
    fn missing_file_modes() {
        let base = "{path: /etc/login.defs, key: PASS_MAX_DAYS, expect: {op: le, value: 60}";
        assert_eq!(run("missing", &format!("{base}}}")).status, Status::Fail);
        assert_eq!(
            run(
                "missing",
                &format!("{base}, missing_file: not_applicable}}")
            )
            .status,
            Status::NotApplicable
        );
        let o = run("missing", &format!("{base}, missing_file: fail}}"));
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains("does not exist"));
        assert_eq!(
            run("missing", &format!("{base}, default: 30}}")).status,
            Status::Pass
        );
    }

    #[test]
    fn pwquality_drop_ins_are_read_before_the_main_file() {
        // pwquality.conf: minlen = 15 (line 3); pwquality.conf.d/50-weak.conf: minlen = 8.
        let y = "{path: /etc/security/pwquality.conf, key: minlen, expect: {op: ge, value: 15}, drop_ins: /etc/security/pwquality.conf.d/*.conf, inline_comments: true";
        let o = run(
            "pwquality_dropins",
            &format!("{y}, drop_ins_order: before}}"),
        );
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert_eq!(
            o.evidence[0].path.as_deref(),
            Some("/etc/security/pwquality.conf")
        );
        // Read after (systemd style), the drop-in would win.
        let o = run("pwquality_dropins", &format!("{y}}}"));
        assert_eq!(o.status, Status::Fail, "{o:?}");
        assert!(
            o.message
                .contains("/etc/security/pwquality.conf.d/50-weak.conf:2"),
            "{}",
            o.message
        );
        // dcredit is only in a drop-in; inline comment cut.
        let o = run(
            "pwquality_dropins",
            "{path: /etc/security/pwquality.conf, key: dcredit, expect: {op: le, value: -1}, drop_ins: [/etc/security/pwquality.conf.d/*.conf], drop_ins_order: before, inline_comments: true}",
        );
        assert_eq!(o.status, Status::Pass, "{o:?}");
    }

    #[test]
    fn journald_sections() {
        let y = "{path: /etc/systemd/journald.conf, key: Storage, section: Journal, expect: {op: eq, value: persistent}, drop_ins: /etc/systemd/journald.conf.d/*.conf}";
        let o = run("journald_sections", y);
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert_eq!(
            o.evidence[0].path.as_deref(),
            Some("/etc/systemd/journald.conf.d/10-storage.conf")
        );
        assert_eq!(o.evidence[0].context.as_deref(), Some("[Journal]"));
        // Compress is set only in [Other]: not in [Journal].
        let y = "{path: /etc/systemd/journald.conf, key: Compress, section: Journal, expect: {op: eq, value: \"yes\"}}";
        assert_eq!(run("journald_sections", y).status, Status::Fail);
        // Without section, keys inside sections do not count.
        let y =
            "{path: /etc/systemd/journald.conf, key: Storage, expect: {op: eq, value: persistent}}";
        assert_eq!(run("journald_sections", y).status, Status::Fail);
    }

    #[test]
    fn case_insensitive_keys_option() {
        let y = "{path: /etc/login.defs, key: pass_min_days, expect: {op: ge, value: 1}";
        assert_eq!(
            run("login_defs_last_wins", &format!("{y}}}")).status,
            Status::Fail
        );
        assert_eq!(
            run(
                "login_defs_last_wins",
                &format!("{y}, case_insensitive_keys: true}}")
            )
            .status,
            Status::Pass
        );
    }

    #[test]
    fn unreadable_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc/login.defs")).unwrap();
        let host = Host::new(dir.path());
        let o = evaluate(
            &params("{path: /etc/login.defs, key: A, expect: {op: eq, value: 1}}"),
            &host,
        );
        assert_eq!(o.status, Status::Error, "{o:?}");
        assert!(o.message.contains("/etc/login.defs"));
    }

    #[test]
    fn unknown_param_is_rejected() {
        assert!(serde_saphyr::from_str::<Params>(
            "{path: /x, key: A, expect: {op: eq, value: 1}, colour: red}"
        )
        .is_err());
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(256))]
        #[test]
        fn parser_never_panics(text in "\\PC{0,400}") {
            for e in parse(&text) {
                let _ = clean_value(&e.raw, true);
                let _ = clean_value(&e.raw, false);
            }
        }

        #[test]
        fn parser_never_panics_on_config_like_text(text in "([ \\t]*[\\[\\]#;=\"'A-Za-z0-9_ \\t.-]{0,30}\\n?){0,20}") {
            for e in parse(&text) {
                proptest::prop_assert!(!e.key.is_empty());
                let _ = clean_value(&e.raw, true);
            }
        }
    }
}
