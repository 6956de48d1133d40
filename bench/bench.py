#!/usr/bin/python3
"""infx-exec benchmarks: start-up latency, size, memory, instructions, many starts.

    bench/run.sh [--smoke]          (installs what is missing, then runs this)
    /usr/bin/python3 bench/bench.py [--smoke] [--bin build/infx-exec] [--out FILE]

Full run: writes docs/benchmarks.md (the markdown report) and prints it.
--smoke: tiny sizes, a few runs, writes bench/out/benchmarks-smoke.md only
(never docs/), exits 0 unless the harness itself or infx-exec breaks.
Benchmarks are measurements, never assertions: a missed target is reported,
not an error. Work files go to bench/out/ (git-ignored).

Everything runs against the project's own test server (tests/infisical_server.py,
in a separate process, bench/server.py) on 127.0.0.1, with generated data.
"""
import argparse
import bisect
import collections
import datetime
import gc
import json
import math
import os
import platform
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import ssl

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
OUT = os.path.join(BENCH, "out")
sys.path.insert(0, os.path.join(ROOT, "tests"))
import certs  # noqa: E402  (tests/certs.py: throwaway CA and server cert)

PYTHON = "/usr/bin/python3"
PROJECT = "7e2f4a10-3b1c-4d5e-9f60-bench0000001"
IDENTITY = "1d2c3b4a-0000-4000-8000-bench0000001"
CLIENT_ID = "bench-client-id-0001"
CLIENT_SECRET = "bench-client-secret-0123456789abcdef"
ENVIRONMENT = "prod"
SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
MISSING_COMMAND = "/nonexistent/bench-command"   # the shim exits 127 after building its env
BASE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/root", "LANG": "C.UTF-8"}

TARGETS = {
    "floor_ratio": 1.00,        # infx-exec median / floor median, at most
    "vs_node": 20.0,            # node median / infx-exec median, at least
    "vs_script": 3.0,           # script median / infx-exec median, at least
    "binary_bytes": 3 * 1000 * 1000,    # "3 MB"; also shown in MiB
    "rss_kib_1000": 4 * 1024,   # "4 MB" at 1,000 secrets
    "ir_per_1000": 2_000_000,
    "herd_factor": 2.0,         # requests <= 2x the minimum
}


def log(msg):
    sys.stderr.write("bench: %s\n" % msg)
    sys.stderr.flush()


class BenchError(Exception):
    pass


# --------------------------------------------------------------------------- helpers

def sh(cmd, **kw):
    """Run a command (list), return stdout text; raise with stderr on failure."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    if p.returncode != 0:
        raise BenchError("%s failed (%d): %s" % (" ".join(map(str, cmd)), p.returncode,
                                                 p.stderr.decode(errors="replace").strip()[-2000:]))
    return p.stdout.decode(errors="replace")


def first_line(cmd):
    try:
        out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             timeout=20).stdout.decode(errors="replace").strip()
        return out.splitlines()[0] if out else "?"
    except (OSError, subprocess.SubprocessError):
        return "not installed"


def which(name):
    return shutil.which(name, path=BASE_ENV["PATH"] + ":/usr/sbin:/sbin")


def pct(values, p):
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[max(0, math.ceil(p / 100.0 * len(s)) - 1)]


def fmt_ms(sec):
    ms = sec * 1000.0
    return "%.1f ms" % ms if ms >= 10 else "%.2f ms" % ms


def fmt_bytes(n):
    if n >= 1024 * 1024:
        return "%.2f MiB" % (n / 1048576.0)
    if n >= 1024:
        return "%.1f KiB" % (n / 1024.0)
    return "%d B" % n


def fmt_int(n):
    return "{:,}".format(int(round(n)))


def mark(ok):
    if ok is None:
        return "n/a"
    return "**met**" if ok else "**missed**"


def table(header, rows, align=None):
    align = align or ["l"] + ["r"] * (len(header) - 1)
    sep = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(sep) + " |"]
    for r in rows:
        lines.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- data

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
PREFIXES = ["DB", "API", "CACHE", "QUEUE", "SMTP", "OAUTH", "S3", "FEATURE", "STRIPE", "SENTRY"]


def make_data(n, seed=6):
    """n secrets in prod:/ of one project, one machine identity; values like
    a real service's (URLs with passwords, API keys, ports, flags), 2-80 bytes,
    about 38 bytes on average; names about 16 bytes."""
    rnd = random.Random(seed)

    def tok(k):
        return "".join(rnd.choice(ALPHABET) for _ in range(k))

    secrets = {}
    for i in range(n):
        key = "%s_%s_%05d" % (PREFIXES[i % len(PREFIXES)], ["URL", "KEY", "PORT", "TOKEN"][i % 4], i)
        kind = i % 4
        if kind == 0:
            val = "postgres://svc%d:%s@db-%d.internal:5432/app" % (i, tok(16), i % 7)
        elif kind == 1:
            val = "sk_live_" + tok(32)
        elif kind == 2:
            val = str(rnd.randint(1, 65535))
        else:
            val = tok(rnd.randint(8, 64))
        secrets[key] = val
    return {
        "identities": [{"identityId": IDENTITY, "clientId": CLIENT_ID,
                        "clientSecret": CLIENT_SECRET, "projects": [PROJECT]}],
        "projects": {PROJECT: {"slug": "bench", "environments": {
            ENVIRONMENT: {"folders": {"/": {"secrets": secrets}}}}}},
    }


def secrets_of(data):
    return data["projects"][PROJECT]["environments"][ENVIRONMENT]["folders"]["/"]["secrets"]


def write_data(n, tmp):
    path = os.path.join(tmp, "data-%d.json" % n)
    if not os.path.exists(path):
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(make_data(n), fh)
    return path


# --------------------------------------------------------------------------- server

class Server:
    """bench/server.py in its own process."""

    def __init__(self, data_file, tls=None, rate=None):
        cmd = [PYTHON, os.path.join(BENCH, "server.py"), "--data", data_file]
        if tls:
            cmd += ["--tls-cert", tls[0], "--tls-key", tls[1]]
        if rate:
            cmd += ["--rate-limit", "--rate-window", str(rate["window"]),
                    "--rate-write", str(rate["write"]), "--rate-secrets", str(rate["secrets"])]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http"):
            self.close()
            raise BenchError("the test server did not start (%r)" % self.url)

    def _cmd(self, c):
        self.proc.stdin.write(c + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline()

    def stats(self):
        return json.loads(self._cmd("stats"))

    def clear(self):
        self._cmd("clear")

    def close(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def list_query():
    return urllib.parse.urlencode([
        ("projectId", PROJECT), ("environment", ENVIRONMENT), ("secretPath", "/"),
        ("include_imports", "true"), ("includeImports", "true"), ("recursive", "false"),
        ("expandSecretReferences", "true")])


def login_body():
    return json.dumps({"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET})


def fetch(url, cafile=None):
    """Log in and list with urllib: (access token, raw list body)."""
    ctx = ssl.create_default_context(cafile=cafile) if url.startswith("https") else None
    req = urllib.request.Request(url + "/api/v1/auth/universal-auth/login",
                                 data=login_body().encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, context=ctx, timeout=60) as r:
        token = json.load(r)["accessToken"]
    req = urllib.request.Request(url + "/api/v4/secrets?" + list_query(),
                                 headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, context=ctx, timeout=120) as r:
        body = r.read()
    return token, body


def shim_env(url, **extra):
    env = dict(BASE_ENV)
    env.update({
        "INFISICAL_API_URL": url,
        "INFISICAL_PROJECT_ID": PROJECT,
        "INFISICAL_ENVIRONMENT": ENVIRONMENT,
        "INFISICAL_UNIVERSAL_AUTH_CLIENT_ID": CLIENT_ID,
        "INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET": CLIENT_SECRET,
    })
    env.update({k: v for k, v in extra.items() if v is not None})
    return env


# --------------------------------------------------------------------------- timing

class Runner:
    """Start processes with posix_spawn (stdout/stderr to a log file), wait
    with wait4 (exit status, CPU time)."""

    def __init__(self, logdir):
        self.logdir = logdir

    def spawn(self, argv, env, stderr_name):
        fa = [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
              (os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
              (os.POSIX_SPAWN_OPEN, 2, os.path.join(self.logdir, stderr_name + ".stderr"),
               os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)]
        return os.posix_spawn(argv[0], argv, env, file_actions=fa)

    def run_chain(self, chain, name):
        """Run the steps of chain one after the other: (seconds, cpu seconds,
        exit code of the first failing step or 0)."""
        cpu = 0.0
        t0 = time.perf_counter()
        for argv, env, want in chain:
            pid = self.spawn(argv, env, name)
            _, status, ru = os.wait4(pid, 0)
            cpu += ru.ru_utime + ru.ru_stime
            rc = os.waitstatus_to_exitcode(status)
            if rc != want:
                return time.perf_counter() - t0, cpu, rc if rc else -1
        return time.perf_counter() - t0, cpu, 0


class Contender:
    def __init__(self, key, label, chain, group, check_cmd=None, transport="HTTP",
                 note=""):
        self.key = key
        self.label = label
        self.chain = chain          # [(argv, env, expected exit code)]
        self.group = group          # "shim", "floor", "script", "node", "ref"
        self.check_cmd = check_cmd  # argv prefix + env for the environment check
        self.transport = transport
        self.note = note
        self.times = []
        self.cpu = []
        self.failures = 0
        self.requests = None
        self.connections = None
        self.paths = None
        self.env_ok = None
        self.error = None


def bench_latency(args, tmp, pki, runner):
    n = args.latency_secrets
    data_file = write_data(n, tmp)
    expected = secrets_of(make_data(n))
    full_bundle = pki["bundle"]
    bundle_certs = open(full_bundle).read().count("BEGIN CERTIFICATE")
    result = {"secrets": n, "bundle_certs": bundle_certs}

    srv_http = Server(data_file)
    srv_tls = Server(data_file, tls=(pki["cert"], pki["key"]))
    servers = {"HTTP": srv_http, "HTTPS": srv_tls}
    try:
        tokens = {"HTTP": fetch(srv_http.url)[0],
                  "HTTPS": fetch(srv_tls.url, cafile=pki["ca"])[0]}
        curl, jq, node = which("curl"), which("jq"), which("node")
        shell = "/bin/sh"
        true = "/bin/true"
        B = args.bin
        cs = []

        def curl_floor(url, token, extra):
            return [curl, "-fsS", "-o", "/dev/null"] + extra + [
                "-H", "Content-Type: application/json", "-d", login_body(),
                url + "/api/v1/auth/universal-auth/login",
                "--next", "-fsS", "-o", "/dev/null"] + extra + [
                "-H", "Authorization: Bearer " + token,
                url + "/api/v4/secrets?" + list_query()]

        variants = [
            ("http", "HTTP", srv_http.url, {}, []),
            ("https-ca", "HTTPS, private CA file (1 root)", srv_tls.url,
             {"INFISICAL_CA_CERT_FILE": pki["ca"]}, ["--cacert", pki["ca"]]),
            ("https-bundle", "HTTPS, system CA bundle + test CA (%d roots)" % bundle_certs,
             srv_tls.url, {"SSL_CERT_FILE": full_bundle}, ["--cacert", full_bundle]),
            ("https-dir", "HTTPS, the same %d roots as a hashed directory" % bundle_certs,
             srv_tls.url, {"SSL_CERT_DIR": pki["certdir"]}, ["--capath", pki["certdir"]]),
        ]
        for vkey, vlabel, url, shim_extra, curl_extra in variants:
            scheme = "HTTPS" if url.startswith("https") else "HTTP"
            env = shim_env(url, **shim_extra)
            cs.append(Contender("shim-" + vkey, "infx-exec (static) -- /bin/true",
                                [([B, "--", true], env, 0)], "shim",
                                check_cmd=([B, "--"], env), transport=vlabel))
            # Debian's curl always loads its built-in bundle as well, even with
            # --capath: no floor of its own for the directory; it is compared
            # with the one-root floor (what a directory lookup loads).
            if curl and vkey != "https-dir":
                cs.append(Contender(
                    "floor-" + vkey, "floor: curl login --next list (1 connection), then /bin/true",
                    [(curl_floor(url, tokens[scheme], curl_extra), dict(BASE_ENV), 0),
                     ([true], dict(BASE_ENV), 0)], "floor", transport=vlabel))
            if curl and jq and vkey in ("http", "https-bundle"):
                senv = dict(env)
                if vkey == "https-bundle":
                    senv["CURL_CA_BUNDLE"] = full_bundle
                cs.append(Contender("script-" + vkey, "sh + curl + jq entrypoint (bench/entrypoint.sh)",
                                    [([shell, os.path.join(BENCH, "entrypoint.sh"), true], senv, 0)],
                                    "script", check_cmd=([shell, os.path.join(BENCH, "entrypoint.sh")], senv),
                                    transport=vlabel))
            if node and args.sdk_version and vkey in ("http", "https-bundle"):
                nenv = dict(env)
                if vkey == "https-bundle":
                    nenv.pop("SSL_CERT_FILE", None)
                    nenv["NODE_EXTRA_CA_CERTS"] = pki["ca"]
                launcher = os.path.join(BENCH, "sdk-launcher.js")
                cs.append(Contender("node-" + vkey, "Node %s + @infisical/sdk %s launcher (bench/sdk-launcher.js)"
                                    % (args.node_version, args.sdk_version),
                                    [([node, launcher, true], nenv, 0)], "node",
                                    check_cmd=([node, launcher], nenv), transport=vlabel,
                                    note="Node's own roots + NODE_EXTRA_CA_CERTS" if vkey == "https-bundle" else ""))
        cs.append(Contender("true", "the command alone: /bin/true", [([true], dict(BASE_ENV), 0)],
                            "ref", transport="none"))
        cs.append(Contender("shim-version", "infx-exec --version (process start only)",
                            [([B, "--version"], dict(BASE_ENV), 0)], "ref", transport="none"))
        if curl:
            cs.append(Contender("curl-version", "curl --version (process start only)",
                                [([curl, "--version"], dict(BASE_ENV), 0)], "ref", transport="none"))
        if node:
            cs.append(Contender("node-sdk-load", "node -e \"require('@infisical/sdk')\" (start + SDK load only)",
                                [([node, "-e", "require('%s')" % os.path.join(BENCH, "node_modules", "@infisical", "sdk")],
                                  dict(BASE_ENV), 0)], "ref", transport="none"))

        # 1. Correctness and requests: each contender once, with its requests counted.
        for c in cs:
            srv = servers["HTTPS" if c.transport.startswith("HTTPS") else "HTTP"]
            srv.clear()
            if c.check_cmd:
                prefix, env = c.check_cmd
                p = subprocess.run(prefix + ["/usr/bin/env", "-0"], env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, timeout=120)
                got = {}
                for entry in p.stdout.split(b"\0"):
                    if entry:
                        k, _, v = entry.partition(b"=")
                        got[k.decode(errors="replace")] = v.decode(errors="replace")
                missing = [k for k, v in expected.items() if got.get(k) != v]
                c.env_ok = p.returncode == 0 and not missing
                if not c.env_ok:
                    c.error = "exit %d, %d of %d secrets wrong or missing; %s" % (
                        p.returncode, len(missing), len(expected),
                        p.stderr.decode(errors="replace").strip()[-300:])
            else:
                _, _, rc = runner.run_chain(c.chain, c.key)
                if rc != 0:
                    c.error = "exit %d" % rc
            if c.transport != "none":
                st = srv.stats()
                c.requests, c.connections, c.paths = st["total"], st["connections"], st["paths"]
            if c.error:
                log("%s (%s): %s" % (c.label, c.transport, c.error))
        active = [c for c in cs if not c.error]

        # 2. Timing: rounds, each running every contender once in a shuffled order.
        rnd = random.Random(42)
        rounds = args.warmup + args.runs
        log("start-up: %d contenders x %d runs (+%d warm-up)" % (len(active), args.runs, args.warmup))
        gc.disable()
        try:
            for r in range(rounds):
                order = list(active)
                rnd.shuffle(order)
                for c in order:
                    dt, cpu, rc = runner.run_chain(c.chain, c.key)
                    if r < args.warmup:
                        continue
                    if rc != 0:
                        c.failures += 1
                        continue
                    c.times.append(dt)
                    c.cpu.append(cpu)
        finally:
            gc.enable()

        # 3. Where the floor's time goes: curl's own timers for each request.
        rt = {}
        if curl:
            for vkey, vlabel, url, _, curl_extra in variants:
                if vkey == "https-dir":
                    continue
                scheme = "HTTPS" if url.startswith("https") else "HTTP"
                fmt = "%{time_connect} %{time_appconnect} %{time_starttransfer} %{time_total}\\n"
                argv = curl_floor(url, tokens[scheme], curl_extra)
                # -w after each URL: one line per request
                i = argv.index("--next")
                argv = argv[:i] + ["-w", fmt] + argv[i:] + ["-w", fmt]
                login_t, list_t, conn_t = [], [], []
                for _ in range(max(5, args.runs // 2)):
                    out = sh(argv, env=dict(BASE_ENV)).split()
                    vals = [float(x) for x in out]
                    login_t.append(vals[3])
                    conn_t.append(vals[1] if scheme == "HTTPS" else vals[0])
                    list_t.append(vals[7])     # -w times are per transfer
                rt[vkey] = {"label": vlabel, "login": statistics.median(login_t),
                            "connect": statistics.median(conn_t), "list": statistics.median(list_t)}
        result["round_trips"] = rt
    finally:
        srv_http.close()
        srv_tls.close()
    result["contenders"] = cs
    return result


# --------------------------------------------------------------------------- size

def parse_map(path):
    """GNU ld -Map: [(output section, input section, start, size, origin file)]
    of the memory map (discarded sections left out)."""
    items = []
    in_map = False
    out_sec = None
    pending = None
    rx_full = re.compile(r"^ (\S+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$")
    rx_cont = re.compile(r"^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$")
    rx_out = re.compile(r"^(\.\S+|COMMON)(?:\s+0x([0-9a-f]+)\s+0x([0-9a-f]+))?")
    with open(path, errors="replace") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if not in_map:
                if line.startswith("Linker script and memory map"):
                    in_map = True
                continue
            if line.startswith("LOAD ") or line.startswith("OUTPUT("):
                continue
            m = rx_out.match(line)
            if m and not line.startswith(" "):
                out_sec = m.group(1)
                pending = None
                continue
            if pending is not None:
                m = rx_cont.match(line)
                if m:
                    items.append((out_sec, pending, int(m.group(1), 16), int(m.group(2), 16),
                                  m.group(3).strip()))
                pending = None
                continue
            m = rx_full.match(line)
            if m:
                name = m.group(1)
                if name.startswith("*(") or name == "*fill*":
                    if name == "*fill*":
                        items.append((out_sec, "*fill*", int(m.group(2), 16), int(m.group(3), 16), "*fill*"))
                    continue
                items.append((out_sec, name, int(m.group(2), 16), int(m.group(3), 16), m.group(4).strip()))
                continue
            m = re.match(r"^ (\.\S+)$", line)
            if m:
                pending = m.group(1)
    return items


ORIGINS = ["OpenSSL libcrypto", "OpenSSL libssl", "libcurl", "c-ares", "zlib", "cJSON", "musl libc",
           "infx-exec (src/*.o)", "embedded CA bundle (infx_ca_bundle)", "libgcc / crt",
           "linker padding, other"]


def origin_of(path):
    p = path
    if "libcrypto.a" in p:
        return "OpenSSL libcrypto"
    if "libssl.a" in p:
        return "OpenSSL libssl"
    if "libcurl.a" in p:
        return "libcurl"
    if "libcjson.a" in p:
        return "cJSON"
    if "libcares.a" in p:
        return "c-ares"
    if "libz.a" in p:
        return "zlib"
    if "ca_bundle.o" in p:
        return "embedded CA bundle (infx_ca_bundle)"
    if "x86_64-linux-musl" in p or "/musl/" in p:
        return "musl libc"
    if "libgcc" in p or "crtbegin" in p or "crtend" in p:
        return "libgcc / crt"
    if "/static/" in p and p.endswith(".o"):
        return "infx-exec (src/*.o)"
    return "linker padding, other"


NOBITS = (".bss", ".tbss")
SKIP_OUT = (".debug", ".comment", ".note.GNU-stack", ".gnu.attributes", ".stab")


def section_kind(out_sec):
    if out_sec in NOBITS:
        return "bss"
    if out_sec in (".text", ".init", ".fini", ".plt", ".iplt"):
        return "text"
    if out_sec.startswith(".rodata"):
        return "rodata"
    if out_sec in (".eh_frame", ".gcc_except_table", ".eh_frame_hdr"):
        return "eh_frame"
    return "data"


def relink_command(out_bin, map_file):
    """The Makefile's final link of build/infx-exec, without -s, into bench/out."""
    dry = subprocess.run(["make", "-n", "-W", "build/static/main.o", "build/infx-exec"], cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    text = dry.stdout.replace("\\\n", " ")
    for line in text.splitlines():
        words = shlex.split(line)
        if "-o" in words and "build/infx-exec" in words and "-static" in words:
            stale = [w for w in text.splitlines() if " -c " in w]
            words = [w for w in words if w != "-s"]
            i = words.index("-o")
            words[i + 1] = out_bin
            missing = [w for w in words if w.endswith(".o") and not os.path.exists(os.path.join(ROOT, w))]
            if missing:
                raise BenchError("objects not built yet: %s (run make first)" % " ".join(missing))
            return words + ["-Wl,-Map=" + map_file], len(stale)
    raise BenchError("no static link command for build/infx-exec in `make -n` output "
                     "(is build/deps.prefix there? run make first)")


def own_link(out_bin, map_file, jobs):
    """When build/static/ does not hold what the Makefile would link (a new
    module not compiled yet, stale objects): the Makefile's own commands for
    build/infx-exec (make -n -B), run with build/ moved to bench/out/build/,
    the final link without -s and with -Wl,-Map. Returns the link command."""
    dry = subprocess.run(["make", "-n", "-B", "-o", "build/deps.prefix", "build/infx-exec"], cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if dry.returncode != 0:
        raise BenchError("make -n failed: %s" % dry.stderr.strip()[-500:])
    lines = [l.strip() for l in dry.stdout.replace("\\\n", " ").splitlines() if l.strip()]
    moved = [re.sub(r"(?<![\w./-])build/", "bench/out/build/", l) for l in lines]
    link = [l for l in moved if " -o bench/out/build/infx-exec " in l + " " and " -static" in l]
    if not link:
        raise BenchError("no static link command for build/infx-exec in `make -n -B` output")
    compiles = [l for l in moved if " -c " in l]
    others = [l for l in moved if l not in compiles and l not in link]
    for l in others:
        sh(["sh", "-c", l], cwd=ROOT)
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for f in [pool.submit(sh, ["sh", "-c", l], cwd=ROOT) for l in compiles]:
            f.result()
    words = [w for w in shlex.split(link[-1]) if w != "-s"]
    words[words.index("-o") + 1] = out_bin
    cmd = words + ["-Wl,-Map=" + map_file]
    sh(cmd, cwd=ROOT)
    return cmd


# The static binaries of each platform (make, make ARCH=arm64), for the size
# table; one not built is left out.
PLATFORM_BINARIES = [("linux/amd64", "build/infx-exec"), ("linux/arm64", "build/arm64/infx-exec")]


def platform_sizes():
    rows = []
    for platform, rel in PLATFORM_BINARIES:
        path = os.path.join(ROOT, rel)
        if os.path.exists(path):
            desc = sh(["file", "-b", path]).strip() if which("file") else ""
            rows.append((platform, rel, os.path.getsize(path), desc))
    return rows


def bench_size(args, tmp):
    res = {"binary": args.bin, "bytes": os.path.getsize(args.bin), "platforms": platform_sizes()}
    res["size"] = sh(["size", args.bin]).strip()
    f = sh(["size", args.bin]).splitlines()[1].split()
    res["text"], res["data"], res["bss"] = int(f[0]), int(f[1]), int(f[2])
    res["file"] = sh(["file", "-b", args.bin]).strip() if which("file") else ""
    unstripped = os.path.join(OUT, "infx-exec.unstripped")
    map_file = os.path.join(OUT, "infx-exec.map")
    try:
        cmd, stale = relink_command(unstripped, map_file)
        if stale:
            raise BenchError("%d objects in build/static/ are older than their sources" % stale)
        sh(cmd, cwd=ROOT)
        res["how"] = "relinked"
    except BenchError as exc:
        if args.smoke:
            res["relink_error"] = "%s; the smoke run does not compile its own copy" % exc
            return res
        log("size: %s; compiling the Makefile's objects into bench/out/build/" % exc)
        try:
            cmd = own_link(unstripped, map_file, os.cpu_count() or 2)
            res["how"] = "compiled"
        except BenchError as exc2:
            res["relink_error"] = str(exc2)
            return res
    res["relink"] = " ".join(shlex.quote(w) for w in cmd)
    stripped_copy = os.path.join(tmp, "infx-exec.restripped")
    shutil.copy(unstripped, stripped_copy)
    sh(["strip", "-s", stripped_copy])
    res["relinked_stripped_bytes"] = os.path.getsize(stripped_copy)
    res["unstripped_bytes"] = os.path.getsize(unstripped)
    res["unstripped"] = unstripped

    items = parse_map(map_file)
    by = collections.OrderedDict((o, collections.Counter()) for o in ORIGINS)
    members = collections.Counter()
    ranges = []
    for out_sec, in_sec, start, size, path in items:
        if out_sec is None or out_sec.startswith(SKIP_OUT) or size == 0 or start == 0:
            continue
        origin = "linker padding, other" if path == "*fill*" else origin_of(path)
        kind = section_kind(out_sec)
        by[origin][kind] += size
        if kind != "bss":
            members[path] += size
        ranges.append((start, start + size, origin, path))
    ranges.sort()
    res["by_origin"] = by
    res["top_members"] = members.most_common(14)

    # nm: every sized symbol of the unstripped link, attributed by address.
    starts = [r[0] for r in ranges]
    nm_by = collections.Counter()
    syms = []
    for line in sh(["nm", "--size-sort", "-S", unstripped]).splitlines():
        parts = line.split()
        if len(parts) < 4:
            continue
        addr, size, typ, name = int(parts[0], 16), int(parts[1], 16), parts[2], parts[3]
        i = bisect.bisect_right(starts, addr) - 1
        origin = ranges[i][2] if i >= 0 and addr < ranges[i][1] else "linker padding, other"
        member = ranges[i][3] if i >= 0 and addr < ranges[i][1] else "?"
        if typ.lower() in ("b",):
            continue
        nm_by[origin] += size
        syms.append((size, name, typ, origin, member))
    syms.sort(reverse=True)
    res["nm_by_origin"] = nm_by
    res["top_symbols"] = syms[:15]
    # What-ifs that need no source change: the bundle as DER, no unwind tables.
    der = 0
    if os.path.exists(SYSTEM_BUNDLE):
        import base64
        pem = open(SYSTEM_BUNDLE).read()
        for blk in re.findall(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", pem, re.S):
            der += len(base64.b64decode("".join(blk.split())))
    res["bundle_der_bytes"] = der
    return res


# --------------------------------------------------------------------------- memory + bodies

def build_helpers(args):
    """bench/out/maxrss (static musl) and the parse drivers. Returns dict of
    paths; a helper that fails to build is left out, with the reason."""
    built, errors = {}, {}
    cc_musl = which("musl-gcc")
    maxrss = os.path.join(OUT, "maxrss")
    try:
        if not cc_musl:
            raise BenchError("musl-gcc not installed")
        sh([cc_musl, "-static", "-O2", "-o", maxrss, os.path.join(BENCH, "maxrss.c")])
        built["maxrss"] = maxrss
    except BenchError as exc:
        errors["maxrss"] = str(exc)
    # The library part of src/: every .c but the programs' mains (main.c, ...).
    srcs = sorted(os.path.join(ROOT, "src", f) for f in os.listdir(os.path.join(ROOT, "src"))
                  if f.endswith(".c") and not re.search(r"^int\s+main\s*\(",
                                                         open(os.path.join(ROOT, "src", f)).read(), re.M))
    common = ["-std=c11", "-D_DEFAULT_SOURCE", "-O2", "-g", "-I" + os.path.join(ROOT, "src"),
              "-DINFX_VERSION=\"bench\""]
    driver = os.path.join(BENCH, "parse_driver.c")
    # As shipped: musl, static, the same libcurl/OpenSSL/cJSON as build/infx-exec.
    try:
        prefix = open(os.path.join(ROOT, "build", "deps.prefix")).read().strip()
        if not cc_musl:
            raise BenchError("musl-gcc not installed")
        out = os.path.join(OUT, "parse_driver.musl")
        sh([cc_musl] + common + ["-ffunction-sections", "-fdata-sections", "-I" + prefix + "/include",
                                 "-static", "-Wl,--gc-sections", "-Wl,-Map=" + out + ".map",
                                 "-o", out, driver] + srcs +
           ["-L" + prefix + "/lib", "-lcurl", "-lcares", "-lssl", "-lcrypto", "-lz", "-lcjson"])
        built["driver_musl"] = out
    except (OSError, BenchError) as exc:
        errors["driver_musl"] = str(exc)[-700:]
    # As the brief's reference: glibc gcc against Debian's libcjson-dev.
    try:
        pc = sh(["pkg-config", "--cflags", "--libs", "libcurl", "libcjson"]).split()
        out = os.path.join(OUT, "parse_driver.glibc")
        sh(["gcc"] + common + ["-o", out, driver] + srcs + pc)
        built["driver_glibc"] = out
    except (OSError, BenchError) as exc:
        errors["driver_glibc"] = str(exc)[-700:]
    # For massif (which cannot see malloc in a static binary): the whole shim,
    # glibc, no sanitizers, against Debian's libcurl and libcjson.
    if not args.smoke:
        try:
            # The built-in roots and main.c's build_info.h, as make has them.
            sh(["make", "-s", "build/gen/ca_bundle.c", "build/plain/build_info.h"], cwd=ROOT)
            gen = os.path.join(ROOT, "build", "gen", "ca_bundle.c")
            pc = sh(["pkg-config", "--cflags", "--libs", "libcurl", "libcjson"]).split()
            out = os.path.join(OUT, "infx-exec.glibc")
            sh(["gcc"] + common + ["-I" + os.path.join(ROOT, "build", "plain"), "-o", out,
                                   os.path.join(ROOT, "src", "main.c"), gen] + srcs + pc)
            built["shim_glibc"] = out
        except (OSError, BenchError) as exc:
            errors["shim_glibc"] = str(exc)[-700:]
    return built, errors


def parse_massif(path, min_share=0.02):
    """The peak snapshot of a massif output: (heap B, extra B, [(depth, bytes, what)])."""
    lines = open(path, errors="replace").read().splitlines()
    i = next((k for k, l in enumerate(lines) if l == "heap_tree=peak"), None)
    if i is None:
        return None
    heap = extra = 0
    for l in lines[max(0, i - 6):i]:
        if l.startswith("mem_heap_B="):
            heap = int(l.split("=")[1])
        if l.startswith("mem_heap_extra_B="):
            extra = int(l.split("=")[1])
    rows = []
    for l in lines[i + 2:]:
        if not l.startswith(" "):
            break
        depth = len(l) - len(l.lstrip(" "))
        if depth > 2:
            continue
        m = re.match(r"\s*n\d+: (\d+) (.*)$", l)
        if not m:
            continue
        b, what = int(m.group(1)), m.group(2)
        if heap and b < min_share * heap:
            continue
        if depth == 2 and what.startswith("???"):
            continue    # inside a stripped library: says nothing
        what = re.sub(r"^0x[0-9A-Fa-f]+: ", "", what)
        what = what.replace(ROOT + "/", "")
        rows.append((depth, b, what))
    return heap, extra, rows


def bench_massif(args, tmp, pki, helpers, n=1000):
    shim = helpers.get("shim_glibc")
    if not shim or not which("valgrind"):
        return {}
    res = collections.OrderedDict()
    data_file = write_data(n, tmp)
    with Server(data_file) as s1, Server(data_file, tls=(pki["cert"], pki["key"])) as s2:
        for key, url, extra in (("HTTP", s1.url, {}),
                                ("HTTPS, full bundle", s2.url, {"SSL_CERT_FILE": pki["bundle"]})):
            out_file = os.path.join(OUT, "massif.%d.%s" % (n, re.sub(r"\W+", "-", key)))
            p = subprocess.run(["valgrind", "--tool=massif", "--massif-out-file=" + out_file,
                                "--detailed-freq=1", "--max-snapshots=400", "--threshold=1.0",
                                shim, "--", MISSING_COMMAND],
                               env=shim_env(url, INFX_MAX_SECRETS=str(max(2 * n, 10000)), **extra),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
            if p.returncode != 127 or not os.path.exists(out_file):
                res[key] = {"error": "exit %d: %s" % (p.returncode, p.stderr.decode(errors="replace")[-300:])}
                continue
            parsed = parse_massif(out_file)
            if parsed:
                res[key] = {"heap": parsed[0], "extra": parsed[1], "rows": parsed[2]}
    return {"n": n, "runs": res}


def callgrind(cmd, out_file, env=None, toggle=None):
    vg = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out_file]
    if toggle:
        vg.append("--toggle-collect=" + toggle)
    p = subprocess.run(vg + cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                       timeout=600)
    total = None
    if os.path.exists(out_file):
        for line in open(out_file, errors="replace"):
            if line.startswith("totals:") or line.startswith("summary:"):
                total = int(line.split()[1])
    return total, p


def annotate(out_file, inclusive=False, limit=20):
    """[(Ir, function, object)] from callgrind_annotate."""
    cmd = ["callgrind_annotate", "--threshold=100"]
    if inclusive:
        cmd.append("--inclusive=yes")
    txt = sh(cmd + [out_file])
    rows = []
    rx = re.compile(r"^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(\S+?):(.+?)(?:\s+\[(.*)\])?$")
    started = False
    for line in txt.splitlines():
        if "file:function" in line:
            started = True
            continue
        if not started:
            continue
        m = rx.match(line)
        if m:
            rows.append((int(m.group(1).replace(",", "")), m.group(3).strip(), m.group(2),
                         m.group(4) or ""))
    return rows[:limit] if limit else rows


def callgrind_lines(path):
    """Self cost per (source file, line) from a callgrind output file, inlined
    code included (fi=/fe= switch the file inside a function). The cost line
    after a calls= line is the call's inclusive cost and is not self cost."""
    names = {}
    cost = collections.Counter()
    cur_file = None
    last = 0
    skip = False
    rx_name = re.compile(r"^(fl|fi|fe|fn|cfi|cfl|cfn|ob|cob)=\((\d+)\)(?: (.*))?$")
    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        if not line:
            continue
        c = line[0]
        if c.isdigit() or c in "+-*":
            parts = line.split()
            tok = parts[0]
            if tok == "*":
                pos = last
            elif tok[0] in "+-":
                pos = last + int(tok)
            else:
                pos = int(tok)
            last = pos
            if skip:
                skip = False
                continue
            if len(parts) > 1 and cur_file:
                cost[(cur_file, pos)] += int(parts[1])
            continue
        if line.startswith("calls="):
            skip = True
            continue
        m = rx_name.match(line)
        if m:
            kind, ident, name = m.groups()
            key = (kind in ("fl", "fi", "fe", "cfi", "cfl") and "file") or kind
            if name:
                names[(key, ident)] = name
            if kind in ("fl", "fi", "fe"):
                cur_file = names.get(("file", ident))
    return cost


def source_functions(path):
    """[(first line, last line, name)] of the function definitions of a C file
    (K&R layout as in src/: signature at column 0, body from "{" to "}")."""
    out = []
    lines = open(path, errors="replace").read().splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^[A-Za-z_][\w \t\*]*?\b(\w+)\s*\(", lines[i])
        if m and not lines[i].rstrip().endswith(";") and not lines[i].startswith("typedef"):
            j = i
            while j < len(lines) and j < i + 8 and lines[j] != "{":
                if lines[j].rstrip().endswith(";"):
                    break
                j += 1
            if j < len(lines) and lines[j] == "{":
                k = j
                while k < len(lines) and lines[k] != "}":
                    k += 1
                out.append((i + 1, k + 1, m.group(1)))
                i = k + 1
                continue
        i += 1
    return out


def ours_by_function(cg_file):
    """Self cost of the project's own code by source function (src/*.c),
    inlined static functions under their own names."""
    lines = callgrind_lines(cg_file)
    ranges = {}
    res = collections.Counter()
    for (f, ln), c in lines.items():
        if not f.endswith(".c"):
            continue
        full = f if os.path.isabs(f) else os.path.join(ROOT, f)
        if os.path.dirname(full) != os.path.join(ROOT, "src"):
            continue
        if full not in ranges:
            ranges[full] = source_functions(full)
        name = next((n for a, b, n in ranges[full] if a <= ln <= b), "?")
        res["%s (%s)" % (name, os.path.basename(full))] += c
    return res


class MapIndex(dict):
    """function name -> origin, from a link map (section names .text.NAME
    with -ffunction-sections, and the symbol lines); .lookup(name) also
    resolves callgrind's "0x..." names (code without a symbol) by address,
    to the archive member that holds it."""

    def __init__(self):
        super().__init__()
        self.ranges = []
        self.starts = []

    def lookup(self, fn):
        if fn in self:
            return self[fn], fn
        if fn.startswith("0x") and self.starts:
            addr = int(fn, 16)
            i = bisect.bisect_right(self.starts, addr) - 1
            if i >= 0 and addr < self.ranges[i][1]:
                member = self.ranges[i][3]
                m = re.search(r"\(([^)]+)\)$", member)
                return self.ranges[i][2], "%s (%s)" % (fn, m.group(1) if m else os.path.basename(member))
        return "other", fn


def map_symbols(map_file):
    names = MapIndex()
    if not os.path.exists(map_file):
        return names
    for out_sec, in_sec, start, size, path in parse_map(map_file):
        if in_sec.startswith(".text."):
            names.setdefault(in_sec[6:], origin_of(path))
        if out_sec in (".text", ".init", ".fini") and size and path != "*fill*":
            names.ranges.append((start, start + size, origin_of(path), path))
    names.ranges.sort()
    names.starts = [r[0] for r in names.ranges]
    cur = None
    for line in open(map_file, errors="replace"):
        m = re.match(r"^\s+0x[0-9a-f]+\s+0x[0-9a-f]+\s+(\S+)$", line)
        if m:
            cur = origin_of(m.group(1))
            continue
        m = re.match(r"^\s+0x[0-9a-f]+\s+([A-Za-z_][\w.]*)$", line)
        if m and cur:
            names.setdefault(m.group(1), cur)
    return names


def short_origin(o):
    return {"infx-exec (src/*.o)": "infx-exec", "embedded CA bundle (infx_ca_bundle)": "CA bundle",
            "linker padding, other": "other"}.get(o, o)


def bench_memory_and_instructions(args, tmp, pki, helpers):
    sizes = sorted(set(args.rss_sizes) | set(args.ir_sizes))
    rss = collections.OrderedDict()
    bodies = {}
    maxrss = helpers.get("maxrss")
    base = {}
    if maxrss:
        for label, argv in (("/bin/true", ["/bin/true"]),
                            ("infx-exec --version", [args.bin, "--version"])):
            vals = [int(sh([maxrss] + argv).split()[0]) for _ in range(3)]
            base[label] = max(vals)
    for n in sizes:
        data_file = write_data(n, tmp)
        with Server(data_file) as s1, Server(data_file, tls=(pki["cert"], pki["key"])) as s2:
            token, body = fetch(s1.url)
            path = os.path.join(OUT, "body-%d.json" % n)
            with open(path, "wb") as fh:
                fh.write(body)
            bodies[n] = (path, len(body))
            if n not in args.rss_sizes or not maxrss:
                continue
            rss[n] = collections.OrderedDict()
            for key, url, extra in (("HTTP", s1.url, {}),
                                    ("HTTPS, private CA", s2.url, {"INFISICAL_CA_CERT_FILE": pki["ca"]}),
                                    ("HTTPS, full bundle", s2.url, {"SSL_CERT_FILE": pki["bundle"]}),
                                    ("HTTPS, hashed CA dir", s2.url, {"SSL_CERT_DIR": pki["certdir"]})):
                env = shim_env(url, INFX_MAX_SECRETS=str(max(n * 2, 10000)), **extra)
                vals = []
                for _ in range(args.rss_runs):
                    out = sh([maxrss, args.bin, "--", MISSING_COMMAND], env=env).split()
                    if int(out[1]) != 127:
                        raise BenchError("infx-exec exited %s (not 127) at %d secrets, %s" % (out[1], n, key))
                    vals.append(int(out[0]))
                rss[n][key] = max(vals)
    ir = collections.OrderedDict()
    ir_errors = {}
    profile = {}
    if which("valgrind"):
        for flavor in ("driver_musl", "driver_glibc"):
            drv = helpers.get(flavor)
            if not drv:
                continue
            ir[flavor] = collections.OrderedDict()
            for n in args.ir_sizes:
                out_file = os.path.join(OUT, "callgrind.%s.%d" % (flavor, n))
                total, p = callgrind([drv, bodies[n][0]], out_file, toggle="bench_step")
                if p.returncode != 0 or p.stdout.decode().strip() != str(n + 8):
                    # The driver calls the project's internal API, which may have
                    # moved on: report, do not fail the run.
                    errors = "%s on %d secrets: exit %d, printed %r (expected %d variables): %s" % (
                        os.path.basename(drv), n, p.returncode, p.stdout.decode().strip(), n + 8,
                        p.stderr.decode(errors="replace").strip()[-300:])
                    log(errors)
                    ir_errors[flavor] = errors
                    break
                ir[flavor][n] = total
            if flavor in ir_errors:
                del ir[flavor]
                continue
            # Where the instructions go at 1,000 (or the largest smoke size).
            pick = 1000 if 1000 in args.ir_sizes else max(args.ir_sizes)
            out_file = os.path.join(OUT, "callgrind.%s.%d" % (flavor, pick))
            names = map_symbols(drv + ".map") if flavor == "driver_musl" else {}
            rows = annotate(out_file, limit=0)
            by_origin = collections.Counter()
            by_fn = collections.Counter()
            for irc, fn, src, obj in rows:
                base_fn = fn.split("'")[0]
                if src.startswith("src/") or src.startswith(os.path.join(ROOT, "src")) or \
                        src.startswith("bench/") or src.startswith(BENCH):
                    o = "infx-exec"
                elif flavor == "driver_glibc":
                    o = ("cJSON" if "libcjson" in obj else "glibc" if "libc.so" in obj
                         else os.path.basename(obj) or "other")
                else:
                    o, base_fn = names.lookup(base_fn)
                    o = short_origin(o)
                by_origin[o] += irc
                by_fn[(base_fn, o)] += irc
            whatif = {}
            for mode, toggle in (("arena", "bench_step"), ("nulscan", "bench_nulscan")):
                wf = os.path.join(OUT, "callgrind.%s.%d.%s" % (flavor, pick, mode))
                total, p = callgrind([drv, bodies[pick][0], mode], wf, toggle=toggle)
                if p.returncode == 0:
                    whatif[mode] = total
                    out_words = p.stdout.decode().split()
                    if mode == "arena" and len(out_words) == 2:
                        whatif["tree_bytes"] = int(out_words[1])
            profile[flavor] = {"n": pick, "total": ir[flavor][pick], "by_origin": by_origin,
                               "whatif": whatif,
                               "top": by_fn.most_common(12), "ours": ours_by_function(out_file),
                               "by_fn": by_fn}
    return {"rss": rss, "rss_base": base, "bodies": bodies, "ir": ir, "profile": profile,
            "ir_errors": ir_errors}


def bench_whole_run(args, tmp, pki, unstripped):
    """callgrind of one complete run of the unstripped static link: where the
    shim's own instructions go (the server's time is not in it)."""
    if not unstripped or not which("valgrind"):
        return {}
    data_file = write_data(args.latency_secrets, tmp)
    res = collections.OrderedDict()
    names = map_symbols(os.path.join(OUT, "infx-exec.map"))
    with Server(data_file) as s1, Server(data_file, tls=(pki["cert"], pki["key"])) as s2:
        for key, url, extra in (("HTTP", s1.url, {}),
                                ("HTTPS, private CA", s2.url, {"INFISICAL_CA_CERT_FILE": pki["ca"]}),
                                ("HTTPS, full bundle", s2.url, {"SSL_CERT_FILE": pki["bundle"]}),
                                ("HTTPS, hashed CA dir", s2.url, {"SSL_CERT_DIR": pki["certdir"]})):
            out_file = os.path.join(OUT, "callgrind.whole.%s" % re.sub(r"\W+", "-", key))
            total, p = callgrind([unstripped, "--", MISSING_COMMAND], out_file,
                                 env=shim_env(url, **extra))
            if p.returncode != 127:
                res[key] = {"error": "exit %d: %s" % (p.returncode, p.stderr.decode(errors="replace")[-300:])}
                continue
            incl = annotate(out_file, inclusive=True, limit=0)
            want = ["curl_global_init", "http_new", "config_load", "auth_get_token", "secrets_fetch",
                    "curl_easy_perform", "secrets_parse", "environment_build", "kvset_free",
                    "SSL_CTX_load_verify_locations", "X509_STORE_load_file", "X509_STORE_load_locations",
                    "X509_load_cert_crl_file_ex", "X509_load_cert_crl_file", "OPENSSL_init_ssl",
                    "OPENSSL_init_crypto", "ossl_ssl_connect", "SSL_do_handshake", "ssl_connect",
                    "Curl_ssl_connect_nonblocking", "ossl_connect_common", "Curl_ossl_verifyhost",
                    "ossl_connect_step1", "ossl_connect_step2", "SSL_CTX_new", "SSL_CTX_new_ex",
                    "x509_pubkey_ex_d2i_ex", "OSSL_DECODER_CTX_new_for_pkey", "PEM_read_bio_ex",
                    "X509_LOOKUP_ctrl", "X509_STORE_CTX_get_by_subject", "by_dir_ctrl", "get_cert_by_subject",
                    "X509_verify_cert",
                    "exec_command", "api_init", "process_init"]
            seen = {}
            for irc, fn, src, obj in incl:
                base_fn = fn.split("'")[0]
                if base_fn in want and base_fn not in seen:
                    seen[base_fn] = irc
            excl = annotate(out_file, limit=0)
            by_origin = collections.Counter()
            for irc, fn, src, obj in excl:
                base_fn = fn.split("'")[0]
                if "/src/" in src or src.startswith("src/"):
                    o = "infx-exec"
                else:
                    o = short_origin(names.lookup(base_fn)[0])
                by_origin[o] += irc
            res[key] = {"total": total, "functions": seen, "by_origin": by_origin}
    return res


# --------------------------------------------------------------------------- many starts

def bench_herd(args, tmp, runner):
    data_file = write_data(args.latency_secrets, tmp)
    rate = {"window": 2, "write": 200, "secrets": 40}
    res = {"rate": rate, "runs": []}
    for count in args.herd_sizes:
        with Server(data_file, rate=rate) as srv:
            env = shim_env(srv.url)
            name = "herd-%d" % count
            open(os.path.join(runner.logdir, name + ".stderr"), "w").close()
            pending = {}
            t0 = time.perf_counter()
            for _ in range(count):
                pid = runner.spawn([args.bin, "--", "/bin/true"], env, name)
                pending[pid] = None
            spawned = time.perf_counter() - t0
            done = []
            failures = 0
            codes = collections.Counter()
            while pending:
                pid, status, _ = os.wait4(-1, 0)
                if pid not in pending:
                    continue
                del pending[pid]
                rc = os.waitstatus_to_exitcode(status)
                codes[rc] += 1
                if rc != 0:
                    failures += 1
                done.append(time.perf_counter() - t0)
            st = srv.stats()
            errs = collections.Counter()
            for line in open(os.path.join(runner.logdir, name + ".stderr"), errors="replace"):
                errs[re.sub(r"\d+", "N", line.strip())[:160]] += 1
            res["runs"].append({
                "count": count, "spawn_s": spawned, "last_s": max(done), "median_s": statistics.median(done),
                "failures": failures, "codes": dict(codes), "requests": st["total"],
                "routes": st["routes"], "connections": st["connections"], "minimum": 2 * count,
                "stderr": errs.most_common(4)})
            log("many starts: %d shims, last done after %.2f s, %d requests, %d failures"
                % (count, max(done), st["total"], failures))
    return res


# --------------------------------------------------------------------------- report

def machine_info(args):
    load = "%.2f %.2f %.2f" % os.getloadavg()
    cpu = "?"
    try:
        for line in sh(["lscpu"]).splitlines():
            if line.startswith("Model name:"):
                cpu = line.split(":", 1)[1].strip()
    except BenchError:
        pass
    dpkg = lambda p: first_line(["dpkg-query", "-W", "-f=${Version}", p])  # noqa: E731
    return collections.OrderedDict([
        ("CPU", "%s, %d online CPUs" % (cpu, os.cpu_count())),
        ("Kernel", "%s %s" % (platform.system(), platform.release())),
        ("OS", "Debian " + (open("/etc/debian_version").read().strip()
                            if os.path.exists("/etc/debian_version") else "?")),
        ("infx-exec", subprocess.run([args.bin, "--version"], stdout=subprocess.PIPE,
                                     text=True).stdout.strip().replace("\n", "; ")),
        ("curl", first_line(["curl", "--version"])),
        ("jq", first_line(["jq", "--version"])),
        ("sh", "dash " + dpkg("dash")),
        ("Node.js", args.node_version or "not installed"),
        ("@infisical/sdk", args.sdk_version or "not installed"),
        ("Python (test server)", first_line([PYTHON, "--version"])),
        ("valgrind", first_line(["valgrind", "--version"])),
        ("musl", dpkg("musl")),
        ("gcc", first_line(["gcc", "--version"])),
        ("Load average at start (1, 5, 15 min)", load),
    ])


ALLOC_RX = re.compile(r"malloc|free|get_meta|alloc_slot|alloc_group|enframe|alloc_meta|calloc|"
                      r"realloc|activate_group|try_avail|step_seq|size_to_class|get_stride|"
                      r"memset|explicit_bzero|_int_|unlink_chunk|tcache")


def where_it_goes(args, lat, size, mem, whole, herd):
    out = []
    cs = {c.key: c for c in lat["contenders"]}

    def med(k):
        c = cs.get(k)
        return statistics.median(c.times) if c and c.times else None

    # start-up with the full bundle
    sb, sc, sd = med("shim-https-bundle"), med("shim-https-ca"), med("shim-https-dir")
    fb, fc = med("floor-https-bundle"), med("floor-https-ca")
    if sb and sc and fb and fc:
        txt = ("**Start-up, HTTPS with the system bundle** (%.2fx the floor): loading %d PEM roots costs "
               "infx-exec %s (its median with the bundle minus with one private root) and curl %s. "
               % (sb / fb, lat["bundle_certs"], fmt_ms(sb - sc), fmt_ms(fb - fc)))
        wb = whole.get("HTTPS, full bundle", {})
        if wb.get("total"):
            fn = wb.get("functions", {})
            load = fn.get("X509_STORE_load_file") or fn.get("X509_load_cert_crl_file_ex") or 0
            dec = fn.get("OSSL_DECODER_CTX_new_for_pkey", 0)
            txt += ("In instructions: `X509_STORE_load_file` is %.0f%% of the whole run (%s of %s); "
                    "%.0f%% of the run is `OSSL_DECODER_CTX_new_for_pkey`, OpenSSL 3.0 setting up a "
                    "decoder context for every root's public key (x509_pubkey_ex_d2i_ex), i.e. the cost "
                    "is per certificate parsed, not PEM vs DER. musl libc (malloc/free, "
                    "pthread_rwlock, string functions, called by OpenSSL) is %.0f%% of the run; "
                    "glibc's are cheaper, hence curl's lower cost for the same file. "
                    % (100.0 * load / wb["total"], fmt_int(load), fmt_int(wb["total"]),
                       100.0 * dec / wb["total"], 100.0 * wb["by_origin"].get("musl libc", 0) / wb["total"]))
        if sd:
            wd = whole.get("HTTPS, hashed CA dir", {})
            txt += ("The same %d roots as a hashed directory (`SSL_CERT_DIR`, what /etc/ssl/certs is on "
                    "Debian) start in %s (%.2fx the bundle floor, %.2fx the one-root floor)%s: OpenSSL "
                    "then reads only the root the chain needs." % (lat["bundle_certs"], fmt_ms(sd), sd / fb, sd / fc,
                                          ", %s instructions in all" % fmt_int(wd["total"]) if wd.get("total") else ""))
        out.append(txt)
    # size
    if "by_origin" in size:
        b = size["bytes"]
        bo = size["by_origin"]

        def fb_(o):
            c = bo[o]
            return c["text"] + c["rodata"] + c["data"] + c["eh_frame"]
        eh = sum(c["eh_frame"] for c in bo.values())
        ca = fb_("embedded CA bundle (infx_ca_bundle)")
        out.append(
            "**Binary size** (%s, target 3 MB): OpenSSL is %s (libcrypto %.0f%%, libssl %.0f%%), libcurl "
            "%.0f%%, the embedded PEM roots %.0f%%, musl %.0f%%, cJSON and infx-exec's own code %.1f%%. "
            "Unwind tables (`.eh_frame`, C code that never unwinds) are %s across all origins; the "
            "roots as DER would save %s. Dropping both gets to about %s; the rest has to come out of "
            "OpenSSL (its providers reference every algorithm they offer through dispatch tables, so "
            "--gc-sections cannot drop them: only Configure `no-*` options, `-Os`, or a smaller TLS "
            "library can)." % (
                fmt_bytes(b), fmt_bytes(fb_("OpenSSL libcrypto") + fb_("OpenSSL libssl")),
                100.0 * fb_("OpenSSL libcrypto") / b, 100.0 * fb_("OpenSSL libssl") / b,
                100.0 * fb_("libcurl") / b, 100.0 * ca / b, 100.0 * fb_("musl libc") / b,
                100.0 * (fb_("cJSON") + fb_("infx-exec (src/*.o)")) / b, fmt_bytes(eh),
                fmt_bytes(ca - size.get("bundle_der_bytes", ca)),
                "%.2f MB" % ((b - eh - (ca - size.get("bundle_der_bytes", ca))) / 1e6)))
    # memory
    rss = mem.get("rss") or {}
    if 1000 in rss and 10 in rss:
        h1, h10 = rss[1000].get("HTTP"), rss[10].get("HTTP")
        txt = ("**Peak RSS at 1,000 secrets** (HTTP %s KiB): the fixed part is %s KiB at 10 secrets over "
               "HTTP; each secret adds about %.1f KiB, %.1fx its ~%d bytes of JSON. " % (
                   fmt_int(h1), fmt_int(h10), (h1 - h10) / 990.0,
                   (h1 - h10) * 1024.0 / (mem["bodies"][1000][1] - mem["bodies"][10][1]),
                   mem["bodies"][1000][1] / 1000))
        ms = (mem.get("massif") or {}).get("runs", {}).get("HTTP")
        if ms and "rows" in ms:
            top = [(b_, w_) for d_, b_, w_ in ms["rows"] if d_ == 1]
            cj = sum(b_ for b_, w_ in top if "cjson" in w_.lower())
            body = sum(b_ for b_, w_ in top if "wbuf" in w_ or "on_data" in w_)
            txt += ("At the heap's peak (massif, glibc build) the parsed cJSON tree holds %.0f%% "
                    "(%s: a 64-byte node plus a separately allocated key and string for every "
                    "one of the ~17 fields of every secret, though 3 are used) and the response "
                    "buffer %.0f%% (%s, grown by doubling; freed once parsed, before the merge). " % (100.0 * cj / ms["heap"], fmt_bytes(cj), 100.0 * body / ms["heap"],
                                     fmt_bytes(body)))
            tb = ((mem.get("profile") or {}).get("driver_musl") or {}).get("whatif", {}).get("tree_bytes")
            if tb and (mem.get("profile") or {}).get("driver_musl", {}).get("n") == 1000:
                txt += ("The same tree packed in an arena (driver experiment) takes %s: the rest is "
                        "per-block headers and allocator overhead. " % fmt_bytes(tb))
        if "HTTPS, private CA" in rss[10] and "HTTPS, full bundle" in rss[10]:
            txt += ("TLS adds %s KiB (OpenSSL's providers and SSL_CTX, one root), the system bundle "
                    "another %s KiB (%d decoded roots); the hashed directory instead: %s KiB over HTTP." % (
                        fmt_int(rss[10]["HTTPS, private CA"] - rss[10]["HTTP"]),
                        fmt_int(rss[10]["HTTPS, full bundle"] - rss[10]["HTTPS, private CA"]),
                        lat["bundle_certs"],
                        fmt_int(rss[10].get("HTTPS, hashed CA dir", 0) - rss[10]["HTTP"])))
        out.append(txt)
    # instructions
    p = (mem.get("profile") or {}).get("driver_musl")
    if p:
        tot = p["total"]
        alloc = sum(v for (fn, o), v in p["by_fn"].items() if o == "musl libc" and ALLOC_RX.search(fn))
        cj = p["by_origin"].get("cJSON", 0)
        ours = p.get("ours", collections.Counter())
        nul = sum(v for k, v in ours.items() if k.startswith("has_nul_escape"))
        n = p["n"]
        wi = p.get("whatif", {})
        extra = ""
        if "arena" in wi:
            extra += (" A bump arena for cJSON (driver experiment) gives %s (%+.0f%%)" % (
                fmt_int(wi["arena"] / n * 1000), 100.0 * (wi["arena"] - tot) / tot))
        if "nulscan" in wi and nul:
            extra += ("; a memchr-driven `\\u0000` scan costs %s instead of %s" % (
                fmt_int(wi["nulscan"] / n * 1000), fmt_int(nul / n * 1000)))
        if extra:
            extra += " (per 1,000 secrets)."
        top_ours = ", ".join("`%s` %.0f%%" % (k.split(" ")[0], 100.0 * v / tot)
                             for k, v in ours.most_common(3))
        out.append(
            "**Instructions, response -> environment** (%s per 1,000 secrets, %.0f per byte of the "
            "list answer): musl's malloc/free/memset are %.0f%% (cJSON allocates every node and "
            "string; the wiping hooks add a malloc_usable_size and an explicit_bzero per block), "
            "cJSON's parser "
            "%.0f%%, infx-exec's own code %.0f%%, mostly %s (`prescan`, one strcspn-driven pass "
            "over the body for NUL escapes and the value count, before cJSON walks it again); "
            "the environment itself (`environment_build`, kvsets) is small. Growth is "
            "linear (see the growth lines below). 2 M per 1,000 secrets is ~%.0f instructions per "
            "byte of this answer, which a parser that must look at every byte barely reaches even "
            "without allocating.%s" % (
                fmt_int(tot / n * 1000), tot / mem["bodies"][n][1], 100.0 * alloc / tot, 100.0 * cj / tot,
                100.0 * p["by_origin"].get("infx-exec", 0) / tot, top_ours,
                2e6 / (mem["bodies"][1000][1] if 1000 in mem["bodies"] else mem["bodies"][n][1] * 1000.0 / n),
                extra))
    # herd
    for r in herd["runs"]:
        if r["count"] == max(args.herd_sizes) and r["count"] > herd["rate"]["secrets"]:
            q = herd["rate"]["secrets"]
            waves = math.ceil(r["count"] / q)
            out.append(
                "**%d simultaneous starts**: %d requests = %.2fx the minimum. Every shim honours "
                "`Retry-After`, so all those refused retry together when the window reopens and "
                "%d of them are refused again: %d list requests for %d shims is exactly what "
                "synchronised retries give (%s), against %d if each refused shim waited for its own "
                "window. infx-exec adds up to 1 s of jitter to a Retry-After, which spreads the "
                "retries inside a window but not across windows when the window is this short." % (r["count"], r["requests"], r["requests"] / r["minimum"],
                                  r["count"] - q, r["routes"].get("list", 0), r["count"],
                                  " + ".join(str(r["count"] - k * q) for k in range(waves)),
                                  r["count"] + (r["count"] - q)))
    return out


def build_report(args, info, lat, size, mem, whole, herd, elapsed, helper_errors):
    md = []
    w = md.append
    mode = "smoke (tiny sizes, few runs: not representative)" if args.smoke else "full"
    w("# Benchmarks\n")
    w("Generated by `bench/run.sh%s` (%s) on %s in %.0f s. Do not edit by hand: run it again."
      % (" --smoke" if args.smoke else "", mode,
         datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), elapsed))
    w("Benchmarks are measurements, never test assertions; `make check` only runs the smoke mode "
      "to keep the harness working.\n")
    w("`bench/run.sh` (about 2 minutes) installs what is missing (bench/install.sh: Debian "
      "packages, and @infisical/sdk from npm into bench/node_modules), measures, writes this file "
      "and prints it; `bench/run.sh --smoke` (under a minute) measures tiny sizes and writes only "
      "bench/out/benchmarks-smoke.md. The pieces: bench/bench.py (the harness), bench/server.py "
      "(the test server in its own process), bench/entrypoint.sh (the sh + curl + jq script), "
      "bench/sdk-launcher.js (the Node SDK launcher), bench/parse_driver.c (the callgrind driver), "
      "bench/maxrss.c (peak RSS of a child).\n")
    w("## Machine\n")
    w(table(["", ""], [(k, v.replace("|", "\\|")) for k, v in info.items()], ["l", "l"]))
    w("")

    # ---------------- data for the targets
    cs = {c.key: c for c in lat["contenders"]}

    def med(key):
        c = cs.get(key)
        return statistics.median(c.times) if c and c.times else None

    targets = []
    for vkey, vname in (("http", "HTTP"), ("https-ca", "HTTPS, private CA"),
                        ("https-bundle", "HTTPS, full CA bundle"),
                        ("https-dir", "HTTPS, hashed CA dir, vs the one-root floor")):
        s, f = med("shim-" + vkey), med("floor-" + ("https-ca" if vkey == "https-dir" else vkey))
        if s and f:
            targets.append(("start-up <= %.2fx the floor (%s)" % (TARGETS["floor_ratio"], vname),
                            "%.2fx (%s vs %s)" % (s / f, fmt_ms(s), fmt_ms(f)), s / f <= TARGETS["floor_ratio"]))
    s = med("shim-http")
    n = med("node-http")
    if s and n:
        targets.append((">= %.0fx faster than the Node SDK launcher (HTTP)" % TARGETS["vs_node"],
                        "%.1fx (%s vs %s)" % (n / s, fmt_ms(s), fmt_ms(n)), n / s >= TARGETS["vs_node"]))
    else:
        targets.append((">= %.0fx faster than the Node SDK launcher" % TARGETS["vs_node"], "not measured", None))
    sc = med("script-http")
    if s and sc:
        targets.append((">= %.0fx faster than the sh + curl + jq script (HTTP)" % TARGETS["vs_script"],
                        "%.1fx (%s vs %s)" % (sc / s, fmt_ms(s), fmt_ms(sc)), sc / s >= TARGETS["vs_script"]))
    targets.append(("static binary <= 3 MB (stripped)",
                    "%s bytes = %.2f MB = %s" % (fmt_int(size["bytes"]), size["bytes"] / 1e6, fmt_bytes(size["bytes"])),
                    size["bytes"] <= TARGETS["binary_bytes"]))
    if 1000 in mem["rss"]:
        for k, v in mem["rss"][1000].items():
            targets.append(("peak RSS <= 4 MB at 1,000 secrets (%s)" % k,
                            "%s KiB = %.2f MiB" % (fmt_int(v), v / 1024.0), v <= TARGETS["rss_kib_1000"]))
    else:
        targets.append(("peak RSS <= 4 MB at 1,000 secrets", "not measured in this mode", None))
    irm = mem["ir"].get("driver_musl") or mem["ir"].get("driver_glibc") or {}
    if irm:
        big = max(irm)
        per = irm[big] / big * 1000
        targets.append(("<= 2 M instructions per 1,000 secrets (response -> environment, %d secrets, static musl build)" % big,
                        "%s" % fmt_int(per), per <= TARGETS["ir_per_1000"]))
    else:
        targets.append(("<= 2 M instructions per 1,000 secrets", "not measured", None))
    big_herd = [r for r in herd["runs"] if r["count"] == max(args.herd_sizes)]
    if big_herd:
        r = big_herd[0]
        ok = r["failures"] == 0 and r["requests"] <= TARGETS["herd_factor"] * r["minimum"]
        targets.append(("%d simultaneous starts: all succeed, requests <= 2x the minimum" % r["count"],
                        "%d failed, %d requests for a minimum of %d (%.2fx)" % (
                            r["failures"], r["requests"], r["minimum"], r["requests"] / r["minimum"]), ok))
    w("## Targets\n")
    w(table(["target", "measured", "result"], [(t, m_, mark(ok)) for t, m_, ok in targets],
            ["l", "l", "l"]))
    w("")
    notes = where_it_goes(args, lat, size, mem, whole, herd)
    if notes:
        w("## Where the time, bytes and instructions go\n")
        w("Computed from the sections below, for the targets missed or close to their limit.\n")
        for n_ in notes:
            w("- " + n_)
        w("")

    # ---------------- start-up
    w("## Start-up latency\n")
    w("Wall time from `posix_spawn` of the launcher until the real command (`/bin/true`) has exited "
      "(every step's exit status checked), %d runs per row after %d warm-up rounds; the rows run "
      "interleaved in a shuffled order each round, so drift hits every row alike. Same test server "
      "(tests/infisical_server.py in its own process, Python, 127.0.0.1), same %d secrets "
      "(`prod:/`, ~%d bytes of JSON per list answer). CPU = user + system time of the launcher "
      "and its children. Ratio = median / median of the floor with the same transport."
      % (args.runs, args.warmup, lat["secrets"], mem["bodies"].get(args.latency_secrets, (None, 0))[1]))
    w("")
    floors = {c.transport: c for c in lat["contenders"] if c.group == "floor" and c.times}
    for c in lat["contenders"]:
        if c.key == "shim-https-dir" and "floor-https-ca" in cs and cs["floor-https-ca"].times:
            floors[c.transport] = cs["floor-https-ca"]
    rows = []
    for c in lat["contenders"]:
        if c.error:
            rows.append((c.label, c.transport, "failed: " + c.error.replace("|", "/")[:120], "", "", "", "", ""))
            continue
        if not c.times:
            continue
        m = statistics.median(c.times)
        fl = floors.get(c.transport)
        ratio = "%.2fx" % (m / statistics.median(fl.times)) if fl else ""
        req = "" if c.requests is None else "%d / %d" % (c.requests, c.connections)
        rows.append((c.label + (" (%s)" % c.note if c.note else ""), c.transport, fmt_ms(m), fmt_ms(pct(c.times, 95)), ratio,
                     fmt_ms(statistics.median(c.cpu)), req,
                     "%d/%d" % (len(c.times), len(c.times) + c.failures)))
    w(table(["launcher", "transport", "median", "p95", "vs floor", "CPU (median)",
             "requests / connections per start", "ok runs"], rows,
            ["l", "l", "r", "r", "r", "r", "r", "r"]))
    w("")
    w("The floor is curl(1) sending the same login and the same list request on one kept-alive "
      "connection (`--next`), then `/bin/true`: the cost of the two round trips plus one process "
      "start each. curl cannot feed the login's token into the second request, so the list carries "
      "a token obtained from the same server beforehand (equally valid; the server verifies it the "
      "same way). Debian's curl loads its built-in CA bundle even when given `--capath`, so the "
      "hashed-directory row is compared with the one-root floor (one root is what a directory "
      "lookup loads). The sh + curl + jq script and the Node launcher are in bench/; they produce the "
      "same environment as infx-exec (checked before timing: every secret present with its value).")
    w("")
    sdk_paths = [c for c in lat["contenders"] if c.group == "node" and c.paths]
    if sdk_paths:
        w("Requests the SDK launcher made (from the test server's log): " + "; ".join(
            sorted("`%s` x%d" % (k.split("?")[0], v) for k, v in sdk_paths[0].paths.items())) +
          ". The SDK (v%s) lists with `GET /api/v3/secrets/raw`, which the test server serves; "
          "infx-exec uses `GET /api/v4/secrets`." % args.sdk_version)
        w("")
    if lat.get("round_trips"):
        rows = []
        for vkey, rt in lat["round_trips"].items():
            fl = cs.get("floor-" + vkey)
            shim = cs.get("shim-" + vkey)
            both = rt["login"] + rt["list"]
            rows.append((rt["label"], fmt_ms(rt["connect"]), fmt_ms(rt["login"]),
                         fmt_ms(rt["list"]),
                         fmt_ms(statistics.median(fl.times)) if fl and fl.times else "",
                         fmt_ms(statistics.median(fl.times) - both) if fl and fl.times else "",
                         fmt_ms(statistics.median(shim.times) - both) if shim and shim.times else ""))
        w("Where the floor's time goes (curl's own `-w` timers, median of %d runs): the connection "
          "(TCP; for HTTPS also loading the CA file, which curl does while connecting, and the TLS "
          "handshake), the login request including that connection, and the list request on the "
          "same connection. The rest of the floor is process start-up (curl is dynamically linked: "
          "`curl --version` alone is in the table above) and `/bin/true`. Last column: the same "
          "remainder for infx-exec (its median minus curl's two requests), i.e. its own start-up, "
          "JSON and environment work and the exec, plus whatever its CA loading costs more than "
          "curl's.\n" % max(5, args.runs // 2))
        w(table(["transport", "connected", "login (with connect)", "list", "floor median",
                 "floor minus requests", "infx-exec minus requests"], rows))
        w("")

    # ---------------- size
    w("## Size\n")
    w("`%s`: %s bytes (%s), %s.\n" % (args.bin_name, fmt_int(size["bytes"]),
                                      fmt_bytes(size["bytes"]), size.get("file", "")))
    if size.get("platforms"):
        w(table(["platform", "binary", "bytes", "`file`"], align=["l", "l", "r", "l"], rows=
                [(p, "`%s`" % rel, fmt_int(b), d) for p, rel, b, d in size["platforms"]]) + "\n")
    w("```\n$ size %s\n%s\n```\n" % (args.bin_name, size["size"].replace(args.bin, args.bin_name)))
    if "relink_error" in size:
        w("Symbol map not made: %s\n" % size["relink_error"])
    else:
        if size["how"] == "relinked":
            how = ("the Makefile's final link re-run on build/static/*.o without `-s` and with "
                   "`-Wl,-Map` (bench/out/infx-exec.unstripped, .map).")
        else:
            how = ("build/static/ did not hold what the Makefile links (a module not compiled yet, "
                   "or stale objects), so the Makefile's own compile and link commands (`make -n -B`) "
                   "were run into bench/out/build/, the link without `-s` and with `-Wl,-Map` "
                   "(bench/out/infx-exec.unstripped, .map).")
        if size["relinked_stripped_bytes"] != size["bytes"]:
            note = (" **Note:** that link, stripped, is %s bytes, not %s: %s was built from other "
                    "sources or objects than the current ones." % (
                        fmt_int(size["relinked_stripped_bytes"]), fmt_int(size["bytes"]), args.bin_name))
        else:
            note = " Stripped, it is exactly as large as %s." % args.bin_name
        w("Contributors: " + how + note + " Bytes per origin from the "
          "linker map's input sections (code, read-only data, data, unwind tables; bss takes no file "
          "space), cross-checked by `nm --size-sort -S` symbol sizes attributed by address.\n")
        rows = []
        tot = collections.Counter()
        for o, c in size["by_origin"].items():
            fileb = c["text"] + c["rodata"] + c["data"] + c["eh_frame"]
            tot.update(c)
            if not fileb and not c["bss"]:
                continue
            rows.append((o, fmt_int(fileb), "%.1f%%" % (100.0 * fileb / size["bytes"]),
                         fmt_int(c["text"]), fmt_int(c["rodata"]), fmt_int(c["data"]),
                         fmt_int(c["eh_frame"]), fmt_int(c["bss"]), fmt_int(size["nm_by_origin"].get(o, 0))))
        fb = tot["text"] + tot["rodata"] + tot["data"] + tot["eh_frame"]
        rows.append(("**total**", fmt_int(fb), "%.1f%%" % (100.0 * fb / size["bytes"]), fmt_int(tot["text"]),
                     fmt_int(tot["rodata"]), fmt_int(tot["data"]), fmt_int(tot["eh_frame"]), fmt_int(tot["bss"]),
                     fmt_int(sum(size["nm_by_origin"].values()))))
        w(table(["origin", "file bytes", "of binary", "code", "rodata", "data", ".eh_frame", "bss",
                 "nm symbols"], rows))
        w("")
        w("The rest of the file (%s bytes) is ELF headers, `.eh_frame_hdr`, section headers and "
          "page alignment between segments.\n" % fmt_int(size["bytes"] - fb))
        w("Largest archive members:\n")
        w(table(["member", "bytes"], [(os.path.basename(os.path.dirname(p)) + "/" + os.path.basename(p)
                                        if "(" not in p else os.path.basename(p), fmt_int(b))
                                       for p, b in size["top_members"]], ["l", "r"]))
        w("")
        w("Largest symbols (`nm --size-sort -S`):\n")
        w(table(["symbol", "type", "bytes", "origin"],
                [("`%s`" % name, typ, fmt_int(sz), short_origin(o)) for sz, name, typ, o, _ in size["top_symbols"]],
                ["l", "l", "r", "l"]))
        w("")
        if size.get("bundle_der_bytes"):
            ca = size["by_origin"]["embedded CA bundle (infx_ca_bundle)"]
            w("The embedded CA bundle is PEM text (%s bytes); the same certificates as DER would take "
              "%s bytes.\n" % (fmt_int(ca["rodata"] + ca["data"]), fmt_int(size["bundle_der_bytes"])))

    # ---------------- memory
    w("## Peak memory\n")
    if mem["rss"]:
        w("Peak RSS (`ru_maxrss` from wait4, largest of %d runs) of `infx-exec -- %s`: the command does "
          "not exist, so the shim fetches, builds the whole environment, fails its execve and exits "
          "127; its peak is the process's peak. Measured through bench/maxrss.c, a static helper that "
          "forks and waits (Linux folds the pre-exec address space of the parent into a child's "
          "ru_maxrss, so a child of Python would report Python's size). `INFX_MAX_SECRETS` raised "
          "for 10,000. Reference: `/bin/true` %s KiB, `infx-exec --version` %s KiB.\n" % (
              args.rss_runs, MISSING_COMMAND, fmt_int(mem["rss_base"].get("/bin/true", 0)),
              fmt_int(mem["rss_base"].get("infx-exec --version", 0))))
        keys = list(next(iter(mem["rss"].values())).keys())
        rows = []
        for n, d in mem["rss"].items():
            rows.append(["%s" % fmt_int(n), fmt_bytes(mem["bodies"][n][1])] +
                        ["%s KiB (%.2f MiB)" % (fmt_int(d[k]), d[k] / 1024.0) for k in keys])
        w(table(["secrets", "list answer"] + keys, rows))
        w("")
        ms = mem.get("massif") or {}
        if ms.get("runs"):
            w("Heap at its peak, %s secrets (valgrind massif; massif cannot see malloc in a static "
              "binary, so this is the same source built with glibc against Debian's libcurl, OpenSSL "
              "and libcjson, no sanitizers: bench/out/infx-exec.glibc; Debian's libcurl also brings "
              "libraries the static build does not have, e.g. libtasn1). Allocation sites at depth 1 "
              "(who called malloc) and 2 (their callers), those above 2%% of the peak:\n" % fmt_int(ms["n"]))
            for key, r in ms["runs"].items():
                if "error" in r:
                    w("- %s: massif failed: %s" % (key, r["error"]))
                    continue
                w("%s: peak heap %s + %s of allocator overhead.\n" % (
                    key, fmt_bytes(r["heap"]), fmt_bytes(r["extra"])))
                w(table(["allocated by", "bytes", "share"],
                        [(("&nbsp;&nbsp;&nbsp;&nbsp;" if d == 2 else "") + "`%s`" % what.replace("|", "/")[:110],
                          fmt_int(b), "%.0f%%" % (100.0 * b / r["heap"])) for d, b, what in r["rows"]],
                        ["l", "r", "r"]))
                w("")

    # ---------------- instructions
    w("## Instructions: response -> environment\n")
    if mem["ir"]:
        w("`valgrind --tool=callgrind --toggle-collect=bench_step` on bench/parse_driver.c, which runs "
          "what src/secrets.c and src/main.c do with one list answer once it has arrived "
          "(`secrets_parse`, the merge into the result set, the `${...}` check, `environment_build`, "
          "freeing the secrets) on a body saved from the test server. The driver links the project's "
          "own src/*.c: once statically with musl against the same libcurl/OpenSSL/cJSON as "
          "build/infx-exec (what ships), once with glibc against Debian's libcjson-dev.\n")
        rows = []
        flavors = list(mem["ir"].keys())
        for n in args.ir_sizes:
            row = [fmt_int(n), fmt_bytes(mem["bodies"][n][1])]
            for fl in flavors:
                t = mem["ir"][fl][n]
                row += [fmt_int(t), fmt_int(t / n * 1000), "%.1f" % (t / mem["bodies"][n][1])]
            rows.append(row)
        hdr = ["secrets", "body"]
        for fl in flavors:
            nm_ = "musl static" if fl == "driver_musl" else "glibc + Debian cJSON"
            hdr += ["Ir, %s" % nm_, "per 1,000 secrets", "per body byte"]
        w(table(hdr, rows))
        w("")
        for fl in flavors:
            d = mem["ir"][fl]
            if len(d) >= 2:
                ns = sorted(d)
                a, b = ns[-2], ns[-1]
                w("Growth (%s): %s -> %s secrets costs %.2fx the instructions for %.0fx the secrets "
                  "(per secret: %.2fx); linear growth gives 1.00x per secret, quadratic %.0fx.\n" % (
                      "musl" if fl == "driver_musl" else "glibc", fmt_int(a), fmt_int(b),
                      d[b] / d[a], b / a, (d[b] / b) / (d[a] / a), b / a))
        for fl, p in mem["profile"].items():
            w("Where they go at %s secrets (%s, exclusive cost by function and by origin):\n" % (
                fmt_int(p["n"]), "musl static" if fl == "driver_musl" else "glibc"))
            w(table(["origin", "Ir", "share"], [(o, fmt_int(v), "%.1f%%" % (100.0 * v / p["total"]))
                                                for o, v in p["by_origin"].most_common()]))
            w("")
            w(table(["function", "origin", "Ir", "share"],
                    [("`%s`" % fn, o, fmt_int(v), "%.1f%%" % (100.0 * v / p["total"]))
                     for (fn, o), v in p["top"]], ["l", "l", "r", "r"]))
            w("")
            wi = p.get("whatif", {})
            if wi and fl == "driver_musl":
                nul = sum(v for k, v in p.get("ours", {}).items() if k.startswith("has_nul_escape"))
                w("What-ifs, measured with the same driver (bench/parse_driver.c modes; src/ unchanged):\n")
                rows = []
                if "arena" in wi:
                    rows.append(("cJSON's blocks on one bump arena (one malloc, one explicit_bzero at "
                                 "the end) instead of api.c's per-block wiping hooks",
                                 fmt_int(p["total"]), fmt_int(wi["arena"]),
                                 "%+.0f%%" % (100.0 * (wi["arena"] - p["total"]) / p["total"])))
                if "nulscan" in wi and nul:
                    rows.append(("the `\\u0000` check as a memchr('\\\\') scan instead of "
                                 "has_nul_escape's byte loop", fmt_int(nul), fmt_int(wi["nulscan"]),
                                 "%+.0f%% of the step" % (100.0 * (wi["nulscan"] - nul) / p["total"])))
                w(table(["change (at %s secrets)" % fmt_int(p["n"]), "Ir now", "Ir then", "difference"], rows,
                        ["l", "r", "r", "r"]))
                w("")
            if p.get("ours") and fl == "driver_musl":
                w("The infx-exec share by source function (self cost from callgrind's line data, so "
                  "static functions the compiler inlined are counted under their own name):\n")
                w(table(["function", "Ir", "share of the step"],
                        [("`%s`" % k, fmt_int(v), "%.1f%%" % (100.0 * v / p["total"]))
                         for k, v in p["ours"].most_common(8)], ["l", "r", "r"]))
                w("")
    else:
        w("Not measured (valgrind or the driver missing or failing: %s).\n" % (
            "; ".join("%s: %s" % kv for kv in list(helper_errors.items()) + list(mem["ir_errors"].items()))
            or "valgrind not installed"))
    if whole:
        w("### Whole run of the shim, for reference\n")
        w("callgrind of one complete run of the unstripped static link (%d secrets, command missing "
          "so it exits 127): every instruction the shim executes, server time excluded. Inclusive "
          "cost of the main steps:\n" % args.latency_secrets)
        keys = list(whole.keys())
        fns = []
        for k in keys:
            for f in whole[k].get("functions", {}):
                if f not in fns:
                    fns.append(f)
        rows = [["**total**"] + [fmt_int(whole[k].get("total") or 0) for k in keys]]
        for f in fns:
            rows.append(["`%s`" % f] + [fmt_int(whole[k].get("functions", {}).get(f, 0)) for k in keys])
        w(table(["function (inclusive Ir)"] + keys, rows))
        w("")
        origins = []
        for k in keys:
            for o in whole[k].get("by_origin", {}):
                if o not in origins:
                    origins.append(o)
        rows = [[o] + ["%s (%.0f%%)" % (fmt_int(whole[k]["by_origin"].get(o, 0)),
                                        100.0 * whole[k]["by_origin"].get(o, 0) / whole[k]["total"])
                       if whole[k].get("total") else "" for k in keys] for o in origins]
        w("By origin (exclusive):\n")
        w(table(["origin"] + keys, rows))
        w("")

    # ---------------- herd
    w("## Many starts at once\n")
    rate = herd["rate"]
    w("N copies of `infx-exec -- /bin/true` spawned back to back against one test server that "
      "enforces its rate limit (`rate_limit=True`, a fixed window of %d s, %d logins and %d secret "
      "reads per window and client IP; past it: 429 with `Retry-After` = seconds left in the "
      "window). All shims come from 127.0.0.1, so they share one quota, as containers behind one "
      "NAT would. Minimum = 2 requests per shim.\n" % (rate["window"], rate["write"], rate["secrets"]))
    rows = []
    for r in herd["runs"]:
        rows.append((r["count"], "%.2f s" % r["spawn_s"], "%.2f s" % r["median_s"], "%.2f s" % r["last_s"],
                     "%d (%s)" % (r["requests"], ", ".join("%s %d" % kv for kv in sorted(r["routes"].items()))),
                     "%.2fx" % (r["requests"] / r["minimum"]), r["failures"]))
    w(table(["shims", "all spawned after", "median done", "last command ran", "requests",
             "vs minimum", "failures"], rows))
    w("")
    for r in herd["runs"]:
        if r["stderr"]:
            w("Most frequent stderr lines with %d shims: %s\n" % (r["count"], "; ".join(
                "`%s` x%d" % (l, k) for l, k in r["stderr"])))
    w("Lower bound of the last start with this quota: ceil(N / %d) - 1 full windows of %d s, "
      "i.e. %s.\n" % (rate["secrets"], rate["window"], ", ".join(
          "%.0f s for %d" % ((math.ceil(r["count"] / rate["secrets"]) - 1) * rate["window"], r["count"])
          for r in herd["runs"])))
    w("## Method and caveats\n")
    w("- Everything runs on one machine: the test server, the timing loop and the launchers share "
      "%d CPUs, and whatever else runs there (see the load averages above) widens the p95s. The "
      "server is Python; its time is in every row, so ratios to the floor are the meaningful "
      "numbers, and absolute milliseconds are lower bounds of what a real Infisical behind a "
      "network adds." % os.cpu_count())
    w("- bench/server.py runs tests/infisical_server.py unchanged except for `TCP_NODELAY` on "
      "accepted connections (Node's http server, hence Infisical's, sets it by default). Without "
      "it the test server writes a response's headers and body in two sends and, over TLS, every "
      "response waits ~40 ms for the client's delayed ACK, which would hide everything else in the "
      "HTTPS rows (`bench/server.py --no-nodelay` to see it).")
    w("- Timing: `posix_spawn` + `wait4` from Python with the garbage collector off; each round "
      "runs every row once, in a shuffled order; warm-up rounds are discarded.")
    w("- `bench/run.sh --smoke` uses tiny sizes and a handful of runs; its numbers only show that "
      "the harness works.")
    w("- Work files (unstripped link, map, callgrind outputs, saved bodies, stderr of every "
      "launcher) are in bench/out/.")
    return "\n".join(md) + "\n"


# --------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "infx-exec"))
    ap.add_argument("--out", help="report file (default docs/benchmarks.md, smoke: bench/out/benchmarks-smoke.md)")
    ap.add_argument("--runs", type=int)
    args = ap.parse_args()
    args.bin = os.path.abspath(args.bin)
    t_start = time.time()
    if not os.access(args.bin, os.X_OK):
        log("%s is not built: run make first" % args.bin)
        return 1
    if args.smoke:
        args.runs = args.runs or 5
        args.warmup = 1
        args.latency_secrets = 100
        args.rss_sizes = [10]
        args.ir_sizes = [10, 100]
        args.herd_sizes = [10]
        args.rss_runs = 1
        out_file = args.out or os.path.join(OUT, "benchmarks-smoke.md")
    else:
        args.runs = args.runs or 60
        args.warmup = 5
        args.latency_secrets = 100
        args.rss_sizes = [10, 1000, 10000]
        args.ir_sizes = [10, 100, 1000, 10000]
        args.herd_sizes = [50, 200]
        args.rss_runs = 3
        out_file = args.out or os.path.join(ROOT, "docs", "benchmarks.md")
    os.makedirs(OUT, exist_ok=True)
    node = which("node")
    args.node_version = first_line([node, "--version"]) if node else None
    sdk_pkg = os.path.join(BENCH, "node_modules", "@infisical", "sdk", "package.json")
    args.sdk_version = json.load(open(sdk_pkg))["version"] if os.path.exists(sdk_pkg) else None
    if not args.sdk_version:
        log("@infisical/sdk is not installed (bench/install.sh): the Node row is skipped")
    for tool in ("curl", "jq", "valgrind"):
        if not which(tool):
            log("%s is not installed (bench/install.sh): its rows are skipped" % tool)

    for old in os.listdir(OUT):
        if old.startswith("run-"):
            shutil.rmtree(os.path.join(OUT, old), ignore_errors=True)
    tmp = tempfile.mkdtemp(prefix="run-", dir=OUT)
    # A private copy: a rebuild of build/ during the run must not pull the
    # binary from under the measurements.
    args.bin_name = os.path.relpath(args.bin, ROOT)
    snapshot = os.path.join(tmp, "infx-exec")
    shutil.copy2(args.bin, snapshot)
    args.bin = snapshot
    logdir = os.path.join(tmp, "logs")
    os.makedirs(logdir)
    runner = Runner(logdir)
    ca = certs.make_ca(tmp)
    cert, key = certs.make_server_cert(tmp, ca, names=["127.0.0.1", "localhost"])
    pki = {"ca": ca[0], "cert": cert, "key": key,
           "bundle": os.path.join(tmp, "bundle-with-test-ca.pem")}
    # The realistic trust store: the system's roots (what infx-exec loads by
    # default on Debian) plus the test CA that signed the server.
    with open(pki["bundle"], "w") as out, open(SYSTEM_BUNDLE) as a, open(pki["ca"]) as b:
        out.write(a.read() + b.read())
    # The same roots as a hashed directory (what /etc/ssl/certs is on Debian):
    # OpenSSL then loads only the root a chain needs, when it needs it.
    pki["certdir"] = os.path.join(tmp, "certdir")
    os.makedirs(pki["certdir"])
    pem = open(pki["bundle"]).read()
    for i, blk in enumerate(re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", pem, re.S)):
        with open(os.path.join(pki["certdir"], "root-%03d.pem" % i), "w") as fh:
            fh.write(blk + "\n")
    sh(["openssl", "rehash", pki["certdir"]])

    info = machine_info(args)
    log("start-up latency")
    lat = bench_latency(args, tmp, pki, runner)
    log("size")
    size = bench_size(args, tmp)
    log("helpers (maxrss, parse drivers)")
    helpers, helper_errors = build_helpers(args)
    for k, v in helper_errors.items():
        log("could not build %s: %s" % (k, v))
    log("peak memory and instructions")
    mem = bench_memory_and_instructions(args, tmp, pki, helpers)
    whole = {}
    if not args.smoke:
        log("whole-run profile")
        whole = bench_whole_run(args, tmp, pki, size.get("unstripped"))
    massif = {}
    if not args.smoke:
        log("heap profile (massif)")
        massif = bench_massif(args, tmp, pki, helpers)
    log("many starts")
    herd = bench_herd(args, tmp, runner)
    mem["massif"] = massif
    info["Load average at end"] = "%.2f %.2f %.2f" % os.getloadavg()
    report = build_report(args, info, lat, size, mem, whole, herd, time.time() - t_start, helper_errors)
    os.makedirs(os.path.dirname(out_file), exist_ok=True)
    with open(out_file, "w", encoding="utf-8") as fh:
        fh.write(report)
    sys.stdout.write(report)
    log("report written to %s (%.0f s)" % (os.path.relpath(out_file, ROOT), time.time() - t_start))
    shim_failed = [c for c in lat["contenders"] if c.group == "shim" and (c.error or c.failures)]
    if shim_failed:
        log("infx-exec itself failed: %s" % ", ".join("%s %s" % (c.transport, c.error or "%d failures" % c.failures)
                                                      for c in shim_failed))
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        log(str(exc))
        sys.exit(1)
