"""Widgets to edit rates and tasks, explore per-action break-even and choose a model.

Each widget is a thin view over library functions: the rate editor over ``prices.set_rates``
and ``settings_io``, the task editor over ``tasks``, the explorer over ``charts`` and the model
chooser over ``choosing.choose_model``. ipywidgets and altair are imported only when a widget
is made, so that ``import llmcost_jupyter`` stays light.

>>> from llmcost_jupyter.widgets import rate_editor
>>> rate_editor(["gpt-4o", "claude-sonnet-4-5"])  # doctest: +SKIP
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# Public name -> module that defines it, loaded on first attribute access.
_EXPORTS = {
    "RateEditor": "_rate_editor",
    "rate_editor": "_rate_editor",
    "TaskEditor": "_task_editor",
    "task_editor": "_task_editor",
    "BreakEvenExplorer": "_explorer",
    "breakeven_explorer": "_explorer",
    "ModelChooser": "_chooser",
    "model_chooser": "_chooser",
}

__all__ = list(_EXPORTS)

if TYPE_CHECKING:
    from ._chooser import ModelChooser, model_chooser
    from ._explorer import BreakEvenExplorer, breakeven_explorer
    from ._rate_editor import RateEditor, rate_editor
    from ._task_editor import TaskEditor, task_editor


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'llmcost_jupyter.widgets' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
