"""docs/how-autograd-works.md shows the code that runs.

Every ```python block is marked: ``<!-- code: PATH QUALNAME -->`` (the block must appear
verbatim, up to a uniform indentation, inside that function or class of that file) or
``<!-- run -->`` (the block is executed; a following ``<!-- output -->`` ```text block must be
exactly what it prints).  The reading-order table's line counts and every relative link are
checked too.
"""
from __future__ import annotations

import ast
import contextlib
import io
import os
import re
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "how-autograd-works.md")
BLOCK = re.compile(r"(?:<!-- (code: (\S+) (\S+)|run) -->\n)?```python\n(.*?)```"
                   r"(?:\n\n<!-- output -->\n```text\n(.*?)```)?", re.S)


def _text() -> str:
    with open(DOC, encoding="utf-8") as f:
        return f.read()


def _blocks() -> list[tuple]:
    return [(m.group(1), m.group(2), m.group(3), m.group(4), m.group(5))
            for m in BLOCK.finditer(_text())]


def definition(path: str, qualname: str) -> str:
    """Source of ``qualname`` (``Class.method`` or ``function``) in ``path``, decorators
    included."""
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        src = f.read()
    node: ast.AST = ast.parse(src)
    for part in qualname.split("."):
        found = [n for n in ast.iter_child_nodes(node)
                 if isinstance(n, (ast.ClassDef, ast.FunctionDef)) and n.name == part]
        assert found, f"{path} has no {qualname} (looking for {part!r})"
        node = found[0]
    start = min([node.lineno] + [d.lineno for d in node.decorator_list])
    return "\n".join(src.splitlines()[start - 1:node.end_lineno]) + "\n"


def test_every_python_block_is_marked():
    unmarked = [code[:60] for marker, _, _, code, _ in _blocks() if marker is None]
    assert not unmarked, f"python blocks without a code/run marker: {unmarked}"
    assert len(_blocks()) >= 10


CODE = [(p, q, c) for m, p, q, c, _ in _blocks() if m and m.startswith("code")]
RUN = [(c, out) for m, _, _, c, out in _blocks() if m == "run"]


@pytest.mark.parametrize(("path", "qualname", "code"), CODE,
                         ids=[f"{p}:{q}" for p, q, _ in CODE])
def test_snippet_is_the_code(path, qualname, code):
    source = definition(path, qualname)
    snippet = textwrap.dedent(code)
    ok = any(textwrap.indent(snippet, " " * k, lambda line: line.strip() != "") in source
             for k in range(0, 17, 4))
    assert ok, f"the block marked {path} {qualname} is not in the code:\n{snippet}"


@pytest.mark.parametrize(("code", "expected"), RUN, ids=[f"run{i}" for i in range(len(RUN))])
def test_runnable_block_prints_what_the_page_says(code, expected, monkeypatch):
    monkeypatch.chdir(ROOT)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, DOC, "exec"), {"__name__": "docs"})
    if expected is not None:
        assert out.getvalue().rstrip("\n") == expected.rstrip("\n")


def test_reading_order_line_counts_are_current():
    """The table's counts stay within 15% (or 15 lines) of the files' lengths."""
    rows = re.findall(r"^\| \d+ \| (.*?) \| ([\d +]+) \|", _text(), re.M)
    assert len(rows) >= 6
    for files, counts in rows:
        paths = re.findall(r"\]\(\.\./([^)]+)\)", files)
        numbers = [int(n) for n in counts.split("+")]
        assert len(paths) == len(numbers), files
        for path, n in zip(paths, numbers):
            with open(os.path.join(ROOT, path), encoding="utf-8") as f:
                actual = sum(1 for _ in f)
            assert abs(actual - n) <= max(15, 0.15 * actual), \
                f"{path}: the page says {n} lines, it has {actual}"


def test_links_point_to_files_that_exist():
    for target in re.findall(r"\]\((\.\./[^)#]+)\)", _text()):
        assert os.path.exists(os.path.normpath(os.path.join(ROOT, "docs", target))), target
