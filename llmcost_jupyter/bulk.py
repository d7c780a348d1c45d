"""Price every row of a DataFrame column for one or more models: the bill before a batch run.

``price_frame`` counts each row's prompt with the model's tokenizer, prices each row's usage
with ``costs.price_usage`` (so a long-context tier applies to exactly the rows whose own prompt
crosses it) and adds the costs in exact ``Decimal``. The counts equal ``count_tokens`` row by
row and the costs equal ``estimate`` row by row; only the work is organised differently:

* The counts come from ``parallel_counting``, which runs each distinct tokenizer once per row
  and counts large inputs on every core.
* Rows with the same counts share one priced usage, so pricing 200,000 rows calls
  ``price_usage`` only once per distinct usage.

``count_texts``, ``TokenCounts``, ``CountPlan``, ``plan_counts``, ``default_workers`` and
``WorkerProcessError`` are defined in ``parallel_counting`` and re-exported here.
"""

from __future__ import annotations

import itertools
import math
import numbers
import warnings
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Union

from .costs import CostBreakdown, Usage, price_usage
from .counting import TokenCount
from .parallel_counting import (
    ChunkCounts,
    CountPlan,
    TokenCounts,
    TokenizerOption,
    WorkerProcessError,
    _memo_count,
    count_texts,
    default_workers,
    iter_chunk_counts,
    plan_counts,
)
from .prices import RateCard, get_rate_card
from .progress import ProgressOption, progress_reporter
from .report import InvalidRequestError, as_count, check_models, parse_share

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "COST_COLUMNS",
    "CountPlan",
    "IncompleteResultWarning",
    "ModelTotals",
    "PricedFrame",
    "TokenCounts",
    "WorkerProcessError",
    "count_texts",
    "default_workers",
    "plan_counts",
    "price_frame",
]

TokenOption = Union[int, str]


class IncompleteResultWarning(UserWarning):
    """``price_frame`` was interrupted and returned the rows it had priced."""


# ====================
# Pricing rows
# ====================


class PricedUsage:
    """One distinct usage of one model, priced once and shared by every row that has it.

    ``record`` contains the values of ``ROW_COLUMNS`` after ``model``, made once here, so
    that building the per-row frame only transposes records.
    """

    __slots__ = ("count", "usage", "cost", "cost_low", "cost_high", "record")

    def __init__(
        self,
        count: TokenCount,
        usage: Usage,
        cost: CostBreakdown,
        cost_low: Decimal,
        cost_high: Decimal,
        calls: int,
    ) -> None:
        self.count = count
        self.usage = usage
        self.cost = cost
        self.cost_low = cost_low
        self.cost_high = cost_high
        self.record = (
            count.tokens,
            count.exact,
            usage.output_tokens,
            usage.reasoning_tokens,
            usage.cache_read_tokens,
            cost.tier is not None,
            cost.input,
            cost.cache_read + cost.cache_write,
            cost.output,
            cost.reasoning,
            cost.total,
            calls,
            cost.total * calls,
        )


@dataclass(frozen=True)
class FrameOptions:
    """The per-row token options of a run, validated; picklable for Dask workers."""

    output: int | str
    reasoning: int | str
    cached: int | str | None
    cached_share: Decimal | None
    batch: bool
    calls_per_row: int


class _ModelPricer:
    """Prices one model's rows, calling ``price_usage`` once per distinct usage."""

    def __init__(self, plan: CountPlan, card: RateCard, options: FrameOptions) -> None:
        self.plan = plan
        self.card = card
        self.options = options
        self._counts: dict[int, TokenCount] = {}
        self._priced: dict[tuple[int, int, int, int | None], PricedUsage] = {}

    def price(
        self,
        raw_counts: Sequence[int],
        outputs: Sequence[int],
        reasonings: Sequence[int],
        cached: Sequence[int | None],
        labels: Callable[[int], Hashable],
    ) -> list[PricedUsage]:
        """Price rows given their raw counts and token options, in row order."""
        priced = self._priced
        rows = []
        for position, key in enumerate(zip(raw_counts, outputs, reasonings, cached)):
            found = priced.get(key)
            if found is None:
                found = priced[key] = self._price_new(*key, label=lambda: labels(position))
            rows.append(found)
        return rows

    def _price_new(
        self,
        raw: int,
        output: int,
        reasoning: int,
        cached: int | None,
        *,
        label: Callable[[], Hashable],
    ) -> PricedUsage:
        count = _memo_count(self.plan, self._counts, raw)
        read = self._cached_tokens(count.tokens, cached)
        if read > count.tokens:
            raise InvalidRequestError(
                f"row {label()!r}: {read:,} cached tokens exceed the row's {count.tokens:,} "
                f"prompt tokens for {self.plan.model}: cached tokens are part of the prompt, so "
                "lower cached_tokens or give cached_share instead"
            )
        usage = Usage(count.tokens, output, reasoning, read)
        cost = price_usage(self.card, usage, batch=self.options.batch)
        calls = self.options.calls_per_row
        if count.exact:
            return PricedUsage(count, usage, cost, cost.total, cost.total, calls)
        low = self._bound_cost(count.low, output, reasoning, cached)
        high = self._bound_cost(count.high, output, reasoning, cached)
        return PricedUsage(count, usage, cost, low, high, calls)

    def _cached_tokens(self, prompt_tokens: int, cached: int | None) -> int:
        share = self.options.cached_share
        if share is not None:
            # The same rounding as report.estimate: the share's whole tokens, rounded down.
            return int(share * prompt_tokens)
        return cached or 0

    def _bound_cost(self, tokens: int, output: int, reasoning: int, cached: int | None) -> Decimal:
        # Cached tokens are capped at the bound's prompt size, which can be below the count.
        read = min(self._cached_tokens(tokens, cached), tokens)
        usage = Usage(tokens, output, reasoning, read)
        return price_usage(self.card, usage, batch=self.options.batch).total


# ====================
# Results
# ====================


@dataclass(frozen=True)
class ModelTotals:
    """One model's totals over the priced rows, for all calls.

    Attributes:
        model: Model id as the caller wrote it.
        rows: Number of rows priced.
        calls: Number of calls priced: rows times ``calls_per_row``.
        usage: Tokens of all calls added up.
        cost: Cost of all calls, split by kind of token, exact.
        cost_low: Total cost with every estimated count at the low end of its range; equal
            to ``cost.total`` for an exact model.
        cost_high: The same at the high end of the range.
        input_tokens_low: Prompt tokens of all calls at the low end of the estimates' range.
        input_tokens_high: The same at the high end.
        long_context_rows: Rows whose prompt is large enough for a long-context tier.
        exact: Whether every count is exact.
        method: How the prompt tokens were counted.
        oversized_rows: Rows whose prompt, output and reasoning tokens exceed the model's
            context window, which the API would reject.
    """

    model: str
    rows: int
    calls: int
    usage: Usage
    cost: CostBreakdown
    cost_low: Decimal
    cost_high: Decimal
    input_tokens_low: int
    input_tokens_high: int
    long_context_rows: int
    exact: bool
    method: str
    oversized_rows: int = 0

    @classmethod
    def from_rows(cls, model: str, priced: Sequence[PricedUsage], plan: CountPlan,
                  calls_per_row: int, context_window: int | None = None) -> ModelTotals:
        """Add up priced rows, each distinct usage once times the rows that have it."""
        tally = Counter(priced)
        tokens = [0] * 6
        low = high = 0
        long_context = oversized = 0
        cost = CostBreakdown.zero()
        cost_low = cost_high = Decimal(0)
        for item, rows in tally.items():
            usage = item.usage
            for index, value in enumerate(_usage_values(usage)):
                tokens[index] += value * rows
            low += item.count.low * rows
            high += item.count.high * rows
            long_context += rows if item.cost.tier is not None else 0
            needed = usage.input_tokens + usage.output_tokens + usage.reasoning_tokens
            oversized += rows if context_window and needed > context_window else 0
            cost += item.cost.scaled(rows)
            cost_low += item.cost_low * rows
            cost_high += item.cost_high * rows
        usage_total = Usage(*(value * calls_per_row for value in tokens))
        return cls(
            model=model,
            rows=len(priced),
            calls=len(priced) * calls_per_row,
            usage=usage_total,
            cost=cost.scaled(calls_per_row),
            cost_low=cost_low * calls_per_row,
            cost_high=cost_high * calls_per_row,
            input_tokens_low=low * calls_per_row,
            input_tokens_high=high * calls_per_row,
            long_context_rows=long_context,
            exact=plan.exact,
            method=plan.method,
            oversized_rows=oversized,
        )

    def __add__(self, other: object) -> ModelTotals:
        """Combine the totals of two disjoint sets of rows of the same model."""
        if not isinstance(other, ModelTotals):
            return NotImplemented
        if other.model != self.model:
            raise ValueError(f"cannot add the totals of {self.model!r} and {other.model!r}")
        return ModelTotals(
            model=self.model,
            rows=self.rows + other.rows,
            calls=self.calls + other.calls,
            usage=self.usage + other.usage,
            cost=self.cost + other.cost,
            cost_low=self.cost_low + other.cost_low,
            cost_high=self.cost_high + other.cost_high,
            input_tokens_low=self.input_tokens_low + other.input_tokens_low,
            input_tokens_high=self.input_tokens_high + other.input_tokens_high,
            long_context_rows=self.long_context_rows + other.long_context_rows,
            exact=self.exact and other.exact,
            method=self.method,
            oversized_rows=self.oversized_rows + other.oversized_rows,
        )

    @classmethod
    def empty(cls, plan: CountPlan) -> ModelTotals:
        """Return the totals of no rows."""
        zero = Decimal(0)
        return cls(plan.model, 0, 0, Usage(0), CostBreakdown.zero(), zero, zero, 0, 0, 0,
                   plan.exact, plan.method)


def _usage_values(usage: Usage) -> tuple[int, ...]:
    return (usage.input_tokens, usage.output_tokens, usage.reasoning_tokens,
            usage.cache_read_tokens, usage.cache_write_5m_tokens, usage.cache_write_1h_tokens)


#: Columns of ``PricedFrame.rows`` that contain ``Decimal`` USD amounts.
COST_COLUMNS = (
    "input_cost",
    "cache_cost",
    "output_cost",
    "reasoning_cost",
    "cost_per_call",
    "total_cost",
)

ROW_COLUMNS = (
    "model",
    "input_tokens",
    "exact",
    "output_tokens",
    "reasoning_tokens",
    "cached_tokens",
    "long_context",
    "input_cost",
    "cache_cost",
    "output_cost",
    "reasoning_cost",
    "cost_per_call",
    "calls",
    "total_cost",
)


class PricedFrame:
    """The priced rows of a DataFrame and the totals per model.

    Attributes:
        totals: ``ModelTotals`` by model id, in the order the models were given.
        cards: The rate card used for each model.
        complete: False when the run was interrupted; then only some rows are priced.
        rows_total: Number of rows in the input.
        rows_priced: Number of rows priced.
        message: A sentence on how far the run got, such as
            ``"priced 120,000 of 200,000 rows; interrupted"``.
        batch: Whether the batch discount was applied.
        calls_per_row: Calls priced per row.
    """

    def __init__(
        self,
        *,
        totals: dict[str, ModelTotals],
        cards: dict[str, RateCard],
        rows_total: int,
        rows_priced: int,
        complete: bool,
        batch: bool,
        calls_per_row: int,
        rows: Any = None,
        unpriced_index: Any = None,
    ) -> None:
        self.totals = totals
        self.cards = cards
        self.rows_total = rows_total
        self.rows_priced = rows_priced
        self.complete = complete
        self.batch = batch
        self.calls_per_row = calls_per_row
        self._rows = rows
        self._unpriced_index = unpriced_index
        state = "complete" if complete else "interrupted"
        self.message = f"priced {rows_priced:,} of {rows_total:,} rows; {state}"

    @property
    def rows(self) -> pd.DataFrame:
        """One row per input row and model, in long form.

        The index is the input row's label, repeated once per model, and rows are grouped
        by model in the order the models were given. Token columns are integers; cost
        columns hold ``Decimal`` USD: ``input_cost``, ``cache_cost``, ``output_cost``,
        ``reasoning_cost`` and ``cost_per_call`` for one call, ``total_cost`` for ``calls``
        calls. ``long_context`` marks rows billed at a long-context tier. For a Dask input
        this is a lazy Dask DataFrame that counts again when computed.
        """
        return self._rows

    @property
    def unpriced_index(self) -> pd.Index:
        """Labels of the input rows not priced because the run was interrupted."""
        return self._unpriced_index

    def wide(self, value: str = "total_cost") -> pd.DataFrame:
        """Return one column per model and one row per priced input row, for ``df.join``.

        Args:
            value: Any column of ``rows`` except ``model``.
        """
        rows = self.rows
        if _is_dask_frame(rows):
            raise TypeError("wide() needs the rows in memory; for a Dask input, compute them "
                            "first with result.rows.compute() or save them with to_parquet")
        if value not in rows.columns or value == "model":
            choices = ", ".join(column for column in ROW_COLUMNS if column != "model")
            raise InvalidRequestError(f"unknown column {value!r}; choose one of: {choices}")
        import pandas as pd

        models = list(self.totals)
        count = self.rows_priced
        columns = {
            model: rows[value].iloc[position * count:(position + 1) * count].to_numpy()
            for position, model in enumerate(models)
        }
        index = rows.index[:count]
        return pd.DataFrame(columns, index=index, columns=models)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per model with its totals; amounts are ``Decimal`` USD."""
        import pandas as pd

        return pd.DataFrame.from_records(
            [self._summary_record(totals) for totals in self.totals.values()]
        )

    def _summary_record(self, totals: ModelTotals) -> dict[str, object]:
        card = self.cards[totals.model]
        cost = totals.cost
        return {
            "model": totals.model,
            "provider": card.provider_id,
            "model_id": card.model_id,
            "rows": totals.rows,
            "calls": totals.calls,
            "input_tokens": totals.usage.input_tokens,
            "input_tokens_low": totals.input_tokens_low,
            "input_tokens_high": totals.input_tokens_high,
            "output_tokens": totals.usage.output_tokens,
            "reasoning_tokens": totals.usage.reasoning_tokens,
            "cached_tokens": totals.usage.cache_read_tokens,
            "long_context_rows": totals.long_context_rows,
            "oversized_rows": totals.oversized_rows,
            "input_cost": cost.input,
            "cache_cost": cost.cache_read + cost.cache_write,
            "output_cost": cost.output,
            "reasoning_cost": cost.reasoning,
            "total_cost": cost.total,
            "total_cost_low": totals.cost_low,
            "total_cost_high": totals.cost_high,
            "exact": totals.exact,
            "method": totals.method,
            "batch": self.batch,
            "price_source": card.source,
            "price_as_of": card.as_of,
        }

    def _table(self):  # type: ignore[no-untyped-def]
        from .display import Table, format_money

        header = ["Model", "Rows", "Calls", "Input tokens", "Output tokens", "Total cost",
                  "Range", "Counts"]
        body = []
        for totals in self.totals.values():
            estimated = not totals.exact
            span = (f"{format_money(totals.cost_low)} to {format_money(totals.cost_high)}"
                    if estimated else "")
            body.append([
                totals.model,
                f"{totals.rows:,}",
                f"{totals.calls:,}",
                f"{'≈' if estimated else ''}{totals.usage.input_tokens:,}",
                f"{totals.usage.output_tokens + totals.usage.reasoning_tokens:,}",
                format_money(totals.cost.total),
                span,
                "estimated" if estimated else "exact",
            ])
        return Table(f"Cost of {self.rows_total:,} rows", header, body, self._notes())

    def _notes(self) -> list[str]:
        notes = [] if self.complete else [f"Incomplete: {self.message}."]
        for totals in self.totals.values():
            card = self.cards[totals.model]
            as_of = card.as_of.isoformat() if card.as_of else "unknown date"
            notes.append(f"{totals.model}: {totals.method}; prices from {card.source}, "
                         f"as of {as_of}.")
            if totals.oversized_rows:
                notes.append(f"Warning: {totals.model}: {totals.oversized_rows:,} rows exceed the "
                             f"model's {card.context_window:,}-token context window; the API "
                             "would reject them.")
            if totals.long_context_rows:
                notes.append(f"{totals.model}: {totals.long_context_rows:,} rows are billed at "
                             "long-context rates.")
        if self.batch:
            notes.append("Batch discount applied.")
        return notes

    def __repr__(self) -> str:
        from .display import format_money

        costs = ", ".join(f"{model} {format_money(totals.cost.total)}"
                          for model, totals in self.totals.items())
        return f"<PricedFrame {self.message}: {costs}>"

    def __str__(self) -> str:
        return str(self._table())

    def _repr_html_(self) -> str:
        return self._table()._repr_html_()

    def _repr_pretty_(self, printer, cycle: bool) -> None:  # type: ignore[no-untyped-def]
        printer.text(repr(self) if cycle else str(self))


# ====================
# price_frame
# ====================


def price_frame(
    df: Any,
    column: str,
    models: str | Sequence[str],
    *,
    output_tokens: TokenOption = 0,
    reasoning_tokens: TokenOption = 0,
    cached_tokens: TokenOption | None = None,
    cached_share: Decimal | float | str | None = None,
    batch: bool = False,
    calls_per_row: int = 1,
    tokenizer: TokenizerOption = None,
    workers: int | None = None,
    progress: ProgressOption = None,
) -> PricedFrame:
    """Count and price the prompt in every row of ``df[column]`` for each model.

    Each row is one request: its prompt is the cell's text, counted as ordinary text, and its
    usage is priced with the model's rate card. A long-context tier applies to the rows whose
    own prompt crosses it. Totals are exact ``Decimal`` sums of the per-row costs.

    Args:
        df: A pandas DataFrame, or a Dask DataFrame (priced partition by partition, see
            ``dask_support.price_dask_frame``).
        column: Column that contains the prompts. Every cell must be a str: missing values
            (None, NaN, NA) and other types raise ``InvalidRequestError``, because an
            empty prompt would still be billed its output tokens. Drop them first with
            ``df.dropna(subset=[column])``.
        models: One model id or several.
        output_tokens: Visible output tokens per call: a number, or the name of a column of
            whole numbers.
        reasoning_tokens: Hidden reasoning tokens per call: a number or a column name.
        cached_tokens: Prompt tokens read from the cache per call: a number or a column name.
        cached_share: The same as a share of each row's prompt (0 to 1, or "40%").
        batch: Apply the provider's batch discount.
        calls_per_row: Calls made with each row, for example 3 for three attempts.
        tokenizer: A tokenizer for every model instead of each model's own, as in
            ``count_tokens``.
        workers: Processes that count, the calling one included; None for every core.
            Inputs below ``parallel_counting.PARALLEL_MIN_CHARS`` characters are always
            counted in the calling process.
        progress: None shows a progress bar once the work has lasted 1.5 seconds. True
            shows it at once and False never. A function ``f(rows_done, rows_total)`` is
            called instead of drawing a bar.

    Returns:
        A ``PricedFrame``: ``rows`` (long form, one row per input row and model),
        ``wide()``, ``summary`` and ``totals`` by model. If the run is interrupted
        (Ctrl-C, or ``KeyboardInterrupt`` raised by a progress function), the rows priced so
        far are returned with ``complete=False``, ``message`` saying how far it got,
        ``unpriced_index`` listing the rest, and an ``IncompleteResultWarning``.

    Raises:
        InvalidRequestError: If the column is missing, a cell is not a str, or an option is
            invalid.
        UnknownModelError: If a model is not in the catalog.
        BatchNotAvailableError: If ``batch`` is set for a model without a batch discount.
    """
    if _is_dask_frame(df):
        from .dask_support import price_dask_frame

        return price_dask_frame(
            df, column, models, output_tokens=output_tokens, reasoning_tokens=reasoning_tokens,
            cached_tokens=cached_tokens, cached_share=cached_share, batch=batch,
            calls_per_row=calls_per_row, tokenizer=tokenizer,
        )
    options = make_options(df, column, output_tokens, reasoning_tokens, cached_tokens,
                           cached_share, batch, calls_per_row)
    model_list = check_models(models)
    cards = {model: get_rate_card(model) for model in model_list}
    plans = plan_counts(model_list, tokenizer=tokenizer)
    run = FrameRun(df, column, plans, cards, options)
    return run.execute(workers=workers, progress=progress)


def make_options(
    df: Any,
    column: str,
    output_tokens: TokenOption,
    reasoning_tokens: TokenOption,
    cached_tokens: TokenOption | None,
    cached_share: Decimal | float | str | None,
    batch: bool,
    calls_per_row: int,
) -> FrameOptions:
    """Check the options of ``price_frame`` against the frame's columns."""
    columns = list(df.columns)
    if column not in columns:
        raise InvalidRequestError(f"column {column!r} not found; the frame has: "
                                  f"{', '.join(map(str, columns)) or 'no columns'}")
    for name, value in (("output_tokens", output_tokens), ("reasoning_tokens", reasoning_tokens),
                        ("cached_tokens", cached_tokens)):
        _check_token_option(name, value, columns)
    if cached_tokens is not None and cached_share is not None:
        raise InvalidRequestError(
            f"give cached_tokens or cached_share, not both ({cached_tokens!r} and {cached_share!r})"
        )
    share = None if cached_share is None else parse_share("cached_share", cached_share)
    if not isinstance(batch, bool):
        raise InvalidRequestError(f"batch must be True or False, got {batch!r}")
    calls_per_row = as_count("calls_per_row", calls_per_row)
    output_tokens, reasoning_tokens, cached_tokens = (
        value if value is None or isinstance(value, str) else int(value)
        for value in (output_tokens, reasoning_tokens, cached_tokens)
    )
    return FrameOptions(output_tokens, reasoning_tokens, cached_tokens, share, batch, calls_per_row)


def _check_token_option(name: str, value: object, columns: list[Any]) -> None:
    if value is None and name == "cached_tokens":
        return
    if isinstance(value, str):
        if value not in columns:
            raise InvalidRequestError(
                f"{name}={value!r} is neither a number nor a column of the frame; columns: "
                f"{', '.join(map(str, columns))}"
            )
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise InvalidRequestError(
            f"{name} must be a whole number of 0 or more or a column name, got {value!r}"
        )


def _is_dask_frame(df: object) -> bool:
    return type(df).__module__.split(".", 1)[0] == "dask"


class FrameRun:
    """One call of ``price_frame`` on a pandas DataFrame."""

    def __init__(self, df: pd.DataFrame, column: str, plans: list[CountPlan],
                 cards: dict[str, RateCard], options: FrameOptions) -> None:
        self.index = df.index
        self.column = column
        self.texts = prompt_texts(df, column)
        self.outputs = token_values(df, options.output, "output_tokens")
        self.reasonings = token_values(df, options.reasoning, "reasoning_tokens")
        self.cached = (itertools.repeat(None) if options.cached is None
                       else token_values(df, options.cached, "cached_tokens"))
        self.plans = plans
        self.cards = cards
        self.options = options
        self.pricers = [_ModelPricer(plan, cards[plan.model], options) for plan in plans]
        self.counters = list(dict.fromkeys(plan.counter for plan in plans))
        # chunk start -> (stop, priced rows of each model)
        self.priced: dict[int, tuple[int, list[list[PricedUsage]]]] = {}

    def execute(self, *, workers: int | None, progress: ProgressOption) -> PricedFrame:
        total = len(self.texts)
        done = 0
        interrupted = False
        with progress_reporter(total, progress, description="Pricing rows") as reporter:
            chunks = iter_chunk_counts(self.texts, self.counters, workers=workers)
            try:
                for chunk in chunks:
                    self._price_chunk(chunk)
                    done += chunk.stop - chunk.start
                    reporter.update(done)
            except KeyboardInterrupt:
                interrupted = True
            finally:
                chunks.close()
        result = self._result(complete=not interrupted)
        if interrupted:
            warnings.warn(f"price_frame was interrupted: {result.message}. The result contains "
                          "the priced rows; unpriced_index lists the others.",
                          IncompleteResultWarning, stacklevel=3)
        return result

    def _price_chunk(self, chunk: ChunkCounts) -> None:
        start, stop = chunk.start, chunk.stop
        index = self.index

        def label(position: int) -> Hashable:
            return index[start + position]

        per_model = []
        for plan, pricer in zip(self.plans, self.pricers):
            raw = chunk.counts[self.counters.index(plan.counter)]
            per_model.append(pricer.price(
                raw, _window(self.outputs, start, stop), _window(self.reasonings, start, stop),
                _window(self.cached, start, stop), label,
            ))
        self.priced[start] = (stop, per_model)

    def _result(self, *, complete: bool) -> PricedFrame:
        starts = sorted(self.priced)
        positions = [p for start in starts for p in range(start, self.priced[start][0])]
        totals = {}
        frames_rows: list[list[PricedUsage]] = []
        for number, plan in enumerate(self.plans):
            rows = [item for start in starts for item in self.priced[start][1][number]]
            frames_rows.append(rows)
            totals[plan.model] = ModelTotals.from_rows(
                plan.model, rows, plan, self.options.calls_per_row,
                self.cards[plan.model].context_window,
            )
        return PricedFrame(
            totals=totals,
            cards=self.cards,
            rows_total=len(self.texts),
            rows_priced=len(positions),
            complete=complete,
            batch=self.options.batch,
            calls_per_row=self.options.calls_per_row,
            rows=rows_frame(self.index, positions, self.plans, frames_rows),
            unpriced_index=self.index.delete(positions) if not complete else self.index[:0],
        )


def _window(values: Any, start: int, stop: int) -> Sequence[Any]:
    if isinstance(values, list):
        return values[start:stop]
    return values  # a constant as itertools.repeat: zip stops at the counts' length


def prompt_texts(df: pd.DataFrame, column: str) -> list[str]:
    """Return the column's cells as a list of str, or raise naming the bad cells."""
    values = df[column].tolist()
    bad = [p for p, value in enumerate(values) if type(value) is not str
           and not isinstance(value, str)]
    if not bad:
        return values
    labels = df.index
    missing = [p for p in bad if _is_missing(values[p])]
    if missing:
        examples = ", ".join(repr(labels[p]) for p in missing[:5])
        raise InvalidRequestError(
            f"column {column!r} has {len(missing):,} missing values (rows {examples}"
            f"{', ...' if len(missing) > 5 else ''}). Every row needs a prompt, because an empty "
            f"one would still be billed its output tokens: drop them with "
            f"df.dropna(subset=[{column!r}]), or fill them with df[{column!r}].fillna('')."
        )
    examples = ", ".join(f"row {labels[p]!r}: {type(values[p]).__name__} {values[p]!r:.40}"
                      for p in bad[:3])
    raise InvalidRequestError(
        f"column {column!r} has {len(bad):,} values that are not strings ({examples}); convert "
        f"them with df[{column!r}].astype(str)."
    )


def _is_missing(value: object) -> bool:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    import pandas as pd

    return value is pd.NA or value is pd.NaT


def token_values(df: pd.DataFrame, option: int | str, name: str) -> Any:
    """Return a per-row list of whole numbers for a column option, or repeat a constant."""
    if not isinstance(option, str):
        return itertools.repeat(option)
    series = df[option]
    values = series.to_numpy()
    kind = values.dtype.kind
    if kind in "iu" and (len(values) == 0 or values.min() >= 0):
        return values.tolist()
    checked = []
    for position, value in enumerate(series.tolist()):
        number = _whole_number(value)
        if number is None:
            raise InvalidRequestError(
                f"{name} column {option!r} must contain whole numbers of 0 or more; row "
                f"{df.index[position]!r} has {value!r}"
            )
        checked.append(number)
    return checked


def _whole_number(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) or type(value).__name__.startswith(("int", "uint")):
        number = int(value)  # type: ignore[call-overload]
        return number if number >= 0 else None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and value >= 0:
        return int(value)
    return None


def rows_frame(
    index: pd.Index,
    positions: list[int],
    plans: list[CountPlan],
    priced: list[list[PricedUsage]],
) -> pd.DataFrame:
    """Build the long-form per-row frame: one block of rows per model, in input row order."""
    import pandas as pd

    models = [plan.model for plan, rows in zip(plans, priced) for _ in rows]
    records = [item.record for rows in priced for item in rows]
    names = ROW_COLUMNS[1:]
    columns = dict(zip(names, zip(*records))) if records else {name: () for name in names}
    labels = index[positions] if positions else index[:0]
    frame = pd.DataFrame({"model": models, **columns}, index=_tiled(labels, len(plans)),
                         columns=list(ROW_COLUMNS))
    for name in ("input_tokens", "output_tokens", "reasoning_tokens", "cached_tokens", "calls"):
        frame[name] = frame[name].astype("int64")
    frame["model"] = frame["model"].astype(str)  # also when empty, so that Dask's meta matches
    frame["exact"] = frame["exact"].astype(bool)
    frame["long_context"] = frame["long_context"].astype(bool)
    for name in COST_COLUMNS:
        frame[name] = frame[name].astype(object)
    return frame


def _tiled(labels: pd.Index, times: int) -> pd.Index:
    if times == 1:
        return labels
    return labels.append([labels] * (times - 1))
