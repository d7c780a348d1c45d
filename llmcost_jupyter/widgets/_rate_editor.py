"""A table of every rate of some models, editable, with the catalog value beside each edit.

Edits go through ``prices.set_rates``, whose registry is global to the Python process, so they
apply to every later ``%%llmcost`` cell and library call. A value that ``settings_io.parse_rate``
rejects (not a number, negative, above 10,000 USD per million tokens, or a price per token) is
rejected where it was typed: the field turns red, a message gives the reason, and the
rate in force stays as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import ipywidgets as widgets

from .. import prices, settings_io
from ..display import format_rate
from ._controls import (
    MessageLine,
    button,
    mark_invalid,
    no_math,
    on_rates_changed,
    rates_changed,
    sentence,
    settings_file,
    style_block,
    table_field,
    text_field,
    write_failure,
)

# Rate name -> (row heading, unit shown beside it).
RATE_ROWS = {
    "input": ("Input", "USD / MTok"),
    "output": ("Output", "USD / MTok"),
    "reasoning": ("Reasoning", "USD / MTok"),
    "cache_read": ("Cached input read", "USD / MTok"),
    "cache_write_5m": ("Cache write, 5 minutes", "USD / MTok"),
    "cache_write_1h": ("Cache write, 1 hour", "USD / MTok"),
    "batch_discount": ("Batch discount", "share off"),
}
EDITED_CLASS = "llmcost-edited"
DEFAULT_RATES_FILE = "rates.json"


class RateEditor(widgets.VBox):
    """Edit the rates of ``models``; save them to and load them from a JSON file.

    Attributes:
        models: The model ids shown, as the user wrote them.
        fields: The text field of each ``(model, rate name)``.
        catalog_notes: The catalog value shown under each edited field.
        message: The line that reports results and errors.
    """

    def __init__(self, models: Sequence[str], *, path: str = DEFAULT_RATES_FILE) -> None:
        """Build the editor.

        Raises:
            UnknownModelError: A model is unknown; the message suggests close names.
            ValueError: ``models`` is empty.
        """
        if not models:
            raise ValueError("no model to edit: give at least one model id, such as ['gpt-4o']")
        self.models = [prices.get_rate_card(model).model for model in models]
        self.fields: dict[tuple[str, str], widgets.Text] = {}
        self.catalog_notes: dict[tuple[str, str], widgets.HTML] = {}
        self.message = MessageLine()
        self.path_field = text_field("Rates file", path, tooltip="JSON file to save or load")
        self._refreshing = False
        super().__init__(
            [style_block(), self._grid(), self._file_row(), self.message.widget],
        )
        self.add_class("llmcost-rate-editor")
        # Another editor, or a file loaded elsewhere, may change the rates shown here.
        self._unsubscribe = on_rates_changed(self.refresh)
        self.refresh()

    # -- layout -------------------------------------------------------------------------------

    def _grid(self) -> widgets.GridBox:
        cells: list[widgets.Widget] = [
            widgets.HTML("<strong>Rate</strong><br><span class='llmcost-catalog'>"
                         "MTok: million tokens</span>")
        ]
        cells += [self._model_heading(model) for model in self.models]
        for name, (heading, unit) in RATE_ROWS.items():
            cells.append(widgets.HTML(f"{heading} <span class='llmcost-catalog'>({unit})</span>"))
            cells += [self._cell(model, name, heading) for model in self.models]
        columns = f"240px repeat({len(self.models)}, 170px)"
        return widgets.GridBox(
            cells, layout=widgets.Layout(grid_template_columns=columns, grid_gap="4px 8px")
        )

    def _model_heading(self, model: str) -> widgets.VBox:
        reset = button("Reset", f"Reset every rate of {model} to the catalog")
        reset.on_click(lambda _: self.reset_model(model))
        return widgets.VBox([widgets.HTML(f"<strong>{model}</strong>"), reset])

    def _cell(self, model: str, name: str, heading: str) -> widgets.VBox:
        field = table_field(f"{model} {heading.lower()}", placeholder="not listed")
        field.observe(lambda change: self._on_edit(model, name, change), names="value")
        note = widgets.HTML("")
        note.add_class("llmcost-catalog")
        self.fields[model, name] = field
        self.catalog_notes[model, name] = note
        return widgets.VBox([field, note])

    def _file_row(self) -> widgets.HBox:
        save = button("Save rates", "Write the rates you set to the rates file")
        load = button("Load rates", "Replace the rates you set with those of the rates file")
        reset_all = button("Reset all", "Reset every rate of every model to the catalog")
        save.on_click(lambda _: self.save())
        load.on_click(lambda _: self.load())
        reset_all.on_click(lambda _: self.reset_all())
        return widgets.HBox([self.path_field, save, load, reset_all])

    # -- actions ------------------------------------------------------------------------------

    def _on_edit(self, model: str, name: str, change: dict) -> None:
        if not self._refreshing:
            self.apply_edit(model, name, change["new"])

    def apply_edit(self, model: str, name: str, text: str) -> bool:
        """Apply the value typed for one rate; a blank field returns the rate to the catalog.

        Returns:
            True when the rate was applied, False when it was rejected (see ``message``).
        """
        field = self.fields[model, name]
        try:
            value = None if not text.strip() else settings_io.parse_rate(name, text)
            prices.set_rates(model, **{name: value})
        except (ValueError, prices.InvalidRateError) as err:
            mark_invalid(field, True)
            in_force = _shown_rate(prices.get_rate_card(model), name)
            problem = sentence(f"{model} {RATE_ROWS[name][0].lower()}: {err}")
            self.message.show(
                f"{problem} Not applied; the rate in force is still {in_force}.", error=True
            )
            return False
        mark_invalid(field, False)
        self.refresh()
        self.message.show(f"{model} {RATE_ROWS[name][0].lower()} set to {_typed(value, name)}.")
        rates_changed()
        return True

    def reset_model(self, model: str) -> None:
        """Remove every rate set for ``model``."""
        prices.clear_rates(model)
        self._after_change(f"Every rate of {model} is back to the catalog value.")

    def reset_all(self) -> None:
        """Remove every rate set, for every model."""
        prices.clear_rates()
        self._after_change("Every rate is back to the catalog value.")

    def save(self, path: str | None = None) -> None:
        """Save every rate set (for any model) to ``path`` or the rates file field."""
        target = settings_file(path, self.path_field, DEFAULT_RATES_FILE, self.message)
        if target is None:
            return
        try:
            saved = settings_io.save_rates(target)
        except OSError as err:
            self.message.show(write_failure(target, err), error=True)
            return
        self.message.show(f"Saved the rates set for {len(saved)} model(s) to {target}.")

    def load(self, path: str | None = None) -> None:
        """Replace the rates set with those of ``path``; a bad file changes nothing."""
        target = settings_file(path, self.path_field, DEFAULT_RATES_FILE, self.message)
        if target is None:
            return
        try:
            loaded = settings_io.load_rates(target)
        except settings_io.SettingsFileError as err:
            self.message.show(f"{sentence(str(err))} Nothing was changed.", error=True)
            return
        self._after_change(f"Loaded rates for {len(loaded)} model(s) from {target}.")

    def close(self) -> None:
        """Stop following rate changes and close the widget."""
        # A widget whose construction failed has nothing to unsubscribe.
        if hasattr(self, "_unsubscribe"):
            self._unsubscribe()
        super().close()

    def _after_change(self, text: str) -> None:
        self.refresh()
        self.message.show(text)
        rates_changed()

    def refresh(self) -> None:
        """Show the rates in force, clearing error marks, and the catalog value of each edit."""
        self._refreshing = True
        try:
            for model in self.models:
                card = prices.get_rate_card(model)
                for name in RATE_ROWS:
                    self._show_rate(card, model, name)
        finally:
            self._refreshing = False

    def _show_rate(self, card: prices.RateCard, model: str, name: str) -> None:
        field = self.fields[model, name]
        field.value = _field_text(card, name)
        mark_invalid(field, False)
        edited = _edited(card, name)
        if edited:
            field.add_class(EDITED_CLASS)
        else:
            field.remove_class(EDITED_CLASS)
        note = f"catalog: {_shown_rate(card.catalog(), name)}" if edited else ""
        self.catalog_notes[model, name].value = no_math(note) if note else ""


def _edited(card: prices.RateCard, name: str) -> bool:
    if name in card.overridden:
        return True
    # A reasoning rate that follows the output rate moves with an edited output rate.
    follows_output = card.reasoning_source == prices.REASONING_FROM_OUTPUT
    return name == "reasoning" and follows_output and "output" in card.overridden


def _field_text(card: prices.RateCard, name: str) -> str:
    if name == "batch_discount":
        return "" if card.batch is None else f"{_plain(card.batch.discount * 100)}%"
    rate = getattr(card, name)
    return "" if rate is None else _plain(rate)


def _shown_rate(card: prices.RateCard, name: str) -> str:
    if name == "batch_discount":
        return "none" if card.batch is None else f"{_plain(card.batch.discount * 100)}% off"
    return format_rate(getattr(card, name))


def _typed(value: Decimal | None, name: str) -> str:
    if value is None:
        return "the catalog value"
    if name == "batch_discount":
        return f"{_plain(value * 100)}% off"
    return format_rate(value)


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


def rate_editor(models: Sequence[str], *, path: str = DEFAULT_RATES_FILE) -> RateEditor:
    """Return a rate editor for ``models`` (see :class:`RateEditor`)."""
    return RateEditor(models, path=path)
