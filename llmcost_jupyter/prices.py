"""Rate cards: the per-token prices of a model, from the genai-prices catalog or the user.

A :class:`RateCard` contains every rate needed to price one request in USD per million tokens:
input, output, reasoning, cache reads and cache writes, the long-context tiers and the batch
discount. :func:`get_rate_card` builds one from the catalog bundled with genai-prices (no
network access), then applies the user's overrides from :func:`set_rates`. Models missing
from the catalog can be added with :func:`add_custom_model`.

Model names may carry a provider prefix separated by a colon, as in
``"anthropic:claude-opus-4-1"``. The prefix counts only when it is a catalog provider id, so ids
that contain a colon themselves, such as ``"gpt-4o:extended"``, still work. A slash is never a
provider separator, because aggregators such as OpenRouter use ``"openai/gpt-4o"`` as a model id.

>>> card = get_rate_card("gpt-4o")
>>> card.provider_id, card.input, card.output
('openai', Decimal('2.5'), Decimal('10'))
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import functools
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from .batch import BatchDiscount, batch_discount

if TYPE_CHECKING:
    from genai_prices.data_snapshot import DataSnapshot
    from genai_prices.types import ModelInfo, ModelPrice, Provider

__all__ = [
    "InvalidRateError",
    "ModelSummary",
    "PriceDataInfo",
    "RateCard",
    "Rates",
    "Tier",
    "UnknownModelError",
    "UnknownProviderError",
    "UnpricedModelError",
    "add_custom_model",
    "clear_rates",
    "get_rate_card",
    "price_data_info",
    "rate_overrides",
    "remove_custom_model",
    "reset_registry",
    "search_models",
    "set_rates",
    "suggest_models",
]

CATALOG_PACKAGE = "genai-prices"

# Rate names of a card, in display order; each is USD per million tokens.
RATE_FIELDS = ("input", "output", "reasoning", "cache_read", "cache_write_5m", "cache_write_1h")
# Names that set_rates accepts.
OVERRIDE_KEYS = (*RATE_FIELDS, "batch_discount")

# Our rate names and the genai-prices price keys they come from. The catalog's cache_write_mtok
# is the price of a cache write with the default lifetime, which is 5 minutes at Anthropic.
CATALOG_PRICE_KEYS = {
    "input": "input_mtok",
    "output": "output_mtok",
    "cache_read": "cache_read_mtok",
    "cache_write_5m": "cache_write_mtok",
    "cache_write_1h": "cache_write_1h_mtok",
}
CATALOG_REASONING_KEY = "output_reasoning_mtok"

# Reasoning rate origins, stored in RateCard.reasoning_source.
REASONING_FROM_OUTPUT = "output rate"
REASONING_FROM_CATALOG = "catalog"
REASONING_FROM_OVERRIDE = "override"
REASONING_FROM_CUSTOM = "custom model"

# A nonzero rate below this many USD per million tokens is taken for a per-token price. In
# genai-prices 0.2.3 the cheapest token rate is 0.0011 per MTok, and the dearest, 600 per MTok,
# is 0.0006 per token, so this value separates the two units for every model in the catalog.
MIN_RATE_PER_MTOK = Decimal("0.001")
TOKENS_PER_MTOK = 1_000_000

# Providers that document an inclusive long-context boundary ("prompts >= 200k tokens").
# genai-prices applies a tier when tokens > start, so it stores such a boundary as start - 1
# (199999 for xAI's 200k, per its xAI price comments); rate cards show the documented number.
INCLUSIVE_TIER_PROVIDERS = frozenset({"x-ai"})

PROVIDER_SEPARATOR = ":"
# genai-prices request context that selects a model's batch price variant.
BATCH_PRICE_CONTEXT = {"processing": "batch"}

AS_OF_MEANING = (
    "latest date recorded in the catalog's price notes and price start dates, "
    "not counting price changes scheduled after today"
)
ISO_DATE_PATTERN = re.compile(r"\b(20\d\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])\b")

MODELS_HINT = "List models with %llmcost models QUERY."
# Close matches examined per suggestion returned, since some names do not resolve on their own.
SUGGESTION_POOL_FACTOR = 4
# Endings of match-rule prefixes that are not model names by themselves, such as "ft:gpt-4o-".
PREFIX_FRAGMENT_ENDINGS = ("-", ":", ".", "/", "_", "@")


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


# ---------------------------------------------------------------------------------------------
# Registry of overrides and custom models


class _Registry:
    """User-set rates and custom models, shared by the whole process."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.overrides: dict[str, dict[str, Decimal]] = {}
        self.custom: dict[str, RateCard] = {}

    def clear(self) -> None:
        with self.lock:
            self.overrides.clear()
            self.custom.clear()


_REGISTRY = _Registry()


def reset_registry() -> None:
    """Remove every override and custom model."""
    _REGISTRY.clear()


# ---------------------------------------------------------------------------------------------
# Public lookups


def get_rate_card(
    model: str,
    *,
    provider: str | None = None,
    when: datetime.datetime | datetime.date | None = None,
) -> RateCard:
    """Build the rate card of a model, with the user's overrides applied.

    Custom models come first, then the genai-prices catalog. Without a provider, the catalog
    picks the provider from the model name (``gpt-`` is OpenAI, ``claude`` is Anthropic), and
    names that no provider claims are looked up in every provider's model list, in catalog order.

    Args:
        model: Model name, such as ``"gpt-4o"``, ``"claude-sonnet-4-5-20250929"`` or
            ``"anthropic:claude-opus-4-1"``.
        provider: Provider id, such as ``"azure"`` to price an OpenAI model on Azure.
        when: Request time, for prices that change on a date; naive times are UTC, and a
            date means its midnight UTC. Defaults to now.

    Returns:
        The rate card.

    Raises:
        UnknownModelError: The model is in neither the catalog nor the custom models.
        UnknownProviderError: The provider is not in the catalog.
        UnpricedModelError: The catalog prices the model per audio hour, page or request,
            not per token.
    """
    name = _require_model_name(model)
    provider_id, ref = _split_provider(name, provider)
    found = _find_custom(name, ref, provider_id)
    if found is not None:
        card, key = found
    else:
        card, key = _catalog_rate_card(name, ref, provider_id, _timestamp(when))
    return _apply_overrides(card, _overrides_for(key))


def suggest_models(model: str, limit: int = 5) -> list[str]:
    """Return catalog and custom model names close to a mistyped one, best first.

    Args:
        model: The name that was not found, optionally with a provider prefix.
        limit: Maximum number of suggestions.

    Returns:
        Up to ``limit`` distinct names, each of which :func:`get_rate_card` accepts.
    """
    name = model.strip().lower()
    provider_id, ref = _split_provider(name, None)
    candidates = _suggestion_candidates(provider_id)
    close = difflib.get_close_matches(ref, candidates, n=limit * SUGGESTION_POOL_FACTOR, cutoff=0.6)
    usable = [match for match in dict.fromkeys(close) if _resolves(match, provider_id)][:limit]
    if provider_id is not None:
        return [f"{provider_id}{PROVIDER_SEPARATOR}{match}" for match in usable]
    return usable


def search_models(
    query: str = "", *, provider: str | None = None, limit: int | None = None
) -> list[ModelSummary]:
    """Find models whose provider, id or name contain every word of a query.

    Exact id matches come first, then ids that start with the query, then the rest in catalog
    order; within each group, models without a per-token price come last. Custom models are
    included.

    Args:
        query: Words to look for, case-insensitive; empty matches every model.
        provider: Only list models of this provider.
        limit: Maximum number of results; None for all.

    Returns:
        The matching models with their base input and output rates.

    Raises:
        UnknownProviderError: The provider is not in the catalog or the custom models.
    """
    words = query.lower().split()
    provider_id = None if provider is None else _resolve_provider_id(provider)
    summaries = [*_custom_summaries(), *_catalog_summaries()]
    found = [
        summary
        for summary in summaries
        if (provider_id is None or summary.provider_id == provider_id) and _matches(summary, words)
    ]
    found.sort(key=lambda summary: _search_rank(summary, query.strip().lower()))
    return found if limit is None else found[:limit]


def price_data_info() -> PriceDataInfo:
    """Describe the bundled genai-prices catalog: version, data date and size."""
    providers = _snapshot().providers
    return PriceDataInfo(
        source=CATALOG_PACKAGE,
        version=_catalog_version(),
        as_of=_catalog_as_of(),
        as_of_meaning=AS_OF_MEANING,
        model_count=sum(len(provider.models) for provider in providers),
        provider_count=len(providers),
    )


# ---------------------------------------------------------------------------------------------
# Overrides and custom models


def set_rates(model: str, **rates: Decimal | str | int | float | None) -> RateCard:
    """Override some rates of a model, for this process.

    An override is a flat rate: it replaces the field at every prompt size, including the
    field's long-context tier rates. Overriding ``output`` also moves a reasoning rate that
    follows the output rate. A value of None removes that override.

    Args:
        model: Model name, as for :func:`get_rate_card`. Overrides attach to the catalog
            model it resolves to, so ``gpt-4o`` and ``gpt-4o-2024-08-06`` share them.
        **rates: Any of ``input``, ``output``, ``reasoning``, ``cache_read``,
            ``cache_write_5m``, ``cache_write_1h`` (USD per million tokens) and
            ``batch_discount`` (fraction off, from 0 to 1). Floats are read through ``str``.

    Returns:
        The rate card with the overrides applied.

    Raises:
        InvalidRateError: A name is unknown, or a value is not a finite number, is negative,
            looks like a per-token price, or is a batch discount outside 0 to 1.
        UnknownModelError: The model is unknown.
    """
    parsed = _parse_overrides(rates)
    key = _override_key_of(model)
    with _REGISTRY.lock:
        current = dict(_REGISTRY.overrides.get(key, {}))
        for name, value in parsed.items():
            if value is None:
                current.pop(name, None)
            else:
                current[name] = value
        _store_overrides(key, current)
    return get_rate_card(model)


def clear_rates(model: str | None = None) -> None:
    """Remove the overrides of one model, or of every model when ``model`` is None.

    Raises:
        UnknownModelError: The model is unknown.
    """
    with _REGISTRY.lock:
        if model is None:
            _REGISTRY.overrides.clear()
            return
        _REGISTRY.overrides.pop(_override_key_of(model), None)


def rate_overrides() -> dict[str, dict[str, Decimal]]:
    """Return a copy of every override, keyed by a name that :func:`set_rates` accepts.

    Catalog models are keyed ``provider_id:model_id``, custom models by their name, so
    ``set_rates(key, **values)`` restores a saved entry.
    """
    with _REGISTRY.lock:
        return {key: dict(values) for key, values in _REGISTRY.overrides.items()}


def add_custom_model(
    model: str,
    *,
    input: Decimal | str | int | float,
    output: Decimal | str | int | float,
    reasoning: Decimal | str | int | float | None = None,
    cache_read: Decimal | str | int | float | None = None,
    cache_write_5m: Decimal | str | int | float | None = None,
    cache_write_1h: Decimal | str | int | float | None = None,
    provider: str = "custom",
    context_window: int | None = None,
    source: str = "user-supplied",
) -> RateCard:
    """Add a model that the catalog lacks, or shadow a catalog model with other rates.

    Custom models take precedence over the catalog in :func:`get_rate_card`, have no
    long-context tiers, and get the batch discount of ``provider`` when one is known. Adding
    a name again replaces the model and drops its overrides.

    Args:
        model: Name to look the model up by, matched case-insensitively.
        input: Input rate, USD per million tokens.
        output: Output rate, USD per million tokens.
        reasoning: Reasoning rate; defaults to the output rate.
        cache_read: Cache read rate; None bills cache reads at the input rate.
        cache_write_5m: 5-minute cache write rate; None bills cache writes at the input rate.
        cache_write_1h: 1-hour cache write rate; None falls back to the 5-minute rate.
        provider: Provider id, used for the batch discount and the ``provider:model`` form.
        context_window: Maximum prompt size in tokens, if known.
        source: Where the rates come from, shown beside the prices.

    Returns:
        The custom model's rate card.

    Raises:
        InvalidRateError: A rate is invalid, as for :func:`set_rates`.
        ValueError: The name, provider or context window is invalid.
    """
    name = _require_model_name(model)
    provider_id = _require_model_name(provider).lower()
    rates = _parse_custom_rates(
        input=input,
        output=output,
        reasoning=reasoning,
        cache_read=cache_read,
        cache_write_5m=cache_write_5m,
        cache_write_1h=cache_write_1h,
    )
    card = RateCard(
        model=name,
        model_id=name,
        provider_id=provider_id,
        provider_name=_provider_display_name(provider_id),
        input=rates["input"],
        output=rates["output"],
        reasoning=rates["reasoning"] if reasoning is not None else rates["output"],
        reasoning_source=REASONING_FROM_CUSTOM if reasoning is not None else REASONING_FROM_OUTPUT,
        cache_read=rates["cache_read"],
        cache_write_5m=rates["cache_write_5m"],
        cache_write_1h=rates["cache_write_1h"],
        tiers=(),
        batch=batch_discount(provider_id),
        context_window=_require_context_window(context_window),
        source=f"custom model ({source})",
        source_url=None,
        as_of=datetime.datetime.now(datetime.timezone.utc).date(),
        overridden=frozenset(),
    )
    key = name.lower()
    with _REGISTRY.lock:
        _REGISTRY.custom[key] = card
        _REGISTRY.overrides.pop(key, None)
    return card


def remove_custom_model(model: str) -> None:
    """Remove a custom model and its overrides.

    Raises:
        UnknownModelError: No custom model has this name.
    """
    key = model.strip().lower()
    with _REGISTRY.lock:
        if key not in _REGISTRY.custom:
            names = sorted(_REGISTRY.custom)
            listed = ", ".join(names) if names else "none"
            raise UnknownModelError(
                f"No custom model {model!r} to remove. Custom models: {listed}.",
                difflib.get_close_matches(key, names),
            )
        del _REGISTRY.custom[key]
        _REGISTRY.overrides.pop(key, None)


def _override_key_of(model: str) -> str:
    name = _require_model_name(model)
    provider_id, ref = _split_provider(name, None)
    found = _find_custom(name, ref, provider_id)
    if found is not None:
        return found[1]
    card = get_rate_card(name)
    return f"{card.provider_id}{PROVIDER_SEPARATOR}{card.model_id}"


def _store_overrides(key: str, values: dict[str, Decimal]) -> None:
    if values:
        _REGISTRY.overrides[key] = values
    else:
        _REGISTRY.overrides.pop(key, None)


def _overrides_for(key: str) -> dict[str, Decimal]:
    with _REGISTRY.lock:
        return dict(_REGISTRY.overrides.get(key, {}))


def _find_custom(name: str, ref: str, provider_id: str | None) -> tuple[RateCard, str] | None:
    """Find a custom model by its full name, or by the part after a provider prefix.

    A full name containing a colon may be a custom model's literal name, so it matches whatever
    the provider. Otherwise a custom model matches only when ``provider_id`` is None or its own.
    """
    keys = ((name.lower(), name != ref), (ref.lower(), False))
    with _REGISTRY.lock:
        for key, literal in keys:
            card = _REGISTRY.custom.get(key)
            if card is not None and (literal or provider_id in (None, card.provider_id)):
                return dataclasses.replace(card, model=name), key
    return None


def _apply_overrides(card: RateCard, overrides: Mapping[str, Decimal]) -> RateCard:
    if not overrides:
        return card
    rates = {name: overrides[name] for name in RATE_FIELDS if name in overrides}
    rates["reasoning"], reasoning_source = _overridden_reasoning(card, overrides)
    return dataclasses.replace(
        card,
        **rates,
        reasoning_source=reasoning_source,
        tiers=tuple(_override_tier(tier, overrides) for tier in card.tiers),
        batch=_override_batch(card, overrides),
        source=f"{card.source}, with user-set {', '.join(sorted(overrides))}",
        overridden=frozenset(overrides),
        _catalog_card=card,
    )


def _overridden_reasoning(card: RateCard, overrides: Mapping[str, Decimal]) -> tuple[Decimal, str]:
    if "reasoning" in overrides:
        return overrides["reasoning"], REASONING_FROM_OVERRIDE
    if card.reasoning_source == REASONING_FROM_OUTPUT and "output" in overrides:
        return overrides["output"], REASONING_FROM_OUTPUT
    return card.reasoning, card.reasoning_source


def _override_tier(tier: Tier, overrides: Mapping[str, Decimal]) -> Tier:
    tier_fields = ("input", "output", "cache_read", "cache_write_5m", "cache_write_1h")
    return dataclasses.replace(
        tier, **{name: overrides[name] for name in tier_fields if name in overrides}
    )


def _override_batch(card: RateCard, overrides: Mapping[str, Decimal]) -> BatchDiscount | None:
    if "batch_discount" not in overrides:
        return card.batch
    stacks = card.batch.stacks_with_cache if card.batch is not None else False
    cache_terms = "cache prices discounted too" if stacks else "cache prices not discounted"
    return BatchDiscount(
        provider_id=card.provider_id,
        discount=overrides["batch_discount"],
        stacks_with_cache=stacks,
        source_url="",
        note=f"Set with set_rates(batch_discount=...); {cache_terms}.",
    )


# ---------------------------------------------------------------------------------------------
# Rate validation


def _parse_overrides(rates: Mapping[str, object]) -> dict[str, Decimal | None]:
    unknown = sorted(set(rates) - set(OVERRIDE_KEYS))
    if unknown:
        raise InvalidRateError(_unknown_rate_message(unknown))
    return {
        name: None if value is None else _parse_rate(name, value) for name, value in rates.items()
    }


def _parse_custom_rates(**rates: object) -> dict[str, Decimal | None]:
    return {
        name: None if value is None else _parse_rate(name, value) for name, value in rates.items()
    }


def _unknown_rate_message(unknown: list[str]) -> str:
    valid = ", ".join(sorted(OVERRIDE_KEYS))
    hints = [
        f"{name!r} -> {match[0]!r}"
        for name in unknown
        if (match := difflib.get_close_matches(name, OVERRIDE_KEYS, n=1, cutoff=0.5))
    ]
    hint = f" Did you mean {', '.join(hints)}?" if hints else ""
    return f"Unknown rate name {', '.join(map(repr, unknown))}.{hint} Valid names: {valid}."


def _parse_rate(name: str, value: object) -> Decimal:
    number = _to_decimal(name, value)
    if not number.is_finite():
        raise InvalidRateError(
            f"Invalid {name} rate {value!r}: give a finite number, such as {name}=2.5."
        )
    if number < 0:
        raise InvalidRateError(
            f"Invalid {name} rate {value!r}: rates cannot be negative; use 0 for free."
        )
    if name == "batch_discount":
        return _check_discount(number, value)
    if 0 < number < MIN_RATE_PER_MTOK:
        raise InvalidRateError(_per_token_message(name, number))
    return number


def _to_decimal(name: str, value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, float, str)):
        raise InvalidRateError(
            f"Invalid {name} rate {value!r} of type {type(value).__name__}: "
            f"give a number or a numeric string, such as {name}='2.5'."
        )
    try:
        return Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise InvalidRateError(
            f"Invalid {name} rate {value!r}: not a number. Give USD per million tokens, "
            f"such as {name}=2.5."
        ) from None


def _check_discount(number: Decimal, value: object) -> Decimal:
    if number <= 1:
        return number
    if number <= 100:
        raise InvalidRateError(
            f"Invalid batch_discount {value!r}: it is a fraction of the price, from 0 to 1. "
            f"For {_plain(number)}% off use batch_discount={_plain(number / 100)}."
        )
    raise InvalidRateError(
        f"Invalid batch_discount {value!r}: give a fraction from 0 to 1, such as 0.5."
    )


def _per_token_message(name: str, number: Decimal) -> str:
    per_million = _plain(number * TOKENS_PER_MTOK)
    return (
        f"Invalid {name} rate {_plain(number)}: rates are USD per million tokens; "
        f"{_plain(number)} per token is {per_million} per million. Use {name}={per_million}."
    )


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


def _require_model_name(model: object) -> str:
    if not isinstance(model, str) or not model.strip():
        raise ValueError(f"Expected a non-empty model name, got {model!r}.")
    return model.strip()


def _require_context_window(context_window: object) -> int | None:
    if context_window is None:
        return None
    if (
        isinstance(context_window, bool)
        or not isinstance(context_window, int)
        or context_window <= 0
    ):
        raise ValueError(
            f"Invalid context_window {context_window!r}: give a positive whole number of tokens."
        )
    return context_window


# ---------------------------------------------------------------------------------------------
# Catalog access (genai-prices, imported lazily)


def _snapshot() -> DataSnapshot:
    from genai_prices.data_snapshot import get_snapshot

    return get_snapshot()


@functools.cache
def _catalog_version() -> str:
    from importlib import metadata

    return metadata.version(CATALOG_PACKAGE)


def _catalog_source() -> str:
    return f"{CATALOG_PACKAGE} {_catalog_version()}"


def _timestamp(when: datetime.datetime | datetime.date | None) -> datetime.datetime:
    if when is None:
        return datetime.datetime.now(datetime.timezone.utc)
    if isinstance(when, datetime.datetime):
        return when
    return datetime.datetime.combine(when, datetime.time(), datetime.timezone.utc)


def _split_provider(name: str, provider: str | None) -> tuple[str | None, str]:
    """Split ``provider:model`` when the prefix is a provider id; check ``provider`` against it."""
    prefix, separator, rest = name.partition(PROVIDER_SEPARATOR)
    prefixed = bool(separator and rest) and _is_provider_id(prefix.lower())
    ref = rest if prefixed else name
    prefix_id = prefix.lower() if prefixed else None
    if provider is None:
        return prefix_id, ref
    provider_id = _resolve_provider_id(provider)
    if prefix_id is not None and prefix_id != provider_id:
        raise UnknownProviderError(
            f"Conflicting providers for {name!r}: the name says {prefix_id!r} "
            f"but provider={provider!r}. Give only one of them."
        )
    return provider_id, ref


def _is_provider_id(candidate: str) -> bool:
    if any(card.provider_id == candidate for card in _custom_cards()):
        return True
    return any(provider.id == candidate for provider in _snapshot().providers)


def _resolve_provider_id(provider: str) -> str:
    from genai_prices.data_snapshot import find_provider_by_id

    wanted = provider.strip().lower()
    if any(card.provider_id == wanted for card in _custom_cards()):
        return wanted
    found = find_provider_by_id(_snapshot().providers, wanted) if wanted else None
    if found is None:
        ids = sorted(p.id for p in _snapshot().providers)
        close = difflib.get_close_matches(wanted, ids)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise UnknownProviderError(
            f"Unknown provider {provider!r}.{hint} Providers: {', '.join(ids)}.", close
        )
    return found.id


def _provider_display_name(provider_id: str) -> str:
    for provider in _snapshot().providers:
        if provider.id == provider_id:
            return provider.name
    return provider_id


def _custom_cards() -> list[RateCard]:
    with _REGISTRY.lock:
        return list(_REGISTRY.custom.values())


def _find_catalog_model(
    name: str, ref: str, provider_id: str | None, *, suggest: bool = True
) -> tuple[Provider, ModelInfo]:
    snapshot = _snapshot()
    try:
        return snapshot.find_provider_model(ref, None, provider_id, None)
    except LookupError:
        pass
    if provider_id is None:
        for provider in snapshot.providers:
            model = provider.find_model(ref)
            if model is not None:
                return provider, model
    raise _unknown_model_error(name) if suggest else UnknownModelError(f"Unknown model {name!r}.")


def _unknown_model_error(name: str) -> UnknownModelError:
    suggestions = suggest_models(name)
    if suggestions:
        message = f"Unknown model {name!r}. Did you mean: {', '.join(suggestions)}? {MODELS_HINT}"
    else:
        message = (
            f"Unknown model {name!r}. {MODELS_HINT} To price a model the catalog lacks, call "
            f"add_custom_model({name!r}, input=..., output=...) with USD per million tokens."
        )
    return UnknownModelError(message, suggestions)


def _catalog_rate_card(
    name: str, ref: str, provider_id: str | None, timestamp: datetime.datetime
) -> tuple[RateCard, str]:
    provider, info = _find_catalog_model(name, ref, provider_id)
    prices = info.get_prices(timestamp)
    base = _base_rates(name, provider, info, prices)
    card = RateCard(
        model=name,
        model_id=info.id,
        provider_id=provider.id,
        provider_name=provider.name,
        **base,
        tiers=_catalog_tiers(provider.id, prices),
        batch=_model_batch(provider.id, info, timestamp),
        context_window=info.context_window,
        source=_catalog_source(),
        source_url=provider.pricing_urls[0] if provider.pricing_urls else None,
        as_of=_catalog_as_of(),
        overridden=frozenset(),
        model_name=info.name,
        deprecated=bool(info.deprecated),
        price_note=info.price_comments,
    )
    return card, f"{provider.id}{PROVIDER_SEPARATOR}{info.id}"


def _base_rates(
    name: str, provider: Provider, info: ModelInfo, prices: ModelPrice
) -> dict[str, Any]:
    rates = {
        field_name: _base_price(getattr(prices, key))
        for field_name, key in CATALOG_PRICE_KEYS.items()
    }
    if rates["input"] is None:
        rates["input"] = _free_model_input(name, provider, info, prices)
    rates["output"] = rates["output"] if rates["output"] is not None else Decimal(0)
    reasoning = _base_price(getattr(prices, CATALOG_REASONING_KEY))
    if reasoning is None:
        rates.update(reasoning=rates["output"], reasoning_source=REASONING_FROM_OUTPUT)
    else:
        rates.update(reasoning=reasoning, reasoning_source=REASONING_FROM_CATALOG)
    return rates


def _free_model_input(
    name: str, provider: Provider, info: ModelInfo, prices: ModelPrice
) -> Decimal:
    """Return 0 for a model that the catalog lists with no prices at all.

    Such entries are free models (``:free`` ids, models included in a subscription), and
    genai-prices prices them at 0 too; the card's ``price_note`` carries the catalog's comment.
    """
    priced = sorted(
        key for key, value in vars(prices).items() if value is not None and not key.startswith("_")
    )
    if not priced:
        return Decimal(0)
    raise UnpricedModelError(
        f"Model {name!r} ({provider.id}:{info.id}) has no per-token input price in "
        f"{_catalog_source()}; it is priced by {', '.join(priced)}. To price it per token, "
        f"call add_custom_model({name!r}, input=..., output=...) with USD per million tokens."
    )


def _base_price(value: object) -> Decimal | None:
    from genai_prices.types import TieredPrices

    if isinstance(value, TieredPrices):
        return value.base
    return value if isinstance(value, Decimal) else None


def _price_above(value: object, start: int) -> Decimal | None:
    """Return the price genai-prices charges for a request of ``start + 1`` prompt tokens."""
    from genai_prices.types import TieredPrices

    if not isinstance(value, TieredPrices):
        return _base_price(value)
    for tier in reversed(value.tiers):
        if start + 1 > tier.start:
            return tier.price
    return value.base


def _catalog_tiers(provider_id: str, prices: ModelPrice) -> tuple[Tier, ...]:
    from genai_prices.types import TieredPrices

    values = {field_name: getattr(prices, key) for field_name, key in CATALOG_PRICE_KEYS.items()}
    starts = sorted(
        {
            tier.start
            for value in values.values()
            if isinstance(value, TieredPrices)
            for tier in value.tiers
        }
    )
    return tuple(_catalog_tier(provider_id, start, values) for start in starts)


def _catalog_tier(provider_id: str, start: int, values: Mapping[str, object]) -> Tier:
    rates = {field_name: _price_above(value, start) for field_name, value in values.items()}
    threshold, inclusive = _tier_boundary(provider_id, start)
    return Tier(
        threshold=threshold,
        input=rates["input"] if rates["input"] is not None else Decimal(0),
        output=rates["output"] if rates["output"] is not None else Decimal(0),
        cache_read=rates["cache_read"],
        cache_write_5m=rates["cache_write_5m"],
        cache_write_1h=rates["cache_write_1h"],
        inclusive=inclusive,
    )


def _tier_boundary(provider_id: str, start: int) -> tuple[int, bool]:
    if provider_id in INCLUSIVE_TIER_PROVIDERS and (start + 1) % 1000 == 0:
        return start + 1, True
    return start, False


def _model_batch(
    provider_id: str, info: ModelInfo, timestamp: datetime.datetime
) -> BatchDiscount | None:
    """Return the provider's batch discount, with cache stacking from the model's batch rates."""
    discount = batch_discount(provider_id)
    if discount is None:
        return None
    stacks = _catalog_batch_stacks(info, timestamp)
    if stacks is None or stacks == discount.stacks_with_cache:
        return discount
    detail = "discount cached input too" if stacks else "keep cached input at its standard rate"
    note = f"{discount.note} For {info.id}, the catalog's batch rates {detail}."
    return dataclasses.replace(discount, stacks_with_cache=stacks, note=note)


def _catalog_batch_stacks(info: ModelInfo, timestamp: datetime.datetime) -> bool | None:
    """Tell whether the catalog's batch rates for a model discount cached input.

    Returns None when the catalog has no active batch rates or no cache read price for it.
    """
    standard = info.get_prices(timestamp)
    batch = info.get_prices(timestamp, BATCH_PRICE_CONTEXT)
    if _base_price(batch.input_mtok) == _base_price(standard.input_mtok):
        return None
    standard_cache = _base_price(standard.cache_read_mtok)
    batch_cache = _base_price(batch.cache_read_mtok)
    if not standard_cache or batch_cache is None:
        return None
    return batch_cache < standard_cache


@functools.cache
def _catalog_as_of() -> datetime.date | None:
    """Return the latest date recorded in the catalog, ignoring dates after today.

    Scans every provider and model price comment for ISO dates (such as "verified on
    2026-10-14") and every dated price and price variant for its start date. Dates after
    today belong to scheduled price changes, not to when the data was gathered.
    """
    today = datetime.datetime.now(datetime.timezone.utc).date()
    dates = [day for day in _catalog_dates() if day <= today]
    return max(dates, default=None)


def _catalog_dates() -> Iterable[datetime.date]:
    for provider in _snapshot().providers:
        yield from _dates_in(provider.price_comments)
        for info in provider.models:
            yield from _dates_in(info.price_comments)
            yield from _start_dates(info)


def _dates_in(text: str | None) -> Iterable[datetime.date]:
    for match in ISO_DATE_PATTERN.finditer(text or ""):
        try:
            yield datetime.date.fromisoformat(match.group(0))
        except ValueError:  # such as 2026-02-30
            continue


def _start_dates(info: ModelInfo) -> Iterable[datetime.date]:
    from genai_prices.types import StartDateConstraint

    conditional = info.prices if isinstance(info.prices, list) else []
    constraints = [price.constraint for price in conditional]
    constraints += [variant.constraint for variant in info.price_variants or ()]
    for constraint in constraints:
        if isinstance(constraint, StartDateConstraint):
            yield constraint.start_date


# ---------------------------------------------------------------------------------------------
# Suggestions and search


def _suggestion_candidates(provider_id: str | None) -> list[str]:
    custom = [
        card.model_id.lower()
        for card in _custom_cards()
        if provider_id is None or card.provider_id == provider_id
    ]
    catalog = [name for pid, name in _catalog_names() if provider_id is None or pid == provider_id]
    return custom + [name for name in catalog if not name.endswith(PREFIX_FRAGMENT_ENDINGS)]


def _resolves(name: str, provider_id: str | None) -> bool:
    if _find_custom(name, name, provider_id) is not None:
        return True
    try:
        _find_catalog_model(name, name, provider_id, suggest=False)
    except UnknownModelError:
        return False
    return True


@functools.cache
def _catalog_names() -> tuple[tuple[str, str], ...]:
    """Return (provider id, name) for each catalog model id and literal name of its match rule."""
    seen: set[tuple[str, str]] = set()
    names: list[tuple[str, str]] = []
    for provider in _snapshot().providers:
        for info in provider.models:
            for name in (info.id.lower(), *_match_literals(info.match)):
                if (provider.id, name) not in seen:
                    seen.add((provider.id, name))
                    names.append((provider.id, name))
    return tuple(names)


def _match_literals(clause: object) -> list[str]:
    """Collect the ``equals`` and ``starts_with`` strings of a genai-prices match rule."""
    if hasattr(clause, "equals"):
        return [clause.equals.lower()]
    if hasattr(clause, "starts_with"):
        return [clause.starts_with.lower()]
    children = getattr(clause, "or_", None) or getattr(clause, "and_", None) or []
    return [name for child in children for name in _match_literals(child)]


def _catalog_summaries() -> list[ModelSummary]:
    now = datetime.datetime.now(datetime.timezone.utc)
    return [
        _summary(provider, info, info.get_prices(now))
        for provider in _snapshot().providers
        for info in provider.models
    ]


def _summary(provider: Provider, info: ModelInfo, prices: ModelPrice) -> ModelSummary:
    return ModelSummary(
        model_id=info.id,
        provider_id=provider.id,
        provider_name=provider.name,
        name=info.name,
        input=_base_price(prices.input_mtok),
        output=_base_price(prices.output_mtok),
        context_window=info.context_window,
        deprecated=bool(info.deprecated),
    )


def _custom_summaries() -> list[ModelSummary]:
    return [
        ModelSummary(
            card.model_id,
            card.provider_id,
            card.provider_name,
            card.model_id,
            card.input,
            card.output,
            card.context_window,
        )
        for card in _custom_cards()
    ]


def _matches(summary: ModelSummary, words: list[str]) -> bool:
    haystack = f"{summary.provider_id} {summary.model_id} {summary.name or ''}".lower()
    return all(word in haystack for word in words)


def _search_rank(summary: ModelSummary, query: str) -> tuple[bool, bool, bool]:
    model_id = summary.model_id.lower()
    return model_id != query, not model_id.startswith(query), summary.input is None
