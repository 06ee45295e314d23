//! `sticky_dirs` check: every world-writable directory among a list of host directories
//! (`/tmp`, `/var/tmp`, `/dev/shm`, …), and optionally below them, has the sticky bit.
//!
//! In a world-writable directory without the sticky bit (`S_ISVTX`, mode `1000`) any user
//! can delete or rename any other user's files: the classic `/tmp` race and denial of
//! service. With it, only a file's owner, the directory's owner and root can.
//!
//! What it reads: the metadata of each listed path through [`Host`] (a listed path that is
//! a symbolic link is followed inside the root, as `/var/lock → /run/lock`), and, with
//! `max_depth` > 0, the entries of the directories below it (symbolic links below a listed
//! path are not followed, so the walk stays in the listed trees). No file content is read.
//!
//! Semantics:
//! - a directory with the `o+w` bit (`0002`) and without the sticky bit fails, named with its
//!   mode; one that is not world-writable, or is sticky, complies;
//! - `max_depth: 0` (default) judges the listed directories only; `N` also their
//!   subdirectories up to N levels down, at most [`MAX_DIRS`] directories in all (beyond it
//!   the rule is an error: a bounded walk that did not finish proves nothing);
//! - a listed path that does not exist is skipped and named in the message; when none
//!   exists the rule is `not_applicable`;
//! - unreadable metadata or directory listings, a listed path that is not a directory, and
//!   a relative path are errors. A directory that violates the rule makes it fail even
//!   when another could not be read (the message names both).

use crate::host::Host;
use crate::outcome::{HostCheck, Outcome};
use crate::report::Evidence;
use serde::{Deserialize, Serialize};
use std::io;
use std::os::unix::fs::MetadataExt;

/// Most directories judged by one rule (listed ones and those below them).
pub const MAX_DIRS: usize = 10_000;
/// Largest `max_depth` accepted.
pub const MAX_DEPTH: u32 = 16;

const STICKY: u32 = 0o1000;
const OTHER_WRITE: u32 = 0o002;

/// Parameters of a `sticky_dirs` check.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Absolute host directories (`/tmp`, `/var/tmp`, `/dev/shm`).
    pub paths: Vec<String>,
    /// How many levels of subdirectories below each listed path are judged too (default 0:
    /// the listed directories only; at most 16).
    #[serde(default)]
    pub max_depth: u32,
}

impl HostCheck for Params {
    fn evaluate(&self, host: &Host) -> Outcome {
        evaluate(self, host)
    }
}

/// What the walk found.
#[derive(Default)]
struct Walk {
    /// World-writable directories without the sticky bit: (path, mode).
    bad: Vec<(String, u32)>,
    /// World-writable directories with it: (path, mode).
    sticky: Vec<(String, u32)>,
    /// Directories judged.
    judged: usize,
    /// Why a path could not be judged.
    errors: Vec<String>,
}

impl Walk {
    /// Judge one directory and, `depth` levels remaining, the directories below it.
    fn dir(&mut self, host: &Host, path: &str, mode: u32, depth: u32) {
        if self.judged >= MAX_DIRS {
            return;
        }
        self.judged += 1;
        let mode = mode & 0o7777;
        if mode & OTHER_WRITE != 0 {
            if mode & STICKY == 0 {
                self.bad.push((path.to_string(), mode));
            } else {
                self.sticky.push((path.to_string(), mode));
            }
        }
        if depth == 0 {
            return;
        }
        let entries = match host.read_dir_sorted(path) {
            Ok(e) => e,
            Err(e) => {
                self.errors.push(format!("cannot list {e}"));
                return;
            }
        };
        for entry in entries {
            if self.judged >= MAX_DIRS {
                return;
            }
            match host.symlink_metadata(&entry.host_path) {
                Ok(m) if m.is_dir() => self.dir(host, &entry.host_path, m.mode(), depth - 1),
                Ok(_) => {}
                // Gone since the listing: nothing to judge.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => self.errors.push(format!("{}: {e}", entry.host_path)),
            }
        }
    }
}

fn octal(mode: u32) -> String {
    format!("{mode:04o}")
}

/// Evaluate a `sticky_dirs` check.
pub fn evaluate(p: &Params, host: &Host) -> Outcome {
    if p.paths.is_empty() {
        return Outcome::error("sticky_dirs: `paths` lists no directory");
    }
    if let Some(rel) = p.paths.iter().find(|d| !d.starts_with('/')) {
        return Outcome::error(format!("sticky_dirs: {rel:?} is not an absolute host path"));
    }
    if p.max_depth > MAX_DEPTH {
        return Outcome::error(format!(
            "sticky_dirs: max_depth {} is above {MAX_DEPTH}",
            p.max_depth
        ));
    }
    let mut walk = Walk::default();
    let mut absent: Vec<&str> = Vec::new();
    for path in &p.paths {
        match host.metadata(path) {
            Ok(m) if m.is_dir() => walk.dir(host, path, m.mode(), p.max_depth),
            Ok(_) => walk.errors.push(format!("{path}: not a directory")),
            Err(e) if e.kind() == io::ErrorKind::NotFound => absent.push(path),
            Err(e) => walk.errors.push(format!("{path}: {e}")),
        }
    }
    if walk.judged >= MAX_DIRS {
        return Outcome::error(format!(
            "more than {MAX_DIRS} directories under {} (lower max_depth)",
            p.paths.join(", ")
        ));
    }
    let expected = "sticky bit set on a world-writable directory (mode 1777)";
    let absent_note = if absent.is_empty() {
        String::new()
    } else {
        format!(" ({} absent)", absent.join(", "))
    };
    if !walk.bad.is_empty() {
        let list: Vec<String> = walk
            .bad
            .iter()
            .map(|(path, mode)| format!("{path} (mode {})", octal(*mode)))
            .collect();
        let mut msg = format!(
            "world-writable without the sticky bit: {}; expected the sticky bit (chmod +t)",
            list.join(", ")
        );
        if !walk.errors.is_empty() {
            msg.push_str(&format!("; also unreadable: {}", walk.errors.join("; ")));
        }
        return Outcome::fail(msg).with_all(walk.bad.iter().map(|(path, mode)| {
            Evidence::at(path.as_str(), None)
                .observed(format!("mode {}", octal(*mode)))
                .expected(expected)
        }));
    }
    if !walk.errors.is_empty() {
        return Outcome::error(walk.errors.join("; "));
    }
    if walk.judged == 0 {
        return Outcome::not_applicable(format!("none of {} exists", p.paths.join(", ")));
    }
    let below = if p.max_depth > 0 {
        format!(" (and below, {} levels)", p.max_depth)
    } else {
        String::new()
    };
    let judged: Vec<&str> = p
        .paths
        .iter()
        .map(String::as_str)
        .filter(|d| !absent.contains(d))
        .collect();
    Outcome::pass(format!(
        "every world-writable directory of {}{below} has the sticky bit{absent_note}",
        judged.join(", ")
    ))
    .with_all(walk.sticky.iter().map(|(path, mode)| {
        Evidence::at(path.as_str(), None)
            .observed(format!("mode {}", octal(*mode)))
            .expected(expected)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;

    fn params(yaml: &str) -> Params {
        serde_saphyr::from_str(yaml).unwrap()
    }

    fn mkdir(root: &Path, path: &str, mode: u32) {
        let p = root.join(path.trim_start_matches('/'));
        fs::create_dir_all(&p).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn sticky_world_writable_directories_pass() {
        let t = tempfile::tempdir().unwrap();
        mkdir(t.path(), "/tmp", 0o1777);
        mkdir(t.path(), "/var/tmp", 0o1777);
        let host = Host::new(t.path());
        let o = evaluate(
            &params("{paths: [/tmp, /var/tmp, /dev/shm]}"),
            &Host::new(t.path()),
        );
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert!(o.message.contains("/tmp, /var/tmp"), "{o:?}");
        assert!(o.message.contains("/dev/shm absent"), "{o:?}");
        assert_eq!(o.evidence.len(), 2);
        assert_eq!(o.evidence[0].observed.as_deref(), Some("mode 1777"));
        // Not world-writable at all: nothing to protect, complies.
        mkdir(t.path(), "/tmp", 0o755);
        assert_eq!(
            evaluate(&params("{paths: [/tmp]}"), &host).status,
            Status::Pass
        );
    }

    #[test]
    fn world_writable_without_sticky_fails_naming_the_directory() {
        let t = tempfile::tempdir().unwrap();
        mkdir(t.path(), "/tmp", 0o1777);
        mkdir(t.path(), "/var/tmp", 0o777);
        let o = evaluate(&params("{paths: [/tmp, /var/tmp]}"), &Host::new(t.path()));
        assert_eq!(o.status, Status::Fail, "{o:?}");
        assert!(o.message.contains("/var/tmp (mode 0777)"), "{o:?}");
        assert!(!o.message.contains(" /tmp (mode"), "{o:?}");
        assert_eq!(o.evidence.len(), 1);
        assert_eq!(o.evidence[0].path.as_deref(), Some("/var/tmp"));
        assert_eq!(o.evidence[0].observed.as_deref(), Some("mode 0777"));
    }

    #[test]
    fn depth_bounds_the_walk_and_links_below_are_not_followed() {
        let t = tempfile::tempdir().unwrap();
        mkdir(t.path(), "/tmp", 0o1777);
        mkdir(t.path(), "/tmp/a", 0o755);
        mkdir(t.path(), "/tmp/a/open", 0o777);
        mkdir(t.path(), "/elsewhere", 0o777);
        std::os::unix::fs::symlink("/elsewhere", t.path().join("tmp/link")).unwrap();
        let host = Host::new(t.path());
        assert_eq!(
            evaluate(&params("{paths: [/tmp]}"), &host).status,
            Status::Pass
        );
        assert_eq!(
            evaluate(&params("{paths: [/tmp], max_depth: 1}"), &host).status,
            Status::Pass
        );
        let o = evaluate(&params("{paths: [/tmp], max_depth: 2}"), &host);
        assert_eq!(o.status, Status::Fail, "{o:?}");
        assert!(o.message.contains("/tmp/a/open (mode 0777)"), "{o:?}");
        assert!(!o.message.contains("elsewhere"), "{o:?}");
        let o = evaluate(&params("{paths: [/tmp], max_depth: 17}"), &host);
        assert_eq!(o.status, Status::Error, "{o:?}");
    }

    #[test]
    fn a_listed_link_is_followed_inside_the_root() {
        let t = tempfile::tempdir().unwrap();
        mkdir(t.path(), "/run/lock", 0o777);
        mkdir(t.path(), "/var", 0o755);
        std::os::unix::fs::symlink("/run/lock", t.path().join("var/lock")).unwrap();
        let o = evaluate(&params("{paths: [/var/lock]}"), &Host::new(t.path()));
        assert_eq!(o.status, Status::Fail, "{o:?}");
        assert!(o.message.contains("/var/lock (mode 0777)"), "{o:?}");
    }

    #[test]
    fn all_absent_is_not_applicable() {
        let t = tempfile::tempdir().unwrap();
        let o = evaluate(&params("{paths: [/tmp, /dev/shm]}"), &Host::new(t.path()));
        assert_eq!(o.status, Status::NotApplicable, "{o:?}");
        assert!(o.message.contains("none of /tmp, /dev/shm exists"), "{o:?}");
    }

    #[test]
    fn unreadable_or_wrong_paths_are_errors() {
        let t = tempfile::tempdir().unwrap();
        fs::write(t.path().join("tmp"), "").unwrap();
        // A link loop cannot be resolved, as root or not.
        std::os::unix::fs::symlink("/loop", t.path().join("loop")).unwrap();
        let host = Host::new(t.path());
        let e = |yaml: &str| {
            let o = evaluate(&params(yaml), &host);
            assert_eq!(o.status, Status::Error, "{yaml}: {o:?}");
            o.message
        };
        assert!(e("{paths: [/tmp]}").contains("not a directory"));
        assert!(e("{paths: [/loop]}").contains("/loop"));
        assert!(e("{paths: [tmp]}").contains("absolute"));
        assert!(e("{paths: []}").contains("no directory"));
        // A violation elsewhere still fails, naming what could not be read.
        mkdir(t.path(), "/var/tmp", 0o777);
        let o = evaluate(&params("{paths: [/loop, /var/tmp]}"), &host);
        assert_eq!(o.status, Status::Fail, "{o:?}");
        assert!(o.message.contains("also unreadable: /loop"), "{o:?}");
    }

    #[test]
    fn unknown_parameters_are_rejected() {
        assert!(serde_saphyr::from_str::<Params>("{paths: [/tmp], recursive: true}").is_err());
    }
}
