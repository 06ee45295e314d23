//! `hardline-collector`: parse arguments, run, map the result to an exit code
//! (0 ok, 1 runtime failure, 2 usage or configuration error).

use clap::{Parser, Subcommand};
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

// mimalloc instead of glibc malloc: ingest parses each 50 KB report into ~1,500 small
// allocations on every worker thread at once, and glibc's arenas spent over a quarter of
// the collector's CPU in malloc/free and their locks (perf, `BENCH_MODE=fresh`). Built in
// its `secure` mode (guard pages, encoded free lists, randomized allocation) so that the C
// code parsing untrusted bytes (aws-lc's TLS) keeps a hardened heap; that costs ~12 % more
// CPU per report than plain mimalloc (0.51 vs 0.45 ms), still less than glibc (0.57 ms).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "hardline-collector",
    version,
    about = "Collects hardline agent reports and exposes campaign metrics"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the collector.
    Serve {
        /// Configuration file (TOML).
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Read a token on standard input and print its SHA-256 (for the `sha256` config key).
    HashToken,
    /// Write a consistent copy of the store to OUTPUT (safe while the collector runs);
    /// the copy is integrity-checked before this exits 0.
    Backup {
        /// Configuration file (TOML): its `data_dir` is the store to copy.
        #[arg(long, short)]
        config: PathBuf,
        /// The new file (must not exist).
        output: PathBuf,
    },
    /// Vulnerability feeds (OSV, CISA KEV, CISA Vulnrichment) kept in the data directory.
    Feeds {
        #[command(subcommand)]
        command: FeedsCommand,
    },
}

#[derive(Subcommand)]
enum FeedsCommand {
    /// Import feeds atomically into `data_dir/feeds` (safe while the collector runs, which
    /// applies them): a bad file is refused with the reason and the feeds in force stay.
    /// Parts not given are kept from the feeds in force.
    Import {
        /// Configuration file (TOML): its `data_dir` receives the feeds.
        #[arg(long, short)]
        config: PathBuf,
        /// One feeds directory (osv/, kev/, vulnrichment/), or parts: OSV directories and
        /// osv.dev .zip exports, the KEV catalog (known_exploited_vulnerabilities.json), a
        /// Vulnrichment tree (YEAR/NNxxx/CVE-*.json).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Command::HashToken => {
            let mut input = Vec::new();
            if let Err(e) = std::io::stdin().read_to_end(&mut input) {
                eprintln!("hardline-collector: error: cannot read standard input: {e}");
                return ExitCode::from(1);
            }
            match hardline_collector::hash_token(&input) {
                Ok(h) => {
                    println!("{h}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("hardline-collector: error: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Serve { config } => serve(&config),
        Command::Feeds {
            command: FeedsCommand::Import { config, paths },
        } => feeds_import(&config, &paths),
        Command::Backup { config, output } => {
            let config = match hardline_collector::config::Config::load(&config) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("hardline-collector: error: {e}");
                    return ExitCode::from(2);
                }
            };
            match hardline_collector::store::backup(&config.data_dir, &output) {
                Ok(bytes) => {
                    println!("wrote {} ({bytes} bytes), integrity ok", output.display());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("hardline-collector: error: {e}");
                    ExitCode::from(1)
                }
            }
        }
    }
}

fn feeds_import(config: &std::path::Path, paths: &[PathBuf]) -> ExitCode {
    let config = match hardline_collector::config::Config::load(config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("hardline-collector: error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(dir) = &config.feeds_dir {
        eprintln!(
            "hardline-collector: error: {}: feeds_dir = {:?} is set, so the collector reads that directory and would never use an import: update {} instead, or remove feeds_dir to use imports",
            config.path.display(),
            dir.display(),
            dir.display()
        );
        return ExitCode::from(2);
    }
    let started = std::time::Instant::now();
    match hardline_collector::feeds::import(&config.data_dir, paths) {
        Ok(s) => {
            println!("imported {}", s.generation.display());
            for (info, sources) in s.infos.iter().zip(&s.sources) {
                let origin = if !info.present {
                    "absent (none given, none in force before)".to_string()
                } else if sources.is_empty() {
                    "kept from the previous feeds".to_string()
                } else {
                    let names: Vec<String> =
                        sources.iter().map(|p| p.display().to_string()).collect();
                    format!("from {}", names.join(", "))
                };
                let mut line = format!("{}: {origin}", info.feed);
                if info.present {
                    if let Some(v) = &info.version {
                        line += &format!("; version {v}");
                    }
                    if let Some(d) = info.updated.as_ref().filter(|d| {
                        !info
                            .version
                            .as_ref()
                            .is_some_and(|v| v.starts_with(d.as_str()))
                    }) {
                        line += &format!(" ({d})");
                    }
                    line += &format!("; {} records", info.records);
                    if info.withdrawn > 0 {
                        line += &format!(" ({} withdrawn, skipped)", info.withdrawn);
                    }
                }
                println!("{line}");
            }
            for w in &s.warnings {
                eprintln!("hardline-collector: warning: {w}");
            }
            println!(
                "in force as {} ({:.1} s); a running collector applies it within 60 s, at once on SIGHUP",
                hardline_collector::feeds::current_link(&config.data_dir).display(),
                started.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(reasons) => {
            eprintln!(
                "hardline-collector: error: feeds import refused ({} problem{}); the feeds in force are unchanged:",
                reasons.len(),
                if reasons.len() == 1 { "" } else { "s" }
            );
            for r in &reasons {
                eprintln!("hardline-collector: error: {r}");
            }
            ExitCode::from(1)
        }
    }
}

fn serve(path: &std::path::Path) -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let config = match hardline_collector::config::Config::load(path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("hardline-collector: error: {e}");
            return ExitCode::from(2);
        }
    };
    let clock = match hardline_collector::Clock::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("hardline-collector: error: {e}");
            return ExitCode::from(2);
        }
    };
    raise_nofile_limit();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hardline-collector: error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(hardline_collector::server::serve(config, clock)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hardline-collector: error: {e}");
            match e {
                hardline_collector::StartError::Config(_)
                | hardline_collector::StartError::Store(
                    hardline_collector::store::StoreError::Locked { .. },
                ) => ExitCode::from(2),
                _ => ExitCode::from(1),
            }
        }
    }
}

/// Raise the soft limit on open files to the hard limit: every connection is a file
/// descriptor, and `limits.max_connections` (per listener) is useless above a soft limit
/// of 1024.
fn raise_nofile_limit() {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut l = getrlimit(Resource::Nofile);
    if l.current < l.maximum {
        l.current = l.maximum;
        if let Err(error) = setrlimit(Resource::Nofile, l) {
            tracing::warn!(%error, "Could not raise the open-file limit.");
        }
    }
}
