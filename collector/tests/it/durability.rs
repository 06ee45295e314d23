use crate::util::*;
use hardline_agent::report::{Severity::*, Status::*};
use hardline_collector::agg::Compact;
use hardline_collector::agg::{sev_from, worst};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_concurrent_load_loses_no_acknowledged_report() {
    let env = Env::new(Setup::default());
    let mut c = env.start();
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let t0 = now() - 600;
    let mut tasks = Vec::new();
    for w in 0..8 {
        let client = c.client.clone();
        let url = format!("{}/api/v1/reports", c.ingest);
        let acked = acked.clone();
        tasks.push(tokio::spawn(async move {
            let token = if w % 2 == 0 { DOE_AGENT } else { DOJ_AGENT };
            for i in 0..40 {
                // 5 hosts per worker, reporting repeatedly with varying results.
                let host = format!("w{w}-h{}", i % 5);
                let st = if (i + w) % 3 == 0 { Fail } else { Pass };
                let r = report(
                    &host,
                    t0 + i as i64,
                    &[
                        ("ssh.root", High, st),
                        ("tls.v", Medium, Pass),
                        ("fs.x", Low, Fail),
                    ],
                );
                let resp = client.post(&url).bearer_auth(token).json(&r).send().await;
                match resp {
                    Ok(resp) if resp.status().is_success() => {
                        acked.lock().unwrap().push(r.report_id.to_string())
                    }
                    Ok(resp) => panic!("unexpected status {}", resp.status()),
                    Err(_) => return, // the collector is gone
                }
            }
        }));
    }
    // Kill -9 in the middle of the load.
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        if acked.lock().unwrap().len() >= 80 {
            break;
        }
    }
    c.kill9();
    for t in tasks {
        t.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 80);

    let c = env.start();
    let db = env.db_path();
    let conn =
        rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    for id in &acked {
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM reports WHERE report_id = ?1",
                [id],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1, "acknowledged report {id} lost");
    }
    // Recompute the metrics from the store and compare with the restarted collector's.
    let rules: HashMap<u32, String> = conn
        .prepare("SELECT idx, rule_id FROM rules")
        .unwrap()
        .query_map([], |r| Ok((r.get::<_, u32>(0)?, r.get::<_, String>(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut hosts: HashMap<(String, &str), f64> = HashMap::new();
    let mut rule_results: HashMap<(String, String, String, String), f64> = HashMap::new();
    let mut stmt = conn.prepare("SELECT agency, results FROM hosts").unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
        })
        .unwrap();
    for row in rows {
        let (agency, blob) = row.unwrap();
        let compact = Compact::decode(&blob);
        let noncompliant = compact
            .iter()
            .any(|c| sev_from(c.sev) >= Medium && matches!(worst(c.bits), Fail | Error));
        *hosts
            .entry((
                agency.clone(),
                if noncompliant {
                    "noncompliant"
                } else {
                    "compliant"
                },
            ))
            .or_default() += 1.0;
        for cp in compact {
            *rule_results
                .entry((
                    agency.clone(),
                    rules[&cp.rule].clone(),
                    sev_from(cp.sev).to_string(),
                    worst(cp.bits).to_string(),
                ))
                .or_default() += 1.0;
        }
    }
    let m = parse_exposition(&c.metrics().await);
    for a in ["DOE", "DOJ"] {
        for s in ["compliant", "noncompliant"] {
            assert_eq!(
                sample(&m, "hardline_hosts", &[("agency", a), ("state", s)]).unwrap(),
                hosts.get(&(a.to_string(), s)).copied().unwrap_or(0.0),
                "{a} {s}"
            );
        }
        let received: i64 = conn
            .query_row("SELECT count(*) FROM reports WHERE agency = ?1", [a], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(
            sample(&m, "hardline_reports_received_total", &[("agency", a)]),
            Some(received as f64)
        );
    }
    for ((a, r, sev, st), n) in &rule_results {
        assert_eq!(
            sample(
                &m,
                "hardline_rule_results",
                &[
                    ("agency", a),
                    ("rule_id", r),
                    ("severity", sev),
                    ("status", st)
                ]
            ),
            Some(*n),
            "{a} {r} {st}"
        );
    }
    let series = m
        .iter()
        .filter(|s| s.0 == "hardline_rule_results" && s.2 > 0.0)
        .count();
    assert_eq!(series, rule_results.len());
}
