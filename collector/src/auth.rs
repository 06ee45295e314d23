//! Bearer tokens and per-token rate limits.
//!
//! The configuration holds only SHA-256 hashes of tokens. A request's token is hashed and
//! compared against EVERY configured hash with a constant-time comparison (`subtle`), and
//! the matching entry is selected without a data-dependent branch, so the time taken does
//! not depend on which hash matched or on how many leading bytes agreed.

use crate::config::{AgencyConfig, Role};
use std::sync::Mutex;
use std::time::Instant;
use subtle::{ConditionallySelectable, ConstantTimeEq};

/// Who a request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    /// Index of the token entry (rate-limit bucket).
    pub token: usize,
    /// Agency index.
    pub agency: usize,
    /// Role.
    pub role: Role,
    /// Viewer that may read every agency.
    pub all_agencies: bool,
}

impl Principal {
    /// May this principal read agency `a`?
    pub fn may_read(&self, agency: usize) -> bool {
        self.role == Role::Viewer && (self.all_agencies || self.agency == agency)
    }
}

struct Entry {
    hash: [u8; 32],
    principal: Principal,
}

/// The configured tokens.
pub struct Tokens {
    entries: Vec<Entry>,
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

impl Tokens {
    /// Build from the agencies' token lists.
    pub fn new(agencies: &[AgencyConfig]) -> Tokens {
        let mut entries = Vec::new();
        for (agency, a) in agencies.iter().enumerate() {
            for t in &a.tokens {
                let token = entries.len();
                entries.push(Entry {
                    hash: t.sha256,
                    principal: Principal {
                        token,
                        agency,
                        role: t.role,
                        all_agencies: t.all_agencies,
                    },
                });
            }
        }
        Tokens { entries }
    }

    /// Number of configured tokens.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no token is configured.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The principal of `token`, if it is configured.
    pub fn lookup(&self, token: &[u8]) -> Option<Principal> {
        let digest = sha256(token);
        let mut found = subtle::Choice::from(0u8);
        let mut index: u64 = 0;
        for (i, e) in self.entries.iter().enumerate() {
            let eq = e.hash.ct_eq(&digest);
            index = u64::conditional_select(&index, &(i as u64), eq);
            found |= eq;
        }
        if bool::from(found) {
            self.entries.get(index as usize).map(|e| e.principal)
        } else {
            None
        }
    }
}

/// The bearer token of an `Authorization` header value.
pub fn bearer(header: Option<&[u8]>) -> Option<&[u8]> {
    let h = header?;
    let (scheme, rest) = h.split_at(h.iter().position(|&b| b == b' ')?);
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return None;
    }
    let token = rest.trim_ascii();
    (!token.is_empty()).then_some(token)
}

/// Token buckets, one per configured token.
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<Vec<(f64, Instant)>>,
}

impl RateLimiter {
    /// `rate_per_minute` sustained, `burst` at once, for `n` tokens.
    pub fn new(n: usize, rate_per_minute: u32, burst: u32) -> RateLimiter {
        let now = Instant::now();
        RateLimiter {
            per_second: f64::from(rate_per_minute) / 60.0,
            burst: f64::from(burst),
            buckets: Mutex::new(vec![(f64::from(burst), now); n]),
        }
    }

    /// Take one request from `token`'s bucket; `Err(seconds until one is available)` when empty.
    pub fn check(&self, token: usize) -> Result<(), u64> {
        let now = Instant::now();
        let mut buckets = match self.buckets.lock() {
            Ok(b) => b,
            Err(p) => p.into_inner(),
        };
        let Some((level, last)) = buckets.get_mut(token) else {
            return Ok(());
        };
        let elapsed = now.saturating_duration_since(*last).as_secs_f64();
        *level = (*level + elapsed * self.per_second).min(self.burst);
        *last = now;
        if *level >= 1.0 {
            *level -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *level) / self.per_second).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TokenConfig;

    #[test]
    fn lookup_finds_the_right_entry_only() {
        let agencies: Vec<AgencyConfig> = (0..3)
            .map(|i| AgencyConfig {
                name: toml::Spanned::new(0..0, format!("A{i}")),
                tokens: vec![
                    TokenConfig {
                        role: Role::Agent,
                        sha256: sha256(format!("agent{i}").as_bytes()),
                        all_agencies: false,
                    },
                    TokenConfig {
                        role: Role::Viewer,
                        sha256: sha256(format!("viewer{i}").as_bytes()),
                        all_agencies: false,
                    },
                ],
            })
            .collect();
        let t = Tokens::new(&agencies);
        let p = t.lookup(b"viewer2").unwrap();
        assert_eq!((p.agency, p.role), (2, Role::Viewer));
        assert_eq!(t.lookup(b"agent0").unwrap().role, Role::Agent);
        assert!(t.lookup(b"agent3").is_none());
        assert!(t.lookup(b"").is_none());
    }

    #[test]
    fn sha256_matches_known_vector() {
        assert_eq!(
            hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn bearer_parsing() {
        assert_eq!(bearer(Some(b"Bearer abc")), Some(&b"abc"[..]));
        assert_eq!(bearer(Some(b"bearer  abc ")), Some(&b"abc"[..]));
        assert_eq!(bearer(Some(b"Basic abc")), None);
        assert_eq!(bearer(Some(b"Bearer ")), None);
        assert_eq!(bearer(None), None);
    }

    #[test]
    fn rate_limiter_allows_burst_then_refuses() {
        let r = RateLimiter::new(1, 1, 3);
        for _ in 0..3 {
            assert!(r.check(0).is_ok());
        }
        assert!(r.check(0).is_err());
    }
}
