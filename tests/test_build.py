"""What the build puts into the binaries: the architecture, the exact Debian
package versions --version reports, and the built-in CA roots, which are
Mozilla's set from Debian's ca-certificates source package at the pinned
version, never the build machine's own trust store."""
import os
import re
import shutil
import subprocess

import pytest

from conftest import BASE_PATH, MEMBER, PROJECT, ROOT, run

FILE_MACHINE = {"amd64": "x86-64", "arm64": "ARM aarch64"}
PEM = re.compile(rb"-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+"
                 rb"-----END CERTIFICATE-----\n")


def host_arch():
    return subprocess.run(["dpkg", "--print-architecture"], check=True,
                          capture_output=True, text=True).stdout.strip()


def build_dir(path):
    """build/, build/arm64/, build/dev/...: where the binary was made."""
    return os.path.dirname(path)


def arch_of(path):
    """The Debian architecture a binary was built for, from its place:
    build/ARCH/ for a cross build, the machine's own otherwise."""
    parent = os.path.basename(build_dir(path))
    return parent if parent in FILE_MACHINE else host_arch()


def deps_prefix(path):
    """The dependency prefix a static binary was linked with: build/'s for
    this machine's architecture, build/ARCH/'s for another."""
    arch = arch_of(path)
    sub = [] if arch == host_arch() else [arch]
    return prefix_file(os.path.join(ROOT, "build", *sub, "deps.prefix"))


def is_static(path):
    return os.path.basename(build_dir(path)) not in ("dev", "plain")


def prefix_file(path):
    with open(path) as f:
        return f.read().strip()


def roots_prefix():
    p = os.path.join(ROOT, "build", "ca-roots.prefix")
    if not os.path.exists(p):
        pytest.skip("built-in roots not built yet (make builds them)")
    return prefix_file(p)


def copy_tree(tmp_path):
    """What a build reads (as Dockerfile.shim copies it), in a fresh folder:
    no build/ yet."""
    tree = tmp_path / "src"
    tree.mkdir()
    for name in ("Makefile", "VERSION", "scripts", "src"):
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, tree / name)
        else:
            shutil.copy2(src, tree / name)
    return tree


def make_env(**extra):
    """The environment for a make of its own: without what an outer make
    (make check) passes down to its recipes."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    env.update(extra)
    return env


def needs_static_deps():
    if not os.path.exists(os.path.join(ROOT, "build", "deps.prefix")):
        pytest.skip("static dependencies not built yet (make builds them)")


def version_lines(shim):
    p = run(shim, ["--version"], {"PATH": BASE_PATH})
    assert p.returncode == 0, p.stderr
    return p.stdout.decode().splitlines()


def test_static_elf_of_its_architecture(static_shim):
    out = subprocess.run(["file", "-b", static_shim], capture_output=True,
                         text=True).stdout
    machine = FILE_MACHINE[arch_of(static_shim)]
    assert out.startswith("ELF 64-bit LSB executable, %s," % machine), out
    assert "statically linked" in out


def test_version_names_the_build(shim):
    """Platform, kind of build, every Debian package version built in (a
    fallback to an older version shows), the built-in roots."""
    lines = version_lines(shim)
    arch = arch_of(shim)
    if is_static(shim):
        with open(os.path.join(deps_prefix(shim), "share", "infx-exec",
                               "versions")) as f:
            versions = dict(line.split() for line in f if line.strip())
        assert lines[2] == "linux/%s, static, musl %s" % (arch,
                                                         versions.pop("musl"))
        assert set(versions) == {"openssl", "curl", "zlib", "c-ares", "cjson"}
        listed = lines[3].split(": ", 1)[1].split(", ")
        assert sorted(listed) == sorted("%s %s" % kv for kv in versions.items())
        assert "zlib/" in lines[1] and "c-ares/" in lines[1]
    else:
        assert lines[2].startswith("linux/%s, development build: glibc" % arch)
        assert "libcurl4-openssl-dev " in lines[3]
    roots = roots_prefix()
    with open(os.path.join(roots, "origin")) as f:
        origin = f.read().strip()
    with open(os.path.join(roots, "ca-certificates.crt"), "rb") as f:
        count = len(PEM.findall(f.read()))
    assert lines[4] == "built-in CA roots: %d, from %s" % (count, origin)
    assert re.fullmatch(r"Debian ca-certificates [0-9][\w.+~:-]*", origin)


def test_embedded_roots_are_the_source_packages(static_shim):
    """The PEM text in the binary is, byte for byte and in order, the set
    scripts/build-deps.sh --ca-roots made from the source package (and
    checked against its pinned hash)."""
    with open(os.path.join(roots_prefix(), "ca-certificates.crt"), "rb") as f:
        wanted = PEM.findall(f.read())
    with open(static_shim, "rb") as f:
        embedded = PEM.findall(f.read())
    assert len(wanted) > 100
    assert embedded == wanted


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"),
                    reason="needs root and unshare(1) for a mount namespace")
def test_a_local_ca_of_the_build_machine_is_not_built_in(pki, tls_server,
                                                         tmp_path):
    """A machine whose trust store holds an extra local CA (appended to the
    bundle file, in the hashed directory, named by SSL_CERT_FILE and by the
    old CA_BUNDLE make variable) builds a binary that does not trust it, and
    the very same built-in roots as any other machine."""
    needs_static_deps()
    tree = copy_tree(tmp_path)
    with open("/etc/ssl/certs/ca-certificates.crt", "rb") as f:
        host_bundle = f.read()
    with open(pki["ca"], "rb") as f:
        local_ca = f.read()
    bundle = tmp_path / "ca-certificates.crt"
    bundle.write_bytes(host_bundle + local_ca)
    hashed = tmp_path / "certs"
    hashed.mkdir()
    shutil.copy(pki["ca"], hashed / "local-ca.pem")
    subprocess.run(["openssl", "rehash", str(hashed)], check=True)
    script = ('mount --bind "$1" /etc/ssl/certs/ca-certificates.crt && '
              'shift && exec "$@"')
    env = make_env(SSL_CERT_FILE=str(bundle), SSL_CERT_DIR=str(hashed),
                   CA_BUNDLE=str(bundle))
    p = subprocess.run(
        ["unshare", "-m", "--", "sh", "-c", script, "sh", str(bundle),
         "make", "-s", "-j2", "build/infx-exec", "CA_BUNDLE=" + str(bundle)],
        cwd=tree, env=env, capture_output=True, timeout=600)
    assert p.returncode == 0, p.stderr.decode()[-3000:]
    built = tree / "build" / "infx-exec"
    with open(ROOT / "build" / "gen" / "ca_bundle.c", "rb") as f:
        assert (tree / "build" / "gen" / "ca_bundle.c").read_bytes() == f.read()
    with open(built, "rb") as f:
        embedded = PEM.findall(f.read())
    assert local_ca not in embedded and len(embedded) > 100
    # Through the binary, in an empty root (only the built-in roots): the
    # server whose certificate the local CA signed is refused...
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(built, root / "infx-exec")
    env = {"INFISICAL_API_URL": tls_server.url, "INFISICAL_PROJECT_ID": PROJECT,
           "INFISICAL_ENVIRONMENT": "dev", "INFX_TIMEOUT": "2",
           "INFISICAL_UNIVERSAL_AUTH_CLIENT_ID": MEMBER["id"],
           "INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET": MEMBER["secret"]}
    p = subprocess.run(["/usr/sbin/chroot", str(root), "/infx-exec", "--",
                        "/infx-exec", "--version"], env=env,
                       capture_output=True, timeout=60)
    assert p.returncode == 125 and b"certificate" in p.stderr, p.stderr
    assert tls_server.requests == []
    # ... and accepted once the CA is named at run time.
    shutil.copy(pki["ca"], root / "ca.pem")
    env["INFISICAL_CA_CERT_FILE"] = "/ca.pem"
    p = subprocess.run(["/usr/sbin/chroot", str(root), "/infx-exec", "--",
                        "/infx-exec", "--version"], env=env,
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(b"infx-exec ")



@pytest.mark.parametrize("build", ["static", "dev", "plain"])
def test_ca_bundle_object_builds_alone_with_the_users_flags(build, tmp_path):
    """make build/static/ca_bundle.o alone in a fresh tree (its rule made no
    directory), with the user's CPPFLAGS and CFLAGS (the CA rules dropped
    them: -g3 records the macro in the object)."""
    if build == "static":
        needs_static_deps()
    tree = copy_tree(tmp_path)
    obj = "build/%s/ca_bundle.o" % build
    p = subprocess.run(["make", "-s", obj, "CPPFLAGS=-DINFX_USER_FLAG",
                        "CFLAGS=-g3"], cwd=tree, env=make_env(),
                       capture_output=True, timeout=300)
    assert p.returncode == 0, p.stderr.decode()[-2000:]
    assert b"INFX_USER_FLAG" in (tree / obj).read_bytes()


@pytest.mark.parametrize("arch", [None, "arm64"])
def test_plain_make_builds_the_static_binaries(arch, tmp_path):
    """`make` (and `make ARCH=arm64`), as README and docs/containers.md
    write them, build the static binaries: not the first rule that happens
    to come first in the Makefile (the per-architecture rules, which once
    made plain make a no-op that only prepared the dependencies)."""
    tree = copy_tree(tmp_path)
    args = ["make", "-n"] + (["ARCH=" + arch] if arch else [])
    p = subprocess.run(args, cwd=tree, env=make_env(), capture_output=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr.decode()[-2000:]
    out = p.stdout.decode()
    want = "build/%sinfx-exec" % (arch + "/" if arch and arch != host_arch()
                                  else "")
    assert "-o %s " % want in out, out[-2000:]
