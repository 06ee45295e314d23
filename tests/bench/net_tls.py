#!/usr/bin/env python3
"""Benchmark the network checks: N TLS endpoints on loopback, checked by one agent run.

Starts N HTTPS listeners (Python asyncio + ssl, TLS 1.2/1.3 only, HSTS header) on
127.0.0.1 with a certificate from a throw-away CA made by `openssl`, writes an agent config
listing them (trust store = that CA), and runs `hardline-agent scan` with the TLS rules
(protocol floor probes, weak-cipher probe, certificate rules, chain, HSTS: one handshake and
four ClientHello probes per endpoint). Reports wall time (median over --runs) and the
agent's peak RSS (wait4 rusage), and checks that every endpoint passed.

Needs openssl (test PKI) and /usr/bin/time (peak RSS).
Usage: python3 tests/bench/net_tls.py [--endpoints 50] [--runs 7] [--bin target/release/hardline-agent]
Targets (issue 3, 2-core machine): 50 endpoints in <= 1 s wall; peak RSS <= 24 MiB.
This is a benchmark, not a test: it reports, it does not fail.
"""
import argparse
import asyncio
import json
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RULES = ["tls.protocol_min", "tls.weak_ciphers", "tls.cert_expiry", "tls.cert_key_strength",
         "tls.cert_signature", "tls.chain_trusted", "tls.hsts"]


def make_pki(d):
    def run(*a):
        subprocess.run(["openssl", *a], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", f"{d}/ca.key", "-out", f"{d}/ca.pem", "-days", "365", "-subj", "/CN=Bench CA")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", f"{d}/leaf.key", "-out", f"{d}/leaf.csr", "-subj", "/CN=bench.test")
    with open(f"{d}/ext", "w") as f:
        f.write("subjectAltName=DNS:bench.test\nbasicConstraints=CA:FALSE\n")
    run("x509", "-req", "-in", f"{d}/leaf.csr", "-CA", f"{d}/ca.pem", "-CAkey", f"{d}/ca.key",
        "-CAcreateserial", "-days", "200", "-sha256", "-extfile", f"{d}/ext", "-out", f"{d}/leaf.pem")
    with open(f"{d}/chain.pem", "w") as out:
        out.write(open(f"{d}/leaf.pem").read() + open(f"{d}/ca.pem").read())


def serve(d, n, ready, ports):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(f"{d}/chain.pem", f"{d}/leaf.key")
    ctx.set_alpn_protocols(["http/1.1"])

    async def handle(reader, writer):
        try:
            await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            writer.write(b"HTTP/1.1 200 OK\r\nStrict-Transport-Security: max-age=63072000\r\n"
                         b"Content-Length: 2\r\nConnection: close\r\n\r\nok")
            await writer.drain()
        except Exception:
            pass
        finally:
            writer.close()

    async def main():
        servers = []
        for _ in range(n):
            s = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=ctx, backlog=256)
            servers.append(s)
            ports.append(s.sockets[0].getsockname()[1])
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


    async def main():
        servers = []
        for _ in range(n):
            s = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=ctx, backlog=256)
            servers.append(s)
            ports.append(s.sockets[0].getsockname()[1])
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoints", type=int, default=50)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--bin", default=os.path.join(REPO, "target", "release", "hardline-agent"))
    a = ap.parse_args()
    if not os.path.exists(a.bin):
        sys.exit(f"{a.bin} missing: cargo build --release -p hardline-agent")
    with tempfile.TemporaryDirectory() as d:
        make_pki(d)
        ready, ports = threading.Event(), []
        threading.Thread(target=serve, args=(d, a.endpoints, ready, ports), daemon=True).start()
        ready.wait(30)
        root = os.path.join(d, "root")
        os.makedirs(root)
        tls = ",\n".join(f'  {{ address = "127.0.0.1:{p}", sni = "bench.test", https = true }}' for p in ports)
        with open(f"{d}/agent.toml", "w") as f:
            f.write(f'ca_bundle = "{d}/ca.pem"\ntimeout = "5s"\n[targets]\ntls = [\n{tls}\n]\n')
        cmd = [a.bin, "scan", "--root", root, "--config", f"{d}/agent.toml", "--format", "json"]
        for r in RULES:
            cmd += ["--rule", r]
        # Peak RSS: Linux keeps, in ru_maxrss, the high-water mark of the image a process had
        # before execve, i.e. of this (large) Python process for a child forked from it. So
        # the agent is run under /usr/bin/time (package `time`), whose own small image is
        # what the agent is forked from; its %M is the agent's true peak.
        gnu_time = "/usr/bin/time" if os.path.exists("/usr/bin/time") else None
        if not gnu_time:
            print("warning: /usr/bin/time missing (apt-get install time): RSS includes this Python process")
        walls, rss = [], 0
        for i in range(a.runs + 1):
            rss_file = os.path.join(d, "rss")
            run = ([gnu_time, "-f", "%M", "-o", rss_file] if gnu_time else []) + cmd
            start = time.perf_counter()
            proc = subprocess.Popen(run, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            out = proc.stdout.read()
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            peak_kib = int(open(rss_file).read().split()[-1]) if gnu_time else usage.ru_maxrss
            report = json.loads(out)
            s = report["summary"]
            if i == 0:
                print(f"summary: {s} ({len(report['results'])} results; first run is a warm-up)")
                bad = [r for r in report["results"] if r["status"] != "pass"]
                for r in bad[:5]:
                    print("  not pass:", r["rule_id"], r.get("target"), r["status"], r["message"])
                continue
            walls.append(wall)
            rss = max(rss, peak_kib)
        walls.sort()
        print(f"{a.endpoints} TLS endpoints x {len(RULES)} rules: median {statistics.median(walls) * 1000:.0f} ms "
              f"min {walls[0] * 1000:.0f} ms max {walls[-1] * 1000:.0f} ms, peak RSS {rss / 1024:.1f} MiB ({a.runs} runs)")
        print(f"command: {' '.join(cmd[:6])} --format json --rule ... ({len(RULES)} TLS rules)")


if __name__ == "__main__":
    main()
