//! Installed-package databases and version ordering, shared by the `package` and `patch`
//! check types.
//!
//! What is read (all through [`Host`], so under `--root` for an image):
//! - **dpkg**: `/var/lib/dpkg/status`, deb822 stanzas (`Field: value`, continuation lines
//!   start with a space or tab, stanzas are separated by blank lines). The `Status` field
//!   (`want flag state`) decides whether a package counts: see [`DpkgState`]. A malformed
//!   file is an error naming `path:line`, never a silently shorter package list.
//! - **RPM**: the sqlite database `rpmdb.sqlite` (RPM ≥ 4.16: RHEL 9+, Fedora 33+,
//!   Amazon Linux 2023) at `/var/lib/rpm/` or `/usr/lib/sysimage/rpm/`. Each row of table
//!   `Packages(hnum, blob)` is an RPM header as `headerExport` writes it: `il` (entry count,
//!   u32 big-endian), `dl` (data length), `il` index entries of 16 bytes (tag, type, offset,
//!   count) and the data store; an on-disk header may also start with the 8-byte header
//!   magic, which is skipped. Only NAME, VERSION, RELEASE, EPOCH, ARCH and PROVIDENAME are
//!   read; every offset is bounds-checked and garbage is an error, never a panic. The
//!   database is opened read-only with the `immutable=1` URI parameter: the agent never
//!   writes to (or takes locks in) the scanned tree. Because of `immutable`, changes still
//!   sitting in an un-checkpointed `-wal` file (an rpm transaction running during the scan)
//!   may be missed; rpm checkpoints when it exits.
//! - The Berkeley DB `Packages` file (RHEL ≤ 8, CentOS 7, Amazon Linux 2) and SUSE's NDB
//!   `Packages.db` are **not supported**: they give an error saying so.
//! - **apt lists** of security suites: `/var/lib/apt/lists/*_Packages` whose file name
//!   contains `-security` (see [`apt_security_index`]).
//!
//! Which database applies: `/var/lib/dpkg/status` present → dpkg; else an rpm database
//! present → RPM; else none (the package rules are then not applicable).
//!
//! Version ordering is never hand-written: dpkg ordering (epoch, upstream, revision, `~`)
//! comes from the `debversion` crate, RPM ordering (epoch, version, release, `~`, `^`) from
//! `rpm-version`; both are checked against `dpkg --compare-versions` and `rpm.vercmp` in
//! differential tests.
//!
//! Symbolic links are resolved inside the root by [`Host`] (Fedora's `/var/lib/rpm` is a
//! link to `/usr/lib/sysimage/rpm`).

use crate::host::{FileKind, Host};
use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;

/// Host path of the dpkg status database.
pub const DPKG_STATUS: &str = "/var/lib/dpkg/status";
/// Host paths of the sqlite RPM database, in the order rpm's `%_dbpath` uses them.
pub const RPMDB_SQLITE: [&str; 2] = [
    "/var/lib/rpm/rpmdb.sqlite",
    "/usr/lib/sysimage/rpm/rpmdb.sqlite",
];
/// Berkeley DB / NDB rpm databases this reader does not support.
const RPMDB_UNSUPPORTED: [(&str, &str); 3] = [
    ("/var/lib/rpm/Packages", "Berkeley DB"),
    ("/var/lib/rpm/Packages.db", "NDB"),
    ("/usr/lib/sysimage/rpm/Packages.db", "NDB"),
];
/// Where apt keeps its downloaded package indexes.
pub const APT_LISTS: &str = "/var/lib/apt/lists";

/// Why a package database could not be read: the path, the line when known, the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbError {
    /// Host path of the database file.
    pub path: String,
    /// 1-based line (text databases only).
    pub line: Option<u32>,
    /// What is wrong, lower case, no trailing period.
    pub reason: String,
}

impl DbError {
    pub(crate) fn new(path: &str, line: Option<u32>, reason: impl Into<String>) -> Self {
        DbError {
            path: path.to_string(),
            line,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {}", self.path, l, self.reason),
            None => write!(f, "{}: {}", self.path, self.reason),
        }
    }
}

impl std::error::Error for DbError {}

/// The package manager family of a database (decides the version ordering).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    /// Debian family: dpkg status, dpkg version ordering.
    Dpkg,
    /// RPM family: sqlite rpmdb, rpm version ordering.
    Rpm,
}

impl DbKind {
    /// Compare two version strings with this family's ordering.
    pub fn compare(self, a: &str, b: &str) -> Result<Ordering, String> {
        match self {
            DbKind::Dpkg => compare_deb(a, b),
            DbKind::Rpm => Ok(compare_rpm(a, b)),
        }
    }

    /// `dpkg` or `rpm`.
    pub fn name(self) -> &'static str {
        match self {
            DbKind::Dpkg => "dpkg",
            DbKind::Rpm => "rpm",
        }
    }
}

/// The installation state of a dpkg package (third word of `Status:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DpkgState {
    /// `not-installed`: only a selection is recorded.
    NotInstalled,
    /// `config-files`: removed, only conffiles remain (no binaries).
    ConfigFiles,
    /// `half-installed`: an unpack started and did not finish; files may be present.
    HalfInstalled,
    /// `unpacked`: files are on disk, not configured.
    Unpacked,
    /// `half-configured`: configuration started and did not finish.
    HalfConfigured,
    /// `triggers-awaited`: configured, waiting for another package's trigger.
    TriggersAwaited,
    /// `triggers-pending`: configured, its own triggers pending.
    TriggersPending,
    /// `installed`: unpacked and configured.
    Installed,
}

impl DpkgState {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "not-installed" => DpkgState::NotInstalled,
            "config-files" => DpkgState::ConfigFiles,
            "half-installed" => DpkgState::HalfInstalled,
            "unpacked" => DpkgState::Unpacked,
            "half-configured" => DpkgState::HalfConfigured,
            "triggers-awaited" => DpkgState::TriggersAwaited,
            "triggers-pending" => DpkgState::TriggersPending,
            "installed" => DpkgState::Installed,
            _ => return None,
        })
    }

    /// The word as dpkg writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            DpkgState::NotInstalled => "not-installed",
            DpkgState::ConfigFiles => "config-files",
            DpkgState::HalfInstalled => "half-installed",
            DpkgState::Unpacked => "unpacked",
            DpkgState::HalfConfigured => "half-configured",
            DpkgState::TriggersAwaited => "triggers-awaited",
            DpkgState::TriggersPending => "triggers-pending",
            DpkgState::Installed => "installed",
        }
    }
}

/// One package recorded in an installed-package database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// Package name (`openssh-server`).
    pub name: String,
    /// Full version as the package manager prints it: dpkg `1:9.2p1-2+deb12u3`,
    /// rpm `[epoch:]version-release` (`1:0.17-85.el9`).
    pub version: String,
    /// Architecture (`amd64`, `all`, `x86_64`, `noarch`); empty when not recorded.
    pub arch: String,
    /// dpkg state; RPM packages in the database are always `Installed`.
    pub state: DpkgState,
    /// Names this package provides (dpkg `Provides`, rpm PROVIDENAME), without versions.
    pub provides: Vec<String>,
    /// Where the record is: line of the `Package:` field (dpkg) or `None` (rpm).
    pub line: Option<u32>,
    /// RPM header number (`hnum`), for evidence.
    pub hnum: Option<i64>,
    /// Source package name: dpkg `Source:` (the binary's own name when absent), rpm
    /// SOURCERPM without its version (`openssl` for `openssl-3.0.7-27.el9.src.rpm`).
    pub source: String,
    /// Source package version: dpkg `Source: name (version)` when given, else the binary
    /// version; rpm: the binary's version (a source RPM builds its binaries at its own EVR).
    pub source_version: String,
    /// rpm INSTALLTIME (seconds since the epoch); dpkg records none in its status file.
    pub install_time: Option<i64>,
}

impl Package {
    /// Unpacked and configured: it counts as installed (`ii`, or triggers pending/awaited,
    /// which dpkg reaches only after configuration).
    pub fn is_installed(&self) -> bool {
        matches!(
            self.state,
            DpkgState::Installed | DpkgState::TriggersPending | DpkgState::TriggersAwaited
        )
    }

    /// Its files may be on disk (anything but `not-installed` and `config-files`). Rules
    /// that want a package absent use this: a half-configured telnetd still ships a daemon.
    pub fn files_on_disk(&self) -> bool {
        !matches!(self.state, DpkgState::NotInstalled | DpkgState::ConfigFiles)
    }

    /// `name version (arch)`, plus the state when it is not plain `installed`.
    pub fn describe(&self) -> String {
        let mut s = format!("{} {}", self.name, self.version);
        if !self.arch.is_empty() {
            s.push_str(&format!(" ({})", self.arch));
        }
        if self.state != DpkgState::Installed {
            s.push_str(&format!(" [{}]", self.state.as_str()));
        }
        s
    }
}

/// An installed-package database, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageDb {
    /// dpkg or rpm.
    pub kind: DbKind,
    /// Host path that was read.
    pub path: String,
    /// Every record, in file (dpkg) or header-number (rpm) order.
    pub packages: Vec<Package>,
}

impl PackageDb {
    /// Records whose name is `name` (several for multi-arch or multiple kernels).
    pub fn named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Package> + 'a {
        self.packages.iter().filter(move |p| p.name == name)
    }

    /// `path:line` (dpkg) or `path` plus header number (rpm) for a package record.
    pub fn location(&self, p: &Package) -> String {
        match (p.line, p.hnum) {
            (Some(l), _) => format!("{}:{l}", self.path),
            (None, Some(h)) => format!("{} header {h}", self.path),
            _ => self.path.clone(),
        }
    }
}

/// The scanned host's installed-package database, parsed once per scan: `Ok(None)` when
/// the host has none of the supported databases.
pub fn installed(host: &Host) -> Rc<Result<Option<PackageDb>, DbError>> {
    host.cached("pkgdb:installed", || load_installed(host))
}

fn load_installed(host: &Host) -> Result<Option<PackageDb>, DbError> {
    match host.read_optional_as(DPKG_STATUS, FileKind::PackageDb) {
        Ok(Some(text)) => {
            let packages = parse_dpkg_status(&text, DPKG_STATUS)?;
            return Ok(Some(PackageDb {
                kind: DbKind::Dpkg,
                path: DPKG_STATUS.to_string(),
                packages,
            }));
        }
        Ok(None) => {}
        Err(e) => return Err(DbError::new(DPKG_STATUS, None, e.source.to_string())),
    }
    for path in RPMDB_SQLITE {
        if host.exists(path) {
            let packages = read_rpmdb(host, path)?;
            return Ok(Some(PackageDb {
                kind: DbKind::Rpm,
                path: path.to_string(),
                packages,
            }));
        }
    }
    for (path, format) in RPMDB_UNSUPPORTED {
        if host.exists(path) {
            return Err(DbError::new(
                path,
                None,
                format!(
                    "this rpm database uses the {format} format, which hardline does not read \
                     (only the sqlite rpmdb of RPM 4.16+: RHEL 9, Fedora 33+, Amazon Linux 2023); \
                     the package rules cannot be evaluated on this host"
                ),
            ));
        }
    }
    Ok(None)
}

// ---------------------------------------------------------------------------------------
// Version ordering
// ---------------------------------------------------------------------------------------

/// Parse a Debian version (strict Debian Policy syntax, else the crate's lenient syntax
/// which also accepts `_`).
pub fn parse_deb(v: &str) -> Result<debversion::Version, String> {
    let v = v.trim();
    v.parse::<debversion::Version>()
        .or_else(|_| debversion::Version::parse_lenient(v))
        .map_err(|_| format!("invalid Debian version {v:?}"))
}

/// Compare two Debian versions as `dpkg --compare-versions` does.
pub fn compare_deb(a: &str, b: &str) -> Result<Ordering, String> {
    Ok(parse_deb(a)?.cmp(&parse_deb(b)?))
}

/// Compare two RPM `[epoch:]version[-release]` strings as `rpm.vercmp` does for full EVRs.
///
/// When either side has no release (`8.7p1`), only epoch and version are compared, as rpm
/// does for a dependency range without release (`openssh >= 8.7p1` is met by `8.7p1-38.el9`).
pub fn compare_rpm(a: &str, b: &str) -> Ordering {
    let ea = rpm_version::Evr::parse(a.trim());
    let eb = rpm_version::Evr::parse(b.trim());
    if ea.release().is_empty() || eb.release().is_empty() {
        let ea = rpm_version::Evr::new(ea.epoch(), ea.version(), "");
        let eb = rpm_version::Evr::new(eb.epoch(), eb.version(), "");
        return ea.cmp(&eb);
    }
    ea.cmp(&eb)
}

// ---------------------------------------------------------------------------------------
// deb822 (dpkg status, apt Packages lists)
// ---------------------------------------------------------------------------------------

/// One deb822 stanza: fields in order, with the line each starts on.
#[derive(Debug, Default)]
struct Stanza<'a> {
    line: u32,
    fields: Vec<(&'a str, String, u32)>,
}

impl Stanza<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v, _)| v.as_str())
    }

    fn line_of(&self, name: &str) -> u32 {
        self.fields
            .iter()
            .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, _, l)| *l)
            .unwrap_or(self.line)
    }
}

/// Split deb822 text into stanzas. `keep` says which fields to store (others are checked
/// for syntax and dropped, which keeps big apt lists cheap).
fn parse_deb822<'a>(
    text: &'a str,
    path: &str,
    keep: &dyn Fn(&str) -> bool,
) -> Result<Vec<Stanza<'a>>, DbError> {
    let mut out = Vec::new();
    let mut cur: Option<Stanza<'a>> = None;
    // Whether the last field line was kept (so that continuation lines append to it).
    let mut last_kept = false;
    let mut seen: Vec<&'a str> = Vec::new();
    for (idx, raw) in text.split('\n').enumerate() {
        let lineno = u32::try_from(idx + 1).unwrap_or(u32::MAX);
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            if let Some(s) = cur.take() {
                out.push(s);
            }
            seen.clear();
            last_kept = false;
            continue;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            let Some(s) = cur.as_mut() else {
                return Err(DbError::new(
                    path,
                    Some(lineno),
                    "continuation line outside of a field",
                ));
            };
            if last_kept {
                if let Some((_, v, _)) = s.fields.last_mut() {
                    v.push('\n');
                    v.push_str(line.trim());
                }
            }
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(DbError::new(
                path,
                Some(lineno),
                format!("expected `Field: value`, found {:?}", truncate(line, 60)),
            ));
        };
        let valid_name = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
            && name.chars().all(|c| c.is_ascii_graphic());
        if !valid_name {
            return Err(DbError::new(
                path,
                Some(lineno),
                format!("invalid field name {:?}", truncate(name, 60)),
            ));
        }
        if seen.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            return Err(DbError::new(
                path,
                Some(lineno),
                format!("duplicate field {name:?} in one stanza"),
            ));
        }
        seen.push(name);
        let s = cur.get_or_insert_with(|| Stanza {
            line: lineno,
            fields: Vec::new(),
        });
        last_kept = keep(name);
        if last_kept {
            s.fields.push((name, value.trim().to_string(), lineno));
        }
    }
    if let Some(s) = cur.take() {
        out.push(s);
    }
    Ok(out)
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

/// Names in a dependency-style list (`Provides: a (= 1), b`), without versions or
/// architecture qualifiers.
fn relation_names(value: &str) -> Vec<String> {
    value
        .split([',', '|'])
        .filter_map(|item| {
            let name = item.split_whitespace().next()?;
            let name = name.split('(').next().unwrap_or(name);
            let name = name.split(':').next().unwrap_or(name);
            (!name.is_empty()).then(|| name.to_string())
        })
        .collect()
}

/// The source package of a dpkg record: `Source: name` or `Source: name (version)` (the
/// source version differs from the binary's for binNMUs and for packages such as the signed
/// kernel images); without the field the source is the binary itself.
pub fn dpkg_source(field: Option<&str>, name: &str, version: &str) -> (String, String) {
    let Some(field) = field.map(str::trim).filter(|f| !f.is_empty()) else {
        return (name.to_string(), version.to_string());
    };
    match field.split_once('(') {
        Some((src, rest)) => {
            let v = rest.trim_end().trim_end_matches(')').trim();
            let v = if v.is_empty() { version } else { v };
            (src.trim().to_string(), v.to_string())
        }
        None => (field.to_string(), version.to_string()),
    }
}

/// Parse the text of a dpkg status file. `path` names it in errors.
pub fn parse_dpkg_status(text: &str, path: &str) -> Result<Vec<Package>, DbError> {
    let keep = |n: &str| {
        [
            "Package",
            "Status",
            "Version",
            "Architecture",
            "Provides",
            "Source",
        ]
        .iter()
        .any(|k| k.eq_ignore_ascii_case(n))
    };
    let stanzas = parse_deb822(text, path, &keep)?;
    let mut out = Vec::with_capacity(stanzas.len());
    for s in stanzas {
        let Some(name) = s.get("Package").filter(|n| !n.is_empty()) else {
            return Err(DbError::new(
                path,
                Some(s.line),
                "stanza has no Package field",
            ));
        };
        let Some(status) = s.get("Status") else {
            return Err(DbError::new(
                path,
                Some(s.line),
                format!("package {name:?} has no Status field"),
            ));
        };
        let words: Vec<&str> = status.split_whitespace().collect();
        let state = match words.as_slice() {
            [_want, _flag, state] => DpkgState::parse(state),
            _ => None,
        };
        let Some(state) = state else {
            return Err(DbError::new(
                path,
                Some(s.line_of("Status")),
                format!("package {name:?} has an invalid Status {status:?} (expected `want flag state`)"),
            ));
        };
        let version = s.get("Version").unwrap_or("").to_string();
        if version.is_empty() && state != DpkgState::NotInstalled {
            return Err(DbError::new(
                path,
                Some(s.line),
                format!("package {name:?} ({}) has no Version", state.as_str()),
            ));
        }
        let (source, source_version) = dpkg_source(s.get("Source"), name, &version);
        out.push(Package {
            name: name.to_string(),
            arch: s.get("Architecture").unwrap_or("").to_string(),
            state,
            provides: s.get("Provides").map(relation_names).unwrap_or_default(),
            line: Some(s.line_of("Package")),
            hnum: None,
            source,
            source_version,
            version,
            install_time: None,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// RPM headers and the sqlite rpmdb
// ---------------------------------------------------------------------------------------

/// RPM header magic (`8e ad e8 01` + 4 reserved bytes) that precedes a header in a package
/// file; the rpmdb blob normally omits it.
const HEADER_MAGIC: [u8; 4] = [0x8e, 0xad, 0xe8, 0x01];
/// rpm refuses headers with more index entries than this (`hdrchkTags`).
const MAX_INDEX_ENTRIES: u32 = 0xffff;
/// rpm refuses headers with a larger data store than this (`hdrchkData`, 256 MiB).
const MAX_DATA_LEN: u32 = 256 * 1024 * 1024;

const TAG_NAME: u32 = 1000;
const TAG_VERSION: u32 = 1001;
const TAG_RELEASE: u32 = 1002;
const TAG_EPOCH: u32 = 1003;
const TAG_ARCH: u32 = 1022;
const TAG_PROVIDENAME: u32 = 1047;
const TAG_INSTALLTIME: u32 = 1008;
const TAG_SOURCERPM: u32 = 1044;

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// The fields of an RPM header that the checks use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpmHeader {
    /// NAME (1000).
    pub name: String,
    /// EPOCH (1003), absent for most packages.
    pub epoch: Option<u32>,
    /// VERSION (1001).
    pub version: String,
    /// RELEASE (1002).
    pub release: String,
    /// ARCH (1022); absent for `gpg-pubkey` pseudo-packages.
    pub arch: Option<String>,
    /// PROVIDENAME (1047).
    pub provides: Vec<String>,
    /// SOURCERPM (1044): `name-version-release.src.rpm`; absent for `gpg-pubkey`.
    pub source_rpm: Option<String>,
    /// INSTALLTIME (1008), seconds since the epoch.
    pub install_time: Option<u32>,
}

/// The source package name of a SOURCERPM value: `openssl-3.0.7-27.el9.src.rpm` →
/// `openssl` (name, version and release are split at the last two dashes).
pub fn source_rpm_name(source_rpm: &str) -> Option<&str> {
    let base = source_rpm
        .strip_suffix(".src.rpm")
        .or_else(|| source_rpm.strip_suffix(".nosrc.rpm"))?;
    let (nv, _release) = base.rsplit_once('-')?;
    let (name, _version) = nv.rsplit_once('-')?;
    (!name.is_empty()).then_some(name)
}

impl RpmHeader {
    /// `[epoch:]version-release`, as `rpm -q --qf '%{EVR}'` prints it.
    pub fn evr(&self) -> String {
        match self.epoch {
            Some(e) => format!("{e}:{}-{}", self.version, self.release),
            None => format!("{}-{}", self.version, self.release),
        }
    }
}

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// Parse an RPM header blob (as stored in `Packages.blob`, with or without the magic).
pub fn parse_rpm_header(blob: &[u8]) -> Result<RpmHeader, String> {
    let blob = if blob.starts_with(&HEADER_MAGIC) {
        blob.get(8..).ok_or("truncated header magic")?
    } else {
        blob
    };
    let il = be_u32(blob, 0).ok_or("header shorter than its 8-byte preamble")?;
    let dl = be_u32(blob, 4).ok_or("header shorter than its 8-byte preamble")?;
    if il == 0 || il > MAX_INDEX_ENTRIES {
        return Err(format!("implausible index entry count {il}"));
    }
    if dl > MAX_DATA_LEN {
        return Err(format!("implausible data length {dl}"));
    }
    let index_len = (il as usize) * 16;
    let data_start = 8 + index_len;
    let data_end = data_start + dl as usize;
    if blob.len() < data_end {
        return Err(format!(
            "header of {} bytes is shorter than its declared size {data_end} ({il} entries, {dl} data bytes)",
            blob.len()
        ));
    }
    let data = &blob[data_start..data_end];

    let mut fields: HashMap<u32, (u32, usize, u32)> = HashMap::new();
    for i in 0..il as usize {
        let at = 8 + i * 16;
        let (Some(tag), Some(ty), Some(off), Some(count)) = (
            be_u32(blob, at),
            be_u32(blob, at + 4),
            be_u32(blob, at + 8),
            be_u32(blob, at + 12),
        ) else {
            return Err("truncated index entry".to_string());
        };
        if matches!(
            tag,
            TAG_NAME
                | TAG_VERSION
                | TAG_RELEASE
                | TAG_EPOCH
                | TAG_ARCH
                | TAG_PROVIDENAME
                | TAG_SOURCERPM
                | TAG_INSTALLTIME
        ) {
            if off as usize >= data.len() {
                return Err(format!(
                    "tag {tag}: offset {off} outside the {}-byte data store",
                    data.len()
                ));
            }
            fields.entry(tag).or_insert((ty, off as usize, count));
        }
    }

    let string = |tag: u32| -> Result<Option<String>, String> {
        let Some(&(ty, off, _)) = fields.get(&tag) else {
            return Ok(None);
        };
        if ty != TYPE_STRING && ty != TYPE_I18NSTRING && ty != TYPE_STRING_ARRAY {
            return Err(format!("tag {tag}: type {ty} is not a string"));
        }
        read_cstr(data, off)
            .map(Some)
            .ok_or_else(|| format!("tag {tag}: string at offset {off} is not NUL-terminated"))
    };
    let required = |tag: u32, what: &str| -> Result<String, String> {
        string(tag)?.ok_or_else(|| format!("header has no {what} (tag {tag})"))
    };

    let name = required(TAG_NAME, "NAME")?;
    let version = required(TAG_VERSION, "VERSION")?;
    let release = required(TAG_RELEASE, "RELEASE")?;
    let arch = string(TAG_ARCH)?;
    let epoch = match fields.get(&TAG_EPOCH) {
        None => None,
        Some(&(ty, off, count)) => {
            if ty != TYPE_INT32 || count < 1 {
                return Err(format!(
                    "tag {TAG_EPOCH}: type {ty} count {count} is not an INT32"
                ));
            }
            Some(be_u32(data, off).ok_or("tag 1003: INT32 runs past the data store")?)
        }
    };
    let mut provides = Vec::new();
    if let Some(&(ty, off, count)) = fields.get(&TAG_PROVIDENAME) {
        if ty != TYPE_STRING_ARRAY {
            return Err(format!(
                "tag {TAG_PROVIDENAME}: type {ty} is not a string array"
            ));
        }
        let mut at = off;
        for _ in 0..count {
            let Some(s) = read_cstr(data, at) else {
                return Err(format!(
                    "tag {TAG_PROVIDENAME}: string array runs past the data store"
                ));
            };
            at += s.len() + 1;
            provides.push(s);
        }
    }
    let source_rpm = string(TAG_SOURCERPM)?;
    let install_time = match fields.get(&TAG_INSTALLTIME) {
        Some(&(TYPE_INT32, off, count)) if count >= 1 => be_u32(data, off),
        Some(&(ty, _, _)) => {
            return Err(format!("tag {TAG_INSTALLTIME}: type {ty} is not an INT32"));
        }
        None => None,
    };
    Ok(RpmHeader {
        name,
        epoch,
        version,
        release,
        arch,
        provides,
        source_rpm,
        install_time,
    })
}

/// A NUL-terminated string at `off` in `data` (lossy UTF-8), `None` without a terminator.
fn read_cstr(data: &[u8], off: usize) -> Option<String> {
    let rest = data.get(off..)?;
    let end = rest.iter().position(|&b| b == 0)?;
    Some(String::from_utf8_lossy(&rest[..end]).into_owned())
}

/// Percent-encode a file path for an SQLite `file:` URI.
fn sqlite_uri(path: &std::path::Path) -> String {
    let mut out = String::from("file:");
    for b in path.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out.push_str("?immutable=1");
    out
}

/// Read every header of a sqlite rpmdb (host path `host_path`).
pub fn read_rpmdb(host: &Host, host_path: &str) -> Result<Vec<Package>, DbError> {
    let err = |reason: String| DbError::new(host_path, None, reason);
    // The database must be a readable regular file within max_db_bytes: sqlite would
    // otherwise create one, block on a FIFO, or read a device without end.
    let real = host
        .regular_file(host_path, FileKind::PackageDb)
        .map_err(|e| err(e.source.to_string()))?;
    use rusqlite::OpenFlags;
    let conn = rusqlite::Connection::open_with_flags(
        sqlite_uri(&real),
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| err(format!("cannot open as sqlite: {e}")))?;
    let mut stmt = conn
        .prepare("SELECT hnum, blob FROM Packages ORDER BY hnum")
        .map_err(|e| err(format!("not an rpm sqlite database: {e}")))?;
    let rows = stmt
        .query_map([], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?))
        })
        .map_err(|e| err(format!("cannot read table Packages: {e}")))?;
    let mut out = Vec::new();
    for row in rows {
        let (hnum, blob) = row.map_err(|e| err(format!("cannot read table Packages: {e}")))?;
        let h = parse_rpm_header(&blob).map_err(|e| err(format!("header {hnum}: {e}")))?;
        let version = h.evr();
        let source = h
            .source_rpm
            .as_deref()
            .and_then(source_rpm_name)
            .unwrap_or(&h.name)
            .to_string();
        out.push(Package {
            source_version: version.clone(),
            version,
            name: h.name,
            arch: h.arch.unwrap_or_default(),
            state: DpkgState::Installed,
            provides: h.provides,
            line: None,
            hnum: Some(hnum),
            source,
            install_time: h.install_time.map(i64::from),
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// apt lists of security suites
// ---------------------------------------------------------------------------------------

/// One package version offered by an apt list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Version offered.
    pub version: String,
    /// Architecture (`amd64`, `all`).
    pub arch: String,
    /// Index into [`AptIndex::lists`].
    pub list: usize,
    /// Line of the stanza's `Package:` field in that list.
    pub line: u32,
}

/// The package versions that the host's security suites offer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AptIndex {
    /// Host paths of the `*-security*_Packages` lists read.
    pub lists: Vec<String>,
    /// Security lists present only in a compressed form hardline cannot read (xz, zstd,
    /// bzip2); gzip and lz4 lists are read.
    pub compressed: Vec<String>,
    /// For each list, the `Date:` of its suite's `InRelease`/`Release` file, when found
    /// (`YYYY-MM-DD`).
    pub dates: Vec<Option<String>>,
    /// Package name → versions offered.
    pub packages: HashMap<String, Vec<Candidate>>,
}

/// The host's security-suite apt lists, parsed once per scan.
pub fn apt_security_index(host: &Host) -> Rc<Result<AptIndex, DbError>> {
    host.cached("pkgdb:apt-security", || load_apt_security(host))
}

fn load_apt_security(host: &Host) -> Result<AptIndex, DbError> {
    let entries = host
        .read_dir_sorted(APT_LISTS)
        .map_err(|e| DbError::new(APT_LISTS, None, e.source.to_string()))?;
    let mut index = AptIndex::default();
    let plain: std::collections::HashSet<&str> = entries
        .iter()
        .filter(|e| e.name.ends_with("_Packages"))
        .map(|e| e.name.as_str())
        .collect();
    for e in &entries {
        if !e.name.contains("-security") {
            continue;
        }
        let text = if e.name.ends_with("_Packages") {
            host.read_to_string_as(&e.host_path, FileKind::PackageDb)
                .map_err(|err| DbError::new(&e.host_path, None, err.source.to_string()))?
        } else if let Some((base, codec)) = compressed_list(&e.name) {
            if plain.contains(base) {
                continue; // the uncompressed copy is read instead
            }
            let bytes = host
                .read_bytes_as(&e.host_path, FileKind::PackageDb)
                .map_err(|err| DbError::new(&e.host_path, None, err.source.to_string()))?;
            match decompress(codec, &bytes, host.limits().max_db_bytes) {
                Some(Ok(text)) => text,
                Some(Err(reason)) => return Err(DbError::new(&e.host_path, None, reason)),
                None => {
                    index.compressed.push(e.host_path.clone());
                    continue;
                }
            }
        } else {
            continue;
        };
        let base = compressed_list(&e.name).map_or(e.name.as_str(), |(b, _)| b);
        let list = index.lists.len();
        parse_apt_packages(&text, &e.host_path, list, &mut index.packages)?;
        index.lists.push(e.host_path.clone());
        index.dates.push(release_date(host, base)?);
    }
    Ok(index)
}

/// `(base name, codec)` for a compressed list name (`…_Packages.lz4`).
fn compressed_list(name: &str) -> Option<(&str, &str)> {
    ["gz", "xz", "lz4", "zst", "bz2"].into_iter().find_map(|c| {
        name.strip_suffix(&format!("_Packages.{c}")[..])
            .map(|_| (&name[..name.len() - c.len() - 1], c))
    })
}

/// Decompress an apt list: gzip and lz4 (what `Acquire::GzipIndexes` and Docker's Debian
/// images write) are read; `None` for codecs not supported (xz, zstd, bzip2). The
/// decompressed list is bounded by `limit` (max_db_bytes) as an uncompressed one is.
fn decompress(codec: &str, bytes: &[u8], limit: u64) -> Option<Result<String, String>> {
    use std::io::Read;
    let mut out = Vec::new();
    let take = limit.saturating_add(1);
    let result = match codec {
        "gz" => flate2::read::GzDecoder::new(bytes)
            .take(take)
            .read_to_end(&mut out),
        "lz4" => lz4_flex::frame::FrameDecoder::new(bytes)
            .take(take)
            .read_to_end(&mut out),
        _ => return None,
    };
    if result.is_ok() && out.len() as u64 > limit {
        return Some(Err(format!(
            "decompressed {codec} list larger than {limit} bytes (limit max_db_bytes)"
        )));
    }
    Some(
        result
            .map_err(|e| format!("cannot decompress {codec} list: {e}"))
            .map(|_| {
                String::from_utf8(out)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
            }),
    )
}

/// Parse an apt `Packages` list into `into` (name → candidates).
///
/// Security lists are large (a few MB uncompressed) and written by apt, so this reads only
/// the three fields it needs, line by line, without building stanzas: other lines are
/// skipped. A stanza without `Package` or `Version` is an error naming its line.
pub fn parse_apt_packages(
    text: &str,
    path: &str,
    list: usize,
    into: &mut HashMap<String, Vec<Candidate>>,
) -> Result<(), DbError> {
    #[derive(Default)]
    struct Cur<'a> {
        start: u32,
        name: Option<(&'a str, u32)>,
        version: Option<&'a str>,
        arch: Option<&'a str>,
    }
    let mut flush = |cur: &mut Cur<'_>| -> Result<(), DbError> {
        let c = std::mem::take(cur);
        if c.start == 0 {
            return Ok(());
        }
        let (Some((name, line)), Some(version)) = (c.name, c.version) else {
            return Err(DbError::new(
                path,
                Some(c.start),
                "stanza lacks Package or Version",
            ));
        };
        into.entry(name.to_string()).or_default().push(Candidate {
            version: version.to_string(),
            arch: c.arch.unwrap_or("").to_string(),
            list,
            line,
        });
        Ok(())
    };
    let mut cur = Cur::default();
    for (idx, raw) in text.split('\n').enumerate() {
        let lineno = u32::try_from(idx + 1).unwrap_or(u32::MAX);
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            flush(&mut cur)?;
            continue;
        }
        if cur.start == 0 {
            cur.start = lineno;
        }
        let field = |prefix: &str| {
            line.get(..prefix.len())
                .filter(|p| p.eq_ignore_ascii_case(prefix))
                .map(|_| line[prefix.len()..].trim())
        };
        if let Some(v) = field("Package:") {
            cur.name = Some((v, lineno));
        } else if let Some(v) = field("Version:") {
            cur.version = Some(v);
        } else if let Some(v) = field("Architecture:") {
            cur.arch = Some(v);
        }
    }
    flush(&mut cur)
}

/// The `Date:` (as `YYYY-MM-DD`) of the `InRelease`/`Release` file that goes with a list
/// named `<site>_dists_<suite>_<component>_binary-<arch>_Packages`.
fn release_date(host: &Host, list_name: &str) -> Result<Option<String>, DbError> {
    let Some(at) = list_name.find("_dists_").map(|i| i + "_dists_".len()) else {
        return Ok(None);
    };
    let Some(suite_end) = list_name[at..].find('_').map(|i| at + i) else {
        return Ok(None);
    };
    let prefix = &list_name[..=suite_end];
    for file in ["InRelease", "Release"] {
        let path = format!("{APT_LISTS}/{prefix}{file}");
        // An unreadable Release file is an error: apt reads it, and without it the lists'
        // age would silently come from the other lists alone.
        let read = host
            .read_optional(&path)
            .map_err(|e| DbError::new(&path, None, e.source.to_string()))?;
        if let Some(text) = read {
            let date = text
                .lines()
                .find_map(|l| l.strip_prefix("Date:"))
                .and_then(parse_rfc2822_date);
            if date.is_some() {
                return Ok(date);
            }
        }
    }
    Ok(None)
}

/// `Sat, 16 Nov 2024 10:11:12 UTC` → `2024-11-16`.
fn parse_rfc2822_date(v: &str) -> Option<String> {
    let mut words = v.split_whitespace();
    let mut first = words.next()?;
    if first.ends_with(',') {
        first = words.next()?;
    }
    let day: u8 = first.parse().ok()?;
    let month = match words.next()?.to_ascii_lowercase().as_str() {
        "jan" => 1,
        "feb" => 2,
        "mar" => 3,
        "apr" => 4,
        "may" => 5,
        "jun" => 6,
        "jul" => 7,
        "aug" => 8,
        "sep" => 9,
        "oct" => 10,
        "nov" => 11,
        "dec" => 12,
        _ => return None,
    };
    let year: u16 = words.next()?.parse().ok()?;
    if !(1..=31).contains(&day) {
        return None;
    }
    Some(format!("{year:04}-{month:02}-{day:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{fixture, tool_available};
    use proptest::prelude::*;

    // ---- dpkg status ----

    fn status(case: &str) -> (Host, Result<Option<PackageDb>, DbError>) {
        let host = Host::new(fixture(&format!("pkgdb/{case}")));
        let r = (*installed(&host)).clone();
        (host, r)
    }

    #[test]
    fn dpkg_states_multiarch_and_continuations() {
        let (_, db) = status("dpkg_mixed");
        let db = db.unwrap().unwrap();
        assert_eq!(db.kind, DbKind::Dpkg);
        let names: Vec<_> = db
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.arch.as_str(), p.state, p.is_installed()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("libc6", "amd64", DpkgState::Installed, true),
                ("libc6", "i386", DpkgState::Installed, true),
                ("openssh-server", "amd64", DpkgState::Installed, true),
                ("telnetd", "amd64", DpkgState::ConfigFiles, false),
                ("rsh-server", "amd64", DpkgState::HalfInstalled, false),
                (
                    "inetutils-telnetd",
                    "amd64",
                    DpkgState::TriggersPending,
                    true
                ),
                ("nis", "", DpkgState::NotInstalled, false),
            ]
        );
        let ssh = db.named("openssh-server").next().unwrap();
        assert_eq!(ssh.version, "1:9.2p1-2+deb12u3");
        assert_eq!(db.location(ssh), "/var/lib/dpkg/status:31");
        let tel = db.named("inetutils-telnetd").next().unwrap();
        assert_eq!(tel.provides, vec!["telnet-server"]);
        assert!(db.named("rsh-server").next().unwrap().files_on_disk());
        assert!(!db.named("telnetd").next().unwrap().files_on_disk());
    }

    #[test]
    fn dpkg_malformed_names_path_and_line() {
        let (_, db) = status("dpkg_malformed");
        let e = db.unwrap_err();
        assert_eq!(e.path, "/var/lib/dpkg/status");
        assert_eq!(e.line, Some(7));
        assert!(
            e.to_string()
                .starts_with("/var/lib/dpkg/status:7: expected `Field: value`"),
            "{e}"
        );
    }

    #[test]
    fn dpkg_errors_in_text() {
        let cases = [
            (" leading continuation\n", 1, "continuation line outside"),
            ("Package: a\nPackage: b\n", 2, "duplicate field"),
            (
                "Version: 1\nStatus: install ok installed\n",
                1,
                "no Package field",
            ),
            ("Package: a\nVersion: 1\n", 1, "no Status field"),
            (
                "Package: a\nStatus: install ok bogus\nVersion: 1\n",
                2,
                "invalid Status",
            ),
            (
                "Package: a\nStatus: install ok installed\n",
                1,
                "no Version",
            ),
            ("Package: a\n#comment: x\n", 2, "invalid field name"),
        ];
        for (text, line, what) in cases {
            let e = parse_dpkg_status(text, "/s").unwrap_err();
            assert_eq!(e.line, Some(line), "{text:?}: {e}");
            assert!(e.reason.contains(what), "{text:?}: {e}");
        }
        // CRLF and trailing blank lines are tolerated; an empty file is an empty database.
        let p = parse_dpkg_status(
            "Package: a\r\nStatus: install ok installed\r\nVersion: 1\r\n\r\n\r\n",
            "/s",
        )
        .unwrap();
        assert_eq!(p[0].version, "1");
        assert!(parse_dpkg_status("", "/s").unwrap().is_empty());
    }

    #[test]
    fn no_database_and_unsupported_berkeley_db() {
        let (_, db) = status("none");
        assert_eq!(db.unwrap(), None);
        let (_, db) = status("rpm_bdb");
        let e = db.unwrap_err();
        assert_eq!(e.path, "/var/lib/rpm/Packages");
        assert!(e.reason.contains("Berkeley DB"), "{e}");
        assert!(e.reason.contains("does not read"), "{e}");
    }

    #[test]
    fn the_database_is_parsed_once_per_scan() {
        let host = Host::new(fixture("pkgdb/dpkg_mixed"));
        let a = installed(&host);
        let b = installed(&host);
        assert!(Rc::ptr_eq(&a, &b));
    }

    // ---- RPM headers ----

    /// Build a header blob with the exact on-disk layout: il, dl, index, data.
    pub(crate) fn build_header(
        name: &str,
        epoch: Option<u32>,
        version: &str,
        release: &str,
        arch: Option<&str>,
        provides: &[&str],
    ) -> Vec<u8> {
        let mut entries: Vec<(u32, u32, u32, u32)> = Vec::new();
        let mut data: Vec<u8> = Vec::new();
        // A region tag first, as rpm writes it (HEADERIMMUTABLE, BIN, 16 bytes at offset 0).
        entries.push((63, 7, 0, 16));
        data.extend_from_slice(&[0u8; 16]);
        let mut push_str = |tag: u32, s: &str, entries: &mut Vec<(u32, u32, u32, u32)>| {
            entries.push((tag, 6, data.len() as u32, 1));
            data.extend_from_slice(s.as_bytes());
            data.push(0);
        };
        push_str(TAG_NAME, name, &mut entries);
        push_str(TAG_VERSION, version, &mut entries);
        push_str(TAG_RELEASE, release, &mut entries);
        if let Some(a) = arch {
            push_str(TAG_ARCH, a, &mut entries);
        }
        if let Some(e) = epoch {
            while data.len() % 4 != 0 {
                data.push(0);
            }
            entries.push((TAG_EPOCH, 4, data.len() as u32, 1));
            data.extend_from_slice(&e.to_be_bytes());
        }
        if !provides.is_empty() {
            entries.push((TAG_PROVIDENAME, 8, data.len() as u32, provides.len() as u32));
            for p in provides {
                data.extend_from_slice(p.as_bytes());
                data.push(0);
            }
        }
        let mut out = Vec::new();
        out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        for (t, ty, off, c) in entries {
            for v in [t, ty, off, c] {
                out.extend_from_slice(&v.to_be_bytes());
            }
        }
        out.extend_from_slice(&data);
        out
    }

    /// Write an rpmdb.sqlite with the given header blobs (as rpm's schema).
    pub(crate) fn write_rpmdb(path: &std::path::Path, blobs: &[Vec<u8>]) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.execute_batch(
            "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);",
        )
        .unwrap();
        for b in blobs {
            conn.execute("INSERT INTO Packages (blob) VALUES (?1)", [b])
                .unwrap();
        }
    }

    #[test]
    fn rpm_header_fields() {
        let b = build_header(
            "telnet-server",
            Some(1),
            "0.17",
            "85.el9",
            Some("x86_64"),
            &["telnet-server", "telnet-server(x86-64)"],
        );
        let h = parse_rpm_header(&b).unwrap();
        assert_eq!(h.name, "telnet-server");
        assert_eq!(h.evr(), "1:0.17-85.el9");
        assert_eq!(h.arch.as_deref(), Some("x86_64"));
        assert_eq!(h.provides, vec!["telnet-server", "telnet-server(x86-64)"]);
        // With the header magic in front.
        let mut m = vec![0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0];
        m.extend_from_slice(&b);
        assert_eq!(parse_rpm_header(&m).unwrap(), h);
        // No epoch, no arch (gpg-pubkey).
        let h = parse_rpm_header(&build_header(
            "gpg-pubkey",
            None,
            "fd431d51",
            "4ae0493b",
            None,
            &[],
        ))
        .unwrap();
        assert_eq!(h.evr(), "fd431d51-4ae0493b");
        assert_eq!(h.arch, None);
    }

    #[test]
    fn rpm_header_garbage_is_an_error() {
        let good = build_header("a", None, "1", "1", Some("noarch"), &[]);
        assert!(parse_rpm_header(&[]).is_err());
        assert!(parse_rpm_header(&good[..good.len() - 1])
            .unwrap_err()
            .contains("shorter"));
        let mut bad = good.clone();
        bad[0..4].copy_from_slice(&0x10000u32.to_be_bytes());
        assert!(parse_rpm_header(&bad).unwrap_err().contains("implausible"));
        // NAME's offset pointing past the data store.
        let mut bad = good.clone();
        let name_entry = 8 + 16; // second entry (after the region tag)
        bad[name_entry + 8..name_entry + 12].copy_from_slice(&9999u32.to_be_bytes());
        assert!(parse_rpm_header(&bad).unwrap_err().contains("outside"));
        // A string without its NUL terminator (last byte of the store).
        let mut bad = good.clone();
        let n = bad.len();
        bad[n - 1] = b'x';
        assert!(parse_rpm_header(&bad).unwrap_err().contains("NUL"));
    }

    #[test]
    fn rpmdb_sqlite_is_read_read_only() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("var/lib/rpm/rpmdb.sqlite");
        write_rpmdb(
            &db,
            &[
                build_header("bash", None, "5.1.8", "9.el9", Some("x86_64"), &["bash"]),
                build_header(
                    "telnet-server",
                    Some(1),
                    "0.17",
                    "85.el9",
                    Some("x86_64"),
                    &[],
                ),
            ],
        );
        let before = std::fs::read(&db).unwrap();
        let host = Host::new(dir.path());
        let pdb = (*installed(&host)).clone().unwrap().unwrap();
        assert_eq!(pdb.kind, DbKind::Rpm);
        assert_eq!(pdb.path, "/var/lib/rpm/rpmdb.sqlite");
        let t = pdb.named("telnet-server").next().unwrap();
        assert_eq!(t.version, "1:0.17-85.el9");
        assert_eq!(pdb.location(t), "/var/lib/rpm/rpmdb.sqlite header 2");
        // Nothing was written next to or into the database.
        assert_eq!(std::fs::read(&db).unwrap(), before);
        let names: Vec<_> = std::fs::read_dir(db.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["rpmdb.sqlite"]);
    }

    #[test]
    fn rpmdb_errors() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("var/lib/rpm/rpmdb.sqlite");
        write_rpmdb(&db, &[b"\x00\x00\x00\x01garbage".to_vec()]);
        let e = read_rpmdb(&Host::new(dir.path()), "/var/lib/rpm/rpmdb.sqlite").unwrap_err();
        assert!(e.reason.starts_with("header 1:"), "{e}");
        // Not a sqlite file at all.
        std::fs::write(&db, b"this is not sqlite").unwrap();
        let e = read_rpmdb(&Host::new(dir.path()), "/var/lib/rpm/rpmdb.sqlite").unwrap_err();
        assert!(
            e.to_string().starts_with("/var/lib/rpm/rpmdb.sqlite: "),
            "{e}"
        );
        // A sqlite file without the Packages table.
        std::fs::remove_file(&db).unwrap();
        rusqlite::Connection::open(&db)
            .unwrap()
            .execute_batch("CREATE TABLE x (a)")
            .unwrap();
        let e = read_rpmdb(&Host::new(dir.path()), "/var/lib/rpm/rpmdb.sqlite").unwrap_err();
        assert!(e.reason.contains("not an rpm sqlite database"), "{e}");
    }

    #[test]
    fn fedora_sysimage_symlink_is_followed_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        write_rpmdb(
            &dir.path().join("usr/lib/sysimage/rpm/rpmdb.sqlite"),
            &[build_header(
                "kernel-core",
                None,
                "6.11.4",
                "301.fc41",
                Some("x86_64"),
                &[],
            )],
        );
        std::fs::create_dir_all(dir.path().join("var/lib")).unwrap();
        std::os::unix::fs::symlink("../../usr/lib/sysimage/rpm", dir.path().join("var/lib/rpm"))
            .unwrap();
        let host = Host::new(dir.path());
        let pdb = (*installed(&host)).clone().unwrap().unwrap();
        assert_eq!(pdb.packages[0].version, "6.11.4-301.fc41");
    }

    /// A real rpmdb written by rpm itself (rpmbuild + `rpm -i --justdb`), read by our parser
    /// and compared with `rpm -qa`.
    #[test]
    fn differential_real_rpmdb() {
        if !tool_available("rpm") || !tool_available("rpmbuild") {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path().join("top");
        let dbpath = dir.path().join("root/var/lib/rpm");
        std::fs::create_dir_all(top.join("SPECS")).unwrap();
        std::fs::create_dir_all(&dbpath).unwrap();
        let specs = [
            ("telnet-server", "Epoch: 1\n", "0.17", "85.el9", "x86_64"),
            ("openssh-server", "", "8.7p1", "38.el9_4.1", "x86_64"),
            ("tzdata", "", "2024a", "1.el9", "noarch"),
        ];
        let mut rpms = Vec::new();
        for (name, epoch, version, release, arch) in specs {
            let spec = top.join(format!("SPECS/{name}.spec"));
            std::fs::write(
                &spec,
                format!(
                    "Name: {name}\n{epoch}Version: {version}\nRelease: {release}\nSummary: t\n\
                     License: MIT\nBuildArch: {arch}\nProvides: virtual-{name}\n%description\nt\n%files\n"
                ),
            )
            .unwrap();
            let out = std::process::Command::new("rpmbuild")
                .args(["--define", &format!("_topdir {}", top.display())])
                .args(["--define", "_build_id_links none", "-bb"])
                .arg(&spec)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            rpms.push(top.join(format!("RPMS/{arch}/{name}-{version}-{release}.{arch}.rpm")));
        }
        let out = std::process::Command::new("rpm")
            .arg("--dbpath")
            .arg(&dbpath)
            .args([
                "-i",
                "--justdb",
                "--nodeps",
                "--noscripts",
                "--ignorearch",
                "--ignoreos",
            ])
            .args(&rpms)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = std::process::Command::new("rpm")
            .arg("--dbpath")
            .arg(&dbpath)
            .args(["-qa", "--qf", "%{NAME} %{EVR} %{ARCH}\\n"])
            .output()
            .unwrap();
        let mut expected: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect();
        expected.sort();
        // Only the database file (no -wal, no -shm): immutable=1 must still open it.
        let only = dir.path().join("only/var/lib/rpm");
        std::fs::create_dir_all(&only).unwrap();
        std::fs::copy(dbpath.join("rpmdb.sqlite"), only.join("rpmdb.sqlite")).unwrap();
        for root in [dir.path().join("root"), dir.path().join("only")] {
            let host = Host::new(&root);
            let pdb = (*installed(&host)).clone().unwrap().unwrap();
            let mut got: Vec<String> = pdb
                .packages
                .iter()
                .map(|p| format!("{} {} {}", p.name, p.version, p.arch))
                .collect();
            got.sort();
            assert_eq!(got, expected);
            let t = pdb.named("telnet-server").next().unwrap();
            assert!(t.provides.iter().any(|p| p == "virtual-telnet-server"));
        }
    }

    /// The committed e2e host database is what rpm itself reports. It is generated by
    /// `tests/fixtures/pkgdb/make-rhel-rpmdb.sh` (rpmbuild + `rpm -i --justdb`).
    #[test]
    fn committed_rhel_fixture_matches_rpm() {
        let host = Host::new(crate::testutil::host_fixture("rhel"));
        let pdb = (*installed(&host)).clone().unwrap().unwrap();
        assert!(pdb.named("telnet-server").next().is_some());
        if !tool_available("rpm") {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(
            crate::testutil::host_fixture("rhel/var/lib/rpm/rpmdb.sqlite"),
            dir.path().join("rpmdb.sqlite"),
        )
        .unwrap();
        let out = std::process::Command::new("rpm")
            .arg("--dbpath")
            .arg(dir.path())
            .args(["-qa", "--qf", "%{NAME} %{EVR} %{ARCH}\\n"])
            .output()
            .unwrap();
        let mut expected: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect();
        expected.sort();
        let mut got: Vec<String> = pdb
            .packages
            .iter()
            .map(|p| format!("{} {} {}", p.name, p.version, p.arch))
            .collect();
        got.sort();
        assert_eq!(got, expected);
    }

    // ---- version ordering ----

    #[test]
    fn deb_known_orderings() {
        use Ordering::*;
        let cases = [
            ("1.0", "1.0", Equal),
            ("1.0", "1.0-0", Equal),
            ("0:1.0", "1.0", Equal),
            ("1:0.1", "9.9", Greater),
            ("1.0~rc1", "1.0", Less),
            ("1.0~~", "1.0~", Less),
            ("1.0~", "1.0", Less),
            ("1.0", "1.0+b1", Less),
            ("1.0-1", "1.0-1+deb12u1", Less),
            ("1:9.2p1-2+deb12u2", "1:9.2p1-2+deb12u3", Less),
            ("1.0a", "1.0", Greater),
            ("1.0.1", "1.0a", Greater), // letters sort before other characters
            ("2.30-1", "2.4-1", Greater),
            ("1.0-2", "1.0-10", Less),
            ("010", "10", Equal),
            ("6.1.112-1", "6.1.115-1", Less),
        ];
        for (a, b, want) in cases {
            assert_eq!(compare_deb(a, b).unwrap(), want, "{a} vs {b}");
            assert_eq!(compare_deb(b, a).unwrap(), want.reverse(), "{b} vs {a}");
        }
        assert!(compare_deb("1.0 beta", "1.0").is_err());
    }

    #[test]
    fn rpm_known_orderings() {
        use Ordering::*;
        let cases = [
            ("1.0-1", "1.0-1", Equal),
            ("1.0~rc1-1", "1.0-1", Less),
            ("1.0^git1-1", "1.0-1", Greater),
            ("1.0^git1-1", "1.0.1-1", Less),
            ("1:0.1-1", "9.9-1", Greater),
            ("0:1.0-1", "1.0-1", Equal),
            ("8.7p1-38.el9_4", "8.7p1-38.el9_4.1", Less),
            ("8.7p1-43.el9", "8.7p1-38.el9_4.1", Greater),
            ("5.14.0-427.13.1.el9_4", "5.14.0-503.11.1.el9_5", Less),
            ("1.0a-1", "1.0-1", Greater),
            ("1.0-1", "1.0.0-1", Less),
            ("2.0-1", "10-1", Less),
            // A release-less bound compares epoch and version only.
            ("8.7p1", "8.7p1-1.el9", Equal),
            ("8.6p1", "8.7p1-1.el9", Less),
        ];
        for (a, b, want) in cases {
            assert_eq!(compare_rpm(a, b), want, "{a} vs {b}");
            assert_eq!(compare_rpm(b, a), want.reverse(), "{b} vs {a}");
        }
    }

    /// A seeded generator of version strings that exercise the tricky parts (epochs,
    /// `~`, `^`, `+`, letters vs digits, leading zeros, revisions).
    struct Gen(u64);
    impl Gen {
        fn next(&mut self) -> u64 {
            // xorshift64*
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[(self.next() % items.len() as u64) as usize]
        }
        fn part(&mut self, seps: &[&str]) -> String {
            let mut s = String::from(self.pick(&["0", "1", "2", "9", "10", "01"]));
            for _ in 0..(self.next() % 4) {
                s.push_str(self.pick(seps));
                s.push_str(self.pick(&["0", "1", "2", "10", "a", "b", "rc1", "p1", "git", "00"]));
            }
            s
        }
        fn deb(&mut self) -> String {
            let mut v = String::new();
            if self.next() % 4 == 0 {
                v.push_str(self.pick(&["0:", "1:", "2:"]));
            }
            v.push_str(&self.part(&[".", "~", "+", "", "."]));
            if self.next() % 2 == 0 {
                v.push('-');
                v.push_str(&self.part(&[".", "~", "+", ""]));
            }
            // Distribution suffixes: security updates, backports, binNMUs, Ubuntu SRUs.
            if self.next() % 3 == 0 {
                v.push_str(self.pick(&[
                    "+deb12u1",
                    "+deb12u3",
                    "+deb11u7",
                    "~deb12u1",
                    "~bpo12+1",
                    "~bpo11+2",
                    "+b1",
                    "ubuntu0.22.04.1",
                    "~22.04.1",
                ]));
            }
            v
        }
        fn rpm(&mut self) -> String {
            let mut v = String::new();
            if self.next() % 4 == 0 {
                v.push_str(self.pick(&["0:", "1:", "2:"]));
            }
            v.push_str(&self.part(&[".", "~", "^", "_", "+", ""]));
            v.push('-');
            v.push_str(&self.part(&[".", "~", "^", "_", ""]));
            // RHEL-family dist tags (`.el9`, z-stream `.el9_4`, rebuilds `.el9_4.1`).
            if self.next() % 3 == 0 {
                v.push_str(self.pick(&[".el9", ".el9_4", ".el9_4.1", ".el8_10", ".el9_3"]));
            }
            v
        }
    }

    #[test]
    fn differential_dpkg_compare_versions() {
        if !tool_available("dpkg") {
            return;
        }
        let mut g = Gen(0x9e37_79b9_7f4a_7c15);
        let mut pairs: Vec<(String, String)> = Vec::new();
        for _ in 0..300 {
            let a = g.deb();
            // Half the pairs share a prefix so that the comparison goes deep.
            let b = if g.next() % 2 == 0 {
                format!("{a}{}", g.pick(&["~", "+1", ".0", "a", "~rc", "-1"]))
            } else {
                g.deb()
            };
            pairs.push((a, b));
        }
        // One shell, one dpkg per pair: "a b <|=|>".
        let mut script = String::new();
        for (a, b) in &pairs {
            script.push_str(&format!(
                "if dpkg --compare-versions '{a}' lt '{b}' 2>/dev/null; then echo '<'; \
                 elif dpkg --compare-versions '{a}' eq '{b}' 2>/dev/null; then echo '='; \
                 elif dpkg --compare-versions '{a}' gt '{b}' 2>/dev/null; then echo '>'; else echo '?'; fi\n"
            ));
        }
        let out = std::process::Command::new("sh")
            .args(["-c", &script])
            .output()
            .unwrap();
        let answers: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect();
        assert_eq!(answers.len(), pairs.len());
        let mut compared = 0;
        for ((a, b), ans) in pairs.iter().zip(&answers) {
            let want = match ans.as_str() {
                "<" => Ordering::Less,
                "=" => Ordering::Equal,
                ">" => Ordering::Greater,
                _ => continue, // dpkg rejected the syntax; ours need not agree
            };
            let Ok(got) = compare_deb(a, b) else { continue };
            assert_eq!(got, want, "dpkg says {a} {ans} {b}");
            compared += 1;
        }
        assert!(compared > 250, "only {compared} pairs compared");
    }

    #[test]
    fn differential_rpm_vercmp() {
        if !tool_available("rpm") {
            return;
        }
        let mut g = Gen(0x0123_4567_89ab_cdef);
        let mut pairs: Vec<(String, String)> = Vec::new();
        for _ in 0..400 {
            let a = g.rpm();
            let b = if g.next() % 2 == 0 {
                let (v, r) = a.split_once('-').unwrap();
                format!("{v}{}-{r}", g.pick(&["~", "^", "^1", ".0", "a", "~rc"]))
            } else {
                g.rpm()
            };
            pairs.push((a, b));
        }
        let answers = crate::testutil::rpm_vercmp(&pairs);
        for ((a, b), ans) in pairs.iter().zip(&answers) {
            assert_eq!(
                compare_rpm(a, b),
                ans.cmp(&0),
                "rpm.vercmp says {a} vs {b} = {ans}"
            );
        }
    }

    // ---- apt lists ----

    #[test]
    fn apt_security_lists_and_release_date() {
        let host = Host::new(fixture("pkgdb/apt_lists"));
        let idx = (*apt_security_index(&host)).clone().unwrap();
        assert_eq!(
            idx.lists,
            vec![
                "/var/lib/apt/lists/deb.debian.org_debian-security_dists_bookworm-security_contrib_binary-amd64_Packages.lz4",
                "/var/lib/apt/lists/deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages",
            ]
        );
        assert_eq!(idx.dates, vec![Some("2026-11-20".to_string()); 2]);
        assert!(idx.compressed.is_empty());
        // The lz4-compressed list is read.
        assert_eq!(idx.packages["contrib-tool"][0].version, "1.2-3+deb12u1");
        // The non-security list is not read.
        assert!(!idx.packages.contains_key("only-in-main"));
        let ssl = &idx.packages["openssl"];
        assert_eq!(ssl[0].version, "3.0.15-1~deb12u1");
        assert_eq!(ssl[0].line, 1);
        assert_eq!(idx.packages["tzdata"][0].arch, "all");
    }

    #[test]
    fn rfc2822_dates() {
        assert_eq!(
            parse_rfc2822_date(" Sat, 16 Nov 2024 10:11:12 UTC").as_deref(),
            Some("2024-11-16")
        );
        assert_eq!(
            parse_rfc2822_date("1 Jan 2025 00:00:00 +0000").as_deref(),
            Some("2025-01-01")
        );
        assert_eq!(parse_rfc2822_date("Sat, 99 Nov 2024"), None);
        assert_eq!(parse_rfc2822_date("garbage"), None);
    }

    // ---- fuzz targets ----

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn fuzz_dpkg_status_never_panics(text in "\\PC{0,400}") {
            let _ = parse_dpkg_status(&text, "/s");
        }

        #[test]
        fn fuzz_dpkg_status_structured(lines in proptest::collection::vec(
            prop_oneof![
                Just("Package: a".to_string()),
                Just("Status: install ok installed".to_string()),
                Just("Status: deinstall ok config-files".to_string()),
                Just("Version: 1:2.0-1".to_string()),
                Just("Provides: x (= 1), y".to_string()),
                Just(" continuation".to_string()),
                Just("".to_string()),
                "[A-Za-z:#\\- ]{0,12}",
            ], 0..40)) {
            let text = lines.join("\n");
            if let Ok(pkgs) = parse_dpkg_status(&text, "/s") {
                for p in pkgs {
                    prop_assert!(!p.name.is_empty());
                }
            }
        }

        #[test]
        fn fuzz_rpm_header_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse_rpm_header(&bytes);
        }

        #[test]
        fn fuzz_rpm_header_mutated(pos in 0usize..200, byte in any::<u8>(), cut in 0usize..200) {
            let mut b = build_header("openssh", Some(2), "8.7p1", "38.el9", Some("x86_64"), &["ssh", "sshd"]);
            let n = b.len();
            b[pos % n] = byte;
            b.truncate(n - (cut % n));
            let _ = parse_rpm_header(&b);
        }

        #[test]
        fn fuzz_versions_never_panic(a in "\\PC{0,30}", b in "[0-9a-z.:~^+_-]{0,30}") {
            let _ = compare_deb(&a, &b);
            let _ = compare_rpm(&a, &b);
            let _ = compare_rpm(&b, &a);
        }
    }
}
