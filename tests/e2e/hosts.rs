//! End-to-end tests: hosts (to be written).
