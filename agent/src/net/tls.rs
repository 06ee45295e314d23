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
use super::ctx::{op_timeout, Ctx};
use super::legacy::{self, Answer, Flight, Probe};
use super::wire::io_reason;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::OnceCell;

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
