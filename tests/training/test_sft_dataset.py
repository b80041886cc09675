"""SFT on CPU: targets in the order the generation grammar emits them, and the LM head scored only where labelled."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("datasets")

from aoi.training.config import load_config
from aoi.training.trainer import build_dataset

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
