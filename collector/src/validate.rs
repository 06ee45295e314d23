//! Refusals and report validation.
//!
//! A report is parsed with the agent's own types (`hardline_agent::report::Report`) and
//! then checked: schema version, required fields, sizes of strings and arrays, a summary
//! that agrees with the results, timestamps that are not absurd. Anything wrong is a
//! [`Rejection`], which knows its HTTP status and its short `reason` (the label of
//! `hardline_reports_rejected_total`). Nothing is guessed or repaired.

use crate::agg::{status_bit, Collapsed};
use crate::config::{fmt_time, Limits};
use hardline_agent::report::{Report, Summary, SCHEMA_VERSION};
use std::collections::HashSet;

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// No `Authorization: Bearer` header (401).
    MissingToken,
    /// A token that is not configured (401).
    UnknownToken,
    /// A token whose role may not do this (403).
    WrongRole,
    /// The host id already belongs to another agency (403).
    HostOwned,
    /// The body is larger than `limits.max_body_bytes` (413).
    TooLarge,
    /// The token is over its rate (429), with seconds to wait.
    RateLimited(u64),
    /// The body is not a report (400).
    MalformedJson(String),
    /// `schema_version` is not 1 (400).
    SchemaVersion(String),
    /// A field is missing, too long, or inconsistent (400).
    InvalidReport(String),
    /// A timestamp is in the future beyond the allowed skew, or absurd (400).
    BadTimestamp(String),
    /// Accepting the report would give its agency more than `limits.max_rules` distinct
    /// rule ids (429 with `Retry-After`: a collector-side limit, not a fault of the report,
    /// so the agent keeps it and retries; the limit frees up as the agency's hosts drop
    /// rule ids).
    TooManyRules,
    /// The store could not commit (503); the client should retry.
    Unavailable(String),
}

/// `Retry-After` of a `too_many_rules` refusal: the agency's rules in use change only as
/// its hosts report.
pub const TOO_MANY_RULES_RETRY_SECONDS: u64 = 600;

/// Every `reason` label value, so each is exported at 0.
pub const REASONS: [&str; 12] = [
    "missing_token",
    "unknown_token",
    "wrong_role",
    "host_owned_by_other_agency",
    "too_large",
    "rate_limited",
    "malformed_json",
    "schema_version",
    "invalid_report",
    "bad_timestamp",
    "too_many_rules",
    "unavailable",
];

impl Rejection {
    /// Seconds the client should wait before retrying (`Retry-After`), for refusals that
    /// are temporary.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Rejection::RateLimited(s) => Some(*s),
            Rejection::TooManyRules => Some(TOO_MANY_RULES_RETRY_SECONDS),
            _ => None,
        }
    }

    /// Index into [`REASONS`].
    pub fn index(&self) -> usize {
        match self {
            Rejection::MissingToken => 0,
            Rejection::UnknownToken => 1,
            Rejection::WrongRole => 2,
            Rejection::HostOwned => 3,
            Rejection::TooLarge => 4,
            Rejection::RateLimited(_) => 5,
            Rejection::MalformedJson(_) => 6,
            Rejection::SchemaVersion(_) => 7,
            Rejection::InvalidReport(_) => 8,
            Rejection::BadTimestamp(_) => 9,
            Rejection::TooManyRules => 10,
            Rejection::Unavailable(_) => 11,
        }
    }

    /// The short machine-readable reason.
    pub fn reason(&self) -> &'static str {
        REASONS[self.index()]
    }

    /// HTTP status code.
    pub fn status(&self) -> u16 {
        match self {
            Rejection::MissingToken | Rejection::UnknownToken => 401,
            Rejection::WrongRole | Rejection::HostOwned => 403,
            Rejection::TooLarge => 413,
            Rejection::RateLimited(_) | Rejection::TooManyRules => 429,
            Rejection::Unavailable(_) => 503,
            _ => 400,
        }
    }

    /// A sentence for the client.
    pub fn message(&self) -> String {
        match self {
            Rejection::MissingToken => "missing Authorization: Bearer token".into(),
            Rejection::UnknownToken => "unknown token".into(),
            Rejection::WrongRole => "this token's role does not allow this request".into(),
            Rejection::HostOwned => "this host id already reports under another agency".into(),
            Rejection::TooLarge => "request body too large".into(),
            Rejection::RateLimited(s) => format!("rate limit exceeded; retry in {s} s"),
            Rejection::MalformedJson(m) => format!("malformed report: {m}"),
            Rejection::SchemaVersion(m) => m.clone(),
            Rejection::InvalidReport(m) => format!("invalid report: {m}"),
            Rejection::BadTimestamp(m) => format!("bad timestamp: {m}"),
            Rejection::TooManyRules => {
                "this agency's hosts have too many distinct rule ids (limits.max_rules per agency); retry later".into()
            }
            Rejection::Unavailable(m) => format!("store unavailable: {m}; retry later"),
        }
    }
}

/// Deepest nesting of arrays and objects accepted anywhere in a report, unknown fields
/// included (a report is about 6 deep; `serde_json` refuses more than 128 when the stored
/// report is read back, so anything accepted must stay well below that).
pub const MAX_DEPTH: usize = 32;

/// Bound the whole document before it is parsed, unknown fields included (serde skips
/// those without the limits that the known fields get): nesting at most [`MAX_DEPTH`],
/// every string (keys too) at most `max_string_bytes` characters, an escape counting as
/// one (so a known field the later checks would accept is never refused here). Works on
/// the raw bytes in one pass; malformed JSON is left to the parser.
pub fn check_shape(body: &[u8], max_string_bytes: usize) -> Result<(), Rejection> {
    let mut depth = 0usize;
    let mut i = 0usize;
    while i < body.len() {
        match body[i] {
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(Rejection::InvalidReport(format!(
                        "nesting deeper than {MAX_DEPTH} levels (unknown fields included)"
                    )));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b'"' => {
                let mut len = 0usize;
                i += 1;
                while i < body.len() && body[i] != b'"' {
                    if body[i] == b'\\' {
                        i += if body.get(i + 1) == Some(&b'u') { 6 } else { 2 };
                    } else {
                        i += 1;
                    }
                    len += 1;
                    if len > max_string_bytes {
                        return Err(Rejection::InvalidReport(format!(
                            "a string longer than {max_string_bytes} bytes (limits.max_string_bytes, unknown fields included)"
                        )));
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// Parse `body` as a report. Errors say what is wrong.
pub fn parse(body: &[u8]) -> Result<Report, Rejection> {
    match serde_json::from_slice::<Report>(body) {
        Ok(r) => Ok(r),
        Err(e) => {
            // Say "wrong schema_version" rather than "missing field" for a future format.
            #[derive(serde::Deserialize)]
            struct Probe {
                schema_version: Option<serde_json::Value>,
            }
            if let Ok(Probe {
                schema_version: Some(v),
            }) = serde_json::from_slice::<Probe>(body)
            {
                if v != SCHEMA_VERSION {
                    return Err(Rejection::SchemaVersion(format!(
                        "unsupported schema_version {v}; this collector accepts {SCHEMA_VERSION}"
                    )));
                }
            }
            Err(Rejection::MalformedJson(e.to_string()))
        }
    }
}

fn check_str(field: &str, s: &str, max: usize, required: bool) -> Result<(), Rejection> {
    if required && s.trim().is_empty() {
        return Err(Rejection::InvalidReport(format!("{field} is empty")));
    }
    if s.len() > max {
        return Err(Rejection::InvalidReport(format!(
            "{field} is {} bytes, more than {max}",
            s.len()
        )));
    }
    Ok(())
}

fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | ':')
}

/// Most packages one inventory may list.
pub const MAX_PACKAGES: usize = 100_000;

/// A report's package inventory as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryIn {
    /// `sha256:` of the canonical package list (checked against the list when it is sent).
    pub digest: String,
    /// `dpkg` or `rpm`.
    pub format: String,
    /// OSV ecosystem of the host (empty when unknown).
    pub ecosystem: String,
    /// Number of packages.
    pub count: u32,
    /// The package list as JSON, LZ4-compressed; `None` when the report left it out
    /// because the collector holds `digest`.
    pub packages: Option<Vec<u8>>,
    /// The kernels (JSON of [`hardline_agent::report::KernelInventory`]).
    pub kernel: String,
    /// Exposure the agent reports (`public`, `internal`), when configured.
    pub exposure: Option<String>,
}

/// Check a report's inventory: bounded strings and counts, a well-formed digest, and,
/// when the list is sent, a digest that is the list's own (a forged digest would let one
/// host's list stand for another's).
pub fn inventory(r: &Report) -> Result<Option<InventoryIn>, Rejection> {
    let Some(inv) = &r.inventory else {
        return Ok(None);
    };
    let bad = |m: String| Err(Rejection::InvalidReport(m));
    if inv.format != "dpkg" && inv.format != "rpm" {
        return bad(format!(
            "inventory.format {:?} is neither dpkg nor rpm",
            inv.format
        ));
    }
    check_str("inventory.ecosystem", &inv.ecosystem, 128, false)?;
    let hex = inv.digest.strip_prefix("sha256:").unwrap_or("");
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return bad("inventory.digest must be sha256: and 64 hex digits".into());
    }
    let k = &inv.kernel;
    if k.installed.len() > 1024 {
        return bad("inventory.kernel.installed has more than 1024 entries".into());
    }
    for s in k
        .running_release
        .iter()
        .chain(&k.running_version)
        .chain(&k.installed)
    {
        check_str("inventory.kernel entry", s, 512, false)?;
    }
    let packages = match &inv.packages {
        None => None,
        Some(list) => {
            if list.len() > MAX_PACKAGES || list.len() != inv.count as usize {
                return bad(format!(
                    "inventory lists {} packages (count says {}; at most {MAX_PACKAGES})",
                    list.len(),
                    inv.count
                ));
            }
            for p in list {
                for (f, v) in [
                    ("name", &p.name),
                    ("version", &p.version),
                    ("arch", &p.arch),
                    ("source", &p.source),
                    ("source_version", &p.source_version),
                ] {
                    check_str(&format!("inventory.packages[].{f}"), v, 512, f == "name")?;
                    if v.chars().any(char::is_control) {
                        return bad(format!(
                            "inventory.packages[].{f} contains a control character"
                        ));
                    }
                }
            }
            if hardline_agent::inventory::digest(list) != inv.digest {
                return bad("inventory.digest is not the digest of inventory.packages (sorted name, version, arch, source, source_version lines)".into());
            }
            let json = serde_json::to_vec(list)
                .map_err(|e| Rejection::InvalidReport(format!("inventory: {e}")))?;
            Some(lz4_flex::compress_prepend_size(&json))
        }
    };
    Ok(Some(InventoryIn {
        digest: inv.digest.clone(),
        format: inv.format.clone(),
        ecosystem: inv.ecosystem.clone(),
        count: inv.count,
        packages,
        kernel: serde_json::to_string(k).unwrap_or_else(|_| "{}".into()),
        exposure: r.host.exposure.map(|e| e.as_str().to_string()),
    }))
}

/// Validate a parsed report against `limits` at time `now` (Unix seconds), and collapse
/// its results per rule.
pub fn validate(r: &Report, limits: &Limits, now: i64) -> Result<Vec<Collapsed>, Rejection> {
    if r.schema_version != SCHEMA_VERSION {
        return Err(Rejection::SchemaVersion(format!(
            "unsupported schema_version {}; this collector accepts {SCHEMA_VERSION}",
            r.schema_version
        )));
    }
    if r.report_id.is_nil() {
        return Err(Rejection::InvalidReport("report_id is the nil UUID".into()));
    }
    check_str("host.id", &r.host.id, 128, true)?;
    if !r.host.id.chars().all(is_id_char) {
        return Err(Rejection::InvalidReport(
            "host.id may contain only A-Z a-z 0-9 _ . - :".into(),
        ));
    }
    check_str("host.hostname", &r.host.hostname, 255, true)?;
    if let Some(c) = r
        .host
        .hostname
        .chars()
        .find(|c| hardline_agent::output::text::needs_escape(*c))
    {
        return Err(Rejection::InvalidReport(format!(
            "host.hostname contains a control, bidirectional or invisible character (U+{:04X}); hardline-agent sends such characters escaped",
            c as u32
        )));
    }
    let max = limits.max_string_bytes;
    for (f, s) in [
        ("host.os.id", &r.host.os.id),
        ("host.os.version_id", &r.host.os.version_id),
        ("host.os.pretty_name", &r.host.os.pretty_name),
        ("host.root", &r.host.root),
        ("agent.name", &r.agent.name),
        ("agent.version", &r.agent.version),
    ] {
        check_str(f, s, max, false)?;
    }
    if r.host.os.id_like.len() > 64 || r.policy.sources.len() > 1024 {
        return Err(Rejection::InvalidReport(
            "host.os.id_like or policy.sources has too many entries".into(),
        ));
    }
    for s in r.host.os.id_like.iter().chain(&r.policy.sources) {
        check_str("host.os.id_like/policy.sources entry", s, max, false)?;
    }

    // Timestamps.
    let started = r.started_at.unix_timestamp();
    let finished = r.finished_at.unix_timestamp();
    if finished > now + limits.max_future_skew {
        return Err(Rejection::BadTimestamp(format!(
            "finished_at {} is in the future (collector time {})",
            r.finished_at,
            fmt_time(now)
        )));
    }
    if finished < 946_684_800 {
        return Err(Rejection::BadTimestamp(format!(
            "finished_at {} is before 2000",
            r.finished_at
        )));
    }
    if started > finished || finished - started > 86400 {
        return Err(Rejection::BadTimestamp(
            "started_at must be before finished_at and within a day of it".into(),
        ));
    }

    // Results.
    if r.results.len() > limits.max_results {
        return Err(Rejection::InvalidReport(format!(
            "{} results, more than {}",
            r.results.len(),
            limits.max_results
        )));
    }
    if Summary::of(&r.results) != r.summary {
        return Err(Rejection::InvalidReport(
            "summary does not match the results".into(),
        ));
    }
    let mut seen: HashSet<(&str, Option<&str>)> = HashSet::with_capacity(r.results.len());
    let mut collapsed: Vec<Collapsed> = Vec::with_capacity(r.results.len());
    let mut index: std::collections::HashMap<&str, usize> =
        std::collections::HashMap::with_capacity(r.results.len());
    for (i, res) in r.results.iter().enumerate() {
        if res.rule_id.is_empty() || res.rule_id.len() > 128 || !res.rule_id.chars().all(is_id_char)
        {
            return Err(Rejection::InvalidReport(format!(
                "results[{i}].rule_id must be 1-128 characters of A-Z a-z 0-9 _ . - :"
            )));
        }
        check_str("results[].title", &res.title, max, false)?;
        check_str("results[].message", &res.message, max, false)?;
        if let Some(t) = &res.target {
            check_str("results[].target", t, max, true)?;
        }
        if res.evidence.len() > limits.max_evidence || res.nist_800_53.len() > 256 {
            return Err(Rejection::InvalidReport(format!(
                "results[{i}] has too many evidence or nist_800_53 entries"
            )));
        }
        for e in &res.evidence {
            for s in [&e.path, &e.observed, &e.expected, &e.context]
                .into_iter()
                .flatten()
            {
                check_str("results[].evidence field", s, max, false)?;
            }
        }
        for n in &res.nist_800_53 {
            check_str("results[].nist_800_53 entry", n, 64, false)?;
        }
        if !res.duration_seconds.is_finite() || res.duration_seconds < 0.0 {
            return Err(Rejection::InvalidReport(format!(
                "results[{i}].duration_seconds must be a non-negative number"
            )));
        }
        if !seen.insert((res.rule_id.as_str(), res.target.as_deref())) {
            return Err(Rejection::InvalidReport(format!(
                "results[{i}]: rule {} appears twice for the same target",
                res.rule_id
            )));
        }
        match index.get(res.rule_id.as_str()) {
            Some(&j) => {
                let c = &mut collapsed[j];
                c.bits |= status_bit(res.status);
                c.severity = c.severity.max(res.severity);
            }
            None => {
                index.insert(&res.rule_id, collapsed.len());
                collapsed.push(Collapsed {
                    rule_id: res.rule_id.clone(),
                    severity: res.severity,
                    bits: status_bit(res.status),
                });
            }
        }
    }
    Ok(collapsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agg::{worst, BIT_ERROR, BIT_PASS};
    use hardline_agent::report::*;
    use proptest::prelude::*;

    fn nested(depth: usize) -> String {
        format!("{}{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn check_shape_bounds_unknown_fields_in_depth_and_string_length() {
        let body = |extra: &str| format!("{{\"schema_version\":1,\"x_unknown\":{extra}}}");
        assert!(check_shape(body(&nested(MAX_DEPTH - 1)).as_bytes(), 8192).is_ok());
        assert!(check_shape(body(&nested(MAX_DEPTH)).as_bytes(), 8192).is_err());
        assert!(check_shape(body(&nested(100_000)).as_bytes(), 8192).is_err());
        let long = format!("\"{}\"", "a".repeat(8193));
        assert!(check_shape(body(&long).as_bytes(), 8192).is_err());
        // Brackets and quotes inside strings are text, not structure.
        let text = format!("\"{}\\\"{}\"", "[".repeat(100), "{".repeat(100));
        assert!(check_shape(body(&text).as_bytes(), 8192).is_ok());
        // A known string at the limit, written with escapes, is never refused here.
        let escaped = format!("\"{}\"", "\\u0001".repeat(8192));
        assert!(check_shape(body(&escaped).as_bytes(), 8192).is_ok());
    }

    fn json_value() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            "[\\PC\"\\\\\\[\\]{}]{0,40}".prop_map(serde_json::Value::String),
        ];
        leaf.prop_recursive(48, 256, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(serde_json::Value::Array),
                prop::collection::btree_map("[a-z\\[\"]{0,5}", inner, 0..3)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn depth(v: &serde_json::Value) -> usize {
        match v {
            serde_json::Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
            serde_json::Value::Object(o) => 1 + o.values().map(depth).max().unwrap_or(0),
            _ => 0,
        }
    }

    proptest! {
        /// Fuzz target for the shape check: never panics on any bytes, agrees with the real
        /// depth of any JSON value, and what it lets through always reads back.
        #[test]
        fn check_shape_agrees_with_serde(v in json_value(), junk in prop::collection::vec(any::<u8>(), 0..64)) {
            let _ = check_shape(&junk, 16);
            let text = serde_json::to_vec(&v).unwrap();
            let ok = check_shape(&text, 1 << 20).is_ok();
            prop_assert_eq!(ok, depth(&v) <= MAX_DEPTH);
            if ok {
                prop_assert!(serde_json::from_slice::<serde_json::Value>(&text).is_ok());
            }
        }
    }

    pub(crate) fn report(now: i64) -> Report {
        let t = time::OffsetDateTime::from_unix_timestamp(now - 10).unwrap();
        let results = vec![
            RuleResult {
                rule_id: "ssh.root".into(),
                title: "t".into(),
                severity: Severity::High,
                status: Status::Fail,
                message: "m".into(),
                target: None,
                evidence: vec![],
                nist_800_53: vec![],
                duration_seconds: 0.0,
            },
            RuleResult {
                rule_id: "tls.version".into(),
                title: "t".into(),
                severity: Severity::Low,
                status: Status::Pass,
                message: "m".into(),
                target: Some("a:443".into()),
                evidence: vec![],
                nist_800_53: vec![],
                duration_seconds: 0.0,
            },
            RuleResult {
                rule_id: "tls.version".into(),
                title: "t".into(),
                severity: Severity::Medium,
                status: Status::Error,
                message: "m".into(),
                target: Some("b:443".into()),
                evidence: vec![],
                nist_800_53: vec![],
                duration_seconds: 0.0,
            },
        ];
        Report {
            schema_version: 1,
            report_id: uuid::Uuid::from_u128(7),
            agent: AgentInfo::default(),
            host: HostInfo {
                id: "h1".into(),
                hostname: "h1.example.gov".into(),
                ..HostInfo::default()
            },
            started_at: t,
            finished_at: t,
            policy: PolicyInfo::default(),
            summary: Summary::of(&results),
            results,
            inventory: None,
            feeds: None,
            vulnerabilities: Vec::new(),
        }
    }

    #[test]
    fn good_report_collapses_per_rule() {
        let now = 1_780_000_000;
        let c = validate(&report(now), &Limits::default(), now).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[1].severity, Severity::Medium);
        assert_eq!(c[1].bits, BIT_PASS | BIT_ERROR);
        assert_eq!(worst(c[1].bits), Status::Error);
    }

    #[test]
    fn refusals() {
        let now = 1_780_000_000;
        let l = Limits::default();
        let mut r = report(now);
        r.summary.pass += 1;
        assert_eq!(
            validate(&r, &l, now).unwrap_err().reason(),
            "invalid_report"
        );
        let mut r = report(now);
        r.finished_at = time::OffsetDateTime::from_unix_timestamp(now + 3600).unwrap();
        assert_eq!(validate(&r, &l, now).unwrap_err().reason(), "bad_timestamp");
        let mut r = report(now);
        r.host.id = "a/b".into();
        assert_eq!(
            validate(&r, &l, now).unwrap_err().reason(),
            "invalid_report"
        );
        let mut r = report(now);
        r.results[2].target = Some("a:443".into());
        assert_eq!(
            validate(&r, &l, now).unwrap_err().reason(),
            "invalid_report"
        );
        let mut v = serde_json::to_value(report(now)).unwrap();
        v["schema_version"] = 2.into();
        let body = serde_json::to_vec(&v).unwrap();
        let e = parse(&body)
            .and_then(|r| validate(&r, &l, now))
            .unwrap_err();
        assert_eq!(e.reason(), "schema_version");
        v["schema_version"] = "1".into();
        let e = parse(&serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert_eq!(e.reason(), "schema_version");
        assert_eq!(parse(b"{").unwrap_err().reason(), "malformed_json");
        // Hostnames that would look like another host's: bidi overrides, zero-width
        // characters (the agent sends them escaped, so only a forged report has them).
        for bad in [
            "www.doe.gov\u{202e}",
            "build\u{200b}-01",
            "a\u{feff}",
            "x\u{1b}[2J",
        ] {
            let mut r = report(now);
            r.host.hostname = bad.into();
            let e = validate(&r, &l, now).unwrap_err();
            assert_eq!(e.reason(), "invalid_report", "{bad:?}");
            assert!(e.message().contains("U+"), "{}", e.message());
        }
        let mut r = report(now);
        r.host.hostname = "h\\u{202e}.example.gov".into();
        assert!(validate(&r, &l, now).is_ok());
    }

    #[test]
    fn every_reason_is_distinct() {
        let set: HashSet<_> = REASONS.iter().collect();
        assert_eq!(set.len(), REASONS.len());
    }
}
