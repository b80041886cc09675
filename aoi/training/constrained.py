"""Grammar-constrained sampling for training: GRPO rollouts drawn under the grammar the agent decodes with.

At inference llama.cpp constrains every decision to the GBNF grammar built from the decision's JSON schema
(`aoi.graph.models.grammar`). GRPO samples its completions with transformers, which knows nothing of that grammar:
unconstrained, a base model's completions almost never parse, so every reward in a group is the same and the
advantage is zero. Here the sampling is constrained by the same grammar, evaluated by the same engine: llama.cpp's
grammar sampler over the vocabulary of the GGUF the transformers model was converted from (the token ids are the
same). `GrammarLogitsProcessor` is a transformers logits processor with one grammar state per row; `grammar_rollout`
plugs it into TRL's `GRPOTrainer` as its `rollout_func`.

Each step the grammar is applied to the `SHORTLIST` best-scored tokens first and to the whole vocabulary only when
none of them is allowed (Gemma 3 has 262,144 tokens); the row is then sampled among the allowed tokens of that list,
so this is top-`SHORTLIST` sampling within the grammar. The policy's log-probabilities, which GRPO optimises, are
those of the unconstrained model: the grammar decides which completions are drawn, the model's own probabilities are
what is trained.
"""

from __future__ import annotations

import ctypes
import functools
import re
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from aoi.graph.models.lazy_grammar import TOKEN_DATA

SHORTLIST = 256
"""Tokens (best-scored first) the grammar is applied to before it is applied to the whole vocabulary."""


class GrammarError(ValueError):
    """A grammar llama.cpp cannot parse, or a GGUF whose vocabulary cannot be read."""


@dataclass(frozen=True, slots=True)
class _Vocabulary:
    lib: Any
    model: Any
    """The vocabulary-only model handle (kept alive: grammar samplers point into it)."""
    vocab: Any
    size: int
    eog: frozenset[int]
    """End-of-generation tokens (EOS, Gemma's `<end_of_turn>`)."""
    unusable: np.ndarray
    """Byte-fallback tokens no tokenizer emits and no UTF-8 text holds: an ASCII byte (its character has a token of
    its own) or a byte UTF-8 never uses (C0, C1, F5-FF). llama.cpp's grammar would let them through, and decoded by
    transformers a run of byte tokens that is not UTF-8 becomes one U+FFFD per token, so a quote written as a byte
    token would vanish from the text the rewards parse."""


@functools.cache
def _vocabulary(gguf: str) -> _Vocabulary:
    """The vocabulary of a GGUF loaded vocabulary-only, once per process."""
    import llama_cpp

    params = llama_cpp.llama_model_default_params()
    params.vocab_only = True
    model = llama_cpp.llama_model_load_from_file(gguf.encode("utf-8"), params)
    if not model:
        raise GrammarError(f"llama.cpp cannot read the vocabulary of {gguf}")
    vocab = llama_cpp.llama_model_get_vocab(model)
    size = int(llama_cpp.llama_vocab_n_tokens(vocab))
    eog = frozenset(t for t in range(size) if llama_cpp.llama_vocab_is_eog(vocab, t))
    unusable = []
    for token in range(size):
        if llama_cpp.llama_vocab_get_attr(vocab, token) & llama_cpp.LLAMA_TOKEN_ATTR_BYTE:
            match = re.fullmatch(rb"<0x([0-9A-Fa-f]{2})>", llama_cpp.llama_vocab_get_text(vocab, token) or b"")
            if match and (int(match[1], 16) < 0x80 or int(match[1], 16) in (0xC0, 0xC1) or int(match[1], 16) >= 0xF5):
                unusable.append(token)
    return _Vocabulary(llama_cpp, model, vocab, size, eog, np.array(unusable, dtype=np.int64))


class GrammarState:
    """One row's grammar: which tokens may come next, advanced token by token."""

    def __init__(self, gguf: Path, grammar: str, root: str = "root") -> None:
        """Raises: GrammarError: the grammar does not parse."""
        loaded = _vocabulary(str(Path(gguf).resolve()))
        self._lib, self.n_vocab, self.eog, self._unusable = loaded.lib, loaded.size, loaded.eog, loaded.unusable
        handle = self._lib.llama_sampler_init_grammar(loaded.vocab, grammar.encode("utf-8"), root.encode("utf-8"))
        if not handle:
            raise GrammarError("llama.cpp could not parse the grammar")
        self._handle = handle
        self._finalizer = weakref.finalize(self, self._lib.llama_sampler_free, handle)

    def accept(self, token: int) -> None:
        self._lib.llama_sampler_accept(self._handle, int(token))

    def allowed(self, ids: np.ndarray) -> np.ndarray:
        """The subset of token `ids` the grammar allows next, in the given order (unusable byte tokens never)."""
        ids = ids[~np.isin(ids, self._unusable)]
        data = np.zeros(len(ids), dtype=TOKEN_DATA)
        data["id"] = ids
        candidates = self._lib.llama_token_data_array(
            data=data.ctypes.data_as(ctypes.POINTER(self._lib.llama_token_data)), size=len(data), selected=-1,
            sorted=False)
        self._lib.llama_sampler_apply(self._handle, ctypes.byref(candidates))
        kept = data[: candidates.size]
        return kept["id"][np.isfinite(kept["logit"])].astype(np.int64)


class GrammarLogitsProcessor:
    """A transformers logits processor that masks every token the row's grammar does not allow.

    `grammars[i]` is the GBNF of row `i` of the batch `generate` is called with; `gguf` is the file whose vocabulary
    the model's token ids index. The first call records the prompt length; each later call first advances every row's
    grammar by the token just generated. A row whose grammar is complete may only end (its end-of-generation tokens);
    a row that has ended only pads. `complete` tells, per row, whether the grammar reached its end.
    """

    def __init__(self, grammars: Sequence[str], gguf: Path, *, shortlist: int = SHORTLIST) -> None:
        """Raises: GrammarError: a grammar does not parse."""
        self._states = [GrammarState(gguf, g) for g in grammars]
        self._shortlist = shortlist
        self._prompt_len: int | None = None
        self._ended = [False] * len(grammars)

    @property
    def ended(self) -> list[bool]:
        """Per row: the row generated an end-of-generation token its grammar allowed."""
        return list(self._ended)

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        if self._prompt_len is None:
            self._prompt_len = input_ids.shape[1]
        elif input_ids.shape[1] > self._prompt_len:
            for row, state in enumerate(self._states):
                if not self._ended[row]:
                    token = int(input_ids[row, -1])
                    if token in state.eog:
                        self._ended[row] = True
                    else:
                        state.accept(token)
        masked = torch.full_like(scores, float("-inf"))
        for row, state in enumerate(self._states):
            allowed = self._allowed(state, scores[row]) if not self._ended[row] else np.array(sorted(state.eog)[:1])
            index = torch.as_tensor(allowed, dtype=torch.long, device=scores.device)
            masked[row, index] = scores[row, index]
        return masked

    def _allowed(self, state: GrammarState, row_scores: Any) -> np.ndarray:
        values = row_scores[: state.n_vocab].float().cpu().numpy()
        k = min(self._shortlist, len(values) - 1)
        best = np.argpartition(-values, k)[:k]
        allowed = state.allowed(best[np.argsort(-values[best])])
        if len(allowed) == 0:
            allowed = state.allowed(np.arange(state.n_vocab))
        if len(allowed) == 0:  # a grammar with no continuation and no end: let the row end rather than hang
            allowed = np.array(sorted(state.eog)[:1])
        return allowed


def constrained_generate(model: Any, tokenizer: Any, prompt_ids: Sequence[Sequence[int]], grammars: Sequence[str],
                         gguf: Path, *, generation_config: Any = None, **generate_kwargs: Any) -> list[list[int]]:
    """Sample one completion per prompt under its grammar; returns each row's completion token ids up to and
    including the end-of-generation token (or the length limit)."""
    import torch

    processor = GrammarLogitsProcessor(grammars, gguf)
    width = max(map(len, prompt_ids))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    input_ids = torch.tensor([[pad] * (width - len(p)) + list(p) for p in prompt_ids], dtype=torch.long)
    attention = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompt_ids], dtype=torch.long)
    device = next(model.parameters()).device
    with torch.no_grad():
        out = model.generate(input_ids=input_ids.to(device), attention_mask=attention.to(device),
                             generation_config=generation_config, logits_processor=[processor], **generate_kwargs)
    completions: list[list[int]] = []
    eog = processor._states[0].eog if processor._states else frozenset()
    for row in out[:, width:].tolist():
        end = next((i for i, t in enumerate(row) if t in eog), None)
        completions.append(row if end is None else row[: end + 1])
    return completions


def grammar_rollout(grammar_of: Mapping[str, str], gguf: Path) -> Callable[[list[Any], Any], dict[str, Any]]:
    """TRL `GRPOTrainer`'s `rollout_func`: each prompt (already repeated once per generation by TRL's sampler) is
    completed under the grammar `grammar_of[prompt]`."""

    def rollout(prompts: list[Any], trainer: Any) -> dict[str, Any]:
        tokenizer = trainer.processing_class
        prompt_ids = tokenizer(text=list(prompts))["input_ids"]
        model = trainer.accelerator.unwrap_model(trainer.model)
        completions = constrained_generate(model, tokenizer, prompt_ids, [grammar_of[p] for p in prompts], gguf,
                                           generation_config=trainer.generation_config)
        return {"prompt_ids": prompt_ids, "completion_ids": completions, "logprobs": None}

    return rollout


def sample_grammar(row: Mapping[str, Any]) -> str:
    """The GBNF the agent would decode a step sample's decision with (its task, tools and services).

    An `rca` sample's answer lists are plain strings here (the export does not carry the offered choices)."""
    import json

    from aoi.graph.decision import decision_schema, generation_schema
    from aoi.graph.models.grammar import schema_to_gbnf

    tools = json.loads(row["tools"]) if isinstance(row["tools"], str) else row["tools"]
    task = row["task_type"]
    write = tools.get("write", {}) if task == "mitigation" else {}
    schema = decision_schema(task, tools.get("read", {}), write or None, list(row["services"]),
                             allow_act=task == "mitigation")
    return schema_to_gbnf(generation_schema(schema))
