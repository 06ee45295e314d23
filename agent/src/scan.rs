//! Scan orchestration: policy → checks → report. One pass, single-threaded: the host rules
//! are file reads, and parsed files are shared through [`Host::cached`].

use crate::checks::vulnerability::CACHE_KEY;
use crate::checks::Kind;
use crate::host::Host;
use crate::inventory;
use crate::net::check::NetCheck;
use crate::net::config::NetConfig;
use crate::outcome::Finding;
use crate::policy::{Policy, Rule};
use crate::report::{AgentInfo, HostInfo, PolicyInfo, Report, RuleResult, Summary, SCHEMA_VERSION};
use crate::vuln::{self, FeedOptions};
use std::time::Instant;
use time::OffsetDateTime;
use uuid::Uuid;

/// Namespace for name-based host ids when a tree has no machine-id.
const HOST_ID_NAMESPACE: Uuid = Uuid::from_u128(0x6b1c_5c5e_2f3a_4d0e_9a57_0c4f_8a9e_d1a1);

/// Identify the scanned host: `/etc/machine-id`, hostname, `/etc/os-release`.
pub fn host_info(host: &Host) -> HostInfo {
    let hostname = ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter(|p| host.is_live() || !p.starts_with("/proc"))
        .find_map(|p| {
            host.read_to_string(p)
                .ok()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        })
        // Shown as it is on the host, but with control, bidirectional and invisible
        // characters as visible escapes: two hosts must not look alike on a page or in a
        // waiver match, and the collector refuses such raw characters.
        .map(|s| {
            let mut s = crate::output::text::one_line(&s);
            // The collector's limit for host.hostname.
            while s.len() > 255 {
                s.pop();
            }
            s
        })
        .unwrap_or_else(|| "unknown".to_string());
    let machine_id = host
        .read_to_string("/etc/machine-id")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit()));
    let id = machine_id.unwrap_or_else(|| {
        Uuid::new_v5(&HOST_ID_NAMESPACE, hostname.as_bytes())
            .simple()
            .to_string()
    });
    HostInfo {
        id,
        hostname,
        os: host.os_release().unwrap_or_default(),
        root: host.root().display().to_string(),
        exposure: None,
    }
}

/// The one place a [`RuleResult`] is built: a rule and one finding of its check.
pub fn rule_result(rule: &Rule, finding: Finding) -> RuleResult {
    RuleResult {
        rule_id: rule.id.clone(),
        title: rule.title.clone(),
        severity: rule.severity,
        status: finding.outcome.status,
        message: finding.outcome.message,
        target: finding.target,
        evidence: finding.outcome.evidence,
        nist_800_53: rule.references.nist_800_53.clone(),
        duration_seconds: finding.duration.as_secs_f64(),
    }
}

/// Evaluate one rule against the host (a network rule is `not_applicable` here: see
/// [`scan_with`]).
pub fn evaluate_rule(rule: &Rule, host: &Host) -> RuleResult {
    let started = Instant::now();
    let outcome = rule.check.evaluate(host);
    rule_result(rule, Finding::new(outcome, None, started))
}

/// Evaluate `rules` (all of the policy when empty) and build the report. Network rules
/// see no targets: each is `not_applicable`, and no packet is sent.
pub fn scan(policy: &Policy, host: &Host, only: &[String]) -> Report {
    scan_with(policy, host, only, &NetConfig::default())
}

/// [`scan`] with network targets: host rules first, then the network rules, per target
/// ([`crate::net::run`]; it starts an async runtime only when targets exist).
pub fn scan_with(policy: &Policy, host: &Host, only: &[String], net: &NetConfig) -> Report {
    scan_full(policy, host, only, net, None)
}

/// [`scan_with`] plus known vulnerabilities from the feeds in `feeds` (`scan --feeds`).
/// Every report carries the host's package inventory; the findings and the `vuln.*` rules
/// need the feeds.
pub fn scan_full(
    policy: &Policy,
    host: &Host,
    only: &[String],
    net: &NetConfig,
    feeds: Option<&FeedOptions>,
) -> Report {
    let started_at = OffsetDateTime::now_utc();
    let info = host_info(host);
    let (inventory, inventory_error) = match inventory::collect(host, &info.os) {
        Ok(i) => (i, None),
        Err(e) => (None, Some(e.to_string())),
    };
    let assessment = feeds.map(|o| {
        vuln::for_host(
            host,
            inventory.as_ref(),
            inventory_error.as_deref(),
            o,
            started_at.date(),
        )
    });
    let assessment = host.cached(CACHE_KEY, move || assessment);
    let selected: Vec<&Rule> = policy
        .rules
        .iter()
        .filter(|r| only.is_empty() || only.iter().any(|id| id == &r.id))
        .collect();
    let mut results: Vec<RuleResult> = Vec::new();
    let mut network: Vec<(&Rule, &dyn NetCheck)> = Vec::new();
    for rule in selected {
        match rule.check.kind() {
            Kind::Host(_) => results.push(evaluate_rule(rule, host)),
            Kind::Network(check) => network.push((rule, check)),
        }
    }
    if !network.is_empty() {
        let checks: Vec<&dyn NetCheck> = network.iter().map(|(_, c)| *c).collect();
        let found = crate::net::run(&checks, net, host);
        for ((rule, _), findings) in network.iter().zip(found) {
            results.extend(findings.into_iter().map(|f| rule_result(rule, f)));
        }
    }
    Report {
        schema_version: SCHEMA_VERSION,
        report_id: Uuid::new_v4(),
        agent: AgentInfo {
            name: "hardline-agent".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        },
        host: info,
        started_at,
        finished_at: OffsetDateTime::now_utc(),
        policy: PolicyInfo {
            sources: policy.sources.clone(),
            rules: results.len() as u32,
        },
        summary: Summary::of(&results),
        results,
        inventory,
        feeds: assessment.as_ref().as_ref().map(|a| a.feeds.clone()),
        vulnerabilities: assessment
            .as_ref()
            .as_ref()
            .map(|a| a.vulnerabilities.clone())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod hostname_tests {
    use super::*;

    #[test]
    fn hostnames_with_invisible_or_bidi_characters_are_reported_escaped() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        std::fs::write(
            dir.path().join("etc/hostname"),
            "www.doe\u{202e}vog.\u{200b}x\n",
        )
        .unwrap();
        let host = Host::new(dir.path());
        let info = host_info(&host);
        assert_eq!(info.hostname, "www.doe\\u{202e}vog.\\u{200b}x");
        std::fs::write(dir.path().join("etc/hostname"), "\u{200b}".repeat(100)).unwrap();
        assert!(host_info(&host).hostname.len() <= 255);
    }
}
