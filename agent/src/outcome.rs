//! What every check type shares: the [`Outcome`] of one evaluation.
//!
//! Host checks (`checks/`) and network checks (`net/`) both return an `Outcome`; the scan
//! turns it into a [`crate::report::RuleResult`] (see [`crate::scan`]).

use crate::report::{Evidence, Status};

/// The result of evaluating one check: a closed set of statuses, a message that says what
/// was found and where, and the evidence behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// pass, fail, error or not_applicable.
    pub status: Status,
    /// One sentence for a person: what was found, where, what was expected.
    pub message: String,
    /// Paths, lines, observed and expected values.
    pub evidence: Vec<Evidence>,
}

impl Outcome {
    fn new(status: Status, message: impl Into<String>) -> Self {
        Outcome {
            status,
            message: message.into(),
            evidence: Vec::new(),
        }
    }

    /// The host complies.
    pub fn pass(message: impl Into<String>) -> Self {
        Self::new(Status::Pass, message)
    }

    /// The host does not comply.
    pub fn fail(message: impl Into<String>) -> Self {
        Self::new(Status::Fail, message)
    }

    /// The check could not be evaluated; the message says why.
    pub fn error(message: impl Into<String>) -> Self {
        Self::new(Status::Error, message)
    }

    /// The component is absent; the message says why the rule does not apply.
    pub fn not_applicable(message: impl Into<String>) -> Self {
        Self::new(Status::NotApplicable, message)
    }

    /// Add one piece of evidence.
    pub fn with(mut self, evidence: Evidence) -> Self {
        self.evidence.push(evidence);
        self
    }

    /// Add several pieces of evidence.
    pub fn with_all(mut self, evidence: impl IntoIterator<Item = Evidence>) -> Self {
        self.evidence.extend(evidence);
        self
    }
}
