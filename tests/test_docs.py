"""The documentation against the binary: the man page (docs/infx-exec.1)
and docs/configuration.md must name every option and variable of --help,
and nothing --help does not have. A new flag or variable fails here until
it is documented; a stale one fails until it is removed."""
import re
import shutil
import subprocess

import pytest

from conftest import BASE_PATH, ROOT, run

MAN = ROOT / "docs" / "infx-exec.1"
CONFIG_MD = ROOT / "docs" / "configuration.md"

# Variables --help names: the shim's own, and the TLS ones.
HELP_VAR = re.compile(r"\b(?:INFISICAL_|INFX_|SSL_)[A-Z0-9_]+\b")
PROXY_VAR = re.compile(r"\b[a-z]+_proxy\b")


# --------------------------------------------------------------- parsers

def help_text(shim):
    p = run(shim, ["--help"], {"PATH": BASE_PATH})
    assert p.returncode == 0 and p.stderr == b"", p.stderr
    return p.stdout.decode()


def help_options(text):
    """{long name: (short letter or None, argument, variable or None)} from
    the option lines of --help; argument is None, "required" (--opt ARG,
    --opt=ARG) or "optional" (--opt[=ARG])."""
    opts = {}
    line_re = re.compile(
        r"^\s+(?:-([A-Za-z]), )?--([a-z][a-z0-9-]*)"
        r"(\[=[^\]\s]+\]|=\S+"
        r"| (?!INFISICAL_|INFX_)[A-Z][A-Z_:\[\]]*(?=\s|$))?")
    for line in text.splitlines():
        m = line_re.match(line)
        if not m:
            continue
        short, name, arg = m.groups()
        kind = None if not arg else \
            "optional" if arg.startswith("[=") else "required"
        var = re.search(r"\b(?:INFISICAL|INFX)_[A-Z0-9_]+", line[m.end():])
        opts[name] = (short, kind, var.group(0) if var else None)
    assert len(opts) >= 10, f"could not parse the options of --help: {opts}"
    return opts


def man_lines(man=MAN):
    """The man page's lines, roff continuations (a trailing backslash)
    joined, comments left out."""
    text = man.read_text().replace("\\\n", "")
    return [ln for ln in text.splitlines() if not ln.startswith('.\\"')]


def man_sections(man=MAN):
    """{section name: [lines]} of the man page (man: another page)."""
    sections, current = {}, None
    for line in man_lines(man):
        if line.startswith(".Sh "):
            current = line[4:].strip().strip('"')
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
    return sections


def section(name, man=MAN):
    sections = man_sections(man)
    assert name in sections, f"the man page has no {name} section"
    return sections[name]


def flag_name(token):
    """'-api-url' or '\\-api-url' (a long option) or 'hV' (short ones)."""
    token = token.replace("\\-", "-")
    return ("long", token[1:]) if token.startswith("-") else ("short", token)


def man_options(man=MAN):
    """{long name: (short letter or None, argument)} from the .It lines of
    the OPTIONS section; argument as in help_options."""
    opts = {}
    for line in section("OPTIONS", man):
        if not line.startswith(".It "):
            continue
        words = line.split()
        longs, shorts, kinds = [], [], []
        for i, w in enumerate(words):
            if w != "Fl" or i + 1 >= len(words):
                continue
            kind, name = flag_name(words[i + 1])
            (longs if kind == "long" else shorts).append(name)
            rest = words[i + 2:i + 5]
            kinds.append("optional" if rest[:3] == ["Ns", "Op", "="] else
                         "required" if rest[:1] == ["Ar"] or
                         rest[:3] == ["Ns", "=", "Ns"] else None)
        for name in longs:
            opts[name] = (shorts[0] if shorts else None, kinds[-1])
    return opts


def option_entries():
    """{long name: the text of its OPTIONS entry, .It line included}."""
    entries, names = {}, []
    for line in section("OPTIONS"):
        if line.startswith(".It "):
            names = [flag_name(w)[1] for w in
                     re.findall(r"\bFl (\S+)", line)
                     if flag_name(w)[0] == "long"]
            for n in names:
                entries[n] = ""
        elif line.startswith(".El"):
            names = []
        for n in names:
            entries[n] += line + "\n"
    return entries


def is_variable(word):
    """A variable name, not an mdoc macro (Ev, Ns) nor punctuation."""
    return bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", word)) and (
        "_" in word or (word.isupper() and len(word) >= 3))


def man_environment():
    """The variables named on the .It lines of the ENVIRONMENT section."""
    names = set()
    for line in section("ENVIRONMENT"):
        if line.startswith(".It ") and " Ev " in line + " ":
            words = line.split()
            names.update(w for w in words[words.index("Ev") + 1:]
                         if is_variable(w))
    assert len(names) >= 20, f"could not parse ENVIRONMENT: {names}"
    return names


def named_in(text, name):
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])",
                     text) is not None


# ----------------------------------------------------------------- tests

def test_every_help_option_is_in_the_man_page(shim):
    missing = set(help_options(help_text(shim))) - set(man_options())
    assert not missing, f"options of --help missing from the man page's " \
        f"OPTIONS: {sorted(missing)}"


def test_every_man_page_option_is_in_help(shim):
    extra = set(man_options()) - set(help_options(help_text(shim)))
    assert not extra, f"the man page's OPTIONS documents options --help " \
        f"does not have: {sorted(extra)}"


def test_short_options_and_arguments_match(shim):
    want = {name: (short, kind) for name, (short, kind, _) in
            help_options(help_text(shim)).items()}
    got = man_options()
    wrong = {n: {"help": want[n], "man": got[n]}
             for n in want if n in got and got[n] != want[n]}
    assert not wrong, f"short option or argument differs: {wrong}"


def test_each_option_entry_names_its_variable(shim):
    entries = option_entries()
    wrong = [f"--{name} ({var})"
             for name, (_, _, var) in help_options(help_text(shim)).items()
             if var and not re.search(rf"\bEv {var}\b", entries.get(name, ""))]
    assert not wrong, f"OPTIONS entries not naming their variable: {wrong}"


def test_synopsis_names_every_option(shim):
    synopsis = "\n".join(section("SYNOPSIS"))
    flags = set()
    for w in re.findall(r"\bFl (\S+)", synopsis):
        kind, name = flag_name(w)
        flags.update([name] if kind == "long" else list(name))
    missing = [name for name, (short, _, _) in
               help_options(help_text(shim)).items()
               if name not in flags and short not in flags]
    assert not missing, f"options missing from SYNOPSIS: {missing}"


def test_every_help_variable_is_in_the_environment_section(shim):
    text = help_text(shim)
    wanted = set(HELP_VAR.findall(text)) | set(PROXY_VAR.findall(text))
    assert "INFISICAL_API_URL" in wanted and "https_proxy" in wanted
    missing = wanted - man_environment()
    assert not missing, f"variables of --help missing from the man page's " \
        f"ENVIRONMENT: {sorted(missing)}"


def test_credential_file_forms_are_in_the_environment_section(shim):
    """--help: "NAME_FILE reads NAME from a file" for each credential; the
    service account token variable is a path already."""
    text = help_text(shim)
    block = text.split("Credentials", 1)[1].split("\n\n", 1)[0]
    names = [n for n in set(HELP_VAR.findall(block))
             if not n.endswith("_PATH")]
    assert len(names) >= 5, block
    missing = {f"{n}_FILE" for n in names} - man_environment()
    assert not missing, f"_FILE forms missing from ENVIRONMENT: " \
        f"{sorted(missing)}"


def test_exit_status_names_125_126_127():
    items = {ln.split()[1] for ln in section("EXIT STATUS")
             if ln.startswith(".It ")}
    assert {"125", "126", "127"} <= items, items


def test_configuration_md_names_every_man_page_variable():
    text = CONFIG_MD.read_text()
    missing = sorted(n for n in man_environment() if not named_in(text, n))
    assert not missing, f"docs/configuration.md does not name: {missing}"


def test_man_page_has_its_sections():
    want = ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "ENVIRONMENT",
            "EXIT STATUS", "SECURITY", "EXAMPLES", "SEE ALSO"]
    got = [s for s in man_sections() if s in want]
    assert got == want


def test_man_page_lints_clean():
    """mandoc (scripts/install-deps.sh test) checks the mdoc; style notes,
    such as su-exec(1) not being installed here, are not failures."""
    if not shutil.which("mandoc"):
        pytest.skip("mandoc is not installed (scripts/install-deps.sh test)")
    p = subprocess.run(["mandoc", "-T", "lint", "-W", "warning", str(MAN)],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert p.returncode == 0, p.stdout.decode()


# ------------------------------------------- facts with one source: the code

SRC = ROOT / "src"


def exit_codes():
    """{value: name} of src/exitcodes.h."""
    text = (SRC / "exitcodes.h").read_text()
    return {int(v): n for n, v in re.findall(r"(EXIT_\w+) = (\d+)", text)}


def reserved_names():
    """(refused, dropped): the names and prefixes of src/environment.c's
    policy, prefixes as "LD_*"."""
    text = (SRC / "environment.c").read_text()
    rule = text.split("enum name_rule environment_name_rule", 1)[1]

    def words(block):
        return set(re.findall(r'W\("([A-Z0-9_]+)"\)', block))
    refused = words(rule.split("refused[] = {", 1)[1].split("};", 1)[0])
    dropped = words(rule.split("dropped[] = {", 1)[1].split("};", 1)[0])
    prefixes = re.findall(r'has_prefix\(name, len, "([A-Z_]+)"\)', rule)
    for p in prefixes:
        target = dropped if p in ("XDG_", "LC_") else refused
        target.add(p + "*")
    return refused, dropped


def test_exit_statuses_everywhere_match_the_code(shim):
    """exitcodes.h is the source; the exit status table of
    configuration.md, the man page, --help and the README follow it."""
    codes = exit_codes()
    assert set(codes) == {125, 126, 127, 128}, codes
    config = CONFIG_MD.read_text().split("## Exit status", 1)[1]
    rows = set(re.findall(r"^\| (\d+)(?: \+ n)? \|", config, re.M))
    man = {ln.split()[1] for ln in section("EXIT STATUS")
           if ln.startswith(".It ")}
    help_ = help_text(shim).split("Exit status:", 1)[1]
    readme = (ROOT / "README.md").read_text()
    for value in codes:
        assert str(value) in rows, f"configuration.md lacks {value}"
        assert str(value) in man, f"the man page lacks {value}"
        assert str(value) in help_, f"--help lacks {value}"
    for value in (125, 126, 127):
        assert str(value) in readme, f"README.md lacks {value}"
    # Other pages point at the table instead of copying it.
    for page in ("security.md", "containers.md", "kubernetes.md"):
        text = (ROOT / "docs" / page).read_text()
        assert not re.search(r"^\| 12[67] \|", text, re.M), \
            f"docs/{page} copies the exit status table"


def test_reserved_names_everywhere_match_the_code():
    """environment.c is the source; the table of configuration.md and the
    man page's SECURITY name every refused and every dropped name."""
    refused, dropped = reserved_names()
    assert "LD_*" in refused and "NODE_OPTIONS" in refused
    assert "PATH" in dropped and "XDG_*" in dropped
    config = CONFIG_MD.read_text().split("### Reserved names", 1)[1]
    config = config.split("\n## ", 1)[0]
    table = {}
    for row in re.findall(r"^\| (.*?) \| \*\*(\w+)\*\*", config, re.M):
        for name in re.findall(r"`([A-Z0-9_*]+)`", row[0]):
            table[name] = row[1]
    assert "INFX_*" in refused and "INFISICAL_*" in refused
    for name in refused:
        assert table.get(name) == "refused", f"configuration.md: {name}"
    for name in dropped:
        assert table.get(name) == "dropped", f"configuration.md: {name}"
    assert set(table) == refused | dropped, set(table) ^ (refused | dropped)
    man = "\n".join(section("SECURITY"))
    missing = [n for n in refused | dropped
               if not re.search(r"\bEv " + re.escape(n) + r"(?:\s|$)", man)]
    assert not missing, f"the man page's SECURITY does not name {missing}"
    # Other pages point at the table instead of copying it.
    security = (ROOT / "docs" / "security.md").read_text()
    assert "GLIBC_TUNABLES" not in security and "JDK_JAVA" not in security
