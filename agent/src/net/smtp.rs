//! SMTP STARTTLS (RFC 3207): the upgrade used by TLS targets with `starttls = "smtp"`, and
//! the `smtp_starttls` check: every MX host of a domain offers STARTTLS in its EHLO reply
//! and completes a TLS handshake after it.
//!
//! The client reads the 220 greeting, sends `EHLO hardline-agent.invalid`, looks for the
//! `STARTTLS` keyword, sends `STARTTLS` and expects 220; then TLS starts (rustls, any
//! certificate accepted here: the certificate rules judge certificates, and opportunistic
//! SMTP TLS is what this rule is about). No mail is ever sent. A domain without MX, or
//! with a null MX, is not applicable; an MX host that cannot be reached is an error; one
//! that does not offer STARTTLS, or whose handshake fails, fails the rule.

use super::check::{Eval, NetCheck, Targets};
use super::config::{DomainTarget, Starttls, TlsTarget};
use super::ctx::Ctx;
use super::dns::{self, Answer};
use super::tls::Endpoint;
use super::wire::{futures_join, NOT_OFFERED};
use crate::outcome::Outcome;
use crate::report::Evidence;
use serde::{Deserialize, Serialize};

/// Parameters of the `smtp_starttls` check (none yet).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

impl NetCheck for Params {
    fn targets(&self) -> Targets {
        Targets::Domains
    }

    fn domain<'a>(&'a self, d: &'a DomainTarget, ctx: &'a Ctx) -> Eval<'a> {
        Box::pin(evaluate(d, ctx))
    }
}

/// Evaluate `smtp_starttls` on one domain.
pub async fn evaluate(d: &DomainTarget, ctx: &Ctx) -> Outcome {
    let domain = &d.name;
    let r = match ctx.resolver().await {
        Ok(r) => r,
        Err(e) => return Outcome::error(format!("{domain}: {e}")),
    };
    let mxs = match dns::mx(r, domain, ctx.cfg.timeout).await {
        Err(e) => return Outcome::error(format!("{domain}: MX lookup failed: {e}")),
        Ok(Answer::NxDomain) => {
            return Outcome::error(format!("{domain}: NXDOMAIN (the domain does not exist)"))
        }
        Ok(Answer::NoData) => {
            return Outcome::not_applicable(format!("{domain}: no MX record (receives no mail)"))
        }
        Ok(Answer::Found(v)) => v,
    };
    let hosts: Vec<String> = mxs
        .iter()
        .map(|((_, h), _)| h.clone())
        .filter(|h| !h.is_empty())
        .collect();
    if hosts.is_empty() {
        return Outcome::not_applicable(format!("{domain}: null MX (RFC 7505: accepts no mail)"));
    }
    let results = futures_join(hosts.iter().map(|h| async move {
        let ep = Endpoint::new(TlsTarget {
            host: h.clone(),
            port: d.smtp_port,
            sni: Some(h.clone()),
            starttls: Some(Starttls::Smtp),
            https: false,
            discovered: false,
        });
        (h.clone(), ep.handshake(ctx).await)
    }))
    .await;
    let expected = "STARTTLS offered and TLS handshake completed";
    let mut bad = Vec::new();
    let mut errors = Vec::new();
    let mut evidence = Vec::new();
    for (h, hs) in &results {
        let target = format!("{h}:{}", d.smtp_port);
        let obs = match (&hs.error, &hs.negotiated) {
            (None, Some((v, s))) => format!("STARTTLS, then {v} {s}"),
            (Some(e), _) if e.starts_with(NOT_OFFERED) || e.starts_with("TLS handshake failed") => {
                bad.push(format!("{target}: {e}"));
                e.clone()
            }
            (Some(e), _) => {
                errors.push(format!("{target}: {e}"));
                e.clone()
            }
            (None, None) => "no verdict".to_string(),
        };
        evidence.push(
            Evidence::default()
                .context(target)
                .observed(obs)
                .expected(expected),
        );
    }
    if !bad.is_empty() {
        Outcome::fail(format!("{domain}: MX {}", bad.join("; "))).with_all(evidence)
    } else if !errors.is_empty() {
        Outcome::error(format!("{domain}: MX unreachable: {}", errors.join("; ")))
            .with_all(evidence)
    } else {
        Outcome::pass(format!(
            "{domain}: every MX ({}) offers STARTTLS and completes TLS",
            hosts.join(", ")
        ))
        .with_all(evidence)
    }
}
