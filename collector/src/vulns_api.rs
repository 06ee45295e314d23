//! Read API of the fleet's known vulnerabilities (viewer token, on `read_listen`):
//!
//! - `GET /api/v1/feeds`: the feeds in force (source, version/date, records), when they
//!   were loaded, how long matching the fleet took, and why the last load failed.
//! - `GET /api/v1/vulnerabilities`: one item per host × finding, KEV first, then overdue,
//!   band and due date. Filters `agency`, `kev` (`true`/`false`), `band` (`3d`, `14d`,
//!   `60d`, `next_upgrade`), `overdue` (`true`/`false`), `cve`, `package`, `host` (id);
//!   `page`, `per_page` (1–1000, default 100).
//! - `GET /api/v1/vulnerabilities.csv`: the same filters, every row (no pagination), for
//!   ticketing systems. Cells that a spreadsheet would run as a formula are prefixed `'`.
//! - `GET /api/v1/exposure`: the exposure overrides in force (who set each, when, why, and
//!   how many hosts it applies to) and, per agency, hosts by exposure and its source.
//! - `GET /api/v1/vulnerabilities/time_to_fix`: per agency and KEV status, findings closed
//!   by an upgrade: count, median and 90th percentile days from first seen, and how many
//!   closed by their due date.
//!
//! More than [`MAX_ROWS`] matching findings is `413 too_many_rows`: narrow the filters.
//!
//! While no feeds are loaded the answers say so (`feeds: null`, a `warning`): no findings
//! then means *unknown*, never *none*.

use crate::api::{bad_query, paginate, read_auth};
use crate::auth::Principal;
use crate::config::fmt_time;
use crate::exposure::{Override, Source};
use crate::http::error_response;
use crate::vulns::Vulns;
use crate::App;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use hardline_agent::report::Vulnerability;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

/// The routes (merged into the read router by the server).
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/api/v1/feeds", get(feeds))
        .route("/api/v1/vulnerabilities", get(list))
        .route("/api/v1/vulnerabilities.csv", get(csv))
        .route("/api/v1/vulnerabilities/time_to_fix", get(time_to_fix))
        .route("/api/v1/exposure", get(exposure))
        .with_state(app)
}

/// Most rows one list or CSV answer collects (before pagination): a fleet-wide query with
/// no filter can match 100 million findings, which no answer should hold in memory.
pub const MAX_ROWS: usize = 1_000_000;

const NO_FEEDS: &str = "no vulnerability feeds are loaded: findings are unknown, not zero (hardline-collector feeds import, or feeds_dir)";

async fn feeds(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    if let Err(r) = read_auth(&app, &headers) {
        return *r;
    }
    let v = app.vulns();
    let f = v.feeds.as_ref();
    Json(json!({
        "loaded": f.is_some(),
        "feeds": f.map(|f| &f.infos),
        "signature": f.map(|f| &f.signature),
        "loaded_at": f.map(|f| fmt_time(f.loaded_at)),
        "match_seconds": f.map(|f| f.match_seconds),
        "inventories": f.map(|f| f.inventories),
        "hosts_with_inventory": v.hosts.len(),
        "error": v.feeds_error,
        "bod_26_04_table_verified": v.table_verified,
        "warning": f.is_none().then_some(NO_FEEDS),
    }))
    .into_response()
}

/// The filters of the list and the CSV.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Filters {
    agency: Option<String>,
    kev: Option<bool>,
    band: Option<String>,
    overdue: Option<bool>,
    cve: Option<String>,
    package: Option<String>,
    host: Option<String>,
    page: Option<usize>,
    per_page: Option<usize>,
}

/// One row: a host and one of its findings.
struct Row {
    agency: String,
    host_id: String,
    hostname: String,
    first_seen: i64,
    v: Vulnerability,
    source: Source,
    over: Option<Override>,
}

/// Who set a host's exposure override, when and why (`null` without one).
fn override_json(o: Option<&Override>) -> serde_json::Value {
    o.map_or(serde_json::Value::Null, |o| {
        json!({
            "host": o.host,
            "exposure": o.exposure.as_str(),
            "set_by": o.set_by,
            "set_at": fmt_time(o.set_at),
            "reason": o.reason,
            "line": o.line,
        })
    })
}

/// The agency `name` names, when the token may read it; 404 otherwise.
fn agency_scope(
    names: &[&str],
    p: &Principal,
    name: Option<&str>,
) -> Result<Option<usize>, Box<Response>> {
    match name {
        None => Ok(None),
        Some(n) => match names.iter().position(|x| *x == n) {
            Some(i) if p.may_read(i) => Ok(Some(i)),
            _ => Err(Box::new(error_response(
                404,
                &format!("no agency {n:?} visible to this token"),
                "not_found",
            ))),
        },
    }
}

/// Which of the sorted matching rows to build.
enum Window {
    /// Every row (the CSV).
    All,
    /// One page (the list).
    Page(Option<usize>, Option<usize>),
}

/// Authenticate, parse the filters, and hand the rows of `window` to `emit` in order: what
/// the list and the CSV share. Returns the filters, how many rows match, the page and its
/// size, and whether feeds are loaded.
fn filtered(
    app: &App,
    headers: &HeaderMap,
    q: Result<Query<Filters>, QueryRejection>,
    window: Window,
    emit: &mut dyn FnMut(Row),
) -> Result<(Filters, usize, usize, usize, bool), Box<Response>> {
    let p = read_auth(app, headers)?;
    let Query(f) = q.map_err(|e| Box::new(bad_query(e)))?;
    let (total, page, per_page, loaded) = rows(app, &p, &f, window, emit)?;
    Ok((f, total, page, per_page, loaded))
}

/// A matching row before it is built: its sort key, borrowed, and where its finding is.
struct Hit<'a> {
    key: (
        bool,
        bool,
        usize,
        Option<time::Date>,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
    ),
    id: &'a str,
    agency: usize,
    host: &'a crate::vulns::HostVulns,
    index: usize,
}

fn rows(
    app: &App,
    p: &Principal,
    f: &Filters,
    window: Window,
    emit: &mut dyn FnMut(Row),
) -> Result<(usize, usize, usize, bool), Box<Response>> {
    let names = app.config.agency_names();
    let agency = agency_scope(&names, p, f.agency.as_deref())?;
    if let Some(b) = f.band.as_deref() {
        if !crate::vulns::BANDS.iter().any(|x| x.as_str() == b) {
            return Err(Box::new(error_response(
                400,
                &format!("unknown band {b:?}; choose from: 3d, 14d, 60d, next_upgrade"),
                "bad_query",
            )));
        }
    }
    let v: std::sync::MutexGuard<'_, Vulns> = app.vulns();
    let today = v
        .today
        .unwrap_or_else(|| time::OffsetDateTime::now_utc().date());
    let band_rank = |b: hardline_agent::vuln::bod::Band| {
        crate::vulns::BANDS
            .iter()
            .position(|x| *x == b)
            .unwrap_or(9)
    };
    // Pass 1: the matching rows as sort keys (no copy of any finding).
    let mut hits: Vec<Hit<'_>> = Vec::new();
    for (id, h) in &v.hosts {
        let a = h.agency as usize;
        if !p.may_read(a) || agency.is_some_and(|x| x != a) {
            continue;
        }
        if f.host.as_deref().is_some_and(|x| x != &**id) {
            continue;
        }
        let exposure = h.exposure();
        for (index, (k, t)) in h
            .matched
            .findings
            .iter()
            .zip(h.first_seen.iter())
            .enumerate()
        {
            if !(f.kev.is_none_or(|x| x == k.v.kev.is_some())
                && f.cve
                    .as_deref()
                    .is_none_or(|x| x.eq_ignore_ascii_case(&k.v.cve))
                && f.package.as_deref().is_none_or(|x| x == k.v.package))
            {
                continue;
            }
            let (band, _, due, overdue) = crate::vulns::clock_facts(k, t, exposure, today);
            if !(f.band.as_deref().is_none_or(|b| b == band.as_str())
                && f.overdue.is_none_or(|o| o == overdue))
            {
                continue;
            }
            if hits.len() >= MAX_ROWS {
                return Err(Box::new(error_response(
                    413,
                    &format!(
                        "more than {MAX_ROWS} findings match: narrow the filters (agency, kev, band, overdue, cve, package, host)"
                    ),
                    "too_many_rows",
                )));
            }
            hits.push(Hit {
                key: (
                    k.v.kev.is_none(),
                    !overdue,
                    band_rank(band),
                    due,
                    &k.v.cve,
                    names.get(a).copied().unwrap_or("?"),
                    &h.hostname,
                    &k.v.package,
                ),
                id,
                agency: a,
                host: h,
                index,
            });
        }
    }
    hits.sort_unstable_by(|x, y| x.key.cmp(&y.key));
    let (total, page, per_page, hits) = match window {
        Window::All => (hits.len(), 1, hits.len(), hits),
        Window::Page(page, per_page) => paginate(hits, page, per_page),
    };
    // Pass 2: build the rows asked for.
    for hit in hits {
        let h = hit.host;
        let Some((k, t)) = h
            .matched
            .findings
            .get(hit.index)
            .zip(h.first_seen.get(hit.index))
        else {
            continue;
        };
        let mut vuln = k.v.clone();
        vuln.exposure = h.exposure().as_str().to_string();
        vuln.bod_26_04 = crate::vulns::clock(k, t, h.exposure(), today);
        vuln.fix_available = None;
        emit(Row {
            agency: names.get(hit.agency).copied().unwrap_or("?").to_string(),
            host_id: hit.id.to_string(),
            hostname: h.hostname.to_string(),
            first_seen: t,
            v: vuln,
            source: h.exposure_source().1,
            over: h.exposure_override.clone(),
        });
    }
    Ok((total, page, per_page, v.feeds.is_some()))
}

async fn list(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    q: Result<Query<Filters>, QueryRejection>,
) -> Response {
    let (page, per_page) = match &q {
        Ok(Query(f)) => (f.page, f.per_page),
        Err(_) => (None, None),
    };
    let mut rows = Vec::new();
    let (_, total, page, per_page, loaded) =
        match filtered(&app, &headers, q, Window::Page(page, per_page), &mut |r| {
            rows.push(r)
        }) {
            Ok(r) => r,
            Err(r) => return *r,
        };
    let items: Vec<serde_json::Value> = rows
        .into_iter()
        .map(|r| {
            let mut v = serde_json::to_value(&r.v).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("agency".into(), json!(r.agency));
                o.insert("host_id".into(), json!(r.host_id));
                o.insert("hostname".into(), json!(r.hostname));
                o.insert("first_seen".into(), json!(fmt_time(r.first_seen)));
                o.insert("exposure_source".into(), json!(r.source.as_str()));
                o.insert("exposure_override".into(), override_json(r.over.as_ref()));
            }
            v
        })
        .collect();
    Json(json!({
        "total": total,
        "page": page,
        "per_page": per_page,
        "feeds_loaded": loaded,
        "warning": (!loaded).then_some(NO_FEEDS),
        "vulnerabilities": items,
    }))
    .into_response()
}

/// One CSV cell (RFC 4180 quoting; a leading `= + - @` or tab is prefixed `'` so that a
/// spreadsheet shows it rather than running it).
fn cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The CSV columns.
pub const CSV_HEADER: &str = "agency,host_id,hostname,cve,package,installed_version,fixed_version,advisory,kev,kev_date_added,kev_due_date,known_ransomware_campaign_use,band,due,overdue,forensic_triage,clock_start,first_seen,exposure,exploitation,automatable,technical_impact,table_verified,exposure_source,exposure_set_by,exposure_set_at";

async fn csv(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    q: Result<Query<Filters>, QueryRejection>,
) -> Response {
    let mut out = String::with_capacity(4096);
    out.push_str(CSV_HEADER);
    out.push_str("\r\n");
    let mut line = |r: Row| {
        let v = &r.v;
        let kev = v.kev.as_ref();
        let o = |x: &Option<String>| x.clone().unwrap_or_default();
        let fields: Vec<String> = vec![
            r.agency,
            r.host_id,
            r.hostname,
            v.cve.clone(),
            v.package.clone(),
            v.installed_version.clone(),
            o(&v.fixed_version),
            v.advisory.clone(),
            kev.is_some().to_string(),
            kev.map(|k| k.date_added.clone()).unwrap_or_default(),
            kev.map(|k| k.due_date.clone()).unwrap_or_default(),
            kev.map(|k| k.known_ransomware_campaign_use.clone())
                .unwrap_or_default(),
            v.bod_26_04.band.clone(),
            o(&v.bod_26_04.due),
            v.bod_26_04.overdue.to_string(),
            v.bod_26_04.forensic_triage.to_string(),
            v.bod_26_04.clock_start.clone(),
            fmt_time(r.first_seen),
            v.exposure.clone(),
            o(&v.ssvc.exploitation),
            o(&v.ssvc.automatable),
            o(&v.ssvc.technical_impact),
            v.bod_26_04.table_verified.to_string(),
            r.source.as_str().to_string(),
            r.over
                .as_ref()
                .map(|o| o.set_by.clone())
                .unwrap_or_default(),
            r.over
                .as_ref()
                .map(|o| fmt_time(o.set_at))
                .unwrap_or_default(),
        ];
        let line: Vec<String> = fields.iter().map(|s| cell(s)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    };
    let (_, _, _, _, loaded) = match filtered(&app, &headers, q, Window::All, &mut line) {
        Ok(r) => r,
        Err(r) => return *r,
    };
    if !loaded {
        return error_response(503, NO_FEEDS, "no_feeds");
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"hardline-vulnerabilities.csv\"",
            ),
        ],
        out,
    )
        .into_response()
}

/// The query of the endpoints that take only `agency`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AgencyQuery {
    agency: Option<String>,
}

/// Authenticate and read `?agency=`: the token, and the agency it names (when it may
/// read it).
fn agency_query(
    app: &App,
    headers: &HeaderMap,
    q: Result<Query<AgencyQuery>, QueryRejection>,
) -> Result<(Principal, Option<usize>), Box<Response>> {
    let p = read_auth(app, headers)?;
    let Query(q) = q.map_err(|e| Box::new(bad_query(e)))?;
    let only = agency_scope(&app.config.agency_names(), &p, q.agency.as_deref())?;
    Ok((p, only))
}

async fn exposure(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    q: Result<Query<AgencyQuery>, QueryRejection>,
) -> Response {
    let (p, only) = match agency_query(&app, &headers, q) {
        Ok(r) => r,
        Err(r) => return *r,
    };
    let names = app.config.agency_names();
    let visible = |a: usize| p.may_read(a) && only.is_none_or(|x| x == a);
    let overrides = app.overrides();
    // Per agency: hosts by (exposure, source); per override line: hosts it applies to.
    let mut counts = vec![std::collections::BTreeMap::<(&str, &str), u64>::new(); names.len()];
    let mut applied = std::collections::HashMap::<(usize, usize), u64>::new();
    {
        let v = app.vulns();
        for h in v.hosts.values() {
            let a = h.agency as usize;
            if !visible(a) {
                continue;
            }
            let (e, src) = h.exposure_source();
            if let Some(c) = counts.get_mut(a) {
                *c.entry((e.as_str(), src.as_str())).or_default() += 1;
            }
            if let Some(o) = &h.exposure_override {
                *applied.entry((a, o.line)).or_default() += 1;
            }
        }
    }
    let list: Vec<serde_json::Value> = overrides
        .list
        .iter()
        .filter(|o| visible(o.agency))
        .map(|o| {
            let mut j = override_json(Some(o));
            if let Some(m) = j.as_object_mut() {
                m.insert("agency".into(), json!(names.get(o.agency)));
                m.insert(
                    "hosts".into(),
                    json!(applied.get(&(o.agency, o.line)).copied().unwrap_or(0)),
                );
            }
            j
        })
        .collect();
    let agencies: Vec<serde_json::Value> = names
        .iter()
        .enumerate()
        .filter(|(i, _)| visible(*i))
        .map(|(i, n)| {
            let by: Vec<serde_json::Value> = counts[i]
                .iter()
                .map(|((e, s), c)| json!({"exposure": e, "source": s, "hosts": c}))
                .collect();
            json!({"agency": n, "hosts": by})
        })
        .collect();
    Json(json!({
        "configured": app.config.exposure_file.is_some(),
        "overrides": list,
        "agencies": agencies,
    }))
    .into_response()
}

/// Nearest-rank percentile of sorted `xs`.
fn percentile(xs: &[f64], p: f64) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * xs.len() as f64).ceil().max(1.0) as usize;
    xs.get(rank - 1).copied()
}

async fn time_to_fix(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    q: Result<Query<AgencyQuery>, QueryRejection>,
) -> Response {
    let (p, only) = match agency_query(&app, &headers, q) {
        Ok(r) => r,
        Err(r) => return *r,
    };
    let names = app.config.agency_names();
    let app2 = app.clone();
    let read = tokio::task::spawn_blocking(move || {
        let conn = app2.lock_reader();
        let mut s = conn.prepare_cached(
            "SELECT agency, kev, first_seen, due, closed_at FROM vuln_fixed WHERE reason = 'upgraded'",
        )?;
        let rows = s.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, bool>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, Option<i64>>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })?;
        rows.collect::<Result<Vec<_>, rusqlite::Error>>()
    })
    .await;
    let rows = match read {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            return error_response(503, &format!("store unavailable: {e}"), "unavailable")
        }
        Err(e) => return error_response(500, &format!("internal error: {e}"), "internal"),
    };
    let mut out = Vec::new();
    for (i, name) in names.iter().enumerate() {
        if !p.may_read(i) || only.is_some_and(|x| x != i) {
            continue;
        }
        for kev in [true, false] {
            let mine: Vec<_> = rows.iter().filter(|r| r.0 == *name && r.1 == kev).collect();
            let mut days: Vec<f64> = mine
                .iter()
                .map(|r| (r.4 - r.2).max(0) as f64 / 86400.0)
                .collect();
            days.sort_by(f64::total_cmp);
            // Due is a date: closed any time that day is on time.
            let on_time = mine
                .iter()
                .filter(|r| r.3.is_none_or(|d| r.4 < d + 86400))
                .count();
            out.push(json!({
                "agency": name,
                "kev": kev,
                "fixed": mine.len(),
                "median_days": percentile(&days, 50.0),
                "p90_days": percentile(&days, 90.0),
                "on_time": on_time,
            }));
        }
    }
    Json(json!({ "time_to_fix": out })).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_never_formulas() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("-1"), "'-1");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("line\nbreak"), "\"line\nbreak\"");
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let xs = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        assert_eq!(percentile(&xs, 50.0), Some(5.0));
        assert_eq!(percentile(&xs, 90.0), Some(9.0));
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&[3.0], 90.0), Some(3.0));
    }
}
