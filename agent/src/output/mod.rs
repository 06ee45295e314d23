//! Output formats. Each renders the same [`Report`]; `json` is the stable contract.

use crate::policy::Policy;
use crate::report::Report;

pub mod junit;
pub mod oscal;
pub mod prom;
pub mod table;
pub mod text;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people: grouped by severity, failing first.
    Table,
    /// The report (schema_version 1).
    Json,
    /// OSCAL assessment-results.
    Oscal,
    /// JUnit XML for CI pipelines.
    Junit,
    /// node_exporter textfile collector.
    Prom,
}

/// Render a report. `color` only affects `table`.
pub fn render(report: &Report, policy: &Policy, format: Format, color: bool) -> String {
    match format {
        Format::Table => table::render(report, color),
        Format::Json => json(report),
        Format::Oscal => oscal::render(report, policy),
        Format::Junit => junit::render(report),
        Format::Prom => prom::render(report),
    }
}

/// The JSON report, pretty-printed, newline-terminated.
pub fn json(report: &Report) -> String {
    // Serializing plain data structs with string keys cannot fail.
    let mut s =
        serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}
