"""Chat-formatted prompts: parse role-marked text and count it with per-message framing.

A cell is chat-formatted when its first non-blank line starts a message. Two spellings are
recognised, case-insensitively, and may be mixed:

* a role prefix: ``user: What is 2 + 2?`` (the text after the colon starts the message);
* a Markdown heading with only the role: ``### system`` (the message starts on the next line).

The roles are system, developer, user, assistant and tool. A message runs until the next role
line; blank lines around it are dropped and the lines inside are kept as written.
"""

from __future__ import annotations

import math
import re
from typing import Any

from .counting import TokenCount, count_tokens

__all__ = ["CHAT_ROLES", "TOKENS_PER_MESSAGE", "TOKENS_PER_NAME", "TOKENS_PER_REPLY",
           "count_chat", "parse_chat"]

CHAT_ROLES = ("system", "developer", "user", "assistant", "tool")

#: Framing tokens of OpenAI's chat format, from the rule in OpenAI's cookbook notebook
#: "How to count tokens with tiktoken" (gpt-3.5-turbo and gpt-4 family): each message costs
#: 3 tokens besides its role and content, a name field 1 more, and the reply is primed with 3.
#: Other providers do not publish theirs, so the same numbers are used as an estimate.
TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
TOKENS_PER_REPLY = 3

_ROLES = "|".join(CHAT_ROLES)
_PREFIX_LINE = re.compile(rf"^[ \t]*({_ROLES})[ \t]*:[ \t]?(.*)$", re.IGNORECASE)
_HEADING_LINE = re.compile(rf"^[ \t]*#{{1,6}}[ \t]*({_ROLES})[ \t]*:?[ \t]*$", re.IGNORECASE)


def parse_chat(text: str) -> list[dict[str, str]] | None:
    """Split role-marked text into chat messages.

    Args:
        text: The cell text.

    Returns:
        Messages as ``{"role": ..., "content": ...}`` dicts in order, or None when the first
        non-blank line is not a role line (the text is then plain text).

    >>> parse_chat("system: Be brief.\\nuser: Hi")
    [{'role': 'system', 'content': 'Be brief.'}, {'role': 'user', 'content': 'Hi'}]
    """
    messages: list[dict[str, Any]] = []
    for line in text.splitlines():
        role, first_line = _role_line(line)
        if role is not None:
            messages.append({"role": role, "lines": [] if first_line is None else [first_line]})
        elif messages:
            messages[-1]["lines"].append(line)
        elif line.strip():
            return None
    if not messages:
        return None
    return [{"role": m["role"], "content": _join_lines(m["lines"])} for m in messages]


def _role_line(line: str) -> tuple[str | None, str | None]:
    heading = _HEADING_LINE.match(line)
    if heading:
        return heading.group(1).lower(), None
    prefix = _PREFIX_LINE.match(line)
    if prefix:
        return prefix.group(1).lower(), prefix.group(2)
    return None, None


def _join_lines(lines: list[str]) -> str:
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return "\n".join(lines)


def count_chat(
    messages: list[dict[str, str]], model: str, *, tokenizer: Any = None
) -> TokenCount:
    """Count chat messages: content and role tokens plus the estimated framing overhead.

    Args:
        messages: Dicts with "role" and "content" strings, and optionally "name".
        model: Model id, as for ``count_tokens``.
        tokenizer: As for ``count_tokens``.

    Returns:
        A count that is never exact, because the framing is a published rule of thumb rather
        than the provider's own count. Its uncertainty covers the content estimate, if any,
        plus half the framing overhead.

    Raises:
        TypeError: If a message is not a dict of strings with "role" and "content".
    """
    _check_messages(messages)
    text_counts = [
        count_tokens(value, model, tokenizer=tokenizer)
        for message in messages
        for key, value in message.items()
        if key in ("role", "content", "name")
    ]
    names = sum(1 for message in messages if message.get("name"))
    overhead = TOKENS_PER_MESSAGE * len(messages) + TOKENS_PER_NAME * names + TOKENS_PER_REPLY
    text_tokens = sum(count.tokens for count in text_counts)
    total = text_tokens + overhead
    spread = sum(count.tokens * (count.uncertainty or 0) for count in text_counts) + overhead / 2
    first = text_counts[0] if text_counts else count_tokens("", model, tokenizer=tokenizer)
    return TokenCount(
        tokens=total,
        exact=False,
        method=f"{first.method}; {_framing_description(names)}",
        tokenizer=first.tokenizer,
        uncertainty=math.ceil(100 * spread / total) / 100,
    )


def _framing_description(names: int) -> str:
    name_part = f" + {TOKENS_PER_NAME} per name" if names else ""
    return (f"framing overhead estimated: {TOKENS_PER_MESSAGE} tokens per message{name_part} "
            f"+ {TOKENS_PER_REPLY} per reply")


def _check_messages(messages: object) -> None:
    if not isinstance(messages, list):
        raise TypeError(f"messages must be a list of dicts, got {type(messages).__name__}")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or not {"role", "content"} <= message.keys():
            raise TypeError(f"messages[{index}] must be a dict with 'role' and 'content'")
        for key in ("role", "content", "name"):
            if key in message and not isinstance(message[key], str):
                raise TypeError(f"messages[{index}][{key!r}] must be a str, "
                                f"got {type(message[key]).__name__}")
