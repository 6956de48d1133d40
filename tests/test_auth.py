"""The machine identity: every login method, credentials from variables
and files, custom headers, refused logins (never retried), the access
token and its one re-login."""
import os

import pytest

from conftest import (timing, CREDENTIAL_VARS, DEV_ROOT, ENV0, MEMBER, STATIC_TOKEN,
                      InfisicalServer, base_env, child_env, run,
                      fails_closed, secret_requests, LOGIN, LIST,
                      paths)


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


@pytest.mark.parametrize("wrap", [
    ("\ufeff", "\r\n"), (" ", " \n"), ("\t\ufeff ", "\n\n")])
def test_credentials_are_trimmed_as_infisical_trims_them(shim, server,
                                                        tmp_path, wrap):
    """A byte-order mark from a Windows editor, CRLF, blanks: in a file or
    a variable, around a client secret or an access token."""
    before, after = wrap
    (tmp_path / "secret").write_text(before + MEMBER["secret"] + after)
    (tmp_path / "token").write_text(before + STATIC_TOKEN + after)
    for env in (
            base_env(server, INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET=None,
                     INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET_FILE=str(
                         tmp_path / "secret")),
            base_env(server, INFISICAL_UNIVERSAL_AUTH_CLIENT_ID=before +
                     MEMBER["id"] + after),
            base_env(server, INFISICAL_UNIVERSAL_AUTH_CLIENT_ID=None,
                     INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET=None,
                     INFISICAL_TOKEN_FILE=str(tmp_path / "token")),
            base_env(server, INFISICAL_UNIVERSAL_AUTH_CLIENT_ID=None,
                     INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET=None,
                     INFISICAL_TOKEN=before + STATIC_TOKEN + after)):
        p = run(shim, ENV0, env)
        assert p.returncode == 0, p.stderr
    sent = [r for r in server.requests if r["route"] == "login"]
    assert [r["body"] for r in sent] == [
        {"clientId": MEMBER["id"], "clientSecret": MEMBER["secret"]}] * 2
    bearer = [r["headers"]["authorization"] for r in server.requests
              if r["route"] == "list"][2:]
    assert bearer == ["Bearer " + STATIC_TOKEN] * 2


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


def test_wrong_client_secret(shim, server, tmp_path):
    marker = tmp_path / "ran"
    env = base_env(server, INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET="wrong")
    p = run(shim, ["--", "touch", str(marker)], env)
    line = fails_closed(p, marker)
    assert "HTTP 401 UnauthorizedError: Invalid credentials" in line
    assert "INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET" in line
    assert [r["path"] for r in server.requests] == \
        ["/api/v1/auth/universal-auth/login"]


def test_refusal_names_the_file_variable_used(shim, server, tmp_path):
    """A secret read from INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET_FILE: the
    message says to check that variable (the file), not the plain one."""
    secret = tmp_path / "secret"
    secret.write_text("wrong\n")
    env = base_env(server)
    del env["INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET"]
    env["INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET_FILE"] = str(secret)
    line = fails_closed(run(shim, ["--", "true"], env))
    assert "; check INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET_FILE;" in line


@pytest.mark.parametrize("echo", ["whole", "cut", "list"])
def test_an_echoed_credential_is_masked(shim, server, echo):
    """A server or proxy that echoes what it was sent (the client secret in
    a login refusal, the access token in a list refusal) never gets it
    into the log: also where the message is cut to fit the line, which
    would otherwise leave the secret's first bytes."""
    env = base_env(server)
    if echo == "list":
        server.add_fault("list", "status", status=400, error="BadRequest",
                         message=f"bad header Bearer {STATIC_TOKEN}")
        env = base_env(server, INFISICAL_UNIVERSAL_AUTH_CLIENT_ID=None,
                       INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET=None,
                       INFISICAL_TOKEN=STATIC_TOKEN)
        leaked = STATIC_TOKEN
    else:
        leaked = MEMBER["secret"]
        pad = "." * (223 if echo == "cut" else 0)  # cut inside the secret
        server.add_fault("login", "status", status=401,
                         message=f"{pad}no client with secret {leaked}!")
    line = fails_closed(run(shim, ["--", "true"], env))
    assert leaked not in line and leaked[:6] not in line
    assert "***" in line


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


def test_redirect_on_login_is_not_followed(shim, server, tmp_path):
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
    errors = [ln for ln in text.splitlines()
              if not ln.startswith(b"infx-exec: warning: ")]
    assert len(errors) == 4 and all(e.startswith(b"infx-exec: ")
                                    for e in errors), text
    assert MEMBER["secret"].encode() not in text
    for value in DEV_ROOT.values():
        assert value.encode() not in text


IDENTITY = "4c1858f4-6d2c-461e-b5c0-edfab06e107d"


K8S_JWT = "eyJrOHMiOiJ0b2tlbiJ9.c2VydmljZS1hY2NvdW50.c2ln"


OIDC_JWT = "eyJvaWRjIjoidG9rZW4ifQ.b2lkYy1wYXlsb2Fk.c2ln"


JWT_JWT = "eyJqd3QiOiJ0b2tlbiJ9.and0LXBheWxvYWQ.c2ln"


@pytest.fixture
def idp_data(data):
    ident = data["identities"][0]
    ident.update(kubernetesJwt=K8S_JWT, oidcJwt=OIDC_JWT, jwtJwt=JWT_JWT)
    return data


def identity_env(server, **extra):
    return base_env(server, INFISICAL_UNIVERSAL_AUTH_CLIENT_ID=None,
                    INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET=None,
                    INFISICAL_MACHINE_IDENTITY_ID=IDENTITY, **extra)


def test_kubernetes_auth(shim, idp_data, tmp_path):
    token = tmp_path / "token"
    token.write_text(K8S_JWT)
    srv = InfisicalServer(idp_data)
    srv.start()
    try:
        env = identity_env(
            srv, INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH=str(token))
        p = run(shim, ENV0, env)
        assert p.returncode == 0, p.stderr
        login = srv.requests[0]
        assert login["path"] == "/api/v1/auth/kubernetes-auth/login"
        assert login["body"] == {"identityId": IDENTITY, "jwt": K8S_JWT}
        got = child_env(p.stdout)
        assert got[b"API_KEY"] == b"fake-api-key-123"
        assert b"INFISICAL_MACHINE_IDENTITY_ID" not in got
        assert b"INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH" not in got
    finally:
        srv.stop()


def test_kubernetes_default_token_path(shim, server):
    p = run(shim, ENV0, identity_env(server))
    line = fails_closed(p)
    assert ("unable to open INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH "
            "'/var/run/secrets/kubernetes.io/serviceaccount/token'") in line
    assert server.requests == []


@pytest.mark.parametrize("method, route, jwt", [
    ("oidc", "/api/v1/auth/oidc-auth/login", OIDC_JWT),
    ("jwt", "/api/v1/auth/jwt-auth/login", JWT_JWT),
])
def test_oidc_and_jwt_auth(shim, idp_data, tmp_path, method, route, jwt):
    (tmp_path / "jwt").write_text(jwt + "\n")
    srv = InfisicalServer(idp_data)
    srv.start()
    try:
        for extra in ({"INFISICAL_JWT": jwt},
                      {"INFISICAL_JWT_FILE": str(tmp_path / "jwt")}):
            srv.clear_requests()
            p = run(shim, ["--auth-method", method] + ENV0,
                    identity_env(srv, **extra))
            assert p.returncode == 0, p.stderr
            assert srv.requests[0]["path"] == route
            assert srv.requests[0]["body"] == {"identityId": IDENTITY,
                                               "jwt": jwt}
            got = child_env(p.stdout)
            for name in ("INFISICAL_JWT", "INFISICAL_JWT_FILE",
                         "INFISICAL_MACHINE_IDENTITY_ID"):
                assert name.encode() not in got
        srv.clear_requests()
        p = run(shim, ENV0, identity_env(srv, INFISICAL_JWT="bad.jwt.value",
                                         INFISICAL_AUTH_METHOD=method))
        line = fails_closed(p)
        assert "HTTP 401" in line and "bad.jwt.value" not in line
        assert len(srv.requests) == 1
    finally:
        srv.stop()


def test_jwt_without_method_is_ambiguous(shim, server):
    p = run(shim, ENV0, identity_env(server, INFISICAL_JWT=OIDC_JWT))
    assert "choose oidc or jwt with INFISICAL_AUTH_METHOD" in \
        fails_closed(p)
    assert server.requests == []


def test_identity_and_universal_auth_is_ambiguous(shim, server):
    p = run(shim, ENV0, base_env(server,
                                 INFISICAL_MACHINE_IDENTITY_ID=IDENTITY))
    assert "several auth methods" in fails_closed(p)


def test_unconfigured_method_names_what_to_check(shim, server, tmp_path):
    p = run(shim, ["--auth-method", "oidc"] + ENV0,
            identity_env(server, INFISICAL_JWT=OIDC_JWT))
    line = fails_closed(p)
    assert "HTTP 404" in line and "INFISICAL_MACHINE_IDENTITY_ID" in line


def test_custom_headers(shim, server, tmp_path):
    headers = ("CF-Access-Client-Id=abc123 "
               "CF-Access-Client-Secret='s3cr3t value' User-Agent=evil")
    for extra in ({"INFISICAL_CUSTOM_HEADERS": headers},
                  {"INFISICAL_CUSTOM_HEADERS_FILE": str(tmp_path / "h")}):
        (tmp_path / "h").write_text(headers + "\n")
        server.clear_requests()
        p = run(shim, ENV0, base_env(server, **extra))
        assert p.returncode == 0, p.stderr
        for r in server.requests:
            assert r["headers"]["cf-access-client-id"] == "abc123"
            assert r["headers"]["cf-access-client-secret"] == "s3cr3t value"
            assert r["headers"]["user-agent"].startswith("infx-exec/")
        got = child_env(p.stdout)
        assert b"INFISICAL_CUSTOM_HEADERS" not in got
        assert b"INFISICAL_CUSTOM_HEADERS_FILE" not in got


@pytest.mark.parametrize("value", ["novalue", "=x", "Authorization=Bearer x"])
def test_bad_custom_headers(shim, server, value):
    p = run(shim, ENV0, base_env(server, INFISICAL_CUSTOM_HEADERS=value))
    line = fails_closed(p)
    assert "INFISICAL_CUSTOM_HEADERS" in line and "Bearer x" not in line
    assert server.requests == []


def test_credential_file_must_be_a_regular_file(shim, server, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path in (str(fifo), str(tmp_path), "/dev/zero"):
        env = base_env(server, INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET=None,
                       INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET_FILE=path)
        p = run(shim, ENV0, env, timeout=10)
        line = fails_closed(p)
        assert f"'{path}': not a regular file" in line
    assert server.requests == []


@pytest.mark.parametrize("headers", [
    "X-Injected:1=b", "X-A='a\x1bb'", "Host=evil", "Content-Length=5",
    "transfer-encoding=chunked", "Content-Type=text/plain"])
def test_custom_headers_that_would_change_the_request(shim, server,
                                                       headers):
    p = run(shim, ENV0, base_env(server, INFISICAL_CUSTOM_HEADERS=headers))
    assert "INFISICAL_CUSTOM_HEADERS holds a header" in fails_closed(p)
    assert server.requests == []


@timing
def test_login_refusal_is_never_retried(shim, server, tmp_path):
    for status in (400, 401, 403, 404, 422):
        server.clear_requests()
        server.clear_faults()
        server.add_fault("login", "status", status=status, times=5)
        p = run(shim, ENV0, base_env(server))
        assert f"HTTP {status}" in fails_closed(p)
        assert paths(server) == [LOGIN], status


@timing
def test_login_5xx_is_retried(shim, server):
    server.add_fault("login", "status", status=503, times=2)
    p = run(shim, ENV0, base_env(server))
    assert p.returncode == 0, p.stderr
    assert paths(server) == [LOGIN, LOGIN, LOGIN, LIST]


@pytest.mark.parametrize("status, error", [(401, "UnauthorizedError"),
                                           (403, "TokenError")])
@timing
def test_rejected_token_gets_one_fresh_login(shim, server, status, error):
    server.add_fault("list", "status", status=status, error=error,
                     message="token gone")
    p = run(shim, ENV0, base_env(server))
    assert p.returncode == 0, p.stderr
    assert paths(server) == [LOGIN, LIST, LOGIN, LIST]
    server.clear_requests()
    server.add_fault("list", "status", status=status, error=error,
                     message="token gone", times=5)
    p = run(shim, ENV0, base_env(server))
    assert "token gone" in fails_closed(p)
    assert paths(server) == [LOGIN, LIST, LOGIN, LIST]


@timing
def test_permission_denied_is_not_a_token_problem(shim, server):
    server.add_fault("list", "status", status=403, error="PermissionDenied",
                     message="You are not allowed to read on secrets")
    assert "PermissionDenied" in fails_closed(run(shim, ENV0, base_env(server)))
    assert paths(server) == [LOGIN, LIST]


@timing
def test_token_is_reused_for_every_path(shim, data, server):
    f = data["projects"]["6b9840a0-8e69-42a9-879e-c8f739eadf8a"]
    f["environments"]["dev"]["folders"]["/a"] = {"secrets": {"A": "1"}}
    f["environments"]["dev"]["folders"]["/b"] = {"secrets": {"B": "2"}}
    server.add_fault("list", "status", status=503)
    p = run(shim, ["--path", "/a", "--path", "/b"] + ENV0, base_env(server))
    assert p.returncode == 0, p.stderr
    assert paths(server) == [LOGIN, LIST, LIST, LIST]
    tokens = {r["headers"]["authorization"] for r in server.requests[1:]}
    assert len(tokens) == 1


def test_credentials_of_every_method_never_reach_the_command(shim, server,
                                                             tmp_path):
    names = CREDENTIAL_VARS + [
        "INFISICAL_MACHINE_IDENTITY_ID", "INFISICAL_JWT",
        "INFISICAL_CUSTOM_HEADERS"]
    env = base_env(server, INFISICAL_AUTH_METHOD="universal-auth",
                   INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH="/x",
                   INFISICAL_MACHINE_IDENTITY_ID=IDENTITY,
                   INFISICAL_JWT="a.b.c", INFISICAL_TOKEN_FILE="/nowhere",
                   INFISICAL_JWT_FILE="/nowhere",
                   INFISICAL_MACHINE_IDENTITY_ID_FILE="/nowhere",
                   INFISICAL_CUSTOM_HEADERS="X-A=1")
    p = run(shim, ENV0, env)
    assert p.returncode == 0, p.stderr
    got = child_env(p.stdout)
    for name in names + [n + "_FILE" for n in names] + [
            "INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH"]:
        if name.endswith("_FILE_FILE"):
            continue
        assert name.encode() not in got, name
    assert got[b"INFISICAL_AUTH_METHOD"] == b"universal-auth"
