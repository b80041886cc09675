"""A deterministic model for tests, docs and notebooks: replays prepared completions or computes them from messages.

Wrong tool for measuring an agent: it never reads the cluster, it only says what it was told to say.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from aoi.graph.models.base import Completion, Message, ModelError

Policy = Callable[[list[Message]], str | dict]
"""Computes a completion from the conversation; a dict is sent as its JSON text."""


class ScriptExhausted(ModelError):
    """Every prepared completion has been used and the agent asked for another."""


def _words(text: str) -> int:
    return len(text.split())


def _as_text(response: str | dict) -> str:
    return response if isinstance(response, str) else json.dumps(response)


class ScriptedModel:
    """Replays `responses` in order, or asks a policy callable for each completion.

    Token counts are whitespace word counts, so budgets behave plausibly without a tokenizer. `json_schema`,
    `temperature` and `seed` are accepted and ignored: the script is the output. Every conversation received
    is kept in `calls`, so tests can assert what the agent showed the model.
    """

    def __init__(self, responses: Sequence[str | dict] | Policy, *, name: str = "scripted") -> None:
        self.name = name
        self.calls: list[list[Message]] = []
        self._policy: Policy | None = responses if callable(responses) else None
        self._script: list[str | dict] = [] if callable(responses) else list(responses)
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, path: str | Path, *, name: str | None = None) -> ScriptedModel:
        """Read a JSONL file with one completion per line: a JSON string, or an object sent as its JSON text.

        Blank lines are skipped.

        Raises:
            ModelError: the file cannot be read, or a line is not JSON (the line number is given).
        """
        path = Path(path)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ModelError(f"cannot read the script {path}: {exc.strerror or exc}") from exc
        responses: list[str | dict] = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ModelError(f"{path}:{number}: not JSON ({exc.msg}); each line must be a JSON string "
                                 f"(the completion text) or a JSON object (sent as its JSON text)") from exc
            if not isinstance(value, str | dict):
                raise ModelError(f"{path}:{number}: expected a JSON string or object, got {type(value).__name__}")
            responses.append(value)
        return cls(responses, name=name or f"scripted:{path.name}")

    @property
    def remaining(self) -> int | None:
        """Completions left in the script; None for a policy, which never runs out."""
        return None if self._policy is not None else len(self._script) - len(self.calls)

    def complete(self, messages: list[Message], *, json_schema: dict | None = None, max_tokens: int = 512,
                 temperature: float = 0.0, seed: int | None = None) -> Completion:
        """Return the next prepared completion, or the policy's answer for `messages`.

        Raises:
            ScriptExhausted: every prepared completion has been used.
        """
        start = time.perf_counter()
        with self._lock:
            index = len(self.calls)
            if self._policy is None and index >= len(self._script):
                raise ScriptExhausted(f"model {self.name!r} has used all {len(self._script)} prepared "
                                      f"completions and was asked for number {index + 1}; add completions to the "
                                      f"script or give the agent a lower step budget")
            self.calls.append([dict(m) for m in messages])
        text = _as_text(self._policy(messages) if self._policy is not None else self._script[index])
        return Completion(text=text, prompt_tokens=sum(_words(m.get("content", "")) for m in messages),
                          completion_tokens=_words(text), latency_s=time.perf_counter() - start, model=self.name)
