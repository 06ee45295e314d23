//! End-to-end tests: system checks (`sysctl`, `keyvalue`, `file`, `mount`) through the real
//! binary on the full-host fixtures, with modes and owners applied by `materialize()`.

use crate::util::{is_root, materialize, result, scan_json};

/// The rules every system worker's brief mandates.
const MANDATED: [&str; 7] = [
    "sysctl.net_ipv4_ip_forward",
    "sysctl.kernel_randomize_va_space",
    "sysctl.net_ipv4_conf_all_accept_redirects",
    "file.etc_shadow_permissions",
    "file.etc_passwd_permissions",
    "login.pass_max_days",
    "mount.tmp_options",
];

/// Owner checks need the fixture files chowned to root, which only root can do.
fn owner_dependent(id: &str) -> bool {
    id.starts_with("file.") && !is_root()
}

fn rule_args() -> Vec<&'static str> {
    MANDATED.iter().flat_map(|id| ["--rule", *id]).collect()
}

#[test]
fn hardened_host_passes_the_mandated_rules() {
    let root = materialize("hardened");
    let (code, report) = scan_json(root.path(), &rule_args());
    for id in MANDATED {
        if owner_dependent(id) {
            eprintln!("skipping {id}: owners are applied only when running as root");
            continue;
        }
        let r = result(&report, id);
        assert_eq!(r["status"], "pass", "{id}: {r}");
    }
    if is_root() {
        assert_eq!(code, 0, "{report}");
    }
}

#[test]
fn weak_host_fails_the_mandated_rules_naming_file_and_line() {
    let root = materialize("weak");
    let (code, report) = scan_json(root.path(), &rule_args());
    assert_eq!(code, 1);
    for id in MANDATED {
        let r = result(&report, id);
        assert_eq!(r["status"], "fail", "{id}: {r}");
    }
    let msg = |id: &str| result(&report, id)["message"].as_str().unwrap().to_string();
    let m = msg("sysctl.net_ipv4_ip_forward");
    assert!(
        m.contains("persistent 1 (/etc/sysctl.conf:27), runtime 1"),
        "{m}"
    );
    let m = msg("sysctl.kernel_randomize_va_space");
    assert!(
        m.contains("persistent 0 (/etc/sysctl.conf:30), runtime 0"),
        "{m}"
    );
    let m = msg("sysctl.net_ipv4_conf_all_accept_redirects");
    assert!(m.contains("(/etc/sysctl.conf:31)"), "{m}");
    let m = msg("login.pass_max_days");
    assert!(m.contains("/etc/login.defs:36"), "{m}");
    assert!(m.contains("99999"), "{m}");
    let m = msg("file.etc_shadow_permissions");
    assert!(m.contains("/etc/shadow has mode 0644"), "{m}");
    let m = msg("file.etc_passwd_permissions");
    assert!(m.contains("/etc/passwd has mode 0666"), "{m}");
    let m = msg("mount.tmp_options");
    assert!(
        m.contains("not a separate mount") && m.contains("/proc/self/mounts"),
        "{m}"
    );
    // Evidence carries path and line for the sysctl result.
    let ev = &result(&report, "sysctl.net_ipv4_ip_forward")["evidence"];
    assert_eq!(ev[0]["path"], "/etc/sysctl.conf", "{ev}");
    assert_eq!(ev[0]["line"], 27, "{ev}");
    assert_eq!(ev[1]["path"], "/proc/sys/net/ipv4/ip_forward", "{ev}");
}

#[test]
fn offline_image_uses_persistent_config_and_fstab() {
    let root = materialize("hardened");
    std::fs::remove_dir_all(root.path().join("proc")).unwrap();
    let (_, report) = scan_json(
        root.path(),
        &[
            "--rule",
            "sysctl.net_ipv4_ip_forward",
            "--rule",
            "mount.tmp_options",
            "--rule",
            "mount.dev_shm_options",
        ],
    );
    let r = result(&report, "sysctl.net_ipv4_ip_forward");
    assert_eq!(r["status"], "pass", "{r}");
    assert!(
        r["message"].as_str().unwrap().contains("offline image"),
        "{r}"
    );
    let r = result(&report, "mount.tmp_options");
    assert_eq!(r["status"], "pass", "{r}");
    assert!(r["message"].as_str().unwrap().contains("/etc/fstab"), "{r}");
    assert_eq!(result(&report, "mount.dev_shm_options")["status"], "pass");
}

#[test]
fn every_system_rule_passes_on_hardened() {
    let root = materialize("hardened");
    let (_, report) = scan_json(root.path(), &[]);
    let areas = [
        "sysctl.",
        "file.",
        "login.",
        "pwquality.",
        "accounts.",
        "mount.",
    ];
    let mut seen = 0;
    for r in report["results"].as_array().unwrap() {
        let id = r["rule_id"].as_str().unwrap();
        if !areas.iter().any(|a| id.starts_with(a)) || owner_dependent(id) {
            continue;
        }
        seen += 1;
        assert!(
            r["status"] == "pass" || r["status"] == "not_applicable",
            "{id}: {r}"
        );
    }
    assert!(seen >= 40, "only {seen} system rules ran");
}
