//! `package` check: whether packages are installed, absent, or at least at a version.
//!
//! Reads the host's installed-package database through [`crate::pkgdb`]: the dpkg status
//! file (`/var/lib/dpkg/status`) on the Debian family, the sqlite rpmdb
//! (`/var/lib/rpm/rpmdb.sqlite`, `/usr/lib/sysimage/rpm/rpmdb.sqlite`) on the RPM family.
//! The database is parsed once per scan and shared by every rule.
//!
//! Semantics, by mode:
//! - `state: absent` — fails when any listed name is on disk: a package of that name, or one
//!   that `Provides` it (Debian's `inetutils-telnetd` provides `telnet-server`), in any dpkg
//!   state that leaves files behind (installed, unpacked, half-installed, half-configured,
//!   triggers pending/awaited). Removed packages whose conffiles remain (`config-files`) do
//!   not count: their programs are gone.
//! - `state: present` (the default) — passes when at least one listed name is installed and
//!   configured (directly or through `Provides`, so `time-daemon` is met by chrony).
//! - `min_version` — every installed package with one of the listed *names* (not virtual
//!   provides) must be at or above the version, compared with the database's own ordering
//!   (dpkg or rpm). None installed → `not_applicable` (nothing to patch). Because a version
//!   string only means something within one distribution release, `min_version` requires
//!   `os`. For rpm, a bound without release (`8.7p1`) compares epoch and version only.
//! - `os: {id, version_id}` — the rule applies only where `/etc/os-release` has exactly this
//!   `ID` (not `ID_LIKE`: a derivative rebuilds with its own version strings) and a
//!   `VERSION_ID` equal to `version_id` or starting with `version_id.` (`"9"` matches `9.4`).
//!   Elsewhere the rule is `not_applicable`; an unknown OS is an `error`.
//!
//! Absent database (no dpkg status, no rpmdb) → `not_applicable`. An unreadable, malformed or
//! unsupported database (Berkeley DB rpmdb) → `error` naming the path (and line). Symbolic
//! links are resolved inside the scan root.

use crate::host::Host;
use crate::outcome::{HostCheck, Outcome};
use crate::pkgdb::{self, Package, PackageDb};
use crate::report::Evidence;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// Parameters of a `package` rule.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "RawParams")]
pub struct Params {
    /// Package names (any of them); for `absent` and `present` also names that a package
    /// provides (Debian virtual packages, RPM `Provides`).
    pub names: Vec<String>,
    /// `absent` or `present` (default `present`; must not be given with `min_version`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<State>,
    /// Minimum version for every installed package named in `names`, in the distribution's
    /// own syntax (`1:9.2p1-2+deb12u3`, `8.7p1-38.el9_4.1`). Requires `os`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_version: Option<String>,
    /// The operating system release the rule is written for; elsewhere not applicable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<OsMatch>,
}

/// Whether the packages must be installed or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// None of the names may be on disk.
    Absent,
    /// At least one of the names must be installed.
    Present,
}

/// An operating-system release, matched against `/etc/os-release`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OsMatch {
    /// `ID` exactly (`debian`, `ubuntu`, `rhel`, `rocky`).
    pub id: String,
    /// `VERSION_ID`, or its leading component(s): `"12"`, `"22.04"`, `"9"` (quote it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
}

/// The params as written, validated into [`Params`] at policy load time.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParams {
    names: Vec<String>,
    #[serde(default)]
    state: Option<State>,
    #[serde(default)]
    min_version: Option<String>,
    #[serde(default)]
    os: Option<OsMatch>,
}

impl TryFrom<RawParams> for Params {
    type Error = String;
    fn try_from(r: RawParams) -> Result<Self, String> {
        if r.names.is_empty() || r.names.iter().any(|n| n.trim().is_empty()) {
            return Err("`names` must list at least one non-empty package name".into());
        }
        if let Some(v) = &r.min_version {
            if v.trim().is_empty() || v.contains(char::is_whitespace) {
                return Err(format!("`min_version` {v:?} is not a version"));
            }
            if r.state.is_some() {
                return Err("`min_version` cannot be combined with `state`".into());
            }
            if r.os.is_none() {
                return Err(
                    "`min_version` needs `os`: a version string is only comparable within one distribution release"
                        .into(),
                );
            }
        }
        Ok(Params {
            names: r.names,
            state: r.state,
            min_version: r.min_version,
            os: r.os,
        })
    }
}

impl HostCheck for Params {
    fn evaluate(&self, host: &Host) -> Outcome {
        evaluate(self, host)
    }
}

/// Evaluate a `package` rule.
pub fn evaluate(params: &Params, host: &Host) -> Outcome {
    if let Some(os) = &params.os {
        if let Some(outcome) = os_gate(os, host) {
            return outcome;
        }
    }
    let db = pkgdb::installed(host);
    let db = match &*db {
        Err(e) => {
            return Outcome::error(format!("cannot read the package database: {e}"))
                .with(Evidence::at(e.path.clone(), e.line).observed(e.reason.clone()))
        }
        Ok(None) => {
            return Outcome::not_applicable(format!(
                "no package database found ({}, {})",
                pkgdb::DPKG_STATUS,
                pkgdb::RPMDB_SQLITE.join(", ")
            ))
        }
        Ok(Some(db)) => db,
    };
    match (&params.min_version, params.state.unwrap_or(State::Present)) {
        (Some(min), _) => min_version(params, db, min),
        (None, State::Absent) => absent(params, db),
        (None, State::Present) => present(params, db),
    }
}

/// `None` when the rule applies to this host, else the outcome to return.
fn os_gate(os: &OsMatch, host: &Host) -> Option<Outcome> {
    let wanted = match &os.version_id {
        Some(v) => format!("{} {v}", os.id),
        None => os.id.clone(),
    };
    let Some(info) = host.os_release() else {
        return Some(
            Outcome::error(format!(
                "the rule is for {wanted} but the host's operating system is unknown (no /etc/os-release or /usr/lib/os-release)"
            ))
            .with(Evidence::at("/etc/os-release", None).observed("missing").expected(wanted)),
        );
    };
    let version_ok = match &os.version_id {
        None => true,
        Some(v) => info.version_id == *v || info.version_id.starts_with(&format!("{v}.")),
    };
    if info.id == os.id && version_ok {
        return None;
    }
    Some(Outcome::not_applicable(format!(
        "the rule is for {wanted}; this host is {} {}",
        info.id, info.version_id
    )))
}

fn names_list(names: &[String]) -> String {
    names.join(", ")
}

/// `x is not installed` / `none of x, y is installed`.
fn none_installed(names: &[String]) -> String {
    match names {
        [one] => format!("{one} is not installed"),
        _ => format!("none of {} is installed", names_list(names)),
    }
}

/// Whether `p` is one of `names`, by name or (when `provides`) by a provided name.
fn matches(p: &Package, names: &[String], provides: bool) -> Option<String> {
    if names.contains(&p.name) {
        return Some(p.describe());
    }
    if provides {
        if let Some(v) = p.provides.iter().find(|v| names.contains(v)) {
            return Some(format!("{} (provides {v})", p.describe()));
        }
    }
    None
}

fn absent(params: &Params, db: &PackageDb) -> Outcome {
    let found: Vec<(&Package, String)> = db
        .packages
        .iter()
        .filter(|p| p.files_on_disk())
        .filter_map(|p| matches(p, &params.names, true).map(|d| (p, d)))
        .collect();
    if found.is_empty() {
        return Outcome::pass(format!("{} ({})", none_installed(&params.names), db.path)).with(
            Evidence::at(db.path.clone(), None)
                .observed("not installed")
                .expected(format!("none of: {}", names_list(&params.names))),
        );
    }
    let list: Vec<String> = found
        .iter()
        .map(|(p, d)| format!("{d} at {}", db.location(p)))
        .collect();
    Outcome::fail(format!(
        "found installed: {} (expected none of {})",
        list.join("; "),
        names_list(&params.names)
    ))
    .with_all(found.iter().map(|(p, d)| {
        let e = Evidence::at(db.path.clone(), p.line)
            .observed(format!("{d} installed"))
            .expected("not installed");
        match p.hnum {
            Some(h) => e.context(format!("rpm header {h}")),
            None => e,
        }
    }))
}

fn present(params: &Params, db: &PackageDb) -> Outcome {
    let installed: Vec<(&Package, String)> = db
        .packages
        .iter()
        .filter(|p| p.is_installed())
        .filter_map(|p| matches(p, &params.names, true).map(|d| (p, d)))
        .collect();
    if let Some((p, d)) = installed.first() {
        return Outcome::pass(format!("{d} is installed ({})", db.location(p))).with(
            Evidence::at(db.path.clone(), p.line)
                .observed(format!("{d} installed"))
                .expected(format!("one of: {}", names_list(&params.names))),
        );
    }
    // Not configured, but on disk: say so, it is the likely fix.
    let partial: Vec<String> = db
        .packages
        .iter()
        .filter(|p| !p.is_installed())
        .filter_map(|p| matches(p, &params.names, true))
        .collect();
    let extra = if partial.is_empty() {
        String::new()
    } else {
        format!(
            " (recorded but not fully installed: {})",
            partial.join(", ")
        )
    };
    Outcome::fail(format!(
        "{} according to {}{extra}",
        none_installed(&params.names),
        db.path
    ))
    .with(
        Evidence::at(db.path.clone(), None)
            .observed(if partial.is_empty() {
                "not installed".to_string()
            } else {
                partial.join(", ")
            })
            .expected(format!("one of: {}", names_list(&params.names))),
    )
}

fn min_version(params: &Params, db: &PackageDb, min: &str) -> Outcome {
    let installed: Vec<&Package> = db
        .packages
        .iter()
        .filter(|p| p.is_installed() && params.names.contains(&p.name))
        .collect();
    if installed.is_empty() {
        return Outcome::not_applicable(format!(
            "{} is not installed ({}): nothing to patch",
            names_list(&params.names),
            db.path
        ));
    }
    let mut low = Vec::new();
    let mut ok = Vec::new();
    for p in installed {
        match db.kind.compare(&p.version, min) {
            Err(e) => {
                return Outcome::error(format!(
                    "cannot compare {} with {min}: {e} ({})",
                    p.describe(),
                    db.location(p)
                ))
                .with(Evidence::at(db.path.clone(), p.line).observed(p.version.clone()))
            }
            Ok(Ordering::Less) => low.push(p),
            Ok(_) => ok.push(p),
        }
    }
    let expected = format!(">= {min} ({} ordering)", db.kind.name());
    if low.is_empty() {
        let list: Vec<String> = ok.iter().map(|p| p.describe()).collect();
        return Outcome::pass(format!("{} is at least {min}", list.join(", "))).with_all(
            ok.iter().map(|p| {
                Evidence::at(db.path.clone(), p.line)
                    .observed(p.describe())
                    .expected(expected.clone())
            }),
        );
    }
    let list: Vec<String> = low
        .iter()
        .map(|p| format!("{} at {}", p.describe(), db.location(p)))
        .collect();
    Outcome::fail(format!(
        "{} is older than the required {min}: {}",
        if low.len() == 1 {
            low[0].name.clone()
        } else {
            names_list(&params.names)
        },
        list.join("; ")
    ))
    .with_all(low.iter().map(|p| {
        Evidence::at(db.path.clone(), p.line)
            .observed(p.describe())
            .expected(expected.clone())
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;
    use crate::testutil::fixture;

    fn params(yaml: &str) -> Params {
        serde_saphyr::from_str(yaml).unwrap()
    }

    fn run(yaml: &str, case: &str) -> Outcome {
        evaluate(&params(yaml), &Host::new(fixture(case)))
    }

    #[test]
    fn absent_fails_listing_each_installed_one_with_version_and_place() {
        let o = run(
            "{names: [telnetd, inetutils-telnetd, telnet-server], state: absent}",
            "package/debian",
        );
        assert_eq!(o.status, Status::Fail, "{o:?}");
        assert!(
            o.message
                .contains("telnetd 0.17+2.4-2+deb12u1 (amd64) at /var/lib/dpkg/status:"),
            "{}",
            o.message
        );
        assert!(o.message.contains("; inetutils-telnetd 2:2.4-2+deb12u1 (amd64) [half-configured] at /var/lib/dpkg/status:21 (expected none of telnetd, inetutils-telnetd, telnet-server)"), "{}", o.message);
        // A package that only provides a listed name is found through Provides.
        let o = run("{names: [telnet-server], state: absent}", "package/debian");
        assert!(
            o.message
                .contains("telnetd 0.17+2.4-2+deb12u1 (amd64) (provides telnet-server) at"),
            "{}",
            o.message
        );
        assert_eq!(o.evidence.len(), 2);
        assert_eq!(o.evidence[0].path.as_deref(), Some("/var/lib/dpkg/status"));
        assert!(o.evidence[0].line.is_some());
    }

    #[test]
    fn absent_ignores_removed_packages_and_passes() {
        // rsh-server is in config-files state only.
        let o = run(
            "{names: [rsh-server, rsh-redone-server], state: absent}",
            "package/debian",
        );
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert!(o
            .message
            .contains("none of rsh-server, rsh-redone-server is installed"));
    }

    #[test]
    fn present_by_name_and_by_provides() {
        let o = run("{names: [auditd, audit]}", "package/debian");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert!(
            o.message
                .starts_with("auditd 1:3.0.9-1 (amd64) is installed"),
            "{}",
            o.message
        );
        let o = run("{names: [time-daemon], state: present}", "package/debian");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert!(
            o.message
                .contains("chrony 4.3-2+deb12u1 (amd64) (provides time-daemon)"),
            "{}",
            o.message
        );
        let o = run("{names: [aide]}", "package/debian");
        assert_eq!(o.status, Status::Fail, "{o:?}");
        assert!(
            o.message.contains(
                "recorded but not fully installed: aide 0.18.3-1+deb12u3 (amd64) [unpacked]"
            ),
            "{}",
            o.message
        );
        assert_eq!(o.evidence[0].path.as_deref(), Some("/var/lib/dpkg/status"));
    }

    #[test]
    fn min_version_with_os_gate() {
        let rule = |v: &str| {
            format!("{{names: [openssh-server], min_version: \"{v}\", os: {{id: debian, version_id: \"12\"}}}}")
        };
        let o = run(&rule("1:9.2p1-2+deb12u3"), "package/debian");
        assert_eq!(o.status, Status::Fail, "{o:?}");
        assert_eq!(
            o.message,
            "openssh-server is older than the required 1:9.2p1-2+deb12u3: openssh-server 1:9.2p1-2+deb12u2 (amd64) at /var/lib/dpkg/status:1"
        );
        assert_eq!(
            o.evidence[0].expected.as_deref(),
            Some(">= 1:9.2p1-2+deb12u3 (dpkg ordering)")
        );
        let o = run(&rule("1:9.2p1-2+deb12u2"), "package/debian");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        // `~` sorts before the release it precedes.
        let o = run(&rule("1:9.2p1-2+deb12u2~1"), "package/debian");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        // Other OS → not applicable; unknown OS → error.
        let o = run(
            "{names: [openssh-server], min_version: \"1:8.9p1-3ubuntu0.10\", os: {id: ubuntu, version_id: \"22.04\"}}",
            "package/debian",
        );
        assert_eq!(o.status, Status::NotApplicable, "{o:?}");
        assert_eq!(
            o.message,
            "the rule is for ubuntu 22.04; this host is debian 12"
        );
        let o = run(&rule("1"), "package/no_os");
        assert_eq!(o.status, Status::Error, "{o:?}");
        // Not installed → nothing to patch.
        let o = run(
            "{names: [apache2], min_version: \"2.4.62-1~deb12u1\", os: {id: debian}}",
            "package/debian",
        );
        assert_eq!(o.status, Status::NotApplicable, "{o:?}");
    }

    #[test]
    fn rpm_host() {
        let o = run("{names: [telnet-server], state: absent}", "../hosts/rhel");
        assert_eq!(o.status, Status::Fail, "{o:?}");
        assert!(
            o.message.contains(
                "telnet-server 1:0.17-85.el9 (x86_64) at /var/lib/rpm/rpmdb.sqlite header "
            ),
            "{}",
            o.message
        );
        assert!(o.evidence[0]
            .context
            .as_deref()
            .unwrap()
            .starts_with("rpm header "));
        // RHEL 9.4 matches version_id "9"; release-less and full bounds.
        for (min, want) in [
            ("8.7p1-38.el9_4.1", Status::Pass),
            ("8.7p1", Status::Pass),
            ("8.7p1-38.el9_4.2", Status::Fail),
            ("1:8.0p1-1.el9", Status::Fail),
        ] {
            let o = run(
                &format!("{{names: [openssh-server], min_version: \"{min}\", os: {{id: rhel, version_id: \"9\"}}}}"),
                "../hosts/rhel",
            );
            assert_eq!(o.status, want, "{min}: {o:?}");
        }
        // Two kernels installed: both must meet the floor.
        let o = run(
            "{names: [kernel-core], min_version: \"5.14.0-503.11.1.el9_5\", os: {id: rhel}}",
            "../hosts/rhel",
        );
        assert_eq!(o.status, Status::Fail, "{o:?}");
        assert!(
            o.message.contains("kernel-core 5.14.0-427.13.1.el9_4"),
            "{}",
            o.message
        );
    }

    #[test]
    fn no_database_is_not_applicable_and_broken_is_an_error() {
        let o = run("{names: [telnetd], state: absent}", "package/no_os");
        assert_eq!(o.status, Status::NotApplicable, "{o:?}");
        let o = run("{names: [telnetd], state: absent}", "pkgdb/dpkg_malformed");
        assert_eq!(o.status, Status::Error, "{o:?}");
        assert!(
            o.message.contains("/var/lib/dpkg/status:7"),
            "{}",
            o.message
        );
        assert_eq!(o.evidence[0].line, Some(7));
        let o = run("{names: [telnet-server], state: absent}", "pkgdb/rpm_bdb");
        assert_eq!(o.status, Status::Error, "{o:?}");
        assert!(o.message.contains("Berkeley DB"), "{}", o.message);
    }

    #[test]
    fn params_are_validated_at_load_time() {
        let bad = [
            ("{names: []}", "at least one"),
            ("{names: [a], min_version: \"1\"}", "needs `os`"),
            (
                "{names: [a], min_version: \"1\", state: present, os: {id: debian}}",
                "cannot be combined",
            ),
            ("{names: [a], state: gone}", "unknown variant"),
            ("{names: [a], colour: red}", "unknown field"),
            (
                "{names: [a], os: {id: debian, version: \"12\"}}",
                "unknown field",
            ),
        ];
        for (yaml, want) in bad {
            let e = serde_saphyr::from_str::<Params>(yaml)
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{yaml}: {e}");
        }
    }
}
