"""The release binary: fully static, and working in roots that hold nothing
else (FROM scratch), or laid out like alpine and debian images."""
import os
import shutil
import subprocess

import pytest

from conftest import PROJECT, MEMBER, RUNNER

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="chroot needs root")


def test_fully_static(static_shim):
    out = subprocess.run(["file", static_shim], capture_output=True,
                         text=True).stdout
    assert "statically linked" in out
    ldd = subprocess.run(["ldd", static_shim], capture_output=True, text=True)
    assert "not a dynamic executable" in ldd.stdout + ldd.stderr


def make_root(tmp_path, shim, layout, ca=None):
    """A root holding the shim as /infx-exec; layout adds what an image of
    that kind would have (CA bundle, /etc/passwd)."""
    root = tmp_path / layout
    root.mkdir()
    shutil.copy(shim, root / "infx-exec")
    if RUNNER:      # the emulator goes into the root with the binary
        shutil.copy(shutil.which(RUNNER[0]), root / os.path.basename(RUNNER[0]))
    if layout in ("alpine", "debian"):
        etc = root / "etc"
        (etc / "ssl" / "certs").mkdir(parents=True)
        if ca:
            shutil.copy(ca, etc / "ssl" / "certs" / "ca-certificates.crt")
        (etc / "passwd").write_text(
            "root:x:0:0:root:/root:/bin/sh\n"
            "app:x:1000:1000:app:/home/app:/bin/sh\n")
        (etc / "group").write_text("root:x:0:\napp:x:1000:\nextra:x:2000:app\n")
    if layout == "alpine":
        os.symlink("certs/ca-certificates.crt", root / "etc" / "ssl" / "cert.pem")
    return root


def chroot_env(server, **extra):
    env = {"INFISICAL_API_URL": server.url, "INFISICAL_PROJECT_ID": PROJECT,
           "INFISICAL_ENVIRONMENT": "dev",
           "INFISICAL_UNIVERSAL_AUTH_CLIENT_ID": MEMBER["id"],
           "INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET": MEMBER["secret"]}
    env.update(extra)
    return env


# How the shim starts inside a root: itself, or under the emulator that
# make_root put beside it (INFX_RUNNER).
INNER = (["/" + os.path.basename(RUNNER[0])] + RUNNER[1:] if RUNNER else []) \
    + ["/infx-exec"]


def in_root(root, args, env):
    return subprocess.run(["/usr/sbin/chroot", str(root)] + INNER + args,
                          env=env, capture_output=True, timeout=30)


# The command run inside the root is the shim itself (nothing else is
# there): "--version" proves that exec happened, in a root with no libc.
SELF = ["--"] + INNER + ["--version"]


@needs_root
def test_empty_root_over_https(static_shim, tls_server, pki, tmp_path):
    root = make_root(tmp_path, static_shim, "scratch")
    shutil.copy(pki["ca"], root / "ca.pem")
    p = in_root(root, SELF, chroot_env(tls_server, SSL_CERT_FILE="/ca.pem"))
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(b"infx-exec ")
    assert [r["path"] for r in tls_server.requests] == [
        "/api/v1/auth/universal-auth/login", "/api/v4/secrets"]


@needs_root
def test_empty_root_without_ca_uses_built_in_roots(static_shim, tls_server,
                                                    tmp_path):
    root = make_root(tmp_path, static_shim, "scratch")
    p = in_root(root, SELF, chroot_env(tls_server))
    assert p.returncode == 125
    assert b"certificate" in p.stderr
    assert tls_server.requests == []


@needs_root
def test_empty_root_by_host_name_without_resolver_files(static_shim, server,
                                                        tmp_path):
    """No /etc/hosts, no resolv.conf: an IP address still works."""
    root = make_root(tmp_path, static_shim, "scratch")
    p = in_root(root, SELF, chroot_env(server))
    assert p.returncode == 0, p.stderr


@needs_root
@pytest.mark.parametrize("layout", ["alpine", "debian"])
def test_image_like_roots(static_shim, tls_server, pki, tmp_path, layout):
    root = make_root(tmp_path, static_shim, layout, ca=pki["ca"])
    p = in_root(root, ["--user", "app"] + SELF, chroot_env(tls_server))
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(b"infx-exec ")


@needs_root
def test_root_with_hashed_ca_directory_only(static_shim, tls_server, pki,
                                            tmp_path):
    """/etc/ssl/certs with OpenSSL's hash links and no bundle file (the
    faster path infx-exec prefers) verifies the server."""
    root = make_root(tmp_path, static_shim, "scratch")
    certs_dir = root / "etc" / "ssl" / "certs"
    certs_dir.mkdir(parents=True)
    shutil.copy(pki["ca"], certs_dir / "test-ca.pem")
    subprocess.run(["openssl", "rehash", str(certs_dir)], check=True)
    p = in_root(root, SELF, chroot_env(tls_server))
    assert p.returncode == 0, p.stderr
    (certs_dir / "test-ca.pem").unlink()
    for link in certs_dir.iterdir():
        link.unlink()
    p = in_root(root, SELF, chroot_env(tls_server, INFX_TIMEOUT="2"))
    assert p.returncode == 125 and b"certificate" in p.stderr
