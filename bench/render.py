#!/usr/bin/python3
"""infx-exec benchmarks, the rendering half: results file + template -> report.

    /usr/bin/python3 bench/render.py [RESULTS.json] [--template FILE] [--out FILE]

RESULTS.json (default bench/out/results.json) is what bench/measure.py
wrote; the template (default bench/report.md.in) holds all the prose and
the table layouts. The report goes to --out, else to docs/benchmarks.md for
a full run and bench/out/benchmarks-smoke.md for a smoke run. Formatting
only: every number comes from the results file.

The template language (standard library only, kept small on purpose):

    {{ path | filter | filter:arg }}   a value: dotted path into the results
                                       (list items by index: rows.0.median),
                                       then formatting filters (FILTERS below)
    {% if COND %} {% elif COND %} {% else %} {% endif %}
    {% for x in path %} ... {% endfor %}       (also: for k, v in a mapping;
                                       loop.first, loop.last, loop.index)
    {% with x = path %} ... {% endwith %}     (a short name for a path)
    {# a comment #}

COND is `[not] operand [op operand]`, joined by `and` / `or` (no
parentheses; `and` binds tighter); op is one of == != < <= > >=; an operand
is a path, a number, a "string", none, true or false. A line that holds
only a {% %} tag or a comment disappears with its newline. A path that does
not exist is an error in {{ }} (a typo must not render) and false in a
condition; a null value renders through the filters as "n/a".
"""
import argparse
import json
import os
import re
import sys

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)


class TemplateError(Exception):
    pass


# --------------------------------------------------------------------------- filters

def _num(f):
    """A filter that maps null to n/a."""
    def g(v, *a):
        return "n/a" if v is None else f(v, *a)
    return g


def f_ms(sec):
    ms = sec * 1000.0
    return "%.1f ms" % ms if ms >= 10 else "%.2f ms" % ms


def f_bytes(n):
    if n >= 1024 * 1024:
        return "%.2f MiB" % (n / 1048576.0)
    if n >= 1024:
        return "%.1f KiB" % (n / 1024.0)
    return "%d B" % n


def f_mark(ok):
    return "n/a" if ok is None else "**met**" if ok else "**missed**"


FILTERS = {
    "ms": _num(f_ms),                                          # seconds -> "12.3 ms"
    "s": _num(lambda v: "%.2f s" % v),                         # seconds -> "1.23 s"
    "bytes": _num(f_bytes),                                    # bytes -> "1.2 KiB" / "3.4 MiB"
    "mb": _num(lambda v, d=2: "%.*f MB" % (int(d), v / 1e6)),  # bytes -> "2.92 MB"
    "kib": _num(lambda v: "{:,} KiB".format(int(round(v)))),   # KiB -> "4,316 KiB"
    "mib": _num(lambda v, d=2: "%.*f MiB" % (int(d), v / 1024.0)),  # KiB -> "4.21 MiB"
    "mega": _num(lambda v, d=0: "%.*f M" % (int(d), v / 1e6)),  # 30000000 -> "30 M"
    "int": _num(lambda v: "{:,}".format(int(round(v)))),       # 1234567 -> "1,234,567"
    "x": _num(lambda v, d=2: "%.*fx" % (int(d), v)),           # 1.071 -> "1.07x"
    "pct": _num(lambda v, d=0: "%.*f%%" % (int(d), 100.0 * v)),    # 0.42 -> "42%"
    "spct": _num(lambda v, d=0: "%+.*f%%" % (int(d), 100.0 * v)),  # -0.35 -> "-35%"
    "fixed": _num(lambda v, d=2: "%.*f" % (int(d), v)),        # 1.234 -> "1.23"
    "mark": f_mark,                                            # true -> "**met**"
    "cell": lambda v: "" if v is None else str(v).replace("|", "\\|"),  # table-safe
    "code": lambda v: "`%s`" % v,
    "trim": lambda v, n: str(v)[:int(n)],
    "default": lambda v, d: d if v is None or v == "" else v,
    "join": lambda v, sep=", ": sep.join(str(x) for x in v),
}


# --------------------------------------------------------------------------- engine

TAG_RX = re.compile(r"(\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\})", re.S)
# A line holding only a block tag or a comment vanishes with its newline.
ALONE_RX = re.compile(r"^[ \t]*(\{%(?:(?!%\})[^\n])*%\}|\{#(?:(?!#\}).)*#\})[ \t]*(?:\n|\Z)",
                      re.M | re.S)
LITERALS = {"none": None, "true": True, "false": False}
OPS = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b,
       "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
       ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}
MISSING = object()
# Blocks that bind names to a path: the names, then the path.
BLOCKS = {"for": r"(\w+)(?:\s*,\s*(\w+))?\s+in\s+(\S+)", "with": r"(\w+)\s*=\s*(\S+)"}


def lookup(path, scopes):
    """A dotted path in the innermost scope that has its first name."""
    parts = path.split(".")
    for scope in reversed(scopes):
        if parts[0] in scope:
            v = scope[parts[0]]
            break
    else:
        return MISSING
    for p in parts[1:]:
        if isinstance(v, dict) and p in v:
            v = v[p]
        elif isinstance(v, list) and re.fullmatch(r"-?\d+", p) and -len(v) <= int(p) < len(v):
            v = v[int(p)]
        else:
            return MISSING
    return v


def split_words(s):
    """Words of a condition or filter chain; "quoted strings" stay whole."""
    return re.findall(r'"[^"]*"|\S+', s)


def operand(tok, scopes):
    if tok.startswith('"'):
        return tok[1:-1]
    if tok in LITERALS:
        return LITERALS[tok]
    if re.fullmatch(r"-?\d+(\.\d+)?(e-?\d+)?", tok):
        return float(tok) if re.search(r"[.e]", tok) else int(tok)
    v = lookup(tok, scopes)
    return None if v is MISSING else v


def condition(text, scopes):
    return any(all(term(t.strip(), scopes) for t in re.split(r"\s+and\s+", alt))
               for alt in re.split(r"\s+or\s+", text.strip()))


def term(text, scopes):
    words = split_words(text)
    neg = words[:1] == ["not"]
    if neg:
        words = words[1:]
    if len(words) == 1:
        v = bool(operand(words[0], scopes))
    elif len(words) == 3 and words[1] in OPS:
        a, b = operand(words[0], scopes), operand(words[2], scopes)
        if (a is None or b is None) and words[1] not in ("==", "!="):
            v = False
        else:
            v = OPS[words[1]](a, b)
    else:
        raise TemplateError("cannot read condition %r" % text)
    return not v if neg else v


def value(text, scopes, line):
    parts = [p.strip() for p in re.split(r"\|(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", text)]
    head = parts[0]
    v = operand(head, scopes) if head.startswith('"') or head in LITERALS or \
        re.fullmatch(r"-?\d+(\.\d+)?", head) else lookup(head, scopes)
    if v is MISSING:
        raise TemplateError("line %d: no value at %r" % (line, head))
    for f in parts[1:]:
        name, _, arg = f.partition(":")
        if name not in FILTERS:
            raise TemplateError("line %d: unknown filter %r" % (line, name))
        try:
            v = FILTERS[name](v, *([operand(arg.strip(), scopes)] if arg else []))
        except (TypeError, ValueError) as exc:
            raise TemplateError("line %d: %s on %r: %s" % (line, name, head, exc))
    return "" if v is None else str(v)


def parse(text):
    """The template as a tree: [str | ("value", expr, line) | ("if", [(cond,
    body)], else_body, line) | ("for" or "with", names, path, body, line)]."""
    text = ALONE_RX.sub(lambda m: m.group(1), text)
    root = []
    stack = [("root", root, None)]
    pos = 0
    for m in TAG_RX.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        if m.start() > pos:
            stack[-1][1].append(text[pos:m.start()])
        pos = m.end()
        tag = m.group(1)
        if tag.startswith("{#"):
            continue
        if tag.startswith("{{"):
            stack[-1][1].append(("value", tag[2:-2].strip(), line))
            continue
        words = tag[2:-2].strip().split(None, 1)
        kw, rest = words[0], words[1] if len(words) > 1 else ""
        if kw == "if":
            body = []
            node = ("if", [(rest, body)], [], line)
            stack[-1][1].append(node)
            stack.append(("if", body, node))
        elif kw in ("elif", "else"):
            if stack[-1][0] != "if":
                raise TemplateError("line %d: %s without if" % (line, kw))
            node = stack.pop()[2]
            body = node[2] if kw == "else" else []
            if kw == "elif":
                node[1].append((rest, body))
            stack.append(("if", body, node))
        elif kw in BLOCKS:
            m2 = re.fullmatch(BLOCKS[kw], rest)
            if not m2:
                raise TemplateError("line %d: cannot read %s %r" % (line, kw, rest))
            body = []
            node = (kw, [n for n in m2.groups()[:-1] if n], m2.groups()[-1], body, line)
            stack[-1][1].append(node)
            stack.append((kw, body, node))
        elif kw in ("endif", "endfor", "endwith"):
            if stack[-1][0] != kw[3:]:
                raise TemplateError("line %d: unexpected %s" % (line, kw))
            stack.pop()
        else:
            raise TemplateError("line %d: unknown tag %r" % (line, kw))
    if len(stack) > 1:
        raise TemplateError("line %d: %s not closed" % (stack[-1][2][-1], stack[-1][0]))
    root.append(text[pos:])
    return root


def render_nodes(nodes, scopes, out):
    for n in nodes:
        if isinstance(n, str):
            out.append(n)
        elif n[0] == "value":
            out.append(value(n[1], scopes, n[2]))
        elif n[0] == "if":
            for cond, body in n[1]:
                if condition(cond, scopes):
                    render_nodes(body, scopes, out)
                    break
            else:
                render_nodes(n[2], scopes, out)
        elif n[0] == "with":
            _, names, path, body, line = n
            v = lookup(path, scopes)
            if v is MISSING:
                raise TemplateError("line %d: no value at %r" % (line, path))
            render_nodes(body, scopes + [{names[0]: v}], out)
        else:
            _, names, path, body, line = n
            seq = lookup(path, scopes)
            if seq is MISSING or seq is None:
                raise TemplateError("line %d: nothing to loop over at %r" % (line, path))
            items = list(seq.items()) if isinstance(seq, dict) else list(seq)
            for i, item in enumerate(items):
                scope = {"loop": {"index": i + 1, "first": i == 0, "last": i == len(items) - 1}}
                if len(names) == 2:
                    scope[names[0]], scope[names[1]] = item
                else:
                    scope[names[0]] = item
                render_nodes(body, scopes + [scope], out)


def render(template, data):
    out = []
    render_nodes(parse(template), [data], out)
    # No trailing blanks, one blank line at most between blocks.
    text = re.sub(r"[ \t]+\n", "\n", "".join(out))
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"


# --------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", nargs="?", default=os.path.join(BENCH, "out", "results.json"))
    ap.add_argument("--template", default=os.path.join(BENCH, "report.md.in"))
    ap.add_argument("--out", help="report file (default: docs/benchmarks.md for a full run, "
                                  "bench/out/benchmarks-smoke.md for a smoke run)")
    ap.add_argument("--print", action="store_true", help="also print the report")
    args = ap.parse_args()
    with open(args.results, encoding="utf-8") as fh:
        data = json.load(fh)
    with open(args.template, encoding="utf-8") as fh:
        template = fh.read()
    try:
        report = render(template, data)
    except TemplateError as exc:
        sys.stderr.write("render: %s: %s\n" % (os.path.relpath(args.template), exc))
        return 1
    out = args.out or (os.path.join(ROOT, "docs", "benchmarks.md") if data["mode"] == "full"
                       else os.path.join(BENCH, "out", "benchmarks-smoke.md"))
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w", encoding="utf-8") as fh:
        fh.write(report)
    if args.print:
        sys.stdout.write(report)
    sys.stderr.write("render: report written to %s\n" % os.path.relpath(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
