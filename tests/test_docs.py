"""Build the documentation site offline with warnings as errors.

The build executes every course notebook and the quickstart, so it takes about as long as
running them. The built pages are then checked for the generated reference sections.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import llmcost_jupyter

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

pytest.importorskip("sphinx", reason="the docs extra is not installed: pip install -e '.[docs]'")
pytest.importorskip("myst_nb", reason="the docs extra is not installed: pip install -e '.[docs]'")
pytest.importorskip("furo", reason="the docs extra is not installed: pip install -e '.[docs]'")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    doctrees = tmp_path_factory.mktemp("doctrees")
    command = [
        sys.executable, "-m", "sphinx",
        "-W", "--keep-going", "-q",
        "-b", "html",
        "-d", str(doctrees),
        str(DOCS), str(out),
    ]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    # With -W, any warning makes sphinx exit non-zero; --keep-going lists them all first.
    assert result.returncode == 0, f"sphinx failed:\n{result.stdout}\n{result.stderr}"
    return out


def page_text(site: Path, name: str) -> str:
    return (site / f"{name}.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_docs_build_without_warnings(site: Path):
    assert (site / "index.html").exists()


@pytest.mark.slow
def test_course_pages_have_outputs(site: Path):
    for notebook in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        html = page_text(site, f"course/{notebook.stem}")
        assert "cell_output" in html, f"{notebook.name} has no outputs in the site"


@pytest.mark.slow
def test_magic_page_shows_generated_help(site: Path):
    html = page_text(site, "magic")
    for option in ("--output", "--reasoning", "--cached", "--batch", "--action-price"):
        assert option in html, option


@pytest.mark.slow
def test_api_page_documents_public_names(site: Path):
    html = page_text(site, "api")
    for name in llmcost_jupyter.__all__:
        if name.startswith("__") or name.endswith("_ipython_extension"):
            continue
        assert f'id="llmcost_jupyter.{name}"' in html, f"{name} is not in the API reference"


@pytest.mark.slow
def test_accuracy_page_states_price_date(site: Path):
    from llmcost_jupyter.prices import price_data_info

    info = price_data_info()
    html = page_text(site, "accuracy")
    if info.as_of is not None:
        assert info.as_of.isoformat() in html
    assert "{{" not in re.sub(r"<pre.*?</pre>", "", html, flags=re.DOTALL)


# Scripts that a reader's browser loads from a CDN when it opens a page: the Jupyter widget
# manager and require.js (pages with widgets, added by myst-nb) and MathJax (pages with
# formulas, added by Sphinx). The build itself fetches nothing.
ALLOWED_SCRIPT_HOSTS = ("https://cdn.jsdelivr.net/npm/", "https://cdnjs.cloudflare.com/ajax/libs/")


@pytest.mark.slow
def test_pages_fetch_no_fonts_or_styles(site: Path):
    pages = sorted(site.rglob("*.html"))
    assert pages
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "fonts.googleapis" not in html, page
        for tag in re.findall(r"<link\b[^>]*>", html):
            assert not re.search(r'href="(https?:)?//', tag) or "stylesheet" not in tag, (page, tag)
        for source in re.findall(r'<script\b[^>]*\bsrc="((?:https?:)?//[^"]+)"', html):
            assert source.startswith(ALLOWED_SCRIPT_HOSTS), (page, source)
    for stylesheet in site.rglob("*.css"):
        text = stylesheet.read_text(encoding="utf-8", errors="replace")
        assert not re.search(r"@import\s+url\(\s*['\"]?https?:", text), stylesheet
        assert not re.search(r"url\(\s*['\"]?https?://[^)]*\.(woff2?|ttf|otf)", text), stylesheet


def test_intersphinx_is_off():
    import runpy

    config = runpy.run_path(str(DOCS / "conf.py"))
    assert "sphinx.ext.intersphinx" not in config["extensions"]
    assert config["nb_execution_mode"] == "force"
