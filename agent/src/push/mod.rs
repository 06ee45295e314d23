//! Push mode: scan on an interval, spool every report durably, deliver the spool to the
//! collector oldest first, back off while it is away.
//!
//! - `run --config FILE`: the first scan after a random splay, then one every `interval` plus
//!   a random splay; between scans the spool is drained. SIGTERM/SIGINT stop the loop at the
//!   next safe point (a scan in progress is finished and spooled first; a delivery in
//!   flight is abandoned and retried at the next start — the collector treats a replayed
//!   `report_id` as already stored).
//! - `run --once`: scan once, then deliver until the spool is empty or a delivery fails.
//! - `scan --push URL`: one delivery of one report (through the spool when `spool_dir` is
//!   configured, so that it is not lost).
//!
//! Delivery is in order: report N+1 is sent only after N got a 2xx or was moved to
//! `rejected/` (400, 403, 413 and other permanent refusals). 401, 408, 429, 5xx and network
//! errors keep the report and retry after an exponential backoff with full jitter
//! (`retry_min` doubling to `retry_max`; a `Retry-After` from the collector is honoured up
//! to `retry_max`), reset by a success.
//!
//! Log lines go to stderr, one per event, prefixed `hardline-agent:`. The token never
//! appears in them.

pub mod client;
pub mod spool;

use crate::config::AgentConfig;
use crate::report::Report;
use client::{Client, ClientSettings, Delivery, Endpoint};
use hyper::body::Bytes;
use spool::Spool;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::time::Instant;

/// Default scan period.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(3600);
/// Largest default splay.
pub const DEFAULT_MAX_SPLAY: Duration = Duration::from_secs(15 * 60);
/// Default spool bound (reports).
pub const DEFAULT_SPOOL_MAX_REPORTS: usize = 1000;
/// Default spool bound (bytes).
pub const DEFAULT_SPOOL_MAX_BYTES: u64 = 256 * 1024 * 1024;
/// Default first backoff.
pub const DEFAULT_RETRY_MIN: Duration = Duration::from_secs(1);
/// Default longest backoff.
pub const DEFAULT_RETRY_MAX: Duration = Duration::from_secs(300);
/// Default limit of one whole delivery.
pub const DEFAULT_PUSH_TIMEOUT: Duration = Duration::from_secs(60);

/// Write one log line to stderr.
pub fn log(msg: &str) {
    eprintln!("hardline-agent: {msg}");
}

/// The spool's location and bounds.
#[derive(Debug, Clone)]
pub struct SpoolSettings {
    /// Directory.
    pub dir: PathBuf,
    /// Most reports.
    pub max_reports: usize,
    /// Most bytes.
    pub max_bytes: u64,
}

/// Everything push mode needs, validated.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The collector connection.
    pub client: ClientSettings,
    /// The spool (required by `run`, optional for `scan --push`).
    pub spool: Option<SpoolSettings>,
    /// Scan period.
    pub interval: Duration,
    /// Largest random delay added to each period.
    pub splay: Duration,
    /// Backoff bounds.
    pub retry_min: Duration,
    /// Backoff bounds.
    pub retry_max: Duration,
}

fn positive(
    d: Option<crate::net::config::DurationValue>,
    key: &str,
) -> Result<Option<Duration>, String> {
    match d {
        Some(v) if v.0.is_zero() => Err(format!("{key} must be greater than zero")),
        Some(v) => Ok(Some(v.0)),
        None => Ok(None),
    }
}

impl Settings {
    /// The settings of `run`: `collector`, `token_file` and `spool_dir` are required.
    pub fn for_run(cfg: &AgentConfig) -> Result<Settings, String> {
        let mut missing = Vec::new();
        if cfg.collector.is_none() {
            missing.push("collector");
        }
        if cfg.token_file.is_none() {
            missing.push("token_file");
        }
        if cfg.spool_dir.is_none() {
            missing.push("spool_dir");
        }
        if !missing.is_empty() {
            return Err(format!(
                "push mode needs {} in the configuration file",
                missing.join(", ")
            ));
        }
        let url = cfg.collector.clone().unwrap_or_default();
        Settings::for_push(
            &url,
            cfg.token_file.as_deref(),
            cfg.ca_bundle.as_deref(),
            cfg,
        )
    }

    /// The settings of a push to `url` with `token_file` (else the configuration's) and
    /// `ca_bundle` as trust; the spool, client identity, timeouts and backoff come from `cfg`.
    pub fn for_push(
        url: &str,
        token_file: Option<&Path>,
        ca_bundle: Option<&Path>,
        cfg: &AgentConfig,
    ) -> Result<Settings, String> {
        let endpoint = Endpoint::parse(url)?;
        let token_file = token_file
            .map(Path::to_path_buf)
            .or_else(|| cfg.token_file.clone())
            .ok_or("pushing needs a token file (--token-file or token_file)")?;
        client::read_token(&token_file)?;
        let client_identity = match (&cfg.client_cert, &cfg.client_key) {
            (Some(c), Some(k)) => Some((c.clone(), k.clone())),
            (None, None) => None,
            _ => return Err("client_cert and client_key go together".to_string()),
        };
        if !endpoint.https && client_identity.is_some() {
            return Err("client_cert is set but the collector URL is plain http://".to_string());
        }
        let interval = positive(cfg.interval, "interval")?.unwrap_or(DEFAULT_INTERVAL);
        let splay = cfg
            .splay
            .map(|d| d.0)
            .unwrap_or(interval.min(DEFAULT_MAX_SPLAY));
        let retry_min = positive(cfg.retry_min, "retry_min")?.unwrap_or(DEFAULT_RETRY_MIN);
        let retry_max = positive(cfg.retry_max, "retry_max")?.unwrap_or(DEFAULT_RETRY_MAX);
        if retry_max < retry_min {
            return Err("retry_max must not be below retry_min".to_string());
        }
        let request_timeout =
            positive(cfg.push_timeout, "push_timeout")?.unwrap_or(DEFAULT_PUSH_TIMEOUT);
        let connect_timeout = positive(cfg.timeout, "timeout")?
            .unwrap_or(crate::net::config::DEFAULT_TIMEOUT)
            .min(request_timeout);
        let spool = match &cfg.spool_dir {
            Some(dir) => {
                let max_reports = cfg.spool_max_reports.unwrap_or(DEFAULT_SPOOL_MAX_REPORTS);
                let max_bytes = cfg.spool_max_bytes.unwrap_or(DEFAULT_SPOOL_MAX_BYTES);
                if max_reports == 0 || max_bytes == 0 {
                    return Err(
                        "spool_max_reports and spool_max_bytes must be greater than zero"
                            .to_string(),
                    );
                }
                Some(SpoolSettings {
                    dir: dir.clone(),
                    max_reports,
                    max_bytes,
                })
            }
            None => None,
        };
        Ok(Settings {
            client: ClientSettings {
                endpoint,
                token_file,
                ca_bundle: ca_bundle.map(Path::to_path_buf),
                client_identity,
                connect_timeout,
                request_timeout,
            },
            spool,
            interval,
            splay,
            retry_min,
            retry_max,
        })
    }
}

/// A random value in `[0, 1)` from the operating system's generator (through uuid v4).
fn random_unit() -> f64 {
    let (hi, _) = uuid::Uuid::new_v4().as_u64_pair();
    (hi >> 11) as f64 / (1u64 << 53) as f64
}

/// A uniformly random duration in `[0, max]`.
pub fn random_up_to(max: Duration) -> Duration {
    max.mul_f64(random_unit())
}

/// Exponential backoff with full jitter: the n-th consecutive failure waits a uniformly
/// random time in `[0, min(max, min · 2ⁿ)]`.
#[derive(Debug, Clone)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    failures: u32,
}

impl Backoff {
    /// A backoff from `min` doubling up to `max`.
    pub fn new(min: Duration, max: Duration) -> Backoff {
        Backoff {
            min,
            max: max.max(min),
            failures: 0,
        }
    }

    /// The current ceiling (before jitter).
    pub fn ceiling(&self) -> Duration {
        let factor = 1u32 << self.failures.min(30);
        self.min.saturating_mul(factor).min(self.max)
    }

    /// Record a failure; the wait before the next attempt.
    pub fn fail(&mut self) -> Duration {
        let wait = random_up_to(self.ceiling());
        self.failures = self.failures.saturating_add(1);
        wait
    }

    /// Record a success: the next failure starts again from `min`.
    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

/// SIGTERM or SIGINT.
struct Stop {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    seen: bool,
}

impl Stop {
    /// Install the handlers (inside the runtime).
    fn new() -> Result<Stop, String> {
        use tokio::signal::unix::{signal, SignalKind};
        let term = signal(SignalKind::terminate()).map_err(|e| format!("SIGTERM handler: {e}"))?;
        let int = signal(SignalKind::interrupt()).map_err(|e| format!("SIGINT handler: {e}"))?;
        Ok(Stop {
            term,
            int,
            seen: false,
        })
    }

    async fn wait(&mut self) {
        if self.seen {
            return;
        }
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
        self.seen = true;
    }
}

/// Delivers the spool.
struct Courier {
    client: Client,
    spool: Spool,
    backoff: Backoff,
    retry_max: Duration,
    /// Earliest next delivery attempt (after a failure).
    not_before: Option<Instant>,
    delivered: usize,
    duplicates: usize,
    rejected: usize,
    /// False for one-shot deliveries (`run --once`, `scan --push`): a failure ends them.
    will_retry: bool,
}

pub use inventory::INVENTORY_RESEND;

/// The digest of the last package list the collector acknowledged, kept in the spool
/// directory (`inventory.acked`): the agent's own state, never the scanned host's.
mod inventory {
    use std::path::Path;
    use std::time::Duration;

    /// How long an acknowledged package list is not resent while it stays the same: after
    /// this, or whenever it changes, the next report carries it whole again, so a collector
    /// that lost it (restored from a snapshot) has it back within a day.
    pub const INVENTORY_RESEND: Duration = Duration::from_secs(24 * 3600);

    const FILE: &str = "inventory.acked";

    /// The acknowledged digest, when fresh.
    pub fn acknowledged(dir: &Path) -> Option<String> {
        let p = dir.join(FILE);
        let age = std::fs::metadata(&p)
            .ok()?
            .modified()
            .ok()?
            .elapsed()
            .ok()?;
        if age > INVENTORY_RESEND {
            return None;
        }
        let s = std::fs::read_to_string(p).ok()?;
        let s = s.trim();
        (s.starts_with("sha256:") && s.len() == 71).then(|| s.to_string())
    }

    /// Forget the acknowledged digest: the collector asked for the list.
    pub fn forget(dir: &Path) {
        // Best effort: a file left behind expires after INVENTORY_RESEND.
        let _ = std::fs::remove_file(dir.join(FILE));
    }

    /// Record the digest of a delivered body that carried its package list.
    pub fn delivered(dir: &Path, body: &[u8]) {
        #[derive(serde::Deserialize)]
        struct Body {
            inventory: Option<Inv>,
        }
        #[derive(serde::Deserialize)]
        struct Inv {
            digest: String,
            packages: Option<serde::de::IgnoredAny>,
        }
        let Ok(Body {
            inventory: Some(inv),
        }) = serde_json::from_slice::<Body>(body)
        else {
            return;
        };
        if inv.packages.is_none() {
            return;
        }
        let tmp = dir.join(format!("{FILE}.tmp"));
        // Best effort: without the file the next report simply carries the list again.
        if std::fs::write(&tmp, inv.digest.as_bytes()).is_ok() {
            let _ = std::fs::rename(&tmp, dir.join(FILE));
        }
    }
}

/// One delivery step.
enum Step {
    /// The spool is empty.
    Empty,
    /// The oldest report was stored (or rejected for good): go on.
    Progress,
    /// Delivery failed; retry after the backoff.
    Failed,
    /// A stop signal arrived.
    Stopped,
}

impl Courier {
    fn new(settings: &Settings, spool: &SpoolSettings) -> Result<Courier, String> {
        let spool = Spool::open(&spool.dir, spool.max_reports, spool.max_bytes)
            .map_err(|e| format!("spool_dir: {e}"))?;
        Ok(Courier {
            client: Client::new(settings.client.clone())?,
            spool,
            backoff: Backoff::new(settings.retry_min, settings.retry_max),
            retry_max: settings.retry_max,
            not_before: None,
            delivered: 0,
            duplicates: 0,
            rejected: 0,
            will_retry: true,
        })
    }

    /// Spool a report; logs drops. `Err` when it could not be written. The inventory's
    /// package list is left out (its digest stays) when the collector acknowledged a report
    /// carrying this same list less than [`INVENTORY_RESEND`] ago.
    fn put(&mut self, report: &Report) -> Result<spool::Entry, String> {
        let body = match &report.inventory {
            Some(inv)
                if inventory::acknowledged(self.spool.dir()).as_deref() == Some(&inv.digest) =>
            {
                let mut lean = report.clone();
                if let Some(i) = lean.inventory.as_mut() {
                    i.packages = None;
                }
                serde_json::to_vec(&lean)
            }
            _ => serde_json::to_vec(report),
        }
        .map_err(|e| format!("cannot encode: {e}"))?;
        let put = self.spool.put(&body).map_err(|e| e.to_string())?;
        if put.dropped > 0 {
            log(&format!(
                "spool full: dropped {} oldest report(s) to stay within spool_max_reports {} / spool_max_bytes {}",
                put.dropped,
                self.spool.bounds().0,
                self.spool.bounds().1
            ));
        }
        Ok(put.entry)
    }

    fn waiting(&self) -> usize {
        self.spool.entries().map(|e| e.len()).unwrap_or(0)
    }

    /// Log the deliveries since the last call.
    fn log_delivered(&mut self) {
        if self.delivered > 0 {
            log(&format!(
                "delivered {} report(s) to {} ({} already stored); {} left in the spool",
                self.delivered,
                self.client.endpoint().host,
                self.duplicates,
                self.waiting()
            ));
        }
        self.delivered = 0;
        self.duplicates = 0;
    }

    /// Try to deliver the oldest report once.
    async fn step(&mut self, stop: Option<&mut Stop>) -> Step {
        let entry = match self.spool.oldest() {
            Ok(Some(e)) => e,
            Ok(None) => return Step::Empty,
            Err(e) => {
                log(&format!("cannot read the spool: {e}"));
                return self.failed(format!("spool: {e}"), None);
            }
        };
        let body = match self.spool.read(&entry) {
            Ok(b) => Bytes::from(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Step::Progress,
            Err(e) => return self.failed(e.to_string(), None),
        };
        let delivery = match stop {
            Some(stop) => tokio::select! {
                d = self.client.push(body.clone()) => d,
                _ = stop.wait() => return Step::Stopped,
            },
            None => self.client.push(body.clone()).await,
        };
        match delivery {
            Delivery::Stored {
                duplicate,
                inventory_wanted,
                ..
            } => {
                if inventory_wanted {
                    inventory::forget(self.spool.dir());
                    log("the collector lacks this host's package list: the next report carries it whole");
                } else {
                    inventory::delivered(self.spool.dir(), &body);
                }
                if let Err(e) = self.spool.remove(&entry) {
                    // Delivered but still on disk: it will be sent again (a duplicate, 200).
                    log(&format!("cannot remove a delivered report: {e}"));
                    return self.failed(e.to_string(), None);
                }
                self.backoff.reset();
                self.not_before = None;
                self.delivered += 1;
                if duplicate {
                    self.duplicates += 1;
                }
                Step::Progress
            }
            Delivery::Refused { status, reason } => {
                self.log_delivered();
                self.rejected += 1;
                let why = format!("{status} {reason}");
                match self.spool.reject(&entry, &why) {
                    Ok(()) => {
                        log(&format!(
                            "collector refused report {} for good ({why}); moved to {}",
                            entry.name(),
                            self.spool.dir().join("rejected").display()
                        ));
                        Step::Progress
                    }
                    Err(e) => {
                        log(&format!(
                            "collector refused report {} ({why}) and it cannot be moved aside: {e}",
                            entry.name()
                        ));
                        self.failed(e.to_string(), None)
                    }
                }
            }
            Delivery::Retry { why, retry_after } => self.failed(why, retry_after),
        }
    }

    fn failed(&mut self, why: String, retry_after: Option<Duration>) -> Step {
        self.log_delivered();
        let mut wait = self.backoff.fail();
        if let Some(ra) = retry_after {
            wait = wait.max(ra.min(self.retry_max));
        }
        self.not_before = Some(Instant::now() + wait);
        let next = if self.will_retry {
            format!("next retry in {:.1}s", wait.as_secs_f64())
        } else {
            "they wait for the next run".to_string()
        };
        log(&format!(
            "collector unreachable: {why}; {} report(s) spooled; {next}",
            self.waiting()
        ));
        Step::Failed
    }

    /// Deliver until the spool is empty or a delivery fails (no waiting).
    async fn drain_once(&mut self, mut stop: Option<&mut Stop>) -> Step {
        loop {
            match self.step(stop.as_deref_mut()).await {
                Step::Progress => continue,
                other => {
                    self.log_delivered();
                    return other;
                }
            }
        }
    }

    /// Deliver, retrying with backoff, until `deadline`; `false` when stopped.
    async fn drain_until(&mut self, deadline: Instant, stop: &mut Stop) -> bool {
        loop {
            let now = Instant::now();
            if now >= deadline {
                return true;
            }
            let ready = self.not_before.is_none_or(|t| t <= now);
            let pending = !matches!(self.spool.oldest(), Ok(None));
            if ready && pending {
                match self.drain_once(Some(stop)).await {
                    Step::Stopped => return false,
                    Step::Empty | Step::Failed | Step::Progress => continue,
                }
            }
            let wake = match self.not_before {
                Some(t) if pending => t.min(deadline),
                _ => deadline,
            };
            tokio::select! {
                _ = tokio::time::sleep_until(wake) => {}
                _ = stop.wait() => return false,
            }
        }
    }
}

fn scan_line(report: &Report, entry: &spool::Entry, waiting: usize) -> String {
    let s = report.summary;
    format!(
        "scan done: host {} ({}): {} pass, {} fail, {} error, {} not_applicable; spooled as {} ({} waiting)",
        report.host.hostname,
        report.host.id,
        s.pass,
        s.fail,
        s.error,
        s.not_applicable,
        entry.name(),
        waiting
    )
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

/// `run`: scan and deliver until SIGTERM/SIGINT (`once`: one scan, one delivery pass).
/// `Ok(true)`: everything delivered (`once`) or a clean stop; `Ok(false)`: reports remain
/// spooled or were refused (`once`). `Err`: setup failed (configuration, spool, trust).
pub fn run(
    settings: &Settings,
    scan: &mut dyn FnMut() -> Report,
    once: bool,
) -> Result<bool, String> {
    let spool_settings = settings
        .spool
        .as_ref()
        .ok_or("push mode needs spool_dir in the configuration file")?;
    let rt = runtime()?;
    let _guard = rt.enter();
    let mut stop = Stop::new()?;
    let mut courier = Courier::new(settings, spool_settings)?;
    let waiting = courier.waiting();
    log(&format!(
        "push mode: collector {}://{}:{}, spool {} ({} waiting){}",
        if settings.client.endpoint.https {
            "https"
        } else {
            "http"
        },
        settings.client.endpoint.host,
        settings.client.endpoint.port,
        spool_settings.dir.display(),
        waiting,
        if once {
            String::new()
        } else {
            format!(
                ", every {:.0}s + up to {:.0}s splay",
                settings.interval.as_secs_f64(),
                settings.splay.as_secs_f64()
            )
        }
    ));
    if once {
        courier.will_retry = false;
        let mut ok = true;
        let report = scan();
        match courier.put(&report) {
            Ok(entry) => log(&scan_line(&report, &entry, courier.waiting())),
            Err(e) => {
                log(&format!("cannot spool the report: {e}"));
                ok = false;
            }
        }
        let end = rt.block_on(courier.drain_once(Some(&mut stop)));
        return Ok(ok && matches!(end, Step::Empty) && courier.rejected == 0);
    }
    let mut deadline = Instant::now() + random_up_to(settings.splay);
    loop {
        if !rt.block_on(courier.drain_until(deadline, &mut stop)) {
            break;
        }
        // The scan runs outside the runtime (its network checks start their own); a signal
        // meanwhile is kept and seen right after the report is spooled.
        let report = scan();
        match courier.put(&report) {
            Ok(entry) => log(&scan_line(&report, &entry, courier.waiting())),
            Err(e) => log(&format!("cannot spool the report, it is lost: {e}")),
        }
        deadline = Instant::now() + settings.interval + random_up_to(settings.splay);
    }
    courier.log_delivered();
    log(&format!(
        "stopping: {} report(s) left in the spool",
        courier.waiting()
    ));
    Ok(true)
}

/// `scan --push`: deliver one report. With a spool it goes through the spool (older
/// spooled reports first) and stays there on failure. `Err` says why it was not delivered.
pub fn push_report(settings: &Settings, report: &Report) -> Result<String, String> {
    let rt = runtime()?;
    let _guard = rt.enter();
    match &settings.spool {
        Some(s) => {
            let mut courier = Courier::new(settings, s)?;
            courier.will_retry = false;
            let entry = courier.put(report)?;
            rt.block_on(courier.drain_once(None));
            if entry.path.exists() {
                return Err(format!(
                    "report {} stays in the spool {} for the next delivery",
                    entry.name(),
                    s.dir.display()
                ));
            }
            if s.dir.join("rejected").join(entry.name()).exists() {
                return Err(format!(
                    "the collector refused the report (moved to {})",
                    s.dir.join("rejected").display()
                ));
            }
            Ok(format!("report {} delivered", report.report_id))
        }
        None => {
            let client = Client::new(settings.client.clone())?;
            let body = serde_json::to_vec(report).map_err(|e| format!("cannot encode: {e}"))?;
            match rt.block_on(client.push(Bytes::from(body))) {
                Delivery::Stored {
                    status, duplicate, ..
                } => Ok(format!(
                    "report {} delivered ({status}{})",
                    report.report_id,
                    if duplicate { ", already stored" } else { "" }
                )),
                Delivery::Refused { status, reason } => Err(format!(
                    "the collector refused the report: {status} {reason}"
                )),
                Delivery::Retry { why, .. } => Err(why),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_bounded_jittered_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(2));
        let mut ceilings = Vec::new();
        for _ in 0..10 {
            let c = b.ceiling();
            ceilings.push(c.as_millis());
            let w = b.fail();
            assert!(w <= c, "{w:?} > {c:?}");
        }
        assert_eq!(
            ceilings,
            vec![100, 200, 400, 800, 1600, 2000, 2000, 2000, 2000, 2000]
        );
        // Full jitter: waits spread over [0, ceiling], not all at the top.
        let waits: Vec<Duration> = (0..200).map(|_| b.fail()).collect();
        assert!(waits.iter().all(|w| *w <= Duration::from_secs(2)));
        assert!(waits.iter().any(|w| *w < Duration::from_secs(1)));
        assert!(waits.iter().any(|w| *w > Duration::from_secs(1)));
        b.reset();
        assert_eq!(b.ceiling(), Duration::from_millis(100));
        // Many failures never overflow.
        for _ in 0..100 {
            b.fail();
        }
        assert_eq!(b.ceiling(), Duration::from_secs(2));
    }

    #[test]
    fn random_durations_stay_in_range() {
        assert_eq!(random_up_to(Duration::ZERO), Duration::ZERO);
        for _ in 0..1000 {
            assert!(random_up_to(Duration::from_secs(5)) <= Duration::from_secs(5));
        }
    }

    fn cfg(text: &str) -> Result<Settings, String> {
        Settings::for_run(&AgentConfig::parse(text)?)
    }

    #[test]
    fn run_settings() {
        let dir = tempfile::tempdir().unwrap();
        let token = dir.path().join("token");
        std::fs::write(&token, "t0ken\n").unwrap();
        let base = format!(
            "collector = \"https://127.0.0.1:8443\"\ntoken_file = {:?}\nspool_dir = {:?}\n",
            token.display().to_string(),
            dir.path().join("spool").display().to_string()
        );
        let s = cfg(&base).unwrap();
        assert_eq!(s.interval, DEFAULT_INTERVAL);
        assert_eq!(s.splay, DEFAULT_MAX_SPLAY);
        assert_eq!(s.spool.as_ref().unwrap().max_reports, 1000);
        assert_eq!(s.spool.as_ref().unwrap().max_bytes, 256 << 20);
        let s = cfg(&format!(
            "{base}interval = \"2m\"\nretry_min = \"50ms\"\nretry_max = \"1s\"\nspool_max_reports = 3\n"
        ))
        .unwrap();
        assert_eq!(s.splay, Duration::from_secs(120));
        assert_eq!(s.retry_min, Duration::from_millis(50));
        assert_eq!(s.spool.unwrap().max_reports, 3);

        let e = cfg("interval = \"1h\"\n").unwrap_err();
        assert!(e.contains("collector, token_file, spool_dir"), "{e}");
        let e = cfg(&format!("{base}splay = \"soon\"\n")).unwrap_err();
        assert!(e.contains("line 4"), "{e}");
        assert!(
            cfg(&format!("{base}retry_min = \"5s\"\nretry_max = \"1s\"\n"))
                .unwrap_err()
                .contains("retry_max")
        );
        assert!(cfg(&format!("{base}interval = 0\n"))
            .unwrap_err()
            .contains("interval"));
        assert!(cfg(&format!("{base}spool_max_reports = 0\n"))
            .unwrap_err()
            .contains("greater than zero"));
        assert!(cfg(&format!("{base}client_cert = \"/x.pem\"\n"))
            .unwrap_err()
            .contains("together"));
        assert!(cfg(&format!("{base}spool_max = 3\n"))
            .unwrap_err()
            .contains("spool_max"));
        let http = base.replace("https://127.0.0.1:8443", "http://192.0.2.1:8080");
        assert!(cfg(&http).unwrap_err().contains("loopback"));
        std::fs::write(&token, " \n").unwrap();
        assert!(cfg(&base).unwrap_err().contains("empty"));
        std::fs::remove_file(&token).unwrap();
        assert!(cfg(&base).unwrap_err().contains("token_file"));
    }
}
