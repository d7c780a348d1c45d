"""Check the answers to the course's exercises without giving them away.

Each exercise has a solution written as Python code that ends by assigning ``answer``. The
checker runs that code to compute the expected answer with the installed package and price
data, so an exercise stays right when prices change. A learner's answer is compared with
it, and the message says whether the answer is right, and for numbers whether it is too
high or too low, but never what the expected value is.

>>> from llmcost_jupyter.exercises import check, show_solution
>>> check("1.1", None)  # doctest: +SKIP
Exercise 1.1: not answered yet. Replace None with your answer and run the cell again.
"""

from __future__ import annotations

import html
import numbers
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

Kind = Literal["count", "amount", "ratio", "choice"]
Status = Literal["unanswered", "correct", "incorrect", "invalid"]

# Relative tolerance for answers in USD and for ratios: 1 %, so that an answer computed
# with floats, or rounded to a few significant digits, is accepted.
RELATIVE_TOLERANCE = Decimal("0.01")


@dataclass(frozen=True)
class Exercise:
    """One exercise: what is asked, how to compare answers, and the solution code.

    Attributes:
        key: The exercise number as written in the notebook, e.g. ``"2.1"``.
        question: The question, in one or two sentences.
        kind: ``count`` (a whole number, compared exactly), ``amount`` (USD) or ``ratio``
            (compared within 1 %), or ``choice`` (a string from ``choices``).
        solution: Python code that computes the answer and assigns it to ``answer``.
        hint: A nudge shown with a wrong answer; it must not contain the answer.
        choices: The accepted spellings of a ``choice`` answer, lower case.
    """

    key: str
    question: str
    kind: Kind
    solution: str
    hint: str
    choices: tuple[str, ...] = ()

    def expected(self) -> Any:
        """Run the solution code and return the answer it computes."""
        namespace: dict[str, Any] = {}
        exec(compile(self.solution, f"<solution {self.key}>", "exec"), namespace)  # noqa: S102
        if "answer" not in namespace:
            raise RuntimeError(f"the solution of exercise {self.key} assigns no 'answer'")
        return namespace["answer"]


@dataclass(frozen=True)
class CheckResult:
    """The outcome of checking one answer, shown as a short coloured message."""

    key: str
    status: Status
    message: str

    @property
    def correct(self) -> bool:
        return self.status == "correct"

    def __str__(self) -> str:
        return f"Exercise {self.key}: {self.message}"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        colours = {
            "correct": "#1a7f37",
            "incorrect": "#b35900",
            "invalid": "#b35900",
            "unanswered": "#57606a",
        }
        return (
            f'<div style="border-left: 4px solid {colours[self.status]}; padding: 4px 8px;">'
            f"<strong>Exercise {html.escape(self.key)}</strong>: {html.escape(self.message)}"
            "</div>"
        )


@dataclass(frozen=True)
class Solution:
    """The solution of one exercise, collapsed in notebooks until the reader opens it."""

    key: str
    code: str

    def __str__(self) -> str:
        return f"Solution to exercise {self.key}:\n\n{self.code}"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        return (
            f"<details><summary>Show the solution to exercise {html.escape(self.key)}"
            f"</summary><pre><code>{html.escape(self.code)}</code></pre></details>"
        )


# -- checking ------------------------------------------------------------------------------


def check(key: str, answer: Any) -> CheckResult:
    """Check a learner's answer to an exercise.

    Args:
        key: The exercise number, e.g. ``"2.1"``.
        answer: The learner's answer. ``None`` means not answered yet.

    Returns:
        The outcome with a message that never reveals the expected answer.

    Raises:
        KeyError: If there is no exercise ``key``.
    """
    exercise = get_exercise(key)
    if answer is None or answer is Ellipsis:
        return CheckResult(
            key, "unanswered",
            "not answered yet. Replace None with your answer and run the cell again.",
        )
    compare = _COMPARERS[exercise.kind]
    return compare(exercise, answer)


def show_solution(key: str) -> Solution:
    """Return the solution of an exercise; notebooks show it collapsed.

    Raises:
        KeyError: If there is no exercise ``key``.
    """
    return Solution(key, get_exercise(key).solution.strip())


def get_exercise(key: str) -> Exercise:
    """Return the exercise numbered ``key``.

    Raises:
        KeyError: If there is no such exercise; the message lists the valid numbers.
    """
    try:
        return EXERCISES[key]
    except KeyError:
        known = ", ".join(EXERCISES)
        raise KeyError(f"No exercise {key!r}; the exercises are {known}.") from None


def _check_count(exercise: Exercise, answer: Any) -> CheckResult:
    number = _read_number(answer)
    if isinstance(number, str):
        return _invalid(exercise, answer, "a whole number", number)
    if number is None or number != number.to_integral_value():
        return _invalid(exercise, answer, "a whole number")
    expected = Decimal(int(exercise.expected()))
    if number == expected:
        return CheckResult(exercise.key, "correct", "correct.")
    return _wrong(exercise, number, expected)


def _check_close(exercise: Exercise, answer: Any) -> CheckResult:
    what = "an amount in USD" if exercise.kind == "amount" else "a number"
    number = _read_number(answer)
    if isinstance(number, str):
        return _invalid(exercise, answer, what, number)
    if number is None:
        return _invalid(exercise, answer, what)
    expected = Decimal(str(exercise.expected()))
    if abs(number - expected) <= abs(expected) * RELATIVE_TOLERANCE:
        return CheckResult(exercise.key, "correct", "correct.")
    return _wrong(exercise, number, expected)


def _check_choice(exercise: Exercise, answer: Any) -> CheckResult:
    if not isinstance(answer, str):
        return _invalid(exercise, answer, f"one of {', '.join(map(repr, exercise.choices))}")
    given = answer.strip().lower()
    if exercise.choices and given not in exercise.choices:
        return _invalid(exercise, answer, f"one of {', '.join(map(repr, exercise.choices))}")
    if given == str(exercise.expected()).strip().lower():
        return CheckResult(exercise.key, "correct", "correct.")
    return CheckResult(exercise.key, "incorrect", f"not quite. Hint: {exercise.hint}")


def _wrong(exercise: Exercise, number: Decimal, expected: Decimal) -> CheckResult:
    direction = "too high" if number > expected else "too low"
    return CheckResult(
        exercise.key, "incorrect", f"not quite: your answer is {direction}. Hint: {exercise.hint}"
    )


def _invalid(exercise: Exercise, answer: Any, what: str, advice: str = "") -> CheckResult:
    message = f"expected {what}, got {answer!r} ({type(answer).__name__})."
    return CheckResult(exercise.key, "invalid", f"{message} {advice}" if advice else message)


# A comma is read as a thousands separator only between groups of three digits, as in
# "1,234,567.5". Any other comma, such as the decimal comma of "5,08", is rejected.
_GROUPED_NUMBER = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
_DECIMAL_COMMA_ADVICE = (
    "Use a point for decimals, as in 2.5; a comma may only separate groups of three digits."
)


def _read_number(value: Any) -> Decimal | str | None:
    """Convert a numeric answer to a ``Decimal``.

    Any real number is accepted, numpy and pandas scalars included, but not ``bool``.

    Returns:
        The number; a piece of advice for a string with a misplaced comma; or ``None`` if
        the answer is not a finite number.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip().lstrip("$").strip()
        if "," in text:
            if not _GROUPED_NUMBER.fullmatch(text):
                return _DECIMAL_COMMA_ADVICE
            text = text.replace(",", "")
    elif isinstance(value, Decimal):
        text = str(value)
    elif isinstance(value, numbers.Integral):
        text = str(int(value))
    elif isinstance(value, numbers.Rational):
        return Decimal(int(value.numerator)) / Decimal(int(value.denominator))
    elif isinstance(value, numbers.Real):
        text = repr(float(value))
    else:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


_COMPARERS: dict[str, Callable[[Exercise, Any], CheckResult]] = {
    "count": _check_count,
    "amount": _check_close,
    "ratio": _check_close,
    "choice": _check_choice,
}


# -- the exercises -------------------------------------------------------------------------


def _exercise(
    key: str, question: str, kind: Kind, hint: str, solution: str, choices: tuple[str, ...] = ()
) -> Exercise:
    return Exercise(key, question, kind, textwrap.dedent(solution).strip() + "\n", hint, choices)


EXERCISES: dict[str, Exercise] = {
    exercise.key: exercise
    for exercise in [
        _exercise(
            "1.1",
            "How many input tokens does the prompt 'Translate to French: Good morning, "
            "everyone.' have for gpt-4o?",
            "count",
            "Use count_tokens(text, 'gpt-4o') and read its .tokens.",
            """
            from llmcost_jupyter import count_tokens

            answer = count_tokens("Translate to French: Good morning, everyone.", "gpt-4o").tokens
            """,
        ),
        _exercise(
            "1.2",
            "What do 1,000 calls of 'Translate to French: Good morning, everyone.' cost on "
            "gpt-4o-mini, with 12 output tokens per call?",
            "amount",
            "Use estimate(prompt, 'gpt-4o-mini', output_tokens=12, calls=1000) and read the "
            "total_cost of its row, or multiply one call's cost by 1,000.",
            """
            from llmcost_jupyter import estimate

            prompt = "Translate to French: Good morning, everyone."
            report = estimate(prompt, "gpt-4o-mini", output_tokens=12, calls=1000)
            answer = report["gpt-4o-mini"].total_cost
            """,
        ),
        _exercise(
            "1.3",
            "For the job of exercise 1.2, which of gpt-4o, gpt-4o-mini and claude-haiku-4-5 "
            "costs least?",
            "choice",
            "Price all three models in one estimate and look at the cheapest row.",
            """
            from llmcost_jupyter import estimate

            prompt = "Translate to French: Good morning, everyone."
            models = ["gpt-4o", "gpt-4o-mini", "claude-haiku-4-5"]
            report = estimate(prompt, models, output_tokens=12, calls=1000)
            answer = report.cheapest.model
            """,
            choices=("gpt-4o", "gpt-4o-mini", "claude-haiku-4-5"),
        ),
        _exercise(
            "2.1",
            "How many tokens does 'St. Louis, Mo.' have for gpt-4o?",
            "count",
            "Punctuation is usually a token of its own; look at token_pieces('St. Louis, Mo.', "
            "'gpt-4o').",
            """
            from llmcost_jupyter import count_tokens

            answer = count_tokens("St. Louis, Mo.", "gpt-4o").tokens
            """,
        ),
        _exercise(
            "2.2",
            "How many tokens does the amount '$4,250,000.00' have for gpt-4o?",
            "count",
            "Digits are grouped, and the currency sign, the commas and the point are tokens of "
            "their own; look at token_pieces('$4,250,000.00', 'gpt-4o').",
            """
            from llmcost_jupyter import count_tokens

            answer = count_tokens("$4,250,000.00", "gpt-4o").tokens
            """,
        ),
        _exercise(
            "2.3",
            "How many more tokens does the Hindi sentence 'The meeting starts on Tuesday at ten "
            "in the morning' need with gpt-4 than with gpt-4o?",
            "count",
            "Count the sentence with both models and subtract the gpt-4o count from the gpt-4 "
            "count.",
            """
            from llmcost_jupyter import count_tokens

            meeting = "बैठक मंगलवार को सुबह दस बजे शुरू होगी।"
            answer = count_tokens(meeting, "gpt-4").tokens - count_tokens(meeting, "gpt-4o").tokens
            """,
        ),
        _exercise(
            "2.4",
            "How many characters does one gpt-4o token hold on average in the web server log "
            "line of exercise 2.4?",
            "ratio",
            "Divide len(log_line) by the gpt-4o token count of log_line.",
            """
            from llmcost_jupyter import count_tokens

            log_line = (
                '127.0.0.1 - - [10/Oct/2024:13:55:36 +0000] "GET /api/v1/orders/88123 HTTP/1.1" '
                "200 2326"
            )
            answer = len(log_line) / count_tokens(log_line, "gpt-4o").tokens
            """,
        ),
        _exercise(
            "3.1",
            "What is the median output/input ratio over the catalog's offers priced per token "
            "in both directions?",
            "ratio",
            "Divide each offer's output rate by its input rate, leaving out offers without both "
            "rates, and take the median (statistics.median or pandas' .median()).",
            """
            from statistics import median

            from llmcost_jupyter import search_models

            ratios = [m.output / m.input for m in search_models() if m.input and m.output]
            answer = median(ratios)
            """,
        ),
        _exercise(
            "3.2",
            "A prompt has 3,000 tokens. On gpt-4o, how many output tokens cost as much as the "
            "prompt?",
            "count",
            "Multiply the prompt's tokens by the input rate and divide by the output rate "
            "(get_rate_card('gpt-4o')).",
            """
            from llmcost_jupyter import get_rate_card

            card = get_rate_card("gpt-4o")
            answer = int(3_000 * card.input / card.output)
            """,
        ),
        _exercise(
            "3.3",
            "5,000 documents of 1,200 tokens, 150 output tokens each: what does the job cost "
            "on gpt-4o-mini with the batch discount?",
            "amount",
            "Price one call with price_usage(card, Usage(...), batch=True) and multiply by the "
            "number of documents.",
            """
            from llmcost_jupyter import Usage, get_rate_card, price_usage

            card = get_rate_card("gpt-4o-mini")
            one_call = price_usage(card, Usage(input_tokens=1_200, output_tokens=150), batch=True)
            answer = one_call.total * 5_000
            """,
        ),
        _exercise(
            "4.1",
            "One o4-mini call has 1,500 prompt tokens, a 400-token answer and 6,000 reasoning "
            "tokens. What does it cost?",
            "amount",
            "Reasoning tokens go in Usage(..., reasoning_tokens=...) and are billed at "
            "card.reasoning.",
            """
            from llmcost_jupyter import Usage, get_rate_card, price_usage

            card = get_rate_card("o4-mini")
            usage = Usage(input_tokens=1_500, output_tokens=400, reasoning_tokens=6_000)
            answer = price_usage(card, usage).total
            """,
        ),
        _exercise(
            "4.2",
            "The 50 manual questions on claude-haiku-4-5: one 5-minute cache write, then 49 "
            "cache reads. What do they cost?",
            "amount",
            "Price the first call with cache_write_5m_tokens and a later call with "
            "cache_read_tokens; the prompt is the manual plus the question.",
            """
            from llmcost_jupyter import Usage, get_rate_card, price_usage

            card = get_rate_card("claude-haiku-4-5")
            prompt = 20_000 + 40
            first = price_usage(card, Usage(prompt, 200, cache_write_5m_tokens=20_000)).total
            later = price_usage(card, Usage(prompt, 200, cache_read_tokens=20_000)).total
            answer = first + 49 * later
            """,
        ),
        _exercise(
            "4.3",
            "What did the gpt-5-mini response of exercise 4.3 cost?",
            "amount",
            "price_response(response) returns the rate card, the usage and the cost.",
            """
            from llmcost_jupyter import price_response

            response = {
                "model": "gpt-5-mini-2025-08-07",
                "usage": {
                    "prompt_tokens": 5200,
                    "completion_tokens": 2900,
                    "prompt_tokens_details": {"cached_tokens": 4096},
                    "completion_tokens_details": {"reasoning_tokens": 2304},
                },
            }
            card, usage, cost = price_response(response)
            answer = cost.total
            """,
        ),
        _exercise(
            "5.1",
            "gpt-4o, a 2,000-token prompt, 0.02 USD per action: up to how many output tokens "
            "is per-token pricing cheaper?",
            "count",
            "Use break_even(card, Usage(2_000), Decimal('0.02')) and round its "
            "break_even_output_tokens down, or compute (P - F) / r by hand.",
            """
            from decimal import Decimal

            from llmcost_jupyter import Usage, break_even, get_rate_card

            comparison = break_even(get_rate_card("gpt-4o"), Usage(2_000), Decimal("0.02"))
            answer = int(comparison.break_even_output_tokens)
            """,
        ),
        _exercise(
            "5.2",
            "Same task with 1,800 output tokens: which is cheaper, per-token or per-action?",
            "choice",
            "Compare the per-token cost of one call with the action price, or 1,800 with the "
            "break-even length of exercise 5.1.",
            """
            from decimal import Decimal

            from llmcost_jupyter import Usage, break_even, get_rate_card

            usage = Usage(input_tokens=2_000, output_tokens=1_800)
            answer = break_even(get_rate_card("gpt-4o"), usage, Decimal("0.02")).cheaper
            """,
            choices=("per-token", "per-action"),
        ),
        _exercise(
            "5.3",
            "At 20,000 tasks a month with 1,800-token answers, how much does the cheaper option "
            "save a month?",
            "amount",
            "The saving per task is the difference between the action price and the per-token "
            "cost of one call; multiply it by the monthly volume.",
            """
            from decimal import Decimal

            from llmcost_jupyter import Usage, break_even, get_rate_card

            usage = Usage(input_tokens=2_000, output_tokens=1_800)
            comparison = break_even(get_rate_card("gpt-4o"), usage, Decimal("0.02"))
            answer = comparison.saving_per_call * 20_000
            """,
        ),
        _exercise(
            "6.1",
            "The invoice task on gpt-4o-mini fails 12% of the time and is retried: what is the "
            "cost per successful task?",
            "amount",
            "Divide the cost of one attempt by (1 - failure rate), or use task_cost with "
            "failure_rate=Decimal('0.12').",
            """
            from decimal import Decimal

            from llmcost_jupyter.choosing import task_cost
            from llmcost_jupyter.tasks import Task

            invoice = Task("invoice-fields", input_tokens=1_200, output_tokens=250)
            cost = task_cost(invoice, "gpt-4o-mini", failure_rate=Decimal("0.12"))
            answer = cost.cost_per_success
            """,
        ),
        _exercise(
            "6.2",
            "With the example profiles, which model is the cheapest with quality of at least "
            "0.9 and at most 3 seconds per successful task?",
            "choice",
            "Use choose_model(invoice, profiles, min_quality=..., max_latency_seconds=...) and "
            "read .best; the time per success counts the retries.",
            """
            from decimal import Decimal

            from llmcost_jupyter.choosing import ModelProfile, choose_model
            from llmcost_jupyter.tasks import Task

            invoice = Task("invoice-fields", input_tokens=1_200, output_tokens=250)
            figures = {  # model: (quality, seconds per attempt, failure rate)
                "gpt-4o": ("0.97", "4.5", "0.02"),
                "gpt-4o-mini": ("0.93", "2.5", "0.08"),
                "gpt-4.1-nano": ("0.80", "1.5", "0.30"),
                "claude-haiku-4-5": ("0.96", "3.0", "0.04"),
            }
            profiles = {
                model: ModelProfile(quality=quality, latency_seconds=seconds, failure_rate=failure)
                for model, (quality, seconds, failure) in figures.items()
            }
            choice = choose_model(invoice, profiles, min_quality=Decimal("0.9"),
                                  max_latency_seconds=Decimal(3))
            answer = choice.best.model if choice.best else "none"
            """,
            choices=("gpt-4o", "gpt-4o-mini", "gpt-4.1-nano", "claude-haiku-4-5", "none"),
        ),
        _exercise(
            "6.3",
            "How many providers have at least one dated input-price cut in the catalog, "
            "scheduled ones included?",
            "count",
            "Keep the rows of the changes table whose direction is 'cut' and count the distinct "
            "values of their 'provider' column (.nunique()).",
            """
            from genai_prices import data
            from genai_prices.types import StartDateConstraint, TieredPrices

            def base_rate(value):
                return value.base if isinstance(value, TieredPrices) else value

            providers_with_cuts = set()
            for provider in data.providers:
                for model in provider.models:
                    if not isinstance(model.prices, list):
                        continue
                    before = base_rate(model.prices[0].prices.input_mtok)
                    for conditional in model.prices[1:]:
                        if not isinstance(conditional.constraint, StartDateConstraint):
                            continue
                        after = base_rate(conditional.prices.input_mtok)
                        if before and after is not None and after < before:
                            providers_with_cuts.add(provider.id)
                        before = after
            answer = len(providers_with_cuts)
            """,
        ),
        _exercise(
            "7.1",
            "One ticket: a triage call on gpt-4o-mini (80 prompt tokens, 5 output) and a "
            "drafted reply on gpt-4o (150 prompt tokens, 350 output). What does it cost?",
            "amount",
            "Price each call with price_usage(get_rate_card(model), Usage(...)) and add the two "
            "totals.",
            """
            from llmcost_jupyter import Usage, get_rate_card, price_usage

            triage = price_usage(get_rate_card("gpt-4o-mini"), Usage(80, 5)).total
            draft = price_usage(get_rate_card("gpt-4o"), Usage(150, 350)).total
            answer = triage + draft
            """,
        ),
        _exercise(
            "7.2",
            "Which task of the six logged responses cost the most in total?",
            "choice",
            "Price each response with price_response and add up the costs per task.",
            """
            from collections import defaultdict

            from llmcost_jupyter import price_response

            def openai(model, prompt, completion):
                return {"model": model,
                        "usage": {"prompt_tokens": prompt, "completion_tokens": completion}}

            def anthropic(model, prompt, output):
                return {"model": model, "usage": {"input_tokens": prompt, "output_tokens": output}}

            log = [
                ("triage", openai("gpt-4o-mini", 58, 2)),
                ("triage", openai("gpt-4o-mini", 71, 2)),
                ("draft-reply", openai("gpt-4o", 84, 412)),
                ("draft-reply", openai("gpt-4o", 97, 356)),
                ("summarise-thread", anthropic("claude-haiku-4-5", 139, 121)),
                ("summarise-thread", anthropic("claude-haiku-4-5", 201, 164)),
            ]
            totals = defaultdict(int)
            for task, response in log:
                card, usage, cost = price_response(response)
                totals[task] += cost.total
            answer = max(totals, key=totals.get)
            """,
            choices=("triage", "draft-reply", "summarise-thread"),
        ),
        _exercise(
            "7.3",
            "A vendor charges 0.02 USD per ticket: how many times the cost per ticket of "
            "exercise 7.1 is that?",
            "ratio",
            "Divide 0.02 by your answer to exercise 7.1.",
            """
            from decimal import Decimal

            from llmcost_jupyter import Usage, get_rate_card, price_usage

            triage = price_usage(get_rate_card("gpt-4o-mini"), Usage(80, 5)).total
            draft = price_usage(get_rate_card("gpt-4o"), Usage(150, 350)).total
            answer = Decimal("0.02") / (triage + draft)
            """,
        ),
    ]
}
