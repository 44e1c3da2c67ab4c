"""The documentation: the tutorial's code runs as written, the site builds with warnings as
errors (MkDocs validates every link between pages), every link and image in the built HTML
resolves, and a page renders in headless Chromium."""
from __future__ import annotations

import html.parser
import importlib.util
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib
from urllib.parse import unquote, urlparse

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs")
DOCS_EXTRA = ("mkdocs", "mkdocstrings", "mkdocstrings_handlers.python", "material")


def test_tutorial_code_runs_as_written():
    """Every ```python block of the tutorial, in order, in one namespace (as a reader would)."""
    text = open(os.path.join(DOCS, "tutorial.md"), encoding="utf-8").read()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 5
    namespace: dict = {}
    for k, block in enumerate(blocks, 1):
        exec(compile(block, f"docs/tutorial.md, block {k}", "exec"), namespace)


def _missing_docs_extra() -> list[str]:
    missing = []
    for name in DOCS_EXTRA:
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            missing.append(name)
    return missing


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> str:
    missing = _missing_docs_extra()
    if missing:
        message = f"the site needs the 'docs' extra ({', '.join(missing)} missing): " \
                  "pip install -e '.[docs]'"
        if os.environ.get("CI"):  # CI installs the extra: a missing one is a failure there
            pytest.fail(message)
        pytest.skip(message)
    out = str(tmp_path_factory.mktemp("site"))
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                           out], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stderr[-4000:]}"
    return out


class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.targets: list[str] = []

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if value and (key == "href" and tag in ("a", "link") or key == "src"):
                self.targets.append(value)


@pytest.mark.slow
def test_site_builds_strict_and_every_internal_link_resolves(site):
    pages = [os.path.join(d, f) for d, _, fs in os.walk(site) for f in fs if f.endswith(".html")]
    for name in ("index.html", "tutorial/index.html", "how-autograd-works/index.html",
                 "lessons/index.html", "api/minigrad/index.html", "api/nn/index.html",
                 "api/optim/index.html"):
        assert os.path.join(site, name) in pages, f"the site has no {name}"
    broken = []
    for page in pages:
        if os.path.basename(page) == "404.html":
            continue  # links from the site root, for any missing URL
        parser = _Links()
        parser.feed(open(page, encoding="utf-8").read())
        for target in parser.targets:
            url = urlparse(target)
            if url.scheme or url.netloc or not url.path:
                continue  # another site, or an anchor on this page
            path = os.path.normpath(os.path.join(os.path.dirname(page), unquote(url.path)))
            if os.path.isdir(path):
                path = os.path.join(path, "index.html")
            if not os.path.exists(path):
                broken.append(f"{os.path.relpath(page, site)} -> {target}")
    assert not broken, "broken links:\n" + "\n".join(broken[:30])
    api = open(os.path.join(site, "api", "minigrad", "index.html"), encoding="utf-8").read()
    for documented in ("minigrad.Tensor.backward", "minigrad.no_grad", "minigrad.randn"):
        assert f'id="{documented}"' in api, f"the API reference lacks {documented}"
    optim = open(os.path.join(site, "api", "optim", "index.html"), encoding="utf-8").read()
    assert 'id="minigrad.optim.Adam"' in optim


def _png_pixels(path: str) -> bytes:
    """The decompressed image data of a PNG (filter bytes included): enough to tell a page
    with text and colour from a blank one."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    pos, chunks = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        if kind == b"IDAT":
            chunks.append(data[pos + 8:pos + 8 + length])
        pos += 12 + length
    return zlib.decompress(b"".join(chunks))


@pytest.mark.slow
def test_a_page_renders_in_headless_chromium(site, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium), so the "
                    "rendered page cannot be checked")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--no-first-run", "--window-size=1280,1000"]
    page = "file://" + os.path.join(site, "tutorial", "index.html")
    shot = str(tmp_path / "tutorial.png")
    proc = subprocess.run([browser, *flags, f"--screenshot={shot}", page],
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0 and os.path.exists(shot), proc.stderr[-2000:]
    pixels = _png_pixels(shot)
    assert len(set(pixels)) > 64, "the screenshot is (nearly) blank"
    dom = subprocess.run([browser, *flags, "--dump-dom", page], capture_output=True,
                         text=True, timeout=180).stdout
    assert "Tutorial: from a gradient to a trained sequence model" in dom
    assert "API reference" in dom and "copy" in dom.lower()  # theme navigation and scripts ran
    if os.environ.get("MINIGRAD_KEEP_SCREENSHOT"):
        shutil.copy(shot, os.environ["MINIGRAD_KEEP_SCREENSHOT"])
