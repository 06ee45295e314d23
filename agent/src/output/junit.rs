//! `junit` output: not implemented yet.

use crate::report::Report;

/// Render the report.
pub fn render(report: &Report) -> String {
    format!(
        "{} output is not implemented yet; {} results\n",
        "junit",
        report.results.len()
    )
}
