//! The on-disk spool: reports waiting for the collector, oldest first.
//!
//! Each report is one file `<seq>.json`, `seq` a zero-padded 20-digit sequence number, so
//! that the lexical order of the names is the order of creation; a new spool continues after
//! the highest number present. A report is written durably before anyone relies on it:
//! temporary file (`.tmp-<seq>`) → `fsync` → `rename` → `fsync` of the directory. A crash
//! leaves at worst a stray temporary file, which the next start removes; a `<seq>.json` is
//! always complete.
//!
//! Bounds: at most `max_reports` files and `max_bytes` bytes. Making room for a new report
//! drops the OLDEST ones (the newest state of the host is what matters); the caller logs how
//! many. Reports the collector refused for good (400, 403, 413) move to `rejected/`, bounded
//! to [`REJECTED_MAX`] files, with the collector's answer beside them in `<seq>.reason`.
//!
//! One agent process per spool directory.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Most reports kept in `rejected/` (oldest dropped first).
pub const REJECTED_MAX: usize = 100;

/// Digits of the sequence number in a spool file name.
const DIGITS: usize = 20;

/// A spooled report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Sequence number (creation order).
    pub seq: u64,
    /// The file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
}

impl Entry {
    /// The file name (`00000000000000000042.json`).
    pub fn name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// The spool directory.
#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    max_reports: usize,
    max_bytes: u64,
    next_seq: u64,
}

/// What [`Spool::put`] did.
#[derive(Debug)]
pub struct Put {
    /// The new report.
    pub entry: Entry,
    /// How many of the oldest reports were dropped to make room.
    pub dropped: usize,
}

fn seq_of(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".json")?;
    if digits.len() != DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// `fsync` a directory so that a rename or removal in it is durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

fn ctx(e: io::Error, what: &str, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{what} {}: {e}", path.display()))
}

impl Spool {
    /// Open (creating it and `rejected/` when missing) with the given bounds. Removes the
    /// temporary files a crash may have left.
    pub fn open(dir: &Path, max_reports: usize, max_bytes: u64) -> io::Result<Spool> {
        if max_reports == 0 || max_bytes == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "spool bounds must be greater than zero",
            ));
        }
        fs::create_dir_all(dir.join("rejected"))
            .map_err(|e| ctx(e, "cannot create the spool directory", dir))?;
        for item in fs::read_dir(dir).map_err(|e| ctx(e, "cannot read the spool", dir))? {
            let item = item.map_err(|e| ctx(e, "cannot read the spool", dir))?;
            if item.file_name().to_string_lossy().starts_with(".tmp-") {
                fs::remove_file(item.path())
                    .map_err(|e| ctx(e, "cannot remove the stale file", &item.path()))?;
            }
        }
        let mut spool = Spool {
            dir: dir.to_path_buf(),
            max_reports,
            max_bytes,
            next_seq: 1,
        };
        let highest = spool.entries()?.last().map(|e| e.seq).unwrap_or(0);
        let highest_rejected = list(&dir.join("rejected"))?
            .last()
            .map(|e| e.seq)
            .unwrap_or(0);
        spool.next_seq = highest.max(highest_rejected).saturating_add(1);
        Ok(spool)
    }

    /// The bounds: most reports, most bytes.
    pub fn bounds(&self) -> (usize, u64) {
        (self.max_reports, self.max_bytes)
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The spooled reports, oldest first.
    pub fn entries(&self) -> io::Result<Vec<Entry>> {
        list(&self.dir)
    }

    /// The oldest spooled report.
    pub fn oldest(&self) -> io::Result<Option<Entry>> {
        Ok(self.entries()?.into_iter().next())
    }

    /// Store a report durably, first dropping the oldest reports when the bounds require it.
    /// A report larger than `max_bytes` on its own is refused.
    pub fn put(&mut self, body: &[u8]) -> io::Result<Put> {
        let size = body.len() as u64;
        if size > self.max_bytes {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "report of {size} bytes is larger than spool_max_bytes ({})",
                    self.max_bytes
                ),
            ));
        }
        let mut entries = self.entries()?;
        let mut total: u64 = entries.iter().map(|e| e.size).sum();
        let mut dropped = 0;
        while !entries.is_empty()
            && (entries.len() >= self.max_reports || total + size > self.max_bytes)
        {
            let old = entries.remove(0);
            match fs::remove_file(&old.path) {
                Ok(()) => dropped += 1,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(ctx(e, "cannot drop", &old.path)),
            }
            total -= old.size;
        }
        let seq = self.next_seq;
        let tmp = self.dir.join(format!(".tmp-{seq:0DIGITS$}"));
        let path = self.dir.join(format!("{seq:0DIGITS$}.json"));
        let write = || -> io::Result<()> {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(body)?;
            f.sync_all()?;
            fs::rename(&tmp, &path)?;
            sync_dir(&self.dir)
        };
        if let Err(e) = write() {
            let _ = fs::remove_file(&tmp);
            return Err(ctx(e, "cannot spool the report in", &self.dir));
        }
        self.next_seq = seq.saturating_add(1);
        Ok(Put {
            entry: Entry { seq, path, size },
            dropped,
        })
    }

    /// Remove a delivered report (durably).
    pub fn remove(&self, entry: &Entry) -> io::Result<()> {
        match fs::remove_file(&entry.path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(ctx(e, "cannot remove", &entry.path)),
        }
        sync_dir(&self.dir).map_err(|e| ctx(e, "cannot sync", &self.dir))
    }

    /// Move a report the collector refused for good to `rejected/`, with the reason beside
    /// it; keeps `rejected/` within [`REJECTED_MAX`] (oldest dropped).
    pub fn reject(&self, entry: &Entry, reason: &str) -> io::Result<()> {
        let rejected = self.dir.join("rejected");
        fs::create_dir_all(&rejected).map_err(|e| ctx(e, "cannot create", &rejected))?;
        let mut old = list(&rejected)?;
        while old.len() >= REJECTED_MAX {
            let o = old.remove(0);
            let _ = fs::remove_file(o.path.with_extension("reason"));
            fs::remove_file(&o.path).map_err(|e| ctx(e, "cannot drop", &o.path))?;
        }
        let dest = rejected.join(entry.name());
        let why = rejected.join(format!("{:0DIGITS$}.reason", entry.seq));
        let mut f = fs::File::create(&why).map_err(|e| ctx(e, "cannot write", &why))?;
        f.write_all(reason.as_bytes())
            .and_then(|_| f.write_all(b"\n"))
            .and_then(|_| f.sync_all())
            .map_err(|e| ctx(e, "cannot write", &why))?;
        fs::rename(&entry.path, &dest).map_err(|e| ctx(e, "cannot move", &entry.path))?;
        sync_dir(&rejected).map_err(|e| ctx(e, "cannot sync", &rejected))?;
        sync_dir(&self.dir).map_err(|e| ctx(e, "cannot sync", &self.dir))
    }

    /// Read a spooled report.
    pub fn read(&self, entry: &Entry) -> io::Result<Vec<u8>> {
        fs::read(&entry.path).map_err(|e| ctx(e, "cannot read", &entry.path))
    }
}

/// `<seq>.json` files of `dir`, by sequence number.
fn list(dir: &Path) -> io::Result<Vec<Entry>> {
    let mut out = Vec::new();
    for item in fs::read_dir(dir).map_err(|e| ctx(e, "cannot read the spool", dir))? {
        let item = item.map_err(|e| ctx(e, "cannot read the spool", dir))?;
        let name = item.file_name();
        let Some(seq) = seq_of(&name.to_string_lossy()) else {
            continue;
        };
        let meta = match item.metadata() {
            Ok(m) if m.is_file() => m,
            Ok(_) => continue,
            // Removed meanwhile (delivered or dropped).
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(ctx(e, "cannot stat", &item.path())),
        };
        out.push(Entry {
            seq,
            path: item.path(),
            size: meta.len(),
        });
    }
    out.sort_by_key(|e| e.seq);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &Spool) -> Vec<u64> {
        s.entries().unwrap().iter().map(|e| e.seq).collect()
    }

    #[test]
    fn order_is_creation_order_and_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Spool::open(dir.path(), 100, 1 << 20).unwrap();
        for i in 0..12 {
            let p = s.put(format!("report {i}").as_bytes()).unwrap();
            assert_eq!(p.dropped, 0);
        }
        assert_eq!(names(&s), (1..=12).collect::<Vec<_>>());
        // Lexical order of the names is the order of creation (9 < 10 included).
        let mut lexical: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json"))
            .collect();
        lexical.sort();
        let bodies: Vec<Vec<u8>> = lexical
            .iter()
            .map(|n| fs::read(dir.path().join(n)).unwrap())
            .collect();
        assert_eq!(bodies[9], b"report 9");
        assert_eq!(bodies[10], b"report 10");
        let oldest = s.oldest().unwrap().unwrap();
        s.remove(&oldest).unwrap();
        // A crash left a temporary file; a restart removes it and continues the numbering.
        fs::write(dir.path().join(".tmp-00000000000000000013"), "half").unwrap();
        drop(s);
        let mut s = Spool::open(dir.path(), 100, 1 << 20).unwrap();
        assert!(!dir.path().join(".tmp-00000000000000000013").exists());
        let p = s.put(b"after restart").unwrap();
        assert_eq!(p.entry.seq, 13);
        assert_eq!(names(&s), (2..=13).collect::<Vec<_>>());
        assert_eq!(s.read(&s.oldest().unwrap().unwrap()).unwrap(), b"report 1");
        // Even an emptied spool does not reuse a number that went to rejected/.
        for e in s.entries().unwrap() {
            if e.seq == 13 {
                s.reject(&e, "400 test").unwrap();
            } else {
                s.remove(&e).unwrap();
            }
        }
        drop(s);
        let mut s = Spool::open(dir.path(), 100, 1 << 20).unwrap();
        assert_eq!(s.put(b"x").unwrap().entry.seq, 14);
    }

    #[test]
    fn count_bound_drops_the_oldest() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Spool::open(dir.path(), 3, 1 << 20).unwrap();
        for i in 0..3 {
            assert_eq!(s.put(&[i]).unwrap().dropped, 0);
        }
        assert_eq!(s.put(b"4").unwrap().dropped, 1);
        assert_eq!(names(&s), vec![2, 3, 4]);
        assert_eq!(s.read(&s.oldest().unwrap().unwrap()).unwrap(), [1]);
    }

    #[test]
    fn byte_bound_drops_the_oldest_and_refuses_a_giant() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Spool::open(dir.path(), 100, 100).unwrap();
        s.put(&[b'a'; 40]).unwrap();
        s.put(&[b'b'; 40]).unwrap();
        // 40 + 40 + 30 > 100: the oldest goes.
        let p = s.put(&[b'c'; 30]).unwrap();
        assert_eq!(p.dropped, 1);
        assert_eq!(names(&s), vec![2, 3]);
        // 70 + 71 > 100 and 30 + 71 > 100: both older ones go.
        assert_eq!(s.put(&[b'd'; 71]).unwrap().dropped, 2);
        assert_eq!(names(&s), vec![4]);
        let e = s.put(&[b'e'; 101]).unwrap_err();
        assert!(e.to_string().contains("larger than spool_max_bytes"), "{e}");
        assert_eq!(names(&s), vec![4]);
        assert!(Spool::open(dir.path(), 0, 1).is_err());
    }

    #[test]
    fn rejected_is_bounded_and_keeps_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Spool::open(dir.path(), 1000, 1 << 20).unwrap();
        for i in 0..(REJECTED_MAX + 5) {
            let p = s.put(format!("{i}").as_bytes()).unwrap();
            s.reject(&p.entry, &format!("403 host_owned {i}")).unwrap();
        }
        assert!(s.entries().unwrap().is_empty());
        let rejected = list(&dir.path().join("rejected")).unwrap();
        assert_eq!(rejected.len(), REJECTED_MAX);
        assert_eq!(rejected[0].seq, 6);
        let reason = fs::read_to_string(rejected[0].path.with_extension("reason")).unwrap();
        assert_eq!(reason, "403 host_owned 5\n");
        let reasons = fs::read_dir(dir.path().join("rejected"))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".reason")
            })
            .count();
        assert_eq!(reasons, REJECTED_MAX);
    }

    #[test]
    fn foreign_files_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("README"), "x").unwrap();
        fs::write(dir.path().join("12.json"), "short name").unwrap();
        let mut s = Spool::open(dir.path(), 10, 1 << 20).unwrap();
        assert!(s.entries().unwrap().is_empty());
        assert_eq!(s.put(b"r").unwrap().entry.seq, 1);
    }
}
