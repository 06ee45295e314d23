//! What every network check type implements: [`NetCheck`], and the kinds of target
//! ([`Targets`]) the runner ([`super::run`]) hands it.
//!
//! A network check type is its `Params` plus an `impl NetCheck for Params` in its own file
//! under `net/`, and one line in the `network` part of the registry (`checks/mod.rs`). The
//! runner does the rest: which targets exist, `not_applicable` when none of the kind is
//! configured, the async runtime, the concurrency limit, one result per target.

use super::config::{DomainTarget, NetConfig};
use super::ctx::Ctx;
use super::tls::Endpoint;
use crate::host::Host;
use crate::outcome::{Finding, Outcome};
use std::future::Future;
use std::pin::Pin;

/// The evaluation of a check on one target.
pub type Eval<'a> = Pin<Box<dyn Future<Output = Outcome> + 'a>>;

/// The kind of target a network check runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Targets {
    /// Nothing on the network: only [`NetCheck::local`].
    Local,
    /// Every TLS endpoint: configured (`tls`) and discovered (`discover`).
    Endpoints,
    /// The HTTPS endpoints (`https = true`, or port 443 without STARTTLS).
    HttpsEndpoints,
    /// Every configured domain.
    Domains,
}

impl Targets {
    /// True when `cfg` may give a target of this kind (discovery may find endpoints).
    pub fn configured(self, cfg: &NetConfig) -> bool {
        match self {
            Targets::Local => false,
            Targets::Endpoints => !cfg.tls.is_empty() || cfg.discover,
            Targets::HttpsEndpoints => cfg.tls.iter().any(|t| t.https) || cfg.discover,
            Targets::Domains => !cfg.domains.is_empty(),
        }
    }

    /// True for the kinds that discovery adds targets to.
    pub fn endpoints(self) -> bool {
        matches!(self, Targets::Endpoints | Targets::HttpsEndpoints)
    }

    /// The `not_applicable` message when no target of this kind is configured.
    pub fn unconfigured(self) -> &'static str {
        match self {
            Targets::Local => "nothing to check on this host",
            Targets::Endpoints => "no TLS endpoints configured",
            Targets::HttpsEndpoints => "no HTTPS endpoints configured",
            Targets::Domains => "no domains configured",
        }
    }
}

/// A network check type: evaluated once per target rather than once per host.
///
/// Implement [`NetCheck::targets`] and the evaluation for that kind: [`NetCheck::endpoint`]
/// for [`Targets::Endpoints`] and [`Targets::HttpsEndpoints`], [`NetCheck::domain`] for
/// [`Targets::Domains`]; [`NetCheck::local`] for what is read from the host without a packet
/// (certificate files, resolv.conf). Every network operation goes through [`Ctx`]
/// (`ctx.permit()`, `ctx.cfg.timeout`, the shared resolvers and handshakes).
pub trait NetCheck {
    /// The targets the check runs on.
    fn targets(&self) -> Targets;

    /// Findings read through [`Host`] before any packet is sent (each with its target).
    /// None by default.
    fn local(&self, _host: &Host, _cfg: &NetConfig) -> Vec<Finding> {
        Vec::new()
    }

    /// The `not_applicable` message when there is no local finding and no target of the
    /// kind is configured.
    fn unconfigured(&self) -> &'static str {
        self.targets().unconfigured()
    }

    /// Evaluate the check on one TLS endpoint.
    fn endpoint<'a>(&'a self, _ep: &'a Endpoint, _ctx: &'a Ctx) -> Eval<'a> {
        Box::pin(async { Outcome::error("not an endpoint check") })
    }

    /// Evaluate the check on one domain.
    fn domain<'a>(&'a self, _d: &'a DomainTarget, _ctx: &'a Ctx) -> Eval<'a> {
        Box::pin(async { Outcome::error("not a domain check") })
    }
}
