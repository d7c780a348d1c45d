"""Save and load user-set rates and tasks as JSON files that a colleague can open and reuse.

Writes are atomic: the JSON goes to a temporary file in the target's folder, which then
replaces the target with ``os.replace``, so a crash never leaves half a file. Loading checks
the whole file before it changes anything. A file with any error leaves the rates or tasks as
they were and raises :class:`SettingsFileError`. Its message names the file, the place in it
and the problem::

    rates.json: models.gpt-4o.input: expected a number of USD per million tokens, got 'abc'

Rates file (amounts are strings so that no decimal digit is lost; numbers are accepted too)::

    {"format": "llmcost-jupyter rates", "version": 1,
     "units": "USD per million tokens; batch_discount is a fraction from 0 to 1",
     "models": {"openai:gpt-4o": {"input": "2.5", "output": "12"}}}

Tasks file, keyed by task name, with the fields of :class:`~llmcost_jupyter.tasks.Task`::

    {"format": "llmcost-jupyter tasks", "version": 1,
     "tasks": {"support-reply": {"input_tokens": 1800, "output_tokens": 600}}}
"""

from __future__ import annotations

import contextlib
import difflib
import errno
import json
import os
import tempfile
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import prices
from .tasks import (
    InvalidTaskError,
    Task,
    TaskRegistry,
    strip_thousands_separators,
    task_registry,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "MAX_RATE_PER_MTOK",
    "RATES_FORMAT",
    "TASKS_FORMAT",
    "SettingsFileError",
    "load_rates",
    "load_tasks",
    "parse_rate",
    "read_rates",
    "read_tasks",
    "save_rates",
    "save_tasks",
    "write_json_atomic",
]

RATES_FORMAT = "llmcost-jupyter rates"
TASKS_FORMAT = "llmcost-jupyter tasks"
FORMAT_VERSION = 1
RATE_UNITS = "USD per million tokens; batch_discount is a fraction from 0 to 1"

_RATES_KEYS = ("format", "version", "units", "models")
_TASKS_KEYS = ("format", "version", "tasks")
# Mode of a new settings file: readable by colleagues, like a file an editor would save.
_NEW_FILE_MODE = 0o644


class SettingsFileError(ValueError):
    """A settings file that cannot be read or applied; nothing was changed.

    Attributes:
        path: The file as the caller gave it.
        location: Dotted place in the file, such as ``"models.gpt-4o.input"``, or ``""``
            for the whole file.
        problem: What is wrong there.
    """

    def __init__(self, path: str | os.PathLike[str], location: str, problem: str) -> None:
        parts = [part for part in (os.fspath(path), location) if part]
        super().__init__(": ".join([*parts, problem]))
        self.path = os.fspath(path)
        self.location = location
        self.problem = problem


# ---------------------------------------------------------------------------------------------
# Atomic writes and strict reads


def write_json_atomic(path: str | os.PathLike[str], data: Mapping[str, Any]) -> None:
    """Write ``data`` as indented JSON to ``path`` through a temporary file and ``os.replace``.

    An existing file keeps its permission bits; a new one gets mode 0o644. Errors name
    ``path``, never the temporary file.

    Raises:
        ValueError: ``path`` is empty.
        IsADirectoryError: ``path`` is a folder.
        OSError: The file could not be written.
    """
    if not os.fspath(path).strip():
        raise ValueError("no file name given: pass a path such as 'settings.json'")
    target = Path(path)
    if target.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", os.fspath(path))
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    try:
        _replace_with_text(target, text)
    except OSError as err:
        # The error may name the temporary file, which the caller never saw.
        raise OSError(err.errno, err.strerror, os.fspath(path)) from err


def _replace_with_text(target: Path, text: str) -> None:
    mode = target.stat().st_mode & 0o777 if target.exists() else _NEW_FILE_MODE
    handle, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent if str(target.parent) else "."
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _read_json(path: str | os.PathLike[str]) -> Any:
    if not os.fspath(path).strip():
        raise SettingsFileError(path, "", "no file name given")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SettingsFileError(path, "", "file not found") from None
    except IsADirectoryError:
        raise SettingsFileError(path, "", "is a folder, not a settings file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise SettingsFileError(path, "", f"cannot be read: {err}") from err
    try:
        return json.loads(text, parse_float=Decimal, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as err:
        raise SettingsFileError(
            path, f"line {err.lineno}, column {err.colno}", f"invalid JSON: {err.msg}"
        ) from err
    except _DuplicateKeyError as err:
        raise SettingsFileError(
            path, "", f"the key {err.key!r} appears twice in one object"
        ) from err


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(key)
        result[key] = value
    return result


def _check_header(
    path: str | os.PathLike[str], data: Any, expected: str, keys: tuple[str, ...]
) -> None:
    if not isinstance(data, dict):
        raise SettingsFileError(path, "", f"expected a JSON object, got {_json_type(data)}")
    for key in data:
        if key not in keys:
            raise SettingsFileError(path, key, _unknown_key_problem(key, keys))
    if data.get("format", expected) != expected:
        raise SettingsFileError(path, "format", f"expected {expected!r}, got {data['format']!r}")
    if data.get("version", FORMAT_VERSION) != FORMAT_VERSION:
        raise SettingsFileError(
            path,
            "version",
            f"expected {FORMAT_VERSION}, got {data['version']!r}: "
            "this file was written by another version of llmcost-jupyter",
        )


def _section(path: str | os.PathLike[str], data: dict[str, Any], key: str) -> dict[str, Any]:
    if key not in data:
        raise SettingsFileError(path, key, "missing")
    section = data[key]
    if not isinstance(section, dict):
        raise SettingsFileError(path, key, f"expected a JSON object, got {_json_type(section)}")
    return section


def _unknown_key_problem(key: str, valid: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, valid, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown key; {hint}valid keys: {', '.join(valid)}"


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "true or false"}
    if value is None:
        return "null"
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return f"the number {value}"
    return names.get(type(value), type(value).__name__)


# ---------------------------------------------------------------------------------------------
# Rates


def save_rates(path: str | os.PathLike[str]) -> dict[str, dict[str, Decimal]]:
    """Write every user-set rate (``prices.rate_overrides()``) to a JSON file atomically.

    Returns:
        The overrides written, keyed ``provider_id:model_id``.
    """
    overrides = prices.rate_overrides()
    models = {
        model: {name: format(value.normalize(), "f") for name, value in rates.items()}
        for model, rates in sorted(overrides.items())
    }
    data = {
        "format": RATES_FORMAT,
        "version": FORMAT_VERSION,
        "units": RATE_UNITS,
        "models": models,
    }
    write_json_atomic(path, data)
    return overrides


def read_rates(path: str | os.PathLike[str]) -> dict[str, dict[str, Decimal]]:
    """Read and check a rates file without applying it.

    Returns:
        Rates by model name as written in the file, each a mapping of rate name to Decimal.

    Raises:
        SettingsFileError: The file is missing, not JSON, or a key or value is invalid.
    """
    data = _read_json(path)
    _check_header(path, data, RATES_FORMAT, _RATES_KEYS)
    models = _section(path, data, "models")
    return {model: _read_model_rates(path, model, rates) for model, rates in models.items()}


def _read_model_rates(path: str | os.PathLike[str], model: str, rates: Any) -> dict[str, Decimal]:
    location = f"models.{model}"
    if not isinstance(rates, dict):
        raise SettingsFileError(
            path, location, f"expected a JSON object of rates, got {_json_type(rates)}"
        )
    parsed = {}
    for name, value in rates.items():
        if name not in prices.OVERRIDE_KEYS:
            raise SettingsFileError(path, f"{location}.{name}", _unknown_rate_problem(name))
        parsed[name] = _read_rate(path, f"{location}.{name}", name, value)
    return parsed


def _unknown_rate_problem(name: str) -> str:
    close = difflib.get_close_matches(name, prices.OVERRIDE_KEYS, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown rate; {hint}valid names: {', '.join(prices.OVERRIDE_KEYS)}"


def _read_rate(path: str | os.PathLike[str], location: str, name: str, value: Any) -> Decimal:
    try:
        return parse_rate(name, value)
    except ValueError as err:
        raise SettingsFileError(path, location, str(err)) from None


def parse_rate(name: str, value: Any) -> Decimal:
    """Convert a rate as typed or stored (``2.5``, ``"2.50"``, ``"$2.50"``) to a Decimal.

    A rate is 0 (free) or from ``prices.MIN_RATE_PER_MTOK`` to :data:`MAX_RATE_PER_MTOK` USD
    per million tokens. ``batch_discount`` is a share from 0 to 1 and may also be written as
    ``"50%"``. A comma is accepted only between groups of three digits (``"1,200"``). The
    messages name no Python keyword, so that an editor field can show them as they are.

    Raises:
        ValueError: The value is not a number in those bounds; the message reads
            "expected ..., got ..." or says what the value looks like instead.
    """
    discount = name == "batch_discount"
    expected = _DISCOUNT_EXPECTED if discount else "a number of USD per million tokens"
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        raise ValueError(f"expected {expected}, got {_shown(value)}")
    percent = discount and isinstance(value, str) and value.strip().endswith("%")
    number = _rate_number(value, expected, percent)
    if discount:
        return _checked_discount(number, value, percent)
    return _checked_rate(number, value)


_DISCOUNT_EXPECTED = "a share from 0 to 1 or 0% to 100%"
# Far above any catalog price: the highest base rate in genai-prices 0.0.x is 600 USD per
# million tokens (o1-pro output), and a test checks that every catalog rate stays below this.
MAX_RATE_PER_MTOK = Decimal(10_000)


def _rate_number(value: int | Decimal | str, expected: str, percent: bool) -> Decimal:
    if not isinstance(value, str):
        number = Decimal(value)
    else:
        text = value.strip().lstrip("$").strip().removesuffix("%" if percent else "").strip()
        try:
            number = Decimal(strip_thousands_separators(text))
        except InvalidOperation:
            raise ValueError(f"expected {expected}, got {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"expected {expected}, got {_shown(value)}")
    return number


def _checked_rate(number: Decimal, value: Any) -> Decimal:
    if number < 0:
        raise ValueError(f"expected 0 or more USD per million tokens, got {_shown(value)}")
    if number > MAX_RATE_PER_MTOK:
        raise ValueError(
            f"expected at most {MAX_RATE_PER_MTOK:,} USD per million tokens, got {_shown(value)}"
        )
    if 0 < number < prices.MIN_RATE_PER_MTOK:
        per_million = number * prices.TOKENS_PER_MTOK
        if prices.MIN_RATE_PER_MTOK <= per_million <= MAX_RATE_PER_MTOK:
            raise ValueError(
                f"{_shown(value)} looks like USD per token, but rates are USD per million "
                f"tokens: use {_plain(per_million)}"
            )
        raise ValueError(
            f"expected 0 or from {_plain(prices.MIN_RATE_PER_MTOK)} to {MAX_RATE_PER_MTOK:,} USD "
            f"per million tokens, got {_shown(value)}"
        )
    return number


def _checked_discount(number: Decimal, value: Any, percent: bool) -> Decimal:
    share = number / 100 if percent else number
    if 0 <= share <= 1:
        return share
    if not percent and 1 < number <= 100:
        raise ValueError(
            f"expected {_DISCOUNT_EXPECTED}, got {_shown(value)}: for {_plain(number)}% off "
            f"use {_plain(number)}% or {_plain(number / 100)}"
        )
    raise ValueError(f"expected {_DISCOUNT_EXPECTED}, got {_shown(value)}")


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return str(value)
    return json.dumps(value, default=str)


def load_rates(
    path: str | os.PathLike[str], *, replace: bool = True
) -> dict[str, dict[str, Decimal]]:
    """Apply the rates of a file to every later estimate, or change nothing if any is invalid.

    Args:
        path: A file written by :func:`save_rates` or by hand.
        replace: Remove the rates set before loading (True), or keep those the file does not
            mention (False).

    Returns:
        The rates applied, by model name as written in the file.

    Raises:
        SettingsFileError: The file is invalid, names an unknown model, or a rate is
            rejected by ``prices.set_rates``; the rates in force are left as they were.
    """
    loaded = read_rates(path)
    with _rates_rollback():
        if replace:
            prices.clear_rates()
        for model, rates in loaded.items():
            _apply_model_rates(path, model, rates)
    return loaded


def _apply_model_rates(path: str | os.PathLike[str], model: str, rates: dict[str, Decimal]) -> None:
    for name, value in rates.items():
        try:
            prices.set_rates(model, **{name: value})
        except prices.UnknownModelError as err:
            raise SettingsFileError(path, f"models.{model}", _unknown_model_problem(err)) from err
        except (prices.InvalidRateError, ValueError) as err:
            raise SettingsFileError(path, f"models.{model}.{name}", str(err)) from err


def _unknown_model_problem(err: prices.UnknownModelError) -> str:
    if not err.suggestions:
        return "unknown model; list models with %llmcost models QUERY"
    return f"unknown model; did you mean {', '.join(map(repr, err.suggestions[:3]))}?"


@contextlib.contextmanager
def _rates_rollback() -> Iterator[None]:
    """Restore the overrides in force on entry when the block raises."""
    saved = prices.rate_overrides()
    try:
        yield
    except BaseException:
        prices.clear_rates()
        for model, rates in saved.items():
            prices.set_rates(model, **rates)
        raise


# ---------------------------------------------------------------------------------------------
# Tasks


def save_tasks(path: str | os.PathLike[str], registry: TaskRegistry | None = None) -> list[Task]:
    """Write every task of ``registry`` (default: the process-wide one) to a JSON file atomically.

    Returns:
        The tasks written.
    """
    tasks = list(registry if registry is not None else task_registry())
    entries = {task.name: _without_name(task.to_dict()) for task in tasks}
    write_json_atomic(path, {"format": TASKS_FORMAT, "version": FORMAT_VERSION, "tasks": entries})
    return tasks


def _without_name(entry: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in entry.items() if key != "name"}


def read_tasks(path: str | os.PathLike[str]) -> list[Task]:
    """Read and check a tasks file without applying it.

    Raises:
        SettingsFileError: The file is missing, not JSON, or a task in it is invalid.
    """
    data = _read_json(path)
    _check_header(path, data, TASKS_FORMAT, _TASKS_KEYS)
    entries = _section(path, data, "tasks")
    return [_read_task(path, name, entry) for name, entry in entries.items()]


def _read_task(path: str | os.PathLike[str], name: str, entry: Any) -> Task:
    location = f"tasks.{name}"
    if not isinstance(entry, dict):
        raise SettingsFileError(path, location, f"expected a JSON object, got {_json_type(entry)}")
    if "name" in entry and entry["name"] != name:
        raise SettingsFileError(
            path, f"{location}.name", f"expected the key {name!r} or no name, got {entry['name']!r}"
        )
    try:
        return Task.from_dict({**entry, "name": name})
    except InvalidTaskError as err:
        raise SettingsFileError(path, f"{location}.{err.field}", err.problem) from err


def load_tasks(path: str | os.PathLike[str], registry: TaskRegistry | None = None) -> list[Task]:
    """Replace the tasks of ``registry`` (default: the process-wide one) with those of a file.

    Raises:
        SettingsFileError: The file is invalid; the registry is left as it was.
    """
    tasks = read_tasks(path)
    # Names are unique because the file keys tasks by name and duplicate keys are rejected.
    (registry if registry is not None else task_registry()).replace_all(tasks)
    return tasks
