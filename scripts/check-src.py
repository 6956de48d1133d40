#!/usr/bin/python3
"""The checks on our own C that a compiler does not make (run by make check):

- banned functions, as curl's checksrc bans them: strcpy, strcat, sprintf,
  vsprintf, gets, atoi, atol, strtok (unbounded writes, no error report,
  hidden state);
- no function in src/ longer than MAX_LINES lines (body, braces included);
- no include cycle between the modules of src/: module A depends on B when
  A.c or A.h includes B.h; the dependencies must form a tree of layers.

Prints one line per finding, exits 1 when there is any.
    scripts/check-src.py [DIR]...   (default: src tests/unit tests/fuzz bench)
"""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BANNED = re.compile(r"\b(strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|"
                    r"strtok)\s*\(")
MAX_LINES = 70


def strip_comments_and_strings(text):
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"),
                  text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r'"(\\.|[^"\\\n])*"', '""', text)


def banned(files):
    out = []
    for f in files:
        code = strip_comments_and_strings(f.read_text())
        for n, line in enumerate(code.splitlines(), 1):
            m = BANNED.search(line)
            if m:
                out.append(f"{f.relative_to(ROOT)}:{n}: {m.group(1)}() is "
                           "banned: use snprintf, strtol or a bounded copy")
    return out


def long_functions(files):
    """Kernel style: a definition's '{' and '}' stand alone in column 0."""
    out = []
    for f in files:
        lines = f.read_text().splitlines()
        start = None
        for n, line in enumerate(lines, 1):
            if line == "{":
                start = n
            elif line == "}" and start is not None:
                length = n - start + 1
                if length > MAX_LINES:
                    # The signature may span lines: its first line is the
                    # last one before '{' that starts in column 0.
                    head = next((ln for ln in reversed(lines[max(0, start - 6):
                                                             start - 1])
                                 if ln[:1].isalpha()), "")
                    name = re.findall(r"(\w+)\s*\(", head)
                    out.append(f"{f.relative_to(ROOT)}:{start}: "
                               f"{name[0] if name else '?'}() is {length} "
                               f"lines; keep functions within {MAX_LINES}")
                start = None
    return out


def include_cycles(src):
    modules = {p.stem for p in src.glob("*.h")}
    deps = {m: set() for m in modules | {p.stem for p in src.glob("*.c")}}
    for f in list(src.glob("*.c")) + list(src.glob("*.h")):
        for inc in re.findall(r'^#include "([\w-]+)\.h"', f.read_text(),
                              re.M):
            if inc != f.stem and inc in modules:
                deps[f.stem].add(inc)
    out, state = [], {}

    def visit(m, path):
        state[m] = 1
        for d in sorted(deps.get(m, ())):
            if state.get(d) == 1:
                cycle = path[path.index(d):] + [d]
                out.append("include cycle: " + " -> ".join(cycle))
            elif d not in state:
                visit(d, path + [d])
        state[m] = 2

    for m in sorted(deps):
        if m not in state:
            visit(m, [m])
    return out


def main(argv):
    dirs = [ROOT / d for d in (argv or ["src", "tests/unit", "tests/fuzz",
                                        "bench"])]
    files = sorted(f for d in dirs for f in d.glob("*.[ch]"))
    src = sorted((ROOT / "src").glob("*.[ch]"))
    findings = banned(files) + long_functions(src) + \
        include_cycles(ROOT / "src")
    for line in findings:
        print(line)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
