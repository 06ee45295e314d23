//! What the collector benchmarks share: starting the real collector binary, TLS material,
//! process CPU and memory readings.
#![allow(dead_code)] // each benchmark uses its own part

use hardline_agent::report::*;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A numeric environment setting, or `default`.
pub fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A running collector and its listeners' URLs.
pub struct Proc {
    pub child: Child,
    pub ingest: String,
    pub read: String,
}

/// Start the collector with `config`; returns it and how long it took to listen.
pub fn start(config: &Path) -> (Proc, Duration) {
    let t = Instant::now();
    // BENCH_COLLECTOR: another build of the collector (e.g. one with symbols, for perf).
    let bin = std::env::var_os("BENCH_COLLECTOR")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_hardline-collector").into());
    let mut child = Command::new(bin)
        .arg("serve")
        .arg("--config")
        .arg(config)
        .env(
            "RUST_LOG",
            std::env::var("BENCH_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut urls = Vec::new();
    for _ in 0..2 {
        let l = lines.next().unwrap().unwrap();
        urls.push(l.rsplit(' ').next().unwrap().to_string());
    }
    std::thread::spawn(move || for _ in lines {});
    (
        Proc {
            child,
            ingest: urls[0].clone(),
            read: urls[1].clone(),
        },
        t.elapsed(),
    )
}

/// (VmRSS, VmHWM) of a process, KiB.
pub fn rss_kib(pid: u32) -> (u64, u64) {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        s.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// CPU seconds (user + system) of a process.
pub fn cpu_seconds(pid: &str) -> f64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = s.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// A CA and a loopback server certificate: writes `tls.crt`, `tls.key` and `ca.pem` in
/// `dir`; returns the CA's PEM and DER.
pub fn tls_material(dir: &Path) -> (String, rustls::pki_types::CertificateDer<'static>) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    std::fs::write(dir.join("tls.crt"), cert.pem()).unwrap();
    std::fs::write(dir.join("tls.key"), key.serialize_pem()).unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    (ca.pem(), ca.der().clone())
}

/// Now, Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A report template with 150 results; `HOSTID` and the report id are substituted.
pub fn template() -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(now() - 5).unwrap();
    let results: Vec<RuleResult> = (0..150)
        .map(|k| RuleResult {
            rule_id: format!("area{}.rule_{k}", k / 10),
            title: format!("Rule number {k} of the baseline must hold"),
            severity: Severity::ALL[k % 4],
            status: match k % 7 {
                0 => Status::NotApplicable,
                1 if k % 3 == 0 => Status::Fail,
                _ => Status::Pass,
            },
            message: format!("setting {k} in /etc/example/{k}.conf:12 is \"no\", expected \"yes\""),
            target: None,
            evidence: vec![Evidence::at(format!("/etc/example/{k}.conf"), Some(12))
                .observed("no")
                .expected("yes")],
            nist_800_53: vec!["CM-6".into(), "AC-6(2)".into()],
            duration_seconds: 0.0002,
        })
        .collect();
    let r = Report {
        schema_version: SCHEMA_VERSION,
        report_id: uuid::Uuid::nil(),
        agent: AgentInfo {
            name: "hardline-agent".into(),
            version: "0.1.0".into(),
        },
        host: HostInfo {
            id: "HOSTID".into(),
            hostname: "HOSTID.bench.example.gov".into(),
            os: OsInfo {
                id: "debian".into(),
                id_like: vec![],
                version_id: "12".into(),
                pretty_name: "Debian GNU/Linux 12 (bookworm)".into(),
            },
            root: "/".into(),
            exposure: None,
        },
        started_at: t,
        finished_at: t,
        policy: PolicyInfo {
            sources: vec!["builtin:policies/baseline".into()],
            rules: 150,
        },
        summary: Summary::of(&results),
        results,
        inventory: None,
        feeds: None,
        vulnerabilities: Vec::new(),
    };
    serde_json::to_string(&r).unwrap()
}

pub fn body(template: &str, host: u64) -> Vec<u8> {
    template
        .replacen(
            "00000000-0000-0000-0000-000000000000",
            &uuid::Uuid::new_v4().to_string(),
            1,
        )
        .replace("HOSTID", &format!("bench-{host:07}"))
        .into_bytes()
}
