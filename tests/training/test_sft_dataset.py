"""The SFT dataset's targets: recorded decisions rewritten in the order the generation grammar emits them."""

from __future__ import annotations

import json
from pathlib import Path

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
