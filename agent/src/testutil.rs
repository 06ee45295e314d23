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

/// Run `promtool check metrics` (Prometheus' own exposition parser and linter, Debian
/// package `prometheus`) on `text`. `None` when promtool is not installed (outside CI);
/// `Some(Err(output))` when it refuses the text.
pub fn promtool_check_metrics(text: &str) -> Option<Result<(), String>> {
    use std::io::Write;
    if !tool_available("promtool") {
        return None;
    }
    let run = || -> std::io::Result<std::process::Output> {
        let mut child = std::process::Command::new("promtool")
            .args(["check", "metrics"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(text.as_bytes())?;
        }
        child.wait_with_output()
    };
    Some(match run() {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )),
        Err(e) => Err(format!("cannot run promtool: {e}")),
    })
}

/// A workspace binary built beside the running test binary: `current_exe()` is
/// `target/<profile>/deps/<test>-<hash>`, the binary `target/<profile>/<name>`. Panics with
/// what to run when it is missing (`cargo test --workspace` builds every binary first).
pub fn sibling_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let mut candidates = Vec::new();
    let mut dir = exe.parent();
    // deps/ → <profile>/ (and, for safety, one level more).
    for _ in 0..2 {
        let Some(d) = dir else { break };
        candidates.push(d.join(name));
        dir = d.parent();
    }
    match candidates.iter().find(|p| p.is_file()) {
        Some(p) => p.clone(),
        None => panic!(
            "{name} is not built (looked at {}): run `cargo build -p {name}` or `cargo test --workspace`",
            candidates
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Compare each `[epoch:]version-release` pair with rpm's own `rpm.vercmp` (Debian package
/// `rpm`): -1, 0 or 1 per pair. One rpm process, one lua call that compares every pair on
/// the full EVR, split the way rpm splits it (epoch, version, release). Callers check
/// [`tool_available`]`("rpm")` first. Panics (a test failure) when rpm cannot answer.
#[allow(clippy::expect_used)]
pub fn rpm_vercmp(pairs: &[(String, String)]) -> Vec<i32> {
    let mut lua = String::from("%{lua: ");
    lua.push_str(
        "local function evr(s) local e, rest = s:match('^(%d+):(.*)$') if not e then e = '0' rest = s end \
         local v, r = rest:match('^([^-]*)-(.*)$') return e, v, r end ",
    );
    lua.push_str("local pairs_ = {");
    for (a, b) in pairs {
        lua.push_str(&format!("{{'{a}','{b}'}},"));
    }
    lua.push_str(
        "} local res = {} for _, p in ipairs(pairs_) do \
         local ea, va, ra = evr(p[1]) local eb, vb, rb = evr(p[2]) \
         local c = rpm.vercmp(ea, eb) if c == 0 then c = rpm.vercmp(va, vb) end \
         if c == 0 then c = rpm.vercmp(ra, rb) end res[#res + 1] = tostring(c) end \
         print(table.concat(res, ' '))}",
    );
    let out = std::process::Command::new("rpm")
        .args(["--eval", &lua])
        .output()
        .expect("run rpm");
    // rpm's lua `print` does not end lines: one print of space-separated results.
    let answers: Vec<i32> = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(|w| w.parse().expect("rpm.vercmp answer"))
        .collect();
    assert_eq!(
        answers.len(),
        pairs.len(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    answers
}
