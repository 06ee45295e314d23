//! Network checks: rules evaluated once per target — TLS endpoints, certificate files,
//! domains — rather than once per host.
//!
//! The rules are ordinary policy rules (`policies/baseline/network.yaml`); their check types
//! (`tls_protocol`, `tls_ciphers`, `certificate`, `hsts`, `smtp_starttls`, `spf`, `dmarc`,
//! `dnssec`, `caa`, `resolver`) are registered in `checks/mod.rs` like the host checks, but
//! [`crate::scan`] hands them to [`run`] with the targets of the agent configuration.
//!
//! - Every result carries `target` (`host:port[@sni]`, a certificate path, a domain).
//! - A rule whose kind of target is not configured yields one `not_applicable` result
//!   ("no TLS endpoints configured"). Without TLS endpoints, domains or discovery no async
//!   runtime is started and no packet is sent; certificate files and host.resolver are
//!   plain file reads through [`Host`].
//! - Bounded and polite: every network operation (connect + STARTTLS + handshake + request,
//!   one probe, one DNS query) has the configured timeout (5 s by default); at most
//!   `concurrency` (32) operations are in flight; an endpoint that never answers costs one
//!   timeout, in parallel with the others, and one target's failure never stops another.
//!   Unreachable is `error` with the reason (connection refused, timeout, NXDOMAIN).
//! - Each endpoint is handshaken once (rustls, shared by the certificate and HSTS rules)
//!   and probed once per legacy version and cipher family.

pub mod cert;
pub mod config;
pub mod ctx;
pub mod discover;
pub mod dmarc;
pub mod dns;
pub mod dnssec;
pub mod hsts;
pub mod legacy;
pub mod resolver_conf;
pub mod smtp;
pub mod spf;
pub mod tls;
pub mod tls_ciphers;
pub mod tls_protocol;
pub mod trust;
pub mod wire;

use crate::checks::CheckSpec;
use crate::host::Host;
use crate::outcome::Outcome;
use crate::policy::Rule;
use crate::report::RuleResult;
use config::NetConfig;
use ctx::Ctx;
use std::future::Future;
use std::pin::Pin;
use std::time::Instant;
use tls::Endpoint;

/// True for the check types that [`run`] evaluates per target.
pub fn is_network(spec: &CheckSpec) -> bool {
    matches!(
        spec,
        CheckSpec::TlsProtocol(_)
            | CheckSpec::TlsCiphers(_)
            | CheckSpec::Certificate(_)
            | CheckSpec::Hsts(_)
            | CheckSpec::SmtpStarttls(_)
            | CheckSpec::Spf(_)
            | CheckSpec::Dmarc(_)
            | CheckSpec::Dnssec(_)
            | CheckSpec::Caa(_)
            | CheckSpec::Resolver(_)
    )
}

fn result(rule: &Rule, outcome: Outcome, target: Option<String>, started: Instant) -> RuleResult {
    RuleResult {
        rule_id: rule.id.clone(),
        title: rule.title.clone(),
        severity: rule.severity,
        status: outcome.status,
        message: outcome.message,
        target,
        evidence: outcome.evidence,
        nist_800_53: rule.references.nist_800_53.clone(),
        duration_seconds: started.elapsed().as_secs_f64(),
    }
}

/// A `certs` pattern and the files it matched.
type CertPattern = (String, Result<Vec<String>, String>);

type Job<'a> = Pin<Box<dyn Future<Output = (usize, RuleResult)> + 'a>>;

/// Evaluate network rules against the configured targets. Results come in rule order, then
/// target order. Starts an async runtime only when there is network work.
pub fn run(rules: &[&Rule], cfg: &NetConfig, host: &Host) -> Vec<RuleResult> {
    let mut slots: Vec<Vec<RuleResult>> = rules.iter().map(|_| Vec::new()).collect();
    let now = cert::now_unix();
    let mut network = false;
    let mut cert_files: Option<Vec<CertPattern>> = None;
    for (i, rule) in rules.iter().enumerate() {
        let started = Instant::now();
        let na = |why: &str| result(rule, Outcome::not_applicable(why), None, started);
        match &rule.check {
            CheckSpec::Resolver(p) => {
                let o = resolver_conf::evaluate(p, host, &cfg.allowed_resolvers);
                let target = (!cfg.allowed_resolvers.is_empty()).then(|| p.path.clone());
                slots[i].push(result(rule, o, target, started));
            }
            CheckSpec::Certificate(p) => {
                if p.applies_to_files() {
                    let files = cert_files.get_or_insert_with(|| {
                        cfg.certs
                            .iter()
                            .map(|pat| (pat.clone(), host.glob(pat)))
                            .collect()
                    });
                    for (pat, matched) in files.iter() {
                        let started = Instant::now();
                        match matched {
                            Err(e) => slots[i].push(result(
                                rule,
                                Outcome::error(format!("certs pattern {pat:?}: {e}")),
                                Some(pat.clone()),
                                started,
                            )),
                            Ok(paths) if paths.is_empty() => slots[i].push(result(
                                rule,
                                Outcome::error(format!(
                                    "certs pattern {pat:?} matches no file under the scan root"
                                )),
                                Some(pat.clone()),
                                started,
                            )),
                            Ok(paths) => {
                                for path in paths {
                                    let started = Instant::now();
                                    let o = cert::evaluate_file(p, host, path, now);
                                    slots[i].push(result(rule, o, Some(path.clone()), started));
                                }
                            }
                        }
                    }
                }
                if cfg.tls.is_empty() && !cfg.discover {
                    if slots[i].is_empty() {
                        slots[i].push(na(if p.applies_to_files() {
                            "no TLS endpoints or certificate files configured"
                        } else {
                            "no TLS endpoints configured"
                        }));
                    }
                } else {
                    network = true;
                }
            }
            CheckSpec::TlsProtocol(_) | CheckSpec::TlsCiphers(_) => {
                if cfg.tls.is_empty() && !cfg.discover {
                    slots[i].push(na("no TLS endpoints configured"));
                } else {
                    network = true;
                }
            }
            CheckSpec::Hsts(_) => {
                if !cfg.tls.iter().any(|t| t.https) && !cfg.discover {
                    slots[i].push(na("no HTTPS endpoints configured"));
                } else {
                    network = true;
                }
            }
            CheckSpec::SmtpStarttls(_)
            | CheckSpec::Spf(_)
            | CheckSpec::Dmarc(_)
            | CheckSpec::Dnssec(_)
            | CheckSpec::Caa(_) => {
                if cfg.domains.is_empty() {
                    slots[i].push(na("no domains configured"));
                } else {
                    network = true;
                }
            }
            _ => slots[i].push(result(
                rule,
                Outcome::error("not a network check type"),
                None,
                started,
            )),
        }
    }
    if network {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build();
        match rt {
            Ok(rt) => {
                let ctx = Ctx::new(cfg.clone());
                let extra = rt.block_on(run_async(rules, &ctx, host));
                for (i, r) in extra {
                    slots[i].push(r);
                }
            }
            Err(e) => {
                for (i, rule) in rules.iter().enumerate() {
                    if slots[i].is_empty() {
                        slots[i].push(result(
                            rule,
                            Outcome::error(format!("cannot start the network runtime: {e}")),
                            None,
                            Instant::now(),
                        ));
                    }
                }
            }
        }
    }
    slots.into_iter().flatten().collect()
}

async fn run_async(rules: &[&Rule], ctx: &Ctx, host: &Host) -> Vec<(usize, RuleResult)> {
    let cfg = &ctx.cfg;
    let mut endpoints: Vec<Endpoint> = cfg.tls.iter().cloned().map(Endpoint::new).collect();
    let mut discovery_note: Option<String> = None;
    if cfg.discover {
        match discover::targets(host) {
            Ok(found) => {
                let fresh: Vec<Endpoint> = found
                    .into_iter()
                    .filter(|t| !cfg.tls.iter().any(|c| c.host == t.host && c.port == t.port))
                    .map(Endpoint::new)
                    .collect();
                // A listener is a TLS endpoint when a handshake gets a certificate.
                let probes = wire::futures_join(fresh.iter().map(|e| e.handshake(ctx))).await;
                for (ep, hs) in fresh.into_iter().zip(probes) {
                    if !hs.chain.is_empty() {
                        endpoints.push(ep);
                    }
                }
                if !host.is_live() {
                    discovery_note =
                        Some("discover: not a live host (--root), listeners not probed".into());
                }
            }
            Err(e) => discovery_note = Some(format!("discover: {e}")),
        }
    }
    let mut jobs: Vec<Job<'_>> = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let rule: &Rule = rule;
        match &rule.check {
            CheckSpec::TlsProtocol(p) => {
                for ep in &endpoints {
                    jobs.push(Box::pin(async move {
                        let s = Instant::now();
                        let o = tls_protocol::evaluate(p, ep, ctx).await;
                        (i, result(rule, o, Some(ep.target.label()), s))
                    }));
                }
            }
            CheckSpec::TlsCiphers(p) => {
                for ep in &endpoints {
                    jobs.push(Box::pin(async move {
                        let s = Instant::now();
                        let o = tls_ciphers::evaluate(p, ep, ctx).await;
                        (i, result(rule, o, Some(ep.target.label()), s))
                    }));
                }
            }
            CheckSpec::Certificate(p) => {
                for ep in &endpoints {
                    jobs.push(Box::pin(async move {
                        let s = Instant::now();
                        let o = certificate_on_endpoint(p, ep, ctx).await;
                        (i, result(rule, o, Some(ep.target.label()), s))
                    }));
                }
            }
            CheckSpec::Hsts(p) => {
                for ep in endpoints.iter().filter(|e| e.target.https) {
                    jobs.push(Box::pin(async move {
                        let s = Instant::now();
                        let hs = ep.handshake(ctx).await;
                        let o = hsts::evaluate(p, &hs, &ep.target.label());
                        (i, result(rule, o, Some(ep.target.label()), s))
                    }));
                }
            }
            CheckSpec::SmtpStarttls(_)
            | CheckSpec::Spf(_)
            | CheckSpec::Dmarc(_)
            | CheckSpec::Dnssec(_)
            | CheckSpec::Caa(_) => {
                for d in &cfg.domains {
                    jobs.push(Box::pin(async move {
                        let s = Instant::now();
                        let o = domain_rule(&rule.check, d, ctx).await;
                        (i, result(rule, o, Some(d.name.clone()), s))
                    }));
                }
            }
            _ => {}
        }
    }
    let mut out = wire::futures_join(jobs).await;
    // Rules whose only targets were discovered listeners, none of which speaks TLS.
    for (i, rule) in rules.iter().enumerate() {
        let endpoint_rule = matches!(
            rule.check,
            CheckSpec::TlsProtocol(_)
                | CheckSpec::TlsCiphers(_)
                | CheckSpec::Hsts(_)
                | CheckSpec::Certificate(_)
        );
        let has = out.iter().any(|(j, _)| *j == i);
        let configured = match &rule.check {
            CheckSpec::Hsts(_) => cfg.tls.iter().any(|t| t.https),
            CheckSpec::Certificate(_) => !cfg.tls.is_empty() || !cfg.certs.is_empty(),
            _ => !cfg.tls.is_empty(),
        };
        if endpoint_rule && !has && !configured {
            let why = discovery_note
                .clone()
                .unwrap_or_else(|| "no TLS endpoints configured, none discovered".to_string());
            out.push((
                i,
                result(rule, Outcome::not_applicable(why), None, Instant::now()),
            ));
        }
    }
    out
}

async fn certificate_on_endpoint(p: &cert::Params, ep: &Endpoint, ctx: &Ctx) -> Outcome {
    let hs = ep.handshake(ctx).await;
    let label = ep.target.label();
    if hs.chain.is_empty() {
        return Outcome::error(format!(
            "{label}: no certificate received: {}",
            hs.error
                .as_deref()
                .unwrap_or("handshake did not reach the certificate")
        ));
    }
    let mut outcome = match p {
        cert::Params::Chain {} => {
            let name = ep
                .target
                .sni
                .clone()
                .unwrap_or_else(|| ep.target.host.clone());
            let ev = |obs: String| {
                crate::report::Evidence::default()
                    .context(label.clone())
                    .observed(obs)
                    .expected(format!(
                        "chain valid to the trust store ({}), name {name}",
                        ctx.tls().trust_source
                    ))
            };
            match &hs.trust {
                Some(Ok(())) => Outcome::pass(format!(
                    "{label}: chain validates to the trust store and matches {name}"
                ))
                .with(ev("valid".to_string())),
                Some(Err(e))
                    if e.starts_with("no trust store")
                        || e.starts_with("trust store")
                        || e.starts_with("ca_bundle")
                        || e.starts_with("system trust store") =>
                {
                    Outcome::error(format!("{label}: {e}"))
                }
                Some(Err(e)) => Outcome::fail(format!("{label}: {e}")).with(ev(e.clone())),
                None => Outcome::error(format!("{label}: no chain to judge")),
            }
        }
        _ => {
            let ders: Vec<Vec<u8>> = hs.chain.iter().map(|c| c.as_ref().to_vec()).collect();
            cert::judge(p, &ders, &label, cert::now_unix(), true)
        }
    };
    if let Some(v) = &hs.legacy {
        outcome.message.push_str(&format!(
            " (chain read from a {v} handshake: rustls cannot complete one with this server)"
        ));
    }
    outcome
}

async fn domain_rule(spec: &CheckSpec, d: &config::DomainTarget, ctx: &Ctx) -> Outcome {
    let t = ctx.cfg.timeout;
    if let CheckSpec::SmtpStarttls(_) = spec {
        return smtp::evaluate(d, ctx).await;
    }
    let r = match ctx.resolver().await {
        Ok(r) => r,
        Err(e) => return Outcome::error(format!("{}: {e}", d.name)),
    };
    let _permit = ctx.permit().await;
    match spec {
        CheckSpec::Spf(p) => spf::evaluate(p, &d.name, r, t).await,
        CheckSpec::Dmarc(p) => dmarc::evaluate(p, &d.name, d.sending, r, t).await,
        CheckSpec::Caa(_) => dnssec::evaluate_caa(&d.name, r, t).await,
        CheckSpec::Dnssec(_) => match ctx.validating().await {
            Ok(v) => dnssec::evaluate(&d.name, v, r, t).await,
            Err(e) => Outcome::error(format!("{}: {e}", d.name)),
        },
        _ => Outcome::error("not a domain check"),
    }
}
