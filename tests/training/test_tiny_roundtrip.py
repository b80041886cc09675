"""The whole training path on a tiny random Gemma 3 built offline: GGUF → transformers → LoRA → SFT/GRPO (TRL) →
GGUF → llama.cpp, with logits checked against transformers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from aoi.cli import main
from aoi.training.config import load_config
from aoi.training.export import append_samples
from aoi.training.tiny import build_tiny_gguf
from aoi.training.trainer import LOG_FILE, train

SERVICES = ["geo", "search", "user", "rate"]
TRUTH = {"faulty_components": ["geo"], "system_level": "Application", "fault_type": "Misconfiguration"}
TOOLS = {"read": {"get_logs": {"type": "object", "properties": {"service": {"type": "string"}},
                               "required": ["service"]}}, "write": {}}
PROMPT = [{"role": "system", "content": "You are the Observer."},
          {"role": "user", "content": "Task: localization\nServices: geo, search, user, rate\nDecide."}]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AOI_HOME", str(home))
        base = build_tiny_gguf(home / "tiny.gguf")
        data = home / "data"
        data.mkdir()
        (data / "steps.jsonl").write_text("")
        samples = []
        for i, service in enumerate(SERVICES):
            decision = {"summary": "s", "phase": "investigate", "hypothesis": "geo", "confidence": 50,
                        "action": "probe", "tool_calls": [{"tool": "get_logs", "args": {"service": service}}],
                        "submission": None}
            messages = [PROMPT[0], {"role": "user", "content": f"{PROMPT[1]['content']} (step {i})"}]
            samples.append({"messages": messages, "completion": json.dumps(decision), "decision": decision,
                            "task_type": "localization", "services": SERVICES, "tools": TOOLS, "labels": TRUTH})
        assert append_samples(data, samples, provenance="test", datasets=False) == 4
        yield base, data


def _llama_logits(path: Path, tokens: list[int], lora: Path | None = None) -> np.ndarray:
    import llama_cpp

    llm = llama_cpp.Llama(model_path=str(path), lora_path=str(lora) if lora else None, n_ctx=256, n_threads=2,
                          logits_all=True, verbose=False)
    try:
        llm.eval(tokens)
        return np.array(llm.scores[: len(tokens)], dtype=np.float32)
    finally:
        llm.close()


def test_sft_trains_and_both_gguf_exports_match_transformers_in_llama_cpp(tiny: tuple[Path, Path],
                                                                        tmp_path: Path) -> None:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from aoi.graph.models import load_model
    from aoi.training.gguf_export import export_adapter
    from aoi.training.modeling import hf_checkpoint, prompt_text

    base, data = tiny
    cfg = load_config(None, mode="sft", data=data, out=tmp_path / "sft", base=str(base), max_steps=2, lora_r=4,
                      lora_alpha=8, learning_rate=5e-2, lr_scheduler_type="constant")
    result = train(cfg, echo=lambda _line: None)
    assert result.steps == 2 and result.samples == 4
    assert [e["step"] for e in result.log] == [1, 2] and all("loss" in e for e in result.log)
    assert [e["learning_rate"] for e in result.log] == [5e-2, 5e-2]  # linear (the default) would halve it
    assert result.samples_per_second > 0 and result.samples_per_second == result.log[-1]["samples_per_s"]

    merged = tmp_path / "merged.gguf"
    cli = CliRunner().invoke(main, ["train", "export-gguf", "--run", str(tmp_path / "sft"), "--out", str(merged),
                                    "--type", "f32"])
    assert cli.exit_code == 0, cli.output
    assert "8 tensors changed" in cli.output  # q,k,v,o × 2 layers; everything else copied byte for byte
    adapter = export_adapter(result.adapter, base, tmp_path / "adapter.gguf").path

    checkpoint = hf_checkpoint(base)
    tokenizer = AutoTokenizer.from_pretrained(str(checkpoint))
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(str(checkpoint)), str(result.adapter))
    tokens = tokenizer(prompt_text(PROMPT) + '{"summary": "geo')["input_ids"]
    with torch.no_grad():
        expected = model(torch.tensor([tokens])).logits[0].numpy()
    trained = _llama_logits(merged, tokens)
    assert (trained.argmax(-1) == expected.argmax(-1)).mean() == 1.0
    assert np.abs(trained - expected).max() < 0.05
    untouched = _llama_logits(base, tokens)
    assert np.abs(untouched - expected).max() > 10 * np.abs(trained - expected).max(), "the LoRA must show"
    assert np.abs(_llama_logits(base, tokens, lora=adapter) - expected).max() < 0.05

    with load_model(str(merged)) as llm:  # what `aoi diagnose --model merged.gguf` loads
        completion = llm.complete(PROMPT, max_tokens=6)
    assert completion.completion_tokens > 0 and completion.model == "gguf:merged.gguf"


@pytest.mark.slow
def test_grpo_logs_the_reward_curve_and_resumes_from_its_checkpoint(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    base, data = tiny
    lines: list[str] = []
    settings: dict[str, Any] = {"mode": "grpo", "data": data, "out": tmp_path / "grpo", "base": str(base),
                                "lora_r": 4, "lora_alpha": 8, "max_completion_length": 8, "save_steps": 1}
    first = train(load_config(None, max_steps=2, **settings), echo=lines.append)
    assert first.steps == 2 and len(first.rewards) == 2
    logged = [json.loads(line) for line in (tmp_path / "grpo" / LOG_FILE).read_text().splitlines()]
    assert all("rewards/schema_validity/mean" in e and "reward" in e for e in logged)
    assert any(line.startswith("step 2/2") and "reward" in line for line in lines)
    again = train(load_config(None, max_steps=3, **settings), echo=lines.append)
    assert again.steps == 3 and any(line.startswith("resuming from") for line in lines)
    assert [e["step"] for e in again.log] == [3]
