//! DNS lookups for the domain checks (hickory-resolver).
//!
//! The resolver is the one in `nameservers` (`--nameserver IP:PORT`) when configured — tests
//! and air-gapped agencies point it anywhere — else the scanning machine's
//! (`/etc/resolv.conf` of the machine running the agent, not of `--root`). One query has
//! the configured timeout and one attempt. Answers are cached for the run, so the SPF,
//! DMARC and MX lookups that several rules need are asked once. NXDOMAIN and "no records"
//! are answers (a domain without DMARC fails the DMARC rule); a timeout, SERVFAIL or
//! REFUSED is an error of the rule, never a pass.
//!
//! DNSSEC validation uses a second resolver with `validate = true` and the trust anchors of
//! `dnssec_trust_anchor` (DNSKEY records, any zone) or the IANA root keys.

use super::config::NetConfig;
use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::dnssec::{Proof, TrustAnchors};
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::TokioResolver;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// The answer to one question.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer<T> {
    /// Records (with their DNSSEC proof when validating).
    Found(Vec<(T, Proof)>),
    /// The name exists but has no record of this type.
    NoData,
    /// The name does not exist.
    NxDomain,
}

impl<T> Answer<T> {
    /// The records, empty when none.
    pub fn records(&self) -> Vec<&T> {
        match self {
            Answer::Found(v) => v.iter().map(|(t, _)| t).collect(),
            _ => Vec::new(),
        }
    }
}

/// Build a resolver from the configuration.
pub fn build(cfg: &NetConfig, validate: bool) -> Result<TokioResolver, String> {
    let provider = TokioRuntimeProvider::default();
    let mut builder = if cfg.nameservers.is_empty() {
        TokioResolver::builder(provider)
            .map_err(|e| format!("the system resolver configuration: {e}"))?
    } else {
        let servers = cfg
            .nameservers
            .iter()
            .map(|sa| {
                let mut ns = NameServerConfig::udp_and_tcp(sa.ip());
                for c in &mut ns.connections {
                    c.port = sa.port();
                }
                ns
            })
            .collect();
        TokioResolver::builder_with_config(ResolverConfig::from_name_servers(servers), provider)
    };
    let opts: &mut ResolverOpts = builder.options_mut();
    opts.timeout = cfg.timeout;
    opts.attempts = 1;
    opts.ndots = 0;
    opts.validate = validate;
    if validate {
        let anchors = match &cfg.dnssec_trust_anchor {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| format!("dnssec_trust_anchor {}: {e}", p.display()))?;
                text.parse::<TrustAnchors>()
                    .map_err(|e| format!("dnssec_trust_anchor {}: {e}", p.display()))?
            }
            None => TrustAnchors::default(),
        };
        builder = builder.with_trust_anchor(Arc::new(anchors));
    }
    builder
        .build()
        .map_err(|e| format!("building the resolver: {e}"))
}

/// A fully qualified query name.
fn fqdn(name: &str) -> String {
    if name.ends_with('.') {
        name.to_string()
    } else {
        format!("{name}.")
    }
}

/// Look up `name`/`rtype`, bounded by `timeout` even if the resolver misbehaves.
pub async fn lookup(
    r: &TokioResolver,
    name: &str,
    rtype: RecordType,
    timeout: Duration,
) -> Result<Answer<RData>, String> {
    let q = fqdn(name);
    let fut = r.lookup(q.as_str(), rtype);
    let res = match tokio::time::timeout(timeout + Duration::from_millis(250), fut).await {
        Err(_) => {
            return Err(format!(
                "{name} {rtype}: no answer within {timeout:?} (timeout)"
            ))
        }
        Ok(r) => r,
    };
    match res {
        Ok(lookup) => {
            let recs: Vec<(RData, Proof)> = lookup
                .answers()
                .iter()
                .filter(|r| r.record_type() == rtype)
                .map(|r| (r.data.clone(), r.proof))
                .collect();
            if recs.is_empty() {
                Ok(Answer::NoData)
            } else {
                Ok(Answer::Found(recs))
            }
        }
        Err(e) if e.is_nx_domain() => Ok(Answer::NxDomain),
        Err(e) if e.is_no_records_found() => Ok(Answer::NoData),
        Err(e) => Err(describe(name, rtype, &e)),
    }
}

/// A short reason for a resolver error.
pub fn describe(name: &str, rtype: RecordType, e: &hickory_resolver::net::NetError) -> String {
    use hickory_resolver::net::NetError as E;
    let why = match e {
        E::Timeout => "no answer (timeout)".to_string(),
        E::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            "connection refused".to_string()
        }
        other => other.to_string(),
    };
    format!("{name} {rtype}: {why}")
}

/// TXT strings of `name` (each record's character-strings joined).
pub async fn txt(
    r: &TokioResolver,
    name: &str,
    timeout: Duration,
) -> Result<Answer<String>, String> {
    Ok(match lookup(r, name, RecordType::TXT, timeout).await? {
        Answer::Found(v) => Answer::Found(
            v.into_iter()
                .filter_map(|(d, p)| match d {
                    RData::TXT(t) => Some((
                        t.txt_data
                            .iter()
                            .map(|s| String::from_utf8_lossy(s).into_owned())
                            .collect::<String>(),
                        p,
                    )),
                    _ => None,
                })
                .collect(),
        ),
        Answer::NoData => Answer::NoData,
        Answer::NxDomain => Answer::NxDomain,
    })
}

/// MX records of `name`: (preference, exchange without trailing dot), sorted.
pub async fn mx(
    r: &TokioResolver,
    name: &str,
    timeout: Duration,
) -> Result<Answer<(u16, String)>, String> {
    Ok(match lookup(r, name, RecordType::MX, timeout).await? {
        Answer::Found(v) => {
            let mut out: Vec<((u16, String), Proof)> = v
                .into_iter()
                .filter_map(|(d, p)| match d {
                    RData::MX(m) => Some((
                        (
                            m.preference,
                            m.exchange.to_ascii().trim_end_matches('.').to_string(),
                        ),
                        p,
                    )),
                    _ => None,
                })
                .collect();
            out.sort_by(|a, b| a.0.cmp(&b.0));
            Answer::Found(out)
        }
        Answer::NoData => Answer::NoData,
        Answer::NxDomain => Answer::NxDomain,
    })
}

/// The first address of a host name.
pub async fn address(r: &TokioResolver, host: &str, timeout: Duration) -> Result<IpAddr, String> {
    let q = fqdn(host);
    match tokio::time::timeout(
        timeout + Duration::from_millis(250),
        r.lookup_ip(q.as_str()),
    )
    .await
    {
        Err(_) => Err(format!("{host}: no address within {timeout:?} (timeout)")),
        Ok(Ok(l)) => l
            .iter()
            .next()
            .ok_or_else(|| format!("{host}: no address record")),
        Ok(Err(e)) if e.is_nx_domain() => Err(format!("{host}: NXDOMAIN (no such name)")),
        Ok(Err(e)) if e.is_no_records_found() => Err(format!("{host}: no address record")),
        Ok(Err(e)) => Err(describe(host, RecordType::A, &e)),
    }
}

/// The organizational domain, approximated: the last two labels, or three when the second
/// to last is a common second-level public suffix (`agency.gov.uk`). This is not the Public
/// Suffix List; it is right for `.gov`, `.mil`, `.com`, `.us` and `.fed.us`-style names.
pub fn organizational_domain(name: &str) -> String {
    let labels: Vec<&str> = name.trim_end_matches('.').split('.').collect();
    let two_level = [
        "co", "com", "gov", "ac", "org", "net", "edu", "mil", "fed", "ltd", "nhs",
    ];
    let keep = if labels.len() >= 3
        && labels[labels.len() - 1].len() == 2
        && two_level.contains(&labels[labels.len() - 2])
    {
        3
    } else {
        2
    };
    let start = labels.len().saturating_sub(keep);
    labels[start..].join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_domain_approximation() {
        assert_eq!(organizational_domain("mail.agency.gov"), "agency.gov");
        assert_eq!(organizational_domain("agency.gov"), "agency.gov");
        assert_eq!(organizational_domain("a.b.agency.gov.uk"), "agency.gov.uk");
        assert_eq!(organizational_domain("x.fed.us"), "x.fed.us");
        assert_eq!(organizational_domain("gov"), "gov");
    }
}
