"""The core flow through the real binary: config -> universal auth or token
-> list -> environment -> exec, against the local Infisical server."""
import json
import os
import signal
import subprocess

import pytest

import certs
from conftest import (BASE_PATH, CREDENTIAL_VARS, DEV_ROOT, ENV0, MEMBER,
                      OUTSIDER, PROJECT, STATIC_TOKEN, InfisicalServer,
                      as_bytes, base_env, child_env, exact_env, free_port,
                      run, shim_command)


def secret_requests(server):
    return [r for r in server.requests if r["path"] != "/api/status"]


# -- the main job -----------------------------------------------------------

@exact_env
def test_command_gets_exactly_inherited_plus_secrets(shim, server):
    env = base_env(server, KEEP_ME="inherited value")
    p = run(shim, ENV0, env)
    assert p.returncode == 0, p.stderr
    assert p.stderr == b""
    expected = {k: v for k, v in env.items() if k not in CREDENTIAL_VARS}
    expected.update(DEV_ROOT)
    assert child_env(p.stdout) == as_bytes(expected)


def test_server_sees_one_login_then_one_list(shim, server):
    p = run(shim, ENV0, base_env(server))
    assert p.returncode == 0, p.stderr
    reqs = secret_requests(server)
    assert [(r["method"], r["path"]) for r in reqs] == [
        ("POST", "/api/v1/auth/universal-auth/login"),
        ("GET", "/api/v4/secrets"),
    ]
    assert reqs[0]["body"] == {"clientId": MEMBER["id"],
                               "clientSecret": MEMBER["secret"]}
    assert reqs[1]["query"] == {
        "projectId": [PROJECT], "environment": ["dev"],
        "secretPath": ["/"], "include_imports": ["true"],
        "includeImports": ["true"], "recursive": ["false"],
        "expandSecretReferences": ["true"]}
    auth = reqs[1]["headers"]["authorization"]
    assert auth.startswith("Bearer ") and len(auth) > 20
    assert auth != "Bearer " + MEMBER["secret"]


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


def test_secret_overrides_inherited_variable(shim, server):
    p = run(shim, ENV0, base_env(server, API_KEY="from-compose"))
    assert child_env(p.stdout)[b"API_KEY"] == b"fake-api-key-123"


def test_values_are_byte_exact(shim, data, server):
    values = {
        "NEWLINES": "a\nb\r\nc\n",
        "QUOTES": "'single' \"double\" `back`",
        "DOLLAR": "$HOME ${PATH} $(id) \\$x",
        "BACKSLASH": "C:\\path\\n\\\\",
        "UTF8": "p\u00e4ss \u2603 \U0001f511",
        "EMPTY": "",
        "EQUALS": "a=b==c=",
        "SPACES": "  leading and trailing  ",
    }
    data["projects"][PROJECT]["environments"]["dev"]["folders"]["/v"] = {
        "secrets": values}
    p = run(shim, ENV0, base_env(server, INFISICAL_SECRET_PATH="/v"))
    assert p.returncode == 0, p.stderr
    got = child_env(p.stdout)
    for k, v in values.items():
        assert got[k.encode()] == v.encode(), k


def test_unusual_names_pass_unchanged(shim, data, server):
    values = {"my.key": "1", "A-B": "2", "with space": "3", "lower": "4"}
    data["projects"][PROJECT]["environments"]["dev"]["folders"]["/n"] = {
        "secrets": values}
    p = run(shim, ENV0, base_env(server, INFISICAL_SECRET_PATH="/n"))
    assert p.returncode == 0, p.stderr
    got = child_env(p.stdout)
    assert {k: got[k.encode()] for k in values} == \
        {k: v.encode() for k, v in values.items()}


# -- credentials ------------------------------------------------------------

def test_access_token_skips_login(shim, server):
    env = base_env(server, INFISICAL_UNIVERSAL_AUTH_CLIENT_ID=None,
                   INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET=None,
                   INFISICAL_TOKEN=STATIC_TOKEN)
    p = run(shim, ENV0, env)
    assert p.returncode == 0, p.stderr
    reqs = secret_requests(server)
    assert [r["path"] for r in reqs] == ["/api/v4/secrets"]
    assert reqs[0]["headers"]["authorization"] == "Bearer " + STATIC_TOKEN
    got = child_env(p.stdout)
    assert b"INFISICAL_TOKEN" not in got
    assert got[b"API_KEY"] == b"fake-api-key-123"


def test_credentials_from_files(shim, server, tmp_path):
    (tmp_path / "id").write_text(MEMBER["id"] + "\n")
    (tmp_path / "secret").write_text(MEMBER["secret"] + "\r\n")
    env = base_env(server, INFISICAL_UNIVERSAL_AUTH_CLIENT_ID=None,
                   INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET=None,
                   INFISICAL_UNIVERSAL_AUTH_CLIENT_ID_FILE=str(
                       tmp_path / "id"),
                   INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET_FILE=str(
                       tmp_path / "secret"))
    p = run(shim, ENV0, env)
    assert p.returncode == 0, p.stderr
    assert secret_requests(server)[0]["body"] == {
        "clientId": MEMBER["id"], "clientSecret": MEMBER["secret"]}
    got = child_env(p.stdout)
    for name in CREDENTIAL_VARS:
        assert name.encode() not in got
        assert (name + "_FILE").encode() not in got


def test_token_from_file(shim, server, tmp_path):
    (tmp_path / "token").write_text(STATIC_TOKEN + "\n")
    env = base_env(server, INFISICAL_UNIVERSAL_AUTH_CLIENT_ID=None,
                   INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET=None,
                   INFISICAL_TOKEN_FILE=str(tmp_path / "token"))
    p = run(shim, ENV0, env)
    assert p.returncode == 0, p.stderr
    assert secret_requests(server)[0]["headers"]["authorization"] == \
        "Bearer " + STATIC_TOKEN
    assert b"INFISICAL_TOKEN_FILE" not in child_env(p.stdout)


def test_credential_and_its_file_both_set(shim, server, tmp_path):
    (tmp_path / "secret").write_text("x")
    env = base_env(server, INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET_FILE=str(
        tmp_path / "secret"))
    p = run(shim, ENV0, env)
    assert p.returncode == 125
    assert p.stderr == (
        b"infx-exec: both INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET and "
        b"INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET_FILE are set; set only "
        b"one of them\n")
    assert server.requests == []


@pytest.mark.parametrize("content, why", [
    (None, b"No such file or directory"),
    ("", b": empty"),
    ("\n", b": empty"),
])
def test_bad_credential_file(shim, server, tmp_path, content, why):
    path = tmp_path / "secret"
    if content is not None:
        path.write_text(content)
    env = base_env(server, INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET=None,
                   INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET_FILE=str(path))
    p = run(shim, ENV0, env)
    assert p.returncode == 125
    assert p.stderr.startswith(
        b"infx-exec: unable to open " if content is None else
        b"infx-exec: unable to read ")
    assert b"INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET_FILE" in p.stderr
    assert str(path).encode() in p.stderr and why in p.stderr
    assert p.stderr.count(b"\n") == 1
    assert server.requests == []


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


def test_token_and_universal_auth_is_ambiguous(shim, server):
    p = run(shim, ENV0, base_env(server, INFISICAL_TOKEN=STATIC_TOKEN))
    assert p.returncode == 125
    assert p.stderr == (
        b"infx-exec: credentials of several auth methods are set "
        b"(universal-auth, token); unset the others or choose one with "
        b"INFISICAL_AUTH_METHOD\n")
    assert server.requests == []


def test_auth_method_chooses(shim, server):
    env = base_env(server, INFISICAL_TOKEN=STATIC_TOKEN,
                   INFISICAL_AUTH_METHOD="token")
    p = run(shim, ENV0, env)
    assert p.returncode == 0, p.stderr
    assert [r["path"] for r in secret_requests(server)] == \
        ["/api/v4/secrets"]
    p = run(shim, ["--auth-method", "universal-auth"] + ENV0, env)
    assert p.returncode == 0, p.stderr
    assert secret_requests(server)[1]["path"] == \
        "/api/v1/auth/universal-auth/login"
    p = run(shim, ["--auth-method", "kerberos"] + ENV0, env)
    assert p.returncode == 125 and b"unknown auth method" in p.stderr


# -- failures: 125, one clear line, the command never runs -----------------

def fails_closed(p, marker):
    assert p.returncode == 125, (p.returncode, p.stderr)
    assert p.stdout == b""
    assert not marker.exists()
    lines = p.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("infx-exec: "), lines
    return lines[0]


def test_wrong_client_secret(shim, server, tmp_path):
    marker = tmp_path / "ran"
    env = base_env(server, INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET="wrong")
    p = run(shim, ["--", "touch", str(marker)], env)
    line = fails_closed(p, marker)
    assert "HTTP 401 UnauthorizedError: Invalid credentials" in line
    assert "INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET" in line
    assert [r["path"] for r in server.requests] == \
        ["/api/v1/auth/universal-auth/login"]


def test_unknown_client_id(shim, server, tmp_path):
    marker = tmp_path / "ran"
    env = base_env(server, INFISICAL_UNIVERSAL_AUTH_CLIENT_ID="nobody")
    p = run(shim, ["--", "touch", str(marker)], env)
    line = fails_closed(p, marker)
    assert ("HTTP 404 NotFound: No identity with specified client ID was "
            "found") in line
    assert len(server.requests) == 1


def test_locked_identity_is_not_retried(shim, server, tmp_path):
    marker = tmp_path / "ran"
    bad = base_env(server, INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET="wrong")
    for _ in range(3):
        fails_closed(run(shim, ["--", "touch", str(marker)], bad), marker)
    p = run(shim, ["--", "touch", str(marker)], base_env(server))
    line = fails_closed(p, marker)
    assert "temporarily locked" in line
    assert len(server.requests) == 4


def test_unknown_project(shim, server, tmp_path):
    marker = tmp_path / "ran"
    env = base_env(server,
                   INFISICAL_PROJECT_ID="00000000-0000-0000-0000-000000000000")
    line = fails_closed(run(shim, ["--", "touch", str(marker)], env), marker)
    assert "HTTP 404 NotFound: Project with ID " in line
    assert "check INFISICAL_PROJECT_ID" in line
    assert len(server.requests) == 2


def test_identity_without_access(shim, server, tmp_path):
    marker = tmp_path / "ran"
    env = base_env(server, INFISICAL_UNIVERSAL_AUTH_CLIENT_ID=OUTSIDER["id"],
                   INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET=OUTSIDER["secret"])
    line = fails_closed(run(shim, ["--", "touch", str(marker)], env), marker)
    assert "HTTP 403" in line and "read access" in line


@pytest.mark.parametrize("token, status", [
    ("garbage", b"HTTP 403 TokenError"),
    ("revoked-access-token.aGVsbG8.d29ybGQ",
     b"HTTP 401 UnauthorizedError: No identity access token found"),
    ("expired-access-token.aGVsbG8.d29ybGQ",
     b"HTTP 403 TokenError: Your token has expired"),
])
def test_refused_token(shim, server, tmp_path, token, status):
    marker = tmp_path / "ran"
    env = base_env(server, INFISICAL_UNIVERSAL_AUTH_CLIENT_ID=None,
                   INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET=None,
                   INFISICAL_TOKEN=token)
    p = run(shim, ["--", "touch", str(marker)], env)
    fails_closed(p, marker)
    assert status in p.stderr
    assert token.encode() not in p.stderr


def test_token_with_newline_is_refused(shim, server, tmp_path):
    marker = tmp_path / "ran"
    env = base_env(server, INFISICAL_UNIVERSAL_AUTH_CLIENT_ID=None,
                   INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET=None,
                   INFISICAL_TOKEN="abc\r\nX-Injected: 1")
    fails_closed(run(shim, ["--", "touch", str(marker)], env), marker)
    assert server.requests == []


def test_unreachable_server(shim, tmp_path):
    port = free_port()
    marker = tmp_path / "ran"
    env = base_env(None, INFISICAL_API_URL=f"http://127.0.0.1:{port}",
                   INFISICAL_PROJECT_ID=PROJECT, INFISICAL_ENVIRONMENT="dev",
                   INFISICAL_TOKEN=STATIC_TOKEN, INFX_TIMEOUT="1")
    line = fails_closed(run(shim, ["--", "touch", str(marker)], env), marker)
    assert f"127.0.0.1 port {port}" in line
    assert "INFX_TIMEOUT ran out" in line


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


@pytest.mark.parametrize("name", ["", "A=B"])
def test_secret_name_that_cannot_be_a_variable(shim, data, server, tmp_path,
                                               name):
    data["projects"][PROJECT]["environments"]["dev"]["folders"]["/bad"] = {
        "secrets": {"GOOD": "1", name: "the-value"}}
    marker = tmp_path / "ran"
    env = base_env(server, INFISICAL_SECRET_PATH="/bad")
    line = fails_closed(run(shim, ["--", "touch", str(marker)], env), marker)
    assert "the-value" not in line
    assert (f"secret '{name}'" if name else "empty name") in line


def test_value_with_nul_is_refused(shim, data, server, tmp_path):
    data["projects"][PROJECT]["environments"]["dev"]["folders"]["/nul"] = {
        "secrets": {"NUL": "before\u0000after"}}
    marker = tmp_path / "ran"
    env = base_env(server, INFISICAL_SECRET_PATH="/nul")
    line = fails_closed(run(shim, ["--", "touch", str(marker)], env), marker)
    assert "NUL" in line and "before" not in line


@pytest.mark.parametrize("kind, words", [
    ("malformed", "not JSON"),
    ("html", "not JSON"),
    ("truncate", "unable to list secrets"),
])
def test_bad_list_answer(shim, server, tmp_path, kind, words):
    server.add_fault("list", kind, times=1000)
    marker = tmp_path / "ran"
    line = fails_closed(run(shim, ["--", "touch", str(marker)],
                            base_env(server, INFX_TIMEOUT="1")), marker)
    assert words in line


def test_redirect_is_not_followed(shim, server, tmp_path):
    server.add_fault("login", "redirect", url=server.url + "/elsewhere")
    marker = tmp_path / "ran"
    line = fails_closed(run(shim, ["--", "touch", str(marker)],
                            base_env(server)), marker)
    assert "HTTP 302" in line
    assert len(server.requests) == 1


def test_no_secret_in_any_message(shim, server, tmp_path):
    """Across failures after a successful login, stderr names no value."""
    outputs = []
    for fault in ("malformed", "html", "truncate"):
        server.clear_faults()
        server.add_fault("list", fault, times=1000)
        outputs.append(run(shim, ENV0, base_env(server,
                                                INFX_TIMEOUT="1")).stderr)
    server.clear_faults()
    outputs.append(run(shim, ENV0, base_env(
        server, INFISICAL_PROJECT_ID="nope")).stderr)
    text = b"".join(outputs)
    assert text.count(b"infx-exec: ") == 4
    assert MEMBER["secret"].encode() not in text
    for value in DEV_ROOT.values():
        assert value.encode() not in text


# -- HTTPS ------------------------------------------------------------------

def tls_env(server, **extra):
    return base_env(server, **extra)


def test_https_with_private_ca(shim, tls_server, pki):
    env = tls_env(tls_server, SSL_CERT_FILE=str(pki["ca"]))
    p = run(shim, ENV0, env)
    assert p.returncode == 0, p.stderr
    assert child_env(p.stdout)[b"API_KEY"] == b"fake-api-key-123"


def test_https_with_ca_directory(shim, tls_server, pki, tmp_path):
    d = tmp_path / "certs"
    d.mkdir()
    (d / "ca.pem").write_bytes(open(pki["ca"], "rb").read())
    subprocess.run(["openssl", "rehash", str(d)], check=True)
    env = tls_env(tls_server, SSL_CERT_DIR=str(d))
    p = run(shim, ENV0, env)
    assert p.returncode == 0, p.stderr


def test_https_untrusted_server(shim, tls_server, tmp_path):
    marker = tmp_path / "ran"
    line = fails_closed(run(shim, ["--", "touch", str(marker)],
                            tls_env(tls_server)), marker)
    assert "certificate" in line
    assert tls_server.requests == []


def test_https_host_name_mismatch(shim, data, pki, tmp_path):
    """A certificate from the trusted CA, but for another name."""
    cert, key = certs.make_server_cert(tmp_path, pki["ca_pair"],
                                       names=["other.example"])
    srv = InfisicalServer(data, tls=(str(cert), str(key)))
    srv.start()
    try:
        marker = tmp_path / "ran"
        env = tls_env(srv, SSL_CERT_FILE=str(pki["ca"]), INFX_TIMEOUT="5")
        line = fails_closed(run(shim, ["--", "touch", str(marker)], env),
                            marker)
        assert "127.0.0.1" in line and "certificate" in line
        assert srv.requests == []
    finally:
        srv.stop()


# -- the command: exec, exit codes, signals, argv --------------------------

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


# -- the command line itself -----------------------------------------------

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
