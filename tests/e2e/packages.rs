//! End-to-end tests: packages (to be written).
