"""Training configuration: a YAML file plus command-line overrides, validated (a config file is a trust boundary).

Example (`aoi train grpo --config grpo.yaml --max-steps 5`):

```yaml
data: ~/aoi-export          # an `aoi export` folder
out: ~/aoi-runs/grpo-1      # checkpoints, train_log.jsonl, adapter/
base: embedded              # or a GGUF path, or the SFT run's merged GGUF
max_steps: 20
learning_rate: 1.0e-5
lora_r: 64
lora_alpha: 128
num_generations: 4
```

Defaults follow the paper's Observer GRPO (group size 4, LoRA r=64 / alpha=128, lr 1e-5); SFT defaults to a
larger learning rate, as a warm start should.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Mode = Literal["sft", "grpo"]


class ConfigError(ValueError):
    """The training configuration is invalid; the message names the field and what is allowed."""


class TrainConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Mode = "grpo"
    data: Path
    """An `aoi export` folder (its steps.jsonl)."""
    out: Path
    base: str = "embedded"
    """The model to train: `embedded` or a GGUF path (a merged export of an earlier run continues from it)."""
    splits: list[str] = Field(default_factory=lambda: ["train"])
    """Only samples of these splits are used (held-out problems never train)."""
    agents: list[str] = Field(default_factory=list)
    """SFT: only samples from these agents (e.g. `expert`); empty: all."""
    min_reward: float = 0.0
    """SFT: only recorded decisions whose step reward is at least this (bad teacher steps are not imitated)."""
    max_samples: int | None = Field(default=None, ge=1)
    max_per_group: int | None = Field(default=None, ge=1)
    """Balance: at most this many samples per (fault family, task type), drawn with `seed` (mitigation episodes are
    long and would otherwise dominate)."""
    max_prompt_tokens: int | None = Field(default=None, ge=16)
    """Drop samples with longer prompts (never truncate: a cut prompt is one the agent never sees)."""
    max_steps: int = Field(default=20, ge=1)
    time_budget_s: float | None = Field(default=None, gt=0)
    """Stop cleanly (and save) after this many seconds of training."""
    learning_rate: float | None = Field(default=None, gt=0)
    """Default: 1e-4 for SFT, 1e-5 for GRPO (the paper's)."""
    lr_scheduler_type: Literal["linear", "constant", "cosine"] = "linear"
    """`linear` decays to 0 at `max_steps`; a run cut by `time_budget_s` wants `constant`, so that its rate does not
    depend on a step count it never reaches."""
    batch_size: int = Field(default=1, ge=1)
    """SFT: samples per step. GRPO: prompts per step (each gets `num_generations` completions)."""
    gradient_accumulation_steps: int = Field(default=1, ge=1)
    group_by_length: bool = True
    """SFT: batch samples of similar length together (length bucketing), so a batch pads little."""
    lora_r: int = Field(default=64, ge=1)
    lora_alpha: int = Field(default=128, ge=1)
    lora_dropout: float = Field(default=0.0, ge=0, lt=1)
    target_modules: list[str] = Field(default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"])
    num_generations: int = Field(default=4, ge=2)
    max_completion_length: int = Field(default=256, ge=8)
    temperature: float = Field(default=1.0, gt=0)
    constrained: bool = True
    """GRPO: sample completions under the decision grammar the agent decodes with (`aoi.training.constrained`), so
    every completion parses; off, transformers samples freely."""
    beta: float = Field(default=0.0, ge=0)
    """GRPO's KL coefficient; 0 needs no reference model (half the memory and compute)."""
    save_steps: int = Field(default=10, ge=1)
    seed: int = 0
    device: Literal["auto", "cpu", "cuda"] = "auto"
    precision: Literal["auto", "fp32", "bf16"] = "auto"
    """`auto`: bf16 mixed precision on a GPU and on a CPU with native bf16 instructions (AVX512-BF16/AMX: ~1.7x
    faster per SFT step on this machine's CPU), else fp32. Weights stay fp32 either way."""
    """`auto`: CUDA when present (Unsloth loads the model), else CPU (the GGUF dequantized into transformers)."""
    resume: bool = True
    """Continue from the newest checkpoint in `out` when there is one."""

    @model_validator(mode="after")
    def _check(self) -> TrainConfig:
        if self.mode == "grpo" and (self.batch_size * self.num_generations) % self.num_generations:
            raise ValueError("the generation batch must be divisible by num_generations")
        return self

    @property
    def lr(self) -> float:
        return self.learning_rate or (1e-4 if self.mode == "sft" else 1e-5)


def load_config(path: str | Path | None, **overrides: Any) -> TrainConfig:
    """The config from a YAML file (optional) with `overrides` (None values ignored) applied on top.

    Raises:
        ConfigError: the file cannot be read or a value is invalid.
    """
    import yaml

    values: dict[str, Any] = {}
    if path is not None:
        try:
            loaded = yaml.safe_load(Path(path).expanduser().read_text())
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot read the training config {path}: {exc}") from exc
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"{path} must hold a mapping of settings, e.g. `max_steps: 20`")
        values.update(loaded or {})
    values.update({k: v for k, v in overrides.items() if v is not None})
    for key in ("data", "out"):
        if isinstance(values.get(key), str):
            values[key] = Path(values[key]).expanduser()
    try:
        return TrainConfig(**values)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'config'}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"invalid training config: {problems}") from None
