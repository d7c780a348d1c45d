"""Sliders over a task and live charts of per-token against per-action pricing.

The sliders start at the task's own values and try other ones ("what if outputs were longer,
or the vendor charged more?") without changing the saved task. The charts redraw on every
change of a slider, of the task in the registry, or of a rate in the rate editor.

Each chart is HTML that draws with the Vega bundle of vl-convert-python (see
:mod:`llmcost_jupyter.charts`). The bundle is sent once per explorer, in a hidden output; the
charts themselves carry only their specification, so a redraw sends a few kilobytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Context, Decimal
from typing import Any

import ipywidgets as widgets

from .. import charts, prices
from ..choosing import TaskCost, task_costs
from ..costs import BatchNotAvailableError
from ..tasks import InvalidTaskError, Task, TaskRegistry, UnknownTaskError, task_registry
from ._controls import STALE_CLASS, MessageLine, on_rates_changed, sentence, style_block, text_field

SLIDER_STYLE = {"description_width": "150px"}
SPREAD_MEANINGS = {
    "triangular": "most outputs near the typical length",
    "uniform": "every length from low to high equally likely",
}
SLIDER_LAYOUT = {"width": "520px"}
CHART_NAMES = ("breakeven", "volume", "overpaid")
# Finest slider steps: a hundred-millionth of a dollar, and a ten-thousandth of a percent.
FINEST_PRICE_EXPONENT = -8
FINEST_SHARE_EXPONENT = -6
# A slider's float carries binary noise (0.00030000000000000003); twelve significant digits
# keep every value a person can set and drop the noise.
SLIDER_DIGITS = Context(prec=12)


class BreakEvenExplorer(widgets.VBox):
    """Explore when a fixed price per task beats per-token pricing, for one task and some models.

    Attributes:
        task_selector: The task shown.
        models_field: Comma-separated model ids.
        output_tokens, action_price, monthly_volume, failure_rate: What-if sliders, set from the
            task when it is selected or changed. The price and rate sliders take their step
            from the task's value, and a slider left at the task's value gives that exact
            Decimal, so the what-if task starts equal to the task.
        distribution: The spread assumed between the task's low and high output tokens.
        batch: Whether the batch discount applies.
        plots: The output that shows each chart, by name (see ``CHART_NAMES``).
        charts: The altair chart last drawn in each output, or None.
        captions: The text alternative of each chart, also shown under it.
        message: The line that reports errors.
    """

    def __init__(
        self, task: str | None, models: Sequence[str], *, registry: TaskRegistry | None = None
    ) -> None:
        """Build the explorer.

        Raises:
            UnknownTaskError: ``task`` is not in the registry.
            ValueError: ``models`` is empty.
        """
        if not models:
            raise ValueError("no model to compare: give at least one model id, such as ['gpt-4o']")
        self.registry = registry if registry is not None else task_registry()
        names = self.registry.names()
        if task is not None:
            first = self.registry.get(task).name
        elif names:
            first = names[0]
        else:
            raise UnknownTaskError("No task to explore; add one with add_task or the task editor.")
        self.task_selector = widgets.Dropdown(
            description="Task", options=names, value=first, style=SLIDER_STYLE
        )
        self.models_field = text_field(
            "Models", ", ".join(models), tooltip="Model ids, separated by commas", width="520px"
        )
        self._make_sliders()
        self.message = MessageLine()
        self.plots = {name: widgets.Output() for name in CHART_NAMES}
        self.charts: dict[str, Any] = dict.fromkeys(CHART_NAMES)
        self.captions = dict.fromkeys(CHART_NAMES, "")
        self._drawn_task: str | None = None
        self._exact: dict[str, tuple[float, Decimal]] = {}
        self._library = widgets.Output(layout=widgets.Layout(height="0px", overflow="hidden"))
        self._loading_task = False
        super().__init__(self._layout())
        self.add_class("llmcost-explorer")
        self._library.outputs = (_display_data(charts.vega_library_html(), ""),)
        self._unsubscribe = [
            self.registry.subscribe(self._on_registry_change),
            on_rates_changed(self.redraw),
        ]
        self._observe_controls()
        self.load_task()

    # -- layout -------------------------------------------------------------------------------

    def _make_sliders(self) -> None:
        self.output_tokens = widgets.IntSlider(
            description="Output tokens", min=0, max=2000, step=50, continuous_update=False,
            style=SLIDER_STYLE, layout=SLIDER_LAYOUT,
        )
        self.action_price = widgets.FloatSlider(
            description="Action price, USD", min=0, max=1, step=0.001, readout_format=".3f",
            continuous_update=False, style=SLIDER_STYLE, layout=SLIDER_LAYOUT,
        )
        self.monthly_volume = widgets.IntSlider(
            description="Tasks per month", min=0, max=100_000, step=10,
            continuous_update=False, style=SLIDER_STYLE, layout=SLIDER_LAYOUT,
        )
        self.failure_rate = widgets.FloatSlider(
            description="Failure rate", min=0, max=0.9, step=0.001, readout_format=".1%",
            continuous_update=False, style=SLIDER_STYLE, layout=SLIDER_LAYOUT,
        )
        self.distribution = widgets.Dropdown(
            description="Output spread",
            options=[(f"{name}: {meaning}", name) for name, meaning in SPREAD_MEANINGS.items()],
            style=SLIDER_STYLE,
            layout={"width": "520px"},
        )
        self.batch = widgets.Checkbox(
            description="Batch discount", tooltip="Apply each provider's batch discount",
            style=SLIDER_STYLE,
        )

    def _layout(self) -> list[widgets.Widget]:
        return [
            style_block(),
            self._library,
            self.task_selector,
            self.models_field,
            self.output_tokens,
            self.action_price,
            self.monthly_volume,
            self.failure_rate,
            self.distribution,
            self.batch,
            self.message.widget,
            *self.plots.values(),
        ]

    def _observe_controls(self) -> None:
        self.task_selector.observe(lambda _: self.load_task(), names="value")
        for control in (
            self.models_field, self.output_tokens, self.action_price, self.monthly_volume,
            self.failure_rate, self.distribution, self.batch,
        ):
            control.observe(self._on_control, names="value")

    # -- state --------------------------------------------------------------------------------

    def load_task(self) -> None:
        """Set the sliders from the selected task and redraw."""
        task = self.registry.get(self.task_selector.value)
        price = task.action_price if task.action_price is not None else Decimal(0)
        rate = task.failure_rate
        self._loading_task = True
        try:
            _fit_slider(self.output_tokens, task.output_tokens, _output_top(task))
            _set_step(self.action_price, _step_exponent(price, -3, FINEST_PRICE_EXPONENT), 0)
            _fit_slider(self.action_price, float(price), float(_price_top(price)))
            volume = task.monthly_volume
            _fit_slider(self.monthly_volume, volume, max(10 * volume, 1000))
            _set_step(self.failure_rate, _step_exponent(rate, -3, FINEST_SHARE_EXPONENT), 2)
            _fit_slider(self.failure_rate, float(rate), 0.9)
            self._exact = {
                "action_price": (self.action_price.value, price),
                "failure_rate": (self.failure_rate.value, rate),
            }
        finally:
            self._loading_task = False
        self.redraw()

    def what_if_task(self) -> Task:
        """Return the selected task with the slider values in place of its own.

        A price or rate slider at the task's own value gives the task's exact Decimal.
        """
        task = self.registry.get(self.task_selector.value)
        output = self.output_tokens.value
        changes: dict[str, Any] = {
            "output_tokens": output,
            "monthly_volume": self.monthly_volume.value,
            "failure_rate": self._slider_decimal("failure_rate", self.failure_rate),
        }
        if task.action_price is not None or self.action_price.value > 0:
            changes["action_price"] = self._slider_decimal("action_price", self.action_price)
        if task.output_range is not None:
            low, high = task.output_range
            changes["output_range"] = (min(low, output), max(high, output))
        return task.replace(**changes)

    def _slider_decimal(self, name: str, slider: widgets.FloatSlider) -> Decimal:
        loaded_value, exact = self._exact.get(name, (None, Decimal(0)))
        if slider.value == loaded_value:
            return exact
        return SLIDER_DIGITS.create_decimal(repr(slider.value)).normalize()

    def model_list(self) -> list[str]:
        """Return the model ids typed in the models field."""
        return [name.strip() for name in self.models_field.value.split(",") if name.strip()]

    def costs(self) -> list[TaskCost]:
        """Price the what-if task on every model."""
        return task_costs(self.what_if_task(), self.model_list(), batch=self.batch.value)

    # -- drawing ------------------------------------------------------------------------------

    def _on_control(self, change: dict) -> None:
        if not self._loading_task:
            self.redraw()

    def redraw(self) -> None:
        """Redraw every chart from the current task, sliders and rates.

        When the values are invalid, the charts of the same task stay, dimmed, and the charts
        of another task are removed, so that no chart is shown under the wrong task's name.
        """
        try:
            costs = self.costs()
            if not costs:
                raise ValueError("No model given: type at least one model id, such as gpt-4o")
        except (prices.UnknownModelError, InvalidTaskError, UnknownTaskError,
                BatchNotAvailableError, ValueError) as err:
            self._show_failure(sentence(_message(err)))
            return
        self.message.clear()
        self._drawn_task = costs[0].task.name
        for plot in self.plots.values():
            plot.remove_class(STALE_CLASS)
        self._draw("breakeven", charts.breakeven_chart(costs))
        self._draw("volume", charts.volume_chart(costs))
        task = costs[0].task
        if task.action_price is not None and task.output_range is not None:
            self._draw("overpaid", charts.overpaid_chart(costs, self.distribution.value))
        else:
            self._clear("overpaid")

    def _show_failure(self, problem: str) -> None:
        if self._drawn_task is not None and self._drawn_task == self.task_selector.value:
            for plot in self.plots.values():
                plot.add_class(STALE_CLASS)
            self.message.show(f"{problem} The dimmed charts show the last valid state.",
                              error=True)
            return
        self._clear_all()
        self.message.show(f"{problem} No chart is shown until the values are valid.",
                          error=True)

    def _clear_all(self) -> None:
        self._drawn_task = None
        for name in CHART_NAMES:
            self._clear(name)
            self.plots[name].remove_class(STALE_CLASS)

    def _draw(self, name: str, chart: Any) -> None:
        # Setting the outputs directly works with or without a kernel to capture display().
        self.charts[name] = chart
        self.captions[name] = chart.to_dict()["description"]
        html_text = charts.chart_html(chart, include_library=False)
        self.plots[name].outputs = (_display_data(html_text, self.captions[name]),)

    def _clear(self, name: str) -> None:
        self.charts[name] = None
        self.captions[name] = ""
        self.plots[name].outputs = ()

    def _on_registry_change(self) -> None:
        names = self.registry.names()
        current = self.task_selector.value
        if not names:
            self._clear_all()
            self.message.show("Every task was removed; add one to explore it.", error=True)
            return
        self._loading_task = True
        try:
            self.task_selector.options = names
            self.task_selector.value = current if current in names else names[0]
        finally:
            self._loading_task = False
        self.load_task()

    def close(self) -> None:
        """Stop following tasks and rates, and close the widget."""
        # A widget whose construction failed has nothing to unsubscribe.
        for unsubscribe in getattr(self, "_unsubscribe", ()):
            unsubscribe()
        super().close()


def _fit_slider(slider: widgets.Widget, value: float, top: float) -> None:
    # The maximum goes first, because a slider clamps a value above its maximum.
    slider.max = max(top, value, slider.min)
    slider.value = value


def _display_data(html_text: str, text: str) -> dict[str, Any]:
    return {
        "output_type": "display_data",
        "data": {"text/html": html_text, "text/plain": text},
        "metadata": {},
    }


def _output_top(task: Task) -> int:
    high = task.output_range[1] if task.output_range else 0
    return max(4 * task.output_tokens, high, 2000)


def _price_top(price: Decimal) -> Decimal:
    """Return four times the price, or the next power of ten when that is higher."""
    if price <= 0:
        return Decimal("0.1")
    return max(4 * price, Decimal(1).scaleb(price.adjusted() + 1))


def _step_exponent(value: Decimal, coarsest: int, finest: int) -> int:
    """Return the power of ten of a slider step fine enough to show ``value``.

    The step is a tenth of the value's leading digit, or its last digit when that is finer,
    but never coarser than ``10**coarsest`` nor finer than ``10**finest``.
    """
    if value == 0:
        return coarsest
    last_digit = int(value.normalize().as_tuple().exponent)
    exponent = min(value.adjusted() - 1, last_digit, coarsest)
    return max(exponent, finest)


def _set_step(slider: widgets.FloatSlider, exponent: int, percent_shift: int) -> None:
    """Set a step of ``10**exponent`` and a readout with as many decimals.

    ``percent_shift`` is 2 for a readout in percent, whose decimals are two fewer.
    """
    places = max(0, -exponent - percent_shift)
    slider.step = 10.0**exponent
    slider.readout_format = f".{places}%" if percent_shift else f".{places}f"


def _message(err: Exception) -> str:
    return str(err.args[0]) if isinstance(err, LookupError) and err.args else str(err)


def breakeven_explorer(
    task: str | None, models: Sequence[str], *, registry: TaskRegistry | None = None
) -> BreakEvenExplorer:
    """Return an explorer of ``task`` (a registered task's name) priced on ``models``."""
    return BreakEvenExplorer(task, models, registry=registry)
