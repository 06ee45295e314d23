//! `oscal` output: not implemented yet.

use crate::policy::Policy;
use crate::report::Report;

/// Render the report.
pub fn render(report: &Report, _policy: &Policy) -> String {
    format!(
        "oscal output is not implemented yet; {} results\n",
        report.results.len()
    )
}
