//! `patch` check: not implemented yet.

use crate::checks::Outcome;
use crate::host::Host;
use serde::{Deserialize, Serialize};

/// Parameters (placeholder until the check is implemented).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

/// Evaluate the check.
pub fn evaluate(_params: &Params, _host: &Host) -> Outcome {
    Outcome::error("check type `patch` is not implemented yet")
}
