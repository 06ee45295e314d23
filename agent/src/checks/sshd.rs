//! `sshd` check: the effective OpenSSH server configuration, as sshd itself reads it.
//!
//! **What it reads.** `/etc/ssh/sshd_config` under the scan root and every file it
//! `Include`s, parsed once per scan (`Host::cached("sshd")`) and shared by all sshd rules.
//! The semantics are those of OpenSSH 9.2p1 as shipped by Debian 12 (`servconf.c`), and
//! the differential tests compare this module with the real `sshd -T`:
//!
//! - Lines: leading blanks and trailing whitespace are stripped; `#` starts a comment
//!   (at the start of a line or of an argument); keywords are case-insensitive;
//!   `Keyword value`, `Keyword=value` and `Keyword = value` all work; arguments are split
//!   like sshd's `argv_split` (`"double"` and `'single'` quotes, backslash escapes).
//! - The **first** value obtained for a keyword wins. Exception: `MaxStartups`, which
//!   sshd assigns unconditionally, so its **last** occurrence wins. (Accumulating
//!   keywords such as `HostKey`, `AllowUsers` or `AcceptEnv` are not modelled: they are
//!   syntax-checked only and cannot be used in rules.)
//! - `Include` is processed where it appears: relative paths are taken from `/etc/ssh`,
//!   patterns are expanded like `glob(3)` (sorted byte-wise, a leading `.` only matched
//!   literally, no match = nothing included), includes nest up to sshd's depth of 16;
//!   deeper (an include loop) is an error. An `Include` inside a `Match` block applies
//!   the included lines to that block; a `Match` in an included file ends at the end of
//!   that file.
//! - `Match` blocks only apply to matching connections. A rule passes only when the
//!   **global** effective value (what `sshd -T` prints) **and** every value a Match
//!   block can give a connection comply. A value set under `Match all` applies to every
//!   connection: it is the global value, and later Match blocks cannot override it.
//!   Overlap between other blocks is not analysed: a value that an earlier, broader block
//!   always shadows is still checked (conservative). Keywords sshd does not let Match
//!   blocks change (`Ciphers`, `MACs`, `KexAlgorithms`, `HostKeyAlgorithms`,
//!   `LoginGraceTime`, `MaxStartups`, `PermitUserEnvironment`, `UsePAM`, ...) only have
//!   a global value; writing them inside a non-`all` Match block is a configuration error.
//! - Algorithm lists (`Ciphers`, `MACs`, `KexAlgorithms`, `HostKeyAlgorithms`,
//!   `PubkeyAcceptedAlgorithms`, `HostbasedAcceptedAlgorithms`, `CASignatureAlgorithms`)
//!   are assembled like `kex_assemble_names()`: `+list` appends to the built-in default,
//!   `-list` removes matching names from it (wildcards `*` and `?`, `!` exceptions),
//!   `^list` prepends, a plain list (wildcards allowed where sshd allows them) replaces it.
//!   A `-list` that removes every algorithm is accepted by sshd but leaves it unable to
//!   negotiate with any client (`sshd -T` misleadingly prints the default): the rules on
//!   that keyword report `error` at its `path:line`.
//!   The defaults and the supported algorithms are those of Debian 12's OpenSSH 9.2p1
//!   (OpenSSL 3), see `sshd/algos.rs`; the observed value is the comma-separated list.
//! - Time values (`LoginGraceTime`, `ClientAliveInterval`) are converted to seconds
//!   (`90`, `90s`, `10m`, `1h30m`, `2d`, `1w`); integers and times are read as sshd
//!   reads them (`sshd/numbers.rs`, shared by the parser and the argument checks).
//! - Values are normalised as `sshd -T` prints them: `yes`/`no` in lower case,
//!   `AllowTcpForwarding all` → `yes`, `LogLevel debug1` → `DEBUG`, `Banner NONE` →
//!   `none`. One deliberate difference: `PermitRootLogin without-password` (a deprecated
//!   alias) is reported as `prohibit-password`. `PermitUserEnvironment` takes `yes`/`no`
//!   case-sensitively; anything else is a pattern list that *enables* the feature, and a
//!   pattern list spelled like a flag (`No`) is reported as `"No" (pattern list)` so that
//!   `eq: "no"` cannot mistake it for the flag.
//!
//! **What absent means.** A keyword that is not set takes OpenSSH's compiled-in default
//! (`PermitRootLogin prohibit-password`, `MaxAuthTries 6`, `X11Forwarding no`,
//! `ClientAliveInterval 0`, `UsePAM no`, ...), reported as "default". No
//! `/etc/ssh/sshd_config` at all → `not_applicable`.
//!
//! **Errors, never a pass.** An unreadable file, NUL bytes, an unknown keyword, a bad
//! value, unbalanced quotes, a directive not allowed inside a Match block, a malformed
//! Match line, an include loop: anything that makes sshd refuse to start gives `error`
//! with `path:line` and the reason (the same configuration `sshd -t` rejects). That
//! includes bad arguments to keywords no rule reads (`Port abc`, `SyslogFacility
//! LOCAL9`, `RekeyLimit lots`, a second `Subsystem sftp`, an unresolvable
//! `ListenAddress`, ...): every keyword's arguments are checked the way sshd 9.2 does
//! (`keywords::Arg`, `args.rs`), and so are sshd's post-read checks
//! (`AuthorizedKeysCommand` without a user, unsatisfiable `AuthenticationMethods`).
//!
//! **Symbolic links** are followed inside the scan root (`Host`), for the main file, for
//! included files and for directories a glob walks through.
//!
//! Params: `keyword` (any spelling sshd accepts, aliases included), `expect` (shared
//! [`Expect`] ops; algorithm lists use `subset`; times compare in seconds) and, for
//! `MaxStartups` only, `field: begin|rate|full` to compare one number of `begin:rate:full`.
//!
//! ```yaml
//! check: {type: sshd, params: {keyword: MaxAuthTries, expect: {op: le, value: 4}}}
//! check: {type: sshd, params: {keyword: Ciphers, expect: {op: subset, value: [aes256-ctr]}}}
//! check: {type: sshd, params: {keyword: MaxStartups, field: full, expect: {op: le, value: 60}}}
//! ```

mod addrmatch;
mod algos;
mod args;
mod glob;
mod keywords;
mod lexer;
mod numbers;
mod parser;

#[cfg(test)]
mod difftest;

use crate::checks::expect::Expect;
use crate::host::Host;
use crate::outcome::{HostCheck, Outcome};
use crate::report::Evidence;
use keywords::{Kind, Kw};
use parser::{Config, Parsed, Resolved};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The main configuration file.
pub const MAIN_CONFIG: &str = "/etc/ssh/sshd_config";

/// Parameters of an `sshd` check.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "RawParams")]
pub struct Params {
    /// The sshd_config keyword whose effective value is checked (case-insensitive;
    /// aliases such as `ChallengeResponseAuthentication` are accepted).
    pub keyword: Keyword,
    /// `MaxStartups` only: compare one field of `begin:rate:full` (`begin`, `rate` or
    /// `full`) instead of the whole triple.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<StartupsField>,
    /// The requirement on the effective value (algorithm lists: `subset`; times: seconds).
    pub expect: Expect,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParams {
    keyword: Keyword,
    #[serde(default)]
    field: Option<StartupsField>,
    expect: Expect,
}

impl TryFrom<RawParams> for Params {
    type Error = String;
    fn try_from(raw: RawParams) -> Result<Self, String> {
        if raw.field.is_some() && raw.keyword.0 != Kw::MaxStartups {
            return Err(format!(
                "`field` only applies to MaxStartups, not {}",
                raw.keyword.0.name()
            ));
        }
        Ok(Params {
            keyword: raw.keyword,
            field: raw.field,
            expect: raw.expect,
        })
    }
}

/// A modelled sshd_config keyword (written as its name in policies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keyword(Kw);

impl Keyword {
    /// The documented spelling (`PermitRootLogin`).
    pub fn name(&self) -> &'static str {
        self.0.name()
    }
}

impl<'de> Deserialize<'de> for Keyword {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Kw::lookup(&s).map(Keyword).ok_or_else(|| {
            let names: Vec<&str> = Kw::ALL.iter().map(|k| k.name()).collect();
            serde::de::Error::custom(format!(
                "unsupported sshd keyword {s:?}; supported: {}",
                names.join(", ")
            ))
        })
    }
}

impl Serialize for Keyword {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.name())
    }
}

/// One number of `MaxStartups begin:rate:full`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartupsField {
    /// Unauthenticated connections before random early drop starts.
    Begin,
    /// Drop probability (percent) once `begin` is reached.
    Rate,
    /// Unauthenticated connections at which every new one is refused.
    Full,
}

impl HostCheck for Params {
    fn evaluate(&self, host: &Host) -> Outcome {
        evaluate(self, host)
    }
}

/// Evaluate an `sshd` check.
pub fn evaluate(params: &Params, host: &Host) -> Outcome {
    let parsed = host.cached("sshd", || parser::parse(host, MAIN_CONFIG));
    let cfg = match &*parsed {
        Parsed::Missing => {
            return Outcome::not_applicable(format!(
            "sshd_config not found: {MAIN_CONFIG} does not exist (OpenSSH server not configured)"
        ))
        }
        Parsed::Failed(e) => {
            let at = match e.line {
                Some(l) => format!("{}:{l}", e.path),
                None => e.path.clone(),
            };
            return Outcome::error(format!(
                "cannot evaluate the sshd configuration: {at}: {} (sshd -t would reject it)",
                e.message
            ))
            .with(Evidence::at(e.path.clone(), e.line).observed(e.message.clone()));
        }
        Parsed::Ok(cfg) => cfg,
    };
    evaluate_config(params, cfg)
}

/// A value under evaluation: where it comes from, what the check compares, verdict.
struct Judged {
    res: Resolved,
    observed: String,
    ok: bool,
}

fn evaluate_config(params: &Params, cfg: &Config) -> Outcome {
    let kw = params.keyword.0;
    let expected = params.expect.describe();
    let global = match cfg.resolve(kw, &|_| false) {
        Ok(r) => r,
        Err(e) => {
            return Outcome::error(format!("{} cannot be evaluated: {e}", kw.name()));
        }
    };
    let judge = |res: Resolved| -> Result<Judged, String> {
        let observed = observe(params, &res.value)?;
        let ok = params.expect.matches(&observed);
        Ok(Judged { res, observed, ok })
    };
    let global = match judge(global) {
        Ok(j) => j,
        Err(e) => return Outcome::error(e),
    };
    let mut in_match = Vec::new();
    for (res, assembled) in cfg.match_values(kw) {
        let where_ = format!("{} in {}", location(&res), cfg.describe_ctx(&res.ctx));
        if let Err(e) = assembled {
            return Outcome::error(format!(
                "{} at {where_} is rejected by sshd for matching connections: {e}",
                kw.name()
            ))
            .with(
                Evidence::at(source_path(&res), source_line(&res))
                    .context(cfg.describe_ctx(&res.ctx)),
            );
        }
        match judge(res) {
            Ok(j) => in_match.push(j),
            Err(e) => return Outcome::error(e),
        }
    }

    let failing = in_match.iter().find(|j| !j.ok);
    let weakest = failing.or_else(|| weakest(&in_match, &params.expect));
    let match_part = if !kw.match_effective() {
        "Match blocks cannot change it".to_string()
    } else {
        match weakest {
            // A global value from `Match all` came from a Match block: say "other".
            None if !global.res.ctx.is_empty() => "no other Match block sets it".to_string(),
            None => "no Match block sets it".to_string(),
            Some(j) => format!(
                "weakest Match value {} at {} in {}",
                show(kw, params, j),
                location(&j.res),
                cfg.describe_ctx(&j.res.ctx)
            ),
        }
    };
    let global_where = if global.res.ctx.is_empty() {
        at(&global.res)
    } else {
        format!(
            "{} in {}",
            at(&global.res),
            cfg.describe_ctx(&global.res.ctx)
        )
    };
    let name = match params.field {
        Some(f) => format!("{} {}", kw.name(), field_name(f)),
        None => kw.name().to_string(),
    };

    let mut evidence = vec![
        Evidence::at(source_path(&global.res), source_line(&global.res))
            .observed(if global.res.source.is_none() {
                format!("{} (default)", global.observed)
            } else {
                global.observed.clone()
            })
            .expected(expected.clone()),
    ];
    if !global.res.ctx.is_empty() {
        if let Some(e) = evidence.last_mut() {
            e.context = Some(cfg.describe_ctx(&global.res.ctx));
        }
    }
    for j in &in_match {
        evidence.push(
            Evidence::at(source_path(&j.res), source_line(&j.res))
                .observed(j.observed.clone())
                .expected(expected.clone())
                .context(cfg.describe_ctx(&j.res.ctx)),
        );
    }

    if !global.ok {
        Outcome::fail(format!(
            "{name} is {}{global_where}, expected {expected}; {match_part}",
            show(kw, params, &global),
        ))
        .with_all(evidence)
    } else if let Some(j) = failing {
        Outcome::fail(format!(
            "{name} is {} at {} in {}, expected {expected}; the global value is {}{global_where}",
            show(kw, params, j),
            location(&j.res),
            cfg.describe_ctx(&j.res.ctx),
            show(kw, params, &global),
        ))
        .with_all(evidence)
    } else {
        Outcome::pass(format!(
            "{name} is {}{global_where}, as expected ({expected}); {match_part}",
            show(kw, params, &global),
        ))
        .with_all(evidence)
    }
}

/// The string the expectation is applied to.
fn observe(params: &Params, value: &str) -> Result<String, String> {
    let Some(field) = params.field else {
        return Ok(value.to_string());
    };
    let parts: Vec<&str> = value.split(':').collect();
    let idx = match field {
        StartupsField::Begin => 0,
        StartupsField::Rate => 1,
        StartupsField::Full => 2,
    };
    parts
        .get(idx)
        .map(|s| s.to_string())
        .ok_or_else(|| format!("MaxStartups value {value:?} has no {}", field_name(field)))
}

fn field_name(f: StartupsField) -> &'static str {
    match f {
        StartupsField::Begin => "begin",
        StartupsField::Rate => "rate",
        StartupsField::Full => "full",
    }
}

/// A value for a message: seconds get a unit, lists that fail name the offenders.
fn show(kw: Kw, params: &Params, j: &Judged) -> String {
    let base = match kw.kind() {
        Kind::Time => format!("{} seconds", j.observed),
        _ => j.observed.clone(),
    };
    if !j.ok {
        let bad = params.expect.disallowed_items(&j.observed);
        if !bad.is_empty() {
            return format!("a list with {} (not allowed)", bad.join(", "));
        }
    }
    base
}

/// Among passing Match values, the one closest to the limit.
fn weakest<'a>(values: &'a [Judged], expect: &Expect) -> Option<&'a Judged> {
    let num = |j: &&Judged| j.observed.trim().parse::<f64>().ok();
    match expect {
        Expect::Le(_) | Expect::Lt(_) => values
            .iter()
            .filter(|j| num(j).is_some())
            .max_by(|a, b| {
                num(a)
                    .partial_cmp(&num(b))
                    .unwrap_or(std::cmp::Ordering::Equal)
            })
            .or(values.first()),
        Expect::Ge(_) | Expect::Gt(_) => values
            .iter()
            .filter(|j| num(j).is_some())
            .min_by(|a, b| {
                num(a)
                    .partial_cmp(&num(b))
                    .unwrap_or(std::cmp::Ordering::Equal)
            })
            .or(values.first()),
        _ => values.first(),
    }
}

/// ` at path:line` or ` (default)`.
fn at(r: &Resolved) -> String {
    match &r.source {
        Some((p, l)) => format!(" at {p}:{l}"),
        None => " (default)".to_string(),
    }
}

fn location(r: &Resolved) -> String {
    match &r.source {
        Some((p, l)) => format!("{p}:{l}"),
        None => "default".to_string(),
    }
}

fn source_path(r: &Resolved) -> String {
    match &r.source {
        Some((p, _)) => p.clone(),
        None => MAIN_CONFIG.to_string(),
    }
}

fn source_line(r: &Resolved) -> Option<u32> {
    r.source.as_ref().map(|(_, l)| *l)
}

#[cfg(test)]
mod tests;
