//! Network checks through the real binary against real servers on loopback: rustls TLS and
//! HTTPS servers with rcgen certificates, an in-process authoritative DNS server
//! (hickory-server) with signed and broken zones, SMTP servers with and without STARTTLS,
//! OpenSSL `s_server` accepting TLS 1.0 / weak suites (when openssl is installed), and a
//! listening socket that never answers.
//!
//! The servers live in `servers.rs`, shared with the rule walker (`rules.rs`), which proves
//! each network rule pass and fail on its own fixture. What stays here is what the walker
//! does not check: many targets in one run through the binary, timeouts and concurrency,
//! discovery, configuration errors and the other output formats (OSCAL schema).

use crate::servers::{dns, openssl, s_server, smtp_server, tls_server, Pki};
use crate::util::{agent, tool_available};
use hardline_agent::policy::Policy;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

/// The ids of the network rules of the built-in baseline (their check types are the ones
/// `net::run` evaluates per target).
fn network_rules() -> Vec<String> {
    Policy::builtin()
        .unwrap()
        .rules
        .iter()
        .filter(|r| r.check.is_network())
        .map(|r| r.id.clone())
        .collect()
}

fn result<'a>(report: &'a Value, rule: &str, target: &str) -> &'a Value {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule_id"] == rule && r["target"] == target)
        .unwrap_or_else(|| {
            let have: Vec<String> = report["results"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["rule_id"] == rule)
                .map(|r| format!("{} {}", r["target"], r["status"]))
                .collect();
            panic!("no result for {rule} on {target}; have {have:?}")
        })
}

#[track_caller]
fn expect(report: &Value, rule: &str, target: &str, status: &str, contains: &str) {
    let r = result(report, rule, target);
    let msg = r["message"].as_str().unwrap();
    assert_eq!(r["status"], status, "{rule} on {target}: {msg}");
    assert!(
        msg.contains(contains),
        "{rule} on {target}: {msg:?} should contain {contains:?}"
    );
}

fn run_json(args: &[&str]) -> (i32, Value, Duration) {
    let started = Instant::now();
    let mut all = vec!["scan", "--format", "json"];
    all.extend_from_slice(args);
    let out = agent(&all);
    let took = started.elapsed();
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "bad JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), report, took)
}

fn rule_args(root: &Path, config: &Path) -> Vec<String> {
    let mut v = vec![
        "--root".to_string(),
        root.display().to_string(),
        "--config".to_string(),
        config.display().to_string(),
    ];
    for r in network_rules() {
        v.push("--rule".to_string());
        v.push(r);
    }
    v
}

#[test]
fn network_checks_against_real_servers() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let pki = Pki::new();
    let good = pki.leaf(&["good.test"], -1, 365, false);
    let expired = pki.leaf(&["good.test"], -100, -2, false);
    let expiring = pki.leaf(&["good.test"], -1, 10, false);
    let wrong = pki.leaf(&["other.test"], -1, 365, false);
    let untrusted = pki.leaf(&["good.test"], -1, 365, true);
    let mx = pki.leaf(&["mx.good.test"], -1, 365, false);
    use dns::{a, caa_iodef, caa_issue, mx as mxr, txt, Sign, Zone};
    let zones = vec![
        Zone::new("good.test.", Sign::Yes, vec![
                ("", txt("v=spf1 include:_spf.good.test -all")),
                ("_spf", txt("v=spf1 ip4:192.0.2.0/24 a mx ~all")),
                (
                    "_dmarc",
                    txt("v=DMARC1; p=reject; rua=mailto:dmarc@good.test,MAILTO:Reports@DMARC.cyber.dhs.gov!10m"),
                ),
                ("", caa_issue("ca.good.test")),
                ("", mxr(10, "mx.good.test.")),
                ("mx", a([127, 0, 0, 1])),
                ("www", a([127, 0, 0, 1])),
            ]),
        Zone::new("bad.test.", Sign::No, vec![
                ("", txt("v=spf1 +all")),
                ("_dmarc", txt("v=DMARC1; p=none; rua=mailto:dmarc@bad.test")),
                ("", mxr(10, "mx.bad.test.")),
                ("mx", a([127, 0, 0, 1])),
            ]),
        Zone::new("many.test.", Sign::No, vec![
                ("", txt("v=spf1 a mx ptr exists:x.many.test include:i1.many.test -all")),
                ("i1", txt("v=spf1 a mx a:x.many.test mx:y.many.test include:i2.many.test ~all")),
                ("i2", txt("v=spf1 a mx -all")),
                ("_dmarc", txt("v=DMARC1; p=reject; sp=none")),
                ("", mxr(10, "mx.many.test.")),
            ]),
        Zone::new("loop.test.", Sign::No, vec![
                ("", txt("v=spf1 include:l2.loop.test -all")),
                ("l2", txt("v=spf1 include:loop.test -all")),
                ("_dmarc", txt("v=DMARC1; p=reject; pct=50; rua=mailto:reports@dmarc.cyber.dhs.gov")),
                ("", caa_iodef("mailto:security@loop.test")),
            ]),
        Zone::new("parked.test.", Sign::No, vec![
                ("", txt("v=spf1 -all")),
                ("_dmarc", txt("v=DMARC1; p=reject; rua=mailto:reports@dmarc.cyber.dhs.gov")),
            ]),
        Zone::new("parkedbad.test.", Sign::No, vec![
                ("", txt("v=spf1 ~all")),
                ("_dmarc", txt("v=DMARC1; p=reject")),
            ]),
        Zone::new("broken.test.", Sign::Broken, vec![("", txt("v=spf1 -all"))]),
    ];
    let (dns_port, anchors, ports) = rt.block_on(async {
        let (dns_port, anchors) = dns::serve(zones).await;
        let ports = [
            tls_server(
                &good,
                Some("Strict-Transport-Security: max-age=63072000; includeSubDomains\r\n".into()),
            )
            .await,
            tls_server(&good, Some("X-Frame-Options: DENY\r\n".into())).await,
            tls_server(
                &good,
                Some("Strict-Transport-Security: max-age=300\r\n".into()),
            )
            .await,
            tls_server(&expired, None).await,
            tls_server(&expiring, None).await,
            tls_server(&wrong, None).await,
            tls_server(&untrusted, None).await,
            smtp_server(&mx, true).await,
            smtp_server(&mx, false).await,
        ];
        (dns_port, anchors, ports)
    });
    let [p_good, p_nohsts, p_short, p_expired, p_expiring, p_wrong, p_untrusted, p_smtp, p_plain] =
        ports;

    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("etc/ssl/agency")).unwrap();
    std::fs::write(root.join("etc/ssl/agency/good.pem"), &good.pem).unwrap();
    std::fs::write(root.join("etc/ssl/agency/expired.pem"), &expired.pem).unwrap();
    std::fs::write(root.join("etc/ssl/agency/leaf.der"), good.chain[0].as_ref()).unwrap();
    std::fs::write(
        root.join("etc/resolv.conf"),
        "nameserver 10.0.0.53\nnameserver 8.8.8.8\n",
    )
    .unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, pki.ca.pem()).unwrap();
    let anchor_file = dir.path().join("anchors.key");
    std::fs::write(&anchor_file, &anchors).unwrap();
    let config = dir.path().join("agent.toml");
    std::fs::write(
        &config,
        format!(
            r#"
timeout = "3s"
ca_bundle = "{ca}"
dnssec_trust_anchor = "{anchor}"
allowed_resolvers = ["10.0.0.53"]
[targets]
tls = [
  "127.0.0.1:{p_good}@good.test",
  {{ address = "127.0.0.1:{p_nohsts}", sni = "good.test", https = true }},
  {{ address = "127.0.0.1:{p_short}", sni = "good.test", https = true }},
  {{ address = "127.0.0.1:{p_expired}", sni = "good.test", https = true }},
  "127.0.0.1:{p_expiring}@good.test",
  "127.0.0.1:{p_wrong}@good.test",
  "127.0.0.1:{p_untrusted}@good.test",
  {{ address = "127.0.0.1:{p_smtp}", sni = "mx.good.test", starttls = "smtp" }},
  "127.0.0.1:1",
]
certs = ["/etc/ssl/agency/*.pem", "/etc/ssl/agency/*.der", "/etc/ssl/missing-*.pem"]
domains = [
  {{ name = "good.test", smtp_port = {p_smtp} }},
  {{ name = "bad.test", smtp_port = {p_plain} }},
  {{ name = "www.good.test", sending = true }},
  "many.test", "loop.test", "parked.test", "parkedbad.test", "broken.test", "absent.test",
]
nameservers = ["127.0.0.1:{dns_port}"]
"#,
            ca = ca.display(),
            anchor = anchor_file.display(),
        ),
    )
    .unwrap();
    // The good endpoint gets its HSTS checked because it is marked https below.
    let text = std::fs::read_to_string(&config).unwrap().replace(
        &format!("\"127.0.0.1:{p_good}@good.test\""),
        &format!("{{ address = \"127.0.0.1:{p_good}\", sni = \"good.test\", https = true }}"),
    );
    std::fs::write(&config, text).unwrap();

    let args = rule_args(&root, &config);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, report, _) = run_json(&args);
    assert_eq!(code, 1, "findings exist");
    let good_t = format!("127.0.0.1:{p_good}@good.test");
    let t = |p: u16| format!("127.0.0.1:{p}@good.test");

    // The good endpoint passes every TLS rule.
    for rule in [
        "tls.protocol_min",
        "tls.weak_ciphers",
        "tls.cert_expiry",
        "tls.cert_key_strength",
        "tls.cert_signature",
        "tls.chain_trusted",
        "tls.hsts",
    ] {
        expect(&report, rule, &good_t, "pass", "");
    }
    expect(
        &report,
        "tls.cert_key_strength",
        &good_t,
        "pass",
        "EC P-256",
    );
    // HSTS.
    expect(
        &report,
        "tls.hsts",
        &t(p_nohsts),
        "fail",
        "no Strict-Transport-Security",
    );
    expect(&report, "tls.hsts", &t(p_short), "fail", "max-age=300");
    // A TLS server that never answers HTTP: HSTS is an error, the certificate is still judged.
    expect(
        &report,
        "tls.hsts",
        &t(p_expired),
        "error",
        "without a response",
    );
    // Certificates.
    expect(
        &report,
        "tls.cert_expiry",
        &t(p_expired),
        "fail",
        "expired on",
    );
    expect(
        &report,
        "tls.chain_trusted",
        &t(p_expired),
        "fail",
        "expired",
    );
    expect(
        &report,
        "tls.cert_expiry",
        &t(p_expiring),
        "fail",
        "expires on",
    );
    expect(&report, "tls.chain_trusted", &t(p_expiring), "pass", "");
    expect(
        &report,
        "tls.chain_trusted",
        &t(p_wrong),
        "fail",
        "not valid for the server name",
    );
    expect(&report, "tls.cert_expiry", &t(p_wrong), "pass", "");
    expect(
        &report,
        "tls.chain_trusted",
        &t(p_untrusted),
        "fail",
        "unknown issuer",
    );
    // STARTTLS endpoint: the TLS rules run after the SMTP upgrade.
    let smtp_t = format!("127.0.0.1:{p_smtp}@mx.good.test");
    expect(&report, "tls.chain_trusted", &smtp_t, "pass", "");
    expect(&report, "tls.protocol_min", &smtp_t, "pass", "");
    // Unreachable: error with the reason, never pass.
    for rule in [
        "tls.protocol_min",
        "tls.weak_ciphers",
        "tls.cert_expiry",
        "tls.chain_trusted",
    ] {
        expect(&report, rule, "127.0.0.1:1", "error", "connection refused");
    }
    // Certificate files under --root: PEM bundle, DER, and a pattern matching nothing.
    expect(
        &report,
        "tls.cert_expiry",
        "/etc/ssl/agency/good.pem",
        "pass",
        "",
    );
    expect(
        &report,
        "tls.cert_expiry",
        "/etc/ssl/agency/expired.pem",
        "fail",
        "expired on",
    );
    expect(
        &report,
        "tls.cert_key_strength",
        "/etc/ssl/agency/leaf.der",
        "pass",
        "EC P-256",
    );
    expect(
        &report,
        "tls.cert_signature",
        "/etc/ssl/agency/good.pem",
        "pass",
        "",
    );
    expect(
        &report,
        "tls.cert_expiry",
        "/etc/ssl/missing-*.pem",
        "error",
        "matches no file",
    );
    // DNS: SPF.
    expect(
        &report,
        "dns.spf",
        "good.test",
        "pass",
        "-all with 3 DNS lookups",
    );
    expect(&report, "dns.spf", "bad.test", "fail", "+all");
    expect(
        &report,
        "dns.spf",
        "many.test",
        "fail",
        "more than 10 DNS lookups",
    );
    expect(&report, "dns.spf", "loop.test", "fail", "loop");
    expect(&report, "dns.spf", "parkedbad.test", "pass", "~all");
    expect(&report, "dns.spf", "absent.test", "error", "Refused");
    // DMARC.
    expect(&report, "dns.dmarc_reject", "good.test", "pass", "p=reject");
    expect(&report, "dns.dmarc_rua_cisa", "good.test", "pass", "");
    // No _dmarc.www.good.test: the organizational domain's record applies.
    expect(
        &report,
        "dns.dmarc_reject",
        "www.good.test",
        "pass",
        "inherited",
    );
    expect(
        &report,
        "smtp.starttls",
        "www.good.test",
        "not_applicable",
        "no MX",
    );
    expect(&report, "dns.dmarc_reject", "bad.test", "fail", "p=none");
    expect(
        &report,
        "dns.dmarc_rua_cisa",
        "bad.test",
        "fail",
        "does not include",
    );
    expect(&report, "dns.dmarc_reject", "many.test", "fail", "sp=none");
    expect(&report, "dns.dmarc_rua_cisa", "many.test", "fail", "no rua");
    expect(&report, "dns.dmarc_reject", "loop.test", "fail", "pct=50");
    expect(&report, "dns.dmarc_rua_cisa", "loop.test", "pass", "");
    expect(&report, "dns.dmarc_reject", "parked.test", "pass", "");
    expect(
        &report,
        "dns.dmarc_reject",
        "parkedbad.test",
        "fail",
        "SPF null record",
    );
    expect(
        &report,
        "dns.dmarc_reject",
        "broken.test",
        "fail",
        "no DMARC record",
    );
    // CAA.
    expect(&report, "dns.caa", "good.test", "pass", "issue");
    expect(&report, "dns.caa", "bad.test", "fail", "no CAA record");
    expect(
        &report,
        "dns.caa",
        "loop.test",
        "fail",
        "no issue/issuewild",
    );
    // DNSSEC with the test trust anchor.
    expect(&report, "dns.dnssec", "good.test", "pass", "Secure");
    expect(&report, "dns.dnssec", "broken.test", "fail", "Bogus");
    expect(&report, "dns.dnssec", "bad.test", "fail", "not signed");
    // SMTP STARTTLS through MX lookups.
    expect(
        &report,
        "smtp.starttls",
        "good.test",
        "pass",
        "mx.good.test",
    );
    expect(
        &report,
        "smtp.starttls",
        "bad.test",
        "fail",
        "STARTTLS not offered",
    );
    expect(
        &report,
        "smtp.starttls",
        "parked.test",
        "not_applicable",
        "no MX",
    );
    // host.resolver from the tree's resolv.conf.
    expect(
        &report,
        "host.resolver",
        "/etc/resolv.conf",
        "fail",
        "8.8.8.8 (/etc/resolv.conf:2)",
    );

    // Every result of a network rule carries its target; other formats render the report.
    for r in report["results"].as_array().unwrap() {
        assert!(r["target"].is_string(), "{r}");
    }
    for format in ["table", "oscal", "junit", "prom"] {
        let mut a = vec!["scan", "--format", format];
        a.extend_from_slice(&args);
        let out = agent(&a);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.stdout.is_empty(), "{format}");
        let text = String::from_utf8_lossy(&out.stdout);
        match format {
            "oscal" => check_oscal(&text, report["results"].as_array().unwrap().len()),
            "table" => assert!(text.contains(&format!("[{}]", t(p_expired))), "{text}"),
            _ => assert!(text.contains("tls.chain_trusted"), "{format}"),
        }
    }
    drop(rt);
}

/// The OSCAL document validates against NIST's schema and has one finding per result.
fn check_oscal(text: &str, results: usize) {
    let doc: Value = serde_json::from_str(text).unwrap();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(
            crate::util::tests_dir().join("schemas/oscal_complete_schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::draft7::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let findings = doc["assessment-results"]["results"][0]["findings"]
        .as_array()
        .unwrap();
    assert_eq!(findings.len(), results);
}

#[test]
fn no_targets_means_not_applicable_and_no_network() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["--root", dir.path().to_str().unwrap()];
    let rules = network_rules();
    for r in &rules {
        args.push("--rule");
        args.push(r);
    }
    let (code, report, _) = run_json(&args);
    assert_eq!(code, 0);
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), rules.len());
    for r in results {
        assert_eq!(r["status"], "not_applicable", "{r}");
        assert!(r.get("target").is_none(), "{r}");
    }
    expect_na(&report, "tls.protocol_min", "no TLS endpoints configured");
    expect_na(&report, "dns.spf", "no domains configured");
    expect_na(&report, "tls.hsts", "no HTTPS endpoints configured");
    expect_na(&report, "host.resolver", "no allowed_resolvers configured");
}

fn expect_na(report: &Value, rule: &str, msg: &str) {
    let r = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule_id"] == rule)
        .unwrap();
    assert!(r["message"].as_str().unwrap().contains(msg), "{r}");
}

#[test]
fn a_blackholed_endpoint_costs_at_most_its_timeout() {
    // A listening socket that never accepts: the kernel completes the TCP handshake, then
    // nothing is ever said.
    let hole = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = hole.local_addr().unwrap().port();
    let target = format!("127.0.0.1:{port}");
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--root",
        dir.path().to_str().unwrap(),
        "--tls",
        &target,
        "--timeout",
        "1s",
        "--rule",
        "tls.protocol_min",
        "--rule",
        "tls.weak_ciphers",
        "--rule",
        "tls.cert_expiry",
        "--rule",
        "tls.chain_trusted",
    ];
    let (code, report, took) = run_json(&args);
    assert_eq!(code, 1);
    // Correctness bound with a wide margin: every probe runs concurrently under one timeout.
    assert!(took < Duration::from_secs(10), "took {took:?}");
    for r in report["results"].as_array().unwrap() {
        assert_eq!(r["status"], "error", "{r}");
        assert!(r["message"].as_str().unwrap().contains("timeout"), "{r}");
    }
    drop(hole);
}

#[test]
fn an_unreachable_resolver_is_an_error_never_a_pass() {
    let dir = tempfile::tempdir().unwrap();
    let (code, report, took) = run_json(&[
        "--root",
        dir.path().to_str().unwrap(),
        "--domain",
        "example.test",
        "--nameserver",
        "127.0.0.1:1",
        "--timeout",
        "1s",
        "--rule",
        "dns.spf",
        "--rule",
        "dns.dmarc_reject",
        "--rule",
        "dns.caa",
        "--rule",
        "dns.dnssec",
        "--rule",
        "smtp.starttls",
    ]);
    assert_eq!(code, 1);
    assert!(took < Duration::from_secs(10), "took {took:?}");
    for r in report["results"].as_array().unwrap() {
        assert_eq!(r["status"], "error", "{r}");
        assert_eq!(r["target"], "example.test", "{r}");
    }
}

#[test]
fn bad_config_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("a.toml");
    std::fs::write(&cfg, "[targets]\ntsl = [\"x:1\"]\n").unwrap();
    let out = agent(&[
        "scan",
        "--root",
        dir.path().to_str().unwrap(),
        "--config",
        cfg.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tsl") && err.contains("line 2"), "{err}");
    let out = agent(&[
        "scan",
        "--root",
        dir.path().to_str().unwrap(),
        "--tls",
        "nohost",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

/// `discover = true` on the live host (`--root /`): a rustls server on loopback is found in
/// /proc/net/tcp and checked; listeners that do not speak TLS are dropped, not reported.
#[test]
fn discovery_finds_local_tls_listeners() {
    if !std::path::Path::new("/proc/net/tcp").exists() {
        eprintln!("skipping: no /proc/net/tcp");
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let pki = Pki::new();
    let leaf = pki.leaf(&["good.test"], -1, 365, false);
    let port = rt.block_on(tls_server(&leaf, None));
    let plain = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let plain_port = plain.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("agent.toml");
    std::fs::write(&cfg, "timeout = \"1s\"\n[targets]\ndiscover = true\n").unwrap();
    let (_, report, _) = run_json(&[
        "--root",
        "/",
        "--config",
        cfg.to_str().unwrap(),
        "--rule",
        "tls.cert_expiry",
    ]);
    expect(
        &report,
        "tls.cert_expiry",
        &format!("127.0.0.1:{port}"),
        "pass",
        "",
    );
    let plain_t = format!("127.0.0.1:{plain_port}");
    assert!(
        !report["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["target"] == plain_t.as_str()),
        "a silent non-TLS listener is not a TLS endpoint"
    );
    drop(plain);
    drop(rt);
}

/// OpenSSL as the legacy server: TLS 1.0 accepted, NULL and anonymous suites accepted, and
/// RSA-1024 / SHA-1 certificates (which rcgen cannot make). Debian's OpenSSL 3 has no RC4
/// and no 3DES at all, so those families are covered only by the unit tests of the probes.
#[test]
fn legacy_servers_from_openssl() {
    if !tool_available("openssl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = |n: &str| d.join(n).display().to_string();
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        &p("key.pem"),
        "-out",
        &p("cert.pem"),
        "-days",
        "365",
        "-subj",
        "/CN=legacy.test",
        "-addext",
        "subjectAltName=DNS:legacy.test",
    ]);
    let root = d.join("root");
    std::fs::create_dir_all(root.join("etc/ssl")).unwrap();
    let r = |n: &str| root.join("etc/ssl").join(n).display().to_string();
    // RSA-1024 and SHA-1 signed leaves, issued by a CA (self-signed roots are exempt).
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        &p("ca.key"),
        "-out",
        &p("ca.pem"),
        "-days",
        "365",
        "-subj",
        "/CN=Legacy CA",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:1024",
        "-nodes",
        "-keyout",
        &p("weak.key"),
        "-out",
        &p("weak.csr"),
        "-subj",
        "/CN=weak.legacy.test",
    ]);
    openssl(&[
        "x509",
        "-req",
        "-in",
        &p("weak.csr"),
        "-CA",
        &p("ca.pem"),
        "-CAkey",
        &p("ca.key"),
        "-CAcreateserial",
        "-days",
        "365",
        "-sha256",
        "-out",
        &r("rsa1024.pem"),
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        &p("sha1.key"),
        "-out",
        &p("sha1.csr"),
        "-subj",
        "/CN=sha1.legacy.test",
    ]);
    openssl(&[
        "x509",
        "-req",
        "-in",
        &p("sha1.csr"),
        "-CA",
        &p("ca.pem"),
        "-CAkey",
        &p("ca.key"),
        "-CAcreateserial",
        "-days",
        "365",
        "-sha1",
        "-out",
        &r("sha1.pem"),
    ]);

    let (_tls10, p10) = s_server(d, &["-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"]);
    let (_weak, pweak) = s_server(
        d,
        &[
            "-cipher",
            "ECDHE-RSA-NULL-SHA:AECDH-AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0",
        ],
    );
    let (_modern, pmod) = s_server(d, &["-tls1_2"]);
    let t10 = format!("127.0.0.1:{p10}@legacy.test");
    let tweak = format!("127.0.0.1:{pweak}@legacy.test");
    let tmod = format!("127.0.0.1:{pmod}@legacy.test");
    let args = [
        "--root",
        root.to_str().unwrap(),
        "--tls",
        &t10,
        "--tls",
        &tweak,
        "--tls",
        &tmod,
        "--cert",
        "/etc/ssl/*.pem",
        "--timeout",
        "3s",
        "--rule",
        "tls.protocol_min",
        "--rule",
        "tls.weak_ciphers",
        "--rule",
        "tls.cert_key_strength",
        "--rule",
        "tls.cert_signature",
    ];
    let (code, report, _) = run_json(&args);
    assert_eq!(code, 1);
    expect(&report, "tls.protocol_min", &t10, "fail", "accepts TLS 1.0");
    expect(&report, "tls.protocol_min", &tmod, "pass", "");
    expect(&report, "tls.protocol_min", &tweak, "pass", "");
    expect(
        &report,
        "tls.weak_ciphers",
        &tweak,
        "fail",
        "null (TLS_ECDHE_RSA_WITH_NULL_SHA), anon",
    );
    expect(&report, "tls.weak_ciphers", &tmod, "pass", "");
    expect(
        &report,
        "tls.cert_key_strength",
        "/etc/ssl/rsa1024.pem",
        "fail",
        "RSA-1024",
    );
    expect(
        &report,
        "tls.cert_signature",
        "/etc/ssl/sha1.pem",
        "fail",
        "sha1WithRSAEncryption",
    );
    expect(
        &report,
        "tls.cert_signature",
        "/etc/ssl/rsa1024.pem",
        "pass",
        "",
    );
    expect(&report, "tls.cert_key_strength", &tmod, "pass", "RSA-2048");
    // rustls cannot talk to the TLS 1.0-only server: the chain comes from the legacy probe.
    expect(
        &report,
        "tls.cert_key_strength",
        &t10,
        "pass",
        "from a TLS 1.0 handshake",
    );
}
