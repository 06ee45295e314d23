//! `oscal` output: an OSCAL v1.2.3 `assessment-results` document (JSON) that validates
//! against NIST's `oscal_complete_schema.json`.
//!
//! # Mapping
//! - `metadata`: title names the host; `last-modified` and `version` are the scan's
//!   `finished_at`; `oscal-version` is [`OSCAL_VERSION`]; props carry the report id.
//! - `import-ap`: hardline has no OSCAL assessment plan, so `href` points at a back-matter
//!   resource (`#<uuid>`) that describes the policy the agent evaluated (its sources and rule
//!   count).
//! - `results[0]`: one per scan, `start`/`end` = `started_at`/`finished_at`.
//!   - `local-definitions`: the host as an `inventory-item` (props `asset-id`, `os-name`,
//!     `os-version`, `is-scanned`, and in the hardline namespace `hostname`, `machine-id`,
//!     `os-id`, `scan-root`) and the agent as a `software` component, the `tool` actor of
//!     every observation, finding and risk.
//!   - `reviewed-controls`: `include-controls` lists every NIST SP 800-53 control the
//!     evaluated rules reference, converted to OSCAL ids: `AC-6(2)` → `ac-6.2`; a statement
//!     reference `AC-17(a)` → control `ac-17` with statement id `ac-17_smt.a` (a whole-control
//!     reference wins over statement references of the same control). References that are not
//!     control ids are left out of the selection (they remain in the findings' props). When
//!     no rule references a control, the schema still requires a selection: `include-all` with
//!     a remark saying so.
//!   - `observations`: one per result, `methods: ["TEST"]`, the host as subject, the
//!     result's message as description, one `relevant-evidence` per evidence item
//!     (`path:line: observed "X", expected "Y" (in context)`, with the parts as props).
//!   - `risks`: one per `fail` (status `open`) and per `error` (status `investigating`: the
//!     state is unknown), with the rule's rationale as description, the message and evidence
//!     as statement, and the policy's remediation as a `recommendation`.
//!   - `findings`: one per result, `target.type` `objective-id`, `target-id` the rule id
//!     (made a valid OSCAL token if it is not one), linked to its observation (and risk).
//!
//! # Status mapping (OSCAL allows `satisfied` / `not-satisfied`; reason `pass|fail|other`)
//! | hardline | `target.status.state` | `reason` | other |
//! |---|---|---|---|
//! | `pass` | `satisfied` | `pass` | |
//! | `fail` | `not-satisfied` | `fail` | risk `open` |
//! | `error` | `not-satisfied` | `other` | remark "could not be evaluated"; risk `investigating` (never a silent pass) |
//! | `not_applicable` | `satisfied` | `other` | `implementation-status` `not-applicable` with the reason |
//!
//! Every finding and observation also carries the hardline status, severity and rule id as
//! props in the [`NS`] namespace, so no information is lost in the mapping.
//!
//! # Determinism
//! UUIDs are name-based (v5, namespace [`UUID_NAMESPACE`]), so rendering the same report
//! twice gives byte-identical output. Across scans of the same host (`host.id`) with the
//! same rules, these UUIDs are stable: the document, the host inventory item, the agent
//! component, the policy back-matter resource (same policy sources), and every observation,
//! finding, risk and remediation (from `host.id` + rule id + target). What changes between
//! scans: the `results[0]` UUID (derived from `report_id`), the timestamps (`start`, `end`,
//! `collected`, `last-modified`, `version`) and the report-id props.
//!
//! # Text
//! Titles are single lines with control characters escaped (`\u{1b}`); markup fields
//! (title, description, statement, remarks) escape `\`, `<` and `&` with a backslash so that a
//! value from a host file cannot become HTML in a viewer; props carry the plain values.

use super::text::{evidence_line, needs_escape, one_line};
use crate::policy::Policy;
use crate::report::{Evidence, Report, RuleResult, Status};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use uuid::Uuid;

/// The OSCAL version the document conforms to.
pub const OSCAL_VERSION: &str = "1.2.3";

/// Namespace of hardline's own props.
pub const NS: &str = "urn:hardline:oscal";

/// Namespace of the name-based (v5) UUIDs.
pub const UUID_NAMESPACE: Uuid = Uuid::from_u128(0x5d0b_7a43_1c8e_4f21_b6a9_3e70_d2c4_19f8);

/// What the policy says about a rule, beyond what the report carries.
#[derive(Debug, Clone, Copy, Default)]
struct RuleDoc<'a> {
    rationale: &'a str,
    remediation: &'a str,
    disa_stig: &'a [String],
    cis: &'a [String],
}

/// Render the report; `policy` supplies rationale, remediation and references.
pub fn render(report: &Report, policy: &Policy) -> String {
    render_with(report, &|id| {
        policy.get(id).map(|r| RuleDoc {
            rationale: &r.rationale,
            remediation: &r.remediation,
            disa_stig: &r.references.disa_stig,
            cis: &r.references.cis,
        })
    })
}

fn render_with<'p>(report: &Report, docs: &dyn Fn(&str) -> Option<RuleDoc<'p>>) -> String {
    let doc = document(report, docs);
    // Serializing a `Value` cannot fail.
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

fn document<'p>(report: &Report, docs: &dyn Fn(&str) -> Option<RuleDoc<'p>>) -> Value {
    let host = &report.host;
    let hostname = if host.hostname.trim().is_empty() {
        "unknown host".to_string()
    } else {
        one_line(host.hostname.trim())
    };
    let id = |kind: &str, name: &str| uuid(&format!("{kind}:{}:{name}", host.id));
    let host_uuid = id("host", "");
    let tool_uuid = uuid("tool:hardline-agent");
    let policy_uuid = uuid(&format!("policy:{}", report.policy.sources.join("\n")));
    let finished = rfc3339(report.finished_at);
    let started = rfc3339(report.started_at);
    let tool = json!([{ "actors": [{ "type": "tool", "actor-uuid": tool_uuid }] }]);
    let report_id = report.report_id.to_string();

    // Host and agent.
    let os = &host.os;
    let os_name = if os.pretty_name.is_empty() {
        &os.id
    } else {
        &os.pretty_name
    };
    let inventory_item = json!({
        "uuid": host_uuid,
        "description": markup(&format!(
            "Host {} ({}), machine id {}, scanned by hardline-agent{}.",
            host.hostname,
            if os_name.is_empty() { "unknown operating system" } else { os_name },
            host.id,
            if host.root.is_empty() || host.root == "/" {
                String::new()
            } else {
                format!(" as a tree mounted at {}", host.root)
            }
        )),
        "props": props([
            prop("asset-id", &host.id, false),
            prop("os-name", os_name, false),
            prop("os-version", &os.version_id, false),
            prop("is-scanned", "yes", false),
            prop("hostname", &host.hostname, true),
            prop("machine-id", &host.id, true),
            prop("os-id", &os.id, true),
            prop("scan-root", &host.root, true),
        ]),
    });
    let agent_version = if report.agent.version.is_empty() {
        "unknown".to_string()
    } else {
        report.agent.version.clone()
    };
    let component = json!({
        "uuid": tool_uuid,
        "type": "software",
        "title": "hardline-agent",
        "description": "The hardline host hardening scanner: evaluates a baseline of rules against a host and reports pass, fail, error or not applicable with evidence.",
        "props": props([prop("version", &agent_version, true)]),
        "status": { "state": "operational" },
    });

    // Per result.
    let mut observations = Vec::new();
    let mut findings = Vec::new();
    let mut risks = Vec::new();
    let mut controls: BTreeMap<String, Option<BTreeSet<String>>> = BTreeMap::new();
    let mut seen: HashMap<String, u32> = HashMap::new();
    for r in &report.results {
        let doc = docs(&r.rule_id).unwrap_or_default();
        for c in &r.nist_800_53 {
            if let Some((control, statement)) = control_id(c) {
                let entry = controls
                    .entry(control)
                    .or_insert_with(|| Some(BTreeSet::new()));
                match (statement, entry.as_mut()) {
                    (Some(s), Some(set)) => {
                        set.insert(s);
                    }
                    (None, _) => *entry = None,
                    (Some(_), None) => {}
                }
            }
        }
        // Stable per host, rule and target; a repeated key (never expected) gets a suffix.
        let mut key = match &r.target {
            Some(t) => format!("{}\n{t}", r.rule_id),
            None => r.rule_id.clone(),
        };
        let n = seen.entry(key.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            key = format!("{key}\n#{n}");
        }
        let obs_uuid = id("observation", &key);
        let finding_uuid = id("finding", &key);
        let title = if r.title.trim().is_empty() {
            one_line(&r.rule_id)
        } else {
            one_line(r.title.trim())
        };
        let label = match &r.target {
            Some(t) => format!("{} [{}]", one_line(&r.rule_id), one_line(t)),
            None => one_line(&r.rule_id),
        };
        let status_props = |extra: Vec<Option<Value>>| {
            let mut v = vec![
                prop("rule-id", &r.rule_id, true),
                prop("status", r.status.as_str(), true),
                prop("severity", r.severity.as_str(), true),
                r.target.as_deref().and_then(|t| prop("target", t, true)),
            ];
            v.extend(extra);
            props(v)
        };

        // Observation.
        let mut obs = Map::new();
        obs.insert("uuid".into(), json!(obs_uuid));
        obs.insert("title".into(), json!(markup(&format!("{label}: {title}"))));
        obs.insert(
            "description".into(),
            json!(markup(&nonempty(&one_line(&r.message), "No message."))),
        );
        insert_props(&mut obs, status_props(vec![]));
        obs.insert("methods".into(), json!(["TEST"]));
        obs.insert("origins".into(), tool.clone());
        obs.insert(
            "subjects".into(),
            json!([{ "subject-uuid": host_uuid, "type": "inventory-item", "title": markup(&hostname) }]),
        );
        let evidence: Vec<Value> = r.evidence.iter().map(relevant_evidence).collect();
        if !evidence.is_empty() {
            obs.insert("relevant-evidence".into(), Value::Array(evidence));
        }
        obs.insert("collected".into(), json!(finished));
        observations.push(Value::Object(obs));

        // Risk, for what failed or could not be evaluated.
        let risk_uuid = match r.status {
            Status::Fail | Status::Error => {
                let risk_uuid = id("risk", &key);
                let mut risk = Map::new();
                risk.insert("uuid".into(), json!(risk_uuid));
                risk.insert(
                    "title".into(),
                    json!(markup(&match r.status {
                        Status::Fail => format!("{label} not met on {hostname}: {title}"),
                        _ => format!("{label} could not be evaluated on {hostname}: {title}"),
                    })),
                );
                risk.insert(
                    "description".into(),
                    json!(markup(&nonempty(doc.rationale, &title))),
                );
                risk.insert("statement".into(), json!(markup(&statement(r))));
                insert_props(&mut risk, status_props(vec![]));
                risk.insert(
                    "status".into(),
                    json!(if r.status == Status::Fail {
                        "open"
                    } else {
                        "investigating"
                    }),
                );
                risk.insert("origins".into(), tool.clone());
                if !doc.remediation.trim().is_empty() {
                    risk.insert(
                        "remediations".into(),
                        json!([{
                            "uuid": id("remediation", &key),
                            "lifecycle": "recommendation",
                            "title": markup(&format!("Remediate {label}")),
                            "description": markup(doc.remediation.trim()),
                            "origins": tool.clone(),
                        }]),
                    );
                }
                risks.push(Value::Object(risk));
                Some(risk_uuid)
            }
            _ => None,
        };

        // Finding.
        let (state, reason) = match r.status {
            Status::Pass => ("satisfied", "pass"),
            Status::Fail => ("not-satisfied", "fail"),
            Status::Error => ("not-satisfied", "other"),
            Status::NotApplicable => ("satisfied", "other"),
        };
        let mut status = Map::new();
        status.insert("state".into(), json!(state));
        status.insert("reason".into(), json!(reason));
        match r.status {
            Status::Error => {
                status.insert(
                    "remarks".into(),
                    json!(markup(&format!(
                        "The rule could not be evaluated, so it is not counted as satisfied: {}",
                        one_line(&r.message)
                    ))),
                );
            }
            Status::NotApplicable => {
                status.insert(
                    "remarks".into(),
                    json!("The component the rule is about is absent."),
                );
            }
            _ => {}
        }
        let mut target = Map::new();
        target.insert("type".into(), json!("objective-id"));
        target.insert("target-id".into(), json!(token(&r.rule_id)));
        target.insert("title".into(), json!(markup(&title)));
        target.insert("status".into(), Value::Object(status));
        if r.status == Status::NotApplicable {
            target.insert(
                "implementation-status".into(),
                json!({ "state": "not-applicable", "remarks": markup(&nonempty(&r.message, "Not applicable.")) }),
            );
        }
        let mut finding = Map::new();
        finding.insert("uuid".into(), json!(finding_uuid));
        finding.insert("title".into(), json!(markup(&format!("{label}: {title}"))));
        finding.insert("description".into(), json!(markup(&statement(r))));
        let refs: Vec<Option<Value>> = r
            .nist_800_53
            .iter()
            .map(|c| prop("nist-800-53", c, true))
            .chain(doc.disa_stig.iter().map(|c| prop("disa-stig", c, true)))
            .chain(doc.cis.iter().map(|c| prop("cis", c, true)))
            .collect();
        insert_props(&mut finding, status_props(refs));
        finding.insert("origins".into(), tool.clone());
        finding.insert("target".into(), Value::Object(target));
        finding.insert(
            "related-observations".into(),
            json!([{ "observation-uuid": obs_uuid }]),
        );
        if let Some(risk_uuid) = risk_uuid {
            finding.insert("related-risks".into(), json!([{ "risk-uuid": risk_uuid }]));
        }
        if !doc.rationale.trim().is_empty() {
            finding.insert("remarks".into(), json!(markup(doc.rationale.trim())));
        }
        findings.push(Value::Object(finding));
    }

    let control_selection = if controls.is_empty() {
        json!({
            "include-all": {},
            "remarks": "The evaluated rules reference no NIST SP 800-53 controls; OSCAL requires a selection, so this one is nominal.",
        })
    } else {
        let include: Vec<Value> = controls
            .into_iter()
            .map(|(control, statements)| match statements {
                Some(s) if !s.is_empty() => json!({ "control-id": control, "statement-ids": s }),
                _ => json!({ "control-id": control }),
            })
            .collect();
        json!({ "include-controls": include })
    };

    let s = report.summary;
    let mut result = Map::new();
    result.insert("uuid".into(), json!(uuid(&format!("result:{report_id}"))));
    result.insert(
        "title".into(),
        json!(markup(&format!("hardline-agent scan of {hostname}"))),
    );
    result.insert(
        "description".into(),
        json!(markup(&format!(
            "Automated evaluation of {} hardline rule result(s) on {hostname}: {} pass, {} fail, {} error (could not be evaluated), {} not applicable.",
            report.results.len(),
            s.pass,
            s.fail,
            s.error,
            s.not_applicable
        ))),
    );
    result.insert("start".into(), json!(started));
    result.insert("end".into(), json!(finished));
    insert_props(
        &mut result,
        props([
            prop("report-id", &report_id, true),
            prop("schema-version", &report.schema_version.to_string(), true),
        ]),
    );
    // Known vulnerabilities (`--feeds`): one observation and one open risk per finding, the
    // risk's deadline the BOD 26-04 due date.
    for v in &report.vulnerabilities {
        let key = format!("vuln\n{}\n{}", v.package, v.cve);
        let obs_uuid = id("observation", &key);
        let kev = v.kev.as_ref();
        let vprops = props(vec![
            prop("cve", &v.cve, true),
            prop("package", &v.package, true),
            prop("installed-version", &v.installed_version, true),
            v.fixed_version
                .as_deref()
                .and_then(|f| prop("fixed-version", f, true)),
            prop("advisory", &v.advisory, true),
            prop("kev", if kev.is_some() { "true" } else { "false" }, true),
            kev.and_then(|k| prop("kev-due-date", &k.due_date, true)),
            prop("bod-26-04-band", &v.bod_26_04.band, true),
            v.bod_26_04
                .due
                .as_deref()
                .and_then(|d| prop("bod-26-04-due", d, true)),
            prop("exposure", &v.exposure, true),
        ]);
        let fix = match &v.fixed_version {
            Some(f) => format!("fixed in {f}"),
            None => "no fix released yet".to_string(),
        };
        let mut obs = Map::new();
        obs.insert("uuid".into(), json!(obs_uuid));
        obs.insert(
            "title".into(),
            json!(markup(&format!(
                "{} in {} {}",
                v.cve, v.package, v.installed_version
            ))),
        );
        obs.insert(
            "description".into(),
            json!(markup(&format!(
                "{} is open in {} {} on {hostname} ({fix}; advisory {}).",
                v.cve, v.package, v.installed_version, v.advisory
            ))),
        );
        insert_props(&mut obs, vprops.clone());
        obs.insert("methods".into(), json!(["TEST"]));
        obs.insert("types".into(), json!(["finding"]));
        obs.insert("origins".into(), tool.clone());
        obs.insert(
            "subjects".into(),
            json!([{ "subject-uuid": host_uuid, "type": "inventory-item", "title": markup(&hostname) }]),
        );
        obs.insert("collected".into(), json!(finished));
        observations.push(Value::Object(obs));
        let mut risk = Map::new();
        risk.insert("uuid".into(), json!(id("risk", &key)));
        risk.insert(
            "title".into(),
            json!(markup(&format!(
                "{}{} in {} on {hostname}",
                if kev.is_some() {
                    "Known-exploited "
                } else {
                    ""
                },
                v.cve,
                v.package
            ))),
        );
        risk.insert(
            "description".into(),
            json!(markup(&format!(
                "{} {} is affected by {} ({fix}).",
                v.package, v.installed_version, v.cve
            ))),
        );
        let mut statement = format!(
            "BOD 26-04 band {} (exposure {}){}",
            v.bod_26_04.band,
            v.exposure,
            if v.bod_26_04.forensic_triage {
                ", forensic triage required"
            } else {
                ""
            }
        );
        if !v.bod_26_04.table_verified {
            statement
                .push_str("; the remediation table (CERT/CC's cisa:DT_BOD2604:1.0.0) is not verified against the directive's own text");
        }
        risk.insert("statement".into(), json!(markup(&statement)));
        insert_props(&mut risk, vprops);
        risk.insert("status".into(), json!("open"));
        risk.insert("origins".into(), tool.clone());
        if let Some(d) = &v.bod_26_04.due {
            risk.insert("deadline".into(), json!(format!("{d}T23:59:59Z")));
        }
        if let Some(f) = &v.fixed_version {
            risk.insert(
                "remediations".into(),
                json!([{
                    "uuid": id("remediation", &key),
                    "lifecycle": "recommendation",
                    "title": markup(&format!("Upgrade {} to {f} or later", v.package)),
                    "description": markup(&format!("Install {} {f} (advisory {}) or later.", v.package, v.advisory)),
                    "origins": tool.clone(),
                }]),
            );
        }
        risk.insert(
            "related-observations".into(),
            json!([{ "observation-uuid": obs_uuid }]),
        );
        risks.push(Value::Object(risk));
    }
    result.insert(
        "local-definitions".into(),
        json!({ "components": [component], "inventory-items": [inventory_item] }),
    );
    result.insert(
        "reviewed-controls".into(),
        json!({ "control-selections": [control_selection] }),
    );
    if !observations.is_empty() {
        result.insert("observations".into(), Value::Array(observations));
    }
    if !risks.is_empty() {
        result.insert("risks".into(), Value::Array(risks));
    }
    if !findings.is_empty() {
        result.insert("findings".into(), Value::Array(findings));
    }

    let mut resource = Map::new();
    resource.insert("uuid".into(), json!(policy_uuid));
    resource.insert(
        "title".into(),
        json!("hardline policy evaluated by the agent"),
    );
    resource.insert(
        "description".into(),
        json!(markup(&format!(
            "{} rule(s) from: {}.",
            report.policy.rules,
            if report.policy.sources.is_empty() {
                "unknown sources".to_string()
            } else {
                report.policy.sources.join(", ")
            }
        ))),
    );
    insert_props(
        &mut resource,
        props(
            report
                .policy
                .sources
                .iter()
                .map(|src| prop("policy-source", src, true)),
        ),
    );

    json!({
        "assessment-results": {
            "uuid": id("assessment-results", ""),
            "metadata": {
                "title": markup(&format!("hardline assessment results for {hostname}")),
                "last-modified": finished,
                "version": finished,
                "oscal-version": OSCAL_VERSION,
                "props": props([prop("report-id", &report_id, true)]),
            },
            "import-ap": {
                "href": format!("#{policy_uuid}"),
                "remarks": "hardline has no OSCAL assessment plan; this points at the back-matter resource describing the policy the agent evaluated.",
            },
            "results": [Value::Object(result)],
            "back-matter": { "resources": [Value::Object(resource)] },
        }
    })
}

/// Name-based UUID in hardline's namespace.
fn uuid(name: &str) -> String {
    Uuid::new_v5(&UUID_NAMESPACE, name.as_bytes()).to_string()
}

/// RFC 3339, as the OSCAL date-time-with-timezone pattern requires.
fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

/// `s` trimmed, or `fallback` when it is empty.
fn nonempty(s: &str, fallback: &str) -> String {
    let s = s.trim();
    if s.is_empty() { fallback } else { s }.to_string()
}

/// The result's message followed by its evidence, one line each.
fn statement(r: &RuleResult) -> String {
    let mut s = nonempty(&one_line(&r.message), "No message.");
    for e in &r.evidence {
        let line = evidence_line(e);
        if !line.is_empty() {
            s.push_str("\n\n");
            s.push_str(&line);
        }
    }
    s
}

fn relevant_evidence(e: &Evidence) -> Value {
    let mut m = Map::new();
    m.insert(
        "description".into(),
        json!(markup(&nonempty(&evidence_line(e), "No detail."))),
    );
    let line = e.line.map(|l| l.to_string());
    insert_props(
        &mut m,
        props([
            e.path.as_deref().and_then(|p| prop("path", p, true)),
            line.as_deref().and_then(|l| prop("line", l, true)),
            e.observed
                .as_deref()
                .and_then(|v| prop("observed", v, true)),
            e.expected
                .as_deref()
                .and_then(|v| prop("expected", v, true)),
            e.context.as_deref().and_then(|v| prop("context", v, true)),
        ]),
    );
    Value::Object(m)
}

/// Text for an OSCAL markup field: no raw HTML (`\`, `<`, `&` escaped with a backslash)
/// and no control or bidi characters other than newline and tab (escaped as `\u{..}`).
fn markup(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '<' | '&' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\t' => out.push(c),
            c if needs_escape(c) => out.push_str(&one_line(&c.to_string())),
            c => out.push(c),
        }
    }
    out
}

/// A prop, or `None` when the value is empty once made a single trimmed line (OSCAL's
/// string datatype allows neither). `ours` puts it in the hardline namespace.
fn prop(name: &str, value: &str, ours: bool) -> Option<Value> {
    let value = one_line(value).trim().to_string();
    if value.is_empty() {
        return None;
    }
    Some(if ours {
        json!({ "name": name, "ns": NS, "value": value })
    } else {
        json!({ "name": name, "value": value })
    })
}

fn props(items: impl IntoIterator<Item = Option<Value>>) -> Vec<Value> {
    items.into_iter().flatten().collect()
}

/// Props are optional, but an empty array is invalid (`minItems: 1`).
fn insert_props(m: &mut Map<String, Value>, props: Vec<Value>) {
    if !props.is_empty() {
        m.insert("props".into(), Value::Array(props));
    }
}

/// `s` as an OSCAL token (`^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$`): characters other than ASCII
/// letters, digits, `.`, `-` and `_` become `_` (Rust's `is_alphabetic` admits combining
/// marks that `\p{L}` does not, so non-ASCII is not kept), and a leading character that may
/// not start a token gets a `_` before it. Rule ids are ASCII, so they are kept as they are.
fn token(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        out.insert(0, '_');
    }
    out
}

/// A NIST SP 800-53 reference as an OSCAL control id and, for a statement reference, the
/// statement id: `AC-6(2)` → (`ac-6.2`, None); `AC-17(a)` → (`ac-17`, `ac-17_smt.a`);
/// `CM-7(1)(b)` → (`cm-7.1`, `cm-7.1_smt.b`). `None` when `s` is not a control reference.
fn control_id(s: &str) -> Option<(String, Option<String>)> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let (family, rest) = s.split_once('-')?;
    if !(2..=3).contains(&family.len()) || !family.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let number: u32 = rest[..digits].parse().ok()?;
    let mut control = format!("{}-{number}", family.to_ascii_lowercase());
    let mut parts: Vec<String> = Vec::new();
    let mut rest = &rest[digits..];
    while !rest.is_empty() {
        let inner = rest.strip_prefix('(')?;
        let end = inner.find(')')?;
        let group = &inner[..end];
        rest = &inner[end + 1..];
        if !group.is_empty() && group.bytes().all(|b| b.is_ascii_digit()) {
            let n: u32 = group.parse().ok()?;
            if parts.is_empty() {
                control.push_str(&format!(".{n}"));
            } else {
                parts.push(n.to_string());
            }
        } else if !group.is_empty() && group.bytes().all(|b| b.is_ascii_alphabetic()) {
            parts.push(group.to_ascii_lowercase());
        } else {
            return None;
        }
    }
    let statement = (!parts.is_empty()).then(|| format!("{control}_smt.{}", parts.join(".")));
    Some((control, statement))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::text::sample_report;
    use std::sync::OnceLock;

    fn validator() -> &'static jsonschema::Validator {
        static V: OnceLock<jsonschema::Validator> = OnceLock::new();
        V.get_or_init(|| {
            let path = concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../tests/schemas/oscal_complete_schema.json"
            );
            let schema: Value =
                serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            jsonschema::draft7::options()
                .should_validate_formats(true)
                .build(&schema)
                .unwrap_or_else(|e| panic!("the OSCAL schema does not compile: {e}"))
        })
    }

    fn assert_valid(text: &str) -> Value {
        let doc: Value = serde_json::from_str(text).unwrap();
        let errors: Vec<String> = validator()
            .iter_errors(&doc)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}\n{text}", errors.join("\n"));
        doc
    }

    fn docs(id: &str) -> Option<RuleDoc<'static>> {
        static STIG: OnceLock<Vec<String>> = OnceLock::new();
        (id == "sshd.permit_root_login" || id == "sysctl.kernel_randomize_va_space").then(|| {
            RuleDoc {
                rationale: "Root logins remove <accountability> & traceability.\nSecond line.",
                remediation: "Set `PermitRootLogin no` in /etc/ssh/sshd_config, then `systemctl reload ssh`.",
                disa_stig: STIG.get_or_init(|| vec!["V-238218".to_string()]),
                cis: &[],
            }
        })
    }

    #[test]
    fn control_ids_follow_oscal_conventions() {
        let c = |s: &str| control_id(s);
        assert_eq!(c("AC-6(2)"), Some(("ac-6.2".into(), None)));
        assert_eq!(c("IA-2"), Some(("ia-2".into(), None)));
        assert_eq!(c("ac-06 (02)"), Some(("ac-6.2".into(), None)));
        assert_eq!(
            c("AC-17(a)"),
            Some(("ac-17".into(), Some("ac-17_smt.a".into())))
        );
        assert_eq!(
            c("CM-7(1)(b)"),
            Some(("cm-7.1".into(), Some("cm-7.1_smt.b".into())))
        );
        assert_eq!(
            c("AC-2(a)(1)"),
            Some(("ac-2".into(), Some("ac-2_smt.a.1".into())))
        );
        for bad in [
            "not a control",
            "AC",
            "AC-",
            "AC-x",
            "AC-6(",
            "AC-6(2",
            "A1-2",
            "AC-6(!)",
        ] {
            assert_eq!(c(bad), None, "{bad}");
        }
    }

    #[test]
    fn tokens_are_valid() {
        assert_eq!(token("sshd.permit_root_login"), "sshd.permit_root_login");
        assert_eq!(token("1abc.x"), "_1abc.x");
        assert_eq!(token("a b/c"), "a_b_c");
        assert_eq!(token(""), "_");
        assert_eq!(
            token("\u{abe}.x"),
            "_.x",
            "a combining mark is not a letter"
        );
    }

    #[test]
    fn document_validates_against_the_nist_schema() {
        let report = sample_report();
        let text = render_with(&report, &docs);
        let doc = assert_valid(&text);
        let ar = &doc["assessment-results"];
        assert_eq!(ar["metadata"]["oscal-version"], OSCAL_VERSION);
        assert_eq!(ar["metadata"]["last-modified"], "2026-06-02T12:00:00.292Z");
        let result = &ar["results"][0];
        assert_eq!(result["start"], "2026-06-02T12:00:00.25Z");
        let href = ar["import-ap"]["href"].as_str().unwrap();
        assert_eq!(
            href.trim_start_matches('#'),
            ar["back-matter"]["resources"][0]["uuid"]
        );

        // Controls: AC-6(2) → ac-6.2, AC-17(a) → statement; "not a control" left out.
        let include = result["reviewed-controls"]["control-selections"][0]["include-controls"]
            .as_array()
            .unwrap();
        let ids: Vec<&str> = include
            .iter()
            .map(|c| c["control-id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            ["ac-17", "ac-6", "ac-6.2", "cm-7.1", "ia-2", "sc-13", "sc-39", "sc-8.1"]
        );
        assert_eq!(include[0]["statement-ids"], json!(["ac-17_smt.a"]));

        // One observation and one finding per result, linked; statuses mapped.
        let observations = result["observations"].as_array().unwrap();
        let findings = result["findings"].as_array().unwrap();
        assert_eq!(observations.len(), report.results.len());
        assert_eq!(findings.len(), report.results.len());
        for ((r, o), f) in report.results.iter().zip(observations).zip(findings) {
            assert_eq!(o["methods"], json!(["TEST"]));
            assert_eq!(f["related-observations"][0]["observation-uuid"], o["uuid"]);
            assert_eq!(f["target"]["target-id"], r.rule_id);
            let (state, reason) = match r.status {
                Status::Pass => ("satisfied", "pass"),
                Status::Fail => ("not-satisfied", "fail"),
                Status::Error => ("not-satisfied", "other"),
                Status::NotApplicable => ("satisfied", "other"),
            };
            assert_eq!(f["target"]["status"]["state"], state, "{}", r.rule_id);
            assert_eq!(f["target"]["status"]["reason"], reason, "{}", r.rule_id);
            assert!(f["props"]
                .as_array()
                .unwrap()
                .contains(&json!({"name": "status", "ns": NS, "value": r.status.as_str()})));
            assert_eq!(
                f.get("related-risks").is_some(),
                matches!(r.status, Status::Fail | Status::Error)
            );
        }
        let na = &findings[3]["target"];
        assert_eq!(na["implementation-status"]["state"], "not-applicable");
        let risks = result["risks"].as_array().unwrap();
        assert_eq!(risks.len(), 3);
        assert_eq!(risks[0]["status"], "open");
        assert_eq!(risks[1]["status"], "investigating");
        assert!(risks[0]["remediations"][0]["description"]
            .as_str()
            .unwrap()
            .contains("PermitRootLogin no"));
        assert!(
            risks[2].get("remediations").is_none(),
            "no policy text for tls"
        );
        // Evidence as described text and as props.
        let ev = &observations[0]["relevant-evidence"][0];
        assert!(ev["description"]
            .as_str()
            .unwrap()
            .starts_with("/etc/ssh/sshd_config:12: observed"));
        assert!(ev["props"]
            .as_array()
            .unwrap()
            .contains(&json!({"name": "line", "ns": NS, "value": "12"})));
        // No raw control characters and no raw HTML from host data.
        assert!(!text.contains("\\u001b"), "ESC escaped visibly, not kept");
        assert!(!text.contains(" <broken>"));
        // Rationale and references from the policy.
        assert!(findings[0]["props"]
            .as_array()
            .unwrap()
            .contains(&json!({"name": "disa-stig", "ns": NS, "value": "V-238218"})));
        assert!(findings[0]["remarks"]
            .as_str()
            .unwrap()
            .contains("\\<accountability>"));
    }

    #[test]
    fn edge_reports_validate_too() {
        // No results, no controls, empty names, odd timestamps and ids.
        let mut report = sample_report();
        report.results.clear();
        report.summary = Default::default();
        report.host.hostname = "  ".into();
        report.host.os = Default::default();
        report.agent = Default::default();
        report.policy = Default::default();
        report.started_at = time::macros::datetime!(2026-06-02 12:00:00 +05:30);
        let doc = assert_valid(&render_with(&report, &|_| None));
        assert!(
            doc["assessment-results"]["results"][0]["reviewed-controls"]["control-selections"][0]
                .get("include-all")
                .is_some()
        );

        // Hostile text everywhere, duplicate results, an id that is not a token.
        let mut report = sample_report();
        let nasty = " \u{1b}[2J\n\t<script>&amp;\u{0} \u{202e} ";
        report.host.hostname = nasty.into();
        report.host.os.pretty_name = nasty.into();
        report.host.root = nasty.into();
        let mut dup = report.results[0].clone();
        dup.rule_id = "9area.x y".into();
        dup.title = nasty.into();
        dup.message = nasty.into();
        dup.evidence = vec![
            Evidence::default(),
            Evidence::at(nasty, Some(0))
                .observed(nasty)
                .expected("")
                .context(nasty),
        ];
        dup.nist_800_53 = vec![nasty.into(), "".into()];
        report.results.push(dup.clone());
        report.results.push(dup);
        let text = render_with(&report, &|_| {
            Some(RuleDoc {
                rationale: " ",
                remediation: "\n",
                ..Default::default()
            })
        });
        let doc = assert_valid(&text);
        let findings = doc["assessment-results"]["results"][0]["findings"]
            .as_array()
            .unwrap();
        assert_ne!(findings[5]["uuid"], findings[6]["uuid"]);
        assert_eq!(findings[5]["target"]["target-id"], "_9area.x_y");
    }

    #[test]
    fn uuids_are_deterministic_and_stable_across_scans_of_one_host() {
        let report = sample_report();
        let a = render_with(&report, &docs);
        assert_eq!(a, render_with(&report, &docs), "same report, same bytes");

        let mut later = report.clone();
        later.report_id = Uuid::from_u128(0xfeed_0000_0000_4000_8000_0000_0000_0001);
        later.started_at += time::Duration::hours(1);
        later.finished_at += time::Duration::hours(1);
        let a: Value = serde_json::from_str(&a).unwrap();
        let b: Value = serde_json::from_str(&render_with(&later, &docs)).unwrap();
        let uuids = |v: &Value, list: &str| -> Vec<Value> {
            v["assessment-results"]["results"][0][list]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["uuid"].clone())
                .collect()
        };
        for list in ["observations", "findings", "risks"] {
            assert_eq!(uuids(&a, list), uuids(&b, list), "{list}");
        }
        let ar = |v: &Value| v["assessment-results"].clone();
        assert_eq!(ar(&a)["uuid"], ar(&b)["uuid"]);
        assert_eq!(
            ar(&a)["results"][0]["local-definitions"],
            ar(&b)["results"][0]["local-definitions"]
        );
        assert_ne!(ar(&a)["results"][0]["uuid"], ar(&b)["results"][0]["uuid"]);

        // Another host: different ids.
        let mut other = report.clone();
        other.host.id = "00000000000000000000000000000001".into();
        let c: Value = serde_json::from_str(&render_with(&other, &docs)).unwrap();
        assert_ne!(uuids(&a, "findings"), uuids(&c, "findings"));
        assert_ne!(ar(&a)["uuid"], ar(&c)["uuid"]);
    }

    #[test]
    fn the_validator_rejects_what_oscal_forbids() {
        // Proves the schema's patterns (\p{L} tokens, UUIDs, single-line titles) and enum
        // constraints are enforced by the validator, so a passing test means something.
        let good: Value = serde_json::from_str(&render_with(&sample_report(), &docs)).unwrap();
        assert!(validator().is_valid(&good));
        let finding = "/assessment-results/results/0/findings/0";
        let breakages: [(&str, Value); 6] = [
            ("/target/target-id", json!("1 not a token")),
            ("/target/status/state", json!("not-applicable")),
            ("/uuid", json!("not-a-uuid")),
            ("/title", json!("two\nlines")),
            ("/props/0/value", json!(" padded ")),
            ("/target/type", json!("rule-id")),
        ];
        for (path, value) in breakages {
            let mut bad = good.clone();
            *bad.pointer_mut(&format!("{finding}{path}")).unwrap() = value;
            assert!(!validator().is_valid(&bad), "{path} should be invalid");
        }
        let mut bad = good.clone();
        bad["assessment-results"]["results"][0]["start"] = json!("2026-06-02 12:00:00");
        assert!(!validator().is_valid(&bad));
    }

    proptest::proptest! {
        // PROPTEST_CASES raises the count for long runs.
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(
            std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64)
        ))]
        /// Arbitrary host, rule and evidence text still gives a valid document.
        #[test]
        fn arbitrary_text_stays_valid(s in "\\PC*|[\\x00-\\x20<&\\\\\"\\u{202e}]*", c in "[A-Za-z]{0,3}-?[0-9]{0,3}(\\([0-9a-z]{0,2}\\)){0,2}") {
            let mut report = sample_report();
            report.host.hostname = s.clone();
            report.host.id = s.clone();
            for r in &mut report.results {
                r.message = s.clone();
                r.title = s.clone();
                r.rule_id = format!("{s}.x");
                r.target = Some(s.clone());
                r.nist_800_53.push(c.clone());
                r.evidence.push(Evidence::at(s.clone(), Some(1)).observed(s.clone()).context(s.clone()));
            }
            let doc: Value = serde_json::from_str(&render_with(&report, &|_| None)).unwrap();
            let errors: Vec<String> = validator().iter_errors(&doc).map(|e| format!("{e} at {}", e.instance_path())).collect();
            proptest::prop_assert!(errors.is_empty(), "{}", errors.join("\n"));
        }
    }

    #[test]
    fn render_uses_the_policy_when_it_has_the_rule() {
        // The public entry point with an empty policy: report text only, still valid.
        let text = render(&sample_report(), &Policy::default());
        assert_valid(&text);
    }
}
