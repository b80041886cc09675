"""A model behind an OpenAI-compatible `/chat/completions` endpoint: llama.cpp's server, vLLM, Ollama, OpenAI.

Plain `urllib`, so the agent needs no HTTP dependency. The default base URL is a local llama.cpp server; sending
prompts to a remote endpoint sends (redacted) cluster telemetry off the machine, which is the user's choice.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import time
import urllib.error
import urllib.request
from typing import Any

from aoi.graph.models.base import Completion, ContextTooLong, Message, ModelError

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "http://127.0.0.1:8080/v1"
"""llama.cpp's `llama-server --port 8080`."""

MAX_BACKOFF_S = 30.0
_SCHEMA_WORDS = ("response_format", "json_schema", "schema")
_CONTEXT_ERRORS = ("context_length_exceeded", "exceed_context_size_error")


class OpenAICompatModel:
    """Chat completions over HTTP, with bounded retries on 429 and 5xx.

    With `json_schema`, the request asks for `response_format: json_schema`. A server that rejects that gets
    `json_object` plus the schema in the system prompt from then on (remembered per instance), which constrains
    the syntax but not the shape: validate the parsed output.
    """

    def __init__(self, model: str, *, base_url: str | None = None, api_key: str | None = None,
                 timeout_s: float = 120, seed: int | None = None, retries: int = 3, backoff_s: float = 0.5) -> None:
        self.model = model
        self.name = f"openai:{model}"
        self.base_url = (base_url or os.environ.get("AOI_OPENAI_BASE_URL") or os.environ.get("OPENAI_BASE_URL")
                         or DEFAULT_BASE_URL).rstrip("/")
        self._api_key = api_key if api_key is not None else (
            os.environ.get("AOI_OPENAI_API_KEY") or os.environ.get("OPENAI_API_KEY") or "")
        self.timeout_s = timeout_s
        self.seed = seed
        self.retries = retries
        self.backoff_s = backoff_s
        # How a json_schema is sent: "json_schema", or "json_object" once this server has rejected that.
        self.schema_mode = "json_schema"
        # Built now so that proxy settings are read once, from the environment at construction.
        self._opener = urllib.request.build_opener()

    def complete(self, messages: list[Message], *, json_schema: dict | None = None, max_tokens: int = 512,
                 temperature: float = 0.0, seed: int | None = None) -> Completion:
        """POST the conversation to `{base_url}/chat/completions` and return the first choice.

        Token counts come from the server's `usage`; a server that reports none gets an estimate of 4 characters
        per token, so budgets still bind.

        Raises:
            ContextTooLong: the server says the prompt does not fit its context window.
            ModelError: the server cannot be reached, rejects the request, keeps failing after the retries, or
                answers with something that is not a chat completion.
        """
        start = time.perf_counter()
        payload: dict[str, Any] = {"model": self.model, "messages": messages, "max_tokens": max_tokens,
                                   "temperature": temperature}
        effective_seed = self.seed if seed is None else seed
        if effective_seed is not None:
            payload["seed"] = effective_seed
        if json_schema is not None and self.schema_mode == "json_schema":
            strict = {"type": "json_schema", "json_schema": {"name": "response", "schema": json_schema, "strict": True}}
            try:
                body = self._post(payload | {"response_format": strict}, max_tokens)
            except _Rejected as exc:
                if not any(word in exc.message.lower() for word in _SCHEMA_WORDS):
                    raise ModelError(exc.message) from None
                log.warning("%s rejected response_format json_schema (%s); sending json_object and the schema in "
                            "the system prompt from now on", self.base_url, exc.message)
                self.schema_mode = "json_object"
            else:
                return self._completion(body, messages, start)
        if json_schema is not None:
            payload["messages"] = _with_schema_instruction(messages, json_schema)
            payload["response_format"] = {"type": "json_object"}
        try:
            body = self._post(payload, max_tokens)
        except _Rejected as exc:
            raise ModelError(exc.message) from None
        return self._completion(body, messages, start)

    def _completion(self, body: dict, messages: list[Message], start: float) -> Completion:
        try:
            text = body["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise ModelError(f"{self._url()} answered without choices[0].message.content: "
                             f"{self._redact(json.dumps(body))[:300]}") from None
        if not isinstance(text, str):
            raise ModelError(f"{self._url()} answered with no text content (content={text!r}); tool calls and "
                             f"refusals are not supported")
        usage = body.get("usage") or {}
        prompt_tokens = usage.get("prompt_tokens")
        completion_tokens = usage.get("completion_tokens")
        if not isinstance(prompt_tokens, int):
            prompt_tokens = sum(len(m.get("content", "")) for m in messages) // 4
        if not isinstance(completion_tokens, int):
            completion_tokens = len(text) // 4
        return Completion(text=text, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
                          latency_s=time.perf_counter() - start, model=self.name)

    def _url(self) -> str:
        return f"{self.base_url}/chat/completions"

    def _redact(self, text: str) -> str:
        return text.replace(self._api_key, "[api key]") if self._api_key else text

    def _post(self, payload: dict, max_tokens: int) -> dict:
        """POST with retries; returns the decoded JSON body.

        Raises:
            _Rejected: HTTP 400 or 422, for the caller to decide whether the response_format was the problem.
            ContextTooLong: the server names a context-size error.
            ModelError: anything else that is not a 2xx after the retries.
        """
        data = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        url = self._url()
        for attempt in itertools.count():
            request = urllib.request.Request(url, data=data, headers=headers, method="POST")
            try:
                with self._opener.open(request, timeout=self.timeout_s) as response:
                    raw = response.read()
            except urllib.error.HTTPError as exc:
                message, error = self._error_message(exc)
                code = error.get("code") if isinstance(error.get("code"), str) else error.get("type")
                if exc.code == 429 or exc.code >= 500:
                    if attempt < self.retries:
                        self._wait(attempt, exc.headers.get("Retry-After"), f"HTTP {exc.code}")
                        continue
                    raise ModelError(f"{url} kept failing: HTTP {exc.code} after {attempt + 1} attempts: "
                                     f"{message}") from None
                if code in _CONTEXT_ERRORS or ("context" in message.lower() and "exceed" in message.lower()):
                    raise ContextTooLong(f"{url}: the prompt does not fit the model's context ({message}); compress "
                                         f"the context or lower max_tokens",
                                         prompt_tokens=_int_or_none(error.get("n_prompt_tokens")),
                                         max_tokens=max_tokens, n_ctx=_int_or_none(error.get("n_ctx"))) from None
                if exc.code in (400, 422):
                    raise _Rejected(f"{url} rejected the request (HTTP {exc.code}): {message}") from None
                raise ModelError(f"{url}: HTTP {exc.code}: {message}{_hint(exc.code)}") from None
            except (TimeoutError, urllib.error.URLError) as exc:
                reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
                if isinstance(reason, TimeoutError):
                    raise ModelError(f"{url} sent no answer within {self.timeout_s:g} s; raise timeout_s or lower "
                                     f"max_tokens") from None
                if attempt < self.retries:
                    self._wait(attempt, None, str(reason))
                    continue
                raise ModelError(f"cannot reach {url} ({reason}) after {attempt + 1} attempts; is the server "
                                 f"running? Start one with `llama-server -m MODEL.gguf --port 8080`, or set "
                                 f"AOI_OPENAI_BASE_URL") from None
            try:
                body = json.loads(raw)
            except ValueError:
                raise ModelError(f"{url} answered with something that is not JSON: "
                                 f"{self._redact(raw[:200].decode(errors='replace'))!r}") from None
            if not isinstance(body, dict):
                raise ModelError(f"{url} answered with JSON that is not an object: {type(body).__name__}")
            return body

    def _error_message(self, exc: urllib.error.HTTPError) -> tuple[str, dict]:
        """The server's own error text (redacted, shortened) and its `error` object ({} if none)."""
        try:
            raw = exc.read()[:4000].decode(errors="replace")
        except OSError:
            raw = ""
        message = raw.strip() or exc.reason or ""
        try:
            error = json.loads(raw).get("error")
        except (ValueError, AttributeError):
            error = None
        if isinstance(error, str):
            message, error = error, None
        elif isinstance(error, dict) and error.get("message"):
            message = error["message"]
        return self._redact(str(message))[:500], error if isinstance(error, dict) else {}

    def _wait(self, attempt: int, retry_after: str | None, why: str) -> None:
        delay = self.backoff_s * 2 ** attempt
        if retry_after is not None:
            with contextlib.suppress(ValueError):
                delay = max(delay, float(retry_after))
        delay = min(delay, MAX_BACKOFF_S)
        log.warning("%s: %s; retry %d of %d in %.1f s", self._url(), why, attempt + 1, self.retries, delay)
        time.sleep(delay)


class _Rejected(Exception):
    """HTTP 400/422: the caller decides whether to retry without the json_schema response format."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) else None


def _hint(status: int) -> str:
    if status in (401, 403):
        return "; the server rejected the API key: set AOI_OPENAI_API_KEY (or OPENAI_API_KEY)"
    if status == 404:
        return "; check the base URL (it usually ends in /v1) and the model name"
    return ""


def _with_schema_instruction(messages: list[Message], schema: dict) -> list[Message]:
    """Put the schema in the system prompt, for servers that only guarantee JSON syntax."""
    instruction = ("Answer with one JSON object and nothing else. It must validate against this JSON schema:\n"
                   + json.dumps(schema))
    if messages and messages[0].get("role") == "system":
        return [{"role": "system", "content": messages[0]["content"] + "\n\n" + instruction}, *messages[1:]]
    return [{"role": "system", "content": instruction}, *messages]
