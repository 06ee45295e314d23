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
    /// BOD 26-04 exposure when the agent's configuration (or `--exposure`) sets it; the
    /// collector takes it for the host's clocks unless it holds an override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure: Option<Exposure>,
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
    /// The installed packages and kernels (absent when the host has no package database
    /// hardline reads). On push, `packages` may be left out when the collector already
    /// holds this `digest`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory: Option<Inventory>,
    /// The vulnerability feeds the scan used (absent without `--feeds`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feeds: Option<FeedsInfo>,
    /// One entry per (package, CVE) open on the host; evaluated only with `--feeds`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vulnerabilities: Vec<Vulnerability>,
}

/// One installed package, as the vulnerability matcher sees it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct InventoryPackage {
    /// Binary package name.
    pub name: String,
    /// Full version with epoch (`1:9.2p1-2+deb12u3`, `1:3.0.7-27.el9`).
    pub version: String,
    /// Architecture (`amd64`, `x86_64`, `noarch`).
    #[serde(default)]
    pub arch: String,
    /// Source package name.
    #[serde(default)]
    pub source: String,
    /// Source package version.
    #[serde(default)]
    pub source_version: String,
}

/// The kernels of the host: the one running and the ones installed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelInventory {
    /// Running kernel release (`/proc/sys/kernel/osrelease`), null without `/proc`.
    #[serde(default)]
    pub running_release: Option<String>,
    /// Package version of the running kernel: from its installed package, else from
    /// `/proc/version` (Debian and Ubuntu write it there); null when neither tells.
    #[serde(default)]
    pub running_version: Option<String>,
    /// Installed kernel image packages (`name version`).
    #[serde(default)]
    pub installed: Vec<String>,
}

/// The host's package inventory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    /// `dpkg` or `rpm`.
    pub format: String,
    /// OSV ecosystem of the host (`Debian:12`, `AlmaLinux:9`), empty when unknown.
    #[serde(default)]
    pub ecosystem: String,
    /// `sha256:` of the canonical package list (sorted `name\tversion\tarch\tsource\tsource_version\n`).
    pub digest: String,
    /// Number of packages.
    pub count: u32,
    /// The packages, sorted; null when left out because the receiver holds `digest`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packages: Option<Vec<InventoryPackage>>,
    /// Kernels.
    #[serde(default)]
    pub kernel: KernelInventory,
}

/// One feed as loaded.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FeedInfo {
    /// `osv`, `kev` or `vulnrichment`.
    pub feed: String,
    /// Path read.
    pub path: String,
    /// False when the part is absent from the feeds directory.
    pub present: bool,
    /// The feed's own version or date (KEV `catalogVersion`, newest OSV `modified`).
    #[serde(default)]
    pub version: Option<String>,
    /// The date the feed's age is judged from (RFC 3339 date).
    #[serde(default)]
    pub updated: Option<String>,
    /// Age in days at scan time.
    #[serde(default)]
    pub age_days: Option<i64>,
    /// True when older than the allowed age: findings may be missing.
    #[serde(default)]
    pub stale: bool,
    /// Records loaded.
    pub records: u64,
    /// Records skipped as withdrawn.
    #[serde(default)]
    pub withdrawn: u64,
    /// Malformed records, each `file: reason` (skipped; at most 100 listed).
    #[serde(default)]
    pub malformed: Vec<String>,
    /// Number of malformed records in all.
    #[serde(default)]
    pub malformed_count: u64,
    /// Why the feed (or a whole archive of it) could not be read: results cannot be
    /// complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The feeds behind the vulnerability findings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FeedsInfo {
    /// The feeds directory.
    pub dir: String,
    /// Each feed.
    pub feeds: Vec<FeedInfo>,
    /// Maximum feed age in days before a feed counts as stale.
    pub max_age_days: i64,
    /// Exposure of this host for BOD 26-04 (`public` or `internal`).
    pub exposure: String,
    /// Whether the BOD 26-04 remediation table was verified against the directive's text.
    pub bod_26_04_table_verified: bool,
}

/// A CISA KEV catalog entry, as a finding carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KevEntry {
    /// `dateAdded` (YYYY-MM-DD).
    pub date_added: String,
    /// `dueDate` (YYYY-MM-DD), read from the catalog, never derived.
    pub due_date: String,
    /// `knownRansomwareCampaignUse` (`Known` or `Unknown`).
    pub known_ransomware_campaign_use: String,
    /// `requiredAction`.
    #[serde(default)]
    pub required_action: String,
    /// `vendorProject` and `product`.
    #[serde(default)]
    pub product: String,
}

/// CISA's SSVC decision points for a CVE (Vulnrichment); each null when unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ssvc {
    /// `none`, `poc` or `active`.
    pub exploitation: Option<String>,
    /// `yes` or `no`.
    pub automatable: Option<String>,
    /// `partial` or `total`.
    pub technical_impact: Option<String>,
}

/// The BOD 26-04 remediation clock of a finding.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BodClock {
    /// `3d`, `14d`, `60d` or `next_upgrade`.
    pub band: String,
    /// Due date (YYYY-MM-DD); null for `next_upgrade`.
    pub due: Option<String>,
    /// Forensic triage required (the three-day band).
    pub forensic_triage: bool,
    /// When the clock started (YYYY-MM-DD): the later of KEV `dateAdded` and first seen.
    pub clock_start: String,
    /// Past `due` at scan time.
    pub overdue: bool,
    /// Decision points that were unknown and taken as the worse value.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assumed: Vec<String>,
    /// False while the remediation table is not verified against the directive's text.
    pub table_verified: bool,
}

/// One known vulnerability open on the host: one (package, CVE) pair.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vulnerability {
    /// CVE id.
    pub cve: String,
    /// Installed binary package.
    pub package: String,
    /// Source package the advisory names.
    pub source: String,
    /// Installed version (for the running kernel: the running kernel's version).
    pub installed_version: String,
    /// First fixed version; null when no fix exists yet.
    pub fixed_version: Option<String>,
    /// OSV record id (`DSA-5678-1`, `ALSA-2024:1234`, `CVE-…`).
    pub advisory: String,
    /// OSV ecosystem of the record.
    pub ecosystem: String,
    /// KEV entry; null when the CVE is not in the catalog.
    pub kev: Option<KevEntry>,
    /// SSVC decision points.
    pub ssvc: Ssvc,
    /// `public` or `internal`.
    pub exposure: String,
    /// BOD 26-04 clock.
    pub bod_26_04: BodClock,
    /// Whether a fixed version is offered by the host's configured repositories (apt
    /// security lists on disk); null when unknown.
    pub fix_available: Option<bool>,
    /// A note for the operator (the running kernel, reboot needed, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
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

/// How exposed the host is, for BOD 26-04.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Exposure {
    /// Reachable from the internet.
    Public,
    /// Not publicly exposed (the default).
    #[default]
    Internal,
}

impl Exposure {
    /// `public` or `internal`.
    pub fn as_str(self) -> &'static str {
        match self {
            Exposure::Public => "public",
            Exposure::Internal => "internal",
        }
    }
}

impl std::str::FromStr for Exposure {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "public" => Ok(Exposure::Public),
            "internal" => Ok(Exposure::Internal),
            _ => Err(format!("unknown exposure {s:?}; choose public or internal")),
        }
    }
}
