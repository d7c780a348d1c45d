"""Chat-formatted prompts: parsing role lines and counting with framing overhead."""

from __future__ import annotations

import pytest

from llmcost_jupyter import counting
from llmcost_jupyter.chat import count_chat, parse_chat
from llmcost_jupyter.counting import count_tokens


@pytest.fixture(autouse=True)
def _reset_ratios():
    counting.reset_estimate_ratios()
    yield
    counting.reset_estimate_ratios()


def test_parse_role_prefixes():
    text = "system: Be brief.\nuser: What is 2 + 2?\nassistant: 4\nuser: And 3 + 3?"

    assert parse_chat(text) == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is 2 + 2?"},
        {"role": "assistant", "content": "4"},
        {"role": "user", "content": "And 3 + 3?"},
    ]


def test_parse_multiline_messages_keep_inner_lines():
    text = "\n\nUSER: first line\n\n    indented code\n\nAssistant:\nreply\n\n"

    assert parse_chat(text) == [
        {"role": "user", "content": "first line\n\n    indented code"},
        {"role": "assistant", "content": "reply"},
    ]


def test_parse_markdown_headings():
    text = "### System\nYou count tokens.\n\n## user\nHow many?\n# assistant:\nSeven."

    assert parse_chat(text) == [
        {"role": "system", "content": "You count tokens."},
        {"role": "user", "content": "How many?"},
        {"role": "assistant", "content": "Seven."},
    ]


def test_parse_developer_and_tool_roles():
    messages = parse_chat("developer: rules\ntool: {\"ok\": true}")

    assert [m["role"] for m in messages] == ["developer", "tool"]


@pytest.mark.parametrize("text", [
    "", "   \n", "Summarise this text.\nuser: not the first line",
    "username: alice", "### Systems\ntext", "the user: said",
])
def test_plain_text_is_not_chat(text):
    assert parse_chat(text) is None


def test_heading_with_text_is_not_role():
    assert parse_chat("### user guide\nuser: hi") is None


def test_empty_message_kept():
    assert parse_chat("system:\nuser: hi") == [
        {"role": "system", "content": ""}, {"role": "user", "content": "hi"}]


def test_count_chat_adds_framing():
    messages = [{"role": "system", "content": "Be brief."},
                {"role": "user", "content": "What is 2 + 2?"}]
    text_tokens = sum(count_tokens(value, "gpt-4").tokens
                      for message in messages for value in message.values())

    count = count_chat(messages, "gpt-4")

    assert count.tokens == text_tokens + 3 * 2 + 3
    assert not count.exact
    assert count.method == ("tiktoken cl100k_base; framing overhead estimated: 3 tokens per "
                            "message + 3 per reply")
    assert count.tokenizer == "cl100k_base"
    assert count.uncertainty == pytest.approx(0.5 * 9 / count.tokens, abs=0.01)


def test_count_chat_name_adds_token():
    plain = count_chat([{"role": "user", "content": "hi"}], "gpt-4o")
    named = count_chat([{"role": "user", "content": "hi", "name": "ann"}], "gpt-4o")

    assert named.tokens == plain.tokens + count_tokens("ann", "gpt-4o").tokens + 1
    assert "+ 1 per name" in named.method


def test_count_chat_estimate_model():
    count = count_chat(parse_chat("user: hello there"), "claude-sonnet-4-5")

    assert not count.exact
    assert count.method.startswith("estimate: o200k_base count × 1.2, ±25%; framing overhead")
    assert count.uncertainty >= 0.25


def test_count_chat_with_tokenizer():
    count = count_chat([{"role": "user", "content": "hello"}], "claude-3-opus",
                       tokenizer="o200k_base")

    assert count.method.startswith("tiktoken o200k_base;")


def test_count_chat_empty_list():
    count = count_chat([], "gpt-4o")

    assert count.tokens == 3
    assert not count.exact


@pytest.mark.parametrize("messages", [
    "user: hi", [("user", "hi")], [{"role": "user"}], [{"role": "user", "content": None}],
])
def test_count_chat_rejects_bad_messages(messages):
    with pytest.raises(TypeError):
        count_chat(messages, "gpt-4o")  # type: ignore[arg-type]
