"""Tests for the batch discount data and its agreement with the genai-prices catalog."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from importlib import resources

import pytest
from genai_prices.data_snapshot import get_snapshot

from llmcost_jupyter.batch import BATCH_DATA_FILE, BatchDiscount, batch_discount, batch_providers

NOW = datetime.datetime.now(datetime.timezone.utc)


def _raw_entries() -> list[dict[str, object]]:
    text = resources.files("llmcost_jupyter").joinpath("data", BATCH_DATA_FILE).read_text("utf-8")
    return json.loads(text)["providers"]


def test_every_entry_has_source_and_date() -> None:
    for entry in _raw_entries():
        assert str(entry["source_url"]).startswith("https://"), entry["provider_id"]
        assert datetime.date.fromisoformat(str(entry["checked"])) <= datetime.date.today()
        assert entry["note"], entry["provider_id"]


def test_discounts_are_fractions() -> None:
    for provider_id in batch_providers():
        discount = batch_discount(provider_id)
        assert discount is not None
        assert Decimal(0) < discount.discount < Decimal(1), provider_id


def test_provider_ids_exist_in_catalog() -> None:
    catalog_ids = {provider.id for provider in get_snapshot().providers}
    assert set(batch_providers()) <= catalog_ids


def test_known_discounts() -> None:
    expected = {
        "anthropic": (Decimal("0.5"), True),
        "openai": (Decimal("0.5"), False),
        "google": (Decimal("0.5"), False),
        "mistral": (Decimal("0.5"), True),
        "groq": (Decimal("0.5"), False),
        "x-ai": (Decimal("0.2"), True),
    }
    for provider_id, (discount, stacks) in expected.items():
        found = batch_discount(provider_id)
        assert found is not None, provider_id
        assert found.discount == discount, provider_id
        assert found.stacks_with_cache is stacks, provider_id


def test_lookup_ignores_case_and_space() -> None:
    assert batch_discount(" Anthropic ") == batch_discount("anthropic")


def test_provider_without_data() -> None:
    assert batch_discount("deepseek") is None
    assert batch_discount("no-such-provider") is None


def test_multiplier() -> None:
    discount = BatchDiscount("openai", Decimal("0.5"), False, "https://example.test", "n")
    assert discount.multiplier == Decimal("0.5")
    assert BatchDiscount("x", Decimal("0.2"), True, "", "").multiplier == Decimal("0.8")


def test_anthropic_matches_catalog_variants() -> None:
    """Every Anthropic batch rate in genai-prices is the standard rate times our multiplier."""
    discount = batch_discount("anthropic")
    assert discount is not None
    anthropic = next(p for p in get_snapshot().providers if p.id == "anthropic")
    keys = (
        "input_mtok",
        "output_mtok",
        "cache_read_mtok",
        "cache_write_mtok",
        "cache_write_1h_mtok",
    )
    checked = 0
    for model in anthropic.models:
        standard = model.get_prices(NOW)
        batch = model.get_prices(NOW, {"processing": "batch"})
        if batch.input_mtok == standard.input_mtok:
            continue  # no batch rates listed for this model
        checked += 1
        for key in keys:
            expected = _scaled(getattr(standard, key), discount.multiplier)
            assert _flat(getattr(batch, key)) == expected, (model.id, key)
    assert checked >= 10


def test_groq_cache_reading_is_equivalent() -> None:
    """Groq bills batch cache reads at half the input rate, which equals its cached rate."""
    groq = next(p for p in get_snapshot().providers if p.id == "groq")
    for model in groq.models:
        standard = model.get_prices(NOW)
        batch = model.get_prices(NOW, {"processing": "batch"})
        if batch.input_mtok == standard.input_mtok or standard.cache_read_mtok is None:
            continue
        assert batch.cache_read_mtok == standard.input_mtok / 2, model.id
        assert standard.cache_read_mtok == batch.cache_read_mtok, model.id


def _flat(value: object) -> object:
    from genai_prices.types import TieredPrices

    if isinstance(value, TieredPrices):
        return (value.base, tuple((tier.start, tier.price) for tier in value.tiers))
    return value


def _scaled(value: object, factor: Decimal) -> object:
    from genai_prices.types import TieredPrices

    if value is None:
        return None
    if isinstance(value, TieredPrices):
        return (value.base * factor, tuple((t.start, t.price * factor) for t in value.tiers))
    assert isinstance(value, Decimal)
    return value * factor


@pytest.mark.parametrize("provider_id", ["openai", "google"])
def test_default_stacking_is_conservative(provider_id: str) -> None:
    """Where models differ, the provider default keeps cached input at its standard rate."""
    discount = batch_discount(provider_id)
    assert discount is not None
    assert discount.stacks_with_cache is False
    assert "stacks_with_cache=true" in discount.note
