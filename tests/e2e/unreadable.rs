//! Issue 15 item 4, every check type: a directory or file the configured program would
//! have read (as root) and the scan cannot (mode 000, scanned as an unprivileged user)
//! makes the dependent rule `error`, never the verdict of a silently shorter configuration.
//! Each case is a fixture in `tests/fixtures/<type>/unreadable_*`; with the path readable
//! again the same rule is not an error.

use crate::util::{fixture, locked_copy, result, scan_json_unprivileged};
use std::os::unix::fs::PermissionsExt;

/// (fixture, locked host path, rule id, policy fixture replacing the baseline)
const CASES: &[(&str, &str, &str, Option<&str>)] = &[
    (
        "sysctl/unreadable_dir",
        "/etc/sysctl.d",
        "sysctl.net_ipv4_ip_forward",
        None,
    ),
    (
        "kernel_module/unreadable_dir",
        "/etc/modprobe.d",
        "module.cramfs_disabled",
        None,
    ),
    (
        "audit_rule/unreadable_dir",
        "/etc/audit/rules.d",
        "audit.identity_files",
        None,
    ),
    (
        "keyvalue/unreadable_dropin",
        "/etc/security/pwquality.conf.d",
        "pwquality.minlen",
        None,
    ),
    (
        "service/unreadable_dropin",
        "/etc/systemd/system/dropin.service.d",
        "test.dropin_not_enabled",
        Some("service/unreadable_dropin.policy.yaml"),
    ),
    (
        "file/unreadable_glob",
        "/etc/cron.d",
        "test.cron_d_permissions",
        Some("file/unreadable_glob.policy.yaml"),
    ),
    (
        "patch/unreadable_release",
        "/var/lib/apt/lists/deb.debian.org_debian-security_dists_bookworm-security_InRelease",
        "patch.security_updates",
        None,
    ),
    (
        "mount/unreadable_fstab",
        "/etc/fstab",
        "mount.tmp_options",
        None,
    ),
];

#[test]
fn an_unreadable_path_is_an_error_for_every_check_type() {
    for (rel, locked, rule, policy) in CASES {
        let root = locked_copy(rel, &[locked]);
        let policy_path = policy.map(|p| fixture(p).to_str().unwrap().to_string());
        let mut args = vec!["--rule", rule];
        if let Some(p) = &policy_path {
            args.extend(["--no-builtin", "--policy", p]);
        }
        let (_, report) = scan_json_unprivileged(root.path(), &args);
        let r = result(&report, rule);
        assert_eq!(r["status"], "error", "{rel}: {r}");
        let name = locked.rsplit('/').next().unwrap();
        assert!(
            r.to_string().contains(name),
            "{rel}: the reason names {name}: {r}"
        );
        std::fs::set_permissions(
            root.path().join(locked.trim_start_matches('/')),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        let (_, report) = scan_json_unprivileged(root.path(), &args);
        let r = result(&report, rule);
        assert_ne!(r["status"], "error", "{rel} readable: {r}");
    }
}
