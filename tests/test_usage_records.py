"""Tests for reading usage from API responses and pricing them end to end."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal
from types import SimpleNamespace

import genai_prices
import pytest
from pydantic import BaseModel

from llmcost_jupyter.costs import BatchNotAvailableError, Usage, price_usage
from llmcost_jupyter.prices import UnknownModelError, get_rate_card, reset_registry
from llmcost_jupyter.usage_records import price_response, usage_from_response

D = Decimal
MTOK = 1_000_000
NOW = datetime.datetime.now(datetime.timezone.utc)

# An o4-mini Chat Completions response with cached prompt tokens and reasoning tokens.
OPENAI_CHAT_REASONING = {
    "id": "chatcmpl-BmX0n8wQjv3Lk2Zr9dTgH4cPfYsE1",
    "object": "chat.completion",
    "created": 1750860000,
    "model": "o4-mini-2025-04-16",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "The answer is 42.", "refusal": None},
            "finish_reason": "stop",
        }
    ],
    "usage": {
        "prompt_tokens": 1834,
        "completion_tokens": 912,
        "total_tokens": 2746,
        "prompt_tokens_details": {"cached_tokens": 1536, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 640,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    },
    "service_tier": "default",
    "system_fingerprint": None,
}

# A plain gpt-4o-mini Chat Completions response, without any details.
OPENAI_CHAT_PLAIN = {
    "id": "chatcmpl-9zY",
    "object": "chat.completion",
    "model": "gpt-4o-mini-2024-07-18",
    "choices": [],
    "usage": {"prompt_tokens": 52, "completion_tokens": 17, "total_tokens": 69},
}

# A gpt-5 Responses API response with cached input and reasoning output.
OPENAI_RESPONSES = {
    "id": "resp_68a1f0c2e3b48190a6c1d2e3f4a5b6c7",
    "object": "response",
    "created_at": 1755500000,
    "status": "completed",
    "model": "gpt-5-2025-08-07",
    "output": [
        {"type": "reasoning", "id": "rs_1", "summary": []},
        {
            "type": "message",
            "id": "msg_1",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "Done.", "annotations": []}],
        },
    ],
    "usage": {
        "input_tokens": 2048,
        "input_tokens_details": {"cached_tokens": 1024},
        "output_tokens": 1500,
        "output_tokens_details": {"reasoning_tokens": 1200},
        "total_tokens": 3548,
    },
}

# A Claude Sonnet 4.5 Messages response that read and wrote the prompt cache, in both lifetimes.
ANTHROPIC_CACHED = {
    "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-5-20250929",
    "content": [{"type": "text", "text": "Here is the summary."}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {
        "input_tokens": 25,
        "cache_creation_input_tokens": 3000,
        "cache_read_input_tokens": 12000,
        "cache_creation": {"ephemeral_5m_input_tokens": 1000, "ephemeral_1h_input_tokens": 2000},
        "output_tokens": 503,
        "service_tier": "standard",
    },
}

# A Gemini 2.5 Pro generateContent response (REST JSON) with cached content and thoughts.
GEMINI_REST = {
    "candidates": [
        {
            "content": {"parts": [{"text": "Paris."}], "role": "model"},
            "finishReason": "STOP",
            "index": 0,
        }
    ],
    "usageMetadata": {
        "promptTokenCount": 4120,
        "candidatesTokenCount": 350,
        "totalTokenCount": 5470,
        "cachedContentTokenCount": 4000,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 4120}],
        "cacheTokensDetails": [{"modality": "TEXT", "tokenCount": 4000}],
        "thoughtsTokenCount": 1000,
    },
    "modelVersion": "gemini-2.5-pro",
    "responseId": "xyzAbC12",
}


@pytest.fixture(autouse=True)
def _clean_registry() -> Iterator[None]:
    reset_registry()
    yield
    reset_registry()


# ---------------------------------------------------------------------------------------------
# Reading each shape


def test_openai_chat_with_reasoning() -> None:
    model, usage = usage_from_response(OPENAI_CHAT_REASONING)
    assert model == "o4-mini-2025-04-16"
    assert usage == Usage(
        input_tokens=1834, output_tokens=272, reasoning_tokens=640, cache_read_tokens=1536
    )


def test_openai_chat_plain() -> None:
    model, usage = usage_from_response(OPENAI_CHAT_PLAIN)
    assert model == "gpt-4o-mini-2024-07-18"
    assert usage == Usage(input_tokens=52, output_tokens=17)


def test_openai_responses() -> None:
    model, usage = usage_from_response(OPENAI_RESPONSES)
    assert model == "gpt-5-2025-08-07"
    assert usage == Usage(
        input_tokens=2048, output_tokens=300, reasoning_tokens=1200, cache_read_tokens=1024
    )


def test_anthropic_cache_lifetimes() -> None:
    model, usage = usage_from_response(ANTHROPIC_CACHED)
    assert model == "claude-sonnet-4-5-20250929"
    assert usage == Usage(
        input_tokens=15025,
        output_tokens=503,
        cache_read_tokens=12000,
        cache_write_5m_tokens=1000,
        cache_write_1h_tokens=2000,
    )
    assert usage.uncached_input_tokens == 25


def test_anthropic_without_lifetime_split() -> None:
    response = {
        "type": "message",
        "model": "claude-opus-4-1-20250805",
        "usage": {
            "input_tokens": 10,
            "cache_creation_input_tokens": 500,
            "cache_read_input_tokens": 0,
            "output_tokens": 20,
        },
    }
    _, usage = usage_from_response(response)
    assert usage == Usage(input_tokens=510, output_tokens=20, cache_write_5m_tokens=500)


def test_anthropic_thinking_details() -> None:
    response = {
        "type": "message",
        "model": "claude-sonnet-4-5",
        "usage": {
            "input_tokens": 10,
            "output_tokens": 300,
            "output_tokens_details": {"thinking_tokens": 200},
        },
    }
    _, usage = usage_from_response(response)
    assert usage.output_tokens == 100
    assert usage.reasoning_tokens == 200


def test_anthropic_split_exceeding_total() -> None:
    response = {
        "type": "message",
        "usage": {
            "input_tokens": 1,
            "output_tokens": 1,
            "cache_creation_input_tokens": 10,
            "cache_creation": {"ephemeral_1h_input_tokens": 20},
        },
    }
    with pytest.raises(ValueError, match="ephemeral_1h_input_tokens \\(20\\) exceeds"):
        usage_from_response(response)


def test_gemini_rest() -> None:
    model, usage = usage_from_response(GEMINI_REST)
    assert model == "gemini-2.5-pro"
    assert usage == Usage(
        input_tokens=4120, output_tokens=350, reasoning_tokens=1000, cache_read_tokens=4000
    )


def test_gemini_tool_prompt_counts_as_input() -> None:
    response = {
        "usageMetadata": {
            "promptTokenCount": 100,
            "toolUsePromptTokenCount": 40,
            "candidatesTokenCount": 5,
        },
        "modelVersion": "gemini-2.5-flash",
    }
    _, usage = usage_from_response(response)
    assert usage.input_tokens == 140


def test_gemini_sdk_snake_case() -> None:
    response = SimpleNamespace(
        usage_metadata=SimpleNamespace(
            prompt_token_count=4120,
            candidates_token_count=350,
            thoughts_token_count=1000,
            cached_content_token_count=4000,
            tool_use_prompt_token_count=None,
        ),
        model_version="gemini-2.5-pro",
    )
    model, usage = usage_from_response(response)
    assert model == "gemini-2.5-pro"
    assert usage == usage_from_response(GEMINI_REST)[1]


class _PromptDetails(BaseModel):
    cached_tokens: int | None = None
    audio_tokens: int | None = None


class _CompletionDetails(BaseModel):
    reasoning_tokens: int | None = None


class _ChatUsage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    prompt_tokens_details: _PromptDetails | None = None
    completion_tokens_details: _CompletionDetails | None = None


class _ChatCompletion(BaseModel):
    id: str
    model: str
    object: str = "chat.completion"
    usage: _ChatUsage | None = None


def test_pydantic_sdk_object() -> None:
    """SDK responses are pydantic models with attributes, like these."""
    response = _ChatCompletion.model_validate(OPENAI_CHAT_REASONING)
    assert usage_from_response(response) == usage_from_response(OPENAI_CHAT_REASONING)


def test_bare_usage_mapping() -> None:
    _, usage = usage_from_response(OPENAI_CHAT_REASONING["usage"])
    assert usage.reasoning_tokens == 640
    model, _ = usage_from_response(ANTHROPIC_CACHED["usage"])
    assert model is None


def test_input_output_defaults_to_responses() -> None:
    """Without Anthropic's cache keys, both shapes mean the same counts."""
    _, usage = usage_from_response({"usage": {"input_tokens": 7, "output_tokens": 3}})
    assert usage == Usage(input_tokens=7, output_tokens=3)


# ---------------------------------------------------------------------------------------------
# Provider hint and errors


def test_provider_hint() -> None:
    assert usage_from_response(OPENAI_RESPONSES, provider="openai")[1].reasoning_tokens == 1200
    assert usage_from_response(ANTHROPIC_CACHED, provider="Anthropic")[1].input_tokens == 15025
    assert usage_from_response(GEMINI_REST, provider="google")[1].cache_read_tokens == 4000


def test_provider_hint_mismatch() -> None:
    with pytest.raises(ValueError, match="expected a google response") as caught:
        usage_from_response(OPENAI_CHAT_PLAIN, provider="google")
    assert "Keys seen: choices, id, model, object, usage" in str(caught.value)


def test_unknown_provider_hint() -> None:
    with pytest.raises(ValueError, match="use one of anthropic, azure, google, openai"):
        usage_from_response(OPENAI_CHAT_PLAIN, provider="cohere")


def test_unknown_shape_names_keys() -> None:
    with pytest.raises(ValueError) as caught:
        usage_from_response({"id": "x", "usage": {"tokens": 5}})
    message = str(caught.value)
    assert "Keys seen: id, usage; usage keys: tokens." in message


def test_unknown_shape_without_keys() -> None:
    with pytest.raises(ValueError, match="Keys seen: none"):
        usage_from_response({})


def test_unknown_shape_of_object() -> None:
    with pytest.raises(ValueError, match="Keys seen: answer"):
        usage_from_response(SimpleNamespace(answer=42))


def test_reasoning_exceeding_completion() -> None:
    response = {
        "usage": {
            "prompt_tokens": 10,
            "completion_tokens": 5,
            "completion_tokens_details": {"reasoning_tokens": 8},
        }
    }
    with pytest.raises(
        ValueError, match="reasoning_tokens \\(8\\) exceeds the output token count \\(5\\)"
    ):
        usage_from_response(response)


def test_non_integer_count() -> None:
    with pytest.raises(ValueError, match="'prompt_tokens' must be a whole number, got '10'"):
        usage_from_response({"usage": {"prompt_tokens": "10", "completion_tokens": 5}})


def test_missing_required_count() -> None:
    with pytest.raises(ValueError, match="Missing token count 'prompt_tokens'"):
        usage_from_response({"usage": {"completion_tokens": 5}}, provider="openai")


# ---------------------------------------------------------------------------------------------
# Pricing end to end


def test_price_openai_reasoning() -> None:
    card, usage, cost = price_response(OPENAI_CHAT_REASONING)
    assert card.model_id == "o4-mini"
    assert cost.input == D(1834 - 1536) * D("1.1") / MTOK
    assert cost.cache_read == D(1536) * D("0.275") / MTOK
    assert cost.output == D(272) * D("4.4") / MTOK
    assert cost.reasoning == D(640) * D("4.4") / MTOK
    assert cost.total == price_usage(card, usage).total


def test_price_anthropic_cache() -> None:
    card, _, cost = price_response(ANTHROPIC_CACHED)
    assert card.model_id == "claude-sonnet-4-5"
    assert cost.input == D(25) * D(3) / MTOK
    assert cost.cache_read == D(12000) * D("0.3") / MTOK
    assert cost.cache_write == D(1000) * D("3.75") / MTOK + D(2000) * D(6) / MTOK
    assert cost.output == D(503) * D(15) / MTOK


def test_price_gemini_thoughts() -> None:
    card, _, cost = price_response(GEMINI_REST)
    assert card.provider_id == "google"
    assert cost.reasoning == D(1000) * D(10) / MTOK
    assert cost.cache_read == D(4000) * D("0.125") / MTOK


def test_price_with_model_override() -> None:
    card, _, _ = price_response(OPENAI_CHAT_PLAIN, model="gpt-4o")
    assert card.model_id == "gpt-4o"


def test_price_without_model() -> None:
    with pytest.raises(ValueError, match="names no model"):
        price_response({"usage": {"prompt_tokens": 1, "completion_tokens": 1}})


def test_price_unknown_model() -> None:
    with pytest.raises(UnknownModelError):
        price_response(OPENAI_CHAT_PLAIN, model="gpt4o-mini")


def test_price_batch() -> None:
    _, _, standard = price_response(ANTHROPIC_CACHED)
    _, _, batch = price_response(ANTHROPIC_CACHED, batch=True)
    assert batch.total == standard.total / 2


def test_price_batch_unavailable() -> None:
    response = {"model": "deepseek-chat", "usage": {"prompt_tokens": 10, "completion_tokens": 2}}
    with pytest.raises(BatchNotAvailableError):
        price_response(response, batch=True)


def test_price_on_azure() -> None:
    card, _, _ = price_response(OPENAI_CHAT_PLAIN, provider="azure")
    assert card.provider_id == "azure"


@pytest.mark.parametrize(
    ("response", "provider", "flavor"),
    [
        (OPENAI_CHAT_REASONING, "openai", "chat"),
        (OPENAI_CHAT_PLAIN, "openai", "chat"),
        (OPENAI_RESPONSES, "openai", "responses"),
        (ANTHROPIC_CACHED, "anthropic", "default"),
        (GEMINI_REST, "google", "default"),
    ],
)
def test_matches_genai_prices_extraction(response: dict, provider: str, flavor: str) -> None:
    """Our reading and pricing agree with genai-prices' own extractors and calculation."""
    extracted = genai_prices.extract_usage(response, provider_id=provider, api_flavor=flavor)
    theirs = extracted.calc_price(genai_request_timestamp=NOW)
    model, usage = usage_from_response(response)
    assert model is not None
    ours = price_usage(get_rate_card(model, provider=provider, when=NOW), usage)
    assert ours.total == theirs.total_price
