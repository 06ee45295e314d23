//! hardline-collector: the per-agency server. Agents push reports (`POST /api/v1/reports`),
//! the collector stores them durably in an embedded SQLite store, keeps in-memory
//! aggregates current on every commit, and exposes them as Prometheus metrics, a read API
//! and a status page.
//!
//! Layout: [`config`] (the TOML file, timestamps), [`feeds`] (vulnerability feeds: strict
//! loading, imported generations, `feeds import`), [`auth`] (tokens, rate limits),
//! [`validate`] (refusals and report checks), [`store`] (SQLite, group-commit writer),
//! [`agg`] (aggregates and the compact result model), [`waivers`], [`summary`] (the
//! campaign summary), [`metrics`] (the Prometheus collector), [`http`] (error responses),
//! [`api`] (HTTP routes), [`page`] (the status page), [`server`] (listeners, TLS, signals).
//! Durations use the agent's [`hardline_agent::duration`].
//!
//! [`vulns`] (the fleet's findings: central matching with the agent's matcher, BOD 26-04
//! clocks) and [`vulns_api`] (their read API).
//!
//! Dependencies point one way (`tests/it/modules.rs` checks that there is no cycle):
//! config ← waivers ← agg ← validate ← store ← vulns ← (this root: [`App`]) ← summary ← page
//! ← api ← vulns_api ← server, with metrics, http and auth beside them, config ← feeds ←
//! vulns (feeds depends on nothing else of the collector's: the importer runs without a
//! store) and waivers ← [`exposure`] (per-host exposure overrides) ← vulns.

pub mod agg;
pub mod api;
pub mod auth;
pub mod config;
pub mod conn;
pub mod exposure;
pub mod feeds;
pub mod http;
pub mod metrics;
#[cfg(target_os = "linux")]
pub mod notify;
pub mod page;
pub mod server;
pub mod store;
pub mod summary;
pub mod validate;
pub mod vulns;
pub mod vulns_api;
pub mod waivers;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// The collector's notion of "now" (Unix seconds).
///
/// TEST HOOK: when the environment variable `HARDLINE_NOW` is set (RFC 3339 or Unix
/// seconds), the clock is frozen at that instant. Tests use it to check staleness, the
/// burn-down and the projection across simulated days; production never sets it, and the
/// collector logs a warning when it is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    fixed: Option<i64>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock { fixed: None }
    }

    /// A clock frozen at `t`.
    pub fn fixed(t: i64) -> Clock {
        Clock { fixed: Some(t) }
    }

    /// The system clock, or the frozen one of `HARDLINE_NOW`.
    pub fn from_env() -> Result<Clock, String> {
        match std::env::var("HARDLINE_NOW") {
            Ok(v) => {
                let t = v
                    .parse::<i64>()
                    .ok()
                    .map(Ok)
                    .unwrap_or_else(|| config::parse_time(&v).map(|t| t.0))
                    .map_err(|e| format!("HARDLINE_NOW: {e}"))?;
                Ok(Clock::fixed(t))
            }
            Err(_) => Ok(Clock::system()),
        }
    }

    /// Is this the frozen test clock?
    pub fn is_fixed(&self) -> bool {
        self.fixed.is_some()
    }

    /// Now, Unix seconds.
    pub fn now(&self) -> i64 {
        self.fixed.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        })
    }
}

/// A startup failure.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The configuration (or the waivers file) is invalid: exit 2.
    #[error("{0}")]
    Config(#[from] config::ConfigError),
    /// The store could not be opened.
    #[error("{0}")]
    Store(#[from] store::StoreError),
    /// TLS material could not be loaded.
    #[error("{0}")]
    Tls(String),
    /// A listener could not bind.
    #[error("cannot listen on {addr}: {error}")]
    Bind {
        /// Address.
        addr: std::net::SocketAddr,
        /// Why.
        error: std::io::Error,
    },
    /// Anything else at startup.
    #[error("{0}")]
    Other(String),
}

/// Shared state of a running collector.
pub struct App {
    /// Configuration.
    pub config: config::Config,
    /// Clock.
    pub clock: Clock,
    /// Tokens.
    pub tokens: auth::Tokens,
    /// Rate limits per token.
    pub limiter: auth::RateLimiter,
    aggs: Mutex<agg::Aggregates>,
    /// Refusals per reason (index = `Rejection::index`).
    pub rejected: Vec<AtomicU64>,
    writer: tokio::sync::mpsc::Sender<store::Job>,
    reader: Mutex<rusqlite::Connection>,
    /// Why the last write failed, while the store cannot write (`/healthz` says so).
    store_fault: Mutex<Option<String>>,
    /// The fleet's vulnerability findings (the engine thread keeps them current).
    vulns: Mutex<vulns::Vulns>,
    /// The exposure overrides in force (SIGHUP reads the file again).
    exposure: Mutex<Arc<exposure::Overrides>>,
    /// Events for the vulnerability engine.
    vulns_tx: std::sync::mpsc::Sender<vulns::Event>,
    /// The exclusive lock on `data_dir` (held until the process exits).
    _lock: std::fs::File,
}

impl App {
    /// Open the store, rebuild the aggregates and start the writer thread.
    pub fn open(
        config: config::Config,
        clock: Clock,
    ) -> Result<(Arc<App>, std::thread::JoinHandle<()>), StartError> {
        let names: Vec<String> = config
            .agencies
            .iter()
            .map(|a| a.name.get_ref().clone())
            .collect();
        let waivers = match &config.waivers_file {
            Some(p) => waivers::Waivers::load(p, &names)?,
            None => waivers::Waivers::default(),
        };
        let overrides = match &config.exposure_file {
            Some(p) => exposure::Overrides::load(p, &config.agency_names())?,
            None => exposure::Overrides::default(),
        };
        let now = clock.now();
        let lock = store::lock(&config.data_dir)?;
        let mut conn = store::open(&config.data_dir)?;
        if config.integrity_check_timeout > 0 {
            let started = std::time::Instant::now();
            let budget = std::time::Duration::from_secs(config.integrity_check_timeout as u64);
            let r =
                store::check_integrity(&mut conn, &config.data_dir.join("hardline.db"), budget)?;
            if r.unchecked.is_empty() {
                tracing::info!(
                    tables = r.checked.len(),
                    seconds = started.elapsed().as_secs_f64(),
                    "The store passed its integrity check."
                );
            } else {
                tracing::warn!(
                    checked = ?r.checked,
                    unchecked = ?r.unchecked,
                    "The integrity check ran out of integrity_check_timeout: the tables it did not reach are unchecked."
                );
            }
        } else {
            tracing::warn!("integrity_check_timeout is 0: the store was not checked.");
        }
        let started = std::time::Instant::now();
        let mut aggs = agg::Aggregates::new(&config, waivers, now);
        store::load(&conn, &mut aggs, now)?;
        tracing::info!(
            hosts = aggs.hosts.len(),
            rules = aggs.rules.len(),
            seconds = started.elapsed().as_secs_f64(),
            "Rebuilt the aggregates from the store."
        );
        let reader = store::open_reader(&config.data_dir)?;
        let tokens = auth::Tokens::new(&config.agencies);
        let limiter = auth::RateLimiter::new(
            tokens.len(),
            config.limits.rate_per_minute,
            config.rate_burst(),
        );
        let (tx, rx) = tokio::sync::mpsc::channel(4 * store::MAX_BATCH);
        let (vtx, vrx) = std::sync::mpsc::channel();
        let vulns_reader = store::open_reader(&config.data_dir)?;
        let app = Arc::new(App {
            config,
            clock,
            tokens,
            limiter,
            aggs: Mutex::new(aggs),
            rejected: validate::REASONS
                .iter()
                .map(|_| AtomicU64::new(0))
                .collect(),
            writer: tx,
            reader: Mutex::new(reader),
            store_fault: Mutex::new(None),
            vulns: Mutex::new(vulns::Vulns::default()),
            exposure: Mutex::new(Arc::new(overrides)),
            vulns_tx: vtx,
            _lock: lock,
        });
        let app3: Arc<dyn vulns::Context> = app.clone();
        std::thread::Builder::new()
            .name("hardline-vulns".into())
            .spawn(move || vulns::engine(vulns_reader, app3, vrx))
            .map_err(|e| {
                StartError::Other(format!("cannot start the vulnerability engine: {e}"))
            })?;
        let app2 = app.clone();
        let handle = std::thread::Builder::new()
            .name("hardline-writer".into())
            .spawn(move || store::writer(conn, app2, rx))
            .map_err(|e| StartError::Other(format!("cannot start the writer thread: {e}")))?;
        Ok((app, handle))
    }

    /// Record the outcome of the last write: `Some(why)` when it failed, `None` when it
    /// committed.
    pub fn store_health(&self, fault: Option<String>) {
        let mut g = match self.store_fault.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if fault.is_some() != g.is_some() {
            match &fault {
                Some(why) => {
                    tracing::error!(%why, "The store cannot write: /healthz fails until a write succeeds.")
                }
                None => tracing::info!("The store writes again: /healthz is ok."),
            }
        }
        *g = fault;
    }

    /// Why the store cannot write, while it cannot.
    pub fn store_fault(&self) -> Option<String> {
        match self.store_fault.lock() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// The aggregates (a poisoned lock is recovered: the data stays consistent because
    /// every mutation completes under the lock without panicking paths).
    pub fn lock_aggs(&self) -> MutexGuard<'_, agg::Aggregates> {
        match self.aggs.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// The read connection.
    pub fn lock_reader(&self) -> MutexGuard<'_, rusqlite::Connection> {
        match self.reader.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// Count a refusal.
    pub fn reject(&self, r: &validate::Rejection) {
        if let Some(c) = self.rejected.get(r.index()) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The fleet's vulnerability findings.
    pub fn vulns(&self) -> MutexGuard<'_, vulns::Vulns> {
        match self.vulns.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// The exposure overrides in force.
    pub fn overrides(&self) -> Arc<exposure::Overrides> {
        match self.exposure.lock() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Read the exposure file again (SIGHUP): on success the engine re-evaluates every
    /// host's clocks; an invalid file keeps the previous overrides in force.
    pub fn reload_overrides(&self) -> Result<usize, config::ConfigError> {
        let Some(path) = &self.config.exposure_file else {
            return Ok(0);
        };
        let o = exposure::Overrides::load(path, &self.config.agency_names())?;
        let n = o.list.len();
        match self.exposure.lock() {
            Ok(mut g) => *g = Arc::new(o),
            Err(p) => *p.into_inner() = Arc::new(o),
        }
        self.vulns_event(vulns::Event::ReloadExposure);
        Ok(n)
    }

    /// Tell the vulnerability engine something (a closed engine is logged once by it).
    pub fn vulns_event(&self, e: vulns::Event) {
        let _ = self.vulns_tx.send(e);
    }

    /// Hand a job to the writer.
    pub async fn submit(&self, job: store::Job) -> Result<(), validate::Rejection> {
        self.writer
            .send(job)
            .await
            .map_err(|_| validate::Rejection::Unavailable("the writer has stopped".into()))
    }
}

impl store::WriterContext for App {
    fn now(&self) -> i64 {
        self.clock.now()
    }

    fn config(&self) -> &config::Config {
        &self.config
    }

    fn lock_aggs(&self) -> MutexGuard<'_, agg::Aggregates> {
        App::lock_aggs(self)
    }

    fn store_health(&self, fault: Option<String>) {
        App::store_health(self, fault)
    }

    fn inventories(&self, changed: Vec<store::HostInventory>) {
        self.vulns_event(vulns::Event::Inventories(changed));
    }
}

impl vulns::Context for App {
    fn now(&self) -> i64 {
        self.clock.now()
    }

    fn config(&self) -> &config::Config {
        &self.config
    }

    fn view(&self) -> MutexGuard<'_, vulns::Vulns> {
        self.vulns()
    }

    fn overrides(&self) -> Arc<exposure::Overrides> {
        App::overrides(self)
    }

    fn persist(&self, mut w: store::VulnWrite) -> Result<(), String> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        w.reply = Some(tx);
        self.writer
            .blocking_send(store::Job::Vulns(Box::new(w)))
            .map_err(|_| "the writer has stopped".to_string())?;
        rx.blocking_recv()
            .map_err(|_| "the writer dropped the write".to_string())?
    }

    fn kev_overdue(&self, changes: Vec<(String, bool)>) {
        let now = self.clock.now();
        let mut aggs = self.lock_aggs();
        for (id, overdue) in changes {
            aggs.set_kev_overdue(&id, overdue, now);
        }
    }
}

/// `hardline-collector hash-token`: the SHA-256 hex of a token read from `input`, with
/// one trailing newline (`\n` or `\r\n`) removed.
pub fn hash_token(input: &[u8]) -> Result<String, String> {
    let t = input
        .strip_suffix(b"\n")
        .map(|t| t.strip_suffix(b"\r").unwrap_or(t))
        .unwrap_or(input);
    if t.is_empty() {
        return Err("empty token on standard input".into());
    }
    if t.iter().any(|b| b.is_ascii_whitespace()) {
        return Err("the token contains whitespace; agents send it as one word".into());
    }
    Ok(auth::hex(&auth::sha256(t)))
}
