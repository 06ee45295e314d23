//! The scanned host: every read of the file system goes through [`Host`].
//!
//! `Host` maps absolute host paths (`/etc/ssh/sshd_config`) to paths under the scan root
//! (`--root DIR`, default `/`). Symbolic links are resolved *inside* the root, the way a
//! chroot would see them: an absolute link target in a mounted image points into the image,
//! never at the scanning machine. The agent only ever opens files for reading.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

/// Maximum number of symbolic links followed while resolving one path (as Linux's ELOOP).
const MAX_SYMLINK_HOPS: usize = 40;

/// A host tree to scan, plus a per-scan cache of parsed data shared between checks.
pub struct Host {
    root: PathBuf,
    live: bool,
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
        let root = root.into();
        let live = root == Path::new("/");
        Host {
            root,
            live,
            cache: RefCell::new(HashMap::new()),
        }
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

    /// Read a host file as UTF-8 (invalid bytes replaced).
    pub fn read_to_string(&self, host_path: &str) -> Result<String, ReadError> {
        let wrap = |source| ReadError {
            path: host_path.to_string(),
            source,
        };
        let real = self.resolve(host_path).map_err(wrap)?;
        let bytes = fs::read(real).map_err(wrap)?;
        Ok(String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }

    /// Read a host file, `Ok(None)` when it does not exist.
    pub fn read_optional(&self, host_path: &str) -> Result<Option<String>, ReadError> {
        match self.read_to_string(host_path) {
            Ok(s) => Ok(Some(s)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Read a host file's raw bytes.
    pub fn read_bytes(&self, host_path: &str) -> Result<Vec<u8>, ReadError> {
        let wrap = |source| ReadError {
            path: host_path.to_string(),
            source,
        };
        let real = self.resolve(host_path).map_err(wrap)?;
        fs::read(real).map_err(wrap)
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
        for p in paths.flatten() {
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
}
