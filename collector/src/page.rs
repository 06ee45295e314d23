//! The leadership status page, `GET /` on the read listener.
//!
//! One self-contained HTML document: no script, no external font, style sheet or image
//! (agencies run air-gapped), served with a strict `Content-Security-Policy`. It shows the
//! campaign clock (days left, or how long ago the deadline passed), a one-line verdict,
//! hosts per agency, a server-rendered SVG burn-down with the projection and the deadline,
//! the ten most-failed rules, and when the newest report arrived.
//!
//! Single source of truth: campaign, counts, burn-down points and projections are read
//! from a [`Summary`] — the very value `/api/v1/summary` serializes — so the
//! page and the read API can never disagree. Only what the summary does not carry (rule
//! counts, the newest report, rule titles) comes from the aggregates and the store.
//!
//! Every string that comes from reports or the configuration is HTML-escaped ([`esc`]);
//! reports are untrusted input.
//!
//! Stable hooks for tests and scrapers: `#days-left[data-days-left]`, `#verdict[data-verdict]`,
//! `tr[data-agency][data-hosts][data-compliant][data-noncompliant][data-stale]`,
//! `#totals`, `svg#burndown[data-points]` with `circle.point[data-day][data-noncompliant]`,
//! `#projection[data-completion]`, `#deadline-marker[data-deadline]`,
//! `tr[data-rule][data-failing]`, `#newest-report`, `#generated`.

use crate::agg::{sev_from, Aggregates, BIT_FAIL};
use crate::config::fmt_time;
use crate::summary::Summary;
use crate::App;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use hardline_agent::report::{Severity, Status};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;

const DAY: i64 = 86400;

/// The page's `Content-Security-Policy`: nothing may load, nothing may run; inline styles
/// and `data:` images only.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; \
base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// How many rules the "most failed" table lists.
pub const TOP_RULES: usize = 10;

/// One agency row, as the summary reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct AgencyRow {
    /// Agency name.
    pub name: String,
    /// Compliant hosts.
    pub compliant: i64,
    /// Noncompliant hosts.
    pub noncompliant: i64,
    /// Stale hosts.
    pub stale: i64,
    /// Projected completion (Unix seconds), if the agency trends downward.
    pub projected: Option<i64>,
    /// The summary's `on_track`: `None` = no downward trend while noncompliant.
    pub on_track: Option<bool>,
}

impl AgencyRow {
    /// All hosts.
    pub fn hosts(&self) -> i64 {
        self.compliant + self.noncompliant + self.stale
    }
}

/// One row of the most-failed rules.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleRow {
    /// Rule id.
    pub rule_id: String,
    /// Title, from a stored report that fails the rule.
    pub title: Option<String>,
    /// Highest severity the rule was reported with.
    pub severity: Severity,
    /// Hosts whose latest report fails the rule, all agencies.
    pub failing: i64,
    /// Agencies with at least one such host.
    pub agencies: usize,
}

/// Everything the page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct PageData {
    /// Campaign name.
    pub campaign: String,
    /// Campaign start (Unix seconds).
    pub start: i64,
    /// Deadline (Unix seconds).
    pub deadline: i64,
    /// Now, as the summary saw it.
    pub now: i64,
    /// Days left, from the summary.
    pub days_left: i64,
    /// Severity threshold.
    pub threshold: String,
    /// Stale after (seconds).
    pub stale_after: i64,
    /// Agencies, in configuration order.
    pub agencies: Vec<AgencyRow>,
    /// Burn-down: (day midnight UTC, noncompliant hosts of all agencies), oldest first.
    pub burndown: Vec<(i64, i64)>,
    /// Most-failed rules, most failing first.
    pub rules: Vec<RuleRow>,
    /// When the newest latest-report was received.
    pub newest_report: Option<i64>,
}

impl PageData {
    /// The page's data from the summary (all agencies); the rules and the newest report
    /// come from [`page_extras`].
    pub fn from_summary(
        summary: &Summary,
        rules: Vec<RuleRow>,
        newest_report: Option<i64>,
    ) -> PageData {
        let c = &summary.campaign;
        let mut days: BTreeMap<i64, i64> = BTreeMap::new();
        for a in &summary.agencies {
            for p in &a.burndown {
                *days.entry(p.day).or_insert(0) += p.noncompliant;
            }
        }
        PageData {
            campaign: c.name.clone(),
            start: c.start,
            deadline: c.deadline,
            now: c.now,
            days_left: c.days_left,
            threshold: c.severity_threshold.as_str().to_string(),
            stale_after: c.stale_after_seconds,
            agencies: summary
                .agencies
                .iter()
                .map(|a| AgencyRow {
                    name: a.name.clone(),
                    compliant: a.compliant,
                    noncompliant: a.noncompliant,
                    stale: a.stale,
                    projected: a.projected_completion,
                    on_track: a.on_track,
                })
                .collect(),
            burndown: days.into_iter().collect(),
            rules,
            newest_report,
        }
    }

    fn totals(&self) -> AgencyRow {
        let mut t = AgencyRow {
            name: "All agencies".into(),
            compliant: 0,
            noncompliant: 0,
            stale: 0,
            projected: None,
            on_track: None,
        };
        for a in &self.agencies {
            t.compliant += a.compliant;
            t.noncompliant += a.noncompliant;
            t.stale += a.stale;
        }
        t.projected = self.fleet_completion();
        t
    }

    /// When every agency reaches zero noncompliant hosts at its recent pace: the latest
    /// projection among agencies that still have noncompliant hosts; `None` when one of
    /// them has no downward trend (or none has noncompliant hosts).
    pub fn fleet_completion(&self) -> Option<i64> {
        let mut latest = None;
        for a in self.agencies.iter().filter(|a| a.noncompliant > 0) {
            let t = a.projected?;
            latest = Some(latest.map_or(t, |l: i64| l.max(t)));
        }
        latest
    }

    /// The verdict.
    pub fn verdict(&self) -> Verdict {
        let t = self.totals();
        if t.hosts() == 0 {
            return Verdict::NoHosts;
        }
        let late: Vec<&str> = self
            .agencies
            .iter()
            .filter(|a| a.noncompliant > 0 && a.on_track == Some(false))
            .map(|a| a.name.as_str())
            .collect();
        let flat: Vec<&str> = self
            .agencies
            .iter()
            .filter(|a| a.noncompliant > 0 && a.on_track.is_none())
            .map(|a| a.name.as_str())
            .collect();
        let missed = t.noncompliant > 0 && self.now >= self.deadline;
        if missed || !late.is_empty() {
            Verdict::AtRisk
        } else if !flat.is_empty() {
            Verdict::NoTrend
        } else {
            Verdict::OnTrack
        }
    }
}

/// The one-line verdict for leadership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Every agency with noncompliant hosts reaches zero before the deadline.
    OnTrack,
    /// An agency is projected to finish after the deadline, or the deadline passed.
    AtRisk,
    /// An agency with noncompliant hosts shows no downward trend yet.
    NoTrend,
    /// No host has reported.
    NoHosts,
}

impl Verdict {
    /// The `data-verdict` value and CSS class.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::OnTrack => "on-track",
            Verdict::AtRisk => "at-risk",
            Verdict::NoTrend => "no-trend",
            Verdict::NoHosts => "no-hosts",
        }
    }
}

/// HTML-escape text or an attribute value (quoted with `"`). Control, bidirectional and
/// invisible characters (which reports' rule titles could carry) become visible `\u{…}`
/// escapes, so that no text on the page can reorder or hide what follows it.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if hardline_agent::output::text::needs_escape(c) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

fn fmt_with(t: i64, f: &[time::format_description::BorrowedFormatItem<'_>]) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| d.format(f).ok())
        .unwrap_or_else(|| t.to_string())
}

/// "2 Jun 2026".
fn date_long(t: i64) -> String {
    fmt_with(
        t,
        time::macros::format_description!("[day padding:none] [month repr:short] [year]"),
    )
}

/// "Jun 2".
fn date_short(t: i64) -> String {
    fmt_with(
        t,
        time::macros::format_description!("[month repr:short] [day padding:none]"),
    )
}

/// "2026-06-02".
fn date_iso(t: i64) -> String {
    fmt_with(t, time::macros::format_description!("[year]-[month]-[day]"))
}

/// "2 Jun 2026, 14:05 UTC".
fn datetime(t: i64) -> String {
    fmt_with(
        t,
        time::macros::format_description!(
            "[day padding:none] [month repr:short] [year], [hour]:[minute] UTC"
        ),
    )
}

/// 12345 → "12,345".
fn num(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    if n < 0 {
        out.push('-');
    }
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Compliant share, rounded down to a tenth so that 99.96 % never reads "100.0 %".
fn pct(part: i64, whole: i64) -> Option<String> {
    if whole <= 0 {
        return None;
    }
    let tenths = (part.max(0) as i128 * 1000) / whole as i128;
    Some(format!("{}.{}%", tenths / 10, tenths % 10))
}

fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{} {}", num(n), if n == 1 { one } else { many })
}

fn list_names(names: &[&str]) -> String {
    const MAX: usize = 5;
    let shown: Vec<String> = names.iter().take(MAX).map(|n| esc(n)).collect();
    let mut s = shown.join(", ");
    if names.len() > MAX {
        let _ = write!(s, " and {} more", names.len() - MAX);
    }
    s
}

/// The rules and the newest report, from the aggregates; titles from the store.
pub async fn page_extras(app: &Arc<App>) -> (Vec<RuleRow>, Option<i64>) {
    let (mut rows, samples, newest) = {
        let aggs = app.lock_aggs();
        let ranked = top_rules(&aggs, TOP_RULES);
        let samples = sample_reports(&aggs, &ranked);
        let newest = aggs.hosts.iter().map(|h| h.received_at).max();
        let rows: Vec<RuleRow> = ranked.into_iter().map(|(_, r)| r).collect();
        (rows, samples, newest)
    };
    if !samples.is_empty() {
        let app2 = app.clone();
        let titles = tokio::task::spawn_blocking(move || read_titles(&app2, samples)).await;
        match titles {
            Ok(Ok(titles)) => {
                for r in &mut rows {
                    r.title = titles.get(&r.rule_id).cloned();
                }
            }
            Ok(Err(error)) => {
                tracing::warn!(%error, "Status page: could not read rule titles from the store.")
            }
            Err(error) => tracing::warn!(%error, "Status page: the title reader failed."),
        }
    }
    (rows, newest)
}

/// The `n` rules with the most hosts whose latest report fails them (all agencies).
fn top_rules(aggs: &Aggregates, n: usize) -> Vec<(u32, RuleRow)> {
    // rule → (failing hosts, highest severity, agencies, last agency counted)
    let mut by_rule: HashMap<u32, (i64, u8, usize, usize)> = HashMap::new();
    for (ai, a) in aggs.agencies.iter().enumerate() {
        for (r, sev) in a.rule_counts.seen() {
            let failing = a.rule_counts.get(r, sev, Status::Fail);
            if failing <= 0 {
                continue;
            }
            let e = by_rule.entry(r).or_insert((0, sev, 0, usize::MAX));
            e.0 += failing;
            e.1 = e.1.max(sev);
            if e.3 != ai {
                e.2 += 1;
                e.3 = ai;
            }
        }
    }
    let mut rows: Vec<(u32, RuleRow)> = by_rule
        .into_iter()
        .map(|(r, (failing, sev, agencies, _))| {
            (
                r,
                RuleRow {
                    rule_id: aggs.rule_name(r).to_string(),
                    title: None,
                    severity: sev_from(sev),
                    failing,
                    agencies,
                },
            )
        })
        .collect();
    rows.sort_by(|a, b| {
        b.1.failing
            .cmp(&a.1.failing)
            .then(b.1.severity.cmp(&a.1.severity))
            .then(a.1.rule_id.cmp(&b.1.rule_id))
    });
    rows.truncate(n);
    rows
}

/// For each ranked rule, the latest report of one host that fails it: report id → rule ids.
fn sample_reports(aggs: &Aggregates, ranked: &[(u32, RuleRow)]) -> HashMap<String, Vec<String>> {
    let mut wanted: HashMap<u32, &str> = ranked
        .iter()
        .map(|(r, row)| (*r, row.rule_id.as_str()))
        .collect();
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for h in &aggs.hosts {
        if wanted.is_empty() {
            break;
        }
        for c in h.results.iter() {
            if c.bits & BIT_FAIL == 0 {
                continue;
            }
            if let Some(rule) = wanted.remove(&c.rule) {
                out.entry(h.report_id.to_string())
                    .or_default()
                    .push(rule.to_string());
            }
        }
    }
    out
}

#[derive(serde::Deserialize)]
struct TitlesOnly {
    results: Vec<TitleOnly>,
}

#[derive(serde::Deserialize)]
struct TitleOnly {
    rule_id: String,
    #[serde(default)]
    title: String,
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn read_titles(
    app: &App,
    samples: HashMap<String, Vec<String>>,
) -> Result<HashMap<String, String>, String> {
    let conn = app.lock_reader();
    let mut titles = HashMap::new();
    for (report_id, rules) in samples {
        let Some(body) = crate::store::report_body(&conn, &report_id).map_err(|e| e.to_string())?
        else {
            continue;
        };
        let parsed: TitlesOnly = serde_json::from_slice(&body)
            .map_err(|e| format!("stored report {report_id} does not parse: {e}"))?;
        for r in parsed.results {
            if rules.contains(&r.rule_id) && !r.title.trim().is_empty() {
                titles
                    .entry(r.rule_id)
                    .or_insert_with(|| shorten(r.title.trim(), 160));
            }
        }
    }
    Ok(titles)
}

/// `GET /`: the page.
pub async fn status_page(app: Arc<App>) -> Response {
    let summary = Summary::current(&app, &|_| true);
    let (rules, newest) = page_extras(&app).await;
    let data = PageData::from_summary(&summary, rules, newest);
    let mut resp = render(&data).into_response();
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

// ---------------------------------------------------------------------------------------
// The burn-down chart: pure geometry first (unit-tested), then the SVG.

/// Chart canvas (SVG user units).
const W: f64 = 960.0;
const H: f64 = 340.0;
const ML: f64 = 64.0;
const MR: f64 = 28.0;
const MT: f64 = 34.0;
const MB: f64 = 46.0;

/// Scales of the burn-down chart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    /// First instant on the x axis.
    pub lo: i64,
    /// Last instant on the x axis.
    pub hi: i64,
    /// Top of the y axis (hosts).
    pub ymax: i64,
    /// Step between y ticks.
    pub ystep: i64,
}

/// A nice y axis for values up to `max`: (top, step), at most 5 steps, integer steps of
/// 1, 2 or 5 × 10^k; an all-zero series gets the axis 0..1.
pub fn y_axis(max: i64) -> (i64, i64) {
    let max = max.max(1);
    let mut mag: i64 = 1;
    loop {
        for m in [1i64, 2, 5] {
            let step = m.saturating_mul(mag);
            if step.saturating_mul(5) >= max || step == i64::MAX {
                let top = max.div_euclid(step) * step + if max % step == 0 { 0 } else { step };
                return (top.max(step), step);
            }
        }
        mag = mag.saturating_mul(10);
    }
}

impl Scale {
    /// Scales for `points` (day, noncompliant), the campaign and the projected completion.
    /// The x axis always shows the start and the deadline and every point; it extends to
    /// the completion when that is at most half the shown span beyond, else the
    /// projection is clipped at the edge.
    pub fn new(points: &[(i64, i64)], start: i64, deadline: i64, completion: Option<i64>) -> Scale {
        let first = points.first().map_or(start, |p| p.0);
        let last = points.last().map_or(start, |p| p.0);
        let lo = start.min(deadline).min(first);
        let mut hi = deadline.max(last).max(start);
        let cap = hi.saturating_add(((hi - lo) / 2).max(7 * DAY));
        if let Some(c) = completion {
            if c > hi {
                hi = c.min(cap);
            }
        }
        if hi - lo < DAY {
            hi = lo + DAY;
        }
        let max = points.iter().map(|p| p.1).max().unwrap_or(0);
        let (ymax, ystep) = y_axis(max);
        // Half a day of room on both sides so that points never sit on the axes.
        Scale {
            lo: lo - DAY / 2,
            hi: hi + DAY / 2,
            ymax,
            ystep,
        }
    }

    /// x of instant `t`.
    pub fn x(&self, t: i64) -> f64 {
        let span = (self.hi - self.lo).max(1) as f64;
        ML + (W - ML - MR) * ((t - self.lo) as f64 / span)
    }

    /// y of `v` hosts.
    pub fn y(&self, v: f64) -> f64 {
        let top = self.ymax.max(1) as f64;
        H - MB - (H - MT - MB) * (v / top)
    }

    /// Midnights for x labels, at most ~8, every 1, 2, 7, 14… days from the first.
    pub fn x_ticks(&self) -> Vec<i64> {
        let span_days = (self.hi - self.lo) / DAY + 1;
        let step = [1i64, 2, 7, 14, 28, 56, 91, 182, 364]
            .into_iter()
            .find(|s| span_days / s <= 8)
            .unwrap_or((span_days / 8).max(1));
        let mut t = crate::agg::day_of(self.lo);
        if t < self.lo {
            t += DAY;
        }
        let mut out = Vec::new();
        while t <= self.hi && out.len() < 64 {
            out.push(t);
            t += step * DAY;
        }
        out
    }

    /// y tick values, 0 to the top.
    pub fn y_ticks(&self) -> Vec<i64> {
        let step = self.ystep.max(1);
        (0..=self.ymax / step).map(|i| i * step).take(64).collect()
    }
}

/// The projection segment from the last point to (completion, 0), clipped at the right
/// edge; `None` when the completion is not after the last point.
pub fn projection_segment(
    last: (i64, i64),
    completion: i64,
    scale: &Scale,
) -> Option<((i64, f64), (i64, f64))> {
    let (x0, y0) = last;
    if completion <= x0 || y0 <= 0 {
        return None;
    }
    let y0 = y0 as f64;
    if completion <= scale.hi {
        return Some(((x0, y0), (completion, 0.0)));
    }
    let frac = (scale.hi - x0) as f64 / (completion - x0) as f64;
    Some(((x0, y0), (scale.hi, y0 * (1.0 - frac))))
}

fn burndown_svg(d: &PageData) -> String {
    let completion = d.fleet_completion();
    let total_nc: i64 = d.agencies.iter().map(|a| a.noncompliant).sum();
    let completion = completion.filter(|_| total_nc > 0);
    let scale = Scale::new(&d.burndown, d.start, d.deadline, completion);
    let (x0, x1) = (ML, W - MR);
    let (y0, y1) = (H - MB, MT);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg id=\"burndown\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" \
role=\"img\" aria-labelledby=\"burndown-title burndown-desc\" data-points=\"{}\">\
<title id=\"burndown-title\">Noncompliant hosts per day, all agencies</title>\
<desc id=\"burndown-desc\">{} daily points from {} to {}; deadline {}.</desc>",
        d.burndown.len(),
        d.burndown.len(),
        d.burndown.first().map_or("-".into(), |p| date_iso(p.0)),
        d.burndown.last().map_or("-".into(), |p| date_iso(p.0)),
        date_iso(d.deadline),
    );
    // Grid and y labels.
    for v in scale.y_ticks() {
        let y = scale.y(v as f64);
        let _ = write!(
            s,
            "<line class=\"grid\" x1=\"{x0:.1}\" x2=\"{x1:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            x0 - 8.0,
            y + 4.0,
            num(v)
        );
    }
    // Campaign window shading.
    let (cs, cd) = (scale.x(d.start), scale.x(d.deadline));
    let _ = write!(
        s,
        "<rect class=\"window\" x=\"{cs:.1}\" y=\"{y1:.1}\" width=\"{:.1}\" height=\"{:.1}\"/>",
        (cd - cs).max(0.0),
        y0 - y1
    );
    // x ticks.
    for t in scale.x_ticks() {
        let x = scale.x(t);
        let _ = write!(
            s,
            "<line class=\"xtick\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{y0:.1}\" y2=\"{:.1}\"/>\
<text class=\"tick\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            y0 + 5.0,
            y0 + 19.0,
            date_short(t)
        );
    }
    // Axes and titles.
    let _ = write!(
        s,
        "<line class=\"axis\" x1=\"{x0:.1}\" x2=\"{x0:.1}\" y1=\"{y1:.1}\" y2=\"{y0:.1}\"/>\
<line class=\"axis\" x1=\"{x0:.1}\" x2=\"{x1:.1}\" y1=\"{y0:.1}\" y2=\"{y0:.1}\"/>\
<text class=\"axis-title\" transform=\"translate(16 {:.1}) rotate(-90)\" text-anchor=\"middle\">noncompliant hosts</text>\
<text class=\"axis-title\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">date (UTC)</text>",
        (y0 + y1) / 2.0,
        (x0 + x1) / 2.0,
        H - 6.0
    );
    // Deadline.
    let xd = scale.x(d.deadline);
    let _ = write!(
        s,
        "<g id=\"deadline-marker\" data-deadline=\"{}\"><line class=\"deadline\" x1=\"{xd:.1}\" x2=\"{xd:.1}\" y1=\"{:.1}\" y2=\"{y0:.1}\"/>\
<text class=\"deadline-label\" x=\"{xd:.1}\" y=\"{:.1}\" text-anchor=\"{}\">deadline {}</text></g>",
        fmt_time(d.deadline),
        y1 - 8.0,
        y1 - 12.0,
        if xd > W - 140.0 { "end" } else { "middle" },
        date_short(d.deadline)
    );
    // Today.
    if d.now >= scale.lo && d.now <= scale.hi {
        let xt = scale.x(d.now);
        let _ = write!(
            s,
            "<g id=\"today-marker\"><line class=\"today\" x1=\"{xt:.1}\" x2=\"{xt:.1}\" y1=\"{y1:.1}\" y2=\"{y0:.1}\"/>\
<text class=\"today-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{}\">today</text></g>",
            if xt > W - 90.0 { xt - 4.0 } else { xt + 4.0 },
            y1 + 12.0,
            if xt > W - 90.0 { "end" } else { "start" }
        );
    }
    // Projection.
    if let (Some(c), Some(&last)) = (completion, d.burndown.last()) {
        let _ = write!(
            s,
            "<g id=\"projection\" data-completion=\"{}\">",
            fmt_time(c)
        );
        if let Some(((ax, ay), (bx, by))) = projection_segment(last, c, &scale) {
            let _ = write!(
                s,
                "<line class=\"proj\" x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\"/>",
                scale.x(ax),
                scale.y(ay),
                scale.x(bx),
                scale.y(by)
            );
            let clipped = bx < c;
            let (lx, anchor) = if scale.x(bx) > W - 200.0 {
                (scale.x(bx) - 4.0, "end")
            } else {
                (scale.x(bx) + 6.0, "start")
            };
            let _ = write!(
                    s,
                    "<text class=\"proj-label\" x=\"{lx:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{} {}</text>",
                    scale.y(by) - 8.0,
                    if clipped { "zero on" } else { "projected zero" },
                    date_short(c),
                );
        }
        s.push_str("</g>");
    }
    // The series.
    if d.burndown.len() > 1 {
        let pts: Vec<String> = d
            .burndown
            .iter()
            .map(|&(t, v)| format!("{:.1},{:.1}", scale.x(t), scale.y(v as f64)))
            .collect();
        let _ = write!(
            s,
            "<polyline id=\"noncompliant-line\" class=\"series\" points=\"{}\"/>",
            pts.join(" ")
        );
    }
    s.push_str("<g id=\"points\">");
    for &(t, v) in &d.burndown {
        let _ = write!(
            s,
            "<circle class=\"point\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" data-day=\"{}\" data-noncompliant=\"{v}\"><title>{}: {}</title></circle>",
            scale.x(t),
            scale.y(v as f64),
            date_iso(t),
            date_long(t),
            plural(v, "noncompliant host", "noncompliant hosts"),
        );
    }
    s.push_str("</g>");
    if d.burndown.len() < 2 {
        let _ = write!(
            s,
            "<text class=\"note\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            (x0 + x1) / 2.0,
            (y0 + y1) / 2.0,
            if d.burndown.is_empty() {
                "no daily snapshots yet"
            } else if d.totals().hosts() == 0 {
                "no hosts reporting yet"
            } else {
                "one day of data so far: the trend needs two days"
            }
        );
    }
    s.push_str("</svg>");
    s
}

// ---------------------------------------------------------------------------------------
// The document.

const STYLE: &str = r#"
:root { --ink:#1f2328; --muted:#59636e; --line:#d1d9e0; --soft:#f6f8fa;
  --ok:#1a7f37; --bad:#cf222e; --warn:#9a6700; --stale:#818b98; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 20px 24px 40px; }
header.top { display: flex; flex-wrap: wrap; gap: 16px 32px; align-items: center;
  justify-content: space-between; border-bottom: 1px solid var(--line); padding-bottom: 16px; }
header.top > .head { flex: 1 1 520px; min-width: 0; }
.kicker { margin: 0; color: var(--muted); font-size: 13px; letter-spacing: .06em; text-transform: uppercase; }
h1 { margin: 2px 0 6px; font-size: 30px; line-height: 1.15; overflow-wrap: anywhere; }
.dates { margin: 0; color: var(--muted); }
.dates strong { color: var(--ink); font-weight: 600; }
.countdown { text-align: center; border: 2px solid var(--ink); border-radius: 10px; padding: 8px 22px 10px; min-width: 170px; }
.countdown .num { display: block; font-size: 60px; font-weight: 700; line-height: 1; font-variant-numeric: tabular-nums; }
.countdown .unit { display: block; font-size: 14px; font-weight: 600; text-transform: uppercase; letter-spacing: .08em; margin-top: 4px; }
.countdown.passed { border-color: var(--bad); color: var(--bad); }
.countdown.passed .num { font-size: 40px; }
.verdict { margin: 18px 0; padding: 12px 16px; border-left: 6px solid var(--muted); background: var(--soft);
  font-size: 18px; border-radius: 4px; }
.verdict.on-track { border-color: var(--ok); background: #dafbe1; }
.verdict.at-risk { border-color: var(--bad); background: #ffebe9; }
.verdict.no-trend { border-color: #bf8700; background: #fff8c5; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 12px; margin: 0 0 8px; }
.kpi { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.kpi .v { font-size: 26px; font-weight: 700; font-variant-numeric: tabular-nums; }
.kpi .k { color: var(--muted); font-size: 13px; }
.kpi.ok .v { color: var(--ok); } .kpi.bad .v { color: var(--bad); } .kpi.stale .v { color: var(--stale); }
h2 { font-size: 19px; margin: 28px 0 8px; }
figure { margin: 0; }
svg#burndown { width: 100%; height: auto; display: block; font-family: inherit; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; }
.legend { display: inline-block; width: 22px; height: 0; border-top: 3px solid var(--bad); vertical-align: middle; margin: 0 4px 0 10px; }
.legend.proj { border-top-style: dashed; }
.legend.dl { border-top: 2px dotted var(--ink); }
.grid { stroke: #e6eaef; stroke-width: 1; }
.axis { stroke: var(--muted); stroke-width: 1.2; }
.xtick { stroke: var(--muted); }
.tick { fill: var(--muted); font-size: 12px; }
.axis-title { fill: var(--muted); font-size: 12px; }
.window { fill: #f3f6f9; }
.deadline { stroke: var(--ink); stroke-width: 2; stroke-dasharray: 2 4; }
.deadline-label { fill: var(--ink); font-size: 13px; font-weight: 700; }
.today { stroke: #8c959f; stroke-width: 1; }
.today-label { fill: var(--muted); font-size: 11px; }
.series { fill: none; stroke: var(--bad); stroke-width: 2.5; stroke-linejoin: round; }
.point { fill: var(--bad); stroke: #fff; stroke-width: 1.5; }
.proj { stroke: var(--bad); stroke-width: 2; stroke-dasharray: 7 6; opacity: .75; }
.proj-label { fill: var(--bad); font-size: 12px; font-weight: 600; }
.note { fill: var(--muted); font-size: 14px; font-style: italic; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: right; vertical-align: middle; }
th { font-size: 13px; color: var(--muted); font-weight: 600; border-bottom: 2px solid var(--line); white-space: nowrap; }
th.l, td.l { text-align: left; }
td.name { font-weight: 600; overflow-wrap: anywhere; min-width: 8em; }
td.title { overflow-wrap: anywhere; }
td.rule { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; overflow-wrap: anywhere; min-width: 15em; }
tfoot td { font-weight: 700; border-top: 2px solid var(--ink); border-bottom: none; }
tr.empty td { color: var(--muted); }
.nc { color: var(--bad); } .ok { color: var(--ok); }
.bar { display: flex; width: 120px; height: 10px; border-radius: 5px; overflow: hidden; background: #eaeef2;
  -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.bar span { display: block; height: 100%; }
.bar .c { background: var(--ok); } .bar .n { background: var(--bad); } .bar .s { background: var(--stale); }
.status { white-space: nowrap; font-size: 13px; font-weight: 600; }
.status.on-track, .status.done { color: var(--ok); } .status.at-risk { color: var(--bad); }
.status.no-trend { color: var(--warn); } .status.no-hosts { color: var(--muted); font-weight: 400; }
.sev { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12px; font-weight: 600; border: 1px solid currentColor; }
.sev.critical { color: #a40e26; } .sev.high { color: var(--bad); } .sev.medium { color: var(--warn); } .sev.low { color: var(--muted); }
.none { color: var(--muted); font-style: italic; }
footer { margin-top: 32px; padding-top: 12px; border-top: 1px solid var(--line); color: var(--muted); font-size: 13px; }
footer code { font-size: 12px; }
@media (max-width: 700px) {
  main { padding: 12px; } .countdown .num { font-size: 44px; } .bar { width: 60px; }
  th.opt, td.opt { display: none; }
}
@media print {
  @page { margin: 12mm; }
  body { font-size: 11pt; background: #fff !important; color: #000; }
  main { max-width: none; padding: 0; }
  .verdict, .verdict.on-track, .verdict.at-risk, .verdict.no-trend { background: none !important; }
  .countdown, .kpi { background: none !important; }
  .scroll { overflow: visible; }
  h2 { break-after: avoid; page-break-after: avoid; }
  figure, .kpis, header.top, .verdict, #top-rules { break-inside: avoid; page-break-inside: avoid; }
  section.agencies table { break-inside: auto; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; } tfoot { display: table-row-group; }
  .window { fill: none; }
  th.opt, td.opt { display: none; }
  .status { white-space: normal; }
  td.rule { min-width: 12em; }
}
"#;

fn no_projection_note(d: &PageData) -> String {
    let flat: Vec<&str> = d
        .agencies
        .iter()
        .filter(|a| a.noncompliant > 0 && a.projected.is_none())
        .map(|a| a.name.as_str())
        .collect();
    if flat.is_empty() {
        return String::new();
    }
    format!(
        "<br><span id=\"no-projection\">No projection line: no downward trend yet at {}.</span>",
        list_names(&flat)
    )
}

fn countdown(d: &PageData) -> String {
    if d.now >= d.deadline {
        let ago = (d.now - d.deadline) / DAY;
        let when = match ago {
            0 => "today".to_string(),
            n => format!("{} ago", plural(n, "day", "days")),
        };
        format!(
            "<div id=\"days-left\" class=\"countdown passed\" data-days-left=\"{}\" data-deadline-passed=\"true\" data-days-overdue=\"{ago}\">\
<span class=\"unit\">deadline passed</span><span class=\"num\">{}</span></div>",
            d.days_left,
            esc(&when)
        )
    } else {
        format!(
            "<div id=\"days-left\" class=\"countdown\" data-days-left=\"{0}\" data-deadline-passed=\"false\">\
<span class=\"num\">{0}</span><span class=\"unit\">{1} left</span></div>",
            d.days_left,
            if d.days_left == 1 { "day" } else { "days" }
        )
    }
}

fn verdict_html(d: &PageData) -> String {
    let v = d.verdict();
    let t = d.totals();
    let names = |pred: &dyn Fn(&AgencyRow) -> bool| -> Vec<&str> {
        d.agencies
            .iter()
            .filter(|a| a.noncompliant > 0 && pred(a))
            .map(|a| a.name.as_str())
            .collect()
    };
    let late = names(&|a| a.on_track == Some(false));
    let flat = names(&|a| a.on_track.is_none());
    let stale_note = if t.stale > 0 {
        format!(
            " {} not reporting (stale).",
            plural(t.stale, "host is", "hosts are")
        )
    } else {
        String::new()
    };
    let text = match v {
        Verdict::NoHosts => "<strong>No hosts reporting.</strong> No agent has sent a report yet, so there is nothing to measure.".to_string(),
        Verdict::AtRisk if d.now >= d.deadline => format!(
            "<strong>At risk: the deadline has passed</strong> with {} still noncompliant.{stale_note}",
            plural(t.noncompliant, "host", "hosts")
        ),
        Verdict::AtRisk => {
            let mut s = format!(
                "<strong>At risk:</strong> at the recent pace {} {} reach zero noncompliant hosts after the deadline",
                list_names(&late),
                if late.len() == 1 { "does not" } else { "do not" },
            );
            let _ = write!(s, " ({} noncompliant in all).", num(t.noncompliant));
            if !flat.is_empty() {
                let _ = write!(s, " No downward trend yet at {}.", list_names(&flat));
            }
            s.push_str(&stale_note);
            s
        }
        Verdict::NoTrend => format!(
            "<strong>No downward trend yet</strong> at {}: {} noncompliant and not falling over the last 14 days.{stale_note}",
            list_names(&flat),
            plural(t.noncompliant, "host", "hosts"),
        ),
        Verdict::OnTrack => match d.fleet_completion() {
            Some(c) if t.noncompliant > 0 => format!(
                "<strong>On track:</strong> at the recent pace every agency reaches zero noncompliant hosts by {}, {} before the deadline ({} noncompliant today).{stale_note}",
                date_long(c),
                plural((d.deadline - c).max(0) / DAY, "day", "days"),
                num(t.noncompliant),
            ),
            _ => format!(
                "<strong>On track:</strong> no reporting host is noncompliant.{stale_note}"
            ),
        },
    };
    format!(
        "<p id=\"verdict\" class=\"verdict {0}\" data-verdict=\"{0}\">{text}</p>",
        v.as_str()
    )
}

fn agency_status(a: &AgencyRow) -> (&'static str, String) {
    if a.hosts() == 0 {
        return ("no-hosts", "no hosts reporting".into());
    }
    if a.noncompliant == 0 {
        return ("done", "no noncompliant hosts".into());
    }
    match (a.on_track, a.projected) {
        (Some(true), Some(t)) => ("on-track", format!("on track · zero by {}", date_short(t))),
        (Some(false), Some(t)) => ("at-risk", format!("at risk · zero by {}", date_short(t))),
        (Some(false), None) => ("at-risk", "at risk".into()),
        _ => ("no-trend", "no downward trend".into()),
    }
}

fn bar(a: &AgencyRow) -> String {
    let h = a.hosts();
    if h <= 0 {
        return "<div class=\"bar\" aria-hidden=\"true\"></div>".into();
    }
    let w = |n: i64| n as f64 * 100.0 / h as f64;
    format!(
        "<div class=\"bar\" title=\"{} compliant, {} noncompliant, {} stale\"><span class=\"c\" style=\"width:{:.2}%\"></span><span class=\"n\" style=\"width:{:.2}%\"></span><span class=\"s\" style=\"width:{:.2}%\"></span></div>",
        a.compliant,
        a.noncompliant,
        a.stale,
        w(a.compliant),
        w(a.noncompliant),
        w(a.stale)
    )
}

fn agency_cells(a: &AgencyRow) -> String {
    let hosts = a.hosts();
    let share = pct(a.compliant, hosts).unwrap_or_else(|| "—".into());
    format!(
        "<td>{}</td><td class=\"ok\">{}</td><td class=\"nc\">{}</td><td>{}</td><td>{share}</td><td class=\"l opt\">{}</td>",
        num(hosts),
        num(a.compliant),
        num(a.noncompliant),
        num(a.stale),
        bar(a),
    )
}

fn agencies_table(d: &PageData) -> String {
    let mut rows: Vec<&AgencyRow> = d.agencies.iter().collect();
    // Most noncompliant first, then the least compliant share, then by name; agencies
    // without hosts last.
    rows.sort_by(|a, b| {
        (a.hosts() == 0)
            .cmp(&(b.hosts() == 0))
            .then(b.noncompliant.cmp(&a.noncompliant))
            .then_with(|| {
                let share =
                    |r: &AgencyRow| (r.compliant as i128 * 1_000_000) / (r.hosts().max(1) as i128);
                share(a).cmp(&share(b))
            })
            .then(b.stale.cmp(&a.stale))
            .then(a.name.cmp(&b.name))
    });
    let mut s = String::from(
        "<div class=\"scroll\"><table id=\"agencies\"><thead><tr><th class=\"l\">Agency</th><th>Hosts</th><th>Compliant</th>\
<th>Noncompliant</th><th>Stale</th><th>Compliant %</th><th class=\"l opt\">Share</th><th class=\"l\">Trend</th></tr></thead><tbody>",
    );
    for a in &rows {
        let (class, status) = agency_status(a);
        let _ = write!(
            s,
            "<tr data-agency=\"{name}\" data-hosts=\"{}\" data-compliant=\"{}\" data-noncompliant=\"{}\" data-stale=\"{}\" data-status=\"{class}\"{}>\
<td class=\"l name\">{name}</td>{}<td class=\"l\"><span class=\"status {class}\">{}</span></td></tr>",
            a.hosts(),
            a.compliant,
            a.noncompliant,
            a.stale,
            if a.hosts() == 0 { " class=\"empty\"" } else { "" },
            agency_cells(a),
            esc(&status),
            name = esc(&a.name),
        );
    }
    let t = d.totals();
    let _ = write!(
        s,
        "</tbody><tfoot><tr id=\"totals\" data-hosts=\"{}\" data-compliant=\"{}\" data-noncompliant=\"{}\" data-stale=\"{}\">\
<td class=\"l\">All {} agencies</td>{}<td class=\"l\"></td></tr></tfoot></table></div>",
        t.hosts(),
        t.compliant,
        t.noncompliant,
        t.stale,
        num(d.agencies.len() as i64),
        agency_cells(&t),
    );
    s
}

fn rules_table(d: &PageData) -> String {
    if d.rules.is_empty() {
        return "<p id=\"top-rules\" class=\"none\">No rule is failing on any host.</p>".into();
    }
    let mut s = String::from(
        "<div class=\"scroll\"><table id=\"top-rules\"><thead><tr><th>#</th><th class=\"l\">Rule</th><th class=\"l\">Title</th>\
<th class=\"l\">Severity</th><th>Failing hosts</th><th>Agencies</th></tr></thead><tbody>",
    );
    for (i, r) in d.rules.iter().enumerate() {
        let title = match &r.title {
            Some(t) => esc(t),
            None => "<span class=\"none\">—</span>".into(),
        };
        let _ = write!(
            s,
            "<tr data-rule=\"{id}\" data-failing=\"{}\" data-severity=\"{sev}\"><td>{}</td><td class=\"l rule\">{id}</td>\
<td class=\"l title\">{title}</td><td class=\"l\"><span class=\"sev {sev}\">{sev}</span></td><td class=\"nc\">{}</td><td>{}</td></tr>",
            r.failing,
            i + 1,
            num(r.failing),
            num(r.agencies as i64),
            id = esc(&r.rule_id),
            sev = r.severity.as_str(),
        );
    }
    s.push_str("</tbody></table></div>");
    s
}

fn kpis(d: &PageData) -> String {
    let t = d.totals();
    let share = pct(t.compliant, t.hosts()).unwrap_or_else(|| "—".into());
    format!(
        "<section class=\"kpis\" aria-label=\"Totals\">\
<div class=\"kpi\"><div class=\"v\" id=\"total-hosts\">{}</div><div class=\"k\">hosts reporting</div></div>\
<div class=\"kpi{ok}\"><div class=\"v\" id=\"total-compliant-pct\">{share}</div><div class=\"k\">{} compliant</div></div>\
<div class=\"kpi{bad}\"><div class=\"v\" id=\"total-noncompliant\">{}</div><div class=\"k\">noncompliant</div></div>\
<div class=\"kpi{stale}\"><div class=\"v\" id=\"total-stale\">{}</div><div class=\"k\">stale (no report for {})</div></div></section>",
        num(t.hosts()),
        plural(t.compliant, "host", "hosts"),
        num(t.noncompliant),
        num(t.stale),
        duration(d.stale_after),
        ok = if t.compliant > 0 { " ok" } else { "" },
        bad = if t.noncompliant > 0 { " bad" } else { "" },
        stale = if t.stale > 0 { " stale" } else { "" },
    )
}

fn duration(secs: i64) -> String {
    if secs > 0 && secs % DAY == 0 && secs >= 3 * DAY {
        format!("{} days", secs / DAY)
    } else if secs > 0 && secs % 3600 == 0 {
        format!("{} h", secs / 3600)
    } else {
        format!("{} min", (secs / 60).max(1))
    }
}

/// The HTML document.
pub fn render(d: &PageData) -> String {
    let name = esc(&d.campaign);
    let title_days = if d.now >= d.deadline {
        "deadline passed".to_string()
    } else {
        plural(d.days_left, "day left", "days left")
    };
    let newest = match d.newest_report {
        Some(t) => format!(
            "<time id=\"newest-report\" datetime=\"{}\">{}</time>",
            fmt_time(t),
            datetime(t)
        ),
        None => "<span id=\"newest-report\">none yet</span>".into(),
    };
    let mut s = String::with_capacity(32 * 1024);
    let _ = write!(
        s,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta name=\"generator\" content=\"hardline-collector {version}\">\
<title>{name} · {title_days} · hardline</title><style>{STYLE}</style></head>\n<body><main>\n\
<header class=\"top\"><div class=\"head\"><p class=\"kicker\">hardline · compliance campaign</p>\
<h1 id=\"campaign-name\">{name}</h1>\
<p class=\"dates\">Started <strong><time id=\"campaign-start\" datetime=\"{start_iso}\">{start}</time></strong> \
· Deadline <strong><time id=\"deadline\" datetime=\"{deadline_iso}\">{deadline}</time></strong> \
· Hosts count as compliant with no failed check of severity <strong>{thr}</strong> or above</p></div>\n{countdown}</header>\n\
{verdict}\n{kpis}\n\
<section class=\"chart\"><h2>Burn-down: noncompliant hosts per day</h2><figure>{svg}\
<figcaption><span class=\"legend\"></span>noncompliant hosts, all agencies (daily snapshot; today live)\
<span class=\"legend proj\"></span>projection at the recent pace (least squares, last 14 days)\
<span class=\"legend dl\"></span>deadline{no_projection}</figcaption></figure></section>\n\
<section class=\"agencies\"><h2>Compliance by agency</h2>{agencies}</section>\n\
<section class=\"rules\"><h2>Most-failed rules</h2>{rules}</section>\n\
<footer><p>Newest report received: {newest} · Page generated <time id=\"generated\" datetime=\"{now_iso}\">{now}</time>. \
Machine-readable: <code>/api/v1/summary</code> (viewer token), <code>/metrics</code>.</p></footer>\n\
</main></body></html>\n",
        version = env!("CARGO_PKG_VERSION"),
        start_iso = fmt_time(d.start),
        start = date_long(d.start),
        deadline_iso = fmt_time(d.deadline),
        deadline = datetime(d.deadline),
        thr = esc(&d.threshold),
        countdown = countdown(d),
        verdict = verdict_html(d),
        kpis = kpis(d),
        svg = burndown_svg(d),
        no_projection = no_projection_note(d),
        agencies = agencies_table(d),
        rules = rules_table(d),
        now_iso = fmt_time(d.now),
        now = datetime(d.now),
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const START: i64 = 1_780_358_400; // 2026-06-02T00:00:00Z

    fn scale_ok(s: &Scale) {
        assert!(s.hi > s.lo, "{s:?}");
        assert!(
            s.ymax >= 1 && s.ystep >= 1 && s.ymax % s.ystep == 0,
            "{s:?}"
        );
        for t in [s.lo, s.hi, (s.lo + s.hi) / 2] {
            let x = s.x(t);
            assert!(
                x.is_finite() && (ML - 0.01..=W - MR + 0.01).contains(&x),
                "{x}"
            );
        }
        for v in [0.0, s.ymax as f64] {
            let y = s.y(v);
            assert!(
                y.is_finite() && (MT - 0.01..=H - MB + 0.01).contains(&y),
                "{y}"
            );
        }
        let ticks = s.x_ticks();
        assert!(!ticks.is_empty() && ticks.len() <= 12, "{ticks:?}");
        assert!(ticks
            .iter()
            .all(|&t| t >= s.lo && t <= s.hi && t % DAY == 0));
    }

    #[test]
    fn esc_makes_markup_and_invisible_characters_visible() {
        assert_eq!(esc("<b a=\"x\">&'"), "&lt;b a=&quot;x&quot;&gt;&amp;&#39;");
        assert_eq!(
            esc("SSH root\u{202e}nigol\u{200b} ok"),
            "SSH root\\u{202e}nigol\\u{200b} ok"
        );
        assert_eq!(esc("Résumé — ok"), "Résumé — ok");
    }

    #[test]
    fn y_axis_is_nice() {
        assert_eq!(y_axis(0), (1, 1));
        assert_eq!(y_axis(-3), (1, 1));
        assert_eq!(y_axis(1), (1, 1));
        assert_eq!(y_axis(3), (3, 1));
        assert_eq!(y_axis(7), (8, 2));
        assert_eq!(y_axis(10), (10, 2));
        assert_eq!(y_axis(11), (15, 5));
        assert_eq!(y_axis(100), (100, 20));
        assert_eq!(y_axis(101), (150, 50));
        assert_eq!(y_axis(12_345), (15_000, 5_000));
        let (top, step) = y_axis(i64::MAX / 2);
        assert!(top >= i64::MAX / 2 && step > 0);
    }

    #[test]
    fn scale_with_no_points() {
        let s = Scale::new(&[], START, START + 30 * DAY, None);
        scale_ok(&s);
        assert_eq!((s.ymax, s.ystep), (1, 1));
        assert!(s.lo < START && s.hi > START + 30 * DAY);
    }

    #[test]
    fn scale_with_one_point() {
        let p = [(START + 3 * DAY, 42)];
        let s = Scale::new(&p, START, START + 30 * DAY, None);
        scale_ok(&s);
        assert_eq!(s.ymax, 50);
        let x = s.x(p[0].0);
        assert!(x > s.x(START) && x < s.x(START + 30 * DAY));
        // One point is no trend: nothing to project from.
        assert_eq!(
            projection_segment(p[0], START + 40 * DAY, &s).map(|_| ()),
            Some(())
        );
        assert_eq!(projection_segment(p[0], p[0].0, &s), None);
    }

    #[test]
    fn scale_with_all_zero() {
        let p: Vec<(i64, i64)> = (0..5).map(|i| (START + i * DAY, 0)).collect();
        let s = Scale::new(&p, START, START + 30 * DAY, None);
        scale_ok(&s);
        assert_eq!(s.y_ticks(), vec![0, 1]);
        assert_eq!(s.y(0.0), H - MB, "zero sits on the x axis");
        assert_eq!(
            projection_segment(p[4], START + 9 * DAY, &s),
            None,
            "nothing left to fix"
        );
    }

    #[test]
    fn deadline_before_the_first_point() {
        // The deadline passed before the first snapshot: the axis still shows it.
        let deadline = START + 30 * DAY;
        let p: Vec<(i64, i64)> = (0..4).map(|i| (deadline + (5 + i) * DAY, 10 - i)).collect();
        let s = Scale::new(&p, START, deadline, None);
        scale_ok(&s);
        assert!(s.x(deadline) < s.x(p[0].0));
        assert!(s.x(START) >= ML && s.x(p[3].0) <= W - MR);
        // Start after the deadline (a misconfiguration) still gives a sane axis.
        let s = Scale::new(&p, deadline + DAY, deadline, None);
        scale_ok(&s);
    }

    #[test]
    fn projection_is_clipped_at_the_edge() {
        let p: Vec<(i64, i64)> = (0..5).map(|i| (START + i * DAY, 100 - i)).collect();
        let far = START + 400 * DAY;
        let s = Scale::new(&p, START, START + 30 * DAY, Some(far));
        scale_ok(&s);
        assert!(s.hi < far, "a far completion does not squash the chart");
        let ((ax, ay), (bx, by)) = projection_segment(p[4], far, &s).unwrap();
        assert_eq!((ax, ay), (p[4].0, 96.0));
        assert_eq!(bx, s.hi);
        assert!(by > 0.0 && by < 96.0, "{by}");
        // A near completion extends the axis and ends on zero.
        let near = START + 34 * DAY;
        let s = Scale::new(&p, START, START + 30 * DAY, Some(near));
        assert!(s.hi >= near);
        let (_, (bx, by)) = projection_segment(p[4], near, &s).unwrap();
        assert_eq!((bx, by), (near, 0.0));
    }

    #[test]
    fn x_ticks_stay_few_on_long_campaigns() {
        let s = Scale::new(&[], START, START + 365 * DAY, None);
        scale_ok(&s);
        let s = Scale::new(&[], START, START + DAY, None);
        scale_ok(&s);
    }

    fn data() -> PageData {
        PageData {
            campaign: "eo-30-day".into(),
            start: START,
            deadline: START + 30 * DAY,
            now: START + 10 * DAY + 3600,
            days_left: 20,
            threshold: "medium".into(),
            stale_after: 2 * DAY,
            agencies: vec![
                AgencyRow {
                    name: "DOE".into(),
                    compliant: 8,
                    noncompliant: 2,
                    stale: 1,
                    projected: Some(START + 12 * DAY),
                    on_track: Some(true),
                },
                AgencyRow {
                    name: "DOJ".into(),
                    compliant: 0,
                    noncompliant: 0,
                    stale: 0,
                    projected: None,
                    on_track: Some(true),
                },
            ],
            burndown: (0..11).map(|i| (START + i * DAY, 12 - i)).collect(),
            rules: vec![RuleRow {
                rule_id: "ssh.root".into(),
                title: Some("No root login".into()),
                severity: Severity::High,
                failing: 2,
                agencies: 1,
            }],
            newest_report: Some(START + 10 * DAY),
        }
    }

    #[test]
    fn verdicts() {
        let mut d = data();
        assert_eq!(d.verdict(), Verdict::OnTrack);
        assert_eq!(d.fleet_completion(), Some(START + 12 * DAY));
        d.agencies[1].noncompliant = 3;
        d.agencies[1].on_track = None;
        assert_eq!(d.verdict(), Verdict::NoTrend);
        assert_eq!(d.fleet_completion(), None);
        d.agencies[0].on_track = Some(false);
        assert_eq!(d.verdict(), Verdict::AtRisk);
        let html = render(&d);
        assert!(html.contains("data-verdict=\"at-risk\""), "{html}");
        assert!(html.contains("No downward trend yet at DOJ"), "{html}");
        for a in &mut d.agencies {
            a.compliant = 0;
            a.noncompliant = 0;
            a.stale = 0;
        }
        assert_eq!(d.verdict(), Verdict::NoHosts);
        let mut d = data();
        d.now = d.deadline + 3 * DAY + 5;
        d.days_left = 0;
        assert_eq!(d.verdict(), Verdict::AtRisk);
        let html = render(&d);
        assert!(html.contains("data-deadline-passed=\"true\""));
        assert!(html.contains("3 days ago"), "{html}");
        assert!(html.contains("the deadline has passed"));
    }

    #[test]
    fn hostile_strings_are_escaped() {
        let mut d = data();
        let evil = "<script>alert(\"x\")</script><img src=x onerror='alert(1)'>&amp;";
        d.campaign = evil.into();
        d.agencies[0].name = evil.into();
        d.rules[0].rule_id = evil.into();
        d.rules[0].title = Some(evil.into());
        d.threshold = evil.into();
        let html = render(&d);
        assert!(!html.contains("<script"), "unescaped script tag");
        assert!(!html.contains("<img"), "unescaped img tag");
        assert!(!html.contains("'alert"), "unescaped quote");
        let escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=&#39;alert(1)&#39;&gt;&amp;amp;";
        // Title, heading, agency row (attribute + cell), verdict, rule row (attr + cell), title cell.
        assert!(html.matches(escaped).count() >= 7, "{html}");
        assert!(html.contains(&format!("data-agency=\"{escaped}\"")));
    }

    #[test]
    fn zero_hosts_and_empty_history_render() {
        let mut d = data();
        for a in &mut d.agencies {
            a.compliant = 0;
            a.noncompliant = 0;
            a.stale = 0;
            a.projected = None;
        }
        d.rules.clear();
        d.burndown.clear();
        d.newest_report = None;
        let html = render(&d);
        assert!(html.contains("data-verdict=\"no-hosts\""));
        assert!(html.contains("data-points=\"0\""));
        assert!(html.contains("no daily snapshots yet"));
        assert!(html.contains("No rule is failing"));
        assert!(!html.contains("NaN") && !html.contains("inf"), "{html}");
        d.burndown = vec![(START, 0)];
        let html = render(&d);
        assert!(html.contains("no hosts reporting yet"));
        assert_eq!(html.matches("class=\"point\"").count(), 1);
        d.agencies[0].stale = 3;
        let html = render(&d);
        assert!(html.contains("one day of data so far"));
        assert_eq!(html.matches("class=\"point\"").count(), 1);
    }

    #[test]
    fn formatting() {
        assert_eq!(num(0), "0");
        assert_eq!(num(999), "999");
        assert_eq!(num(1000), "1,000");
        assert_eq!(num(-1234567), "-1,234,567");
        assert_eq!(pct(0, 0), None);
        assert_eq!(pct(9999, 10000).as_deref(), Some("99.9%"));
        assert_eq!(pct(1, 3).as_deref(), Some("33.3%"));
        assert_eq!(pct(5, 5).as_deref(), Some("100.0%"));
        assert_eq!(date_long(START), "2 Jun 2026");
        assert_eq!(date_short(START), "Jun 2");
        assert_eq!(datetime(START + 3600 + 60 * 5), "2 Jun 2026, 01:05 UTC");
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(duration(48 * 3600), "48 h");
        assert_eq!(duration(7 * DAY), "7 days");
    }

    #[test]
    fn from_summary_sums_the_burn_down_over_agencies() {
        use crate::summary::{AgencySummary, BurndownPoint, CampaignSummary, WaiverCounts};
        let point = |day: i64, noncompliant: i64| BurndownPoint {
            compliant: 0,
            day,
            noncompliant,
            stale: 0,
        };
        let agency = |name: &str, noncompliant, projected, on_track, burndown| AgencySummary {
            burndown,
            compliant: 1,
            hosts: 1 + noncompliant,
            name: name.into(),
            noncompliant,
            on_track,
            projected_completion: projected,
            reports_received: 0,
            stale: 0,
            waivers: WaiverCounts {
                active: 0,
                expired: 0,
            },
        };
        let v = Summary {
            agencies: vec![
                agency(
                    "A",
                    2,
                    Some(START + 18 * DAY),
                    Some(true),
                    vec![point(START + 8 * DAY, 3), point(START + 9 * DAY, 2)],
                ),
                agency("B", 1, None, None, vec![point(START + 9 * DAY, 1)]),
            ],
            campaign: CampaignSummary {
                days_left: 20,
                deadline: START + 30 * DAY,
                name: "c".into(),
                now: START + 10 * DAY,
                severity_threshold: Severity::Medium,
                stale_after_seconds: 172_800,
                start: START,
            },
        };
        let d = PageData::from_summary(&v, vec![], None);
        assert_eq!(d.burndown, vec![(START + 8 * DAY, 3), (START + 9 * DAY, 3)]);
        assert_eq!(d.agencies[0].projected, Some(START + 18 * DAY));
        assert_eq!(d.agencies[1].on_track, None);
        assert_eq!(d.threshold, "medium");
        assert_eq!(d.verdict(), Verdict::NoTrend);
    }
}
