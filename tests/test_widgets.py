"""The widgets' state and logic, driven as the browser would drive them: by setting values."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import nbformat
import pytest

from llmcost_jupyter import prices, tasks
from llmcost_jupyter.choosing import ModelProfile
from llmcost_jupyter.tasks import Task

widgets = pytest.importorskip("ipywidgets")

from llmcost_jupyter.widgets import (  # noqa: E402 - after the skip for a missing ipywidgets
    breakeven_explorer,
    model_chooser,
    rate_editor,
    task_editor,
)

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "widgets_demo.ipynb"
MODELS = ["gpt-4o", "claude-sonnet-4-5"]


@pytest.fixture(autouse=True)
def _clean_widgets():
    """Start with no tasks, and close every widget afterwards so none keeps listening."""
    tasks.clear_tasks()
    yield
    widgets.Widget.close_all()
    tasks.clear_tasks()


@pytest.fixture()
def support() -> Task:
    return tasks.add_task(
        Task("support", input_tokens=1800, output_tokens=600, failure_rate="0.05",
             action_price="0.02", monthly_volume=20000, output_range=(150, 2400))
    )


def loaded_modules(setup: str) -> list[str]:
    code = (
        f"import sys\n{setup}\n"
        "print(sorted(m for m in ('ipywidgets', 'altair', 'vl_convert') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    return json.loads(result.stdout.strip().splitlines()[-1].replace("'", '"'))


# ---------------------------------------------------------------------------------------------
# Imports


def test_import_and_load_ext_load_no_widget_code():
    setup = (
        "import llmcost_jupyter, llmcost_jupyter.widgets\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "InteractiveShell.instance().run_line_magic('load_ext', 'llmcost_jupyter')"
    )
    assert loaded_modules(setup) == []


def test_making_a_widget_loads_ipywidgets():
    setup = "from llmcost_jupyter.widgets import rate_editor\nrate_editor(['gpt-4o'])"
    assert loaded_modules(setup) == ["ipywidgets"]


def test_widgets_package_names_resolve():
    import llmcost_jupyter.widgets as package

    for name in package.__all__:
        assert callable(getattr(package, name)), name
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        package.nope  # noqa: B018


# ---------------------------------------------------------------------------------------------
# Rate editor


def test_rate_editor_shows_rates_in_force():
    prices.set_rates("gpt-4o", input="3")
    editor = rate_editor(MODELS)
    assert editor.fields["gpt-4o", "input"].value == "3"
    assert editor.fields["gpt-4o", "output"].value == "10"
    assert editor.fields["gpt-4o", "cache_write_5m"].value == ""
    assert editor.fields["gpt-4o", "batch_discount"].value == "50%"
    assert "catalog: $2.5 / MTok" in editor.catalog_notes["gpt-4o", "input"].value
    assert editor.catalog_notes["gpt-4o", "output"].value == ""
    assert editor.fields["gpt-4o", "output"].description == "gpt-4o output"


def test_rate_editor_typed_value_applies():
    editor = rate_editor(MODELS)
    editor.fields["gpt-4o", "output"].value = "25"
    card = prices.get_rate_card("gpt-4o")
    assert card.output == Decimal("25")
    assert card.reasoning == Decimal("25")
    assert "catalog: $10 / MTok" in editor.catalog_notes["gpt-4o", "output"].value
    assert "catalog: $10 / MTok" in editor.catalog_notes["gpt-4o", "reasoning"].value
    assert "llmcost-edited" in editor.fields["gpt-4o", "output"]._dom_classes
    assert editor.message.text == "gpt-4o output set to $25 / MTok."
    assert not editor.message.error


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("abc", "expected a number of USD per million tokens, got 'abc'"),
        ("-1", "expected 0 or more USD per million tokens, got '-1'"),
        ("0.0000025", "looks like USD per token, but rates are USD per million tokens: use 2.5"),
        ("1e400", "expected at most 10,000 USD per million tokens, got '1e400'"),
        ("inf", "expected a number of USD per million tokens, got 'inf'"),
        ("1e-30", "expected 0 or from 0.001 to 10,000 USD per million tokens, got '1e-30'"),
        ("0,50", "'0,50' is not a number: use a point for decimals (0.50)"),
    ],
)
def test_rate_editor_rejects_invalid_in_place(text, problem):
    editor = rate_editor(MODELS)
    field = editor.fields["gpt-4o", "input"]
    field.value = text
    assert prices.rate_overrides() == {}
    assert field.value == text
    assert "llmcost-invalid" in field._dom_classes
    assert editor.message.error
    assert problem in editor.message.text
    assert editor.message.text.endswith("Not applied; the rate in force is still $2.5 / MTok.")
    assert "input=" not in editor.message.text
    assert ".." not in editor.message.text
    assert 'role="alert"' in editor.message.widget.value


def test_rate_editor_fix_after_error_clears_mark():
    editor = rate_editor(MODELS)
    field = editor.fields["gpt-4o", "input"]
    field.value = "abc"
    field.value = "2.75"
    assert "llmcost-invalid" not in field._dom_classes
    assert prices.get_rate_card("gpt-4o").input == Decimal("2.75")


def test_rate_editor_batch_discount_as_percent():
    editor = rate_editor(["gpt-4o"])
    editor.fields["gpt-4o", "batch_discount"].value = "40%"
    assert prices.get_rate_card("gpt-4o").batch.discount == Decimal("0.4")
    editor.fields["gpt-4o", "batch_discount"].value = "150%"
    assert prices.get_rate_card("gpt-4o").batch.discount == Decimal("0.4")
    assert editor.message.text.startswith(
        "gpt-4o batch discount: expected a share from 0 to 1 or 0% to 100%, got '150%'. "
    )
    editor.fields["gpt-4o", "batch_discount"].value = "50"
    assert prices.get_rate_card("gpt-4o").batch.discount == Decimal("0.4")
    assert "for 50% off use 50% or 0.5." in editor.message.text
    assert "batch_discount=" not in editor.message.text


def test_rate_editor_blank_returns_to_catalog():
    editor = rate_editor(["gpt-4o"])
    editor.fields["gpt-4o", "input"].value = "9"
    editor.fields["gpt-4o", "output"].value = "30"
    editor.fields["gpt-4o", "input"].value = ""
    assert prices.rate_overrides() == {"openai:gpt-4o": {"output": Decimal("30")}}
    assert editor.fields["gpt-4o", "input"].value == "2.5"


def test_rate_editor_reset_model_and_all():
    editor = rate_editor(MODELS)
    editor.fields["gpt-4o", "input"].value = "9"
    editor.fields["claude-sonnet-4-5", "input"].value = "9"
    editor.reset_model("gpt-4o")
    assert list(prices.rate_overrides()) == ["anthropic:claude-sonnet-4-5"]
    assert editor.fields["gpt-4o", "input"].value == "2.5"
    editor.reset_all()
    assert prices.rate_overrides() == {}
    assert editor.fields["claude-sonnet-4-5", "input"].value == "3"


def test_rate_editor_save_and_load(tmp_path: Path):
    path = str(tmp_path / "rates.json")
    editor = rate_editor(MODELS, path=path)
    editor.fields["gpt-4o", "output"].value = "12"
    editor.save()
    assert editor.message.text == f"Saved the rates set for 1 model(s) to {path}."
    editor.reset_all()
    editor.load()
    assert prices.get_rate_card("gpt-4o").output == Decimal("12")
    assert editor.fields["gpt-4o", "output"].value == "12"


def test_rate_editor_bad_file_changes_nothing(tmp_path: Path):
    path = tmp_path / "rates.json"
    path.write_text('{"models": {"gpt-4o": {"input": "abc"}}}')
    editor = rate_editor(MODELS)
    editor.fields["gpt-4o", "output"].value = "12"
    editor.load(str(path))
    assert editor.message.error
    assert editor.message.text == (
        f"{path}: models.gpt-4o.input: expected a number of USD per million tokens, got 'abc'. "
        "Nothing was changed."
    )
    assert prices.rate_overrides() == {"openai:gpt-4o": {"output": Decimal("12")}}


def test_rate_editor_unwritable_file(tmp_path: Path):
    editor = rate_editor(["gpt-4o"])
    target = str(tmp_path / "missing-folder" / "rates.json")
    editor.save(target)
    assert editor.message.error
    assert editor.message.text == f"{target} could not be written: No such file or directory."
    assert list(tmp_path.iterdir()) == []


def test_rate_editor_empty_path_or_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x").mkdir()
    editor = rate_editor(["gpt-4o"])
    editor.fields["gpt-4o", "output"].value = "12"
    editor.path_field.value = ""
    for action in (editor.save, editor.load):
        action()
        assert editor.message.error
        assert editor.message.text == "No file name given: type one, such as rates.json."
    editor.path_field.value = "x"
    for action in (editor.save, editor.load):
        action()
        assert editor.message.text == "'x' is a folder: give a file name such as rates.json."
    assert ".tmp" not in editor.message.text
    assert sorted(path.name for path in tmp_path.rglob("*")) == ["x"]
    assert prices.get_rate_card("gpt-4o").output == Decimal("12")


def test_rate_editor_load_message_single_stop(tmp_path: Path):
    path = tmp_path / "rates.json"
    path.write_text('{"models": {"gpt-4o": {"input": 1}, "gpt-4x": {"input": 1}}}')
    editor = rate_editor(["gpt-4o"])
    editor.load(str(path))
    assert editor.message.error
    assert "?. " not in editor.message.text
    assert editor.message.text.endswith("? Nothing was changed.")


def test_rate_editor_unknown_model():
    with pytest.raises(prices.UnknownModelError):
        rate_editor(["gpt-4x"])
    with pytest.raises(ValueError, match="no model to edit"):
        rate_editor([])


def test_rate_edit_reaches_next_magic_cell(shell):
    editor = rate_editor(["gpt-4o"])
    shell.run_cell_magic("llmcost", "gpt-4o --output 1000 --out before", "hello")
    editor.fields["gpt-4o", "output"].value = "25"
    shell.run_cell_magic("llmcost", "gpt-4o --output 1000 --out after", "hello")
    before = shell.user_ns["before"]["gpt-4o"]
    after = shell.user_ns["after"]["gpt-4o"]
    assert before.card.output == Decimal("10")
    assert after.card.output == Decimal("25")
    assert after.cost.output == Decimal("0.025")
    assert "output" in after.card.overridden


# ---------------------------------------------------------------------------------------------
# Task editor


def test_task_editor_shows_first_task(support):
    editor = task_editor()
    assert editor.selector.options == ("support", "(new task)")
    assert editor.fields["name"].value == "support"
    assert editor.fields["failure_rate"].value == "5%"
    assert editor.fields["action_price"].value == "0.02"
    assert editor.fields["output_low"].value == "150"
    assert editor.fields["output_high"].value == "2400"
    assert editor.fields["input_low"].value == ""


def test_task_editor_adds_task():
    editor = task_editor()
    assert editor.selector.value == "(new task)"
    editor.fields["name"].value = "summary"
    editor.sample_prompt.value = "Summarise this memo."
    editor.fields["output_tokens"].value = "200"
    task = editor.submit()
    assert task == Task("summary", sample_prompt="Summarise this memo.", output_tokens=200)
    assert tasks.get_task("summary") == task
    assert editor.selector.value == "summary"
    assert editor.message.text == "Saved task 'summary'."


def test_task_editor_edits_and_clears_fields(support):
    editor = task_editor()
    editor.fields["output_tokens"].value = "700"
    editor.fields["action_price"].value = ""
    editor.fields["name"].value = "support-v2"
    editor.submit()
    assert tasks.task_registry().names() == ["support-v2"]
    edited = tasks.get_task("support-v2")
    assert edited.output_tokens == 700
    assert edited.action_price is None
    assert edited.failure_rate == Decimal("0.05")


def test_task_editor_invalid_field_marked_not_saved(support):
    editor = task_editor()
    editor.fields["output_tokens"].value = "-4"
    assert editor.submit() is None
    assert "llmcost-invalid" in editor.fields["output_tokens"]._dom_classes
    assert editor.message.text == (
        "Output tokens: expected a whole number of tokens (0 or more), got '-4'. "
        "The task was not saved."
    )
    assert tasks.get_task("support") == support


def test_task_editor_decimal_comma_rejected(support):
    editor = task_editor()
    editor.fields["action_price"].value = "0,50"
    assert editor.submit() is None
    assert "llmcost-invalid" in editor.fields["action_price"]._dom_classes
    assert editor.message.text == (
        "Action price, USD: '0,50' is not a number: use a point for decimals (0.50). "
        "The task was not saved."
    )
    assert tasks.get_task("support").action_price == Decimal("0.02")
    editor.fields["action_price"].value = "1,200"
    assert editor.submit().action_price == Decimal(1200)


def test_task_editor_range_message_uses_labels(support):
    editor = task_editor()
    editor.fields["output_low"].value = "700"
    editor.fields["output_high"].value = "900"
    assert editor.submit() is None
    assert editor.message.text == (
        "Output tokens, low and high: expected a range that contains the typical output tokens "
        "(600), got 700 to 900. The task was not saved."
    )
    assert "_" not in editor.message.text
    assert "llmcost-invalid" in editor.fields["output_low"]._dom_classes


def test_task_editor_empty_path_or_folder(support, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x").mkdir()
    editor = task_editor(path="")
    for action in (editor.save, editor.load):
        action()
        assert editor.message.error
        assert editor.message.text == "No file name given: type one, such as tasks.json."
    editor.path_field.value = "x"
    for action in (editor.save, editor.load):
        action()
        assert editor.message.text == "'x' is a folder: give a file name such as tasks.json."
    assert sorted(path.name for path in tmp_path.rglob("*")) == ["x"]
    assert tasks.list_tasks() == [support]


def test_task_editor_half_range_rejected(support):
    editor = task_editor()
    editor.fields["output_high"].value = ""
    assert editor.submit() is None
    assert "llmcost-invalid" in editor.fields["output_low"]._dom_classes
    assert "llmcost-invalid" in editor.fields["output_high"]._dom_classes
    assert "give both the low and the high count, or neither" in editor.message.text


def test_task_editor_delete_and_new(support):
    editor = task_editor()
    editor.delete()
    assert tasks.list_tasks() == []
    assert editor.selector.value == "(new task)"
    editor.delete()
    assert editor.message.error
    editor.fields["name"].value = "draft"
    editor.new()
    assert editor.fields["name"].value == ""


def test_task_editor_follows_registry(support):
    editor = task_editor()
    tasks.add_task(Task("other", input_tokens=5))
    assert editor.selector.options == ("support", "other", "(new task)")
    tasks.edit_task("support", output_tokens=900)
    assert editor.fields["output_tokens"].value == "900"


def test_task_editor_save_and_load(support, tmp_path: Path):
    path = str(tmp_path / "tasks.json")
    editor = task_editor(path=path)
    editor.save()
    tasks.clear_tasks()
    editor.load()
    assert tasks.list_tasks() == [support]
    assert editor.message.text == f"Loaded 1 task(s) from {path}."


def test_task_editor_bad_file_changes_nothing(support, tmp_path: Path):
    path = tmp_path / "tasks.json"
    path.write_text('{"tasks": {"x": {"input_tokens": "lots"}}}')
    editor = task_editor()
    editor.load(str(path))
    assert editor.message.error
    assert "tasks.x.input_tokens: expected a whole number of tokens, got 'lots'" in (
        editor.message.text
    )
    assert tasks.list_tasks() == [support]


# ---------------------------------------------------------------------------------------------
# Break-even explorer


def test_explorer_draws_three_charts(support):
    explorer = breakeven_explorer("support", MODELS)
    assert explorer.output_tokens.value == 600
    assert explorer.action_price.value == pytest.approx(0.02)
    assert explorer.monthly_volume.value == 20000
    assert explorer.failure_rate.value == pytest.approx(0.05)
    assert explorer.captions["breakeven"].startswith("Per-action price $0.02 per task. gpt-4o:")
    assert explorer.captions["volume"].startswith("At 20,000 successful tasks a month")
    assert explorer.captions["overpaid"].startswith("With outputs from 150 to 2,400 tokens")
    for name in ("breakeven", "volume", "overpaid"):
        (output,) = explorer.plots[name].outputs
        assert "vegaEmbed" in output["data"]["text/html"]
        assert output["data"]["text/plain"] == explorer.captions[name]
    (library,) = explorer._library.outputs
    assert "window.vegaEmbed=" in library["data"]["text/html"]


def test_explorer_slider_redraws(support):
    explorer = breakeven_explorer("support", MODELS)
    explorer.output_tokens.value = 1500
    assert "at the typical 1,500 tokens" in explorer.captions["breakeven"]
    explorer.action_price.value = 0.05
    assert explorer.captions["breakeven"].startswith("Per-action price $0.05 per task.")
    explorer.distribution.value = "uniform"
    assert "(uniform)" in explorer.captions["overpaid"]
    assert tasks.get_task("support") == support


def test_explorer_what_if_keeps_range_around_output(support):
    explorer = breakeven_explorer("support", MODELS)
    explorer.output_tokens.max = 5000
    explorer.output_tokens.value = 3000
    assert explorer.what_if_task().output_range == (150, 3000)


def test_explorer_sliders_reach_task_extremes():
    tasks.add_task(Task("rare", input_tokens=100, failure_rate="0.95", monthly_volume=0))
    explorer = breakeven_explorer(" rare ", ["gpt-4o"])
    assert explorer.task_selector.value == "rare"
    assert explorer.failure_rate.value == pytest.approx(0.95)
    assert explorer.monthly_volume.value == 0
    assert explorer.what_if_task() == tasks.get_task("rare")


def test_explorer_redraws_on_rate_editor_change(support):
    explorer = breakeven_explorer("support", MODELS)
    editor = rate_editor(MODELS)
    before = explorer.captions["breakeven"]
    editor.fields["gpt-4o", "output"].value = "25"
    assert explorer.captions["breakeven"] != before
    assert "gpt-4o: per-action pricing is cheaper for this task when outputs exceed 5" in (
        explorer.captions["breakeven"]
    )


def test_explorer_follows_task_changes(support):
    explorer = breakeven_explorer("support", MODELS)
    tasks.edit_task("support", output_tokens=800, action_price=None)
    assert explorer.output_tokens.value == 800
    assert explorer.captions["breakeven"].startswith("Task 'support' has no per-action price")
    assert explorer.captions["overpaid"] == ""
    assert explorer.plots["overpaid"].outputs == ()


def test_explorer_bad_model_keeps_last_charts(support):
    explorer = breakeven_explorer("support", MODELS)
    before = dict(explorer.captions)
    explorer.models_field.value = "gpt-4o, gpt-4x"
    assert explorer.message.error
    assert "gpt-4x" in explorer.message.text
    assert explorer.message.text.endswith(
        "List models with %llmcost models QUERY. The dimmed charts show the last valid state."
    )
    assert explorer.captions == before
    assert all("llmcost-stale" in plot._dom_classes for plot in explorer.plots.values())
    explorer.models_field.value = "gpt-4o"
    assert not explorer.message.error
    assert "claude" not in explorer.captions["breakeven"]
    assert not any("llmcost-stale" in plot._dom_classes for plot in explorer.plots.values())


def test_explorer_failure_after_task_change_clears_charts(support):
    tasks.add_task(Task("other", input_tokens=500, output_tokens=100, action_price="0.01"))
    explorer = breakeven_explorer("support", MODELS)
    explorer.models_field.value = "gpt-4x"
    explorer.task_selector.value = "other"
    assert explorer.message.error
    assert explorer.message.text.endswith("No chart is shown until the values are valid.")
    assert explorer.captions == dict.fromkeys(("breakeven", "volume", "overpaid"), "")
    assert all(plot.outputs == () for plot in explorer.plots.values())
    explorer.models_field.value = "gpt-4o"
    assert explorer.captions["breakeven"].startswith("Per-action price $0.01 per task.")


def test_explorer_keeps_small_action_price():
    tasks.add_task(Task("tiny", input_tokens=100, output_tokens=20, action_price="0.0004",
                        monthly_volume=1000))
    explorer = breakeven_explorer("tiny", ["gpt-4o-mini"])
    assert explorer.what_if_task() == tasks.get_task("tiny")
    caption = explorer.captions["breakeven"]
    assert caption.startswith("Per-action price $0.0004 per task.")
    assert "$0.00 " not in caption
    assert "cheaper at any output length" not in caption
    assert explorer.action_price.step == pytest.approx(0.00001)
    assert explorer.action_price.readout_format == ".5f"
    explorer.action_price.value = 0.00030000000000000003
    assert explorer.what_if_task().action_price == Decimal("0.0003")


def test_explorer_keeps_exact_failure_rate():
    tasks.add_task(Task("retry", input_tokens=100, output_tokens=20, failure_rate="0.025"))
    tasks.add_task(Task("flaky", input_tokens=100, output_tokens=20, failure_rate="0.9999"))
    explorer = breakeven_explorer("retry", ["gpt-4o"])
    assert explorer.what_if_task().failure_rate == Decimal("0.025")
    assert explorer.failure_rate.readout_format == ".1%"
    explorer.task_selector.value = "flaky"
    assert not explorer.message.error
    assert explorer.what_if_task() == tasks.get_task("flaky")
    assert explorer.failure_rate.readout_format == ".2%"
    assert "'flaky'" in explorer.captions["breakeven"]


def test_explorer_message_has_single_stop(support):
    prices.add_custom_model("house-model", input="1", output="2", provider="house")
    explorer = breakeven_explorer("support", ["house-model"])
    explorer.batch.value = True
    assert explorer.message.error
    assert ".." not in explorer.message.text
    assert "?." not in explorer.message.text


def test_explorer_batch_without_discount_is_reported(support):
    prices.add_custom_model("house-model", input="1", output="2", provider="house")
    explorer = breakeven_explorer("support", ["house-model"])
    explorer.batch.value = True
    assert explorer.message.error


def test_explorer_needs_task_and_models(support):
    with pytest.raises(tasks.UnknownTaskError, match="Did you mean 'support'"):
        breakeven_explorer("suport", MODELS)
    with pytest.raises(ValueError, match="no model to compare"):
        breakeven_explorer("support", [])
    tasks.clear_tasks()
    with pytest.raises(tasks.UnknownTaskError, match="No task to explore"):
        breakeven_explorer(None, MODELS)


# ---------------------------------------------------------------------------------------------
# Model chooser


def chooser():
    return model_chooser(
        "support",
        MODELS,
        profiles={
            "gpt-4o": ModelProfile(quality="0.82", latency_seconds="3.5"),
            "claude-sonnet-4-5": ModelProfile(quality="0.88", latency_seconds="4.2"),
        },
        min_quality="0.85",
    )


def test_chooser_picks_and_explains(support):
    widget = chooser()
    assert widget.choice.best.model == "claude-sonnet-4-5"
    assert "claude-sonnet-4-5 is the cheapest model that meets quality ≥ 0.85" in (
        widget.result.value
    )
    assert "mathjax_ignore" in widget.result.value
    assert "no: quality 0.82 &lt; 0.85" in widget.result.value


def test_chooser_updates_on_typed_figures(support):
    widget = chooser()
    widget.profile_fields["gpt-4o", "quality"].value = "0.9"
    assert widget.choice.best.model == "gpt-4o"
    widget.max_latency.value = "3"
    assert widget.choice.best is None


def test_chooser_invalid_figure_keeps_last_choice(support):
    widget = chooser()
    best = widget.choice.best.model
    field = widget.profile_fields["gpt-4o", "latency_seconds"]
    field.value = "fast"
    assert widget.message.error
    assert widget.message.text.startswith("gpt-4o seconds per attempt: expected seconds")
    assert "llmcost-invalid" in field._dom_classes
    assert widget.choice.best.model == best
    widget.min_quality.value = "high"
    field.value = "3"
    assert widget.message.text.startswith(
        "Minimum quality: expected a share such as 0.4 or 40%, got 'high'."
    )
    assert "llmcost-invalid" in widget.min_quality._dom_classes


def test_chooser_quality_as_percent(support):
    widget = chooser()
    widget.profile_fields["gpt-4o", "quality"].value = "97%"
    widget.min_quality.value = "90%"
    assert not widget.message.error
    assert widget.choice.min_quality == Decimal("0.9")
    assert widget.choice.best.model == "gpt-4o"


@pytest.mark.parametrize(
    ("field_name", "text", "message"),
    [
        ("min_quality", "1.5", "Minimum quality: expected a share from 0 to 1 (100%), got '1.5'."),
        ("min_quality", "-1", "Minimum quality: expected a share from 0 to 1 (100%), got '-1'."),
        ("max_latency", "-2", "Maximum seconds: expected 0 seconds or more, got -2."),
    ],
)
def test_chooser_rejects_invalid_bar(support, field_name, text, message):
    widget = chooser()
    best = widget.choice.best.model
    field = getattr(widget, field_name)
    field.value = text
    assert widget.message.error
    assert widget.message.text == f"{message} The table shows the last valid choice."
    assert "llmcost-invalid" in field._dom_classes
    assert widget.choice.best.model == best


def test_chooser_follows_rates(support):
    widget = chooser()
    before = widget.choice.best.cost.cost_per_success
    editor = rate_editor(["claude-sonnet-4-5"])
    editor.fields["claude-sonnet-4-5", "output"].value = "30"
    assert widget.choice.best.cost.cost_per_success > before


# ---------------------------------------------------------------------------------------------
# The demo notebook


def test_demo_notebook_is_stored_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == []
            assert cell.execution_count is None


@pytest.mark.slow
def test_demo_notebook_runs_in_nbclient(tmp_path: Path):
    from nbclient import NotebookClient

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    nbformat.validate(notebook)
    outputs = [output for cell in notebook.cells for output in cell.get("outputs", [])]
    assert not [output for output in outputs if output.output_type == "error"]
    widget_views = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get(
        "data", {})]
    assert len(widget_views) == 4
    magic_html = notebook.cells[-1].outputs[0]["data"]["text/html"]
    assert "gpt-4o" in magic_html
