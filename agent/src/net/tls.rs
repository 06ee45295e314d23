//! TLS endpoints: connecting (with the STARTTLS upgrade), the one rustls handshake per
//! endpoint that the certificate and HSTS rules share, and the legacy ClientHello probes of
//! the `tls_protocol` and `tls_ciphers` checks.
//!
//! Trust store (tls.chain_trusted): the PEM file `ca_bundle` (`--ca-bundle`) of the scanning
//! machine when configured — agencies point it at the Federal PKI bundle — else the
//! scanning machine's system store (`/etc/ssl/certs/ca-certificates.crt`, or
//! `/etc/pki/tls/certs/ca-bundle.crt`, `/etc/ssl/cert.pem`). The store is the agent's, not
//! the scanned tree's: it is the client doing the connecting. No store at all is an error
//! of the chain rule, never a pass.
//!
//! The handshake never fails on the certificate: a recording verifier captures the served
//! chain, classifies it with rustls' `WebPkiServerVerifier` (expired, unknown issuer, name
//! mismatch, …) and lets the handshake go on, so the certificate rules can report instead of
//! stopping at "handshake failed". Handshake signatures are still verified. Nothing secret is
//! sent over these connections (at most `GET /` for HSTS).

use super::config::{Starttls, TlsTarget};
use super::legacy::{self, Answer, Flight, Probe, WeakFamily};
use super::wire::{futures_join, io_reason};
use super::{op_timeout, Ctx};
use crate::outcome::Outcome;
use crate::report::Evidence;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::OnceCell;

/// System trust stores tried in order when no `ca_bundle` is configured.
pub const SYSTEM_STORES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

/// `tls_protocol`: the endpoint refuses every protocol version below a floor.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtocolParams {
    /// Lowest acceptable version (`"1.2"`, `"1.3"`); every version below it down to SSL 3.0
    /// is probed and must be refused.
    #[serde(default = "default_min_version")]
    pub min_version: String,
}

fn default_min_version() -> String {
    "1.2".to_string()
}

/// `tls_ciphers`: the endpoint refuses weak cipher suite families.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CipherParams {
    /// Families that must be refused: rc4, 3des, des, null, export, anon.
    pub refuse: Vec<WeakFamily>,
}

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

/// What the shared handshake saw.
#[derive(Debug, Clone, Default)]
pub struct Handshake {
    /// The served chain (leaf first), captured even when the handshake failed later.
    pub chain: Vec<CertificateDer<'static>>,
    /// The chain's classification against the trust store (`None`: no chain seen).
    pub trust: Option<Result<(), String>>,
    /// Negotiated version and suite, when the handshake completed.
    pub negotiated: Option<(String, String)>,
    /// Why the connection or handshake failed.
    pub error: Option<String>,
    /// For HTTPS endpoints: the Strict-Transport-Security header (`Ok(None)`: absent).
    pub hsts: Option<Result<Option<String>, String>>,
    /// The chain came from a legacy probe that negotiated this version.
    pub legacy: Option<String>,
}

/// Classify a chain read outside rustls against the trust store and the server name.
fn classify(
    ctx: &Ctx,
    target: &TlsTarget,
    chain: &[CertificateDer<'static>],
) -> Result<(), String> {
    let v = ctx.tls().verifier.as_ref().map_err(Clone::clone)?;
    let name = server_name(target)?;
    let (leaf, rest) = chain.split_first().ok_or("no certificate")?;
    v.verify_server_cert(leaf, rest, &name, &[], UnixTime::now())
        .map(|_| ())
        .map_err(|e| describe_cert_error(&e))
}

/// A legacy probe: offered version and suites.
type ProbeKey = (u16, Vec<u16>);

/// The chain a handshake served and its classification.
type Seen = (Vec<CertificateDer<'static>>, Result<(), String>);

/// One endpoint and the probes its rules share.
pub struct Endpoint {
    /// The target.
    pub target: TlsTarget,
    handshake: OnceCell<Arc<Handshake>>,
    probes: Mutex<HashMap<ProbeKey, Arc<OnceCell<Probe>>>>,
}

impl Endpoint {
    /// A fresh endpoint.
    pub fn new(target: TlsTarget) -> Endpoint {
        Endpoint {
            target,
            handshake: OnceCell::new(),
            probes: Mutex::new(HashMap::new()),
        }
    }

    /// The rustls handshake (and, for HTTPS endpoints, `GET /`), done once. When rustls
    /// cannot complete it (a server that speaks only TLS 1.0/1.1, or only suites rustls
    /// refuses), the chain is read from the clear-text Certificate message of a hand-built
    /// ClientHello instead, so the certificate rules still judge it.
    pub async fn handshake(&self, ctx: &Ctx) -> Arc<Handshake> {
        self.handshake
            .get_or_init(|| async {
                let tls = ctx.tls();
                let recorder = Arc::new(Recorder {
                    inner: tls.verifier.clone(),
                    provider: tls.provider.clone(),
                    seen: Mutex::new(None),
                });
                let first = {
                    let _permit = ctx.permit().await;
                    op_timeout(
                        ctx.cfg.timeout,
                        handshake(ctx, &self.target, recorder.clone()),
                    )
                    .await
                };
                let mut hs = match first {
                    Ok(h) => h,
                    Err(e) => {
                        // Timed out after the certificate arrived: keep what was seen.
                        let mut h = Handshake {
                            error: Some(e),
                            ..Handshake::default()
                        };
                        if let Ok(mut seen) = recorder.seen.lock() {
                            if let Some((chain, verdict)) = seen.take() {
                                h.chain = chain;
                                h.trust = Some(verdict);
                            }
                        }
                        h
                    }
                };
                let tls_failure = hs
                    .error
                    .as_deref()
                    .is_some_and(|e| e.starts_with("TLS handshake failed"));
                if hs.chain.is_empty() && tls_failure {
                    if let Probe::Accepted { chain, version, .. } =
                        self.probe(ctx, legacy::TLS12, legacy::BROAD_SUITES).await
                    {
                        if !chain.is_empty() {
                            let chain: Vec<CertificateDer<'static>> =
                                chain.into_iter().map(CertificateDer::from).collect();
                            hs.trust = Some(classify(ctx, &self.target, &chain));
                            hs.chain = chain;
                            hs.legacy = Some(legacy::version_name(version));
                        }
                    }
                }
                Arc::new(hs)
            })
            .await
            .clone()
    }

    /// One ClientHello probe, done once per (version, suites).
    pub async fn probe(&self, ctx: &Ctx, version: u16, suites: &[u16]) -> Probe {
        let cell = {
            let mut map = match self.probes.lock() {
                Ok(m) => m,
                Err(p) => p.into_inner(),
            };
            map.entry((version, suites.to_vec()))
                .or_insert_with(|| Arc::new(OnceCell::new()))
                .clone()
        };
        cell.get_or_init(|| async {
            let _permit = ctx.permit().await;
            match op_timeout(
                ctx.cfg.timeout,
                raw_probe(ctx, &self.target, version, suites),
            )
            .await
            {
                Ok(p) => p,
                Err(e) => Probe::Failed(e),
            }
        })
        .await
        .clone()
    }
}

/// Open a TCP connection to the target (after STARTTLS when configured).
pub async fn connect(ctx: &Ctx, target: &TlsTarget) -> Result<TcpStream, String> {
    let addr = ctx.resolve_addr(&target.host, target.port).await?;
    let mut stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect to {addr}: {}", io_reason(&e)))?;
    let _ = stream.set_nodelay(true);
    if target.starttls == Some(Starttls::Smtp) {
        super::wire::starttls(&mut stream).await?;
    }
    Ok(stream)
}

#[derive(Debug)]
struct Recorder {
    inner: Result<Arc<WebPkiServerVerifier>, String>,
    provider: Arc<CryptoProvider>,
    seen: Mutex<Option<Seen>>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = match &self.inner {
            Ok(v) => v
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
                .map(|_| ())
                .map_err(|e| describe_cert_error(&e)),
            Err(e) => Err(e.clone()),
        };
        let mut chain = vec![end_entity.clone().into_owned()];
        chain.extend(intermediates.iter().map(|c| c.clone().into_owned()));
        if let Ok(mut s) = self.seen.lock() {
            *s = Some((chain, verdict));
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A person-readable certificate verification failure.
fn describe_cert_error(e: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::Expired | C::ExpiredContext { .. } => format!("certificate expired ({c})"),
            C::NotValidYet | C::NotValidYetContext { .. } => {
                format!("certificate not valid yet ({c})")
            }
            C::UnknownIssuer => "issuer not in the trust store (unknown issuer)".to_string(),
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                format!("certificate not valid for the server name ({c})")
            }
            C::Revoked => "certificate revoked".to_string(),
            C::BadSignature => "bad signature in the chain".to_string(),
            C::Other(o) if format!("{o:?}").contains("CaUsedAsEndEntity") => {
                "the server certificate is a CA certificate (self-signed?), not an end-entity certificate"
                    .to_string()
            }
            other => format!("invalid certificate: {other}"),
        },
        other => other.to_string(),
    }
}

/// The server name to verify against: the SNI name, or the IP address.
fn server_name(target: &TlsTarget) -> Result<ServerName<'static>, String> {
    match &target.sni {
        Some(n) => ServerName::try_from(n.clone())
            .map_err(|_| format!("server name {n:?} is not a valid DNS name")),
        None => target
            .host
            .parse::<std::net::IpAddr>()
            .map(|ip| ServerName::IpAddress(ip.into()))
            .map_err(|_| format!("host {:?}: no server name", target.host)),
    }
}

async fn handshake(
    ctx: &Ctx,
    target: &TlsTarget,
    recorder: Arc<Recorder>,
) -> Result<Handshake, String> {
    // The HTTP exchange gets what is left of the operation's time, minus a margin, so that a
    // server that completes TLS but never answers HTTP still yields its certificate.
    let deadline = tokio::time::Instant::now() + ctx.cfg.timeout.mul_f64(0.9);
    let tls = ctx.tls();
    let name = server_name(target)?;
    let mut config = rustls::ClientConfig::builder_with_provider(tls.provider.clone())
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .map_err(|e| format!("TLS configuration: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    if target.https {
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
    }
    let stream = connect(ctx, target).await?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let result = connector.connect(name, stream).await;
    let mut out = Handshake::default();
    if let Ok(mut seen) = recorder.seen.lock() {
        if let Some((chain, verdict)) = seen.take() {
            out.chain = chain;
            out.trust = Some(verdict);
        }
    }
    match result {
        Err(e) => out.error = Some(format!("TLS handshake failed: {}", io_reason(&e))),
        Ok(mut conn) => {
            let (_, c) = conn.get_ref();
            out.negotiated = Some((
                c.protocol_version()
                    .map(|v| format!("{v:?}"))
                    .unwrap_or_default(),
                c.negotiated_cipher_suite()
                    .map(|s| format!("{:?}", s.suite()))
                    .unwrap_or_default(),
            ));
            if target.https {
                out.hsts = Some(
                    tokio::time::timeout_at(deadline, super::wire::fetch(&mut conn, target))
                        .await
                        .unwrap_or_else(|_| Err("no HTTP response (timeout)".to_string())),
                );
            }
            let _ = conn.shutdown().await;
        }
    }
    Ok(out)
}

async fn raw_probe(
    ctx: &Ctx,
    target: &TlsTarget,
    version: u16,
    suites: &[u16],
) -> Result<Probe, String> {
    let mut stream = match connect(ctx, target).await {
        Ok(s) => s,
        Err(e) => return Ok(Probe::Failed(e)),
    };
    let mut random = [0u8; 32];
    for (i, b) in random.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(73).wrapping_add(version as u8);
    }
    let hello = legacy::client_hello(version, suites, target.sni.as_deref(), random);
    if let Err(e) = stream.write_all(&hello).await {
        return Ok(Probe::Refused(format!(
            "connection closed ({})",
            io_reason(&e)
        )));
    }
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        let n = match stream.read(&mut chunk).await {
            Ok(n) => n,
            Err(e) => return Ok(Probe::Refused(format!("connection {}", io_reason(&e)))),
        };
        if n == 0 {
            return Ok(Probe::Refused(
                "connection closed without a ServerHello".to_string(),
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
        match legacy::parse_answer(&buf) {
            Answer::Incomplete if buf.len() < 65536 => continue,
            Answer::Incomplete => return Ok(Probe::Refused("oversized answer".to_string())),
            Answer::ServerHello { version, suite } => {
                let chain = read_certificates(&mut stream, &mut buf, ctx.cfg.timeout / 2).await;
                return Ok(Probe::Accepted {
                    version,
                    suite,
                    chain,
                });
            }
            Answer::Alert(_, d) => {
                return Ok(Probe::Refused(format!("alert {}", legacy::alert_name(d))))
            }
            Answer::NotTls(why) => return Ok(Probe::Refused(format!("not a TLS answer: {why}"))),
        }
    }
}

/// Go on reading the server's first flight for its Certificate message (bounded by `limit`
/// and 64 KiB); empty when there is none.
async fn read_certificates(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    limit: Duration,
) -> Vec<Vec<u8>> {
    let work = async {
        let mut chunk = [0u8; 4096];
        loop {
            match legacy::server_certificates(buf) {
                Flight::Certs(c) => return c,
                Flight::NoCerts | Flight::Bad => return Vec::new(),
                Flight::NeedMore if buf.len() > 65536 => return Vec::new(),
                Flight::NeedMore => {}
            }
            match stream.read(&mut chunk).await {
                Ok(n) if n > 0 => buf.extend_from_slice(&chunk[..n]),
                _ => return Vec::new(),
            }
        }
    };
    tokio::time::timeout(limit, work).await.unwrap_or_default()
}

/// tls.protocol_min on one endpoint.
pub async fn evaluate_protocol(p: &ProtocolParams, ep: &Endpoint, ctx: &Ctx) -> Outcome {
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

/// tls.weak_ciphers on one endpoint: one probe offering every weak suite; when the server
/// picks one, one probe per family to list them all.
pub async fn evaluate_ciphers(p: &CipherParams, ep: &Endpoint, ctx: &Ctx) -> Outcome {
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
