"""Token counts for a prompt: exact where the model's tokenizer is public, estimated elsewhere.

``count_tokens`` picks the tokenizer by model id:

* OpenAI models use tiktoken with the vocabularies in ``_vocab`` (o200k_base, o200k_harmony,
  cl100k_base), looked up in ``OPENAI_ENCODINGS``. Nothing is downloaded.
* Mistral models listed in ``tokenizers.MISTRAL_TOKENIZERS`` use mistral-common's bundled
  tokenizer files when the ``mistral`` extra is installed.
* Every other model gets an estimate from ``ESTIMATE_RULES``: a public tokenizer's count scaled
  by a per-family factor, or characters divided by a characters-per-token ratio once the user
  sets one with ``set_estimate_ratio``.

Text is always counted as ordinary text: ``<|endoftext|>`` in a prompt is counted as the
characters it is, never as a special token. Lone surrogates become U+FFFD first
(see ``tokenizers.normalize_text``).

>>> count_tokens("Hello world", "gpt-4o").tokens
2
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from . import _vocab
from .tokenizers import (
    MISTRAL_INSTALL_HINT,
    MISTRAL_TOKENIZERS,
    UNSHIPPED_ENCODINGS,
    InvalidTokenizerError,
    Tokenizer,
    load_mistral_file,
    load_tokenizer_file,
    match_prefix_table,
    mistral_available,
    mistral_tokenizer,
    mistral_tokenizer_file,
    normalize_model_id,
    normalize_text,
    tiktoken_tokenizer,
)

__all__ = [
    "ESTIMATE_CHARS_PER_TOKEN",
    "ESTIMATE_RULES",
    "ESTIMATE_UNCERTAINTY",
    "OPENAI_ENCODINGS",
    "EstimateRule",
    "InvalidTokenizerError",
    "TokenCount",
    "count_tokens",
    "encoding_for_model",
    "estimate_rule",
    "get_estimate_ratio",
    "get_tokenizer",
    "is_exact_model",
    "reset_estimate_ratios",
    "set_estimate_ratio",
]


@dataclass(frozen=True)
class TokenCount:
    """A prompt's token count and how it was obtained.

    Attributes:
        tokens: The count; for an estimate, its central value.
        exact: True only when a real tokenizer produced the count: the model's own, or one the
            caller passed explicitly.
        method: How the count was made, shown next to the number.
        tokenizer: Short name of the tokenizer or estimate rule, such as ``"o200k_base"``.
        uncertainty: Relative uncertainty of an estimate (0.25 means ±25 %), None when exact.
    """

    tokens: int
    exact: bool
    method: str
    tokenizer: str
    uncertainty: float | None = None

    @property
    def low(self) -> int:
        """Lower end of the estimate's range: ``floor(tokens * (1 - uncertainty))``."""
        if self.uncertainty is None:
            return self.tokens
        scaled = self.tokens * (1 - _decimal(self.uncertainty))
        return max(0, int(scaled.to_integral_value(ROUND_FLOOR)))

    @property
    def high(self) -> int:
        """Upper end of the estimate's range: ``ceil(tokens * (1 + uncertainty))``."""
        if self.uncertainty is None:
            return self.tokens
        scaled = self.tokens * (1 + _decimal(self.uncertainty))
        return int(scaled.to_integral_value(ROUND_CEILING))


def _decimal(value: float) -> Decimal:
    # Through repr, so that 0.1 stays 0.1 and 10 * 1.1 rounds up to 11, not 12.
    return Decimal(repr(value))


# ====================
# OpenAI model ids to tiktoken encodings
# ====================

#: Our own table, checked against tiktoken 0.14.0's tiktoken/model.py by a test. A key matches
#: the exact id or the id followed by "-", and the longest matching key wins. Keys ending in
#: "-" or "." match any id that starts with them (see ``tokenizers.match_prefix_table``).
#: Ids are lower-cased and stripped of provider paths and ``ft:`` wrappers first.
OPENAI_ENCODINGS: dict[str, str] = {
    # o200k_base: GPT-4o and everything after it
    "gpt-4o": "o200k_base",  # also gpt-4o-mini, gpt-4o-2024-08-06, gpt-4o-realtime-preview
    "chatgpt-4o": "o200k_base",  # chatgpt-4o-latest
    "gpt-4.1": "o200k_base",  # gpt-4.1-mini, gpt-4.1-nano
    "gpt-4.5": "o200k_base",  # gpt-4.5-preview
    "gpt-5": "o200k_base",  # gpt-5-mini, gpt-5-nano, gpt-5-codex, gpt-5-2025-08-07
    "gpt-5.": "o200k_base",  # gpt-5.1, gpt-5.2, gpt-5.1-codex-mini
    "o1": "o200k_base",  # o1-mini, o1-pro, o1-preview
    "o3": "o200k_base",  # o3-mini, o3-pro, o3-deep-research
    "o4-mini": "o200k_base",
    "codex-mini": "o200k_base",  # codex-mini-latest is built on o4-mini
    # o200k_harmony: the open-weight gpt-oss models
    "gpt-oss": "o200k_harmony",  # gpt-oss-20b, gpt-oss-120b
    # cl100k_base: GPT-4, GPT-3.5 and the embedding models
    "gpt-4": "cl100k_base",  # gpt-4-turbo, gpt-4-32k, gpt-4-0613
    "gpt-3.5-turbo": "cl100k_base",
    "gpt-3.5": "cl100k_base",
    "gpt-35-turbo": "cl100k_base",  # Azure deployment name
    "text-embedding-3-": "cl100k_base",
    "text-embedding-ada-002": "cl100k_base",
    "davinci-002": "cl100k_base",
    "babbage-002": "cl100k_base",
    # Retired completion and edit models. Their vocabularies are not shipped, so these ids
    # get an estimate, and forcing the encoding name raises InvalidTokenizerError.
    "text-davinci-003": "p50k_base",
    "text-davinci-002": "p50k_base",
    "code-davinci-002": "p50k_base",
    "code-davinci-001": "p50k_base",
    "code-cushman-002": "p50k_base",
    "code-cushman-001": "p50k_base",
    "davinci-codex": "p50k_base",
    "cushman-codex": "p50k_base",
    "text-davinci-edit-001": "p50k_edit",
    "code-davinci-edit-001": "p50k_edit",
    "text-davinci-001": "r50k_base",
    "text-curie-001": "r50k_base",
    "text-babbage-001": "r50k_base",
    "text-ada-001": "r50k_base",
    "text-similarity-": "r50k_base",
    "text-search-": "r50k_base",
    "code-search-": "r50k_base",
    "davinci": "r50k_base",
    "curie": "r50k_base",
    "babbage": "r50k_base",
    "ada": "r50k_base",
    "gpt2": "gpt2",
    "gpt-2": "gpt2",
}


def encoding_for_model(model: str) -> str | None:
    """Return the tiktoken encoding name of an OpenAI model id, or None for other models.

    The name may be one that is not shipped offline (``p50k_base`` for ``text-davinci-003``);
    such models get an estimate from ``count_tokens``.

    >>> encoding_for_model("openai/GPT-4o-2024-08-06")
    'o200k_base'
    """
    return match_prefix_table(normalize_model_id(model), OPENAI_ENCODINGS)


# ====================
# Choosing a tokenizer
# ====================


def get_tokenizer(
    model: str, *, tokenizer: str | os.PathLike[str] | Tokenizer | None = None
) -> Tokenizer | None:
    """Return the exact tokenizer for ``model``, or None when only an estimate is possible.

    Args:
        model: Model id, such as ``"gpt-4o"`` or ``"openai/gpt-4o"``.
        tokenizer: Overrides the choice by model: a ``Tokenizer`` object, the name of a shipped
            tiktoken encoding (``"o200k_base"``), or the path of a Hugging Face tokenizer.json.

    Raises:
        InvalidTokenizerError: If ``tokenizer`` names an unknown or unshipped encoding, or a
            missing or invalid file.
    """
    if tokenizer is not None:
        return _explicit_tokenizer(tokenizer)
    encoding = encoding_for_model(model)
    if encoding in _vocab.SHIPPED_ENCODINGS:
        return tiktoken_tokenizer(encoding)
    if encoding is not None:
        return None
    return mistral_tokenizer(model)


def _explicit_tokenizer(tokenizer: str | os.PathLike[str] | Tokenizer) -> Tokenizer:
    if isinstance(tokenizer, Tokenizer):
        return tokenizer
    if isinstance(tokenizer, str) and not _looks_like_path(tokenizer):
        return tiktoken_tokenizer(tokenizer)
    if isinstance(tokenizer, (str, os.PathLike)):
        return load_tokenizer_file(tokenizer)
    raise InvalidTokenizerError(
        f"invalid tokenizer {tokenizer!r}: expected an encoding name such as 'o200k_base', "
        "the path of a tokenizer.json file, or an object with name, method, count() and pieces()."
    )


def _looks_like_path(value: str) -> bool:
    known_names = _vocab.SHIPPED_ENCODINGS.keys() | UNSHIPPED_ENCODINGS
    if value in known_names:
        return False
    return "/" in value or os.sep in value or value.endswith(".json") or os.path.exists(value)


def is_exact_model(model: str) -> bool:
    """Check whether ``count_tokens`` counts ``model`` exactly, without loading a tokenizer."""
    encoding = encoding_for_model(model)
    if encoding is not None:
        return encoding in _vocab.SHIPPED_ENCODINGS
    entry = mistral_tokenizer_file(normalize_model_id(model))
    return entry is not None and mistral_available(entry)


def count_tokens(
    text: str, model: str, *, tokenizer: str | os.PathLike[str] | Tokenizer | None = None
) -> TokenCount:
    """Count the tokens of ``text`` for ``model``, exactly when possible.

    Args:
        text: The prompt, counted as ordinary text. Any str is accepted.
        model: Model id; chooses the tokenizer unless ``tokenizer`` is given.
        tokenizer: See ``get_tokenizer``. A count made with a tokenizer passed here is marked
            exact, because the caller chose it.

    Returns:
        The count. When no exact tokenizer is available it is an estimate
        (``exact=False``) whose ``method`` names the rule and its uncertainty.

    Raises:
        TypeError: If ``text`` or ``model`` is not a str.
        InvalidTokenizerError: If ``tokenizer`` is given and cannot be used.
    """
    _require_str("text", text)
    _require_str("model", model)
    found = get_tokenizer(model, tokenizer=tokenizer)
    if found is None:
        return _estimate(text, model)
    return TokenCount(found.count(text), True, found.method, found.name)


def _require_str(name: str, value: object) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")


# ====================
# Estimates for models without a public tokenizer
# ====================

#: Default characters per token for character-based estimates: the common rule of thumb for
#: English prose. Google states it for Gemini ("a token is equivalent to about 4 characters",
#: ai.google.dev/gemini-api/docs/tokens). Code and non-English text differ a lot: Chinese is
#: often one token per character or more.
ESTIMATE_CHARS_PER_TOKEN = 4.0

#: Relative uncertainty of a character-based estimate with the default ratio, for English-like
#: text. It is a rough figure, not a measured bound.
ESTIMATE_UNCERTAINTY = 0.25


@dataclass(frozen=True)
class EstimateRule:
    """How to estimate token counts for one family of models.

    Attributes:
        family: Name accepted by ``set_estimate_ratio(family=...)``.
        prefixes: Model id prefixes of the family, after ``normalize_model_id``.
        chars_per_token: Ratio for a character-based estimate.
        chars_uncertainty: Relative uncertainty of the character-based estimate.
        proxy: Public tokenizer whose count is scaled: a shipped tiktoken encoding name, or
            ``"mistral:FILE"`` for a file bundled with mistral-common. None for none.
        proxy_factor: Multiplier applied to the proxy count.
        proxy_uncertainty: Relative uncertainty of the scaled proxy count.
    """

    family: str
    prefixes: tuple[str, ...]
    chars_per_token: float
    chars_uncertainty: float
    proxy: str | None = None
    proxy_factor: float = 1.0
    proxy_uncertainty: float = 0.25


#: Estimate rules by family, used by default with the proxy tokenizer. The factors are rough
#: rules, not fitted values, and each uncertainty is a judgement, not a measured bound.
ESTIMATE_RULES: tuple[EstimateRule, ...] = (
    # Anthropic publishes no tokenizer for Claude 3 and later and no characters-per-token
    # ratio. Third-party comparisons published in 2024 and 2025 found Claude 3.5 Sonnet using
    # about 20-30 % more tokens than gpt-4o (o200k_base) on the same English text, and more
    # on code. Exact counts need the opt-in count_tokens API (remote_count.py).
    EstimateRule("claude", ("claude",), 3.5, 0.30, "o200k_base", 1.2, 0.25),
    # Google documents about 4 characters per token for Gemini. Its vocabulary, like
    # o200k_base, has more than 200k entries, so the o200k_base count is used unscaled.
    EstimateRule("gemini", ("gemini", "gemma", "learnlm"), 4.0, 0.25, "o200k_base", 1.0, 0.25),
    # Llama 3's 128k-token vocabulary starts with cl100k_base's 100k tokens, so cl100k_base
    # counts English closely; Llama 2's 32k SentencePiece vocabulary needs more tokens. Exact
    # counts: pass the model's tokenizer.json.
    EstimateRule("llama", ("llama", "meta-llama", "codellama"), 4.0, 0.25, "cl100k_base", 1.0,
                 0.20),
    # Mistral ids without a known tokenizer ("-latest" aliases, newer releases). Recent Mistral
    # models use tekken vocabularies like the bundled tekken_240911.json; older ones use 32k
    # SentencePiece vocabularies, which need more tokens for the same text.
    EstimateRule(
        "mistral",
        ("mistral", "mixtral", "codestral", "ministral", "pixtral", "magistral", "devstral",
         "voxtral", "open-mistral", "open-mixtral", "open-codestral"),
        3.5, 0.30, "mistral:tekken_240911.json", 1.0, 0.20,
    ),
    # Qwen's 151k byte-level BPE vocabulary was built on cl100k_base (Qwen technical report).
    EstimateRule("qwen", ("qwen", "qwq"), 4.0, 0.25, "cl100k_base", 1.0, 0.20),
    # DeepSeek (128k BPE), Grok and Cohere Command: rough rule, no published comparison.
    EstimateRule("deepseek", ("deepseek",), 4.0, 0.25, "o200k_base", 1.0, 0.25),
    EstimateRule("grok", ("grok", "xai"), 4.0, 0.25, "o200k_base", 1.0, 0.25),
    EstimateRule("cohere", ("command", "c4ai-command", "cohere", "aya"), 4.0, 0.25,
                 "o200k_base", 1.0, 0.25),
    # Retired OpenAI models on the GPT-2-style 50k vocabularies (r50k_base, p50k_base), which
    # split text into more tokens than cl100k_base, most of all whitespace in code.
    EstimateRule("openai-legacy", (), 4.0, 0.25, "cl100k_base", 1.1, 0.20),
    # Any other model: rough rule.
    EstimateRule("other", (), ESTIMATE_CHARS_PER_TOKEN, ESTIMATE_UNCERTAINTY, "o200k_base",
                 1.0, 0.30),
)

_RULES_BY_FAMILY = {rule.family: rule for rule in ESTIMATE_RULES}

# User-set characters-per-token ratios: per family, and one for every family (key None).
_ratio_overrides: dict[str | None, float] = {}


def estimate_rule(model: str) -> EstimateRule:
    """Return the estimate rule that applies to ``model``."""
    if encoding_for_model(model) in UNSHIPPED_ENCODINGS:
        return _RULES_BY_FAMILY["openai-legacy"]
    model_id = normalize_model_id(model)
    for rule in ESTIMATE_RULES:
        if model_id.startswith(rule.prefixes):
            return rule
    return _RULES_BY_FAMILY["other"]


def set_estimate_ratio(chars_per_token: float, *, family: str | None = None) -> None:
    """Estimate by characters per token, for one family or for every model without a tokenizer.

    Once set, estimates for the affected models divide the character count by this ratio
    instead of scaling a proxy tokenizer's count. A family ratio wins over the ratio for all.

    Args:
        chars_per_token: Characters per token, a finite number greater than 0.
        family: One of the ``EstimateRule.family`` names, or None for all families.

    Raises:
        ValueError: If the ratio is not a finite positive number or the family is unknown.
    """
    if isinstance(chars_per_token, bool) or not isinstance(chars_per_token, (int, float)):
        raise ValueError(
            f"chars_per_token must be a number greater than 0, got {chars_per_token!r}"
        )
    if not math.isfinite(chars_per_token) or chars_per_token <= 0:
        raise ValueError(
            f"chars_per_token must be a finite number greater than 0, got {chars_per_token!r}"
        )
    if family is not None and family not in _RULES_BY_FAMILY:
        known = ", ".join(sorted(_RULES_BY_FAMILY))
        raise ValueError(f"unknown model family {family!r}; expected one of: {known}")
    _ratio_overrides[family] = float(chars_per_token)


def reset_estimate_ratios() -> None:
    """Forget every ratio set with ``set_estimate_ratio``."""
    _ratio_overrides.clear()


def get_estimate_ratio(model: str) -> tuple[float, float]:
    """Return (characters per token, relative uncertainty) for a character-based estimate.

    This is the ratio a character-based estimate for ``model`` uses: the one set with
    ``set_estimate_ratio``, or the family default. While no ratio is set, families with a
    proxy tokenizer are estimated from the proxy instead (see ``estimate_rule``).
    """
    rule = estimate_rule(model)
    return _chars_per_token(rule), rule.chars_uncertainty


def _chars_per_token(rule: EstimateRule) -> float:
    ratio = _ratio_overrides.get(rule.family, _ratio_overrides.get(None))
    return rule.chars_per_token if ratio is None else ratio


def _estimate(text: str, model: str) -> TokenCount:
    rule = estimate_rule(model)
    user_ratio = rule.family in _ratio_overrides or None in _ratio_overrides
    proxy = None if user_ratio or rule.proxy is None else proxy_tokenizer(rule.proxy)
    if proxy is not None:
        count = _estimate_from_proxy(text, rule, proxy)
    else:
        count = _estimate_from_chars(text, rule)
    note = _estimate_note(model, rule)
    return count if note is None else replace(count, method=f"{count.method}; {note}")


def _estimate_note(model: str, rule: EstimateRule) -> str | None:
    if rule.family == "openai-legacy":
        return f"the {encoding_for_model(model)} vocabulary is not shipped offline"
    if rule.family == "mistral" and not mistral_available():
        return f"for exact Mistral counts: {MISTRAL_INSTALL_HINT}"
    return None


def proxy_tokenizer(proxy: str) -> Tokenizer | None:
    """Return the tokenizer an estimate rule scales (``EstimateRule.proxy``), if available."""
    if not proxy.startswith("mistral:"):
        return tiktoken_tokenizer(proxy)
    filename = proxy.removeprefix("mistral:")
    entry = next(e for e in MISTRAL_TOKENIZERS.values() if e.filename == filename)
    return load_mistral_file(entry) if mistral_available(entry) else None


def _estimate_from_proxy(text: str, rule: EstimateRule, proxy: Tokenizer) -> TokenCount:
    proxy_count = proxy.count(text)
    tokens = scale_count(proxy_count, rule.proxy_factor)
    factor = _format_number(rule.proxy_factor)
    share = _format_percent(rule.proxy_uncertainty)
    method = f"estimate: {proxy.name} count × {factor}, ±{share}"
    return TokenCount(tokens, False, method, f"{proxy.name}×{factor}", rule.proxy_uncertainty)


def _estimate_from_chars(text: str, rule: EstimateRule) -> TokenCount:
    ratio = _chars_per_token(rule)
    characters = len(normalize_text(text))
    tokens = scale_count(characters, 1 / ratio)
    shown_ratio = _format_number(ratio)
    share = _format_percent(rule.chars_uncertainty)
    method = f"estimate: {shown_ratio} characters per token, ±{share}"
    return TokenCount(tokens, False, method, f"chars/{shown_ratio}", rule.chars_uncertainty)


def scale_count(count: int, factor: float) -> int:
    """Scale a count, rounding half up, and keep at least one token for non-empty text."""
    if count == 0:
        return 0
    return max(1, int((count * _decimal(factor)).to_integral_value(ROUND_HALF_UP)))


def _format_number(value: float) -> str:
    shown = f"{value:g}"
    return shown if "." in shown or "e" in shown else shown + ".0"


def _format_percent(share: float) -> str:
    return f"{share * 100:g}%"
