"""Dockerfile.shim, read without an engine: the build stage runs exactly
the Makefile's recipe and copies only files that exist; the final stage is
FROM scratch with the binary alone; the build stage's steps replayed in a
temporary folder. (Built for real with podman: make container-check,
tests/test_dockerfile_build.py.)
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import container_files
from container_files import ROOT, SHIM

DOCKERFILE = container_files.DOCKERFILE


def dockerfile_stages():
    return container_files.dockerfile_stages(DOCKERFILE)


def run_commands(args):
    """The shell commands of a RUN line, its --mount=... flags removed."""
    words = args.split()
    while words and words[0].startswith("--"):
        words.pop(0)
    return [c.strip() for c in " ".join(words).split("&&")]


def makefile_entry_points():
    makefile = (ROOT / "Makefile").read_text()
    deps = (ROOT / "scripts" / "install-deps.sh").read_text()
    assert re.search(r"^static:", makefile, re.M), "Makefile has no static target"
    assert re.search(r"^\s*build\)", deps, re.M), "install-deps.sh has no build group"
    return ["scripts/install-deps.sh build $TARGETARCH",
            "make static ARCH=$TARGETARCH"]


def build_stage():
    stages = dockerfile_stages()
    from_args, instrs = stages[0]
    return from_args, instrs


# The one RUN line that is not the recipe: with the APT_SOURCES build
# argument (a mirror, a proxy), it replaces the stage's apt source files;
# without it, it does nothing.
APT_SOURCE_STEP = re.compile(r'if \[ -n "\$APT_SOURCES" \];\s+then\s+(.*?);\s+fi')


def apt_source_step_problems(instrs):
    runs = [a for i, a in instrs if i == "RUN"]
    if not runs or not APT_SOURCE_STEP.fullmatch(runs[0]):
        return ["the first RUN is not the APT_SOURCES step"]
    problems = []
    body = APT_SOURCE_STEP.fullmatch(runs[0]).group(1)
    if re.search(r"apt-get|apt |make|curl|wget|&&|\|", body):
        problems.append(f"the APT_SOURCES step does more than write apt sources: {body}")
    for target in re.findall(r'(?:rm -f|>)\s+([^;]+)', body):
        for path in target.replace('"', "").split():
            if not path.startswith("/etc/apt/sources.list"):
                problems.append(f"the APT_SOURCES step writes {path}")
    args = [a for i, a in instrs if i == "ARG"]
    if "APT_SOURCES=" not in args or \
            instrs.index(("ARG", "APT_SOURCES=")) > instrs.index(("RUN", runs[0])):
        problems.append("no ARG APT_SOURCES= (empty by default) before the step")
    return problems


def test_dockerfile_build_stage_runs_exactly_the_makefile_recipe():
    from_args, instrs = build_stage()
    # On the builder's own platform: each target architecture is a cross
    # build, never an emulated one.
    assert re.fullmatch(r"--platform=\$BUILDPLATFORM\s+debian:bookworm-slim"
                        r"\s+AS\s+build", from_args, re.I), from_args
    assert ("ARG", "TARGETARCH") in instrs
    assert apt_source_step_problems(instrs) == []
    runs = [a for i, a in instrs if i == "RUN"][1:]
    commands = [c for a in runs for c in run_commands(a)]
    assert commands == makefile_entry_points(), \
        "the build stage must run install-deps.sh build and make static " \
        "for $TARGETARCH, nothing else"
    for instr, args in instrs:
        assert instr in ("WORKDIR", "COPY", "RUN", "ENV", "ARG"), instr
        if instr == "COPY":
            *sources, _ = args.split()
            for src in sources:
                assert not src.startswith("--"), "no COPY --from in the build stage"
                assert src not in (".", "./", "build", "build/"), \
                    "the host's build/ must not reach the image"
                assert (ROOT / src).exists(), f"COPY of a missing path: {src}"


def test_dockerfile_final_stage_is_scratch_with_one_copy():
    stages = dockerfile_stages()
    assert len(stages) >= 2
    final_from, final = stages[-1]
    assert final_from == "scratch"
    copies = [a for i, a in final if i == "COPY"]
    assert len(copies) == 1, copies
    assert all(i in ("ARG", "COPY", "ENTRYPOINT", "LABEL") for i, _ in final), final
    _, build = build_stage()
    workdir = [a for i, a in build if i == "WORKDIR"][-1]
    built = f"{workdir}/build/$TARGETARCH/infx-exec"
    assert copies[0].split() == ["--from=build", built, SHIM]
    assert ("ARG", "TARGETARCH") in final
    # Other stages (k8s-init) only copy the built binary: no build step.
    for from_args, instrs in stages[1:-1]:
        assert not [a for i, a in instrs if i == "RUN"], from_args
        assert f"--from=build {built} {SHIM}" in \
            [a for i, a in instrs if i == "COPY"], from_args
        assert ("ARG", "TARGETARCH") in instrs, from_args


# The images Dockerfile.shim starts from; nothing else may come from a
# registry (a `# syntax=` line makes BuildKit pull its frontend image).
BASE_IMAGES = {"debian:bookworm-slim", "busybox:1.36.1-musl", "scratch"}


def test_dockerfile_pulls_nothing_but_its_base_images():
    text = DOCKERFILE.read_text()
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        assert not re.match(r"#\s*(syntax|check)\s*=", line, re.I), line
    stages = dockerfile_stages()
    names = set()
    for from_args, instrs in stages:
        image, stage = container_files.from_image(from_args)
        assert image in BASE_IMAGES | names, from_args
        if stage:
            names.add(stage)
        for instr, args in instrs:
            if instr == "COPY" and args.startswith("--from="):
                assert args.split()[0][7:] in names, args
            assert "from=" not in args.lower() or instr == "COPY", args


def docker_copy(sources, dest, workdir):
    """COPY sources... dest, as Docker does it, from the repository into
    workdir (dest relative to it): a directory's content, not the
    directory; into dest/ when dest ends with / or there are several
    sources."""
    target = workdir / dest
    for src in sources:
        path = ROOT / src
        if path.is_dir():
            shutil.copytree(path, target, dirs_exist_ok=True)
        elif dest.endswith("/") or len(sources) > 1:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / path.name)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


def test_dockerfile_build_stage_replayed(tmp_path):
    """The COPY set of the build stage is enough for its RUN lines: replay
    them in an empty folder (with make's dependency cache, when built)."""
    prefix = subprocess.run([str(ROOT / "scripts" / "build-deps.sh"),
                             "--print-prefix"], capture_output=True, text=True)
    if not prefix.stdout.strip():
        pytest.skip("static dependencies not built yet (make builds them)")
    _, instrs = build_stage()
    workdir = tmp_path / "src"
    workdir.mkdir()
    for instr, args in instrs:
        if instr == "COPY":
            *sources, dest = args.split()
            docker_copy(sources, dest, workdir)
        elif instr == "RUN" and APT_SOURCE_STEP.fullmatch(args):
            continue    # the machine's own apt sources are the ones to use
        elif instr == "RUN":
            for command in run_commands(args):
                r = subprocess.run(["bash", "-c", command], cwd=workdir,
                                   capture_output=True, text=True, timeout=600)
                assert r.returncode == 0, f"{command}: {r.stderr[-2000:]}"
    _, final = dockerfile_stages()[-1]
    # TARGETARCH unset, as a builder without --platform leaves it.
    src = [a for i, a in final if i == "COPY"][0].split()[1].replace(
        "$TARGETARCH", "")
    built = workdir / Path(src).relative_to(build_workdir())
    assert built.is_file() and os.access(built, os.X_OK)
    assert "statically linked" in subprocess.run(
        ["file", str(built)], capture_output=True, text=True).stdout


def build_workdir():
    _, instrs = build_stage()
    return Path([a for i, a in instrs if i == "WORKDIR"][-1])



def test_dockerfile_checks_catch(tmp_path, monkeypatch):
    good = DOCKERFILE.read_text()
    broken = {
        "an extra build step": good.replace(
            "RUN scripts/install-deps.sh build $TARGETARCH",
            "RUN scripts/install-deps.sh build $TARGETARCH && apt-get install -y gcc"),
        "a build stage emulated for the target": good.replace(
            "FROM --platform=$BUILDPLATFORM debian", "FROM debian"),
        "the build machine's binary in every platform's image": good.replace(
            "/src/build/$TARGETARCH/infx-exec /infx-exec\nENTRYPOINT [\"/infx-exec\"]",
            "/src/build/infx-exec /infx-exec\nENTRYPOINT [\"/infx-exec\"]"),
        "a final stage that is not scratch": good.replace(
            "FROM scratch", "FROM debian:bookworm-slim"),
        "two copies in the final stage": good.rstrip("\n") +
            "\nCOPY --from=build /src/VERSION /VERSION\n",
        "the whole context copied": good.replace("COPY src/ src/", "COPY . ."),
        "a build step in the APT_SOURCES step": good.replace(
            '> "/etc/apt/sources.list.d/$f"; \\\n',
            '> "/etc/apt/sources.list.d/$f"; apt-get update; \\\n'),
        "the APT_SOURCES step writing elsewhere": good.replace(
            '> "/etc/apt/sources.list.d/$f"', '> "/etc/apt/apt.conf.d/$f"'),
        "no APT_SOURCES step": good.replace("ARG APT_SOURCES=\nRUN if", "ARG APT_SOURCES=\nRUN true || if"),
        "a registry frontend": "# syntax=docker/dockerfile:1\n" + good,
        "another image": good.replace("COPY --from=build /src/build/$TARGETARCH/infx-exec /infx-exec\nENTRYPOINT [\"cp\"",
                                      "COPY --from=alpine:3 /bin/cp /bin/cp\nCOPY --from=build /src/build/$TARGETARCH/infx-exec /infx-exec\nENTRYPOINT [\"cp\""),
    }
    for what, text in broken.items():
        assert text != good, what
    for what, text in broken.items():
        path = tmp_path / "Dockerfile"
        path.write_text(text)
        monkeypatch.setattr(sys.modules[__name__], "DOCKERFILE", path)
        failed = False
        for check in (test_dockerfile_build_stage_runs_exactly_the_makefile_recipe,
                      test_dockerfile_final_stage_is_scratch_with_one_copy,
                      test_dockerfile_pulls_nothing_but_its_base_images):
            try:
                check()
            except AssertionError:
                failed = True
        assert failed, what

