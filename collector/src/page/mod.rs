//! The leadership status page, `GET /` on the read listener.
//!
//! One self-contained HTML document: no script, no external font, style sheet or image
//! (agencies run air-gapped), served with a strict `Content-Security-Policy`. It shows the
//! campaign clock (days left, or how long ago the deadline passed), a one-line verdict,
//! the totals, the known exploited vulnerabilities ([`kev`]: right after the totals, above
//! the burn-down), hosts per agency, a server-rendered SVG burn-down with the projection
//! and the deadline, the ten most-failed rules, and when the newest report arrived.
//!
//! Single source of truth: campaign, counts, burn-down points, projections and the KEV
//! section are read from a [`Summary`] — the very value `/api/v1/summary` serializes (the
//! KEV part as `kev`) — so the page and the read API can never disagree. Only what the
//! summary does not carry (rule counts, the newest report, rule titles) comes from the
//! aggregates and the store.
//!
//! Every string that comes from reports or the configuration is HTML-escaped ([`fmt::esc`]);
//! reports are untrusted input.
//!
//! Stable hooks for tests and scrapers: `#days-left[data-days-left]`, `#verdict[data-verdict]`,
//! `tr[data-agency][data-hosts][data-compliant][data-noncompliant][data-stale]`,
//! `#totals`, `svg#burndown[data-points]` with `circle.point[data-day][data-noncompliant]`,
//! `#projection[data-completion]`, `#deadline-marker[data-deadline]`,
//! `tr[data-rule][data-failing]`, `#newest-report`, `#generated`.
//!
//! The KEV section: `section#kev[data-state]` (`loading`, `no_feeds`, `no_catalog`,
//! `no_hosts`, `unassessed`, `none`, `open`: the summary's `kev.state`) with
//! `[data-kev-hosts][data-kev-overdue-hosts][data-kev-cves][data-assessed][data-unassessed]
//! [data-triage-hosts][data-table-verified]`; `#kev-status` (the one-line statement),
//! `#kev-catalog` (the catalog's date, `<time datetime>`), `#kev-notes li` (stale or absent
//! feeds, the unverified table); per agency `tr[data-kev-agency][data-kev-hosts]
//! [data-overdue-hosts][data-triage-hosts][data-unassessed]`; `#kev-triage[data-hosts]
//! [data-listed]` with `li[data-host]` and `#kev-triage-more`; one
//! `tr[data-cve][data-hosts][data-overdue][data-due][data-kev-due][data-ransomware]` per
//! KEV CVE, in the summary's order (`table#kev-cves` holds the first
//! [`kev::ROWS_SHOWN`], `details#kev-more[data-rows]` the next ones, `#kev-more-note` says
//! how many more in print).
//!
//! Split by job: [`view`] builds the view model from the [`Summary`] and the aggregates
//! ([`rules`]: the most-failed rules and their titles), [`chart`] draws the burn-down SVG,
//! [`kev`] the KEV section, [`html`] writes the document (its style sheet is `style.css`),
//! [`fmt`] formats numbers,
//! dates and escapes text. Data flows one way: summary → view → chart/html.

pub mod chart;
pub mod fmt;
pub mod html;
pub mod kev;
pub mod rules;
pub mod view;

use crate::summary::Summary;
use crate::App;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The page's `Content-Security-Policy`: nothing may load, nothing may run; inline styles
/// and `data:` images only.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; \
base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// `GET /`: the page.
pub async fn status_page(app: Arc<App>) -> Response {
    let summary = Summary::current(&app, &|_| true);
    let (rules, newest) = rules::page_extras(&app).await;
    let data = view::PageData::from_summary(&summary, rules, newest);
    let mut resp = html::render(&data).into_response();
    let h = resp.headers_mut();
    for (k, v) in [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        h.insert(k, HeaderValue::from_static(v));
    }
    resp
}
