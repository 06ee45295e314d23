//! The network part of the configuration: the `[targets]` table of the agent configuration
//! file ([`crate::config`]) as written, the targets parsed, and [`NetConfig`], everything the
//! network runner needs after merging the file and the command line.
//!
//! A TLS target string is `HOST:PORT` or `HOST:PORT@SNI` (`[v6]:PORT` for IPv6). The SNI
//! name, when given, is also the name the certificate must match; without it a host name
//! target uses its host, an IP address target sends no SNI and must match an IP SAN.
//! HSTS is checked on endpoints marked `https = true`, and on port 443 by default.

use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// Default per-operation timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default limit of network operations in flight.
pub const DEFAULT_CONCURRENCY: usize = 32;

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
            Raw::Float(f) if f.is_finite() && f >= 0.0 => Duration::try_from_secs_f64(f)
                .map(DurationValue)
                .map_err(|e| serde::de::Error::custom(format!("bad duration {f}: {e}"))),
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
