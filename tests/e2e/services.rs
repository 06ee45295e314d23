//! End-to-end tests: services, kernel modules, audit rules and logging rules of the shipped
//! baseline, run by the real binary against the hardened and weak Debian 12 host trees.

use crate::util::{materialize, result, scan_json};

/// Every rule of services.yaml, modules.yaml, audit.yaml and logging.yaml.
const RULES: &[&str] = &[
    "service.auditd_enabled",
    "service.time_sync_enabled",
    "service.apparmor_enabled",
    "service.ctrl_alt_del_masked",
    "service.debug_shell_not_enabled",
    "service.rsh_not_enabled",
    "service.telnet_not_enabled",
    "service.tftp_not_enabled",
    "service.avahi_not_enabled",
    "service.cups_not_enabled",
    "service.nfs_server_not_enabled",
    "service.rpcbind_not_enabled",
    "service.autofs_not_enabled",
    "module.cramfs_disabled",
    "module.freevxfs_disabled",
    "module.jffs2_disabled",
    "module.hfs_disabled",
    "module.hfsplus_disabled",
    "module.squashfs_disabled",
    "module.udf_disabled",
    "module.usb_storage_disabled",
    "module.dccp_disabled",
    "module.sctp_disabled",
    "module.rds_disabled",
    "module.tipc_disabled",
    "audit.identity_files",
    "audit.sudoers_changes",
    "audit.time_changes",
    "audit.kernel_modules",
    "audit.logins",
    "audit.session_records",
    "audit.mounts",
    "audit.permission_changes",
    "audit.user_emulation",
    "audit.backlog_limit",
    "audit.rules_immutable",
    "audit.max_log_file_action",
    "audit.space_left_action",
    "audit.admin_space_left_action",
    "audit.disk_full_action",
    "audit.disk_error_action",
    "logging.journald_persistent",
    "logging.journald_compress",
    "logging.rsyslog_enabled",
    "logging.rsyslog_file_create_mode",
];

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
    let (code, report) = scan("hardened", RULES);
    let mut bad = Vec::new();
    for id in RULES {
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
    let (code, report) = scan("weak", RULES);
    let mut bad = Vec::new();
    for id in RULES {
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
