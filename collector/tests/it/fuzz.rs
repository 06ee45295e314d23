//! Fuzz target for report validation (proptest, on stable): arbitrary bytes, arbitrary
//! JSON and mutated valid reports go through the real ingest route in-process; each is
//! refused cleanly (a JSON refusal, no panic) and nothing refused is ever stored.

use crate::util::*;
use hardline_collector::{api, config::Config, App, Clock};
use proptest::prelude::*;
use std::sync::{Arc, OnceLock};
use tower::ServiceExt;

struct Fixture {
    _dir: tempfile::TempDir,
    app: Arc<App>,
    rt: tokio::runtime::Runtime,
    db: std::path::PathBuf,
}

const NOW: i64 = START + 86400;

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "listen = \"127.0.0.1:0\"\nread_listen = \"127.0.0.1:0\"\ndata_dir = \"data\"\n[limits]\nmax_body_bytes = 65536\n\
             [campaign]\nname = \"c\"\nstart = \"2026-06-02T00:00:00Z\"\ndays = 30\n\
             [[agency]]\nname = \"DOE\"\ntokens = [{{ role = \"agent\", sha256 = \"{}\" }}]\n",
            hash(DOE_AGENT)
        );
        let path = dir.path().join("c.toml");
        std::fs::write(&path, &text).unwrap();
        let config = Config::load(&path).unwrap();
        let (app, _writer) = App::open(config, Clock::fixed(NOW)).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let db = dir.path().join("data/hardline.db");
        Fixture { _dir: dir, app, rt, db }
    })
}

fn post(body: Vec<u8>) -> (u16, serde_json::Value) {
    let f = fixture();
    let router = api::ingest_router(f.app.clone());
    f.rt.block_on(async move {
        let req = axum::http::Request::post("/api/v1/reports")
            .header("authorization", format!("Bearer {DOE_AGENT}"))
            .body(axum::body::Body::from(body))
            .unwrap();
        let resp = router.oneshot(req).await.unwrap();
        let status = resp.status().as_u16();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        )
    })
}

fn stored() -> i64 {
    count_rows(&fixture().db, "SELECT count(*) FROM reports")
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(serde_json::Value::from),
        "[a-z_.:0-9 -]{0,12}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("schema_version".to_string()),
                    Just("report_id".to_string()),
                    Just("host".to_string()),
                    Just("results".to_string()),
                    Just("summary".to_string()),
                    "[a-z_]{1,8}"
                ],
                inner,
                0..6
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

fn assert_refused(status: u16, v: &serde_json::Value) {
    assert!(status == 400 || status == 413, "status {status}: {v}");
    assert!(v["reason"].is_string() && v["error"].is_string(), "{v}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_are_refused(body in prop::collection::vec(any::<u8>(), 0..2048)) {
        let before = stored();
        let (s, v) = post(body);
        assert_refused(s, &v);
        prop_assert_eq!(stored(), before);
    }

    #[test]
    fn arbitrary_json_is_refused(v in json_value()) {
        let before = stored();
        let (s, resp) = post(serde_json::to_vec(&v).unwrap());
        assert_refused(s, &resp);
        prop_assert_eq!(stored(), before);
    }

    #[test]
    fn mutated_reports_are_stored_only_when_valid(
        field in prop_oneof![
            Just("schema_version"), Just("report_id"), Just("host"), Just("started_at"),
            Just("finished_at"), Just("summary"), Just("results"), Just("agent"), Just("policy")
        ],
        value in json_value(),
        seed in any::<u32>(),
    ) {
        use hardline_agent::report::{Severity::*, Status::*};
        let r = report(&format!("fz-{seed}"), NOW - 100, &[("ssh.root", High, Fail), ("tls.v", Low, Pass)]);
        let mut j = serde_json::to_value(&r).unwrap();
        j[field] = value;
        let before = stored();
        let (s, resp) = post(serde_json::to_vec(&j).unwrap());
        if s == 201 {
            // Only a still-valid report may be stored.
            let parsed: hardline_agent::report::Report = serde_json::from_value(j).unwrap();
            hardline_collector::validate::validate(&parsed, &Default::default(), NOW).unwrap();
            prop_assert_eq!(stored(), before + 1);
        } else {
            assert_refused(s, &resp);
            prop_assert_eq!(stored(), before);
        }
    }
}
