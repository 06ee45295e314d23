//! hardline-agent: checks a Linux host (or a mounted image) against a hardening baseline
//! and reports what is out of line, where, and how to fix it.
//!
//! Data flows one way: [`policy`] → [`checks`] → [`report`] → [`output`].

pub mod checks;
pub mod config;
pub mod duration;
pub mod host;
pub mod inventory;
pub mod net;
pub mod outcome;
pub mod output;
pub mod pkgdb;
pub mod policy;
pub mod push;
pub mod report;
pub mod scan;
#[doc(hidden)]
pub mod testutil;
pub mod updateinfo;
pub mod vuln;
