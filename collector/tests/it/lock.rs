//! Issue 15, item 5: one collector per data directory, and a store that never lets one
//! agency's report overwrite another agency's host.

use crate::util::*;
use hardline_agent::report::{Severity::*, Status::*};
use std::process::Command;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_collector_on_the_same_data_dir_refuses_to_start() {
    let env = Env::new(Setup::default());
    let c = env.start();
    let mut second = Command::new(env!("CARGO_BIN_EXE_hardline-collector"))
        .arg("serve")
        .arg("--config")
        .arg(env.config_path())
        .env("RUST_LOG", "off")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // It must exit by itself (a collector that starts runs until killed).
    let mut exited = false;
    for _ in 0..600 {
        if second.try_wait().unwrap().is_some() {
            exited = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    if !exited {
        let _ = second.kill();
    }
    let o = second.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(exited, "a second collector started on the same data_dir");
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("in use by another hardline-collector") && err.contains("hardline.lock"),
        "{err}"
    );
    assert!(!String::from_utf8_lossy(&o.stdout).contains("listening"));
    // The first one still works; once it is gone, the directory can be opened again.
    let r = report("h-lock", now() - 60, &[("ssh.root", High, Pass)]);
    assert_eq!(c.push_report(DOE_AGENT, &r).await.0, 201);
    drop(c);
    let c = env.start();
    assert_eq!(c.push_report(DOE_AGENT, &r).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_refuses_a_cross_agency_overwrite_of_a_host_the_aggregates_do_not_hold() {
    let env = Env::new(Setup::default());
    let t = now() - 600;
    let mut c = env.start();
    let doj = report("shared-id", t, &[("ssh.root", High, Pass)]);
    assert_eq!(c.push_report(DOJ_AGENT, &doj).await.0, 201);
    c.terminate();
    // DOJ is no longer configured: its hosts stay in the store but not in memory, so only
    // the store itself can see that the host id is DOJ's.
    let text = std::fs::read_to_string(env.config_path()).unwrap();
    let i = text.find("[[agency]]\nname = \"DOJ\"").unwrap();
    std::fs::write(env.config_path(), &text[..i]).unwrap();
    let c = env.start();
    let doe = report("shared-id", t + 60, &[("ssh.root", High, Fail)]);
    let (status, v) = c.push_report(DOE_AGENT, &doe).await;
    assert_eq!(status, 403, "{v}");
    assert_eq!(v["reason"], "host_owned_by_other_agency");
    let owner: String = rusqlite::Connection::open(env.db_path())
        .unwrap()
        .query_row(
            "SELECT agency || ' ' || report_id FROM hosts WHERE host_id = 'shared-id'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(owner, format!("DOJ {}", doj.report_id));
    assert_eq!(
        count_rows(
            &env.db_path(),
            &format!(
                "SELECT count(*) FROM reports WHERE report_id = '{}'",
                doe.report_id
            )
        ),
        0
    );
}
