//! The real agent binary pushing to the real collector: `scan --push`, `run --once`, `run`
//! through an outage and a restart, spool bounds, permanent refusals, bad tokens and URLs.

use crate::util::*;
use hardline_agent::report::{Report, Severity, Status};
use hardline_agent::testutil::{host_fixture, sibling_bin};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn agent() -> Command {
    Command::new(sibling_bin("hardline-agent"))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Poll `f` until it is true; panic with `what` after a generous deadline.
fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `<seq>.json` files of a spool directory, oldest first.
fn spooled(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn read_report(p: &Path) -> Report {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

/// An agent's files: token, config, spool.
struct AgentFiles {
    dir: PathBuf,
}

impl AgentFiles {
    fn new(env: &Env, name: &str, token: &str) -> AgentFiles {
        let dir = env.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("token"), format!("{token}\n")).unwrap();
        AgentFiles { dir }
    }
    fn token(&self) -> PathBuf {
        self.dir.join("token")
    }
    fn spool(&self) -> PathBuf {
        self.dir.join("spool")
    }
    fn config(&self) -> PathBuf {
        self.dir.join("agent.toml")
    }
    /// Write the config: collector URL, the test CA, fast retries, plus `extra` lines.
    fn write(&self, env: &Env, collector: &str, extra: &str) -> PathBuf {
        let text = format!(
            "collector = {collector:?}\ntoken_file = {:?}\nca_bundle = {:?}\nspool_dir = {:?}\n\
             retry_min = \"50ms\"\nretry_max = \"300ms\"\n{extra}",
            self.token().display().to_string(),
            env.path().join("ca.pem").display().to_string(),
            self.spool().display().to_string(),
        );
        std::fs::write(self.config(), text).unwrap();
        self.config()
    }
    fn run_once(&self, root: &str) -> Output {
        agent()
            .args(["run", "--once", "--config"])
            .arg(self.config())
            .arg("--root")
            .arg(host_fixture(root))
            .output()
            .unwrap()
    }
}

/// A free loopback port (bound, then released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Pin the collector's ingest listener to `port` so that it comes back at the same URL.
fn pin_ingest_port(env: &Env, port: u16) {
    let text = std::fs::read_to_string(env.config_path()).unwrap();
    let pinned = text.replacen(
        "listen = \"127.0.0.1:0\"",
        &format!("listen = \"127.0.0.1:{port}\""),
        1,
    );
    assert_ne!(text, pinned);
    std::fs::write(env.config_path(), pinned).unwrap();
}

fn sigterm(child: &Child) {
    let ok = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(ok.success());
}

/// `report_id`s of a host in the collector's store, in the order they were stored.
fn stored_ids(env: &Env, host_id: &str) -> Vec<String> {
    let conn = rusqlite::Connection::open_with_flags(
        env.db_path(),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    let mut stmt = conn
        .prepare("SELECT report_id FROM reports WHERE host_id = ?1 ORDER BY rowid")
        .unwrap();
    stmt.query_map([host_id], |r| r.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn compliant(r: &Report) -> bool {
    !r.results
        .iter()
        .any(|x| x.severity >= Severity::Medium && matches!(x.status, Status::Fail | Status::Error))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_agents_in_two_agencies_push_and_the_collector_counts_what_they_sent() {
    let env = Env::new(Setup::default());
    let c = env.start();
    let doe = AgentFiles::new(&env, "doe", DOE_AGENT);
    let doj = AgentFiles::new(&env, "doj", DOJ_AGENT);
    doe.write(&env, &c.ingest, "");
    doj.write(&env, &c.ingest, "");

    // run --once: one scan each, delivered, spool empty, exit 0.
    for (a, root) in [(&doe, "hardened"), (&doj, "weak")] {
        let o = a.run_once(root);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(0), "{root}: {err}");
        assert!(err.contains("scan done: host"), "{err}");
        assert!(err.contains("delivered 1 report(s)"), "{err}");
        assert!(spooled(&a.spool()).is_empty());
    }

    // scan --push: the usual output (JSON to a file) plus one push; the latest report.
    let mut latest: BTreeMap<&str, Report> = BTreeMap::new();
    for (a, root, agency) in [(&doe, "hardened", "DOE"), (&doj, "weak", "DOJ")] {
        let out = a.dir.join("report.json");
        let o = agent()
            .args(["scan", "--format", "json", "--root"])
            .arg(host_fixture(root))
            .arg("--output")
            .arg(&out)
            .arg("--push")
            .arg(&c.ingest)
            .arg("--token-file")
            .arg(a.token())
            .arg("--ca-bundle")
            .arg(env.path().join("ca.pem"))
            .output()
            .unwrap();
        let err = stderr(&o);
        let r = read_report(&out);
        // 0/1 keep their scan meaning (findings at or above --fail-on).
        let want = if r.has_findings(Severity::Low) { 1 } else { 0 };
        assert_eq!(o.status.code(), Some(want), "{root}: {err}");
        assert!(err.contains("delivered"), "{err}");
        assert!(!err.contains(DOE_AGENT) && !err.contains(DOJ_AGENT));
        assert_eq!(stored_ids(&env, &r.host.id).len(), 2, "{root}");
        assert_eq!(
            stored_ids(&env, &r.host.id)[1],
            r.report_id.to_string(),
            "{root}"
        );
        latest.insert(agency, r);
    }
    let (hardened, weak) = (&latest["DOE"], &latest["DOJ"]);
    assert_ne!(hardened.host.id, weak.host.id);
    // The fixtures differ in what matters: the weak host is noncompliant.
    assert!(!compliant(weak));

    let m = parse_exposition(&c.metrics().await);
    for (agency, r) in &latest {
        assert_eq!(
            sample(&m, "hardline_reports_received_total", &[("agency", agency)]),
            Some(2.0)
        );
        let state = if compliant(r) {
            "compliant"
        } else {
            "noncompliant"
        };
        for s in ["compliant", "noncompliant", "stale"] {
            assert_eq!(
                sample(&m, "hardline_hosts", &[("agency", agency), ("state", s)]),
                Some(if s == state { 1.0 } else { 0.0 }),
                "{agency} {s}"
            );
        }
        // Every rule of the report, with its severity and status, counted once.
        let mut seen = std::collections::HashSet::new();
        for x in &r.results {
            assert!(seen.insert(&x.rule_id), "{} twice", x.rule_id);
            assert_eq!(
                sample(
                    &m,
                    "hardline_rule_results",
                    &[
                        ("agency", agency),
                        ("rule_id", &x.rule_id),
                        ("severity", x.severity.as_str()),
                        ("status", x.status.as_str())
                    ]
                ),
                Some(1.0),
                "{agency} {} {}",
                x.rule_id,
                x.status
            );
        }
        let total: f64 = m
            .iter()
            .filter(|s| {
                s.0 == "hardline_rule_results"
                    && s.1.contains(&("agency".to_string(), agency.to_string()))
            })
            .map(|s| s.2)
            .sum();
        assert_eq!(total, r.results.len() as f64, "{agency}");
    }
    // The read API: each agency sees its own host, with the state and the latest report.
    for (viewer, agency) in [(DOE_VIEWER, "DOE"), (DOJ_VIEWER, "DOJ")] {
        let r = &latest[agency];
        let (s, v) = c.get(Some(viewer), "/api/v1/hosts").await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["total"], 1, "{v}");
        let h = &v["hosts"][0];
        assert_eq!(h["id"], r.host.id.as_str());
        assert_eq!(h["agency"], agency);
        assert_eq!(h["report_id"], r.report_id.to_string());
        assert_eq!(
            h["state"],
            if compliant(r) {
                "compliant"
            } else {
                "noncompliant"
            }
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outage_spools_survives_kill_9_and_delivers_everything_once_in_order() {
    let env = Env::new(Setup::default());
    let port = free_port();
    pin_ingest_port(&env, port);
    let url = format!("https://127.0.0.1:{port}");
    let a = AgentFiles::new(&env, "doe", DOE_AGENT);
    a.write(&env, &url, "interval = \"200ms\"\nsplay = \"50ms\"\n");
    let spawn = || {
        agent()
            .args(["run", "--config"])
            .arg(a.config())
            .arg("--root")
            .arg(host_fixture("hardened"))
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // The collector is down: the agent keeps scanning and spooling.
    let mut first = spawn();
    wait_for("4 spooled reports", || spooled(&a.spool()).len() >= 4);
    first.kill().unwrap();
    let status = first.wait().unwrap();
    assert!(!status.success());
    let mut log = String::new();
    use std::io::Read;
    first
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(log.contains("collector unreachable"), "{log}");
    assert!(log.contains("next retry in"), "{log}");
    assert!(!log.contains(DOE_AGENT));

    // What the spool holds after the kill, in order.
    let before: Vec<Report> = spooled(&a.spool()).iter().map(|p| read_report(p)).collect();
    assert!(before.len() >= 4);
    let host = before[0].host.id.clone();
    assert!(before.iter().all(|r| r.host.id == host));

    // Restart the agent with a long interval (no new scans after the first), then the
    // collector at the same address.
    a.write(&env, &url, "interval = \"1h\"\nsplay = \"0s\"\n");
    let mut second = spawn();
    let c = env.start();
    assert_eq!(c.ingest, url);
    wait_for("the spool to drain", || {
        spooled(&a.spool()).is_empty() && stored_ids(&env, &host).len() > before.len()
    });
    let stored = stored_ids(&env, &host);
    // Every spooled report arrived exactly once (report_id is the primary key), in spool
    // order; the restarted agent's own scan came last.
    let want: Vec<String> = before.iter().map(|r| r.report_id.to_string()).collect();
    assert_eq!(stored[..want.len()], want[..]);
    assert_eq!(stored.len(), want.len() + 1);
    let m = parse_exposition(&c.metrics().await);
    assert_eq!(
        sample(&m, "hardline_reports_received_total", &[("agency", "DOE")]),
        Some(stored.len() as f64)
    );
    // SIGTERM: a clean stop, exit 0.
    sigterm(&second);
    let mut waited = 0;
    let status = loop {
        if let Some(s) = second.try_wait().unwrap() {
            break s;
        }
        waited += 1;
        assert!(waited < 2400, "the agent did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut log = String::new();
    second
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(log.contains("stopping: 0 report(s) left"), "{log}");
    assert!(log.contains(&format!("({} waiting)", want.len())), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spool_bounds_and_permanent_refusals_do_not_block_the_queue() {
    let env = Env::new(Setup::default());
    let c = env.start();
    let dead = format!("https://127.0.0.1:{}", free_port());

    // Count bound: with the collector unreachable, a third report drops the oldest.
    let doj = AgentFiles::new(&env, "doj", DOJ_AGENT);
    doj.write(&env, &dead, "spool_max_reports = 2\n");
    let mut ids = Vec::new();
    for i in 0..3 {
        let o = doj.run_once(if i == 0 { "hardened" } else { "weak" });
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let spool = spooled(&doj.spool());
        ids.push(read_report(spool.last().unwrap()).report_id);
        if i == 2 {
            assert!(
                stderr(&o).contains("dropped 1 oldest report(s)"),
                "{}",
                stderr(&o)
            );
        }
    }
    let spool = spooled(&doj.spool());
    assert_eq!(spool.len(), 2);
    let left: Vec<_> = spool.iter().map(|p| read_report(p).report_id).collect();
    assert_eq!(left, ids[1..]);

    // DOE owns the weak host now: DOJ's two spooled weak reports are refused for good
    // (403) and moved to rejected/, and the hardened report behind them still goes through.
    let doe = AgentFiles::new(&env, "doe", DOE_AGENT);
    doe.write(&env, &c.ingest, "");
    let o = doe.run_once("weak");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    doj.write(&env, &c.ingest, "spool_max_reports = 10\n");
    let o = doj.run_once("hardened");
    let err = stderr(&o);
    // Exit 1: not everything was delivered (two were refused).
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("refused report"), "{err}");
    assert!(err.contains("host_owned"), "{err}");
    assert!(err.contains("delivered 1 report(s)"), "{err}");
    assert!(spooled(&doj.spool()).is_empty());
    let rejected = spooled(&doj.spool().join("rejected"));
    assert_eq!(rejected.len(), 2);
    let weak = read_report(&rejected[0]).host.id;
    for (p, id) in rejected.iter().zip(&ids[1..]) {
        assert_eq!(read_report(p).report_id, *id);
        let reason = std::fs::read_to_string(p.with_extension("reason")).unwrap();
        assert!(reason.starts_with("403 host_owned"), "{reason}");
    }
    let m = parse_exposition(&c.metrics().await);
    assert_eq!(
        sample(&m, "hardline_reports_received_total", &[("agency", "DOJ")]),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &m,
            "hardline_reports_rejected_total",
            &[("reason", "host_owned_by_other_agency")]
        ),
        Some(2.0)
    );
    let (_, v) = c.get(Some(DOJ_VIEWER), "/api/v1/hosts").await;
    assert_eq!(v["total"], 1, "{v}");
    assert_ne!(v["hosts"][0]["id"], weak.as_str());
    let (_, v) = c.get(Some(DOE_VIEWER), "/api/v1/hosts").await;
    assert_eq!(v["hosts"][0]["id"], weak.as_str(), "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_urls_tokens_and_refusals() {
    let env = Env::new(Setup::default());
    let c = env.start();
    let a = AgentFiles::new(&env, "a", "not-a-known-token");

    // A wrong token: 401, the report stays spooled, exit 1, the token is not logged.
    a.write(&env, &c.ingest, "");
    let o = a.run_once("hardened");
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("401"), "{err}");
    assert!(!err.contains("not-a-known-token"), "{err}");
    assert_eq!(spooled(&a.spool()).len(), 1);
    // Rotating the token is picked up at the next attempt.
    std::fs::write(a.token(), DOE_AGENT).unwrap();
    let o = a.run_once("hardened");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("delivered 2 report(s)"),
        "{}",
        stderr(&o)
    );
    assert!(spooled(&a.spool()).is_empty());

    // Plain http:// to a host that is not loopback: refused before anything is sent.
    a.write(&env, "http://192.0.2.10:8080", "");
    let o = a.run_once("hardened");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("loopback"), "{}", stderr(&o));
    let o = agent()
        .args(["scan", "--root"])
        .arg(host_fixture("hardened"))
        .args(["--push", "http://collector.example.gov", "--token-file"])
        .arg(a.token())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("loopback"), "{}", stderr(&o));
    assert!(o.stdout.is_empty(), "no report on a usage error");

    // Missing and empty token files: refused at start (exit 2).
    a.write(&env, &c.ingest, "");
    std::fs::write(a.token(), "\n").unwrap();
    let o = a.run_once("hardened");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("empty"), "{}", stderr(&o));
    std::fs::remove_file(a.token()).unwrap();
    let o = a.run_once("hardened");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("token_file"), "{}", stderr(&o));

    // A config without the push keys.
    std::fs::write(a.config(), "interval = \"1h\"\n").unwrap();
    let o = a.run_once("hardened");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("collector, token_file, spool_dir"),
        "{}",
        stderr(&o)
    );

    // scan --push to a collector that is not there: exit 3, the report still written.
    std::fs::write(a.token(), DOE_AGENT).unwrap();
    let out = a.dir.join("r.json");
    let o = agent()
        .args(["scan", "--root"])
        .arg(host_fixture("hardened"))
        .arg("--output")
        .arg(&out)
        .arg("--push")
        .arg(format!("https://127.0.0.1:{}", free_port()))
        .arg("--token-file")
        .arg(a.token())
        .arg("--ca-bundle")
        .arg(env.path().join("ca.pem"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("push failed"), "{}", stderr(&o));
    assert!(read_report(&out).summary.pass > 0);
    // With a spool_dir in --config the failed push is spooled, not lost.
    a.write(&env, &format!("https://127.0.0.1:{}", free_port()), "");
    let o = agent()
        .args(["scan", "--format", "json", "--root"])
        .arg(host_fixture("hardened"))
        .arg("--config")
        .arg(a.config())
        .arg("--push")
        .arg(format!("https://127.0.0.1:{}", free_port()))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("stays in the spool"), "{}", stderr(&o));
    let spool = spooled(&a.spool());
    assert_eq!(spool.len(), 1);
    let printed: Report = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(read_report(&spool[0]).report_id, printed.report_id);
    // A certificate the agent does not trust: the TLS handshake fails, nothing is sent.
    let other = tempfile::tempdir().unwrap();
    make_certs(other.path());
    let o = agent()
        .args(["scan", "--root"])
        .arg(host_fixture("hardened"))
        .arg("--output")
        .arg(&out)
        .arg("--push")
        .arg(&c.ingest)
        .arg("--token-file")
        .arg(a.token())
        .arg("--ca-bundle")
        .arg(other.path().join("ca.pem"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("TLS handshake"), "{}", stderr(&o));
    let m = parse_exposition(&c.metrics().await);
    assert_eq!(
        sample(&m, "hardline_reports_received_total", &[("agency", "DOE")]),
        Some(2.0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mtls_collector_takes_reports_only_from_agents_with_a_client_certificate() {
    let env = Env::new(Setup {
        mtls: true,
        ..Setup::default()
    });
    let c = env.start();
    let a = AgentFiles::new(&env, "doe", DOE_AGENT);
    // Without a client certificate the handshake is refused: the report stays spooled.
    a.write(&env, &c.ingest, "");
    let o = a.run_once("hardened");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("collector unreachable"),
        "{}",
        stderr(&o)
    );
    assert_eq!(spooled(&a.spool()).len(), 1);
    // With the agent's certificate and key (one PEM file holding both) it goes through.
    let identity = a.dir.join("identity.pem");
    std::fs::write(&identity, &env.certs.client_identity_pem).unwrap();
    a.write(
        &env,
        &c.ingest,
        &format!(
            "client_cert = {:?}\nclient_key = {:?}\n",
            identity, identity
        ),
    );
    let o = a.run_once("hardened");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(spooled(&a.spool()).is_empty());
    let m = parse_exposition(&c.metrics().await);
    assert_eq!(
        sample(&m, "hardline_reports_received_total", &[("agency", "DOE")]),
        Some(2.0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unchanged_inventory_is_sent_once_then_only_its_digest() {
    let env = Env::new(Setup::default());
    let mut c = env.start();
    let a = AgentFiles::new(&env, "doe", DOE_AGENT);
    a.write(&env, &c.ingest, "");
    let o = a.run_once("weak");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // The collector acknowledged a report that carried the package list.
    let acked = std::fs::read_to_string(a.spool().join("inventory.acked")).unwrap();
    assert!(acked.starts_with("sha256:"), "{acked}");
    // Collector away: the next report waits in the spool with the digest alone.
    c.kill9();
    let o = a.run_once("weak");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let files = spooled(&a.spool());
    assert_eq!(files.len(), 1);
    let lean = read_report(&files[0]);
    let inv = lean.inventory.as_ref().unwrap();
    assert_eq!(inv.digest, acked);
    assert!(inv.packages.is_none(), "an acknowledged list is not resent");
    assert_eq!(inv.count, 20);
    // After a day the list goes again whole (a collector restored from a snapshot gets it).
    std::fs::File::options()
        .write(true)
        .open(a.spool().join("inventory.acked"))
        .unwrap()
        .set_modified(std::time::SystemTime::now() - Duration::from_secs(25 * 3600))
        .unwrap();
    let o = a.run_once("weak");
    assert_eq!(o.status.code(), Some(1));
    let files = spooled(&a.spool());
    assert_eq!(files.len(), 2);
    let full = read_report(&files[1]);
    assert_eq!(
        full.inventory
            .as_ref()
            .unwrap()
            .packages
            .as_ref()
            .unwrap()
            .len(),
        20
    );
    let (lean_len, full_len) = (
        std::fs::metadata(&files[0]).unwrap().len(),
        std::fs::metadata(&files[1]).unwrap().len(),
    );
    assert!(lean_len < full_len, "{lean_len} < {full_len}");
}

/// Issue 15: a 2xx that does not name the report sent (a proxy, a captive portal, some
/// other server at the collector's URL) is not a delivery: the report stays spooled.
#[test]
fn a_2xx_without_the_reports_id_is_not_a_delivery() {
    use std::io::{BufRead, BufReader, Read, Write};
    let env = Env::new(Setup::default());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut r = BufReader::new(conn.try_clone().unwrap());
            let mut len = 0usize;
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; len];
            let _ = r.read_exact(&mut body);
            let page = "<html>Welcome! Accept the terms to continue.</html>";
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
                page.len()
            );
        }
    });
    let a = AgentFiles::new(&env, "portal", DOE_AGENT);
    a.write(&env, &url, "push_timeout = \"5s\"\n");
    let o = a.run_once("hardened");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("not counted as delivered"),
        "{}",
        stderr(&o)
    );
    assert_eq!(spooled(&a.spool()).len(), 1, "{}", stderr(&o));
}
