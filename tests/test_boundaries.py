"""Token boundaries in HTML and plain text."""

from __future__ import annotations

import html
import re

import pytest

from llmcost_jupyter.boundaries import boundaries_html, boundaries_text, token_pieces
from llmcost_jupyter.counting import count_tokens
from llmcost_jupyter.tokenizers import InvalidTokenizerError

TEXTS = [
    "Hello world",
    "  leading spaces\n\n\ttabs and 🙂 emoji <|endoftext|>\x00",
    "Grüße, 你好, مرحبا",
    "a\ud800b \ud83d\ude00",
    "",
]


@pytest.mark.parametrize("model", ["gpt-4o", "gpt-4", "open-mistral-nemo",
                                   "mistral-large-2411"])
@pytest.mark.parametrize("text", TEXTS)
def test_pieces_join_and_match_count(model, text):
    pieces = token_pieces(text, model)

    assert "".join(pieces) == text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    assert len(pieces) == count_tokens(text, model).tokens


def test_emoji_split_across_tokens():
    # cl100k_base encodes this emoji as two tokens; the first holds only part of its bytes.
    pieces = token_pieces("🙂", "gpt-4")

    assert pieces == ["", "🙂"]


def test_estimate_only_model_raises():
    with pytest.raises(InvalidTokenizerError, match="claude-sonnet-4-5 has no public tokenizer"):
        token_pieces("hi", "claude-sonnet-4-5")
    with pytest.raises(ValueError, match="tokenizer="):
        boundaries_html("hi", "gemini-2.5-pro")


def test_explicit_tokenizer_for_estimate_model():
    assert token_pieces("hello world", "claude-sonnet-4-5", tokenizer="o200k_base") == [
        "hello", " world"]


def test_html_spans_titles_and_colours():
    markup = boundaries_html("hello world", "gpt-4o")
    spans = re.findall(r'<span style="background:(#[0-9a-f]{6});color:#000" '
                       r'title="token (\d+)">(.*?)</span>', markup)

    assert [(index, text) for _colour, index, text in spans] == [("0", "hello"), ("1", "·world")]
    assert spans[0][0] != spans[1][0]
    assert "2 tokens, tiktoken o200k_base" in markup


def test_html_escapes_text():
    markup = boundaries_html('<script>alert("x")</script> & more', "gpt-4o")

    text_only = re.sub(r"</?(span|div)[^>]*>", "", markup)

    assert "<" not in text_only
    assert "&lt;" in text_only
    assert "&gt;" in text_only
    assert "&quot;" in text_only
    assert "&amp;" in text_only


def test_html_whitespace_visible_and_kept():
    markup = boundaries_html("a b\n\tc\r\x00", "gpt-4o")
    shown = html.unescape(re.sub(r"<[^>]+>", "", markup))

    assert "a·b⏎\n→\tc␍␀" in shown


def test_html_split_character_titled_with_range():
    markup = boundaries_html("🙂", "gpt-4")

    assert 'title="tokens 0–1 (one character split across 2 tokens)">🙂</span>' in markup
    assert "2 tokens" in markup


def test_html_max_tokens_cuts_display():
    markup = boundaries_html(" word" * 100, "gpt-4o", max_tokens=10)

    assert markup.count("<span") == 10
    assert "100 tokens" in markup
    assert "showing the first 10" in markup


def test_text_separators_and_legend():
    rendered = boundaries_text("hello world\nbye", "gpt-4o")

    assert rendered == "hello|·world|⏎\n|bye\n[4 tokens, tiktoken o200k_base]"


def test_text_with_tokenizer_json_legend(tmp_path):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    backend = Tokenizer(models.BPE(unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.train_from_iterator(["hello world"] * 10,
                                trainers.BpeTrainer(vocab_size=60, special_tokens=["[UNK]"]))
    path = tmp_path / "tokenizer.json"
    backend.save(str(path))

    rendered = boundaries_text("hello world", "local", tokenizer=path)

    assert rendered.startswith("hello|·world\n[2 tokens, tokenizer.json (")
