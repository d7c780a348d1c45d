"""Run notebooks/widgets_demo.ipynb in JupyterLab and use its widgets from the keyboard.

The test types a new rate into the rate editor. It checks that the explorer's chart redraws and
that the next ``%%llmcost`` output uses the new rate, then moves a slider with the arrow keys.
Every chart must have drawn with Vega (an ``svg.marks`` inside ``.vega-embed``), and no request
may leave 127.0.0.1. Screenshots for a person to look at go to test-artifacts/browser/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from llmcost_jupyter import prices
from llmcost_jupyter.display import format_money
from llmcost_jupyter.report import estimate

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTEBOOK = "widgets_demo.ipynb"
KERNEL_IDLE = "Python 3 (ipykernel) | Idle"
# The prompt of the notebook's last cell, priced here to know what the page must show.
MAGIC_PROMPT = "Reply to this customer: my order arrived damaged, what can I do?"
MAGIC_OUTPUT_TOKENS = 600
NEW_OUTPUT_RATE = "25"
# Explorer charts plus the chart displayed on its own.
EXPECTED_CHARTS = 4
KERNEL_TIMEOUT_MS = 120_000
CELL_TIMEOUT_MS = 120_000
REDRAW_TIMEOUT_MS = 30_000


def _wait_kernel_idle(page) -> None:
    # The toolbar reports idle before the kernel has started; the status bar does not.
    page.locator("#jp-main-statusbar").get_by_text(KERNEL_IDLE).wait_for(timeout=KERNEL_TIMEOUT_MS)


def _run_all_cells(page) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()


def _code_cells(page):
    return page.locator(".jp-Notebook .jp-CodeCell")


def _wait_all_cells_ran(page) -> None:
    """Wait until every code cell's prompt shows an execution number."""
    page.wait_for_function(
        """() => {
            const selector = '.jp-Notebook .jp-CodeCell .jp-InputPrompt';
            const prompts = [...document.querySelectorAll(selector)];
            return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
        }""",
        timeout=CELL_TIMEOUT_MS,
    )


def _prompt_number(cell) -> int:
    text = cell.locator(".jp-InputPrompt").inner_text()
    match = re.search(r"\[(\d+)\]", text)
    return int(match.group(1)) if match else -1


def _assert_charts_drawn(page, count: int) -> None:
    charts = page.locator(".llmcost-chart")
    charts.nth(count - 1).wait_for(timeout=REDRAW_TIMEOUT_MS)
    assert charts.count() == count
    for index in range(count):
        chart = charts.nth(index)
        # A bare svg could be any icon; Vega's drawing has the class "marks" in .vega-embed.
        chart.locator(".vega-embed svg.marks").wait_for(timeout=REDRAW_TIMEOUT_MS)
        caption = chart.locator("figcaption").text_content() or ""
        labels = chart.locator(".vega-embed [aria-label]").evaluate_all(
            "nodes => nodes.map(n => n.tagName + ': ' + n.getAttribute('aria-label'))"
        )
        outer = chart.locator(".vega-embed").evaluate("n => n.outerHTML.slice(0, 600)")
        assert caption, f"chart {index} has no caption"
        assert any(caption in label for label in labels), (labels, outer)


def _expected_output_cost(rate: str | None) -> str:
    prices.reset_registry()
    if rate is not None:
        prices.set_rates("gpt-4o", output=rate)
    report = estimate(MAGIC_PROMPT, ["gpt-4o"], output_tokens=MAGIC_OUTPUT_TOKENS)
    prices.reset_registry()
    return format_money(report["gpt-4o"].cost.output)


def _explorer_caption(page):
    return page.locator(".llmcost-explorer figcaption.llmcost-chart-caption").first


def _screenshot(locator, path: Path) -> None:
    locator.screenshot(path=str(path))


def test_widgets_demo_runs_and_reacts(lab, browser_page, artifacts: Path) -> None:
    page, record = browser_page
    page.goto(lab.notebook_url(NOTEBOOK, "widgets-demo"))
    _wait_kernel_idle(page)
    _run_all_cells(page)
    _wait_all_cells_ran(page)
    _wait_kernel_idle(page)

    errors = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
    assert errors.count() == 0, errors.all_inner_texts()
    _assert_charts_drawn(page, EXPECTED_CHARTS)
    page.screenshot(path=str(artifacts / "lab-notebook.png"), full_page=True)
    _screenshot(page.locator(".llmcost-rate-editor"), artifacts / "lab-rate-editor.png")
    _screenshot(page.locator(".llmcost-task-editor"), artifacts / "lab-task-editor.png")
    _screenshot(page.locator(".llmcost-explorer"), artifacts / "lab-explorer.png")
    _screenshot(page.locator(".llmcost-chooser"), artifacts / "lab-chooser.png")

    magic_cell = _code_cells(page).last
    old_cost = _expected_output_cost(None)
    new_cost = _expected_output_cost(NEW_OUTPUT_RATE)
    assert old_cost != new_cost
    assert old_cost in (magic_cell.locator(".jp-OutputArea").text_content() or "")

    # Type a new output rate for gpt-4o, found by its label as a screen reader would.
    caption = _explorer_caption(page)
    caption_before = (caption.text_content() or "")
    field = page.get_by_label("gpt-4o output", exact=True)
    field.click()
    field.press("Control+A")
    field.press_sequentially(NEW_OUTPUT_RATE)
    field.press("Enter")
    page.locator(".llmcost-rate-editor").get_by_text("catalog: $10 / MTok").first.wait_for(
        timeout=REDRAW_TIMEOUT_MS
    )
    page.wait_for_function(
        "([selector, before]) => { const c = document.querySelector(selector);"
        " return c && c.textContent !== before; }",
        arg=[".llmcost-explorer figcaption.llmcost-chart-caption", caption_before],
        timeout=REDRAW_TIMEOUT_MS,
    )
    _assert_charts_drawn(page, EXPECTED_CHARTS)
    _screenshot(page.locator(".llmcost-rate-editor"), artifacts / "lab-rate-editor-edited.png")

    # Run the magic cell again: its output must use the rate typed above.
    number_before = _prompt_number(magic_cell)
    magic_cell.locator(".jp-InputArea-editor").click()
    # Ctrl+Enter runs the cell in place; Shift+Enter would add a cell below the last one.
    page.keyboard.press("Control+Enter")
    page.wait_for_function(
        """([index, before]) => {
            const cell = document.querySelectorAll('.jp-Notebook .jp-CodeCell')[index];
            const match = cell.querySelector('.jp-InputPrompt').textContent.match(/\\[(\\d+)\\]/);
            return match && Number(match[1]) > before;
        }""",
        arg=[_code_cells(page).count() - 1, number_before],
        timeout=CELL_TIMEOUT_MS,
    )
    magic_output = (magic_cell.locator(".jp-OutputArea").text_content() or "")
    assert new_cost in magic_output
    assert "user-set output" in magic_output
    _screenshot(magic_cell, artifacts / "lab-magic-after-edit.png")

    # Move the explorer's output-token slider with the keyboard.
    caption_before = (_explorer_caption(page).text_content() or "")
    handle = page.locator(".llmcost-explorer .widget-hslider").first.locator(".noUi-handle")
    handle.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "([selector, before]) => { const c = document.querySelector(selector);"
        " return c && c.textContent !== before; }",
        arg=[".llmcost-explorer figcaption.llmcost-chart-caption", caption_before],
        timeout=REDRAW_TIMEOUT_MS,
    )
    assert "typical 650 tokens" in (_explorer_caption(page).text_content() or "")
    _assert_charts_drawn(page, EXPECTED_CHARTS)
    _screenshot(page.locator(".llmcost-explorer"), artifacts / "lab-explorer-after-slider.png")

    assert record.blocked == []
    assert record.page_errors == []
    assert [line for line in record.console if line.startswith("error:")] == []


def test_outside_request_is_blocked_and_recorded(browser_page) -> None:
    # Proves that the route above can fail the test: a request to another host is
    # aborted and recorded, so an empty record means nothing left 127.0.0.1.
    page, record = browser_page
    with pytest.raises(Exception, match="net::ERR_FAILED"):
        page.goto("https://example.com/")
    assert record.blocked == ["https://example.com/"]
