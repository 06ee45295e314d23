//! The fleet's known vulnerabilities: every host's latest package inventory matched with
//! the agent's own matcher ([`hardline_agent::vuln::matcher`]) and assessed with the
//! agent's own BOD 26-04 logic ([`hardline_agent::vuln::assess`]): one implementation,
//! no copy.
//!
//! - **One match per distinct inventory.** Hosts with the same package list, ecosystem and
//!   kernels share one [`Matched`] (most of a fleet runs the same images); only the clock
//!   (first seen) and the exposure are per host.
//! - **The engine thread** ([`engine`]) owns the matching. It takes the inventories the
//!   writer committed ([`Event::Inventories`]), a feeds generation
//!   ([`Event::ReloadFeeds`], and its own poll of [`crate::feeds::signature`] every
//!   [`POLL`]) and the passing of days (overdue is a matter of the date). When the feeds
//!   change, every host is re-evaluated without any agent rescanning.
//! - **State**: per host and finding, when the collector first saw it open
//!   (`vuln_open`); a finding that closes is written to `vuln_fixed` with its time to fix
//!   (`upgraded` when a later inventory no longer matches, `feed` when the feeds stopped
//!   listing it). Readers (metrics, API, page) see [`Vulns`] under a short lock.
//! - **Compliance**: a host with an open KEV finding past its due date is noncompliant
//!   whatever its configuration results ([`Context::kev_overdue`]).

use crate::exposure::{Override, Overrides, Source};
use crate::feeds::FeedSet;
use crate::store::{FixedRow, HostInventory, VulnWrite};
use hardline_agent::report::{
    BodClock, FeedInfo, Inventory, InventoryPackage, KernelInventory, Vulnerability,
};
use hardline_agent::vuln::bod::{Band, Table};
use hardline_agent::vuln::feeds::Vulnrichment;
use hardline_agent::vuln::{self, matcher, Exposure};
use rusqlite::{Connection, OptionalExtension};
use std::collections::{HashMap, HashSet};
use std::sync::{mpsc, Arc, MutexGuard};
use std::time::{Duration, Instant};
use time::{Date, OffsetDateTime};

/// Hosts re-evaluated under one hold of the read model's lock (and stored in one write).
const REMATCH_CHUNK: usize = 1000;

/// How often the engine looks for a new feeds generation and a new day.
pub const POLL: Duration = Duration::from_secs(30);

/// What the engine is told.
#[derive(Debug)]
pub enum Event {
    /// Hosts whose latest report carried an inventory (after their commit).
    Inventories(Vec<HostInventory>),
    /// Load the active feeds now (SIGHUP, or after `feeds import`).
    ReloadFeeds,
    /// The exposure overrides changed ([`Context::overrides`]): re-evaluate the clocks.
    ReloadExposure,
    /// Stop.
    Shutdown,
}

/// What the engine needs from the running collector ([`crate::App`] implements it).
pub trait Context: Send + Sync {
    /// Now, Unix seconds.
    fn now(&self) -> i64;
    /// The configuration.
    fn config(&self) -> &crate::config::Config;
    /// The read model.
    fn view(&self) -> MutexGuard<'_, Vulns>;
    /// The exposure overrides in force.
    fn overrides(&self) -> Arc<Overrides>;
    /// Persist changes (blocks until the writer committed them).
    fn persist(&self, w: VulnWrite) -> Result<(), String>;
    /// Hosts whose "open KEV finding past due" changed: `(host_id, overdue)`.
    fn kev_overdue(&self, changes: Vec<(String, bool)>);
}

/// The directive's bands in metric order.
pub const BANDS: [Band; 4] = Band::ALL;

fn band_index(b: Band) -> usize {
    BANDS.iter().position(|x| *x == b).unwrap_or(3)
}

fn exposure_index(e: Exposure) -> usize {
    match e {
        Exposure::Internal => 0,
        Exposure::Public => 1,
    }
}

/// What identifies a distinct inventory for matching.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    /// Package list digest.
    pub digest: String,
    /// OSV ecosystem.
    pub ecosystem: String,
    /// `dpkg` or `rpm`.
    pub format: String,
    /// Kernels (JSON of [`KernelInventory`]).
    pub kernel: String,
}

/// One finding of an inventory, independent of host and exposure: the agent's own
/// [`Vulnerability`] (assessed as internal, clock from the match day) and the directive's
/// decision for each exposure.
#[derive(Debug, Clone)]
pub struct KeyFinding {
    /// The finding as the agent's assessment builds it.
    pub v: Vulnerability,
    /// Band, forensic triage and assumed values, by exposure (internal, public).
    pub decision: [(Band, bool, Vec<String>); 2],
    /// KEV `dateAdded`.
    pub kev_added: Option<Date>,
}

/// The findings of one distinct inventory.
#[derive(Debug, Clone, Default)]
pub struct Matched {
    /// Findings, shared with every inventory that holds the same package (a finding is
    /// matched once per distinct package, not once per inventory).
    pub findings: Vec<Arc<KeyFinding>>,
    /// Why the inventory could not be matched (package list missing, no ecosystem, no
    /// feeds): the host is then unassessed, never clean.
    pub unassessed: Option<String>,
    /// Feed versions the ordering rejected while matching.
    pub problems: usize,
}

/// Per host counts for the metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostSummary {
    /// Open findings by `[kev][band]`.
    pub findings: [[u32; 4]; 2],
    /// Overdue findings by band.
    pub overdue: [u32; 4],
    /// Oldest clock start (Unix seconds) of an open finding, by band.
    pub oldest: [Option<i64>; 4],
    /// KEV CVEs open on the host and whether each is past due.
    pub kev_cves: Vec<(Arc<str>, bool)>,
}

impl HostSummary {
    /// An open KEV finding is past its due date.
    pub fn kev_overdue(&self) -> bool {
        self.kev_cves.iter().any(|(_, o)| *o)
    }
}

/// When each finding of a host was first seen open (Unix seconds), aligned with its
/// [`Matched::findings`]: a table of the host's distinct times and, per finding, an index
/// into it (a host's findings share a few times: its first assessment, each feed update),
/// so a host costs two bytes per finding, not eight.
#[derive(Debug, Clone)]
pub enum FirstSeen {
    /// Distinct times, and each finding's index into them.
    Table {
        /// Sorted distinct times.
        times: Box<[i64]>,
        /// Per finding.
        idx: Box<[u16]>,
    },
    /// More distinct times than an index holds: each finding's own.
    Each(Box<[i64]>),
}

impl Default for FirstSeen {
    fn default() -> Self {
        FirstSeen::Each(Box::default())
    }
}

impl FirstSeen {
    /// From one time per finding.
    pub fn new(list: &[i64]) -> FirstSeen {
        let mut times = list.to_vec();
        times.sort_unstable();
        times.dedup();
        if times.len() > usize::from(u16::MAX) + 1 {
            return FirstSeen::Each(list.into());
        }
        let idx = list
            .iter()
            .map(|t| times.binary_search(t).unwrap_or(0) as u16)
            .collect();
        FirstSeen::Table {
            times: times.into(),
            idx,
        }
    }

    /// Finding `i`'s time.
    pub fn get(&self, i: usize) -> Option<i64> {
        match self {
            FirstSeen::Table { times, idx } => {
                idx.get(i).and_then(|&k| times.get(usize::from(k)).copied())
            }
            FirstSeen::Each(v) => v.get(i).copied(),
        }
    }

    /// Every finding's time, in order.
    pub fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    /// Findings.
    pub fn len(&self) -> usize {
        match self {
            FirstSeen::Table { idx, .. } => idx.len(),
            FirstSeen::Each(v) => v.len(),
        }
    }

    /// No findings.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One host's vulnerability state.
#[derive(Debug, Clone)]
pub struct HostVulns {
    /// Agency index.
    pub agency: u32,
    /// Hostname.
    pub hostname: Box<str>,
    /// Its inventory.
    pub key: Arc<Key>,
    /// Exposure the agent reported (`None`: not configured, taken as internal).
    pub reported_exposure: Option<Exposure>,
    /// The collector's override of it, if an entry of the exposure file selects the host.
    pub exposure_override: Option<Override>,
    /// When its inventory (or kernels, exposure, hostname) last changed.
    pub updated_at: i64,
    /// The shared findings of its inventory.
    pub matched: Arc<Matched>,
    /// When each finding of `matched` was first seen open, aligned.
    pub first_seen: FirstSeen,
    /// Counts for the metrics, as of [`Vulns::today`].
    pub summary: HostSummary,
    /// First-seen times read from the store, kept until feeds are loaded.
    saved: Option<HashMap<(String, String), i64>>,
}

impl HostVulns {
    /// The exposure its clocks use: the override, else the reported one, else internal.
    pub fn exposure(&self) -> Exposure {
        self.exposure_source().0
    }

    /// The exposure its clocks use and where it comes from.
    pub fn exposure_source(&self) -> (Exposure, Source) {
        crate::exposure::resolve(self.exposure_override.as_ref(), self.reported_exposure)
    }
}

/// The loaded feeds, as readers see them.
#[derive(Debug, Clone, Default)]
pub struct FeedsView {
    /// Each feed: source, version/date, records.
    pub infos: Vec<FeedInfo>,
    /// The generation.
    pub signature: String,
    /// When it was loaded (Unix seconds).
    pub loaded_at: i64,
    /// How long matching the fleet took (seconds).
    pub match_seconds: f64,
    /// Distinct inventories matched.
    pub inventories: usize,
}

/// The read model: per host findings and what they were matched with.
#[derive(Debug, Default)]
pub struct Vulns {
    /// False until the engine read the store.
    pub loaded: bool,
    /// The feeds in force; `None` when none is loaded.
    pub feeds: Option<FeedsView>,
    /// Why the last feeds load failed (the previous generation, if any, stays in force).
    pub feeds_error: Option<String>,
    /// Hosts with an inventory.
    pub hosts: HashMap<Box<str>, HostVulns>,
    /// The day the summaries are computed for.
    pub today: Option<Date>,
    /// Whether the remediation table was verified against the directive's text.
    pub table_verified: bool,
    /// [`Vulns::by_agency`] as of the last change (the engine clears it when it changes
    /// the model, so a scrape walks the hosts only after a change).
    agency_counts: Option<Arc<Vec<AgencyVulns>>>,
    /// Counts the engine's changes: what a reader derives from the model (the status
    /// page's KEV summary) holds while it is the same.
    pub generation: u64,
}

fn date_of(t: i64) -> Date {
    OffsetDateTime::from_unix_timestamp(t)
        .map(|d| d.date())
        .unwrap_or(Date::MIN)
}

fn midnight(d: Date) -> i64 {
    d.midnight().assume_utc().unix_timestamp()
}

/// The clock of finding `f` first seen at `first_seen` on a host of `exposure`.
pub fn clock(f: &KeyFinding, first_seen: i64, exposure: Exposure, today: Date) -> BodClock {
    let (_, forensic, assumed) = &f.decision[exposure_index(exposure)];
    let (band, start, due, _) = clock_facts(f, first_seen, exposure, today);
    BodClock {
        band: band.as_str().to_string(),
        due: due.map(vuln::ymd),
        forensic_triage: *forensic,
        clock_start: vuln::ymd(start),
        overdue: due.is_some_and(|d| today > d),
        assumed: assumed.clone(),
        table_verified: f.v.bod_26_04.table_verified,
    }
}

/// The clock of finding `f` without its text: band, clock start, due date, overdue.
pub fn clock_facts(
    f: &KeyFinding,
    first_seen: i64,
    exposure: Exposure,
    today: Date,
) -> (Band, Date, Option<Date>, bool) {
    let band = f.decision[exposure_index(exposure)].0;
    let start = vuln::clock_start(f.v.kev.as_ref(), date_of(first_seen));
    let due = vuln::due_date(band, start);
    (band, start, due, due.is_some_and(|d| today > d))
}

/// Counts of one host for the metrics.
pub fn summarize(
    m: &Matched,
    first_seen: &FirstSeen,
    exposure: Exposure,
    today: Date,
) -> HostSummary {
    let mut s = HostSummary::default();
    for (f, t) in m.findings.iter().zip(first_seen.iter()) {
        let (band, start, _, overdue) = clock_facts(f, t, exposure, today);
        let b = band_index(band);
        let kev = f.v.kev.is_some();
        s.findings[usize::from(kev)][b] += 1;
        if overdue {
            s.overdue[b] += 1;
        }
        let st = midnight(start);
        s.oldest[b] = Some(s.oldest[b].map_or(st, |o| o.min(st)));
        if kev && !s.kev_cves.iter().any(|(c, _)| **c == *f.v.cve) {
            s.kev_cves.push((f.v.cve.as_str().into(), overdue));
        } else if kev && overdue {
            for (c, o) in s.kev_cves.iter_mut() {
                if **c == *f.v.cve {
                    *o = true;
                }
            }
        }
    }
    s.kev_cves.shrink_to_fit();
    s
}

/// Encode a host's open findings for `vuln_open`: `[[package, cve, first_seen], …]`.
fn encode_state(h: &HostVulns) -> Vec<u8> {
    let list: Vec<(&str, &str, i64)> = h
        .matched
        .findings
        .iter()
        .zip(h.first_seen.iter())
        .map(|(f, t)| (f.v.package.as_str(), f.v.cve.as_str(), t))
        .collect();
    lz4_flex::compress_prepend_size(&serde_json::to_vec(&list).unwrap_or_default())
}

fn decode_state(b: &[u8]) -> Result<HashMap<(String, String), i64>, String> {
    let raw = lz4_flex::decompress_size_prepended(b).map_err(|e| e.to_string())?;
    let list: Vec<(String, String, i64)> =
        serde_json::from_slice(&raw).map_err(|e| e.to_string())?;
    Ok(list.into_iter().map(|(p, c, t)| ((p, c), t)).collect())
}

/// One package group's findings and the feed versions its matching rejected.
type Group = (Arc<[Arc<KeyFinding>]>, usize);

/// The loaded feeds and what matching needs beside them.
struct Loaded {
    set: Arc<FeedSet>,
    vulnrichment: Vulnrichment,
    table: &'static Table,
    /// The findings of each distinct package group (the packages of one name: multi-arch
    /// installs share their findings), by a 128-bit hash of ecosystem, format and the
    /// packages: matched once for the whole fleet, shared by every inventory that holds it.
    groups: HashMap<(u64, u64), Group>,
    hashers: (std::hash::RandomState, std::hash::RandomState),
}

/// A stored package, borrowed from the decompressed list (no allocation per field).
#[derive(serde::Deserialize)]
struct StoredPackage<'a> {
    #[serde(borrow)]
    name: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    version: std::borrow::Cow<'a, str>,
    #[serde(default, borrow)]
    arch: std::borrow::Cow<'a, str>,
    #[serde(default, borrow)]
    source: std::borrow::Cow<'a, str>,
    #[serde(default, borrow)]
    source_version: std::borrow::Cow<'a, str>,
}

impl StoredPackage<'_> {
    fn owned(&self) -> InventoryPackage {
        InventoryPackage {
            name: self.name.to_string(),
            version: self.version.to_string(),
            arch: self.arch.to_string(),
            source: self.source.to_string(),
            source_version: self.source_version.to_string(),
        }
    }

    /// Kernel packages are matched with the host's kernels (the running one decides), so
    /// never from the shared groups. A superset of [`hardline_agent::inventory::is_kernel_image`].
    fn kernel(&self) -> bool {
        self.name.starts_with("linux-image-") || self.name.starts_with("kernel")
    }
}

impl Loaded {
    /// The agent's matcher and assessment on `inv` (one implementation): its findings, the
    /// directive's decision for each exposure.
    fn assess(&mut self, inv: &Inventory, today: Date) -> Result<(Vec<KeyFinding>, usize), String> {
        let (matches, problems) = matcher::match_inventory(inv, &self.set.osv);
        let vr = &mut self.vulnrichment;
        let mut ssvc = |cve: &str| vr.ssvc(cve);
        let mut ctx = vuln::Context {
            kev: &self.set.kev,
            ssvc: &mut ssvc,
            exposure: Exposure::Internal,
            today,
            first_seen: &|_| None,
            fix_available: &|_, _| None,
        };
        let list = vuln::assess(&matches, &mut ctx)?;
        let table = self.table;
        let findings = list
            .into_iter()
            .map(|v| {
                let decide = |e: Exposure| {
                    let (d, assumed) = table.decide(vuln::facts(e, v.kev.as_ref(), &v.ssvc));
                    (d.band, d.forensic_triage, assumed)
                };
                KeyFinding {
                    decision: [decide(Exposure::Internal), decide(Exposure::Public)],
                    kev_added: v.kev.as_ref().and_then(|k| vuln::parse_ymd(&k.date_added)),
                    v,
                }
            })
            .collect();
        Ok((findings, problems.len()))
    }

    fn group_hash(&self, key: &Key, group: &[&StoredPackage<'_>]) -> (u64, u64) {
        use std::hash::{BuildHasher, Hash, Hasher};
        let one = |s: &std::hash::RandomState| {
            let mut h = s.build_hasher();
            (&key.ecosystem, &key.format).hash(&mut h);
            for p in group {
                (
                    &*p.name,
                    &*p.version,
                    &*p.arch,
                    &*p.source,
                    &*p.source_version,
                )
                    .hash(&mut h);
            }
            h.finish()
        };
        (one(&self.hashers.0), one(&self.hashers.1))
    }
}

/// Match one distinct inventory (reading its package list from the store): each package
/// group from the fleet-wide cache (matched on first sight), the kernel packages with the
/// host's kernels. The same findings as the agent's matcher on the whole list: the matcher
/// judges each package on its own except the kernels, which stay together here.
fn match_key(conn: &Connection, feeds: &mut Loaded, key: &Key, today: Date) -> Matched {
    let unassessed = |why: String| Matched {
        unassessed: Some(why),
        ..Matched::default()
    };
    if key.ecosystem.is_empty() {
        return unassessed("no OSV ecosystem for this OS (hardline matches Debian, Ubuntu, AlmaLinux, Rocky Linux and RHEL)".into());
    }
    let row: Result<Option<(u32, Vec<u8>)>, _> = conn
        .prepare_cached("SELECT count, packages FROM inventories WHERE digest = ?1")
        .and_then(|mut s| {
            s.query_row([&key.digest], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        });
    let (count, blob) = match row {
        Ok(Some(r)) => r,
        Ok(None) => {
            return unassessed(format!(
                "the collector lacks this host's package list ({}); the agent was asked to send it with its next report",
                key.digest
            ))
        }
        Err(e) => return unassessed(format!("the stored package list could not be read: {e}")),
    };
    let raw = match lz4_flex::decompress_size_prepended(&blob) {
        Ok(r) => r,
        Err(e) => return unassessed(format!("the stored package list is damaged: {e}")),
    };
    let packages: Vec<StoredPackage<'_>> = match serde_json::from_slice(&raw) {
        Ok(p) => p,
        Err(e) => return unassessed(format!("the stored package list is damaged: {e}")),
    };
    let inventory = |packages: Vec<InventoryPackage>, kernel: KernelInventory| Inventory {
        format: key.format.clone(),
        ecosystem: key.ecosystem.clone(),
        digest: key.digest.clone(),
        count,
        packages: Some(packages),
        kernel,
    };
    let mut order: Vec<&StoredPackage<'_>> = packages.iter().collect();
    order.sort_by(|a, b| a.name.cmp(&b.name));
    let mut findings: Vec<Arc<KeyFinding>> = Vec::new();
    let mut kernels = Vec::new();
    let mut problems = 0;
    for group in order.chunk_by(|a, b| a.name == b.name) {
        if group.iter().any(|p| p.kernel()) {
            kernels.extend(group.iter().map(|p| p.owned()));
            continue;
        }
        let h = feeds.group_hash(key, group);
        if let Some((list, p)) = feeds.groups.get(&h) {
            findings.extend(list.iter().cloned());
            problems += p;
            continue;
        }
        let inv = inventory(
            group.iter().map(|p| p.owned()).collect(),
            KernelInventory::default(),
        );
        match feeds.assess(&inv, today) {
            Ok((list, p)) => {
                problems += p;
                let list: Arc<[Arc<KeyFinding>]> = list.into_iter().map(Arc::new).collect();
                findings.extend(list.iter().cloned());
                feeds.groups.insert(h, (list, p));
            }
            Err(e) => return unassessed(e),
        }
    }
    let k = serde_json::from_str::<KernelInventory>(&key.kernel).unwrap_or_default();
    if !kernels.is_empty() || k.running_release.is_some() {
        match feeds.assess(&inventory(kernels, k), today) {
            Ok((list, p)) => {
                problems += p;
                findings.extend(list.into_iter().map(Arc::new));
            }
            Err(e) => return unassessed(e),
        }
    }
    findings.shrink_to_fit();
    Matched {
        findings,
        unassessed: None,
        problems,
    }
}

/// The engine's own state (the read model is in [`Vulns`]).
struct Engine {
    conn: Connection,
    ctx: Arc<dyn Context>,
    feeds: Option<Loaded>,
    signature: Option<String>,
    cache: HashMap<Arc<Key>, Arc<Matched>>,
}

/// A host's findings carried over from `old` (same `(package, cve)` keeps its first-seen
/// time): their times, the findings kept, and how many are new.
fn carry(
    old_first: &HashMap<(String, String), i64>,
    new: &Matched,
    now: i64,
) -> (FirstSeen, HashSet<(String, String)>, usize) {
    let mut keep = HashSet::new();
    let mut added = 0;
    let first: Vec<i64> = new
        .findings
        .iter()
        .map(|f| {
            let k = (f.v.package.clone(), f.v.cve.clone());
            let t = old_first.get(&k).copied().unwrap_or_else(|| {
                added += 1;
                now
            });
            keep.insert(k);
            t
        })
        .collect();
    (FirstSeen::new(&first), keep, added)
}

/// How the findings of `new` line up with those of `old` (same package and CVE): for each
/// new finding its old index, and which old findings closed. Computed once per pair of
/// distinct inventories, so re-evaluating a host is integer work.
struct Alignment {
    from_old: Vec<Option<u32>>,
    closed: Vec<bool>,
}

fn align(old: &Matched, new: &Matched) -> Alignment {
    let idx: HashMap<(&str, &str), u32> = old
        .findings
        .iter()
        .enumerate()
        .map(|(i, f)| ((f.v.package.as_str(), f.v.cve.as_str()), i as u32))
        .collect();
    let from_old: Vec<Option<u32>> = new
        .findings
        .iter()
        .map(|f| idx.get(&(f.v.package.as_str(), f.v.cve.as_str())).copied())
        .collect();
    let mut closed = vec![true; old.findings.len()];
    for j in from_old.iter().flatten() {
        closed[*j as usize] = false;
    }
    Alignment { from_old, closed }
}

fn old_first_seen(h: &HostVulns) -> HashMap<(String, String), i64> {
    if let Some(s) = &h.saved {
        return s.clone();
    }
    h.matched
        .findings
        .iter()
        .zip(h.first_seen.iter())
        .map(|(f, t)| ((f.v.package.clone(), f.v.cve.clone()), t))
        .collect()
}

fn closed_rows(
    ctx: &dyn Context,
    id: &str,
    h: &HostVulns,
    closed: &dyn Fn(usize, &KeyFinding) -> bool,
    now: i64,
    reason: &str,
) -> Vec<FixedRow> {
    let agency = ctx
        .config()
        .agencies
        .get(h.agency as usize)
        .map(|a| a.name.get_ref().clone())
        .unwrap_or_default();
    h.matched
        .findings
        .iter()
        .zip(h.first_seen.iter())
        .enumerate()
        .filter(|(i, (f, _))| closed(*i, f))
        .map(|(_, (f, t))| {
            let c = clock(f, t, h.exposure(), date_of(now));
            FixedRow {
                host_id: id.to_string(),
                agency: agency.clone(),
                hostname: h.hostname.to_string(),
                package: f.v.package.clone(),
                cve: f.v.cve.clone(),
                kev: f.v.kev.is_some(),
                band: c.band,
                first_seen: t,
                due: c.due.as_deref().and_then(vuln::parse_ymd).map(midnight),
                closed_at: now,
                reason: reason.to_string(),
            }
        })
        .collect()
}

impl Engine {
    /// The read model, to change it: the per-agency counts are computed again on the next
    /// read.
    fn view_mut(&self) -> MutexGuard<'_, Vulns> {
        let mut v = self.ctx.view();
        v.agency_counts = None;
        v.generation = v.generation.wrapping_add(1);
        v
    }

    fn today(&self) -> Date {
        date_of(self.ctx.now())
    }

    /// Read every host's inventory and open findings from the store.
    fn load_store(&mut self) -> Result<(), rusqlite::Error> {
        let names: HashMap<String, u32> = self
            .ctx
            .config()
            .agencies
            .iter()
            .enumerate()
            .map(|(i, a)| (a.name.get_ref().clone(), i as u32))
            .collect();
        let mut saved: HashMap<String, HashMap<(String, String), i64>> = HashMap::new();
        {
            let mut s = self.conn.prepare("SELECT host_id, state FROM vuln_open")?;
            let rows = s.query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
            })?;
            for row in rows {
                let (h, b) = row?;
                match decode_state(&b) {
                    Ok(m) => {
                        saved.insert(h, m);
                    }
                    Err(e) => {
                        tracing::error!(host = %h, error = %e, "A host's stored findings are damaged: their first-seen times restart.");
                    }
                }
            }
        }
        let mut hosts = HashMap::new();
        let mut s = self.conn.prepare(
            "SELECT host_id, agency, hostname, digest, ecosystem, format, kernel, exposure, updated_at FROM host_inventory",
        )?;
        let rows = s.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                Key {
                    digest: r.get(3)?,
                    ecosystem: r.get(4)?,
                    format: r.get(5)?,
                    kernel: r.get(6)?,
                },
                r.get::<_, Option<String>>(7)?,
                r.get::<_, i64>(8)?,
            ))
        })?;
        let overrides = self.ctx.overrides();
        for row in rows {
            let (id, agency, hostname, key, exposure, at) = row?;
            let Some(&a) = names.get(&agency) else {
                continue;
            };
            let exposure_override = overrides.find(a as usize, &id, &hostname).cloned();
            hosts.insert(
                id.as_str().into(),
                HostVulns {
                    agency: a,
                    hostname: hostname.into(),
                    key: Arc::new(key),
                    reported_exposure: exposure.and_then(|e| e.parse().ok()),
                    exposure_override,
                    updated_at: at,
                    matched: Arc::new(Matched {
                        unassessed: Some("no vulnerability feeds are loaded".into()),
                        ..Matched::default()
                    }),
                    first_seen: FirstSeen::default(),
                    summary: HostSummary::default(),
                    saved: Some(saved.remove(&id).unwrap_or_default()),
                },
            );
        }
        let mut v = self.view_mut();
        v.hosts = hosts;
        v.loaded = true;
        v.today = Some(date_of(self.ctx.now()));
        v.table_verified = Table::builtin().map(|t| t.verified).unwrap_or(false);
        Ok(())
    }

    /// The findings of `key`, and the cache's own copy of the key (hosts share it, so the
    /// cache can drop keys no host holds).
    fn matched(&mut self, key: Arc<Key>) -> (Arc<Key>, Arc<Matched>) {
        if let Some((k, m)) = self.cache.get_key_value(&key) {
            return (k.clone(), m.clone());
        }
        let today = self.today();
        let m = match self.feeds.as_mut() {
            Some(f) => Arc::new(match_key(&self.conn, f, &key, today)),
            None => Arc::new(Matched {
                unassessed: Some("no vulnerability feeds are loaded (hardline-collector feeds import, or feeds_dir)".into()),
                ..Matched::default()
            }),
        };
        if self.feeds.is_some() {
            self.cache.insert(key.clone(), m.clone());
        }
        (key, m)
    }

    /// Apply hosts' new inventories.
    fn inventories(&mut self, list: Vec<HostInventory>) {
        let now = self.ctx.now();
        let today = self.today();
        let mut write = VulnWrite::default();
        let mut overdue_changes = Vec::new();
        let overrides = self.ctx.overrides();
        for inv in list {
            let key = Arc::new(Key {
                digest: inv.digest,
                ecosystem: inv.ecosystem,
                format: inv.format,
                kernel: inv.kernel,
            });
            let exposure: Option<Exposure> = inv.exposure.as_deref().and_then(|e| e.parse().ok());
            let exposure_override = overrides
                .find(inv.agency as usize, &inv.host_id, &inv.hostname)
                .cloned();
            let e = crate::exposure::resolve(exposure_override.as_ref(), exposure).0;
            let (same, old) = {
                let v = self.ctx.view();
                match v.hosts.get(inv.host_id.as_str()) {
                    Some(h) => (*h.key == *key && h.exposure() == e, Some(h.clone())),
                    None => (false, None),
                }
            };
            if same {
                let mut v = self.ctx.view();
                if let Some(h) = v.hosts.get_mut(inv.host_id.as_str()) {
                    if *h.hostname != *inv.hostname {
                        // The page names hosts: what it derived is out of date.
                        v.generation = v.generation.wrapping_add(1);
                    }
                    let Some(h) = v.hosts.get_mut(inv.host_id.as_str()) else {
                        continue;
                    };
                    h.hostname = inv.hostname.as_str().into();
                    h.reported_exposure = exposure;
                    h.exposure_override = exposure_override;
                }
                continue;
            }
            let (key, matched) = self.matched(key);
            let old_first = old.as_ref().map(old_first_seen).unwrap_or_default();
            let (first_seen, keep, _) = carry(&old_first, &matched, now);
            let summary = summarize(&matched, &first_seen, e, today);
            let was_overdue = old.as_ref().is_some_and(|h| h.summary.kev_overdue());
            if let Some(o) = &old {
                if self.feeds.is_some() && o.saved.is_none() {
                    write.fixed.extend(closed_rows(
                        &*self.ctx,
                        &inv.host_id,
                        o,
                        &|_, f| !keep.contains(&(f.v.package.clone(), f.v.cve.clone())),
                        now,
                        "upgraded",
                    ));
                }
            }
            let h = HostVulns {
                agency: inv.agency,
                hostname: inv.hostname.as_str().into(),
                key,
                reported_exposure: exposure,
                exposure_override,
                updated_at: inv.at,
                matched,
                first_seen,
                summary,
                saved: if self.feeds.is_some() {
                    None
                } else {
                    Some(old_first)
                },
            };
            if self.feeds.is_some() {
                write.open.push((inv.host_id.clone(), encode_state(&h)));
            }
            if h.summary.kev_overdue() != was_overdue {
                overdue_changes.push((inv.host_id.clone(), h.summary.kev_overdue()));
            }
            self.view_mut().hosts.insert(inv.host_id.as_str().into(), h);
        }
        self.finish(write, overdue_changes);
    }

    fn finish(&mut self, write: VulnWrite, overdue: Vec<(String, bool)>) {
        if !write.open.is_empty() || !write.fixed.is_empty() {
            if let Err(e) = self.ctx.persist(write) {
                tracing::error!(error = %e, "Could not store the vulnerability findings; they are recomputed from the inventories on the next start, with first-seen times restarting.");
            }
        }
        if !overdue.is_empty() {
            self.ctx.kev_overdue(overdue);
        }
    }

    /// Load the active feeds if they changed (or `force`); re-evaluate every host.
    fn reload_feeds(&mut self, force: bool) {
        let Some(dir) = crate::feeds::active_dir(self.ctx.config()) else {
            return;
        };
        let sig = crate::feeds::signature(&dir);
        if !force && sig.is_some() && sig == self.signature {
            return;
        }
        let started = Instant::now();
        let set = match crate::feeds::load_strict(&dir) {
            Ok(s) => s,
            Err(reasons) => {
                let why = format!(
                    "the feeds in {} were refused: {}",
                    dir.display(),
                    reasons.join("; ")
                );
                tracing::error!(%why, "Feeds not loaded; the previous feeds, if any, stay in force.");
                self.view_mut().feeds_error = Some(why);
                self.signature = sig;
                return;
            }
        };
        let table = match Table::builtin() {
            Ok(t) => t,
            Err(e) => {
                self.view_mut().feeds_error = Some(e);
                return;
            }
        };
        let set = Arc::new(set);
        self.signature = sig.or_else(|| Some(set.signature.clone()));
        self.feeds = Some(Loaded {
            vulnrichment: Vulnrichment::open(&set.dir),
            set: set.clone(),
            table,
            groups: HashMap::new(),
            hashers: Default::default(),
        });
        self.cache.clear();
        self.rematch_all();
        let mut v = self.view_mut();
        v.feeds_error = None;
        v.feeds = Some(FeedsView {
            infos: set.infos.clone(),
            signature: set.signature.clone(),
            loaded_at: self.ctx.now(),
            match_seconds: started.elapsed().as_secs_f64(),
            inventories: self.cache.len(),
        });
        tracing::info!(
            dir = %dir.display(),
            inventories = self.cache.len(),
            seconds = started.elapsed().as_secs_f64(),
            "Loaded the vulnerability feeds and re-evaluated every host."
        );
    }

    /// Re-match every distinct inventory with the loaded feeds.
    fn rematch_all(&mut self) {
        let now = self.ctx.now();
        let today = self.today();
        let keys: Vec<Arc<Key>> = {
            let v = self.ctx.view();
            let set: HashSet<Arc<Key>> = v.hosts.values().map(|h| h.key.clone()).collect();
            set.into_iter().collect()
        };
        let matched: HashMap<Arc<Key>, (Arc<Key>, Arc<Matched>)> = keys
            .iter()
            .map(|k| (k.clone(), self.matched(k.clone())))
            .collect();
        let ids: Vec<Box<str>> = {
            let mut v = self.view_mut();
            v.today = Some(today);
            v.hosts.keys().cloned().collect()
        };
        // By the pair's addresses; the old inventory is held so its address stays its own.
        let mut aligned: HashMap<(usize, usize), (Arc<Matched>, Alignment)> = HashMap::new();
        // In chunks: readers (metrics, API, page) wait for one chunk at most, and the
        // store receives the changed hosts' states a chunk at a time.
        for chunk in ids.chunks(REMATCH_CHUNK) {
            let mut write = VulnWrite::default();
            let mut overdue = Vec::new();
            {
                let mut v = self.view_mut();
                for id in chunk {
                    let Some(h) = v.hosts.get(id) else { continue };
                    let Some((key, m)) = matched.get(&h.key).cloned() else {
                        continue;
                    };
                    let (first_seen, unchanged, fixed) = if h.saved.is_none() {
                        let (_, a) = aligned
                            .entry((Arc::as_ptr(&h.matched) as usize, Arc::as_ptr(&m) as usize))
                            .or_insert_with(|| (h.matched.clone(), align(&h.matched, &m)));
                        let times: Vec<i64> = a
                            .from_old
                            .iter()
                            .map(|o| o.and_then(|j| h.first_seen.get(j as usize)).unwrap_or(now))
                            .collect();
                        let unchanged =
                            a.closed.iter().all(|c| !c) && a.from_old.iter().all(Option::is_some);
                        let fixed =
                            closed_rows(&*self.ctx, id, h, &|i, _| a.closed[i], now, "feed");
                        (FirstSeen::new(&times), unchanged, fixed)
                    } else {
                        let old_first = old_first_seen(h);
                        let (first_seen, keep, added) = carry(&old_first, &m, now);
                        // Same findings, same times: nothing to store.
                        (
                            first_seen,
                            added == 0 && keep.len() == old_first.len(),
                            Vec::new(),
                        )
                    };
                    let was = h.summary.kev_overdue();
                    let summary = summarize(&m, &first_seen, h.exposure(), today);
                    let Some(h) = v.hosts.get_mut(id) else {
                        continue;
                    };
                    h.key = key;
                    h.matched = m;
                    h.first_seen = first_seen;
                    h.summary = summary;
                    h.saved = None;
                    write.fixed.extend(fixed);
                    if !unchanged {
                        write.open.push((id.to_string(), encode_state(h)));
                    }
                    if h.summary.kev_overdue() != was {
                        overdue.push((id.to_string(), h.summary.kev_overdue()));
                    }
                }
            }
            self.finish(write, overdue);
        }
    }

    /// The exposure overrides changed: each host's clocks follow its exposure now (the
    /// first-seen times stay).
    fn reexpose(&mut self) {
        let today = self.today();
        let overrides = self.ctx.overrides();
        let mut overdue = Vec::new();
        let mut changed = 0usize;
        {
            let mut v = self.view_mut();
            for (id, h) in v.hosts.iter_mut() {
                let before = h.exposure();
                h.exposure_override = overrides.find(h.agency as usize, id, &h.hostname).cloned();
                if h.exposure() == before {
                    continue;
                }
                changed += 1;
                let was = h.summary.kev_overdue();
                h.summary = summarize(&h.matched, &h.first_seen, h.exposure(), today);
                if h.summary.kev_overdue() != was {
                    overdue.push((id.to_string(), h.summary.kev_overdue()));
                }
            }
        }
        tracing::info!(
            overrides = overrides.list.len(),
            hosts_changed = changed,
            "Applied the exposure overrides."
        );
        self.finish(VulnWrite::default(), overdue);
    }

    /// A new day: overdue counts change.
    fn new_day(&mut self) {
        let today = self.today();
        let mut overdue = Vec::new();
        // Polled every 30 s: the same day changes nothing, and must not discard what
        // readers derived from the model.
        if self.ctx.view().today == Some(today) {
            return;
        }
        {
            let mut v = self.view_mut();
            v.today = Some(today);
            for (id, h) in v.hosts.iter_mut() {
                let was = h.summary.kev_overdue();
                h.summary = summarize(&h.matched, &h.first_seen, h.exposure(), today);
                if h.summary.kev_overdue() != was {
                    overdue.push((id.to_string(), h.summary.kev_overdue()));
                }
            }
        }
        self.finish(VulnWrite::default(), overdue);
    }
}

/// The engine thread's loop: load the store and the feeds, then apply events until
/// [`Event::Shutdown`] or every sender is gone.
pub fn engine(conn: Connection, ctx: Arc<dyn Context>, rx: mpsc::Receiver<Event>) {
    let mut e = Engine {
        conn,
        ctx,
        feeds: None,
        signature: None,
        cache: HashMap::new(),
    };
    if let Err(err) = e.load_store() {
        tracing::error!(error = %err, "Could not read the stored inventories: vulnerability findings are unavailable.");
        e.view_mut().feeds_error = Some(format!("the stored inventories could not be read: {err}"));
    }
    e.reload_feeds(true);
    let mut last_poll = Instant::now();
    loop {
        match rx.recv_timeout(POLL) {
            Ok(Event::Inventories(list)) => e.inventories(list),
            Ok(Event::ReloadFeeds) => e.reload_feeds(true),
            Ok(Event::ReloadExposure) => e.reexpose(),
            Ok(Event::Shutdown) | Err(mpsc::RecvTimeoutError::Disconnected) => return,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if last_poll.elapsed() >= POLL {
            last_poll = Instant::now();
            e.reload_feeds(false);
            e.new_day();
            // Inventories no host has any more.
            e.cache.retain(|k, _| Arc::strong_count(k) > 1);
        }
    }
}

/// One agency's vulnerability counts (what the metrics and the status page show).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgencyVulns {
    /// Hosts with at least one open finding, by `[kev][band]`.
    pub hosts: [[u64; 4]; 2],
    /// Open findings by `[kev][band]`.
    pub findings: [[u64; 4]; 2],
    /// Overdue findings by band.
    pub overdue: [u64; 4],
    /// Oldest clock start of an open finding, by band.
    pub oldest: [Option<i64>; 4],
    /// Per KEV CVE present: (hosts, hosts past due).
    pub kev_cves: std::collections::BTreeMap<Arc<str>, (u64, u64)>,
    /// Hosts with at least one open KEV finding.
    pub kev_hosts: u64,
    /// Hosts with an inventory that could not be assessed (and why, for one of them).
    pub unassessed: u64,
    /// Hosts assessed.
    pub assessed: u64,
}

impl Vulns {
    /// Counts per agency (index = agency), from the hosts' summaries: one pass over the
    /// hosts, no per-finding work.
    pub fn by_agency(&mut self, agencies: usize) -> Arc<Vec<AgencyVulns>> {
        if let Some(c) = &self.agency_counts {
            if c.len() == agencies {
                return c.clone();
            }
        }
        let c = Arc::new(self.count_by_agency(agencies));
        self.agency_counts = Some(c.clone());
        c
    }

    fn count_by_agency(&self, agencies: usize) -> Vec<AgencyVulns> {
        let mut out = vec![AgencyVulns::default(); agencies];
        for h in self.hosts.values() {
            let Some(a) = out.get_mut(h.agency as usize) else {
                continue;
            };
            if h.matched.unassessed.is_some() {
                a.unassessed += 1;
                continue;
            }
            a.assessed += 1;
            let s = &h.summary;
            for k in 0..2 {
                for b in 0..4 {
                    a.findings[k][b] += u64::from(s.findings[k][b]);
                    if s.findings[k][b] > 0 {
                        a.hosts[k][b] += 1;
                    }
                }
            }
            for b in 0..4 {
                a.overdue[b] += u64::from(s.overdue[b]);
                if let Some(t) = s.oldest[b] {
                    a.oldest[b] = Some(a.oldest[b].map_or(t, |o| o.min(t)));
                }
            }
            if !s.kev_cves.is_empty() {
                a.kev_hosts += 1;
            }
            for (cve, overdue) in &s.kev_cves {
                let e = a.kev_cves.entry(cve.clone()).or_default();
                e.0 += 1;
                e.1 += u64::from(*overdue);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn finding(package: &str, cve: &str) -> Arc<KeyFinding> {
        let v = Vulnerability {
            package: package.into(),
            cve: cve.into(),
            ..Vulnerability::default()
        };
        Arc::new(KeyFinding {
            v,
            decision: [
                (Band::ALL[3], false, Vec::new()),
                (Band::ALL[3], false, Vec::new()),
            ],
            kev_added: None,
        })
    }

    fn matched(list: &[(&str, &str)]) -> Matched {
        Matched {
            findings: list.iter().map(|(p, c)| finding(p, c)).collect(),
            ..Matched::default()
        }
    }

    #[test]
    fn first_seen_keeps_every_time_in_two_bytes_a_finding() {
        let times = [30, 10, 30, 20, 10, 30];
        let f = FirstSeen::new(&times);
        assert!(matches!(&f, FirstSeen::Table { times, .. } if times.len() == 3));
        assert_eq!(f.iter().collect::<Vec<_>>(), times);
        assert_eq!((f.len(), f.get(6)), (6, None));
        let many: Vec<i64> = (0..70_000).collect();
        let f = FirstSeen::new(&many);
        assert!(
            matches!(f, FirstSeen::Each(_)),
            "more times than a u16 index holds"
        );
        assert_eq!(f.get(69_999), Some(69_999));
    }

    #[test]
    fn alignment_maps_kept_findings_and_names_the_closed_ones() {
        let old = matched(&[("git", "CVE-1"), ("git", "CVE-2"), ("curl", "CVE-3")]);
        let new = matched(&[("curl", "CVE-3"), ("zlib", "CVE-4"), ("git", "CVE-1")]);
        let a = align(&old, &new);
        assert_eq!(a.from_old, vec![Some(2), None, Some(0)]);
        assert_eq!(a.closed, vec![false, true, false]);
        // The string path says the same.
        let first: HashMap<(String, String), i64> = old
            .findings
            .iter()
            .enumerate()
            .map(|(i, f)| ((f.v.package.clone(), f.v.cve.clone()), i as i64))
            .collect();
        let (times, keep, added) = carry(&first, &new, 99);
        assert_eq!(times.iter().collect::<Vec<_>>(), vec![2, 99, 0]);
        assert_eq!((keep.len(), added), (3, 1));
    }
}
