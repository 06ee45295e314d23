//! Load generator for hardline-collector (a benchmark, not a test).
//!
//! Starts the real collector binary (release build) with TLS on loopback and a temp data
//! dir (durable commits: WAL + synchronous=FULL), then measures over real HTTPS:
//! 1. ingest throughput: `BENCH_HOSTS` reports (default 100,000) of 150 results each,
//!    one per new host, from `BENCH_CONCURRENCY` senders (default 64); then
//!    `BENCH_UPDATES` (default 20,000) that replace stored hosts' reports;
//! 2. latency at a fixed rate: `BENCH_RATE` reports/s (default 500) for `BENCH_SECONDS`
//!    (default 10), open loop (sends are scheduled, not waiting for answers): p50/p99/max;
//! 3. `/metrics` scrape time with all hosts stored (20 scrapes);
//! 4. collector RSS (VmRSS and VmHWM);
//! 5. restart time: SIGTERM, start, time until `/metrics` answers.
//!
//! Run: `cargo bench -p hardline-collector --bench collector_load`. `BENCH_MODE`: `agent`
//! (default: the agent's own push client, a new TLS connection per report, resuming the
//! session), `fresh` (the same with reqwest), `full` (reqwest without resumption), `http1`
//! (keep-alive) or `h2` (one multiplexed connection).
//! The generator shares the machine's cores with the collector: numbers are conservative.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark driver: abort loudly on setup errors

mod common;

use common::{body, cpu_seconds, env_or, now, rss_kib, start, template};
use hardline_agent::report::*;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// (user, system) CPU seconds of a process.
fn cpu_split(pid: &str) -> (f64, f64) {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = s.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) / 100.0, ticks(12) / 100.0)
}

/// Who pushes: reqwest, or the agent's own push client.
#[derive(Clone)]
enum Sender {
    Http(reqwest::Client),
    Agent(Arc<hardline_agent::push::client::Client>),
}

/// Push one report and read the whole answer; `Err` unless 2xx.
async fn post(sender: &Sender, url: &str, token: &str, b: Vec<u8>) -> Result<(), String> {
    use hardline_agent::push::client::Delivery;
    let client = match sender {
        Sender::Http(c) => c,
        Sender::Agent(a) => {
            return match a.push(hyper::body::Bytes::from(b)).await {
                Delivery::Stored { .. } => Ok(()),
                other => Err(format!("{other:?}")),
            }
        }
    };
    let r = client
        .post(url)
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(b)
        .send()
        .await
        .map_err(|e| format!("{e:?}"))?;
    let status = r.status();
    let text = r.text().await.map_err(|e| format!("{e:?}"))?;
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("{status} {text}"))
    }
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    // `cargo bench` passes --bench; ignore arguments.
    let hosts = env_or("BENCH_HOSTS", 100_000);
    let conc = env_or("BENCH_CONCURRENCY", 64);
    let rate = env_or("BENCH_RATE", 500);
    let secs = env_or("BENCH_SECONDS", 10);
    let dir = tempfile::Builder::new()
        .prefix("collector-bench")
        .tempdir_in(std::env::var("BENCH_DIR").unwrap_or_else(|_| "/tmp".into()))
        .unwrap();

    let (ca_pem, ca_der) = common::tls_material(dir.path());
    let token = "bench-agent-token";
    let sha = hardline_collector::hash_token(token.as_bytes()).unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\nread_listen = \"127.0.0.1:0\"\ndata_dir = \"data\"\n\
             tls_cert = \"tls.crt\"\ntls_key = \"tls.key\"\n[limits]\nrate_per_minute = 100000000\n\
             [campaign]\nname = \"bench\"\nstart = \"2026-06-02T00:00:00Z\"\ndays = 30\n\
             [[agency]]\nname = \"BENCH\"\ntokens = [{{ role = \"agent\", sha256 = \"{sha}\" }}]\n"
        ),
    )
    .unwrap();
    if std::env::var_os("BENCH_MICRO").is_some() {
        micro();
        in_process(&config, token, &tpl_for_micro()).await;
        return;
    }
    let (mut p, _) = start(&config);
    // How the load arrives (BENCH_MODE):
    // - `agent` (the default): each sender is one agent, pushing with the agent's own
    //   client (`hardline_agent::push::client::Client`, what `hardline-agent run` uses): a
    //   new TCP connection and TLS session per report over HTTP/1.1, resuming the session
    //   with the collector's ticket from its previous push;
    // - `fresh`: the same pattern with reqwest (one client, its session cache shared);
    // - `full`: a full handshake every time (no resumption), as agents run from the timer
    //   (`run --once`, a new process per scan) connect;
    // - `http1`: HTTP/1.1 keep-alive, one connection per concurrent sender;
    // - `h2`: every sender multiplexed over one HTTP/2 connection.
    let mode = std::env::var("BENCH_MODE").unwrap_or_else(|_| "agent".into());
    let builder = reqwest::Client::builder().timeout(Duration::from_secs(60));
    let builder = if mode == "full" {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca_der.clone()).unwrap();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        tls.resumption = rustls::client::Resumption::disabled();
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        builder.use_preconfigured_tls(tls)
    } else {
        builder.tls_certs_only([reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap()])
    };
    let builder = match mode.as_str() {
        "agent" | "fresh" | "full" => builder.http1_only().pool_max_idle_per_host(0),
        "http1" => builder
            .http1_only()
            .pool_max_idle_per_host(conc as usize * 2),
        "h2" => builder.pool_max_idle_per_host(conc as usize * 2),
        other => panic!("BENCH_MODE={other}: choose agent, fresh, full, http1 or h2"),
    };
    let client = builder.build().unwrap();
    std::fs::write(dir.path().join("agent.token"), token).unwrap();
    let agent_settings = hardline_agent::push::client::ClientSettings {
        endpoint: hardline_agent::push::client::Endpoint::parse(&p.ingest).unwrap(),
        token_file: dir.path().join("agent.token"),
        ca_bundle: Some(dir.path().join("ca.pem")),
        client_identity: None,
        connect_timeout: Duration::from_secs(30),
        request_timeout: Duration::from_secs(60),
    };
    let sender = || -> Sender {
        if mode == "agent" {
            Sender::Agent(Arc::new(
                hardline_agent::push::client::Client::new(agent_settings.clone()).unwrap(),
            ))
        } else {
            Sender::Http(client.clone())
        }
    };
    let url = format!("{}/api/v1/reports", p.ingest);
    let tpl = Arc::new(template());
    println!(
        "report size: {} bytes JSON, 150 results; hosts {hosts}, concurrency {conc}, mode {mode}",
        body(&tpl, 0).len()
    );

    // 1. Throughput: first while filling the store with `hosts` new hosts, then for
    //    `BENCH_UPDATES` reports (default 20,000) replacing stored hosts' latest reports:
    //    the steady state of a fleet, where every push also prunes the host's history.
    let updates = env_or("BENCH_UPDATES", 20_000);
    let pid = p.child.id().to_string();
    for (what, n, stride) in [("new hosts", hosts, 1), ("updates", updates, 7919)] {
        if n == 0 {
            continue;
        }
        let next = Arc::new(AtomicU64::new(0));
        let errors = Arc::new(AtomicU64::new(0));
        let (c0, g0, split0) = (cpu_seconds(&pid), cpu_seconds("self"), cpu_split(&pid));
        let t = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..conc {
            let (client, url, tpl, next, errors) = (
                sender(),
                url.clone(),
                tpl.clone(),
                next.clone(),
                errors.clone(),
            );
            tasks.push(tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        return;
                    }
                    let b = body(&tpl, (i * stride) % hosts.max(1));
                    // The answer is read whole, as the agent does (an HTTP/2 client that
                    // drops unread answers resets their streams, and h2 closes a
                    // connection after 1024 such resets).
                    if let Err(e) = post(&client, &url, token, b).await {
                        if errors.fetch_add(1, Ordering::Relaxed) < 5 {
                            eprintln!("error: {e}");
                        }
                    }
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let el = t.elapsed().as_secs_f64();
        println!(
            "ingest ({what}): {n} reports in {el:.1} s = {:.0} reports/s ({} errors)",
            n as f64 / el,
            errors.load(Ordering::Relaxed)
        );
        println!(
            "  CPU per report: collector {:.2} ms, load generator {:.2} ms",
            (cpu_seconds(&pid) - c0) * 1000.0 / n as f64,
            (cpu_seconds("self") - g0) * 1000.0 / n as f64
        );
        let split1 = cpu_split(&pid);
        println!(
            "  collector user {:.2} ms, system {:.2} ms per report",
            (split1.0 - split0.0) * 1000.0 / n as f64,
            (split1.1 - split0.1) * 1000.0 / n as f64
        );
    }

    // 2. Latency at a fixed rate (open loop), updating existing hosts.
    let total = rate * secs;
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let start_t = Instant::now();
    let mut handles = Vec::with_capacity(total as usize);
    let shared = sender();
    for i in 0..total {
        let due = start_t + interval * i as u32;
        tokio::time::sleep_until(due.into()).await;
        let (client, url, tpl) = (shared.clone(), url.clone(), tpl.clone());
        handles.push(tokio::spawn(async move {
            let b = body(&tpl, (i * 7919) % hosts.max(1));
            let t = Instant::now();
            let ok = post(&client, &url, token, b).await.is_ok();
            (t.elapsed().as_secs_f64() * 1000.0, ok)
        }));
    }
    let mut lat = Vec::new();
    let mut failed = 0;
    for h in handles {
        let (ms, ok) = h.await.unwrap();
        if ok {
            lat.push(ms);
        } else {
            failed += 1;
        }
    }
    lat.sort_by(|a, b| a.total_cmp(b));
    println!(
        "latency at {rate}/s for {secs} s: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({failed} failed)",
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        pct(&lat, 1.0)
    );

    // 3. Scrape time.
    let mut scrape = Vec::new();
    let mut size = 0;
    for _ in 0..20 {
        let t = Instant::now();
        let text = client
            .get(format!("{}/metrics", p.read))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        scrape.push(t.elapsed().as_secs_f64() * 1000.0);
        size = text.len();
    }
    scrape.sort_by(|a, b| a.total_cmp(b));
    println!(
        "/metrics with {hosts} hosts: median {:.1} ms, max {:.1} ms, {size} bytes",
        pct(&scrape, 0.5),
        pct(&scrape, 1.0)
    );

    // 4. RSS.
    let (rss, hwm) = rss_kib(p.child.id());
    println!(
        "collector RSS {:.0} MiB (peak {:.0} MiB); store {:.0} MiB",
        rss as f64 / 1024.0,
        hwm as f64 / 1024.0,
        dir_size(&dir.path().join("data")) as f64 / 1048576.0
    );

    // 5. Restart.
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(p.child.id().to_string())
        .status();
    let _ = p.child.wait();
    let t = Instant::now();
    let (mut p2, listening) = start(&config);
    let ok = client
        .get(format!("{}/metrics", p2.read))
        .send()
        .await
        .map(|r| r.status().is_success())
        .unwrap_or(false);
    println!(
        "restart with {hosts} hosts: listening after {:.2} s, first scrape ok={ok} after {:.2} s; RSS {:.0} MiB",
        listening.as_secs_f64(),
        t.elapsed().as_secs_f64(),
        rss_kib(p2.child.id()).0 as f64 / 1024.0
    );
    let _ = p2.child.kill();
    let _ = p2.child.wait();
    drop(p);
}

fn tpl_for_micro() -> String {
    template()
}

/// The whole ingest path in process (no HTTP, no TLS): CPU per report.
async fn in_process(config: &std::path::Path, token: &str, tpl: &str) {
    use tower::ServiceExt;
    let cfg = hardline_collector::config::Config::load(config).unwrap();
    let (app, _w) =
        hardline_collector::App::open(cfg, hardline_collector::Clock::system()).unwrap();
    let router = hardline_collector::api::ingest_router(app);
    let n = 3000u64;
    let bodies: Vec<Vec<u8>> = (0..n).map(|h| body(tpl, 1_000_000 + h)).collect();
    let writer_cpu = || {
        let mut total = 0.0;
        for e in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
            let tid = e.file_name().to_string_lossy().to_string();
            let comm =
                std::fs::read_to_string(format!("/proc/self/task/{tid}/comm")).unwrap_or_default();
            if comm.trim() == "hardline-writer" {
                total += cpu_seconds(&format!("self/task/{tid}"));
            }
        }
        total
    };
    let w0 = writer_cpu();
    let c = cpu_seconds("self");
    let t = Instant::now();
    let mut tasks = Vec::new();
    let bodies = Arc::new(std::sync::Mutex::new(bodies));
    for _ in 0..64 {
        let router = router.clone();
        let bodies = bodies.clone();
        let token = token.to_string();
        tasks.push(tokio::spawn(async move {
            loop {
                let Some(b) = bodies.lock().unwrap().pop() else {
                    return;
                };
                let req = axum::http::Request::post("/api/v1/reports")
                    .header("authorization", format!("Bearer {token}"))
                    .body(axum::body::Body::from(b))
                    .unwrap();
                let resp = router.clone().oneshot(req).await.unwrap();
                assert!(resp.status().is_success());
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    println!(
        "in process: {:.0} reports/s, {:.2} ms CPU per report",
        n as f64 / t.elapsed().as_secs_f64(),
        (cpu_seconds("self") - c) * 1000.0 / n as f64
    );
    println!(
        "  of which writer thread {:.2} ms",
        (writer_cpu() - w0) * 1000.0 / n as f64
    );
}

/// Per-report CPU of the ingest steps, in process.
fn micro() {
    let tpl = template();
    let bodies: Vec<Vec<u8>> = (0..2000).map(|h| body(&tpl, h)).collect();
    let limits = hardline_collector::config::Limits::default();
    let n = bodies.len() as f64;
    let c = cpu_seconds("self");
    let t = Instant::now();
    let reports: Vec<Report> = bodies
        .iter()
        .map(|b| hardline_collector::validate::parse(b).unwrap())
        .collect();
    println!(
        "parse: {:.1} us wall, {:.1} us CPU",
        t.elapsed().as_secs_f64() * 1e6 / n,
        (cpu_seconds("self") - c) * 1e6 / n
    );
    let c = cpu_seconds("self");
    for b in &bodies {
        let _: serde::de::IgnoredAny = serde_json::from_slice(b).unwrap();
    }
    println!(
        "IgnoredAny: {:.1} us CPU",
        (cpu_seconds("self") - c) * 1e6 / n
    );
    let c = cpu_seconds("self");
    for b in &bodies {
        let _: serde_json::Value = serde_json::from_slice(b).unwrap();
    }
    println!("Value: {:.1} us CPU", (cpu_seconds("self") - c) * 1e6 / n);
    let t = Instant::now();
    for r in &reports {
        hardline_collector::validate::validate(r, &limits, now()).unwrap();
    }
    println!("validate: {:.1} us", t.elapsed().as_secs_f64() * 1e6 / n);
    let t = Instant::now();
    let mut total = 0;
    for b in &bodies {
        total += lz4_flex::compress_prepend_size(b).len();
    }
    println!(
        "lz4: {:.1} us, ratio {:.1}",
        t.elapsed().as_secs_f64() * 1e6 / n,
        (n * bodies[0].len() as f64) / total as f64
    );
}

fn dir_size(p: &std::path::Path) -> u64 {
    std::fs::read_dir(p)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}
