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
