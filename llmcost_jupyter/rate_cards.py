"""Rate card types and the errors of a rate lookup.

These are the values that ``catalog`` builds from the genai-prices catalog and that ``prices``
returns. ``prices`` re-exports every name here, so import them from there.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from .batch import BatchDiscount

__all__ = [
    "REASONING_FROM_CATALOG",
    "REASONING_FROM_CUSTOM",
    "REASONING_FROM_OUTPUT",
    "REASONING_FROM_OVERRIDE",
    "InvalidRateError",
    "ModelSummary",
    "PriceDataInfo",
    "RateCard",
    "Rates",
    "Tier",
    "UnknownModelError",
    "UnknownProviderError",
    "UnpricedModelError",
]

# Reasoning rate origins, stored in RateCard.reasoning_source.
REASONING_FROM_OUTPUT = "output rate"
REASONING_FROM_CATALOG = "catalog"
REASONING_FROM_OVERRIDE = "override"
REASONING_FROM_CUSTOM = "custom model"


# ---------------------------------------------------------------------------------------------
# Errors


class UnknownModelError(LookupError):
    """A model name that neither the catalog nor the custom models contain.

    Attributes:
        suggestions: Close model names, best first, possibly empty.
    """

    def __init__(self, message: str, suggestions: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.suggestions: list[str] = list(suggestions)


class UnknownProviderError(UnknownModelError):
    """A provider id, given as ``provider=`` or as a name prefix, that the catalog lacks."""


class UnpricedModelError(UnknownModelError):
    """A catalog model with no per-token price, such as one billed per audio hour or page."""


class InvalidRateError(ValueError):
    """A rate or rate name that set_rates or add_custom_model cannot accept."""


# ---------------------------------------------------------------------------------------------
# Rate card types


@dataclass(frozen=True)
class Tier:
    """Long-context rates that replace the base rates for a whole request above a prompt size.

    Attributes:
        threshold: Prompt size in tokens, counting cached tokens, where the tier starts.
        input: Input rate, USD per million tokens.
        output: Output rate, USD per million tokens.
        cache_read: Cache read rate, or None when the model has no cache read price.
        cache_write_5m: 5-minute cache write rate, or None.
        cache_write_1h: 1-hour cache write rate, or None.
        inclusive: True when the tier applies at ``threshold`` tokens (``>=``), False when it
            applies only above it (``>``).
    """

    threshold: int
    input: Decimal
    output: Decimal
    cache_read: Decimal | None
    cache_write_5m: Decimal | None
    cache_write_1h: Decimal | None
    inclusive: bool = False

    def applies_to(self, prompt_tokens: int) -> bool:
        """Tell whether a request with this many prompt tokens is billed at this tier."""
        if self.inclusive:
            return prompt_tokens >= self.threshold
        return prompt_tokens > self.threshold


@dataclass(frozen=True)
class Rates:
    """Rates in force for one request, in USD per million tokens.

    Attributes:
        input: Uncached input rate.
        output: Visible output rate.
        reasoning: Hidden reasoning token rate.
        cache_read: Cache read rate, or None when the model has no cache read price.
        cache_write_5m: 5-minute cache write rate, or None.
        cache_write_1h: 1-hour cache write rate, or None.
        tier: Long-context tier these rates come from, or None for the base rates.
    """

    input: Decimal
    output: Decimal
    reasoning: Decimal
    cache_read: Decimal | None
    cache_write_5m: Decimal | None
    cache_write_1h: Decimal | None
    tier: Tier | None = None


@dataclass(frozen=True)
class RateCard:
    """Every per-token rate of one model, in USD per million tokens.

    The top-level rates are the base rates, for prompts below the first tier. Use
    :meth:`rates_for` to get the rates in force for a given prompt size.

    Attributes:
        model: Model name as the user wrote it.
        model_id: Catalog id of the model, or the custom model's name.
        provider_id: Catalog id of the provider, such as ``"anthropic"``.
        provider_name: Display name of the provider.
        input: Uncached input rate.
        output: Visible output rate; 0 for a model without an output price, such as an
            embedding model.
        reasoning: Rate of hidden reasoning tokens: the catalog's reasoning rate when it has
            one, else the output rate.
        reasoning_source: Origin of the reasoning rate: ``"output rate"``, ``"catalog"``,
            ``"override"`` or ``"custom model"``.
        cache_read: Cache read rate, or None when the model has no cache read price.
        cache_write_5m: Rate of cache writes with the default 5-minute lifetime, or None.
        cache_write_1h: Rate of cache writes with a 1-hour lifetime, or None.
        tiers: Long-context tiers, by ascending threshold.
        batch: Batch discount for this model, or None when none is known.
        context_window: Maximum prompt size in tokens, when the catalog records it.
        source: Where the rates come from, such as ``"genai-prices 0.2.3"``, and which ones
            the user set.
        source_url: Provider pricing page, when known.
        as_of: Date of the price data (see :func:`price_data_info`), or the day a custom
            model was added.
        overridden: Names of the rates the user set with :func:`set_rates`.
        model_name: Display name of the model, when the catalog has one.
        deprecated: Whether the catalog marks the model as deprecated.
        price_note: The catalog's comment on this model's pricing, if any.
    """

    model: str
    model_id: str
    provider_id: str
    provider_name: str
    input: Decimal
    output: Decimal
    reasoning: Decimal
    reasoning_source: str
    cache_read: Decimal | None
    cache_write_5m: Decimal | None
    cache_write_1h: Decimal | None
    tiers: tuple[Tier, ...]
    batch: BatchDiscount | None
    context_window: int | None
    source: str
    source_url: str | None
    as_of: datetime.date | None
    overridden: frozenset[str]
    model_name: str | None = None
    deprecated: bool = False
    price_note: str | None = None
    _catalog_card: RateCard | None = field(default=None, repr=False, compare=False)

    def tier_for(self, prompt_tokens: int) -> Tier | None:
        """Return the highest tier that applies to a prompt of this size, or None."""
        for tier in reversed(self.tiers):
            if tier.applies_to(prompt_tokens):
                return tier
        return None

    def rates_for(self, prompt_tokens: int) -> Rates:
        """Return the rates in force for a request with this many prompt tokens.

        Crossing a tier threshold reprices the whole request, so every rate comes from the
        tier, not only the rate of the tokens past the threshold.

        Args:
            prompt_tokens: All prompt tokens of the request, cached ones included.

        Returns:
            The base rates, or the rates of the highest tier that applies.
        """
        tier = self.tier_for(prompt_tokens)
        if tier is None:
            return Rates(
                self.input,
                self.output,
                self.reasoning,
                self.cache_read,
                self.cache_write_5m,
                self.cache_write_1h,
            )
        reasoning = (
            tier.output if self.reasoning_source == REASONING_FROM_OUTPUT else self.reasoning
        )
        return Rates(
            tier.input,
            tier.output,
            reasoning,
            tier.cache_read,
            tier.cache_write_5m,
            tier.cache_write_1h,
            tier,
        )

    def catalog(self) -> RateCard:
        """Return this card without the user's overrides."""
        return self._catalog_card if self._catalog_card is not None else self

    def __repr__(self) -> str:
        return (
            f"RateCard({self.provider_id}:{self.model_id}, input={self.input}, "
            f"output={self.output}, reasoning={self.reasoning}, cache_read={self.cache_read}, "
            f"tiers={len(self.tiers)}, source={self.source!r})"
        )


@dataclass(frozen=True)
class ModelSummary:
    """One row of a model search.

    Attributes:
        model_id: Catalog id of the model.
        provider_id: Catalog id of the provider.
        provider_name: Display name of the provider.
        name: Display name of the model, when the catalog has one.
        input: Base input rate, or None for a model without a per-token price.
        output: Base output rate, or None.
        context_window: Maximum prompt size in tokens, when known.
        deprecated: Whether the catalog marks the model as deprecated.
    """

    model_id: str
    provider_id: str
    provider_name: str
    name: str | None
    input: Decimal | None
    output: Decimal | None
    context_window: int | None
    deprecated: bool = False


@dataclass(frozen=True)
class PriceDataInfo:
    """Description of the price catalog in use.

    Attributes:
        source: Name of the catalog package.
        version: Installed version of the catalog package.
        as_of: Date of the price data, see ``as_of_meaning``; None if no date was found.
        as_of_meaning: What ``as_of`` stands for.
        model_count: Number of models in the catalog, across all providers.
        provider_count: Number of providers in the catalog.
    """

    source: str
    version: str
    as_of: datetime.date | None
    as_of_meaning: str
    model_count: int
    provider_count: int

    @property
    def label(self) -> str:
        """One-line description, such as ``genai-prices 0.2.3, data as of 2026-12-01 (...)``."""
        as_of = self.as_of.isoformat() if self.as_of else "an unknown date"
        return f"{self.source} {self.version}, data as of {as_of} ({self.as_of_meaning})"
