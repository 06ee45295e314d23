//! The page's view model: what the page shows, read from the [`Summary`] (campaign,
//! counts, burn-down, projections) plus the most-failed rules and the newest report
//! ([`super::rules`]), and the verdict derived from it.

use crate::summary::{KevSummary, Summary};
use hardline_agent::report::Severity;
use std::collections::BTreeMap;

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
    /// Known exploited vulnerabilities, from the summary.
    pub kev: KevSummary,
}

impl PageData {
    /// The page's data from the summary (all agencies); the rules and the newest report
    /// come from [`super::rules::page_extras`].
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
            kev: summary.kev.clone(),
        }
    }

    pub(super) fn totals(&self) -> AgencyRow {
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

/// A view model for the tests of the page's modules.
#[cfg(test)]
pub(super) mod fixture {
    use super::*;
    use crate::page::fmt::DAY;

    /// 2026-06-02T00:00:00Z.
    pub const START: i64 = 1_780_358_400;

    pub fn data() -> PageData {
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
            kev: KevSummary::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixture::START;
    use super::*;
    use crate::page::fmt::DAY;

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
            kev: KevSummary {
                hosts: 2,
                ..KevSummary::default()
            },
        };
        let d = PageData::from_summary(&v, vec![], None);
        assert_eq!(d.kev.hosts, 2, "the page shows the summary's KEV part");
        assert_eq!(d.burndown, vec![(START + 8 * DAY, 3), (START + 9 * DAY, 3)]);
        assert_eq!(d.agencies[0].projected, Some(START + 18 * DAY));
        assert_eq!(d.agencies[1].on_track, None);
        assert_eq!(d.threshold, "medium");
        assert_eq!(d.verdict(), Verdict::NoTrend);
    }
}
