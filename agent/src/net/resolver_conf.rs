//! `resolver` check (host.resolver): the scanned host's `/etc/resolv.conf` (read through
//! [`Host`], so under `--root`; a symbolic link such as systemd-resolved's
//! `stub-resolv.conf` is followed inside the root) lists only nameservers from the
//! configuration's `allowed_resolvers` — e.g. the agency's protective DNS.
//!
//! Not applicable when no `allowed_resolvers` are configured. A missing file fails: the C
//! library then falls back to 127.0.0.1, which is allowed only if listed. A file with no
//! `nameserver` line fails the same way. Comments start with `#` or `;`. An IPv6 address
//! with a zone (`fe80::1%eth0`) is compared without the zone.

use super::check::{NetCheck, Targets};
use super::config::NetConfig;
use crate::host::Host;
use crate::outcome::Finding;
use crate::outcome::Outcome;
use crate::report::Evidence;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::time::Instant;

/// Parameters of the `resolver` check.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The resolver configuration file (host path).
    #[serde(default = "default_path")]
    pub path: String,
}

impl NetCheck for Params {
    fn targets(&self) -> Targets {
        Targets::Local
    }

    /// One finding; its target is the file when `allowed_resolvers` is configured.
    fn local(&self, host: &Host, cfg: &NetConfig) -> Vec<Finding> {
        let started = Instant::now();
        let o = evaluate(self, host, &cfg.allowed_resolvers);
        let target = (!cfg.allowed_resolvers.is_empty()).then(|| self.path.clone());
        vec![Finding::new(o, target, started)]
    }
}

fn default_path() -> String {
    "/etc/resolv.conf".to_string()
}

/// `nameserver` entries: (line, text, parsed address).
pub fn nameservers(text: &str) -> Vec<(u32, String, Option<IpAddr>)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let mut it = line.split_whitespace();
        if it.next() != Some("nameserver") {
            continue;
        }
        let v = it.next().unwrap_or("").to_string();
        let ip = v.split('%').next().and_then(|a| a.parse().ok());
        out.push((i as u32 + 1, v, ip));
    }
    out
}

/// Evaluate host.resolver.
pub fn evaluate(p: &Params, host: &Host, allowed: &[IpAddr]) -> Outcome {
    if allowed.is_empty() {
        return Outcome::not_applicable(
            "no allowed_resolvers configured (set them in the agent configuration)",
        );
    }
    let list: Vec<String> = allowed.iter().map(|a| a.to_string()).collect();
    let expected = format!("only {}", list.join(", "));
    let text = match host.read_optional(&p.path) {
        Err(e) => return Outcome::error(format!("cannot read {e}")),
        Ok(None) => {
            let loopback: IpAddr = [127, 0, 0, 1].into();
            return if allowed.contains(&loopback) {
                Outcome::pass(format!(
                    "{} is absent: the resolver is 127.0.0.1, which is allowed",
                    p.path
                ))
            } else {
                Outcome::fail(format!(
                    "{} is absent, so the host resolves through 127.0.0.1 (expected {expected})",
                    p.path
                ))
                .with(
                    Evidence::at(&p.path, None)
                        .observed("file absent")
                        .expected(expected),
                )
            };
        }
        Ok(Some(t)) => t,
    };
    let servers = nameservers(&text);
    if servers.is_empty() {
        return Outcome::fail(format!(
            "{} lists no nameserver, so the host resolves through 127.0.0.1 (expected {expected})",
            p.path
        ))
        .with(
            Evidence::at(&p.path, None)
                .observed("no nameserver line")
                .expected(expected),
        );
    }
    let mut bad = Vec::new();
    let mut evidence = Vec::new();
    for (line, v, ip) in &servers {
        let ok = ip.is_some_and(|ip| allowed.contains(&ip));
        if !ok {
            bad.push(format!("{v} ({}:{line})", p.path));
        }
        evidence.push(
            Evidence::at(&p.path, Some(*line))
                .observed(format!("nameserver {v}"))
                .expected(expected.clone()),
        );
    }
    if bad.is_empty() {
        let names: Vec<&str> = servers.iter().map(|(_, v, _)| v.as_str()).collect();
        Outcome::pass(format!(
            "{} uses only allowed resolvers: {}",
            p.path,
            names.join(", ")
        ))
        .with_all(evidence)
    } else {
        Outcome::fail(format!(
            "{} lists resolvers that are not allowed: {} (expected {expected})",
            p.path,
            bad.join(", ")
        ))
        .with_all(evidence)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::fixture;
    use proptest::prelude::*;

    fn run(case: &str, allowed: &[&str]) -> Outcome {
        let host = Host::new(fixture(&format!("net/resolver/{case}")));
        let allowed: Vec<IpAddr> = allowed.iter().map(|a| a.parse().unwrap()).collect();
        evaluate(
            &Params {
                path: default_path(),
            },
            &host,
            &allowed,
        )
    }

    #[test]
    fn fixtures() {
        assert_eq!(
            run("good", &["10.0.0.53", "10.0.1.53"]).status.as_str(),
            "pass"
        );
        let o = run("bad", &["10.0.0.53"]);
        assert_eq!(o.status.as_str(), "fail");
        assert!(
            o.message.contains("8.8.8.8 (/etc/resolv.conf:3)"),
            "{}",
            o.message
        );
        // A symbolic link to systemd-resolved's stub is followed inside the root.
        let o = run("stub", &["10.0.0.53"]);
        assert!(o.message.contains("127.0.0.53"), "{}", o.message);
        assert_eq!(run("absent", &["10.0.0.53"]).status.as_str(), "fail");
        assert_eq!(run("good", &[]).status.as_str(), "not_applicable");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn never_panics(s in ".{0,300}") {
            let _ = nameservers(&s);
        }
    }
}
