"""Price one prompt for several models: the function behind ``%%llmcost``.

``estimate`` counts the prompt for each model, builds the usage of one call,
prices it, compares it with a fixed per-action price and returns a
``CostReport`` that displays itself as a table.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Literal

from .breakeven import BreakEven, break_even
from .counting import TokenCount, count_tokens
from .costs import CostBreakdown, Usage, price_usage
from .prices import PriceDataInfo, RateCard, get_rate_card, price_data_info

if TYPE_CHECKING:
    import os

    import pandas as pd

    from .tokenizers import Tokenizer

CacheTTL = Literal["5m", "1h"]
CACHE_TTLS: tuple[CacheTTL, ...] = ("5m", "1h")


class InvalidRequestError(ValueError):
    """An option of an estimate is invalid: the message names the value and the fix."""


@dataclass(frozen=True)
class ModelEstimate:
    """One model's row of a report.

    Attributes:
        card: The rates used, with their source.
        count: The prompt's input tokens and how they were counted.
        usage: The tokens of one call.
        cost: The cost of one call.
        calls: Number of calls the total covers.
        batch: Whether the batch discount was applied.
        break_even: The comparison with a per-action price, when one was given.
    """

    card: RateCard
    count: TokenCount
    usage: Usage
    cost: CostBreakdown
    calls: int
    batch: bool = False
    break_even: BreakEven | None = None

    @property
    def model(self) -> str:
        """The model id as the user wrote it."""
        return self.card.model

    @property
    def total_cost(self) -> Decimal:
        """Cost of all ``calls`` calls, in USD."""
        return self.cost.total * self.calls


@dataclass(frozen=True)
class CostReport:
    """The priced prompt for every requested model.

    Display it in Jupyter for an HTML table, ``print`` it for a text table, or call
    ``to_frame()`` for a pandas DataFrame with one row per model.
    """

    rows: tuple[ModelEstimate, ...]
    calls: int
    action_price: Decimal | None = None
    label: str | None = None
    prompt_chars: int = 0
    price_info: PriceDataInfo | None = None
    notes: tuple[str, ...] = field(default=())
    warnings: tuple[str, ...] = field(default=())

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, model: str) -> ModelEstimate:
        for row in self.rows:
            if model in (row.model, row.card.model_id):
                return row
        raise KeyError(model)

    @property
    def cheapest(self) -> ModelEstimate:
        """The row with the lowest cost per call."""
        return min(self.rows, key=lambda row: row.cost.total)

    def to_frame(self) -> pd.DataFrame:
        """Return one row per model; amounts are ``Decimal`` in USD."""
        from .frames import report_to_frame

        return report_to_frame(self)

    def __repr__(self) -> str:
        costs = ", ".join(f"{row.model} {_short_money(row.cost.total)}/call" for row in self.rows)
        from .display import plural

        return f"<CostReport {costs}; {plural(self.calls, 'call')}>"

    def __str__(self) -> str:
        from .display import render_text

        return render_text(self)

    def _repr_html_(self) -> str:
        from .display import render_html

        return render_html(self)

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(repr(self) if cycle else str(self))


def estimate(
    prompt: str,
    models: str | Sequence[str],
    *,
    output_tokens: int = 0,
    reasoning_tokens: int = 0,
    cached_tokens: int | None = None,
    cached_share: Decimal | float | str | None = None,
    cache_write_tokens: int | None = None,
    cache_write_share: Decimal | float | str | None = None,
    cache_ttl: CacheTTL = "5m",
    batch: bool = False,
    calls: int = 1,
    action_price: Decimal | float | str | None = None,
    tokenizer: str | os.PathLike[str] | Tokenizer | None = None,
    label: str | None = None,
    counts: dict[str, TokenCount] | None = None,
) -> CostReport:
    """Count ``prompt`` for each model and price one call and ``calls`` calls.

    Args:
        prompt: The prompt text, counted as ordinary text.
        models: One model id or several, as the catalog names them.
        output_tokens: Visible output tokens per call.
        reasoning_tokens: Hidden reasoning tokens per call, billed at the reasoning rate.
        cached_tokens: Prompt tokens read from the provider's cache on each call.
        cached_share: The same as a share of the prompt (0 to 1); excludes ``cached_tokens``.
        cache_write_tokens: Prompt tokens written to the cache on each call.
        cache_write_share: The same as a share of the prompt (0 to 1).
        cache_ttl: Lifetime of the cache writes, ``"5m"`` or ``"1h"``.
        batch: Apply the provider's batch discount.
        calls: Number of calls the total covers, for example a month's volume.
        action_price: A vendor's fixed price per action, in USD, to compare with.
        tokenizer: A tokenizer to use for every model instead of the model's own
            (a tiktoken encoding name, a ``tokenizer.json`` path or a Tokenizer).
        label: A task label, kept with the report and in the session ledger.
        counts: Token counts already made, by model id, used instead of counting again
            (for example an exact count from a provider's counting API).

    Returns:
        The report, one row per model in the order given.

    Raises:
        InvalidRequestError: If an option is invalid.
        UnknownModelError: If a model is not in the catalog and no custom model has its name.
    """
    model_list = check_models(models)
    output_tokens = as_count("output_tokens", output_tokens)
    reasoning_tokens = as_count("reasoning_tokens", reasoning_tokens)
    calls = as_count("calls", calls)
    if cache_ttl not in CACHE_TTLS:
        raise InvalidRequestError(f"cache_ttl must be '5m' or '1h', got {cache_ttl!r}")
    cache_read = _CacheAmount.parse("cached", cached_tokens, cached_share)
    cache_write = _CacheAmount.parse("cache_write", cache_write_tokens, cache_write_share)
    price = None if action_price is None else parse_money("action_price", action_price)

    rows = []
    warnings: list[str] = []
    for model in model_list:
        card = get_rate_card(model)
        count = (counts or {}).get(model) or count_tokens(prompt, model, tokenizer=tokenizer)
        usage = _usage_for(model, count.tokens, output_tokens, reasoning_tokens,
                           cache_read, cache_write, cache_ttl)
        cost = price_usage(card, usage, batch=batch)
        comparison = None if price is None else break_even(card, usage, price, batch=batch)
        rows.append(ModelEstimate(card, count, usage, cost, calls, batch, comparison))
        warnings += _row_warnings(rows[-1])
    notes = ()
    if tokenizer is not None:
        notes = (f"Every model was counted with the tokenizer given ({tokenizer}); the counts are "
                 "exact for that tokenizer, which may not be the model's own.",)
    return CostReport(
        rows=tuple(rows),
        calls=calls,
        action_price=price,
        label=label,
        prompt_chars=len(prompt),
        price_info=price_data_info(),
        notes=notes,
        warnings=tuple(warnings),
    )


def _row_warnings(row: ModelEstimate) -> list[str]:
    """Warn about a request the API would reject, or an estimate that may cross a tier."""
    warnings = []
    usage, card = row.usage, row.card
    needed = usage.input_tokens + usage.output_tokens + usage.reasoning_tokens
    if card.context_window and needed > card.context_window:
        warnings.append(
            f"{row.model}: {needed:,} tokens (prompt, output and reasoning) exceed the "
            f"model's {card.context_window:,}-token context window; the API would reject "
            "this request."
        )
    if not row.count.exact and card.tier_for(row.count.low) != card.tier_for(row.count.high):
        low = price_usage(card, _with_prompt(usage, row.count.low), batch=row.batch).total
        high = price_usage(card, _with_prompt(usage, row.count.high), batch=row.batch).total
        warnings.append(
            f"{row.model}: the estimated prompt ({row.count.low:,} to {row.count.high:,} tokens) "
            "may cross a long-context threshold, which reprices the whole request: one call "
            f"may cost {_short_money(low)} to {_short_money(high)}."
        )
    return warnings


def _with_prompt(usage: Usage, prompt_tokens: int) -> Usage:
    """Return ``usage`` with another prompt size, keeping the cached tokens within it."""
    from dataclasses import replace

    cached = usage.cache_read_tokens + usage.cache_write_5m_tokens + usage.cache_write_1h_tokens
    return replace(usage, input_tokens=max(prompt_tokens, cached))


def parse_money(name: str, value: Decimal | float | str) -> Decimal:
    """Convert a user's amount of money to ``Decimal``, rejecting negatives and NaN.

    Floats go through ``str`` so that ``2.5`` becomes ``Decimal("2.5")``.
    """
    try:
        amount = Decimal(str(value).strip().lstrip("$"))
    except InvalidOperation:
        raise InvalidRequestError(
            f"{name} must be an amount in USD such as 2.50, got {value!r}"
        ) from None
    if not amount.is_finite() or amount < 0:
        raise InvalidRequestError(f"{name} must be a finite amount of 0 or more, got {value!r}")
    return amount


def parse_share(name: str, value: Decimal | float | str) -> Decimal:
    """Convert a share given as ``0.4``, ``"0.4"`` or ``"40%"`` to a Decimal from 0 to 1."""
    text = str(value).strip()
    percent = text.endswith("%")
    try:
        share = Decimal(text.rstrip("%").strip())
    except InvalidOperation:
        raise InvalidRequestError(
            f"{name} must be a share such as 0.4 or 40%, got {value!r}"
        ) from None
    if percent:
        share /= 100
    if not share.is_finite() or not 0 <= share <= 1:
        shown = f"{share * 100}%" if share.is_finite() else text
        raise InvalidRequestError(
            f"{name} must be between 0 and 100%, got {shown}: a cached share cannot exceed the prompt"
        )
    return share


@dataclass(frozen=True)
class _CacheAmount:
    """Cache tokens given either as a count or as a share of each model's prompt."""

    name: str
    tokens: int | None = None
    share: Decimal | None = None

    @classmethod
    def parse(
        cls, name: str, tokens: int | None, share: Decimal | float | str | None
    ) -> _CacheAmount:
        if tokens is not None and share is not None:
            raise InvalidRequestError(
                f"give {name}_tokens or {name}_share, not both ({tokens!r} and {share!r})"
            )
        if tokens is not None:
            return cls(name, tokens=as_count(f"{name}_tokens", tokens))
        if share is not None:
            return cls(name, share=parse_share(f"{name}_share", share))
        return cls(name)

    def tokens_of(self, prompt_tokens: int) -> int:
        if self.share is not None:
            return int(self.share * prompt_tokens)
        return self.tokens or 0


def _usage_for(
    model: str,
    prompt_tokens: int,
    output_tokens: int,
    reasoning_tokens: int,
    cache_read: _CacheAmount,
    cache_write: _CacheAmount,
    cache_ttl: CacheTTL,
) -> Usage:
    read = cache_read.tokens_of(prompt_tokens)
    write = cache_write.tokens_of(prompt_tokens)
    if read + write > prompt_tokens:
        raise InvalidRequestError(
            f"{read + write:,} cached tokens (read {read:,}, written {write:,}) exceed the "
            f"{prompt_tokens:,} tokens of the prompt for {model}: cached tokens are part of the "
            f"prompt, so give at most {prompt_tokens:,}, or a share such as 50%"
        )
    return Usage(
        input_tokens=prompt_tokens,
        output_tokens=output_tokens,
        reasoning_tokens=reasoning_tokens,
        cache_read_tokens=read,
        cache_write_5m_tokens=write if cache_ttl == "5m" else 0,
        cache_write_1h_tokens=write if cache_ttl == "1h" else 0,
    )


def check_models(models: str | Iterable[str]) -> list[str]:
    """Return the model ids as a list without repeats, or raise if one is not a usable id."""
    model_list = [models] if isinstance(models, str) else list(models)
    if not model_list:
        raise InvalidRequestError("no model given: name at least one, for example gpt-4o")
    for model in model_list:
        if not isinstance(model, str) or not model.strip():
            raise InvalidRequestError(f"a model id must be a non-empty string, got {model!r}")
    return list(dict.fromkeys(model_list))


def as_count(name: str, value: object) -> int:
    """Return ``value`` as an ``int`` of 0 or more; NumPy integers (pandas values) pass too."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            raise InvalidRequestError(f"{name} must be a whole number, got {value!r}: use {int(value)}")
        raise InvalidRequestError(f"{name} must be a whole number of 0 or more, got {value!r}")
    if value < 0:
        raise InvalidRequestError(f"{name} must be 0 or more, got {int(value):,}")
    return int(value)


def _short_money(amount: Decimal) -> str:
    from .display import format_money

    return format_money(amount)
