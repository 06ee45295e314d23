//! `spf` check (RFC 7208) on a domain's TXT records.
//!
//! - exactly one record starting with `v=spf1` (none: fail; several: fail, a permerror);
//! - its effective `all` is `-all` or `~all` (by default); `+all`, `?all`, a missing `all`
//!   (neutral) fail. A record without `all` but with `redirect=` takes the redirected
//!   record's `all`;
//! - at most `max_lookups` (10) DNS-querying terms — `include`, `a`, `mx`, `ptr`, `exists`,
//!   `redirect` — counted recursively through includes and redirects. A loop, an include
//!   of a domain without SPF, or a lookup error inside the tree is a failure or error as
//!   RFC 7208 makes it (permerror: fail; temperror: error). Domain specs with macros
//!   (`%{i}`) are counted but not followed.
//!
//! The walk stops as soon as the limit is exceeded, so a hostile tree costs at most
//! `max_lookups + 1` TXT queries.

use super::check::{Eval, NetCheck, Targets};
use super::config::DomainTarget;
use super::ctx::Ctx;
use super::dns::{self, Answer};
use crate::outcome::Outcome;
use crate::report::Evidence;
use hickory_resolver::TokioResolver;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Parameters of the `spf` check.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Maximum DNS-querying terms, recursively (RFC 7208 §4.6.4: 10).
    #[serde(default = "default_max")]
    pub max_lookups: u32,
    /// Acceptable `all` qualifiers.
    #[serde(default = "default_all")]
    pub allowed_all: Vec<String>,
}

impl NetCheck for Params {
    fn targets(&self) -> Targets {
        Targets::Domains
    }

    fn domain<'a>(&'a self, d: &'a DomainTarget, ctx: &'a Ctx) -> Eval<'a> {
        Box::pin(async move {
            let (r, _permit) = match ctx.dns(&d.name).await {
                Ok(x) => x,
                Err(e) => return Outcome::error(e),
            };
            evaluate(self, &d.name, r, ctx.cfg.timeout).await
        })
    }
}

fn default_max() -> u32 {
    10
}

fn default_all() -> Vec<String> {
    vec!["-all".to_string(), "~all".to_string()]
}

/// The SPF records among TXT strings.
pub fn spf_records(txts: &[&String]) -> Vec<String> {
    txts.iter()
        .filter(|t| {
            let l = t.trim_start().to_ascii_lowercase();
            l == "v=spf1" || l.starts_with("v=spf1 ")
        })
        .map(|t| t.trim().to_string())
        .collect()
}

/// One parsed term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// `[q]all`.
    All(char),
    /// A mechanism that queries DNS, with its target domain when followed (include).
    Lookup {
        /// include, a, mx, ptr, exists.
        kind: String,
        /// Domain spec, if any.
        target: Option<String>,
    },
    /// `redirect=domain`.
    Redirect(String),
    /// ip4, ip6, exp and unknown modifiers: no lookup.
    Other,
}

/// Parse a record's terms (after `v=spf1`).
pub fn parse(record: &str) -> Result<Vec<Term>, String> {
    let mut out = Vec::new();
    for raw in record.split_ascii_whitespace().skip(1) {
        let (q, rest) = match raw.chars().next() {
            Some(c @ ('+' | '-' | '~' | '?')) => (c, &raw[1..]),
            _ => ('+', raw),
        };
        let lower = rest.to_ascii_lowercase();
        let (name, arg) = match lower.find([':', '/', '=']) {
            Some(i) => (&lower[..i], Some((&lower[i..i + 1], &rest[i + 1..]))),
            None => (lower.as_str(), None),
        };
        let domain = |a: Option<(&str, &str)>| {
            a.filter(|(sep, _)| *sep == ":")
                .map(|(_, v)| v.split('/').next().unwrap_or(v).to_string())
        };
        match name {
            "all" => out.push(Term::All(q)),
            "include" | "exists" => {
                let t = domain(arg).ok_or_else(|| format!("{raw:?} needs a domain"))?;
                out.push(Term::Lookup {
                    kind: name.to_string(),
                    target: Some(t),
                });
            }
            "a" | "mx" | "ptr" => out.push(Term::Lookup {
                kind: name.to_string(),
                target: domain(arg),
            }),
            "redirect" => match arg {
                Some(("=", v)) if !v.is_empty() => out.push(Term::Redirect(v.to_string())),
                _ => return Err(format!("{raw:?}: bad redirect")),
            },
            "ip4" | "ip6" => out.push(Term::Other),
            _ if matches!(arg, Some(("=", _))) => out.push(Term::Other),
            _ => return Err(format!("unknown mechanism {raw:?}")),
        }
    }
    Ok(out)
}

/// The result of walking the include/redirect tree.
#[derive(Debug, Default)]
struct Walk {
    lookups: u32,
    trail: Vec<String>,
    /// Domains on the current include/redirect path (loop detection).
    stack: Vec<String>,
}

/// Why a walk stopped.
enum Stop {
    Fail(String),
    Error(String),
}

/// Evaluate the `spf` rule on `domain`.
pub async fn evaluate(p: &Params, domain: &str, r: &TokioResolver, timeout: Duration) -> Outcome {
    let expected = format!(
        "one v=spf1 record ending in {}, at most {} DNS lookups",
        p.allowed_all.join(" or "),
        p.max_lookups
    );
    let ev = |obs: String| {
        Evidence::default()
            .context(domain.to_string())
            .observed(obs)
            .expected(expected.clone())
    };
    let txts = match dns::txt(r, domain, timeout).await {
        Ok(t) => t,
        Err(e) => return Outcome::error(format!("{domain}: TXT lookup failed: {e}")),
    };
    if txts == Answer::NxDomain {
        return Outcome::fail(format!(
            "{domain}: NXDOMAIN (the domain does not exist, so no SPF record)"
        ))
        .with(ev("NXDOMAIN".to_string()));
    }
    let recs = spf_records(&txts.records());
    let record = match recs.as_slice() {
        [] => {
            return Outcome::fail(format!(
                "{domain}: no SPF record (expected one v=spf1 TXT record)"
            ))
            .with(ev("no v=spf1 TXT record".to_string()))
        }
        [one] => one.clone(),
        many => {
            return Outcome::fail(format!(
                "{domain}: {} SPF records (RFC 7208 allows exactly one)",
                many.len()
            ))
            .with_all(many.iter().map(|m| ev(m.clone())))
        }
    };
    let mut walk = Walk {
        stack: vec![domain.to_string()],
        ..Walk::default()
    };
    let all = match walk_record(p, &record, r, timeout, &mut walk, 0).await {
        Ok(a) => a,
        Err(Stop::Fail(why)) => {
            return Outcome::fail(format!("{domain}: {why}")).with(ev(record.clone()))
        }
        Err(Stop::Error(why)) => {
            return Outcome::error(format!("{domain}: {why}")).with(ev(record.clone()))
        }
    };
    let all_text = match all {
        Some(q) => format!("{q}all"),
        None => "no all (neutral)".to_string(),
    };
    let evidence = vec![
        ev(record.clone()),
        ev(lookups_observed(walk.lookups, &walk.trail)),
    ];
    if walk.lookups > p.max_lookups {
        return Outcome::fail(format!(
            "{domain}: SPF needs more than {} DNS lookups (counted {}+: {}), a permerror",
            p.max_lookups,
            walk.lookups,
            walk.trail.join(", ")
        ))
        .with_all(evidence);
    }
    if !p
        .allowed_all
        .iter()
        .any(|a| a.eq_ignore_ascii_case(&all_text))
    {
        return Outcome::fail(format!(
            "{domain}: SPF ends in {all_text} (expected {}): {record:?}",
            p.allowed_all.join(" or ")
        ))
        .with_all(evidence);
    }
    Outcome::pass(format!(
        "{domain}: SPF ends in {all_text} with {} DNS lookups",
        walk.lookups
    ))
    .with_all(evidence)
}

/// The evidence line for the DNS-querying terms counted: `3 DNS-querying terms: a, mx, …`,
/// or `0 DNS-querying terms` without a dangling `: `.
fn lookups_observed(n: u32, trail: &[String]) -> String {
    if trail.is_empty() {
        format!("{n} DNS-querying terms")
    } else {
        format!("{n} DNS-querying terms: {}", trail.join(", "))
    }
}

/// Walk one record: count lookups, follow includes/redirect; the effective `all` qualifier.
fn walk_record<'a>(
    p: &'a Params,
    record: &'a str,
    r: &'a TokioResolver,
    timeout: Duration,
    walk: &'a mut Walk,
    depth: usize,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Option<char>, Stop>> + 'a>> {
    Box::pin(async move {
        let terms = parse(record).map_err(|e| Stop::Fail(format!("SPF syntax error: {e}")))?;
        let mut all = None;
        let mut redirect = None;
        for t in terms {
            match t {
                Term::All(q) => {
                    if all.is_none() {
                        all = Some(q);
                    }
                }
                Term::Other => {}
                Term::Redirect(d) => redirect = Some(d),
                Term::Lookup { kind, target } => {
                    walk.lookups += 1;
                    walk.trail.push(match &target {
                        Some(t) => format!("{kind}:{t}"),
                        None => kind.clone(),
                    });
                    if walk.lookups > p.max_lookups {
                        return Ok(all);
                    }
                    if kind == "include" {
                        if let Some(t) = target {
                            follow(p, &t, r, timeout, walk, depth, "include").await?;
                        }
                    }
                }
            }
        }
        if let Some(d) = redirect {
            walk.lookups += 1;
            walk.trail.push(format!("redirect={d}"));
            if walk.lookups > p.max_lookups || all.is_some() {
                // RFC 7208 §6.1: redirect is ignored when `all` is present (still counted).
                return Ok(all);
            }
            return follow(p, &d, r, timeout, walk, depth, "redirect").await;
        }
        Ok(all)
    })
}

#[allow(clippy::too_many_arguments)]
async fn follow(
    p: &Params,
    target: &str,
    r: &TokioResolver,
    timeout: Duration,
    walk: &mut Walk,
    depth: usize,
    how: &str,
) -> Result<Option<char>, Stop> {
    if target.contains('%') {
        return Ok(None);
    }
    let t = target.trim_end_matches('.').to_ascii_lowercase();
    if depth >= 12 || walk.stack.contains(&t) {
        return Err(Stop::Fail(format!(
            "SPF {how} loop: {} -> {t}",
            walk.stack.join(" -> ")
        )));
    }
    let txts = dns::txt(r, &t, timeout)
        .await
        .map_err(|e| Stop::Error(format!("SPF {how}:{t}: {e}")))?;
    let recs = spf_records(&txts.records());
    let rec = match recs.as_slice() {
        [one] => one.clone(),
        [] => {
            return Err(Stop::Fail(format!(
                "SPF {how}:{t} has no SPF record (permerror)"
            )))
        }
        _ => {
            return Err(Stop::Fail(format!(
                "SPF {how}:{t} has several SPF records (permerror)"
            )))
        }
    };
    walk.stack.push(t.clone());
    let all = walk_record(p, &rec, r, timeout, walk, depth + 1).await;
    walk.stack.pop();
    let all = all?;
    Ok(if how == "redirect" { all } else { None })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_terms() {
        let t = parse("v=spf1 ip4:192.0.2.0/24 include:_spf.example.gov a mx:mail.x/24 ptr exists:%{i}.x -all exp=e.x").unwrap();
        let lookups = t
            .iter()
            .filter(|t| matches!(t, Term::Lookup { .. }))
            .count();
        assert_eq!(lookups, 5);
        assert_eq!(
            t.iter().find(|t| matches!(t, Term::All(_))),
            Some(&Term::All('-'))
        );
        assert_eq!(
            parse("v=spf1 redirect=_spf.x").unwrap(),
            vec![Term::Redirect("_spf.x".to_string())]
        );
        assert!(parse("v=spf1 bogus -all").is_err());
        assert!(parse("v=spf1 include -all").is_err());
        assert_eq!(parse("v=spf1 ?all").unwrap(), vec![Term::All('?')]);
    }

    #[test]
    fn lookups_evidence_lists_terms_only_when_there_are_some() {
        assert_eq!(lookups_observed(0, &[]), "0 DNS-querying terms");
        let trail = vec!["a".to_string(), "mx".to_string()];
        assert_eq!(lookups_observed(2, &trail), "2 DNS-querying terms: a, mx");
    }

    #[test]
    fn finds_spf_records() {
        let a = "v=spf1 -all".to_string();
        let b = "google-site-verification=x".to_string();
        let c = "V=SPF1 include:x ~all".to_string();
        let d = "v=spf10".to_string();
        assert_eq!(spf_records(&[&a, &b, &c, &d]).len(), 2);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn parse_never_panics(s in "v=spf1( [-+~?]?[a-z0-9:=/.%{}]{0,20}){0,12}") {
            let _ = parse(&s);
        }
        #[test]
        fn parse_arbitrary(s in ".{0,200}") {
            let _ = parse(&s);
        }
    }
}
