//! End-to-end tests: the `sshd` rules of the baseline against the two host trees.

use crate::util::{materialize, scan_json};

/// The rules the baseline must contain (ids are part of the contract).
const MANDATED: [&str; 7] = [
    "sshd.permit_root_login",
    "sshd.permit_empty_passwords",
    "sshd.max_auth_tries",
    "sshd.ciphers",
    "sshd.macs",
    "sshd.x11_forwarding",
    "sshd.client_alive_interval",
];

/// Every sshd rule id in the built-in baseline.
fn sshd_rule_ids() -> Vec<String> {
    let out = crate::util::agent(&["rules", "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rules: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    rules
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["id"].as_str())
        .filter(|id| id.starts_with("sshd."))
        .map(str::to_string)
        .collect()
}

fn scan_rules(root: &std::path::Path, ids: &[String]) -> (i32, serde_json::Value) {
    let mut args = Vec::new();
    for id in ids {
        args.push("--rule");
        args.push(id.as_str());
    }
    scan_json(root, &args)
}

#[test]
fn baseline_has_the_mandated_sshd_rules() {
    let ids = sshd_rule_ids();
    assert!(ids.len() >= 18, "only {} sshd rules", ids.len());
    for id in MANDATED {
        assert!(ids.iter().any(|i| i == id), "missing {id}");
    }
}

#[test]
fn hardened_host_passes_every_sshd_rule() {
    let root = materialize("hardened");
    let ids = sshd_rule_ids();
    let (code, report) = scan_rules(root.path(), &ids);
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), ids.len());
    for r in results {
        assert_eq!(r["status"], "pass", "{}: {}", r["rule_id"], r["message"]);
    }
    assert_eq!(code, 0);
    // The values come from the Debian-style drop-in, read before the main file.
    let r = crate::util::result(&report, "sshd.x11_forwarding");
    let msg = r["message"].as_str().unwrap();
    assert!(
        msg.contains("/etc/ssh/sshd_config.d/50-hardening.conf:"),
        "{msg}"
    );
    // The sftponly Match block is compliant and named as the weakest Match value.
    let r = crate::util::result(&report, "sshd.max_auth_tries");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("Match Group sftponly"),
        "{}",
        r["message"]
    );
}

#[test]
fn weak_host_fails_every_mandated_sshd_rule_with_its_location() {
    let root = materialize("weak");
    let ids: Vec<String> = MANDATED.iter().map(|s| s.to_string()).collect();
    let (code, report) = scan_rules(root.path(), &ids);
    assert_eq!(code, 1);
    let expect = [
        ("sshd.permit_root_login", "/etc/ssh/sshd_config:33"),
        (
            "sshd.permit_empty_passwords",
            "/etc/ssh/sshd_config.d/50-cloud-init.conf:2",
        ),
        // Global value complies; the Match block weakens it.
        (
            "sshd.max_auth_tries",
            "Match Group operators (/etc/ssh/sshd_config:",
        ),
        (
            "sshd.ciphers",
            "/etc/ssh/sshd_config.d/60-legacy-clients.conf:2",
        ),
        (
            "sshd.macs",
            "/etc/ssh/sshd_config.d/60-legacy-clients.conf:3",
        ),
        ("sshd.x11_forwarding", "/etc/ssh/sshd_config:90"),
        (
            "sshd.client_alive_interval",
            "/etc/ssh/sshd_config.d/60-legacy-clients.conf:",
        ),
    ];
    for (id, needle) in expect {
        let r = crate::util::result(&report, id);
        assert_eq!(r["status"], "fail", "{id}: {}", r["message"]);
        let msg = r["message"].as_str().unwrap();
        assert!(msg.contains(needle), "{id}: {msg}");
        assert!(
            !r["evidence"].as_array().unwrap().is_empty(),
            "{id}: no evidence"
        );
    }
    let r = crate::util::result(&report, "sshd.ciphers");
    assert!(
        r["message"].as_str().unwrap().contains("Ciphers is a list with chacha20-poly1305@openssh.com, aes128-cbc, 3des-cbc (not allowed) at"),
        "{}",
        r["message"]
    );
}

#[test]
fn missing_sshd_config_is_not_applicable() {
    let dir = tempfile::tempdir().unwrap();
    let (code, report) = scan_rules(dir.path(), &["sshd.permit_root_login".to_string()]);
    assert_eq!(code, 0);
    let r = crate::util::result(&report, "sshd.permit_root_login");
    assert_eq!(r["status"], "not_applicable", "{}", r["message"]);
}

/// Issue 15 item 4: an Include directory the scan cannot read (mode 000, scanned as an
/// unprivileged user) is `error`, never the `pass` the lines after the Include would give.
#[test]
fn unreadable_include_directory_is_an_error_not_a_pass() {
    let root = crate::util::locked_copy("sshd/unreadable_include", &["/etc/ssh/sshd_config.d"]);
    let (_, report) =
        crate::util::scan_json_unprivileged(root.path(), &["--rule", "sshd.permit_root_login"]);
    let r = crate::util::result(&report, "sshd.permit_root_login");
    assert_eq!(r["status"], "error", "{r}");
    let text = r.to_string();
    assert!(text.contains("sshd_config.d"), "{r}");
    // As root (or with the directory readable) the truth is a fail.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        root.path().join("etc/ssh/sshd_config.d"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let (_, report) =
        crate::util::scan_json_unprivileged(root.path(), &["--rule", "sshd.permit_root_login"]);
    let r = crate::util::result(&report, "sshd.permit_root_login");
    assert_eq!(r["status"], "fail", "{r}");
}
