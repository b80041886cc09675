"""OpenAICompatModel against a fake OpenAI-compatible server on 127.0.0.1 that checks each request's shape."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from aoi.graph.models.base import ContextTooLong, ModelError
from aoi.graph.models.openai_compat import DEFAULT_BASE_URL, OpenAICompatModel

SERVER_LIFETIME_S = 30.0
KEY = "sk-test-very-secret-0123456789"
SCHEMA = {"type": "object", "properties": {"phase": {"enum": ["detect", "localize"]}}, "required": ["phase"],
          "additionalProperties": False}


def chat_reply(text: str, prompt_tokens: int | None = 11, completion_tokens: int | None = 3) -> dict:
    body: dict = {"id": "chatcmpl-1", "object": "chat.completion", "model": "m",
                  "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]}
    if prompt_tokens is not None:
        body["usage"] = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                         "total_tokens": prompt_tokens + (completion_tokens or 0)}
    return body


@dataclass
class Reply:
    status: int
    body: dict | str
    headers: dict[str, str] = field(default_factory=dict)
    hold: threading.Event | None = None
    """If set, the handler waits for it (at most a few seconds) before answering: a server that is too slow."""


@dataclass
class FakeOpenAI:
    replies: list[Reply]
    requests: list[dict] = field(default_factory=list)
    url: str = ""


class _Handler(BaseHTTPRequestHandler):
    fake: FakeOpenAI

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        self.fake.requests.append({"path": self.path, "headers": dict(self.headers), "body": json.loads(raw)})
        reply = self.fake.replies.pop(0) if self.fake.replies else Reply(599, "no canned reply left")
        if reply.hold is not None:
            reply.hold.wait(5)
        payload = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload.encode())
        except OSError:
            pass  # the client gave up (timeout test)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output clean."""


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator:
    """Start a fake server with canned replies; it serves until the test ends or SERVER_LIFETIME_S passes."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    for name in ("AOI_OPENAI_BASE_URL", "OPENAI_BASE_URL", "AOI_OPENAI_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    servers: list[tuple[ThreadingHTTPServer, threading.Thread, threading.Event]] = []

    def start(*replies: Reply) -> FakeOpenAI:
        fake = FakeOpenAI(list(replies))
        handler = type("Handler", (_Handler,), {"fake": fake})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        server.timeout = 0.05
        stop = threading.Event()
        deadline = time.monotonic() + SERVER_LIFETIME_S

        def loop() -> None:
            while not stop.is_set() and time.monotonic() < deadline:
                server.handle_request()
            server.server_close()

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        servers.append((server, thread, stop))
        fake.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        return fake

    yield start
    for _, thread, stop in servers:
        stop.set()
        thread.join(5)


def test_complete_posts_a_chat_request_and_records_text_usage_and_latency(serve) -> None:
    fake = serve(Reply(200, chat_reply("hello there", prompt_tokens=17, completion_tokens=2)))
    model = OpenAICompatModel("qwen3-14b", base_url=fake.url + "/", api_key=KEY)
    messages = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]

    completion = model.complete(messages, max_tokens=64, temperature=0.2, seed=5)

    assert (completion.text, completion.prompt_tokens, completion.completion_tokens) == ("hello there", 17, 2)
    assert completion.model == model.name == "openai:qwen3-14b"
    assert 0 < completion.latency_s < 5
    [request] = fake.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == f"Bearer {KEY}"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["body"] == {"model": "qwen3-14b", "messages": messages, "max_tokens": 64, "temperature": 0.2,
                               "seed": 5}


def test_json_schema_is_sent_as_a_strict_json_schema_response_format(serve) -> None:
    fake = serve(Reply(200, chat_reply('{"phase": "detect"}')))
    model = OpenAICompatModel("m", base_url=fake.url, api_key="")

    completion = model.complete([{"role": "user", "content": "go"}], json_schema=SCHEMA)

    assert json.loads(completion.text) == {"phase": "detect"}
    assert fake.requests[0]["body"]["response_format"] == {
        "type": "json_schema", "json_schema": {"name": "response", "schema": SCHEMA, "strict": True}}
    assert "Authorization" not in fake.requests[0]["headers"]


def test_a_server_rejecting_json_schema_gets_json_object_and_the_schema_in_the_system_prompt_from_then_on(
        serve) -> None:
    rejection = {"error": {"message": "Invalid parameter: 'response_format' of type 'json_schema' is not supported",
                           "type": "invalid_request_error"}}
    fake = serve(Reply(400, rejection), Reply(200, chat_reply('{"phase": "localize"}')),
                 Reply(200, chat_reply('{"phase": "detect"}')))
    model = OpenAICompatModel("m", base_url=fake.url)
    messages = [{"role": "system", "content": "You are an SRE."}, {"role": "user", "content": "go"}]

    first = model.complete(messages, json_schema=SCHEMA)
    second = model.complete(messages, json_schema=SCHEMA)

    assert (first.text, second.text) == ('{"phase": "localize"}', '{"phase": "detect"}')
    assert model.schema_mode == "json_object"
    assert [r["body"]["response_format"]["type"] for r in fake.requests] == ["json_schema", "json_object",
                                                                               "json_object"]
    system = fake.requests[1]["body"]["messages"][0]
    assert system["role"] == "system"
    assert system["content"].startswith("You are an SRE.")
    assert json.dumps(SCHEMA) in system["content"]
    assert fake.requests[1]["body"]["messages"][1:] == messages[1:]


def test_a_bad_request_unrelated_to_the_schema_is_an_error_and_keeps_json_schema_mode(serve) -> None:
    fake = serve(Reply(400, {"error": {"message": "temperature must be at most 2"}}))
    model = OpenAICompatModel("m", base_url=fake.url)

    with pytest.raises(ModelError, match=r"HTTP 400.*temperature must be at most 2"):
        model.complete([{"role": "user", "content": "go"}], json_schema=SCHEMA, temperature=3)
    assert model.schema_mode == "json_schema"
    assert len(fake.requests) == 1


def test_429_and_5xx_are_retried_with_backoff_until_success(serve) -> None:
    fake = serve(Reply(429, {"error": {"message": "slow down"}}, {"Retry-After": "0"}),
                 Reply(503, "overloaded"), Reply(200, chat_reply("ok")))
    model = OpenAICompatModel("m", base_url=fake.url, retries=3, backoff_s=0)

    assert model.complete([{"role": "user", "content": "go"}]).text == "ok"
    assert len(fake.requests) == 3


def test_retries_are_bounded_and_the_final_error_says_how_many_attempts(serve) -> None:
    fake = serve(*[Reply(502, "bad gateway")] * 5)
    model = OpenAICompatModel("m", base_url=fake.url, retries=2, backoff_s=0)

    with pytest.raises(ModelError, match=r"HTTP 502 after 3 attempts"):
        model.complete([{"role": "user", "content": "go"}])
    assert len(fake.requests) == 3


def test_an_auth_failure_names_the_env_var_and_never_the_key(serve) -> None:
    fake = serve(Reply(401, {"error": {"message": f"Incorrect API key provided: {KEY}"}}))
    model = OpenAICompatModel("m", base_url=fake.url, api_key=KEY, retries=3, backoff_s=0)

    with pytest.raises(ModelError) as caught:
        model.complete([{"role": "user", "content": "go"}])
    assert "HTTP 401" in str(caught.value)
    assert "AOI_OPENAI_API_KEY" in str(caught.value)
    assert KEY not in str(caught.value)
    assert len(fake.requests) == 1


def test_a_context_overflow_raises_context_too_long_with_the_servers_numbers(serve) -> None:
    error = {"error": {"code": 400, "type": "exceed_context_size_error", "n_prompt_tokens": 9000, "n_ctx": 8192,
                       "message": "the request exceeds the available context size, try increasing it"}}
    fake = serve(Reply(400, error))
    model = OpenAICompatModel("m", base_url=fake.url)

    with pytest.raises(ContextTooLong, match="compress") as caught:
        model.complete([{"role": "user", "content": "a very long prompt"}], max_tokens=100)
    assert (caught.value.prompt_tokens, caught.value.n_ctx, caught.value.overflow) == (9000, 8192, 908)


def test_missing_usage_is_estimated_at_four_characters_per_token(serve) -> None:
    fake = serve(Reply(200, chat_reply("x" * 40, prompt_tokens=None)))
    model = OpenAICompatModel("m", base_url=fake.url)

    completion = model.complete([{"role": "user", "content": "y" * 80}])

    assert (completion.prompt_tokens, completion.completion_tokens) == (20, 10)


def test_an_answer_that_is_not_a_chat_completion_is_a_clear_error(serve) -> None:
    fake = serve(Reply(200, "<html>proxy login</html>"), Reply(200, {"object": "list", "data": []}))
    model = OpenAICompatModel("m", base_url=fake.url)

    with pytest.raises(ModelError, match="not JSON"):
        model.complete([{"role": "user", "content": "go"}])
    with pytest.raises(ModelError, match=r"without choices\[0\]\.message\.content"):
        model.complete([{"role": "user", "content": "go"}])


def test_a_slow_server_gives_a_timeout_error_that_suggests_raising_timeout_s(serve) -> None:
    release = threading.Event()
    fake = serve(Reply(200, chat_reply("late"), hold=release))
    model = OpenAICompatModel("m", base_url=fake.url, timeout_s=0.3, retries=3, backoff_s=0)

    try:
        with pytest.raises(ModelError, match=r"no answer within 0\.3 s; raise timeout_s"):
            model.complete([{"role": "user", "content": "go"}])
    finally:
        release.set()
    assert len(fake.requests) == 1


def test_an_unreachable_server_is_retried_then_explained(serve) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    model = OpenAICompatModel("m", base_url=f"http://127.0.0.1:{port}/v1", retries=1, backoff_s=0)

    with pytest.raises(ModelError, match=r"cannot reach .* after 2 attempts; is the server running\?"):
        model.complete([{"role": "user", "content": "go"}])


def test_base_url_and_key_come_from_aoi_variables_before_openai_ones(serve, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = serve(Reply(200, chat_reply("ok")))
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")
    monkeypatch.setenv("AOI_OPENAI_BASE_URL", fake.url)
    monkeypatch.setenv("AOI_OPENAI_API_KEY", "sk-aoi")

    OpenAICompatModel("m").complete([{"role": "user", "content": "go"}])

    assert fake.requests[0]["headers"]["Authorization"] == "Bearer sk-aoi"


def test_without_configuration_the_base_url_is_a_local_llama_server_and_no_key_is_sent(serve) -> None:
    model = OpenAICompatModel("m")

    assert model.base_url == DEFAULT_BASE_URL == "http://127.0.0.1:8080/v1"
    assert model._api_key == ""
