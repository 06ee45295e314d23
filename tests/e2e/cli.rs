//! End-to-end tests: cli (to be written).
