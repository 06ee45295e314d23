//! The campaign summary: one typed value, built from the aggregates, that both
//! `GET /api/v1/summary` (serialized with serde) and the status page (see [`crate::page`])
//! render, so that the two can never disagree.
//!
//! Times are Unix seconds in the value and RFC 3339 strings in the JSON (burn-down days as
//! `YYYY-MM-DD`). External programs read the JSON: its field names, their types and their
//! order (alphabetical, as the API has always written them) are a contract, pinned by the
//! tests below. Add fields in alphabetical order; never rename or remove one.

use crate::agg::{day_of, Aggregates};
use crate::config::{fmt_time, Campaign};
use crate::App;
use hardline_agent::report::Severity;
use serde::{Serialize, Serializer};

/// `GET /api/v1/summary`: the campaign and the agencies in scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Agencies in scope, in configuration order.
    pub agencies: Vec<AgencySummary>,
    /// The campaign clock.
    pub campaign: CampaignSummary,
}

/// The campaign part of the summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CampaignSummary {
    /// Days left until the deadline, rounded up, never negative ([`days_left`]).
    pub days_left: i64,
    /// Deadline (Unix seconds).
    #[serde(serialize_with = "ser_time")]
    pub deadline: i64,
    /// Campaign name.
    pub name: String,
    /// When the summary was taken (Unix seconds).
    #[serde(serialize_with = "ser_time")]
    pub now: i64,
    /// Results at or above this severity decide compliance.
    #[serde(serialize_with = "ser_severity")]
    pub severity_threshold: Severity,
    /// A host whose latest report is older than this is stale (seconds).
    pub stale_after_seconds: i64,
    /// Start (Unix seconds).
    #[serde(serialize_with = "ser_time")]
    pub start: i64,
}

/// One agency of the summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgencySummary {
    /// One point per day from the campaign start, the last one live (today).
    pub burndown: Vec<BurndownPoint>,
    /// Compliant hosts.
    pub compliant: i64,
    /// All hosts.
    pub hosts: i64,
    /// Agency name.
    pub name: String,
    /// Noncompliant hosts.
    pub noncompliant: i64,
    /// Projected completion at or before the deadline; `true` with no noncompliant host;
    /// `None` (JSON `null`) while noncompliant with no downward trend.
    pub on_track: Option<bool>,
    /// When the agency reaches zero noncompliant hosts at its recent pace (Unix seconds).
    #[serde(serialize_with = "ser_opt_time")]
    pub projected_completion: Option<i64>,
    /// Accepted reports.
    pub reports_received: u64,
    /// Stale hosts.
    pub stale: i64,
    /// Waivers of the agency.
    pub waivers: WaiverCounts,
}

impl AgencySummary {
    /// The agency's noncompliant hosts would have reached zero by the deadline at the
    /// recent pace ([`AgencySummary::on_track`] rules).
    fn on_track(projected: Option<i64>, noncompliant: i64, deadline: i64) -> Option<bool> {
        projected
            .map(|t| t <= deadline)
            .or(if noncompliant == 0 { Some(true) } else { None })
    }
}

/// Waivers by state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WaiverCounts {
    /// Not yet expired.
    pub active: u64,
    /// Expired.
    pub expired: u64,
}

/// One day of an agency's burn-down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BurndownPoint {
    /// Compliant hosts.
    pub compliant: i64,
    /// The day (midnight UTC, Unix seconds; `YYYY-MM-DD` in JSON).
    #[serde(serialize_with = "ser_day")]
    pub day: i64,
    /// Noncompliant hosts.
    pub noncompliant: i64,
    /// Stale hosts.
    pub stale: i64,
}

/// Days left until the deadline, rounded up, never negative.
pub fn days_left(deadline: i64, now: i64) -> i64 {
    if now >= deadline {
        0
    } else {
        (deadline - now + 86399) / 86400
    }
}

impl Summary {
    /// The summary of the agencies `scope` admits (by index), from aggregates already
    /// swept at `now`.
    pub fn of(aggs: &Aggregates, c: &Campaign, now: i64, scope: &dyn Fn(usize) -> bool) -> Summary {
        let today = day_of(now);
        let first_day = day_of(c.start);
        let agencies = aggs
            .agencies
            .iter()
            .enumerate()
            .filter(|(i, _)| scope(*i))
            .map(|(i, a)| {
                let projected = aggs.projected_completion(i, now).map(|t| t as i64);
                let (active, expired) = aggs.waivers.counts(i, now);
                let [compliant, noncompliant, stale] = a.counts;
                let mut burndown: Vec<BurndownPoint> = a
                    .daily
                    .iter()
                    .filter(|d| d.day < today && d.day >= first_day)
                    .map(|d| BurndownPoint {
                        compliant: d.compliant,
                        day: d.day,
                        noncompliant: d.noncompliant,
                        stale: d.stale,
                    })
                    .collect();
                burndown.push(BurndownPoint {
                    compliant,
                    day: today,
                    noncompliant,
                    stale,
                });
                AgencySummary {
                    burndown,
                    compliant,
                    hosts: a.counts.iter().sum(),
                    name: a.name.clone(),
                    noncompliant,
                    on_track: AgencySummary::on_track(projected, noncompliant, c.deadline),
                    projected_completion: projected,
                    reports_received: a.received_total,
                    stale,
                    waivers: WaiverCounts { active, expired },
                }
            })
            .collect();
        Summary {
            agencies,
            campaign: CampaignSummary {
                days_left: days_left(c.deadline, now),
                deadline: c.deadline,
                name: c.name.clone(),
                now,
                severity_threshold: c.severity_threshold,
                stale_after_seconds: c.stale_after,
                start: c.start,
            },
        }
    }

    /// The running collector's summary now, for the agencies `scope` admits.
    pub fn current(app: &App, scope: &dyn Fn(usize) -> bool) -> Summary {
        let now = app.clock.now();
        let mut aggs = app.lock_aggs();
        aggs.sweep(now);
        Summary::of(&aggs, &app.config.campaign, now, scope)
    }
}

fn ser_time<S: Serializer>(t: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&fmt_time(*t))
}

fn ser_opt_time<S: Serializer>(t: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => ser_time(t, s),
        None => s.serialize_none(),
    }
}

fn ser_day<S: Serializer>(t: &i64, s: S) -> Result<S::Ok, S::Error> {
    let full = fmt_time(*t);
    s.serialize_str(full.get(..10).unwrap_or(&full))
}

fn ser_severity<S: Serializer>(v: &Severity, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    const START: i64 = 1_780_358_400; // 2026-06-02T00:00:00Z
    const DAY: i64 = 86400;

    fn sample() -> Summary {
        Summary {
            agencies: vec![
                AgencySummary {
                    burndown: vec![
                        BurndownPoint {
                            compliant: 1,
                            day: START + DAY,
                            noncompliant: 5,
                            stale: 0,
                        },
                        BurndownPoint {
                            compliant: 2,
                            day: START + 2 * DAY,
                            noncompliant: 4,
                            stale: 1,
                        },
                    ],
                    compliant: 2,
                    hosts: 7,
                    name: "DOE".into(),
                    noncompliant: 4,
                    on_track: Some(true),
                    projected_completion: Some(START + 7 * DAY + 9 * 3600),
                    reports_received: 36,
                    stale: 1,
                    waivers: WaiverCounts {
                        active: 1,
                        expired: 0,
                    },
                },
                AgencySummary {
                    burndown: vec![],
                    compliant: 0,
                    hosts: 3,
                    name: "DOJ".into(),
                    noncompliant: 3,
                    on_track: None,
                    projected_completion: None,
                    reports_received: 21,
                    stale: 0,
                    waivers: WaiverCounts {
                        active: 0,
                        expired: 2,
                    },
                },
            ],
            campaign: CampaignSummary {
                days_left: 24,
                deadline: START + 30 * DAY,
                name: "eo-30-day".into(),
                now: START + 6 * DAY + 9 * 3600,
                severity_threshold: Severity::Medium,
                stale_after_seconds: 172_800,
                start: START,
            },
        }
    }

    /// The JSON is a contract: exactly these names, types and order (what
    /// `/api/v1/summary` wrote when it was built as an untyped, key-sorted JSON value).
    #[test]
    fn json_shape_is_the_api_contract() {
        let text = serde_json::to_string(&sample()).unwrap();
        assert_eq!(
            text,
            concat!(
                r#"{"agencies":[{"burndown":[{"compliant":1,"day":"2026-06-03","noncompliant":5,"stale":0},"#,
                r#"{"compliant":2,"day":"2026-06-04","noncompliant":4,"stale":1}],"compliant":2,"hosts":7,"#,
                r#""name":"DOE","noncompliant":4,"on_track":true,"projected_completion":"2026-06-09T09:00:00Z","#,
                r#""reports_received":36,"stale":1,"waivers":{"active":1,"expired":0}},"#,
                r#"{"burndown":[],"compliant":0,"hosts":3,"name":"DOJ","noncompliant":3,"on_track":null,"#,
                r#""projected_completion":null,"reports_received":21,"stale":0,"waivers":{"active":0,"expired":2}}],"#,
                r#""campaign":{"days_left":24,"deadline":"2026-07-02T00:00:00Z","name":"eo-30-day","#,
                r#""now":"2026-06-08T09:00:00Z","severity_threshold":"medium","stale_after_seconds":172800,"#,
                r#""start":"2026-06-02T00:00:00Z"}}"#,
            )
        );
        // Key order is alphabetical at every level, as a sorted JSON map writes it.
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(serde_json::to_string(&v).unwrap(), text);
    }

    #[test]
    fn days_left_rounds_up_and_stops_at_zero() {
        assert_eq!(days_left(START + DAY, START), 1);
        assert_eq!(days_left(START + DAY, START + 1), 1);
        assert_eq!(days_left(START + DAY, START - 1), 2);
        assert_eq!(days_left(START, START), 0);
        assert_eq!(days_left(START, START + 5 * DAY), 0);
    }

    #[test]
    fn on_track_rules() {
        assert_eq!(AgencySummary::on_track(Some(5), 3, 10), Some(true));
        assert_eq!(AgencySummary::on_track(Some(11), 3, 10), Some(false));
        assert_eq!(AgencySummary::on_track(None, 3, 10), None);
        assert_eq!(AgencySummary::on_track(None, 0, 10), Some(true));
    }
}
