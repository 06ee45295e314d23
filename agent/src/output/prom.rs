//! `prom` output: the Prometheus text exposition format (0.0.4) for node_exporter's
//! textfile collector (`--collector.textfile.directory`). The caller writes the file
//! atomically (`--output /var/lib/node_exporter/textfile/hardline.prom`).
//!
//! Families, all gauges:
//!
//! | name | labels | value |
//! |---|---|---|
//! | `hardline_agent_info` | `version`, `host_id`, `hostname` | always 1 |
//! | `hardline_agent_last_run_timestamp_seconds` | | when the scan finished (Unix time) |
//! | `hardline_agent_run_duration_seconds` | | wall-clock scan time |
//! | `hardline_agent_results` | `status` | results by status; all four statuses, 0 included |
//! | `hardline_agent_results_by_severity` | `severity`, `status` | all 16 combinations, 0 included |
//! | `hardline_agent_rule_result` | `rule_id`, `severity`, `status` (+ `target` for per-target rules) | 1: the rule's current status |
//! | `hardline_agent_vulnerabilities` | `kev` (`true`/`false`), `band` | open findings (package × CVE); with `--feeds` only |
//! | `hardline_agent_vulnerabilities_overdue` | `band` | findings past their BOD 26-04 due date; with `--feeds` only |
//! | `hardline_agent_feed_updated_timestamp_seconds` | `feed` | date of each dated feed; with `--feeds` only |
//!
//! Cardinality: the per-rule family has one series per result (about 120 for the shipped
//! baseline, plus one per TLS endpoint or domain for per-target rules) on one node: fine for a
//! node_exporter. It carries only the current status, so a status change replaces a series
//! rather than flipping a value; alert on `hardline_agent_rule_result{status=~"fail|error"}`.
//! Fleet-wide aggregates come from the collector (`hardline_rule_results`), which has no
//! per-host label. The `report_id` is deliberately not a label (a new series every run).
//!
//! Label values are escaped per the exposition format (`\\`, `\"`, `\n`); HELP text
//! escapes `\\` and `\n`.

use super::text::{scan_seconds, seconds, STATUSES};
use crate::report::{Report, Severity};
use std::fmt::Write as _;

/// Render the report.
pub fn render(report: &Report) -> String {
    let mut out = String::new();

    family(
        &mut out,
        "hardline_agent_info",
        "Agent version and host identity; always 1.",
    );
    sample(
        &mut out,
        "hardline_agent_info",
        &[
            ("version", &report.agent.version),
            ("host_id", &report.host.id),
            ("hostname", &report.host.hostname),
        ],
        1.0,
    );

    family(
        &mut out,
        "hardline_agent_last_run_timestamp_seconds",
        "When the last hardline scan finished, in seconds since the Unix epoch.",
    );
    let finished = report.finished_at.unix_timestamp_nanos() as f64 / 1e9;
    sample(
        &mut out,
        "hardline_agent_last_run_timestamp_seconds",
        &[],
        finished,
    );

    family(
        &mut out,
        "hardline_agent_run_duration_seconds",
        "Wall-clock duration of the last hardline scan.",
    );
    sample(
        &mut out,
        "hardline_agent_run_duration_seconds",
        &[],
        scan_seconds(report),
    );

    family(
        &mut out,
        "hardline_agent_results",
        "Rule results of the last scan by status (pass, fail, error, not_applicable).",
    );
    for status in STATUSES {
        let n = report.results.iter().filter(|r| r.status == status).count();
        sample(
            &mut out,
            "hardline_agent_results",
            &[("status", status.as_str())],
            n as f64,
        );
    }

    family(
        &mut out,
        "hardline_agent_results_by_severity",
        "Rule results of the last scan by rule severity and status.",
    );
    for severity in Severity::ALL.iter().rev() {
        for status in STATUSES {
            let n = report
                .results
                .iter()
                .filter(|r| r.status == status && r.severity == *severity)
                .count();
            sample(
                &mut out,
                "hardline_agent_results_by_severity",
                &[("severity", severity.as_str()), ("status", status.as_str())],
                n as f64,
            );
        }
    }

    family(
        &mut out,
        "hardline_agent_rule_result",
        "Current status of each rule in the last scan; the series with the rule's status is 1.",
    );
    for r in &report.results {
        let mut labels: Vec<(&str, &str)> = vec![
            ("rule_id", &r.rule_id),
            ("severity", r.severity.as_str()),
            ("status", r.status.as_str()),
        ];
        if let Some(t) = &r.target {
            labels.push(("target", t));
        }
        sample(&mut out, "hardline_agent_rule_result", &labels, 1.0);
    }
    vulnerabilities(report, &mut out);
    out
}

/// Known-vulnerability counts (only with `--feeds`): by KEV and BOD 26-04 band, all eight
/// combinations with 0 included, overdue by band, and each feed's age.
fn vulnerabilities(report: &Report, out: &mut String) {
    use crate::vuln::bod::Band;
    let Some(feeds) = &report.feeds else { return };
    family(
        out,
        "hardline_agent_vulnerabilities",
        "Known vulnerabilities (package x CVE) open on the host, by KEV listing and BOD 26-04 band.",
    );
    for kev in [true, false] {
        for band in Band::ALL {
            let n = report
                .vulnerabilities
                .iter()
                .filter(|v| v.kev.is_some() == kev && v.bod_26_04.band == band.as_str())
                .count();
            let k = if kev { "true" } else { "false" };
            sample(
                out,
                "hardline_agent_vulnerabilities",
                &[("kev", k), ("band", band.as_str())],
                n as f64,
            );
        }
    }
    family(
        out,
        "hardline_agent_vulnerabilities_overdue",
        "Known vulnerabilities past their BOD 26-04 due date, by band.",
    );
    for band in Band::ALL {
        let n = report
            .vulnerabilities
            .iter()
            .filter(|v| v.bod_26_04.overdue && v.bod_26_04.band == band.as_str())
            .count();
        sample(
            out,
            "hardline_agent_vulnerabilities_overdue",
            &[("band", band.as_str())],
            n as f64,
        );
    }
    family(
        out,
        "hardline_agent_feed_updated_timestamp_seconds",
        "Date of each vulnerability feed (midnight UTC, Unix time); absent when the feed is absent or undated.",
    );
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    for f in &feeds.feeds {
        let day = f
            .updated
            .as_deref()
            .and_then(|d| time::Date::parse(d, fmt).ok());
        if let Some(d) = day {
            let t = d.midnight().assume_utc().unix_timestamp();
            sample(
                out,
                "hardline_agent_feed_updated_timestamp_seconds",
                &[("feed", &f.feed)],
                t as f64,
            );
        }
    }
}

/// `# HELP` and `# TYPE` lines of a gauge family.
fn family(out: &mut String, name: &str, help: &str) {
    let help = help.replace('\\', "\\\\").replace('\n', "\\n");
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} gauge");
}

/// One sample line.
fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: f64) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (k, v)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{k}=\"{}\"", escape_label(v));
        }
        out.push('}');
    }
    let _ = writeln!(out, " {}", number(value));
}

/// A label value escaped per the text exposition format.
fn escape_label(v: &str) -> String {
    let mut s = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            c => s.push(c),
        }
    }
    s
}

/// A sample value: integers without a fraction, others in Rust's shortest round-trip form;
/// negative and non-finite values become 0.
fn number(v: f64) -> String {
    // Every family here is a count, a timestamp or a duration: never negative or NaN.
    let v = seconds(v);
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::text::sample_report;

    /// A parsed sample: name, labels, value.
    type Sample = (String, Vec<(String, String)>, f64);

    /// Minimal line-format check: every line is a HELP/TYPE comment or
    /// `name{labels} value` with well-formed, escaped label values.
    fn check_lines(text: &str) -> Vec<Sample> {
        assert!(text.ends_with('\n'));
        let mut samples = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# ") {
                assert!(
                    rest.starts_with("HELP hardline_agent_")
                        || rest == "TYPE hardline_agent_info gauge"
                        || rest.starts_with("TYPE hardline_agent_") && rest.ends_with(" gauge"),
                    "{line}"
                );
                continue;
            }
            let name_end = line
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .unwrap();
            let name = &line[..name_end];
            assert!(name.starts_with("hardline_agent_"), "{line}");
            let mut rest = &line[name_end..];
            let mut labels = Vec::new();
            if let Some(r) = rest.strip_prefix('{') {
                rest = r;
                loop {
                    let eq = rest.find('=').unwrap();
                    let key = &rest[..eq];
                    assert!(
                        key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                        "{line}"
                    );
                    rest = rest[eq + 1..].strip_prefix('"').expect("quoted value");
                    let mut value = String::new();
                    let mut chars = rest.char_indices();
                    let end = loop {
                        let (i, c) = chars.next().expect("unterminated label value");
                        match c {
                            '\\' => match chars.next().unwrap().1 {
                                '\\' => value.push('\\'),
                                '"' => value.push('"'),
                                'n' => value.push('\n'),
                                other => panic!("bad escape \\{other} in {line}"),
                            },
                            '"' => break i,
                            '\n' => panic!("raw newline"),
                            c => value.push(c),
                        }
                    };
                    labels.push((key.to_string(), value));
                    rest = &rest[end + 1..];
                    if let Some(r) = rest.strip_prefix(',') {
                        rest = r;
                    } else {
                        rest = rest.strip_prefix('}').expect("closing brace");
                        break;
                    }
                }
            }
            let value: f64 = rest.strip_prefix(' ').expect("space").parse().unwrap();
            samples.push((name.to_string(), labels, value));
        }
        samples
    }

    #[test]
    fn exposition_has_every_family_and_status_and_escapes_labels() {
        let mut report = sample_report();
        report.host.hostname = "web\\01 \"x\"\nnext".to_string();
        let text = render(&report);
        let samples = check_lines(&text);
        let get = |name: &str, labels: &[(&str, &str)]| {
            samples
                .iter()
                .filter(|(n, l, _)| {
                    n == name
                        && labels
                            .iter()
                            .all(|(k, v)| l.iter().any(|(lk, lv)| lk == k && lv == v))
                })
                .map(|s| s.2)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            get(
                "hardline_agent_info",
                &[("hostname", "web\\01 \"x\"\nnext")]
            ),
            [1.0]
        );
        assert!(text.contains("hostname=\"web\\\\01 \\\"x\\\"\\nnext\""));
        assert_eq!(get("hardline_agent_results", &[("status", "fail")]), [2.0]);
        assert_eq!(get("hardline_agent_results", &[("status", "error")]), [1.0]);
        assert_eq!(get("hardline_agent_results", &[("status", "pass")]), [1.0]);
        assert_eq!(
            get("hardline_agent_results", &[("status", "not_applicable")]),
            [1.0]
        );
        assert_eq!(get("hardline_agent_results_by_severity", &[]).len(), 16);
        assert_eq!(
            get(
                "hardline_agent_results_by_severity",
                &[("severity", "critical"), ("status", "fail")]
            ),
            [1.0]
        );
        assert_eq!(
            get(
                "hardline_agent_results_by_severity",
                &[("severity", "low"), ("status", "fail")]
            ),
            [0.0]
        );
        assert_eq!(
            get("hardline_agent_rule_result", &[]).len(),
            report.results.len()
        );
        for r in &report.results {
            assert_eq!(
                get(
                    "hardline_agent_rule_result",
                    &[
                        ("rule_id", &r.rule_id),
                        ("status", r.status.as_str()),
                        ("severity", r.severity.as_str())
                    ]
                ),
                [1.0],
                "{}",
                r.rule_id
            );
        }
        assert_eq!(
            get("hardline_agent_rule_result", &[("target", "10.0.0.1:443")]).len(),
            1
        );
        let ts = get("hardline_agent_last_run_timestamp_seconds", &[])[0];
        assert!(
            (ts - report.finished_at.unix_timestamp() as f64 - 0.292).abs() < 1e-6,
            "{ts}"
        );
        assert!((get("hardline_agent_run_duration_seconds", &[])[0] - 0.042).abs() < 1e-9);
    }

    #[test]
    fn empty_report_still_exports_every_status() {
        let mut report = sample_report();
        report.results.clear();
        let samples = check_lines(&render(&report));
        let zeros = samples
            .iter()
            .filter(|(n, _, v)| n.starts_with("hardline_agent_results") && *v == 0.0)
            .count();
        assert_eq!(zeros, 4 + 16);
        assert!(!samples
            .iter()
            .any(|(n, _, _)| n == "hardline_agent_rule_result"));
    }

    #[test]
    fn numbers_are_plain() {
        assert_eq!(number(3.0), "3");
        assert_eq!(number(0.042), "0.042");
        assert_eq!(number(f64::NAN), "0");
        assert_eq!(number(-1.0), "0");
        assert_eq!(number(1780401600.292), "1780401600.292");
    }

    /// Differential check with Prometheus' own parser and linter (Debian package `prometheus`).
    #[test]
    fn promtool_accepts_the_exposition() {
        let text = render(&sample_report());
        if let Some(Err(e)) = crate::testutil::promtool_check_metrics(&text) {
            panic!("promtool check metrics: {e}\n{text}");
        }
    }
}
