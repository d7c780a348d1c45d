"""A form to add, edit and remove named tasks, and to save them to and load them from a file.

The form edits the process-wide task registry, which the explorer, the model chooser and
``%%llmcost --task`` read. A field with an invalid value is marked where it was typed and the
task is left as it was.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import ipywidgets as widgets

from .. import settings_io
from ..tasks import TASK_FIELDS, InvalidTaskError, Task, TaskRegistry, task_registry
from ._controls import (
    MessageLine,
    button,
    mark_invalid,
    sentence,
    settings_file,
    style_block,
    text_field,
    write_failure,
)

# Form field -> (label, placeholder). Ranges use two fields each: *_low and *_high.
FORM_FIELDS = {
    "name": ("Name", "support-reply"),
    "input_tokens": ("Input tokens", "typical prompt tokens"),
    "output_tokens": ("Output tokens", "typical answer tokens"),
    "reasoning_tokens": ("Reasoning tokens", "0"),
    "cached_share": ("Cached share", "such as 40%"),
    "failure_rate": ("Failure rate", "share of attempts retried, such as 5%"),
    "max_attempts": ("Max attempts", "blank: retry until it works"),
    "action_price": ("Action price, USD", "vendor's price per task"),
    "monthly_volume": ("Tasks per month", "such as 20000"),
    "input_low": ("Input tokens, low", "optional"),
    "input_high": ("Input tokens, high", "optional"),
    "output_low": ("Output tokens, low", "optional"),
    "output_high": ("Output tokens, high", "optional"),
}
RANGE_FIELDS = {
    "input_range": ("input_low", "input_high"),
    "output_range": ("output_low", "output_high"),
}
# Labels of task fields that have no single form field.
OTHER_LABELS = {
    "input_range": "Input tokens, low and high",
    "output_range": "Output tokens, low and high",
    "sample_prompt": "Sample prompt",
}
SHARE_FIELDS = ("cached_share", "failure_rate")
NEW_TASK = "(new task)"
DEFAULT_TASKS_FILE = "tasks.json"


class TaskEditor(widgets.VBox):
    """Add, edit and remove tasks of a registry; save them to and load them from a JSON file.

    Attributes:
        fields: The text field of each form field (see ``FORM_FIELDS``).
        sample_prompt: The sample prompt, used when no input tokens are given.
        selector: The task being edited, or ``NEW_TASK``.
        message: The line that reports results and errors.
    """

    def __init__(
        self, registry: TaskRegistry | None = None, *, path: str = DEFAULT_TASKS_FILE
    ) -> None:
        self.registry = registry if registry is not None else task_registry()
        self.fields = {
            name: text_field(label, placeholder=hint, tooltip=f"{label}: {hint}")
            for name, (label, hint) in FORM_FIELDS.items()
        }
        self.sample_prompt = widgets.Textarea(
            description="Sample prompt",
            placeholder="a typical prompt, counted per model when no input tokens are given",
            style={"description_width": "150px"},
            layout=widgets.Layout(width="660px", height="70px"),
        )
        self.selector = widgets.Dropdown(
            description="Task", options=[NEW_TASK], style={"description_width": "150px"}
        )
        self.selector.observe(lambda _: self.show_task(), names="value")
        self.path_field = text_field("Tasks file", path, tooltip="JSON file to save or load")
        self.message = MessageLine()
        self._unsubscribe = self.registry.subscribe(self._on_registry_change)
        super().__init__(self._layout())
        self.add_class("llmcost-task-editor")
        self._update_selector(keep_new=False)

    def _layout(self) -> list[widgets.Widget]:
        half = len(FORM_FIELDS) // 2 + 1
        names = list(FORM_FIELDS)
        left = widgets.VBox([self.fields[name] for name in names[:half]])
        right = widgets.VBox([self.fields[name] for name in names[half:]])
        save = button("Save task", "Add this task, or save the changes to it", style="primary")
        delete = button("Delete task", "Remove this task")
        new = button("New task", "Clear the form to add a task")
        save.on_click(lambda _: self.submit())
        delete.on_click(lambda _: self.delete())
        new.on_click(lambda _: self.new())
        save_file = button("Save tasks", "Write every task to the tasks file")
        load_file = button("Load tasks", "Replace every task with those of the tasks file")
        save_file.on_click(lambda _: self.save())
        load_file.on_click(lambda _: self.load())
        return [
            style_block(),
            widgets.HBox([self.selector, new]),
            widgets.HBox([left, right]),
            self.sample_prompt,
            widgets.HBox([save, delete]),
            widgets.HBox([self.path_field, save_file, load_file]),
            self.message.widget,
        ]

    # -- form <-> task ------------------------------------------------------------------------

    def form_values(self) -> dict[str, Any]:
        """Return the form as keyword arguments of :class:`Task`; blank fields take defaults.

        Raises:
            InvalidTaskError: Only one end of a range is given.
        """
        values: dict[str, Any] = {
            name: field.value.strip()
            for name, field in self.fields.items()
            if name not in _RANGE_PARTS
        }
        values["sample_prompt"] = self.sample_prompt.value
        for range_name, (low, high) in RANGE_FIELDS.items():
            values[range_name] = self._range(range_name, low, high)
        return {
            name: value
            for name, value in values.items()
            if value not in ("", None) or name in _OPTIONAL_FIELDS
        }

    def _range(self, range_name: str, low: str, high: str) -> tuple[str, str] | None:
        low_text = self.fields[low].value.strip()
        high_text = self.fields[high].value.strip()
        if not low_text and not high_text:
            return None
        if not low_text or not high_text:
            raise InvalidTaskError(range_name, "give both the low and the high count, or neither")
        return low_text, high_text

    def show_task(self) -> None:
        """Fill the form with the selected task, or empty it for a new one."""
        name = self.selector.value
        task = self.registry.get(name) if name in self.registry else None
        for field_name, field in self.fields.items():
            field.value = "" if task is None else _field_text(task, field_name)
            mark_invalid(field, False)
        self.sample_prompt.value = "" if task is None else task.sample_prompt or ""

    # -- actions ------------------------------------------------------------------------------

    def submit(self) -> Task | None:
        """Add the task in the form, or save the changes to the selected task.

        Returns:
            The task saved, or None when a field is invalid (see ``message``).
        """
        for field in self.fields.values():
            mark_invalid(field, False)
        editing = self.selector.value if self.selector.value in self.registry else None
        try:
            task = Task(**self.form_values())
            if editing is None:
                self.registry.add(task)
            else:
                # Every field is passed, so that a field cleared in the form is cleared too.
                self.registry.edit(editing, **{name: getattr(task, name) for name in TASK_FIELDS})
        except InvalidTaskError as err:
            self._show_invalid(err)
            return None
        self.selector.value = task.name
        self.message.show(f"Saved task {task.name!r}.")
        return task

    def _show_invalid(self, err: InvalidTaskError) -> None:
        for name in RANGE_FIELDS.get(err.field, (err.field,)):
            if name in self.fields:
                mark_invalid(self.fields[name], True)
        problem = sentence(f"{_label(err.field)}: {err.problem}")
        self.message.show(f"{problem} The task was not saved.", error=True)

    def delete(self) -> None:
        """Remove the selected task."""
        name = self.selector.value
        if name not in self.registry:
            self.message.show("Select a saved task to delete.", error=True)
            return
        self.registry.remove(name)
        self.message.show(f"Deleted task {name!r}.")

    def new(self) -> None:
        """Clear the form to add a task."""
        self.selector.value = NEW_TASK
        self.show_task()
        self.message.clear()

    def save(self, path: str | None = None) -> None:
        """Save every task to ``path`` or the tasks file field."""
        target = settings_file(path, self.path_field, DEFAULT_TASKS_FILE, self.message)
        if target is None:
            return
        try:
            saved = settings_io.save_tasks(target, self.registry)
        except OSError as err:
            self.message.show(write_failure(target, err), error=True)
            return
        self.message.show(f"Saved {len(saved)} task(s) to {target}.")

    def load(self, path: str | None = None) -> None:
        """Replace every task with those of ``path``; a bad file changes nothing."""
        target = settings_file(path, self.path_field, DEFAULT_TASKS_FILE, self.message)
        if target is None:
            return
        try:
            loaded = settings_io.load_tasks(target, self.registry)
        except settings_io.SettingsFileError as err:
            self.message.show(f"{sentence(str(err))} Nothing was changed.", error=True)
            return
        self.message.show(f"Loaded {len(loaded)} task(s) from {target}.")

    def close(self) -> None:
        """Stop following the registry and close the widget."""
        # A widget whose construction failed has nothing to unsubscribe.
        if hasattr(self, "_unsubscribe"):
            self._unsubscribe()
        super().close()

    def _on_registry_change(self) -> None:
        self._update_selector()

    def _update_selector(self, *, keep_new: bool = True) -> None:
        current = self.selector.value
        names = self.registry.names()
        self.selector.options = [*names, NEW_TASK]
        if current in names or (keep_new and current == NEW_TASK):
            self.selector.value = current
        else:
            self.selector.value = names[0] if names else NEW_TASK
        self.show_task()


_RANGE_PARTS = {part for parts in RANGE_FIELDS.values() for part in parts}
# Fields whose blank value means "not given" rather than "use the default".
_OPTIONAL_FIELDS = {
    "name", "input_tokens", "sample_prompt", "max_attempts", "action_price", *RANGE_FIELDS
}


def _label(field: str) -> str:
    if field in FORM_FIELDS:
        return FORM_FIELDS[field][0]
    return OTHER_LABELS.get(field, field.replace("_", " ").capitalize())


def _field_text(task: Task, name: str) -> str:
    for range_name, (low, high) in RANGE_FIELDS.items():
        if name not in (low, high):
            continue
        bounds = getattr(task, range_name)
        if bounds is None:
            return ""
        return str(bounds[0]) if name == low else str(bounds[1])
    value = getattr(task, name)
    if value is None:
        return ""
    if name in SHARE_FIELDS:
        return f"{_plain(value * 100)}%"
    if isinstance(value, Decimal):
        return _plain(value)
    return str(value)


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


def task_editor(
    registry: TaskRegistry | None = None, *, path: str = DEFAULT_TASKS_FILE
) -> TaskEditor:
    """Return a task editor for ``registry``, by default the process-wide one."""
    return TaskEditor(registry, path=path)
