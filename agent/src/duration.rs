//! Durations as people write them, one grammar for the whole workspace: the agent's
//! configuration file and `--timeout`, and the collector's configuration file.
//!
//! ```text
//! duration = term { [spaces] term }          "48h"  "1h30m"  "1h 30m"  "1.5h"  "500ms"
//! term     = number [spaces] unit            "5s"   "5 s"
//! number   = digits [ "." [digits] ]         "5"  "5."  "1.5"
//!          | "." digits                      ".5"
//! unit     = "ms" | "s" | "m" | "h" | "d"    milliseconds, seconds, minutes, hours, days
//! ```
//!
//! - Terms add up, in any order and repeated: `1h30m` = `30m1h` = `90m` = `5400s`.
//! - A day is always 86,400 s (no calendar, no daylight saving); there is no week, month or
//!   year unit, and no unit longer than its letters (`5 min`, `48 hours` are refused).
//! - Leading and trailing whitespace is ignored. No sign: `-1s` and `+1s` are refused, and so
//!   are exponents (`1e3s`), an empty string and a unit without a number.
//! - Decimals are exact, with no floating point: `0.3s` is 300,000,000 ns. Digits finer
//!   than a nanosecond are dropped.
//! - A bare number (`"3"`) has no unit and is refused by [`parse`]. Only the settings whose
//!   documentation says so read it as seconds, through [`parse_or_seconds`]: the agent's
//!   (its TOML integers and floats are seconds too); the collector's keys need a unit.
//! - At most [`Duration::MAX`]; each program bounds its own settings further (the agent's
//!   durations are at most 365 days, the collector's are whole seconds).
//!
//! [`format`] writes the canonical form (`1d2h3m4.5s`, `0s`), which [`parse`] reads back
//! to the same value.

use std::time::Duration;

const NANOS_PER_SEC: u128 = 1_000_000_000;

/// The example shown in every error message.
const EXAMPLES: &str = "write e.g. 30s, 500ms, 5m, 1h30m, 1.5h or 7d";

/// Parse a duration (see the [module documentation](self)); a unit is required.
pub fn parse(s: &str) -> Result<Duration, String> {
    parse_inner(s, false)
}

/// [`parse`], and a bare number (`"3"`, `"2.5"`) is seconds.
pub fn parse_or_seconds(s: &str) -> Result<Duration, String> {
    parse_inner(s, true)
}

fn unit_nanos(unit: &str) -> Option<u128> {
    Some(match unit {
        "ms" => 1_000_000,
        "s" => NANOS_PER_SEC,
        "m" => 60 * NANOS_PER_SEC,
        "h" => 3_600 * NANOS_PER_SEC,
        "d" => 86_400 * NANOS_PER_SEC,
        _ => return None,
    })
}

/// A number as written: its integer digits and its fraction digits.
struct Number<'a> {
    int: &'a str,
    frac: &'a str,
}

impl Number<'_> {
    /// `self × unit` in nanoseconds, exactly (fraction digits finer than 1 ns dropped);
    /// `None` on overflow.
    fn times(&self, unit: u128) -> Option<u128> {
        let mut n: u128 = 0;
        for b in self.int.bytes() {
            n = n.checked_mul(10)?.checked_add(u128::from(b - b'0'))?;
        }
        let mut total = n.checked_mul(unit)?;
        // unit ≤ 8.64e13 ns and at most 20 digits are used: the product fits in a u128.
        let frac = &self.frac[..self.frac.len().min(20)];
        if !frac.is_empty() {
            let mut f: u128 = 0;
            for b in frac.bytes() {
                f = f * 10 + u128::from(b - b'0');
            }
            total = total.checked_add(f * unit / 10u128.pow(frac.len() as u32))?;
        }
        Some(total)
    }
}

fn parse_inner(s: &str, bare_seconds: bool) -> Result<Duration, String> {
    let bad = |why: &str| format!("invalid duration {s:?}: {why}; {EXAMPLES}");
    let t = s.trim();
    if t.is_empty() {
        return Err(bad("empty"));
    }
    let b = t.as_bytes();
    let mut i = 0;
    let mut total: u128 = 0;
    while i < b.len() {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let int = &t[start..i];
        let mut frac = "";
        if i < b.len() && b[i] == b'.' {
            i += 1;
            let f = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            frac = &t[f..i];
        }
        if int.is_empty() && frac.is_empty() {
            return Err(bad(if start < b.len() && b[start].is_ascii_alphabetic() {
                "a unit needs a number before it"
            } else {
                "expected a number"
            }));
        }
        let number = Number { int, frac };
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let u = i;
        while i < b.len() && b[i].is_ascii_alphabetic() {
            i += 1;
        }
        let unit = &t[u..i];
        let nanos = if unit.is_empty() {
            if !(bare_seconds && start == 0 && i == b.len()) {
                return Err(bad("a number needs a unit (ms, s, m, h, d)"));
            }
            number.times(NANOS_PER_SEC)
        } else {
            let Some(per) = unit_nanos(unit) else {
                return Err(bad(&format!("unknown unit {unit:?} (ms, s, m, h, d)")));
            };
            number.times(per)
        };
        total = nanos
            .and_then(|n| total.checked_add(n))
            .ok_or_else(|| bad("too long"))?;
    }
    let secs = u64::try_from(total / NANOS_PER_SEC).map_err(|_| bad("too long"))?;
    Ok(Duration::new(secs, (total % NANOS_PER_SEC) as u32))
}

/// The canonical text of `d`: days, hours, minutes, then seconds with a decimal fraction
/// when there is one, each only when not zero (`0s` for zero): `1d2h3m4.5s`, `1h30m`,
/// `0.25s`. [`parse`] reads it back to `d`.
pub fn format(d: Duration) -> String {
    let secs = d.as_secs();
    let nanos = d.subsec_nanos();
    if secs == 0 && nanos == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (hours, rest) = (rest / 3_600, rest % 3_600);
    let (minutes, seconds) = (rest / 60, rest % 60);
    for (n, unit) in [(days, 'd'), (hours, 'h'), (minutes, 'm')] {
        if n > 0 {
            out.push_str(&n.to_string());
            out.push(unit);
        }
    }
    if seconds > 0 || nanos > 0 {
        out.push_str(&seconds.to_string());
        if nanos > 0 {
            let frac = format!("{nanos:09}");
            out.push('.');
            out.push_str(frac.trim_end_matches('0'));
        }
        out.push('s');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn every_documented_example_parses() {
        // README.md, collector/README.md, collector/config.example.toml, deploy/README.md,
        // agent/src/net/config.rs, DESIGN.md, and the help of --timeout.
        for (text, want) in [
            ("5s", secs(5)),
            ("250ms", Duration::from_millis(250)),
            ("500ms", Duration::from_millis(500)),
            ("2m", secs(120)),
            ("5m", secs(300)),
            ("15m", secs(900)),
            ("1h", secs(3600)),
            ("1d", secs(86_400)),
            ("1s", secs(1)),
            ("30s", secs(30)),
            ("60s", secs(60)),
            ("90s", secs(90)),
            ("0s", secs(0)),
            ("48h", secs(48 * 3600)),
            ("1h30m", secs(5400)),
            ("1.5h", secs(5400)),
            ("7d", secs(7 * 86_400)),
        ] {
            assert_eq!(parse(text), Ok(want), "{text}");
            assert_eq!(parse_or_seconds(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn what_each_old_parser_accepted_still_parses() {
        // The agent's: one number (decimals too) with an optional unit, spaces around it.
        assert_eq!(parse_or_seconds("3"), Ok(secs(3)));
        assert_eq!(parse_or_seconds(" 2.5 "), Ok(Duration::from_millis(2500)));
        assert_eq!(parse_or_seconds("5 s"), Ok(secs(5)));
        assert_eq!(parse_or_seconds(".5s"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_or_seconds("5.s"), Ok(secs(5)));
        assert_eq!(parse_or_seconds("0.3s"), Ok(Duration::from_millis(300)));
        // The collector's: integer terms with units, added up in any order.
        assert_eq!(parse("30m1h"), Ok(secs(5400)));
        assert_eq!(parse("1h1h"), Ok(secs(7200)));
        assert_eq!(parse(" 48h "), Ok(secs(48 * 3600)));
        assert_eq!(parse("1d2h3m4s"), Ok(secs(93_784)));
    }

    #[test]
    fn what_the_unified_grammar_adds() {
        assert_eq!(parse("1h 30m"), Ok(secs(5400)));
        assert_eq!(parse("1 h 30 m"), Ok(secs(5400)));
        assert_eq!(parse("1m30.5s"), Ok(Duration::from_millis(90_500)));
        assert_eq!(parse("0.5d"), Ok(secs(43_200)));
        assert_eq!(parse("1s500ms"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse("0.0000000015s"), Ok(Duration::from_nanos(1)));
    }

    #[test]
    fn refusals() {
        for bad in [
            "",
            "   ",
            "10",
            "2.5",
            "-1s",
            "+1s",
            "s",
            "ms",
            ".",
            ".s",
            "1.2.3s",
            "1e3s",
            "5 parsecs",
            "48 hours",
            "5 min",
            "1w",
            "1h30",
            "1h 30",
            "1h,30m",
            "1h-30m",
            "99999999999999999999d",
            "999999999999999999999999999999999999999999s",
            "١s",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
            let e = parse(bad).unwrap_err();
            assert!(e.starts_with("invalid duration "), "{e}");
        }
        for bad in ["", "-1", "1h30", "3 3", "1e3", "s"] {
            assert!(parse_or_seconds(bad).is_err(), "{bad:?}");
        }
        assert!(parse("1x").unwrap_err().contains("unknown unit \"x\""));
        assert!(parse("10").unwrap_err().contains("needs a unit"));
    }

    #[test]
    fn the_largest_duration_parses_and_one_nanosecond_more_does_not() {
        let max = format(Duration::MAX);
        assert_eq!(parse(&max), Ok(Duration::MAX));
        assert!(parse(&format!("{max}0.000000001s")).is_err());
    }

    #[test]
    fn canonical_text() {
        assert_eq!(format(secs(0)), "0s");
        assert_eq!(format(secs(5400)), "1h30m");
        assert_eq!(format(secs(48 * 3600)), "2d");
        assert_eq!(format(Duration::from_millis(500)), "0.5s");
        assert_eq!(format(Duration::new(93_784, 500_000_000)), "1d2h3m4.5s");
        assert_eq!(format(Duration::from_nanos(1)), "0.000000001s");
    }

    fn unit() -> impl Strategy<Value = (&'static str, u128)> {
        prop::sample::select(vec!["ms", "s", "m", "h", "d"])
            .prop_map(|u| (u, unit_nanos(u).unwrap()))
    }

    proptest! {
        /// format → parse is the identity on every duration.
        #[test]
        fn format_round_trips(s in any::<u64>(), n in 0u32..1_000_000_000) {
            let d = Duration::new(s, n);
            prop_assert_eq!(parse(&format(d)), Ok(d));
            prop_assert_eq!(parse_or_seconds(&format(d)), Ok(d));
        }

        /// Any list of terms, spaced or not, is the sum of its terms, and its canonical
        /// text reads back to the same value.
        #[test]
        fn terms_add_up(terms in prop::collection::vec((0u64..100_000, 0u32..1000, any::<bool>(), unit(), any::<bool>()), 1..5)) {
            let mut text = String::new();
            let mut want: u128 = 0;
            for (int, milli, decimal, (u, per), space) in terms {
                if decimal {
                    text.push_str(&format!("{int}.{milli:03}"));
                    want += u128::from(int) * per + u128::from(milli) * per / 1000;
                } else {
                    text.push_str(&int.to_string());
                    want += u128::from(int) * per;
                }
                if space {
                    text.push(' ');
                }
                text.push_str(u);
            }
            let d = parse(&text).unwrap();
            prop_assert_eq!(d.as_nanos(), want, "{}", text);
            prop_assert_eq!(parse(&format(d)), Ok(d));
        }

        /// Never panics, whatever the text.
        #[test]
        fn any_text_is_an_answer(s in "\\PC{0,24}", t in "[0-9. smhd]{0,16}") {
            let _ = parse(&s);
            let _ = parse_or_seconds(&s);
            if let Ok(d) = parse(&t) {
                prop_assert_eq!(parse(&format(d)), Ok(d));
            }
        }
    }
}
