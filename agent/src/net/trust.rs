//! The trust store and crypto provider of a run: what the TLS endpoints' chains are judged
//! against (tls.chain_trusted), and what the collector connection trusts by default.

use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::CertificateDer;
use rustls::RootCertStore;
use std::sync::Arc;

/// System trust stores tried in order when no `ca_bundle` is configured.
pub const SYSTEM_STORES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

/// The crypto and trust shared by every connection of a run.
pub struct TlsCtx {
    /// aws-lc-rs, passed explicitly (never the process default).
    pub provider: Arc<CryptoProvider>,
    /// The classifier, or why there is none (no trust store).
    pub verifier: Result<Arc<WebPkiServerVerifier>, String>,
    /// Where the trust came from (for evidence).
    pub trust_source: String,
}

impl TlsCtx {
    /// Build from an optional CA bundle path on the scanning machine.
    pub fn new(ca_bundle: Option<&std::path::Path>) -> TlsCtx {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let (source, pem) = match ca_bundle {
            Some(p) => (
                p.display().to_string(),
                std::fs::read(p).map_err(|e| format!("ca_bundle {}: {e}", p.display())),
            ),
            None => match SYSTEM_STORES
                .iter()
                .find(|p| std::path::Path::new(p).is_file())
            {
                Some(p) => (
                    (*p).to_string(),
                    std::fs::read(p).map_err(|e| format!("system trust store {p}: {e}")),
                ),
                None => (
                    "none".to_string(),
                    Err(format!(
                        "no trust store: none of {} exists and no ca_bundle is configured",
                        SYSTEM_STORES.join(", ")
                    )),
                ),
            },
        };
        let verifier = pem.and_then(|pem| {
            use rustls::pki_types::pem::PemObject;
            let mut roots = RootCertStore::empty();
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
                .filter_map(Result::ok)
                .collect();
            let (added, _) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(format!("trust store {source}: no usable certificate"));
            }
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .map_err(|e| format!("trust store {source}: {e}"))
        });
        TlsCtx {
            provider,
            verifier,
            trust_source: source,
        }
    }
}
