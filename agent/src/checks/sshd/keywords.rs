//! The sshd_config keyword table and OpenSSH's built-in defaults.
//!
//! Source of truth: OpenSSH 9.2p1 as built by Debian 12 (`openssh-server`
//! 1:9.2p1-2+deb12u*). The keyword list, the "allowed inside Match" flags and the
//! default values were taken from `servconf.c` and checked against this build with
//! `sshd -T` on an empty configuration (`tests`: `defaults_match_sshd_t`) and with
//! `sshd -t` per keyword. Debian's patches add `DebianBanner`, the GSSAPI key-exchange
//! keywords and `PermitBlacklistedKeys` (deprecated).

use super::algos::AlgoClass;

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

/// How sshd 9.2 checks the arguments of a keyword this module does not model
/// (`process_server_config_line_depth`). A violation makes sshd refuse the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    /// A modelled keyword: [`Kw::kind`] says how it is parsed.
    Modelled,
    /// Deprecated / unsupported / ignored: logged, every argument consumed.
    Ignored,
    /// sshd cannot set it on this platform (`RDomain` on Linux): always fatal.
    Unsupported,
    /// `yes` / `no` (case-insensitive).
    Flag,
    /// `inet`, `inet6`, `any`.
    AddressFamily,
    /// One non-empty argument (file name, user, socket, directory).
    Single,
    /// `atoi_err()`: 0..=INT_MAX.
    Int,
    /// `a2port()`: 1..=65535 or a service name.
    Port,
    /// `host[:port]`, `[v6]:port` or a bare IPv6 address, then optional `rdomain NAME`.
    ListenAddress,
    /// A syslog facility name.
    Facility,
    /// Non-empty arguments; `none` only alone.
    LogVerbose,
    /// `none`, `touch-required`, `verify-required`.
    PubkeyAuthOptions,
    /// GSSAPI key-exchange names (no `+`/`-`/`^`).
    GssKex,
    /// `SIZE|default [TIME|none]`.
    RekeyLimit,
    /// Patterns; `user@address` needs a valid address list.
    Users,
    /// Non-empty patterns.
    Groups,
    /// `NAME COMMAND [ARGS]`; a name may be defined once.
    Subsystem,
    /// `none` or an integer.
    PerSourceMaxStartups,
    /// `V4LEN[:V6LEN]`.
    NetBlockSize,
    /// Non-empty file names.
    Files,
    /// Variable names without `=`.
    AcceptEnv,
    /// `NAME=VALUE` pairs.
    SetEnv,
    /// `Match` criteria (parsed by the parser).
    Match,
    /// `host:port` / `any` / `none`.
    PermitOpen,
    /// `[host:]port` / `any` / `none`.
    PermitListen,
    /// The rest of the line, verbatim (ForceCommand, VersionAddendum).
    Rest,
    /// `Include` (handled by the parser).
    Include,
    /// One or two DSCP / ToS values.
    IpQos,
    /// An absolute command path or `none`.
    Command,
    /// Comma-separated authentication method lists, or `any`.
    AuthMethods,
    /// An octal mode 0..=0777 (`strtol` prefix).
    Mask,
    /// md5, sha1, sha256, sha384, sha512.
    FingerprintHash,
    /// `TYPE=TIME` pairs, or `none`.
    ChannelTimeout,
    /// `none` or a time.
    UnusedTimeout,
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
    /// How its arguments are checked.
    pub arg: Arg,
}

const fn g(name: &'static str, kw: Option<Kw>, arg: Arg) -> Row {
    Row {
        name,
        kw,
        in_match: false,
        arg,
    }
}

const fn a(name: &'static str, kw: Option<Kw>, arg: Arg) -> Row {
    Row {
        name,
        kw,
        in_match: true,
        arg,
    }
}

/// Every keyword sshd 9.2p1 (Debian) accepts. `g` = global only, `a` = also in Match.
/// Deprecated and unsupported keywords are accepted (sshd logs and ignores them).
pub const KEYWORDS: &[Row] = &[
    g("usepam", Some(Kw::UsePam), Arg::Modelled),
    g("pamauthenticationviakbdint", None, Arg::Ignored),
    g("port", None, Arg::Port),
    g("hostkey", None, Arg::Single),
    g("hostdsakey", None, Arg::Single),
    g("hostkeyagent", None, Arg::Single),
    g("pidfile", None, Arg::Single),
    g("modulifile", None, Arg::Single),
    g("serverkeybits", None, Arg::Ignored),
    g("logingracetime", Some(Kw::LoginGraceTime), Arg::Modelled),
    g("keyregenerationinterval", None, Arg::Ignored),
    a("permitrootlogin", Some(Kw::PermitRootLogin), Arg::Modelled),
    g("syslogfacility", None, Arg::Facility),
    a("loglevel", Some(Kw::LogLevel), Arg::Modelled),
    a("logverbose", None, Arg::LogVerbose),
    g("rhostsauthentication", None, Arg::Ignored),
    a("rhostsrsaauthentication", None, Arg::Ignored),
    a(
        "hostbasedauthentication",
        Some(Kw::HostbasedAuthentication),
        Arg::Modelled,
    ),
    a("hostbasedusesnamefrompacketonly", None, Arg::Flag),
    a(
        "hostbasedacceptedalgorithms",
        Some(Kw::HostbasedAcceptedAlgorithms),
        Arg::Modelled,
    ),
    a(
        "hostbasedacceptedkeytypes",
        Some(Kw::HostbasedAcceptedAlgorithms),
        Arg::Modelled,
    ),
    g(
        "hostkeyalgorithms",
        Some(Kw::HostKeyAlgorithms),
        Arg::Modelled,
    ),
    a("rsaauthentication", None, Arg::Ignored),
    a(
        "pubkeyauthentication",
        Some(Kw::PubkeyAuthentication),
        Arg::Modelled,
    ),
    a(
        "pubkeyacceptedalgorithms",
        Some(Kw::PubkeyAcceptedAlgorithms),
        Arg::Modelled,
    ),
    a(
        "pubkeyacceptedkeytypes",
        Some(Kw::PubkeyAcceptedAlgorithms),
        Arg::Modelled,
    ),
    a("pubkeyauthoptions", None, Arg::PubkeyAuthOptions),
    g(
        "dsaauthentication",
        Some(Kw::PubkeyAuthentication),
        Arg::Modelled,
    ),
    a(
        "kerberosauthentication",
        Some(Kw::KerberosAuthentication),
        Arg::Modelled,
    ),
    g("kerberosorlocalpasswd", None, Arg::Flag),
    g("kerberosticketcleanup", None, Arg::Flag),
    g("kerberosgetafstoken", None, Arg::Ignored),
    g("kerberostgtpassing", None, Arg::Ignored),
    g("afstokenpassing", None, Arg::Ignored),
    a(
        "gssapiauthentication",
        Some(Kw::GssapiAuthentication),
        Arg::Modelled,
    ),
    g("gssapicleanupcredentials", None, Arg::Flag),
    g("gssapicleanupcreds", None, Arg::Flag),
    g("gssapistrictacceptorcheck", None, Arg::Flag),
    g("gssapikeyexchange", None, Arg::Flag),
    g("gssapistorecredentialsonrekey", None, Arg::Flag),
    g("gssapikexalgorithms", None, Arg::GssKex),
    g("gssusesessionccache", None, Arg::Ignored),
    g("gssapiusesessioncredcache", None, Arg::Ignored),
    a(
        "passwordauthentication",
        Some(Kw::PasswordAuthentication),
        Arg::Modelled,
    ),
    a(
        "kbdinteractiveauthentication",
        Some(Kw::KbdInteractiveAuthentication),
        Arg::Modelled,
    ),
    a(
        "challengeresponseauthentication",
        Some(Kw::KbdInteractiveAuthentication),
        Arg::Modelled,
    ),
    a(
        "skeyauthentication",
        Some(Kw::KbdInteractiveAuthentication),
        Arg::Modelled,
    ),
    g("checkmail", None, Arg::Ignored),
    g("listenaddress", None, Arg::ListenAddress),
    g("addressfamily", None, Arg::AddressFamily),
    g("printmotd", None, Arg::Flag),
    g("printlastlog", None, Arg::Flag),
    a("ignorerhosts", Some(Kw::IgnoreRhosts), Arg::Modelled),
    g(
        "ignoreuserknownhosts",
        Some(Kw::IgnoreUserKnownHosts),
        Arg::Modelled,
    ),
    a("x11forwarding", Some(Kw::X11Forwarding), Arg::Modelled),
    a("x11displayoffset", None, Arg::Int),
    a("x11uselocalhost", Some(Kw::X11UseLocalhost), Arg::Modelled),
    g("xauthlocation", None, Arg::Single),
    g("strictmodes", Some(Kw::StrictModes), Arg::Modelled),
    g("permitblacklistedkeys", None, Arg::Ignored),
    a(
        "permitemptypasswords",
        Some(Kw::PermitEmptyPasswords),
        Arg::Modelled,
    ),
    g(
        "permituserenvironment",
        Some(Kw::PermitUserEnvironment),
        Arg::Modelled,
    ),
    g("uselogin", None, Arg::Ignored),
    g("compression", Some(Kw::Compression), Arg::Modelled),
    a("rekeylimit", None, Arg::RekeyLimit),
    g("tcpkeepalive", Some(Kw::TcpKeepAlive), Arg::Modelled),
    g("keepalive", Some(Kw::TcpKeepAlive), Arg::Modelled),
    a(
        "allowtcpforwarding",
        Some(Kw::AllowTcpForwarding),
        Arg::Modelled,
    ),
    a(
        "allowagentforwarding",
        Some(Kw::AllowAgentForwarding),
        Arg::Modelled,
    ),
    a("allowusers", None, Arg::Users),
    a("denyusers", None, Arg::Users),
    a("allowgroups", None, Arg::Groups),
    a("denygroups", None, Arg::Groups),
    g("ciphers", Some(Kw::Ciphers), Arg::Modelled),
    g("macs", Some(Kw::Macs), Arg::Modelled),
    g("protocol", None, Arg::Ignored),
    a("gatewayports", Some(Kw::GatewayPorts), Arg::Modelled),
    g("subsystem", None, Arg::Subsystem),
    g("maxstartups", Some(Kw::MaxStartups), Arg::Modelled),
    g("persourcemaxstartups", None, Arg::PerSourceMaxStartups),
    g("persourcenetblocksize", None, Arg::NetBlockSize),
    a("maxauthtries", Some(Kw::MaxAuthTries), Arg::Modelled),
    a("maxsessions", Some(Kw::MaxSessions), Arg::Modelled),
    a("banner", Some(Kw::Banner), Arg::Modelled),
    g("usedns", Some(Kw::UseDns), Arg::Modelled),
    g("verifyreversemapping", None, Arg::Ignored),
    g("reversemappingcheck", None, Arg::Ignored),
    a(
        "clientaliveinterval",
        Some(Kw::ClientAliveInterval),
        Arg::Modelled,
    ),
    a(
        "clientalivecountmax",
        Some(Kw::ClientAliveCountMax),
        Arg::Modelled,
    ),
    a("authorizedkeysfile", None, Arg::Files),
    a("authorizedkeysfile2", None, Arg::Ignored),
    g("useprivilegeseparation", None, Arg::Ignored),
    a("acceptenv", None, Arg::AcceptEnv),
    a("setenv", None, Arg::SetEnv),
    a("permittunnel", Some(Kw::PermitTunnel), Arg::Modelled),
    a("permittty", Some(Kw::PermitTty), Arg::Modelled),
    a("permituserrc", Some(Kw::PermitUserRc), Arg::Modelled),
    a("match", None, Arg::Match),
    a("permitopen", None, Arg::PermitOpen),
    a("permitlisten", None, Arg::PermitListen),
    a("forcecommand", None, Arg::Rest),
    a("chrootdirectory", None, Arg::Single),
    g("hostcertificate", None, Arg::Single),
    a("revokedkeys", None, Arg::Single),
    a("trustedusercakeys", None, Arg::Single),
    a("authorizedprincipalsfile", None, Arg::Single),
    g("kexalgorithms", Some(Kw::KexAlgorithms), Arg::Modelled),
    a("include", None, Arg::Include),
    a("ipqos", None, Arg::IpQos),
    a("authorizedkeyscommand", None, Arg::Command),
    a("authorizedkeyscommanduser", None, Arg::Single),
    a("authorizedprincipalscommand", None, Arg::Command),
    a("authorizedprincipalscommanduser", None, Arg::Single),
    g("versionaddendum", None, Arg::Rest),
    a("authenticationmethods", None, Arg::AuthMethods),
    a("streamlocalbindmask", None, Arg::Mask),
    a("streamlocalbindunlink", None, Arg::Flag),
    a(
        "allowstreamlocalforwarding",
        Some(Kw::AllowStreamLocalForwarding),
        Arg::Modelled,
    ),
    g("fingerprinthash", None, Arg::FingerprintHash),
    a(
        "disableforwarding",
        Some(Kw::DisableForwarding),
        Arg::Modelled,
    ),
    a("exposeauthinfo", None, Arg::Flag),
    a("rdomain", None, Arg::Unsupported),
    a(
        "casignaturealgorithms",
        Some(Kw::CaSignatureAlgorithms),
        Arg::Modelled,
    ),
    g("securitykeyprovider", None, Arg::Single),
    a("requiredrsasize", None, Arg::Int),
    a("channeltimeout", None, Arg::ChannelTimeout),
    a("unusedconnectiontimeout", None, Arg::UnusedTimeout),
    g("debianbanner", None, Arg::Flag),
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
        for row in KEYWORDS {
            // Modelled exactly when a Kw is set.
            assert_eq!(row.kw.is_some(), row.arg == Arg::Modelled, "{}", row.name);
        }
    }
}
