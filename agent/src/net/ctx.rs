//! The shared state of one network run: configuration, the limit of operations in flight,
//! the trust store and the resolvers, and the per-operation deadline.

use super::config::NetConfig;
use super::dns;
use super::trust::TlsCtx;
use hickory_resolver::TokioResolver;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::OnceLock;
use std::time::Duration;
use tokio::sync::{OnceCell, Semaphore, SemaphorePermit};

/// Shared state of one run: configuration, concurrency limit, trust store, resolvers.
pub struct Ctx {
    /// The merged configuration.
    pub cfg: NetConfig,
    sem: Semaphore,
    tls: OnceLock<TlsCtx>,
    resolver: OnceCell<Result<TokioResolver, String>>,
    validating: OnceCell<Result<TokioResolver, String>>,
}

impl Ctx {
    /// A context for `cfg`.
    pub fn new(cfg: NetConfig) -> Ctx {
        Ctx {
            sem: Semaphore::new(cfg.concurrency.max(1)),
            cfg,
            tls: OnceLock::new(),
            resolver: OnceCell::new(),
            validating: OnceCell::new(),
        }
    }

    /// Wait for a slot among the `concurrency` operations in flight.
    pub async fn permit(&self) -> Option<SemaphorePermit<'_>> {
        self.sem.acquire().await.ok()
    }

    /// The TLS provider and trust store (loaded on first use).
    pub fn tls(&self) -> &TlsCtx {
        self.tls
            .get_or_init(|| TlsCtx::new(self.cfg.ca_bundle.as_deref()))
    }

    /// The (non-validating) resolver.
    pub async fn resolver(&self) -> Result<&TokioResolver, String> {
        self.resolver
            .get_or_init(|| async { dns::build(&self.cfg, false) })
            .await
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The DNSSEC-validating resolver.
    pub async fn validating(&self) -> Result<&TokioResolver, String> {
        self.validating
            .get_or_init(|| async { dns::build(&self.cfg, true) })
            .await
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The resolver and a slot among the operations in flight, for a query about `domain`
    /// (`Err`: why there is no resolver, naming the domain).
    pub async fn dns(
        &self,
        domain: &str,
    ) -> Result<(&TokioResolver, Option<SemaphorePermit<'_>>), String> {
        let r = self
            .resolver()
            .await
            .map_err(|e| format!("{domain}: {e}"))?;
        Ok((r, self.permit().await))
    }

    /// The socket address of `host:port` (the configured nameservers resolve names when
    /// set, else the system resolver with /etc/hosts).
    pub async fn resolve_addr(&self, host: &str, port: u16) -> Result<SocketAddr, String> {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(SocketAddr::new(ip, port));
        }
        if self.cfg.nameservers.is_empty() {
            let mut it = tokio::net::lookup_host((host, port))
                .await
                .map_err(|e| format!("{host}: cannot resolve ({e})"))?;
            return it.next().ok_or_else(|| format!("{host}: no address"));
        }
        let r = self.resolver().await?;
        dns::address(r, host, self.cfg.timeout)
            .await
            .map(|ip| SocketAddr::new(ip, port))
    }
}

/// Run `fut` with a deadline; a timeout becomes "no answer within …".
pub async fn op_timeout<T>(
    d: Duration,
    fut: impl Future<Output = Result<T, String>>,
) -> Result<T, String> {
    match tokio::time::timeout(d, fut).await {
        Ok(r) => r,
        Err(_) => Err(format!("no answer within {} (timeout)", human(d))),
    }
}

fn human(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}
