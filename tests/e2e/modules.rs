//! The agent's modules depend on each other one way: no import cycle. The graph is read
//! from the sources by `tests/support/modgraph.rs`, which the collector's test
//! (`collector/tests/it/modules.rs`) shares.

#[path = "../support/modgraph.rs"]
mod modgraph;

use std::path::Path;

#[test]
fn agent_modules_have_no_import_cycle() {
    let g = modgraph::graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    // The graph is what it claims to be: the registry names the network checks, the sshd
    // parser runs the argument checks, and both read numbers from one place.
    assert!(g["checks"].contains("net::check"), "{g:#?}");
    assert!(g["checks"].contains("checks::sshd"), "{g:#?}");
    let parser = &g["checks::sshd::parser"];
    assert!(parser.contains("checks::sshd::args"), "{g:#?}");
    assert!(parser.contains("checks::sshd::numbers"), "{g:#?}");
    assert!(
        g["checks::sshd::args"].contains("checks::sshd::numbers"),
        "{g:#?}"
    );
    assert!(g.contains_key("push::inventory"), "{g:#?}");
    assert!(
        !g.contains_key("checks::sshd::tests"),
        "test code is left out: {g:#?}"
    );
    modgraph::assert_acyclic(&g);
}
