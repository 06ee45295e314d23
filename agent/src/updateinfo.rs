//! RPM security advisories from the repository metadata that dnf/yum keep on disk
//! (`updateinfo`), for `patch.security_updates` on RHEL-family hosts.
//!
//! Nothing is downloaded and dnf is never run: only the cache under the scan root is read.
//! - **Caches**: `/var/cache/dnf/<repoid>-<hash>/repodata/repomd.xml` (dnf 4: RHEL/Alma/Rocky
//!   8–9, Fedora), `/var/cache/libdnf5/<repoid>-<hash>/repodata/repomd.xml` (dnf5: Fedora
//!   41+), `/var/cache/yum/<arch>/<releasever>/<repo>/repomd.xml` (yum: RHEL/CentOS 7).
//! - **repomd.xml** names the data files: `<data type="updateinfo">` gives `<location href>`,
//!   `<checksum type>` (of the file as stored) and `<timestamp>` (when the repository
//!   generated it; used as the metadata's date). dnf keeps the file at `<repo dir>/<href>`,
//!   yum at `<repo dir>/<basename of href>`; both are tried.
//! - The file is checked against the repomd checksum (sha1/sha224/sha256/sha384/sha512
//!   through aws-lc-rs), then decompressed by its suffix: `.gz` (flate2), `.xz`
//!   (lzma-rust2), `.zst` (ruzstd), `.bz2` (bzip2 on libbz2-rs-sys), or plain `.xml`. All
//!   decoders are pure Rust. zchunk (`updateinfo_zck`, Fedora's dnf default) is **not**
//!   read: it is an error saying so.
//! - **updateinfo.xml** (createrepo_c / libdnf format) is read with a streaming parser
//!   (quick-xml): `<update type="security">` elements, their `<id>`, `<severity>`,
//!   `<issued date>`, CVE `<reference>`s and `<pkglist>` packages (`name epoch version
//!   release arch`). Other types (bugfix, enhancement) are skipped.
//!
//! Every failure — an unreadable cache directory, a repomd.xml naming an updateinfo file that
//! is absent, a checksum mismatch, a corrupt compressed stream, malformed XML — is an error
//! naming the file and the reason, never a repository silently left out.

use crate::host::Host;
use crate::pkgdb::DbError;
use quick_xml::events::{BytesStart, Event};
use std::collections::HashMap;
use std::io::{BufRead, Read};
use std::rc::Rc;

/// Where dnf 4 keeps its metadata cache.
pub const DNF_CACHE: &str = "/var/cache/dnf";
/// Where dnf5 keeps its metadata cache.
pub const DNF5_CACHE: &str = "/var/cache/libdnf5";
/// Where yum (RHEL/CentOS 7) keeps its metadata cache.
pub const YUM_CACHE: &str = "/var/cache/yum";

/// Decompressed updateinfo larger than this is refused (a bomb, not metadata: RHEL 9
/// AppStream's is about 60 MiB).
const MAX_XML: u64 = 1 << 30;

/// Severity of an advisory, normalised over Red Hat's (`Low`…`Critical`) and Fedora's
/// (`Low`, `Medium`, `High`, `Urgent`) vocabularies.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Low.
    Low,
    /// Moderate (Fedora: Medium).
    Moderate,
    /// Important (Fedora: High).
    Important,
    /// Critical (Fedora: Urgent).
    Critical,
}

impl Severity {
    /// The severity named by an updateinfo `<severity>`; `None` when absent or unknown
    /// (`None`, `Unspecified`).
    pub fn parse(s: &str) -> Option<Severity> {
        match s.trim().to_ascii_lowercase().as_str() {
            "low" => Some(Severity::Low),
            "moderate" | "medium" => Some(Severity::Moderate),
            "important" | "high" => Some(Severity::Important),
            "critical" | "urgent" => Some(Severity::Critical),
            _ => None,
        }
    }
}

/// One package version an advisory fixes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixed {
    /// Index into [`UpdateInfo::advisories`].
    pub advisory: usize,
    /// Architecture (`x86_64`, `noarch`).
    pub arch: String,
    /// `[epoch:]version-release`, epoch omitted when 0 (as the rpmdb reader prints it).
    pub evr: String,
}

/// One security advisory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advisory {
    /// `RHSA-2024:1234`, `ALSA-2024:1234`, `RLSA-2024:1234`, `FEDORA-2024-…`.
    pub id: String,
    /// The `<severity>` text as written (`Important`), empty when absent.
    pub severity_text: String,
    /// Normalised severity, `None` when absent or unknown.
    pub severity: Option<Severity>,
    /// Index into [`UpdateInfo::repos`].
    pub repo: usize,
    /// Line of the `<update>` element in the decompressed updateinfo.xml.
    pub line: u32,
}

/// One repository whose updateinfo was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repo {
    /// Repository id (`baseos`, `rhel-9-for-x86_64-appstream-rpms`).
    pub id: String,
    /// Host path of its repomd.xml.
    pub repomd: String,
    /// Host path of the updateinfo file read.
    pub updateinfo: String,
    /// When the repository generated the updateinfo (repomd `<timestamp>`, Unix seconds).
    pub timestamp: Option<i64>,
}

/// The security advisories of every cached repository.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateInfo {
    /// Cache roots that exist on the host (`/var/cache/dnf`, …).
    pub caches: Vec<String>,
    /// Repositories found (repomd.xml) that publish no updateinfo: their repomd paths.
    pub without_updateinfo: Vec<String>,
    /// Repositories whose updateinfo was read.
    pub repos: Vec<Repo>,
    /// Security advisories.
    pub advisories: Vec<Advisory>,
    /// Package name → versions that security advisories fix.
    pub fixed: HashMap<String, Vec<Fixed>>,
}

/// The host's cached RPM security advisories, read once per scan.
pub fn security_advisories(host: &Host) -> Rc<Result<UpdateInfo, DbError>> {
    host.cached("updateinfo:security", || load(host))
}

fn read_dir(host: &Host, path: &str) -> Result<Vec<crate::host::DirEntry>, DbError> {
    host.read_dir_sorted(path).map_err(|e| {
        DbError::new(
            path,
            None,
            format!("cannot read the directory: {}", e.source),
        )
    })
}

fn is_dir(host: &Host, path: &str) -> bool {
    host.metadata(path).map(|m| m.is_dir()).unwrap_or(false)
}

/// Whether a host path exists: `Ok(false)` only when it is truly absent; a directory on
/// the way that cannot be searched (permissions) is an error, never "absent".
fn present(host: &Host, path: &str) -> Result<bool, DbError> {
    match host.metadata(path) {
        Ok(_) => Ok(true),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            Ok(false)
        }
        Err(e) => Err(DbError::new(path, None, format!("cannot read: {e}"))),
    }
}

fn load(host: &Host) -> Result<UpdateInfo, DbError> {
    let mut out = UpdateInfo::default();
    // (repo id, repo dir, repomd path)
    let mut repos: Vec<(String, String, String)> = Vec::new();
    for cache in [DNF_CACHE, DNF5_CACHE] {
        if !present(host, cache)? {
            continue;
        }
        out.caches.push(cache.to_string());
        for e in read_dir(host, cache)? {
            let repomd = format!("{}/repodata/repomd.xml", e.host_path);
            if is_dir(host, &e.host_path) && present(host, &repomd)? {
                repos.push((dnf_repo_id(&e.name), e.host_path.clone(), repomd));
            }
        }
    }
    if present(host, YUM_CACHE)? {
        out.caches.push(YUM_CACHE.to_string());
        for arch in read_dir(host, YUM_CACHE)? {
            if !is_dir(host, &arch.host_path) {
                continue;
            }
            for rel in read_dir(host, &arch.host_path)? {
                if !is_dir(host, &rel.host_path) {
                    continue;
                }
                for repo in read_dir(host, &rel.host_path)? {
                    let repomd = format!("{}/repomd.xml", repo.host_path);
                    if is_dir(host, &repo.host_path) && present(host, &repomd)? {
                        repos.push((repo.name.clone(), repo.host_path.clone(), repomd));
                    }
                }
            }
        }
    }
    for (id, dir, repomd) in repos {
        let text = host
            .read_to_string(&repomd)
            .map_err(|e| DbError::new(&repomd, None, e.source.to_string()))?;
        let data = parse_repomd(&text).map_err(|(line, r)| DbError::new(&repomd, line, r))?;
        let ui = data.iter().find(|d| d.kind == "updateinfo");
        let located = ui.and_then(|d| locate(host, &dir, &d.href));
        let (Some(ui), Some(path)) = (ui, located) else {
            // Fedora's dnf (zchunk on by default) caches only `updateinfo_zck`.
            if let Some(zck) = data
                .iter()
                .find(|d| d.kind == "updateinfo_zck" && locate(host, &dir, &d.href).is_some())
            {
                return Err(DbError::new(
                    &repomd,
                    None,
                    format!(
                        "this repository's updateinfo is cached only as zchunk ({}), which hardline \
                         does not read; set zchunk=False in /etc/dnf/dnf.conf and run `dnf makecache`",
                        zck.href
                    ),
                ));
            }
            match ui {
                None => {
                    out.without_updateinfo.push(repomd);
                    continue;
                }
                Some(ui) => {
                    return Err(DbError::new(
                        &repomd,
                        None,
                        format!(
                            "names updateinfo {} but the file is not in the cache ({dir}); run \
                             `dnf makecache` (and check that optional_metadata_types in \
                             /etc/dnf/dnf.conf does not leave updateinfo out)",
                            ui.href
                        ),
                    ))
                }
            }
        };
        let bytes = host
            .read_bytes(&path)
            .map_err(|e| DbError::new(&path, None, e.source.to_string()))?;
        verify_checksum(&bytes, &ui.checksum_type, &ui.checksum)
            .map_err(|r| DbError::new(&path, None, r))?;
        let repo = out.repos.len();
        out.repos.push(Repo {
            id,
            repomd: repomd.clone(),
            updateinfo: path.clone(),
            timestamp: ui.timestamp,
        });
        let reader = decoder(&path, &bytes).map_err(|r| DbError::new(&path, None, r))?;
        parse_updateinfo(reader, repo, &mut out)
            .map_err(|(line, r)| DbError::new(&path, line, r))?;
    }
    Ok(out)
}

/// `baseos-1a2b3c4d5e6f7a8b` → `baseos` (dnf appends a hash of the repository URL).
fn dnf_repo_id(dir: &str) -> String {
    match dir.rsplit_once('-') {
        Some((id, h))
            if !id.is_empty() && h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            id.to_string()
        }
        _ => dir.to_string(),
    }
}

/// The cached data file for `href`: dnf keeps `<dir>/<href>`, yum `<dir>/<basename>`.
fn locate(host: &Host, dir: &str, href: &str) -> Option<String> {
    let href = href.trim_start_matches('/');
    if href.split('/').any(|c| c == "..") {
        return None;
    }
    let base = href.rsplit('/').next().unwrap_or(href);
    [format!("{dir}/{href}"), format!("{dir}/{base}")]
        .into_iter()
        .find(|p| host.metadata(p).map(|m| m.is_file()).unwrap_or(false))
}

fn verify_checksum(bytes: &[u8], kind: &str, want: &str) -> Result<(), String> {
    use aws_lc_rs::digest;
    let alg = match kind {
        "sha" | "sha1" => &digest::SHA1_FOR_LEGACY_USE_ONLY,
        "sha224" => &digest::SHA224,
        "sha256" => &digest::SHA256,
        "sha384" => &digest::SHA384,
        "sha512" => &digest::SHA512,
        "" => return Err("repomd.xml gives no checksum for this file".to_string()),
        other => {
            return Err(format!(
                "repomd.xml gives a {other} checksum, which hardline does not verify"
            ))
        }
    };
    let got: String = digest::digest(alg, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if got.eq_ignore_ascii_case(want.trim()) {
        Ok(())
    } else {
        Err(format!(
            "{kind} checksum mismatch: the file has {got}, repomd.xml says {} (truncated or replaced; run `dnf makecache`)",
            want.trim()
        ))
    }
}

/// A streaming decoder chosen by file suffix (plain `.xml` is read as is): updateinfo is
/// parsed as it is decompressed, so the decompressed text (tens of MiB for RHEL 9
/// AppStream) is never held in memory.
fn decoder<'a>(path: &str, bytes: &'a [u8]) -> Result<Counting<Box<dyn Read + 'a>>, String> {
    let codec = path.rsplit('.').next().unwrap_or("").to_string();
    let inner: Box<dyn Read + 'a> = match codec.as_str() {
        "xml" => Box::new(bytes),
        "gz" => Box::new(flate2::read::MultiGzDecoder::new(bytes)),
        "xz" => Box::new(lzma_rust2::XzReader::new(bytes, true)),
        "bz2" => Box::new(bzip2::read::MultiBzDecoder::new(bytes)),
        "zst" => Box::new(
            ruzstd::decoding::StreamingDecoder::new(bytes)
                .map_err(|e| format!("cannot decompress zst: {e}"))?,
        ),
        "zck" => {
            return Err(
                "zchunk metadata is not read; set zchunk=False in /etc/dnf/dnf.conf and run `dnf makecache`"
                    .to_string(),
            )
        }
        other => return Err(format!("unknown compression .{other}")),
    };
    Ok(Counting {
        inner: std::io::BufReader::with_capacity(64 * 1024, inner),
        codec,
        newlines: 0,
        total: 0,
    })
}

/// A buffered reader that counts the newlines and bytes consumed (quick-xml consumes exactly
/// the bytes of each event, so the count before an event gives its line), refuses more than
/// [`MAX_XML`] bytes and names the codec when the decoder fails.
struct Counting<R> {
    inner: std::io::BufReader<R>,
    codec: String,
    newlines: u64,
    total: u64,
}

impl<R: Read> Counting<R> {
    fn line(&self) -> u32 {
        u32::try_from(self.newlines + 1).unwrap_or(u32::MAX)
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = {
            let buf = self.fill_buf()?;
            let n = buf.len().min(out.len());
            out[..n].copy_from_slice(&buf[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.total > MAX_XML {
            return Err(std::io::Error::other(format!(
                "decompresses to more than {} MiB",
                MAX_XML >> 20
            )));
        }
        let codec = &self.codec;
        self.inner
            .fill_buf()
            .map_err(|e| std::io::Error::other(format!("cannot decompress {codec}: {e}")))
    }

    fn consume(&mut self, n: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let n = n.min(buf.len());
            self.newlines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        }
        self.total += n as u64;
        self.inner.consume(n);
    }
}

/// Decompress a whole file (tests).
#[cfg(test)]
fn decompress(path: &str, bytes: &[u8]) -> Result<String, String> {
    let mut out = String::new();
    decoder(path, bytes)?
        .read_to_string(&mut out)
        .map_err(|e| e.to_string())?;
    Ok(out)
}

/// One `<data>` entry of repomd.xml.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Data {
    kind: String,
    href: String,
    checksum_type: String,
    checksum: String,
    timestamp: Option<i64>,
}

type XmlError = (Option<u32>, String);

/// Line (1-based) of byte offset `pos`, counted incrementally from the last call.
struct Lines<'a> {
    text: &'a [u8],
    pos: usize,
    line: u32,
}

impl Lines<'_> {
    fn at(&mut self, pos: u64) -> u32 {
        let pos = usize::try_from(pos)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        if pos > self.pos {
            let n = self.text[self.pos..pos]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.line = self
                .line
                .saturating_add(u32::try_from(n).unwrap_or(u32::MAX));
            self.pos = pos;
        }
        self.line
    }
}

fn xml_error(lines: &mut Lines<'_>, pos: u64, e: impl std::fmt::Display) -> XmlError {
    (Some(lines.at(pos)), format!("malformed XML: {e}"))
}

fn attr(e: &BytesStart<'_>, name: &str) -> Result<Option<String>, String> {
    for a in e.attributes() {
        let a = a.map_err(|e| e.to_string())?;
        if a.key.local_name().as_ref() == name {
            return a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map(|v| Some(v.into_owned()))
                .map_err(|e| e.to_string());
        }
    }
    Ok(None)
}

fn local(e: &BytesStart<'_>) -> String {
    e.local_name().as_ref().to_string()
}

fn parse_repomd(text: &str) -> Result<Vec<Data>, XmlError> {
    let mut r = quick_xml::Reader::from_str(text);
    let mut lines = Lines {
        text: text.as_bytes(),
        pos: 0,
        line: 1,
    };
    let mut out = Vec::new();
    let mut cur: Option<Data> = None;
    let mut field: Option<String> = None;
    let mut saw_root = false;
    let mut depth = 0usize;
    loop {
        let pos = r.buffer_position();
        let ev = r.read_event().map_err(|e| xml_error(&mut lines, pos, e))?;
        let err = |lines: &mut Lines<'_>, m: String| (Some(lines.at(pos)), m);
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                if matches!(ev, Event::Start(_)) {
                    depth += 1;
                }
                let e = e.clone();
                let name = local(&e);
                match name.as_str() {
                    "repomd" => saw_root = true,
                    "data" => {
                        cur = Some(Data {
                            kind: attr(&e, "type")
                                .map_err(|m| err(&mut lines, m))?
                                .unwrap_or_default(),
                            ..Data::default()
                        })
                    }
                    "location" => {
                        if let Some(d) = cur.as_mut() {
                            d.href = attr(&e, "href")
                                .map_err(|m| err(&mut lines, m))?
                                .unwrap_or_default();
                        }
                    }
                    "checksum" => {
                        if let Some(d) = cur.as_mut() {
                            d.checksum_type = attr(&e, "type")
                                .map_err(|m| err(&mut lines, m))?
                                .unwrap_or_default();
                        }
                    }
                    _ => {}
                }
                field = Some(name);
            }
            Event::Text(t) => {
                if let (Some(d), Some(f)) = (cur.as_mut(), field.as_deref()) {
                    let t = t.xml10_content();
                    match f {
                        "checksum" => d.checksum.push_str(t.trim()),
                        "timestamp" => d.timestamp = t.trim().parse().ok(),
                        _ => {}
                    }
                }
            }
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                if e.local_name().as_ref() == "data" {
                    if let Some(d) = cur.take() {
                        out.push(d);
                    }
                }
                field = None;
            }
            Event::Eof if depth > 0 => {
                return Err(err(
                    &mut lines,
                    "truncated: the file ends inside an open element".to_string(),
                ))
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_root {
        return Err((None, "not a repomd.xml (no <repomd> element)".to_string()));
    }
    Ok(out)
}

/// The advisory being read.
#[derive(Default)]
struct Cur {
    security: bool,
    id: String,
    severity: String,
    line: u32,
    packages: Vec<(String, String, String)>,
}

fn parse_updateinfo<R: Read>(
    input: Counting<R>,
    repo: usize,
    into: &mut UpdateInfo,
) -> Result<(), XmlError> {
    let mut r = quick_xml::Reader::from_reader(input);
    let mut buf = Vec::new();
    let mut lines = ();
    let mut cur: Option<Cur> = None;
    let mut field: Option<String> = None;
    let mut saw_root = false;
    let mut depth = 0usize;
    loop {
        buf.clear();
        let at = r.get_ref().line();
        let ev = r.read_event_into(&mut buf).map_err(|e| match e {
            // The decoder's own error (corrupt stream, size limit), already worded.
            quick_xml::Error::Io(io) => (None, io.to_string()),
            e => (Some(at), format!("malformed XML: {e}")),
        })?;
        let err = |_: &mut (), m: String| (Some(at), m);
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = local(e);
                match name.as_str() {
                    "updates" if depth == 0 => saw_root = true,
                    _ if depth == 0 => {
                        return Err(err(
                            &mut lines,
                            format!(
                                "not an updateinfo.xml: the root element is <{}>, not <updates>",
                                name
                            ),
                        ))
                    }
                    "update" => {
                        let kind = attr(e, "type").map_err(|m| err(&mut lines, m))?;
                        cur = Some(Cur {
                            security: kind.as_deref() == Some("security"),
                            line: at,
                            ..Cur::default()
                        });
                    }
                    "package" => {
                        if let Some(c) = cur.as_mut().filter(|c| c.security) {
                            let get = |n: &str| attr(e, n);
                            let name = get("name").map_err(|m| err(&mut lines, m))?;
                            let version = get("version").map_err(|m| err(&mut lines, m))?;
                            let release = get("release").map_err(|m| err(&mut lines, m))?;
                            let epoch = get("epoch").map_err(|m| err(&mut lines, m))?;
                            let arch = get("arch").map_err(|m| err(&mut lines, m))?;
                            let (Some(name), Some(version), Some(release)) =
                                (name, version, release)
                            else {
                                return Err(err(
                                    &mut lines,
                                    format!(
                                        "advisory {}: <package> lacks name, version or release",
                                        c.id
                                    ),
                                ));
                            };
                            let epoch = epoch.unwrap_or_default();
                            let evr = match epoch.trim() {
                                "" | "0" => format!("{version}-{release}"),
                                e => format!("{e}:{version}-{release}"),
                            };
                            c.packages.push((name, arch.unwrap_or_default(), evr));
                        }
                    }
                    _ => {}
                }
                field = Some(name);
                if matches!(ev, Event::Start(_)) {
                    depth += 1;
                }
            }
            Event::Text(t) => {
                if let (Some(c), Some(f)) = (cur.as_mut(), field.as_deref()) {
                    let t = t.xml10_content();
                    match f {
                        "id" => c.id.push_str(t.trim()),
                        "severity" => c.severity.push_str(t.trim()),
                        _ => {}
                    }
                }
            }
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                if e.local_name().as_ref() == "update" {
                    if let Some(c) = cur.take() {
                        if c.security {
                            if c.id.is_empty() {
                                return Err((
                                    Some(c.line),
                                    "security <update> without an <id>".to_string(),
                                ));
                            }
                            let advisory = into.advisories.len();
                            for (name, arch, evr) in c.packages {
                                if arch == "src" || arch == "nosrc" {
                                    continue;
                                }
                                into.fixed.entry(name).or_default().push(Fixed {
                                    advisory,
                                    arch,
                                    evr,
                                });
                            }
                            into.advisories.push(Advisory {
                                id: c.id,
                                severity: Severity::parse(&c.severity),
                                severity_text: c.severity,
                                repo,
                                line: c.line,
                            });
                        }
                    }
                }
                field = None;
            }
            Event::Eof if depth > 0 => {
                return Err(err(
                    &mut lines,
                    "truncated: the file ends inside an open element".to_string(),
                ))
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_root {
        return Err((
            None,
            "not an updateinfo.xml (no <updates> element)".to_string(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(xml: &str) -> Result<UpdateInfo, XmlError> {
        let mut u = UpdateInfo::default();
        parse_updateinfo(decoder("/u.xml", xml.as_bytes()).unwrap(), 0, &mut u).map(|_| u)
    }

    #[test]
    fn old_fedora_shape_without_epoch_or_severity_on_one_line() {
        // Fedora 8-era files: one line, no epoch attribute, no <severity>, src packages.
        let u = parse(
            "<?xml version=\"1.0\" ?><updates><update status=\"stable\" type=\"security\" version=\"1.4\">\
             <id>FEDORA-2008-0001</id><title>a &amp; b</title><references/><pkglist><collection short=\"F8\">\
             <name>Fedora 8</name><package arch=\"noarch\" name=\"x-release\" release=\"6\" version=\"8\">\
             <filename>x.rpm</filename></package><package arch=\"src\" name=\"x-release\" release=\"6\" version=\"8\"/>\
             </collection></pkglist></update><update type=\"enhancement\"><id>E</id><pkglist><collection>\
             <package name=\"y\" version=\"1\" release=\"1\" arch=\"noarch\"/></collection></pkglist></update></updates>",
        )
        .unwrap();
        assert_eq!(u.advisories.len(), 1);
        assert_eq!(u.advisories[0].id, "FEDORA-2008-0001");
        assert_eq!(u.advisories[0].severity, None);
        assert_eq!(u.advisories[0].line, 1);
        assert_eq!(
            u.fixed["x-release"],
            vec![Fixed {
                advisory: 0,
                arch: "noarch".into(),
                evr: "8-6".into()
            }]
        );
        assert!(!u.fixed.contains_key("y"));
    }

    #[test]
    fn epochs_lines_and_errors() {
        let u = parse(
            "<updates>\n <update type=\"security\">\n  <id>RHSA-1</id><severity>Urgent</severity>\n  <pkglist><collection>\
             <package name=\"a\" epoch=\"2\" version=\"1\" release=\"1\" arch=\"x86_64\"/></collection></pkglist>\n </update>\n</updates>\n",
        )
        .unwrap();
        assert_eq!(u.advisories[0].line, 2);
        assert_eq!(u.advisories[0].severity, Some(Severity::Critical));
        assert_eq!(u.fixed["a"][0].evr, "2:1-1");
        // Truncated, mismatched, wrong root, package without a version: errors with a line.
        for (bad, want) in [
            ("<updates>\n<update type=\"security\"><id>X</id>", "truncated"),
            ("<updates>\n<update></updat></updates>", "malformed XML"),
            ("<repomd/>", "not an updateinfo.xml"),
            ("", "no <updates> element"),
            (
                "<updates><update type=\"security\"><id>X</id><pkglist><collection><package name=\"a\" release=\"1\"/>",
                "lacks name, version or release",
            ),
        ] {
            let e = parse(bad).unwrap_err();
            assert!(e.1.contains(want), "{bad}: {e:?}");
        }
        assert_eq!(
            parse("<updates>\n<update></updat></updates>")
                .unwrap_err()
                .0,
            Some(2)
        );
    }

    #[test]
    fn codecs_and_checksums() {
        use std::io::Write;
        let xml = b"<updates/>\n";
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(xml).unwrap();
        let gz = gz.finish().unwrap();
        assert_eq!(decompress("/x/u.xml.gz", &gz).unwrap(), "<updates/>\n");
        assert!(decompress("/x/u.xml.gz", &gz[..gz.len() / 2]).is_err());
        assert!(decompress("/x/u.xml.xz", b"not xz").is_err());
        assert!(decompress("/x/u.xml.zst", b"not zstd").is_err());
        assert!(decompress("/x/u.xml.bz2", b"not bzip2").is_err());
        assert!(decompress("/x/u.xml.lz", b"")
            .unwrap_err()
            .contains("unknown compression"));
        let sha256 = "e9f35a4ba11fcbf41c2b6c2c2fbb8a1df4e9ba2f2d6b4b8bdbb7cf7e0bd1e6a4";
        assert!(verify_checksum(xml, "sha256", sha256)
            .unwrap_err()
            .contains("mismatch"));
        assert!(verify_checksum(xml, "md5", "00")
            .unwrap_err()
            .contains("md5"));
        assert_eq!(dnf_repo_id("baseos-3f1c2a9b8d7e6f50"), "baseos");
        assert_eq!(dnf_repo_id("my-repo"), "my-repo");
    }
}
