"""Watch mode (--watch / INFX_WATCH): infx-exec stays as the command's
parent, polls Infisical with If-None-Match, and restarts the command when
its secrets change; signals reach the command, its exit status comes back,
orphans are reaped. Bounds are generous: the machine is shared."""
import os
import signal
import subprocess
import time

import pytest

from conftest import (shim_command, PROJECT, base_env, fails_closed, folder, run,
                      timing)

pytestmark = timing

LIST = "/api/v4/secrets"


def secrets(data, path="/"):
    return data["projects"][PROJECT]["environments"]["dev"]["folders"][path][
        "secrets"]


def wait_for(predicate, timeout=20, what="a condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def lines(path):
    return path.read_text().splitlines() if path.exists() else []


class Watched:
    """The shim in watch mode, its command appending "$API_KEY <pid>" to a
    file at each start, then running `rest` (default: sleep)."""

    def __init__(self, shim, server, tmp_path, rest="exec sleep 1000",
                 **env):
        self.out = tmp_path / "starts"
        # A file, not a pipe: a test can wait for a line while it runs.
        self.log = tmp_path / "stderr"
        env.setdefault("INFX_WATCH", "1")
        script = f'echo "$API_KEY $$" >> {self.out}; {rest}'
        with open(self.log, "wb") as log:
            self.p = subprocess.Popen(
                shim_command(shim, ["--", "sh", "-c", script]),
                env=base_env(server, **env), stderr=log)

    def starts(self):
        return lines(self.out)

    def err(self):
        return self.log.read_text()

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.p.poll() is None:
            self.p.send_signal(sig)
        self.p.wait(timeout=timeout)
        return self.p.returncode, self.err()


def test_a_change_restarts_the_command_with_the_new_value(shim, data, server,
                                                          tmp_path):
    w = Watched(shim, server, tmp_path)
    try:
        wait_for(lambda: len(w.starts()) == 1, what="the first start")
        first = w.starts()[0].split()
        assert first[0] == "fake-api-key-123"
        secrets(data)["API_KEY"] = "rotated-key"
        wait_for(lambda: len(w.starts()) == 2, what="the restart")
        second = w.starts()[1].split()
        assert second[0] == "rotated-key" and second[1] != first[1]
    finally:
        status, err = w.stop()
    assert status == 128 + signal.SIGTERM
    assert ("infx-exec: warning: secrets changed in Infisical (API_KEY "
            "changed); restarting the command") in err
    assert "rotated-key" not in err and "fake-api-key" not in err


def test_no_change_no_restart_and_polls_are_conditional(shim, server,
                                                        tmp_path):
    w = Watched(shim, server, tmp_path)
    try:
        wait_for(lambda: len(w.starts()) == 1, what="the first start")
        wait_for(lambda: sum(r["path"] == LIST for r in server.requests)
                 >= 4, what="three polls")
        assert len(w.starts()) == 1
    finally:
        status, err = w.stop()
    lists = [r for r in server.requests if r["path"] == LIST]
    assert "if-none-match" not in lists[0]["headers"]
    assert all(r["headers"].get("if-none-match", "").startswith('"')
               for r in lists[1:])
    # One login: the polls reuse the token.
    assert sum(r["route"] == "login" for r in server.requests) == 1
    assert err == "", err


def test_same_values_with_a_new_etag_do_not_restart(shim, data, server,
                                                    tmp_path):
    """A secret changed and changed back comes with a new ETag: the set is
    compared, not the ETag (infisical-api.md 2.7)."""
    w = Watched(shim, server, tmp_path)
    try:
        wait_for(lambda: len(w.starts()) == 1, what="the first start")
        secrets(data)["API_KEY"] = {"value": "fake-api-key-123",
                                    "version": 3}
        n = len(server.requests)
        wait_for(lambda: sum(r["path"] == LIST for r in
                             server.requests[n:]) >= 2, what="two polls")
        assert len(w.starts()) == 1
    finally:
        w.stop()


def test_signals_reach_the_command_and_its_status_comes_back(shim, server,
                                                             tmp_path):
    marker = tmp_path / "usr1"
    rest = (f"trap 'touch {marker}' USR1; trap 'exit 7' TERM; "
            "while :; do sleep 0.1; done")
    w = Watched(shim, server, tmp_path, rest=rest)
    try:
        wait_for(lambda: len(w.starts()) == 1, what="the first start")
        time.sleep(0.3)		# the traps are set
        w.p.send_signal(signal.SIGUSR1)
        wait_for(marker.exists, what="SIGUSR1 at the command")
    finally:
        status, _ = w.stop(signal.SIGTERM)
    assert status == 7


def test_a_command_that_exits_ends_the_run_with_its_status(shim, server,
                                                           tmp_path):
    w = Watched(shim, server, tmp_path, rest="exit 42")
    assert w.p.wait(timeout=30) == 42 and len(w.starts()) == 1
    w = Watched(shim, server, tmp_path, rest="kill -KILL $$")
    assert w.p.wait(timeout=30) == 128 + signal.SIGKILL


def test_server_down_keeps_the_command_and_a_later_change_restarts_it(
        shim, data, server, tmp_path):
    w = Watched(shim, server, tmp_path, INFX_TIMEOUT="1")
    try:
        wait_for(lambda: len(w.starts()) == 1, what="the first start")
        server.add_fault("list", "status", status=503, times=1000)
        # A poll that ran out of time says so (one warning); until the
        # server is back, the command keeps running.
        wait_for(lambda: "warning: unable to list secrets" in w.err(),
                 what="a failed poll's warning")
        assert len(w.starts()) == 1 and w.p.poll() is None
        server.clear_faults()
        secrets(data)["API_KEY"] = "after-the-outage"
        wait_for(lambda: len(w.starts()) == 2, timeout=40,
                 what="the restart after the outage")
        assert w.starts()[1].startswith("after-the-outage ")
    finally:
        status, err = w.stop()
    assert "infx-exec: warning: unable to list secrets" in err
    assert "infx-exec: warning: secrets changed" in err


def test_on_change_exit_stops_the_command_and_exits(shim, data, server,
                                                    tmp_path):
    w = Watched(shim, server, tmp_path, INFX_ON_CHANGE="exit")
    wait_for(lambda: len(w.starts()) == 1, what="the first start")
    secrets(data)["API_KEY"] = "rotated-key"
    status = w.p.wait(timeout=30)	# on its own, no signal sent
    err = w.err()
    assert status == 128 + signal.SIGTERM
    assert len(w.starts()) == 1
    assert "(API_KEY changed); stopping the command" in err


def test_a_command_that_ignores_sigterm_is_killed_after_the_timeout(
        shim, data, server, tmp_path):
    rest = "trap '' TERM; while :; do sleep 0.1; done"
    w = Watched(shim, server, tmp_path, rest=rest, INFX_STOP_TIMEOUT="1")
    try:
        wait_for(lambda: len(w.starts()) == 1, what="the first start")
        time.sleep(0.3)
        secrets(data)["API_KEY"] = "rotated-key"
        start = time.monotonic()
        wait_for(lambda: len(w.starts()) == 2, what="the restart")
        assert time.monotonic() - start >= 0.9	# it waited for the kill
    finally:
        w.p.send_signal(signal.SIGKILL)
        w.p.wait(timeout=10)


def test_a_refused_token_gets_a_new_login_and_the_command_stays(
        shim, data, server, tmp_path):
    w = Watched(shim, server, tmp_path)
    try:
        wait_for(lambda: len(w.starts()) == 1, what="the first start")
        token = next(r for r in server.requests if r["route"] == "list")[
            "headers"]["authorization"][7:]
        data.setdefault("revokedTokens", []).append(token)
        wait_for(lambda: sum(r["route"] == "login" for r in server.requests)
                 >= 2, what="a second login")
        n = len(server.requests)
        wait_for(lambda: len(server.requests) - n >= 2, what="more polls")
        assert len(w.starts()) == 1
    finally:
        status, err = w.stop()
    assert status == 128 + signal.SIGTERM


def test_a_change_behind_a_refused_token_still_restarts(shim, data, server,
                                                        tmp_path):
    """Two paths; in one poll the first answers 304 and the second refuses
    the token. After the new login both are asked again: the second's new
    set must restart the command (counting the first's 304 twice once took
    the poll for "unchanged", and the change was never seen)."""
    folder(data, "/app", {"APP_KEY": "v1"})
    w = Watched(shim, server, tmp_path, INFISICAL_SECRET_PATH="/,/app")
    try:
        wait_for(lambda: len(w.starts()) == 1, what="the first start")
        with server._lock:
            server.add_fault("list", "status", status=401,
                             error="UnauthorizedError", skip=1)
            secrets(data, "/app")["APP_KEY"] = "v2"
        wait_for(lambda: len(w.starts()) == 2, what="the restart")
    finally:
        status, err = w.stop()
    assert "(APP_KEY changed)" in err


def test_an_unusable_new_set_keeps_the_command(shim, data, server, tmp_path):
    w = Watched(shim, server, tmp_path, INFX_REQUIRE="API_KEY")
    try:
        wait_for(lambda: len(w.starts()) == 1, what="the first start")
        secrets(data)["API_KEY"] = ""
        n = len(server.requests)
        wait_for(lambda: len(server.requests) - n >= 3, what="polls")
        assert len(w.starts()) == 1
    finally:
        status, err = w.stop()
    assert "infx-exec: warning: required variable 'API_KEY' is empty" in err


def test_orphans_are_reaped_as_pid_1(shim, server, tmp_path):
    """In a PID namespace of its own, infx-exec is PID 1: an orphan that
    ends is reaped, not left a zombie."""
    script = ("(sleep 0.2 &); sleep 2; "
              "grep -l '^State:.*Z' /proc/[0-9]*/status | wc -l")
    p = run(shim, ["--", "sh", "-c", script], base_env(server, INFX_WATCH="1"),
            timeout=60, via=["unshare", "--pid", "--fork", "--mount-proc"])
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == b"0"


def test_the_first_start_fails_closed(shim, server, tmp_path):
    marker = tmp_path / "ran"
    p = run(shim, ["--", "touch", str(marker)],
            base_env(server, INFX_WATCH="1",
                     INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET="wrong"))
    fails_closed(p, marker)


@pytest.mark.parametrize("args, env", [
    (["--watch=0"], {}), (["--watch=soon"], {}), ([], {"INFX_WATCH": "0"}),
    ([], {"INFX_WATCH": "-5"}), ([], {"INFX_ON_CHANGE": "reload"}),
    ([], {"INFX_STOP_TIMEOUT": "x"}),
], ids=["flag-0", "flag-word", "var-0", "var-negative", "on-change",
        "stop-timeout"])
def test_bad_watch_settings_are_configuration_errors(shim, server, tmp_path,
                                                     args, env):
    marker = tmp_path / "ran"
    p = run(shim, args + ["--", "touch", str(marker)],
            base_env(server, **env))
    line = fails_closed(p, marker)
    assert "WATCH" in line.upper() or "CHANGE" in line.upper() or \
        "STOP_TIMEOUT" in line
    assert server.requests == []


def test_an_interval_without_equals_is_refused(shim, server, tmp_path):
    """`--watch 30 -- app`: an optional argument takes its value after '=',
    so 30 would be the command (and `--` and app its arguments); refused
    before any request, saying how to write it."""
    marker = tmp_path / "ran"
    p = run(shim, ["--watch", "30", "--", "touch", str(marker)],
            base_env(server))
    assert p.returncode == 125
    assert p.stderr.decode() == (
        "infx-exec: --watch takes its interval after '=': write --watch=30 "
        "(as written, '30' is the command)\n"
        "Try 'infx-exec --help' for more information.\n")
    assert not marker.exists() and server.requests == []


def test_an_empty_infx_watch_is_unset(shim, server):
    """Compose writes INFX_WATCH= for an unset variable: plain exec."""
    p = run(shim, ["--", "sh", "-c", "echo $$"],
            base_env(server, INFX_WATCH=""))
    assert p.returncode == 0, p.stderr
