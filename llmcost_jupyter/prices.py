"""Rate cards: the per-token prices of a model, from the genai-prices catalog or the user.

A :class:`RateCard` contains every rate needed to price one request in USD per million tokens:
input, output, reasoning, cache reads and cache writes, the long-context tiers and the batch
discount. :func:`get_rate_card` builds one from the catalog bundled with genai-prices (no
network access), then applies the user's overrides from :func:`set_rates`. Models missing
from the catalog can be added with :func:`add_custom_model`.

This module looks models up by name and stores the user's overrides and custom models. The
rate card types are defined in ``rate_cards`` and re-exported here; ``catalog`` reads the
genai-prices data.

Model names may carry a provider prefix, as in ``"anthropic:claude-opus-4-1"`` or, in LiteLLM
style, ``"anthropic/claude-opus-4-1"``. A prefix counts only when it is a catalog provider id or
one of the aliases in ``PROVIDER_ALIASES`` (``bedrock`` for AWS Bedrock, ``vertex_ai`` for
Google), so ids that contain a colon themselves, such as ``"gpt-4o:extended"``, still work. The
colon form looks the model up in that provider only. Aggregators such as OpenRouter use
``"openai/gpt-4o"`` as a model id, so a slash prefix that is a catalog provider id falls back to
looking the whole id up in every provider when that provider lacks the model. An alias prefix,
which no aggregator uses, has no fallback.

>>> card = get_rate_card("gpt-4o")
>>> card.provider_id, card.input, card.output
('openai', Decimal('2.5'), Decimal('10'))
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import threading
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from .batch import BatchDiscount, batch_discount

# A name imported as itself is not used here but re-exported, as part of this module's API.
from .catalog import (
    AS_OF_MEANING,
    BATCH_PRICE_CONTEXT as BATCH_PRICE_CONTEXT,
    CATALOG_PACKAGE,
    CATALOG_PRICE_KEYS as CATALOG_PRICE_KEYS,
    CATALOG_REASONING_KEY as CATALOG_REASONING_KEY,
    INCLUSIVE_TIER_PROVIDERS as INCLUSIVE_TIER_PROVIDERS,
    ISO_DATE_PATTERN as ISO_DATE_PATTERN,
    _base_rates,
    _catalog_as_of,
    _catalog_names,
    _catalog_source,
    _catalog_summaries,
    _catalog_tiers,
    _catalog_version,
    _model_batch,
    _provider_display_name,
    _snapshot,
)
from .rate_cards import (
    REASONING_FROM_CATALOG as REASONING_FROM_CATALOG,
    REASONING_FROM_CUSTOM,
    REASONING_FROM_OUTPUT,
    REASONING_FROM_OVERRIDE,
    InvalidRateError,
    ModelSummary,
    PriceDataInfo,
    RateCard,
    Rates,
    Tier,
    UnknownModelError,
    UnknownProviderError,
    UnpricedModelError,
)

if TYPE_CHECKING:
    from genai_prices.types import ModelInfo, Provider

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

# Rate names of a card, in display order; each is USD per million tokens.
RATE_FIELDS = ("input", "output", "reasoning", "cache_read", "cache_write_5m", "cache_write_1h")
# Names that set_rates accepts.
OVERRIDE_KEYS = (*RATE_FIELDS, "batch_discount")

# A nonzero rate below this many USD per million tokens is taken for a per-token price. In
# genai-prices 0.2.3 the cheapest token rate is 0.0011 per MTok, and the dearest, 600 per MTok,
# is 0.0006 per token, so this value separates the two units for every model in the catalog.
MIN_RATE_PER_MTOK = Decimal("0.001")
TOKENS_PER_MTOK = 1_000_000

PROVIDER_SEPARATOR = ":"
PROVIDER_PATH_SEPARATOR = "/"

# Provider names that LiteLLM and cloud SDKs put before a model id, with the catalog provider
# id each one means. The ids themselves (aws, google, azure, x-ai, ...) are prefixes too.
PROVIDER_ALIASES = {
    "amazon": "aws",
    "bedrock": "aws",
    "bedrock_converse": "aws",
    "azure_ai": "azure",
    "gemini": "google",
    "vertex": "google",
    "vertex_ai": "google",
    "vertex_ai_beta": "google",
    "together_ai": "together",
    "xai": "x-ai",
}

MODELS_HINT = "List models with %llmcost models QUERY."
# Close matches examined per suggestion returned, since some names do not resolve on their own.
SUGGESTION_POOL_FACTOR = 4
# Endings of match-rule prefixes that are not model names by themselves, such as "ft:gpt-4o-".
PREFIX_FRAGMENT_ENDINGS = ("-", ":", ".", "/", "_", "@")


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
        model: Model name, such as ``"gpt-4o"``, ``"claude-sonnet-4-5-20250929"``,
            ``"anthropic:claude-opus-4-1"`` or ``"anthropic/claude-opus-4-1"``.
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
    parsed = _parse_model_name(name, provider)
    found = _find_custom(name, parsed.ref, parsed.provider_id)
    if found is not None:
        card, key = found
    else:
        card, key = _catalog_rate_card(name, parsed, _timestamp(when))
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
    parsed = _parse_model_name(name, None)
    provider_id, ref = parsed.provider_id, parsed.ref
    candidates = _suggestion_candidates(provider_id)
    # Versions of the typed name (its dated or regional ids) come first, shortest first.
    extended = sorted((c for c in candidates if c.startswith(f"{ref}-")), key=len)
    close = extended[: limit * SUGGESTION_POOL_FACTOR] + difflib.get_close_matches(
        ref, candidates, n=limit * SUGGESTION_POOL_FACTOR, cutoff=0.6
    )
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
            ``batch_discount`` (share off, from 0 to 1, or a percentage string such as
            ``"50%"``). Floats are read through ``str``.

    Returns:
        The rate card with the overrides applied.

    Raises:
        InvalidRateError: A name is unknown, or a value is not a finite number, is negative,
            looks like a per-token price, or is a batch discount outside 0 to 1 (0% to 100%).
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
    parsed = _parse_model_name(name, None)
    found = _find_custom(name, parsed.ref, parsed.provider_id)
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
    if name == "batch_discount":
        return _parse_discount(value)
    number = _to_decimal(name, value)
    if not number.is_finite():
        raise InvalidRateError(
            f"Invalid {name} rate {_shown(value)}: give a finite number, such as {name}=2.5."
        )
    if number < 0:
        raise InvalidRateError(
            f"Invalid {name} rate {_shown(value)}: rates cannot be negative; use 0 for free."
        )
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


def _parse_discount(value: object) -> Decimal:
    """Read a batch discount: a share from 0 to 1 (``0.5``) or a percentage (``"50%"``)."""
    percent = isinstance(value, str) and value.strip().endswith("%")
    text = value.strip().removesuffix("%").strip() if isinstance(value, str) else value
    number = _discount_number(text, value)
    if percent:
        if not 0 <= number <= 100:
            raise InvalidRateError(
                f"Invalid batch_discount {_shown(value)}: it must be between 0% and 100%."
            )
        return number / 100
    if 0 <= number <= 1:
        return number
    if 1 < number <= 100:
        raise InvalidRateError(
            f"Invalid batch_discount {_shown(value)}: it is a share of the price from 0 to 1, "
            f"or 0% to 100%. For {_plain(number)}% off use batch_discount={_plain(number / 100)} "
            f"or batch_discount='{_plain(number)}%'."
        )
    raise InvalidRateError(
        f"Invalid batch_discount {_shown(value)}: it must be between 0 and 1, or 0% and 100%."
    )


def _discount_number(text: object, value: object) -> Decimal:
    expected = "give a share from 0 to 1 or 0% to 100%, such as batch_discount=0.5 or '50%'"
    if isinstance(text, bool) or not isinstance(text, (Decimal, int, float, str)):
        raise InvalidRateError(
            f"Invalid batch_discount {value!r} of type {type(value).__name__}: {expected}."
        )
    try:
        number = text if isinstance(text, Decimal) else Decimal(str(text))
    except InvalidOperation:
        raise InvalidRateError(
            f"Invalid batch_discount {value!r}: not a number. {expected[0].upper()}{expected[1:]}."
        ) from None
    if not number.is_finite():
        raise InvalidRateError(f"Invalid batch_discount {_shown(value)}: {expected}.")
    return number


def _per_token_message(name: str, number: Decimal) -> str:
    per_million = _plain(number * TOKENS_PER_MTOK)
    return (
        f"Invalid {name} rate {_plain(number)}: rates are USD per million tokens; "
        f"{_plain(number)} per token is {per_million} per million. Use {name}={per_million}."
    )


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


def _shown(value: object) -> str:
    """Show a numeric value as the user would type it: ``1.5``, not ``Decimal('1.5')``."""
    return value.strip() if isinstance(value, str) else str(value)


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
# Looking a model up by name: custom models first, then the catalog


def _timestamp(when: datetime.datetime | datetime.date | None) -> datetime.datetime:
    if when is None:
        return datetime.datetime.now(datetime.timezone.utc)
    if isinstance(when, datetime.datetime):
        return when
    return datetime.datetime.combine(when, datetime.time(), datetime.timezone.utc)


@dataclasses.dataclass(frozen=True)
class _ModelName:
    """A model name split into the provider it names, if any, and the id to look up there.

    ``fallback`` is true for a slash prefix that is a catalog provider id: when that provider
    lacks ``ref``, the whole name is looked up in every provider, as an aggregator's model id.
    """

    provider_id: str | None
    ref: str
    fallback: bool = False


def _parse_model_name(name: str, provider: str | None) -> _ModelName:
    """Split off a ``provider:`` or ``provider/`` prefix; check ``provider`` against it."""
    prefix, separator, rest = name.partition(PROVIDER_SEPARATOR)
    prefix_id = _prefix_provider_id(prefix) if separator and rest else None
    if prefix_id is not None:
        return _ModelName(_check_provider(name, prefix_id, provider), rest)
    if provider is not None:
        return _provider_path(name, _resolve_provider_id(provider))
    prefix, separator, rest = name.partition(PROVIDER_PATH_SEPARATOR)
    prefix_id = _prefix_provider_id(prefix) if separator and rest else None
    if prefix_id is None:
        return _ModelName(None, name)
    return _ModelName(prefix_id, rest, fallback=prefix.lower() not in PROVIDER_ALIASES)


def _check_provider(name: str, prefix_id: str, provider: str | None) -> str:
    if provider is None:
        return prefix_id
    provider_id = _resolve_provider_id(provider)
    if prefix_id != provider_id:
        raise UnknownProviderError(
            f"Conflicting providers for {name!r}: the name gives provider {prefix_id!r} "
            f"but provider={provider!r}. Give only one of them."
        )
    return provider_id


def _provider_path(name: str, provider_id: str) -> _ModelName:
    """Look a name up in ``provider_id``, without a slash prefix that names the same provider.

    A slash prefix naming another provider is part of the model id, as in OpenRouter's
    ``openai/gpt-4o``.
    """
    prefix, separator, rest = name.partition(PROVIDER_PATH_SEPARATOR)
    if separator and rest and _prefix_provider_id(prefix) == provider_id:
        return _ModelName(provider_id, rest)
    return _ModelName(provider_id, name)


def _prefix_provider_id(prefix: str) -> str | None:
    """Return the provider id that a name prefix stands for, or None if it is no provider."""
    candidate = prefix.strip().lower()
    if _is_provider_id(candidate):
        return candidate
    return PROVIDER_ALIASES.get(candidate)


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


def _custom_cards() -> list[RateCard]:
    with _REGISTRY.lock:
        return list(_REGISTRY.custom.values())


def _find_catalog_model(
    name: str, parsed: _ModelName, *, suggest: bool = True
) -> tuple[Provider, ModelInfo]:
    found = _lookup_catalog(parsed.ref, parsed.provider_id)
    if found is None and parsed.fallback:
        found = _lookup_catalog(name, None)
    if found is not None:
        return found
    raise _unknown_model_error(name) if suggest else UnknownModelError(f"Unknown model {name!r}.")


def _lookup_catalog(ref: str, provider_id: str | None) -> tuple[Provider, ModelInfo] | None:
    """Find a model in one provider, or with none given, in the provider its name implies.

    Without a provider, a name that the provider rules do not resolve is looked up in every
    provider's model list, in catalog order.
    """
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
    return None


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
    name: str, parsed: _ModelName, timestamp: datetime.datetime
) -> tuple[RateCard, str]:
    provider, info = _find_catalog_model(name, parsed)
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
        _find_catalog_model(name, _ModelName(provider_id, name), suggest=False)
    except UnknownModelError:
        return False
    return True


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
