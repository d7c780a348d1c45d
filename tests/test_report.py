from decimal import Decimal

import pytest

from llmcost_jupyter import InvalidRequestError, UnknownModelError, estimate
from llmcost_jupyter._vocab import get_encoding
from llmcost_jupyter.counting import TokenCount

PROMPT = "Summarise the attached support ticket in two sentences. " * 30


def test_estimate_one_model_exact():
    report = estimate(PROMPT, "gpt-4o", output_tokens=200, calls=1000)
    row = report["gpt-4o"]
    assert row.count.tokens == len(get_encoding("o200k_base").encode_ordinary(PROMPT))
    assert row.count.exact
    assert row.usage.output_tokens == 200
    assert row.total_cost == row.cost.total * 1000
    assert isinstance(row.cost.total, Decimal)


def test_to_frame_columns_and_types():
    frame = estimate(PROMPT, ["gpt-4o", "claude-sonnet-4-5"], output_tokens=100,
                     action_price="0.01").to_frame()
    for column in ("model", "input_tokens", "tokens_exact", "output_tokens", "reasoning_tokens",
                   "input_cost", "output_cost", "total_cost", "action_price",
                   "break_even_output_tokens"):
        assert column in frame.columns, column
    assert list(frame["model"]) == ["gpt-4o", "claude-sonnet-4-5"]
    assert list(frame["tokens_exact"]) == [True, False]
    assert all(isinstance(value, Decimal) for value in frame["total_cost"])


def test_repr_is_concise():
    text = repr(estimate("hi", ["gpt-4o", "gpt-4o-mini"]))
    assert text.startswith("<CostReport gpt-4o $")
    assert "\n" not in text


def test_str_and_html_show_sources():
    report = estimate(PROMPT, ["gpt-4o", "claude-sonnet-4-5"], output_tokens=10)
    for page in (str(report), report._repr_html_()):
        assert "genai-prices" in page
        assert "exact" in page
        assert "estimated" in page


def test_cached_tokens_never_billed_twice():
    plain = estimate(PROMPT, "gpt-4o")["gpt-4o"]
    cached = estimate(PROMPT, "gpt-4o", cached_share="100%")["gpt-4o"]
    assert cached.cost.input == 0
    assert cached.cost.cache_read > 0
    assert cached.cost.total < plain.cost.total


def test_cache_write_ttl_uses_one_hour_rate():
    five = estimate(PROMPT, "claude-sonnet-4-5", cache_write_share="1")["claude-sonnet-4-5"]
    hour = estimate(PROMPT, "claude-sonnet-4-5", cache_write_share="1",
                    cache_ttl="1h")["claude-sonnet-4-5"]
    assert hour.usage.cache_write_1h_tokens == hour.count.tokens
    assert hour.cost.cache_write > five.cost.cache_write


def test_counts_given_are_used():
    given = TokenCount(tokens=5000, exact=True, method="Anthropic count_tokens API",
                       tokenizer="anthropic")
    row = estimate("x", "claude-sonnet-4-5", counts={"claude-sonnet-4-5": given})["claude-sonnet-4-5"]
    assert row.count is given
    assert row.usage.input_tokens == 5000


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"output_tokens": -1}, "output_tokens must be 0 or more"),
        ({"output_tokens": 1.5}, "whole number"),
        ({"output_tokens": 2.0}, "use 2"),
        ({"calls": True}, "whole number"),
        ({"cached_share": "120%"}, "between 0 and 100%"),
        ({"cached_share": "nan"}, "between 0 and 100%"),
        ({"cached_share": "lots"}, "share such as 0.4"),
        ({"cached_tokens": 10, "cached_share": "0.1"}, "not both"),
        ({"cached_tokens": 10**9}, "exceed"),
        ({"action_price": "NaN"}, "finite"),
        ({"action_price": "-2"}, "finite amount of 0 or more"),
        ({"action_price": "two dollars"}, "amount in USD"),
        ({"cache_ttl": "2h"}, "'5m' or '1h'"),
    ],
)
def test_invalid_options_name_the_value(options, message):
    with pytest.raises(InvalidRequestError, match=message):
        estimate(PROMPT, "gpt-4o", **options)


def test_no_models_rejected():
    with pytest.raises(InvalidRequestError, match="no model given"):
        estimate(PROMPT, [])


def test_unknown_model_suggests():
    with pytest.raises(UnknownModelError) as caught:
        estimate(PROMPT, "gpt4o")
    assert "gpt-4o" in caught.value.suggestions


def test_repeated_model_priced_once():
    report = estimate(PROMPT, ["gpt-4o", "gpt-4o"])
    assert len(report) == 1


def test_context_window_overflow_warns():
    report = estimate("word " * 10_000, "gpt-4", output_tokens=100)
    assert any("context window" in warning for warning in report.warnings)
    assert "context window" in str(report)
    assert "context window" in report._repr_html_()


def test_estimate_range_across_tier_warns():
    # About 200,000 estimated tokens: the ±25 % range crosses the 200,000-token tier.
    prompt = "The quick brown fox jumps over the lazy dog. " * 16_700
    row_warnings = estimate(prompt, "claude-sonnet-4-5").warnings
    assert any("long-context threshold" in warning for warning in row_warnings)
    assert estimate("short", "claude-sonnet-4-5").warnings == ()


def test_forced_tokenizer_noted():
    report = estimate(PROMPT, "claude-sonnet-4-5", tokenizer="cl100k_base")
    assert any("may not be the model's own" in note for note in report.notes)


def test_missing_cache_write_price_noted():
    report = estimate(PROMPT, "gpt-4o", cache_write_share="100%")
    assert "no cache-write price" in str(report)


def test_numpy_integers_accepted():
    import numpy as np

    row = estimate(PROMPT, "gpt-4o", output_tokens=np.int64(5), calls=np.int32(3))["gpt-4o"]
    assert row.usage.output_tokens == 5
    assert type(row.usage.output_tokens) is int
    assert row.calls == 3
