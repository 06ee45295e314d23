//! Staleness, burn-down, projection and waiver expiry with the injectable clock
//! (`HARDLINE_NOW`, a test hook that freezes the collector's clock).

use crate::util::*;
use hardline_agent::report::{Severity::*, Status::*};

const DAY: i64 = 86400;
const HOUR: i64 = 3600;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn projection_follows_the_daily_noncompliant_counts() {
    let env = Env::new(Setup::default());
    let t0 = START + 3 * DAY + 12 * HOUR;
    // 10 DOE hosts; each day 2 more are fixed: 10, 8, 6, 4, 2 noncompliant → zero on day 5.
    // DOJ stays flat at 1 noncompliant: no projection.
    for d in 0..5i64 {
        let now = t0 + d * DAY;
        let mut c = env.start_at(Some(now));
        for h in 0..10i64 {
            let st = if h < 10 - 2 * d { Fail } else { Pass };
            let r = report(&format!("doe-{h}"), now - 60, &[("ssh.root", High, st)]);
            assert_eq!(c.push_report(DOE_AGENT, &r).await.0, 201);
        }
        let r = report("doj-0", now - 60, &[("ssh.root", High, Fail)]);
        assert_eq!(c.push_report(DOJ_AGENT, &r).await.0, 201);
        if d < 4 {
            c.terminate(); // graceful stop writes today's burn-down point
            continue;
        }
        let m = parse_exposition(&c.metrics().await);
        let p = sample(
            &m,
            "hardline_projected_completion_timestamp_seconds",
            &[("agency", "DOE"), ("campaign", "eo-30-day")],
        )
        .expect("DOE is trending down");
        let expected = (now + DAY) as f64; // 2 fixed per day, 2 left today
        assert!(
            (p - expected).abs() < 2.0 * HOUR as f64,
            "projected {p}, expected about {expected}"
        );
        assert_eq!(
            sample(
                &m,
                "hardline_projected_completion_timestamp_seconds",
                &[("agency", "DOJ"), ("campaign", "eo-30-day")]
            ),
            None,
            "no downward trend, no series"
        );
        let (_, v) = c.get(Some(ALL_VIEWER), "/api/v1/summary").await;
        let doe = &v["agencies"][0];
        assert_eq!(doe["name"], "DOE");
        let burn: Vec<i64> = doe["burndown"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["noncompliant"].as_i64().unwrap())
            .collect();
        assert_eq!(burn, [10, 8, 6, 4, 2], "{v}");
        assert_eq!(doe["on_track"], true);
        assert_eq!(v["campaign"]["days_left"], 23, "{v}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosts_turn_stale_after_stale_after_and_count_only_as_stale() {
    let env = Env::new(Setup::default()); // stale_after = 48h
    let t0 = START + DAY;
    let c = env.start_at(Some(t0));
    let r = report("s-1", t0, &[("ssh.root", High, Fail)]);
    assert_eq!(c.push_report(DOE_AGENT, &r).await.0, 201);
    let r = report("s-2", t0 - 47 * HOUR, &[("ssh.root", High, Pass)]);
    assert_eq!(c.push_report(DOE_AGENT, &r).await.0, 201);
    let m = parse_exposition(&c.metrics().await);
    let hosts = |m: &[Sample], s: &str| {
        sample(m, "hardline_hosts", &[("agency", "DOE"), ("state", s)]).unwrap()
    };
    assert_eq!(
        (
            hosts(&m, "compliant"),
            hosts(&m, "noncompliant"),
            hosts(&m, "stale")
        ),
        (1.0, 1.0, 0.0)
    );
    drop(c);
    // 2 hours later s-2 is 49 h old: stale; s-1 still noncompliant.
    let c = env.start_at(Some(t0 + 2 * HOUR));
    let m = parse_exposition(&c.metrics().await);
    assert_eq!(
        (
            hosts(&m, "compliant"),
            hosts(&m, "noncompliant"),
            hosts(&m, "stale")
        ),
        (0.0, 1.0, 1.0)
    );
    let (_, v) = c.get(Some(DOE_VIEWER), "/api/v1/hosts?state=stale").await;
    assert_eq!(v["hosts"][0]["id"], "s-2");
    // Rule results still describe the latest reports of all hosts.
    assert_eq!(
        sample(
            &m,
            "hardline_rule_results",
            &[
                ("agency", "DOE"),
                ("rule_id", "ssh.root"),
                ("severity", "high"),
                ("status", "pass")
            ]
        ),
        Some(1.0)
    );
    drop(c);
    // Much later both are stale; a fresh report brings one back.
    let c = env.start_at(Some(t0 + 10 * DAY));
    let r = report("s-1", t0 + 10 * DAY - 5, &[("ssh.root", High, Pass)]);
    assert_eq!(c.push_report(DOE_AGENT, &r).await.0, 201);
    let m = parse_exposition(&c.metrics().await);
    assert_eq!(
        (
            hosts(&m, "compliant"),
            hosts(&m, "noncompliant"),
            hosts(&m, "stale")
        ),
        (1.0, 0.0, 1.0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waived_fail_counts_as_compliant_until_the_waiver_expires() {
    let waivers = r#"
[[waiver]]
id = "POAM-7"
agency = "DOE"
rule_id = "ssh.root"
host = "build-*.example.gov"
justification = "legacy build farm, replaced by 2026-06-20"
approver = "J. Smith, ISSO"
expires = 2026-06-20
"#;
    let env = Env::new(Setup {
        waivers: Some(waivers.into()),
        ..Default::default()
    });
    let june20 = START + 18 * DAY; // 2026-06-20T00:00Z; the waiver holds through that day
    let c = env.start_at(Some(june20 + 23 * HOUR));
    for h in ["build-1", "web-1"] {
        let r = report(h, june20 + 22 * HOUR, &[("ssh.root", High, Fail)]);
        assert_eq!(c.push_report(DOE_AGENT, &r).await.0, 201);
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
        sample(
            &m,
            "hardline_waivers",
            &[("agency", "DOE"), ("state", "active")]
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &m,
            "hardline_waivers",
            &[("agency", "DOJ"), ("state", "active")]
        ),
        Some(0.0)
    );
    // Raw results are not rewritten by waivers.
    assert_eq!(
        sample(
            &m,
            "hardline_rule_results",
            &[
                ("agency", "DOE"),
                ("rule_id", "ssh.root"),
                ("severity", "high"),
                ("status", "fail")
            ]
        ),
        Some(2.0)
    );
    let (_, v) = c.get(Some(DOE_VIEWER), "/api/v1/hosts/build-1").await;
    assert_eq!(v["host"]["waived"][0]["waiver"], "POAM-7", "{v}");
    let (_, v) = c.get(Some(DOE_VIEWER), "/api/v1/waivers").await;
    assert_eq!(
        (
            v["waivers"][0]["state"].as_str(),
            v["waivers"][0]["failing_hosts_covered"].as_i64()
        ),
        (Some("active"), Some(1))
    );
    drop(c);
    let c = env.start_at(Some(june20 + 25 * HOUR));
    let m = parse_exposition(&c.metrics().await);
    assert_eq!(
        sample(
            &m,
            "hardline_hosts",
            &[("agency", "DOE"), ("state", "noncompliant")]
        ),
        Some(2.0)
    );
    assert_eq!(
        sample(
            &m,
            "hardline_waivers",
            &[("agency", "DOE"), ("state", "expired")]
        ),
        Some(1.0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_waivers_file() {
    let w = |glob: &str| {
        format!(
            "[[waiver]]\nagency = \"DOE\"\nrule_id = \"ssh.root\"\nhost = \"{glob}\"\njustification = \"j\"\napprover = \"a\"\nexpires = 2026-12-31\n"
        )
    };
    let env = Env::new(Setup {
        waivers: Some(w("other-*")),
        ..Default::default()
    });
    let now = START + DAY;
    let c = env.start_at(Some(now));
    let r = report("build-1", now - 60, &[("ssh.root", High, Fail)]);
    assert_eq!(c.push_report(DOE_AGENT, &r).await.0, 201);
    let compliant = |m: &[Sample]| {
        sample(
            m,
            "hardline_hosts",
            &[("agency", "DOE"), ("state", "compliant")],
        )
    };
    assert_eq!(compliant(&parse_exposition(&c.metrics().await)), Some(0.0));
    // An invalid file is refused and the old waivers stay.
    std::fs::write(env.path().join("waivers.toml"), "[[waiver]]\nbogus = 1\n").unwrap();
    std::process::Command::new("kill")
        .args(["-HUP", &c.child.id().to_string()])
        .status()
        .unwrap();
    std::fs::write(env.path().join("waivers.toml"), w("build-*")).unwrap();
    std::process::Command::new("kill")
        .args(["-HUP", &c.child.id().to_string()])
        .status()
        .unwrap();
    let mut ok = false;
    for _ in 0..100 {
        if compliant(&parse_exposition(&c.metrics().await)) == Some(1.0) {
            ok = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(ok, "the reloaded waiver did not apply");
}
