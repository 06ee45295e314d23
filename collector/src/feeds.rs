//! Vulnerability feeds in the collector: a feeds directory loaded whole and strictly
//! ([`load_strict`]), which directory is in force ([`active_dir`]), a cheap change
//! signature for the poller ([`signature`]), and `feeds import` ([`import`]).
//!
//! The files are read by the agent's own loaders ([`hardline_agent::vuln::feeds`]): one
//! implementation, in the layout DESIGN.md fixes (`DIR/osv/**`, `DIR/kev/…json`,
//! `DIR/vulnrichment/YEAR/NNxxx/CVE-*.json`). The agent skips a malformed record and says
//! so; the collector refuses the whole directory instead, so that an import never puts a
//! partly readable feed in force.
//!
//! Imported feeds live in generations under `data_dir/feeds/`:
//!
//! ```text
//! data_dir/feeds/current -> gen-20261201T120000Z-1a2b3c4d   symbolic link, swapped by rename
//! data_dir/feeds/gen-…/{osv,kev,vulnrichment}/…             one complete, validated feeds directory
//! data_dir/feeds/gen-…/.hardline-generation                 marker (its name) and the hold lock
//! data_dir/feeds/.tmp-…                                    an import in progress (or killed)
//! data_dir/feeds/.import.lock                               one import at a time (flock)
//! ```
//!
//! A generation is never modified once renamed into place: parts kept by a later import are
//! hard links to its files. A loaded [`FeedSet`] holds a shared `flock` on its generation's
//! marker, and an import prunes only generations it can lock exclusively, so a running
//! collector's generation (whose Vulnrichment records are read on demand) is never removed
//! under it.

use crate::config::Config;
use hardline_agent::report::FeedInfo;
use hardline_agent::vuln::feeds::{
    kev_path, load_kev, load_osv, parse_ssvc, vulnrichment_path, Kev, OsvIndex, Vulnrichment,
};
use serde::Deserialize;
use std::fs::{self, File};
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The directory under `data_dir` that holds imported generations.
pub const FEEDS_SUBDIR: &str = "feeds";
/// The symbolic link in [`FEEDS_SUBDIR`] naming the generation in force.
pub const CURRENT: &str = "current";
/// Name prefix of a generation directory.
pub const GENERATION_PREFIX: &str = "gen-";
/// The marker file of a generation (holds its name); loaders lock it shared.
pub const MARKER: &str = ".hardline-generation";
/// TEST HOOK: when this environment variable is `validated` (the new generation is written,
/// validated and synced, not yet renamed into place) or `renamed` (renamed, `current` not
/// yet swapped), [`import`] prints `test hook: feeds import paused at STAGE` on standard
/// error and sleeps 10 minutes there, so that tests can kill it at that point. Production
/// never sets it.
pub const PAUSE_ENV: &str = "HARDLINE_TEST_FEEDS_IMPORT_PAUSE";

const TMP_PREFIX: &str = ".tmp-";
const LINK_TMP_PREFIX: &str = ".current-";
const IMPORT_LOCK: &str = ".import.lock";
/// Problems listed by name (the rest are counted).
const MAX_LISTED: usize = 100;
/// Largest Vulnrichment record read (as the agent's loader).
const MAX_RECORD_BYTES: u64 = 16 * 1024 * 1024;
/// Deepest directory tree walked (a symbolic link to an ancestor would never end).
const MAX_DEPTH: usize = 32;
/// Trees with more entries than this are synced with one `syncfs` (Linux).
const SYNC_EACH_MAX: usize = 2000;
/// The three parts of a feeds directory, in [`FeedSet::infos`] order.
const FEEDS: [&str; 3] = ["osv", "kev", "vulnrichment"];

/// A feeds generation loaded whole, ready for matching.
#[derive(Debug, Default)]
pub struct FeedSet {
    /// The directory it was loaded from (resolved: the generation directory, never the
    /// `current` link).
    pub dir: PathBuf,
    /// Every OSV record of a supported ecosystem (no package filter), prepared.
    pub osv: OsvIndex,
    /// The KEV catalog.
    pub kev: Kev,
    /// Vulnrichment SSVC values, read on demand from `dir`.
    pub vulnrichment: Vulnrichment,
    /// `osv`, `kev`, `vulnrichment`, in that order: source path, version/date, record
    /// count, present. The Vulnrichment one counts every valid record of the tree and its
    /// version is the newest `cveMetadata.dateUpdated`.
    pub infos: Vec<FeedInfo>,
    /// Identifies what was loaded; equal to [`signature`] of the directory as long as it
    /// has not changed (a new one on every import).
    pub signature: String,
    /// A shared `flock` on the generation's marker for as long as this set lives: an import
    /// does not prune a generation in use. `None` for a `feeds_dir` of the operator's.
    pub hold: Option<File>,
}

impl FeedSet {
    /// The info of `feed` (`osv`, `kev` or `vulnrichment`).
    pub fn info(&self, feed: &str) -> Option<&FeedInfo> {
        self.infos.iter().find(|i| i.feed == feed)
    }
}

/// What [`import`] did.
#[derive(Debug, Clone, Default)]
pub struct ImportSummary {
    /// The new generation directory (`data_dir/feeds/current` now points at it).
    pub generation: PathBuf,
    /// `osv`, `kev`, `vulnrichment` as loaded from the new generation (paths in it).
    pub infos: Vec<FeedInfo>,
    /// For each of `infos`, the paths its files were imported from; empty when the part
    /// was kept from the previous generation (hard links) or is absent.
    pub sources: Vec<Vec<PathBuf>>,
    /// The generation in force before, kept (older ones are pruned).
    pub previous: Option<PathBuf>,
    /// Removed: older generations and what interrupted imports left.
    pub pruned: Vec<PathBuf>,
    /// Problems that did not stop the import (a generation that could not be pruned).
    pub warnings: Vec<String>,
}

// ---- loading --------------------------------------------------------------------------

/// Load `dir` strictly. `Err` lists every problem as `file: reason` when a part is present
/// but malformed: any malformed OSV record or unreadable zip, a KEV file that is not the
/// catalog or has a malformed entry, a Vulnrichment record that is not a CVE JSON 5 record,
/// holds another CVE than its name or is not where its CVE id says (`YEAR/NNxxx/`).
/// Absent parts are fine: `present: false` in [`FeedSet::infos`].
pub fn load_strict(dir: &Path) -> Result<FeedSet, Vec<String>> {
    let resolved = fs::canonicalize(dir).map_err(|e| vec![format!("{}: {e}", dir.display())])?;
    if !resolved.is_dir() {
        return Err(vec![format!("{}: not a directory", resolved.display())]);
    }
    let hold = hold(&resolved).map_err(|e| vec![e])?;
    // Taken before reading: a change during the load shows as a new signature next time.
    let signature = signature(&resolved)
        .ok_or_else(|| vec![format!("{}: cannot be read", resolved.display())])?;
    let mut errors = Vec::new();
    let osv = load_osv(&resolved, None);
    list_malformed(&osv.info, &mut errors);
    let kev = match load_kev(&resolved) {
        Ok(k) => {
            list_malformed(&k.info, &mut errors);
            if let Some(e) = kev_count_mismatch(&kev_path(&resolved)) {
                errors.push(e);
            }
            k
        }
        Err(e) => {
            errors.push(e.clone());
            let mut k = Kev::default();
            k.info.feed = "kev".to_string();
            k.info.path = kev_path(&resolved).display().to_string();
            k.info.present = true;
            k.info.error = Some(e);
            k
        }
    };
    let vinfo = validate_vulnrichment(&resolved, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(FeedSet {
        infos: vec![osv.info.clone(), kev.info.clone(), vinfo],
        vulnrichment: Vulnrichment::open(&resolved),
        dir: resolved,
        osv,
        kev,
        signature,
        hold,
    })
}

/// The directory the collector should read now: `feeds_dir` from the config when set, else
/// `data_dir/feeds/current` when it exists (the link, not its target: read it again to
/// follow imports), else `None`.
pub fn active_dir(cfg: &Config) -> Option<PathBuf> {
    if let Some(d) = &cfg.feeds_dir {
        return Some(d.clone());
    }
    let current = current_link(&cfg.data_dir);
    current.exists().then_some(current)
}

/// `data_dir/feeds/current`.
pub fn current_link(data_dir: &Path) -> PathBuf {
    data_dir.join(FEEDS_SUBDIR).join(CURRENT)
}

/// A cheap signature of what `dir` holds now, to tell "changed" without loading; `None`
/// when it cannot be read. For an imported generation (`data_dir/feeds/current`) it is the
/// resolved generation directory: generations never change, every import makes a new one.
/// For any other directory (a configured `feeds_dir`) it is a fingerprint of `osv/`, `kev/`
/// and `vulnrichment/` below the resolved path: entries, bytes, the newest modification or
/// status change (`ctime`: a copy that keeps old modification times still changes it) and
/// the inode numbers. Costs one `stat` per file (~0.1 s for a 100,000-file Vulnrichment
/// tree).
pub fn signature(dir: &Path) -> Option<String> {
    let resolved = fs::canonicalize(dir).ok()?;
    if !resolved.is_dir() {
        return None;
    }
    if resolved.join(MARKER).is_file() {
        return Some(format!("generation {}", resolved.display()));
    }
    let mut fp = Fingerprint::default();
    for part in FEEDS {
        fp.walk(&resolved.join(part), 0);
    }
    Some(format!(
        "tree {} entries={} bytes={} newest={} inodes={:x}",
        resolved.display(),
        fp.entries,
        fp.bytes,
        fp.newest,
        fp.inodes
    ))
}

#[derive(Default)]
struct Fingerprint {
    entries: u64,
    bytes: u64,
    newest: i128,
    inodes: u64,
}

impl Fingerprint {
    fn walk(&mut self, path: &Path, depth: usize) {
        let Ok(m) = fs::metadata(path) else { return };
        self.entries += 1;
        self.bytes = self.bytes.wrapping_add(m.len());
        self.inodes = self
            .inodes
            .wrapping_add(m.ino().wrapping_mul(0x9E37_79B9_7F4A_7C15));
        for (s, ns) in [(m.mtime(), m.mtime_nsec()), (m.ctime(), m.ctime_nsec())] {
            self.newest = self
                .newest
                .max(i128::from(s) * 1_000_000_000 + i128::from(ns));
        }
        if m.is_dir() && depth < MAX_DEPTH {
            if let Ok(rd) = fs::read_dir(path) {
                for e in rd.flatten() {
                    self.walk(&e.path(), depth + 1);
                }
            }
        }
    }
}

/// Take the shared hold on a generation's marker. A directory named `gen-*` must have one
/// (missing: it was pruned between resolving `current` and reading it).
fn hold(resolved: &Path) -> Result<Option<File>, String> {
    let marker = resolved.join(MARKER);
    let is_generation = resolved
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with(GENERATION_PREFIX));
    let f = match File::open(&marker) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !is_generation => return Ok(None),
        Err(e) => {
            return Err(format!(
            "{}: {e}: the generation was removed while it was being read (read `{CURRENT}` again)",
            marker.display()
        ))
        }
    };
    match rustix::fs::flock(&f, rustix::fs::FlockOperation::NonBlockingLockShared) {
        Ok(()) => {}
        Err(e) if e == rustix::io::Errno::WOULDBLOCK => {
            return Err(format!(
                "{}: the generation is being removed (read `{CURRENT}` again)",
                resolved.display()
            ))
        }
        Err(e) => return Err(format!("{}: cannot lock: {e}", marker.display())),
    }
    // A pruner unlinks the marker last, under its exclusive lock: a marker that is no longer
    // linked means the directory was emptied before this lock was taken.
    match (f.metadata(), fs::metadata(&marker)) {
        (Ok(a), Ok(b)) if a.ino() == b.ino() && a.dev() == b.dev() => Ok(Some(f)),
        _ => Err(format!(
            "{}: the generation was removed while it was being read (read `{CURRENT}` again)",
            resolved.display()
        )),
    }
}

/// Every malformed record of `info` as an error (the agent lists 100 and counts the rest).
fn list_malformed(info: &FeedInfo, errors: &mut Vec<String>) {
    for m in &info.malformed {
        errors.push(m.clone());
    }
    let unlisted = info
        .malformed_count
        .saturating_sub(info.malformed.len() as u64);
    if unlisted > 0 {
        errors.push(format!(
            "{}: and {unlisted} more malformed records",
            info.path
        ));
    }
    if info.malformed_count == 0 {
        if let Some(e) = &info.error {
            errors.push(e.clone());
        }
    }
}

/// The catalog states its own `count`: a file listing another number was cut or edited.
fn kev_count_mismatch(path: &Path) -> Option<String> {
    #[derive(Deserialize)]
    struct Counted {
        #[serde(default)]
        count: Option<u64>,
        vulnerabilities: Vec<serde::de::IgnoredAny>,
    }
    let bytes = fs::read(path).ok()?;
    let c: Counted = serde_json::from_slice(&bytes).ok()?;
    match c.count {
        Some(n) if n != c.vulnerabilities.len() as u64 => Some(format!(
            "{}: the catalog says count {n} but lists {} vulnerabilities (cut or edited?)",
            path.display(),
            c.vulnerabilities.len()
        )),
        _ => None,
    }
}

fn is_cve_file(name: &str) -> bool {
    name.starts_with("CVE-") && name.ends_with(".json")
}

fn is_osv_file(name: &str) -> bool {
    name.ends_with(".json") || name.ends_with(".zip")
}

/// Validate every `CVE-*.json` of `dir/vulnrichment` (on up to 4 threads); the info counts
/// the valid ones and carries the newest `dateUpdated`.
fn validate_vulnrichment(dir: &Path, errors: &mut Vec<String>) -> FeedInfo {
    let root = dir.join("vulnrichment");
    let mut info = FeedInfo {
        feed: "vulnrichment".to_string(),
        path: root.display().to_string(),
        present: root.is_dir(),
        ..FeedInfo::default()
    };
    if !info.present {
        return info;
    }
    let mut walk_errors = Vec::new();
    let files = files_below(&root, is_cve_file, &mut walk_errors);
    let threads = std::thread::available_parallelism()
        .map_or(1, |t| t.get())
        .clamp(1, 4)
        .min(files.len() / 500 + 1);
    let chunk = files.len().div_ceil(threads).max(1);
    let results: Vec<(u64, Option<String>, Vec<String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| s.spawn(|| check_cve_records(dir, &root, part)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| (0, None, vec!["a validation thread panicked".into()]))
            })
            .collect()
    });
    let mut bad = walk_errors;
    for (n, newest, errs) in results {
        info.records += n;
        if newest > info.version {
            info.version = newest;
        }
        bad.extend(errs);
    }
    info.updated = info.version.as_ref().map(|v| v.chars().take(10).collect());
    info.malformed_count = bad.len() as u64;
    for (i, e) in bad.into_iter().enumerate() {
        if i < MAX_LISTED {
            info.malformed.push(e);
        }
    }
    list_malformed(&info, errors);
    info
}

fn check_cve_records(
    dir: &Path,
    root: &Path,
    files: &[PathBuf],
) -> (u64, Option<String>, Vec<String>) {
    #[derive(Deserialize)]
    struct Record {
        #[serde(rename = "cveMetadata")]
        meta: Meta,
    }
    #[derive(Deserialize)]
    struct Meta {
        #[serde(rename = "cveId")]
        cve_id: String,
        #[serde(rename = "dateUpdated", default)]
        date_updated: Option<String>,
    }
    let (mut ok, mut newest, mut errors) = (0u64, None::<String>, Vec::new());
    for rel in files {
        let path = root.join(rel);
        let name = path.display();
        let cve = rel.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        match vulnrichment_path(dir, cve) {
            None => {
                errors.push(format!("{name}: {cve:?} is not a CVE id"));
                continue;
            }
            Some(expected) if expected != path => {
                let want = expected.strip_prefix(root).unwrap_or(&expected);
                errors.push(format!(
                    "{name}: misplaced: {cve} belongs at vulnrichment/{} (never found elsewhere)",
                    want.display()
                ));
                continue;
            }
            Some(_) => {}
        }
        let bytes = match read_bounded(&path) {
            Ok(b) => b,
            Err(e) => {
                errors.push(format!("{name}: {e}"));
                continue;
            }
        };
        if let Err(e) = parse_ssvc(&bytes) {
            errors.push(format!("{name}: {e}"));
            continue;
        }
        match serde_json::from_slice::<Record>(&bytes) {
            Err(e) => errors.push(format!("{name}: no cveMetadata.cveId: {e}")),
            Ok(r) if !r.meta.cve_id.eq_ignore_ascii_case(cve) => errors.push(format!(
                "{name}: holds {} (the file name says {cve})",
                r.meta.cve_id
            )),
            Ok(r) => {
                ok += 1;
                if r.meta.date_updated > newest {
                    newest = r.meta.date_updated;
                }
            }
        }
    }
    (ok, newest, errors)
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, String> {
    let f = File::open(path).map_err(|e| e.to_string())?;
    let len = f.metadata().map_err(|e| e.to_string())?.len();
    if len > MAX_RECORD_BYTES {
        return Err(format!("{len} bytes is larger than {MAX_RECORD_BYTES}"));
    }
    let mut buf = Vec::with_capacity(len as usize);
    f.take(MAX_RECORD_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|e| e.to_string())?;
    Ok(buf)
}

/// Files below `root` whose name `keep` accepts, as paths relative to `root`, sorted.
/// Symbolic links are followed; names starting with `.` (`.git`, editor files, our own
/// temporary files) are skipped.
fn files_below(root: &Path, keep: fn(&str) -> bool, errors: &mut Vec<String>) -> Vec<PathBuf> {
    fn walk(
        root: &Path,
        rel: &Path,
        depth: usize,
        keep: fn(&str) -> bool,
        out: &mut Vec<PathBuf>,
        errors: &mut Vec<String>,
    ) {
        let dir = root.join(rel);
        if depth > MAX_DEPTH {
            errors.push(format!(
                "{}: more than {MAX_DEPTH} levels deep (a symbolic link loop?)",
                dir.display()
            ));
            return;
        }
        let rd = match fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) => return errors.push(format!("{}: {e}", dir.display())),
        };
        let mut names: Vec<_> = rd.flatten().map(|e| e.file_name()).collect();
        names.sort();
        for n in names {
            let Some(s) = n.to_str() else {
                errors.push(format!(
                    "{}: a file name that is not UTF-8",
                    dir.join(&n).display()
                ));
                continue;
            };
            if s.starts_with('.') {
                continue;
            }
            let r = rel.join(s);
            match fs::metadata(root.join(&r)) {
                Ok(m) if m.is_dir() => walk(root, &r, depth + 1, keep, out, errors),
                Ok(m) if m.is_file() && keep(s) => out.push(r),
                Ok(_) => {}
                Err(e) => errors.push(format!("{}: {e}", root.join(&r).display())),
            }
        }
    }
    let mut out = Vec::new();
    walk(root, Path::new(""), 0, keep, &mut out, errors);
    out
}

// ---- import ---------------------------------------------------------------------------

/// The parts named on the command line.
#[derive(Debug, Default, PartialEq)]
struct Given {
    osv: Vec<PathBuf>,
    kev: Option<PathBuf>,
    vulnrichment: Option<PathBuf>,
}

impl Given {
    fn set(slot: &mut Option<PathBuf>, what: &str, p: PathBuf, errors: &mut Vec<String>) {
        match slot {
            Some(first) => errors.push(format!(
                "{}: a second {what} (already given: {}); give one",
                p.display(),
                first.display()
            )),
            None => *slot = Some(p),
        }
    }
}

/// Sort each path into its part: a feeds directory (any of `osv/`, `kev/`,
/// `vulnrichment/` in it) gives each part it has; a `*.zip` is an OSV export; a `*.json`
/// file is the KEV catalog; a directory holding `known_exploited_vulnerabilities.json` is
/// the KEV directory; a directory named `vulnrichment` or laid out `YEAR/NNxxx/` is a
/// Vulnrichment tree; any other directory is OSV records.
fn classify(paths: &[PathBuf], errors: &mut Vec<String>) -> Given {
    let mut g = Given::default();
    for p in paths {
        let m = match fs::metadata(p) {
            Ok(m) => m,
            Err(e) => {
                errors.push(format!("{}: {e}", p.display()));
                continue;
            }
        };
        let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
        if m.is_file() {
            match ext {
                "zip" => g.osv.push(p.clone()),
                "json" => Given::set(&mut g.kev, "KEV catalog", p.clone(), errors),
                _ => errors.push(format!(
                    "{}: not a feeds part: give a feeds directory (osv/, kev/, vulnrichment/), an OSV directory or osv.dev .zip export, the KEV catalog (.json) or a Vulnrichment tree",
                    p.display()
                )),
            }
            continue;
        }
        if !m.is_dir() {
            errors.push(format!("{}: not a file or directory", p.display()));
            continue;
        }
        let sub = |n: &str| p.join(n).is_dir();
        if sub("osv") || sub("kev") || sub("vulnrichment") {
            if sub("osv") {
                g.osv.push(p.join("osv"));
            }
            if sub("kev") {
                let k = kev_path(p);
                if k.is_file() {
                    Given::set(&mut g.kev, "KEV catalog", k, errors);
                } else {
                    errors.push(format!(
                        "{}: no known_exploited_vulnerabilities.json in it (the name CISA publishes)",
                        p.join("kev").display()
                    ));
                }
            }
            if sub("vulnrichment") {
                Given::set(
                    &mut g.vulnrichment,
                    "Vulnrichment tree",
                    p.join("vulnrichment"),
                    errors,
                );
            }
        } else if p.join("known_exploited_vulnerabilities.json").is_file() {
            Given::set(
                &mut g.kev,
                "KEV catalog",
                p.join("known_exploited_vulnerabilities.json"),
                errors,
            );
        } else if p.file_name().is_some_and(|n| n == "vulnrichment") || vulnrichment_layout(p) {
            Given::set(&mut g.vulnrichment, "Vulnrichment tree", p.clone(), errors);
        } else {
            g.osv.push(p.clone());
        }
    }
    g
}

/// `YEAR/NNxxx/` below `p` (the upstream repository's layout).
fn vulnrichment_layout(p: &Path) -> bool {
    let Ok(rd) = fs::read_dir(p) else {
        return false;
    };
    rd.flatten().any(|e| {
        let name = e.file_name();
        let year = name
            .to_str()
            .is_some_and(|n| n.len() == 4 && n.bytes().all(|b| b.is_ascii_digit()));
        year && fs::read_dir(e.path()).is_ok_and(|sub| {
            sub.flatten().any(|s| {
                s.file_name()
                    .to_str()
                    .is_some_and(|n| n.ends_with("xxx") && s.path().is_dir())
            })
        })
    })
}

/// Rewrites paths in the new generation's messages to the paths the operator gave.
#[derive(Default)]
struct Origins(Vec<(String, String)>);

impl Origins {
    fn add(&mut self, inside: &Path, from: &Path) {
        self.0
            .push((inside.display().to_string(), from.display().to_string()));
        // Longest first: a part's own files before the generation as a whole.
        self.0.sort_by_key(|(a, _)| std::cmp::Reverse(a.len()));
    }

    fn rewrite(&self, msg: &str) -> String {
        let mut out = msg.to_string();
        for (inside, from) in &self.0 {
            let mut at = 0;
            while let Some(i) = out[at..].find(inside.as_str()).map(|i| i + at) {
                let end = i + inside.len();
                let boundary = out[end..]
                    .chars()
                    .next()
                    .is_none_or(|c| matches!(c, '/' | ':' | ' ' | ')' | ','));
                if boundary {
                    out.replace_range(i..end, from);
                    at = i + from.len();
                } else {
                    at = end;
                }
            }
        }
        // The agent names a zip twice ("a.zip: a.zip: not a readable zip archive").
        if let Some((a, rest)) = out.split_once(": ") {
            if rest.starts_with(&format!("{a}: ")) {
                out = rest.to_string();
            }
        }
        out
    }
}

/// Import feeds into `data_dir/feeds` as a new generation and put it in force.
///
/// `paths` are one feeds directory in the DESIGN.md layout, or individual parts (OSV
/// directories and osv.dev `*.zip` exports, the KEV JSON file, a Vulnrichment tree), in
/// any mix. A part given replaces that part whole (all OSV paths given make the new
/// `osv/`); a part not given is kept from the current generation by hard links. The new
/// generation is written to `data_dir/feeds/.tmp-NAME`, validated with [`load_strict`],
/// synced (`syncfs`: every file and directory), renamed to `gen-NAME`, and put in force by
/// renaming a new symbolic link over `current`. On any failure: `Err` with every reason,
/// naming the files as given; the previous generation stays in force and nothing
/// half-imported is ever pointed at. What an interrupted import left is ignored by loaders
/// and removed by the next import; the previous generation is kept, older ones are pruned
/// (unless a running collector still holds them). One import at a time.
pub fn import(data_dir: &Path, paths: &[PathBuf]) -> Result<ImportSummary, Vec<String>> {
    if paths.is_empty() {
        return Err(vec!["no feeds given".to_string()]);
    }
    let root = data_dir.join(FEEDS_SUBDIR);
    let fail =
        |what: &str, p: &Path, e: std::io::Error| vec![format!("{}: {what}: {e}", p.display())];
    if !root.is_dir() {
        fs::create_dir_all(&root).map_err(|e| fail("cannot create", &root, e))?;
        sync_dir(data_dir).map_err(|e| fail("cannot sync", data_dir, e))?;
    }
    let _lock = import_lock(&root)?;
    let mut summary = ImportSummary::default();
    remove_leftovers(&root, &mut summary);

    let current = root.join(CURRENT);
    let previous = match fs::symlink_metadata(&current) {
        Err(_) => None,
        Ok(m) if !m.file_type().is_symlink() => {
            return Err(vec![format!(
                "{}: not a symbolic link (made by hand?): move it away; imports manage it",
                current.display()
            )])
        }
        Ok(_) => match fs::canonicalize(&current) {
            Ok(p) => Some(p),
            Err(e) => {
                // Its generation was removed by hand: nothing to keep parts from.
                summary.warnings.push(format!(
                    "{}: {e}: the generation it named is gone; parts not given now are absent",
                    current.display()
                ));
                None
            }
        },
    };

    let mut errors = Vec::new();
    let given = classify(paths, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }

    let name = generation_name();
    let tmp = root.join(format!("{TMP_PREFIX}{name}"));
    let generation = root.join(format!("{GENERATION_PREFIX}{name}"));
    let result = build(&tmp, &generation, previous.as_deref(), &given);
    let set = match result {
        Ok(x) => x,
        Err(errors) => {
            let _ = fs::remove_dir_all(&tmp);
            return Err(errors);
        }
    };
    drop(set.hold);
    pause("validated");
    if let Err(e) = fs::rename(&tmp, &generation).and_then(|()| sync_dir(&root)) {
        let _ = fs::remove_dir_all(&tmp);
        return Err(fail(
            "cannot rename the new generation into place",
            &generation,
            e,
        ));
    }
    pause("renamed");
    if let Err(e) = swap_current(&root, &name) {
        // Not in force: the next import prunes it.
        return Err(vec![format!(
            "{}: cannot point `{CURRENT}` at the new generation: {e}",
            generation.display()
        )]);
    }

    let tmp_s = tmp.display().to_string();
    let gen_s = generation.display().to_string();
    summary.infos = set
        .infos
        .into_iter()
        .map(|mut i| {
            i.path = i.path.replacen(&tmp_s, &gen_s, 1);
            i
        })
        .collect();
    summary.sources = vec![
        given.osv.clone(),
        given.kev.iter().cloned().collect(),
        given.vulnrichment.iter().cloned().collect(),
    ];
    summary.generation = generation.clone();
    summary.previous = previous.clone();
    for e in fs::read_dir(&root).into_iter().flatten().flatten() {
        let p = e.path();
        let old = e
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(GENERATION_PREFIX));
        if !old || p == generation || Some(&p) == previous.as_ref() {
            continue;
        }
        match remove_generation(&p) {
            Ok(true) => summary.pruned.push(p),
            Ok(false) => summary.warnings.push(format!(
                "{}: kept: a running collector still reads it (the next import prunes it)",
                p.display()
            )),
            Err(e) => summary.warnings.push(e),
        }
    }
    Ok(summary)
}

/// Write, fill, validate and sync the new generation in `tmp`; the loaded set.
fn build(
    tmp: &Path,
    generation: &Path,
    previous: Option<&Path>,
    given: &Given,
) -> Result<FeedSet, Vec<String>> {
    let io =
        |what: &str, p: &Path, e: std::io::Error| vec![format!("{}: {what}: {e}", p.display())];
    fs::create_dir(tmp).map_err(|e| io("cannot create", tmp, e))?;
    let name = generation
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    fs::write(tmp.join(MARKER), format!("{name}\n")).map_err(|e| io("cannot write", tmp, e))?;
    let mut origins = Origins::default();
    origins.add(tmp, generation);
    let mut errors = Vec::new();

    // OSV: every path given, or the previous generation's osv/.
    let osv = tmp.join("osv");
    if given.osv.is_empty() {
        if let Some(prev) = previous.filter(|p| p.join("osv").is_dir()) {
            transfer(&prev.join("osv"), &osv, |_| true, true, &mut errors);
        }
    } else {
        fs::create_dir(&osv).map_err(|e| io("cannot create", &osv, e))?;
        let single_dir = given.osv.len() == 1 && given.osv[0].is_dir();
        let mut used = std::collections::HashSet::new();
        for (i, src) in given.osv.iter().enumerate() {
            let base = src
                .file_name()
                .and_then(|n| n.to_str())
                .filter(|n| !n.starts_with('.'))
                .unwrap_or("osv")
                .to_string();
            let dest = if single_dir {
                osv.clone()
            } else if used.insert(base.clone()) {
                osv.join(&base)
            } else {
                osv.join(format!("{i}-{base}"))
            };
            origins.add(&dest, src);
            if src.is_dir() {
                transfer(src, &dest, is_osv_file, false, &mut errors);
            } else if let Err(e) = copy_file(src, &dest) {
                errors.push(format!("{}: cannot copy: {e}", src.display()));
            }
        }
    }

    // KEV.
    let kev = kev_path(tmp);
    let kev_from = match (&given.kev, previous) {
        (Some(src), _) => Some((src.clone(), false)),
        (None, Some(prev)) if kev_path(prev).is_file() => Some((kev_path(prev), true)),
        _ => None,
    };
    if let Some((src, link)) = kev_from {
        if !link {
            origins.add(&kev, &src);
        }
        let r = fs::create_dir(tmp.join("kev")).and_then(|()| {
            if link {
                fs::hard_link(&src, &kev).or_else(|_| copy_file(&src, &kev))
            } else {
                copy_file(&src, &kev)
            }
        });
        if let Err(e) = r {
            errors.push(format!("{}: cannot copy: {e}", src.display()));
        }
    }

    // Vulnrichment: the CVE records of the tree, as laid out.
    let vuln = tmp.join("vulnrichment");
    match (&given.vulnrichment, previous) {
        (Some(src), _) => {
            origins.add(&vuln, src);
            transfer(src, &vuln, is_cve_file, false, &mut errors);
        }
        (None, Some(prev)) if prev.join("vulnrichment").is_dir() => {
            transfer(
                &prev.join("vulnrichment"),
                &vuln,
                |_| true,
                true,
                &mut errors,
            );
        }
        _ => {}
    }
    if !errors.is_empty() {
        return Err(errors.iter().map(|e| origins.rewrite(e)).collect());
    }

    let set = load_strict(tmp)
        .map_err(|errs| errs.iter().map(|e| origins.rewrite(e)).collect::<Vec<_>>())?;
    // A part given that holds nothing is a mistake (a wrong directory, an empty export):
    // putting it in force would read as "no vulnerabilities".
    let given_parts = [
        (!given.osv.is_empty(), given.osv.first()),
        (given.kev.is_some(), given.kev.as_ref()),
        (given.vulnrichment.is_some(), given.vulnrichment.as_ref()),
    ];
    for (info, (was_given, src)) in set.infos.iter().zip(given_parts) {
        if was_given && info.records == 0 {
            let what = match info.feed.as_str() {
                "osv" => "no OSV records (*.json files or *.zip exports) in it",
                "kev" => "the catalog lists no vulnerabilities",
                _ => "no CVE-*.json record",
            };
            let names = if info.feed == "osv" {
                given
                    .osv
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            } else {
                src.map(|p| p.display().to_string()).unwrap_or_default()
            };
            errors.push(format!("{names}: {what}: refused"));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    sync_tree(tmp).map_err(|e| io("cannot sync", tmp, e))?;
    Ok(set)
}

/// Copy (or, `link`, hard-link: a kept part of an immutable generation) the files below
/// `src` that `keep` accepts to `dst`, keeping their relative paths.
fn transfer(src: &Path, dst: &Path, keep: fn(&str) -> bool, link: bool, errors: &mut Vec<String>) {
    let mut walk_errors = Vec::new();
    let files = files_below(src, keep, &mut walk_errors);
    errors.extend(walk_errors);
    if let Err(e) = fs::create_dir_all(dst) {
        errors.push(format!("{}: cannot create: {e}", dst.display()));
        return;
    }
    let mut made = std::collections::HashSet::new();
    for rel in files {
        let (from, to) = (src.join(&rel), dst.join(&rel));
        if let Some(parent) = to.parent() {
            if made.insert(parent.to_path_buf()) {
                if let Err(e) = fs::create_dir_all(parent) {
                    errors.push(format!("{}: cannot create: {e}", parent.display()));
                    continue;
                }
            }
        }
        let r = if link {
            fs::hard_link(&from, &to).or_else(|_| copy_file(&from, &to))
        } else {
            copy_file(&from, &to)
        };
        if let Err(e) = r {
            errors.push(format!("{}: cannot copy: {e}", from.display()));
        }
    }
}

fn copy_file(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::copy(from, to).map(|_| ())
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Make everything written below `dir` durable: `fsync` of every file and directory, or,
/// on Linux for a large tree, one `syncfs` of the file system instead (a per-file `fsync`
/// of a 100,000-file Vulnrichment tree takes minutes; `syncfs` also flushes what other
/// processes wrote, which is why small trees do not use it).
fn sync_tree(dir: &Path) -> std::io::Result<()> {
    fn collect(p: &Path, out: &mut Vec<PathBuf>, limit: usize) -> std::io::Result<bool> {
        if out.len() > limit {
            return Ok(false);
        }
        if fs::symlink_metadata(p)?.is_dir() {
            for e in fs::read_dir(p)? {
                if !collect(&e?.path(), out, limit)? {
                    return Ok(false);
                }
            }
        }
        out.push(p.to_path_buf());
        Ok(true)
    }
    let limit = if cfg!(target_os = "linux") {
        SYNC_EACH_MAX
    } else {
        usize::MAX
    };
    let mut all = Vec::new();
    if collect(dir, &mut all, limit)? {
        // Children before their directory (collect pushes a directory after its entries).
        for p in all {
            File::open(&p)?.sync_all()?;
        }
        return Ok(());
    }
    #[cfg(target_os = "linux")]
    {
        rustix::fs::syncfs(File::open(dir)?)?;
    }
    Ok(())
}

/// Point `root/current` at `gen-NAME`: a new symbolic link renamed over the old one.
fn swap_current(root: &Path, name: &str) -> std::io::Result<()> {
    let link = root.join(format!("{LINK_TMP_PREFIX}{name}"));
    std::os::unix::fs::symlink(format!("{GENERATION_PREFIX}{name}"), &link)?;
    if let Err(e) = fs::rename(&link, root.join(CURRENT)) {
        let _ = fs::remove_file(&link);
        return Err(e);
    }
    sync_dir(root)
}

/// One import at a time: an exclusive `flock` on `root/.import.lock`, released when the
/// importer exits, however it exits.
fn import_lock(root: &Path) -> Result<File, Vec<String>> {
    let path = root.join(IMPORT_LOCK);
    let f = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| vec![format!("{}: {e}", path.display())])?;
    match rustix::fs::flock(&f, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(f),
        Err(e) if e == rustix::io::Errno::WOULDBLOCK => Err(vec![format!(
            "{}: another feeds import is running on this data directory; run this one when it has finished",
            root.display()
        )]),
        Err(e) => Err(vec![format!("{}: cannot lock: {e}", path.display())]),
    }
}

/// Remove what interrupted imports left: temporary generations and links.
fn remove_leftovers(root: &Path, summary: &mut ImportSummary) {
    for e in fs::read_dir(root).into_iter().flatten().flatten() {
        let Some(n) = e.file_name().to_str().map(str::to_string) else {
            continue;
        };
        let p = e.path();
        let r = if n.starts_with(TMP_PREFIX) {
            fs::remove_dir_all(&p)
        } else if n.starts_with(LINK_TMP_PREFIX) {
            fs::remove_file(&p)
        } else {
            continue;
        };
        match r {
            Ok(()) => summary.pruned.push(p),
            Err(e) => summary
                .warnings
                .push(format!("{}: cannot remove: {e}", p.display())),
        }
    }
}

/// Remove a generation unless a loader holds it: `Ok(false)` when in use. The marker is
/// removed last, under the exclusive lock, so a loader never takes a half-removed one.
fn remove_generation(dir: &Path) -> Result<bool, String> {
    let marker = dir.join(MARKER);
    let err = |e: std::io::Error| format!("{}: cannot prune: {e}", dir.display());
    let _lock = match File::open(&marker) {
        Ok(f) => {
            match rustix::fs::flock(&f, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => Some(f),
                Err(e) if e == rustix::io::Errno::WOULDBLOCK => return Ok(false),
                Err(e) => return Err(err(e.into())),
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(err(e)),
    };
    for e in fs::read_dir(dir).map_err(err)?.flatten() {
        if e.file_name() == MARKER {
            continue;
        }
        let p = e.path();
        let r = if e.file_type().is_ok_and(|t| t.is_dir()) {
            fs::remove_dir_all(&p)
        } else {
            fs::remove_file(&p)
        };
        r.map_err(err)?;
    }
    match fs::remove_file(&marker) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(err(e)),
        _ => {}
    }
    fs::remove_dir(dir).map_err(err)?;
    Ok(true)
}

/// `20261201T120000Z-1a2b3c4d`: sorts by time, unique by the random suffix.
fn generation_name() -> String {
    let fmt = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let when = time::OffsetDateTime::now_utc()
        .format(&fmt)
        .unwrap_or_else(|_| "0".to_string());
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{when}-{}", &id[..8])
}

/// The test hook of [`PAUSE_ENV`].
fn pause(stage: &str) {
    if std::env::var(PAUSE_ENV).is_ok_and(|v| v == stage) {
        eprintln!(
            "hardline-collector: test hook: feeds import paused at {stage} (pid {})",
            std::process::id()
        );
        std::thread::sleep(std::time::Duration::from_secs(600));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/vuln")
    }

    #[test]
    fn paths_are_sorted_into_parts() {
        let f = fixtures();
        let mut errors = Vec::new();
        let g = classify(&[f.join("feeds")], &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(g.osv, vec![f.join("feeds/osv")]);
        assert_eq!(
            g.kev,
            Some(f.join("feeds/kev/known_exploited_vulnerabilities.json"))
        );
        assert_eq!(g.vulnrichment, Some(f.join("feeds/vulnrichment")));

        let d = tempfile::tempdir().unwrap();
        let upstream = d.path().join("clone");
        fs::create_dir_all(upstream.join("2024/1xxx")).unwrap();
        let g = classify(
            &[
                f.join("osv/debian"),
                f.join("shared/kev"),
                upstream.clone(),
                f.join("zips/osv-debian-bookworm.zip"),
            ],
            &mut errors,
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            g.osv,
            vec![f.join("osv/debian"), f.join("zips/osv-debian-bookworm.zip")]
        );
        assert_eq!(
            g.kev,
            Some(f.join("shared/kev/known_exploited_vulnerabilities.json"))
        );
        assert_eq!(g.vulnrichment, Some(upstream));

        let g = classify(
            &[
                f.join("shared/kev/known_exploited_vulnerabilities.json"),
                f.join("feeds"),
                f.join("README.md"),
                d.path().join("absent"),
            ],
            &mut errors,
        );
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].contains("a second KEV catalog"), "{}", errors[0]);
        assert!(errors[1].contains("not a feeds part"), "{}", errors[1]);
        assert!(errors[2].contains("absent"), "{}", errors[2]);
        assert_eq!(g.osv.len(), 1);
    }

    #[test]
    fn messages_name_the_files_as_given() {
        let mut o = Origins::default();
        o.add(Path::new("/d/feeds/.tmp-x"), Path::new("/d/feeds/gen-x"));
        o.add(
            Path::new("/d/feeds/.tmp-x/osv/a.zip"),
            Path::new("/src/a.zip"),
        );
        o.add(
            Path::new("/d/feeds/.tmp-x/osv/a"),
            Path::new("/src/records"),
        );
        assert_eq!(
            o.rewrite("/d/feeds/.tmp-x/osv/a.zip: /d/feeds/.tmp-x/osv/a.zip: not a readable zip archive: EOF"),
            "/src/a.zip: not a readable zip archive: EOF"
        );
        assert_eq!(
            o.rewrite("/d/feeds/.tmp-x/osv/a/x/R.json: not an OSV record"),
            "/src/records/x/R.json: not an OSV record"
        );
        assert_eq!(
            o.rewrite("/d/feeds/.tmp-x/kev/k.json: bad"),
            "/d/feeds/gen-x/kev/k.json: bad"
        );
        assert_eq!(o.rewrite("/d/feeds/.tmp-xy: z"), "/d/feeds/.tmp-xy: z");
    }

    #[test]
    fn a_feeds_dir_signature_follows_edits_and_a_generation_is_named_by_its_directory() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(signature(&d.path().join("absent")), None);
        fs::create_dir_all(d.path().join("osv/x")).unwrap();
        let a = signature(d.path()).unwrap();
        assert_eq!(
            signature(d.path()).unwrap(),
            a,
            "stable when nothing changes"
        );
        fs::write(d.path().join("osv/x/r.json"), "{}").unwrap();
        let b = signature(d.path()).unwrap();
        assert_ne!(a, b);
        // Same size, modification time set back: the status change time still moves.
        let before = fs::metadata(d.path().join("osv/x/r.json")).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        fs::write(d.path().join("osv/x/r.json"), "[]").unwrap();
        File::options()
            .write(true)
            .open(d.path().join("osv/x/r.json"))
            .unwrap()
            .set_modified(before.modified().unwrap())
            .unwrap();
        assert_ne!(signature(d.path()).unwrap(), b);
        // Files outside the three parts do not count.
        let c = signature(d.path()).unwrap();
        fs::write(d.path().join("README"), "x").unwrap();
        assert_eq!(signature(d.path()).unwrap(), c);
        fs::write(d.path().join(MARKER), "gen-x\n").unwrap();
        assert_eq!(
            signature(d.path()).unwrap(),
            format!(
                "generation {}",
                fs::canonicalize(d.path()).unwrap().display()
            )
        );
    }

    #[test]
    fn strict_loading_refuses_broken_vulnrichment_records_with_the_reason() {
        let d = tempfile::tempdir().unwrap();
        let v = d.path().join("vulnrichment/2024/1xxx");
        fs::create_dir_all(&v).unwrap();
        let good = fixtures().join("shared/vulnrichment/2024/1xxx/CVE-2024-1086.json");
        fs::copy(&good, v.join("CVE-2024-1086.json")).unwrap();
        let set = load_strict(d.path()).unwrap();
        let info = set.info("vulnrichment").unwrap();
        assert_eq!(info.records, 1);
        assert!(info.version.is_some() && info.updated.is_some(), "{info:?}");
        assert!(!set.info("osv").unwrap().present);
        assert!(!set.info("kev").unwrap().present);
        assert!(set.hold.is_none());

        fs::copy(&good, v.join("CVE-2024-1087.json")).unwrap();
        fs::create_dir_all(d.path().join("vulnrichment/2024/2xxx")).unwrap();
        fs::copy(
            &good,
            d.path().join("vulnrichment/2024/2xxx/CVE-2024-1086.json"),
        )
        .unwrap();
        fs::write(v.join("CVE-2024-1999.json"), r#"{"dataType": "x"}"#).unwrap();
        let e = load_strict(d.path()).unwrap_err();
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(
            e[0].contains("CVE-2024-1087.json: holds CVE-2024-1086"),
            "{e:?}"
        );
        assert!(
            e[1].contains("CVE-2024-1999.json: not a CVE JSON 5 record"),
            "{e:?}"
        );
        assert!(e[2].contains("2xxx/CVE-2024-1086.json: misplaced"), "{e:?}");
    }

    #[test]
    fn a_kev_catalog_that_lists_fewer_entries_than_its_count_is_refused() {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir_all(d.path().join("kev")).unwrap();
        fs::write(
            kev_path(d.path()),
            r#"{"catalogVersion":"1","dateReleased":"2026-12-01T00:00:00Z","count":2,"vulnerabilities":[
              {"cveID":"CVE-2024-0001","dateAdded":"2024-01-01","dueDate":"2024-01-22","knownRansomwareCampaignUse":"Unknown"}]}"#,
        )
        .unwrap();
        let e = load_strict(d.path()).unwrap_err();
        assert!(e[0].contains("says count 2 but lists 1"), "{e:?}");
    }
}
