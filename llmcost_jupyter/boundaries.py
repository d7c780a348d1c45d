"""Token boundaries of a prompt, for display in colour (HTML) or with separators (text).

Only exact tokenizers can show boundaries. Whitespace and control characters are drawn with
visible symbols (``·`` for a space, ``⏎`` before a kept line break, ``→`` before a kept tab),
so a token made of spaces can be seen. A character whose UTF-8 bytes span several tokens,
such as an emoji in cl100k_base, is drawn once with the range of token indices in its title.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .counting import get_tokenizer
from .tokenizers import InvalidTokenizerError, Tokenizer

if TYPE_CHECKING:
    TokenizerArgument = str | os.PathLike[str] | Tokenizer | None

__all__ = ["DEFAULT_MAX_TOKENS", "boundaries_html", "boundaries_text", "token_pieces"]

#: Tokens drawn at most by default; longer prompts are cut with a note, so that a notebook
#: output stays small. The legend always gives the full count.
DEFAULT_MAX_TOKENS = 5_000

#: Background colours cycled over tokens; light enough for black text in dark themes too.
TOKEN_COLOURS = ("#cfe8fc", "#fde2c4", "#d5f5d0", "#f3d1f4", "#fff3b0")

_VISIBLE = {" ": "·", "\n": "⏎\n", "\t": "→\t", "\r": "␍", "\x7f": "␡"}
_VISIBLE.update(
    {chr(code): chr(0x2400 + code) for code in range(0x20) if chr(code) not in _VISIBLE}
)


def token_pieces(text: str, model: str, *, tokenizer: TokenizerArgument = None) -> list[str]:
    """Return one string per token of ``text``, in order, joining back to the text.

    Raises:
        InvalidTokenizerError: If ``model`` has no exact tokenizer and none is given.
    """
    return _exact_tokenizer(model, tokenizer).pieces(text)


def boundaries_html(
    text: str, model: str, *, tokenizer: TokenizerArgument = None,
    max_tokens: int | None = DEFAULT_MAX_TOKENS,
) -> str:
    """Render ``text`` as HTML with each token in a ``<span>`` of alternating colour.

    Each span's title is its token index. The HTML ends with a legend giving the token count
    and the tokenizer. All text is HTML-escaped.

    Args:
        text: The prompt.
        model: Model id, which chooses the tokenizer unless ``tokenizer`` is given.
        tokenizer: As for ``count_tokens``.
        max_tokens: Draw at most this many tokens; None draws all.

    Raises:
        InvalidTokenizerError: If ``model`` has no exact tokenizer and none is given.
    """
    found = _exact_tokenizer(model, tokenizer)
    pieces = found.pieces(text)
    spans = []
    for index, (first, last, piece) in enumerate(_groups(pieces[:max_tokens])):
        colour = TOKEN_COLOURS[index % len(TOKEN_COLOURS)]
        spans.append(f'<span style="background:{colour};color:#000" '
                     f'title="{_title(first, last)}">{html.escape(_visible(piece))}</span>')
    legend = html.escape(_legend(len(pieces), found, max_tokens))
    return ('<div class="llmcost-boundaries" style="font-family:monospace;'
            'white-space:pre-wrap;line-height:1.7">' + "".join(spans)
            + f'<div style="margin-top:0.5em;font-style:italic">{legend}</div></div>')


def boundaries_text(
    text: str, model: str, *, tokenizer: TokenizerArgument = None,
    max_tokens: int | None = DEFAULT_MAX_TOKENS,
) -> str:
    """Render ``text`` as plain text with ``|`` between tokens and a legend line.

    Arguments and errors are as for ``boundaries_html``.
    """
    found = _exact_tokenizer(model, tokenizer)
    pieces = found.pieces(text)
    body = "|".join(_visible(piece) for _first, _last, piece in _groups(pieces[:max_tokens]))
    return f"{body}\n[{_legend(len(pieces), found, max_tokens)}]"


def _exact_tokenizer(model: str, tokenizer: TokenizerArgument) -> Tokenizer:
    found = get_tokenizer(model, tokenizer=tokenizer)
    if found is None:
        raise InvalidTokenizerError(
            f"{model} has no public tokenizer, so its token boundaries cannot be shown. "
            "Pass tokenizer= with an encoding name or a tokenizer.json path to show another "
            "tokenizer's boundaries."
        )
    return found


def _groups(pieces: list[str]) -> Iterator[tuple[int, int, str]]:
    """Yield (first index, last index, text), joining empty pieces to the next piece."""
    first = 0
    for index, piece in enumerate(pieces):
        if piece:
            yield first, index, piece
            first = index + 1


def _title(first: int, last: int) -> str:
    if first == last:
        return f"token {first}"
    return f"tokens {first}–{last} (one character split across {last - first + 1} tokens)"


def _visible(piece: str) -> str:
    return "".join(_VISIBLE.get(char, char) for char in piece)


def _legend(count: int, found: Tokenizer, max_tokens: int | None) -> str:
    legend = f"{count:,} tokens, {found.method}"
    if max_tokens is not None and count > max_tokens:
        legend += f"; showing the first {max_tokens:,}"
    return legend
