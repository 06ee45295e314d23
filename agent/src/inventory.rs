//! The host's package inventory for the report: installed packages (dpkg and RPM) with
//! their source packages, and the running and installed kernels. Built from the package
//! database [`crate::pkgdb`] already reads (parsed once per scan).
//!
//! - Packages whose files may be on disk count (dpkg: anything but `not-installed` and
//!   `config-files`, so a half-configured package is still inventoried); RPM's
//!   `gpg-pubkey` pseudo-packages do not.
//! - The digest is SHA-256 over the sorted list, one `name\tversion\tarch\tsource\t
//!   source_version\n` line per package: equal inventories have equal digests on every host,
//!   so a receiver that already holds a digest need not be sent the list again.
//! - Kernel: the running release from `/proc/sys/kernel/osrelease`; its package version
//!   from the installed package that provides it, else from the build version the kernel
//!   reports (Debian: `/proc/sys/kernel/version` "… Debian 6.1.112-1 (…)"; Ubuntu:
//!   `/proc/version_signature` "Ubuntu 5.15.0-91.101-generic 5.15.131"; RPM: the release
//!   itself, `5.14.0-427.13.1.el9_4.x86_64` → `5.14.0-427.13.1.el9_4`). The running kernel's
//!   package may already be removed after an upgrade: the version from `/proc` still says
//!   what runs. Without `/proc` under the root (an offline image) the running kernel is null.

use crate::host::Host;
use crate::pkgdb::{self, DbKind, PackageDb};
use crate::report::{Inventory, InventoryPackage, KernelInventory, OsInfo};

/// The OSV ecosystem of a host (`Debian:12`, `Ubuntu:22.04`, `AlmaLinux:9`,
/// `Rocky Linux:9`, `Red Hat:9`); `None` for an OS hardline has no advisory source for.
pub fn ecosystem(os: &OsInfo) -> Option<String> {
    let major = os.version_id.split('.').next().unwrap_or("");
    if os.version_id.is_empty() {
        return None;
    }
    Some(match os.id.as_str() {
        "debian" => format!("Debian:{major}"),
        "ubuntu" => format!("Ubuntu:{}", os.version_id),
        "almalinux" => format!("AlmaLinux:{major}"),
        "rocky" => format!("Rocky Linux:{major}"),
        "rhel" => format!("Red Hat:{major}"),
        _ => return None,
    })
}

/// SHA-256 digest of a sorted package list, `sha256:<hex>`.
pub fn digest(packages: &[InventoryPackage]) -> String {
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    for p in packages {
        for (i, f) in [&p.name, &p.version, &p.arch, &p.source, &p.source_version]
            .into_iter()
            .enumerate()
        {
            if i > 0 {
                ctx.update(b"\t");
            }
            ctx.update(f.as_bytes());
        }
        ctx.update(b"\n");
    }
    let d = ctx.finish();
    let mut s = String::from("sha256:");
    for b in d.as_ref() {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Whether a binary package is a kernel image (the package that holds the kernel itself).
pub fn is_kernel_image(format: &str, p: &InventoryPackage) -> bool {
    match format {
        "dpkg" => {
            p.name.starts_with("linux-image-")
                && (p.source == "linux" || p.source.starts_with("linux-signed"))
        }
        // `kernel` (RHEL 8 and older), `kernel-core`, `kernel-rt-core`, `kernel-64k-core`.
        _ => p.name == "kernel" || (p.name.starts_with("kernel-") && p.name.ends_with("-core")),
    }
}

/// The release a kernel package provides (Debian `linux-image-6.1.0-18-amd64` →
/// `6.1.0-18-amd64`; RPM `kernel-core 5.14.0-427.el9` (x86_64) → `5.14.0-427.el9.x86_64`).
pub fn kernel_release_of(format: &str, p: &InventoryPackage) -> Option<String> {
    match format {
        "dpkg" => {
            let rel = p.name.strip_prefix("linux-image-")?;
            let rel = rel.strip_prefix("unsigned-").unwrap_or(rel);
            let rel = rel.strip_suffix("-unsigned").unwrap_or(rel);
            rel.starts_with(|c: char| c.is_ascii_digit())
                .then(|| rel.to_string())
        }
        _ => {
            let vr = p
                .version
                .split_once(':')
                .map_or(p.version.as_str(), |(_, vr)| vr);
            let variant = p
                .name
                .strip_prefix("kernel-")
                .and_then(|r| r.strip_suffix("-core").or(Some(r)))
                .filter(|v| matches!(*v, "rt" | "64k" | "debug" | "rt-debug" | "64k-debug"));
            Some(match variant {
                Some(v) => format!("{vr}.{}+{v}", p.arch),
                None => format!("{vr}.{}", p.arch),
            })
        }
    }
}

fn running_version(
    host: &Host,
    format: &str,
    release: &str,
    pkgs: &[InventoryPackage],
) -> Option<String> {
    if let Some(p) = pkgs.iter().find(|p| {
        is_kernel_image(format, p) && kernel_release_of(format, p).as_deref() == Some(release)
    }) {
        return Some(p.version.clone());
    }
    match format {
        "dpkg" => {
            let v = host
                .read_optional("/proc/sys/kernel/version")
                .ok()
                .flatten();
            if let Some(b) = v
                .as_deref()
                .and_then(crate::checks::patch::debian_build_version)
            {
                return Some(b);
            }
            let sig = host
                .read_optional("/proc/version_signature")
                .ok()
                .flatten()?;
            // "Ubuntu 5.15.0-91.101-generic 5.15.131": the package version is the second
            // word without its flavour.
            let w = sig.split_whitespace().nth(1)?;
            let (ver, _flavour) = w.rsplit_once('-')?;
            Some(ver.to_string())
        }
        _ => {
            let base = release.split_once('+').map_or(release, |(b, _)| b);
            let (vr, _arch) = base.rsplit_once('.')?;
            Some(vr.to_string())
        }
    }
}

/// Build the inventory of a parsed package database.
pub fn of_db(host: &Host, db: &PackageDb, os: &OsInfo) -> Inventory {
    let format = db.kind.name().to_string();
    let mut packages: Vec<InventoryPackage> = db
        .packages
        .iter()
        .filter(|p| p.files_on_disk())
        .filter(|p| !(db.kind == DbKind::Rpm && p.name == "gpg-pubkey"))
        .map(|p| InventoryPackage {
            name: p.name.clone(),
            version: p.version.clone(),
            arch: p.arch.clone(),
            source: p.source.clone(),
            source_version: p.source_version.clone(),
        })
        .collect();
    packages.sort();
    packages.dedup();
    let running_release = host
        .read_optional("/proc/sys/kernel/osrelease")
        .ok()
        .flatten()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let running_version = running_release
        .as_deref()
        .and_then(|r| running_version(host, &format, r, &packages));
    let installed = packages
        .iter()
        .filter(|p| is_kernel_image(&format, p))
        .map(|p| format!("{} {}", p.name, p.version))
        .collect();
    Inventory {
        ecosystem: ecosystem(os).unwrap_or_default(),
        digest: digest(&packages),
        count: packages.len() as u32,
        format,
        packages: Some(packages),
        kernel: KernelInventory {
            running_release,
            running_version,
            installed,
        },
    }
}

/// The inventory of the scanned host: `Ok(None)` without a package database.
pub fn collect(host: &Host, os: &OsInfo) -> Result<Option<Inventory>, pkgdb::DbError> {
    match &*pkgdb::installed(host) {
        Err(e) => Err(e.clone()),
        Ok(None) => Ok(None),
        Ok(Some(db)) => Ok(Some(of_db(host, db, os))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(name: &str, version: &str, arch: &str, source: &str) -> InventoryPackage {
        InventoryPackage {
            name: name.into(),
            version: version.into(),
            arch: arch.into(),
            source: source.into(),
            source_version: version.into(),
        }
    }

    #[test]
    fn digest_is_stable_and_sensitive_to_every_field() {
        let a = vec![pkg("bash", "5.2.15-2+b2", "amd64", "bash")];
        let d = digest(&a);
        assert!(d.starts_with("sha256:") && d.len() == 7 + 64, "{d}");
        assert_eq!(d, digest(&a.clone()));
        let mut b = a.clone();
        b[0].arch = "i386".into();
        assert_ne!(d, digest(&b));
        assert_ne!(digest(&[]), d);
    }

    #[test]
    fn kernel_images_and_their_releases() {
        let deb = pkg(
            "linux-image-6.1.0-18-amd64",
            "6.1.76-1",
            "amd64",
            "linux-signed-amd64",
        );
        assert!(is_kernel_image("dpkg", &deb));
        assert_eq!(
            kernel_release_of("dpkg", &deb).as_deref(),
            Some("6.1.0-18-amd64")
        );
        assert!(!is_kernel_image(
            "dpkg",
            &pkg("linux-libc-dev", "6.1.76-1", "amd64", "linux")
        ));
        let rpm = pkg("kernel-core", "5.14.0-427.13.1.el9_4", "x86_64", "kernel");
        assert!(is_kernel_image("rpm", &rpm));
        assert_eq!(
            kernel_release_of("rpm", &rpm).as_deref(),
            Some("5.14.0-427.13.1.el9_4.x86_64")
        );
    }

    #[test]
    fn ecosystems() {
        let os = |id: &str, v: &str| OsInfo {
            id: id.into(),
            version_id: v.into(),
            ..OsInfo::default()
        };
        assert_eq!(ecosystem(&os("debian", "12")).as_deref(), Some("Debian:12"));
        assert_eq!(
            ecosystem(&os("ubuntu", "22.04")).as_deref(),
            Some("Ubuntu:22.04")
        );
        assert_eq!(
            ecosystem(&os("rocky", "9.4")).as_deref(),
            Some("Rocky Linux:9")
        );
        assert_eq!(ecosystem(&os("rhel", "9.4")).as_deref(), Some("Red Hat:9"));
        assert_eq!(ecosystem(&os("fedora", "40")), None);
        assert_eq!(ecosystem(&os("debian", "")), None);
    }
}
