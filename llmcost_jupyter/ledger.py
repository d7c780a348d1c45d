"""A session ledger of priced cells, with totals per task and per model, and budgets.

Each entry keeps the cost computed with the rates in force when it was priced,
so totals are sums of those amounts per model and price version, never one
model's rate applied to another's tokens.
"""

from __future__ import annotations

import csv
import html
import io
import os
import threading
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from .display import NO_MATH, Table, format_money, plural

if TYPE_CHECKING:
    import pandas as pd

    from .report import CostReport

UNLABELLED = "(no task label)"
GroupKey = Literal["task", "model"]


@dataclass(frozen=True)
class LedgerEntry:
    """One model's row of one priced cell."""

    when: datetime
    task: str
    model: str
    model_id: str
    provider_id: str
    price_version: str
    input_tokens: int
    tokens_exact: bool
    output_tokens: int
    reasoning_tokens: int
    cached_tokens: int
    cache_write_tokens: int
    batch: bool
    calls: int
    cost_per_call: Decimal
    total_cost: Decimal


@dataclass(frozen=True)
class LedgerTotal:
    """The summed cost of a group of entries priced with one model and one price version."""

    group: str
    model: str
    price_version: str
    entries: int
    calls: int
    total_cost: Decimal


@dataclass
class Ledger:
    """Every report recorded in this session, with optional budgets in USD.

    Attributes:
        session_budget: Warn when the ledger's total passes this amount.
        cell_budget: Warn when one cell's total for all its calls passes this amount.
    """

    session_budget: Decimal | None = None
    cell_budget: Decimal | None = None
    _entries: list[LedgerEntry] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def entries(self) -> tuple[LedgerEntry, ...]:
        """All entries, oldest first."""
        with self._lock:
            return tuple(self._entries)

    def record(self, report: CostReport, *, cell_budget: Decimal | None = None) -> list[str]:
        """Add every row of ``report`` and return a warning for each budget now passed.

        Args:
            report: The priced cell.
            cell_budget: A budget for this cell only, in place of ``self.cell_budget``.
        """
        task = report.label or UNLABELLED
        now = datetime.now(timezone.utc)
        new = [_entry(row, task, now) for row in report.rows]
        with self._lock:
            self._entries.extend(new)
        return self.budget_warnings(report, cell_budget=cell_budget)

    def budget_warnings(
        self, report: CostReport, *, cell_budget: Decimal | None = None
    ) -> list[str]:
        """Return a warning for each budget that ``report`` or the session total passes."""
        warnings = []
        limit = cell_budget if cell_budget is not None else self.cell_budget
        if limit is not None:
            for row in report.rows:
                if row.total_cost > limit:
                    warnings.append(
                        f"Over budget: {row.model} costs {format_money(row.total_cost)} for "
                        f"{plural(row.calls, 'call')}, over the cell budget of "
                        f"{format_money(limit)}."
                    )
        if self.session_budget is not None and self.total() > self.session_budget:
            warnings.append(
                f"Over budget: this session's ledger totals {format_money(self.total())}, over "
                f"the session budget of {format_money(self.session_budget)}."
            )
        return warnings

    def total(self) -> Decimal:
        """Sum of every entry's total cost, in USD."""
        return sum((entry.total_cost for entry in self.entries), Decimal(0))

    def totals(self, by: GroupKey = "task") -> list[LedgerTotal]:
        """Sum the entries per task or per model, keeping models and price versions apart."""
        if by not in ("task", "model"):
            raise ValueError(f"by must be 'task' or 'model', got {by!r}")
        groups: dict[tuple[str, str, str], list[LedgerEntry]] = defaultdict(list)
        for entry in self.entries:
            group = entry.task if by == "task" else entry.model
            groups[(group, entry.model, entry.price_version)].append(entry)
        return [
            LedgerTotal(
                group=group,
                model=model,
                price_version=version,
                entries=len(entries),
                calls=sum(entry.calls for entry in entries),
                total_cost=sum((entry.total_cost for entry in entries), Decimal(0)),
            )
            for (group, model, version), entries in groups.items()
        ]

    def clear(self) -> None:
        """Remove every entry; budgets stay as they are."""
        with self._lock:
            self._entries.clear()

    def to_csv(self, path: str | os.PathLike[str] | None = None) -> str:
        """Write the entries as CSV to ``path`` (when given) and return the CSV text."""
        buffer = io.StringIO()
        names = list(LedgerEntry.__dataclass_fields__)
        writer = csv.DictWriter(buffer, fieldnames=names, lineterminator="\n")
        writer.writeheader()
        for entry in self.entries:
            row = asdict(entry)
            row["when"] = entry.when.isoformat()
            # Decimal's str() switches to exponents for small amounts ("3E-7").
            row["cost_per_call"] = f"{entry.cost_per_call:f}"
            row["total_cost"] = f"{entry.total_cost:f}"
            writer.writerow(row)
        text = buffer.getvalue()
        if path is not None:
            with open(path, "w", encoding="utf-8", newline="") as file:
                file.write(text)
        return text

    def to_frame(self) -> pd.DataFrame:
        """Return the entries as a DataFrame; amounts are ``Decimal``."""
        import pandas as pd

        return pd.DataFrame.from_records([asdict(entry) for entry in self.entries],
                                         columns=list(LedgerEntry.__dataclass_fields__))

    def render_text(self) -> str:
        """Render the totals per task and per model as text tables."""
        if not self.entries:
            return "The ledger is empty: no %%llmcost cell has been priced in this session."
        tables = [str(self.totals_table(by)) for by in ("task", "model")]
        return "\n\n".join(tables) + f"\n\nSession total: {format_money(self.total())}"

    def render_html(self) -> str:
        """Render the totals per task and per model as HTML tables."""
        if not self.entries:
            return f'<p class="{NO_MATH}">{html.escape(self.render_text())}</p>'
        tables = "".join(self.totals_table(by)._repr_html_() for by in ("task", "model"))
        total = html.escape(format_money(self.total()))
        return f'{tables}<p class="{NO_MATH}"><strong>Session total: {total}</strong></p>'

    def totals_table(self, by: GroupKey) -> Table:
        """Return the totals per task or per model as a displayable table."""
        header = ["Model", "Cells", "Calls", "Total", "Prices"]
        if by == "task":
            header.insert(0, "Task")
        rows = []
        for total in self.totals(by):
            cells = [total.model, f"{total.entries:,}", f"{total.calls:,}",
                     format_money(total.total_cost), total.price_version]
            rows.append([total.group, *cells] if by == "task" else cells)
        return Table(f"Cost per {by}", header, rows)


def _entry(row, task: str, now: datetime) -> LedgerEntry:
    card = row.card
    as_of = card.as_of.isoformat() if card.as_of else "undated"
    return LedgerEntry(
        when=now,
        task=task,
        model=row.model,
        model_id=card.model_id,
        provider_id=card.provider_id,
        price_version=f"{card.source}, {as_of}",
        input_tokens=row.count.tokens,
        tokens_exact=row.count.exact,
        output_tokens=row.usage.output_tokens,
        reasoning_tokens=row.usage.reasoning_tokens,
        cached_tokens=row.usage.cache_read_tokens,
        cache_write_tokens=row.usage.cache_write_5m_tokens + row.usage.cache_write_1h_tokens,
        batch=row.batch,
        calls=row.calls,
        cost_per_call=row.cost.total,
        total_cost=row.total_cost,
    )


_session_ledger = Ledger()


def session_ledger() -> Ledger:
    """Return the ledger that ``%%llmcost`` records into for this process."""
    return _session_ledger
