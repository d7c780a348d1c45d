"""Tasks: field checks, the registry and the options they give to ``estimate``."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmcost_jupyter import tasks
from llmcost_jupyter.report import estimate
from llmcost_jupyter.tasks import InvalidTaskError, Task, TaskRegistry, UnknownTaskError


@pytest.fixture(autouse=True)
def _no_tasks():
    tasks.clear_tasks()
    yield
    tasks.clear_tasks()


def support(**changes) -> Task:
    fields = dict(
        name="support-reply",
        input_tokens=1800,
        output_tokens=600,
        monthly_volume=20000,
        action_price="0.02",
    )
    fields.update(changes)
    return Task(**fields)


# ---------------------------------------------------------------------------------------------
# Fields


def test_task_converts_typed_strings():
    task = Task(
        "t",
        input_tokens="1,200",
        output_tokens="300",
        cached_share="40%",
        failure_rate="0.05",
        action_price="$2.50",
        monthly_volume="10_000",
        max_attempts="3",
        output_range=["100", "900"],
    )
    assert task.input_tokens == 1200
    assert task.output_tokens == 300
    assert task.cached_share == Decimal("0.4")
    assert task.failure_rate == Decimal("0.05")
    assert task.action_price == Decimal("2.50")
    assert task.monthly_volume == 10_000
    assert task.max_attempts == 3
    assert task.output_range == (100, 900)


@pytest.mark.parametrize(
    ("text", "number"),
    [("1,200", 1200), ("12,345,678", 12345678), ("-1,200.5", Decimal("-1200.5")),
     ("1,200.", 1200), ("0.50", Decimal("0.50"))],
)
def test_parse_number_accepts_thousands_groups(text, number):
    assert tasks.parse_number("f", text, "a number") == number


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0,50", "'0,50' is not a number: use a point for decimals (0.50)"),
        ("2,5", "'2,5' is not a number: use a point for decimals (2.5)"),
        ("12,34", "use a point for decimals (12.34)"),
        ("0,500", "use a point for decimals (0.500)"),
        ("1,2,3", "commas only between groups of three digits (1,234.5)"),
        ("1,2000", "use a point for decimals (1.2000)"),
        ("1,234,56", "commas only between groups of three digits"),
        (",5", "use a point for decimals (.5)"),
    ],
)
def test_parse_number_rejects_decimal_comma(text, message):
    with pytest.raises(InvalidTaskError) as caught:
        tasks.parse_number("action_price", text, "a number")
    assert caught.value.field == "action_price"
    assert message in caught.value.problem


def test_task_decimal_comma_is_not_thousands():
    with pytest.raises(InvalidTaskError, match="use a point for decimals"):
        support(action_price="0,50")
    with pytest.raises(InvalidTaskError, match="use a point for decimals"):
        support(failure_rate="2,5%")


def test_task_strips_name_and_blank_optionals():
    task = Task("  support  ", input_tokens=10, action_price="", max_attempts=" ")
    assert task.name == "support"
    assert task.action_price is None
    assert task.max_attempts is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "expected a non-empty name"),
        ("output_tokens", -5, "expected a whole number of tokens (0 or more), got -5"),
        ("output_tokens", "12.5", "expected a whole number of tokens"),
        ("output_tokens", True, "expected a whole number of tokens"),
        ("reasoning_tokens", "many", "expected a whole number of tokens, got 'many'"),
        ("cached_share", "140%", "expected a share from 0 to 1 (100%), got '140%'"),
        ("cached_share", -0.1, "expected a share from 0 to 1"),
        ("failure_rate", 1, "expected a share below 1 (100%), got 1"),
        ("failure_rate", "nan", "expected a share such as 0.4 or 40%"),
        ("max_attempts", 0, "expected at least 1 attempt, got 0"),
        ("action_price", "abc", "expected an amount in USD such as 2.50, got 'abc'"),
        ("action_price", "-1", "expected an amount in USD of 0 or more"),
        ("monthly_volume", -1, "expected a whole number of tasks (0 or more)"),
        ("output_range", (900, 100), "expected low <= high, got 900 to 100"),
        ("output_range", "100-900", "expected two token counts [low, high]"),
        ("output_range", (700, 900), "contains the typical output tokens (600), got 700 to 900"),
        ("input_range", (1900, 2000), "the typical input tokens (1,800), got 1,900 to 2,000"),
    ],
)
def test_task_rejects_invalid_field(field, value, message):
    with pytest.raises(InvalidTaskError) as caught:
        support(**{field: value})
    assert caught.value.field == field
    assert message in str(caught.value)


def test_task_needs_input_tokens_or_prompt():
    with pytest.raises(InvalidTaskError, match="missing; give typical input tokens"):
        Task("t")
    with pytest.raises(InvalidTaskError, match="not both"):
        Task("t", input_tokens=10, sample_prompt="hello")


def test_task_replace_checks_fields():
    task = support()
    assert task.replace(output_tokens=700).output_tokens == 700
    with pytest.raises(InvalidTaskError) as caught:
        task.replace(output_tokenz=5)
    assert caught.value.field == "output_tokenz"
    assert "valid fields: name, input_tokens" in caught.value.problem


def test_task_repr_shows_set_fields_only():
    assert repr(Task("t", input_tokens=10)) == "Task('t', input_tokens=10)"


def test_task_to_dict_omits_defaults():
    data = support(output_range=(100, 900)).to_dict()
    assert data == {
        "name": "support-reply",
        "input_tokens": 1800,
        "output_tokens": 600,
        "action_price": "0.02",
        "monthly_volume": 20000,
        "output_range": [100, 900],
    }


def test_task_from_dict_rejects_unknown_and_missing():
    with pytest.raises(InvalidTaskError) as unknown:
        Task.from_dict({"name": "t", "input_tokens": 1, "colour": "red"})
    assert unknown.value.field == "colour"
    with pytest.raises(InvalidTaskError) as missing:
        Task.from_dict({"input_tokens": 1})
    assert missing.value.field == "name"


counts = st.integers(min_value=0, max_value=10**7)
shares = st.decimals(min_value=0, max_value=1, places=3)


names = st.text(min_size=1, max_size=20).filter(lambda text: text.strip() == text and text)


@st.composite
def valid_tasks(draw) -> Task:
    output = draw(counts)
    low = draw(st.integers(min_value=0, max_value=output))
    high = draw(st.integers(min_value=output, max_value=output + 10**6))
    uses_prompt = draw(st.booleans())
    return Task(
        name=draw(names),
        input_tokens=None if uses_prompt else draw(counts),
        sample_prompt=draw(st.text(min_size=1, max_size=50)) if uses_prompt else None,
        output_tokens=output,
        reasoning_tokens=draw(counts),
        cached_share=draw(shares),
        failure_rate=draw(st.decimals(min_value=0, max_value="0.999", places=3)),
        max_attempts=draw(st.none() | st.integers(min_value=1, max_value=10)),
        action_price=draw(st.none() | st.decimals(min_value=0, max_value=1000, places=4)),
        monthly_volume=draw(counts),
        output_range=draw(st.sampled_from([None, (low, high)])),
    )


@given(valid_tasks())
def test_task_dict_round_trip(task):
    assert Task.from_dict(task.to_dict()) == task


# ---------------------------------------------------------------------------------------------
# Registry


def test_registry_add_get_and_names():
    registry = TaskRegistry()
    first = registry.add(support())
    registry.add(Task("second", input_tokens=5))
    assert registry.get("support-reply") is first
    assert registry.get("  support-reply ") is first
    assert registry.names() == ["support-reply", "second"]
    assert len(registry) == 2
    assert "second" in registry
    assert [task.name for task in registry] == ["support-reply", "second"]


def test_registry_add_duplicate_needs_replace():
    registry = TaskRegistry()
    registry.add(support())
    with pytest.raises(InvalidTaskError, match="exists; edit it or pick another name"):
        registry.add(support(output_tokens=1))
    registry.add(support(output_tokens=1), replace=True)
    assert registry.get("support-reply").output_tokens == 1


def test_registry_edit_renames_in_place():
    registry = TaskRegistry()
    registry.add(Task("a", input_tokens=1))
    registry.add(Task("b", input_tokens=2))
    registry.add(Task("c", input_tokens=3))
    edited = registry.edit("b", name="beta", output_tokens=7)
    assert edited == Task("beta", input_tokens=2, output_tokens=7)
    assert registry.names() == ["a", "beta", "c"]


def test_registry_edit_rejects_taken_name_and_bad_value():
    registry = TaskRegistry()
    registry.add(Task("a", input_tokens=1))
    registry.add(Task("b", input_tokens=2))
    with pytest.raises(InvalidTaskError, match="exists already"):
        registry.edit("b", name="a")
    with pytest.raises(InvalidTaskError):
        registry.edit("b", output_tokens=-1)
    assert registry.get("b") == Task("b", input_tokens=2)


def test_registry_remove_and_clear():
    registry = TaskRegistry()
    registry.add(Task("a", input_tokens=1))
    assert registry.remove("a").name == "a"
    assert registry.names() == []
    registry.add(Task("b", input_tokens=1))
    registry.clear()
    assert len(registry) == 0


def test_registry_unknown_name_suggests_close_ones():
    registry = TaskRegistry()
    registry.add(support())
    with pytest.raises(UnknownTaskError) as caught:
        registry.get("suport-reply")
    assert "Did you mean 'support-reply'?" in str(caught.value)
    assert caught.value.suggestions == ["support-reply"]
    assert isinstance(caught.value, LookupError)


def test_registry_unknown_name_lists_tasks_or_says_none():
    registry = TaskRegistry()
    with pytest.raises(UnknownTaskError, match="No tasks are defined"):
        registry.get("x")
    registry.add(Task("alpha", input_tokens=1))
    with pytest.raises(UnknownTaskError, match="Tasks: alpha."):
        registry.get("zzzzzz")


def test_registry_replace_all_rejects_duplicates_unchanged():
    registry = TaskRegistry()
    registry.add(Task("keep", input_tokens=1))
    with pytest.raises(InvalidTaskError, match="two tasks are called 'x'"):
        registry.replace_all([Task("x", input_tokens=1), Task("x", input_tokens=2)])
    assert registry.names() == ["keep"]


def test_registry_listeners_run_after_each_change():
    registry = TaskRegistry()
    calls = []
    unsubscribe = registry.subscribe(lambda: calls.append(registry.names()))
    registry.add(Task("a", input_tokens=1))
    registry.edit("a", output_tokens=2)
    registry.remove("a")
    unsubscribe()
    registry.add(Task("b", input_tokens=1))
    assert calls == [["a"], ["a"], []]


def test_registry_broken_listener_is_logged(caplog):
    registry = TaskRegistry()
    seen = []

    def broken() -> None:
        raise RuntimeError("view gone")

    registry.subscribe(broken)
    registry.subscribe(lambda: seen.append(True))
    with caplog.at_level(logging.ERROR, logger="llmcost_jupyter.tasks"):
        registry.add(Task("a", input_tokens=1))
    assert "a" in registry
    assert seen == [True]
    assert "task listener" in caplog.text


def test_module_functions_use_one_registry():
    tasks.add_task(support())
    tasks.edit_task("support-reply", output_tokens=800)
    assert tasks.get_task("support-reply").output_tokens == 800
    assert tasks.list_tasks() == [tasks.task_registry().get("support-reply")]
    tasks.remove_task("support-reply")
    assert tasks.list_tasks() == []
    with pytest.raises(UnknownTaskError):
        tasks.get_task("support-reply")


# ---------------------------------------------------------------------------------------------
# Options for estimate


def test_task_options_with_input_tokens():
    task = support(cached_share="25%", reasoning_tokens=50, input_range=(1200, 3000))
    options = tasks.task_options(task, ["gpt-4o", "claude-sonnet-4-5"])
    assert options["output_tokens"] == 600
    assert options["reasoning_tokens"] == 50
    assert options["cached_share"] == Decimal("0.25")
    assert options["calls"] == 20000
    assert options["action_price"] == Decimal("0.02")
    assert options["label"] == "support-reply"
    count = options["counts"]["gpt-4o"]
    assert options["counts"]["claude-sonnet-4-5"] == count
    assert count.tokens == 1800
    assert count.exact is False
    assert count.method == "typical input tokens given by task 'support-reply'"
    assert count.uncertainty == pytest.approx(1200 / 1800)


def test_task_options_with_sample_prompt_counts_nothing():
    task = Task("t", sample_prompt="Summarise this memo.", output_tokens=10)
    options = tasks.task_options(task, "gpt-4o")
    assert "counts" not in options
    assert options["cached_share"] is None
    assert options["action_price"] is None


def test_task_input_count_without_range_is_certain_guess():
    count = tasks.task_input_count(support())
    assert count is not None
    assert count.uncertainty == 0.0
    assert tasks.task_input_count(Task("t", sample_prompt="hi")) is None


def test_task_options_drive_estimate():
    task = support(cached_share="50%")
    report = estimate("", ["gpt-4o"], **tasks.task_options(task, ["gpt-4o"]))
    row = report["gpt-4o"]
    assert row.usage.input_tokens == 1800
    assert row.usage.cache_read_tokens == 900
    assert row.usage.output_tokens == 600
    assert report.calls == 20000
    assert report.label == "support-reply"
    assert row.break_even is not None
