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
