//! Integration tests of the real `hardline-collector` binary on loopback (one test binary,
//! a module per area). See util.rs for the harness.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod clock;
mod deploy;
mod durability;
mod feeds;
mod fuzz;
mod idle;
mod ingest;
mod integrity;
mod limits;
mod lock;
mod modules;
mod page;
mod page_kev;
mod push;
mod refusals;
mod util;
mod vulns;
