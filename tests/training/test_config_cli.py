"""Training config (YAML + flags), the CLI's export and error paths, and the GPU path (marked `gpu`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from aoi.cli import main
from aoi.training.config import ConfigError, load_config


def test_flags_override_the_yaml_file_and_defaults_follow_the_paper(tmp_path: Path) -> None:
    path = tmp_path / "grpo.yaml"
    path.write_text("data: ~/export\nout: runs/x\nmax_steps: 7\nlora_r: 8\n")
    cfg = load_config(path, mode="grpo", max_steps=3, lora_alpha=None)
    assert (cfg.max_steps, cfg.lora_r, cfg.lora_alpha, cfg.num_generations, cfg.lr) == (3, 8, 128, 4, 1e-5)
    assert cfg.data == Path("~/export").expanduser()
    assert load_config(path, mode="sft").lr == 1e-4


@pytest.mark.parametrize(("text", "message"), [
    ("data: d\nout: o\nmax_steps: 0\n", "max_steps"),
    ("data: d\nout: o\nwarp: 9\n", "warp"),
    ("data: d\nout: o\nlr_scheduler_type: exponential\n", "lr_scheduler_type"),
    ("- a list\n", "mapping"),
    ("out: o\n", "data"),
])
def test_a_bad_config_names_the_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_cli_export_reports_counts_and_train_errors_are_clear(aoi_home: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["export", "--out", str(aoi_home / "out"), "--no-datasets", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["episodes"] == 0
    assert (aoi_home / "out" / "manifest.json").is_file()
    missing = runner.invoke(main, ["train", "sft", "--data", str(aoi_home / "nowhere"), "--out", str(aoi_home / "r")])
    assert missing.exit_code != 0 and "aoi export" in missing.output
    no_adapter = runner.invoke(main, ["train", "export-gguf", "--out", str(aoi_home / "x.gguf")])
    assert no_adapter.exit_code != 0 and "--run" in no_adapter.output


@pytest.mark.gpu
def test_unsloth_loads_and_trains_the_embedded_model_on_a_gpu(aoi_home: Path) -> None:  # pragma: no cover
    from aoi.training.config import TrainConfig
    from aoi.training.modeling import load_for_training

    cfg = TrainConfig(mode="grpo", data=aoi_home, out=aoi_home / "run", device="cuda", lora_r=8, lora_alpha=16)
    model, tokenizer, lora = load_for_training(cfg)
    assert lora is None and next(model.parameters()).is_cuda
    assert tokenizer.convert_tokens_to_ids("<end_of_turn>") in model.generation_config.eos_token_id
