//! Differential tests: this module's effective values against the real `sshd -T`.
//!
//! A seeded generator writes random configurations into a temporary directory (every
//! modelled keyword, random case and `Keyword=value` forms, quotes, comments,
//! duplicates, absolute `Include`s of other generated files and of a glob, nested
//! includes, `Match User/Address/Host/all` blocks, algorithm modifiers, time formats,
//! and now and then an invalid value or an include loop). For each configuration the
//! global values (`sshd -T`) and the values for one connection per Match identity
//! (`sshd -T -C user=uK,host=hK.example,addr=10.K.0.5,...`) must equal ours, and sshd
//! must refuse exactly the configurations we report as errors.
//!
//! `SSHD_DIFF_CASES` sets the number of configurations (default 250),
//! `SSHD_DIFF_SEED` the seed.

use super::algos::{
    match_pattern_list, AlgoClass, ALL_CIPHERS, ALL_KEX, ALL_KEY, ALL_MACS, ALL_SIG,
};
use super::keywords::{Kind, Kw};
use super::parser::{self, MatchBlock, Parsed};
use crate::host::Host;
use crate::testutil::tool_available;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const SSHD: &str = "/usr/sbin/sshd";

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent as usize
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

fn recase(rng: &mut Rng, s: &str) -> String {
    match rng.below(4) {
        0 => s.to_ascii_lowercase(),
        1 => s.to_ascii_uppercase(),
        2 => s
            .chars()
            .map(|c| {
                if rng.chance(50) {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect(),
        _ => s.to_string(),
    }
}

fn algo_value(rng: &mut Rng, class: AlgoClass) -> String {
    let all: Vec<&str> = class.all().split(',').collect();
    let wild: &[&str] = match class {
        AlgoClass::Cipher => &["*cbc", "aes*", "*gcm*", "chacha*", "aes???-ctr", "3des*"],
        AlgoClass::Mac => &[
            "*sha1*",
            "umac*",
            "*-etm@openssh.com",
            "hmac-md5*",
            "hmac-sha2-???",
        ],
        AlgoClass::Kex => &["*sha1", "diffie-hellman-*", "sntrup*", "ecdh-*", "curve*"],
        AlgoClass::Key | AlgoClass::Sig => &[
            "ssh-rsa*",
            "*cert*",
            "ssh-ed25519*",
            "rsa-sha2-*",
            "sk-*",
            "ecdsa-sha2-nistp???",
        ],
    };
    let names = |rng: &mut Rng, n: usize| -> String {
        (0..n)
            .map(|_| *rng.pick(&all))
            .collect::<Vec<_>>()
            .join(",")
    };
    let n = 1 + rng.below(3);
    match rng.below(10) {
        0 | 1 => names(rng, n),
        2 | 3 => format!("+{}", names(rng, n)),
        4 | 5 => {
            let mut pats: Vec<String> = (0..n).map(|_| rng.pick(wild).to_string()).collect();
            if rng.chance(30) {
                pats.push(format!("!{}", rng.pick(&all)));
            }
            format!("-{}", pats.join(","))
        }
        6 => format!("^{}", names(rng, n)),
        7 => {
            if matches!(class, AlgoClass::Key | AlgoClass::Sig) {
                // Wildcards in plain lists are valid for key types.
                rng.pick(wild).to_string()
            } else {
                format!("-{}", rng.pick(&all))
            }
        }
        8 => {
            if rng.chance(20) && rng.chance(30) {
                "bogus-algorithm".to_string()
            } else {
                format!("{},{}", rng.pick(&all), rng.pick(&all))
            }
        }
        _ => {
            if matches!(class, AlgoClass::Key) && rng.chance(50) {
                format!("{},RSA", rng.pick(&all))
            } else {
                names(rng, 1)
            }
        }
    }
}

fn value_for(rng: &mut Rng, kw: Kw, may_fail: bool) -> String {
    let invalid = may_fail && rng.chance(4);
    match kw.kind() {
        Kind::Multi(table) => {
            if invalid {
                return "maybe".to_string();
            }
            let (input, _) = rng.pick(table);
            recase(rng, input)
        }
        Kind::Int => {
            if invalid {
                return rng.pick(&["-1", "x", "3x", ""]).to_string();
            }
            let n = rng.below(12);
            match rng.below(5) {
                0 => format!("+{n}"),
                1 => format!("00{n}"),
                _ => n.to_string(),
            }
        }
        Kind::Time => {
            if invalid {
                return rng.pick(&["5x", "m", "-5", "1h-3"]).to_string();
            }
            let forms = [
                format!("{}", rng.below(700)),
                format!("{}s", rng.below(700)),
                format!("{}m", rng.below(15)),
                format!("{}M", rng.below(15)),
                format!("{}h{}m", rng.below(3), rng.below(60)),
                format!("1h30m{}s", rng.below(60)),
                "0".to_string(),
                "1w".to_string(),
                "2d".to_string(),
            ];
            rng.pick(&forms).clone()
        }
        Kind::MaxStartups => {
            if invalid {
                return rng
                    .pick(&["5:200:10", "20:30:10", "0", "10:30", "x"])
                    .to_string();
            }
            let b = 1 + rng.below(20);
            if rng.chance(30) {
                b.to_string()
            } else {
                format!("{b}:{}:{}", 1 + rng.below(100), b + rng.below(100))
            }
        }
        Kind::Banner => rng
            .pick(&["none", "NONE", "/etc/issue.net", "/etc/ssh/banner"])
            .to_string(),
        Kind::Algos(class) => algo_value(rng, class),
        Kind::PermitUserEnv => rng
            .pick(&["yes", "no", "LANG,LC_*", "No", "YES"])
            .to_string(),
        Kind::LogLevel => {
            if invalid {
                return "LOUD".to_string();
            }
            let l = rng.pick(&[
                "QUIET", "SILENT", "FATAL", "ERROR", "INFO", "VERBOSE", "DEBUG", "DEBUG1",
                "DEBUG2", "DEBUG3",
            ]);
            recase(rng, l)
        }
        Kind::PermitTunnel => rng
            .pick(&[
                "no",
                "point-to-point",
                "ethernet",
                "yes",
                if invalid { "Yes" } else { "no" },
            ])
            .to_string(),
    }
}

/// One generated configuration: files and the identities its Match blocks use.
struct Case {
    main: PathBuf,
    files: Vec<(PathBuf, String)>,
}

struct Generator<'a> {
    rng: &'a mut Rng,
    dir: PathBuf,
    /// Whether this case may contain mistakes sshd rejects.
    may_fail: bool,
}

impl Generator<'_> {
    fn setting(&mut self, in_match: bool) -> String {
        let candidates: Vec<Kw> = if in_match && !(self.may_fail && self.rng.chance(5)) {
            Kw::ALL
                .iter()
                .copied()
                .filter(|k| k.match_effective())
                .collect()
        } else {
            Kw::ALL.to_vec()
        };
        let kw = *self.rng.pick(&candidates);
        let mut name = recase(self.rng, kw.name());
        if kw == Kw::KbdInteractiveAuthentication && self.rng.chance(30) {
            name = "ChallengeResponseAuthentication".to_string();
        }
        if kw == Kw::PubkeyAcceptedAlgorithms && self.rng.chance(30) {
            name = "PubkeyAcceptedKeyTypes".to_string();
        }
        let mut value = value_for(self.rng, kw, self.may_fail);
        if self.rng.chance(10) && !value.contains('"') {
            value = format!("\"{value}\"");
        }
        let sep = *self.rng.pick(&[" ", "=", " = ", "\t", "  "]);
        let lead = *self.rng.pick(&["", "", "  ", "\t"]);
        let tail = *self.rng.pick(&["", "", "", " # comment", "  "]);
        format!("{lead}{name}{sep}{value}{tail}")
    }

    fn match_line(&mut self) -> String {
        let k = 1 + self.rng.below(3);
        let crit = match self.rng.below(9) {
            0 => format!("User u{k}"),
            1 => format!("Address 10.{k}.0.0/16"),
            2 => format!("User u{k} Address 10.{k}.0.0/16"),
            3 => format!("Host h{k}.example"),
            4 => format!("User=u{k}"),
            5 => "all".to_string(),
            6 => "User u*,!u2".to_string(),
            7 => "User \"u*\"".to_string(),
            _ => format!("user u{k}"),
        };
        format!("{} {crit}", recase(self.rng, "Match"))
    }

    /// Body of a file. `global_incs` may only be included outside Match blocks (they
    /// hold global-only keywords), `safe_incs` anywhere. `start_in_match`: the file may
    /// itself be included inside a Match block, so its top part avoids global-only keywords.
    fn body(
        &mut self,
        global_incs: &[PathBuf],
        safe_incs: &[PathBuf],
        glob_ok: bool,
        me: Option<&Path>,
        start_in_match: bool,
    ) -> String {
        let mut out = String::new();
        let mut in_match = start_in_match;
        let n = 2 + self.rng.below(12);
        for _ in 0..n {
            let r = self.rng.below(100);
            let incs: Vec<PathBuf> = if in_match {
                safe_incs.to_vec()
            } else {
                global_incs.iter().chain(safe_incs).cloned().collect()
            };
            let line = if r < 55 {
                self.setting(in_match)
            } else if r < 63 {
                in_match = true;
                self.match_line()
            } else if r < 72 && !incs.is_empty() {
                let f = self.rng.pick(&incs).display().to_string();
                format!("Include {f}")
            } else if r < 76 && (glob_ok || self.may_fail) {
                format!("Include {}/d/*.conf", self.dir.display())
            } else if r < 78 {
                format!(
                    "Include {}/nope-*.conf {}/missing.conf",
                    self.dir.display(),
                    self.dir.display()
                )
            } else if r < 80 {
                match me {
                    Some(me) if self.may_fail && self.rng.chance(30) => {
                        format!("Include {}", me.display())
                    }
                    _ => "# no loop".to_string(),
                }
            } else if r < 86 {
                "# a comment line".to_string()
            } else if r < 90 {
                String::new()
            } else if r < 93 {
                if in_match {
                    "AcceptEnv LANG LC_*".to_string()
                } else {
                    self.rng
                        .pick(&[
                            "AcceptEnv LANG LC_*",
                            "PrintMotd no",
                            "UseLogin no",
                            "Protocol 2",
                        ])
                        .to_string()
                }
            } else if r < 94 && self.may_fail && self.rng.chance(50) {
                "NoSuchKeyword yes".to_string()
            } else {
                self.setting(in_match)
            };
            out.push_str(&line);
            out.push('\n');
        }
        out
    }

    fn case(&mut self) -> Case {
        let main = self.dir.join("main.conf");
        let incs: Vec<PathBuf> = (0..4)
            .map(|i| self.dir.join(format!("inc{i}.conf")))
            .collect();
        let mut files = Vec::new();
        // inc0, inc1: global files (only included outside Match); inc2, inc3: Match-safe.
        for (i, f) in incs.iter().enumerate() {
            let later = &incs[i + 1..];
            let global: Vec<PathBuf> = later
                .iter()
                .filter(|p| p.ends_with("inc1.conf"))
                .cloned()
                .collect();
            let safe: Vec<PathBuf> = later
                .iter()
                .filter(|p| p.ends_with("inc2.conf") || p.ends_with("inc3.conf"))
                .cloned()
                .collect();
            let body = self.body(&global, &safe, true, Some(f), i >= 2);
            files.push((f.clone(), body));
        }
        for name in [
            "10-a.conf",
            "20-b.conf",
            "9-c.conf",
            ".hidden.conf",
            "x.txt",
        ] {
            let me = self.dir.join("d").join(name);
            let body = self.body(&[], &[], false, Some(&me), true);
            files.push((me, body));
        }
        let body = self.body(&incs[..2], &incs[2..], true, Some(&main), false);
        files.push((main.clone(), body));
        Case { main, files }
    }
}

fn sshd_t(
    main: &Path,
    hostkey: &Path,
    conn: Option<&str>,
) -> Result<HashMap<String, String>, String> {
    let mut cmd = Command::new(SSHD);
    cmd.arg("-T").arg("-f").arg(main).arg("-h").arg(hostkey);
    if let Some(c) = conn {
        cmd.arg("-C").arg(c);
    }
    let out = cmd.output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let mut map = HashMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some((k, v)) = line.split_once(' ') {
            map.entry(k.to_string()).or_insert_with(|| v.to_string());
        }
    }
    Ok(map)
}

/// Our value in `sshd -T`'s spelling.
fn as_sshd_prints(kw: Kw, v: &str) -> String {
    if kw == Kw::PermitUserEnvironment {
        if let Some(inner) = v.strip_suffix(" (pattern list)") {
            return inner.trim_matches('"').to_string();
        }
    }
    v.to_string()
}

fn sshd_value(kw: Kw, v: &str) -> String {
    if kw == Kw::PermitRootLogin && v == "without-password" {
        return "prohibit-password".to_string();
    }
    if kw == Kw::LogLevel && v == "SILENT" {
        return "QUIET".to_string();
    }
    v.to_string()
}

/// Which test identity K a Match block matches (generator's criteria only).
fn block_matches(b: &MatchBlock, k: usize) -> bool {
    b.attrs.iter().all(|(attr, arg)| match attr.as_str() {
        "user" => match_pattern_list(&format!("u{k}"), arg) == 1,
        "address" => arg == &format!("10.{k}.0.0/16"),
        "host" => arg == &format!("h{k}.example"),
        _ => false,
    })
}

fn dump(case: &Case) -> String {
    let mut s = String::new();
    for (p, body) in &case.files {
        let _ = writeln!(s, "==> {} <==\n{body}", p.display());
    }
    s
}

fn sanity_tables() {
    // The generator draws from these; keep them non-empty.
    for t in [ALL_CIPHERS, ALL_MACS, ALL_KEX, ALL_KEY, ALL_SIG] {
        assert!(t.split(',').count() > 3);
    }
}

#[test]
fn differential_against_sshd_t() {
    if !tool_available(SSHD) {
        return;
    }
    sanity_tables();
    std::fs::create_dir_all("/run/sshd").ok();
    let tmp = tempfile::tempdir().unwrap();
    let hostkey = tmp.path().join("hk");
    let st = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", ""])
        .arg("-f")
        .arg(&hostkey)
        .status()
        .expect("ssh-keygen");
    assert!(st.success());
    let cases: usize = std::env::var("SSHD_DIFF_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(250);
    let seed: u64 = std::env::var("SSHD_DIFF_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_55d0);
    let mut rng = Rng(seed | 1);
    let host = Host::new("/");
    let (mut errors, mut compared) = (0, 0);
    for n in 0..cases {
        let dir = tmp.path().join(format!("c{n}"));
        std::fs::create_dir_all(dir.join("d")).unwrap();
        let may_fail = rng.chance(25);
        let case = Generator {
            rng: &mut rng,
            dir: dir.clone(),
            may_fail,
        }
        .case();
        for (p, body) in &case.files {
            std::fs::write(p, body).unwrap();
        }
        let main = case.main.to_str().unwrap();
        let ours = parser::parse(&host, main);
        let theirs = sshd_t(&case.main, &hostkey, None);
        let cfg = match (&ours, &theirs) {
            (Parsed::Ok(cfg), Ok(_)) => cfg,
            (Parsed::Failed(e), Err(_)) => {
                if std::env::var_os("SSHD_DIFF_VERBOSE").is_some() {
                    eprintln!("case {n} (may_fail {may_fail}): {}", e.message);
                }
                errors += 1;
                continue;
            }
            (ours, theirs) => panic!(
                "case {n}: we say {ours:?}, sshd says {:?}\n{}",
                theirs.as_ref().map(|_| "ok"),
                dump(&case)
            ),
        };
        let Ok(global) = theirs else { unreachable!() };
        let mut idents: Vec<Option<usize>> = vec![None];
        for k in 1..=3 {
            if cfg.blocks.iter().any(|b| !b.all && block_matches(b, k)) {
                idents.push(Some(k));
            }
        }
        for ident in idents {
            let sshd_values = match ident {
                None => global.clone(),
                Some(k) => {
                    let spec = format!(
                        "user=u{k},host=h{k}.example,addr=10.{k}.0.5,laddr=127.0.0.1,lport=22"
                    );
                    match sshd_t(&case.main, &hostkey, Some(&spec)) {
                        Ok(v) => v,
                        Err(e) => {
                            // sshd refuses a Match value for this connection: one of ours must too.
                            let refused = Kw::ALL
                                .iter()
                                .any(|&kw| cfg.resolve(kw, &|b| block_matches(b, k)).is_err());
                            assert!(
                                refused,
                                "case {n} conn {k}: sshd failed ({e}) but we did not\n{}",
                                dump(&case)
                            );
                            continue;
                        }
                    }
                }
            };
            for kw in Kw::ALL {
                let name = kw.name().to_ascii_lowercase();
                let Some(theirs) = sshd_values.get(&name) else {
                    panic!("sshd -T does not print {name}");
                };
                let ours = match ident {
                    None => cfg.resolve(kw, &|_| false),
                    Some(k) => cfg.resolve(kw, &|b| block_matches(b, k)),
                };
                let ours = match ours {
                    Ok(v) => v,
                    // `-list` removing everything: we report an error, sshd -T prints
                    // the default it re-assembles from the empty list.
                    Err(e) if e.contains("removes every algorithm") => {
                        assert_eq!(theirs, kw.default_value(), "case {n}: {name}");
                        continue;
                    }
                    Err(e) => panic!("case {n}: {name}: {e}\n{}", dump(&case)),
                };
                assert_eq!(
                    as_sshd_prints(kw, &ours.value),
                    sshd_value(kw, theirs),
                    "case {n}, connection {ident:?}, keyword {name} (ours from {:?})\n{}",
                    ours.source,
                    dump(&case)
                );
                compared += 1;
            }
        }
    }
    eprintln!("sshd differential: {cases} configurations, {errors} rejected by both, {compared} values compared");
    assert!(
        errors < cases / 2,
        "too many invalid configurations to be a useful test"
    );
}

/// Arguments tried on every keyword: valid and invalid forms of every argument kind
/// sshd 9.2 has (flags, multistate words, integers, times, ports, addresses, sizes,
/// facilities, method lists, subsystems, DSCP values, masks, permit specs, timeouts,
/// hashes, environment, commands, algorithm lists), plus missing and extra arguments.
const ARG_POOL: &[&str] = &[
    "yes",
    "no",
    "YES",
    "maybe",
    "yes no",
    "\"\"",
    "0",
    "1",
    "22",
    "+4",
    "-1",
    "x",
    "3x",
    "2147483648",
    "30",
    "1h30m",
    "2w",
    "5x",
    "none",
    "NONE",
    "none x",
    "any",
    "any x",
    "default",
    "1G 1h",
    "1.5G none",
    "1G none x",
    "1G 5x",
    "lots",
    "10",
    "ssh",
    "abc",
    "65536",
    "[::1]:22",
    "[::1]x",
    "::1",
    "10.0.0.1:2222",
    "10.0.0.1:",
    "10.0.0.1/8",
    "10.0.0.1 rdomain x",
    "10.0.0.1 foo",
    "local7",
    "LOCAL9",
    "AUTH",
    "publickey,password",
    "publickey,foo",
    "publickey,,password",
    "any publickey",
    "hostbased",
    "sftp /usr/lib/openssh/sftp-server",
    "sftp",
    "af11 cs1",
    "af11 cs1 ef",
    "0x10",
    "256",
    "0777",
    "0777x",
    "9",
    "24:64",
    "24:x",
    "33",
    "32:129",
    "host:80",
    "host:*",
    "host",
    "80 host:22",
    "session=5m",
    "session=5m none",
    "=5",
    "x=5q",
    "md5",
    "sha256",
    "md4",
    "inet6",
    "ipv6",
    "u@10.0.0.0/8",
    "u@10.0.0.1/8",
    "A=B",
    "A",
    "/bin/true",
    "bin/true",
    "/bin/true %u %k",
    "a b",
    "10:30:60",
    "5:200:10",
    "aes128-ctr",
    "+aes128-cbc",
    "-*cbc",
    "bogus-algorithm",
    "ssh-ed25519",
    "hmac-sha2-256",
    "curve25519-sha256",
    "INFO",
    "LOUD",
    "point-to-point",
    "Yes",
    "prohibit-password",
    "delayed",
    "local",
    "clientspecified",
    "shosts-only",
    "touch-required",
    "gss-gex-sha1-",
    "+gss-gex-sha1-",
    "LANG LC_*",
    "u1 !u2",
    "/etc/issue.net # comment",
];

/// Multi-line cases that depend on more than one line.
const MULTI_LINE: &[&str] = &[
    "Subsystem sftp /usr/lib/openssh/sftp-server\nSubsystem sftp /bin/true\n",
    "Subsystem sftp /usr/lib/openssh/sftp-server\nSubsystem other /bin/true\n",
    "AuthorizedKeysCommand /bin/true\nAuthorizedKeysCommandUser nobody\n",
    "AuthorizedKeysCommandUser nobody\nAuthorizedKeysCommand /bin/true\n",
    "AuthorizedPrincipalsCommand /bin/true\n",
    "AuthenticationMethods hostbased\nHostbasedAuthentication yes\n",
    "AuthenticationMethods password\nPasswordAuthentication no\n",
    "AuthenticationMethods password publickey\nPasswordAuthentication no\n",
    "PasswordAuthentication no\nMatch User x\nAuthenticationMethods password\n",
    "Match User x\nPort 22\n",
    "Match User x\nRekeyLimit lots\n",
    "Match User x\nX11DisplayOffset -1\n",
    "Match all\nAuthenticationMethods gssapi-with-mic\n",
];

/// Cases where hardline is known to disagree with sshd (each one a false error, never
/// a false pass): Debian's sshd accepts GSSAPI key-exchange names in KexAlgorithms,
/// which the algorithm model does not know.
const KNOWN_DIFFERENCES: &[&str] = &["kexalgorithms +gss-gex-sha1-\n"];

fn sshd_accepts(file: &Path, hostkey: &Path) -> (bool, String) {
    let out = Command::new(SSHD)
        .arg("-t")
        .arg("-f")
        .arg(file)
        .arg("-h")
        .arg(hostkey)
        .output()
        .expect("run sshd -t");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every keyword in the table with every argument of [`ARG_POOL`], at top level and
/// inside a `Match` block: hardline refuses exactly what `sshd -t -f` refuses.
/// `SSHD_ARGS_VERBOSE` prints each case.
#[test]
fn every_keyword_argument_against_sshd_t() {
    if !tool_available(SSHD) {
        return;
    }
    std::fs::create_dir_all("/run/sshd").ok();
    let tmp = tempfile::tempdir().unwrap();
    let hostkey = tmp.path().join("hk");
    let st = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", ""])
        .arg("-f")
        .arg(&hostkey)
        .status()
        .expect("ssh-keygen");
    assert!(st.success());
    let host = Host::new("/");
    let file = tmp.path().join("t.conf");
    let mut texts: Vec<String> = MULTI_LINE.iter().map(|s| s.to_string()).collect();
    for row in super::keywords::KEYWORDS {
        if row.name == "include" || row.name == "match" {
            continue;
        }
        for arg in ARG_POOL {
            // A ListenAddress with a host name makes `sshd -t` resolve it (DNS, off
            // loopback); hardline judges names by their form only (parser::resolves).
            if row.name == "listenaddress"
                && !arg.starts_with('[')
                && arg
                    .split([' ', ':'])
                    .next()
                    .is_some_and(|h| h.bytes().any(|b| b.is_ascii_alphabetic()))
            {
                continue;
            }
            texts.push(format!("{} {arg}\n", row.name));
            texts.push(format!("Match User nobody\n{} {arg}\n", row.name));
        }
    }
    let (mut agree, mut refused, mut known) = (0, 0, 0);
    let mut mismatches = Vec::new();
    for text in &texts {
        std::fs::write(&file, text).unwrap();
        let (theirs, why) = sshd_accepts(&file, &hostkey);
        let ours = parser::parse(&host, file.to_str().unwrap());
        let ours_ok = matches!(ours, Parsed::Ok(_));
        if std::env::var_os("SSHD_ARGS_VERBOSE").is_some() {
            eprintln!("{text:?}: sshd {theirs}, ours {ours_ok}");
        }
        if KNOWN_DIFFERENCES.contains(&text.as_str()) {
            known += 1;
            continue;
        }
        if ours_ok == theirs {
            agree += 1;
            refused += usize::from(!theirs);
        } else {
            mismatches.push(format!(
                "{text:?}: sshd {} ({}), we say {ours:?}",
                if theirs { "accepts" } else { "refuses" },
                why.trim()
            ));
        }
    }
    eprintln!(
        "sshd argument differential: {} cases, {agree} agree ({refused} refused by both), {known} known differences, {} differ",
        texts.len(),
        mismatches.len()
    );
    assert!(
        mismatches.is_empty(),
        "{} of {} cases differ:\n{}",
        mismatches.len(),
        texts.len(),
        mismatches.join("\n")
    );
}
