//! The collector client: one `POST /api/v1/reports` per report over HTTP/1.1.
//!
//! TLS is rustls with the aws-lc-rs provider passed explicitly, TLS 1.2 and 1.3 only. Trust
//! comes from `ca_bundle` (else the system store), and a client certificate is presented
//! when `client_cert`/`client_key` are set (mTLS). Plain `http://` is accepted only for a
//! loopback collector (a sidecar, a test): the token would otherwise cross the network in
//! clear. The token is read from its file at every attempt (so a rotated token is picked
//! up), trimmed, refused when empty, and never logged.

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::{header, Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;

/// The ingest path, appended to the collector URL.
pub const INGEST_PATH: &str = "/api/v1/reports";

/// Most bytes of a collector answer read (error bodies are small JSON).
const MAX_ANSWER: usize = 64 * 1024;

/// Where reports go, parsed from the `collector` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `https` (true) or loopback `http`.
    pub https: bool,
    /// Host name or IP address (no brackets).
    pub host: String,
    /// TCP port (443/80 by default).
    pub port: u16,
    /// Request path: the URL's path without a trailing slash, then [`INGEST_PATH`].
    pub path: String,
}

impl Endpoint {
    /// Parse `https://HOST[:PORT][/PREFIX]`; `http://` only for a loopback host.
    pub fn parse(url: &str) -> Result<Endpoint, String> {
        let uri: Uri = url
            .parse()
            .map_err(|e| format!("collector URL {url:?}: {e}"))?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => {
                return Err(format!(
                    "collector URL {url:?}: expected https://HOST[:PORT]"
                ))
            }
        };
        let host = uri
            .host()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| format!("collector URL {url:?}: no host"))?;
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host)
            .to_string();
        if uri.query().is_some() {
            return Err(format!("collector URL {url:?}: no query string allowed"));
        }
        if !https && !is_loopback_name(&host) {
            return Err(format!(
                "collector URL {url:?}: plain http:// is allowed only to a loopback address \
                 (127.0.0.1, ::1, localhost); use https://"
            ));
        }
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let prefix = uri.path().trim_end_matches('/');
        Ok(Endpoint {
            https,
            host,
            port,
            path: format!("{prefix}{INGEST_PATH}"),
        })
    }

    /// `Host` header value.
    fn authority(&self) -> String {
        let default = if self.https { 443 } else { 80 };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == default {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

fn is_loopback_name(host: &str) -> bool {
    match host.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

/// Client settings.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// The collector.
    pub endpoint: Endpoint,
    /// The bearer token file.
    pub token_file: PathBuf,
    /// Trust store (PEM); `None`: the system store.
    pub ca_bundle: Option<PathBuf>,
    /// mTLS identity: certificate chain and key (PEM).
    pub client_identity: Option<(PathBuf, PathBuf)>,
    /// Limit of the TCP connect and the TLS handshake.
    pub connect_timeout: Duration,
    /// Limit of one whole delivery.
    pub request_timeout: Duration,
}

/// How a delivery attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// 2xx: stored durably by the collector (`duplicate`: it already had it).
    Stored {
        /// The status code.
        status: u16,
        /// 200 for a replay of a stored `report_id`.
        duplicate: bool,
        /// The collector lacks the package list whose digest the report carried without
        /// it (`"inventory_wanted": true`): the next report must carry it whole.
        inventory_wanted: bool,
    },
    /// 400, 403, 413 (and other 4xx but 401/408/429): the collector will never take it.
    Refused {
        /// The status code.
        status: u16,
        /// The collector's `reason: error` (or the start of its answer).
        reason: String,
    },
    /// 401, 408, 429, 5xx, network or token trouble: keep it, try again later.
    Retry {
        /// What happened (never the token).
        why: String,
        /// The collector's `Retry-After`, when it sent one.
        retry_after: Option<Duration>,
    },
}

/// A client for one collector.
pub struct Client {
    settings: ClientSettings,
    tls: Option<tokio_rustls::TlsConnector>,
}

/// Read and check the token file: trimmed, non-empty, one line.
pub fn read_token(path: &Path) -> Result<String, String> {
    let raw =
        std::fs::read_to_string(path).map_err(|e| format!("token_file {}: {e}", path.display()))?;
    let token = raw.trim();
    if token.is_empty() {
        return Err(format!("token_file {}: empty", path.display()));
    }
    if token.chars().any(|c| c.is_control() || c == ' ') {
        return Err(format!(
            "token_file {}: the token must be one word on one line",
            path.display()
        ));
    }
    Ok(token.to_string())
}

/// The rustls client configuration: aws-lc-rs, TLS 1.2+, the trust store, an optional
/// client identity. Key exchange prefers the post-quantum hybrid X25519MLKEM768 (rustls'
/// own default, lost with `default-features = false`): a report maps a host's weaknesses,
/// and a recording of today's push must not be readable by tomorrow's quantum computer.
/// The TLS checks of scanned servers keep the classical order (`net::tls`).
pub fn tls_config(
    ca_bundle: Option<&Path>,
    identity: Option<(&Path, &Path)>,
) -> Result<ClientConfig, String> {
    let mut provider = rustls::crypto::aws_lc_rs::default_provider();
    provider.kx_groups.sort_by_key(|g| {
        g.name() != rustls::NamedGroup::X25519MLKEM768 // false (the hybrid) sorts first
    });
    let provider = Arc::new(provider);
    let store = match ca_bundle {
        Some(p) => p.to_path_buf(),
        None => crate::net::trust::SYSTEM_STORES
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
            .ok_or_else(|| {
                format!(
                    "no trust store for the collector: none of {} exists; set ca_bundle",
                    crate::net::trust::SYSTEM_STORES.join(", ")
                )
            })?,
    };
    let pem = std::fs::read(&store).map_err(|e| format!("ca_bundle {}: {e}", store.display()))?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("ca_bundle {}: {e}", store.display()))?;
    let mut roots = RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(certs);
    if added == 0 {
        return Err(format!(
            "ca_bundle {}: no usable CA certificate",
            store.display()
        ));
    }
    let builder = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| format!("TLS setup: {e}"))?
        .with_root_certificates(roots);
    let mut config = match identity {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => {
            let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
                .and_then(|i| i.collect::<Result<_, _>>())
                .map_err(|e| format!("client_cert {}: {e}", cert.display()))?;
            if chain.is_empty() {
                return Err(format!("client_cert {}: no certificate", cert.display()));
            }
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| format!("client_key {}: {e}", key.display()))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| format!("client_cert/client_key: {e}"))?
        }
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

impl Client {
    /// Build the client: loads the trust store and the client identity now, so that a
    /// misconfiguration is reported at start.
    pub fn new(settings: ClientSettings) -> Result<Client, String> {
        let tls = if settings.endpoint.https {
            let identity = settings
                .client_identity
                .as_ref()
                .map(|(c, k)| (c.as_path(), k.as_path()));
            let cfg = tls_config(settings.ca_bundle.as_deref(), identity)?;
            Some(tokio_rustls::TlsConnector::from(Arc::new(cfg)))
        } else {
            None
        };
        Ok(Client { settings, tls })
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &Endpoint {
        &self.settings.endpoint
    }

    /// Deliver one report (its JSON bytes). Never fails: every outcome is a [`Delivery`].
    pub async fn push(&self, body: Bytes) -> Delivery {
        let token = match read_token(&self.settings.token_file) {
            Ok(t) => t,
            Err(why) => {
                return Delivery::Retry {
                    why,
                    retry_after: None,
                }
            }
        };
        match tokio::time::timeout(self.settings.request_timeout, self.exchange(body, &token)).await
        {
            Ok(Ok(d)) => d,
            Ok(Err(why)) => Delivery::Retry {
                why,
                retry_after: None,
            },
            Err(_) => Delivery::Retry {
                why: format!(
                    "no answer within {}s",
                    self.settings.request_timeout.as_secs_f64()
                ),
                retry_after: None,
            },
        }
    }

    async fn connect(&self) -> Result<TcpStream, String> {
        let ep = &self.settings.endpoint;
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((ep.host.as_str(), ep.port))
            .await
            .map_err(|e| format!("cannot resolve {}: {e}", ep.host))?
            .collect();
        if !ep.https {
            if let Some(a) = addrs.iter().find(|a| !a.ip().is_loopback()) {
                return Err(format!(
                    "{} resolves to {a}, not a loopback address: refusing plain http",
                    ep.host
                ));
            }
        }
        let mut last = format!("{} resolves to no address", ep.host);
        for a in addrs {
            match TcpStream::connect(a).await {
                Ok(s) => {
                    let _ = s.set_nodelay(true);
                    return Ok(s);
                }
                Err(e) => last = format!("cannot connect to {a}: {e}"),
            }
        }
        Err(last)
    }

    async fn exchange(&self, body: Bytes, token: &str) -> Result<Delivery, String> {
        let ep = &self.settings.endpoint;
        let limit = self.settings.connect_timeout;
        let tcp = tokio::time::timeout(limit, self.connect())
            .await
            .map_err(|_| format!("connect to {}:{} timed out", ep.host, ep.port))??;
        let len = body.len();
        let sent_id = report_id_of(&body);
        let mut req = Request::post(ep.path.as_str())
            .header(header::HOST, ep.authority())
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_LENGTH, len)
            .header(
                header::USER_AGENT,
                concat!("hardline-agent/", env!("CARGO_PKG_VERSION")),
            )
            .body(Full::new(body))
            .map_err(|e| format!("cannot build the request: {e}"))?;
        let auth = header::HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| "token_file: the token is not a valid header value".to_string())?;
        let mut auth = auth;
        auth.set_sensitive(true);
        req.headers_mut().insert(header::AUTHORIZATION, auth);
        let resp = match &self.tls {
            Some(tls) => {
                let name = ServerName::try_from(ep.host.clone())
                    .map_err(|e| format!("collector host {:?}: {e}", ep.host))?;
                let stream = tokio::time::timeout(limit, tls.connect(name, tcp))
                    .await
                    .map_err(|_| format!("TLS handshake with {} timed out", ep.host))?
                    .map_err(|e| format!("TLS handshake with {}: {e}", ep.host))?;
                send(TokioIo::new(stream), req).await?
            }
            None => send(TokioIo::new(tcp), req).await?,
        };
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let answer = Limited::new(resp.into_body(), MAX_ANSWER)
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        Ok(classify(status, &answer, retry_after, sent_id.as_deref()))
    }
}

async fn send<IO>(
    io: TokioIo<IO>,
    req: Request<Full<Bytes>>,
) -> Result<hyper::Response<hyper::body::Incoming>, String>
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| format!("HTTP handshake: {e}"))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    sender
        .send_request(req)
        .await
        .map_err(|e| format!("request failed: {e}"))
}

/// `reason: error` from a JSON error body, else the start of the body.
fn describe(answer: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(answer) {
        let reason = v.get("reason").and_then(|r| r.as_str()).unwrap_or("");
        let error = v.get("error").and_then(|r| r.as_str()).unwrap_or("");
        if !reason.is_empty() || !error.is_empty() {
            return format!("{reason}: {error}");
        }
    }
    let text = String::from_utf8_lossy(answer);
    let text: String = text
        .chars()
        .take(200)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    text.trim().to_string()
}

/// The `report_id` of a report's JSON bytes (without building the whole document).
fn report_id_of(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Id {
        report_id: String,
    }
    serde_json::from_slice::<Id>(body).ok().map(|i| i.report_id)
}

/// Sort an answer into stored / refused for good / try again. A 2xx counts as stored only
/// when the answer names the report sent (`sent_id`): a proxy, a captive portal or another
/// server answering 200 must not make the agent drop a report no collector has.
pub fn classify(
    status: StatusCode,
    answer: &[u8],
    retry_after: Option<Duration>,
    sent_id: Option<&str>,
) -> Delivery {
    let code = status.as_u16();
    if status.is_success() {
        let v = serde_json::from_slice::<serde_json::Value>(answer).ok();
        let got = v
            .as_ref()
            .and_then(|v| v.get("report_id").and_then(|r| r.as_str()));
        if let Some(sent) = sent_id {
            if got != Some(sent) {
                let what = match got {
                    Some(other) => format!("for report_id {:?}", describe(other.as_bytes())),
                    None => format!("without a report_id ({})", describe(answer)),
                };
                return Delivery::Retry {
                    why: format!(
                        "collector answered {code} {what}, not for {sent}: not counted as delivered (is the collector URL a hardline collector?)"
                    ),
                    retry_after,
                };
            }
        }
        let duplicate = v
            .as_ref()
            .and_then(|v| v.get("duplicate").and_then(|d| d.as_bool()))
            .unwrap_or(code == 200);
        let inventory_wanted = v
            .as_ref()
            .and_then(|v| v.get("inventory_wanted").and_then(|d| d.as_bool()))
            .unwrap_or(false);
        return Delivery::Stored {
            status: code,
            duplicate,
            inventory_wanted,
        };
    }
    let reason = describe(answer);
    match code {
        401 | 408 | 429 => Delivery::Retry {
            why: format!("collector answered {code} ({reason})"),
            retry_after,
        },
        400..=499 => Delivery::Refused {
            status: code,
            reason,
        },
        _ => Delivery::Retry {
            why: format!("collector answered {code} ({reason})"),
            retry_after,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        let e = Endpoint::parse("https://collector.example.gov:8443").unwrap();
        assert_eq!(
            (e.https, e.host.as_str(), e.port, e.path.as_str()),
            (true, "collector.example.gov", 8443, "/api/v1/reports")
        );
        assert_eq!(e.authority(), "collector.example.gov:8443");
        let e = Endpoint::parse("https://c.example.gov/hardline/").unwrap();
        assert_eq!((e.port, e.path.as_str()), (443, "/hardline/api/v1/reports"));
        assert_eq!(e.authority(), "c.example.gov");
        let e = Endpoint::parse("http://[::1]:9000").unwrap();
        assert_eq!((e.host.as_str(), e.port), ("::1", 9000));
        assert_eq!(e.authority(), "[::1]:9000");
        assert!(Endpoint::parse("http://127.0.0.1:8080").is_ok());
        assert!(Endpoint::parse("http://localhost:8080").is_ok());
        for bad in [
            "http://10.0.0.1:8080",
            "http://collector.example.gov",
            "http://[2001:db8::1]:80",
        ] {
            let e = Endpoint::parse(bad).unwrap_err();
            assert!(e.contains("loopback"), "{bad}: {e}");
        }
        assert!(Endpoint::parse("ftp://x").unwrap_err().contains("https://"));
        assert!(Endpoint::parse("collector:8443").is_err());
        assert!(Endpoint::parse("https://c/?a=b").is_err());
    }

    #[test]
    fn tokens() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t");
        assert!(read_token(&p).unwrap_err().contains("token_file"));
        std::fs::write(&p, "  \n").unwrap();
        assert!(read_token(&p).unwrap_err().contains("empty"));
        std::fs::write(&p, "secret-token\n").unwrap();
        assert_eq!(read_token(&p).unwrap(), "secret-token");
        std::fs::write(&p, "two words\n").unwrap();
        let e = read_token(&p).unwrap_err();
        assert!(!e.contains("two"), "the token leaks into the error: {e}");
    }

    #[test]
    fn answers() {
        let s = |c: u16| StatusCode::from_u16(c).unwrap();
        assert_eq!(
            report_id_of(br#"{"schema_version":1,"report_id":"r-1","results":[]}"#).as_deref(),
            Some("r-1")
        );
        let id = Some("r-1");
        assert_eq!(
            classify(
                s(201),
                br#"{"report_id":"r-1","duplicate":false}"#,
                None,
                id
            ),
            Delivery::Stored {
                status: 201,
                duplicate: false,
                inventory_wanted: false
            }
        );
        assert_eq!(
            classify(
                s(201),
                br#"{"report_id":"r-1","duplicate":false,"inventory_wanted":true}"#,
                None,
                id
            ),
            Delivery::Stored {
                status: 201,
                duplicate: false,
                inventory_wanted: true
            }
        );
        assert_eq!(
            classify(s(200), br#"{"report_id":"r-1","duplicate":true}"#, None, id),
            Delivery::Stored {
                status: 200,
                duplicate: true,
                inventory_wanted: false
            }
        );
        // A 2xx that is not the collector's answer for this report is not a delivery.
        for answer in [
            &br#"{"report_id":"r-2","duplicate":false}"#[..],
            br#"{"duplicate":false}"#,
            b"<html>welcome to the proxy</html>",
            b"",
        ] {
            match classify(s(200), answer, None, id) {
                Delivery::Retry { why, .. } => {
                    assert!(why.contains("not counted as delivered"), "{why}")
                }
                other => panic!("{answer:?}: {other:?}"),
            }
        }
        for c in [400, 403, 413] {
            match classify(s(c), br#"{"error":"no","reason":"host_owned"}"#, None, id) {
                Delivery::Refused { status, reason } => {
                    assert_eq!(status, c);
                    assert_eq!(reason, "host_owned: no");
                }
                other => panic!("{c}: {other:?}"),
            }
        }
        for c in [401, 429, 500, 503] {
            assert!(matches!(
                classify(s(c), b"<html>", Some(Duration::from_secs(3)), id),
                Delivery::Retry { retry_after: Some(d), .. } if d.as_secs() == 3
            ));
        }
    }
}
