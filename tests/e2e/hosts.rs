//! The whole baseline against the two full Debian host fixtures: every rule passes on the
//! hardened host; every rule that other programs rely on (DESIGN.md, issue 2) fails on the
//! weak one, each failure saying where.

use crate::util::{materialize, result, scan_json};

/// Rule ids other programs rely on: exactly these ids, exactly these meanings.
pub const MANDATED: &[&str] = &[
    "sshd.permit_root_login",
    "sshd.permit_empty_passwords",
    "sshd.max_auth_tries",
    "sshd.ciphers",
    "sshd.macs",
    "sshd.x11_forwarding",
    "sshd.client_alive_interval",
    "sysctl.net_ipv4_ip_forward",
    "sysctl.kernel_randomize_va_space",
    "sysctl.net_ipv4_conf_all_accept_redirects",
    "file.etc_shadow_permissions",
    "file.etc_passwd_permissions",
    "login.pass_max_days",
    "mount.tmp_options",
    "pkg.no_telnet_server",
    "service.auditd_enabled",
    "patch.security_updates",
    "patch.reboot_required",
];

#[test]
fn hardened_host_passes_the_whole_baseline() {
    let root = materialize("hardened");
    let (code, report) = scan_json(root.path(), &[]);
    let bad: Vec<String> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "fail" || r["status"] == "error")
        .map(|r| format!("{} {}: {}", r["rule_id"], r["status"], r["message"]))
        .collect();
    assert!(bad.is_empty(), "on the hardened host:\n{}", bad.join("\n"));
    assert_eq!(code, 0);
    for id in MANDATED {
        assert_eq!(result(&report, id)["status"], "pass", "{id}");
    }
}

#[test]
fn weak_host_fails_every_mandated_rule_and_says_where() {
    let root = materialize("weak");
    let (code, report) = scan_json(root.path(), &[]);
    assert_eq!(code, 1);
    for id in MANDATED {
        let r = result(&report, id);
        assert_eq!(r["status"], "fail", "{id}: {r}");
        let evidence = r["evidence"].as_array().unwrap();
        assert!(
            evidence.iter().any(|e| e["path"].is_string()),
            "{id}: a failure names the file it comes from: {r}"
        );
        assert!(!r["message"].as_str().unwrap().is_empty());
    }
}
