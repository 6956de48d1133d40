"""What is fetched and how Infisical's answers are read: secret paths,
recursive, tags, imports, references, v3 fallback, empty answers, bad and
oversized answers, retries within the start-up budget, the opt-in
fallback, many shims against a rate limit."""
import subprocess
import threading
import time

import pytest

from conftest import (shim_command, timing, normalized, check_golden, ENV0, MEMBER, OUTSIDER, PROJECT, STATIC_TOKEN, InfisicalServer,
                      Origin, base_env, child_env, free_port, run,
                      fails_closed, secret_requests, folder, lists,
                      LOGIN, LIST, paths, timed)


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
        "expandSecretReferences": ["true"], "viewSecretValue": ["true"]}
    auth = reqs[1]["headers"]["authorization"]
    assert auth.startswith("Bearer ") and len(auth) > 20
    assert auth != "Bearer " + MEMBER["secret"]


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


@timing
def test_unreachable_server(shim, tmp_path):
    port = free_port()
    marker = tmp_path / "ran"
    env = base_env(None, INFISICAL_API_URL=f"http://127.0.0.1:{port}",
                   INFISICAL_PROJECT_ID=PROJECT, INFISICAL_ENVIRONMENT="dev",
                   INFISICAL_TOKEN=STATIC_TOKEN, INFX_TIMEOUT="3")
    p = run(shim, ["--", "touch", str(marker)], env)
    line = fails_closed(p, marker, golden="unreachable")
    assert f"127.0.0.1 port {port}" in line
    assert "INFX_TIMEOUT ran out" in line
    # While it waited, one warning said what failed and for how long.
    warnings = [ln for ln in p.stderr.decode().splitlines()
                if ln.startswith("infx-exec: warning: ")]
    assert len(warnings) == 1, warnings
    assert normalized(warnings[0]) == (
        "infx-exec: warning: no usable answer from http://127.0.0.1:PORT"
        "/api/v4/secrets yet (Failed to connect to 127.0.0.1 port PORT "
        "after N ms: Couldn't connect to server); trying again for up to "
        "N s (INFX_TIMEOUT)")


def test_value_with_nul_is_refused(shim, data, server, tmp_path):
    data["projects"][PROJECT]["environments"]["dev"]["folders"]["/nul"] = {
        "secrets": {"NUL": "before\u0000after"}}
    marker = tmp_path / "ran"
    env = base_env(server, INFISICAL_SECRET_PATH="/nul")
    line = fails_closed(run(shim, ["--", "touch", str(marker)], env), marker,
                        golden="nul-in-value")
    assert "secret 'NUL' holds a NUL character in its value" in line
    assert "before" not in line and "after" not in line


@pytest.mark.parametrize("kind, words", [
    ("truncate", "unable to list secrets"),
])
@timing
def test_bad_list_answer(shim, server, tmp_path, kind, words):
    server.add_fault("list", kind, times=1000)
    marker = tmp_path / "ran"
    line = fails_closed(run(shim, ["--", "touch", str(marker)],
                            base_env(server, INFX_TIMEOUT="1")), marker)
    assert words in line


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
    line = fails_closed(p)
    assert "HTTP 404 NotFound" in line
    assert [r["path"] for r in lists(server)] == ["/api/v4/secrets"]


@pytest.mark.parametrize("env", ["nope", "dev"])
def test_empty_result_guard(shim, server, env, tmp_path):
    marker = tmp_path / "ran"
    extra = {"INFISICAL_ENVIRONMENT": env}
    if env == "dev":
        extra["INFISICAL_SECRET_PATH"] = "/no/such/folder"
    path = extra.get("INFISICAL_SECRET_PATH", "/")
    p = run(shim, ["--", "touch", str(marker)], base_env(server, **extra))
    line = fails_closed(p)
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
    assert "path '/typo'" in fails_closed(p)


@timing
def test_server_down_then_up(shim, data):
    port = free_port()
    srv = InfisicalServer(data, port=port)
    threading.Timer(1.5, srv.start).start()
    try:
        env = base_env(Origin(f"http://127.0.0.1:{port}"), INFX_TIMEOUT="15")
        p, elapsed = timed(shim, ENV0, env)
        assert p.returncode == 0, p.stderr
        assert 1.4 <= elapsed < 10
        assert paths(srv) == [LOGIN, LIST]
        assert child_env(p.stdout)[b"API_KEY"] == b"fake-api-key-123"
    finally:
        time.sleep(0.1)
        srv.stop()


@pytest.mark.parametrize("status", [502, 503, 504])
@timing
def test_5xx_is_retried(shim, server, status):
    server.add_fault("list", "status", status=status, times=2)
    p, elapsed = timed(shim, ENV0, base_env(server))
    assert p.returncode == 0, p.stderr
    assert paths(server) == [LOGIN, LIST, LIST, LIST]
    assert elapsed < 10


@timing
def test_500_is_retried_once(shim, server, tmp_path):
    server.add_fault("list", "status", status=500, times=5)
    marker = tmp_path / "ran"
    p = run(shim, ["--", "touch", str(marker)], base_env(server))
    assert "HTTP 500" in fails_closed(p, marker)
    assert paths(server) == [LOGIN, LIST, LIST]


@timing
def test_429_retry_after_is_obeyed(shim, server):
    server.add_fault("list", "status", status=429,
                     headers={"retry-after": "1"})
    p, elapsed = timed(shim, ENV0, base_env(server))
    assert p.returncode == 0, p.stderr
    assert elapsed >= 1.0
    assert paths(server) == [LOGIN, LIST, LIST]


@timing
def test_retry_after_beyond_the_budget_fails_now(shim, server, tmp_path):
    server.add_fault("list", "status", status=429,
                     headers={"retry-after": "30"}, times=10)
    marker = tmp_path / "ran"
    p, elapsed = timed(shim, ["--", "touch", str(marker)],
                       base_env(server, INFX_TIMEOUT="5"))
    line = fails_closed(p, marker)
    assert "HTTP 429" in line and "asked to wait longer" in line
    assert elapsed < 2
    assert paths(server) == [LOGIN, LIST]


@timing
def test_truncated_body_is_retried(shim, server):
    server.add_fault("list", "truncate")
    p = run(shim, ENV0, base_env(server))
    assert p.returncode == 0, p.stderr
    assert paths(server) == [LOGIN, LIST, LIST]


@timing
def test_slow_headers_within_and_beyond_the_budget(shim, server, tmp_path):
    server.add_fault("list", "delay", seconds=1.5)
    p, elapsed = timed(shim, ENV0, base_env(server))
    assert p.returncode == 0 and elapsed >= 1.5, p.stderr
    server.clear_requests()
    server.add_fault("list", "delay", seconds=10, times=10)
    marker = tmp_path / "ran"
    p, elapsed = timed(shim, ["--", "touch", str(marker)],
                       base_env(server, INFX_TIMEOUT="2"))
    line = fails_closed(p, marker)
    assert "INFX_TIMEOUT ran out" in line or "timed out" in line.lower()
    assert 1.5 <= elapsed < 5


@timing
def test_slow_body(shim, server):
    server.add_fault("list", "slow_body", seconds=1, chunks=4)
    p, elapsed = timed(shim, ENV0, base_env(server))
    assert p.returncode == 0, p.stderr
    assert child_env(p.stdout)[b"API_KEY"] == b"fake-api-key-123"


@pytest.mark.parametrize("kind, words", [
    ("malformed", "not JSON"),
    ("html", "not JSON"),
])
@timing
def test_bad_body_is_not_retried(shim, server, tmp_path, kind, words):
    server.add_fault("list", kind, times=5)
    marker = tmp_path / "ran"
    assert words in fails_closed(run(shim, ["--", "touch", str(marker)],
                               base_env(server)), marker)
    assert paths(server) == [LOGIN, LIST]


@timing
def test_304_without_if_none_match_is_refused(shim, data, server, tmp_path):
    """Not Modified to a list request that asked for nothing (no ETag sent):
    there is no set to keep, so it is an error, not "no secrets"; with two
    paths, not a silently smaller set."""
    server.add_fault("list", "status", status=304, body="", times=1)
    marker = tmp_path / "ran"
    line = fails_closed(run(shim, ["--", "touch", str(marker)],
                            base_env(server)), marker)
    assert "HTTP 304 to a request without If-None-Match" in line
    folder(data, "/app", {"APP_ONLY": "1"})
    server.add_fault("list", "status", status=304, body="", times=1)
    line = fails_closed(run(shim, ["--", "touch", str(marker)],
                            base_env(server, INFISICAL_SECRET_PATH="/,/app")),
                        marker, golden="test_304_without_if_none_match_is_refused")
    assert "path '/'" in line


@timing
def test_a_thousand_short_secrets(shim, data, server):
    """1,009 secrets of 8-byte values: a body length that once made the
    parse tree's arena hand out a block past the end of its chunk (a crash
    in the static build)."""
    folder(data, "/", {"K%d" % i: "vvvvvvvv" for i in range(1009)})
    p = run(shim, ENV0, base_env(server))
    assert p.returncode == 0, p.stderr
    got = child_env(p.stdout)
    assert all(got[b"K%d" % i] == b"vvvvvvvv" for i in range(1009))


@timing
def test_redirect_on_list_is_not_followed(shim, server, tmp_path):
    server.add_fault("list", "redirect", url=server.url + "/api/v3/x")
    marker = tmp_path / "ran"
    assert "HTTP 302" in fails_closed(run(shim, ["--", "touch", str(marker)],
                                    base_env(server)), marker)
    assert paths(server) == [LOGIN, LIST]


@timing
def test_huge_body(shim, server, tmp_path):
    server.add_fault("list", "huge", size=17 * 1024 * 1024)
    marker = tmp_path / "ran"
    line = fails_closed(run(shim, ["--", "touch", str(marker)],
                            base_env(server)), marker, golden="huge-body")
    assert "the answer is larger than 16 MiB" in line
    assert paths(server) == [LOGIN, LIST]


@timing
def test_too_many_secrets(shim, data, server, tmp_path):
    d = data["projects"]["6b9840a0-8e69-42a9-879e-c8f739eadf8a"]
    d["environments"]["dev"]["folders"]["/m"] = {
        "secrets": {f"K{i}": "v" for i in range(30)}}
    env = base_env(server, INFISICAL_SECRET_PATH="/m")
    assert "more than 20 secrets" in fails_closed(
        run(shim, ["--max-secrets", "20"] + ENV0, env))
    p = run(shim, ENV0, dict(env, INFX_MAX_SECRETS="30"))
    assert p.returncode == 0, p.stderr


def unreachable_env(**extra):
    return base_env(Origin(f"http://127.0.0.1:{free_port()}"),
                    INFX_TIMEOUT="1", FROM_DOTENV="kept", **extra)


@timing
def test_fallback_runs_without_secrets_when_unreachable(shim):
    for args, extra in ((["--on-unavailable=run"], {}),
                        ([], {"INFX_ON_UNAVAILABLE": "run"})):
        p = run(shim, args + ENV0, unreachable_env(**extra))
        assert p.returncode == 0, p.stderr
        got = child_env(p.stdout)
        assert got[b"FROM_DOTENV"] == b"kept"
        assert b"INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET" not in got
        assert b"INFISICAL IS UNAVAILABLE" in p.stderr
    p = run(shim, ["--quiet", "--on-unavailable=run"] + ENV0,
            unreachable_env())
    assert b"INFISICAL IS UNAVAILABLE" in p.stderr


@timing
def test_fallback_on_persistent_5xx(shim, server):
    server.add_fault("list", "status", status=503, times=1000)
    p = run(shim, ["--on-unavailable=run"] + ENV0,
            base_env(server, INFX_TIMEOUT="1"))
    assert p.returncode == 0, p.stderr
    assert b"API_KEY" not in child_env(p.stdout)


@timing
def test_no_fallback_on_refusal_or_bad_config(shim, server, tmp_path):
    marker = tmp_path / "ran"
    cmd = ["--on-unavailable=run", "--", "touch", str(marker)]
    fails_closed(run(shim, cmd, base_env(
        server, INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET="wrong")), marker)
    fails_closed(run(shim, cmd, base_env(server, INFISICAL_PROJECT_ID="nope")),
           marker)
    fails_closed(run(shim, cmd, base_env(server, INFISICAL_ENVIRONMENT="nope")),
           marker)
    fails_closed(run(shim, cmd, base_env(server, INFISICAL_ENVIRONMENT=None)),
           marker)


@timing
def test_fifty_shims_against_a_rate_limited_server(shim, data):
    srv = InfisicalServer(data, rate_limit=True, rate_window=2,
                          rate_limits={"write": 200, "secrets": 20})
    srv.start()
    try:
        env = base_env(srv, INFX_TIMEOUT="30")
        procs = [subprocess.Popen(shim_command(shim, [
                     "--", "sh", "-c", 'test "$API_KEY" = fake-api-key-123']),
                                  env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE)
                 for _ in range(50)]
        codes = [p.wait(timeout=60) for p in procs]
        errors = [p.stderr.read() for p in procs]
        assert codes == [0] * 50, [e for e in errors if e][:3]
        logins = paths(srv).count(LOGIN)
        lists = paths(srv).count(LIST)
        assert logins == 50
        assert lists <= 2 * 50, lists
        assert len(srv.requests) <= 2 * 100
    finally:
        srv.stop()


@timing
def test_fallback_never_runs_with_a_partial_set(shim, data, server):
    """The first path answered, a later one stays unavailable: the
    command runs with none of the secrets, not with the first path's."""
    data["projects"]["6b9840a0-8e69-42a9-879e-c8f739eadf8a"][
        "environments"]["dev"]["folders"]["/app"]["secrets"]["X"] = "1"
    server.add_fault("list", "delay", seconds=0)
    server.add_fault("list", "status", status=503, times=1000)
    p = run(shim, ["--on-unavailable=run", "--path", "/", "--path", "/app"]
            + ENV0, base_env(server, INFX_TIMEOUT="2"))
    assert p.returncode == 0, p.stderr
    got = child_env(p.stdout)
    assert b"API_KEY" not in got and b"X" not in got


@timing
def test_huge_retry_after_does_not_overflow(shim, server, tmp_path):
    server.add_fault("login", "status", status=503, times=1000,
                     headers={"retry-after": "9223372036854775807"})
    marker = tmp_path / "ran"
    p, elapsed = timed(shim, ["--", "touch", str(marker)],
                       base_env(server, INFX_TIMEOUT="3"))
    line = fails_closed(p, marker)
    assert "asked to wait longer" in line
    assert paths(server) == [LOGIN] and elapsed < 2


@timing
def test_many_imports_are_merged_in_linear_time(shim, server, tmp_path):
    """50,000 empty imports: quadratic indexing took 30 s of CPU."""
    body = ('{"secrets":[{"secretKey":"A","secretValue":"1"}],"imports":['
            + ",".join(['{"secrets":[]}'] * 50000) + "]}")
    server.add_fault("list", "status", status=200, body=body)
    p, elapsed = timed(shim, ENV0, base_env(server))
    assert p.returncode == 0, p.stderr
    assert child_env(p.stdout)[b"A"] == b"1"
    assert elapsed < 5


@timing
def test_a_body_of_tiny_values_is_refused(shim, server, tmp_path):
    body = '{"secrets":[],"x":[' + ",".join(["0"] * 1100000) + "]}"
    server.add_fault("list", "status", status=200, body=body)
    marker = tmp_path / "ran"
    line = fails_closed(run(shim, ["--", "touch", str(marker)], base_env(server)),
                  marker)
    assert "more than 1000000 JSON values" in line


# -- what the server sends -----------------------------------------------

@pytest.mark.parametrize("mode", ["negotiate", "always"])
def test_gzip_answers_are_decoded(shim, data, mode):
    """Both builds ask for gzip and read it, from a server that compresses
    when asked and from one that compresses whatever is asked."""
    srv = InfisicalServer(data, gzip=mode)
    srv.start()
    try:
        p = run(shim, ENV0, base_env(srv))
        assert p.returncode == 0, p.stderr
        assert child_env(p.stdout)[b"API_KEY"] == b"fake-api-key-123"
        assert all("gzip" in r["headers"].get("accept-encoding", "")
                   for r in srv.requests)
    finally:
        srv.stop()


def test_gzip_bomb_is_refused(shim, server, tmp_path):
    """A 64 KiB body that inflates to 64 MiB: the limit is on the decoded
    bytes."""
    server.add_fault("list", "gzip_bomb", size=64 * 1024 * 1024)
    marker = tmp_path / "ran"
    line = fails_closed(run(shim, ["--", "touch", str(marker)],
                            base_env(server)), marker, golden="gzip-bomb")
    assert "larger than 16 MiB (after decoding)" in line
    assert paths(server) == [LOGIN, LIST]


@pytest.mark.parametrize("encoding", ["br", "zstd", "compress"])
def test_unknown_content_encoding_is_named(shim, server, tmp_path,
                                           encoding):
    server.add_fault("login", "encoding", encoding=encoding)
    marker = tmp_path / "ran"
    line = fails_closed(run(shim, ["--", "touch", str(marker)],
                            base_env(server)), marker)
    assert f"Content-Encoding '{encoding}'" in line
    assert "accessToken" not in line
    assert paths(server) == [LOGIN]
    if encoding == "br":
        check_golden("content-encoding", line)


@pytest.mark.parametrize("size, count", [(200000, 1), (20000, 5)])
def test_oversized_headers_are_named(shim, server, tmp_path, size, count):
    """One header past libcurl's own limit, or many that are too much
    together: said as such, not "out of memory"."""
    server.add_fault("list", "big_header", size=size, count=count)
    marker = tmp_path / "ran"
    line = fails_closed(run(shim, ["--", "touch", str(marker)],
                            base_env(server)), marker)
    assert "the answer's headers are larger than 64 KiB" in line, line
    assert "memory" not in line


# -- values the identity may not read ------------------------------------

def hiding_server(data, **identity):
    for ident in data["identities"]:
        ident.update(identity)
    srv = InfisicalServer(data, value_hiding=True)
    srv.start()
    return srv


def test_newer_server_with_readable_values(shim, data):
    srv = hiding_server(data)
    try:
        p = run(shim, ENV0, base_env(srv))
        assert p.returncode == 0, p.stderr
        assert child_env(p.stdout)[b"API_KEY"] == b"fake-api-key-123"
    finally:
        srv.stop()


def test_identity_without_read_value_permission(shim, data, tmp_path):
    """viewSecretValue=true (sent explicitly): a 403 that names the
    permission the identity lacks."""
    srv = hiding_server(data, readValue=False)
    marker = tmp_path / "ran"
    try:
        line = fails_closed(run(shim, ["--", "touch", str(marker)],
                                base_env(srv)), marker,
                            golden="no-read-value")
        assert "HTTP 403 PermissionDenied" in line
        assert "Read Value permission" in line
        assert srv.requests[-1]["query"]["viewSecretValue"] == ["true"]
    finally:
        srv.stop()


def test_hidden_values_never_reach_the_command(shim, data, tmp_path):
    """A server that hides values whatever is asked: the placeholder
    <hidden-by-infisical> must not become the app's password; own and
    imported secrets alike, named."""
    srv = hiding_server(data, valuesHidden=True)
    marker = tmp_path / "ran"
    try:
        p = run(shim, ["--", "touch", str(marker)], base_env(srv))
        line = fails_closed(p, marker, golden="hidden-values")
        assert "Infisical hid the value of 9 secrets" in line
        assert "IMPORTED_ONLY" in line or "..." in line
        assert b"hidden-by-infisical" not in p.stderr
        p = run(shim, ["--", "touch", str(marker)],
                base_env(srv, INFISICAL_INCLUDE_IMPORTS="false",
                         INFISICAL_SECRET_PATH="/app"))
        assert "(APP_PORT, APP_SECRET)" in fails_closed(p, marker)
    finally:
        srv.stop()
