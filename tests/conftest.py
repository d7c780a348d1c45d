"""Shared fixtures: a real IPython shell with the extension loaded, and clean global state."""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell


@pytest.fixture(autouse=True)
def _clean_state():
    """Reset rate overrides, custom models and the session ledger around every test."""
    from llmcost_jupyter import counting, ledger, prices, tasks

    prices.reset_registry()
    counting.reset_estimate_ratios()
    tasks.clear_tasks()
    ledger.session_ledger().clear()
    ledger.session_ledger().session_budget = None
    ledger.session_ledger().cell_budget = None
    yield
    prices.reset_registry()
    counting.reset_estimate_ratios()
    tasks.clear_tasks()
    ledger.session_ledger().clear()


@pytest.fixture()
def shell():
    """A real InteractiveShell with ``%load_ext llmcost_jupyter`` run and a fresh namespace."""
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "llmcost_jupyter")
    magics = ip.magics_manager.registry["LLMCostMagics"]
    saved_ns = dict(ip.user_ns)
    yield ip
    ip.user_ns.clear()
    ip.user_ns.update(saved_ns)
    for name in magics.trait_names(config=True):
        magics.set_trait(name, magics.trait_defaults(name))
