"""price_frame on a Dask DataFrame, on a local cluster of worker processes."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from llmcost_jupyter.bulk import price_frame
from llmcost_jupyter.prices import set_rates
from llmcost_jupyter.report import InvalidRequestError

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

REPO = Path(__file__).resolve().parent.parent

TEXTS = [
    f"Ticket {i}: order #{1000 + i} was charged {i % 3 + 1} times. "
    + "Please check the logs: ERROR timeout after 30000 ms. " * (i % 7)
    + ("def retry(call):\n    return call()\n" if i % 4 == 0 else "")
    for i in range(240)
]

OPTIONS = {"output_tokens": "out", "reasoning_tokens": 20, "cached_share": "30%",
           "calls_per_row": 4, "batch": True}


@pytest.fixture(scope="module")
def client():
    """A local cluster of two worker processes, bound to 127.0.0.1."""
    with pytest.MonkeyPatch.context() as patch:
        # Worker processes import llmcost_jupyter from the repository, as an installed
        # package would be imported on a real cluster.
        path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
        patch.setenv("PYTHONPATH", path)
        with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                      dashboard_address=None, host="127.0.0.1") as cluster:
            with distributed.Client(cluster) as dask_client:
                yield dask_client


def frames() -> tuple[pd.DataFrame, object]:
    df = pd.DataFrame({"text": TEXTS, "out": [(i * 53) % 700 for i in range(len(TEXTS))]},
                      index=[f"row{i}" for i in range(len(TEXTS))])
    return df, dd.from_pandas(df, npartitions=5)


def test_cluster_totals_equal_pandas(client):
    df, ddf = frames()
    models = ["gpt-4o", "claude-sonnet-4-5"]
    distributed_result = price_frame(ddf, "text", models, **OPTIONS)
    local = price_frame(df, "text", models, progress=False, **OPTIONS)
    for model in models:
        assert distributed_result.totals[model] == local.totals[model], model
        assert distributed_result.totals[model].cost.total == local.totals[model].cost.total
    assert distributed_result.complete
    assert distributed_result.rows_priced == len(df)
    assert list(distributed_result.summary["total_cost"]) == list(local.summary["total_cost"])


def test_cluster_rows_equal_pandas(client):
    df, ddf = frames()
    result = price_frame(ddf, "text", ["gpt-4o", "claude-sonnet-4-5"], **OPTIONS)
    rows = result.rows.compute()
    local = price_frame(df, "text", ["gpt-4o", "claude-sonnet-4-5"], progress=False, **OPTIONS)
    keys = ["model", "input_tokens", "total_cost"]
    ordered = rows.reset_index().sort_values(["index", "model"]).reset_index(drop=True)
    expected = local.rows.reset_index().sort_values(["index", "model"]).reset_index(drop=True)
    # Dask stores string labels as Arrow strings, so compare the labels as Python objects.
    ordered["index"] = ordered["index"].astype(object)
    expected["index"] = expected["index"].astype(object)
    assert ordered[["index", *keys]].equals(expected[["index", *keys]])
    with pytest.raises(TypeError, match="compute them first"):
        result.wide()


def test_user_rates_reach_the_workers(client):
    df, ddf = frames()
    catalog = price_frame(ddf, "text", "gpt-4o", **OPTIONS).totals["gpt-4o"].cost.total
    set_rates("gpt-4o", input="7.5", output="30")
    custom = price_frame(ddf, "text", "gpt-4o", **OPTIONS).totals["gpt-4o"]
    assert custom.cost.total != catalog
    assert custom == price_frame(df, "text", "gpt-4o", progress=False, **OPTIONS).totals["gpt-4o"]


def test_option_errors_before_computing(client):
    _, ddf = frames()
    with pytest.raises(InvalidRequestError, match="column 'prompt' not found"):
        price_frame(ddf, "prompt", "gpt-4o")
    with pytest.raises(InvalidRequestError, match="neither a number nor a column"):
        price_frame(ddf, "text", "gpt-4o", output_tokens="answer")
