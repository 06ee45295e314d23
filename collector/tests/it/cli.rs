use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hardline-collector"))
}

#[test]
fn hash_token_prints_sha256_hex() {
    use std::io::Write;
    let mut child = bin()
        .arg("hash-token")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"abc\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n"
    );
}

#[test]
fn bad_config_exits_2_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(
        &path,
        "listen = \"127.0.0.1:0\"\nread_listen = \"127.0.0.1:0\"\ndata_dir = \"d\"\nbogus = 1\n",
    )
    .unwrap();
    let out = bin()
        .arg("serve")
        .arg("--config")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{}:4: unknown field `bogus`", path.display())),
        "{err}"
    );

    // Plain HTTP on a non-loopback address is refused.
    let env = crate::util::Env::new(crate::util::Setup {
        tls: false,
        ..Default::default()
    });
    let text = std::fs::read_to_string(env.config_path()).unwrap().replace(
        "listen = \"127.0.0.1:0\"\nread",
        "listen = \"0.0.0.0:0\"\nread",
    );
    std::fs::write(env.config_path(), text).unwrap();
    let out = bin()
        .arg("serve")
        .arg("--config")
        .arg(env.config_path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(":1: 0.0.0.0:0 is not a loopback address"),
        "{err}"
    );
}

/// Issue 16: `Type=notify` readiness. The collector sends `READY=1` to `$NOTIFY_SOCKET` once
/// it listens, and `/healthz` answers by then (what the README walkthrough polls).
#[test]
fn serve_notifies_systemd_readiness_and_healthz_answers() {
    use crate::util::{Env, Setup};
    use std::io::{BufRead, BufReader, Read, Write};
    use std::os::unix::net::UnixDatagram;
    let env = Env::new(Setup {
        tls: false,
        ..Setup::default()
    });
    let sock_path = env.path().join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    // A bound on a hang, not a timing assertion.
    sock.set_read_timeout(Some(std::time::Duration::from_secs(120)))
        .unwrap();
    let mut child = bin()
        .arg("serve")
        .arg("--config")
        .arg(env.config_path())
        .env("NOTIFY_SOCKET", &sock_path)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut buf = [0u8; 256];
    let n = sock.recv(&mut buf);
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let read_url = (0..2)
        .filter_map(|_| lines.next().and_then(|l| l.ok()))
        .find(|l| l.contains(" read listening on "))
        .map(|l| l.rsplit(' ').next().unwrap().to_string());
    let healthz = read_url.as_deref().map(|url| {
        let addr = url.trim_start_matches("http://");
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        write!(
            s,
            "GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut r = String::new();
        s.read_to_string(&mut r).unwrap();
        r
    });
    let _ = child.kill();
    let _ = child.wait();
    let n = n.expect("no readiness datagram on NOTIFY_SOCKET");
    let msg = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(msg.lines().any(|l| l == "READY=1"), "{msg:?}");
    let healthz = healthz.expect("no read listener line on stdout");
    assert!(healthz.starts_with("HTTP/1.1 200"), "{healthz}");
}
