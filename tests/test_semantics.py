"""Issue 3 semantics through the real binary: secret selection, environment
rules, every login method, TLS trust, custom headers, --user and --check."""
import os
import subprocess

import pytest

from conftest import (BASE_PATH, CREDENTIAL_VARS, DEV_ROOT, ENV0, MEMBER,
                      PROJECT, InfisicalServer, base_env, child_env,
                      exact_env, run, shim_command)

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


def one_line_failure(p):
    assert p.returncode == 125, (p.returncode, p.stderr)
    lines = p.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("infx-exec: "), lines
    return lines[0]


# -- secret selection -------------------------------------------------------

def test_several_paths_later_wins(shim, data, server):
    folder(data, "/shared", {"A": "shared-a", "B": "shared-b"})
    folder(data, "/svc", {"B": "svc-b", "C": "svc-c"})
    for args, env in (
            (["--path", "/shared", "--path", "/svc"], {}),
            ([], {"INFISICAL_SECRET_PATH": "/shared, /svc"})):
        server.clear_requests()
        p = run(shim, args + ENV0, base_env(server, **env))
        assert p.returncode == 0, p.stderr
        got = child_env(p.stdout)
        assert (got[b"A"], got[b"B"], got[b"C"]) == \
            (b"shared-a", b"svc-b", b"svc-c")
        assert [r["query"]["secretPath"] for r in lists(server)] == \
            [["/shared"], ["/svc"]]


def test_path_flag_replaces_the_variable(shim, data, server):
    folder(data, "/svc", {"C": "svc-c"})
    p = run(shim, ["--path", "/svc"] + ENV0,
            base_env(server, INFISICAL_SECRET_PATH="/nowhere"))
    assert p.returncode == 0, p.stderr
    assert [r["query"]["secretPath"] for r in lists(server)] == [["/svc"]]


def test_recursive(shim, server):
    p = run(shim, ["--recursive"] + ENV0, base_env(server))
    assert p.returncode == 0, p.stderr
    got = child_env(p.stdout)
    assert got[b"APP_SECRET"] == b"app-folder-secret"
    assert got[b"API_KEY"] == b"fake-api-key-123"
    assert lists(server)[0]["query"]["recursive"] == ["true"]
    server.clear_requests()
    p = run(shim, ENV0, base_env(server, INFISICAL_RECURSIVE="true"))
    assert child_env(p.stdout)[b"APP_PORT"] == b"3000"


def test_tags(shim, data, server):
    folder(data, "/t", {"DB": {"value": "db", "tags": ["database"]},
                        "WEB": {"value": "web", "tags": ["frontend"]},
                        "NONE": "none"})
    p = run(shim, ["--tags", "database"] + ENV0,
            base_env(server, INFISICAL_SECRET_PATH="/t"))
    assert p.returncode == 0, p.stderr
    got = child_env(p.stdout)
    assert got[b"DB"] == b"db" and b"WEB" not in got and b"NONE" not in got
    assert lists(server)[0]["query"]["tagSlugs"] == ["database"]


def test_no_imports(shim, server):
    for args, env in ((["--no-imports"], {}),
                      ([], {"INFISICAL_INCLUDE_IMPORTS": "false"})):
        server.clear_requests()
        p = run(shim, args + ENV0, base_env(server, **env))
        assert p.returncode == 0, p.stderr
        assert b"IMPORTED_ONLY" not in child_env(p.stdout)
        q = lists(server)[0]["query"]
        assert q["include_imports"] == ["false"]
        assert q["includeImports"] == ["false"]


def test_no_expand_keeps_references_without_warning(shim, server):
    for args, env in ((["--no-expand"], {}),
                      ([], {"INFISICAL_EXPAND_SECRET_REFERENCES": "false"})):
        server.clear_requests()
        p = run(shim, args + ENV0, base_env(server, **env))
        assert p.returncode == 0 and p.stderr == b"", p.stderr
        got = child_env(p.stdout)
        assert got[b"REF_LOCAL"] == b"prefix-${OTHER_KEY}-suffix"
        assert lists(server)[0]["query"]["expandSecretReferences"] == \
            ["false"]


def test_bad_boolean_variable(shim, server):
    p = run(shim, ENV0, base_env(server, INFISICAL_RECURSIVE="yes please"))
    line = one_line_failure(p)
    assert "INFISICAL_RECURSIVE='yes please' is not a boolean" in line
    assert server.requests == []


def test_v3_fallback_is_decided_once(shim, data):
    folder(data, "/svc", {"C": "svc-c"})
    srv = InfisicalServer(data, v4=False)
    srv.start()
    try:
        p = run(shim, ["--path", "/", "--path", "/svc"] + ENV0,
                base_env(srv))
        assert p.returncode == 0, p.stderr
        got = child_env(p.stdout)
        assert got[b"API_KEY"] == b"fake-api-key-123"
        assert got[b"C"] == b"svc-c"
        paths = [r["path"] for r in srv.requests]
        assert paths == ["/api/v1/auth/universal-auth/login",
                         "/api/v4/secrets", "/api/v3/secrets/raw",
                         "/api/v3/secrets/raw"]
        v3 = srv.requests[2]["query"]
        assert v3["workspaceId"] == [PROJECT] and "projectId" not in v3
    finally:
        srv.stop()


def test_real_404_is_not_taken_for_a_missing_route(shim, server):
    p = run(shim, ENV0, base_env(server, INFISICAL_PROJECT_ID="nope"))
    line = one_line_failure(p)
    assert "HTTP 404 NotFound" in line
    assert [r["path"] for r in lists(server)] == ["/api/v4/secrets"]


# -- environment rules ------------------------------------------------------

def test_preserve_env(shim, server):
    env = base_env(server, API_KEY="from-compose", OTHER_KEY="compose-other")
    p = run(shim, ["--preserve-env"] + ENV0, env)
    got = child_env(p.stdout)
    assert got[b"API_KEY"] == b"from-compose"
    assert got[b"OTHER_KEY"] == b"compose-other"
    assert got[b"DATABASE_URL"] == DEV_ROOT["DATABASE_URL"].encode()
    p = run(shim, ["--preserve-env=API_KEY"] + ENV0, env)
    got = child_env(p.stdout)
    assert got[b"API_KEY"] == b"from-compose"
    assert got[b"OTHER_KEY"] == b"other-value"
    for value, api, other in (("true", b"from-compose", b"compose-other"),
                              ("OTHER_KEY", b"fake-api-key-123",
                               b"compose-other"),
                              ("false", b"fake-api-key-123",
                               b"other-value")):
        p = run(shim, ENV0, dict(env, INFX_PRESERVE_ENV=value))
        got = child_env(p.stdout)
        assert (got[b"API_KEY"], got[b"OTHER_KEY"]) == (api, other), value


@pytest.mark.parametrize("how", ["flag", "variable"])
def test_require(shim, server, how, tmp_path):
    marker = tmp_path / "ran"

    def go(names, **extra):
        args = (["--require", names] if how == "flag" else [])
        env = base_env(server, **extra)
        if how == "variable":
            env["INFX_REQUIRE"] = names
        return run(shim, args + ["--", "touch", str(marker)], env)

    assert go("API_KEY,DATABASE_URL").returncode == 0
    assert marker.exists()
    marker.unlink()
    line = one_line_failure(go("API_KEY, NOT_THERE"))
    assert "required variable 'NOT_THERE' is not set" in line
    line = one_line_failure(go("EMPTY_ONE", EMPTY_ONE=""))
    assert "required variable 'EMPTY_ONE' is empty" in line
    assert not marker.exists()


def test_require_counts_inherited_and_empty_secret(shim, data, server):
    folder(data, "/e", {"BLANK": "", "X": "1"})
    p = run(shim, ["--require", "FROM_COMPOSE"] + ENV0,
            base_env(server, FROM_COMPOSE="yes", INFISICAL_SECRET_PATH="/e"))
    assert p.returncode == 0, p.stderr
    line = one_line_failure(run(shim, ["--require", "BLANK"] + ENV0,
                                base_env(server, INFISICAL_SECRET_PATH="/e")))
    assert "required variable 'BLANK' is empty" in line


@pytest.mark.parametrize("env", ["nope", "dev"])
def test_empty_result_guard(shim, server, env, tmp_path):
    marker = tmp_path / "ran"
    extra = {"INFISICAL_ENVIRONMENT": env}
    if env == "dev":
        extra["INFISICAL_SECRET_PATH"] = "/no/such/folder"
    path = extra.get("INFISICAL_SECRET_PATH", "/")
    p = run(shim, ["--", "touch", str(marker)], base_env(server, **extra))
    line = one_line_failure(p)
    assert (f"no secrets in project '{PROJECT}', environment '{env}', "
            f"path '{path}'") in line
    assert "INFX_ALLOW_EMPTY" in line and not marker.exists()
    for args, allow in ((["--allow-empty"], {}),
                        ([], {"INFX_ALLOW_EMPTY": "true"})):
        p = run(shim, args + ["--", "touch", str(marker)],
                base_env(server, **extra, **allow))
        assert p.returncode == 0 and marker.exists(), p.stderr
        marker.unlink()


def test_guard_is_per_path(shim, server):
    p = run(shim, ["--path", "/", "--path", "/typo"] + ENV0,
            base_env(server))
    assert "path '/typo'" in one_line_failure(p)


def test_unresolved_reference_warns_by_name(shim, server):
    p = run(shim, ENV0, base_env(server, INFISICAL_ENVIRONMENT="qa"))
    assert p.returncode == 0
    assert child_env(p.stdout)[b"REF_MISSING"] == b"${DOES_NOT_EXIST}"
    err = p.stderr.decode()
    assert ("infx-exec: warning: secret 'REF_MISSING' still holds a ${...} "
            "reference after expansion: a missing or empty secret, or a "
            "cycle\n") in err
    assert "DOES_NOT_EXIST" not in err


def test_unresolved_reference_is_an_error_when_strict(shim, server,
                                                      tmp_path):
    marker = tmp_path / "ran"
    for args, env in ((["--strict"], {}), ([], {"INFX_STRICT": "true"})):
        p = run(shim, args + ["--", "touch", str(marker)],
                base_env(server, INFISICAL_ENVIRONMENT="qa", **env))
        line = one_line_failure(p)
        assert "still holds a ${...} reference" in line
        assert "secret 'REF_MISSING'" in line or "secret 'CYCLE_" in line
        assert "DOES_NOT_EXIST" not in line and not marker.exists()


def test_unterminated_reference_is_not_a_reference(shim, server):
    p = run(shim, ["--strict"] + ENV0, base_env(server))
    assert p.returncode == 0, p.stderr      # SPECIAL_CHARS has "${NOT_A_REF"


@pytest.mark.parametrize("name", ["LD_PRELOAD", "LD_LIBRARY_PATH",
                                  "LD_AUDIT", "GCONV_PATH", "GLIBC_TUNABLES",
                                  "INFISICAL_TOKEN", "INFISICAL_API_URL",
                                  "INFX_USER"])
def test_reserved_names_are_refused(shim, data, server, tmp_path, name):
    folder(data, "/r", {"OK": "1", name: "/tmp/evil.so"})
    marker = tmp_path / "ran"
    p = run(shim, ["--", "touch", str(marker)],
            base_env(server, INFISICAL_SECRET_PATH="/r"))
    line = one_line_failure(p)
    assert f"secret '{name}' may not set a reserved variable" in line
    assert "evil" not in line and not marker.exists()


def test_reserved_name_can_be_allowed(shim, data, server):
    folder(data, "/r", {"LD_LIBRARY_PATH": "/opt/app/lib"})
    for args, env in ((["--allow-reserved", "LD_LIBRARY_PATH"], {}),
                      ([], {"INFX_ALLOW_RESERVED": "X,LD_LIBRARY_PATH"})):
        p = run(shim, args + ENV0,
                base_env(server, INFISICAL_SECRET_PATH="/r", **env))
        assert p.returncode == 0, p.stderr
        assert child_env(p.stdout)[b"LD_LIBRARY_PATH"] == b"/opt/app/lib"


@exact_env
@pytest.mark.parametrize("name", ["PATH", "HOME", "USER", "SHELL", "TERM",
                                  "PWD", "LC_ALL", "XDG_RUNTIME_DIR"])
def test_container_names_are_dropped_with_a_warning(shim, data, server, name):
    folder(data, "/c", {"APP": "1", name: "from-infisical"})
    env = base_env(server, INFISICAL_SECRET_PATH="/c")
    env[name] = "from-container"
    p = run(shim, ENV0, env)
    assert p.returncode == 0, p.stderr
    got = child_env(p.stdout)
    assert got[name.encode()] == b"from-container"
    assert got[b"APP"] == b"1"
    assert p.stderr.decode() == (
        f"infx-exec: warning: secret '{name}' is not applied: it names a "
        f"variable of the container itself (allow it with "
        f"INFX_ALLOW_RESERVED={name})\n")


def test_value_over_the_kernel_string_limit(shim, data, server, tmp_path):
    folder(data, "/big", {"SMALL": "x", "HUGE": "v" * (128 * 1024)})
    marker = tmp_path / "ran"
    p = run(shim, ["--", "touch", str(marker)],
            base_env(server, INFISICAL_SECRET_PATH="/big"))
    line = one_line_failure(p)
    assert "variable 'HUGE' is 131077 bytes" in line
    assert not marker.exists()
    folder(data, "/fits", {"FITS": "v" * (128 * 1024 - 6)})
    p = run(shim, ["--", "true"],
            base_env(server, INFISICAL_SECRET_PATH="/fits"))
    assert p.returncode == 0, p.stderr


def test_environment_over_arg_max(shim, data, server, tmp_path):
    arg_max = os.sysconf("SC_ARG_MAX")
    n = arg_max // (100 * 1024) + 2
    folder(data, "/many", {f"K{i}": "v" * (100 * 1024) for i in range(n)})
    marker = tmp_path / "ran"
    p = run(shim, ["--", "touch", str(marker)],
            base_env(server, INFISICAL_SECRET_PATH="/many"))
    line = one_line_failure(p)
    assert f"more than the {arg_max} the kernel allows (ARG_MAX)" in line
    assert not marker.exists()


# -- machine identity methods -----------------------------------------------

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
    line = one_line_failure(p)
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
        line = one_line_failure(p)
        assert "HTTP 401" in line and "bad.jwt.value" not in line
        assert len(srv.requests) == 1
    finally:
        srv.stop()


def test_jwt_without_method_is_ambiguous(shim, server):
    p = run(shim, ENV0, identity_env(server, INFISICAL_JWT=OIDC_JWT))
    assert "choose oidc or jwt with INFISICAL_AUTH_METHOD" in \
        one_line_failure(p)
    assert server.requests == []


def test_identity_and_universal_auth_is_ambiguous(shim, server):
    p = run(shim, ENV0, base_env(server,
                                 INFISICAL_MACHINE_IDENTITY_ID=IDENTITY))
    assert "several auth methods" in one_line_failure(p)


def test_unconfigured_method_names_what_to_check(shim, server, tmp_path):
    p = run(shim, ["--auth-method", "oidc"] + ENV0,
            identity_env(server, INFISICAL_JWT=OIDC_JWT))
    line = one_line_failure(p)
    assert "HTTP 404" in line and "INFISICAL_MACHINE_IDENTITY_ID" in line


# -- TLS and headers ----------------------------------------------------------

def test_infisical_ca_cert_file_wins(shim, tls_server, pki, tmp_path):
    wrong = tmp_path / "wrong.pem"
    wrong.write_text("not a certificate\n")
    env = base_env(tls_server, INFISICAL_CA_CERT_FILE=str(pki["ca"]),
                   SSL_CERT_FILE=str(wrong))
    p = run(shim, ENV0, env)
    assert p.returncode == 0, p.stderr


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
    line = one_line_failure(p)
    assert "INFISICAL_CUSTOM_HEADERS" in line and "Bearer x" not in line
    assert server.requests == []


def test_built_in_roots_are_embedded(static_shim):
    data = open(static_shim, "rb").read()
    assert data.count(b"-----BEGIN CERTIFICATE-----") >= 100


# -- privilege drop -----------------------------------------------------------

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
    assert "unknown user 'no-such-user-xyz'" in one_line_failure(p)
    p = run(shim, ["--user", "nobody:no-such-group"] + ENV0,
            base_env(server))
    assert "unknown group 'no-such-group'" in one_line_failure(p)
    assert server.requests == []


@needs_root
def test_failed_drop_is_fatal(shim, server, tmp_path):
    marker = tmp_path / "ran"
    os.chmod(tmp_path, 0o777)

    def as_nobody():
        os.setgid(65534)
        os.setuid(65534)

    p = subprocess.run(shim_command(shim, ["--user", "4242", "--", "touch",
                                           str(marker)]),
                       env=base_env(server), capture_output=True,
                       preexec_fn=as_nobody, timeout=30)
    line = one_line_failure(p)
    assert "unable to set the groups of uid 4242" in line
    assert not marker.exists()


# -- check mode ---------------------------------------------------------------

def test_check_lists_names_and_sources_only(shim, data, server, tmp_path):
    folder(data, "/c", {"PATH": "/evil", "APP": "v1"},
           imports=[{"environment": "staging", "secretPath": "/"}])
    marker = tmp_path / "ran"
    p = run(shim, ["--check", "--path", "/", "--path", "/c", "--",
                   "touch", str(marker)], base_env(server))
    assert p.returncode == 0, p.stderr
    assert not marker.exists()
    lines = p.stdout.decode().splitlines()
    assert sorted(lines) == sorted([
        "REF_FOLDER\t/", "OTHER_KEY\t/", "SPECIAL_CHARS\t/",
        "API_KEY\timport staging:/",  # /c comes later and imports it
        "REF_CROSS\t/", "MULTILINE_PEM\t/", "DATABASE_URL\t/",
        "REF_LOCAL\t/", "IMPORTED_ONLY\timport staging:/", "APP\t/c",
    ])
    out = p.stdout + p.stderr
    for value in list(DEV_ROOT.values()) + ["v1", "/evil"]:
        assert value.encode() not in out
    assert b"secret 'PATH' is not applied" in p.stderr


def test_check_fails_like_a_run(shim, server):
    p = run(shim, ["--check"] + ENV0,
            base_env(server, INFISICAL_ENVIRONMENT="nope"))
    assert "no secrets in" in one_line_failure(p)
    p = run(shim, ENV0, base_env(server, INFX_CHECK="true"))
    assert p.returncode == 0 and b"API_KEY\t/\n" in p.stdout


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


def test_preserve_env_takes_any_boolean_spelling(shim, server):
    env = base_env(server, API_KEY="from-compose")
    for value in ("yes", "1", "ON", "True"):
        p = run(shim, ENV0, dict(env, INFX_PRESERVE_ENV=value))
        assert child_env(p.stdout)[b"API_KEY"] == b"from-compose", value


def test_list_flags_replace_their_variable(shim, data, server):
    folder(data, "/r", {"LD_LIBRARY_PATH": "/opt/lib", "A": "1"})
    env = base_env(server, INFISICAL_SECRET_PATH="/r",
                   INFX_REQUIRE="NOT_THERE",
                   INFX_ALLOW_RESERVED="LD_LIBRARY_PATH")
    p = run(shim, ["--require", "A"] + ENV0, env)
    assert p.returncode == 0, p.stderr
    p = run(shim, ["--allow-reserved", "OTHER", "--require", "A"] + ENV0,
            env)
    assert "LD_LIBRARY_PATH" in one_line_failure(p)


def test_check_needs_no_command(shim, server):
    p = run(shim, ["--check"], base_env(server))
    assert p.returncode == 0, p.stderr
    assert b"API_KEY\t/\n" in p.stdout


# -- proxies ------------------------------------------------------------------

class _Proxy:
    """A minimal forward HTTP proxy: absolute-form requests are sent on to
    the test server, whatever host name they carry."""

    def __init__(self, target_port):
        import http.client
        import http.server
        import threading

        proxy = self
        self.seen = []

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _forward(self):
                proxy.seen.append(self.path)
                n = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(n) if n else None
                path = "/" + self.path.split("/", 3)[3]
                c = http.client.HTTPConnection("127.0.0.1", target_port)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("proxy-connection",)}
                c.request(self.command, path, body=body, headers=headers)
                r = c.getresponse()
                data = r.read()
                self.send_response(r.status)
                for k, v in r.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection"):
                        self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _forward

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                     Handler)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever,
                         daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_proxy_variables_are_honoured(shim, server):
    port = int(server.url.rsplit(":", 1)[1])
    proxy = _Proxy(port)
    try:
        # A name no resolver knows: only the proxy can reach it.
        api = f"http://infisical.internal.invalid:{port}"
        env = base_env(server, INFISICAL_API_URL=api, http_proxy=proxy.url,
                       INFX_TIMEOUT="3")
        p = run(shim, ENV0, env)
        assert p.returncode == 0, p.stderr
        assert child_env(p.stdout)[b"API_KEY"] == b"fake-api-key-123"
        assert [s.split("?")[0] for s in proxy.seen] == [
            api + "/api/v1/auth/universal-auth/login",
            api + "/api/v4/secrets"]
        proxy.seen.clear()
        p = run(shim, ENV0, dict(env, no_proxy="infisical.internal.invalid"))
        assert p.returncode == 125 and proxy.seen == []
    finally:
        proxy.stop()


# -- found by trying to break it ------------------------------------------------

def test_check_output_cannot_be_forged(shim, data, server):
    folder(data, "/f", {"GOOD\tinjected\nFAKE\x1b[31m": "v"},
           imports=[{"environment": "staging", "secretPath": "/"}])
    p = run(shim, ["--check", "--path", "/f"], base_env(server))
    assert p.returncode == 0, p.stderr
    lines = p.stdout.decode().splitlines()
    assert "GOOD?injected?FAKE?[31m\t/f" in lines
    assert all(line.count("\t") == 1 for line in lines)
    assert b"\x1b" not in p.stdout


@pytest.mark.parametrize("url", [
    "http://admin:Sup3rPassw0rd@127.0.0.1:1",
    "http://127.0.0.1:1/?x=1",
    "http://127.0.0.1:1/#frag",
    "http://127.0.0.1:1/\x1b[31m\nFAKE",
    "http://127.0.0.1:1/a b",
])
def test_api_url_holds_only_scheme_host_port_path(shim, server, url):
    p = run(shim, ENV0, base_env(server, INFISICAL_API_URL=url))
    line = one_line_failure(p)
    assert "may hold only scheme://host[:port][/path]" in line
    assert "Sup3rPassw0rd" not in line and "\x1b" not in line
    assert server.requests == []


def test_api_url_with_at_in_the_path_is_fine(shim, server):
    p = run(shim, ENV0, base_env(server, INFISICAL_API_URL=server.url +
                                 "/x@y/.."))
    assert b"may hold only" not in p.stderr


def test_credential_file_must_be_a_regular_file(shim, server, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path in (str(fifo), str(tmp_path), "/dev/zero"):
        env = base_env(server, INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET=None,
                       INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET_FILE=path)
        p = run(shim, ENV0, env, timeout=10)
        line = one_line_failure(p)
        assert f"'{path}': not a regular file" in line
    assert server.requests == []


def test_missing_value_names_the_option(shim):
    p = run(shim, ["-u"], {"PATH": BASE_PATH})
    assert p.returncode == 125
    assert p.stderr.startswith(b"infx-exec: option '-u' needs a value\n")


def test_empty_api_url_flag_is_an_error(shim, server):
    p = run(shim, ["--api-url="] + ENV0, base_env(server))
    assert "--api-url is empty" in one_line_failure(p)


@pytest.mark.parametrize("headers", [
    "X-Injected:1=b", "X-A='a\x1bb'", "Host=evil", "Content-Length=5",
    "transfer-encoding=chunked", "Content-Type=text/plain"])
def test_custom_headers_that_would_change_the_request(shim, server,
                                                       headers):
    p = run(shim, ENV0, base_env(server, INFISICAL_CUSTOM_HEADERS=headers))
    assert "INFISICAL_CUSTOM_HEADERS holds a header" in one_line_failure(p)
    assert server.requests == []


@pytest.mark.parametrize("name", ["NODE_OPTIONS", "BASH_ENV", "PYTHONPATH",
                                  "JAVA_TOOL_OPTIONS", "SSL_CERT_FILE",
                                  "PERL5OPT", "LOCPATH"])
def test_runtime_hooks_are_reserved(shim, data, server, name):
    folder(data, "/h", {"OK": "1", name: "--require /tmp/evil.js"})
    p = run(shim, ENV0, base_env(server, INFISICAL_SECRET_PATH="/h"))
    assert f"secret '{name}' may not set a reserved variable" in \
        one_line_failure(p)
