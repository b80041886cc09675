"""Grammar-constrained sampling for GRPO: a random tiny model, sampled at temperature 1 under the decision grammar,
writes only decisions the agent's parser accepts; unconstrained, it writes none."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("transformers")

from aoi.graph.decision import DecisionError, parse_decision
from aoi.training.constrained import (
    GrammarError,
    GrammarLogitsProcessor,
    GrammarState,
    constrained_generate,
    sample_grammar,
)
from aoi.training.tiny import build_tiny_gguf

SERVICES = ["geo", "search"]
TOOLS = {"read": {"get_logs": {"type": "object", "properties": {"target": {"type": "string"},
                                                                 "tail": {"type": "integer"}},
                               "required": ["target"]},
                  "get_alerts": {"type": "object", "properties": {}}},
         "write": {}}
ROW = {"task_type": "localization", "services": SERVICES, "tools": json.dumps(TOOLS)}


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object, object]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AOI_HOME", str(home))
        from aoi.training.modeling import hf_checkpoint

        gguf = build_tiny_gguf(home / "tiny.gguf", seed=3)
        checkpoint = hf_checkpoint(gguf)
    return gguf, AutoModelForCausalLM.from_pretrained(str(checkpoint)), AutoTokenizer.from_pretrained(str(checkpoint))


def _parses(text: str) -> bool:
    try:
        parse_decision(text, "localization", list(TOOLS["read"]), [], SERVICES)
    except DecisionError:
        return False
    return True


@pytest.mark.slow
def test_every_sampled_completion_is_a_valid_decision_and_free_sampling_gives_none(tiny_model: tuple) -> None:
    import torch

    gguf, model, tokenizer = tiny_model
    prompts = [tokenizer("Task: localization. Decide.")["input_ids"]] * 4
    torch.manual_seed(0)
    constrained = constrained_generate(model, tokenizer, prompts, [sample_grammar(ROW)] * 4, gguf, do_sample=True,
                                       temperature=1.0, top_k=0, max_new_tokens=1500)
    texts = [tokenizer.decode(ids, skip_special_tokens=True) for ids in constrained]
    assert all(_parses(t) for t in texts), texts
    assert len(set(texts)) > 1  # sampled, not one forced string
    assert all(ids[-1] in GrammarState(gguf, sample_grammar(ROW)).eog for ids in constrained)  # each ended itself

    free = model.generate(torch.tensor(prompts), do_sample=True, temperature=1.0, top_k=0, max_new_tokens=200)
    assert not any(_parses(tokenizer.decode(row[len(prompts[0]):], skip_special_tokens=True)) for row in free)


def test_the_mask_keeps_only_what_the_grammar_allows_and_follows_the_generated_tokens(tiny_model: tuple) -> None:
    import torch

    gguf, _, tokenizer = tiny_model
    processor = GrammarLogitsProcessor(['root ::= "ab" | "ac"'], gguf)
    vocab = len(tokenizer)
    a, b, c = (tokenizer.convert_tokens_to_ids(ch) for ch in "abc")
    scores = torch.zeros(1, vocab)
    first = processor(torch.tensor([[1, 2]]), scores.clone())
    assert torch.isfinite(first[0]).nonzero().flatten().tolist() == [a]
    second = processor(torch.tensor([[1, 2, a]]), scores.clone())
    assert sorted(torch.isfinite(second[0]).nonzero().flatten().tolist()) == sorted([b, c])
    done = processor(torch.tensor([[1, 2, a, c]]), scores.clone())
    allowed = torch.isfinite(done[0]).nonzero().flatten().tolist()
    assert allowed and all(t in GrammarState(gguf, "root ::= \"x\"").eog for t in allowed)


def test_an_unparseable_grammar_is_a_clear_error(tiny_model: tuple) -> None:
    gguf = tiny_model[0]
    with pytest.raises(GrammarError, match="could not parse"):
        GrammarState(gguf, "root ::= (")
    with pytest.raises(GrammarError, match="vocabulary"):
        GrammarState(gguf.with_name("missing.gguf"), 'root ::= "a"')


def test_sample_grammar_offers_only_the_samples_tools_and_services(tiny_model: tuple) -> None:
    grammar = sample_grammar(ROW)
    assert "get_logs" in grammar and "get_alerts" in grammar and '\\"geo\\"' in grammar
    assert "kubectl" not in grammar and "act" not in grammar.split("action")[1][:40]
    assert np.array  # numpy stays importable beside llama.cpp's bindings
