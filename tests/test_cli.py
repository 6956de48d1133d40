"""The command line and the command itself: options and variables, --help
and --version, usage errors, exec in place (same PID), argv, stdin, exit
statuses as env(1)."""
import os
import signal
import subprocess

import pytest

from conftest import (shim_command, BASE_PATH, ENV0, PROJECT, base_env, child_env, run, fails_closed,
                      secret_requests, folder)


def test_folder_and_flags_override_variables(shim, server):
    env = base_env(server, INFISICAL_ENVIRONMENT="prod",
                   INFISICAL_SECRET_PATH="/nowhere",
                   INFISICAL_PROJECT_ID="wrong-project",
                   INFISICAL_API_URL="http://127.0.0.1:9")
    args = ["--api-url", server.url + "/api/", "--project-id", PROJECT,
            "-e", "dev", "--path", "/app"] + ENV0
    p = run(shim, args, env)
    assert p.returncode == 0, p.stderr
    got = child_env(p.stdout)
    assert got[b"APP_SECRET"] == b"app-folder-secret"
    assert got[b"APP_PORT"] == b"3000"
    assert b"DATABASE_URL" not in got
    assert secret_requests(server)[1]["query"]["secretPath"] == ["/app"]


@pytest.mark.parametrize("suffix", ["", "/", "/api", "/api/"])
def test_api_url_gets_api_once(shim, server, suffix):
    p = run(shim, ENV0, base_env(server,
                                 INFISICAL_API_URL=server.url + suffix))
    assert p.returncode == 0, p.stderr
    assert secret_requests(server)[0]["path"] == \
        "/api/v1/auth/universal-auth/login"


@pytest.mark.parametrize("unset, message", [
    (["INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET"],
     b"INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET is not set"),
    (["INFISICAL_UNIVERSAL_AUTH_CLIENT_ID"],
     b"INFISICAL_UNIVERSAL_AUTH_CLIENT_ID is not set"),
    (["INFISICAL_UNIVERSAL_AUTH_CLIENT_ID",
      "INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET"],
     b"no machine identity credentials"),
    (["INFISICAL_PROJECT_ID"], b"no project: set INFISICAL_PROJECT_ID"),
    (["INFISICAL_ENVIRONMENT"], b"no environment: set INFISICAL_ENVIRONMENT"),
])
def test_missing_configuration(shim, server, unset, message, tmp_path):
    env = base_env(server, **{k: None for k in unset})
    marker = tmp_path / "ran"
    p = run(shim, ["--", "touch", str(marker)], env)
    assert p.returncode == 125
    assert p.stderr.startswith(b"infx-exec: ") and message in p.stderr
    assert not marker.exists()
    assert server.requests == []


def test_not_an_http_url(shim, server, tmp_path):
    marker = tmp_path / "ran"
    env = base_env(server, INFISICAL_API_URL="ftp://example.org")
    line = fails_closed(run(shim, ["--", "touch", str(marker)], env), marker)
    assert "INFISICAL_API_URL 'ftp://example.org' is not an http" in line


def test_relative_secret_path(shim, server, tmp_path):
    marker = tmp_path / "ran"
    env = base_env(server, INFISICAL_SECRET_PATH="app")
    line = fails_closed(run(shim, ["--", "touch", str(marker)], env), marker)
    assert "must start with '/'" in line


def test_command_replaces_the_shim(shim, server):
    p = subprocess.Popen(shim_command(shim, ["--", "sh", "-c", "echo $$"]),
                         env=base_env(server), stdout=subprocess.PIPE)
    out, _ = p.communicate(timeout=30)
    assert int(out) == p.pid


@pytest.mark.parametrize("code", [0, 1, 42, 124, 255])
def test_exit_status_is_the_commands(shim, server, code):
    p = run(shim, ["--", "sh", "-c", f"exit {code}"], base_env(server))
    assert p.returncode == code


def test_death_by_signal_is_the_commands(shim, server):
    p = run(shim, ["--", "sh", "-c", "kill -TERM $$"], base_env(server))
    assert p.returncode == -signal.SIGTERM


def test_signal_reaches_the_command(shim, server):
    p = subprocess.Popen(
        shim_command(shim, ["--", "sh", "-c",
                            "trap 'echo got-usr1; exit 7' USR1; echo ready; "
                            "while :; do sleep 0.05; done"]),
        env=base_env(server), stdout=subprocess.PIPE)
    assert p.stdout.readline() == b"ready\n"
    p.send_signal(signal.SIGUSR1)
    out, _ = p.communicate(timeout=30)
    assert out == b"got-usr1\n" and p.returncode == 7


def test_command_not_found(shim, server):
    p = run(shim, ["--", "no-such-command-xyz"], base_env(server))
    assert p.returncode == 127
    assert p.stderr == (b"infx-exec: unable to run 'no-such-command-xyz': "
                        b"No such file or directory\n")


def test_command_found_through_the_commands_path(shim, data, server,
                                                 tmp_path):
    tool = tmp_path / "bin" / "mytool"
    tool.parent.mkdir()
    tool.write_text("#!/bin/sh\necho mytool ran\n")
    tool.chmod(0o755)
    data["projects"][PROJECT]["environments"]["dev"]["folders"]["/p"] = {
        "secrets": {"PATH": f"{tool.parent}:{BASE_PATH}"}}
    p = run(shim, ["--", "mytool"],
            base_env(server, INFISICAL_SECRET_PATH="/p",
                     INFX_ALLOW_RESERVED="PATH"))
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"mytool ran\n"


@pytest.mark.parametrize("make", ["directory", "not-executable"])
def test_command_cannot_run(shim, server, tmp_path, make):
    target = tmp_path / "thing"
    if make == "directory":
        target.mkdir()
    else:
        target.write_text("#!/bin/sh\n")
    p = run(shim, ["--", str(target)], base_env(server))
    assert p.returncode == 126
    assert p.stderr.startswith(b"infx-exec: unable to run '")
    assert b"Permission denied" in p.stderr


def test_not_executable_in_path_then_found_later(shim, server, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    (a / "tool").write_text("#!/bin/sh\necho wrong\n")
    (b / "tool").write_text("#!/bin/sh\necho right\n")
    (b / "tool").chmod(0o755)
    env = base_env(server, PATH=f"{a}:{b}:{BASE_PATH}")
    p = run(shim, ["--", "tool"], env)
    assert (p.returncode, p.stdout) == (0, b"right\n")


def test_command_arguments_are_the_commands(shim, server):
    args = ["--", "printf", "[%s]", "--help", "-e", "--", "a b", ""]
    p = run(shim, args, base_env(server))
    assert p.stdout == b"[--help][-e][--][a b][]"
    # Without "--", options stop at the first operand.
    p = run(shim, ["printf", "[%s]", "--version"], base_env(server))
    assert p.stdout == b"[--version]"


def test_stdin_reaches_the_command(shim, server):
    p = run(shim, ["--", "cat"], base_env(server), stdin=b"piped\n")
    assert p.stdout == b"piped\n"


def test_help_matches_the_docs(shim):
    p = run(shim, ["--help"], {"PATH": BASE_PATH})
    assert p.returncode == 0 and p.stderr == b""
    doc = (os.path.dirname(__file__) + "/../docs/configuration.md")
    text = open(doc).read()
    block = text.split("<!-- help -->\n```\n", 1)[1].split("```", 1)[0]
    assert p.stdout.decode() == block


def test_version(shim):
    p = run(shim, ["--version"], {"PATH": BASE_PATH})
    assert p.returncode == 0
    version = open(os.path.dirname(__file__) + "/../VERSION").read().strip()
    lines = p.stdout.decode().splitlines()
    assert lines[0] == f"infx-exec {version}"
    assert "libcurl/" in lines[1] and "OpenSSL/" in lines[1]
    assert "cJSON/" in lines[1]


@pytest.mark.parametrize("args, message", [
    ([], b"infx-exec: no command given"),
    (["--bogus", "--", "true"], b"infx-exec: unknown option '--bogus'"),
    (["--env"], b"infx-exec: option '--env' needs a value"),
])
def test_usage_errors(shim, args, message):
    p = run(shim, args, {"PATH": BASE_PATH})
    assert p.returncode == 125
    assert p.stderr.startswith(message)
    assert p.stderr.endswith(
        b"Try 'infx-exec --help' for more information.\n")


@pytest.mark.parametrize("value", [" 5", "+5", "5 ", "0x10", ""],
                         ids=["blank-first", "plus", "blank-after", "hex",
                              "empty"])
def test_a_number_is_digits_only(shim, server, value):
    """strtol(3) takes blanks in front and a sign: a setting takes digits
    only (an empty INFX_TIMEOUT is unset, as every empty setting)."""
    p = run(shim, ENV0, base_env(server, INFX_TIMEOUT=value))
    if value == "":
        assert p.returncode == 0, p.stderr
        return
    line = fails_closed(p)
    assert line.startswith(f"infx-exec: INFX_TIMEOUT='{value}' is not a "
                           "whole number")
    assert server.requests == []


def test_bad_boolean_variable(shim, server):
    p = run(shim, ENV0, base_env(server, INFISICAL_RECURSIVE="yes please"))
    line = fails_closed(p)
    assert "INFISICAL_RECURSIVE='yes please' is not a boolean" in line
    assert server.requests == []


def test_list_flags_replace_their_variable(shim, data, server):
    folder(data, "/r", {"LD_LIBRARY_PATH": "/opt/lib", "A": "1"})
    env = base_env(server, INFISICAL_SECRET_PATH="/r",
                   INFX_REQUIRE="NOT_THERE",
                   INFX_ALLOW_RESERVED="LD_LIBRARY_PATH")
    p = run(shim, ["--require", "A"] + ENV0, env)
    assert p.returncode == 0, p.stderr
    p = run(shim, ["--allow-reserved", "OTHER", "--require", "A"] + ENV0,
            env)
    assert "LD_LIBRARY_PATH" in fails_closed(p)


@pytest.mark.parametrize("url", [
    "http://admin:Sup3rPassw0rd@127.0.0.1:1",
    "http://127.0.0.1:1/?x=1",
    "http://127.0.0.1:1/#frag",
    "http://127.0.0.1:1/\x1b[31m\nFAKE",
    "http://127.0.0.1:1/a b",
])
def test_api_url_holds_only_scheme_host_port_path(shim, server, url):
    p = run(shim, ENV0, base_env(server, INFISICAL_API_URL=url))
    line = fails_closed(p)
    assert "may hold only scheme://host[:port][/path]" in line
    assert "Sup3rPassw0rd" not in line and "\x1b" not in line
    assert server.requests == []


def test_api_url_with_at_in_the_path_is_fine(shim, server):
    p = run(shim, ENV0, base_env(server, INFISICAL_API_URL=server.url +
                                 "/x@y/.."))
    assert b"may hold only" not in p.stderr


def test_missing_value_names_the_option(shim):
    p = run(shim, ["-u"], {"PATH": BASE_PATH})
    assert p.returncode == 125
    assert p.stderr.startswith(b"infx-exec: option '-u' needs a value\n")


def test_empty_api_url_flag_is_an_error(shim, server):
    p = run(shim, ["--api-url="] + ENV0, base_env(server))
    assert "--api-url is empty" in fails_closed(p)


# -- output that cannot be written ---------------------------------------

@pytest.mark.parametrize("args", [["--help"], ["--version"],
                                  ["--check"]])
def test_output_to_a_full_disk(shim, server, args):
    with open("/dev/full", "wb") as full:
        p = subprocess.run(shim_command(shim, args), env=base_env(server),
                           stdout=full, stderr=subprocess.PIPE, timeout=30)
    line = fails_closed(p)
    assert line == ("infx-exec: unable to write to standard output: No "
                    "space left on device")


@pytest.mark.parametrize("args", [["--help"], ["--check"]])
def test_output_to_a_closed_pipe(shim, server, args):
    """The reader went away (`infx-exec --check | head -0`): one line and
    125, not a silent death by SIGPIPE."""
    r, w = os.pipe()
    os.close(r)
    try:
        p = subprocess.run(shim_command(shim, args), env=base_env(server), stdout=w,
                           stderr=subprocess.PIPE, timeout=30)
    finally:
        os.close(w)
    line = fails_closed(p)
    assert line == ("infx-exec: unable to write to standard output: Broken "
                    "pipe")


@pytest.mark.parametrize("args", [["--version"], ["--check"]])
def test_output_to_a_closed_descriptor(shim, server, args):
    """`infx-exec --check >&-`: standard output closed at start is an
    error, as `ls >&-` is, not a run that printed nothing and says 0."""
    cmd = shim_command(shim, args)
    p = subprocess.run(["sh", "-c", 'exec "$@" >&-', "sh"] + cmd,
                       env=base_env(server), stderr=subprocess.PIPE,
                       timeout=30)
    line = fails_closed(p)
    assert line == ("infx-exec: unable to write to standard output: Bad "
                    "file descriptor")


def test_failure_with_stderr_gone_is_still_125(shim, server):
    """A log reader that went away must not turn a failure into death by
    SIGPIPE (exit 141 in a shell)."""
    r, w = os.pipe()
    os.close(r)
    try:
        p = subprocess.run(shim_command(shim, ["--", "true"]),
                           env=base_env(server, INFISICAL_ENVIRONMENT=None),
                           stdout=subprocess.PIPE, stderr=w, timeout=30)
    finally:
        os.close(w)
    assert p.returncode == 125


# -- variables nobody reads ----------------------------------------------

def test_misspelt_variables_get_a_warning(shim, server):
    """A typo must not silently switch a check off: INFX_REQUIRES is not
    INFX_REQUIRE. Variables of other tools (INFISICAL_DOMAIN) are left
    alone."""
    env = base_env(server, INFX_REQUIRES="API_KEY", INFX_TIMEOUTS="5",
                   INFISICAL_SECRETS_PATH="/app", INFX_SOMETHING="x",
                   INFISICAL_DOMAIN="https://example.invalid")
    p = run(shim, ENV0, env)
    assert p.returncode == 0, p.stderr
    assert sorted(p.stderr.decode().splitlines()) == [
        "infx-exec: warning: INFISICAL_SECRETS_PATH is not a variable "
        "infx-exec reads; did you mean INFISICAL_SECRET_PATH?",
        "infx-exec: warning: INFX_REQUIRES is not a variable infx-exec "
        "reads; did you mean INFX_REQUIRE?",
        "infx-exec: warning: INFX_SOMETHING is not a variable infx-exec "
        "reads; it is ignored",
        "infx-exec: warning: INFX_TIMEOUTS is not a variable infx-exec "
        "reads; did you mean INFX_TIMEOUT?",
    ]


def test_info_names_what_runs_in_one_line(shim, server):
    p = run(shim, ENV0, base_env(server, INFX_LOG_LEVEL="info"))
    assert p.returncode == 0, p.stderr
    assert p.stderr == (
        f"infx-exec: 9 secrets from project '{PROJECT}', environment 'dev',"
        " 1 path; running /usr/bin/env\n").encode()
