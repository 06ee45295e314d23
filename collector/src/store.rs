//! The embedded SQLite store and its single writer thread (group commit).
//!
//! `data_dir/hardline.db`, WAL journal, `synchronous=FULL`: a transaction is on disk when
//! `COMMIT` returns. One writer thread owns the write connection. It takes the first
//! waiting job, then every job that arrived meanwhile (up to [`MAX_BATCH`]), runs them in
//! ONE transaction (a savepoint per report, so one bad report does not sink the others),
//! commits once (one fsync for the whole batch), then updates the in-memory aggregates and
//! answers every request of the batch. While it commits, new requests queue up and form
//! the next batch: under load the batch grows and the cost of an fsync is shared.
//!
//! Tables (schema version in `PRAGMA user_version`, migrations in [`MIGRATIONS`]):
//! - `reports`: every accepted report (LZ4-compressed JSON as received), at most
//!   `history_per_host` per host; its primary key `report_id` makes replays idempotent.
//! - `hosts`: per host its owner agency, latest report id and times, and the collapsed
//!   results (see [`crate::agg::Compact`]) from which aggregates are rebuilt on start.
//! - `rules`: interned rule ids. `agencies`: accepted-report counters.
//! - `daily`: the burn-down, one row per agency and UTC day (last counts of that day).
//! - `inventories`: package lists by digest (LZ4 JSON), shared by every host that has the
//!   same list; `host_inventory`: per host its digest, ecosystem, kernels and exposure, and when they last
//!   changed (a report with the same inventory writes nothing there).
//! - `vuln_open`: per host its open findings and when each was first seen (see
//!   [`crate::vulns`]); `vuln_fixed`: closed findings with their time to fix.

use crate::agg::{Aggregates, Collapsed, Compact, DayPoint, HostUpdate};
use crate::config::Config;
use crate::validate::Rejection;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, MutexGuard};
use tokio::sync::{mpsc, oneshot};

/// Most reports in one transaction.
pub const MAX_BATCH: usize = 512;

/// Schema migrations; entry `i` moves `user_version` from `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE agencies (
    name TEXT PRIMARY KEY,
    reports_received INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE rules (
    idx INTEGER PRIMARY KEY,
    rule_id TEXT NOT NULL UNIQUE
);
CREATE TABLE hosts (
    host_id TEXT PRIMARY KEY,
    agency TEXT NOT NULL,
    hostname TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    report_id TEXT NOT NULL,
    finished_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    results BLOB NOT NULL
);
CREATE TABLE reports (
    report_id TEXT PRIMARY KEY,
    host_id TEXT NOT NULL,
    agency TEXT NOT NULL,
    finished_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX reports_by_host ON reports (host_id, finished_at, received_at);
CREATE TABLE daily (
    agency TEXT NOT NULL,
    day INTEGER NOT NULL,
    at INTEGER NOT NULL,
    compliant INTEGER NOT NULL,
    noncompliant INTEGER NOT NULL,
    stale INTEGER NOT NULL,
    PRIMARY KEY (agency, day)
);
"#,
    r#"
CREATE TABLE inventories (
    digest TEXT PRIMARY KEY,
    format TEXT NOT NULL,
    count INTEGER NOT NULL,
    packages BLOB NOT NULL,
    stored_at INTEGER NOT NULL
);
CREATE TABLE host_inventory (
    host_id TEXT PRIMARY KEY,
    agency TEXT NOT NULL,
    hostname TEXT NOT NULL,
    digest TEXT NOT NULL,
    ecosystem TEXT NOT NULL,
    format TEXT NOT NULL,
    kernel TEXT NOT NULL,
    exposure TEXT,
    updated_at INTEGER NOT NULL
);
CREATE TABLE vuln_open (
    host_id TEXT PRIMARY KEY,
    state BLOB NOT NULL
);
CREATE TABLE vuln_fixed (
    host_id TEXT NOT NULL,
    agency TEXT NOT NULL,
    hostname TEXT NOT NULL,
    package TEXT NOT NULL,
    cve TEXT NOT NULL,
    kev INTEGER NOT NULL,
    band TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    due INTEGER,
    closed_at INTEGER NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX vuln_fixed_by_agency ON vuln_fixed (agency, closed_at);
"#,
];

/// Keep the newest `?2` (at least 1) reports of host `?1`: find the oldest one to keep (a scalar
/// subquery walking `reports_by_host` backwards; rowid, which grows with every insert, breaks
/// ties) and delete what sorts before it. NULL, so nothing, while the host has fewer.
/// The earlier `report_id IN (… LIMIT -1 OFFSET ?)` filled and dropped a temporary table
/// (its own b-tree and page cache) on every update.
pub const PRUNE: &str = "DELETE FROM reports WHERE host_id = ?1
     AND (finished_at, received_at, rowid) < (SELECT finished_at, received_at, rowid
         FROM reports WHERE host_id = ?1
         ORDER BY finished_at DESC, received_at DESC, rowid DESC LIMIT 1 OFFSET ?2 - 1)";

/// `finished_at` of the oldest report a full history of host `?1` keeps (the `?2`-th
/// newest), or no row while the host has fewer than `?2` reports.
pub const OLDEST_KEPT: &str = "SELECT finished_at FROM reports WHERE host_id = ?1
     ORDER BY finished_at DESC, received_at DESC, rowid DESC LIMIT 1 OFFSET ?2 - 1";

/// A store failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite said no.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The data directory could not be created.
    #[error("cannot create data directory {path}: {error}")]
    DataDir {
        /// The directory.
        path: String,
        /// Why.
        error: std::io::Error,
    },
    /// Another process holds the data directory's lock.
    #[error("data_dir {path} is in use by another hardline-collector (it holds {path}/hardline.lock); stop it first, or give this one its own data_dir")]
    Locked {
        /// The directory.
        path: String,
    },
    /// The start-up integrity check found damage.
    #[error("the store {path} is damaged in {table}: {detail}. Stop here: collector/README.md \"Recovery\" says how to restore it from a backup (hardline-collector backup) or start a fresh store that the agents refill")]
    Corrupt {
        /// The database file.
        path: String,
        /// The damaged table (or `the schema`).
        table: String,
        /// SQLite's first findings.
        detail: String,
    },
    /// The database is from a newer collector.
    #[error("the store has schema version {found}, newer than this collector's {known}: upgrade hardline-collector")]
    TooNew {
        /// Version on disk.
        found: i64,
        /// Newest known.
        known: i64,
    },
}

/// The lock file in `data_dir`: an exclusive `flock` on it, held while the collector
/// runs, keeps a second collector off the same store.
pub const LOCK_FILE: &str = "hardline.lock";

/// Take the exclusive lock on `dir` (creating it). The lock lasts as long as the returned
/// file is open (the process holds it until it exits, whatever way it exits).
pub fn lock(dir: &Path) -> Result<std::fs::File, StoreError> {
    std::fs::create_dir_all(dir).map_err(|error| StoreError::DataDir {
        path: dir.display().to_string(),
        error,
    })?;
    let path = dir.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|error| StoreError::DataDir {
            path: path.display().to_string(),
            error,
        })?;
    match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(file),
        Err(e) if e == rustix::io::Errno::WOULDBLOCK => Err(StoreError::Locked {
            path: dir.display().to_string(),
        }),
        Err(e) => Err(StoreError::DataDir {
            path: path.display().to_string(),
            error: e.into(),
        }),
    }
}

/// Open (creating and migrating) the store in `dir`.
pub fn open(dir: &Path) -> Result<Connection, StoreError> {
    std::fs::create_dir_all(dir).map_err(|error| StoreError::DataDir {
        path: dir.display().to_string(),
        error,
    })?;
    let mut conn = Connection::open(dir.join("hardline.db"))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "cache_size", -65536)?;
    migrate(&mut conn)?;
    Ok(conn)
}

/// What the start-up integrity check got through.
#[derive(Debug, PartialEq, Eq)]
pub struct IntegrityReport {
    /// Tables found intact.
    pub checked: Vec<String>,
    /// Tables the time budget did not reach (or interrupted).
    pub unchecked: Vec<String>,
}

/// `PRAGMA quick_check` table by table (each with its indexes), so that damage is reported
/// with the table it is in, within `budget`: a check still running then is interrupted
/// and it and the tables after it are reported unchecked, not damaged. A store whose
/// damage is found only at the first write answers every agent 503 for ever; this finds
/// it before the collector listens.
pub fn check_integrity(
    conn: &mut Connection,
    path: &Path,
    budget: std::time::Duration,
) -> Result<IntegrityReport, StoreError> {
    let corrupt = |table: &str, detail: String| StoreError::Corrupt {
        path: path.display().to_string(),
        table: table.to_string(),
        detail,
    };
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY rootpage")
        .and_then(|mut st| {
            st.query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|e| corrupt("the schema (sqlite_schema)", e.to_string()))?;
    let deadline = std::time::Instant::now() + budget;
    conn.progress_handler(10_000, Some(move || std::time::Instant::now() >= deadline))?;
    let mut report = IntegrityReport {
        checked: Vec::new(),
        unchecked: Vec::new(),
    };
    let mut result = Ok(());
    for t in tables {
        if result.is_err() || std::time::Instant::now() >= deadline {
            report.unchecked.push(t);
            continue;
        }
        let rows = conn
            .prepare("SELECT * FROM pragma_quick_check(?1)")
            .and_then(|mut st| {
                st.query_map([&t], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()
            });
        match rows {
            Ok(rows) if rows.len() == 1 && rows[0] == "ok" => report.checked.push(t),
            Ok(rows) => {
                let mut detail = rows.iter().take(3).cloned().collect::<Vec<_>>().join("; ");
                if rows.len() > 3 {
                    detail += &format!("; and {} more", rows.len() - 3);
                }
                result = Err(corrupt(&t, detail));
            }
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::OperationInterrupted =>
            {
                report.unchecked.push(t)
            }
            Err(e) => result = Err(corrupt(&t, e.to_string())),
        }
    }
    conn.progress_handler(0, None::<fn() -> bool>)?;
    result.map(|()| report)
}

/// Copy the store in `dir` to `output` with `VACUUM INTO` (one read transaction: a
/// consistent copy while the collector keeps writing), then check the copy. Returns its size.
pub fn backup(dir: &Path, output: &Path) -> Result<u64, StoreError> {
    let db = dir.join("hardline.db");
    if !db.is_file() {
        return Err(StoreError::DataDir {
            path: db.display().to_string(),
            error: std::io::Error::new(std::io::ErrorKind::NotFound, "no store here"),
        });
    }
    // Created here, empty and owner-only (the store holds every host's report), so that
    // an existing file is never overwritten; VACUUM INTO fills an empty file.
    {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(output)
            .map_err(|error| StoreError::DataDir {
                path: output.display().to_string(),
                error,
            })?;
    }
    let conn = Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.execute("VACUUM INTO ?1", [output.to_string_lossy()])?;
    drop(conn);
    let mut copy = Connection::open_with_flags(output, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    check_integrity(&mut copy, output, std::time::Duration::from_secs(3600))?;
    std::fs::metadata(output)
        .map(|m| m.len())
        .map_err(|error| StoreError::DataDir {
            path: output.display().to_string(),
            error,
        })
}

/// A second connection for reads (WAL readers do not block the writer).
pub fn open_reader(dir: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(dir.join("hardline.db"))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "query_only", true)?;
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let known = MIGRATIONS.len() as i64;
    if found > known {
        return Err(StoreError::TooNew { found, known });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
        tracing::info!(version = i + 1, "Migrated the store.");
    }
    Ok(())
}

/// Rebuild the aggregates from the store.
pub fn load(conn: &Connection, aggs: &mut Aggregates, now: i64) -> Result<(), StoreError> {
    let names: HashMap<String, u32> = aggs
        .agencies
        .iter()
        .enumerate()
        .map(|(i, a)| (a.name.clone(), i as u32))
        .collect();
    {
        let mut ins = conn.prepare("INSERT OR IGNORE INTO agencies (name) VALUES (?1)")?;
        for n in names.keys() {
            ins.execute([n])?;
        }
    }
    let mut stmt = conn.prepare("SELECT name, reports_received FROM agencies")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let name: String = r.get(0)?;
        if let Some(&a) = names.get(&name) {
            aggs.agencies[a as usize].received_total = r.get::<_, i64>(1)?.max(0) as u64;
        }
    }
    let mut stmt = conn.prepare("SELECT idx, rule_id FROM rules ORDER BY idx")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let idx: i64 = r.get(0)?;
        let id: String = r.get(1)?;
        aggs.add_rule(idx as u32, &id);
    }
    let mut stmt = conn.prepare(
        "SELECT host_id, agency, hostname, report_id, finished_at, received_at, results FROM hosts",
    )?;
    let mut rows = stmt.query([])?;
    let mut skipped = 0u64;
    while let Some(r) = rows.next()? {
        let agency: String = r.get(1)?;
        let Some(&a) = names.get(&agency) else {
            skipped += 1;
            let blob: Vec<u8> = r.get(6)?;
            for c in Compact::decode(&blob) {
                aggs.pin_rule(c.rule);
            }
            continue;
        };
        let report_id: String = r.get(3)?;
        let blob: Vec<u8> = r.get(6)?;
        aggs.apply(
            HostUpdate {
                id: r.get(0)?,
                hostname: r.get(2)?,
                agency: a,
                report_id: uuid::Uuid::parse_str(&report_id).unwrap_or_default(),
                finished_at: r.get(4)?,
                received_at: r.get(5)?,
                results: Compact::decode(&blob),
            },
            now,
        );
    }
    // Rule ids no stored latest report has any more are forgotten; their indexes serve
    // new rule ids.
    aggs.reclaim_all();
    if skipped > 0 {
        tracing::warn!(
            hosts = skipped,
            "Hosts of agencies no longer configured are kept in the store but not counted."
        );
    }
    let mut stmt = conn.prepare(
        "SELECT agency, day, at, compliant, noncompliant, stale FROM daily ORDER BY day",
    )?;
    let mut rows = stmt.query([])?;
    let mut points = Vec::new();
    while let Some(r) = rows.next()? {
        let agency: String = r.get(0)?;
        if let Some(&a) = names.get(&agency) {
            points.push((
                a as usize,
                DayPoint {
                    day: r.get(1)?,
                    at: r.get(2)?,
                    compliant: r.get(3)?,
                    noncompliant: r.get(4)?,
                    stale: r.get(5)?,
                },
            ));
        }
    }
    aggs.record_daily(&points);
    aggs.sweep(now);
    Ok(())
}

/// What happened to an accepted report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Stored; `latest` when it became the host's latest report (an older, late report
    /// is kept in the history only).
    Stored {
        /// It is now the host's latest report.
        latest: bool,
        /// The report named a package list by digest only and the store lacks that list:
        /// the agent is asked to send it whole next time.
        inventory_wanted: bool,
    },
    /// This `report_id` was already stored: nothing changed.
    Duplicate,
    /// The report is no newer than the oldest report of the host's full history: it would
    /// be pruned at once, so it is not stored and not counted (a replay of a report already
    /// pruned lands here too, which keeps replays idempotent).
    OlderThanHistory,
}

/// Where a job's answer goes.
pub type Reply = oneshot::Sender<Result<Outcome, Rejection>>;

/// A validated report on its way to the store.
#[derive(Debug)]
pub struct IngestJob {
    /// Agency from the token.
    pub agency: u32,
    /// Report id.
    pub report_id: uuid::Uuid,
    /// Host id.
    pub host_id: String,
    /// Hostname.
    pub hostname: String,
    /// `finished_at`.
    pub finished_at: i64,
    /// Receive time.
    pub received_at: i64,
    /// Collapsed results.
    pub results: Vec<Collapsed>,
    /// The body as received, LZ4-compressed.
    pub body: Vec<u8>,
    /// The package inventory, when the report carries one.
    pub inventory: Option<crate::validate::InventoryIn>,
    /// Where to answer.
    pub reply: oneshot::Sender<Result<Outcome, Rejection>>,
}

/// Work for the writer thread.
#[derive(Debug)]
pub enum Job {
    /// Store a report.
    Ingest(Box<IngestJob>),
    /// Write today's burn-down point; answer when done.
    Snapshot(Option<oneshot::Sender<()>>),
    /// Persist the vulnerability engine's changes; answer when committed.
    Vulns(Box<VulnWrite>),
    /// Stop after the jobs already queued.
    Shutdown,
}

/// What the writer needs from the running collector. [`crate::App`] implements it, so the
/// store does not depend on the application that owns it.
pub trait WriterContext: Send + Sync {
    /// Now, Unix seconds (the collector's clock).
    fn now(&self) -> i64;
    /// The configuration.
    fn config(&self) -> &Config;
    /// The aggregates, updated after every commit.
    fn lock_aggs(&self) -> MutexGuard<'_, Aggregates>;
    /// The outcome of the last write: `Some(why)` when it failed, `None` when it committed.
    fn store_health(&self, fault: Option<String>);
    /// Hosts whose latest report carried an inventory, after their commit.
    fn inventories(&self, changed: Vec<HostInventory>);
}

/// A host's inventory as stored, handed to the vulnerability engine after the commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostInventory {
    /// Host id.
    pub host_id: String,
    /// Agency index.
    pub agency: u32,
    /// Hostname.
    pub hostname: String,
    /// Package list digest.
    pub digest: String,
    /// OSV ecosystem.
    pub ecosystem: String,
    /// `dpkg` or `rpm`.
    pub format: String,
    /// Kernels, JSON.
    pub kernel: String,
    /// Exposure the agent reported.
    pub exposure: Option<String>,
    /// When it was stored.
    pub at: i64,
}

/// One closed finding, kept for time-to-fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixedRow {
    /// Host id.
    pub host_id: String,
    /// Agency name.
    pub agency: String,
    /// Hostname.
    pub hostname: String,
    /// Package.
    pub package: String,
    /// CVE.
    pub cve: String,
    /// In the KEV catalog.
    pub kev: bool,
    /// BOD 26-04 band.
    pub band: String,
    /// First seen (Unix seconds).
    pub first_seen: i64,
    /// Due (Unix seconds), when the band has a date.
    pub due: Option<i64>,
    /// Closed (Unix seconds).
    pub closed_at: i64,
    /// `upgraded` (a later inventory no longer matches) or `feed` (the feeds no longer
    /// list it for this version: withdrawn or corrected).
    pub reason: String,
}

/// The vulnerability engine's changes, written by the writer in one transaction.
#[derive(Debug, Default)]
pub struct VulnWrite {
    /// Hosts' open-finding state (encoded by the engine) to store.
    pub open: Vec<(String, Vec<u8>)>,
    /// Closed findings.
    pub fixed: Vec<FixedRow>,
    /// Answer when committed (`Err` with the reason when not).
    pub reply: Option<oneshot::Sender<Result<(), String>>>,
}

/// The writer thread's loop. Returns when a `Shutdown` arrives or every sender is gone.
pub fn writer(mut conn: Connection, app: Arc<dyn WriterContext>, mut rx: mpsc::Receiver<Job>) {
    loop {
        let Some(first) = rx.blocking_recv() else {
            return;
        };
        let mut batch = Vec::new();
        let mut snapshot = Vec::new();
        let mut vulns: Vec<VulnWrite> = Vec::new();
        let mut shutdown = false;
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                Job::Ingest(j) => batch.push(*j),
                Job::Snapshot(w) => snapshot.push(w),
                Job::Vulns(v) => vulns.push(*v),
                Job::Shutdown => shutdown = true,
            }
            if batch.len() < MAX_BATCH && !shutdown {
                next = rx.try_recv().ok();
            }
        }
        if !batch.is_empty() {
            commit_batch(&mut conn, &*app, batch);
        }
        for v in vulns {
            write_vulns(&mut conn, &*app, v);
        }
        if !snapshot.is_empty() || shutdown {
            if let Err(error) = write_snapshot(&mut conn, &*app) {
                tracing::error!(%error, "Could not write the daily snapshot.");
                app.store_health(Some(error.to_string()));
            }
            for w in snapshot.into_iter().flatten() {
                let _ = w.send(());
            }
        }
        if shutdown {
            // Answer what is still queued rather than dropping it silently.
            rx.close();
            let mut rest = Vec::new();
            while let Ok(job) = rx.try_recv() {
                if let Job::Ingest(j) = job {
                    rest.push(*j);
                }
            }
            if !rest.is_empty() {
                commit_batch(&mut conn, &*app, rest);
            }
            return;
        }
    }
}

fn write_vulns(conn: &mut Connection, app: &dyn WriterContext, mut v: VulnWrite) {
    let r = (|| -> Result<(), rusqlite::Error> {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut up = tx.prepare_cached(
                "INSERT INTO vuln_open (host_id, state) VALUES (?1, ?2)
                 ON CONFLICT (host_id) DO UPDATE SET state = excluded.state",
            )?;
            for (h, state) in &v.open {
                up.execute(params![h, state])?;
            }
            let mut ins = tx.prepare_cached(
                "INSERT INTO vuln_fixed (host_id, agency, hostname, package, cve, kev, band, first_seen, due, closed_at, reason)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?;
            for f in &v.fixed {
                ins.execute(params![
                    f.host_id,
                    f.agency,
                    f.hostname,
                    f.package,
                    f.cve,
                    f.kev,
                    f.band,
                    f.first_seen,
                    f.due,
                    f.closed_at,
                    f.reason
                ])?;
            }
        }
        tx.commit()
    })();
    match &r {
        Ok(()) => app.store_health(None),
        Err(e) => {
            tracing::error!(error = %e, "Could not store the vulnerability findings.");
            app.store_health(Some(e.to_string()));
        }
    }
    if let Some(reply) = v.reply.take() {
        let _ = reply.send(r.map_err(|e| e.to_string()));
    }
}

fn write_snapshot(conn: &mut Connection, app: &dyn WriterContext) -> Result<(), rusqlite::Error> {
    let now = app.now();
    let points = {
        let mut aggs = app.lock_aggs();
        aggs.sweep(now);
        aggs.daily_points(now)
    };
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Package lists no host names any more.
    tx.execute(
        "DELETE FROM inventories WHERE digest NOT IN (SELECT digest FROM host_inventory)",
        [],
    )?;
    {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO daily (agency, day, at, compliant, noncompliant, stale) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (agency, day) DO UPDATE SET at = excluded.at, compliant = excluded.compliant,
             noncompliant = excluded.noncompliant, stale = excluded.stale",
        )?;
        for (a, p) in &points {
            let name = &app.config().agencies[*a].name;
            stmt.execute(params![
                name.get_ref(),
                p.day,
                p.at,
                p.compliant,
                p.noncompliant,
                p.stale
            ])?;
        }
    }
    tx.commit()?;
    app.lock_aggs().record_daily(&points);
    Ok(())
}

/// What the batch needs to know about a host before writing.
#[derive(Clone, Copy)]
struct Prior {
    agency: u32,
    finished_at: i64,
}

/// What the batch needs to know about an agency's rules before writing.
struct AgencyRules {
    /// Distinct rules its hosts have now.
    in_use: usize,
    /// Rule indexes its hosts have now (only those the batch asks about).
    has: HashMap<u32, u32>,
    /// Rules the batch added for it so far.
    added: std::collections::HashSet<String>,
}

fn commit_batch(conn: &mut Connection, app: &dyn WriterContext, batch: Vec<IngestJob>) {
    let now = app.now();
    // Look up owners, rule indexes and the agencies' rules in use under one short lock.
    let (mut priors, known_rules, released, mut agency_rules, mut free, mut next_index) = {
        let aggs = app.lock_aggs();
        let mut priors: HashMap<String, Prior> = HashMap::new();
        let mut known: Vec<Vec<Option<u32>>> = Vec::with_capacity(batch.len());
        let mut released: Vec<usize> = Vec::with_capacity(batch.len());
        let mut agency_rules: HashMap<u32, AgencyRules> = HashMap::new();
        for j in &batch {
            let a = aggs.agencies.get(j.agency as usize);
            let ar = agency_rules.entry(j.agency).or_insert_with(|| AgencyRules {
                in_use: a.map_or(0, |a| a.rule_counts.in_use()),
                has: HashMap::new(),
                added: Default::default(),
            });
            let k: Vec<Option<u32>> = j.results.iter().map(|c| aggs.rule(&c.rule_id)).collect();
            for idx in k.iter().flatten() {
                ar.has
                    .entry(*idx)
                    .or_insert_with(|| a.map_or(0, |a| a.rule_counts.refs(*idx)));
            }
            // Rules only this host's current report has, that the new one drops.
            let mut rel = 0;
            if let Some(h) = aggs.host(&j.host_id) {
                priors.insert(
                    j.host_id.clone(),
                    Prior {
                        agency: h.agency,
                        finished_at: h.finished_at,
                    },
                );
                if h.agency == j.agency && j.finished_at >= h.finished_at {
                    let keep: std::collections::HashSet<u32> =
                        k.iter().flatten().copied().collect();
                    rel = h
                        .results
                        .iter()
                        .filter(|c| {
                            !keep.contains(&c.rule)
                                && a.is_some_and(|a| a.rule_counts.refs(c.rule) == 1)
                        })
                        .count();
                }
            }
            known.push(k);
            released.push(rel);
        }
        let free: Vec<u32> = aggs.free_rules().to_vec();
        (
            priors,
            known,
            released,
            agency_rules,
            free,
            aggs.rules.len() as u32,
        )
    };
    let max_rules = app.config().limits.max_rules;
    let history = i64::from(app.config().history_per_host);

    let mut tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => {
            tracing::error!(error = %e, "Could not begin a transaction.");
            app.store_health(Some(e.to_string()));
            for j in batch {
                let _ = j.reply.send(Err(Rejection::Unavailable(e.to_string())));
            }
            return;
        }
    };
    // New rule ids of this batch and the index each got (a freed one first).
    let mut new_rules: Vec<(String, u32)> = Vec::new();
    let mut new_rule_index: HashMap<String, u32> = HashMap::new();
    let mut updates: Vec<HostUpdate> = Vec::new();
    let mut received: Vec<u32> = Vec::new();
    let mut changed_inventories: Vec<HostInventory> = Vec::new();
    let mut answers: Vec<(Reply, Result<Outcome, Rejection>)> = Vec::with_capacity(batch.len());
    // A report SQLite could not store (the batch still commits the others): /healthz says so.
    let mut report_error: Option<String> = None;

    for ((j, known), released) in batch.into_iter().zip(known_rules).zip(released) {
        let prior = priors.get(&j.host_id).copied();
        if let Some(p) = prior {
            if p.agency != j.agency {
                answers.push((j.reply, Err(Rejection::HostOwned)));
                continue;
            }
        }
        // The agency's distinct rules after this report: limits.max_rules is per agency,
        // so one agency's rule ids never lock another agency out.
        let Some(ar) = agency_rules.get_mut(&j.agency) else {
            answers.push((j.reply, Err(Rejection::Unavailable("agency lookup".into()))));
            continue;
        };
        // A late report (not the host's latest) goes to the history only: its rules are
        // not counted (and its new rule ids are reclaimed after the commit).
        let latest = prior.is_none_or(|p| j.finished_at >= p.finished_at);
        let mut adds: Vec<String> = Vec::new();
        if latest {
            let mut seen: std::collections::HashSet<&str> = Default::default();
            for (c, k) in j.results.iter().zip(&known) {
                let has = k.is_some_and(|i| ar.has.get(&i).copied().unwrap_or(0) > 0);
                if !has && !ar.added.contains(&c.rule_id) && seen.insert(&c.rule_id) {
                    adds.push(c.rule_id.clone());
                }
            }
        }
        let after = (ar.in_use + ar.added.len() + adds.len()).saturating_sub(released);
        if !adds.is_empty() && after > max_rules {
            answers.push((j.reply, Err(Rejection::TooManyRules)));
            continue;
        }
        // Rule indexes, interning new rule ids.
        let rules_before = new_rules.len();
        let mut compact = Vec::with_capacity(j.results.len());
        for (c, k) in j.results.iter().zip(&known) {
            let idx = match k.as_ref().or_else(|| new_rule_index.get(&c.rule_id)) {
                Some(&i) => i,
                None => {
                    let i = free.pop().unwrap_or_else(|| {
                        next_index += 1;
                        next_index - 1
                    });
                    new_rules.push((c.rule_id.clone(), i));
                    new_rule_index.insert(c.rule_id.clone(), i);
                    i
                }
            };
            compact.push(Compact {
                rule: idx,
                sev: crate::agg::sev_u8(c.severity),
                bits: c.bits,
            });
        }
        let forget_rules = |new_rules: &mut Vec<(String, u32)>,
                            idx: &mut HashMap<String, u32>,
                            free: &mut Vec<u32>| {
            for (r, i) in new_rules.drain(rules_before..) {
                idx.remove(&r);
                free.push(i);
            }
        };
        let agency_name = app.config().agencies[j.agency as usize].name.get_ref();
        // Some(Ok(true)) stored, Some(Ok(false)) a replay, Some(Err(())) older than the
        // host's full history, None: the stored host belongs to another agency (the
        // savepoint is rolled back).
        let mut wanted = false;
        let result = (|| -> Result<Option<Result<bool, ()>>, rusqlite::Error> {
            let sp = tx.savepoint()?;
            // A report no newer than the oldest one a full history keeps would be pruned at
            // once: it changes nothing, so it is answered like a replay and not counted.
            // This keeps a replay of a report already pruned from the history idempotent
            // without remembering every report id forever.
            if prior.is_some() {
                let oldest_kept: Option<i64> = sp
                    .prepare_cached(OLDEST_KEPT)?
                    .query_row(params![j.host_id, history], |r| r.get(0))
                    .optional()?;
                if oldest_kept.is_some_and(|t| j.finished_at <= t) {
                    return Ok(Some(Err(())));
                }
            }
            let inserted = sp
                .prepare_cached(
                    "INSERT OR IGNORE INTO reports (report_id, host_id, agency, finished_at, received_at, body)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![
                    j.report_id.to_string(),
                    j.host_id,
                    agency_name,
                    j.finished_at,
                    j.received_at,
                    j.body
                ])?;
            if inserted == 0 {
                return Ok(Some(Ok(false)));
            }
            {
                // REPLACE: a reused index drops the forgotten rule id's row.
                let mut ins = sp.prepare_cached(
                    "INSERT OR REPLACE INTO rules (idx, rule_id) VALUES (?1, ?2)",
                )?;
                for (r, i) in &new_rules[rules_before..] {
                    ins.execute(params![i64::from(*i), r])?;
                }
            }
            if latest {
                // The WHERE makes the upsert refuse a cross-agency overwrite whatever path
                // reaches it (the owner check above uses the in-memory aggregates, which do
                // not hold hosts of agencies no longer configured).
                let upserted = sp.prepare_cached(
                    "INSERT INTO hosts (host_id, agency, hostname, first_seen, report_id, finished_at, received_at, results)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                     ON CONFLICT (host_id) DO UPDATE SET hostname = excluded.hostname,
                       report_id = excluded.report_id, finished_at = excluded.finished_at,
                       received_at = excluded.received_at, results = excluded.results
                     WHERE hosts.agency = excluded.agency",
                )?
                .execute(params![
                    j.host_id,
                    agency_name,
                    j.hostname,
                    j.received_at,
                    j.report_id.to_string(),
                    j.finished_at,
                    j.received_at,
                    Compact::encode(&compact)
                ])?;
                if upserted == 0 {
                    return Ok(None);
                }
                if let Some(inv) = &j.inventory {
                    match &inv.packages {
                        Some(list) => {
                            sp.prepare_cached(
                                "INSERT OR IGNORE INTO inventories (digest, format, count, packages, stored_at)
                                 VALUES (?1, ?2, ?3, ?4, ?5)",
                            )?
                            .execute(params![inv.digest, inv.format, inv.count, list, j.received_at])?;
                        }
                        None => {
                            wanted = sp
                                .prepare_cached("SELECT 1 FROM inventories WHERE digest = ?1")?
                                .query_row([&inv.digest], |_| Ok(()))
                                .optional()?
                                .is_none();
                        }
                    }
                    sp.prepare_cached(
                        "INSERT INTO host_inventory (host_id, agency, hostname, digest, ecosystem, format, kernel, exposure, updated_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                         ON CONFLICT (host_id) DO UPDATE SET hostname = excluded.hostname, digest = excluded.digest,
                           ecosystem = excluded.ecosystem, format = excluded.format, kernel = excluded.kernel,
                           exposure = excluded.exposure, updated_at = excluded.updated_at
                         WHERE host_inventory.digest IS NOT excluded.digest
                            OR host_inventory.hostname IS NOT excluded.hostname
                            OR host_inventory.ecosystem IS NOT excluded.ecosystem
                            OR host_inventory.format IS NOT excluded.format
                            OR host_inventory.kernel IS NOT excluded.kernel
                            OR host_inventory.exposure IS NOT excluded.exposure",
                    )?
                    .execute(params![
                        j.host_id,
                        agency_name,
                        j.hostname,
                        inv.digest,
                        inv.ecosystem,
                        inv.format,
                        inv.kernel,
                        inv.exposure,
                        j.received_at
                    ])?;
                }
            }
            // A host seen for the first time has one report: nothing to prune.
            if prior.is_some() {
                sp.prepare_cached(PRUNE)?
                    .execute(params![j.host_id, history])?;
            }
            sp.commit()?;
            Ok(Some(Ok(true)))
        })();
        match result {
            Ok(None) => {
                forget_rules(&mut new_rules, &mut new_rule_index, &mut free);
                answers.push((j.reply, Err(Rejection::HostOwned)));
            }
            Ok(Some(Ok(true))) => {
                if let Some(ar) = agency_rules.get_mut(&j.agency) {
                    ar.added.extend(adds);
                }
                priors.insert(
                    j.host_id.clone(),
                    Prior {
                        agency: j.agency,
                        finished_at: prior
                            .map_or(j.finished_at, |p| p.finished_at.max(j.finished_at)),
                    },
                );
                if let (true, Some(inv)) = (latest, &j.inventory) {
                    changed_inventories.push(HostInventory {
                        host_id: j.host_id.clone(),
                        agency: j.agency,
                        hostname: j.hostname.clone(),
                        digest: inv.digest.clone(),
                        ecosystem: inv.ecosystem.clone(),
                        format: inv.format.clone(),
                        kernel: inv.kernel.clone(),
                        exposure: inv.exposure.clone(),
                        at: j.received_at,
                    });
                }
                if latest {
                    updates.push(HostUpdate {
                        id: j.host_id,
                        hostname: j.hostname,
                        agency: j.agency,
                        report_id: j.report_id,
                        finished_at: j.finished_at,
                        received_at: j.received_at,
                        results: compact,
                    });
                }
                received.push(j.agency);
                answers.push((
                    j.reply,
                    Ok(Outcome::Stored {
                        latest,
                        inventory_wanted: wanted,
                    }),
                ));
            }
            Ok(Some(Ok(false))) => {
                forget_rules(&mut new_rules, &mut new_rule_index, &mut free);
                answers.push((j.reply, Ok(Outcome::Duplicate)));
            }
            Ok(Some(Err(()))) => {
                forget_rules(&mut new_rules, &mut new_rule_index, &mut free);
                answers.push((j.reply, Ok(Outcome::OlderThanHistory)));
            }
            Err(e) => {
                forget_rules(&mut new_rules, &mut new_rule_index, &mut free);
                tracing::error!(error = %e, report_id = %j.report_id, "Could not store a report.");
                report_error = Some(e.to_string());
                answers.push((j.reply, Err(Rejection::Unavailable(e.to_string()))));
            }
        }
    }

    // The accepted-report counters, once per agency per batch.
    let mut per_agency: HashMap<u32, i64> = HashMap::new();
    for a in &received {
        *per_agency.entry(*a).or_default() += 1;
    }
    let counted = per_agency.iter().try_for_each(|(a, n)| {
        tx.prepare_cached(
            "UPDATE agencies SET reports_received = reports_received + ?2 WHERE name = ?1",
        )?
        .execute(params![
            app.config().agencies[*a as usize].name.get_ref(),
            n
        ])
        .map(|_| ())
    });
    if let Err(e) = counted.and_then(|()| tx.commit()) {
        tracing::error!(error = %e, "Could not commit a batch.");
        app.store_health(Some(e.to_string()));
        for (reply, r) in answers {
            let r = match r {
                Ok(_) => Err(Rejection::Unavailable(e.to_string())),
                Err(x) => Err(x),
            };
            let _ = reply.send(r);
        }
        return;
    }
    app.store_health(report_error);
    {
        let mut aggs = app.lock_aggs();
        for (r, i) in &new_rules {
            aggs.add_rule(*i, r);
        }
        for u in updates {
            aggs.apply(u, now);
        }
        // New rule ids that only a late report had: nothing references them.
        aggs.reclaim(new_rules.iter().map(|(_, i)| *i));
        for a in received {
            if let Some(agg) = aggs.agencies.get_mut(a as usize) {
                agg.received_total += 1;
            }
        }
    }
    if !changed_inventories.is_empty() {
        app.inventories(changed_inventories);
    }
    for (reply, r) in answers {
        let _ = reply.send(r);
    }
}

/// The stored body of `report_id` (decompressed JSON).
pub fn report_body(conn: &Connection, report_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
    let blob: Option<Vec<u8>> = conn
        .query_row(
            "SELECT body FROM reports WHERE report_id = ?1",
            [report_id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(blob.and_then(|b| lz4_flex::decompress_size_prepended(&b).ok()))
}

/// A host's stored reports, newest first: `(report_id, finished_at, received_at)`.
pub fn history(conn: &Connection, host_id: &str) -> Result<Vec<(String, i64, i64)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT report_id, finished_at, received_at FROM reports WHERE host_id = ?1
         ORDER BY finished_at DESC, received_at DESC",
    )?;
    let rows = stmt.query_map([host_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn integrity_check_passes_a_sound_store_and_stops_at_its_budget() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = open(dir.path()).unwrap();
        add(&c, "r1", "h1", 1, 1);
        let path = dir.path().join("hardline.db");
        let r = check_integrity(&mut c, &path, std::time::Duration::from_secs(60)).unwrap();
        assert!(r.unchecked.is_empty(), "{r:?}");
        const TABLES: [&str; 9] = [
            "agencies",
            "rules",
            "hosts",
            "reports",
            "daily",
            "inventories",
            "host_inventory",
            "vuln_open",
            "vuln_fixed",
        ];
        for t in TABLES {
            assert!(r.checked.iter().any(|c| c == t), "{t} in {r:?}");
        }
        // No time at all: nothing is checked, and nothing is called damaged.
        let r = check_integrity(&mut c, &path, std::time::Duration::ZERO).unwrap();
        assert!(r.checked.is_empty(), "{r:?}");
        assert_eq!(r.unchecked.len(), TABLES.len(), "{r:?}");
    }

    fn store() -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        migrate(&mut c).unwrap();
        c
    }

    fn add(c: &Connection, id: &str, host: &str, finished: i64, received: i64) {
        c.execute(
            "INSERT INTO reports (report_id, host_id, agency, finished_at, received_at, body)
             VALUES (?1, ?2, 'A', ?3, ?4, x'')",
            params![id, host, finished, received],
        )
        .unwrap();
    }

    fn kept(c: &Connection, host: &str) -> Vec<String> {
        history(c, host)
            .unwrap()
            .into_iter()
            .map(|(id, _, _)| id)
            .collect()
    }

    #[test]
    fn prune_keeps_the_newest_reports_of_one_host_ties_broken_by_arrival() {
        let c = store();
        // Host h: an old one, three with the same finished_at (one received later), a
        // late arrival of an old scan, and the newest. Host g must not be touched.
        add(&c, "old", "h", 100, 100);
        add(&c, "tie1", "h", 200, 300);
        add(&c, "tie2", "h", 200, 300);
        add(&c, "tie3-later", "h", 200, 400);
        add(&c, "late-old", "h", 150, 500);
        add(&c, "new", "h", 300, 300);
        add(&c, "g1", "g", 50, 50);
        add(&c, "g2", "g", 60, 60);
        let history: i64 = 3;
        let deleted = c.execute(PRUNE, params!["h", history]).unwrap();
        assert_eq!(deleted, 3);
        // Newest first: finished_at, then received_at, then arrival (tie2 after tie1).
        assert_eq!(kept(&c, "h"), ["new", "tie3-later", "tie2"]);
        assert_eq!(kept(&c, "g").len(), 2);
        // Fewer than `history` reports: nothing happens.
        assert_eq!(c.execute(PRUNE, params!["g", history]).unwrap(), 0);
        assert_eq!(c.execute(PRUNE, params!["h", history]).unwrap(), 0);
        // history = 1 keeps exactly the newest.
        assert_eq!(c.execute(PRUNE, params!["h", 1]).unwrap(), 2);
        assert_eq!(kept(&c, "h"), ["new"]);
    }

    #[test]
    fn prune_walks_the_host_index_without_a_temporary_b_tree() {
        let c = store();
        let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {PRUNE}")).unwrap();
        let plan: Vec<String> = stmt
            .query_map(params!["h", 2], |r| r.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let plan = plan.join("\n");
        assert!(plan.contains("reports_by_host"), "{plan}");
        // `IN (SELECT …)` shows as LIST SUBQUERY (a temporary table), a sort as TEMP B-TREE.
        assert!(
            !plan.contains("LIST SUBQUERY") && !plan.contains("TEMP B-TREE"),
            "{plan}"
        );
    }
}
