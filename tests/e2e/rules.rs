//! Every rule of the built-in baseline, proven both ways on its own fixtures.
//!
//! `tests/rules/<rule_id>/<case>/` is a minimal host tree. The case's name says the status
//! the rule must give on it: `pass`, `fail`, `error` or `not_applicable`, optionally followed
//! by `-<what>` for further cases of the same status (`fail-match-block`,
//! `error-unreadable`). Beside a case:
//!
//! - `<case>.perms` — `MODE UID GID PATH` lines for the modes and owners git cannot keep (as
//!   `tests/hosts/*.perms`); applied to a copy of the tree. Owners need root (CI runs as
//!   root); without root a case whose manifest sets owners is skipped, and says so.
//! - `<case>.toml` — how the case is scanned when the tree alone is not enough (feeds for the
//!   `vuln.*` rules; the targets of the network rules; see [`CaseOptions`]).
//! - `<case>.snap` — the snapshot of what the rule said: status, message and evidence, with
//!   what changes from run to run normalised (see [`Normalizer`]): the temporary root written
//!   `<root>`, the directory of the scan's trust store `<tmp>`, the repository's `tests/`
//!   `<tests>`, today's date (UTC) `<today>`, the loopback ports of the
//!   case's servers `:<port>`, RFC 3339 instants `<date>`, and the UNIX times and ages in
//!   rustls' expiry errors `<unix>` / `<n> seconds`, a feed's age `<n> days old`. A change of wording is a reviewed diff: run
//!   `HARDLINE_BLESS=1 cargo test -p hardline-agent --test e2e rules` to rewrite the
//!   snapshots, then read `git diff tests/rules`.
//!
//! Network rules (`policies/baseline/network.yaml`) are proven against servers on loopback
//! only (127.0.0.1), started for the case from its `.toml` (`[tls]`, `[dns]`, `[smtp]`;
//! `allowed_resolvers` for host.resolver, which reads the tree's /etc/resolv.conf) on a
//! background tokio runtime, with the builders of `servers.rs`: a rustls or `openssl
//! s_server` endpoint with a certificate from a test root (or a rogue one), the
//! authoritative DNS server with one zone (signed, unsigned or broken), an SMTP server with
//! or without STARTTLS, or a port nothing listens on. The scan's configuration points at
//! them: the one TLS target `127.0.0.1:PORT@SNI`, the one domain, the DNS server as the
//! only nameserver, the test root as `ca_bundle`, the zone's key as `dnssec_trust_anchor`,
//! a 3 s timeout. A case without any of these scans with no network target: the
//! `not_applicable` cases. A case that needs openssl is skipped, and says so, when it is not
//! installed (a failure under CI).
//!
//! The walk fails when a rule of the catalogue lacks a `pass` or a `fail` case, when any
//! case gives another status, when a snapshot is missing or differs, and when a directory
//! names no rule of the catalogue. There is no list of rule ids to keep by hand: a rule
//! added to `policies/baseline/` is walked from the moment it exists.

use crate::servers::dns::{self, Sign, Zone};
use crate::servers::{free_port, openssl_leaf, s_server, smtp_server, tls_server, Child, Pki};
use crate::util::{copy_tree, is_root, tests_dir, tool_available};
use hardline_agent::host::Host;
use hardline_agent::net::config::{domain_target, NetConfig, TlsTarget};
use hardline_agent::policy::Policy;
use hardline_agent::report::RuleResult;
use hardline_agent::scan;
use hardline_agent::vuln::{Exposure, FeedOptions};
use serde::Deserialize;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The statuses a case can be named after.
const STATUSES: &[&str] = &["pass", "fail", "error", "not_applicable"];

/// `<case>.toml`: how to scan the case.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseOptions {
    /// Feeds directory, relative to `tests/` (as `scan --feeds`).
    feeds: Option<PathBuf>,
    /// Days after which a feed is stale (`--feeds-max-age-days`); default 36500, so that the
    /// fixture feeds' own age does not decide a case that is not about staleness.
    feeds_max_age_days: Option<i64>,
    /// BOD 26-04 exposure of the host (`--exposure`).
    exposure: Option<Exposure>,
    /// A TLS endpoint on loopback, scanned as the one `targets.tls` entry (`tls.*` rules).
    tls: Option<TlsCase>,
    /// A zone served by the loopback DNS server and the domain scanned as the one
    /// `targets.domains` entry (`dns.*`, `smtp.starttls`).
    dns: Option<DnsCase>,
    /// The SMTP server behind the domain's MX hosts (`smtp.starttls`; needs `[dns]`). The
    /// domain's `smtp_port` is its port; without `[smtp]` it is a port nothing listens on.
    smtp: Option<SmtpCase>,
    /// `allowed_resolvers` of the agent configuration (host.resolver, which reads the
    /// tree's /etc/resolv.conf); empty: the rule is not applicable.
    #[serde(default)]
    allowed_resolvers: Vec<IpAddr>,
}

/// `[tls]`: the endpoint a case scans, target `127.0.0.1:PORT@SNI`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsCase {
    /// The server: `rustls` (default: TLS 1.2 and 1.3, an rcgen certificate), `openssl`
    /// (`openssl s_server`, for what rustls and rcgen cannot do: TLS 1.0, weak suites,
    /// RSA-1024 keys, SHA-1 signatures), or `closed` (a loopback port nothing listens on:
    /// connection refused; the other keys are then ignored).
    #[serde(default)]
    server: TlsServer,
    /// DNS names of the leaf certificate (the first is also its CN); default `["good.test"]`.
    #[serde(default = "default_names")]
    names: Vec<String>,
    /// Server name sent and matched (the target's `@SNI`); default `good.test`.
    #[serde(default = "default_sni")]
    sni: String,
    /// Start of the leaf's validity, in days from now (negative: past); default -1.
    /// `rustls` only (openssl certificates start now).
    valid_from_days: Option<i64>,
    /// End of the leaf's validity, in days from now (negative: expired); default 365. A
    /// rustls leaf gets half a day more (its start as well), so that the whole days
    /// tls.cert_expiry reports ("in 10 days") are this number however long the scan takes;
    /// an openssl leaf ends exactly this many days from now (`-days`).
    #[serde(default = "default_valid_to")]
    valid_to_days: i64,
    /// Key of the leaf: `ec-p256` (default), `ec-p384`, `ed25519`, `rsa-2048` (rustls);
    /// `rsa-1024`, `rsa-2048` (openssl).
    #[serde(default)]
    key: KeyKind,
    /// Hash of the issuer's signature on the leaf: `sha256` (default), `sha1` (openssl only).
    #[serde(default)]
    signature: SigKind,
    /// Issuer of the leaf: `trusted` (default: the test root, which is the scan's
    /// `ca_bundle`) or `rogue` (a root the scan does not trust). The chain served is the
    /// leaf and its issuer.
    #[serde(default)]
    issuer: IssuerKind,
    /// Extra header lines (`Name: value`) of the one HTTP/1.1 response the server gives;
    /// unset: it reads the request and closes without answering. `rustls` only (openssl
    /// `-www` answers with its own headers).
    http_headers: Option<Vec<String>>,
    /// Whether the target is `https` (tls.hsts judges it); default: whether
    /// `http_headers` is set.
    https: Option<bool>,
    /// `openssl` only: the one protocol version it accepts (`1.0`, `1.1`, `1.2`, `1.3`);
    /// default: every version its build enables.
    version: Option<String>,
    /// `openssl` only: its cipher list (TLS 1.2 and below, OpenSSL syntax), to which
    /// `:@SECLEVEL=0` is appended so that weak suites, keys and signatures load; default
    /// `DEFAULT`.
    ciphers: Option<String>,
}

fn default_names() -> Vec<String> {
    vec!["good.test".to_string()]
}
fn default_sni() -> String {
    "good.test".to_string()
}
fn default_valid_to() -> i64 {
    365
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum TlsServer {
    #[default]
    Rustls,
    Openssl,
    Closed,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum KeyKind {
    #[default]
    EcP256,
    EcP384,
    Ed25519,
    #[serde(rename = "rsa-1024")]
    Rsa1024,
    #[serde(rename = "rsa-2048")]
    Rsa2048,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum SigKind {
    #[default]
    Sha256,
    Sha1,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum IssuerKind {
    #[default]
    Trusted,
    Rogue,
}

/// `[dns]`: one zone on the loopback authoritative server (the scan's only nameserver) and
/// the domain scanned. The zone always has its SOA and NS; `records` adds the rest.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DnsCase {
    /// Origin of the zone; default `good.test`.
    #[serde(default = "default_sni")]
    zone: String,
    /// The domain scanned; default: the zone's origin. A name under the zone that has no
    /// record is NXDOMAIN; a name outside it is refused by the server (REFUSED).
    domain: Option<String>,
    /// `sending` of the domain target (DMARC: a domain that sends no mail also needs the SPF
    /// null record); default unset (sending unless it has no MX).
    sending: Option<bool>,
    /// DNSSEC: `no` (default), `yes` (signed; its key is the scan's
    /// `dnssec_trust_anchor`), `broken` (signed, then the SOA changed under its signature).
    #[serde(default)]
    signed: Sign,
    /// Records, `OWNER TYPE DATA`: OWNER `@` (the apex) or relative to the zone; TYPE `TXT`
    /// (DATA unquoted), `MX` (`PREF HOST`, HOST relative or absolute with its dot, `.` for a
    /// null MX), `A`, `AAAA`, `CAA` (`issue CA`, `issuewild CA`, `iodef URL`).
    #[serde(default)]
    records: Vec<String>,
    /// `closed`: the scan's nameserver is a loopback port nothing answers on, instead of
    /// the server (which still serves the zone; default `false`).
    #[serde(default)]
    nameserver_closed: bool,
}

/// `[smtp]`: the mail server on loopback.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SmtpCase {
    /// `starttls` (default: offers STARTTLS with a certificate for `mx.<zone>` from the
    /// test root), `plain` (does not offer it) or `closed` (nothing listens: refused).
    #[serde(default)]
    server: SmtpServer,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum SmtpServer {
    #[default]
    Starttls,
    Plain,
    Closed,
}

/// One case of one rule.
struct Case {
    rule_id: String,
    name: String,
    expected: String,
    dir: PathBuf,
}

impl Case {
    fn sidecar(&self, ext: &str) -> PathBuf {
        self.dir.with_file_name(format!("{}.{ext}", self.name))
    }

    fn label(&self) -> String {
        format!("tests/rules/{}/{}", self.rule_id, self.name)
    }
}

fn rules_dir() -> PathBuf {
    tests_dir().join("rules")
}

/// The status a case's name asks for, if it names one.
fn expected_status(name: &str) -> Option<&'static str> {
    STATUSES
        .iter()
        .copied()
        .find(|s| name == *s || name.strip_prefix(s).is_some_and(|r| r.starts_with('-')))
}

/// Apply a `MODE UID GID PATH` manifest to `root`. `Ok(false)`: the manifest sets owners
/// and this process cannot (not root).
fn apply_perms(manifest: &Path, root: &Path) -> Result<bool, String> {
    let Ok(text) = std::fs::read_to_string(manifest) else {
        return Ok(true);
    };
    let mut lines = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        let at = format!("{}:{}", manifest.display(), n + 1);
        if f.len() != 4 {
            return Err(format!("{at}: expected MODE UID GID PATH"));
        }
        let mode = u32::from_str_radix(f[0], 8).map_err(|e| format!("{at}: mode: {e}"))?;
        let uid: u32 = f[1].parse().map_err(|e| format!("{at}: uid: {e}"))?;
        let gid: u32 = f[2].parse().map_err(|e| format!("{at}: gid: {e}"))?;
        lines.push((mode, uid, gid, root.join(f[3].trim_start_matches('/')), at));
    }
    let root_user = is_root();
    if !root_user && lines.iter().any(|l| l.1 != 0 || l.2 != 0) {
        // Owners other than root:root cannot be set; root:root would be wrong as well
        // (the files belong to the current user), so the case cannot be built.
        return Ok(false);
    }
    // Owners first, then modes: chown clears set-id bits.
    for (mode, uid, gid, path, at) in &lines {
        if root_user {
            std::os::unix::fs::lchown(path, Some(*uid), Some(*gid))
                .map_err(|e| format!("{at}: chown {}: {e}", path.display()))?;
        }
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(*mode))
            .map_err(|e| format!("{at}: chmod {}: {e}", path.display()))?;
    }
    Ok(true)
}

/// What a case gave, or why this process cannot build it.
enum Built<T> {
    Ran(T),
    Skipped(String),
}

/// Rewrites what changes from run to run: each `(from, to)` (the temporary root, `<root>`),
/// the loopback ports the case's servers got (`:<port>`), RFC 3339 instants (the
/// certificates' dates, `<date>`), and the instants and ages rustls puts in its expiry
/// errors (`verification time <unix> (UNIX), but certificate is not valid after <unix>
/// (<n> seconds ago)`). Newlines are written `\n`.
struct Normalizer {
    subs: Vec<(String, String)>,
    ports: Vec<u16>,
    port_re: regex::Regex,
    date_re: regex::Regex,
    unix_re: regex::Regex,
    ago_re: regex::Regex,
    age_re: regex::Regex,
}

impl Normalizer {
    fn new(subs: Vec<(String, String)>, ports: Vec<u16>) -> Normalizer {
        Normalizer {
            subs,
            ports,
            port_re: regex::Regex::new(r":(\d{1,5})\b").unwrap(),
            date_re: regex::Regex::new(
                r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})",
            )
            .unwrap(),
            unix_re: regex::Regex::new(r"(verification time|valid after|valid before) \d+")
                .unwrap(),
            ago_re: regex::Regex::new(r"\(\d+ seconds (ago|in future)\)").unwrap(),
            age_re: regex::Regex::new(r"\b\d+ days? old\b").unwrap(),
        }
    }

    fn clean(&self, s: &str) -> String {
        let mut s = s.to_string();
        for (from, to) in &self.subs {
            s = s.replace(from.as_str(), to);
        }
        let s = self.port_re.replace_all(&s, |c: &regex::Captures<'_>| {
            if c[1].parse().is_ok_and(|p: u16| self.ports.contains(&p)) {
                ":<port>".to_string()
            } else {
                c[0].to_string()
            }
        });
        let s = self.date_re.replace_all(&s, "<date>");
        let s = self.unix_re.replace_all(&s, "$1 <unix>");
        let s = self.ago_re.replace_all(&s, "(<n> seconds $1)");
        let s = self.age_re.replace_all(&s, "<n> days old");
        s.replace('\n', "\\n")
    }
}

/// Render what a rule said, normalised (see [`Normalizer`]).
fn snapshot(results: &[RuleResult], n: &Normalizer) -> String {
    let clean = |s: &str| n.clean(s);
    let mut out = String::new();
    for r in results {
        let _ = writeln!(out, "status: {}", r.status.as_str());
        if let Some(t) = &r.target {
            let _ = writeln!(out, "target: {}", clean(t));
        }
        let _ = writeln!(out, "message: {}", clean(&r.message));
        for e in &r.evidence {
            let _ = writeln!(out, "evidence:");
            if let Some(p) = &e.path {
                let _ = writeln!(out, "  path: {}", clean(p));
            }
            if let Some(l) = e.line {
                let _ = writeln!(out, "  line: {l}");
            }
            if let Some(c) = &e.context {
                let _ = writeln!(out, "  context: {}", clean(c));
            }
            if let Some(o) = &e.observed {
                let _ = writeln!(out, "  observed: {}", clean(o));
            }
            if let Some(x) = &e.expected {
                let _ = writeln!(out, "  expected: {}", clean(x));
            }
        }
    }
    out
}

/// The servers a case asked for, alive until dropped, and the network configuration of
/// the scan, which points at them.
struct Servers {
    net: NetConfig,
    /// Loopback ports of this case's servers (and of its closed ports).
    ports: Vec<u16>,
    _children: Vec<Child>,
    _rt: Option<tokio::runtime::Runtime>,
}

/// Per-operation timeout of the scan: long enough for a loaded machine, short enough that
/// a case about a silent nameserver stays quick.
const NET_TIMEOUT: Duration = Duration::from_secs(3);

/// Start what `o` asks for on a background tokio runtime (and `openssl s_server`
/// processes); `dir` holds the scan's trust store and trust anchors, outside the tree.
fn start_servers(o: &CaseOptions, dir: &Path) -> Result<Built<Servers>, String> {
    let mut net = NetConfig {
        timeout: NET_TIMEOUT,
        allowed_resolvers: o.allowed_resolvers.clone(),
        ..NetConfig::default()
    };
    let mut ports = Vec::new();
    let mut children = Vec::new();
    if o.tls.is_none() && o.dns.is_none() && o.smtp.is_none() {
        return Ok(Built::Ran(Servers {
            net,
            ports,
            _children: children,
            _rt: None,
        }));
    }
    if o.smtp.is_some() && o.dns.is_none() {
        return Err("[smtp] needs [dns]: the scan finds the mail server through MX".into());
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    let pki = Pki::new();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, pki.ca.pem()).map_err(|e| e.to_string())?;
    net.ca_bundle = Some(ca);
    if let Some(t) = &o.tls {
        let names: Vec<&str> = t.names.iter().map(String::as_str).collect();
        if names.is_empty() {
            return Err("[tls] names is empty".into());
        }
        let issuer = match t.issuer {
            IssuerKind::Trusted => &pki.ca,
            IssuerKind::Rogue => &pki.rogue,
        };
        let port = match t.server {
            TlsServer::Closed => free_port(),
            TlsServer::Rustls => {
                let key = match t.key {
                    KeyKind::EcP256 => crate::servers::LeafKey::EcP256,
                    KeyKind::EcP384 => crate::servers::LeafKey::EcP384,
                    KeyKind::Ed25519 => crate::servers::LeafKey::Ed25519,
                    KeyKind::Rsa2048 => crate::servers::LeafKey::Rsa2048,
                    KeyKind::Rsa1024 => {
                        return Err("[tls] key rsa-1024 needs server openssl".into())
                    }
                };
                if t.signature != SigKind::Sha256 {
                    return Err("[tls] signature sha1 needs server openssl".into());
                }
                if t.version.is_some() || t.ciphers.is_some() {
                    return Err("[tls] version and ciphers are for server openssl".into());
                }
                // Half a day past the whole days asked for: the days the rules report
                // (rounded down) stay the number written, however long the scan takes.
                let days = |n: i64| time::Duration::days(n) + time::Duration::hours(12);
                let leaf = pki.leaf_with(
                    &names,
                    days(t.valid_from_days.unwrap_or(-1)),
                    days(t.valid_to_days),
                    t.issuer == IssuerKind::Rogue,
                    key,
                );
                let http = t
                    .http_headers
                    .as_ref()
                    .map(|h| h.iter().map(|l| format!("{l}\r\n")).collect::<String>());
                rt.block_on(tls_server(&leaf, http))
            }
            TlsServer::Openssl => {
                if !tool_available("openssl") {
                    return Ok(Built::Skipped("openssl is not installed".into()));
                }
                let key = match t.key {
                    KeyKind::Rsa1024 => "rsa:1024",
                    KeyKind::Rsa2048 => "rsa:2048",
                    k => {
                        return Err(format!(
                            "[tls] key {k:?}: openssl leaves are rsa-1024 or rsa-2048"
                        ))
                    }
                };
                if t.http_headers.is_some() || t.valid_from_days.is_some() {
                    return Err(
                        "[tls] http_headers and valid_from_days are for server rustls".into(),
                    );
                }
                let days = u32::try_from(t.valid_to_days)
                    .ok()
                    .filter(|d| *d > 0)
                    .ok_or("[tls] openssl leaves need valid_to_days > 0")?;
                let digest = match t.signature {
                    SigKind::Sha256 => "sha256",
                    SigKind::Sha1 => "sha1",
                };
                let d = dir.join("openssl");
                std::fs::create_dir_all(&d).map_err(|e| e.to_string())?;
                openssl_leaf(&d, &names, key, digest, days, issuer);
                let chain = d.join("issuer.pem").display().to_string();
                let mut args: Vec<String> = vec!["-cert_chain".into(), chain];
                if let Some(v) = &t.version {
                    args.push(
                        match v.as_str() {
                            "1.0" => "-tls1",
                            "1.1" => "-tls1_1",
                            "1.2" => "-tls1_2",
                            "1.3" => "-tls1_3",
                            v => return Err(format!("[tls] version {v:?}: 1.0, 1.1, 1.2 or 1.3")),
                        }
                        .into(),
                    );
                }
                args.push("-cipher".into());
                args.push(format!(
                    "{}:@SECLEVEL=0",
                    t.ciphers.as_deref().unwrap_or("DEFAULT")
                ));
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                let (child, port) = s_server(&d, &args);
                children.push(child);
                port
            }
        };
        ports.push(port);
        net.tls.push(TlsTarget {
            host: "127.0.0.1".into(),
            port,
            sni: Some(t.sni.clone()),
            starttls: None,
            https: t.https.unwrap_or(t.http_headers.is_some()),
            discovered: false,
        });
    }
    if let Some(d) = &o.dns {
        let zone = d.zone.trim_end_matches('.').to_string();
        let origin = format!("{zone}.");
        let records = d
            .records
            .iter()
            .map(|r| dns::parse_record(&origin, r))
            .collect::<Result<Vec<_>, _>>()?;
        let (dns_port, anchors) = rt.block_on(dns::serve(vec![Zone {
            origin,
            records,
            sign: d.signed,
        }]));
        ports.push(dns_port);
        let ns_port = if d.nameserver_closed {
            let p = std::net::UdpSocket::bind("127.0.0.1:0")
                .and_then(|s| s.local_addr())
                .map_err(|e| e.to_string())?
                .port();
            ports.push(p);
            p
        } else {
            dns_port
        };
        net.nameservers = vec![SocketAddr::new(Ipv4Addr::LOCALHOST.into(), ns_port)];
        let anchor = dir.join("anchors.key");
        std::fs::write(&anchor, anchors).map_err(|e| e.to_string())?;
        net.dnssec_trust_anchor = Some(anchor);
        let smtp_port = match o.smtp.as_ref().map(|s| s.server) {
            None | Some(SmtpServer::Closed) => free_port(),
            Some(kind) => {
                let leaf = pki.leaf(&[&format!("mx.{zone}")], -1, 365, false);
                rt.block_on(smtp_server(&leaf, kind == SmtpServer::Starttls))
            }
        };
        ports.push(smtp_port);
        let domain = d.domain.clone().unwrap_or(zone);
        net.domains
            .push(domain_target(&domain, d.sending, smtp_port)?);
    }
    Ok(Built::Ran(Servers {
        net,
        ports,
        _children: children,
        _rt: Some(rt),
    }))
}

/// Scan one case.
fn run(policy: &Policy, case: &Case) -> Result<Built<(Vec<RuleResult>, String)>, String> {
    let options: CaseOptions = match std::fs::read_to_string(case.sidecar("toml")) {
        Ok(text) => {
            toml::from_str(&text).map_err(|e| format!("{}: {e}", case.sidecar("toml").display()))?
        }
        Err(_) => CaseOptions::default(),
    };
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = tmp.path().join("root");
    copy_tree(&case.dir, &root);
    // A tree git could not keep empty carries a `.keep`; it is not part of the host.
    let _ = std::fs::remove_file(root.join(".keep"));
    if !apply_perms(&case.sidecar("perms"), &root)? {
        return Ok(Built::Skipped(OWNERS_NEED_ROOT.to_string()));
    }
    let feeds = options.feeds.as_ref().map(|f| FeedOptions {
        dir: tests_dir().join(f),
        exposure: options.exposure.unwrap_or_default(),
        max_age_days: options.feeds_max_age_days.unwrap_or(36500),
    });
    let servers = match start_servers(&options, tmp.path())? {
        Built::Ran(s) => s,
        Built::Skipped(why) => return Ok(Built::Skipped(why)),
    };
    let host = Host::new(&root);
    let report = scan::scan_full(
        policy,
        &host,
        std::slice::from_ref(&case.rule_id),
        &servers.net,
        feeds.as_ref(),
    );
    let normalizer = Normalizer::new(
        vec![
            (root.display().to_string(), "<root>".to_string()),
            (tmp.path().display().to_string(), "<tmp>".to_string()),
            (tests_dir().display().to_string(), "<tests>".to_string()),
            (
                tests_dir()
                    .canonicalize()
                    .unwrap_or_else(|_| tests_dir())
                    .display()
                    .to_string(),
                "<tests>".to_string(),
            ),
            // A date the scan computed from today (a support window, a due date counted
            // from a fresh install) must not make the snapshot differ tomorrow.
            (
                time::OffsetDateTime::now_utc().date().to_string(),
                "<today>".to_string(),
            ),
        ],
        servers.ports.clone(),
    );
    drop(servers);
    let snap = snapshot(&report.results, &normalizer);
    // Let the modes of the copy not stop its removal (a case may make a directory 000).
    restore_modes(&root);
    Ok(Built::Ran((report.results, snap)))
}

/// Why a case whose manifest sets owners is skipped without root.
const OWNERS_NEED_ROOT: &str = "sets owners and needs root";

fn restore_modes(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755));
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                restore_modes(&e.path());
            }
        }
    }
}

/// The cases of `rule_id` (sorted), and names in its directory that are not cases.
fn cases(rule_id: &str) -> (Vec<Case>, Vec<String>) {
    let dir = rules_dir().join(rule_id);
    let mut cases = Vec::new();
    let mut strays = Vec::new();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return (cases, strays);
    };
    let mut names: Vec<(String, bool)> = entries
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                e.file_type().is_ok_and(|t| t.is_dir()),
            )
        })
        .collect();
    names.sort();
    let dirs: Vec<String> = names
        .iter()
        .filter(|(_, d)| *d)
        .map(|(n, _)| n.clone())
        .collect();
    for (name, is_dir) in &names {
        if *is_dir {
            match expected_status(name) {
                Some(s) => cases.push(Case {
                    rule_id: rule_id.to_string(),
                    name: name.clone(),
                    expected: s.to_string(),
                    dir: dir.join(name),
                }),
                None => strays.push(format!(
                    "tests/rules/{rule_id}/{name}: a case is named pass, fail, error or \
                     not_applicable, optionally followed by -<what>"
                )),
            }
        } else {
            let stem = ["perms", "toml", "snap"]
                .iter()
                .find_map(|ext| name.strip_suffix(&format!(".{ext}")));
            if !stem.is_some_and(|s| dirs.iter().any(|d| d == s)) {
                strays.push(format!(
                    "tests/rules/{rule_id}/{name}: not a case directory nor a \
                     <case>.perms/.toml/.snap beside one"
                ));
            }
        }
    }
    (cases, strays)
}

#[test]
fn every_rule_passes_and_fails_on_its_own_fixtures() {
    let policy = Policy::builtin().unwrap();
    let bless = std::env::var_os("HARDLINE_BLESS").is_some();
    let mut problems: Vec<String> = Vec::new();
    let mut skipped = Vec::new();
    let mut walked = 0;

    // Directories that name no rule are stale (a renamed or removed rule).
    for e in std::fs::read_dir(rules_dir()).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name != "README.md" && !policy.rules.iter().any(|r| r.id == name) {
            problems.push(format!(
                "tests/rules/{name}: no rule of the built-in baseline has this id"
            ));
        }
    }

    for rule in &policy.rules {
        let (cases, strays) = cases(&rule.id);
        problems.extend(strays);
        for needed in ["pass", "fail"] {
            if !cases.iter().any(|c| c.expected == needed) {
                problems.push(format!(
                    "{}: no `{needed}` case (tests/rules/{}/{needed}/)",
                    rule.id, rule.id
                ));
            }
        }
        for case in &cases {
            let (results, snap) = match run(&policy, case) {
                Ok(Built::Ran(r)) => r,
                Ok(Built::Skipped(why)) => {
                    skipped.push((case.label(), why));
                    continue;
                }
                Err(e) => {
                    problems.push(format!("{}: {e}", case.label()));
                    continue;
                }
            };
            walked += 1;
            if results.is_empty() {
                problems.push(format!("{}: the rule gave no result", case.label()));
            }
            for r in &results {
                if r.status.as_str() != case.expected {
                    problems.push(format!(
                        "{}: expected {}, got {}: {}",
                        case.label(),
                        case.expected,
                        r.status.as_str(),
                        r.message
                    ));
                }
            }
            let snap_path = case.sidecar("snap");
            let old = std::fs::read_to_string(&snap_path).ok();
            if old.as_deref() != Some(snap.as_str()) {
                if bless {
                    std::fs::write(&snap_path, &snap).unwrap();
                } else if let Some(old) = old {
                    problems.push(format!(
                        "{}: the snapshot differs (HARDLINE_BLESS=1 rewrites it):\n--- {}\n{old}+++ now\n{snap}",
                        case.label(),
                        snap_path.display()
                    ));
                } else {
                    problems.push(format!(
                        "{}: no snapshot {} (HARDLINE_BLESS=1 writes it; review it)",
                        case.label(),
                        snap_path.display()
                    ));
                }
            }
        }
    }
    if !skipped.is_empty() {
        eprintln!("{} case(s) skipped:", skipped.len());
        for (label, why) in &skipped {
            eprintln!("  {label}: {why}");
        }
        // A missing tool already fails under CI (tool_available); owners need root.
        assert!(
            std::env::var_os("CI").is_none() || !skipped.iter().any(|(_, w)| w == OWNERS_NEED_ROOT),
            "CI must run the rule fixtures as root"
        );
    }
    assert!(
        problems.is_empty(),
        "{} problem(s) in the rule fixtures ({walked} cases walked):\n{}",
        problems.len(),
        problems.join("\n")
    );
}
