//! The README, run as a new user would: every ```` ```sh ```` block, verbatim and in order,
//! in one bash from the repository root, each block's output and exit status checked
//! against what the README says it does.
//!
//! Ignored by default because it builds the release binaries (the README's own first
//! step) and binds the walkthrough's fixed ports 8443 and 9466; `.ci/run` runs it:
//! `cargo test -p hardline-agent --test e2e readme -- --ignored`.
//!
//! A new ```` ```sh ```` block needs an entry in `EXPECT` (the test names the block that
//! lacks one); ```` ```text ```` and ```` ```toml ```` blocks are references with placeholders and
//! are not run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What one block must do: a fragment that identifies it, and the check of its output.
struct Expect {
    /// A line the block contains.
    marker: &'static str,
    /// `None`: not run, and why (only the test command itself, which is running now).
    skip: Option<&'static str>,
    /// The exit status of the block's last command.
    status: i32,
    /// Each must occur in the block's output (stdout and stderr) this many times at least.
    contains: &'static [(&'static str, usize)],
    /// Files the block must leave, with a fragment of their content.
    files: &'static [(&'static str, &'static str)],
}

const EXPECT: &[Expect] = &[
    Expect {
        marker: "cargo run --release -p hardline-agent -- scan",
        skip: None,
        // This host fails some rules of the baseline (or not): either status is the truth.
        status: -1,
        contains: &[("\"schema_version\": 1", 1), ("\"results\"", 1)],
        files: &[],
    },
    Expect {
        marker: "cargo test --workspace",
        skip: Some("the test command itself: it is what runs this test"),
        status: 0,
        contains: &[],
        files: &[],
    },
    Expect {
        marker: "cargo build --release",
        skip: None,
        status: 0,
        contains: &[
            ("weak-01: ", 1),
            ("NONCOMPLIANT", 1),
            ("sshd.permit_root_login", 2),
        ],
        files: &[
            ("/tmp/assessment.json", "\"assessment-results\""),
            ("/tmp/hardline.xml", "<testsuite"),
            ("/tmp/hardline.prom", "hardline_agent_"),
        ],
    },
    Expect {
        marker: "--rule vuln.kev --format table | head -12   # DIR/osv, DIR/kev, DIR/vulnrichment",
        skip: None,
        status: 0,
        contains: &[
            ("KNOWN VULNERABILITIES", 1),
            ("KEV  CVE-2023-4911", 1),
            ("STALE", 1),
        ],
        files: &[],
    },
    Expect {
        marker: "cat > collector.toml <<TOML",
        skip: None,
        status: 0,
        contains: &[("delivered 1 report(s)", 2)],
        files: &[
            ("/tmp/hardline-demo/collector.toml", "[[agency]]"),
            ("/tmp/hardline-demo/doe-agent.toml", "spool_dir"),
        ],
    },
    Expect {
        marker:
            "curl -s --cacert ca.pem https://127.0.0.1:9466/metrics | grep -E '^hardline_hosts\\{'",
        skip: None,
        status: 0,
        contains: &[
            ("hardline_hosts{agency=\"DOE\"", 1),
            ("hardline_hosts{agency=\"DOJ\"", 1),
            ("\"hostname\":\"weak-01\"", 1),
            // The table lists failures only: all three TLS rules pass against the collector.
            (": 0 fail, 0 error, 3 pass, 0 not applicable", 1),
        ],
        files: &[("/tmp/hardline-demo/status.html", "<!doctype html>")],
    },
    Expect {
        marker: "kill %1; wait",
        skip: None,
        status: 0,
        contains: &[("1 report(s) spooled", 1), ("delivered 2 report(s)", 1)],
        files: &[],
    },
];

struct Block {
    line: usize,
    text: String,
}

fn sh_blocks(readme: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<(bool, usize, String)> = None;
    for (i, line) in readme.lines().enumerate() {
        let fence = line.trim_start().strip_prefix("```");
        match (&mut open, fence) {
            (None, Some(info)) => open = Some((info.trim() == "sh", i + 1, String::new())),
            (Some(_), Some(_)) => {
                let (is_sh, start, text) = open.take().unwrap();
                if is_sh {
                    out.push(Block { line: start, text });
                }
            }
            (Some((_, _, text)), None) => {
                text.push_str(line);
                text.push('\n');
            }
            (None, None) => {}
        }
    }
    assert!(open.is_none(), "README.md: a code fence is not closed");
    out
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

#[test]
#[ignore = "builds the release binaries and binds ports 8443/9466; .ci/run runs it"]
fn readme_blocks_do_what_the_readme_says() {
    let repo = repo();
    let readme = std::fs::read_to_string(repo.join("README.md")).unwrap();
    let blocks = sh_blocks(&readme);
    let mut plan = Vec::new();
    for b in &blocks {
        let found: Vec<&Expect> = EXPECT
            .iter()
            .filter(|e| b.text.lines().any(|l| l.trim() == e.marker.trim()))
            .collect();
        assert!(
            found.len() == 1,
            "README.md:{}: the sh block starting {:?} matches {} entries of EXPECT in \
             tests/e2e/readme.rs; say there what it must do",
            b.line,
            b.text.lines().next().unwrap_or(""),
            found.len()
        );
        plan.push((b, found[0]));
    }
    for e in EXPECT {
        assert!(
            plan.iter().any(|(_, p)| std::ptr::eq(*p, e)),
            "tests/e2e/readme.rs expects a README sh block containing {:?}; there is none",
            e.marker
        );
    }

    // The state a fresh machine has: no demo directory, no files the blocks write.
    let _ = std::fs::remove_dir_all("/tmp/hardline-demo");
    for e in EXPECT {
        for (f, _) in e.files {
            let _ = std::fs::remove_file(f);
        }
    }
    let mut script = String::from(
        "exec 2>&1\ntrap 'kill $(jobs -p) 2>/dev/null; wait' EXIT\ncd \"$HARDLINE_REPO\"\n",
    );
    for (i, (b, e)) in plan.iter().enumerate() {
        script.push_str(&format!("printf '\\n@@readme-block {i} start\\n'\n"));
        if e.skip.is_some() {
            script.push_str("true\n");
        } else {
            script.push_str(&b.text);
        }
        script.push_str(&format!("printf '\\n@@readme-block {i} end %d\\n' $?\n"));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("readme.sh");
    std::fs::write(&path, &script).unwrap();
    let out = Command::new("bash")
        .arg(&path)
        .env("HARDLINE_REPO", &repo)
        .current_dir(&repo)
        .stdin(Stdio::null())
        .output()
        .expect("bash");
    let all = String::from_utf8_lossy(&out.stdout).into_owned();

    let mut failures = Vec::new();
    for (i, (b, e)) in plan.iter().enumerate() {
        let start = format!("@@readme-block {i} start\n");
        let end = format!("@@readme-block {i} end ");
        let Some(s) = all.find(&start) else {
            failures.push(format!("README.md:{}: the block never started", b.line));
            continue;
        };
        let body = &all[s + start.len()..];
        let Some(eidx) = body.find(&end) else {
            failures.push(format!(
                "README.md:{}: the block did not finish; its output:\n{body}",
                b.line
            ));
            continue;
        };
        let output = &body[..eidx];
        let status: i32 = body[eidx + end.len()..]
            .lines()
            .next()
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or(-2);
        if let Some(why) = e.skip {
            eprintln!("README.md:{}: not run: {why}", b.line);
            continue;
        }
        let mut problems = Vec::new();
        if e.status >= 0 && status != e.status {
            problems.push(format!("exit status {status}, expected {}", e.status));
        }
        for (want, n) in e.contains {
            let got = output.matches(want).count();
            if got < *n {
                problems.push(format!(
                    "{want:?} occurs {got} times, expected at least {n}"
                ));
            }
        }
        for (f, want) in e.files {
            match std::fs::read_to_string(f) {
                Ok(t) if t.contains(want) => {}
                Ok(_) => problems.push(format!("{f} lacks {want:?}")),
                Err(err) => problems.push(format!("{f}: {err}")),
            }
        }
        if !problems.is_empty() {
            failures.push(format!(
                "README.md:{}: {}\n--- its output ---\n{output}\n---",
                b.line,
                problems.join("; ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
