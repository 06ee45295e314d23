//! `kernel_module` check: a kernel module cannot be loaded by `modprobe`, and is not loaded.
//!
//! **What it reads.** The modprobe configuration as kmod reads it: `*.conf` files in
//! `/etc/modprobe.d`, `/run/modprobe.d`, `/usr/local/lib/modprobe.d`, `/usr/lib/modprobe.d`
//! and `/lib/modprobe.d` (the same directory under two names, as with a usr-merged
//! `/lib → usr/lib`, is read once). A file name in an earlier directory masks the same name
//! in a later one (`/etc/modprobe.d/x.conf` replaces `/lib/modprobe.d/x.conf`; a link to
//! `/dev/null` or an empty file disables it); the files are read in file-name order. Then
//! `/proc/modules` for what is loaded now.
//!
//! **Parsing** follows kmod: a `\` at the end of a line joins the next line, a `\` before
//! another character escapes it; a line whose first character is `#` is a comment; module
//! names treat `-` and `_` alike (outside `[...]`). Only `blacklist NAME` and
//! `install PATTERN COMMAND` matter here; the first `install` whose pattern matches the
//! module (a shell glob, as kmod's `fnmatch`) is the one modprobe runs.
//!
//! **Blacklist versus install.** `blacklist cramfs` only stops the module from being loaded
//! automatically through an alias (udev, hotplug); `modprobe cramfs`, or another module that
//! depends on it, still loads it. `install cramfs /bin/false` makes every `modprobe cramfs`
//! run `/bin/false` instead, so it cannot be loaded by name or as a dependency (only a
//! deliberate `insmod FILE` bypasses it). CIS benchmarks ask for both; `require` chooses:
//! `both` (default), `install_disabled`, `blacklisted` or `either`. A disabling install
//! command is exactly `/bin/false`, `/bin/true`, `/usr/bin/false` or `/usr/bin/true`
//! (arguments allowed, shell operators such as `;` or `&&` are not: `/bin/true; modprobe
//! --ignore-install cramfs` loads the module).
//!
//! **Loaded.** When `/proc/modules` exists under the root, a module listed there fails the
//! rule whatever the configuration says (the configuration only acts at the next load).
//! When it does not (an offline image), the rule is judged on the configuration alone and
//! the message says so. Not modelled: modules built into the kernel
//! (`modules.builtin`: configuration cannot disable them) and `modprobe.blacklist=` on the
//! kernel command line.
//!
//! **Absent.** No modprobe configuration at all fails (nothing disables the module).
//! An unreadable configuration file is an `error`.

use crate::checks::Outcome;
use crate::host::Host;
use crate::report::Evidence;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::rc::Rc;

/// Parameters of a `kernel_module` check.
///
/// ```yaml
/// check:
///   type: kernel_module
///   params: { module: cramfs, require: both }
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The module name (`cramfs`, `usb-storage`; `-` and `_` are equivalent).
    pub module: ModuleName,
    /// Which configuration counts as disabled: `both` (default: an `install NAME /bin/false`
    /// line and a `blacklist NAME` line), `install_disabled`, `blacklisted` or `either`.
    #[serde(default)]
    pub require: Require,
}

/// A module name, validated when the policy is loaded; compared normalised (`-` → `_`),
/// shown as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ModuleName {
    written: String,
    normalised: String,
}

impl TryFrom<String> for ModuleName {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let t = s.trim();
        if t.is_empty()
            || !t
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(format!("invalid kernel module name {s:?}"));
        }
        Ok(ModuleName {
            written: t.to_string(),
            normalised: underscores(t),
        })
    }
}

impl From<ModuleName> for String {
    fn from(m: ModuleName) -> String {
        m.written
    }
}

/// Which modprobe configuration counts as "disabled".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Require {
    /// `install NAME /bin/false` (or true) and `blacklist NAME`.
    #[default]
    Both,
    /// `install NAME /bin/false` (or true).
    InstallDisabled,
    /// `blacklist NAME`.
    Blacklisted,
    /// Either of them.
    Either,
}

/// Evaluate a `kernel_module` check.
pub fn evaluate(params: &Params, host: &Host) -> Outcome {
    let name = params.module.normalised.as_str();
    let shown = params.module.written.as_str();
    let config = load_config(host);
    let config = match config.as_ref() {
        Ok(c) => c,
        Err(e) => return Outcome::error(format!("cannot read the modprobe configuration: {e}")),
    };
    let loaded = match loaded_modules(host) {
        Ok(l) => l,
        Err(e) => return Outcome::error(e),
    };
    let blacklist = config.directives.iter().find(|d| match &d.kind {
        Kind::Blacklist(m) => m == name,
        _ => false,
    });
    let install = config.directives.iter().find(|d| match &d.kind {
        Kind::Install { pattern, .. } => module_matches(pattern, name),
        _ => false,
    });
    let install_ok = install.is_some_and(|d| match &d.kind {
        Kind::Install { command, .. } => is_disabling_command(command),
        _ => false,
    });
    let blacklisted = blacklist.is_some();
    let config_ok = match params.require {
        Require::Both => install_ok && blacklisted,
        Require::InstallDisabled => install_ok,
        Require::Blacklisted => blacklisted,
        Require::Either => install_ok || blacklisted,
    };
    let want_install = format!("install {shown} /bin/false");
    let want_blacklist = format!("blacklist {shown}");
    let expected = match params.require {
        Require::Both => format!("`{want_install}` and `{want_blacklist}`"),
        Require::InstallDisabled => format!("`{want_install}`"),
        Require::Blacklisted => format!("`{want_blacklist}`"),
        Require::Either => format!("`{want_install}` or `{want_blacklist}`"),
    };

    let mut evidence = Vec::new();
    let mut found = Vec::new();
    match install {
        Some(d) => {
            evidence.push(
                Evidence::at(&d.path, Some(d.line))
                    .observed(d.text.clone())
                    .expected(want_install.clone()),
            );
            found.push(format!("`{}` at {}:{}", d.text, d.path, d.line));
        }
        None if params.require != Require::Blacklisted => evidence.push(
            Evidence::at("/etc/modprobe.d", None)
                .observed(format!("no install line for {shown}"))
                .expected(want_install.clone()),
        ),
        None => {}
    }
    match blacklist {
        Some(d) => {
            evidence.push(
                Evidence::at(&d.path, Some(d.line))
                    .observed(d.text.clone())
                    .expected(want_blacklist.clone()),
            );
            found.push(format!("`{}` at {}:{}", d.text, d.path, d.line));
        }
        None if params.require != Require::InstallDisabled => evidence.push(
            Evidence::at("/etc/modprobe.d", None)
                .observed(format!("no blacklist line for {shown}"))
                .expected(want_blacklist.clone()),
        ),
        None => {}
    }
    let found_text = if found.is_empty() {
        format!(
            "no install or blacklist line for it in {} modprobe.d files",
            config.files
        )
    } else {
        found.join(" and ")
    };

    if let Some(LoadedState::Listed { line }) = loaded.as_ref().map(|l| l.state(name)) {
        evidence.push(
            Evidence::at("/proc/modules", Some(line))
                .observed(format!("{shown} loaded"))
                .expected("not loaded"),
        );
        return Outcome::fail(format!(
            "{shown} is loaded now (/proc/modules:{line}); configuration: {found_text}; expected {expected} and the module not loaded (`modprobe -r {shown}` or reboot)"
        ))
        .with_all(evidence);
    }
    if !config_ok {
        let why = match install {
            Some(d) if !install_ok && params.require != Require::Blacklisted => {
                format!(
                    " (the install command `{}` would still load something)",
                    command_of(d)
                )
            }
            _ => String::new(),
        };
        return Outcome::fail(format!(
            "{shown} can be loaded: {found_text}{why}; expected {expected} in /etc/modprobe.d/*.conf"
        ))
        .with_all(evidence);
    }
    let runtime = match loaded {
        Some(_) => "not loaded (/proc/modules)",
        None => "no /proc/modules under the root (offline image): judged by configuration alone",
    };
    Outcome::pass(format!("{shown} cannot be loaded: {found_text}; {runtime}")).with_all(evidence)
}

/// One relevant directive of the modprobe configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// Host path of the file.
    pub path: String,
    /// 1-based line where the (possibly continued) line starts.
    pub line: u32,
    /// The logical line, whitespace collapsed.
    pub text: String,
    /// What it says.
    pub kind: Kind,
}

/// The directives that matter for disabling a module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// `blacklist NAME` (normalised).
    Blacklist(String),
    /// `install PATTERN COMMAND...`.
    Install {
        /// Module name or glob (normalised).
        pattern: String,
        /// The command, as written.
        command: String,
    },
}

/// The effective modprobe configuration.
#[derive(Debug, Default)]
struct Config {
    directives: Vec<Directive>,
    files: usize,
}

const CONFIG_DIRS: &[&str] = &[
    "/etc/modprobe.d",
    "/run/modprobe.d",
    "/usr/local/lib/modprobe.d",
    "/usr/lib/modprobe.d",
    "/lib/modprobe.d",
];

fn load_config(host: &Host) -> Rc<Result<Config, String>> {
    host.cached("kernel_module:config", || {
        let mut seen_dirs = HashSet::new();
        // file name -> host path; first directory wins.
        let mut files: BTreeMap<String, String> = BTreeMap::new();
        for dir in CONFIG_DIRS {
            let real = host.resolve(dir).map_err(|e| format!("{dir}: {e}"))?;
            let real = if host.is_live() {
                std::fs::canonicalize(&real).unwrap_or(real)
            } else {
                real
            };
            if !seen_dirs.insert(real) {
                continue;
            }
            for e in host.read_dir_sorted(dir).map_err(|e| e.to_string())? {
                if e.name.starts_with('.') || !e.name.ends_with(".conf") {
                    continue;
                }
                files.entry(e.name).or_insert(e.host_path);
            }
        }
        let mut config = Config {
            files: files.len(),
            ..Config::default()
        };
        for path in files.values() {
            if host.metadata(path).map(|m| m.is_dir()).unwrap_or(false) {
                continue;
            }
            // A dangling link (to /dev/null inside an image) masks like an empty file.
            let text = match host.read_optional(path) {
                Ok(t) => t.unwrap_or_default(),
                Err(e) => return Err(e.to_string()),
            };
            config.directives.extend(parse_modprobe(path, &text));
        }
        Ok(config)
    })
}

/// Parse one modprobe.d file; lines that are not `blacklist` or `install` are skipped.
pub fn parse_modprobe(path: &str, text: &str) -> Vec<Directive> {
    let mut out = Vec::new();
    for (line, logical) in logical_lines(text) {
        if logical.is_empty() || logical.starts_with('#') {
            continue;
        }
        let mut words = logical.split([' ', '\t']).filter(|w| !w.is_empty());
        let (Some(cmd), Some(module)) = (words.next(), words.next()) else {
            continue;
        };
        let kind = match cmd {
            "blacklist" => Kind::Blacklist(underscores(module)),
            "install" => {
                let command: Vec<&str> = words.collect();
                if command.is_empty() {
                    continue; // kmod: syntax error, ignored
                }
                Kind::Install {
                    pattern: underscores(module),
                    command: command.join(" "),
                }
            }
            _ => continue,
        };
        let text = logical
            .split([' ', '\t'])
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        out.push(Directive {
            path: path.to_string(),
            line,
            text,
            kind,
        });
    }
    out
}

/// kmod's `freadline_wrapped`: `\` + newline joins lines, `\` + other character keeps the
/// character. Yields (first line number, logical line).
fn logical_lines(text: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let mut buf = String::new();
    let mut start = 1u32;
    let mut lineno = 1u32;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\n' => {
                out.push((start, std::mem::take(&mut buf)));
                lineno = lineno.saturating_add(1);
                start = lineno;
            }
            '\\' => match chars.next() {
                Some('\n') => lineno = lineno.saturating_add(1),
                Some(other) => buf.push(other),
                None => {}
            },
            other => buf.push(other),
        }
    }
    if !buf.is_empty() {
        out.push((start, buf));
    }
    out
}

/// kmod's `underscores()`: `-` → `_` outside `[...]`.
fn underscores(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_bracket = false;
    for c in s.chars() {
        match c {
            '[' => in_bracket = true,
            ']' => in_bracket = false,
            '-' if !in_bracket => {
                out.push('_');
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

fn module_matches(pattern: &str, name: &str) -> bool {
    if pattern == name {
        return true;
    }
    if !pattern.contains(['*', '?', '[']) {
        return false;
    }
    glob::Pattern::new(pattern).is_ok_and(|p| p.matches(name))
}

/// `/bin/false`, `/bin/true`, `/usr/bin/false` or `/usr/bin/true`, with no shell operators.
fn is_disabling_command(command: &str) -> bool {
    const DISABLED: &[&str] = &["/bin/false", "/bin/true", "/usr/bin/false", "/usr/bin/true"];
    let first = command.split_whitespace().next().unwrap_or("");
    DISABLED.contains(&first)
        && !command.contains([';', '&', '|', '$', '`', '(', ')', '<', '>', '\n'])
}

fn command_of(d: &Directive) -> &str {
    match &d.kind {
        Kind::Install { command, .. } => command,
        Kind::Blacklist(_) => "",
    }
}

/// What `/proc/modules` says about a module.
enum LoadedState {
    Listed { line: u32 },
    Absent,
}

struct Loaded(Vec<String>);

impl Loaded {
    fn state(&self, name: &str) -> LoadedState {
        match self.0.iter().position(|m| m == name) {
            Some(i) => LoadedState::Listed {
                line: u32::try_from(i + 1).unwrap_or(u32::MAX),
            },
            None => LoadedState::Absent,
        }
    }
}

/// Loaded modules from `/proc/modules`; `None` for an offline image without it.
fn loaded_modules(host: &Host) -> Result<Option<Loaded>, String> {
    let rc = host.cached("kernel_module:proc_modules", || {
        match host.read_optional("/proc/modules") {
            Ok(Some(text)) => Ok(Some(
                text.lines()
                    .map(|l| underscores(l.split_whitespace().next().unwrap_or("")))
                    .collect::<Vec<_>>(),
            )),
            // A live /proc without /proc/modules: a kernel without module support.
            Ok(None) if host.has_proc() => Ok(Some(Vec::new())),
            Ok(None) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    });
    match rc.as_ref() {
        Ok(v) => Ok(v.clone().map(Loaded)),
        Err(e) => Err(format!("cannot read /proc/modules: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;
    use crate::testutil::fixture;
    use proptest::prelude::*;

    fn eval(case: &str, yaml: &str) -> Outcome {
        let p: Params = serde_saphyr::from_str(yaml).unwrap();
        evaluate(&p, &Host::new(fixture(&format!("kernel_module/{case}"))))
    }

    #[test]
    fn parser_continuations_comments_and_names() {
        let d = parse_modprobe(
            "/x.conf",
            "# blacklist nope\nblacklist usb-storage\ninstall \\\n  cramfs   /bin/false\n  # indented\nblacklist\nvalue\\ x\noptions a b=1\ninstall lonely\n",
        );
        assert_eq!(d.len(), 2, "{d:?}");
        assert_eq!(d[0].kind, Kind::Blacklist("usb_storage".into()));
        assert_eq!(d[0].line, 2);
        assert_eq!(
            d[1].kind,
            Kind::Install {
                pattern: "cramfs".into(),
                command: "/bin/false".into()
            }
        );
        assert_eq!(d[1].line, 3);
        assert_eq!(d[1].text, "install cramfs /bin/false");
    }

    #[test]
    fn disabling_commands() {
        assert!(is_disabling_command("/bin/false"));
        assert!(is_disabling_command("/usr/bin/true"));
        assert!(!is_disabling_command(
            "/bin/true; /sbin/modprobe --ignore-install cramfs"
        ));
        assert!(!is_disabling_command(
            "/sbin/modprobe --ignore-install cramfs"
        ));
        assert!(!is_disabling_command("false"));
        assert!(module_matches("cram*", "cramfs"));
        assert!(!module_matches("cram", "cramfs"));
    }

    #[test]
    fn module_names_are_validated() {
        assert!(serde_saphyr::from_str::<Params>("{module: 'a;b'}").is_err());
        let p: Params = serde_saphyr::from_str("{module: usb-storage}").unwrap();
        assert_eq!(p.module.normalised, "usb_storage");
        assert_eq!(p.module.written, "usb-storage");
        assert_eq!(p.require, Require::Both);
    }

    #[test]
    fn fixture_matrix() {
        let cases = [
            // (case, params, status, message fragment)
            ("both", "{module: cramfs}", Status::Pass, "offline image"),
            ("both", "{module: freevxfs}", Status::Fail, "can be loaded"),
            (
                "blacklist_only",
                "{module: cramfs}",
                Status::Fail,
                "blacklist cramfs` at /etc/modprobe.d/cramfs.conf:1",
            ),
            (
                "blacklist_only",
                "{module: cramfs, require: blacklisted}",
                Status::Pass,
                "",
            ),
            (
                "blacklist_only",
                "{module: cramfs, require: either}",
                Status::Pass,
                "",
            ),
            (
                "blacklist_only",
                "{module: cramfs, require: install_disabled}",
                Status::Fail,
                "",
            ),
            (
                "install_only",
                "{module: cramfs, require: install_disabled}",
                Status::Pass,
                "/usr/bin/true",
            ),
            ("install_only", "{module: cramfs}", Status::Fail, ""),
            (
                "install_only",
                "{module: usb-storage, require: install_disabled}",
                Status::Pass,
                "continued.conf:1",
            ),
            (
                "masked",
                "{module: cramfs, require: either}",
                Status::Fail,
                "",
            ),
            (
                "masked",
                "{module: hfs, require: either}",
                Status::Pass,
                "/etc/modprobe.d/vendor.conf",
            ),
            (
                "loaded",
                "{module: cramfs}",
                Status::Fail,
                "/proc/modules:2",
            ),
            (
                "loaded",
                "{module: udf}",
                Status::Pass,
                "not loaded (/proc/modules)",
            ),
            ("loaded", "{module: sctp}", Status::Fail, "would still load"),
            (
                "first_install_wins",
                "{module: dccp, require: install_disabled}",
                Status::Fail,
                "modprobe --ignore-install",
            ),
            (
                "empty",
                "{module: cramfs}",
                Status::Fail,
                "no install or blacklist line",
            ),
        ];
        for (case, yaml, status, frag) in cases {
            let o = eval(case, yaml);
            assert_eq!(o.status, status, "{case} {yaml}: {o:?}");
            assert!(o.message.contains(frag), "{case} {yaml}: {}", o.message);
        }
    }

    #[test]
    fn unreadable_config_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc/modprobe.d")).unwrap();
        std::os::unix::fs::symlink(
            "/etc/modprobe.d/loop.conf",
            dir.path().join("etc/modprobe.d/loop.conf"),
        )
        .unwrap();
        let p: Params = serde_saphyr::from_str("{module: cramfs}").unwrap();
        let o = evaluate(&p, &Host::new(dir.path()));
        assert_eq!(o.status, Status::Error, "{o:?}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn parser_never_panics(text in "(?s).{0,400}") {
            let _ = parse_modprobe("/f.conf", &text);
        }

        #[test]
        fn parser_never_panics_on_modprobe_like_text(
            lines in proptest::collection::vec("(blacklist|install|options|#|\\\\| |\t|[a-z_\\-*\\[\\]]{0,8}|/bin/false|\\\\\n){0,6}", 0..12)
        ) {
            let text = lines.join("\n");
            for d in parse_modprobe("/f.conf", &text) {
                prop_assert!(d.line >= 1);
            }
        }
    }
}
