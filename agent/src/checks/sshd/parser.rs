//! Reading sshd_config the way sshd 9.2 does (servconf.c): lines, keywords, `Include`,
//! `Match`, and the validation that makes sshd refuse to start.
//!
//! The result is a flat list of [`Entry`]s (one per occurrence of a modelled keyword,
//! in the order sshd reads them) plus the [`MatchBlock`]s they sit in. Each entry's
//! `ctx` is the chain of Match blocks that must all match a connection for the line to
//! apply: the block of its own file plus, for a file included from inside a Match
//! block, the includer's chain (sshd's `SSHCFG_NEVERMATCH` / `SSHCFG_MATCH_ONLY`
//! rules amount to exactly this conjunction).

use super::addrmatch::addr_list_valid;
use super::algos;
use super::args;
use super::glob;
use super::keywords::{self, Kind, Kw};
use super::lexer::{argv_split, rtrim, strdelim};
use super::numbers::{atoi, c_int_prefix, convtime};
use crate::host::Host;

/// sshd's `SERVCONF_MAX_DEPTH`.
pub const MAX_INCLUDE_DEPTH: usize = 16;
/// Directory relative `Include` paths are resolved against (`SSHDIR`).
const SSHDIR: &str = "/etc/ssh";
/// Guard against include fan-out: no real configuration comes near this.
const MAX_TOTAL_LINES: usize = 200_000;

/// A `Match` line.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchBlock {
    /// The criteria as written (`User backup Address 10.0.0.0/8`).
    pub criteria: String,
    /// File of the Match line.
    pub path: String,
    /// Line of the Match line.
    pub line: u32,
    /// `Match all`: applies to every connection (and to sshd's global pass).
    pub all: bool,
    /// Criteria as (lower-case attribute, argument) pairs.
    pub attrs: Vec<(String, String)>,
}

/// A parsed, validated value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Flags and multistate keywords, log level, banner, PermitUserEnvironment,
    /// PermitTunnel: the normalised text.
    Text(String),
    /// An integer.
    Int(i64),
    /// A time interval in seconds, with the text as written.
    Time(i64, String),
    /// MaxStartups: `begin[:rate:full]`.
    Startups {
        /// start
        begin: i64,
        /// rate, when given
        rate: Option<i64>,
        /// full
        full: i64,
    },
    /// An algorithm list as written (`+aes128-cbc`, `-*cbc`, ...).
    Algos(String),
}

/// One occurrence of a modelled keyword.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Which keyword.
    pub kw: Kw,
    /// Its value.
    pub value: Value,
    /// File.
    pub path: String,
    /// 1-based line.
    pub line: u32,
    /// Match blocks (indexes into [`Config::blocks`]) that must all match; empty = global.
    pub ctx: Vec<usize>,
}

/// The whole configuration as sshd reads it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    /// Match blocks in reading order.
    pub blocks: Vec<MatchBlock>,
    /// Modelled keyword occurrences in reading order.
    pub entries: Vec<Entry>,
    /// Every file read, in order (the main file first).
    pub files: Vec<String>,
    /// Checks sshd makes after reading every file (unmodelled keywords).
    pub post: Box<Post>,
}

/// What sshd checks once the whole configuration is read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Post {
    /// Subsystem names defined (a second definition is fatal).
    pub subsystems: Vec<String>,
    /// The first global `AuthenticationMethods` line: lists, file, line.
    pub auth_methods: Option<(Vec<String>, String, u32)>,
    /// First global `AuthorizedKeysCommand` and `...CommandUser` values, likewise for
    /// principals: (command, user).
    pub keys_command: (Option<(String, String, u32)>, Option<String>),
    /// Same for `AuthorizedPrincipalsCommand`.
    pub principals_command: (Option<(String, String, u32)>, Option<String>),
}

/// Why the configuration cannot be evaluated (sshd would refuse it, or it is unreadable).
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    /// File.
    pub path: String,
    /// Line, when the problem is on one.
    pub line: Option<u32>,
    /// What is wrong.
    pub message: String,
}

/// The outcome of reading the main file and everything it includes.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// The main file does not exist.
    Missing,
    /// Unreadable or invalid.
    Failed(ParseError),
    /// Read and valid.
    Ok(Config),
}

/// Read `main` (normally `/etc/ssh/sshd_config`) and its includes.
pub fn parse(host: &Host, main: &str) -> Parsed {
    let text = match host.read_optional(main) {
        Ok(None) => return Parsed::Missing,
        Ok(Some(t)) => t,
        Err(e) => {
            return Parsed::Failed(ParseError {
                path: main.to_string(),
                line: None,
                message: format!("cannot read: {}", e.source),
            })
        }
    };
    if host.metadata(main).map(|m| m.is_dir()).unwrap_or(false) {
        return Parsed::Failed(ParseError {
            path: main.to_string(),
            line: None,
            message: "is a directory".to_string(),
        });
    }
    let mut p = Parser {
        host,
        cfg: Config::default(),
        lines: 0,
        services: None,
    };
    p.cfg.files.push(main.to_string());
    match p.parse_text(main, &text, &[], 0) {
        Ok(()) => match p
            .cfg
            .check_global_algorithms()
            .and_then(|()| p.cfg.check_post())
        {
            Ok(()) => Parsed::Ok(p.cfg),
            Err(e) => Parsed::Failed(e),
        },
        Err(e) => Parsed::Failed(e),
    }
}

/// Parse configuration text directly (used by the fuzz tests; includes resolve on `host`).
#[cfg(test)]
pub fn parse_str(host: &Host, path: &str, text: &str) -> Result<Config, ParseError> {
    let mut p = Parser {
        host,
        cfg: Config::default(),
        lines: 0,
        services: None,
    };
    p.cfg.files.push(path.to_string());
    p.parse_text(path, text, &[], 0)?;
    p.cfg.check_global_algorithms()?;
    p.cfg.check_post()?;
    Ok(p.cfg)
}

struct Parser<'h> {
    host: &'h Host,
    cfg: Config,
    lines: usize,
    services: Option<Vec<String>>,
}

impl Parser<'_> {
    /// TCP service names and aliases from the host's `/etc/services` (`getservbyname`).
    fn services(&mut self) -> Vec<String> {
        if self.services.is_none() {
            let text = self
                .host
                .read_optional("/etc/services")
                .ok()
                .flatten()
                .unwrap_or_default();
            let mut names = Vec::new();
            for line in text.lines() {
                let line = line.split('#').next().unwrap_or("");
                let mut f = line.split_whitespace();
                let (Some(name), Some(port)) = (f.next(), f.next()) else {
                    continue;
                };
                if port.ends_with("/tcp") {
                    names.push(name.to_string());
                    names.extend(f.map(str::to_string));
                }
            }
            self.services = Some(names);
        }
        self.services.clone().unwrap_or_default()
    }

    /// Keep what sshd's post-read checks need from an active (global) line; sshd
    /// keeps the first value of each.
    fn record_post(&mut self, name: &str, fx: args::Effects, path: &str, line: u32) {
        let post = &mut self.cfg.post;
        let at = |v: String| (v, path.to_string(), line);
        match name {
            "authenticationmethods" if post.auth_methods.is_none() => {
                post.auth_methods = Some((fx.auth_methods, path.to_string(), line));
            }
            "authorizedkeyscommand" if post.keys_command.0.is_none() => {
                post.keys_command.0 = fx.command.map(at);
            }
            // sshd 9.2 tests the keys command's slot here too (a servconf.c slip).
            "authorizedprincipalscommand"
                if post.principals_command.0.is_none() && post.keys_command.0.is_none() =>
            {
                post.principals_command.0 = fx.command.map(at);
            }
            "authorizedkeyscommanduser" if post.keys_command.1.is_none() => {
                post.keys_command.1 = fx.command_user;
            }
            "authorizedprincipalscommanduser" if post.principals_command.1.is_none() => {
                post.principals_command.1 = fx.command_user;
            }
            _ => {}
        }
    }

    fn parse_text(
        &mut self,
        path: &str,
        text: &str,
        base: &[usize],
        depth: usize,
    ) -> Result<(), ParseError> {
        if text.contains('\0') {
            return Err(ParseError {
                path: path.to_string(),
                line: None,
                message: "contains NUL bytes (not a text file)".to_string(),
            });
        }
        let mut cur: Vec<usize> = base.to_vec();
        for (i, raw) in text.split('\n').enumerate() {
            self.lines += 1;
            if self.lines > MAX_TOTAL_LINES {
                return Err(ParseError {
                    path: path.to_string(),
                    line: Some(line_no(i)),
                    message: format!(
                        "more than {MAX_TOTAL_LINES} configuration lines through includes"
                    ),
                });
            }
            // load_server_config() strips leading blanks of every line.
            let line = raw.trim_start_matches([' ', '\t', '\r']);
            self.line(path, line_no(i), line, base, &mut cur, depth)
                .map_err(|e| match e {
                    LineError::Here(message) => ParseError {
                        path: path.to_string(),
                        line: Some(line_no(i)),
                        message,
                    },
                    LineError::Nested(inner) => inner,
                })?;
        }
        Ok(())
    }

    fn line(
        &mut self,
        path: &str,
        line_no: u32,
        line: &str,
        base: &[usize],
        cur: &mut Vec<usize>,
        depth: usize,
    ) -> Result<(), LineError> {
        if line.is_empty() {
            return Ok(());
        }
        let line = rtrim(line);
        let Some((mut keyword, mut rest)) = strdelim(line) else {
            return Ok(());
        };
        if keyword.is_empty() {
            match rest.and_then(strdelim) {
                Some((k, r)) => {
                    keyword = k;
                    rest = r;
                }
                None => return Ok(()),
            }
        }
        if keyword.is_empty() || keyword.starts_with('#') {
            return Ok(());
        }
        let rest = match rest {
            Some(r) if !r.is_empty() => r,
            _ => return Err(format!("no argument after keyword \"{keyword}\"").into()),
        };
        let row = keywords::lookup_row(&keyword)
            .ok_or_else(|| format!("Bad configuration option: {keyword}"))?;
        let args = argv_split(rest).ok_or_else(|| "invalid quotes".to_string())?;
        let inactive = cur.iter().any(|&b| !self.cfg.blocks[b].all);
        if inactive && !row.in_match {
            return Err(
                format!("Directive '{keyword}' is not allowed within a Match block").into(),
            );
        }
        match row.name {
            "match" => {
                let (attrs, all, leftover) = match_criteria(rest)?;
                if leftover.is_some_and(|l| !l.is_empty()) && !args.is_empty() {
                    return Err(format!("keyword {keyword} extra arguments at end of line").into());
                }
                let criteria = rest.split(" #").next().unwrap_or(rest).trim().to_string();
                self.cfg.blocks.push(MatchBlock {
                    criteria,
                    path: path.to_string(),
                    line: line_no,
                    all,
                    attrs,
                });
                *cur = base.to_vec();
                cur.push(self.cfg.blocks.len() - 1);
                Ok(())
            }
            "include" => self.include(&keyword, &args, cur, depth),
            _ => {
                let Some(kw) = row.kw else {
                    let services = self.services();
                    let service = |name: &str| services.iter().any(|s| s == name);
                    let resolves = |h: &str| resolves(h);
                    let fx = args::check(
                        row.arg,
                        &mut args::Line {
                            keyword: &keyword,
                            rest,
                            args: &args,
                            service: &service,
                            resolves: &resolves,
                            subsystems: &mut self.cfg.post.subsystems,
                        },
                    )?;
                    let global = cur.iter().all(|&b| self.cfg.blocks[b].all);
                    if global {
                        self.record_post(row.name, fx, path, line_no);
                    }
                    return Ok(());
                };
                let value = parse_value(kw, &keyword, &args)?;
                self.cfg.entries.push(Entry {
                    kw,
                    value,
                    path: path.to_string(),
                    line: line_no,
                    ctx: cur.clone(),
                });
                Ok(())
            }
        }
    }

    fn include(
        &mut self,
        keyword: &str,
        args: &[String],
        cur: &[usize],
        depth: usize,
    ) -> Result<(), LineError> {
        if args.is_empty() {
            return Err(format!("{keyword} missing filename argument").into());
        }
        for arg in args {
            if arg.is_empty() {
                return Err(format!("keyword {keyword} empty argument").into());
            }
            let pattern = if arg.starts_with('/') {
                arg.clone()
            } else if arg.starts_with('~') {
                // glob(3) without GLOB_TILDE: relative to sshd's working directory, `/`.
                format!("/{arg}")
            } else {
                format!("{SSHDIR}/{arg}")
            };
            let files = glob::glob(self.host, &pattern).map_err(|e| {
                LineError::Here(format!(
                    "{keyword} {arg}: {e}; sshd (as root) would read it, so its settings are unknown"
                ))
            })?;
            for file in files {
                if depth + 1 > MAX_INCLUDE_DEPTH {
                    return Err(format!(
                        "Include of {file} exceeds sshd's nesting limit of {MAX_INCLUDE_DEPTH} (include loop?)"
                    )
                    .into());
                }
                let text = if self
                    .host
                    .metadata(&file)
                    .map(|m| m.is_dir())
                    .unwrap_or(false)
                {
                    // fopen() succeeds on a directory and reading it yields nothing.
                    String::new()
                } else {
                    self.host.read_to_string(&file).map_err(|e| {
                        LineError::Here(format!("cannot read included file {file}: {}", e.source))
                    })?
                };
                self.cfg.files.push(file.clone());
                self.parse_text(&file, &text, cur, depth + 1)
                    .map_err(LineError::Nested)?;
            }
        }
        Ok(())
    }
}

/// What sshd's `getaddrinfo()` of a ListenAddress needs, judged without a lookup: IP
/// literals and `*`, or a well-formed host name (RFC 1123 labels). A scan makes no network
/// traffic, so a well-formed name that would not resolve at sshd's start is accepted: the
/// one case where hardline accepts what sshd may refuse (and then sshd does not listen at
/// all, which no rule calls a pass).
fn resolves(host: &str) -> bool {
    host == "*"
        || host.is_empty()
        || host.parse::<std::net::IpAddr>().is_ok()
        || (host.len() <= 253
            && host.trim_end_matches('.').split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            }))
}

/// An error on the current line, or one from an included file (reported where it is).
enum LineError {
    Here(String),
    Nested(ParseError),
}

impl From<String> for LineError {
    fn from(s: String) -> Self {
        LineError::Here(s)
    }
}

fn line_no(i: usize) -> u32 {
    u32::try_from(i + 1).unwrap_or(u32::MAX)
}

type Criteria = (Vec<(String, String)>, bool, Option<String>);

/// `match_cfg_line()` in syntax-check mode: the criteria, whether it is `Match all`,
/// and what was left unconsumed.
fn match_criteria(rest: &str) -> Result<Criteria, String> {
    let mut attrs = Vec::new();
    let mut cp: Option<String> = Some(rest.to_string());
    let mut count = 0;
    while let Some(c) = cp.clone() {
        let Some((attrib, next)) = strdelim(&c) else {
            cp = None;
            break;
        };
        let next = next.map(str::to_string);
        if attrib.is_empty() {
            cp = next;
            break;
        }
        cp = next;
        if attrib.starts_with('#') {
            cp = None;
            break;
        }
        count += 1;
        if attrib.eq_ignore_ascii_case("all") {
            let arg = cp.as_deref().and_then(strdelim);
            let (arg, after) = match arg {
                Some((a, n)) => (Some(a), n.map(str::to_string)),
                None => (None, None),
            };
            if count > 1
                || arg
                    .as_ref()
                    .is_some_and(|a| !a.is_empty() && !a.starts_with('#'))
            {
                return Err("'all' cannot be combined with other Match attributes".to_string());
            }
            let left = if arg.as_ref().is_some_and(|a| a.starts_with('#')) {
                None
            } else if arg.is_some() {
                after
            } else {
                None
            };
            return Ok((Vec::new(), true, left));
        }
        let arg = cp.as_deref().and_then(strdelim);
        let (arg, after) = match arg {
            Some((a, n)) => (a, n.map(str::to_string)),
            None => (String::new(), None),
        };
        cp = after;
        if arg.is_empty() || arg.starts_with('#') {
            return Err(format!("Missing Match criteria for {attrib}"));
        }
        let lower = attrib.to_ascii_lowercase();
        match lower.as_str() {
            "user" | "group" | "host" | "rdomain" => {}
            "address" | "localaddress" => {
                if !addr_list_valid(&arg) {
                    return Err(format!("Invalid Match {lower} argument '{arg}'"));
                }
            }
            "localport" => {
                if !port_valid(&arg) {
                    return Err(format!("Invalid LocalPort '{arg}' on Match line"));
                }
            }
            _ => return Err(format!("Unsupported Match attribute {attrib}")),
        }
        attrs.push((lower, arg));
    }
    if count == 0 {
        return Err("One or more attributes required for Match".to_string());
    }
    Ok((attrs, false, cp))
}

fn port_valid(s: &str) -> bool {
    match s.parse::<u32>() {
        Ok(p) => p <= 65535,
        // a2port() falls back to getservbyname(): accept service-like names.
        Err(_) => {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                && !s.chars().all(|c| c.is_ascii_digit())
        }
    }
}

/// `sscanf(arg, "%d:%d:%d")` as far as it converts.
fn scan_startups(arg: &str) -> Vec<i64> {
    let mut out = Vec::new();
    let mut rest = arg;
    for i in 0..3 {
        if i > 0 {
            match rest.strip_prefix(':') {
                Some(r) => rest = r,
                None => break,
            }
        }
        match c_int_prefix(rest) {
            Some((v, r)) if v >= i128::from(i32::MIN) && v <= i128::from(i32::MAX) => {
                out.push(i64::try_from(v).unwrap_or(0));
                rest = r;
            }
            _ => break,
        }
    }
    out
}

/// Parse and validate one modelled keyword's arguments as sshd does.
fn parse_value(kw: Kw, keyword: &str, args: &[String]) -> Result<Value, String> {
    let first = args.first();
    let missing = || format!("{keyword} missing argument");
    let nonempty = || match first {
        Some(a) if !a.is_empty() => Ok(a.clone()),
        _ => Err(missing()),
    };
    let value = match kw.kind() {
        Kind::Multi(table) => {
            let a = nonempty()?;
            let out = table
                .iter()
                .find(|(input, _)| input.eq_ignore_ascii_case(&a))
                .map(|(_, out)| *out)
                .ok_or_else(|| format!("unsupported option \"{a}\""))?;
            Value::Text(out.to_string())
        }
        Kind::Int => Value::Int(atoi(first).map_err(|e| format!("{keyword} integer value {e}"))?),
        Kind::Time => {
            let a = nonempty()?;
            let secs = convtime(&a).ok_or_else(|| "invalid time value".to_string())?;
            Value::Time(secs, a)
        }
        Kind::MaxStartups => {
            let a = nonempty()?;
            let invalid = || format!("Invalid {keyword} spec");
            match scan_startups(&a).as_slice() {
                [b, r, f] => {
                    if b > f || *r > 100 || *r < 1 || *f <= 0 || *b <= 0 {
                        return Err(invalid());
                    }
                    Value::Startups {
                        begin: *b,
                        rate: Some(*r),
                        full: *f,
                    }
                }
                [b] => {
                    if *b <= 0 {
                        return Err(invalid());
                    }
                    Value::Startups {
                        begin: *b,
                        rate: None,
                        full: *b,
                    }
                }
                _ => return Err(invalid()),
            }
        }
        Kind::Banner => {
            let a = nonempty()?;
            Value::Text(if a.eq_ignore_ascii_case("none") {
                "none".to_string()
            } else {
                a
            })
        }
        Kind::Algos(class) => {
            let a = nonempty()?;
            let names = a.strip_prefix(['+', '^']).unwrap_or(&a);
            if !a.starts_with('-') && !class.valid(names) {
                return Err(format!("Bad {keyword} list '{a}'"));
            }
            Value::Algos(a)
        }
        Kind::PermitUserEnv => {
            let a = nonempty()?;
            Value::Text(match a.as_str() {
                "yes" | "no" => a.clone(),
                // A pattern list enables the feature for matching variables. Keep it
                // distinguishable from a plain yes/no written in another case.
                _ if a.eq_ignore_ascii_case("yes") || a.eq_ignore_ascii_case("no") => {
                    format!("\"{a}\" (pattern list)")
                }
                _ => a.clone(),
            })
        }
        Kind::LogLevel => {
            let a = first.cloned().unwrap_or_default();
            let lvl =
                keywords::log_level(&a).ok_or_else(|| format!("unsupported log level '{a}'"))?;
            Value::Text(lvl.to_string())
        }
        Kind::PermitTunnel => {
            let a = nonempty()?;
            if !["no", "point-to-point", "ethernet", "yes"].contains(&a.as_str()) {
                return Err(format!("bad {keyword} argument {a}"));
            }
            Value::Text(a)
        }
    };
    if args.len() > 1 {
        return Err(format!("keyword {keyword} extra arguments at end of line"));
    }
    Ok(value)
}

/// Where an effective value comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// The value as `sshd -T` prints it (normalised).
    pub value: String,
    /// `(path, line)` of the line that set it; `None` for the built-in default.
    pub source: Option<(String, u32)>,
    /// The Match chain of that line (empty: global).
    pub ctx: Vec<usize>,
}

impl Config {
    fn global_ctx(&self, ctx: &[usize]) -> bool {
        ctx.iter().all(|&b| self.blocks[b].all)
    }

    /// The effective value for a connection; `matches` says whether a (non-`all`)
    /// Match block matches it. `|_| false` gives the global value (`sshd -T`).
    pub fn resolve(
        &self,
        kw: Kw,
        matches: &dyn Fn(&MatchBlock) -> bool,
    ) -> Result<Resolved, String> {
        if kw == Kw::MaxStartups {
            return Ok(self.max_startups());
        }
        let of = |e: &Entry| e.kw == kw;
        let chosen = if kw.match_effective() {
            // The per-connection pass (parse_server_match_config) overrides the global
            // pass with the first value from any matching Match block, `Match all` included.
            self.entries
                .iter()
                .filter(|e| of(e) && !e.ctx.is_empty())
                .find(|e| {
                    e.ctx
                        .iter()
                        .all(|&b| self.blocks[b].all || matches(&self.blocks[b]))
                })
                .or_else(|| self.entries.iter().find(|e| of(e) && e.ctx.is_empty()))
        } else {
            self.entries
                .iter()
                .find(|e| of(e) && self.global_ctx(&e.ctx))
        };
        match chosen {
            Some(e) => Ok(Resolved {
                value: display(kw, &e.value)
                    .map_err(|err| format!("{}:{}: {err}", e.path, e.line))?,
                source: Some((e.path.clone(), e.line)),
                ctx: e.ctx.clone(),
            }),
            None => Ok(Resolved {
                value: kw.default_value().to_string(),
                source: None,
                ctx: Vec::new(),
            }),
        }
    }

    /// MaxStartups: every global occurrence overwrites (the last one wins; a single
    /// number sets start and full and keeps an earlier rate).
    fn max_startups(&self) -> Resolved {
        let (mut b, mut r, mut f) = (None, None, None);
        let mut source = None;
        for e in &self.entries {
            if e.kw != Kw::MaxStartups || !self.global_ctx(&e.ctx) {
                continue;
            }
            if let Value::Startups { begin, rate, full } = e.value {
                b = Some(begin);
                f = Some(full);
                if rate.is_some() {
                    r = rate;
                }
                source = Some((e.path.clone(), e.line));
            }
        }
        Resolved {
            value: format!(
                "{}:{}:{}",
                b.unwrap_or(10),
                r.unwrap_or(30),
                f.unwrap_or(100)
            ),
            source,
            ctx: Vec::new(),
        }
    }

    /// Values set inside Match blocks that can take effect for some connection: the
    /// first occurrence per Match chain, unless an earlier `Match all` line (which
    /// applies to every connection) already set the keyword. Conservative: a value
    /// shadowed by an earlier, broader block is still listed.
    pub fn match_values(&self, kw: Kw) -> Vec<(Resolved, Result<(), String>)> {
        if !kw.match_effective() {
            return Vec::new();
        }
        let mut seen: Vec<&[usize]> = Vec::new();
        let mut out = Vec::new();
        for e in self
            .entries
            .iter()
            .filter(|e| e.kw == kw && !e.ctx.is_empty())
        {
            if self.global_ctx(&e.ctx) {
                // A `Match all` value: every later Match value is shadowed by it.
                break;
            }
            if seen.contains(&e.ctx.as_slice()) {
                continue;
            }
            seen.push(&e.ctx);
            let (value, ok) = match display(kw, &e.value) {
                Ok(v) => (v, Ok(())),
                Err(err) => (String::new(), Err(err)),
            };
            out.push((
                Resolved {
                    value,
                    source: Some((e.path.clone(), e.line)),
                    ctx: e.ctx.clone(),
                },
                ok,
            ));
        }
        out
    }

    /// Describe a Match chain: `Match User backup (/etc/ssh/sshd_config:40)`.
    pub fn describe_ctx(&self, ctx: &[usize]) -> String {
        let parts: Vec<String> = ctx
            .iter()
            .map(|&b| {
                let blk = &self.blocks[b];
                format!("Match {} ({}:{})", blk.criteria, blk.path, blk.line)
            })
            .collect();
        parts.join(" within ")
    }

    /// The checks sshd makes after reading everything (sshd.c `main`).
    fn check_post(&self) -> Result<(), ParseError> {
        for (name, (cmd, user)) in [
            ("AuthorizedKeysCommand", &self.post.keys_command),
            ("AuthorizedPrincipalsCommand", &self.post.principals_command),
        ] {
            if let Some((cmd, path, line)) = cmd {
                if user.is_none() && !cmd.eq_ignore_ascii_case("none") {
                    return Err(ParseError {
                        path: path.clone(),
                        line: Some(*line),
                        message: format!("{name} set without {name}User"),
                    });
                }
            }
        }
        if let Some((lists, path, line)) = &self.post.auth_methods {
            let enabled = |m: &str| -> bool {
                let kw = match m.split(':').next().unwrap_or("") {
                    "publickey" => Kw::PubkeyAuthentication,
                    "password" => Kw::PasswordAuthentication,
                    "keyboard-interactive" => Kw::KbdInteractiveAuthentication,
                    "hostbased" => Kw::HostbasedAuthentication,
                    "gssapi-with-mic" => Kw::GssapiAuthentication,
                    _ => return true,
                };
                self.resolve(kw, &|_| false).is_ok_and(|r| r.value == "yes")
            };
            let satisfiable = lists
                .iter()
                .any(|l| l == "any" || l.split(',').all(enabled));
            if !satisfiable {
                return Err(ParseError {
                    path: path.clone(),
                    line: Some(*line),
                    message: "AuthenticationMethods cannot be satisfied by enabled authentication methods".to_string(),
                });
            }
        }
        Ok(())
    }

    /// sshd assembles the global algorithm lists at start-up and exits when one is
    /// empty or uses a negated pattern.
    fn check_global_algorithms(&self) -> Result<(), ParseError> {
        for kw in Kw::ALL {
            if !matches!(kw.kind(), Kind::Algos(_)) {
                continue;
            }
            // The global pass assembles the first global line; the per-connection pass
            // (which `sshd -T` runs too) the first `Match all` line.
            let first_global = self
                .entries
                .iter()
                .find(|e| e.kw == kw && self.global_ctx(&e.ctx));
            let first_all = self.entries.iter().find(|e| {
                kw.match_effective() && e.kw == kw && !e.ctx.is_empty() && self.global_ctx(&e.ctx)
            });
            for e in first_global.into_iter().chain(first_all) {
                // A `-list` that removes everything is accepted by sshd (connections
                // then fail); it is reported by the rules on that keyword, not here.
                if matches!(&e.value, Value::Algos(spec) if spec.starts_with('-')) {
                    continue;
                }
                if let Err(msg) = display(kw, &e.value) {
                    return Err(ParseError {
                        path: e.path.clone(),
                        line: Some(e.line),
                        message: format!("{}: {msg}", kw.name()),
                    });
                }
            }
        }
        Ok(())
    }
}

/// The `sshd -T` form of a value.
fn display(kw: Kw, v: &Value) -> Result<String, String> {
    Ok(match v {
        Value::Text(t) => t.clone(),
        Value::Int(i) => i.to_string(),
        Value::Time(s, _) => s.to_string(),
        Value::Startups { begin, rate, full } => {
            format!("{begin}:{}:{full}", rate.unwrap_or(30))
        }
        Value::Algos(spec) => match kw.kind() {
            Kind::Algos(class) => algos::assemble(Some(spec), class)?,
            _ => spec.clone(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn startups() {
        assert_eq!(scan_startups("10:30:60"), vec![10, 30, 60]);
        assert_eq!(scan_startups("10"), vec![10]);
        assert_eq!(scan_startups("10:x"), vec![10]);
        assert_eq!(scan_startups("10:30"), vec![10, 30]);
        assert!(scan_startups("x").is_empty());
    }

    #[test]
    fn match_lines() {
        let (attrs, all, _) = match_criteria("User backup Address 10.0.0.0/8").unwrap();
        assert!(!all);
        assert_eq!(attrs.len(), 2);
        assert!(match_criteria("all").unwrap().1);
        assert!(match_criteria("All # comment").unwrap().1);
        assert!(match_criteria("all User x").is_err());
        assert!(match_criteria("User").is_err());
        assert!(match_criteria("Colour blue").is_err());
        assert!(match_criteria("Address 10.0.0.1/8").is_err());
        assert!(match_criteria("Address 10.0.0.0/8,,1.2.3.4").is_err());
        assert!(match_criteria("User=alice").is_ok());
    }
}

#[cfg(test)]
mod listen_tests {
    #[test]
    fn listen_address_names_are_judged_by_form_without_a_lookup() {
        for ok in [
            "*",
            "",
            "10.0.0.1",
            "::1",
            "sshd.internal.example",
            "host-1.",
            "a",
        ] {
            assert!(super::resolves(ok), "{ok:?}");
        }
        for bad in [
            "under_score",
            "-lead",
            "trail-.x",
            "a..b",
            "sp ace",
            "é.gov",
        ] {
            assert!(!super::resolves(bad), "{bad:?}");
        }
    }
}
