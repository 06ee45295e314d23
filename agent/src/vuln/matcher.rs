//! Exact matching of an inventory against OSV records: one implementation, used by the
//! agent (`scan --feeds`) and by the collector (every stored inventory, on every feed
//! import). Pure: no I/O, no clock.
//!
//! - **Which records apply**: the record's ecosystem must be the host's release
//!   ([`ecosystem_applies`]): `Debian:12` for Debian 12, any `Ubuntu:…` naming the host's
//!   version (`Ubuntu:22.04:LTS`, `Ubuntu:Pro:22.04:LTS`), `AlmaLinux:9`, `Rocky Linux:9`,
//!   `Red Hat:enterprise_linux:9…` for RHEL 9.
//! - **Which name**: Debian and Ubuntu records name *source* packages, so a dpkg package is
//!   looked up by its source and judged by the source version; the signed kernel images'
//!   source `linux-signed-*` is the `linux` source, judged by the image's own version (the
//!   signed source's version, `6.1.76+1`, is not the kernel's). RPM records name binary
//!   packages; an RPM package is looked up by its name and, failing that, by its source
//!   RPM's name, judged by its own EVR.
//! - **Which version**: `ECOSYSTEM` ranges walked in version order: `introduced` opens,
//!   `fixed` closes at that version, `last_affected` closes after it; an explicit `versions`
//!   list matches by equal version. Ordering is dpkg's (epochs, `~`, `+debNuX`, `~bpo`) or
//!   rpm's (epochs, `.elN_M`) from [`crate::pkgdb`], never hand-written.
//! - **The kernel** is judged by the *running* kernel: installed kernel images other than
//!   the running one are not exposure (they do not run), and the running kernel is judged
//!   even when its package was removed after an upgrade (its version comes from `/proc`).
//!   When a newer installed kernel would fix the CVE, the finding says a reboot fixes it.
//!   Other binaries of the `linux` source (headers, `linux-libc-dev`) hold no kernel code
//!   and are not judged. Without a running kernel (an offline image) every installed image
//!   is judged.

use super::feeds::{Affected, Event, OsvIndex};
use crate::inventory::{is_kernel_image, kernel_release_of};
use crate::pkgdb::DbKind;
use crate::report::{Inventory, InventoryPackage};
use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

/// One OSV record that matches one installed package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// The installed binary package (for the running kernel whose package was removed, a
    /// synthetic entry named after the release).
    pub package: String,
    /// The name the record was found under (source for Debian/Ubuntu).
    pub source: String,
    /// The installed version of the package (the running kernel's, for a kernel).
    pub installed_version: String,
    /// The version compared with the record (the source version for Debian/Ubuntu).
    pub judged_version: String,
    /// The first fixed version above the installed one; `None` when no fix exists yet.
    pub fixed_version: Option<String>,
    /// OSV record id.
    pub advisory: Arc<str>,
    /// CVE ids of the record.
    pub cves: Arc<[String]>,
    /// Ecosystem of the record.
    pub ecosystem: Arc<str>,
    /// Operator note (kernel cases).
    pub note: Option<String>,
}

/// Whether a record's ecosystem is the host's (`host` as [`crate::inventory::ecosystem`]
/// writes it).
pub fn ecosystem_applies(record: &str, host: &str) -> bool {
    // The common case (`Debian:12` for Debian 12), without splitting.
    if record == host && !host.starts_with("Ubuntu:") && !host.starts_with("Red Hat:") {
        return true;
    }
    let Some((family, version)) = host.split_once(':') else {
        return false;
    };
    let parts: Vec<&str> = record.split(':').collect();
    match family {
        "Debian" | "AlmaLinux" | "Rocky Linux" => {
            parts.len() == 2 && parts[0] == family && parts[1].split('.').next() == Some(version)
        }
        "Ubuntu" => parts[0] == "Ubuntu" && parts[1..].contains(&version),
        "Red Hat" => {
            parts[0] == "Red Hat"
                && parts.get(1) == Some(&"enterprise_linux")
                && parts
                    .get(2)
                    .and_then(|v| v.split('.').next())
                    .is_some_and(|m| m == version)
        }
        _ => false,
    }
}

/// Errors met while comparing (a feed version the ordering rejects); the match goes on.
pub type Problems = Vec<String>;

/// Version comparison for one judged version: the judged version parsed once, the feed's
/// versions from the index's pre-parsed table ([`OsvIndex::prepare`]), anything else parsed
/// on the spot (and reported when it does not parse).
struct Versions<'a> {
    kind: DbKind,
    judged: Option<(&'a str, debversion::Version)>,
    parsed: &'a HashMap<String, debversion::Version>,
}

impl<'a> Versions<'a> {
    fn new(
        kind: DbKind,
        judged: &'a str,
        parsed: &'a HashMap<String, debversion::Version>,
    ) -> Self {
        let judged = match kind {
            DbKind::Dpkg => crate::pkgdb::parse_deb(judged).ok().map(|v| (judged, v)),
            DbKind::Rpm => None,
        };
        Versions {
            kind,
            judged,
            parsed,
        }
    }

    fn deb(&self, s: &str) -> Option<&debversion::Version> {
        match &self.judged {
            Some((t, v)) if *t == s => Some(v),
            _ => self.parsed.get(s),
        }
    }

    fn compare(&self, a: &str, b: &str) -> Result<Ordering, String> {
        if self.kind == DbKind::Dpkg {
            if let (Some(x), Some(y)) = (self.deb(a), self.deb(b)) {
                return Ok(x.cmp(y));
            }
        }
        self.kind.compare(a, b)
    }
}

fn cmp(
    vs: &Versions<'_>,
    a: &str,
    b: &str,
    problems: &mut Problems,
    advisory: &str,
) -> Option<Ordering> {
    match vs.compare(a, b) {
        Ok(o) => Some(o),
        Err(e) => {
            if problems.len() < 100 {
                problems.push(format!("{advisory}: {e}"));
            }
            None
        }
    }
}

/// Whether `v` is affected by `a`, and the first fixed version above it.
fn affected_by(
    vs: &Versions<'_>,
    a: &Affected,
    v: &str,
    problems: &mut Problems,
) -> Option<Option<String>> {
    for listed in &a.versions {
        if cmp(vs, v, listed, problems, &a.advisory)? == Ordering::Equal {
            return Some(first_fix(vs, a, v, problems));
        }
    }
    for range in &a.ranges {
        // Sort events by version ("0" introduces from the start). The common range
        // `[introduced 0, fixed X]` is already in order and is not sorted (each comparison
        // parses both versions).
        let mut ev: Vec<&Event> = range.iter().collect();
        fn key(e: &Event) -> &str {
            match e {
                Event::Introduced(x) | Event::Fixed(x) | Event::LastAffected(x) => x.as_str(),
            }
        }
        let mut bad = false;
        let trivially_sorted =
            ev.len() == 1 || (ev.len() == 2 && matches!(ev[0], Event::Introduced(x) if x == "0"));
        if !trivially_sorted {
            ev.sort_by(|x, y| {
                let (kx, ky) = (key(x), key(y));
                if kx == "0" && ky != "0" {
                    return Ordering::Less;
                }
                if ky == "0" && kx != "0" {
                    return Ordering::Greater;
                }
                vs.compare(kx, ky).unwrap_or_else(|_| {
                    bad = true;
                    Ordering::Equal
                })
            });
        }
        if bad {
            if problems.len() < 100 {
                problems.push(format!("{}: a range version cannot be ordered", a.advisory));
            }
            continue;
        }
        let mut affected = false;
        let mut fix: Option<String> = None;
        for e in ev {
            match e {
                Event::Introduced(x) => {
                    if x == "0" || cmp(vs, v, x, problems, &a.advisory)? != Ordering::Less {
                        affected = true;
                        fix = None;
                    }
                }
                Event::Fixed(x) => {
                    if cmp(vs, v, x, problems, &a.advisory)? != Ordering::Less {
                        affected = false;
                    } else if affected && fix.is_none() {
                        fix = Some(x.clone());
                    }
                }
                Event::LastAffected(x) => {
                    if cmp(vs, v, x, problems, &a.advisory)? == Ordering::Greater {
                        affected = false;
                    }
                }
            }
            if affected && fix.is_some() {
                break;
            }
        }
        if affected {
            return Some(fix);
        }
    }
    None
}

/// The smallest `fixed` above `v` in any range (for a version matched by the list).
fn first_fix(vs: &Versions<'_>, a: &Affected, v: &str, problems: &mut Problems) -> Option<String> {
    let mut best: Option<&str> = None;
    for e in a.ranges.iter().flatten() {
        if let Event::Fixed(x) = e {
            if cmp(vs, x, v, problems, &a.advisory) == Some(Ordering::Greater)
                && best.is_none_or(|b| cmp(vs, x, b, problems, &a.advisory) == Some(Ordering::Less))
            {
                best = Some(x);
            }
        }
    }
    best.map(str::to_string)
}

/// Match one inventory against the index. Problems (versions the ordering rejects) are
/// returned beside the matches, never dropped.
pub fn match_inventory(inv: &Inventory, osv: &OsvIndex) -> (Vec<Match>, Problems) {
    let mut out = Vec::new();
    let mut problems = Problems::new();
    let kind = if inv.format == "rpm" {
        DbKind::Rpm
    } else {
        DbKind::Dpkg
    };
    let Some(packages) = inv.packages.as_deref() else {
        return (out, problems);
    };
    if inv.ecosystem.is_empty() {
        return (out, problems);
    }
    let running = inv.kernel.running_release.as_deref();
    let running_version = inv.kernel.running_version.as_deref();
    let mut running_pkg_seen = false;
    let kernel_source = if kind == DbKind::Dpkg {
        "linux"
    } else {
        "kernel"
    };
    for p in packages {
        let kernel = is_kernel_image(&inv.format, p);
        let (judged, note) = if kernel {
            match running {
                Some(r) if kernel_release_of(&inv.format, p).as_deref() == Some(r) => {
                    running_pkg_seen = true;
                    (
                        running_version.unwrap_or(&p.version).to_string(),
                        Some(format!("running kernel {r}")),
                    )
                }
                Some(_) => continue,
                None => (
                    p.version.clone(),
                    Some("installed kernel (no running kernel known: offline image)".to_string()),
                ),
            }
        } else if kind == DbKind::Dpkg && p.source == "linux" {
            continue;
        } else if kind == DbKind::Dpkg {
            (p.source_version.clone(), None)
        } else {
            (p.version.clone(), None)
        };
        let names: Vec<&str> = if kind == DbKind::Dpkg {
            let src = if kernel { "linux" } else { p.source.as_str() };
            vec![if src.is_empty() { p.name.as_str() } else { src }]
        } else {
            let mut n = vec![p.name.as_str()];
            if !p.source.is_empty() && p.source != p.name {
                n.push(p.source.as_str());
            }
            if kernel && !n.contains(&"kernel") {
                n.push("kernel");
            }
            n
        };
        match_one(
            kind,
            inv,
            osv,
            p,
            &names,
            &judged,
            note,
            &mut out,
            &mut problems,
        );
    }
    // The running kernel's package was removed after an upgrade: judge what runs.
    if let (Some(r), Some(v), false) = (running, running_version, running_pkg_seen) {
        let synthetic = InventoryPackage {
            name: if kind == DbKind::Dpkg {
                format!("linux-image-{r}")
            } else {
                format!("kernel-core-{r}")
            },
            version: v.to_string(),
            arch: String::new(),
            source: kernel_source.to_string(),
            source_version: v.to_string(),
        };
        let note = Some(format!("running kernel {r}; its package is no longer installed (reboot into an installed kernel)"));
        match_one(
            kind,
            inv,
            osv,
            &synthetic,
            &[kernel_source],
            v,
            note,
            &mut out,
            &mut problems,
        );
    }
    // A newer installed kernel that would fix it: say that a reboot does.
    if running.is_some() {
        for m in out.iter_mut().filter(|m| {
            m.note
                .as_deref()
                .is_some_and(|n| n.starts_with("running kernel"))
        }) {
            let Some(fix) = m.fixed_version.clone() else {
                continue;
            };
            let fixed_installed = packages.iter().find(|p| {
                is_kernel_image(&inv.format, p)
                    && kind
                        .compare(&p.version, &fix)
                        .is_ok_and(|o| o != Ordering::Less)
            });
            if let Some(k) = fixed_installed {
                m.note = Some(format!(
                    "{}; the fixed kernel {} {} is installed but not booted: reboot (patch.reboot_required)",
                    m.note.as_deref().unwrap_or(""),
                    k.name,
                    k.version
                ));
            }
        }
    }
    (out, problems)
}

fn kernel_judged(note: &Option<String>) -> bool {
    note.as_deref()
        .is_some_and(|n| n.starts_with("running kernel"))
}

#[allow(clippy::too_many_arguments)]
fn match_one(
    kind: DbKind,
    inv: &Inventory,
    osv: &OsvIndex,
    p: &InventoryPackage,
    names: &[&str],
    judged: &str,
    note: Option<String>,
    out: &mut Vec<Match>,
    problems: &mut Problems,
) {
    // Parsed only for a package that some record names.
    let mut vs: Option<Versions<'_>> = None;
    for name in names {
        let Some(list) = osv.by_package.get(*name) else {
            continue;
        };
        let vs = vs.get_or_insert_with(|| Versions::new(kind, judged, &osv.deb_versions));
        let mut found = false;
        for a in list {
            if !ecosystem_applies(&a.ecosystem, &inv.ecosystem) {
                continue;
            }
            if let Some(fix) = affected_by(vs, a, judged, problems) {
                found = true;
                out.push(Match {
                    package: p.name.clone(),
                    source: (*name).to_string(),
                    installed_version: if kernel_judged(&note) {
                        judged.to_string()
                    } else {
                        p.version.clone()
                    },
                    judged_version: judged.to_string(),
                    fixed_version: fix,
                    advisory: a.advisory.clone(),
                    cves: a.cves.clone(),
                    ecosystem: a.ecosystem.clone(),
                    note: note.clone(),
                });
            }
        }
        if found {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::KernelInventory;

    fn aff(id: &str, eco: &str, ranges: Vec<Vec<Event>>, versions: &[&str]) -> Affected {
        Affected {
            advisory: Arc::from(id),
            cves: Arc::from(vec![format!("CVE-2024-{}", id.len())]),
            ecosystem: Arc::from(eco),
            ranges,
            versions: versions.iter().map(|s| s.to_string()).collect(),
        }
    }
    use Event::*;

    /// The matcher's judgement of `v`, checked to be the same with the index's versions
    /// parsed on the spot and pre-parsed ([`OsvIndex::prepare`]).
    fn affected_by(k: DbKind, a: &Affected, v: &str, p: &mut Problems) -> Option<Option<String>> {
        let empty = HashMap::new();
        let spot = super::affected_by(&Versions::new(k, v, &empty), a, v, p);
        let mut idx = OsvIndex::default();
        idx.by_package.insert("x".into(), vec![a.clone()]);
        idx.prepare();
        let prepared = super::affected_by(&Versions::new(k, v, &idx.deb_versions), a, v, p);
        assert_eq!(spot, prepared, "{v} against {}", a.advisory);
        spot
    }

    fn s(x: &str) -> String {
        x.to_string()
    }

    #[test]
    fn ranges_introduced_fixed_last_affected_and_lists() {
        let mut p = Problems::new();
        let a = aff(
            "A",
            "Debian:12",
            vec![vec![Introduced(s("0")), Fixed(s("1:9.2p1-2+deb12u3"))]],
            &[],
        );
        let k = DbKind::Dpkg;
        assert_eq!(
            affected_by(k, &a, "1:9.2p1-2+deb12u2", &mut p),
            Some(Some(s("1:9.2p1-2+deb12u3")))
        );
        assert_eq!(affected_by(k, &a, "1:9.2p1-2+deb12u3", &mut p), None);
        assert!(
            affected_by(k, &a, "1:9.2p1-2+deb12u3~bpo1", &mut p).is_some(),
            "~ sorts before"
        );
        assert_eq!(
            affected_by(k, &a, "9.9", &mut p),
            Some(Some(s("1:9.2p1-2+deb12u3"))),
            "epoch 0 < 1"
        );
        let b = aff(
            "B",
            "Debian:12",
            vec![vec![Introduced(s("2.0")), LastAffected(s("2.4"))]],
            &[],
        );
        assert_eq!(affected_by(k, &b, "1.9", &mut p), None);
        assert_eq!(affected_by(k, &b, "2.4", &mut p), Some(None));
        assert_eq!(affected_by(k, &b, "2.4.1", &mut p), None);
        let c = aff("C", "Debian:12", vec![vec![Introduced(s("0"))]], &[]);
        assert_eq!(affected_by(k, &c, "5", &mut p), Some(None), "no fix yet");
        let d = aff("D", "Debian:12", vec![], &["1.0-1", "1.0-2"]);
        assert_eq!(affected_by(k, &d, "1.0-2", &mut p), Some(None));
        assert_eq!(affected_by(k, &d, "1.0-3", &mut p), None);
        // Two introduced/fixed pairs in one range.
        let e = aff(
            "E",
            "Debian:12",
            vec![vec![
                Introduced(s("0")),
                Fixed(s("1.5")),
                Introduced(s("2.0")),
                Fixed(s("2.3")),
            ]],
            &[],
        );
        assert_eq!(affected_by(k, &e, "1.7", &mut p), None);
        assert_eq!(affected_by(k, &e, "2.1", &mut p), Some(Some(s("2.3"))));
        let r = aff(
            "R",
            "AlmaLinux:9",
            vec![vec![Introduced(s("0")), Fixed(s("1:3.0.7-27.el9_4"))]],
            &[],
        );
        assert_eq!(
            affected_by(DbKind::Rpm, &r, "1:3.0.7-27.el9", &mut p),
            Some(Some(s("1:3.0.7-27.el9_4")))
        );
        assert_eq!(affected_by(DbKind::Rpm, &r, "1:3.0.7-28.el9", &mut p), None);
        assert!(p.is_empty(), "{p:?}");
    }

    #[test]
    fn ecosystem_selection() {
        assert!(ecosystem_applies("Debian:12", "Debian:12"));
        assert!(!ecosystem_applies("Debian:11", "Debian:12"));
        assert!(!ecosystem_applies("Debian", "Debian:12"));
        assert!(ecosystem_applies("Ubuntu:22.04:LTS", "Ubuntu:22.04"));
        assert!(ecosystem_applies("Ubuntu:Pro:22.04:LTS", "Ubuntu:22.04"));
        assert!(!ecosystem_applies("Ubuntu:20.04:LTS", "Ubuntu:22.04"));
        assert!(ecosystem_applies(
            "Red Hat:enterprise_linux:9::baseos",
            "Red Hat:9"
        ));
        assert!(!ecosystem_applies(
            "Red Hat:enterprise_linux:8::baseos",
            "Red Hat:9"
        ));
        assert!(ecosystem_applies("Rocky Linux:9", "Rocky Linux:9"));
        assert!(!ecosystem_applies("AlmaLinux:9", "Rocky Linux:9"));
    }

    fn inv(pkgs: Vec<InventoryPackage>, kernel: KernelInventory) -> Inventory {
        Inventory {
            format: "dpkg".into(),
            ecosystem: "Debian:12".into(),
            digest: String::new(),
            count: pkgs.len() as u32,
            packages: Some(pkgs),
            kernel,
        }
    }
    fn p(name: &str, v: &str, src: &str, srcv: &str) -> InventoryPackage {
        InventoryPackage {
            name: name.into(),
            version: v.into(),
            arch: "amd64".into(),
            source: src.into(),
            source_version: srcv.into(),
        }
    }

    #[test]
    fn debian_matches_through_the_source_and_the_running_kernel() {
        let mut idx = OsvIndex::default();
        idx.by_package.insert(
            "openssl".into(),
            vec![aff(
                "DSA-1",
                "Debian:12",
                vec![vec![Introduced(s("0")), Fixed(s("3.0.13-1~deb12u1"))]],
                &[],
            )],
        );
        idx.by_package.insert(
            "linux".into(),
            vec![aff(
                "DSA-22",
                "Debian:12",
                vec![vec![Introduced(s("0")), Fixed(s("6.1.76-1"))]],
                &[],
            )],
        );
        let i = inv(
            vec![
                p("libssl3", "3.0.11-1~deb12u2", "openssl", "3.0.11-1~deb12u2"),
                p(
                    "linux-image-6.1.0-17-amd64",
                    "6.1.69-1",
                    "linux-signed-amd64",
                    "6.1.69+1",
                ),
                p(
                    "linux-image-6.1.0-18-amd64",
                    "6.1.76-1",
                    "linux-signed-amd64",
                    "6.1.76+1",
                ),
                p("linux-libc-dev", "6.1.69-1", "linux", "6.1.69-1"),
            ],
            KernelInventory {
                running_release: Some("6.1.0-17-amd64".into()),
                running_version: Some("6.1.69-1".into()),
                installed: vec![],
            },
        );
        let (m, probs) = match_inventory(&i, &idx);
        assert!(probs.is_empty());
        assert_eq!(m.len(), 2, "{m:#?}");
        assert_eq!(m[0].package, "libssl3");
        assert_eq!(m[0].source, "openssl");
        assert_eq!(m[1].package, "linux-image-6.1.0-17-amd64");
        assert_eq!(m[1].installed_version, "6.1.69-1");
        let note = m[1].note.as_deref().unwrap();
        assert!(
            note.contains("installed but not booted")
                && note.contains("linux-image-6.1.0-18-amd64"),
            "{note}"
        );

        // Running the fixed kernel: nothing open for it, and the old image is not exposure.
        let mut i2 = i.clone();
        i2.kernel.running_release = Some("6.1.0-18-amd64".into());
        i2.kernel.running_version = Some("6.1.76-1".into());
        assert_eq!(match_inventory(&i2, &idx).0.len(), 1);

        // Running a kernel whose package was removed: judged from /proc's version.
        let mut i3 = i.clone();
        i3.kernel.running_release = Some("6.1.0-16-amd64".into());
        i3.kernel.running_version = Some("6.1.67-1".into());
        let (m3, _) = match_inventory(&i3, &idx);
        let k = m3.iter().find(|m| m.source == "linux").unwrap();
        assert_eq!(k.package, "linux-image-6.1.0-16-amd64");
        assert!(k.note.as_deref().unwrap().contains("no longer installed"));

        // Another release's record never applies.
        let mut i4 = i.clone();
        i4.ecosystem = "Debian:11".into();
        assert!(match_inventory(&i4, &idx).0.is_empty());
    }
}

/// Matching speed (the collector re-matches every host on each feed import). Not a test:
/// `cargo test --release -p hardline-agent --lib bench_match -- --ignored --nocapture`.
#[cfg(test)]
mod bench {
    use super::*;
    use crate::report::KernelInventory;

    #[test]
    #[ignore = "benchmark; run with --ignored --nocapture"]
    fn bench_match() {
        // 45,000 records over 8,000 source names, 1-3 affected packages each (like the
        // Debian export), against a 1,600-package inventory of which a third is named.
        let mut seed: u64 = 7;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        let mut idx = OsvIndex::default();
        for i in 0..45_000 {
            let cves: Arc<[String]> = Arc::from(vec![format!("CVE-2024-{}", 10000 + i)]);
            for _ in 0..(1 + next() % 3) {
                let name = format!("src{:05}", next() % 8000);
                let fixed = format!(
                    "{}.{}.{}-{}+deb12u{}",
                    1 + next() % 9,
                    next() % 20,
                    next() % 10,
                    1 + next() % 5,
                    1 + next() % 4
                );
                idx.by_package.entry(name).or_default().push(Affected {
                    advisory: Arc::from(format!("DEBIAN-CVE-2024-{}", 10000 + i).as_str()),
                    cves: cves.clone(),
                    ecosystem: Arc::from("Debian:12"),
                    ranges: vec![vec![Event::Introduced("0".into()), Event::Fixed(fixed)]],
                    versions: vec![],
                });
            }
        }
        let packages: Vec<InventoryPackage> = (0..1600)
            .map(|i| {
                let src = if i % 3 == 0 {
                    format!("src{:05}", next() % 8000)
                } else {
                    format!("other{i}")
                };
                let v = format!(
                    "{}.{}.{}-{}",
                    1 + next() % 9,
                    next() % 20,
                    next() % 10,
                    1 + next() % 5
                );
                InventoryPackage {
                    name: format!("pkg{i}"),
                    version: v.clone(),
                    arch: "amd64".into(),
                    source: src,
                    source_version: v,
                }
            })
            .collect();
        let inv = Inventory {
            format: "dpkg".into(),
            ecosystem: "Debian:12".into(),
            digest: String::new(),
            count: 1600,
            packages: Some(packages),
            kernel: KernelInventory::default(),
        };
        let t = std::time::Instant::now();
        idx.prepare();
        println!(
            "prepare (parse the feed's versions once, at load): {:.1} ms for {} versions",
            t.elapsed().as_secs_f64() * 1000.0,
            idx.deb_versions.len()
        );
        let mut times = Vec::new();
        let mut found = 0;
        for _ in 0..51 {
            let t = std::time::Instant::now();
            let (m, _) = match_inventory(&inv, &idx);
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            found = m.len();
        }
        times.sort_by(|a, b| a.total_cmp(b));
        println!("match_inventory: 1,600 packages vs 45,000 records: median {:.3} ms, min {:.3} ms, {found} matches", times[25], times[0]);
    }
}
