//! The collector configuration file (TOML).
//!
//! Every key is closed (`deny_unknown_fields`): a misspelled key is an error, never
//! silently ignored. Errors carry `file:line: reason`, and `hardline-collector serve`
//! exits 2 on them. The keys and their defaults are documented on the fields below and in
//! `collector/config.example.toml`, which a unit test parses.

use hardline_agent::report::Severity;
use serde::{Deserialize, Deserializer};
use std::collections::HashSet;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// A configuration error: where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file the error is in.
    pub path: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong, naming the bad value.
    pub reason: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.path.display(), line, self.reason),
            None => write!(f, "{}: {}", self.path.display(), self.reason),
        }
    }
}

impl std::error::Error for ConfigError {}

/// A token's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// May only push reports.
    Agent,
    /// May only read (read API).
    Viewer,
}

/// One configured token.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// `agent` or `viewer`.
    pub role: Role,
    /// SHA-256 of the token, lower- or upper-case hex (`hardline-collector hash-token`).
    #[serde(deserialize_with = "de_sha256")]
    pub sha256: [u8; 32],
    /// Viewer only: may read every agency of this collector, not just its own.
    #[serde(default)]
    pub all_agencies: bool,
}

/// One agency (or bureau) whose hosts report to this collector.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgencyConfig {
    /// Agency name, used as the `agency` label: 1–64 characters of `A-Za-z0-9_.-`.
    pub name: Spanned<String>,
    /// Its tokens.
    pub tokens: Vec<TokenConfig>,
}

/// The campaign the metrics measure.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCampaign {
    name: String,
    #[serde(deserialize_with = "de_time")]
    start: i64,
    #[serde(default)]
    days: Option<Spanned<u32>>,
    #[serde(default, deserialize_with = "de_opt_time")]
    deadline: Option<i64>,
    #[serde(default = "default_threshold")]
    severity_threshold: Severity,
    #[serde(default = "default_stale", deserialize_with = "de_duration")]
    stale_after: i64,
}

/// The campaign, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    /// Campaign name (the `campaign` label).
    pub name: String,
    /// Start, Unix seconds.
    pub start: i64,
    /// Deadline, Unix seconds (`start + days` or `deadline`).
    pub deadline: i64,
    /// Results at or above this severity decide compliance.
    pub severity_threshold: Severity,
    /// A host whose latest report finished longer ago than this is stale (seconds).
    pub stale_after: i64,
}

/// Limits protecting the collector from misbehaving or hostile clients.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest accepted request body (bytes); larger ones get 413. Default 8 MiB.
    pub max_body_bytes: u64,
    /// Sustained requests per minute per token; over it: 429. Default 60000.
    pub rate_per_minute: u32,
    /// Burst allowance per token (requests). Default: `rate_per_minute`.
    pub rate_burst: Option<u32>,
    /// Most results in one report. Default 5000.
    pub max_results: usize,
    /// Longest string field in a report (bytes). Default 8192.
    pub max_string_bytes: usize,
    /// Most evidence items in one result. Default 64.
    pub max_evidence: usize,
    /// Distinct rule ids per agency: those its hosts' latest reports have (bounds the
    /// agency's `hardline_rule_results` series at 16 × this). A report that would go over
    /// gets 429 `too_many_rules` with `Retry-After`; rule ids no stored latest report has
    /// any more are reclaimed. Default 5000.
    pub max_rules: usize,
    /// How far in the future `finished_at` may be (clock skew). Default "5m".
    #[serde(deserialize_with = "de_duration")]
    pub max_future_skew: i64,
    /// Concurrent connections per listener. Default 4096.
    pub max_connections: usize,
    /// Concurrent connections per client address on each listener (IPv4 address, or IPv6
    /// /64); one more is closed at once, before TLS. Default 64.
    pub max_connections_per_ip: usize,
    /// A connection with no request in progress is closed after this long: before its
    /// first request, between HTTP/1 keep-alive requests, and an HTTP/2 connection with no
    /// open stream (pings and settings do not count). An HTTP/1 request whose header has
    /// started arriving keeps the 30 s header read timeout. Default "5s".
    #[serde(deserialize_with = "de_duration")]
    pub idle_timeout: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 8 * 1024 * 1024,
            rate_per_minute: 60_000,
            rate_burst: None,
            max_results: 5000,
            max_string_bytes: 8192,
            max_evidence: 64,
            max_rules: 5000,
            max_future_skew: 300,
            max_connections: 4096,
            max_connections_per_ip: 64,
            idle_timeout: 5,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    listen: Spanned<SocketAddr>,
    read_listen: Spanned<SocketAddr>,
    data_dir: PathBuf,
    #[serde(default)]
    tls_cert: Option<Spanned<PathBuf>>,
    #[serde(default)]
    tls_key: Option<Spanned<PathBuf>>,
    #[serde(default)]
    client_ca: Option<Spanned<PathBuf>>,
    #[serde(default = "default_history")]
    history_per_host: Spanned<u32>,
    #[serde(default)]
    waivers_file: Option<Spanned<PathBuf>>,
    #[serde(default)]
    feeds_dir: Option<Spanned<PathBuf>>,
    #[serde(default)]
    exposure_file: Option<Spanned<PathBuf>>,
    #[serde(default = "default_snapshot", deserialize_with = "de_duration")]
    snapshot_interval: i64,
    #[serde(default = "default_integrity_check", deserialize_with = "de_duration")]
    integrity_check_timeout: i64,
    #[serde(default)]
    limits: Limits,
    campaign: Spanned<RawCampaign>,
    #[serde(default, rename = "agency")]
    agencies: Vec<AgencyConfig>,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from (relative paths in it are relative to its directory).
    pub path: PathBuf,
    /// Ingest listener (`POST /api/v1/reports`).
    pub listen: SocketAddr,
    /// Read listener (`/metrics`, `/`, read API).
    pub read_listen: SocketAddr,
    /// Where the SQLite store lives.
    pub data_dir: PathBuf,
    /// PEM certificate chain and key; required unless both listeners are loopback.
    pub tls: Option<TlsFiles>,
    /// Reports kept per host (the latest included). Default 30.
    pub history_per_host: u32,
    /// Optional waivers file (TOML).
    pub waivers_file: Option<PathBuf>,
    /// Optional vulnerability feeds directory in the DESIGN.md layout (`osv/`, `kev/`,
    /// `vulnrichment/`), kept up to date by the operator (a synced share, a mount): read
    /// instead of the generations `hardline-collector feeds import` writes under
    /// `data_dir/feeds/`, and read again when it changes and on SIGHUP. Absent: the imported
    /// feeds (`data_dir/feeds/current`), if any. Relative to the config file's directory.
    pub feeds_dir: Option<PathBuf>,
    /// Optional exposure overrides (TOML, [`crate::exposure`]): which hosts are publicly
    /// exposed for the BOD 26-04 clocks, with who set it and when. Read again on SIGHUP.
    pub exposure_file: Option<PathBuf>,
    /// How often the daily burn-down snapshot is refreshed (seconds). Default 60.
    pub snapshot_interval: i64,
    /// Longest the start-up integrity check (`PRAGMA quick_check`, table by table) may
    /// take (seconds); what it did not reach is logged as unchecked. `0s`: no check.
    /// Default 60.
    pub integrity_check_timeout: i64,
    /// Limits.
    pub limits: Limits,
    /// The campaign.
    pub campaign: Campaign,
    /// Agencies, in file order (index = agency id).
    pub agencies: Vec<AgencyConfig>,
}

/// TLS files.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// Certificate chain (PEM).
    pub cert: PathBuf,
    /// Private key (PEM).
    pub key: PathBuf,
    /// Optional CA (PEM) that agent client certificates must chain to (mTLS, ingest only).
    pub client_ca: Option<PathBuf>,
}

fn default_threshold() -> Severity {
    Severity::Medium
}
fn default_stale() -> i64 {
    48 * 3600
}
fn default_history() -> Spanned<u32> {
    Spanned::new(0..0, 30)
}
fn default_snapshot() -> i64 {
    60
}

fn default_integrity_check() -> i64 {
    60
}

/// Parse a duration such as `48h`, `90s`, `1h30m`, `1.5h`, `7d` (the workspace grammar,
/// [`hardline_agent::duration`]: a unit is required) to whole seconds.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let d = hardline_agent::duration::parse(s)?;
    if d.subsec_nanos() != 0 {
        return Err(format!(
            "invalid duration {s:?}: the collector counts whole seconds (\"1s\", not \"500ms\")"
        ));
    }
    i64::try_from(d.as_secs()).map_err(|_| format!("invalid duration {s:?}: too long"))
}

fn de_duration<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let s = String::deserialize(d)?;
    parse_duration(&s).map_err(serde::de::Error::custom)
}

/// A time written as a TOML datetime or a string; RFC 3339, or a bare date (midnight UTC).
#[derive(Deserialize)]
#[serde(untagged)]
enum TimeInput {
    Text(String),
    Toml(toml::value::Datetime),
}

/// Parse RFC 3339 (`2026-06-02T00:00:00Z`) or a date (`2026-06-02`, midnight UTC) to Unix seconds.
pub fn parse_time(s: &str) -> Result<(i64, bool), String> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc3339) {
        return Ok((t.unix_timestamp(), false));
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    match time::Date::parse(s, &fmt) {
        Ok(d) => Ok((d.midnight().assume_utc().unix_timestamp(), true)),
        Err(_) => Err(format!(
            "invalid time {s:?}: use RFC 3339 (\"2026-06-02T00:00:00Z\") or a date (\"2026-06-02\")"
        )),
    }
}

/// RFC 3339 of Unix seconds (for messages and JSON).
pub fn fmt_time(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| t.to_string())
}

fn time_input(t: TimeInput) -> String {
    match t {
        TimeInput::Text(s) => s,
        TimeInput::Toml(d) => d.to_string(),
    }
}

fn de_time<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let s = time_input(TimeInput::deserialize(d)?);
    parse_time(&s)
        .map(|t| t.0)
        .map_err(serde::de::Error::custom)
}

fn de_opt_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    de_time(d).map(Some)
}

/// A time that may be a bare date: `(unix seconds, was_date)`.
pub(crate) fn de_time_or_date<'de, D: Deserializer<'de>>(d: D) -> Result<(i64, bool), D::Error> {
    let s = time_input(TimeInput::deserialize(d)?);
    parse_time(&s).map_err(serde::de::Error::custom)
}

fn de_sha256<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
    let s = String::deserialize(d)?;
    parse_hex32(&s).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "sha256 must be 64 hex digits (from `hardline-collector hash-token`), got {} characters",
            s.len()
        ))
    })
}

fn parse_hex32(s: &str) -> Option<[u8; 32]> {
    let b = s.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in b.chunks(2).enumerate() {
        let hi = (pair[0] as char).to_digit(16)?;
        let lo = (pair[1] as char).to_digit(16)?;
        out[i] = (hi * 16 + lo) as u8;
    }
    Some(out)
}

/// The text of a file the configuration names (`what`: "waivers file"), or why not.
pub fn read_text(path: &Path, what: &str) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|e| ConfigError {
        path: path.to_path_buf(),
        line: None,
        reason: format!("cannot read the {what}: {e}"),
    })
}

/// The index of agency `name` among the configured `agencies`, or why an entry of a
/// `what` (waiver, exposure override) names none of them.
pub fn agency_index<S: AsRef<str>>(
    agencies: &[S],
    name: &str,
    what: &str,
) -> Result<usize, String> {
    agencies
        .iter()
        .position(|a| a.as_ref() == name)
        .ok_or_else(|| {
            let list: Vec<&str> = agencies.iter().map(AsRef::as_ref).collect();
            format!(
                "{what} for unknown agency {name:?}; configured: {}",
                list.join(", ")
            )
        })
}

/// 1-based line of byte offset `pos` in `text`.
pub fn line_of(text: &str, pos: usize) -> usize {
    text.as_bytes()[..pos.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

impl Config {
    /// The agencies' names, in configuration order (an agency's index is its position).
    pub fn agency_names(&self) -> Vec<&str> {
        self.agencies
            .iter()
            .map(|a| a.name.get_ref().as_str())
            .collect()
    }

    /// Read and validate `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            path: path.to_path_buf(),
            line: None,
            reason: format!("cannot read the configuration: {e}"),
        })?;
        Config::parse(path, &text)
    }

    /// Parse and validate configuration `text` that came from `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let err = |span: Option<std::ops::Range<usize>>, reason: String| ConfigError {
            path: path.to_path_buf(),
            line: span.map(|s| line_of(text, s.start)),
            reason,
        };
        let raw: RawConfig =
            toml::from_str(text).map_err(|e| err(e.span(), e.message().to_string()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let resolve = |p: &Path| {
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                base.join(p)
            }
        };

        // Campaign.
        let camp_span = raw.campaign.span();
        let c = raw.campaign.into_inner();
        if c.name.trim().is_empty() {
            return Err(err(
                Some(camp_span),
                "campaign.name must not be empty".into(),
            ));
        }
        let deadline = match (c.days, c.deadline) {
            (Some(_), Some(_)) => {
                return Err(err(
                    Some(camp_span),
                    "campaign sets both days and deadline; set one".into(),
                ))
            }
            (None, None) => {
                return Err(err(
                    Some(camp_span),
                    "campaign needs days (e.g. days = 30) or deadline".into(),
                ))
            }
            (Some(days), None) => {
                if *days.get_ref() == 0 || *days.get_ref() > 3650 {
                    return Err(err(
                        Some(days.span()),
                        format!("campaign.days must be 1..=3650, got {}", days.get_ref()),
                    ));
                }
                c.start + i64::from(*days.get_ref()) * 86400
            }
            (None, Some(d)) => d,
        };
        if deadline <= c.start {
            return Err(err(
                Some(camp_span),
                "campaign.deadline must be after campaign.start".into(),
            ));
        }
        if c.stale_after <= 0 {
            return Err(err(
                Some(camp_span),
                "campaign.stale_after must be positive".into(),
            ));
        }

        // TLS.
        let tls = match (&raw.tls_cert, &raw.tls_key) {
            (Some(cert), Some(key)) => Some(TlsFiles {
                cert: resolve(cert.get_ref()),
                key: resolve(key.get_ref()),
                client_ca: raw.client_ca.as_ref().map(|p| resolve(p.get_ref())),
            }),
            (Some(s), None) | (None, Some(s)) => {
                return Err(err(
                    Some(s.span()),
                    "tls_cert and tls_key must be set together".into(),
                ))
            }
            (None, None) => {
                if let Some(ca) = &raw.client_ca {
                    return Err(err(
                        Some(ca.span()),
                        "client_ca needs tls_cert and tls_key".into(),
                    ));
                }
                None
            }
        };
        for l in [&raw.listen, &raw.read_listen] {
            if tls.is_none() && !l.get_ref().ip().is_loopback() {
                return Err(err(
                    Some(l.span()),
                    format!(
                        "{} is not a loopback address: set tls_cert and tls_key (plain HTTP is only allowed on loopback)",
                        l.get_ref()
                    ),
                ));
            }
        }

        if *raw.history_per_host.get_ref() == 0 {
            return Err(err(
                Some(raw.history_per_host.span()),
                "history_per_host must be at least 1".into(),
            ));
        }
        if let Some(d) = &raw.feeds_dir {
            if d.get_ref().as_os_str().is_empty() {
                return Err(err(
                    Some(d.span()),
                    "feeds_dir must not be empty: remove the key to use the imported feeds".into(),
                ));
            }
        }
        if raw.snapshot_interval <= 0 {
            return Err(err(None, "snapshot_interval must be positive".into()));
        }
        let l = &raw.limits;
        if l.rate_per_minute == 0
            || l.max_body_bytes == 0
            || l.max_connections == 0
            || l.max_connections_per_ip == 0
            || l.idle_timeout <= 0
        {
            return Err(err(
                None,
                "limits.rate_per_minute, max_body_bytes, max_connections, max_connections_per_ip and idle_timeout must be positive"
                    .into(),
            ));
        }

        // Agencies.
        if raw.agencies.is_empty() {
            return Err(err(
                None,
                "no [[agency]]: configure at least one agency with its tokens".into(),
            ));
        }
        if raw.agencies.len() > 1000 {
            return Err(err(None, "more than 1000 agencies".into()));
        }
        let mut names = HashSet::new();
        let mut hashes = HashSet::new();
        for a in &raw.agencies {
            let name = a.name.get_ref();
            let valid = !name.is_empty()
                && name.len() <= 64
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
            if !valid {
                return Err(err(
                    Some(a.name.span()),
                    format!("agency name {name:?} must be 1-64 characters of A-Z a-z 0-9 _ . -"),
                ));
            }
            if !names.insert(name.clone()) {
                return Err(err(
                    Some(a.name.span()),
                    format!("agency {name:?} is configured twice"),
                ));
            }
            for t in &a.tokens {
                if !hashes.insert(t.sha256) {
                    return Err(err(
                        Some(a.name.span()),
                        format!("agency {name:?}: a token hash is configured twice"),
                    ));
                }
                if t.all_agencies && t.role != Role::Viewer {
                    return Err(err(
                        Some(a.name.span()),
                        format!("agency {name:?}: all_agencies is only for viewer tokens"),
                    ));
                }
            }
        }

        Ok(Config {
            path: path.to_path_buf(),
            listen: *raw.listen.get_ref(),
            read_listen: *raw.read_listen.get_ref(),
            data_dir: resolve(&raw.data_dir),
            tls,
            history_per_host: *raw.history_per_host.get_ref(),
            waivers_file: raw.waivers_file.as_ref().map(|p| resolve(p.get_ref())),
            feeds_dir: raw.feeds_dir.as_ref().map(|p| resolve(p.get_ref())),
            exposure_file: raw.exposure_file.as_ref().map(|p| resolve(p.get_ref())),
            snapshot_interval: raw.snapshot_interval,
            integrity_check_timeout: raw.integrity_check_timeout,
            limits: raw.limits,
            campaign: Campaign {
                name: c.name,
                start: c.start,
                deadline,
                severity_threshold: c.severity_threshold,
                stale_after: c.stale_after,
            },
            agencies: raw.agencies,
        })
    }

    /// The rate-limit burst.
    pub fn rate_burst(&self) -> u32 {
        self.limits
            .rate_burst
            .unwrap_or(self.limits.rate_per_minute)
            .max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
listen      = "127.0.0.1:8443"
read_listen = "127.0.0.1:9466"
data_dir    = "/var/lib/hardline"
[campaign]
name  = "eo-30-day"
start = "2026-06-02T00:00:00Z"
days  = 30
severity_threshold = "medium"
stale_after = "48h"
[[agency]]
name   = "DOE"
tokens = [ { role = "agent",  sha256 = "0000000000000000000000000000000000000000000000000000000000000001" },
           { role = "viewer", sha256 = "0000000000000000000000000000000000000000000000000000000000000002" } ]
"#;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("c.toml"), text)
    }

    #[test]
    fn good_config_parses() {
        let c = parse(GOOD).unwrap();
        assert_eq!(c.campaign.deadline - c.campaign.start, 30 * 86400);
        assert_eq!(c.campaign.stale_after, 48 * 3600);
        assert_eq!(c.history_per_host, 30);
        assert_eq!(c.agencies[0].tokens[1].role, Role::Viewer);
    }

    #[test]
    fn example_config_parses() {
        let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.toml"));
        let c = Config::load(path).unwrap();
        assert_eq!(c.campaign.name, "eo-30-day");
        assert!(c.tls.is_some());
    }

    #[test]
    fn unknown_key_is_refused_with_line() {
        let text = GOOD.replace("days  = 30", "days  = 30\nstale = \"1h\"");
        let e = parse(&text).unwrap_err();
        assert_eq!(e.line, Some(9), "{e}");
        assert!(
            e.to_string().starts_with("c.toml:9: unknown field `stale`"),
            "{e}"
        );
    }

    #[test]
    fn bad_values_are_refused_with_line() {
        let e = parse(&GOOD.replace("\"48h\"", "\"48 hours\"")).unwrap_err();
        assert_eq!(e.line, Some(10), "{e}");
        assert!(e.reason.contains("invalid duration"), "{e}");
        let e = parse(&GOOD.replace("0001\"", "001\"")).unwrap_err();
        assert_eq!(e.line, Some(13), "{e}");
        let e = parse(&GOOD.replace("127.0.0.1:8443", "0.0.0.0:8443")).unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.reason.contains("loopback"), "{e}");
        let e = parse(&GOOD.replace("days  = 30", "days = 30\ndeadline = 2026-07-01")).unwrap_err();
        assert!(e.reason.contains("both"), "{e}");
        let e = parse(&GOOD.replace("\"medium\"", "\"urgent\"")).unwrap_err();
        assert_eq!(e.line, Some(9), "{e}");
    }

    #[test]
    fn feeds_dir_is_optional_relative_to_the_config_and_never_empty() {
        assert_eq!(parse(GOOD).unwrap().feeds_dir, None);
        let text = GOOD.replace("data_dir", "feeds_dir = \"feeds\"\ndata_dir");
        let c = Config::parse(Path::new("/etc/hardline/c.toml"), &text).unwrap();
        assert_eq!(c.feeds_dir, Some(PathBuf::from("/etc/hardline/feeds")));
        let e = parse(&GOOD.replace("data_dir", "feeds_dir = \"\"\ndata_dir")).unwrap_err();
        assert_eq!(e.line, Some(4), "{e}");
        assert!(e.reason.contains("feeds_dir must not be empty"), "{e}");
    }

    #[test]
    fn deadline_may_be_a_toml_date() {
        let c = parse(&GOOD.replace("days  = 30", "deadline = 2026-07-02")).unwrap();
        assert_eq!(c.campaign.deadline - c.campaign.start, 30 * 86400);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h30m").unwrap(), 5400);
        assert_eq!(parse_duration("7d").unwrap(), 7 * 86400);
        assert!(parse_duration("").is_err());
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
        assert_eq!(parse_duration("1h 30m").unwrap(), 5400);
        assert_eq!(parse_duration("1.5h").unwrap(), 5400);
        assert!(parse_duration("1500ms")
            .unwrap_err()
            .contains("whole seconds"));
        assert_eq!(parse_duration("2000ms").unwrap(), 2);
    }
}
