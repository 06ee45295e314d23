//! Loopback servers for the network checks, shared by `network.rs` and the rule walker
//! (`rules.rs`): a test PKI (rcgen: a root the agent trusts and a rogue one), rustls TLS and
//! HTTPS servers, SMTP servers with and without STARTTLS, an in-process authoritative DNS
//! server (hickory-server) with signed and broken zones, and OpenSSL `s_server` for what
//! rustls refuses to serve (TLS 1.0, NULL/anonymous suites, RSA-1024 and SHA-1 certificates).
//!
//! Every server binds 127.0.0.1 only. The async ones are spawned on the caller's tokio
//! runtime and live as long as it does; `s_server` lives as long as its [`Child`].

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

pub type Issuer = rcgen::CertifiedIssuer<'static, rcgen::KeyPair>;

/// Test PKI: a root CA that the agent trusts, another that it does not.
pub struct Pki {
    pub ca: Issuer,
    pub rogue: Issuer,
}

pub struct Leaf {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    /// Leaf then issuer, PEM.
    pub pem: String,
}

/// Key of a leaf made by rcgen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LeafKey {
    #[default]
    EcP256,
    EcP384,
    Ed25519,
    Rsa2048,
}

fn ca(name: &str) -> Issuer {
    let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    p.distinguished_name
        .push(rcgen::DnType::CommonName, name.to_string());
    p.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    rcgen::CertifiedIssuer::self_signed(p, rcgen::KeyPair::generate().unwrap()).unwrap()
}

impl Pki {
    pub fn new() -> Pki {
        Pki {
            ca: ca("Hardline Test Root"),
            rogue: ca("Rogue Root"),
        }
    }

    /// A leaf for `names` (EC P-256), valid from `from_days` to `to_days` relative to now.
    pub fn leaf(&self, names: &[&str], from_days: i64, to_days: i64, rogue: bool) -> Leaf {
        let d = time::Duration::days;
        self.leaf_with(names, d(from_days), d(to_days), rogue, LeafKey::EcP256)
    }

    /// [`Pki::leaf`] with the key kind chosen and the validity as offsets from now.
    pub fn leaf_with(
        &self,
        names: &[&str],
        from: time::Duration,
        to: time::Duration,
        rogue: bool,
        key: LeafKey,
    ) -> Leaf {
        let issuer = if rogue { &self.rogue } else { &self.ca };
        let mut p =
            rcgen::CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap();
        p.distinguished_name
            .push(rcgen::DnType::CommonName, names[0].to_string());
        let now = time::OffsetDateTime::now_utc();
        p.not_before = now + from;
        p.not_after = now + to;
        let key = match key {
            LeafKey::EcP256 => rcgen::KeyPair::generate().unwrap(),
            LeafKey::EcP384 => {
                rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap()
            }
            LeafKey::Ed25519 => rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap(),
            LeafKey::Rsa2048 => {
                rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
                    .unwrap()
            }
        };
        let cert = p.signed_by(&key, issuer).unwrap();
        Leaf {
            pem: format!("{}{}", cert.pem(), issuer.pem()),
            chain: vec![cert.der().clone(), issuer.der().clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        }
    }
}

/// A rustls server (TLS 1.2 and 1.3); with `http`, it answers one HTTP/1.1 request with
/// these extra header lines (each ending in CRLF). Without, it reads the request and closes.
pub async fn tls_server(leaf: &Leaf, http: Option<String>) -> u16 {
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(leaf.chain.clone(), leaf.key.clone_key())
        .unwrap();
    if http.is_some() {
        cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    }
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let http: Option<Arc<str>> = http.map(Arc::from);
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            let http = http.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(sock).await else {
                    return;
                };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                loop {
                    match tokio::time::timeout(Duration::from_secs(10), tls.read(&mut chunk)).await
                    {
                        Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
                        _ => return,
                    }
                    if buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
                if let Some(headers) = http {
                    let resp = format!(
                        "HTTP/1.1 200 OK\r\n{headers}Content-Length: 2\r\nConnection: close\r\n\r\nok"
                    );
                    let _ = tls.write_all(resp.as_bytes()).await;
                    let _ = tls.shutdown().await;
                }
            });
        }
    });
    port
}

/// An SMTP server on loopback, with or without STARTTLS.
pub async fn smtp_server(leaf: &Leaf, starttls: bool) -> u16 {
    let cfg = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(leaf.chain.clone(), leaf.key.clone_key())
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _ = sock.write_all(b"220 mx.test ESMTP test\r\n").await;
                let mut buf = Vec::new();
                let mut chunk = [0u8; 512];
                loop {
                    let n =
                        match tokio::time::timeout(Duration::from_secs(10), sock.read(&mut chunk))
                            .await
                        {
                            Ok(Ok(n)) if n > 0 => n,
                            _ => return,
                        };
                    buf.extend_from_slice(&chunk[..n]);
                    while let Some(i) = buf.iter().position(|b| *b == b'\n') {
                        let line: Vec<u8> = buf.drain(..=i).collect();
                        let cmd = String::from_utf8_lossy(&line).trim().to_ascii_uppercase();
                        if cmd.starts_with("EHLO") {
                            let ext = if starttls { "250-STARTTLS\r\n" } else { "" };
                            let r =
                                format!("250-mx.test\r\n250-PIPELINING\r\n{ext}250 8BITMIME\r\n");
                            let _ = sock.write_all(r.as_bytes()).await;
                        } else if cmd == "STARTTLS" && starttls {
                            let _ = sock.write_all(b"220 2.0.0 Ready to start TLS\r\n").await;
                            if let Ok(mut tls) = acceptor.accept(sock).await {
                                let _ = tls.read(&mut chunk).await;
                            }
                            return;
                        } else if cmd == "QUIT" {
                            let _ = sock.write_all(b"221 bye\r\n").await;
                            return;
                        } else {
                            let _ = sock.write_all(b"502 5.5.1 unrecognized\r\n").await;
                        }
                    }
                }
            });
        }
    });
    port
}

/// The in-process authoritative DNS server (hickory-server); its API churns, so it stays here.
pub mod dns {
    use hickory_server::dnssec::NxProofKind;
    use hickory_server::proto::dnssec::crypto::EcdsaSigningKey;
    use hickory_server::proto::dnssec::rdata::DNSKEY;
    use hickory_server::proto::dnssec::{Algorithm, DnssecSigner, SigningKey};
    use hickory_server::proto::rr::rdata::{CAA, MX, NS, SOA, TXT};
    use hickory_server::proto::rr::{LowerName, Name, RData, Record, RecordType, RrKey};
    use hickory_server::store::in_memory::InMemoryZoneHandler;
    use hickory_server::zone_handler::{AxfrPolicy, Catalog, ZoneHandler, ZoneType};
    use hickory_server::Server;
    use std::net::{Ipv4Addr, Ipv6Addr};
    use std::sync::Arc;
    use std::time::Duration;

    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum Sign {
        #[default]
        No,
        Yes,
        /// Signed, then the SOA is changed under its signature.
        Broken,
    }

    pub struct Zone {
        /// Origin, with the trailing dot.
        pub origin: String,
        /// Owner relative to the origin (`""`: the apex) and data.
        pub records: Vec<(String, RData)>,
        pub sign: Sign,
    }

    impl Zone {
        pub fn new(origin: &str, sign: Sign, records: Vec<(&str, RData)>) -> Zone {
            Zone {
                origin: origin.to_string(),
                records: records
                    .into_iter()
                    .map(|(n, d)| (n.to_string(), d))
                    .collect(),
                sign,
            }
        }
    }

    pub fn txt(s: &str) -> RData {
        RData::TXT(TXT::new(vec![s.to_string()]))
    }
    pub fn mx(pref: u16, host: &str) -> RData {
        RData::MX(MX::new(pref, Name::from_ascii(host).unwrap()))
    }
    pub fn a(ip: [u8; 4]) -> RData {
        RData::A(Ipv4Addr::from(ip).into())
    }
    pub fn caa_issue(ca: &str) -> RData {
        RData::CAA(CAA::new_issue(
            false,
            Some(Name::from_ascii(ca).unwrap()),
            vec![],
        ))
    }
    /// A CAA record that only names an incident contact (does not restrict issuance).
    pub fn caa_iodef(url: &str) -> RData {
        RData::CAA(CAA::new_iodef(false, url.parse().unwrap()))
    }

    /// One record written `OWNER TYPE DATA` in zone-file spirit: OWNER is `@` for the apex
    /// or a name relative to the origin; TYPE is `TXT` (DATA: the text, unquoted), `MX`
    /// (`PREF HOST`, HOST absolute with its dot or relative to the origin), `A`, `AAAA`,
    /// `CAA` (`issue CA`, `issuewild CA` or `iodef URL`).
    pub fn parse_record(origin: &str, line: &str) -> Result<(String, RData), String> {
        let mut it = line.trim().splitn(3, char::is_whitespace);
        let (Some(owner), Some(rtype), Some(data)) = (it.next(), it.next(), it.next()) else {
            return Err(format!("record {line:?}: expected OWNER TYPE DATA"));
        };
        let owner = if owner == "@" { "" } else { owner }.to_string();
        let data = data.trim();
        let bad = |why: &str| format!("record {line:?}: {why}");
        let abs = |h: &str| {
            if h.ends_with('.') {
                h.to_string()
            } else {
                format!("{h}.{origin}")
            }
        };
        let rdata = match rtype.to_ascii_uppercase().as_str() {
            "TXT" => txt(data),
            "MX" => {
                let (pref, host) = data.split_once(' ').ok_or_else(|| bad("MX PREF HOST"))?;
                let pref: u16 = pref.parse().map_err(|_| bad("MX preference"))?;
                let host = host.trim();
                if host == "." {
                    RData::MX(MX::new(pref, Name::root()))
                } else {
                    mx(pref, &abs(host))
                }
            }
            "A" => RData::A(
                data.parse::<Ipv4Addr>()
                    .map_err(|_| bad("A address"))?
                    .into(),
            ),
            "AAAA" => RData::AAAA(
                data.parse::<Ipv6Addr>()
                    .map_err(|_| bad("AAAA address"))?
                    .into(),
            ),
            "CAA" => match data.split_once(' ') {
                Some(("issue", ca)) => caa_issue(ca.trim()),
                Some(("issuewild", ca)) => RData::CAA(CAA::new_issuewild(
                    false,
                    Some(Name::from_ascii(ca.trim()).map_err(|_| bad("CAA name"))?),
                    vec![],
                )),
                Some(("iodef", url)) => RData::CAA(CAA::new_iodef(
                    false,
                    url.trim().parse().map_err(|_| bad("CAA iodef URL"))?,
                )),
                _ => return Err(bad("CAA issue|issuewild|iodef VALUE")),
            },
            t => return Err(bad(&format!("type {t} (TXT, MX, A, AAAA, CAA)"))),
        };
        Ok((owner, rdata))
    }

    /// Start the server; returns its port and the trust anchor text (DNSKEY lines of the
    /// signed zones).
    pub async fn serve(zones: Vec<Zone>) -> (u16, String) {
        let mut catalog = Catalog::new();
        let mut anchors = String::new();
        for z in zones {
            let origin = Name::from_ascii(&z.origin).unwrap();
            let mut h: InMemoryZoneHandler = InMemoryZoneHandler::empty(
                origin.clone(),
                ZoneType::Primary,
                AxfrPolicy::Deny,
                Some(NxProofKind::Nsec),
            );
            let soa = SOA::new(
                Name::from_ascii(format!("ns.{}", z.origin)).unwrap(),
                Name::from_ascii(format!("hostmaster.{}", z.origin)).unwrap(),
                1,
                3600,
                600,
                86400,
                60,
            );
            h.upsert_mut(
                Record::from_rdata(origin.clone(), 60, RData::SOA(soa.clone())),
                1,
            );
            h.upsert_mut(
                Record::from_rdata(
                    origin.clone(),
                    60,
                    RData::NS(NS(Name::from_ascii(format!("ns.{}", z.origin)).unwrap())),
                ),
                1,
            );
            for (name, data) in z.records {
                let n = if name.is_empty() {
                    origin.clone()
                } else {
                    Name::from_ascii(format!("{name}.{}", z.origin)).unwrap()
                };
                h.upsert_mut(Record::from_rdata(n, 60, data), 1);
            }
            if !matches!(z.sign, Sign::No) {
                let pkcs8 = EcdsaSigningKey::generate_pkcs8(Algorithm::ECDSAP256SHA256).unwrap();
                let key = EcdsaSigningKey::from_pkcs8(&pkcs8, Algorithm::ECDSAP256SHA256).unwrap();
                let public = key.to_public_key().unwrap();
                let dnskey = DNSKEY::from_key(&public);
                anchors.push_str(&format!("{} 3600 IN DNSKEY {}\n", z.origin, dnskey));
                let signer = DnssecSigner::new(
                    dnskey,
                    Box::new(key),
                    origin.clone(),
                    Duration::from_secs(86400 * 7),
                );
                h.add_zone_signing_key_mut(signer).unwrap();
                h.secure_zone_mut().unwrap();
                if matches!(z.sign, Sign::Broken) {
                    let key = RrKey::new(LowerName::new(&origin), RecordType::SOA);
                    let map = h.records_get_mut();
                    let set = map.get_mut(&key).unwrap();
                    let set = Arc::make_mut(set);
                    let rrsigs = set.rrsigs().to_vec();
                    let recs: Vec<Record> = set
                        .records_without_rrsigs()
                        .map(|r| {
                            let mut r = r.clone();
                            if let RData::SOA(s) = &mut r.data {
                                s.refresh += 1;
                            }
                            r
                        })
                        .collect();
                    set.set_records(recs);
                    set.set_rrsigs(rrsigs);
                }
            }
            let handler: Arc<dyn ZoneHandler> = Arc::new(h);
            catalog.upsert(LowerName::new(&origin), vec![handler]);
        }
        let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let port = udp.local_addr().unwrap().port();
        let tcp = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        let mut server = Server::new(catalog);
        server.register_socket(udp);
        server.register_listener(tcp, Duration::from_secs(5), 65535);
        tokio::spawn(async move {
            let _ = server.block_until_done().await;
        });
        (port, anchors)
    }
}

/// A loopback port nothing listens on (bound, then released): connecting is refused.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process killed and reaped on drop.
pub struct Child(pub std::process::Child);
impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `openssl s_server -www` on a free loopback port with `dir/cert.pem` and `dir/key.pem`;
/// returns once it accepts connections.
pub fn s_server(dir: &Path, extra: &[&str]) -> (Child, u16) {
    let port = free_port();
    let child = std::process::Command::new("openssl")
        .args(["s_server", "-quiet", "-www", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(dir.join("cert.pem"))
        .arg("-key")
        .arg(dir.join("key.pem"))
        .args(extra)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let child = Child(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "s_server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    (child, port)
}

/// Run `openssl ARGS`, which must succeed.
pub fn openssl(args: &[&str]) {
    let out = std::process::Command::new("openssl")
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// With openssl, a leaf in `dir/cert.pem` (leaf, then issuer; `dir/issuer.pem` alone, for
/// `s_server -cert_chain`) and its key in `dir/key.pem`: `key` is an `openssl req -newkey`
/// argument (`rsa:1024`, `rsa:2048`), the leaf is signed by `issuer` with `digest` (`sha1`,
/// `sha256`) and valid for `days` days from now. This is what rcgen cannot make: RSA-1024
/// keys and SHA-1 signatures.
pub fn openssl_leaf(
    dir: &Path,
    names: &[&str],
    key: &str,
    digest: &str,
    days: u32,
    issuer: &Issuer,
) {
    let p = |n: &str| dir.join(n).display().to_string();
    std::fs::write(dir.join("issuer.pem"), issuer.pem()).unwrap();
    std::fs::write(dir.join("issuer.key"), issuer.key().serialize_pem()).unwrap();
    let sans: Vec<String> = names.iter().map(|n| format!("DNS:{n}")).collect();
    std::fs::write(
        dir.join("ext.cnf"),
        format!(
            "basicConstraints=CA:FALSE\nsubjectAltName={}\n",
            sans.join(",")
        ),
    )
    .unwrap();
    openssl(&[
        "req",
        "-newkey",
        key,
        "-nodes",
        "-keyout",
        &p("key.pem"),
        "-out",
        &p("leaf.csr"),
        "-subj",
        &format!("/CN={}", names[0]),
    ]);
    openssl(&[
        "x509",
        "-req",
        "-in",
        &p("leaf.csr"),
        "-CA",
        &p("issuer.pem"),
        "-CAkey",
        &p("issuer.key"),
        "-CAcreateserial",
        "-days",
        &days.to_string(),
        &format!("-{digest}"),
        "-extfile",
        &p("ext.cnf"),
        "-out",
        &p("leaf.pem"),
    ]);
    let chain = format!(
        "{}{}",
        std::fs::read_to_string(dir.join("leaf.pem")).unwrap(),
        issuer.pem()
    );
    std::fs::write(dir.join("cert.pem"), chain).unwrap();
}
