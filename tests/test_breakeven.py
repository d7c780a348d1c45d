from dataclasses import replace
from decimal import Decimal

import pytest

from llmcost_jupyter import Usage, add_custom_model, get_rate_card, price_usage
from llmcost_jupyter.breakeven import break_even


@pytest.fixture()
def card():
    return add_custom_model("flat-test-model", input="2", output="10")


def test_break_even_point_costs_the_action_price(card):
    usage = Usage(input_tokens=10_000, output_tokens=500)
    result = break_even(card, usage, Decimal("0.05"))
    # 10,000 input tokens at $2/MTok is $0.02; output is $0.00001 per token.
    assert result.fixed_cost == Decimal("0.02")
    assert result.output_rate == Decimal("0.00001")
    assert result.break_even_output_tokens == Decimal(3000)
    at_point = replace(usage, output_tokens=3000)
    assert price_usage(card, at_point).total == Decimal("0.05")


def test_cheaper_side_and_saving(card):
    small = break_even(card, Usage(input_tokens=10_000, output_tokens=500), Decimal("0.05"))
    assert small.cheaper == "per-token"
    assert small.saving_per_call == Decimal("0.05") - Decimal("0.025")
    large = break_even(card, Usage(input_tokens=10_000, output_tokens=5000), Decimal("0.05"))
    assert large.cheaper == "per-action"
    equal = break_even(card, Usage(input_tokens=10_000, output_tokens=3000), Decimal("0.05"))
    assert equal.cheaper == "equal"


def test_prompt_alone_over_action_price(card):
    result = break_even(card, Usage(input_tokens=1_000_000), Decimal("1"))
    assert result.break_even_output_tokens is None
    assert "any output length" in result.describe()


def test_describe_names_the_threshold(card):
    result = break_even(card, Usage(input_tokens=10_000, output_tokens=10), Decimal("0.05"))
    assert result.describe() == (
        "Per-token pricing is cheaper while outputs stay under 3,000 tokens; "
        "per-action pricing is cheaper above that."
    )


def test_free_output_never_breaks_even():
    card = add_custom_model("free-output-model", input="1", output="0")
    result = break_even(card, Usage(input_tokens=1000), Decimal("1"))
    assert result.break_even_output_tokens.is_infinite()
    assert "cost nothing" in result.describe()


def test_negative_action_price_rejected(card):
    with pytest.raises(ValueError, match="action price"):
        break_even(card, Usage(input_tokens=1), Decimal("-1"))


def test_batch_lowers_the_rate():
    card = get_rate_card("gpt-4o")
    usage = Usage(input_tokens=2000, output_tokens=100)
    plain = break_even(card, usage, Decimal("0.10"))
    batched = break_even(card, usage, Decimal("0.10"), batch=True)
    assert batched.output_rate == plain.output_rate / 2
    assert batched.break_even_output_tokens > plain.break_even_output_tokens
