//! `discover = true`: the scanned host's listening TCP sockets, from `/proc/net/tcp` and
//! `/proc/net/tcp6` (state `0A`, LISTEN), read through [`Host`].
//!
//! Only on a live host (`--root /`): for a mounted image the listeners are not running,
//! and probing 127.0.0.1 would probe the scanning machine instead. A socket bound to the
//! wildcard (`0.0.0.0`, `::`) is probed on the loopback address of its family. Each listener
//! becomes a TLS target; one whose handshake fails without a certificate (it does not
//! speak TLS) is dropped by the runner rather than reported.

use super::config::TlsTarget;
use crate::host::Host;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Parse one `/proc/net/tcp{,6}` table: listening (address, port) pairs.
pub fn listeners(text: &str) -> Vec<(IpAddr, u16)> {
    let mut out = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 4 || f[3] != "0A" {
            continue;
        }
        let Some((addr, port)) = f[1].split_once(':') else {
            continue;
        };
        let Ok(port) = u16::from_str_radix(port, 16) else {
            continue;
        };
        let ip = match addr.len() {
            8 => u32::from_str_radix(addr, 16)
                .ok()
                .map(|n| IpAddr::V4(Ipv4Addr::from(n.swap_bytes()))),
            32 => {
                let mut bytes = [0u8; 16];
                let mut ok = true;
                for w in 0..4 {
                    match u32::from_str_radix(&addr[w * 8..w * 8 + 8], 16) {
                        Ok(n) => bytes[w * 4..w * 4 + 4].copy_from_slice(&n.to_le_bytes()),
                        Err(_) => ok = false,
                    }
                }
                ok.then(|| IpAddr::V6(Ipv6Addr::from(bytes)))
            }
            _ => None,
        };
        if let Some(ip) = ip {
            out.push((ip, port));
        }
    }
    out
}

/// TLS targets for the host's listeners (empty for an offline image).
pub fn targets(host: &Host) -> Result<Vec<TlsTarget>, String> {
    if !host.is_live() {
        return Ok(Vec::new());
    }
    let mut seen = Vec::new();
    for path in ["/proc/net/tcp", "/proc/net/tcp6"] {
        match host.read_optional(path) {
            Ok(Some(t)) => seen.extend(listeners(&t)),
            Ok(None) => {}
            Err(e) => return Err(format!("cannot read {e}")),
        }
    }
    let mut out: Vec<TlsTarget> = Vec::new();
    for (ip, port) in seen {
        let ip = match ip {
            IpAddr::V4(a) if a.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(a) if a.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(a),
            },
            other => other,
        };
        let t = TlsTarget {
            host: ip.to_string(),
            port,
            sni: None,
            starttls: None,
            https: port == 443,
            discovered: true,
        };
        if !out.iter().any(|o| o.host == t.host && o.port == t.port) {
            out.push(t);
        }
    }
    out.sort_by(|a, b| (a.port, &a.host).cmp(&(b.port, &b.host)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_proc_net_tables() {
        let v4 = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0\n   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0\n   2: 0100007F:9C40 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0 100 0 0 10 0\n";
        let l = listeners(v4);
        assert_eq!(
            l,
            vec![
                ("127.0.0.1".parse().unwrap(), 8080),
                ("0.0.0.0".parse().unwrap(), 22)
            ]
        );
        let v6 = "  sl  local_address ...\n   0: 00000000000000000000000001000000:01BB 00000000000000000000000000000000:0000 0A 0\n   1: 00000000000000000000000000000000:0035 00000000000000000000000000000000:0000 0A 0\n";
        let l = listeners(v6);
        assert_eq!(
            l,
            vec![("::1".parse().unwrap(), 443), ("::".parse().unwrap(), 53)]
        );
        assert!(listeners("junk\n 0: zz:zz 0 0A\n").is_empty());
    }

    #[test]
    fn offline_images_are_not_probed() {
        let host = Host::new(crate::testutil::fixture("net/resolver/good"));
        assert!(targets(&host).unwrap().is_empty());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn never_panics(s in "(.{0,60}\n){0,6}") {
            let _ = listeners(&s);
        }
    }
}
