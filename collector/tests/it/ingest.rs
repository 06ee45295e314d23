use crate::util::*;
use hardline_agent::report::{Severity::*, Status::*};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushed_reports_show_up_in_metrics_and_read_api() {
    let env = Env::new(Setup::default());
    let c = env.start();
    assert!(c.ingest.starts_with("https://") && c.read.starts_with("https://"));
    let t = now() - 60;
    // DOE: web-1 noncompliant (high fail), web-2 compliant (only a low fail), db-1 noncompliant (error).
    let doe = [
        report(
            "web-1",
            t,
            &[
                ("ssh.root", High, Fail),
                ("tls.v", Medium, Pass),
                ("fs.tmp", Low, NotApplicable),
            ],
        ),
        report(
            "web-2",
            t,
            &[
                ("ssh.root", High, Pass),
                ("tls.v", Medium, Pass),
                ("fs.tmp", Low, Fail),
            ],
        ),
        report(
            "db-1",
            t,
            &[
                ("ssh.root", High, Pass),
                ("tls.v", Medium, Error),
                ("fs.tmp", Low, Pass),
            ],
        ),
    ];
    let doj = [
        report(
            "doj-1",
            t,
            &[("ssh.root", High, Pass), ("tls.v", Medium, Pass)],
        ),
        report(
            "doj-2",
            t,
            &[("ssh.root", High, Fail), ("tls.v", Medium, Pass)],
        ),
    ];
    for r in &doe {
        let (s, v) = c.push_report(DOE_AGENT, r).await;
        assert_eq!(s, 201, "{v}");
        assert_eq!(v["agency"], "DOE");
        assert_eq!(v["duplicate"], false);
    }
    for r in &doj {
        assert_eq!(c.push_report(DOJ_AGENT, r).await.0, 201);
    }
    // A replay is idempotent: 200, stored once, counted once.
    let (s, v) = c.push_report(DOE_AGENT, &doe[0]).await;
    assert_eq!((s, &v["duplicate"]), (200, &serde_json::json!(true)));
    assert_eq!(
        count_rows(&env.db_path(), "SELECT count(*) FROM reports"),
        5
    );

    let text = c.metrics().await;
    let m = parse_exposition(&text);
    let hosts = |a: &str, s: &str| sample(&m, "hardline_hosts", &[("agency", a), ("state", s)]);
    assert_eq!(hosts("DOE", "compliant"), Some(1.0));
    assert_eq!(hosts("DOE", "noncompliant"), Some(2.0));
    assert_eq!(hosts("DOE", "stale"), Some(0.0));
    assert_eq!(hosts("DOJ", "compliant"), Some(1.0));
    assert_eq!(hosts("DOJ", "noncompliant"), Some(1.0));
    let rr = |a: &str, r: &str, sev: &str, st: &str| {
        sample(
            &m,
            "hardline_rule_results",
            &[
                ("agency", a),
                ("rule_id", r),
                ("severity", sev),
                ("status", st),
            ],
        )
    };
    assert_eq!(rr("DOE", "ssh.root", "high", "fail"), Some(1.0));
    assert_eq!(rr("DOE", "ssh.root", "high", "pass"), Some(2.0));
    assert_eq!(rr("DOE", "ssh.root", "high", "error"), Some(0.0));
    assert_eq!(rr("DOE", "tls.v", "medium", "error"), Some(1.0));
    assert_eq!(rr("DOE", "fs.tmp", "low", "not_applicable"), Some(1.0));
    assert_eq!(rr("DOJ", "ssh.root", "high", "fail"), Some(1.0));
    assert_eq!(rr("DOJ", "fs.tmp", "low", "pass"), None);
    assert_eq!(
        sample(&m, "hardline_reports_received_total", &[("agency", "DOE")]),
        Some(3.0)
    );
    assert_eq!(
        sample(&m, "hardline_reports_received_total", &[("agency", "DOJ")]),
        Some(2.0)
    );
    assert_eq!(
        sample(
            &m,
            "hardline_reports_rejected_total",
            &[("reason", "malformed_json")]
        ),
        Some(0.0)
    );
    assert_eq!(
        sample(
            &m,
            "hardline_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &m,
            "hardline_campaign_start_timestamp_seconds",
            &[("campaign", "eo-30-day")]
        ),
        Some(START as f64)
    );
    assert_eq!(
        sample(
            &m,
            "hardline_campaign_deadline_timestamp_seconds",
            &[("campaign", "eo-30-day")]
        ),
        Some((START + 30 * 86400) as f64)
    );
    assert_eq!(
        sample(
            &m,
            "hardline_waivers",
            &[("agency", "DOE"), ("state", "active")]
        ),
        Some(0.0)
    );
    // Exactly the contract's families (+ hardline_waivers, and the vulnerability families:
    // without feeds only the unassessed count), no per-host label anywhere.
    let mut names: Vec<&str> = m.iter().map(|s| s.0.as_str()).collect();
    names.dedup();
    for n in &names {
        assert!(
            [
                "hardline_campaign_start_timestamp_seconds",
                "hardline_campaign_deadline_timestamp_seconds",
                "hardline_hosts",
                "hardline_rule_results",
                "hardline_projected_completion_timestamp_seconds",
                "hardline_reports_received_total",
                "hardline_reports_rejected_total",
                "hardline_build_info",
                "hardline_waivers",
                "hardline_vulnerability_unassessed_hosts"
            ]
            .contains(n),
            "unexpected family {n}"
        );
    }
    assert!(!text.contains("host=") && !text.contains("hostname="));
    if let Some(Err(e)) = hardline_agent::testutil::promtool_check_metrics(&text) {
        panic!("promtool check metrics: {e}");
    }

    // Read API.
    let (s, v) = c.get(Some(DOE_VIEWER), "/api/v1/hosts").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["total"], 3, "a DOE viewer sees DOE only: {v}");
    let ids: Vec<&str> = v["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["db-1", "web-1", "web-2"]);
    let (_, v) = c
        .get(
            Some(DOE_VIEWER),
            "/api/v1/hosts?state=noncompliant&per_page=1&page=2",
        )
        .await;
    assert_eq!(
        (v["total"].as_i64(), v["hosts"][0]["id"].as_str()),
        (Some(2), Some("web-1"))
    );
    assert_eq!(v["hosts"][0]["blocking"], serde_json::json!(["ssh.root"]));
    let (_, v) = c
        .get(Some(ALL_VIEWER), "/api/v1/hosts?failing_rule=ssh.root")
        .await;
    assert_eq!(v["total"], 2, "{v}");
    let (s, _) = c.get(Some(DOE_VIEWER), "/api/v1/hosts?agency=DOJ").await;
    assert_eq!(s, 404);
    let (s, v) = c.get(Some(DOE_VIEWER), "/api/v1/hosts?color=red").await;
    assert_eq!((s, v["reason"].as_str()), (400, Some("bad_query")));
    let (s, v) = c.get(Some(DOE_VIEWER), "/api/v1/hosts/web-1").await;
    assert_eq!(s, 200);
    assert_eq!(v["report"]["report_id"], doe[0].report_id.to_string());
    assert_eq!(v["report"]["results"].as_array().unwrap().len(), 3);
    assert_eq!(v["host"]["state"], "noncompliant");
    assert_eq!(v["history"].as_array().unwrap().len(), 1);
    assert_eq!(c.get(Some(DOE_VIEWER), "/api/v1/hosts/doj-1").await.0, 404);
    let (_, v) = c
        .get(Some(ALL_VIEWER), "/api/v1/rules/ssh.root/failing")
        .await;
    let ids: Vec<&str> = v["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["doj-2", "web-1"]);
    let (_, v) = c.get(Some(DOJ_VIEWER), "/api/v1/summary").await;
    assert_eq!(v["agencies"].as_array().unwrap().len(), 1);
    assert_eq!(v["agencies"][0]["noncompliant"], 1);
    assert_eq!(v["campaign"]["name"], "eo-30-day");
    let page = c
        .client
        .get(format!("{}/", c.read))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("id=\"days-left\"")
            && page.contains("data-agency=\"DOE\"")
            && page.contains("id=\"burndown\""),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn newer_report_replaces_older_and_late_report_does_not() {
    let env = Env::new(Setup {
        history: 2,
        ..Default::default()
    });
    let c = env.start();
    let t = now() - 3600;
    let r1 = report("h", t, &[("ssh.root", High, Fail)]);
    let r2 = report("h", t + 60, &[("ssh.root", High, Pass)]);
    let r0 = report("h", t - 60, &[("ssh.root", High, Fail)]);
    assert_eq!(c.push_report(DOE_AGENT, &r1).await.0, 201);
    assert_eq!(c.push_report(DOE_AGENT, &r2).await.0, 201);
    // Older than the whole (full) history: it would be pruned at once, so nothing
    // changes and it is not counted (issue 15 item 6).
    let (s, v) = c.push_report(DOE_AGENT, &r0).await;
    assert_eq!((s, &v["latest"]), (200, &serde_json::json!(false)));
    assert_eq!(v["stored"], serde_json::json!(false));
    // A report newer than the oldest kept one but older than the latest: stored, not latest.
    let r15 = report("h", t + 30, &[("ssh.root", High, Fail)]);
    let (s, v) = c.push_report(DOE_AGENT, &r15).await;
    assert_eq!((s, &v["latest"]), (201, &serde_json::json!(false)));
    // r1 is pruned now; replaying it three times changes nothing and counts nothing.
    for _ in 0..3 {
        let (s, v) = c.push_report(DOE_AGENT, &r1).await;
        assert_eq!((s, &v["stored"]), (200, &serde_json::json!(false)), "{v}");
    }
    let m = parse_exposition(&c.metrics().await);
    assert_eq!(
        sample(
            &m,
            "hardline_hosts",
            &[("agency", "DOE"), ("state", "compliant")]
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(&m, "hardline_reports_received_total", &[("agency", "DOE")]),
        Some(3.0)
    );
    // History is bounded: 2 kept, the latest among them (r1 pruned by r15).
    let (_, v) = c.get(Some(DOE_VIEWER), "/api/v1/hosts/h").await;
    let hist: Vec<&str> = v["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["report_id"].as_str().unwrap())
        .collect();
    assert_eq!(hist, [r2.report_id.to_string(), r15.report_id.to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mtls_requires_a_client_certificate_on_ingest_only() {
    let env = Env::new(Setup {
        mtls: true,
        ..Default::default()
    });
    let c = env.start();
    let r = report("m1", now() - 10, &[("ssh.root", High, Pass)]);
    assert_eq!(c.push_report(DOE_AGENT, &r).await.0, 201);
    let anon = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(env.certs.ca_pem.as_bytes()).unwrap()])
        .build()
        .unwrap();
    let err = anon
        .post(format!("{}/api/v1/reports", c.ingest))
        .bearer_auth(DOE_AGENT)
        .body(serde_json::to_vec(&r).unwrap())
        .send()
        .await;
    assert!(
        err.is_err(),
        "ingest without a client certificate must fail the handshake"
    );
    let ok = anon
        .get(format!("{}/metrics", c.read))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 200);
}
