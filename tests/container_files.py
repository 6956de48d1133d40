"""Paths and small parsers shared by the tests of the container files:
test_dockerfile.py (Dockerfile.shim), test_compose.py (compose-overrides/),
test_kubernetes.py (deploy/kubernetes/) and the engine tests.

The reference files (the stack, the schema) are in ../shared/reference,
beside the repository (CI clones the repository next to shared/).
"""
import shlex
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
STACK = REFERENCE / "local-ai-packaged"
SCHEMA = REFERENCE / "compose-spec.json"
OVERRIDES = ROOT / "compose-overrides"
K8S = ROOT / "deploy" / "kubernetes"
DOCKERFILE = ROOT / "Dockerfile.shim"
CONTAINERS_MD = ROOT / "docs" / "containers.md"
SHIM = "/infx-exec"

CREDENTIAL_VARS = [
    "INFISICAL_UNIVERSAL_AUTH_CLIENT_ID", "INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET",
    "INFISICAL_TOKEN", "INFISICAL_JWT", "INFISICAL_MACHINE_IDENTITY_ID",
    "INFISICAL_CUSTOM_HEADERS",
]


def load(path):
    with open(path) as f:
        return yaml.safe_load(f)


def as_list(value):
    if value is None:
        return []
    if isinstance(value, str):
        return shlex.split(value)
    return [str(v) for v in value]


def dockerfile_stages(path):
    """[(from_args, [(INSTRUCTION, arguments)...])...] of a Dockerfile:
    comments dropped, continuation lines joined. from_args keeps FROM's
    flags (--platform=...); from_image() names the image."""
    stages, buf = [], ""
    for line in Path(path).read_text().splitlines():
        s = line.strip()
        if s.startswith("#") or (not s and not buf):
            continue
        if s.endswith("\\"):
            buf += s[:-1] + " "
            continue
        instr, _, args = (buf + s).partition(" ")
        buf = ""
        instr, args = instr.upper(), args.strip()
        if instr == "FROM":
            stages.append((args, []))
        else:
            assert stages, f"{instr} before FROM"
            stages[-1][1].append((instr, args))
    return stages


def from_image(from_args):
    """The image (or stage) a FROM line starts from, and its stage name
    (None without AS): FROM's --flags skipped."""
    words = [w for w in from_args.split() if not w.startswith("--")]
    return words[0], (words[2] if len(words) == 3 and
                      words[1].upper() == "AS" else None)
