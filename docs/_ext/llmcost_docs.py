"""Sphinx extension that fills the reference pages from the installed package.

- ``.. llmcost-magic-help::`` inserts the help of ``%%llmcost`` as IPython prints it for
  ``%%llmcost?``: the magic's docstring followed by the usage text that
  ``magic_arguments`` generates from the argument definitions.
- ``.. llmcost-estimate-rules::`` inserts a table of the rules that estimate token counts
  for models without a public tokenizer, from ``llmcost_jupyter.counting.ESTIMATE_RULES``.
- Toctree lines naming a page that another part of the project provides (see
  ``OPTIONAL_PAGES``) are dropped while that page does not exist.
- MyST substitutions such as ``{{ prices_as_of }}`` state where the price data comes from
  and how old it is, read from ``llmcost_jupyter.prices.price_data_info()`` at build time.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util.docutils import SphinxDirective


def magic_help_text() -> str:
    """Return the help of ``%%llmcost``, dedented, as ``%%llmcost?`` shows it."""
    from llmcost_jupyter.magic import LLMCostMagics

    text = inspect.cleandoc(LLMCostMagics.llmcost.__doc__ or "")
    # The docstring is reStructuredText: a "::" line opens the usage block and "Title::"
    # opens an example. In a plain-text block, a colon reads better.
    text = re.sub(r"\A::\n+", "", text)
    return re.sub(r"::$", ":", text, flags=re.MULTILINE)


class MagicHelpDirective(SphinxDirective):
    """Insert the help text of the ``%%llmcost`` magic as a literal block."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        text = magic_help_text()
        block = nodes.literal_block(text, text)
        block["language"] = "text"
        return [block]


class EstimateRulesDirective(SphinxDirective):
    """Insert a table of the estimate rules for models without a public tokenizer."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from llmcost_jupyter.counting import ESTIMATE_RULES

        header = ["Family", "Model ids starting with", "Estimate", "Without the proxy tokenizer"]
        rows = []
        for rule in ESTIMATE_RULES:
            rows.append([
                rule.family,
                ", ".join(rule.prefixes) or _unprefixed_models(rule.family),
                _proxy_text(rule.proxy, rule.proxy_factor, rule.proxy_uncertainty),
                f"characters ÷ {rule.chars_per_token:g}, ±{rule.chars_uncertainty * 100:g}%",
            ])
        return [_table(header, rows)]


def _unprefixed_models(family: str) -> str:
    if family == "other":
        return "(every other model)"
    return "(chosen by the model's tiktoken encoding)"


def _proxy_text(proxy: str | None, factor: float, uncertainty: float) -> str:
    if proxy is None:
        return "none"
    name = proxy.removeprefix("mistral:").removesuffix(".json")
    source = " (mistral-common)" if proxy.startswith("mistral:") else ""
    return f"{name}{source} count × {factor:g}, ±{uncertainty * 100:g}%"


def _table(header: list[str], rows: list[list[str]]) -> nodes.table:
    table = nodes.table()
    group = nodes.tgroup(cols=len(header))
    table += group
    for _ in header:
        group += nodes.colspec(colwidth=1)
    head = nodes.thead()
    head += _row(header)
    group += head
    body = nodes.tbody()
    for cells in rows:
        body += _row(cells)
    group += body
    return table


def _row(cells: list[str]) -> nodes.row:
    row = nodes.row()
    for text in cells:
        entry = nodes.entry()
        entry += nodes.paragraph(text=text)
        row += entry
    return row


def price_substitutions() -> dict[str, str]:
    """Return MyST substitutions that describe the price data the package ships with."""
    from llmcost_jupyter import prices

    info = prices.price_data_info()
    as_of = info.as_of.isoformat() if info.as_of else "unknown"
    return {
        "prices_as_of": as_of,
        "prices_as_of_meaning": str(info.as_of_meaning),
        "prices_source": str(info.source),
        "prices_version": str(info.version),
        "catalog_model_count": f"{info.model_count:,}",
        "catalog_provider_count": f"{info.provider_count:,}",
    }


def add_substitutions(app: Sphinx, config: Config) -> None:
    config.myst_substitutions = {**price_substitutions(), **config.myst_substitutions}


# Pages that other parts of the project provide, by the document that lists them in a
# toctree. A toctree line naming one of them is dropped while its file does not exist, so
# that the site builds before they are written.
OPTIONAL_PAGES = {
    "index": {"bulk": "bulk.md"},
    "widgets": {"course/widgets_demo": "course/widgets_demo.ipynb"},
}


def drop_missing_pages(app: Sphinx, docname: str, source: list[str]) -> None:
    optional = OPTIONAL_PAGES.get(docname)
    if not optional:
        return
    missing = {name for name, path in optional.items() if not (Path(app.srcdir) / path).exists()}
    if missing:
        lines = source[0].splitlines(keepends=True)
        source[0] = "".join(line for line in lines if line.strip() not in missing)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("llmcost-magic-help", MagicHelpDirective)
    app.add_directive("llmcost-estimate-rules", EstimateRulesDirective)
    app.connect("config-inited", add_substitutions)
    app.connect("source-read", drop_missing_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
