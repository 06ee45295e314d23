//! Exposure overrides: the collector's word on which hosts are publicly exposed, for the
//! BOD 26-04 clocks, when the agent's own `exposure` setting is missing or wrong.
//!
//! A TOML file (`exposure_file` in the configuration), reviewed like the waivers file and
//! read again on SIGHUP:
//! ```toml
//! [[host]]
//! agency = "DOE"
//! host   = "www-*.doe.gov"       # a host id, or a glob over the hostname
//! exposure = "public"            # or "internal"
//! set_by = "J. Smith, ISSO"      # who decided
//! set_at = 2026-12-01            # when (a date or RFC 3339)
//! reason = "Internet-facing web tier (perimeter scan 2026-11-30)"
//! ```
//! An entry naming one host exactly wins over a glob; among globs the first in the file
//! wins. A host no entry selects keeps the exposure its agent reported (internal when the
//! agent reported none). Every finding says which applied and, for an override, who set it
//! and when (`/api/v1/vulnerabilities`, the CSV, `/api/v1/exposure`).

use crate::config::{agency_index, de_time_or_date, line_of, read_text, ConfigError};
use crate::waivers::HostSelector;
use hardline_agent::report::Exposure;
use serde::Deserialize;
use std::path::Path;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    host: Vec<toml::Spanned<RawEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    agency: String,
    host: String,
    exposure: String,
    set_by: String,
    #[serde(deserialize_with = "de_time_or_date")]
    set_at: (i64, bool),
    reason: String,
}

/// One override.
#[derive(Debug, Clone)]
pub struct Override {
    /// Agency index.
    pub agency: usize,
    /// The selector as written.
    pub host: String,
    /// Parsed selector.
    pub selector: HostSelector,
    /// The exposure it sets.
    pub exposure: Exposure,
    /// Who set it.
    pub set_by: String,
    /// When (Unix seconds).
    pub set_at: i64,
    /// Why.
    pub reason: String,
    /// 1-based line in the file (for the API: which entry applied).
    pub line: usize,
}

/// Where a host's exposure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// An entry of the overrides file.
    Override,
    /// The agent's report (`host.exposure`).
    Report,
    /// Neither: internal, the directive's default.
    Default,
}

impl Source {
    /// `override`, `report` or `default`.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Override => "override",
            Source::Report => "report",
            Source::Default => "default",
        }
    }
}

/// Every override, in file order.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// In file order.
    pub list: Vec<Override>,
}

impl Overrides {
    /// Load `path`; `agencies` are the configured agency names (index = agency id).
    pub fn load(path: &Path, agencies: &[&str]) -> Result<Overrides, ConfigError> {
        let text = read_text(path, "exposure file")?;
        Overrides::parse(path, &text, agencies)
    }

    /// Parse `text` from `path`.
    pub fn parse(path: &Path, text: &str, agencies: &[&str]) -> Result<Overrides, ConfigError> {
        let err = |at: Option<usize>, reason: String| ConfigError {
            path: path.to_path_buf(),
            line: at.map(|p| line_of(text, p)),
            reason,
        };
        let raw: RawFile = toml::from_str(text)
            .map_err(|e| err(e.span().map(|s| s.start), e.message().to_string()))?;
        let mut out = Overrides::default();
        for se in raw.host {
            let at = se.span().start;
            let r = se.into_inner();
            let agency = agency_index(agencies, &r.agency, "exposure override")
                .map_err(|e| err(Some(at), e))?;
            for (field, v) in [
                ("host", &r.host),
                ("set_by", &r.set_by),
                ("reason", &r.reason),
            ] {
                if v.trim().is_empty() {
                    return Err(err(Some(at), format!("{field} must not be empty")));
                }
            }
            let exposure: Exposure = r.exposure.parse().map_err(|e| err(Some(at), e))?;
            let selector = HostSelector::parse(&r.host).map_err(|e| err(Some(at), e))?;
            if matches!(selector, HostSelector::Exact(_))
                && out
                    .list
                    .iter()
                    .any(|o| o.agency == agency && o.host == r.host)
            {
                return Err(err(
                    Some(at),
                    format!(
                        "host {:?} of {} has two exposure overrides; keep one",
                        r.host, r.agency
                    ),
                ));
            }
            out.list.push(Override {
                agency,
                host: r.host,
                selector,
                exposure,
                set_by: r.set_by,
                set_at: r.set_at.0,
                reason: r.reason,
                line: line_of(text, at),
            });
        }
        Ok(out)
    }

    /// The override for this host, if any: an exact entry, else the first glob.
    pub fn find(&self, agency: usize, host_id: &str, hostname: &str) -> Option<&Override> {
        let mine = || {
            self.list
                .iter()
                .filter(move |o| o.agency == agency && o.selector.matches(host_id, hostname))
        };
        mine()
            .find(|o| matches!(o.selector, HostSelector::Exact(_)))
            .or_else(|| mine().next())
    }
}

/// The exposure a host's clocks use, and where it comes from.
pub fn resolve(over: Option<&Override>, reported: Option<Exposure>) -> (Exposure, Source) {
    match (over, reported) {
        (Some(o), _) => (o.exposure, Source::Override),
        (None, Some(e)) => (e, Source::Report),
        (None, None) => (Exposure::Internal, Source::Default),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const AG: &[&str] = &["DOE", "DOI"];

    fn parse(t: &str) -> Result<Overrides, ConfigError> {
        Overrides::parse(Path::new("exposure.toml"), t, AG)
    }

    const ENTRY: &str = r#"
[[host]]
agency = "DOE"
host = "www-*.doe.gov"
exposure = "public"
set_by = "J. Smith, ISSO"
set_at = 2026-12-01
reason = "perimeter scan"

[[host]]
agency = "DOE"
host = "www-3.doe.gov"
exposure = "internal"
set_by = "A. Lee"
set_at = 2026-12-02T10:00:00Z
reason = "behind the VPN since November"
"#;

    #[test]
    fn an_exact_entry_wins_over_a_glob_and_agencies_do_not_mix() {
        let o = parse(ENTRY).unwrap();
        assert_eq!(o.list.len(), 2);
        let a = o.find(0, "id-1", "www-1.doe.gov").unwrap();
        assert_eq!((a.exposure, a.line), (Exposure::Public, 2));
        let b = o.find(0, "id-3", "www-3.doe.gov").unwrap();
        assert_eq!(
            (b.exposure, b.set_by.as_str()),
            (Exposure::Internal, "A. Lee")
        );
        assert_eq!(b.set_at, 1_796_205_600);
        assert!(o.find(1, "id-1", "www-1.doe.gov").is_none());
        assert!(o.find(0, "id-9", "db-1.doe.gov").is_none());
        assert_eq!(
            resolve(Some(a), Some(Exposure::Internal)),
            (Exposure::Public, Source::Override)
        );
        assert_eq!(
            resolve(None, Some(Exposure::Public)),
            (Exposure::Public, Source::Report)
        );
        assert_eq!(resolve(None, None), (Exposure::Internal, Source::Default));
    }

    #[test]
    fn bad_entries_are_refused_with_their_line() {
        let cases = [
            (
                ENTRY.replace("\"public\"", "\"dmz\""),
                2,
                "unknown exposure",
            ),
            (
                ENTRY.replace("\"DOI\"", "x").replace(
                    "agency = \"DOE\"\nhost = \"www-3",
                    "agency = \"NASA\"\nhost = \"www-3",
                ),
                10,
                "unknown agency",
            ),
            (
                ENTRY.replace("\"A. Lee\"", "\" \""),
                10,
                "set_by must not be empty",
            ),
            (
                ENTRY.replace("www-*.doe.gov", "www-[.doe.gov"),
                2,
                "invalid host glob",
            ),
            (
                ENTRY.replace("www-*.doe.gov", "www-3.doe.gov"),
                10,
                "two exposure overrides",
            ),
            (
                ENTRY.replace("reason = \"perimeter scan\"", ""),
                2,
                "missing field `reason`",
            ),
            (
                ENTRY.replace("set_at = 2026-12-01", "set_at = \"soon\""),
                7,
                "invalid time",
            ),
            (
                format!("{ENTRY}\n[[host]]\nagency = \"DOE\"\nhots = \"x\"\n"),
                20,
                "unknown field",
            ),
        ];
        for (text, line, want) in cases {
            let e = parse(&text).expect_err(&text);
            assert_eq!(e.line, Some(line), "{e} in\n{text}");
            assert!(e.reason.contains(want), "{e}");
        }
    }
}
