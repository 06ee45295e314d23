//! sshd's line tokenisers, byte for byte: `strdelim()` (keyword and Match criteria)
//! and `argv_split()` (arguments), from OpenSSH's misc.c.

/// sshd's `WHITESPACE` for `strdelim`.
const WS: &[u8] = b" \t\r\n";

fn is_ws(b: u8) -> bool {
    WS.contains(&b)
}

fn span_ws(s: &[u8], from: usize) -> usize {
    let mut i = from;
    while i < s.len() && is_ws(s[i]) {
        i += 1;
    }
    i
}

/// `strdelim()` with `=` splitting: the next token and the rest of the line
/// (`None` when the line is used up). Returns `None` for an unterminated quote.
pub fn strdelim(s: &str) -> Option<(String, Option<&str>)> {
    let b = s.as_bytes();
    let Some(i) = b.iter().position(|&c| is_ws(c) || c == b'"' || c == b'=') else {
        return Some((s.to_string(), None));
    };
    if b[i] == b'"' {
        // The opening quote is removed; the token runs to the next quote.
        let j = b[i + 1..].iter().position(|&c| c == b'"')? + i + 1;
        let mut token = String::with_capacity(j);
        token.push_str(&s[..i]);
        token.push_str(&s[i + 1..j]);
        let k = span_ws(b, j + 1);
        return Some((token, Some(&s[k..])));
    }
    let was_equals = b[i] == b'=';
    let mut k = span_ws(b, i + 1);
    if k < b.len() && b[k] == b'=' && !was_equals {
        k = span_ws(b, k + 1);
    }
    Some((s[..i].to_string(), Some(&s[k..])))
}

/// `argv_split(s, .., terminate_on_comment = 1)`: arguments with `"` / `'` quoting
/// and backslash escapes; an unquoted `#` at the start of an argument ends the line.
/// `None` for an unterminated quote.
pub fn argv_split(s: &str) -> Option<Vec<String>> {
    let b: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == ' ' || b[i] == '\t' {
            i += 1;
            continue;
        }
        if b[i] == '#' {
            break;
        }
        let mut quote: Option<char> = None;
        let mut arg = String::new();
        while i < b.len() {
            let c = b[i];
            if c == '\\' {
                let next = b.get(i + 1).copied();
                match next {
                    Some(n)
                        if n == '\'' || n == '"' || n == '\\' || (quote.is_none() && n == ' ') =>
                    {
                        i += 1;
                        arg.push(n);
                    }
                    _ => arg.push(c),
                }
            } else if quote.is_none() && (c == ' ' || c == '\t') {
                break;
            } else if quote.is_none() && (c == '"' || c == '\'') {
                quote = Some(c);
            } else if quote == Some(c) {
                quote = None;
            } else {
                arg.push(c);
            }
            i += 1;
        }
        if i >= b.len() && quote.is_some() {
            return None;
        }
        out.push(arg);
        // The separator (or end) is skipped by the outer loop's increment.
        i += 1;
    }
    Some(out)
}

/// Trailing whitespace sshd strips from a line (`" \t\r\n\f"`, never the first byte).
pub fn rtrim(line: &str) -> &str {
    let b = line.as_bytes();
    let mut len = b.len();
    while len > 1 && matches!(b[len - 1], b' ' | b'\t' | b'\r' | b'\n' | 0x0c) {
        len -= 1;
    }
    &line[..len]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyword_splitting() {
        assert_eq!(
            strdelim("MaxAuthTries 3"),
            Some(("MaxAuthTries".into(), Some("3")))
        );
        assert_eq!(
            strdelim("MaxAuthTries=3"),
            Some(("MaxAuthTries".into(), Some("3")))
        );
        assert_eq!(
            strdelim("MaxAuthTries = 3"),
            Some(("MaxAuthTries".into(), Some("3")))
        );
        assert_eq!(
            strdelim("MaxAuthTries==3"),
            Some(("MaxAuthTries".into(), Some("=3")))
        );
        assert_eq!(
            strdelim("\"Max\"Auth 3"),
            Some(("Max".into(), Some("Auth 3")))
        );
        assert_eq!(strdelim("\"Max"), None);
        assert_eq!(strdelim("Banner"), Some(("Banner".into(), None)));
    }

    #[test]
    fn argument_splitting() {
        assert_eq!(argv_split("a b\t c").unwrap(), vec!["a", "b", "c"]);
        assert_eq!(argv_split("\"a b\" 'c d'").unwrap(), vec!["a b", "c d"]);
        assert_eq!(argv_split("a # comment").unwrap(), vec!["a"]);
        assert_eq!(argv_split("a#b").unwrap(), vec!["a#b"]);
        assert_eq!(argv_split("a\\ b").unwrap(), vec!["a b"]);
        assert_eq!(argv_split("x\"y z\"w").unwrap(), vec!["xy zw"]);
        assert!(argv_split("\"open").is_none());
        assert_eq!(argv_split("").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn trailing_whitespace() {
        assert_eq!(rtrim("a b \t\r\x0c"), "a b");
        assert_eq!(rtrim(" "), " ");
    }
}
