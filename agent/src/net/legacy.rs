//! Hand-built ClientHello probes for what rustls will not speak: SSL 3.0, TLS 1.0 and 1.1,
//! and RC4 / 3DES / DES / NULL / EXPORT / anonymous cipher suites (`tls_protocol` and
//! `tls_ciphers` checks).
//!
//! A probe opens one TCP connection (after the STARTTLS upgrade when the target has one),
//! sends one ClientHello record and reads the first answer: a ServerHello (the version and
//! suite the server chose: *accepted*), an alert or a closed connection (*refused*), or
//! nothing within the timeout (an *error*, never a pass). No key exchange is performed and
//! nothing is encrypted. The ClientHello carries SNI, supported groups, EC point formats,
//! signature algorithms and the renegotiation SCSV so that real servers answer rather than
//! drop an odd-looking hello. The response parser takes arbitrary bytes and never panics
//! (fuzzed with proptest below).

use serde::{Deserialize, Serialize};

/// Protocol versions, as on the wire.
pub const SSL3: u16 = 0x0300;
/// TLS 1.0.
pub const TLS10: u16 = 0x0301;
/// TLS 1.1.
pub const TLS11: u16 = 0x0302;
/// TLS 1.2.
pub const TLS12: u16 = 0x0303;
/// TLS 1.3.
pub const TLS13: u16 = 0x0304;

/// The name of a protocol version (`TLS 1.0`).
pub fn version_name(v: u16) -> String {
    match v {
        0x0002 => "SSL 2.0".to_string(),
        SSL3 => "SSL 3.0".to_string(),
        TLS10 => "TLS 1.0".to_string(),
        TLS11 => "TLS 1.1".to_string(),
        TLS12 => "TLS 1.2".to_string(),
        TLS13 => "TLS 1.3".to_string(),
        v => format!("version 0x{v:04x}"),
    }
}

/// Parse `1.2`, `TLS1.2`, `tls 1.2`, `ssl3` into a wire version.
pub fn parse_version(s: &str) -> Option<u16> {
    let t: String = s
        .to_ascii_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != 'v')
        .collect();
    let t = t
        .strip_prefix("tls")
        .or_else(|| t.strip_prefix("ssl").map(|_| "ssl"))
        .unwrap_or(&t);
    match t {
        "ssl" | "3.0" => Some(SSL3),
        "1.0" | "1" => Some(TLS10),
        "1.1" => Some(TLS11),
        "1.2" => Some(TLS12),
        "1.3" => Some(TLS13),
        _ => None,
    }
}

/// A family of weak cipher suites that BOD 18-01 / NIST SP 800-52r2 rule out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WeakFamily {
    /// RC4 stream cipher.
    Rc4,
    /// Triple DES (Sweet32).
    #[serde(rename = "3des")]
    TripleDes,
    /// Single DES.
    Des,
    /// No encryption.
    Null,
    /// 40/56-bit export grade.
    Export,
    /// No server authentication.
    Anon,
}

impl WeakFamily {
    /// Every family.
    pub const ALL: [WeakFamily; 6] = [
        WeakFamily::Rc4,
        WeakFamily::TripleDes,
        WeakFamily::Des,
        WeakFamily::Null,
        WeakFamily::Export,
        WeakFamily::Anon,
    ];

    /// Policy name.
    pub fn name(self) -> &'static str {
        match self {
            WeakFamily::Rc4 => "rc4",
            WeakFamily::TripleDes => "3des",
            WeakFamily::Des => "des",
            WeakFamily::Null => "null",
            WeakFamily::Export => "export",
            WeakFamily::Anon => "anon",
        }
    }

    /// The suites of this family that probes offer.
    pub fn suites(self) -> Vec<u16> {
        SUITES
            .iter()
            .filter(|(_, _, fams)| fams.contains(&self))
            .map(|(code, _, _)| *code)
            .collect()
    }
}

use WeakFamily::{Anon, Des, Export, Null, Rc4, TripleDes};

/// Weak suites: code, IANA name, families.
const SUITES: &[(u16, &str, &[WeakFamily])] = &[
    (0x0001, "TLS_RSA_WITH_NULL_MD5", &[Null]),
    (0x0002, "TLS_RSA_WITH_NULL_SHA", &[Null]),
    (0x003B, "TLS_RSA_WITH_NULL_SHA256", &[Null]),
    (0xC006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA", &[Null]),
    (0xC010, "TLS_ECDHE_RSA_WITH_NULL_SHA", &[Null]),
    (0xC015, "TLS_ECDH_anon_WITH_NULL_SHA", &[Null, Anon]),
    (0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5", &[Export, Rc4]),
    (0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5", &[Export]),
    (0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA", &[Export]),
    (0x000B, "TLS_DH_DSS_EXPORT_WITH_DES40_CBC_SHA", &[Export]),
    (0x000E, "TLS_DH_RSA_EXPORT_WITH_DES40_CBC_SHA", &[Export]),
    (0x0011, "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA", &[Export]),
    (0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA", &[Export]),
    (
        0x0017,
        "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5",
        &[Export, Anon, Rc4],
    ),
    (
        0x0019,
        "TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA",
        &[Export, Anon],
    ),
    (0x0004, "TLS_RSA_WITH_RC4_128_MD5", &[Rc4]),
    (0x0005, "TLS_RSA_WITH_RC4_128_SHA", &[Rc4]),
    (0xC007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", &[Rc4]),
    (0xC011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA", &[Rc4]),
    (0x0018, "TLS_DH_anon_WITH_RC4_128_MD5", &[Rc4, Anon]),
    (0xC016, "TLS_ECDH_anon_WITH_RC4_128_SHA", &[Rc4, Anon]),
    (0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", &[TripleDes]),
    (0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA", &[TripleDes]),
    (0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA", &[TripleDes]),
    (
        0xC008,
        "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA",
        &[TripleDes],
    ),
    (0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", &[TripleDes]),
    (
        0x001B,
        "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA",
        &[TripleDes, Anon],
    ),
    (
        0xC017,
        "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA",
        &[TripleDes, Anon],
    ),
    (0x0009, "TLS_RSA_WITH_DES_CBC_SHA", &[Des]),
    (0x0012, "TLS_DHE_DSS_WITH_DES_CBC_SHA", &[Des]),
    (0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA", &[Des]),
    (0x001A, "TLS_DH_anon_WITH_DES_CBC_SHA", &[Des, Anon]),
    (0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA", &[Anon]),
    (0x003A, "TLS_DH_anon_WITH_AES_256_CBC_SHA", &[Anon]),
    (0x006C, "TLS_DH_anon_WITH_AES_128_CBC_SHA256", &[Anon]),
    (0x006D, "TLS_DH_anon_WITH_AES_256_CBC_SHA256", &[Anon]),
    (0x00A6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256", &[Anon]),
    (0x00A7, "TLS_DH_anon_WITH_AES_256_GCM_SHA384", &[Anon]),
    (0xC018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA", &[Anon]),
    (0xC019, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA", &[Anon]),
];

/// Suites offered by version probes: everything a legacy or modern server might pick.
pub const BROAD_SUITES: &[u16] = &[
    0xC02F, 0xC030, 0xC02B, 0xC02C, 0xCCA8, 0xCCA9, 0x009E, 0x009F, 0x009C, 0x009D, 0xC027, 0xC028,
    0xC023, 0xC024, 0xC013, 0xC014, 0xC009, 0xC00A, 0x0067, 0x006B, 0x0033, 0x0039, 0x003C, 0x003D,
    0x002F, 0x0035, 0x0041, 0x0084, 0xC012, 0x0016, 0x000A, 0xC011, 0x0005, 0x0004,
];

/// The IANA name of a cipher suite (hex when unknown).
pub fn suite_name(code: u16) -> String {
    if let Some((_, n, _)) = SUITES.iter().find(|(c, _, _)| *c == code) {
        return (*n).to_string();
    }
    let known: &[(u16, &str)] = &[
        (0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA"),
        (0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"),
        (0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256"),
        (0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384"),
        (0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"),
        (0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"),
        (0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
        (0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
        (0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
        (0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
        (0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
        (0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
    ];
    known
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, n)| (*n).to_string())
        .unwrap_or_else(|| format!("0x{code:04X}"))
}

/// The weak families a suite belongs to.
pub fn families_of(code: u16) -> Vec<WeakFamily> {
    SUITES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, _, f)| f.to_vec())
        .unwrap_or_default()
}

fn push_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn push_ext(out: &mut Vec<u8>, kind: u16, body: &[u8]) {
    push_u16(out, kind);
    push_u16(out, body.len() as u16);
    out.extend_from_slice(body);
}

/// One ClientHello record offering `version` (the highest the client speaks) and `suites`.
/// `random` fills the 32-byte client random (any bytes do: no key exchange follows).
pub fn client_hello(version: u16, suites: &[u16], sni: Option<&str>, random: [u8; 32]) -> Vec<u8> {
    let mut body = Vec::with_capacity(256);
    push_u16(&mut body, version);
    body.extend_from_slice(&random);
    body.push(0); // session id
    let mut all: Vec<u16> = suites.to_vec();
    all.push(0x00FF); // TLS_EMPTY_RENEGOTIATION_INFO_SCSV
    push_u16(&mut body, (all.len() * 2) as u16);
    for s in all {
        push_u16(&mut body, s);
    }
    body.extend_from_slice(&[1, 0]); // compression: null
    if version > SSL3 {
        let mut ext = Vec::new();
        if let Some(name) = sni.filter(|n| n.parse::<std::net::IpAddr>().is_err()) {
            let name = name.as_bytes();
            let name = &name[..name.len().min(255)];
            let mut b = Vec::new();
            push_u16(&mut b, (name.len() + 3) as u16);
            b.push(0); // host_name
            push_u16(&mut b, name.len() as u16);
            b.extend_from_slice(name);
            push_ext(&mut ext, 0x0000, &b);
        }
        // supported_groups: x25519, P-256, P-384, P-521, ffdhe2048
        push_ext(
            &mut ext,
            0x000A,
            &[
                0, 10, 0x00, 0x1D, 0x00, 0x17, 0x00, 0x18, 0x00, 0x19, 0x01, 0x00,
            ],
        );
        push_ext(&mut ext, 0x000B, &[1, 0]); // ec_point_formats: uncompressed
        let sigalgs: [u16; 11] = [
            0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0203, 0x0201,
        ];
        let mut b = Vec::new();
        push_u16(&mut b, (sigalgs.len() * 2) as u16);
        for s in sigalgs {
            push_u16(&mut b, s);
        }
        push_ext(&mut ext, 0x000D, &b);
        push_u16(&mut body, ext.len() as u16);
        body.extend_from_slice(&ext);
    }
    let mut hs = Vec::with_capacity(body.len() + 4);
    hs.push(1); // client_hello
    let len = body.len() as u32;
    hs.extend_from_slice(&len.to_be_bytes()[1..]);
    hs.extend_from_slice(&body);
    let mut rec = Vec::with_capacity(hs.len() + 5);
    rec.push(22);
    push_u16(&mut rec, if version == SSL3 { SSL3 } else { TLS10 });
    push_u16(&mut rec, hs.len() as u16);
    rec.extend_from_slice(&hs);
    rec
}

/// What the server's first bytes say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Not enough bytes yet.
    Incomplete,
    /// ServerHello: the server accepted this version and suite.
    ServerHello {
        /// Negotiated version.
        version: u16,
        /// Chosen cipher suite.
        suite: u16,
    },
    /// A TLS alert (level, description).
    Alert(u8, u8),
    /// Bytes that are not a TLS answer (the reason).
    NotTls(String),
}

/// The TLS alert description name.
pub fn alert_name(d: u8) -> String {
    match d {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        40 => "handshake_failure",
        47 => "illegal_parameter",
        50 => "decode_error",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        112 => "unrecognized_name",
        _ => return format!("alert {d}"),
    }
    .to_string()
}

/// Parse the server's answer so far. Reassembles the first handshake message across
/// records; never panics, whatever the bytes.
pub fn parse_answer(buf: &[u8]) -> Answer {
    let mut hs: Vec<u8> = Vec::new();
    let mut pos = 0;
    loop {
        if buf.len() < pos + 5 {
            return Answer::Incomplete;
        }
        let kind = buf[pos];
        let major = buf[pos + 1];
        let len = u16::from_be_bytes([buf[pos + 3], buf[pos + 4]]) as usize;
        if major != 3 || !(20..=24).contains(&kind) {
            return Answer::NotTls(format!(
                "unexpected bytes {:02x} {:02x} {:02x}",
                buf[pos],
                buf[pos + 1],
                buf[pos + 2]
            ));
        }
        if len > 18432 {
            return Answer::NotTls(format!("record length {len} too large"));
        }
        let frag_end = pos + 5 + len;
        let avail = &buf[pos + 5..buf.len().min(frag_end)];
        match kind {
            21 => {
                if avail.len() >= 2 {
                    return Answer::Alert(avail[0], avail[1]);
                }
                return if buf.len() >= frag_end {
                    Answer::NotTls("short alert record".to_string())
                } else {
                    Answer::Incomplete
                };
            }
            22 => {
                hs.extend_from_slice(avail);
                if let Some(a) = parse_server_hello(&hs) {
                    return a;
                }
                if buf.len() < frag_end {
                    return Answer::Incomplete;
                }
            }
            _ => {
                return Answer::NotTls(format!("record type {kind} before ServerHello"));
            }
        }
        pos = frag_end;
    }
}

/// The ServerHello in handshake bytes, `None` when more bytes are needed.
fn parse_server_hello(hs: &[u8]) -> Option<Answer> {
    if hs.is_empty() {
        return None;
    }
    if hs[0] != 2 {
        return Some(Answer::NotTls(format!(
            "handshake message {} instead of ServerHello",
            hs[0]
        )));
    }
    // type(1) len(3) version(2) random(32) sid_len(1) sid suite(2)
    if hs.len() < 4 + 2 + 32 + 1 {
        return None;
    }
    let version = u16::from_be_bytes([hs[4], hs[5]]);
    let sid_len = hs[38] as usize;
    if sid_len > 32 {
        return Some(Answer::NotTls(format!("session id length {sid_len}")));
    }
    let at = 39 + sid_len;
    if hs.len() < at + 2 {
        return None;
    }
    let suite = u16::from_be_bytes([hs[at], hs[at + 1]]);
    Some(Answer::ServerHello { version, suite })
}

/// The outcome of one probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// The server answered with a ServerHello.
    Accepted {
        /// Negotiated version.
        version: u16,
        /// Chosen suite.
        suite: u16,
        /// The certificates of the server's Certificate message (sent in clear up to TLS
        /// 1.2), leaf first; empty when none was seen (anonymous suites).
        chain: Vec<Vec<u8>>,
    },
    /// The server refused (alert, closed, or a non-TLS answer): the reason.
    Refused(String),
    /// The probe could not run (connect failed, timeout): the reason.
    Failed(String),
}

/// What the server's first flight says about certificates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flight {
    /// More bytes are needed.
    NeedMore,
    /// The Certificate message's certificates, leaf first.
    Certs(Vec<Vec<u8>>),
    /// The flight has no Certificate message (ServerKeyExchange or ServerHelloDone came).
    NoCerts,
    /// Not a parsable flight.
    Bad,
}

/// Find the Certificate handshake message in the server's first flight (TLS <= 1.2, where
/// it is not encrypted). Never panics, whatever the bytes.
pub fn server_certificates(buf: &[u8]) -> Flight {
    let mut hs = Vec::new();
    let mut pos = 0;
    while buf.len() >= pos + 5 {
        if buf[pos] != 22 || buf[pos + 1] != 3 {
            break;
        }
        let len = u16::from_be_bytes([buf[pos + 3], buf[pos + 4]]) as usize;
        let end = (pos + 5 + len).min(buf.len());
        hs.extend_from_slice(&buf[pos + 5..end]);
        pos += 5 + len;
    }
    let mut at = 0;
    while hs.len() >= at + 4 {
        let kind = hs[at];
        let len = u32::from_be_bytes([0, hs[at + 1], hs[at + 2], hs[at + 3]]) as usize;
        if len > 1 << 20 {
            return Flight::Bad;
        }
        let body_start = at + 4;
        match kind {
            11 => {
                if hs.len() < body_start + len {
                    return Flight::NeedMore;
                }
                return parse_cert_list(&hs[body_start..body_start + len]);
            }
            12 | 14 => return Flight::NoCerts,
            _ => {}
        }
        at = body_start + len;
    }
    Flight::NeedMore
}

fn parse_cert_list(body: &[u8]) -> Flight {
    if body.len() < 3 {
        return Flight::Bad;
    }
    let total = u32::from_be_bytes([0, body[0], body[1], body[2]]) as usize;
    let list = &body[3..body.len().min(3 + total)];
    let mut certs = Vec::new();
    let mut i = 0;
    while list.len() >= i + 3 {
        let n = u32::from_be_bytes([0, list[i], list[i + 1], list[i + 2]]) as usize;
        let Some(c) = list.get(i + 3..i + 3 + n) else {
            return Flight::Bad;
        };
        certs.push(c.to_vec());
        i += 3 + n;
    }
    Flight::Certs(certs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hello_is_well_formed() {
        let h = client_hello(TLS10, &[0x002F, 0x000A], Some("example.gov"), [7; 32]);
        assert_eq!(h[0], 22);
        assert_eq!(u16::from_be_bytes([h[3], h[4]]) as usize, h.len() - 5);
        assert_eq!(h[5], 1);
        assert_eq!(u16::from_be_bytes([h[9], h[10]]), TLS10);
        assert!(h.windows(11).any(|w| w == b"example.gov"));
        let ssl3 = client_hello(SSL3, &[0x000A], Some("x.gov"), [0; 32]);
        assert!(!ssl3.windows(5).any(|w| w == b"x.gov"));
        assert_eq!(u16::from_be_bytes([ssl3[1], ssl3[2]]), SSL3);
        // No SNI for IP addresses.
        let ip = client_hello(TLS12, &[0x002F], Some("127.0.0.1"), [0; 32]);
        assert!(!ip.windows(9).any(|w| w == b"127.0.0.1"));
    }

    fn server_hello(version: u16, suite: u16, split: usize) -> Vec<u8> {
        let mut body = vec![2, 0, 0, 0];
        body.extend_from_slice(&version.to_be_bytes());
        body.extend_from_slice(&[9; 32]);
        body.push(32);
        body.extend_from_slice(&[1; 32]);
        body.extend_from_slice(&suite.to_be_bytes());
        body.push(0);
        let n = (body.len() - 4) as u16;
        body[2..4].copy_from_slice(&n.to_be_bytes());
        let split = split.min(body.len());
        let mut out = Vec::new();
        for part in [&body[..split], &body[split..]] {
            if part.is_empty() {
                continue;
            }
            out.extend_from_slice(&[22, 3, 1]);
            out.extend_from_slice(&(part.len() as u16).to_be_bytes());
            out.extend_from_slice(part);
        }
        out
    }

    #[test]
    fn parses_server_hello_alert_and_garbage() {
        let sh = server_hello(TLS10, 0x000A, 1000);
        assert_eq!(
            parse_answer(&sh),
            Answer::ServerHello {
                version: TLS10,
                suite: 0x000A
            }
        );
        // Split across two records, and cut short.
        let split = server_hello(TLS11, 0xC013, 20);
        assert_eq!(
            parse_answer(&split),
            Answer::ServerHello {
                version: TLS11,
                suite: 0xC013
            }
        );
        assert_eq!(parse_answer(&split[..30]), Answer::Incomplete);
        assert_eq!(parse_answer(&[21, 3, 3, 0, 2, 2, 70]), Answer::Alert(2, 70));
        assert_eq!(parse_answer(&[21, 3, 3]), Answer::Incomplete);
        assert!(matches!(
            parse_answer(b"HTTP/1.1 400 Bad Request\r\n"),
            Answer::NotTls(_)
        ));
        assert!(matches!(
            parse_answer(b"SSH-2.0-OpenSSH_9.2\r\n"),
            Answer::NotTls(_)
        ));
    }

    #[test]
    fn finds_the_certificate_message() {
        let mut flight = server_hello(TLS10, 0x002F, 1000);
        let certs: [&[u8]; 2] = [b"leaf-der", b"ca-der!"];
        let mut list = Vec::new();
        for c in certs {
            list.extend_from_slice(&(c.len() as u32).to_be_bytes()[1..]);
            list.extend_from_slice(c);
        }
        let mut body = (list.len() as u32).to_be_bytes()[1..].to_vec();
        body.extend_from_slice(&list);
        let mut msg = vec![11];
        msg.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        msg.extend_from_slice(&body);
        flight.extend_from_slice(&[22, 3, 1]);
        flight.extend_from_slice(&(msg.len() as u16).to_be_bytes());
        flight.extend_from_slice(&msg);
        assert_eq!(
            server_certificates(&flight),
            Flight::Certs(vec![b"leaf-der".to_vec(), b"ca-der!".to_vec()])
        );
        assert_eq!(
            server_certificates(&flight[..flight.len() - 3]),
            Flight::NeedMore
        );
        let mut anon = server_hello(TLS12, 0x0034, 1000);
        anon.extend_from_slice(&[22, 3, 3, 0, 4, 14, 0, 0, 0]);
        assert_eq!(server_certificates(&anon), Flight::NoCerts);
    }

    #[test]
    fn versions_and_families() {
        assert_eq!(parse_version("1.2"), Some(TLS12));
        assert_eq!(parse_version("TLS1.3"), Some(TLS13));
        assert_eq!(parse_version("tls 1.0"), Some(TLS10));
        assert_eq!(parse_version("SSLv3"), Some(SSL3));
        assert_eq!(parse_version("2.0"), None);
        assert!(WeakFamily::TripleDes.suites().contains(&0x000A));
        assert!(families_of(0x0017).contains(&WeakFamily::Export));
        assert_eq!(suite_name(0x000A), "TLS_RSA_WITH_3DES_EDE_CBC_SHA");
        assert_eq!(suite_name(0x1301), "0x1301");
        for f in WeakFamily::ALL {
            assert!(!f.suites().is_empty(), "{f:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = parse_answer(&bytes);
        }

        #[test]
        fn flight_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = server_certificates(&bytes);
            let mut b = vec![22, 3, 3, 2, 0, 11, 0, 1, 0xf0];
            b.extend_from_slice(&bytes);
            let _ = server_certificates(&b);
        }

        #[test]
        fn parser_handles_tls_shaped_input(
            kind in 20u8..25, len in 0u16..300,
            body in proptest::collection::vec(any::<u8>(), 0..400)
        ) {
            let mut b = vec![kind, 3, 1];
            b.extend_from_slice(&len.to_be_bytes());
            b.extend_from_slice(&body);
            let _ = parse_answer(&b);
        }
    }
}
