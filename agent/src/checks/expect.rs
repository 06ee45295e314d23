//! Value comparisons shared by the check types that read a setting and compare it
//! (`sshd`, `sysctl`, `keyvalue`).
//!
//! Written in a policy as `expect: {op: <op>, value: <value>}`:
//!
//! | op | value | passes when the observed value … |
//! |---|---|---|
//! | `eq` / `ne` | string or number | equals / differs (numbers numerically, text ASCII case-insensitively) |
//! | `lt` `le` `gt` `ge` | number | compares numerically (a non-number observed is a failure, not a pass) |
//! | `range` | `[min, max]` | is a number with min ≤ n ≤ max |
//! | `one_of` / `none_of` | list of strings | is (is not) one of the listed values (case-insensitive) |
//! | `subset` | list of strings | is a comma/space separated list whose every item is listed |
//! | `regex` / `not_regex` | regular expression | matches (does not match) |

use regex::Regex;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A regular expression, compiled when the policy is loaded (an invalid one is a policy error).
#[derive(Clone)]
pub struct Pattern(pub Regex);

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0.as_str())
    }
}

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Regex::new(&s).map(Pattern).map_err(|e| {
            serde::de::Error::custom(format!(
                "invalid regex {s:?}: {}",
                first_line(&e.to_string())
            ))
        })
    }
}

fn first_line(s: &str) -> String {
    // regex errors are multi-line with a caret; the last line carries the reason.
    s.lines().last().unwrap_or(s).trim().to_string()
}

impl Serialize for Pattern {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.as_str())
    }
}

/// A scalar in a policy: a string or a number, kept as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    /// An integer.
    Int(i64),
    /// A real number.
    Float(f64),
    /// A string (YAML `no` must be quoted: `"no"`).
    Text(String),
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Int(i) => write!(f, "{i}"),
            Scalar::Float(x) => write!(f, "{x}"),
            Scalar::Text(s) => f.write_str(s),
        }
    }
}

/// A required condition on an observed value.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(
    tag = "op",
    content = "value",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum Expect {
    /// Equal (numbers numerically, strings ASCII case-insensitively).
    Eq(Scalar),
    /// Not equal.
    Ne(Scalar),
    /// Numerically less than.
    Lt(f64),
    /// Numerically at most.
    Le(f64),
    /// Numerically greater than.
    Gt(f64),
    /// Numerically at least.
    Ge(f64),
    /// Numerically within `[min, max]`, inclusive.
    Range([f64; 2]),
    /// One of these values.
    OneOf(Vec<String>),
    /// None of these values.
    NoneOf(Vec<String>),
    /// Every item of a comma/space separated list is one of these.
    Subset(Vec<String>),
    /// Matches the regular expression.
    Regex(Pattern),
    /// Does not match the regular expression.
    NotRegex(Pattern),
}

fn num(s: &str) -> Option<f64> {
    let t = s.trim();
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return i64::from_str_radix(hex, 16).ok().map(|v| v as f64);
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// Split a list value (`a,b c`) into its items.
pub fn list_items(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
}

impl Expect {
    /// Whether `observed` satisfies the condition.
    pub fn matches(&self, observed: &str) -> bool {
        let obs = observed.trim();
        let scalar_eq = |v: &Scalar| match (v, num(obs)) {
            (Scalar::Int(i), Some(o)) => o == *i as f64,
            (Scalar::Float(x), Some(o)) => o == *x,
            (Scalar::Int(_) | Scalar::Float(_), None) => false,
            (Scalar::Text(t), _) => t.trim().eq_ignore_ascii_case(obs),
        };
        match self {
            Expect::Eq(v) => scalar_eq(v),
            Expect::Ne(v) => !scalar_eq(v),
            Expect::Lt(x) => num(obs).is_some_and(|o| o < *x),
            Expect::Le(x) => num(obs).is_some_and(|o| o <= *x),
            Expect::Gt(x) => num(obs).is_some_and(|o| o > *x),
            Expect::Ge(x) => num(obs).is_some_and(|o| o >= *x),
            Expect::Range([lo, hi]) => num(obs).is_some_and(|o| *lo <= o && o <= *hi),
            Expect::OneOf(vs) => vs.iter().any(|v| v.eq_ignore_ascii_case(obs)),
            Expect::NoneOf(vs) => !vs.iter().any(|v| v.eq_ignore_ascii_case(obs)),
            Expect::Subset(vs) => {
                list_items(obs).all(|item| vs.iter().any(|v| v.eq_ignore_ascii_case(item)))
            }
            Expect::Regex(p) => p.0.is_match(obs),
            Expect::NotRegex(p) => !p.0.is_match(obs),
        }
    }

    /// For `subset`: the items of `observed` that are not allowed.
    pub fn disallowed_items<'a>(&self, observed: &'a str) -> Vec<&'a str> {
        match self {
            Expect::Subset(vs) => list_items(observed)
                .filter(|item| !vs.iter().any(|v| v.eq_ignore_ascii_case(item)))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// A short human description of the requirement (`<= 4`, `no`, `one of: a, b`).
    pub fn describe(&self) -> String {
        match self {
            Expect::Eq(v) => format!("{v}"),
            Expect::Ne(v) => format!("not {v}"),
            Expect::Lt(x) => format!("< {}", fmt_num(*x)),
            Expect::Le(x) => format!("<= {}", fmt_num(*x)),
            Expect::Gt(x) => format!("> {}", fmt_num(*x)),
            Expect::Ge(x) => format!(">= {}", fmt_num(*x)),
            Expect::Range([lo, hi]) => format!("{}..={}", fmt_num(*lo), fmt_num(*hi)),
            Expect::OneOf(vs) => format!("one of: {}", vs.join(", ")),
            Expect::NoneOf(vs) => format!("none of: {}", vs.join(", ")),
            Expect::Subset(vs) => format!("only: {}", vs.join(", ")),
            Expect::Regex(p) => format!("matching /{}/", p.0.as_str()),
            Expect::NotRegex(p) => format!("not matching /{}/", p.0.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(yaml: &str) -> Expect {
        serde_saphyr::from_str(yaml).unwrap()
    }

    #[test]
    fn comparisons() {
        assert!(e("{op: le, value: 4}").matches("4"));
        assert!(!e("{op: le, value: 4}").matches("5"));
        assert!(
            !e("{op: le, value: 4}").matches("four"),
            "a non-number never passes a numeric test"
        );
        assert!(e("{op: eq, value: \"no\"}").matches("No"));
        assert!(e("{op: eq, value: 0}").matches("0"));
        assert!(!e("{op: eq, value: 0}").matches(""));
        assert!(e("{op: range, value: [1, 600]}").matches("600"));
        assert!(!e("{op: range, value: [1, 600]}").matches("0"));
        assert!(e("{op: subset, value: [a, b]}").matches("a,b"));
        assert!(!e("{op: subset, value: [a, b]}").matches("a,c"));
        assert_eq!(
            e("{op: subset, value: [a, b]}").disallowed_items("a,c,d"),
            vec!["c", "d"]
        );
        assert!(e("{op: regex, value: '^SHA(256|512)$'}").matches("SHA512"));
        assert!(e("{op: one_of, value: [yescrypt, SHA512]}").matches("sha512"));
        assert!(e("{op: ge, value: 16}").matches("0x20"));
    }

    #[test]
    fn invalid_regex_is_a_load_error() {
        let err = serde_saphyr::from_str::<Expect>("{op: regex, value: '(unclosed'}").unwrap_err();
        assert!(err.to_string().contains("invalid regex"), "{err}");
    }
}
