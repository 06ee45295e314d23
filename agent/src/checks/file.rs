//! `file` check: a file (or every file a glob matches) exists with no permission bits beyond
//! an allowed mask, the right owner and group, and optionally content rules on its lines.
//!
//! What it reads: the metadata (and, for content rules, the text) of `path` under the scan
//! root through [`Host`]. Names (`owner: root`, `group: shadow`) are resolved through the
//! *scanned tree's* `/etc/passwd` and `/etc/group`, never the scanning machine's.
//!
//! Semantics:
//! - `max_mode: "0640"` passes when `mode & !0640 == 0` over the 12 permission bits
//!   (setuid/setgid/sticky included); the mode is an octal string;
//! - `uid`/`owner` and `gid`/`group` must match exactly; `group_one_of` allows any of several
//!   groups (names that do not exist in the tree are skipped, so `[root, shadow]` works on
//!   systems without a `shadow` group); a name that cannot be resolved at all is an error;
//! - symbolic links: followed by default (inside the root) and the target is judged; with
//!   `follow_symlinks: false` the link itself is judged (owner and group; a link's mode is
//!   meaningless on Linux and is not judged); a dangling link counts as absent;
//! - `forbid_lines: {regex, except}`: every line matching `regex` and not matching `except`
//!   is a finding, named `path:line`; the evidence shows only the matched text, never the
//!   whole line (a `/etc/shadow` line carries a password hash);
//!   `require_line: REGEX`: at least one line must match;
//! - a glob `path` (`/etc/cron.d/*`) judges every match; all must comply.
//!
//! Absent: a missing path (or a glob matching nothing) gives `absent` (default `fail`;
//! `pass` when absence is compliant, `not_applicable` when the component is not installed).
//! Unreadable metadata or content is an error.

use crate::checks::expect::Pattern;
use crate::host::Host;
use crate::outcome::{HostCheck, Outcome};
use crate::report::Evidence;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::os::unix::fs::MetadataExt;

/// Parameters of a `file` check.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Host path (`/etc/shadow`) or glob (`/etc/cron.d/*`).
    pub path: String,
    /// Most permissive mode allowed, an octal string (`"0640"`).
    #[serde(default)]
    pub max_mode: Option<Mode>,
    /// Required owner uid.
    #[serde(default)]
    pub uid: Option<u32>,
    /// Required owner by name, resolved through the tree's /etc/passwd.
    #[serde(default)]
    pub owner: Option<String>,
    /// Required group gid.
    #[serde(default)]
    pub gid: Option<u32>,
    /// Required group by name, resolved through the tree's /etc/group.
    #[serde(default)]
    pub group: Option<String>,
    /// Allowed groups (names or numeric gids); any one of them passes.
    #[serde(default)]
    pub group_one_of: Option<Vec<String>>,
    /// Required type: `file` or `directory`.
    #[serde(default)]
    pub kind: Option<Kind>,
    /// Follow a symbolic link and judge its target (default) or judge the link itself.
    #[serde(default = "yes")]
    pub follow_symlinks: bool,
    /// What a missing path means: `fail` (default), `pass` or `not_applicable`.
    #[serde(default)]
    pub absent: Absent,
    /// Lines that must not occur.
    #[serde(default)]
    pub forbid_lines: Option<ForbidLines>,
    /// A regular expression at least one line must match.
    #[serde(default)]
    pub require_line: Option<Pattern>,
}

fn yes() -> bool {
    true
}

/// Lines that must not occur in a file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForbidLines {
    /// A line matching this is a finding…
    pub regex: Pattern,
    /// …unless it also matches this.
    #[serde(default)]
    pub except: Option<Pattern>,
}

/// The required file type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A regular file.
    File,
    /// A directory.
    Directory,
}

/// What a missing path means.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Absent {
    /// Non-compliant.
    #[default]
    Fail,
    /// Compliant (the rule forbids the file, or the file is optional).
    Pass,
    /// The component is not installed.
    NotApplicable,
}

/// Permission bits, written in policies as an octal string (`"0640"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mode(pub u32);

impl<'de> Deserialize<'de> for Mode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Number(i64),
        }
        match Raw::deserialize(d)? {
            Raw::Text(s) => u32::from_str_radix(s.trim(), 8)
                .ok()
                .filter(|m| *m <= 0o7777)
                .map(Mode)
                .ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        "invalid mode {s:?}: expected an octal string such as \"0640\""
                    ))
                }),
            Raw::Number(n) => Err(serde::de::Error::custom(format!(
                "mode {n} must be a quoted octal string such as \"0{n}\" (YAML reads 0640 as a number)"
            ))),
        }
    }
}

impl Serialize for Mode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{:04o}", self.0))
    }
}

impl HostCheck for Params {
    fn evaluate(&self, host: &Host) -> Outcome {
        evaluate(self, host)
    }
}

/// Evaluate a `file` check.
pub fn evaluate(p: &Params, host: &Host) -> Outcome {
    let want = match Wanted::resolve(p, host) {
        Ok(w) => w,
        Err(e) => return Outcome::error(e),
    };
    let paths = if p.path.contains(['*', '?', '[']) {
        match host.glob(&p.path) {
            Ok(paths) => paths,
            Err(e) => return Outcome::error(e),
        }
    } else {
        vec![p.path.clone()]
    };

    let mut problems: Vec<String> = Vec::new();
    let mut errors: Vec<String> = Vec::new();
    let mut passes: Vec<String> = Vec::new();
    let mut absent: Vec<String> = Vec::new();
    let mut evidence: Vec<Evidence> = Vec::new();
    for path in &paths {
        match check_one(p, &want, host, path, &mut evidence) {
            One::Ok(desc) => passes.push(desc),
            One::Bad(desc) => problems.push(desc),
            One::Absent(desc) => absent.push(desc),
            One::Error(desc) => errors.push(desc),
        }
    }
    if paths.is_empty() {
        absent.push(format!("nothing matches {}", p.path));
    }

    if !errors.is_empty() {
        return Outcome::error(errors.join("; ")).with_all(evidence);
    }
    if !problems.is_empty() {
        let mut msg = problems.join("; ");
        if p.absent == Absent::Fail && !absent.is_empty() {
            msg = format!("{msg}; {}", absent.join("; "));
        }
        return Outcome::fail(format!("{msg}; expected {}", want.describe(p))).with_all(evidence);
    }
    if !absent.is_empty() && passes.is_empty() {
        let msg = absent.join("; ");
        return match p.absent {
            Absent::Fail => Outcome::fail(format!("{msg}; expected {}", want.describe(p))).with(
                Evidence::at(p.path.as_str(), None)
                    .observed("absent")
                    .expected(want.describe(p)),
            ),
            Absent::Pass => Outcome::pass(format!("{msg} (absence complies)")),
            Absent::NotApplicable => Outcome::not_applicable(msg),
        };
    }
    if !absent.is_empty() && p.absent == Absent::Fail {
        return Outcome::fail(format!(
            "{}; expected {}",
            absent.join("; "),
            want.describe(p)
        ))
        .with_all(evidence);
    }
    Outcome::pass(passes.join("; ")).with_all(evidence)
}

/// The requirements with names resolved to ids.
struct Wanted {
    uid: Option<(u32, String)>,
    gids: Option<Vec<(u32, String)>>,
}

impl Wanted {
    fn resolve(p: &Params, host: &Host) -> Result<Wanted, String> {
        let uid = match (&p.owner, p.uid) {
            (Some(name), _) => {
                let id = host.user_id(name).ok_or_else(|| {
                    format!("user {name:?} is not in the scanned tree's /etc/passwd")
                })?;
                if p.uid.is_some_and(|u| u != id) {
                    return Err(format!(
                        "rule asks for owner {name:?} and uid {}, but {name} is uid {id}",
                        p.uid.unwrap_or_default()
                    ));
                }
                Some((id, name.clone()))
            }
            (None, Some(id)) => Some((id, id.to_string())),
            (None, None) => None,
        };
        let mut gids: Option<Vec<(u32, String)>> = None;
        if let Some(name) = &p.group {
            let id = host
                .group_id(name)
                .ok_or_else(|| format!("group {name:?} is not in the scanned tree's /etc/group"))?;
            gids = Some(vec![(id, name.clone())]);
        } else if let Some(id) = p.gid {
            gids = Some(vec![(id, id.to_string())]);
        }
        if let Some(list) = &p.group_one_of {
            let resolved: Vec<(u32, String)> = list
                .iter()
                .filter_map(|g| match g.parse::<u32>() {
                    Ok(id) => Some((id, g.clone())),
                    Err(_) => host.group_id(g).map(|id| (id, g.clone())),
                })
                .collect();
            if resolved.is_empty() {
                return Err(format!(
                    "none of the groups {} is in the scanned tree's /etc/group",
                    list.join(", ")
                ));
            }
            gids = Some(match gids {
                // group/gid and group_one_of together: the intersection
                Some(g) => g.into_iter().filter(|x| resolved.contains(x)).collect(),
                None => resolved,
            });
        }
        Ok(Wanted { uid, gids })
    }

    fn describe(&self, p: &Params) -> String {
        let mut parts = Vec::new();
        if let Some(k) = p.kind {
            parts.push(match k {
                Kind::File => "a regular file".to_string(),
                Kind::Directory => "a directory".to_string(),
            });
        }
        if let Some(m) = p.max_mode {
            parts.push(format!("mode at most {:04o}", m.0));
        }
        if let Some((id, name)) = &self.uid {
            parts.push(format!("owner {}", id_name(*id, name)));
        }
        if let Some(g) = &self.gids {
            let names: Vec<String> = g.iter().map(|(id, n)| id_name(*id, n)).collect();
            parts.push(format!("group {}", names.join(" or ")));
        }
        if let Some(f) = &p.forbid_lines {
            let mut s = format!("no line matching /{}/", f.regex.0.as_str());
            if let Some(e) = &f.except {
                s.push_str(&format!(" (except /{}/)", e.0.as_str()));
            }
            parts.push(s);
        }
        if let Some(r) = &p.require_line {
            parts.push(format!("a line matching /{}/", r.0.as_str()));
        }
        if parts.is_empty() {
            "it to exist".to_string()
        } else {
            parts.join(", ")
        }
    }
}

fn id_name(id: u32, name: &str) -> String {
    if name == id.to_string() {
        id.to_string()
    } else {
        format!("{id} ({name})")
    }
}

enum One {
    Ok(String),
    Bad(String),
    Absent(String),
    Error(String),
}

fn check_one(p: &Params, want: &Wanted, host: &Host, path: &str, ev: &mut Vec<Evidence>) -> One {
    let meta = if p.follow_symlinks {
        host.metadata(path)
    } else {
        host.symlink_metadata(path)
    };
    let meta = match meta {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let dangling = p.follow_symlinks
                && host
                    .symlink_metadata(path)
                    .is_ok_and(|m| m.file_type().is_symlink());
            return One::Absent(if dangling {
                format!("{path} is a dangling symbolic link")
            } else {
                format!("{path} does not exist")
            });
        }
        Err(e) => return One::Error(format!("cannot stat {path}: {e}")),
    };
    let is_link = meta.file_type().is_symlink();
    let mode = meta.mode() & 0o7777;
    let (uid, gid) = (meta.uid(), meta.gid());
    let user = host.user_name(uid).unwrap_or_else(|| uid.to_string());
    let group = host.group_name(gid).unwrap_or_else(|| gid.to_string());
    let observed = if is_link {
        format!(
            "symbolic link, owner {}, group {}",
            id_name(uid, &user),
            id_name(gid, &group)
        )
    } else {
        format!(
            "mode {mode:04o}, owner {}, group {}",
            id_name(uid, &user),
            id_name(gid, &group)
        )
    };
    let mut bad: Vec<String> = Vec::new();
    if let Some(k) = p.kind {
        let ok = match k {
            Kind::File => meta.is_file(),
            Kind::Directory => meta.is_dir(),
        };
        if !ok {
            bad.push(format!(
                "is not a {}",
                if k == Kind::File {
                    "regular file"
                } else {
                    "directory"
                }
            ));
        }
    }
    if let (Some(max), false) = (p.max_mode, is_link) {
        let extra = mode & !max.0;
        if extra != 0 {
            bad.push(format!(
                "has mode {mode:04o} (bits {extra:04o} beyond {:04o})",
                max.0
            ));
        }
    }
    if let Some((id, name)) = &want.uid {
        if uid != *id {
            bad.push(format!(
                "is owned by {} instead of {}",
                id_name(uid, &user),
                id_name(*id, name)
            ));
        }
    }
    if let Some(g) = &want.gids {
        if !g.iter().any(|(id, _)| *id == gid) {
            let names: Vec<String> = g.iter().map(|(id, n)| id_name(*id, n)).collect();
            bad.push(format!(
                "has group {} instead of {}",
                id_name(gid, &group),
                names.join(" or ")
            ));
        }
    }
    let mut summary = Evidence::at(path, None).observed(observed.clone());
    if p.max_mode.is_some() || want.uid.is_some() || want.gids.is_some() || p.kind.is_some() {
        summary = summary.expected(want.describe(&Params {
            forbid_lines: None,
            require_line: None,
            ..p.clone()
        }));
    }
    ev.push(summary);

    // Content rules.
    if p.forbid_lines.is_some() || p.require_line.is_some() {
        if meta.is_dir() {
            return One::Error(format!("{path} is a directory; content rules need a file"));
        }
        let text = match host.read_to_string(path) {
            Ok(t) => t,
            Err(e) => return One::Error(format!("cannot read {e}")),
        };
        if let Some(f) = &p.forbid_lines {
            let mut hits = Vec::new();
            for (idx, line) in text.lines().enumerate() {
                let Some(m) = f.regex.0.find(line) else {
                    continue;
                };
                if f.except.as_ref().is_some_and(|e| e.0.is_match(line)) {
                    continue;
                }
                let n = u32::try_from(idx + 1).unwrap_or(u32::MAX);
                let shown: String = m.as_str().chars().take(80).collect();
                ev.push(
                    Evidence::at(path, Some(n))
                        .observed(shown.clone())
                        .expected(format!("no line matching /{}/", f.regex.0.as_str())),
                );
                hits.push(format!("{path}:{n} ({shown})"));
            }
            if !hits.is_empty() {
                let count = hits.len();
                let mut list: Vec<String> = hits.into_iter().take(10).collect();
                if count > 10 {
                    list.push(format!("and {} more", count - 10));
                }
                bad.push(format!(
                    "has {count} forbidden line{}: {}",
                    if count == 1 { "" } else { "s" },
                    list.join(", ")
                ));
            }
        }
        if let Some(r) = &p.require_line {
            if !text.lines().any(|l| r.0.is_match(l)) {
                ev.push(
                    Evidence::at(path, None)
                        .observed("no matching line")
                        .expected(format!("a line matching /{}/", r.0.as_str())),
                );
                bad.push(format!("has no line matching /{}/", r.0.as_str()));
            }
        }
    }

    if bad.is_empty() {
        let mut desc = format!("{path}: {observed}");
        if let Some(f) = &p.forbid_lines {
            desc.push_str(&format!(", no line matching /{}/", f.regex.0.as_str()));
            if let Some(e) = &f.except {
                desc.push_str(&format!(" (except /{}/)", e.0.as_str()));
            }
        }
        if let Some(r) = &p.require_line {
            desc.push_str(&format!(", a line matches /{}/", r.0.as_str()));
        }
        One::Ok(desc)
    } else {
        One::Bad(format!("{path} {}", bad.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;
    use crate::testutil::fixture;
    use std::fs;
    use std::os::unix::fs::{symlink, PermissionsExt};

    fn params(yaml: &str) -> Params {
        serde_saphyr::from_str(yaml).unwrap()
    }

    /// A root with /etc/passwd, /etc/group (root 0, shadow 42, alice 1000) and files
    /// created with explicit modes (git keeps neither modes nor owners).
    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let src = fixture("file/accounts");
        fs::create_dir_all(dir.path().join("etc")).unwrap();
        for f in ["passwd", "group", "shadow", "passwd_uid0", "shadow_empty"] {
            fs::copy(src.join("etc").join(f), dir.path().join("etc").join(f)).unwrap();
        }
        dir
    }

    fn chmod(root: &std::path::Path, rel: &str, mode: u32) {
        fs::set_permissions(root.join(rel), fs::Permissions::from_mode(mode)).unwrap();
    }

    fn is_root() -> bool {
        fs::metadata("/proc/self")
            .map(|m| m.uid() == 0)
            .unwrap_or(false)
    }

    #[test]
    fn mode_mask() {
        let t = tree();
        let host = Host::new(t.path());
        let p = params("{path: /etc/shadow, max_mode: \"0640\"}");
        chmod(t.path(), "etc/shadow", 0o640);
        assert_eq!(evaluate(&p, &host).status, Status::Pass);
        chmod(t.path(), "etc/shadow", 0o600);
        assert_eq!(evaluate(&p, &host).status, Status::Pass);
        chmod(t.path(), "etc/shadow", 0o644);
        let o = evaluate(&p, &host);
        assert_eq!(o.status, Status::Fail);
        assert!(
            o.message.contains("mode 0644 (bits 0004 beyond 0640)"),
            "{}",
            o.message
        );
        chmod(t.path(), "etc/shadow", 0o4640);
        assert_eq!(
            evaluate(&p, &host).status,
            Status::Fail,
            "setuid is beyond 0640"
        );
    }

    #[test]
    fn mode_must_be_an_octal_string() {
        let e = serde_saphyr::from_str::<Params>("{path: /x, max_mode: 640}").unwrap_err();
        assert!(e.to_string().contains("quoted octal string"), "{e}");
        assert!(serde_saphyr::from_str::<Params>("{path: /x, max_mode: \"0986\"}").is_err());
        assert!(serde_saphyr::from_str::<Params>("{path: /x, max_mode: \"17777\"}").is_err());
        assert!(serde_saphyr::from_str::<Params>("{path: /x, colour: red}").is_err());
    }

    #[test]
    fn owner_and_group_by_id_and_name() {
        let t = tree();
        let host = Host::new(t.path());
        let me = fs::metadata(t.path().join("etc/shadow")).unwrap();
        let o = evaluate(
            &params(&format!("{{path: /etc/shadow, uid: {}}}", me.uid())),
            &host,
        );
        assert_eq!(o.status, Status::Pass, "{o:?}");
        let o = evaluate(&params("{path: /etc/shadow, uid: 4242}"), &host);
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains("instead of 4242"), "{}", o.message);
        // names resolve through the tree's files
        let o = evaluate(&params("{path: /etc/shadow, owner: nosuchuser}"), &host);
        assert_eq!(o.status, Status::Error);
        if is_root() {
            let p = t.path().join("etc/shadow");
            std::os::unix::fs::chown(&p, Some(0), Some(42)).unwrap();
            let o = evaluate(
                &params(
                    "{path: /etc/shadow, owner: root, group_one_of: [root, shadow, nogroup_here]}",
                ),
                &host,
            );
            assert_eq!(o.status, Status::Pass, "{o:?}");
            assert!(o.message.contains("group 42 (shadow)"), "{}", o.message);
            std::os::unix::fs::chown(&p, Some(1000), Some(1000)).unwrap();
            let o = evaluate(
                &params("{path: /etc/shadow, owner: root, group: shadow}"),
                &host,
            );
            assert_eq!(o.status, Status::Fail);
            assert!(
                o.message
                    .contains("owned by 1000 (alice) instead of 0 (root)"),
                "{}",
                o.message
            );
        } else {
            eprintln!("skipping chown cases: not root");
        }
    }

    #[test]
    fn absent_modes() {
        let t = tree();
        let host = Host::new(t.path());
        assert_eq!(
            evaluate(&params("{path: /etc/nope}"), &host).status,
            Status::Fail
        );
        assert_eq!(
            evaluate(&params("{path: /etc/nope, absent: pass}"), &host).status,
            Status::Pass
        );
        assert_eq!(
            evaluate(&params("{path: /etc/nope, absent: not_applicable}"), &host).status,
            Status::NotApplicable
        );
        assert_eq!(
            evaluate(
                &params("{path: \"/etc/nope.d/*\", absent: not_applicable}"),
                &host
            )
            .status,
            Status::NotApplicable
        );
    }

    #[test]
    fn symlinks_followed_or_judged_themselves() {
        let t = tree();
        chmod(t.path(), "etc/shadow", 0o640);
        symlink("/etc/shadow", t.path().join("etc/link")).unwrap();
        symlink("/etc/missing", t.path().join("etc/dangling")).unwrap();
        let host = Host::new(t.path());
        let o = evaluate(
            &params("{path: /etc/link, max_mode: \"0640\", kind: file}"),
            &host,
        );
        assert_eq!(o.status, Status::Pass, "{o:?}");
        let o = evaluate(
            &params("{path: /etc/link, kind: file, follow_symlinks: false}"),
            &host,
        );
        assert_eq!(o.status, Status::Fail, "a link is not a regular file");
        // a link's own mode (0777) is not judged
        let o = evaluate(
            &params("{path: /etc/link, max_mode: \"0600\", follow_symlinks: false}"),
            &host,
        );
        assert_eq!(o.status, Status::Pass, "{o:?}");
        let o = evaluate(&params("{path: /etc/dangling}"), &host);
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains("dangling"), "{}", o.message);
    }

    #[test]
    fn glob_paths_judge_every_match() {
        let t = tree();
        fs::create_dir_all(t.path().join("etc/cron.d")).unwrap();
        for (n, m) in [("a", 0o600), ("b", 0o644)] {
            fs::write(t.path().join("etc/cron.d").join(n), "").unwrap();
            chmod(t.path(), &format!("etc/cron.d/{n}"), m);
        }
        let host = Host::new(t.path());
        let o = evaluate(
            &params("{path: \"/etc/cron.d/*\", max_mode: \"0600\"}"),
            &host,
        );
        assert_eq!(o.status, Status::Fail);
        assert!(
            o.message.contains("/etc/cron.d/b has mode 0644"),
            "{}",
            o.message
        );
        assert!(!o.message.contains("/etc/cron.d/a has"), "{}", o.message);
        let o = evaluate(&params("{path: /etc/cron.d, kind: directory}"), &host);
        assert_eq!(o.status, Status::Pass, "{o:?}");
    }

    #[test]
    fn forbid_lines_uid0_and_empty_hashes() {
        let t = tree();
        let host = Host::new(t.path());
        let uid0 = "{path: PATH, forbid_lines: {regex: '^[^:]*:[^:]*:0:', except: '^root:'}}";
        let o = evaluate(&params(&uid0.replace("PATH", "/etc/passwd")), &host);
        assert_eq!(o.status, Status::Pass, "{o:?}");
        let o = evaluate(&params(&uid0.replace("PATH", "/etc/passwd_uid0")), &host);
        assert_eq!(o.status, Status::Fail);
        assert!(
            o.message.contains("/etc/passwd_uid0:3 (toor:x:0:)"),
            "{}",
            o.message
        );
        let empty = "{path: PATH, forbid_lines: {regex: '^[^:]+::'}}";
        let o = evaluate(&params(&empty.replace("PATH", "/etc/shadow")), &host);
        assert_eq!(o.status, Status::Pass, "{o:?}");
        let o = evaluate(&params(&empty.replace("PATH", "/etc/shadow_empty")), &host);
        assert_eq!(o.status, Status::Fail);
        assert!(
            o.message.contains("/etc/shadow_empty:2 (guest::)"),
            "{}",
            o.message
        );
        // the hash of other lines never reaches the report
        assert!(!format!("{o:?}").contains("$6$"), "{o:?}");
    }

    #[test]
    fn require_line() {
        let t = tree();
        let host = Host::new(t.path());
        let o = evaluate(
            &params("{path: /etc/passwd, require_line: '^root:x:0:0:'}"),
            &host,
        );
        assert_eq!(o.status, Status::Pass, "{o:?}");
        let o = evaluate(
            &params("{path: /etc/passwd, require_line: '^nobody:'}"),
            &host,
        );
        assert_eq!(o.status, Status::Fail);
    }

    #[test]
    fn unreadable_is_an_error() {
        let t = tree();
        fs::create_dir_all(t.path().join("etc/adir")).unwrap();
        let host = Host::new(t.path());
        let o = evaluate(&params("{path: /etc/adir, require_line: x}"), &host);
        assert_eq!(o.status, Status::Error, "{o:?}");
    }
}
