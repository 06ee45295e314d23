//! End-to-end tests: sshd (to be written).
