//! HTTP routes: ingest (on `listen`) and read (on `read_listen`).
//!
//! Every refusal is JSON: `{"error": "<sentence>", "reason": "<short_reason>"}`
//! ([`crate::http::error_response`]).
//! Ingest answers `201 Created` for a newly stored report and `200 OK` when nothing
//! changes: a replay of a `report_id` already stored, or a report no newer than the oldest
//! one of the host's full history (it would be pruned at once, so a replay of a pruned
//! report is idempotent too: not stored, not counted); both carry
//! `{"report_id", "agency", "duplicate", "latest", "stored"}`, plus `"inventory_wanted": true`
//! when the report named its package list by digest only and the store lacks that list. Refused reports increment
//! `hardline_reports_rejected_total{reason}`; refused reads are not reports and are not
//! counted there.

use crate::agg::{Aggregates, Class, HostState};
use crate::auth::{bearer, Principal};
use crate::config::{fmt_time, Role};
use crate::http::error_response;
use crate::store::{IngestJob, Job, Outcome};
use crate::summary::Summary;
use crate::validate::{parse, validate, Rejection};
use crate::App;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use http_body_util::BodyExt;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

fn rejection_response(r: &Rejection) -> Response {
    let mut resp = error_response(r.status(), &r.message(), r.reason());
    if let Some(s) = r.retry_after() {
        if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    resp
}

/// The ingest router (`listen`).
pub fn ingest_router(app: Arc<App>) -> Router {
    Router::new()
        .route("/api/v1/reports", post(ingest))
        .route("/healthz", get(ingest_healthz))
        .fallback(not_found)
        .with_state(app)
}

/// State of the read router.
#[derive(Clone)]
pub struct ReadState {
    app: Arc<App>,
    registry: prometheus::Registry,
}

/// The read router (`read_listen`).
pub fn read_router(app: Arc<App>) -> Result<Router, prometheus::Error> {
    let registry = crate::metrics::registry(app.clone())?;
    Ok(Router::new()
        .route("/", get(status_page))
        .route("/metrics", get(metrics))
        .route("/healthz", get(read_healthz))
        .route("/api/v1/summary", get(summary))
        .route("/api/v1/hosts", get(list_hosts))
        .route("/api/v1/hosts/{id}", get(host_detail))
        .route("/api/v1/rules/{rule_id}/failing", get(rule_failing))
        .route("/api/v1/waivers", get(list_waivers))
        .fallback(not_found)
        .with_state(ReadState { app, registry }))
}

/// `ok` while the store can write; `503` with the reason after a write failed, until one
/// succeeds (a full disk, a damaged page, a lock held by another process).
fn healthz(app: &App) -> Response {
    match app.store_fault() {
        None => "ok\n".into_response(),
        Some(why) => error_response(
            503,
            &format!("the store cannot write: {why}"),
            "unavailable",
        ),
    }
}

async fn ingest_healthz(State(app): State<Arc<App>>) -> Response {
    healthz(&app)
}

async fn read_healthz(State(s): State<ReadState>) -> Response {
    healthz(&s.app)
}

async fn not_found() -> Response {
    error_response(404, "no such endpoint", "not_found")
}

fn authenticate(app: &App, headers: &HeaderMap, role: Role) -> Result<Principal, Rejection> {
    let token = match bearer(headers.get(header::AUTHORIZATION).map(|v| v.as_bytes())) {
        Some(t) => t,
        None => return Err(Rejection::MissingToken),
    };
    let p = app.tokens.lookup(token).ok_or(Rejection::UnknownToken)?;
    if p.role != role {
        return Err(Rejection::WrongRole);
    }
    app.limiter.check(p.token).map_err(Rejection::RateLimited)?;
    Ok(p)
}

async fn ingest(State(app): State<Arc<App>>, headers: HeaderMap, body: Body) -> Response {
    match ingest_inner(&app, &headers, body).await {
        Ok((status, v)) => (status, Json(v)).into_response(),
        Err(r) => {
            app.reject(&r);
            if r.status() >= 500 {
                tracing::warn!(reason = r.reason(), error = %r.message(), "Refused a report.");
            } else {
                tracing::debug!(reason = r.reason(), error = %r.message(), "Refused a report.");
            }
            rejection_response(&r)
        }
    }
}

/// Read and discard what the client is still sending (at most `max` bytes, for at most
/// 2 s) before a refusal is answered. Closing a connection with unread bytes in its receive
/// buffer makes the kernel send a reset, which can destroy the answer before the client
/// reads it: the agent then sees "error writing a body", not the 401 or 429 and its reason.
async fn drain(body: Body, max: u64) {
    use http_body_util::BodyExt;
    let limited = http_body_util::Limited::new(body, usize::try_from(max).unwrap_or(usize::MAX));
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), limited.collect()).await;
}

async fn ingest_inner(
    app: &App,
    headers: &HeaderMap,
    body: Body,
) -> Result<(StatusCode, serde_json::Value), Rejection> {
    let max = app.config.limits.max_body_bytes;
    let p = match authenticate(app, headers, Role::Agent) {
        Ok(p) => p,
        Err(r) => {
            drain(body, max).await;
            return Err(r);
        }
    };
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        if len > max {
            return Err(Rejection::TooLarge);
        }
    }
    let limited = http_body_util::Limited::new(body, usize::try_from(max).unwrap_or(usize::MAX));
    let bytes = match limited.collect().await {
        Ok(c) => c.to_bytes(),
        Err(e) => {
            if e.is::<http_body_util::LengthLimitError>() {
                return Err(Rejection::TooLarge);
            }
            return Err(Rejection::MalformedJson(format!(
                "cannot read the body: {e}"
            )));
        }
    };
    let now = app.clock.now();
    crate::validate::check_shape(&bytes, app.config.limits.max_string_bytes)?;
    let report = parse(&bytes)?;
    let results = validate(&report, &app.config.limits, now)?;
    let inventory = crate::validate::inventory(&report)?;
    // Fast refusal of a hijack; the writer checks again authoritatively.
    if let Some(h) = app.lock_aggs().host(&report.host.id) {
        if h.agency as usize != p.agency {
            return Err(Rejection::HostOwned);
        }
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job = IngestJob {
        agency: p.agency as u32,
        report_id: report.report_id,
        host_id: report.host.id.clone(),
        hostname: report.host.hostname.clone(),
        finished_at: report.finished_at.unix_timestamp(),
        received_at: now,
        results,
        body: lz4_flex::compress_prepend_size(&bytes),
        inventory,
        reply: tx,
    };
    app.submit(Job::Ingest(Box::new(job))).await?;
    let outcome = rx
        .await
        .map_err(|_| Rejection::Unavailable("the writer dropped the report".into()))??;
    let agency = app.config.agencies[p.agency].name.get_ref();
    let (status, duplicate, latest, stored, wanted) = match outcome {
        Outcome::Stored {
            latest,
            inventory_wanted,
        } => (StatusCode::CREATED, false, latest, true, inventory_wanted),
        Outcome::Duplicate => (StatusCode::OK, true, false, true, false),
        Outcome::OlderThanHistory => (StatusCode::OK, false, false, false, false),
    };
    let mut answer = json!({"report_id": report.report_id, "agency": agency, "duplicate": duplicate, "latest": latest, "stored": stored});
    if wanted {
        answer["inventory_wanted"] = json!(true);
    }
    Ok((status, answer))
}

pub(crate) fn read_auth(app: &App, headers: &HeaderMap) -> Result<Principal, Box<Response>> {
    authenticate(app, headers, Role::Viewer).map_err(|r| Box::new(rejection_response(&r)))
}

/// Pagination: `page` from 1, `per_page` 1..=1000 (default 100).
pub(crate) fn paginate<T>(
    items: Vec<T>,
    page: Option<usize>,
    per_page: Option<usize>,
) -> (usize, usize, usize, Vec<T>) {
    let per_page = per_page.unwrap_or(100).clamp(1, 1000);
    let page = page.unwrap_or(1).max(1);
    let total = items.len();
    let start = (page - 1).saturating_mul(per_page).min(total);
    let items = items.into_iter().skip(start).take(per_page).collect();
    (total, page, per_page, items)
}

pub(crate) fn bad_query(e: QueryRejection) -> Response {
    error_response(400, &format!("bad query: {}", e.body_text()), "bad_query")
}

fn host_json(aggs: &Aggregates, h: &HostState, now: i64) -> serde_json::Value {
    let (blocking, waived) = aggs.blocking(h, now);
    json!({
        "id": &*h.id,
        "hostname": &*h.hostname,
        "agency": aggs.agencies.get(h.agency as usize).map(|a| a.name.as_str()),
        "state": h.class.as_str(),
        "report_id": h.report_id,
        "finished_at": fmt_time(h.finished_at),
        "received_at": fmt_time(h.received_at),
        "blocking": blocking,
        "waived": waived.iter().map(|(r, w)| json!({"rule_id": r, "waiver": w})).collect::<Vec<_>>(),
    })
}

fn agency_filter(
    aggs: &Aggregates,
    p: &Principal,
    name: Option<&str>,
) -> Result<Vec<bool>, Box<Response>> {
    let mut allowed: Vec<bool> = (0..aggs.agencies.len()).map(|a| p.may_read(a)).collect();
    if let Some(n) = name {
        match aggs.agencies.iter().position(|a| a.name == n) {
            Some(i) if allowed[i] => {
                allowed = allowed.iter().enumerate().map(|(j, _)| j == i).collect();
            }
            _ => {
                return Err(Box::new(error_response(
                    404,
                    &format!("no agency {n:?} visible to this token"),
                    "not_found",
                )))
            }
        }
    }
    Ok(allowed)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HostsQuery {
    agency: Option<String>,
    state: Option<String>,
    failing_rule: Option<String>,
    page: Option<usize>,
    per_page: Option<usize>,
}

async fn list_hosts(
    State(s): State<ReadState>,
    headers: HeaderMap,
    q: Result<Query<HostsQuery>, QueryRejection>,
) -> Response {
    let p = match read_auth(&s.app, &headers) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let Query(q) = match q {
        Ok(q) => q,
        Err(e) => return bad_query(e),
    };
    let state = match q.state.as_deref().map(|st| Class::parse(st).ok_or(st)) {
        None => None,
        Some(Ok(c)) => Some(c),
        Some(Err(st)) => {
            return error_response(
                400,
                &format!("unknown state {st:?}; choose from: compliant, noncompliant, stale"),
                "bad_query",
            )
        }
    };
    let now = s.app.clock.now();
    let mut aggs = s.app.lock_aggs();
    aggs.sweep(now);
    let allowed = match agency_filter(&aggs, &p, q.agency.as_deref()) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let rule = match q.failing_rule.as_deref() {
        Some(r) => match aggs.rule(r) {
            Some(i) => Some(i),
            None => return paged_hosts(Vec::new(), q.page, q.per_page),
        },
        None => None,
    };
    let matching: Vec<&HostState> = aggs
        .host_index
        .values()
        .filter_map(|&i| aggs.hosts.get(i as usize))
        .filter(|h| allowed.get(h.agency as usize).copied().unwrap_or(false))
        .filter(|h| state.is_none_or(|c| h.class == c))
        .filter(|h| {
            rule.is_none_or(|r| {
                h.results
                    .iter()
                    .any(|c| c.rule == r && c.bits & crate::agg::BIT_FAIL != 0)
            })
        })
        .collect();
    let (total, page, per_page, items) = paginate(matching, q.page, q.per_page);
    let hosts: Vec<_> = items.iter().map(|h| host_json(&aggs, h, now)).collect();
    Json(json!({"total": total, "page": page, "per_page": per_page, "hosts": hosts}))
        .into_response()
}

fn paged_hosts(
    v: Vec<serde_json::Value>,
    page: Option<usize>,
    per_page: Option<usize>,
) -> Response {
    let (total, page, per_page, items) = paginate(v, page, per_page);
    Json(json!({"total": total, "page": page, "per_page": per_page, "hosts": items}))
        .into_response()
}

async fn host_detail(
    State(s): State<ReadState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let p = match read_auth(&s.app, &headers) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let now = s.app.clock.now();
    let (host, report_id) = {
        let mut aggs = s.app.lock_aggs();
        aggs.sweep(now);
        match aggs.host(&id) {
            Some(h) if p.may_read(h.agency as usize) => {
                (host_json(&aggs, h, now), h.report_id.to_string())
            }
            _ => {
                return error_response(
                    404,
                    &format!("no host {id:?} visible to this token"),
                    "not_found",
                )
            }
        }
    };
    let app = s.app.clone();
    let read = tokio::task::spawn_blocking(move || {
        let conn = app.lock_reader();
        let body = crate::store::report_body(&conn, &report_id)?;
        let history = crate::store::history(&conn, &id)?;
        Ok::<_, crate::store::StoreError>((body, history))
    })
    .await;
    let (body, history) = match read {
        Ok(Ok(x)) => x,
        Ok(Err(e)) => {
            return error_response(503, &format!("store unavailable: {e}"), "unavailable")
        }
        Err(e) => return error_response(500, &format!("internal error: {e}"), "internal"),
    };
    let report: serde_json::Value = body
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(serde_json::Value::Null);
    let history: Vec<_> = history
        .into_iter()
        .map(|(r, f, rc)| json!({"report_id": r, "finished_at": fmt_time(f), "received_at": fmt_time(rc)}))
        .collect();
    Json(json!({"host": host, "report": report, "history": history})).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleQuery {
    agency: Option<String>,
    status: Option<String>,
    page: Option<usize>,
    per_page: Option<usize>,
}

async fn rule_failing(
    State(s): State<ReadState>,
    headers: HeaderMap,
    Path(rule_id): Path<String>,
    q: Result<Query<RuleQuery>, QueryRejection>,
) -> Response {
    let p = match read_auth(&s.app, &headers) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let Query(q) = match q {
        Ok(q) => q,
        Err(e) => return bad_query(e),
    };
    let bit = match q.status.as_deref().unwrap_or("fail") {
        "fail" => crate::agg::BIT_FAIL,
        "error" => crate::agg::BIT_ERROR,
        other => {
            return error_response(
                400,
                &format!("unknown status {other:?}; choose from: fail, error"),
                "bad_query",
            )
        }
    };
    let now = s.app.clock.now();
    let mut aggs = s.app.lock_aggs();
    aggs.sweep(now);
    let allowed = match agency_filter(&aggs, &p, q.agency.as_deref()) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let mut items = Vec::new();
    if let Some(r) = aggs.rule(&rule_id) {
        for &i in aggs.host_index.values() {
            let Some(h) = aggs.hosts.get(i as usize) else {
                continue;
            };
            if !allowed.get(h.agency as usize).copied().unwrap_or(false) {
                continue;
            }
            if let Some(c) = h.results.iter().find(|c| c.rule == r && c.bits & bit != 0) {
                let waiver = (bit == crate::agg::BIT_FAIL)
                    .then(|| {
                        aggs.waivers
                            .active(h.agency as usize, &rule_id, &h.id, &h.hostname, now)
                    })
                    .flatten()
                    .map(|w| w.id.clone());
                items.push(json!({
                    "id": &*h.id,
                    "hostname": &*h.hostname,
                    "agency": aggs.agencies.get(h.agency as usize).map(|a| a.name.as_str()),
                    "state": h.class.as_str(),
                    "severity": crate::agg::sev_from(c.sev).as_str(),
                    "finished_at": fmt_time(h.finished_at),
                    "waiver": waiver,
                }));
            }
        }
    }
    let (total, page, per_page, items) = paginate(items, q.page, q.per_page);
    Json(
        json!({"rule_id": rule_id, "status": if bit == crate::agg::BIT_FAIL {"fail"} else {"error"},
        "total": total, "page": page, "per_page": per_page, "hosts": items}),
    )
    .into_response()
}

async fn summary(State(s): State<ReadState>, headers: HeaderMap) -> Response {
    let p = match read_auth(&s.app, &headers) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    Json(Summary::current(&s.app, &|a| p.may_read(a))).into_response()
}

async fn list_waivers(State(s): State<ReadState>, headers: HeaderMap) -> Response {
    let p = match read_auth(&s.app, &headers) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let now = s.app.clock.now();
    let aggs = s.app.lock_aggs();
    let list: Vec<_> = aggs
        .waivers
        .list
        .iter()
        .filter(|w| p.may_read(w.agency))
        .map(|w| {
            let covered = aggs.rule(&w.rule_id).map_or(0, |r| {
                aggs.hosts
                    .iter()
                    .filter(|h| {
                        h.agency as usize == w.agency
                            && w.selector.matches(&h.id, &h.hostname)
                            && h.results
                                .iter()
                                .any(|c| c.rule == r && c.bits & crate::agg::BIT_FAIL != 0)
                    })
                    .count()
            });
            json!({
                "id": w.id, "agency": w.agency_name, "rule_id": w.rule_id, "host": w.host,
                "justification": w.justification, "approver": w.approver,
                "expires_at": fmt_time(w.expires_at),
                "state": if now < w.expires_at {"active"} else {"expired"},
                "failing_hosts_covered": covered,
            })
        })
        .collect();
    Json(json!({"waivers": list})).into_response()
}

async fn metrics(State(s): State<ReadState>) -> Response {
    let registry = s.registry.clone();
    match tokio::task::spawn_blocking(move || crate::metrics::render(&registry)).await {
        Ok(Ok(text)) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Ok(Err(e)) => error_response(500, &format!("cannot render metrics: {e}"), "internal"),
        Err(e) => error_response(500, &format!("internal error: {e}"), "internal"),
    }
}

/// `GET /`: the leadership status page (see [`crate::page`]).
async fn status_page(State(s): State<ReadState>) -> Response {
    crate::page::status_page(s.app).await
}
