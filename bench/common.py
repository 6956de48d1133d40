"""What every part of the benchmark harness shares: paths, the generated
data, the test server in its own process, process timing, small helpers.

Used by bench/measure.py and the modules it imports (startup.py, sizes.py,
costs.py). Standard library only.
"""
import json
import math
import os
import random
import shutil
import ssl
import subprocess
import sys
import time
import urllib.parse
import urllib.request

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
OUT = os.path.join(BENCH, "out")

PYTHON = "/usr/bin/python3"
PROJECT = "7e2f4a10-3b1c-4d5e-9f60-bench0000001"
IDENTITY = "1d2c3b4a-0000-4000-8000-bench0000001"
CLIENT_ID = "bench-client-id-0001"
CLIENT_SECRET = "bench-client-secret-0123456789abcdef"
ENVIRONMENT = "prod"
SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
SYSTEM_CA_DIR = "/etc/ssl/certs"
# The shim exits 127 after building its environment: its peak is the run's.
MISSING_COMMAND = "/nonexistent/bench-command"
BASE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/root", "LANG": "C.UTF-8"}


_T0 = time.time()


def log(msg):
    """One progress line on stderr, with the seconds since the start."""
    sys.stderr.write("bench: [%3.0f s] %s\n" % (time.time() - _T0, msg))
    sys.stderr.flush()


class BenchError(Exception):
    """The harness itself cannot go on (not a missed target)."""


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


def ratio(a, b):
    """a / b, or None when either is missing."""
    return a / b if a is not None and b else None


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
