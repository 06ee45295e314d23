use crate::util::*;
use hardline_agent::report::{Severity::*, Status::*};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

async fn rejected(c: &Collector, reason: &str) -> f64 {
    let m = parse_exposition(&c.metrics().await);
    sample(&m, "hardline_reports_rejected_total", &[("reason", reason)]).unwrap()
}

/// Push `body` with `token`; expect `status` and `reason`, the counter up by one, nothing stored.
async fn refused(
    c: &Collector,
    env: &Env,
    token: Option<&str>,
    body: Vec<u8>,
    status: u16,
    reason: &str,
) {
    let before = rejected(c, reason).await;
    let rows = count_rows(&env.db_path(), "SELECT count(*) FROM reports");
    let (s, v) = c.push(token, body).await;
    assert_eq!(s, status, "{reason}: {v}");
    assert_eq!(v["reason"], reason, "{v}");
    assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{v}");
    assert_eq!(rejected(c, reason).await, before + 1.0, "{reason} counter");
    assert_eq!(
        count_rows(&env.db_path(), "SELECT count(*) FROM reports"),
        rows,
        "{reason}: stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_have_the_right_status_and_store_nothing() {
    let env = Env::new(Setup {
        max_body_bytes: 64 * 1024,
        ..Default::default()
    });
    let c = env.start();
    let t = now() - 30;
    let good = report("victim", t, &[("ssh.root", High, Fail)]);
    let body = serde_json::to_vec(&good).unwrap();

    refused(&c, &env, None, body.clone(), 401, "missing_token").await;
    refused(
        &c,
        &env,
        Some("not-a-token"),
        body.clone(),
        401,
        "unknown_token",
    )
    .await;
    refused(&c, &env, Some(DOE_VIEWER), body.clone(), 403, "wrong_role").await;
    refused(
        &c,
        &env,
        Some(DOE_AGENT),
        b"{\"schema_version\": 1, ".to_vec(),
        400,
        "malformed_json",
    )
    .await;
    refused(
        &c,
        &env,
        Some(DOE_AGENT),
        b"\xff\xfe\x00garbage".to_vec(),
        400,
        "malformed_json",
    )
    .await;
    let mut v = serde_json::to_value(&good).unwrap();
    v["schema_version"] = 2.into();
    refused(
        &c,
        &env,
        Some(DOE_AGENT),
        serde_json::to_vec(&v).unwrap(),
        400,
        "schema_version",
    )
    .await;
    let mut v = serde_json::to_value(&good).unwrap();
    v.as_object_mut().unwrap().remove("host");
    refused(
        &c,
        &env,
        Some(DOE_AGENT),
        serde_json::to_vec(&v).unwrap(),
        400,
        "malformed_json",
    )
    .await;
    let mut bad = good.clone();
    bad.results[0].message = "x".repeat(10_000);
    refused(
        &c,
        &env,
        Some(DOE_AGENT),
        serde_json::to_vec(&bad).unwrap(),
        400,
        "invalid_report",
    )
    .await;
    let mut bad = good.clone();
    bad.summary.fail = 7;
    refused(
        &c,
        &env,
        Some(DOE_AGENT),
        serde_json::to_vec(&bad).unwrap(),
        400,
        "invalid_report",
    )
    .await;
    let future = report("victim", now() + 86400, &[("ssh.root", High, Fail)]);
    refused(
        &c,
        &env,
        Some(DOE_AGENT),
        serde_json::to_vec(&future).unwrap(),
        400,
        "bad_timestamp",
    )
    .await;
    let huge = report("victim", t, &[("ssh.root", High, Pass)]);
    let mut hv = serde_json::to_value(&huge).unwrap();
    hv["padding"] = "p".repeat(100 * 1024).into();
    refused(
        &c,
        &env,
        Some(DOE_AGENT),
        serde_json::to_vec(&hv).unwrap(),
        413,
        "too_large",
    )
    .await;

    // Host hijack across agencies: DOE owns "victim" once it reported; DOJ is refused.
    assert_eq!(c.push_report(DOE_AGENT, &good).await.0, 201);
    let hijack = report("victim", t + 1, &[("ssh.root", High, Pass)]);
    refused(
        &c,
        &env,
        Some(DOJ_AGENT),
        serde_json::to_vec(&hijack).unwrap(),
        403,
        "host_owned_by_other_agency",
    )
    .await;
    let m = parse_exposition(&c.metrics().await);
    assert_eq!(
        sample(
            &m,
            "hardline_hosts",
            &[("agency", "DOE"), ("state", "noncompliant")]
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &m,
            "hardline_hosts",
            &[("agency", "DOJ"), ("state", "compliant")]
        ),
        Some(0.0)
    );

    // Reads: an agent token may not read; no token is 401.
    let (s, v) = c.get(Some(DOE_AGENT), "/api/v1/hosts").await;
    assert_eq!((s, v["reason"].as_str()), (403, Some("wrong_role")));
    let (s, v) = c.get(None, "/api/v1/summary").await;
    assert_eq!((s, v["reason"].as_str()), (401, Some("missing_token")));
    let (s, v) = c.get(Some("nope"), "/api/v1/hosts/victim").await;
    assert_eq!((s, v["reason"].as_str()), (401, Some("unknown_token")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_over_the_rate_gets_429() {
    let env = Env::new(Setup {
        rate_per_minute: 5,
        ..Default::default()
    });
    let c = env.start();
    let t = now() - 30;
    let mut statuses = Vec::new();
    for i in 0..8 {
        let r = report(&format!("f{i}"), t, &[("ssh.root", High, Pass)]);
        statuses.push(c.push_report(DOE_AGENT, &r).await.0);
    }
    assert_eq!(&statuses[..5], [201; 5]);
    assert!(statuses[5..].iter().all(|&s| s == 429), "{statuses:?}");
    let resp = c
        .client
        .post(format!("{}/api/v1/reports", c.ingest))
        .bearer_auth(DOE_AGENT)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 429);
    assert!(resp.headers().get("retry-after").is_some());
    assert_eq!(
        count_rows(&env.db_path(), "SELECT count(*) FROM reports"),
        5
    );
    assert_eq!(rejected(&c, "rate_limited").await, 4.0);
    // Another token has its own bucket.
    let r = report("other", t, &[("ssh.root", High, Pass)]);
    assert_eq!(c.push_report(DOJ_AGENT, &r).await.0, 201);
}
