"""The one interface every model backend implements, the record of one call, and the errors backends raise.

The graph depends on `Model` only, so a run can swap the embedded llama.cpp model, an OpenAI-compatible
server or a scripted policy without touching a node.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

Message = dict[str, str]
"""A chat message: `{"role": "system" | "user" | "assistant", "content": str}`."""


@dataclass(frozen=True, slots=True)
class Completion:
    """One model call as the episode record keeps it."""

    text: str
    """The raw completion, before any parsing."""
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    """Wall time of the call, including retries for remote backends."""
    model: str
    """The backend's name, e.g. "embedded:gemma3-270m-q4_k_m"."""


@runtime_checkable
class Model(Protocol):
    """A chat model that returns one completion per call.

    When `json_schema` is given the backend constrains the output to that schema (llama.cpp: a grammar;
    OpenAI-compatible: `response_format`), so callers can parse the text without repair loops. A model may say
    which Observer prompt it reads best with a `prompt_profile` attribute (`aoi.graph.prompts.PROFILES`: `full`,
    the default, or `compact` for small local models).
    """

    name: str

    def complete(self, messages: list[Message], *, json_schema: dict | None = None, max_tokens: int = 512,
                 temperature: float = 0.0, seed: int | None = None) -> Completion:
        """Complete the conversation.

        Raises:
            ModelError: the backend cannot produce a completion (see the subclasses).
        """
        ...


class ModelError(Exception):
    """A model backend failed; the message says what to do next."""


class ContextTooLong(ModelError):
    """The prompt plus the requested completion does not fit the model's context window.

    The graph catches this to compress its context and try again. Numbers are None when a remote server did not
    report them.
    """

    def __init__(self, message: str, *, prompt_tokens: int | None, max_tokens: int, n_ctx: int | None) -> None:
        super().__init__(message)
        self.prompt_tokens = prompt_tokens
        self.max_tokens = max_tokens
        self.n_ctx = n_ctx

    @property
    def overflow(self) -> int | None:
        """How many tokens must go (from the prompt, or from max_tokens) for the call to fit."""
        if self.prompt_tokens is None or self.n_ctx is None:
            return None
        return self.prompt_tokens + self.max_tokens - self.n_ctx
