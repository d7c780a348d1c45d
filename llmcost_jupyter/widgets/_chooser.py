"""A table to enter each model's quality, latency and failure rate, and the model it picks.

The figures are the user's own, from their evaluations. The widget only shows what
``choosing.choose_model`` makes of them: the models ranked by cost per successful task, and
the cheapest one that meets the stated quality and latency bar.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from decimal import Decimal

import ipywidgets as widgets

from .. import prices
from ..choosing import Candidate, Choice, ModelProfile, choose_model
from ..display import format_money
from ..tasks import InvalidTaskError, TaskRegistry, UnknownTaskError, task_registry
from ._controls import (
    MessageLine,
    mark_invalid,
    no_math,
    on_rates_changed,
    sentence,
    style_block,
    table_field,
    text_field,
)

# Profile field -> (column heading, placeholder).
PROFILE_COLUMNS = {
    "quality": ("Quality score", "0 to 1, or 90%"),
    "latency_seconds": ("Seconds per attempt", "your timing"),
    "failure_rate": ("Failure rate", "task's rate"),
}


class ModelChooser(widgets.VBox):
    """Pick the cheapest model per successful task that meets a quality and latency bar.

    Attributes:
        task_selector: The task to price.
        profile_fields: The text field of each ``(model, profile field)``.
        min_quality: The lowest acceptable quality, from 0 to 1 or 0% to 100%; blank for none.
        max_latency: The maximum acceptable seconds per successful task; blank for none.
        result: The ranked table and the choice in words.
        choice: The last valid choice, or None.
        message: The line that reports errors.
    """

    def __init__(
        self,
        task: str | None,
        models: Sequence[str],
        *,
        profiles: Mapping[str, ModelProfile] | None = None,
        min_quality: str = "",
        max_latency: str = "",
        registry: TaskRegistry | None = None,
    ) -> None:
        """Build the chooser.

        Raises:
            UnknownTaskError: ``task`` is not in the registry, or the registry is empty.
            UnknownModelError: A model is unknown.
            ValueError: ``models`` is empty.
        """
        if not models:
            raise ValueError("no model to choose from: give at least one model id")
        self.registry = registry if registry is not None else task_registry()
        first = self.registry.get(task).name if task is not None else self._first_task()
        self.models = [prices.get_rate_card(model).model for model in models]
        self.task_selector = widgets.Dropdown(
            description="Task", options=self.registry.names(), value=first,
            style={"description_width": "150px"},
        )
        self.profile_fields: dict[tuple[str, str], widgets.Text] = {}
        self.min_quality = text_field(
            "Minimum quality", min_quality, placeholder="none",
            tooltip="Lowest acceptable quality, from 0 to 1 or 0% to 100%",
        )
        self.max_latency = text_field("Maximum seconds", max_latency, placeholder="none",
                                      tooltip="Longest acceptable seconds per successful task")
        self.result = widgets.HTML("")
        self.choice: Choice | None = None
        self.message = MessageLine()
        grid = self._grid(profiles or {})
        super().__init__(
            [style_block(), self.task_selector, grid,
             widgets.HBox([self.min_quality, self.max_latency]), self.message.widget, self.result],
        )
        self.add_class("llmcost-chooser")
        self._unsubscribe = [
            self.registry.subscribe(self._on_registry_change),
            on_rates_changed(self.update),
        ]
        for control in (self.task_selector, self.min_quality, self.max_latency,
                        *self.profile_fields.values()):
            control.observe(lambda _: self.update(), names="value")
        self.update()

    def _first_task(self) -> str:
        names = self.registry.names()
        if not names:
            raise UnknownTaskError(
                "No task to choose a model for; add one with add_task or the task editor."
            )
        return names[0]

    def _grid(self, profiles: Mapping[str, ModelProfile]) -> widgets.GridBox:
        cells: list[widgets.Widget] = [widgets.HTML("<strong>Model</strong>")]
        cells += [widgets.HTML(f"<strong>{heading}</strong>")
                  for heading, _ in PROFILE_COLUMNS.values()]
        for model in self.models:
            cells.append(widgets.HTML(html.escape(model)))
            profile = profiles.get(model, ModelProfile())
            for name, (heading, hint) in PROFILE_COLUMNS.items():
                field = table_field(f"{model} {heading.lower()}", _text(getattr(profile, name)),
                                    placeholder=hint)
                self.profile_fields[model, name] = field
                cells.append(field)
        return widgets.GridBox(cells, layout=widgets.Layout(
            grid_template_columns="180px repeat(3, 160px)", grid_gap="4px 8px"))

    # -- choosing -----------------------------------------------------------------------------

    def profiles(self) -> dict[str, ModelProfile]:
        """Return each model's figures as typed.

        Raises:
            ValueError: A figure is invalid; the field is marked.
        """
        result = {}
        for model in self.models:
            values = {name: self.profile_fields[model, name].value for name in PROFILE_COLUMNS}
            try:
                result[model] = ModelProfile(**values)
            except InvalidTaskError as err:
                mark_invalid(self.profile_fields[model, err.field], True)
                heading = PROFILE_COLUMNS[err.field][0].lower()
                raise ValueError(f"{model} {heading}: {err.problem}") from err
        return result

    def update(self) -> None:
        """Choose again from the figures, the bar and the rates in force."""
        for field in (self.min_quality, self.max_latency, *self.profile_fields.values()):
            mark_invalid(field, False)
        bar_fields = {"min_quality": self.min_quality, "max_latency_seconds": self.max_latency}
        try:
            profiles = self.profiles()
            task = self.registry.get(self.task_selector.value)
            self.choice = choose_model(
                task, profiles, min_quality=self.min_quality.value,
                max_latency_seconds=self.max_latency.value,
            )
        except InvalidTaskError as err:
            field = bar_fields.get(err.field)
            if field is None:
                raise
            mark_invalid(field, True)
            self._show_error(f"{field.description}: {err.problem}")
            return
        except (LookupError, ValueError) as err:
            text = err.args[0] if isinstance(err, LookupError) and err.args else str(err)
            self._show_error(text)
            return
        self.message.clear()
        self.result.value = no_math(choice_html(self.choice))

    def _show_error(self, text: str) -> None:
        self.message.show(f"{sentence(text)} The table shows the last valid choice.", error=True)

    def _on_registry_change(self) -> None:
        names = self.registry.names()
        if names:
            current = self.task_selector.value
            self.task_selector.options = names
            self.task_selector.value = current if current in names else names[0]
        self.update()

    def close(self) -> None:
        """Stop following tasks and rates, and close the widget."""
        # A widget whose construction failed has nothing to unsubscribe.
        for unsubscribe in getattr(self, "_unsubscribe", ()):
            unsubscribe()
        super().close()


def choice_html(choice: Choice) -> str:
    """Return the ranked models as an HTML table, followed by the choice in a sentence."""
    head = "".join(
        f'<th scope="col">{heading}</th>'
        for heading in ("Model", "Quality", "Seconds per success", "Attempts",
                        "Per successful task", "Per month", "Meets the bar")
    )
    rows = "".join(
        _row_html(candidate, candidate is choice.best) for candidate in choice.candidates
    )
    caption = f"Models for task {html.escape(choice.task.name)}, cheapest per successful task first"
    return (
        f'<table class="llmcost-choice-table"><caption>{caption}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
        f'<p role="status"><strong>{html.escape(choice.describe())}</strong></p>'
    )


def _row_html(candidate: Candidate, best: bool) -> str:
    cost = candidate.cost
    verdict = "yes" if candidate.meets_bar else "no: " + "; ".join(candidate.shortfalls)
    if best:
        verdict = "yes, cheapest"
    cells = [
        candidate.model,
        _text(candidate.profile.quality) or "not given",
        f"{candidate.latency_per_success:.1f}" if candidate.latency_per_success is not None
        else "not given",
        f"{cost.attempts:.2f}",
        format_money(cost.cost_per_success),
        format_money(cost.monthly_cost),
        verdict,
    ]
    style = ' style="font-weight:bold;background:#eaf5ea"' if best else ""
    first = f'<th scope="row">{html.escape(cells[0])}</th>'
    rest = "".join(f"<td>{html.escape(cell)}</td>" for cell in cells[1:])
    return f"<tr{style}>{first}{rest}</tr>"


def _text(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


def model_chooser(
    task: str | None,
    models: Sequence[str],
    *,
    profiles: Mapping[str, ModelProfile] | None = None,
    min_quality: str = "",
    max_latency: str = "",
    registry: TaskRegistry | None = None,
) -> ModelChooser:
    """Return a model chooser for ``task`` over ``models`` (see :class:`ModelChooser`)."""
    return ModelChooser(
        task, models, profiles=profiles, min_quality=min_quality, max_latency=max_latency,
        registry=registry,
    )
