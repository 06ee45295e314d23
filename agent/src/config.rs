//! The agent configuration file (TOML, `--config FILE`) and the network targets it lists.
//!
//! ```toml
//! collector  = "https://collector.example.gov:8443"   # push mode (`run`, `scan --push`)
//! token_file = "/etc/hardline/agent.token"
//! ca_bundle  = "/etc/hardline/ca.pem"   # trust store for tls.chain_trusted (and the collector)
//! interval   = "1h"                     # run: scan period
//! splay      = "15m"                    # run: random delay added to each period (default min(interval, 15m))
//! spool_dir  = "/var/lib/hardline-agent/spool"
//! spool_max_reports = 1000              # oldest reports dropped beyond these bounds
//! spool_max_bytes   = 268435456
//! client_cert = "/etc/hardline/agent.crt"  # optional mTLS identity (PEM) for the collector
//! client_key  = "/etc/hardline/agent.key"
//! retry_min  = "1s"                     # backoff after a failed delivery: full jitter,
//! retry_max  = "5m"                     #   doubling from retry_min up to retry_max
//! push_timeout = "60s"                  # one whole delivery (connect + TLS + request + answer)
//! timeout    = "5s"                     # per network operation (connect, handshake, DNS query)
//! concurrency = 32                      # network operations in flight at once
//! allowed_resolvers = ["10.0.0.53"]     # host.resolver: the only nameservers resolv.conf may list
//! dnssec_trust_anchor = "/etc/hardline/anchors.key"  # DNSKEY records; default: the IANA root keys
//! max_file_bytes = 16777216             # largest configuration/text file read from the scanned tree
//! max_db_bytes   = 536870912            # largest package database (dpkg status, rpmdb, apt list)
//!
//! [targets]
//! tls = ["127.0.0.1:443", "10.1.2.3:8443@portal.example.gov",
//!        { address = "mail.example.gov:25", starttls = "smtp" },
//!        { address = "10.1.2.4:443", sni = "www.example.gov", https = true }]
//! certs = ["/etc/ssl/certs/agency-*.pem"]
//! domains = ["example.gov", { name = "parked.example.gov", sending = false }]
//! nameservers = ["10.0.0.53:53"]        # empty: the scanning machine's resolver
//! discover = false                      # probe the host's local TCP listeners for TLS
//! smtp_port = 25                        # port of MX hosts for smtp.starttls
//! ```
//!
//! A TLS target string is `HOST:PORT` or `HOST:PORT@SNI` (`[v6]:PORT` for IPv6). The SNI
//! name, when given, is also the name the certificate must match; without it a host name
//! target uses its host, an IP address target sends no SNI and must match an IP SAN.
//! HSTS is checked on endpoints marked `https = true`, and on port 443 by default.
//! Every key is closed: a misspelt key is a configuration error (exit 2), with line and column.

use crate::net::config::{
    domain_target, parse_nameserver, parse_tls_target, DomainSpec, DurationValue, NetConfig,
    Targets, TlsTargetSpec, DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT,
};
use serde::Deserialize;
use std::net::IpAddr;
use std::path::PathBuf;

/// The agent configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentConfig {
    /// Collector URL (push mode).
    #[serde(default)]
    pub collector: Option<String>,
    /// File holding the bearer token for the collector.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// PEM trust store: TLS chain checks and the collector connection.
    #[serde(default)]
    pub ca_bundle: Option<PathBuf>,
    /// Scan period in push mode (`1h`).
    #[serde(default)]
    pub interval: Option<DurationValue>,
    /// Largest random delay added to each scan period (default: min(interval, 15m)).
    #[serde(default)]
    pub splay: Option<DurationValue>,
    /// Where reports wait while the collector is away.
    #[serde(default)]
    pub spool_dir: Option<PathBuf>,
    /// Most reports kept in the spool (default 1000); beyond it the oldest are dropped.
    #[serde(default)]
    pub spool_max_reports: Option<usize>,
    /// Most bytes kept in the spool (default 256 MiB); beyond it the oldest are dropped.
    #[serde(default)]
    pub spool_max_bytes: Option<u64>,
    /// Client certificate (PEM chain) presented to the collector (mTLS).
    #[serde(default)]
    pub client_cert: Option<PathBuf>,
    /// Private key (PEM) of `client_cert`.
    #[serde(default)]
    pub client_key: Option<PathBuf>,
    /// First backoff after a failed delivery (default 1s).
    #[serde(default)]
    pub retry_min: Option<DurationValue>,
    /// Longest backoff between delivery attempts (default 5m).
    #[serde(default)]
    pub retry_max: Option<DurationValue>,
    /// Limit of one whole delivery: connect, TLS, request and answer (default 60s).
    #[serde(default)]
    pub push_timeout: Option<DurationValue>,
    /// Per-operation network timeout (`5s`, `500ms`, or a number of seconds).
    #[serde(default)]
    pub timeout: Option<DurationValue>,
    /// Network operations in flight at once.
    #[serde(default)]
    pub concurrency: Option<usize>,
    /// Nameserver addresses `/etc/resolv.conf` may list (host.resolver); empty: not checked.
    #[serde(default)]
    pub allowed_resolvers: Vec<String>,
    /// File of DNSKEY records trusted for DNSSEC validation (default: the IANA root keys).
    #[serde(default)]
    pub dnssec_trust_anchor: Option<PathBuf>,
    /// Vulnerability feeds directory (OSV, KEV, Vulnrichment files; see DESIGN.md): with it
    /// every scan also reports the known vulnerabilities open on the host.
    #[serde(default)]
    pub feeds_dir: Option<PathBuf>,
    /// BOD 26-04 exposure of this host: `public` or `internal` (default).
    #[serde(default)]
    pub exposure: Option<crate::vuln::Exposure>,
    /// Days after which a feed counts as stale (default 7): findings may then be missing,
    /// and a host without findings is reported as `error`, never clean.
    #[serde(default)]
    pub feeds_max_age_days: Option<i64>,
    /// Largest configuration or text file read from the scanned tree (default 16 MiB);
    /// a larger one makes the rules that need it `error` (see `host.rs`).
    #[serde(default)]
    pub max_file_bytes: Option<u64>,
    /// Largest package database read from the scanned tree: dpkg status, rpmdb.sqlite, an
    /// apt list, decompressed (default 512 MiB).
    #[serde(default)]
    pub max_db_bytes: Option<u64>,
    /// What to check over the network.
    #[serde(default)]
    pub targets: Targets,
}

impl AgentConfig {
    /// Parse a configuration file's text; errors carry line, column and a snippet.
    pub fn parse(text: &str) -> Result<AgentConfig, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// The network part, validated.
    pub fn net(&self) -> Result<NetConfig, String> {
        let mut tls = Vec::new();
        for t in &self.targets.tls {
            tls.push(match t {
                TlsTargetSpec::Short(s) => parse_tls_target(s)?,
                TlsTargetSpec::Long(t) => {
                    let mut target = parse_tls_target(&t.address)?;
                    if let Some(sni) = &t.sni {
                        target.sni = Some(sni.clone());
                    }
                    target.starttls = t.starttls;
                    target.https = t
                        .https
                        .unwrap_or(target.port == 443 && t.starttls.is_none());
                    target
                }
            });
        }
        let domains = self
            .targets
            .domains
            .iter()
            .map(|d| {
                let (name, sending, port) = match d {
                    DomainSpec::Short(n) => (n.as_str(), None, None),
                    DomainSpec::Long(t) => (t.name.as_str(), t.sending, t.smtp_port),
                };
                domain_target(name, sending, port.unwrap_or(self.targets.smtp_port))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let nameservers = self
            .targets
            .nameservers
            .iter()
            .map(|s| parse_nameserver(s))
            .collect::<Result<Vec<_>, _>>()?;
        let allowed_resolvers = self
            .allowed_resolvers
            .iter()
            .map(|s| {
                s.parse::<IpAddr>()
                    .map_err(|_| format!("allowed_resolvers: {s:?} is not an IP address"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(c) = self.targets.certs.iter().find(|c| !c.starts_with('/')) {
            return Err(format!(
                "certs: {c:?} is not an absolute path (patterns are host paths, read under --root)"
            ));
        }
        let concurrency = self.concurrency.unwrap_or(DEFAULT_CONCURRENCY);
        if concurrency == 0 {
            return Err("concurrency must be at least 1".to_string());
        }
        let timeout = self.timeout.map(|d| d.0).unwrap_or(DEFAULT_TIMEOUT);
        if timeout.is_zero() {
            return Err("timeout must be greater than zero".to_string());
        }
        Ok(NetConfig {
            tls,
            certs: self.targets.certs.clone(),
            domains,
            nameservers,
            discover: self.targets.discover,
            ca_bundle: self.ca_bundle.clone(),
            dnssec_trust_anchor: self.dnssec_trust_anchor.clone(),
            allowed_resolvers,
            timeout,
            concurrency,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::config::Starttls;
    use std::time::Duration;

    #[test]
    fn parses_the_documented_example() {
        let text = r#"
collector  = "https://collector.example.gov:8443"
token_file = "/etc/hardline/agent.token"
ca_bundle  = "/etc/hardline/ca.pem"
interval   = "1h"
spool_dir  = "/var/lib/hardline-agent/spool"
timeout = "2s"
allowed_resolvers = ["10.0.0.53", "::1"]
[targets]
tls     = ["127.0.0.1:443", "[::1]:8443@www.example.gov", "mail.example.gov:465",
           { address = "mail.example.gov:25", starttls = "smtp" }]
certs   = ["/etc/ssl/certs/agency-*.pem"]
domains = ["Example.GOV.", { name = "parked.example.gov", sending = false, smtp_port = 2525 }]
nameservers = ["127.0.0.1:5353", "10.0.0.53"]
discover = false
"#;
        let cfg = AgentConfig::parse(text).unwrap();
        let net = cfg.net().unwrap();
        assert_eq!(net.timeout, Duration::from_secs(2));
        assert_eq!(net.tls.len(), 4);
        assert_eq!(net.tls[0].label(), "127.0.0.1:443");
        assert!(net.tls[0].https);
        assert_eq!(net.tls[0].sni, None);
        assert_eq!(net.tls[1].label(), "[::1]:8443@www.example.gov");
        assert_eq!(net.tls[2].sni.as_deref(), Some("mail.example.gov"));
        assert_eq!(net.tls[3].starttls, Some(Starttls::Smtp));
        assert!(!net.tls[3].https);
        assert_eq!(net.domains[0].name, "example.gov");
        assert_eq!(net.domains[0].smtp_port, 25);
        assert_eq!(net.domains[1].sending, Some(false));
        assert_eq!(net.domains[1].smtp_port, 2525);
        assert_eq!(net.nameservers[1].port(), 53);
        assert_eq!(net.allowed_resolvers.len(), 2);
    }

    #[test]
    fn rejects_unknown_keys_and_bad_values() {
        assert!(AgentConfig::parse("[targets]\ntsl = []\n")
            .unwrap_err()
            .contains("tsl"));
        let bad = |t: &str| AgentConfig::parse(t).unwrap().net().unwrap_err();
        assert!(bad("[targets]\ntls = [\"nohost\"]\n").contains("HOST:PORT"));
        assert!(bad("[targets]\ndomains = [\"bad domain\"]\n").contains("not a valid"));
        assert!(bad("[targets]\nnameservers = [\"x:53\"]\n").contains("IP"));
        assert!(AgentConfig::parse("timeout = \"5 parsecs\"\n").is_err());
        assert!(bad("timeout = 0\n").contains("greater than zero"));
        assert!(bad("[targets]\ncerts = [\"certs/*.pem\"]\n").contains("absolute"));
    }
}
