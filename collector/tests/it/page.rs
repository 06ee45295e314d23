//! The leadership status page (`GET /`) rendered by a real headless Chromium (Debian
//! package `chromium`) against a real collector: the numbers on the page must be the
//! numbers of `/api/v1/summary`, the chart must have one point per snapshot day, the
//! projection and the deadline, hostile strings must stay text, and nothing may load from
//! anywhere (the Content-Security-Policy would log a violation). Screenshots are saved
//! under `<target>/test-artifacts/` for a human to look at.

use crate::util::*;
use hardline_agent::report::{Severity::*, Status::*};
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const DAY: i64 = 86400;
const HOUR: i64 = 3600;
const VIEWER: &str = "page-all-viewer-token";
const HOSTILE_TITLE: &str =
    "<script>document.title='pwned'</script><img src=x onerror=alert(1)> & \"quoted\"";
const HOSTILE_CAMPAIGN: &str = "eo-30-day <script>alert(\"campaign\")</script>";

/// (agency, hosts, noncompliant hosts on day d).
type Plan = (&'static str, i64, fn(i64) -> i64);

fn agent_token(agency: &str) -> String {
    format!("{agency}-agent-token")
}

/// A plain-HTTP loopback collector config with `agencies` and an all-agencies viewer.
fn write_config(env: &Env, campaign: &str, agencies: &[String]) {
    let q = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let mut c = String::from(
        "listen = \"127.0.0.1:0\"\nread_listen = \"127.0.0.1:0\"\ndata_dir = \"data\"\nsnapshot_interval = \"60s\"\n",
    );
    c += &format!(
        "[campaign]\nname = \"{}\"\nstart = \"2026-06-02T00:00:00Z\"\ndays = 30\nseverity_threshold = \"medium\"\nstale_after = \"48h\"\n",
        q(campaign)
    );
    for (i, a) in agencies.iter().enumerate() {
        c += &format!(
            "[[agency]]\nname = \"{a}\"\ntokens = [{{ role = \"agent\", sha256 = \"{}\" }}",
            hash(&agent_token(a))
        );
        if i == 0 {
            c += &format!(
                ", {{ role = \"viewer\", sha256 = \"{}\", all_agencies = true }}",
                hash(VIEWER)
            );
        }
        c += "]\n";
    }
    std::fs::write(env.config_path(), c).unwrap();
}

fn plain_env(campaign: &str, agencies: &[String]) -> Env {
    let env = Env::new(Setup {
        tls: false,
        ..Setup::default()
    });
    write_config(&env, campaign, agencies);
    env
}

/// Where test artifacts go: `<target>/test-artifacts` (the target directory of the binary
/// under test, so `CARGO_TARGET_DIR` is respected).
pub(crate) fn artifacts_dir() -> PathBuf {
    let target = match std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from) {
        Some(p) if p.is_absolute() => p,
        _ => Path::new(env!("CARGO_BIN_EXE_hardline-collector"))
            .parent()
            .and_then(Path::parent)
            .expect("the binary lives in <target>/<profile>/")
            .to_path_buf(),
    };
    let dir = target.join("test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Run headless Chromium with a fresh profile: (stdout, stderr). Panics if it does not
/// finish within the deadline or fails.
pub(crate) fn chromium(args: &[String], url: &str) -> (String, String) {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(180);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 180 s on {url}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let (stdout, stderr) = (t_out.join().unwrap(), t_err.join().unwrap());
    assert!(status.success(), "chromium failed ({status}): {stderr}");
    (stdout, stderr)
}

/// Chromium logs every Content-Security-Policy violation (a blocked load or script) as a
/// console message; the page must cause none.
pub(crate) fn assert_no_csp_violation(stderr: &str) {
    let bad: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("Content Security Policy") || l.contains(":CONSOLE"))
        .collect();
    assert!(bad.is_empty(), "console messages: {bad:#?}");
}

/// The rendered DOM and a screenshot (saved as `name.png` in the artifacts directory).
pub(crate) fn render(url: &str, name: &str) -> String {
    let (dom, stderr) = chromium(&["--dump-dom".to_string()], url);
    assert_no_csp_violation(&stderr);
    let png = artifacts_dir().join(format!("{name}.png"));
    let _ = std::fs::remove_file(&png);
    let (_, stderr) = chromium(
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1280,1800".to_string(),
        ],
        url,
    );
    assert_no_csp_violation(&stderr);
    let bytes = std::fs::read(&png).unwrap_or_else(|e| panic!("no screenshot {png:?}: {e}"));
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 10_000,
        "{png:?} is not a real screenshot ({} bytes)",
        bytes.len()
    );
    println!("status page screenshot: {}", png.display());
    let html = artifacts_dir().join(format!("{name}.html"));
    std::fs::write(&html, &dom).unwrap();
    println!("status page DOM: {}", html.display());
    dom
}

/// A start tag: name and attributes (values unescaped for &amp; &quot; &lt; &gt;).
#[derive(Debug)]
pub(crate) struct Tag {
    pub(crate) name: String,
    pub(crate) attrs: HashMap<String, String>,
    /// Byte offset just after the tag's `>`.
    pub(crate) end: usize,
}

pub(crate) fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Every start tag of `html` (a small scanner for Chromium's serialization: attribute
/// values are double-quoted).
pub(crate) fn tags(html: &str) -> Vec<Tag> {
    let b = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(off) = html[i..].find('<') {
        let start = i + off + 1;
        i = start;
        let name_len = html[start..]
            .find(|c: char| !c.is_ascii_alphanumeric() && c != '-')
            .unwrap_or(0);
        if name_len == 0 {
            continue;
        }
        let name = html[start..start + name_len].to_ascii_lowercase();
        let mut j = start + name_len;
        let mut attrs = HashMap::new();
        loop {
            while j < b.len() && (b[j] as char).is_ascii_whitespace() {
                j += 1;
            }
            if j >= b.len() {
                break;
            }
            if b[j] == b'>' || b[j] == b'/' {
                if b[j] == b'/' {
                    j += 1;
                }
                j += 1;
                break;
            }
            // Always consume at least one byte, whatever the input.
            let k = match html[j..].find(|c: char| c == '=' || c == '>' || c.is_ascii_whitespace())
            {
                Some(0) => j + html[j..].chars().next().map_or(1, char::len_utf8),
                Some(n) => j + n,
                None => html.len(),
            };
            let key = html[j..k].to_string();
            if html[k..].starts_with("=\"") {
                let v0 = k + 2;
                let v1 = v0 + html[v0..].find('"').unwrap_or(html.len() - v0);
                attrs.insert(key, unescape(&html[v0..v1]));
                j = (v1 + 1).min(html.len());
            } else if html[k..].starts_with('=') {
                // Unquoted value (never produced by the page; hostile input would be).
                let v0 = k + 1;
                let v1 = v0
                    + html[v0..]
                        .find(|c: char| c == '>' || c.is_ascii_whitespace())
                        .unwrap_or(html.len() - v0);
                attrs.insert(key, unescape(&html[v0..v1]));
                j = v1;
            } else {
                attrs.insert(key, String::new());
                j = k;
            }
        }
        out.push(Tag {
            name,
            attrs,
            end: j,
        });
        i = j.max(start);
    }
    out
}

#[test]
fn the_tag_scanner_terminates_on_hostile_markup() {
    let t = tags("<p a=b c =\"d\" =e é=\"f\" g><img src=x onerror=alert(1)><x \"y\"><b/><a / b>é<");
    let names: Vec<&str> = t.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["p", "img", "x", "b", "a"]);
    assert_eq!(t[1].attrs["src"], "x");
    assert_eq!(t[0].attrs["a"], "b");
}

pub(crate) fn by_id<'a>(tags: &'a [Tag], id: &str) -> Option<&'a Tag> {
    tags.iter()
        .find(|t| t.attrs.get("id").map(String::as_str) == Some(id))
}

pub(crate) fn attr_i64(t: &Tag, key: &str) -> i64 {
    t.attrs
        .get(key)
        .unwrap_or_else(|| panic!("{} has no {key}: {:?}", t.name, t.attrs))
        .parse()
        .unwrap_or_else(|e| panic!("{key} of {:?}: {e}", t.attrs))
}

/// The text of the element starting with `tag` up to `close` (tags stripped, unescaped).
pub(crate) fn text_after(dom: &str, tag: &Tag, close: &str) -> String {
    let rest = &dom[tag.end..];
    let inner = &rest[..rest.find(close).unwrap_or(rest.len())];
    let mut text = String::new();
    let mut in_tag = false;
    for c in inner.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    unescape(&text)
}

pub(crate) fn i(v: &serde_json::Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

/// Check the rendered DOM against `/api/v1/summary`: days left, one row per agency with
/// its counts, totals, one chart point per burn-down day with the summed noncompliant
/// count, the projection (the latest agency projection) and the deadline marker.
pub(crate) fn assert_matches_summary(dom: &str, summary: &serde_json::Value) {
    let t = tags(dom);
    let c = &summary["campaign"];
    let days = by_id(&t, "days-left").expect("#days-left");
    assert_eq!(attr_i64(days, "data-days-left"), i(&c["days_left"]));
    let agencies = summary["agencies"].as_array().unwrap();
    let rows: Vec<&Tag> = t
        .iter()
        .filter(|t| t.name == "tr" && t.attrs.contains_key("data-agency"))
        .collect();
    assert_eq!(rows.len(), agencies.len(), "one row per agency");
    let (mut tc, mut tn, mut ts) = (0, 0, 0);
    for a in agencies {
        let name = a["name"].as_str().unwrap();
        let row = rows
            .iter()
            .find(|r| r.attrs["data-agency"] == name)
            .unwrap_or_else(|| panic!("no row for {name}"));
        assert_eq!(
            attr_i64(row, "data-compliant"),
            i(&a["compliant"]),
            "{name}"
        );
        assert_eq!(
            attr_i64(row, "data-noncompliant"),
            i(&a["noncompliant"]),
            "{name}"
        );
        assert_eq!(attr_i64(row, "data-stale"), i(&a["stale"]), "{name}");
        assert_eq!(attr_i64(row, "data-hosts"), i(&a["hosts"]), "{name}");
        // The visible cells say the same.
        let cells = text_after(dom, row, "</tr>");
        assert!(cells.starts_with(name), "{cells}");
        tc += i(&a["compliant"]);
        tn += i(&a["noncompliant"]);
        ts += i(&a["stale"]);
    }
    let totals = by_id(&t, "totals").expect("#totals");
    assert_eq!(
        (
            attr_i64(totals, "data-compliant"),
            attr_i64(totals, "data-noncompliant"),
            attr_i64(totals, "data-stale")
        ),
        (tc, tn, ts)
    );
    // The chart: one point per burn-down day of the summary, with the summed count.
    let mut per_day: BTreeMap<String, i64> = BTreeMap::new();
    for a in agencies {
        for p in a["burndown"].as_array().unwrap() {
            *per_day
                .entry(p["day"].as_str().unwrap().to_string())
                .or_default() += i(&p["noncompliant"]);
        }
    }
    let svg = by_id(&t, "burndown").expect("svg#burndown");
    assert_eq!(svg.name, "svg");
    assert_eq!(attr_i64(svg, "data-points") as usize, per_day.len());
    let points: BTreeMap<String, i64> = t
        .iter()
        .filter(|t| t.name == "circle" && t.attrs.get("class").map(String::as_str) == Some("point"))
        .map(|t| {
            (
                t.attrs["data-day"].clone(),
                attr_i64(t, "data-noncompliant"),
            )
        })
        .collect();
    assert_eq!(points, per_day, "one chart point per snapshot day");
    let marker = by_id(&t, "deadline-marker").expect("#deadline-marker");
    assert_eq!(
        marker.attrs["data-deadline"],
        c["deadline"].as_str().unwrap()
    );
    let expected_completion = agencies
        .iter()
        .filter(|a| i(&a["noncompliant"]) > 0)
        .map(|a| a["projected_completion"].as_str().map(str::to_string))
        .collect::<Option<Vec<String>>>()
        .and_then(|v| v.into_iter().max())
        .filter(|_| tn > 0);
    let projection = by_id(&t, "projection");
    assert_eq!(
        projection.map(|p| p.attrs["data-completion"].clone()),
        expected_completion,
        "the projection is the latest agency projection of the summary"
    );
    let generated = by_id(&t, "generated").expect("#generated");
    assert_eq!(generated.attrs["datetime"], c["now"].as_str().unwrap());
}

fn verdict(dom: &str) -> (String, String) {
    let t = tags(dom);
    let v = by_id(&t, "verdict").expect("#verdict");
    (v.attrs["data-verdict"].clone(), text_after(dom, v, "</p>"))
}

pub(crate) async fn fetch_page(c: &Collector) -> (reqwest::header::HeaderMap, String) {
    let resp = c.client.get(format!("{}/", c.read)).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let headers = resp.headers().clone();
    (headers, resp.text().await.unwrap())
}

/// The raw document is self-contained: no reference to anything outside it.
pub(crate) fn assert_self_contained(html: &str, headers: &reqwest::header::HeaderMap) {
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(!csp.contains("script-src"), "no script may run: {csp}");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    for t in tags(html) {
        for a in [
            "src",
            "href",
            "srcset",
            "action",
            "data",
            "background",
            "poster",
        ] {
            assert!(
                !t.attrs.contains_key(a),
                "<{} {a}=…> loads something",
                t.name
            );
        }
        for n in [
            "script", "link", "iframe", "object", "embed", "img", "base", "form",
        ] {
            assert_ne!(t.name, n, "the page has a <{n}> element");
        }
    }
    let style = &html[html.find("<style>").unwrap()..html.find("</style>").unwrap()];
    for needle in ["@import", "url(", "@font-face"] {
        assert!(!style.contains(needle), "the style sheet loads {needle:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_page_shows_the_summary_burn_down_and_projection() {
    if !hardline_agent::testutil::tool_available("chromium") {
        return;
    }
    let agencies: Vec<String> = ["DOE", "DOJ", "DHS", "TREAS"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let env = plain_env(HOSTILE_CAMPAIGN, &agencies);
    let t0 = START + 2 * DAY + 9 * HOUR;
    // Noncompliant hosts per day: DOE 12 hosts, 2 fixed a day; DOJ 8 hosts, 1 a day;
    // DHS 5 hosts, 3 3 2 2 1; TREAS 4 compliant hosts. A DOJ host reports on day 0 only
    // (stale from day 2). Every host fails a low-severity rule (not counted against
    // compliance); the noncompliant DOE hosts also fail a rule with a hostile title.
    let plan: [Plan; 4] = [
        ("DOE", 12, |d| 10 - 2 * d),
        ("DOJ", 8, |d| 6 - d),
        ("DHS", 5, |d| [3, 3, 2, 2, 1][d as usize]),
        ("TREAS", 4, |_| 0),
    ];
    let mut c = None;
    for d in 0..5i64 {
        let now = t0 + d * DAY;
        let col = env.start_at(Some(now));
        for (agency, hosts, nc) in plan {
            let token = agent_token(agency);
            for h in 0..hosts {
                let failing = h < nc(d);
                let st = if failing { Fail } else { Pass };
                let mut results = vec![("ssh.root", High, st), ("audit.minor", Low, Fail)];
                if agency == "DOE" {
                    results.push(("web.banner", Medium, st));
                }
                let mut r = report(&format!("{agency}-{h}"), now - 60, &results);
                for res in &mut r.results {
                    if res.rule_id == "web.banner" {
                        res.title = HOSTILE_TITLE.into();
                    }
                }
                r.host.hostname = format!("<b>{agency}-{h}</b>");
                let (st, body) = col.push_report(&token, &r).await;
                assert_eq!(st, 201, "{body}");
            }
            if agency == "DOJ" && d == 0 {
                let r = report("DOJ-old", now - 60, &[("ssh.root", High, Pass)]);
                assert_eq!(col.push_report(&token, &r).await.0, 201);
            }
        }
        if d < 4 {
            let mut col = col;
            col.terminate(); // graceful stop writes today's burn-down point
        } else {
            c = Some(col);
        }
    }
    let c = c.unwrap();
    let (st, summary) = c.get(Some(VIEWER), "/api/v1/summary").await;
    assert_eq!(st, 200, "{summary}");
    let (headers, html) = fetch_page(&c).await;
    assert_self_contained(&html, &headers);

    let dom = render(&format!("{}/", c.read), "status-page-campaign");
    assert_matches_summary(&dom, &summary);
    // The scenario itself: 24 days left, a falling burn-down, on track.
    assert_eq!(summary["campaign"]["days_left"], 24, "{summary}");
    let t = tags(&dom);
    let burn: Vec<i64> = t
        .iter()
        .filter(|t| t.name == "circle" && t.attrs.contains_key("data-noncompliant"))
        .map(|t| attr_i64(t, "data-noncompliant"))
        .collect();
    assert_eq!(burn, [19, 16, 12, 9, 5]);
    assert!(
        by_id(&t, "projection").is_some(),
        "a downward trend is projected"
    );
    assert!(by_id(&t, "noncompliant-line").is_some());
    let (v, text) = verdict(&dom);
    assert_eq!(v, "on-track", "{text}");
    assert!(text.starts_with("On track"), "{text}");
    let doj = t
        .iter()
        .find(|t| t.attrs.get("data-agency").map(String::as_str) == Some("DOJ"))
        .unwrap();
    assert_eq!(attr_i64(doj, "data-stale"), 1);
    // Sorted worst first: DOE and DOJ (2 noncompliant each), DHS, TREAS.
    let order: Vec<&str> = t
        .iter()
        .filter_map(|t| t.attrs.get("data-agency").map(String::as_str))
        .collect();
    assert_eq!(order[2..], ["DHS", "TREAS"]);
    // Most-failed rules agree with /metrics and carry the titles from the reports.
    let m = parse_exposition(&c.metrics().await);
    let rules: Vec<&Tag> = t
        .iter()
        .filter(|t| t.name == "tr" && t.attrs.contains_key("data-rule"))
        .collect();
    let ids: Vec<&str> = rules
        .iter()
        .map(|r| r.attrs["data-rule"].as_str())
        .collect();
    assert_eq!(ids, ["audit.minor", "ssh.root", "web.banner"]);
    for r in &rules {
        let fails: f64 = agencies
            .iter()
            .filter_map(|a| {
                ["low", "medium", "high"].iter().find_map(|sev| {
                    sample(
                        &m,
                        "hardline_rule_results",
                        &[
                            ("agency", a),
                            ("rule_id", &r.attrs["data-rule"]),
                            ("severity", sev),
                            ("status", "fail"),
                        ],
                    )
                })
            })
            .sum();
        assert_eq!(attr_i64(r, "data-failing") as f64, fails, "{:?}", r.attrs);
    }
    assert_eq!(attr_i64(rules[0], "data-failing"), 12 + 8 + 5 + 4);
    let banner = text_after(&dom, rules[2], "</tr>");
    assert!(
        banner.contains(HOSTILE_TITLE),
        "title shown as text: {banner}"
    );
    assert!(text_after(&dom, rules[1], "</tr>").contains("title of ssh.root"));
    // Hostile strings stayed text: the only elements are the page's own.
    assert!(!t
        .iter()
        .any(|t| t.name == "script" || t.name == "img" || t.name == "b"));
    let h1 = by_id(&t, "campaign-name").unwrap();
    assert_eq!(text_after(&dom, h1, "</h1>"), HOSTILE_CAMPAIGN);
    assert!(dom.contains("&lt;script&gt;document.title="));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_page_with_no_hosts() {
    if !hardline_agent::testutil::tool_available("chromium") {
        return;
    }
    let env = plain_env("eo-30-day", &["DOE".to_string(), "DOJ".to_string()]);
    let c = env.start_at(Some(START + 5 * DAY + 3 * HOUR));
    let (_, summary) = c.get(Some(VIEWER), "/api/v1/summary").await;
    let (headers, html) = fetch_page(&c).await;
    assert_self_contained(&html, &headers);
    let dom = render(&format!("{}/", c.read), "status-page-no-hosts");
    assert_matches_summary(&dom, &summary);
    let t = tags(&dom);
    assert_eq!(verdict(&dom).0, "no-hosts");
    assert_eq!(
        attr_i64(by_id(&t, "days-left").unwrap(), "data-days-left"),
        25
    );
    assert_eq!(attr_i64(by_id(&t, "totals").unwrap(), "data-hosts"), 0);
    assert!(by_id(&t, "projection").is_none());
    assert!(by_id(&t, "top-rules").is_some());
    assert!(dom.contains("No rule is failing"));
    assert!(!dom.contains("NaN"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_page_with_fifty_agencies_after_the_deadline() {
    if !hardline_agent::testutil::tool_available("chromium") {
        return;
    }
    let mut agencies: Vec<String> = (1..50).map(|n| format!("AGENCY-{n:02}")).collect();
    // The longest name the configuration allows.
    agencies.push(format!("Long.{}", "x".repeat(59)));
    assert_eq!(agencies[49].len(), 64);
    let env = plain_env("eo-30-day", &agencies);
    let now = START + 33 * DAY + 2 * HOUR; // three days after the deadline
    let c = env.start_at(Some(now));
    for (n, a) in agencies.iter().enumerate() {
        let n = n as i64;
        for h in 0..(n % 6) {
            let st = if h < n % 3 { Fail } else { Pass };
            let r = report(
                &format!("{a}-{h}"),
                now - 600,
                &[
                    ("ssh.root", High, st),
                    (&format!("rule.n{}", n % 13), Low, Fail),
                ],
            );
            let (st, body) = c.push_report(&agent_token(a), &r).await;
            assert_eq!(st, 201, "{body}");
        }
    }
    let (_, summary) = c.get(Some(VIEWER), "/api/v1/summary").await;
    let (headers, html) = fetch_page(&c).await;
    assert_self_contained(&html, &headers);
    let dom = render(&format!("{}/", c.read), "status-page-50-agencies");
    assert_matches_summary(&dom, &summary);
    let t = tags(&dom);
    let rows = t
        .iter()
        .filter(|t| t.attrs.contains_key("data-agency"))
        .count();
    assert_eq!(rows, 50);
    let days = by_id(&t, "days-left").unwrap();
    assert_eq!(days.attrs["data-deadline-passed"], "true");
    assert_eq!(attr_i64(days, "data-days-overdue"), 3);
    assert!(text_after(&dom, days, "</div>").contains("3 days ago"));
    let (v, text) = verdict(&dom);
    assert_eq!(v, "at-risk", "{text}");
    assert!(text.contains("deadline has passed"), "{text}");
    let rules = t
        .iter()
        .filter(|t| t.attrs.contains_key("data-rule"))
        .count();
    assert_eq!(rules, 10, "the ten most-failed rules");
}
