//! Address lists as sshd 9.2 validates them (`addr_match_list(NULL, list)` in addrmatch.c):
//! for `Match Address` / `LocalAddress` (the parser) and the `user@host` patterns of
//! `AllowUsers` / `DenyUsers` (`args.rs`).

/// `addr_match_list(NULL, list) == 0`: no empty entry, no CIDR with host bits set.
pub(super) fn addr_list_valid(list: &str) -> bool {
    for item in list.split(',') {
        let item = item.strip_prefix('!').unwrap_or(item);
        if item.is_empty() {
            return false;
        }
        if cidr_inconsistent(item) {
            return false;
        }
    }
    true
}

/// True for `addr/len` whose address has bits set beyond `len` (sshd: -2).
fn cidr_inconsistent(item: &str) -> bool {
    let (addr, len) = match item.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (item, None),
    };
    let Ok(ip) = addr.parse::<std::net::IpAddr>() else {
        return false;
    };
    let (bits, width): (u128, u32) = match ip {
        std::net::IpAddr::V4(v) => (u128::from(u32::from(v)), 32),
        std::net::IpAddr::V6(v) => (u128::from(v), 128),
    };
    let Some(len) = len else { return false };
    let Ok(len) = len.parse::<u32>() else {
        return false;
    };
    if len > width {
        return false;
    }
    let host_bits = width - len;
    let mask: u128 = if host_bits >= 128 {
        u128::MAX
    } else {
        (1u128 << host_bits) - 1
    };
    bits & mask != 0
}
