"""Argument types shared by the ``%%llmcost`` magic and the ``llmcost`` command.

Each type reads one option's text and raises ``argparse.ArgumentTypeError`` with the
value and the expected form, which argparse turns into a one-line usage error.
"""

from __future__ import annotations

import argparse
from decimal import Decimal

from .tasks import strip_thousands_separators


def whole_number(text: str) -> int:
    """Read a count of 0 or more; ``,`` may separate groups of three digits."""
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more, got {text!r}")
    return value


def positive_number(text: str) -> int:
    """Read a count of 1 or more; ``,`` may separate groups of three digits."""
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more, got {text!r}")
    return value


def _integer(text: str) -> int:
    try:
        # A comma counts only between groups of three digits: "0,50" is not 50.
        return int(strip_thousands_separators(text.strip()).replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def amount(text: str) -> Decimal:
    """Read an amount of USD such as ``2.50`` or ``$2.50``."""
    from .report import InvalidRequestError, parse_money

    try:
        return parse_money("amount", text)
    except InvalidRequestError:
        raise argparse.ArgumentTypeError(
            f"expected an amount in USD such as 2.50, got {text!r}"
        ) from None


def tokens_or_share(text: str) -> str:
    """Check a cache option: a token count such as ``1200`` or a share such as ``40%``."""
    stripped = text.strip()
    if not stripped.endswith("%"):
        try:
            whole_number(stripped)
        except argparse.ArgumentTypeError:
            raise argparse.ArgumentTypeError(
                f"expected a token count such as 1200 or a share such as 40%, got {text!r}"
            ) from None
    return stripped


def split_cache(text: str | None) -> tuple[int | None, str | None]:
    """Split a checked cache option into (token count, share); one or both are None."""
    if text is None:
        return None, None
    if text.endswith("%"):
        return None, text
    return whole_number(text), None
