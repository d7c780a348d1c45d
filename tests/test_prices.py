"""Tests for rate cards built from the real genai-prices catalog, overrides and custom models."""

from __future__ import annotations

import datetime
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from importlib import metadata

import pytest

from llmcost_jupyter import catalog, prices, rate_cards
from llmcost_jupyter.prices import (
    InvalidRateError,
    Tier,
    UnknownModelError,
    UnknownProviderError,
    UnpricedModelError,
    add_custom_model,
    clear_rates,
    get_rate_card,
    price_data_info,
    rate_overrides,
    remove_custom_model,
    reset_registry,
    search_models,
    set_rates,
    suggest_models,
)

D = Decimal
GENAI_PRICES_VERSION = metadata.version("genai-prices")


@pytest.fixture(autouse=True)
def _clean_registry() -> Iterator[None]:
    reset_registry()
    yield
    reset_registry()


# ---------------------------------------------------------------------------------------------
# Catalog rate cards


@pytest.mark.parametrize(
    ("model", "provider_id", "model_id", "rates"),
    [
        ("gpt-4o", "openai", "gpt-4o", (D("2.5"), D("10"), D("1.25"), None, None)),
        ("gpt-4o-mini", "openai", "gpt-4o-mini", (D("0.15"), D("0.6"), D("0.075"), None, None)),
        ("o3", "openai", "o3", (D("2"), D("8"), D("0.5"), None, None)),
        ("o4-mini", "openai", "o4-mini", (D("1.1"), D("4.4"), D("0.275"), None, None)),
        (
            "claude-sonnet-4-5",
            "anthropic",
            "claude-sonnet-4-5",
            (D("3"), D("15"), D("0.3"), D("3.75"), D("6")),
        ),
        (
            "claude-opus-4-1",
            "anthropic",
            "claude-opus-4-1",
            (D("15"), D("75"), D("1.5"), D("18.75"), D("30")),
        ),
        (
            "gemini-2.5-pro",
            "google",
            "gemini-2.5-pro",
            (D("1.25"), D("10"), D("0.125"), None, None),
        ),
    ],
)
def test_catalog_rates(model: str, provider_id: str, model_id: str, rates: tuple) -> None:
    card = get_rate_card(model)
    assert card.model == model
    assert card.provider_id == provider_id
    assert card.model_id == model_id
    found = (card.input, card.output, card.cache_read, card.cache_write_5m, card.cache_write_1h)
    assert found == rates


def test_card_metadata() -> None:
    card = get_rate_card("gpt-4o")
    assert card.provider_name == "OpenAI"
    assert card.context_window == 128_000
    assert card.source == f"genai-prices {GENAI_PRICES_VERSION}"
    assert card.source_url is not None and card.source_url.startswith("https://")
    assert card.as_of == price_data_info().as_of
    assert card.overridden == frozenset()
    assert card.catalog() is card


def test_reasoning_defaults_to_output() -> None:
    card = get_rate_card("o3")
    assert card.reasoning == card.output
    assert card.reasoning_source == "output rate"


def test_reasoning_from_catalog() -> None:
    card = get_rate_card("sonar-deep-research")
    assert card.provider_id == "perplexity"
    assert card.reasoning == D("3")
    assert card.output == D("8")
    assert card.reasoning_source == "catalog"


@pytest.mark.parametrize(
    ("model", "model_id"),
    [
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("o4-mini-2025-04-16", "o4-mini"),
        ("GPT-4o", "gpt-4o"),
    ],
)
def test_dated_and_cased_ids(model: str, model_id: str) -> None:
    card = get_rate_card(model)
    assert card.model_id == model_id
    assert card.model == model


def test_provider_prefix() -> None:
    card = get_rate_card("anthropic:claude-opus-4-1")
    assert card.provider_id == "anthropic"
    assert card.model_id == "claude-opus-4-1"
    assert card.model == "anthropic:claude-opus-4-1"


def test_provider_keyword() -> None:
    card = get_rate_card("claude-opus-4-1", provider="anthropic")
    assert card.provider_id == "anthropic"
    azure = get_rate_card("gpt-4o", provider="azure")
    assert azure.provider_id == "azure"


def test_colon_in_model_id_is_not_a_prefix() -> None:
    card = get_rate_card("gpt-4o:extended")
    assert card.model_id == "gpt-4o:extended"
    assert card.input == D("6")


def test_slash_is_part_of_model_id() -> None:
    card = get_rate_card("openai/gpt-4o", provider="openrouter")
    assert card.provider_id == "openrouter"
    assert card.model_id == "openai/gpt-4o"


@pytest.mark.parametrize(
    ("model", "provider_id", "model_id"),
    [
        # LiteLLM style: the prefix names the API that serves the model.
        ("anthropic/claude-sonnet-4-5", "anthropic", "claude-sonnet-4-5"),
        ("Anthropic/Claude-Sonnet-4-5", "anthropic", "claude-sonnet-4-5"),
        # openai/gpt-4o is also an OpenRouter id, but OpenAI lists gpt-4o, so OpenAI wins.
        ("openai/gpt-4o", "openai", "gpt-4o"),
        ("azure/gpt-4o", "azure", "gpt-4o"),
        ("x-ai/grok-4", "x-ai", "grok-4-0709"),
        ("xai/grok-4", "x-ai", "grok-4-0709"),
        ("vertex_ai/claude-sonnet-4-5", "google", "claude-sonnet-4-5"),
        ("gemini/gemini-2.5-pro", "google", "gemini-2.5-pro"),
        (
            "bedrock/anthropic.claude-sonnet-4-5-20250929-v1:0",
            "aws",
            "regional.anthropic.claude-sonnet-4-5-20250929-v1:0",
        ),
        (
            "bedrock:us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "aws",
            "regional.anthropic.claude-sonnet-4-5-20250929-v1:0",
        ),
        # Not a provider id: the whole id is looked up, as before.
        ("mistralai/mistral-large", "openrouter", "mistralai/mistral-large"),
        # A provider prefix whose provider lacks the model falls back to the whole id.
        ("meta-llama/llama-3.3-70b-instruct", "huggingface_fireworks-ai",
         "meta-llama/Llama-3.3-70B-Instruct"),
        ("openrouter:openai/gpt-4o", "openrouter", "openai/gpt-4o"),
    ],
)
def test_slash_provider_prefix(model: str, provider_id: str, model_id: str) -> None:
    card = get_rate_card(model)
    assert card.provider_id == provider_id
    assert card.model_id == model_id
    assert card.model == model


def test_slash_prefix_gets_provider_batch_terms() -> None:
    direct = get_rate_card("anthropic/claude-sonnet-4-5")
    bare = get_rate_card("claude-sonnet-4-5")
    assert direct.batch == bare.batch
    assert direct.cache_write_1h == bare.cache_write_1h


def test_slash_prefix_falls_back_to_whole_id() -> None:
    # Cohere does not list command-a-plus, but OpenRouter lists "cohere/command-a-plus".
    card = get_rate_card("cohere/command-a-plus")
    assert card.provider_id == "openrouter"
    assert card.model_id == "cohere/command-a-plus"


def test_alias_prefix_has_no_fallback() -> None:
    with pytest.raises(UnknownModelError) as caught:
        get_rate_card("bedrock/anthropic.claude-sonnet-4-5")
    assert caught.value.suggestions[0] == "aws:anthropic.claude-sonnet-4-5-20250929"
    assert get_rate_card(caught.value.suggestions[0]).provider_id == "aws"


def test_provider_aliases_name_catalog_providers() -> None:
    ids = {summary.provider_id for summary in search_models()}
    assert set(prices.PROVIDER_ALIASES.values()) <= ids
    assert not set(prices.PROVIDER_ALIASES) & ids


def test_slash_prefix_with_provider_keyword() -> None:
    assert get_rate_card("openai/gpt-4o", provider="openai").model_id == "gpt-4o"
    assert get_rate_card("openai/gpt-4o", provider="openrouter").model_id == "openai/gpt-4o"


def test_slash_prefix_shares_overrides() -> None:
    set_rates("anthropic/claude-sonnet-4-5", input=4)
    assert get_rate_card("claude-sonnet-4-5").input == D(4)
    assert rate_overrides() == {"anthropic:claude-sonnet-4-5": {"input": D(4)}}


def test_conflicting_providers() -> None:
    with pytest.raises(UnknownProviderError, match="Conflicting providers"):
        get_rate_card("anthropic:claude-opus-4-1", provider="openai")


def test_unknown_provider_suggests() -> None:
    with pytest.raises(UnknownProviderError) as caught:
        get_rate_card("claude-opus-4-1", provider="anthropc")
    assert "anthropic" in caught.value.suggestions
    assert "Did you mean: anthropic" in str(caught.value)


def test_model_without_provider_rule() -> None:
    card = get_rate_card("llama-3.3-70b-versatile")
    assert card.provider_id == "groq"
    assert card.cache_read is None


def test_when_selects_dated_price() -> None:
    before = get_rate_card("o3", when=datetime.datetime(2025, 6, 1, tzinfo=datetime.timezone.utc))
    after = get_rate_card("o3", when=datetime.datetime(2025, 6, 11))
    assert (before.input, before.output) == (D("10"), D("40"))
    assert (after.input, after.output) == (D("2"), D("8"))


def test_when_accepts_date() -> None:
    assert get_rate_card("o3", when=datetime.date(2025, 6, 1)).input == D("10")


# ---------------------------------------------------------------------------------------------
# Unknown and unpriced models


@pytest.mark.parametrize(
    ("typo", "expected"),
    [
        ("gpt4o", "gpt-4o"),
        ("claude-sonet-4-5", "claude-sonnet-4-5"),
        ("gemni-2.5-pro", "gemini-2.5-pro"),
    ],
)
def test_unknown_model_suggests(typo: str, expected: str) -> None:
    with pytest.raises(UnknownModelError) as caught:
        get_rate_card(typo)
    message = str(caught.value)
    assert caught.value.suggestions[0] == expected
    assert message.startswith(f"Unknown model '{typo}'. Did you mean: {expected}")
    assert message.endswith("List models with %llmcost models QUERY.")


def test_unknown_model_without_suggestion() -> None:
    with pytest.raises(UnknownModelError) as caught:
        get_rate_card("zqxwv-totally-unlisted-9000")
    assert caught.value.suggestions == []
    assert "add_custom_model('zqxwv-totally-unlisted-9000', input=..., output=...)" in str(
        caught.value
    )


def test_unknown_model_is_lookup_error() -> None:
    with pytest.raises(LookupError):
        get_rate_card("gpt4o")


def test_suggestions_resolve() -> None:
    for typo in ("gpt4o", "claude-sonet-4-5", "o4mini", "ft:gpt-4o-mini"):
        for suggestion in suggest_models(typo):
            assert get_rate_card(suggestion).model_id, suggestion


def test_suggestions_are_distinct() -> None:
    found = suggest_models("gpt4o-mini", limit=8)
    assert len(found) == len(set(found))
    assert len(found) <= 8


def test_suggestions_keep_prefix() -> None:
    assert suggest_models("openai:gpt4o")[0] == "openai:gpt-4o"


def test_suggestions_include_custom_models() -> None:
    add_custom_model("house-model-7b", input=1, output=2)
    assert suggest_models("house-model-7") == ["house-model-7b"]


def test_unpriced_model() -> None:
    with pytest.raises(UnpricedModelError, match="no per-token input price"):
        get_rate_card("whisper-large-v3", provider="groq")


def test_free_model_costs_nothing() -> None:
    card = get_rate_card("gpt-4o", provider="github-copilot")
    assert (card.input, card.output) == (D(0), D(0))


def test_empty_model_name() -> None:
    with pytest.raises(ValueError, match="non-empty model name"):
        get_rate_card("  ")


# ---------------------------------------------------------------------------------------------
# Tiers


def test_anthropic_tier_is_exclusive() -> None:
    card = get_rate_card("claude-sonnet-4-5")
    assert card.tiers == (
        Tier(200_000, D("6"), D("22.5"), D("0.6"), D("7.5"), D("12"), inclusive=False),
    )


def test_gemini_tier_is_exclusive() -> None:
    (tier,) = get_rate_card("gemini-2.5-pro").tiers
    assert tier == Tier(200_000, D("2.5"), D("15"), D("0.25"), None, None, inclusive=False)


def test_xai_tier_is_inclusive() -> None:
    (tier,) = get_rate_card("grok-4.3").tiers
    assert tier.threshold == 200_000
    assert tier.inclusive is True


@pytest.mark.parametrize(
    ("model", "base_limit", "first_tiered"),
    [
        ("claude-sonnet-4-5", 200_000, 200_001),
        ("gemini-2.5-pro", 200_000, 200_001),
        ("grok-4.3", 199_999, 200_000),
    ],
)
def test_rates_for_boundary(model: str, base_limit: int, first_tiered: int) -> None:
    card = get_rate_card(model)
    base = card.rates_for(base_limit)
    tiered = card.rates_for(first_tiered)
    assert base.tier is None
    assert (base.input, base.output, base.cache_read) == (card.input, card.output, card.cache_read)
    assert tiered.tier is card.tiers[0]
    assert (tiered.input, tiered.output) == (card.tiers[0].input, card.tiers[0].output)
    assert tiered.cache_read == card.tiers[0].cache_read
    assert tiered.reasoning == card.tiers[0].output


def test_tier_applies_to() -> None:
    exclusive = Tier(100, D(1), D(1), None, None, None)
    inclusive = Tier(100, D(1), D(1), None, None, None, inclusive=True)
    assert not exclusive.applies_to(100)
    assert exclusive.applies_to(101)
    assert not inclusive.applies_to(99)
    assert inclusive.applies_to(100)


def test_multiple_tiers() -> None:
    card = get_rate_card("qwen/qwen3-coder-flash", provider="openrouter")
    assert [tier.threshold for tier in card.tiers] == [32_000, 128_000]
    assert card.rates_for(32_000).tier is None
    assert card.rates_for(32_001).tier is card.tiers[0]
    assert card.rates_for(128_001).tier is card.tiers[1]
    assert card.rates_for(128_001).cache_write_5m == D("0.65")


# ---------------------------------------------------------------------------------------------
# Batch discounts on cards


@pytest.mark.parametrize(
    ("model", "stacks"),
    [
        ("gpt-4o", False),
        ("o3", False),
        ("gpt-5", True),
        ("claude-sonnet-4-5", True),
        ("gemini-2.5-pro", False),
        ("gemini-3.1-flash-lite", True),
        ("grok-4.3", True),
    ],
)
def test_batch_stacking_per_model(model: str, stacks: bool) -> None:
    card = get_rate_card(model)
    assert card.batch is not None
    assert card.batch.stacks_with_cache is stacks


def test_batch_refinement_is_noted() -> None:
    card = get_rate_card("gpt-5")
    assert card.batch is not None
    assert card.batch.note.endswith(
        "For gpt-5, the catalog's batch rates discount cached input too."
    )


def test_no_batch_data() -> None:
    assert get_rate_card("deepseek-chat").batch is None


# ---------------------------------------------------------------------------------------------
# Price data information


def test_price_data_info() -> None:
    info = price_data_info()
    assert info.source == "genai-prices"
    assert info.version == GENAI_PRICES_VERSION
    assert info.provider_count > 10
    assert info.model_count > 500
    assert info.as_of is not None
    assert info.as_of <= datetime.datetime.now(datetime.timezone.utc).date()
    assert "latest date recorded in the catalog" in info.as_of_meaning


def test_as_of_is_a_recorded_date() -> None:
    info = price_data_info()
    assert info.as_of in set(catalog._catalog_dates())
    today = datetime.datetime.now(datetime.timezone.utc).date()
    later = [day for day in catalog._catalog_dates() if info.as_of < day <= today]
    assert later == []


def test_price_data_label() -> None:
    info = price_data_info()
    assert info.label.startswith(f"genai-prices {GENAI_PRICES_VERSION}, data as of ")
    assert info.as_of is not None and info.as_of.isoformat() in info.label


# ---------------------------------------------------------------------------------------------
# Search


def test_search_exact_id_first() -> None:
    first = search_models("gpt-4o")[0]
    assert (first.provider_id, first.model_id) == ("openai", "gpt-4o")
    assert (first.input, first.output) == (D("2.5"), D("10"))


def test_search_all_words() -> None:
    found = search_models("claude sonnet", provider="anthropic")
    assert found
    for summary in found:
        assert summary.provider_id == "anthropic"
        assert "sonnet" in f"{summary.model_id} {summary.name}".lower()


def test_search_limit() -> None:
    assert len(search_models("gpt", limit=3)) == 3


def test_search_empty_query_lists_everything() -> None:
    assert len(search_models()) == price_data_info().model_count


def test_search_unknown_provider() -> None:
    with pytest.raises(UnknownProviderError):
        search_models("gpt", provider="opneai")


def test_search_finds_custom_model() -> None:
    add_custom_model("house-model-7b", input=1, output=2, provider="acme")
    found = search_models("house", provider="acme")
    assert [summary.model_id for summary in found] == ["house-model-7b"]
    assert found[0].input == D(1)


def test_search_unpriced_model() -> None:
    found = search_models("whisper-large-v3", provider="groq")
    assert found[0].input is None


# ---------------------------------------------------------------------------------------------
# Overrides


def test_set_rates_overrides() -> None:
    card = set_rates("gpt-4o", input="3", cache_read=D("1"))
    assert card.input == D("3")
    assert card.cache_read == D("1")
    assert card.output == D("10")
    assert card.overridden == frozenset({"input", "cache_read"})
    assert "user-set cache_read, input" in card.source
    assert get_rate_card("gpt-4o").input == D("3")


def test_catalog_returns_original() -> None:
    card = set_rates("gpt-4o", input=3)
    original = card.catalog()
    assert original.input == D("2.5")
    assert original.overridden == frozenset()
    assert original.source == f"genai-prices {GENAI_PRICES_VERSION}"


def test_override_shared_by_aliases() -> None:
    set_rates("gpt-4o", input=3)
    assert get_rate_card("gpt-4o-2024-08-06").input == D("3")
    assert get_rate_card("openai:gpt-4o").input == D("3")
    assert rate_overrides() == {"openai:gpt-4o": {"input": D("3")}}


def test_override_is_per_provider() -> None:
    set_rates("gpt-4o", input=3)
    assert get_rate_card("gpt-4o", provider="azure").input != D("3")


def test_rate_overrides_round_trip() -> None:
    set_rates("claude-sonnet-4-5", output=20, batch_discount="0.4")
    saved = rate_overrides()
    reset_registry()
    for key, values in saved.items():
        set_rates(key, **values)
    assert rate_overrides() == saved


def test_rate_overrides_is_a_copy() -> None:
    set_rates("gpt-4o", input=3)
    rate_overrides()["openai:gpt-4o"]["input"] = D(99)
    assert get_rate_card("gpt-4o").input == D("3")


def test_float_goes_through_str() -> None:
    card = set_rates("gpt-4o", input=0.1, output=1.1)
    assert card.input == D("0.1")
    assert card.output == D("1.1")


def test_none_removes_one_override() -> None:
    set_rates("gpt-4o", input=3, output=11)
    card = set_rates("gpt-4o", input=None)
    assert card.input == D("2.5")
    assert card.output == D("11")
    assert set_rates("gpt-4o", output=None).overridden == frozenset()
    assert rate_overrides() == {}


def test_clear_rates_one_model() -> None:
    set_rates("gpt-4o", input=3)
    set_rates("o3", input=3)
    clear_rates("gpt-4o-2024-11-20")
    assert get_rate_card("gpt-4o").input == D("2.5")
    assert get_rate_card("o3").input == D("3")


def test_clear_rates_all() -> None:
    set_rates("gpt-4o", input=3)
    set_rates("o3", input=3)
    clear_rates()
    assert rate_overrides() == {}


def test_clear_rates_unknown_model() -> None:
    with pytest.raises(UnknownModelError):
        clear_rates("gpt4o")


def test_set_rates_unknown_model() -> None:
    with pytest.raises(UnknownModelError):
        set_rates("gpt4o", input=1)


def test_output_override_moves_reasoning() -> None:
    card = set_rates("o3", output=9)
    assert card.reasoning == D("9")
    assert card.reasoning_source == "output rate"


def test_reasoning_override() -> None:
    card = set_rates("o3", reasoning=12)
    assert card.reasoning == D("12")
    assert card.output == D("8")
    assert card.reasoning_source == "override"
    assert card.catalog().reasoning_source == "output rate"


def test_override_is_flat_across_tiers() -> None:
    card = set_rates("claude-sonnet-4-5", input=4)
    assert card.tiers[0].input == D("4")
    assert card.tiers[0].output == D("22.5")
    assert card.rates_for(300_000).input == D("4")
    assert card.catalog().tiers[0].input == D("6")


def test_batch_discount_override() -> None:
    card = set_rates("claude-sonnet-4-5", batch_discount="0.3")
    assert card.batch is not None
    assert card.batch.discount == D("0.3")
    assert card.batch.stacks_with_cache is True
    assert card.batch.source_url == ""
    assert card.catalog().batch is not None and card.catalog().batch.discount == D("0.5")


def test_batch_discount_for_provider_without_data() -> None:
    card = set_rates("deepseek-chat", batch_discount=0.25)
    assert card.batch is not None
    assert card.batch.discount == D("0.25")
    assert card.batch.stacks_with_cache is False


@pytest.mark.parametrize(
    ("rates", "fragment"),
    [
        ({"input": -1}, "cannot be negative"),
        ({"input": "-0.5"}, "cannot be negative"),
        ({"input": float("nan")}, "finite number"),
        ({"input": "NaN"}, "finite number"),
        ({"output": D("Infinity")}, "finite number"),
        ({"output": float("inf")}, "finite number"),
        ({"input": "abc"}, "not a number"),
        ({"input": True}, "type bool"),
        ({"input": [2.5]}, "type list"),
        ({"batch_discount": 50}, "For 50% off use batch_discount=0.5 or batch_discount='50%'"),
        ({"batch_discount": "1.5"}, "Invalid batch_discount 1.5: it is a share of the price"),
        ({"batch_discount": D("1.5")}, "Invalid batch_discount 1.5: it is a share of the price"),
        ({"batch_discount": 500}, "batch_discount 500: it must be between 0 and 1, or 0% and"),
        ({"batch_discount": "150%"}, "batch_discount 150%: it must be between 0% and 100%."),
        ({"batch_discount": "-5%"}, "batch_discount -5%: it must be between 0% and 100%."),
        ({"batch_discount": -0.5}, "batch_discount -0.5: it must be between 0 and 1"),
        ({"batch_discount": "abc"}, "not a number. Give a share from 0 to 1 or 0% to 100%"),
        ({"batch_discount": "NaN"}, "give a share from 0 to 1 or 0% to 100%"),
        ({"batch_discount": True}, "type bool: give a share from 0 to 1"),
        ({"input": D("-1")}, "Invalid input rate -1: rates cannot be negative"),
        ({"output": D("Infinity")}, "Invalid output rate Infinity: give a finite number"),
    ],
)
def test_invalid_rates(rates: dict, fragment: str) -> None:
    with pytest.raises(InvalidRateError, match="Invalid") as caught:
        set_rates("gpt-4o", **rates)
    assert fragment in str(caught.value)
    assert rate_overrides() == {}


def test_rate_errors_show_plain_values() -> None:
    for rates in ({"batch_discount": D("1.5")}, {"input": D("-2")}, {"output": D("NaN")}):
        with pytest.raises(InvalidRateError) as caught:
            set_rates("gpt-4o", **rates)
        message = str(caught.value)
        assert "Decimal(" not in message
        assert ".." not in message


def test_batch_discount_errors_speak_of_a_share() -> None:
    for value in (50, "1.5", 500, "150%", -1, "abc", "inf"):
        with pytest.raises(InvalidRateError) as caught:
            set_rates("gpt-4o", batch_discount=value)
        message = str(caught.value)
        assert "USD per million" not in message
        assert "0% and 100%" in message or "0% to 100%" in message


@pytest.mark.parametrize(
    ("value", "expected"),
    [("50%", D("0.5")), (" 25 % ", D("0.25")), ("0%", D(0)), ("100%", D(1)), ("12.5%", D("0.125"))],
)
def test_batch_discount_percentage(value: str, expected: Decimal) -> None:
    card = set_rates("gpt-4o", batch_discount=value)
    assert card.batch is not None
    assert card.batch.discount == expected
    assert rate_overrides() == {"openai:gpt-4o": {"batch_discount": expected}}


def test_per_token_rate_rejected() -> None:
    with pytest.raises(InvalidRateError) as caught:
        set_rates("gpt-4o", input=0.0000025)
    message = str(caught.value)
    assert "rates are USD per million tokens; 0.0000025 per token is 2.5 per million" in message
    assert "Use input=2.5" in message


def test_rate_threshold_boundary() -> None:
    assert set_rates("gpt-4o", cache_read="0.001").cache_read == D("0.001")
    with pytest.raises(InvalidRateError):
        set_rates("gpt-4o", cache_read="0.0009")
    assert set_rates("gpt-4o", cache_read=0).cache_read == D(0)


def test_catalog_rates_pass_the_threshold() -> None:
    """No real catalog rate would be rejected as a per-token price."""
    for summary in search_models():
        for rate in (summary.input, summary.output):
            assert rate is None or rate == 0 or rate >= prices.MIN_RATE_PER_MTOK, summary


def test_unknown_rate_name() -> None:
    with pytest.raises(InvalidRateError) as caught:
        set_rates("gpt-4o", inptu=1, cache_wrte_1h=2)
    message = str(caught.value)
    assert "Unknown rate name 'cache_wrte_1h', 'inptu'." in message
    assert "Did you mean 'cache_wrte_1h' -> 'cache_write_1h', 'inptu' -> 'input'?" in message
    assert message.endswith(
        "Valid names: batch_discount, cache_read, cache_write_1h, cache_write_5m, input, "
        "output, reasoning."
    )


def test_invalid_rate_is_value_error() -> None:
    with pytest.raises(ValueError):
        set_rates("gpt-4o", input="abc")


# ---------------------------------------------------------------------------------------------
# Custom models


def test_custom_model_lookup() -> None:
    added = add_custom_model("House-Model-7B", input="0.4", output=1.6, context_window=32_000)
    card = get_rate_card("house-model-7b")
    assert card.model == "house-model-7b"
    assert card.model_id == "House-Model-7B"
    assert (card.input, card.output, card.reasoning) == (D("0.4"), D("1.6"), D("1.6"))
    assert card.reasoning_source == "output rate"
    assert card.provider_id == "custom"
    assert card.source == "custom model (user-supplied)"
    assert card.context_window == 32_000
    assert card.tiers == ()
    assert card.batch is None
    assert added.as_of == datetime.datetime.now(datetime.timezone.utc).date()


def test_custom_model_with_provider() -> None:
    add_custom_model("gpt-next", input=5, output=20, provider="OpenAI", source="launch post")
    card = get_rate_card("openai:gpt-next")
    assert card.provider_id == "openai"
    assert card.provider_name == "OpenAI"
    assert card.source == "custom model (launch post)"
    assert card.batch is not None and card.batch.discount == D("0.5")


def test_custom_model_prefix_must_match_provider() -> None:
    add_custom_model("gpt-next", input=5, output=20, provider="openai")
    with pytest.raises(UnknownModelError):
        get_rate_card("anthropic:gpt-next")


def test_custom_model_keeps_its_provider() -> None:
    add_custom_model("gpt-4o", input=1, output=4, provider="openai")
    assert get_rate_card("gpt-4o", provider="openai").input == D("1")
    assert get_rate_card("gpt-4o", provider="azure").input == D("2.5")


def test_custom_name_with_colon() -> None:
    add_custom_model("openai:house-tune", input=1, output=4)
    card = get_rate_card("openai:house-tune")
    assert card.provider_id == "custom"
    assert card.input == D("1")


def test_custom_model_shadows_catalog() -> None:
    add_custom_model("gpt-4o", input=1, output=4)
    assert get_rate_card("gpt-4o").input == D("1")
    remove_custom_model("GPT-4o")
    assert get_rate_card("gpt-4o").input == D("2.5")


def test_custom_model_reasoning() -> None:
    card = add_custom_model("thinker", input=1, output=4, reasoning=6, cache_read="0.1")
    assert card.reasoning == D("6")
    assert card.reasoning_source == "custom model"
    assert card.cache_read == D("0.1")


def test_custom_model_overrides() -> None:
    add_custom_model("house-model", input=1, output=2)
    card = set_rates("house-model", output=3)
    assert card.output == D("3")
    assert card.catalog().output == D("2")
    assert rate_overrides() == {"house-model": {"output": D("3")}}


def test_readding_custom_model_drops_overrides() -> None:
    add_custom_model("house-model", input=1, output=2)
    set_rates("house-model", output=3)
    add_custom_model("house-model", input=1, output=5)
    assert get_rate_card("house-model").output == D("5")
    assert rate_overrides() == {}


def test_custom_model_invalid_rate() -> None:
    with pytest.raises(InvalidRateError, match="cannot be negative"):
        add_custom_model("bad", input=-1, output=1)
    with pytest.raises(InvalidRateError, match="per million"):
        add_custom_model("bad", input=1, output=0.00001)


def test_custom_model_invalid_context_window() -> None:
    with pytest.raises(ValueError, match="context_window"):
        add_custom_model("bad", input=1, output=1, context_window=0)


def test_remove_unknown_custom_model() -> None:
    add_custom_model("house-model", input=1, output=2)
    with pytest.raises(UnknownModelError, match="Custom models: house-model") as caught:
        remove_custom_model("house-modl")
    assert caught.value.suggestions == ["house-model"]


def test_reset_registry() -> None:
    add_custom_model("house-model", input=1, output=2)
    set_rates("gpt-4o", input=3)
    reset_registry()
    assert rate_overrides() == {}
    with pytest.raises(UnknownModelError):
        get_rate_card("house-model")


def test_prices_reexports_types_and_constants() -> None:
    for name in rate_cards.__all__:
        assert getattr(prices, name) is getattr(rate_cards, name), name
    for name in catalog.__all__:
        assert getattr(prices, name) is getattr(catalog, name), name


# ---------------------------------------------------------------------------------------------
# Import cost


def test_import_does_not_load_catalog() -> None:
    code = (
        "import sys; import llmcost_jupyter.prices, llmcost_jupyter.costs, "
        "llmcost_jupyter.batch, llmcost_jupyter.usage_records; "
        "assert 'genai_prices' not in sys.modules, 'genai_prices imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
