//! Fixture matrix (`tests/fixtures/sshd/<case>/etc/ssh/...`), defaults, messages and
//! the parser fuzz target.

use super::*;
use crate::report::Status;
use crate::testutil::{fixture, tool_available};
use proptest::prelude::*;

fn params(yaml: &str) -> Params {
    serde_saphyr::from_str(yaml).unwrap()
}

fn run(case: &str, yaml: &str) -> Outcome {
    let host = Host::new(fixture(&format!("sshd/{case}")));
    evaluate(&params(yaml), &host)
}

const ROOT_NO: &str = "{keyword: PermitRootLogin, expect: {op: eq, value: \"no\"}}";
const TRIES_LE_4: &str = "{keyword: MaxAuthTries, expect: {op: le, value: 4}}";
const X11_NO: &str = "{keyword: X11Forwarding, expect: {op: eq, value: \"no\"}}";
const ALIVE: &str = "{keyword: ClientAliveInterval, expect: {op: range, value: [1, 600]}}";
const CIPHERS: &str = "{keyword: Ciphers, expect: {op: subset, value: [aes128-ctr, aes192-ctr, aes256-ctr, aes128-gcm@openssh.com, aes256-gcm@openssh.com]}}";
const MACS: &str = "{keyword: MACs, expect: {op: subset, value: [hmac-sha2-256, hmac-sha2-512, hmac-sha2-256-etm@openssh.com, hmac-sha2-512-etm@openssh.com]}}";

#[test]
fn correct_values_in_every_spelling_pass() {
    for p in [ROOT_NO, TRIES_LE_4, X11_NO, ALIVE] {
        let o = run("correct", p);
        assert_eq!(o.status, Status::Pass, "{p}: {}", o.message);
        assert!(o.message.contains("/etc/ssh/sshd_config:"), "{}", o.message);
        assert!(
            o.message.contains("no Match block sets it"),
            "{}",
            o.message
        );
    }
    let o = run(
        "correct",
        "{keyword: Banner, expect: {op: ne, value: none}}",
    );
    assert_eq!(o.status, Status::Pass);
    assert_eq!(o.evidence[0].observed.as_deref(), Some("/etc/issue.net"));
}

#[test]
fn commented_out_setting_falls_back_to_the_default() {
    let o = run("commented", ROOT_NO);
    assert_eq!(o.status, Status::Fail);
    assert!(
        o.message.contains("prohibit-password (default)"),
        "{}",
        o.message
    );
    assert_eq!(o.evidence[0].line, None);
    assert_eq!(
        o.evidence[0].observed.as_deref(),
        Some("prohibit-password (default)")
    );
}

#[test]
fn missing_keys_take_openssh_defaults() {
    let o = run("missing_key", TRIES_LE_4);
    assert_eq!(o.status, Status::Fail);
    assert!(
        o.message.contains("MaxAuthTries is 6 (default)"),
        "{}",
        o.message
    );
    assert_eq!(run("missing_key", X11_NO).status, Status::Pass);
    assert_eq!(run("missing_key", ALIVE).status, Status::Fail);
    let o = run(
        "missing_key",
        "{keyword: PermitEmptyPasswords, expect: {op: eq, value: \"no\"}}",
    );
    assert_eq!(o.status, Status::Pass);
}

#[test]
fn wrong_value_fails_with_file_and_line() {
    let o = run("wrong_value", ROOT_NO);
    assert_eq!(o.status, Status::Fail);
    assert!(
        o.message
            .starts_with("PermitRootLogin is yes at /etc/ssh/sshd_config:2, expected no"),
        "{}",
        o.message
    );
    assert_eq!(o.evidence[0].path.as_deref(), Some("/etc/ssh/sshd_config"));
    assert_eq!(o.evidence[0].line, Some(2));
    assert_eq!(o.evidence[0].observed.as_deref(), Some("yes"));
    assert_eq!(o.evidence[0].expected.as_deref(), Some("no"));
}

#[test]
fn first_value_wins_but_maxstartups_takes_the_last() {
    let o = run("duplicate", ROOT_NO);
    assert_eq!(o.status, Status::Pass, "{}", o.message);
    assert_eq!(o.evidence[0].line, Some(2));
    assert_eq!(run("duplicate", TRIES_LE_4).status, Status::Pass);
    let o = run(
        "duplicate",
        "{keyword: MaxStartups, field: full, expect: {op: le, value: 60}}",
    );
    assert_eq!(o.status, Status::Pass, "{}", o.message);
    assert_eq!(o.evidence[0].line, Some(8));
}

#[test]
fn drop_in_read_first_wins_over_the_main_file() {
    let o = run("dropin_conflict", ROOT_NO);
    assert_eq!(o.status, Status::Fail);
    assert!(
        o.message
            .contains("/etc/ssh/sshd_config.d/50-cloud-init.conf:1"),
        "{}",
        o.message
    );
    assert_eq!(run("dropin_conflict", X11_NO).status, Status::Pass);
}

#[test]
fn includes_nest_resolve_relative_paths_and_sort_bytewise() {
    let o = run("multi_include", TRIES_LE_4);
    assert_eq!(o.status, Status::Pass, "{}", o.message);
    assert_eq!(
        o.evidence[0].path.as_deref(),
        Some("/etc/ssh/conf.d/nested.conf")
    );
    // 20-b.conf sorts before 9-c.conf: 10m (600 s) wins over 700.
    let o = run("multi_include", ALIVE);
    assert_eq!(o.status, Status::Pass, "{}", o.message);
    assert_eq!(
        o.evidence[0].path.as_deref(),
        Some("/etc/ssh/sshd_config.d/20-b.conf")
    );
    assert_eq!(o.evidence[0].observed.as_deref(), Some("600"));
    // .hidden.conf and notes.txt are not matched by *.conf.
    assert_eq!(run("multi_include", ROOT_NO).status, Status::Pass);
}

#[test]
fn a_weaker_match_block_fails_and_is_named() {
    let o = run("match_override", X11_NO);
    assert_eq!(o.status, Status::Fail);
    assert!(
        o.message.contains(
            "X11Forwarding is yes at /etc/ssh/sshd_config:6 in Match User backup (/etc/ssh/sshd_config:5), expected no"
        ),
        "{}",
        o.message
    );
    assert!(o
        .message
        .contains("global value is no at /etc/ssh/sshd_config:2"));
    assert_eq!(
        o.evidence[1].context.as_deref(),
        Some("Match User backup (/etc/ssh/sshd_config:5)")
    );
    // An Include inside a Match block belongs to that block.
    let o = run("match_override", ROOT_NO);
    assert_eq!(o.status, Status::Fail);
    assert!(
        o.message.contains(
            "at /etc/ssh/match.d/deploy.conf:2 in Match Address 10.0.0.0/8 (/etc/ssh/sshd_config:9)"
        ),
        "{}",
        o.message
    );
    // All values comply: the message names the weakest one.
    let o = run("match_override", TRIES_LE_4);
    assert_eq!(o.status, Status::Pass, "{}", o.message);
    assert!(
        o.message
            .contains("weakest Match value 4 at /etc/ssh/sshd_config:10"),
        "{}",
        o.message
    );
    assert_eq!(o.evidence.len(), 3);
}

#[test]
fn match_all_overrides_the_global_lines() {
    let o = run("match_all", ROOT_NO);
    assert_eq!(o.status, Status::Fail);
    assert!(
        o.message
            .contains("PermitRootLogin is yes at /etc/ssh/sshd_config:6 in Match all"),
        "{}",
        o.message
    );
    assert_eq!(run("match_all", TRIES_LE_4).status, Status::Pass);
}

#[test]
fn match_all_alone_is_not_reported_as_no_match_block() {
    // The value comes from `Match all`; no other block sets it.
    let host = Host::new(fixture("sshd/no_config"));
    let cfg = parser::parse_str(
        &host,
        "/etc/ssh/sshd_config",
        "Match all\n\tPermitRootLogin yes\n",
    )
    .unwrap();
    let o = evaluate_config(&params(ROOT_NO), &cfg);
    assert_eq!(o.status, Status::Fail);
    assert!(
        o.message.ends_with(
            "in Match all (/etc/ssh/sshd_config:1), expected no; no other Match block sets it"
        ),
        "{}",
        o.message
    );
}

#[test]
fn algorithm_modifiers_apply_to_the_default_list() {
    let o = run("modifiers", CIPHERS);
    assert_eq!(o.status, Status::Pass, "{}", o.message);
    assert_eq!(
        o.evidence[0].observed.as_deref(),
        Some("aes128-ctr,aes192-ctr,aes256-ctr")
    );
    let o = run("modifiers", MACS);
    assert_eq!(o.status, Status::Fail);
    assert!(
        o.message.contains("hmac-sha1-96 (not allowed) at"),
        "{}",
        o.message
    );
    assert!(
        o.message
            .contains("MACs is a list with umac-64-etm@openssh.com,"),
        "{}",
        o.message
    );
    let o = run(
        "modifiers",
        "{keyword: KexAlgorithms, expect: {op: subset, value: [curve25519-sha256, sntrup761x25519-sha512, sntrup761x25519-sha512@openssh.com, curve25519-sha256@libssh.org, ecdh-sha2-nistp256, ecdh-sha2-nistp384, ecdh-sha2-nistp521, diffie-hellman-group-exchange-sha256, diffie-hellman-group16-sha512, diffie-hellman-group18-sha512, diffie-hellman-group14-sha256]}}",
    );
    assert_eq!(o.status, Status::Fail);
    assert!(
        o.evidence[0]
            .observed
            .as_deref()
            .unwrap()
            .starts_with("diffie-hellman-group1-sha1,sntrup761x25519-sha512,"),
        "{:?}",
        o.evidence[0]
    );
    let no_sha1 = "{keyword: HostKeyAlgorithms, expect: {op: not_regex, value: '(^|,)(ssh-rsa|ssh-dss)(,|$)'}}";
    let o = run("modifiers", no_sha1);
    assert_eq!(o.status, Status::Pass, "{}", o.message);
    assert_eq!(
        o.evidence[0].observed.as_deref(),
        Some("ssh-ed25519,ssh-ed25519-cert-v01@openssh.com,rsa-sha2-256,rsa-sha2-256-cert-v01@openssh.com,rsa-sha2-512,rsa-sha2-512-cert-v01@openssh.com")
    );
    let o = run(
        "modifiers",
        &no_sha1.replace("HostKeyAlgorithms", "PubkeyAcceptedAlgorithms"),
    );
    assert_eq!(o.status, Status::Fail);
    assert!(o.message.ends_with(",ssh-rsa at /etc/ssh/sshd_config:9, expected not matching /(^|,)(ssh-rsa|ssh-dss)(,|$)/; no Match block sets it"), "{}", o.message);
    assert_eq!(run("modifiers_ok", CIPHERS).status, Status::Pass);
    let o = run("modifiers_ok", MACS);
    assert_eq!(o.status, Status::Pass, "{}", o.message);
}

#[test]
fn time_values_compare_in_seconds() {
    let grace = "{keyword: LoginGraceTime, expect: {op: range, value: [1, 60]}}";
    assert_eq!(run("time_formats", grace).status, Status::Pass);
    let o = run("time_formats", ALIVE);
    assert_eq!(o.status, Status::Fail);
    assert!(o.message.contains("5400 seconds"), "{}", o.message);
    assert_eq!(run("time_formats_ok", grace).status, Status::Pass);
    assert_eq!(run("time_formats_ok", ALIVE).status, Status::Pass);
}

#[test]
fn broken_configurations_are_errors_not_passes() {
    for (case, needle) in [
        ("include_loop", "nesting limit of 16"),
        (
            "garbage_keyword",
            "/etc/ssh/sshd_config:2: Bad configuration option: Frobnicate",
        ),
        (
            "bad_value",
            "/etc/ssh/sshd_config:2: MaxAuthTries integer value invalid",
        ),
        (
            "bad_value_in_dropin",
            "/etc/ssh/sshd_config.d/10-bad.conf:1: unsupported option \"maybe\"",
        ),
        (
            "global_in_match",
            "Directive 'Ciphers' is not allowed within a Match block",
        ),
    ] {
        let o = run(case, ROOT_NO);
        assert_eq!(o.status, Status::Error, "{case}: {}", o.message);
        assert!(o.message.contains(needle), "{case}: {}", o.message);
        assert!(o.evidence[0].path.is_some());
    }
}

#[test]
fn missing_main_file_is_not_applicable() {
    let o = run("no_config", ROOT_NO);
    assert_eq!(o.status, Status::NotApplicable);
    assert!(o.message.contains("sshd_config not found"), "{}", o.message);
}

#[test]
fn unreadable_inputs_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let ssh = dir.path().join("etc/ssh");
    std::fs::create_dir_all(ssh.join("sshd_config")).unwrap();
    let host = Host::new(dir.path());
    let o = evaluate(&params(ROOT_NO), &host);
    assert_eq!(o.status, Status::Error, "{}", o.message);

    let dir = tempfile::tempdir().unwrap();
    let ssh = dir.path().join("etc/ssh");
    std::fs::create_dir_all(&ssh).unwrap();
    std::fs::write(ssh.join("sshd_config"), "PermitRootLogin no\0\n").unwrap();
    let o = evaluate(&params(ROOT_NO), &Host::new(dir.path()));
    assert_eq!(o.status, Status::Error);
    assert!(o.message.contains("NUL"), "{}", o.message);

    // An included symbolic link that points nowhere: sshd cannot open it either.
    let dir = tempfile::tempdir().unwrap();
    let ssh = dir.path().join("etc/ssh");
    std::fs::create_dir_all(ssh.join("sshd_config.d")).unwrap();
    std::fs::write(ssh.join("sshd_config"), "Include sshd_config.d/*.conf\n").unwrap();
    std::os::unix::fs::symlink("/nowhere", ssh.join("sshd_config.d/a.conf")).unwrap();
    let o = evaluate(&params(ROOT_NO), &Host::new(dir.path()));
    assert_eq!(o.status, Status::Error);
    assert!(o.message.contains("a.conf"), "{}", o.message);
}

#[test]
fn the_file_is_parsed_once_per_scan() {
    let host = Host::new(fixture("sshd/correct"));
    let first = host.cached("sshd", || parser::parse(&host, MAIN_CONFIG));
    let _ = evaluate(&params(ROOT_NO), &host);
    let again = host.cached("sshd", || Parsed::Missing);
    assert!(std::rc::Rc::ptr_eq(&first, &again));
}

#[test]
fn params_are_validated_at_load_time() {
    let err = |y: &str| serde_saphyr::from_str::<Params>(y).unwrap_err().to_string();
    assert!(err("{keyword: PermitRootLogn, expect: {op: eq, value: x}}")
        .contains("unsupported sshd keyword"));
    assert!(
        err("{keyword: MaxAuthTries, field: full, expect: {op: le, value: 4}}")
            .contains("only applies to MaxStartups")
    );
    assert!(
        err("{keyword: MaxAuthTries, expect: {op: le, value: 4}, extra: 1}")
            .contains("unknown field")
    );
    let p = params("{keyword: challengeresponseauthentication, expect: {op: eq, value: \"no\"}}");
    assert_eq!(p.keyword.name(), "KbdInteractiveAuthentication");
}

#[test]
fn permit_user_environment_pattern_lists_are_not_flags() {
    let dir = tempfile::tempdir().unwrap();
    let ssh = dir.path().join("etc/ssh");
    std::fs::create_dir_all(&ssh).unwrap();
    std::fs::write(ssh.join("sshd_config"), "PermitUserEnvironment No\n").unwrap();
    let o = evaluate(
        &params("{keyword: PermitUserEnvironment, expect: {op: eq, value: \"no\"}}"),
        &Host::new(dir.path()),
    );
    assert_eq!(o.status, Status::Fail, "{}", o.message);
}

#[test]
fn defaults_match_sshd_t() {
    // The default table against the real sshd on this machine (empty configuration).
    if !tool_available("/usr/sbin/sshd") {
        return;
    }
    std::fs::create_dir_all("/run/sshd").ok();
    let dir = tempfile::tempdir().unwrap();
    let hk = dir.path().join("hk");
    let ok = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", ""])
        .arg("-f")
        .arg(&hk)
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "").unwrap();
    let out = std::process::Command::new("/usr/sbin/sshd")
        .arg("-T")
        .arg("-f")
        .arg(&empty)
        .arg("-h")
        .arg(&hk)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for kw in Kw::ALL {
        let name = kw.name().to_ascii_lowercase();
        let line = text
            .lines()
            .find(|l| l.split(' ').next() == Some(name.as_str()))
            .unwrap_or_else(|| panic!("sshd -T has no {name}"));
        let theirs = line.split_once(' ').unwrap().1;
        let theirs = if theirs == "without-password" {
            "prohibit-password"
        } else {
            theirs
        };
        assert_eq!(kw.default_value(), theirs, "{name}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary text never panics or hangs the parser.
    #[test]
    fn parser_survives_arbitrary_text(text in "\\PC{0,400}") {
        let dir = tempfile::tempdir().unwrap();
        let host = Host::new(dir.path());
        let _ = parser::parse_str(&host, "/etc/ssh/sshd_config", &text);
    }

    /// Lines built from sshd's own vocabulary (keywords, quotes, `=`, Match, Include)
    /// never panic either, and every outcome is pass, fail or error.
    #[test]
    fn parser_survives_config_like_text(
        lines in proptest::collection::vec(
            (
                prop::sample::select(vec!["PermitRootLogin", "maxauthtries", "Ciphers", "MACs", "Match", "Include", "ClientAliveInterval", "MaxStartups", "LogLevel", "Banner", "#", "PermitUserEnvironment", "X11Forwarding", "bogus", ""]),
                prop::sample::select(vec![" ", "=", " = ", "\t", "\"", ""]),
                "[ -~]{0,30}",
            ),
            0..20,
        )
    ) {
        let text: String = lines.iter().map(|(k, s, v)| format!("{k}{s}{v}\n")).collect();
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc/ssh")).unwrap();
        std::fs::write(dir.path().join("etc/ssh/sshd_config"), &text).unwrap();
        let host = Host::new(dir.path());
        let o = evaluate(&params(TRIES_LE_4), &host);
        prop_assert!(o.status != Status::NotApplicable);
    }
}

#[test]
fn removing_every_algorithm_is_an_error_for_that_keyword_only() {
    let dir = tempfile::tempdir().unwrap();
    let ssh = dir.path().join("etc/ssh");
    std::fs::create_dir_all(&ssh).unwrap();
    std::fs::write(ssh.join("sshd_config"), "PermitRootLogin no\nCiphers -*\n").unwrap();
    let host = Host::new(dir.path());
    let o = evaluate(&params(CIPHERS), &host);
    assert_eq!(o.status, Status::Error, "{}", o.message);
    assert!(
        o.message.contains("/etc/ssh/sshd_config:2"),
        "{}",
        o.message
    );
    assert_eq!(evaluate(&params(ROOT_NO), &host).status, Status::Pass);
}
