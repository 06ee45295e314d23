//! The sshd_config keyword table and OpenSSH's built-in defaults.
//!
//! Source of truth: OpenSSH 9.2p1 as built by Debian 12 (`openssh-server`
//! 1:9.2p1-2+deb12u*). The keyword list, the "allowed inside Match" flags and the
//! default values were taken from `servconf.c` and checked against this build with
//! `sshd -T` on an empty configuration (`tests`: `defaults_match_sshd_t`) and with
//! `sshd -t` per keyword. Debian's patches add `DebianBanner`, the GSSAPI key-exchange
//! keywords and `PermitBlacklistedKeys` (deprecated).

/// The keywords whose values this check models. Everything else in a file is read
/// for its syntax (unknown keyword → error) and otherwise ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kw {
    AllowAgentForwarding,
    AllowStreamLocalForwarding,
    AllowTcpForwarding,
    Banner,
    CaSignatureAlgorithms,
    Ciphers,
    ClientAliveCountMax,
    ClientAliveInterval,
    Compression,
    DisableForwarding,
    GatewayPorts,
    GssapiAuthentication,
    HostKeyAlgorithms,
    HostbasedAcceptedAlgorithms,
    HostbasedAuthentication,
    IgnoreRhosts,
    IgnoreUserKnownHosts,
    KbdInteractiveAuthentication,
    KerberosAuthentication,
    KexAlgorithms,
    LogLevel,
    LoginGraceTime,
    Macs,
    MaxAuthTries,
    MaxSessions,
    MaxStartups,
    PasswordAuthentication,
    PermitEmptyPasswords,
    PermitRootLogin,
    PermitTty,
    PermitTunnel,
    PermitUserEnvironment,
    PermitUserRc,
    PubkeyAcceptedAlgorithms,
    PubkeyAuthentication,
    StrictModes,
    TcpKeepAlive,
    UseDns,
    UsePam,
    X11Forwarding,
    X11UseLocalhost,
}

/// How a keyword's argument is parsed and normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A multistate keyword: accepted spellings (compared ASCII case-insensitively)
    /// and the spelling `sshd -T` prints for each.
    Multi(&'static [(&'static str, &'static str)]),
    /// A non-negative integer (`atoi_err`).
    Int,
    /// A time interval (`convtime`: `90`, `90s`, `10m`, `1h30m`, `1w`), in seconds.
    Time,
    /// `begin:rate:full` or a single number; the LAST occurrence wins (sshd assigns
    /// it unconditionally).
    MaxStartups,
    /// A path or `none`.
    Banner,
    /// An algorithm list with `+`/`-`/`^` modifiers.
    Algos(AlgoClass),
    /// `yes`, `no` (case-sensitive) or a pattern list of variable names.
    PermitUserEnv,
    /// QUIET, FATAL, ERROR, INFO, VERBOSE, DEBUG, DEBUG1..3.
    LogLevel,
    /// `no`, `point-to-point`, `ethernet`, `yes` (case-sensitive).
    PermitTunnel,
}

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

const FLAG: Kind = Kind::Multi(&[("yes", "yes"), ("no", "no")]);
const PERMIT_ROOT: Kind = Kind::Multi(&[
    // `without-password` is the deprecated alias; sshd -T prints it, we normalise
    // to the documented name.
    ("without-password", "prohibit-password"),
    ("prohibit-password", "prohibit-password"),
    ("forced-commands-only", "forced-commands-only"),
    ("yes", "yes"),
    ("no", "no"),
]);
const IGNORE_RHOSTS: Kind =
    Kind::Multi(&[("yes", "yes"), ("no", "no"), ("shosts-only", "shosts-only")]);
const TCPFWD: Kind = Kind::Multi(&[
    ("yes", "yes"),
    ("all", "yes"),
    ("no", "no"),
    ("remote", "remote"),
    ("local", "local"),
]);
const COMPRESSION: Kind = Kind::Multi(&[("yes", "yes"), ("delayed", "yes"), ("no", "no")]);
const GATEWAY: Kind = Kind::Multi(&[
    ("clientspecified", "clientspecified"),
    ("yes", "yes"),
    ("no", "no"),
]);

impl Kw {
    /// Every modelled keyword.
    pub const ALL: [Kw; 41] = [
        Kw::AllowAgentForwarding,
        Kw::AllowStreamLocalForwarding,
        Kw::AllowTcpForwarding,
        Kw::Banner,
        Kw::CaSignatureAlgorithms,
        Kw::Ciphers,
        Kw::ClientAliveCountMax,
        Kw::ClientAliveInterval,
        Kw::Compression,
        Kw::DisableForwarding,
        Kw::GatewayPorts,
        Kw::GssapiAuthentication,
        Kw::HostKeyAlgorithms,
        Kw::HostbasedAcceptedAlgorithms,
        Kw::HostbasedAuthentication,
        Kw::IgnoreRhosts,
        Kw::IgnoreUserKnownHosts,
        Kw::KbdInteractiveAuthentication,
        Kw::KerberosAuthentication,
        Kw::KexAlgorithms,
        Kw::LogLevel,
        Kw::LoginGraceTime,
        Kw::Macs,
        Kw::MaxAuthTries,
        Kw::MaxSessions,
        Kw::MaxStartups,
        Kw::PasswordAuthentication,
        Kw::PermitEmptyPasswords,
        Kw::PermitRootLogin,
        Kw::PermitTty,
        Kw::PermitTunnel,
        Kw::PermitUserEnvironment,
        Kw::PermitUserRc,
        Kw::PubkeyAcceptedAlgorithms,
        Kw::PubkeyAuthentication,
        Kw::StrictModes,
        Kw::TcpKeepAlive,
        Kw::UseDns,
        Kw::UsePam,
        Kw::X11Forwarding,
        Kw::X11UseLocalhost,
    ];

    /// The name as documented in sshd_config(5).
    pub fn name(self) -> &'static str {
        match self {
            Kw::AllowAgentForwarding => "AllowAgentForwarding",
            Kw::AllowStreamLocalForwarding => "AllowStreamLocalForwarding",
            Kw::AllowTcpForwarding => "AllowTcpForwarding",
            Kw::Banner => "Banner",
            Kw::CaSignatureAlgorithms => "CASignatureAlgorithms",
            Kw::Ciphers => "Ciphers",
            Kw::ClientAliveCountMax => "ClientAliveCountMax",
            Kw::ClientAliveInterval => "ClientAliveInterval",
            Kw::Compression => "Compression",
            Kw::DisableForwarding => "DisableForwarding",
            Kw::GatewayPorts => "GatewayPorts",
            Kw::GssapiAuthentication => "GSSAPIAuthentication",
            Kw::HostKeyAlgorithms => "HostKeyAlgorithms",
            Kw::HostbasedAcceptedAlgorithms => "HostbasedAcceptedAlgorithms",
            Kw::HostbasedAuthentication => "HostbasedAuthentication",
            Kw::IgnoreRhosts => "IgnoreRhosts",
            Kw::IgnoreUserKnownHosts => "IgnoreUserKnownHosts",
            Kw::KbdInteractiveAuthentication => "KbdInteractiveAuthentication",
            Kw::KerberosAuthentication => "KerberosAuthentication",
            Kw::KexAlgorithms => "KexAlgorithms",
            Kw::LogLevel => "LogLevel",
            Kw::LoginGraceTime => "LoginGraceTime",
            Kw::Macs => "MACs",
            Kw::MaxAuthTries => "MaxAuthTries",
            Kw::MaxSessions => "MaxSessions",
            Kw::MaxStartups => "MaxStartups",
            Kw::PasswordAuthentication => "PasswordAuthentication",
            Kw::PermitEmptyPasswords => "PermitEmptyPasswords",
            Kw::PermitRootLogin => "PermitRootLogin",
            Kw::PermitTty => "PermitTTY",
            Kw::PermitTunnel => "PermitTunnel",
            Kw::PermitUserEnvironment => "PermitUserEnvironment",
            Kw::PermitUserRc => "PermitUserRC",
            Kw::PubkeyAcceptedAlgorithms => "PubkeyAcceptedAlgorithms",
            Kw::PubkeyAuthentication => "PubkeyAuthentication",
            Kw::StrictModes => "StrictModes",
            Kw::TcpKeepAlive => "TCPKeepAlive",
            Kw::UseDns => "UseDNS",
            Kw::UsePam => "UsePAM",
            Kw::X11Forwarding => "X11Forwarding",
            Kw::X11UseLocalhost => "X11UseLocalhost",
        }
    }

    /// How the argument is parsed.
    pub fn kind(self) -> Kind {
        match self {
            Kw::PermitRootLogin => PERMIT_ROOT,
            Kw::IgnoreRhosts => IGNORE_RHOSTS,
            Kw::AllowTcpForwarding | Kw::AllowStreamLocalForwarding => TCPFWD,
            Kw::Compression => COMPRESSION,
            Kw::GatewayPorts => GATEWAY,
            Kw::MaxAuthTries | Kw::MaxSessions | Kw::ClientAliveCountMax => Kind::Int,
            Kw::LoginGraceTime | Kw::ClientAliveInterval => Kind::Time,
            Kw::MaxStartups => Kind::MaxStartups,
            Kw::Banner => Kind::Banner,
            Kw::Ciphers => Kind::Algos(AlgoClass::Cipher),
            Kw::Macs => Kind::Algos(AlgoClass::Mac),
            Kw::KexAlgorithms => Kind::Algos(AlgoClass::Kex),
            Kw::HostKeyAlgorithms
            | Kw::PubkeyAcceptedAlgorithms
            | Kw::HostbasedAcceptedAlgorithms => Kind::Algos(AlgoClass::Key),
            Kw::CaSignatureAlgorithms => Kind::Algos(AlgoClass::Sig),
            Kw::PermitUserEnvironment => Kind::PermitUserEnv,
            Kw::LogLevel => Kind::LogLevel,
            Kw::PermitTunnel => Kind::PermitTunnel,
            _ => FLAG,
        }
    }

    /// True when a value set inside a `Match` block takes effect for matching
    /// connections (sshd copies it in `copy_set_server_options`).
    pub fn match_effective(self) -> bool {
        !matches!(
            self,
            Kw::Ciphers
                | Kw::Macs
                | Kw::KexAlgorithms
                | Kw::HostKeyAlgorithms
                | Kw::LoginGraceTime
                | Kw::MaxStartups
                | Kw::PermitUserEnvironment
                | Kw::UsePam
                | Kw::StrictModes
                | Kw::TcpKeepAlive
                | Kw::UseDns
                | Kw::Compression
                | Kw::IgnoreUserKnownHosts
        )
    }

    /// OpenSSH's compiled-in default, as `sshd -T` prints it (normalised).
    pub fn default_value(self) -> &'static str {
        match self {
            Kw::AllowAgentForwarding
            | Kw::AllowStreamLocalForwarding
            | Kw::AllowTcpForwarding
            | Kw::Compression
            | Kw::IgnoreRhosts
            | Kw::KbdInteractiveAuthentication
            | Kw::PasswordAuthentication
            | Kw::PermitTty
            | Kw::PermitUserRc
            | Kw::PubkeyAuthentication
            | Kw::StrictModes
            | Kw::TcpKeepAlive
            | Kw::X11UseLocalhost => "yes",
            Kw::DisableForwarding
            | Kw::GatewayPorts
            | Kw::GssapiAuthentication
            | Kw::HostbasedAuthentication
            | Kw::IgnoreUserKnownHosts
            | Kw::KerberosAuthentication
            | Kw::PermitEmptyPasswords
            | Kw::PermitTunnel
            | Kw::PermitUserEnvironment
            | Kw::UseDns
            | Kw::UsePam
            | Kw::X11Forwarding => "no",
            Kw::Banner => "none",
            Kw::ClientAliveCountMax => "3",
            Kw::ClientAliveInterval => "0",
            Kw::LogLevel => "INFO",
            Kw::LoginGraceTime => "120",
            Kw::MaxAuthTries => "6",
            Kw::MaxSessions => "10",
            Kw::MaxStartups => "10:30:100",
            Kw::PermitRootLogin => "prohibit-password",
            Kw::Ciphers => super::algos::DEFAULT_CIPHERS,
            Kw::Macs => super::algos::DEFAULT_MACS,
            Kw::KexAlgorithms => super::algos::DEFAULT_KEX,
            Kw::HostKeyAlgorithms
            | Kw::PubkeyAcceptedAlgorithms
            | Kw::HostbasedAcceptedAlgorithms => super::algos::DEFAULT_KEY,
            Kw::CaSignatureAlgorithms => super::algos::DEFAULT_SIG,
        }
    }

    /// Find a modelled keyword by any of its spellings (aliases included),
    /// ASCII case-insensitively.
    pub fn lookup(name: &str) -> Option<Kw> {
        lookup_row(name).and_then(|r| r.kw)
    }
}

/// One row of sshd's keyword table.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    /// Lower-case keyword as sshd spells it.
    pub name: &'static str,
    /// The modelled keyword it sets, if any.
    pub kw: Option<Kw>,
    /// Allowed inside a `Match` block (`SSHCFG_MATCH`).
    pub in_match: bool,
}

const fn g(name: &'static str, kw: Option<Kw>) -> Row {
    Row {
        name,
        kw,
        in_match: false,
    }
}

const fn a(name: &'static str, kw: Option<Kw>) -> Row {
    Row {
        name,
        kw,
        in_match: true,
    }
}

/// Every keyword sshd 9.2p1 (Debian) accepts. `g` = global only, `a` = also in Match.
/// Deprecated and unsupported keywords are accepted (sshd logs and ignores them).
pub const KEYWORDS: &[Row] = &[
    g("usepam", Some(Kw::UsePam)),
    g("pamauthenticationviakbdint", None),
    g("port", None),
    g("hostkey", None),
    g("hostdsakey", None),
    g("hostkeyagent", None),
    g("pidfile", None),
    g("modulifile", None),
    g("serverkeybits", None),
    g("logingracetime", Some(Kw::LoginGraceTime)),
    g("keyregenerationinterval", None),
    a("permitrootlogin", Some(Kw::PermitRootLogin)),
    g("syslogfacility", None),
    a("loglevel", Some(Kw::LogLevel)),
    a("logverbose", None),
    g("rhostsauthentication", None),
    a("rhostsrsaauthentication", None),
    a("hostbasedauthentication", Some(Kw::HostbasedAuthentication)),
    a("hostbasedusesnamefrompacketonly", None),
    a(
        "hostbasedacceptedalgorithms",
        Some(Kw::HostbasedAcceptedAlgorithms),
    ),
    a(
        "hostbasedacceptedkeytypes",
        Some(Kw::HostbasedAcceptedAlgorithms),
    ),
    g("hostkeyalgorithms", Some(Kw::HostKeyAlgorithms)),
    a("rsaauthentication", None),
    a("pubkeyauthentication", Some(Kw::PubkeyAuthentication)),
    a(
        "pubkeyacceptedalgorithms",
        Some(Kw::PubkeyAcceptedAlgorithms),
    ),
    a("pubkeyacceptedkeytypes", Some(Kw::PubkeyAcceptedAlgorithms)),
    a("pubkeyauthoptions", None),
    g("dsaauthentication", Some(Kw::PubkeyAuthentication)),
    a("kerberosauthentication", Some(Kw::KerberosAuthentication)),
    g("kerberosorlocalpasswd", None),
    g("kerberosticketcleanup", None),
    g("kerberosgetafstoken", None),
    g("kerberostgtpassing", None),
    g("afstokenpassing", None),
    a("gssapiauthentication", Some(Kw::GssapiAuthentication)),
    g("gssapicleanupcredentials", None),
    g("gssapicleanupcreds", None),
    g("gssapistrictacceptorcheck", None),
    g("gssapikeyexchange", None),
    g("gssapistorecredentialsonrekey", None),
    g("gssapikexalgorithms", None),
    g("gssusesessionccache", None),
    g("gssapiusesessioncredcache", None),
    a("passwordauthentication", Some(Kw::PasswordAuthentication)),
    a(
        "kbdinteractiveauthentication",
        Some(Kw::KbdInteractiveAuthentication),
    ),
    a(
        "challengeresponseauthentication",
        Some(Kw::KbdInteractiveAuthentication),
    ),
    a("skeyauthentication", Some(Kw::KbdInteractiveAuthentication)),
    g("checkmail", None),
    g("listenaddress", None),
    g("addressfamily", None),
    g("printmotd", None),
    g("printlastlog", None),
    a("ignorerhosts", Some(Kw::IgnoreRhosts)),
    g("ignoreuserknownhosts", Some(Kw::IgnoreUserKnownHosts)),
    a("x11forwarding", Some(Kw::X11Forwarding)),
    a("x11displayoffset", None),
    a("x11uselocalhost", Some(Kw::X11UseLocalhost)),
    g("xauthlocation", None),
    g("strictmodes", Some(Kw::StrictModes)),
    g("permitblacklistedkeys", None),
    a("permitemptypasswords", Some(Kw::PermitEmptyPasswords)),
    g("permituserenvironment", Some(Kw::PermitUserEnvironment)),
    g("uselogin", None),
    g("compression", Some(Kw::Compression)),
    a("rekeylimit", None),
    g("tcpkeepalive", Some(Kw::TcpKeepAlive)),
    g("keepalive", Some(Kw::TcpKeepAlive)),
    a("allowtcpforwarding", Some(Kw::AllowTcpForwarding)),
    a("allowagentforwarding", Some(Kw::AllowAgentForwarding)),
    a("allowusers", None),
    a("denyusers", None),
    a("allowgroups", None),
    a("denygroups", None),
    g("ciphers", Some(Kw::Ciphers)),
    g("macs", Some(Kw::Macs)),
    g("protocol", None),
    a("gatewayports", Some(Kw::GatewayPorts)),
    g("subsystem", None),
    g("maxstartups", Some(Kw::MaxStartups)),
    g("persourcemaxstartups", None),
    g("persourcenetblocksize", None),
    a("maxauthtries", Some(Kw::MaxAuthTries)),
    a("maxsessions", Some(Kw::MaxSessions)),
    a("banner", Some(Kw::Banner)),
    g("usedns", Some(Kw::UseDns)),
    g("verifyreversemapping", None),
    g("reversemappingcheck", None),
    a("clientaliveinterval", Some(Kw::ClientAliveInterval)),
    a("clientalivecountmax", Some(Kw::ClientAliveCountMax)),
    a("authorizedkeysfile", None),
    a("authorizedkeysfile2", None),
    g("useprivilegeseparation", None),
    a("acceptenv", None),
    a("setenv", None),
    a("permittunnel", Some(Kw::PermitTunnel)),
    a("permittty", Some(Kw::PermitTty)),
    a("permituserrc", Some(Kw::PermitUserRc)),
    a("match", None),
    a("permitopen", None),
    a("permitlisten", None),
    a("forcecommand", None),
    a("chrootdirectory", None),
    g("hostcertificate", None),
    a("revokedkeys", None),
    a("trustedusercakeys", None),
    a("authorizedprincipalsfile", None),
    g("kexalgorithms", Some(Kw::KexAlgorithms)),
    a("include", None),
    a("ipqos", None),
    a("authorizedkeyscommand", None),
    a("authorizedkeyscommanduser", None),
    a("authorizedprincipalscommand", None),
    a("authorizedprincipalscommanduser", None),
    g("versionaddendum", None),
    a("authenticationmethods", None),
    a("streamlocalbindmask", None),
    a("streamlocalbindunlink", None),
    a(
        "allowstreamlocalforwarding",
        Some(Kw::AllowStreamLocalForwarding),
    ),
    g("fingerprinthash", None),
    a("disableforwarding", Some(Kw::DisableForwarding)),
    a("exposeauthinfo", None),
    a("rdomain", None),
    a("casignaturealgorithms", Some(Kw::CaSignatureAlgorithms)),
    g("securitykeyprovider", None),
    a("requiredrsasize", None),
    a("channeltimeout", None),
    a("unusedconnectiontimeout", None),
    g("debianbanner", None),
];

/// The table row for a keyword as written in a file (ASCII case-insensitive).
pub fn lookup_row(name: &str) -> Option<&'static Row> {
    KEYWORDS.iter().find(|r| r.name.eq_ignore_ascii_case(name))
}

/// sshd's log level names; `DEBUG` and `DEBUG1` are the same level, printed `DEBUG`.
/// `SILENT` is an undocumented synonym of `QUIET` (which `sshd -T` prints as `SILENT`;
/// we report the documented name `QUIET`).
pub fn log_level(arg: &str) -> Option<&'static str> {
    const LEVELS: [(&str, &str); 10] = [
        ("SILENT", "QUIET"),
        ("QUIET", "QUIET"),
        ("FATAL", "FATAL"),
        ("ERROR", "ERROR"),
        ("INFO", "INFO"),
        ("VERBOSE", "VERBOSE"),
        ("DEBUG", "DEBUG"),
        ("DEBUG1", "DEBUG"),
        ("DEBUG2", "DEBUG2"),
        ("DEBUG3", "DEBUG3"),
    ];
    LEVELS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(arg))
        .map(|(_, p)| *p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_modelled_keyword_has_a_row_under_its_own_name() {
        for kw in Kw::ALL {
            assert_eq!(Kw::lookup(kw.name()), Some(kw), "{kw:?}");
            let row = lookup_row(kw.name()).unwrap();
            // A keyword that takes effect in Match must be allowed there.
            if kw.match_effective() {
                assert!(row.in_match, "{kw:?}");
            }
        }
        assert_eq!(
            Kw::lookup("ChallengeResponseAuthentication"),
            Some(Kw::KbdInteractiveAuthentication)
        );
        assert!(lookup_row("useblacklist").is_none());
    }
}
