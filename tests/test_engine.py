"""infx-exec in a real container engine (podman, tests/engine.py): the
static binary in a FROM scratch image with Debian's busybox-static as the
app, against the test server on the host's loopback (--network host).

What only an engine shows: the command really is PID 1 after the exec and
gets `podman stop`'s SIGTERM; the shim stops on it while still waiting for
Infisical; podman's secrets and root-only bind-mounted files reach it as
they would in production; a numeric --user works without /etc/passwd; a
private CA mounted into an image without a CA bundle.
"""
import os
import time

import pytest

from conftest import DEV_ROOT, MEMBER, PROJECT, child_env
from engine import LABEL, STOP_GRACE

LOGIN = "/api/v1/auth/universal-auth/login"
CREDENTIAL_NAMES = (b"INFISICAL_UNIVERSAL_AUTH_CLIENT_ID",
                    b"INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET")
STOP_LINE = "infx-exec: stopped by SIGTERM before starting the command"


def config(server, **extra):
    """The container's configuration, without credentials."""
    env = {"INFISICAL_API_URL": server.url, "INFISICAL_PROJECT_ID": PROJECT,
           "INFISICAL_ENVIRONMENT": "dev"}
    env.update(extra)
    return env


def credentials():
    return {"INFISICAL_UNIVERSAL_AUTH_CLIENT_ID": MEMBER["id"],
            "INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET": MEMBER["secret"]}


def podman_args(env=None, opts=(), name=None):
    args = ["--label", LABEL, "--network", "host", *opts]
    if name:
        args += ["--name", name]
    for k, v in (env or {}).items():
        args += ["-e", f"{k}={v}"]
    return args


def run_container(podman, image, command, env=None, opts=()):
    """podman run --rm: the container's exit status, stdout and stderr."""
    return podman("run", "--rm", *podman_args(env, opts), image, *command,
                  check=False, timeout=300)


def error_line(stderr):
    """The one error line of a failure (warnings may come before it)."""
    lines = [ln for ln in stderr.decode(errors="replace").splitlines()
             if ln.startswith("infx-exec: ")
             and not ln.startswith("infx-exec: warning: ")]
    assert len(lines) == 1, stderr
    return lines[0]


def assert_got_secrets(p):
    assert p.returncode == 0, p.stderr
    env = child_env(p.stdout)
    for name, value in DEV_ROOT.items():
        assert env.get(name.encode()) == value.encode(), name
    for name in env:
        assert not name.startswith(CREDENTIAL_NAMES), name
    assert MEMBER["secret"].encode() not in p.stdout
    return env


def secret_files(tmp_path, owner=None):
    """The two credential files, mode 0400, owned by root (or owner)."""
    d = tmp_path / "secrets"
    d.mkdir()
    paths = {}
    for name, value in (("client_id", MEMBER["id"]),
                        ("client_secret", MEMBER["secret"])):
        path = d / name
        path.write_text(value + "\n")
        path.chmod(0o400)
        if owner is not None:
            os.chown(path, owner, owner)
        paths[name] = path
    return paths


def mount_files(paths):
    """-v options mounting the files under /run/secrets, and the *_FILE
    variables naming them."""
    opts, env = [], {}
    for name, path in paths.items():
        target = f"/run/secrets/infx_app_{name}"
        opts += ["-v", f"{path}:{target}:ro"]
        var = "INFISICAL_UNIVERSAL_AUTH_" + name.upper()
        env[var + "_FILE"] = target
    return opts, env


# -- the command gets its secrets, not the credentials ------------------------

def test_scratch_image_command_gets_secrets_not_credentials(podman, shim_image, server):
    p = run_container(podman, shim_image, ["env", "-0"],
                      {**config(server), **credentials()})
    env = assert_got_secrets(p)
    # What the engine sets is kept: the shim adds, it does not replace.
    assert env[b"PATH"].startswith(b"/usr/local/sbin:")
    assert b"HOSTNAME" in env
    assert [r["path"] for r in server.requests][0] == LOGIN


@pytest.mark.parametrize("status", [0, 42, 127])
def test_exit_status_passes_through(podman, shim_image, server, status):
    command = ["/no/such/program"] if status == 127 else \
        ["sh", "-c", f"exit {status}"]
    p = run_container(podman, shim_image, command,
                      {**config(server), **credentials()})
    assert p.returncode == status, p.stderr
    if status == 127:
        # podman's own 127 ("not found") would be about /infx-exec: this one
        # is the shim's, about the command.
        assert "/no/such/program" in error_line(p.stderr)


def test_failure_before_exec_is_125_with_one_line(podman, shim_image, server):
    p = run_container(podman, shim_image, ["sh", "-c", "echo RAN"],
                      {**config(server), **credentials(),
                       "INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET": "wrong"})
    assert p.returncode == 125
    assert "401" in error_line(p.stderr)
    assert b"RAN" not in p.stdout


# -- credentials: podman secrets, root-only files ------------------------------

def test_credentials_as_podman_secrets_mounted(podman, shim_image, server, tmp_path):
    paths = secret_files(tmp_path)
    sid, ssecret = podman.secret(paths["client_id"]), podman.secret(paths["client_secret"])
    env = config(server,
                 INFISICAL_UNIVERSAL_AUTH_CLIENT_ID_FILE=f"/run/secrets/{sid}",
                 INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET_FILE=f"/run/secrets/{ssecret}")
    p = run_container(podman, shim_image, ["env", "-0"], env,
                      ["--secret", f"{sid},mode=0400", "--secret", f"{ssecret},mode=0400"])
    env = assert_got_secrets(p)
    assert not [n for n in env if n.endswith(b"_FILE")]


def test_credentials_as_podman_secrets_in_the_environment(podman, shim_image, server, tmp_path):
    paths = secret_files(tmp_path)
    sid, ssecret = podman.secret(paths["client_id"]), podman.secret(paths["client_secret"])
    p = run_container(podman, shim_image, ["env", "-0"], config(server), [
        "--secret", f"{sid},type=env,target=INFISICAL_UNIVERSAL_AUTH_CLIENT_ID",
        "--secret", f"{ssecret},type=env,target=INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET"])
    assert_got_secrets(p)


def test_root_only_files_read_by_a_root_container(podman, shim_image, server, tmp_path):
    opts, env = mount_files(secret_files(tmp_path))
    p = run_container(podman, shim_image, ["env", "-0"], config(server, **env), opts)
    assert_got_secrets(p)


def test_root_only_files_unreadable_by_a_non_root_container(podman, shim_image, server, tmp_path):
    """docs/containers.md: a credential file must be readable by the user
    the container starts as. A root-only file and `user: 1000`: exit 125,
    the line names the file; owned by 1000, it works."""
    opts, env = mount_files(secret_files(tmp_path))
    p = run_container(podman, shim_image, ["sh", "-c", "echo RAN"],
                      config(server, **env), opts + ["--user", "1000:1000"])
    assert p.returncode == 125, p.stderr
    assert "/run/secrets/infx_app_client_" in error_line(p.stderr)
    assert b"RAN" not in p.stdout
    assert server.requests == []
    owned = tmp_path / "owned"
    owned.mkdir()
    opts, env = mount_files(secret_files(owned, owner=1000))
    p = run_container(podman, shim_image, ["env", "-0"],
                      config(server, **env), opts + ["--user", "1000:1000"])
    assert_got_secrets(p)


def test_user_option_numeric_in_a_scratch_image(podman, shim_image, server, tmp_path):
    """The shim starts as root, reads the root-only files, and runs the
    command as 1000:1000 (no /etc/passwd entry needed): the command can
    no longer read the credentials."""
    opts, env = mount_files(secret_files(tmp_path))
    script = ('echo "$(id -u) $(id -g) $(id -G)"; echo "API_KEY=$API_KEY"; '
              'cat /run/secrets/infx_app_client_secret 2>/dev/null || echo unreadable')
    # The option (the image's entrypoint restated with it) and the variable.
    for args, extra in ((["--user", "1000:1000"], {}), ([], {"INFX_USER": "1000:1000"})):
        p = run_container(podman, shim_image, [*args, "--", "sh", "-c", script],
                          config(server, **env, **extra),
                          opts + ["--entrypoint", "/infx-exec"])
        assert p.returncode == 0, p.stderr
        assert p.stdout.decode().splitlines() == [
            "1000 1000 1000", "API_KEY=fake-api-key-123", "unreadable"]


def test_user_name_without_passwd_fails_closed(podman, shim_image, server, tmp_path):
    """A scratch image has no /etc/passwd: a user name cannot be resolved,
    the shim says so before logging in."""
    opts, env = mount_files(secret_files(tmp_path))
    p = run_container(podman, shim_image, ["sh", "-c", "echo RAN"],
                      config(server, **env, INFX_USER="app"), opts)
    assert p.returncode == 125, p.stderr
    assert "'app'" in error_line(p.stderr)
    assert b"RAN" not in p.stdout
    assert server.requests == []


# -- podman stop --------------------------------------------------------------

def start_detached(podman, image, command, env, opts=()):
    name = podman.name("stop")
    podman("run", "-d", *podman_args(env, opts, name=name), image, *command)
    return name


def logs(podman, name):
    p = podman("logs", name)
    return p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def stop(podman, name, grace=STOP_GRACE):
    """podman stop -t grace; returns (exit code, seconds it took)."""
    start = time.monotonic()
    podman("stop", "-t", str(grace), name, timeout=grace + 120)
    took = time.monotonic() - start
    return podman.state(name)["ExitCode"], took


def test_stop_while_waiting_for_a_stalled_server(podman, shim_image, server):
    """The server takes the login and never answers: podman stop's SIGTERM
    stops the shim at once (exit 143, one line), long before the kill."""
    server.add_fault("login", "delay", seconds=600)
    name = start_detached(podman, shim_image, ["sh", "-c", "echo RAN"],
                          {**config(server, INFX_TIMEOUT="500"), **credentials()})
    try:
        podman.wait_until("the shim sent its login",
                          lambda: LOGIN in [r["path"] for r in server.requests])
        code, took = stop(podman, name)
        out, err = logs(podman, name)
        assert code == 143, (code, err)
        # Far below the grace period: the SIGTERM stopped it, not the kill.
        assert took < STOP_GRACE * 2 / 3, took
        assert "RAN" not in out
        assert STOP_LINE in err.splitlines(), err
    finally:
        podman("rm", "-f", name, check=False)


def test_stop_after_exec_reaches_the_command(podman, shim_image, server):
    """After the exec the command is PID 1 and podman stop's SIGTERM is
    its own: its handler runs and its exit status is the container's."""
    script = ('trap \'echo "TERM in $$"; exit 7\' TERM; echo "ready in $$"; '
              'while :; do sleep 1; done')
    name = start_detached(podman, shim_image, ["sh", "-c", script],
                          {**config(server), **credentials()})
    try:
        podman.wait_until("the command started",
                          lambda: "ready in 1" in logs(podman, name)[0])
        code, _ = stop(podman, name)
        out, err = logs(podman, name)
        assert code == 7, (code, out, err)
        assert out.splitlines() == ["ready in 1", "TERM in 1"]
    finally:
        podman("rm", "-f", name, check=False)


def test_plain_shell_needs_an_init(podman, shim_image, server):
    """docs/containers.md's `init: true`: a shell without a TERM trap as
    PID 1 ignores SIGTERM (killed after the grace period: 137); behind an
    init, SIGTERM ends it (143)."""
    script = 'echo ready; while :; do sleep 1; done'
    env = {**config(server), **credentials()}
    for opts, grace, expected in (([], 3, 137), (["--init"], STOP_GRACE, 143)):
        name = start_detached(podman, shim_image, ["sh", "-c", script], env, opts)
        try:
            podman.wait_until("the command started",
                              lambda: "ready" in logs(podman, name)[0])
            code, _ = stop(podman, name, grace)
            assert code == expected, (opts, code, logs(podman, name))
        finally:
            podman("rm", "-f", name, check=False)


# -- HTTPS with a private CA ----------------------------------------------------

def test_https_with_a_mounted_private_ca(podman, shim_image, tls_server, pki):
    env = {**config(tls_server), **credentials()}
    mount = ["-v", f"{pki['ca']}:/etc/infx/ca.pem:ro"]
    p = run_container(podman, shim_image, ["env", "-0"],
                      {**env, "INFISICAL_CA_CERT_FILE": "/etc/infx/ca.pem"}, mount)
    assert_got_secrets(p)
    # Without it, the built-in roots do not trust the private CA.
    p = run_container(podman, shim_image, ["sh", "-c", "echo RAN"], env, mount)
    assert p.returncode == 125
    assert "certificate" in error_line(p.stderr)
    assert b"RAN" not in p.stdout
