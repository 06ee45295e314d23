//! The status page's "Known exploited vulnerabilities" section, end to end: a real
//! collector with feeds imported by `hardline-collector feeds import`, the real agent
//! scanning and pushing the Debian 12 vulnerability host tree, the page rendered by
//! headless Chromium. The section must say what `/api/v1/vulnerabilities?kev=true` and
//! `/api/v1/summary` say (same CVEs, same host counts), must never say "no KEV" when data
//! is missing, and must stay readable (within the page width, on screen and in print) with
//! 300 KEV CVEs. Screenshots, DOMs and a PDF go to `<target>/test-artifacts/`.

use crate::page::{
    artifacts_dir, assert_matches_summary, assert_self_contained, attr_i64, by_id, chromium,
    fetch_page, render, tags, text_after, Tag,
};
use crate::util::*;
use crate::vulns::{copy_tree, deb_host, good_feeds, import, push, until};
use hardline_agent::report::{Severity::High, Status::Pass};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

const DAY: i64 = 86400;
const HOSTILE_HOSTNAME: &str = "<b>doj</b>-web-1 <script>alert('host')</script>";
const HOSTILE_VENDOR: &str = "<script>alert('kev')</script>";
const HOSTILE_PRODUCT: &str = "<img src=x onerror=alert(1)> & \"product\"";
/// The Debian host tree's KEV findings with the fixture feeds (glibc's CVE on two packages).
const DEB_KEV_FINDINGS: u64 = 6;

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn ymd(t: i64) -> String {
    let d = time::OffsetDateTime::from_unix_timestamp(t).unwrap().date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// A plain-HTTP loopback collector (Chromium reads it without a CA) on the real clock;
/// hosts stay fresh for 30 days, so that a restart some days later still counts them.
fn env() -> Env {
    Env::new(Setup {
        tls: false,
        stale_after: "30d",
        ..Setup::default()
    })
}

fn must_import(env: &Env, dir: &Path) {
    let o = import(env, &[dir]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// The agent's last report (written by [`push`]) pushed again as host `id` of the agency of
/// `token`: a new report id, the given hostname and exposure.
async fn push_copy(
    env: &Env,
    c: &Collector,
    token: &str,
    id: &str,
    hostname: &str,
    exposure: Option<&str>,
) {
    let text = std::fs::read(env.path().join("last-report.json")).unwrap();
    let mut r: serde_json::Value = serde_json::from_slice(&text).unwrap();
    r["report_id"] = uuid::Uuid::new_v4().to_string().into();
    r["host"]["id"] = id.into();
    r["host"]["hostname"] = hostname.into();
    if let Some(e) = exposure {
        r["host"]["exposure"] = e.into();
    }
    let (st, v) = c.push(Some(token), serde_json::to_vec(&r).unwrap()).await;
    assert_eq!(st, 201, "{v}");
}

fn section(t: &[Tag]) -> &Tag {
    let s = by_id(t, "kev").expect("section#kev");
    assert_eq!(s.name, "section");
    s
}

fn cve_rows(t: &[Tag]) -> Vec<&Tag> {
    t.iter()
        .filter(|t| t.name == "tr" && t.attrs.contains_key("data-cve"))
        .collect()
}

fn u(v: &serde_json::Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

/// Per CVE from the API's KEV findings (one item per host × package × CVE): (hosts,
/// hosts past due, per agency hosts).
type PerCve = BTreeMap<String, (i64, i64, BTreeMap<String, i64>)>;

fn per_cve(list: &serde_json::Value) -> PerCve {
    let mut hosts: BTreeMap<String, BTreeMap<String, (String, bool)>> = BTreeMap::new();
    for v in list.as_array().unwrap() {
        assert!(!v["kev"].is_null(), "kev=true lists KEV findings only: {v}");
        let e = hosts
            .entry(v["cve"].as_str().unwrap().to_string())
            .or_default()
            .entry(v["host_id"].as_str().unwrap().to_string())
            .or_insert((v["agency"].as_str().unwrap().to_string(), false));
        e.1 |= v["bod_26_04"]["overdue"].as_bool().unwrap();
    }
    hosts
        .into_iter()
        .map(|(cve, hs)| {
            let mut agencies: BTreeMap<String, i64> = BTreeMap::new();
            for (a, _) in hs.values() {
                *agencies.entry(a.clone()).or_default() += 1;
            }
            let overdue = hs.values().filter(|(_, o)| *o).count() as i64;
            (cve, (hs.len() as i64, overdue, agencies))
        })
        .collect()
}

/// Every KEV finding from `/api/v1/vulnerabilities?kev=true`, page by page, as one answer.
async fn all_kev(c: &Collector) -> serde_json::Value {
    let mut items = Vec::new();
    for page in 1.. {
        let (st, v) = c
            .get(
                Some(ALL_VIEWER),
                &format!("/api/v1/vulnerabilities?kev=true&per_page=1000&page={page}"),
            )
            .await;
        assert_eq!(st, 200, "{v}");
        let list = v["vulnerabilities"].as_array().unwrap();
        if list.is_empty() {
            assert_eq!(v["total"].as_u64().unwrap() as usize, items.len(), "{v}");
            break;
        }
        items.extend(list.iter().cloned());
    }
    serde_json::json!({ "total": items.len(), "vulnerabilities": items })
}

/// The section's numbers and rows equal the summary's `kev` (same order) and the API's
/// findings (same CVEs, same distinct hosts, overdue hosts and agencies).
fn assert_kev_matches(dom: &str, summary: &serde_json::Value, api: &serde_json::Value) {
    let t = tags(dom);
    let s = section(&t);
    let k = &summary["kev"];
    assert_eq!(s.attrs["data-state"], k["state"].as_str().unwrap());
    assert_eq!(attr_i64(s, "data-kev-hosts"), u(&k["hosts"]));
    assert_eq!(
        attr_i64(s, "data-kev-overdue-hosts"),
        u(&k["overdue_hosts"])
    );
    assert_eq!(attr_i64(s, "data-unassessed"), u(&k["unassessed"]));
    assert_eq!(attr_i64(s, "data-triage-hosts"), u(&k["triage"]["hosts"]));
    let cves = k["cves"].as_array().unwrap();
    assert_eq!(attr_i64(s, "data-kev-cves") as usize, cves.len());
    let rows = cve_rows(&t);
    assert_eq!(rows.len(), cves.len(), "one row per KEV CVE of the summary");
    for (row, c) in rows.iter().zip(cves) {
        assert_eq!(row.attrs["data-cve"], c["cve"].as_str().unwrap());
        assert_eq!(attr_i64(row, "data-hosts"), u(&c["hosts"]));
        assert_eq!(attr_i64(row, "data-overdue"), u(&c["overdue_hosts"]));
        assert_eq!(row.attrs["data-due"], c["due"].as_str().unwrap_or(""));
        assert_eq!(row.attrs["data-kev-due"], c["due_date"].as_str().unwrap());
    }
    // The API, finding by finding.
    let want = per_cve(&api["vulnerabilities"]);
    assert_eq!(
        api["total"].as_u64().unwrap() as usize,
        api["vulnerabilities"].as_array().unwrap().len(),
        "every KEV finding on one API page"
    );
    let shown: BTreeSet<&str> = rows.iter().map(|r| r.attrs["data-cve"].as_str()).collect();
    assert_eq!(
        shown,
        want.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        "the page lists exactly the API's KEV CVEs"
    );
    for row in &rows {
        let (hosts, overdue, _) = &want[&row.attrs["data-cve"]];
        assert_eq!(attr_i64(row, "data-hosts"), *hosts, "{:?}", row.attrs);
        assert_eq!(attr_i64(row, "data-overdue"), *overdue, "{:?}", row.attrs);
    }
    for c in cves {
        let (_, _, agencies) = &want[c["cve"].as_str().unwrap()];
        let got: BTreeMap<String, i64> = c["agencies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a["name"].as_str().unwrap().to_string(), u(&a["hosts"])))
            .collect();
        assert_eq!(&got, agencies, "{c}");
    }
    let mut hosts: BTreeSet<&str> = BTreeSet::new();
    let mut overdue: BTreeSet<&str> = BTreeSet::new();
    for v in api["vulnerabilities"].as_array().unwrap() {
        hosts.insert(v["host_id"].as_str().unwrap());
        if v["bod_26_04"]["overdue"] == true {
            overdue.insert(v["host_id"].as_str().unwrap());
        }
    }
    assert_eq!(attr_i64(s, "data-kev-hosts") as usize, hosts.len());
    assert_eq!(
        attr_i64(s, "data-kev-overdue-hosts") as usize,
        overdue.len()
    );
}

/// The section sits above the fold: after the totals, before the burn-down.
fn assert_above_the_fold(dom: &str) {
    let kev = dom.find("<section id=\"kev\"").expect("section#kev");
    let totals = dom.find("id=\"total-hosts\"").expect("#total-hosts");
    let chart = dom.find("id=\"burndown\"").expect("#burndown");
    assert!(totals < kev && kev < chart, "{totals} < {kev} < {chart}");
}

fn status_text(dom: &str) -> String {
    let t = tags(dom);
    let p = by_id(&t, "kev-status").expect("#kev-status");
    text_after(dom, p, "</p>")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kev_section_matches_the_api_and_the_summary() {
    if !hardline_agent::testutil::tool_available("chromium") {
        return;
    }
    let env = env();
    let feeds = good_feeds(&env);
    must_import(&env, &feeds);
    let mut c = env.start();
    // The real agent pushes the Debian host for DOE; two copies of its report stand for
    // DOJ hosts, one with a hostile hostname, one Internet-facing.
    push(&env, &c, &deb_host());
    push_copy(&env, &c, DOJ_AGENT, "doj-web-1", HOSTILE_HOSTNAME, None).await;
    push_copy(
        &env,
        &c,
        DOJ_AGENT,
        "doj-web-2",
        "doj-web-2",
        Some("public"),
    )
    .await;
    until(
        &c,
        "/api/v1/vulnerabilities?kev=true&per_page=1000",
        "three hosts' KEV findings",
        |v| v["total"] == 3 * DEB_KEV_FINDINGS,
    )
    .await;
    // Five days later (the clock the collector is given), the three-day band is past due:
    // the first-seen times survive the restart.
    c.terminate();
    let later = unix_now() + 5 * DAY;
    let c = env.start_at(Some(later));
    let api = until(
        &c,
        "/api/v1/vulnerabilities?kev=true&per_page=1000",
        "overdue KEV findings after the restart",
        |v| {
            v["total"] == 3 * DEB_KEV_FINDINGS
                && v["vulnerabilities"][0]["bod_26_04"]["overdue"] == true
        },
    )
    .await;
    let summary = until(&c, "/api/v1/summary", "the KEV summary", |v| {
        v["kev"]["state"] == "open"
    })
    .await;
    let (headers, html) = fetch_page(&c).await;
    assert_self_contained(&html, &headers);
    let dom = render(&format!("{}/", c.read), "status-page-kev");
    assert_matches_summary(&dom, &summary);
    assert_kev_matches(&dom, &summary, &api);
    assert_above_the_fold(&dom);

    // The scenario itself: 3 hosts, 5 KEV CVEs, the four in the three-day band past due
    // on all three hosts, CVE-2024-1086 (fourteen days) not yet.
    let k = &summary["kev"];
    assert_eq!(k["state"], "open", "{k}");
    assert_eq!((u(&k["hosts"]), u(&k["overdue_hosts"])), (3, 3), "{k}");
    assert_eq!((u(&k["assessed"]), u(&k["unassessed"])), (3, 0), "{k}");
    let order: Vec<&str> = k["cves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["cve"].as_str().unwrap())
        .collect();
    assert_eq!(order.len(), 5, "{k}");
    assert_eq!(order[4], "CVE-2024-1086", "not past due: last");
    let t = tags(&dom);
    let glibc = cve_rows(&t)
        .into_iter()
        .find(|r| r.attrs["data-cve"] == "CVE-2023-4911")
        .unwrap();
    let cells = text_after(&dom, glibc, "</tr>");
    assert!(cells.contains("GNU GNU C Library"), "{cells}");
    assert!(
        cells.contains("DOJ 2 (2 past due) · DOE 1 (1 past due)")
            || cells.contains("DOE 1 (1 past due) · DOJ 2 (2 past due)"),
        "{cells}"
    );
    // Per agency, as the metrics count them.
    let m = parse_exposition(&c.metrics().await);
    for (agency, hosts) in [("DOE", 1), ("DOJ", 2)] {
        let row = t
            .iter()
            .find(|t| t.attrs.get("data-kev-agency").map(String::as_str) == Some(agency))
            .unwrap_or_else(|| panic!("no KEV row for {agency}"));
        assert_eq!(attr_i64(row, "data-kev-hosts"), hosts);
        assert_eq!(attr_i64(row, "data-overdue-hosts"), hosts);
        assert_eq!(
            sample(&m, "hardline_kev_vulnerable_hosts", &[("agency", agency)]),
            Some(hosts as f64)
        );
        assert_eq!(
            sample(
                &m,
                "hardline_kev_hosts",
                &[("agency", agency), ("cve", "CVE-2023-4911")]
            ),
            Some(hosts as f64)
        );
    }
    // Forensic triage: every host (KEV, SSVC unknown and taken as the worse).
    let triage = by_id(&t, "kev-triage").expect("#kev-triage");
    assert_eq!(attr_i64(triage, "data-hosts"), 3);
    let listed = text_after(&dom, triage, "</div>");
    assert!(
        listed.contains(HOSTILE_HOSTNAME),
        "hostname shown as text: {listed}"
    );
    assert!(listed.contains("DOE 1 · DOJ 2"), "{listed}");
    // The fixture's KEV catalog is a dated copy: stale, and said so; the table too.
    let notes = text_after(&dom, by_id(&t, "kev-notes").unwrap(), "</ul>");
    assert!(notes.contains("The KEV catalog is stale"), "{notes}");
    assert!(notes.contains("not yet verified"), "{notes}");
    assert!(
        !t.iter().any(|t| t.name == "script" || t.name == "b"),
        "hostile markup stayed text"
    );
    // A DOJ viewer's summary has DOJ's part only.
    let (_, doj) = c.get(Some(DOJ_VIEWER), "/api/v1/summary").await;
    assert_eq!(u(&doj["kev"]["hosts"]), 2, "{doj}");
    assert_eq!(doj["kev"]["agencies"].as_array().unwrap().len(), 1);
    assert!(doj["kev"]["triage"]["listed"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["agency"] == "DOJ"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kev_section_without_feeds_says_unassessed() {
    if !hardline_agent::testutil::tool_available("chromium") {
        return;
    }
    let env = env();
    let c = env.start();
    // A host with an inventory, and one whose report carries none.
    push(&env, &c, &deb_host());
    let r = report("no-inventory", unix_now() - 60, &[("ssh.root", High, Pass)]);
    assert_eq!(c.push_report(DOJ_AGENT, &r).await.0, 201);
    until(&c, "/api/v1/feeds", "the inventory", |v| {
        v["hosts_with_inventory"] == 1
    })
    .await;
    let (_, summary) = c.get(Some(ALL_VIEWER), "/api/v1/summary").await;
    let k = &summary["kev"];
    assert_eq!(k["state"], "no_feeds", "{k}");
    assert_eq!((u(&k["unassessed"]), u(&k["no_inventory"])), (2, 1), "{k}");
    let (headers, html) = fetch_page(&c).await;
    assert_self_contained(&html, &headers);
    let dom = render(&format!("{}/", c.read), "status-page-kev-no-feeds");
    let t = tags(&dom);
    let s = section(&t);
    assert_eq!(s.attrs["data-state"], "no_feeds");
    assert_eq!(attr_i64(s, "data-unassessed"), 2);
    assert_above_the_fold(&dom);
    let text = status_text(&dom);
    assert!(
        text.starts_with("Vulnerability feeds not loaded: 2 hosts unassessed."),
        "{text}"
    );
    assert!(text.contains("unknown, not zero"), "{text}");
    assert!(
        !dom.contains("No known-exploited"),
        "missing data is not \"no KEV\""
    );
    assert!(cve_rows(&t).is_empty());
    // The metrics count the host with an inventory as unassessed too.
    let m = parse_exposition(&c.metrics().await);
    assert_eq!(
        sample(
            &m,
            "hardline_vulnerability_unassessed_hosts",
            &[("agency", "DOE")]
        ),
        Some(1.0)
    );
}

/// A KEV catalog in CISA's schema, released on `released` (YYYY-MM-DD).
fn kev_catalog(released: &str, entries: Vec<serde_json::Value>) -> serde_json::Value {
    serde_json::json!({
        "title": "CISA Catalog of Known Exploited Vulnerabilities",
        "catalogVersion": released.replace('-', "."),
        "dateReleased": format!("{released}T15:00:00.0000Z"),
        "count": entries.len(),
        "vulnerabilities": entries,
    })
}

fn kev_entry(
    cve: &str,
    vendor: &str,
    product: &str,
    added: &str,
    due: &str,
    ransomware: &str,
) -> serde_json::Value {
    serde_json::json!({
        "cveID": cve,
        "vendorProject": vendor,
        "product": product,
        "vulnerabilityName": format!("{vendor} {product} vulnerability"),
        "dateAdded": added,
        "shortDescription": format!("{product} contains a vulnerability (hardline test entry)."),
        "requiredAction": "Apply mitigations per vendor instructions or discontinue use of the product if mitigations are unavailable.",
        "dueDate": due,
        "knownRansomwareCampaignUse": ransomware,
        "notes": format!("https://nvd.nist.gov/vuln/detail/{cve}"),
        "cwes": ["CWE-787"],
    })
}

fn write_json(path: &Path, v: &serde_json::Value) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, serde_json::to_vec_pretty(v).unwrap()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kev_section_with_feeds_and_no_kev_finding_says_none() {
    if !hardline_agent::testutil::tool_available("chromium") {
        return;
    }
    let env = env();
    // The fixture's Debian advisories with a fresh KEV catalog that lists none of the
    // host's CVEs.
    let today = ymd(unix_now());
    let dir = env.path().join("feeds-no-kev");
    std::fs::create_dir_all(&dir).unwrap();
    copy_tree(&good_feeds(&env).join("osv"), &dir.join("osv"));
    let entries = (0..3)
        .map(|i| {
            kev_entry(
                &format!("CVE-2021-{:05}", 44000 + i),
                "Apache",
                "Log4j2",
                "2021-12-10",
                "2021-12-24",
                "Known",
            )
        })
        .collect();
    write_json(
        &dir.join("kev/known_exploited_vulnerabilities.json"),
        &kev_catalog(&today, entries),
    );
    must_import(&env, &dir);
    let c = env.start();
    push(&env, &c, &deb_host());
    let all = until(&c, "/api/v1/vulnerabilities", "findings", |v| {
        v["feeds_loaded"] == true && v["total"].as_u64().unwrap() > 0
    })
    .await;
    let (_, kev) = c
        .get(Some(ALL_VIEWER), "/api/v1/vulnerabilities?kev=true")
        .await;
    assert_eq!(kev["total"], 0, "{kev}");
    let summary = until(&c, "/api/v1/summary", "the KEV summary", |v| {
        v["kev"]["state"] != "loading"
    })
    .await;
    assert_eq!(summary["kev"]["state"], "none", "{summary}");
    assert_eq!(summary["kev"]["assessed"], 1);
    let (headers, html) = fetch_page(&c).await;
    assert_self_contained(&html, &headers);
    let dom = render(&format!("{}/", c.read), "status-page-kev-none");
    let t = tags(&dom);
    let s = section(&t);
    assert_eq!(s.attrs["data-state"], "none");
    assert_eq!(attr_i64(s, "data-kev-hosts"), 0);
    assert!(cve_rows(&t).is_empty());
    let long = {
        let d = time::OffsetDateTime::from_unix_timestamp(unix_now())
            .unwrap()
            .date();
        format!("{} {} {}", d.day(), &d.month().to_string()[..3], d.year())
    };
    let text = status_text(&dom);
    assert_eq!(
        text,
        format!(
            "No known-exploited vulnerabilities open in the fleet (KEV catalog of {long}, version {}).",
            today.replace('-', ".")
        ),
        "non-KEV findings exist ({}), none is KEV",
        all["total"]
    );
    // Fresh feeds: no staleness note; the unverified table is still said.
    let notes = text_after(&dom, by_id(&t, "kev-notes").unwrap(), "</ul>");
    assert!(!notes.contains("stale"), "{notes}");
    assert!(notes.contains("not yet verified"), "{notes}");
}

/// The page with a script added that measures its layout at the window's width and writes
/// the result into `body[data-measured]`; with `print`, the print style sheet applies on
/// screen (`@media print` → `@media all`), as a stand-in for the printed page. The page
/// itself has no script and its CSP forbids one; the copy is a local file, read without it.
fn measure(html: &str, name: &str, width: u32, print: bool) -> serde_json::Value {
    const SCRIPT: &str = r#"<script>
(function () {
  var worst = 0, what = '';
  document.querySelectorAll('section#kev *').forEach(function (e) {
    var r = e.getBoundingClientRect();
    if (r.width > 0 && r.right > worst) { worst = r.right; what = e.tagName + '#' + e.id + '.' + e.className; }
  });
  var rows = document.querySelectorAll('#kev-cves tr[data-cve]');
  var rowRight = 0;
  rows.forEach(function (r) { rowRight = Math.max(rowRight, r.getBoundingClientRect().right); });
  document.body.setAttribute('data-measured', JSON.stringify({
    scroll_width: document.documentElement.scrollWidth,
    client_width: document.documentElement.clientWidth,
    kev_right: worst, kev_widest: what, rows_visible: rows.length, row_right: rowRight,
    details_open: document.getElementById('kev-more') ? document.getElementById('kev-more').open : null,
    note_display: document.getElementById('kev-more-note') ? getComputedStyle(document.getElementById('kev-more-note')).display : null,
    details_display: document.getElementById('kev-more') ? getComputedStyle(document.getElementById('kev-more')).display : null
  }));
})();
</script>"#;
    let mut doc = html.replace("</body>", &format!("{SCRIPT}</body>"));
    if print {
        doc = doc.replace("@media print", "@media all");
    }
    let path: PathBuf = artifacts_dir().join(format!("{name}-measure-{width}.html"));
    std::fs::write(&path, doc).unwrap();
    let (dom, _) = chromium(
        &[
            "--dump-dom".to_string(),
            format!("--window-size={width},1000"),
            "--allow-file-access-from-files".to_string(),
        ],
        &format!("file://{}", path.display()),
    );
    let t = tags(&dom);
    let body = t.iter().find(|t| t.name == "body").unwrap();
    let m: serde_json::Value = serde_json::from_str(
        body.attrs
            .get("data-measured")
            .unwrap_or_else(|| panic!("the measuring script did not run: {dom}")),
    )
    .unwrap();
    println!(
        "{name} at {width} px{}: {m}",
        if print { " (print)" } else { "" }
    );
    m
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kev_section_with_300_kev_cves_stays_readable_on_screen_and_in_print() {
    if !hardline_agent::testutil::tool_available("chromium") {
        return;
    }
    let env = env();
    let t0 = unix_now();
    let day = |n: i64| ymd(t0 + n * DAY);
    // 300 KEV CVEs on the Debian host's git, glibc and OpenSSH, in CISA's KEV schema and
    // the OSV schema. Thirds: listed long ago (the clock starts when first seen: due in 3
    // days), listed tomorrow (due in 4 days) and in 3 days (due in 6 days); seen again 5
    // days later, two thirds are past due.
    let dir = env.path().join("feeds-300");
    let (mut kev, n) = (Vec::new(), 300);
    for i in 0..n {
        let cve = format!("CVE-2026-{:05}", 20000 + i);
        let (source, fixed) = match i % 3 {
            0 => ("git", "1:2.39.5-0+deb12u3"),
            1 => ("glibc", "2.36-9+deb12u99"),
            _ => ("openssh", "1:9.2p1-2+deb12u99"),
        };
        let added = match i % 3 {
            0 => day(1),
            1 => day(-100),
            _ => day(3),
        };
        let (vendor, product) = if i == 7 {
            (HOSTILE_VENDOR.to_string(), HOSTILE_PRODUCT.to_string())
        } else {
            (
                format!("Vendor {}", i % 17),
                format!("{source} component {i}"),
            )
        };
        let ransomware = if i % 5 == 0 { "Known" } else { "Unknown" };
        kev.push(kev_entry(
            &cve,
            &vendor,
            &product,
            &added,
            &day(20),
            ransomware,
        ));
        let record = serde_json::json!({
            "schema_version": "1.6.0",
            "id": format!("HLTEST-{cve}"),
            "modified": format!("{}T00:00:00Z", day(0)),
            "published": format!("{}T00:00:00Z", day(0)),
            "upstream": [cve],
            "summary": format!("{source}: {cve} (hardline test record)"),
            "affected": [{
                "package": {"ecosystem": "Debian:12", "name": source,
                            "purl": format!("pkg:deb/debian/{source}?arch=source")},
                "ranges": [{"type": "ECOSYSTEM",
                            "events": [{"introduced": "0"}, {"fixed": fixed}]}]
            }]
        });
        write_json(&dir.join(format!("osv/test/HLTEST-{cve}.json")), &record);
    }
    write_json(
        &dir.join("kev/known_exploited_vulnerabilities.json"),
        &kev_catalog(&day(0), kev),
    );
    must_import(&env, &dir);
    let mut c = env.start();
    // 25 hosts (15 DOE, 10 DOJ) with the same packages: every one needs forensic triage,
    // more than the page lists by name.
    push(&env, &c, &deb_host());
    for h in 1..25 {
        let (token, id) = if h < 15 {
            (DOE_AGENT, format!("doe-{h:02}"))
        } else {
            (DOJ_AGENT, format!("doj-{h:02}"))
        };
        push_copy(&env, &c, token, &id, &format!("{id}.example.gov"), None).await;
    }
    until(&c, "/api/v1/summary", "25 hosts with 300 KEV CVEs", |v| {
        v["kev"]["state"] == "open"
            && v["kev"]["hosts"] == 25
            && v["kev"]["cves"].as_array().is_some_and(|c| c.len() == n)
    })
    .await;
    c.terminate();
    let c = env.start_at(Some(t0 + 5 * DAY));
    let summary = until(&c, "/api/v1/summary", "past-due hosts", |v| {
        v["kev"]["state"] == "open"
            && v["kev"]["overdue_hosts"] == 25
            && v["kev"]["cves"].as_array().is_some_and(|c| c.len() == n)
    })
    .await;
    let api = all_kev(&c).await;
    assert_eq!(
        api["total"],
        25 * 500,
        "per CVE: git 1 package, glibc 2, OpenSSH 2"
    );
    let (headers, html) = fetch_page(&c).await;
    assert_self_contained(&html, &headers);
    let dom = render(&format!("{}/", c.read), "status-page-kev-300");
    assert_kev_matches(&dom, &summary, &api);
    assert_above_the_fold(&dom);
    let t = tags(&dom);
    let rows = cve_rows(&t);
    // Most urgent first: past due before not, then the earliest due date, then most hosts.
    let key = |r: &&Tag| {
        (
            -attr_i64(r, "data-overdue"),
            r.attrs["data-due"].clone(),
            -attr_i64(r, "data-hosts"),
        )
    };
    assert!(rows.windows(2).all(|w| key(&w[0]) <= key(&w[1])), "sorted");
    let overdue = rows
        .iter()
        .filter(|r| attr_i64(r, "data-overdue") == 25)
        .count();
    assert_eq!(overdue, 200, "two thirds past due");
    assert_eq!(rows[0].attrs["data-due"], day(3));
    assert_eq!(rows[199].attrs["data-due"], day(4));
    assert_eq!(rows[200].attrs["data-due"], day(6));
    // 25 rows in the table, the other 275 in a <details>, and a print-only note.
    let table_rows = {
        let start = dom.find("id=\"kev-cves\"").unwrap();
        let end = start + dom[start..].find("</table>").unwrap();
        dom[start..end].matches("<tr data-cve=").count()
    };
    assert_eq!(table_rows, 25);
    let more = by_id(&t, "kev-more").expect("details#kev-more");
    assert_eq!(more.name, "details");
    assert_eq!(attr_i64(more, "data-rows"), 275);
    assert!(text_after(&dom, more, "</summary>").contains("275 more KEV CVEs"));
    let note = by_id(&t, "kev-more-note").expect("#kev-more-note");
    assert_eq!(
        text_after(&dom, note, "</p>"),
        "275 more — see /api/v1/vulnerabilities?kev=true (viewer token)."
    );
    // The hostile vendor and product are text.
    let hostile = rows
        .iter()
        .find(|r| r.attrs["data-cve"] == "CVE-2026-20007")
        .unwrap();
    let cells = text_after(&dom, hostile, "</tr>");
    assert!(
        cells.contains(&format!("{HOSTILE_VENDOR} {HOSTILE_PRODUCT}")),
        "{cells}"
    );
    assert!(!t.iter().any(|t| t.name == "script" || t.name == "img"));
    // Ransomware use, from the catalog.
    let known = rows
        .iter()
        .filter(|r| r.attrs["data-ransomware"] == "Known")
        .count();
    assert_eq!(known, 60);
    // Triage: 25 hosts, 20 named, the rest counted.
    let triage = by_id(&t, "kev-triage").unwrap();
    assert_eq!(attr_i64(triage, "data-hosts"), 25);
    assert_eq!(attr_i64(triage, "data-listed"), 20);
    let text = text_after(&dom, triage, "</div>");
    assert!(text.contains("DOE 15 · DOJ 10"), "{text}");
    assert!(text.contains("and 5 more"), "{text}");
    assert_eq!(
        t.iter()
            .filter(|t| t.name == "li" && t.attrs.contains_key("data-host"))
            .count(),
        20
    );

    // Within the width: the document does not scroll sideways at 1280 px, and nothing in
    // the section (the 25 rows included) reaches past the window.
    let m = measure(&html, "status-page-kev-300", 1280, false);
    assert_eq!(m["client_width"], 1280, "{m}");
    assert!(m["scroll_width"].as_f64().unwrap() <= 1280.0, "{m}");
    assert!(m["kev_right"].as_f64().unwrap() <= 1280.0, "{m}");
    assert_eq!(m["rows_visible"], 25, "{m}");
    assert_eq!(m["details_open"], false, "{m}");
    assert_eq!(
        m["note_display"], "none",
        "the print note is for print: {m}"
    );
    // The print style sheet at a printed page's width (Letter, 12 mm margins: ~720 px):
    // no overflow, the <details> hidden and the note shown instead.
    let m = measure(&html, "status-page-kev-300-print", 720, true);
    assert!(m["scroll_width"].as_f64().unwrap() <= 720.0, "{m}");
    assert!(m["kev_right"].as_f64().unwrap() <= 720.0, "{m}");
    assert!(m["row_right"].as_f64().unwrap() <= 720.0, "{m}");
    assert_eq!(m["details_display"], "none", "{m}");
    assert_eq!(m["note_display"], "block", "{m}");
    // And a real PDF.
    let pdf = artifacts_dir().join("status-page-kev-300.pdf");
    let _ = std::fs::remove_file(&pdf);
    chromium(
        &[
            format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer".to_string(),
        ],
        &format!("{}/", c.read),
    );
    let bytes = std::fs::read(&pdf).unwrap_or_else(|e| panic!("no PDF {pdf:?}: {e}"));
    assert!(
        bytes.starts_with(b"%PDF-") && bytes.len() > 20_000,
        "{pdf:?}: {} bytes",
        bytes.len()
    );
    println!("status page PDF: {}", pdf.display());
}
