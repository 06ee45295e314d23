//! The check registry: one closed enum, one line per check type, one module per type.
//!
//! A rule's `check:` is `{type: <name>, params: {...}}`. Serde turns an unknown type into
//! "unknown variant `x`, expected one of …" at load time, with the file position.
//!
//! Adding a check type: write `checks/<name>.rs` (module doc → `Params` → `evaluate` →
//! tests), add its line to [`CheckSpec`] and its arm to [`CheckSpec::evaluate`], and add
//! fixtures under `tests/fixtures/<name>/`.

use crate::host::Host;
use crate::outcome::Outcome;
use serde::{Deserialize, Serialize};

pub mod expect;

pub mod audit_rule;
pub mod file;
pub mod kernel_module;
pub mod keyvalue;
pub mod mount;
pub mod package;
pub mod patch;
pub mod service;
pub mod sshd;
pub mod sysctl;
pub mod vulnerability;

/// A check type and its parameters.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(
    tag = "type",
    content = "params",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum CheckSpec {
    /// Effective OpenSSH server configuration.
    Sshd(sshd::Params),
    /// Persistent and runtime kernel parameters.
    Sysctl(sysctl::Params),
    /// File existence, mode and ownership.
    File(file::Params),
    /// `KEY VALUE` / `KEY=VALUE` configuration files.
    Keyvalue(keyvalue::Params),
    /// Mount points and their options.
    Mount(mount::Params),
    /// Installed packages and their versions.
    Package(package::Params),
    /// Patch currency: pending security updates, pending reboot, end of support.
    Patch(patch::Params),
    /// systemd unit enablement.
    Service(service::Params),
    /// Kernel module loading disabled.
    KernelModule(kernel_module::Params),
    /// auditd rules present.
    AuditRule(audit_rule::Params),
    /// Known vulnerabilities open on the host (needs `scan --feeds`).
    Vulnerability(vulnerability::Params),
    // Network checks (net/): evaluated per target by `net::run`, not by `evaluate`.
    /// TLS endpoint refuses protocol versions below a floor.
    TlsProtocol(crate::net::tls_protocol::Params),
    /// TLS endpoint refuses weak cipher suite families.
    TlsCiphers(crate::net::tls_ciphers::Params),
    /// Certificate expiry, key strength, signature, chain trust (endpoints and files).
    Certificate(crate::net::cert::Params),
    /// HTTPS endpoint sends Strict-Transport-Security.
    Hsts(crate::net::hsts::Params),
    /// Every MX host of a domain offers STARTTLS.
    SmtpStarttls(crate::net::smtp::Params),
    /// A domain's SPF record.
    Spf(crate::net::spf::Params),
    /// A domain's DMARC record.
    Dmarc(crate::net::dmarc::Params),
    /// A domain's zone validates with DNSSEC.
    Dnssec(crate::net::dnssec::Params),
    /// A domain restricts certificate issuance with CAA.
    Caa(crate::net::dnssec::CaaParams),
    /// The host's resolv.conf uses only allowed resolvers.
    Resolver(crate::net::resolver_conf::Params),
}

impl CheckSpec {
    /// Evaluate the check against a host. Never panics on bad input: unreadable or
    /// malformed files give [`Status::Error`].
    pub fn evaluate(&self, host: &Host) -> Outcome {
        match self {
            CheckSpec::Sshd(p) => sshd::evaluate(p, host),
            CheckSpec::Sysctl(p) => sysctl::evaluate(p, host),
            CheckSpec::File(p) => file::evaluate(p, host),
            CheckSpec::Keyvalue(p) => keyvalue::evaluate(p, host),
            CheckSpec::Mount(p) => mount::evaluate(p, host),
            CheckSpec::Package(p) => package::evaluate(p, host),
            CheckSpec::Patch(p) => patch::evaluate(p, host),
            CheckSpec::Service(p) => service::evaluate(p, host),
            CheckSpec::KernelModule(p) => kernel_module::evaluate(p, host),
            CheckSpec::AuditRule(p) => audit_rule::evaluate(p, host),
            CheckSpec::Vulnerability(p) => vulnerability::evaluate(p, host),
            CheckSpec::TlsProtocol(_)
            | CheckSpec::TlsCiphers(_)
            | CheckSpec::Certificate(_)
            | CheckSpec::Hsts(_)
            | CheckSpec::SmtpStarttls(_)
            | CheckSpec::Spf(_)
            | CheckSpec::Dmarc(_)
            | CheckSpec::Dnssec(_)
            | CheckSpec::Caa(_)
            | CheckSpec::Resolver(_) => Outcome::not_applicable(
                "network rule: evaluated per target by the network runner (net::run)",
            ),
        }
    }

    /// The check type's name as written in policies.
    pub fn type_name(&self) -> &'static str {
        match self {
            CheckSpec::Sshd(_) => "sshd",
            CheckSpec::Sysctl(_) => "sysctl",
            CheckSpec::File(_) => "file",
            CheckSpec::Keyvalue(_) => "keyvalue",
            CheckSpec::Mount(_) => "mount",
            CheckSpec::Package(_) => "package",
            CheckSpec::Patch(_) => "patch",
            CheckSpec::Service(_) => "service",
            CheckSpec::KernelModule(_) => "kernel_module",
            CheckSpec::AuditRule(_) => "audit_rule",
            CheckSpec::Vulnerability(_) => "vulnerability",
            CheckSpec::TlsProtocol(_) => "tls_protocol",
            CheckSpec::TlsCiphers(_) => "tls_ciphers",
            CheckSpec::Certificate(_) => "certificate",
            CheckSpec::Hsts(_) => "hsts",
            CheckSpec::SmtpStarttls(_) => "smtp_starttls",
            CheckSpec::Spf(_) => "spf",
            CheckSpec::Dmarc(_) => "dmarc",
            CheckSpec::Dnssec(_) => "dnssec",
            CheckSpec::Caa(_) => "caa",
            CheckSpec::Resolver(_) => "resolver",
        }
    }
}
