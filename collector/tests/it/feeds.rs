//! `hardline-collector feeds import`: the real binary on the repository's feed fixtures
//! (real CISA KEV catalog and Vulnrichment records, OSV records from real Debian changelogs),
//! refusals that leave the feeds in force, parts kept by hard links, kill -9 mid-import.

use hardline_collector::feeds::{self, load_strict, FeedSet};
use std::io::{BufRead, BufReader};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/vuln")
}

/// The fixture parts that are all valid: Debian and RHEL OSV records, the KEV catalog, the
/// Vulnrichment records (`feeds/` also holds `osv/special/`, with a malformed record).
fn good_parts() -> Vec<PathBuf> {
    let f = fixtures();
    vec![
        f.join("osv/debian"),
        f.join("osv/rhel"),
        f.join("shared/kev/known_exploited_vulnerabilities.json"),
        f.join("shared/vulnrichment"),
    ]
}

/// A data directory and a config naming it.
struct Site {
    dir: tempfile::TempDir,
}

impl Site {
    fn new() -> Site {
        Site::with("")
    }

    fn with(extra: &str) -> Site {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("collector.toml"),
            format!(
                "listen = \"127.0.0.1:0\"\nread_listen = \"127.0.0.1:0\"\ndata_dir = \"data\"\n{extra}\
                 [campaign]\nname = \"c\"\nstart = \"2026-06-02\"\ndays = 30\n\
                 [[agency]]\nname = \"DOE\"\ntokens = []\n"
            ),
        )
        .unwrap();
        Site { dir }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("collector.toml")
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn root(&self) -> PathBuf {
        self.data().join("feeds")
    }

    fn command(&self, paths: &[PathBuf]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_hardline-collector"));
        c.arg("feeds")
            .arg("import")
            .arg("--config")
            .arg(self.config())
            .args(paths)
            .env_remove(feeds::PAUSE_ENV);
        c
    }

    fn import(&self, paths: &[PathBuf]) -> Output {
        self.command(paths).output().unwrap()
    }

    fn import_ok(&self, paths: &[PathBuf]) -> String {
        let out = self.import(paths);
        assert!(
            out.status.success(),
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// The refusal's stderr (exit 1).
    fn import_refused(&self, paths: &[PathBuf]) -> String {
        let out = self.import(paths);
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.contains("feeds import refused")
                && err.contains("the feeds in force are unchanged"),
            "{err}"
        );
        err
    }

    fn current(&self) -> FeedSet {
        load_strict(&feeds::current_link(&self.data())).unwrap()
    }

    /// Names in `data/feeds`, sorted, without the lock file.
    fn listing(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.root())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .filter(|n| n != ".import.lock")
            .collect();
        v.sort();
        v
    }

    fn generations(&self) -> usize {
        self.listing()
            .iter()
            .filter(|n| n.starts_with("gen-"))
            .count()
    }
}

fn records(set: &FeedSet, feed: &str) -> u64 {
    set.info(feed).unwrap().records
}

/// The fixture KEV catalog as a newer release: another version and date, one more entry.
fn newer_kev(dir: &Path, version: &str, cve: &str) -> PathBuf {
    let path = fixtures().join("shared/kev/known_exploited_vulnerabilities.json");
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v["catalogVersion"] = version.into();
    v["dateReleased"] = format!("{}T16:00:00.000Z", version.replace('.', "-")).into();
    let list = v["vulnerabilities"].as_array_mut().unwrap();
    let mut entry = list[0].clone();
    entry["cveID"] = cve.into();
    entry["dateAdded"] = version.replace('.', "-").into();
    list.insert(0, entry);
    v["count"] = list.len().into();
    let out = dir.join(format!("kev-{version}.json"));
    std::fs::write(&out, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    out
}

#[test]
fn the_fixture_feeds_import_and_the_output_reports_source_version_and_counts() {
    let site = Site::new();
    let t = Instant::now();
    let out = site.import_ok(&good_parts());
    let took = t.elapsed();
    eprintln!("feeds import of the fixtures (11 OSV, 1404 KEV, 135 Vulnrichment): {took:?}");
    let f = fixtures();
    for want in [
        format!(
            "osv: from {}, {}; version 2026-12-01T00:00:00Z; 11 records",
            f.join("osv/debian").display(),
            f.join("osv/rhel").display()
        ),
        format!(
            "kev: from {}; version 2025.08.25 (2025-08-25); 1404 records",
            f.join("shared/kev/known_exploited_vulnerabilities.json")
                .display()
        ),
        format!(
            "vulnrichment: from {}; version 2024-10-23T23:08:01.412Z; 135 records",
            f.join("shared/vulnrichment").display()
        ),
    ] {
        assert!(out.lines().any(|l| l == want), "{want}\nnot in\n{out}");
    }

    // What the collector will read: the generation `current` names, loaded whole.
    let cfg = hardline_collector::config::Config::load(&site.config()).unwrap();
    let active = feeds::active_dir(&cfg).unwrap();
    assert_eq!(active, site.root().join("current"));
    let set = load_strict(&active).unwrap();
    assert!(set
        .dir
        .starts_with(std::fs::canonicalize(site.root()).unwrap()));
    assert!(set
        .dir
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("gen-"));
    assert_eq!(
        (
            records(&set, "osv"),
            records(&set, "kev"),
            records(&set, "vulnrichment")
        ),
        (11, 1404, 135)
    );
    assert_eq!(feeds::signature(&active).unwrap(), set.signature);
    assert!(set.osv.by_package.contains_key("linux"));
    assert!(set.kev.entries.contains_key("CVE-2024-1086"));
    let mut v = set.vulnrichment;
    assert_eq!(
        v.ssvc("CVE-2024-1086").exploitation.as_deref(),
        Some("active")
    );
    assert!(
        !set.osv.deb_versions.is_empty(),
        "loaded prepared for the matcher"
    );

    // The same as one directory in the DESIGN.md layout (symbolic links are followed and the
    // files copied in).
    let layout = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(f.join("osv/debian"), layout.path().join("osv")).unwrap();
    std::os::unix::fs::symlink(f.join("shared/kev"), layout.path().join("kev")).unwrap();
    std::os::unix::fs::symlink(
        f.join("shared/vulnrichment"),
        layout.path().join("vulnrichment"),
    )
    .unwrap();
    let before = set.signature;
    let out = site.import_ok(&[layout.path().to_path_buf()]);
    assert!(out.contains("; 7 records"), "{out}");
    let set = site.current();
    assert_ne!(set.signature, before, "every import is a new generation");
    assert_eq!(records(&set, "osv"), 7);
    assert!(!std::fs::symlink_metadata(set.dir.join("osv"))
        .unwrap()
        .file_type()
        .is_symlink());
}

/// What must hold after any refusal: the same generation, loading the same, nothing left.
fn assert_unchanged(site: &Site, before: &FeedSet, listing: &[String]) {
    let now = site.current();
    assert_eq!(now.signature, before.signature);
    assert_eq!(now.dir, before.dir);
    assert_eq!(now.infos, before.infos);
    assert_eq!(site.listing(), listing, "nothing half-imported is left");
}

#[test]
fn a_malformed_osv_file_is_refused_with_the_reason_and_the_feeds_in_force_stay() {
    let site = Site::new();
    site.import_ok(&good_parts());
    let before = site.current();
    let listing = site.listing();
    // tests/fixtures/vuln/feeds is the whole layout, osv/special/ included: one record in
    // it is truncated.
    let err = site.import_refused(&[fixtures().join("feeds")]);
    let bad = fixtures().join("feeds/osv/special/MALFORMED-truncated.json");
    assert!(
        err.contains(&format!(
            "error: {}: not an OSV record: EOF while parsing",
            bad.display()
        )),
        "{err}"
    );
    assert!(!err.contains(".tmp-"), "paths are the operator's: {err}");
    assert_unchanged(&site, &before, &listing);

    // Before any import too: nothing is put in force.
    let fresh = Site::new();
    fresh.import_refused(&[fixtures().join("feeds")]);
    assert!(!feeds::current_link(&fresh.data()).exists());
    assert_eq!(fresh.listing(), Vec::<String>::new());
    let cfg = hardline_collector::config::Config::load(&fresh.config()).unwrap();
    assert_eq!(feeds::active_dir(&cfg), None);
}

#[test]
fn a_truncated_or_damaged_zip_is_refused_with_the_reason_and_the_feeds_in_force_stay() {
    let site = Site::new();
    let zip = fixtures().join("zips/osv-debian-bookworm.zip");
    let out = site.import_ok(std::slice::from_ref(&zip));
    assert!(
        out.contains(&format!("osv: from {}; version", zip.display())),
        "{out}"
    );
    assert!(out.contains("kev: absent"), "{out}");
    let before = site.current();
    assert_eq!(records(&before, "osv"), 7);
    let listing = site.listing();

    let d = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(&zip).unwrap();
    let cut = d.path().join("cut.zip");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let err = site.import_refused(std::slice::from_ref(&cut));
    assert!(
        err.contains(&format!(
            "error: {}: not a readable zip archive",
            cut.display()
        )),
        "{err}"
    );
    assert_unchanged(&site, &before, &listing);

    // One entry's bytes damaged: the CRC or the deflate stream says which.
    // The first occurrence of the name is its local header; its data follows the name.
    let name = b"DEBIAN-CVE-2024-1086.json";
    let mut damaged = bytes.clone();
    let at = damaged.windows(name.len()).position(|w| w == name).unwrap() + name.len() + 20;
    damaged[at] ^= 0x55;
    let bad = d.path().join("bad.zip");
    std::fs::write(&bad, &damaged).unwrap();
    let err = site.import_refused(std::slice::from_ref(&bad));
    assert!(
        err.contains(&format!("{}:DEBIAN-CVE-2024-1086.json", bad.display()))
            && (err.contains("CRC-32") || err.contains("decompress")),
        "{err}"
    );
    assert_unchanged(&site, &before, &listing);

    // An export with no record in it would read as "no vulnerabilities".
    let empty = d.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let err = site.import_refused(std::slice::from_ref(&empty));
    assert!(err.contains("no OSV records"), "{err}");
    assert_unchanged(&site, &before, &listing);
}

#[test]
fn a_kev_file_of_the_wrong_schema_is_refused_with_the_reason_and_the_feeds_in_force_stay() {
    let site = Site::new();
    site.import_ok(&good_parts());
    let before = site.current();
    let listing = site.listing();
    let d = tempfile::tempdir().unwrap();
    let wrong = d.path().join("known_exploited_vulnerabilities.json");
    std::fs::write(&wrong, br#"{"title": "something else", "vulns": []}"#).unwrap();
    let err = site.import_refused(std::slice::from_ref(&wrong));
    assert!(
        err.contains(&format!(
            "error: {}: not a CISA KEV catalog (expected catalogVersion, dateReleased, vulnerabilities[])",
            wrong.display()
        )),
        "{err}"
    );
    assert_unchanged(&site, &before, &listing);

    // The schema's file instead of the catalog, an OSV record, a catalog cut short.
    let schema = d.path().join("schema.json");
    std::fs::write(
        &schema,
        br#"{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"}"#,
    )
    .unwrap();
    let osv = fixtures().join("osv/debian/DEBIAN-CVE-2024-1086.json");
    let newer = newer_kev(d.path(), "2025.09.02", "CVE-2025-99999");
    let text = std::fs::read_to_string(&newer).unwrap();
    let cut = d.path().join("cut.json");
    std::fs::write(&cut, &text[..text.len() - 200]).unwrap();
    for p in [schema, osv, cut] {
        let err = site.import_refused(std::slice::from_ref(&p));
        assert!(
            err.contains(&format!("{}: not a CISA KEV catalog", p.display())),
            "{err}"
        );
        assert_unchanged(&site, &before, &listing);
    }

    // Entries that are not KEV entries are each named; the whole file is refused.
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["vulnerabilities"][3]["dueDate"] = "soon".into();
    let bad_entry = d.path().join("entry.json");
    std::fs::write(&bad_entry, serde_json::to_vec(&v).unwrap()).unwrap();
    let err = site.import_refused(std::slice::from_ref(&bad_entry));
    assert!(
        err.contains(&format!("{}: vulnerabilities[3]: ", bad_entry.display()))
            && err.contains("\"soon\" are not YYYY-MM-DD"),
        "{err}"
    );
    assert_unchanged(&site, &before, &listing);
}

#[test]
fn importing_only_a_new_kev_keeps_the_previous_osv_and_vulnrichment_by_hard_links() {
    let site = Site::new();
    site.import_ok(&good_parts());
    let first = site.current();
    let d = tempfile::tempdir().unwrap();
    let kev = newer_kev(d.path(), "2025.09.02", "CVE-2025-99999");
    let out = site.import_ok(std::slice::from_ref(&kev));
    assert!(
        out.contains("osv: kept from the previous feeds; version 2026-12-01T00:00:00Z; 11 records"),
        "{out}"
    );
    assert!(
        out.contains("vulnrichment: kept from the previous feeds"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "kev: from {}; version 2025.09.02 (2025-09-02); 1405 records",
            kev.display()
        )),
        "{out}"
    );
    let second = site.current();
    assert_ne!(second.dir, first.dir);
    assert_eq!(
        second.info("kev").unwrap().version.as_deref(),
        Some("2025.09.02")
    );
    assert!(second.kev.entries.contains_key("CVE-2025-99999"));
    for feed in ["osv", "vulnrichment"] {
        let (a, b) = (first.info(feed).unwrap(), second.info(feed).unwrap());
        assert_eq!(
            (a.records, &a.version),
            (b.records, &b.version),
            "{feed} kept"
        );
    }
    assert_eq!(second.osv.by_package.len(), first.osv.by_package.len());
    for rel in [
        "osv/rhel/RHEL-TEST-SUDO.json",
        "osv/debian/DEBIAN-CVE-2024-1086.json",
        "vulnrichment/2024/1xxx/CVE-2024-1086.json",
    ] {
        let (a, b) = (
            std::fs::metadata(first.dir.join(rel)).unwrap(),
            std::fs::metadata(second.dir.join(rel)).unwrap(),
        );
        assert_eq!((a.dev(), a.ino()), (b.dev(), b.ino()), "{rel}: a hard link");
    }
    assert_eq!(site.generations(), 2, "the previous generation is kept");
    let (first_dir, second_dir) = (first.dir.clone(), second.dir.clone());
    drop((first, second));

    // A third import prunes the first; its kept files live on in the newer ones.
    let kev3 = newer_kev(d.path(), "2025.09.05", "CVE-2025-99998");
    site.import_ok(&[kev3]);
    assert!(!first_dir.exists());
    assert!(second_dir.exists());
    assert_eq!(site.generations(), 2);
    let third = site.current();
    assert_eq!(records(&third, "osv"), 11);
    assert_eq!(records(&third, "kev"), 1405);
    assert_eq!(records(&third, "vulnrichment"), 135);
}

#[test]
fn a_generation_a_collector_still_reads_is_not_pruned_until_released() {
    let site = Site::new();
    feeds::import(&site.data(), &good_parts()).unwrap();
    let held = site.current();
    let d = tempfile::tempdir().unwrap();
    for (i, v) in ["2025.09.02", "2025.09.03"].iter().enumerate() {
        let s = feeds::import(
            &site.data(),
            &[newer_kev(d.path(), v, &format!("CVE-2025-9999{i}"))],
        )
        .unwrap();
        assert!(s.pruned.is_empty(), "{s:?}");
    }
    assert!(held.dir.exists());
    assert_eq!(site.generations(), 3);
    // Its Vulnrichment records are still there to read on demand.
    let mut v = held.vulnrichment;
    assert_eq!(
        v.ssvc("CVE-2024-1086").technical_impact.as_deref(),
        Some("total")
    );
    let dir = held.dir.clone();
    drop(held.hold);
    let s = feeds::import(
        &site.data(),
        &[newer_kev(d.path(), "2025.09.04", "CVE-2025-99990")],
    )
    .unwrap();
    // The held one, and the one before the previous (kept then as a previous generation).
    assert_eq!(s.pruned.len(), 2, "{s:?}");
    assert!(s.pruned.contains(&dir), "{s:?}");
    assert!(!dir.exists());
    assert_eq!(site.generations(), 2);
}

/// Start an import paused by the test hook at `stage`; returns once it says so.
fn start_paused(site: &Site, paths: &[PathBuf], stage: &str) -> std::process::Child {
    let mut child = site
        .command(paths)
        .env(feeds::PAUSE_ENV, stage)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let line = lines.next().unwrap().unwrap();
    assert!(
        line.contains(&format!("feeds import paused at {stage}")),
        "{line}"
    );
    std::thread::spawn(move || for _ in lines {});
    child
}

#[test]
fn kill_9_mid_import_leaves_the_old_feeds_in_force_and_the_next_import_succeeds() {
    for stage in ["validated", "renamed"] {
        let site = Site::new();
        site.import_ok(&good_parts());
        let before = site.current();
        let d = tempfile::tempdir().unwrap();
        let kev = newer_kev(d.path(), "2025.09.02", "CVE-2025-99999");
        let mut child = start_paused(&site, std::slice::from_ref(&kev), stage);

        // Meanwhile: the feeds in force are the old ones, and a second import waits its turn.
        assert_eq!(site.current().signature, before.signature);
        let err = site.import_refused(std::slice::from_ref(&kev));
        assert!(err.contains("another feeds import is running"), "{err}");

        child.kill().unwrap();
        child.wait().unwrap();
        let after = site.current();
        assert_eq!(after.signature, before.signature, "{stage}");
        assert_eq!(after.infos, before.infos, "{stage}");
        let listing = site.listing();
        match stage {
            "validated" => assert!(
                listing.iter().any(|n| n.starts_with(".tmp-")),
                "{listing:?}"
            ),
            _ => assert_eq!(site.generations(), 2, "{listing:?}"),
        }
        drop((before, after));

        // The next import succeeds and clears what the killed one left.
        let out = site.import_ok(&[kev]);
        assert!(out.contains("version 2025.09.02"), "{out}");
        assert_eq!(records(&site.current(), "kev"), 1405);
        let listing = site.listing();
        assert!(
            !listing.iter().any(|n| n.starts_with('.')),
            "{stage}: {listing:?}"
        );
        assert_eq!(site.generations(), 2, "{stage}: {listing:?}");
    }
}

#[test]
fn kill_9_at_any_moment_of_a_large_import_never_leaves_a_half_generation_in_force() {
    // 4,000 OSV records in 40 directories: long enough to be killed while copying.
    let big = tempfile::tempdir().unwrap();
    let template =
        std::fs::read_to_string(fixtures().join("osv/debian/DEBIAN-CVE-2024-1086.json")).unwrap();
    for i in 0..4000 {
        let dir = big.path().join(format!("part{:02}", i % 40));
        std::fs::create_dir_all(&dir).unwrap();
        let id = format!("DEBIAN-CVE-2031-{:05}", 10000 + i);
        std::fs::write(
            dir.join(format!("{id}.json")),
            template.replace("DEBIAN-CVE-2024-1086", &id),
        )
        .unwrap();
    }
    let site = Site::new();
    site.import_ok(&good_parts());
    let old = records(&site.current(), "osv");
    let mut outcomes = Vec::new();
    for delay_ms in [0, 5, 15, 30, 60, 100, 150, 250, 400, 800, 1500] {
        let mut child = site
            .command(&[big.path().to_path_buf()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let status = child.wait().unwrap();
        // Whatever the moment: `current` is a whole generation, the old one or the new one.
        let set = site.current();
        let n = records(&set, "osv");
        assert!(n == old || n == 4000, "{delay_ms} ms: {n} OSV records");
        assert_eq!(records(&set, "kev"), 1404);
        assert_eq!(records(&set, "vulnrichment"), 135);
        outcomes.push((delay_ms, status.success(), n));
    }
    eprintln!("(delay ms, finished before the kill, OSV records in force): {outcomes:?}");
    let t = Instant::now();
    let out = site.import_ok(&[big.path().to_path_buf()]);
    eprintln!(
        "feeds import of 4,000 OSV records (kept KEV and Vulnrichment): {:?}",
        t.elapsed()
    );
    assert!(out.contains("; 4000 records"), "{out}");
    assert!(!site.listing().iter().any(|n| n.starts_with('.')));
    assert_eq!(site.generations(), 2);
}

#[test]
fn with_feeds_dir_configured_the_collector_reads_it_and_an_import_is_refused() {
    let site = Site::with("feeds_dir = \"myfeeds\"\n");
    let mine = site.dir.path().join("myfeeds");
    let cfg = hardline_collector::config::Config::load(&site.config()).unwrap();
    assert_eq!(feeds::active_dir(&cfg), Some(mine.clone()));
    assert_eq!(feeds::signature(&mine), None, "absent");

    let out = site.import(&good_parts());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("feeds_dir") && err.contains("myfeeds"),
        "{err}"
    );
    assert!(!site.root().exists());

    // The operator's directory: loaded strictly, and its signature moves when it changes.
    std::fs::create_dir_all(mine.join("kev")).unwrap();
    std::fs::copy(
        fixtures().join("shared/kev/known_exploited_vulnerabilities.json"),
        mine.join("kev/known_exploited_vulnerabilities.json"),
    )
    .unwrap();
    let set = load_strict(&mine).unwrap();
    assert!(set.hold.is_none());
    assert_eq!(feeds::signature(&mine).unwrap(), set.signature);
    assert!(!set.info("osv").unwrap().present);
    std::fs::create_dir_all(mine.join("osv")).unwrap();
    std::fs::copy(
        fixtures().join("osv/debian/DEBIAN-CVE-2024-1086.json"),
        mine.join("osv/DEBIAN-CVE-2024-1086.json"),
    )
    .unwrap();
    assert_ne!(feeds::signature(&mine).unwrap(), set.signature);
    assert_eq!(records(&load_strict(&mine).unwrap(), "osv"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_runs_beside_a_running_collector_on_the_same_data_directory() {
    let env = crate::util::Env::new(crate::util::Setup::default());
    let mut collector = env.start();
    let config = env.config_path();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_hardline-collector"))
            .arg("feeds")
            .arg("import")
            .arg("--config")
            .arg(config)
            .args(good_parts())
            .env_remove(feeds::PAUSE_ENV)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "the store's lock does not stop an import: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (status, _) = collector.get(None, "/healthz").await;
    assert_eq!(status, 200);
    let set = load_strict(&feeds::current_link(&env.path().join("data"))).unwrap();
    assert_eq!(records(&set, "kev"), 1404);
    collector.terminate();
}
