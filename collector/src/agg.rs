//! In-memory aggregates, maintained incrementally as reports are committed.
//!
//! For every host the collector keeps a compact copy of its latest report (one
//! `(rule, severity, status bits)` triple per rule) and its class (compliant,
//! noncompliant, stale). Per agency it keeps the counts by class, the counts per
//! `(rule, severity, status)` and an ordered index `(finished_at, host)` of the hosts that
//! are not stale yet. A new report removes the host's previous contribution and adds the
//! new one: O(rules of that report). Staleness is evaluated at scrape time by popping the
//! front of the ordered index (each host becomes stale at most once per report), so a
//! scrape never walks all hosts. Waiver expiry re-classifies only the hosts whose
//! compliance depended on a waiver, once, when the expiry passes.
//!
//! The compact result model the whole collector shares lives here too: status bits
//! ([`BIT_FAIL`] …), severity bytes ([`sev_u8`], [`sev_from`]), one rule's results on a host
//! collapsed ([`Collapsed`], what [`crate::validate`] produces) and its stored form
//! ([`Compact`]). Validation, the store, the metrics and the read API depend on this module;
//! it depends on none of them.

use crate::config::Config;
use crate::waivers::Waivers;
use hardline_agent::report::{Severity, Status};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// A host's class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// No unwaived fail and no error at or above the threshold.
    Compliant = 0,
    /// Not compliant.
    Noncompliant = 1,
    /// Latest report older than `stale_after` (counts only as stale).
    Stale = 2,
}

impl Class {
    /// The `state` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Compliant => "compliant",
            Class::Noncompliant => "noncompliant",
            Class::Stale => "stale",
        }
    }

    /// Every class, in label order.
    pub const ALL: [Class; 3] = [Class::Compliant, Class::Noncompliant, Class::Stale];

    /// Parse a `state` value.
    pub fn parse(s: &str) -> Option<Class> {
        Class::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Status bits in a collapsed per-rule result.
pub const BIT_PASS: u8 = 1;
/// `fail` present.
pub const BIT_FAIL: u8 = 2;
/// `error` present.
pub const BIT_ERROR: u8 = 4;
/// `not_applicable` present.
pub const BIT_NA: u8 = 8;

/// Status bit of `s`.
pub fn status_bit(s: Status) -> u8 {
    match s {
        Status::Pass => BIT_PASS,
        Status::Fail => BIT_FAIL,
        Status::Error => BIT_ERROR,
        Status::NotApplicable => BIT_NA,
    }
}

/// The status a host counts under for a rule with several results (per-target rules):
/// the worst one: fail, then error, then pass, then not_applicable.
pub fn worst(bits: u8) -> Status {
    if bits & BIT_FAIL != 0 {
        Status::Fail
    } else if bits & BIT_ERROR != 0 {
        Status::Error
    } else if bits & BIT_PASS != 0 {
        Status::Pass
    } else {
        Status::NotApplicable
    }
}

/// Severity as a byte and back.
pub fn sev_u8(s: Severity) -> u8 {
    s as u8
}

/// Inverse of [`sev_u8`].
pub fn sev_from(b: u8) -> Severity {
    Severity::ALL
        .get(usize::from(b))
        .copied()
        .unwrap_or(Severity::Critical)
}

/// One rule's results on one host, collapsed: highest severity, set of statuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collapsed {
    /// Rule id.
    pub rule_id: String,
    /// Highest severity among its results.
    pub severity: Severity,
    /// `BIT_*` of the statuses present.
    pub bits: u8,
}

/// One rule on one host, collapsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compact {
    /// Rule index (into [`Aggregates::rules`]).
    pub rule: u32,
    /// Severity (`Severity as u8`).
    pub sev: u8,
    /// Status bits ([`BIT_FAIL`] etc.).
    pub bits: u8,
}

impl Compact {
    /// Encode a list as bytes (6 bytes each) for the store.
    pub fn encode(list: &[Compact]) -> Vec<u8> {
        let mut out = Vec::with_capacity(list.len() * 6);
        for c in list {
            out.extend_from_slice(&c.rule.to_le_bytes());
            out.push(c.sev);
            out.push(c.bits);
        }
        out
    }

    /// Decode [`Compact::encode`] output; trailing garbage is ignored.
    pub fn decode(bytes: &[u8]) -> Vec<Compact> {
        bytes
            .chunks_exact(6)
            .map(|b| Compact {
                rule: u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
                sev: b[4],
                bits: b[5],
            })
            .collect()
    }
}

/// What [`Aggregates::blocking`] names for a host with an open KEV finding past due (the
/// collector's own matching; the agent's rule of that name says the same on its host).
pub const KEV_OVERDUE: &str = "vuln.bod_26_04_overdue";

/// The latest state of one host.
#[derive(Debug, Clone)]
pub struct HostState {
    /// Host id.
    pub id: Box<str>,
    /// Hostname from the latest report.
    pub hostname: Box<str>,
    /// Owning agency.
    pub agency: u32,
    /// Latest report id.
    pub report_id: uuid::Uuid,
    /// Latest report's `finished_at` (Unix seconds).
    pub finished_at: i64,
    /// When the collector accepted it.
    pub received_at: i64,
    /// Collapsed results.
    pub results: Box<[Compact]>,
    /// Current class.
    pub class: Class,
    /// Compliant only thanks to an active waiver.
    pub waived: bool,
    /// An open KEV finding is past its BOD 26-04 due date ([`crate::vulns`] says so):
    /// noncompliant whatever the configuration results.
    pub kev_overdue: bool,
}

/// A new latest report for a host.
#[derive(Debug, Clone)]
pub struct HostUpdate {
    /// Host id.
    pub id: String,
    /// Hostname.
    pub hostname: String,
    /// Agency index.
    pub agency: u32,
    /// Report id.
    pub report_id: uuid::Uuid,
    /// `finished_at`.
    pub finished_at: i64,
    /// Received at.
    pub received_at: i64,
    /// Collapsed results.
    pub results: Vec<Compact>,
}

/// One day of the burn-down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct DayPoint {
    /// Midnight UTC of the day (Unix seconds).
    pub day: i64,
    /// When the counts were taken.
    pub at: i64,
    /// Compliant hosts.
    pub compliant: i64,
    /// Noncompliant hosts.
    pub noncompliant: i64,
    /// Stale hosts.
    pub stale: i64,
}

/// Hosts per (rule, severity, status), indexed directly (no hashing on the ingest path).
#[derive(Debug, Clone, Default)]
pub struct RuleCounts {
    counts: Vec<[[i64; 4]; 4]>,
    seen: Vec<u8>,
    /// Hosts whose latest report has the rule (any severity or status).
    refs: Vec<u32>,
    /// Rules with `refs > 0`: the agency's distinct rule ids (`limits.max_rules`).
    in_use: usize,
}

fn status_index(s: Status) -> usize {
    match s {
        Status::Pass => 0,
        Status::Fail => 1,
        Status::Error => 2,
        Status::NotApplicable => 3,
    }
}

impl RuleCounts {
    /// Add `delta` (+1 or -1) hosts to (rule, sev, status). A rule no host of the agency
    /// has any more stops being exported (its series go away: they are bounded by the
    /// agency's rules in use, never by every rule id it ever sent).
    pub fn add(&mut self, rule: u32, sev: u8, status: Status, delta: i64) {
        let r = rule as usize;
        if r >= self.counts.len() {
            self.counts.resize(r + 1, [[0; 4]; 4]);
            self.seen.resize(r + 1, 0);
            self.refs.resize(r + 1, 0);
        }
        let sev = usize::from(sev & 3);
        self.counts[r][sev][status_index(status)] += delta;
        self.seen[r] |= 1 << sev;
        if delta > 0 {
            if self.refs[r] == 0 {
                self.in_use += 1;
            }
            self.refs[r] += 1;
        } else if delta < 0 && self.refs[r] > 0 {
            self.refs[r] -= 1;
            if self.refs[r] == 0 {
                self.in_use -= 1;
                self.seen[r] = 0;
                self.counts[r] = [[0; 4]; 4];
            }
        }
    }

    /// Hosts of the agency whose latest report has rule `rule`.
    pub fn refs(&self, rule: u32) -> u32 {
        self.refs.get(rule as usize).copied().unwrap_or(0)
    }

    /// Distinct rules the agency's hosts have in their latest reports.
    pub fn in_use(&self) -> usize {
        self.in_use
    }

    /// Hosts at (rule, sev, status).
    pub fn get(&self, rule: u32, sev: u8, status: Status) -> i64 {
        self.counts
            .get(rule as usize)
            .map_or(0, |c| c[usize::from(sev & 3)][status_index(status)])
    }

    /// Every (rule, severity) ever counted (exported, at 0 when no host has it now).
    pub fn seen(&self) -> Vec<(u32, u8)> {
        let mut out = Vec::new();
        for (r, bits) in self.seen.iter().enumerate() {
            for sev in 0..4u8 {
                if bits & (1 << sev) != 0 {
                    out.push((r as u32, sev));
                }
            }
        }
        out
    }
}

/// Aggregates of one agency.
#[derive(Debug, Clone, Default)]
pub struct AgencyAgg {
    /// Agency name.
    pub name: String,
    /// Hosts by class (index = `Class as usize`).
    pub counts: [i64; 3],
    /// Hosts per (rule index, severity, worst status).
    pub rule_counts: RuleCounts,
    fresh: BTreeSet<(i64, u32)>,
    /// Accepted reports (persisted across restarts).
    pub received_total: u64,
    /// Burn-down, one point per day, oldest first.
    pub daily: Vec<DayPoint>,
}

/// Everything the metrics, the read API and the status page need.
#[derive(Debug)]
pub struct Aggregates {
    /// Per agency, index = agency id.
    pub agencies: Vec<AgencyAgg>,
    /// Interned rule ids.
    pub rules: Vec<Box<str>>,
    rule_index: HashMap<Box<str>, u32>,
    /// Rule indexes no host references any more, free for a new rule id.
    free_rules: Vec<u32>,
    /// Indexes that must not be reused: referenced by stored hosts of agencies no longer
    /// configured (their results keep pointing at them).
    pinned_rules: HashSet<u32>,
    /// Hosts.
    pub hosts: Vec<HostState>,
    /// Host id → index, ordered by id (the read API lists hosts in id order).
    pub host_index: BTreeMap<Box<str>, u32>,
    threshold: Severity,
    stale_after: i64,
    /// Waivers.
    pub waivers: Waivers,
    waiver_dependent: HashSet<u32>,
    next_waiver_expiry: Option<i64>,
}

/// Midnight UTC of the day containing `t`.
pub fn day_of(t: i64) -> i64 {
    t.div_euclid(86400) * 86400
}

impl Aggregates {
    /// Empty aggregates for `config`.
    pub fn new(config: &Config, waivers: Waivers, now: i64) -> Aggregates {
        let next_waiver_expiry = waivers.next_expiry(now);
        Aggregates {
            agencies: config
                .agencies
                .iter()
                .map(|a| AgencyAgg {
                    name: a.name.get_ref().clone(),
                    ..AgencyAgg::default()
                })
                .collect(),
            rules: Vec::new(),
            rule_index: HashMap::new(),
            free_rules: Vec::new(),
            pinned_rules: HashSet::new(),
            hosts: Vec::new(),
            host_index: BTreeMap::new(),
            threshold: config.campaign.severity_threshold,
            stale_after: config.campaign.stale_after,
            waivers,
            waiver_dependent: HashSet::new(),
            next_waiver_expiry,
        }
    }

    /// Index of `rule_id`, if known.
    pub fn rule(&self, rule_id: &str) -> Option<u32> {
        self.rule_index.get(rule_id).copied()
    }

    /// Put rule `rule_id` at index `idx` (the store's index: a new one, or one taken from
    /// [`Aggregates::free_rules`]).
    pub fn add_rule(&mut self, idx: u32, rule_id: &str) {
        let i = idx as usize;
        if i >= self.rules.len() {
            self.rules.resize(i + 1, "".into());
        }
        if let Some(old) = self.rules.get(i) {
            if !old.is_empty() && self.rule_index.get(old) == Some(&idx) {
                self.rule_index.remove(old);
            }
        }
        self.free_rules.retain(|&f| f != idx);
        self.rules[i] = rule_id.into();
        self.rule_index.insert(rule_id.into(), idx);
    }

    /// Indexes free for new rule ids (the store reuses them before growing).
    pub fn free_rules(&self) -> &[u32] {
        &self.free_rules
    }

    /// Interned rule ids in use (the free ones not counted).
    pub fn rules_in_use(&self) -> usize {
        self.rule_index.len()
    }

    /// Keep `idx` from ever being reused (a stored host of an unconfigured agency has it).
    pub fn pin_rule(&mut self, idx: u32) {
        self.pinned_rules.insert(idx);
    }

    fn global_refs(&self, idx: u32) -> u32 {
        self.agencies.iter().map(|a| a.rule_counts.refs(idx)).sum()
    }

    /// Free the indexes in `candidates` that no host references any more: a rule id that no
    /// stored latest report has is forgotten, and its index serves the next new rule id.
    pub fn reclaim(&mut self, candidates: impl IntoIterator<Item = u32>) {
        for idx in candidates {
            if self.pinned_rules.contains(&idx) || self.global_refs(idx) > 0 {
                continue;
            }
            let Some(name) = self.rules.get(idx as usize).cloned() else {
                continue;
            };
            if name.is_empty() && self.free_rules.contains(&idx) {
                continue;
            }
            if self.rule_index.get(&name) == Some(&idx) {
                self.rule_index.remove(&name);
            }
            self.rules[idx as usize] = "".into();
            self.free_rules.push(idx);
        }
    }

    /// At start, after every host is loaded: free every index no host references.
    pub fn reclaim_all(&mut self) {
        let all: Vec<u32> = (0..self.rules.len() as u32).collect();
        self.reclaim(all);
    }

    /// The host with id `id`.
    pub fn host(&self, id: &str) -> Option<&HostState> {
        self.host_index
            .get(id)
            .and_then(|&i| self.hosts.get(i as usize))
    }

    /// The rule id of index `i`.
    pub fn rule_name(&self, i: u32) -> &str {
        self.rules.get(i as usize).map(|r| &**r).unwrap_or("?")
    }

    fn classify(&self, h: &HostState, now: i64) -> (Class, bool) {
        if h.finished_at < now - self.stale_after {
            return (Class::Stale, false);
        }
        if h.kev_overdue {
            return (Class::Noncompliant, false);
        }
        let threshold = self.threshold as u8;
        let mut waived = false;
        for c in h.results.iter() {
            if c.sev < threshold {
                continue;
            }
            if c.bits & BIT_ERROR != 0 {
                return (Class::Noncompliant, false);
            }
            if c.bits & BIT_FAIL != 0 {
                let rule = self.rule_name(c.rule);
                if self
                    .waivers
                    .active(h.agency as usize, rule, &h.id, &h.hostname, now)
                    .is_some()
                {
                    waived = true;
                } else {
                    return (Class::Noncompliant, false);
                }
            }
        }
        (Class::Compliant, waived)
    }

    fn remove_contribution(&mut self, i: u32, rules_too: bool) {
        let Some(h) = self.hosts.get(i as usize) else {
            return;
        };
        let Some(a) = self.agencies.get_mut(h.agency as usize) else {
            return;
        };
        if rules_too {
            for c in h.results.iter() {
                a.rule_counts.add(c.rule, c.sev, worst(c.bits), -1);
            }
        }
        a.counts[h.class as usize] -= 1;
        if h.class != Class::Stale {
            a.fresh.remove(&(h.finished_at, i));
        }
        self.waiver_dependent.remove(&i);
    }

    fn add_contribution(&mut self, i: u32, now: i64, rules_too: bool) {
        let Some(h) = self.hosts.get(i as usize) else {
            return;
        };
        let (class, waived) = self.classify(h, now);
        let Some(a) = self.agencies.get_mut(h.agency as usize) else {
            return;
        };
        if rules_too {
            for c in h.results.iter() {
                a.rule_counts.add(c.rule, c.sev, worst(c.bits), 1);
            }
        }
        a.counts[class as usize] += 1;
        if class != Class::Stale {
            a.fresh.insert((h.finished_at, i));
        }
        if waived {
            self.waiver_dependent.insert(i);
        }
        if let Some(h) = self.hosts.get_mut(i as usize) {
            h.class = class;
            h.waived = waived;
        }
    }

    /// Make `u` the host's latest report.
    pub fn apply(&mut self, u: HostUpdate, now: i64) {
        let mut released: Vec<u32> = Vec::new();
        let i = match self.host_index.get(u.id.as_str()) {
            Some(&i) => {
                if let Some(h) = self.hosts.get(i as usize) {
                    released = h.results.iter().map(|c| c.rule).collect();
                }
                self.remove_contribution(i, true);
                i
            }
            None => {
                let i = self.hosts.len() as u32;
                self.hosts.push(HostState {
                    id: u.id.as_str().into(),
                    hostname: "".into(),
                    agency: u.agency,
                    report_id: u.report_id,
                    finished_at: 0,
                    received_at: 0,
                    results: Box::new([]),
                    class: Class::Stale,
                    waived: false,
                    kev_overdue: false,
                });
                self.host_index.insert(u.id.as_str().into(), i);
                i
            }
        };
        if let Some(h) = self.hosts.get_mut(i as usize) {
            h.hostname = u.hostname.into();
            h.report_id = u.report_id;
            h.finished_at = u.finished_at;
            h.received_at = u.received_at;
            h.results = u.results.into_boxed_slice();
        }
        self.add_contribution(i, now, true);
        self.reclaim(released);
    }

    /// Move hosts whose latest report is older than `stale_after` to stale, and apply
    /// waiver expiries. Cost: proportional to the hosts that changed class.
    pub fn sweep(&mut self, now: i64) {
        let cutoff = now - self.stale_after;
        let mut newly_stale = Vec::new();
        for a in &mut self.agencies {
            while let Some(&(t, i)) = a.fresh.first() {
                if t >= cutoff {
                    break;
                }
                a.fresh.pop_first();
                newly_stale.push(i);
            }
        }
        for i in newly_stale {
            if let Some(h) = self.hosts.get_mut(i as usize) {
                let old = h.class;
                h.class = Class::Stale;
                h.waived = false;
                if let Some(a) = self.agencies.get_mut(h.agency as usize) {
                    a.counts[old as usize] -= 1;
                    a.counts[Class::Stale as usize] += 1;
                }
            }
            self.waiver_dependent.remove(&i);
        }
        if let Some(t) = self.next_waiver_expiry {
            if now >= t {
                let dependent: Vec<u32> = self.waiver_dependent.iter().copied().collect();
                for i in dependent {
                    self.remove_contribution(i, false);
                    self.add_contribution(i, now, false);
                }
                self.next_waiver_expiry = self.waivers.next_expiry(now);
            }
        }
    }

    /// Set whether host `id` has an open KEV finding past due, and re-classify it.
    pub fn set_kev_overdue(&mut self, id: &str, overdue: bool, now: i64) {
        let Some(&i) = self.host_index.get(id) else {
            return;
        };
        if self
            .hosts
            .get(i as usize)
            .is_none_or(|h| h.kev_overdue == overdue)
        {
            return;
        }
        self.remove_contribution(i, false);
        if let Some(h) = self.hosts.get_mut(i as usize) {
            h.kev_overdue = overdue;
        }
        self.add_contribution(i, now, false);
    }

    /// Replace the waivers and re-classify every host (a full pass: reloads are rare).
    pub fn set_waivers(&mut self, waivers: Waivers, now: i64) {
        self.next_waiver_expiry = waivers.next_expiry(now);
        self.waivers = waivers;
        for i in 0..self.hosts.len() as u32 {
            self.remove_contribution(i, false);
            self.add_contribution(i, now, false);
        }
    }

    /// Host counts of agency `a` by class, after a sweep.
    pub fn counts(&self, a: usize) -> [i64; 3] {
        self.agencies.get(a).map(|a| a.counts).unwrap_or_default()
    }

    /// Record today's burn-down point for every agency (replacing today's earlier one).
    pub fn record_daily(&mut self, points: &[(usize, DayPoint)]) {
        for &(a, p) in points {
            if let Some(agg) = self.agencies.get_mut(a) {
                match agg.daily.last_mut() {
                    Some(last) if last.day == p.day => *last = p,
                    _ => {
                        agg.daily.push(p);
                        agg.daily.sort_by_key(|d| d.day);
                    }
                }
                let excess = agg.daily.len().saturating_sub(400);
                agg.daily.drain(..excess);
            }
        }
    }

    /// Today's points (from the live counts), for the store.
    pub fn daily_points(&self, now: i64) -> Vec<(usize, DayPoint)> {
        self.agencies
            .iter()
            .enumerate()
            .map(|(i, a)| {
                (
                    i,
                    DayPoint {
                        day: day_of(now),
                        at: now,
                        compliant: a.counts[0],
                        noncompliant: a.counts[1],
                        stale: a.counts[2],
                    },
                )
            })
            .collect()
    }

    /// Projected completion of agency `a`: see [`projection`]. The last 14 days: the
    /// stored daily points of the previous 13 days and today's live count.
    pub fn projected_completion(&self, a: usize, now: i64) -> Option<f64> {
        let agg = self.agencies.get(a)?;
        let today = day_of(now);
        let mut pts: Vec<(f64, f64)> = agg
            .daily
            .iter()
            .filter(|d| d.day < today && d.day >= today - 13 * 86400)
            .map(|d| (d.at as f64, d.noncompliant as f64))
            .collect();
        pts.push((now as f64, agg.counts[1] as f64));
        projection(&pts)
    }

    /// The severity threshold.
    pub fn threshold(&self) -> Severity {
        self.threshold
    }

    /// Rules at or above the threshold that block compliance, and those waived.
    pub fn blocking(&self, h: &HostState, now: i64) -> (Vec<&str>, Vec<(&str, &str)>) {
        let mut blocking = Vec::new();
        let mut waived = Vec::new();
        for c in h.results.iter() {
            if c.bits & (BIT_FAIL | BIT_ERROR) == 0 {
                continue;
            }
            let rule = self.rule_name(c.rule);
            let w = (c.bits & BIT_ERROR == 0)
                .then(|| {
                    self.waivers
                        .active(h.agency as usize, rule, &h.id, &h.hostname, now)
                })
                .flatten();
            match w {
                Some(w) => waived.push((rule, w.id.as_str())),
                None if sev_from(c.sev) >= self.threshold => blocking.push(rule),
                None => {}
            }
        }
        if h.kev_overdue && !blocking.contains(&KEV_OVERDUE) {
            blocking.insert(0, KEV_OVERDUE);
        }
        (blocking, waived)
    }
}

/// Least-squares line through `points` (x = Unix seconds, y = noncompliant hosts); the
/// time it reaches zero when the slope is negative, else `None` (no downward trend).
pub fn projection(points: &[(f64, f64)]) -> Option<f64> {
    if points.len() < 2 {
        return None;
    }
    let n = points.len() as f64;
    // Centre x for numerical stability (Unix seconds are large).
    let x0 = points[0].0;
    let mx = points.iter().map(|p| p.0 - x0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - x0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - x0 - mx) * (p.1 - my)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    if slope >= 0.0 || !slope.is_finite() {
        return None;
    }
    // y = my + slope (x - x0 - mx) = 0
    let t = x0 + mx - my / slope;
    t.is_finite().then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_of_a_falling_line() {
        let day = 86400.0;
        let pts: Vec<(f64, f64)> = (0..10)
            .map(|i| (1e9 + i as f64 * day, 100.0 - 10.0 * i as f64))
            .collect();
        let t = projection(&pts).unwrap();
        assert!((t - (1e9 + 10.0 * day)).abs() < 1.0, "{t}");
    }

    #[test]
    fn no_projection_without_a_downward_trend() {
        assert_eq!(projection(&[(0.0, 5.0), (1.0, 5.0)]), None);
        assert_eq!(projection(&[(0.0, 5.0), (1.0, 6.0)]), None);
        assert_eq!(projection(&[(0.0, 5.0)]), None);
        assert_eq!(projection(&[(3.0, 5.0), (3.0, 1.0)]), None);
    }

    #[test]
    fn compact_roundtrip() {
        let l = vec![
            Compact {
                rule: 70000,
                sev: 3,
                bits: 5,
            },
            Compact {
                rule: 1,
                sev: 0,
                bits: 1,
            },
        ];
        assert_eq!(Compact::decode(&Compact::encode(&l)), l);
    }
}
