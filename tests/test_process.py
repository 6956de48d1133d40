"""The process around the command: signals before and at exec, descriptors,
--user, nothing written to disk, no leaks, no secret left in memory."""
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import (native_only, shim_command, DEV_ROOT, ENV0, MEMBER, STATIC_TOKEN, base_env, free_port, run,
                      fails_closed, LOGIN, LIST, paths)


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")


ID_CMD = ["--", "sh", "-c", 'echo "$(id -u) $(id -g) $(id -G) $HOME"']


@needs_root
def test_user_by_name(shim, server):
    p = run(shim, ["--user", "nobody"] + ID_CMD, base_env(server))
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"65534 65534 65534 /nonexistent\n"


@needs_root
def test_user_numeric_without_passwd_entry(shim, server):
    for args, env in ((["--user", "4242:4343"], {}),
                      ([], {"INFX_USER": "4242:4343"})):
        p = run(shim, args + ID_CMD, base_env(server, **env))
        assert p.returncode == 0, p.stderr
        assert p.stdout == b"4242 4343 4343 /\n"
    p = run(shim, ["--user", "4242"] + ID_CMD, base_env(server))
    assert p.stdout == b"4242 4242 4242 /\n"


@needs_root
def test_user_with_group_name(shim, server):
    p = run(shim, ["--user", "nobody:nogroup"] + ID_CMD, base_env(server))
    assert p.stdout == b"65534 65534 65534 /nonexistent\n"


@needs_root
def test_unknown_user_fails_before_any_request(shim, server):
    p = run(shim, ["--user", "no-such-user-xyz"] + ENV0, base_env(server))
    assert "unknown user 'no-such-user-xyz'" in fails_closed(p)
    p = run(shim, ["--user", "nobody:no-such-group"] + ENV0,
            base_env(server))
    assert "unknown group 'no-such-group'" in fails_closed(p)
    assert server.requests == []


@needs_root
def test_switch_without_capabilities_fails_before_any_request(shim, server,
                                                             tmp_path):
    marker = tmp_path / "ran"
    os.chmod(tmp_path, 0o777)

    def as_nobody():
        os.setgid(65534)
        os.setuid(65534)

    p = subprocess.run(shim_command(shim, ["--user", "4242", "--", "touch",
                                     str(marker)]),
                       env=base_env(server), capture_output=True,
                       preexec_fn=as_nobody, timeout=30)
    line = fails_closed(p, marker, golden="user-no-capabilities-nobody")
    assert "lacks CAP_SETUID and CAP_SETGID" in line
    assert server.requests == []


@needs_root
def test_root_without_setuid_capability_fails_before_any_request(
        shim, server, tmp_path):
    """As root in a container started with cap_drop: ALL: the message names
    the capabilities, not "start as root"."""
    marker = tmp_path / "ran"
    p = run(shim, ["--user", "4242", "--", "touch", str(marker)],
            base_env(server), via=["setpriv", "--bounding-set=-setuid,-setgid",
                                   "--inh-caps=-setuid,-setgid"])
    line = fails_closed(p, marker, golden="user-no-capabilities-root")
    assert "infx-exec (uid 0) lacks CAP_SETUID and CAP_SETGID" in line
    assert "user: 4242:4242" in line
    assert server.requests == []


@needs_root
def test_switch_to_the_current_user_needs_no_capability(shim, server):
    """A container started with user: 4242:4343 and --user 4242:4343 (or
    INFX_USER) in its entrypoint: nothing to switch, no capability needed."""
    p = run(shim, ["--user", "4242:4343"] + ID_CMD, base_env(server),
            via=["setpriv", "--reuid=4242", "--regid=4343", "--clear-groups",
                 "--bounding-set=-all", "--inh-caps=-all"])
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"4242 4343 4343 /\n"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stop_signal_while_fetching(shim, server, tmp_path, sig):
    server.add_fault("list", "delay", seconds=10)
    marker = tmp_path / "ran"
    p = subprocess.Popen(shim_command(shim, ["--", "touch", str(marker)]),
                         env=base_env(server), stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while LIST not in paths(server) and time.monotonic() < deadline:
        time.sleep(0.02)
    start = time.monotonic()
    p.send_signal(sig)
    _, err = p.communicate(timeout=10)
    # At once, not after the server's 10 s: slack for a loaded machine.
    assert time.monotonic() - start < 5
    assert p.returncode == 128 + sig
    assert not marker.exists()
    # One line, so that a container's log says why it ended.
    name = signal.Signals(sig).name
    assert err.decode() == (f"infx-exec: stopped by {name} before "
                            "starting the command\n")


def test_stop_signal_during_backoff(shim, tmp_path):
    port = free_port()
    marker = tmp_path / "ran"
    env = base_env(None, INFISICAL_API_URL=f"http://127.0.0.1:{port}",
                   INFISICAL_PROJECT_ID="p", INFISICAL_ENVIRONMENT="dev",
                   INFISICAL_TOKEN="t")
    p = subprocess.Popen(shim_command(shim, ["--", "touch", str(marker)]), env=env,
                         stderr=subprocess.PIPE)
    time.sleep(0.8)
    start = time.monotonic()
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=10)
    assert time.monotonic() - start < 5	# not the 60 s budget
    assert p.returncode == 143 and not marker.exists()
    lines = err.decode().splitlines()
    assert lines[-1] == ("infx-exec: stopped by SIGTERM before starting "
                         "the command")
    assert all(ln.startswith("infx-exec: warning: ") for ln in lines[:-1])


def test_descriptors(shim, server, tmp_path):
    r, w = os.pipe()
    os.set_inheritable(r, True)
    try:
        p = subprocess.run(shim_command(shim, ["--", "sh", "-c",
                                               "ls /proc/$$/fd"]),
                           env=base_env(server), capture_output=True,
                           pass_fds=(r,), timeout=30)
    finally:
        os.close(w)
    os.close(r)
    assert p.returncode == 0, p.stderr
    fds = sorted(int(x) for x in p.stdout.split())
    assert fds == sorted({0, 1, 2, r}), fds


def test_closed_standard_descriptors_are_opened(shim, server):
    def close_stdin():
        os.close(0)

    p = subprocess.run(shim_command(shim, ["--", "sh", "-c",
                                           "readlink /proc/$$/fd/0"]),
                       env=base_env(server), capture_output=True,
                       preexec_fn=close_stdin, timeout=30)
    assert p.stdout == b"/dev/null\n", p.stderr


@native_only
def test_signal_state_is_the_inherited_one(shim, server):
    """The command sees the dispositions and mask infx-exec started with:
    a shell prints its state, then execs the shim, whose command prints
    it again (so both come from the same starting state)."""
    def odd_state():
        signal.signal(signal.SIGUSR1, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR2,
                                                  signal.SIGINT})

    # grep reports its own state (/proc/self): the shell's own changes
    # while it forks (dash blocks every signal around fork) are not seen.
    show = "grep -E '^Sig(Ign|Blk)' /proc/self/status"
    script = f'{show}; exec "$0" -- sh -c "$1"'
    p = subprocess.run(["sh", "-c", script, shim, show],
                       capture_output=True, preexec_fn=odd_state,
                       env=base_env(server), timeout=30)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.decode().splitlines()
    assert len(lines) == 4, lines
    assert lines[:2] == lines[2:]
    # SIGTERM is one the shim catches while fetching: it must come back
    # ignored. (Whether the mask set here survives Python's fork varies,
    # so only its equality is asserted.)
    ign = int(lines[1].split()[1], 16)
    assert ign & (1 << (signal.SIGUSR1 - 1))
    assert ign & (1 << (signal.SIGTERM - 1))
    # SIGPIPE, ignored by infx-exec while it fetches, is back to default.
    assert not ign & (1 << (signal.SIGPIPE - 1))


def test_ignored_sigpipe_stays_ignored(shim, server):
    """A command started with SIGPIPE ignored (as by many supervisors)
    keeps it ignored."""
    def ignore_pipe():
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)

    p = subprocess.run(shim_command(shim, ["--", "grep", "^SigIgn",
                                           "/proc/self/status"]),
                       capture_output=True, preexec_fn=ignore_pipe,
                       env=base_env(server), timeout=30)
    assert p.returncode == 0, p.stderr
    assert int(p.stdout.split()[1], 16) & (1 << (signal.SIGPIPE - 1))


WRITES = re.compile(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|^\d+\s+(creat|mkdir|"
                    r"rename|unlink|link|symlink|truncate|ftruncate)")


@native_only
def test_zero_disk(shim, tls_server, pki, tmp_path):
    """A full run over HTTPS with credentials from files opens files to
    read (the CA bundle, the secrets) and none for writing."""
    (tmp_path / "id").write_text(MEMBER["id"])
    (tmp_path / "secret").write_text(MEMBER["secret"])
    env = base_env(tls_server, SSL_CERT_FILE=str(pki["ca"]),
                   INFISICAL_UNIVERSAL_AUTH_CLIENT_ID=None,
                   INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET=None,
                   INFISICAL_UNIVERSAL_AUTH_CLIENT_ID_FILE=str(tmp_path / "id"),
                   INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET_FILE=str(
                       tmp_path / "secret"))
    log = tmp_path / "strace.log"
    p = subprocess.run(
        ["strace", "-f", "-qq", "-o", str(log), "-e",
         "trace=open,openat,creat,mkdir,mkdirat,rename,renameat,renameat2,"
         "unlink,unlinkat,link,linkat,symlink,symlinkat,truncate,execve",
         shim, "--", "/bin/true"], env=env, capture_output=True,
        timeout=60)
    assert p.returncode == 0, p.stderr
    lines = log.read_text().splitlines()
    # Only what happens before the command's own execve is the shim's.
    shim_part = []
    for line in lines:
        if 'execve("/bin/true"' in line:
            break
        shim_part.append(line)
    opened = " ".join(shim_part)
    assert str(tmp_path / "secret") in opened and str(pki["ca"]) in opened
    writes = [line for line in shim_part if WRITES.search(line)]
    assert writes == []


def test_zero_leaks_at_every_log_level(shim, server, tmp_path):
    texts = []
    levels = [[], ["--verbose"], ["--quiet"]] + [
        [] for _ in ("error", "warn", "info", "debug")]
    names = [None, None, None, "error", "warn", "info", "debug"]
    for args, level in zip(levels, names):
        extra = {"INFX_LOG_LEVEL": level} if level else {}
        runs = [
            (ENV0, {}),
            (ENV0, {"INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET": "wrong"}),
            (ENV0, {"INFISICAL_PROJECT_ID": "nope"}),
            (["--check"] + ENV0, {}),
            (ENV0, {"INFISICAL_ENVIRONMENT": "qa"}),
        ]
        for cmd, more in runs:
            server.clear_faults()
            p = run(shim, args + cmd, base_env(server, **extra, **more))
            out = p.stderr + (p.stdout if "--check" in cmd else b"")
            texts.append(out)
        server.add_fault("list", "status", status=503)
        texts.append(run(shim, args + ENV0, base_env(server, **extra)).stderr)
    text = b"".join(texts)
    assert b"debug: " in text           # the debug level did print
    tokens = {r["headers"].get("authorization", "")[7:]
              for r in server.requests} - {""}
    assert tokens
    for secret in [MEMBER["secret"], *tokens, *DEV_ROOT.values(),
                   "prod-shared-value"]:
        assert secret.encode() not in text, secret


@native_only
def test_running_out_of_descriptors_is_not_unavailable(static_shim, server):
    """EMFILE is this process's problem, not the server's: no retry, no
    fallback to running without secrets. (Static only: a dynamic binary
    cannot even load its libraries with 3 descriptors.)"""
    shim = static_shim
    import resource

    def few_fds():
        resource.setrlimit(resource.RLIMIT_NOFILE, (3, 3))

    p = subprocess.run(shim_command(shim, ["--on-unavailable=run", "--",
                                           "true"]),
                       env=base_env(server, INFX_TIMEOUT="2"),
                       capture_output=True, preexec_fn=few_fds, timeout=30)
    assert p.returncode == 125, p.stderr
    assert b"no file descriptor left (RLIMIT_NOFILE)" in p.stderr
    assert b"UNAVAILABLE" not in p.stderr
    assert len(server.requests) == 0


@native_only
def test_no_secret_copy_is_left_in_memory_at_exec(server, tmp_path):
    """At the command's execve, the shim's writable memory holds neither
    the client secret nor the access token: libcurl's and cJSON's buffers
    are wiped when freed. The plain glibc build, under gdb; credentials
    come from files, so no copy sits in the environment by design."""
    import shutil
    from conftest import STATIC_TOKEN
    plain = os.path.join(os.path.dirname(__file__), "..", "build", "plain",
                         "infx-exec")
    if not shutil.which("gdb") or not os.access(plain, os.X_OK):
        pytest.skip("needs gdb and build/plain/infx-exec (make valgrind)")
    (tmp_path / "secret").write_text(MEMBER["secret"])
    (tmp_path / "token").write_text(STATIC_TOKEN)
    ua = base_env(server, INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET=None,
                  INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET_FILE=str(
                      tmp_path / "secret"))
    token = base_env(server, INFISICAL_UNIVERSAL_AUTH_CLIENT_ID=None,
                     INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET=None,
                     INFISICAL_TOKEN_FILE=str(tmp_path / "token"))
    for env, needle in ((ua, MEMBER["secret"]), (token, STATIC_TOKEN)):
        (tmp_path / "needles").write_text(needle + "\n")
        env["INFX_SCAN_FILE"] = str(tmp_path / "needles")
        p = subprocess.run(
            ["gdb", "-batch", "-nx", "-x",
             os.path.join(os.path.dirname(__file__), "tools",
                          "scan_at_exec.py"),
             "--args", plain, "--", "/bin/true"],
            env=env, capture_output=True, text=True, timeout=120)
        assert "CLEAN" in p.stdout, p.stdout + p.stderr
    assert [r["path"] for r in server.requests] == [LOGIN, LIST, LIST]


@native_only
def test_stop_signal_at_exec_is_never_lost(server, tmp_path):
    """SIGTERM arriving after the shim's last look at the signals it
    caught, while it hands the inherited dispositions back: the command
    must not start as if nothing happened (the plain glibc build, under
    gdb: tests/tools/signal_at_exec.py)."""
    plain = os.path.join(os.path.dirname(__file__), "..", "build", "plain",
                         "infx-exec")
    assert os.access(plain, os.X_OK), "make build/plain/infx-exec"
    marker = tmp_path / "ran"
    p = subprocess.run(
        ["gdb", "-batch", "-nx", "-x",
         os.path.join(os.path.dirname(__file__), "tools",
                      "signal_at_exec.py"),
         "--args", plain, "--", "touch", str(marker)],
        env=base_env(server), capture_output=True, text=True, timeout=120)
    assert "SENT SIGTERM" in p.stdout, p.stdout + p.stderr
    assert "terminated with signal SIGTERM" in p.stdout, p.stdout
    assert not marker.exists()
