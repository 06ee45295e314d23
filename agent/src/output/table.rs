//! `table` output: not implemented yet.

use crate::report::Report;

/// Render the report.
pub fn render(report: &Report, _color: bool) -> String {
    format!(
        "{} output is not implemented yet; {} results\n",
        "table",
        report.results.len()
    )
}
