"""Shared fixtures: the shim binaries under test, the local Infisical server,
a throwaway CA, and run() which starts the shim with an exact environment.

INFX_BINARIES (space-separated) names the builds to test; every test that
uses the `shim` fixture runs once per build (make check: dev and static).

INFX_RUNNER (space-separated words, e.g. "qemu-aarch64-static") starts each
binary under test, for a build of another architecture (make check-arm64):
every place a test starts the shim goes through shim_command(). Under a
runner, tests that inspect the shim's own process (marked native_only) are
skipped, and tests that start no binary at all are not collected (they ran
in make check already).
"""
import copy
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
sys.path.insert(0, str(TESTS))

from infisical_server import InfisicalServer  # noqa: E402
import certs  # noqa: E402
# The container engine's fixtures (podman, its images, the Docker API).
from engine import (busybox_image, docker_api, podman,  # noqa: E402,F401
                    python_image, shim_image)

PROJECT = "6b9840a0-8e69-42a9-879e-c8f739eadf8a"
MEMBER = {"id": "0b4f5e3c-member-client-id",
          "secret": "member-client-secret-0123456789abcdef"}
OUTSIDER = {"id": "1c5a6f4d-outsider-client-id",
            "secret": "outsider-client-secret-fedcba9876543210"}
STATIC_TOKEN = "static-access-token-for-tests.aGVsbG8.d29ybGQ"
CREDENTIAL_VARS = [
    "INFISICAL_UNIVERSAL_AUTH_CLIENT_ID",
    "INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET",
    "INFISICAL_TOKEN",
]
# What the command must receive for dev "/" of the samples, references
# expanded by the server, the staging import's API_KEY shadowed.
DEV_ROOT = {
    "DATABASE_URL": "postgres://app:fake-pass@db.internal:5432/app",
    "API_KEY": "fake-api-key-123",
    "MULTILINE_PEM": "-----BEGIN FAKE KEY-----\nline1\nline2\n"
                     "-----END FAKE KEY-----",
    "SPECIAL_CHARS": "p@$$w0rd \"double\" 'single' $HOME ${NOT_A_REF",
    "OTHER_KEY": "other-value",
    "REF_LOCAL": "prefix-other-value-suffix",
    "REF_CROSS": "from-prod:prod-shared-value",
    "REF_FOLDER": "nested=app-folder-secret",
    "IMPORTED_ONLY": "imported-from-staging",
}
BASE_PATH = "/usr/local/bin:/usr/bin:/bin"


RUNNER = os.environ.get("INFX_RUNNER", "").split()
if RUNNER:      # by its full path: tests give the shim a PATH of their own
    RUNNER[0] = shutil.which(RUNNER[0]) or RUNNER[0]


def shim_command(shim, args=(), via=()):
    """The argv that starts shim with args: via (wrappers such as unshare),
    then INFX_RUNNER, then the binary."""
    return list(via) + RUNNER + [shim] + list(args)


def runnable(binary, directory):
    """A path that runs binary, for a program that is given one (a script's
    --exec): binary itself, or under INFX_RUNNER a script of the same name
    in directory that starts it through the runner."""
    if not RUNNER:
        return binary
    wrapper = Path(directory) / os.path.basename(binary)
    wrapper.write_text("#!/bin/sh\nexec %s \"$@\"\n" % " ".join(
        shlex.quote(w) for w in RUNNER + [os.path.abspath(binary)]))
    wrapper.chmod(0o755)
    return str(wrapper)


native_only = pytest.mark.native_only


def _emulated(config, items):
    """Under INFX_RUNNER: native_only tests skipped, tests that start no
    binary not collected."""
    skip = pytest.mark.skip(reason="native only: it would inspect "
                            f"{RUNNER[0]}, not the program")
    kept, dropped = [], []
    for item in items:
        uses = getattr(item, "fixturenames", ())
        if "shim" not in uses and "static_shim" not in uses:
            dropped.append(item)
            continue
        if item.get_closest_marker("native_only"):
            item.add_marker(skip)
        kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def binaries():
    names = os.environ.get("INFX_BINARIES", "build/dev/infx-exec").split()
    return [str((ROOT / n).resolve()) for n in names]


def _build_id(path):
    parent = os.path.basename(os.path.dirname(path))
    if parent in ("dev", "plain"):
        return parent
    return "static" if parent == "build" else "static-" + parent


@pytest.fixture(params=binaries(), ids=_build_id)
def shim(request):
    path = request.param
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} is not built: run make static dev, or name "
                    "the binaries to test in INFX_BINARIES")
    return path


@pytest.fixture
def static_shim():
    """The static release binary, for tests that only make sense there."""
    for path in binaries():
        if "/dev/" not in path:
            return path
    pytest.skip("no static binary in INFX_BINARIES")


def sample_data():
    with open(TESTS / "data" / "samples.json") as f:
        return json.load(f)


@pytest.fixture
def data():
    """A fresh copy of the sample data; tests may edit it before `server`."""
    return copy.deepcopy(sample_data())


@pytest.fixture
def server(data):
    srv = InfisicalServer(data)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    """A throwaway CA and a server certificate for 127.0.0.1/localhost."""
    d = tmp_path_factory.mktemp("pki")
    ca = certs.make_ca(d)
    cert, key = certs.make_server_cert(d, ca, names=["127.0.0.1",
                                                     "localhost"])
    return {"dir": d, "ca": ca[0], "ca_pair": ca, "cert": cert, "key": key}


@pytest.fixture
def tls_server(data, pki):
    srv = InfisicalServer(data, tls=(str(pki["cert"]), str(pki["key"])))
    srv.start()
    yield srv
    srv.stop()


def free_port():
    """A loopback port nobody listens on (for "server down" tests)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Origin:
    """Stands for a server in base_env() when only its URL matters."""
    def __init__(self, url):
        self.url = url


def base_env(server=None, **extra):
    """The environment of a typical container: member credentials, the
    samples' project, environment dev."""
    env = {"PATH": BASE_PATH, "LC_ALL": "C"}
    if server is not None:
        env.update({
            "INFISICAL_API_URL": server.url,
            "INFISICAL_PROJECT_ID": PROJECT,
            "INFISICAL_ENVIRONMENT": "dev",
            "INFISICAL_UNIVERSAL_AUTH_CLIENT_ID": MEMBER["id"],
            "INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET": MEMBER["secret"],
        })
    for k, v in extra.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


# INFX_VALGRIND=1 (make valgrind): every run() goes through memcheck. It
# stops at the command's execve (no --trace-children); an error or a leak
# on a path that exits makes the run exit 99.
VALGRIND = ["valgrind", "-q", "--error-exitcode=99", "--leak-check=full",
            "--show-leak-kinds=definite,indirect",
            "--errors-for-leak-kinds=definite,indirect"]


# Tests bound by time (retries, budgets, many processes): left out of the
# valgrind run, which slows every start tenfold.
timing = pytest.mark.timing




# Tests of the exact environment: valgrind's launcher adds to it.
exact_env = pytest.mark.skipif(bool(os.environ.get("INFX_VALGRIND")),
                               reason="valgrind changes the environment")


def run(shim, args, env, stdin=None, timeout=30, cwd=None, via=()):
    """Run the shim with exactly env; returns CompletedProcess (bytes).
    via: words put before the command (e.g. unshare ...)."""
    if os.environ.get("INFX_VALGRIND"):
        via = list(via) + VALGRIND
        timeout *= 4
    return subprocess.run(shim_command(shim, args, via), env=env, input=stdin,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout, cwd=cwd)


def child_env(stdout):
    """Parse `env -0` output into {bytes name: bytes value}."""
    out = {}
    for entry in stdout.split(b"\0"):
        if entry:
            name, _, value = entry.partition(b"=")
            out[name] = value
    return out


def as_bytes(d):
    return {k.encode(): v.encode() for k, v in d.items()}


ENV0 = ["--", "/usr/bin/env", "-0"]


# -- what every test of a failure asserts ---------------------------------

GOLDEN = TESTS / "golden"
# Parts of a message that change from run to run, and what they become.
_VOLATILE = [
    (re.compile(r"(://[^\s/'\"]*):\d+"), r"\1:PORT"),
    (re.compile(r"\bport \d+"), "port PORT"),
    (re.compile(r"/tmp/pytest-of-[^/]+/pytest-\d+/[^/' ]+"), "TMP"),
    (re.compile(r"/tmp/[A-Za-z0-9_.-]+"), "TMP"),
    (re.compile(r"req-[A-Za-z0-9]{14}"), "req-ID"),
    (re.compile(r"after \d+ ms"), "after N ms"),
    (re.compile(r"after \d+ milliseconds"), "after N milliseconds"),
    (re.compile(r"with \d+ out of \d+ bytes received"),
     "with N out of M bytes received"),
    (re.compile(r"with \d+ bytes remaining"), "with N bytes remaining"),
    (re.compile(r"\(\d+ attempts?;"), "(N attempts;"),
    (re.compile(r"up to \d+ s"), "up to N s"),
    # the size of an environment (valgrind's launcher adds to it)
    (re.compile(r"\btake \d+ bytes"), "take N bytes"),
]


def normalized(line):
    """line with ports, temporary paths, request ids and timings replaced,
    so that a golden file holds what a user reads, not this run's noise."""
    for pattern, repl in _VOLATILE:
        line = pattern.sub(repl, line)
    return line


_current = {"test": None, "calls": 0}


@pytest.fixture(autouse=True)
def _golden_name(request):
    """The name of the running test, without the build (dev, static): the
    default name of its golden files, shared by both builds, which must
    print the same line."""
    name = request.node.name
    if "[" in name:
        base, params = name[:-1].split("[", 1)
        build = r"(dev|plain|static(-(amd64|arm64))?)"
        params = re.sub(r"^%s(-|$)|-%s$" % (build, build), "", params)
        name = base + ("[%s]" % params if params else "")
    _current.update(test=name, calls=0)
    yield


def fails_closed(p, marker=None, golden=None, program="infx-exec",
                 status=125):
    """The failure contract: exit 125, nothing on stdout, the command never
    ran (marker, a file it would have made, absent), and exactly one error
    line on stderr, possibly after "infx-exec: warning: " lines. Returns
    the error line, which must equal tests/golden/NAME.txt once normalized
    (ports, temporary paths, timings): NAME is golden, or by default the
    test's name (and a count when it checks several failures), so that no
    message changes unnoticed. INFX_GOLDEN_UPDATE=1 rewrites the files.
    For infx-import (program), status is its own (1 failed, 2 usage: then
    the "Try 'infx-import --help'" hint may follow the line) and stdout may
    hold what was done before the failure: the caller checks it."""
    assert p.returncode == status, (p.returncode, p.stderr)
    assert program != "infx-exec" or not p.stdout, p.stdout
    assert marker is None or not marker.exists()
    lines = p.stderr.decode().splitlines()
    hint = f"Try '{program} --help' for more information."
    if program != "infx-exec" and status == 2 and lines and lines[-1] == hint:
        lines = lines[:-1]
    prefix = program + ": "
    assert lines and all(ln.startswith(prefix) for ln in lines), lines
    errors = [ln for ln in lines if not ln.startswith(prefix + "warning: ")]
    assert len(errors) == 1, lines
    if not golden:
        _current["calls"] += 1
        golden = _current["test"] + ("" if _current["calls"] == 1 else
                                     "-%d" % _current["calls"])
    check_golden(golden, errors[0])
    return errors[0]


def check_golden(name, line):
    name = re.sub(r"[^A-Za-z0-9_.,=+-]+", "_", name).strip("_")
    path = GOLDEN / (name + ".txt")
    got = normalized(line) + "\n"
    if os.environ.get("INFX_GOLDEN_UPDATE"):
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(got)
    assert path.exists(), f"{path} is missing (INFX_GOLDEN_UPDATE=1 makes it)"
    assert got == path.read_text(), f"message drifted from {path}"


# -- small helpers shared by the suites ------------------------------------

def secret_requests(server):
    return [r for r in server.requests if r["path"] != "/api/status"]


DEV = ("projects", PROJECT, "environments", "dev", "folders")


def folder(data, path, secrets, imports=None):
    d = data
    for k in DEV:
        d = d[k]
    d[path] = {"secrets": secrets}
    if imports:
        d[path]["imports"] = imports


def lists(server):
    return [r for r in server.requests if r["route"] == "list"] \
        if server.requests and "route" in server.requests[0] else \
        [r for r in server.requests if "secrets" in r["path"]]


LOGIN = "/api/v1/auth/universal-auth/login"
LIST = "/api/v4/secrets"


def paths(server):
    return [r["path"] for r in server.requests]


def timed(shim, args, env, **kw):
    start = time.monotonic()
    p = run(shim, args, env, **kw)
    return p, time.monotonic() - start

# make container-check: the slow builds of Dockerfile.shim
# (tests/test_dockerfile_build.py) run only with --container-check; without
# it they are deselected (make check), and pytest reports how many.
def pytest_addoption(parser):
    parser.addoption("--container-check", action="store_true",
                     help="build Dockerfile.shim with podman (make container-check)")


def pytest_configure(config):
    config.addinivalue_line("markers", "container_check: make container-check only")
    config.addinivalue_line("markers", "timing: bound by time; not run "
                            "under valgrind")
    config.addinivalue_line(
        "markers", "native_only: inspects the shim's own process (strace, "
        "gdb, /proc/PID/status, descriptor limits), which an emulator "
        "(INFX_RUNNER) would stand in for: skipped under a runner "
        "(README.md lists them)")


def pytest_collection_modifyitems(config, items):
    if RUNNER:
        _emulated(config, items)
    if config.getoption("--container-check"):
        return
    slow = [i for i in items if i.get_closest_marker("container_check")]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [i for i in items if i not in slow]
