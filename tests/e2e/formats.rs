//! End-to-end tests: formats (to be written).
