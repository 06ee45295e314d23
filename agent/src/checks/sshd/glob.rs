//! `glob(3)` as sshd's `Include` calls it (glibc, flags 0), evaluated through [`Host`].
//!
//! Differences from a shell glob that matter here: a leading `.` in a name is only
//! matched by a literal `.` (so `*.conf` skips `.hidden.conf`), backslash escapes the
//! next character, `[!..]` and `[^..]` negate, a pattern without wildcards yields the
//! path only when it exists (a dangling symbolic link counts), and results are sorted
//! byte-wise (sshd runs in the C locale).
//!
//! glibc skips directories it cannot read; sshd runs as root and reads them. A scan that
//! cannot read a directory or look up a path sshd would read does not know what sshd
//! loads, so every error other than "does not exist" / "not a directory" is returned
//! (the dependent rules become `error`), never skipped.

use crate::host::Host;

fn has_magic(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// Whether a lookup error means "no such path" (as glob(3) sees it for root) rather
/// than "this scan could not see it".
fn is_absent(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
    )
}

/// Keep `p` when `probe` says it exists; an error other than absence is returned.
fn exists_or_err(
    p: &str,
    probe: std::io::Result<std::fs::Metadata>,
    want_dir: bool,
) -> Result<bool, String> {
    match probe {
        Ok(m) => Ok(!want_dir || m.is_dir()),
        Err(e) if is_absent(&e) => Ok(false),
        Err(e) => Err(format!("cannot look up {p}: {e}")),
    }
}

/// Host paths matching `pattern` (absolute), sorted; `Err` when a directory or path
/// sshd would read cannot be read by this scan.
pub fn glob(host: &Host, pattern: &str) -> Result<Vec<String>, String> {
    let parts: Vec<&str> = pattern.split('/').filter(|p| !p.is_empty()).collect();
    let mut current: Vec<String> = vec![String::new()];
    for (idx, part) in parts.iter().enumerate() {
        let last = idx + 1 == parts.len();
        let mut next = Vec::new();
        for dir in &current {
            if has_magic(part) {
                let listing = if dir.is_empty() { "/" } else { dir.as_str() };
                let entries = match host.read_dir_sorted(listing) {
                    Ok(entries) => entries,
                    Err(e) if is_absent(&e.source) => continue,
                    Err(e) => return Err(format!("cannot read directory {listing}: {}", e.source)),
                };
                for e in entries {
                    if fnmatch(part, &e.name) {
                        next.push(format!("{dir}/{}", e.name));
                    }
                }
            } else {
                next.push(format!("{dir}/{}", unescape(part)));
            }
        }
        let mut kept = Vec::with_capacity(next.len());
        for p in next {
            let keep = if !last {
                exists_or_err(&p, host.metadata(&p), true)?
            } else {
                exists_or_err(&p, host.symlink_metadata(&p), false)?
            };
            if keep {
                kept.push(p);
            }
        }
        current = kept;
    }
    if parts.is_empty() {
        return Ok(vec!["/".to_string()]);
    }
    current.sort();
    current.dedup();
    Ok(current)
}

/// `fnmatch(pattern, name, FNM_PERIOD)` for one path component.
pub fn fnmatch(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    if n.first() == Some(&'.') {
        // A leading dot must be matched literally.
        let literal = match p.first() {
            Some('.') => true,
            Some('\\') => p.get(1) == Some(&'.'),
            _ => false,
        };
        if !literal {
            return false;
        }
    }
    match_from(&p, &n)
}

/// Whether the pattern token at `pi` matches `c`; returns the index after the token.
fn token_matches(p: &[char], pi: usize, c: char) -> (bool, usize) {
    match p[pi] {
        '?' => (true, pi + 1),
        '[' => match bracket(p, pi, c) {
            Some((m, after)) => (m, after),
            // No closing bracket: `[` is an ordinary character.
            None => (c == '[', pi + 1),
        },
        '\\' if pi + 1 < p.len() => (c == p[pi + 1], pi + 2),
        lit => (c == lit, pi + 1),
    }
}

/// Greedy matching with backtracking to the last `*` (every other token matches
/// exactly one character, so this is exact and linear-ish, never exponential).
fn match_from(p: &[char], n: &[char]) -> bool {
    let (mut pi, mut ni) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    loop {
        if pi < p.len() && p[pi] == '*' {
            while pi < p.len() && p[pi] == '*' {
                pi += 1;
            }
            star = Some((pi, ni));
            continue;
        }
        if ni == n.len() {
            if pi == p.len() {
                return true;
            }
        } else if pi < p.len() {
            let (ok, after) = token_matches(p, pi, n[ni]);
            if ok {
                pi = after;
                ni += 1;
                continue;
            }
        }
        match star {
            Some((sp, sn)) if sn < n.len() => {
                pi = sp;
                ni = sn + 1;
                star = Some((sp, sn + 1));
            }
            _ => return false,
        }
    }
}

/// A bracket expression starting at `p[start] == '['`: whether `c` matches, and the
/// index after the closing `]`. `None` when there is no closing `]`.
fn bracket(p: &[char], start: usize, c: char) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = matches!(p.get(i), Some('!') | Some('^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let ch = *p.get(i)?;
        if ch == ']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if ch == '[' && p.get(i + 1) == Some(&':') {
            // Character class [:name:].
            let rest: String = p[i + 2..].iter().collect();
            if let Some(end) = rest.find(":]") {
                let class = &rest[..end];
                let hit = match class {
                    "alpha" => c.is_ascii_alphabetic(),
                    "digit" => c.is_ascii_digit(),
                    "alnum" => c.is_ascii_alphanumeric(),
                    "upper" => c.is_ascii_uppercase(),
                    "lower" => c.is_ascii_lowercase(),
                    "space" => c.is_ascii_whitespace(),
                    "punct" => c.is_ascii_punctuation(),
                    "xdigit" => c.is_ascii_hexdigit(),
                    _ => false,
                };
                matched |= hit;
                i += 2 + class.chars().count() + 2;
                continue;
            }
        }
        let lo = if ch == '\\' {
            i += 1;
            *p.get(i)?
        } else {
            ch
        };
        i += 1;
        if p.get(i) == Some(&'-') && p.get(i + 1).is_some_and(|&e| e != ']') {
            let mut hi = p[i + 1];
            i += 2;
            if hi == '\\' {
                hi = *p.get(i)?;
                i += 1;
            }
            if lo <= c && c <= hi {
                matched = true;
            }
        } else if lo == c {
            matched = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnmatch_like_glibc() {
        assert!(fnmatch("*.conf", "a.conf"));
        assert!(!fnmatch("*.conf", ".a.conf"));
        assert!(fnmatch(".*.conf", ".a.conf"));
        assert!(fnmatch("[0-9][!a]*", "5b"));
        assert!(fnmatch("[^a]", "b"));
        assert!(!fnmatch("[^a]", "a"));
        assert!(fnmatch("[]]", "]"));
        assert!(fnmatch("a[", "a["));
        assert!(fnmatch("\\*", "*"));
        assert!(!fnmatch("\\*", "x"));
        assert!(fnmatch("[[:digit:]]x", "1x"));
        assert!(fnmatch("a?c", "abc"));
        assert!(!fnmatch("a?c", "ac"));
    }

    #[test]
    fn glob_under_root() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("etc/ssh/sshd_config.d");
        std::fs::create_dir_all(&d).unwrap();
        for n in ["b.conf", "a.conf", ".h.conf", "c.txt", "B.conf"] {
            std::fs::write(d.join(n), "").unwrap();
        }
        let host = Host::new(dir.path());
        assert_eq!(
            glob(&host, "/etc/ssh/sshd_config.d/*.conf").unwrap(),
            vec![
                "/etc/ssh/sshd_config.d/B.conf",
                "/etc/ssh/sshd_config.d/a.conf",
                "/etc/ssh/sshd_config.d/b.conf"
            ]
        );
        assert_eq!(
            glob(&host, "/etc/*/sshd_config.d/a.conf").unwrap(),
            vec!["/etc/ssh/sshd_config.d/a.conf"]
        );
        assert!(glob(&host, "/etc/ssh/missing.conf").unwrap().is_empty());
        assert_eq!(
            glob(&host, "/etc/ssh/sshd_config.d/c.txt").unwrap(),
            vec!["/etc/ssh/sshd_config.d/c.txt"]
        );
    }
}
