//! Waivers: accepted, time-limited risks (the federal POA&M practice).
//!
//! A TOML file of `[[waiver]]` entries:
//! ```toml
//! [[waiver]]
//! id            = "POAM-2026-0042"          # optional; default "waiver-<n>"
//! agency        = "DOE"
//! rule_id       = "ssh.permit_root_login"
//! host          = "build-*.doe.gov"         # a host id, or a glob over the hostname
//! justification = "Legacy build farm, replaced by 2026-07-15"
//! approver      = "J. Smith, ISSO"
//! expires       = 2026-07-15                # a date: holds through that day (UTC); or RFC 3339
//! ```
//! A waived `fail` does not make a host noncompliant while the waiver is active. An
//! `error` is never waived (it means "unknown", not "accepted risk"). Raw results in
//! `hardline_rule_results` are not changed by waivers.

use crate::config::{agency_index, de_time_or_date, line_of, read_text, ConfigError};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    waiver: Vec<toml::Spanned<RawWaiver>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWaiver {
    #[serde(default)]
    id: Option<String>,
    agency: String,
    rule_id: String,
    host: String,
    justification: String,
    approver: String,
    #[serde(deserialize_with = "de_time_or_date")]
    expires: (i64, bool),
}

/// How a waiver selects hosts.
#[derive(Debug, Clone)]
pub enum HostSelector {
    /// Exact host id or hostname.
    Exact(String),
    /// Glob over the hostname (and the host id).
    Glob(glob::Pattern),
}

impl HostSelector {
    /// A host id or hostname, or a glob when it holds `*`, `?` or `[`.
    pub fn parse(host: &str) -> Result<HostSelector, String> {
        if host.contains(['*', '?', '[']) {
            glob::Pattern::new(host)
                .map(HostSelector::Glob)
                .map_err(|e| format!("invalid host glob {host:?}: {e}"))
        } else {
            Ok(HostSelector::Exact(host.to_string()))
        }
    }

    /// Does this select the host?
    pub fn matches(&self, host_id: &str, hostname: &str) -> bool {
        match self {
            HostSelector::Exact(s) => s == host_id || s == hostname,
            HostSelector::Glob(p) => p.matches(hostname) || p.matches(host_id),
        }
    }
}

/// One waiver.
#[derive(Debug, Clone)]
pub struct Waiver {
    /// Id (POA&M item).
    pub id: String,
    /// Agency index.
    pub agency: usize,
    /// Agency name.
    pub agency_name: String,
    /// Rule id.
    pub rule_id: String,
    /// The selector as written.
    pub host: String,
    /// Parsed selector.
    pub selector: HostSelector,
    /// Why the risk is accepted.
    pub justification: String,
    /// Who accepted it.
    pub approver: String,
    /// Active while `now < expires_at` (Unix seconds).
    pub expires_at: i64,
}

/// All waivers, indexed by (agency, rule id).
#[derive(Debug, Clone, Default)]
pub struct Waivers {
    /// In file order.
    pub list: Vec<Waiver>,
    index: HashMap<String, Vec<usize>>,
}

impl Waivers {
    /// Load `path`; `agencies` are the configured agency names (index = agency id).
    pub fn load(path: &Path, agencies: &[String]) -> Result<Waivers, ConfigError> {
        let text = read_text(path, "waivers file")?;
        Waivers::parse(path, &text, agencies)
    }

    /// Parse waivers `text` from `path`.
    pub fn parse(path: &Path, text: &str, agencies: &[String]) -> Result<Waivers, ConfigError> {
        let err = |span: Option<std::ops::Range<usize>>, reason: String| ConfigError {
            path: path.to_path_buf(),
            line: span.map(|s| line_of(text, s.start)),
            reason,
        };
        let raw: RawFile =
            toml::from_str(text).map_err(|e| err(e.span(), e.message().to_string()))?;
        let mut w = Waivers::default();
        let mut ids = std::collections::HashSet::new();
        for (n, sw) in raw.waiver.into_iter().enumerate() {
            let span = sw.span();
            let r = sw.into_inner();
            let agency = agency_index(agencies, &r.agency, "waiver")
                .map_err(|e| err(Some(span.clone()), e))?;
            for (field, v) in [
                ("rule_id", &r.rule_id),
                ("host", &r.host),
                ("justification", &r.justification),
                ("approver", &r.approver),
            ] {
                if v.trim().is_empty() {
                    return Err(err(Some(span), format!("waiver {field} must not be empty")));
                }
            }
            let selector = HostSelector::parse(&r.host).map_err(|e| err(Some(span.clone()), e))?;
            let id = r.id.unwrap_or_else(|| format!("waiver-{}", n + 1));
            if !ids.insert(id.clone()) {
                return Err(err(Some(span), format!("waiver id {id:?} is used twice")));
            }
            // A bare date means "through the end of that day (UTC)".
            let expires_at = if r.expires.1 {
                r.expires.0 + 86400
            } else {
                r.expires.0
            };
            w.index
                .entry(r.rule_id.clone())
                .or_default()
                .push(w.list.len());
            w.list.push(Waiver {
                id,
                agency,
                agency_name: r.agency,
                rule_id: r.rule_id,
                host: r.host,
                selector,
                justification: r.justification,
                approver: r.approver,
                expires_at,
            });
        }
        Ok(w)
    }

    /// The active waiver covering a `fail` of `rule_id` on this host at `now`, if any.
    pub fn active(
        &self,
        agency: usize,
        rule_id: &str,
        host_id: &str,
        hostname: &str,
        now: i64,
    ) -> Option<&Waiver> {
        let ids = self.index.get(rule_id)?;
        ids.iter().filter_map(|&i| self.list.get(i)).find(|w| {
            w.agency == agency && now < w.expires_at && w.selector.matches(host_id, hostname)
        })
    }

    /// The earliest expiry strictly after `now`, if any.
    pub fn next_expiry(&self, now: i64) -> Option<i64> {
        self.list
            .iter()
            .map(|w| w.expires_at)
            .filter(|&t| t > now)
            .min()
    }

    /// (active, expired) counts for `agency` at `now`.
    pub fn counts(&self, agency: usize, now: i64) -> (u64, u64) {
        let mut c = (0, 0);
        for w in self.list.iter().filter(|w| w.agency == agency) {
            if now < w.expires_at {
                c.0 += 1;
            } else {
                c.1 += 1;
            }
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"
[[waiver]]
id = "POAM-1"
agency = "DOE"
rule_id = "ssh.root"
host = "build-*"
justification = "legacy"
approver = "ISSO"
expires = 2026-07-15

[[waiver]]
agency = "DOE"
rule_id = "ssh.root"
host = "host-42"
justification = "legacy"
approver = "ISSO"
expires = "2026-06-10T12:00:00Z"
"#;

    #[test]
    fn parse_and_match() {
        let w = Waivers::parse(Path::new("w.toml"), TEXT, &["DOE".into()]).unwrap();
        let t = crate::config::parse_time("2026-07-15T23:00:00Z").unwrap().0;
        assert_eq!(
            w.active(0, "ssh.root", "x", "build-7", t).unwrap().id,
            "POAM-1"
        );
        assert!(w.active(0, "ssh.root", "x", "build-7", t + 3600).is_none());
        assert!(w.active(0, "ssh.other", "x", "build-7", t).is_none());
        let t2 = crate::config::parse_time("2026-06-10T11:00:00Z").unwrap().0;
        assert_eq!(
            w.active(0, "ssh.root", "host-42", "h", t2).unwrap().id,
            "waiver-2"
        );
        assert_eq!(w.counts(0, t), (1, 1));
        assert_eq!(w.next_expiry(t2), Some(t2 + 3600));
    }

    #[test]
    fn example_waivers_parse() {
        let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/waivers.example.toml"));
        let w = Waivers::load(path, &["DOE".into()]).unwrap();
        assert_eq!(w.list[0].id, "POAM-2026-0042");
        assert!(w.list[0].selector.matches("x", "build-3.doe.example.gov"));
    }

    #[test]
    fn bad_waivers_are_refused_with_line() {
        let e = Waivers::parse(Path::new("w.toml"), TEXT, &["DOJ".into()]).unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        let e = Waivers::parse(
            Path::new("w.toml"),
            &TEXT.replace(
                "approver = \"ISSO\"\nexpires = 2026-07-15",
                "approver = \"\"\nexpires = 2026-07-15",
            ),
            &["DOE".into()],
        )
        .unwrap_err();
        assert!(e.reason.contains("approver"), "{e}");
        let e = Waivers::parse(Path::new("w.toml"), "[[waiver]]\nfoo = 1\n", &[]).unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
    }
}
