//! End-to-end tests: known vulnerabilities (`scan --feeds`) with the real binary, on the
//! Debian 12 vulnerability host tree (`tests/fixtures/vuln/hosts/debian`), the RHEL 9 host
//! (`tests/hosts/rhel`, rpmdb written by the real `rpm`), the real KEV catalog and
//! Vulnrichment records (copies in `tests/fixtures/vuln/shared/`), and OSV records whose
//! Debian truth comes from real changelogs (`tests/fixtures/vuln/gen_debian_osv.py`).

use crate::util::{agent, copy_tree, fixture, host, result, scan_json};
use std::path::{Path, PathBuf};

const NOT_STALE: &[&str] = &["--feeds-max-age-days", "100000"];

fn deb_host() -> PathBuf {
    fixture("vuln/hosts/debian")
}

fn feeds() -> PathBuf {
    fixture("vuln/feeds")
}

fn scan(root: &Path, feeds: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let f = feeds.to_str().unwrap().to_string();
    let mut args: Vec<&str> = vec!["--feeds", &f];
    args.extend_from_slice(extra);
    scan_json(root, &args)
}

/// (cve, package, installed, fixed, kev) of every finding.
fn findings(r: &serde_json::Value) -> Vec<(String, String, String, Option<String>, bool)> {
    r["vulnerabilities"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|v| {
            (
                v["cve"].as_str().unwrap().to_string(),
                v["package"].as_str().unwrap().to_string(),
                v["installed_version"].as_str().unwrap().to_string(),
                v["fixed_version"].as_str().map(str::to_string),
                !v["kev"].is_null(),
            )
        })
        .collect()
}

fn f(
    cve: &str,
    pkg: &str,
    inst: &str,
    fixed: &str,
    kev: bool,
) -> (String, String, String, Option<String>, bool) {
    (cve.into(), pkg.into(), inst.into(), Some(fixed.into()), kev)
}

fn feeds_dir_with(osv: &[&str], kev: bool) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let o = d.path().join("osv");
    std::fs::create_dir_all(&o).unwrap();
    for rel in osv {
        let src = fixture("vuln/osv").join(rel);
        std::fs::copy(&src, o.join(src.file_name().unwrap())).unwrap();
    }
    if kev {
        std::fs::create_dir_all(d.path().join("kev")).unwrap();
        std::fs::copy(
            fixture("vuln/shared/kev/known_exploited_vulnerabilities.json"),
            d.path().join("kev/known_exploited_vulnerabilities.json"),
        )
        .unwrap();
    }
    d
}

#[test]
fn debian_host_names_each_open_kev_cve_its_package_fix_and_due_date() {
    let (code, r) = scan(&deb_host(), &feeds(), NOT_STALE);
    assert_eq!(code, 1);
    let expected = vec![
        f(
            "CVE-2023-44487",
            "libnghttp2-14",
            "1.52.0-1+b1",
            "1.52.0-1+deb12u1",
            true,
        ),
        f(
            "CVE-2023-4911",
            "libc-bin",
            "2.36-9+deb12u1",
            "2.36-9+deb12u3",
            true,
        ),
        f(
            "CVE-2023-4911",
            "libc6",
            "2.36-9+deb12u1",
            "2.36-9+deb12u3",
            true,
        ),
        f(
            "CVE-2024-36971",
            "linux-image-6.1.0-17-amd64",
            "6.1.69-1",
            "6.1.94-1",
            true,
        ),
        f(
            "CVE-2025-48384",
            "git",
            "1:2.39.2-1.1",
            "1:2.39.5-0+deb12u3",
            true,
        ),
        // Vulnrichment says not automatable: internal, KEV, total → 14 days, after the
        // three-day ones (unknown SSVC is taken as automatable and total).
        f(
            "CVE-2024-1086",
            "linux-image-6.1.0-17-amd64",
            "6.1.69-1",
            "6.1.76-1",
            true,
        ),
        f(
            "CVE-2025-26465",
            "openssh-client",
            "1:9.2p1-2+deb12u4",
            "1:9.2p1-2+deb12u5",
            false,
        ),
    ];
    // Not there: libwebp7 and openssh-server are at the fixed version, the Debian 11 record
    // and the withdrawn record do not apply, the installed-but-not-running kernel 6.1.0-18
    // and linux-libc-dev carry no running kernel code, glibc-doc is config-files only.
    assert_eq!(findings(&r), expected);
    let v = &r["vulnerabilities"];
    let k = &v[5];
    assert_eq!(k["kev"]["date_added"], "2024-05-30");
    assert_eq!(k["kev"]["due_date"], "2024-06-20");
    assert_eq!(
        k["ssvc"]["automatable"], "no",
        "CVE-2024-1086 from Vulnrichment"
    );
    assert_eq!(k["ssvc"]["technical_impact"], "total");
    assert_eq!(k["bod_26_04"]["band"], "14d");
    assert_eq!(k["bod_26_04"]["table_verified"], false);
    assert!(
        k["note"]
            .as_str()
            .unwrap()
            .contains("installed but not booted"),
        "{k}"
    );
    // Without Vulnrichment data the SSVC values are unknown (null), never "no".
    assert!(v[1]["ssvc"]["automatable"].is_null());
    assert_eq!(
        v[1]["fix_available"], true,
        "libc-bin 2.36-9+deb12u3 is in the security list"
    );
    assert_eq!(v[5]["fix_available"], false, "no list offers git");
    assert!(v[0]["note"]
        .as_str()
        .unwrap()
        .contains("source package nghttp2 1.52.0-1"));
    let kevr = result(&r, "vuln.kev");
    assert_eq!(kevr["status"], "fail");
    let msg = kevr["message"].as_str().unwrap();
    assert!(
        msg.starts_with("6 known-exploited (KEV) CVEs open: CVE-2023-44487 in libnghttp2-14"),
        "{msg}"
    );
    assert_eq!(kevr["evidence"].as_array().unwrap().len(), 6);
    // Feeds: the malformed OSV record is named, the withdrawn one counted.
    let osv = &r["feeds"]["feeds"][0];
    assert_eq!(osv["withdrawn"], 1);
    assert_eq!(osv["malformed_count"], 1);
    assert!(osv["malformed"][0]
        .as_str()
        .unwrap()
        .contains("MALFORMED-truncated.json: not an OSV record"));
    assert_eq!(r["feeds"]["feeds"][1]["records"], 1404);
    // The inventory: packages with source names and versions, the kernels.
    let inv = &r["inventory"];
    assert_eq!(inv["format"], "dpkg");
    assert_eq!(inv["ecosystem"], "Debian:12");
    assert_eq!(
        inv["count"], 10,
        "glibc-doc (config-files) is not inventoried"
    );
    assert_eq!(inv["kernel"]["running_release"], "6.1.0-17-amd64");
    assert_eq!(inv["kernel"]["running_version"], "6.1.69-1");
    let ng = inv["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "libnghttp2-14")
        .unwrap();
    assert_eq!(ng["source"], "nghttp2");
    assert_eq!(ng["source_version"], "1.52.0-1");
    // Nothing is overdue: the packages were first seen today (their dpkg .list files are new).
    assert_eq!(result(&r, "vuln.bod_26_04_overdue")["status"], "pass");
}

fn set_mtime(p: &Path, unix: u64) {
    let f = std::fs::File::options().write(true).open(p).unwrap();
    f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix))
        .unwrap();
}

#[test]
fn clock_starts_at_the_kev_listing_when_the_host_carried_the_package_before_it() {
    let d = tempfile::tempdir().unwrap();
    copy_tree(&deb_host(), d.path());
    // libc6 installed 2023-01-01, before CVE-2023-4911 was listed (2023-11-21).
    set_mtime(
        &d.path().join("var/lib/dpkg/info/libc6:amd64.list"),
        1_672_531_200,
    );
    let (_, r) = scan(d.path(), &feeds(), NOT_STALE);
    let libc = r["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["package"] == "libc6")
        .unwrap();
    assert_eq!(libc["bod_26_04"]["clock_start"], "2023-11-21");
    assert_eq!(
        libc["bod_26_04"]["band"], "3d",
        "internal, KEV, unknown SSVC taken as automatable/total: CERT/CC row 13"
    );
    assert_eq!(libc["bod_26_04"]["forensic_triage"], true);
    assert_eq!(libc["bod_26_04"]["due"], "2023-11-24");
    assert_eq!(libc["bod_26_04"]["overdue"], true);
    let od = result(&r, "vuln.bod_26_04_overdue");
    assert_eq!(od["status"], "fail");
    let m = od["message"].as_str().unwrap();
    assert!(
        m.starts_with("1 finding past its BOD 26-04 due date open: CVE-2023-4911 in libc6"),
        "{m}"
    );
    assert!(
        m.contains("not verified against the directive's own text"),
        "{m}"
    );
    let ssh = |r: &serde_json::Value| {
        r["vulnerabilities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["cve"] == "CVE-2025-26465")
            .unwrap()["bod_26_04"]
            .clone()
    };
    // Not in KEV, unknown SSVC: 60 days on an internal asset (row 10)…
    assert_eq!(ssh(&r)["band"], "60d");
    // Publicly exposed: the three-day band with forensic triage for the KEV CVE, and three
    // days without it for the one not in KEV (row 14).
    let (_, r) = scan(
        d.path(),
        &feeds(),
        &["--feeds-max-age-days", "100000", "--exposure", "public"],
    );
    let libc = r["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["package"] == "libc6")
        .unwrap();
    assert_eq!(libc["exposure"], "public");
    assert_eq!(libc["bod_26_04"]["band"], "3d");
    assert_eq!(libc["bod_26_04"]["forensic_triage"], true);
    assert_eq!(libc["bod_26_04"]["due"], "2023-11-24");
    assert_eq!(libc["bod_26_04"]["assumed"].as_array().unwrap().len(), 2);
    assert_eq!(ssh(&r)["band"], "3d");
    assert_eq!(ssh(&r)["forensic_triage"], false);
}

#[test]
fn a_stale_absent_or_broken_feed_never_makes_a_clean_host() {
    // Only the libwebp record: the host has its fixed version, so nothing is open.
    let d = feeds_dir_with(&["debian/DEBIAN-CVE-2023-4863.json"], true);
    let (code, r) = scan(&deb_host(), d.path(), &[]);
    assert_eq!(code, 1);
    assert!(r["vulnerabilities"].is_null() || r["vulnerabilities"].as_array().unwrap().is_empty());
    let k = result(&r, "vuln.kev");
    assert_eq!(
        k["status"], "error",
        "the real catalog is from 2025-08-25: stale"
    );
    assert!(
        k["message"].as_str().unwrap().contains("the kev feed is"),
        "{k}"
    );
    assert_eq!(r["feeds"]["feeds"][1]["stale"], true);
    // Fresh enough: a clean pass that names the feeds.
    let (_, r) = scan(&deb_host(), d.path(), NOT_STALE);
    assert_eq!(
        result(&r, "vuln.kev")["status"],
        "pass",
        "{}",
        result(&r, "vuln.kev")
    );
    assert_eq!(result(&r, "vuln.bod_26_04_overdue")["status"], "pass");
    assert!(result(&r, "vuln.kev")["message"]
        .as_str()
        .unwrap()
        .contains("kev 2025.08.25"));
    // No KEV catalog: said, not taken as "nothing is exploited".
    let d = feeds_dir_with(&["debian/DEBIAN-CVE-2023-4863.json"], false);
    let (_, r) = scan(&deb_host(), d.path(), NOT_STALE);
    let k = result(&r, "vuln.kev");
    assert_eq!(k["status"], "error");
    assert!(
        k["message"]
            .as_str()
            .unwrap()
            .contains("the kev feed is absent"),
        "{k}"
    );
    // A KEV file of the wrong schema.
    std::fs::create_dir_all(d.path().join("kev")).unwrap();
    std::fs::write(
        d.path().join("kev/known_exploited_vulnerabilities.json"),
        br#"{"vulns":[]}"#,
    )
    .unwrap();
    let (_, r) = scan(&deb_host(), d.path(), NOT_STALE);
    let k = result(&r, "vuln.kev");
    assert_eq!(k["status"], "error");
    assert!(
        k["message"]
            .as_str()
            .unwrap()
            .contains("not a CISA KEV catalog"),
        "{k}"
    );
    // A truncated zip export: the OSV feed cannot be read whole.
    let d = feeds_dir_with(&[], true);
    std::fs::write(d.path().join("osv/all.zip"), b"PK\x03\x04 truncated").unwrap();
    let (_, r) = scan(&deb_host(), d.path(), NOT_STALE);
    let k = result(&r, "vuln.kev");
    assert_eq!(k["status"], "error");
    assert!(
        k["message"]
            .as_str()
            .unwrap()
            .contains("not a readable zip archive"),
        "{k}"
    );
}

#[test]
fn an_osv_zip_export_gives_the_same_findings_as_the_directory() {
    let d = feeds_dir_with(&[], true);
    let zpath = d.path().join("osv/all.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&zpath).unwrap());
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for sub in ["debian", "special"] {
        for e in std::fs::read_dir(fixture("vuln/osv").join(sub)).unwrap() {
            let p = e.unwrap().path();
            z.start_file(p.file_name().unwrap().to_str().unwrap(), opts)
                .unwrap();
            std::io::Write::write_all(&mut z, &std::fs::read(&p).unwrap()).unwrap();
        }
    }
    z.finish().unwrap();
    let (_, from_zip) = scan(&deb_host(), d.path(), NOT_STALE);
    let (_, from_dir) = scan(&deb_host(), &feeds(), NOT_STALE);
    let strip = |r: &serde_json::Value| {
        let mut v = findings(r);
        v.retain(|x| !x.0.is_empty());
        v
    };
    let sorted = |mut v: Vec<_>| {
        v.sort();
        v
    };
    assert_eq!(sorted(strip(&from_zip)), sorted(strip(&from_dir)));
    let osv = &from_zip["feeds"]["feeds"][0];
    assert_eq!(osv["malformed_count"], 1);
    assert!(
        osv["malformed"][0]
            .as_str()
            .unwrap()
            .contains("all.zip:MALFORMED-truncated.json"),
        "{osv}"
    );
}

#[test]
fn rhel_host_is_judged_from_the_rpm_database_and_the_running_kernel() {
    let d = tempfile::tempdir().unwrap();
    let o = d.path().join("osv");
    copy_tree(&fixture("vuln/osv/rhel"), &o);
    std::fs::create_dir_all(d.path().join("kev")).unwrap();
    std::fs::copy(
        fixture("vuln/shared/kev/known_exploited_vulnerabilities.json"),
        d.path().join("kev/known_exploited_vulnerabilities.json"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        fixture("vuln/shared/vulnrichment"),
        d.path().join("vulnrichment"),
    )
    .unwrap();
    let (_, r) = scan(&host("rhel"), d.path(), NOT_STALE);
    let mut got = findings(&r);
    got.sort();
    assert_eq!(
        got,
        vec![
            f(
                "CVE-2021-3156",
                "sudo",
                "1.9.5p2-10.el9_3",
                "1.9.5p2-11.el9_5",
                true
            ),
            f(
                "CVE-2024-1086",
                "kernel-core",
                "5.14.0-427.13.1.el9_4",
                "0:5.14.0-427.16.1.el9_4",
                true
            ),
        ],
        "openssh-server is at the fixed version; the AlmaLinux record does not apply to RHEL"
    );
    let k = r["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["package"] == "kernel-core")
        .unwrap();
    let note = k["note"].as_str().unwrap();
    assert!(
        note.contains("running kernel 5.14.0-427.13.1.el9_4.x86_64"),
        "{note}"
    );
    assert!(
        note.contains("5.14.0-503.11.1.el9_5 is installed but not booted"),
        "{note}"
    );
    // rpm's INSTALLTIME (2026-11-22) is after the KEV listings: the clock starts there.
    assert_eq!(k["bod_26_04"]["clock_start"], "2026-11-22");
    assert_eq!(r["inventory"]["format"], "rpm");
    assert_eq!(r["inventory"]["ecosystem"], "Red Hat:9");
    assert_eq!(result(&r, "vuln.kev")["status"], "fail");
}

#[test]
fn without_feeds_the_rules_are_not_applicable_and_the_inventory_is_reported() {
    let (_, r) = scan_json(&deb_host(), &[]);
    for id in ["vuln.kev", "vuln.bod_26_04_overdue"] {
        let x = result(&r, id);
        assert_eq!(x["status"], "not_applicable");
        assert!(x["message"].as_str().unwrap().contains("--feeds"), "{x}");
    }
    assert!(r.get("vulnerabilities").is_none() && r.get("feeds").is_none());
    assert_eq!(r["inventory"]["count"], 10);
    assert!(r["inventory"]["digest"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    // A feeds directory that does not exist is a usage error (exit 2), not an empty feed.
    let out = agent(&[
        "scan",
        "--root",
        deb_host().to_str().unwrap(),
        "--feeds",
        "/nonexistent/feeds",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("feeds directory /nonexistent/feeds: not a directory"));
}

#[test]
fn every_osv_fixture_validates_against_the_osv_schema() {
    let schema: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture("vuln/shared/osv/schema.json")).unwrap())
            .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut n = 0;
    for sub in ["debian", "rhel", "special"] {
        for e in std::fs::read_dir(fixture("vuln/osv").join(sub)).unwrap() {
            let p = e.unwrap().path();
            if p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("MALFORMED")
            {
                continue;
            }
            let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
            let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{}: {errors:?}", p.display());
            n += 1;
        }
    }
    assert!(n >= 13, "{n}");
}

#[test]
fn prom_and_table_outputs_carry_the_findings() {
    let root = deb_host();
    let f = feeds();
    let args = [
        "scan",
        "--root",
        root.to_str().unwrap(),
        "--feeds",
        f.to_str().unwrap(),
        "--feeds-max-age-days",
        "100000",
        "--rule",
        "vuln.kev",
    ];
    let mut a = args.to_vec();
    a.extend(["--format", "prom"]);
    let out = agent(&a);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("hardline_agent_vulnerabilities{kev=\"true\",band=\"3d\"} 5\n")
            && text.contains("hardline_agent_vulnerabilities{kev=\"true\",band=\"14d\"} 1\n"),
        "{text}"
    );
    assert!(text.contains("hardline_agent_vulnerabilities{kev=\"false\",band=\"60d\"} 1\n"));
    assert!(text.contains("hardline_agent_vulnerabilities_overdue{band=\"3d\"} 0\n"));
    assert!(
        text.contains("hardline_agent_feed_updated_timestamp_seconds{feed=\"kev\"} 1756080000\n")
    );
    match hardline_agent::testutil::promtool_check_metrics(&text) {
        Some(Err(e)) => panic!("promtool: {e}"),
        None if std::env::var_os("CI").is_some() => panic!("promtool is required in CI"),
        _ => {}
    }
    let mut a = args.to_vec();
    a.extend(["--format", "table"]);
    let out = agent(&a);
    let text = String::from_utf8(out.stdout).unwrap();
    let first_kev = text
        .find("KEV  CVE-2023-44487")
        .expect("KEV findings listed");
    let other = text.find("CVE-2025-26465").unwrap();
    assert!(first_kev < other, "KEV findings first:\n{text}");
    assert!(
        text.contains("due 2026-12-") || text.contains("OVERDUE"),
        "{text}"
    );
    assert!(
        text.contains(
            "from CERT/CC's cisa:DT_BOD2604:1.0.0, not verified against the directive's own text"
        ),
        "{text}"
    );
    assert!(
        text.contains("fix: apt-get install --only-upgrade libc-bin libc6"),
        "{text}"
    );
    assert!(
        text.contains("MALFORMED-truncated.json"),
        "malformed records are said:\n{text}"
    );
}

#[test]
fn oscal_carries_each_finding_as_an_observation_and_an_open_risk_and_validates() {
    let root = deb_host();
    let f = feeds();
    let out = agent(&[
        "scan",
        "--root",
        root.to_str().unwrap(),
        "--feeds",
        f.to_str().unwrap(),
        "--feeds-max-age-days",
        "100000",
        "--rule",
        "vuln.kev",
        "--format",
        "oscal",
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let schema: serde_json::Value = serde_json::from_slice(
        &std::fs::read(crate::util::tests_dir().join("schemas/oscal_complete_schema.json"))
            .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::draft7::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let result = &doc["assessment-results"]["results"][0];
    let obs = result["observations"].as_array().unwrap();
    let risks = result["risks"].as_array().unwrap();
    // One rule result plus seven findings.
    assert_eq!(obs.len(), 8);
    assert_eq!(
        risks.len(),
        1 + 7,
        "the failing vuln.kev rule and one risk per finding"
    );
    let libc = risks
        .iter()
        .find(|r| {
            r["title"]
                .as_str()
                .unwrap()
                .starts_with("Known-exploited CVE-2023-4911 in libc6")
        })
        .unwrap();
    assert_eq!(libc["status"], "open");
    assert_eq!(
        libc["deadline"],
        format!(
            "{}T23:59:59Z",
            libc["props"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == "bod-26-04-due")
                .unwrap()["value"]
                .as_str()
                .unwrap()
        )
    );
    assert!(libc["statement"].as_str().unwrap().contains("not verified"));
}
