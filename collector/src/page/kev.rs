//! The "Known exploited vulnerabilities" section, from the summary's [`KevSummary`] (the
//! very value `/api/v1/summary` serializes as `kev`): headline counts, what the findings
//! may be missing, the agencies, the hosts that need forensic triage, and one row per KEV
//! CVE open in the fleet, in the summary's order (most urgent first).
//!
//! Every state says what it knows: no feeds, no catalog, no host assessed are "unknown",
//! never "no KEV". Many CVEs stay readable: the first [`ROWS_SHOWN`] rows are the table,
//! up to [`ROWS_MAX`] more sit in a `<details>` element (no script), and a print-only note
//! points to the API for the rest (a closed `<details>` does not print).

use super::fmt::{date_long, esc, num, plural, shorten};
use crate::summary::{KevAgency, KevCve, KevState, KevSummary, TRIAGE_LISTED};
use std::fmt::Write as _;

/// Rows of the CVE table shown at once.
pub const ROWS_SHOWN: usize = 25;
/// Rows rendered at most (the rest: the API).
pub const ROWS_MAX: usize = 500;
/// Agencies named in a CVE row's "by agency" cell; the rest are counted.
pub const AGENCIES_PER_ROW: usize = 4;
/// Where every KEV finding is listed (viewer token).
pub const KEV_API: &str = "/api/v1/vulnerabilities?kev=true";

/// "KEV catalog of 25 Aug 2025 (version 2025.08.25)".
fn catalog_phrase(k: &KevSummary) -> String {
    let Some(c) = &k.catalog else {
        return "no KEV catalog".into();
    };
    let date = match c.date.as_deref() {
        Some(d) => match hardline_agent::vuln::parse_ymd(d) {
            Some(day) => format!(
                "<time id=\"kev-catalog\" datetime=\"{}\">{}</time>",
                esc(d),
                date_long(day.midnight().assume_utc().unix_timestamp())
            ),
            None => format!("<span id=\"kev-catalog\">{}</span>", esc(d)),
        },
        None => "<span id=\"kev-catalog\">unknown date</span>".into(),
    };
    match c.version.as_deref() {
        Some(v) if Some(v) != c.date.as_deref() => {
            format!("KEV catalog of {date}, version {}", esc(v))
        }
        _ => format!("KEV catalog of {date}"),
    }
}

fn unassessed_sentence(k: &KevSummary) -> String {
    if k.unassessed == 0 {
        return String::new();
    }
    let why = if k.no_inventory > 0 {
        format!(
            " ({} sent no package inventory)",
            plural(k.no_inventory as i64, "host", "hosts")
        )
    } else {
        String::new()
    };
    format!(
        " <strong class=\"unknown\">{} unassessed</strong>{why}: their KEV status is unknown, not clean.",
        plural(k.unassessed as i64, "host", "hosts")
    )
}

/// The one-line statement of the section.
fn status_line(k: &KevSummary) -> String {
    let all = k.assessed + k.unassessed;
    let text = match k.state {
        KevState::Loading => "<strong>Vulnerability findings are loading</strong> (the collector is reading its stored inventories or matching newly loaded feeds): known-exploited vulnerabilities are unknown, not zero.".to_string(),
        KevState::NoFeeds => format!(
            "<strong>Vulnerability feeds not loaded: {} unassessed.</strong> Known-exploited vulnerabilities are unknown, not zero (<code>hardline-collector feeds import</code>).",
            plural(k.unassessed as i64, "host", "hosts")
        ),
        KevState::NoCatalog => format!(
            "<strong>The CISA KEV catalog is not loaded</strong>: {} cannot be checked for known-exploited vulnerabilities (unknown, not zero).",
            plural(all as i64, "host", "hosts")
        ),
        KevState::NoHosts => format!(
            "No hosts reporting: nothing to check against the {}.",
            catalog_phrase(k)
        ),
        KevState::Unassessed => format!(
            "<strong>No host assessed yet</strong> against the {}:{}",
            catalog_phrase(k),
            unassessed_sentence(k)
        ),
        KevState::Clear if k.unassessed == 0 => format!(
            "No known-exploited vulnerabilities open in the fleet ({}).",
            catalog_phrase(k)
        ),
        KevState::Clear => format!(
            "No known-exploited vulnerabilities open on the {} assessed ({}).{}",
            plural(k.assessed as i64, "host", "hosts"),
            catalog_phrase(k),
            unassessed_sentence(k)
        ),
        KevState::Open => format!(
            "<strong>{} {} at least one known-exploited vulnerability, {} past due</strong>, across {} ({}).{}",
            plural(k.hosts as i64, "host", "hosts"),
            if k.hosts == 1 { "carries" } else { "carry" },
            num(k.overdue_hosts as i64),
            plural(k.cves.len() as i64, "KEV CVE", "KEV CVEs"),
            catalog_phrase(k),
            unassessed_sentence(k)
        ),
    };
    format!("<p id=\"kev-status\" class=\"kev-status\">{text}</p>")
}

fn notes(k: &KevSummary) -> String {
    let mut items: Vec<String> = k
        .feed_notes
        .iter()
        .map(|n| format!("<li class=\"feed\">{}</li>", esc(n)))
        .collect();
    let judged = matches!(k.state, KevState::Open | KevState::Clear);
    if judged && !k.table_verified {
        items.push(
            "<li class=\"table\">The BOD 26-04 remediation table is CERT/CC&#39;s decision table, not yet verified against the directive&#39;s own Table 1: due dates and triage are provisional.</li>"
                .into(),
        );
    }
    if items.is_empty() {
        return String::new();
    }
    format!(
        "<ul id=\"kev-notes\" class=\"kev-notes\">{}</ul>",
        items.concat()
    )
}

fn kpis(k: &KevSummary) -> String {
    let mut s = format!(
        "<div class=\"kpis kev-kpis\">\
<div class=\"kpi bad\"><div class=\"v\" id=\"kev-hosts\">{}</div><div class=\"k\">hosts with a KEV CVE (of {} assessed)</div></div>\
<div class=\"kpi{}\"><div class=\"v\" id=\"kev-overdue-hosts\">{}</div><div class=\"k\">past due (BOD 26-04)</div></div>\
<div class=\"kpi{}\"><div class=\"v\" id=\"kev-triage-hosts\">{}</div><div class=\"k\">need forensic triage</div></div>\
<div class=\"kpi\"><div class=\"v\" id=\"kev-cves-count\">{}</div><div class=\"k\">KEV CVEs open</div></div>",
        num(k.hosts as i64),
        num(k.assessed as i64),
        if k.overdue_hosts > 0 { " bad" } else { "" },
        num(k.overdue_hosts as i64),
        if k.triage.hosts > 0 { " bad" } else { "" },
        num(k.triage.hosts as i64),
        num(k.cves.len() as i64),
    );
    if k.unassessed > 0 {
        let _ = write!(
            s,
            "<div class=\"kpi stale\"><div class=\"v\" id=\"kev-unassessed\">{}</div><div class=\"k\">unassessed (unknown)</div></div>",
            num(k.unassessed as i64)
        );
    }
    s.push_str("</div>");
    s
}

fn agencies_table(k: &KevSummary) -> String {
    let mut rows: Vec<&KevAgency> = k
        .agencies
        .iter()
        .filter(|a| a.hosts > 0 || a.unassessed > 0 || a.triage_hosts > 0)
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    rows.sort_by(|a, b| {
        b.overdue_hosts
            .cmp(&a.overdue_hosts)
            .then(b.hosts.cmp(&a.hosts))
            .then(b.triage_hosts.cmp(&a.triage_hosts))
            .then(b.unassessed.cmp(&a.unassessed))
            .then(a.name.cmp(&b.name))
    });
    let mut s = String::from(
        "<h3>By agency</h3><div class=\"scroll\"><table id=\"kev-agencies\" class=\"kev\"><thead><tr><th class=\"l\">Agency</th>\
<th>Hosts with a KEV CVE</th><th>Past due</th><th>Forensic triage</th><th>Assessed</th><th>Unassessed</th></tr></thead><tbody>",
    );
    for a in rows {
        let _ = write!(
            s,
            "<tr data-kev-agency=\"{name}\" data-kev-hosts=\"{}\" data-overdue-hosts=\"{}\" data-triage-hosts=\"{}\" data-unassessed=\"{}\">\
<td class=\"l name\">{name}</td><td class=\"nc\">{}</td><td{}>{}</td><td>{}</td><td>{}</td><td{}>{}</td></tr>",
            a.hosts,
            a.overdue_hosts,
            a.triage_hosts,
            a.unassessed,
            num(a.hosts as i64),
            if a.overdue_hosts > 0 { " class=\"nc\"" } else { "" },
            num(a.overdue_hosts as i64),
            num(a.triage_hosts as i64),
            num(a.assessed as i64),
            if a.unassessed > 0 { " class=\"unknown\"" } else { "" },
            num(a.unassessed as i64),
            name = esc(&a.name),
        );
    }
    s.push_str("</tbody></table></div>");
    s
}

fn triage(k: &KevSummary) -> String {
    let t = &k.triage;
    if t.hosts == 0 {
        return String::new();
    }
    let per: Vec<String> = k
        .agencies
        .iter()
        .filter(|a| a.triage_hosts > 0)
        .map(|a| format!("{} {}", esc(&a.name), num(a.triage_hosts as i64)))
        .collect();
    let mut s = format!(
        "<div id=\"kev-triage\" class=\"triage\" data-hosts=\"{}\" data-listed=\"{}\">\
<h3>Forensic triage required: {}</h3>\
<p>BOD 26-04&#39;s three-day band calls for a forensic investigation on these hosts, not only a patch. By agency: {}.</p><ul class=\"hosts\">",
        t.hosts,
        t.listed.len(),
        plural(t.hosts as i64, "host", "hosts"),
        per.join(" · "),
    );
    for h in &t.listed {
        let _ = write!(
            s,
            "<li data-host=\"{}\"><span class=\"agency\">{}</span> {}</li>",
            esc(&h.host_id),
            esc(&h.agency),
            esc(&shorten(&h.hostname, 80)),
        );
    }
    s.push_str("</ul>");
    let rest = t.hosts.saturating_sub(t.listed.len() as u64);
    if rest > 0 {
        let _ = write!(
            s,
            "<p class=\"more\" id=\"kev-triage-more\">and {} more (first {TRIAGE_LISTED} listed; all: <code>/api/v1/vulnerabilities?band=3d</code>, the findings with <code>forensic_triage</code>).</p>",
            num(rest as i64)
        );
    }
    s.push_str("</div>");
    s
}

fn ymd_cell(d: Option<&str>, class: &str) -> String {
    match d {
        Some(d) => format!("<td class=\"date{class}\">{}</td>", esc(d)),
        None => "<td class=\"date\"><span class=\"none\">—</span></td>".into(),
    }
}

fn by_agency(c: &KevCve) -> String {
    let mut parts: Vec<String> = c
        .agencies
        .iter()
        .take(AGENCIES_PER_ROW)
        .map(|a| {
            if a.overdue_hosts > 0 {
                format!(
                    "{} {} <span class=\"nc\">({} past due)</span>",
                    esc(&a.name),
                    num(a.hosts as i64),
                    num(a.overdue_hosts as i64)
                )
            } else {
                format!("{} {}", esc(&a.name), num(a.hosts as i64))
            }
        })
        .collect();
    if c.agencies.len() > AGENCIES_PER_ROW {
        parts.push(format!(
            "{} more",
            plural(
                (c.agencies.len() - AGENCIES_PER_ROW) as i64,
                "agency",
                "agencies"
            )
        ));
    }
    parts.join(" · ")
}

fn cve_row(c: &KevCve, today: &str) -> String {
    let overdue_due = c.due.as_deref().is_some_and(|d| d < today);
    let ransomware = match c.known_ransomware_campaign_use.as_str() {
        "Known" => "<span class=\"rw known\">known</span>".to_string(),
        "Unknown" => "<span class=\"rw\">unknown</span>".to_string(),
        other => format!("<span class=\"rw\">{}</span>", esc(other)),
    };
    let product = if c.product.trim().is_empty() {
        "<span class=\"none\">—</span>".to_string()
    } else {
        esc(&shorten(c.product.trim(), 80))
    };
    format!(
        "<tr data-cve=\"{cve}\" data-hosts=\"{}\" data-overdue=\"{}\" data-due=\"{}\" data-kev-due=\"{}\" data-ransomware=\"{}\">\
<td class=\"l cve\">{cve_text}</td><td class=\"l prod\">{product}</td><td>{}</td><td{}>{}</td>{}{}<td class=\"l\">{ransomware}</td><td class=\"l by\">{}</td></tr>",
        c.hosts,
        c.overdue_hosts,
        esc(c.due.as_deref().unwrap_or("")),
        esc(&c.due_date),
        esc(&c.known_ransomware_campaign_use),
        num(c.hosts as i64),
        if c.overdue_hosts > 0 { " class=\"nc\"" } else { "" },
        num(c.overdue_hosts as i64),
        ymd_cell(c.due.as_deref(), if overdue_due { " nc" } else { "" }),
        ymd_cell(Some(&c.due_date), ""),
        by_agency(c),
        cve_text = esc(&shorten(&c.cve, 24)),
        cve = esc(&c.cve),
    )
}

const CVE_HEAD: &str = "<thead><tr><th class=\"l\">CVE</th><th class=\"l\">Vendor · product</th><th>Hosts</th>\
<th>Past due</th><th>BOD&nbsp;26&#8209;04 due</th><th>KEV due date</th><th class=\"l\">Ransom&shy;ware use</th><th class=\"l\">By agency</th></tr></thead>";

fn cves_table(k: &KevSummary, today: &str) -> String {
    if k.cves.is_empty() {
        return String::new();
    }
    let shown = k.cves.len().min(ROWS_SHOWN);
    let mut s = format!(
        "<h3>KEV CVEs open in the fleet, most urgent first</h3><div class=\"scroll\"><table id=\"kev-cves\" class=\"kev cves\">{CVE_HEAD}<tbody>"
    );
    for c in &k.cves[..shown] {
        s.push_str(&cve_row(c, today));
    }
    s.push_str("</tbody></table></div>");
    let more = k.cves.len() - shown;
    if more > 0 {
        let rendered = k.cves.len().min(ROWS_MAX);
        let _ = write!(
            s,
            "<details id=\"kev-more\" data-rows=\"{}\"><summary>{} more {}</summary><div class=\"scroll\"><table class=\"kev cves more\">{CVE_HEAD}<tbody>",
            rendered - shown,
            num(more as i64),
            if more == 1 { "KEV CVE" } else { "KEV CVEs" },
        );
        for c in &k.cves[shown..rendered] {
            s.push_str(&cve_row(c, today));
        }
        s.push_str("</tbody></table></div>");
        if k.cves.len() > rendered {
            let _ = write!(
                s,
                "<p class=\"more\">{} more {} not listed here: <code>{KEV_API}</code>.</p>",
                num((k.cves.len() - rendered) as i64),
                if k.cves.len() - rendered == 1 {
                    "CVE"
                } else {
                    "CVEs"
                }
            );
        }
        let _ = write!(
            s,
            "</details><p id=\"kev-more-note\" class=\"print-only more\">{} more — see <code>{KEV_API}</code> (viewer token).</p>",
            num(more as i64)
        );
    }
    let _ = write!(
        s,
        "<p class=\"kev-foot\">Past due: hosts past the BOD 26-04 due date of their finding (the clock starts when the collector first saw the finding, or when CISA added the CVE, whichever is later); the KEV due date is the catalog&#39;s own. Every finding, host by host: <code>{KEV_API}</code>.</p>"
    );
    s
}

/// The section. `today` is the page's day (`YYYY-MM-DD`), for marking past due dates.
pub fn section(k: &KevSummary, today: &str) -> String {
    let mut s = format!(
        "<section id=\"kev\" class=\"kev\" aria-labelledby=\"kev-title\" data-state=\"{state}\" data-kev-hosts=\"{}\" \
data-kev-overdue-hosts=\"{}\" data-kev-cves=\"{}\" data-assessed=\"{}\" data-unassessed=\"{}\" data-triage-hosts=\"{}\" data-table-verified=\"{}\">\
<h2 id=\"kev-title\">Known exploited vulnerabilities <span class=\"sub\">CISA KEV · BOD 26-04</span></h2>",
        k.hosts,
        k.overdue_hosts,
        k.cves.len(),
        k.assessed,
        k.unassessed,
        k.triage.hosts,
        k.table_verified,
        state = k.state.as_str(),
    );
    s.push_str(&status_line(k));
    if k.state == KevState::Open {
        s.push_str(&kpis(k));
    }
    s.push_str(&notes(k));
    if k.state == KevState::Open {
        s.push_str(&agencies_table(k));
        s.push_str(&triage(k));
        s.push_str(&cves_table(k, today));
    }
    s.push_str("</section>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::{HostKev, KevBuilder, KevFeeds};
    use hardline_agent::report::{FeedInfo, KevEntry};
    use time::macros::date;

    const NOW: i64 = 1_780_358_400 + 10 * 86400; // 2026-06-12

    fn feeds() -> KevFeeds {
        KevFeeds {
            loaded: true,
            infos: Some(vec![
                FeedInfo {
                    feed: "osv".into(),
                    present: true,
                    updated: Some("2026-06-11".into()),
                    records: 10,
                    ..FeedInfo::default()
                },
                FeedInfo {
                    feed: "kev".into(),
                    present: true,
                    version: Some("2026.06.10".into()),
                    updated: Some("2026-06-10".into()),
                    records: 1400,
                    ..FeedInfo::default()
                },
            ]),
            error: None,
            table_verified: false,
        }
    }

    fn entry(product: &str, due: &str, rw: &str) -> KevEntry {
        KevEntry {
            date_added: "2026-05-01".into(),
            due_date: due.into(),
            known_ransomware_campaign_use: rw.into(),
            required_action: "Apply updates.".into(),
            product: product.into(),
        }
    }

    fn rows(html: &str) -> Vec<String> {
        html.split("<tr data-cve=\"")
            .skip(1)
            .map(|r| r[..r.find('"').unwrap()].to_string())
            .collect()
    }

    #[test]
    fn rows_are_most_urgent_first_and_hosts_count_once() {
        let e = entry("Git Git", "2026-06-20", "Unknown");
        let k = |cve, overdue, due| HostKev {
            cve,
            entry: &e,
            overdue,
            due,
        };
        let mut b = KevBuilder::new([("DOE", 3), ("DOJ", 2)]);
        let (d1, d2, d3) = (
            Some(date!(2026 - 06 - 09)),
            Some(date!(2026 - 06 - 14)),
            Some(date!(2026 - 06 - 20)),
        );
        // A: 1 overdue host. B: 2 overdue. C: none overdue, due soonest. D: none, later due,
        // 3 hosts. E: none, same due as D, 1 host. F: no calendar due date.
        b.host(
            0,
            "h1",
            "one",
            true,
            &[
                k("CVE-2026-0001", true, d1),
                k("CVE-2026-0002", true, d1),
                k("CVE-2026-0003", false, d2),
                k("CVE-2026-0004", false, d3),
                // Same CVE from a second package: the host counts once.
                k("CVE-2026-0004", false, d3),
            ],
        );
        b.host(
            0,
            "h2",
            "two",
            false,
            &[k("CVE-2026-0002", true, d1), k("CVE-2026-0004", false, d3)],
        );
        b.host(
            1,
            "h3",
            "three",
            false,
            &[
                k("CVE-2026-0004", false, d3),
                k("CVE-2026-0005", false, d3),
                k("CVE-2026-0006", false, None),
            ],
        );
        b.host(1, "h4", "four", false, &[]);
        b.unassessed(0);
        let s = b.finish(&feeds(), NOW);
        assert_eq!(s.state, KevState::Open);
        let order: Vec<&str> = s.cves.iter().map(|c| c.cve.as_str()).collect();
        assert_eq!(
            order,
            [
                "CVE-2026-0002",
                "CVE-2026-0001",
                "CVE-2026-0003",
                "CVE-2026-0004",
                "CVE-2026-0005",
                "CVE-2026-0006"
            ]
        );
        let c4 = &s.cves[3];
        assert_eq!((c4.hosts, c4.overdue_hosts), (3, 0));
        assert_eq!(
            c4.agencies
                .iter()
                .map(|a| (a.name.as_str(), a.hosts))
                .collect::<Vec<_>>(),
            [("DOE", 2), ("DOJ", 1)]
        );
        assert_eq!((s.hosts, s.overdue_hosts, s.assessed), (3, 2, 4));
        // DOE: 3 reporting, 2 assessed, 1 unassessed with an inventory: 1 unassessed, not 2.
        assert_eq!(
            (s.agencies[0].unassessed, s.agencies[0].no_inventory),
            (1, 0)
        );
        // DOJ: 2 reporting, 2 assessed.
        assert_eq!(s.agencies[1].unassessed, 0);
        assert_eq!(s.triage.hosts, 1);
        assert_eq!(s.triage.listed[0].hostname, "one");
        // The page shows them in the summary's order, with their numbers.
        let html = section(&s, "2026-06-12");
        assert_eq!(rows(&html), order);
        assert!(html.contains("data-cve=\"CVE-2026-0002\" data-hosts=\"2\" data-overdue=\"2\" data-due=\"2026-06-09\""));
        assert!(
            html.contains("data-state=\"open\" data-kev-hosts=\"3\" data-kev-overdue-hosts=\"2\"")
        );
        assert!(html.contains("DOE 2 · DOJ 1"), "{html}");
        assert!(html.contains("1 host unassessed"), "{html}");
        assert!(html.contains("not yet verified"), "{html}");
        assert!(!html.contains("kev-more"), "6 rows need no details");
    }

    #[test]
    fn hostile_strings_are_escaped() {
        let evil = "<script>alert(\"x\")</script><img src=x onerror='alert(1)'>&amp;";
        let e = KevEntry {
            date_added: evil.into(),
            due_date: evil.into(),
            known_ransomware_campaign_use: evil.into(),
            required_action: evil.into(),
            product: evil.into(),
        };
        let mut b = KevBuilder::new([(evil, 1)]);
        b.host(
            0,
            evil,
            evil,
            true,
            &[HostKev {
                cve: evil,
                entry: &e,
                overdue: true,
                due: None,
            }],
        );
        let mut f = feeds();
        if let Some(i) = f.infos.as_mut() {
            i[1].version = Some(evil.into());
            i[1].updated = Some(evil.into());
        }
        let s = b.finish(&f, NOW);
        let html = section(&s, "2026-06-12");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("'alert"), "{html}");
        let escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=&#39;alert(1)&#39;&gt;&amp;amp;";
        // CVE (attribute + cell), product, ransomware (attribute + cell), KEV due (attribute
        // + cell), agency (row cell, triage list), host id, hostname, catalog version.
        assert!(html.matches(escaped).count() >= 10, "{html}");
        assert!(html.contains(&format!("data-cve=\"{escaped}\"")));
        assert!(html.contains(&format!("data-host=\"{escaped}\"")));
    }

    #[test]
    fn missing_data_is_never_no_kev() {
        let none = "No known-exploited vulnerabilities";
        // No feeds: unassessed, with the count.
        let mut b = KevBuilder::new([("DOE", 3)]);
        b.unassessed(0);
        b.unassessed(0);
        let f = KevFeeds {
            loaded: true,
            ..KevFeeds::default()
        };
        let s = b.finish(&f, NOW);
        assert_eq!(
            (s.state, s.unassessed, s.no_inventory),
            (KevState::NoFeeds, 3, 1)
        );
        let html = section(&s, "2026-06-12");
        assert!(
            html.contains("Vulnerability feeds not loaded: 3 hosts unassessed."),
            "{html}"
        );
        assert!(!html.contains(none));
        // Still loading.
        let s = KevBuilder::new([("DOE", 3)]).finish(&KevFeeds::default(), NOW);
        assert_eq!(s.state, KevState::Loading);
        assert!(!section(&s, "2026-06-12").contains(none));
        // Hosts matched with feeds not yet published: a load in progress, not "no feeds".
        let mut b = KevBuilder::new([("DOE", 1)]);
        b.host(0, "h", "h", false, &[]);
        let s = b.finish(&f, NOW);
        assert_eq!(s.state, KevState::Loading);
        // Feeds without a KEV catalog.
        let mut f = feeds();
        if let Some(i) = f.infos.as_mut() {
            i[1].present = false;
        }
        let mut b = KevBuilder::new([("DOE", 1)]);
        b.host(0, "h", "h", false, &[]);
        let s = b.finish(&f, NOW);
        assert_eq!(s.state, KevState::NoCatalog);
        let html = section(&s, "2026-06-12");
        assert!(html.contains("KEV catalog is not loaded"), "{html}");
        assert!(html.contains("KEV catalog is absent"), "{html}");
        assert!(!html.contains(none));
        // Hosts report, none has an inventory.
        let s = KevBuilder::new([("DOE", 2)]).finish(&feeds(), NOW);
        assert_eq!((s.state, s.no_inventory), (KevState::Unassessed, 2));
        let html = section(&s, "2026-06-12");
        assert!(html.contains("2 hosts unassessed"), "{html}");
        assert!(!html.contains(none));
        // Clear, with one host unassessed: said, and not "in the fleet".
        let mut b = KevBuilder::new([("DOE", 2)]);
        b.host(0, "h", "h", false, &[]);
        let s = b.finish(&feeds(), NOW);
        assert_eq!(s.state, KevState::Clear);
        let html = section(&s, "2026-06-12");
        assert!(html.contains("open on the 1 host assessed"), "{html}");
        assert!(html.contains("1 host unassessed"), "{html}");
        // Clear: the explicit line, with the catalog's date.
        let mut b = KevBuilder::new([("DOE", 1)]);
        b.host(0, "h", "h", false, &[]);
        let s = b.finish(&feeds(), NOW);
        let html = section(&s, "2026-06-12");
        assert!(
            html.contains("No known-exploited vulnerabilities open in the fleet (KEV catalog of <time id=\"kev-catalog\" datetime=\"2026-06-10\">10 Jun 2026</time>, version 2026.06.10)."),
            "{html}"
        );
        assert!(!html.contains("stale"), "{html}");
        // A stale catalog is said so.
        let s = b_stale();
        assert!(s.catalog.as_ref().unwrap().stale);
        let html = section(&s, "2026-06-12");
        assert!(
            html.contains("The KEV catalog is stale: 41 days old (dated 2026-05-02"),
            "{html}"
        );
    }

    fn b_stale() -> KevSummary {
        let mut f = feeds();
        if let Some(i) = f.infos.as_mut() {
            i[1].updated = Some("2026-05-02".into());
        }
        let mut b = KevBuilder::new([("DOE", 1)]);
        b.host(0, "h", "h", false, &[]);
        b.finish(&f, NOW)
    }

    #[test]
    fn many_cves_fold_into_details_and_triage_is_bounded() {
        let entries: Vec<(String, KevEntry)> = (0..620)
            .map(|i| {
                (
                    format!("CVE-2026-{:05}", 10000 + i),
                    entry(
                        "Vendor Product",
                        "2026-07-01",
                        if i % 7 == 0 { "Known" } else { "Unknown" },
                    ),
                )
            })
            .collect();
        let mut b = KevBuilder::new([("DOE", 30)]);
        for h in 0..30 {
            let kevs: Vec<HostKev<'_>> = entries
                .iter()
                .map(|(c, e)| HostKev {
                    cve: c,
                    entry: e,
                    overdue: false,
                    due: Some(date!(2026 - 06 - 15)),
                })
                .collect();
            b.host(
                0,
                &format!("id-{h:02}"),
                &format!("host-{h:02}"),
                true,
                &kevs,
            );
        }
        let s = b.finish(&feeds(), NOW);
        assert_eq!(s.cves.len(), 620);
        let html = section(&s, "2026-06-12");
        assert_eq!(rows(&html).len(), ROWS_MAX);
        assert!(html.contains(
            "<details id=\"kev-more\" data-rows=\"475\"><summary>595 more KEV CVEs</summary>"
        ));
        assert!(html.contains("595 more — see <code>/api/v1/vulnerabilities?kev=true</code>"));
        assert!(html.contains("120 more CVEs not listed here"));
        assert_eq!(s.triage.listed.len(), TRIAGE_LISTED);
        assert_eq!(s.triage.listed[0].hostname, "host-00");
        assert!(html.contains("data-hosts=\"30\" data-listed=\"20\""));
        assert!(html.contains("and 10 more"), "{html}");
        assert!(html.contains("<span class=\"rw known\">known</span>"));
    }
}
