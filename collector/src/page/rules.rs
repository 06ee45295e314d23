//! The most-failed rules (from the aggregates, with titles from stored reports) and the
//! newest report, for the view model.

use super::fmt::shorten;
use super::view::RuleRow;
use crate::agg::{sev_from, Aggregates, BIT_FAIL};
use crate::App;
use hardline_agent::report::Status;
use std::collections::HashMap;
use std::sync::Arc;

/// How many rules the "most failed" table lists.
pub const TOP_RULES: usize = 10;

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
