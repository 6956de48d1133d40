"""make container-check: Dockerfile.shim built for real with podman, each
target (build, k8s-init, the final FROM scratch image), and each image run.

No registry is reachable: the base images are made from files (tests/
engine.py) and tagged, for the build only, under the names the Dockerfile
names: debian:bookworm-slim is a debootstrap root (kept in podman's storage
as localhost/infx-debian:bookworm between runs), busybox:1.36.1-musl is
Debian's busybox-static. The Debian base's own apt source is a name that
cannot resolve, so the build only succeeds through the APT_SOURCES build
argument, given the machine's own archive (scripts/apt-sources.sh).

The build stage's dependency cache (RUN --mount=type=cache) and podman's
layer cache survive between runs on one machine: a fresh machine pays the
whole build (OpenSSL from source) once.

Slow, so not part of make check: these tests run only with pytest's
--container-check option (make container-check).
"""
import fcntl
import os
import subprocess
from pathlib import Path

import pytest

import container_files
from conftest import DEV_ROOT, MEMBER, PROJECT
from engine import (DEBIAN_BASE, LABEL, ROOT, SESSION, apt_sources,
                    debian_base)

pytestmark = pytest.mark.container_check

DOCKERFILE = container_files.DOCKERFILE
CACHE = Path(os.environ.get("INFX_DEPS_DIR") or
             Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "infx-exec")
BUILD_TIMEOUT = 3600


def base_image_names():
    """The images the stages start FROM (other than scratch and stages)."""
    names, stages = [], set()
    for from_args, _ in container_files.dockerfile_stages(DOCKERFILE):
        image, stage = container_files.from_image(from_args)
        if image != "scratch" and image not in stages:
            names.append(image)
        if stage:
            stages.add(stage)
    return names


def qualified(name):
    return name if "/" in name else f"docker.io/library/{name}"


@pytest.fixture(scope="module")
def base_images(podman, busybox_image):
    """Tags the images made from files under the Dockerfile's names, for
    the module's builds (one container-check at a time on a machine);
    removes the tags it added. A machine that already has images under
    those names (pulled from a registry) builds from them."""
    names = base_image_names()
    assert names == ["debian:bookworm-slim", "busybox:1.36.1-musl"], names
    debian = debian_base(podman, CACHE)
    added = []
    with open(CACHE / "container-check.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            for name, image in zip(names, (debian, busybox_image)):
                full = qualified(name)
                if podman("image", "exists", full, check=False).returncode != 0:
                    podman("tag", image, full)
                    added.append(full)
            yield dict(zip(names, (debian, busybox_image)))
        finally:
            for full in added:
                # (podman untag with no name would drop every name)
                podman("untag", full, full, check=False)


def build(podman, target=None, *extra, name=None):
    tag = f"localhost/infx-check-{name or target or 'final'}:{SESSION}"
    args = ["--build-arg", f"APT_SOURCES={apt_sources('deb')}", *extra]
    if target:
        args += ["--target", target]
    podman.build(ROOT, tag, DOCKERFILE.name, *args, timeout=BUILD_TIMEOUT)
    return tag


@pytest.fixture(scope="module")
def final_image(podman, base_images):
    return build(podman)


def test_the_base_has_no_usable_apt_source(podman, base_images):
    """What makes the builds below a test of APT_SOURCES."""
    if base_images["debian:bookworm-slim"] != DEBIAN_BASE:
        pytest.skip("a real debian:bookworm-slim is present")
    p = podman("run", "--rm", "--label", LABEL, "--network", "none", DEBIAN_BASE,
               "cat", "/etc/apt/sources.list.d/debian.sources")
    assert b".invalid/" in p.stdout
    assert podman("run", "--rm", "--label", LABEL, DEBIAN_BASE, "sh", "-c",
                  "ls /etc/apt/sources.list.d/ && test ! -e /etc/apt/sources.list"
                  ).stdout.split() == [b"debian.sources"]


def test_final_image_is_the_binary_alone(podman, final_image):
    config = podman("image", "inspect", "--format",
                    "{{json .Config.Entrypoint}} {{json .Config.Cmd}}",
                    final_image).stdout.decode().split()
    assert config == ['["/infx-exec"]', "null"]
    name = podman.name("export")
    podman("create", "--label", LABEL, "--name", name, final_image)
    try:
        listing = subprocess.run(["tar", "-t"], input=podman("export", name).stdout,
                                 capture_output=True, check=True).stdout.decode()
    finally:
        podman("rm", name, check=False)
    files = [f for f in listing.split() if not f.endswith("/")]
    # What podman adds to every container's filesystem, and the binary.
    assert [f for f in files if not f.startswith(("etc/", "run/", "proc/", "sys/", "dev/"))] \
        == ["infx-exec"], files
    p = podman("run", "--rm", "--label", LABEL, final_image, "--version")
    assert p.stdout.decode().startswith("infx-exec "), p.stdout


def test_final_image_fetches_secrets(podman, final_image, server):
    """The image alone (no shell, no CA bundle): --check logs in and lists
    the names it would set; --check needs no command."""
    env = {"INFISICAL_API_URL": server.url, "INFISICAL_PROJECT_ID": PROJECT,
           "INFISICAL_ENVIRONMENT": "dev",
           "INFISICAL_UNIVERSAL_AUTH_CLIENT_ID": MEMBER["id"],
           "INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET": MEMBER["secret"]}
    args = ["run", "--rm", "--label", LABEL, "--network", "host"]
    for k, v in env.items():
        args += ["-e", f"{k}={v}"]
    p = podman(*args, final_image, "--check")
    names = {line.split("\t")[0] for line in p.stdout.decode().splitlines()}
    assert names == set(DEV_ROOT), p.stdout


def test_k8s_init_target_copies_the_binary(podman, base_images, tmp_path):
    """As docs/kubernetes.md's init container: `cp /infx-exec DEST` into a
    mounted volume; the copy runs."""
    image = build(podman, "k8s-init")
    shared = tmp_path / "shim"
    shared.mkdir()
    podman("run", "--rm", "--label", LABEL, "-v", f"{shared}:/opt/infx-exec",
           image, "/opt/infx-exec/infx-exec")
    copy = shared / "infx-exec"
    assert os.access(copy, os.X_OK)
    p = subprocess.run([str(copy), "--version"], capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout.startswith("infx-exec "), p


def test_build_target_and_local_output(podman, base_images, tmp_path):
    """--target build holds the build tree; the documented
    `--output type=local,dest=bin` gives bin/infx-exec, statically linked."""
    image = build(podman, "build")
    p = podman("run", "--rm", "--label", LABEL, image, "/src/build/infx-exec", "--version")
    assert p.stdout.decode().startswith("infx-exec ")
    out = tmp_path / "bin"
    podman("build", "--pull=never", "-q", "-f", str(ROOT / DOCKERFILE.name),
           "--build-arg", f"APT_SOURCES={apt_sources('deb')}",
           "--output", f"type=local,dest={out}", str(ROOT), timeout=BUILD_TIMEOUT)
    binary = out / "infx-exec"
    assert sorted(p.name for p in out.iterdir()) == ["infx-exec"]
    assert "statically linked" in subprocess.run(
        ["file", str(binary)], capture_output=True, text=True).stdout


def test_arm64_image_holds_the_arm64_binary(podman, base_images, tmp_path):
    """A multi-platform build's arm64 image (docker buildx --platform
    linux/amd64,linux/arm64 builds one per platform): the build stage runs
    on this machine's platform and cross-builds; the final image is
    linux/arm64 and its /infx-exec an arm64 static binary (run here under
    qemu-aarch64-static). podman does not set BUILDPLATFORM itself, as
    docs/containers.md says."""
    host = subprocess.run(["dpkg", "--print-architecture"], check=True,
                          capture_output=True, text=True).stdout.strip()
    if host == "arm64":
        pytest.skip("the arm64 image of an arm64 machine is the final image")
    image = build(podman, None, "--platform", "linux/arm64",
                  "--build-arg", f"BUILDPLATFORM=linux/{host}",
                  name="final-arm64")
    arch = podman("image", "inspect", "--format", "{{.Architecture}}",
                  image).stdout.decode().strip()
    assert arch == "arm64"
    name = podman.name("export-arm64")
    podman("create", "--label", LABEL, "--name", name, image)
    try:
        subprocess.run(["tar", "-x", "-C", str(tmp_path), "infx-exec"],
                       input=podman("export", name).stdout, check=True)
    finally:
        podman("rm", name, check=False)
    binary = tmp_path / "infx-exec"
    desc = subprocess.run(["file", "-b", str(binary)], capture_output=True,
                          text=True).stdout
    assert "ARM aarch64" in desc and "statically linked" in desc, desc
    p = subprocess.run(["qemu-aarch64-static", str(binary), "--version"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "linux/arm64, static" in p.stdout, p.stdout
