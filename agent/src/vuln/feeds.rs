//! Reading the vulnerability feeds from files, in the layout DESIGN.md fixes:
//!
//! ```text
//! DIR/osv/**/*.json     OSV records (OpenSSF schema); DIR/osv/**/*.zip: osv.dev exports
//! DIR/kev/known_exploited_vulnerabilities.json    CISA's KEV catalog
//! DIR/vulnrichment/YEAR/NNxxx/CVE-*.json          CISA Vulnrichment CVE JSON 5 records
//! ```
//!
//! Nothing is fetched. A malformed record is skipped and listed with its file and reason
//! (never silently); a withdrawn OSV record is skipped and counted; a part of the layout
//! that is absent is reported absent, never taken as "no vulnerabilities". A KEV file that
//! is not the catalog (wrong schema) is an error for the whole KEV feed.
//!
//! OSV records are kept only for the distribution ecosystems hardline matches (`Debian:N`,
//! `Ubuntu:*`, `AlmaLinux:N`, `Rocky Linux:N`, `Red Hat:*`) and, when a package filter is
//! given (the agent's own inventory), only for the packages it names: a 40,000-record export
//! is parsed record by record and mostly dropped, so memory stays small.

use crate::report::{FeedInfo, KevEntry, Ssvc};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Malformed records listed by name (the count covers all of them).
const MAX_LISTED: usize = 100;
/// Largest single JSON record read (an OSV record or CVE record): bigger is malformed.
const MAX_RECORD_BYTES: u64 = 16 * 1024 * 1024;
/// Read buffer of a zip export (see `OsvLoader::zip`).
const ZIP_BUFFER: usize = 1024;
/// Largest KEV catalog read.
const MAX_KEV_BYTES: u64 = 256 * 1024 * 1024;

/// One OSV `ECOSYSTEM` range event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `introduced` (`0` = from the beginning).
    Introduced(String),
    /// `fixed`: this version and later are not affected.
    Fixed(String),
    /// `last_affected`: versions after this one are not affected.
    LastAffected(String),
}

/// One `affected[]` entry of an OSV record, for one package in one ecosystem.
#[derive(Debug, Clone)]
pub struct Affected {
    /// OSV record id (the advisory).
    pub advisory: Arc<str>,
    /// CVE ids of the record (`id`, `aliases`, `upstream`), deduplicated.
    pub cves: Arc<[String]>,
    /// Ecosystem as written (`Debian:12`, `Red Hat:enterprise_linux:9::baseos`).
    pub ecosystem: Arc<str>,
    /// `ECOSYSTEM` ranges, each a list of events in the record's order.
    pub ranges: Vec<Vec<Event>>,
    /// Explicitly listed affected versions.
    pub versions: Vec<String>,
}

/// OSV records indexed by package name.
#[derive(Debug, Default)]
pub struct OsvIndex {
    /// Package name → affected entries (any ecosystem; the matcher filters).
    pub by_package: HashMap<String, Vec<Affected>>,
    /// What was loaded.
    pub info: FeedInfo,
    /// The Debian-ordered versions of the records (Debian and Ubuntu ecosystems), parsed
    /// once by [`OsvIndex::prepare`]: parsing dominates matching, and the collector matches
    /// every stored inventory against one loaded index.
    pub deb_versions: HashMap<String, debversion::Version>,
}

impl OsvIndex {
    /// Parse every version of the Debian and Ubuntu records once, for the matcher. A version
    /// that does not parse is left out: the matcher parses it again and reports why.
    pub fn prepare(&mut self) {
        let mut parsed = std::mem::take(&mut self.deb_versions);
        for a in self.by_package.values().flatten() {
            if !(a.ecosystem.starts_with("Debian:") || a.ecosystem.starts_with("Ubuntu:")) {
                continue;
            }
            let texts = a
                .ranges
                .iter()
                .flatten()
                .map(|e| match e {
                    Event::Introduced(x) | Event::Fixed(x) | Event::LastAffected(x) => x,
                })
                .chain(a.versions.iter());
            for t in texts {
                if t != "0" && !parsed.contains_key(t) {
                    if let Ok(v) = crate::pkgdb::parse_deb(t) {
                        parsed.insert(t.clone(), v);
                    }
                }
            }
        }
        self.deb_versions = parsed;
    }
}

/// The KEV catalog.
#[derive(Debug, Default)]
pub struct Kev {
    /// CVE id → entry.
    pub entries: HashMap<String, KevEntry>,
    /// What was loaded.
    pub info: FeedInfo,
}

/// The distribution ecosystems hardline matches.
pub fn supported_ecosystem(eco: &str) -> bool {
    let family = eco.split(':').next().unwrap_or("");
    matches!(
        family,
        "Debian" | "Ubuntu" | "AlmaLinux" | "Rocky Linux" | "Red Hat"
    )
}

// ---- OSV --------------------------------------------------------------------------

#[derive(Deserialize)]
struct OsvRecord {
    id: String,
    modified: String,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    aliases: Option<Vec<String>>,
    #[serde(default)]
    upstream: Option<Vec<String>>,
    #[serde(default)]
    affected: Option<Vec<OsvAffected>>,
}

#[derive(Deserialize)]
struct OsvAffected {
    #[serde(default)]
    package: Option<OsvPackage>,
    #[serde(default)]
    ranges: Option<Vec<OsvRange>>,
    #[serde(default)]
    versions: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct OsvPackage {
    ecosystem: String,
    name: String,
}

#[derive(Deserialize)]
struct OsvRange {
    #[serde(rename = "type")]
    kind: String,
    events: Vec<OsvEvent>,
}

#[derive(Deserialize)]
struct OsvEvent {
    #[serde(default)]
    introduced: Option<String>,
    #[serde(default)]
    fixed: Option<String>,
    #[serde(default)]
    last_affected: Option<String>,
    #[serde(default)]
    limit: Option<String>,
}

/// Which packages to keep: `None` keeps every package of a supported ecosystem.
pub type PackageFilter<'a> = Option<&'a HashSet<String>>;

fn is_cve(s: &str) -> bool {
    s.strip_prefix("CVE-")
        .and_then(|r| r.split_once('-'))
        .is_some_and(|(y, n)| {
            y.len() == 4
                && y.bytes().all(|b| b.is_ascii_digit())
                && n.len() >= 4
                && n.bytes().all(|b| b.is_ascii_digit())
        })
}

/// The first pass over a record: only what decides whether it concerns the host.
#[derive(Deserialize)]
struct Lite<'a> {
    #[serde(borrow)]
    modified: std::borrow::Cow<'a, str>,
    #[serde(default)]
    withdrawn: Option<serde::de::IgnoredAny>,
    #[serde(default, borrow)]
    affected: Option<Vec<LiteAffected<'a>>>,
}

#[derive(Deserialize)]
struct LiteAffected<'a> {
    #[serde(default, borrow)]
    package: Option<LitePackage<'a>>,
}

#[derive(Deserialize)]
struct LitePackage<'a> {
    #[serde(borrow)]
    ecosystem: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    name: std::borrow::Cow<'a, str>,
}

struct OsvLoader<'a> {
    index: OsvIndex,
    filter: PackageFilter<'a>,
    newest_modified: Option<String>,
}

impl OsvLoader<'_> {
    fn malformed(&mut self, name: &str, reason: impl std::fmt::Display) {
        self.index.info.malformed_count += 1;
        if self.index.info.malformed.len() < MAX_LISTED {
            self.index.info.malformed.push(format!("{name}: {reason}"));
        }
    }

    fn note_modified(&mut self, modified: &str) {
        if self.newest_modified.as_deref().is_none_or(|m| m < modified) {
            self.newest_modified = Some(modified.to_string());
        }
    }

    /// Fold another loader's results into this one (parallel zip reading).
    fn merge(&mut self, other: OsvLoader<'_>) {
        for (k, mut v) in other.index.by_package {
            self.index.by_package.entry(k).or_default().append(&mut v);
        }
        let (a, b) = (&mut self.index.info, other.index.info);
        a.records += b.records;
        a.withdrawn += b.withdrawn;
        a.malformed_count += b.malformed_count;
        for m in b.malformed {
            if a.malformed.len() < MAX_LISTED {
                a.malformed.push(m);
            }
        }
        if a.error.is_none() {
            a.error = b.error;
        }
        if let Some(m) = other.newest_modified {
            self.note_modified(&m);
        }
    }

    fn record(&mut self, name: &str, bytes: &[u8]) {
        // With a package filter, a first pass that allocates nothing finds whether the record
        // names a package of this host at all; most do not, and are only counted.
        if let Some(filter) = self.filter {
            match serde_json::from_slice::<Lite<'_>>(bytes) {
                Err(e) => return self.malformed(name, format!("not an OSV record: {e}")),
                Ok(l) => {
                    let relevant = l.affected.iter().flatten().any(|a| {
                        a.package.as_ref().is_some_and(|p| {
                            supported_ecosystem(&p.ecosystem) && filter.contains(p.name.as_ref())
                        })
                    });
                    if !relevant {
                        if l.withdrawn.is_some() {
                            self.index.info.withdrawn += 1;
                        } else {
                            self.index.info.records += 1;
                            self.note_modified(&l.modified);
                        }
                        return;
                    }
                }
            }
        }
        let rec: OsvRecord = match serde_json::from_slice(bytes) {
            Ok(r) => r,
            Err(e) => return self.malformed(name, format!("not an OSV record: {e}")),
        };
        if rec.id.trim().is_empty() {
            return self.malformed(name, "empty `id`");
        }
        if time::OffsetDateTime::parse(
            &rec.modified,
            &time::format_description::well_known::Rfc3339,
        )
        .is_err()
        {
            return self.malformed(
                name,
                format!("`modified` {:?} is not RFC 3339", rec.modified),
            );
        }
        if rec.withdrawn.is_some() {
            self.index.info.withdrawn += 1;
            return;
        }
        self.note_modified(&rec.modified);
        self.index.info.records += 1;
        let mut cves: Vec<String> = Vec::new();
        for c in std::iter::once(&rec.id)
            .chain(rec.aliases.iter().flatten())
            .chain(rec.upstream.iter().flatten())
        {
            if is_cve(c) && !cves.contains(c) {
                cves.push(c.clone());
            }
        }
        if cves.is_empty() {
            // A record with no CVE id (a distribution-only advisory) cannot be tied to
            // KEV or SSVC; it is still a finding under its own id.
            cves.push(rec.id.clone());
        }
        let advisory: Arc<str> = Arc::from(rec.id.as_str());
        let cves: Arc<[String]> = Arc::from(cves);
        for (i, a) in rec.affected.into_iter().flatten().enumerate() {
            let Some(pkg) = a.package else { continue };
            if !supported_ecosystem(&pkg.ecosystem) {
                continue;
            }
            if self.filter.is_some_and(|f| !f.contains(&pkg.name)) {
                continue;
            }
            let mut ranges = Vec::new();
            for r in a.ranges.into_iter().flatten() {
                if r.kind != "ECOSYSTEM" {
                    continue;
                }
                let mut events = Vec::with_capacity(r.events.len());
                for e in r.events {
                    let ev = match (e.introduced, e.fixed, e.last_affected, e.limit) {
                        (Some(v), None, None, None) => Event::Introduced(v),
                        (None, Some(v), None, None) => Event::Fixed(v),
                        (None, None, Some(v), None) => Event::LastAffected(v),
                        (None, None, None, Some(_)) => continue,
                        _ => {
                            return self.malformed(
                                name,
                                format!("affected[{i}]: an event must have exactly one of introduced, fixed, last_affected, limit"),
                            )
                        }
                    };
                    events.push(ev);
                }
                if !events.iter().any(|e| matches!(e, Event::Introduced(_))) {
                    return self.malformed(
                        name,
                        format!("affected[{i}]: an ECOSYSTEM range has no `introduced` event"),
                    );
                }
                ranges.push(events);
            }
            let versions = a.versions.unwrap_or_default();
            if ranges.is_empty() && versions.is_empty() {
                continue;
            }
            self.index
                .by_package
                .entry(pkg.name)
                .or_default()
                .push(Affected {
                    advisory: advisory.clone(),
                    cves: cves.clone(),
                    ecosystem: Arc::from(pkg.ecosystem.as_str()),
                    ranges,
                    versions,
                });
        }
    }

    /// Read every `*.json` entry of an osv.dev export, on up to 4 threads (entries are
    /// split in contiguous ranges, each thread with its own reader; results are merged in
    /// range order, so the outcome does not depend on scheduling).
    fn zip(&mut self, path: &Path) -> Result<(), String> {
        let open = || -> Result<zip::ZipArchive<std::io::BufReader<std::fs::File>>, String> {
            let f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
            // A small buffer: every entry is reached by a seek, which empties the buffer, so a
            // large one would read each record's neighbours again (8 KiB: ~360 MB of reads
            // for a 28 MB export).
            zip::ZipArchive::new(std::io::BufReader::with_capacity(ZIP_BUFFER, f))
                .map_err(|e| format!("{}: not a readable zip archive: {e}", path.display()))
        };
        let first = open()?;
        let n = first.len();
        let threads = std::thread::available_parallelism()
            .map_or(1, |t| t.get())
            .clamp(1, 4)
            .min(n / 1000 + 1);
        let chunk = n.div_ceil(threads.max(1)).max(1);
        let filter = self.filter;
        let results: Vec<Result<OsvLoader<'_>, String>> = std::thread::scope(|scope| {
            let mut handles = Vec::new();
            let mut first = Some(first);
            for t in 0..threads {
                let archive = first.take().map_or_else(open, Ok);
                let range = (t * chunk)..((t + 1) * chunk).min(n);
                handles.push(scope.spawn(move || {
                    let mut z = archive?;
                    let mut l = OsvLoader {
                        index: OsvIndex::default(),
                        filter,
                        newest_modified: None,
                    };
                    l.zip_range(&mut z, path, range);
                    Ok(l)
                }));
            }
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err("a zip reader thread panicked".to_string()))
                })
                .collect()
        });
        for r in results {
            self.merge(r?);
        }
        Ok(())
    }

    fn zip_range(
        &mut self,
        z: &mut zip::ZipArchive<std::io::BufReader<std::fs::File>>,
        path: &Path,
        range: std::ops::Range<usize>,
    ) {
        // Each entry's compressed bytes are read raw and inflated here with ONE
        // decompressor reset per entry: the zip crate's reader builds a new decompressor and
        // a zeroed 32 KiB buffer for every entry, which for 45,000 small records was most of
        // the time spent outside JSON. The CRC-32 and sizes are checked as the crate does.
        let mut inflate = flate2::Decompress::new(false);
        let mut raw = Vec::new();
        let mut buf = Vec::new();
        for i in range {
            let entry = match z.by_index_raw(i) {
                Ok(e) => e,
                Err(e) => {
                    self.malformed(&format!("{}[{i}]", path.display()), e);
                    continue;
                }
            };
            if !entry.is_file() || !entry.name().ends_with(".json") {
                continue;
            }
            let name = format!("{}:{}", path.display(), entry.name());
            let size = entry.size();
            if size > MAX_RECORD_BYTES || entry.compressed_size() > MAX_RECORD_BYTES {
                self.malformed(
                    &name,
                    format!("{size} bytes is larger than {MAX_RECORD_BYTES}"),
                );
                continue;
            }
            let (method, crc) = (entry.compression(), entry.crc32());
            raw.clear();
            if let Err(e) = entry.take(MAX_RECORD_BYTES + 1).read_to_end(&mut raw) {
                self.malformed(&name, format!("cannot read: {e}"));
                continue;
            }
            buf.clear();
            let inflated = match method {
                zip::CompressionMethod::Stored => {
                    buf.extend_from_slice(&raw);
                    Ok(())
                }
                zip::CompressionMethod::Deflated => inflate_into(&mut inflate, &raw, &mut buf),
                other => Err(format!("unsupported compression method {other:?}")),
            };
            if let Err(e) = inflated {
                self.malformed(&name, format!("cannot decompress: {e}"));
                continue;
            }
            if buf.len() as u64 != size {
                self.malformed(
                    &name,
                    format!(
                        "decompressed to {} bytes, the archive says {size}",
                        buf.len()
                    ),
                );
                continue;
            }
            let mut sum = flate2::Crc::new();
            sum.update(&buf);
            if sum.sum() != crc {
                self.malformed(&name, "CRC-32 mismatch: the archive is damaged");
                continue;
            }
            self.record(&name, &buf);
        }
    }
}

/// Inflate one raw deflate stream into `out` (at most [`MAX_RECORD_BYTES`]).
fn inflate_into(d: &mut flate2::Decompress, input: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    d.reset(false);
    loop {
        if out.capacity() - out.len() < 4096 {
            out.reserve(out.capacity().max(4096));
        }
        let (consumed, produced) = (d.total_in(), d.total_out());
        let status = d
            .decompress_vec(
                &input[consumed as usize..],
                out,
                flate2::FlushDecompress::Finish,
            )
            .map_err(|e| e.to_string())?;
        if status != flate2::Status::StreamEnd
            && d.total_in() == consumed
            && d.total_out() == produced
            && out.capacity() > out.len()
        {
            return Err("the deflate stream is truncated".into());
        }
        if out.len() as u64 > MAX_RECORD_BYTES {
            return Err(format!("more than {MAX_RECORD_BYTES} bytes"));
        }
        match status {
            flate2::Status::StreamEnd => return Ok(()),
            flate2::Status::Ok => {}
            flate2::Status::BufError => {
                if d.total_in() as usize >= input.len() && out.capacity() > out.len() {
                    return Err("the deflate stream is truncated".into());
                }
            }
        }
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<String>) {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            errors.push(format!("{}: {e}", dir.display()));
            return;
        }
    };
    let mut entries: Vec<_> = rd.filter_map(|e| e.ok()).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        // A symbolic link is followed (std::fs::metadata); a loop ends in ELOOP, reported.
        let kind = e.file_type().and_then(|t| {
            if t.is_symlink() {
                std::fs::metadata(&p).map(|m| m.file_type())
            } else {
                Ok(t)
            }
        });
        match kind {
            Ok(t) if t.is_dir() => walk(&p, out, errors),
            Ok(_) => {
                if p.extension().is_some_and(|x| x == "json" || x == "zip") {
                    out.push(p)
                }
            }
            Err(err) => errors.push(format!("{}: {err}", p.display())),
        }
    }
}

fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, String> {
    let f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let meta = f.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".to_string());
    }
    if meta.len() > max {
        return Err(format!("{} bytes is larger than {max}", meta.len()));
    }
    let mut buf = Vec::with_capacity(meta.len() as usize);
    f.take(max + 1)
        .read_to_end(&mut buf)
        .map_err(|e| e.to_string())?;
    Ok(buf)
}

/// Load `DIR/osv`: every `*.json` record and every `*.zip` export below it.
pub fn load_osv(dir: &Path, filter: PackageFilter<'_>) -> OsvIndex {
    let root = dir.join("osv");
    let mut l = OsvLoader {
        index: OsvIndex::default(),
        filter,
        newest_modified: None,
    };
    l.index.info.feed = "osv".to_string();
    l.index.info.path = root.display().to_string();
    if !root.is_dir() {
        return l.index;
    }
    l.index.info.present = true;
    let mut files = Vec::new();
    let mut errors = Vec::new();
    walk(&root, &mut files, &mut errors);
    for e in errors {
        l.malformed("directory", &e);
        l.index.info.error.get_or_insert(e);
    }
    for f in files {
        let name = f.display().to_string();
        if f.extension().is_some_and(|x| x == "zip") {
            if let Err(e) = l.zip(&f) {
                l.malformed(&name, &e);
                l.index.info.error.get_or_insert(e);
            }
        } else {
            match read_bounded(&f, MAX_RECORD_BYTES) {
                Ok(bytes) => l.record(&name, &bytes),
                Err(e) => l.malformed(&name, e),
            }
        }
    }
    l.index.info.version = l.newest_modified.clone();
    l.index.info.updated = l.newest_modified.map(|m| m.chars().take(10).collect());
    l.index.prepare();
    l.index
}

// ---- KEV --------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KevFile {
    catalog_version: String,
    date_released: String,
    vulnerabilities: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KevRecord {
    #[serde(rename = "cveID")]
    cve_id: String,
    #[serde(default)]
    vendor_project: String,
    #[serde(default)]
    product: String,
    date_added: String,
    due_date: String,
    known_ransomware_campaign_use: String,
    #[serde(default)]
    required_action: String,
}

fn is_date(s: &str) -> bool {
    time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).is_ok()
}

/// The KEV file's path in a feeds directory.
pub fn kev_path(dir: &Path) -> PathBuf {
    dir.join("kev").join("known_exploited_vulnerabilities.json")
}

/// Parse a KEV catalog. `Err` when the file is not the catalog at all; single malformed
/// entries are skipped and listed in the info.
pub fn parse_kev(bytes: &[u8], path: &str) -> Result<Kev, String> {
    let f: KevFile = serde_json::from_slice(bytes).map_err(|e| {
        format!("{path}: not a CISA KEV catalog (expected catalogVersion, dateReleased, vulnerabilities[]): {e}")
    })?;
    let mut kev = Kev::default();
    kev.info.feed = "kev".to_string();
    kev.info.path = path.to_string();
    kev.info.present = true;
    kev.info.version = Some(f.catalog_version);
    kev.info.updated = Some(f.date_released.chars().take(10).collect());
    for (i, v) in f.vulnerabilities.into_iter().enumerate() {
        let reason = match serde_json::from_value::<KevRecord>(v) {
            Err(e) => Some(e.to_string()),
            Ok(r) if !is_cve(&r.cve_id) => Some(format!("cveID {:?} is not a CVE id", r.cve_id)),
            Ok(r) if !is_date(&r.date_added) || !is_date(&r.due_date) => Some(format!(
                "{}: dateAdded {:?} / dueDate {:?} are not YYYY-MM-DD",
                r.cve_id, r.date_added, r.due_date
            )),
            Ok(r) => {
                kev.info.records += 1;
                let product = match (r.vendor_project.is_empty(), r.product.is_empty()) {
                    (false, false) => format!("{} {}", r.vendor_project, r.product),
                    _ => format!("{}{}", r.vendor_project, r.product),
                };
                kev.entries.insert(
                    r.cve_id,
                    KevEntry {
                        date_added: r.date_added,
                        due_date: r.due_date,
                        known_ransomware_campaign_use: r.known_ransomware_campaign_use,
                        required_action: r.required_action,
                        product,
                    },
                );
                None
            }
        };
        if let Some(reason) = reason {
            kev.info.malformed_count += 1;
            if kev.info.malformed.len() < MAX_LISTED {
                kev.info
                    .malformed
                    .push(format!("{path}: vulnerabilities[{i}]: {reason}"));
            }
        }
    }
    Ok(kev)
}

/// Load `DIR/kev/known_exploited_vulnerabilities.json`. `Ok` with `present: false` when
/// absent; `Err` when present and unreadable or not the catalog.
pub fn load_kev(dir: &Path) -> Result<Kev, String> {
    let path = kev_path(dir);
    let name = path.display().to_string();
    if !path.exists() {
        let mut k = Kev::default();
        k.info.feed = "kev".to_string();
        k.info.path = name;
        return Ok(k);
    }
    let bytes = read_bounded(&path, MAX_KEV_BYTES).map_err(|e| format!("{name}: {e}"))?;
    parse_kev(&bytes, &name)
}

// ---- Vulnrichment -----------------------------------------------------------------

/// Where the Vulnrichment record of a CVE lives: `YEAR/NNxxx/CVE-YEAR-N.json`, `NN` being
/// the number divided by 1000 (`CVE-2024-1086` → `2024/1xxx/`).
pub fn vulnrichment_path(dir: &Path, cve: &str) -> Option<PathBuf> {
    let rest = cve.strip_prefix("CVE-")?;
    let (year, num) = rest.split_once('-')?;
    let n: u64 = num.parse().ok()?;
    Some(
        dir.join("vulnrichment")
            .join(year)
            .join(format!("{}xxx", n / 1000))
            .join(format!("{cve}.json")),
    )
}

/// The SSVC decision points of a CVE JSON 5 record, from the CISA ADP container
/// (`containers.adp[]` whose `providerMetadata.shortName` is `CISA-ADP`, `metrics[].other`
/// with `type: ssvc`). `Ok(None)` when the record has no CISA SSVC entry.
pub fn parse_ssvc(bytes: &[u8]) -> Result<Option<Ssvc>, String> {
    let v: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    if v.get("dataType").and_then(|d| d.as_str()) != Some("CVE_RECORD") {
        return Err("not a CVE JSON 5 record (dataType is not CVE_RECORD)".to_string());
    }
    let adps = v
        .pointer("/containers/adp")
        .and_then(|a| a.as_array())
        .map(Vec::as_slice)
        .unwrap_or_default();
    for adp in adps {
        if adp
            .pointer("/providerMetadata/shortName")
            .and_then(|s| s.as_str())
            != Some("CISA-ADP")
        {
            continue;
        }
        for m in adp
            .get("metrics")
            .and_then(|m| m.as_array())
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let Some(other) = m.get("other") else {
                continue;
            };
            if other.get("type").and_then(|t| t.as_str()) != Some("ssvc") {
                continue;
            }
            let mut s = Ssvc::default();
            for opt in other
                .pointer("/content/options")
                .and_then(|o| o.as_array())
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                let Some(obj) = opt.as_object() else { continue };
                for (k, val) in obj {
                    let val = val.as_str().map(|x| x.to_ascii_lowercase());
                    match k.as_str() {
                        "Exploitation" => s.exploitation = val,
                        "Automatable" => s.automatable = val,
                        "Technical Impact" => s.technical_impact = val,
                        _ => {}
                    }
                }
            }
            return Ok(Some(s));
        }
    }
    Ok(None)
}

/// SSVC values looked up per CVE from `DIR/vulnrichment` (only the CVEs found on the host
/// are read: a full Vulnrichment tree has ~100,000 files).
#[derive(Debug, Default)]
pub struct Vulnrichment {
    dir: PathBuf,
    present: bool,
    cache: HashMap<String, Option<Ssvc>>,
    /// What was read.
    pub info: FeedInfo,
}

impl Vulnrichment {
    /// Open `DIR/vulnrichment` (absent is reported, not an error).
    pub fn open(dir: &Path) -> Self {
        let root = dir.join("vulnrichment");
        let present = root.is_dir();
        Vulnrichment {
            dir: dir.to_path_buf(),
            present,
            cache: HashMap::new(),
            info: FeedInfo {
                feed: "vulnrichment".to_string(),
                path: root.display().to_string(),
                present,
                ..FeedInfo::default()
            },
        }
    }

    /// The SSVC values of `cve`; every field `None` when unknown.
    pub fn ssvc(&mut self, cve: &str) -> Ssvc {
        if !self.present {
            return Ssvc::default();
        }
        if let Some(v) = self.cache.get(cve) {
            return v.clone().unwrap_or_default();
        }
        let found = match vulnrichment_path(&self.dir, cve) {
            None => None,
            Some(p) if !p.exists() => None,
            Some(p) => match read_bounded(&p, MAX_RECORD_BYTES).and_then(|b| parse_ssvc(&b)) {
                Ok(Some(s)) => {
                    self.info.records += 1;
                    Some(s)
                }
                Ok(None) => None,
                Err(e) => {
                    self.info.malformed_count += 1;
                    if self.info.malformed.len() < MAX_LISTED {
                        self.info.malformed.push(format!("{}: {e}", p.display()));
                    }
                    None
                }
            },
        };
        self.cache.insert(cve.to_string(), found.clone());
        found.unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/vuln/shared")
    }

    #[test]
    fn the_real_kev_catalog_parses_whole() {
        let k = load_kev(&shared()).unwrap();
        assert!(k.info.present);
        assert_eq!(k.info.version.as_deref(), Some("2025.08.25"));
        assert_eq!(k.info.records, 1404, "{:?}", k.info.malformed);
        assert_eq!(k.info.malformed_count, 0);
        let e = &k.entries["CVE-2024-1086"];
        assert_eq!(e.date_added, "2024-05-30");
        assert_eq!(e.due_date, "2024-06-20");
        assert_eq!(e.known_ransomware_campaign_use, "Unknown");
    }

    #[test]
    fn a_kev_file_of_the_wrong_schema_is_refused_with_the_reason() {
        let e = parse_kev(br#"{"vulns": []}"#, "k.json").unwrap_err();
        assert!(e.contains("not a CISA KEV catalog"), "{e}");
        let k = parse_kev(
            br#"{"catalogVersion":"1","dateReleased":"2026-12-01T00:00:00Z","vulnerabilities":[
              {"cveID":"CVE-2024-0001","dateAdded":"2024-01-01","dueDate":"2024-01-22","knownRansomwareCampaignUse":"Unknown"},
              {"cveID":"nope","dateAdded":"2024-01-01","dueDate":"2024-01-22","knownRansomwareCampaignUse":"Unknown"},
              {"cveID":"CVE-2024-0002","dateAdded":"2024/01/01","dueDate":"2024-01-22","knownRansomwareCampaignUse":"Unknown"},
              {"cveID":"CVE-2024-0003"}]}"#,
            "k.json",
        )
        .unwrap();
        assert_eq!(k.info.records, 1);
        assert_eq!(k.info.malformed_count, 3, "{:?}", k.info.malformed);
        assert!(k.info.malformed[0].starts_with("k.json: vulnerabilities[1]"));
    }

    #[test]
    fn every_real_vulnrichment_record_parses() {
        let mut files = Vec::new();
        let mut errors = Vec::new();
        walk(&shared().join("vulnrichment"), &mut files, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(files.len(), 135);
        let mut with_ssvc = 0;
        for f in &files {
            let bytes = std::fs::read(f).unwrap();
            let s = parse_ssvc(&bytes).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            if let Some(s) = s {
                with_ssvc += 1;
                for v in [&s.exploitation, &s.automatable, &s.technical_impact] {
                    assert!(v.is_some(), "{}: {s:?}", f.display());
                }
            }
            // The path scheme finds every record from its CVE id alone.
            let cve = f.file_stem().unwrap().to_str().unwrap();
            assert_eq!(
                vulnrichment_path(&shared(), cve).as_deref(),
                Some(f.as_path())
            );
        }
        assert!(with_ssvc > 100, "{with_ssvc}");
        let mut v = Vulnrichment::open(&shared());
        let s = v.ssvc("CVE-2024-1086");
        assert_eq!(s.exploitation.as_deref(), Some("active"));
        assert_eq!(s.automatable.as_deref(), Some("no"));
        assert_eq!(s.technical_impact.as_deref(), Some("total"));
        // Not in the tree: unknown, never "no".
        assert_eq!(v.ssvc("CVE-1999-0001"), Ssvc::default());
    }

    #[test]
    fn a_large_zip_is_read_whole_on_several_threads_and_the_filter_keeps_only_the_hosts_packages() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("osv")).unwrap();
        let mut z =
            zip::ZipWriter::new(std::fs::File::create(d.path().join("osv/all.zip")).unwrap());
        let opts = zip::write::SimpleFileOptions::default();
        for i in 0..2500 {
            let rec = format!(
                r#"{{"id":"DEBIAN-CVE-2024-{i}","modified":"2026-11-{:02}T00:00:00Z","upstream":["CVE-2024-{:05}"],
                   "affected":[{{"package":{{"ecosystem":"Debian:12","name":"src{}"}},
                   "ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"1.{i}-1"}}]}}]}}]}}"#,
                1 + i % 28,
                10000 + i,
                i % 50
            );
            z.start_file(format!("r{i}.json"), opts).unwrap();
            std::io::Write::write_all(&mut z, rec.as_bytes()).unwrap();
        }
        z.start_file("bad.json", opts).unwrap();
        std::io::Write::write_all(&mut z, b"{").unwrap();
        z.finish().unwrap();
        let all = load_osv(d.path(), None);
        assert_eq!(all.info.records, 2500);
        assert_eq!(all.info.malformed_count, 1);
        assert_eq!(all.by_package.len(), 50);
        assert_eq!(all.by_package["src7"].len(), 50);
        assert_eq!(all.info.version.as_deref(), Some("2026-11-28T00:00:00Z"));
        let keep: HashSet<String> = ["src7".to_string()].into();
        let some = load_osv(d.path(), Some(&keep));
        assert_eq!(some.info.records, 2500, "every record is counted");
        assert_eq!(
            some.info.malformed_count, 1,
            "malformed records are found by the first pass too"
        );
        assert_eq!(some.by_package.len(), 1);
        assert_eq!(some.by_package["src7"].len(), 50);
        assert_eq!(some.info.version, all.info.version);
    }

    #[test]
    fn a_damaged_zip_entry_is_malformed_with_the_reason_and_the_others_load() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("osv")).unwrap();
        let path = d.path().join("osv/all.zip");
        let mut z = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let deflated = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        let rec = |i: usize| {
            format!(
                r#"{{"id":"DEBIAN-CVE-2024-{i}","modified":"2026-11-01T00:00:00Z","details":"{}","affected":[{{"package":{{"ecosystem":"Debian:12","name":"src{i}"}},"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"1.{i}-1"}}]}}]}}]}}"#,
                "x".repeat(3000)
            )
        };
        for i in 0..3 {
            z.start_file(format!("r{i}.json"), deflated).unwrap();
            std::io::Write::write_all(&mut z, rec(i).as_bytes()).unwrap();
        }
        z.start_file("stored.json", stored).unwrap();
        std::io::Write::write_all(&mut z, rec(7).as_bytes()).unwrap();
        z.finish().unwrap();
        let all = load_osv(d.path(), None);
        assert_eq!((all.info.records, all.info.malformed_count), (4, 0));

        // Flip one byte inside r1.json's data (after its local header and name): the CRC-32
        // or the deflate stream says so, and the other records still load.
        let mut bytes = std::fs::read(&path).unwrap();
        let at = bytes.windows(7).position(|w| w == b"r1.json").unwrap() + 7 + 10;
        bytes[at] ^= 0x55;
        std::fs::write(&path, &bytes).unwrap();
        let some = load_osv(d.path(), None);
        assert_eq!(some.info.records, 3, "{:?}", some.info.malformed);
        assert_eq!(some.info.malformed_count, 1);
        let why = format!("{:?}", some.info.malformed);
        assert!(
            why.contains("r1.json") && (why.contains("CRC-32") || why.contains("decompress")),
            "{why}"
        );
    }
}
