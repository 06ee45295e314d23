#!/usr/bin/env python3
"""Benchmark a whole-process `hardline-agent scan --format json` of the full baseline.

Measures wall time (median over --runs) and peak RSS (from wait4's rusage) on a fixture
tree and on the live host, the stripped release binary size, and, when installed, Lynis
(`lynis audit system --quick`, run alone with stdin from /dev/null) and OpenSCAP (`oscap
xccdf eval` with Debian's SCAP Security Guide content, platform check removed in a
temporary copy of the datastream so rules are evaluated, not reported not-applicable).

Usage: python3 tests/bench/scan.py [--runs 21] [--no-peers]   (needs /usr/bin/time: apt-get install -y time)
Targets (issue 2, 2-core machine): median <= 50 ms wall on the live host, peak RSS <= 16 MiB,
stripped release binary <= 12 MiB. This is a benchmark, not a test: it reports, it does not fail.
"""
import argparse
import glob
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(REPO, "target", "release", "hardline-agent")


def measure(cmd, cwd=None):
    """Run cmd once; return (wall seconds, peak RSS KiB, exit code).

    Peak RSS comes from GNU time (`/usr/bin/time -f %M`, Debian package `time`): the
    ru_maxrss that Python's own wait4 reports for a child it forked includes the memory
    the child had before exec (Python's image), which would overstate a small program.
    Wall time is taken around the whole thing (time's own start-up is well under 1 ms)."""
    with tempfile.NamedTemporaryFile("r") as rss_file:
        full = ["/usr/bin/time", "-o", rss_file.name, "-f", "%M"] + cmd
        start = time.perf_counter()
        code = subprocess.call(full, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, cwd=cwd)
        wall = time.perf_counter() - start
        lines = rss_file.read().split()
        rss = int(lines[-1]) if lines and lines[-1].isdigit() else 0
    return wall, rss, code


def bench(name, cmd, runs):
    measure(cmd)  # warm the page cache
    samples = [measure(cmd) for _ in range(runs)]
    walls = sorted(s[0] for s in samples)
    rss = max(s[1] for s in samples)
    med = statistics.median(walls)
    print(f"{name:<34} median {med * 1000:8.1f} ms  min {walls[0] * 1000:8.1f} ms  "
          f"max {walls[-1] * 1000:8.1f} ms  peak RSS {rss / 1024:6.1f} MiB  exit {samples[-1][2]}  ({runs} runs)")
    return med, rss


def oscap_datastream(tmp):
    """A copy of the newest Debian SSG datastream without its platform check, or None."""
    streams = sorted(glob.glob("/usr/share/xml/scap/ssg/content/ssg-debian*-ds.xml"),
                     key=lambda p: int(re.search(r"debian(\d+)", p).group(1)))
    if not streams or not shutil.which("oscap"):
        return None, None
    src = streams[-1]
    text = open(src, encoding="utf-8").read()
    # Drop the benchmark's OS platform (<platform idref="cpe:/o:debian:..."/>) so rules are
    # evaluated on this release; rule-level applicability (#machine, #audit, ...) stays.
    text = re.sub(r"<(?:xccdf-1\.2:)?platform\s+idref=\"cpe:/o:[^\"]*\"\s*/>", "", text)
    dst = os.path.join(tmp, "ssg-ds.xml")
    open(dst, "w", encoding="utf-8").write(text)
    profiles = re.findall(r'<(?:xccdf-1\.2:)?Profile\s+id="([^"]+)"', text)
    profile = next((p for p in profiles if p.endswith("_standard")), profiles[0] if profiles else None)
    return dst, profile


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=21)
    ap.add_argument("--no-peers", action="store_true", help="skip Lynis and OpenSCAP")
    args = ap.parse_args()

    if not os.path.exists("/usr/bin/time"):
        sys.exit("needs GNU time for peak RSS: apt-get install -y time")
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "hardline-agent"], cwd=REPO, check=True)
    print(f"hardline-agent release binary: {os.path.getsize(BIN) / (1 << 20):.2f} MiB (stripped by the release profile)")
    rules = json.loads(subprocess.run([BIN, "rules", "--format", "json"], capture_output=True, check=True).stdout)
    print(f"baseline rules: {len(rules)}")
    print(f"cpus: {os.cpu_count()}  kernel: {os.uname().release}")

    fixture = os.path.join(REPO, "tests", "hosts", "weak")
    ours, _ = bench("hardline-agent scan (fixture weak)", [BIN, "scan", "--root", fixture, "--format", "json"], args.runs)
    live, _ = bench("hardline-agent scan (live host /)", [BIN, "scan", "--format", "json"], args.runs)

    if args.no_peers:
        return
    if shutil.which("lynis"):
        with tempfile.TemporaryDirectory() as tmp:
            cmd = ["lynis", "audit", "system", "--quick", "--no-colors", "--logfile", os.path.join(tmp, "l.log"),
                   "--report-file", os.path.join(tmp, "l.dat")]
            med, _ = bench("lynis audit system --quick", cmd, 1)
            print(f"  lynis / hardline (live): {med / live:.0f}x")
    else:
        print("lynis not installed: skipped (apt-get install -y lynis)")
    with tempfile.TemporaryDirectory() as tmp:
        ds, profile = oscap_datastream(tmp)
        if ds and profile:
            cmd = ["oscap", "xccdf", "eval", "--profile", profile, "--results", os.path.join(tmp, "r.xml"), ds]
            med, _ = bench(f"oscap xccdf eval ({profile.split('_profile_')[-1]})", cmd, 1)
            print(f"  oscap / hardline (live): {med / live:.0f}x")
        else:
            print("oscap or ssg-debian content not installed: skipped (apt-get install -y openscap-scanner ssg-debian)")


if __name__ == "__main__":
    sys.exit(main())
