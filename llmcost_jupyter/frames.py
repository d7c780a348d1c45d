"""Convert reports to pandas DataFrames; pandas is imported only here."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from .report import CostReport, ModelEstimate


def report_to_frame(report: CostReport) -> pd.DataFrame:
    """Return one row per model, with costs per call and for all calls as ``Decimal``."""
    import pandas as pd

    records = [_record(row, report) for row in report.rows]
    return pd.DataFrame.from_records(records)


def _record(row: ModelEstimate, report: CostReport) -> dict[str, object]:
    card, count, usage, cost = row.card, row.count, row.usage, row.cost
    record: dict[str, object] = {
        "model": row.model,
        "provider": card.provider_id,
        "model_id": card.model_id,
        "input_tokens": count.tokens,
        "tokens_exact": count.exact,
        "token_method": count.method,
        "output_tokens": usage.output_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
        "cached_tokens": usage.cache_read_tokens,
        "cache_write_tokens": usage.cache_write_5m_tokens + usage.cache_write_1h_tokens,
        "input_cost": cost.input,
        "cache_cost": cost.cache_read + cost.cache_write,
        "output_cost": cost.output,
        "reasoning_cost": cost.reasoning,
        "total_cost": cost.total,
        "calls": row.calls,
        "total_cost_all_calls": row.total_cost,
        "batch": row.batch,
        "price_source": card.source,
        "price_as_of": card.as_of,
    }
    if report.action_price is not None and row.break_even is not None:
        record["action_price"] = row.break_even.action_price
        record["break_even_output_tokens"] = row.break_even.break_even_output_tokens
        record["cheaper"] = row.break_even.cheaper
    return record
