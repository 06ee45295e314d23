//! End-to-end tests: system (to be written).
