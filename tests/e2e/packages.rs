//! End-to-end tests: packages and patch currency (`package` and `patch` check types) with the
//! real binary, on the hardened and weak Debian 12 hosts and the RHEL 9 host (sqlite rpmdb).

use crate::util::{copy_tree, fixture, materialize, result, scan_json};

/// The rules of policies/baseline/packages.yaml and patch.yaml, from the built-in catalogue
/// (each is proven both ways on its own fixtures by the `rules` walker, tests/rules/).
fn package_rules() -> Vec<String> {
    hardline_agent::policy::Policy::builtin()
        .unwrap()
        .rules
        .iter()
        .filter(|r| r.id.starts_with("pkg.") || r.id.starts_with("patch."))
        .map(|r| r.id.clone())
        .collect()
}

/// The rules other programs rely on (DESIGN.md).
const MANDATED: &[&str] = &[
    "pkg.no_telnet_server",
    "patch.security_updates",
    "patch.reboot_required",
];

fn scan_rules(root: &std::path::Path) -> (i32, serde_json::Value) {
    let rules = package_rules();
    let mut args: Vec<&str> = Vec::new();
    for r in &rules {
        args.push("--rule");
        args.push(r);
    }
    scan_json(root, &args)
}

fn status<'a>(report: &'a serde_json::Value, id: &str) -> &'a str {
    result(report, id)["status"].as_str().unwrap()
}

fn message<'a>(report: &'a serde_json::Value, id: &str) -> &'a str {
    result(report, id)["message"].as_str().unwrap()
}

/// Every file under `dir` with its size and content hash-ish (bytes), to prove the scan
/// wrote nothing.
fn snapshot(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let ty = e.file_type().unwrap();
            let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
            if ty.is_dir() {
                stack.push(e.path());
            } else if ty.is_file() {
                out.push((rel, std::fs::read(e.path()).unwrap()));
            } else {
                out.push((rel, Vec::new()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn hardened_host_passes_every_package_and_patch_rule() {
    let root = materialize("hardened");
    let (code, report) = scan_rules(root.path());
    let rules = package_rules();
    assert_eq!(report["results"].as_array().unwrap().len(), rules.len());
    for id in &rules {
        let s = status(&report, id);
        assert!(
            s == "pass" || s == "not_applicable",
            "{id}: {s}: {}",
            message(&report, id)
        );
    }
    for id in MANDATED {
        assert_eq!(status(&report, id), "pass", "{id}");
    }
    // The Debian 12 regreSSHion rule applies here and passes; the other OS rules do not apply.
    assert_eq!(
        status(&report, "pkg.openssh_cve_2024_6387_debian12"),
        "pass"
    );
    assert_eq!(
        status(&report, "pkg.openssh_cve_2024_6387_rhel9"),
        "not_applicable"
    );
    assert_eq!(code, 0);
}

#[test]
fn weak_host_fails_the_mandated_rules_and_says_where() {
    let root = materialize("weak");
    let (code, report) = scan_rules(root.path());
    assert_eq!(code, 1);
    for id in MANDATED {
        let r = result(&report, id);
        assert_eq!(r["status"], "fail", "{id}: {r}");
        assert!(
            r["evidence"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["path"].is_string()),
            "{id}: {r}"
        );
    }
    let m = message(&report, "pkg.no_telnet_server");
    assert!(
        m.contains("telnetd 0.17+2.4-2+deb12u1 (amd64) at /var/lib/dpkg/status:"),
        "{m}"
    );
    let m = message(&report, "patch.security_updates");
    assert!(
        m.contains("openssl 3.0.14-1~deb12u2 → 3.0.15-1~deb12u1"),
        "{m}"
    );
    assert!(m.contains("security lists dated 2026-11-20"), "{m}");
    let r = result(&report, "patch.security_updates");
    assert!(r["evidence"][0]["path"]
        .as_str()
        .unwrap()
        .ends_with("_bookworm-security_main_binary-amd64_Packages"));
    let m = message(&report, "patch.reboot_required");
    assert!(
        m.contains(
            "/run/reboot-required is present (requested by linux-image-6.1.0-26-amd64, libssl3)"
        ),
        "{m}"
    );
    assert!(
        m.contains("running kernel 6.1.0-25-amd64 is older than the installed linux-image-6.1.0-26-amd64 6.1.112-1"),
        "{m}"
    );
    assert_eq!(
        status(&report, "pkg.openssh_cve_2024_6387_debian12"),
        "fail"
    );
    for id in [
        "pkg.no_rsh_server",
        "pkg.no_nis_server",
        "pkg.aide_installed",
    ] {
        assert_eq!(status(&report, id), "fail", "{id}");
    }
}

#[test]
fn weak_host_as_an_offline_image_judges_the_reboot_flag_alone() {
    let root = materialize("weak");
    std::fs::remove_dir_all(root.path().join("proc")).unwrap();
    let (_, report) = scan_json(root.path(), &["--rule", "patch.reboot_required"]);
    assert_eq!(status(&report, "patch.reboot_required"), "fail");
    let m = message(&report, "patch.reboot_required");
    assert!(
        m.contains(
            "no /proc under the root (offline image): judged by the reboot-required flag alone"
        ),
        "{m}"
    );
    assert!(!m.contains("running kernel"), "{m}");
}

#[test]
fn rhel_host_reads_the_rpm_database_and_writes_nothing() {
    let root = materialize("rhel");
    let before = snapshot(root.path());
    let (code, report) = scan_rules(root.path());
    assert_eq!(code, 1);
    let r = result(&report, "pkg.no_telnet_server");
    assert_eq!(r["status"], "fail", "{r}");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("telnet-server 1:0.17-85.el9 (x86_64) at /var/lib/rpm/rpmdb.sqlite header "),
        "{r}"
    );
    assert_eq!(r["evidence"][0]["path"], "/var/lib/rpm/rpmdb.sqlite");
    assert_eq!(status(&report, "pkg.openssh_cve_2024_6387_rhel9"), "pass");
    assert_eq!(status(&report, "pkg.auditd_installed"), "pass");
    assert_eq!(
        status(&report, "pkg.openssh_cve_2024_6387_debian12"),
        "not_applicable"
    );
    // Pending advisories from the cached dnf updateinfo (gz, xz and zst).
    assert_eq!(status(&report, "patch.security_updates"), "fail");
    assert!(message(&report, "patch.security_updates")
        .starts_with("5 installed packages have a pending security advisory: aide "));
    assert_eq!(status(&report, "patch.os_supported"), "pass");
    let m = message(&report, "patch.reboot_required");
    assert!(
        m.contains("running kernel 5.14.0-427.13.1.el9_4.x86_64 is older than the installed kernel-core 5.14.0-503.11.1.el9_5"),
        "{m}"
    );
    // No -wal, -shm, journal or lock file appeared; the database bytes are unchanged.
    assert_eq!(snapshot(root.path()), before);
}

#[test]
fn berkeley_db_rpm_host_is_an_error_not_a_pass() {
    let root = materialize("rhel");
    let rpm = root.path().join("var/lib/rpm");
    std::fs::remove_file(rpm.join("rpmdb.sqlite")).unwrap();
    std::fs::write(rpm.join("Packages"), [0u8, 6, 0x15, 0x61]).unwrap();
    let (code, report) = scan_json(root.path(), &["--rule", "pkg.no_telnet_server"]);
    assert_eq!(code, 1);
    let r = result(&report, "pkg.no_telnet_server");
    assert_eq!(r["status"], "error", "{r}");
    assert!(
        r["message"].as_str().unwrap().contains("Berkeley DB"),
        "{r}"
    );
}

/// The RHEL 9 host with its dnf cache replaced by a fixture's (tests/fixtures/patch/rpm_*,
/// made by make-rpm-updateinfo.py); the rpmdb stays the host's.
fn rhel_with_cache(case: &str) -> tempfile::TempDir {
    let root = materialize("rhel");
    std::fs::remove_dir_all(root.path().join("var/cache/dnf")).unwrap();
    let cache = fixture(&format!("patch/{case}/var/cache"));
    if cache.exists() {
        copy_tree(&cache, &root.path().join("var/cache"));
    }
    root
}

#[test]
fn rhel_security_advisories_from_the_dnf_cache() {
    // Fail: pending advisories, each named, with the dnf command that installs them all.
    let root = materialize("rhel");
    let (code, report) = scan_json(root.path(), &["--rule", "patch.security_updates"]);
    assert_eq!(code, 1);
    let r = result(&report, "patch.security_updates");
    assert_eq!(r["status"], "fail", "{r}");
    let m = r["message"].as_str().unwrap();
    for want in [
        "sudo 1.9.5p2-10.el9_3 → 1.9.5p2-10.el9_5 (RHSA-2025:1101, Important)",
        "tzdata 2024a-1.el9 → 2025a-1.el9 (RHSA-2025:0500, Low)",
        "generated 2026-11-20",
        "fix: dnf upgrade --advisory FEDORA-EPEL-2025-1a2b3c4d5e --advisory RHSA-2025:0210 \
         --advisory RHSA-2025:0400 --advisory RHSA-2025:0500 --advisory RHSA-2025:1101",
    ] {
        assert!(m.contains(want), "{want}: {m}");
    }
    assert!(!m.contains("kernel-core"), "{m}");
    let ev = r["evidence"].as_array().unwrap();
    assert_eq!(ev.len(), 5);
    assert!(ev[0]["path"]
        .as_str()
        .unwrap()
        .ends_with("-updateinfo.xml.zst"));
    assert!(ev[0]["line"].is_u64(), "{r}");
    assert_eq!(
        ev[0]["expected"],
        ">= 0.16-101.el9 (FEDORA-EPEL-2025-1a2b3c4d5e)"
    );

    // Pass: everything installed is at or above the fixed builds.
    let root = rhel_with_cache("rpm_current");
    let (code, report) = scan_json(root.path(), &["--rule", "patch.security_updates"]);
    let r = result(&report, "patch.security_updates");
    assert_eq!(r["status"], "pass", "{r}");
    assert_eq!(code, 0);

    // Errors, never a pass: corrupt file, checksum mismatch, no cache.
    for (case, want) in [
        ("rpm_corrupt", "cannot decompress xz"),
        ("rpm_checksum", "sha256 checksum mismatch"),
        (
            "rpm_nocache",
            "no dnf/yum repository metadata cached (run `dnf makecache`)",
        ),
    ] {
        let root = rhel_with_cache(case);
        let (code, report) = scan_json(root.path(), &["--rule", "patch.security_updates"]);
        let r = result(&report, "patch.security_updates");
        assert_eq!(r["status"], "error", "{case}: {r}");
        assert!(r["message"].as_str().unwrap().contains(want), "{case}: {r}");
        assert_eq!(code, 1, "{case}");
    }
}

#[test]
fn rhel_unreadable_dnf_cache_is_an_error() {
    // The cache root, or one repository's directory in it: an error, never a repository
    // silently left out.
    use std::os::unix::fs::PermissionsExt;
    for locked in [
        "var/cache/dnf",
        "var/cache/dnf/rhel-9-for-x86_64-baseos-rpms-3f1c2a9b8d7e6f50",
    ] {
        let root = materialize("rhel");
        std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let dir = root.path().join(locked);
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o000)).unwrap();
        let (_, report) =
            crate::util::scan_json_unprivileged(root.path(), &["--rule", "patch.security_updates"]);
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let r = result(&report, "patch.security_updates");
        assert_eq!(r["status"], "error", "{locked}: {r}");
        let m = r["message"].as_str().unwrap();
        assert!(m.contains(&format!("/{locked}")), "{m}");
        assert!(m.contains("ermission denied"), "{m}");
    }
}
