//! Text for the page: HTML escaping, numbers, percentages, dates and durations.

use std::fmt::Write as _;

/// Seconds in a day.
pub(super) const DAY: i64 = 86400;

/// HTML-escape text or an attribute value (quoted with `"`). Control, bidirectional and
/// invisible characters (which reports' rule titles could carry) become visible `\u{…}`
/// escapes, so that no text on the page can reorder or hide what follows it.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if hardline_agent::output::text::needs_escape(c) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

fn fmt_with(t: i64, f: &[time::format_description::BorrowedFormatItem<'_>]) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| d.format(f).ok())
        .unwrap_or_else(|| t.to_string())
}

/// "2 Jun 2026".
pub(super) fn date_long(t: i64) -> String {
    fmt_with(
        t,
        time::macros::format_description!("[day padding:none] [month repr:short] [year]"),
    )
}

/// "Jun 2".
pub(super) fn date_short(t: i64) -> String {
    fmt_with(
        t,
        time::macros::format_description!("[month repr:short] [day padding:none]"),
    )
}

/// "2026-06-02".
pub(super) fn date_iso(t: i64) -> String {
    fmt_with(t, time::macros::format_description!("[year]-[month]-[day]"))
}

/// "2 Jun 2026, 14:05 UTC".
pub(super) fn datetime(t: i64) -> String {
    fmt_with(
        t,
        time::macros::format_description!(
            "[day padding:none] [month repr:short] [year], [hour]:[minute] UTC"
        ),
    )
}

/// 12345 → "12,345".
pub(super) fn num(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    if n < 0 {
        out.push('-');
    }
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Compliant share, rounded down to a tenth so that 99.96 % never reads "100.0 %".
pub(super) fn pct(part: i64, whole: i64) -> Option<String> {
    if whole <= 0 {
        return None;
    }
    let tenths = (part.max(0) as i128 * 1000) / whole as i128;
    Some(format!("{}.{}%", tenths / 10, tenths % 10))
}

pub(super) fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{} {}", num(n), if n == 1 { one } else { many })
}

pub(super) fn list_names(names: &[&str]) -> String {
    const MAX: usize = 5;
    let shown: Vec<String> = names.iter().take(MAX).map(|n| esc(n)).collect();
    let mut s = shown.join(", ");
    if names.len() > MAX {
        let _ = write!(s, " and {} more", names.len() - MAX);
    }
    s
}

pub(super) fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

pub(super) fn duration(secs: i64) -> String {
    if secs > 0 && secs % DAY == 0 && secs >= 3 * DAY {
        format!("{} days", secs / DAY)
    } else if secs > 0 && secs % 3600 == 0 {
        format!("{} h", secs / 3600)
    } else {
        format!("{} min", (secs / 60).max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const START: i64 = 1_780_358_400; // 2026-06-02T00:00:00Z

    #[test]
    fn esc_makes_markup_and_invisible_characters_visible() {
        assert_eq!(esc("<b a=\"x\">&'"), "&lt;b a=&quot;x&quot;&gt;&amp;&#39;");
        assert_eq!(
            esc("SSH root\u{202e}nigol\u{200b} ok"),
            "SSH root\\u{202e}nigol\\u{200b} ok"
        );
        assert_eq!(esc("Résumé — ok"), "Résumé — ok");
    }

    #[test]
    fn formatting() {
        assert_eq!(num(0), "0");
        assert_eq!(num(999), "999");
        assert_eq!(num(1000), "1,000");
        assert_eq!(num(-1234567), "-1,234,567");
        assert_eq!(pct(0, 0), None);
        assert_eq!(pct(9999, 10000).as_deref(), Some("99.9%"));
        assert_eq!(pct(1, 3).as_deref(), Some("33.3%"));
        assert_eq!(pct(5, 5).as_deref(), Some("100.0%"));
        assert_eq!(date_long(START), "2 Jun 2026");
        assert_eq!(date_short(START), "Jun 2");
        assert_eq!(datetime(START + 3600 + 60 * 5), "2 Jun 2026, 01:05 UTC");
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(duration(48 * 3600), "48 h");
        assert_eq!(duration(7 * DAY), "7 days");
    }
}
