//! `junit` output: JUnit XML for CI pipelines that scan golden images (GitLab
//! `artifacts:reports:junit`, Jenkins `junit`, GitHub test reporters).
//!
//! Shape (the de-facto Ant/Surefire schema):
//! ```xml
//! <testsuites name="hardline" tests=".." failures=".." errors=".." skipped=".." time="..">
//!   <testsuite name="hardline" hostname="web01" timestamp="2026-06-02T12:00:00" ...>
//!     <properties><property name="host.id" value="..."/>...</properties>
//!     <testcase classname="sshd" name="sshd.permit_root_login" time="0.000250">
//!       <failure message="PermitRootLogin is yes ..." type="critical">title, message, evidence, fix hint</failure>
//!     </testcase>
//!   </testsuite>
//! </testsuites>
//! ```
//! One suite: both GitLab and Jenkins group test cases by `classname`, which is the rule's
//! area (`sshd`, `sysctl`), so per-area suites would add nothing. `fail` → `<failure>`,
//! `error` → `<error>` (both with `type` = the rule severity), `not_applicable` →
//! `<skipped message=…/>`, `pass` → an empty test case. Per-target rules are named
//! `rule_id [target]` so that each target is its own test case. `time` is the check's
//! duration, the suite's is the scan's wall-clock time; `timestamp` is the scan start in
//! UTC without an offset (the Ant schema's format).
//!
//! Escaping: `&`, `<`, `>`, and in attributes `"` and `'`; tab, newline and carriage return as character
//! references (so attribute values keep them); characters XML 1.0 forbids (C0 controls,
//! U+FFFE, U+FFFF) and the other control and bidi characters as visible `\u{..}` text.

use super::text::{area, evidence_line, needs_escape, one_line, scan_seconds, seconds};
use crate::report::{Report, RuleResult, Status};
use std::fmt::Write as _;
use time::format_description::well_known::Rfc3339;

/// Render the report.
pub fn render(report: &Report) -> String {
    let tests = report.results.len();
    let count = |st: Status| report.results.iter().filter(|r| r.status == st).count();
    let (failures, errors, skipped) = (
        count(Status::Fail),
        count(Status::Error),
        count(Status::NotApplicable),
    );
    let time = format!("{:.6}", scan_seconds(report));
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"hardline\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{time}\">"
    );
    let timestamp = report
        .started_at
        .to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .map(|t| t.trim_end_matches('Z').to_string())
        .unwrap_or_default();
    let timestamp = timestamp.split('.').next().unwrap_or_default();
    let _ = writeln!(
        out,
        "  <testsuite name=\"hardline\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{time}\" timestamp=\"{}\" hostname=\"{}\" id=\"0\">",
        esc(timestamp),
        esc(&report.host.hostname)
    );
    out.push_str("    <properties>\n");
    let os = &report.host.os;
    let props: [(&str, String); 7] = [
        ("host.id", report.host.id.clone()),
        ("host.hostname", report.host.hostname.clone()),
        (
            "host.os",
            format!("{} {}", os.id, os.version_id).trim().to_string(),
        ),
        ("host.root", report.host.root.clone()),
        ("report_id", report.report_id.to_string()),
        (
            "agent",
            format!("{} {}", report.agent.name, report.agent.version)
                .trim()
                .to_string(),
        ),
        ("policy.sources", report.policy.sources.join(" ")),
    ];
    for (name, value) in props {
        let _ = writeln!(
            out,
            "      <property name=\"{}\" value=\"{}\"/>",
            esc(name),
            esc(&value)
        );
    }
    out.push_str("    </properties>\n");
    for r in &report.results {
        testcase(&mut out, r);
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

fn testcase(out: &mut String, r: &RuleResult) {
    let name = match &r.target {
        Some(t) => format!("{} [{}]", r.rule_id, t),
        None => r.rule_id.clone(),
    };
    let _ = write!(
        out,
        "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.6}\"",
        esc(area(&r.rule_id)),
        esc(&name),
        seconds(r.duration_seconds)
    );
    let element = match r.status {
        Status::Pass => {
            out.push_str("/>\n");
            return;
        }
        Status::NotApplicable => {
            let _ = writeln!(
                out,
                ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                esc(&one_line(&r.message))
            );
            return;
        }
        Status::Fail => "failure",
        Status::Error => "error",
    };
    let mut body = String::new();
    if !r.title.is_empty() {
        let _ = writeln!(body, "{}", one_line(&r.title));
    }
    let _ = writeln!(body, "{}", one_line(&r.message));
    for e in &r.evidence {
        let line = evidence_line(e);
        if !line.is_empty() {
            let _ = writeln!(body, "- {line}");
        }
    }
    let _ = write!(body, "fix: hardline-agent explain {}", one_line(&r.rule_id));
    let _ = writeln!(
        out,
        ">\n      <{element} message=\"{}\" type=\"{}\">{}</{element}>\n    </testcase>",
        esc(&one_line(&r.message)),
        r.severity.as_str(),
        esc_text(&body)
    );
}

/// Escape for an attribute value: everything [`esc_text`] does, plus tab, newline and
/// carriage return as character references (a parser would turn them into spaces).
fn esc(s: &str) -> String {
    escape(s, true)
}

/// Escape for element content (quotes stay as they are).
fn esc_text(s: &str) -> String {
    escape(s, false)
}

fn escape(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\t' | '\n' | '\r' if attribute => {
                let _ = write!(out, "&#{};", c as u32);
            }
            '\t' | '\n' => out.push(c),
            '\r' => out.push_str("&#13;"),
            // Not allowed in XML 1.0 (or unsafe to show): keep it visible as text.
            c if needs_escape(c) || c == '\u{fffe}' || c == '\u{ffff}' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::text::sample_report;

    #[test]
    fn well_formed_with_counts_and_one_case_per_result() {
        let report = sample_report();
        let xml = render(&report);
        let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "testsuites");
        let suite = root
            .children()
            .find(|n| n.has_tag_name("testsuite"))
            .unwrap();
        for node in [root, suite] {
            assert_eq!(node.attribute("tests"), Some("5"));
            assert_eq!(node.attribute("failures"), Some("2"));
            assert_eq!(node.attribute("errors"), Some("1"));
            assert_eq!(node.attribute("skipped"), Some("1"));
            assert_eq!(node.attribute("time"), Some("0.042000"));
        }
        assert_eq!(suite.attribute("hostname"), Some("web01 <&\"'>"));
        assert_eq!(suite.attribute("timestamp"), Some("2026-06-02T12:00:00"));
        let prop = |name: &str| {
            suite
                .descendants()
                .find(|n| n.has_tag_name("property") && n.attribute("name") == Some(name))
                .and_then(|n| n.attribute("value"))
                .map(str::to_string)
        };
        assert_eq!(
            prop("host.id").as_deref(),
            Some("3f1c2a9b8d7e4f60a1b2c3d4e5f60718")
        );
        assert_eq!(
            prop("report_id").as_deref(),
            Some(report.report_id.to_string().as_str())
        );

        let cases: Vec<_> = suite
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        assert_eq!(cases.len(), report.results.len());
        for (case, r) in cases.iter().zip(&report.results) {
            assert_eq!(case.attribute("classname"), Some(area(&r.rule_id)));
            assert!(case.attribute("name").unwrap().starts_with(&r.rule_id));
            assert_eq!(case.attribute("time"), Some("0.000250"));
            let child = case.children().find(|n| n.is_element());
            match r.status {
                Status::Pass => assert!(child.is_none()),
                Status::NotApplicable => {
                    let c = child.unwrap();
                    assert!(c.has_tag_name("skipped"));
                    assert_eq!(c.attribute("message"), Some(r.message.as_str()));
                }
                Status::Fail | Status::Error => {
                    let c = child.unwrap();
                    let tag = if r.status == Status::Fail {
                        "failure"
                    } else {
                        "error"
                    };
                    assert!(c.has_tag_name(tag), "{r:?}");
                    assert_eq!(c.attribute("type"), Some(r.severity.as_str()));
                    assert_eq!(c.attribute("message"), Some(one_line(&r.message).as_str()));
                    let text = c.text().unwrap();
                    assert!(text.contains(&format!("fix: hardline-agent explain {}", r.rule_id)));
                }
            }
        }
        assert_eq!(
            cases[4].attribute("name"),
            Some("tls.protocols [10.0.0.1:443]")
        );
        let failure = cases[0].first_element_child().unwrap();
        assert_eq!(
            failure.text(),
            Some(
                "Title of sshd.permit_root_login\n\
                 PermitRootLogin is \"yes\" at /etc/ssh/sshd_config:12; expected \"no\"\n\
                 - /etc/ssh/sshd_config:12: observed \"yes <&> \\\"quoted\\\" 'single'\", expected \"no\" (in Match User backup)\n\
                 fix: hardline-agent explain sshd.permit_root_login"
            )
        );
        // Control characters never reach the document; they stay visible as escapes.
        let error = cases[1].first_element_child().unwrap();
        assert!(error
            .attribute("message")
            .unwrap()
            .contains("\\u{1b}[31mred"));
        assert!(!xml.contains('\u{1b}') && !xml.contains('\u{0}') && !xml.contains('\u{7}'));
    }

    #[test]
    fn escape_handles_specials_whitespace_and_forbidden_characters() {
        assert_eq!(esc("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(esc("a\tb\nc\rd"), "a&#9;b&#10;c&#13;d");
        assert_eq!(esc_text("a\tb\nc\rd"), "a\tb\nc&#13;d");
        assert_eq!(esc_text("\"q'<&>"), "\"q'&lt;&amp;&gt;");
        assert_eq!(
            esc("\u{0}\u{1b}\u{fffe}\u{ffff}é"),
            "\\u{0}\\u{1b}\\u{fffe}\\u{ffff}é"
        );
        // Round trip through a real parser, attribute and text.
        let nasty = "q\"'<&>\t\n\r\u{1}\u{fffe}日本\u{10000}";
        let xml = format!("<a v=\"{}\">{}</a>", esc(nasty), esc_text(nasty));
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let a = doc.root_element();
        assert_eq!(
            a.attribute("v"),
            Some("q\"'<&>\t\n\r\\u{1}\\u{fffe}日本\u{10000}")
        );
        assert_eq!(a.text(), Some("q\"'<&>\t\n\r\\u{1}\\u{fffe}日本\u{10000}"));
    }

    proptest::proptest! {
        // PROPTEST_CASES raises the count for long runs.
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(
            std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
        ))]
        /// Arbitrary strings anywhere in a report still give a well-formed document.
        #[test]
        fn arbitrary_text_stays_well_formed(s in "\\PC*|[\\x00-\\x1f\\u{fffe}\\u{ffff}<&\"']*") {
            let mut report = sample_report();
            report.host.hostname = s.clone();
            for r in &mut report.results {
                r.message = s.clone();
                r.title = s.clone();
                r.rule_id = format!("x.{s}");
                r.evidence.push(crate::report::Evidence::at(s.clone(), Some(1)).observed(s.clone()));
            }
            let xml = render(&report);
            proptest::prop_assert!(roxmltree::Document::parse(&xml).is_ok(), "{}", xml);
        }
    }
}
