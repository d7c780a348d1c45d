"""Compare a per-token bill with a fixed price per action and find the break-even point.

The per-token cost of one call grows linearly with its output tokens (the prompt,
cache and reasoning parts stay fixed), so the two prices are equal at exactly one
output length, unless the fixed part alone already costs more than the action.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Literal

from .costs import Usage, price_usage
from .prices import RateCard

Cheaper = Literal["per-token", "per-action", "equal"]

# Output tokens used to measure the marginal price of output. Pricing is linear in
# output tokens, so any size gives the same rate; one million keeps the Decimal exact.
_PROBE_TOKENS = 1_000_000


@dataclass(frozen=True)
class BreakEven:
    """Per-token cost of one call against a fixed price per action.

    Attributes:
        action_price: The vendor's fixed price for one action, in USD.
        cost_per_call: The per-token cost of one call with its stated output, in USD.
        fixed_cost: The per-token cost of the call with no output tokens, in USD.
        output_rate: The price of one more output token, in USD.
        break_even_output_tokens: Output tokens at which both prices are equal, or None
            when the per-token cost with no output already exceeds the action price.
        cheaper: Which pricing costs less for this call.
        saving_per_call: How much the cheaper pricing saves on one call, in USD.
    """

    action_price: Decimal
    cost_per_call: Decimal
    fixed_cost: Decimal
    output_rate: Decimal
    break_even_output_tokens: Decimal | None
    cheaper: Cheaper
    saving_per_call: Decimal

    def describe(self) -> str:
        """Say the result in one sentence, for a table footnote or a chart's text alternative."""
        if self.break_even_output_tokens is None:
            return (
                "Per-action pricing is cheaper at any output length: the prompt alone costs "
                "more per token than the action price."
            )
        if self.break_even_output_tokens.is_infinite():
            return "Per-token pricing is cheaper at any output length: output tokens cost nothing."
        tokens = f"{int(self.break_even_output_tokens):,}"
        return (
            f"Per-token pricing is cheaper while outputs stay under {tokens} tokens; "
            f"per-action pricing is cheaper above that."
        )


def break_even(
    card: RateCard, usage: Usage, action_price: Decimal, *, batch: bool = False
) -> BreakEven:
    """Compare the per-token cost of ``usage`` on ``card`` with a fixed ``action_price``.

    Args:
        card: The model's rates.
        usage: The tokens of one call.
        action_price: The vendor's fixed price per action, in USD.
        batch: Whether the per-token side runs through the provider's batch API.

    Returns:
        The comparison, with the break-even output length.

    Raises:
        ValueError: If ``action_price`` is negative.
    """
    if action_price < 0:
        raise ValueError(f"action price must be zero or more, got {action_price}")
    cost = price_usage(card, usage, batch=batch).total
    fixed = price_usage(card, replace(usage, output_tokens=0), batch=batch).total
    probe = price_usage(card, replace(usage, output_tokens=_PROBE_TOKENS), batch=batch).total
    output_rate = (probe - fixed) / _PROBE_TOKENS
    return BreakEven(
        action_price=action_price,
        cost_per_call=cost,
        fixed_cost=fixed,
        output_rate=output_rate,
        break_even_output_tokens=_break_even_tokens(fixed, output_rate, action_price),
        cheaper=_cheaper(cost, action_price),
        saving_per_call=abs(action_price - cost),
    )


def _break_even_tokens(fixed: Decimal, rate: Decimal, action_price: Decimal) -> Decimal | None:
    if fixed > action_price:
        return None
    if rate == 0:
        # Output is free, so per-token pricing stays cheaper at any length.
        return Decimal("Infinity")
    return (action_price - fixed) / rate


def _cheaper(cost: Decimal, action_price: Decimal) -> Cheaper:
    if cost < action_price:
        return "per-token"
    if cost > action_price:
        return "per-action"
    return "equal"
