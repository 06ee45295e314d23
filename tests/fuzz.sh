#!/usr/bin/env bash
# Long runs of the parser fuzz targets (proptest, stable Rust). `cargo test` runs each with a
# few hundred cases; this raises the count. Usage: tests/fuzz.sh [CASES]  (default 20000)
#
# Targets: policy loader (fuzz_policy_*), dpkg status and RPM header parsers
# (fuzz_dpkg_*, fuzz_rpm_*), dpkg/rpm version parsing (fuzz_versions_*), sshd_config,
# sysctl.d, keyvalue, mount table, modprobe.d and audit rule parsers (parser_never_panics*,
# parser_survives_*, unescape_never_panics), OSCAL/JUnit output on arbitrary text
# (arbitrary_text_*); the modprobe.d differential against kmod (differential_against_modprobe*).
set -euo pipefail
cd "$(dirname "$0")/.."
export PROPTEST_CASES="${1:-20000}"
cargo test --release -p hardline-agent --lib -- \
  fuzz_ parser_never_panics parser_survives unescape_never_panics arbitrary_text_ \
  differential_against_modprobe
