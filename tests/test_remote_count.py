"""Anthropic count_tokens client against a local HTTP server started by each test."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from llmcost_jupyter.remote_count import RemoteCountError, count_tokens_anthropic

KEY = "test-key-not-secret"


@dataclass
class FakeAnthropic:
    """What the fake server returns, and the requests it received."""

    status: int = 200
    body: bytes = b'{"input_tokens": 42}'
    delay: float = 0.0
    requests: list[dict] = field(default_factory=list)
    url: str = ""


@pytest.fixture()
def fake_api() -> Iterator[FakeAnthropic]:
    state = FakeAnthropic()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", 0))
            state.requests.append({
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "json": json.loads(self.rfile.read(length)),
            })
            time.sleep(state.delay)
            self.send_response(state.status)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(state.body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


def test_text_sent_as_user_message(fake_api):
    count = count_tokens_anthropic("Hello, Claude", "claude-sonnet-4-5", api_key=KEY,
                                   base_url=fake_api.url)

    assert count.tokens == 42
    assert count.exact
    assert count.method == "Anthropic count_tokens API"
    assert count.uncertainty is None
    request = fake_api.requests[0]
    assert request["path"] == "/v1/messages/count_tokens"
    assert request["headers"]["x-api-key"] == KEY
    assert request["headers"]["anthropic-version"] == "2023-06-01"
    assert request["headers"]["content-type"] == "application/json"
    assert request["json"] == {"model": "claude-sonnet-4-5",
                               "messages": [{"role": "user", "content": "Hello, Claude"}]}


def test_system_message_goes_to_system_field(fake_api):
    messages = [{"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hello"},
                {"role": "user", "content": "Bye"}]

    count_tokens_anthropic(messages, "anthropic/claude-3-5-haiku", api_key=KEY,
                           base_url=fake_api.url + "/")

    assert fake_api.requests[0]["json"] == {
        "model": "claude-3-5-haiku",
        "system": "Be brief.",
        "messages": [{"role": "user", "content": "Hi"},
                     {"role": "assistant", "content": "Hello"},
                     {"role": "user", "content": "Bye"}],
    }


def test_key_read_from_environment(fake_api, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "from-env")

    count_tokens_anthropic("hi", "claude-3-opus", base_url=fake_api.url)

    assert fake_api.requests[0]["headers"]["x-api-key"] == "from-env"


def test_missing_key_raises(fake_api, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)

    with pytest.raises(RemoteCountError, match="ANTHROPIC_API_KEY"):
        count_tokens_anthropic("hi", "claude-3-opus", base_url=fake_api.url)

    assert fake_api.requests == []


def test_http_error_names_status_and_message(fake_api):
    fake_api.status = 400
    fake_api.body = b'{"type":"error","error":{"type":"invalid_request_error",' \
                    b'"message":"model: not found"}}'

    with pytest.raises(RemoteCountError) as caught:
        count_tokens_anthropic("hi", "claude-nope", api_key=KEY, base_url=fake_api.url)

    assert "HTTP 400" in str(caught.value)
    assert "model: not found" in str(caught.value)
    assert KEY not in str(caught.value)


def test_server_error_with_plain_body(fake_api):
    fake_api.status = 503
    fake_api.body = b"upstream overloaded"

    with pytest.raises(RemoteCountError, match="HTTP 503: upstream overloaded"):
        count_tokens_anthropic("hi", "claude-3-opus", api_key=KEY, base_url=fake_api.url)


def test_bad_json_raises(fake_api):
    fake_api.body = b"<html>gateway</html>"

    with pytest.raises(RemoteCountError, match="invalid JSON"):
        count_tokens_anthropic("hi", "claude-3-opus", api_key=KEY, base_url=fake_api.url)


@pytest.mark.parametrize("body", [b'{"tokens": 5}', b'{"input_tokens": -1}',
                                  b'{"input_tokens": "5"}', b'[5]', b'{"input_tokens": true}'])
def test_invalid_count_raises(fake_api, body):
    fake_api.body = body

    with pytest.raises(RemoteCountError, match="non-negative integer 'input_tokens'"):
        count_tokens_anthropic("hi", "claude-3-opus", api_key=KEY, base_url=fake_api.url)


def test_timeout_raises(fake_api):
    fake_api.delay = 1.0

    with pytest.raises(RemoteCountError, match=r"timed out after 0\.2 s"):
        count_tokens_anthropic("hi", "claude-3-opus", api_key=KEY, base_url=fake_api.url,
                               timeout=0.2)


def test_unreachable_server_raises():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with pytest.raises(RemoteCountError, match=f"could not reach http://127.0.0.1:{port}"):
        count_tokens_anthropic("hi", "claude-3-opus", api_key=KEY,
                               base_url=f"http://127.0.0.1:{port}")


def test_non_http_url_rejected():
    with pytest.raises(RemoteCountError, match="expected an http\\(s\\) URL"):
        count_tokens_anthropic("hi", "claude-3-opus", api_key=KEY, base_url="file:///etc")


def test_only_system_messages_rejected(fake_api):
    with pytest.raises(RemoteCountError, match="at least one user or assistant message"):
        count_tokens_anthropic([{"role": "system", "content": "x"}], "claude-3-opus",
                               api_key=KEY, base_url=fake_api.url)

    assert fake_api.requests == []


def test_unsupported_role_rejected(fake_api):
    with pytest.raises(RemoteCountError, match="role 'tool'"):
        count_tokens_anthropic([{"role": "tool", "content": "x"}], "claude-3-opus",
                               api_key=KEY, base_url=fake_api.url)
