"""Read the genai-prices catalog bundled with the package, without network access.

The functions here turn a catalog model's prices into rates and long-context tiers in USD per
million tokens, find its batch terms, and list the catalog's model names, summaries and the date
of its data. genai-prices is imported inside the functions, so importing this module stays
cheap. Looking a model up by name, with the user's custom models and overrides, is the job of
``prices``.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .batch import BatchDiscount, batch_discount
from .rate_cards import (
    REASONING_FROM_CATALOG,
    REASONING_FROM_OUTPUT,
    ModelSummary,
    Tier,
    UnpricedModelError,
)

if TYPE_CHECKING:
    from genai_prices.data_snapshot import DataSnapshot
    from genai_prices.types import ModelInfo, ModelPrice, Provider

__all__ = [
    "AS_OF_MEANING",
    "BATCH_PRICE_CONTEXT",
    "CATALOG_PACKAGE",
    "CATALOG_PRICE_KEYS",
    "CATALOG_REASONING_KEY",
    "INCLUSIVE_TIER_PROVIDERS",
    "ISO_DATE_PATTERN",
]

CATALOG_PACKAGE = "genai-prices"

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

# Providers that document an inclusive long-context boundary ("prompts >= 200k tokens").
# genai-prices applies a tier when tokens > start, so it stores such a boundary as start - 1
# (199999 for xAI's 200k, per its xAI price comments); rate cards show the documented number.
INCLUSIVE_TIER_PROVIDERS = frozenset({"x-ai"})

# genai-prices request context that selects a model's batch price variant.
BATCH_PRICE_CONTEXT = {"processing": "batch"}

AS_OF_MEANING = (
    "latest date recorded in the catalog's price notes and price start dates, "
    "not counting price changes scheduled after today"
)
ISO_DATE_PATTERN = re.compile(r"\b(20\d\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])\b")


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


def _provider_display_name(provider_id: str) -> str:
    for provider in _snapshot().providers:
        if provider.id == provider_id:
            return provider.name
    return provider_id


# ---------------------------------------------------------------------------------------------
# Catalog prices as rates


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
# Model names and summaries


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
