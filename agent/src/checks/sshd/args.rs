//! Argument checks for the keywords this module does not model, as sshd 9.2 makes them
//! (`process_server_config_line_depth` in servconf.c, Debian 12's 9.2p1 build). Any
//! error here makes sshd refuse the whole file, so the parser turns it into an error
//! on the line. Messages are sshd's own where practical.

use super::addrmatch::addr_list_valid;
use super::keywords::Arg;
use super::numbers::{atoi, c_int_prefix, convtime};

/// What a valid line leaves for the checks sshd makes after reading everything.
#[derive(Debug, Default, PartialEq)]
pub struct Effects {
    /// `AuthenticationMethods` lists of this line.
    pub auth_methods: Vec<String>,
    /// `AuthorizedKeysCommand` / `AuthorizedPrincipalsCommand` value.
    pub command: Option<String>,
    /// `*CommandUser` value.
    pub command_user: Option<String>,
}

/// Syslog facility names (`log_facility_number`, case-insensitive).
const FACILITIES: [&str; 12] = [
    "DAEMON", "USER", "AUTH", "AUTHPRIV", "LOCAL0", "LOCAL1", "LOCAL2", "LOCAL3", "LOCAL4",
    "LOCAL5", "LOCAL6", "LOCAL7",
];
/// `ipqos[]` names (case-insensitive).
const IPQOS: [&str; 24] = [
    "none", "af11", "af12", "af13", "af21", "af22", "af23", "af31", "af32", "af33", "af41", "af42",
    "af43", "cs0", "cs1", "cs2", "cs3", "cs4", "cs5", "cs6", "cs7", "ef", "le", "lowdelay",
];
const IPQOS_LEGACY: [&str; 2] = ["throughput", "reliability"];
/// Methods `auth2_methods_valid()` knows in this build.
pub const AUTH_METHODS: [&str; 6] = [
    "none",
    "publickey",
    "password",
    "keyboard-interactive",
    "hostbased",
    "gssapi-with-mic",
];
/// Debian's GSSAPI key-exchange names (`kex_gss_names_valid`).
const GSS_KEX: [&str; 7] = [
    "gss-gex-sha1-",
    "gss-group1-sha1-",
    "gss-group14-sha1-",
    "gss-group14-sha256-",
    "gss-group16-sha512-",
    "gss-nistp256-sha256-",
    "gss-curve25519-sha256-",
];

/// The per-line context the checks need.
pub struct Line<'a> {
    /// Keyword as written.
    pub keyword: &'a str,
    /// The text after the keyword (what sshd's `str` holds).
    pub rest: &'a str,
    /// The arguments (`argv_split`).
    pub args: &'a [String],
    /// `getservbyname(name, "tcp")`.
    pub service: &'a dyn Fn(&str) -> bool,
    /// `getaddrinfo(host)` succeeds (sshd resolves every ListenAddress at start-up).
    pub resolves: &'a dyn Fn(&str) -> bool,
    /// Subsystem names defined so far.
    pub subsystems: &'a mut Vec<String>,
}

/// `a2port()`: `strtonum(s, 0, 65535)` or a service name; > 0 is a port.
pub fn a2port(s: &str, service: &dyn Fn(&str) -> bool) -> bool {
    match c_int_prefix(s) {
        Some((v, "")) if (0..=65535).contains(&v) => v > 0,
        _ => !s.is_empty() && service(s),
    }
}

/// `scan_scaled()`: `[+-]digits[.digits][BKMGTPE]`; the value in bytes (approximate
/// for fractions), None when it does not parse.
fn scan_scaled(s: &str) -> Option<f64> {
    let t = s.trim_start_matches([' ', '\t']);
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let int_len = t.bytes().take_while(u8::is_ascii_digit).count();
    let (int, mut rest) = t.split_at(int_len);
    let mut frac = "";
    if let Some(r) = rest.strip_prefix('.') {
        let n = r.bytes().take_while(u8::is_ascii_digit).count();
        frac = &r[..n];
        rest = &r[n..];
    }
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let shift = match rest.to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        "P" => 50,
        "E" => 60,
        _ => return None,
    };
    let v: f64 = format!("0{int}.{frac}0").parse().ok()?;
    let v = v * f64::from(2u32).powi(shift);
    Some(if neg { -v } else { v })
}

/// `strtol(s, &p, 8)` with `s != p`.
fn strtol8(s: &str) -> Option<i64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits: String = t.chars().take_while(|c| ('0'..='7').contains(c)).collect();
    if digits.is_empty() {
        return None;
    }
    let v = i64::from_str_radix(&digits[..digits.len().min(20)], 8).unwrap_or(i64::MAX);
    Some(if neg { -v } else { v })
}

/// `parse_ipqos()`.
fn ipqos_valid(s: &str) -> bool {
    if IPQOS
        .iter()
        .chain(IPQOS_LEGACY.iter())
        .any(|n| n.eq_ignore_ascii_case(s))
    {
        return true;
    }
    // strtol(s, &ep, 0) over the whole string, 0..=255.
    let (neg, s) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (16, h)
    } else if s.len() > 1 && s.starts_with('0') {
        (8, &s[1..])
    } else {
        (10, s)
    };
    !digits.is_empty()
        && digits.chars().all(|c| c.is_digit(radix))
        && i64::from_str_radix(&digits[..digits.len().min(16)], radix)
            .is_ok_and(|v| (0..=255).contains(&if neg { -v } else { v }))
}

/// `hpdelim()`: host and the port part (None when absent); Err on bad syntax
/// (9.2's `hpdelim` takes only `:` after the host; a `/` is an error).
fn hpdelim(s: &str) -> Result<(String, Option<String>), ()> {
    let idx = if s.starts_with('[') {
        match s.find(']') {
            Some(i) => i + 1,
            None => return Err(()),
        }
    } else {
        s.find([':', '/']).unwrap_or(s.len())
    };
    let host = s[..idx].trim_start_matches('[').trim_end_matches(']');
    match s.as_bytes().get(idx) {
        None => Ok((host.to_string(), None)),
        Some(b':') => Ok((host.to_string(), Some(s[idx + 1..].to_string()))),
        _ => Err(()),
    }
}

/// `auth2_methods_valid(list, 0)`: every comma-separated method is known.
pub fn auth_list_valid(list: &str) -> bool {
    list.split(',').all(|m| {
        let name = m.split(':').next().unwrap_or("");
        AUTH_METHODS.contains(&name)
    })
}

/// Check the arguments of an unmodelled keyword; what the line contributes to sshd's
/// post-read checks on success.
pub fn check(arg: Arg, l: &mut Line) -> Result<Effects, String> {
    let kw = l.keyword;
    let args = l.args;
    let first = args.first().filter(|a| !a.is_empty());
    let missing = || format!("{kw} missing argument.");
    let mut fx = Effects::default();
    // How many arguments the handler consumes; more is "extra arguments".
    let used: usize = match arg {
        Arg::Modelled | Arg::Match | Arg::Include | Arg::Ignored | Arg::Rest => args.len(),
        Arg::Unsupported => {
            return Err("setting RDomain not supported on this platform.".to_string())
        }
        Arg::Flag | Arg::AddressFamily => {
            let a = first.ok_or_else(|| "missing argument.".to_string())?;
            let ok: &[&str] = if arg == Arg::Flag {
                &["yes", "no"]
            } else {
                &["inet", "inet6", "any"]
            };
            if !ok.iter().any(|o| o.eq_ignore_ascii_case(a)) {
                return Err(format!("unsupported option \"{a}\"."));
            }
            1
        }
        Arg::Single => {
            first.ok_or_else(missing)?;
            1
        }
        Arg::Int => {
            atoi(args.first()).map_err(|e| format!("{kw} integer value {e}."))?;
            1
        }
        Arg::Port => {
            let a = first.ok_or_else(|| "missing port number.".to_string())?;
            if !a2port(a, l.service) {
                return Err("Badly formatted port number.".to_string());
            }
            1
        }
        Arg::ListenAddress => {
            let a = first.ok_or_else(|| "missing address".to_string())?;
            let bare_v6 = !a.contains('[') && a.matches(':').count() >= 2;
            let mut host = a.clone();
            if !bare_v6 {
                let (h, port) = hpdelim(a).map_err(|()| "bad address:port usage".to_string())?;
                host = h;
                if let Some(p) = port {
                    if !a2port(&p, l.service) {
                        return Err("bad port number".to_string());
                    }
                }
            }
            if args.len() > 1 {
                if args[1] != "rdomain" || args.len() < 3 {
                    return Err("bad ListenAddress syntax".to_string());
                }
                // valid_rdomain() is false on this platform.
                return Err("bad routing domain".to_string());
            }
            if !(l.resolves)(&host) {
                return Err(format!(
                    "bad addr or host: {host} (Name or service not known)"
                ));
            }
            1
        }
        Arg::Facility => {
            let a = args.first().map(String::as_str).unwrap_or("");
            if !FACILITIES.iter().any(|f| f.eq_ignore_ascii_case(a)) {
                let shown = if args.is_empty() { "<NONE>" } else { a };
                return Err(format!("unsupported log facility '{shown}'"));
            }
            1
        }
        Arg::LogVerbose | Arg::ChannelTimeout => {
            for (i, a) in args.iter().enumerate() {
                if arg == Arg::LogVerbose && a.is_empty() {
                    return Err(format!("keyword {kw} empty argument"));
                }
                if a.eq_ignore_ascii_case("none") {
                    // 9.2 never advances its position counter for ChannelTimeout.
                    let later = i + 1 < args.len();
                    if later || (arg == Arg::LogVerbose && i > 0) {
                        return Err(format!("keyword {kw} \"none\" argument must appear alone."));
                    }
                } else if arg == Arg::ChannelTimeout {
                    let ok = a
                        .split_once('=')
                        .is_some_and(|(t, v)| !t.is_empty() && convtime(v).is_some());
                    if !ok {
                        return Err(format!("invalid channel timeout {a}"));
                    }
                }
            }
            args.len()
        }
        Arg::PubkeyAuthOptions => {
            for a in args {
                if !["none", "touch-required", "verify-required"]
                    .iter()
                    .any(|o| o.eq_ignore_ascii_case(a))
                {
                    return Err(format!("unsupported {kw} option {a}"));
                }
            }
            args.len()
        }
        Arg::GssKex => {
            let a = first.ok_or_else(missing)?;
            if !a.split(',').all(|n| GSS_KEX.contains(&n)) {
                return Err(format!("Bad GSSAPI KexAlgorithms '{a}'."));
            }
            1
        }
        Arg::RekeyLimit => {
            let a = first.ok_or_else(missing)?;
            if a != "default" {
                let v = scan_scaled(a)
                    .ok_or_else(|| format!("Bad {kw} number '{a}': Invalid argument"))?;
                if v != 0.0 && v < 16.0 {
                    return Err(format!("{kw} too small"));
                }
            }
            match args.get(1).map(String::as_str) {
                None => 1,
                Some("none") => 2,
                Some(t) => {
                    if t.is_empty() {
                        return Err("missing time value.".to_string());
                    }
                    convtime(t).ok_or_else(|| "invalid time value.".to_string())?;
                    2
                }
            }
        }
        Arg::Users | Arg::Groups | Arg::Files | Arg::AcceptEnv | Arg::SetEnv => {
            for a in args {
                let bad = match arg {
                    Arg::Users => {
                        a.is_empty() || a.split_once('@').is_some_and(|(_, h)| !addr_list_valid(h))
                    }
                    Arg::AcceptEnv => a.is_empty() || a.contains('='),
                    Arg::SetEnv => !a.contains('='),
                    _ => a.is_empty(),
                };
                if bad {
                    return Err(match arg {
                        Arg::Users => format!("invalid {kw} pattern: \"{a}\""),
                        Arg::Groups => format!("empty {kw} pattern"),
                        Arg::AcceptEnv => "Invalid environment name.".to_string(),
                        Arg::SetEnv => "Invalid environment.".to_string(),
                        _ => format!("keyword {kw} empty argument"),
                    });
                }
            }
            args.len()
        }
        Arg::Subsystem => {
            let name = first.ok_or_else(missing)?;
            if l.subsystems.contains(name) {
                return Err(format!("Subsystem '{name}' already defined."));
            }
            l.subsystems.push(name.clone());
            if args.get(1).is_none_or(|c| c.is_empty()) {
                return Err("Missing subsystem command.".to_string());
            }
            args.len()
        }
        Arg::PerSourceMaxStartups => {
            let a = first.ok_or_else(missing)?;
            if a != "none" {
                atoi(Some(a)).map_err(|e| format!("{kw} integer value {e}."))?;
            }
            1
        }
        Arg::NetBlockSize => {
            let a = first.ok_or_else(missing)?;
            let invalid = || format!("Invalid {kw} spec.");
            let (v4, rest) = c_int_prefix(a).ok_or_else(invalid)?;
            if !(0..=32).contains(&v4) {
                return Err(invalid());
            }
            if let Some((v6, _)) = rest.strip_prefix(':').and_then(c_int_prefix) {
                if !(0..=128).contains(&v6) {
                    return Err(invalid());
                }
            }
            1
        }
        Arg::PermitOpen | Arg::PermitListen => {
            let a = first.ok_or_else(missing)?;
            if a == "any" || a == "none" {
                1
            } else {
                let mut n = 0;
                for a in args {
                    n += 1;
                    if a.is_empty() {
                        break;
                    }
                    let port = if arg == Arg::PermitListen && !a.contains(':') {
                        Some(a.clone())
                    } else {
                        hpdelim(a).map_err(|()| format!("{kw} missing host"))?.1
                    };
                    let ok = port.is_some_and(|p| p == "*" || a2port(&p, l.service));
                    if !ok {
                        return Err(format!("{kw} bad port number"));
                    }
                }
                n
            }
        }
        Arg::IpQos => {
            let a = first.ok_or_else(missing)?;
            for v in args.iter().take(2) {
                if !ipqos_valid(v) {
                    return Err(format!("Bad {kw} value: {v}"));
                }
            }
            let _ = a;
            args.len().min(2)
        }
        Arg::Command => {
            let s = l.rest.trim_start_matches([' ', '\t']);
            if !s.starts_with('/') && !s.eq_ignore_ascii_case("none") {
                return Err(format!("{kw} must be an absolute path"));
            }
            fx.command = Some(s.to_string());
            args.len()
        }
        Arg::AuthMethods => {
            let mut any = false;
            for (i, a) in args.iter().enumerate() {
                if a == "any" {
                    if i > 0 {
                        return Err(format!("\"any\" must appear alone in {kw}"));
                    }
                    any = true;
                } else if any {
                    return Err(format!("\"any\" must appear alone in {kw}"));
                } else if !auth_list_valid(a) {
                    return Err(format!("invalid {kw} method list."));
                }
                fx.auth_methods.push(a.clone());
            }
            args.len()
        }
        Arg::Mask => {
            first.ok_or_else(missing)?;
            match strtol8(args[0].as_str()) {
                Some(v) if (0..=0o777).contains(&v) => 1,
                _ => return Err(format!("Invalid {kw}.")),
            }
        }
        Arg::FingerprintHash => {
            let a = first.ok_or_else(missing)?;
            if !["md5", "sha1", "sha256", "sha384", "sha512"]
                .iter()
                .any(|h| h.eq_ignore_ascii_case(a))
            {
                return Err(format!("Invalid {kw} algorithm \"{a}\"."));
            }
            1
        }
        Arg::UnusedTimeout => {
            let a = first.ok_or_else(|| "missing time value.".to_string())?;
            if !a.eq_ignore_ascii_case("none") {
                convtime(a).ok_or_else(|| "invalid time value.".to_string())?;
            }
            1
        }
    };
    if matches!(arg, Arg::Single) && kw.to_ascii_lowercase().ends_with("commanduser") {
        fx.command_user = first.cloned();
    }
    if args.len() > used {
        return Err(format!("keyword {kw} extra arguments at end of line"));
    }
    Ok(fx)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(arg: Arg, line: &str) -> Result<Effects, String> {
        let args = super::super::lexer::argv_split(line).unwrap();
        let mut subs = vec!["sftp".to_string()];
        let service = |s: &str| s == "ssh";
        check(
            arg,
            &mut Line {
                keyword: "Kw",
                rest: line,
                args: &args,
                service: &service,
                resolves: &|h: &str| h.parse::<std::net::IpAddr>().is_ok(),
                subsystems: &mut subs,
            },
        )
    }

    #[test]
    fn each_argument_kind() {
        let ok = |a, l| assert!(run(a, l).is_ok(), "{a:?} {l:?}: {:?}", run(a, l));
        let bad = |a, l| assert!(run(a, l).is_err(), "{a:?} {l:?} accepted");
        ok(Arg::Flag, "YES");
        bad(Arg::Flag, "maybe");
        bad(Arg::Flag, "yes no");
        ok(Arg::AddressFamily, "inet6");
        bad(Arg::AddressFamily, "ipv6");
        ok(Arg::Int, "+4");
        bad(Arg::Int, "-1");
        bad(Arg::Int, "2147483648");
        ok(Arg::Port, "22");
        ok(Arg::Port, "ssh");
        bad(Arg::Port, "abc");
        bad(Arg::Port, "0");
        bad(Arg::Port, "65536");
        ok(Arg::ListenAddress, "[::1]:2222");
        ok(Arg::ListenAddress, "::1");
        ok(Arg::ListenAddress, "10.0.0.1:ssh");
        bad(Arg::ListenAddress, "10.0.0.1:");
        bad(Arg::ListenAddress, "[::1]x");
        bad(Arg::ListenAddress, "10.0.0.1 rdomain");
        bad(Arg::ListenAddress, "10.0.0.1/8");
        bad(Arg::ListenAddress, "no-such-host");
        ok(Arg::IpQos, "+4");
        ok(Arg::Facility, "local7");
        bad(Arg::Facility, "LOCAL9");
        ok(Arg::RekeyLimit, "1.5G 1h");
        ok(Arg::RekeyLimit, "default none");
        bad(Arg::RekeyLimit, "lots");
        bad(Arg::RekeyLimit, "10");
        bad(Arg::RekeyLimit, "1G 5x");
        bad(Arg::RekeyLimit, "1G none x");
        ok(
            Arg::AuthMethods,
            "publickey,password publickey,keyboard-interactive:pam",
        );
        ok(Arg::AuthMethods, "any");
        bad(Arg::AuthMethods, "publickey,foo");
        bad(Arg::AuthMethods, "publickey,,password");
        bad(Arg::AuthMethods, "any publickey");
        ok(Arg::Subsystem, "other /usr/lib/x -l INFO");
        bad(Arg::Subsystem, "other");
        bad(Arg::Subsystem, "sftp /usr/lib/sftp-server");
        ok(Arg::IpQos, "AF11 cs1");
        ok(Arg::IpQos, "0x10");
        bad(Arg::IpQos, "256");
        bad(Arg::IpQos, "af11 af12 af13");
        ok(Arg::Mask, "0777x");
        bad(Arg::Mask, "9");
        ok(Arg::NetBlockSize, "24:x");
        bad(Arg::NetBlockSize, "32:129");
        ok(Arg::PerSourceMaxStartups, "none");
        bad(Arg::PerSourceMaxStartups, "-1");
        ok(Arg::PermitListen, "80");
        bad(Arg::PermitListen, "x");
        ok(Arg::PermitOpen, "host:*");
        bad(Arg::PermitOpen, "host");
        bad(Arg::PermitOpen, "any x");
        ok(Arg::ChannelTimeout, "session=5m none");
        bad(Arg::ChannelTimeout, "none session=5m");
        bad(Arg::ChannelTimeout, "=5");
        ok(Arg::UnusedTimeout, "NONE");
        bad(Arg::UnusedTimeout, "5x");
        bad(Arg::LogVerbose, "none x");
        ok(Arg::FingerprintHash, "SHA256");
        bad(Arg::FingerprintHash, "md4");
        bad(Arg::Users, "u@10.0.0.1/8");
        ok(Arg::Users, "u@10.0.0.0/8");
        bad(Arg::AcceptEnv, "A=B");
        bad(Arg::SetEnv, "A");
        ok(Arg::Command, "/bin/x %u");
        bad(Arg::Command, "bin/x");
        ok(Arg::Ignored, "anything at all");
        bad(Arg::Unsupported, "none");
        ok(Arg::Rest, "a b c");
    }
}
