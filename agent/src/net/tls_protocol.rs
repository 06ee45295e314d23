//! `tls_protocol` check: a TLS endpoint refuses every protocol version below a floor.
//!
//! One hand-built ClientHello per version below the floor (down to SSL 3.0), each offering
//! a broad suite list (the probes are shared with the other rules of the endpoint, see
//! [`Endpoint::probe`]). A version the server accepts fails the rule; a probe without a
//! verdict (unreachable, timeout) is an error.

use super::check::{Eval, NetCheck, Targets};
use super::ctx::Ctx;
use super::legacy::{self, Probe};
use super::tls::Endpoint;
use super::wire::futures_join;
use crate::outcome::Outcome;
use crate::report::Evidence;
use serde::{Deserialize, Serialize};

/// `tls_protocol`: the endpoint refuses every protocol version below a floor.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Lowest acceptable version (`"1.2"`, `"1.3"`); every version below it down to SSL 3.0
    /// is probed and must be refused.
    #[serde(default = "default_min_version")]
    pub min_version: String,
}

impl NetCheck for Params {
    fn targets(&self) -> Targets {
        Targets::Endpoints
    }

    fn endpoint<'a>(&'a self, ep: &'a Endpoint, ctx: &'a Ctx) -> Eval<'a> {
        Box::pin(evaluate(self, ep, ctx))
    }
}

fn default_min_version() -> String {
    "1.2".to_string()
}

/// tls.protocol_min on one endpoint.
pub async fn evaluate(p: &Params, ep: &Endpoint, ctx: &Ctx) -> Outcome {
    let Some(floor) = legacy::parse_version(&p.min_version) else {
        return Outcome::error(format!(
            "min_version {:?} is not a TLS version (1.0, 1.1, 1.2, 1.3)",
            p.min_version
        ));
    };
    let below: Vec<u16> = [legacy::SSL3, legacy::TLS10, legacy::TLS11, legacy::TLS12]
        .into_iter()
        .filter(|v| *v < floor)
        .collect();
    let probes = futures_join(
        below
            .iter()
            .map(|v| ep.probe(ctx, *v, legacy::BROAD_SUITES)),
    )
    .await;
    let label = ep.target.label();
    let expected = format!(
        "every version below {} refused",
        legacy::version_name(floor)
    );
    let mut accepted = Vec::new();
    let mut failed = Vec::new();
    let mut evidence = Vec::new();
    for (v, probe) in below.iter().zip(&probes) {
        let obs = match probe {
            Probe::Accepted { version, suite, .. } => {
                if *version < floor {
                    accepted.push(legacy::version_name(*version));
                }
                format!(
                    "offered {}: accepted {} with {}",
                    legacy::version_name(*v),
                    legacy::version_name(*version),
                    legacy::suite_name(*suite)
                )
            }
            Probe::Refused(why) => format!("offered {}: refused ({why})", legacy::version_name(*v)),
            Probe::Failed(why) => {
                failed.push(why.clone());
                format!("offered {}: no verdict ({why})", legacy::version_name(*v))
            }
        };
        evidence.push(
            Evidence::default()
                .observed(obs)
                .expected(expected.clone())
                .context(label.clone()),
        );
    }
    accepted.dedup();
    if !accepted.is_empty() {
        Outcome::fail(format!(
            "{label} accepts {} (expected nothing below {})",
            accepted.join(", "),
            legacy::version_name(floor)
        ))
        .with_all(evidence)
    } else if let Some(why) = failed.first() {
        Outcome::error(format!("{label}: could not probe: {why}")).with_all(evidence)
    } else {
        Outcome::pass(format!(
            "{label} refuses every protocol below {}",
            legacy::version_name(floor)
        ))
        .with_all(evidence)
    }
}
