"""The compose overrides that put infx-exec in front of every
secret-using service of local-ai-packaged, read without an engine: each
file against the Compose JSON schema and through Debian's `docker-compose
config` (v1), alone and in the documented -f order; what each wrapped
service gets, run by the real binary against the test server holding the
documented Infisical layout. (Through a real engine: test_engine_compose.py.)
"""
import copy
import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import BASE_PATH, MEMBER, PROJECT, shim_command
from container_files import (CONTAINERS_MD, CREDENTIAL_VARS, OVERRIDES, SCHEMA,
                             SHIM, STACK, REFERENCE, as_list, load)
from infisical_server import InfisicalServer

OUR_FILES = sorted(p.name for p in OVERRIDES.glob("*.yml"))
WRAP_FILES = ["infx-exec.yml", "infx-exec.supabase.yml"]

# A variable name that holds a secret; the second pattern lists the names
# that match the first but are not secrets (ids and user names of access
# keys, public keys, a key *file* path).
SECRET_NAME = re.compile(r"PASSWORD|PASSWD|_PASS$|SECRET|KEY|TOKEN|SALT|_AUTH$")
NOT_SECRET = re.compile(r"_KEY_ID$|PUBLIC_KEY$|^REDIS_TLS_KEY$")
# ${NAME} or $NAME as compose interpolates it ($$ is an escaped $).
INTERPOLATION = re.compile(r"(?<!\$)\$\{?([A-Za-z_][A-Za-z0-9_]*)")
URL_PASSWORD = re.compile(r"://[^/\s:@]+:[^@\s/]+@")
LEAK = "INFXLEAK"


def is_secret_name(name):
    """infx-exec's own INFISICAL_* and INFX_* variables are configuration,
    except the credentials (CREDENTIAL_VARS)."""
    if name.startswith(("INFISICAL_", "INFX_")) and name not in CREDENTIAL_VARS:
        return False
    return bool(SECRET_NAME.search(name)) and not NOT_SECRET.search(name)


# --------------------------------------------------------------------------
# compose: helpers

def env_dict(environment):
    """A service's environment as a dict; a bare name (list form, no =)
    maps to None: compose passes the host's value."""
    if not environment:
        return {}
    if isinstance(environment, dict):
        return {k: (None if v is None else str(v)) for k, v in environment.items()}
    out = {}
    for item in environment:
        name, eq, value = item.partition("=")
        out[name] = value if eq else None
    return out


def secret_value_problems(env):
    """What in an environment would put a secret into the compose model."""
    problems = []
    for name, value in env.items():
        if name.endswith("_FILE"):
            if is_secret_name(name[:-5]) and not (value or "").startswith("/run/secrets/"):
                problems.append(f"{name} does not point under /run/secrets")
            continue
        if is_secret_name(name) and value != "":
            what = "passed through from the host" if value is None else \
                   "interpolated" if "$" in value else "a literal value"
            problems.append(f"{name} is {what}")
        for ref in INTERPOLATION.findall(value or ""):
            if is_secret_name(ref):
                problems.append(f"{name} interpolates the secret {ref}")
        if URL_PASSWORD.search(value or ""):
            problems.append(f"{name} holds a URL with a password")
    return problems


def is_shim_mount(volume):
    if isinstance(volume, dict):
        return (volume.get("target") == SHIM and volume.get("read_only") is True
                and str(volume.get("source", "")).endswith("bin/infx-exec"))
    parts = str(volume).split(":")
    return (len(parts) == 3 and parts[0].endswith("bin/infx-exec")
            and parts[1] == SHIM and "ro" in parts[2].split(","))


def wrap_problems(svc, top_secrets):
    """Why a service is not properly started through infx-exec."""
    problems = []
    entrypoint = as_list(svc.get("entrypoint"))
    if entrypoint[:2] != [SHIM, "--"]:
        problems.append(f"entrypoint does not start with {SHIM} --: {entrypoint}")
    elif len(entrypoint) == 2 and not as_list(svc.get("command")):
        problems.append("nothing to run after /infx-exec --")
    if not any(is_shim_mount(v) for v in svc.get("volumes") or []):
        problems.append("./bin/infx-exec is not mounted read-only at /infx-exec")
    env = env_dict(svc.get("environment"))
    mounted = {s if isinstance(s, str) else s.get("source")
               for s in svc.get("secrets") or []}
    for var in CREDENTIAL_VARS:
        if var in env:
            problems.append(f"{var} is in environment:")
    for var in CREDENTIAL_VARS[:2]:
        path = env.get(var + "_FILE") or ""
        if not path.startswith("/run/secrets/"):
            problems.append(f"{var}_FILE does not point under /run/secrets")
            continue
        name = path[len("/run/secrets/"):]
        if name not in mounted:
            problems.append(f"{var}_FILE: {name} is not in the service's secrets:")
        if name not in (top_secrets or {}):
            problems.append(f"{var}_FILE: {name} is not a top-level secret")
        elif "file" not in (top_secrets[name] or {}):
            problems.append(f"{var}_FILE: secret {name} is not a file")
    for var in ("INFISICAL_PROJECT_ID", "INFISICAL_ENVIRONMENT", "INFISICAL_SECRET_PATH"):
        if not env.get(var):
            problems.append(f"{var} is not set")
    for path in (env.get("INFISICAL_SECRET_PATH") or "").split(","):
        if path.strip() and not path.strip().startswith("/"):
            problems.append(f"INFISICAL_SECRET_PATH: {path} does not start with /")
    problems += secret_value_problems(env)
    return problems


def interpolated_secrets(text):
    return sorted({n for n in INTERPOLATION.findall(text) if is_secret_name(n)})


# A stub of supabase/docker/docker-compose.yml (supabase/supabase 00069a4c,
# February 2026), which the stack includes and which is not in the
# reference: each service, its image, its secret-bearing variables as
# Supabase writes them, and the entrypoints, commands and health check that
# matter to the overrides.
SUPABASE_STUB = r"""
services:
  studio:
    image: supabase/studio:2026.02.16-sha-26c615c
    environment:
      STUDIO_PG_META_URL: http://meta:8080
      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}
      PG_META_CRYPTO_KEY: ${PG_META_CRYPTO_KEY}
      OPENAI_API_KEY: ${OPENAI_API_KEY:-}
      SUPABASE_ANON_KEY: ${ANON_KEY}
      SUPABASE_SERVICE_KEY: ${SERVICE_ROLE_KEY}
      AUTH_JWT_SECRET: ${JWT_SECRET}
      LOGFLARE_API_KEY: ${LOGFLARE_PUBLIC_ACCESS_TOKEN}
      LOGFLARE_PUBLIC_ACCESS_TOKEN: ${LOGFLARE_PUBLIC_ACCESS_TOKEN}
      LOGFLARE_PRIVATE_ACCESS_TOKEN: ${LOGFLARE_PRIVATE_ACCESS_TOKEN}
  kong:
    image: kong:2.8.1
    ports:
      - ${KONG_HTTP_PORT}:8000/tcp
      - ${KONG_HTTPS_PORT}:8443/tcp
    environment:
      KONG_DATABASE: "off"
      SUPABASE_ANON_KEY: ${ANON_KEY}
      SUPABASE_SERVICE_KEY: ${SERVICE_ROLE_KEY}
      DASHBOARD_USERNAME: ${DASHBOARD_USERNAME}
      DASHBOARD_PASSWORD: ${DASHBOARD_PASSWORD}
    entrypoint: bash -c 'eval "echo \"$$(cat ~/temp.yml)\"" > ~/kong.yml && /docker-entrypoint.sh kong docker-start'
  auth:
    image: supabase/gotrue:v2.186.0
    environment:
      GOTRUE_DB_DATABASE_URL: postgres://supabase_auth_admin:${POSTGRES_PASSWORD}@${POSTGRES_HOST}:${POSTGRES_PORT}/${POSTGRES_DB}
      GOTRUE_JWT_SECRET: ${JWT_SECRET}
      GOTRUE_SMTP_USER: ${SMTP_USER}
      GOTRUE_SMTP_PASS: ${SMTP_PASS}
  rest:
    image: postgrest/postgrest:v14.5
    environment:
      PGRST_DB_URI: postgres://authenticator:${POSTGRES_PASSWORD}@${POSTGRES_HOST}:${POSTGRES_PORT}/${POSTGRES_DB}
      PGRST_JWT_SECRET: ${JWT_SECRET}
      PGRST_APP_SETTINGS_JWT_SECRET: ${JWT_SECRET}
    command: ["postgrest"]
  realtime:
    image: supabase/realtime:v2.78.15
    healthcheck:
      test: ["CMD-SHELL", "curl -sSfL --head -o /dev/null -H \"Authorization: Bearer ${ANON_KEY}\" http://localhost:4000/api/tenants/realtime-dev/health"]
      timeout: 5s
      interval: 30s
    environment:
      DB_HOST: ${POSTGRES_HOST}
      DB_PASSWORD: ${POSTGRES_PASSWORD}
      DB_ENC_KEY: supabaserealtime
      API_JWT_SECRET: ${JWT_SECRET}
      SECRET_KEY_BASE: ${SECRET_KEY_BASE}
      METRICS_JWT_SECRET: ${JWT_SECRET}
  storage:
    image: supabase/storage-api:v1.44.2
    environment:
      ANON_KEY: ${ANON_KEY}
      SERVICE_KEY: ${SERVICE_ROLE_KEY}
      PGRST_JWT_SECRET: ${JWT_SECRET}
      DATABASE_URL: postgres://supabase_storage_admin:${POSTGRES_PASSWORD}@${POSTGRES_HOST}:${POSTGRES_PORT}/${POSTGRES_DB}
      S3_PROTOCOL_ACCESS_KEY_ID: ${S3_PROTOCOL_ACCESS_KEY_ID}
      S3_PROTOCOL_ACCESS_KEY_SECRET: ${S3_PROTOCOL_ACCESS_KEY_SECRET}
  imgproxy:
    image: darthsim/imgproxy:v3.30.1
    environment:
      IMGPROXY_ENABLE_WEBP_DETECTION: ${IMGPROXY_ENABLE_WEBP_DETECTION}
  meta:
    image: supabase/postgres-meta:v0.95.2
    environment:
      PG_META_DB_PASSWORD: ${POSTGRES_PASSWORD}
      CRYPTO_KEY: ${PG_META_CRYPTO_KEY}
  functions:
    image: supabase/edge-runtime:v1.70.3
    environment:
      JWT_SECRET: ${JWT_SECRET}
      SUPABASE_ANON_KEY: ${ANON_KEY}
      SUPABASE_SERVICE_ROLE_KEY: ${SERVICE_ROLE_KEY}
      SUPABASE_DB_URL: postgresql://postgres:${POSTGRES_PASSWORD}@${POSTGRES_HOST}:${POSTGRES_PORT}/${POSTGRES_DB}
    command: ["start", "--main-service", "/home/deno/functions/main"]
  analytics:
    image: supabase/logflare:1.31.2
    ports:
      - 4000:4000
    environment:
      DB_PASSWORD: ${POSTGRES_PASSWORD}
      LOGFLARE_PUBLIC_ACCESS_TOKEN: ${LOGFLARE_PUBLIC_ACCESS_TOKEN}
      LOGFLARE_PRIVATE_ACCESS_TOKEN: ${LOGFLARE_PRIVATE_ACCESS_TOKEN}
      POSTGRES_BACKEND_URL: postgresql://supabase_admin:${POSTGRES_PASSWORD}@${POSTGRES_HOST}:${POSTGRES_PORT}/_supabase
  db:
    image: supabase/postgres:15.8.1.085
    environment:
      POSTGRES_HOST: /var/run/postgresql
      PGPASSWORD: ${POSTGRES_PASSWORD}
      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}
      JWT_SECRET: ${JWT_SECRET}
    command: ["postgres", "-c", "config_file=/etc/postgresql/postgresql.conf"]
  vector:
    image: timberio/vector:0.53.0-alpine
    volumes:
      - ${DOCKER_SOCKET_LOCATION}:/var/run/docker.sock:ro
    environment:
      LOGFLARE_PUBLIC_ACCESS_TOKEN: ${LOGFLARE_PUBLIC_ACCESS_TOKEN}
    command: ["--config", "/etc/vector/vector.yml"]
  supavisor:
    image: supabase/supavisor:2.7.4
    ports:
      - ${POSTGRES_PORT}:5432
      - ${POOLER_PROXY_PORT_TRANSACTION}:6543
    environment:
      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}
      DATABASE_URL: ecto://supabase_admin:${POSTGRES_PASSWORD}@${POSTGRES_HOST}:${POSTGRES_PORT}/_supabase
      SECRET_KEY_BASE: ${SECRET_KEY_BASE}
      VAULT_ENC_KEY: ${VAULT_ENC_KEY}
      API_JWT_SECRET: ${JWT_SECRET}
      METRICS_JWT_SECRET: ${JWT_SECRET}
      POOLER_TENANT_ID: ${POOLER_TENANT_ID}
    command: ["/bin/sh", "-c", "/app/bin/migrate && /app/bin/supavisor eval \"$$(cat /etc/pooler/pooler.exs)\" && /app/bin/server"]
"""

# Configuration values the files need in a given shape.
DUMMY = {"KONG_HTTP_PORT": "8000", "KONG_HTTPS_PORT": "8443",
         "POSTGRES_PORT": "5432", "POOLER_PROXY_PORT_TRANSACTION": "6543",
         "POSTGRES_VERSION": "17", "POSTGRES_HOST": "db",
         "POSTGRES_DB": "postgres", "DOCKER_SOCKET_LOCATION": "/var/run/docker.sock",
         "INFISICAL_PROJECT_ID": PROJECT, "INFISICAL_ENVIRONMENT": "prod",
         "INFISICAL_API_URL": "http://infisical-backend:8080",
         "INFISICAL_SITE_URL": "http://localhost:8020", "INFX_TIMEOUT": "120",
         "INFISICAL_JOIN_NETWORK": "localai_default"}


@pytest.fixture(scope="module")
def compose_bin():
    path = shutil.which("docker-compose")
    if not path:
        pytest.fail("docker-compose (Debian package) is missing: scripts/install-deps.sh test")
    return path


def need_reference():
    if not STACK.is_dir() or not SCHEMA.is_file():
        pytest.fail(f"{REFERENCE} is missing: the reference files sit beside "
                    "the repository (shared/reference)")


@pytest.fixture(scope="module")
def schema():
    need_reference()
    try:
        import jsonschema
    except ImportError:
        pytest.fail("python3-jsonschema is missing: scripts/install-deps.sh test")
    with open(SCHEMA) as f:
        s = json.load(f)
    return jsonschema.Draft7Validator(s)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A copy of the stack, runnable by docker-compose v1: the include:
    becomes a stub file passed as the next -f, ${N8N_HOSTNAME:+https://}
    (unknown to v1) is dropped; our files in compose-overrides/."""
    need_reference()
    d = tmp_path_factory.mktemp("stack")
    text = (STACK / "docker-compose.yml").read_text()
    include = "include:\n  - ./supabase/docker/docker-compose.yml\n"
    assert include in text, "the stack's include: changed: update the stub"
    text = text.replace(include, "")
    assert "${N8N_HOSTNAME:+https://}" in text
    text = text.replace("${N8N_HOSTNAME:+https://}", "")
    (d / "docker-compose.yml").write_text(text)
    stub = d / "supabase" / "docker" / "docker-compose.yml"
    stub.parent.mkdir(parents=True)
    stub.write_text(SUPABASE_STUB)
    for name in ("docker-compose.override.private.yml", "env.example"):
        shutil.copy(STACK / name, d / name)
    shutil.copytree(OVERRIDES, d / "compose-overrides")
    return d


@pytest.fixture(scope="module")
def compose_env(project):
    """Every variable the files interpolate: configuration gets a dummy
    value, every secret a marker that must never reach the model."""
    names = set()
    for f in [project / "docker-compose.yml",
              project / "supabase" / "docker" / "docker-compose.yml",
              *sorted((project / "compose-overrides").glob("*.yml"))]:
        names |= set(INTERPOLATION.findall(f.read_text()))
    for line in (project / "env.example").read_text().splitlines():
        m = re.match(r"\s*#?\s*([A-Z][A-Z0-9_]*)=", line)
        if m:
            names.add(m.group(1))
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "HOME": str(project)}
    for name in names:
        if is_secret_name(name):
            env[name] = f"{LEAK}-{name}"
        else:
            env[name] = DUMMY.get(name, f"cfg-{name.lower()}")
    return env


def compose_config(compose_bin, project, files, env, cwd=None):
    args = [compose_bin, "-p", "localai"]
    for f in files:
        args += ["-f", str(f)]
    r = subprocess.run(args + ["config"], cwd=cwd or project, env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, f"docker-compose config {files}:\n{r.stderr}"
    return r.stdout, yaml.safe_load(r.stdout)


def documented_order(marker="compose-order"):
    """The -f files of the command after <!-- compose-order --> (or another
    marker) in docs/containers.md."""
    text = CONTAINERS_MD.read_text()
    m = re.search(rf"<!-- {marker} -->\s*```sh\n(.*?)```", text, re.S)
    assert m, f"docs/containers.md: no {marker} block"
    words = shlex.split(m.group(1).replace("\\\n", " "))
    return [words[i + 1] for i, w in enumerate(words) if w == "-f"]


def stack_files(project, order):
    """The documented order, as v1 runs it: the stub of the included file
    right after the stack's docker-compose.yml."""
    files = []
    for f in order:
        files.append(project / f)
        if f == "docker-compose.yml":
            files.append(project / "supabase" / "docker" / "docker-compose.yml")
    return files


def secret_using_services(*models):
    """Services whose compose definition (before any override) uses a
    secret: a secret-named variable with a value or passed through, an
    interpolated secret anywhere in the service."""
    found = set()
    for model in models:
        for name, svc in model["services"].items():
            env = env_dict(svc.get("environment"))
            named = [k for k, v in env.items() if is_secret_name(k) and v != ""]
            if named or interpolated_secrets(json.dumps(svc)):
                found.add(name)
    return found


# --------------------------------------------------------------------------
# compose: the files

def test_the_documented_order():
    order = documented_order()
    assert order[:2] == ["docker-compose.yml", "docker-compose.override.private.yml"]
    ours = [Path(f).name for f in order if f.startswith("compose-overrides/")]
    assert ours == ["infisical.yml", "infisical.private.yml", "infx-exec.yml",
                    "infx-exec.supabase.yml"]
    for f in ours:
        assert (OVERRIDES / f).is_file()


def test_the_documented_public_order():
    """start_services.py --environment public passes the stack's public
    file to its own `up` and the public Supabase file to Supabase's; merged
    into one command, both come after docker-compose.yml. (They use !reset,
    which v1 cannot read: not run through docker-compose config.)"""
    need_reference()
    order = documented_order("compose-order-public")
    assert order[:3] == ["docker-compose.yml", "docker-compose.override.public.yml",
                         "docker-compose.override.public.supabase.yml"]
    for f in order[:3]:
        assert (STACK / f).is_file(), f
    ours = [Path(f).name for f in order if f.startswith("compose-overrides/")]
    assert ours == ["infisical.yml", "infx-exec.yml", "infx-exec.supabase.yml"]


@pytest.mark.parametrize("name", OUR_FILES)
def test_file_is_valid_compose_spec(name, schema):
    errors = sorted(schema.iter_errors(load(OVERRIDES / name)), key=str)
    assert not errors, "\n".join(e.message for e in errors)


@pytest.mark.parametrize("name", OUR_FILES)
def test_file_puts_no_secret_in_the_model(name):
    """No secret value, no pass-through from the host, no interpolation of
    a secret variable: in environment: or anywhere else in the file."""
    model = load(OVERRIDES / name)
    assert not interpolated_secrets(json.dumps(model)), name
    for svc_name, svc in model.get("services", {}).items():
        problems = secret_value_problems(env_dict(svc.get("environment")))
        assert not problems, f"{name}: {svc_name}: {problems}"


@pytest.mark.parametrize("name", WRAP_FILES)
def test_every_service_of_a_wrap_file_goes_through_the_shim(name):
    model = load(OVERRIDES / name)
    for svc_name, svc in model["services"].items():
        problems = wrap_problems(svc, model.get("secrets"))
        assert not problems, f"{name}: {svc_name}: {problems}"


# What each file is checked with by docker-compose config: itself, and what
# it overrides (an override alone has services without an image, which v1
# refuses).
ALONE = {
    "infisical.yml": ["compose-overrides/infisical.yml"],
    "infisical.private.yml": ["compose-overrides/infisical.yml",
                              "compose-overrides/infisical.private.yml"],
    "infisical.external-network.yml": ["compose-overrides/infisical.yml",
                                       "compose-overrides/infisical.external-network.yml"],
    "infx-exec.yml": ["docker-compose.yml", "compose-overrides/infx-exec.yml"],
    "infx-exec.supabase.yml": ["docker-compose.yml",
                               "compose-overrides/infx-exec.supabase.yml"],
}


def test_every_file_has_a_config_check():
    assert sorted(ALONE) == OUR_FILES


@pytest.mark.parametrize("name", sorted(ALONE))
def test_file_passes_compose_config(name, compose_bin, project, compose_env, schema):
    _, model = compose_config(compose_bin, project,
                              stack_files(project, ALONE[name]), compose_env)
    for svc in load(OVERRIDES / name).get("services", {}):
        assert LEAK not in json.dumps(model["services"][svc]), \
            f"{name}: a secret of .env reaches {svc}"
    errors = list(schema.iter_errors(model))
    assert not errors, [e.message for e in errors]


@pytest.fixture(scope="module")
def merged(compose_bin, project, compose_env):
    text, model = compose_config(compose_bin, project,
                                 stack_files(project, documented_order()),
                                 compose_env)
    return text, model


def test_documented_order_passes_compose_config(merged, schema):
    _, model = merged
    errors = list(schema.iter_errors(model))
    assert not errors, [e.message for e in errors]


def test_no_secret_of_env_reaches_the_merged_model(merged):
    """Every secret variable is set (to a marker), as if it were still in
    .env: none may reach any service, health check or command."""
    text, _ = merged
    leaked = sorted(set(re.findall(LEAK + r"-(\w+)", text)))
    assert not leaked, f"still interpolated by compose: {leaked}"


def test_merged_services_have_no_secret_in_their_environment(merged):
    _, model = merged
    for name, svc in model["services"].items():
        problems = secret_value_problems(env_dict(svc.get("environment")))
        assert not problems, f"{name}: {problems}"


def test_every_secret_using_service_is_wrapped(merged, project):
    """Derived from the stack (and the Supabase stub): each service that
    uses a secret starts through the shim in the merged model; so do
    open-webui and searxng, whose secrets were files of their own."""
    base = load(project / "docker-compose.yml")
    stub = load(project / "supabase" / "docker" / "docker-compose.yml")
    expected = secret_using_services(base, stub) | {"open-webui", "searxng"}
    assert {"n8n", "flowise", "neo4j", "langfuse-web", "langfuse-worker",
            "clickhouse", "minio", "postgres", "kong", "db", "realtime"} <= expected
    _, model = merged
    problems = {}
    for name in sorted(expected):
        svc = model["services"][name]
        p = wrap_problems(svc, model.get("secrets"))
        if p:
            problems[name] = p
    assert not problems, problems


def test_merged_shim_mount_and_secret_files_resolve_in_the_project(merged, project):
    _, model = merged
    for name, svc in model["services"].items():
        for v in svc.get("volumes") or []:
            if is_shim_mount(v):
                src = v["source"] if isinstance(v, dict) else v.split(":")[0]
                assert src == str(project / "bin" / "infx-exec"), (name, src)
    for name, secret in model["secrets"].items():
        assert secret["file"].startswith(str(project / "secrets") + "/"), (name, secret)


def test_no_health_check_logs_in(merged):
    """A health check runs every interval, outside the entrypoint: through
    the shim it would log in (a new token) each time."""
    _, model = merged
    for name, svc in model["services"].items():
        test = as_list((svc.get("healthcheck") or {}).get("test"))
        assert not any(w.endswith("infx-exec") for w in test), name


SHELLS = {"sh", "bash", "ash", "dash"}


def test_services_run_by_a_shell_have_an_init(merged):
    """A shell as PID 1 ignores SIGTERM: where the shim execs a shell, the
    service has init: true (docs/containers.md)."""
    _, model = merged
    flagged = set()
    for name, svc in model["services"].items():
        entrypoint = as_list(svc.get("entrypoint"))
        if entrypoint[:2] != [SHIM, "--"]:
            continue
        argv = entrypoint[2:] + as_list(svc.get("command"))
        if argv and Path(argv[0]).name in SHELLS:
            flagged.add(name)
            assert svc.get("init") is True, name
    assert {"flowise", "minio", "kong", "analytics", "open-webui"} <= flagged


def owner_table():
    """{app: (starts-as uid, file owner uid)} from the table after
    <!-- credential-owners --> in docs/containers.md."""
    text = CONTAINERS_MD.read_text()
    start = text.index("<!-- credential-owners -->\n") + len("<!-- credential-owners -->\n")
    rows = text[start:].split("\n\n")[0].splitlines()[2:]
    table = {}
    for row in rows:
        cells = [c.strip() for c in row.split("|")[1:-1]]
        app = cells[0].strip("`")
        uid = re.search(r"\b(\d+)\b", cells[1])
        owner = re.search(r"\b(\d+)\b", cells[2].replace("*", ""))
        assert uid and owner, row
        table[app] = (int(uid.group(1)), int(owner.group(1)))
    return table


def test_credential_owners_cover_every_identity():
    """Every identity folder the overrides mount has a row: files owned by
    the uid the container starts as; the commands below the table give
    the same owners."""
    table = owner_table()
    apps = set()
    for name in OUR_FILES:
        for secret in (load(OVERRIDES / name).get("secrets") or {}).values():
            m = re.match(r"\./secrets/(infisical/([^/]+)|(infisical-server))/", secret["file"])
            apps.add(m.group(2) or m.group(3))
    assert set(table) == apps
    for app, (uid, owner) in table.items():
        assert owner == uid, app
    stack = load(STACK / "docker-compose.yml")["services"] if STACK.is_dir() else {}
    assert table["clickhouse"][0] == int(stack.get("clickhouse", {}).get("user", "101").split(":")[0])
    # searxng: root without DAC_OVERRIDE reads only what it owns
    if "searxng" in stack:
        assert stack["searxng"]["cap_drop"] == ["ALL"]
        assert "DAC_OVERRIDE" not in stack["searxng"].get("cap_add", [])
        assert table["searxng"] == (0, 0)
    text = CONTAINERS_MD.read_text()
    block = re.search(r"<!-- credential-owners-commands -->\s*```sh\n(.*?)```", text, re.S).group(1)
    pairs = dict(p.split(":") for p in re.findall(r"[\w-]+:\d+", block.split("; do")[0]))
    assert {a: int(u) for a, u in pairs.items()} == \
        {a: owner for a, (_, owner) in table.items() if a != "infisical-server"}
    assert f"chown {table['infisical-server'][1]} secrets/infisical-server/" in block


def test_wrapped_commands_are_kept(merged):
    """The stack's own commands survive the merge where the override does
    not restate one."""
    _, model = merged
    s = model["services"]
    assert as_list(s["minio"]["command"])[0] == "-c"
    assert "minio server" in as_list(s["minio"]["command"])[1]
    assert as_list(s["functions"]["command"])[0] == "start"
    assert as_list(s["supavisor"]["command"])[:2] == ["/bin/sh", "-c"]
    assert as_list(s["db"]["command"])[0] == "postgres"
    assert as_list(s["redis"]["command"])[0] == "valkey-server"


def test_entrypoints_the_stack_sets_are_kept_word_for_word(project):
    """Where the stack (or Supabase's file) already replaces the image's
    entrypoint, the override runs exactly that behind the shim."""
    base = load(project / "docker-compose.yml")["services"]
    stub = load(project / "supabase" / "docker" / "docker-compose.yml")["services"]
    wrapped = {**load(OVERRIDES / "infx-exec.yml")["services"],
               **load(OVERRIDES / "infx-exec.supabase.yml")["services"]}
    for name, svc in {**base, **stub}.items():
        if name in wrapped and svc.get("entrypoint"):
            assert as_list(wrapped[name]["entrypoint"])[2:] == \
                as_list(svc["entrypoint"]), name


def test_every_moved_secret_is_in_the_migration_docs():
    """Each secret a wrapped service requires or no longer gets from
    compose is named in docs/containers.md."""
    doc = CONTAINERS_MD.read_text()
    missing = set()
    for name in WRAP_FILES:
        for svc in load(OVERRIDES / name)["services"].values():
            env = env_dict(svc["environment"])
            names = [k for k, v in env.items() if v == ""]
            names += [n for n in (env.get("INFX_REQUIRE") or "").split(",") if n]
            folder = env["INFISICAL_SECRET_PATH"].split(",")[-1]
            for n in names + [folder]:
                if not re.search(rf"(?<![A-Za-z0-9_/]){re.escape(n)}(?![A-Za-z0-9_])", doc) \
                        and not re.search(rf"/{re.escape(n)}(?![A-Za-z0-9_])", doc):
                    missing.add(n)
    assert not missing, sorted(missing)


# --------------------------------------------------------------------------
# The documented Infisical layout, served by the test server, gives each
# wrapped service what it needs.

def documented_layout():
    """{folder: {NAME: value}} from docs/containers.md: the migration table
    (a .env key and the Infisical secret it becomes) and the table of
    derived secrets (references)."""
    doc = CONTAINERS_MD.read_text()
    layout = {}

    def add(folder, name, value):
        layout.setdefault(folder, {})[name] = value

    start = doc.index("| `.env` key | Infisical secret |")
    for row in doc[start:].split("\n\n")[0].splitlines()[2:]:
        first, second = row.split("|")[1:3]
        for token in re.findall(r"`([^`]+)`", second):
            m = re.fullmatch(r"(/[\w/-]+)/([A-Z0-9_]+|\.\.\.)", token)
            if not m:
                continue
            folder, name = m.groups()
            names = [name] if name != "..." else re.findall(r"`([A-Z0-9_]+)`", first)
            for n in names:
                add(folder, n, "v-" + n.lower().replace("_", "-"))
    start = doc.index("| folder | secret = value |")
    folder = None
    for row in doc[start:].split("\n\n")[0].splitlines()[2:]:
        cells = row.split("|")
        folder = cells[1].strip().strip("`") or folder
        for part in cells[2].split("; "):
            lhs, _, rhs = part.partition(" = ")
            names = re.findall(r"`([A-Z0-9_]+)`", lhs)
            m = re.match(r"the `(/[\w/-]+)` ones", rhs.strip())
            for n in names:
                if m:
                    value = "${prod" + m.group(1).replace("/", ".") + "." + n + "}"
                else:
                    value = re.search(r"`([^`]+)`", rhs).group(1)
                add(folder, n, value)
    return layout


def layout_data(layout):
    return {
        "identities": [{"identityId": "4c1858f4-6d2c-461e-b5c0-edfab06e107d",
                        "clientId": MEMBER["id"], "clientSecret": MEMBER["secret"],
                        "projects": [PROJECT]}],
        "projects": {PROJECT: {"slug": "local-ai", "environments": {"prod": {
            "folders": {f: {"secrets": secrets} for f, secrets in layout.items()}}}}},
    }


def test_documented_layout_is_complete():
    layout = documented_layout()
    assert layout["/shared"] == {"POSTGRES_PASSWORD": "v-postgres-password"}
    assert layout["/langfuse"]["DATABASE_URL"] == \
        "postgresql://postgres:${prod.shared.POSTGRES_PASSWORD}@postgres:5432/postgres"
    assert layout["/supabase/supavisor"]["VAULT_ENC_KEY"] == "${prod.supabase.VAULT_ENC_KEY}"
    for folder, secrets in layout.items():
        for name, value in secrets.items():
            for ref in re.findall(r"\$\{prod\.([\w.]+)\}", value):
                *path, key = ref.split(".")
                assert key in layout.get("/" + "/".join(path), {}), \
                    f"{folder}/{name} refers to a secret the docs do not list: {ref}"


def test_each_wrapped_service_gets_its_secrets(merged, shim, tmp_path):
    """Each wrapped service, with the environment compose gives it (only
    the server URL and the credential files' place changed), run by the
    real binary against the test server holding the documented layout:
    every required secret arrives, references expanded, and so does every
    variable the override emptied that the layout holds."""
    _, model = merged
    layout = documented_layout()
    (tmp_path / "id").write_text(MEMBER["id"] + "\n")
    (tmp_path / "secret").write_text(MEMBER["secret"] + "\n")
    failures, checked = {}, []
    with InfisicalServer(layout_data(layout)) as server:
        for name, svc in sorted(model["services"].items()):
            if as_list(svc.get("entrypoint"))[:1] != [SHIM]:
                continue
            checked.append(name)
            env = {k: v for k, v in env_dict(svc.get("environment")).items()
                   if v is not None}
            env.update(PATH=BASE_PATH, INFISICAL_API_URL=server.url,
                       INFISICAL_UNIVERSAL_AUTH_CLIENT_ID_FILE=str(tmp_path / "id"),
                       INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET_FILE=str(tmp_path / "secret"))
            r = subprocess.run(shim_command(shim, ["--", "/usr/bin/env", "-0"]),
                               env=env,
                               capture_output=True, timeout=30)
            if r.returncode != 0:
                failures[name] = r.stderr.decode()
                continue
            got = dict(e.split("=", 1) for e in r.stdout.decode().split("\0") if e)
            folders = env["INFISICAL_SECRET_PATH"].split(",")
            held = {n for f in folders for n in layout.get(f, {})}
            wanted = set(env.get("INFX_REQUIRE", "").split(",")) - {""}
            wanted |= {k for k, v in env.items() if v == "" and k in held}
            bad = sorted(k for k in wanted if not got.get(k) or "${" in got[k])
            if bad:
                failures[name] = bad
            test = as_list((svc.get("healthcheck") or {}).get("test"))
            if SHIM in test:
                args = test[test.index(SHIM) + 1:test.index("--")]
                r = subprocess.run(shim_command(shim, [*args, "--", "/usr/bin/env", "-0"]),
                                   env=env, capture_output=True, timeout=30)
                if r.returncode != 0:
                    failures[name + " healthcheck"] = r.stderr.decode()
    assert not failures, failures
    wrapped = {n for f in WRAP_FILES for n in load(OVERRIDES / f)["services"]}
    assert set(checked) == wrapped


# --------------------------------------------------------------------------
# the Infisical server

def test_infisical_server():
    model = load(OVERRIDES / "infisical.yml")
    s = model["services"]
    assert set(s) == {"infisical-backend", "infisical-db", "infisical-redis"}
    backend, db, redis = s["infisical-backend"], s["infisical-db"], s["infisical-redis"]
    assert re.fullmatch(r"infisical/infisical:v\d+\.\d+\.\d+", backend["image"])
    assert db["image"] == "postgres:14-alpine"
    assert redis["image"] == "redis:7-alpine"
    assert backend["cap_drop"] == ["ALL"]
    assert backend["depends_on"] == {"infisical-db": {"condition": "service_healthy"},
                                     "infisical-redis": {"condition": "service_healthy"}}
    for svc in s.values():
        assert svc.get("healthcheck", {}).get("test"), svc["image"]
        assert "ports" not in svc, "ports only in infisical.private.yml"
    check = " ".join(backend["healthcheck"]["test"])
    assert "/api/status" in check and "/api/health" not in check
    # the server's own secrets: files, read by the entrypoint or *_FILE
    script = as_list(backend["entrypoint"])[-1]
    for secret in ("infisical_encryption_key", "infisical_auth_secret",
                   "infisical_db_password"):
        assert f"/run/secrets/{secret}" in script
        assert secret in backend["secrets"]
        assert "file" in model["secrets"][secret]
    assert "ENCRYPTION_KEY=$$(cat" in script and "AUTH_SECRET=$$(cat" in script
    assert env_dict(db["environment"])["POSTGRES_PASSWORD_FILE"] == \
        "/run/secrets/infisical_db_password"
    # the stack's network (default), the store on an internal one
    assert backend["networks"] == ["default", "infisical"]
    assert db["networks"] == redis["networks"] == ["infisical"]
    assert model["networks"]["infisical"]["internal"] is True
    private = load(OVERRIDES / "infisical.private.yml")
    assert private["services"] == {"infisical-backend": {"ports": ["127.0.0.1:8020:8080"]}}
    external = load(OVERRIDES / "infisical.external-network.yml")
    assert external["networks"]["default"]["external"] is True



# --------------------------------------------------------------------------
# The checks can fail: each breakage of a good file must be reported.

def _wrap_case(mutate):
    model = load(OVERRIDES / "infx-exec.yml")
    svc = copy.deepcopy(model["services"]["n8n"])
    top = copy.deepcopy(model["secrets"])
    mutate(svc, top)
    return wrap_problems(svc, top)


WRAP_BREAKAGES = {
    "entrypoint without the shim": lambda s, t: s.update(entrypoint=["tini", "--", "/docker-entrypoint.sh"]),
    "shim without --": lambda s, t: s.update(entrypoint=["/infx-exec", "tini"]),
    "shim and nothing to run": lambda s, t: s.update(entrypoint=["/infx-exec", "--"]),
    "binary mounted read-write": lambda s, t: s.update(volumes=["./bin/infx-exec:/infx-exec"]),
    "binary not mounted": lambda s, t: s.update(volumes=[]),
    "client secret in environment": lambda s, t: s["environment"].update(
        INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET="abc"),
    "_FILE outside /run/secrets": lambda s, t: s["environment"].update(
        INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET_FILE="/etc/n8n_secret"),
    "secret not mounted in the service": lambda s, t: s.update(secrets=["infx_n8n_client_id"]),
    "secret not defined at the top": lambda s, t: t.pop("infx_n8n_client_secret"),
    "no secret path": lambda s, t: s["environment"].pop("INFISICAL_SECRET_PATH"),
    "literal password": lambda s, t: s["environment"].update(DB_POSTGRESDB_PASSWORD="hunter2"),
    "interpolated secret": lambda s, t: s["environment"].update(N8N_ENCRYPTION_KEY="${N8N_ENCRYPTION_KEY}"),
    "secret passed from the host": lambda s, t: s["environment"].update(N8N_ENCRYPTION_KEY=None),
    "password in a URL": lambda s, t: s["environment"].update(DB_URL="postgres://u:p4ss@db/x"),
}


@pytest.mark.parametrize("breakage", sorted(WRAP_BREAKAGES))
def test_wrap_check_catches(breakage):
    assert _wrap_case(lambda s, t: None) == []
    assert _wrap_case(WRAP_BREAKAGES[breakage]), breakage


def test_secret_using_detection_catches_a_new_service():
    model = {"services": {"new": {"image": "x", "environment": ["API_TOKEN=${API_TOKEN}"]},
                          "plain": {"image": "y", "environment": {"PORT": "1"}},
                          "check": {"image": "z", "healthcheck": {
                              "test": ["CMD", "curl", "-H", "${ANON_KEY}"]}}}}
    assert secret_using_services(model) == {"new", "check"}

