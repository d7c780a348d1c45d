"""Token usage read from real API responses, and the price of a response.

Four response shapes are read, as dicts (decoded JSON) or as SDK objects with attributes:

- OpenAI Chat Completions: ``usage.prompt_tokens`` and ``usage.completion_tokens``, where the
  completion count includes ``completion_tokens_details.reasoning_tokens``.
- OpenAI Responses API: ``usage.input_tokens`` and ``usage.output_tokens``, with
  ``input_tokens_details.cached_tokens`` and ``output_tokens_details.reasoning_tokens``.
- Anthropic Messages: ``usage.input_tokens`` counts only the uncached prompt tokens, so the
  prompt is ``input_tokens + cache_read_input_tokens + cache_creation_input_tokens``.
- Gemini ``generateContent``: ``usageMetadata.promptTokenCount`` includes
  ``cachedContentTokenCount``, and ``candidatesTokenCount`` excludes ``thoughtsTokenCount``.
  The Python SDK's snake_case names (``usage_metadata.prompt_token_count``) work too.

Audio, image and tool-call details are not split out: such tokens are priced as text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .costs import CostBreakdown, Usage, price_usage
from .prices import RateCard, get_rate_card

__all__ = ["RESPONSE_SHAPES", "price_response", "usage_from_response"]

OPENAI_CHAT = "openai-chat"
OPENAI_RESPONSES = "openai-responses"
ANTHROPIC = "anthropic"
GEMINI = "gemini"
RESPONSE_SHAPES = (OPENAI_CHAT, OPENAI_RESPONSES, ANTHROPIC, GEMINI)

# Shapes each provider's API returns, tried in this order when the provider is given.
PROVIDER_SHAPES = {
    "openai": (OPENAI_CHAT, OPENAI_RESPONSES),
    "azure": (OPENAI_CHAT, OPENAI_RESPONSES),
    "anthropic": (ANTHROPIC,),
    "google": (GEMINI,),
}

# Usage keys that only an Anthropic Messages response has.
ANTHROPIC_ONLY_KEYS = ("cache_read_input_tokens", "cache_creation_input_tokens", "cache_creation")


def usage_from_response(
    response: Mapping[str, Any] | object, *, provider: str | None = None
) -> tuple[str | None, Usage]:
    """Read the token usage of one API response.

    Args:
        response: A whole response (or just its ``usage`` part) as a dict or an SDK object.
        provider: ``"openai"``, ``"azure"``, ``"anthropic"`` or ``"google"`` to skip shape
            detection; None detects the shape from the keys present.

    Returns:
        The model id named in the response, or None, and the usage in this package's terms:
        ``input_tokens`` counts every prompt token, cached ones included, and
        ``output_tokens`` excludes reasoning tokens.

    Raises:
        ValueError: The shape is not one of the four supported, the provider is unknown, or a
            count is missing or not a whole number. The message lists the keys seen.
    """
    shape = _detect_shape(response, provider)
    return _model_of(response), SHAPE_READERS[shape](response)


def price_response(
    response: Mapping[str, Any] | object,
    *,
    model: str | None = None,
    provider: str | None = None,
    batch: bool = False,
) -> tuple[RateCard, Usage, CostBreakdown]:
    """Price one API response from the usage it reports.

    Args:
        response: A response as for :func:`usage_from_response`.
        model: Model to price with; defaults to the model named in the response.
        provider: Provider of the response, as for :func:`usage_from_response`; also used to
            look up the rate card.
        batch: Apply the provider's batch discount.

    Returns:
        The rate card used, the usage read and the cost.

    Raises:
        ValueError: The response has no usage in a supported shape, or names no model and
            ``model`` is None.
        UnknownModelError: The model is not in the catalog or the custom models.
        BatchNotAvailableError: ``batch`` is True and the provider has no known batch discount.
    """
    found_model, usage = usage_from_response(response, provider=provider)
    name = model or found_model
    if not name:
        raise ValueError("The response names no model: pass model=..., such as model='gpt-4o'.")
    card = get_rate_card(name, provider=provider)
    return card, usage, price_usage(card, usage, batch=batch)


# ---------------------------------------------------------------------------------------------
# Shape detection


def _detect_shape(response: object, provider: str | None) -> str:
    if provider is not None:
        return _shape_for_provider(response, provider)
    if _usage_metadata(response) is not None:
        return GEMINI
    usage = _usage_root(response)
    if usage is not None and _has(usage, "prompt_tokens", "completion_tokens"):
        return OPENAI_CHAT
    if usage is not None and _has(usage, "input_tokens", "output_tokens"):
        is_message = _get(response, "type") == "message"
        return ANTHROPIC if is_message or _has(usage, *ANTHROPIC_ONLY_KEYS) else OPENAI_RESPONSES
    raise ValueError(_unknown_shape_message(response))


def _shape_for_provider(response: object, provider: str) -> str:
    shapes = PROVIDER_SHAPES.get(provider.strip().lower())
    if shapes is None:
        raise ValueError(
            f"Unknown provider {provider!r} for reading a response; "
            f"use one of {', '.join(sorted(PROVIDER_SHAPES))}, or None to detect the shape."
        )
    for shape in shapes:
        if SHAPE_MATCHERS[shape](response):
            return shape
    raise ValueError(_unknown_shape_message(response, provider))


def _unknown_shape_message(response: object, provider: str | None = None) -> str:
    expected = f"a {provider} response" if provider else "an OpenAI, Anthropic or Gemini response"
    usage = _usage_root(response)
    usage_keys = (
        f"; usage keys: {', '.join(_keys(usage))}"
        if usage is not None and usage is not response
        else ""
    )
    return (
        f"No token usage found: expected {expected} with a 'usage' or 'usageMetadata' part. "
        f"Keys seen: {', '.join(_keys(response)) or 'none'}{usage_keys}."
    )


def _matches_chat(response: object) -> bool:
    usage = _usage_root(response)
    return usage is not None and _has(usage, "prompt_tokens", "completion_tokens")


def _matches_input_output(response: object) -> bool:
    usage = _usage_root(response)
    return usage is not None and _has(usage, "input_tokens", "output_tokens")


def _matches_gemini(response: object) -> bool:
    return _usage_metadata(response) is not None


# ---------------------------------------------------------------------------------------------
# Readers, one per shape


def _read_openai_chat(response: object) -> Usage:
    return _read_openai(response, prompt="prompt_tokens", completion="completion_tokens")


def _read_openai_responses(response: object) -> Usage:
    return _read_openai(response, prompt="input_tokens", completion="output_tokens")


def _read_openai(response: object, *, prompt: str, completion: str) -> Usage:
    """Read OpenAI usage, whose completion count includes the reasoning tokens.

    Chat Completions and the Responses API differ only in their key names: ``prompt`` and
    ``completion`` name the two counts, and each has a ``*_details`` object beside it.
    """
    usage = _usage_root(response)
    prompt_details = _get(usage, f"{prompt}_details")
    completion_tokens = _count(usage, completion)
    reasoning = _count(_get(usage, f"{completion}_details"), "reasoning_tokens")
    return _usage(
        f"{completion}_details.reasoning_tokens",
        input_tokens=_count(usage, prompt, required=True),
        output_tokens=completion_tokens - reasoning,
        reasoning_tokens=reasoning,
        cache_read_tokens=_count(prompt_details, "cached_tokens"),
        cache_write_5m_tokens=_count(prompt_details, "cache_write_tokens"),
    )


def _read_anthropic(response: object) -> Usage:
    usage = _usage_root(response)
    cache_read = _count(usage, "cache_read_input_tokens")
    write_5m, write_1h = _anthropic_cache_writes(usage)
    output = _count(usage, "output_tokens")
    thinking = _count(_get(usage, "output_tokens_details"), "thinking_tokens")
    return _usage(
        "output_tokens_details.thinking_tokens",
        input_tokens=_count(usage, "input_tokens", required=True)
        + cache_read
        + write_5m
        + write_1h,
        output_tokens=output - thinking,
        reasoning_tokens=thinking,
        cache_read_tokens=cache_read,
        cache_write_5m_tokens=write_5m,
        cache_write_1h_tokens=write_1h,
    )


def _anthropic_cache_writes(usage: object) -> tuple[int, int]:
    """Split Anthropic cache writes by lifetime; writes without a split are 5-minute writes."""
    split = _get(usage, "cache_creation")
    write_1h = _count(split, "ephemeral_1h_input_tokens")
    if _get(usage, "cache_creation_input_tokens") is None:
        return _count(split, "ephemeral_5m_input_tokens"), write_1h
    write_5m = _count(usage, "cache_creation_input_tokens") - write_1h
    if write_5m < 0:
        raise ValueError(
            f"Invalid Anthropic usage: cache_creation.ephemeral_1h_input_tokens ({write_1h}) "
            f"exceeds cache_creation_input_tokens ({write_5m + write_1h})."
        )
    return write_5m, write_1h


def _read_gemini(response: object) -> Usage:
    metadata = _usage_metadata(response)
    prompt = _count(metadata, "promptTokenCount", "prompt_token_count")
    tool_prompt = _count(metadata, "toolUsePromptTokenCount", "tool_use_prompt_token_count")
    return _usage(
        "usageMetadata",
        input_tokens=prompt + tool_prompt,
        output_tokens=_count(metadata, "candidatesTokenCount", "candidates_token_count"),
        reasoning_tokens=_count(metadata, "thoughtsTokenCount", "thoughts_token_count"),
        cache_read_tokens=_count(metadata, "cachedContentTokenCount", "cached_content_token_count"),
    )


SHAPE_READERS: dict[str, Callable[[object], Usage]] = {
    OPENAI_CHAT: _read_openai_chat,
    OPENAI_RESPONSES: _read_openai_responses,
    ANTHROPIC: _read_anthropic,
    GEMINI: _read_gemini,
}
SHAPE_MATCHERS: dict[str, Callable[[object], bool]] = {
    OPENAI_CHAT: _matches_chat,
    OPENAI_RESPONSES: _matches_input_output,
    ANTHROPIC: _matches_input_output,
    GEMINI: _matches_gemini,
}


# ---------------------------------------------------------------------------------------------
# Access to dicts and SDK objects alike


def _get(container: object, *names: str) -> Any:
    """Return the first of ``names`` present in a mapping or as an attribute, else None."""
    if container is None:
        return None
    for name in names:
        if isinstance(container, Mapping):
            value = container.get(name)
        else:
            value = getattr(container, name, None)
        if value is not None:
            return value
    return None


def _has(container: object, *names: str) -> bool:
    return any(_get(container, name) is not None for name in names)


def _count(container: object, *names: str, required: bool = False) -> int:
    value = _get(container, *names)
    if value is None:
        if required:
            raise ValueError(
                f"Missing token count {names[0]!r}; keys seen: {', '.join(_keys(container))}."
            )
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"Token count {names[0]!r} must be a whole number, got {value!r}.")
    return value


def _usage(reasoning_path: str, **counts: int) -> Usage:
    if counts["output_tokens"] < 0:
        total = counts["output_tokens"] + counts["reasoning_tokens"]
        raise ValueError(
            f"Invalid usage: {reasoning_path} ({counts['reasoning_tokens']}) exceeds the "
            f"output token count ({total}) that includes it."
        )
    return Usage(**counts)


def _usage_root(response: object) -> object | None:
    """Return the ``usage`` part of a response, or the response itself when it is a usage."""
    usage = _get(response, "usage")
    if usage is not None:
        return usage
    if _has(response, "prompt_tokens", "input_tokens"):
        return response
    return None


def _usage_metadata(response: object) -> object | None:
    return _get(response, "usageMetadata", "usage_metadata")


def _model_of(response: object) -> str | None:
    model = _get(response, "model", "modelVersion", "model_version")
    return model if isinstance(model, str) and model else None


def _keys(container: object) -> list[str]:
    if isinstance(container, Mapping):
        return sorted(str(key) for key in container)
    dump = getattr(container, "model_dump", None)
    if callable(dump):
        return sorted(dump(exclude_none=True))
    return sorted(key for key in getattr(container, "__dict__", {}) if not key.startswith("_"))
