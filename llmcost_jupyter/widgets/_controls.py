"""Controls shared by the widgets: labelled fields, a message line and change notices for rates.

Every field gets a ``description``, which ipywidgets renders as a ``<label>`` tied to the input,
so screen readers announce it. Fields inside a table keep that label but at zero width, because
the table's row and column headings already show it on screen.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from pathlib import Path

import ipywidgets as widgets

logger = logging.getLogger(__name__)

INVALID_CLASS = "llmcost-invalid"
# Dims output that no longer matches the controls, such as a chart after an invalid change.
STALE_CLASS = "llmcost-stale"
# JupyterLab typesets text between two dollar signs as LaTeX, even in widget HTML; MathJax 3
# skips elements with the first class, MathJax 2 (the classic notebook) those with the second.
NO_MATH_CLASSES = "mathjax_ignore tex2jax_ignore"
# Styles for the classes the widgets add; shown once at the top of every widget.
STYLE = f"""<style>
.{INVALID_CLASS} input, .{INVALID_CLASS} textarea {{
  border-color: #c0392b !important; background: #fdecea !important; }}
.llmcost-edited input {{ background: #fff8d6; font-weight: bold; }}
.llmcost-catalog {{ font-size: 85%; color: #555; line-height: 1.2; }}
.llmcost-heading {{ font-weight: bold; }}
.llmcost-message-error {{ color: #a93226; }}
.llmcost-message-ok {{ color: #1e6b34; }}
.{STALE_CLASS} {{ opacity: 0.35; }}
.llmcost-choice-table td, .llmcost-choice-table th {{
  padding: 2px 8px; text-align: right; }}
.llmcost-choice-table th:first-child, .llmcost-choice-table td:first-child {{
  text-align: left; }}
</style>"""


def style_block() -> widgets.HTML:
    """Return an HTML widget with the styles of the classes the widgets use."""
    return widgets.HTML(STYLE, layout=widgets.Layout(height="0px", overflow="hidden"))


def text_field(
    label: str,
    value: str = "",
    *,
    placeholder: str = "",
    tooltip: str = "",
    width: str = "320px",
    label_width: str = "150px",
) -> widgets.Text:
    """Return a text field that sends its value on Enter or when it loses focus."""
    return widgets.Text(
        value=value,
        description=label,
        placeholder=placeholder,
        tooltip=tooltip or label,
        continuous_update=False,
        style={"description_width": label_width},
        layout=widgets.Layout(width=width),
    )


def table_field(accessible_label: str, value: str = "", *, placeholder: str = "") -> widgets.Text:
    """Return a text field for a table cell: labelled for screen readers, not on screen."""
    field = text_field(
        accessible_label, value, placeholder=placeholder, width="150px", label_width="0px"
    )
    field.add_class("llmcost-table-field")
    return field


def button(label: str, tooltip: str, *, style: str = "") -> widgets.Button:
    """Return a button with a tooltip that describes its action."""
    return widgets.Button(
        description=label,
        tooltip=tooltip,
        button_style=style,
        layout=widgets.Layout(width="auto"),
    )


def no_math(html_text: str) -> str:
    """Wrap HTML so that dollar amounts in it are not typeset as LaTeX."""
    return f'<div class="{NO_MATH_CLASSES}">{html_text}</div>'


def mark_invalid(field: widgets.Widget, invalid: bool) -> None:
    """Show or clear the error style of a field."""
    if invalid:
        field.add_class(INVALID_CLASS)
    else:
        field.remove_class(INVALID_CLASS)


def sentence(text: str) -> str:
    """Return ``text`` with one closing full stop, keeping a closing question mark."""
    text = text.rstrip()
    return text if text.endswith((".", "?", "!")) else f"{text}."


def file_name_problem(target: str, example: str) -> str | None:
    """Return why ``target`` cannot name a settings file, or None when it can.

    Args:
        target: The path typed in a file field.
        example: A file name to suggest, such as ``"rates.json"``.
    """
    if not target.strip():
        return f"No file name given: type one, such as {example}."
    if Path(target).is_dir():
        return f"{target!r} is a folder: give a file name such as {example}."
    return None


def settings_file(
    path: str | None, field: widgets.Text, example: str, message: MessageLine
) -> str | None:
    """Return the file an editor saves to or loads from, or show why there is none.

    Args:
        path: A path given in code, which wins over the editor's file field.
        field: The editor's file field.
        example: A file name to suggest, such as ``"rates.json"``.
        message: The editor's message line, which shows the problem.
    """
    target = path or field.value
    problem = file_name_problem(target, example)
    if problem is not None:
        message.show(problem, error=True)
        return None
    return target


def write_failure(target: str, err: OSError) -> str:
    """Describe a failed write of ``target`` without the temporary file's name."""
    reason = err.strerror or str(err)
    return f"{target} could not be written: {reason}."


class MessageLine:
    """A line under a widget for results and errors, announced by screen readers."""

    def __init__(self) -> None:
        self.widget = widgets.HTML("")
        self.text = ""
        self.error = False

    def show(self, text: str, *, error: bool = False) -> None:
        """Show ``text``, as an alert when ``error`` is True."""
        self.text = text
        self.error = error
        role = "alert" if error else "status"
        kind = "error" if error else "ok"
        self.widget.value = (
            f'<div role="{role}" class="llmcost-message-{kind} {NO_MATH_CLASSES}">'
            f"{html.escape(text)}</div>"
        )

    def clear(self) -> None:
        """Remove the message."""
        self.text = ""
        self.error = False
        self.widget.value = ""


# ---------------------------------------------------------------------------------------------
# Change notices for rates

RatesListener = Callable[[], None]
_rate_listeners: list[RatesListener] = []


def on_rates_changed(listener: RatesListener) -> Callable[[], None]:
    """Call ``listener()`` after a widget changes rates; return a function that unsubscribes.

    NOTE: ``prices.set_rates`` has no change notices of its own, so a rate set in code reaches
    an open explorer only at its next redraw.
    """
    _rate_listeners.append(listener)

    def unsubscribe() -> None:
        if listener in _rate_listeners:
            _rate_listeners.remove(listener)

    return unsubscribe


def rates_changed() -> None:
    """Tell every listener that rates changed."""
    for listener in list(_rate_listeners):
        try:
            listener()
        except Exception:
            # One broken view must not stop the others from redrawing.
            logger.exception("rate listener %r failed", listener)
