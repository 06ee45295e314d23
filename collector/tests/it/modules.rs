//! The collector's modules depend on each other one way: no import cycle. The graph is
//! read from the sources by `tests/support/modgraph.rs` (at the repository's root), which
//! the agent's test (`tests/e2e/modules.rs`) shares.

#[path = "../../../tests/support/modgraph.rs"]
mod modgraph;

use std::path::Path;

#[test]
fn collector_modules_have_no_import_cycle() {
    let g = modgraph::graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    // The graph is what it claims to be: the status page reads the summary, not the API.
    assert!(g["page"].contains("summary"), "{g:#?}");
    assert!(!g["page"].contains("api"), "{g:#?}");
    assert!(g["api"].contains("page"), "{g:#?}");
    modgraph::assert_acyclic(&g);
}
