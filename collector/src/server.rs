//! Listeners, TLS, signals.
//!
//! TLS is rustls with the aws-lc-rs provider passed explicitly (`builder_with_provider`),
//! TLS 1.2 and 1.3 only, ALPN h2 and http/1.1. When `client_ca` is set the ingest listener
//! requires client certificates chaining to it (mTLS); the read listener never does.
//! Plain HTTP is used only when no certificate is configured, which the configuration
//! allows only for loopback addresses. Sessions resume with stateless tickets (see
//! [`tls_config`]).
//!
//! Startup prints one line per listener to standard output
//! (`hardline-collector: ingest listening on https://127.0.0.1:8443`), so that scripts and
//! tests can find ports chosen by the system (`:0`).

use crate::config::{Config, TlsFiles};
use crate::conn::{Activity, PerIp, Watched};
use crate::store::Job;
use crate::{App, Clock, StartError};
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

/// Build the rustls server configuration.
pub fn tls_config(files: &TlsFiles, client_auth: bool) -> Result<ServerConfig, StartError> {
    let tls_err = |what: &str, path: &std::path::Path, e: &dyn std::fmt::Display| {
        StartError::Tls(format!("{}: {what}: {e}", path.display()))
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| tls_err("cannot read tls_cert", &files.cert, &e))?
        .collect::<Result<_, _>>()
        .map_err(|e| tls_err("invalid tls_cert", &files.cert, &e))?;
    if certs.is_empty() {
        return Err(tls_err("no certificate in tls_cert", &files.cert, &"empty"));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|e| tls_err("cannot read tls_key", &files.key, &e))?;
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| StartError::Tls(format!("TLS versions: {e}")))?;
    let builder = match (&files.client_ca, client_auth) {
        (Some(ca), true) => {
            let mut roots = RootCertStore::empty();
            for c in CertificateDer::pem_file_iter(ca)
                .map_err(|e| tls_err("cannot read client_ca", ca, &e))?
            {
                let c = c.map_err(|e| tls_err("invalid client_ca", ca, &e))?;
                roots
                    .add(c)
                    .map_err(|e| tls_err("invalid client_ca", ca, &e))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| tls_err("client_ca", ca, &e))?;
            builder.with_client_cert_verifier(verifier)
        }
        _ => builder.with_no_client_auth(),
    };
    let mut cfg = builder
        .with_single_cert(certs, key)
        .map_err(|e| tls_err("tls_cert/tls_key", &files.cert, &e))?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    // Stateless TLS 1.3 session tickets (AES-256 + HMAC-SHA256, keys random at start and
    // rotated every 6 h, tickets valid 12 h), so that every agent of the fleet, not only
    // the last 256 to connect, resumes its hourly push without a certificate signature
    // and verification. Resumption is PSK with (EC)DHE: forward secrecy is kept; 0-RTT
    // stays off. One ticket per handshake: an agent uses one connection per push.
    cfg.ticketer = rustls::crypto::aws_lc_rs::Ticketer::new()
        .map_err(|e| StartError::Tls(format!("session tickets: {e}")))?;
    cfg.send_tls13_tickets = 1;
    Ok(cfg)
}

/// Limits applied to every connection of a listener.
#[derive(Clone)]
struct ConnLimits {
    slots: Arc<Semaphore>,
    per_ip: Arc<PerIp>,
    idle: Duration,
}

async fn accept_loop(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    router: Router,
    limits: ConnLimits,
) {
    loop {
        let Ok(permit) = limits.slots.clone().acquire_owned().await else {
            return;
        };
        let (stream, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(error) => {
                tracing::warn!(%error, "Accept failed.");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Over the per-address cap: closed at once (before any TLS work).
        let Some(ip_slot) = limits.per_ip.try_acquire(peer.ip()) else {
            tracing::debug!(peer = %peer.ip(), "Closed a connection over max_connections_per_ip.");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let tls = tls.clone();
        let idle = limits.idle;
        tokio::spawn(async move {
            let _permit = permit;
            let _ip_slot = ip_slot;
            let activity = Activity::new();
            match tls {
                Some(acceptor) => {
                    match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream))
                        .await
                    {
                        Ok(Ok(s)) => {
                            serve_one(Watched::new(s, activity.clone()), router, activity, idle)
                                .await
                        }
                        Ok(Err(error)) => {
                            tracing::debug!(%error, "TLS handshake failed.");
                        }
                        Err(_) => {}
                    }
                }
                None => {
                    serve_one(
                        Watched::new(stream, activity.clone()),
                        router,
                        activity,
                        idle,
                    )
                    .await
                }
            }
        });
    }
}

/// Serve one connection until it ends, or until it has been idle for `idle` (see
/// [`crate::conn`]); an idle HTTP/2 connection gets a GOAWAY first.
async fn serve_one<S>(io: Watched<S>, router: Router, activity: Arc<Activity>, idle: Duration)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let act = activity.clone();
    let svc = tower::service_fn(move |req: axum::extract::Request<hyper::body::Incoming>| {
        let guard = act.request();
        let router = router.clone();
        async move {
            let resp = tower::ServiceExt::oneshot(router, req).await?;
            // The request stays in progress until its response body has been sent.
            Ok::<_, std::convert::Infallible>(resp.map(|b| {
                axum::body::Body::new(http_body_util::BodyExt::map_frame(b, move |f| {
                    let _ = &guard;
                    f
                }))
            }))
        }
    });
    let svc = TowerToHyperService::new(svc);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(crate::conn::HEADER_READ_TIMEOUT);
    let conn = builder.serve_connection(TokioIo::new(io), svc);
    tokio::pin!(conn);
    let result = loop {
        let wait = activity.idle_deadline(idle).unwrap_or(idle);
        tokio::select! {
            r = conn.as_mut() => break r,
            _ = tokio::time::sleep(wait) => {
                if activity.idle_deadline(idle) == Some(Duration::ZERO) {
                    tracing::debug!("Closed an idle connection.");
                    conn.as_mut().graceful_shutdown();
                    // No request is in progress: a GOAWAY (HTTP/2) or a close, then drop.
                    let _ = tokio::time::timeout(Duration::from_secs(1), conn.as_mut()).await;
                    return;
                }
            }
        }
    };
    if let Err(error) = result {
        tracing::debug!(%error, "Connection ended with an error.");
    }
}

async fn bind(addr: std::net::SocketAddr) -> Result<TcpListener, StartError> {
    TcpListener::bind(addr)
        .await
        .map_err(|error| StartError::Bind { addr, error })
}

/// Run the collector until SIGTERM or SIGINT. SIGHUP reloads the waivers file, the
/// exposure file and the vulnerability feeds.
pub async fn serve(config: Config, clock: Clock) -> Result<(), StartError> {
    if clock.is_fixed() {
        tracing::warn!(
            now = clock.now(),
            "HARDLINE_NOW is set: the clock is frozen (test hook, never for production)."
        );
    }
    let (ingest_tls, read_tls) = match &config.tls {
        Some(files) => (
            Some(TlsAcceptor::from(Arc::new(tls_config(files, true)?))),
            Some(TlsAcceptor::from(Arc::new(tls_config(files, false)?))),
        ),
        None => (None, None),
    };
    let ingest_listener = bind(config.listen).await?;
    let read_listener = bind(config.read_listen).await?;
    let (app, writer) = App::open(config, clock)?;
    let read = crate::api::read_router(app.clone())
        .map_err(|e| StartError::Other(format!("metrics registry: {e}")))?
        .merge(crate::vulns_api::router(app.clone()));
    let ingest = crate::api::ingest_router(app.clone());
    {
        let mut out = std::io::stdout().lock();
        for (what, l, tls) in [
            ("ingest", &ingest_listener, ingest_tls.is_some()),
            ("read", &read_listener, read_tls.is_some()),
        ] {
            let addr = l
                .local_addr()
                .map_err(|e| StartError::Other(format!("local address: {e}")))?;
            let scheme = if tls { "https" } else { "http" };
            let _ = writeln!(
                out,
                "hardline-collector: {what} listening on {scheme}://{addr}"
            );
        }
        let _ = out.flush();
    }
    let l = &app.config.limits;
    let limits = || ConnLimits {
        slots: Arc::new(Semaphore::new(l.max_connections)),
        per_ip: PerIp::new(l.max_connections_per_ip),
        idle: Duration::from_secs(u64::try_from(l.idle_timeout).unwrap_or(5)),
    };
    let t1 = tokio::spawn(accept_loop(ingest_listener, ingest_tls, ingest, limits()));
    let t2 = tokio::spawn(accept_loop(read_listener, read_tls, read, limits()));
    // Bound, store open, accepting: tell systemd (Type=notify), when it asked.
    #[cfg(target_os = "linux")]
    crate::notify::ready();
    // The burn-down snapshot: at start, then every snapshot_interval.
    let snap_app = app.clone();
    let period = Duration::from_secs(app.config.snapshot_interval.max(1) as u64);
    let t3 = tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        loop {
            tick.tick().await;
            if snap_app.submit(Job::Snapshot(None)).await.is_err() {
                return;
            }
        }
    });

    wait_for_shutdown(&app).await;
    tracing::info!("Shutting down.");
    t1.abort();
    t2.abort();
    t3.abort();
    app.vulns_event(crate::vulns::Event::Shutdown);
    let _ = app.submit(Job::Shutdown).await;
    let _ = tokio::task::spawn_blocking(move || writer.join()).await;
    Ok(())
}

#[cfg(unix)]
async fn wait_for_shutdown(app: &Arc<App>) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
        signal(SignalKind::hangup()),
    ) else {
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    loop {
        tokio::select! {
            _ = term.recv() => return,
            _ = int.recv() => return,
            _ = hup.recv() => {
                reload_waivers(app);
                match app.reload_overrides() {
                    Ok(n) if app.config.exposure_file.is_some() => {
                        tracing::info!(overrides = n, "Reloaded the exposure file.")
                    }
                    Ok(_) => {}
                    Err(error) => tracing::error!(%error, "Kept the previous exposure overrides: the file is invalid."),
                }
                app.vulns_event(crate::vulns::Event::ReloadFeeds);
            }
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_shutdown(_app: &Arc<App>) {
    let _ = tokio::signal::ctrl_c().await;
}

fn reload_waivers(app: &App) {
    let Some(path) = &app.config.waivers_file else {
        return;
    };
    let names: Vec<String> = app
        .config
        .agencies
        .iter()
        .map(|a| a.name.get_ref().clone())
        .collect();
    match crate::waivers::Waivers::load(path, &names) {
        Ok(w) => {
            let n = w.list.len();
            let now = app.clock.now();
            app.lock_aggs().set_waivers(w, now);
            tracing::info!(waivers = n, "Reloaded the waivers file.");
        }
        Err(error) => tracing::error!(%error, "Kept the previous waivers: the file is invalid."),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use rustls::{ClientConfig, ClientConnection, HandshakeKind, ServerConnection};

    /// Move every pending TLS record from `from` to `to`, and let `to` process them.
    fn transfer(from: &mut rustls::Connection, to: &mut rustls::Connection) {
        let mut buf = Vec::new();
        while from.wants_write() {
            from.write_tls(&mut buf).unwrap();
        }
        let mut rd = &buf[..];
        while !rd.is_empty() {
            to.read_tls(&mut rd).unwrap();
        }
        to.process_new_packets().unwrap();
    }

    /// Run a handshake in memory, then let the client read the session ticket.
    fn handshake(client: Arc<ClientConfig>, server: Arc<ServerConfig>) -> HandshakeKind {
        let name = rustls::pki_types::ServerName::try_from("collector.test").unwrap();
        let mut c = rustls::Connection::Client(ClientConnection::new(client, name).unwrap());
        let mut s = rustls::Connection::Server(ServerConnection::new(server).unwrap());
        for _ in 0..20 {
            transfer(&mut c, &mut s);
            transfer(&mut s, &mut c);
            if !c.is_handshaking() && !s.is_handshaking() && !s.wants_write() {
                break;
            }
        }
        assert!(!c.is_handshaking() && !s.is_handshaking());
        // Agent and collector agree on the post-quantum hybrid key exchange.
        let group = c.negotiated_key_exchange_group().map(|g| g.name());
        assert_eq!(group, Some(rustls::NamedGroup::X25519MLKEM768));
        c.handshake_kind().unwrap()
    }

    #[test]
    fn agents_resume_with_stateless_tickets_over_post_quantum_key_exchange() {
        let dir = tempfile::tempdir().unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["collector.test".to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let files = TlsFiles {
            cert: dir.path().join("tls.crt"),
            key: dir.path().join("tls.key"),
            client_ca: None,
        };
        std::fs::write(&files.cert, cert.pem()).unwrap();
        std::fs::write(&files.key, key.serialize_pem()).unwrap();
        let server = Arc::new(tls_config(&files, true).unwrap());
        // 300 agents with the agent's own TLS configuration (rustls' stateful server cache
        // holds 256 sessions): each connects twice; every second connection resumes,
        // whoever connected in between.
        let agents: Vec<Arc<ClientConfig>> = (0..300)
            .map(|_| {
                Arc::new(hardline_agent::push::client::tls_config(Some(&files.cert), None).unwrap())
            })
            .collect();
        for a in &agents {
            assert_eq!(handshake(a.clone(), server.clone()), HandshakeKind::Full);
        }
        for a in &agents {
            assert_eq!(handshake(a.clone(), server.clone()), HandshakeKind::Resumed);
        }
    }
}
