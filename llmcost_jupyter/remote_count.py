"""Exact Claude token counts from Anthropic's count_tokens API, only on explicit request.

This is the one module that opens a network connection, and only when
``count_tokens_anthropic`` is called. It uses the standard library alone.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from .counting import TokenCount

if TYPE_CHECKING:
    import urllib.error

__all__ = ["ANTHROPIC_VERSION", "RemoteCountError", "count_tokens_anthropic"]

ANTHROPIC_VERSION = "2023-06-01"
_SYSTEM_ROLES = ("system", "developer")


class RemoteCountError(RuntimeError):
    """A provider's token-counting API could not be called or returned no usable count."""


def count_tokens_anthropic(
    text_or_messages: str | list[dict[str, str]],
    model: str,
    *,
    api_key: str | None = None,
    base_url: str = "https://api.anthropic.com",
    timeout: float = 10.0,
) -> TokenCount:
    """Count input tokens exactly with ``POST {base_url}/v1/messages/count_tokens``.

    The count includes Anthropic's own message framing, so it is the number the API bills.

    Args:
        text_or_messages: A prompt, sent as one user message, or chat messages
            (``{"role", "content"}`` dicts). System and developer messages go into the
            request's "system" field.
        model: Claude model id, for example ``"claude-sonnet-4-5"``; an ``anthropic/`` prefix
            is removed.
        api_key: Anthropic API key; defaults to the ANTHROPIC_API_KEY environment variable.
        base_url: API root URL.
        timeout: Seconds to wait for the response.

    Raises:
        RemoteCountError: If the key is missing, or the request fails, times out or returns
            an invalid response.
    """
    key = api_key or os.environ.get("ANTHROPIC_API_KEY")
    if not key:
        raise RemoteCountError(
            "no Anthropic API key: set the ANTHROPIC_API_KEY environment variable or pass "
            "api_key=..."
        )
    model_id = model.strip().removeprefix("anthropic/")
    body = {"model": model_id, **_request_messages(text_or_messages)}
    url = base_url.rstrip("/") + "/v1/messages/count_tokens"
    response = _post_json(url, body, key, timeout)
    tokens = response.get("input_tokens") if isinstance(response, dict) else None
    if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 0:
        raise RemoteCountError(
            f"invalid response from {url}: expected a non-negative integer 'input_tokens', "
            f"got {str(response)[:200]}"
        )
    return TokenCount(tokens, True, "Anthropic count_tokens API", "anthropic-api")


def _request_messages(text_or_messages: str | list[dict[str, str]]) -> dict[str, Any]:
    if isinstance(text_or_messages, str):
        return {"messages": [{"role": "user", "content": text_or_messages}]}
    system = [m["content"] for m in text_or_messages if m["role"] in _SYSTEM_ROLES]
    turns = [{"role": m["role"], "content": m["content"]}
             for m in text_or_messages if m["role"] not in _SYSTEM_ROLES]
    if not turns:
        raise RemoteCountError(
            "Anthropic's count_tokens API needs at least one user or assistant message"
        )
    unknown = sorted({t["role"] for t in turns} - {"user", "assistant"})
    if unknown:
        raise RemoteCountError(
            f"Anthropic's API accepts only user and assistant turns, got role {unknown[0]!r}"
        )
    request: dict[str, Any] = {"messages": turns}
    if system:
        request["system"] = "\n\n".join(system)
    return request


def _post_json(url: str, body: dict[str, Any], key: str, timeout: float) -> Any:
    if not url.startswith(("https://", "http://")):
        raise RemoteCountError(f"invalid base_url in {url!r}: expected an http(s) URL")
    # Imported here: urllib and ssl add milliseconds to %load_ext, and most sessions never
    # call a counting API.
    import socket
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode("utf-8"),
        method="POST",
        headers={
            "x-api-key": key,
            "anthropic-version": ANTHROPIC_VERSION,
            "content-type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = response.read()
    except urllib.error.HTTPError as err:
        raise RemoteCountError(
            f"Anthropic count_tokens request failed with HTTP {err.code}: {_error_detail(err)}"
        ) from err
    except TimeoutError as err:
        raise RemoteCountError(f"Anthropic count_tokens request to {url} timed out after "
                               f"{timeout:g} s") from err
    except urllib.error.URLError as err:
        if isinstance(err.reason, (TimeoutError, socket.timeout)):
            raise RemoteCountError(f"Anthropic count_tokens request to {url} timed out after "
                                   f"{timeout:g} s") from err
        raise RemoteCountError(f"could not reach {url}: {err.reason}") from err
    try:
        return json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise RemoteCountError(
            f"invalid JSON in the response from {url}: {payload[:200]!r}"
        ) from err


def _error_detail(err: urllib.error.HTTPError) -> str:
    raw = err.read()[:2000]
    try:
        message = json.loads(raw)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return raw.decode("utf-8", "replace").strip() or str(err.reason)
    return str(message)
