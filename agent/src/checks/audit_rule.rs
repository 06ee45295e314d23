//! `audit_rule` check: required Linux audit (auditd) rules are in the persistent rule set.
//!
//! **What it reads.** The rules auditd loads at its next start:
//! - `source: auto` (default): when `/etc/audit/rules.d/` is a directory, its `*.rules`
//!   files in `ls -v` order, which `augenrules --load` (run by Debian's and RHEL's
//!   `auditd.service`) compiles into `/etc/audit/audit.rules`, overwriting it; otherwise
//!   `/etc/audit/audit.rules`, loaded as is by `auditctl -R`;
//! - `source: rules_d` or `source: audit_rules` to pick one.
//!
//! The rules loaded in the kernel right now are not read (that needs `auditctl -l`, and the
//! agent never runs commands).
//!
//! **Matching.** Each rule line is parsed the way `auditctl` reads it and normalised:
//! option order, `-k KEY` / `-F key=KEY`, `-S a,b` versus `-S a -S b`, `always,exit` versus
//! `exit,always`, trailing `/` in paths, `/var/run` versus `/run`, and `unset` / `-1` /
//! `4294967295` do not matter. A watch `-w PATH -p PERMS` is the same as
//! `-a always,exit -F path=PATH -F perm=PERMS` (or `dir=`), which is how auditctl sends it.
//! A required rule is present when the lines together audit at least the events it
//! describes: for every required architecture and every required syscall, one line on the
//! same list with the same action covers that syscall (or all syscalls), for that
//! architecture (a line without `-F arch=` but with `-S` is for the native 64-bit ABI, as
//! auditctl assumes; one without `-S` is for every ABI), with at least the required
//! permissions (`-p wa` is covered by `-p rwa`; a watch without `-p` has all four), and
//! with no filter (`-F`, `-C`) that the required rule does not also have: an extra filter
//! audits fewer events, a missing one audits more.
//!
//! **Architectures.** A required syscall rule without `-F arch=` must be present for every
//! ABI in `arches` (default `[b64, b32]`: a 64-bit kernel also runs 32-bit programs, whose
//! syscalls a `b64` rule does not see). Write `-F arch=b32` in the required rule for a
//! syscall that exists only there (`stime`).
//!
//! **Control rules.** `-e 2` (immutable) and `-f N` are met when the effective value is the
//! required one: with rules.d the last occurrence (augenrules keeps only the last `-e`), with
//! audit.rules the first `-e 2` locks the configuration. `-b N` and
//! `--backlog_wait_time N` are met by the same or a larger value; `-D` and
//! `--loginuid-immutable` by being present.
//!
//! Not modelled: `-a never,...` rules that would suppress events before an `always` rule
//! sees them, `-d`/`-W` deletions (ignored), and numeric ranges (`auid>=500` is not treated as
//! covering `auid>=1000`).
//!
//! **Absent.** The baseline requires auditd, so no rule set at all fails (with the reason:
//! no `/etc/audit`, or no rules files), it is never `not_applicable`. An unreadable rules
//! file is an `error`. Lines auditd would reject are listed in a failing result's evidence.

use crate::host::Host;
use crate::outcome::{HostCheck, Outcome};
use crate::report::Evidence;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::rc::Rc;

/// Parameters of an `audit_rule` check.
///
/// ```yaml
/// check:
///   type: audit_rule
///   params:
///     rules:
///       - "-w /etc/passwd -p wa"
///       - "-a always,exit -S adjtimex,settimeofday"
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// One required rule, in auditctl syntax.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<RequiredRule>,
    /// Several required rules (combined with `rule`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RequiredRule>,
    /// `true` (default): every required rule must be present; `false`: at least one.
    #[serde(default = "yes")]
    pub all: bool,
    /// ABIs a syscall rule without `-F arch=` must cover; default `[b64, b32]`.
    #[serde(default = "default_arches")]
    pub arches: Vec<Arch>,
    /// Which files make the rule set: `auto` (default), `rules_d` or `audit_rules`.
    #[serde(default)]
    pub source: Source,
}

fn yes() -> bool {
    true
}

fn default_arches() -> Vec<Arch> {
    vec![Arch::B64, Arch::B32]
}

/// An audit ABI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arch {
    /// 64-bit (`b64`, `x86_64`, `aarch64`).
    B64,
    /// 32-bit (`b32`, `i386`, `arm`).
    B32,
}

impl Arch {
    fn parse(s: &str) -> Option<Arch> {
        match s.to_ascii_lowercase().as_str() {
            "b64" | "x86_64" | "aarch64" | "ppc64" | "ppc64le" | "s390x" | "riscv64" => {
                Some(Arch::B64)
            }
            "b32" | "i386" | "i486" | "i586" | "i686" | "arm" | "armv7l" | "ppc" | "s390" => {
                Some(Arch::B32)
            }
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Arch::B64 => "b64",
            Arch::B32 => "b32",
        }
    }
}

/// Where the persistent rule set comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// rules.d when the directory exists (augenrules), else audit.rules.
    #[default]
    Auto,
    /// `/etc/audit/rules.d/*.rules`.
    RulesD,
    /// `/etc/audit/audit.rules`.
    AuditRules,
}

/// A required rule, parsed when the policy is loaded (a malformed one is a policy error).
#[derive(Debug, Clone)]
pub struct RequiredRule {
    text: String,
    rule: Rule,
}

impl TryFrom<String> for RequiredRule {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        let rule = parse_rule(&text).map_err(|e| format!("invalid audit rule {text:?}: {e}"))?;
        if rule == Rule::Empty {
            return Err("empty audit rule".to_string());
        }
        Ok(RequiredRule { text, rule })
    }
}

impl<'de> Deserialize<'de> for RequiredRule {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        RequiredRule::try_from(s).map_err(serde::de::Error::custom)
    }
}

impl Serialize for RequiredRule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl HostCheck for Params {
    fn evaluate(&self, host: &Host) -> Outcome {
        evaluate(self, host)
    }
}

/// Evaluate an `audit_rule` check.
pub fn evaluate(params: &Params, host: &Host) -> Outcome {
    let required: Vec<&RequiredRule> = params.rule.iter().chain(params.rules.iter()).collect();
    if required.is_empty() {
        return Outcome::error("audit_rule check has no `rule` or `rules` to look for");
    }
    let set = load_rule_set(host, params.source);
    let set = match set.as_ref() {
        Ok(s) => s,
        Err(e) => return Outcome::error(e.clone()),
    };
    if let Some(why) = &set.absent {
        return Outcome::fail(format!(
            "{why}; expected the audit rule{} {}",
            if required.len() > 1 { "s" } else { "" },
            quote_list(&required)
        ))
        .with(
            Evidence::at(set.origin.clone(), None)
                .observed(why.clone())
                .expected(
                    required
                        .iter()
                        .map(|r| r.text.as_str())
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
        );
    }
    let mut present = Vec::new();
    let mut missing = Vec::new();
    for r in &required {
        match covers(set, &r.rule, &params.arches) {
            Ok(lines) => present.push((*r, lines)),
            Err(gap) => missing.push((*r, gap)),
        }
    }
    let mut evidence = Vec::new();
    for (r, lines) in &present {
        for l in lines {
            evidence.push(
                Evidence::at(l.path.clone(), Some(l.line))
                    .observed(l.text.clone())
                    .expected(r.text.clone()),
            );
        }
    }
    for (r, gap) in &missing {
        evidence.push(
            Evidence::at(set.origin.clone(), None)
                .observed(gap.clone())
                .expected(r.text.clone()),
        );
    }
    let ok = if params.all {
        missing.is_empty()
    } else {
        !present.is_empty()
    };
    if ok {
        let where_ = present
            .iter()
            .flat_map(|(_, ls)| ls.iter().map(|l| format!("{}:{}", l.path, l.line)))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
            .join(", ");
        return Outcome::pass(format!(
            "audit rule{} {} present in {} ({where_})",
            if present.len() > 1 { "s" } else { "" },
            quote_list(&present.iter().map(|(r, _)| *r).collect::<Vec<_>>()),
            set.origin
        ))
        .with_all(evidence);
    }
    for bad in &set.rejected {
        evidence.push(
            Evidence::at(bad.path.clone(), Some(bad.line))
                .observed(bad.text.clone())
                .context(format!("auditctl would reject this line: {}", bad.error)),
        );
    }
    let gaps = missing
        .iter()
        .map(|(r, gap)| format!("`{}` ({gap})", r.text))
        .collect::<Vec<_>>()
        .join("; ");
    let rejected = if set.rejected.is_empty() {
        String::new()
    } else {
        format!(
            "; {} line(s) auditd would reject, first at {}:{}",
            set.rejected.len(),
            set.rejected[0].path,
            set.rejected[0].line
        )
    };
    Outcome::fail(format!(
        "{} missing from {}: {gaps}{rejected}",
        if missing.len() > 1 {
            "audit rules"
        } else {
            "audit rule"
        },
        set.origin
    ))
    .with_all(evidence)
}

fn quote_list(rules: &[&RequiredRule]) -> String {
    rules
        .iter()
        .map(|r| format!("`{}`", r.text))
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------------------------------
// The rule model.

/// Watch permissions as a bit set: r=1, w=2, x=4, a=8.
type Perms = u8;
const ALL_PERMS: Perms = 0b1111;

fn parse_perms(s: &str) -> Result<Perms, String> {
    let mut p = 0;
    for c in s.chars() {
        p |= match c.to_ascii_lowercase() {
            'r' => 1,
            'w' => 2,
            'x' => 4,
            'a' => 8,
            _ => return Err(format!("bad permission {c:?} in {s:?}")),
        };
    }
    if p == 0 {
        return Err("empty permissions".to_string());
    }
    Ok(p)
}

/// One normalised audit rule line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// Blank or comment.
    Empty,
    /// A control option: `-e 2`, `-b 8192`, `-f 1`, `-D`, `--loginuid-immutable`, …
    Control {
        /// The option (`-e`, `--backlog_wait_time`).
        option: String,
        /// Its value (empty for flags).
        value: String,
    },
    /// A rule that adds auditing (watches are turned into this form).
    Syscall(SyscallRule),
    /// A deletion (`-d`, `-W`) or listing option: adds nothing.
    Other,
}

/// A syscall (or watch) rule in auditctl's normal form.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyscallRule {
    /// `exit`, `user`, `task`, `exclude`, `filesystem`, `io_uring`.
    pub list: String,
    /// `always` or `never`.
    pub action: String,
    /// `-F arch=`; `None` when not given.
    pub arch: Option<Arch>,
    /// Syscalls (`-S`); empty means all.
    pub syscalls: BTreeSet<String>,
    /// `-F perm=` (watches: `-p`, all four when absent).
    pub perm: Option<Perms>,
    /// Other filters, `(name, op, value)`; a watched path is `("watch", "=", PATH)`.
    pub fields: BTreeSet<(String, String, String)>,
}

impl SyscallRule {
    fn all_syscalls(&self) -> bool {
        self.syscalls.is_empty()
    }

    /// The ABI the line applies to; `None` for every ABI.
    fn effective_arch(&self) -> Option<Arch> {
        match self.arch {
            Some(a) => Some(a),
            None if !self.all_syscalls() => Some(Arch::B64),
            None => None,
        }
    }
}

const FIELD_OPS: &[&str] = &["!=", ">=", "<=", "&=", "=", ">", "<", "&"];

fn split_field(s: &str) -> Result<(String, String, String), String> {
    let pos = s
        .find(['!', '>', '<', '&', '='])
        .ok_or_else(|| format!("no operator in field {s:?}"))?;
    let (name, rest) = s.split_at(pos);
    let op = FIELD_OPS
        .iter()
        .find(|op| rest.starts_with(**op))
        .ok_or_else(|| format!("bad operator in field {s:?}"))?;
    let value = &rest[op.len()..];
    if name.is_empty() || value.is_empty() {
        return Err(format!("incomplete field {s:?}"));
    }
    Ok((name.to_ascii_lowercase(), op.to_string(), value.to_string()))
}

fn normalize_path(p: &str) -> String {
    let mut p = p.to_string();
    while p.len() > 1 && p.ends_with('/') {
        p.pop();
    }
    if let Some(rest) = p.strip_prefix("/var/run/") {
        p = format!("/run/{rest}");
    } else if p == "/var/run" {
        p = "/run".to_string();
    }
    p
}

fn normalize_value(v: &str) -> String {
    match v {
        "unset" | "-1" | "4294967295" => return "unset".to_string(),
        _ => {}
    }
    let parsed = if let Some(h) = v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        i64::from_str_radix(h, 16).ok()
    } else {
        v.parse::<i64>().ok()
    };
    match parsed {
        Some(n) => n.to_string(),
        None => v.to_string(),
    }
}

fn value_of<'a>(
    opt: &str,
    inline: Option<&'a str>,
    words: &mut impl Iterator<Item = &'a str>,
) -> Result<&'a str, String> {
    match inline {
        Some(v) if !v.is_empty() => Ok(v),
        _ => words
            .next()
            .ok_or_else(|| format!("option {opt} needs a value")),
    }
}

/// Parse one line of an audit rules file.
pub fn parse_rule(line: &str) -> Result<Rule, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(Rule::Empty);
    }
    let mut words = line.split_whitespace();
    let mut control: Option<Rule> = None;
    let mut list_action: Option<(String, String)> = None;
    let mut watch: Option<String> = None;
    let mut perm_opt: Option<Perms> = None;
    let mut r = SyscallRule::default();
    let mut deletion = false;
    let mut used_s = false;
    while let Some(word) = words.next() {
        // `--opt=value` and `-Xvalue` forms.
        let (opt, inline): (&str, Option<&str>) = if let Some(long) = word.strip_prefix("--") {
            match long.split_once('=') {
                Some((o, v)) => (o, Some(v)),
                None => (long, None),
            }
        } else if let Some(short) = word.strip_prefix('-') {
            let mut cs = short.char_indices();
            match cs.next() {
                Some((_, _)) => {
                    let split = cs.next().map(|(i, _)| i).unwrap_or(short.len());
                    let (o, v) = short.split_at(split);
                    (o, if v.is_empty() { None } else { Some(v) })
                }
                None => return Err("lone `-`".to_string()),
            }
        } else {
            return Err(format!("unexpected word {word:?}"));
        };
        match opt {
            "a" | "A" | "d" => {
                let v = value_of(opt, inline, &mut words)?;
                let mut list = None;
                let mut action = None;
                for part in v.split(',') {
                    match part {
                        "always" | "never" | "possible" => action = Some(part.to_string()),
                        "exit" | "task" | "user" | "exclude" | "filesystem" | "io_uring"
                        | "entry" => list = Some(part.to_string()),
                        _ => return Err(format!("bad list,action {v:?}")),
                    }
                }
                match (list, action) {
                    (Some(l), Some(a)) => list_action = Some((l, a)),
                    _ => return Err(format!("bad list,action {v:?}")),
                }
                if opt == "d" {
                    deletion = true;
                }
            }
            "S" => {
                let v = value_of(opt, inline, &mut words)?;
                used_s = true;
                for s in v.split(',') {
                    if s.is_empty() {
                        return Err(format!("empty syscall in {v:?}"));
                    }
                    if s == "all" {
                        r.syscalls.insert("*".to_string());
                    } else {
                        r.syscalls.insert(s.to_ascii_lowercase());
                    }
                }
            }
            "F" | "C" => {
                let v = value_of(opt, inline, &mut words)?;
                let (name, op, value) = split_field(v)?;
                match (opt, name.as_str()) {
                    ("F", "key") => {}
                    ("F", "arch") => {
                        if op != "=" {
                            return Err(format!("arch needs `=`: {v:?}"));
                        }
                        r.arch = Some(
                            Arch::parse(&value).ok_or_else(|| format!("unknown arch {value:?}"))?,
                        );
                    }
                    ("F", "perm") => r.perm = Some(parse_perms(&value)?),
                    ("F", "path") | ("F", "dir") => {
                        r.fields
                            .insert(("watch".to_string(), op, normalize_path(&value)));
                    }
                    ("C", _) => {
                        r.fields.insert((format!("C:{name}"), op, value));
                    }
                    _ => {
                        r.fields.insert((name, op, normalize_value(&value)));
                    }
                }
            }
            "w" | "W" => {
                let v = value_of(opt, inline, &mut words)?;
                watch = Some(normalize_path(v));
                if opt == "W" {
                    deletion = true;
                }
            }
            "p" => perm_opt = Some(parse_perms(value_of(opt, inline, &mut words)?)?),
            "k" => {
                value_of(opt, inline, &mut words)?;
            }
            "e" | "f" | "b" | "r" | "backlog_wait_time" => {
                let v = value_of(opt, inline, &mut words)?;
                let option = if opt.len() == 1 {
                    format!("-{opt}")
                } else {
                    format!("--{opt}")
                };
                if v.parse::<u64>().is_err() {
                    return Err(format!("{option} needs a number, got {v:?}"));
                }
                control = Some(Rule::Control {
                    option,
                    value: v.to_string(),
                });
            }
            "D" | "loginuid-immutable" | "reset-lost" | "reset_backlog_wait_time_actual" => {
                let option = if opt.len() == 1 {
                    format!("-{opt}")
                } else {
                    format!("--{opt}")
                };
                control = Some(Rule::Control {
                    option,
                    value: String::new(),
                });
            }
            "c" | "i" | "l" | "s" | "v" | "h" => return Ok(Rule::Other),
            "q" | "t" | "R" | "signal" | "subj_type" => return Ok(Rule::Other),
            _ => return Err(format!("unknown option {word:?}")),
        }
    }
    if let Some(c) = control {
        if list_action.is_some() || watch.is_some() || used_s {
            return Err("a control option mixed with a rule".to_string());
        }
        return Ok(c);
    }
    if deletion {
        return Ok(Rule::Other);
    }
    if let Some(path) = watch {
        if list_action.is_some() || used_s {
            return Err("-w cannot be combined with -a/-S".to_string());
        }
        r.list = "exit".to_string();
        r.action = "always".to_string();
        r.perm = Some(perm_opt.unwrap_or(ALL_PERMS));
        r.fields
            .insert(("watch".to_string(), "=".to_string(), path));
        return Ok(Rule::Syscall(r));
    }
    if perm_opt.is_some() {
        return Err("-p without -w".to_string());
    }
    let Some((list, action)) = list_action else {
        return Err("no -a, -w or control option".to_string());
    };
    if r.syscalls.contains("*") {
        r.syscalls.clear();
    }
    if used_s && list != "exit" && list != "entry" {
        return Err(format!("-S is not allowed on the {list} list"));
    }
    r.list = if list == "entry" {
        "exit".to_string()
    } else {
        list
    };
    r.action = action;
    Ok(Rule::Syscall(r))
}

// ---------------------------------------------------------------------------------------
// The rule set.

/// One line of a rules file.
#[derive(Debug, Clone)]
struct Line {
    path: String,
    line: u32,
    text: String,
}

#[derive(Debug, Clone)]
struct Rejected {
    path: String,
    line: u32,
    text: String,
    error: String,
}

#[derive(Debug, Default)]
struct RuleSet {
    /// `/etc/audit/rules.d` or `/etc/audit/audit.rules`.
    origin: String,
    /// Why there is no rule set, when there is none.
    absent: Option<String>,
    /// augenrules semantics (last `-e` wins) versus auditctl (first `-e 2` locks).
    compiled: bool,
    rules: Vec<(Line, Rule)>,
    rejected: Vec<Rejected>,
}

fn load_rule_set(host: &Host, source: Source) -> Rc<Result<RuleSet, String>> {
    let key = format!("audit_rule:{source:?}");
    host.cached(&key, || {
        const DIR: &str = "/etc/audit/rules.d";
        const FILE: &str = "/etc/audit/audit.rules";
        let use_dir = match source {
            Source::RulesD => true,
            Source::AuditRules => false,
            Source::Auto => host.metadata(DIR).map(|m| m.is_dir()).unwrap_or(false),
        };
        let mut set = RuleSet::default();
        if use_dir {
            set.origin = DIR.to_string();
            set.compiled = true;
            let mut files: Vec<String> = host
                .read_dir_sorted(DIR)
                .map_err(|e| e.to_string())?
                .into_iter()
                .filter(|e| e.name.ends_with(".rules"))
                .map(|e| e.host_path)
                .collect();
            files.sort_by(|a, b| version_cmp(a, b));
            if files.is_empty() {
                set.absent = Some(if host.exists("/etc/audit") && host.exists(DIR) {
                    format!("no *.rules files in {DIR} (augenrules would load an empty rule set)")
                } else if host.exists("/etc/audit") {
                    format!("no {DIR} directory")
                } else {
                    "no /etc/audit directory: auditd is not installed".to_string()
                });
            }
            for f in files {
                if host.metadata(&f).map(|m| m.is_dir()).unwrap_or(false) {
                    continue;
                }
                let text = host.read_to_string(&f).map_err(|e| e.to_string())?;
                add_lines(&mut set, &f, &text);
            }
        } else {
            set.origin = FILE.to_string();
            match host.read_optional(FILE).map_err(|e| e.to_string())? {
                Some(text) => add_lines(&mut set, FILE, &text),
                None => {
                    set.absent = Some(if host.exists("/etc/audit") {
                        format!("no {FILE}")
                    } else {
                        "no /etc/audit directory: auditd is not installed".to_string()
                    });
                }
            }
        }
        if set.absent.is_none() && set.rules.is_empty() {
            set.absent = Some(format!("no audit rules in {}", set.origin));
        }
        Ok(set)
    })
}

fn add_lines(set: &mut RuleSet, path: &str, text: &str) {
    for (i, raw) in text.lines().enumerate() {
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        match parse_rule(raw) {
            Ok(Rule::Empty) => {}
            Ok(rule) => set.rules.push((
                Line {
                    path: path.to_string(),
                    line,
                    text: raw.trim().to_string(),
                },
                rule,
            )),
            Err(error) => set.rejected.push(Rejected {
                path: path.to_string(),
                line,
                text: raw.trim().to_string(),
                error,
            }),
        }
    }
}

/// `ls -v` order: digit runs compare as numbers.
fn version_cmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let nx = x.iter().take_while(|c| c.is_ascii_digit()).count();
                let ny = y.iter().take_while(|c| c.is_ascii_digit()).count();
                let (dx, dy) = (&x[..nx], &y[..ny]);
                let tx = dx.iter().skip_while(|c| **c == b'0').count();
                let ty = dy.iter().skip_while(|c| **c == b'0').count();
                let ord = tx.cmp(&ty).then_with(|| dx[nx - tx..].cmp(&dy[ny - ty..]));
                if ord != Ordering::Equal {
                    return ord;
                }
                x = &x[nx..];
                y = &y[ny..];
            }
            (Some(c), Some(d)) => {
                if c != d {
                    return c.cmp(d);
                }
                x = &x[1..];
                y = &y[1..];
            }
        }
    }
}

/// The lines that together cover `req`, or a description of the first gap.
fn covers<'a>(set: &'a RuleSet, req: &Rule, arches: &[Arch]) -> Result<Vec<&'a Line>, String> {
    match req {
        Rule::Control { option, value } => control_covered(set, option, value),
        Rule::Syscall(r) => {
            let want_arches: Vec<Option<Arch>> = match r.arch {
                Some(a) => vec![Some(a)],
                None if !arches.is_empty() => arches.iter().copied().map(Some).collect(),
                // No ABI list: the rule's own meaning (native ABI for a syscall rule).
                None => vec![r.effective_arch()],
            };
            let want_calls: Vec<Option<&str>> = if r.all_syscalls() {
                vec![None]
            } else {
                r.syscalls.iter().map(|s| Some(s.as_str())).collect()
            };
            let mut used: Vec<&Line> = Vec::new();
            for arch in &want_arches {
                for call in &want_calls {
                    let hit = set.rules.iter().find(|(_, l)| match l {
                        Rule::Syscall(l) => line_covers(l, r, *arch, *call),
                        _ => false,
                    });
                    match hit {
                        Some((line, _)) => {
                            if !used.iter().any(|u| std::ptr::eq(*u, line)) {
                                used.push(line);
                            }
                        }
                        None => {
                            // A rule for every syscall (a watch) without `-F arch=` is met
                            // by one line for all ABIs: name the ABI only when a line
                            // covers another one, else "for arch=b64" misleads.
                            let abi_matters = call.is_some()
                                || r.arch.is_some()
                                || want_arches.iter().any(|a| {
                                    set.rules.iter().any(|(_, l)| {
                                        matches!(l, Rule::Syscall(l) if line_covers(l, r, *a, None))
                                    })
                                });
                            let arch_txt = arch
                                .filter(|_| abi_matters)
                                .map(|a| format!(" for arch={}", a.as_str()))
                                .unwrap_or_default();
                            let what = match call {
                                Some(c) => format!("no rule audits syscall {c}{arch_txt}"),
                                None => format!("no matching rule{arch_txt}"),
                            };
                            return Err(format!("{what} with these filters"));
                        }
                    }
                }
            }
            Ok(used)
        }
        Rule::Empty | Rule::Other => Ok(Vec::new()),
    }
}

fn line_covers(l: &SyscallRule, r: &SyscallRule, arch: Option<Arch>, call: Option<&str>) -> bool {
    if l.list != r.list || l.action != r.action {
        return false;
    }
    match (l.effective_arch(), arch) {
        (None, _) => {}
        (Some(la), Some(a)) if la == a => {}
        _ => return false,
    }
    let call_ok = l.all_syscalls() || call.is_some_and(|c| l.syscalls.contains(c));
    if !call_ok {
        return false;
    }
    match (l.perm, r.perm) {
        (None, _) => {}
        (Some(lp), Some(rp)) if lp & rp == rp => {}
        _ => return false,
    }
    l.fields.is_subset(&r.fields)
}

fn control_covered<'a>(
    set: &'a RuleSet,
    option: &str,
    value: &str,
) -> Result<Vec<&'a Line>, String> {
    let mut effective: Option<(&Line, &str)> = None;
    for (line, rule) in &set.rules {
        if let Rule::Control {
            option: o,
            value: v,
        } = rule
        {
            if o != option {
                continue;
            }
            let locked =
                !set.compiled && option == "-e" && effective.is_some_and(|(_, ev)| ev == "2");
            if !locked {
                effective = Some((line, v.as_str()));
            }
        }
    }
    let Some((line, got)) = effective else {
        return Err(format!("no {option} line"));
    };
    let ok = match option {
        "-b" | "--backlog_wait_time" => {
            matches!((got.parse::<u64>(), value.parse::<u64>()), (Ok(g), Ok(w)) if g >= w)
        }
        _ => got == value,
    };
    if ok {
        Ok(vec![line])
    } else {
        Err(format!(
            "the effective {option} is {got} ({}:{})",
            line.path, line.line
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;
    use crate::testutil::fixture;
    use proptest::prelude::*;

    fn req(s: &str) -> Rule {
        RequiredRule::try_from(s.to_string()).unwrap().rule
    }

    fn set_of(text: &str, compiled: bool) -> RuleSet {
        let mut set = RuleSet {
            origin: "/t".into(),
            compiled,
            ..RuleSet::default()
        };
        add_lines(&mut set, "/t", text);
        set
    }

    fn covered(text: &str, required: &str) -> bool {
        covers(&set_of(text, true), &req(required), &default_arches()).is_ok()
    }

    #[test]
    fn parser_normalises() {
        let a = parse_rule("-a always,exit -F arch=b64 -S adjtimex -S settimeofday -k time-change")
            .unwrap();
        let b =
            parse_rule("-a exit,always -S settimeofday,adjtimex -F key=x -F arch=x86_64").unwrap();
        assert_eq!(a, b);
        let w = parse_rule("-w /etc/sudoers.d/ -p wa -k scope").unwrap();
        let f = parse_rule("-a always,exit -F dir=/etc/sudoers.d -F perm=aw").unwrap();
        assert_eq!(w, f);
        assert_eq!(parse_rule("  # c").unwrap(), Rule::Empty);
        assert_eq!(
            parse_rule("-e 2").unwrap(),
            Rule::Control {
                option: "-e".into(),
                value: "2".into()
            }
        );
        assert_eq!(
            parse_rule("-F auid!=-1 -a always,exit -S mount").unwrap(),
            parse_rule("-a always,exit -S mount -F auid!=unset").unwrap()
        );
        for bad in [
            "-w",
            "-p wa",
            "-a sometimes,exit",
            "-a always,exit -F arch",
            "hello",
            "-e two",
            "-a always,exit -F perm=q",
            "-Z 1",
        ] {
            assert!(parse_rule(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn required_rules_are_checked_at_load() {
        let err = serde_saphyr::from_str::<Params>("{rule: '-a always'}").unwrap_err();
        assert!(err.to_string().contains("invalid audit rule"), "{err}");
        let p: Params = serde_saphyr::from_str("{rule: '-w /etc/passwd -p wa'}").unwrap();
        assert!(p.all);
        assert_eq!(p.arches, vec![Arch::B64, Arch::B32]);
    }

    #[test]
    fn watch_coverage() {
        assert!(covered(
            "-w /etc/passwd -p wa -k identity",
            "-w /etc/passwd -p wa"
        ));
        assert!(covered("-w /etc/passwd -p rwa", "-w /etc/passwd -p wa"));
        assert!(covered("-w /etc/passwd", "-w /etc/passwd -p wa"));
        assert!(
            !covered("-w /etc/passwd -p w", "-w /etc/passwd -p wa"),
            "missing perm a"
        );
        assert!(!covered("-w /etc/passwd -p wa", "-w /etc/shadow -p wa"));
        assert!(covered(
            "-a always,exit -F path=/etc/passwd -F perm=wa",
            "-w /etc/passwd -p wa"
        ));
        assert!(covered(
            "-w /var/run/faillock -p wa",
            "-w /run/faillock/ -p wa"
        ));
        assert!(
            !covered(
                "-a always,exit -F path=/etc/passwd -F perm=wa -F auid>=1000",
                "-w /etc/passwd -p wa"
            ),
            "extra filter audits less"
        );
        assert!(covered(
            "-a always,exit -F arch=b64 -F path=/etc/passwd -F perm=wa\n-a always,exit -F arch=b32 -F path=/etc/passwd -F perm=wa",
            "-w /etc/passwd -p wa"
        ));
        assert!(!covered(
            "-a never,exit -F path=/etc/passwd -F perm=wa",
            "-w /etc/passwd -p wa"
        ));
    }

    #[test]
    fn a_missing_watch_names_no_abi_unless_one_is_covered() {
        let gap = |text: &str, required: &str| {
            covers(&set_of(text, true), &req(required), &default_arches()).unwrap_err()
        };
        assert_eq!(
            gap("-w /etc/passwd -p w", "-w /etc/passwd -p wa"),
            "no matching rule with these filters"
        );
        assert_eq!(
            gap("-w /etc/group -p wa", "-w /etc/passwd -p wa"),
            "no matching rule with these filters"
        );
        assert_eq!(
            gap(
                "-a always,exit -F arch=b64 -F path=/etc/passwd -F perm=wa",
                "-w /etc/passwd -p wa"
            ),
            "no matching rule for arch=b32 with these filters"
        );
        assert_eq!(
            gap(
                "-a always,exit -F arch=b64 -S mount",
                "-a always,exit -S mount"
            ),
            "no rule audits syscall mount for arch=b32 with these filters"
        );
    }

    #[test]
    fn syscall_coverage_and_arches() {
        let both = "-a always,exit -F arch=b64 -S adjtimex,settimeofday -k t\n-a always,exit -F arch=b32 -S adjtimex -S settimeofday -k t\n";
        assert!(covered(both, "-a always,exit -S adjtimex,settimeofday"));
        assert!(covered(both, "-a always,exit -F arch=b64 -S settimeofday"));
        let only64 = "-a always,exit -F arch=b64 -S adjtimex,settimeofday";
        assert!(
            !covered(only64, "-a always,exit -S adjtimex,settimeofday"),
            "missing b32"
        );
        // No arch on a syscall line: auditctl uses the native (64-bit) ABI.
        assert!(!covered(
            "-a always,exit -S adjtimex",
            "-a always,exit -F arch=b32 -S adjtimex"
        ));
        assert!(covered(
            "-a always,exit -S adjtimex",
            "-a always,exit -F arch=b64 -S adjtimex"
        ));
        // Split across lines.
        assert!(covered("-a always,exit -F arch=b64 -S init_module\n-a always,exit -F arch=b64 -S finit_module,delete_module", "-a always,exit -F arch=b64 -S init_module,finit_module,delete_module"));
        // Filters: the line may have fewer, not more.
        let req_f = "-a always,exit -F arch=b64 -S mount -F auid>=1000 -F auid!=unset";
        assert!(covered(
            "-a always,exit -F arch=b64 -S mount -F auid>=1000 -F auid!=4294967295 -k mounts",
            req_f
        ));
        assert!(covered("-a always,exit -F arch=b64 -S mount", req_f));
        assert!(!covered(
            "-a always,exit -F arch=b64 -S mount -F auid>=1000 -F auid!=unset -F success=1",
            req_f
        ));
        assert!(!covered("-a always,exit -F arch=b64 -S umount2", req_f));
        // -S all covers everything; list and action must agree.
        assert!(covered(
            "-a always,exit -F arch=b64 -S all",
            "-a always,exit -F arch=b64 -S mount"
        ));
        assert!(!covered(
            "-a always,task",
            "-a always,exit -F arch=b64 -S mount"
        ));
    }

    #[test]
    fn immutable_flag() {
        assert!(covers(&set_of("-w /x\n-e 2\n", true), &req("-e 2"), &[]).is_ok());
        assert!(
            covers(&set_of("-e 2\n-e 1\n", true), &req("-e 2"), &[]).is_err(),
            "augenrules keeps the last -e"
        );
        assert!(
            covers(&set_of("-e 2\n-e 1\n", false), &req("-e 2"), &[]).is_ok(),
            "auditctl: -e 2 locks"
        );
        assert!(covers(&set_of("-e 1\n", false), &req("-e 2"), &[]).is_err());
        assert!(covers(&set_of("-b 8192\n", true), &req("-b 1024"), &[]).is_ok());
        assert!(covers(&set_of("-b 320\n", true), &req("-b 8192"), &[]).is_err());
    }

    #[test]
    fn version_sort() {
        let mut v = vec![
            "/r/10-b.rules",
            "/r/9-a.rules",
            "/r/99-z.rules",
            "/r/a.rules",
        ];
        v.sort_by(|a, b| version_cmp(a, b));
        assert_eq!(
            v,
            vec![
                "/r/9-a.rules",
                "/r/10-b.rules",
                "/r/99-z.rules",
                "/r/a.rules"
            ]
        );
    }

    fn eval(case: &str, yaml: &str) -> Outcome {
        let p: Params = serde_saphyr::from_str(yaml).unwrap();
        evaluate(&p, &Host::new(fixture(&format!("audit_rule/{case}"))))
    }

    #[test]
    fn fixture_matrix() {
        let identity = "{rules: ['-w /etc/passwd -p wa', '-w /etc/shadow -p wa']}";
        let time = "{rules: ['-a always,exit -S adjtimex,settimeofday', '-a always,exit -F arch=b32 -S stime']}";
        let cases = [
            ("rules_d", identity, Status::Pass, "30-identity.rules:"),
            ("rules_d", time, Status::Pass, "/etc/audit/rules.d"),
            (
                "rules_d",
                "{rule: '-e 2'}",
                Status::Pass,
                "99-finalize.rules",
            ),
            (
                "rules_d",
                "{rule: '-w /etc/group -p wa'}",
                Status::Fail,
                "missing from /etc/audit/rules.d",
            ),
            // audit.rules has the group rule, but augenrules would overwrite it.
            (
                "rules_d",
                "{rule: '-w /etc/group -p wa', source: audit_rules}",
                Status::Pass,
                "",
            ),
            (
                "rules_d",
                "{rule: '-w /etc/gshadow -p wa'}",
                Status::Fail,
                "would reject",
            ),
            (
                "audit_rules",
                identity,
                Status::Pass,
                "/etc/audit/audit.rules",
            ),
            ("audit_rules", "{rule: '-e 2'}", Status::Pass, ""),
            (
                "audit_rules",
                time,
                Status::Fail,
                "syscall stime for arch=b32",
            ),
            (
                "audit_rules",
                "{rule: '-w /etc/shadow -p rwa'}",
                Status::Fail,
                "",
            ),
            (
                "audit_rules",
                "{rules: ['-w /etc/shadow -p rwa', '-w /etc/passwd -p wa'], all: false}",
                Status::Pass,
                "",
            ),
            (
                "missing_arch",
                "{rule: '-a always,exit -S mount -F auid>=1000 -F auid!=unset'}",
                Status::Fail,
                "for arch=b32",
            ),
            (
                "missing_arch",
                "{rule: '-a always,exit -S mount -F auid>=1000 -F auid!=unset', arches: [b64]}",
                Status::Pass,
                "",
            ),
            ("empty_rules_d", identity, Status::Fail, "no *.rules files"),
            (
                "no_auditd",
                identity,
                Status::Fail,
                "auditd is not installed",
            ),
            (
                "no_auditd",
                "{rule: '-e 2', source: audit_rules}",
                Status::Fail,
                "auditd is not installed",
            ),
        ];
        for (case, yaml, status, frag) in cases {
            let o = eval(case, yaml);
            assert_eq!(o.status, status, "{case} {yaml}: {o:?}");
            assert!(o.message.contains(frag), "{case} {yaml}: {}", o.message);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn parser_never_panics(text in "(?s).{0,300}") {
            for line in text.lines() {
                let _ = parse_rule(line);
            }
            let mut set = RuleSet::default();
            add_lines(&mut set, "/f", &text);
        }

        #[test]
        fn parser_never_panics_on_rule_like_text(
            words in proptest::collection::vec("-a|-A|-d|-S|-F|-C|-w|-W|-p|-k|-e|-b|-D|--backlog_wait_time|always,exit|exit|never|arch=b64|arch=b32|auid>=1000|auid!=unset|path=/x|perm=wa|wa|r|2|[a-z_]{1,8}|[!<>=&]{1,2}|/etc/[a-z]{1,5}/?|-[a-zA-Z]", 0..12)
        ) {
            let line = words.join(" ");
            if let Ok(r @ Rule::Syscall(_)) = parse_rule(&line) {
                // Anything parsed covers itself.
                let set = set_of(&line, true);
                prop_assert!(covers(&set, &r, &[]).is_ok(), "{line}");
            }
        }
    }
}
