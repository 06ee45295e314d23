//! `patch` check: patch currency — pending security updates, a pending reboot, and whether
//! the operating-system release still receives security updates. `aspect` picks one.
//!
//! - `security_updates` (Debian family): reads the installed packages
//!   (`/var/lib/dpkg/status`) and the apt lists of security suites (`/var/lib/apt/lists/*-security*_Packages`, e.g.
//!   `deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages`,
//!   `security.ubuntu.com_ubuntu_dists_jammy-security_main_binary-amd64_Packages`). A package
//!   has a pending security update when a security list offers the same name, for the same
//!   architecture (or `all`), at a higher version (dpkg ordering). No security list at all
//!   means the agent cannot tell → `error` ("run apt-get update"), never a pass; lists kept
//!   compressed with gzip or lz4 (`Acquire::GzipIndexes`, Docker's Debian images) are read;
//!   lists kept only as xz, zstd or bzip2 are an `error` saying so. The message gives the
//!   lists' `Date:` (from the suite's `InRelease`/`Release`): the answer is only as fresh as
//!   the lists. With `max_index_age_days`, older lists are an `error`.
//! - `security_updates` (RPM family: RHEL/Alma/Rocky 7–9, Fedora): reads the security
//!   advisories (`updateinfo`) of the repository metadata dnf/yum cached under
//!   `/var/cache/dnf`, `/var/cache/libdnf5` or `/var/cache/yum` (see [`crate::updateinfo`];
//!   nothing is downloaded, dnf is never run). An advisory of type `security` is pending when
//!   an installed package has its name and architecture (or either side is `noarch`) and no
//!   installed package of that name and architecture is at or above the advisory's EVR (rpm
//!   ordering, [`pkgdb::compare_rpm`]; so an older kernel beside the fixed one does not
//!   count, as in `dnf updateinfo list`). `min_advisory_severity` ignores advisories rated
//!   below it (an advisory without a known severity always counts). No cached repository
//!   metadata → `error` ("run `dnf makecache`"), never a pass; a checksum mismatch against
//!   repomd.xml, a corrupt or truncated file, or zchunk-only metadata → `error` naming the
//!   file. With `max_index_age_days`, any repository whose updateinfo (repomd `<timestamp>`)
//!   is older is an `error`. The fix is `dnf upgrade --advisory …` naming every pending
//!   advisory. Modular advisories are not filtered by the enabled module streams.
//! - `reboot_required`: fails when `/var/run/reboot-required` (or `/run/reboot-required`) is
//!   present — its `.pkgs` companion names the packages that asked — or when the running
//!   kernel (`/proc/sys/kernel/osrelease`) is older than the newest installed kernel package
//!   of the same flavour (Debian/Ubuntu: `linux-image-<abi>-<flavour>` packages, plus the
//!   Debian build version in `/proc/sys/kernel/version` for in-place ABI-compatible
//!   updates; RPM: `kernel-core`/`kernel`, compared by version-release). Without `/proc`
//!   under the root (an offline image) only the flag file is judged, and the message says
//!   so; a running kernel that no installed package provides (a container, a custom kernel)
//!   is likewise reported as not compared.
//! - `os_supported`: `/etc/os-release` `ID` + `VERSION_ID` looked up in the end-of-support
//!   table `policies/data/os_eol.yaml` (embedded at build time; its header says which date
//!   is used per vendor: Debian LTS end, Ubuntu standard support, RHEL maintenance end).
//!   Past the date → `fail`; a release missing from the table → `error` (it cannot be
//!   judged). `allow_extended: true` counts paid extended support (Ubuntu Pro ESM, RHEL ELS).
//!   Today's date comes from the system clock (UTC).
//!
//! All databases are parsed once per scan (see [`crate::pkgdb`]). Paths are resolved inside
//! the scan root, so `/var/run` → `/run` links of an image stay inside the image.

use crate::host::Host;
use crate::outcome::{HostCheck, Outcome};
use crate::pkgdb::{self, DbKind, Package, PackageDb};
use crate::report::Evidence;
use crate::updateinfo;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::rc::Rc;
use time::Date;

/// The end-of-support table, embedded.
pub const OS_EOL_TABLE: &str = include_str!("../../../policies/data/os_eol.yaml");
const OS_EOL_PATH: &str = "policies/data/os_eol.yaml";

/// Parameters of a `patch` rule: one aspect of patch currency.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "aspect", rename_all = "snake_case", deny_unknown_fields)]
pub enum Params {
    /// No installed package has a newer version in a security suite's apt list.
    SecurityUpdates {
        /// How many pending packages the message and evidence list (the count is always
        /// complete). Default 20.
        #[serde(default = "default_list_limit")]
        list_limit: usize,
        /// When set, security lists whose `Date:` is older than this many days are an error
        /// (the answer would be stale); on RPM hosts, any repository whose updateinfo
        /// (repomd `<timestamp>`) is older. Default: not checked, the date is only reported.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_index_age_days: Option<u32>,
        /// RPM hosts: advisories rated below this (`low`, `moderate`, `important`,
        /// `critical`) are not counted; an advisory without a known severity always counts.
        /// Default: every security advisory counts (as every -security update does on Debian).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_advisory_severity: Option<crate::updateinfo::Severity>,
    },
    /// No reboot is pending (flag file, or a newer kernel installed than running).
    RebootRequired {},
    /// The OS release still receives vendor security updates.
    OsSupported {
        /// Count paid extended support (Ubuntu Pro ESM, RHEL ELS) as supported. Default false.
        #[serde(default)]
        allow_extended: bool,
    },
}

fn default_list_limit() -> usize {
    20
}

impl HostCheck for Params {
    fn evaluate(&self, host: &Host) -> Outcome {
        evaluate(self, host)
    }
}

/// Evaluate a `patch` rule against today's date (UTC).
pub fn evaluate(params: &Params, host: &Host) -> Outcome {
    evaluate_on(params, host, time::OffsetDateTime::now_utc().date())
}

/// Evaluate a `patch` rule as of `today`.
pub fn evaluate_on(params: &Params, host: &Host, today: Date) -> Outcome {
    match params {
        Params::SecurityUpdates {
            list_limit,
            max_index_age_days,
            min_advisory_severity,
        } => security_updates(
            host,
            *list_limit,
            *max_index_age_days,
            *min_advisory_severity,
            today,
        ),
        Params::RebootRequired {} => reboot_required(host),
        Params::OsSupported { allow_extended } => os_supported(host, *allow_extended, today),
    }
}

fn db_error(e: &pkgdb::DbError) -> Outcome {
    Outcome::error(format!("cannot read the package database: {e}"))
        .with(Evidence::at(e.path.clone(), e.line).observed(e.reason.clone()))
}

fn parse_date(s: &str) -> Option<Date> {
    Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

// ---------------------------------------------------------------------------------------
// security_updates
// ---------------------------------------------------------------------------------------

fn security_updates(
    host: &Host,
    limit: usize,
    max_age: Option<u32>,
    min_severity: Option<updateinfo::Severity>,
    today: Date,
) -> Outcome {
    let db = pkgdb::installed(host);
    let db = match &*db {
        Err(e) => return db_error(e),
        Ok(None) => {
            return Outcome::not_applicable(format!(
                "no package database found ({}, {})",
                pkgdb::DPKG_STATUS,
                pkgdb::RPMDB_SQLITE.join(", ")
            ))
        }
        Ok(Some(db)) if db.kind == DbKind::Rpm => {
            return rpm_security_updates(host, db, limit, max_age, min_severity, today)
        }
        Ok(Some(db)) => db,
    };
    let index = pkgdb::apt_security_index(host);
    let index = match &*index {
        Err(e) => {
            return Outcome::error(format!("cannot read the apt lists: {e}"))
                .with(Evidence::at(e.path.clone(), e.line).observed(e.reason.clone()))
        }
        Ok(i) => i,
    };
    if index.lists.is_empty() {
        if !index.compressed.is_empty() {
            return Outcome::error(format!(
                "the security apt lists are stored compressed ({}) in a format hardline does not read \
                 (gzip and lz4 are read); set `Acquire::GzipIndexes \"false\";` or \
                 `Acquire::CompressionTypes::Order` in /etc/apt/apt.conf.d and run apt-get update",
                index.compressed.join(", ")
            ))
            .with(
                Evidence::at(index.compressed[0].clone(), None)
                    .observed("compressed list")
                    .expected("an uncompressed *-security*_Packages list"),
            );
        }
        return Outcome::error(format!(
            "no -security apt lists found in {}; run apt-get update (and check that the \
             distribution's -security suite is in the apt sources)",
            pkgdb::APT_LISTS
        ))
        .with(
            Evidence::at(pkgdb::APT_LISTS, None)
                .observed("no *-security*_Packages list")
                .expected("the security suite's package lists"),
        );
    }

    let newest_date = index.dates.iter().flatten().max().cloned();
    let dated = match &newest_date {
        Some(d) => format!("security lists dated {d}"),
        None => "security lists of unknown date".to_string(),
    };
    if let Some(max) = max_age {
        let Some(date) = newest_date.as_deref().and_then(parse_date) else {
            return Outcome::error(
                "cannot tell how old the security apt lists are (no Date: in their InRelease/Release files); run apt-get update",
            )
            .with(Evidence::at(index.lists[0].clone(), None).observed("no Date"));
        };
        let age = (today - date).whole_days();
        if age > i64::from(max) {
            return Outcome::error(format!(
                "the security apt lists are {age} days old (Date {date}, limit {max} days): pending \
                 updates cannot be judged from them; run apt-get update"
            ))
            .with(
                Evidence::at(index.lists[0].clone(), None)
                    .observed(format!("dated {date}"))
                    .expected(format!("at most {max} days old")),
            );
        }
    }

    let mut pending: Vec<(&Package, &pkgdb::Candidate)> = Vec::new();
    for p in db.packages.iter().filter(|p| p.is_installed()) {
        let Some(cands) = index.packages.get(&p.name) else {
            continue;
        };
        let mut best: Option<&pkgdb::Candidate> = None;
        for c in cands
            .iter()
            .filter(|c| c.arch == p.arch || c.arch == "all" || p.arch == "all")
        {
            let newer = match &best {
                None => true,
                Some(b) => match pkgdb::compare_deb(&c.version, &b.version) {
                    Ok(o) => o == Ordering::Greater,
                    Err(e) => return candidate_error(index, c, &e),
                },
            };
            if newer {
                best = Some(c);
            }
        }
        let Some(best) = best else { continue };
        match pkgdb::compare_deb(&best.version, &p.version) {
            Ok(Ordering::Greater) => pending.push((p, best)),
            Ok(_) => {}
            Err(e) => {
                return Outcome::error(format!(
                    "cannot compare {} with the security list's {}: {e}",
                    p.describe(),
                    best.version
                ))
                .with(Evidence::at(db.path.clone(), p.line).observed(p.version.clone()))
            }
        }
    }

    if pending.is_empty() {
        return Outcome::pass(format!(
            "no installed package has a newer version in the {} ({} list{})",
            dated,
            index.lists.len(),
            if index.lists.len() == 1 { "" } else { "s" }
        ))
        .with(
            Evidence::at(index.lists[0].clone(), None)
                .observed("0 packages with a pending security update")
                .expected("0"),
        );
    }
    let shown: Vec<String> = pending
        .iter()
        .take(limit)
        .map(|(p, c)| format!("{} {} → {}", p.name, p.version, c.version))
        .collect();
    let more = pending.len().saturating_sub(limit);
    let more = if more > 0 {
        format!(", and {more} more")
    } else {
        String::new()
    };
    // The one command that installs every pending update (all of them, not only the listed
    // ones); names are deduplicated (one package installed for two architectures).
    let mut names: Vec<&str> = pending.iter().map(|(p, _)| p.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    Outcome::fail(format!(
        "{} installed package{} {} a pending security update: {}{more} ({dated}); expected none; \
         fix: apt-get install --only-upgrade {}",
        pending.len(),
        if pending.len() == 1 { "" } else { "s" },
        if pending.len() == 1 { "has" } else { "have" },
        shown.join(", "),
        names.join(" ")
    ))
    .with_all(pending.iter().take(limit).map(|(p, c)| {
        Evidence::at(index.lists[c.list].clone(), Some(c.line))
            .observed(format!(
                "{} {} installed ({})",
                p.name,
                p.version,
                db.location(p)
            ))
            .expected(format!(">= {}", c.version))
    }))
}

/// `YYYY-MM-DD` of a Unix timestamp.
fn unix_date(ts: i64) -> Option<Date> {
    time::OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .map(|t| t.date())
}

fn rpm_security_updates(
    host: &Host,
    db: &PackageDb,
    limit: usize,
    max_age: Option<u32>,
    min_severity: Option<updateinfo::Severity>,
    today: Date,
) -> Outcome {
    let info = updateinfo::security_advisories(host);
    let info = match &*info {
        Err(e) => {
            return Outcome::error(format!("cannot read the dnf/yum repository metadata: {e}"))
                .with(Evidence::at(e.path.clone(), e.line).observed(e.reason.clone()))
        }
        Ok(i) => i,
    };
    if info.repos.is_empty() {
        let (msg, observed) = if info.without_updateinfo.is_empty() {
            (
                format!(
                    "no dnf/yum repository metadata cached (run `dnf makecache`): no repomd.xml under {}, {} or {}; \
                     pending security advisories cannot be judged",
                    updateinfo::DNF_CACHE,
                    updateinfo::DNF5_CACHE,
                    updateinfo::YUM_CACHE
                ),
                "no cached repository metadata".to_string(),
            )
        } else {
            (
                format!(
                    "none of the {} cached repositories publishes updateinfo (security advisories): {}; \
                     pending security advisories cannot be judged (enable the vendor's repositories and run `dnf makecache`)",
                    info.without_updateinfo.len(),
                    info.without_updateinfo.join(", ")
                ),
                "repomd.xml without updateinfo".to_string(),
            )
        };
        let at = info
            .without_updateinfo
            .first()
            .cloned()
            .unwrap_or_else(|| updateinfo::DNF_CACHE.to_string());
        return Outcome::error(msg).with(
            Evidence::at(at, None)
                .observed(observed)
                .expected("cached updateinfo of the vendor's repositories"),
        );
    }

    let dates: Vec<Option<Date>> = info
        .repos
        .iter()
        .map(|r| r.timestamp.and_then(unix_date))
        .collect();
    if let Some(max) = max_age {
        for (r, d) in info.repos.iter().zip(&dates) {
            let Some(date) = d else {
                return Outcome::error(format!(
                    "cannot tell how old the updateinfo of repository {} is (no <timestamp> in {}); run `dnf makecache`",
                    r.id, r.repomd
                ))
                .with(Evidence::at(r.repomd.clone(), None).observed("no timestamp"));
            };
            let age = (today - *date).whole_days();
            if age > i64::from(max) {
                return Outcome::error(format!(
                    "the updateinfo of repository {} is {age} days old (generated {date}, limit {max} days): \
                     pending security advisories cannot be judged from it; run `dnf makecache`",
                    r.id
                ))
                .with(
                    Evidence::at(r.updateinfo.clone(), None)
                        .observed(format!("generated {date}"))
                        .expected(format!("at most {max} days old")),
                );
            }
        }
    }
    let known: Vec<Date> = dates.iter().flatten().copied().collect();
    let dated = match (known.iter().min(), known.iter().max()) {
        (Some(a), Some(b)) if a == b => format!("updateinfo of {} generated {a}", repos_n(info)),
        (Some(a), Some(b)) => format!("updateinfo of {} generated {a} to {b}", repos_n(info)),
        _ => format!("updateinfo of {} of unknown date", repos_n(info)),
    };

    // (installed package, fixed version, advisory index)
    let mut pending: Vec<(&Package, &updateinfo::Fixed)> = Vec::new();
    let arch_ok = |a: &str, b: &str| a == b || a == "noarch" || b == "noarch";
    let mut names: Vec<&str> = db
        .packages
        .iter()
        .filter(|p| p.is_installed())
        .map(|p| p.name.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        let Some(fixes) = info.fixed.get(name) else {
            continue;
        };
        let installed: Vec<&Package> = db.named(name).filter(|p| p.is_installed()).collect();
        for f in fixes {
            let adv = &info.advisories[f.advisory];
            if let (Some(min), Some(sev)) = (min_severity, adv.severity) {
                if sev < min {
                    continue;
                }
            }
            let same: Vec<&&Package> = installed
                .iter()
                .filter(|p| arch_ok(&p.arch, &f.arch))
                .collect();
            if same.is_empty()
                || same
                    .iter()
                    .any(|p| pkgdb::compare_rpm(&p.version, &f.evr) != Ordering::Less)
            {
                continue;
            }
            // The newest installed one, for the message.
            let Some(p) = same
                .iter()
                .max_by(|a, b| pkgdb::compare_rpm(&a.version, &b.version))
            else {
                continue;
            };
            pending.push((p, f));
        }
    }
    // One line per (package, arch): the advisory with the highest fixed EVR, listing all ids.
    let mut grouped: Vec<(&Package, &updateinfo::Fixed, Vec<&str>)> = Vec::new();
    for (p, f) in &pending {
        let id = info.advisories[f.advisory].id.as_str();
        match grouped
            .iter_mut()
            .find(|(q, _, _)| q.name == p.name && q.arch == p.arch)
        {
            Some(g) => {
                if pkgdb::compare_rpm(&f.evr, &g.1.evr) == Ordering::Greater {
                    g.1 = f;
                }
                if !g.2.contains(&id) {
                    g.2.push(id);
                }
            }
            None => grouped.push((p, f, vec![id])),
        }
    }
    let n_adv = info.advisories.len();
    if grouped.is_empty() {
        let filter = min_severity
            .map(|s| format!(" rated {s:?} or higher").to_lowercase())
            .unwrap_or_default();
        return Outcome::pass(format!(
            "no installed package is older than the fix of a security advisory{filter} ({n_adv} security advisor{} in the {dated})",
            if n_adv == 1 { "y" } else { "ies" }
        ))
        .with(
            Evidence::at(info.repos[0].updateinfo.clone(), None)
                .observed("0 packages with a pending security advisory")
                .expected("0"),
        );
    }
    let shown: Vec<String> = grouped
        .iter()
        .take(limit)
        .map(|(p, f, ids)| {
            let sev = &info.advisories[f.advisory].severity_text;
            let sev = if sev.is_empty() {
                String::new()
            } else {
                format!(", {sev}")
            };
            format!(
                "{} {} → {} ({}{sev})",
                p.name,
                p.version,
                f.evr,
                ids.join(", ")
            )
        })
        .collect();
    let more = grouped.len().saturating_sub(limit);
    let more = if more > 0 {
        format!(", and {more} more")
    } else {
        String::new()
    };
    let mut ids: Vec<&str> = pending
        .iter()
        .map(|(_, f)| info.advisories[f.advisory].id.as_str())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let fix: Vec<String> = ids.iter().map(|i| format!("--advisory {i}")).collect();
    Outcome::fail(format!(
        "{} installed package{} {} a pending security advisory: {}{more} ({dated}); expected none; \
         fix: dnf upgrade {}",
        grouped.len(),
        if grouped.len() == 1 { "" } else { "s" },
        if grouped.len() == 1 { "has" } else { "have" },
        shown.join(", "),
        fix.join(" ")
    ))
    .with_all(grouped.iter().take(limit).map(|(p, f, ids)| {
        let adv = &info.advisories[f.advisory];
        Evidence::at(info.repos[adv.repo].updateinfo.clone(), Some(adv.line))
            .observed(format!(
                "{} {} ({}) installed ({})",
                p.name,
                p.version,
                p.arch,
                db.location(p)
            ))
            .expected(format!(">= {} ({})", f.evr, ids.join(", ")))
    }))
}

fn repos_n(info: &updateinfo::UpdateInfo) -> String {
    let n = info.repos.len();
    let ids: Vec<&str> = info.repos.iter().map(|r| r.id.as_str()).collect();
    format!(
        "{n} repositor{} ({})",
        if n == 1 { "y" } else { "ies" },
        ids.join(", ")
    )
}

fn candidate_error(index: &pkgdb::AptIndex, c: &pkgdb::Candidate, e: &str) -> Outcome {
    let path = index.lists[c.list].clone();
    Outcome::error(format!("{path}:{}: {e}", c.line))
        .with(Evidence::at(path, Some(c.line)).observed(c.version.clone()))
}

// ---------------------------------------------------------------------------------------
// reboot_required
// ---------------------------------------------------------------------------------------

/// What the kernel comparison found.
enum Kernel {
    /// Running the newest installed kernel.
    Current(String),
    /// A newer kernel package is installed: (package description, its location).
    Newer(String, String, Option<u32>),
    /// Could not compare (why).
    NotCompared(String),
}

const FLAG_PATHS: [&str; 2] = ["/var/run/reboot-required", "/run/reboot-required"];
const OSRELEASE: &str = "/proc/sys/kernel/osrelease";

fn reboot_required(host: &Host) -> Outcome {
    let mut problems: Vec<String> = Vec::new();
    let mut evidence: Vec<Evidence> = Vec::new();

    if let Some(flag) = FLAG_PATHS.iter().find(|p| host.exists(p)) {
        let pkgs: Vec<String> = host
            .read_optional(&format!("{flag}.pkgs"))
            .ok()
            .flatten()
            .map(|t| {
                t.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let by = if pkgs.is_empty() {
            String::new()
        } else {
            format!(" (requested by {})", pkgs.join(", "))
        };
        problems.push(format!("{flag} is present{by}"));
        evidence.push(
            Evidence::at(*flag, None)
                .observed(if pkgs.is_empty() {
                    "present".to_string()
                } else {
                    format!("present; packages: {}", pkgs.join(", "))
                })
                .expected("absent"),
        );
    }

    let kernel = if !host.has_proc() {
        Kernel::NotCompared(
            "no /proc under the root (offline image): judged by the reboot-required flag alone"
                .to_string(),
        )
    } else {
        match host.read_to_string(OSRELEASE) {
            Err(e) if problems.is_empty() => {
                return Outcome::error(format!("cannot read the running kernel release: {e}"))
                    .with(Evidence::at(OSRELEASE, None).observed(e.source.to_string()))
            }
            // The flag alone already decides; say why the kernel was not compared.
            Err(e) => Kernel::NotCompared(format!("running kernel unknown: {e}")),
            Ok(t) => match compare_kernel(host, t.trim()) {
                Ok(k) => k,
                Err(e) if problems.is_empty() => return e,
                Err(e) => Kernel::NotCompared(e.message),
            },
        }
    };

    let note = match kernel {
        Kernel::Current(s) => s,
        Kernel::NotCompared(s) => s,
        Kernel::Newer(msg, path, line) => {
            problems.push(msg.clone());
            let running = host
                .read_to_string(OSRELEASE)
                .map(|t| t.trim().to_string())
                .unwrap_or_default();
            evidence.push(
                Evidence::at(OSRELEASE, None)
                    .observed(format!("running {running}"))
                    .expected("the newest installed kernel"),
            );
            evidence.push(Evidence::at(path, line).observed(msg).expected("booted"));
            String::new()
        }
    };
    if problems.is_empty() {
        return Outcome::pass(format!(
            "no reboot pending: no reboot-required flag; {note}"
        ))
        .with(
            Evidence::at(FLAG_PATHS[0], None)
                .observed("absent")
                .expected("absent"),
        );
    }
    let note = if note.is_empty() {
        String::new()
    } else {
        format!(" ({note})")
    };
    Outcome::fail(format!(
        "reboot required: {}{note}; expected no pending reboot",
        problems.join("; ")
    ))
    .with_all(evidence)
}

/// Compare the running kernel release with the installed kernel packages.
fn compare_kernel(host: &Host, running: &str) -> Result<Kernel, Outcome> {
    match &*pkgdb::installed(host) {
        Err(e) => Err(db_error(e)),
        Ok(None) => Ok(Kernel::NotCompared(format!(
            "no package database: the running kernel {running} was not compared with installed kernels"
        ))),
        Ok(Some(db)) => match db.kind {
            DbKind::Dpkg => {
                let build = host
                    .read_optional("/proc/sys/kernel/version")
                    .ok()
                    .flatten();
                deb_kernel(db, running, build.as_deref())
            }
            DbKind::Rpm => rpm_kernel(db, running),
        },
    }
}

/// Split a Debian/Ubuntu kernel release (`6.1.0-26-cloud-amd64`) into ABI and flavour.
fn split_deb_release(rel: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = rel.split('-').collect();
    let first = parts.first()?;
    if !first.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let (abi, rest) = match parts.get(1) {
        Some(n) if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => {
            (format!("{first}-{n}"), &parts[2..])
        }
        _ => (first.to_string(), &parts[1..]),
    };
    if rest.is_empty() || rest.iter().any(|p| p.is_empty()) {
        return None;
    }
    Some((abi, rest.join("-")))
}

fn deb_kernel(db: &PackageDb, running: &str, build: Option<&str>) -> Result<Kernel, Outcome> {
    let Some((run_abi, flavour)) = split_deb_release(running) else {
        return Ok(Kernel::NotCompared(format!(
            "the running kernel {running} is not a distribution kernel release; not compared"
        )));
    };
    let mut cands: Vec<(String, &Package)> = Vec::new();
    for p in db.packages.iter().filter(|p| p.is_installed()) {
        let Some(rel) = p.name.strip_prefix("linux-image-") else {
            continue;
        };
        let rel = rel.strip_prefix("unsigned-").unwrap_or(rel);
        let rel = rel.strip_suffix("-unsigned").unwrap_or(rel);
        if let Some((abi, fl)) = split_deb_release(rel) {
            if fl == flavour {
                cands.push((abi, p));
            }
        }
    }
    if cands.is_empty() {
        return Ok(Kernel::NotCompared(format!(
            "no installed linux-image package of flavour {flavour} (container or custom kernel): \
             the running kernel {running} was not compared"
        )));
    }
    let cmp = |a: &str, b: &str| -> Result<Ordering, Outcome> {
        pkgdb::compare_deb(a, b).map_err(|e| Outcome::error(format!("{}: {e}", db.path)))
    };
    let mut newest = &cands[0];
    for c in &cands[1..] {
        if cmp(&c.1.version, &newest.1.version)? == Ordering::Greater {
            newest = c;
        }
    }
    let (new_abi, new_pkg) = newest;
    let running_pkg = cands.iter().find(|(abi, _)| *abi == run_abi);
    let newer = if *new_abi == run_abi {
        // Same ABI: an in-place update is visible only through the build version that
        // Debian kernels report in /proc/sys/kernel/version ("... Debian 6.1.112-1 (...)").
        match build.and_then(debian_build_version) {
            Some(built) => cmp(&new_pkg.version, &built)? == Ordering::Greater,
            None => false,
        }
    } else {
        match running_pkg {
            Some((_, rp)) => cmp(&new_pkg.version, &rp.version)? == Ordering::Greater,
            None => cmp(new_abi, &run_abi)? == Ordering::Greater,
        }
    };
    if newer {
        Ok(Kernel::Newer(
            format!(
                "running kernel {running} is older than the installed {} {} ({})",
                new_pkg.name,
                new_pkg.version,
                db.location(new_pkg)
            ),
            db.path.clone(),
            new_pkg.line,
        ))
    } else {
        Ok(Kernel::Current(format!(
            "the running kernel {running} is the newest installed ({} {})",
            new_pkg.name, new_pkg.version
        )))
    }
}

/// `#1 SMP PREEMPT_DYNAMIC Debian 6.1.112-1 (2024-09-30)` → `6.1.112-1`.
pub(crate) fn debian_build_version(version: &str) -> Option<String> {
    let mut words = version.split_whitespace();
    words.find(|w| *w == "Debian")?;
    let v = words.next()?;
    v.starts_with(|c: char| c.is_ascii_digit())
        .then(|| v.to_string())
}

fn rpm_kernel(db: &PackageDb, running: &str) -> Result<Kernel, Outcome> {
    // `5.14.0-427.13.1.el9_4.x86_64`, `…x86_64+rt`, `…aarch64+64k`.
    let (base, variant) = match running.split_once('+') {
        Some((b, v)) => (b, Some(v)),
        None => (running, None),
    };
    let names: Vec<String> = match variant {
        Some(v) => vec![format!("kernel-{v}-core"), format!("kernel-{v}")],
        None => vec!["kernel-core".to_string(), "kernel".to_string()],
    };
    let Some(cands) = names
        .iter()
        .map(|n| {
            db.packages
                .iter()
                .filter(|p| p.is_installed() && p.name == *n)
                .collect::<Vec<_>>()
        })
        .find(|c| !c.is_empty())
    else {
        return Ok(Kernel::NotCompared(format!(
            "no installed {} package (container or custom kernel): the running kernel {running} was not compared",
            names.join("/")
        )));
    };
    let mut newest = cands[0];
    for c in &cands[1..] {
        if pkgdb::compare_rpm(&c.version, &newest.version) == Ordering::Greater {
            newest = c;
        }
    }
    let run_vr = base
        .strip_suffix(&format!(".{}", newest.arch))
        .unwrap_or(base);
    // Kernels carry no epoch; compare version-release.
    let newest_vr = newest
        .version
        .split_once(':')
        .map(|(_, vr)| vr)
        .unwrap_or(&newest.version);
    if pkgdb::compare_rpm(newest_vr, run_vr) == Ordering::Greater {
        Ok(Kernel::Newer(
            format!(
                "running kernel {running} is older than the installed {} {} ({})",
                newest.name,
                newest.version,
                db.location(newest)
            ),
            db.path.clone(),
            newest.line,
        ))
    } else {
        Ok(Kernel::Current(format!(
            "the running kernel {running} is the newest installed ({} {})",
            newest.name, newest.version
        )))
    }
}

// ---------------------------------------------------------------------------------------
// os_supported
// ---------------------------------------------------------------------------------------

/// One row of `policies/data/os_eol.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EolEntry {
    /// os-release `ID`.
    pub id: String,
    /// os-release `VERSION_ID` (or its leading component).
    pub version_id: String,
    /// Human name.
    pub name: String,
    /// Last day of security updates through the normal channel (`YYYY-MM-DD`).
    pub end_of_support: String,
    /// What `end_of_support` is (Debian LTS, standard security maintenance, …).
    pub basis: String,
    /// Debian: end of regular security-team support (information only).
    #[serde(default)]
    pub regular_end: Option<String>,
    /// Paid extended support end, counted only with `allow_extended`.
    #[serde(default)]
    pub extended_end: Option<String>,
    /// What `extended_end` is.
    #[serde(default)]
    pub extended_basis: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EolTable {
    releases: Vec<EolEntry>,
}

/// The embedded end-of-support table, parsed and validated.
pub fn eol_table() -> Result<Vec<EolEntry>, String> {
    let t: EolTable =
        serde_saphyr::from_str(OS_EOL_TABLE).map_err(|e| format!("{OS_EOL_PATH}: {e}"))?;
    for e in &t.releases {
        for d in [
            Some(&e.end_of_support),
            e.regular_end.as_ref(),
            e.extended_end.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            if parse_date(d).is_none() {
                return Err(format!(
                    "{OS_EOL_PATH}: {} {}: bad date {d:?}",
                    e.id, e.version_id
                ));
            }
        }
    }
    Ok(t.releases)
}

fn os_supported(host: &Host, allow_extended: bool, today: Date) -> Outcome {
    let path = if host.exists("/etc/os-release") {
        "/etc/os-release"
    } else {
        "/usr/lib/os-release"
    };
    let Some(os) = host.os_release() else {
        return Outcome::error(
            "cannot tell the operating system: no /etc/os-release or /usr/lib/os-release",
        )
        .with(Evidence::at("/etc/os-release", None).observed("missing"));
    };
    let table: Rc<Result<Vec<EolEntry>, String>> = host.cached("patch:os_eol", eol_table);
    let table = match &*table {
        Ok(t) => t,
        Err(e) => {
            return Outcome::error(format!("the built-in end-of-support table is invalid: {e}"))
        }
    };
    let shown = format!("{} {}", os.id, os.version_id);
    if os.version_id.is_empty() {
        return Outcome::error(format!(
            "{path} gives ID={} but no VERSION_ID (a testing or rolling release?): its support cannot be judged",
            os.id
        ))
        .with(Evidence::at(path, None).observed(shown.trim().to_string()));
    }
    let entry = table.iter().find(|e| {
        e.id == os.id
            && (os.version_id == e.version_id
                || os.version_id.starts_with(&format!("{}.", e.version_id)))
    });
    let Some(e) = entry else {
        return Outcome::error(format!(
            "{} ({shown}) is not in the end-of-support table ({OS_EOL_PATH}): its support status cannot be judged",
            if os.pretty_name.is_empty() { &shown } else { &os.pretty_name }
        ))
        .with(
            Evidence::at(path, None)
                .observed(shown)
                .expected("a release listed in the end-of-support table"),
        );
    };
    let (end, basis) = match (&e.extended_end, allow_extended) {
        (Some(x), true) => (
            x.as_str(),
            e.extended_basis
                .clone()
                .unwrap_or_else(|| "extended support".into()),
        ),
        _ => (e.end_of_support.as_str(), e.basis.clone()),
    };
    let Some(end_date) = parse_date(end) else {
        return Outcome::error(format!("{OS_EOL_PATH}: bad date {end:?}"));
    };
    let regular = match &e.regular_end {
        Some(r) if parse_date(r).is_some_and(|d| d < today) => {
            format!("; regular security support ended {r}")
        }
        Some(r) => format!("; regular security support until {r}"),
        None => String::new(),
    };
    let extended = match (&e.extended_end, allow_extended) {
        (Some(x), false) => format!(
            "; {} until {x} is not counted",
            e.extended_basis.as_deref().unwrap_or("extended support")
        ),
        _ => String::new(),
    };
    let ev = Evidence::at(path, None)
        .observed(shown.clone())
        .expected(format!("a release supported on {today}"));
    if today > end_date {
        Outcome::fail(format!(
            "{} reached end of support on {end} ({basis}{extended}); today is {today}: upgrade to a supported release",
            e.name
        ))
        .with(ev.context(format!("end of support {end}")))
    } else {
        Outcome::pass(format!(
            "{} is supported until {end} ({basis}{regular})",
            e.name
        ))
        .with(ev.context(format!("end of support {end}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;
    use crate::testutil::{fixture, host_fixture};
    use time::macros::date;

    fn params(yaml: &str) -> Params {
        serde_saphyr::from_str(yaml).unwrap()
    }

    fn run_on(yaml: &str, root: std::path::PathBuf, today: Date) -> Outcome {
        evaluate_on(&params(yaml), &Host::new(root), today)
    }

    fn run(yaml: &str, case: &str) -> Outcome {
        run_on(yaml, fixture(case), date!(2026 - 11 - 22))
    }

    // ---- security_updates ----

    #[test]
    fn security_updates_pending_are_listed_with_versions_and_count() {
        let o = run("{aspect: security_updates}", "patch/pending");
        assert_eq!(o.status, Status::Fail, "{o:?}");
        assert_eq!(
            o.message,
            "3 installed packages have a pending security update: libssl3 3.0.14-1~deb12u2 → 3.0.15-1~deb12u1, \
             openssl 3.0.14-1~deb12u2 → 3.0.15-1~deb12u1, tzdata 2024a-0+deb12u1 → 2024b-0+deb12u1 \
             (security lists dated 2026-11-20); expected none; \
             fix: apt-get install --only-upgrade libssl3 openssl tzdata"
        );
        let e = &o.evidence[1];
        assert!(e
            .path
            .as_deref()
            .unwrap()
            .ends_with("bookworm-security_main_binary-amd64_Packages"));
        assert!(e.line.is_some());
        assert_eq!(
            e.observed.as_deref(),
            Some("openssl 3.0.14-1~deb12u2 installed (/var/lib/dpkg/status:8)")
        );
        assert_eq!(e.expected.as_deref(), Some(">= 3.0.15-1~deb12u1"));
        // The bound limits the list, not the count.
        let o = run("{aspect: security_updates, list_limit: 1}", "patch/pending");
        assert!(
            o.message.starts_with("3 installed packages"),
            "{}",
            o.message
        );
        assert!(o.message.contains(", and 2 more"), "{}", o.message);
        // The fix command names every pending package, not only the listed one.
        assert!(
            o.message
                .ends_with("fix: apt-get install --only-upgrade libssl3 openssl tzdata"),
            "{}",
            o.message
        );
        assert_eq!(o.evidence.len(), 1);
    }

    #[test]
    fn security_updates_other_arch_older_and_uninstalled_do_not_count() {
        // pending-free host: the i386 libssl3 in the list, an older bash, a removed package.
        let o = run("{aspect: security_updates}", "patch/current");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert_eq!(
            o.message,
            "no installed package has a newer version in the security lists dated 2026-11-20 (1 list)"
        );
    }

    #[test]
    fn security_updates_without_lists_is_an_error_never_a_pass() {
        let o = run("{aspect: security_updates}", "patch/no_lists");
        assert_eq!(o.status, Status::Error, "{o:?}");
        assert!(o
            .message
            .starts_with("no -security apt lists found in /var/lib/apt/lists; run apt-get update"));
        // xz lists are not read: an error that says so, never a pass.
        let o = run("{aspect: security_updates}", "pkgdb/apt_lists_xz");
        assert_eq!(o.status, Status::Error, "{o:?}");
        assert!(o.message.contains("compressed"), "{}", o.message);
    }

    #[test]
    fn security_updates_read_gzip_and_lz4_lists() {
        // Docker's Debian images keep lists lz4-compressed; `Acquire::GzipIndexes` gzip.
        for case in ["pkgdb/apt_lists_lz4", "pkgdb/apt_lists_gz"] {
            let o = run("{aspect: security_updates}", case);
            assert_eq!(o.status, Status::Fail, "{case}: {o:?}");
            assert!(
                o.message
                    .starts_with("3 installed packages have a pending security update"),
                "{case}: {}",
                o.message
            );
            assert!(
                o.message.contains("dated 2026-11-20"),
                "{case}: the InRelease date is found: {}",
                o.message
            );
        }
    }

    #[test]
    fn security_updates_index_age() {
        let p = "{aspect: security_updates, max_index_age_days: 7}";
        let o = run_on(p, fixture("patch/current"), date!(2026 - 11 - 27));
        assert_eq!(o.status, Status::Pass, "{o:?}");
        let o = run_on(p, fixture("patch/current"), date!(2026 - 12 - 20));
        assert_eq!(o.status, Status::Error, "{o:?}");
        assert!(
            o.message.starts_with(
                "the security apt lists are 30 days old (Date 2026-11-20, limit 7 days)"
            ),
            "{}",
            o.message
        );
    }

    #[test]
    fn security_updates_on_rpm_and_without_database() {
        let o = run_on(
            "{aspect: security_updates}",
            host_fixture("rhel"),
            date!(2026 - 11 - 22),
        );
        assert_eq!(o.status, Status::Fail, "{o:?}");
        let o = run("{aspect: security_updates}", "package/no_os");
        assert_eq!(o.status, Status::NotApplicable, "{o:?}");
        let o = run("{aspect: security_updates}", "pkgdb/dpkg_malformed");
        assert_eq!(o.status, Status::Error, "{o:?}");
    }

    /// A fixture's dnf/yum cache on top of the RHEL 9 host's rpmdb (kept once, in tests/hosts).
    fn rpm_case(case: &str) -> tempfile::TempDir {
        fn copy(src: &std::path::Path, dst: &std::path::Path) {
            std::fs::create_dir_all(dst).unwrap();
            for e in std::fs::read_dir(src).unwrap() {
                let e = e.unwrap();
                if e.file_type().unwrap().is_dir() {
                    copy(&e.path(), &dst.join(e.file_name()));
                } else {
                    std::fs::copy(e.path(), dst.join(e.file_name())).unwrap();
                }
            }
        }
        let d = tempfile::tempdir().unwrap();
        copy(&fixture(&format!("patch/{case}")), d.path());
        copy(
            &host_fixture("rhel/var/lib/rpm"),
            &d.path().join("var/lib/rpm"),
        );
        d
    }

    fn run_rpm(yaml: &str, case: &str) -> Outcome {
        let d = rpm_case(case);
        run_on(yaml, d.path().into(), date!(2026 - 11 - 22))
    }

    const RHEL_FIX: &str =
        "fix: dnf upgrade --advisory FEDORA-EPEL-2025-1a2b3c4d5e --advisory RHSA-2025:0210 \
         --advisory RHSA-2025:0400 --advisory RHSA-2025:0500 --advisory RHSA-2025:1101";

    #[test]
    fn rpm_security_advisories_pending_from_gz_xz_and_zst_updateinfo() {
        let o = run_on(
            "{aspect: security_updates}",
            host_fixture("rhel"),
            date!(2026 - 11 - 22),
        );
        assert_eq!(o.status, Status::Fail, "{o:?}");
        assert_eq!(
            o.message,
            format!(
                "5 installed packages have a pending security advisory: \
                 aide 0.16-100.el9 → 0.16-101.el9 (FEDORA-EPEL-2025-1a2b3c4d5e, Medium), \
                 rsyslog 8.2310.0-4.el9 → 8.2310.0-4.el9_5.1 (RHSA-2025:0210, Moderate), \
                 sudo 1.9.5p2-10.el9_3 → 1.9.5p2-10.el9_5 (RHSA-2025:1101, Important), \
                 telnet-server 1:0.17-85.el9 → 1:0.17-85.el9_5 (RHSA-2025:0400, Low), \
                 tzdata 2024a-1.el9 → 2025a-1.el9 (RHSA-2025:0500, Low) \
                 (updateinfo of 3 repositories (epel, rhel-9-for-x86_64-appstream-rpms, \
                 rhel-9-for-x86_64-baseos-rpms) generated 2026-11-20); expected none; {RHEL_FIX}"
            )
        );
        // Not counted: openssh-server and kernel-core at the fixed build (an older kernel
        // beside the newest does not count), a bugfix advisory, another architecture, an
        // older version under a lower epoch, a package that is not installed.
        for absent in [
            "openssh",
            "kernel",
            "bash",
            "audit",
            "RHSA-2023:0001",
            "nginx",
        ] {
            assert!(!o.message.contains(absent), "{absent}: {}", o.message);
        }
        let e = &o.evidence[2];
        assert!(
            e.path.as_deref().unwrap().starts_with(
                "/var/cache/dnf/rhel-9-for-x86_64-baseos-rpms-3f1c2a9b8d7e6f50/repodata/"
            ) && e.path.as_deref().unwrap().ends_with("-updateinfo.xml.gz"),
            "{e:?}"
        );
        assert!(e.line.is_some());
        assert!(
            e.observed.as_deref().unwrap().starts_with(
                "sudo 1.9.5p2-10.el9_3 (x86_64) installed (/var/lib/rpm/rpmdb.sqlite header "
            ),
            "{e:?}"
        );
        assert_eq!(
            e.expected.as_deref(),
            Some(">= 1.9.5p2-10.el9_5 (RHSA-2025:1101)")
        );
        // The bound limits the list, not the count nor the fix.
        let o = run_on(
            "{aspect: security_updates, list_limit: 1}",
            host_fixture("rhel"),
            date!(2026 - 11 - 22),
        );
        assert!(o.message.contains(", and 4 more"), "{}", o.message);
        assert!(o.message.ends_with(RHEL_FIX), "{}", o.message);
        assert_eq!(o.evidence.len(), 1);
        // A severity floor drops the advisories rated below it.
        let o = run_on(
            "{aspect: security_updates, min_advisory_severity: important}",
            host_fixture("rhel"),
            date!(2026 - 11 - 22),
        );
        assert_eq!(o.status, Status::Fail, "{o:?}");
        assert!(
            o.message
                .starts_with("1 installed package has a pending security advisory: sudo "),
            "{}",
            o.message
        );
        assert!(
            o.message
                .ends_with("fix: dnf upgrade --advisory RHSA-2025:1101"),
            "{}",
            o.message
        );
    }

    #[test]
    fn rpm_security_advisories_all_fixed_is_a_pass() {
        let o = run_rpm("{aspect: security_updates}", "rpm_current");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert_eq!(
            o.message,
            "no installed package is older than the fix of a security advisory (6 security advisories \
             in the updateinfo of 2 repositories (appstream, baseos) generated 2026-11-20)"
        );
    }

    #[test]
    fn rpm_yum_cache_with_bzip2() {
        let o = run_rpm("{aspect: security_updates}", "rpm_yum");
        assert_eq!(o.status, Status::Fail, "{o:?}");
        assert!(
            o.message
                .starts_with("3 installed packages have a pending security advisory: rsyslog "),
            "{}",
            o.message
        );
        assert!(
            o.evidence[0]
                .path
                .as_deref()
                .unwrap()
                .starts_with("/var/cache/yum/x86_64/7/updates/"),
            "{:?}",
            o.evidence
        );
    }

    #[test]
    fn rpm_metadata_problems_are_errors_never_a_pass() {
        let cases = [
            (
                "rpm_nocache",
                "no dnf/yum repository metadata cached (run `dnf makecache`)",
            ),
            (
                "rpm_noupdateinfo",
                "none of the 1 cached repositories publishes updateinfo",
            ),
            ("rpm_corrupt", "-updateinfo.xml.xz: cannot decompress xz: "),
            (
                "rpm_checksum",
                "-updateinfo.xml.gz: sha256 checksum mismatch: the file has ",
            ),
            ("rpm_badxml", "-updateinfo.xml.zst:"),
            ("rpm_zck", "cached only as zchunk"),
        ];
        for (case, want) in cases {
            let o = run_rpm("{aspect: security_updates}", case);
            assert_eq!(o.status, Status::Error, "{case}: {o:?}");
            assert!(o.message.contains(want), "{case}: {}", o.message);
            assert!(o.evidence[0].path.is_some(), "{case}: {o:?}");
        }
        let o = run_rpm("{aspect: security_updates}", "rpm_badxml");
        assert!(o.message.contains("malformed XML"), "{}", o.message);
        assert!(o.evidence[0].line.is_some(), "{o:?}");
        // repomd.xml names an updateinfo file that the cache does not hold.
        let d = rpm_case("rpm_current");
        let repodata = d
            .path()
            .join("var/cache/dnf/baseos-3f1c2a9b8d7e6f50/repodata");
        for e in std::fs::read_dir(&repodata).unwrap() {
            let e = e.unwrap();
            if e.file_name()
                .to_string_lossy()
                .ends_with("-updateinfo.xml.gz")
            {
                std::fs::remove_file(e.path()).unwrap();
            }
        }
        let o = run_on(
            "{aspect: security_updates}",
            d.path().into(),
            date!(2026 - 11 - 22),
        );
        assert_eq!(o.status, Status::Error, "{o:?}");
        assert!(
            o.message.contains("but the file is not in the cache"),
            "{}",
            o.message
        );
    }

    #[test]
    fn rpm_updateinfo_age() {
        let p = "{aspect: security_updates, max_index_age_days: 7}";
        let o = run_on(p, host_fixture("rhel"), date!(2026 - 11 - 27));
        assert_eq!(o.status, Status::Fail, "{o:?}");
        let o = run_on(p, host_fixture("rhel"), date!(2026 - 12 - 20));
        assert_eq!(o.status, Status::Error, "{o:?}");
        assert!(
            o.message.starts_with(
                "the updateinfo of repository epel is 30 days old (generated 2026-11-20, limit 7 days)"
            ),
            "{}",
            o.message
        );
    }

    #[test]
    fn rpm_unreadable_cache_dir_is_an_error() {
        let d = rpm_case("rpm_current");
        let dir = d.path().join("var/cache/dnf");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o000)).unwrap();
        let readable = std::fs::read_dir(&dir).is_ok(); // root reads it anyway
        let o = run_on(
            "{aspect: security_updates}",
            d.path().into(),
            date!(2026 - 11 - 22),
        );
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        if readable {
            eprintln!("skipping: running as root, the directory stays readable");
            return;
        }
        assert_eq!(o.status, Status::Error, "{o:?}");
        assert!(o.message.contains("/var/cache/dnf"), "{}", o.message);
    }

    #[test]
    fn rpm_fixture_decisions_agree_with_rpm_vercmp() {
        // Every (installed, fixed) pair the fixture advisories produce, decided by
        // compare_rpm and by rpm's own rpm.vercmp.
        if !crate::testutil::tool_available("rpm") {
            return;
        }
        let host = Host::new(host_fixture("rhel"));
        let db = pkgdb::installed(&host);
        let db = (*db).as_ref().unwrap().as_ref().unwrap();
        let info = updateinfo::security_advisories(&host);
        let info = (*info).as_ref().unwrap();
        let mut pairs = Vec::new();
        for p in &db.packages {
            for f in info.fixed.get(&p.name).into_iter().flatten() {
                let full = |v: &str| {
                    if v.contains(':') {
                        v.to_string()
                    } else {
                        format!("0:{v}")
                    }
                };
                pairs.push((full(&p.version), full(&f.evr)));
            }
        }
        assert!(pairs.len() >= 9, "{pairs:?}");
        let answers = crate::testutil::rpm_vercmp(&pairs);
        for ((a, b), ans) in pairs.iter().zip(&answers) {
            assert_eq!(
                pkgdb::compare_rpm(a, b),
                ans.cmp(&0),
                "rpm.vercmp says {a} vs {b} = {ans}"
            );
        }
    }

    // ---- reboot_required ----

    #[test]
    fn reboot_flag_and_newer_kernel() {
        let o = run("{aspect: reboot_required}", "patch/pending");
        assert_eq!(o.status, Status::Fail, "{o:?}");
        assert_eq!(
            o.message,
            "reboot required: /var/run/reboot-required is present (requested by linux-image-6.1.0-26-amd64, libc6); \
             running kernel 6.1.0-25-amd64 is older than the installed linux-image-6.1.0-26-amd64 6.1.112-1 \
             (/var/lib/dpkg/status:29); expected no pending reboot"
        );
        assert_eq!(
            o.evidence[0].path.as_deref(),
            Some("/var/run/reboot-required")
        );
        assert_eq!(
            o.evidence[1].path.as_deref(),
            Some("/proc/sys/kernel/osrelease")
        );
        assert_eq!(
            o.evidence[1].observed.as_deref(),
            Some("running 6.1.0-25-amd64")
        );
        assert_eq!(o.evidence[2].line, Some(29));
    }

    #[test]
    fn reboot_not_needed_when_running_the_newest() {
        let o = run("{aspect: reboot_required}", "patch/current");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert_eq!(
            o.message,
            "no reboot pending: no reboot-required flag; the running kernel 6.1.0-26-cloud-amd64 is the newest installed \
             (linux-image-6.1.0-26-cloud-amd64 6.1.112-1)"
        );
    }

    #[test]
    fn reboot_in_place_kernel_update_seen_through_the_build_version() {
        // Same ABI (6.1.0-26), package upgraded to 6.1.115-1 while 6.1.112-1 runs.
        let o = run("{aspect: reboot_required}", "patch/inplace");
        assert_eq!(o.status, Status::Fail, "{o:?}");
        assert!(o.message.contains("running kernel 6.1.0-26-amd64 is older than the installed linux-image-6.1.0-26-amd64 6.1.115-1"), "{}", o.message);
    }

    #[test]
    fn reboot_offline_image_judges_the_flag_alone() {
        let o = run("{aspect: reboot_required}", "patch/offline");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert!(o.message.contains(
            "no /proc under the root (offline image): judged by the reboot-required flag alone"
        ));
        // The flag under /run (no /var/run link in the image) still counts.
        let o = run("{aspect: reboot_required}", "patch/offline_flag");
        assert_eq!(o.status, Status::Fail, "{o:?}");
        assert!(
            o.message
                .starts_with("reboot required: /run/reboot-required is present ("),
            "{}",
            o.message
        );
    }

    #[test]
    fn reboot_flag_decides_even_when_the_kernel_cannot_be_compared() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("run")).unwrap();
        std::fs::create_dir_all(d.path().join("proc/sys/kernel")).unwrap();
        std::fs::create_dir_all(d.path().join("var/lib/dpkg")).unwrap();
        std::fs::write(d.path().join("var/lib/dpkg/status"), "garbage line\n").unwrap();
        std::fs::write(
            d.path().join("proc/sys/kernel/osrelease"),
            "6.1.0-26-amd64\n",
        )
        .unwrap();
        let today = date!(2026 - 11 - 22);
        // Without the flag, an unreadable database is an error…
        let o = run_on("{aspect: reboot_required}", d.path().into(), today);
        assert_eq!(o.status, Status::Error, "{o:?}");
        assert!(
            o.message.contains("/var/lib/dpkg/status:1"),
            "{}",
            o.message
        );
        // …with it, the flag decides and the message says why the kernel was not compared.
        std::fs::write(d.path().join("run/reboot-required"), "").unwrap();
        let o = run_on("{aspect: reboot_required}", d.path().into(), today);
        assert_eq!(o.status, Status::Fail, "{o:?}");
        assert!(
            o.message.contains("cannot read the package database"),
            "{}",
            o.message
        );
        // A /proc without the kernel release: the flag still decides; without it, error.
        std::fs::remove_file(d.path().join("proc/sys/kernel/osrelease")).unwrap();
        let o = run_on("{aspect: reboot_required}", d.path().into(), today);
        assert_eq!(o.status, Status::Fail, "{o:?}");
        std::fs::remove_file(d.path().join("run/reboot-required")).unwrap();
        let o = run_on("{aspect: reboot_required}", d.path().into(), today);
        assert_eq!(o.status, Status::Error, "{o:?}");
        assert!(
            o.message
                .starts_with("cannot read the running kernel release"),
            "{}",
            o.message
        );
    }

    #[test]
    fn reboot_rpm_kernels() {
        let o = run_on(
            "{aspect: reboot_required}",
            host_fixture("rhel"),
            date!(2026 - 11 - 22),
        );
        assert_eq!(o.status, Status::Fail, "{o:?}");
        assert!(
            o.message.contains("running kernel 5.14.0-427.13.1.el9_4.x86_64 is older than the installed kernel-core 5.14.0-503.11.1.el9_5"),
            "{}",
            o.message
        );
    }

    #[test]
    fn kernel_release_parsing() {
        let s = |r: &str| split_deb_release(r).map(|(a, f)| format!("{a}|{f}"));
        assert_eq!(s("6.1.0-26-amd64").as_deref(), Some("6.1.0-26|amd64"));
        assert_eq!(
            s("6.1.0-26-cloud-amd64").as_deref(),
            Some("6.1.0-26|cloud-amd64")
        );
        assert_eq!(s("6.10.6+bpo-amd64").as_deref(), Some("6.10.6+bpo|amd64"));
        assert_eq!(
            s("5.15.0-105-generic").as_deref(),
            Some("5.15.0-105|generic")
        );
        assert_eq!(s("6.1.0-26"), None);
        assert_eq!(s("amd64"), None);
        assert_eq!(
            debian_build_version("#1 SMP PREEMPT_DYNAMIC Debian 6.1.112-1 (2024-09-30)").as_deref(),
            Some("6.1.112-1")
        );
        assert_eq!(debian_build_version("#112-Ubuntu SMP Tue Mar 5 2024"), None);
    }

    // ---- os_supported ----

    #[test]
    fn the_embedded_table_is_valid_and_covers_the_required_releases() {
        let t = eol_table().unwrap();
        for (id, v) in [
            ("debian", "9"),
            ("debian", "10"),
            ("debian", "11"),
            ("debian", "12"),
            ("debian", "13"),
            ("ubuntu", "18.04"),
            ("ubuntu", "20.04"),
            ("ubuntu", "22.04"),
            ("ubuntu", "24.04"),
            ("rhel", "7"),
            ("rhel", "8"),
            ("rhel", "9"),
            ("rhel", "10"),
            ("rocky", "8"),
            ("rocky", "9"),
            ("almalinux", "8"),
            ("almalinux", "9"),
            ("amzn", "2"),
            ("amzn", "2023"),
        ] {
            assert!(
                t.iter().any(|e| e.id == id && e.version_id == v),
                "{id} {v}"
            );
        }
    }

    fn os_host(os_release: &str) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("etc")).unwrap();
        std::fs::write(d.path().join("etc/os-release"), os_release).unwrap();
        d
    }

    #[test]
    fn os_supported_dates() {
        let p = "{aspect: os_supported}";
        let deb12 = os_host("ID=debian\nVERSION_ID=\"12\"\n");
        let o = run_on(p, deb12.path().into(), date!(2026 - 11 - 22));
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert_eq!(
            o.message,
            "Debian 12 (bookworm) is supported until 2028-06-30 (Debian LTS; regular security support ended 2026-06-10)"
        );
        // The last day is still supported; the day after is not.
        let o = run_on(p, deb12.path().into(), date!(2028 - 06 - 30));
        assert_eq!(o.status, Status::Pass, "{o:?}");
        let o = run_on(p, deb12.path().into(), date!(2028 - 07 - 01));
        assert_eq!(o.status, Status::Fail, "{o:?}");
        assert_eq!(
            o.message,
            "Debian 12 (bookworm) reached end of support on 2028-06-30 (Debian LTS); today is 2028-07-01: upgrade to a supported release"
        );
        assert_eq!(o.evidence[0].path.as_deref(), Some("/etc/os-release"));
        assert_eq!(o.evidence[0].observed.as_deref(), Some("debian 12"));

        // RHEL minor versions match the major row; extended support only when allowed.
        let rhel7 = os_host("ID=\"rhel\"\nVERSION_ID=\"7.9\"\n");
        let o = run_on(p, rhel7.path().into(), date!(2026 - 11 - 22));
        assert_eq!(o.status, Status::Fail, "{o:?}");
        assert!(
            o.message
                .contains("Extended Life-cycle Support add-on until 2028-06-30 is not counted"),
            "{}",
            o.message
        );
        let o = run_on(
            "{aspect: os_supported, allow_extended: true}",
            rhel7.path().into(),
            date!(2026 - 11 - 22),
        );
        assert_eq!(o.status, Status::Pass, "{o:?}");

        // Amazon Linux "2" must not match "2023".
        let al2023 = os_host("ID=\"amzn\"\nVERSION_ID=\"2023\"\n");
        let o = run_on(p, al2023.path().into(), date!(2026 - 11 - 22));
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert!(o.message.starts_with("Amazon Linux 2023 "), "{}", o.message);
    }

    #[test]
    fn os_supported_unknown_release_is_an_error() {
        let p = "{aspect: os_supported}";
        let interim = os_host("ID=ubuntu\nVERSION_ID=\"23.10\"\nPRETTY_NAME=\"Ubuntu 23.10\"\n");
        let o = run_on(p, interim.path().into(), date!(2026 - 11 - 22));
        assert_eq!(o.status, Status::Error, "{o:?}");
        assert_eq!(
            o.message,
            "Ubuntu 23.10 (ubuntu 23.10) is not in the end-of-support table (policies/data/os_eol.yaml): its support status cannot be judged"
        );
        let sid = os_host("ID=debian\nPRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\n");
        let o = run_on(p, sid.path().into(), date!(2026 - 11 - 22));
        assert_eq!(o.status, Status::Error, "{o:?}");
        assert!(o.message.contains("no VERSION_ID"), "{}", o.message);
        let none = tempfile::tempdir().unwrap();
        let o = run_on(p, none.path().into(), date!(2026 - 11 - 22));
        assert_eq!(o.status, Status::Error, "{o:?}");
    }

    #[test]
    fn params_shape() {
        for bad in [
            "{aspect: reboot_required, extra: 1}",
            "{aspect: security_updates, limit: 3}",
            "{aspect: everything}",
            "{}",
        ] {
            assert!(serde_saphyr::from_str::<Params>(bad).is_err(), "{bad}");
        }
        assert!(matches!(
            params("{aspect: security_updates}"),
            Params::SecurityUpdates {
                list_limit: 20,
                max_index_age_days: None,
                min_advisory_severity: None
            }
        ));
    }
}
