"""infx-import, the migration path off .env, through the real binaries:
its own command line (usage, --help, --version, exit statuses, the man
page); the plain form (chosen keys to one folder, read back through the
shim byte for byte); the layout form (compose-overrides/infisical-layout.env
imported from the stack's .env.example into the test server, folders made,
references written for the environment, then every wrapped service checked
with compose-overrides/check-services.sh); the layout against the overrides
and docs/containers.md; README's examples, run as written; the test
server's folder routes (infisical-api.md 2.6)."""
import json
import os
import re
import shlex
import signal
import subprocess
import textwrap
import time
import urllib.request

import pytest

from conftest import (BASE_PATH, ENV0, MEMBER, PROJECT, ROOT, RUNNER,
                      base_env, child_env, fails_closed, run, runnable,
                      shim_command)
from container_files import CONTAINERS_MD, OVERRIDES, STACK, load
from infisical_server import InfisicalServer
import test_docs

LAYOUT = OVERRIDES / "infisical-layout.env"
CHECK = OVERRIDES / "check-services.sh"
MAN = ROOT / "docs" / "infx-import.1"
WRAP_FILES = ["infx-exec.yml", "infx-exec.supabase.yml"]

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


def folders_of(data, env="dev"):
    return data["projects"][PROJECT]["environments"][env].setdefault(
        "folders", {})


def add_folder(data, path="/migrated", secrets=None):
    folders_of(data)[path] = {"secrets": secrets or {}}


def lines(p):
    return p.stdout.decode().splitlines()


def writes(server):
    return [r for r in server.requests if r["method"] in ("POST", "PATCH")
            and "/auth/" not in r["path"]]


# --------------------------------------------------------------------------
# its own command line

def test_help(tool):
    p = run(tool, ["--help"], {"PATH": BASE_PATH})
    assert p.returncode == 0 and p.stderr == b""
    text = p.stdout.decode()
    assert text.startswith("Usage: infx-import [OPTION]... --layout LAYOUT "
                           "FILE\n")
    assert "Exit status: 0 done, 1 a failure" in text
    assert run(tool, ["-h"], {"PATH": BASE_PATH}).stdout == p.stdout


def test_version(tool):
    p = run(tool, ["--version"], {"PATH": BASE_PATH})
    assert p.returncode == 0 and p.stderr == b""
    version = (ROOT / "VERSION").read_text().strip()
    out = lines(p)
    assert out[0] == f"infx-import {version}"
    assert "libcurl/" in out[1] and "cJSON/" in out[1]
    assert run(tool, ["-V"], {"PATH": BASE_PATH}).stdout == p.stdout


@pytest.mark.parametrize("args, env", [
    ([], {}),
    # The old tool read past argv here (INFX_CHECK made "no operand" pass).
    ([], {"INFX_CHECK": "true"}),
    (["--bogus", "F"], {}),
    (["--layout"], {}),
    (["-e"], {}),
    (["F", "extra"], {}),
    (["F", "--dry-run"], {}),
    (["--layout", "L", "--keys", "A", "F"], {}),
    (["--layout", "L", "--path", "/x", "F"], {}),
    (["--layout", "-", "-"], {}),
    (["--path", "/a,/b", "F"], {}),
    (["--timeout", "soon", "F"], {}),
    (["F"], {"INFISICAL_PROJECT_ID": None}),
    (["F"], {"INFISICAL_ENVIRONMENT": None}),
], ids=["nothing", "nothing-INFX_CHECK", "unknown", "no-layout-value",
        "no-env-value", "two-files", "option-after-file", "layout-keys",
        "layout-path", "both-stdin", "two-paths", "bad-timeout",
        "no-project", "no-environment"])
def test_usage_errors(tool, server, args, env):
    """Exit 2, one line (golden), the hint, no request; never a read past
    argv (the ASan build would stop on it)."""
    p = run(tool, args, base_env(server, **env))
    fails_closed(p, program="infx-import", status=2)
    assert p.stderr.endswith(b"\nTry 'infx-import --help' for more "
                             b"information.\n")
    assert not p.stdout
    assert server.requests == []


def test_help_to_a_full_disk(tool):
    with open("/dev/full", "wb") as full:
        p = subprocess.run(shim_command(tool, ["--help"]),
                           env={"PATH": BASE_PATH},
                           stdout=full, stderr=subprocess.PIPE, timeout=30)
    assert fails_closed(p, program="infx-import", status=1) == \
        "infx-import: unable to write to standard output: No space left " \
        "on device"


def test_misspelt_variables_are_warned_as_for_the_shim(tool, server,
                                                       dotenv):
    env = base_env(server, INFX_TIMEOUTS="5")
    p = run(tool, ["--dry-run", "--path", "/x", dotenv], env)
    assert p.returncode == 0
    assert p.stderr.decode().splitlines()[0] == (
        "infx-import: warning: INFX_TIMEOUTS is not a variable infx-exec "
        "reads; did you mean INFX_TIMEOUT?")


# the man page against --help, as test_docs.py does for infx-exec

def import_help(tool):
    return run(tool, ["--help"], {"PATH": BASE_PATH}).stdout.decode()


def test_man_page_and_help_name_the_same_options(tool):
    want = {n: (s, k) for n, (s, k, _) in
            test_docs.help_options(import_help(tool)).items()}
    got = test_docs.man_options(MAN)
    assert got == want


def test_man_page_options_name_their_variables(tool):
    entries = "\n".join(test_docs.section("OPTIONS", MAN))
    for name, (_, _, var) in test_docs.help_options(
            import_help(tool)).items():
        if var:
            assert re.search(rf"Fl -{name}\b[^\n]*\n(?:[^\n]*\n)??\.Ev {var}\b",
                             entries), (name, var)


def test_man_page_sections_and_exit_statuses(tool):
    want = ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "LAYOUT FILE",
            "ENVIRONMENT", "EXIT STATUS", "EXAMPLES", "SEE ALSO"]
    assert [s for s in test_docs.man_sections(MAN)] == want
    items = {ln.split()[1] for ln in test_docs.section("EXIT STATUS", MAN)
             if ln.startswith(".It ")}
    assert items == {"0", "1", "2"}
    assert "Exit status: 0 done, 1 a failure" in import_help(tool)
    synopsis = "\n".join(test_docs.section("SYNOPSIS", MAN))
    for name, (short, _, _) in test_docs.help_options(
            import_help(tool)).items():
        assert f"Fl -{name}" in synopsis or (short and short in synopsis)


def test_man_page_lints_clean():
    p = subprocess.run(["mandoc", "-T", "lint", "-W", "warning", str(MAN)],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert p.returncode == 0, p.stdout.decode()


def test_make_installs_and_demo_builds_both_tools(tmp_path):
    p = subprocess.run(["make", "-n", "install", f"DESTDIR={tmp_path}"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    for name in ("infx-exec", "infx-import"):
        assert f"build/{name} {tmp_path}/usr/local/bin/{name}" in p.stdout
        assert re.search(rf"docs/{name}\.1 \\?\s*{tmp_path}/usr/local/share/"
                         rf"man/man1/{name}\.1", p.stdout), p.stdout
    demo = (ROOT / "Makefile").read_text().split("\ndemo:", 1)[1]
    demo = demo.split("\n\n", 1)[0]
    assert "build/infx-exec" in demo and "build/infx-import" in demo


# --------------------------------------------------------------------------
# the plain form: keys of a .env to one folder

def test_dry_run_lists_keys_only(tool, server, dotenv):
    p = run(tool, ["--dry-run", dotenv], folder_env(server))
    assert p.returncode == 0, p.stderr
    assert lines(p) == [f"would create {k} in dev:/migrated"
                        for k in EXPECTED]
    assert server.requests == []
    for value in EXPECTED.values():
        if value:
            assert value.encode() not in p.stdout + p.stderr


def test_dry_run_needs_no_project_environment_or_identity(tool, dotenv):
    p = run(tool, ["--dry-run", "--path", "/n8n", "--keys",
                   "POSTGRES_PASSWORD", dotenv], {"PATH": BASE_PATH})
    assert p.returncode == 0, p.stderr
    assert lines(p) == ["would create POSTGRES_PASSWORD in /n8n"]
    assert p.stderr == b""


def test_upload_then_read_back_through_the_shim(tool, shim, data, server,
                                                dotenv):
    add_folder(data)
    p = run(tool, [dotenv], folder_env(server))
    assert p.returncode == 0, p.stderr
    assert lines(p) == [f"created {k} in dev:/migrated" for k in EXPECTED]
    w = [r for r in writes(server) if "/secrets/raw/" in r["path"]]
    assert [r["body"]["secretPath"] for r in w] == ["/migrated"] * 6
    assert all(r["body"]["workspaceId"] == PROJECT for r in w)
    p = run(shim, ["--path", "/migrated"] + ENV0, base_env(server))
    assert p.returncode == 0, p.stderr
    got = child_env(p.stdout)
    for k, v in EXPECTED.items():
        assert got[k.encode()] == v.encode(), k


def test_standard_input(tool, data, server):
    add_folder(data)
    p = run(tool, ["--keys", "B", "-"], folder_env(server),
            stdin=b"A=1\nB='two words'\n")
    assert p.returncode == 0, p.stderr
    assert lines(p) == ["created B in dev:/migrated"]
    assert folders_of(data)["/migrated"]["secrets"]["B"]["value"] == \
        "two words"
    p = run(tool, ["-"], folder_env(server), stdin=b"A=1\nbroken\n")
    assert fails_closed(p, program="infx-import", status=1) == \
        "infx-import: unable to read standard input: line 2: a line that " \
        "is not NAME=value (no '=')"


def test_chosen_keys_and_existing_ones(tool, data, server, dotenv):
    add_folder(data, secrets={"JWT_SECRET": "old"})
    env = folder_env(server)
    p = run(tool, ["--keys", "JWT_SECRET,POSTGRES_PASSWORD", dotenv], env)
    assert p.returncode == 0, p.stderr
    assert lines(p) == [
        "skipped JWT_SECRET in dev:/migrated (it exists; --overwrite "
        "replaces it)",
        "created POSTGRES_PASSWORD in dev:/migrated"]
    folder = folders_of(data)["/migrated"]
    assert folder["secrets"]["JWT_SECRET"] == "old"
    p = run(tool, ["--overwrite", "--keys=JWT_SECRET", dotenv], env)
    assert p.stdout == b"updated JWT_SECRET in dev:/migrated\n", p.stderr
    assert folder["secrets"]["JWT_SECRET"]["value"] == EXPECTED["JWT_SECRET"]
    p = run(tool, ["--keys", "NOT_IN_FILE", dotenv], env)
    assert fails_closed(p, program="infx-import", status=1) == \
        "infx-import: key 'NOT_IN_FILE' (--keys) is not in the file"


def test_write_refusals(tool, data, server, dotenv):
    """The first failure ends the run: one line, status 1."""
    p = run(tool, ["--keys", "EMPTY,MULTI", dotenv],
            folder_env(server, "/nope"))
    line = fails_closed(p, program="infx-import", status=1)
    assert "HTTP 404 NotFound: Folder with path '/nope'" in line
    assert not p.stdout and len(writes(server)) == 1
    add_folder(data)
    data["identities"][0]["readOnly"] = True
    p = run(tool, ["--keys", "EMPTY", dotenv], folder_env(server))
    line = fails_closed(p, program="infx-import", status=1)
    assert ("HTTP 403 PermissionDenied: You are not allowed to create on "
            "secrets") in line
    # A 400 BadRequest that is not "Secret already exist" is a refusal,
    # not a secret to skip.
    data["identities"][0]["readOnly"] = False
    server.add_fault("write", "status", status=400, error="BadRequest",
                     message="Secret value too long")
    p = run(tool, ["--keys", "EMPTY", dotenv], folder_env(server))
    line = fails_closed(p, program="infx-import", status=1)
    assert "HTTP 400 BadRequest: Secret value too long" in line
    assert "skipped" not in p.stdout.decode()


JWT_VALUE = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJzZXJ2aWNlLWEi"
             "fQ.TOPSECRETSIGNATUREPART")


@pytest.mark.parametrize("value", ["s3cr\u00e9t-value-42", JWT_VALUE],
                         ids=["non-ascii", "jwt"])
def test_an_echoed_value_is_masked(tool, data, server, tmp_path, value):
    """A refusal that quotes the value it was sent (a validation message)
    shows "***" instead: also a value with a byte the line shows as '?',
    and a JWT, which starts as the access token does (the two masks must
    not stop each other)."""
    add_folder(data)
    f = tmp_path / ".env"
    f.write_text(f"TOKEN={value}\n", encoding="utf-8")
    server.add_fault("write", "status", status=422, error="ValidationFailure",
                     message=f"secretValue: bad {value}")
    p = run(tool, [str(f)], folder_env(server))
    line = fails_closed(p, program="infx-import", status=1)
    assert line.endswith("secretValue: bad ***")
    assert value[-10:] not in line


def test_a_value_that_is_not_utf8_stops_before_any_request(tool, data,
                                                            server, tmp_path):
    """Infisical stores text: a Latin-1 value would be refused at its
    upload, after the keys before it were written. Refused first."""
    add_folder(data)
    f = tmp_path / ".env"
    f.write_bytes(b"FIRST=ok\nSECOND=caf\xe9\n")
    p = run(tool, [str(f)], folder_env(server))
    line = fails_closed(p, program="infx-import", status=1)
    assert line == (f"infx-import: unable to read '{f}': line 2: a value that "
                    "is not UTF-8 text, which Infisical cannot store (convert "
                    "the file, e.g. with iconv)")
    assert server.requests == []


def test_malformed_dotenv(tool, server, tmp_path):
    f = tmp_path / "bad.env"
    f.write_text("GOOD=1\nthis line is wrong\nSECRET=hunter2\n")
    p = run(tool, [str(f)], folder_env(server))
    line = fails_closed(p, program="infx-import", status=1)
    assert line == (f"infx-import: unable to read '{f}': line 2: a line "
                    f"that is not NAME=value (no '=')")
    assert server.requests == []
    p = run(tool, [str(tmp_path / "missing.env")], folder_env(server))
    assert "No such file or directory" in fails_closed(
        p, program="infx-import", status=1)


def test_reserved_names_are_not_uploaded(tool, data, server, tmp_path):
    add_folder(data)
    f = tmp_path / ".env"
    f.write_text("INFISICAL_PROJECT_ID=abc\nLD_PRELOAD=/x.so\nPATH=/bin\n"
                 "GOOD=1\n")
    p = run(tool, [str(f)], folder_env(server))
    assert p.returncode == 0, p.stderr
    reason = "(a reserved name: infx-exec would not set it)"
    assert lines(p) == [
        f"skipped INFISICAL_PROJECT_ID in dev:/migrated {reason}",
        f"skipped LD_PRELOAD in dev:/migrated {reason}",
        f"skipped PATH in dev:/migrated {reason}",
        "created GOOD in dev:/migrated"]
    assert b"no --keys: taking every key" in p.stderr


# --------------------------------------------------------------------------
# the layout form, with the stack's layout and .env.example

IMPORTER = {"identityId": "7e1d2c3b-importer", "clientId": "importer-id",
            "clientSecret": "importer-secret-0123456789"}
# Not in the stack's .env.example: the layout's header tells users to add
# them (their sources are files of searxng and open-webui).
ADDED = {"SEARXNG_SECRET": "v-searxng-secret",
         "WEBUI_SECRET_KEY": "v-webui-secret-key"}


def stack_data(*envs):
    """A project with empty environments (no folder but /), the importer
    (may write) and a reader (readOnly)."""
    return {
        "identities": [
            dict(IMPORTER, projects=[PROJECT]),
            {"identityId": "8f2e3d4c-reader", "clientId": MEMBER["id"],
             "clientSecret": MEMBER["secret"], "readOnly": True},
        ],
        "projects": {PROJECT: {"slug": "local-ai", "environments": {
            e: {} for e in envs or ("prod",)}}},
    }


def stack_env(server, env="prod", **extra):
    return base_env(server, **{
        "INFISICAL_ENVIRONMENT": env,
        "INFISICAL_UNIVERSAL_AUTH_CLIENT_ID": IMPORTER["clientId"],
        "INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET": IMPORTER["clientSecret"],
        **extra})


def filled_env_example():
    """The stack's .env.example, every key with a value given one of its
    own (v-key-name; those it leaves empty stay so), plus the keys the
    layout says to add: {key: value} and the text."""
    values, out = {}, []
    for line in (STACK / "env.example").read_text().splitlines():
        m = re.match(r"([A-Z][A-Z0-9_]*)=(?=\S)", line)
        if m:
            values[m.group(1)] = "v-" + m.group(1).lower().replace("_", "-")
            line = f"{m.group(1)}={values[m.group(1)]}"
        out.append(line)
    values.update(ADDED)
    out += [f"{k}={v}" for k, v in ADDED.items()]
    return values, "\n".join(out) + "\n"


@pytest.fixture
def stack_dotenv(tmp_path):
    values, text = filled_env_example()
    f = tmp_path / ".env"
    f.write_text(text)
    return str(f), values


def layout_model(tool, dotenv_path):
    """{folder: [names]} the layout creates, read by the binary itself (a
    dry run of the whole .env.example), and the skipped ones."""
    p = run(tool, ["--dry-run", "--layout", str(LAYOUT), dotenv_path],
            {"PATH": BASE_PATH})
    assert p.returncode == 0, p.stderr
    made, skipped, folders = {}, {}, []
    for line in lines(p):
        m = re.fullmatch(r"would create folder (/\S*)", line)
        if m:
            folders.append(m.group(1))
            continue
        m = re.fullmatch(r"(would create|skipped) (\w+) in (/\S*)(?: \((.*)\))?",
                         line)
        if m:
            target = made if m.group(1) == "would create" else skipped
            target.setdefault(m.group(3), []).append(m.group(2))
    return folders, made, skipped


def everything_dotenv(tmp_path):
    """A .env with every key the layout reads: the whole layout."""
    keys = sorted(set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)\}",
                                 LAYOUT.read_text())))
    f = tmp_path / "all.env"
    f.write_text("".join(f"{k}=v-{k.lower()}\n" for k in keys))
    return str(f)


def wrapped_services():
    """{service: (folders, required names, emptied names)} of the wrap
    files."""
    out = {}
    for name in WRAP_FILES:
        for svc, d in load(OVERRIDES / name)["services"].items():
            env = d["environment"]
            out[svc] = (env["INFISICAL_SECRET_PATH"].split(","),
                        [n for n in (env.get("INFX_REQUIRE") or "").split(",")
                         if n],
                        [k for k, v in env.items() if v == ""])
    return out


# Variables an override empties that no secret of the layout gives, and
# why: the current Supabase file sets none of them.
EMPTIED_NOT_IN_LAYOUT = {
    # Older Supabase files gave analytics LOGFLARE_API_KEY; the current one
    # gives it the two access tokens, which the layout holds.
    ("analytics", "LOGFLARE_API_KEY"),
}


def test_layout_gives_every_folder_and_secret_the_overrides_need(
        tool, tmp_path):
    """Each wrapped service's INFISICAL_SECRET_PATH folders exist in the
    layout, and every name it requires or empties is a secret of one of
    them: the layout and the overrides cannot drift."""
    folders, made, _ = layout_model(tool, everything_dotenv(tmp_path))
    services = wrapped_services()
    assert len(services) == 22
    problems = []
    for svc, (paths, required, emptied) in sorted(services.items()):
        for f in paths:
            if f not in folders:
                problems.append(f"{svc}: folder {f} is not in the layout")
        held = {n for f in paths for n in made.get(f, [])}
        for n in required + emptied:
            if n not in held and (svc, n) not in EMPTIED_NOT_IN_LAYOUT:
                problems.append(f"{svc}: {n} is in none of {paths}")
    assert not problems, problems
    for svc, n in EMPTIED_NOT_IN_LAYOUT:
        assert n in services[svc][2], "stale exception"
    # and nothing the overrides do not read: every folder is one of theirs
    read = {f for paths, _, _ in services.values() for f in paths}
    assert set(folders) - read == {"/supabase"}   # the references' sources


def test_layout_matches_the_tables_of_containers_md(tool, tmp_path):
    """docs/containers.md's two tables (the .env keys and the derived
    secrets) describe the same layout: same folders, names, renames and
    reference values (prod)."""
    from test_compose import documented_layout
    doc = documented_layout()
    doc.pop("/cloudflared")   # a service of your own, not of the stack
    _, made, _ = layout_model(tool, everything_dotenv(tmp_path))
    assert {f: sorted(n) for f, n in made.items()} == \
        {f: sorted(n) for f, n in doc.items()}
    # Where the docs give a value (the derived secrets), it is the
    # layout's with ENV=prod; the .env key of a renamed secret is the one
    # the docs name.
    layout = parse_layout_text(LAYOUT.read_text())
    for folder, secrets in doc.items():
        for name, value in secrets.items():
            mine = layout[folder][name].replace("${ENV.", "${prod.")
            if not value.startswith("v-"):
                assert mine == value, (folder, name)
    table = CONTAINERS_MD.read_text().split("| `.env` key |", 1)[1]
    table = table.split("\n\n", 1)[0]
    for key, folder, name in re.findall(
            r"^\| `([A-Z0-9_]+)` [^|]*\| `(/[\w/-]+)/([A-Z0-9_]+)`", table,
            re.M):
        assert layout[folder][name] == "${" + key + "}", (key, folder, name)


def parse_layout_text(text):
    """{folder: {name: value}}: a plain reading of the layout's lines (its
    values have no quotes), for the docs comparison."""
    out, folder = {}, None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            folder = line.strip("[]").strip()
            out.setdefault(folder, {})
            continue
        name, _, value = line.partition("=")
        out[folder][name] = value
    return out


def test_layout_dry_run(tool, stack_dotenv):
    """Names only, no request, no value; "ENV:" in front when an
    environment is set."""
    path, values = stack_dotenv
    p = run(tool, ["--dry-run", "--layout", str(LAYOUT), path],
            {"PATH": BASE_PATH})
    assert p.returncode == 0, p.stderr
    out = lines(p)
    assert "would create folder /supabase/auth" in out
    assert "would create SALT in /langfuse" in out
    assert "would create DB_POSTGRESDB_PASSWORD in /n8n" in out
    assert ("skipped FLOWISE_PASSWORD in /flowise (FLOWISE_PASSWORD is not "
            "in the .env file)") in out
    assert "not in the layout: POSTGRES_HOST" in out
    for v in values.values():
        assert v.encode() not in p.stdout + p.stderr
    p2 = run(tool, ["--dry-run", "-e", "staging", "--layout", str(LAYOUT),
                    path], {"PATH": BASE_PATH})
    assert "would create SALT in staging:/langfuse" in lines(p2)
    assert len(lines(p2)) == len(out)


def test_layout_import_of_the_stack_then_every_service_checks(
        tool, shim, stack_dotenv, tmp_path):
    """The whole migration: the layout import of the stack's .env.example
    (filled) into an empty environment creates every folder and secret,
    values from the .env, references for prod; the per-service check then
    passes for every wrapped service; a second run writes nothing."""
    path, values = stack_dotenv
    exe = runnable(shim, tmp_path)
    data = stack_data("prod")
    with InfisicalServer(data) as server:
        env = stack_env(server)
        p = run(tool, ["--layout", str(LAYOUT), path], env, timeout=120)
        assert p.returncode == 0, p.stderr
        assert p.stderr == b""
        out = lines(p)
        folders, made, skipped = layout_model(tool, path)
        assert [ln[len("created folder prod:"):] for ln in out
                if ln.startswith("created folder ")] == folders
        assert len(folders) == 22
        created = [ln for ln in out if re.match(r"created \w+ in ", ln)]
        assert len(created) == sum(map(len, made.values()))
        assert sorted(ln.split(" (")[0] for ln in out
                      if ln.startswith("skipped ")) == sorted(
            f"skipped {n} in prod:{f}" for f, ns in skipped.items()
            for n in ns)
        # What the .env.example leaves out: optional secrets, and what
        # refers to the one it lacks (PG_META_CRYPTO_KEY).
        assert skipped == {
            "/supabase": ["PG_META_CRYPTO_KEY"],
            "/flowise": ["FLOWISE_PASSWORD"],
            "/langfuse": ["LANGFUSE_INIT_PROJECT_SECRET_KEY",
                          "LANGFUSE_INIT_USER_PASSWORD", "REDIS_AUTH"],
            "/supabase/studio": ["PG_META_CRYPTO_KEY", "OPENAI_API_KEY"],
            "/supabase/auth": ["GOTRUE_EXTERNAL_GOOGLE_SECRET"],
            "/supabase/storage": ["S3_PROTOCOL_ACCESS_KEY_SECRET"],
            "/supabase/meta": ["CRYPTO_KEY"]}
        assert ("skipped CRYPTO_KEY in prod:/supabase/meta (it refers to "
                "PG_META_CRYPTO_KEY in /supabase, which is skipped)") in out
        assert ("skipped OPENAI_API_KEY in prod:/supabase/studio "
                "(OPENAI_API_KEY is empty in the .env file)") in out
        for v in values.values():
            assert v.encode() not in p.stdout + p.stderr
        # stored: values from the .env, references written for prod
        stored = folders_of(data, "prod")
        assert stored["/langfuse"]["secrets"]["SALT"]["value"] == \
            values["LANGFUSE_SALT"]
        assert stored["/langfuse"]["secrets"]["DATABASE_URL"]["value"] == \
            "postgresql://postgres:${prod.shared.POSTGRES_PASSWORD}@" \
            "postgres:5432/postgres"
        assert stored["/supabase/realtime"]["secrets"]["DB_ENC_KEY"][
            "value"] == "supabaserealtime"
        # The per-service check, with the importer (it reads every folder).
        c = subprocess.run([str(CHECK), "--exec", exe], env=env,
                           capture_output=True, timeout=300)
        assert c.returncode == 0, c.stdout.decode() + c.stderr.decode()
        report = c.stdout.decode().splitlines()
        assert sorted(ln.split()[1] for ln in report) == \
            sorted(wrapped_services())
        assert all(ln.startswith("ok ") for ln in report), report
        # what a service gets: values expanded by the server
        p = run(shim, ["--path", "/langfuse"] + ENV0, env)
        got = child_env(p.stdout)
        assert got[b"DATABASE_URL"] == (
            "postgresql://postgres:%s@postgres:5432/postgres"
            % values["POSTGRES_PASSWORD"]).encode()
        assert got[b"LANGFUSE_S3_EVENT_UPLOAD_SECRET_ACCESS_KEY"] == \
            values["MINIO_ROOT_PASSWORD"].encode()
        # again: every folder exists, every secret is skipped, no write
        server.clear_requests()
        p = run(tool, ["--layout", str(LAYOUT), path], env, timeout=120)
        assert p.returncode == 0, p.stderr
        assert sum(ln.startswith("folder prod:") and ln.endswith(" exists")
                   for ln in lines(p)) == 22
        assert sum(ln.endswith("(it exists; --overwrite replaces it)")
                   for ln in lines(p)) == len(created)
        assert [r["path"] for r in server.requests
                if r["method"] == "GET"] == ["/api/v1/folders"] * 2
        assert all("/secrets/raw/" in r["path"] for r in writes(server))


def test_check_services_names_what_is_missing(tool, shim, stack_dotenv,
                                               tmp_path):
    """A secret missing from a folder: that service FAILs, naming every
    missing name; the others pass; status 1. A secret exported in the
    caller's shell does not hide it."""
    path, _ = stack_dotenv
    exe = runnable(shim, tmp_path)
    data = stack_data("prod")
    with InfisicalServer(data) as server:
        env = stack_env(server)
        assert run(tool, ["--layout", str(LAYOUT), path], env,
                   timeout=120).returncode == 0
        langfuse = folders_of(data, "prod")["/langfuse"]["secrets"]
        del langfuse["SALT"], langfuse["NEXTAUTH_SECRET"]
        c = subprocess.run([str(CHECK), "--exec", exe],
                           env=dict(env, SALT="from-the-shell"),
                           capture_output=True, timeout=300)
        assert c.returncode == 1
        report = c.stdout.decode().splitlines()
        assert "FAIL  langfuse-web     /langfuse: missing SALT, " \
               "NEXTAUTH_SECRET" in report
        assert "FAIL  langfuse-worker  /langfuse: missing SALT" in report
        assert sum(ln.startswith("ok ") for ln in report) == 20
        # A reference to a secret that is gone is an error too (strict).
        del folders_of(data, "prod")["/shared"]["secrets"][
            "POSTGRES_PASSWORD"]
        c = subprocess.run([str(CHECK), "--exec", exe, str(OVERRIDES /
                            "infx-exec.yml")], env=env,
                           capture_output=True, timeout=300)
        report = c.stdout.decode().splitlines()
        n8n = [ln for ln in report if ln.split()[1] == "n8n"][0]
        assert n8n.startswith("FAIL  n8n              /n8n: infx-exec: "
                              "secret 'DB_POSTGRESDB_PASSWORD' still holds "
                              "a ${...} reference"), n8n
        # A login the server refuses stops the checks at once: one login
        # request, not one per service towards Infisical's lockout.
        logins = len([r for r in server.requests if "/auth/" in r["path"]])
        c = subprocess.run([str(CHECK), "--exec", exe,
                            str(OVERRIDES / "infx-exec.yml")],
                           env=dict(env, INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET=
                                    "wrong"), capture_output=True,
                           timeout=300)
        assert c.returncode == 1
        report = c.stdout.decode().splitlines()
        assert len(report) == 1 and report[0].startswith("FAIL ") and \
            "login failed: HTTP 401" in report[0], report
        assert c.stderr.decode() == ("check-services: the login failed; the "
                                     "other services were not checked\n")
        assert len([r for r in server.requests
                    if "/auth/" in r["path"]]) == logins + 1


def test_check_services_without_infx_exec_says_so_once(tmp_path):
    """No binary where it looks (no bin/, none on PATH, or a wrong
    --exec): one line and status 2, not a FAIL per service."""
    for args, env in (([], {"PATH": "/usr/bin:/bin"}),
                      (["--exec", str(tmp_path / "nope")], None)):
        p = subprocess.run([str(CHECK), *args], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 2, p
        assert p.stdout == ""
        assert p.stderr.startswith("check-services: no infx-exec at '"), \
            p.stderr
        assert len(p.stderr.splitlines()) == 1


def test_check_services_reads_the_overrides_as_yaml_does():
    """--list: the services, folders, required names and allow-empty the
    script reads from the override files, the same as a YAML parser."""
    p = subprocess.run([str(CHECK), "--list"], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    got = [ln.split("\t") for ln in p.stdout.splitlines()]
    want = []
    for name in WRAP_FILES:
        for svc, d in load(OVERRIDES / name)["services"].items():
            env = d["environment"]
            want.append([svc, env["INFISICAL_SECRET_PATH"],
                         env.get("INFX_REQUIRE") or "-",
                         str(env.get("INFX_ALLOW_EMPTY", "false")).lower()])
    assert got == want
    p = subprocess.run(["sh", str(CHECK), "--bogus"], capture_output=True,
                       timeout=60)
    assert p.returncode == 2
    p = subprocess.run(["sh", str(CHECK), "--help"], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0 and "It checks the data" in p.stdout


def test_layout_references_follow_the_environment(tool, stack_dotenv):
    """${ENV.x.KEY} is written for the environment imported into."""
    path, _ = stack_dotenv
    data = stack_data("staging")
    with InfisicalServer(data) as server:
        p = run(tool, ["--layout", str(LAYOUT), path],
                stack_env(server, "staging"), timeout=120)
        assert p.returncode == 0, p.stderr
        n8n = folders_of(data, "staging")["/n8n"]["secrets"]
        assert n8n["DB_POSTGRESDB_PASSWORD"]["value"] == \
            "${staging.shared.POSTGRES_PASSWORD}"


SMALL_LAYOUT = """\
[/shared]
PASSWORD=${DB_PASS}
[/a/b]
URL=postgres://u:${ENV.shared.PASSWORD}@db/x
[/a/c]
"""


def test_folders_are_made_parents_first_and_existing_ones_kept(tool,
                                                               tmp_path):
    layout = tmp_path / "layout.env"
    layout.write_text(SMALL_LAYOUT)
    f = tmp_path / ".env"
    f.write_text("DB_PASS=s3cret\n")
    data = stack_data("prod")
    data["projects"][PROJECT]["environments"]["prod"] = {"folders": {
        "/shared": {"secrets": {"PASSWORD": "kept"}}}}
    with InfisicalServer(data) as server:
        p = run(tool, ["--layout", str(layout), str(f)], stack_env(server))
        assert p.returncode == 0, p.stderr
        assert lines(p) == [
            "folder prod:/shared exists",
            "created folder prod:/a",
            "created folder prod:/a/b",
            "created folder prod:/a/c",
            "skipped PASSWORD in prod:/shared (it exists; --overwrite "
            "replaces it)",
            "created URL in prod:/a/b"]
        # One listing of / (the parent of /shared and /a); /a was made
        # here, so its children are known.
        calls = [(r["method"], r["path"], r["body"] or r["query"].get("path"))
                 for r in server.requests if "folders" in r["path"]]
        assert calls == [
            ("GET", "/api/v1/folders", ["/"]),
            ("POST", "/api/v1/folders", {"workspaceId": PROJECT,
                                         "environment": "prod", "name": "a",
                                         "path": "/"}),
            ("POST", "/api/v1/folders", {"workspaceId": PROJECT,
                                         "environment": "prod", "name": "b",
                                         "path": "/a"}),
            ("POST", "/api/v1/folders", {"workspaceId": PROJECT,
                                         "environment": "prod", "name": "c",
                                         "path": "/a"})]
        stored = folders_of(data, "prod")
        assert stored["/shared"]["secrets"]["PASSWORD"] == "kept"
        assert stored["/a/c"] == {"secrets": {}}
        p = run(tool, ["--overwrite", "--layout", str(layout), str(f)],
                stack_env(server))
        assert "updated PASSWORD in prod:/shared" in lines(p)
        assert stored["/shared"]["secrets"]["PASSWORD"]["value"] == "s3cret"


@pytest.mark.parametrize("text", [
    "[/bad name]\nA=1\n",
    "[/a/]\nA=1\n",
    "[relative]\nA=1\n",
    "A=1\n[/a]\n",
    "[/a]\nLD_PRELOAD=x\n",
    "[/a]\nPATH=x\n",
    "[/a]\ndotted.name=x\n",
    "[/a]\nA=1\n[/b]\nB=2\n[/a]\nA=3\n",
    "[/a]\nA=\n",
    "[/a]\nA=${prod.a.B}\n",
    "[/a]\nA=${lower case}\n",
    "[/a]\nA=${ENV.nowhere.B}\n",
    "[/a]\nA=${ENV.a.B}\nB=${ENV.a.C}\nC=${ENV.a.A}\n",
    "[/a]\nA=${OPEN\n",
    "[/a\nA=1\n",
    "[/a]\nA='open\n",
], ids=["space-in-folder", "trailing-slash", "relative-folder",
        "before-a-section", "refused-name", "dropped-name", "dotted-name",
        "twice", "empty-value", "literal-environment", "bad-placeholder",
        "dangling-reference", "circle", "unterminated-placeholder",
        "unterminated-section", "unterminated-quote"])
def test_layout_errors_before_any_request(tool, server, tmp_path, text):
    layout = tmp_path / "layout.env"
    layout.write_text(text)
    f = tmp_path / ".env"
    f.write_text("A=1\n")
    p = run(tool, ["--layout", str(layout), str(f)],
            base_env(server, INFISICAL_ENVIRONMENT="prod"))
    line = fails_closed(p, program="infx-import", status=1)
    assert line.startswith(f"infx-import: unable to read the layout "
                           f"'{layout}': line ")
    assert not p.stdout and server.requests == []


def test_folder_refusals(tool, stack_dotenv):
    """A read-only identity cannot make a folder (403, as the server's
    permission check comes first); an unknown environment is a 404 on the
    first listing. One line, status 1, no secret written."""
    path, _ = stack_dotenv
    with InfisicalServer(stack_data("prod")) as server:
        env = stack_env(server, INFISICAL_UNIVERSAL_AUTH_CLIENT_ID=MEMBER["id"],
                        INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET=MEMBER[
                            "secret"])
        p = run(tool, ["--layout", str(LAYOUT), path], env)
        assert fails_closed(p, program="infx-import", status=1) == (
            "infx-import: unable to create folder 'shared' in prod:/: HTTP "
            "403 PermissionDenied: You are not allowed to create on "
            "secret-folders; check the identity's role in the project (it "
            "must be allowed to create folders and secrets there)")
        assert all(ln.startswith("not in the layout: ") for ln in lines(p))
        p = run(tool, ["--layout", str(LAYOUT), path],
                stack_env(server, "nope"))
        assert fails_closed(p, program="infx-import", status=1) == (
            "infx-import: unable to list the folders of nope:/: HTTP 404 "
            "NotFound: Environment with slug 'nope' not found; check "
            "INFISICAL_PROJECT_ID, INFISICAL_ENVIRONMENT and the folder")
        assert not [r for r in writes(server)
                    if "/secrets/raw/" in r["path"]]


def test_a_stop_signal_ends_the_import(tool, stack_dotenv):
    """SIGTERM while a write waits for the server: one line, status 1,
    what was done is on stdout."""
    path, _ = stack_dotenv
    with InfisicalServer(stack_data("prod")) as server:
        server.add_fault("write", "delay", times=1, seconds=20)
        proc = subprocess.Popen(shim_command(tool, ["--layout", str(LAYOUT),
                                                    path]),
                                env=stack_env(server),
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while not [r for r in server.requests if "/secrets/raw/" in
                   r["path"]] and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    p = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    assert fails_closed(p, program="infx-import", status=1) == \
        "infx-import: stopped by SIGTERM; run infx-import again to finish " \
        "(what exists is skipped)"
    assert out.decode().splitlines()[-1] == "created folder prod:/supabase/supavisor"


def test_the_env_cleanup_of_containers_md(tmp_path):
    """The documented clean-up removes every key the layout reads from a
    .env (export prefixes and blanks included) and keeps the rest."""
    block = re.search(r"<!-- env-cleanup -->\s*```sh\n(.*?)```",
                      CONTAINERS_MD.read_text(), re.S).group(1)
    values, text = filled_env_example()
    text += "export  VAULT_ENC_KEY = exported\n  DASHBOARD_PASSWORD=x\n"
    # KEY appears in the layout's comments ("${KEY} the value of KEY"),
    # never in a secret: a .env key of that name stays.
    text += "KEY=not-in-the-layout\n"
    (tmp_path / ".env").write_text(text)
    (tmp_path / "compose-overrides").symlink_to(OVERRIDES)
    p = subprocess.run(["sh", "-ec", textwrap.dedent(block)], cwd=tmp_path,
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    left = (tmp_path / ".env").read_text()
    read = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)\}", "".join(
        line for line in LAYOUT.read_text().splitlines(True)
        if not line.lstrip().startswith("#"))))
    assert "KEY=not-in-the-layout\n" in left
    for key in values:
        kept = re.search(rf"^\s*(export\s+)?{key}\s*=", left, re.M)
        assert bool(kept) == (key not in read), key
    assert (tmp_path / ".env.bak").read_text() == text


# --------------------------------------------------------------------------
# README's examples, run as written

def readme_block(marker):
    text = (ROOT / "README.md").read_text()
    m = re.search(rf"<!-- {marker} -->\s*```sh\n(.*?)```", text, re.S)
    assert m, f"README.md: no {marker} block"
    return m.group(1)


def test_readme_import_examples_run_as_written(shim, tmp_path):
    """README's import commands, run by sh from a directory holding the
    build (the binaries under test), compose-overrides/ and a .env (the
    stack's .env.example, filled), with the Infisical settings the README
    says to set first."""
    block = readme_block("import-examples")
    commands = [ln for ln in block.splitlines()
                if ln.strip() and not ln.lstrip().startswith("#")]
    assert any("--dry-run --layout" in c for c in commands)
    assert any("check-services.sh" in c for c in commands)
    if RUNNER:      # the build's programs, started through the runner
        (tmp_path / "build").mkdir()
        for program in (shim, os.path.join(os.path.dirname(shim),
                                           "infx-import")):
            runnable(program, tmp_path / "build")
    else:
        (tmp_path / "build").symlink_to(os.path.dirname(shim))
    (tmp_path / "compose-overrides").symlink_to(OVERRIDES)
    _, text = filled_env_example()
    (tmp_path / ".env").write_text(text)
    with InfisicalServer(stack_data("prod")) as server:
        for c in commands:
            # the dry run needs nothing but the files
            env = {"PATH": BASE_PATH} if "--dry-run" in c else \
                stack_env(server)
            p = subprocess.run(["sh", "-ec", c], cwd=tmp_path, env=env,
                               capture_output=True, timeout=300)
            assert p.returncode == 0, (c, p.stdout, p.stderr)
        assert len(folders_of(server.data, "prod")) == 22
        assert p.stdout.decode().count("\nok ") == 21   # and the first
    # the names of the README's settings are those of the tool
    prose = (ROOT / "README.md").read_text().split("<!-- import-examples -->")[0]
    prose = prose.rstrip().rsplit("\n\n", 1)[-1]
    for var in ("INFISICAL_API_URL", "INFISICAL_PROJECT_ID",
                "INFISICAL_ENVIRONMENT"):
        assert var in prose, var


def test_readme_names_no_command_that_does_not_exist():
    for c in readme_block("import-examples").splitlines():
        words = shlex.split(c, comments=True)
        if words:
            assert words[0] in ("build/infx-import",
                                "compose-overrides/check-services.sh"), c


# --------------------------------------------------------------------------
# the test server's folder routes, as infisical-api.md 2.6 describes them

def login(server, ident):
    body = json.dumps({"clientId": ident["clientId"],
                       "clientSecret": ident["clientSecret"]}).encode()
    req = urllib.request.Request(
        server.url + "/api/v1/auth/universal-auth/login", data=body,
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)["accessToken"]


def api(server, token, method, path, body=None):
    req = urllib.request.Request(
        server.url + path, method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json",
                 "Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def test_server_folder_routes():
    data = stack_data("prod")
    with InfisicalServer(data) as server:
        tok = login(server, IMPORTER)
        new = {"workspaceId": PROJECT, "environment": "prod", "name": "c",
               "path": "/a/b"}
        st, one = api(server, tok, "POST", "/api/v1/folders", new)
        assert st == 200 and one["folder"]["name"] == "c"
        assert set(one["folder"]) == {"id", "name", "version", "createdAt",
                                      "updatedAt", "envId", "parentId",
                                      "isReserved"}
        # idempotent: the same folder (id) again
        assert api(server, tok, "POST", "/api/v1/folders", new) == (st, one)
        # mkdir -p: /a and /a/b were made on the way
        q = "/api/v1/folders?workspaceId=%s&environment=prod&path=" % PROJECT
        st, ls = api(server, tok, "GET", q + "/")
        assert [f["name"] for f in ls["folders"]] == ["a"]
        st, ls = api(server, tok, "GET", q + "/a/b")
        assert [f["id"] for f in ls["folders"]] == [one["folder"]["id"]]
        assert api(server, tok, "GET", q + "/no/such")[1] == {"folders": []}
        st, err = api(server, tok, "POST", "/api/v1/folders",
                      dict(new, environment="nope"))
        assert (st, err["error"]) == (404, "NotFound")
        assert err["message"] == ("Environment with slug 'nope' in project "
                                  "with ID '%s' not found" % PROJECT)
        st, err = api(server, tok, "GET", q.replace("prod", "nope") + "/")
        assert (st, err["message"]) == (404, "Environment with slug 'nope' "
                                             "not found")
        st, err = api(server, tok, "POST", "/api/v1/folders",
                      dict(new, name="bad name!"))
        assert (st, err["message"]) == (500, "Something went wrong")
        reader = login(server, {"clientId": MEMBER["id"],
                                "clientSecret": MEMBER["secret"]})
        st, err = api(server, reader, "POST", "/api/v1/folders", new)
        assert (st, err["error"]) == (403, "PermissionDenied")
        assert api(server, reader, "GET", q + "/")[0] == 200

