//! `service` check: the enablement state of systemd units, as `systemctl is-enabled` reports
//! it, computed from the unit files and symbolic links under the scan root.
//!
//! **What it reads.** The system unit search path of systemd 252 (Debian 12), highest
//! priority first: `/etc/systemd/system.control`, `/run/systemd/system.control`,
//! `/run/systemd/transient`, `/run/systemd/generator.early`, `/etc/systemd/system`,
//! `/etc/systemd/system.attached`, `/run/systemd/system`, `/run/systemd/system.attached`,
//! `/run/systemd/generator`, `/usr/local/lib/systemd/system`, `/lib/systemd/system`,
//! `/usr/lib/systemd/system`, `/run/systemd/generator.late`. Directories that resolve to the
//! same place (a usr-merged `/lib → usr/lib`) are searched once, under the first name, as
//! systemd does. In each directory it reads the unit file or link named like the unit, the
//! `[Install]` section of the unit file and of its drop-ins (`NAME.d/*.conf`, plus the
//! template's `TEMPLATE@.SUFFIX.d/` for instances), and every symbolic link in the directory
//! itself and in its `*.wants/` and `*.requires/` subdirectories (systemd 252 knows
//! neither `.upholds/` nor `UpheldBy=`). Nothing is
//! executed; `systemctl` is never called.
//!
//! **Semantics** (systemd's `unit_file_lookup_state()`, checked against
//! `systemctl --root=DIR is-enabled` by a differential test):
//! - the unit is looked up by name in the search path (an instance `getty@tty1.service`
//!   falls back to its template `getty@.service`); the first directory that has it wins;
//! - `masked` / `masked-runtime`: that first entry is an empty file, or a symbolic link to
//!   `/dev/null` (dangling inside an image: `/dev` is not populated there) or to an empty
//!   file; `-runtime` when it lives under `/run`;
//! - a link whose destination is inside the search path is an alias: it must keep the unit
//!   type and name kind (plain, template, instance) and must not point at its own name
//!   (systemctl fails with "too many levels of symbolic links" there, so does this check);
//!   the lookup continues with the destination's name, and querying the alias itself gives
//!   `alias`; a link to a file outside the search path (`/opt/x.service`) links that file
//!   in under the link's name;
//! - `generated` / `transient`: the unit file lives in a generator or transient directory;
//! - `enabled`: a link whose name is one of the names `systemctl enable` would create
//!   (the unit's own name, an `Alias=`, or the template filled with `DefaultInstance=`) is
//!   in `/etc/systemd/system` or one of its `.wants/.requires` directories (in those
//!   directories the link's name counts, not its destination);
//! - `enabled-runtime`: such a link exists only under `/run`;
//! - `static` for an instance linked from a vendor directory;
//! - `linked` / `linked-runtime`: the unit name in `/etc/systemd/system` (or `/run`) is a
//!   link to a file of the same name elsewhere;
//! - `indirect`: links exist under other names, or the `[Install]` section has only `Also=`;
//! - `disabled`: the `[Install]` section has `WantedBy=`, `RequiredBy=` or
//!   `Alias=` but no link was found; `static`: it has none of them;
//! - `not-found`: no unit file by that name (systemctl says "No such file or directory").
//!
//! Not modelled: `bad` (systemctl's state for an unparsable unit file: here an unreadable
//! file is an `error`), user units, presets, the `%` specifiers other than
//! `%n %N %p %i %j %%` in `[Install]` values. The state is about unit files (what happens
//! at boot), not whether the unit is running now.
//!
//! **Expectations.** `enabled` passes only on `enabled` (`enabled-runtime` does not survive
//! a reboot; `static`, `indirect` and `linked` cannot be confirmed to start at boot from the
//! files alone). `any_enabled` passes when at least one listed unit is `enabled`.
//! `not_enabled` passes on `disabled`, `masked`, `linked`, `linked-runtime` and `not-found`;
//! `static`, `indirect`, `generated`, `transient`, `enabled*` and `masked-runtime` fail
//! (a static unit can still be pulled in by another unit: mask it). `masked` passes only on
//! `masked`. A name that is an alias (`syslog.service`) is judged by the state of the unit
//! it points to.
//!
//! **Absent.** A unit that is not found passes `not_enabled`; for `enabled`,
//! `any_enabled` (every listed unit missing) and `masked`, `missing` decides: `fail`
//! (default) or `not_applicable`.

use crate::host::Host;
use crate::outcome::{HostCheck, Outcome};
use crate::report::Evidence;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::io;

/// Parameters of a `service` check.
///
/// ```yaml
/// check:
///   type: service
///   params: { unit: auditd.service, expect: enabled }
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// One unit (`auditd.service`; a name without a unit suffix gets `.service`, as
    /// systemctl does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<UnitName>,
    /// Several units (combined with `unit`); `enabled`, `not_enabled` and `masked` apply
    /// to each, `any_enabled` to at least one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<UnitName>,
    /// The required state: `enabled`, `any_enabled`, `not_enabled` or `masked`.
    pub expect: Expectation,
    /// What a unit that is not installed means for `enabled`, `any_enabled` and `masked`:
    /// `fail` (default) or `not_applicable`. Ignored by `not_enabled` (absent passes).
    #[serde(default)]
    pub missing: Missing,
}

/// The state a rule requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expectation {
    /// Every unit is `enabled`.
    Enabled,
    /// At least one unit is `enabled`.
    AnyEnabled,
    /// No unit is enabled or otherwise started at boot (disabled, masked or not installed).
    NotEnabled,
    /// Every unit is `masked`.
    Masked,
}

/// What a missing unit means.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Missing {
    /// The rule fails.
    #[default]
    Fail,
    /// The rule does not apply.
    NotApplicable,
}

/// A validated systemd unit name, checked when the policy is loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UnitName(String);

impl TryFrom<String> for UnitName {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let s = s.trim().to_string();
        let full = if unit_type(&s).is_some() {
            s
        } else {
            format!("{s}.service")
        };
        if is_valid_unit_name(&full) {
            Ok(UnitName(full))
        } else {
            Err(format!("invalid systemd unit name {full:?}"))
        }
    }
}

impl From<UnitName> for String {
    fn from(u: UnitName) -> String {
        u.0
    }
}

impl UnitName {
    /// The unit name with its suffix.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl HostCheck for Params {
    fn evaluate(&self, host: &Host) -> Outcome {
        evaluate(self, host)
    }
}

/// Evaluate a `service` check.
pub fn evaluate(params: &Params, host: &Host) -> Outcome {
    let mut units: Vec<&str> = params.unit.iter().map(UnitName::as_str).collect();
    units.extend(params.units.iter().map(UnitName::as_str));
    if units.is_empty() {
        return Outcome::error("service check has no `unit` or `units` to look at");
    }
    let mut states = Vec::new();
    for u in &units {
        match judged_state(host, u) {
            Ok(s) => states.push(s),
            Err(e) => return Outcome::error(format!("cannot determine the state of {u}: {e}")),
        }
    }
    let evidence: Vec<Evidence> = states.iter().map(|s| s.evidence(params.expect)).collect();
    let missing_outcome = |msg: String| match params.missing {
        Missing::Fail => Outcome::fail(msg),
        Missing::NotApplicable => Outcome::not_applicable(msg),
    };
    match params.expect {
        Expectation::AnyEnabled => {
            if let Some(s) = states.iter().find(|s| s.state == UnitState::Enabled) {
                return Outcome::pass(format!("{} is enabled{}", s.describe_name(), s.via_text()))
                    .with_all(evidence);
            }
            let list = states
                .iter()
                .map(|s| s.summary())
                .collect::<Vec<_>>()
                .join(", ");
            if states.iter().all(|s| s.state == UnitState::NotFound) {
                return missing_outcome(format!(
                    "none of {} is installed; expected one of them enabled",
                    units.join(", ")
                ))
                .with_all(evidence);
            }
            Outcome::fail(format!(
                "no unit is enabled ({list}); expected one of them enabled"
            ))
            .with_all(evidence)
        }
        expect => {
            let mut failed = Vec::new();
            let mut missing = Vec::new();
            for s in &states {
                if s.state == UnitState::NotFound && expect != Expectation::NotEnabled {
                    missing.push(s);
                } else if !passes(expect, s.state) {
                    failed.push(s);
                }
            }
            let want = match expect {
                Expectation::Enabled => "enabled",
                Expectation::NotEnabled => "not enabled (disabled, masked or not installed)",
                Expectation::Masked => "masked",
                Expectation::AnyEnabled => "enabled",
            };
            if !failed.is_empty() {
                let list = failed
                    .iter()
                    .map(|s| s.summary())
                    .collect::<Vec<_>>()
                    .join("; ");
                let hint = failed
                    .iter()
                    .find_map(|s| s.hint(expect))
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_default();
                return Outcome::fail(format!("{list}; expected {want}{hint}")).with_all(evidence);
            }
            if !missing.is_empty() {
                let list = missing.iter().map(|s| s.name.as_str()).collect::<Vec<_>>();
                return missing_outcome(format!(
                    "{} not installed (no unit file in the systemd search path); expected {want}",
                    list.join(", ")
                ))
                .with_all(evidence);
            }
            let list = states
                .iter()
                .map(|s| s.summary())
                .collect::<Vec<_>>()
                .join("; ");
            Outcome::pass(list).with_all(evidence)
        }
    }
}

fn passes(expect: Expectation, state: UnitState) -> bool {
    use UnitState::*;
    match expect {
        Expectation::Enabled | Expectation::AnyEnabled => state == Enabled,
        Expectation::Masked => state == Masked,
        Expectation::NotEnabled => {
            matches!(state, Disabled | Masked | Linked | LinkedRuntime | NotFound)
        }
    }
}

/// The enablement state of a unit file, named as `systemctl is-enabled` prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitState {
    /// Linked into `/etc/systemd/system` under an `[Install]` name.
    Enabled,
    /// Linked only under `/run` (lost at reboot).
    EnabledRuntime,
    /// The unit file is made available by a same-name link in `/etc/systemd/system`.
    Linked,
    /// Same, under `/run`.
    LinkedRuntime,
    /// The queried name is an alias of another unit.
    Alias,
    /// Linked to `/dev/null` (or empty) in a persistent directory.
    Masked,
    /// Masked under `/run`.
    MaskedRuntime,
    /// No `[Install]` rules: cannot be enabled, started by dependency only.
    Static,
    /// Linked under other names, or `[Install]` has only `Also=`.
    Indirect,
    /// Could be enabled, is not.
    Disabled,
    /// Written by a generator at boot.
    Generated,
    /// Created at runtime through the bus API.
    Transient,
    /// No unit file.
    NotFound,
}

impl UnitState {
    /// The name systemctl prints.
    pub fn as_str(self) -> &'static str {
        match self {
            UnitState::Enabled => "enabled",
            UnitState::EnabledRuntime => "enabled-runtime",
            UnitState::Linked => "linked",
            UnitState::LinkedRuntime => "linked-runtime",
            UnitState::Alias => "alias",
            UnitState::Masked => "masked",
            UnitState::MaskedRuntime => "masked-runtime",
            UnitState::Static => "static",
            UnitState::Indirect => "indirect",
            UnitState::Disabled => "disabled",
            UnitState::Generated => "generated",
            UnitState::Transient => "transient",
            UnitState::NotFound => "not-found",
        }
    }
}

impl fmt::Display for UnitState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A unit's state and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitStatus {
    /// The unit name asked about.
    pub name: String,
    /// Its state.
    pub state: UnitState,
    /// Host path of the unit file (or mask link) that decided the state.
    pub path: Option<String>,
    /// The link that made it enabled/linked/indirect (`path -> destination`).
    pub via: Option<String>,
    /// For an alias: the unit it resolves to.
    pub alias_of: Option<String>,
}

impl UnitStatus {
    fn describe_name(&self) -> String {
        match &self.alias_of {
            Some(t) => format!("{} (alias of {t})", self.name),
            None => self.name.clone(),
        }
    }

    fn via_text(&self) -> String {
        match (&self.via, &self.path) {
            (Some(v), _) => format!(" ({v})"),
            (None, Some(p)) => format!(" ({p})"),
            _ => String::new(),
        }
    }

    fn summary(&self) -> String {
        format!(
            "{} is {}{}",
            self.describe_name(),
            self.state,
            self.via_text()
        )
    }

    fn hint(&self, expect: Expectation) -> Option<&'static str> {
        use UnitState::*;
        match (expect, self.state) {
            (Expectation::NotEnabled, Static) => {
                Some("a static unit starts when another unit pulls it in; mask it")
            }
            (_, EnabledRuntime) | (_, MaskedRuntime) | (_, LinkedRuntime) => {
                Some("a state under /run is lost at reboot")
            }
            (Expectation::Enabled | Expectation::AnyEnabled, Static) => {
                Some("a static unit has no [Install] section and cannot be enabled")
            }
            _ => None,
        }
    }

    fn evidence(&self, expect: Expectation) -> Evidence {
        let path = self
            .via
            .as_ref()
            .and_then(|v| v.split(" -> ").next().map(str::to_string))
            .or_else(|| self.path.clone())
            .unwrap_or_else(|| "/etc/systemd/system".to_string());
        let expected = match expect {
            Expectation::Enabled | Expectation::AnyEnabled => "enabled",
            Expectation::NotEnabled => "disabled, masked or not-found",
            Expectation::Masked => "masked",
        };
        let mut e = Evidence::at(path, None)
            .observed(format!("{}: {}", self.name, self.state))
            .expected(expected);
        if let Some(t) = &self.alias_of {
            e = e.context(format!("alias of {t}"));
        }
        e
    }
}

/// The state used for judging: an alias is replaced by the state of its target.
fn judged_state(host: &Host, name: &str) -> Result<UnitStatus, String> {
    let s = unit_state(host, name)?;
    if s.state != UnitState::Alias {
        return Ok(s);
    }
    let Some(target) = s.alias_of.clone() else {
        return Ok(s);
    };
    let mut t = unit_state(host, &target)?;
    t.alias_of = Some(t.name.clone());
    t.name = s.name;
    Ok(t)
}

// ---------------------------------------------------------------------------------------
// The model of systemd's install logic.

/// What kind of directory a search path entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DirKind {
    Control,
    Transient,
    Generator,
    PersistentConfig,
    RuntimeConfig,
    Other,
}

const SEARCH_PATH: &[(&str, DirKind)] = &[
    ("/etc/systemd/system.control", DirKind::Control),
    ("/run/systemd/system.control", DirKind::Control),
    ("/run/systemd/transient", DirKind::Transient),
    ("/run/systemd/generator.early", DirKind::Generator),
    ("/etc/systemd/system", DirKind::PersistentConfig),
    ("/etc/systemd/system.attached", DirKind::Other),
    ("/run/systemd/system", DirKind::RuntimeConfig),
    ("/run/systemd/system.attached", DirKind::Other),
    ("/run/systemd/generator", DirKind::Generator),
    ("/usr/local/lib/systemd/system", DirKind::Other),
    ("/lib/systemd/system", DirKind::Other),
    ("/usr/lib/systemd/system", DirKind::Other),
    ("/run/systemd/generator.late", DirKind::Generator),
];

const MAX_ALIAS_HOPS: usize = 64;

#[derive(Debug)]
struct SearchDir {
    path: &'static str,
    kind: DirKind,
}

impl SearchDir {
    fn runtime(&self) -> bool {
        self.path.starts_with("/run/")
    }
}

/// One symbolic link found in a search directory or its `.wants/.requires`.
#[derive(Debug, Clone)]
struct Link {
    /// Link name.
    name: String,
    /// Host path of the link.
    path: String,
    /// Absolute destination (relative ones joined to the link's directory).
    dest: String,
    /// True for links directly in the search directory (not in a `.wants`-like one).
    top: bool,
}

/// The search path and the links in it, read once per scan.
#[derive(Debug)]
struct Index {
    dirs: Vec<SearchDir>,
    /// Links per entry of `dirs`.
    links: Vec<Vec<Link>>,
    /// Entry names per entry of `dirs` (so lookups skip directories without the name).
    names: Vec<HashSet<String>>,
}

fn index(host: &Host) -> std::rc::Rc<Result<Index, String>> {
    host.cached("service:index", || build_index(host))
}

fn build_index(host: &Host) -> Result<Index, String> {
    let mut seen = HashSet::new();
    let mut dirs = Vec::new();
    for (path, kind) in SEARCH_PATH {
        // Same directory under two names (usr-merge): keep the first, as systemd does.
        let key = match host.resolve(path) {
            Ok(p) if host.is_live() => std::fs::canonicalize(&p).unwrap_or(p),
            Ok(p) => p,
            Err(_) => continue,
        };
        if seen.insert(key) {
            dirs.push(SearchDir { path, kind: *kind });
        }
    }
    let mut links = Vec::new();
    let mut names = Vec::new();
    for d in &dirs {
        let mut found = Vec::new();
        let entries = host.read_dir_sorted(d.path).map_err(|e| e.to_string())?;
        names.push(entries.iter().map(|e| e.name.clone()).collect());
        if entries.is_empty() {
            links.push(found);
            continue;
        }
        // The directory is resolved inside the root once by `Host`; its entries are then
        // examined without following them (an `lstat` and a `readlink` each).
        let real_dir = host
            .resolve(d.path)
            .map_err(|e| format!("{}: {e}", d.path))?;
        for e in &entries {
            let real = real_dir.join(&e.name);
            let md = std::fs::symlink_metadata(&real)
                .map_err(|err| format!("{}: {err}", e.host_path))?;
            if md.file_type().is_symlink() {
                found.extend(link_entry(&real, d.path, e, true));
            } else if md.is_dir() && [".wants", ".requires"].iter().any(|s| e.name.ends_with(s)) {
                let sub = host
                    .read_dir_sorted(&e.host_path)
                    .map_err(|e| e.to_string())?;
                for s in &sub {
                    let real_sub = real.join(&s.name);
                    let is_link = std::fs::symlink_metadata(&real_sub)
                        .map_err(|err| format!("{}: {err}", s.host_path))?
                        .file_type()
                        .is_symlink();
                    if is_link {
                        found.extend(link_entry(&real_sub, &e.host_path, s, false));
                    }
                }
            }
        }
        links.push(found);
    }
    Ok(Index { dirs, links, names })
}

fn link_entry(
    real: &std::path::Path,
    dir: &str,
    e: &crate::host::DirEntry,
    top: bool,
) -> Option<Link> {
    let dest = std::fs::read_link(real).ok()?;
    let dest = dest.to_string_lossy();
    Some(Link {
        name: e.name.clone(),
        path: e.host_path.clone(),
        dest: absolute(dir, &dest),
        top,
    })
}

/// `dest` made absolute relative to `dir`, with `.` and `..` folded.
fn absolute(dir: &str, dest: &str) -> String {
    let joined = if dest.starts_with('/') {
        dest.to_string()
    } else {
        format!("{dir}/{dest}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for c in joined.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    format!("/{}", parts.join("/"))
}

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) => "/",
        Some(i) => &path[..i],
        None => "",
    }
}

/// The `[Install]` section of a unit file and its drop-ins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstallInfo {
    /// `Alias=`.
    pub aliases: Vec<String>,
    /// `WantedBy=`.
    pub wanted_by: Vec<String>,
    /// `RequiredBy=`.
    pub required_by: Vec<String>,
    /// `Also=`.
    pub also: Vec<String>,
    /// `DefaultInstance=`.
    pub default_instance: Option<String>,
}

impl InstallInfo {
    fn has_rules(&self) -> bool {
        !(self.aliases.is_empty() && self.wanted_by.is_empty() && self.required_by.is_empty())
    }
}

/// What one search path entry holds for a unit name.
#[derive(Debug)]
enum Entry {
    Masked {
        path: String,
    },
    Regular {
        path: String,
    },
    /// A symbolic link to another file; `target` is the link's absolute destination,
    /// `outside` when that is outside the search path (a linked unit file).
    Link {
        path: String,
        target: String,
        outside: bool,
    },
}

fn not_found(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory | io::ErrorKind::PermissionDenied
    ) || e.raw_os_error() == Some(20)
}

/// Load the entry at `path` (systemd's `unit_file_load_or_readlink`).
fn load_path(host: &Host, path: &str) -> Result<Option<Entry>, String> {
    let md = match host.symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if not_found(&e) => return Ok(None),
        Err(e) => return Err(format!("{path}: {e}")),
    };
    if md.file_type().is_symlink() {
        let dest = host
            .read_link(path)
            .map_err(|e| format!("{path}: {e}"))?
            .to_string_lossy()
            .into_owned();
        let target = absolute(parent(path), &dest);
        // A link into the search path is an alias and must be a valid one; a link to a
        // file elsewhere links that file in under this name (systemd's
        // `unit_file_resolve_symlink()`).
        let inside = SEARCH_PATH
            .iter()
            .any(|(d, _)| target.starts_with(&format!("{d}/")));
        if inside {
            validate_alias(path, &target)?;
        }
        if let Err(e) = host.metadata(path) {
            if e.kind() != io::ErrorKind::NotFound {
                return Err(format!("{path}: {e}"));
            }
        }
        if is_null_or_empty(host, path) {
            // systemctl names the alias target as the unit's place, a linked file by its link.
            return Ok(Some(Entry::Masked {
                path: if inside { target } else { path.to_string() },
            }));
        }
        return Ok(Some(Entry::Link {
            path: path.to_string(),
            target,
            outside: !inside,
        }));
    }
    if md.is_dir() {
        return Err(format!("{path}: is a directory, not a unit file"));
    }
    if md.is_file() && md.len() == 0 {
        return Ok(Some(Entry::Masked {
            path: path.to_string(),
        }));
    }
    Ok(Some(Entry::Regular {
        path: path.to_string(),
    }))
}

/// systemd's `unit_validate_alias_symlink_or_warn()`: an alias keeps the unit type, and a
/// plain name cannot point at a template (nor the reverse); an instance may point at its
/// template or at an instance of the same name.
fn validate_alias(path: &str, target: &str) -> Result<(), String> {
    let src = basename(path);
    let dst = basename(target);
    if src == dst {
        return Err(format!(
            "{path}: link to a unit of the same name in the search path ({target}): too many levels of symbolic links"
        ));
    }
    let kind = |n: &str| {
        if is_instance(n) {
            2
        } else if is_template(n) {
            1
        } else {
            0
        }
    };
    let bad = || Err(format!("{path}: invalid alias to {dst}"));
    if !is_valid_unit_name(dst) {
        return bad();
    }
    let (ks, kd) = (kind(src), kind(dst));
    if !(ks == kd || (ks == 2 && kd == 1)) {
        return bad();
    }
    if kd == 2 && instance_of(src) != instance_of(dst) {
        return bad();
    }
    if unit_type(src) != unit_type(dst) {
        return bad();
    }
    Ok(())
}

/// A link that ends at `/dev/null` (possibly dangling inside an image) or at an empty file.
fn is_null_or_empty(host: &Host, path: &str) -> bool {
    if !host.is_live() {
        if let Ok(real) = host.resolve(path) {
            if let Ok(rel) = real.strip_prefix(host.root()) {
                if rel == std::path::Path::new("dev/null") {
                    return true;
                }
            }
        }
    }
    use std::os::unix::fs::FileTypeExt;
    match host.metadata(path) {
        Ok(m) => m.file_type().is_char_device() || (m.is_file() && m.len() == 0),
        Err(_) => false,
    }
}

/// Find a unit name in the search path, falling back to the template for an instance.
fn search(host: &Host, idx: &Index, name: &str) -> Result<Option<Entry>, String> {
    let candidates = std::iter::once(name.to_string()).chain(template_of(name));
    for n in candidates {
        for (d, names) in idx.dirs.iter().zip(&idx.names) {
            if !names.contains(&n) {
                continue;
            }
            if let Some(e) = load_path(host, &format!("{}/{n}", d.path))? {
                return Ok(Some(e));
            }
        }
    }
    Ok(None)
}

/// The `[Install]` data of `name` loaded from `path`, plus drop-ins.
fn load_install(host: &Host, idx: &Index, name: &str, path: &str) -> Result<InstallInfo, String> {
    let mut info = InstallInfo::default();
    let text = host.read_to_string(path).map_err(|e| e.to_string())?;
    parse_install(&text, name, &mut info);
    // Drop-ins: NAME.d/*.conf (and the template's), same file name masks lower priority.
    let mut dropin_dirs: Vec<String> = Vec::new();
    for n in std::iter::once(name.to_string()).chain(template_of(name)) {
        let dir_name = format!("{n}.d");
        for (d, names) in idx.dirs.iter().zip(&idx.names) {
            if names.contains(&dir_name) {
                dropin_dirs.push(format!("{}/{dir_name}", d.path));
            }
        }
    }
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    for dir in &dropin_dirs {
        // systemd reads every drop-in directory: one it lists and hardline cannot is an
        // error, never a shorter configuration.
        let entries = host.read_dir_sorted(dir).map_err(|e| e.to_string())?;
        for e in entries {
            if e.name.ends_with(".conf") && !files.contains_key(&e.name) {
                files.insert(e.name, e.host_path);
            }
        }
    }
    for p in files.values() {
        if is_null_or_empty(host, p) {
            continue;
        }
        match host.read_to_string(p) {
            Ok(t) => parse_install(&t, name, &mut info),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(info)
}

/// Compute the state `systemctl is-enabled NAME` reports.
pub fn unit_state(host: &Host, name: &str) -> Result<UnitStatus, String> {
    let idx = index(host);
    let idx = match idx.as_ref() {
        Ok(i) => i,
        Err(e) => return Err(e.clone()),
    };
    let mut status = UnitStatus {
        name: name.to_string(),
        state: UnitState::NotFound,
        path: None,
        via: None,
        alias_of: None,
    };
    // Follow aliases (install_info_traverse).
    let mut cur = name.to_string();
    let mut entry = search(host, idx, &cur)?;
    let mut hops = 0;
    let path = loop {
        hops += 1;
        if hops > MAX_ALIAS_HOPS {
            return Err(format!("too many levels of aliases for {name}"));
        }
        match entry {
            None => return Ok(status),
            Some(Entry::Masked { path }) => {
                let runtime = path.starts_with("/run/");
                status.state = if runtime {
                    UnitState::MaskedRuntime
                } else {
                    UnitState::Masked
                };
                status.path = Some(path);
                return Ok(status);
            }
            Some(Entry::Regular { path }) => break path,
            Some(Entry::Link {
                path,
                target,
                outside,
            }) => {
                let mut bn = basename(&target).to_string();
                if outside || bn == cur {
                    entry = load_path(host, &target)?;
                    if entry.is_none() {
                        return Err(format!("{path}: link to missing {target}"));
                    }
                    continue;
                }
                if is_instance(&cur) && is_template(&bn) {
                    if let Some(filled) = instance_of(&cur).map(|i| fill_template(&bn, i)) {
                        if filled == cur {
                            entry = load_path(host, &target)?;
                            if entry.is_none() {
                                return Err(format!("{path}: link to missing {target}"));
                            }
                            continue;
                        }
                        bn = filled;
                    }
                }
                if unit_type(&bn) != unit_type(&cur) {
                    return Err(format!("{path}: invalid alias to {bn}"));
                }
                cur = bn;
                entry = search(host, idx, &cur)?;
                if entry.is_none() {
                    // systemd: "Link has been severed" (ENOLINK); nothing can start it.
                    status.path = Some(path);
                    return Ok(status);
                }
            }
        }
    };
    status.path = Some(path.clone());
    if name != basename(&path) && !is_instance(&cur) {
        status.state = UnitState::Alias;
        status.alias_of = Some(cur);
        return Ok(status);
    }
    let dir = parent(&path);
    if let Some(d) = idx.dirs.iter().find(|d| d.path == dir) {
        match d.kind {
            DirKind::Generator => {
                status.state = UnitState::Generated;
                return Ok(status);
            }
            DirKind::Transient => {
                status.state = UnitState::Transient;
                return Ok(status);
            }
            _ => {}
        }
    }
    let install = load_install(host, idx, &cur, &path)?;
    if let Some((state, via)) = find_in_scope(idx, &cur, &path, &install, true) {
        status.state = state;
        status.via = via;
        return Ok(status);
    }
    if let Some((_, via)) = find_in_scope(idx, &cur, &path, &install, false) {
        status.state = UnitState::Indirect;
        status.via = via;
        return Ok(status);
    }
    status.state = if install.has_rules() {
        UnitState::Disabled
    } else if !install.also.is_empty() {
        UnitState::Indirect
    } else {
        UnitState::Static
    };
    Ok(status)
}

/// systemd's `find_symlinks_in_scope()`.
fn find_in_scope(
    idx: &Index,
    name: &str,
    unit_path: &str,
    install: &InstallInfo,
    match_name: bool,
) -> Option<(UnitState, Option<String>)> {
    let mut same_name_config: Option<String> = None;
    let mut same_name_runtime: Option<String> = None;
    let mut in_runtime: Option<String> = None;
    let mut at_all: Option<String> = None;
    let mut ignore_same_name = false;
    for (d, links) in idx.dirs.iter().zip(&idx.links) {
        let (found, same) = find_links(links, d.path, name, install, match_name, ignore_same_name);
        if let Some(l) = found {
            let via = format!("{} -> {}", l.path, l.dest);
            if d.kind == DirKind::PersistentConfig {
                return Some((UnitState::Enabled, Some(via)));
            }
            if d.runtime() {
                in_runtime.get_or_insert(via);
            } else {
                at_all.get_or_insert(via);
            }
        } else if let Some(l) = same {
            let via = format!("{} -> {}", l.path, l.dest);
            if d.kind == DirKind::PersistentConfig {
                same_name_config.get_or_insert(via);
            } else if d.runtime() {
                same_name_runtime.get_or_insert(via);
            }
        }
        if !ignore_same_name && unit_path.starts_with(&format!("{}/", d.path)) {
            ignore_same_name = true;
        }
    }
    if let Some(v) = in_runtime {
        return Some((UnitState::EnabledRuntime, Some(v)));
    }
    if let Some(v) = at_all {
        if is_instance(name) {
            return Some((UnitState::Static, Some(v)));
        }
    }
    if let Some(v) = same_name_config {
        return Some((UnitState::Linked, Some(v)));
    }
    if let Some(v) = same_name_runtime {
        return Some((UnitState::LinkedRuntime, Some(v)));
    }
    None
}

/// systemd's `find_symlinks()` for one search directory: a matching link, and a same-name
/// link in the directory itself.
fn find_links<'a>(
    links: &'a [Link],
    dir: &str,
    name: &str,
    install: &InstallInfo,
    match_name: bool,
    ignore_same_name: bool,
) -> (Option<&'a Link>, Option<&'a Link>) {
    let mut same = None;
    // `.wants`-like directories first (the link name counts, not its destination), then
    // the directory itself.
    for pass_top in [false, true] {
        for l in links.iter().filter(|l| l.top == pass_top) {
            let ignore_destination = !l.top;
            let mut found_dest = false;
            if !ignore_destination {
                found_dest = basename(&l.dest) == name;
            }
            let found_path = (ignore_destination || !ignore_same_name) && l.name == name;
            if !found_path && ignore_destination {
                if let Some(t) = template_of(&l.name) {
                    found_dest = t == name;
                }
            }
            let is_same_name_link =
                found_path && found_dest && l.top && l.path == format!("{dir}/{name}");
            if is_same_name_link {
                same = Some(l);
            } else if (found_path || found_dest)
                && (!match_name || known_name(name, install, &l.name))
            {
                return (Some(l), same);
            }
        }
    }
    (None, same)
}

/// systemd's `is_symlink_with_known_name()`.
fn known_name(name: &str, install: &InstallInfo, link_name: &str) -> bool {
    if link_name == name || install.aliases.iter().any(|a| a == link_name) {
        return true;
    }
    match &install.default_instance {
        Some(i) if is_template(name) => fill_template(name, i) == link_name,
        _ => false,
    }
}

/// Parse the `[Install]` section of a unit file or drop-in into `info`.
pub fn parse_install(text: &str, unit: &str, info: &mut InstallInfo) {
    let mut in_install = false;
    let mut pending = String::new();
    for raw in text.lines() {
        let line = raw.trim();
        if pending.is_empty() && (line.starts_with('#') || line.starts_with(';')) {
            continue;
        }
        if let Some(stripped) = line.strip_suffix('\\') {
            pending.push_str(stripped);
            pending.push(' ');
            continue;
        }
        let full = if pending.is_empty() {
            line.to_string()
        } else {
            let mut p = std::mem::take(&mut pending);
            p.push_str(line);
            p
        };
        let full = full.trim();
        if full.starts_with('[') {
            in_install = full == "[Install]";
            continue;
        }
        if !in_install {
            continue;
        }
        let Some((key, value)) = full.split_once('=') else {
            continue;
        };
        let value = value.trim();
        let list = match key.trim() {
            "Alias" => &mut info.aliases,
            "WantedBy" => &mut info.wanted_by,
            "RequiredBy" => &mut info.required_by,
            "Also" => &mut info.also,
            "DefaultInstance" => {
                info.default_instance = if value.is_empty() {
                    None
                } else {
                    Some(expand_specifiers(value, unit))
                };
                continue;
            }
            _ => continue,
        };
        if value.is_empty() {
            list.clear();
            continue;
        }
        for word in value.split_whitespace() {
            let word = word.trim_matches(|c| c == '"' || c == '\'');
            if word.is_empty() {
                continue;
            }
            let w = expand_specifiers(word, unit);
            if is_valid_unit_name(&w) && !list.contains(&w) {
                list.push(w);
            }
        }
    }
}

/// Expand the unit-name specifiers systemd allows in `[Install]`.
fn expand_specifiers(s: &str, unit: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let stem = unit.rsplit_once('.').map(|(a, _)| a).unwrap_or(unit);
    let prefix = stem.split_once('@').map(|(p, _)| p).unwrap_or(stem);
    let instance = stem.split_once('@').map(|(_, i)| i).unwrap_or("");
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push_str(unit),
            Some('N') => out.push_str(stem),
            Some('p') => out.push_str(prefix),
            Some('i') => out.push_str(instance),
            Some('j') => out.push_str(prefix.rsplit('-').next().unwrap_or(prefix)),
            Some('%') => out.push('%'),
            Some(o) => {
                out.push('%');
                out.push(o);
            }
            None => out.push('%'),
        }
    }
    out
}

const UNIT_TYPES: &[&str] = &[
    "service",
    "socket",
    "target",
    "device",
    "mount",
    "automount",
    "swap",
    "timer",
    "path",
    "slice",
    "scope",
];

/// The unit type suffix (`service`), if the name has a known one.
fn unit_type(name: &str) -> Option<&str> {
    let (_, suffix) = name.rsplit_once('.')?;
    UNIT_TYPES.contains(&suffix).then_some(suffix)
}

fn is_valid_unit_name(name: &str) -> bool {
    let Some((stem, _)) = name.rsplit_once('.') else {
        return false;
    };
    unit_type(name).is_some()
        && !stem.is_empty()
        && name.len() <= 255
        && !stem.starts_with('@')
        && stem.matches('@').count() <= 1
        && stem
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ":-_.\\@".contains(c))
}

/// `getty@tty1.service`.
fn is_instance(name: &str) -> bool {
    name.rsplit_once('.')
        .and_then(|(stem, _)| stem.split_once('@'))
        .is_some_and(|(p, i)| !p.is_empty() && !i.is_empty())
}

/// `getty@.service`.
fn is_template(name: &str) -> bool {
    name.rsplit_once('.').is_some_and(|(stem, _)| {
        stem.len() > 1 && stem.ends_with('@') && stem.matches('@').count() == 1
    })
}

/// `getty@tty1.service` → `getty@.service`.
fn template_of(name: &str) -> Option<String> {
    if !is_instance(name) {
        return None;
    }
    let (stem, suffix) = name.rsplit_once('.')?;
    let (prefix, _) = stem.split_once('@')?;
    Some(format!("{prefix}@.{suffix}"))
}

fn instance_of(name: &str) -> Option<&str> {
    let (stem, _) = name.rsplit_once('.')?;
    stem.split_once('@')
        .map(|(_, i)| i)
        .filter(|i| !i.is_empty())
}

/// `getty@.service` + `tty1` → `getty@tty1.service`.
fn fill_template(template: &str, instance: &str) -> String {
    match template.rsplit_once("@.") {
        Some((prefix, suffix)) => format!("{prefix}@{instance}.{suffix}"),
        None => template.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;
    use crate::testutil::{fixture, tool_available};
    use std::fs;
    use std::os::unix::fs::symlink;
    use std::path::Path;

    fn params(yaml: &str) -> Params {
        serde_saphyr::from_str(yaml).unwrap()
    }

    fn state(root: &Path, unit: &str) -> UnitState {
        unit_state(&Host::new(root), unit).unwrap().state
    }

    #[test]
    fn unit_names_are_validated_at_load() {
        let p = params("{unit: auditd, expect: enabled}");
        assert_eq!(p.unit.unwrap().as_str(), "auditd.service");
        let err = serde_saphyr::from_str::<Params>("{unit: 'a b', expect: enabled}").unwrap_err();
        assert!(
            err.to_string().contains("invalid systemd unit name"),
            "{err}"
        );
        assert!(serde_saphyr::from_str::<Params>("{unit: a.service, expect: on}").is_err());
    }

    #[test]
    fn fixture_matrix() {
        let root = fixture("service/matrix");
        let cases = [
            ("enabled.service", UnitState::Enabled),
            ("rel.service", UnitState::Enabled),
            ("required.service", UnitState::Enabled),
            ("disabled.service", UnitState::Disabled),
            ("static.service", UnitState::Static),
            ("masked.service", UnitState::Masked),
            ("empty.service", UnitState::Masked),
            ("runtime.service", UnitState::EnabledRuntime),
            ("aliased.service", UnitState::Enabled),
            ("nick.service", UnitState::Alias),
            ("also.service", UnitState::Indirect),
            ("getty@.service", UnitState::Enabled),
            ("getty@tty1.service", UnitState::Enabled),
            ("getty@tty2.service", UnitState::Disabled),
            ("local.service", UnitState::Enabled),
            ("linked.service", UnitState::Linked),
            ("ctrl-alt-del.target", UnitState::Masked),
            ("reboot.target", UnitState::Static),
            ("dropin.service", UnitState::Disabled),
            ("nothere.service", UnitState::NotFound),
        ];
        for (unit, want) in cases {
            assert_eq!(state(&root, unit), want, "{unit}");
        }
    }

    fn eval(root: &Path, yaml: &str) -> Outcome {
        evaluate(&params(yaml), &Host::new(root))
    }

    #[test]
    fn expectations() {
        let root = fixture("service/matrix");
        let o = eval(&root, "{unit: enabled.service, expect: enabled}");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert!(
            o.message
                .contains("multi-user.target.wants/enabled.service"),
            "{}",
            o.message
        );
        let o = eval(&root, "{unit: disabled.service, expect: enabled}");
        assert_eq!(o.status, Status::Fail);
        assert!(
            o.message.contains("disabled.service is disabled"),
            "{}",
            o.message
        );
        let o = eval(&root, "{unit: nothere.service, expect: enabled}");
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains("not installed"), "{}", o.message);
        let o = eval(
            &root,
            "{unit: nothere.service, expect: enabled, missing: not_applicable}",
        );
        assert_eq!(o.status, Status::NotApplicable);
        let o = eval(
            &root,
            "{units: [nothere.service, disabled.service, enabled.service], expect: any_enabled}",
        );
        assert_eq!(o.status, Status::Pass, "{o:?}");
        let o = eval(
            &root,
            "{units: [nothere.service, disabled.service], expect: any_enabled}",
        );
        assert_eq!(o.status, Status::Fail);
        for unit in ["disabled", "masked", "empty", "nothere", "linked"] {
            let o = eval(&root, &format!("{{unit: {unit}, expect: not_enabled}}"));
            assert_eq!(o.status, Status::Pass, "{unit}: {o:?}");
        }
        for unit in ["enabled", "static", "runtime", "also", "aliased"] {
            let o = eval(&root, &format!("{{unit: {unit}, expect: not_enabled}}"));
            assert_eq!(o.status, Status::Fail, "{unit}: {o:?}");
        }
        let o = eval(&root, "{unit: static.service, expect: not_enabled}");
        assert!(o.message.contains("mask it"), "{}", o.message);
        // An alias is judged by its target.
        let o = eval(&root, "{unit: nick.service, expect: enabled}");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert!(
            o.message.contains("alias of aliased.service"),
            "{}",
            o.message
        );
        let o = eval(&root, "{unit: ctrl-alt-del.target, expect: masked}");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        let o = eval(&root, "{unit: reboot.target, expect: masked}");
        assert_eq!(o.status, Status::Fail);
        let o = eval(&root, "{unit: runtime.service, expect: enabled}");
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains("lost at reboot"), "{}", o.message);
    }

    #[test]
    fn no_systemd_at_all() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(state(dir.path(), "auditd.service"), UnitState::NotFound);
        let o = eval(dir.path(), "{unit: auditd, expect: enabled}");
        assert_eq!(o.status, Status::Fail);
    }

    #[test]
    fn install_parser() {
        let mut i = InstallInfo::default();
        parse_install(
            "[Unit]\nAlias=no.service\n[Install]\nWantedBy=a.target \\\n  b.target\n# c\nAlias=%p-x.service bad\nDefaultInstance=tty1\nRequiredBy=x.target\nRequiredBy=\n",
            "getty@.service",
            &mut i,
        );
        assert_eq!(i.wanted_by, vec!["a.target", "b.target"]);
        assert_eq!(i.aliases, vec!["getty-x.service"]);
        assert_eq!(i.default_instance.as_deref(), Some("tty1"));
        assert!(i.required_by.is_empty());
    }

    // ---- differential test against systemctl --------------------------------------

    /// The state `systemctl --root=ROOT is-enabled UNIT` prints.
    fn systemctl_state(root: &Path, unit: &str) -> String {
        let out = std::process::Command::new("systemctl")
            .arg(format!("--root={}", root.display()))
            .args(["is-enabled", "--", unit])
            .env("SYSTEMD_LOG_LEVEL", "err")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        match stdout.lines().next() {
            Some(l) if !l.trim().is_empty() => l.trim().to_string(),
            _ if stderr.contains("No such file or directory") => "not-found".to_string(),
            _ => format!("error: {}", stderr.trim()),
        }
    }

    /// A tiny deterministic generator (xorshift), so failures reproduce by seed.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn chance(&mut self, percent: u64) -> bool {
            self.next() % 100 < percent
        }
        fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
            xs[(self.next() % xs.len() as u64) as usize]
        }
    }

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel.trim_start_matches('/'));
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    fn link(root: &Path, rel: &str, dest: &str) {
        let p = root.join(rel.trim_start_matches('/'));
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        let _ = fs::remove_file(&p);
        symlink(dest, p).unwrap();
    }

    /// Build a random unit tree: a usr-merged Debian layout with vendor units, then random
    /// enable/mask/alias/link/drop-in operations.
    fn random_tree(root: &Path, rng: &mut Rng) {
        fs::create_dir_all(root.join("usr/lib/systemd/system")).unwrap();
        symlink("usr/lib", root.join("lib")).unwrap();
        let vendor = "/lib/systemd/system";
        let svc = "[Service]\nExecStart=/bin/true\n";
        write(
            root,
            &format!("{vendor}/a.service"),
            &format!("{svc}[Install]\nWantedBy=multi-user.target\n"),
        );
        write(root, &format!("{vendor}/b.service"), svc);
        write(
            root,
            &format!("{vendor}/c.service"),
            &format!("{svc}[Install]\nWantedBy=multi-user.target\nAlias=c2.service\n"),
        );
        write(
            root,
            &format!("{vendor}/d@.service"),
            &format!("{svc}[Install]\nWantedBy=getty.target\nDefaultInstance=x\n"),
        );
        write(
            root,
            &format!("{vendor}/t@.service"),
            &format!("{svc}[Install]\nWantedBy=multi-user.target\n"),
        );
        write(
            root,
            &format!("{vendor}/e.service"),
            &format!("{svc}[Install]\nAlso=a.service\n"),
        );
        write(
            root,
            &format!("{vendor}/f.socket"),
            "[Socket]\nListenStream=1\n[Install]\nWantedBy=sockets.target\n",
        );
        write(
            root,
            &format!("{vendor}/h.service"),
            &format!("{svc}[Install]\nRequiredBy=graphical.target\n"),
        );
        write(
            root,
            &format!("{vendor}/reboot.target"),
            "[Unit]\nDescription=r\n",
        );
        link(
            root,
            &format!("{vendor}/ctrl-alt-del.target"),
            "reboot.target",
        );
        write(
            root,
            "/opt/z.service",
            &format!("{svc}[Install]\nWantedBy=multi-user.target\n"),
        );
        if rng.chance(50) {
            write(
                root,
                "/etc/systemd/system/g.service",
                &format!("{svc}[Install]\nWantedBy=multi-user.target\n"),
            );
        }
        let units = [
            "a.service",
            "b.service",
            "c.service",
            "d@x.service",
            "d@y.service",
            "t@1.service",
            "e.service",
            "f.socket",
            "h.service",
            "g.service",
            "z.service",
            "ctrl-alt-del.target",
        ];
        let wants = [
            "multi-user.target.wants",
            "getty.target.wants",
            "sockets.target.wants",
            "graphical.target.requires",
            "foo.target.wants",
        ];
        let confdirs = [
            "/etc/systemd/system",
            "/etc/systemd/system",
            "/run/systemd/system",
            "/lib/systemd/system",
            "/usr/local/lib/systemd/system",
            "/etc/systemd/system.control",
            "/run/systemd/generator",
            "/run/systemd/transient",
        ];
        for _ in 0..(3 + rng.next() % 8) {
            let unit = rng.pick(&units);
            let dir = rng.pick(&confdirs);
            let target = if unit.contains('@') {
                format!(
                    "/lib/systemd/system/{}@.service",
                    unit.split('@').next().unwrap()
                )
            } else if unit == "z.service" {
                "/opt/z.service".to_string()
            } else {
                format!("/lib/systemd/system/{unit}")
            };
            match rng.next() % 10 {
                // enable via .wants/.requires, absolute or relative destination
                0..=2 => {
                    let w = rng.pick(&wants);
                    let dest = if rng.chance(30) {
                        format!("../../../..{target}")
                    } else {
                        target.clone()
                    };
                    link(root, &format!("{dir}/{w}/{unit}"), &dest);
                }
                // mask by link or empty file
                3 => {
                    if rng.chance(50) {
                        link(root, &format!("{dir}/{unit}"), "/dev/null");
                    } else {
                        write(root, &format!("{dir}/{unit}"), "");
                    }
                }
                // alias links
                4 => link(root, &format!("{dir}/c2.service"), &target),
                5 => link(root, &format!("{dir}/other.service"), &target),
                // same-name link (linked unit)
                6 => link(root, &format!("{dir}/{unit}"), &target),
                // drop-in adding or resetting [Install]
                7 => {
                    let body = rng.pick(&[
                        "[Install]\nWantedBy=multi-user.target\n",
                        "[Install]\nWantedBy=\n",
                        "[Install]\nAlias=bb.service\n",
                    ]);
                    write(root, &format!("{dir}/{unit}.d/10-x.conf"), body);
                }
                // link to an instance under another name
                8 => link(
                    root,
                    &format!(
                        "{dir}/multi-user.target.wants/d@{}.service",
                        rng.pick(&["x", "y", "q"])
                    ),
                    "/lib/systemd/system/d@.service",
                ),
                // a wants link to a unit under an alias name
                _ => link(
                    root,
                    &format!("{dir}/multi-user.target.wants/bb.service"),
                    &target,
                ),
            }
        }
    }

    const QUERY: &[&str] = &[
        "a.service",
        "b.service",
        "c.service",
        "c2.service",
        "d@.service",
        "d@x.service",
        "d@y.service",
        "d@q.service",
        "t@.service",
        "t@1.service",
        "e.service",
        "f.socket",
        "h.service",
        "g.service",
        "z.service",
        "other.service",
        "bb.service",
        "ctrl-alt-del.target",
        "reboot.target",
        "none.service",
    ];

    fn compare(root: &Path, units: &[&str], label: &str) -> Vec<String> {
        // systemctl mishandles a --root with `..` in it (ECHRNG): give both a clean path.
        let root = &fs::canonicalize(root).unwrap();
        let mut diffs = Vec::new();
        for unit in units {
            let oracle = systemctl_state(root, unit);
            let ours = match unit_state(&Host::new(root), unit) {
                Ok(s) => s.state.as_str().to_string(),
                Err(e) => format!("error: {e}"),
            };
            // Deliberate differences: a dangling alias ("Link has been severed") is
            // not-found here; and systemctl's SysV-compat pre-check of .service names
            // ("Failed to look up unit file state") searches without the generator
            // directories, an artefact of the tool, not a property of the host.
            let same = ours == oracle
                || (ours.starts_with("error") && oracle.starts_with("error"))
                || (ours == "not-found" && oracle.contains("Link has been severed"))
                || oracle.contains("Failed to look up unit file state");
            if !same {
                diffs.push(format!("{label} {unit}: ours={ours} systemctl={oracle}"));
            }
        }
        diffs
    }

    #[test]
    fn differential_against_systemctl() {
        if !tool_available("systemctl") {
            return;
        }
        let mut diffs = Vec::new();
        // The hand-made matrix.
        let matrix = fixture("service/matrix");
        let names: Vec<&str> = vec![
            "enabled.service",
            "rel.service",
            "required.service",
            "disabled.service",
            "static.service",
            "masked.service",
            "empty.service",
            "runtime.service",
            "aliased.service",
            "nick.service",
            "also.service",
            "getty@.service",
            "getty@tty1.service",
            "getty@tty2.service",
            "local.service",
            "linked.service",
            "ctrl-alt-del.target",
            "reboot.target",
            "dropin.service",
            "nothere.service",
        ];
        diffs.extend(compare(&matrix, &names, "matrix"));
        // The full-host fixtures.
        for h in ["hardened", "weak"] {
            let root = crate::testutil::host_fixture(h);
            let names = [
                "auditd.service",
                "rsyslog.service",
                "chrony.service",
                "systemd-timesyncd.service",
                "apparmor.service",
                "ctrl-alt-del.target",
                "debug-shell.service",
                "avahi-daemon.service",
                "cups.service",
                "rpcbind.service",
                "nfs-server.service",
                "autofs.service",
                "tftpd-hpa.service",
                "telnet.socket",
                "rsh.socket",
                "syslog.service",
                "getty@tty1.service",
            ];
            diffs.extend(compare(&root, &names, h));
        }
        // Generated trees.
        let cases: u64 = std::env::var("SERVICE_DIFF_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(25);
        let seeds: Vec<u64> = match std::env::var("SERVICE_DIFF_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            Some(one) => vec![one],
            None => (1..=cases).collect(),
        };
        for seed in seeds {
            let dir = tempfile::tempdir().unwrap();
            let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
            random_tree(dir.path(), &mut rng);
            let d = compare(dir.path(), QUERY, &format!("seed {seed}"));
            if !d.is_empty() && std::env::var_os("SERVICE_DIFF_KEEP").is_some() {
                let kept = dir.keep();
                eprintln!("kept tree for seed {seed}: {}", kept.display());
            }
            diffs.extend(d);
        }
        assert!(
            diffs.is_empty(),
            "{} differences:\n{}",
            diffs.len(),
            diffs.join("\n")
        );
    }
}
