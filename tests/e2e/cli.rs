//! The command line contract: exit codes 0/1/2, policy errors with file:line:column,
//! `rules`, `explain`, `--rule`, `--output`, and that a scan never writes the scanned tree.

use crate::util::{agent, materialize};
use std::path::Path;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

const RULE: &str = "rules:
  - id: local.motd_present
    title: A login banner exists
    severity: low
    rationale: Users are told the system is monitored.
    remediation: Write /etc/issue.net.
    check:
      type: file
      params: {path: /etc/issue.net}
";

#[test]
fn malformed_policy_exits_2_with_file_line_column() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            RULE.replace("severity: low", "severity: urgent"),
            ":4:15: unknown variant `urgent`",
        ),
        (
            RULE.replace("    title:", "    titel:"),
            ":3:5: unknown field `titel`",
        ),
        (
            RULE.replace("type: file", "type: fle"),
            ":8:13: unknown variant `fle`",
        ),
        (
            format!("{RULE}{}", RULE.trim_start_matches("rules:\n")),
            ":10:9: duplicate rule id \"local.motd_present\"",
        ),
    ];
    for (i, (text, want)) in cases.iter().enumerate() {
        let path = write(dir.path(), &format!("p{i}.yaml"), text);
        let out = agent(&[
            "scan",
            "--no-builtin",
            "--policy",
            &path,
            "--root",
            dir.path().to_str().unwrap(),
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(&format!("{path}{want}")), "case {i}: {err}");
        assert!(out.stdout.is_empty(), "no report on a policy error");
    }
}

#[test]
fn invalid_regex_in_policy_is_refused_with_position() {
    let dir = tempfile::tempdir().unwrap();
    let text = "rules:
  - id: local.bad_regex
    title: t
    severity: low
    rationale: r
    remediation: m
    check:
      type: sshd
      params: {keyword: Banner, expect: {op: regex, value: '(unclosed'}}
";
    let path = write(dir.path(), "bad.yaml", text);
    let out = agent(&["rules", "--no-builtin", "--policy", &path]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("{path}:9:")) && err.contains("invalid regex"),
        "{err}"
    );
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec!["scan", "--root", "/nonexistent/hardline"],
        vec!["scan", "--rule", "no.such_rule", "--root", "/"],
        vec!["scan", "--fail-on", "urgent"],
        vec!["explain", "no.such_rule"],
        vec!["frobnicate"],
    ] {
        let out = agent(&args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn exit_status_follows_fail_on() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(dir.path(), "p.yaml", RULE);
    let root = tempfile::tempdir().unwrap();
    let r = root.path().to_str().unwrap();
    // The file is absent: the low-severity rule fails.
    let out = agent(&[
        "scan",
        "--no-builtin",
        "--policy",
        &policy,
        "--root",
        r,
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Only high and above count: exit 0.
    let out = agent(&[
        "scan",
        "--no-builtin",
        "--policy",
        &policy,
        "--root",
        r,
        "--format",
        "json",
        "--fail-on",
        "high",
    ]);
    assert_eq!(out.status.code(), Some(0));
    // Compliant: exit 0.
    std::fs::create_dir_all(root.path().join("etc")).unwrap();
    std::fs::write(root.path().join("etc/issue.net"), "Authorized use only.\n").unwrap();
    let out = agent(&[
        "scan",
        "--no-builtin",
        "--policy",
        &policy,
        "--root",
        r,
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn json_report_has_the_contract_fields() {
    let root = materialize("hardened");
    let (_, report) = crate::util::scan_json(root.path(), &[]);
    assert_eq!(report["schema_version"], 1);
    assert!(uuid_like(report["report_id"].as_str().unwrap()));
    assert_eq!(report["host"]["id"], "3f1c2a9b8d7e4f60a1b2c3d4e5f60718");
    assert_eq!(report["host"]["hostname"], "hardened-01");
    assert_eq!(report["host"]["os"]["id"], "debian");
    for k in ["started_at", "finished_at"] {
        let t = report[k].as_str().unwrap();
        assert!(t.len() >= 20 && t.contains('T'), "{k}: {t}");
    }
    let results = report["results"].as_array().unwrap();
    assert!(
        results.len() >= 80,
        "the baseline has at least 80 rules, got {}",
        results.len()
    );
    let mut counts = std::collections::HashMap::new();
    for r in results {
        for k in ["rule_id", "status", "severity", "message"] {
            assert!(r[k].is_string(), "{k} missing in {r}");
        }
        assert!(r["duration_seconds"].is_number());
        *counts
            .entry(r["status"].as_str().unwrap().to_string())
            .or_insert(0u64) += 1;
    }
    for s in ["pass", "fail", "error", "not_applicable"] {
        assert_eq!(
            report["summary"][s].as_u64().unwrap(),
            *counts.get(s).unwrap_or(&0),
            "summary.{s}"
        );
    }
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}

#[test]
fn rule_filter_evaluates_only_named_rules() {
    let root = materialize("hardened");
    let (_, report) = crate::util::scan_json(
        root.path(),
        &[
            "--rule",
            "sshd.permit_root_login",
            "--rule",
            "patch.reboot_required",
        ],
    );
    let mut ids: Vec<_> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule_id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    assert_eq!(ids, vec!["patch.reboot_required", "sshd.permit_root_login"]);
}

#[test]
fn rules_and_explain() {
    let out = agent(&["rules"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("sshd.permit_root_login"), "{text}");
    let out = agent(&["rules", "--format", "json"]);
    let rules: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(rules.as_array().unwrap().len() >= 80);
    let out = agent(&["explain", "sshd.permit_root_login"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for want in ["Why:", "Fix:", "NIST SP 800-53:", "PermitRootLogin"] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
}

#[test]
fn every_shipped_rule_is_documented() {
    let out = agent(&["rules", "--format", "json"]);
    let rules: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for r in rules.as_array().unwrap() {
        let id = r["id"].as_str().unwrap();
        for k in ["title", "rationale", "remediation"] {
            assert!(r[k].as_str().unwrap().trim().len() > 3, "{id}: {k}");
        }
        assert!(
            !r["references"]["nist_800_53"]
                .as_array()
                .unwrap()
                .is_empty(),
            "{id}: no NIST SP 800-53 reference"
        );
    }
}

#[test]
fn scan_never_writes_the_scanned_tree() {
    let root = materialize("weak");
    let before = snapshot(root.path());
    let out = agent(&[
        "scan",
        "--root",
        root.path().to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(out.status.code().is_some());
    assert_eq!(snapshot(root.path()), before);
}

fn snapshot(dir: &Path) -> Vec<(String, u64, Option<std::time::SystemTime>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let m = std::fs::symlink_metadata(e.path()).unwrap();
            if m.is_dir() {
                stack.push(e.path());
            }
            out.push((e.path().display().to_string(), m.len(), m.modified().ok()));
        }
    }
    out.sort();
    out
}

#[test]
fn output_file_is_written_and_exit_code_kept() {
    let root = materialize("weak");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.json");
    let out = agent(&[
        "scan",
        "--root",
        root.path().to_str().unwrap(),
        "--output",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "the weak host has findings");
    assert!(out.stdout.is_empty());
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(report["host"]["hostname"], "weak-01");
}

#[test]
fn run_mode_refuses_a_missing_config() {
    // Push mode itself is tested against a real collector in collector/tests/it/push.rs.
    let out = agent(&["run", "--config", "/nonexistent/hardline/agent.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--config /nonexistent/hardline/agent.toml"),
        "{err}"
    );
}
