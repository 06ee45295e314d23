//! Algorithm lists: OpenSSH's tables and its `+`/`-`/`^` list assembly.
//!
//! The tables are those of OpenSSH 9.2p1 as built by Debian 12 (OpenSSL 3): the
//! supported lists are `ssh -Q cipher|mac|kex|key-sig`, the defaults are what
//! `sshd -T` prints for an empty configuration. [`assemble`] follows
//! `kex_assemble_names()` in kex.c, including its corner cases (an empty item ends a
//! `+` list; names are matched case-sensitively; wildcards `*` and `?` expand in the
//! order of the supported list).

/// `ssh -Q cipher`.
pub const ALL_CIPHERS: &str = "3des-cbc,aes128-cbc,aes192-cbc,aes256-cbc,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com";
/// `ssh -Q mac`.
pub const ALL_MACS: &str = "hmac-sha1,hmac-sha1-96,hmac-sha2-256,hmac-sha2-512,hmac-md5,hmac-md5-96,umac-64@openssh.com,umac-128@openssh.com,hmac-sha1-etm@openssh.com,hmac-sha1-96-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-md5-etm@openssh.com,hmac-md5-96-etm@openssh.com,umac-64-etm@openssh.com,umac-128-etm@openssh.com";
/// `ssh -Q kex`.
pub const ALL_KEX: &str = "diffie-hellman-group1-sha1,diffie-hellman-group14-sha1,diffie-hellman-group14-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha1,diffie-hellman-group-exchange-sha256,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,curve25519-sha256,curve25519-sha256@libssh.org,sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com";
/// `ssh -Q key-sig`: every key and signature algorithm, certificates included.
pub const ALL_KEY: &str = "ssh-ed25519,ssh-ed25519-cert-v01@openssh.com,sk-ssh-ed25519@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256,ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521,ecdsa-sha2-nistp521-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,webauthn-sk-ecdsa-sha2-nistp256@openssh.com,ssh-dss,ssh-dss-cert-v01@openssh.com,ssh-rsa,ssh-rsa-cert-v01@openssh.com,rsa-sha2-256,rsa-sha2-256-cert-v01@openssh.com,rsa-sha2-512,rsa-sha2-512-cert-v01@openssh.com";
/// Signature algorithms without certificates (`sshkey_alg_list(0, 1, 1)`).
pub const ALL_SIG: &str = "ssh-ed25519,sk-ssh-ed25519@openssh.com,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ecdsa-sha2-nistp256@openssh.com,webauthn-sk-ecdsa-sha2-nistp256@openssh.com,ssh-dss,ssh-rsa,rsa-sha2-256,rsa-sha2-512";

/// Default `Ciphers`.
pub const DEFAULT_CIPHERS: &str = "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com";
/// Default `MACs`.
pub const DEFAULT_MACS: &str = "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1";
/// Default `KexAlgorithms`.
pub const DEFAULT_KEX: &str = "sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256";
/// Default `HostKeyAlgorithms`, `PubkeyAcceptedAlgorithms`, `HostbasedAcceptedAlgorithms`.
pub const DEFAULT_KEY: &str = "ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256";
/// Default `CASignatureAlgorithms`.
pub const DEFAULT_SIG: &str = "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256";

/// Key type short names `sshkey_type_from_name()` also accepts (case-insensitively).
const KEY_SHORTNAMES: [&str; 6] = ["ED25519", "ED25519-SK", "ECDSA", "ECDSA-SK", "DSA", "RSA"];

/// Which algorithm table an algorithm-list keyword uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlgoClass {
    Cipher,
    Mac,
    Kex,
    /// Host key / public key signature algorithms (certificates included).
    Key,
    /// CA signature algorithms (no certificate types).
    Sig,
}

impl AlgoClass {
    /// The supported list (`all` in kex_assemble_names).
    pub fn all(self) -> &'static str {
        match self {
            AlgoClass::Cipher => ALL_CIPHERS,
            AlgoClass::Mac => ALL_MACS,
            AlgoClass::Kex => ALL_KEX,
            AlgoClass::Key => ALL_KEY,
            AlgoClass::Sig => ALL_SIG,
        }
    }

    /// The default list.
    pub fn default_list(self) -> &'static str {
        match self {
            AlgoClass::Cipher => DEFAULT_CIPHERS,
            AlgoClass::Mac => DEFAULT_MACS,
            AlgoClass::Kex => DEFAULT_KEX,
            AlgoClass::Key => DEFAULT_KEY,
            AlgoClass::Sig => DEFAULT_SIG,
        }
    }

    /// Parse-time validation of a list (without its `+`/`^` prefix), as
    /// `ciphers_valid`, `mac_valid`, `kex_names_valid`, `sshkey_names_valid2(.., 1)`:
    /// every name up to the first empty item must be known.
    pub fn valid(self, names: &str) -> bool {
        if names.is_empty() {
            return false;
        }
        for name in names.split(',') {
            if name.is_empty() {
                break;
            }
            let known = match self {
                AlgoClass::Cipher | AlgoClass::Mac | AlgoClass::Kex => {
                    self.all().split(',').any(|a| a == name)
                }
                AlgoClass::Key | AlgoClass::Sig => {
                    ALL_KEY.split(',').any(|a| a == name)
                        || KEY_SHORTNAMES.iter().any(|s| s.eq_ignore_ascii_case(name))
                        // Wildcards: accepted when any key type matches, positively or negated.
                        || ALL_KEY
                            .split(',')
                            .any(|a| match_pattern_list(a, name) != 0)
                }
            };
            if !known {
                return false;
            }
        }
        true
    }
}

/// `match_pattern()`: `*` and `?` wildcards, case-sensitive.
pub fn match_pattern(s: &str, pattern: &str) -> bool {
    let s = s.as_bytes();
    let p = pattern.as_bytes();
    let (mut si, mut pi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == s[si]) {
            si += 1;
            pi += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, si));
            pi += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

/// `match_pattern_list()`: 1 when a positive pattern matches, -1 when a negated
/// (`!`) pattern matches, 0 otherwise.
pub fn match_pattern_list(s: &str, list: &str) -> i32 {
    let mut positive = 0;
    for sub in list.split(',') {
        let (neg, pat) = match sub.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, sub),
        };
        if match_pattern(s, pat) {
            if neg {
                return -1;
            }
            positive = 1;
        }
    }
    positive
}

/// `filter_list()`: the items of `proposal` kept by `filter` (allow or deny).
fn filter_list(proposal: &str, filter: &str, deny: bool) -> String {
    let kept: Vec<&str> = proposal
        .split(',')
        .filter(|item| {
            let r = match_pattern_list(item, filter);
            if deny {
                r != 1
            } else {
                r == 1
            }
        })
        .collect();
    kept.join(",")
}

/// `kex_names_cat()`: `a` followed by the items of `b` (up to its first empty item)
/// not already in `a`.
fn names_cat(a: &str, b: &str) -> String {
    if a.is_empty() {
        return b.to_string();
    }
    if b.is_empty() {
        return a.to_string();
    }
    let mut ret = a.to_string();
    for p in b.split(',') {
        if p.is_empty() {
            break;
        }
        // match_list() looks at the items of `ret` up to its first empty one.
        let present = ret.split(',').take_while(|i| !i.is_empty()).any(|i| i == p);
        if !present {
            ret.push(',');
            ret.push_str(p);
        }
    }
    ret
}

/// The effective list for a configured value (`None` = unset), as
/// `kex_assemble_names(&value, default, all)`. Err when sshd refuses it.
pub fn assemble(spec: Option<&str>, class: AlgoClass) -> Result<String, String> {
    let def = class.default_list();
    let all = class.all();
    let list = match spec {
        None | Some("") => return Ok(def.to_string()),
        Some(s) => s,
    };
    let list = if let Some(rest) = list.strip_prefix('+') {
        names_cat(def, rest)
    } else if let Some(rest) = list.strip_prefix('-') {
        let kept = filter_list(def, rest, true);
        if kept.is_empty() {
            // sshd stores the empty list without complaint; key exchange then fails
            // for every client (sshd -T shows the default, re-assembled from "").
            return Err(format!(
                "{list:?} removes every algorithm of the default list: no client can connect"
            ));
        }
        return Ok(kept);
    } else if let Some(rest) = list.strip_prefix('^') {
        names_cat(rest, def)
    } else {
        list.to_string()
    };
    let mut ret: Option<String> = None;
    for cp in list.split(',') {
        if cp.starts_with('!') {
            return Err(format!(
                "negated algorithm pattern {cp:?} is not allowed here"
            ));
        }
        let matching = filter_list(all, cp, false);
        ret = Some(match ret {
            None => matching,
            Some(r) => names_cat(&r, &matching),
        });
    }
    match ret {
        Some(r) if !r.is_empty() => Ok(r),
        _ => Err(format!("{list:?} leaves no supported algorithm")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(match_pattern("aes128-ctr", "aes*"));
        assert!(match_pattern("aes128-ctr", "aes???-ctr"));
        assert!(!match_pattern("aes128-ctr", "AES*"));
        assert!(match_pattern("", "*"));
        assert!(!match_pattern("a", ""));
        assert_eq!(match_pattern_list("aes128-ctr", "aes*,!aes128-ctr"), -1);
        assert_eq!(match_pattern_list("aes256-ctr", "aes*,!aes128-ctr"), 1);
    }

    #[test]
    fn modifiers() {
        let c = AlgoClass::Cipher;
        assert_eq!(assemble(None, c).unwrap(), DEFAULT_CIPHERS);
        assert_eq!(
            assemble(Some("aes256-ctr,aes128-ctr,aes256-ctr"), c).unwrap(),
            "aes256-ctr,aes128-ctr"
        );
        assert_eq!(
            assemble(Some("+aes128-cbc"), c).unwrap(),
            format!("{DEFAULT_CIPHERS},aes128-cbc")
        );
        assert_eq!(
            assemble(Some("^aes128-cbc"), c).unwrap(),
            format!("aes128-cbc,{DEFAULT_CIPHERS}")
        );
        assert_eq!(
            assemble(Some("-chacha*,*gcm*"), c).unwrap(),
            "aes128-ctr,aes192-ctr,aes256-ctr"
        );
        assert_eq!(
            assemble(Some("-aes*,!aes128-ctr"), c).unwrap(),
            "chacha20-poly1305@openssh.com,aes128-ctr"
        );
        assert!(assemble(Some("!aes128-ctr"), c).is_err());
        assert!(assemble(Some("-*"), c)
            .unwrap_err()
            .contains("removes every algorithm"));
        assert_eq!(
            assemble(Some("ssh-ed25519*"), AlgoClass::Key).unwrap(),
            "ssh-ed25519,ssh-ed25519-cert-v01@openssh.com"
        );
        assert!(c.valid("aes128-ctr,,bogus"));
        assert!(!c.valid("aes*"));
        assert!(AlgoClass::Key.valid("ssh-ed*,rsa"));
        assert!(!AlgoClass::Key.valid("foo*"));
    }
}
