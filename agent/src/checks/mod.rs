//! The check registry: one closed enum, one line per check type, one module per type.
//!
//! A rule's `check:` is `{type: <name>, params: {...}}`. Serde turns an unknown type into
//! "unknown variant `x`, expected one of …" at load time, with the file position.
//!
//! The one list below ([`registry!`]) generates [`CheckSpec`] (the serde enum), its
//! [`CheckSpec::type_name`], and [`CheckSpec::kind`]: whether a type is a host check
//! (its `Params` implements [`HostCheck`], evaluated once per host) or a network check
//! (implements [`NetCheck`], evaluated per target by [`crate::net::run`]) is decided by the
//! part of the list its line is in, and nowhere else. A line in the wrong part does not
//! compile.
//!
//! Adding a check type: write its file (`checks/<name>.rs` with `impl HostCheck for Params`,
//! or `net/<name>.rs` with `impl NetCheck for Params`), declare the module, add its line
//! below, and its rule fixtures under `tests/rules/<rule_id>/`. CONTRIBUTING.md has the
//! recipe.

use crate::host::Host;
use crate::net::check::NetCheck;
use crate::outcome::{HostCheck, Outcome};
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
pub mod sticky_dirs;
pub mod sysctl;
pub mod vulnerability;

/// What a check type is, with its parameters.
pub enum Kind<'a> {
    /// Evaluated once against the host.
    Host(&'a dyn HostCheck),
    /// Evaluated per network target (or per configured file) by [`crate::net::run`].
    Network(&'a dyn NetCheck),
}

/// Generates the registry from one list: `"name" => Variant(ParamsType),` per check type,
/// host checks first, then network checks. The order is the order of serde's "expected
/// one of" list.
macro_rules! registry {
    (
        host {
            $( $(#[$hmeta:meta])* $hname:literal => $hvar:ident($hty:ty), )*
        }
        network {
            $( $(#[$nmeta:meta])* $nname:literal => $nvar:ident($nty:ty), )*
        }
    ) => {
        /// A check type and its parameters.
        #[derive(Debug, Clone, Serialize, Deserialize)]
        #[serde(tag = "type", content = "params", deny_unknown_fields)]
        pub enum CheckSpec {
            $( $(#[$hmeta])* #[serde(rename = $hname)] $hvar($hty), )*
            $( $(#[$nmeta])* #[serde(rename = $nname)] $nvar($nty), )*
        }

        impl CheckSpec {
            /// Every check type: (name as written in policies, enum variant, network?).
            pub const TYPES: &'static [(&'static str, &'static str, bool)] = &[
                $( ($hname, stringify!($hvar), false), )*
                $( ($nname, stringify!($nvar), true), )*
            ];

            /// The check type's name as written in policies.
            pub fn type_name(&self) -> &'static str {
                match self {
                    $( CheckSpec::$hvar(_) => $hname, )*
                    $( CheckSpec::$nvar(_) => $nname, )*
                }
            }

            /// Host or network check, with its parameters.
            pub fn kind(&self) -> Kind<'_> {
                match self {
                    $( CheckSpec::$hvar(p) => Kind::Host(p), )*
                    $( CheckSpec::$nvar(p) => Kind::Network(p), )*
                }
            }
        }
    };
}

registry! {
    host {
        /// Effective OpenSSH server configuration.
        "sshd" => Sshd(sshd::Params),
        /// Persistent and runtime kernel parameters.
        "sysctl" => Sysctl(sysctl::Params),
        /// File existence, mode and ownership.
        "file" => File(file::Params),
        /// `KEY VALUE` / `KEY=VALUE` configuration files.
        "keyvalue" => Keyvalue(keyvalue::Params),
        /// Mount points and their options.
        "mount" => Mount(mount::Params),
        /// Installed packages and their versions.
        "package" => Package(package::Params),
        /// Patch currency: pending security updates, pending reboot, end of support.
        "patch" => Patch(patch::Params),
        /// systemd unit enablement.
        "service" => Service(service::Params),
        /// Kernel module loading disabled.
        "kernel_module" => KernelModule(kernel_module::Params),
        /// auditd rules present.
        "audit_rule" => AuditRule(audit_rule::Params),
        /// Known vulnerabilities open on the host (needs `scan --feeds`).
        "vulnerability" => Vulnerability(vulnerability::Params),
        /// World-writable directories have the sticky bit.
        "sticky_dirs" => StickyDirs(sticky_dirs::Params),
    }
    network {
        /// TLS endpoint refuses protocol versions below a floor.
        "tls_protocol" => TlsProtocol(crate::net::tls_protocol::Params),
        /// TLS endpoint refuses weak cipher suite families.
        "tls_ciphers" => TlsCiphers(crate::net::tls_ciphers::Params),
        /// Certificate expiry, key strength, signature, chain trust (endpoints and files).
        "certificate" => Certificate(crate::net::cert::Params),
        /// HTTPS endpoint sends Strict-Transport-Security.
        "hsts" => Hsts(crate::net::hsts::Params),
        /// Every MX host of a domain offers STARTTLS.
        "smtp_starttls" => SmtpStarttls(crate::net::smtp::Params),
        /// A domain's SPF record.
        "spf" => Spf(crate::net::spf::Params),
        /// A domain's DMARC record.
        "dmarc" => Dmarc(crate::net::dmarc::Params),
        /// A domain's zone validates with DNSSEC.
        "dnssec" => Dnssec(crate::net::dnssec::Params),
        /// A domain restricts certificate issuance with CAA.
        "caa" => Caa(crate::net::dnssec::CaaParams),
        /// The host's resolv.conf uses only allowed resolvers.
        "resolver" => Resolver(crate::net::resolver_conf::Params),
    }
}

impl CheckSpec {
    /// True for the network check types, which [`crate::net::run`] evaluates per target.
    pub fn is_network(&self) -> bool {
        matches!(self.kind(), Kind::Network(_))
    }

    /// Evaluate a host check against a host. Never panics on bad input: unreadable or
    /// malformed files give [`crate::report::Status::Error`]. A network check is
    /// `not_applicable` here: it has no meaning without its targets.
    pub fn evaluate(&self, host: &Host) -> Outcome {
        match self.kind() {
            Kind::Host(c) => c.evaluate(host),
            Kind::Network(_) => Outcome::not_applicable(
                "network rule: evaluated per target by the network runner (net::run)",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Policies name a type by the snake_case form of its variant.
    #[test]
    fn type_names_are_the_snake_case_variants() {
        for (name, variant, _) in CheckSpec::TYPES {
            let mut snake = String::new();
            for (i, c) in variant.chars().enumerate() {
                if c.is_ascii_uppercase() && i > 0 {
                    snake.push('_');
                }
                snake.push(c.to_ascii_lowercase());
            }
            assert_eq!(*name, snake, "{variant}");
        }
    }
}
