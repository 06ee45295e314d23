//! End-to-end tests: services, kernel modules, audit rules and logging rules of the shipped
//! baseline, run by the real binary against the hardened and weak Debian 12 host trees.

use crate::util::{materialize, result, scan_json};

/// Every rule of services.yaml, modules.yaml, audit.yaml and logging.yaml, read from the
/// built-in baseline (no list to keep by hand: a rule added there is tested here).
fn area_rules() -> Vec<String> {
    const AREAS: &[&str] = &[
        "services.yaml",
        "modules.yaml",
        "audit.yaml",
        "logging.yaml",
    ];
    let policy = hardline_agent::policy::Policy::builtin().unwrap();
    let ids: Vec<String> = policy
        .rules
        .iter()
        .filter(|r| {
            AREAS.iter().any(|a| {
                r.source
                    .starts_with(&format!("builtin:policies/baseline/{a}:"))
            })
        })
        .map(|r| r.id.clone())
        .collect();
    assert!(ids.len() >= 45, "only {} rules in {AREAS:?}", ids.len());
    ids
}

/// Rules the weak host passes on purpose (it has no rsh units, and rsyslog is enabled).
const WEAK_PASSES: &[&str] = &["service.rsh_not_enabled", "logging.rsyslog_enabled"];

fn rule_args(rules: &[&str]) -> Vec<String> {
    rules
        .iter()
        .flat_map(|r| ["--rule".to_string(), r.to_string()])
        .collect()
}

fn scan(host: &str, rules: &[&str]) -> (i32, serde_json::Value) {
    let dir = materialize(host);
    let args = rule_args(rules);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    scan_json(dir.path(), &args)
}

#[test]
fn auditd_enabled_passes_on_hardened_and_fails_on_weak() {
    let (code, report) = scan("hardened", &["service.auditd_enabled"]);
    let r = result(&report, "service.auditd_enabled");
    assert_eq!(r["status"], "pass", "{r}");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("/etc/systemd/system/multi-user.target.wants/auditd.service"),
        "{r}"
    );
    assert_eq!(code, 0);

    let (code, report) = scan("weak", &["service.auditd_enabled"]);
    let r = result(&report, "service.auditd_enabled");
    assert_eq!(r["status"], "fail", "{r}");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("auditd.service is disabled"),
        "{r}"
    );
    assert_eq!(
        r["evidence"][0]["observed"], "auditd.service: disabled",
        "{r}"
    );
    assert_eq!(code, 1);
}

#[test]
fn hardened_host_passes_every_rule_of_these_areas() {
    let rules = area_rules();
    let rules: Vec<&str> = rules.iter().map(String::as_str).collect();
    let (code, report) = scan("hardened", &rules);
    let mut bad = Vec::new();
    for id in &rules {
        let r = result(&report, id);
        if r["status"] != "pass" {
            bad.push(format!("{id}: {} {}", r["status"], r["message"]));
        }
    }
    assert!(
        bad.is_empty(),
        "not passing on hardened:\n{}",
        bad.join("\n")
    );
    assert_eq!(code, 0);
}

#[test]
fn weak_host_fails_them() {
    let rules = area_rules();
    let rules: Vec<&str> = rules.iter().map(String::as_str).collect();
    let (code, report) = scan("weak", &rules);
    let mut bad = Vec::new();
    for id in &rules {
        let r = result(&report, id);
        let want = if WEAK_PASSES.contains(id) {
            "pass"
        } else {
            "fail"
        };
        if r["status"] != want {
            bad.push(format!(
                "{id}: {} (want {want}) {}",
                r["status"], r["message"]
            ));
        }
    }
    assert!(bad.is_empty(), "unexpected on weak:\n{}", bad.join("\n"));
    assert_eq!(code, 1);
    // Messages say what was found and where.
    let m = |id: &str| result(&report, id)["message"].as_str().unwrap().to_string();
    assert!(m("module.usb_storage_disabled").contains("loaded now (/proc/modules:1)"));
    assert!(m("service.avahi_not_enabled").contains("avahi-daemon.service is enabled"));
    assert!(m("audit.time_changes").contains("arch=b32"));
    assert!(m("audit.rules_immutable").contains("no -e line"));
}

#[test]
fn services_of_an_empty_tree() {
    // No systemd, no modprobe.d, no auditd: enabled rules fail, not_enabled rules pass.
    let dir = tempfile::tempdir().unwrap();
    let (_, report) = scan_json(
        dir.path(),
        &[
            "--rule",
            "service.auditd_enabled",
            "--rule",
            "service.avahi_not_enabled",
            "--rule",
            "logging.rsyslog_enabled",
            "--rule",
            "audit.identity_files",
            "--rule",
            "module.cramfs_disabled",
        ],
    );
    assert_eq!(result(&report, "service.auditd_enabled")["status"], "fail");
    assert_eq!(
        result(&report, "service.avahi_not_enabled")["status"],
        "pass"
    );
    assert_eq!(
        result(&report, "logging.rsyslog_enabled")["status"],
        "not_applicable"
    );
    let a = result(&report, "audit.identity_files");
    assert_eq!(a["status"], "fail");
    assert!(
        a["message"]
            .as_str()
            .unwrap()
            .contains("auditd is not installed"),
        "{a}"
    );
    assert_eq!(result(&report, "module.cramfs_disabled")["status"], "fail");
}
