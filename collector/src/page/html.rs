//! The HTML document: header and countdown, verdict, totals, the chart, the agencies and
//! most-failed rules tables, footer. Every string from reports or the configuration goes
//! through [`esc`].

use super::chart::burndown_svg;
use super::fmt::{
    date_iso, date_long, date_short, datetime, duration, esc, list_names, num, pct, plural, DAY,
};
use super::kev;
use super::view::{AgencyRow, PageData, Verdict};
use crate::config::fmt_time;
use std::fmt::Write as _;

/// The style sheet, inlined in the document (the CSP allows inline styles only).
const STYLE: &str = include_str!("style.css");

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
{verdict}\n{kpis}\n{kev}\n\
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
        kev = kev::section(&d.kev, &date_iso(d.now)),
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
    use crate::page::view::fixture::{data, START};

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
}
