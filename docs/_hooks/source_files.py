"""MkDocs hook: put the repository's source files and the lessons into the site.

The pages (and README.md) link to source the way GitHub shows it, e.g.
``../minigrad/tensor.py`` from ``docs/``.  Here each of those files becomes a page of the
site under ``src/`` (code shown highlighted, figures as images) and the links are rewritten to
them, so the site checks every one of them (with ``strict``) and a reader can follow them.
The home page is ``README.md`` and the lessons page ``examples/README.md``, with their links
rewritten the same way.
"""
from __future__ import annotations

import os
import re

from mkdocs.structure.files import File, Files

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCE_DIRS = ("minigrad", "nn", "examples", "benchmarks")
SKIP_DIRS = {"__pycache__", "out"}
LESSONS = os.path.join("examples", "README.md")  # becomes lessons.md
LINK = re.compile(r"(\]\()([^)#\s]+)([^)]*\))")  # [text](target "title") or (target#anchor)


def _source_files() -> list[str]:
    """Repository-relative paths of the files the site carries (code, data notes, figures)."""
    found = []
    for top in SOURCE_DIRS:
        for folder, dirs, names in os.walk(os.path.join(ROOT, top)):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
            for name in sorted(names):
                path = os.path.relpath(os.path.join(folder, name), ROOT)
                if name.endswith((".py", ".md", ".png", ".toml")) and path != LESSONS:
                    found.append(path)
    return found + ["LICENSE"]


def _folders(paths: list[str]) -> dict[str, set[str]]:
    """Each folder (repository-relative, "" for the root) and the names directly in it."""
    out: dict[str, set[str]] = {}
    for p in paths:
        parts = p.split("/")
        for i in range(1, len(parts) + 1):
            out.setdefault("/".join(parts[:i - 1]), set()).add(parts[i - 1])
    return out


def _rewrite(markdown: str, repo_dir: str, page_dir: str, known: dict[str, set[str]]) -> str:
    """Point links that leave docs/ at the copies under src/ (relative to ``page_dir``)."""

    def fix(m: re.Match) -> str:
        target = m.group(2)
        if re.match(r"[a-z]+:", target) or target.startswith("/"):
            return m.group(0)
        repo_path = os.path.normpath(os.path.join(repo_dir, target))
        folder = repo_path.rstrip("/")
        if repo_path == "README.md":
            new = "index.md"  # the home page is the README
        elif repo_path == LESSONS:
            new = "lessons.md"
        elif repo_path.startswith("docs/"):
            new = repo_path[len("docs/"):]  # a page of the site: MkDocs checks it
        elif folder in known:  # a folder: its README, or a generated index
            new = f"src/{folder}/{'README.md' if 'README.md' in known[folder] else 'index.md'}"
        elif repo_path.endswith((".png", ".md")):
            new = f"src/{repo_path}"
        else:
            new = f"src/{repo_path}.md"
        return m.group(1) + os.path.relpath(new, page_dir or ".") + m.group(3)

    return LINK.sub(fix, markdown)


def _entry(folder: str, name: str, folders: dict[str, set[str]]) -> str:
    """The page a folder index links to for ``name``, relative to the index."""
    sub = f"{folder}/{name}"
    if sub in folders:
        return f"{name}/{'README' if 'README.md' in folders[sub] else 'index'}.md"
    return name if name.endswith((".png", ".md")) else f"{name}.md"


def on_files(files: Files, config) -> Files:
    paths = _source_files()
    for p in paths:
        uri = f"src/{p}"
        if p.endswith(".md"):  # notes such as examples/data/README.md: pages of their own
            text = open(os.path.join(ROOT, p), encoding="utf-8").read()
            files.append(File.generated(config, uri, content=_rewrite(
                text, os.path.dirname(p), os.path.dirname(uri), _folders(paths))))
        elif p.endswith(".png"):
            files.append(File.generated(config, uri, abs_src_path=os.path.join(ROOT, p)))
        else:  # code: a page that shows it
            text = open(os.path.join(ROOT, p), encoding="utf-8").read()
            lang = {".py": "python", ".toml": "toml"}.get(os.path.splitext(p)[1], "text")
            files.append(File.generated(config, uri + ".md", content=(
                f"# `{p}`\n\n`````{lang}\n{text.rstrip()}\n`````\n")))
    folders = _folders(paths)
    for folder, names in folders.items():
        if folder and "README.md" not in names:
            items = "\n".join(f"- [{n}]({_entry(folder, n, folders)})" for n in sorted(names))
            files.append(File.generated(config, f"src/{folder}/index.md",
                                        content=f"# `{folder}/`\n\n{items}\n"))
    for page, source in (("index.md", "README.md"), ("lessons.md", LESSONS)):
        text = open(os.path.join(ROOT, source), encoding="utf-8").read()
        files.append(File.generated(config, page, content=_rewrite(
            text, os.path.dirname(source), "", _folders(paths))))
    return files


def on_page_markdown(markdown: str, page, config, files) -> str:
    src = page.file.src_uri
    if src.startswith("src/") or src in ("index.md", "lessons.md"):
        return markdown  # rewritten when generated
    return _rewrite(markdown, os.path.dirname(os.path.join("docs", src)),
                    os.path.dirname(src), _folders(_source_files()))
