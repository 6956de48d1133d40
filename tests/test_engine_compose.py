"""The compose overrides' way of wrapping a service, through a real engine:
Debian's docker-compose (v1) against podman's Docker-compatible API
(`podman system service`, DOCKER_HOST), on a compose network whose service
names resolve through the CNI DNS plugin.

The stack is a small synthetic one in tests/data/engine-stack/, in the -f
order of docs/containers.md: a stand-in for the stack's file (an app whose
secrets come from .env by interpolation), one for infisical.yml (the test
server as infisical-backend) and one for infx-exec.yml, written with the
constructs of compose-overrides/ that v1 reads (anchors, <<: merges,
secrets:, *_FILE, blanked variables, init: true). `up`, then `down`.
"""
import json
import os
import re
import shutil
import subprocess

import pytest
import yaml

from conftest import MEMBER, PROJECT
from container_files import OVERRIDES
from engine import SESSION, STATIC_SHIM, TESTS

STACK = TESTS / "data" / "engine-stack"
ORDER = ["docker-compose.yml", "infisical.yml", "infx-exec.yml"]
PROJECT_NAME = "infx" + re.sub(r"[^a-z0-9]", "", SESSION.lower())
# What the app's folders hold; what .env still holds (must not arrive).
LAYOUT = {"/app": {"DB_PASSWORD": "db-pass-from-infisical",
                   "API_TOKEN": "api-token-from-infisical",
                   "DATABASE_URL": "postgres://app:${prod.shared.POSTGRES_PASSWORD}@db:5432/app"},
          "/shared": {"POSTGRES_PASSWORD": "shared-pg-pass"}}
DOTENV = {"DB_PASSWORD": "dotenv-db-pass-must-not-arrive",
          "API_TOKEN": "dotenv-api-token-must-not-arrive"}


def layout_data():
    return {"identities": [{"identityId": "4c1858f4-6d2c-461e-b5c0-edfab06e107d",
                            "clientId": MEMBER["id"], "clientSecret": MEMBER["secret"],
                            "projects": [PROJECT]}],
            "projects": {PROJECT: {"slug": "engine-stack", "environments": {"prod": {
                "folders": {f: {"secrets": s} for f, s in LAYOUT.items()}}}}}}


class Stack:
    def __init__(self, podman, api, directory):
        self.podman, self.dir = podman, directory
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "HOME": str(directory), "DOCKER_HOST": api.docker_host}

    def compose(self, *args, timeout=300, check=True):
        files = [a for f in ORDER for a in ("-f", f)]
        p = subprocess.run(["docker-compose", "-p", PROJECT_NAME, *files, *args],
                           cwd=self.dir, env=self.env, capture_output=True,
                           text=True, timeout=timeout)
        if check:
            assert p.returncode == 0, f"docker-compose {' '.join(args)}:\n{p.stderr}"
        return p

    def container(self, service):
        cid = self.compose("ps", "-q", service).stdout.strip()
        assert cid, f"no container for {service}"
        return cid

    def logs(self, service):
        p = self.podman("logs", self.container(service))
        return p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")

    def leftovers(self):
        label = f"label=com.docker.compose.project={PROJECT_NAME}"
        containers = self.podman("ps", "-aq", "--filter", label).stdout.split()
        networks = [n for n in self.podman("network", "ls", "--format",
                                           "{{.Name}}").stdout.decode().split()
                    if n.startswith(PROJECT_NAME)]
        return containers, networks


@pytest.fixture(scope="module")
def stack(podman, docker_api, busybox_image, python_image, tmp_path_factory):
    if not shutil.which("docker-compose"):
        pytest.fail("docker-compose (Debian's) is missing: scripts/install-deps.sh engine",
                    pytrace=False)
    if not os.access(STATIC_SHIM, os.X_OK):
        pytest.fail(f"{STATIC_SHIM} is not built: make static", pytrace=False)
    d = tmp_path_factory.mktemp("engine-stack")
    for f in ORDER:
        shutil.copy(STACK / f, d / f)
    shutil.copy(TESTS / "infisical_server.py", d / "infisical_server.py")
    (d / "layout.json").write_text(json.dumps(layout_data()))
    (d / "bin").mkdir()
    shutil.copy(STATIC_SHIM, d / "bin" / "infx-exec")
    creds = d / "secrets" / "infisical" / "app"
    creds.mkdir(parents=True)
    for name, value in (("client_id", MEMBER["id"]), ("client_secret", MEMBER["secret"])):
        (creds / name).write_text(value + "\n")
        (creds / name).chmod(0o400)
    dotenv = {**DOTENV, "INFISICAL_PROJECT_ID": PROJECT,
              "INFX_TEST_APP_IMAGE": busybox_image,
              "INFX_TEST_PYTHON_IMAGE": python_image}
    (d / ".env").write_text("".join(f"{k}={v}\n" for k, v in dotenv.items()))
    s = Stack(podman, docker_api, d)
    try:
        s.compose("up", "-d")
        podman.wait_until("the app started through infx-exec",
                          lambda: "app: ready" in s.logs("app")[0], timeout=240)
        yield s
    finally:
        s.compose("down", "--timeout", "30", check=False)
        containers, networks = s.leftovers()
        for c in containers:
            podman("rm", "-f", c.decode(), check=False)
        for n in networks:
            podman("network", "rm", "-f", n, check=False)


def app_environment(stack):
    out, _ = stack.logs("app")
    lines = out.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("app: pid"))
    end = lines.index("app: ready")
    return lines[start], dict(ln.split("=", 1) for ln in lines[start + 1:end])


def test_the_stand_in_uses_the_real_anchor():
    """The x-infx-exec block is the one of compose-overrides/infx-exec.yml
    (and of infx-exec.supabase.yml): what runs here is what users run."""
    def block(path):
        text = path.read_text()
        m = re.search(r"^x-infx-exec: &infx-env\n(?:  .*\n)+", text, re.M)
        assert m, path
        return m.group(0)
    ours = block(STACK / "infx-exec.yml")
    for name in ("infx-exec.yml", "infx-exec.supabase.yml"):
        assert block(OVERRIDES / name) == ours, name


def test_the_stand_in_reads_as_v1_reads_it(stack):
    """docker-compose config: the merge gave the app the shim's entrypoint,
    the stack's command, the blanked secrets and the mounted secret files."""
    model = yaml.safe_load(stack.compose("config").stdout)
    app = model["services"]["app"]
    assert app["entrypoint"] == ["/infx-exec", "--"]
    assert app["command"][:2] == ["/bin/sh", "-c"]
    assert app["init"] is True
    env = app["environment"]
    assert env["DB_PASSWORD"] == env["API_TOKEN"] == env["DATABASE_URL"] == ""
    assert env["INFISICAL_API_URL"] == "http://infisical-backend:8080"
    assert env["INFISICAL_PROJECT_ID"] == PROJECT
    assert "dotenv" not in yaml.safe_dump(model)


def test_wrapped_app_gets_its_secrets_from_infisical(stack):
    head, env = app_environment(stack)
    # init: true: an init is PID 1, the shim and then the app run under it.
    m = re.fullmatch(r"app: pid (\d+) uid 0", head)
    assert m and m.group(1) != "1", head
    assert env["DB_PASSWORD"] == "db-pass-from-infisical"
    assert env["API_TOKEN"] == "api-token-from-infisical"
    assert env["DATABASE_URL"] == "postgres://app:shared-pg-pass@db:5432/app"
    assert env["APP_MODE"] == "production"
    assert env["INFISICAL_SECRET_PATH"] == "/app"
    for name in env:
        assert not name.startswith("INFISICAL_UNIVERSAL_AUTH_CLIENT"), name
    assert MEMBER["secret"] not in "\n".join(f"{k}={v}" for k, v in env.items())


def test_documented_check_in_a_running_container(stack):
    """docs/containers.md's check in a running container (`exec SERVICE
    /infx-exec --check -- true`): the container's configuration and
    credential files are there; names and sources, never a value. (The
    docs' `run --rm --no-deps` form is Compose v2's: v1 asks podman for
    links, which it does not support.)"""
    p = stack.compose("exec", "-T", "app", "/infx-exec", "--check", "--", "true")
    lines = sorted(p.stdout.splitlines())
    assert lines == ["API_TOKEN\t/app", "DATABASE_URL\t/app", "DB_PASSWORD\t/app"], p.stdout
    assert "from-infisical" not in p.stdout + p.stderr


def test_stop_and_down_leave_nothing(stack):
    """`stop`: behind `init: true`, the app's shell ends on the SIGTERM
    (143, not the kill's 137); `down` removes the containers and the
    project's network."""
    cid = stack.container("app")
    stack.compose("stop", "--timeout", "30", "app")
    assert stack.podman.state(cid)["ExitCode"] == 143
    stack.compose("down", "--timeout", "30")
    assert stack.leftovers() == ([], [])
