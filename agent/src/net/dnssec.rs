//! `dnssec` check: the domain's zone is signed and validates — a validating resolver
//! (hickory, `validate = true`, the configured trust anchors) proves the domain's SOA
//! `Secure`. "An RRSIG exists" is not enough.
//!
//! Proofs: `Secure` passes; `Insecure` (no chain of trust: unsigned) fails; `Bogus` (bad or
//! missing signatures) fails — unless the zone's DNSKEY cannot even be fetched in time,
//! since a `Bogus` caused by a timeout is not a proven failure: then, like `Indeterminate`
//! and every transport error, it is an error.
//! Also `caa` (RFC 8659): the domain, or the closest ancestor with CAA records (the tree is
//! climbed up to, not including, the top-level domain), has an `issue` or `issuewild`
//! property: issuance is restricted to the named CAs (`issue ";"` forbids all, which is
//! restrictive too). Only `iodef`, or no CAA at all, fails.

use super::check::{Eval, NetCheck, Targets};
use super::config::DomainTarget;
use super::ctx::Ctx;
use super::dns::{self, Answer};
use crate::outcome::Outcome;
use crate::report::Evidence;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::dnssec::Proof;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::TokioResolver;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Parameters of the `dnssec` check (none yet).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

/// Parameters of the `caa` check (none yet).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaaParams {}

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
            match ctx.validating().await {
                Ok(v) => evaluate(&d.name, v, r, ctx.cfg.timeout).await,
                Err(e) => Outcome::error(format!("{}: {e}", d.name)),
            }
        })
    }
}

impl NetCheck for CaaParams {
    fn targets(&self) -> Targets {
        Targets::Domains
    }

    fn domain<'a>(&'a self, d: &'a DomainTarget, ctx: &'a Ctx) -> Eval<'a> {
        Box::pin(async move {
            let (r, _permit) = match ctx.dns(&d.name).await {
                Ok(x) => x,
                Err(e) => return Outcome::error(e),
            };
            evaluate_caa(&d.name, r, ctx.cfg.timeout).await
        })
    }
}

/// The validation verdict for one name.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Proof from the validating resolver.
    Proof(Proof),
    /// No verdict (transport error).
    Error(String),
}

/// Ask the validating resolver for `domain`'s SOA.
async fn validate(domain: &str, v: &TokioResolver, timeout: Duration) -> Verdict {
    let q = format!("{domain}.");
    let fut = v.lookup(q.as_str(), RecordType::SOA);
    match tokio::time::timeout(timeout * 4 + Duration::from_millis(250), fut).await {
        Err(_) => Verdict::Error("no answer (timeout)".to_string()),
        Ok(Ok(l)) => {
            let proofs: Vec<Proof> = l
                .answers()
                .iter()
                .filter(|r| r.record_type() == RecordType::SOA)
                .map(|r| r.proof)
                .collect();
            match proofs.iter().min() {
                Some(p) => Verdict::Proof(*p),
                None => Verdict::Error("no SOA in the answer".to_string()),
            }
        }
        Ok(Err(NetError::Dns(DnsError::DnssecBogus))) => Verdict::Proof(Proof::Bogus),
        Ok(Err(NetError::Dns(DnsError::Nsec { proof, .. }))) => Verdict::Proof(proof),
        Ok(Err(e)) if e.is_nx_domain() => Verdict::Error("NXDOMAIN (no such domain)".to_string()),
        Ok(Err(e)) if e.is_no_records_found() => {
            Verdict::Error("no SOA record (not a zone apex?)".to_string())
        }
        Ok(Err(e)) => Verdict::Error(dns::describe(domain, RecordType::SOA, &e)),
    }
}

/// Evaluate the `dnssec` rule.
pub async fn evaluate(
    domain: &str,
    validating: &TokioResolver,
    plain: &TokioResolver,
    timeout: Duration,
) -> Outcome {
    let expected = "SOA validates Secure from the trust anchor";
    let ev = |obs: String| {
        Evidence::default()
            .context(domain.to_string())
            .observed(obs)
            .expected(expected)
    };
    match validate(domain, validating, timeout).await {
        Verdict::Proof(Proof::Secure) => {
            Outcome::pass(format!("{domain}: DNSSEC validates (Secure)")).with(ev("Secure".into()))
        }
        Verdict::Proof(Proof::Insecure) => Outcome::fail(format!(
            "{domain}: zone is not signed or has no chain of trust (Insecure)"
        ))
        .with(ev("Insecure".into())),
        Verdict::Proof(Proof::Bogus) => judge_bogus(
            domain,
            dns::lookup(plain, domain, RecordType::DNSKEY, timeout).await,
            ev,
        ),
        Verdict::Proof(p) => Outcome::error(format!("{domain}: DNSSEC status {p} (no verdict)"))
            .with(ev(p.to_string())),
        Verdict::Error(e) => Outcome::error(format!("{domain}: DNSSEC lookup failed: {e}")),
    }
}

/// A `Bogus` verdict, judged by the domain's DNSKEY fetched without validation. A Bogus
/// caused by unreachable keys is not a proven failure; one without any DNSKEY is an unsigned
/// zone whose insecurity could not be proven from the anchor; a domain that does not exist
/// (NXDOMAIN, even in a signed zone) has no zone to judge: an error, not "not signed".
fn judge_bogus(
    domain: &str,
    dnskey: Result<Answer<RData>, String>,
    ev: impl Fn(String) -> Evidence,
) -> Outcome {
    match dnskey {
        Err(e) => Outcome::error(format!(
            "{domain}: validation failed and the zone's DNSKEY could not be fetched ({e}): not a proven failure"
        )),
        Ok(Answer::Found(_)) => Outcome::fail(format!(
            "{domain}: DNSSEC validation fails (Bogus: bad or missing signatures)"
        ))
        .with(ev("Bogus".into())),
        Ok(Answer::NxDomain) => Outcome::error(format!(
            "{domain}: NXDOMAIN (the domain does not exist, so it has no zone to validate)"
        ))
        .with(ev("NXDOMAIN; validation Bogus".into())),
        Ok(Answer::NoData) => Outcome::fail(format!(
            "{domain}: zone is not signed (no DNSKEY record, no chain of trust)"
        ))
        .with(ev("no DNSKEY; validation Bogus".into())),
    }
}

/// Evaluate the `caa` rule.
pub async fn evaluate_caa(domain: &str, r: &TokioResolver, timeout: Duration) -> Outcome {
    let expected = "CAA issue/issuewild restricting issuance";
    let labels: Vec<&str> = domain.split('.').collect();
    let mut checked = Vec::new();
    for start in 0..labels.len().saturating_sub(1) {
        let name = labels[start..].join(".");
        let ans = match dns::lookup(r, &name, RecordType::CAA, timeout).await {
            Ok(a) => a,
            Err(e) => return Outcome::error(format!("{domain}: CAA lookup failed: {e}")),
        };
        checked.push(name.clone());
        let Answer::Found(recs) = ans else {
            continue;
        };
        let props: Vec<(String, String)> = recs
            .iter()
            .filter_map(|(d, _)| match d {
                RData::CAA(c) => Some((
                    c.tag.to_ascii_lowercase(),
                    String::from_utf8_lossy(&c.value).into_owned(),
                )),
                _ => None,
            })
            .collect();
        let shown: Vec<String> = props.iter().map(|(t, v)| format!("{t} \"{v}\"")).collect();
        let ev = Evidence::default()
            .context(name.clone())
            .observed(shown.join(", "))
            .expected(expected);
        let at = if name == domain {
            String::new()
        } else {
            format!(" (inherited from {name})")
        };
        return if props.iter().any(|(t, _)| t == "issue" || t == "issuewild") {
            Outcome::pass(format!("{domain}: CAA {}{at}", shown.join(", "))).with(ev)
        } else {
            Outcome::fail(format!(
                "{domain}: CAA {}{at} has no issue/issuewild property (issuance unrestricted)",
                shown.join(", ")
            ))
            .with(ev)
        };
    }
    Outcome::fail(format!(
        "{domain}: no CAA record at {} (any CA may issue)",
        checked.join(", ")
    ))
    .with(
        Evidence::default()
            .context(domain.to_string())
            .observed("no CAA record")
            .expected(expected),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;

    #[test]
    fn a_bogus_verdict_on_a_name_that_does_not_exist_is_an_error_not_unsigned() {
        let ev = |o: String| Evidence::default().observed(o);
        let nx = judge_bogus("absent.example.gov", Ok(Answer::NxDomain), ev);
        assert_eq!(nx.status, Status::Error, "{}", nx.message);
        assert!(nx.message.contains("NXDOMAIN"), "{}", nx.message);
        let unsigned = judge_bogus("example.gov", Ok(Answer::NoData), ev);
        assert_eq!(unsigned.status, Status::Fail);
        assert!(
            unsigned.message.contains("not signed"),
            "{}",
            unsigned.message
        );
        let down = judge_bogus("example.gov", Err("timeout".into()), ev);
        assert_eq!(down.status, Status::Error);
    }
}
