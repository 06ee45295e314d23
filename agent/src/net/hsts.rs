//! `hsts` check: an HTTPS endpoint's response carries `Strict-Transport-Security` with a
//! long enough `max-age` (RFC 6797).
//!
//! Over the endpoint's shared handshake the agent sends one `GET /` (HTTP/1.1, `Host:` the
//! SNI name or the address, `Connection: close`) and reads the response head only (at most
//! 32 KiB). Whatever the status (a redirect too), the header is judged as a browser would:
//! the first `Strict-Transport-Security` field counts; `max-age` may be quoted; an absent
//! or unparsable header fails. Endpoints are HTTPS when marked `https = true`, or on port
//! 443 without STARTTLS; with none, the rule is not applicable.

use super::check::{Eval, NetCheck, Targets};
use super::ctx::Ctx;
use super::tls::{Endpoint, Handshake};
use crate::outcome::Outcome;
use crate::report::Evidence;
use serde::{Deserialize, Serialize};

/// Parameters of the `hsts` check.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Minimum `max-age` in seconds (one year: 31536000).
    #[serde(default = "default_max_age")]
    pub min_max_age: u64,
}

impl NetCheck for Params {
    fn targets(&self) -> Targets {
        Targets::HttpsEndpoints
    }

    fn endpoint<'a>(&'a self, ep: &'a Endpoint, ctx: &'a Ctx) -> Eval<'a> {
        Box::pin(async move {
            let hs = ep.handshake(ctx).await;
            evaluate(self, &hs, &ep.target.label())
        })
    }
}

fn default_max_age() -> u64 {
    31_536_000
}

/// Judge the endpoint's handshake result.
pub fn evaluate(p: &Params, hs: &Handshake, label: &str) -> Outcome {
    let expected = format!("Strict-Transport-Security: max-age>={}", p.min_max_age);
    let ev = |obs: String| {
        Evidence::default()
            .context(label.to_string())
            .observed(obs)
            .expected(expected.clone())
    };
    match &hs.hsts {
        None => Outcome::error(format!(
            "{label}: no HTTPS response: {}",
            hs.error
                .as_deref()
                .unwrap_or("the handshake did not complete")
        )),
        Some(Err(e)) => {
            Outcome::error(format!("{label}: HTTPS request failed: {e}")).with(ev(e.clone()))
        }
        Some(Ok(None)) => Outcome::fail(format!(
            "{label}: the response has no Strict-Transport-Security header (expected max-age>={})",
            p.min_max_age
        ))
        .with(ev("no Strict-Transport-Security header".to_string())),
        Some(Ok(Some(value))) => match max_age(value) {
            Some(age) if age >= p.min_max_age => {
                Outcome::pass(format!("{label}: Strict-Transport-Security max-age={age}"))
                    .with(ev(value.clone()))
            }
            Some(age) => Outcome::fail(format!(
                "{label}: Strict-Transport-Security max-age={age} is below {} (\"{value}\")",
                p.min_max_age
            ))
            .with(ev(value.clone())),
            None => Outcome::fail(format!(
                "{label}: Strict-Transport-Security {value:?} has no valid max-age"
            ))
            .with(ev(value.clone())),
        },
    }
}

/// The `max-age` directive of a header value.
pub fn max_age(value: &str) -> Option<u64> {
    value.split(';').find_map(|d| {
        let (k, v) = d.split_once('=')?;
        if !k.trim().eq_ignore_ascii_case("max-age") {
            return None;
        }
        let v = v.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(v);
        v.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::wire::parse_head;
    use proptest::prelude::*;

    #[test]
    fn parses_headers_and_max_age() {
        let h = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nstrict-transport-security: max-age=\"63072000\"; includeSubDomains\r\nStrict-Transport-Security: max-age=1";
        let v = parse_head(h).unwrap().unwrap();
        assert_eq!(max_age(&v), Some(63_072_000));
        assert_eq!(
            parse_head(b"HTTP/1.1 301 Moved\r\nLocation: /").unwrap(),
            None
        );
        assert!(parse_head(b"SSH-2.0-x").is_err());
        assert_eq!(
            max_age("includeSubDomains; MAX-AGE = 31536000"),
            Some(31_536_000)
        );
        assert_eq!(max_age("max-age=abc"), None);
        assert_eq!(max_age("preload"), None);
    }

    #[test]
    fn judges() {
        let p = Params {
            min_max_age: 31_536_000,
        };
        let hs = |v: Option<&str>| Handshake {
            hsts: Some(Ok(v.map(str::to_string))),
            ..Handshake::default()
        };
        assert_eq!(
            evaluate(&p, &hs(Some("max-age=31536000")), "x")
                .status
                .as_str(),
            "pass"
        );
        assert_eq!(
            evaluate(&p, &hs(Some("max-age=300")), "x").status.as_str(),
            "fail"
        );
        assert_eq!(evaluate(&p, &hs(None), "x").status.as_str(), "fail");
        assert_eq!(
            evaluate(&p, &Handshake::default(), "x").status.as_str(),
            "error"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300), s in ".{0,80}") {
            let _ = parse_head(&bytes);
            let _ = max_age(&s);
        }
    }
}
