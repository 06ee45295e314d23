//! The fleet's known vulnerabilities, end to end: the real agent scans the Debian 12
//! vulnerability host tree and pushes its inventory; `hardline-collector feeds import` brings
//! the fixture feeds (real KEV catalog entries, OSV records from real changelogs); the
//! collector matches centrally with the agent's own matcher. Checked against the agent's
//! own `scan --feeds` of the same tree (the differential oracle), through the read API,
//! the CSV and the metrics; a newer KEV catalog changes the findings with no new push; a
//! push with the package upgraded closes the finding and records its time to fix.

use crate::util::*;
use hardline_agent::testutil::sibling_bin;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub(crate) fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub(crate) fn deb_host() -> PathBuf {
    repo().join("tests/fixtures/vuln/hosts/debian")
}

pub(crate) fn fixture_feeds() -> PathBuf {
    repo().join("tests/fixtures/vuln/feeds")
}

/// The fixture feeds without the records that are malformed on purpose (an import refuses
/// them), in the DESIGN.md layout: what both the agent and the collector read.
pub(crate) fn good_feeds(env: &Env) -> PathBuf {
    let d = env.path().join("feeds-src");
    if d.exists() {
        return d;
    }
    std::fs::create_dir_all(d.join("osv")).unwrap();
    let f = fixture_feeds();
    copy_tree(&f.join("osv/debian"), &d.join("osv/debian"));
    copy_tree(&f.join("osv/rhel"), &d.join("osv/rhel"));
    copy_tree(&f.join("kev"), &d.join("kev"));
    copy_tree(&f.join("vulnrichment"), &d.join("vulnrichment"));
    d
}

pub(crate) fn copy_tree(from: &Path, to: &Path) {
    let st = Command::new("cp")
        .arg("-aL")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(st.success());
}

/// (cve, package, installed, fixed, kev, band) of findings in report/API shape.
type Key = (String, String, String, Option<String>, bool, String);

fn keys(list: &serde_json::Value) -> BTreeSet<Key> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["cve"].as_str().unwrap().to_string(),
                v["package"].as_str().unwrap().to_string(),
                v["installed_version"].as_str().unwrap().to_string(),
                v["fixed_version"].as_str().map(str::to_string),
                !v["kev"].is_null(),
                v["bod_26_04"]["band"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The agent's own findings on `root` with `feeds`.
fn agent_findings(root: &Path, feeds: &Path) -> BTreeSet<Key> {
    agent_findings_as(root, feeds, "internal")
}

/// The agent's own findings on `root` with `feeds`, for a host of `exposure`.
fn agent_findings_as(root: &Path, feeds: &Path, exposure: &str) -> BTreeSet<Key> {
    let o = Command::new(sibling_bin("hardline-agent"))
        .args([
            "scan",
            "--format",
            "json",
            "--feeds-max-age-days",
            "100000",
            "--exposure",
            exposure,
            "--feeds",
        ])
        .arg(feeds)
        .arg("--root")
        .arg(root)
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    keys(&r["vulnerabilities"])
}

pub(crate) fn push(env: &Env, c: &Collector, root: &Path) {
    let token = env.path().join("doe.token");
    std::fs::write(&token, format!("{DOE_AGENT}\n")).unwrap();
    let o = Command::new(sibling_bin("hardline-agent"))
        .args(["scan", "--format", "json", "--output"])
        .arg(env.path().join("last-report.json"))
        .arg("--root")
        .arg(root)
        .arg("--push")
        .arg(&c.ingest)
        .arg("--token-file")
        .arg(&token)
        .arg("--ca-bundle")
        .arg(env.path().join("ca.pem"))
        .output()
        .unwrap();
    assert!(
        matches!(o.status.code(), Some(0) | Some(1)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

pub(crate) fn import(env: &Env, paths: &[&Path]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hardline-collector"))
        .args(["feeds", "import", "--config"])
        .arg(env.config_path())
        .args(paths)
        .output()
        .unwrap()
}

pub(crate) fn hup(c: &Collector) {
    let st = Command::new("kill")
        .arg("-HUP")
        .arg(c.child.id().to_string())
        .status()
        .unwrap();
    assert!(st.success());
}

/// Poll the API until `f` holds on the answer of `path`.
pub(crate) async fn until(
    c: &Collector,
    path: &str,
    what: &str,
    f: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (st, v) = c.get(Some(ALL_VIEWER), path).await;
        if st == 200 && f(&v) {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {st} {v}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn central_matching_follows_the_feeds_and_the_inventories() {
    let env = Env::new(Setup::default());
    let c = env.start();

    // An inventory, no feeds: unknown, never clean.
    push(&env, &c, &deb_host());
    let v = until(&c, "/api/v1/feeds", "the inventory", |v| {
        v["hosts_with_inventory"] == 1
    })
    .await;
    assert_eq!(v["loaded"], false, "{v}");
    assert!(v["warning"].as_str().unwrap().contains("unknown, not zero"));
    let (st, v) = c.get(Some(ALL_VIEWER), "/api/v1/vulnerabilities").await;
    assert_eq!(st, 200);
    assert_eq!(v["feeds_loaded"], false);
    assert_eq!(v["total"], 0);
    let (st, _) = c.get(Some(ALL_VIEWER), "/api/v1/vulnerabilities.csv").await;
    assert_eq!(st, 503, "no CSV that looks like a clean fleet");
    let m = parse_exposition(&c.metrics().await);
    assert_eq!(
        sample(
            &m,
            "hardline_vulnerability_unassessed_hosts",
            &[("agency", "DOE")]
        ),
        Some(1.0)
    );
    assert!(sample(
        &m,
        "hardline_vulnerability_findings",
        &[("agency", "DOE"), ("kev", "true"), ("band", "3d")]
    )
    .is_none());

    // Import the feeds: the collector applies them on SIGHUP, with no new push.
    let feeds = good_feeds(&env);
    let o = import(&env, &[&feeds]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    hup(&c);
    let v = until(
        &c,
        "/api/v1/vulnerabilities?per_page=1000",
        "findings",
        |v| v["feeds_loaded"] == true,
    )
    .await;
    let want = agent_findings(&deb_host(), &feeds);
    assert!(!want.is_empty());
    assert_eq!(
        keys(&v["vulnerabilities"]),
        want,
        "central matching must find exactly what the agent finds"
    );
    let first = &v["vulnerabilities"][0];
    assert!(!first["kev"].is_null(), "KEV first: {first}");
    assert_eq!(first["agency"], "DOE");
    let (_, fv) = c.get(Some(ALL_VIEWER), "/api/v1/feeds").await;
    assert_eq!(fv["loaded"], true, "{fv}");
    assert!(fv["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["feed"] == "kev" && f["records"].as_u64().unwrap() > 1000));

    // Filters, and a token of one agency sees only its own.
    let (_, k) = c
        .get(Some(ALL_VIEWER), "/api/v1/vulnerabilities?kev=false")
        .await;
    assert!(k["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["kev"].is_null()));
    let (_, doj) = c.get(Some(DOJ_VIEWER), "/api/v1/vulnerabilities").await;
    assert_eq!(doj["total"], 0, "{doj}");
    let (st, _) = c
        .get(Some(ALL_VIEWER), "/api/v1/vulnerabilities?band=7d")
        .await;
    assert_eq!(st, 400);

    // Metrics from the same state.
    let m = parse_exposition(&c.metrics().await);
    let kev_findings: f64 = ["3d", "14d", "60d", "next_upgrade"]
        .iter()
        .filter_map(|b| {
            sample(
                &m,
                "hardline_vulnerability_findings",
                &[("agency", "DOE"), ("kev", "true"), ("band", b)],
            )
        })
        .sum();
    let want_kev = want.iter().filter(|k| k.4).count() as f64;
    assert_eq!(kev_findings, want_kev);
    assert_eq!(
        sample(&m, "hardline_kev_vulnerable_hosts", &[("agency", "DOE")]),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &m,
            "hardline_kev_hosts",
            &[("agency", "DOE"), ("cve", "CVE-2023-4911")]
        ),
        Some(1.0)
    );
    assert!(sample(
        &m,
        "hardline_kev_hosts",
        &[("agency", "DOE"), ("cve", "CVE-2025-26465")]
    )
    .is_none());
    assert!(sample(
        &m,
        "hardline_feed_updated_timestamp_seconds",
        &[("feed", "kev")]
    )
    .is_some());

    // CSV: one row per host x finding, for tickets.
    let csv = c
        .client
        .get(format!("{}/api/v1/vulnerabilities.csv", c.read))
        .bearer_auth(ALL_VIEWER)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("agency,host_id,hostname,cve,package"));
    assert_eq!(lines.len(), 1 + want.len(), "{csv}");

    // CISA adds a KEV entry for a CVE on the host: imported alone, it changes the findings
    // without any push.
    let mut cat: serde_json::Value = serde_json::from_slice(
        &std::fs::read(feeds.join("kev/known_exploited_vulnerabilities.json")).unwrap(),
    )
    .unwrap();
    let mut entry = cat["vulnerabilities"][0].clone();
    entry["cveID"] = "CVE-2025-26465".into();
    entry["dateAdded"] = "2026-12-01".into();
    entry["dueDate"] = "2026-12-22".into();
    cat["vulnerabilities"].as_array_mut().unwrap().push(entry);
    cat["catalogVersion"] = "2026.12.01".into();
    cat["count"] = cat["vulnerabilities"].as_array().unwrap().len().into();
    let newer = env.path().join("newer-kev");
    std::fs::create_dir_all(&newer).unwrap();
    let newer_file = newer.join("known_exploited_vulnerabilities.json");
    std::fs::write(&newer_file, serde_json::to_vec(&cat).unwrap()).unwrap();
    let o = import(&env, &[&newer_file]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    hup(&c);
    until(
        &c,
        "/api/v1/vulnerabilities?cve=CVE-2025-26465",
        "the new KEV entry",
        |v| v["vulnerabilities"][0]["kev"]["date_added"] == "2026-12-01",
    )
    .await;
    let m = parse_exposition(&c.metrics().await);
    assert_eq!(
        sample(
            &m,
            "hardline_kev_hosts",
            &[("agency", "DOE"), ("cve", "CVE-2025-26465")]
        ),
        Some(1.0)
    );

    // The host upgrades git: the finding closes, its time to fix is kept.
    let up = env.path().join("upgraded");
    copy_tree(&deb_host(), &up);
    let status = up.join("var/lib/dpkg/status");
    let text = std::fs::read_to_string(&status).unwrap();
    std::fs::write(
        &status,
        text.replace("Version: 1:2.39.2-1.1", "Version: 1:2.39.5-0+deb12u3"),
    )
    .unwrap();
    push(&env, &c, &up);
    until(
        &c,
        "/api/v1/vulnerabilities?cve=CVE-2025-48384",
        "the upgrade",
        |v| v["total"] == 0,
    )
    .await;
    let (_, ttf) = c
        .get(
            Some(ALL_VIEWER),
            "/api/v1/vulnerabilities/time_to_fix?agency=DOE",
        )
        .await;
    let kev = ttf["time_to_fix"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["kev"] == true)
        .unwrap()
        .clone();
    assert_eq!(kev["fixed"], 1, "{ttf}");
    assert!(kev["median_days"].as_f64().unwrap() >= 0.0);
    assert_eq!(
        count_rows(
            &env.db_path(),
            "SELECT COUNT(*) FROM vuln_fixed WHERE cve = 'CVE-2025-48384' AND reason = 'upgraded'"
        ),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_digest_the_collector_lacks_is_asked_for_and_the_host_stays_unassessed() {
    let env = Env::new(Setup::default());
    let o = import(&env, &[&good_feeds(&env)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let c = env.start();
    let o = Command::new(sibling_bin("hardline-agent"))
        .args(["scan", "--format", "json", "--root"])
        .arg(deb_host())
        .output()
        .unwrap();
    let mut r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    r["inventory"].as_object_mut().unwrap().remove("packages");
    r["inventory"]["digest"] = format!("sha256:{}", "ab".repeat(32)).into();
    let (st, v) = c
        .push(Some(DOE_AGENT), serde_json::to_vec(&r).unwrap())
        .await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["inventory_wanted"], true, "{v}");
    until(&c, "/api/v1/feeds", "the inventory", |v| {
        v["hosts_with_inventory"] == 1
    })
    .await;
    let m = parse_exposition(&c.metrics().await);
    assert_eq!(
        sample(
            &m,
            "hardline_vulnerability_unassessed_hosts",
            &[("agency", "DOE")]
        ),
        Some(1.0)
    );

    // A list whose digest is not its own is refused: it would stand for another host's.
    let o = Command::new(sibling_bin("hardline-agent"))
        .args(["scan", "--format", "json", "--root"])
        .arg(deb_host())
        .output()
        .unwrap();
    let mut r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    r["report_id"] = uuid::Uuid::new_v4().to_string().into();
    r["inventory"]["digest"] = format!("sha256:{}", "cd".repeat(32)).into();
    let (st, v) = c
        .push(Some(DOE_AGENT), serde_json::to_vec(&r).unwrap())
        .await;
    assert_eq!(st, 400, "{v}");
    assert!(v["error"].as_str().unwrap().contains("digest"), "{v}");
}

const PUBLIC_WEB: &str = r#"
[[host]]
agency = "DOE"
host = "*"
exposure = "public"
set_by = "J. Smith, ISSO"
set_at = 2026-12-01
reason = "perimeter scan found it on the internet"
"#;

/// `(cve, package) -> first_seen` of a findings list.
fn first_seen(list: &serde_json::Value) -> std::collections::BTreeMap<(String, String), String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                (
                    v["cve"].as_str().unwrap().to_string(),
                    v["package"].as_str().unwrap().to_string(),
                ),
                v["first_seen"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exposure_override_moves_the_clocks_and_says_who_set_it() {
    let env = Env::new(Setup {
        exposure: Some(String::new()),
        ..Setup::default()
    });
    let feeds = good_feeds(&env);
    let o = import(&env, &[&feeds]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let c = env.start();
    push(&env, &c, &deb_host());
    let all = "/api/v1/vulnerabilities?per_page=1000";
    let v = until(&c, all, "findings", |v| v["total"].as_u64() > Some(0)).await;
    let internal = agent_findings_as(&deb_host(), &feeds, "internal");
    let public = agent_findings_as(&deb_host(), &feeds, "public");
    assert_ne!(
        internal, public,
        "the fixture must have a finding whose band depends on exposure"
    );
    assert_eq!(keys(&v["vulnerabilities"]), internal);
    let x = &v["vulnerabilities"][0];
    assert_eq!(
        (&x["exposure"], &x["exposure_source"]),
        (&"internal".into(), &"default".into()),
        "{x}"
    );
    assert!(x["exposure_override"].is_null());
    let seen = first_seen(&v["vulnerabilities"]);

    // The security team marks the host public: the clocks follow, with no new push, and
    // every finding says who decided and when.
    std::fs::write(env.path().join("exposure.toml"), PUBLIC_WEB).unwrap();
    hup(&c);
    let v = until(&c, all, "the override", |v| {
        v["vulnerabilities"][0]["exposure_source"] == "override"
    })
    .await;
    assert_eq!(
        keys(&v["vulnerabilities"]),
        public,
        "bands as the agent assesses a public host"
    );
    assert_eq!(
        first_seen(&v["vulnerabilities"]),
        seen,
        "an exposure change keeps the first-seen times"
    );
    for x in v["vulnerabilities"].as_array().unwrap() {
        assert_eq!(x["exposure"], "public");
        let o = &x["exposure_override"];
        assert_eq!(o["set_by"], "J. Smith, ISSO", "{x}");
        assert_eq!(o["set_at"], "2026-12-01T00:00:00Z");
        assert_eq!(o["line"], 2);
    }
    let (st, csv) = c.get(Some(ALL_VIEWER), "/api/v1/vulnerabilities.csv").await;
    assert_eq!(st, 200);
    let csv = csv.as_str().unwrap();
    let mut lines = csv.lines();
    assert!(lines
        .next()
        .unwrap()
        .ends_with(",exposure_source,exposure_set_by,exposure_set_at"));
    assert!(
        lines
            .next()
            .unwrap()
            .ends_with(",override,\"J. Smith, ISSO\",2026-12-01T00:00:00Z"),
        "{csv}"
    );
    let (st, e) = c.get(Some(ALL_VIEWER), "/api/v1/exposure").await;
    assert_eq!(st, 200, "{e}");
    assert_eq!(e["overrides"][0]["hosts"], 1, "{e}");
    assert_eq!(e["overrides"][0]["agency"], "DOE");
    assert_eq!(
        e["agencies"][0]["hosts"][0],
        serde_json::json!({"exposure": "public", "source": "override", "hosts": 1})
    );
    let (_, e) = c.get(Some(DOJ_VIEWER), "/api/v1/exposure").await;
    assert_eq!(
        e["overrides"],
        serde_json::json!([]),
        "another agency's overrides stay hidden: {e}"
    );

    // An invalid file is refused and the override in force stays; a collector does not
    // start with one, naming the file and line.
    std::fs::write(
        env.path().join("exposure.toml"),
        PUBLIC_WEB.replace("\"public\"", "\"dmz\""),
    )
    .unwrap();
    hup(&c);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (_, v) = c.get(Some(ALL_VIEWER), all).await;
    assert_eq!(
        v["vulnerabilities"][0]["exposure_source"], "override",
        "{v}"
    );
    let mut c = c;
    c.terminate();
    let o = Command::new(env!("CARGO_BIN_EXE_hardline-collector"))
        .args(["serve", "--config"])
        .arg(env.config_path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("exposure.toml:2") && err.contains("unknown exposure \"dmz\""),
        "{err}"
    );

    // Removing the entry hands the clocks back to the report.
    std::fs::write(env.path().join("exposure.toml"), "").unwrap();
    let c = env.start();
    let v = until(&c, all, "the report's exposure", |v| {
        v["vulnerabilities"][0]["exposure_source"] == "default"
    })
    .await;
    assert_eq!(keys(&v["vulnerabilities"]), internal);
    assert_eq!(first_seen(&v["vulnerabilities"]), seen);
}

/// The RHEL-family tree of the `vuln.kev` rule's failing case: central matching (package
/// groups shared across the fleet, kernels per host) finds exactly what the agent finds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn central_matching_of_an_rpm_host_equals_the_agents() {
    let env = Env::new(Setup::default());
    let feeds = good_feeds(&env);
    let o = import(&env, &[&feeds]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let c = env.start();
    let rpm = repo().join("tests/rules/vuln.kev/fail");
    push(&env, &c, &rpm);
    push(&env, &c, &deb_host());
    let want_rpm = agent_findings(&rpm, &feeds);
    let want_deb = agent_findings(&deb_host(), &feeds);
    assert!(!want_rpm.is_empty() && !want_deb.is_empty());
    let v = until(&c, "/api/v1/feeds", "both inventories", |v| {
        v["hosts_with_inventory"] == 2
    })
    .await;
    assert_eq!(v["loaded"], true, "{v}");
    let all = until(
        &c,
        "/api/v1/vulnerabilities?per_page=1000",
        "both hosts' findings",
        |v| {
            let hosts: BTreeSet<&str> = v["vulnerabilities"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["host_id"].as_str().unwrap())
                .collect();
            hosts.len() == 2
        },
    )
    .await;
    let mut by_host: std::collections::BTreeMap<String, Vec<serde_json::Value>> =
        Default::default();
    for x in all["vulnerabilities"].as_array().unwrap() {
        by_host
            .entry(x["host_id"].as_str().unwrap().to_string())
            .or_default()
            .push(x.clone());
    }
    let mut got: Vec<BTreeSet<Key>> = by_host
        .into_values()
        .map(|l| keys(&serde_json::Value::Array(l)))
        .collect();
    got.sort();
    let mut want = vec![want_rpm, want_deb];
    want.sort();
    assert_eq!(got, want);
}
