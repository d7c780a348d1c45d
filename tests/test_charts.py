"""Break-even, volume and overpaid-share charts: their data, text alternatives and offline HTML."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from decimal import Decimal

import pytest

from llmcost_jupyter import charts
from llmcost_jupyter.choosing import overpaid_share, task_costs
from llmcost_jupyter.tasks import Task

alt = pytest.importorskip("altair")

MODELS = ["gpt-4o", "claude-sonnet-4-5"]


@pytest.fixture(autouse=True)
def _default_renderer():
    """Give each test altair's default renderer and restore the one in force afterwards."""
    active = alt.renderers.active
    alt.renderers.enable("default")
    yield
    alt.renderers.enable(active)


def support(**changes) -> Task:
    fields = dict(
        name="support",
        input_tokens=1800,
        output_tokens=600,
        failure_rate="0.1",
        action_price="0.02",
        monthly_volume=20000,
        output_range=(100, 3000),
    )
    fields.update(changes)
    return Task(**fields)


def layer_data(spec: dict) -> list[list[dict]]:
    return [layer["data"]["values"] for layer in spec["layer"]]


def test_charts_module_imports_no_altair():
    code = (
        "import sys, llmcost_jupyter.charts\n"
        "print(sorted(m for m in ('altair', 'vl_convert', 'ipywidgets') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


# ---------------------------------------------------------------------------------------------
# Break-even chart


def test_breakeven_chart_describes_and_marks_break_even():
    costs = task_costs(support(), MODELS)
    spec = charts.breakeven_chart(costs).to_dict()
    assert spec["description"] == charts.breakeven_summary(costs)
    lines, *_, points_above, points_below = layer_data(spec)
    assert {row["model"] for row in lines} == set(MODELS)
    assert len(lines) == charts.LINE_POINTS * len(MODELS)
    marked = {row["model"]: row for row in points_above + points_below}
    for cost in costs:
        tokens = cost.break_even.break_even_output_tokens
        assert marked[cost.model]["output_tokens"] == float(tokens)
        assert marked[cost.model]["tokens_text"] == f"{int(tokens):,}"
        assert marked[cost.model]["cost"] == 0.02


def test_breakeven_summary_in_words():
    costs = task_costs(support(failure_rate=0), ["gpt-4o"])
    tokens = int(costs[0].break_even.break_even_output_tokens)
    summary = charts.breakeven_summary(costs)
    assert summary.startswith("Per-action price $0.02 per task. gpt-4o: per-action pricing is ")
    assert f"cheaper for this task when outputs exceed {tokens:,} tokens" in summary
    assert "at the typical 600 tokens it costs $0.0105 per successful task" in summary


def test_breakeven_summary_edges():
    always_action = task_costs(support(action_price="0.000001"), ["gpt-4o"])
    assert "per-action pricing is cheaper at any output length" in charts.breakeven_summary(
        always_action
    )
    no_price = task_costs(support(action_price=None), MODELS)
    summary = charts.breakeven_summary(no_price)
    assert summary.startswith("Task 'support' has no per-action price to compare with.")
    spec = charts.breakeven_chart(no_price).to_dict()
    assert len(spec["layer"]) == 3  # cost lines and the typical-length rule with its label


def test_breakeven_chart_leaves_far_break_even_off_axis():
    costs = task_costs(support(action_price="5"), ["gpt-4o"])
    spec = charts.breakeven_chart(costs).to_dict()
    top = spec["layer"][0]["encoding"]["x"]["scale"]["domain"][1]
    tokens = costs[0].break_even.break_even_output_tokens
    assert tokens > top
    assert all(not rows for rows in layer_data(spec)[-2:])
    assert f"{int(tokens):,} tokens" in spec["description"]


def test_chart_rejects_empty_and_mixed_tasks():
    with pytest.raises(ValueError, match="at least one model"):
        charts.breakeven_chart([])
    mixed = task_costs(support(), ["gpt-4o"]) + task_costs(support(name="other"), ["gpt-4o"])
    with pytest.raises(ValueError, match="one chart draws one task"):
        charts.volume_chart(mixed)


# ---------------------------------------------------------------------------------------------
# Volume and overpaid charts


def test_volume_chart_rows_and_summary():
    costs = task_costs(support(), MODELS)
    spec = charts.volume_chart(costs).to_dict()
    rows = spec["layer"][0]["data"]["values"]
    assert {row["pricing"] for row in rows} == {*MODELS, "per-action price"}
    at_volume = [row for row in rows if row["volume"] == 20000]
    action = next(row for row in at_volume if row["pricing"] == "per-action price")
    assert action["cost_text"] == "$400.00"
    assert spec["description"].startswith("At 20,000 successful tasks a month: gpt-4o $")
    assert spec["description"].endswith("per-action pricing $400.00.")


def test_overpaid_chart_shares_match_library():
    costs = task_costs(support(), MODELS)
    spec = charts.overpaid_chart(costs, "uniform").to_dict()
    rows = spec["data"]["values"]  # bars and labels share one data set, kept at the top
    for row, cost in zip(rows, costs):
        assert row["share"] == float(overpaid_share(cost, "uniform"))
    assert "(uniform)" in spec["description"]
    triangular = charts.overpaid_summary(costs, "triangular")
    assert triangular.startswith(
        "With outputs from 100 to 3,000 tokens (triangular with its peak at 600), per-action "
        "pricing costs more than per-token pricing for "
    )


def test_overpaid_chart_needs_range_and_price():
    with pytest.raises(ValueError, match="needs an action price and an output range"):
        charts.overpaid_chart(task_costs(support(output_range=None), MODELS))


# ---------------------------------------------------------------------------------------------
# Offline HTML


def test_chart_html_draws_from_bundled_library():
    chart = charts.volume_chart(task_costs(support(), MODELS))
    html_text = charts.chart_html(chart)
    assert "window.vegaEmbed" in html_text
    assert "typeof window.vegaEmbed === 'function'" in html_text
    assert len(html_text) > 500_000  # the Vega bundle is inside
    assert not re.search(r"<script[^>]+src=", html_text)
    assert "cdn.jsdelivr.net" not in html_text
    assert '"editor": false' in html_text
    caption = re.search(r"<figcaption[^>]*>(.*?)</figcaption>", html_text).group(1)
    assert caption == charts.volume_summary(task_costs(support(), MODELS))
    assert "mathjax_ignore" in html_text


def test_chart_html_without_library_is_small():
    chart = charts.volume_chart(task_costs(support(), MODELS))
    html_text = charts.chart_html(chart, include_library=False)
    assert len(html_text) < 50_000
    assert "setTimeout(draw, 100)" in html_text


def test_chart_html_escapes_script_end_in_spec():
    spec = {"description": "a </script><b>x</b>", "mark": "point"}
    html_text = charts.chart_html(spec, include_library=False)
    assert html_text.count("</script>") == 1
    assert "a &lt;/script&gt;&lt;b&gt;x&lt;/b&gt;" in html_text
    embedded = re.search(r"vegaEmbed\(element, (\{.*?\}), \{", html_text).group(1)
    assert json.loads(embedded.replace("<\\/", "</")) == spec


def test_two_chart_outputs_share_one_library_load():
    library = charts.vega_library_html()
    assert library.startswith("<script>\n(function () {\nif (typeof window.vegaEmbed")
    assert library.rstrip().endswith("})();\n</script>")


# ---------------------------------------------------------------------------------------------
# Renderer


def test_making_a_chart_enables_offline_renderer():
    assert alt.renderers.active == "default"
    chart = charts.volume_chart(task_costs(support(), MODELS))
    assert alt.renderers.active == charts.OFFLINE_RENDERER
    bundle = chart._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "llmcost-chart" in data["text/html"]
    assert data["text/plain"] == chart.to_dict()["description"]


def test_user_chosen_renderer_is_kept():
    alt.renderers.enable("svg")
    charts.volume_chart(task_costs(support(), MODELS))
    assert alt.renderers.active == "svg"


def test_chart_amounts_are_decimal_exact_in_text():
    costs = task_costs(support(action_price=Decimal("0.0123")), ["gpt-4o"])
    assert "Per-action price $0.0123 per task." in charts.breakeven_summary(costs)
