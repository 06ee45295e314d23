//! SMTP STARTTLS (RFC 3207): the upgrade used by TLS targets with `starttls = "smtp"`, and
//! the `smtp_starttls` check: every MX host of a domain offers STARTTLS in its EHLO reply
//! and completes a TLS handshake after it.
//!
//! The client reads the 220 greeting, sends `EHLO hardline-agent.invalid`, looks for the
//! `STARTTLS` keyword, sends `STARTTLS` and expects 220; then TLS starts (rustls, any
//! certificate accepted here: the certificate rules judge certificates, and opportunistic
//! SMTP TLS is what this rule is about). No mail is ever sent. A domain without MX, or
//! with a null MX, is not applicable; an MX host that cannot be reached is an error; one
//! that does not offer STARTTLS, or whose handshake fails, fails the rule.

use super::config::{DomainTarget, Starttls, TlsTarget};
use super::dns::{self, Answer};
use super::tls::{io_reason, Endpoint};
use super::Ctx;
use crate::outcome::Outcome;
use crate::report::Evidence;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Prefix of the error when the server does not offer STARTTLS.
pub const NOT_OFFERED: &str = "STARTTLS not offered";

/// Parameters of the `smtp_starttls` check (none yet).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

/// Read one SMTP reply (possibly multi-line): (code, lines).
async fn reply(stream: &mut TcpStream) -> Result<(u16, Vec<String>), String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        let text = String::from_utf8_lossy(&buf).into_owned();
        if let Some(r) = parse_reply(&text) {
            return r;
        }
        if buf.len() > 16 * 1024 {
            return Err("SMTP reply longer than 16 KiB".to_string());
        }
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|e| format!("SMTP: {}", io_reason(&e)))?;
        if n == 0 {
            return Err("SMTP: connection closed".to_string());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// A complete reply in `text`, `None` when more is needed.
pub fn parse_reply(text: &str) -> Option<Result<(u16, Vec<String>), String>> {
    let mut lines = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find('\n') {
        let line = rest[..i].trim_end_matches('\r');
        rest = &rest[i + 1..];
        if line.len() < 3 || !line.as_bytes()[..3].iter().all(u8::is_ascii_digit) {
            return Some(Err(format!(
                "SMTP: not an SMTP reply: {:?}",
                line.chars().take(40).collect::<String>()
            )));
        }
        let code: u16 = line[..3].parse().unwrap_or(0);
        let more = line.as_bytes().get(3) == Some(&b'-');
        lines.push(line.get(4..).unwrap_or("").to_string());
        if !more {
            return Some(Ok((code, lines)));
        }
    }
    None
}

/// Upgrade a fresh SMTP connection with STARTTLS (the TLS handshake is the caller's).
pub async fn starttls(stream: &mut TcpStream) -> Result<(), String> {
    let (code, _) = reply(stream).await?;
    if code != 220 {
        return Err(format!("SMTP greeting {code} (expected 220)"));
    }
    stream
        .write_all(b"EHLO hardline-agent.invalid\r\n")
        .await
        .map_err(|e| format!("SMTP: {}", io_reason(&e)))?;
    let (code, lines) = reply(stream).await?;
    if code != 250 {
        return Err(format!("SMTP EHLO answered {code} (expected 250)"));
    }
    let offered = lines.iter().skip(1).any(|l| {
        l.split_whitespace()
            .next()
            .is_some_and(|k| k.eq_ignore_ascii_case("STARTTLS"))
    });
    if !offered {
        return Err(format!(
            "{NOT_OFFERED} (EHLO keywords: {})",
            lines
                .iter()
                .skip(1)
                .map(|l| l.split_whitespace().next().unwrap_or(""))
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
    stream
        .write_all(b"STARTTLS\r\n")
        .await
        .map_err(|e| format!("SMTP: {}", io_reason(&e)))?;
    let (code, lines) = reply(stream).await?;
    if code != 220 {
        return Err(format!("SMTP STARTTLS answered {code} {}", lines.join(" ")));
    }
    Ok(())
}

/// Evaluate `smtp_starttls` on one domain.
pub async fn evaluate(d: &DomainTarget, ctx: &Ctx) -> Outcome {
    let domain = &d.name;
    let r = match ctx.resolver().await {
        Ok(r) => r,
        Err(e) => return Outcome::error(format!("{domain}: {e}")),
    };
    let mxs = match dns::mx(r, domain, ctx.cfg.timeout).await {
        Err(e) => return Outcome::error(format!("{domain}: MX lookup failed: {e}")),
        Ok(Answer::NxDomain) => {
            return Outcome::error(format!("{domain}: NXDOMAIN (the domain does not exist)"))
        }
        Ok(Answer::NoData) => {
            return Outcome::not_applicable(format!("{domain}: no MX record (receives no mail)"))
        }
        Ok(Answer::Found(v)) => v,
    };
    let hosts: Vec<String> = mxs
        .iter()
        .map(|((_, h), _)| h.clone())
        .filter(|h| !h.is_empty())
        .collect();
    if hosts.is_empty() {
        return Outcome::not_applicable(format!("{domain}: null MX (RFC 7505: accepts no mail)"));
    }
    let results = super::tls::futures_join(hosts.iter().map(|h| async move {
        let ep = Endpoint::new(TlsTarget {
            host: h.clone(),
            port: d.smtp_port,
            sni: Some(h.clone()),
            starttls: Some(Starttls::Smtp),
            https: false,
            discovered: false,
        });
        (h.clone(), ep.handshake(ctx).await)
    }))
    .await;
    let expected = "STARTTLS offered and TLS handshake completed";
    let mut bad = Vec::new();
    let mut errors = Vec::new();
    let mut evidence = Vec::new();
    for (h, hs) in &results {
        let target = format!("{h}:{}", d.smtp_port);
        let obs = match (&hs.error, &hs.negotiated) {
            (None, Some((v, s))) => format!("STARTTLS, then {v} {s}"),
            (Some(e), _) if e.starts_with(NOT_OFFERED) || e.starts_with("TLS handshake failed") => {
                bad.push(format!("{target}: {e}"));
                e.clone()
            }
            (Some(e), _) => {
                errors.push(format!("{target}: {e}"));
                e.clone()
            }
            (None, None) => "no verdict".to_string(),
        };
        evidence.push(
            Evidence::default()
                .context(target)
                .observed(obs)
                .expected(expected),
        );
    }
    if !bad.is_empty() {
        Outcome::fail(format!("{domain}: MX {}", bad.join("; "))).with_all(evidence)
    } else if !errors.is_empty() {
        Outcome::error(format!("{domain}: MX unreachable: {}", errors.join("; ")))
            .with_all(evidence)
    } else {
        Outcome::pass(format!(
            "{domain}: every MX ({}) offers STARTTLS and completes TLS",
            hosts.join(", ")
        ))
        .with_all(evidence)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_replies() {
        assert_eq!(
            parse_reply("220 mx ESMTP\r\n"),
            Some(Ok((220, vec!["mx ESMTP".into()])))
        );
        let r = parse_reply("250-mx\r\n250-SIZE 1\r\n250 STARTTLS\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(r.1, vec!["mx", "SIZE 1", "STARTTLS"]);
        assert_eq!(parse_reply("250-mx\r\n250-SI"), None);
        assert!(parse_reply("HTTP/1.1 400\r\n").unwrap().is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn never_panics(s in ".{0,200}") {
            let _ = parse_reply(&s);
        }
    }
}
