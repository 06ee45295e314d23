//! Network checks: rules evaluated once per target — TLS endpoints, certificate files,
//! domains — rather than once per host.
//!
//! The rules are ordinary policy rules (`policies/baseline/network.yaml`); their check types
//! (`tls_protocol`, `tls_ciphers`, `certificate`, `hsts`, `smtp_starttls`, `spf`, `dmarc`,
//! `dnssec`, `caa`, `resolver`) are registered in the `network` part of the registry
//! (`checks/mod.rs`), each implementing [`check::NetCheck`] in its own file here;
//! [`crate::scan`] hands them to [`run`] with the targets of the agent configuration. This
//! module knows no check type and no rule: it asks each check for its kind of target.
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
pub mod check;
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

use crate::host::Host;
use crate::outcome::{Finding, Outcome};
use check::{NetCheck, Targets};
use config::NetConfig;
use ctx::Ctx;
use std::future::Future;
use std::pin::Pin;
use std::time::Instant;
use tls::Endpoint;

type Job<'a> = Pin<Box<dyn Future<Output = (usize, Finding)> + 'a>>;

/// Evaluate network checks against the configured targets: the findings of each check, in
/// the order of `checks`, each in target order. Starts an async runtime only when there is
/// network work.
pub fn run(checks: &[&dyn NetCheck], cfg: &NetConfig, host: &Host) -> Vec<Vec<Finding>> {
    let mut slots: Vec<Vec<Finding>> = checks.iter().map(|_| Vec::new()).collect();
    let mut network = false;
    for (slot, check) in slots.iter_mut().zip(checks) {
        let started = Instant::now();
        slot.extend(check.local(host, cfg));
        if check.targets().configured(cfg) {
            network = true;
        } else if slot.is_empty() {
            let o = Outcome::not_applicable(check.unconfigured());
            slot.push(Finding::new(o, None, started));
        }
    }
    if network {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build();
        match rt {
            Ok(rt) => {
                let ctx = Ctx::new(cfg.clone());
                let (found, discovery_note) = rt.block_on(run_async(checks, &ctx, host));
                for (i, f) in found {
                    slots[i].push(f);
                }
                // Checks whose only targets were discovered listeners, none of which speaks TLS.
                for (slot, check) in slots.iter_mut().zip(checks) {
                    if slot.is_empty() && check.targets().endpoints() {
                        let why = discovery_note.clone().unwrap_or_else(|| {
                            "no TLS endpoints configured, none discovered".to_string()
                        });
                        let o = Outcome::not_applicable(why);
                        slot.push(Finding::new(o, None, Instant::now()));
                    }
                }
            }
            Err(e) => {
                for slot in &mut slots {
                    if slot.is_empty() {
                        let o = Outcome::error(format!("cannot start the network runtime: {e}"));
                        slot.push(Finding::new(o, None, Instant::now()));
                    }
                }
            }
        }
    }
    slots
}

/// The network findings (index of the check, finding) and, with `discover`, why discovery
/// found nothing to probe.
async fn run_async(
    checks: &[&dyn NetCheck],
    ctx: &Ctx,
    host: &Host,
) -> (Vec<(usize, Finding)>, Option<String>) {
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
    for (i, &check) in checks.iter().enumerate() {
        let kind = check.targets();
        if kind.endpoints() {
            let https = kind == Targets::HttpsEndpoints;
            for ep in endpoints.iter().filter(|e| !https || e.target.https) {
                jobs.push(Box::pin(async move {
                    let s = Instant::now();
                    let o = check.endpoint(ep, ctx).await;
                    (i, Finding::new(o, Some(ep.target.label()), s))
                }));
            }
        } else if kind == Targets::Domains {
            for d in &cfg.domains {
                jobs.push(Box::pin(async move {
                    let s = Instant::now();
                    let o = check.domain(d, ctx).await;
                    (i, Finding::new(o, Some(d.name.clone()), s))
                }));
            }
        }
    }
    (wire::futures_join(jobs).await, discovery_note)
}
