//! hardline-collector: not built yet (issue 4). It says so instead of pretending.

fn main() -> std::process::ExitCode {
    eprintln!(
        "hardline-collector {}: not implemented yet; the report schema it will ingest is hardline_agent::report (schema_version {})",
        env!("CARGO_PKG_VERSION"),
        hardline_agent::report::SCHEMA_VERSION
    );
    std::process::ExitCode::from(2)
}
