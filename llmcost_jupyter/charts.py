"""Altair charts of per-token against per-action pricing, drawn without an internet connection.

Three charts, each built from :func:`choosing.task_costs` results:

* :func:`breakeven_chart`: cost per successful task against output tokens, one line per
  model, the flat per-action price, and each break-even point marked and labelled;
* :func:`volume_chart`: monthly cost against monthly volume;
* :func:`overpaid_chart`: with an output range on the task, the share of tasks for which
  per-action pricing costs more than per-token pricing (see
  :func:`choosing.output_share_below` for the triangular and uniform spreads).

Every chart carries a text alternative: its Vega-Lite ``description`` (which Vega uses as the
ARIA label of the drawing), a caption under the chart and the plain-text output.

Offline drawing: altair's default renderer loads Vega from a CDN, and the ``mimetype`` renderer
needs a JupyterLab extension for Vega-Lite 6, so neither draws anything offline. This module
renders HTML that carries the Vega bundle of vl-convert-python in the output itself. The
bundle runs inside a function and only when the page has no Vega yet, so several charts on one
page work. With altair's own ``template="inline"`` (altair 6.3, JupyterLab 4.6) the second
chart fails with "Identifier ... has already been declared", because its script repeats the
first one's top-level constants.

Creating a chart enables this renderer, named ``"llmcost_offline"``, but only when altair's
``"default"`` renderer is active. Importing this module changes nothing. Amounts are converted
to float for drawing only.
"""

from __future__ import annotations

import functools
import html
import json
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .choosing import OutputDistribution, TaskCost, cost_per_success_at, overpaid_share
from .display import format_money

if TYPE_CHECKING:
    import altair as alt

__all__ = [
    "OFFLINE_RENDERER",
    "breakeven_chart",
    "breakeven_summary",
    "chart_html",
    "enable_offline_renderer",
    "overpaid_chart",
    "overpaid_summary",
    "vega_library_html",
    "volume_chart",
    "volume_summary",
]

OFFLINE_RENDERER = "llmcost_offline"
CHART_WIDTH = 520
CHART_HEIGHT = 260
# Points per line; the cost is linear in output tokens, the extra points serve the tooltips.
LINE_POINTS = 41
# A break-even point further out than this many times the task's own output range is named
# in the caption but left off the chart, so that the typical range stays readable.
MAX_STRETCH = 4
# Vega-embed's action menu would offer "Open in Vega Editor", a link to an outside website.
EMBED_OPTIONS = {
    "actions": {"export": True, "source": False, "compiled": False, "editor": False},
    "renderer": "svg",
}
PER_ACTION = "per-action price"


# ---------------------------------------------------------------------------------------------
# Offline rendering


@functools.cache
def _vega_bundle() -> str:
    import vl_convert
    from altair.utils._importers import vl_version_for_vl_convert

    return vl_convert.javascript_bundle(vl_version=vl_version_for_vl_convert())


def vega_library_html() -> str:
    """Return a script that defines ``window.vegaEmbed`` from the bundled Vega, once per page.

    The bundle (about 0.9 MB) runs inside a function, so its top-level names stay local and a
    second copy on the same page does nothing.
    """
    return (
        "<script>\n(function () {\nif (typeof window.vegaEmbed === 'function') { return; }\n"
        f"{_vega_bundle()}\n}})();\n</script>"
    )


def chart_html(chart: alt.TopLevelMixin | dict[str, Any], *, include_library: bool = True) -> str:
    """Return HTML that draws ``chart`` with the bundled Vega, with its description as caption.

    Args:
        chart: An altair chart or a Vega-Lite specification.
        include_library: Put the Vega bundle in the HTML. Without it, the chart waits up to
            30 seconds for an earlier :func:`vega_library_html` output on the page.
    """
    spec = chart if isinstance(chart, dict) else chart.to_dict()
    element_id = f"llmcost-chart-{uuid.uuid4().hex}"
    description = str(spec.get("description", ""))
    caption = f'<figcaption class="llmcost-chart-caption">{html.escape(description)}</figcaption>'
    library = vega_library_html() if include_library else ""
    return (
        # The classes stop JupyterLab from typesetting "$1 ... $2" in the caption as LaTeX.
        f'<figure class="llmcost-chart mathjax_ignore tex2jax_ignore" style="margin:0">'
        f'<div id="{element_id}" class="llmcost-chart-plot"></div>{caption}</figure>'
        f"{library}<script>\n{_draw_script(element_id, spec)}\n</script>"
    )


def _draw_script(element_id: str, spec: dict[str, Any]) -> str:
    # "</" is escaped so that no string in the spec can close the script element.
    spec_json = json.dumps(spec).replace("</", "<\\/")
    options = json.dumps(EMBED_OPTIONS)
    return f"""(function () {{
  var element = document.getElementById("{element_id}");
  var waited = 0;
  function draw() {{
    if (typeof window.vegaEmbed !== "function") {{
      waited += 100;
      if (waited > 30000) {{ element.textContent = "The chart library did not load."; return; }}
      setTimeout(draw, 100);
      return;
    }}
    window.vegaEmbed(element, {spec_json}, {options}).catch(function (error) {{
      element.textContent = "The chart could not be drawn: " + error;
      console.error(error);
    }});
  }}
  draw();
}})();"""


def _render(spec: dict[str, Any], **metadata: Any) -> dict[str, str]:
    description = str(spec.get("description", "")) or "An Altair chart."
    return {"text/html": chart_html(spec), "text/plain": description}


def enable_offline_renderer() -> None:
    """Register the ``"llmcost_offline"`` renderer and enable it if altair's default is active.

    A renderer the user chose (``alt.renderers.enable(...)``) is left in place. Call
    ``alt.renderers.enable("llmcost_offline")`` to use it regardless.
    """
    import altair as alt

    if OFFLINE_RENDERER not in alt.renderers.names():
        alt.renderers.register(OFFLINE_RENDERER, _render)
    if alt.renderers.active == "default":
        alt.renderers.enable(OFFLINE_RENDERER)


# ---------------------------------------------------------------------------------------------
# Cost per task against output tokens


def breakeven_chart(costs: Sequence[TaskCost]) -> alt.LayerChart:
    """Draw cost per successful task against output tokens, with the per-action price.

    Args:
        costs: One task priced on one or more models, from :func:`choosing.task_costs`.

    Raises:
        ValueError: ``costs`` is empty or mixes tasks.
    """
    import altair as alt

    task = _single_task(costs)
    enable_offline_renderer()
    top = _output_axis_end(costs)
    lines = [_cost_row(cost, tokens) for cost in costs for tokens in _token_steps(top)]
    x = alt.X(
        "output_tokens:Q",
        title="Output tokens per attempt",
        scale=alt.Scale(domain=[0, top], nice=False),
    )
    y = alt.Y("cost:Q", title="USD per successful task", axis=alt.Axis(format="$,.4~f"))
    color = alt.Color("model:N", title="Model")
    tooltip = [
        alt.Tooltip("model:N", title="Model"),
        alt.Tooltip("output_tokens:Q", title="Output tokens", format=","),
        alt.Tooltip("cost_text:N", title="Per task"),
    ]
    layers = [alt.Chart(alt.Data(values=lines)).mark_line().encode(x, y, color, tooltip=tooltip)]
    layers += _typical_rule(task.output_tokens)
    if task.action_price is not None:
        layers += _action_layers(costs, top)
    return _finish(
        alt.layer(*layers), breakeven_summary(costs), f"Cost per successful task: {task.name}"
    )


def breakeven_summary(costs: Sequence[TaskCost]) -> str:
    """Say, for each model, at which output length per-action pricing becomes cheaper."""
    task = _single_task(costs)
    if task.action_price is None:
        cheapest = min(costs, key=lambda cost: cost.cost_per_success)
        return (
            f"Task {task.name!r} has no per-action price to compare with. At "
            f"{task.output_tokens:,} output tokens, {cheapest.model} costs least: "
            f"{format_money(cheapest.cost_per_success)} per successful task."
        )
    sentences = [f"{cost.model}: {_break_even_sentence(cost)}" for cost in costs]
    action = format_money(task.action_price)
    return f"Per-action price {action} per task. " + " ".join(sentences)


def _break_even_sentence(cost: TaskCost) -> str:
    comparison = cost.break_even
    assert comparison is not None  # only called for tasks with an action price
    typical = (
        f"at the typical {cost.task.output_tokens:,} tokens it costs "
        f"{format_money(cost.cost_per_success)} per successful task"
    )
    tokens = comparison.break_even_output_tokens
    if tokens is None:
        return f"per-action pricing is cheaper at any output length ({typical})."
    if tokens.is_infinite():
        return f"per-token pricing is cheaper at any output length ({typical})."
    return (
        f"per-action pricing is cheaper for this task when outputs exceed "
        f"{int(tokens):,} tokens ({typical})."
    )


def _single_task(costs: Sequence[TaskCost]):
    if not costs:
        raise ValueError("no model to draw: price the task for at least one model")
    names = {cost.task.name for cost in costs}
    if len(names) > 1:
        raise ValueError(f"one chart draws one task, got {', '.join(sorted(names))}")
    return costs[0].task


def _output_axis_end(costs: Sequence[TaskCost]) -> int:
    task = costs[0].task
    base = max(task.output_range[1] if task.output_range else 0, 2 * task.output_tokens, 1000)
    reachable = [
        int(tokens * Decimal("1.2"))
        for tokens in _finite_break_evens(costs)
        if tokens <= MAX_STRETCH * base
    ]
    return max([base, *reachable])


def _finite_break_evens(costs: Sequence[TaskCost]) -> list[Decimal]:
    found = []
    for cost in costs:
        tokens = cost.break_even.break_even_output_tokens if cost.break_even else None
        if tokens is not None and tokens.is_finite():
            found.append(tokens)
    return found


def _token_steps(top: int) -> list[int]:
    return [round(top * step / (LINE_POINTS - 1)) for step in range(LINE_POINTS)]


def _cost_row(cost: TaskCost, tokens: int) -> dict[str, Any]:
    amount = cost_per_success_at(cost, tokens)
    return {
        "model": cost.model,
        "output_tokens": tokens,
        "cost": float(amount),
        "cost_text": format_money(amount),
    }


def _typical_rule(tokens: int) -> list[alt.Chart]:
    import altair as alt

    data = alt.Data(values=[{"output_tokens": tokens, "label": f"typical {tokens:,}"}])
    base = alt.Chart(data).encode(x="output_tokens:Q")
    rule = base.mark_rule(strokeDash=[2, 3], color="#888")
    text = base.mark_text(align="left", dx=3, dy=-6, color="#555", baseline="top").encode(
        text="label:N", y=alt.value(0)
    )
    return [rule, text]


def _action_layers(costs: Sequence[TaskCost], top: int) -> list[alt.Chart]:
    import altair as alt

    price = costs[0].task.action_price
    assert price is not None
    label = f"{PER_ACTION} {format_money(price)}"
    flat = alt.Data(values=[{"cost": float(price), "label": label}])
    rule = alt.Chart(flat).mark_rule(color="black", strokeDash=[6, 4]).encode(y="cost:Q")
    rule_text = (
        alt.Chart(flat)
        .mark_text(align="right", dy=-7, color="black")
        .encode(y="cost:Q", text="label:N", x=alt.value(CHART_WIDTH - 4))
    )
    points = [_break_even_point(cost, index) for index, cost in enumerate(costs)]
    shown = [point for point in points if point is not None and point["output_tokens"] <= top]
    marks = alt.Chart(alt.Data(values=shown)).encode(
        x="output_tokens:Q", y="cost:Q", color=alt.Color("model:N", title="Model")
    )
    dots = marks.mark_point(filled=True, size=80, opacity=1).encode(
        tooltip=[alt.Tooltip("label:N", title="Break-even")]
    )
    # Labels alternate above and below the price line, so close break-evens stay readable.
    above = marks.transform_filter("datum.above").mark_text(
        align="center", dy=-12, fontWeight="bold"
    )
    below = marks.transform_filter("!datum.above").mark_text(
        align="center", dy=14, fontWeight="bold"
    )
    return [
        rule,
        rule_text,
        dots,
        above.encode(text="tokens_text:N"),
        below.encode(text="tokens_text:N"),
    ]


def _break_even_point(cost: TaskCost, index: int) -> dict[str, Any] | None:
    tokens = cost.break_even.break_even_output_tokens if cost.break_even else None
    price = cost.task.action_price
    if tokens is None or not tokens.is_finite() or price is None:
        return None
    return {
        "model": cost.model,
        "output_tokens": float(tokens),
        "cost": float(price),
        "label": f"{cost.model}: {int(tokens):,} tokens",
        "tokens_text": f"{int(tokens):,}",
        "above": index % 2 == 0,
    }


def _finish(chart: Any, description: str, title: str) -> Any:
    return chart.properties(
        width=CHART_WIDTH, height=CHART_HEIGHT, title=title, description=description
    ).configure_view(strokeWidth=0)


# ---------------------------------------------------------------------------------------------
# Monthly cost against volume


def volume_chart(costs: Sequence[TaskCost]) -> alt.Chart:
    """Draw monthly cost against tasks per month, per model and at the per-action price."""
    import altair as alt

    task = _single_task(costs)
    enable_offline_renderer()
    top = max(2 * task.monthly_volume, 100)
    volumes = [round(top * step / 10) for step in range(11)]
    rows = [
        _volume_row(cost.model, cost.cost_per_success, volume)
        for cost in costs
        for volume in volumes
    ]
    if task.action_price is not None:
        rows += [_volume_row(PER_ACTION, task.action_price, volume) for volume in volumes]
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_line(point=True)
        .encode(
            x=alt.X("volume:Q", title="Successful tasks per month", axis=alt.Axis(format=",.0f")),
            y=alt.Y("cost:Q", title="USD per month", axis=alt.Axis(format="$~s")),
            color=alt.Color("pricing:N", title="Pricing"),
            strokeDash=alt.StrokeDash("dashed:N", legend=None),
            tooltip=[
                alt.Tooltip("pricing:N", title="Pricing"),
                alt.Tooltip("volume:Q", title="Tasks per month", format=","),
                alt.Tooltip("cost_text:N", title="Per month"),
            ],
        )
    )
    marker = (
        alt.Chart(alt.Data(values=[{"volume": task.monthly_volume}]))
        .mark_rule(strokeDash=[2, 3], color="#888")
        .encode(x="volume:Q")
    )
    return _finish(alt.layer(chart, marker), volume_summary(costs), f"Monthly cost: {task.name}")


def _volume_row(pricing: str, per_task: Decimal, volume: int) -> dict[str, Any]:
    amount = per_task * volume
    return {
        "pricing": pricing,
        "volume": volume,
        "cost": float(amount),
        "cost_text": format_money(amount),
        "dashed": pricing == PER_ACTION,
    }


def volume_summary(costs: Sequence[TaskCost]) -> str:
    """Say what a month costs at the task's volume, per model and per action."""
    task = _single_task(costs)
    parts = [f"{cost.model} {format_money(cost.monthly_cost)}" for cost in costs]
    if task.action_price is not None:
        parts.append(f"per-action pricing {format_money(task.action_price * task.monthly_volume)}")
    return f"At {task.monthly_volume:,} successful tasks a month: {', '.join(parts)}."


# ---------------------------------------------------------------------------------------------
# Share of tasks that per-action pricing overpays


def overpaid_chart(
    costs: Sequence[TaskCost], distribution: OutputDistribution = "triangular"
) -> alt.Chart:
    """Draw, per model, the share of tasks for which the action price costs more.

    Raises:
        ValueError: The task has no action price or no output range.
    """
    import altair as alt

    task = _single_task(costs)
    if task.action_price is None or task.output_range is None:
        raise ValueError(
            f"task {task.name!r} needs an action price and an output range (low, high) "
            "for this chart"
        )
    enable_offline_renderer()
    rows = [_overpaid_row(cost, distribution) for cost in costs]
    base = alt.Chart(alt.Data(values=rows)).encode(
        y=alt.Y("model:N", title=None, sort=None),
        x=alt.X(
            "share:Q",
            title="Share of tasks where per-action pricing costs more",
            scale=alt.Scale(domain=[0, 1]),
            axis=alt.Axis(format="%"),
        ),
    )
    bars = base.mark_bar().encode(
        color=alt.Color("model:N", legend=None),
        tooltip=[alt.Tooltip("share_text:N", title="Share")],
    )
    labels = base.mark_text(align="left", dx=4).encode(text="share_text:N")
    chart = alt.layer(bars, labels)
    return chart.properties(
        width=CHART_WIDTH,
        height=max(40 * len(rows), 80),
        title=f"Per-action overpays: {task.name}",
        description=overpaid_summary(costs, distribution),
    ).configure_view(strokeWidth=0)


def _overpaid_row(cost: TaskCost, distribution: OutputDistribution) -> dict[str, Any]:
    share = overpaid_share(cost, distribution) or Decimal(0)
    return {"model": cost.model, "share": float(share), "share_text": _percent(share)}


def overpaid_summary(costs: Sequence[TaskCost], distribution: OutputDistribution) -> str:
    """Say for which share of tasks per-action pricing costs more, model by model."""
    task = _single_task(costs)
    if task.action_price is None or task.output_range is None:
        return f"Task {task.name!r} has no action price or no output range to compare."
    low, high = task.output_range
    spread = (
        f"triangular with its peak at {task.output_tokens:,}"
        if distribution == "triangular"
        else "uniform"
    )
    parts = [
        f"{_percent(overpaid_share(cost, distribution) or Decimal(0))} of tasks on {cost.model}"
        for cost in costs
    ]
    return (
        f"With outputs from {low:,} to {high:,} tokens ({spread}), per-action pricing "
        f"costs more than per-token pricing for {', '.join(parts)}."
    )


def _percent(share: Decimal) -> str:
    return f"{share * 100:.0f}%"
