"""Checks tests/infisical_server.py against responses captured from a real Infisical server.

Run: /usr/bin/python3 -m pytest -q tests/test_server.py

The samples are looked up in $INFX_SAMPLES_DIR, then ../shared/reference/infisical-samples
beside the repository (where the workplace and CI keep shared/); the run fails if neither exists.
The test data below rebuilds the captured server's layout (project client-test with
dev/staging/prod/qa) with the captured ids and timestamps, so list responses can be
compared byte for byte (body, Content-Length and ETag).
"""

import base64
import copy
import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import certs  # noqa: E402
from infisical_server import InfisicalServer  # noqa: E402


def _samples_dir():
    for cand in (os.environ.get("INFX_SAMPLES_DIR"),
                 os.path.join(HERE, "..", "..", "shared", "reference",
                              "infisical-samples")):
        if cand and os.path.isdir(cand):
            return cand
    return None


SAMPLES = _samples_dir()
if SAMPLES is None:
    raise RuntimeError("infisical-samples not found: set INFX_SAMPLES_DIR or keep "
                       "shared/ beside the repository")

# --------------------------------------------------------------------------- test data

PROJECT = "6b9840a0-8e69-42a9-879e-c8f739eadf8a"
MEMBER_ID = "4c1858f4-6d2c-461e-b5c0-edfab06e107d"
VIEWER_ID = "f8deface-108b-46f2-bc36-3a40e1820a92"
MEMBER = ("1d5a3b6e-2f0c-4d3e-9a7b-0c1d2e3f4a5b", "fake-member-client-secret")
VIEWER = ("2e6b4c7f-3a1d-4e4f-8b8c-1d2e3f4a5b6c", "fake-viewer-client-secret")
OTHER_ID = "9a9a9a9a-0000-4000-8000-000000000009"
OTHER = ("3f7c5d80-4b2e-4f50-9c9d-2e3f4a5b6c7d", "fake-other-client-secret")


def sec(sid, value, created):
    return {"id": sid, "value": value, "createdAt": "2026-11-29T10:" + created}


SAMPLE_DATA = {
    "identities": [
        {"identityId": MEMBER_ID, "clientId": MEMBER[0], "clientSecret": MEMBER[1],
         "projects": [PROJECT], "kubernetesJwt": "k8s.sa.jwt", "oidcJwt": "oidc.id.token",
         "jwtJwt": "static.signed.jwt"},
        {"identityId": VIEWER_ID, "clientId": VIEWER[0], "clientSecret": VIEWER[1],
         "projects": ["client-test"], "accessTokenTTL": 3600, "accessTokenMaxTTL": 86400},
        {"identityId": OTHER_ID, "clientId": OTHER[0], "clientSecret": OTHER[1],
         "projects": ["some-other-project"]},
    ],
    "accessTokens": {"literal-member-token": {"identityId": MEMBER_ID}},
    "revokedTokens": ["literal-revoked-token"],
    "expiredTokens": ["literal-expired-token"],
    "projects": {
        PROJECT: {
            "slug": "client-test",
            "environments": {
                "dev": {"folders": {
                    "/": {
                        "secrets": {
                            "DATABASE_URL": sec("d426db5f-9687-4bae-a2d7-451edc86517a",
                                                "postgres://app:fake-pass@db.internal:5432/app",
                                                "46:15.176Z"),
                            "API_KEY": sec("aed7dea0-2471-4e82-b447-2ed0d27e4e48",
                                           "fake-api-key-123", "46:15.233Z"),
                            "MULTILINE_PEM": sec("bc55c644-7a0e-404a-ab4c-809f8d203691",
                                                 "-----BEGIN FAKE KEY-----\nline1\nline2\n"
                                                 "-----END FAKE KEY-----", "46:15.294Z"),
                            "SPECIAL_CHARS": sec("8e325215-f2e1-4d4f-8a51-0bb9706d459b",
                                                 "p@$$w0rd \"double\" 'single' $HOME ${NOT_A_REF",
                                                 "46:15.349Z"),
                            "OTHER_KEY": sec("391008c7-23a7-498e-b241-54315aa7c6b2",
                                             "other-value", "46:15.407Z"),
                            "REF_LOCAL": sec("f1cd765b-4a40-487d-95fa-f3d49cda901f",
                                             "prefix-${OTHER_KEY}-suffix", "46:15.464Z"),
                            "REF_CROSS": sec("b26f333d-617d-4cdc-a998-33872d4c77c8",
                                             "from-prod:${prod.SHARED_PROD}", "46:15.510Z"),
                            "REF_FOLDER": sec("105c6819-1853-4541-ad33-dbf76e6a4ec5",
                                              "nested=${dev.app.APP_SECRET}", "46:15.569Z"),
                        },
                        "imports": [{"environment": "staging", "secretPath": "/"}],
                    },
                    "/app": {"secrets": {
                        "APP_SECRET": sec("d6b8a81f-e15c-4cca-b342-f299d7e642db",
                                          "app-folder-secret", "46:15.634Z"),
                        "APP_PORT": sec("ea3a4d88-c215-4bf9-b23d-c0d5f3e81f19", "3000",
                                        "46:15.684Z"),
                    }},
                }},
                "staging": {"folders": {
                    "/": {"id": "39440ccc-caf2-46c2-8b5c-9541ac0a4a1d", "secrets": {
                        "API_KEY": sec("06d037d1-6c95-4222-87f9-d14f92187a4a",
                                       "staging-api-key-should-be-shadowed", "46:15.850Z"),
                        "IMPORTED_ONLY": sec("636ea972-0ea4-47b6-bb64-1488455b00a1",
                                             "imported-from-staging", "46:15.894Z"),
                    }},
                }},
                "prod": {"folders": {
                    "/": {"secrets": {
                        "DATABASE_URL": sec("39392ffc-67ff-4240-ab9d-d3aea51e6d6e",
                                            "postgres://app:fake-prod@db.prod:5432/app",
                                            "46:15.789Z"),
                        "SHARED_PROD": sec("60b14fbc-b29f-4fcc-a418-cf053e9da8b9",
                                           "prod-shared-value", "46:15.739Z"),
                    }},
                }},
                "qa": {"folders": {
                    "/": {"secrets": {
                        "REF_MISSING": sec("1049912e-0e2c-414d-af5e-ba30a104ba51",
                                           "${DOES_NOT_EXIST}", "46:29.439Z"),
                        "CYCLE_A": sec("48b106b6-a495-4cbe-b0ee-34b622d761a9", "${CYCLE_B}",
                                       "46:29.476Z"),
                        "CYCLE_B": sec("5c0c0c0c-0000-4000-8000-00000000c7c8", "${CYCLE_A}",
                                       "46:29.500Z"),
                    }},
                }},
            },
        },
    },
}

LIST = "/api/v3/secrets/raw"


# --------------------------------------------------------------------------- helpers

def load_sample(name):
    with open(os.path.join(SAMPLES, name + ".status"), encoding="utf-8") as fh:
        status = int(fh.read().strip())
    headers = {}
    with open(os.path.join(SAMPLES, name + ".headers.txt"), encoding="utf-8") as fh:
        for line in fh.read().splitlines()[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
    with open(os.path.join(SAMPLES, name + ".json"), encoding="utf-8") as fh:
        obj = json.load(fh)
    return status, headers, obj


RL_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after")


class Client:
    def __init__(self, srv, ca=None):
        self.srv = srv
        self.ca = ca

    def conn(self, timeout=10):
        if self.srv.tls:
            ctx = ssl.create_default_context(cafile=self.ca)
            return http.client.HTTPSConnection(self.srv.host, self.srv.port, timeout=timeout,
                                               context=ctx)
        return http.client.HTTPConnection(self.srv.host, self.srv.port, timeout=timeout)

    def request(self, method, path, body=None, token=None, headers=None, raw=None, conn=None):
        hdrs = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            hdrs.setdefault("Content-Type", "application/json")
        if raw is not None:
            data = raw
        if token is not None:
            hdrs["Authorization"] = "Bearer " + token
        own = conn is None
        c = conn or self.conn()
        try:
            c.request(method, path, body=data, headers=hdrs)
            resp = c.getresponse()
            payload = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, payload
        finally:
            if own:
                c.close()

    def login(self, cred=MEMBER, **kw):
        return self.request("POST", "/api/v1/auth/universal-auth/login",
                            body={"clientId": cred[0], "clientSecret": cred[1]}, **kw)

    def token(self, cred=MEMBER):
        status, _, body = self.login(cred)
        assert status == 200, body
        return json.loads(body)["accessToken"]

    def list(self, token, conn=None, **params):
        q = "&".join("%s=%s" % (k, v) for k, v in params.items())
        return self.request("GET", LIST + ("?" + q if q else ""), token=token, conn=conn)


def assert_sample(name, status, headers, body, check_etag=True):
    """Status, body bytes (compact JSON), Content-Length, ETag and rate-limit headers as captured."""
    s_status, s_headers, s_obj = load_sample(name)
    assert status == s_status
    assert json.loads(body) == s_obj
    compact = json.dumps(s_obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    assert body == compact
    assert headers["content-length"] == s_headers["content-length"]
    assert headers["content-type"] == s_headers["content-type"]
    if check_etag:
        assert headers["etag"] == s_headers["etag"]
    assert [h for h in RL_HEADERS if h in headers] == [h for h in RL_HEADERS if h in s_headers]
    if "x-ratelimit-limit" in s_headers:
        assert headers["x-ratelimit-limit"] == s_headers["x-ratelimit-limit"]


def jwt_payload(token):
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)),
                      object_pairs_hook=lambda kv: kv)


# --------------------------------------------------------------------------- fixtures

def _start(data=None, **kw):
    return InfisicalServer(copy.deepcopy(SAMPLE_DATA if data is None else data), **kw).start()


@pytest.fixture
def srv():
    s = _start()
    yield s
    s.stop()


@pytest.fixture
def client(srv):
    return Client(srv)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    ca = certs.make_ca(d)
    server = certs.make_server_cert(d, ca)
    other = certs.make_unrelated_ca(d)
    return {"ca": ca, "server": server, "other": other, "dir": d}


# --------------------------------------------------------------------------- samples

def test_status(client):
    status, headers, body = client.request("GET", "/api/status")
    s_status, s_headers, s_obj = load_sample("status")
    obj = json.loads(body, object_pairs_hook=lambda kv: kv)
    assert status == s_status
    assert [k for k, _ in obj] == list(s_obj)
    d = dict(obj)
    assert {k: v for k, v in d.items() if k != "date"} == \
        {k: v for k, v in s_obj.items() if k != "date"}
    assert len(d["date"]) == len(s_obj["date"]) and d["date"].endswith("Z")
    time.strptime(d["date"][:19], "%Y-%m-%dT%H:%M:%S")
    assert headers["content-length"] == s_headers["content-length"]
    assert not any(h in headers for h in RL_HEADERS)


def test_ua_login_ok(client):
    status, headers, body = client.login(MEMBER, headers={"Content-Type": "application/json"})
    s_status, s_headers, s_obj = load_sample("ua-login-ok")
    obj = json.loads(body, object_pairs_hook=lambda kv: kv)
    assert status == s_status
    assert [k for k, _ in obj] == list(s_obj)
    d = dict(obj)
    for k in ("expiresIn", "accessTokenMaxTTL", "tokenType"):
        assert d[k] == s_obj[k]
    mine, theirs = jwt_payload(d["accessToken"]), jwt_payload(s_obj["accessToken"])
    assert [k for k, _ in mine] == [k for k, _ in theirs]
    mine = dict(mine)
    assert mine["identityId"] == MEMBER_ID
    assert mine["authTokenType"] == "identityAccessToken"
    assert mine["exp"] - mine["iat"] == 2592000
    assert d["accessToken"].split(".")[0] == s_obj["accessToken"].split(".")[0]
    assert headers["x-ratelimit-limit"] == s_headers["x-ratelimit-limit"]
    assert headers["content-type"] == s_headers["content-type"]


def test_ua_login_unknown_client(client):
    assert_sample("ua-login-unknown-client", *client.login(("no-such-client", "x")))


def test_ua_login_wrong_secret(client):
    assert_sample("ua-login-wrong-secret", *client.login((MEMBER[0], "wrong")))


def test_ua_login_trims_as_javascript(client):
    """Infisical trims clientId and clientSecret with JavaScript's trim(),
    which removes a byte-order mark too (infisical-api.md 2.6); Python's
    strip() would keep it."""
    status, _, body = client.login(("\ufeff " + MEMBER[0] + "\r\n",
                                    "\ufeff" + MEMBER[1] + "\u3000\n"))
    assert status == 200, body
    status, _, _ = client.login((MEMBER[0], MEMBER[1] + "\u0085"))
    assert status == 401	# U+0085 is no JavaScript white space


def test_ua_login_missing_field(client):
    r = client.request("POST", "/api/v1/auth/universal-auth/login", body={"clientId": MEMBER[0]})
    assert_sample("ua-login-missing-field", *r)


def test_ua_login_validation_variants(client):
    status, _, body = client.request("POST", "/api/v1/auth/universal-auth/login",
                                     body={"clientId": 5, "extra": True})
    assert status == 401
    assert json.loads(body) == {"statusCode": 401, "error": "ValidationFailure", "message": [
        {"code": "invalid_type", "expected": "string", "received": "number",
         "path": ["clientId"], "message": "Expected string, received number"},
        {"code": "invalid_type", "expected": "string", "received": "undefined",
         "path": ["clientSecret"], "message": "Required"}]}
    # trailing slash, extra keys, surrounding blanks (zod trims)
    status, _, _ = client.request("POST", "/api/v1/auth/universal-auth/login/",
                                  body={"clientId": " %s " % MEMBER[0], "clientSecret": MEMBER[1],
                                        "organizationSlug": "ignored"})
    assert status == 200


def test_login_body_errors(client):
    path = "/api/v1/auth/universal-auth/login"
    status, _, body = client.request("POST", path, raw=b"{not json",
                                     headers={"Content-Type": "application/json"})
    assert status == 400
    assert json.loads(body)["code"] == "FST_ERR_CTP_INVALID_JSON"
    status, _, body = client.request("POST", path, raw=b"",
                                     headers={"Content-Type": "application/json"})
    assert status == 400
    assert json.loads(body)["code"] == "FST_ERR_CTP_EMPTY_JSON_BODY"
    status, _, body = client.request(
        "POST", path, raw=b"clientId=a&clientSecret=b",
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 415
    assert json.loads(body) == {
        "statusCode": 415, "code": "FST_ERR_CTP_INVALID_MEDIA_TYPE",
        "error": "Unsupported Media Type",
        "message": "Unsupported Media Type: application/x-www-form-urlencoded"}
    status, _, body = client.request("POST", path)
    assert status == 401 and json.loads(body)["message"][0]["expected"] == "object"


def test_list_no_token(client):
    assert_sample("list-no-token", *client.request(
        "GET", LIST + "?workspaceId=%s&environment=dev" % PROJECT))


def test_list_bad_token(client):
    assert_sample("list-bad-token", *client.list("garbage", workspaceId=PROJECT, environment="dev"))


def test_token_error_variants(client, srv):
    def msg(tok):
        status, _, body = client.list(tok, workspaceId=PROJECT, environment="dev")
        obj = json.loads(body)
        return status, obj.get("error"), obj.get("message")

    good = client.token()
    head, payload, sig = good.split(".")
    assert msg(head + "." + payload + ".AAAA") == (403, "TokenError", "invalid signature")
    assert msg("a.b.c") == (403, "TokenError", "invalid token")
    assert msg("") == (403, "TokenError", "jwt must be provided")
    assert msg("literal-expired-token") == (
        403, "TokenError", "Your token has expired. Please re-authenticate.")
    assert msg("literal-revoked-token") == (401, "UnauthorizedError", "No identity access token found")
    assert msg("literal-member-token")[0] == 200
    # the server cuts the first 7 characters whatever they are
    status, _, _ = client.request("GET", LIST + "?workspaceId=%s&environment=dev" % PROJECT,
                                  headers={"Authorization": "xxxxxxx" + good})
    assert status == 200


def test_revoke_then_list(client):
    tok = client.token()
    assert client.list(tok, workspaceId=PROJECT, environment="dev")[0] == 200
    assert_sample("token-revoke", *client.request("POST", "/api/v1/auth/token/revoke",
                                                  body={"accessToken": tok}))
    assert_sample("list-with-revoked-token", *client.list(tok, workspaceId=PROJECT,
                                                          environment="dev"))
    # literal tokens can be revoked too
    client.request("POST", "/api/v1/auth/token/revoke", body={"accessToken": "literal-member-token"})
    assert client.list("literal-member-token", workspaceId=PROJECT, environment="dev")[0] == 401


def test_list_unknown_env_and_path(client):
    tok = client.token()
    assert_sample("list-unknown-env", *client.list(tok, workspaceId=PROJECT, environment="nope"))
    assert_sample("list-unknown-path", *client.list(tok, workspaceId=PROJECT, environment="dev",
                                                    secretPath="/does/not/exist"))
    # also with every flag on
    status, _, body = client.list(tok, workspaceId=PROJECT, environment="nope", recursive="true",
                                  include_imports="true", expandSecretReferences="true")
    assert (status, json.loads(body)) == (200, {"secrets": [], "imports": []})


def test_list_unknown_project(client):
    assert_sample("list-unknown-project", *client.list(
        client.token(), workspaceId="00000000-0000-0000-0000-000000000000", environment="dev"))


def test_list_dev_root_raw(client):
    assert_sample("list-dev-root-raw", *client.list(client.token(), workspaceId=PROJECT,
                                                    environment="dev", secretPath="/"))


def test_list_dev_root_expanded_imports(client):
    tok = client.token()
    r = client.list(tok, workspaceId=PROJECT, environment="dev", secretPath="/",
                    expandSecretReferences="true", include_imports="true")
    assert_sample("list-dev-root-expanded-imports", *r)
    # same keys and order as the raw listing, only referencing values differ
    raw = json.loads(client.list(tok, workspaceId=PROJECT, environment="dev")[2])["secrets"]
    exp = json.loads(r[2])["secrets"]
    assert [s["secretKey"] for s in raw] == [s["secretKey"] for s in exp]
    changed = {a["secretKey"] for a, b in zip(raw, exp) if a["secretValue"] != b["secretValue"]}
    assert changed == {"REF_LOCAL", "REF_CROSS", "REF_FOLDER"}


def test_list_dev_app(client):
    tok = client.token()
    assert_sample("list-dev-app", *client.list(tok, workspaceId=PROJECT, environment="dev",
                                               secretPath="/app"))
    # trailing slash on secretPath is removed
    assert_sample("list-dev-app", *client.list(tok, workspaceId=PROJECT, environment="dev",
                                               secretPath="/app/"))


def test_list_dev_root_recursive(client):
    assert_sample("list-dev-root-recursive", *client.list(
        client.token(), workspaceId=PROJECT, environment="dev", secretPath="/",
        recursive="true", expandSecretReferences="true"))


def test_list_by_workspace_slug_and_viewer(client):
    assert_sample("list-by-workspace-slug", *client.list(
        client.token(), workspaceSlug="client-test", environment="prod"))
    status, _, body = client.login(VIEWER)
    s_status, _, s_obj = load_sample("viewer-login")
    obj = json.loads(body)
    assert status == s_status
    assert list(obj) == list(s_obj)
    assert (obj["expiresIn"], obj["accessTokenMaxTTL"]) == (3600, 86400)
    assert_sample("viewer-list", *client.list(obj["accessToken"], workspaceId=PROJECT,
                                              environment="prod"))


def test_references_missing_and_cycle(client):
    status, _, body = client.list(client.token(), workspaceId=PROJECT, environment="qa",
                                  expandSecretReferences="true")
    assert status == 200
    got = {s["secretKey"]: s["secretValue"] for s in json.loads(body)["secrets"]}
    assert got["REF_MISSING"] == load_sample("get-ref-missing-expanded")[2]["secret"]["secretValue"]
    assert got["CYCLE_A"] == load_sample("get-ref-cycle-expanded")[2]["secret"]["secretValue"]
    assert got["CYCLE_B"] == "${CYCLE_B}"


def test_renew(client):
    vtok = json.loads(client.login(VIEWER)[2])["accessToken"]
    status, _, body = client.request("POST", "/api/v1/auth/token/renew",
                                     body={"accessToken": vtok})
    s_status, _, s_obj = load_sample("token-renew-ok")
    obj = json.loads(body)
    assert status == s_status and list(obj) == list(s_obj)
    assert (obj["expiresIn"], obj["accessTokenMaxTTL"]) == (3600, 86400)
    assert client.list(obj["accessToken"], workspaceId=PROJECT, environment="prod")[0] == 200
    # member: TTL == max TTL, so renewing fails and kills the token
    mtok = client.token()
    assert_sample("token-renew-past-maxttl", *client.request(
        "POST", "/api/v1/auth/token/renew", body={"accessToken": mtok}))
    assert client.list(mtok, workspaceId=PROJECT, environment="dev")[0] == 401


# --------------------------------------------------------------------------- behaviour

def test_query_validation(client, srv):
    tok = client.token()
    status, headers, body = client.list(tok, workspaceId=PROJECT, environment="dev",
                                        include_imports="1")
    assert status == 422
    assert json.loads(body) == {"statusCode": 422, "message": [
        {"received": "1", "code": "invalid_enum_value", "options": ["true", "false"],
         "path": ["include_imports"],
         "message": "Invalid enum value. Expected 'true' | 'false', received '1'"}],
        "error": "ValidationFailure"}
    for bad in ("True", "yes", ""):
        assert client.list(tok, workspaceId=PROJECT, environment="dev", recursive=bad)[0] == 422
    status, _, body = client.request(
        "GET", LIST + "?workspaceId=%s&environment=dev&recursive=true&recursive=false" % PROJECT,
        token=tok)
    assert status == 422 and json.loads(body)["message"][0]["received"] == "array"
    # unknown query keys are ignored
    assert client.list(tok, workspaceId=PROJECT, environment="dev", bogus="1")[0] == 200
    srv.query_validation_status = 401
    assert client.list(tok, workspaceId=PROJECT, environment="dev", recursive="1")[0] == 401


def test_missing_project_or_env(client):
    tok = client.token()
    for params in ({"environment": "dev"}, {"workspaceId": PROJECT}, {}):
        status, _, body = client.list(tok, **params)
        assert (status, json.loads(body)) == (400, {
            "statusCode": 400, "message": "Missing project id or environment", "error": "BadRequest"})


def test_permission_denied(client):
    status, headers, body = client.list(client.token(OTHER), workspaceId=PROJECT, environment="dev")
    assert status == 403
    assert json.loads(body) == {"statusCode": 403, "message": "You are not allowed to read on secrets",
                                "error": "PermissionDenied"}
    assert headers["x-ratelimit-limit"] == "40"


def test_v4_route(client):
    tok = client.token()
    v3 = client.list(tok, workspaceId=PROJECT, environment="dev", expandSecretReferences="true",
                     include_imports="true")[2]
    for imports_param in ("includeImports", "include_imports"):
        status, _, v4 = client.request(
            "GET", "/api/v4/secrets?projectId=%s&environment=dev&expandSecretReferences=true&%s=true"
            % (PROJECT, imports_param), token=tok)
        assert status == 200 and v4 == v3
    # v3 ignores the v4 spelling
    status, _, body = client.list(tok, workspaceId=PROJECT, environment="dev", includeImports="true")
    assert "imports" not in json.loads(body)
    status, _, body = client.request("GET", "/api/v4/secrets/?environment=dev", token=tok)
    assert status == 400


def test_v4_disabled_and_unknown_routes():
    s = _start(v4=False)
    try:
        c = Client(s)
        tok = c.token()
        path = "/api/v4/secrets?projectId=%s&environment=dev" % PROJECT
        status, headers, body = c.request("GET", path, token=tok)
        assert status == 404
        assert body == ('{"message":"Route GET:%s not found","error":"Not Found","statusCode":404}'
                        % path).encode()
        assert headers["content-type"] == "application/json; charset=utf-8"
        assert c.list(tok, workspaceId=PROJECT, environment="dev")[0] == 200
        status, _, body = c.request("GET", "/api/v1/auth/universal-auth/login")
        assert status == 404 and json.loads(body)["message"] == \
            "Route GET:/api/v1/auth/universal-auth/login not found"
        assert c.request("DELETE", "/nothing/here")[0] == 404
    finally:
        s.stop()


def test_keys_values_tags_and_order():
    values = {
        "my.key": "dots", "A-B": "dash", "with space": "sp", "EQ=SIGN": "a=b=c",
        "EMPTY": "", "NL": "line1\nline2\n", "QUOTES": "'single' \"double\" `back`",
        "DOLLAR": "$HOME ${HOME} $(id) \\$ \\\\", "UTF8": "h\u00e9llo \u2603 \U0001F600",
        "CTRL": "tab\there\x01\x7f", "NUM": 3000, "BOOL": True,
        "TAGGED": {"value": "t", "tags": ["backend", {"slug": "ops", "color": "#123456"}]},
    }
    data = {"identities": [{"identityId": "i", "clientId": "c", "clientSecret": "s"}],
            "projects": {"p": {"slug": "ps", "tags": {"backend": {"color": "#aabbcc", "name": "Backend"}},
                               "environments": {"e": {"secrets": values}}}}}
    s = _start(data, order="key")
    try:
        c = Client(s)
        tok = c.token(("c", "s"))
        status, _, body = c.list(tok, workspaceId="p", environment="e")
        assert status == 200
        items = json.loads(body)["secrets"]
        assert [i["secretKey"] for i in items] == sorted(values)
        got = {i["secretKey"]: i["secretValue"] for i in items}
        assert got["NUM"] == "3000" and got["BOOL"] == "true"
        for k, v in values.items():
            if isinstance(v, str):
                assert got[k] == v
        # Node-style raw UTF-8 in the body, control characters escaped
        assert "\u2603".encode() in body and b"\\u0001" in body
        tagged = [i for i in items if i["secretKey"] == "TAGGED"][0]
        assert [(t["slug"], t["color"], t["name"]) for t in tagged["tags"]] == \
            [("backend", "#aabbcc", "Backend"), ("ops", "#123456", "ops")]
        assert list(tagged["tags"][0]) == ["id", "slug", "color", "name"]
        status, _, body = c.list(tok, workspaceId="p", environment="e", tagSlugs="ops,nothing")
        assert [i["secretKey"] for i in json.loads(body)["secrets"]] == ["TAGGED"]
        # ids are stable across servers
        s2 = _start(data)
        try:
            c2 = Client(s2)
            body2 = c2.list(c2.token(("c", "s")), workspaceId="p", environment="e")[2]
            ids = sorted(i["id"] for i in json.loads(body2)["secrets"])
            assert ids == sorted(i["id"] for i in items)
            # default order is by id, like the real server
            assert [i["id"] for i in json.loads(body2)["secrets"]] == ids
        finally:
            s2.stop()
        # the data is re-read on every request
        s.data["projects"]["p"]["environments"]["e"]["secrets"]["NEW"] = "added"
        got = {i["secretKey"] for i in json.loads(c.list(tok, workspaceId="p", environment="e")[2])["secrets"]}
        assert "NEW" in got
    finally:
        s.stop()


def test_imports_nested_cycles_and_expansion():
    data = {
        "identities": [{"identityId": "i", "clientId": "c", "clientSecret": "s"}],
        "projects": {"p": {"slug": "ps", "environments": {
            "dev": {"folders": {
                "/": {"secrets": {"A": "dev-a", "LOCAL": "${B}"},
                      "imports": [{"environment": "dev", "secretPath": "/one"},
                                  {"environment": "prod", "secretPath": "/"},
                                  {"environment": "dev", "secretPath": "/missing"}]},
                "/one": {"secrets": {"B": "one-b", "REF": "${B}-${dev.C}"},
                         "imports": [{"environment": "dev", "secretPath": "/one/two"}]},
                "/one/two": {"secrets": {"B": "two-b", "D": "${B}"},
                             "imports": [{"environment": "dev", "secretPath": "/one"},
                                         {"environment": "dev", "secretPath": "/"}]},
            }},
            "prod": {"secrets": {"P": "prod-p", "E": ""}},
        }}},
    }
    s = _start(data, order="key")
    try:
        c = Client(s)
        tok = c.token(("c", "s"))
        status, _, body = c.list(tok, workspaceId="p", environment="dev", include_imports="true")
        obj = json.loads(body)
        imps = obj["imports"]
        assert [(i["environment"], i["secretPath"]) for i in imps] == [("dev", "/one"), ("prod", "/")]
        # own secrets of /one, then /one/two's, then /one/two's import of "/" (cycle back to /one cut)
        assert [x["secretKey"] for x in imps[0]["secrets"]] == ["B", "REF", "B", "D"]
        assert all(list(x) == ["id", "_id", "workspace", "environment", "version", "type",
                               "secretKey", "secretValue", "secretComment",
                               "skipMultilineEncoding", "metadata"] for x in imps[0]["secrets"])
        assert imps[0]["secrets"][0]["workspace"] == ""
        status, _, body = c.list(tok, workspaceId="p", environment="dev", include_imports="true",
                                 expandSecretReferences="true")
        obj = json.loads(body)
        assert {x["secretKey"]: x["secretValue"] for x in obj["secrets"]} == \
            {"A": "dev-a", "LOCAL": "${B}"}
        one = obj["imports"][0]["secrets"]
        # de-duplicated by key when expanding, expanded in the source folder
        assert [(x["secretKey"], x["secretValue"]) for x in one] == \
            [("B", "one-b"), ("REF", "one-b-${dev.C}"), ("D", "two-b")]
        # recursive listing merges sub-folders and their imports
        status, _, body = c.list(tok, workspaceId="p", environment="dev", recursive="true",
                                 include_imports="true")
        obj = json.loads(body)
        assert sorted((x["secretPath"], x["secretKey"]) for x in obj["secrets"]) == [
            ("/", "A"), ("/", "LOCAL"), ("/one", "B"), ("/one", "REF"), ("/one/two", "B"),
            ("/one/two", "D")]
        assert len(obj["imports"]) == 5
        # recursive from a sub-folder
        status, _, body = c.list(tok, workspaceId="p", environment="dev", secretPath="/one",
                                 recursive="true")
        assert {x["secretPath"] for x in json.loads(body)["secrets"]} == {"/one", "/one/two"}
    finally:
        s.stop()


def test_reference_rules():
    data = {
        "identities": [{"identityId": "i", "clientId": "c", "clientSecret": "s"}],
        "projects": {"p": {"environments": {
            "dev": {"folders": {
                "/": {"secrets": {
                    "X": "x", "EMPTY": "", "CHAIN0": "${CHAIN1}",
                    **{"CHAIN%d" % i: "${CHAIN%d}" % (i + 1) for i in range(1, 15)},
                    "CHAIN15": "end",
                    "REFS": "${X}|${EMPTY}|${dev.X}|${dev.a.b.Y}|${prod.Z}|${bad key}|${X|${|$X|${.X}",
                    "SELF": "${SELF}", "MULTI": {"value": "${NL}", "skipMultilineEncoding": True},
                    "NL": "a\nb"}},
                "/a/b": {"secrets": {"Y": "deep-${dev.X}", "Y2": "${Y}/${X}"}},
            }},
            "prod": {"secrets": {"Z": "${W}", "W": "prod-w"}},
        }}},
    }
    s = _start(data)
    try:
        c = Client(s)
        tok = c.token(("c", "s"))
        # project slug defaults to its id
        body = c.list(tok, workspaceSlug="p", environment="dev", expandSecretReferences="true")[2]
        got = {x["secretKey"]: x["secretValue"] for x in json.loads(body)["secrets"]}
        assert got["REFS"] == "x|${EMPTY}|x|deep-x|prod-w|${bad key}|${X|${|$X|${.X}"
        body = c.list(tok, workspaceId="p", environment="dev", secretPath="/a/b",
                      expandSecretReferences="true")[2]
        got_ab = {x["secretKey"]: x["secretValue"] for x in json.loads(body)["secrets"]}
        # ${KEY} means the referencing secret's own folder
        assert got_ab["Y2"] == "deep-x/${X}"
        assert got["SELF"] == "${SELF}"
        assert got["MULTI"] == '"a\\nb"'
        assert got["CHAIN0"].startswith("${CHAIN") and got["CHAIN14"] == "end"
    finally:
        s.stop()


def test_lockout():
    s = _start(lockout_window=0.3, lockout_duration=0.6)
    try:
        c = Client(s)
        for _ in range(3):
            status, _, body = c.login((MEMBER[0], "wrong"))
            assert (status, json.loads(body)["message"]) == (401, "Invalid credentials")
        for cred in ((MEMBER[0], "wrong"), MEMBER):
            status, _, body = c.login(cred)
            assert status == 401
            assert json.loads(body) == {
                "statusCode": 401, "error": "UnauthorizedError",
                "message": "This identity auth method is temporarily locked, please try again later"}
        assert c.login(VIEWER)[0] == 200          # other identities are not affected
        time.sleep(0.65)
        assert c.login(MEMBER)[0] == 200
        # failures further apart than the window do not add up
        for _ in range(4):
            assert c.login((MEMBER[0], "wrong"))[0] == 401
            time.sleep(0.35)
        assert c.login(MEMBER)[0] == 200
    finally:
        s.stop()


def test_other_login_methods(client):
    for method, jwt in (("kubernetes", "k8s.sa.jwt"), ("oidc", "oidc.id.token"),
                        ("jwt", "static.signed.jwt")):
        path = "/api/v1/auth/%s-auth/login" % method
        status, _, body = client.request("POST", path, body={"identityId": MEMBER_ID, "jwt": jwt})
        assert status == 200, body
        tok = json.loads(body)["accessToken"]
        assert client.list(tok, workspaceId=PROJECT, environment="dev")[0] == 200
        status, _, body = client.request("POST", path, body={"identityId": MEMBER_ID,
                                                             "jwt": "wrong.jwt.value"})
        assert status == 401 and "not authenticated" in json.loads(body)["message"] or \
            json.loads(body)["message"].startswith("Access denied")
        for ident in (VIEWER_ID, "no-such-identity"):
            status, _, body = client.request("POST", path, body={"identityId": ident, "jwt": jwt})
            assert status == 404 and json.loads(body)["error"] == "NotFound"
            assert "auth method not found for identity" in json.loads(body)["message"]
        status, _, body = client.request("POST", path, body={"identityId": MEMBER_ID})
        assert status == 401 and json.loads(body)["message"][0]["path"] == ["jwt"]


def test_expired_jwt():
    data = copy.deepcopy(SAMPLE_DATA)
    data["identities"][0]["accessTokenTTL"] = 1
    s = _start(data)
    try:
        c = Client(s)
        status, _, body = c.login(MEMBER)
        obj = json.loads(body)
        assert obj["expiresIn"] == 1
        exp = dict(jwt_payload(obj["accessToken"]))["exp"]
        assert c.list(obj["accessToken"], workspaceId=PROJECT, environment="dev")[0] == 200
        time.sleep(max(0, exp - time.time()) + 0.05)
        status, _, body = c.list(obj["accessToken"], workspaceId=PROJECT, environment="dev")
        assert (status, json.loads(body)) == (403, {
            "statusCode": 403, "message": "Your token has expired. Please re-authenticate.",
            "error": "TokenError"})
    finally:
        s.stop()


def test_keep_alive_and_requests_log(client, srv):
    conn = client.conn()
    try:
        status, headers, body = client.login(conn=conn)
        assert status == 200 and headers["connection"] == "keep-alive"
        sock = conn.sock
        tok = json.loads(body)["accessToken"]
        status, headers, _ = client.list(tok, conn=conn, workspaceId=PROJECT, environment="dev",
                                         include_imports="false")
        assert status == 200
        assert conn.sock is sock
    finally:
        conn.close()
    login_req, list_req = srv.requests[-2:]
    assert login_req["client"] == list_req["client"]
    assert login_req["method"] == "POST" and login_req["route"] == "login"
    assert login_req["body"] == {"clientId": MEMBER[0], "clientSecret": MEMBER[1]}
    assert list_req["path"] == LIST and list_req["body"] is None
    assert list_req["query"] == {"workspaceId": [PROJECT], "environment": ["dev"],
                                 "include_imports": ["false"]}
    assert list_req["headers"]["authorization"] == "Bearer " + tok
    srv.clear_requests()
    assert srv.requests == []
    # Connection: close is honoured
    status, headers, _ = client.request("GET", "/api/status", headers={"Connection": "close"})
    assert headers["connection"] == "close"


def test_etag_304(client):
    status, headers, body = client.request("GET", "/api/v3/secrets/raw?workspaceId=%s&environment=prod"
                                           % PROJECT, token=client.token())
    status, headers2, body2 = client.request(
        "GET", "/api/v3/secrets/raw?workspaceId=%s&environment=prod" % PROJECT,
        token=client.token(), headers={"If-None-Match": headers["etag"]})
    assert status == 304 and body2 == b""


def test_https(pki):
    s = _start(tls=pki["server"])
    try:
        assert s.url.startswith("https://127.0.0.1:")
        c = Client(s, ca=pki["ca"][0])
        conn = c.conn()
        try:
            tok = json.loads(c.login(conn=conn)[2])["accessToken"]
            assert c.list(tok, conn=conn, workspaceId=PROJECT, environment="dev")[0] == 200
        finally:
            conn.close()
        with pytest.raises(ssl.SSLCertVerificationError):
            Client(s, ca=pki["other"][0]).request("GET", "/api/status")
        # hostname "localhost" is in the SAN as well
        ctx = ssl.create_default_context(cafile=pki["ca"][0])
        with socket.create_connection(("127.0.0.1", s.port), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                tls.sendall(b"GET /api/status HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                assert tls.recv(64).startswith(b"HTTP/1.1 200 OK")
        # a plain HTTP client does not take the server down
        with socket.create_connection(("127.0.0.1", s.port), timeout=5) as raw:
            raw.sendall(b"GET /api/status HTTP/1.1\r\n\r\n")
            try:
                raw.recv(100)
            except ConnectionResetError:
                pass
        assert c.request("GET", "/api/status")[0] == 200
    finally:
        s.stop()


def test_self_signed_cert(tmp_path):
    cert, key = certs.make_self_signed(tmp_path, key_type="ec")
    s = _start(tls=(cert, key))
    try:
        assert Client(s, ca=cert).request("GET", "/api/status")[0] == 200
    finally:
        s.stop()


# --------------------------------------------------------------------------- faults

def test_fault_status(client, srv):
    srv.add_fault("login", "status", times=2, status=503, headers={"retry-after": "2"})
    for _ in range(2):
        status, headers, body = client.login()
        assert status == 503 and headers["retry-after"] == "2"
        assert json.loads(body) == {"statusCode": 503, "message": "Service Unavailable",
                                    "error": "ServiceUnavailable"}
    assert client.login()[0] == 200
    srv.add_fault("list", "status", status=429)
    assert client.request("GET", "/api/status")[0] == 200     # other routes untouched
    status, _, body = client.list(client.token(), workspaceId=PROJECT, environment="dev")
    assert status == 429 and json.loads(body)["error"] == "RateLimitExceeded"
    srv.add_fault("any", "status", status=500, body="plain text")
    status, _, body = client.request("GET", "/api/status")
    assert status == 500 and body == b"plain text"
    # every request is logged, faults or not
    assert [r["route"] for r in srv.requests][-3:] == ["login", "list", "status"]


def test_fault_delay_and_slow_body(client, srv):
    srv.add_fault("status", "delay", seconds=0.3)
    t0 = time.monotonic()
    status, _, body = client.request("GET", "/api/status")
    assert status == 200 and time.monotonic() - t0 >= 0.3
    srv.add_fault("login", "slow_body", seconds=0.4, chunks=4)
    t0 = time.monotonic()
    status, _, body = client.login()
    assert status == 200 and json.loads(body)["tokenType"] == "Bearer"
    assert time.monotonic() - t0 >= 0.3


def test_fault_truncate_close_malformed(client, srv):
    tok = client.token()
    srv.add_fault("list", "truncate")
    conn = client.conn()
    conn.request("GET", LIST + "?workspaceId=%s&environment=dev" % PROJECT,
                 headers={"Authorization": "Bearer " + tok})
    resp = conn.getresponse()
    assert resp.status == 200
    with pytest.raises(http.client.IncompleteRead):
        resp.read()
    conn.close()
    srv.add_fault("login", "close")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        client.login()
    assert srv.requests[-1]["route"] == "login"
    srv.add_fault("login", "malformed")
    status, headers, body = client.login()
    assert status == 200 and headers["content-type"].startswith("application/json")
    with pytest.raises(ValueError):
        json.loads(body)


def test_fault_html_redirect_huge(client, srv):
    srv.add_fault("list", "html")
    status, headers, body = client.list("x", workspaceId=PROJECT, environment="dev")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert b"<html>" in body
    srv.add_fault("login", "redirect", url="https://elsewhere.invalid/login")
    status, headers, body = client.login()
    assert status == 302 and headers["location"] == "https://elsewhere.invalid/login"
    srv.add_fault("status", "redirect")
    status, headers, _ = client.request("GET", "/api/status")
    assert headers["location"] == srv.url + "/api/status"
    srv.add_fault("list", "huge", size=3 * 1024 * 1024 + 7)
    status, headers, body = client.list("x", workspaceId=PROJECT, environment="dev")
    assert status == 200 and len(body) == 3 * 1024 * 1024 + 7
    assert int(headers["content-length"]) == len(body)
    assert json.loads(body)["secrets"] == []
    with pytest.raises(ValueError):
        srv.add_fault("list", "explode")


def test_rate_limit_enforced():
    s = _start(rate_limit=True, rate_limits={"write": 2})
    try:
        c = Client(s)
        assert c.login()[0] == 200
        status, headers, _ = c.login()
        assert status == 200 and headers["x-ratelimit-remaining"] == "0"
        status, headers, body = c.login()
        assert status == 429 and "retry-after" in headers
        assert json.loads(body)["message"] == "Rate limit exceeded. Please try again in 1 minute"
    finally:
        s.stop()


# --------------------------------------------------------------------------- CLI

def test_cli_demo():
    demo = os.path.join(HERE, "data", "demo.json")
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "infisical_server.py"),
                             "--data", demo, "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        url = proc.stdout.readline().decode().strip()
        assert url.startswith("http://127.0.0.1:")
        host, port = url[len("http://"):].rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        conn.request("POST", "/api/v1/auth/universal-auth/login",
                     body=json.dumps({"clientId": "demo-client-id",
                                      "clientSecret": "demo-client-secret"}),
                     headers={"Content-Type": "application/json"})
        tok = json.loads(conn.getresponse().read())["accessToken"]
        conn.request("GET", LIST + "?workspaceSlug=local-ai&environment=dev&secretPath=/n8n"
                     "&expandSecretReferences=true&include_imports=true",
                     headers={"Authorization": "Bearer " + tok})
        obj = json.loads(conn.getresponse().read())
        conn.close()
        local = {s["secretKey"]: s["secretValue"] for s in obj["secrets"]}
        shared = {s["secretKey"]: s["secretValue"] for s in obj["imports"][0]["secrets"]}
        assert local["DB_POSTGRESDB_PASSWORD"] == shared["POSTGRES_PASSWORD"]
        assert "\n" in local["N8N_CUSTOM_CA_PEM"]
        assert "$" in shared["DASHBOARD_PASSWORD"] and '"' in shared["DASHBOARD_PASSWORD"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
        assert proc.stderr.read() == b""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
