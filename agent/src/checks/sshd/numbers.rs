//! Numbers as sshd 9.2 reads them (misc.c): `strtoll`-style integer prefixes, `atoi_err()`
//! and `convtime()`. Shared by the parser (modelled keywords) and `args.rs` (the argument
//! checks of the others), so both judge a number the same way.

/// `strtoll`-style integer: optional leading whitespace and sign, decimal digits.
/// Returns the value and the rest.
pub(super) fn c_int_prefix(s: &str) -> Option<(i128, &str)> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let b = t.as_bytes();
    let mut i = 0;
    let neg = match b.first() {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let start = i;
    let mut v: i128 = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        v = (v * 10 + i128::from(b[i] - b'0')).min(i128::from(i64::MAX) + 1);
        i += 1;
    }
    if i == start {
        return None;
    }
    Some((if neg { -v } else { v }, &t[i..]))
}

/// `atoi_err()`: 0..=INT_MAX, the whole argument.
pub(super) fn atoi(arg: Option<&String>) -> Result<i64, &'static str> {
    let arg = match arg {
        Some(a) if !a.is_empty() => a,
        _ => return Err("missing"),
    };
    match c_int_prefix(arg) {
        Some((v, "")) if v < 0 => Err("too small"),
        Some((v, "")) if v > i128::from(i32::MAX) => Err("too large"),
        Some((v, "")) => Ok(i64::try_from(v).unwrap_or(0)),
        _ => Err("invalid"),
    }
}

/// `convtime()`: `[0-9]+[sSmMhHdDwW]?` repeated, in seconds; None when invalid.
pub fn convtime(s: &str) -> Option<i64> {
    if s.is_empty() {
        return None;
    }
    let max = i64::from(i32::MAX);
    let mut total: i64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let (secs, after) = c_int_prefix(rest)?;
        if secs < 0 || secs >= i128::from(max) {
            return None;
        }
        let secs = i64::try_from(secs).ok()?;
        let mut chars = after.chars();
        let mult: i64 = match chars.next() {
            None => 1,
            Some('s' | 'S') => 1,
            Some('m' | 'M') => 60,
            Some('h' | 'H') => 3600,
            Some('d' | 'D') => 86400,
            Some('w' | 'W') => 604800,
            Some(_) => return None,
        };
        if secs > max / mult {
            return None;
        }
        let secs = secs * mult;
        if total > max - secs {
            return None;
        }
        total += secs;
        rest = chars.as_str();
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_values() {
        assert_eq!(convtime("90"), Some(90));
        assert_eq!(convtime("90s"), Some(90));
        assert_eq!(convtime("10m"), Some(600));
        assert_eq!(convtime("1h30m"), Some(5400));
        assert_eq!(convtime("1H30M5s"), Some(5405));
        assert_eq!(convtime("1w"), Some(604800));
        assert_eq!(convtime("-0"), Some(0));
        assert_eq!(convtime("5x"), None);
        assert_eq!(convtime("m"), None);
        assert_eq!(convtime(""), None);
        assert_eq!(convtime("-5"), None);
        assert_eq!(convtime("99999999999"), None);
    }

    #[test]
    fn integers() {
        let s = |x: &str| atoi(Some(&x.to_string()));
        assert_eq!(s("4"), Ok(4));
        assert_eq!(s("+4"), Ok(4));
        assert_eq!(s("007"), Ok(7));
        assert!(s("4x").is_err());
        assert!(s("-1").is_err());
        assert!(s("").is_err());
        assert!(s("2147483648").is_err());
    }
}
