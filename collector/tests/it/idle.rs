//! Issue 15, item 1: connections that do nothing must not block ingest. Real collector
//! processes, real sockets: thousands of idle TCP connections, idle HTTP/2 connections
//! (h2 over TLS, h2c prior knowledge), the per-address cap; a real agent must still
//! deliver its report.

use crate::util::*;
use hardline_agent::testutil::{host_fixture, sibling_bin};
use rustls::pki_types::pem::PemObject;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// The HTTP/2 client preface and an empty SETTINGS frame: a connection that opens no stream.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00";

/// Thousands of sockets need more than the usual soft limit of 1024 descriptors (the
/// collector raises its own limit at start).
fn raise_nofile() {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut l = getrlimit(Resource::Nofile);
    l.current = l.maximum;
    setrlimit(Resource::Nofile, l).unwrap();
    let want = 2 * 4096 + 1000;
    assert!(
        getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX) >= want,
        "this test needs an open-file hard limit of at least {want} (ulimit -Hn)"
    );
}

fn addr_of(url: &str) -> SocketAddr {
    let hostport = url.split("://").nth(1).unwrap();
    hostport.trim_end_matches('/').parse().unwrap()
}

/// A TCP connection from source address `from` (any 127.0.0.0/8 address is local).
async fn connect_from(from: IpAddr, to: SocketAddr) -> Option<TcpStream> {
    let s = TcpSocket::new_v4().unwrap();
    s.bind(SocketAddr::new(from, 0)).unwrap();
    tokio::time::timeout(Duration::from_secs(10), s.connect(to))
        .await
        .ok()?
        .ok()
}

/// Read until the collector closes (EOF or reset); `false` if it is still open after `limit`.
async fn closed_within<S: tokio::io::AsyncRead + Unpin>(mut s: S, limit: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let read_all = async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    };
    tokio::time::timeout(limit, read_all).await.is_ok()
}

/// One `run --once` of the real agent with a 20 s push timeout; its stderr and status.
fn agent_run_once(env: &Env, collector: &str) -> (Option<i32>, String) {
    let dir = env.path().join("agent");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("token"), DOE_AGENT).unwrap();
    let cfg = dir.join("agent.toml");
    std::fs::write(
        &cfg,
        format!(
            "collector = {collector:?}\ntoken_file = {:?}\nca_bundle = {:?}\nspool_dir = {:?}\n\
             timeout = \"20s\"\npush_timeout = \"20s\"\nretry_min = \"50ms\"\nretry_max = \"300ms\"\n",
            dir.join("token").display().to_string(),
            env.path().join("ca.pem").display().to_string(),
            dir.join("spool").display().to_string(),
        ),
    )
    .unwrap();
    let o = std::process::Command::new(sibling_bin("hardline-agent"))
        .args(["run", "--once", "--config"])
        .arg(&cfg)
        .arg("--root")
        .arg(host_fixture("hardened"))
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_idle_tcp_and_h2_connections_do_not_block_a_real_agent() {
    raise_nofile();
    let env = Env::new(Setup {
        extra_limits: "idle_timeout = \"5s\"\nmax_connections_per_ip = 64",
        ..Setup::default()
    });
    let c = env.start();
    let to = addr_of(&c.ingest);

    // 50 TLS connections that negotiate h2, send the preface and SETTINGS, and stop: no
    // credential needed (no client_ca).
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(env.certs.ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let mut tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    tls.alpn_protocols = vec![b"h2".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(tls));
    let mut h2s = Vec::new();
    for i in 0..50u8 {
        let from = IpAddr::from([127, 0, 3, i + 1]);
        let Some(tcp) = connect_from(from, to).await else {
            continue;
        };
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        if let Ok(Ok(mut s)) =
            tokio::time::timeout(Duration::from_secs(10), connector.connect(name, tcp)).await
        {
            assert_eq!(s.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
            s.write_all(H2_PREFACE).await.unwrap();
            s.flush().await.unwrap();
            h2s.push(s);
        }
    }
    assert_eq!(h2s.len(), 50, "every h2 connection completed its handshake");

    // 4,200 TCP connections that never send a byte (more than max_connections = 4096),
    // from 70 addresses, 60 each (under the per-address cap of 64).
    let mut idle = Vec::new();
    for a in 0..70u8 {
        for _ in 0..60 {
            if let Some(s) = connect_from(IpAddr::from([127, 0, 1, a + 1]), to).await {
                idle.push(s);
            }
        }
    }
    assert!(idle.len() >= 4096, "only {} connections opened", idle.len());

    // A real agent still delivers, within its 20 s push timeout, while all of them are held.
    let (code, err) = agent_run_once(&env, &c.ingest);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("delivered 1 report(s)"), "{err}");

    // And the collector closed every idle connection itself (the test holds them all).
    let mut set = tokio::task::JoinSet::new();
    for s in h2s {
        set.spawn(closed_within(s, Duration::from_secs(60)));
    }
    for s in idle {
        set.spawn(closed_within(s, Duration::from_secs(60)));
    }
    let mut open = 0;
    while let Some(r) = set.join_next().await {
        if !r.unwrap() {
            open += 1;
        }
    }
    assert_eq!(open, 0, "connections the collector never closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_h2c_connections_are_closed_and_one_address_gets_at_most_its_cap() {
    raise_nofile();
    // A 50-slot collector (the case): 50 idle h2c connections from 50 addresses
    // fill it; a push must still get through.
    let env = Env::new(Setup {
        tls: false,
        extra_limits: "max_connections = 50\nmax_connections_per_ip = 64\nidle_timeout = \"5s\"",
        ..Setup::default()
    });
    let c = env.start();
    let to = addr_of(&c.ingest);
    let mut h2c = Vec::new();
    for i in 0..50u8 {
        let mut s = connect_from(IpAddr::from([127, 0, 4, i + 1]), to)
            .await
            .unwrap();
        s.write_all(H2_PREFACE).await.unwrap();
        h2c.push(s);
    }
    let r = report("h2c-host", START + 3600, &[]);
    let (status, body) = c.push_report(DOE_AGENT, &r).await;
    assert_eq!(status, 201, "{body}");
    for s in h2c {
        assert!(closed_within(s, Duration::from_secs(60)).await);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_holds_at_most_max_connections_per_ip() {
    raise_nofile();
    // A long idle timeout, so that only the per-address cap closes connections here.
    let env = Env::new(Setup {
        tls: false,
        extra_limits: "max_connections_per_ip = 8\nidle_timeout = \"1h\"",
        ..Setup::default()
    });
    let c = env.start();
    let to = addr_of(&c.ingest);
    let from = IpAddr::from([127, 0, 5, 1]);
    let mut held = Vec::new();
    for _ in 0..12 {
        let mut s = connect_from(from, to).await.unwrap();
        s.write_all(H2_PREFACE).await.unwrap();
        held.push(s);
    }
    let mut set = tokio::task::JoinSet::new();
    for s in held {
        set.spawn(closed_within(s, Duration::from_secs(5)));
    }
    let mut closed = 0;
    while let Some(r) = set.join_next().await {
        if r.unwrap() {
            closed += 1;
        }
    }
    assert_eq!(closed, 4, "12 connections, a cap of 8");
    // Another address is not affected.
    let r = report("cap-host", START + 3600, &[]);
    let (status, body) = c.push_report(DOE_AGENT, &r).await;
    assert_eq!(status, 201, "{body}");
}
