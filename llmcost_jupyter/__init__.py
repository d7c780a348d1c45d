"""Count and price LLM prompts, with exact offline token counts where a tokenizer is public.

The public API is re-exported here and loaded on first use, so that importing the
package (and ``%load_ext llmcost_jupyter``) stays fast:

>>> from llmcost_jupyter import estimate
>>> report = estimate("Summarise this memo.", ["gpt-4o"], output_tokens=200)  # doctest: +SKIP

Exceptions: every error caused by user input is a ``ValueError`` or ``LookupError``
subclass: ``InvalidRequestError`` (an option), ``InvalidUsageError`` (token counts),
``InvalidRateError`` (a rate), ``BatchNotAvailableError``, ``InvalidTokenizerError``,
``UnknownModelError`` (a ``LookupError`` with ``.suggestions``). ``RemoteCountError``
reports a failed opt-in call to a provider's counting API.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Public name -> module that defines it. Modules load on first attribute access.
_EXPORTS = {
    "estimate": "report",
    "CostReport": "report",
    "ModelEstimate": "report",
    "InvalidRequestError": "report",
    "count_tokens": "counting",
    "TokenCount": "counting",
    "set_estimate_ratio": "counting",
    "InvalidTokenizerError": "counting",
    "get_rate_card": "prices",
    "search_models": "prices",
    "set_rates": "prices",
    "clear_rates": "prices",
    "add_custom_model": "prices",
    "RateCard": "prices",
    "UnknownModelError": "prices",
    "InvalidRateError": "prices",
    "Usage": "costs",
    "CostBreakdown": "costs",
    "price_usage": "costs",
    "InvalidUsageError": "costs",
    "BatchNotAvailableError": "costs",
    "break_even": "breakeven",
    "BreakEven": "breakeven",
    "price_response": "usage_records",
    "usage_from_response": "usage_records",
    "session_ledger": "ledger",
    "Ledger": "ledger",
    "RemoteCountError": "remote_count",
    "price_frame": "bulk",
    "count_texts": "bulk",
    "PricedFrame": "bulk",
    "ModelTotals": "bulk",
    "IncompleteResultWarning": "bulk",
}

__all__ = ["__version__", "load_ipython_extension", "unload_ipython_extension", *_EXPORTS]

if TYPE_CHECKING:
    from .breakeven import BreakEven, break_even
    from .bulk import IncompleteResultWarning, ModelTotals, PricedFrame, count_texts, price_frame
    from .costs import (
        BatchNotAvailableError,
        CostBreakdown,
        InvalidUsageError,
        Usage,
        price_usage,
    )
    from .counting import InvalidTokenizerError, TokenCount, count_tokens, set_estimate_ratio
    from .ledger import Ledger, session_ledger
    from .prices import (
        InvalidRateError,
        RateCard,
        UnknownModelError,
        add_custom_model,
        clear_rates,
        get_rate_card,
        search_models,
        set_rates,
    )
    from .remote_count import RemoteCountError
    from .report import CostReport, InvalidRequestError, ModelEstimate, estimate
    from .usage_records import price_response, usage_from_response


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'llmcost_jupyter' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


def load_ipython_extension(ipython: Any) -> None:
    """Register ``%%llmcost`` and ``%llmcost`` (called by ``%load_ext llmcost_jupyter``)."""
    from .magic import LLMCostMagics

    ipython.register_magics(LLMCostMagics)


def unload_ipython_extension(ipython: Any) -> None:
    """Nothing to undo: IPython keeps registered magics until the kernel restarts."""
