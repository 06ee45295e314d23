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

use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// Default per-operation timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default limit of network operations in flight.
pub const DEFAULT_CONCURRENCY: usize = 32;

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

/// A duration written as `"5s"`, `"250ms"`, `"2m"`, `"1h30m"`, `"1.5h"` (the grammar of
/// [`crate::duration`]) or a number of seconds (`5`, `2.5`, or the string `"5"`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DurationValue(pub Duration);

impl<'de> Deserialize<'de> for DurationValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(u64),
            Float(f64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Int(n) => Ok(DurationValue(Duration::from_secs(n))),
            Raw::Float(f) if f.is_finite() && f >= 0.0 => {
                Ok(DurationValue(Duration::from_secs_f64(f)))
            }
            Raw::Float(f) => Err(serde::de::Error::custom(format!("bad duration {f}"))),
            Raw::Text(s) => parse_duration(&s)
                .map(DurationValue)
                .map_err(serde::de::Error::custom),
        }
    }
}

/// Parse a duration in the workspace grammar ([`crate::duration`]), a bare number being
/// seconds: `5s`, `250ms`, `2m`, `1h30m`, `1.5h`, `1d`, `3`; at most 365 days.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = crate::duration::parse_or_seconds(s)?;
    if d > Duration::from_secs(31_536_000) {
        return Err(format!("duration {s:?} out of range (at most 365d)"));
    }
    Ok(d)
}

/// The `[targets]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    /// TLS endpoints.
    #[serde(default)]
    pub tls: Vec<TlsTargetSpec>,
    /// Certificate files or globs on the scanned host (read under `--root`).
    #[serde(default)]
    pub certs: Vec<String>,
    /// Domains for the DNS and mail checks.
    #[serde(default)]
    pub domains: Vec<DomainSpec>,
    /// Resolvers to use (`IP` or `IP:PORT`) instead of the scanning machine's.
    #[serde(default)]
    pub nameservers: Vec<String>,
    /// Probe the host's local TCP listeners (`/proc/net/tcp{,6}`) for TLS.
    #[serde(default)]
    pub discover: bool,
    /// Port of the MX hosts for smtp.starttls (25; other values are for tests).
    #[serde(default = "default_smtp_port")]
    pub smtp_port: u16,
}

impl Default for Targets {
    fn default() -> Self {
        Targets {
            tls: Vec::new(),
            certs: Vec::new(),
            domains: Vec::new(),
            nameservers: Vec::new(),
            discover: false,
            smtp_port: default_smtp_port(),
        }
    }
}

fn default_smtp_port() -> u16 {
    25
}

/// A TLS endpoint as written: `"HOST:PORT[@SNI]"` or a table.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum TlsTargetSpec {
    /// `HOST:PORT` or `HOST:PORT@SNI`.
    Short(String),
    /// The long form.
    Long(TlsTargetTable),
}

/// The long form of a TLS endpoint.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsTargetTable {
    /// `HOST:PORT`.
    pub address: String,
    /// Server name to send and to match (default: the host when it is a name).
    #[serde(default)]
    pub sni: Option<String>,
    /// Upgrade a plain connection first: `smtp`.
    #[serde(default)]
    pub starttls: Option<Starttls>,
    /// Check HSTS on this endpoint (default: port 443 without STARTTLS).
    #[serde(default)]
    pub https: Option<bool>,
}

/// STARTTLS protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Starttls {
    /// SMTP (RFC 3207).
    Smtp,
}

/// A domain as written: `"example.gov"` or a table.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum DomainSpec {
    /// The name.
    Short(String),
    /// The long form.
    Long(DomainTable),
}

/// The long form of a domain.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainTable {
    /// The domain name.
    pub name: String,
    /// Whether the domain sends mail. Default: sending unless it has no MX (or a null MX).
    #[serde(default)]
    pub sending: Option<bool>,
    /// Port of its MX hosts (overrides `smtp_port`; for tests).
    #[serde(default)]
    pub smtp_port: Option<u16>,
}

/// A TLS endpoint, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsTarget {
    /// Host name or IP address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Server name to send and match; `None` for an IP address without `@SNI`.
    pub sni: Option<String>,
    /// STARTTLS upgrade first.
    pub starttls: Option<Starttls>,
    /// Check HSTS.
    pub https: bool,
    /// Found by `discover` (a listener that turns out not to speak TLS is dropped).
    pub discovered: bool,
}

impl TlsTarget {
    /// `host:port` (`[v6]:port`), plus `@sni` when it differs from the host: the result's target.
    pub fn label(&self) -> String {
        let hp = match self.host.parse::<IpAddr>() {
            Ok(IpAddr::V6(_)) => format!("[{}]:{}", self.host, self.port),
            _ => format!("{}:{}", self.host, self.port),
        };
        match &self.sni {
            Some(s) if s != &self.host => format!("{hp}@{s}"),
            _ => hp,
        }
    }
}

/// Parse `HOST:PORT[@SNI]`.
pub fn parse_tls_target(s: &str) -> Result<TlsTarget, String> {
    let (addr, sni) = match s.split_once('@') {
        Some((a, n)) if !n.is_empty() => (a, Some(n.to_string())),
        Some(_) => return Err(format!("TLS target {s:?}: empty server name after '@'")),
        None => (s, None),
    };
    let (host, port) = split_host_port(addr)
        .ok_or_else(|| format!("TLS target {s:?}: expected HOST:PORT or HOST:PORT@SNI"))?;
    let sni = sni.or_else(|| host.parse::<IpAddr>().is_err().then(|| host.clone()));
    Ok(TlsTarget {
        https: port == 443,
        host,
        port,
        sni,
        starttls: None,
        discovered: false,
    })
}

/// Split `host:port` / `[v6]:port`.
pub fn split_host_port(s: &str) -> Option<(String, u16)> {
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Some((sa.ip().to_string(), sa.port()));
    }
    let (h, p) = s.rsplit_once(':')?;
    let port: u16 = p.parse().ok()?;
    if h.is_empty() || h.contains(':') || h.contains(char::is_whitespace) {
        return None;
    }
    Some((h.to_string(), port))
}

/// Parse a nameserver `IP` or `IP:PORT` (port 53 by default).
pub fn parse_nameserver(s: &str) -> Result<SocketAddr, String> {
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Ok(sa);
    }
    s.parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, 53))
        .map_err(|_| format!("nameserver {s:?}: expected IP or IP:PORT"))
}

/// A domain target, resolved from the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainTarget {
    /// Lower-case name without a trailing dot.
    pub name: String,
    /// Explicit sending flag.
    pub sending: Option<bool>,
    /// MX port.
    pub smtp_port: u16,
}

/// Everything the network runner needs, after merging the file and the command line.
#[derive(Debug, Clone)]
pub struct NetConfig {
    /// TLS endpoints (configured; discovered ones are added at run time).
    pub tls: Vec<TlsTarget>,
    /// Certificate file patterns (host paths).
    pub certs: Vec<String>,
    /// Domains.
    pub domains: Vec<DomainTarget>,
    /// Resolvers; empty: the scanning machine's.
    pub nameservers: Vec<SocketAddr>,
    /// Probe local listeners.
    pub discover: bool,
    /// Trust store file on the scanning machine; `None`: the system store.
    pub ca_bundle: Option<PathBuf>,
    /// DNSSEC trust anchor file.
    pub dnssec_trust_anchor: Option<PathBuf>,
    /// Allowed resolvers for host.resolver.
    pub allowed_resolvers: Vec<IpAddr>,
    /// Per-operation timeout.
    pub timeout: Duration,
    /// Operations in flight.
    pub concurrency: usize,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            tls: Vec::new(),
            certs: Vec::new(),
            domains: Vec::new(),
            nameservers: Vec::new(),
            discover: false,
            ca_bundle: None,
            dnssec_trust_anchor: None,
            allowed_resolvers: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            concurrency: DEFAULT_CONCURRENCY,
        }
    }
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

/// A domain target from a name: lower case, no trailing dot, checked for shape.
pub fn domain_target(
    name: &str,
    sending: Option<bool>,
    smtp_port: u16,
) -> Result<DomainTarget, String> {
    let n = name.trim().trim_end_matches('.').to_ascii_lowercase();
    let ok = !n.is_empty()
        && n.len() <= 253
        && n.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if !ok {
        return Err(format!("domain {name:?} is not a valid DNS name"));
    }
    Ok(DomainTarget {
        name: n,
        sending,
        smtp_port,
    })
}

impl NetConfig {
    /// True when some network target (or discovery) is configured.
    pub fn has_network_targets(&self) -> bool {
        !self.tls.is_empty() || !self.domains.is_empty() || self.discover
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_duration("3").unwrap(), Duration::from_secs(3));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("1.5h").unwrap(), Duration::from_secs(5400));
        assert!(parse_duration("366d").is_err());
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("").is_err());
    }
}
