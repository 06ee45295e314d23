//! `hardline-agent`: parse arguments, run, map the outcome to an exit status
//! (0 clean, 1 findings at or above `--fail-on`, 2 usage/configuration/policy error,
//! 3 `scan --push` could not deliver the report). `run --once`: 0 everything delivered,
//! 1 reports remain spooled (or were refused), 2 configuration error.

use clap::{Parser, Subcommand};
use hardline_agent::config::AgentConfig;
use hardline_agent::host::{Host, Limits};
use hardline_agent::net::config::NetConfig;
use hardline_agent::output::{self, Format};
use hardline_agent::policy::Policy;
use hardline_agent::push;
use hardline_agent::report::{Report, Severity};
use hardline_agent::scan;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "hardline-agent",
    version,
    about = "Check this host against the hardline hardening baseline"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan the host (or the tree at --root) and report.
    Scan(Box<ScanArgs>),
    /// List the rules.
    Rules {
        /// Add rules from a file or directory (repeatable).
        #[arg(long = "policy", value_name = "PATH")]
        policies: Vec<PathBuf>,
        /// Leave out the built-in baseline.
        #[arg(long)]
        no_builtin: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Print one rule's rationale, remediation and check.
    Explain {
        /// The rule id (e.g. sshd.permit_root_login).
        rule_id: String,
        /// Add rules from a file or directory (repeatable).
        #[arg(long = "policy", value_name = "PATH")]
        policies: Vec<PathBuf>,
    },
    /// Scan on an interval, spool each report and push it to the collector (the
    /// configuration file's `collector`, `token_file`, `spool_dir`). Stops on SIGTERM/SIGINT.
    Run(RunArgs),
}

/// What to scan: shared by `scan` and `run`.
#[derive(clap::Args)]
struct Selection {
    /// Evaluate the host tree mounted at DIR (every path, /proc included, is read under it).
    #[arg(long, default_value = "/", value_name = "DIR")]
    root: PathBuf,
    /// Add rules from a file or directory (repeatable).
    #[arg(long = "policy", value_name = "PATH")]
    policies: Vec<PathBuf>,
    /// Leave out the built-in baseline (evaluate only --policy files).
    #[arg(long)]
    no_builtin: bool,
    /// Evaluate only this rule (repeatable).
    #[arg(long = "rule", value_name = "ID")]
    rules: Vec<String>,
    /// Vulnerability feeds directory (DIR/osv, DIR/kev, DIR/vulnrichment): report the known
    /// vulnerabilities open on the host [default: the configuration's feeds_dir].
    #[arg(long, value_name = "DIR")]
    feeds: Option<PathBuf>,
    /// BOD 26-04 exposure of this host [default: the configuration's exposure, else internal].
    #[arg(long, value_name = "public|internal")]
    exposure: Option<hardline_agent::vuln::Exposure>,
    /// Days after which a feed is stale [default: the configuration's feeds_max_age_days, else 7].
    #[arg(long, value_name = "DAYS")]
    feeds_max_age_days: Option<i64>,
    /// Largest configuration/text file read from the scanned tree; a larger one is an
    /// `error` [default: the configuration's max_file_bytes, else 16777216 (16 MiB)].
    #[arg(long, value_name = "BYTES")]
    max_file_bytes: Option<u64>,
    /// Largest package database read (dpkg status, rpmdb.sqlite, an apt list)
    /// [default: the configuration's max_db_bytes, else 536870912 (512 MiB)].
    #[arg(long, value_name = "BYTES")]
    max_db_bytes: Option<u64>,
}

#[derive(clap::Args)]
struct RunArgs {
    /// Agent configuration file (TOML): collector, token_file, spool_dir, interval, targets.
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Scan once, deliver the spool until it is empty or a delivery fails, then exit
    /// (0: all delivered; 1: reports remain spooled or were refused).
    #[arg(long)]
    once: bool,
    #[command(flatten)]
    selection: Selection,
}

#[derive(clap::Args)]
struct ScanArgs {
    #[command(flatten)]
    selection: Selection,
    /// Output format [default: table on a terminal, json otherwise].
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit 1 when a result at or above this severity fails or errors.
    #[arg(long, default_value = "low", value_parser = parse_severity)]
    fail_on: Severity,
    /// Agent configuration file (TOML): network targets, trust store, timeout.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// TLS endpoint to check, HOST:PORT or HOST:PORT@SNI (repeatable).
    #[arg(long = "tls", value_name = "HOST:PORT[@SNI]")]
    tls: Vec<String>,
    /// Certificate file or glob on the scanned host, read under --root (repeatable).
    #[arg(long = "cert", value_name = "PATH")]
    certs: Vec<String>,
    /// Domain for the DNS and mail checks (repeatable).
    #[arg(long = "domain", value_name = "NAME")]
    domains: Vec<String>,
    /// Resolver to use instead of this machine's, IP or IP:PORT (repeatable).
    #[arg(long = "nameserver", value_name = "IP:PORT")]
    nameservers: Vec<String>,
    /// Trust store (PEM) for the TLS chain checks [default: the system store].
    #[arg(long, value_name = "PATH")]
    ca_bundle: Option<PathBuf>,
    /// Per-operation network timeout (5s, 500ms) [default: 5s].
    #[arg(long, value_name = "DURATION")]
    timeout: Option<String>,
    /// Also push the JSON report to the collector at URL (https://HOST:PORT); exit 3 when
    /// it is not delivered. With `spool_dir` in --config the report is spooled first.
    #[arg(long, value_name = "URL")]
    push: Option<String>,
    /// Bearer token file for --push [default: the configuration's token_file].
    #[arg(long, value_name = "FILE", requires = "push")]
    token_file: Option<PathBuf>,
}

/// Read and parse the agent configuration file.
fn load_config(path: Option<&Path>) -> Result<AgentConfig, Usage> {
    match path {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Usage(format!("--config {}: {e}", path.display())))?;
            AgentConfig::parse(&text)
                .map_err(|e| Usage(format!("--config {}: {e}", path.display())))
        }
        None => Ok(AgentConfig::default()),
    }
}

/// The network configuration: `--config` merged with the target flags (flags add targets;
/// `--ca-bundle` and `--timeout` override the file).
fn net_config(args: &ScanArgs, file: &AgentConfig) -> Result<NetConfig, Usage> {
    use hardline_agent::net::config as c;
    let mut net = file.net().map_err(|e| {
        let from = args
            .config
            .as_ref()
            .map(|p| format!("--config {}: ", p.display()))
            .unwrap_or_default();
        Usage(format!("{from}{e}"))
    })?;
    for t in &args.tls {
        net.tls
            .push(c::parse_tls_target(t).map_err(|e| Usage(format!("--tls: {e}")))?);
    }
    if let Some(c) = args.certs.iter().find(|c| !c.starts_with('/')) {
        return Err(Usage(format!(
            "--cert {c:?}: not an absolute path (a host path, read under --root)"
        )));
    }
    net.certs.extend(args.certs.iter().cloned());
    for d in &args.domains {
        net.domains
            .push(c::domain_target(d, None, 25).map_err(|e| Usage(format!("--domain: {e}")))?);
    }
    for n in &args.nameservers {
        net.nameservers
            .push(c::parse_nameserver(n).map_err(|e| Usage(format!("--nameserver: {e}")))?);
    }
    if let Some(b) = &args.ca_bundle {
        net.ca_bundle = Some(b.clone());
    }
    if let Some(t) = &args.timeout {
        net.timeout = c::parse_duration(t)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| Usage(format!("--timeout {t:?}: expected e.g. 5s or 500ms")))?;
    }
    check_ca_bundle(&net)?;
    Ok(net)
}

fn check_ca_bundle(net: &NetConfig) -> Result<(), Usage> {
    match &net.ca_bundle {
        Some(b) if !b.is_file() => Err(Usage(format!("ca_bundle {}: no such file", b.display()))),
        _ => Ok(()),
    }
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ListFormat {
    Table,
    Json,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}

/// An error that ends the run with exit status 2.
struct Usage(String);

fn load_policy(builtin: bool, paths: &[PathBuf]) -> Result<Policy, Usage> {
    let mut policy = if builtin {
        Policy::builtin()
    } else {
        Ok(Policy::default())
    }
    .map_err(|e| Usage(e.to_string()))?;
    for p in paths {
        policy.add_path(p).map_err(|e| Usage(e.to_string()))?;
    }
    if policy.rules.is_empty() {
        return Err(Usage("no rules to evaluate".to_string()));
    }
    Ok(policy)
}

fn color_wanted() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Write `contents` to `path` atomically: a temporary file beside it, then rename.
fn write_atomic(path: &Path, contents: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp.{}", std::process::id()));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(contents.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// A scan ready to run: the policy loaded, the selection and the targets checked. `scan`
/// and `run` both go through it.
struct Prepared {
    policy: Policy,
    root: PathBuf,
    rules: Vec<String>,
    net: NetConfig,
    feeds: Option<hardline_agent::vuln::FeedOptions>,
    limits: Limits,
    /// Exposure as configured (flag or file), reported so the collector can set clocks.
    exposure: Option<hardline_agent::vuln::Exposure>,
}

impl Prepared {
    fn new(sel: &Selection, net: NetConfig, file: &AgentConfig) -> Result<Prepared, Usage> {
        let feeds = match sel.feeds.as_ref().or(file.feeds_dir.as_ref()) {
            None => None,
            Some(dir) => {
                if !dir.is_dir() {
                    return Err(Usage(format!(
                        "feeds directory {}: not a directory",
                        dir.display()
                    )));
                }
                let max_age_days = sel
                    .feeds_max_age_days
                    .or(file.feeds_max_age_days)
                    .unwrap_or(hardline_agent::vuln::DEFAULT_MAX_AGE_DAYS);
                if max_age_days < 0 {
                    return Err(Usage("feeds_max_age_days must not be negative".into()));
                }
                Some(hardline_agent::vuln::FeedOptions {
                    dir: dir.clone(),
                    exposure: sel.exposure.or(file.exposure).unwrap_or_default(),
                    max_age_days,
                })
            }
        };
        if !sel.root.is_dir() {
            return Err(Usage(format!(
                "--root {}: not a directory",
                sel.root.display()
            )));
        }
        let defaults = Limits::default();
        let limits = Limits {
            max_file_bytes: sel
                .max_file_bytes
                .or(file.max_file_bytes)
                .unwrap_or(defaults.max_file_bytes),
            max_db_bytes: sel
                .max_db_bytes
                .or(file.max_db_bytes)
                .unwrap_or(defaults.max_db_bytes),
        };
        if limits.max_file_bytes == 0 || limits.max_db_bytes == 0 {
            return Err(Usage(
                "max_file_bytes and max_db_bytes must be greater than zero".into(),
            ));
        }
        let policy = load_policy(!sel.no_builtin, &sel.policies)?;
        for id in &sel.rules {
            if policy.get(id).is_none() {
                return Err(Usage(format!(
                    "--rule {id}: no such rule (see `hardline-agent rules`)"
                )));
            }
        }
        Ok(Prepared {
            policy,
            root: sel.root.clone(),
            rules: sel.rules.clone(),
            net,
            feeds,
            limits,
            exposure: sel.exposure.or(file.exposure),
        })
    }

    fn scan(&self) -> Report {
        let host = Host::with_limits(&self.root, self.limits);
        let mut report = scan::scan_full(
            &self.policy,
            &host,
            &self.rules,
            &self.net,
            self.feeds.as_ref(),
        );
        report.host.exposure = self.exposure;
        report
    }
}

fn run_scan(args: ScanArgs) -> Result<ExitCode, Usage> {
    let file = load_config(args.config.as_deref())?;
    let net = net_config(&args, &file)?;
    let push = match &args.push {
        Some(url) => Some(
            push::Settings::for_push(
                url,
                args.token_file.as_deref(),
                net.ca_bundle.as_deref(),
                &file,
            )
            .map_err(|e| Usage(format!("--push: {e}")))?,
        ),
        None => None,
    };
    let prepared = Prepared::new(&args.selection, net, &file)?;
    let report = prepared.scan();
    let policy = &prepared.policy;
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let format = args.format.unwrap_or(if to_terminal {
        Format::Table
    } else {
        Format::Json
    });
    let text = output::render(
        &report,
        policy,
        format,
        args.output.is_none() && color_wanted(),
    );
    match &args.output {
        Some(path) => write_atomic(path, &text)
            .map_err(|e| Usage(format!("--output {}: {e}", path.display())))?,
        None => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth reporting.
            let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
        }
    }
    if let Some(settings) = push {
        match push::push_report(&settings, &report) {
            Ok(msg) => push::log(&msg),
            Err(e) => {
                push::log(&format!("push failed: {e}"));
                return Ok(ExitCode::from(3));
            }
        }
    }
    Ok(if report.has_findings(args.fail_on) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn run_push(args: RunArgs) -> Result<ExitCode, Usage> {
    let from = || format!("--config {}", args.config.display());
    let file = load_config(Some(&args.config))?;
    let settings = push::Settings::for_run(&file).map_err(|e| Usage(format!("{}: {e}", from())))?;
    let net = file.net().map_err(|e| Usage(format!("{}: {e}", from())))?;
    check_ca_bundle(&net)?;
    let prepared = Prepared::new(&args.selection, net, &file)?;
    match push::run(&settings, &mut || prepared.scan(), args.once) {
        Ok(true) => Ok(ExitCode::SUCCESS),
        Ok(false) => Ok(ExitCode::from(1)),
        Err(e) => Err(Usage(format!("{}: {e}", from()))),
    }
}

fn run_rules(policy: &Policy, format: ListFormat) -> String {
    match format {
        ListFormat::Json => {
            let mut s = serde_json::to_string_pretty(&policy.rules).unwrap_or_default();
            s.push('\n');
            s
        }
        ListFormat::Table => {
            let width = policy.rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
            let mut s = String::new();
            for r in &policy.rules {
                s.push_str(&format!(
                    "{:<width$}  {:<8}  {:<13}  {}\n",
                    r.id,
                    r.severity.as_str(),
                    r.check.type_name(),
                    r.title
                ));
            }
            s.push_str(&format!("{} rules\n", policy.rules.len()));
            s
        }
    }
}

fn run_explain(policy: &Policy, id: &str) -> Result<String, Usage> {
    let r = policy
        .get(id)
        .ok_or_else(|| Usage(format!("no such rule {id:?} (see `hardline-agent rules`)")))?;
    let refs = &r.references;
    let mut s = format!(
        "{}  [{}]\n{}\n\nWhy:\n  {}\n\nFix:\n  {}\n",
        r.id,
        r.severity,
        r.title,
        r.rationale.trim().replace('\n', "\n  "),
        r.remediation.trim().replace('\n', "\n  ")
    );
    if !refs.nist_800_53.is_empty() {
        s.push_str(&format!(
            "\nNIST SP 800-53: {}\n",
            refs.nist_800_53.join(", ")
        ));
    }
    if !refs.disa_stig.is_empty() {
        s.push_str(&format!("DISA STIG: {}\n", refs.disa_stig.join(", ")));
    }
    if !refs.cis.is_empty() {
        s.push_str(&format!("CIS: {}\n", refs.cis.join(", ")));
    }
    let check = serde_json::to_string(&r.check).unwrap_or_default();
    s.push_str(&format!("\nCheck: {check}\nDefined at: {}\n", r.source));
    Ok(s)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(args) => run_scan(*args),
        Command::Rules {
            policies,
            no_builtin,
            format,
        } => load_policy(!no_builtin, &policies).map(|p| {
            print!("{}", run_rules(&p, format));
            ExitCode::SUCCESS
        }),
        Command::Explain { rule_id, policies } => load_policy(true, &policies).and_then(|p| {
            print!("{}", run_explain(&p, &rule_id)?);
            Ok(ExitCode::SUCCESS)
        }),
        Command::Run(args) => run_push(args),
    };
    match result {
        Ok(code) => code,
        Err(Usage(msg)) => {
            eprintln!("hardline-agent: error: {msg}");
            ExitCode::from(2)
        }
    }
}
