"""The command's exact environment: inherited variables plus secrets, byte
for byte; preserve, require, references, reserved names, kernel limits;
--check."""
import os

import pytest

from conftest import (CREDENTIAL_VARS, DEV_ROOT, ENV0, PROJECT, as_bytes, base_env,
                      child_env, exact_env, run, fails_closed, folder)


@exact_env
def test_command_gets_exactly_inherited_plus_secrets(shim, server):
    env = base_env(server, KEEP_ME="inherited value")
    p = run(shim, ENV0, env)
    assert p.returncode == 0, p.stderr
    assert p.stderr == b""
    expected = {k: v for k, v in env.items() if k not in CREDENTIAL_VARS}
    expected.update(DEV_ROOT)
    assert child_env(p.stdout) == as_bytes(expected)


def test_secret_overrides_inherited_variable(shim, server):
    p = run(shim, ENV0, base_env(server, API_KEY="from-compose"))
    assert child_env(p.stdout)[b"API_KEY"] == b"fake-api-key-123"


def test_values_are_byte_exact(shim, data, server):
    values = {
        "NEWLINES": "a\nb\r\nc\n",
        "QUOTES": "'single' \"double\" `back`",
        "DOLLAR": "$HOME ${PATH} $(id) \\$x",
        "BACKSLASH": "C:\\path\\n\\\\",
        "UTF8": "p\u00e4ss \u2603 \U0001f511",
        "EMPTY": "",
        "EQUALS": "a=b==c=",
        "SPACES": "  leading and trailing  ",
    }
    data["projects"][PROJECT]["environments"]["dev"]["folders"]["/v"] = {
        "secrets": values}
    p = run(shim, ENV0, base_env(server, INFISICAL_SECRET_PATH="/v"))
    assert p.returncode == 0, p.stderr
    got = child_env(p.stdout)
    for k, v in values.items():
        assert got[k.encode()] == v.encode(), k


def test_unusual_names_pass_unchanged(shim, data, server):
    values = {"my.key": "1", "A-B": "2", "with space": "3", "lower": "4"}
    data["projects"][PROJECT]["environments"]["dev"]["folders"]["/n"] = {
        "secrets": values}
    p = run(shim, ENV0, base_env(server, INFISICAL_SECRET_PATH="/n"))
    assert p.returncode == 0, p.stderr
    got = child_env(p.stdout)
    assert {k: got[k.encode()] for k in values} == \
        {k: v.encode() for k, v in values.items()}


@pytest.mark.parametrize("name", ["", "A=B"])
def test_secret_name_that_cannot_be_a_variable(shim, data, server, tmp_path,
                                               name):
    data["projects"][PROJECT]["environments"]["dev"]["folders"]["/bad"] = {
        "secrets": {"GOOD": "1", name: "the-value"}}
    marker = tmp_path / "ran"
    env = base_env(server, INFISICAL_SECRET_PATH="/bad")
    line = fails_closed(run(shim, ["--", "touch", str(marker)], env), marker)
    assert "the-value" not in line
    assert (f"secret '{name}'" if name else "empty name") in line


def test_preserve_env(shim, server):
    env = base_env(server, API_KEY="from-compose", OTHER_KEY="compose-other")
    p = run(shim, ["--preserve-env"] + ENV0, env)
    got = child_env(p.stdout)
    assert got[b"API_KEY"] == b"from-compose"
    assert got[b"OTHER_KEY"] == b"compose-other"
    assert got[b"DATABASE_URL"] == DEV_ROOT["DATABASE_URL"].encode()
    p = run(shim, ["--preserve-env=API_KEY"] + ENV0, env)
    got = child_env(p.stdout)
    assert got[b"API_KEY"] == b"from-compose"
    assert got[b"OTHER_KEY"] == b"other-value"
    for value, api, other in (("true", b"from-compose", b"compose-other"),
                              ("OTHER_KEY", b"fake-api-key-123",
                               b"compose-other"),
                              ("false", b"fake-api-key-123",
                               b"other-value")):
        p = run(shim, ENV0, dict(env, INFX_PRESERVE_ENV=value))
        got = child_env(p.stdout)
        assert (got[b"API_KEY"], got[b"OTHER_KEY"]) == (api, other), value


def test_preserve_env_names_without_equals_are_refused(shim, server, tmp_path):
    """`--preserve-env API_KEY -- app`: the names of an optional argument go
    after '=', so API_KEY would be the command; refused before any request,
    saying how to write it. A command after a bare --preserve-env runs."""
    marker = tmp_path / "ran"
    p = run(shim, ["--preserve-env", "API_KEY,OTHER_KEY", "--", "touch",
                   str(marker)], base_env(server))
    assert p.returncode == 125
    assert p.stderr.decode() == (
        "infx-exec: --preserve-env takes its names after '=': write "
        "--preserve-env=API_KEY,OTHER_KEY (as written, 'API_KEY,OTHER_KEY' "
        "is the command)\n"
        "Try 'infx-exec --help' for more information.\n")
    assert not marker.exists() and server.requests == []
    p = run(shim, ["--preserve", "API_KEY", "--", "true"], base_env(server))
    assert p.returncode == 125 and server.requests == [], p.stderr
    assert b"write --preserve-env=API_KEY" in p.stderr
    p = run(shim, ["--preserve-env", "touch", str(marker)], base_env(server))
    assert p.returncode == 0 and marker.exists(), p.stderr


@pytest.mark.parametrize("how", ["flag", "variable"])
def test_require(shim, server, how, tmp_path):
    marker = tmp_path / "ran"

    def go(names, **extra):
        args = (["--require", names] if how == "flag" else [])
        env = base_env(server, **extra)
        if how == "variable":
            env["INFX_REQUIRE"] = names
        return run(shim, args + ["--", "touch", str(marker)], env)

    assert go("API_KEY,DATABASE_URL").returncode == 0
    assert marker.exists()
    marker.unlink()
    line = fails_closed(go("API_KEY, NOT_THERE"))
    assert "required variable 'NOT_THERE' is not set" in line
    line = fails_closed(go("EMPTY_ONE", EMPTY_ONE=""))
    assert "required variable 'EMPTY_ONE' is empty" in line
    assert not marker.exists()


def test_require_counts_inherited_and_empty_secret(shim, data, server):
    folder(data, "/e", {"BLANK": "", "X": "1"})
    p = run(shim, ["--require", "FROM_COMPOSE"] + ENV0,
            base_env(server, FROM_COMPOSE="yes", INFISICAL_SECRET_PATH="/e"))
    assert p.returncode == 0, p.stderr
    line = fails_closed(run(shim, ["--require", "BLANK"] + ENV0,
                                base_env(server, INFISICAL_SECRET_PATH="/e")))
    assert "required variable 'BLANK' is empty" in line


def test_unresolved_reference_warns_by_name(shim, server):
    p = run(shim, ENV0, base_env(server, INFISICAL_ENVIRONMENT="qa"))
    assert p.returncode == 0
    assert child_env(p.stdout)[b"REF_MISSING"] == b"${DOES_NOT_EXIST}"
    err = p.stderr.decode()
    assert ("infx-exec: warning: secret 'REF_MISSING' still holds a ${...} "
            "reference after expansion: a missing or empty secret, or a "
            "cycle\n") in err
    assert "DOES_NOT_EXIST" not in err


def test_unresolved_reference_is_an_error_when_strict(shim, server,
                                                      tmp_path):
    marker = tmp_path / "ran"
    for args, env in ((["--strict"], {}), ([], {"INFX_STRICT": "true"})):
        p = run(shim, args + ["--", "touch", str(marker)],
                base_env(server, INFISICAL_ENVIRONMENT="qa", **env))
        line = fails_closed(p)
        assert "still holds a ${...} reference" in line
        assert "secret 'REF_MISSING'" in line or "secret 'CYCLE_" in line
        assert "DOES_NOT_EXIST" not in line and not marker.exists()


def test_unterminated_reference_is_not_a_reference(shim, server):
    p = run(shim, ["--strict"] + ENV0, base_env(server))
    assert p.returncode == 0, p.stderr      # SPECIAL_CHARS has "${NOT_A_REF"


@pytest.mark.parametrize("name", ["LD_PRELOAD", "LD_LIBRARY_PATH",
                                  "LD_AUDIT", "GCONV_PATH", "GLIBC_TUNABLES",
                                  "INFISICAL_TOKEN", "INFISICAL_API_URL",
                                  "INFX_USER"])
def test_reserved_names_are_refused(shim, data, server, tmp_path, name):
    folder(data, "/r", {"OK": "1", name: "/tmp/evil.so"})
    marker = tmp_path / "ran"
    p = run(shim, ["--", "touch", str(marker)],
            base_env(server, INFISICAL_SECRET_PATH="/r"))
    line = fails_closed(p)
    assert f"secret '{name}' may not set a reserved variable" in line
    assert "evil" not in line and not marker.exists()


def test_reserved_name_can_be_allowed(shim, data, server):
    folder(data, "/r", {"LD_LIBRARY_PATH": "/opt/app/lib"})
    for args, env in ((["--allow-reserved", "LD_LIBRARY_PATH"], {}),
                      ([], {"INFX_ALLOW_RESERVED": "X,LD_LIBRARY_PATH"})):
        p = run(shim, args + ENV0,
                base_env(server, INFISICAL_SECRET_PATH="/r", **env))
        assert p.returncode == 0, p.stderr
        assert child_env(p.stdout)[b"LD_LIBRARY_PATH"] == b"/opt/app/lib"


@exact_env
@pytest.mark.parametrize("name", ["PATH", "HOME", "USER", "SHELL", "TERM",
                                  "PWD", "LC_ALL", "XDG_RUNTIME_DIR"])
def test_container_names_are_dropped_with_a_warning(shim, data, server, name):
    folder(data, "/c", {"APP": "1", name: "from-infisical"})
    env = base_env(server, INFISICAL_SECRET_PATH="/c")
    env[name] = "from-container"
    p = run(shim, ENV0, env)
    assert p.returncode == 0, p.stderr
    got = child_env(p.stdout)
    assert got[name.encode()] == b"from-container"
    assert got[b"APP"] == b"1"
    assert p.stderr.decode() == (
        f"infx-exec: warning: secret '{name}' is not applied: it names a "
        f"variable of the container itself (allow it with "
        f"INFX_ALLOW_RESERVED={name})\n")


def test_value_over_the_kernel_string_limit(shim, data, server, tmp_path):
    folder(data, "/big", {"SMALL": "x", "HUGE": "v" * (128 * 1024)})
    marker = tmp_path / "ran"
    p = run(shim, ["--", "touch", str(marker)],
            base_env(server, INFISICAL_SECRET_PATH="/big"))
    line = fails_closed(p)
    assert "variable 'HUGE' is 131077 bytes" in line
    assert not marker.exists()
    folder(data, "/fits", {"FITS": "v" * (128 * 1024 - 6)})
    p = run(shim, ["--", "true"],
            base_env(server, INFISICAL_SECRET_PATH="/fits"))
    assert p.returncode == 0, p.stderr


def test_environment_over_arg_max(shim, data, server, tmp_path):
    arg_max = os.sysconf("SC_ARG_MAX")
    n = arg_max // (100 * 1024) + 2
    folder(data, "/many", {f"K{i}": "v" * (100 * 1024) for i in range(n)})
    marker = tmp_path / "ran"
    # A relative path: the byte count in the message (and its golden file)
    # does not depend on the length of pytest's temporary folder.
    p = run(shim, ["--", "touch", marker.name],
            base_env(server, INFISICAL_SECRET_PATH="/many"), cwd=tmp_path)
    line = fails_closed(p)
    assert f"more than the {arg_max} the kernel allows (ARG_MAX)" in line
    assert not marker.exists()


def test_check_lists_names_and_sources_only(shim, data, server, tmp_path):
    folder(data, "/c", {"PATH": "/evil", "APP": "v1"},
           imports=[{"environment": "staging", "secretPath": "/"}])
    marker = tmp_path / "ran"
    p = run(shim, ["--check", "--path", "/", "--path", "/c", "--",
                   "touch", str(marker)], base_env(server))
    assert p.returncode == 0, p.stderr
    assert not marker.exists()
    lines = p.stdout.decode().splitlines()
    assert sorted(lines) == sorted([
        "REF_FOLDER\t/", "OTHER_KEY\t/", "SPECIAL_CHARS\t/",
        "API_KEY\timport staging:/",  # /c comes later and imports it
        "REF_CROSS\t/", "MULTILINE_PEM\t/", "DATABASE_URL\t/",
        "REF_LOCAL\t/", "IMPORTED_ONLY\timport staging:/", "APP\t/c",
    ])
    out = p.stdout + p.stderr
    for value in list(DEV_ROOT.values()) + ["v1", "/evil"]:
        assert value.encode() not in out
    assert b"secret 'PATH' is not applied" in p.stderr


def test_check_fails_like_a_run(shim, server):
    p = run(shim, ["--check"] + ENV0,
            base_env(server, INFISICAL_ENVIRONMENT="nope"))
    assert "no secrets in" in fails_closed(p)
    p = run(shim, ENV0, base_env(server, INFX_CHECK="true"))
    assert p.returncode == 0 and b"API_KEY\t/\n" in p.stdout


def test_preserve_env_takes_any_boolean_spelling(shim, server):
    env = base_env(server, API_KEY="from-compose")
    for value in ("yes", "1", "ON", "True"):
        p = run(shim, ENV0, dict(env, INFX_PRESERVE_ENV=value))
        assert child_env(p.stdout)[b"API_KEY"] == b"from-compose", value


def test_check_needs_no_command(shim, server):
    p = run(shim, ["--check"], base_env(server))
    assert p.returncode == 0, p.stderr
    assert b"API_KEY\t/\n" in p.stdout


def test_check_output_cannot_be_forged(shim, data, server):
    folder(data, "/f", {"GOOD\tinjected\nFAKE\x1b[31m": "v"},
           imports=[{"environment": "staging", "secretPath": "/"}])
    p = run(shim, ["--check", "--path", "/f"], base_env(server))
    assert p.returncode == 0, p.stderr
    lines = p.stdout.decode().splitlines()
    assert "GOOD?injected?FAKE?[31m\t/f" in lines
    assert all(line.count("\t") == 1 for line in lines)
    assert b"\x1b" not in p.stdout


@pytest.mark.parametrize("name", ["NODE_OPTIONS", "BASH_ENV", "PYTHONPATH",
                                  "JAVA_TOOL_OPTIONS", "SSL_CERT_FILE",
                                  "PERL5OPT", "LOCPATH", "BASH_FUNC_id%%",
                                  "SHELLOPTS", "PS4", "RUBYLIB"])
def test_runtime_hooks_are_reserved(shim, data, server, name):
    folder(data, "/h", {"OK": "1", name: "--require /tmp/evil.js"})
    p = run(shim, ENV0, base_env(server, INFISICAL_SECRET_PATH="/h"))
    assert f"secret '{name}' may not set a reserved variable" in \
        fails_closed(p)


def test_bash_functions_and_xtrace_never_reach_bash(shim, data, server,
                                                    tmp_path):
    """An exported bash function replaces a command in the app's scripts;
    SHELLOPTS=xtrace prints every expanded line, secrets included: both
    refused before bash runs."""
    marker = tmp_path / "ran"
    folder(data, "/b", {"OK": "1", "BASH_FUNC_id%%": "() { echo HIJACKED; }",
                        "SHELLOPTS": "xtrace"})
    p = run(shim, ["--", "bash", "-c", f"id -u > {marker}"],
            base_env(server, INFISICAL_SECRET_PATH="/b"))
    assert "may not set a reserved variable" in fails_closed(p, marker)
    assert b"HIJACKED" not in p.stdout + p.stderr
