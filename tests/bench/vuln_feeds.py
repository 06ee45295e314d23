#!/usr/bin/env python3
"""Benchmark `hardline-agent scan --feeds` with a full-size OSV feed.

Generates, in a temporary directory:
- a feeds directory shaped like the real Debian export: one `osv/all.zip` of N (default
  45,000) Debian:12 OSV records (ids, aliases/upstream CVEs, details, references, one to three
  affected packages with ECOSYSTEM ranges over ~8,000 source names), the real KEV catalog
  and the Vulnrichment records from tests/fixtures/vuln/shared/;
- a Debian 12 host tree with P (default 1,600) installed packages in /var/lib/dpkg/status,
  about a third of them named by some record.

Then runs, median over --runs, whole-process wall time and peak RSS (GNU time) of:
  scan --rule vuln.kev --feeds DIR    (the vulnerability half alone)
  scan --feeds DIR                    (the full baseline plus vulnerabilities)
  scan                                (the full baseline, no feeds)
and the in-process matching time of one inventory (the matcher's own benchmark:
`cargo test --release -p hardline-agent --lib bench_match -- --ignored --nocapture`).

Usage: python3 tests/bench/vuln_feeds.py [--runs 11] [--records 45000] [--packages 1600]
Targets (issue 11, 2 cores): scan --feeds <= 250 ms and <= 64 MiB; without --feeds within
10% of the scan without vulnerabilities. A benchmark: it reports, it does not fail.
"""
import argparse, json, os, random, statistics, subprocess, sys, tempfile, time, zipfile, shutil

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(REPO, "target", "release", "hardline-agent")
SHARED = os.path.join(REPO, "tests", "fixtures", "vuln", "shared")


def measure(cmd):
    with tempfile.NamedTemporaryFile("r") as f:
        t = time.perf_counter()
        code = subprocess.call(["/usr/bin/time", "-o", f.name, "-f", "%M"] + cmd,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - t
        rss = int(f.read().strip().splitlines()[-1])
    return wall, rss, code


def gen(root, records, packages, seed=7):
    rnd = random.Random(seed)
    sources = [f"src{i:05d}" for i in range(8000)]
    feeds = os.path.join(root, "feeds")
    os.makedirs(os.path.join(feeds, "osv"))
    with zipfile.ZipFile(os.path.join(feeds, "osv", "all.zip"), "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(records):
            cve = f"CVE-{2014 + i % 12}-{10000 + i}"
            aff = []
            for _ in range(rnd.choice([1, 1, 1, 2, 3])):
                fixed = f"{rnd.randint(1, 9)}.{rnd.randint(0, 20)}.{rnd.randint(0, 9)}-{rnd.randint(1, 5)}+deb12u{rnd.randint(1, 4)}"
                ev = [{"introduced": "0"}]
                if rnd.random() < 0.9:
                    ev.append({"fixed": fixed})
                aff.append({"package": {"ecosystem": "Debian:12", "name": rnd.choice(sources),
                                        "purl": "pkg:deb/debian/x?arch=source"},
                            "ranges": [{"type": "ECOSYSTEM", "events": ev}],
                            "database_specific": {"urgency": "not yet assigned"}})
            rec = {"schema_version": "1.6.0", "id": f"DEBIAN-{cve}", "modified": "2026-12-01T00:00:00Z",
                   "published": "2026-01-01T00:00:00Z", "upstream": [cve],
                   "details": "A flaw was found in a component that allows a remote attacker to " * 4,
                   "references": [{"type": "ADVISORY", "url": f"https://security-tracker.debian.org/tracker/{cve}"},
                                  {"type": "WEB", "url": f"https://www.cve.org/CVERecord?id={cve}"}],
                   "affected": aff}
            z.writestr(f"DEBIAN-{cve}.json", json.dumps(rec, indent=2))
    shutil.copytree(os.path.join(SHARED, "kev"), os.path.join(feeds, "kev"))
    shutil.copytree(os.path.join(SHARED, "vulnrichment"), os.path.join(feeds, "vulnrichment"))
    host = os.path.join(root, "host")
    for d in ["etc", "var/lib/dpkg", "proc/sys/kernel"]:
        os.makedirs(os.path.join(host, d))
    with open(os.path.join(host, "etc/os-release"), "w") as f:
        f.write('ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n')
    with open(os.path.join(host, "var/lib/dpkg/status"), "w") as f:
        for i in range(packages):
            src = rnd.choice(sources) if i % 3 == 0 else f"other{i}"
            f.write(f"Package: pkg{i}\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\n"
                    f"Source: {src}\nVersion: {rnd.randint(1, 9)}.{rnd.randint(0, 20)}.{rnd.randint(0, 9)}-{rnd.randint(1, 5)}\n"
                    f"Description: generated package {i}\n the long description\n\n")
    return host, feeds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--records", type=int, default=45000)
    ap.add_argument("--packages", type=int, default=1600)
    a = ap.parse_args()
    if not os.path.exists(BIN):
        sys.exit(f"build first: cargo build --release -p hardline-agent ({BIN})")
    with tempfile.TemporaryDirectory() as d:
        host, feeds = gen(d, a.records, a.packages)
        zsize = os.path.getsize(os.path.join(feeds, "osv", "all.zip"))
        out = subprocess.run([BIN, "scan", "--root", host, "--feeds", feeds, "--rule", "vuln.kev",
                              "--format", "json", "--feeds-max-age-days", "100000"], capture_output=True)
        r = json.loads(out.stdout)
        print(f"feed: {a.records} records, all.zip {zsize / 1e6:.1f} MB; host: {a.packages} packages; "
              f"{len(r.get('vulnerabilities', []))} findings, {r['feeds']['feeds'][0]['records']} records kept")
        no_inv = json.loads(subprocess.run([BIN, "scan", "--root", host, "--format", "json"], capture_output=True).stdout)
        size_full = len(json.dumps(no_inv))
        no_inv["inventory"]["packages"] = None
        print(f"report size: {size_full / 1024:.0f} KiB with the inventory's package list, "
              f"{len(json.dumps(no_inv)) / 1024:.0f} KiB with the digest only")
        cases = [
            ("scan --rule vuln.kev --feeds", [BIN, "scan", "--root", host, "--feeds", feeds, "--rule", "vuln.kev", "--format", "json"]),
            ("scan --feeds (full baseline)", [BIN, "scan", "--root", host, "--feeds", feeds, "--format", "json"]),
            ("scan (full baseline, no feeds)", [BIN, "scan", "--root", host, "--format", "json"]),
        ]
        for name, cmd in cases:
            walls, rss = [], []
            for _ in range(a.runs):
                w, m, _ = measure(cmd)
                walls.append(w)
                rss.append(m)
            print(f"{name:34s} median {statistics.median(walls) * 1000:7.1f} ms  "
                  f"(min {min(walls) * 1000:.1f})  peak RSS {max(rss) / 1024:.1f} MiB")


main()
