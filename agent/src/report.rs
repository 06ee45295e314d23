//! The report: the one definition of the wire format (`schema_version` 1).
//!
//! The agent builds it, every output format renders it, and the collector deserializes it
//! with these same types. Adding a field is allowed; removing or renaming one needs a new
//! `schema_version` (DESIGN.md). Deserialization accepts unknown fields so that a newer
//! agent can talk to an older collector.

use serde::{Deserialize, Serialize};
use std::fmt;
use time::OffsetDateTime;
use uuid::Uuid;

/// The report format version.
pub const SCHEMA_VERSION: u32 = 1;

/// Outcome of one rule on one host (or one target).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The host complies.
    Pass,
    /// The host does not comply.
    Fail,
    /// The rule could not be evaluated (unreadable or malformed input): never a pass.
    Error,
    /// The component the rule is about is absent.
    NotApplicable,
}

impl Status {
    /// The wire name (`not_applicable`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Error => "error",
            Status::NotApplicable => "not_applicable",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Rule severity, ordered from `low` to `critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Defence in depth.
    Low,
    /// A weakness that helps an attacker.
    Medium,
    /// A direct path to compromise.
    High,
    /// Exploited at scale today.
    Critical,
}

impl Severity {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Every severity, lowest first.
    pub const ALL: [Severity; 4] = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            _ => Err(format!(
                "unknown severity {s:?}; choose from: low, medium, high, critical"
            )),
        }
    }
}

/// What a check saw, where, and what it expected.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Host path of the file the value came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// 1-based line in `path`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// The value found (or a description of its absence).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed: Option<String>,
    /// The value the rule requires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// Where in the configuration this applies (e.g. `Match User backup`), when not global.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
}

impl Evidence {
    /// Evidence located in a file.
    pub fn at(path: impl Into<String>, line: Option<u32>) -> Self {
        Evidence {
            path: Some(path.into()),
            line,
            ..Evidence::default()
        }
    }

    /// Set the observed value.
    pub fn observed(mut self, v: impl Into<String>) -> Self {
        self.observed = Some(v.into());
        self
    }

    /// Set the expected value.
    pub fn expected(mut self, v: impl Into<String>) -> Self {
        self.expected = Some(v.into());
        self
    }

    /// Set the context.
    pub fn context(mut self, v: impl Into<String>) -> Self {
        self.context = Some(v.into());
        self
    }

    /// `path:line`, `path`, or empty.
    pub fn location(&self) -> String {
        match (&self.path, self.line) {
            (Some(p), Some(l)) => format!("{p}:{l}"),
            (Some(p), None) => p.clone(),
            _ => String::new(),
        }
    }
}

/// Operating system identity from `/etc/os-release`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OsInfo {
    /// `ID` (debian, ubuntu, rhel, …).
    #[serde(default)]
    pub id: String,
    /// `ID_LIKE`, split on spaces.
    #[serde(default)]
    pub id_like: Vec<String>,
    /// `VERSION_ID`.
    #[serde(default)]
    pub version_id: String,
    /// `PRETTY_NAME`.
    #[serde(default)]
    pub pretty_name: String,
}

/// The scanned host.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HostInfo {
    /// Stable host id (`/etc/machine-id`, or a name-based UUID of the hostname when absent).
    pub id: String,
    /// Host name.
    pub hostname: String,
    /// Operating system.
    #[serde(default)]
    pub os: OsInfo,
    /// Scan root on the scanning machine (`/` for a live host).
    #[serde(default)]
    pub root: String,
}

/// Counts of results by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Results that passed.
    pub pass: u32,
    /// Results that failed.
    pub fail: u32,
    /// Results that could not be evaluated.
    pub error: u32,
    /// Results that do not apply.
    pub not_applicable: u32,
}

impl Summary {
    /// Count the statuses of `results`.
    pub fn of(results: &[RuleResult]) -> Self {
        let mut s = Summary::default();
        for r in results {
            match r.status {
                Status::Pass => s.pass += 1,
                Status::Fail => s.fail += 1,
                Status::Error => s.error += 1,
                Status::NotApplicable => s.not_applicable += 1,
            }
        }
        s
    }
}

/// The outcome of one rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleResult {
    /// Rule id (`sshd.permit_root_login`).
    pub rule_id: String,
    /// Rule title.
    #[serde(default)]
    pub title: String,
    /// Rule severity.
    pub severity: Severity,
    /// Outcome.
    pub status: Status,
    /// One sentence saying what was found, where.
    pub message: String,
    /// The target for per-target rules (a TLS endpoint, a domain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// What was seen and where.
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    /// NIST SP 800-53 controls the rule supports.
    #[serde(default)]
    pub nist_800_53: Vec<String>,
    /// How long the check took, in seconds.
    #[serde(default)]
    pub duration_seconds: f64,
}

/// The agent that wrote the report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentInfo {
    /// `hardline-agent`.
    pub name: String,
    /// Agent version.
    pub version: String,
}

/// The policy the scan evaluated.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PolicyInfo {
    /// Where the rules came from (`builtin:policies/baseline/ssh.yaml`, user files).
    pub sources: Vec<String>,
    /// Number of rules evaluated.
    pub rules: u32,
}

/// A complete scan report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Always [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Unique id of this report (UUID v4).
    pub report_id: Uuid,
    /// The agent.
    #[serde(default)]
    pub agent: AgentInfo,
    /// The host.
    pub host: HostInfo,
    /// Scan start (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// Scan end (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    pub finished_at: OffsetDateTime,
    /// The policy.
    #[serde(default)]
    pub policy: PolicyInfo,
    /// Counts by status.
    pub summary: Summary,
    /// One entry per rule (per target for per-target rules).
    pub results: Vec<RuleResult>,
}

impl Report {
    /// True when a result at or above `threshold` failed or errored.
    pub fn has_findings(&self, threshold: Severity) -> bool {
        self.results
            .iter()
            .any(|r| r.severity >= threshold && matches!(r.status, Status::Fail | Status::Error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_and_severity_use_wire_names() {
        assert_eq!(
            serde_json::to_string(&Status::NotApplicable).unwrap(),
            "\"not_applicable\""
        );
        assert_eq!(
            serde_json::to_string(&Severity::Critical).unwrap(),
            "\"critical\""
        );
        assert!(Severity::Low < Severity::Critical);
        assert_eq!("HIGH".parse::<Severity>().unwrap(), Severity::High);
        assert!("urgent"
            .parse::<Severity>()
            .unwrap_err()
            .contains("choose from"));
    }
}
