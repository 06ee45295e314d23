//! Helpers for unit tests: fixture paths and real tools used as differential oracles.

use std::path::PathBuf;

/// `tests/fixtures/<rel>` in the repository.
pub fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures")).join(rel)
}

/// `tests/hosts/<rel>` in the repository.
pub fn host_fixture(rel: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/hosts")).join(rel)
}

/// True when `tool` (an absolute path or a name on PATH) can be run. Under CI
/// (`CI` set) a missing oracle is a test failure, not a skip: `.ci/run` installs them.
pub fn tool_available(tool: &str) -> bool {
    let found = if tool.contains('/') {
        std::path::Path::new(tool).exists()
    } else {
        std::env::var_os("PATH")
            .map(|paths| std::env::split_paths(&paths).any(|d| d.join(tool).exists()))
            .unwrap_or(false)
    };
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{tool} is required under CI (.ci/run installs it)"
        );
        eprintln!("skipping: {tool} is not installed");
    }
    found
}
