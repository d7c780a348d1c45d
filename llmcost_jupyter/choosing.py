"""Cost per successful task with retries, per-action break-even, and choosing a model.

Retry model: every attempt of a task fails independently with the same probability ``p``
(the task's ``failure_rate``, or a model's own rate) and a failed attempt is sent again with
the same tokens. Then:

* an attempt succeeds with probability ``1 - p``, so the expected spend per *successful*
  task is ``cost_per_attempt / (1 - p)``, with or without a limit on attempts;
* without a limit, a task needs ``1 / (1 - p)`` attempts on average and eventually succeeds;
* with at most ``k`` attempts, a task needs ``(1 - p**k) / (1 - p)`` attempts on average and
  succeeds with probability ``1 - p**k``; the others are given up.

A task's ``monthly_volume`` counts completed tasks, so its monthly per-token cost is
``monthly_volume * cost_per_success``. The vendor's ``action_price`` is taken as a price per
completed task that already covers the vendor's own retries.

Quality scores and latencies are the user's own figures (from their evaluations); this package
makes no claim about any model's quality or speed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from .breakeven import BreakEven, break_even
from .costs import Usage, price_usage
from .prices import RateCard, get_rate_card
from .tasks import InvalidTaskError, Task, parse_number, parse_share

if TYPE_CHECKING:
    from .counting import TokenCount

__all__ = [
    "Candidate",
    "Choice",
    "ModelProfile",
    "OutputDistribution",
    "TaskCost",
    "choose_model",
    "cost_per_success_at",
    "expected_attempts",
    "output_share_below",
    "overpaid_share",
    "success_rate",
    "task_cost",
    "task_costs",
    "task_usage",
]

OutputDistribution = Literal["triangular", "uniform"]
DISTRIBUTIONS: tuple[OutputDistribution, ...] = ("triangular", "uniform")


# ---------------------------------------------------------------------------------------------
# Retries


def expected_attempts(failure_rate: Decimal, max_attempts: int | None = None) -> Decimal:
    """Return the mean number of attempts per task under the retry model of this module.

    >>> expected_attempts(Decimal("0.2"))
    Decimal('1.25')
    >>> expected_attempts(Decimal("0.5"), 2)
    Decimal('1.5')
    """
    _check_failure_rate(failure_rate)
    if max_attempts is None:
        return 1 / (1 - failure_rate)
    return (1 - failure_rate**max_attempts) / (1 - failure_rate)


def success_rate(failure_rate: Decimal, max_attempts: int | None = None) -> Decimal:
    """Return the share of tasks that succeed within ``max_attempts`` (1 without a limit)."""
    _check_failure_rate(failure_rate)
    if max_attempts is None:
        return Decimal(1)
    return 1 - failure_rate**max_attempts


def _check_failure_rate(failure_rate: Decimal) -> None:
    if not 0 <= failure_rate < 1:
        raise InvalidTaskError(
            "failure_rate", f"expected a share from 0 to below 1, got {failure_rate}"
        )


# ---------------------------------------------------------------------------------------------
# Cost of a task on one model


@dataclass(frozen=True)
class TaskCost:
    """The cost of a task on one model, retries included.

    Attributes:
        task: The task, with the failure rate used.
        card: The model's rates, user overrides included.
        count: The prompt tokens of one attempt and how they were counted.
        usage: The tokens of one attempt.
        cost_per_attempt: Per-token cost of one attempt, in USD.
        attempts: Mean attempts per task started.
        success_rate: Share of started tasks that succeed.
        cost_per_success: Mean per-token spend per successful task, in USD.
        monthly_cost: ``task.monthly_volume`` successful tasks, in USD.
        break_even: The per-success cost against the task's action price, or None without one.
            Its ``break_even_output_tokens`` accounts for retries.
        batch: Whether the batch discount was applied.
    """

    task: Task
    card: RateCard
    count: TokenCount
    usage: Usage
    cost_per_attempt: Decimal
    attempts: Decimal
    success_rate: Decimal
    cost_per_success: Decimal
    monthly_cost: Decimal
    break_even: BreakEven | None
    batch: bool = False

    @property
    def model(self) -> str:
        """The model id as the user wrote it."""
        return self.card.model

    @property
    def monthly_action_cost(self) -> Decimal | None:
        """``task.monthly_volume`` tasks at the action price, in USD, or None without one."""
        if self.task.action_price is None:
            return None
        return self.task.action_price * self.task.monthly_volume


def task_usage(task: Task, model: str) -> tuple[TokenCount, Usage]:
    """Return the prompt count and the tokens of one attempt of ``task`` on ``model``.

    A sample prompt is counted with the model's tokenizer; typical input tokens are used as
    given. The cached share is rounded down to whole tokens.
    """
    from .counting import count_tokens
    from .tasks import task_input_count

    count = task_input_count(task) or count_tokens(task.sample_prompt or "", model)
    usage = Usage(
        input_tokens=count.tokens,
        output_tokens=task.output_tokens,
        reasoning_tokens=task.reasoning_tokens,
        cache_read_tokens=int(task.cached_share * count.tokens),
    )
    return count, usage


def task_cost(
    task: Task, model: str, *, failure_rate: Decimal | None = None, batch: bool = False
) -> TaskCost:
    """Price ``task`` on ``model`` with retries, per successful task and per month.

    Args:
        task: The task.
        model: A model id, as for ``prices.get_rate_card``.
        failure_rate: This model's share of failed attempts, instead of the task's.
        batch: Apply the provider's batch discount.

    Raises:
        UnknownModelError: The model is unknown.
        InvalidTaskError: ``failure_rate`` is not a share below 1.
        BatchNotAvailableError: ``batch`` is set and the provider has no batch discount.
    """
    if failure_rate is not None:
        task = task.replace(failure_rate=failure_rate)
    card = get_rate_card(model)
    count, usage = task_usage(task, model)
    per_attempt = price_usage(card, usage, batch=batch).total
    per_success = per_attempt / (1 - task.failure_rate)
    return TaskCost(
        task=task,
        card=card,
        count=count,
        usage=usage,
        cost_per_attempt=per_attempt,
        attempts=expected_attempts(task.failure_rate, task.max_attempts),
        success_rate=success_rate(task.failure_rate, task.max_attempts),
        cost_per_success=per_success,
        monthly_cost=per_success * task.monthly_volume,
        break_even=_task_break_even(task, card, usage, batch),
        batch=batch,
    )


def task_costs(task: Task, models: Iterable[str], *, batch: bool = False) -> list[TaskCost]:
    """Price ``task`` on each model, in the order given."""
    return [task_cost(task, model, batch=batch) for model in models]


def _task_break_even(task: Task, card: RateCard, usage: Usage, batch: bool) -> BreakEven | None:
    """Compare per attempt against the action price times the success share of an attempt.

    Per success, per-token pricing costs ``cost / (1 - p)``. That equals the action price
    ``A`` where one attempt costs ``A * (1 - p)``, so the output length found is the
    break-even with retries.
    """
    if task.action_price is None:
        return None
    return break_even(card, usage, task.action_price * (1 - task.failure_rate), batch=batch)


def cost_per_success_at(cost: TaskCost, output_tokens: int) -> Decimal:
    """Return the per-success cost of ``cost``'s task if each attempt wrote ``output_tokens``."""
    usage = replace(cost.usage, output_tokens=output_tokens)
    per_attempt = price_usage(cost.card, usage, batch=cost.batch).total
    return per_attempt / (1 - cost.task.failure_rate)


# ---------------------------------------------------------------------------------------------
# Spread of output lengths


def output_share_below(
    tokens: Decimal, low: int, typical: int, high: int, distribution: OutputDistribution
) -> Decimal:
    """Return the share of tasks whose output is below ``tokens``.

    Output lengths follow a uniform distribution from ``low`` to ``high``, or a triangular
    one with its peak at the ``typical`` length.
    """
    if distribution not in DISTRIBUTIONS:
        raise ValueError(f"distribution must be 'triangular' or 'uniform', got {distribution!r}")
    if tokens <= low:
        return Decimal(0)
    if tokens >= high:
        return Decimal(1)
    width = Decimal(high - low)
    if distribution == "uniform":
        return (tokens - low) / width
    if tokens <= typical:
        return (tokens - low) ** 2 / (width * (typical - low))
    return 1 - (high - tokens) ** 2 / (width * (high - typical))


def overpaid_share(
    cost: TaskCost, distribution: OutputDistribution = "triangular"
) -> Decimal | None:
    """Return the share of tasks for which the action price costs more than per-token pricing.

    Per-action pricing overpays for every task whose output is shorter than the break-even
    length. Output lengths spread over the task's ``output_range`` (see
    :func:`output_share_below`).

    Returns:
        A share from 0 to 1, or None when the task has no action price or no output range.
    """
    comparison = cost.break_even
    bounds = cost.task.output_range
    if comparison is None or bounds is None:
        return None
    tokens = comparison.break_even_output_tokens
    if tokens is None:
        return Decimal(0)
    if tokens.is_infinite():
        return Decimal(1)
    low, high = bounds
    return output_share_below(tokens, low, cost.task.output_tokens, high, distribution)


# ---------------------------------------------------------------------------------------------
# Choosing a model


@dataclass(frozen=True)
class ModelProfile:
    """The user's own figures for one model on one task.

    Numbers may be given as strings, as typed (``"0.85"``, ``"5%"``); blank means not given.

    Attributes:
        quality: The share of correct results on the user's evaluation, or another score where
            higher is better, from 0 to 1; ``"97%"`` is read as 0.97. None when not measured.
        latency_seconds: Seconds per attempt, or None when not measured.
        failure_rate: Share of this model's attempts that fail, or None to use the task's.

    Raises:
        InvalidTaskError: A value is not a number, the quality is not from 0 to 1, a latency
            is negative, or the failure rate is not a share below 1; ``field`` names it.
    """

    quality: Decimal | None = None
    latency_seconds: Decimal | None = None
    failure_rate: Decimal | None = None

    def __post_init__(self) -> None:
        quality = _optional_share("quality", self.quality)
        latency = _optional_seconds("latency_seconds", self.latency_seconds)
        failure = None
        if not _blank(self.failure_rate):
            failure = parse_share("failure_rate", self.failure_rate, below_one=True)
        object.__setattr__(self, "quality", quality)
        object.__setattr__(self, "latency_seconds", latency)
        object.__setattr__(self, "failure_rate", failure)


@dataclass(frozen=True)
class Candidate:
    """One model judged against the user's bar.

    Attributes:
        cost: The task's cost on this model.
        profile: The user's figures for the model.
        latency_per_success: Mean seconds to a successful result, attempts one after another,
            or None without a latency.
        shortfalls: Why the model misses the bar; empty when it meets it.
    """

    cost: TaskCost
    profile: ModelProfile
    latency_per_success: Decimal | None
    shortfalls: tuple[str, ...]

    @property
    def model(self) -> str:
        """The model id as the user wrote it."""
        return self.cost.model

    @property
    def meets_bar(self) -> bool:
        """Whether the model meets every stated requirement."""
        return not self.shortfalls


@dataclass(frozen=True)
class Choice:
    """Models for a task ranked by cost per successful task, and the cheapest that meets the bar.

    Attributes:
        task: The task.
        min_quality: The lowest acceptable quality score, or None for no requirement.
        max_latency_seconds: The maximum acceptable time to a successful result, or None.
        candidates: Every model, cheapest per successful task first.
        best: The cheapest candidate that meets the bar, or None when none does.
    """

    task: Task
    min_quality: Decimal | None
    max_latency_seconds: Decimal | None
    candidates: tuple[Candidate, ...]
    best: Candidate | None

    def describe(self) -> str:
        """Say the result in one sentence."""
        from .display import format_money

        bar = self.bar_text()
        if self.best is None:
            return f"No model meets {bar} for task {self.task.name!r}."
        cost = self.best.cost
        return (
            f"{self.best.model} is the cheapest model that meets {bar} for task "
            f"{self.task.name!r}: {format_money(cost.cost_per_success)} per successful task, "
            f"{format_money(cost.monthly_cost)} a month."
        )

    def bar_text(self) -> str:
        """Return the requirements in words, such as ``"quality ≥ 0.8 and latency ≤ 4 s"``."""
        parts = []
        if self.min_quality is not None:
            parts.append(f"quality ≥ {_plain(self.min_quality)}")
        if self.max_latency_seconds is not None:
            parts.append(f"latency ≤ {_plain(self.max_latency_seconds)} s")
        return " and ".join(parts) if parts else "no stated requirement"


def choose_model(
    task: Task,
    profiles: Mapping[str, ModelProfile],
    *,
    min_quality: Decimal | str | None = None,
    max_latency_seconds: Decimal | str | None = None,
    batch: bool = False,
) -> Choice:
    """Rank models by cost per successful task and pick the cheapest that meets the bar.

    A model without a quality score fails a quality requirement, and one without a latency
    fails a latency requirement, because an unmeasured model cannot be shown to meet them.
    Latency counts every attempt: seconds per attempt times the mean attempts per task.

    Args:
        task: The task.
        profiles: The user's figures by model id; every key is priced.
        min_quality: The lowest acceptable quality, from 0 to 1 (``"95%"`` is read as 0.95),
            or None. A string may be blank for None.
        max_latency_seconds: The maximum acceptable mean seconds to a successful result, 0 or
            more, or None. A string may be blank for None.
        batch: Apply the provider's batch discount.

    Raises:
        ValueError: ``profiles`` is empty.
        InvalidTaskError: ``min_quality`` is not from 0 to 1, or ``max_latency_seconds`` is
            negative or not a number; ``field`` names it.
        UnknownModelError: A model is unknown.
    """
    quality_bar = _optional_share("min_quality", min_quality)
    latency_bar = _optional_seconds("max_latency_seconds", max_latency_seconds)
    if not profiles:
        raise ValueError("no model to choose from: give at least one model and its figures")
    candidates = [
        _candidate(task, model, profile, quality_bar, latency_bar, batch)
        for model, profile in profiles.items()
    ]
    ranked = tuple(sorted(candidates, key=lambda item: item.cost.cost_per_success))
    best = next((item for item in ranked if item.meets_bar), None)
    return Choice(task, quality_bar, latency_bar, ranked, best)


def _candidate(
    task: Task,
    model: str,
    profile: ModelProfile,
    min_quality: Decimal | None,
    max_latency: Decimal | None,
    batch: bool,
) -> Candidate:
    cost = task_cost(task, model, failure_rate=profile.failure_rate, batch=batch)
    latency = None
    if profile.latency_seconds is not None:
        latency = profile.latency_seconds * cost.attempts
    shortfalls = tuple(_shortfalls(profile.quality, latency, min_quality, max_latency))
    return Candidate(cost, profile, latency, shortfalls)


def _shortfalls(
    quality: Decimal | None,
    latency: Decimal | None,
    min_quality: Decimal | None,
    max_latency: Decimal | None,
) -> Sequence[str]:
    found = []
    if min_quality is not None:
        if quality is None:
            found.append("no quality score given")
        elif quality < min_quality:
            found.append(f"quality {_plain(quality)} < {_plain(min_quality)}")
    if max_latency is not None:
        if latency is None:
            found.append("no latency given")
        elif latency > max_latency:
            found.append(f"latency {latency:.1f} s > {_plain(max_latency)} s")
    return found


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _optional_share(field: str, value: object) -> Decimal | None:
    return None if _blank(value) else parse_share(field, value)


def _optional_seconds(field: str, value: object) -> Decimal | None:
    if _blank(value):
        return None
    seconds = parse_number(field, value, "seconds")
    if seconds < 0:
        raise InvalidTaskError(field, f"expected 0 seconds or more, got {_plain(seconds)}")
    return seconds


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")
