"""Batch-processing discounts per provider.

Providers sell asynchronous batch processing at a fraction of the standard per-token price.
The figures live in ``data/batch_discounts.json``, one entry per provider with the pricing page
it comes from and the date it was last checked. A provider without an entry has no batch
discount here, and pricing a batch request for it raises an error instead of guessing.

>>> batch_discount("anthropic").discount
Decimal('0.5')
"""

from __future__ import annotations

import datetime
import functools
import json
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources

__all__ = ["BatchDiscount", "batch_discount", "batch_providers"]

BATCH_DATA_FILE = "batch_discounts.json"


@dataclass(frozen=True)
class BatchDiscount:
    """A provider's batch-processing discount.

    Attributes:
        provider_id: Catalog id of the provider, such as ``"openai"``.
        discount: Fraction taken off the standard rates, such as ``Decimal("0.5")`` for half price.
        stacks_with_cache: Whether cache reads and cache writes are discounted too. When False,
            cached tokens keep their standard cache prices under batch processing.
        source_url: Pricing page the discount comes from, or ``""`` for a discount the user set.
        note: Summary of the provider's terms, and the reading this package uses where they
            leave room for doubt.
        checked: Date the entry was last compared with its source, or None for a user's value.
    """

    provider_id: str
    discount: Decimal
    stacks_with_cache: bool
    source_url: str
    note: str
    checked: datetime.date | None = None

    @property
    def multiplier(self) -> Decimal:
        """Factor that turns a standard price into the batch price: ``1 - discount``."""
        return 1 - self.discount


def batch_discount(provider_id: str) -> BatchDiscount | None:
    """Look up the batch discount of a provider.

    Args:
        provider_id: Catalog provider id, matched case-insensitively.

    Returns:
        The provider's discount, or None when this package has no batch data for it.
    """
    return _load_discounts().get(provider_id.strip().lower())


def batch_providers() -> tuple[str, ...]:
    """Return the ids of the providers with batch data, sorted."""
    return tuple(sorted(_load_discounts()))


@functools.cache
def _load_discounts() -> dict[str, BatchDiscount]:
    text = resources.files("llmcost_jupyter").joinpath("data", BATCH_DATA_FILE).read_text("utf-8")
    entries = json.loads(text)["providers"]
    return {entry["provider_id"]: _parse_entry(entry) for entry in entries}


def _parse_entry(entry: dict[str, object]) -> BatchDiscount:
    return BatchDiscount(
        provider_id=str(entry["provider_id"]),
        discount=Decimal(str(entry["discount"])),
        stacks_with_cache=bool(entry["stacks_with_cache"]),
        source_url=str(entry["source_url"]),
        note=str(entry["note"]),
        checked=datetime.date.fromisoformat(str(entry["checked"])),
    )
