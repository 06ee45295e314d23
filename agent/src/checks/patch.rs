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
//!   the lists. With `max_index_age_days`, older lists are an `error`. On RPM hosts this
//!   aspect is `not_applicable`: reading dnf's updateinfo metadata is not implemented.
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

use crate::checks::Outcome;
use crate::host::Host;
use crate::pkgdb::{self, DbKind, Package, PackageDb};
use crate::report::Evidence;
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
        /// (the answer would be stale). Default: not checked, the date is only reported.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_index_age_days: Option<u32>,
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
        } => security_updates(host, *list_limit, *max_index_age_days, today),
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

fn security_updates(host: &Host, limit: usize, max_age: Option<u32>, today: Date) -> Outcome {
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
            return Outcome::not_applicable(format!(
            "pending security updates are judged on Debian-family hosts only: hardline does not \
                 read RPM security-update metadata (dnf updateinfo); this host uses {} — run \
                 `dnf updateinfo list --security` there",
            db.path
        ))
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
        assert_eq!(o.status, Status::NotApplicable, "{o:?}");
        assert!(
            o.message
                .contains("does not read RPM security-update metadata"),
            "{}",
            o.message
        );
        let o = run("{aspect: security_updates}", "package/no_os");
        assert_eq!(o.status, Status::NotApplicable, "{o:?}");
        let o = run("{aspect: security_updates}", "pkgdb/dpkg_malformed");
        assert_eq!(o.status, Status::Error, "{o:?}");
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
                max_index_age_days: None
            }
        ));
    }
}
