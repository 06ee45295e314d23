//! Issue 15 item 3: every read of the scanned tree is bounded. A FIFO, a huge (sparse) file
//! or a device node where a configuration file should be makes the dependent rule `error`
//! with the reason, quickly; the scan never hangs or reads without end.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Run a scan of `root` for `rule` with a deadline: a hang fails the test instead of
/// blocking it. Returns the result object and how long the scan took.
fn scan_with_deadline(root: &Path, rule: &str, extra: &[&str]) -> (serde_json::Value, Duration) {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hardline-agent"))
        .args(["scan", "--root", root.to_str().unwrap(), "--format", "json"])
        .args(["--rule", rule])
        .args(extra)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().ok();
            child.wait().ok();
            panic!("the scan of {} did not finish within 60 s", root.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let took = started.elapsed();
    let out = child.wait_with_output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "bad JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (crate::util::result(&report, rule).clone(), took)
}

fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("etc/ssh")).unwrap();
    dir
}

#[test]
fn a_fifo_as_sshd_config_is_an_error_not_a_hang() {
    let root = tree();
    let fifo = root.path().join("etc/ssh/sshd_config");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let (r, _) = scan_with_deadline(root.path(), "sshd.permit_root_login", &[]);
    assert_eq!(r["status"], "error", "{r}");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("not a regular file (FIFO)"),
        "{r}"
    );
}

#[test]
fn a_sparse_multi_gigabyte_file_is_refused_quickly_by_its_size() {
    let root = tree();
    let f = std::fs::File::create(root.path().join("etc/ssh/sshd_config")).unwrap();
    f.set_len((2u64 << 30) + 4096).unwrap();
    let (r, took) = scan_with_deadline(root.path(), "sshd.permit_root_login", &[]);
    assert_eq!(r["status"], "error", "{r}");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("larger than 16777216 bytes (limit max_file_bytes)"),
        "{r}"
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
    // The limit is configurable: a smaller one refuses a small file too.
    std::fs::write(
        root.path().join("etc/ssh/sshd_config"),
        "PermitRootLogin no\n",
    )
    .unwrap();
    let (r, _) = scan_with_deadline(
        root.path(),
        "sshd.permit_root_login",
        &["--max-file-bytes", "8"],
    );
    assert_eq!(r["status"], "error", "{r}");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("larger than 8 bytes (limit max_file_bytes)"),
        "{r}"
    );
}

#[test]
fn a_zero_read_limit_is_a_usage_error() {
    let root = tree();
    let out = crate::util::agent(&[
        "scan",
        "--root",
        root.path().to_str().unwrap(),
        "--max-db-bytes",
        "0",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("max_db_bytes"));
}

#[test]
fn a_device_node_is_refused_and_the_null_device_reads_empty() {
    if !crate::util::is_root() {
        eprintln!("skipping: mknod needs root");
        return;
    }
    let root = tree();
    let config = root.path().join("etc/ssh/sshd_config");
    // /dev/zero (1:5): read without end before.
    let made = Command::new("mknod")
        .arg(&config)
        .args(["c", "1", "5"])
        .status()
        .unwrap();
    assert!(made.success());
    let (r, _) = scan_with_deadline(root.path(), "sshd.permit_root_login", &[]);
    assert_eq!(r["status"], "error", "{r}");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("not a regular file (character device)"),
        "{r}"
    );
    // A dpkg status that is a device: the package rules error, naming it.
    std::fs::create_dir_all(root.path().join("var/lib/dpkg")).unwrap();
    let status = root.path().join("var/lib/dpkg/status");
    let made = Command::new("mknod")
        .arg(&status)
        .args(["c", "1", "5"])
        .status()
        .unwrap();
    assert!(made.success());
    let out = crate::util::agent(&[
        "scan",
        "--root",
        root.path().to_str().unwrap(),
        "--format",
        "json",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("/var/lib/dpkg/status") && text.contains("not a regular file"),
        "{text}"
    );
    // The null device (1:3, what a masking link to /dev/null reaches) is an empty file.
    std::fs::remove_file(&config).unwrap();
    let made = Command::new("mknod")
        .arg(&config)
        .args(["c", "1", "3"])
        .status()
        .unwrap();
    assert!(made.success());
    let (r, _) = scan_with_deadline(root.path(), "sshd.permit_root_login", &[]);
    assert_ne!(r["status"], "error", "{r}");
}
