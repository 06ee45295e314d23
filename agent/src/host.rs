//! The scanned host: every read of the file system goes through [`Host`].
//!
//! `Host` maps absolute host paths (`/etc/ssh/sshd_config`) to paths under the scan root
//! (`--root DIR`, default `/`). Symbolic links are resolved *inside* the root, the way a
//! chroot would see them: an absolute link target in a mounted image points into the image,
//! never at the scanning machine. The agent only ever opens files for reading.
//!
//! **Bounded reads.** A read opens the file without blocking (`O_NONBLOCK`, `O_NOCTTY`, and
//! `O_NOFOLLOW` under `--root`, where links were already resolved inside the root), checks
//! the *opened* descriptor with `fstat` and refuses anything that is not a regular file
//! (`not a regular file (FIFO)`): a FIFO, socket or device node in the tree is an error,
//! never a hang or an endless read. The null device (1:3, what a masking link to
//! `/dev/null` reaches on a live system) reads as an empty file. At most the limit of the
//! file's [`FileKind`] plus one byte is read (`st_size` is not trusted to be small: procfs
//! files report 0), and a larger file is refused with `larger than N bytes (limit
//! max_file_bytes)`. The limits are [`Limits`]: agent configuration keys `max_file_bytes`
//! (configuration and other text files, default 16 MiB) and `max_db_bytes` (package
//! databases: dpkg status, rpmdb.sqlite, apt lists, default 512 MiB), or the `scan`/`run`
//! flags `--max-file-bytes` and `--max-db-bytes`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

/// Maximum number of symbolic links followed while resolving one path (as Linux's ELOOP).
const MAX_SYMLINK_HOPS: usize = 40;

/// Default limit of a configuration (or other text) file: `max_file_bytes`.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// Default limit of a package database (dpkg status, rpmdb.sqlite, an apt list,
/// decompressed): `max_db_bytes`.
pub const DEFAULT_MAX_DB_BYTES: u64 = 512 * 1024 * 1024;

/// What a file read is, which decides its size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Configuration files and other small text (`max_file_bytes`).
    Config,
    /// Package databases and apt lists (`max_db_bytes`).
    PackageDb,
}

/// Size limits of host reads, per [`FileKind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest configuration or text file read (bytes).
    pub max_file_bytes: u64,
    /// Largest package database read (bytes).
    pub max_db_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            max_db_bytes: DEFAULT_MAX_DB_BYTES,
        }
    }
}

impl Limits {
    /// The limit of `kind` and the name of its setting.
    pub fn of(&self, kind: FileKind) -> (u64, &'static str) {
        match kind {
            FileKind::Config => (self.max_file_bytes, "max_file_bytes"),
            FileKind::PackageDb => (self.max_db_bytes, "max_db_bytes"),
        }
    }
}

/// A host tree to scan, plus a per-scan cache of parsed data shared between checks.
pub struct Host {
    root: PathBuf,
    live: bool,
    limits: Limits,
    cache: RefCell<HashMap<String, Rc<dyn std::any::Any>>>,
}

/// Why a host file could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {source}")]
pub struct ReadError {
    /// The host path (as seen from inside the root).
    pub path: String,
    /// The underlying I/O error.
    #[source]
    pub source: io::Error,
}

impl ReadError {
    /// True when the file does not exist (as opposed to unreadable).
    pub fn is_not_found(&self) -> bool {
        self.source.kind() == io::ErrorKind::NotFound
    }
}

/// One directory entry, named by its host path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// File name within the directory.
    pub name: String,
    /// Absolute host path (`/etc/sysctl.d/99-x.conf`).
    pub host_path: String,
}

impl Host {
    /// A host rooted at `root` (`/` for the running system).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self::with_limits(root, Limits::default())
    }

    /// A host rooted at `root` whose reads are bounded by `limits`.
    pub fn with_limits(root: impl Into<PathBuf>, limits: Limits) -> Self {
        let root = root.into();
        let live = root == Path::new("/");
        Host {
            root,
            live,
            limits,
            cache: RefCell::new(HashMap::new()),
        }
    }

    /// The read limits.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The scan root on the scanning machine.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// True when scanning the running system (`--root /`).
    pub fn is_live(&self) -> bool {
        self.live
    }

    /// The path on the scanning machine for a host path, resolving symbolic links inside
    /// the root. Missing components are kept as they are (the caller's open then fails
    /// with "not found").
    pub fn resolve(&self, host_path: &str) -> io::Result<PathBuf> {
        if self.live {
            return Ok(PathBuf::from(host_path));
        }
        // Walk the path component by component, following links relative to the root.
        let mut pending: Vec<String> = components(host_path);
        pending.reverse();
        let mut resolved: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(part) = pending.pop() {
            match part.as_str() {
                "." | "" => continue,
                ".." => {
                    resolved.pop();
                    continue;
                }
                _ => {}
            }
            resolved.push(part);
            let real = self.join(&resolved);
            match fs::symlink_metadata(&real) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    hops += 1;
                    if hops > MAX_SYMLINK_HOPS {
                        return Err(io::Error::other("too many levels of symbolic links"));
                    }
                    let target = fs::read_link(&real)?;
                    let target = target.to_string_lossy().into_owned();
                    resolved.pop();
                    if target.starts_with('/') {
                        resolved.clear();
                    }
                    let mut more = components(&target);
                    more.reverse();
                    pending.extend(more);
                }
                _ => {}
            }
        }
        Ok(self.join(&resolved))
    }

    fn join(&self, parts: &[String]) -> PathBuf {
        let mut p = self.root.clone();
        for part in parts {
            p.push(part);
        }
        p
    }

    /// The path under the root without following any symbolic link in the last component
    /// (parents are resolved). Use it for `lstat`-style questions.
    pub fn resolve_parent(&self, host_path: &str) -> io::Result<PathBuf> {
        let path = Path::new(host_path);
        match (path.parent(), path.file_name()) {
            (Some(parent), Some(name)) => Ok(self.resolve(&parent.to_string_lossy())?.join(name)),
            _ => self.resolve(host_path),
        }
    }

    /// Read a host file as UTF-8 (invalid bytes replaced), bounded as a [`FileKind::Config`].
    pub fn read_to_string(&self, host_path: &str) -> Result<String, ReadError> {
        self.read_to_string_as(host_path, FileKind::Config)
    }

    /// Read a host file as UTF-8 (invalid bytes replaced), bounded by the limit of `kind`.
    pub fn read_to_string_as(&self, host_path: &str, kind: FileKind) -> Result<String, ReadError> {
        let bytes = self.read_bytes_as(host_path, kind)?;
        Ok(String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }

    /// Read a host file, `Ok(None)` when it does not exist.
    pub fn read_optional(&self, host_path: &str) -> Result<Option<String>, ReadError> {
        self.read_optional_as(host_path, FileKind::Config)
    }

    /// [`Host::read_optional`] bounded by the limit of `kind`.
    pub fn read_optional_as(
        &self,
        host_path: &str,
        kind: FileKind,
    ) -> Result<Option<String>, ReadError> {
        match self.read_to_string_as(host_path, kind) {
            Ok(s) => Ok(Some(s)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Read a host file's raw bytes, bounded as a [`FileKind::Config`].
    pub fn read_bytes(&self, host_path: &str) -> Result<Vec<u8>, ReadError> {
        self.read_bytes_as(host_path, FileKind::Config)
    }

    /// Read a host file's raw bytes: a regular file (or the null device) of at most the
    /// limit of `kind`, opened without blocking and checked on the opened descriptor.
    pub fn read_bytes_as(&self, host_path: &str, kind: FileKind) -> Result<Vec<u8>, ReadError> {
        let wrap = |source| ReadError {
            path: host_path.to_string(),
            source,
        };
        let (limit, setting) = self.limits.of(kind);
        let real = self.resolve(host_path).map_err(wrap)?;
        // Refuse a FIFO or device before opening it at all (opening some devices acts);
        // the descriptor is checked again below, so a swap in between gains nothing.
        let pre = fs::metadata(&real).map_err(wrap)?;
        if check_type(&pre).map_err(wrap)? == Regular::Null {
            return Ok(Vec::new());
        }
        let mut flags = libc::O_NONBLOCK | libc::O_NOCTTY;
        if !self.live {
            flags |= libc::O_NOFOLLOW;
        }
        let file = fs::OpenOptions::new()
            .read(true)
            .custom_flags(flags)
            .open(&real)
            .map_err(wrap)?;
        let meta = file.metadata().map_err(wrap)?;
        if check_type(&meta).map_err(wrap)? == Regular::Null {
            return Ok(Vec::new());
        }
        let too_large = || {
            wrap(io::Error::other(format!(
                "larger than {limit} bytes (limit {setting})"
            )))
        };
        if meta.len() > limit {
            return Err(too_large());
        }
        let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        file.take(limit.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(wrap)?;
        if bytes.len() as u64 > limit {
            return Err(too_large());
        }
        Ok(bytes)
    }

    /// The scanning machine's path of a host file that must be a regular file of at most
    /// the limit of `kind`, for a reader that opens it by name (sqlite): checked before it
    /// is handed over, so a FIFO or device is refused rather than opened.
    pub fn regular_file(&self, host_path: &str, kind: FileKind) -> Result<PathBuf, ReadError> {
        let wrap = |source| ReadError {
            path: host_path.to_string(),
            source,
        };
        let (limit, setting) = self.limits.of(kind);
        let real = self.resolve(host_path).map_err(wrap)?;
        let meta = fs::metadata(&real).map_err(wrap)?;
        if check_type(&meta).map_err(wrap)? == Regular::Null {
            return Err(wrap(io::Error::other(
                "not a regular file (character device)",
            )));
        }
        if meta.len() > limit {
            return Err(wrap(io::Error::other(format!(
                "larger than {limit} bytes (limit {setting})"
            ))));
        }
        Ok(real)
    }

    /// Metadata following symbolic links (inside the root).
    pub fn metadata(&self, host_path: &str) -> io::Result<fs::Metadata> {
        fs::metadata(self.resolve(host_path)?)
    }

    /// Metadata of the path itself (a symbolic link is not followed).
    pub fn symlink_metadata(&self, host_path: &str) -> io::Result<fs::Metadata> {
        fs::symlink_metadata(self.resolve_parent(host_path)?)
    }

    /// The target of a symbolic link, as written in the link.
    pub fn read_link(&self, host_path: &str) -> io::Result<PathBuf> {
        fs::read_link(self.resolve_parent(host_path)?)
    }

    /// True when the host path exists (following links inside the root).
    pub fn exists(&self, host_path: &str) -> bool {
        self.resolve(host_path).map(|p| p.exists()).unwrap_or(false)
    }

    /// Entries of a host directory sorted by name; `Ok(empty)` when it does not exist.
    pub fn read_dir_sorted(&self, host_path: &str) -> Result<Vec<DirEntry>, ReadError> {
        let wrap = |source| ReadError {
            path: host_path.to_string(),
            source,
        };
        let real = self.resolve(host_path).map_err(wrap)?;
        let iter = match fs::read_dir(&real) {
            Ok(it) => it,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(wrap(e)),
        };
        let base = host_path.trim_end_matches('/');
        let mut out = Vec::new();
        for entry in iter {
            let entry = entry.map_err(wrap)?;
            let name = entry.file_name().to_string_lossy().into_owned();
            out.push(DirEntry {
                host_path: format!("{base}/{name}"),
                name,
            });
        }
        out.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
        Ok(out)
    }

    /// Host paths matching a glob pattern (`/etc/ssh/sshd_config.d/*.conf`), sorted
    /// lexically, as `glob(3)` returns them.
    pub fn glob(&self, pattern: &str) -> Result<Vec<String>, String> {
        let root = self.root.to_string_lossy();
        let root = root.trim_end_matches('/');
        let escaped = glob::Pattern::escape(root);
        let full = format!("{escaped}{pattern}");
        let paths = glob::glob(&full).map_err(|e| format!("bad glob {pattern:?}: {e}"))?;
        let mut out = Vec::new();
        for p in paths {
            // A directory the pattern must look into and cannot be read: the answer would
            // be silently shorter than the program's own glob(3) sees.
            let p = p.map_err(|e| {
                let real = e.path().to_string_lossy();
                let host = real.strip_prefix(root).unwrap_or(&real);
                format!("cannot read {host}: {}", e.error())
            })?;
            let s = p.to_string_lossy();
            let host = s.strip_prefix(root).unwrap_or(&s);
            let host = if host.starts_with('/') {
                host.to_string()
            } else {
                format!("/{host}")
            };
            out.push(host);
        }
        out.sort();
        Ok(out)
    }

    /// True when the root has a mounted `/proc` (a live system), false for an offline image.
    pub fn has_proc(&self) -> bool {
        self.resolve("/proc/sys")
            .map(|p| p.is_dir())
            .unwrap_or(false)
    }

    /// Per-scan cache: parse a file once and share the result between all checks that need it.
    pub fn cached<T: 'static>(&self, key: &str, make: impl FnOnce() -> T) -> Rc<T> {
        if let Some(v) = self.cache.borrow().get(key) {
            if let Ok(v) = Rc::clone(v).downcast::<T>() {
                return v;
            }
        }
        let value = Rc::new(make());
        self.cache
            .borrow_mut()
            .insert(key.to_string(), value.clone() as Rc<dyn std::any::Any>);
        value
    }

    /// User name for a uid from the scanned tree's `/etc/passwd`.
    pub fn user_name(&self, uid: u32) -> Option<String> {
        self.id_names("/etc/passwd").get(&uid).cloned()
    }

    /// Group name for a gid from the scanned tree's `/etc/group`.
    pub fn group_name(&self, gid: u32) -> Option<String> {
        self.id_names("/etc/group").get(&gid).cloned()
    }

    /// Uid for a user name from the scanned tree's `/etc/passwd`.
    pub fn user_id(&self, name: &str) -> Option<u32> {
        self.id_names("/etc/passwd")
            .iter()
            .find(|(_, n)| n.as_str() == name)
            .map(|(id, _)| *id)
    }

    /// Gid for a group name from the scanned tree's `/etc/group`.
    pub fn group_id(&self, name: &str) -> Option<u32> {
        self.id_names("/etc/group")
            .iter()
            .find(|(_, n)| n.as_str() == name)
            .map(|(id, _)| *id)
    }

    fn id_names(&self, file: &str) -> Rc<HashMap<u32, String>> {
        self.cached(&format!("idnames:{file}"), || {
            let mut map = HashMap::new();
            if let Ok(text) = self.read_to_string(file) {
                for line in text.lines() {
                    let mut f = line.split(':');
                    let (Some(name), Some(_), Some(id)) = (f.next(), f.next(), f.next()) else {
                        continue;
                    };
                    if let Ok(id) = id.parse::<u32>() {
                        map.entry(id).or_insert_with(|| name.to_string());
                    }
                }
            }
            map
        })
    }
}

/// What [`check_type`] accepts.
#[derive(Debug, PartialEq, Eq)]
enum Regular {
    /// A regular file.
    File,
    /// The null device (1:3): an empty file, as a masking link to `/dev/null` reads.
    Null,
}

/// A regular file (or the null device), else an error naming the file type.
fn check_type(meta: &fs::Metadata) -> io::Result<Regular> {
    let ft = meta.file_type();
    if ft.is_file() {
        return Ok(Regular::File);
    }
    let what = if ft.is_dir() {
        return Err(io::Error::from_raw_os_error(libc::EISDIR));
    } else if ft.is_fifo() {
        "FIFO"
    } else if ft.is_char_device() {
        if meta.rdev() == libc::makedev(1, 3) {
            return Ok(Regular::Null);
        }
        "character device"
    } else if ft.is_block_device() {
        "block device"
    } else if ft.is_socket() {
        "socket"
    } else {
        "unknown file type"
    };
    Err(io::Error::other(format!("not a regular file ({what})")))
}

/// Parse an os-release file (`KEY=value`, values optionally quoted with shell escapes).
pub fn parse_os_release(text: &str) -> crate::report::OsInfo {
    let mut info = crate::report::OsInfo::default();
    for line in text.lines() {
        let line = line.trim();
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = unquote(value.trim());
        match key.trim() {
            "ID" => info.id = value,
            "ID_LIKE" => info.id_like = value.split_whitespace().map(str::to_string).collect(),
            "VERSION_ID" => info.version_id = value,
            "PRETTY_NAME" => info.pretty_name = value,
            _ => {}
        }
    }
    info
}

fn unquote(v: &str) -> String {
    let inner = match v.as_bytes().first() {
        Some(b'"') | Some(b'\'') if v.len() >= 2 && v.ends_with(&v[..1]) => &v[1..v.len() - 1],
        _ => v,
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

impl Host {
    /// The scanned tree's operating system (`/etc/os-release`, else `/usr/lib/os-release`);
    /// `None` when neither exists.
    pub fn os_release(&self) -> Option<crate::report::OsInfo> {
        let rc = self.cached("os-release", || {
            ["/etc/os-release", "/usr/lib/os-release"]
                .iter()
                .find_map(|p| self.read_to_string(p).ok())
                .map(|t| parse_os_release(&t))
        });
        (*rc).clone()
    }

    /// True when the OS is `family` or declares it in `ID_LIKE` (`debian`, `rhel`, `fedora`).
    pub fn os_is(&self, family: &str) -> bool {
        self.os_release()
            .is_some_and(|o| o.id == family || o.id_like.iter().any(|l| l == family))
    }
}

fn components(path: &str) -> Vec<String> {
    Path::new(path)
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            Component::ParentDir => Some("..".to_string()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn absolute_symlinks_stay_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("run/real")).unwrap();
        fs::write(root.join("run/real/resolv.conf"), "nameserver 10.0.0.1\n").unwrap();
        fs::create_dir_all(root.join("etc")).unwrap();
        symlink("/run/real/resolv.conf", root.join("etc/resolv.conf")).unwrap();
        symlink("../run/real", root.join("etc/rel")).unwrap();
        let host = Host::new(root);
        assert_eq!(
            host.read_to_string("/etc/resolv.conf").unwrap(),
            "nameserver 10.0.0.1\n"
        );
        assert_eq!(
            host.read_to_string("/etc/rel/resolv.conf").unwrap(),
            "nameserver 10.0.0.1\n"
        );
        // `..` cannot climb out of the root.
        symlink("../../../../../../etc/hostname", root.join("etc/escape")).unwrap();
        assert!(host
            .read_to_string("/etc/escape")
            .unwrap_err()
            .is_not_found());
    }

    #[test]
    fn symlink_loops_are_an_error_not_a_hang() {
        let dir = tempfile::tempdir().unwrap();
        symlink("/a", dir.path().join("b")).unwrap();
        symlink("/b", dir.path().join("a")).unwrap();
        let host = Host::new(dir.path());
        assert!(host.read_to_string("/a").is_err());
    }

    #[test]
    fn os_release_quotes() {
        let o = parse_os_release("ID=ubuntu\nID_LIKE=\"debian\"\nVERSION_ID=\"22.04\"\nPRETTY_NAME='Ubuntu 22.04 \\'LTS\\''\n");
        assert_eq!(o.id, "ubuntu");
        assert_eq!(o.id_like, vec!["debian"]);
        assert_eq!(o.version_id, "22.04");
        assert_eq!(o.pretty_name, "Ubuntu 22.04 'LTS'");
    }

    #[test]
    fn glob_and_dir_listing_are_sorted_host_paths() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("etc/d")).unwrap();
        for n in ["b.conf", "a.conf", "c.txt"] {
            fs::write(dir.path().join("etc/d").join(n), "").unwrap();
        }
        let host = Host::new(dir.path());
        assert_eq!(
            host.glob("/etc/d/*.conf").unwrap(),
            vec!["/etc/d/a.conf", "/etc/d/b.conf"]
        );
        let names: Vec<_> = host
            .read_dir_sorted("/etc/d")
            .unwrap()
            .into_iter()
            .map(|e| e.host_path)
            .collect();
        assert_eq!(
            names,
            vec!["/etc/d/a.conf", "/etc/d/b.conf", "/etc/d/c.txt"]
        );
        assert!(host.read_dir_sorted("/nope").unwrap().is_empty());
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success());
        let host = Host::new(dir.path());
        let e = host.read_to_string("/fifo").unwrap_err();
        assert!(e.to_string().contains("not a regular file (FIFO)"), "{e}");
        let e = host.regular_file("/fifo", FileKind::PackageDb).unwrap_err();
        assert!(e.to_string().contains("not a regular file (FIFO)"), "{e}");
    }

    #[test]
    fn a_sparse_file_beyond_the_limit_is_refused_quickly() {
        let dir = tempfile::tempdir().unwrap();
        let f = fs::File::create(dir.path().join("big")).unwrap();
        f.set_len(3 << 30).unwrap();
        let host = Host::new(dir.path());
        let started = std::time::Instant::now();
        let e = host.read_bytes("/big").unwrap_err();
        assert!(
            e.to_string()
                .contains("larger than 16777216 bytes (limit max_file_bytes)"),
            "{e}"
        );
        let e = host.read_bytes_as("/big", FileKind::PackageDb).unwrap_err();
        assert!(e.to_string().contains("(limit max_db_bytes)"), "{e}");
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        // The limit is configurable, and a file exactly at it is read.
        fs::write(dir.path().join("ten"), "0123456789").unwrap();
        let small = Limits {
            max_file_bytes: 10,
            max_db_bytes: 9,
        };
        let host = Host::with_limits(dir.path(), small);
        assert_eq!(host.read_to_string("/ten").unwrap(), "0123456789");
        let e = host.read_bytes_as("/ten", FileKind::PackageDb).unwrap_err();
        assert!(e.to_string().contains("larger than 9 bytes"), "{e}");
    }

    #[test]
    fn proc_files_report_size_zero_and_are_still_read() {
        let host = Host::new("/");
        let text = host.read_to_string("/proc/sys/kernel/ostype").unwrap();
        assert_eq!(text.trim(), "Linux");
        let limits = Limits {
            max_file_bytes: 1,
            max_db_bytes: 1,
        };
        let e = Host::with_limits("/", limits)
            .read_to_string("/proc/sys/kernel/ostype")
            .unwrap_err();
        assert!(e.to_string().contains("larger than 1 bytes"), "{e}");
    }

    #[test]
    fn the_null_device_reads_empty_and_other_devices_are_refused() {
        let host = Host::new("/");
        assert_eq!(host.read_to_string("/dev/null").unwrap(), "");
        let e = host.read_to_string("/dev/zero").unwrap_err();
        assert!(
            e.to_string()
                .contains("not a regular file (character device)"),
            "{e}"
        );
        let e = host.read_to_string("/etc").unwrap_err();
        assert_eq!(e.source.raw_os_error(), Some(libc::EISDIR));
    }
}
