"""Counting layer: the model table, exact counts on hard text, estimates and their settings."""

from __future__ import annotations

import math
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmcost_jupyter import counting
from llmcost_jupyter.counting import (
    InvalidTokenizerError,
    TokenCount,
    count_tokens,
    encoding_for_model,
    get_estimate_ratio,
    get_tokenizer,
    is_exact_model,
    set_estimate_ratio,
)
from llmcost_jupyter.tokenizers import tiktoken_tokenizer


@pytest.fixture(autouse=True)
def _reset_ratios():
    counting.reset_estimate_ratios()
    yield
    counting.reset_estimate_ratios()


def _encoding(name: str):
    return tiktoken_tokenizer(name).encoding


# ====================
# Model table
# ====================

TABLE_CASES = {
    "gpt-4o": "o200k_base",
    "gpt-4o-mini": "o200k_base",
    "gpt-4o-2024-08-06": "o200k_base",
    "gpt-4o-mini-2024-07-18": "o200k_base",
    "chatgpt-4o-latest": "o200k_base",
    "gpt-4.1": "o200k_base",
    "gpt-4.1-mini": "o200k_base",
    "gpt-4.1-nano": "o200k_base",
    "gpt-4.5-preview": "o200k_base",
    "gpt-5": "o200k_base",
    "gpt-5-mini": "o200k_base",
    "gpt-5-nano": "o200k_base",
    "gpt-5-codex": "o200k_base",
    "gpt-5.1": "o200k_base",
    "gpt-5.2": "o200k_base",
    "gpt-5.1-codex-mini": "o200k_base",
    "o1": "o200k_base",
    "o1-mini": "o200k_base",
    "o1-pro": "o200k_base",
    "o3": "o200k_base",
    "o3-mini": "o200k_base",
    "o3-pro": "o200k_base",
    "o4-mini": "o200k_base",
    "o4-mini-2025-04-16": "o200k_base",
    "gpt-4": "cl100k_base",
    "gpt-4-turbo": "cl100k_base",
    "gpt-4-turbo-2024-04-09": "cl100k_base",
    "gpt-4-32k": "cl100k_base",
    "gpt-4-0613": "cl100k_base",
    "gpt-3.5-turbo": "cl100k_base",
    "gpt-3.5-turbo-16k": "cl100k_base",
    "gpt-35-turbo": "cl100k_base",
    "text-embedding-3-small": "cl100k_base",
    "text-embedding-3-large": "cl100k_base",
    "text-embedding-ada-002": "cl100k_base",
    "gpt-oss-20b": "o200k_harmony",
    "gpt-oss-120b": "o200k_harmony",
    "ft:gpt-4o-mini-2024-07-18:org::abc": "o200k_base",
    "ft:gpt-3.5-turbo-0125:org:name:id": "cl100k_base",
    "openai/gpt-4o": "o200k_base",
    "azure/gpt-4o": "o200k_base",
    "openrouter/openai/gpt-4.1-mini": "o200k_base",
    "GPT-4O": "o200k_base",
    "  gpt-4o-mini  ": "o200k_base",
    "text-davinci-003": "p50k_base",
    "davinci": "r50k_base",
}


@pytest.mark.parametrize(("model", "expected"), TABLE_CASES.items())
def test_encoding_for_model_table(model, expected):
    assert encoding_for_model(model) == expected


@pytest.mark.parametrize("model", ["claude-sonnet-4-5", "gemini-2.5-pro", "gpt-4x", "o2",
                                   "gpt", "my-gpt-4o", "llama-3.1-70b", ""])
def test_encoding_for_model_none(model):
    assert encoding_for_model(model) is None


def test_prefix_never_matches_substring():
    assert encoding_for_model("gpt-4o") != encoding_for_model("gpt-4")
    assert encoding_for_model("gpt-4-turbo") == "cl100k_base"
    assert encoding_for_model("gpt-4o-turbo") == "o200k_base"


def _tiktoken_sample_ids() -> list[str]:
    from tiktoken.model import MODEL_PREFIX_TO_ENCODING, MODEL_TO_ENCODING

    ids = list(MODEL_TO_ENCODING)
    for prefix in MODEL_PREFIX_TO_ENCODING:
        if prefix.startswith("ft:"):
            ids.append(prefix + ":org::abc123")
        elif prefix.endswith("-"):
            ids.append(prefix + "2099-01-01")
        else:
            ids.append(prefix + "-2099-01-01")
    return ids


@pytest.mark.parametrize("model", _tiktoken_sample_ids())
def test_table_agrees_with_tiktoken(model):
    import tiktoken

    assert encoding_for_model(model) == tiktoken.encoding_name_for_model(model)


# ====================
# Exact counts
# ====================


def test_count_exact_openai():
    count = count_tokens("hello world", "gpt-4o")

    assert count == TokenCount(2, True, "tiktoken o200k_base", "o200k_base")
    assert count.low == 2
    assert count.high == 2


def test_special_token_text_counted_as_ordinary():
    text = "Stop here: <|endoftext|> and <|endofprompt|>"
    count = count_tokens(text, "gpt-4o")

    assert count.tokens == len(_encoding("o200k_base").encode_ordinary(text))
    assert count.tokens > 3


def test_lone_surrogate_counted_as_replacement():
    assert count_tokens("a\ud800b", "gpt-4o").tokens == count_tokens("a\ufffdb", "gpt-4o").tokens
    assert count_tokens("\udfff", "gpt-4").tokens == count_tokens("\ufffd", "gpt-4").tokens


def test_split_surrogate_pair_recombined():
    assert count_tokens("\ud83d\ude00", "gpt-4o") == count_tokens("😀", "gpt-4o")
    assert count_tokens("x\ud83d\ude00\ud83d", "gpt-4").tokens == count_tokens(
        "x😀\ufffd", "gpt-4").tokens


def test_nul_characters_counted():
    text = "a\x00b\x00\x00c"

    assert count_tokens(text, "gpt-4o").tokens == len(_encoding("o200k_base").encode_ordinary(text))


def test_empty_text_is_zero():
    assert count_tokens("", "gpt-4o").tokens == 0
    assert count_tokens("", "claude-sonnet-4-5").tokens == 0


@pytest.mark.parametrize("model", ["gpt-4o", "gpt-4", "gpt-oss-20b"])
@pytest.mark.parametrize(
    "text",
    ["a" * 1_000_000, " " * 1_000_000, "\t" * 1_000_000 + "x", "🙂" * 200_000,
     "\n" + " " * 1_000_000 + "\n", "\u3000" * 1_000_000],
    ids=["letters", "spaces", "tabs", "emoji", "newline-spaces", "ideographic-spaces"],
)
def test_million_repeated_characters_counted(model, text):
    count = count_tokens(text, model)

    assert count.exact
    assert 0 < count.tokens <= len(text.encode("utf-8"))


def test_long_space_run_matches_independent_split():
    # o200k_base splits "<spaces> a" into the run minus one space (\s+(?!\S)) and " a".
    encoding = _encoding("o200k_base")
    run = encoding._encode_single_piece(" " * 999_999)
    expected = len(run) + len(encoding.encode_ordinary(" a"))

    assert count_tokens(" " * 1_000_000 + "a", "gpt-4o").tokens == expected


@pytest.mark.parametrize("name", ["o200k_base", "cl100k_base"])
def test_piece_split_equals_tiktoken_near_limit(name):
    tokenizer = tiktoken_tokenizer(name)
    texts = [" " * 150_000 + "word", "x" + "\t " * 60_000 + "\n\n  y", "a \n" * 50_000,
             "end " + " " * 120_000]
    for text in texts:
        assert tokenizer.encode_by_pieces(text) == tokenizer.encoding.encode_ordinary(text)


def test_encode_single_piece_still_available():
    encoding = _encoding("o200k_base")

    assert encoding._encode_single_piece(" hello") == encoding.encode_ordinary(" hello")


# Texts built from the characters that the tiktoken regexes treat specially.
_TRICKY_CHARACTERS = " \t\n\r\x0b\x1c\x85\u2028\u3000\xa0aZé1'!/\\😀中\u0301-"
_TRICKY = st.text(alphabet=st.sampled_from(list(_TRICKY_CHARACTERS)), max_size=60)
_ANY_TEXT = st.text(alphabet=st.characters(codec=None), max_size=200)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(_ANY_TEXT, _TRICKY))
def test_count_never_raises_and_matches_tiktoken(text):
    for model, name in (("gpt-4o", "o200k_base"), ("gpt-4", "cl100k_base")):
        count = count_tokens(text, model)
        assert count.tokens == len(_encoding(name).encode_ordinary(text))
    assert count_tokens(text, "claude-sonnet-4-5").tokens >= 0
    assert count_tokens(text, "some-unknown-model").tokens >= 0


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(_ANY_TEXT, _TRICKY))
def test_piece_split_equals_encode_ordinary(text):
    for name in ("o200k_base", "cl100k_base"):
        tokenizer = tiktoken_tokenizer(name)
        assert tokenizer.encode_by_pieces(text) == tokenizer.encoding.encode_ordinary(text)


def test_non_str_text_rejected():
    with pytest.raises(TypeError, match="text must be a str, got bytes"):
        count_tokens(b"hello", "gpt-4o")  # type: ignore[arg-type]


# ====================
# Explicit tokenizers
# ====================


def test_encoding_name_forces_tokenizer():
    count = count_tokens("hello world", "claude-sonnet-4-5", tokenizer="cl100k_base")

    assert count.exact
    assert count.tokenizer == "cl100k_base"


def test_unshipped_encoding_name_rejected():
    with pytest.raises(InvalidTokenizerError) as caught:
        count_tokens("hi", "text-davinci-003", tokenizer="p50k_base")

    assert "p50k_base" in str(caught.value)
    assert "not shipped" in str(caught.value)
    assert "o200k_base" in str(caught.value)


def test_unknown_encoding_name_rejected():
    with pytest.raises(InvalidTokenizerError, match="unknown tiktoken encoding 'o300k_base'"):
        count_tokens("hi", "gpt-4o", tokenizer="o300k_base")


def test_missing_tokenizer_file_rejected(tmp_path):
    missing = tmp_path / "nowhere" / "tokenizer.json"

    with pytest.raises(InvalidTokenizerError, match="tokenizer file not found") as caught:
        count_tokens("hi", "my-model", tokenizer=missing)

    assert str(missing) in str(caught.value)


def test_invalid_tokenizer_type_rejected():
    with pytest.raises(InvalidTokenizerError, match="invalid tokenizer 42"):
        count_tokens("hi", "gpt-4o", tokenizer=42)  # type: ignore[arg-type]


class _WordTokenizer:
    name = "words"
    method = "split on spaces"

    def count(self, text: str) -> int:
        return len(text.split())

    def pieces(self, text: str) -> list[str]:
        return text.split()


def test_tokenizer_object_used():
    count = count_tokens("one two three", "anything", tokenizer=_WordTokenizer())

    assert count == TokenCount(3, True, "split on spaces", "words")


def test_get_tokenizer_choices():
    assert get_tokenizer("gpt-4o").name == "o200k_base"
    assert get_tokenizer("claude-sonnet-4-5") is None
    assert get_tokenizer("text-davinci-003") is None


@pytest.mark.parametrize(("model", "exact"), [("gpt-4o", True), ("gpt-oss-120b", True),
                                               ("claude-opus-4-1", False), ("davinci", False),
                                               ("open-mistral-nemo", True),
                                               ("mistral-large-latest", False)])
def test_is_exact_model(model, exact):
    assert is_exact_model(model) is exact


def test_is_exact_model_without_mistral(monkeypatch):
    monkeypatch.setitem(sys.modules, "mistral_common", None)

    assert not is_exact_model("open-mistral-nemo")


# ====================
# Estimates
# ====================


def test_claude_estimate_scales_o200k():
    text = "The quick brown fox jumps over the lazy dog. " * 20
    proxy = count_tokens(text, "gpt-4o").tokens
    count = count_tokens(text, "claude-sonnet-4-5")

    assert not count.exact
    assert count.tokens == round(proxy * 1.2)
    assert count.method == "estimate: o200k_base count × 1.2, ±25%"
    assert count.uncertainty == 0.25
    assert count.low == math.floor(count.tokens * 0.75)
    assert count.high == math.ceil(count.tokens * 1.25)


@pytest.mark.parametrize(("model", "family"), [
    ("claude-3-5-haiku-20241022", "claude"), ("anthropic/claude-opus-4-1", "claude"),
    ("us.anthropic.claude-3-7-sonnet-20250219-v1:0", "claude"), ("gemini-2.5-flash", "gemini"),
    ("meta-llama/Llama-3.1-8B-Instruct", "llama"), ("mistral-large-latest", "mistral"),
    ("deepseek-chat", "deepseek"), ("grok-4", "grok"), ("command-r-plus", "cohere"),
    ("qwen-max", "qwen"), ("text-davinci-003", "openai-legacy"), ("foo-bar", "other"),
])
def test_estimate_rule_family(model, family):
    assert counting.estimate_rule(model).family == family


SPELLINGS = {
    "gpt-4o": ["openai:gpt-4o", "openai/gpt-4o", "azure:gpt-4o", "azure/gpt-4o",
               "openrouter:openai/gpt-4o", "OpenAI:GPT-4o"],
    "claude-sonnet-4-5": [
        "anthropic:claude-sonnet-4-5", "anthropic/claude-sonnet-4-5",
        "bedrock/anthropic.claude-sonnet-4-5", "anthropic.claude-sonnet-4-5",
        "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "aws:regional.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "bedrock:global.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "vertex_ai/claude-sonnet-4-5", "google:claude-sonnet-4-5",
    ],
    "gemini-2.5-pro": ["google:gemini-2.5-pro", "vertex_ai/gemini-2.5-pro",
                       "gemini/gemini-2.5-pro"],
    "grok-4": ["x-ai:grok-4", "xai/grok-4"],
}


@pytest.mark.parametrize(("bare", "spelling"), [
    (bare, spelling) for bare, spellings in SPELLINGS.items() for spelling in spellings
])
def test_spellings_count_alike(bare, spelling):
    text = "Refund order #4821, charged twice: $129.99.\n" * 3
    expected = count_tokens(text, bare)
    count = count_tokens(text, spelling)
    assert count.exact == expected.exact
    assert count.method == expected.method
    assert count.tokens == expected.tokens
    assert count.uncertainty == expected.uncertainty
    assert counting.estimate_rule(spelling) == counting.estimate_rule(bare)
    assert counting.is_exact_model(spelling) == counting.is_exact_model(bare)


def test_legacy_openai_model_estimated():
    count = count_tokens("Say this is a test", "text-davinci-003")

    assert not count.exact
    assert count.method == ("estimate: cl100k_base count × 1.1, ±20%; the p50k_base "
                            "vocabulary is not shipped offline")


def test_mistral_tekken_needs_no_sentencepiece(monkeypatch):
    monkeypatch.setitem(sys.modules, "sentencepiece", None)

    assert is_exact_model("open-mistral-nemo")
    assert not is_exact_model("mistral-large-2411")


def test_mistral_alias_estimated_with_tekken():
    count = count_tokens("Bonjour tout le monde", "mistral-large-latest")

    assert not count.exact
    assert count.method == "estimate: tekken_240911 count × 1.0, ±20%"


def test_mistral_without_package_gives_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "mistral_common", None)
    count = count_tokens("Bonjour tout le monde", "open-mistral-nemo")

    assert not count.exact
    assert count.method.startswith("estimate: 3.5 characters per token, ±30%")
    assert 'pip install "mistral-common[sentencepiece]"' in count.method


def test_global_ratio_switches_to_characters():
    set_estimate_ratio(5)
    count = count_tokens("x" * 100, "claude-sonnet-4-5")

    assert count.tokens == 20
    assert count.method == "estimate: 5.0 characters per token, ±30%"
    assert count.tokenizer == "chars/5.0"
    assert get_estimate_ratio("gemini-2.5-pro") == (5.0, 0.25)


def test_family_ratio_wins_over_global():
    set_estimate_ratio(5)
    set_estimate_ratio(2.5, family="gemini")

    assert count_tokens("x" * 100, "gemini-2.5-pro").tokens == 40
    assert count_tokens("x" * 100, "claude-sonnet-4-5").tokens == 20
    assert get_estimate_ratio("gemini-2.5-pro") == (2.5, 0.25)


def test_exact_models_ignore_ratio():
    set_estimate_ratio(1)

    assert count_tokens("hello world", "gpt-4o").tokens == 2


def test_character_estimate_counts_code_points():
    set_estimate_ratio(4)

    assert count_tokens("\ud83d\ude00" * 8, "claude-3-opus").tokens == 2
    assert count_tokens("a", "claude-3-opus").tokens == 1


def test_reset_restores_defaults():
    set_estimate_ratio(7, family="claude")
    counting.reset_estimate_ratios()

    assert get_estimate_ratio("claude-3-opus") == (3.5, 0.30)
    assert count_tokens("hi there", "claude-3-opus").method.startswith("estimate: o200k_base")


@pytest.mark.parametrize("bad", [0, -1, 0.0, float("nan"), float("inf"), -float("inf")])
def test_invalid_ratio_rejected(bad):
    with pytest.raises(ValueError, match="must be a finite number greater than 0"):
        set_estimate_ratio(bad)


@pytest.mark.parametrize("bad", ["4", None, True])
def test_non_number_ratio_rejected(bad):
    with pytest.raises(ValueError, match="must be a number greater than 0"):
        set_estimate_ratio(bad)  # type: ignore[arg-type]


def test_unknown_family_rejected():
    with pytest.raises(ValueError, match="unknown model family 'anthropic'; expected one of"):
        set_estimate_ratio(4, family="anthropic")


def test_default_ratio_constant():
    assert counting.ESTIMATE_CHARS_PER_TOKEN == 4.0
    assert get_estimate_ratio("some-unknown-model") == (4.0, 0.25)


def test_token_count_range_rounding():
    count = TokenCount(10, False, "m", "t", 0.1)

    assert count.low == 9
    assert count.high == 11
    assert TokenCount(7, True, "m", "t").low == 7
