//! What every check type shares: the [`Outcome`] of one evaluation, the [`Finding`] (an
//! outcome on one target, timed) and the [`HostCheck`] trait of the host check types.
//!
//! Host checks (`checks/`) and network checks (`net/`, trait [`crate::net::check::NetCheck`])
//! both return an `Outcome`; the scan turns each finding into a
//! [`crate::report::RuleResult`] in one place ([`crate::scan::rule_result`]).

use crate::host::Host;
use crate::report::{Evidence, Status};
use std::time::{Duration, Instant};

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

/// One outcome on one target, timed: what the scan turns into a
/// [`crate::report::RuleResult`]. Host checks give one finding without a target; a network
/// check gives one per target.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The outcome.
    pub outcome: Outcome,
    /// The target (`host:port[@sni]`, a certificate path, a domain), if any.
    pub target: Option<String>,
    /// How long the evaluation took.
    pub duration: Duration,
}

impl Finding {
    /// `outcome` on `target`, timed from `started`.
    pub fn new(outcome: Outcome, target: Option<String>, started: Instant) -> Finding {
        Finding {
            outcome,
            target,
            duration: started.elapsed(),
        }
    }
}

/// A host check type: its `Params` evaluated once against the scanned host.
///
/// Registered with one line in the `host` part of the registry (`checks/mod.rs`). Read the
/// host only through [`Host`]; never panic on bad input: an unreadable or malformed file is
/// [`Status::Error`], never a pass.
pub trait HostCheck {
    /// Evaluate the check against `host`.
    fn evaluate(&self, host: &Host) -> Outcome;
}
