//! Issue 15, item 2: collector-side limits are per agency, rule ids that no stored latest
//! report has are reclaimed, and a refusal caused by such a limit is one the agent retries.

use crate::util::*;
use hardline_agent::report::{Severity::*, Status::*};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A report for `host` with rule ids `prefix.0` .. `prefix.{n-1}`.
fn with_rules(host: &str, t: i64, prefix: &str, n: usize) -> hardline_agent::report::Report {
    let ids: Vec<String> = (0..n).map(|i| format!("{prefix}.r{i}")).collect();
    let results: Vec<(&str, _, _)> = ids.iter().map(|s| (s.as_str(), Medium, Fail)).collect();
    report(host, t, &results)
}

/// Push; status, reason and the Retry-After header.
async fn push(
    c: &Collector,
    token: &str,
    r: &hardline_agent::report::Report,
) -> (u16, String, Option<String>) {
    let resp = c
        .client
        .post(format!("{}/api/v1/reports", c.ingest))
        .bearer_auth(token)
        .json(r)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let v: serde_json::Value = resp.json().await.unwrap();
    (
        status,
        v["reason"].as_str().unwrap_or("").to_string(),
        retry,
    )
}

/// `hardline_rule_results` series of `agency`.
async fn series(c: &Collector, agency: &str) -> usize {
    let m = parse_exposition(&c.metrics().await);
    m.iter()
        .filter(|(n, l, _)| {
            n == "hardline_rule_results" && l.iter().any(|(k, v)| k == "agency" && v == agency)
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_agency_exhausting_its_rule_ids_never_locks_out_another_and_ids_are_reclaimed() {
    let env = Env::new(Setup {
        extra_limits: "max_rules = 20",
        ..Setup::default()
    });
    let t = now() - 600;
    let mut c = env.start();

    // DOE fills its 20 rule ids with junk, then one more new id is refused: 429 with
    // Retry-After (the agent keeps the report and retries), never a 400.
    assert_eq!(
        push(&c, DOE_AGENT, &with_rules("doe-1", t, "junk", 20))
            .await
            .0,
        201
    );
    let (s, reason, retry) = push(&c, DOE_AGENT, &with_rules("doe-2", t, "more", 1)).await;
    assert_eq!((s, reason.as_str()), (429, "too_many_rules"));
    assert!(retry.is_some_and(|r| r.parse::<u64>().unwrap() > 0));
    // Rule ids DOE already has still go in.
    assert_eq!(
        push(&c, DOE_AGENT, &with_rules("doe-3", t, "junk", 5))
            .await
            .0,
        201
    );
    // DOJ is not affected: its own new ids go in.
    assert_eq!(
        push(&c, DOJ_AGENT, &with_rules("doj-1", t, "doj", 10))
            .await
            .0,
        201
    );
    // Series are bounded per agency: DOE's rules × 4 statuses (one severity each).
    assert_eq!(series(&c, "DOE").await, 20 * 4);
    assert_eq!(series(&c, "DOJ").await, 10 * 4);

    // DOE's hosts drop the junk: the ids are reclaimed, DOE gets new ones again.
    assert_eq!(
        push(&c, DOE_AGENT, &with_rules("doe-1", t + 1, "real", 2))
            .await
            .0,
        201
    );
    assert_eq!(
        push(&c, DOE_AGENT, &with_rules("doe-3", t + 1, "real", 2))
            .await
            .0,
        201
    );
    assert_eq!(series(&c, "DOE").await, 2 * 4);
    assert_eq!(
        push(&c, DOE_AGENT, &with_rules("doe-2", t + 1, "new", 18))
            .await
            .0,
        201
    );
    assert_eq!(
        push(&c, DOE_AGENT, &with_rules("doe-4", t + 1, "over", 1))
            .await
            .0,
        429
    );
    // The store holds only referenced rule ids (plus reclaimed rows being reused).
    c.terminate();

    // After a restart: the limits are the same, per agency, and DOJ still gets in.
    let c = env.start();
    assert_eq!(series(&c, "DOE").await, 20 * 4);
    assert_eq!(
        push(&c, DOJ_AGENT, &with_rules("doj-2", t, "doj2", 9))
            .await
            .0,
        201
    );
    assert_eq!(
        push(&c, DOE_AGENT, &with_rules("doe-5", t, "over", 1))
            .await
            .0,
        429
    );
    // A replay of a stored report is still a 200, whatever the limit.
    let r = with_rules("doj-3", t, "doj3", 1);
    assert_eq!(push(&c, DOJ_AGENT, &r).await.0, 201);
    assert_eq!(push(&c, DOJ_AGENT, &r).await.0, 200);
    // DOE drops everything on one host; after a restart its freed ids are reusable.
    drop(c);
    let c = env.start();
    assert_eq!(
        push(&c, DOE_AGENT, &with_rules("doe-2", t + 2, "real", 1))
            .await
            .0,
        201
    );
    assert_eq!(
        push(&c, DOE_AGENT, &with_rules("doe-5", t + 2, "after", 18))
            .await
            .0,
        201
    );
    assert_eq!(series(&c, "DOE").await, 20 * 4);
    let interned = count_rows(&env.db_path(), "SELECT count(*) FROM rules");
    assert!(interned <= 20 + 21 + 1, "rules table grew to {interned}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_fields_are_bounded_like_known_ones_and_what_is_accepted_reads_back() {
    let env = Env::new(Setup::default());
    let c = env.start();
    let r = report("unknown-fields", now() - 60, &[("ssh.root", High, Pass)]);
    let with = |extra: serde_json::Value| {
        let mut v = serde_json::to_value(&r).unwrap();
        v["x_vendor"] = extra;
        serde_json::to_vec(&v).unwrap()
    };
    // 100,000 levels deep inside an unknown field: refused (was 201, then read back as null).
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let mut v = serde_json::to_vec(&r).unwrap();
    v.pop();
    v.extend_from_slice(format!(",\"x_deep\":{deep}}}").as_bytes());
    let (s, body) = c.push(Some(DOE_AGENT), v).await;
    assert_eq!(
        (s, body["reason"].as_str()),
        (400, Some("invalid_report")),
        "{body}"
    );
    // A long string in an unknown field: refused like a long known one.
    let (s, body) = c
        .push(
            Some(DOE_AGENT),
            with(serde_json::json!("x".repeat(100_000))),
        )
        .await;
    assert_eq!(
        (s, body["reason"].as_str()),
        (400, Some("invalid_report")),
        "{body}"
    );
    // Unknown fields within the bounds are accepted, stored and read back as sent.
    let mut nest = serde_json::json!("leaf");
    for _ in 0..20 {
        nest = serde_json::json!([nest]);
    }
    let (s, body) = c.push(Some(DOE_AGENT), with(nest.clone())).await;
    assert_eq!(s, 201, "{body}");
    let (s, v) = c
        .get(Some(DOE_VIEWER), "/api/v1/hosts/unknown-fields")
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["report"]["x_vendor"], nest, "{v}");
}
