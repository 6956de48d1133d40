#!/usr/bin/python3
"""Local Infisical-compatible HTTP/HTTPS server for infx-exec tests and demos.

Python 3 standard library only.  It answers the routes infx-exec uses the way an
unmodified Infisical backend does: the captured responses in
../shared/reference/infisical-samples/ are the yardstick (same status codes,
same JSON field order, compact JSON bodies, ``etag`` = base64(sha1(body)) so the
bytes, Content-Length and ETag of a sample can be reproduced exactly).

Data file (JSON)
================

::

  {
    "secretOrder": "id",             # optional: "id" (default, what the real server
                                     # does) or "key" (sorted by key, then path)
    "timestamp": "2026-01-01T00:00:00.000Z",   # optional default createdAt/updatedAt
    "identities": [
      {"identityId": "uuid", "clientId": "uuid", "clientSecret": "string",
       "projects": ["<projectId or slug>", ...],   # omitted: access to every project
       "accessTokenTTL": 2592000,                  # optional, seconds, 0 = no exp
       "accessTokenMaxTTL": 2592000,               # optional, seconds, 0 = none
       "readValue": false,                         # optional: may describe secrets,
                                                   # not read their values (newer
                                                   # servers: 403 with viewSecretValue
                                                   # true, hidden values with false)
       "valuesHidden": true,                       # optional: values always come
                                                   # back hidden (a server that
                                                   # hides by default)
       "kubernetesJwt": "...", "oidcJwt": "...", "jwtJwt": "..."}   # optional: the
                                     # JWT accepted by that login method
    ],
    "accessTokens": {"<literal token>": {"identityId": "uuid"}},  # valid, never expire
    "revokedTokens": ["<token>"],    # -> 401 "No identity access token found"
    "expiredTokens": ["<token>"],    # -> 403 TokenError "Your token has expired..."
    "projects": {
      "<projectId>": {
        "slug": "my-project",
        "tags": {"backend": {"color": "#aabbcc", "name": "Backend", "id": "uuid"}},  # optional
        "environments": {
          "dev": {"folders": {
            "/":    {"secrets": {"KEY": "value",
                                 "OTHER": {"value": "v", "tags": ["backend"]}},
                     "imports": [{"environment": "staging", "secretPath": "/"}]},
            "/app": {"id": "optional folder uuid", "secrets": {}}
          }}
        }
      }
    }
  }

* A secret is a plain string or an object with ``value`` and optionally ``tags``
  (slugs, or objects {slug, color, name, id}), ``id``, ``comment``, ``version``,
  ``createdAt``, ``updatedAt``, ``skipMultilineEncoding``, ``metadata``.
  Numbers and booleans given as values are turned into strings.
* Keys and values are served exactly as given (any character).
* Ids default to uuid5 of project/env/path/key (stable across runs); folder
  ids likewise.  Parent folders of a declared folder exist implicitly, so does
  ``/`` of a declared environment.  An environment object without ``folders``
  but with ``secrets``/``imports`` is taken as its root folder.
* ``srv.data`` is re-read on every request: tests may mutate it while running.

In-process API
==============

::

  srv = InfisicalServer(data, tls=None or (certfile, keyfile), host="127.0.0.1",
                        port=0, v4=True)
  srv.start(); srv.url; srv.requests; srv.clear_requests()
  srv.add_fault(route, kind, times=1, **kw); srv.clear_faults(); srv.stop()

Optional keyword arguments: ``gzip=None`` ("negotiate": gzip bodies when
the request's Accept-Encoding allows it; "always": a gzip-only server, gzip
whatever was asked), ``value_hiding=False`` (a newer server: list items carry
``secretValueHidden``, and identities' ``readValue``/``valuesHidden`` apply),
``lockout_attempts=3, lockout_window=30,
lockout_duration=300`` (Universal Auth lockout), ``order=None`` (overrides
secretOrder), ``rate_limit=False`` (True: really answer 429 past the limits;
the x-ratelimit-* headers are always sent), ``rate_limits={"write": 200,
"secrets": 40}``, ``query_validation_status=422``, ``auth_secret=None`` (bytes
for the JWT HMAC, random by default), ``verbose=False``, ``rate_window=60``
(seconds of one fixed rate-limit window).

``srv.requests`` entries: ``{"method", "path" (no query), "query": {k: [v..]},
"headers": {lowercase: value}, "body": parsed JSON / raw str / None,
"route": route class, "client": (ip, port), "time": epoch}``.  They are
appended before any fault is applied.

Faults (``route`` = "login" (every */login route), "list" (v3 and v4 list),
"status", "renew", "revoke", "write" (secret create/update), "folders" or
"any"; each fault is used by the next matching
request, ``times`` times, in the order added; ``skip=N`` lets the first N
matching requests through untouched):

  status     kw status=503, body=None (None: standard error body; dict: JSON;
             str/bytes: raw), headers={}, message=None, error=None
  delay      kw seconds=1.0: sleep, then answer normally
  slow_body  kw seconds=2.0, chunks=10: headers at once, body in pieces
  truncate   Content-Length of the full body, only half of it sent, then close
  malformed  200, application/json, invalid JSON (kw body to override)
  html       kw status=200: a text/html proxy error page (kw body to override)
  redirect   kw url (default: same path on this server), status=302
  huge       kw size=16 MiB: 200 with a valid JSON body of exactly size bytes
  close      close the connection without answering
  encoding   kw encoding="br": the normal answer, labelled with that
             Content-Encoding (its body unchanged)
  gzip_bomb  kw size=64 MiB: 200, Content-Encoding gzip, a small body that
             inflates to size bytes of JSON white space
  big_header kw size=200000, count=1: the normal answer with count headers
             X-Pad-N of size bytes each

Routes
======

GET  /api/status
POST /api/v1/auth/universal-auth/login      {clientId, clientSecret}
POST /api/v1/auth/kubernetes-auth/login     {identityId, jwt}
POST /api/v1/auth/oidc-auth/login           {identityId, jwt}
POST /api/v1/auth/jwt-auth/login            {identityId, jwt}
POST /api/v1/auth/token/renew               {accessToken}
POST /api/v1/auth/token/revoke              {accessToken}
GET  /api/v3/secrets/raw                    workspaceId|workspaceSlug, environment, ...
GET  /api/v4/secrets                        projectId, environment, ... (unless v4=False)
POST|PATCH /api/v3/secrets/raw/NAME         {workspaceId, environment, secretPath,
                                             secretValue, type}: create | update
POST /api/v1/folders                        {workspaceId, environment, name, path}
GET  /api/v1/folders                        workspaceId, environment, path

Folders (infisical-api.md 2.6): creating one that exists answers that folder
(same id); missing parents are made on the way (mkdir -p); an unknown
environment is a 404, an identity with "readOnly": true a 403 (checked first,
as the server's CASL check), a name other than letters, digits, '-' and '_'
a 500 "Something went wrong" (what the 2024-10 backend answered). Listing a
path that does not exist answers no folders; an unknown environment, 404.

Anything else: Fastify's default 404 ``{"message":"Route GET:/x not found",
"error":"Not Found","statusCode":404}``.  POST bodies are parsed like Fastify:
content-type application/json with an empty body -> 400
FST_ERR_CTP_EMPTY_JSON_BODY, invalid JSON -> 400 FST_ERR_CTP_INVALID_JSON, any
other content type with a body -> 415 FST_ERR_CTP_INVALID_MEDIA_TYPE (bodies
``{"statusCode","code","error","message"}``).  A missing or non-string login
field -> 401 ValidationFailure with a zod issue array (as captured).

CLI
===

python3 tests/infisical_server.py --data FILE [--host H] [--port N]
        [--tls-cert F --tls-key F] [--no-v4] [--verbose]

prints the origin URL on stdout once listening, serves until SIGTERM/SIGINT,
exits 0.
"""

import argparse
import base64
import datetime
import email.utils
import gzip as gzip_module
import hashlib
import hmac
import http
import http.server
import json
import math
import os
import re
import signal
import socket
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse
import uuid
from urllib.parse import parse_qs, urlsplit

NAMESPACE = uuid.UUID("5b0f3c1e-8a8e-4c55-9d8b-6e1f5d0c2a77")

TTL_DEFAULT = 2592000
REF_RE = re.compile(r"\$\{([A-Za-z0-9_.\-]+)\}")
MAX_DEPTH = 10

HELMET_HEADERS = [
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("Origin-Agent-Cluster", "?1"),
    ("Referrer-Policy", "no-referrer"),
    ("Strict-Transport-Security", "max-age=15552000; includeSubDomains"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-DNS-Prefetch-Control", "off"),
    ("X-Download-Options", "noopen"),
    ("X-Frame-Options", "SAMEORIGIN"),
    ("X-Permitted-Cross-Domain-Policies", "none"),
    ("X-XSS-Protection", "0"),
]

JSON_CT = "application/json; charset=utf-8"

MSG_MALFORMED = ("The provided access token is malformed. Please use a valid token "
                 "or generate a new one and try again.")
MSG_EXPIRED = "Your token has expired. Please re-authenticate."
MSG_NO_TOKEN_ROW = "No identity access token found"
MSG_LOCKED = "This identity auth method is temporarily locked, please try again later"

STANDARD_ERRORS = {
    400: ("BadRequest", "Bad request"),
    401: ("UnauthorizedError", "Unauthorized"),
    403: ("ForbiddenError", "You are not allowed to access this resource"),
    404: ("NotFound", "Not found"),
    422: ("ValidationFailure", []),
    429: ("RateLimitExceeded", "Rate limit exceeded. Please try again in 1 minute"),
    500: ("InternalServerError", "Something went wrong"),
    502: ("BadGateway", "Bad Gateway"),
    503: ("ServiceUnavailable", "Service Unavailable"),
    504: ("GatewayTimeoutError", "Gateway timeout"),
}

HTML_PAGE = ("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
             "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
             "</body>\r\n</html>\r\n")

FAULT_KINDS = ("status", "delay", "slow_body", "truncate", "malformed", "html",
               "redirect", "huge", "close", "encoding", "gzip_bomb", "big_header")
FAULT_ROUTES = ("login", "list", "status", "renew", "revoke", "write", "folders", "any")

_SURROGATE_RE = re.compile("[\ud800-\udfff]")


# --------------------------------------------------------------------------- helpers

# What JavaScript's String.prototype.trim() removes: WhiteSpace (U+FEFF, the
# byte-order mark, included) and LineTerminator; Infisical trims client ids
# and secrets with it (zod's .trim()).
JS_BLANKS = ("\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
             "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff")


def js_trim(text):
    return text.strip(JS_BLANKS)


def js_json(obj):
    """Serialize like Node's JSON.stringify (compact, UTF-8, lone surrogates escaped)."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    text = _SURROGATE_RE.sub(lambda m: "\\u%04x" % ord(m.group(0)), text)
    return text.encode("utf-8")


def etag_of(body):
    return '"%s"' % base64.b64encode(hashlib.sha1(body).digest()).decode("ascii")


def iso_ms(ts=None):
    if ts is None:
        ts = time.time()
    dt = datetime.datetime.fromtimestamp(ts, tz=datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    pad = "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(text + pad)


def norm_path(path):
    parts = [p for p in str(path).split("/") if p]
    return "/" + "/".join(parts)


def js_type(value):
    """zod's parsedType name of a JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def zod_string_issues(body, fields):
    """Issues zod reports for z.object({field: z.string()}) on body (None = undefined)."""
    if not isinstance(body, dict):
        received = "undefined" if body is None else js_type(body)
        return [{"code": "invalid_type", "expected": "object", "received": received,
                 "path": [], "message": "Required" if body is None
                 else "Expected object, received %s" % received}]
    issues = []
    for name in fields:
        if name not in body:
            issues.append({"code": "invalid_type", "expected": "string", "received": "undefined",
                           "path": [name], "message": "Required"})
        elif not isinstance(body[name], str):
            received = js_type(body[name])
            issues.append({"code": "invalid_type", "expected": "string", "received": received,
                           "path": [name], "message": "Expected string, received %s" % received})
    return issues


class ApiError(Exception):
    def __init__(self, status, message, error, headers=None, body=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.error = error
        self.headers = headers or []
        self.body = body

    def payload(self):
        if self.body is not None:
            return self.body
        return {"statusCode": self.status, "message": self.message, "error": self.error}


def fastify_error(status, code, error, message):
    return ApiError(status, message, error,
                    body={"statusCode": status, "code": code, "error": error, "message": message})


class Response:
    def __init__(self, status, body=b"", ctype=JSON_CT, headers=None, etag=True):
        self.status = status
        self.body = body
        self.ctype = ctype
        self.headers = list(headers or [])
        self.etag = etag
        self.stream = None          # iterable of bytes (huge fault); body unused then
        self.length = None          # Content-Length when streaming


def json_response(status, obj, headers=None):
    return Response(status, js_json(obj), headers=headers)


# --------------------------------------------------------------------------- data model

class Model:
    """Normalized, read-only view of the data dict."""

    def __init__(self, data, default_ts):
        if not isinstance(data, dict):
            raise ValueError("data must be a JSON object")
        self.default_ts = data.get("timestamp") or default_ts
        self.order = data.get("secretOrder", "id")
        self.identities = []
        self.by_client = {}
        self.by_identity = {}
        for raw in data.get("identities", []) or []:
            ident = dict(raw)
            if "identityId" not in ident:
                raise ValueError("identity without identityId: %r" % (raw,))
            ident.setdefault("accessTokenTTL", TTL_DEFAULT)
            ident.setdefault("accessTokenMaxTTL", TTL_DEFAULT)
            self.identities.append(ident)
            self.by_identity[ident["identityId"]] = ident
            if isinstance(ident.get("clientId"), str):
                self.by_client[js_trim(ident["clientId"])] = ident
        self.literal_tokens = dict(data.get("accessTokens", {}) or {})
        self.revoked = set(data.get("revokedTokens", []) or [])
        self.expired = set(data.get("expiredTokens", []) or [])
        self.projects = {}
        self.by_slug = {}
        for pid, praw in (data.get("projects", {}) or {}).items():
            proj = self._project(pid, praw or {})
            self.projects[pid] = proj
            self.by_slug[proj["slug"]] = proj

    def _project(self, pid, praw):
        proj = {"id": pid, "slug": praw.get("slug", pid), "envs": {},
                "tagdefs": praw.get("tags", {}) or {}}
        for env, eraw in (praw.get("environments", {}) or {}).items():
            eraw = eraw or {}
            if "folders" in eraw:
                folders_raw = eraw["folders"] or {}
            elif "secrets" in eraw or "imports" in eraw:
                folders_raw = {"/": eraw}
            else:
                folders_raw = {}
            folders = {}
            for path, fraw in folders_raw.items():
                path = norm_path(path)
                folders[path] = self._folder(proj, env, path, fraw or {})
            # implicit root and parents
            for path in list(folders):
                parts = path.strip("/").split("/") if path != "/" else []
                for i in range(len(parts)):
                    parent = "/" + "/".join(parts[:i])
                    if parent not in folders:
                        folders[parent] = self._folder(proj, env, parent, {})
            if "/" not in folders:
                folders["/"] = self._folder(proj, env, "/", {})
            proj["envs"][env] = folders
        return proj

    def _folder(self, proj, env, path, fraw):
        fid = fraw.get("id") or str(uuid.uuid5(NAMESPACE, "folder:%s:%s:%s" % (proj["id"], env, path)))
        secrets = []
        for key, sraw in (fraw.get("secrets", {}) or {}).items():
            secrets.append(self._secret(proj, env, path, key, sraw))
        imports = []
        for imp in fraw.get("imports", []) or []:
            imports.append((imp.get("environment"), norm_path(imp.get("secretPath", "/"))))
        return {"id": fid, "path": path, "env": env, "secrets": secrets, "imports": imports}

    def _secret(self, proj, env, path, key, sraw):
        obj = sraw if isinstance(sraw, dict) else {"value": sraw}
        value = obj.get("value", "")
        if value is None:
            value = ""
        elif isinstance(value, bool):
            value = "true" if value else "false"
        elif not isinstance(value, str):
            value = str(value)
        sid = obj.get("id") or str(uuid.uuid5(
            NAMESPACE, "secret:%s:%s:%s:%s" % (proj["id"], env, path, key)))
        created = obj.get("createdAt") or self.default_ts
        tags = []
        for t in obj.get("tags", []) or []:
            tags.append(self._tag(proj, t))
        return {
            "id": sid, "key": key, "value": value, "env": env, "path": path,
            "comment": obj.get("comment", ""), "version": obj.get("version", 1),
            "createdAt": created, "updatedAt": obj.get("updatedAt") or created,
            "skip": bool(obj.get("skipMultilineEncoding", False)),
            "metadata": obj.get("metadata"), "tags": tags,
        }

    def _tag(self, proj, t):
        if isinstance(t, dict):
            slug = t.get("slug", "")
            extra = t
        else:
            slug = str(t)
            extra = proj["tagdefs"].get(slug, {}) or {}
        return {"id": extra.get("id") or str(uuid.uuid5(NAMESPACE, "tag:%s:%s" % (proj["id"], slug))),
                "slug": slug, "color": extra.get("color"), "name": extra.get("name", slug)}

    def folder(self, proj, env, path):
        folders = proj["envs"].get(env)
        if folders is None:
            return None
        return folders.get(path)

    def lookup_value(self, proj, env, path, key):
        f = self.folder(proj, env, path)
        if f is None:
            return None
        for s in f["secrets"]:
            if s["key"] == key:
                return s
        return None


# --------------------------------------------------------------------------- server

class _HTTPServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def server_bind(self):
        # skip HTTPServer.server_bind's getfqdn() (slow DNS lookups)
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = host
        self.server_port = port

    def finish_request(self, request, client_address):
        app = self.app
        if app._ssl_ctx is not None:
            try:
                request.settimeout(30)
                request = app._ssl_ctx.wrap_socket(request, server_side=True)
                request.settimeout(None)
            except (OSError, ssl.SSLError) as exc:
                if app.verbose:
                    sys.stderr.write("infisical_server: TLS handshake failed: %s\n" % exc)
                try:
                    request.close()
                except OSError:
                    pass
                return
        with app._lock:
            app._conns.add(request)
        try:
            self.RequestHandlerClass(request, client_address, self)
        finally:
            with app._lock:
                app._conns.discard(request)
            try:
                request.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        if self.app.verbose:
            super().handle_error(request, client_address)


class _HTTPServer6(_HTTPServer):
    address_family = socket.AF_INET6


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "infisical-test"
    sys_version = ""
    timeout = 75

    def setup(self):
        super().setup()
        # As Node's http server (so Infisical's) does: without it the
        # headers and body of a response go out in two writes and, over
        # TLS, each response waits ~40 ms for the client's delayed ACK.
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def log_message(self, fmt, *args):
        if self.server.app.verbose:
            sys.stderr.write("infisical_server: %s - %s\n" % (self.client_address[0], fmt % args))

    def log_request(self, code="-", size="-"):
        if self.server.app.verbose:
            super().log_request(code, size)

    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    # ----------------------------------------------------------------- plumbing
    def _read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks = []
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    break
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while True:
                        trailer = self.rfile.readline(65537)
                        if trailer in (b"\r\n", b"\n", b""):
                            break
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        try:
            n = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            n = 0
        return self.rfile.read(n) if n > 0 else b""

    def _abort(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _dispatch(self):
        app = self.server.app
        split = urlsplit(self.path)
        path = split.path
        query = parse_qs(split.query, keep_blank_values=True)
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self._abort()
            return
        headers = {}
        for k, v in self.headers.items():
            headers[k.lower()] = v
        parsed = None
        if body:
            try:
                parsed = json.loads(body.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                parsed = body.decode("utf-8", "replace")
        route = app._route_class(self.command, path)
        app._record({"method": self.command, "path": path, "query": query,
                     "headers": headers, "body": parsed, "route": route,
                     "client": tuple(self.client_address[:2]), "time": time.time()})
        fault = app._take_fault(route)
        mode = None
        if fault is not None:
            kind, kw = fault["kind"], fault["kw"]
            if kind == "close":
                self._abort()
                return
            if kind == "delay":
                time.sleep(float(kw.get("seconds", 1.0)))
        resp = app._handle(self.command, path, self.path, query, headers, body,
                           self.client_address[0])
        if fault is not None:
            resp, mode = app._fault_response(fault, resp, route, path)
        self._write(resp, mode, fault["kw"] if fault else {})
        if app.verbose:
            sys.stderr.write("infisical_server: %s %s -> %d%s\n" % (
                self.command, self.path, resp.status,
                " (fault %s)" % fault["kind"] if fault else ""))

    def _write(self, resp, mode, kw):
        req_headers = self.headers
        status = resp.status
        body = resp.body
        inm = req_headers.get("If-None-Match")
        etag = etag_of(body) if (resp.etag and resp.stream is None) else None
        app = self.server.app
        accepts = "gzip" in (req_headers.get("Accept-Encoding") or "").lower()
        if (mode != "raw" and resp.stream is None and body and
                (app.gzip == "always" or (app.gzip == "negotiate" and accepts))):
            body = gzip_module.compress(body)
            resp.headers.append(("content-encoding", "gzip"))
        not_modified = etag is not None and inm is not None and inm == etag
        if not_modified:
            status = 304
        self.send_response_only(status)
        for k, v in HELMET_HEADERS:
            self.send_header(k, v)
        for k, v in resp.headers:
            self.send_header(k, str(v))
        self.send_header("content-type", resp.ctype)
        if etag is not None:
            self.send_header("etag", etag)
        length = resp.length if resp.stream is not None else len(body)
        if not not_modified:
            self.send_header("content-length", str(length))
        self.send_header("Date", email.utils.formatdate(usegmt=True))
        if mode == "truncate" or self.close_connection:
            self.send_header("Connection", "close")
        else:
            self.send_header("Connection", "keep-alive")
            self.send_header("Keep-Alive", "timeout=72")
        self.end_headers()
        if self.command == "HEAD" or not_modified:
            return
        try:
            if resp.stream is not None:
                for piece in resp.stream:
                    self.wfile.write(piece)
            elif mode == "slow_body":
                chunks = max(1, int(kw.get("chunks", 10)))
                pause = float(kw.get("seconds", 2.0)) / chunks
                step = max(1, math.ceil(len(body) / chunks))
                for i in range(0, len(body), step):
                    self.wfile.write(body[i:i + step])
                    self.wfile.flush()
                    time.sleep(pause)
            elif mode == "truncate":
                self.wfile.write(body[:len(body) // 2])
                self.wfile.flush()
                self._abort()
            else:
                self.wfile.write(body)
        except OSError:
            self.close_connection = True


class InfisicalServer:
    def __init__(self, data, tls=None, host="127.0.0.1", port=0, v4=True,
                 lockout_attempts=3, lockout_window=30, lockout_duration=300,
                 order=None, rate_limit=False, rate_limits=None, rate_window=60,
                 query_validation_status=422, auth_secret=None, verbose=False,
                 gzip=None, value_hiding=False):
        self.data = data
        self.gzip = gzip
        self.value_hiding = value_hiding
        self.tls = tls
        self.host = host
        self.port = port
        self.v4 = v4
        self.lockout_attempts = lockout_attempts
        self.lockout_window = lockout_window
        self.lockout_duration = lockout_duration
        self.order = order
        self.rate_limit = rate_limit
        self.rate_window = rate_window      # seconds per fixed window
        self.rate_limits = {"write": 200, "secrets": 40}
        if rate_limits:
            self.rate_limits.update(rate_limits)
        self.query_validation_status = query_validation_status
        self.verbose = verbose
        self._secret_key = auth_secret if auth_secret is not None else os.urandom(32)
        if isinstance(self._secret_key, str):
            self._secret_key = self._secret_key.encode("utf-8")
        self._lock = threading.RLock()
        self.requests = []
        self._faults = []
        self._tokens = {}            # JWT string -> shared token record
        self._literal_revoked = set()
        self._lockouts = {}          # clientId -> {"count", "last", "until"}
        self._rl = {}
        self._conns = set()
        self._t0 = time.time()
        self._start_ts = iso_ms(self._t0)
        self._httpd = None
        self._thread = None
        self._ssl_ctx = None
        Model(data, self._start_ts)  # validate early

    # ----------------------------------------------------------------- public API
    def start(self):
        if self.tls:
            certfile, keyfile = self.tls
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(certfile, keyfile)
            self._ssl_ctx = ctx
        cls = _HTTPServer6 if ":" in self.host else _HTTPServer
        self._httpd = cls((self.host, self.port), _Handler)
        self._httpd.app = self
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="infisical-server", daemon=True)
        self._thread.start()
        return self

    @property
    def url(self):
        scheme = "https" if self.tls else "http"
        host = "[%s]" % self.host if ":" in self.host else self.host
        return "%s://%s:%d" % (scheme, host, self.port)

    def stop(self):
        if self._httpd is None:
            return
        self._httpd.shutdown()
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._httpd.server_close()
        self._thread.join(5)
        self._httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def clear_requests(self):
        with self._lock:
            del self.requests[:]

    def add_fault(self, route, kind, times=1, skip=0, **kw):
        if route not in FAULT_ROUTES:
            raise ValueError("unknown fault route %r (one of %s)" % (route, ", ".join(FAULT_ROUTES)))
        if kind not in FAULT_KINDS:
            raise ValueError("unknown fault kind %r (one of %s)" % (kind, ", ".join(FAULT_KINDS)))
        with self._lock:
            self._faults.append({"route": route, "kind": kind, "times": int(times),
                                 "skip": int(skip), "kw": kw})

    def clear_faults(self):
        with self._lock:
            del self._faults[:]

    def issued_tokens(self):
        with self._lock:
            return list(self._tokens)

    # ----------------------------------------------------------------- internals
    def _record(self, entry):
        with self._lock:
            self.requests.append(entry)

    def _take_fault(self, route):
        with self._lock:
            for i, f in enumerate(self._faults):
                if f["route"] == "any" or f["route"] == route:
                    if f["skip"] > 0:
                        f["skip"] -= 1
                        return None
                    f["times"] -= 1
                    if f["times"] <= 0:
                        del self._faults[i]
                    return {"kind": f["kind"], "kw": f["kw"], "route": f["route"]}
        return None

    @staticmethod
    def _route_class(method, path):
        p = path.rstrip("/") or "/"
        if p == "/api/status":
            return "status"
        if re.fullmatch(r"/api/v1/auth/[a-z-]+-auth/login", p):
            return "login"
        if p == "/api/v1/auth/token/renew":
            return "renew"
        if p == "/api/v1/auth/token/revoke":
            return "revoke"
        if p in ("/api/v3/secrets/raw", "/api/v4/secrets"):
            return "list"
        if p.startswith("/api/v3/secrets/raw/"):
            return "write"
        if p == "/api/v1/folders":
            return "folders"
        return "other"

    def _fault_response(self, fault, resp, route, path):
        kind, kw = fault["kind"], fault["kw"]
        if kind == "status":
            status = int(kw.get("status", 503))
            body = kw.get("body")
            headers = list((kw.get("headers") or {}).items())
            if body is None:
                error, message = STANDARD_ERRORS.get(
                    status, (http.HTTPStatus(status).phrase.replace(" ", ""),
                             http.HTTPStatus(status).phrase))
                body = {"statusCode": status, "message": kw.get("message", message),
                        "error": kw.get("error", error)}
            if isinstance(body, (dict, list)):
                raw = js_json(body)
            elif isinstance(body, str):
                raw = body.encode("utf-8")
            else:
                raw = bytes(body)
            return Response(status, raw, ctype=kw.get("content_type", JSON_CT), headers=headers), None
        if kind == "malformed":
            default = (b'{"accessToken":"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ'
                       if route == "login" else
                       b'{"secrets":[{"id":"x","secretKey":"BROKEN","secretValue":"unterminated')
            body = kw.get("body", default)
            if isinstance(body, str):
                body = body.encode("utf-8")
            return Response(200, body), None
        if kind == "html":
            body = kw.get("body", HTML_PAGE)
            if isinstance(body, str):
                body = body.encode("utf-8")
            return Response(int(kw.get("status", 200)), body, ctype="text/html"), None
        if kind == "redirect":
            url = kw.get("url") or (self.url + path)
            return Response(int(kw.get("status", 302)), b"", headers=[("location", url)],
                            etag=False), None
        if kind == "huge":
            size = int(kw.get("size", 16 * 1024 * 1024))
            out = Response(200, b"", etag=False)
            out.stream = _huge_body(size)
            out.length = size
            return out, None
        if kind == "encoding":
            resp.headers.append(("content-encoding", kw.get("encoding", "br")))
            return resp, "raw"
        if kind == "gzip_bomb":
            size = int(kw.get("size", 64 * 1024 * 1024))
            body = gzip_module.compress(b"{" + b" " * (size - 2) + b"}", 9)
            out = Response(200, body, etag=False,
                           headers=[("content-encoding", "gzip")])
            return out, "raw"
        if kind == "big_header":
            size, count = int(kw.get("size", 200000)), int(kw.get("count", 1))
            resp.headers += [("x-pad-%d" % i, "x" * size) for i in range(count)]
            return resp, None
        if kind in ("slow_body", "truncate"):
            return resp, kind
        return resp, None  # delay: already slept

    def _model(self):
        with self._lock:
            model = Model(self.data, self._start_ts)
        if self.order:
            model.order = self.order
        return model

    def _handle(self, method, path, raw_url, query, headers, body, client_ip):
        ctx_headers = []
        try:
            resp = self._route(method, path, raw_url, query, headers, body, client_ip, ctx_headers)
        except ApiError as e:
            resp = json_response(e.status, e.payload(), headers=ctx_headers + e.headers)
        except Exception:  # noqa: BLE001 - a test server must answer
            if self.verbose:
                import traceback
                traceback.print_exc()
            resp = json_response(500, {"statusCode": 500, "message": "Something went wrong",
                                       "error": "InternalServerError"})
        return resp

    def _route(self, method, path, raw_url, query, headers, body, client_ip, ctx):
        p = path.rstrip("/") or "/"
        getlike = method in ("GET", "HEAD")
        if p == "/api/status" and getlike:
            return json_response(200, {"date": iso_ms(), "message": "Ok",
                                       "emailConfigured": False, "inviteOnlySignup": True,
                                       "redisConfigured": True, "secretScanningConfigured": False})
        if method == "POST":
            if p == "/api/v1/auth/universal-auth/login":
                return self._login_ua(headers, body, client_ip, ctx)
            for method_name, field, label in (("kubernetes", "kubernetesJwt", "Kubernetes"),
                                              ("oidc", "oidcJwt", "OIDC"),
                                              ("jwt", "jwtJwt", "JWT")):
                if p == "/api/v1/auth/%s-auth/login" % method_name:
                    return self._login_jwt(method_name, field, label, headers, body, client_ip, ctx)
            if p == "/api/v1/auth/token/revoke":
                return self._revoke(headers, body, client_ip, ctx)
            if p == "/api/v1/auth/token/renew":
                return self._renew(headers, body, client_ip, ctx)
        if method in ("POST", "PATCH") and p.startswith("/api/v3/secrets/raw/"):
            name = urllib.parse.unquote(p[len("/api/v3/secrets/raw/"):])
            return self._write(method, name, headers, body, client_ip, ctx)
        if method == "POST" and p == "/api/v1/folders":
            return self._create_folder(headers, body, client_ip, ctx)
        if getlike and p == "/api/v1/folders":
            return self._list_folders(query, headers, client_ip, ctx)
        if getlike and p == "/api/v3/secrets/raw":
            return self._list(3, query, headers, client_ip, ctx)
        if getlike and p == "/api/v4/secrets" and self.v4:
            return self._list(4, query, headers, client_ip, ctx)
        return json_response(404, {"message": "Route %s:%s not found" % (method, raw_url),
                                   "error": "Not Found", "statusCode": 404})

    # ----------------------------------------------------------------- rate limit
    def _rate(self, cls, ip, ctx):
        limit = self.rate_limits[cls]
        now = time.time()
        with self._lock:
            st = self._rl.get((cls, ip))
            if st is None or now >= st[0] + self.rate_window:
                st = [now, 0]
                self._rl[(cls, ip)] = st
            st[1] += 1
            count = st[1]
            reset = max(0, math.ceil(st[0] + self.rate_window - now))
        remaining = max(0, limit - count)
        hdrs = [("x-ratelimit-limit", limit), ("x-ratelimit-remaining", remaining),
                ("x-ratelimit-reset", reset)]
        if self.rate_limit and count > limit:
            raise ApiError(429, "Rate limit exceeded. Please try again in 1 minute",
                           "RateLimitExceeded", headers=hdrs + [("retry-after", reset)])
        ctx.extend(hdrs)

    # ----------------------------------------------------------------- bodies
    @staticmethod
    def _json_body(headers, body):
        ctype = headers.get("content-type")
        mt = (ctype or "").split(";")[0].strip().lower()
        if mt == "application/json" or (mt.startswith("application/") and mt.endswith("+json")):
            if not body.strip():
                raise fastify_error(400, "FST_ERR_CTP_EMPTY_JSON_BODY", "Bad Request",
                                    "Body cannot be empty when content-type is set to 'application/json'")
            try:
                return json.loads(body.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                raise fastify_error(400, "FST_ERR_CTP_INVALID_JSON", "Bad Request",
                                    "Body is not valid JSON but content-type is set to 'application/json'")
        if not body:
            return None
        if mt == "text/plain":
            return body.decode("utf-8", "replace")
        raise fastify_error(415, "FST_ERR_CTP_INVALID_MEDIA_TYPE", "Unsupported Media Type",
                            "Unsupported Media Type: %s" % (ctype if ctype else "undefined"))

    @staticmethod
    def _validate(body, fields, status=401):
        issues = zod_string_issues(body, fields)
        if issues:
            raise ApiError(status, issues, "ValidationFailure")
        return {f: js_trim(body[f]) for f in fields}

    # ----------------------------------------------------------------- tokens
    def _sign(self, payload):
        header = b64url(js_json({"alg": "HS256", "typ": "JWT"}))
        body = b64url(js_json(payload))
        sig = hmac.new(self._secret_key, ("%s.%s" % (header, body)).encode("ascii"),
                       hashlib.sha256).digest()
        return "%s.%s.%s" % (header, body, b64url(sig))

    def _issue(self, ident, client_secret_id=None, record=None):
        now = int(time.time())
        ttl = int(ident.get("accessTokenTTL", TTL_DEFAULT))
        max_ttl = int(ident.get("accessTokenMaxTTL", TTL_DEFAULT))
        if record is None:
            # created/renewed keep sub-second precision: the real server compares in ms
            record = {"id": str(uuid.uuid4()), "identityId": ident["identityId"],
                      "ttl": ttl, "maxTTL": max_ttl, "created": time.time(),
                      "renewed": time.time(),
                      "revoked": False, "clientSecretId": client_secret_id}
        payload = {"identityId": ident["identityId"]}
        if record.get("clientSecretId"):
            payload["clientSecretId"] = record["clientSecretId"]
        payload["identityAccessTokenId"] = record["id"]
        payload["authTokenType"] = "identityAccessToken"
        payload["iat"] = now
        if record["ttl"]:
            payload["exp"] = now + record["ttl"]
        token = self._sign(payload)
        with self._lock:
            self._tokens[token] = record
        return {"accessToken": token, "expiresIn": record["ttl"],
                "accessTokenMaxTTL": record["maxTTL"], "tokenType": "Bearer"}

    def _verify(self, token, model):
        """Return the token record (dict with identityId) or raise like the real server."""
        with self._lock:
            literal_revoked = token in self._literal_revoked
            rec = self._tokens.get(token)
        if token in model.expired:
            raise ApiError(403, MSG_EXPIRED, "TokenError")
        if token in model.revoked or literal_revoked:
            raise ApiError(401, MSG_NO_TOKEN_ROW, "UnauthorizedError")
        if token in model.literal_tokens:
            info = model.literal_tokens[token] or {}
            return {"identityId": info.get("identityId"), "literal": token,
                    "ttl": TTL_DEFAULT, "maxTTL": TTL_DEFAULT, "created": self._t0,
                    "renewed": self._t0}
        if not token:
            raise ApiError(403, "jwt must be provided", "TokenError")
        parts = token.split(".")
        if len(parts) != 3:
            raise ApiError(403, MSG_MALFORMED, "TokenError")
        try:
            header = json.loads(b64url_decode(parts[0]))
            payload = json.loads(b64url_decode(parts[1]))
            if not isinstance(header, dict) or not isinstance(payload, dict):
                raise ValueError
        except (ValueError, UnicodeDecodeError):
            raise ApiError(403, "invalid token", "TokenError")
        expected = hmac.new(self._secret_key, ("%s.%s" % (parts[0], parts[1])).encode("ascii"),
                            hashlib.sha256).digest()
        try:
            good = hmac.compare_digest(b64url_decode(parts[2]), expected)
        except ValueError:
            good = False
        if not good:
            raise ApiError(403, "invalid signature", "TokenError")
        exp = payload.get("exp")
        if isinstance(exp, (int, float)) and time.time() >= exp:
            raise ApiError(403, MSG_EXPIRED, "TokenError")
        if rec is None or rec["revoked"]:
            raise ApiError(401, MSG_NO_TOKEN_ROW, "UnauthorizedError")
        return rec

    def _revoke_record(self, rec):
        with self._lock:
            if rec.get("literal"):
                self._literal_revoked.add(rec["literal"])
            else:
                rec["revoked"] = True

    # ----------------------------------------------------------------- auth routes
    def _login_ua(self, headers, body, client_ip, ctx):
        self._rate("write", client_ip, ctx)
        fields = self._validate(self._json_body(headers, body), ["clientId", "clientSecret"])
        model = self._model()
        ident = model.by_client.get(fields["clientId"])
        if ident is None:
            raise ApiError(404, "No identity with specified client ID was found", "NotFound")
        cid = fields["clientId"]
        now = time.monotonic()
        with self._lock:
            st = self._lockouts.setdefault(cid, {"count": 0, "last": None, "until": 0.0})
            if st["until"] > now:
                raise ApiError(401, MSG_LOCKED, "UnauthorizedError")
            if fields["clientSecret"] != js_trim(str(ident.get("clientSecret", ""))):
                if st["last"] is None or now - st["last"] > self.lockout_window:
                    st["count"] = 0
                st["count"] += 1
                st["last"] = now
                if st["count"] >= self.lockout_attempts:
                    st["until"] = now + self.lockout_duration
                    st["count"] = 0
                    st["last"] = None
                raise ApiError(401, "Invalid credentials", "UnauthorizedError")
            st["count"] = 0
            st["last"] = None
        csid = str(uuid.uuid5(NAMESPACE, "client-secret:%s:%s" % (ident["identityId"],
                                                                   ident.get("clientSecret"))))
        return json_response(200, self._issue(ident, client_secret_id=csid), headers=ctx)

    def _login_jwt(self, method_name, field, label, headers, body, client_ip, ctx):
        self._rate("write", client_ip, ctx)
        fields = self._validate(self._json_body(headers, body), ["identityId", "jwt"])
        model = self._model()
        ident = model.by_identity.get(fields["identityId"])
        if ident is None or not isinstance(ident.get(field), str):
            raise ApiError(404, "%s auth method not found for identity, did you configure %s auth?"
                           % (label, label), "NotFound")
        if fields["jwt"] != ident[field].strip():
            if method_name == "kubernetes":
                raise ApiError(401, "Kubernetes token not authenticated", "KubernetesTokenReviewError")
            if len(fields["jwt"].split(".")) != 3:
                raise ApiError(401, "Invalid JWT", "UnauthorizedError")
            if method_name == "jwt":
                raise ApiError(401, "Access denied: JWT verification failed with all keys. "
                               "Errors - invalid signature", "UnauthorizedError")
            raise ApiError(401, "Access denied: invalid signature", "UnauthorizedError")
        return json_response(200, self._issue(ident), headers=ctx)

    def _revoke(self, headers, body, client_ip, ctx):
        self._rate("write", client_ip, ctx)
        fields = self._validate(self._json_body(headers, body), ["accessToken"])
        rec = self._verify(fields["accessToken"], self._model())
        self._revoke_record(rec)
        return json_response(200, {"message": "Successfully revoked access token"}, headers=ctx)

    def _renew(self, headers, body, client_ip, ctx):
        self._rate("write", client_ip, ctx)
        fields = self._validate(self._json_body(headers, body), ["accessToken"])
        model = self._model()
        rec = self._verify(fields["accessToken"], model)
        now = time.time()
        ttl, max_ttl = rec["ttl"], rec["maxTTL"]
        if ttl and now > rec["renewed"] + ttl:
            self._revoke_record(rec)
            raise ApiError(401, "Failed to renew MI access token due to TTL expiration",
                           "UnauthorizedError")
        if max_ttl:
            if now > rec["created"] + max_ttl:
                self._revoke_record(rec)
                raise ApiError(401, "Failed to renew MI access token due to Max TTL expiration",
                               "UnauthorizedError")
            if now + ttl > rec["created"] + max_ttl:
                self._revoke_record(rec)
                raise ApiError(401, "Failed to renew MI access token past its Max TTL expiration",
                               "UnauthorizedError")
        ident = model.by_identity.get(rec["identityId"]) or {"identityId": rec["identityId"]}
        with self._lock:
            rec["renewed"] = now
        return json_response(200, self._issue(ident, record=rec), headers=ctx)

    # ----------------------------------------------------------------- writes
    def _authenticated(self, headers, client_ip, ctx, limit="write"):
        """The model and the token's record (401/403 as the server's
        onRequest hook answers), counted against the rate limit class
        limit."""
        model = self._model()
        auth = headers.get("authorization")
        if auth is None:
            raise ApiError(401, "Token missing", "UnauthorizedError")
        rec = self._verify(auth[7:], model)
        self._rate(limit, client_ip, ctx)
        return model, rec

    @staticmethod
    def _project_for(model, rec, project_id, action=None, subject=None):
        """The project, and with action the permission to do it on subject:
        403 PermissionDenied for a readOnly identity or a project outside
        the identity's list."""
        proj = model.projects.get(project_id)
        if proj is None:
            raise ApiError(404, "Project with ID '%s' not found during bot lookup. Are you "
                           "sure you are using the correct project ID?" % project_id, "NotFound")
        ident = model.by_identity.get(rec.get("identityId"))
        allowed = None if ident is None else ident.get("projects")
        if action and ((allowed is not None and proj["id"] not in allowed) or
                       (ident is not None and ident.get("readOnly"))):
            raise ApiError(403, "You are not allowed to %s on %s" % (action, subject),
                           "PermissionDenied")
        return proj

    # ----------------------------------------------------------------- folders
    @staticmethod
    def _folder_item(model, proj, env, path):
        f = model.folder(proj, env, path)
        parent = model.folder(proj, env, norm_path(path.rsplit("/", 1)[0])) \
            if path != "/" else None
        return {"id": f["id"], "name": path.rsplit("/", 1)[-1] or "root",
                "version": 1, "createdAt": model.default_ts, "updatedAt": model.default_ts,
                "envId": str(uuid.uuid5(NAMESPACE, "env:%s:%s" % (proj["id"], env))),
                "parentId": parent["id"] if parent else None, "isReserved": False}

    def _create_folder(self, headers, body, client_ip, ctx):
        """POST /api/v1/folders {workspaceId, environment, name, path}."""
        model, rec = self._authenticated(headers, client_ip, ctx)
        req = self._json_body(headers, body) or {}
        issues = zod_string_issues(req, ["workspaceId", "environment", "name"])
        if issues:
            raise ApiError(self.query_validation_status, issues, "ValidationFailure")
        parent = norm_path(req.get("path") or req.get("directory") or "/")
        project_id, env, name = req["workspaceId"].strip(), req["environment"].strip(), \
            req["name"].strip()
        proj = self._project_for(model, rec, project_id, "create", "secret-folders")
        if env not in proj["envs"]:
            raise ApiError(404, "Environment with slug '%s' in project with ID '%s' not found"
                           % (env, project_id), "NotFound")
        if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
            raise ApiError(500, "Something went wrong", "InternalServerError")
        path = norm_path(parent + "/" + name)
        with self._lock:
            envs = self.data["projects"][project_id].setdefault("environments", {})
            eraw = envs.setdefault(env, {}) or {}
            envs[env] = eraw
            if "folders" not in eraw:
                root = {k: eraw.pop(k) for k in ("secrets", "imports") if k in eraw}
                eraw["folders"] = {"/": root} if root else {}
            eraw["folders"].setdefault(path, {"secrets": {}})
        model = self._model()
        return json_response(200, {"folder": self._folder_item(
            model, model.projects[project_id], env, path)}, headers=ctx)

    def _list_folders(self, query, headers, client_ip, ctx):
        """GET /api/v1/folders?workspaceId=&environment=&path=: the folders
        directly in path."""
        model, rec = self._authenticated(headers, client_ip, ctx)

        def get(name):
            vals = query.get(name)
            return vals[0].strip() if vals else ""
        project_id, env = get("workspaceId"), get("environment")
        if not project_id or not env:
            raise ApiError(self.query_validation_status, [{
                "code": "invalid_type", "expected": "string", "received": "undefined",
                "path": ["workspaceId" if not project_id else "environment"],
                "message": "Required"}], "ValidationFailure")
        proj = self._project_for(model, rec, project_id)
        if env not in proj["envs"]:
            raise ApiError(404, "Environment with slug '%s' not found" % env, "NotFound")
        path = norm_path(get("path") or get("directory") or "/")
        prefix = path.rstrip("/") + "/"
        children = sorted(p for p in proj["envs"][env]
                          if p != path and p.startswith(prefix) and "/" not in p[len(prefix):])
        if model.folder(proj, env, path) is None:
            children = []
        return json_response(200, {"folders": [self._folder_item(model, proj, env, c)
                                                for c in children]}, headers=ctx)

    # ----------------------------------------------------------------- secrets
    def _write(self, method, name, headers, body, client_ip, ctx):
        """POST (create) or PATCH (update) /api/v3/secrets/raw/:name with
        {workspaceId, environment, secretPath, secretValue, type}, as the
        create-secret*, update-secret and viewer-create-forbidden samples.
        Identities with "readOnly": true may not write. The folder must
        exist (as on a real server)."""
        model, rec = self._authenticated(headers, client_ip, ctx)
        req = self._json_body(headers, body) or {}
        if not isinstance(req.get("secretValue"), str):
            raise ApiError(self.query_validation_status, [{
                "code": "invalid_type", "expected": "string",
                "received": "undefined", "path": ["secretValue"],
                "message": "Required"}], "ValidationFailure")
        project_id, env = req.get("workspaceId"), req.get("environment")
        if not project_id or not env:
            raise ApiError(400, "Missing project id or environment", "BadRequest")
        proj = self._project_for(model, rec, project_id,
                                 "create" if method == "POST" else "edit", "secrets")
        path = norm_path(req.get("secretPath") or "/")
        if model.folder(proj, env, path) is None:
            raise ApiError(404, "Folder with path '%s' in environment '%s' was not found. "
                           "Please ensure the environment slug and secret path is correct."
                           % (path, env), "NotFound")
        existing = model.lookup_value(proj, env, path, name)
        if method == "POST" and existing is not None:
            raise ApiError(400, "Secret already exist", "BadRequest")
        if method == "PATCH" and existing is None:
            raise ApiError(404, "Secret not found", "NotFound")
        with self._lock:
            envs = self.data["projects"][project_id].setdefault("environments", {})
            folders = envs.setdefault(env, {}).setdefault("folders", {})
            secrets = folders.setdefault(path, {}).setdefault("secrets", {})
            old = secrets.get(name)
            version = (old.get("version", 1) if isinstance(old, dict) else 1) + \
                (1 if existing is not None else 0)
            secrets[name] = {"value": req["secretValue"], "version": version}
        s = self._model().lookup_value(self._model().projects[project_id], env, path, name)
        item = self._item(proj, s, s["value"])
        item.pop("secretPath", None)
        item.pop("tags", None)
        return json_response(200, {"secret": item}, headers=ctx)

    def _list(self, version, query, headers, client_ip, ctx):
        model, rec = self._authenticated(headers, client_ip, ctx, "secrets")

        if version == 3:
            str_params = ["workspaceId", "workspaceSlug", "environment", "secretPath", "tagSlugs"]
            bool_params = ["expandSecretReferences", "recursive", "include_imports"]
        else:
            str_params = ["projectId", "environment", "secretPath", "tagSlugs", "metadataFilter"]
            bool_params = ["viewSecretValue", "expandSecretReferences", "recursive",
                           "include_imports", "includeImports", "includePersonalOverrides"]
        issues = []
        for name in str_params + bool_params:
            vals = query.get(name)
            if not vals:
                continue
            is_bool = name in bool_params
            if len(vals) > 1:
                expected = "'true' | 'false'" if is_bool else "string"
                issues.append({"expected": expected, "received": "array", "code": "invalid_type",
                               "path": [name], "message": "Expected %s, received array" % expected})
            elif is_bool and vals[0] not in ("true", "false"):
                issues.append({"received": vals[0], "code": "invalid_enum_value",
                               "options": ["true", "false"], "path": [name],
                               "message": "Invalid enum value. Expected 'true' | 'false', received '%s'"
                               % vals[0]})
        if issues:
            raise ApiError(self.query_validation_status, issues, "ValidationFailure")

        def get(name):
            vals = query.get(name)
            return vals[0].strip() if vals else ""

        def flag(*names):
            return any(get(n) == "true" for n in names)

        project_id = get("workspaceId" if version == 3 else "projectId")
        slug = get("workspaceSlug") if version == 3 else ""
        env = get("environment")
        proj = None
        if not project_id and slug:
            proj = model.by_slug.get(slug)
            if proj is None:
                raise ApiError(404, "Project with slug '%s' not found" % slug, "NotFound")
            project_id = proj["id"]
        if not project_id or not env:
            raise ApiError(400, "Missing project id or environment", "BadRequest")
        if proj is None:
            proj = model.projects.get(project_id)
        if proj is None:
            raise ApiError(404, "Project with ID '%s' not found during bot lookup. Are you sure "
                           "you are using the correct project ID?" % project_id, "NotFound")
        ident = model.by_identity.get(rec.get("identityId"))
        allowed = None if ident is None else ident.get("projects")
        if allowed is not None and proj["id"] not in allowed and proj["slug"] not in allowed:
            raise ApiError(403, "You are not allowed to read on secrets", "PermissionDenied")
        hide = False
        if self.value_hiding and ident is not None:
            # Newer servers (permission-fns.ts): describe without readValue
            # is a 403 when values are asked for, hidden values otherwise.
            may_read = ident.get("readValue", True)
            if not may_read and get("viewSecretValue") != "false":
                raise ApiError(403, "You are not allowed to readValue on secrets",
                               "PermissionDenied",
                               body={"statusCode": 403, "error": "PermissionDenied",
                                     "message": "You are not allowed to readValue on secrets",
                                     "details": []})
            hide = (not may_read or ident.get("valuesHidden", False) or
                    get("viewSecretValue") == "false")

        path = norm_path(get("secretPath") or "/")
        expand = flag("expandSecretReferences")
        recursive = flag("recursive")
        include_imports = flag("include_imports") if version == 3 else flag("include_imports",
                                                                             "includeImports")
        tag_slugs = [t.strip() for t in get("tagSlugs").split(",") if t.strip()]

        folder = model.folder(proj, env, path)
        if folder is None:
            return json_response(200, {"secrets": [], "imports": []}, headers=ctx)
        folders = [folder]
        if recursive:
            prefix = path.rstrip("/") + "/"
            folders += [f for p, f in sorted(proj["envs"][env].items())
                        if p != path and p.startswith(prefix)]
        items = []
        for f in folders:
            for s in f["secrets"]:
                if tag_slugs and not any(t["slug"] in tag_slugs for t in s["tags"]):
                    continue
                value = self._expand_secret(model, proj, s) if expand else s["value"]
                items.append((s, value))
        items = self._sorted(model, items)
        out = {"secrets": [self._hidden(self._item(proj, s, v), hide) for s, v in items]}
        if include_imports:
            imports = []
            for f in folders:
                for imp_env, imp_path in f["imports"]:
                    target = model.folder(proj, imp_env, imp_path) if imp_env else None
                    if target is None:
                        continue
                    flat = self._import_secrets(model, proj, target, {(f["env"], f["path"])}, 0)
                    if expand:
                        seen, dedup = set(), []
                        for s in flat:
                            if s["key"] not in seen:
                                seen.add(s["key"])
                                dedup.append(s)
                        flat = dedup
                    imports.append({
                        "secretPath": imp_path, "environment": imp_env, "folderId": target["id"],
                        "secrets": [self._hidden(self._imported_item(
                            s, self._expand_secret(model, proj, s) if expand else s["value"]),
                            hide) for s in flat]})
            out["imports"] = imports
        return json_response(200, out, headers=ctx)

    def _import_secrets(self, model, proj, folder, visited, depth):
        """A folder's own secrets followed by its nested imports, flattened."""
        key = (folder["env"], folder["path"])
        if depth >= MAX_DEPTH or key in visited:
            return []
        visited = visited | {key}
        own = [s for s, _ in self._sorted(model, [(s, s["value"]) for s in folder["secrets"]])]
        for imp_env, imp_path in folder["imports"]:
            target = model.folder(proj, imp_env, imp_path) if imp_env else None
            if target is not None:
                own += self._import_secrets(model, proj, target, visited, depth + 1)
        return own

    @staticmethod
    def _sorted(model, items):
        if model.order == "key":
            return sorted(items, key=lambda it: (it[0]["key"], it[0]["path"]))
        return sorted(items, key=lambda it: it[0]["id"])

    def _expand_secret(self, model, proj, s):
        value = self._expand(model, proj, s["env"], s["path"], s["value"], 0,
                             frozenset([(s["env"], s["path"], s["key"])]))
        if s["skip"] and value != s["value"] and "\n" in value:
            value = '"%s"' % value.replace("\n", "\\n")
        return value

    def _expand(self, model, proj, env, path, value, depth, visited):
        if depth > MAX_DEPTH or not value or "${" not in value:
            return value

        def repl(m):
            ref = m.group(1)
            parts = ref.split(".")
            if any(not p for p in parts):
                return m.group(0)
            if len(parts) == 1:
                renv, rpath, rkey = env, path, parts[0]
            else:
                renv, rkey = parts[0], parts[-1]
                rpath = "/" + "/".join(parts[1:-1]) if len(parts) > 2 else "/"
            node = (renv, rpath, rkey)
            if node in visited:
                return m.group(0)
            target = model.lookup_value(proj, renv, rpath, rkey)
            if target is None or target["value"] == "":
                return m.group(0)
            return self._expand(model, proj, renv, rpath, target["value"], depth + 1,
                                visited | {node})

        return REF_RE.sub(repl, value)

    @staticmethod
    def _item(proj, s, value):
        return {
            "id": s["id"], "_id": s["id"], "workspace": proj["id"], "environment": s["env"],
            "version": s["version"], "type": "shared", "secretKey": s["key"],
            "secretValue": value, "secretComment": s["comment"],
            "secretReminderNote": None, "secretReminderRepeatDays": None,
            "skipMultilineEncoding": s["skip"], "metadata": s["metadata"],
            "createdAt": s["createdAt"], "updatedAt": s["updatedAt"],
            "secretPath": s["path"], "tags": s["tags"],
        }

    def _hidden(self, item, hide):
        """An item as a newer server shows it: secretValueHidden, and the
        value replaced when hidden."""
        if self.value_hiding:
            item["secretValueHidden"] = hide
            if hide:
                item["secretValue"] = "<hidden-by-infisical>"
        return item

    @staticmethod
    def _imported_item(s, value):
        return {
            "id": s["id"], "_id": s["id"], "workspace": "", "environment": s["env"],
            "version": s["version"], "type": "shared", "secretKey": s["key"],
            "secretValue": value, "secretComment": s["comment"],
            "skipMultilineEncoding": s["skip"], "metadata": s["metadata"],
        }


def _huge_body(size):
    prefix = b'{"secrets":[],"imports":[],"padding":"'
    suffix = b'"}'
    if size < len(prefix) + len(suffix):
        small = b"{}"
        yield b" " * max(0, size - len(small)) + small[:size]
        return
    yield prefix
    left = size - len(prefix) - len(suffix)
    block = b"x" * 65536
    while left > 0:
        n = min(left, len(block))
        yield block[:n]
        left -= n
    yield suffix


# --------------------------------------------------------------------------- CLI

def main(argv=None):
    ap = argparse.ArgumentParser(description="Local Infisical-compatible test server.")
    ap.add_argument("--data", required=True, help="JSON data file (see module docstring)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--no-v4", action="store_true", help="answer /api/v4/secrets with 404")
    ap.add_argument("--verbose", action="store_true", help="log requests on stderr")
    args = ap.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        ap.error("--tls-cert and --tls-key go together")
    try:
        with open(args.data, encoding="utf-8") as fh:
            data = json.load(fh)
        srv = InfisicalServer(data, tls=(args.tls_cert, args.tls_key) if args.tls_cert else None,
                              host=args.host, port=args.port, v4=not args.no_v4,
                              verbose=args.verbose)
        srv.start()
    except (OSError, ValueError, ssl.SSLError) as exc:
        sys.stderr.write("infisical_server: %s\n" % exc)
        return 2
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        sys.stdout.write(srv.url + "\n")
        sys.stdout.flush()
    except OSError:
        pass
    while not stop.is_set():
        stop.wait(0.5)
    srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
