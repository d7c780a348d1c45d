"""Named tasks: the typical tokens, volume and per-action price of a recurring piece of work.

A :class:`Task` describes one kind of request a team sends many times ("answer a support
ticket", "review a contract"): its typical input tokens or a sample prompt to count, its output
and reasoning tokens, how much of the prompt is cached, how often an attempt fails and is
retried, the price a vendor charges per action, and the monthly volume. Tasks live in a
process-wide :class:`TaskRegistry` that the widgets, the charts and ``%%llmcost --task`` share.

>>> add_task(Task("support-reply", input_tokens=1800, output_tokens=600, monthly_volume=20000))
Task('support-reply', input_tokens=1800, output_tokens=600, monthly_volume=20000)
>>> task_options(get_task("support-reply"), ["gpt-4o"])["calls"]
20000
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import os

    from .counting import TokenCount

__all__ = [
    "InvalidTaskError",
    "Task",
    "TaskRegistry",
    "UnknownTaskError",
    "add_task",
    "clear_tasks",
    "edit_task",
    "get_task",
    "list_tasks",
    "load_tasks",
    "parse_number",
    "parse_share",
    "remove_task",
    "save_tasks",
    "strip_thousands_separators",
    "task_input_count",
    "task_options",
    "task_registry",
]

logger = logging.getLogger(__name__)

# Fields of a task in the order the editor and the saved file show them.
TASK_FIELDS = (
    "name",
    "input_tokens",
    "sample_prompt",
    "output_tokens",
    "reasoning_tokens",
    "cached_share",
    "failure_rate",
    "max_attempts",
    "action_price",
    "monthly_volume",
    "input_range",
    "output_range",
)


class InvalidTaskError(ValueError):
    """A task field with a value that cannot describe a task.

    Attributes:
        field: Name of the invalid field, such as ``"output_tokens"``.
        problem: What is wrong with it, as ``"expected ..., got ..."``.
    """

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class UnknownTaskError(LookupError):
    """A task name that the registry does not contain.

    Attributes:
        suggestions: Close task names, best first, possibly empty.
    """

    def __init__(self, message: str, suggestions: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.suggestions = list(suggestions)


@dataclass(frozen=True)
class Task:
    """A recurring piece of work to price, given by its typical tokens and volume.

    Numbers may be given as strings (``"1,200"``, ``"40%"``, ``"$2.50"``), as the editor and
    saved files do; they are converted and checked on creation.

    Attributes:
        name: Name to look the task up by, such as ``"support-reply"``.
        input_tokens: Typical prompt tokens of one attempt, or None when ``sample_prompt``
            is counted instead.
        sample_prompt: A typical prompt, counted with each model's tokenizer, or None.
        output_tokens: Typical visible output tokens of one attempt.
        reasoning_tokens: Typical hidden reasoning tokens of one attempt.
        cached_share: Share of the prompt read from the provider's cache, from 0 to 1.
        failure_rate: Share of attempts that fail and are tried again, from 0 to below 1.
        max_attempts: Attempts before the task is given up, or None to retry until it succeeds.
        action_price: The vendor's fixed price per completed task in USD, or None.
        monthly_volume: Tasks completed per month.
        input_range: Lowest and highest prompt tokens of one attempt, or None.
        output_range: Lowest and highest output tokens of one attempt, or None.

    Raises:
        InvalidTaskError: A field is invalid; its ``field`` attribute names it.
    """

    name: str
    input_tokens: int | None = None
    sample_prompt: str | None = None
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cached_share: Decimal = Decimal(0)
    failure_rate: Decimal = Decimal(0)
    max_attempts: int | None = None
    action_price: Decimal | None = None
    monthly_volume: int = 1
    input_range: tuple[int, int] | None = None
    output_range: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        for name, value in _normalized_fields(self).items():
            object.__setattr__(self, name, value)
        _check_consistency(self)

    def __repr__(self) -> str:
        shown = [repr(self.name)]
        for item in dataclasses.fields(self)[1:]:
            value = getattr(self, item.name)
            if value != item.default:
                shown.append(f"{item.name}={_plain(value)}")
        return f"Task({', '.join(shown)})"

    def replace(self, **changes: Any) -> Task:
        """Return a copy with some fields changed, checked like a new task."""
        unknown = sorted(set(changes) - set(TASK_FIELDS))
        if unknown:
            raise InvalidTaskError(unknown[0], f"unknown task field; valid fields: {_field_list()}")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Return the task as JSON-ready values: Decimals as strings, ranges as lists.

        Fields left at their default are omitted, so a saved file shows what was set.
        """
        data: dict[str, Any] = {}
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if item.name != "name" and value == item.default:
                continue
            data[item.name] = _json_value(value)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Task:
        """Build a task from :meth:`to_dict` output or a hand-written mapping.

        Raises:
            InvalidTaskError: A field is unknown, missing or invalid.
        """
        unknown = sorted(set(data) - set(TASK_FIELDS))
        if unknown:
            raise InvalidTaskError(unknown[0], f"unknown task field; valid fields: {_field_list()}")
        if "name" not in data:
            raise InvalidTaskError("name", "missing; every task needs a name")
        return cls(**data)


# ---------------------------------------------------------------------------------------------
# Field conversion and checks


def _normalized_fields(task: Task) -> dict[str, Any]:
    return {
        "name": _name(task.name),
        "input_tokens": _optional(_tokens, "input_tokens", task.input_tokens),
        "sample_prompt": _prompt(task.sample_prompt),
        "output_tokens": _tokens("output_tokens", task.output_tokens),
        "reasoning_tokens": _tokens("reasoning_tokens", task.reasoning_tokens),
        "cached_share": parse_share("cached_share", task.cached_share),
        "failure_rate": parse_share("failure_rate", task.failure_rate, below_one=True),
        "max_attempts": _optional(_attempts, "max_attempts", task.max_attempts),
        "action_price": _optional(_money, "action_price", task.action_price),
        "monthly_volume": _tokens("monthly_volume", task.monthly_volume, unit="tasks"),
        "input_range": _optional(_token_range, "input_range", task.input_range),
        "output_range": _optional(_token_range, "output_range", task.output_range),
    }


def _check_consistency(task: Task) -> None:
    if task.input_tokens is None and task.sample_prompt is None:
        raise InvalidTaskError(
            "input_tokens", "missing; give typical input tokens or a sample prompt to count"
        )
    if task.input_tokens is not None and task.sample_prompt is not None:
        raise InvalidTaskError(
            "input_tokens", "give typical input tokens or a sample prompt to count, not both"
        )
    _check_inside("input_range", task.input_range, task.input_tokens, "input")
    _check_inside("output_range", task.output_range, task.output_tokens, "output")


def _check_inside(
    field: str, bounds: tuple[int, int] | None, typical: int | None, kind: str
) -> None:
    if bounds is None or typical is None:
        return
    low, high = bounds
    if not low <= typical <= high:
        raise InvalidTaskError(
            field,
            f"expected a range that contains the typical {kind} tokens ({typical:,}), "
            f"got {low:,} to {high:,}",
        )


def _optional(convert: Callable[[str, Any], Any], field: str, value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return convert(field, value)


def _name(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidTaskError("name", f"expected a non-empty name, got {_shown(value)}")
    return value.strip()


def _prompt(value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidTaskError("sample_prompt", f"expected text, got {type(value).__name__}")
    return value


def _tokens(field: str, value: object, unit: str = "tokens") -> int:
    number = parse_number(field, value, f"a whole number of {unit}")
    if number != number.to_integral_value() or number < 0:
        raise InvalidTaskError(
            field, f"expected a whole number of {unit} (0 or more), got {_shown(value)}"
        )
    return int(number)


def _attempts(field: str, value: object) -> int:
    attempts = _tokens(field, value, unit="attempts")
    if attempts < 1:
        raise InvalidTaskError(field, f"expected at least 1 attempt, got {_shown(value)}")
    return attempts


def parse_share(field: str, value: object, *, below_one: bool = False) -> Decimal:
    """Convert a share written ``0.4``, ``"0.4"`` or ``"40%"`` to a Decimal from 0 to 1.

    Raises:
        InvalidTaskError: The value is not a share, or is 1 or more with ``below_one``.
    """
    text = str(value).strip() if isinstance(value, str) else value
    percent = isinstance(text, str) and text.endswith("%")
    bare = text.rstrip("%") if percent else text
    number = parse_number(field, bare, "a share such as 0.4 or 40%")
    share = number / 100 if percent else number
    limit = "below 1 (100%)" if below_one else "from 0 to 1 (100%)"
    if share < 0 or share > 1 or (below_one and share == 1):
        raise InvalidTaskError(field, f"expected a share {limit}, got {_shown(value)}")
    return share


def _money(field: str, value: object) -> Decimal:
    text = value.strip().lstrip("$") if isinstance(value, str) else value
    amount = parse_number(field, text, "an amount in USD such as 2.50")
    if amount < 0:
        raise InvalidTaskError(
            field, f"expected an amount in USD of 0 or more, got {_shown(value)}"
        )
    return amount


def _token_range(field: str, value: object) -> tuple[int, int]:
    if isinstance(value, str) or not isinstance(value, Sequence) or len(value) != 2:
        raise InvalidTaskError(field, f"expected two token counts [low, high], got {_shown(value)}")
    low = _tokens(field, value[0])
    high = _tokens(field, value[1])
    if low > high:
        raise InvalidTaskError(field, f"expected low <= high, got {low:,} to {high:,}")
    return low, high


def parse_number(field: str, value: object, expected: str) -> Decimal:
    """Convert an int, Decimal, float or numeric string (``"1,200"``) to a finite Decimal.

    In a string, a comma is read only as a thousands separator (see
    :func:`strip_thousands_separators`), so ``"0,50"`` is rejected rather than read as 50.

    Raises:
        InvalidTaskError: The value is not a finite number; the message names ``expected``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise InvalidTaskError(field, f"expected {expected}, got {_shown(value)}")
    text: object = value
    if isinstance(value, str):
        try:
            text = strip_thousands_separators(value.replace("_", "").strip())
        except ValueError as err:
            raise InvalidTaskError(field, str(err)) from None
    try:
        number = text if isinstance(text, Decimal) else Decimal(str(text))
    except InvalidOperation:
        raise InvalidTaskError(field, f"expected {expected}, got {_shown(value)}") from None
    if not number.is_finite():
        raise InvalidTaskError(field, f"expected {expected}, got {_shown(value)}")
    return number


# Digits grouped in threes by commas, with no leading zero: "1,200", "-12,345,678.5".
_GROUPED_NUMBER = re.compile(r"[+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d*)?")


def strip_thousands_separators(text: str) -> str:
    """Remove the commas of a number written with thousands separators (``"12,345.5"``).

    A comma anywhere else is rejected, because in many locales it is the decimal separator
    and dropping it would multiply the number: ``"0,50"`` would read as 50.

    Raises:
        ValueError: ``text`` has a comma that does not separate groups of three digits.
    """
    if "," not in text or _GROUPED_NUMBER.fullmatch(text):
        return text.replace(",", "")
    as_decimal_point = text.replace(",", ".")
    if text.count(",") == 1 and _is_number(as_decimal_point):
        hint = f"use a point for decimals ({as_decimal_point})"
    else:
        hint = "use a point for decimals and commas only between groups of three digits (1,234.5)"
    raise ValueError(f"{text!r} is not a number: {hint}")


def _is_number(text: str) -> bool:
    try:
        return Decimal(text).is_finite()
    except InvalidOperation:
        return False


def _shown(value: object) -> str:
    """Show a rejected value as typed: strings quoted, numbers from a JSON file plain."""
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else str(value)
    return repr(value)


def _field_list() -> str:
    return ", ".join(TASK_FIELDS)


def _json_value(value: object) -> object:
    if isinstance(value, Decimal):
        return _plain(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def _plain(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, tuple):
        return f"({value[0]}, {value[1]})"
    return repr(value)


# ---------------------------------------------------------------------------------------------
# The registry


Listener = Callable[[], None]


class TaskRegistry:
    """Tasks by name, with listeners that run after every change.

    Names are matched exactly after stripping spaces. Listeners let the widgets redraw when a
    task changes anywhere: in an editor, in code, or by loading a file.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._tasks: dict[str, Task] = {}
        self._listeners: list[Listener] = []

    def __iter__(self) -> Iterator[Task]:
        with self._lock:
            return iter(list(self._tasks.values()))

    def __len__(self) -> int:
        return len(self._tasks)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.strip() in self._tasks

    def names(self) -> list[str]:
        """Return the task names in the order they were added."""
        with self._lock:
            return list(self._tasks)

    def get(self, name: str) -> Task:
        """Return the task called ``name``.

        Raises:
            UnknownTaskError: No task has this name; the message suggests close names.
        """
        with self._lock:
            task = self._tasks.get(name.strip()) if isinstance(name, str) else None
            if task is None:
                raise self._unknown(name)
            return task

    def add(self, task: Task, *, replace: bool = False) -> Task:
        """Add a task; with ``replace=False`` a task of the same name is an error.

        Raises:
            InvalidTaskError: A task of that name exists and ``replace`` is False.
        """
        with self._lock:
            if task.name in self._tasks and not replace:
                raise InvalidTaskError(
                    "name", f"a task called {task.name!r} exists; edit it or pick another name"
                )
            self._tasks[task.name] = task
        self._notify()
        return task

    def edit(self, current: str, /, **changes: Any) -> Task:
        """Change some fields of the task called ``current``; a new ``name`` renames it in place.

        Raises:
            UnknownTaskError: No task has this name.
            InvalidTaskError: A changed field is invalid, or the new name is taken.
        """
        with self._lock:
            old = self.get(current)
            new = old.replace(**changes)
            if new.name != old.name and new.name in self._tasks:
                raise InvalidTaskError("name", f"a task called {new.name!r} exists already")
            # Rebuild the mapping so that a renamed task keeps its place in the order.
            renamed: dict[str, Task] = {}
            for key, task in self._tasks.items():
                if key == old.name:
                    renamed[new.name] = new
                else:
                    renamed[key] = task
            self._tasks = renamed
        self._notify()
        return new

    def remove(self, name: str) -> Task:
        """Remove a task and return it.

        Raises:
            UnknownTaskError: No task has this name.
        """
        with self._lock:
            task = self.get(name)
            del self._tasks[task.name]
        self._notify()
        return task

    def clear(self) -> None:
        """Remove every task."""
        self.replace_all([])

    def replace_all(self, tasks: Sequence[Task]) -> None:
        """Replace every task at once, as loading a file does.

        Raises:
            InvalidTaskError: Two tasks share a name; the registry is left unchanged.
        """
        by_name: dict[str, Task] = {}
        for task in tasks:
            if task.name in by_name:
                raise InvalidTaskError("name", f"two tasks are called {task.name!r}")
            by_name[task.name] = task
        with self._lock:
            self._tasks = by_name
        self._notify()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener()`` after every change; return a function that unsubscribes it."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def _notify(self) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener()
            except Exception:
                # A broken view must not undo or block the change that already happened.
                logger.exception("task listener %r failed", listener)

    def _unknown(self, name: object) -> UnknownTaskError:
        names = list(self._tasks)
        suggestions = difflib.get_close_matches(str(name).strip(), names, n=3)
        if suggestions:
            hint = f" Did you mean {', '.join(map(repr, suggestions))}?"
        elif names:
            hint = f" Tasks: {', '.join(names)}."
        else:
            hint = " No tasks are defined; add one with add_task(Task(...)) or the task editor."
        return UnknownTaskError(f"No task called {name!r}.{hint}", suggestions)


_REGISTRY = TaskRegistry()


def task_registry() -> TaskRegistry:
    """Return the process-wide registry that the widgets and ``%%llmcost --task`` use."""
    return _REGISTRY


def add_task(task: Task, *, replace: bool = False) -> Task:
    """Add a task to the process-wide registry (see :meth:`TaskRegistry.add`)."""
    return _REGISTRY.add(task, replace=replace)


def edit_task(current: str, /, **changes: Any) -> Task:
    """Change fields of a registered task (see :meth:`TaskRegistry.edit`)."""
    return _REGISTRY.edit(current, **changes)


def remove_task(name: str) -> Task:
    """Remove a registered task (see :meth:`TaskRegistry.remove`)."""
    return _REGISTRY.remove(name)


def get_task(name: str) -> Task:
    """Return a registered task.

    Raises:
        UnknownTaskError: No task has this name; the message suggests close names.
    """
    return _REGISTRY.get(name)


def list_tasks() -> list[Task]:
    """Return the registered tasks in the order they were added."""
    return list(_REGISTRY)


def clear_tasks() -> None:
    """Remove every registered task."""
    _REGISTRY.clear()


def save_tasks(path: str | os.PathLike[str]) -> None:
    """Write the registered tasks to a JSON file atomically (see :mod:`.settings_io`)."""
    from .settings_io import save_tasks as save

    save(path, _REGISTRY)


def load_tasks(path: str | os.PathLike[str]) -> list[Task]:
    """Replace the registered tasks with those of a JSON file; a bad file changes nothing.

    Raises:
        SettingsFileError: The file is missing, not JSON, or a task in it is invalid.
    """
    from .settings_io import load_tasks as load

    return load(path, _REGISTRY)


# ---------------------------------------------------------------------------------------------
# Tasks as options of an estimate


def task_input_count(task: Task) -> TokenCount | None:
    """Return the task's typical input tokens as an estimated count, or None for a sample prompt.

    The uncertainty is the larger distance from the typical count to an end of
    ``input_range``, as a share of the typical count. Without a range it is 0.
    """
    from .counting import TokenCount

    if task.input_tokens is None:
        return None
    return TokenCount(
        tokens=task.input_tokens,
        exact=False,
        method=f"typical input tokens given by task {task.name!r}",
        tokenizer="task",
        uncertainty=_input_uncertainty(task),
    )


def _input_uncertainty(task: Task) -> float:
    if task.input_range is None or task.input_tokens in (None, 0):
        return 0.0
    low, high = task.input_range
    typical = task.input_tokens
    return max(typical - low, high - typical) / typical


def task_options(task: Task, models: str | Sequence[str]) -> dict[str, Any]:
    """Return keyword arguments of ``report.estimate`` that price ``task`` for ``models``.

    The prompt argument is the task's ``sample_prompt`` (or any text when the task gives input
    tokens, because ``counts`` then replaces counting). Retries are not included: ``calls`` is
    the monthly volume of tasks, and ``choosing.task_cost`` prices the retries.

    Args:
        task: The task.
        models: The model ids the estimate will price; ``counts`` needs them as keys.

    Returns:
        ``output_tokens``, ``reasoning_tokens``, ``cached_share``, ``calls``,
        ``action_price`` and ``label``, plus ``counts`` when the task gives input tokens.
    """
    options: dict[str, Any] = {
        "output_tokens": task.output_tokens,
        "reasoning_tokens": task.reasoning_tokens,
        "cached_share": task.cached_share if task.cached_share else None,
        "calls": task.monthly_volume,
        "action_price": task.action_price,
        "label": task.name,
    }
    count = task_input_count(task)
    if count is not None:
        model_list = [models] if isinstance(models, str) else list(models)
        options["counts"] = {model: count for model in model_list}
    return options
