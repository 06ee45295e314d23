//! End-to-end tests: services (to be written).
