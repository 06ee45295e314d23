//! `dmarc` check (RFC 7489) the way CISA adjudicates BOD 18-01.
//!
//! The record is the TXT at `_dmarc.<domain>` starting with `v=DMARC1`; when the domain has
//! none, the organizational domain's record applies (RFC 7489 §6.6.3; the organizational
//! domain is approximated as in [`super::dns::organizational_domain`], not from the Public
//! Suffix List), and for a subdomain its `sp` (falling back to `p`) is the policy in force.
//! Several DMARC records at one name are invalid (fail).
//!
//! With `policy: reject`: `p=reject`, `sp` absent or `reject`, `pct` absent or 100. A
//! non-sending domain must also publish the SPF null record `v=spf1 -all`. A domain is
//! non-sending when the configuration says `sending = false`, or — when the configuration
//! is silent — when it has no MX record or a null MX (`MX 0 .`, RFC 7505): a domain that
//! receives no mail is taken to send none. `sending = true` turns the heuristic off.
//!
//! With `rua`: the `rua` tag lists that URI, compared case-insensitively, among several
//! comma-separated URIs, a `!size` limit suffix allowed.

use super::check::{Eval, NetCheck, Targets};
use super::config::DomainTarget;
use super::ctx::Ctx;
use super::dns::{self, Answer};
use super::spf;
use crate::outcome::Outcome;
use crate::report::Evidence;
use hickory_resolver::TokioResolver;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Parameters of the `dmarc` check; at least one of `policy` and `rua`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Required policy (`reject`): p, sp (absent or equal), pct (absent or 100), and the SPF
    /// null record on non-sending domains.
    #[serde(default)]
    pub policy: Option<String>,
    /// A URI that `rua` must include (`mailto:reports@dmarc.cyber.dhs.gov`).
    #[serde(default)]
    pub rua: Option<String>,
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
            evaluate(self, &d.name, d.sending, r, ctx.cfg.timeout).await
        })
    }
}

/// A parsed DMARC record: tags in order, lower-cased names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// `(tag, value)`.
    pub tags: Vec<(String, String)>,
    /// The record text.
    pub text: String,
}

impl Record {
    /// A tag's value.
    pub fn get(&self, tag: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k == tag)
            .map(|(_, v)| v.as_str())
    }
}

/// Parse a DMARC record; `None` when it is not one (`v=DMARC1` first).
pub fn parse(text: &str) -> Option<Record> {
    let mut tags = Vec::new();
    for (i, part) in text.split(';').enumerate() {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (k, v) = part.split_once('=')?;
        let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_string());
        if i == 0 && !(k == "v" && v.eq_ignore_ascii_case("DMARC1")) {
            return None;
        }
        tags.push((k, v));
    }
    if tags.is_empty() {
        return None;
    }
    Some(Record {
        tags,
        text: text.trim().to_string(),
    })
}

/// True when `rua` lists `uri` (case-insensitive, `!size` suffixes ignored).
pub fn rua_includes(rua: &str, uri: &str) -> bool {
    rua.split(',').any(|u| {
        let u = u.trim();
        let u = u.split('!').next().unwrap_or(u).trim();
        u.eq_ignore_ascii_case(uri.trim())
    })
}

/// Where the record in force was found.
struct Found {
    record: Record,
    name: String,
    inherited: bool,
}

/// Fetch the DMARC record in force for `domain`.
async fn find(
    domain: &str,
    r: &TokioResolver,
    timeout: Duration,
) -> Result<Result<Found, String>, String> {
    let mut names = vec![format!("_dmarc.{domain}")];
    let org = dns::organizational_domain(domain);
    if org != domain {
        names.push(format!("_dmarc.{org}"));
    }
    for (i, name) in names.iter().enumerate() {
        let txts = dns::txt(r, name, timeout).await?;
        let recs: Vec<Record> = txts.records().iter().filter_map(|t| parse(t)).collect();
        match recs.len() {
            0 => continue,
            1 => {
                return Ok(Ok(Found {
                    record: recs.into_iter().next().ok_or("")?,
                    name: name.clone(),
                    inherited: i > 0,
                }))
            }
            n => return Ok(Err(format!("{name} has {n} DMARC records (invalid)"))),
        }
    }
    Ok(Err(format!("no DMARC record at {}", names.join(" or "))))
}

/// Is the domain non-sending? (config flag, else no MX / null MX)
async fn non_sending(
    domain: &str,
    sending: Option<bool>,
    r: &TokioResolver,
    timeout: Duration,
) -> Result<(bool, String), String> {
    if let Some(s) = sending {
        return Ok((!s, format!("configured sending = {s}")));
    }
    match dns::mx(r, domain, timeout).await? {
        Answer::Found(v) => {
            let null = v.len() == 1 && v[0].0 .1.is_empty();
            Ok((
                null,
                if null {
                    "null MX (RFC 7505)".to_string()
                } else {
                    format!("{} MX record(s)", v.len())
                },
            ))
        }
        Answer::NoData | Answer::NxDomain => Ok((true, "no MX record".to_string())),
    }
}

/// Evaluate the `dmarc` rule on `domain`.
pub async fn evaluate(
    p: &Params,
    domain: &str,
    sending: Option<bool>,
    r: &TokioResolver,
    timeout: Duration,
) -> Outcome {
    if p.policy.is_none() && p.rua.is_none() {
        return Outcome::error("dmarc: the rule sets neither `policy` nor `rua`");
    }
    let mut expected = Vec::new();
    if let Some(pol) = &p.policy {
        expected.push(format!("p={pol}, sp absent or {pol}, pct absent or 100"));
    }
    if let Some(u) = &p.rua {
        expected.push(format!("rua includes {u}"));
    }
    let expected = expected.join("; ");
    let found = match find(domain, r, timeout).await {
        Err(e) => return Outcome::error(format!("{domain}: DMARC lookup failed: {e}")),
        Ok(Err(why)) => {
            return Outcome::fail(format!("{domain}: {why} (expected {expected})")).with(
                Evidence::default()
                    .context(domain.to_string())
                    .observed(why)
                    .expected(expected),
            )
        }
        Ok(Ok(f)) => f,
    };
    let ev = |obs: String| {
        Evidence::default()
            .context(found.name.clone())
            .observed(obs)
            .expected(expected.clone())
    };
    let rec = &found.record;
    let mut problems = Vec::new();
    let mut evidence = vec![ev(rec.text.clone())];
    if let Some(pol) = &p.policy {
        let p_tag = rec.get("p");
        let sp_tag = rec.get("sp");
        // The policy in force for this name: a subdomain under an inherited record gets sp.
        let in_force = if found.inherited {
            sp_tag.or(p_tag)
        } else {
            p_tag
        };
        if !in_force.is_some_and(|v| v.eq_ignore_ascii_case(pol)) {
            problems.push(format!(
                "p={}{}",
                in_force.unwrap_or("(missing)"),
                if found.inherited { " (inherited)" } else { "" }
            ));
        }
        if let Some(sp) = sp_tag {
            if !sp.eq_ignore_ascii_case(pol) {
                problems.push(format!("sp={sp}"));
            }
        }
        if let Some(pct) = rec.get("pct") {
            if pct.trim() != "100" {
                problems.push(format!("pct={pct}"));
            }
        }
        match non_sending(domain, sending, r, timeout).await {
            Err(e) => return Outcome::error(format!("{domain}: MX lookup failed: {e}")),
            Ok((true, why)) => {
                let spf = match dns::txt(r, domain, timeout).await {
                    Ok(t) => spf::spf_records(&t.records()),
                    Err(e) => return Outcome::error(format!("{domain}: TXT lookup failed: {e}")),
                };
                let null = spf.len() == 1
                    && spf[0]
                        .split_ascii_whitespace()
                        .map(|t| t.to_ascii_lowercase())
                        .collect::<Vec<_>>()
                        == ["v=spf1", "-all"];
                evidence.push(ev(format!(
                    "non-sending domain ({why}); SPF: {}",
                    if spf.is_empty() {
                        "none".to_string()
                    } else {
                        spf.join(" | ")
                    }
                )));
                if !null {
                    problems.push(format!(
                        "non-sending domain ({why}) without the SPF null record \"v=spf1 -all\""
                    ));
                }
            }
            Ok((false, _)) => {}
        }
    }
    if let Some(uri) = &p.rua {
        let rua = rec.get("rua").unwrap_or("");
        if !rua_includes(rua, uri) {
            problems.push(if rua.is_empty() {
                "no rua tag".to_string()
            } else {
                format!("rua={rua} does not include {uri}")
            });
        }
    }
    let at = if found.inherited {
        format!(" (record of {}, inherited)", found.name)
    } else {
        String::new()
    };
    if problems.is_empty() {
        Outcome::pass(format!("{domain}: DMARC {}{at}", rec.text)).with_all(evidence)
    } else {
        Outcome::fail(format!(
            "{domain}: DMARC {}{at} (expected {expected})",
            problems.join(", ")
        ))
        .with_all(evidence)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_records() {
        let r = parse("v=DMARC1; p=reject; SP=none; rua=mailto:a@x.gov,mailto:reports@dmarc.cyber.dhs.gov!10m").unwrap();
        assert_eq!(r.get("p"), Some("reject"));
        assert_eq!(r.get("sp"), Some("none"));
        assert!(rua_includes(
            r.get("rua").unwrap(),
            "mailto:reports@dmarc.cyber.dhs.gov"
        ));
        assert!(rua_includes(
            " MAILTO:Reports@DMARC.cyber.dhs.gov ",
            "mailto:reports@dmarc.cyber.dhs.gov"
        ));
        assert!(!rua_includes(
            "mailto:reports@dmarc.cyber.dhs.gov.evil",
            "mailto:reports@dmarc.cyber.dhs.gov"
        ));
        assert!(parse("v=spf1 -all").is_none());
        assert!(parse("p=reject; v=DMARC1").is_none());
        assert!(parse("").is_none());
        assert!(parse("v=DMARC1").is_some());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn never_panics(s in ".{0,200}", u in ".{0,40}") {
            let _ = parse(&s);
            let _ = rua_includes(&s, &u);
        }
    }
}
