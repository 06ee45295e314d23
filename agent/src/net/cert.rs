//! `certificate` checks: expiry, key strength, signature hash and chain trust, for the chain
//! a TLS endpoint serves and for certificate files on the scanned host.
//!
//! Files (`certs` patterns, globs) are read through [`Host`], so under `--root`; a file may be
//! PEM (one or more `CERTIFICATE` blocks: bundles) or a single DER certificate. A pattern
//! that matches no file is an error (a configured target that is not there is never a pass).
//! For bundles every certificate is judged and the message names the offending subject.
//!
//! - `expiry`: not expired, and not expiring within `warn_days`; for a served chain only the
//!   leaf (intermediates are the CA's business and show up in `chain`), for files every
//!   certificate in the file.
//! - `key_strength`: RSA ≥ `min_rsa_bits`, EC on P-256/P-384/P-521, Ed25519 or Ed448, for
//!   every certificate (a weak intermediate weakens the chain); DSA and others fail.
//! - `signature`: no MD5/MD2/SHA-1 signature on any certificate except self-signed ones
//!   (a root's self-signature is not relied upon).
//! - `chain`: the served chain validates to the trust store and matches the server name
//!   (rustls' WebPkiServerVerifier: expired, unknown issuer, wrong name). Endpoints only:
//!   a file has no server name to match.

use super::check::{Eval, NetCheck, Targets};
use super::config::NetConfig;
use super::ctx::Ctx;
use super::tls::Endpoint;
use crate::host::Host;
use crate::outcome::{Finding, Outcome};
use crate::report::Evidence;
use rustls::pki_types::CertificateDer;
use serde::{Deserialize, Serialize};
use std::time::Instant;
use x509_parser::prelude::*;

/// One aspect of certificate hygiene.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "aspect", rename_all = "snake_case", deny_unknown_fields)]
pub enum Params {
    /// Not expired and not expiring soon.
    Expiry {
        /// Fail when the certificate expires within this many days.
        #[serde(default = "default_warn_days")]
        warn_days: u32,
    },
    /// Public key algorithm and size.
    KeyStrength {
        /// Minimum RSA modulus size in bits.
        #[serde(default = "default_rsa_bits")]
        min_rsa_bits: u32,
    },
    /// No MD5 / SHA-1 signatures.
    Signature {},
    /// The chain validates to the trust store and matches the name.
    Chain {},
}

fn default_warn_days() -> u32 {
    30
}

fn default_rsa_bits() -> u32 {
    2048
}

impl Params {
    /// True when the aspect applies to certificate files too.
    pub fn applies_to_files(&self) -> bool {
        !matches!(self, Params::Chain {})
    }
}

impl NetCheck for Params {
    fn targets(&self) -> Targets {
        Targets::Endpoints
    }

    /// Every file the `certs` patterns match, each its own finding; a pattern that is
    /// malformed or matches nothing is an error on the pattern.
    fn local(&self, host: &Host, cfg: &NetConfig) -> Vec<Finding> {
        if !self.applies_to_files() {
            return Vec::new();
        }
        // The patterns are globbed once per scan, for every certificate rule.
        let files = host.cached(&format!("net.cert_files {:?}", cfg.certs), || {
            cfg.certs
                .iter()
                .map(|pat| (pat.clone(), host.glob(pat)))
                .collect::<Vec<_>>()
        });
        let now = now_unix();
        let mut out = Vec::new();
        for (pat, matched) in files.iter() {
            let started = Instant::now();
            match matched {
                Err(e) => out.push(Finding::new(
                    Outcome::error(format!("certs pattern {pat:?}: {e}")),
                    Some(pat.clone()),
                    started,
                )),
                Ok(paths) if paths.is_empty() => out.push(Finding::new(
                    Outcome::error(format!(
                        "certs pattern {pat:?} matches no file under the scan root"
                    )),
                    Some(pat.clone()),
                    started,
                )),
                Ok(paths) => {
                    for path in paths {
                        let started = Instant::now();
                        let o = evaluate_file(self, host, path, now);
                        out.push(Finding::new(o, Some(path.clone()), started));
                    }
                }
            }
        }
        out
    }

    fn unconfigured(&self) -> &'static str {
        if self.applies_to_files() {
            "no TLS endpoints or certificate files configured"
        } else {
            "no TLS endpoints configured"
        }
    }

    fn endpoint<'a>(&'a self, ep: &'a Endpoint, ctx: &'a Ctx) -> Eval<'a> {
        Box::pin(evaluate_endpoint(self, ep, ctx))
    }
}

/// The facts the checks need from one certificate.
#[derive(Debug, Clone, PartialEq)]
pub struct CertFacts {
    /// Subject DN.
    pub subject: String,
    /// Issuer == subject.
    pub self_signed: bool,
    /// notAfter, Unix seconds.
    pub not_after: i64,
    /// notAfter, RFC 3339.
    pub not_after_text: String,
    /// `RSA-2048`, `EC P-256`, `Ed25519`, …
    pub key: String,
    /// Whether the key passes (given the RSA minimum, decided later).
    pub rsa_bits: Option<u32>,
    /// EC named curve OK / Ed25519 / Ed448.
    pub key_ok_non_rsa: bool,
    /// Signature algorithm name.
    pub signature: String,
    /// The signature uses MD5, MD2 or SHA-1.
    pub weak_signature: bool,
}

/// Parse one DER certificate.
pub fn facts(der: &[u8]) -> Result<CertFacts, String> {
    let (_, cert) =
        X509Certificate::from_der(der).map_err(|e| format!("not an X.509 certificate: {e}"))?;
    let subject = cert.subject().to_string();
    let self_signed = cert.subject().as_raw() == cert.issuer().as_raw();
    let not_after = cert.validity().not_after.timestamp();
    let not_after_text = ::time::OffsetDateTime::from_unix_timestamp(not_after)
        .ok()
        .and_then(|t| {
            t.format(&::time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| not_after.to_string());
    let spki = cert.public_key();
    let alg = spki.algorithm.algorithm.to_id_string();
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .map(|o| o.to_id_string());
    let (key, rsa_bits, key_ok_non_rsa) = match alg.as_str() {
        "1.2.840.113549.1.1.1" | "1.2.840.113549.1.1.10" => {
            let bits = match spki.parsed() {
                Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => rsa.key_size() as u32,
                _ => 0,
            };
            (format!("RSA-{bits}"), Some(bits), false)
        }
        "1.2.840.10045.2.1" => {
            let (name, ok) = match curve.as_deref() {
                Some("1.2.840.10045.3.1.7") => ("P-256".to_string(), true),
                Some("1.3.132.0.34") => ("P-384".to_string(), true),
                Some("1.3.132.0.35") => ("P-521".to_string(), true),
                Some(other) => (format!("curve {other}"), false),
                None => ("unnamed curve".to_string(), false),
            };
            (format!("EC {name}"), None, ok)
        }
        "1.3.101.112" => ("Ed25519".to_string(), None, true),
        "1.3.101.113" => ("Ed448".to_string(), None, true),
        "1.2.840.10040.4.1" => ("DSA".to_string(), None, false),
        other => (format!("key algorithm {other}"), None, false),
    };
    let sig_oid = cert.signature_algorithm.algorithm.to_id_string();
    let (signature, weak_signature) = match sig_oid.as_str() {
        "1.2.840.113549.1.1.2" => ("md2WithRSAEncryption".to_string(), true),
        "1.2.840.113549.1.1.4" | "1.3.14.3.2.25" => ("md5WithRSAEncryption".to_string(), true),
        "1.2.840.113549.1.1.5" | "1.3.14.3.2.29" => ("sha1WithRSAEncryption".to_string(), true),
        "1.2.840.10045.4.1" => ("ecdsa-with-SHA1".to_string(), true),
        "1.2.840.10040.4.3" => ("dsa-with-sha1".to_string(), true),
        "1.2.840.113549.1.1.11" => ("sha256WithRSAEncryption".to_string(), false),
        "1.2.840.113549.1.1.12" => ("sha384WithRSAEncryption".to_string(), false),
        "1.2.840.113549.1.1.13" => ("sha512WithRSAEncryption".to_string(), false),
        "1.2.840.10045.4.3.2" => ("ecdsa-with-SHA256".to_string(), false),
        "1.2.840.10045.4.3.3" => ("ecdsa-with-SHA384".to_string(), false),
        "1.2.840.10045.4.3.4" => ("ecdsa-with-SHA512".to_string(), false),
        "1.3.101.112" => ("Ed25519".to_string(), false),
        "1.2.840.113549.1.1.10" => ("RSASSA-PSS".to_string(), false),
        other => (other.to_string(), false),
    };
    Ok(CertFacts {
        subject,
        self_signed,
        not_after,
        not_after_text,
        key,
        rsa_bits,
        key_ok_non_rsa,
        signature,
        weak_signature,
    })
}

/// Certificates in a file: PEM blocks, else the whole file as DER.
pub fn certs_in_file(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    use rustls::pki_types::pem::PemObject;
    let looks_pem = bytes.windows(11).any(|w| w == b"-----BEGIN ");
    if looks_pem {
        let mut out = Vec::new();
        for item in CertificateDer::pem_slice_iter(bytes) {
            match item {
                Ok(c) => out.push(c.as_ref().to_vec()),
                Err(e) => return Err(format!("bad PEM: {e}")),
            }
        }
        if out.is_empty() {
            return Err("PEM file with no CERTIFICATE block".to_string());
        }
        Ok(out)
    } else if bytes.first() == Some(&0x30) {
        Ok(vec![bytes.to_vec()])
    } else {
        Err("neither PEM nor DER".to_string())
    }
}

/// Judge a list of certificates (served chain, leaf first, or a file's certificates).
/// `where_` names the target; `leaf_only_expiry` restricts expiry to the first certificate.
pub fn judge(
    p: &Params,
    ders: &[Vec<u8>],
    where_: &str,
    now: i64,
    leaf_only_expiry: bool,
) -> Outcome {
    let mut parsed = Vec::new();
    for (i, d) in ders.iter().enumerate() {
        match facts(d) {
            Ok(f) => parsed.push(f),
            Err(e) => {
                return Outcome::error(format!("{where_}: certificate #{}: {e}", i + 1))
                    .with(Evidence::default().context(where_.to_string()).observed(e))
            }
        }
    }
    if parsed.is_empty() {
        return Outcome::error(format!("{where_}: no certificate"));
    }
    let ev = |f: &CertFacts, obs: String, exp: &str| {
        Evidence::default()
            .context(format!("{where_}: {}", f.subject))
            .observed(obs)
            .expected(exp.to_string())
    };
    match p {
        Params::Expiry { warn_days } => {
            let exp = format!("valid for more than {warn_days} days");
            let horizon = now + i64::from(*warn_days) * 86400;
            let judged = if leaf_only_expiry {
                &parsed[..1]
            } else {
                &parsed[..]
            };
            let mut bad = Vec::new();
            let mut evidence = Vec::new();
            for f in judged {
                let days = (f.not_after - now).div_euclid(86400);
                let obs = format!(
                    "notAfter {} ({})",
                    f.not_after_text,
                    relative(f.not_after, now)
                );
                if f.not_after < now {
                    bad.push(format!("{:?} expired on {}", f.subject, f.not_after_text));
                } else if f.not_after < horizon {
                    bad.push(format!(
                        "{:?} expires on {} (in {days} days)",
                        f.subject, f.not_after_text
                    ));
                }
                evidence.push(ev(f, obs, &exp));
            }
            if bad.is_empty() {
                let f = &judged[0];
                Outcome::pass(format!(
                    "{where_}: certificate valid until {}",
                    f.not_after_text
                ))
                .with_all(evidence)
            } else {
                Outcome::fail(format!(
                    "{where_}: {} (expected more than {warn_days} days of validity)",
                    bad.join("; ")
                ))
                .with_all(evidence)
            }
        }
        Params::KeyStrength { min_rsa_bits } => {
            let exp = format!("RSA >= {min_rsa_bits} bits, EC P-256/P-384/P-521, Ed25519");
            let mut bad = Vec::new();
            let mut evidence = Vec::new();
            for f in &parsed {
                let ok = match f.rsa_bits {
                    Some(bits) => bits >= *min_rsa_bits,
                    None => f.key_ok_non_rsa,
                };
                if !ok {
                    bad.push(format!("{:?} has a {} key", f.subject, f.key));
                }
                evidence.push(ev(f, f.key.clone(), &exp));
            }
            if bad.is_empty() {
                let keys: Vec<&str> = parsed.iter().map(|f| f.key.as_str()).collect();
                Outcome::pass(format!("{where_}: keys {}", keys.join(", "))).with_all(evidence)
            } else {
                Outcome::fail(format!("{where_}: {} (expected {exp})", bad.join("; ")))
                    .with_all(evidence)
            }
        }
        Params::Signature {} => {
            let exp = "SHA-256 or stronger (self-signed roots excepted)";
            let mut bad = Vec::new();
            let mut evidence = Vec::new();
            for f in &parsed {
                if f.weak_signature && !f.self_signed {
                    bad.push(format!("{:?} is signed with {}", f.subject, f.signature));
                }
                evidence.push(ev(f, f.signature.clone(), exp));
            }
            if bad.is_empty() {
                Outcome::pass(format!("{where_}: no MD5 or SHA-1 signature in the chain"))
                    .with_all(evidence)
            } else {
                Outcome::fail(format!("{where_}: {} (expected {exp})", bad.join("; ")))
                    .with_all(evidence)
            }
        }
        Params::Chain {} => Outcome::error("chain trust is judged from the handshake"),
    }
}

/// Evaluate a `certificate` rule on one certificate file (host path) of the scanned tree.
pub fn evaluate_file(p: &Params, host: &Host, path: &str, now: i64) -> Outcome {
    let bytes = match host.read_bytes(path) {
        Ok(b) => b,
        Err(e) => {
            return Outcome::error(format!("cannot read {e}"))
                .with(Evidence::at(path, None).observed(e.source.to_string()))
        }
    };
    let ders = match certs_in_file(&bytes) {
        Ok(d) => d,
        Err(e) => {
            return Outcome::error(format!("{path}: {e}"))
                .with(Evidence::at(path, None).observed(e))
        }
    };
    let mut o = judge(p, &ders, path, now, false);
    for e in &mut o.evidence {
        e.path = Some(path.to_string());
    }
    o
}

/// A `certificate` rule on the chain one endpoint served.
async fn evaluate_endpoint(p: &Params, ep: &Endpoint, ctx: &Ctx) -> Outcome {
    let hs = ep.handshake(ctx).await;
    let label = ep.target.label();
    if hs.chain.is_empty() {
        return Outcome::error(format!(
            "{label}: no certificate received: {}",
            hs.error
                .as_deref()
                .unwrap_or("handshake did not reach the certificate")
        ));
    }
    let mut outcome = match p {
        Params::Chain {} => {
            let name = ep
                .target
                .sni
                .clone()
                .unwrap_or_else(|| ep.target.host.clone());
            let ev = |obs: String| {
                Evidence::default()
                    .context(label.clone())
                    .observed(obs)
                    .expected(format!(
                        "chain valid to the trust store ({}), name {name}",
                        ctx.tls().trust_source
                    ))
            };
            match &hs.trust {
                Some(Ok(())) => Outcome::pass(format!(
                    "{label}: chain validates to the trust store and matches {name}"
                ))
                .with(ev("valid".to_string())),
                Some(Err(e))
                    if e.starts_with("no trust store")
                        || e.starts_with("trust store")
                        || e.starts_with("ca_bundle")
                        || e.starts_with("system trust store") =>
                {
                    Outcome::error(format!("{label}: {e}"))
                }
                Some(Err(e)) => Outcome::fail(format!("{label}: {e}")).with(ev(e.clone())),
                None => Outcome::error(format!("{label}: no chain to judge")),
            }
        }
        _ => {
            let ders: Vec<Vec<u8>> = hs.chain.iter().map(|c| c.as_ref().to_vec()).collect();
            judge(p, &ders, &label, now_unix(), true)
        }
    };
    if let Some(v) = &hs.legacy {
        outcome.message.push_str(&format!(
            " (chain read from a {v} handshake: rustls cannot complete one with this server)"
        ));
    }
    outcome
}

/// Unix time now.
pub fn now_unix() -> i64 {
    ::time::OffsetDateTime::now_utc().unix_timestamp()
}

/// `notAfter` relative to `now`, in whole days: "in 10 days", "expired 2 days ago".
fn relative(not_after: i64, now: i64) -> String {
    let plural = |n: i64| if n == 1 { "day" } else { "days" };
    if not_after < now {
        match (now - not_after).div_euclid(86400) {
            0 => "expired less than a day ago".to_string(),
            ago => format!("expired {ago} {} ago", plural(ago)),
        }
    } else {
        let days = (not_after - now).div_euclid(86400);
        format!("{days} {} from now", plural(days))
    }
}

#[test]
fn expiry_is_said_relative_to_now_without_negative_days() {
    assert_eq!(relative(86400 * 10 + 5, 0), "10 days from now");
    assert_eq!(relative(86400, 0), "1 day from now");
    assert_eq!(relative(0, 86400 * 2 + 7), "expired 2 days ago");
    assert_eq!(relative(0, 3600), "expired less than a day ago");
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn make(alg: &'static rcgen::SignatureAlgorithm, days_left: i64) -> Vec<u8> {
        let key = rcgen::KeyPair::generate_for(alg).unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["good.test".to_string()]).unwrap();
        let now = ::time::OffsetDateTime::now_utc();
        params.not_before = now - ::time::Duration::days(400);
        params.not_after = now + ::time::Duration::days(days_left);
        params.self_signed(&key).unwrap().der().to_vec()
    }

    #[test]
    fn expiry_key_and_signature_of_generated_certs() {
        let now = now_unix();
        let good = make(&rcgen::PKCS_ECDSA_P256_SHA256, 200);
        let soon = make(&rcgen::PKCS_ED25519, 10);
        let old = make(&rcgen::PKCS_ECDSA_P384_SHA384, -3);
        let exp = Params::Expiry { warn_days: 30 };
        assert_eq!(
            judge(&exp, std::slice::from_ref(&good), "t", now, true)
                .status
                .as_str(),
            "pass"
        );
        let o = judge(&exp, std::slice::from_ref(&soon), "t", now, true);
        assert_eq!(o.status.as_str(), "fail", "{}", o.message);
        assert!(o.message.contains("expires on"), "{}", o.message);
        let o = judge(&exp, std::slice::from_ref(&old), "t", now, true);
        assert!(o.message.contains("expired on"), "{}", o.message);
        // Leaf only for a served chain; every certificate of a file.
        assert_eq!(
            judge(&exp, &[good.clone(), old.clone()], "t", now, true)
                .status
                .as_str(),
            "pass"
        );
        assert_eq!(
            judge(&exp, &[good.clone(), old], "t", now, false)
                .status
                .as_str(),
            "fail"
        );
        let ks = Params::KeyStrength { min_rsa_bits: 2048 };
        let o = judge(&ks, &[good.clone(), soon], "t", now, true);
        assert_eq!(o.status.as_str(), "pass", "{}", o.message);
        assert!(o.message.contains("EC P-256, Ed25519"), "{}", o.message);
        let o = judge(&Params::Signature {}, &[good], "t", now, true);
        assert_eq!(o.status.as_str(), "pass");
    }

    #[test]
    fn files_pem_bundles_and_der() {
        let a = make(&rcgen::PKCS_ECDSA_P256_SHA256, 100);
        let text = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            base64_lines(&a)
        );
        let two = format!("{text}{text}");
        assert_eq!(certs_in_file(two.as_bytes()).unwrap().len(), 2);
        assert_eq!(certs_in_file(&a).unwrap().len(), 1);
        assert!(certs_in_file(b"hello").is_err());
        assert!(
            certs_in_file(b"-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n")
                .is_err()
        );
    }

    fn base64_lines(d: &[u8]) -> String {
        const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut s = String::new();
        for c in d.chunks(3) {
            let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= c.len() {
                    s.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    s.push('=');
                }
            }
        }
        s.as_bytes()
            .chunks(64)
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect::<Vec<_>>()
            .join("\n")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = facts(&bytes);
            let _ = certs_in_file(&bytes);
        }
    }
}
