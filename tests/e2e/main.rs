//! End-to-end tests: the real `hardline-agent` binary against fixture host trees.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod util;

mod cli;
mod formats;
mod hosts;
mod modules;
mod network;
mod packages;
mod readme;
mod reads;
mod rules;
mod servers;
mod services;
mod sshd;
mod system;
mod unreadable;
mod vuln;
