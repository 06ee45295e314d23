//! `tls_ciphers` check: a TLS endpoint refuses weak cipher suite families (RC4, 3DES, DES,
//! NULL, export, anonymous).
//!
//! One ClientHello offering every weak suite of the listed families; when the server picks
//! one, one probe per family lists them all (probes shared through [`Endpoint::probe`]).

use super::check::{Eval, NetCheck, Targets};
use super::ctx::Ctx;
use super::legacy::{self, Probe, WeakFamily};
use super::tls::Endpoint;
use super::wire::futures_join;
use crate::outcome::Outcome;
use crate::report::Evidence;
use serde::{Deserialize, Serialize};

/// `tls_ciphers`: the endpoint refuses weak cipher suite families.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Families that must be refused: rc4, 3des, des, null, export, anon.
    pub refuse: Vec<WeakFamily>,
}

impl NetCheck for Params {
    fn targets(&self) -> Targets {
        Targets::Endpoints
    }

    fn endpoint<'a>(&'a self, ep: &'a Endpoint, ctx: &'a Ctx) -> Eval<'a> {
        Box::pin(evaluate(self, ep, ctx))
    }
}

/// tls.weak_ciphers on one endpoint: one probe offering every weak suite; when the server
/// picks one, one probe per family to list them all.
pub async fn evaluate(p: &Params, ep: &Endpoint, ctx: &Ctx) -> Outcome {
    let label = ep.target.label();
    let mut families: Vec<WeakFamily> = p.refuse.clone();
    families.dedup();
    if families.is_empty() {
        return Outcome::error("tls_ciphers: `refuse` lists no family");
    }
    let names: Vec<&str> = families.iter().map(|f| f.name()).collect();
    let expected = format!("{} suites refused", names.join(", "));
    let mut all: Vec<u16> = families.iter().flat_map(|f| f.suites()).collect();
    all.sort_unstable();
    all.dedup();
    let first = ep.probe(ctx, legacy::TLS12, &all).await;
    match first {
        Probe::Failed(why) => Outcome::error(format!("{label}: could not probe: {why}")).with(
            Evidence::default()
                .observed(why)
                .expected(expected)
                .context(label.clone()),
        ),
        Probe::Refused(why) => {
            Outcome::pass(format!("{label} refuses every {} suite", names.join("/"))).with(
                Evidence::default()
                    .observed(format!(
                        "offered {} weak suites: refused ({why})",
                        all.len()
                    ))
                    .expected(expected)
                    .context(label.clone()),
            )
        }
        Probe::Accepted { version, suite, .. } => {
            let per = futures_join(families.iter().map(|f| {
                let suites = f.suites();
                async move { (*f, ep.probe(ctx, legacy::TLS12, &suites).await) }
            }))
            .await;
            let mut evidence = vec![Evidence::default()
                .observed(format!(
                    "chose {} under {}",
                    legacy::suite_name(suite),
                    legacy::version_name(version)
                ))
                .expected(expected.clone())
                .context(label.clone())];
            let mut bad: Vec<String> = Vec::new();
            for (f, probe) in per {
                if let Probe::Accepted { version, suite, .. } = probe {
                    bad.push(format!("{} ({})", f.name(), legacy::suite_name(suite)));
                    evidence.push(
                        Evidence::default()
                            .observed(format!(
                                "{} offered alone: accepted {} under {}",
                                f.name(),
                                legacy::suite_name(suite),
                                legacy::version_name(version)
                            ))
                            .expected(expected.clone())
                            .context(label.clone()),
                    );
                }
            }
            if bad.is_empty() {
                bad.push(legacy::suite_name(suite));
            }
            Outcome::fail(format!(
                "{label} accepts weak cipher suites: {} (expected {} refused)",
                bad.join(", "),
                names.join(", ")
            ))
            .with_all(evidence)
        }
    }
}
