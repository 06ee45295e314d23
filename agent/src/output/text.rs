//! Text helpers shared by the output formats: make host-supplied strings safe to show.
//!
//! Observed values come from files on the scanned host; a hostile or broken file can put
//! terminal escape sequences, newlines or bidirectional overrides into them. Every format
//! that prints such a value on one line passes it through [`one_line`].

use crate::report::{Evidence, Report, RuleResult, Status};
use std::fmt::Write as _;

/// `s` on one line with every character [`needs_escape`] names (control, bidirectional
/// formatting, invisible) written as a visible Rust-style escape (`\n`, `\t`, `\u{1b}`,
/// `\u{202e}`); backslashes are kept as they are. Printable Unicode is kept.
pub fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Control characters, the Unicode bidirectional formatting characters (Trojan Source) and
/// the invisible ones that make two different names look the same (zero-width space,
/// joiners, word joiner and invisible operators, soft hyphen, byte-order mark, Mongolian
/// vowel separator, Hangul fillers).
pub fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00ad}'
                | '\u{061c}'
                | '\u{115f}'
                | '\u{1160}'
                | '\u{180e}'
                | '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{3164}'
                | '\u{feff}'
                | '\u{ffa0}'
        )
}

/// `value` quoted for display: `"yes"`, with [`one_line`] applied inside the quotes.
pub(crate) fn quoted(value: &str) -> String {
    format!("\"{}\"", one_line(value).replace('"', "\\\""))
}

/// One evidence item as a sentence fragment:
/// `path:line: observed "X", expected "Y" (in Match User backup)`. Parts that are absent
/// are left out; evidence with nothing in it gives an empty string.
pub(crate) fn evidence_line(e: &Evidence) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(o) = &e.observed {
        parts.push(format!("observed {}", quoted(o)));
    }
    if let Some(x) = &e.expected {
        parts.push(format!("expected {}", quoted(x)));
    }
    let mut s = one_line(&e.location());
    if !parts.is_empty() {
        if !s.is_empty() {
            s.push_str(": ");
        }
        s.push_str(&parts.join(", "));
    }
    if let Some(c) = &e.context {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(&format!("(in {})", one_line(c)));
    }
    s
}

/// The rule id with its target, if any: `tls.protocols [10.0.0.1:443]`.
pub(crate) fn rule_label(r: &RuleResult) -> String {
    match &r.target {
        Some(t) => format!("{} [{}]", one_line(&r.rule_id), one_line(t)),
        None => one_line(&r.rule_id),
    }
}

/// The area of a rule id (`sshd` for `sshd.permit_root_login`); the whole id when it has no dot.
pub(crate) fn area(rule_id: &str) -> &str {
    rule_id.split('.').next().unwrap_or(rule_id)
}

/// Wall-clock duration of the scan in seconds (never negative).
pub(crate) fn scan_seconds(report: &Report) -> f64 {
    let d = (report.finished_at - report.started_at).as_seconds_f64();
    if d.is_finite() && d > 0.0 {
        d
    } else {
        0.0
    }
}

/// A finite, non-negative number of seconds, or 0.
pub(crate) fn seconds(d: f64) -> f64 {
    if d.is_finite() && d > 0.0 {
        d
    } else {
        0.0
    }
}

/// Statuses in the order the formats list them: fail, error, pass, not applicable.
pub(crate) const STATUSES: [Status; 4] = [
    Status::Fail,
    Status::Error,
    Status::Pass,
    Status::NotApplicable,
];

/// A hand-built report for the formats' unit tests: all four statuses, evidence with and
/// without lines, a per-target result, and hostile characters everywhere.
#[cfg(test)]
pub(crate) fn sample_report() -> Report {
    use crate::report::{AgentInfo, HostInfo, OsInfo, PolicyInfo, Severity, Summary};
    let r = |id: &str, sev, status, msg: &str, ev: Vec<Evidence>, nist: &[&str]| RuleResult {
        rule_id: id.to_string(),
        title: format!("Title of {id}"),
        severity: sev,
        status,
        message: msg.to_string(),
        target: None,
        evidence: ev,
        nist_800_53: nist.iter().map(|s| s.to_string()).collect(),
        duration_seconds: 0.000_25,
    };
    let mut tls = r(
        "tls.protocols",
        Severity::High,
        Status::Fail,
        "TLS 1.0 accepted by 10.0.0.1:443",
        vec![Evidence::default()
            .observed("TLSv1.0")
            .expected("TLSv1.2 or later")],
        &["SC-8(1)", "SC-13"],
    );
    tls.target = Some("10.0.0.1:443".to_string());
    let results = vec![
        r(
            "sshd.permit_root_login",
            Severity::Critical,
            Status::Fail,
            "PermitRootLogin is \"yes\" at /etc/ssh/sshd_config:12; expected \"no\"",
            vec![Evidence::at("/etc/ssh/sshd_config", Some(12))
                .observed("yes <&> \"quoted\" 'single'")
                .expected("no")
                .context("Match User backup")],
            &["AC-6(2)", "IA-2", "AC-17(a)", "CM-7(1)(b)", "not a control"],
        ),
        r(
            "sysctl.kernel_randomize_va_space",
            Severity::High,
            Status::Error,
            "/etc/sysctl.conf: unreadable \u{1b}[31mred\u{1b}[0m & <broken>\nsecond line \u{0}\u{b}",
            vec![Evidence::at("/etc/sysctl.conf", None).observed("bell\u{7}, nul\u{0}, bidi\u{202e}")],
            &["SC-39"],
        ),
        r(
            "file.shadow_mode",
            Severity::Medium,
            Status::Pass,
            "/etc/shadow is 0640 root:shadow",
            vec![],
            &["AC-6"],
        ),
        r(
            "kernel_module.cramfs",
            Severity::Low,
            Status::NotApplicable,
            "Grüße: the module tree is absent ✓ 日本",
            vec![],
            &[],
        ),
        tls,
    ];
    let started_at = time::macros::datetime!(2026-06-02 12:00:00.25 UTC);
    Report {
        schema_version: crate::report::SCHEMA_VERSION,
        report_id: uuid::Uuid::from_u128(0x1234_5678_9abc_4def_8123_4567_89ab_cdef),
        agent: AgentInfo {
            name: "hardline-agent".to_string(),
            version: "0.1.0".to_string(),
        },
        host: HostInfo {
            id: "3f1c2a9b8d7e4f60a1b2c3d4e5f60718".to_string(),
            hostname: "web01 <&\"'>".to_string(),
            os: OsInfo {
                id: "debian".to_string(),
                id_like: vec![],
                version_id: "12".to_string(),
                pretty_name: "Debian GNU/Linux 12 (bookworm)".to_string(),
            },
            root: "/".to_string(),
            exposure: None,
        },
        started_at,
        finished_at: started_at + time::Duration::milliseconds(42),
        policy: PolicyInfo {
            sources: vec!["builtin:policies/baseline/ssh.yaml".to_string()],
            rules: 5,
        },
        summary: Summary::of(&results),
        results,
        inventory: None,
        feeds: None,
        vulnerabilities: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_escapes_controls_and_bidi_but_keeps_unicode() {
        assert_eq!(one_line("a\nb\tc\r"), "a\\nb\\tc\\r");
        assert_eq!(one_line("\u{1b}[31mred"), "\\u{1b}[31mred");
        assert_eq!(one_line("\u{9b}x\u{7f}"), "\\u{9b}x\\u{7f}");
        assert_eq!(one_line("abc\u{202e}def"), "abc\\u{202e}def");
        assert_eq!(one_line("Grüße, 日本 ✓"), "Grüße, 日本 ✓");
    }

    #[test]
    fn evidence_line_has_every_part_that_is_present() {
        let e = Evidence::at("/etc/ssh/sshd_config", Some(12))
            .observed("yes")
            .expected("no")
            .context("Match User backup");
        assert_eq!(
            evidence_line(&e),
            "/etc/ssh/sshd_config:12: observed \"yes\", expected \"no\" (in Match User backup)"
        );
        let e = Evidence::at("/etc/x", None).observed("a \"b\"\n");
        assert_eq!(evidence_line(&e), "/etc/x: observed \"a \\\"b\\\"\\n\"");
        let e = Evidence::default().expected("present");
        assert_eq!(evidence_line(&e), "expected \"present\"");
        assert_eq!(evidence_line(&Evidence::default()), "");
    }

    #[test]
    fn area_is_the_prefix() {
        assert_eq!(area("sshd.permit_root_login"), "sshd");
        assert_eq!(area("nodot"), "nodot");
    }
}
