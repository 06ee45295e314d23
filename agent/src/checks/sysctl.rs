//! `sysctl` check: a kernel parameter is set persistently (so it survives a reboot) AND has
//! the required value in the running kernel.
//!
//! Persistent value — what `systemd-sysctl` and procps `sysctl --system` apply at boot:
//! - `*.conf` files of `/etc/sysctl.d`, `/run/sysctl.d`, `/usr/local/lib/sysctl.d`,
//!   `/usr/lib/sysctl.d`, `/lib/sysctl.d`, all sorted together by file name; a file name in an
//!   earlier directory masks the same name in a later one (a symbolic link to `/dev/null`
//!   masks and contributes nothing); then `/etc/sysctl.conf` last (procps; on Debian systemd
//!   reads it through the `/etc/sysctl.d/99-sysctl.conf` link — reading it twice is harmless);
//! - a line is `key = value`; `#` and `;` start comment lines; a leading `-` means "ignore
//!   errors when applying" and is still an assignment; a line `-key` without `=` excludes the
//!   key from glob assignments (systemd); other lines without `=` are ignored, as both tools do;
//! - keys are normalised as systemd's `sysctl_normalize()`: when the first separator is `.`,
//!   `.` and `/` are swapped, so `net.ipv4.ip_forward` == `net/ipv4/ip_forward` and
//!   `net/ipv4/conf/eth0.10/rp_filter` names the VLAN interface `eth0.10`;
//! - the later assignment of a key wins; the evidence names the last line that assigns it;
//! - glob keys (`net.ipv4.conf.*.rp_filter = 1`, systemd ≥ 246) apply to every matching key
//!   that has no explicit assignment; among several matching globs the one applied last wins.
//!
//! Runtime value: `/proc/sys/<key with / separators>` under the scan root, read only when
//! the root has a `/proc/sys` ([`Host::has_proc`]). Without one (an offline image) the
//! persistent value is judged alone and the message says so. A runtime file that does not
//! exist means the running kernel has no such parameter (IPv6 disabled, feature not built):
//! `not_applicable`. An unreadable runtime or configuration file is an error.
//!
//! Multi-valued parameters (`net.ipv4.ip_local_port_range`) are compared with runs of
//! whitespace collapsed to one space. The persistent configuration is parsed once per scan.

use crate::checks::expect::Expect;
use crate::host::Host;
use crate::outcome::{HostCheck, Outcome};
use crate::report::Evidence;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Parameters of a `sysctl` check.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The kernel parameter, `.` or `/` separated (`net.ipv4.ip_forward`).
    pub key: String,
    /// The condition both the persistent and the runtime value must meet.
    pub expect: Expect,
}

/// The sysctl.d directories in order of precedence.
pub const SYSCTL_DIRS: [&str; 5] = [
    "/etc/sysctl.d",
    "/run/sysctl.d",
    "/usr/local/lib/sysctl.d",
    "/usr/lib/sysctl.d",
    "/lib/sysctl.d",
];

/// Read after every sysctl.d file.
pub const SYSCTL_CONF: &str = "/etc/sysctl.conf";

impl HostCheck for Params {
    fn evaluate(&self, host: &Host) -> Outcome {
        evaluate(self, host)
    }
}

/// Evaluate a `sysctl` check.
pub fn evaluate(p: &Params, host: &Host) -> Outcome {
    let key = normalize(&p.key);
    let dotted = display(&key);
    let expected = p.expect.describe();
    let config = host.cached("sysctl:persistent", || load(host));
    let config = match &*config {
        Ok(c) => c,
        Err(e) => return Outcome::error(e.clone()),
    };

    // Runtime value.
    let proc_path = format!("/proc/sys/{key}");
    let runtime: Option<String> = if host.has_proc() {
        match host.read_to_string(&proc_path) {
            Ok(v) => Some(squash(&v)),
            Err(e) if e.is_not_found() => {
                return Outcome::not_applicable(format!(
                    "the running kernel has no {dotted} ({proc_path} does not exist)"
                ))
            }
            Err(e) => return Outcome::error(format!("cannot read {e}")),
        }
    } else {
        None
    };

    let mut evidence = Vec::new();
    let persistent = config.effective(&key);
    let persistent_ok = match &persistent {
        Effective::Set(a) => {
            evidence.push(
                Evidence::at(a.file.as_str(), Some(a.line))
                    .observed(a.value.clone())
                    .expected(expected.clone())
                    .context("persistent"),
            );
            p.expect.matches(&a.value)
        }
        Effective::Excluded(_) | Effective::Unset => {
            evidence.push(
                Evidence::default()
                    .observed("not persisted")
                    .expected(expected.clone())
                    .context("persistent"),
            );
            false
        }
    };
    let runtime_ok = match &runtime {
        Some(v) => {
            evidence.push(
                Evidence::at(proc_path.as_str(), None)
                    .observed(v.clone())
                    .expected(expected.clone())
                    .context("runtime"),
            );
            p.expect.matches(v)
        }
        None => true,
    };

    let persistent_desc = match &persistent {
        Effective::Set(a) => format!("persistent {} ({}:{})", a.value, a.file, a.line),
        Effective::Unset => {
            "not persisted in /etc/sysctl.d, /run/sysctl.d, /usr/local/lib/sysctl.d, /usr/lib/sysctl.d, /lib/sysctl.d or /etc/sysctl.conf".to_string()
        }
        Effective::Excluded(a) => format!(
            "not persisted (only the glob exclusion -{dotted} at {}:{})",
            a.file, a.line
        ),
    };
    let runtime_desc = match &runtime {
        Some(v) => format!("runtime {v}"),
        None => "no /proc/sys under the root (offline image): judged on the persistent value alone"
            .to_string(),
    };
    let message = format!("{dotted}: {persistent_desc}, {runtime_desc}; expected {expected}");
    let outcome = if persistent_ok && runtime_ok {
        Outcome::pass(message)
    } else {
        Outcome::fail(message)
    };
    outcome.with_all(evidence)
}

/// One assignment in a sysctl configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// Normalised key (`/` separated).
    pub key: String,
    /// Value with whitespace runs collapsed; `None` for a `-key` glob exclusion.
    pub value: Option<String>,
    /// Host path of the file.
    pub file: String,
    /// 1-based line.
    pub line: u32,
}

/// The merged persistent configuration.
#[derive(Debug, Default)]
pub struct Config {
    /// Explicit keys: assignment and insertion sequence (for glob ordering).
    explicit: HashMap<String, (Assignment, u64)>,
    /// Glob keys, in the same map semantics, kept separately for matching.
    globs: HashMap<String, (Assignment, u64)>,
    seq: u64,
}

/// A value and where it was assigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The value, whitespace runs collapsed.
    pub value: String,
    /// Host path of the file.
    pub file: String,
    /// 1-based line.
    pub line: u32,
}

impl Located {
    fn of(a: &Assignment) -> Option<Located> {
        a.value.as_ref().map(|v| Located {
            value: v.clone(),
            file: a.file.clone(),
            line: a.line,
        })
    }
}

/// The persistent value of one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effective {
    /// Assigned (explicitly or by a glob).
    Set(Located),
    /// Excluded from globs with `-key` and not assigned.
    Excluded(Assignment),
    /// Nowhere.
    Unset,
}

impl Config {
    /// Apply assignments in file order.
    pub fn add(&mut self, a: Assignment) {
        let map = if is_glob(&a.key) {
            &mut self.globs
        } else {
            &mut self.explicit
        };
        if let Some((old, _)) = map.get_mut(&a.key) {
            if old.value == a.value {
                // Same value again: systemd keeps the entry's position (which matters
                // only for glob order); the evidence names the later, authoritative line.
                *old = a;
                return;
            }
        }
        self.seq += 1;
        map.insert(a.key.clone(), (a, self.seq));
    }

    /// The persistent value of a normalised key.
    pub fn effective(&self, key: &str) -> Effective {
        if let Some((a, _)) = self.explicit.get(key) {
            return match Located::of(a) {
                Some(l) => Effective::Set(l),
                None => Effective::Excluded(a.clone()),
            };
        }
        let opts = glob::MatchOptions {
            case_sensitive: true,
            require_literal_separator: true,
            require_literal_leading_dot: false,
        };
        self.globs
            .values()
            .filter(|(a, _)| {
                glob::Pattern::new(&a.key).is_ok_and(|pat| pat.matches_with(key, opts))
            })
            .filter_map(|(a, seq)| Located::of(a).map(|l| (l, seq)))
            .max_by_key(|(_, seq)| **seq)
            .map(|(l, _)| Effective::Set(l))
            .unwrap_or(Effective::Unset)
    }
}

fn is_glob(key: &str) -> bool {
    key.contains(['*', '?', '['])
}

/// Read every sysctl configuration file of the host, in application order.
fn load(host: &Host) -> Result<Config, String> {
    let mut by_name: BTreeMap<String, String> = BTreeMap::new();
    for dir in SYSCTL_DIRS {
        let entries = host
            .read_dir_sorted(dir)
            .map_err(|e| format!("cannot list {e}"))?;
        for e in entries {
            if e.name.ends_with(".conf") && !by_name.contains_key(&e.name) {
                by_name.insert(e.name, e.host_path);
            }
        }
    }
    let mut config = Config::default();
    for path in by_name.values() {
        if masked(host, path) {
            continue;
        }
        if host.metadata(path).is_ok_and(|m| m.is_dir()) {
            continue;
        }
        let shown = link_target(host, path).unwrap_or_else(|| path.clone());
        match host.read_optional(path) {
            Ok(Some(text)) => parse(&text, &shown).into_iter().for_each(|a| config.add(a)),
            Ok(None) => {} // dangling link: skipped, as systemd does
            Err(e) => return Err(format!("cannot read {e}")),
        }
    }
    match host.read_optional(SYSCTL_CONF) {
        Ok(Some(text)) => parse(&text, SYSCTL_CONF)
            .into_iter()
            .for_each(|a| config.add(a)),
        Ok(None) => {}
        Err(e) => return Err(format!("cannot read {e}")),
    }
    Ok(config)
}

/// For a configuration file that is a symbolic link (Debian's
/// `/etc/sysctl.d/99-sysctl.conf -> ../sysctl.conf`), the host path of its final target:
/// evidence names the file an administrator edits.
fn link_target(host: &Host, path: &str) -> Option<String> {
    if !host
        .symlink_metadata(path)
        .is_ok_and(|m| m.file_type().is_symlink())
    {
        return None;
    }
    let mut current = path.to_string();
    for _ in 0..8 {
        let target = host.read_link(&current).ok()?;
        let target = target.to_string_lossy();
        let joined = if target.starts_with('/') {
            target.into_owned()
        } else {
            let parent = current.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
            format!("{parent}/{target}")
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
        current = format!("/{}", parts.join("/"));
        if !host
            .symlink_metadata(&current)
            .is_ok_and(|m| m.file_type().is_symlink())
        {
            return Some(current);
        }
    }
    None
}

/// A symbolic link to /dev/null masks a configuration file.
fn masked(host: &Host, path: &str) -> bool {
    host.symlink_metadata(path)
        .is_ok_and(|m| m.file_type().is_symlink())
        && host
            .read_link(path)
            .is_ok_and(|t| t == std::path::Path::new("/dev/null"))
}

/// Parse one sysctl.d file. Never fails: lines that are not assignments are skipped.
pub fn parse(text: &str, file: &str) -> Vec<Assignment> {
    let mut out = Vec::new();
    for (idx, raw) in text.lines().enumerate() {
        let line = u32::try_from(idx + 1).unwrap_or(u32::MAX);
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
            continue;
        }
        let (key, value) = match t.split_once('=') {
            Some((k, v)) => (k.strip_prefix('-').unwrap_or(k), Some(squash(v))),
            None => match t.strip_prefix('-') {
                Some(k) => (k, None),
                None => continue,
            },
        };
        let key = normalize(key);
        if key.is_empty() {
            continue;
        }
        out.push(Assignment {
            key,
            value,
            file: file.to_string(),
            line,
        });
    }
    out
}

/// systemd's `sysctl_normalize()`: `/`-separated form; when the first separator is `.`,
/// dots and slashes are swapped. Empty components are dropped.
pub fn normalize(key: &str) -> String {
    let key = key.trim();
    let swapped: String = if key
        .find(['.', '/'])
        .is_some_and(|i| key[i..].starts_with('.'))
    {
        key.chars()
            .map(|c| match c {
                '.' => '/',
                '/' => '.',
                c => c,
            })
            .collect()
    } else {
        key.to_string()
    };
    swapped
        .split('/')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("/")
}

/// The usual dotted spelling of a normalised key.
pub fn display(key: &str) -> String {
    key.chars()
        .map(|c| match c {
            '.' => '/',
            '/' => '.',
            c => c,
        })
        .collect()
}

/// Whitespace runs collapsed to one space, ends trimmed.
fn squash(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;
    use crate::testutil::fixture;

    fn run(case: &str, key: &str, value: &str) -> Outcome {
        let host = Host::new(fixture(&format!("sysctl/{case}")));
        let p: Params = serde_saphyr::from_str(&format!(
            "{{key: {key}, expect: {{op: eq, value: {value}}}}}"
        ))
        .unwrap();
        evaluate(&p, &host)
    }

    #[test]
    fn normalisation() {
        assert_eq!(normalize("net.ipv4.ip_forward"), "net/ipv4/ip_forward");
        assert_eq!(normalize("net/ipv4/ip_forward"), "net/ipv4/ip_forward");
        assert_eq!(
            normalize("net/ipv4/conf/eth0.10/rp_filter"),
            "net/ipv4/conf/eth0.10/rp_filter"
        );
        assert_eq!(
            normalize("net.ipv4.conf.eth0/10.rp_filter"),
            "net/ipv4/conf/eth0.10/rp_filter"
        );
        assert_eq!(
            display("net/ipv4/conf/eth0.10/rp_filter"),
            "net.ipv4.conf.eth0/10.rp_filter"
        );
        assert_eq!(normalize(" kernel..sysrq "), "kernel/sysrq");
    }

    #[test]
    fn parser_lines() {
        let a = parse(
            "# c\n; c\nnet.ipv4.ip_forward = 0\n-kernel.sysrq=1\nbogus line\n-net.ipv4.conf.lo.rp_filter\nnet.ipv4.ip_local_port_range = 1024 \t 65000\n = 3\n",
            "/f",
        );
        let got: Vec<(&str, Option<&str>, u32)> = a
            .iter()
            .map(|a| (a.key.as_str(), a.value.as_deref(), a.line))
            .collect();
        assert_eq!(
            got,
            vec![
                ("net/ipv4/ip_forward", Some("0"), 3),
                ("kernel/sysrq", Some("1"), 4),
                ("net/ipv4/conf/lo/rp_filter", None, 6),
                ("net/ipv4/ip_local_port_range", Some("1024 65000"), 7),
            ]
        );
    }

    #[test]
    fn etc_masks_usr_lib_with_the_same_name() {
        // /usr/lib/sysctl.d/50-default.conf sets ip_forward=1, /etc/sysctl.d/50-default.conf
        // (same name) sets 0 and masks it; 60-mask.conf -> /dev/null masks a /usr/lib file.
        let o = run("masking", "net.ipv4.ip_forward", "0");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert!(
            o.message.contains("/etc/sysctl.d/50-default.conf:2"),
            "{}",
            o.message
        );
        let o = run("masking", "kernel.kptr_restrict", "1");
        assert_eq!(o.status, Status::Fail, "{o:?}");
        assert!(o.message.contains("not persisted"), "{}", o.message);
    }

    #[test]
    fn later_file_name_wins_across_directories() {
        // /etc/sysctl.d/10-a.conf sets 0, /usr/lib/sysctl.d/90-b.conf sets 1: 90 sorts later.
        let o = run("ordering", "net.ipv4.ip_forward", "0");
        assert_eq!(o.status, Status::Fail, "{o:?}");
        assert!(
            o.message
                .contains("persistent 1 (/usr/lib/sysctl.d/90-b.conf:1)"),
            "{}",
            o.message
        );
    }

    #[test]
    fn sysctl_conf_is_read_last_and_slashes_are_dots() {
        let o = run("sysctl_conf_last", "net.ipv4.ip_forward", "0");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert!(o.message.contains("(/etc/sysctl.conf:3)"), "{}", o.message);
        // written as kernel/randomize_va_space in the file
        let o = run("sysctl_conf_last", "kernel.randomize_va_space", "2");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        let o = run("sysctl_conf_last", "kernel/randomize_va_space", "2");
        assert_eq!(o.status, Status::Pass, "{o:?}");
    }

    #[test]
    fn linked_config_is_reported_under_its_real_name() {
        let o = run("debian_symlink", "net.ipv4.ip_forward", "0");
        assert_eq!(o.status, Status::Fail, "{o:?}");
        assert!(
            o.message
                .contains("persistent 1 (/etc/sysctl.conf:3), runtime 1"),
            "{}",
            o.message
        );
    }

    #[test]
    fn not_persisted_fails_even_when_runtime_complies() {
        let o = run("not_persisted", "net.ipv4.ip_forward", "0");
        assert_eq!(o.status, Status::Fail, "{o:?}");
        assert!(o.message.contains("not persisted"), "{}", o.message);
        assert!(o.message.contains("runtime 0"), "{}", o.message);
    }

    #[test]
    fn runtime_mismatch_fails() {
        let o = run("runtime_mismatch", "net.ipv4.ip_forward", "0");
        assert_eq!(o.status, Status::Fail, "{o:?}");
        assert!(
            o.message
                .contains("persistent 0 (/etc/sysctl.d/99-hardening.conf:1), runtime 1"),
            "{}",
            o.message
        );
        assert_eq!(
            o.evidence[1].path.as_deref(),
            Some("/proc/sys/net/ipv4/ip_forward")
        );
    }

    #[test]
    fn offline_image_judged_on_persistent_value() {
        let o = run("offline", "net.ipv4.ip_forward", "0");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert!(o.message.contains("offline image"), "{}", o.message);
        assert_eq!(
            run("offline", "kernel.randomize_va_space", "2").status,
            Status::Fail
        );
    }

    #[test]
    fn runtime_absent_is_not_applicable() {
        let o = run("runtime_mismatch", "net.ipv6.conf.all.accept_ra", "0");
        assert_eq!(o.status, Status::NotApplicable, "{o:?}");
    }

    #[test]
    fn globs_and_exclusions() {
        // 10-glob.conf: net.ipv4.conf.*.rp_filter = 1, net.ipv4.conf.all.rp_filter = 2
        // explicit wins over the glob; -net.ipv4.conf.lo.rp_filter excludes lo.
        let o = run("globs", "net.ipv4.conf.default.rp_filter", "1");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        let o = run("globs", "net.ipv4.conf.all.rp_filter", "2");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        let o = run("globs", "net.ipv4.conf.lo.rp_filter", "1");
        assert_eq!(o.status, Status::Fail, "{o:?}");
        assert!(o.message.contains("glob exclusion"), "{}", o.message);
    }

    #[test]
    fn multi_valued_whitespace_normalised() {
        let o = run(
            "multivalue",
            "net.ipv4.ip_local_port_range",
            "\"32768 60999\"",
        );
        assert_eq!(o.status, Status::Pass, "{o:?}");
    }

    #[test]
    fn unreadable_runtime_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("proc/sys/net/ipv4/ip_forward")).unwrap();
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        std::fs::write(
            dir.path().join("etc/sysctl.conf"),
            "net.ipv4.ip_forward=0\n",
        )
        .unwrap();
        let host = Host::new(dir.path());
        let p: Params =
            serde_saphyr::from_str("{key: net.ipv4.ip_forward, expect: {op: eq, value: 0}}")
                .unwrap();
        let o = evaluate(&p, &host);
        assert_eq!(o.status, Status::Error, "{o:?}");
    }

    /// Differential test against procps `sysctl --dry-run -p FILE` (Debian package `procps`):
    /// for generated files, the last value procps would write for each explicit key equals
    /// our effective persistent value. Only keys that exist on the test machine are used
    /// (procps skips unknown ones); values compare with whitespace collapsed.
    #[test]
    fn differential_against_procps_sysctl() {
        if !crate::testutil::tool_available("sysctl") {
            return;
        }
        let candidates = [
            "net.ipv4.ip_forward",
            "net.ipv4.tcp_syncookies",
            "net.ipv4.ip_local_port_range",
            "net.ipv4.conf.all.rp_filter",
            "net.ipv4.conf.default.accept_redirects",
            "kernel.randomize_va_space",
            "fs.protected_symlinks",
        ];
        let keys: Vec<&str> = candidates
            .iter()
            .copied()
            .filter(|k| std::path::Path::new(&format!("/proc/sys/{}", normalize(k))).exists())
            .collect();
        if keys.is_empty() {
            eprintln!("skipping: no candidate sysctl exists under /proc/sys on this machine");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut compared = 0;
        for round in 0..40 {
            let mut text = String::new();
            for _ in 0..(next() % 12) {
                let k = keys[(next() % keys.len() as u64) as usize];
                let k = if next() % 3 == 0 {
                    normalize(k)
                } else {
                    k.to_string()
                };
                let dash = if next() % 4 == 0 { "-" } else { "" };
                let v = match next() % 4 {
                    0 => "0".to_string(),
                    1 => "1".to_string(),
                    2 => "1024 \t 65000".to_string(),
                    _ => format!("{}", next() % 3),
                };
                let sep = ["=", " = ", "\t=  "][(next() % 3) as usize];
                match next() % 6 {
                    0 => text.push_str("# comment = 1\n"),
                    1 => text.push_str("; other comment\n"),
                    _ => {}
                }
                text.push_str(&format!(
                    "{}{dash}{k}{sep}{v}\n",
                    if next() % 5 == 0 { "  " } else { "" }
                ));
            }
            let path = dir.path().join(format!("r{round}.conf"));
            std::fs::write(&path, &text).unwrap();
            let out = std::process::Command::new("sysctl")
                .arg("--dry-run")
                .arg("-p")
                .arg(&path)
                .output()
                .unwrap();
            let mut oracle: HashMap<String, String> = HashMap::new();
            for line in String::from_utf8_lossy(&out.stdout).lines() {
                if let Some((k, v)) = line.split_once(" = ") {
                    oracle.insert(normalize(k), squash(v));
                }
            }
            let mut ours = Config::default();
            for a in parse(&text, "/f") {
                ours.add(a);
            }
            for k in &keys {
                let key = normalize(k);
                let mine = match ours.effective(&key) {
                    Effective::Set(l) => Some(l.value),
                    _ => None,
                };
                compared += usize::from(mine.is_some());
                assert_eq!(
                    mine.as_deref(),
                    oracle.get(&key).map(String::as_str),
                    "key {k} in:\n{text}"
                );
            }
        }
        assert!(
            compared > 20,
            "the oracle compared too few values ({compared})"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(256))]
        #[test]
        fn parser_never_panics(text in "\\PC{0,400}") {
            let mut c = Config::default();
            for a in parse(&text, "/f") {
                c.add(a);
            }
            let _ = c.effective("net/ipv4/ip_forward");
        }

        #[test]
        fn parser_never_panics_on_sysctl_like_text(text in "([ \\t]*[-#;=*?\\[\\]./a-z0-9_ \\t]{0,40}\\n?){0,20}") {
            let mut c = Config::default();
            for a in parse(&text, "/f") {
                proptest::prop_assert!(!a.key.is_empty());
                c.add(a);
            }
            let _ = c.effective("net/ipv4/conf/all/rp_filter");
        }
    }
}
