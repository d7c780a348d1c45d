"""Render a ``CostReport`` as an HTML table for Jupyter or a text table for a terminal.

Every rendering shows whether each token count is exact, the method behind it,
and the source and as-of date of every price.
"""

from __future__ import annotations

import html
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .counting import TokenCount
    from .report import CostReport, ModelEstimate

# JupyterLab typesets text between two "$" signs as LaTeX, so every HTML output that shows
# amounts carries the classes that MathJax skips.
NO_MATH = "tex2jax_ignore mathjax_ignore"

# Amounts under one dollar keep this many significant digits, so that a cost of a
# fraction of a cent never displays as "$0.00".
_SIGNIFICANT_DIGITS = 3

COLUMNS = (
    "Model",
    "Input tokens",
    "Input",
    "Cache",
    "Output",
    "Reasoning",
    "Per call",
    "Calls",
    "Total",
)


def format_money(amount: Decimal) -> str:
    """Format USD so that a non-zero amount never reads as zero.

    >>> format_money(Decimal("0.000123456"))
    '$0.000123'
    >>> format_money(Decimal("1234.5"))
    '$1,234.50'
    """
    if amount.is_infinite():
        return "unlimited"
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if amount == 0:
        return "$0.00"
    if amount >= 1:
        return f"{sign}${amount.quantize(Decimal('0.01'), ROUND_HALF_EVEN):,}"
    exponent = amount.adjusted() - _SIGNIFICANT_DIGITS + 1
    places = max(2, -exponent)
    text = f"{amount.quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN):f}"
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0").ljust(2, "0")
    return f"{sign}${whole}.{fraction}"


def plural(count: int, noun: str) -> str:
    """Write a count with its noun, e.g. ``1 call`` or ``2,000 calls``."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def format_rate(rate: Decimal | None) -> str:
    """Format a rate in USD per million tokens."""
    if rate is None:
        return "not listed"
    return f"${rate.normalize():f} / MTok"


def format_count(count: TokenCount) -> str:
    """Format a token count with its exactness next to the number."""
    if count.exact:
        return f"{count.tokens:,} exact"
    if not count.uncertainty:
        return f"≈{count.tokens:,} estimated"
    return f"≈{count.tokens:,} estimated ±{round(count.uncertainty * 100)}%"


def render_text(report: CostReport) -> str:
    """Render the report as a fixed-width text table with numbered footnotes."""
    rows = [_cells(row) for row in report.rows]
    header = list(COLUMNS)
    if report.action_price is not None:
        header += ["Break-even output", "Cheaper"]
        for cells, row in zip(rows, report.rows):
            cells += _action_cells(row)
    widths = [max(len(line[i]) for line in [header, *rows]) for i in range(len(header))]
    lines = [f"Warning: {warning}" for warning in report.warnings]
    if report.label:
        lines.append(f"Task: {report.label}")
    lines.append("  ".join(cell.ljust(width) for cell, width in zip(header, widths)).rstrip())
    lines.append("  ".join("-" * width for width in widths))
    for cells in rows:
        aligned = [cells[0].ljust(widths[0])]
        aligned += [cell.rjust(width) for cell, width in zip(cells[1:], widths[1:])]
        lines.append("  ".join(aligned))
    lines.append("")
    lines += [f"{number}. {note}" for number, note in enumerate(footnotes(report), start=1)]
    return "\n".join(lines)


def render_html(report: CostReport) -> str:
    """Render the report as an HTML table with numbered footnotes."""
    header = list(COLUMNS)
    if report.action_price is not None:
        header += ["Break-even output", "Cheaper"]
    head = "".join(f'<th scope="col">{html.escape(name)}</th>' for name in header)
    body = []
    for row in report.rows:
        cells = _cells(row)
        if report.action_price is not None:
            cells += _action_cells(row)
        first = f'<th scope="row" style="text-align:left">{html.escape(cells[0])}</th>'
        rest = "".join(_html_cell(cell) for cell in cells[1:])
        body.append(f"<tr>{first}{rest}</tr>")
    notes = "".join(f"<li>{html.escape(note)}</li>" for note in footnotes(report))
    caption = f"<caption>{html.escape(report.label)}</caption>" if report.label else ""
    alerts = "".join(Notice(warning, warning=True)._repr_html_() for warning in report.warnings)
    return (
        f'<div class="llmcost-report {NO_MATH}">{alerts}'
        f'<table class="llmcost-table">{caption}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
        f'<ol class="llmcost-notes" style="font-size:smaller">{notes}</ol></div>'
    )


def footnotes(report: CostReport) -> list[str]:
    """Return the notes under the table: sources, tokenizers, discounts and warnings."""
    notes = list(report.notes)
    if report.price_info is not None:
        info = report.price_info
        as_of = info.as_of.isoformat() if info.as_of else "unknown"
        notes.append(f"Prices: {info.source} {info.version}, data as of {as_of}.")
    for row in report.rows:
        notes.extend(_row_notes(row))
    return notes


def _row_notes(row: ModelEstimate) -> list[str]:
    card = row.card
    prefix = f"{row.model}:"
    as_of = card.as_of.isoformat() if card.as_of else "unknown date"
    url = f" {card.source_url}" if card.source_url else ""
    notes = [
        f"{prefix} priced as {card.provider_name} {card.model_id} from {card.source}, "
        f"as of {as_of}.{url}",
        f"{prefix} input tokens {_count_phrase(row.count)}.",
    ]
    if card.overridden:
        fields = ", ".join(sorted(card.overridden))
        notes.append(f"{prefix} user-set rates for {fields} replace the catalog's.")
    usage = row.usage
    if usage.cache_read_tokens and card.cache_read is None:
        notes.append(f"{prefix} the catalog lists no cached-input price, so cache reads are "
                     "billed at the input rate.")
    if usage.cache_write_5m_tokens + usage.cache_write_1h_tokens and card.cache_write_5m is None:
        notes.append(f"{prefix} the catalog lists no cache-write price, so cache writes are "
                     "billed at the input rate.")
    if row.usage.reasoning_tokens:
        notes.append(f"{prefix} reasoning tokens billed at {format_rate(card.reasoning)} "
                     f"({card.reasoning_source}).")
    if row.cost.tier is not None:
        tier = row.cost.tier
        relation = "at least" if tier.inclusive else "over"
        notes.append(f"{prefix} the prompt is {relation} {tier.threshold:,} tokens, so the "
                     f"long-context rates apply to the whole request.")
    if row.cost.batch is not None:
        discount = row.cost.batch
        stacking = "also" if discount.stacks_with_cache else "not"
        source = f"source {discount.source_url}" if discount.source_url else "set by the user"
        notes.append(f"{prefix} batch discount {discount.discount * 100:.0f}% applied, "
                     f"{stacking} to cache prices; {source}.")
    if row.break_even is not None:
        notes.append(f"{prefix} {row.break_even.describe()}")
    return notes


def _count_phrase(count: TokenCount) -> str:
    if count.exact:
        return f"counted exactly with {count.method}"
    if count.low == count.high:
        return f"estimated ({count.method})"
    return f"estimated ({count.method}); range {count.low:,} to {count.high:,}"


def _cells(row: ModelEstimate) -> list[str]:
    cost = row.cost
    return [
        row.model,
        format_count(row.count),
        format_money(cost.input),
        format_money(cost.cache_read + cost.cache_write),
        format_money(cost.output),
        format_money(cost.reasoning),
        format_money(cost.total),
        f"{row.calls:,}",
        format_money(row.total_cost),
    ]


def _action_cells(row: ModelEstimate) -> list[str]:
    comparison = row.break_even
    if comparison is None:
        return ["", ""]
    tokens = comparison.break_even_output_tokens
    if tokens is None:
        shown = "none"
    elif tokens.is_infinite():
        shown = "any"
    else:
        shown = f"{int(tokens):,} tokens"
    return [shown, comparison.cheaper]


def _html_cell(text: str) -> str:
    return f'<td style="text-align:right">{html.escape(text)}</td>'


class Table:
    """A small titled table that displays as HTML in Jupyter and as text elsewhere."""

    def __init__(
        self,
        title: str,
        header: list[str],
        rows: list[list[str]],
        notes: list[str] | None = None,
    ) -> None:
        self.title = title
        self.header = header
        self.rows = rows
        self.notes = notes or []

    def __repr__(self) -> str:
        return f"<Table {self.title!r}: {len(self.rows)} rows>"

    def __str__(self) -> str:
        widths = [max(len(line[i]) for line in [self.header, *self.rows])
                  for i in range(len(self.header))]
        lines = [self.title, "  ".join(h.ljust(w) for h, w in zip(self.header, widths)).rstrip()]
        lines.append("  ".join("-" * width for width in widths))
        lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in self.rows]
        lines += self.notes
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        head = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in self.header)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
            for row in self.rows
        )
        notes = "".join(f"<p style='font-size:smaller'>{html.escape(n)}</p>" for n in self.notes)
        return (f'<div class="{NO_MATH}"><table><caption>{html.escape(self.title)}</caption>'
                f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{notes}</div>")


class Notice:
    """A warning or note shown in a cell's output, as HTML or text."""

    def __init__(self, text: str, *, warning: bool = False) -> None:
        self.text = text
        self.warning = warning

    def __repr__(self) -> str:
        return self.text

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(("Warning: " if self.warning else "") + self.text)

    def _repr_html_(self) -> str:
        style = ("border-left:4px solid #c0392b;background:#fdecea" if self.warning
                 else "border-left:4px solid #2c7be5;background:#eef4fd")
        role = ' role="alert"' if self.warning else ""
        label = "<strong>Warning:</strong> " if self.warning else ""
        style += ";padding:4px 8px;margin:4px 0"
        return (f'<div class="llmcost-notice {NO_MATH}"{role} style="{style}">'
                f"{label}{html.escape(self.text)}</div>")


def rate_card_table(card) -> Table:
    """Show every rate of one model, marking the ones the user set."""
    catalog = card.catalog()
    rows = []
    for name, label in (
        ("input", "Input"),
        ("output", "Output"),
        ("reasoning", "Reasoning"),
        ("cache_read", "Cached input read"),
        ("cache_write_5m", "Cache write, 5 minutes"),
        ("cache_write_1h", "Cache write, 1 hour"),
    ):
        rate = getattr(card, name)
        was = getattr(catalog, name)
        edited = f"set by user (catalog: {format_rate(was)})" if name in card.overridden else ""
        rows.append([label, format_rate(rate), edited])
    for tier in card.tiers:
        relation = "≥" if tier.inclusive else ">"
        prompts = f"Prompts {relation} {tier.threshold:,} tokens"
        rows.append([f"{prompts}: input", format_rate(tier.input), ""])
        rows.append([f"{prompts}: output", format_rate(tier.output), ""])
    if card.batch is not None:
        stacking = "stacks" if card.batch.stacks_with_cache else "does not stack"
        source = card.batch.source_url or "set by the user"
        rows.append(["Batch discount", f"{card.batch.discount * 100:.0f}%",
                     f"{stacking} with cache prices; {source}"])
    as_of = card.as_of.isoformat() if card.as_of else "unknown date"
    url = f" {card.source_url}" if card.source_url else ""
    notes = [f"Source: {card.source}, as of {as_of}.{url}"]
    if card.context_window:
        notes.append(f"Context window: {card.context_window:,} tokens.")
    title = f"{card.provider_name} {card.model_id} (requested as {card.model})"
    return Table(title, ["Rate", "USD per million tokens", "Note"], rows, notes)
