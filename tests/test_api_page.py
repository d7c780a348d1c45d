"""The API reference page: hand-written signatures agree with the code."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import llmcost_jupyter

API_PAGE = Path(__file__).resolve().parent.parent / "docs" / "api.md"


def public_signature(cls: type) -> str:
    """Return the signature of ``cls`` without private parameters or annotations."""
    parameters = [
        parameter.replace(annotation=inspect.Parameter.empty)
        for parameter in inspect.signature(cls).parameters.values()
        if not parameter.name.startswith("_")
    ]
    return str(inspect.Signature(parameters))


def test_rate_card_signature_matches_the_class():
    # The page gives RateCard's signature by hand, so that the private _catalog_card field
    # does not show. It must list the public fields in the dataclass's order.
    text = API_PAGE.read_text(encoding="utf-8")
    match = re.search(r"^\.\. autoclass:: llmcost_jupyter\.RateCard(\(.*\))$", text, re.MULTILINE)
    assert match, "docs/api.md has no autoclass line with a signature for RateCard"
    assert match.group(1) == public_signature(llmcost_jupyter.RateCard)
    assert "_catalog_card" not in match.group(1)
