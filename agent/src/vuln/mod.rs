//! Known vulnerabilities: feeds read from files ([`feeds`]), exact matching of an inventory
//! ([`matcher`], shared with the collector), and the BOD 26-04 clock ([`bod`]).
//!
//! [`assess`] turns matches into report findings (one per package × CVE) with the KEV
//! entry, CISA's SSVC decision points and the directive's band and due date; [`for_host`]
//! does the whole job for a scan (`scan --feeds DIR`), and the `vulnerability` check type
//! (`vuln.kev`, `vuln.bod_26_04_overdue`) judges its result.

pub mod bod;
pub mod feeds;
pub mod matcher;

use crate::host::Host;
use crate::report::{
    BodClock, FeedInfo, FeedsInfo, Inventory, InventoryPackage, KevEntry, Ssvc, Vulnerability,
};
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use time::{Date, Duration, OffsetDateTime};

/// Default maximum feed age, in days, before a feed counts as stale.
pub const DEFAULT_MAX_AGE_DAYS: i64 = 7;

pub use crate::report::Exposure;

/// What the scan was asked to do with feeds.
#[derive(Debug, Clone)]
pub struct FeedOptions {
    /// The feeds directory.
    pub dir: PathBuf,
    /// Exposure of the host.
    pub exposure: Exposure,
    /// Maximum age in days before a feed counts as stale.
    pub max_age_days: i64,
}

/// The vulnerability assessment of a host, shared by the rules and the report.
#[derive(Debug, Clone, Default)]
pub struct Assessment {
    /// The feeds behind it.
    pub feeds: FeedsInfo,
    /// Findings, KEV first, then by band, due date and CVE.
    pub vulnerabilities: Vec<Vulnerability>,
    /// Why the host could not be assessed (feeds unreadable, package database broken).
    pub error: Option<String>,
    /// Why assessment does not apply (no ecosystem for this OS, no package database).
    pub not_applicable: Option<String>,
    /// Feed records that could not be compared with the host's versions.
    pub problems: Vec<String>,
}

impl Assessment {
    /// Feeds that are absent, broken or stale, as sentences; empty when all are usable.
    pub fn feed_gaps(&self) -> Vec<String> {
        let mut out = Vec::new();
        for f in &self.feeds.feeds {
            if f.feed == "vulnrichment" {
                continue; // Absent SSVC data makes values unknown (taken as worse), not a gap.
            }
            if let Some(e) = &f.error {
                out.push(format!("the {} feed could not be read whole: {e}", f.feed));
            } else if !f.present {
                out.push(format!("the {} feed is absent ({})", f.feed, f.path));
            } else if f.stale {
                out.push(format!(
                    "the {} feed is {} days old (dated {}; feeds_max_age_days is {})",
                    f.feed,
                    f.age_days.unwrap_or(0),
                    f.updated.as_deref().unwrap_or("?"),
                    self.feeds.max_age_days
                ));
            } else if f.updated.is_none() {
                out.push(format!("the {} feed carries no date ({})", f.feed, f.path));
            }
        }
        out
    }
}

/// `YYYY-MM-DD`.
pub fn ymd(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Parse the date at the start of `s` (`YYYY-MM-DD…`).
pub fn parse_ymd(s: &str) -> Option<Date> {
    Date::parse(
        s.get(..10)?,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

fn age(info: &mut FeedInfo, today: Date, max_age_days: i64) {
    if let Some(d) = info.updated.as_deref().and_then(parse_ymd) {
        let days = (today - d).whole_days();
        info.age_days = Some(days);
        info.stale = days > max_age_days;
    }
}

/// The directive's four facts of a finding: exposure, KEV, and CISA's SSVC values.
pub fn facts(exposure: Exposure, kev: Option<&KevEntry>, ssvc: &Ssvc) -> bod::Facts {
    bod::Facts {
        public: exposure == Exposure::Public,
        kev: kev.is_some(),
        automatable: ssvc.automatable.as_deref().map(|a| a == "yes"),
        total_impact: ssvc.technical_impact.as_deref().map(|t| t == "total"),
    }
}

/// When a finding's clock starts: the later of the KEV listing and the first time the
/// finding was seen.
pub fn clock_start(kev: Option<&KevEntry>, first_seen: Date) -> Date {
    match kev.and_then(|k| parse_ymd(&k.date_added)) {
        Some(a) if a > first_seen => a,
        _ => first_seen,
    }
}

/// The due date of a band whose clock starts at `start` (`None` for the next upgrade).
pub fn due_date(band: bod::Band, start: Date) -> Option<Date> {
    band.days().map(|d| start + Duration::days(d))
}

/// Inputs [`assess`] needs beyond the matches; the agent fills them from the host, the
/// collector from what it stores.
pub struct Context<'a> {
    /// KEV catalog.
    pub kev: &'a feeds::Kev,
    /// SSVC lookup per CVE.
    pub ssvc: &'a mut dyn FnMut(&str) -> Ssvc,
    /// Exposure of the host.
    pub exposure: Exposure,
    /// Today (UTC).
    pub today: Date,
    /// When the host first carried a package (install time), when known.
    pub first_seen: &'a dyn Fn(&str) -> Option<Date>,
    /// Whether the host's repositories offer `fixed` for a package, when known.
    pub fix_available: &'a dyn Fn(&str, &str) -> Option<bool>,
}

/// Turn matches into findings: one per (package, CVE), with KEV, SSVC and the BOD clock.
pub fn assess(
    matches: &[matcher::Match],
    ctx: &mut Context<'_>,
) -> Result<Vec<Vulnerability>, String> {
    let table = bod::Table::builtin()?;
    // (package, cve) → finding; an advisory with a fix wins over one without.
    let mut by_key: BTreeMap<(String, String), Vulnerability> = BTreeMap::new();
    for m in matches {
        for cve in m.cves.iter() {
            let key = (m.package.clone(), cve.clone());
            if let Some(prev) = by_key.get(&key) {
                if prev.fixed_version.is_some() || m.fixed_version.is_none() {
                    continue;
                }
            }
            let kev: Option<KevEntry> = ctx.kev.entries.get(cve).cloned();
            let ssvc = (ctx.ssvc)(cve);
            let (decision, assumed) = table.decide(facts(ctx.exposure, kev.as_ref(), &ssvc));
            let first_seen = (ctx.first_seen)(&m.package)
                .unwrap_or(ctx.today)
                .min(ctx.today);
            let start = clock_start(kev.as_ref(), first_seen);
            let due = due_date(decision.band, start);
            let fix_available = m
                .fixed_version
                .as_deref()
                .and_then(|f| (ctx.fix_available)(&m.package, f));
            by_key.insert(
                key,
                Vulnerability {
                    cve: cve.clone(),
                    package: m.package.clone(),
                    source: m.source.clone(),
                    installed_version: m.installed_version.clone(),
                    fixed_version: m.fixed_version.clone(),
                    advisory: m.advisory.to_string(),
                    ecosystem: m.ecosystem.to_string(),
                    kev,
                    ssvc,
                    exposure: ctx.exposure.as_str().to_string(),
                    bod_26_04: BodClock {
                        band: decision.band.as_str().to_string(),
                        due: due.map(ymd),
                        forensic_triage: decision.forensic_triage,
                        clock_start: ymd(start),
                        overdue: due.is_some_and(|d| ctx.today > d),
                        assumed,
                        table_verified: table.verified,
                    },
                    fix_available,
                    note: match (&m.note, m.judged_version != m.installed_version) {
                        (Some(n), _) => Some(n.clone()),
                        (None, true) => Some(format!(
                            "judged by its source package {} {}",
                            m.source, m.judged_version
                        )),
                        (None, false) => None,
                    },
                },
            );
        }
    }
    let mut out: Vec<Vulnerability> = by_key.into_values().collect();
    let band_rank = |b: &str| {
        bod::Band::ALL
            .iter()
            .position(|x| x.as_str() == b)
            .unwrap_or(9)
    };
    out.sort_by(|a, b| {
        (
            a.kev.is_none(),
            !a.bod_26_04.overdue,
            band_rank(&a.bod_26_04.band),
            a.bod_26_04.due.clone(),
            &a.cve,
            &a.package,
        )
            .cmp(&(
                b.kev.is_none(),
                !b.bod_26_04.overdue,
                band_rank(&b.bod_26_04.band),
                b.bod_26_04.due.clone(),
                &b.cve,
                &b.package,
            ))
    });
    Ok(out)
}

/// When the package was installed: dpkg's `/var/lib/dpkg/info/NAME[:ARCH].list` mtime.
fn dpkg_install_date(host: &Host, name: &str, arch: &str) -> Option<Date> {
    [
        format!("/var/lib/dpkg/info/{name}:{arch}.list"),
        format!("/var/lib/dpkg/info/{name}.list"),
    ]
    .iter()
    .find_map(|p| host.metadata(p).ok())
    .and_then(|m| m.modified().ok())
    .map(|t| OffsetDateTime::from(t).date())
}

/// The whole job for one scan: load the feeds (only the records for this host's packages),
/// match the inventory, assess each finding.
pub fn for_host(
    host: &Host,
    inventory: Option<&Inventory>,
    inv_error: Option<&str>,
    opts: &FeedOptions,
    today: Date,
) -> Assessment {
    let mut a = Assessment {
        feeds: FeedsInfo {
            dir: opts.dir.display().to_string(),
            max_age_days: opts.max_age_days,
            exposure: opts.exposure.as_str().to_string(),
            bod_26_04_table_verified: bod::Table::builtin().map(|t| t.verified).unwrap_or(false),
            feeds: Vec::new(),
        },
        ..Assessment::default()
    };
    if !opts.dir.is_dir() {
        a.error = Some(format!(
            "the feeds directory {} does not exist or is not a directory",
            opts.dir.display()
        ));
        return a;
    }
    let inv = match (inventory, inv_error) {
        (_, Some(e)) => {
            a.error = Some(format!("the package database could not be read: {e}"));
            None
        }
        (None, None) => {
            a.not_applicable =
                Some("no package database (dpkg status or sqlite rpmdb) on the host".to_string());
            None
        }
        (Some(i), None) if i.ecosystem.is_empty() => {
            a.not_applicable = Some("no OSV ecosystem for this OS (hardline matches Debian, Ubuntu, AlmaLinux, Rocky Linux and RHEL)".to_string());
            None
        }
        (Some(i), None) => Some(i),
    };
    let filter: Option<HashSet<String>> = inv.and_then(|i| i.packages.as_ref()).map(|ps| {
        let mut f: HashSet<String> = ps
            .iter()
            .flat_map(|p: &InventoryPackage| [p.name.clone(), p.source.clone()])
            .collect();
        f.insert("linux".to_string());
        f.insert("kernel".to_string());
        f
    });
    let mut osv = feeds::load_osv(&opts.dir, filter.as_ref());
    age(&mut osv.info, today, opts.max_age_days);
    let kev = match feeds::load_kev(&opts.dir) {
        Ok(mut k) => {
            age(&mut k.info, today, opts.max_age_days);
            k
        }
        Err(e) => {
            // Findings are still matched; without the catalog none can be called KEV and
            // the rules say the feed is unreadable (see `feed_gaps`).
            let mut k = feeds::Kev::default();
            k.info.feed = "kev".into();
            k.info.path = feeds::kev_path(&opts.dir).display().to_string();
            k.info.present = true;
            k.info.error = Some(e);
            k
        }
    };
    let mut vr = feeds::Vulnrichment::open(&opts.dir);
    if let Some(inv) = inv {
        let (matches, problems) = matcher::match_inventory(inv, &osv);
        a.problems = problems;
        let security = crate::pkgdb::apt_security_index(host);
        let arch_of = |name: &str| -> String {
            inv.packages
                .iter()
                .flatten()
                .find(|p| p.name == name)
                .map(|p| p.arch.clone())
                .unwrap_or_default()
        };
        let rpm_times: std::collections::HashMap<String, i64> =
            match &*crate::pkgdb::installed(host) {
                Ok(Some(db)) => db
                    .packages
                    .iter()
                    .filter_map(|p| Some((p.name.clone(), p.install_time?)))
                    .collect(),
                _ => Default::default(),
            };
        let first_seen = |name: &str| -> Option<Date> {
            if let Some(t) = rpm_times.get(name) {
                return OffsetDateTime::from_unix_timestamp(*t)
                    .ok()
                    .map(|t| t.date());
            }
            if inv.format == "dpkg" {
                return dpkg_install_date(host, name, &arch_of(name));
            }
            None
        };
        let fix_available = |name: &str, fixed: &str| -> Option<bool> {
            if inv.format != "dpkg" {
                return None;
            }
            let idx = match &*security {
                Ok(i) if !i.lists.is_empty() => i,
                _ => return None,
            };
            // The fixed version is the source's; a binary at that version or later offered
            // by a security list means `apt-get install --only-upgrade` gets it.
            Some(idx.packages.get(name).is_some_and(|cands| {
                cands.iter().any(|c| {
                    crate::pkgdb::compare_deb(&c.version, fixed)
                        .is_ok_and(|o| o != std::cmp::Ordering::Less)
                })
            }))
        };
        let mut ssvc = |cve: &str| vr.ssvc(cve);
        let mut ctx = Context {
            kev: &kev,
            ssvc: &mut ssvc,
            exposure: opts.exposure,
            today,
            first_seen: &first_seen,
            fix_available: &fix_available,
        };
        match assess(&matches, &mut ctx) {
            Ok(v) => a.vulnerabilities = v,
            Err(e) => a.error = Some(e),
        }
    }
    a.feeds.feeds = vec![osv.info, kev.info, vr.info];
    a
}
