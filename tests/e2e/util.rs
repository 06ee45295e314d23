//! Shared helpers: run the agent binary, find fixtures, require oracle tools.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// The repository's `tests/` directory.
pub fn tests_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests"))
}

/// `tests/hosts/<name>`.
pub fn host(name: &str) -> PathBuf {
    tests_dir().join("hosts").join(name)
}

/// `tests/fixtures/<rel>`.
pub fn fixture(rel: &str) -> PathBuf {
    tests_dir().join("fixtures").join(rel)
}

/// Run `hardline-agent` with `args`, `NO_COLOR` set, no terminal.
pub fn agent(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hardline-agent"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run hardline-agent")
}

/// Scan `root` and parse the JSON report.
pub fn scan_json(root: &std::path::Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let root = root.to_str().unwrap();
    let mut args = vec!["scan", "--root", root, "--format", "json"];
    args.extend_from_slice(extra);
    let out = agent(&args);
    let code = out.status.code().unwrap_or(-1);
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "bad JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, report)
}

/// The result object for `rule_id` in a JSON report.
pub fn result<'a>(report: &'a serde_json::Value, rule_id: &str) -> &'a serde_json::Value {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule_id"] == rule_id)
        .unwrap_or_else(|| panic!("no result for {rule_id}"))
}

#[allow(unused_imports)]
pub use hardline_agent::testutil::tool_available;

/// A copy of `tests/hosts/<name>` in a temporary directory, with the modes and owners of
/// `tests/hosts/<name>.perms` applied (git keeps neither). Each line of the manifest is
/// `MODE UID GID PATH` (octal mode, numeric ids, host path); `#` starts a comment.
/// Owners are applied only when running as root (CI runs as root).
pub fn materialize(name: &str) -> tempfile::TempDir {
    let src = host(name);
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&src, dir.path());
    let manifest = tests_dir().join("hosts").join(format!("{name}.perms"));
    if let Ok(text) = std::fs::read_to_string(&manifest) {
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap().trim();
            if line.is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(
                f.len(),
                4,
                "{}:{}: expected MODE UID GID PATH",
                manifest.display(),
                n + 1
            );
            let mode = u32::from_str_radix(f[0], 8).unwrap();
            let path = dir.path().join(f[3].trim_start_matches('/'));
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            if is_root() {
                std::os::unix::fs::chown(
                    &path,
                    Some(f[1].parse().unwrap()),
                    Some(f[2].parse().unwrap()),
                )
                .unwrap();
            }
        }
    }
    dir
}

/// True when the tests run as root.
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// Copy a directory tree, keeping symbolic links as links.
pub fn copy_tree(src: &std::path::Path, dst: &std::path::Path) {
    std::fs::create_dir_all(dst).unwrap();
    for entry in std::fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        let ty = entry.file_type().unwrap();
        let to = dst.join(entry.file_name());
        if ty.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(entry.path()).unwrap(), &to).unwrap();
        } else if ty.is_dir() {
            copy_tree(&entry.path(), &to);
        } else {
            std::fs::copy(entry.path(), &to).unwrap();
        }
    }
}

/// Scan `root` as an unprivileged user (`setpriv` to uid/gid 65534 when running as root,
/// as CI does; otherwise as the current, already unprivileged, user). The root and its
/// parents must be traversable by that user.
pub fn scan_json_unprivileged(root: &std::path::Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let root_s = root.to_str().unwrap();
    let mut args: Vec<&str> = vec!["scan", "--root", root_s, "--format", "json"];
    args.extend_from_slice(extra);
    let bin = env!("CARGO_BIN_EXE_hardline-agent");
    let out = if is_root() {
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(bin)
            .args(&args)
            .env("NO_COLOR", "1")
            .output()
            .expect("run setpriv hardline-agent")
    } else {
        Command::new(bin)
            .args(&args)
            .env("NO_COLOR", "1")
            .output()
            .expect("run hardline-agent")
    };
    let code = out.status.code().unwrap_or(-1);
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "bad JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, report)
}

/// A copy of `tests/fixtures/<rel>` in a world-traversable temporary directory, with each
/// of `locked` (host paths) set to mode 000.
pub fn locked_copy(rel: &str, locked: &[&str]) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture(rel), dir.path());
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    for p in locked {
        let path = dir.path().join(p.trim_start_matches('/'));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    dir
}
