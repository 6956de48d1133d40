"""The template language of bench/render.py (run by bench/run.sh --smoke):
what a template author relies on when editing bench/report.md.in."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import render  # noqa: E402

DATA = {"rows": [{"n": 1000, "t": 0.0123}, {"n": 10, "t": None}],
        "target": {"limit": 1.1, "value": 1.234, "met": False},
        "name": "a|b", "empty": [], "kib": 4316}


def r(text):
    return render.render(text, DATA)


def test_values_and_filters():
    assert r("{{ rows.0.n | int }} {{ rows.0.t | ms }} {{ target.value | x }}") == "1,000 12.3 ms 1.23x\n"
    assert r("{{ target.met | mark }} {{ kib | kib }} = {{ kib | mib }}") == "**missed** 4,316 KiB = 4.21 MiB\n"
    assert r("{{ target.value | pct:1 }} {{ name | cell }}") == "123.4% a\\|b\n"


def test_null_renders_as_na():
    assert r("{{ rows.1.t | ms }} {{ rows.1.t | default:\"none\" }}") == "n/a none\n"


def test_tag_alone_on_a_line_leaves_no_line():
    text = "| a |\n{% for x in rows %}\n| {{ x.n }} |\n{% endfor %}\n{# note #}\nafter\n"
    assert r(text) == "| a |\n| 1000 |\n| 10 |\nafter\n"


def test_inline_tags_keep_their_line():
    text = "{% for x in rows %}{{ x.n }}{% if not loop.last %}, {% endif %}{% endfor %}\nnext\n"
    assert r(text) == "1000, 10\nnext\n"


def test_conditions():
    text = ("{% with t = target %}{% if t.value > t.limit and not t.met %}missed"
            "{% elif t.value %}met{% else %}none{% endif %}{% endwith %}\n")
    assert r(text) == "missed\n"
    assert r("{% if nowhere %}x{% else %}y{% endif %}\n") == "y\n"
    assert r("{% if rows.1.t < 1 %}z{% else %}no{% endif %}\n") == "no\n"
    assert r("{% if empty or rows.0.n == 1000 %}ok{% endif %}\n") == "ok\n"


@pytest.mark.parametrize("text, message", [
    ("{{ rows.5.n }}", "no value at 'rows.5.n'"),
    ("{{ kib | nope }}", "unknown filter 'nope'"),
    ("{% if kib %}open", "if not closed"),
    ("text\n{% endfor %}", "line 2: unexpected endfor"),
])
def test_mistakes_are_errors_with_a_line(text, message):
    with pytest.raises(render.TemplateError, match=message):
        r(text)


def test_the_report_template_parses():
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "report.md.in")) as fh:
        render.parse(fh.read())
