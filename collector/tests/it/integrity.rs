//! Issue 15, item 8: a damaged store is found before the collector listens (naming the
//! table), and `/healthz` fails while the store cannot write.

use crate::util::*;
use hardline_agent::report::{Severity::*, Status::*};
use std::io::{Seek, SeekFrom, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Run `serve` on `env` to its exit (it must exit by itself) and return (code, stderr).
fn serve_to_exit(env: &Env) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hardline-collector"))
        .arg("serve")
        .arg("--config")
        .arg(env.config_path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..1200 {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let o = child.wait_with_output().unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_table_stops_the_start_and_is_named() {
    let env = Env::new(Setup::default());
    let mut c = env.start();
    let t = now();
    for i in 0..40 {
        let r = report(
            &format!("host-{i:02}"),
            t - 100 + i,
            &[("sshd.permit_root_login", High, Fail), ("x.y", Low, Pass)],
        );
        assert_eq!(c.push_report(DOE_AGENT, &r).await.0, 201);
    }
    c.terminate();
    // The collector closed its connections: the WAL is checkpointed into hardline.db.
    let (root, page_size): (i64, i64) = {
        let db = rusqlite::Connection::open(env.db_path()).unwrap();
        let root = db
            .query_row(
                "SELECT rootpage FROM sqlite_schema WHERE name = 'reports'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let ps = db
            .pragma_query_value(None, "page_size", |r| r.get(0))
            .unwrap();
        (root, ps)
    };
    assert!(
        !env.path().join("data/hardline.db-wal").exists()
            || std::fs::metadata(env.path().join("data/hardline.db-wal"))
                .unwrap()
                .len()
                == 0,
        "the WAL still holds pages: the damage below would not be read"
    );
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(env.db_path())
        .unwrap();
    f.seek(SeekFrom::Start(((root - 1) * page_size) as u64))
        .unwrap();
    f.write_all(&vec![0xA5; page_size as usize]).unwrap();
    f.sync_all().unwrap();
    drop(f);

    let (code, stderr) = serve_to_exit(&env);
    assert_eq!(code, Some(1), "stderr: {stderr}");
    assert!(
        stderr.contains("is damaged in reports") && stderr.contains("Recovery"),
        "stderr: {stderr}"
    );

    // With the check turned off the damage is still there, but the operator chose that.
    let cfg = std::fs::read_to_string(env.config_path()).unwrap();
    std::fs::write(
        env.config_path(),
        format!("integrity_check_timeout = \"0s\"\n{cfg}"),
    )
    .unwrap();
    let c = env.start();
    drop(c);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_fails_while_the_store_cannot_write() {
    let env = Env::new(Setup::default());
    let c = env.start();
    let t = now();
    let r = report("host-a", t - 10, &[("x.y", Low, Pass)]);
    assert_eq!(c.push_report(DOE_AGENT, &r).await.0, 201);
    let (s, body) = c.get(None, "/healthz").await;
    assert_eq!((s, body.as_str()), (200, Some("ok\n")));

    // Another process holds SQLite's write lock (an operator's sqlite3 in a write
    // transaction): the collector's writer gives up after its 10 s busy timeout.
    let db = rusqlite::Connection::open(env.db_path()).unwrap();
    db.execute_batch("BEGIN IMMEDIATE").unwrap();
    let r2 = report("host-b", t - 5, &[("x.y", Low, Pass)]);
    let (s, body) = c.push_report(DOE_AGENT, &r2).await;
    assert_eq!(s, 503, "{body}");
    for path in ["/healthz"] {
        let (s, body) = c.get(None, path).await;
        assert_eq!(s, 503, "{body}");
        assert_eq!(body["reason"], "unavailable", "{body}");
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("database is locked"),
            "{body}"
        );
    }
    // The ingest listener answers the same.
    let resp = c
        .client
        .get(format!("{}/healthz", c.ingest))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 503);

    db.execute_batch("ROLLBACK").unwrap();
    drop(db);
    let (s, body) = c.push_report(DOE_AGENT, &r2).await;
    assert_eq!(s, 201, "{body}");
    let (s, body) = c.get(None, "/healthz").await;
    assert_eq!((s, body.as_str()), (200, Some("ok\n")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_copies_a_running_store_and_the_copy_serves() {
    let env = Env::new(Setup::default());
    let mut c = env.start();
    let t = now();
    for i in 0..5 {
        let r = report(
            &format!("host-{i}"),
            t - 100 + i,
            &[("sshd.permit_root_login", High, Fail)],
        );
        assert_eq!(c.push_report(DOE_AGENT, &r).await.0, 201);
    }
    let out = env.path().join("backup.db");
    let run = |out: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_hardline-collector"))
            .arg("backup")
            .arg("--config")
            .arg(env.config_path())
            .arg(out)
            .output()
            .unwrap()
    };
    let o = run(&out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("integrity ok"));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // Never over an existing file.
    let o = run(&out);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("exists"));
    c.terminate();

    // Restore: the copy in place of the store, and the collector serves the same hosts.
    std::fs::remove_dir_all(env.path().join("data")).unwrap();
    std::fs::create_dir(env.path().join("data")).unwrap();
    std::fs::copy(&out, env.db_path()).unwrap();
    let c = env.start();
    let (s, body) = c.get(Some(DOE_VIEWER), "/api/v1/hosts").await;
    assert_eq!(s, 200);
    assert_eq!(body["total"], 5, "{body}");
}
