//! `table` output: the report for a person at a terminal.
//!
//! Layout, top to bottom:
//! 1. one header line: host, operating system, scan root when it is not `/`;
//! 2. the failing and unevaluated (`error`) results, grouped by severity, critical first,
//!    `FAIL` before `ERROR` within a severity, report (policy) order otherwise. Each shows
//!    the rule id (and target), title, message, one line per evidence item
//!    (`path:line: observed "X", expected "Y" (in Match User backup)`) up to
//!    [`EVIDENCE_LIMIT`] and then `and N more (--format json lists all)`, and the command that
//!    prints the rule's rationale and remediation (`fix: hardline-agent explain <id>`;
//!    `rule:` for an error): the report carries no remediation text, the policy does;
//! 3. the not-applicable results, one line each with the reason (so that a component the
//!    admin believes installed but the agent found absent is visible);
//! 4. passes are counted, not listed (`--format json` lists them);
//! 5. one summary line: host, counts by status, number of results, duration and the verdict
//!    (`NONCOMPLIANT` when anything failed or could not be evaluated, whatever `--fail-on` says;
//!    `COMPLIANT` otherwise).
//!
//! ANSI colour only when `color` is true (the caller checks for a terminal and `NO_COLOR`);
//! the text reads the same without it. Every host-supplied string goes through
//! [`one_line`](super::text::one_line), so a hostile file cannot move the cursor or inject
//! escape sequences into the terminal.

use super::text::{evidence_line, one_line, rule_label, scan_seconds};
use crate::report::{Report, RuleResult, Severity, Status};

/// Evidence lines shown per result; the rest are counted (`--format json` lists them all).
const EVIDENCE_LIMIT: usize = 5;

/// ANSI styles used by the table.
#[derive(Clone, Copy)]
enum Style {
    Bold,
    Red,
    BoldRed,
    Yellow,
    Green,
    BoldGreen,
    Magenta,
    Blue,
    Dim,
}

impl Style {
    fn code(self) -> &'static str {
        match self {
            Style::Bold => "1",
            Style::Red => "31",
            Style::BoldRed => "1;31",
            Style::Yellow => "33",
            Style::Green => "32",
            Style::BoldGreen => "1;32",
            Style::Magenta => "1;35",
            Style::Blue => "34",
            Style::Dim => "2",
        }
    }
}

/// Applies a style when colour is on.
struct Painter {
    color: bool,
}

impl Painter {
    fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("\x1b[{}m{text}\x1b[0m", style.code())
        } else {
            text.to_string()
        }
    }
}

/// Render the report.
pub fn render(report: &Report, color: bool) -> String {
    let p = Painter { color };
    let mut out = String::new();

    // Header.
    let os = if report.host.os.pretty_name.is_empty() {
        one_line(&report.host.os.id)
    } else {
        one_line(&report.host.os.pretty_name)
    };
    let mut header = format!("hardline-agent scan of {}", one_line(&report.host.hostname));
    if !os.is_empty() {
        header.push_str(&format!(" ({os})"));
    }
    if !report.host.root.is_empty() && report.host.root != "/" {
        header.push_str(&format!(", root {}", one_line(&report.host.root)));
    }
    out.push_str(&p.paint(Style::Bold, &header));
    out.push('\n');
    vulnerabilities(report, &p, &mut out);

    // Failing and unevaluated results, by severity.
    let mut problems: Vec<&RuleResult> = report
        .results
        .iter()
        .filter(|r| matches!(r.status, Status::Fail | Status::Error))
        .collect();
    // Stable sort: report order is kept within one severity and status.
    problems.sort_by_key(|r| (std::cmp::Reverse(r.severity), r.status != Status::Fail));
    let mut current: Option<Severity> = None;
    for r in &problems {
        if current != Some(r.severity) {
            current = Some(r.severity);
            out.push('\n');
            out.push_str(&p.paint(
                severity_style(r.severity),
                &r.severity.as_str().to_uppercase(),
            ));
            out.push('\n');
        }
        let (tag, style) = match r.status {
            Status::Fail => ("FAIL ", Style::BoldRed),
            _ => ("ERROR", Style::Yellow),
        };
        out.push_str(&format!(
            "  {}  {}  {}\n",
            p.paint(style, tag),
            p.paint(Style::Bold, &rule_label(r)),
            one_line(&r.title)
        ));
        const INDENT: &str = "         ";
        if !r.message.is_empty() {
            out.push_str(&format!("{INDENT}{}\n", one_line(&r.message)));
        }
        let lines: Vec<String> = r
            .evidence
            .iter()
            .map(evidence_line)
            .filter(|l| !l.is_empty())
            .collect();
        for line in lines.iter().take(EVIDENCE_LIMIT) {
            out.push_str(&format!("{INDENT}- {line}\n"));
        }
        if lines.len() > EVIDENCE_LIMIT {
            out.push_str(&format!(
                "{INDENT}- {}\n",
                p.paint(
                    Style::Dim,
                    &format!(
                        "and {} more (`--format json` lists all)",
                        lines.len() - EVIDENCE_LIMIT
                    )
                )
            ));
        }
        // The remediation is in the policy, not in the report: point at it.
        let hint = if r.status == Status::Fail {
            "fix:"
        } else {
            "rule:"
        };
        out.push_str(&format!(
            "{INDENT}{}\n",
            p.paint(
                Style::Dim,
                &format!("{hint} hardline-agent explain {}", one_line(&r.rule_id))
            )
        ));
    }

    // Not applicable: one line each, with the reason.
    let na: Vec<&RuleResult> = report
        .results
        .iter()
        .filter(|r| r.status == Status::NotApplicable)
        .collect();
    if !na.is_empty() {
        out.push('\n');
        out.push_str(&p.paint(Style::Dim, &format!("NOT APPLICABLE ({})", na.len())));
        out.push('\n');
        for r in na {
            out.push_str(&format!(
                "  {}  {}  {}\n",
                p.paint(Style::Dim, "N/A  "),
                rule_label(r),
                p.paint(Style::Dim, &one_line(&r.message))
            ));
        }
    }

    // Passes: counted.
    let s = report.summary;
    if s.pass > 0 {
        out.push('\n');
        out.push_str(&p.paint(
            Style::Green,
            &format!(
                "PASS ({}): not listed; `--format json` lists every result",
                s.pass
            ),
        ));
        out.push('\n');
    }

    // Summary line.
    let total = report.results.len();
    let verdict = if s.fail > 0 || s.error > 0 {
        p.paint(Style::BoldRed, "NONCOMPLIANT")
    } else {
        p.paint(Style::BoldGreen, "COMPLIANT")
    };
    let count = |n: u32, word: &str, style: Style| {
        let text = format!("{n} {word}");
        if n > 0 {
            p.paint(style, &text)
        } else {
            text
        }
    };
    out.push('\n');
    out.push_str(&format!(
        "{}: {}, {}, {}, {} — {} result{} in {} — {}\n",
        one_line(&report.host.hostname),
        count(s.fail, "fail", Style::Red),
        count(s.error, "error", Style::Yellow),
        count(s.pass, "pass", Style::Green),
        count(s.not_applicable, "not applicable", Style::Dim),
        total,
        if total == 1 { "" } else { "s" },
        duration(scan_seconds(report)),
        verdict
    ));
    out
}

/// Findings listed per kind before "and N more".
const VULN_LINES: usize = 25;

/// The known-vulnerability section (only with `--feeds`): KEV findings first with their due
/// dates and "OVERDUE", then the others; feed gaps said out loud; the upgrade command.
fn vulnerabilities(report: &Report, p: &Painter, out: &mut String) {
    let Some(feeds) = &report.feeds else { return };
    let v = &report.vulnerabilities;
    let kev = v.iter().filter(|x| x.kev.is_some()).count();
    let overdue = v.iter().filter(|x| x.bod_26_04.overdue).count();
    out.push('\n');
    let head = format!(
        "KNOWN VULNERABILITIES: {} open, {kev} known-exploited (KEV), {overdue} overdue (BOD 26-04, exposure {})",
        v.len(),
        one_line(&feeds.exposure)
    );
    let style = if kev > 0 || overdue > 0 {
        Style::BoldRed
    } else {
        Style::Bold
    };
    out.push_str(&p.paint(style, &head));
    out.push('\n');
    for f in &feeds.feeds {
        let mut notes = Vec::new();
        if !f.present {
            if f.feed != "vulnrichment" {
                notes.push("ABSENT: findings cannot be complete".to_string());
            } else {
                notes.push("absent: SSVC values unknown (taken as the worse value)".to_string());
            }
        } else if f.stale {
            notes.push(format!(
                "STALE: {} days old (allowed {}): findings may be missing",
                f.age_days.unwrap_or(0),
                feeds.max_age_days
            ));
        }
        if f.malformed_count > 0 {
            notes.push(format!(
                "{} malformed record(s) skipped, first: {}",
                f.malformed_count,
                f.malformed.first().map(|m| one_line(m)).unwrap_or_default()
            ));
        }
        let ver = f.version.as_deref().or(f.updated.as_deref()).unwrap_or("-");
        let what = if f.feed == "vulnrichment" {
            format!("{} finding CVE(s) with CISA SSVC values", f.records)
        } else {
            format!("{} records, {}", f.records, one_line(ver))
        };
        let line = format!(
            "  feed {:<12} {what}{}",
            one_line(&f.feed),
            if notes.is_empty() {
                String::new()
            } else {
                format!(" — {}", notes.join("; "))
            }
        );
        let st = if notes
            .iter()
            .any(|n| n.starts_with("ABSENT") || n.starts_with("STALE"))
        {
            Style::Yellow
        } else {
            Style::Dim
        };
        out.push_str(&p.paint(st, &line));
        out.push('\n');
    }
    if !feeds.bod_26_04_table_verified {
        out.push_str(&p.paint(
            Style::Yellow,
            "  BOD 26-04 remediation table from CERT/CC's cisa:DT_BOD2604:1.0.0, not verified against the directive's own text: due dates are provisional (policies/data/bod_26_04.yaml)",
        ));
        out.push('\n');
    }
    let line = |x: &crate::report::Vulnerability| {
        let due = match (&x.bod_26_04.due, x.bod_26_04.overdue) {
            (Some(d), true) => p.paint(Style::BoldRed, &format!("OVERDUE since {}", one_line(d))),
            (Some(d), false) => format!("due {}", one_line(d)),
            (None, _) => "due at next upgrade".to_string(),
        };
        let fix = match &x.fixed_version {
            Some(f) => format!("→ {}", one_line(f)),
            None => "no fix yet".to_string(),
        };
        let mut s = format!(
            "  {}  {:<15} {} {} {fix}  {due} [{}{}]  {}",
            if x.kev.is_some() {
                p.paint(Style::BoldRed, "KEV")
            } else {
                "   ".to_string()
            },
            one_line(&x.cve),
            one_line(&x.package),
            one_line(&x.installed_version),
            one_line(&x.bod_26_04.band),
            if x.bod_26_04.forensic_triage {
                ", forensic triage"
            } else {
                ""
            },
            p.paint(Style::Dim, &one_line(&x.advisory)),
        );
        if let Some(k) = &x.kev {
            if k.known_ransomware_campaign_use == "Known" {
                s.push_str(&p.paint(Style::Magenta, "  ransomware"));
            }
        }
        if let Some(n) = &x.note {
            s.push_str(&format!("\n         {}", p.paint(Style::Dim, &one_line(n))));
        }
        s
    };
    for (label, list) in [
        ("", v.iter().filter(|x| x.kev.is_some()).collect::<Vec<_>>()),
        (
            "other ",
            v.iter().filter(|x| x.kev.is_none()).collect::<Vec<_>>(),
        ),
    ] {
        for x in list.iter().take(VULN_LINES) {
            out.push_str(&line(x));
            out.push('\n');
        }
        if list.len() > VULN_LINES {
            out.push_str(&format!(
                "  … and {} more {label}findings (`--format json` lists all)\n",
                list.len() - VULN_LINES
            ));
        }
    }
    // The one command that installs the fixes the host's repositories already offer.
    let mut upgradable: Vec<&str> = v
        .iter()
        .filter(|x| x.fix_available == Some(true))
        .map(|x| x.package.as_str())
        .collect();
    upgradable.sort_unstable();
    upgradable.dedup();
    if !upgradable.is_empty()
        && report
            .inventory
            .as_ref()
            .is_some_and(|i| i.format == "dpkg")
    {
        let names: Vec<String> = upgradable.iter().map(|n| one_line(n)).collect();
        out.push_str(&p.paint(
            Style::Dim,
            &format!("  fix: apt-get install --only-upgrade {}", names.join(" ")),
        ));
        out.push('\n');
    }
}

/// `42.0 ms` below a second, `1.25 s` above.
fn duration(seconds: f64) -> String {
    if seconds < 1.0 {
        format!("{:.1} ms", seconds * 1000.0)
    } else {
        format!("{seconds:.2} s")
    }
}

fn severity_style(s: Severity) -> Style {
    match s {
        Severity::Critical => Style::Magenta,
        Severity::High => Style::BoldRed,
        Severity::Medium => Style::Yellow,
        Severity::Low => Style::Blue,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::text::sample_report;

    #[test]
    fn plain_table_lists_problems_by_severity_then_na_then_summary() {
        let report = sample_report();
        let t = render(&report, false);
        assert!(!t.contains('\x1b'), "no ANSI escapes without colour:\n{t}");
        let expected = "\
hardline-agent scan of web01 <&\"'> (Debian GNU/Linux 12 (bookworm))

CRITICAL
  FAIL   sshd.permit_root_login  Title of sshd.permit_root_login
         PermitRootLogin is \"yes\" at /etc/ssh/sshd_config:12; expected \"no\"
         - /etc/ssh/sshd_config:12: observed \"yes <&> \\\"quoted\\\" 'single'\", expected \"no\" (in Match User backup)
         fix: hardline-agent explain sshd.permit_root_login

HIGH
  FAIL   tls.protocols [10.0.0.1:443]  Title of tls.protocols
         TLS 1.0 accepted by 10.0.0.1:443
         - observed \"TLSv1.0\", expected \"TLSv1.2 or later\"
         fix: hardline-agent explain tls.protocols
  ERROR  sysctl.kernel_randomize_va_space  Title of sysctl.kernel_randomize_va_space
         /etc/sysctl.conf: unreadable \\u{1b}[31mred\\u{1b}[0m & <broken>\\nsecond line \\u{0}\\u{b}
         - /etc/sysctl.conf: observed \"bell\\u{7}, nul\\u{0}, bidi\\u{202e}\"
         rule: hardline-agent explain sysctl.kernel_randomize_va_space

NOT APPLICABLE (1)
  N/A    kernel_module.cramfs  Grüße: the module tree is absent ✓ 日本

PASS (1): not listed; `--format json` lists every result

web01 <&\"'>: 2 fail, 1 error, 1 pass, 1 not applicable — 5 results in 42.0 ms — NONCOMPLIANT
";
        assert_eq!(t, expected, "got:\n{t}");
    }

    #[test]
    fn colour_only_when_asked_and_host_escapes_never_reach_the_terminal() {
        let report = sample_report();
        let t = render(&report, true);
        assert!(t.contains("\x1b[1;31mFAIL \x1b[0m"));
        assert!(t.contains("\x1b[1;31mNONCOMPLIANT\x1b[0m"));
        // Every ESC in the output starts one of our own SGR sequences.
        for (i, _) in t.match_indices('\x1b') {
            let rest = &t[i..];
            assert!(
                ["\x1b[0m", "\x1b[1m", "\x1b[2m", "\x1b[3", "\x1b[1;3"]
                    .iter()
                    .any(|p| rest.starts_with(p)),
                "foreign escape at {i}: {:?}",
                &rest[..rest.len().min(12)]
            );
        }
        assert!(!t.contains("\x1b[31mred"));
        // Colour changes styling only: stripping SGR sequences gives the plain text.
        let re = regex::Regex::new("\x1b\\[[0-9;]*m").unwrap();
        assert_eq!(re.replace_all(&t, ""), render(&report, false));
    }

    /// Issue 16: one rule with 20 evidence items flooded the terminal.
    #[test]
    fn evidence_is_capped_per_result_and_the_rest_counted() {
        let mut report = sample_report();
        let r = report
            .results
            .iter_mut()
            .find(|r| r.rule_id == "sshd.permit_root_login")
            .unwrap();
        let e = r.evidence[0].clone();
        r.evidence = (0..8)
            .map(|i| {
                let mut e = e.clone();
                e.line = Some(100 + i);
                e
            })
            .collect();
        let t = render(&report, false);
        for i in 0..5 {
            assert!(
                t.contains(&format!("/etc/ssh/sshd_config:{}:", 100 + i)),
                "{t}"
            );
        }
        for i in 5..8 {
            assert!(
                !t.contains(&format!("/etc/ssh/sshd_config:{}:", 100 + i)),
                "{t}"
            );
        }
        assert!(
            t.contains("         - and 3 more (`--format json` lists all)\n         fix: hardline-agent explain sshd.permit_root_login\n"),
            "{t}"
        );
        // Exactly at the limit: nothing is counted.
        let r = report
            .results
            .iter_mut()
            .find(|r| r.rule_id == "sshd.permit_root_login")
            .unwrap();
        r.evidence.truncate(5);
        let t = render(&report, false);
        assert!(!t.contains("more (`--format json`"), "{t}");
        // JSON keeps every item.
        let r = report
            .results
            .iter_mut()
            .find(|r| r.rule_id == "sshd.permit_root_login")
            .unwrap();
        r.evidence = (0..8).map(|_| e.clone()).collect();
        let json = serde_json::to_value(&report).unwrap();
        let n = json["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule_id"] == "sshd.permit_root_login")
            .unwrap()["evidence"]
            .as_array()
            .unwrap()
            .len();
        assert_eq!(n, 8);
    }

    #[test]
    fn compliant_report_and_empty_report() {
        let mut report = sample_report();
        report.results.retain(|r| r.status == Status::Pass);
        report.summary = crate::report::Summary::of(&report.results);
        report.host.root = "/mnt/image".to_string();
        let t = render(&report, false);
        assert!(t.starts_with("hardline-agent scan of web01 <&\"'> (Debian GNU/Linux 12 (bookworm)), root /mnt/image\n"));
        assert!(!t.contains("FAIL "));
        assert!(t.ends_with("— 1 result in 42.0 ms — COMPLIANT\n"), "{t}");

        report.results.clear();
        report.summary = crate::report::Summary::default();
        report.host.os = Default::default();
        let t = render(&report, false);
        assert!(t.contains("0 fail, 0 error, 0 pass, 0 not applicable — 0 results"));
    }
}
