//! The fleet's known vulnerabilities at scale (issue 12's targets): a benchmark, not a test.
//!
//! Generates a fleet the way agencies run one: `BENCH_IMAGES` (default 20) Debian 12 images
//! of `BENCH_PACKAGES` (default 1,500) packages each, and `BENCH_HOSTS` (default 100,000)
//! hosts, each one image where `BENCH_DRIFT` percent (default 60) of the hosts have one to
//! three packages at another version (a partial upgrade), so most inventories are distinct
//! while most package versions are shared. Generates an OSV `all.zip` of `BENCH_RECORDS`
//! (default 45,000) Debian:12 records over the fleet's source names (one in twelve under a
//! real KEV CVE id), with the real KEV catalog and the Vulnrichment fixture records.
//!
//! Then, against the real collector binary over TLS on loopback, measures:
//! 1. ingest of today's reports (150 results, no inventory) for every host: reports/s, RSS;
//! 2. ingest of the same hosts' reports with their full package lists: reports/s, report
//!    size, RSS and store size after (the inventories' cost);
//! 3. ingest of unchanged-inventory reports (digest only, what agents send after the first
//!    acknowledgement) for `BENCH_SECONDS` (default 15): reports/s, against 1;
//! 4. `feeds import` of the feeds, then SIGHUP: the time until every host is re-evaluated
//!    (the engine's own `match_seconds` and the wall time until `/api/v1/feeds` shows the
//!    new generation), while unchanged-inventory reports keep arriving (their rate during
//!    the re-match), RSS after;
//! 5. `/metrics`, `/api/v1/vulnerabilities?kev=true` and the status page, with the findings
//!    loaded: median of 20;
//! 6. a newer KEV catalog imported alone: the re-match time again.
//!
//! Run: `cargo bench -p hardline-collector --bench fleet_vulns` (BENCH_HOSTS=10000 for a
//! quick look). The generator shares the 2 cores with the collector: numbers are
//! conservative.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark driver: abort loudly

mod common;

use common::{body, env_or, rss_kib, start, template};
use hardline_agent::report::{Inventory, InventoryPackage, KernelInventory, Report};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A small deterministic generator (splitmix64): the fleet is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Binary packages in the universe the images draw from; two per source.
const UNIVERSE: usize = 6000;

fn version(j: usize, variant: u64) -> String {
    let base = format!("{}.{}.{}-{}", 1 + j % 9, j % 20, j % 10, 1 + j % 5);
    if variant == 0 {
        base
    } else {
        format!("{base}+deb12u{variant}")
    }
}

fn package(j: usize, variant: u64) -> InventoryPackage {
    let v = version(j, variant);
    InventoryPackage {
        name: format!("lib{j:05}"),
        version: v.clone(),
        arch: "amd64".into(),
        source: format!("src{:05}", j / 2),
        source_version: v,
    }
}

fn kernel_package(k: u64) -> InventoryPackage {
    InventoryPackage {
        name: format!("linux-image-6.1.0-{k}-amd64"),
        version: format!("6.1.{}-1", 100 + k),
        arch: "amd64".into(),
        source: "linux-signed-amd64".into(),
        source_version: format!("6.1.{}+1", 100 + k),
    }
}

/// An image: (universe index, variant) of its packages, and its kernel.
#[derive(Clone)]
struct Image {
    packages: Vec<(usize, u64)>,
    kernel: u64,
}

fn images(n: usize, size: usize, rng: &mut Rng) -> Vec<Image> {
    (0..n)
        .map(|m| {
            // A common base, a hundred packages of the image's own, some at newer versions.
            let mut idx: Vec<usize> = (0..size - 1).collect();
            for _ in 0..100.min(size / 4) {
                let at = rng.below(idx.len() as u64) as usize;
                idx[at] = size + rng.below((UNIVERSE - size) as u64) as usize;
            }
            idx.sort_unstable();
            idx.dedup();
            while idx.len() < size - 1 {
                let j = size + rng.below((UNIVERSE - size) as u64) as usize;
                if !idx.contains(&j) {
                    idx.push(j);
                }
            }
            let packages = idx
                .into_iter()
                .map(|j| {
                    (
                        j,
                        if rng.below(10) == 0 {
                            1 + (m as u64 % 4)
                        } else {
                            0
                        },
                    )
                })
                .collect();
            Image {
                packages,
                kernel: 20 + (m as u64 % 5),
            }
        })
        .collect()
}

/// Host `h`'s package list (sorted as the agent sends it) and kernels.
fn host_inventory(
    h: u64,
    imgs: &[Image],
    drift_pct: u64,
) -> (Vec<InventoryPackage>, KernelInventory) {
    let img = &imgs[(h % imgs.len() as u64) as usize];
    let mut rng = Rng(h.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0xDEAD_BEEF);
    let mut list = img.packages.clone();
    if rng.below(100) < drift_pct {
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(list.len() as u64) as usize;
            list[at].1 = 1 + rng.below(4);
        }
    }
    let mut packages: Vec<InventoryPackage> = list.iter().map(|&(j, v)| package(j, v)).collect();
    packages.push(kernel_package(img.kernel));
    packages.sort_by(|a, b| (&a.name, &a.version, &a.arch).cmp(&(&b.name, &b.version, &b.arch)));
    (packages, kernel_of(img))
}

fn kernel_of(img: &Image) -> KernelInventory {
    KernelInventory {
        running_release: Some(format!("6.1.0-{}-amd64", img.kernel)),
        running_version: Some(format!("6.1.{}-1", 100 + img.kernel)),
        installed: vec![format!(
            "linux-image-6.1.0-{}-amd64 6.1.{}-1",
            img.kernel,
            100 + img.kernel
        )],
    }
}

/// What the generator knows of the fleet.
struct Fleet {
    imgs: Vec<Image>,
    drift: u64,
    /// Each host's digest (an unchanged-inventory report carries only it).
    digests: Vec<String>,
    /// Packages per host.
    count: u32,
}

/// The report of host `h`: today's report, plus its inventory (`full`: with the list).
fn report(tpl: &Report, h: u64, fleet: &Fleet, inv: Option<bool>) -> Vec<u8> {
    let mut r = tpl.clone();
    r.report_id = uuid::Uuid::new_v4();
    r.host.id = format!("bench-{h:07}");
    r.host.hostname = format!("bench-{h:07}.bench.example.gov");
    let img = &fleet.imgs[(h % fleet.imgs.len() as u64) as usize];
    match inv {
        Some(true) => {
            let (packages, kernel) = host_inventory(h, &fleet.imgs, fleet.drift);
            r.inventory = Some(Inventory {
                format: "dpkg".into(),
                ecosystem: "Debian:12".into(),
                digest: fleet.digests[h as usize].clone(),
                count: packages.len() as u32,
                packages: Some(packages),
                kernel,
            });
        }
        Some(false) => {
            r.inventory = Some(Inventory {
                format: "dpkg".into(),
                ecosystem: "Debian:12".into(),
                digest: fleet.digests[h as usize].clone(),
                count: fleet.count,
                packages: None,
                kernel: kernel_of(img),
            });
        }
        None => {}
    }
    serde_json::to_vec(&r).unwrap()
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The KEV catalog's CVE ids.
fn kev_cves(path: &Path) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["cveID"].as_str().unwrap().to_string())
        .collect()
}

/// Write the feeds in the DESIGN.md layout under `dir`.
fn feeds(dir: &Path, records: usize, rng: &mut Rng) -> PathBuf {
    let f = dir.join("feeds");
    std::fs::create_dir_all(f.join("osv")).unwrap();
    let shared = repo().join("tests/fixtures/vuln/shared");
    let st = std::process::Command::new("cp")
        .arg("-aL")
        .arg(shared.join("kev"))
        .arg(shared.join("vulnrichment"))
        .arg(&f)
        .status()
        .unwrap();
    assert!(st.success());
    let kev_file = std::fs::read_dir(f.join("kev"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.extension().is_some_and(|x| x == "json") && !p.to_string_lossy().contains("schema")
        })
        .unwrap();
    let kev = kev_cves(&kev_file);
    let file = std::fs::File::create(f.join("osv/all.zip")).unwrap();
    let mut z = zip::ZipWriter::new(std::io::BufWriter::new(file));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..records {
        let cve = if i % 12 == 0 {
            kev[(i / 12) % kev.len()].clone()
        } else {
            format!("CVE-{}-{}", 2014 + i % 12, 100_000 + i)
        };
        let affected: Vec<serde_json::Value> = (0..[1, 1, 1, 2, 3][rng.below(5) as usize])
            .map(|_| {
                // Over 8,000 source names, 3,000 of them the fleet's; like Debian's
                // tracker, most records were fixed long ago (below every installed
                // version), some are fixed in a version the fleet only partly has, a few
                // have no fix yet: about 1,000 open findings per host.
                let j = rng.below(16_000) as usize;
                let mut events = vec![serde_json::json!({"introduced": "0"})];
                match rng.below(100) {
                    0..90 => {
                        events.push(serde_json::json!({"fixed": format!("0.{}-1", rng.below(50))}))
                    }
                    90..96 => {
                        events.push(serde_json::json!({"fixed": version(j, 1 + rng.below(4))}))
                    }
                    _ => {}
                }
                serde_json::json!({
                    "package": {"ecosystem": "Debian:12", "name": format!("src{:05}", j / 2),
                                "purl": "pkg:deb/debian/x?arch=source"},
                    "ranges": [{"type": "ECOSYSTEM", "events": events}],
                })
            })
            .collect();
        let rec = serde_json::json!({
            "schema_version": "1.6.0",
            "id": format!("DEBIAN-{cve}-{i}"),
            "modified": "2026-12-01T00:00:00Z",
            "published": "2026-01-01T00:00:00Z",
            "upstream": [cve],
            "details": "A flaw was found in a component that allows a remote attacker to run code.",
            "affected": affected,
        });
        z.start_file(format!("DEBIAN-{i}.json"), opts).unwrap();
        z.write_all(&serde_json::to_vec(&rec).unwrap()).unwrap();
    }
    z.finish().unwrap();
    f
}

struct Load {
    sent: AtomicU64,
    failed: AtomicU64,
    stop: AtomicBool,
}

/// Push hosts `hosts` (cycling) with `conc` senders until all are sent, or until `stop`
/// when `cycle`; returns reports/s.
#[allow(clippy::too_many_arguments)]
async fn push_all(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    tpl: Arc<Report>,
    fleet: Arc<Fleet>,
    hosts: u64,
    inv: Option<bool>,
    conc: u64,
    load: Arc<Load>,
    cycle: bool,
) -> f64 {
    let next = Arc::new(AtomicU64::new(0));
    let t = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..conc {
        let (client, url, token) = (client.clone(), url.to_string(), token.to_string());
        let (tpl, fleet, next, load) = (tpl.clone(), fleet.clone(), next.clone(), load.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if (!cycle && n >= hosts) || load.stop.load(Ordering::Relaxed) {
                    return;
                }
                let b = report(&tpl, n % hosts, &fleet, inv);
                let r = client
                    .post(&url)
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(b)
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        load.sent.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(r) => {
                        if load.failed.fetch_add(1, Ordering::Relaxed) < 3 {
                            eprintln!(
                                "push refused: {} {}",
                                r.status(),
                                r.text().await.unwrap_or_default()
                            );
                        }
                    }
                    Err(e) => {
                        if load.failed.fetch_add(1, Ordering::Relaxed) < 3 {
                            eprintln!("push failed: {e:?}");
                        }
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    load.sent.load(Ordering::Relaxed) as f64 / t.elapsed().as_secs_f64()
}

fn new_load() -> Arc<Load> {
    Arc::new(Load {
        sent: AtomicU64::new(0),
        failed: AtomicU64::new(0),
        stop: AtomicBool::new(false),
    })
}

async fn get(client: &reqwest::Client, url: &str) -> (u16, String) {
    let r = client
        .get(url)
        .bearer_auth("bench-viewer-token")
        .send()
        .await
        .unwrap();
    let st = r.status().as_u16();
    (st, r.text().await.unwrap())
}

async fn feeds_state(client: &reqwest::Client, read: &str) -> serde_json::Value {
    let (_, t) = get(client, &format!("{read}/api/v1/feeds")).await;
    serde_json::from_str(&t).unwrap_or_default()
}

async fn median_ms(client: &reqwest::Client, url: &str, n: usize) -> (f64, usize) {
    let mut xs = Vec::new();
    let mut size = 0;
    for _ in 0..n {
        let t = Instant::now();
        let (st, body) = get(client, url).await;
        xs.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(st, 200, "{url}: {}", &body[..body.len().min(300)]);
        size = body.len();
    }
    xs.sort_by(f64::total_cmp);
    (xs[xs.len() / 2], size)
}

fn dir_size(p: &Path) -> u64 {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| {
                    let m = e.metadata().unwrap();
                    if m.is_dir() {
                        dir_size(&e.path())
                    } else {
                        m.len()
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

fn import(config: &Path, paths: &[&Path]) -> f64 {
    let t = Instant::now();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_hardline-collector"))
        .args(["feeds", "import", "--config"])
        .arg(config)
        .args(paths)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    t.elapsed().as_secs_f64()
}

/// SIGHUP, then wait until the feeds' signature differs from `old`; returns the state.
async fn until_loaded(
    client: &reqwest::Client,
    read: &str,
    pid: u32,
    old: &serde_json::Value,
) -> serde_json::Value {
    std::process::Command::new("kill")
        .arg("-HUP")
        .arg(pid.to_string())
        .status()
        .unwrap();
    loop {
        let v = feeds_state(client, read).await;
        if v["loaded"] == true && v["signature"] != *old {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let hosts = env_or("BENCH_HOSTS", 100_000);
    let size = env_or("BENCH_PACKAGES", 1500) as usize;
    let n_images = env_or("BENCH_IMAGES", 20) as usize;
    let drift = env_or("BENCH_DRIFT", 60);
    let records = env_or("BENCH_RECORDS", 45_000) as usize;
    let conc = env_or("BENCH_CONCURRENCY", 16);
    let secs = env_or("BENCH_SECONDS", 15);
    let dir = tempfile::Builder::new()
        .prefix("fleet-vulns-bench")
        .tempdir_in(std::env::var("BENCH_DIR").unwrap_or_else(|_| "/tmp".into()))
        .unwrap();
    let (ca_pem, _) = common::tls_material(dir.path());
    let token = "bench-agent-token";
    let sha = hardline_collector::hash_token(token.as_bytes()).unwrap();
    let vsha = hardline_collector::hash_token(b"bench-viewer-token").unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\nread_listen = \"127.0.0.1:0\"\ndata_dir = \"data\"\n\
             tls_cert = \"tls.crt\"\ntls_key = \"tls.key\"\n[limits]\nrate_per_minute = 100000000\n\
             [campaign]\nname = \"bench\"\nstart = \"2026-06-02T00:00:00Z\"\ndays = 30\n\
             [[agency]]\nname = \"BENCH\"\ntokens = [{{ role = \"agent\", sha256 = \"{sha}\" }}, \
             {{ role = \"viewer\", sha256 = \"{vsha}\" }}]\n"
        ),
    )
    .unwrap();

    let t = Instant::now();
    let mut rng = Rng(26_04);
    let imgs = images(n_images, size, &mut rng);
    let feeds_dir = feeds(dir.path(), records, &mut rng);
    let digests: Vec<String> = (0..hosts)
        .map(|h| hardline_agent::inventory::digest(&host_inventory(h, &imgs, drift).0))
        .collect();
    let distinct: std::collections::HashSet<&String> = digests.iter().collect();
    println!(
        "fleet: {hosts} hosts, {size} packages each, {n_images} images, {drift}% drifted: {} distinct inventories; {records} OSV records (generated in {:.1} s)",
        distinct.len(),
        t.elapsed().as_secs_f64()
    );
    drop(distinct);
    let fleet = Arc::new(Fleet {
        count: host_inventory(0, &imgs, drift).0.len() as u32,
        imgs,
        drift,
        digests,
    });

    let tpl: Report = serde_json::from_slice(&body(&template(), 0)).unwrap();
    let tpl = Arc::new(tpl);
    let sizes = [None, Some(true), Some(false)].map(|i| report(&tpl, 1, &fleet, i).len());
    println!(
        "report size: {} bytes today, {} with the package list, {} with the digest only",
        sizes[0], sizes[1], sizes[2]
    );

    let (p, _) = start(&config);
    let pid = p.child.id();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .tls_certs_only([reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap()])
        .http1_only()
        .pool_max_idle_per_host(conc as usize * 2)
        .build()
        .unwrap();
    let url = format!("{}/api/v1/reports", p.ingest);
    let push = |inv: Option<bool>, load: Arc<Load>, cycle: bool| {
        push_all(
            &client,
            &url,
            token,
            tpl.clone(),
            fleet.clone(),
            hosts,
            inv,
            conc,
            load,
            cycle,
        )
    };

    // 1. Today's reports.
    let r0 = push(None, new_load(), false).await;
    let rss0 = rss_kib(pid).0;
    println!(
        "1. today's reports (no inventory): {r0:.0} reports/s; collector RSS {:.0} MiB",
        rss0 as f64 / 1024.0
    );

    // 2. With the package lists.
    let load = new_load();
    let r1 = push(Some(true), load.clone(), false).await;
    loop {
        let v = feeds_state(&client, &p.read).await;
        if v["hosts_with_inventory"].as_u64() >= Some(hosts) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let rss1 = rss_kib(pid).0;
    println!(
        "2. reports with the package list: {r1:.0} reports/s ({} refused); RSS {:.0} MiB (+{:.0} B/host); store {:.0} MiB",
        load.failed.load(Ordering::Relaxed),
        rss1 as f64 / 1024.0,
        (rss1 as f64 - rss0 as f64) * 1024.0 / hosts as f64,
        dir_size(&dir.path().join("data")) as f64 / 1048576.0
    );

    // 3. Unchanged inventories, no feeds yet.
    let load = new_load();
    let l2 = load.clone();
    let stopper = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(secs)).await;
        l2.stop.store(true, Ordering::Relaxed);
    });
    let r2 = push(Some(false), load, true).await;
    stopper.await.unwrap();
    println!("3. unchanged-inventory reports: {r2:.0} reports/s (today's: {r0:.0})");

    // 4. Import the feeds and re-match the fleet while unchanged reports keep arriving.
    let imported = import(&config, &[&feeds_dir]);
    let load = new_load();
    let bg = {
        let (client, url, tpl, fleet, load) = (
            client.clone(),
            url.clone(),
            tpl.clone(),
            fleet.clone(),
            load.clone(),
        );
        tokio::spawn(async move {
            push_all(
                &client,
                &url,
                token,
                tpl,
                fleet,
                hosts,
                Some(false),
                conc,
                load,
                true,
            )
            .await
        })
    };
    let t = Instant::now();
    let v = until_loaded(&client, &p.read, pid, &serde_json::Value::Null).await;
    let wall = t.elapsed().as_secs_f64();
    let sent_during = load.sent.load(Ordering::Relaxed);
    load.stop.store(true, Ordering::Relaxed);
    bg.await.unwrap();
    let rss2 = rss_kib(pid);
    println!(
        "4. feeds import {imported:.1} s; re-match of the fleet: {wall:.1} s wall from SIGHUP, engine {:.1} s, {} inventories; {:.0} reports/s meanwhile; RSS {:.0} MiB (+{:.0} B/host over 2), peak {:.0} MiB",
        v["match_seconds"].as_f64().unwrap_or(f64::NAN),
        v["inventories"],
        sent_during as f64 / wall,
        rss2.0 as f64 / 1024.0,
        (rss2.0 as f64 - rss1 as f64) * 1024.0 / hosts as f64,
        rss2.1 as f64 / 1024.0
    );

    // 5. Reads with the findings loaded.
    let kev_cve = {
        let (_, t) = get(
            &client,
            &format!(
                "{}/api/v1/vulnerabilities?kev=true&host=bench-0000001&per_page=1",
                p.read
            ),
        )
        .await;
        let v: serde_json::Value = serde_json::from_str(&t).unwrap();
        v["vulnerabilities"][0]["cve"]
            .as_str()
            .unwrap_or("CVE-0")
            .to_string()
    };
    let one_cve = format!("/api/v1/vulnerabilities?kev=true&cve={kev_cve}&per_page=100");
    for (what, path, n) in [
        ("/metrics", "/metrics", 20),
        (
            "one host's findings",
            "/api/v1/vulnerabilities?host=bench-0000001&per_page=100",
            5,
        ),
        ("one KEV CVE's hosts, first page", one_cve.as_str(), 5),
        ("status page", "/", 5),
    ] {
        let (ms, bytes) = median_ms(&client, &format!("{}{path}", p.read), n).await;
        println!("5. {what}: median {ms:.1} ms ({bytes} bytes)");
    }
    let t = Instant::now();
    let (st, _) = get(
        &client,
        &format!("{}/api/v1/vulnerabilities?kev=true", p.read),
    )
    .await;
    println!(
        "5. every KEV finding of the fleet, unfiltered: {st} in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // 6. A newer KEV catalog alone.
    let kev_dir = dir.path().join("kev-newer");
    std::fs::create_dir_all(&kev_dir).unwrap();
    let kev_src = std::fs::read_dir(feeds_dir.join("kev"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| !p.to_string_lossy().contains("schema"))
        .unwrap();
    let mut kev: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&kev_src).unwrap()).unwrap();
    kev["catalogVersion"] = "2026.12.08".into();
    kev["dateReleased"] = "2026-12-08T12:00:00.000Z".into();
    let newer = kev_dir.join("known_exploited_vulnerabilities.json");
    std::fs::write(&newer, serde_json::to_vec(&kev).unwrap()).unwrap();
    import(&config, &[&newer]);
    let t = Instant::now();
    let v2 = until_loaded(&client, &p.read, pid, &v["signature"]).await;
    println!(
        "6. a newer KEV catalog: re-match {:.1} s wall, engine {:.1} s",
        t.elapsed().as_secs_f64(),
        v2["match_seconds"].as_f64().unwrap_or(f64::NAN)
    );
    let _ = std::process::Command::new("kill")
        .arg(pid.to_string())
        .status();
}
