"""Cost per successful task, break-even with retries, output spreads and choosing a model."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmcost_jupyter import prices
from llmcost_jupyter.choosing import (
    ModelProfile,
    choose_model,
    cost_per_success_at,
    expected_attempts,
    output_share_below,
    overpaid_share,
    success_rate,
    task_cost,
    task_costs,
)
from llmcost_jupyter.costs import Usage, price_usage
from llmcost_jupyter.counting import count_tokens
from llmcost_jupyter.tasks import InvalidTaskError, Task

D = Decimal


def support(**changes) -> Task:
    fields = dict(
        name="support",
        input_tokens=1800,
        output_tokens=600,
        failure_rate="0.1",
        action_price="0.02",
        monthly_volume=20000,
        output_range=(100, 3000),
    )
    fields.update(changes)
    return Task(**fields)


# ---------------------------------------------------------------------------------------------
# Retries


@pytest.mark.parametrize(
    ("failure_rate", "max_attempts", "attempts", "success"),
    [
        (D(0), None, D(1), D(1)),
        (D("0.2"), None, D("1.25"), D(1)),
        (D("0.5"), None, D(2), D(1)),
        (D("0.5"), 1, D(1), D("0.5")),
        (D("0.5"), 2, D("1.5"), D("0.75")),
        (D("0.1"), 3, D("1.11"), D("0.999")),
    ],
)
def test_expected_attempts_and_success_rate(failure_rate, max_attempts, attempts, success):
    assert expected_attempts(failure_rate, max_attempts) == attempts
    assert success_rate(failure_rate, max_attempts) == success


def test_failure_rate_of_one_is_rejected():
    with pytest.raises(InvalidTaskError, match="below 1"):
        expected_attempts(D(1))


rates = st.decimals(min_value=0, max_value="0.95", places=2)


@given(rates, st.integers(min_value=1, max_value=20))
def test_limit_lowers_attempts_not_cost_per_success(failure_rate, limit):
    assert expected_attempts(failure_rate, limit) <= expected_attempts(failure_rate)
    capped = task_cost(support(failure_rate=failure_rate, max_attempts=limit), "gpt-4o")
    open_ended = task_cost(support(failure_rate=failure_rate), "gpt-4o")
    # Spend per success is attempts per task divided by the share that succeeds.
    per_success = capped.cost_per_attempt * capped.attempts / capped.success_rate
    assert abs(per_success - open_ended.cost_per_success) < D("1e-20")


# ---------------------------------------------------------------------------------------------
# Cost of a task


def test_task_cost_prices_one_attempt_with_cache():
    task = support(cached_share="0.5", reasoning_tokens=100, failure_rate=0)
    cost = task_cost(task, "gpt-4o")
    card = prices.get_rate_card("gpt-4o")
    usage = Usage(input_tokens=1800, output_tokens=600, reasoning_tokens=100,
                  cache_read_tokens=900)
    assert cost.usage == usage
    assert cost.cost_per_attempt == price_usage(card, usage).total
    assert cost.cost_per_success == cost.cost_per_attempt
    assert cost.monthly_cost == cost.cost_per_attempt * 20000
    assert cost.monthly_action_cost == D("400.00")
    assert cost.model == "gpt-4o"


def test_task_cost_counts_sample_prompt():
    prompt = "Summarise the attached memo in three bullet points."
    cost = task_cost(Task("t", sample_prompt=prompt, output_tokens=50), "gpt-4o")
    assert cost.count == count_tokens(prompt, "gpt-4o")
    assert cost.usage.input_tokens == cost.count.tokens


def test_task_cost_retries_raise_cost_per_success():
    cost = task_cost(support(failure_rate="0.2"), "gpt-4o")
    assert cost.cost_per_success == cost.cost_per_attempt / D("0.8")
    assert cost.attempts == D("1.25")


def test_task_cost_uses_model_failure_rate():
    cost = task_cost(support(failure_rate="0.1"), "gpt-4o", failure_rate=D("0.5"))
    assert cost.task.failure_rate == D("0.5")
    assert cost.cost_per_success == cost.cost_per_attempt * 2


def test_task_cost_follows_rate_overrides():
    before = task_cost(support(), "gpt-4o").cost_per_attempt
    prices.set_rates("gpt-4o", output="100")
    after = task_cost(support(), "gpt-4o").cost_per_attempt
    assert after > before
    assert after - before == D(600) * (D(100) - D(10)) / 1_000_000


def test_task_cost_batch_discount():
    plain = task_cost(support(), "gpt-4o")
    batch = task_cost(support(), "gpt-4o", batch=True)
    assert batch.batch is True
    assert batch.cost_per_attempt == plain.cost_per_attempt / 2
    assert cost_per_success_at(batch, 600) == batch.cost_per_success


def test_task_cost_unknown_model():
    with pytest.raises(prices.UnknownModelError):
        task_cost(support(), "gpt-4x")


def test_task_costs_keeps_model_order():
    costs = task_costs(support(), ["gpt-4o", "claude-sonnet-4-5"])
    assert [cost.model for cost in costs] == ["gpt-4o", "claude-sonnet-4-5"]


# ---------------------------------------------------------------------------------------------
# Break-even with retries


def test_break_even_accounts_for_retries():
    cost = task_cost(support(failure_rate="0.2"), "gpt-4o")
    comparison = cost.break_even
    assert comparison is not None
    tokens = comparison.break_even_output_tokens
    # At the break-even length, the per-success cost equals the action price exactly.
    per_attempt = comparison.fixed_cost + comparison.output_rate * tokens
    assert per_attempt / D("0.8") == D("0.02")
    below = cost_per_success_at(cost, int(tokens))
    above = cost_per_success_at(cost, int(tokens) + 1)
    assert below <= D("0.02") < above


def test_break_even_absent_without_action_price():
    assert task_cost(support(action_price=None), "gpt-4o").break_even is None


# ---------------------------------------------------------------------------------------------
# Output spread


@pytest.mark.parametrize(
    ("tokens", "distribution", "share"),
    [
        (D(50), "uniform", D(0)),
        (D(100), "uniform", D(0)),
        (D(200), "uniform", D("0.5")),
        (D(300), "uniform", D(1)),
        (D(400), "uniform", D(1)),
        (D(150), "triangular", D("0.125")),
        (D(200), "triangular", D("0.5")),
        (D(250), "triangular", D("0.875")),
    ],
)
def test_output_share_below_symmetric(tokens, distribution, share):
    assert output_share_below(tokens, 100, 200, 300, distribution) == share


def test_output_share_below_triangular_peak():
    # The peak splits the triangle: (peak - low) / (high - low) of it lies below.
    assert output_share_below(D(150), 100, 150, 600, "triangular") == D("0.1")


def test_output_share_below_peak_at_an_end():
    assert output_share_below(D(150), 100, 100, 200, "triangular") == D("0.75")
    assert output_share_below(D(150), 100, 200, 200, "triangular") == D("0.25")


def test_output_share_below_rejects_unknown_distribution():
    with pytest.raises(ValueError, match="'triangular' or 'uniform'"):
        output_share_below(D(1), 0, 1, 2, "normal")


@st.composite
def spreads(draw):
    low = draw(st.integers(min_value=0, max_value=10_000))
    typical = draw(st.integers(min_value=low, max_value=low + 10_000))
    high = draw(st.integers(min_value=typical + 1, max_value=typical + 10_000))
    return low, typical, high


@given(spreads(), st.integers(min_value=0, max_value=40_000), st.integers(0, 40_000),
       st.sampled_from(["triangular", "uniform"]))
def test_output_share_below_is_a_cdf(spread, first, second, distribution):
    low, typical, high = spread
    smaller, larger = sorted((first, second))
    share_small = output_share_below(D(smaller), low, typical, high, distribution)
    share_large = output_share_below(D(larger), low, typical, high, distribution)
    assert 0 <= share_small <= share_large <= 1


def test_overpaid_share_matches_break_even():
    cost = task_cost(support(), "gpt-4o")
    tokens = cost.break_even.break_even_output_tokens
    expected = output_share_below(tokens, 100, 600, 3000, "uniform")
    assert overpaid_share(cost, "uniform") == expected
    assert 0 < overpaid_share(cost) < 1


def test_overpaid_share_edges():
    assert overpaid_share(task_cost(support(output_range=None), "gpt-4o")) is None
    assert overpaid_share(task_cost(support(action_price=None), "gpt-4o")) is None
    # The prompt alone costs more than a tiny action price: per-action never overpays.
    assert overpaid_share(task_cost(support(action_price="0.000001"), "gpt-4o")) == 0
    prices.add_custom_model("free-output", input="1", output="0")
    assert overpaid_share(task_cost(support(), "free-output")) == 1


# ---------------------------------------------------------------------------------------------
# Choosing a model


def profiles() -> dict[str, ModelProfile]:
    return {
        "gpt-4o": ModelProfile(quality="0.82", latency_seconds="3.5"),
        "gpt-4o-mini": ModelProfile(quality="0.70", latency_seconds="1.0", failure_rate="30%"),
        "claude-sonnet-4-5": ModelProfile(quality="0.88", latency_seconds="4.2"),
    }


def test_choose_model_picks_cheapest_meeting_bar():
    choice = choose_model(support(), profiles(), min_quality=D("0.8"), max_latency_seconds=D(5))
    assert [item.model for item in choice.candidates] == [
        "gpt-4o-mini", "gpt-4o", "claude-sonnet-4-5"
    ]
    assert choice.best is not None
    assert choice.best.model == "gpt-4o"
    assert choice.candidates[0].shortfalls == ("quality 0.7 < 0.8",)
    assert choice.describe().startswith(
        "gpt-4o is the cheapest model that meets quality ≥ 0.8 and latency ≤ 5 s for task "
        "'support': $"
    )


def test_choose_model_latency_counts_retries():
    choice = choose_model(support(failure_rate="0.2"), profiles(), max_latency_seconds=D(5))
    by_model = {item.model: item for item in choice.candidates}
    assert by_model["gpt-4o"].latency_per_success == D("3.5") * D("1.25")
    assert by_model["claude-sonnet-4-5"].shortfalls == ("latency 5.2 s > 5 s",)


def test_choose_model_without_figures_fails_the_bar():
    choice = choose_model(support(), {"gpt-4o": ModelProfile()}, min_quality=D("0.5"),
                          max_latency_seconds=D(9))
    assert choice.best is None
    assert choice.candidates[0].shortfalls == ("no quality score given", "no latency given")
    assert choice.describe() == (
        "No model meets quality ≥ 0.5 and latency ≤ 9 s for task 'support'."
    )


def test_choose_model_without_bar_takes_cheapest():
    choice = choose_model(support(), profiles())
    assert choice.best is choice.candidates[0]
    assert choice.bar_text() == "no stated requirement"


def test_choose_model_needs_a_model():
    with pytest.raises(ValueError, match="no model to choose from"):
        choose_model(support(), {})


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"quality": "good"}, "quality"),
        ({"quality": "1.5"}, "quality"),
        ({"quality": "-0.1"}, "quality"),
        ({"quality": "140%"}, "quality"),
        ({"latency_seconds": "-1"}, "latency_seconds"),
        ({"latency_seconds": "fast"}, "latency_seconds"),
        ({"failure_rate": "100%"}, "failure_rate"),
    ],
)
def test_model_profile_rejects_invalid(fields, field):
    with pytest.raises(InvalidTaskError) as caught:
        ModelProfile(**fields)
    assert caught.value.field == field


def test_model_profile_quality_as_percent():
    assert ModelProfile(quality="97%").quality == D("0.97")
    assert ModelProfile(quality="0.97").quality == D("0.97")
    assert ModelProfile(quality="100%").quality == D(1)


def test_choose_model_bar_accepts_percent_and_text():
    choice = choose_model(support(), profiles(), min_quality="80%", max_latency_seconds="5")
    assert choice.min_quality == D("0.8")
    assert choice.max_latency_seconds == D(5)
    assert choice.best.model == "gpt-4o"
    blank = choose_model(support(), profiles(), min_quality=" ", max_latency_seconds="")
    assert blank.bar_text() == "no stated requirement"


@pytest.mark.parametrize(
    ("bar", "field", "problem"),
    [
        ({"min_quality": D("1.5")}, "min_quality", "expected a share from 0 to 1 (100%), got 1.5"),
        ({"min_quality": "-0.1"}, "min_quality", "expected a share from 0 to 1 (100%), got '-0.1'"),
        ({"min_quality": "high"}, "min_quality", "expected a share such as 0.4 or 40%, got 'high'"),
        ({"max_latency_seconds": D(-1)}, "max_latency_seconds",
         "expected 0 seconds or more, got -1"),
        ({"max_latency_seconds": "soon"}, "max_latency_seconds", "expected seconds, got 'soon'"),
    ],
)
def test_choose_model_rejects_invalid_bar(bar, field, problem):
    with pytest.raises(InvalidTaskError) as caught:
        choose_model(support(), profiles(), **bar)
    assert caught.value.field == field
    assert caught.value.problem == problem


def test_model_profile_blank_means_not_given():
    profile = ModelProfile(quality=" ", latency_seconds="", failure_rate="")
    assert profile == ModelProfile()
