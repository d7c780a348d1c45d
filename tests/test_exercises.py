"""The course's exercise checker: solutions are accepted, wrong answers are not, and no
message gives the expected answer away."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from llmcost_jupyter import count_tokens, get_rate_card
from llmcost_jupyter.exercises import EXERCISES, check, get_exercise, show_solution

NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"
KEYS = list(EXERCISES)


def numeric_keys(*kinds: str) -> list[str]:
    return [key for key, exercise in EXERCISES.items() if exercise.kind in kinds]


@pytest.mark.parametrize("key", KEYS)
def test_solution_is_accepted(key: str):
    expected = get_exercise(key).expected()
    result = check(key, expected)
    assert result.status == "correct", result.message
    assert result.correct


@pytest.mark.parametrize("key", KEYS)
def test_unanswered_is_not_an_error(key: str):
    result = check(key, None)
    assert result.status == "unanswered"
    assert "not answered yet" in str(result)


@pytest.mark.parametrize("key", numeric_keys("count", "amount", "ratio"))
def test_wrong_number_is_rejected(key: str):
    expected = Decimal(str(get_exercise(key).expected()))
    for wrong, direction in ((expected * 2 + 1, "too high"), (expected / 2 - 1, "too low")):
        if get_exercise(key).kind == "count":
            wrong = wrong.to_integral_value()
        result = check(key, wrong)
        assert result.status == "incorrect", (wrong, result.message)
        assert direction in result.message


@pytest.mark.parametrize("key", numeric_keys("count", "amount", "ratio"))
def test_messages_hide_the_answer(key: str):
    exercise = get_exercise(key)
    expected = Decimal(str(exercise.expected()))
    wrong = check(key, expected * 3 + 7)
    shown = {str(expected), f"{expected:.2f}", f"{expected:.4f}", str(expected.normalize())}
    if exercise.kind == "count":
        shown = {str(int(expected))} if expected >= 10 else set()
    for text in shown:
        assert not re.search(rf"(?<![\d.]){re.escape(text)}(?![\d])", wrong.message), text
        assert not re.search(rf"(?<![\d.]){re.escape(text)}(?![\d])", exercise.hint), text


@pytest.mark.parametrize("key", numeric_keys("amount", "ratio"))
def test_close_answer_is_accepted(key: str):
    expected = Decimal(str(get_exercise(key).expected()))
    assert check(key, expected * Decimal("1.005")).correct
    assert check(key, float(expected)).correct
    assert not check(key, expected * Decimal("1.05")).correct


@pytest.mark.parametrize("key", numeric_keys("amount"))
def test_amount_accepts_dollar_text(key: str):
    expected = Decimal(str(get_exercise(key).expected()))
    assert check(key, f"${expected}").correct


@pytest.mark.parametrize("key", numeric_keys("count"))
def test_count_rejects_fractions_and_text(key: str):
    expected = int(get_exercise(key).expected())
    assert check(key, expected + 0.5).status == "invalid"
    assert check(key, "many").status == "invalid"
    assert check(key, True).status == "invalid"
    assert check(key, float(expected)).correct
    assert check(key, str(expected)).correct


@pytest.mark.parametrize("key", numeric_keys("count"))
def test_count_accepts_numpy_integers(key: str):
    numpy = pytest.importorskip("numpy")
    expected = int(get_exercise(key).expected())
    assert check(key, numpy.int64(expected)).correct
    assert check(key, numpy.int32(expected)).correct
    assert check(key, numpy.float64(expected)).correct
    assert check(key, numpy.int64(expected + 1)).status == "incorrect"
    assert check(key, numpy.bool_(True)).status == "invalid"


def test_count_accepts_pandas_answers():
    pandas = pytest.importorskip("pandas")
    expected = int(get_exercise("2.3").expected())
    frame = pandas.DataFrame({"gpt-4": [expected + 10], "gpt-4o": [10]}, index=["text"])
    difference = frame.loc["text", "gpt-4"] - frame.loc["text", "gpt-4o"]
    assert type(difference).__module__ == "numpy"
    assert check("2.3", difference).correct
    flags = pandas.Series(["cut"] * expected + ["raise"])
    assert check("2.3", (flags == "cut").sum()).correct


@pytest.mark.parametrize("key", numeric_keys("amount", "ratio"))
def test_close_accepts_numpy_floats(key: str):
    numpy = pytest.importorskip("numpy")
    expected = float(get_exercise(key).expected())
    assert check(key, numpy.float64(expected)).correct
    assert check(key, numpy.float32(expected)).correct
    assert check(key, numpy.float64(expected * 3 + 1)).status == "incorrect"
    assert check(key, numpy.bool_(True)).status == "invalid"


def test_close_accepts_fractions():
    from fractions import Fraction

    expected = Decimal(str(get_exercise("2.4").expected()))
    as_fraction = Fraction(expected).limit_denominator(1000)
    assert check("2.4", as_fraction).correct


@pytest.mark.parametrize("text", ["1,234,567", " 1,234 ", "$12,345", "-1,000", "1,000."])
def test_thousands_commas_are_read(text: str):
    number = Decimal(text.strip().lstrip("$").replace(",", ""))
    for key in ("3.2", "2.4", "5.3"):
        expected = Decimal(str(get_exercise(key).expected()))
        result = check(key, text)
        assert result.status == "incorrect", (key, text, result.message)
        assert ("too high" if number > expected else "too low") in result.message


@pytest.mark.parametrize("text", ["5,08", "5,0800", "1,23,456", ",5", "5,", "1,2345"])
def test_decimal_comma_is_rejected(text: str):
    result = check("2.4", text)
    assert result.status == "invalid", result.message
    assert "Use a point for decimals" in result.message


def test_decimal_comma_message_for_counts():
    result = check("2.3", "6,5")
    assert result.status == "invalid"
    assert "Use a point for decimals" in result.message


@pytest.mark.parametrize("key", numeric_keys("choice"))
def test_choice_answers(key: str):
    exercise = get_exercise(key)
    expected = str(exercise.expected())
    assert check(key, expected.upper()).correct
    assert check(key, f"  {expected} ").correct
    others = [choice for choice in exercise.choices if choice != expected.lower()]
    assert others, "a choice exercise needs at least one wrong choice"
    wrong = check(key, others[0])
    assert wrong.status == "incorrect"
    assert expected.lower() not in wrong.message.lower()
    assert check(key, "no-such-model").status == "invalid"
    assert check(key, 42).status == "invalid"


def test_unknown_exercise_lists_the_valid_keys():
    with pytest.raises(KeyError, match="1.1"):
        check("9.9", 1)
    with pytest.raises(KeyError, match="the exercises are"):
        show_solution("9.9")


def test_solution_html_is_collapsed_and_escaped():
    solution = show_solution("1.1")
    html = solution._repr_html_()
    assert html.startswith("<details>")
    assert "<summary>" in html
    assert "count_tokens" in html
    assert '"Translate' not in html, "quotes in the code must be escaped"
    assert str(solution).startswith("Solution to exercise 1.1")


def test_result_html_escapes_the_message():
    result = check("1.1", "<b>")
    assert result.status == "invalid"
    assert "<b>" not in result._repr_html_()
    assert "&lt;b&gt;" in result._repr_html_()


# -- cross-checks: compute some expected answers another way ------------------------------


def test_token_count_answers_match_tiktoken():
    from llmcost_jupyter._vocab import get_encoding

    encoding = get_encoding("o200k_base")
    assert get_exercise("2.1").expected() == len(encoding.encode_ordinary("St. Louis, Mo."))
    assert get_exercise("2.2").expected() == len(encoding.encode_ordinary("$4,250,000.00"))
    text = "Translate to French: Good morning, everyone."
    assert get_exercise("1.1").expected() == len(encoding.encode_ordinary(text))


def test_cost_answers_match_hand_arithmetic():
    mini = get_rate_card("gpt-4o-mini")
    tokens = count_tokens("Translate to French: Good morning, everyone.", "gpt-4o-mini").tokens
    by_hand = (tokens * mini.input + 12 * mini.output) / 1_000_000 * 1000
    assert get_exercise("1.2").expected() == by_hand

    gpt4o = get_rate_card("gpt-4o")
    assert get_exercise("3.2").expected() == int(3000 * gpt4o.input / gpt4o.output)

    assert mini.batch is not None
    one_call = (1200 * mini.input + 150 * mini.output) / 1_000_000
    assert get_exercise("3.3").expected() == one_call * (1 - mini.batch.discount) * 5000


# -- the notebooks and the exercises agree -------------------------------------------------


def notebook_keys() -> set[str]:
    import nbformat

    keys = set()
    for path in NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"):
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                keys.update(re.findall(r'check\("(\d+\.\d+)"', cell.source))
    return keys


def test_every_exercise_is_used_in_a_notebook():
    assert set(EXERCISES) == notebook_keys()


def code_before_exercises(name: str) -> list[str]:
    """Return the code cells of a notebook above its Exercises section."""
    import nbformat

    notebook = nbformat.read(NOTEBOOKS_DIR / name, as_version=4)
    code = []
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("## Exercises"):
            break
        if cell.cell_type == "code":
            code.append(cell.source)
    return code


@pytest.mark.parametrize("text", ["St. Louis, Mo.", "4,250,000.00", "बैठक मंगलवार", "10/Oct/2024"])
def test_token_exercise_texts_are_not_shown_above(text: str):
    for source in code_before_exercises("02_what_is_a_token.ipynb"):
        assert text not in source


def test_ratio_exercise_differs_from_the_table():
    cells = code_before_exercises("02_what_is_a_token.ipynb")
    samples_cell = next(source for source in cells if "samples = {" in source)
    namespace: dict = {}
    exec(samples_cell, namespace)  # noqa: S102 - the notebook's own sample texts
    for kind, text in namespace["samples"].items():
        ratio = Decimal(len(text)) / count_tokens(text, "gpt-4o").tokens
        assert not check("2.4", ratio).correct, kind
