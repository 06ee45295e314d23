//! `mount` check: a mount point exists as a mount of its own and carries the required
//! options (`nodev`, `nosuid`, `noexec`, …).
//!
//! What it reads, in order, the first that exists under the scan root:
//! `/proc/self/mounts`, `/proc/mounts` (the kernel's view: what is mounted now), then
//! `/etc/fstab` (what will be mounted at boot; the only source for an offline image). The
//! message names the source used.
//!
//! Semantics:
//! - fields are whitespace separated; `\040`, `\011`, `\012`, `\134` octal escapes are decoded
//!   (a space, tab, newline or backslash in a path);
//! - the LAST entry for a mount point is the one that counts: in `/proc/self/mounts` a later
//!   entry is mounted over an earlier one (the visible one); `mount -a` mounts fstab in order;
//! - fstab: comments (`#`) and blank lines are skipped, swap entries (type `swap`, mount
//!   point `none`/`swap`) ignored; a missing options field means `defaults`;
//! - options are resolved as mount(8) does, left to right with the later one winning:
//!   `defaults` = `rw,suid,dev,exec,auto,nouser,async`; `user`/`users` imply
//!   `noexec,nosuid,nodev`; `owner`/`group` imply `nosuid,nodev`; so `defaults,nodev` has
//!   `nodev` and `nodev,dev` has not. Other options (`mode=1777`) must appear literally.
//!
//! Absent: with `separate: true` (the default) a mount point without an entry fails ("not a
//! separate mount"); with `separate: false` the rule is `not_applicable` then (the options
//! are required only if it is a separate mount, as for `/home`). No mount table at all is
//! an error. Known limit: an offline image that mounts `/tmp` with systemd's `tmp.mount`
//! instead of fstab is reported as not separate.

use crate::host::Host;
use crate::outcome::{HostCheck, Outcome};
use crate::report::Evidence;
use serde::{Deserialize, Serialize};

/// Parameters of a `mount` check.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The mount point (`/tmp`).
    pub mount_point: String,
    /// Options that must be in effect (`[nodev, nosuid, noexec]`).
    #[serde(default)]
    pub options: Vec<String>,
    /// `true` (default): it must be a mount of its own, otherwise fail. `false`: the options
    /// are judged only when it is one, otherwise `not_applicable`.
    #[serde(default = "yes")]
    pub separate: bool,
}

fn yes() -> bool {
    true
}

impl HostCheck for Params {
    fn evaluate(&self, host: &Host) -> Outcome {
        evaluate(self, host)
    }
}

/// Evaluate a `mount` check.
pub fn evaluate(p: &Params, host: &Host) -> Outcome {
    let table = host.cached("mount:table", || load(host));
    let table = match &*table {
        Ok(t) => t,
        Err(e) => return Outcome::error(e.clone()),
    };
    let target = normalize_target(&p.mount_point);
    let wanted = p.options.join(",");
    // What the evidence expects: the options, or only a mount of its own.
    let wanted_ev = if wanted.is_empty() {
        "a separate mount".to_string()
    } else {
        format!("a separate mount with {wanted}")
    };
    let Some(entry) = table.entries.iter().rev().find(|e| e.target == target) else {
        let ev = Evidence::at(table.source.as_str(), None)
            .observed("no entry")
            .expected(wanted_ev.clone());
        return if p.separate {
            Outcome::fail(format!(
                "{target} is not a separate mount (no entry in {}); expected a separate mount with {}",
                table.source,
                if wanted.is_empty() { "any options" } else { &wanted }
            ))
            .with(ev)
        } else {
            Outcome::not_applicable(format!(
                "{target} is not a separate mount (no entry in {}); the options apply only to a separate mount",
                table.source
            ))
        };
    };
    let at = format!("{}:{}", table.source, entry.line);
    let missing: Vec<&str> = p
        .options
        .iter()
        .map(String::as_str)
        .filter(|o| !has_option(&entry.options, o))
        .collect();
    let ev = Evidence::at(table.source.as_str(), Some(entry.line))
        .observed(entry.options.clone())
        .expected(if wanted.is_empty() {
            wanted_ev
        } else {
            wanted.clone()
        });
    if missing.is_empty() {
        Outcome::pass(format!(
            "{target} is a separate {} mount ({at}) with options {}",
            entry.fstype, entry.options
        ))
        .with(ev)
    } else {
        Outcome::fail(format!(
            "{target} ({at}) has options {} without {}; expected {wanted}",
            entry.options,
            missing.join(", ")
        ))
        .with(ev)
    }
}

/// One line of a mount table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountEntry {
    /// Device or source (`/dev/sda1`, `tmpfs`, `UUID=…`).
    pub spec: String,
    /// Mount point, escapes decoded.
    pub target: String,
    /// File system type.
    pub fstype: String,
    /// Options as written (escapes decoded).
    pub options: String,
    /// 1-based line.
    pub line: u32,
}

/// A mount table and the host path it came from.
#[derive(Debug, Clone)]
pub struct MountTable {
    /// `/proc/self/mounts`, `/proc/mounts` or `/etc/fstab`.
    pub source: String,
    /// Entries in file order.
    pub entries: Vec<MountEntry>,
}

fn load(host: &Host) -> Result<MountTable, String> {
    for source in ["/proc/self/mounts", "/proc/mounts", "/etc/fstab"] {
        match host.read_optional(source) {
            Ok(Some(text)) => {
                return Ok(MountTable {
                    source: source.to_string(),
                    entries: parse(&text),
                })
            }
            Ok(None) => {}
            Err(e) => return Err(format!("cannot read {e}")),
        }
    }
    Err("no mount table: none of /proc/self/mounts, /proc/mounts, /etc/fstab exists".to_string())
}

/// Parse fstab / mounts format. Never fails: malformed lines are skipped.
pub fn parse(text: &str) -> Vec<MountEntry> {
    let mut out = Vec::new();
    for (idx, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let mut f = t.split_whitespace();
        let (Some(spec), Some(target)) = (f.next(), f.next()) else {
            continue;
        };
        let fstype = f.next().unwrap_or("auto");
        let options = f.next().unwrap_or("defaults");
        if fstype == "swap" || target == "none" || target == "swap" {
            continue;
        }
        out.push(MountEntry {
            spec: unescape(spec),
            target: normalize_target(&unescape(target)),
            fstype: unescape(fstype),
            options: unescape(options),
            line: u32::try_from(idx + 1).unwrap_or(u32::MAX),
        });
    }
    out
}

/// Decode `\NNN` octal escapes (as the kernel writes them and fstab(5) allows).
pub fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = u32::from(b[i + 1] - b'0') * 64
                + u32::from(b[i + 2] - b'0') * 8
                + u32::from(b[i + 3] - b'0');
            if let Ok(byte) = u8::try_from(v) {
                out.push(byte);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn normalize_target(t: &str) -> String {
    let trimmed = t.trim_end_matches('/');
    if trimmed.is_empty() {
        "/".to_string()
    } else {
        trimmed.to_string()
    }
}

/// Pairs of options where the later one wins: (positive, negative).
const PAIRS: [(&str, &str); 6] = [
    ("dev", "nodev"),
    ("suid", "nosuid"),
    ("exec", "noexec"),
    ("rw", "ro"),
    ("auto", "noauto"),
    ("async", "sync"),
];

/// Whether `wanted` is in effect in a comma separated option list.
pub fn has_option(options: &str, wanted: &str) -> bool {
    let family = PAIRS.iter().find(|(a, b)| *a == wanted || *b == wanted);
    let mut state: Option<bool> = None; // Some(true) = wanted is in effect
    let mut literal = false;
    for opt in options.split(',').map(str::trim) {
        let expanded: &[&str] = match opt {
            "defaults" => &["rw", "suid", "dev", "exec", "auto", "async"],
            "user" | "users" => &["noexec", "nosuid", "nodev"],
            "owner" | "group" => &["nosuid", "nodev"],
            other => {
                if other == wanted {
                    literal = true;
                }
                std::slice::from_ref(&opt)
            }
        };
        if let Some((a, b)) = family {
            for o in expanded {
                if o == a || o == b {
                    state = Some(*o == wanted);
                }
            }
        }
    }
    match family {
        Some(_) => state == Some(true),
        None => literal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;
    use crate::testutil::fixture;

    fn run(case: &str, yaml: &str) -> Outcome {
        let host = Host::new(fixture(&format!("mount/{case}")));
        let p: Params = serde_saphyr::from_str(yaml).unwrap();
        evaluate(&p, &host)
    }

    const TMP: &str = "{mount_point: /tmp, options: [nodev, nosuid, noexec], separate: true}";

    #[test]
    fn option_resolution() {
        assert!(has_option("defaults,nodev", "nodev"));
        assert!(!has_option("nodev,dev", "nodev"));
        assert!(!has_option("defaults", "nodev"));
        assert!(has_option("defaults", "dev"));
        assert!(has_option("rw,user", "noexec"));
        assert!(!has_option("rw,user,exec", "noexec"));
        assert!(has_option("rw,nosuid,nodev,noexec,relatime", "noexec"));
        assert!(has_option("mode=1777,size=10%", "mode=1777"));
        assert!(!has_option("mode=0777", "mode=1777"));
        assert!(has_option("ro", "ro"));
        assert!(!has_option("ro,rw", "ro"));
    }

    #[test]
    fn escapes() {
        assert_eq!(unescape("/mnt/a\\040b"), "/mnt/a b");
        assert_eq!(unescape("a\\134b"), "a\\b");
        assert_eq!(unescape("trail\\04"), "trail\\04");
        assert_eq!(unescape("\\777"), "\\777");
        let e = parse("/dev/sdb1 /srv/my\\040data ext4 rw,nodev 0 0\n");
        assert_eq!(e[0].target, "/srv/my data");
    }

    #[test]
    fn proc_mounts_last_entry_wins() {
        // /tmp is first mounted with nodev,nosuid,noexec, then overmounted without noexec.
        let o = run("proc_overmount", TMP);
        assert_eq!(o.status, Status::Fail, "{o:?}");
        assert!(o.message.contains("/proc/self/mounts:5"), "{}", o.message);
        assert!(o.message.contains("without noexec"), "{}", o.message);
    }

    #[test]
    fn proc_mounts_pass_and_escapes() {
        let o = run("proc_good", TMP);
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert!(o.message.contains("/proc/self/mounts"), "{}", o.message);
        let o = run("proc_good", "{mount_point: /srv/my data, options: [nodev]}");
        assert_eq!(o.status, Status::Pass, "{o:?}");
    }

    #[test]
    fn fstab_fallback() {
        let o = run("fstab_only", TMP);
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert!(o.message.contains("/etc/fstab:4"), "{}", o.message);
        // /var/tmp: defaults,nodev — nosuid missing
        let o = run(
            "fstab_only",
            "{mount_point: /var/tmp, options: [nodev, nosuid]}",
        );
        assert_eq!(o.status, Status::Fail, "{o:?}");
        assert!(o.message.contains("without nosuid"), "{}", o.message);
    }

    #[test]
    fn not_separate() {
        let o = run("not_separate", TMP);
        assert_eq!(o.status, Status::Fail, "{o:?}");
        assert!(o.message.contains("not a separate mount"), "{}", o.message);
        let o = run(
            "not_separate",
            "{mount_point: /home, options: [nodev], separate: false}",
        );
        assert_eq!(o.status, Status::NotApplicable, "{o:?}");
    }

    #[test]
    fn separate_only_evidence_names_what_is_expected() {
        // No options required: the evidence expects a separate mount, not "".
        let o = run("fstab_only", "{mount_point: /var/tmp, separate: true}");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert_eq!(o.evidence[0].expected.as_deref(), Some("a separate mount"));
        let o = run("fstab_only", "{mount_point: /var/log, separate: true}");
        assert_eq!(o.status, Status::Fail, "{o:?}");
        assert_eq!(o.evidence[0].expected.as_deref(), Some("a separate mount"));
    }

    #[test]
    fn no_table_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let host = Host::new(dir.path());
        let p: Params = serde_saphyr::from_str(TMP).unwrap();
        assert_eq!(evaluate(&p, &host).status, Status::Error);
    }

    /// Differential test against util-linux `findmnt --tab-file FILE` (Debian package
    /// `util-linux`): for generated tables, the options of the last entry findmnt lists for a
    /// mount point equal ours, escapes and comments included.
    #[test]
    fn differential_against_findmnt() {
        if !crate::testutil::tool_available("findmnt") {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let targets = [
            "/tmp",
            "/var/tmp",
            "/dev/shm",
            "/mnt/a\\040b",
            "/home/",
            "/",
        ];
        let opts = [
            "defaults",
            "defaults,nodev",
            "rw,nosuid,nodev,noexec,relatime",
            "nodev,dev",
            "ro",
            "mode=1777,size=10%",
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut compared = 0;
        for round in 0..30 {
            let mut text = String::from("# generated\n\n");
            for i in 0..(1 + next() % 8) {
                let t = targets[(next() % targets.len() as u64) as usize];
                let o = opts[(next() % opts.len() as u64) as usize];
                if next() % 5 == 0 {
                    text.push_str("   # indented comment\n");
                }
                text.push_str(&format!("/dev/sd{i} {t}\text4  {o} 0 2\n"));
            }
            if next() % 2 == 0 {
                text.push_str("/swapfile none swap sw 0 0\n");
            }
            let path = dir.path().join(format!("fstab{round}"));
            std::fs::write(&path, &text).unwrap();
            let ours = parse(&text);
            for t in ["/tmp", "/var/tmp", "/dev/shm", "/mnt/a b", "/home", "/"] {
                let out = std::process::Command::new("findmnt")
                    .args(["--tab-file"])
                    .arg(&path)
                    .args(["-n", "-o", "OPTIONS", "--mountpoint", t])
                    .output()
                    .unwrap();
                let stdout = String::from_utf8_lossy(&out.stdout);
                let theirs = stdout.lines().last().map(|l| l.trim().to_string());
                let mine = ours
                    .iter()
                    .rev()
                    .find(|e| e.target == t)
                    .map(|e| e.options.clone());
                assert_eq!(mine, theirs, "target {t} in:\n{text}");
                compared += usize::from(mine.is_some());
            }
        }
        assert!(compared > 20, "too few comparisons ({compared})");
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(256))]
        #[test]
        fn parser_never_panics(text in "\\PC{0,400}") {
            for e in parse(&text) {
                let _ = has_option(&e.options, "nodev");
            }
        }

        #[test]
        fn unescape_never_panics(text in "(\\\\[0-9]{0,4}|[a-z/ ]){0,40}") {
            let _ = unescape(&text);
        }
    }
}
