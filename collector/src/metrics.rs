//! The Prometheus collector: every family of DESIGN.md, emitted at scrape time as const
//! metrics from the in-memory aggregates (no per-host work on a scrape beyond the hosts
//! that just turned stale), plus `hardline_waivers{agency,state}`.
//!
//! No family has a per-host label: the series count is agencies × rules × 4 statuses
//! plus small constants; the vulnerability families add agencies × 8 (KEV status × band)
//! and, per agency, one series per KEV CVE present in the fleet (bounded by the catalog).

use crate::agg::{sev_from, Class};
use crate::validate::REASONS;
use crate::App;
use hardline_agent::report::Status;
use prometheus::core::{Collector, Desc};
use prometheus::proto::{Counter, Gauge, LabelPair, Metric, MetricFamily, MetricType};
use std::sync::atomic::Ordering;
use std::sync::Arc;

struct Family {
    name: &'static str,
    help: &'static str,
    kind: MetricType,
    labels: &'static [&'static str],
}

const FAMILIES: [Family; 18] = [
    Family {
        name: "hardline_campaign_start_timestamp_seconds",
        help: "When the campaign clock started (Unix seconds).",
        kind: MetricType::GAUGE,
        labels: &["campaign"],
    },
    Family {
        name: "hardline_campaign_deadline_timestamp_seconds",
        help: "The campaign deadline (Unix seconds).",
        kind: MetricType::GAUGE,
        labels: &["campaign"],
    },
    Family {
        name: "hardline_hosts",
        help: "Hosts by state: compliant, noncompliant, stale (a stale host counts only as stale).",
        kind: MetricType::GAUGE,
        labels: &["agency", "state"],
    },
    Family {
        name: "hardline_rule_results",
        help: "Hosts whose latest report has this status for this rule (worst status per host for per-target rules).",
        kind: MetricType::GAUGE,
        labels: &["agency", "rule_id", "severity", "status"],
    },
    Family {
        name: "hardline_projected_completion_timestamp_seconds",
        help: "When the agency reaches zero noncompliant hosts at its pace over the last 14 days (absent without a downward trend).",
        kind: MetricType::GAUGE,
        labels: &["agency", "campaign"],
    },
    Family {
        name: "hardline_reports_received_total",
        help: "Reports accepted and durably stored.",
        kind: MetricType::COUNTER,
        labels: &["agency"],
    },
    Family {
        name: "hardline_reports_rejected_total",
        help: "Reports refused, by reason.",
        kind: MetricType::COUNTER,
        labels: &["reason"],
    },
    Family {
        name: "hardline_build_info",
        help: "Build information; always 1.",
        kind: MetricType::GAUGE,
        labels: &["version"],
    },
    Family {
        name: "hardline_waivers",
        help: "Waivers by state: active or expired.",
        kind: MetricType::GAUGE,
        labels: &["agency", "state"],
    },
    Family {
        name: "hardline_vulnerable_hosts",
        help: "Hosts with at least one open known vulnerability of this KEV status and BOD 26-04 band (a host counts once in each series it has a finding in). Absent while no feeds are loaded.",
        kind: MetricType::GAUGE,
        labels: &["agency", "kev", "band"],
    },
    Family {
        name: "hardline_vulnerability_findings",
        help: "Open known-vulnerability findings (host x package x CVE) by KEV status and BOD 26-04 band. Absent while no feeds are loaded.",
        kind: MetricType::GAUGE,
        labels: &["agency", "kev", "band"],
    },
    Family {
        name: "hardline_vulnerability_overdue_findings",
        help: "Open findings past their BOD 26-04 due date, by band.",
        kind: MetricType::GAUGE,
        labels: &["agency", "band"],
    },
    Family {
        name: "hardline_kev_hosts",
        help: "Hosts carrying this KEV-listed CVE (only CVEs in the catalog and present in the fleet).",
        kind: MetricType::GAUGE,
        labels: &["agency", "cve"],
    },
    Family {
        name: "hardline_kev_overdue_hosts",
        help: "Hosts where this KEV-listed CVE is open past its BOD 26-04 due date.",
        kind: MetricType::GAUGE,
        labels: &["agency", "cve"],
    },
    Family {
        name: "hardline_vulnerability_oldest_open_timestamp_seconds",
        help: "Clock start (Unix seconds) of the oldest open finding in the band; absent when none is open.",
        kind: MetricType::GAUGE,
        labels: &["agency", "band"],
    },
    Family {
        name: "hardline_feed_updated_timestamp_seconds",
        help: "The loaded feed's own date (KEV dateReleased, newest OSV modified), Unix seconds; absent when the feed is absent or undated.",
        kind: MetricType::GAUGE,
        labels: &["feed"],
    },
    Family {
        name: "hardline_kev_vulnerable_hosts",
        help: "Hosts with at least one open KEV-listed CVE (each host once).",
        kind: MetricType::GAUGE,
        labels: &["agency"],
    },
    Family {
        name: "hardline_vulnerability_unassessed_hosts",
        help: "Hosts with a package inventory that could not be matched (no feeds loaded, package list not yet received, no OSV ecosystem): unknown, never clean.",
        kind: MetricType::GAUGE,
        labels: &["agency"],
    },
];

/// The collector registered in the scrape registry.
pub struct HardlineCollector {
    app: Arc<App>,
    descs: Vec<Desc>,
}

impl HardlineCollector {
    /// A collector reading `app`'s aggregates.
    pub fn new(app: Arc<App>) -> Result<HardlineCollector, prometheus::Error> {
        let descs = FAMILIES
            .iter()
            .map(|f| {
                Desc::new(
                    f.name.to_string(),
                    f.help.to_string(),
                    f.labels.iter().map(|l| l.to_string()).collect(),
                    Default::default(),
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(HardlineCollector { app, descs })
    }
}

fn metric(labels: &[(&str, &str)], value: f64, counter: bool) -> Metric {
    let mut m = Metric::default();
    m.set_label(
        labels
            .iter()
            .map(|(k, v)| {
                let mut l = LabelPair::default();
                l.set_name(k.to_string());
                l.set_value(v.to_string());
                l
            })
            .collect(),
    );
    if counter {
        let mut c = Counter::default();
        c.set_value(value);
        m.set_counter(c);
    } else {
        let mut g = Gauge::default();
        g.set_value(value);
        m.set_gauge(g);
    }
    m
}

const STATUSES: [Status; 4] = [
    Status::Pass,
    Status::Fail,
    Status::Error,
    Status::NotApplicable,
];

impl Collector for HardlineCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let app = &self.app;
        let now = app.clock.now();
        let c = &app.config.campaign;
        let mut out: Vec<Vec<Metric>> = (0..FAMILIES.len()).map(|_| Vec::new()).collect();
        let camp = c.name.as_str();
        out[0].push(metric(&[("campaign", camp)], c.start as f64, false));
        out[1].push(metric(&[("campaign", camp)], c.deadline as f64, false));
        {
            let mut aggs = app.lock_aggs();
            aggs.sweep(now);
            for (i, a) in aggs.agencies.iter().enumerate() {
                let name = a.name.as_str();
                for class in Class::ALL {
                    out[2].push(metric(
                        &[("agency", name), ("state", class.as_str())],
                        a.counts[class as usize] as f64,
                        false,
                    ));
                }
                let mut rows: Vec<(&str, u8, u32)> = a
                    .rule_counts
                    .seen()
                    .into_iter()
                    .map(|(r, sev)| (aggs.rule_name(r), sev, r))
                    .collect();
                rows.sort_unstable();
                rows.dedup();
                for (rule, sev, ridx) in rows {
                    for st in STATUSES {
                        let n = a.rule_counts.get(ridx, sev, st);
                        out[3].push(metric(
                            &[
                                ("agency", name),
                                ("rule_id", rule),
                                ("severity", sev_from(sev).as_str()),
                                ("status", st.as_str()),
                            ],
                            n as f64,
                            false,
                        ));
                    }
                }
                if let Some(t) = aggs.projected_completion(i, now) {
                    out[4].push(metric(
                        &[("agency", name), ("campaign", camp)],
                        t.round(),
                        false,
                    ));
                }
                out[5].push(metric(&[("agency", name)], a.received_total as f64, true));
                let (active, expired) = aggs.waivers.counts(i, now);
                out[8].push(metric(
                    &[("agency", name), ("state", "active")],
                    active as f64,
                    false,
                ));
                out[8].push(metric(
                    &[("agency", name), ("state", "expired")],
                    expired as f64,
                    false,
                ));
            }
        }
        {
            let mut v = app.vulns();
            let names = app.config.agency_names();
            let per = v.by_agency(names.len());
            let loaded = v.feeds.is_some();
            for (name, a) in names.iter().zip(per.iter()) {
                let name = *name;
                out[17].push(metric(&[("agency", name)], a.unassessed as f64, false));
                if !loaded {
                    continue;
                }
                out[16].push(metric(&[("agency", name)], a.kev_hosts as f64, false));
                for (b, band) in crate::vulns::BANDS.iter().enumerate() {
                    let band = band.as_str();
                    for (k, kev) in ["false", "true"].iter().enumerate() {
                        let l = [("agency", name), ("kev", *kev), ("band", band)];
                        out[9].push(metric(&l, a.hosts[k][b] as f64, false));
                        out[10].push(metric(&l, a.findings[k][b] as f64, false));
                    }
                    out[11].push(metric(
                        &[("agency", name), ("band", band)],
                        a.overdue[b] as f64,
                        false,
                    ));
                    if let Some(t) = a.oldest[b] {
                        out[14].push(metric(&[("agency", name), ("band", band)], t as f64, false));
                    }
                }
                for (cve, (hosts, overdue)) in &a.kev_cves {
                    let l = [("agency", name), ("cve", &**cve)];
                    out[12].push(metric(&l, *hosts as f64, false));
                    out[13].push(metric(&l, *overdue as f64, false));
                }
            }
            for f in v.feeds.iter().flat_map(|f| &f.infos) {
                if let Some(t) = f
                    .updated
                    .as_deref()
                    .and_then(hardline_agent::vuln::parse_ymd)
                {
                    let t = t.midnight().assume_utc().unix_timestamp();
                    out[15].push(metric(&[("feed", f.feed.as_str())], t as f64, false));
                }
            }
        }
        for (i, reason) in REASONS.iter().enumerate() {
            let n = app.rejected.get(i).map_or(0, |c| c.load(Ordering::Relaxed));
            out[6].push(metric(&[("reason", reason)], n as f64, true));
        }
        out[7].push(metric(
            &[("version", env!("CARGO_PKG_VERSION"))],
            1.0,
            false,
        ));

        FAMILIES
            .iter()
            .zip(out)
            .filter(|(_, m)| !m.is_empty())
            .map(|(f, metrics)| {
                let mut mf = MetricFamily::default();
                mf.set_name(f.name.to_string());
                mf.set_help(f.help.to_string());
                mf.set_field_type(f.kind);
                mf.set_metric(metrics);
                mf
            })
            .collect()
    }
}

/// A registry holding the hardline collector.
pub fn registry(app: Arc<App>) -> Result<prometheus::Registry, prometheus::Error> {
    let r = prometheus::Registry::new();
    r.register(Box::new(HardlineCollector::new(app)?))?;
    Ok(r)
}

/// Render the text exposition.
pub fn render(registry: &prometheus::Registry) -> Result<String, prometheus::Error> {
    use prometheus::Encoder;
    let mut buf = Vec::new();
    prometheus::TextEncoder::new().encode(&registry.gather(), &mut buf)?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}
