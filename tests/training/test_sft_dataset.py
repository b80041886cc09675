"""SFT on CPU: targets in the order the generation grammar emits them, and the LM head scored only where labelled."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("datasets")

from aoi.training.config import load_config
from aoi.training.trainer import balanced, build_dataset

EXPERT_TEXT = json.dumps({"action": "probe", "confidence": 30, "hypothesis": "geo crashes", "phase": "investigate",
                          "summary": "geo is crash-looping",
                          "tool_calls": [{"args": {"target": "geo", "tail": 40}, "tool": "get_logs"}]},
                         sort_keys=True)


def tokenizer(text: str) -> dict[str, list[int]]:
    return {"input_ids": list(range(len(text.split())))}


def test_sft_targets_follow_the_grammars_field_order_and_end_the_turn(tmp_path: Path) -> None:
    cfg = load_config(None, mode="sft", data=tmp_path, out=tmp_path / "run")
    rows = [{"messages": [{"role": "user", "content": "pods: geo CrashLoopBackOff"}], "completion": EXPERT_TEXT}]

    record = build_dataset(cfg, rows, tokenizer)[0]

    target = record["completion"].removesuffix("<end_of_turn>")
    assert record["completion"].endswith("<end_of_turn>")
    assert target.startswith('{"summary": "geo is crash-looping", "phase": "investigate"')
    assert json.loads(target) == json.loads(EXPERT_TEXT)


NOTED_PROMPT = """Task: localization
Earlier steps:
- step 1: Start with triage. Notes: done=triage
- step 2: Check the alerts. Notes: done=triage,alerts; bad=geo:CrashLoopBackOff

Previous step 3:
summary: geo is crash-looping. Notes: done=triage,alerts,logs:geo; warn=geo:BackOff:
<tool_output tool='get_logs' args='{}' untrusted='true'>
config Notes: kept, it is tool output
</tool_output>"""


def test_the_teachers_notes_are_cut_from_memory_and_completion_but_not_from_tool_output(tmp_path: Path) -> None:
    cfg = load_config(None, mode="sft", data=tmp_path, out=tmp_path / "run")
    noted = json.loads(EXPERT_TEXT) | {"summary": "read geo's crash. Notes: done=triage,logs:geo; bad=geo:Crash"}
    rows = [{"messages": [{"role": "user", "content": NOTED_PROMPT}], "completion": json.dumps(noted)}] * 2

    records = build_dataset(cfg, rows, tokenizer)

    assert len(records) == 1  # identical once the notes are gone: de-duplicated
    prompt, completion = records[0]["prompt"], records[0]["completion"].removesuffix("<end_of_turn>")
    assert "- step 1: Start with triage.\n- step 2: Check the alerts.\n" in prompt
    assert "summary: geo is crash-looping.\n" in prompt
    assert "done=" not in prompt and "config Notes: kept, it is tool output" in prompt
    assert json.loads(completion)["summary"] == "read geo's crash."


def test_balancing_caps_each_family_and_task_and_interleaves_them() -> None:
    rows = ([{"family": "oom", "task_type": "mitigation", "n": i} for i in range(50)]
            + [{"family": "oom", "task_type": "detection", "n": i} for i in range(3)]
            + [{"family": "dns", "task_type": "mitigation", "n": i} for i in range(10)])

    picked = balanced(rows, 5, seed=1)

    groups = [(r["family"], r["task_type"]) for r in picked]
    assert len(picked) == 13 and groups.count(("oom", "mitigation")) == 5 and groups.count(("oom", "detection")) == 3
    assert set(groups[:3]) == {("oom", "mitigation"), ("oom", "detection"), ("dns", "mitigation")}
    assert picked == balanced(rows, 5, seed=1) and picked != balanced(rows, 5, seed=2)


def test_scoring_only_labelled_positions_on_cpu_gives_the_same_loss_and_gradients(
        monkeypatch: pytest.MonkeyPatch) -> None:
    torch = pytest.importorskip("torch")
    trl_utils = pytest.importorskip("trl.trainer.utils")
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig

    from aoi.training.trainer import _score_only_labelled_positions

    torch.manual_seed(0)
    config = Gemma3TextConfig(vocab_size=300, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                              num_attention_heads=2, num_key_value_heads=1, head_dim=16, max_position_embeddings=128)
    model = Gemma3ForCausalLM(config)
    trl_utils.add_fused_lm_head(model)
    ids = torch.randint(0, 300, (1, 40))
    labels = ids.clone()
    labels[:, :30] = -100  # a prompt of 30 tokens, an answer of 10, as in an SFT sample

    def loss_and_grads() -> tuple[float, list[Any]]:
        model.zero_grad()
        loss = model(input_ids=ids, labels=labels, fused_lm_head=True).loss
        loss.backward()
        return loss.item(), [p.grad.clone() for p in model.parameters() if p.grad is not None]

    monkeypatch.setattr(trl_utils, "_use_triton", trl_utils._use_triton)  # restored after the test
    full_loss, full_grads = loss_and_grads()
    _score_only_labelled_positions()
    assert trl_utils._use_triton(torch.device("cpu")) is True
    compact_loss, compact_grads = loss_and_grads()

    assert compact_loss == pytest.approx(full_loss, rel=1e-5)
    assert len(compact_grads) == len(full_grads) > 0
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(compact_grads, full_grads, strict=True))
