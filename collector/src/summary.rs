//! The campaign summary: one typed value, built from the aggregates, that both
//! `GET /api/v1/summary` (serialized with serde) and the status page (see [`crate::page`])
//! render, so that the two can never disagree. Its `kev` part ([`KevSummary`]: known
//! exploited vulnerabilities per agency and per CVE, the hosts that need forensic triage,
//! and what is unknown) is built from the vulnerability read model ([`crate::vulns::Vulns`])
//! in one pass over its hosts.
//!
//! Times are Unix seconds in the value and RFC 3339 strings in the JSON (burn-down days as
//! `YYYY-MM-DD`). External programs read the JSON: its field names, their types and their
//! order (alphabetical, as the API has always written them) are a contract, pinned by the
//! tests below. Add fields in alphabetical order; never rename or remove one.

use crate::agg::{day_of, Aggregates};
use crate::config::{fmt_time, Campaign};
use crate::vulns::Vulns;
use crate::App;
use hardline_agent::report::{Exposure, FeedInfo, KevEntry, Severity};
use hardline_agent::vuln;
use serde::{Serialize, Serializer};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use time::{Date, OffsetDateTime};

/// `GET /api/v1/summary`: the campaign and the agencies in scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Agencies in scope, in configuration order.
    pub agencies: Vec<AgencySummary>,
    /// The campaign clock.
    pub campaign: CampaignSummary,
    /// Known exploited vulnerabilities (CISA KEV) open on the hosts of the agencies in
    /// scope: what the status page's KEV section shows.
    pub kev: KevSummary,
}

/// The campaign part of the summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CampaignSummary {
    /// Days left until the deadline, rounded up, never negative ([`days_left`]).
    pub days_left: i64,
    /// Deadline (Unix seconds).
    #[serde(serialize_with = "ser_time")]
    pub deadline: i64,
    /// Campaign name.
    pub name: String,
    /// When the summary was taken (Unix seconds).
    #[serde(serialize_with = "ser_time")]
    pub now: i64,
    /// Results at or above this severity decide compliance.
    #[serde(serialize_with = "ser_severity")]
    pub severity_threshold: Severity,
    /// A host whose latest report is older than this is stale (seconds).
    pub stale_after_seconds: i64,
    /// Start (Unix seconds).
    #[serde(serialize_with = "ser_time")]
    pub start: i64,
}

/// One agency of the summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgencySummary {
    /// One point per day from the campaign start, the last one live (today).
    pub burndown: Vec<BurndownPoint>,
    /// Compliant hosts.
    pub compliant: i64,
    /// All hosts.
    pub hosts: i64,
    /// Agency name.
    pub name: String,
    /// Noncompliant hosts.
    pub noncompliant: i64,
    /// Projected completion at or before the deadline; `true` with no noncompliant host;
    /// `None` (JSON `null`) while noncompliant with no downward trend.
    pub on_track: Option<bool>,
    /// When the agency reaches zero noncompliant hosts at its recent pace (Unix seconds).
    #[serde(serialize_with = "ser_opt_time")]
    pub projected_completion: Option<i64>,
    /// Accepted reports.
    pub reports_received: u64,
    /// Stale hosts.
    pub stale: i64,
    /// Waivers of the agency.
    pub waivers: WaiverCounts,
}

impl AgencySummary {
    /// The agency's noncompliant hosts would have reached zero by the deadline at the
    /// recent pace ([`AgencySummary::on_track`] rules).
    fn on_track(projected: Option<i64>, noncompliant: i64, deadline: i64) -> Option<bool> {
        projected
            .map(|t| t <= deadline)
            .or(if noncompliant == 0 { Some(true) } else { None })
    }
}

/// Waivers by state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WaiverCounts {
    /// Not yet expired.
    pub active: u64,
    /// Expired.
    pub expired: u64,
}

/// One day of an agency's burn-down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BurndownPoint {
    /// Compliant hosts.
    pub compliant: i64,
    /// The day (midnight UTC, Unix seconds; `YYYY-MM-DD` in JSON).
    #[serde(serialize_with = "ser_day")]
    pub day: i64,
    /// Noncompliant hosts.
    pub noncompliant: i64,
    /// Stale hosts.
    pub stale: i64,
}

/// Days left until the deadline, rounded up, never negative.
pub fn days_left(deadline: i64, now: i64) -> i64 {
    if now >= deadline {
        0
    } else {
        (deadline - now + 86399) / 86400
    }
}

impl Summary {
    /// The summary of the agencies `scope` admits (by index), from aggregates already
    /// swept at `now`.
    pub fn of(aggs: &Aggregates, c: &Campaign, now: i64, scope: &dyn Fn(usize) -> bool) -> Summary {
        let today = day_of(now);
        let first_day = day_of(c.start);
        let agencies = aggs
            .agencies
            .iter()
            .enumerate()
            .filter(|(i, _)| scope(*i))
            .map(|(i, a)| {
                let projected = aggs.projected_completion(i, now).map(|t| t as i64);
                let (active, expired) = aggs.waivers.counts(i, now);
                let [compliant, noncompliant, stale] = a.counts;
                let mut burndown: Vec<BurndownPoint> = a
                    .daily
                    .iter()
                    .filter(|d| d.day < today && d.day >= first_day)
                    .map(|d| BurndownPoint {
                        compliant: d.compliant,
                        day: d.day,
                        noncompliant: d.noncompliant,
                        stale: d.stale,
                    })
                    .collect();
                burndown.push(BurndownPoint {
                    compliant,
                    day: today,
                    noncompliant,
                    stale,
                });
                AgencySummary {
                    burndown,
                    compliant,
                    hosts: a.counts.iter().sum(),
                    name: a.name.clone(),
                    noncompliant,
                    on_track: AgencySummary::on_track(projected, noncompliant, c.deadline),
                    projected_completion: projected,
                    reports_received: a.received_total,
                    stale,
                    waivers: WaiverCounts { active, expired },
                }
            })
            .collect();
        Summary {
            agencies,
            campaign: CampaignSummary {
                days_left: days_left(c.deadline, now),
                deadline: c.deadline,
                name: c.name.clone(),
                now,
                severity_threshold: c.severity_threshold,
                stale_after_seconds: c.stale_after,
                start: c.start,
            },
            // The aggregates know nothing of vulnerabilities: unknown until
            // [`Summary::current`] reads the findings.
            kev: KevSummary::default(),
        }
    }

    /// The running collector's summary now, for the agencies `scope` admits. The
    /// aggregates' lock and the findings' lock are taken one after the other, never
    /// together, each for one pass.
    pub fn current(app: &App, scope: &dyn Fn(usize) -> bool) -> Summary {
        let now = app.clock.now();
        let mut s = {
            let mut aggs = app.lock_aggs();
            aggs.sweep(now);
            Summary::of(&aggs, &app.config.campaign, now, scope)
        };
        let agencies: Vec<(usize, &str, i64)> = app
            .config
            .agency_names()
            .into_iter()
            .enumerate()
            .filter(|(i, _)| scope(*i))
            .map(|(i, name)| {
                let hosts = s
                    .agencies
                    .iter()
                    .find(|a| a.name == name)
                    .map_or(0, |a| a.hosts);
                (i, name, hosts)
            })
            .collect();
        s.kev = KevSummary::cached(app, &agencies, now);
        s
    }
}

/// What a KEV summary was built from: the collector, the read model's generation, the
/// agencies in scope with their host counts, and the hour.
type KevKey = (usize, u64, Vec<(usize, String, i64)>, i64);

/// The last KEV summary built. Building one walks every host's KEV findings (about two
/// seconds at 100,000 hosts, under the read model's lock), so page loads and API calls
/// reuse it until the engine changes the model, the agencies' hosts change, or the hour
/// turns.
static KEV_CACHE: std::sync::Mutex<Option<(KevKey, KevSummary)>> = std::sync::Mutex::new(None);

impl KevSummary {
    /// [`KevSummary::of`] the app's read model, reused while nothing it reads changed.
    pub fn cached(app: &App, agencies: &[(usize, &str, i64)], now: i64) -> KevSummary {
        let v = app.vulns();
        let key: KevKey = (
            std::ptr::from_ref(app) as usize,
            v.generation,
            agencies
                .iter()
                .map(|(i, n, h)| (*i, n.to_string(), *h))
                .collect(),
            now.div_euclid(3600),
        );
        let lock = || match KEV_CACHE.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if let Some((k, s)) = lock().as_ref() {
            if *k == key {
                return s.clone();
            }
        }
        let s = KevSummary::of(&v, agencies, now);
        *lock() = Some((key, s.clone()));
        s
    }
}

/// Triage hosts listed by name in [`KevTriage::listed`]; the rest are counted.
pub const TRIAGE_LISTED: usize = 20;

/// A feed older than this many days is called stale (the agent's default
/// `feeds_max_age_days`): findings published since may be missing.
pub const FEED_MAX_AGE_DAYS: i64 = vuln::DEFAULT_MAX_AGE_DAYS;

/// What the KEV part of the summary can say (`state` in the JSON, `data-state` on the
/// page). Every state but [`KevState::Clear`] and [`KevState::Open`] means "unknown", and
/// says why: missing data is never reported as "no KEV".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KevState {
    /// The collector has not read its stored inventories yet (it just started), or is in
    /// the middle of loading feeds.
    #[default]
    Loading,
    /// No vulnerability feeds are loaded: every host is unassessed.
    NoFeeds,
    /// Feeds are loaded, but the KEV catalog is absent from them or unreadable.
    NoCatalog,
    /// No host of the agencies in scope has reported.
    NoHosts,
    /// Hosts report, but none could be matched (no package inventory yet, no OSV
    /// ecosystem for their OS).
    Unassessed,
    /// No open KEV finding on the hosts assessed (see [`KevSummary::unassessed`] for those
    /// that were not).
    #[serde(rename = "none")]
    Clear,
    /// At least one open KEV finding.
    Open,
}

impl KevState {
    /// The JSON and `data-state` value.
    pub fn as_str(self) -> &'static str {
        match self {
            KevState::Loading => "loading",
            KevState::NoFeeds => "no_feeds",
            KevState::NoCatalog => "no_catalog",
            KevState::NoHosts => "no_hosts",
            KevState::Unassessed => "unassessed",
            KevState::Clear => "none",
            KevState::Open => "open",
        }
    }
}

/// Known exploited vulnerabilities open in the agencies in scope. Host counts count a
/// host once however many KEV findings it carries; "overdue" is past the finding's
/// BOD 26-04 due date (the clock the metrics and `/api/v1/vulnerabilities` use).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KevSummary {
    /// Agencies in scope, in configuration order.
    pub agencies: Vec<KevAgency>,
    /// Hosts matched against the feeds.
    pub assessed: u64,
    /// The KEV catalog in force; `None` when none is loaded.
    pub catalog: Option<KevCatalog>,
    /// One entry per KEV CVE open on at least one host, most urgent first: most overdue
    /// hosts, then the earliest BOD 26-04 due date, then most hosts, then the catalog's due
    /// date, then the CVE id.
    pub cves: Vec<KevCve>,
    /// Why the findings may be incomplete: a refused feeds load, absent, undated or stale
    /// feeds (sentences).
    pub feed_notes: Vec<String>,
    /// Hosts with at least one open KEV finding.
    pub hosts: u64,
    /// Hosts reporting that sent no package inventory (part of `unassessed`).
    pub no_inventory: u64,
    /// Hosts with an open KEV finding past its due date.
    pub overdue_hosts: u64,
    /// What can be said.
    pub state: KevState,
    /// Whether the BOD 26-04 remediation table was verified against the directive's text
    /// (while not, due dates and triage are provisional).
    pub table_verified: bool,
    /// Hosts whose findings call for forensic triage (BOD 26-04's three-day band).
    pub triage: KevTriage,
    /// Hosts reporting that could not be assessed: their KEV status is unknown.
    pub unassessed: u64,
}

/// One agency's KEV counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KevAgency {
    /// Hosts matched against the feeds.
    pub assessed: u64,
    /// Hosts with at least one open KEV finding.
    pub hosts: u64,
    /// Agency name.
    pub name: String,
    /// Hosts reporting without a package inventory (part of `unassessed`).
    pub no_inventory: u64,
    /// Hosts with an open KEV finding past its due date.
    pub overdue_hosts: u64,
    /// Hosts that need forensic triage.
    pub triage_hosts: u64,
    /// Hosts reporting that could not be assessed.
    pub unassessed: u64,
}

/// The KEV catalog in force.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KevCatalog {
    /// Days since `date`, as of the summary.
    pub age_days: Option<i64>,
    /// `dateReleased` (YYYY-MM-DD).
    pub date: Option<String>,
    /// Entries loaded.
    pub records: u64,
    /// Older than [`FEED_MAX_AGE_DAYS`], or undated.
    pub stale: bool,
    /// `catalogVersion`.
    pub version: Option<String>,
}

/// One KEV CVE open in the fleet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KevCve {
    /// Agencies with hosts carrying it, in configuration order.
    pub agencies: Vec<KevCveAgency>,
    /// CVE id.
    pub cve: String,
    /// KEV `dateAdded`.
    pub date_added: String,
    /// The earliest BOD 26-04 due date of its hosts' findings (YYYY-MM-DD); `None` when no
    /// finding of it has a calendar due date.
    pub due: Option<String>,
    /// KEV `dueDate` (the catalog's own, BOD 22-01).
    pub due_date: String,
    /// Hosts carrying it.
    pub hosts: u64,
    /// KEV `knownRansomwareCampaignUse` (`Known` or `Unknown`).
    pub known_ransomware_campaign_use: String,
    /// Hosts whose finding of it is past due.
    pub overdue_hosts: u64,
    /// KEV `vendorProject` and `product`.
    pub product: String,
}

/// One agency's hosts carrying a KEV CVE.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KevCveAgency {
    /// Hosts carrying it.
    pub hosts: u64,
    /// Agency name.
    pub name: String,
    /// Of them, past due.
    pub overdue_hosts: u64,
}

/// The hosts that need forensic triage.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KevTriage {
    /// How many.
    pub hosts: u64,
    /// The first [`TRIAGE_LISTED`] by agency (configuration order), hostname and id.
    pub listed: Vec<KevTriageHost>,
}

/// A host that needs forensic triage.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KevTriageHost {
    /// Agency name.
    pub agency: String,
    /// Host id.
    pub host_id: String,
    /// Hostname as reported.
    pub hostname: String,
}

/// The feeds side of [`KevBuilder::finish`]: what is loaded, from [`Vulns`].
#[derive(Debug, Clone, Default)]
pub struct KevFeeds {
    /// The engine has read the store.
    pub loaded: bool,
    /// The feeds in force; `None` when none is.
    pub infos: Option<Vec<FeedInfo>>,
    /// Why the last load failed.
    pub error: Option<String>,
    /// The remediation table is verified.
    pub table_verified: bool,
}

/// One KEV CVE open on a host, for [`KevBuilder::host`].
#[derive(Debug, Clone, Copy)]
pub struct HostKev<'a> {
    /// CVE id.
    pub cve: &'a str,
    /// Its catalog entry.
    pub entry: &'a KevEntry,
    /// Past due on this host.
    pub overdue: bool,
    /// Its BOD 26-04 due date on this host.
    pub due: Option<Date>,
}

#[derive(Debug)]
struct CveAcc {
    entry: KevEntry,
    due: Option<Date>,
    /// Agency position → (hosts, overdue hosts).
    agencies: BTreeMap<usize, (u64, u64)>,
}

/// Accumulates hosts into a [`KevSummary`] (agencies by position in scope order). Pure:
/// [`KevSummary::of`] feeds it from the read model, the tests directly.
#[derive(Debug)]
pub struct KevBuilder {
    agencies: Vec<KevAgency>,
    /// Hosts reporting, per agency (from the aggregates).
    reporting: Vec<i64>,
    cves: BTreeMap<String, CveAcc>,
    listed: BTreeSet<(usize, String, String)>,
}

impl KevBuilder {
    /// Agencies in scope: (name, hosts reporting).
    pub fn new<'a>(agencies: impl IntoIterator<Item = (&'a str, i64)>) -> KevBuilder {
        let (agencies, reporting) = agencies
            .into_iter()
            .map(|(name, hosts)| {
                (
                    KevAgency {
                        name: name.to_string(),
                        ..KevAgency::default()
                    },
                    hosts,
                )
            })
            .unzip();
        KevBuilder {
            agencies,
            reporting,
            cves: BTreeMap::new(),
            listed: BTreeSet::new(),
        }
    }

    /// A host of agency `pos` with an inventory that could not be matched.
    pub fn unassessed(&mut self, pos: usize) {
        if let Some(a) = self.agencies.get_mut(pos) {
            a.unassessed += 1;
        }
    }

    /// An assessed host of agency `pos`: whether it needs forensic triage, and its open
    /// KEV CVEs (a CVE may come more than once, from several packages).
    pub fn host(
        &mut self,
        pos: usize,
        host_id: &str,
        hostname: &str,
        triage: bool,
        kevs: &[HostKev<'_>],
    ) {
        let Some(a) = self.agencies.get_mut(pos) else {
            return;
        };
        a.assessed += 1;
        if triage {
            a.triage_hosts += 1;
            self.listed
                .insert((pos, hostname.to_string(), host_id.to_string()));
            if self.listed.len() > TRIAGE_LISTED {
                self.listed.pop_last();
            }
        }
        // One entry per CVE on this host: past due if any of its findings is, the
        // earliest due date.
        let mut mine: BTreeMap<&str, HostKev<'_>> = BTreeMap::new();
        for k in kevs {
            mine.entry(k.cve)
                .and_modify(|m| {
                    m.overdue |= k.overdue;
                    m.due = min_date(m.due, k.due);
                })
                .or_insert(*k);
        }
        if mine.is_empty() {
            return;
        }
        a.hosts += 1;
        if mine.values().any(|k| k.overdue) {
            a.overdue_hosts += 1;
        }
        for (cve, k) in mine {
            let acc = self.cves.entry(cve.to_string()).or_insert_with(|| CveAcc {
                entry: k.entry.clone(),
                due: None,
                agencies: BTreeMap::new(),
            });
            acc.due = min_date(acc.due, k.due);
            let e = acc.agencies.entry(pos).or_default();
            e.0 += 1;
            e.1 += u64::from(k.overdue);
        }
    }

    /// The summary, as of `now`.
    pub fn finish(self, feeds: &KevFeeds, now: i64) -> KevSummary {
        let today = date_of(now);
        let mut agencies = self.agencies;
        for (a, reporting) in agencies.iter_mut().zip(&self.reporting) {
            let missing = u64::try_from(*reporting)
                .unwrap_or(0)
                .saturating_sub(a.assessed);
            let unassessed = missing.max(a.unassessed);
            a.no_inventory = unassessed - a.unassessed;
            a.unassessed = unassessed;
        }
        let sum = |f: fn(&KevAgency) -> u64| agencies.iter().map(f).sum::<u64>();
        let (assessed, hosts, overdue_hosts) = (
            sum(|a| a.assessed),
            sum(|a| a.hosts),
            sum(|a| a.overdue_hosts),
        );
        let (unassessed, no_inventory, triage_hosts) = (
            sum(|a| a.unassessed),
            sum(|a| a.no_inventory),
            sum(|a| a.triage_hosts),
        );
        let mut cves: Vec<KevCve> = self
            .cves
            .into_iter()
            .map(|(cve, acc)| {
                let per: Vec<KevCveAgency> = acc
                    .agencies
                    .iter()
                    .filter_map(|(pos, (h, o))| {
                        Some(KevCveAgency {
                            hosts: *h,
                            name: agencies.get(*pos)?.name.clone(),
                            overdue_hosts: *o,
                        })
                    })
                    .collect();
                KevCve {
                    hosts: per.iter().map(|a| a.hosts).sum(),
                    overdue_hosts: per.iter().map(|a| a.overdue_hosts).sum(),
                    agencies: per,
                    cve,
                    date_added: acc.entry.date_added,
                    due: acc.due.map(vuln::ymd),
                    due_date: acc.entry.due_date,
                    known_ransomware_campaign_use: acc.entry.known_ransomware_campaign_use,
                    product: acc.entry.product,
                }
            })
            .collect();
        cves.sort_by(KevCve::urgency);
        let listed = self
            .listed
            .into_iter()
            .map(|(pos, hostname, host_id)| KevTriageHost {
                agency: agencies
                    .get(pos)
                    .map(|a| a.name.clone())
                    .unwrap_or_default(),
                host_id,
                hostname,
            })
            .collect();
        let infos = feeds.infos.as_deref();
        let catalog = infos
            .and_then(|i| i.iter().find(|f| f.feed == "kev"))
            .filter(|k| k.present && k.error.is_none())
            .map(|k| {
                let age_days = k
                    .updated
                    .as_deref()
                    .and_then(vuln::parse_ymd)
                    .map(|d| (today - d).whole_days());
                KevCatalog {
                    age_days,
                    date: k.updated.clone(),
                    records: k.records,
                    stale: k.stale || age_days.is_none_or(|d| d > FEED_MAX_AGE_DAYS),
                    version: k.version.clone(),
                }
            });
        let reporting: i64 = self.reporting.iter().sum();
        let state = if !feeds.loaded {
            KevState::Loading
        } else if infos.is_none() && assessed > 0 {
            // The engine matched hosts with feeds it has not published yet (it stores the
            // hosts' findings, then the feeds): a moment of a load in progress.
            KevState::Loading
        } else if infos.is_none() {
            KevState::NoFeeds
        } else if catalog.is_none() {
            KevState::NoCatalog
        } else if hosts > 0 {
            KevState::Open
        } else if reporting <= 0 && assessed == 0 {
            KevState::NoHosts
        } else if assessed == 0 {
            KevState::Unassessed
        } else {
            KevState::Clear
        };
        KevSummary {
            agencies,
            assessed,
            catalog,
            cves,
            feed_notes: feed_notes(feeds, today),
            hosts,
            no_inventory,
            overdue_hosts,
            state,
            table_verified: feeds.table_verified,
            triage: KevTriage {
                hosts: triage_hosts,
                listed,
            },
            unassessed,
        }
    }
}

impl KevCve {
    /// Most urgent first: most overdue hosts, the earliest due date (none last), most
    /// hosts, the catalog's earliest due date, then the CVE id.
    pub fn urgency(a: &KevCve, b: &KevCve) -> std::cmp::Ordering {
        b.overdue_hosts
            .cmp(&a.overdue_hosts)
            .then_with(|| match (&a.due, &b.due) {
                (Some(x), Some(y)) => x.cmp(y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then(b.hosts.cmp(&a.hosts))
            .then_with(|| a.due_date.cmp(&b.due_date))
            .then_with(|| a.cve.cmp(&b.cve))
    }
}

fn min_date(a: Option<Date>, b: Option<Date>) -> Option<Date> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

fn date_of(t: i64) -> Date {
    OffsetDateTime::from_unix_timestamp(t)
        .map(|d| d.date())
        .unwrap_or(Date::MIN)
}

/// Sentences on what may make the findings incomplete (no paths: the page is for
/// leadership; `/api/v1/feeds` has the details).
fn feed_notes(feeds: &KevFeeds, today: Date) -> Vec<String> {
    let mut out = Vec::new();
    if feeds.error.is_some() && !feeds.loaded {
        out.push("The stored inventories could not be read: vulnerability findings are unavailable (details: /api/v1/feeds).".to_string());
    } else if feeds.error.is_some() {
        out.push(if feeds.infos.is_some() {
            "The last feeds load was refused; the previous feeds stay in force (details: /api/v1/feeds).".to_string()
        } else {
            "The last feeds load was refused (details: /api/v1/feeds).".to_string()
        });
    }
    for f in feeds.infos.iter().flatten() {
        // Absent SSVC data makes values unknown (taken as the worse), not a gap.
        if f.feed == "vulnrichment" {
            continue;
        }
        let name = match f.feed.as_str() {
            "kev" => "KEV catalog",
            "osv" => "OSV advisory feed",
            _ => f.feed.as_str(),
        };
        let date = f.updated.as_deref().and_then(vuln::parse_ymd);
        if f.error.is_some() {
            out.push(format!(
                "The {name} could not be read whole: findings may be missing."
            ));
        } else if !f.present {
            out.push(format!(
                "The {name} is absent from the feeds in force: findings may be missing."
            ));
        } else if let Some(d) = date {
            let age = (today - d).whole_days();
            if f.stale || age > FEED_MAX_AGE_DAYS {
                out.push(format!(
                    "The {name} is stale: {age} days old (dated {}, more than {FEED_MAX_AGE_DAYS}); findings published since are missing.",
                    vuln::ymd(d)
                ));
            }
        } else {
            out.push(format!(
                "The {name} carries no readable date: it may be stale."
            ));
        }
    }
    out
}

/// [`crate::vulns::KeyFinding::decision`]'s order: internal, public.
fn exposure_index(e: Exposure) -> usize {
    match e {
        Exposure::Internal => 0,
        Exposure::Public => 1,
    }
}

impl KevSummary {
    /// The KEV summary of the agencies `agencies` names — (configuration index, name,
    /// hosts reporting), in scope order — from the read model, in one pass over its hosts
    /// under the caller's lock. The per-finding work is per distinct inventory (hosts
    /// share them), except for the KEV findings' due dates, which depend on each host's
    /// first-seen times.
    pub fn of(v: &Vulns, agencies: &[(usize, &str, i64)], now: i64) -> KevSummary {
        let mut pos_of: Vec<Option<usize>> = Vec::new();
        for (pos, (i, _, _)) in agencies.iter().enumerate() {
            if pos_of.len() <= *i {
                pos_of.resize(*i + 1, None);
            }
            pos_of[*i] = Some(pos);
        }
        let mut b = KevBuilder::new(agencies.iter().map(|(_, n, h)| (*n, *h)));
        let today = v.today.unwrap_or_else(|| date_of(now));
        // Per distinct inventory: forensic triage by exposure, and which findings are KEV.
        let mut per_inventory: HashMap<usize, ([bool; 2], Vec<usize>)> = HashMap::new();
        for (id, h) in &v.hosts {
            let Some(pos) = pos_of.get(h.agency as usize).copied().flatten() else {
                continue;
            };
            let m = &h.matched;
            if m.unassessed.is_some() {
                b.unassessed(pos);
                continue;
            }
            let (triage, kev_idx) = per_inventory
                .entry(std::sync::Arc::as_ptr(m) as usize)
                .or_insert_with(|| {
                    let triage = [0, 1].map(|e| m.findings.iter().any(|f| f.decision[e].1));
                    let kev = (0..m.findings.len())
                        .filter(|&i| m.findings[i].v.kev.is_some())
                        .collect();
                    (triage, kev)
                });
            let e = exposure_index(h.exposure());
            let kevs: Vec<HostKev<'_>> = kev_idx
                .iter()
                .filter_map(|&i| {
                    let f = m.findings.get(i)?;
                    let entry = f.v.kev.as_ref()?;
                    let first = date_of(h.first_seen.get(i)?);
                    let due =
                        vuln::due_date(f.decision[e].0, vuln::clock_start(Some(entry), first));
                    // The host's own summary says what the metrics say.
                    let overdue = h
                        .summary
                        .kev_cves
                        .iter()
                        .find(|(c, _)| **c == *f.v.cve)
                        .map_or_else(|| due.is_some_and(|d| today > d), |(_, o)| *o);
                    Some(HostKev {
                        cve: &f.v.cve,
                        entry,
                        overdue,
                        due,
                    })
                })
                .collect();
            b.host(pos, id, &h.hostname, triage[e], &kevs);
        }
        let feeds = KevFeeds {
            loaded: v.loaded,
            infos: v.feeds.as_ref().map(|f| f.infos.clone()),
            error: v.feeds_error.clone(),
            table_verified: v.table_verified,
        };
        b.finish(&feeds, now)
    }
}

fn ser_time<S: Serializer>(t: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&fmt_time(*t))
}

fn ser_opt_time<S: Serializer>(t: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => ser_time(t, s),
        None => s.serialize_none(),
    }
}

fn ser_day<S: Serializer>(t: &i64, s: S) -> Result<S::Ok, S::Error> {
    let full = fmt_time(*t);
    s.serialize_str(full.get(..10).unwrap_or(&full))
}

fn ser_severity<S: Serializer>(v: &Severity, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    const START: i64 = 1_780_358_400; // 2026-06-02T00:00:00Z
    const DAY: i64 = 86400;

    fn sample() -> Summary {
        Summary {
            agencies: vec![
                AgencySummary {
                    burndown: vec![
                        BurndownPoint {
                            compliant: 1,
                            day: START + DAY,
                            noncompliant: 5,
                            stale: 0,
                        },
                        BurndownPoint {
                            compliant: 2,
                            day: START + 2 * DAY,
                            noncompliant: 4,
                            stale: 1,
                        },
                    ],
                    compliant: 2,
                    hosts: 7,
                    name: "DOE".into(),
                    noncompliant: 4,
                    on_track: Some(true),
                    projected_completion: Some(START + 7 * DAY + 9 * 3600),
                    reports_received: 36,
                    stale: 1,
                    waivers: WaiverCounts {
                        active: 1,
                        expired: 0,
                    },
                },
                AgencySummary {
                    burndown: vec![],
                    compliant: 0,
                    hosts: 3,
                    name: "DOJ".into(),
                    noncompliant: 3,
                    on_track: None,
                    projected_completion: None,
                    reports_received: 21,
                    stale: 0,
                    waivers: WaiverCounts {
                        active: 0,
                        expired: 2,
                    },
                },
            ],
            campaign: CampaignSummary {
                days_left: 24,
                deadline: START + 30 * DAY,
                name: "eo-30-day".into(),
                now: START + 6 * DAY + 9 * 3600,
                severity_threshold: Severity::Medium,
                stale_after_seconds: 172_800,
                start: START,
            },
            kev: KevSummary {
                agencies: vec![KevAgency {
                    assessed: 6,
                    hosts: 2,
                    name: "DOE".into(),
                    no_inventory: 0,
                    overdue_hosts: 1,
                    triage_hosts: 1,
                    unassessed: 1,
                }],
                assessed: 6,
                catalog: Some(KevCatalog {
                    age_days: Some(2),
                    date: Some("2026-06-06".into()),
                    records: 1404,
                    stale: false,
                    version: Some("2026.06.06".into()),
                }),
                cves: vec![KevCve {
                    agencies: vec![KevCveAgency {
                        hosts: 2,
                        name: "DOE".into(),
                        overdue_hosts: 1,
                    }],
                    cve: "CVE-2023-4911".into(),
                    date_added: "2023-11-21".into(),
                    due: Some("2026-06-05".into()),
                    due_date: "2023-12-12".into(),
                    hosts: 2,
                    known_ransomware_campaign_use: "Unknown".into(),
                    overdue_hosts: 1,
                    product: "GNU GNU C Library".into(),
                }],
                feed_notes: vec![],
                hosts: 2,
                no_inventory: 0,
                overdue_hosts: 1,
                state: KevState::Open,
                table_verified: false,
                triage: KevTriage {
                    hosts: 1,
                    listed: vec![KevTriageHost {
                        agency: "DOE".into(),
                        host_id: "h1".into(),
                        hostname: "web1".into(),
                    }],
                },
                unassessed: 1,
            },
        }
    }

    /// The JSON is a contract: exactly these names, types and order (what
    /// `/api/v1/summary` wrote when it was built as an untyped, key-sorted JSON value).
    #[test]
    fn json_shape_is_the_api_contract() {
        let text = serde_json::to_string(&sample()).unwrap();
        assert_eq!(
            text,
            concat!(
                r#"{"agencies":[{"burndown":[{"compliant":1,"day":"2026-06-03","noncompliant":5,"stale":0},"#,
                r#"{"compliant":2,"day":"2026-06-04","noncompliant":4,"stale":1}],"compliant":2,"hosts":7,"#,
                r#""name":"DOE","noncompliant":4,"on_track":true,"projected_completion":"2026-06-09T09:00:00Z","#,
                r#""reports_received":36,"stale":1,"waivers":{"active":1,"expired":0}},"#,
                r#"{"burndown":[],"compliant":0,"hosts":3,"name":"DOJ","noncompliant":3,"on_track":null,"#,
                r#""projected_completion":null,"reports_received":21,"stale":0,"waivers":{"active":0,"expired":2}}],"#,
                r#""campaign":{"days_left":24,"deadline":"2026-07-02T00:00:00Z","name":"eo-30-day","#,
                r#""now":"2026-06-08T09:00:00Z","severity_threshold":"medium","stale_after_seconds":172800,"#,
                r#""start":"2026-06-02T00:00:00Z"},"#,
                r#""kev":{"agencies":[{"assessed":6,"hosts":2,"name":"DOE","no_inventory":0,"overdue_hosts":1,"#,
                r#""triage_hosts":1,"unassessed":1}],"assessed":6,"catalog":{"age_days":2,"date":"2026-06-06","#,
                r#""records":1404,"stale":false,"version":"2026.06.06"},"cves":[{"agencies":[{"hosts":2,"name":"DOE","#,
                r#""overdue_hosts":1}],"cve":"CVE-2023-4911","date_added":"2023-11-21","due":"2026-06-05","#,
                r#""due_date":"2023-12-12","hosts":2,"known_ransomware_campaign_use":"Unknown","overdue_hosts":1,"#,
                r#""product":"GNU GNU C Library"}],"feed_notes":[],"hosts":2,"no_inventory":0,"overdue_hosts":1,"#,
                r#""state":"open","table_verified":false,"triage":{"hosts":1,"listed":[{"agency":"DOE","#,
                r#""host_id":"h1","hostname":"web1"}]},"unassessed":1}}"#,
            )
        );
        // Key order is alphabetical at every level, as a sorted JSON map writes it.
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(serde_json::to_string(&v).unwrap(), text);
    }

    #[test]
    fn days_left_rounds_up_and_stops_at_zero() {
        assert_eq!(days_left(START + DAY, START), 1);
        assert_eq!(days_left(START + DAY, START + 1), 1);
        assert_eq!(days_left(START + DAY, START - 1), 2);
        assert_eq!(days_left(START, START), 0);
        assert_eq!(days_left(START, START + 5 * DAY), 0);
    }

    #[test]
    fn on_track_rules() {
        assert_eq!(AgencySummary::on_track(Some(5), 3, 10), Some(true));
        assert_eq!(AgencySummary::on_track(Some(11), 3, 10), Some(false));
        assert_eq!(AgencySummary::on_track(None, 3, 10), None);
        assert_eq!(AgencySummary::on_track(None, 0, 10), Some(true));
    }
}
