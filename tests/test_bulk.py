"""price_frame and the bulk counting engine, against count_tokens and estimate row by row."""

from __future__ import annotations

import io
import json
import math
import multiprocessing
import os
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from llmcost_jupyter import bulk, counting, parallel_counting
from llmcost_jupyter.bulk import IncompleteResultWarning, ModelTotals, price_frame
from llmcost_jupyter.counting import count_tokens
from llmcost_jupyter.prices import UnknownModelError
from llmcost_jupyter.progress import progress_reporter
from llmcost_jupyter.report import InvalidRequestError, estimate

REPO = Path(__file__).resolve().parent.parent

TICKETS = [
    "Hello, my order #4821 was charged twice. Please refund $129.99.",
    "",
    "def handler(event):\n    return {'status': 502, 'body': event}",
    "Le colis n'est jamais arrivé. Pouvez-vous vérifier ? 谢谢！ 🙂",
    "SELECT id FROM payments WHERE amount > 1000;  -- slow query",
    "   leading and trailing spaces   ",
    "broken surrogate \ud83d in the middle",
    "<|endoftext|> written literally in a ticket",
    "2024-06-01T10:42:17Z ERROR upstream timed out after 30000 ms",
] * 7


def frame(texts: list[object] = TICKETS, **columns: list[object]) -> pd.DataFrame:
    # object dtype: pandas' Arrow-backed strings cannot hold the lone surrogate in TICKETS.
    index = [f"t{i}" for i in range(len(texts))]
    return pd.DataFrame({"text": pd.Series(texts, dtype=object, index=index), **columns},
                        index=index)


@pytest.fixture()
def processes_always(monkeypatch):
    """Use worker processes for any input size, and small chunks so that there are many."""
    monkeypatch.setattr(parallel_counting, "PARALLEL_MIN_CHARS", 0)
    monkeypatch.setattr(parallel_counting, "SPAWN_PARALLEL_MIN_CHARS", 0)
    monkeypatch.setattr(parallel_counting, "MAX_CHUNK_CHARS", 200)
    monkeypatch.setattr(parallel_counting, "MIN_CHUNK_CHARS", 100)


# ====================
# Totals and rows against estimate()
# ====================


@pytest.mark.parametrize("model", ["gpt-4o", "claude-sonnet-4-5"])
def test_totals_equal_sum_of_estimates(model):
    outputs = [(i * 37) % 400 for i in range(len(TICKETS))]
    df = frame(out=outputs)
    result = price_frame(df, "text", model, output_tokens="out", reasoning_tokens=50,
                         cached_share="25%", calls_per_row=3, progress=False)
    reports = [estimate(text, model, output_tokens=out, reasoning_tokens=50,
                        cached_share="25%", calls=3)[model]
               for text, out in zip(TICKETS, outputs)]
    totals = result.totals[model]
    assert totals.cost.total == sum(r.total_cost for r in reports)
    assert isinstance(totals.cost.total, Decimal)
    assert totals.cost.input == sum(r.cost.input * 3 for r in reports)
    assert totals.cost.cache_read == sum(r.cost.cache_read * 3 for r in reports)
    assert totals.usage.input_tokens == sum(r.count.tokens * 3 for r in reports)
    assert totals.rows == len(TICKETS)
    assert totals.calls == 3 * len(TICKETS)
    assert totals.exact == (model == "gpt-4o")
    assert totals.method == reports[0].count.method


def test_rows_equal_estimate_per_row():
    df = frame()
    result = price_frame(df, "text", ["gpt-4o", "claude-sonnet-4-5"], output_tokens=120,
                         batch=True, progress=False)
    rows = result.rows
    assert len(rows) == 2 * len(df)
    for model in ("gpt-4o", "claude-sonnet-4-5"):
        block = rows[rows["model"] == model]
        assert list(block.index) == list(df.index)
        for label, text in df["text"].items():
            expected = estimate(text, model, output_tokens=120, batch=True)[model]
            row = block.loc[label]
            assert row["input_tokens"] == expected.count.tokens
            assert row["exact"] == expected.count.exact
            assert row["cost_per_call"] == expected.cost.total
            assert row["total_cost"] == expected.total_cost


def test_summary_columns_and_types():
    result = price_frame(frame(), "text", ["gpt-4o", "claude-sonnet-4-5"], progress=False)
    summary = result.summary
    assert list(summary["model"]) == ["gpt-4o", "claude-sonnet-4-5"]
    assert list(summary["exact"]) == [True, False]
    assert all(isinstance(value, Decimal) for value in summary["total_cost"])
    claude = summary.iloc[1]
    assert claude["total_cost_low"] < claude["total_cost"] < claude["total_cost_high"]
    assert claude["input_tokens_low"] < claude["input_tokens"] < claude["input_tokens_high"]
    gpt = summary.iloc[0]
    assert gpt["total_cost_low"] == gpt["total_cost"] == gpt["total_cost_high"]


def test_wide_aligns_with_input_index():
    df = frame()
    result = price_frame(df, "text", ["gpt-4o", "gpt-4o-mini"], progress=False)
    wide = result.wide("input_tokens")
    assert list(wide.columns) == ["gpt-4o", "gpt-4o-mini"]
    assert list(wide.index) == list(df.index)
    joined = df.join(result.wide())
    assert joined.loc["t3", "gpt-4o"] == estimate(TICKETS[3], "gpt-4o")["gpt-4o"].total_cost
    with pytest.raises(InvalidRequestError, match="unknown column 'price'"):
        result.wide("price")


def test_totals_add_up_across_splits():
    df = frame(out=list(range(len(TICKETS))))
    options = {"output_tokens": "out", "cached_tokens": 0, "progress": False}
    whole = price_frame(df, "text", "claude-sonnet-4-5", **options).totals["claude-sonnet-4-5"]
    first = price_frame(df.iloc[:20], "text", "claude-sonnet-4-5", **options)
    second = price_frame(df.iloc[20:], "text", "claude-sonnet-4-5", **options)
    combined = first.totals["claude-sonnet-4-5"] + second.totals["claude-sonnet-4-5"]
    assert combined == whole


def test_long_context_tier_per_row():
    # claude-sonnet-4-5 bills prompts over 200,000 tokens at its long-context rates.
    card_tiers = bulk.get_rate_card("claude-sonnet-4-5").tiers
    assert card_tiers and card_tiers[0].threshold == 200_000
    long_text = "The quarterly report lists every refund we issued. " * 20_000
    texts = ["short ticket", long_text, "another short one"]
    result = price_frame(frame(texts), "text", "claude-sonnet-4-5", output_tokens=10,
                         progress=False)
    assert list(result.rows["long_context"]) == [False, True, False]
    assert result.totals["claude-sonnet-4-5"].long_context_rows == 1
    expected = sum(estimate(t, "claude-sonnet-4-5", output_tokens=10)["claude-sonnet-4-5"]
                   .total_cost for t in texts)
    assert result.totals["claude-sonnet-4-5"].cost.total == expected


def test_huge_row_and_long_whitespace_run():
    texts = ["word " * 400_000, "gap" + " " * 150_000 + "end", "tail"]
    result = price_frame(frame(texts), "text", "gpt-4o", progress=False)
    assert list(result.rows["input_tokens"]) == [count_tokens(t, "gpt-4o").tokens for t in texts]


def test_empty_frame():
    df = pd.DataFrame({"text": pd.Series([], dtype=object)})
    result = price_frame(df, "text", ["gpt-4o", "claude-sonnet-4-5"], output_tokens=10,
                         progress=False)
    assert result.complete
    assert result.rows_total == 0
    assert len(result.rows) == 0
    assert result.totals["gpt-4o"].cost.total == 0
    assert list(result.summary["rows"]) == [0, 0]
    assert "priced 0 of 0 rows" in result.message


def test_tokenizer_override_applies_to_every_model():
    result = price_frame(frame(), "text", "gpt-4o", tokenizer="cl100k_base", progress=False)
    expected = [count_tokens(t, "gpt-4o", tokenizer="cl100k_base").tokens for t in TICKETS]
    assert list(result.rows["input_tokens"]) == expected


def test_duplicate_models_priced_once():
    result = price_frame(frame(), "text", ["gpt-4o", "gpt-4o"], progress=False)
    assert list(result.totals) == ["gpt-4o"]
    assert len(result.rows) == len(TICKETS)


def test_display_text_and_html():
    result = price_frame(frame(), "text", ["gpt-4o", "claude-sonnet-4-5"], progress=False)
    text = str(result)
    assert "claude-sonnet-4-5" in text
    assert "estimated" in text
    assert "genai-prices" in text
    assert "<table>" in result._repr_html_()
    assert repr(result).startswith("<PricedFrame priced 63 of 63 rows; complete: gpt-4o $")


# ====================
# Counting engine
# ====================


@pytest.mark.parametrize("workers", [1, 2])
def test_bulk_counts_equal_single_counts(workers, processes_always):
    models = ["gpt-4o", "gpt-4", "claude-sonnet-4-5", "gemini-2.5-pro"]
    counts = bulk.count_texts(TICKETS, models, workers=workers, progress=False)
    for model in models:
        assert counts[model] == [count_tokens(t, model) for t in TICKETS], model


def test_two_workers_start_a_child_process(processes_always):
    refs = [plan.counter for plan in bulk.plan_counts(["gpt-4o"])]
    chunks = parallel_counting.iter_chunk_counts(TICKETS, refs, workers=2)
    first = next(chunks)
    assert multiprocessing.active_children()
    rest = list(chunks)
    assert not multiprocessing.active_children()
    covered = sorted((c.start, c.stop) for c in [first, *rest])
    assert covered[0][0] == 0
    assert covered[-1][1] == len(TICKETS)
    assert all(a[1] == b[0] for a, b in zip(covered, covered[1:]))


def test_spawned_workers_count_the_same(processes_always):
    plans = bulk.plan_counts(["gpt-4o", "claude-sonnet-4-5"])
    refs = list(dict.fromkeys(plan.counter for plan in plans))
    assert len(refs) == 1  # the Claude estimate scales the o200k_base count of gpt-4o
    counts = [0] * len(TICKETS)
    chunks = parallel_counting.iter_chunk_counts(TICKETS, refs, workers=2, start_method="spawn")
    for chunk in chunks:
        counts[chunk.start:chunk.stop] = list(chunk.counts[0])
    assert counts == [count_tokens(t, "gpt-4o").tokens for t in TICKETS]


def test_character_estimates_match_count_tokens(processes_always):
    counting.set_estimate_ratio(3.0, family="claude")
    counts = bulk.count_texts(TICKETS, ["claude-sonnet-4-5"], workers=2, progress=False)
    assert counts["claude-sonnet-4-5"] == [count_tokens(t, "claude-sonnet-4-5") for t in TICKETS]
    plan = bulk.plan_counts(["claude-sonnet-4-5"])[0]
    assert isinstance(plan.counter.resolve(), parallel_counting.CharacterCounter)


def test_bulk_reexports_counting_engine():
    for name in ("count_texts", "TokenCounts", "CountPlan", "plan_counts", "default_workers",
                 "WorkerProcessError"):
        assert getattr(bulk, name) is getattr(parallel_counting, name), name
    # The thresholds live in one module only, so that setting them on bulk cannot silently fail.
    assert not hasattr(bulk, "PARALLEL_MIN_CHARS")
    assert not hasattr(bulk, "MAX_CHUNK_CHARS")


def test_workers_must_be_positive():
    with pytest.raises(InvalidRequestError, match="workers must be a whole number"):
        price_frame(frame(), "text", "gpt-4o", workers=0, progress=False)


# ====================
# Input checks
# ====================


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA])
def test_missing_prompt_is_an_error(missing):
    df = frame(["ok", missing, "fine"])
    with pytest.raises(InvalidRequestError) as raised:
        price_frame(df, "text", "gpt-4o", progress=False)
    message = str(raised.value)
    assert "1 missing values (rows 't1')" in message
    assert "dropna(subset=['text'])" in message


def test_missing_in_default_string_dtype():
    df = pd.DataFrame({"text": ["ok", None, "fine"]})
    with pytest.raises(InvalidRequestError, match=r"1 missing values \(rows 1\)"):
        price_frame(df, "text", "gpt-4o", progress=False)
    result = price_frame(df.dropna(), "text", "gpt-4o", progress=False)
    assert result.rows_priced == 2


def test_non_string_prompt_is_an_error():
    df = frame(["ok", 42, b"bytes"])
    expected = r"2 values that are not strings \(row 't1': int 42"
    with pytest.raises(InvalidRequestError, match=expected):
        price_frame(df, "text", "gpt-4o", progress=False)


def test_missing_column_is_an_error():
    with pytest.raises(InvalidRequestError, match="column 'prompt' not found; the frame has: text"):
        price_frame(frame(), "prompt", "gpt-4o", progress=False)


def test_token_column_checks():
    df = frame(["a", "b", "c"], out=[1.0, float("nan"), 3.0])
    with pytest.raises(InvalidRequestError, match="row 't1' has nan"):
        price_frame(df, "text", "gpt-4o", output_tokens="out", progress=False)
    df = frame(["a", "b", "c"], out=[1.0, 2.0, 3.0])
    result = price_frame(df, "text", "gpt-4o", output_tokens="out", progress=False)
    assert list(result.rows["output_tokens"]) == [1, 2, 3]
    with pytest.raises(InvalidRequestError, match="neither a number nor a column"):
        price_frame(df, "text", "gpt-4o", reasoning_tokens="thinking", progress=False)
    with pytest.raises(InvalidRequestError, match="output_tokens must be a whole number"):
        price_frame(df, "text", "gpt-4o", output_tokens=-5, progress=False)


def test_cached_tokens_over_prompt_names_the_row():
    with pytest.raises(InvalidRequestError, match=r"row 't1': 10 cached tokens exceed"):
        price_frame(frame(["a long enough prompt for ten tokens, surely, yes", "", "x"]),
                    "text", "gpt-4o", cached_tokens=10, progress=False)
    with pytest.raises(InvalidRequestError, match="not both"):
        price_frame(frame(), "text", "gpt-4o", cached_tokens=1, cached_share="5%",
                    progress=False)


def test_unknown_model_is_an_error():
    with pytest.raises(UnknownModelError, match="gpt-4o"):
        price_frame(frame(), "text", "gpt-4oo", progress=False)


# ====================
# Progress and interruption
# ====================


def test_progress_callback_reaches_total(processes_always):
    calls = []
    price_frame(frame(), "text", "gpt-4o", workers=2, progress=lambda d, t: calls.append((d, t)))
    assert len(calls) > 3
    assert calls[-1] == (len(TICKETS), len(TICKETS))
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_interrupt_from_callback_keeps_priced_rows(processes_always):
    def stop_halfway(done: int, total: int) -> None:
        if done >= total // 2:
            raise KeyboardInterrupt

    df = frame()
    with pytest.warns(IncompleteResultWarning, match="interrupted"):
        result = price_frame(df, "text", ["gpt-4o", "claude-sonnet-4-5"], workers=2,
                             progress=stop_halfway)
    assert not result.complete
    assert len(TICKETS) // 2 <= result.rows_priced < len(TICKETS)
    assert result.message == f"priced {result.rows_priced:,} of {len(TICKETS)} rows; interrupted"
    priced = result.wide().index
    assert len(priced) == result.rows_priced
    assert sorted(priced.append(result.unpriced_index)) == sorted(df.index)
    expected = sum(estimate(df.loc[label, "text"], "gpt-4o")["gpt-4o"].total_cost
                   for label in priced)
    assert result.totals["gpt-4o"].cost.total == expected
    assert "Incomplete: priced" in str(result)
    assert not multiprocessing.active_children()


INTERRUPT_SCRIPT = textwrap.dedent("""
    import json, os, sys, time, warnings
    import pandas as pd
    from llmcost_jupyter import bulk, parallel_counting

    parallel_counting.PARALLEL_MIN_CHARS = 0
    parallel_counting.MAX_CHUNK_CHARS = parallel_counting.MIN_CHUNK_CHARS = 2000
    df = pd.DataFrame({"text": ["Refund the duplicate charge on order %d, please." % i
                                for i in range(20000)]})

    def slow_after_start(done, total):
        if done >= 2000:
            print("started", flush=True)
            time.sleep(60)

    warnings.simplefilter("ignore")
    result = bulk.price_frame(df, "text", "gpt-4o", workers=2, progress=slow_after_start)
    print(json.dumps({"complete": result.complete, "priced": result.rows_priced,
                      "message": result.message,
                      "children": len(__import__("multiprocessing").active_children())}))
""")


def test_sigint_in_subprocess_keeps_priced_rows():
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen([sys.executable, "-c", INTERRUPT_SCRIPT], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env)
    assert process.stdout.readline().strip() == "started"
    process.send_signal(2)  # SIGINT, as Ctrl-C or a Jupyter interrupt sends it
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    state = json.loads(out.strip().splitlines()[-1])
    assert state["complete"] is False
    assert 2000 <= state["priced"] < 20000
    assert state["message"].endswith("rows; interrupted")
    assert state["children"] == 0


def test_text_progress_fallback_draws_counts():
    stream = io.StringIO()
    with progress_reporter(200_000, True, description="Pricing rows", stream=stream) as reporter:
        reporter.update(120_000)
    assert "Pricing rows: 120,000 of 200,000 rows (60%)" in stream.getvalue()
    assert stream.getvalue().endswith("\n")


def test_progress_option_is_checked():
    with pytest.raises(TypeError, match="progress must be None, True, False"):
        progress_reporter(10, "yes", description="x")  # type: ignore[arg-type]


def test_progress_bar_on_stderr(capsys):
    price_frame(frame(), "text", "gpt-4o", progress=True)
    assert "Pricing rows" in capsys.readouterr().err


def test_import_does_not_load_pandas():
    code = ("import sys, llmcost_jupyter.bulk, llmcost_jupyter.progress; "
            "print('pandas' in sys.modules, 'tqdm' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(REPO)}, check=True).stdout
    assert out.split() == ["False", "False"]


def test_model_totals_of_nothing_are_zero():
    plan = bulk.plan_counts(["gpt-4o"])[0]
    empty = ModelTotals.empty(plan)
    assert empty.cost.total == 0
    assert empty.exact
    assert math.isclose(0, empty.input_tokens_high)


def test_token_counts_sequence():
    counts = bulk.count_texts(TICKETS[:9], ["gpt-4o", "claude-sonnet-4-5"], progress=False)
    gpt = counts["gpt-4o"]
    assert len(gpt) == 9
    assert gpt.exact
    assert gpt.tokens == [count_tokens(t, "gpt-4o").tokens for t in TICKETS[:9]]
    assert gpt[-1] == count_tokens(TICKETS[8], "gpt-4o")
    assert gpt[1:3] == [count_tokens(t, "gpt-4o") for t in TICKETS[1:3]]
    claude = counts["claude-sonnet-4-5"]
    assert not claude.exact
    assert claude.tokens == [count_tokens(t, "claude-sonnet-4-5").tokens for t in TICKETS[:9]]
    assert claude.method == count_tokens("x", "claude-sonnet-4-5").method
    assert repr(gpt).startswith("<TokenCounts gpt-4o: 9 texts, ")


def test_rows_over_context_window_counted():
    import pandas as pd

    frame = pd.DataFrame({"text": ["short prompt", "word " * 140_000]})
    result = price_frame(frame, "text", ["gpt-4o"], output_tokens=10)
    assert result.totals["gpt-4o"].oversized_rows == 1
    assert result.summary["oversized_rows"].iloc[0] == 1
    assert "exceed the model's 128,000-token context window" in str(result)
