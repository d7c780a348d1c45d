"""Saving and loading rates and tasks: atomic writes, exact amounts, errors that name the place."""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path

import pytest

from llmcost_jupyter import prices, settings_io, tasks
from llmcost_jupyter.settings_io import SettingsFileError
from llmcost_jupyter.tasks import Task


@pytest.fixture(autouse=True)
def _no_tasks():
    tasks.clear_tasks()
    yield
    tasks.clear_tasks()


@pytest.fixture()
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in a temporary folder, so that messages show short relative file names."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path: Path, data: object) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# Atomic writes


def test_write_json_atomic_leaves_no_temporary_file(tmp_path: Path):
    target = tmp_path / "settings.json"
    settings_io.write_json_atomic(target, {"a": 1})
    settings_io.write_json_atomic(target, {"a": 2})
    assert json.loads(target.read_text()) == {"a": 2}
    assert sorted(path.name for path in tmp_path.iterdir()) == ["settings.json"]


def test_write_json_atomic_keeps_mode_of_existing_file(tmp_path: Path):
    target = tmp_path / "settings.json"
    target.write_text("{}")
    os.chmod(target, 0o600)
    settings_io.write_json_atomic(target, {"a": 1})
    assert target.stat().st_mode & 0o777 == 0o600


def test_write_json_atomic_rejects_empty_path_and_folder(in_tmp: Path):
    with pytest.raises(ValueError, match="no file name given"):
        settings_io.write_json_atomic("", {})
    with pytest.raises(IsADirectoryError) as caught:
        settings_io.write_json_atomic(".", {})
    assert caught.value.strerror == "is a folder, not a file"
    assert caught.value.filename == "."
    assert list(in_tmp.iterdir()) == []


def test_write_json_atomic_error_names_target(tmp_path: Path):
    target = tmp_path / "missing-folder" / "rates.json"
    with pytest.raises(OSError) as caught:
        settings_io.write_json_atomic(target, {})
    assert caught.value.filename == str(target)
    assert ".tmp" not in str(caught.value)


def test_read_rates_empty_path_and_folder(in_tmp: Path):
    with pytest.raises(SettingsFileError) as caught:
        settings_io.read_rates("")
    assert str(caught.value) == "no file name given"
    with pytest.raises(SettingsFileError) as caught:
        settings_io.read_rates(".")
    assert str(caught.value) == ".: is a folder, not a settings file"


def test_write_json_atomic_new_file_is_readable(tmp_path: Path):
    target = tmp_path / "new.json"
    settings_io.write_json_atomic(target, {})
    assert target.stat().st_mode & 0o777 == 0o644


def test_write_json_atomic_failure_cleans_up(tmp_path: Path):
    # os.replace cannot put a file over a non-empty folder, so the write fails after the
    # temporary file exists; it must be removed.
    target = tmp_path / "folder.json"
    target.mkdir()
    (target / "inside").write_text("x")
    with pytest.raises(OSError):
        settings_io.write_json_atomic(target, {"a": 1})
    assert sorted(path.name for path in tmp_path.iterdir()) == ["folder.json"]


# ---------------------------------------------------------------------------------------------
# Rates


def test_save_rates_writes_exact_strings(in_tmp: Path):
    prices.set_rates("gpt-4o", input="2.75", batch_discount="0.4")
    saved = settings_io.save_rates("rates.json")
    data = json.loads(Path("rates.json").read_text())
    assert data["format"] == settings_io.RATES_FORMAT
    assert data["version"] == 1
    assert data["models"] == {"openai:gpt-4o": {"input": "2.75", "batch_discount": "0.4"}}
    assert saved == {"openai:gpt-4o": {"input": Decimal("2.75"), "batch_discount": Decimal("0.4")}}


def test_rates_round_trip_through_file(in_tmp: Path):
    prices.set_rates("gpt-4o", output="12.125")
    prices.set_rates("claude-sonnet-4-5", cache_read="0.31")
    settings_io.save_rates("rates.json")
    before = prices.rate_overrides()
    prices.clear_rates()
    settings_io.load_rates("rates.json")
    assert prices.rate_overrides() == before
    assert prices.get_rate_card("gpt-4o").output == Decimal("12.125")


def test_load_rates_replaces_or_merges(in_tmp: Path):
    write(in_tmp / "rates.json", {"models": {"gpt-4o": {"input": 3}}})
    prices.set_rates("claude-sonnet-4-5", input="4")
    settings_io.load_rates("rates.json", replace=False)
    assert prices.get_rate_card("claude-sonnet-4-5").input == Decimal("4")
    settings_io.load_rates("rates.json")
    assert prices.get_rate_card("claude-sonnet-4-5").input == prices.get_rate_card(
        "claude-sonnet-4-5"
    ).catalog().input
    assert prices.get_rate_card("gpt-4o").input == Decimal("3")


def test_load_rates_accepts_hand_written_forms(in_tmp: Path):
    write(in_tmp / "rates.json", '{"models": {"gpt-4o": {"input": 2.5, "output": " $11 ",'
                                 ' "batch_discount": "40%"}}}')
    loaded = settings_io.load_rates("rates.json")
    assert loaded == {
        "gpt-4o": {"input": Decimal("2.5"), "output": Decimal("11"),
                   "batch_discount": Decimal("0.4")},
    }


BAD_RATE_FILES = [
    ("{not json", "rates.json: line 1, column 2: invalid JSON"),
    ("[1, 2]", "rates.json: expected a JSON object, got a list"),
    ('{"models": {}, "modles": {}}', "rates.json: modles: unknown key; did you mean 'models'?"),
    ('{"format": "llmcost-jupyter tasks", "models": {}}',
     "rates.json: format: expected 'llmcost-jupyter rates', got 'llmcost-jupyter tasks'"),
    ('{"version": 2, "models": {}}', "rates.json: version: expected 1, got 2"),
    ("{}", "rates.json: models: missing"),
    ('{"models": []}', "rates.json: models: expected a JSON object, got a list"),
    ('{"models": {"gpt-4o": 2.5}}', "rates.json: models.gpt-4o: expected a JSON object of rates"),
    ('{"models": {"gpt-4o": {"input": "abc"}}}',
     "rates.json: models.gpt-4o.input: expected a number of USD per million tokens, got 'abc'"),
    ('{"models": {"gpt-4o": {"input": -1}}}',
     "rates.json: models.gpt-4o.input: expected 0 or more USD per million tokens, got -1"),
    ('{"models": {"gpt-4o": {"input": true}}}', "models.gpt-4o.input: expected a number"),
    ('{"models": {"gpt-4o": {"input": null}}}', "models.gpt-4o.input: expected a number"),
    ('{"models": {"gpt-4o": {"inptu": 1}}}',
     "rates.json: models.gpt-4o.inptu: unknown rate; did you mean 'input'?"),
    ('{"models": {"gpt-4o": {"batch_discount": "half"}}}',
     "models.gpt-4o.batch_discount: expected a share from 0 to 1 or 0% to 100%, got 'half'"),
    ('{"models": {"gpt-4o": {"input": 1}, "gpt-4x": {"input": 1}}}',
     "rates.json: models.gpt-4x: unknown model; did you mean"),
    ('{"models": {"gpt-4o": {"input": 1}, "claude-sonnet-4-5": {"output": 0.0000025}}}',
     "rates.json: models.claude-sonnet-4-5.output: 0.0000025 looks like USD per token"),
    ('{"models": {"gpt-4o": {"batch_discount": 50}}}',
     "models.gpt-4o.batch_discount: expected a share from 0 to 1 or 0% to 100%, got 50: "
     "for 50% off use 50% or 0.5"),
    ('{"models": {"gpt-4o": {"input": 1, "input": 2}}}',
     "rates.json: the key 'input' appears twice in one object"),
]


@pytest.mark.parametrize(("text", "message"), BAD_RATE_FILES)
def test_load_rates_bad_file_changes_nothing(in_tmp: Path, text: str, message: str):
    prices.set_rates("gpt-4o", input="7")
    before = prices.rate_overrides()
    write(in_tmp / "rates.json", text)
    with pytest.raises(SettingsFileError) as caught:
        settings_io.load_rates("rates.json")
    assert message in str(caught.value)
    assert caught.value.path == "rates.json"
    assert prices.rate_overrides() == before


def test_load_rates_missing_file(in_tmp: Path):
    with pytest.raises(SettingsFileError, match="^nowhere.json: file not found$"):
        settings_io.load_rates("nowhere.json")


def test_settings_error_names_location(in_tmp: Path):
    write(in_tmp / "rates.json", '{"models": {"gpt-4o": {"input": "abc"}}}')
    with pytest.raises(SettingsFileError) as caught:
        settings_io.read_rates("rates.json")
    assert caught.value.location == "models.gpt-4o.input"
    assert caught.value.problem == "expected a number of USD per million tokens, got 'abc'"


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("input", "2.5", Decimal("2.5")),
        ("input", "$2.50", Decimal("2.50")),
        ("output", 3, Decimal(3)),
        ("batch_discount", "50%", Decimal("0.5")),
        ("batch_discount", "0.25", Decimal("0.25")),
    ],
)
def test_parse_rate_accepts(name, text, expected):
    assert settings_io.parse_rate(name, text) == expected


@pytest.mark.parametrize("text", ["abc", "inf", "nan", "", "1e", True, None, 2.5])
def test_parse_rate_rejects(text):
    with pytest.raises(ValueError, match="expected a number of USD per million tokens"):
        settings_io.parse_rate("input", text)


def test_parse_rate_accepts_thousands_groups():
    assert settings_io.parse_rate("input", "1,200") == Decimal(1200)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("input", "-1", "expected 0 or more USD per million tokens, got '-1'"),
        ("input", "1e400", "expected at most 10,000 USD per million tokens, got '1e400'"),
        ("input", Decimal("1E+400"), "expected at most 10,000 USD per million tokens, got 1E+400"),
        ("input", "10000.01", "expected at most 10,000 USD per million tokens"),
        ("input", "1e-30",
         "expected 0 or from 0.001 to 10,000 USD per million tokens, got '1e-30'"),
        ("input", "0.0000025",
         "'0.0000025' looks like USD per token, but rates are USD per million tokens: use 2.5"),
        ("output", "0,50", "'0,50' is not a number: use a point for decimals (0.50)"),
        ("batch_discount", "50", "got '50': for 50% off use 50% or 0.5"),
        ("batch_discount", "150%", "expected a share from 0 to 1 or 0% to 100%, got '150%'"),
        ("batch_discount", "-1", "expected a share from 0 to 1 or 0% to 100%, got '-1'"),
        ("batch_discount", "0,5", "use a point for decimals (0.5)"),
    ],
)
def test_parse_rate_rejects_out_of_bounds(name, value, message):
    with pytest.raises(ValueError) as caught:
        settings_io.parse_rate(name, value)
    assert message in str(caught.value)
    assert "=" not in str(caught.value)
    assert "(0 or more)" not in str(caught.value)


def test_max_rate_is_far_above_catalog():
    rates = [
        rate
        for summary in prices.search_models()
        for rate in (summary.input, summary.output)
        if rate is not None
    ]
    assert max(rates) * 10 < settings_io.MAX_RATE_PER_MTOK
    assert settings_io.parse_rate("input", settings_io.MAX_RATE_PER_MTOK) == Decimal(10_000)


def test_rates_file_with_absurd_rate_rejected(in_tmp: Path):
    write(in_tmp / "rates.json", '{"models": {"gpt-4o": {"input": 1e400}}}')
    with pytest.raises(SettingsFileError) as caught:
        settings_io.load_rates("rates.json")
    assert str(caught.value) == (
        "rates.json: models.gpt-4o.input: expected at most 10,000 USD per million tokens, "
        "got 1E+400"
    )
    assert prices.rate_overrides() == {}


# ---------------------------------------------------------------------------------------------
# Tasks


def test_tasks_round_trip_through_file(in_tmp: Path):
    tasks.add_task(Task("support", input_tokens=1800, output_tokens=600, cached_share="0.3",
                        output_range=(100, 2000), action_price="0.015"))
    tasks.add_task(Task("summary", sample_prompt="Summarise: {text}", output_tokens=200))
    before = tasks.list_tasks()
    tasks.save_tasks("tasks.json")
    data = json.loads(Path("tasks.json").read_text())
    assert data["format"] == settings_io.TASKS_FORMAT
    assert data["tasks"]["support"]["cached_share"] == "0.3"
    assert "name" not in data["tasks"]["support"]
    tasks.clear_tasks()
    assert tasks.load_tasks("tasks.json") == before
    assert tasks.list_tasks() == before


BAD_TASK_FILES = [
    ('{"tasks": {"support": {"input_tokens": 10, "output_tokens": -5}}}',
     "tasks.json: tasks.support.output_tokens: expected a whole number of tokens (0 or more), "
     "got -5"),
    ('{"tasks": {"support": {"output_tokens": 5}}}',
     "tasks.json: tasks.support.input_tokens: missing"),
    ('{"tasks": {"support": {"input_tokens": 10, "colour": 1}}}',
     "tasks.json: tasks.support.colour: unknown task field"),
    ('{"tasks": {"support": {"input_tokens": 10, "name": "other"}}}',
     "tasks.json: tasks.support.name: expected the key 'support' or no name, got 'other'"),
    ('{"tasks": {"support": 3}}',
     "tasks.json: tasks.support: expected a JSON object, got the number 3"),
    ('{"tasks": {"a": {"input_tokens": 1}, "a": {"input_tokens": 2}}}',
     "tasks.json: the key 'a' appears twice"),
    ('{"tasks": {"a": {"input_tokens": 1, "cached_share": 1.5}}}',
     "tasks.json: tasks.a.cached_share: expected a share from 0 to 1 (100%), got 1.5"),
    ('{"models": {}}', "tasks.json: models: unknown key"),
]


@pytest.mark.parametrize(("text", "message"), BAD_TASK_FILES)
def test_load_tasks_bad_file_changes_nothing(in_tmp: Path, text: str, message: str):
    tasks.add_task(Task("keep", input_tokens=1))
    before = tasks.list_tasks()
    write(in_tmp / "tasks.json", text)
    with pytest.raises(SettingsFileError) as caught:
        tasks.load_tasks("tasks.json")
    assert message in str(caught.value)
    assert tasks.list_tasks() == before


def test_load_tasks_into_own_registry(in_tmp: Path):
    write(in_tmp / "tasks.json", {"tasks": {"t": {"input_tokens": 5}}})
    registry = tasks.TaskRegistry()
    settings_io.load_tasks("tasks.json", registry)
    assert registry.names() == ["t"]
    assert tasks.list_tasks() == []
