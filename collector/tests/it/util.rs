//! Test harness: real collector processes on loopback with real TLS (rcgen certificates).

use hardline_agent::report::*;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// One parsed sample: name, sorted labels, value.
pub type Sample = (String, Vec<(String, String)>, f64);

/// Tokens configured by [`Setup`].
pub const DOE_AGENT: &str = "doe-agent-token";
pub const DOE_VIEWER: &str = "doe-viewer-token";
pub const DOJ_AGENT: &str = "doj-agent-token";
pub const DOJ_VIEWER: &str = "doj-viewer-token";
pub const ALL_VIEWER: &str = "all-viewer-token";

/// Campaign start used by the tests (2026-06-02T00:00:00Z).
pub const START: i64 = 1_780_358_400;

pub fn hash(t: &str) -> String {
    hardline_collector::hash_token(t.as_bytes()).unwrap()
}

/// Certificates: a CA, a server certificate for localhost/127.0.0.1, a client certificate.
pub struct Certs {
    pub ca_pem: String,
    pub client_identity_pem: String,
}

pub fn make_certs(dir: &Path) -> Certs {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "hardline test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let srv_key = KeyPair::generate().unwrap();
    let srv = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&srv_key, &issuer)
        .unwrap();
    let cli_key = KeyPair::generate().unwrap();
    let mut cli_params = CertificateParams::new(vec!["agent.example.gov".to_string()]).unwrap();
    cli_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let cli = cli_params.signed_by(&cli_key, &issuer).unwrap();
    std::fs::write(dir.join("ca.pem"), ca_cert.pem()).unwrap();
    std::fs::write(dir.join("tls.crt"), srv.pem()).unwrap();
    std::fs::write(dir.join("tls.key"), srv_key.serialize_pem()).unwrap();
    Certs {
        ca_pem: ca_cert.pem(),
        client_identity_pem: format!("{}{}", cli.pem(), cli_key.serialize_pem()),
    }
}

/// Options for the collector under test.
#[derive(Clone)]
pub struct Setup {
    pub tls: bool,
    pub mtls: bool,
    pub rate_per_minute: u32,
    pub max_body_bytes: u64,
    pub history: u32,
    pub stale_after: &'static str,
    pub waivers: Option<String>,
    /// The exposure overrides file (`exposure_file`).
    pub exposure: Option<String>,
    pub now: Option<i64>,
    pub snapshot_interval: &'static str,
    /// More lines for the `[limits]` table.
    pub extra_limits: &'static str,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            tls: true,
            mtls: false,
            rate_per_minute: 100_000,
            max_body_bytes: 1 << 20,
            history: 30,
            stale_after: "48h",
            waivers: None,
            exposure: None,
            now: None,
            snapshot_interval: "60s",
            extra_limits: "",
        }
    }
}

/// A temp directory with certificates and a config; start collectors on it.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub certs: Certs,
    pub setup: Setup,
}

impl Env {
    pub fn new(setup: Setup) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let certs = make_certs(dir.path());
        let env = Env { dir, certs, setup };
        env.write_config();
        env
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn config_path(&self) -> PathBuf {
        self.path().join("collector.toml")
    }

    pub fn db_path(&self) -> PathBuf {
        self.path().join("data/hardline.db")
    }

    pub fn write_config(&self) {
        let s = &self.setup;
        let mut c = String::new();
        c += "listen = \"127.0.0.1:0\"\nread_listen = \"127.0.0.1:0\"\ndata_dir = \"data\"\n";
        if s.tls {
            c += "tls_cert = \"tls.crt\"\ntls_key = \"tls.key\"\n";
        }
        if s.mtls {
            c += "client_ca = \"ca.pem\"\n";
        }
        c += &format!("history_per_host = {}\n", s.history);
        c += &format!("snapshot_interval = \"{}\"\n", s.snapshot_interval);
        if let Some(w) = &s.waivers {
            std::fs::write(self.path().join("waivers.toml"), w).unwrap();
            c += "waivers_file = \"waivers.toml\"\n";
        }
        if let Some(x) = &s.exposure {
            std::fs::write(self.path().join("exposure.toml"), x).unwrap();
            c += "exposure_file = \"exposure.toml\"\n";
        }
        // Tests about something else get generous connection limits: dozens of collectors
        // and agents share 2 cores during `cargo test`, and a TLS handshake starved of CPU
        // must not be cut by the 5 s idle timeout or a shared loopback address by the
        // per-address cap (tests/it/idle.rs sets its own).
        let mut generous = String::new();
        if !s.extra_limits.contains("idle_timeout") {
            generous += "idle_timeout = \"60s\"\n";
        }
        if !s.extra_limits.contains("max_connections_per_ip") {
            generous += "max_connections_per_ip = 4096\n";
        }
        c += &format!(
            "[limits]\nrate_per_minute = {}\nmax_body_bytes = {}\n{generous}{}\n",
            s.rate_per_minute, s.max_body_bytes, s.extra_limits
        );
        c += &format!(
            "[campaign]\nname = \"eo-30-day\"\nstart = \"2026-06-02T00:00:00Z\"\ndays = 30\nseverity_threshold = \"medium\"\nstale_after = \"{}\"\n",
            s.stale_after
        );
        c += &format!(
            "[[agency]]\nname = \"DOE\"\ntokens = [{{ role = \"agent\", sha256 = \"{}\" }}, {{ role = \"viewer\", sha256 = \"{}\" }}]\n",
            hash(DOE_AGENT),
            hash(DOE_VIEWER)
        );
        c += &format!(
            "[[agency]]\nname = \"DOJ\"\ntokens = [{{ role = \"agent\", sha256 = \"{}\" }}, {{ role = \"viewer\", sha256 = \"{}\" }}, {{ role = \"viewer\", sha256 = \"{}\", all_agencies = true }}]\n",
            hash(DOJ_AGENT),
            hash(DOJ_VIEWER),
            hash(ALL_VIEWER)
        );
        std::fs::write(self.config_path(), c).unwrap();
    }

    pub fn start(&self) -> Collector {
        self.start_at(self.setup.now)
    }

    pub fn start_at(&self, now: Option<i64>) -> Collector {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hardline-collector"));
        cmd.arg("serve")
            .arg("--config")
            .arg(self.config_path())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        match now {
            Some(t) => cmd.env("HARDLINE_NOW", t.to_string()),
            None => cmd.env_remove("HARDLINE_NOW"),
        };
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let mut ingest = String::new();
        let mut read = String::new();
        for _ in 0..2 {
            let line = lines
                .next()
                .expect("collector exited before listening")
                .unwrap();
            let url = line.rsplit(' ').next().unwrap().to_string();
            if line.contains("ingest") {
                ingest = url;
            } else {
                read = url;
            }
        }
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let mut builder = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .tls_certs_only(
                [reqwest::Certificate::from_pem(self.certs.ca_pem.as_bytes()).unwrap()],
            );
        if self.setup.mtls {
            builder = builder.identity(
                reqwest::Identity::from_pem(self.certs.client_identity_pem.as_bytes()).unwrap(),
            );
        }
        Collector {
            child,
            ingest,
            read,
            client: builder.build().unwrap(),
        }
    }
}

/// A running collector process.
pub struct Collector {
    pub child: Child,
    pub ingest: String,
    pub read: String,
    pub client: reqwest::Client,
}

impl Collector {
    pub async fn push(&self, token: Option<&str>, body: Vec<u8>) -> (u16, serde_json::Value) {
        let mut req = self
            .client
            .post(format!("{}/api/v1/reports", self.ingest))
            .header("content-type", "application/json")
            .body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
        )
    }

    pub async fn push_report(&self, token: &str, r: &Report) -> (u16, serde_json::Value) {
        self.push(Some(token), serde_json::to_vec(r).unwrap()).await
    }

    pub async fn get(&self, token: Option<&str>, path: &str) -> (u16, serde_json::Value) {
        let mut req = self.client.get(format!("{}{}", self.read, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
        )
    }

    pub async fn metrics(&self) -> String {
        let resp = self
            .client
            .get(format!("{}/metrics", self.read))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        resp.text().await.unwrap()
    }

    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM and wait (graceful: writes the burn-down snapshot).
    pub fn terminate(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        for _ in 0..200 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        self.kill9();
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A report for `host` finished at `finished` with `results` (rule, severity, status).
pub fn report(host: &str, finished: i64, results: &[(&str, Severity, Status)]) -> Report {
    let t = time::OffsetDateTime::from_unix_timestamp(finished).unwrap();
    let results: Vec<RuleResult> = results
        .iter()
        .map(|(rule, sev, st)| RuleResult {
            rule_id: rule.to_string(),
            title: format!("title of {rule}"),
            severity: *sev,
            status: *st,
            message: format!("{rule} is {st}"),
            target: None,
            evidence: vec![Evidence::at("/etc/ssh/sshd_config", Some(3))
                .observed("yes")
                .expected("no")],
            nist_800_53: vec!["AC-6(2)".into()],
            duration_seconds: 0.001,
        })
        .collect();
    Report {
        schema_version: SCHEMA_VERSION,
        report_id: uuid::Uuid::new_v4(),
        agent: AgentInfo {
            name: "hardline-agent".into(),
            version: "0.1.0".into(),
        },
        host: HostInfo {
            id: host.to_string(),
            hostname: format!("{host}.example.gov"),
            os: OsInfo::default(),
            root: "/".into(),
            exposure: None,
        },
        started_at: t,
        finished_at: t,
        policy: PolicyInfo::default(),
        summary: Summary::of(&results),
        results,
        inventory: None,
        feeds: None,
        vulnerabilities: Vec::new(),
    }
}

/// Parse the text exposition: (name, sorted labels, value) per sample. Panics on any line
/// that is not valid exposition format (a small, strict parser).
pub fn parse_exposition(text: &str) -> Vec<Sample> {
    let mut out = Vec::new();
    let mut typed = std::collections::HashSet::new();
    for line in text.lines() {
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            let kind = parts.next().unwrap();
            let name = parts.next().expect("metric name after # HELP/# TYPE");
            assert!(
                kind == "HELP" || kind == "TYPE",
                "bad comment line {line:?}"
            );
            if kind == "TYPE" {
                let t = parts.next().unwrap();
                assert!(["gauge", "counter"].contains(&t), "type {t}");
                assert!(typed.insert(name.to_string()), "TYPE twice for {name}");
            }
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("sample needs a value");
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("bad value in {line:?}"));
        let (name, labels) = match series.find('{') {
            Some(i) => {
                assert!(series.ends_with('}'), "unterminated labels in {line:?}");
                (&series[..i], &series[i + 1..series.len() - 1])
            }
            None => (series, ""),
        };
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad name {name:?}"
        );
        let mut ls = Vec::new();
        let mut rest = labels;
        while !rest.is_empty() {
            let eq = rest.find("=\"").expect("label=\"value\"");
            let key = &rest[..eq];
            let mut val = String::new();
            let mut chars = rest[eq + 2..].char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some((_, 'n')) => val.push('\n'),
                        Some((_, c)) => val.push(c),
                        None => panic!("dangling escape"),
                    },
                    '"' => {
                        end = Some(eq + 2 + i + 1);
                        break;
                    }
                    c => val.push(c),
                }
            }
            let end = end.expect("unterminated label value");
            ls.push((key.to_string(), val));
            rest = rest[end..].strip_prefix(',').unwrap_or(&rest[end..]);
        }
        ls.sort();
        let base = name.strip_suffix("_total").map(|_| name).unwrap_or(name);
        assert!(typed.contains(base), "sample {name} before its TYPE");
        out.push((name.to_string(), ls, value));
    }
    out
}

/// The value of the sample `name{labels}` (labels given in any order; exact set).
pub fn sample(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut want: Vec<(String, String)> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    want.sort();
    samples
        .iter()
        .find(|(n, l, _)| n == name && *l == want)
        .map(|s| s.2)
}

/// Count rows in the store (read-only, while the collector may run).
pub fn count_rows(db: &Path, sql: &str) -> i64 {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}
