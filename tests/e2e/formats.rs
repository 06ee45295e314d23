//! Output formats end to end: `scan --format table|json|oscal|junit|prom`, with and without
//! `--output FILE`, colour only on a terminal and never with `NO_COLOR`.
//!
//! The scan uses `tests/fixtures/formats/policy.yaml` over `tests/fixtures/formats/root`
//! (a host name and a config value full of markup and control characters). The tests assert
//! that each format is valid and that every result of the JSON report appears in it, never
//! which status a rule has: the check types evolve independently of the formats.

use crate::util::{agent, fixture, tests_dir, tool_available};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const FORMATS: [&str; 5] = ["table", "json", "oscal", "junit", "prom"];

/// The fixture policy.
fn policy(_dir: &Path) -> PathBuf {
    fixture("formats/policy.yaml")
}

fn root() -> PathBuf {
    fixture("formats/root")
}

fn scan(policy: &Path, format: &str, extra: &[&str]) -> Output {
    let root = root();
    let mut args = vec![
        "scan",
        "--root",
        root.to_str().unwrap(),
        "--no-builtin",
        "--policy",
        policy.to_str().unwrap(),
        "--format",
        format,
    ];
    args.extend_from_slice(extra);
    agent(&args)
}

fn stdout(out: &Output) -> String {
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

/// The JSON report of the fixture scan and its exit code.
fn json_report(policy: &Path) -> (i32, Value) {
    let out = scan(policy, "json", &[]);
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    (out.status.code().unwrap(), report)
}

fn results(report: &Value) -> &Vec<Value> {
    report["results"].as_array().unwrap()
}

fn count(report: &Value, status: &str) -> u64 {
    report["summary"][status].as_u64().unwrap()
}

/// Check one rendered format against the JSON report of the same scan.
fn check_format(format: &str, text: &str, report: &Value) {
    let ids: Vec<&str> = results(report)
        .iter()
        .map(|r| r["rule_id"].as_str().unwrap())
        .collect();
    assert!(!ids.is_empty());
    match format {
        "json" => {
            let v: Value = serde_json::from_str(text).unwrap();
            assert_eq!(v["results"].as_array().unwrap().len(), ids.len());
        }
        "table" => check_table(text, report),
        "oscal" => check_oscal(text, &ids),
        "junit" => check_junit(text, report, &ids),
        "prom" => check_prom(text, report, &ids),
        other => panic!("unknown format {other}"),
    }
}

fn check_table(text: &str, report: &Value) {
    assert!(!text.contains('\x1b'), "ANSI or raw ESC in:\n{text}");
    for r in results(report) {
        let id = r["rule_id"].as_str().unwrap();
        match r["status"].as_str().unwrap() {
            "fail" | "error" | "not_applicable" => {
                assert!(text.contains(id), "{id} missing from the table:\n{text}")
            }
            _ => {}
        }
        if matches!(r["status"].as_str(), Some("fail" | "error")) {
            assert!(text.contains(&format!(": hardline-agent explain {id}\n")));
        }
    }
    let last = text.lines().last().unwrap();
    for (status, word) in [
        ("fail", "fail"),
        ("error", "error"),
        ("pass", "pass"),
        ("not_applicable", "not applicable"),
    ] {
        let n = count(report, status);
        assert!(
            last.contains(&format!("{n} {word}")),
            "summary line lacks {n} {word}: {last}"
        );
    }
    assert!(last.ends_with("COMPLIANT"), "{last}");
    assert!(last.starts_with("fmt<&>\"host:"), "{last}");
}

fn check_oscal(text: &str, ids: &[&str]) {
    let doc: Value = serde_json::from_str(text).unwrap();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(tests_dir().join("schemas/oscal_complete_schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::draft7::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let result = &doc["assessment-results"]["results"][0];
    let findings = result["findings"].as_array().unwrap();
    let observations = result["observations"].as_array().unwrap();
    assert_eq!(findings.len(), ids.len());
    assert_eq!(observations.len(), ids.len());
    for id in ids {
        assert!(
            findings.iter().any(|f| f["target"]["target-id"] == *id),
            "no finding for {id}"
        );
    }
}

fn check_junit(text: &str, report: &Value, ids: &[&str]) {
    let doc = roxmltree::Document::parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    let attr = |name: &str| suite.attribute(name).unwrap().parse::<u64>().unwrap();
    assert_eq!(attr("tests"), ids.len() as u64);
    assert_eq!(attr("failures"), count(report, "fail"));
    assert_eq!(attr("errors"), count(report, "error"));
    assert_eq!(attr("skipped"), count(report, "not_applicable"));
    assert_eq!(suite.attribute("hostname"), Some("fmt<&>\"host"));
    let names: Vec<&str> = suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .map(|n| n.attribute("name").unwrap())
        .collect();
    assert_eq!(names, ids);
}

fn check_prom(text: &str, report: &Value, ids: &[&str]) {
    let sample = regex::Regex::new(
        r#"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*",?)*\})? [-+0-9.eEInfNa]+$"#,
    )
    .unwrap();
    for line in text.lines() {
        assert!(
            line.starts_with("# HELP ") || line.starts_with("# TYPE ") || sample.is_match(line),
            "bad exposition line: {line:?}"
        );
    }
    for status in ["pass", "fail", "error", "not_applicable"] {
        let line = format!(
            "hardline_agent_results{{status=\"{status}\"}} {}",
            count(report, status)
        );
        assert!(text.lines().any(|l| l == line), "missing {line}");
    }
    for id in ids {
        assert!(
            text.contains(&format!("hardline_agent_rule_result{{rule_id=\"{id}\",")),
            "no series for {id}"
        );
    }
    if let Some(Err(e)) = hardline_agent::testutil::promtool_check_metrics(text) {
        panic!("promtool: {e}");
    }
}

#[test]
fn every_format_is_valid_and_has_every_result() {
    let dir = tempfile::tempdir().unwrap();
    let policy = policy(dir.path());
    let (code, report) = json_report(&policy);
    for format in FORMATS {
        let out = scan(&policy, format, &[]);
        assert_eq!(out.status.code(), Some(code), "{format}: same exit status");
        check_format(format, &stdout(&out), &report);
    }
}

#[test]
fn output_file_is_written_and_exit_status_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let policy = policy(dir.path());
    let (code, report) = json_report(&policy);
    for format in FORMATS {
        let file = dir.path().join(format!("report.{format}"));
        let out = scan(&policy, format, &["--output", file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(code), "{format}");
        assert!(out.stdout.is_empty(), "{format}: nothing on stdout");
        let text = std::fs::read_to_string(&file).unwrap();
        check_format(format, &text, &report);
        // No temporary file left beside it.
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp."))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
}

#[test]
fn oscal_is_deterministic_per_host_and_rule() {
    let dir = tempfile::tempdir().unwrap();
    let policy = policy(dir.path());
    let uuids = || {
        let doc: Value = serde_json::from_str(&stdout(&scan(&policy, "oscal", &[]))).unwrap();
        let result = &doc["assessment-results"]["results"][0];
        let list = |k: &str| -> Vec<Value> {
            result[k]
                .as_array()
                .map(|a| a.iter().map(|o| o["uuid"].clone()).collect())
                .unwrap_or_default()
        };
        (
            doc["assessment-results"]["uuid"].clone(),
            list("findings"),
            list("observations"),
            result["uuid"].clone(),
        )
    };
    let (a, b) = (uuids(), uuids());
    assert_eq!(a.0, b.0, "document uuid");
    assert_eq!(a.1, b.1, "finding uuids");
    assert_eq!(a.2, b.2, "observation uuids");
    assert_ne!(a.3, b.3, "each scan is a new result");
}

/// Without a terminal the default format is JSON and nothing is coloured, even with
/// `NO_COLOR` unset; `--format table` to a pipe has no escapes.
#[test]
fn no_colour_without_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let policy = policy(dir.path());
    let run = |args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hardline-agent"));
        cmd.args([
            "scan",
            "--root",
            root().to_str().unwrap(),
            "--no-builtin",
            "--policy",
            policy.to_str().unwrap(),
        ])
        .args(args)
        .env_remove("NO_COLOR");
        cmd.output().unwrap()
    };
    let table = stdout(&run(&["--format", "table"]));
    assert!(!table.contains('\x1b'), "{table}");
    let default = stdout(&run(&[]));
    serde_json::from_str::<Value>(&default).expect("JSON by default on a pipe");
}

/// On a terminal (a pty from util-linux `script`), the default is a coloured table;
/// `NO_COLOR` (non-empty) turns the colour off and leaves the text the same.
#[test]
fn colour_on_a_terminal_unless_no_color() {
    if !tool_available("script") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let policy = policy(dir.path());
    let cmd = format!(
        "'{}' scan --root '{}' --no-builtin --policy '{}'",
        env!("CARGO_BIN_EXE_hardline-agent"),
        root().display(),
        policy.display()
    );
    let on_tty = |no_color: Option<&str>| {
        let mut c = Command::new("script");
        c.args(["-qec", &cmd, "/dev/null"])
            .env("TERM", "xterm")
            .stdin(std::process::Stdio::null());
        match no_color {
            Some(v) => c.env("NO_COLOR", v),
            None => c.env_remove("NO_COLOR"),
        };
        let out = c.output().unwrap();
        String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n")
    };
    let coloured = on_tty(None);
    assert!(coloured.contains("hardline-agent scan of"), "{coloured}");
    assert!(
        coloured.contains("\x1b["),
        "colour on a terminal:\n{coloured}"
    );
    let plain = on_tty(Some("1"));
    assert!(plain.contains("hardline-agent scan of"), "{plain}");
    assert!(!plain.contains('\x1b'), "NO_COLOR honoured:\n{plain}");
    // An empty NO_COLOR does not disable colour (no-color.org).
    assert!(on_tty(Some("")).contains("\x1b["));
    // Colour only styles: without the SGR sequences the text is the plain text, apart
    // from the duration in the last line.
    let strip = regex::Regex::new("\x1b\\[[0-9;]*m").unwrap();
    let body = |s: &str| {
        let s = strip.replace_all(s, "").into_owned();
        s.lines()
            .filter(|l| !l.contains(" results in ") && !l.contains(" result in "))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(body(&coloured), body(&plain));
}
