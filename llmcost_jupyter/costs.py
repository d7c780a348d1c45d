"""Cost arithmetic: a request's token usage times a rate card, in exact ``Decimal`` dollars.

Every token is billed exactly once. Prompt tokens split into uncached input, cache reads and
cache writes; completion tokens split into visible output and hidden reasoning. No amount is
rounded here: round only for display. The default ``Decimal`` context keeps 28 significant
digits, so results are exact while a product fits in them: a trillion tokens at a rate with six
significant digits needs 19.

>>> from llmcost_jupyter.prices import get_rate_card
>>> price_usage(get_rate_card("gpt-4o"), Usage(input_tokens=1000, output_tokens=500)).total
Decimal('0.0075')
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal

from .batch import BatchDiscount
from .prices import TOKENS_PER_MTOK, RateCard, Rates, Tier

__all__ = [
    "BatchNotAvailableError",
    "CostBreakdown",
    "InvalidUsageError",
    "Usage",
    "price_usage",
]

# Token counts that are part of Usage.input_tokens.
CACHE_TOKEN_FIELDS = ("cache_read_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens")
# Dollar amounts of a CostBreakdown, added and scaled together.
COST_FIELDS = ("input", "cache_read", "cache_write", "output", "reasoning", "total")


class InvalidUsageError(ValueError):
    """Token counts that cannot describe a request, such as more cached than prompt tokens."""


class BatchNotAvailableError(ValueError):
    """A batch price requested for a model whose provider has no known batch discount."""


@dataclass(frozen=True)
class Usage:
    """Token counts of one request.

    Attributes:
        input_tokens: All prompt tokens, including cache reads and cache writes.
        output_tokens: Visible output tokens, excluding reasoning tokens.
        reasoning_tokens: Hidden reasoning tokens, billed at the card's reasoning rate.
        cache_read_tokens: Prompt tokens read from the cache; part of ``input_tokens``.
        cache_write_5m_tokens: Prompt tokens written to a 5-minute cache; part of ``input_tokens``.
        cache_write_1h_tokens: Prompt tokens written to a 1-hour cache; part of ``input_tokens``.

    Raises:
        InvalidUsageError: A count is not a whole number of 0 or more, or the cache counts add
            up to more than ``input_tokens``.
    """

    input_tokens: int
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_5m_tokens: int = 0
    cache_write_1h_tokens: int = 0

    def __post_init__(self) -> None:
        for item in fields(self):
            _check_count(item.name, getattr(self, item.name))
        cached = sum(getattr(self, name) for name in CACHE_TOKEN_FIELDS)
        if cached > self.input_tokens:
            raise InvalidUsageError(
                f"Cached tokens ({cached:,}: cache_read_tokens={self.cache_read_tokens:,}, "
                f"cache_write_5m_tokens={self.cache_write_5m_tokens:,}, "
                f"cache_write_1h_tokens={self.cache_write_1h_tokens:,}) exceed "
                f"input_tokens={self.input_tokens:,}. input_tokens counts every prompt token, "
                f"cached ones included: raise it to at least {cached:,} or lower the cache counts."
            )

    @property
    def uncached_input_tokens(self) -> int:
        """Prompt tokens that are neither read from nor written to the cache."""
        return self.input_tokens - sum(getattr(self, name) for name in CACHE_TOKEN_FIELDS)

    @property
    def cache_write_tokens(self) -> int:
        """Prompt tokens written to the cache, for either lifetime."""
        return self.cache_write_5m_tokens + self.cache_write_1h_tokens

    def __add__(self, other: object) -> Usage:
        if not isinstance(other, Usage):
            return NotImplemented
        return Usage(
            **{
                item.name: getattr(self, item.name) + getattr(other, item.name)
                for item in fields(self)
            }
        )


def _check_count(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidUsageError(
            f"{name} must be a whole number of tokens, got {value!r}; use int({value!r})."
        )
    if value < 0:
        raise InvalidUsageError(f"{name} must be 0 or more, got {value:,}.")


@dataclass(frozen=True)
class CostBreakdown:
    """Cost of one request, or of several added together, in USD.

    Attributes:
        input: Cost of the uncached input tokens.
        cache_read: Cost of the cache reads.
        cache_write: Cost of the cache writes, 5-minute and 1-hour.
        output: Cost of the visible output tokens.
        reasoning: Cost of the reasoning tokens.
        total: Sum of the five parts.
        tier: Long-context tier applied, or None for the base rates.
        batch: Batch discount applied, or None.
    """

    input: Decimal
    cache_read: Decimal
    cache_write: Decimal
    output: Decimal
    reasoning: Decimal
    total: Decimal
    tier: Tier | None = None
    batch: BatchDiscount | None = None

    @classmethod
    def zero(cls) -> CostBreakdown:
        """Return a breakdown of no cost, the start of a sum."""
        return cls(*(Decimal(0) for _ in COST_FIELDS))

    def __add__(self, other: object) -> CostBreakdown:
        """Add two breakdowns; tier and batch stay only when both sides have the same one."""
        if not isinstance(other, CostBreakdown):
            return NotImplemented
        amounts = {name: getattr(self, name) + getattr(other, name) for name in COST_FIELDS}
        tier = self.tier if self.tier == other.tier else None
        batch = self.batch if self.batch == other.batch else None
        return CostBreakdown(**amounts, tier=tier, batch=batch)

    def __radd__(self, other: object) -> CostBreakdown:
        if other == 0:  # lets sum() start from its default 0
            return self
        return NotImplemented

    def scaled(self, calls: int) -> CostBreakdown:
        """Return the cost of ``calls`` identical requests, exactly.

        Raises:
            InvalidUsageError: ``calls`` is not a whole number of 0 or more.
        """
        _check_count("calls", calls)
        amounts = {name: getattr(self, name) * calls for name in COST_FIELDS}
        return CostBreakdown(**amounts, tier=self.tier, batch=self.batch)


def price_usage(card: RateCard, usage: Usage, *, batch: bool = False) -> CostBreakdown:
    """Price one request's usage with a rate card.

    The tier is chosen by ``usage.input_tokens``, cached tokens included, and a tier reprices
    the whole request: input, output, reasoning and cache rates all come from it. Unpriced
    cache tokens fall back as genai-prices does: cache reads and cache writes without a price
    of their own are billed at the input rate, and 1-hour writes without a price at the
    5-minute rate. Reasoning tokens are billed once, at ``card.reasoning``.

    With ``batch=True`` every part is multiplied by ``1 - discount``. Cache reads and writes
    are discounted too only when the discount stacks with caching, except cached tokens
    billed at the input rate, which are discounted like input.

    Args:
        card: Rates of the model.
        usage: Token counts of the request.
        batch: Apply the model's batch discount.

    Returns:
        The cost, split by kind of token, with no rounding.

    Raises:
        BatchNotAvailableError: ``batch`` is True and no batch discount is known for the model.
    """
    discount = _batch_for(card) if batch else None
    rates = card.rates_for(usage.input_tokens)
    full = Decimal(1)
    token_factor = discount.multiplier if discount is not None else full
    cache_factor = token_factor if discount is not None and discount.stacks_with_cache else full
    parts = {
        "input": _cost(usage.uncached_input_tokens, rates.input) * token_factor,
        "cache_read": _cache_read_cost(usage, rates, token_factor, cache_factor),
        "cache_write": _cache_write_cost(usage, rates, token_factor, cache_factor),
        "output": _cost(usage.output_tokens, rates.output) * token_factor,
        "reasoning": _cost(usage.reasoning_tokens, rates.reasoning) * token_factor,
    }
    return CostBreakdown(
        **parts, total=sum(parts.values(), Decimal(0)), tier=rates.tier, batch=discount
    )


def _batch_for(card: RateCard) -> BatchDiscount:
    if card.batch is None:
        raise BatchNotAvailableError(
            f"No batch discount is known for {card.provider_name} ({card.provider_id}), so "
            f"{card.model} cannot be priced as a batch request. Price it without batch, or set "
            f"a discount with set_rates({card.model!r}, batch_discount=0.5)."
        )
    return card.batch


def _cost(tokens: int, rate: Decimal) -> Decimal:
    return tokens * rate / TOKENS_PER_MTOK


def _cache_read_cost(
    usage: Usage, rates: Rates, token_factor: Decimal, cache_factor: Decimal
) -> Decimal:
    rate, factor = _cache_rate(rates.cache_read, (rates.input, token_factor), cache_factor)
    return _cost(usage.cache_read_tokens, rate) * factor


def _cache_write_cost(
    usage: Usage, rates: Rates, token_factor: Decimal, cache_factor: Decimal
) -> Decimal:
    rate_5m, factor_5m = _cache_rate(
        rates.cache_write_5m, (rates.input, token_factor), cache_factor
    )
    rate_1h, factor_1h = _cache_rate(rates.cache_write_1h, (rate_5m, factor_5m), cache_factor)
    return (
        _cost(usage.cache_write_5m_tokens, rate_5m) * factor_5m
        + _cost(usage.cache_write_1h_tokens, rate_1h) * factor_1h
    )


def _cache_rate(
    rate: Decimal | None, fallback: tuple[Decimal, Decimal], cache_factor: Decimal
) -> tuple[Decimal, Decimal]:
    """Return a cache rate and its batch factor, or the fallback rate and factor when unpriced."""
    if rate is None:
        return fallback
    return rate, cache_factor
