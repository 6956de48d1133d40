"""infx-import, the migration path off .env: parse a real .env, upload the
chosen keys, and read them back through infx-exec byte for byte."""
import os

import pytest

from conftest import ENV0, PROJECT, base_env, child_env, run

DOTENV = r"""# local-ai-packaged style .env
export POSTGRES_PASSWORD=pg-pass-123   # inline comment
N8N_ENCRYPTION_KEY="enc\nkey with \"quotes\" and \$dollar"
JWT_SECRET='single $quoted # not a comment'
MULTI="line1
line2"
EMPTY=
N8N_HOSTNAME=n8n.example.org
"""
EXPECTED = {
    "POSTGRES_PASSWORD": "pg-pass-123",
    "N8N_ENCRYPTION_KEY": 'enc\nkey with "quotes" and $dollar',
    "JWT_SECRET": "single $quoted # not a comment",
    "MULTI": "line1\nline2",
    "EMPTY": "",
    "N8N_HOSTNAME": "n8n.example.org",
}


@pytest.fixture
def tool(shim):
    return os.path.join(os.path.dirname(shim), "infx-import")


@pytest.fixture
def dotenv(tmp_path):
    f = tmp_path / ".env"
    f.write_text(DOTENV)
    return str(f)


def folder_env(server, path="/migrated"):
    return base_env(server, INFISICAL_SECRET_PATH=path)


def add_folder(data, path="/migrated", secrets=None):
    envs = data["projects"][PROJECT]["environments"]["dev"]["folders"]
    envs[path] = {"secrets": secrets or {}}


def test_dry_run_lists_keys_only(tool, server, dotenv):
    p = run(tool, ["--dry-run", dotenv], folder_env(server))
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode().split() == list(EXPECTED)
    assert server.requests == []
    for value in EXPECTED.values():
        if value:
            assert value.encode() not in p.stdout + p.stderr


def test_upload_then_read_back_through_the_shim(tool, shim, data, server,
                                                dotenv):
    add_folder(data)
    p = run(tool, [dotenv], folder_env(server))
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode().splitlines() == [f"created {k}"
                                              for k in EXPECTED]
    writes = [r for r in server.requests if r["method"] == "POST"
              and "/secrets/raw/" in r["path"]]
    assert [r["body"]["secretPath"] for r in writes] == ["/migrated"] * 6
    assert all(r["body"]["workspaceId"] == PROJECT for r in writes)
    p = run(shim, ["--path", "/migrated"] + ENV0, base_env(server))
    assert p.returncode == 0, p.stderr
    got = child_env(p.stdout)
    for k, v in EXPECTED.items():
        assert got[k.encode()] == v.encode(), k


def test_chosen_keys_and_existing_ones(tool, data, server, dotenv):
    add_folder(data, secrets={"JWT_SECRET": "old"})
    env = folder_env(server)
    p = run(tool, ["--keys", "JWT_SECRET,POSTGRES_PASSWORD", dotenv], env)
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode().splitlines() == [
        "skipped JWT_SECRET (it exists; --overwrite replaces it)",
        "created POSTGRES_PASSWORD"]
    folder = data["projects"][PROJECT]["environments"]["dev"]["folders"]
    assert folder["/migrated"]["secrets"]["JWT_SECRET"] == "old"
    p = run(tool, ["--overwrite", "--keys=JWT_SECRET", dotenv], env)
    assert p.stdout == b"updated JWT_SECRET\n", p.stderr
    assert folder["/migrated"]["secrets"]["JWT_SECRET"]["value"] == \
        EXPECTED["JWT_SECRET"]
    p = run(tool, ["--keys", "NOT_IN_FILE", dotenv], env)
    assert p.returncode == 1
    assert p.stderr == (b"infx-import: key 'NOT_IN_FILE' (--keys) is not in "
                        b"the file\n")


def test_write_refusals(tool, data, server, dotenv):
    p = run(tool, ["--keys", "EMPTY", dotenv], folder_env(server, "/nope"))
    assert p.returncode == 1
    assert b"HTTP 404 NotFound: Folder with path '/nope'" in p.stderr
    add_folder(data)
    data["identities"][0]["readOnly"] = True
    p = run(tool, ["--keys", "EMPTY", dotenv], folder_env(server))
    assert p.returncode == 1
    assert (b"HTTP 403 PermissionDenied: You are not allowed to create on "
            b"secrets") in p.stderr


def test_malformed_dotenv(tool, server, tmp_path):
    f = tmp_path / "bad.env"
    f.write_text("GOOD=1\nthis line is wrong\nSECRET=hunter2\n")
    p = run(tool, [str(f)], folder_env(server))
    assert p.returncode == 1
    assert p.stderr == (f"infx-import: unable to read '{f}': line 2: a line "
                        f"that is not NAME=value (no '=')\n").encode()
    assert server.requests == []


def test_usage(tool, server, dotenv):
    p = run(tool, ["--help"], {})
    assert p.returncode == 0 and p.stdout.startswith(b"Usage: infx-import")
    p = run(tool, [dotenv, "extra"], folder_env(server))
    assert p.returncode == 2
    p = run(tool, ["--path", "/a,/b", dotenv], folder_env(server))
    assert p.returncode == 2


def test_dry_run_needs_no_identity(tool, server, dotenv):
    env = base_env(server, INFISICAL_SECRET_PATH="/migrated",
                   INFISICAL_UNIVERSAL_AUTH_CLIENT_ID=None,
                   INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET=None)
    p = run(tool, ["--dry-run", dotenv], env)
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode().split() == list(EXPECTED)
    assert server.requests == []


def test_reserved_names_are_not_uploaded(tool, data, server, tmp_path):
    add_folder(data)
    f = tmp_path / ".env"
    f.write_text("INFISICAL_PROJECT_ID=abc\nLD_PRELOAD=/x.so\nPATH=/bin\n"
                 "GOOD=1\n")
    p = run(tool, [str(f)], folder_env(server))
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode().splitlines() == [
        "skipped INFISICAL_PROJECT_ID (a reserved name: infx-exec would not "
        "set it)",
        "skipped LD_PRELOAD (a reserved name: infx-exec would not set it)",
        "skipped PATH (a reserved name: infx-exec would not set it)",
        "created GOOD"]
    assert b"no --keys: taking every key" in p.stderr
