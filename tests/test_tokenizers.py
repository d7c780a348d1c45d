"""Exact tokenizers beyond the model table: tokenizer.json files and Mistral's bundled files."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import pytest

from llmcost_jupyter.counting import count_tokens, get_tokenizer
from llmcost_jupyter.tokenizers import (
    MISTRAL_TOKENIZERS,
    InvalidTokenizerError,
    Tokenizer,
    load_tokenizer_file,
    match_prefix_table,
    mistral_tokenizer,
    normalize_model_id,
    normalize_text,
    pieces_from_byte_lengths,
    pieces_from_char_ends,
)

CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "Token counting decides what a prompt costs.",
    "def count(text):\n    return len(text.split())\n",
    "Prices are given per million tokens.",
] * 20


def _train_tokenizer(path, *, byte_level: bool = True, truncate: int | None = None) -> None:
    from tokenizers import Tokenizer as BackendTokenizer
    from tokenizers import decoders, models, pre_tokenizers, trainers

    backend = BackendTokenizer(models.BPE(unk_token="[UNK]"))
    if byte_level:
        backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        backend.decoder = decoders.ByteLevel()
        alphabet = pre_tokenizers.ByteLevel.alphabet()
    else:
        backend.pre_tokenizer = pre_tokenizers.Whitespace()
        alphabet = []
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=["[UNK]", "<s>"],
                                  initial_alphabet=alphabet)
    backend.train_from_iterator(CORPUS, trainer)
    if truncate is not None:
        backend.enable_truncation(truncate)
    backend.save(str(path))


@pytest.fixture(scope="module")
def tokenizer_json(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny") / "tokenizer.json"
    _train_tokenizer(path)
    return path


# ====================
# Hugging Face tokenizer.json
# ====================


def test_tokenizer_json_counts_exactly(tokenizer_json):
    from tokenizers import Tokenizer as BackendTokenizer

    text = "The lazy fox counts tokens.\n"
    expected = len(BackendTokenizer.from_file(str(tokenizer_json))
                   .encode(text, add_special_tokens=False).ids)
    count = count_tokens(text, "my-model", tokenizer=tokenizer_json)

    assert count.exact
    assert count.tokens == expected
    assert count.method == f"tokenizer.json ({tokenizer_json.resolve()})"
    assert count.tokenizer.endswith("/tokenizer.json")


def test_tokenizer_json_accepts_str_path(tokenizer_json):
    assert count_tokens("fox", "my-model", tokenizer=str(tokenizer_json)).exact


def test_tokenizer_json_is_a_tokenizer(tokenizer_json):
    assert isinstance(load_tokenizer_file(tokenizer_json), Tokenizer)


def test_tokenizer_json_truncation_ignored(tmp_path):
    path = tmp_path / "tokenizer.json"
    _train_tokenizer(path, truncate=4)
    text = " ".join(CORPUS[:4])

    assert count_tokens(text, "my-model", tokenizer=path).tokens > 4


def test_tokenizer_json_special_text_and_surrogates(tokenizer_json):
    count = count_tokens("<s> fox \ud800 \ud83d\ude00", "my-model", tokenizer=tokenizer_json)

    assert count.tokens > 3


@pytest.mark.parametrize("byte_level", [True, False])
def test_tokenizer_json_pieces_join(tmp_path, byte_level):
    path = tmp_path / "tokenizer.json"
    _train_tokenizer(path, byte_level=byte_level)
    tokenizer = load_tokenizer_file(path)
    text = "The  quick fox\tcounts 🙂 tokens.\n"

    pieces = tokenizer.pieces(text)

    assert "".join(pieces) == text
    assert len(pieces) == tokenizer.count(text)


def test_invalid_json_rejected(tmp_path):
    path = tmp_path / "tokenizer.json"
    path.write_text("{not json", encoding="utf-8")

    with pytest.raises(InvalidTokenizerError) as caught:
        count_tokens("hi", "my-model", tokenizer=path)

    assert str(path) in str(caught.value)
    assert "Tokenizer.save" in str(caught.value)


def test_valid_json_not_tokenizer_rejected(tmp_path):
    path = tmp_path / "config.json"
    path.write_text('{"model_type": "llama"}', encoding="utf-8")

    with pytest.raises(InvalidTokenizerError, match="invalid tokenizer file"):
        load_tokenizer_file(path)


def test_directory_rejected(tmp_path):
    with pytest.raises(InvalidTokenizerError, match="tokenizer file not found"):
        load_tokenizer_file(tmp_path)


def test_missing_tokenizers_package_hint(tmp_path, tokenizer_json, monkeypatch):
    copy = tmp_path / "other" / "tokenizer.json"
    copy.parent.mkdir()
    copy.write_bytes(tokenizer_json.read_bytes())
    monkeypatch.setitem(sys.modules, "tokenizers", None)

    with pytest.raises(ModuleNotFoundError, match=re.escape(
            'pip install tokenizers')):
        load_tokenizer_file(copy)


# ====================
# Mistral
# ====================


def _mistral_common_file(model: str) -> str:
    from mistral_common.tokens.tokenizers.mistral import MODEL_NAME_TO_TOKENIZER_CLS

    loaded = MODEL_NAME_TO_TOKENIZER_CLS[model]()
    return loaded.instruct_tokenizer.tokenizer.file_path.name


def _mistral_common_models() -> list[str]:
    from mistral_common.tokens.tokenizers.mistral import MODEL_NAME_TO_TOKENIZER_CLS

    return sorted(MODEL_NAME_TO_TOKENIZER_CLS)


@pytest.mark.parametrize("model", _mistral_common_models())
def test_mistral_table_agrees_with_mistral_common(model):
    entry = match_prefix_table(model, MISTRAL_TOKENIZERS)

    assert entry is not None
    assert entry.filename == _mistral_common_file(model)


SAMPLE = "Bonjour, ça va? 你好 🙂\ndef f(x):\n    return x  [INST] </s> <s>\x00"


@pytest.mark.parametrize("model", ["open-mistral-nemo", "mistral-large-2411",
                                   "mistral-small-2402", "pixtral-12b-2409",
                                   "mistral-medium-2312", "codestral-2405"])
def test_mistral_count_matches_mistral_common(model):
    from mistral_common.tokens.tokenizers.mistral import MODEL_NAME_TO_TOKENIZER_CLS

    dated = next(name for name in MODEL_NAME_TO_TOKENIZER_CLS if name.startswith(model))
    reference = MODEL_NAME_TO_TOKENIZER_CLS[dated]().instruct_tokenizer.tokenizer
    count = count_tokens(SAMPLE, model)

    assert count.exact
    assert count.tokens == len(reference.encode(SAMPLE, bos=False, eos=False))
    assert "without BOS/EOS" in count.method


@pytest.mark.parametrize("model", ["open-mistral-nemo", "mistral-large-2411"])
def test_mistral_pieces_join(model):
    tokenizer = mistral_tokenizer(model)
    pieces = tokenizer.pieces(SAMPLE)

    assert "".join(pieces) == SAMPLE
    assert len(pieces) == tokenizer.count(SAMPLE)


def test_mistral_method_names_file():
    assert count_tokens("hi", "mistral/open-mistral-nemo-2407").method == (
        "mistral-common tekken v3 (tekken_240718.json), raw text without BOS/EOS")


def test_mistral_tekken_long_whitespace():
    count = count_tokens(" " * 1_000_000 + "x", "open-mistral-nemo")

    assert count.exact
    assert count.tokens > 0


def test_mistral_unknown_or_missing_returns_none(monkeypatch):
    assert mistral_tokenizer("mistral-large-latest") is None
    assert mistral_tokenizer("gpt-4o") is None
    monkeypatch.setitem(sys.modules, "sentencepiece", None)
    assert mistral_tokenizer("mistral-large-2411") is None


def test_mistral_loads_bundled_file_offline():
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent("""
            import socket

            def reject(*args, **kwargs):
                raise AssertionError("network access attempted")

            socket.socket.connect = reject
            socket.create_connection = reject
            from llmcost_jupyter.counting import count_tokens
            for model in ("open-mistral-nemo", "mistral-large-2411", "mistral-large-latest"):
                print(count_tokens("Hello world", model).tokens)
            """)],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "HF_HUB_OFFLINE": "0"},
    )

    assert result.returncode == 0, result.stderr
    assert len(result.stdout.split()) == 3


# ====================
# Helpers
# ====================


def test_normalize_text():
    assert normalize_text("plain") == "plain"
    assert normalize_text("\ud83d\ude00") == "😀"
    assert normalize_text("a\ud800b") == "a\ufffdb"
    assert normalize_text("\ude00\ud83d") == "\ufffd\ufffd"


@pytest.mark.parametrize(("model", "expected"), [
    ("OpenAI/GPT-4o", "gpt-4o"), ("ft:gpt-4o-mini:org::x", "gpt-4o-mini"),
    ("us.anthropic.claude-3-haiku", "claude-3-haiku"), (" azure/gpt-4 ", "gpt-4"),
    ("openai:gpt-4o", "gpt-4o"), ("Anthropic:Claude-Sonnet-4-5", "claude-sonnet-4-5"),
    ("openai:ft:gpt-4o-mini:org::x", "gpt-4o-mini"), ("openrouter:openai/gpt-4o", "gpt-4o"),
    ("aws:regional.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5-20250929-v1:0"),
    ("bedrock/global.anthropic.claude-opus-4-5-v1:0", "claude-opus-4-5-v1:0"),
    ("us-gov.anthropic.claude-3-haiku", "claude-3-haiku"),
    ("bedrock/openai.gpt-oss-120b-1:0", "gpt-oss-120b-1:0"),
    # Not provider prefixes: a colon inside an id, and a local runtime's tags.
    ("gpt-4o:extended", "gpt-4o:extended"), ("mistral:7b", "mistral:7b"),
    ("gemma:latest", "gemma:latest"),
])
def test_normalize_model_id(model, expected):
    assert normalize_model_id(model) == expected


def test_provider_prefixes_cover_catalog():
    from genai_prices.data_snapshot import get_snapshot

    from llmcost_jupyter.prices import PROVIDER_ALIASES
    from llmcost_jupyter.tokenizers import PROVIDER_PREFIXES

    catalog_ids = {provider.id for provider in get_snapshot().providers}
    assert catalog_ids - PROVIDER_PREFIXES == set()
    assert set(PROVIDER_ALIASES) - PROVIDER_PREFIXES == set()


def test_match_prefix_table_rules():
    table = {"gpt-4": "a", "gpt-4o": "b", "gpt-5.": "c"}

    assert match_prefix_table("gpt-4", table) == "a"
    assert match_prefix_table("gpt-4-turbo", table) == "a"
    assert match_prefix_table("gpt-4o-mini", table) == "b"
    assert match_prefix_table("gpt-4x", table) is None
    assert match_prefix_table("gpt-5.3", table) == "c"
    assert match_prefix_table("gpt-5", table) is None


def test_pieces_from_byte_lengths_split_character():
    # "é" is two bytes split across two tokens; it goes to the token holding its last byte.
    assert pieces_from_byte_lengths("aé", [2, 1]) == ["a", "é"]
    assert pieces_from_byte_lengths("é", [1, 1]) == ["", "é"]


def test_pieces_from_char_ends_gaps_and_overlaps():
    assert pieces_from_char_ends("a b c", [1, 3, 3, 5]) == ["a", " b", "", " c"]
    assert pieces_from_char_ends("ab  ", [1, 2]) == ["a", "b  "]


def test_python_whitespace_covers_tiktoken_whitespace():
    # The long-run check uses Python's \s; it must match every character tiktoken's \s does.
    import regex

    unicode_space = regex.compile(r"\s")
    python_space = re.compile(r"\s")
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if unicode_space.match(char):
            assert python_space.match(char), hex(code)


def test_get_tokenizer_for_path_like_string(tokenizer_json):
    assert get_tokenizer("anything", tokenizer=str(tokenizer_json)).count("fox") >= 1
