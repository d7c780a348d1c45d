"""Tests for the cost arithmetic, cross-checked against genai-prices on real catalog data."""

from __future__ import annotations

import dataclasses
import datetime
import warnings
from collections.abc import Iterator
from decimal import Decimal

import genai_prices
import pytest
from genai_prices.data_snapshot import get_snapshot
from hypothesis import given, settings
from hypothesis import strategies as st

from llmcost_jupyter.costs import (
    BatchNotAvailableError,
    CostBreakdown,
    InvalidUsageError,
    Usage,
    price_usage,
)
from llmcost_jupyter.prices import add_custom_model, get_rate_card, reset_registry, set_rates

D = Decimal
MTOK = 1_000_000
NOW = datetime.datetime.now(datetime.timezone.utc)
BATCH = {"processing": "batch"}


@pytest.fixture(autouse=True)
def _clean_registry() -> Iterator[None]:
    reset_registry()
    yield
    reset_registry()


def _catalog_price(
    model: str, usage: Usage, *, provider: str | None = None, batch: bool = False
) -> genai_prices.types.PriceCalculation:
    """Price a usage with genai-prices itself, translating our counts to its usage keys."""
    counts = {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens + usage.reasoning_tokens,
        "cache_read_tokens": usage.cache_read_tokens,
        "cache_write_tokens": usage.cache_write_tokens,
        "cache_write_1h_tokens": usage.cache_write_1h_tokens,
        "output_reasoning_tokens": usage.reasoning_tokens,
    }
    return genai_prices.calc_price(
        genai_prices.Usage(**counts),
        model,
        provider_id=provider,
        genai_request_timestamp=NOW,
        price_context=BATCH if batch else None,
    )


USAGES = [
    Usage(input_tokens=1_000, output_tokens=500),
    Usage(input_tokens=12_345, output_tokens=678, cache_read_tokens=10_000),
    Usage(input_tokens=50_000, output_tokens=2_000, cache_write_5m_tokens=20_000),
    Usage(
        input_tokens=90_000,
        output_tokens=3_000,
        cache_read_tokens=40_000,
        cache_write_5m_tokens=10_000,
        cache_write_1h_tokens=30_000,
    ),
    Usage(input_tokens=250_000, output_tokens=4_000, cache_read_tokens=100_000),
    Usage(input_tokens=300_001, output_tokens=1, cache_write_1h_tokens=1),
    Usage(input_tokens=0),
]
CROSS_CHECK_MODELS = [
    ("gpt-4o", None),
    ("gpt-4o-mini", None),
    ("o3", None),
    ("o4-mini", None),
    ("gpt-5.4", None),
    ("claude-sonnet-4-5", None),
    ("claude-opus-4-1", None),
    ("claude-haiku-4-5", None),
    ("gemini-2.5-pro", None),
    ("gemini-2.5-flash", None),
    ("grok-4.3", None),
    ("llama-3.3-70b-versatile", "groq"),
    ("qwen/qwen3-coder-flash", "openrouter"),
]


# ---------------------------------------------------------------------------------------------
# Agreement with genai-prices


@pytest.mark.parametrize(("model", "provider"), CROSS_CHECK_MODELS)
def test_matches_genai_prices(model: str, provider: str | None) -> None:
    card = get_rate_card(model, provider=provider, when=NOW)
    for usage in USAGES:
        ours = price_usage(card, usage)
        theirs = _catalog_price(model, usage, provider=provider)
        assert ours.total == theirs.total_price, usage
        assert ours.input + ours.cache_read + ours.cache_write == theirs.input_price, usage
        assert ours.output + ours.reasoning == theirs.output_price, usage


def test_reasoning_rate_matches_genai_prices() -> None:
    card = get_rate_card("sonar-deep-research", when=NOW)
    usage = Usage(input_tokens=1_000, output_tokens=2_000, reasoning_tokens=30_000)
    ours = price_usage(card, usage)
    theirs = _catalog_price("sonar-deep-research", usage, provider="perplexity")
    assert ours.reasoning == D(30_000) * D(3) / MTOK
    assert ours.total == theirs.total_price


def test_anthropic_batch_matches_genai_prices() -> None:
    anthropic = next(p for p in get_snapshot().providers if p.id == "anthropic")
    checked = 0
    for info in anthropic.models:
        if info.get_prices(NOW, BATCH).input_mtok == info.get_prices(NOW).input_mtok:
            continue
        card = get_rate_card(info.id, provider="anthropic", when=NOW)
        for usage in USAGES:
            ours = price_usage(card, usage, batch=True)
            theirs = _catalog_price(info.id, usage, provider="anthropic", batch=True)
            assert ours.total == theirs.total_price, (info.id, usage)
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize(
    ("model", "provider"),
    [
        ("gpt-4o", None),
        ("gpt-4o-mini", None),
        ("o3", None),
        ("gpt-5", None),
        ("gpt-5-mini", None),
        ("gemini-2.5-pro", None),
        ("gemini-2.5-flash", None),
        ("gemini-3.1-flash-lite", None),
        ("mistral-small-latest", None),
        ("grok-4.3", None),
        ("openai/gpt-oss-120b", "groq"),
    ],
)
def test_batch_matches_catalog_variants(model: str, provider: str | None) -> None:
    card = get_rate_card(model, provider=provider, when=NOW)
    for usage in USAGES:
        ours = price_usage(card, usage, batch=True)
        theirs = _catalog_price(model, usage, provider=provider, batch=True)
        assert ours.total == theirs.total_price, usage


def test_batch_differs_where_catalog_rounds() -> None:
    """gpt-5.4's published batch cached rate is rounded to 0.13; the 50% rule gives 0.125."""
    card = get_rate_card("gpt-5.4", when=NOW)
    usage = Usage(input_tokens=100_000, cache_read_tokens=100_000)
    assert price_usage(card, usage, batch=True).cache_read == D("0.0125")
    assert _catalog_price("gpt-5.4", usage, batch=True).total_price == D("0.013")


# ---------------------------------------------------------------------------------------------
# Each token billed once


def test_cached_tokens_billed_once() -> None:
    card = get_rate_card("claude-sonnet-4-5")
    usage = Usage(input_tokens=10_000, cache_read_tokens=6_000, cache_write_5m_tokens=4_000)
    cost = price_usage(card, usage)
    assert cost.input == D(0)
    assert cost.cache_read == D(6_000) * D("0.3") / MTOK
    assert cost.cache_write == D(4_000) * D("3.75") / MTOK
    assert cost.total == cost.cache_read + cost.cache_write


def test_uncached_part_billed_at_input() -> None:
    card = get_rate_card("gpt-4o")
    cost = price_usage(card, Usage(input_tokens=10_000, cache_read_tokens=4_000))
    assert cost.input == D(6_000) * D("2.5") / MTOK
    assert cost.cache_read == D(4_000) * D("1.25") / MTOK


def test_reasoning_billed_once() -> None:
    card = get_rate_card("o3")
    cost = price_usage(card, Usage(input_tokens=0, output_tokens=100, reasoning_tokens=900))
    assert cost.output == D(100) * D(8) / MTOK
    assert cost.reasoning == D(900) * D(8) / MTOK
    assert cost.total == D(1_000) * D(8) / MTOK


def test_reasoning_override_rate() -> None:
    card = set_rates("o3", reasoning=20)
    cost = price_usage(card, Usage(input_tokens=0, output_tokens=100, reasoning_tokens=900))
    assert cost.reasoning == D(900) * D(20) / MTOK
    assert cost.output == D(100) * D(8) / MTOK


def test_one_hour_writes_use_their_rate() -> None:
    card = get_rate_card("claude-opus-4-1")
    cost = price_usage(card, Usage(input_tokens=3_000, cache_write_1h_tokens=3_000))
    assert cost.cache_write == D(3_000) * D(30) / MTOK


def test_no_rounding() -> None:
    card = get_rate_card("gpt-4o-mini")
    cost = price_usage(card, Usage(input_tokens=1, output_tokens=1))
    assert cost.input == D("0.00000015")
    assert cost.output == D("0.0000006")
    assert cost.total == D("0.00000075")


# ---------------------------------------------------------------------------------------------
# Fallback cache rates


def test_cache_without_prices_billed_as_input() -> None:
    card = add_custom_model("plain", input=2, output=8)
    usage = Usage(input_tokens=1_000, cache_read_tokens=300, cache_write_5m_tokens=200)
    cost = price_usage(card, usage)
    assert cost.cache_read == D(300) * D(2) / MTOK
    assert cost.cache_write == D(200) * D(2) / MTOK
    assert cost.total == D(1_000) * D(2) / MTOK


def test_one_hour_write_falls_back_to_five_minute() -> None:
    card = add_custom_model("cachey", input=2, output=8, cache_write_5m="2.5")
    cost = price_usage(card, Usage(input_tokens=1_000, cache_write_1h_tokens=1_000))
    assert cost.cache_write == D("0.0025")


# ---------------------------------------------------------------------------------------------
# Long-context tiers


@pytest.mark.parametrize(
    ("model", "base_limit", "first_tiered"),
    [
        ("claude-sonnet-4-5", 200_000, 200_001),
        ("gemini-2.5-pro", 200_000, 200_001),
        ("grok-4.3", 199_999, 200_000),
    ],
)
def test_tier_boundary(model: str, base_limit: int, first_tiered: int) -> None:
    card = get_rate_card(model)
    (tier,) = card.tiers
    below = Usage(input_tokens=base_limit, output_tokens=1_000, cache_read_tokens=100_000)
    above = dataclasses.replace(below, input_tokens=first_tiered)
    base_cost = price_usage(card, below)
    tier_cost = price_usage(card, above)
    assert base_cost.tier is None
    assert base_cost.output == D(1_000) * card.output / MTOK
    assert base_cost.cache_read == D(100_000) * card.cache_read / MTOK
    assert tier_cost.tier == tier
    assert tier_cost.input == D(first_tiered - 100_000) * tier.input / MTOK
    assert tier_cost.output == D(1_000) * tier.output / MTOK
    assert tier_cost.cache_read == D(100_000) * tier.cache_read / MTOK


def test_tier_reprices_cache_writes() -> None:
    card = get_rate_card("claude-sonnet-4-5")
    usage = Usage(input_tokens=200_001, cache_write_5m_tokens=1_000, cache_write_1h_tokens=1_000)
    cost = price_usage(card, usage)
    assert cost.cache_write == D(1_000) * D("7.5") / MTOK + D(1_000) * D(12) / MTOK


def test_tier_counts_cached_tokens() -> None:
    card = get_rate_card("claude-sonnet-4-5")
    usage = Usage(input_tokens=250_000, cache_read_tokens=200_000)
    assert price_usage(card, usage).tier is not None


def test_tier_reprices_reasoning() -> None:
    card = get_rate_card("gpt-5.4")
    (tier,) = card.tiers
    cost = price_usage(card, Usage(input_tokens=272_001, reasoning_tokens=1_000))
    assert cost.reasoning == D(1_000) * tier.output / MTOK


# ---------------------------------------------------------------------------------------------
# Batch


def test_batch_stacking_with_cache() -> None:
    card = get_rate_card("claude-sonnet-4-5")
    usage = Usage(
        input_tokens=10_000,
        output_tokens=1_000,
        cache_read_tokens=4_000,
        cache_write_5m_tokens=2_000,
    )
    standard = price_usage(card, usage)
    batch = price_usage(card, usage, batch=True)
    assert batch.batch == card.batch
    assert batch.input == standard.input / 2
    assert batch.output == standard.output / 2
    assert batch.cache_read == standard.cache_read / 2
    assert batch.cache_write == standard.cache_write / 2
    assert batch.total == standard.total / 2


def test_batch_not_stacking_with_cache() -> None:
    card = get_rate_card("gpt-4o")
    usage = Usage(
        input_tokens=10_000, output_tokens=1_000, reasoning_tokens=10, cache_read_tokens=4_000
    )
    standard = price_usage(card, usage)
    batch = price_usage(card, usage, batch=True)
    assert batch.input == standard.input / 2
    assert batch.output == standard.output / 2
    assert batch.reasoning == standard.reasoning / 2
    assert batch.cache_read == standard.cache_read


def test_batch_discounts_unpriced_cache_as_input() -> None:
    card = get_rate_card("llama-3.3-70b-versatile")
    assert card.cache_read is None
    assert card.batch is not None and not card.batch.stacks_with_cache
    usage = Usage(input_tokens=1_000, cache_read_tokens=400)
    batch = price_usage(card, usage, batch=True)
    assert batch.cache_read == D(400) * card.input / MTOK / 2


def test_batch_with_tier() -> None:
    card = get_rate_card("gemini-2.5-pro")
    usage = Usage(input_tokens=300_000, output_tokens=1_000)
    batch = price_usage(card, usage, batch=True)
    assert batch.tier is not None
    assert batch.total == price_usage(card, usage).total / 2


def test_batch_without_data() -> None:
    card = get_rate_card("deepseek-chat")
    with pytest.raises(BatchNotAvailableError) as caught:
        price_usage(card, Usage(input_tokens=10), batch=True)
    message = str(caught.value)
    assert "No batch discount is known for Deepseek (deepseek)" in message
    assert "set_rates('deepseek-chat', batch_discount=0.5)" in message


def test_batch_user_discount() -> None:
    card = set_rates("deepseek-chat", batch_discount="0.25")
    cost = price_usage(card, Usage(input_tokens=1_000_000, output_tokens=0), batch=True)
    assert cost.total == card.input * D("0.75")


def test_batch_flag_off_ignores_discount() -> None:
    card = get_rate_card("claude-sonnet-4-5")
    assert price_usage(card, Usage(input_tokens=10)).batch is None


# ---------------------------------------------------------------------------------------------
# Usage validation


@pytest.mark.parametrize(
    ("counts", "fragment"),
    [
        ({"input_tokens": -1}, "input_tokens must be 0 or more, got -1"),
        ({"input_tokens": 10, "output_tokens": -5}, "output_tokens must be 0 or more"),
        ({"input_tokens": 1.5}, "input_tokens must be a whole number of tokens, got 1.5"),
        ({"input_tokens": True}, "input_tokens must be a whole number"),
        ({"input_tokens": "100"}, "input_tokens must be a whole number"),
        ({"input_tokens": 10, "reasoning_tokens": None}, "reasoning_tokens must be a whole number"),
    ],
)
def test_invalid_counts(counts: dict, fragment: str) -> None:
    with pytest.raises(InvalidUsageError) as caught:
        Usage(**counts)
    assert fragment in str(caught.value)


def test_cache_exceeding_input() -> None:
    with pytest.raises(InvalidUsageError) as caught:
        Usage(
            input_tokens=100,
            cache_read_tokens=80,
            cache_write_5m_tokens=15,
            cache_write_1h_tokens=10,
        )
    message = str(caught.value)
    assert "Cached tokens (105:" in message
    assert "exceed input_tokens=100" in message
    assert "raise it to at least 105" in message


def test_invalid_usage_is_value_error() -> None:
    with pytest.raises(ValueError):
        Usage(input_tokens=-1)


def test_uncached_input_tokens() -> None:
    usage = Usage(
        input_tokens=100, cache_read_tokens=50, cache_write_5m_tokens=20, cache_write_1h_tokens=5
    )
    assert usage.uncached_input_tokens == 25
    assert usage.cache_write_tokens == 25


def test_usage_addition() -> None:
    total = Usage(10, 2, 1, 5) + Usage(20, 3, 0, 0, 4)
    assert total == Usage(30, 5, 1, 5, 4)


# ---------------------------------------------------------------------------------------------
# Breakdown arithmetic


def test_scaled_is_exact() -> None:
    card = get_rate_card("gpt-4o-mini")
    one = price_usage(card, Usage(input_tokens=333, output_tokens=77, cache_read_tokens=100))
    many = one.scaled(1_000_003)
    for name in ("input", "cache_read", "cache_write", "output", "reasoning", "total"):
        assert getattr(many, name) == getattr(one, name) * 1_000_003, name
    assert many.tier == one.tier


def test_scaled_rejects_bad_count() -> None:
    cost = CostBreakdown.zero()
    with pytest.raises(InvalidUsageError, match="calls must be 0 or more"):
        cost.scaled(-1)
    with pytest.raises(InvalidUsageError, match="calls must be a whole number"):
        cost.scaled(2.5)  # type: ignore[arg-type]


def test_addition_and_sum() -> None:
    card = get_rate_card("claude-sonnet-4-5")
    first = price_usage(card, Usage(input_tokens=1_000, output_tokens=10))
    second = price_usage(card, Usage(input_tokens=300_000, output_tokens=10))
    both = first + second
    assert both.total == first.total + second.total
    assert both.input == first.input + second.input
    assert both.tier is None
    assert sum([first, second]) == both
    assert first + CostBreakdown.zero() == first


def test_addition_keeps_shared_batch() -> None:
    card = get_rate_card("claude-sonnet-4-5")
    cost = price_usage(card, Usage(input_tokens=10), batch=True)
    assert (cost + cost).batch == card.batch
    assert (cost + price_usage(card, Usage(input_tokens=10))).batch is None


def test_total_is_sum_of_parts() -> None:
    card = get_rate_card("claude-opus-4-1")
    usage = Usage(
        input_tokens=9_000,
        output_tokens=700,
        reasoning_tokens=300,
        cache_read_tokens=2_000,
        cache_write_5m_tokens=1_000,
        cache_write_1h_tokens=500,
    )
    cost = price_usage(card, usage)
    parts = cost.input + cost.cache_read + cost.cache_write + cost.output + cost.reasoning
    assert cost.total == parts


def test_genai_usage_has_no_unknown_keys() -> None:
    """The cross-check helper passes only usage keys that genai-prices defines, so it never warns."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _catalog_price("gpt-4o", USAGES[3])


# ---------------------------------------------------------------------------------------------
# Properties over random usage


@st.composite
def _usages(draw: st.DrawFn) -> Usage:
    input_tokens = draw(st.integers(0, 2_000_000))
    cache_read = draw(st.integers(0, input_tokens))
    write_5m = draw(st.integers(0, input_tokens - cache_read))
    write_1h = draw(st.integers(0, input_tokens - cache_read - write_5m))
    return Usage(
        input_tokens=input_tokens,
        output_tokens=draw(st.integers(0, 200_000)),
        reasoning_tokens=draw(st.integers(0, 200_000)),
        cache_read_tokens=cache_read,
        cache_write_5m_tokens=write_5m,
        cache_write_1h_tokens=write_1h,
    )


@settings(max_examples=60, deadline=None)
@given(
    usage=_usages(),
    model=st.sampled_from(["claude-sonnet-4-5", "gemini-2.5-pro", "gpt-4o", "grok-4.3", "gpt-5.4"]),
)
def test_random_usage_matches_genai_prices(usage: Usage, model: str) -> None:
    ours = price_usage(get_rate_card(model, when=NOW), usage)
    assert ours.total == _catalog_price(model, usage).total_price


@settings(max_examples=60, deadline=None)
@given(usage=_usages(), calls=st.integers(0, 12))
def test_scaled_equals_repeated_sum(usage: Usage, calls: int) -> None:
    cost = price_usage(get_rate_card("claude-sonnet-4-5"), usage, batch=True)
    assert cost.scaled(calls).total == sum([cost] * calls, CostBreakdown.zero()).total
