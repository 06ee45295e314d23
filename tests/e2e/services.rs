//! End-to-end tests: services, kernel modules, audit rules and logging rules of the shipped
//! baseline, run by the real binary against the hardened and weak Debian 12 host trees.

use crate::util::{materialize, result, scan_json};

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
fn weak_host_findings_say_what_was_found_and_where() {
    // That each rule passes and fails is proven on its own fixtures (tests/rules/, the
    // `rules` walker); here, what the messages say on a whole, realistic host.
    let rules = [
        "module.usb_storage_disabled",
        "service.avahi_not_enabled",
        "audit.time_changes",
        "audit.rules_immutable",
    ];
    let (code, report) = scan("weak", &rules);
    assert_eq!(code, 1);
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
