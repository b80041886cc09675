"""SFT and GRPO of the Observer with TRL: one code path, on CPU (transformers + peft) or GPU (Unsloth as loader).

* SFT (`aoi train sft`) imitates recorded decisions — the warm start on the `expert` policy's trajectories, since
  the embedded model is a base model.
* GRPO (`aoi train grpo`) samples `num_generations` decisions per exported prompt — under the agent's decision
  grammar (`aoi.training.constrained`), so every completion parses — and optimises the weighted verifiable rewards
  of `aoi.training.rewards` (each completion parsed with the agent's own `parse_decision`).

A run folder holds `checkpoints/` (resumable: a rerun continues from the newest one), `train_log.jsonl` (every
logged step: loss, reward and each reward's mean, seconds), `adapter/` (the LoRA adapter, plus `aoi.json` naming the
base GGUF) and `config.json`. `aoi train export-gguf` turns `adapter/` into a GGUF the agent loads.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aoi.training.config import TrainConfig

LOG_FILE = "train_log.jsonl"
ADAPTER_DIR = "adapter"
ADAPTER_META = "aoi.json"


class TrainingError(RuntimeError):
    """Training cannot start (no data, a bad data folder); the message says what to do."""


@dataclass(frozen=True, slots=True)
class TrainResult:
    out: Path
    adapter: Path
    steps: int
    samples: int
    seconds: float
    log: list[dict[str, Any]]

    @property
    def samples_per_second(self) -> float:
        """Training samples (prompts, for GRPO) consumed per second of the run."""
        return self.log[-1].get("samples_per_s", 0.0) if self.log else 0.0

    @property
    def rewards(self) -> list[float]:
        """The mean reward of each logged GRPO step, in order (empty for SFT)."""
        return [float(r["reward"]) for r in self.log if "reward" in r]


def load_samples(cfg: TrainConfig) -> list[dict[str, Any]]:
    """The export's step samples this run trains on (split, agent and reward filters applied).

    Raises:
        TrainingError: the data folder has no steps.jsonl.
    """
    path = Path(cfg.data).expanduser() / "steps.jsonl"
    if not path.is_file():
        raise TrainingError(f"{path} not found; export episodes first: aoi export --split train --out {cfg.data}")
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    rows = [r for r in rows if (r.get("split") or "train") in cfg.splits]  # appended samples without a split train
    if cfg.mode == "sft":
        rows = [r for r in rows if r.get("decision") and float(r.get("reward", 0.0)) >= cfg.min_reward]
        if cfg.agents:
            rows = [r for r in rows if r.get("agent") in cfg.agents or str(r.get("agent")).split(":")[0] in cfg.agents]
    if cfg.max_per_group:
        rows = balanced(rows, cfg.max_per_group, seed=cfg.seed)
    return rows[: cfg.max_samples] if cfg.max_samples else rows


def balanced(rows: list[dict[str, Any]], per_group: int, *, seed: int = 0) -> list[dict[str, Any]]:
    """At most `per_group` rows of each (family, task type), drawn at random with `seed`, interleaved group by group
    so that any prefix (a run cut by its time budget, `max_samples`) is balanced too."""
    import random

    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((str(row.get("family", "")), str(row.get("task_type", ""))), []).append(row)
    rng = random.Random(seed)
    picked = [rng.sample(members, min(per_group, len(members))) for _, members in sorted(groups.items())]
    return [group[i] for i in range(max(map(len, picked), default=0)) for group in picked if i < len(group)]


def student_sample(prompt: str, completion: str) -> tuple[str, str]:
    """(prompt, completion) as the trained model will meet and write them: the teacher's private notes cut from the
    prompt's memory lines and from the completion's summary, the completion in the grammar's field order."""
    from aoi.baselines.prompt_view import NOTES_MARK, without_notes
    from aoi.graph.decision import canonical_completion

    try:
        decision = json.loads(completion)
    except ValueError:
        decision = None
    if isinstance(decision, dict) and isinstance(decision.get("summary"), str):
        decision["summary"] = decision["summary"].partition(NOTES_MARK)[0].rstrip()
        completion = json.dumps(decision, ensure_ascii=False)
    return without_notes(prompt), canonical_completion(completion.strip())


def build_dataset(cfg: TrainConfig, rows: list[dict[str, Any]], tokenizer: Any) -> Any:
    """TRL's dataset: SFT `prompt`/`completion` text; GRPO `prompt` text plus the columns the rewards read.

    Raises:
        TrainingError: nothing is left to train on.
    """
    from datasets import Dataset

    from aoi.training.modeling import END_OF_TURN, prompt_text

    records: list[dict[str, Any]] = []
    seen: set[Any] = set()
    for row in rows:
        prompt, target = student_sample(prompt_text(row["messages"]), row["completion"])
        if cfg.max_prompt_tokens and len(tokenizer(prompt)["input_ids"]) > cfg.max_prompt_tokens:
            continue
        if cfg.mode == "sft":
            if (prompt, target) in seen:
                continue
            seen.add((prompt, target))
            records.append({"prompt": prompt, "completion": target + END_OF_TURN})
        elif prompt not in seen:
            seen.add(prompt)
            records.append({"prompt": prompt, "task_type": row["task_type"], "app": row.get("app", ""),
                            "services": list(row["services"]), "tools": row["tools"], "labels": row["labels"]})
    if not records:
        raise TrainingError(f"no {cfg.mode} samples left in {cfg.data} after the filters (splits {cfg.splits}, "
                            f"agents {cfg.agents or 'any'}, min_reward {cfg.min_reward}, max_prompt_tokens "
                            f"{cfg.max_prompt_tokens}); export more episodes or loosen the filters")
    return Dataset.from_list(records)


def train(cfg: TrainConfig, *, echo: Callable[[str], None] | None = None) -> TrainResult:
    """Run SFT or GRPO as `cfg` says; returns where the adapter is and the logged curve.

    Raises:
        TrainingError: no data to train on.
    """
    rows = load_samples(cfg)  # before the heavy imports: a wrong data folder fails fast
    from transformers import PrinterCallback, TrainerCallback
    from transformers.trainer_utils import get_last_checkpoint

    from aoi.training.modeling import base_gguf, load_for_training, use_bf16, use_gpu

    say = echo or (lambda line: print(line, file=sys.stderr, flush=True))
    out = Path(cfg.out).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(cfg.model_dump_json(indent=2) + "\n")
    model, tokenizer, lora = load_for_training(cfg)
    dataset = build_dataset(cfg, rows, tokenizer)
    say(f"{cfg.mode}: {len(dataset)} samples from {cfg.data}; base {cfg.base}; up to {cfg.max_steps} steps")
    started = time.perf_counter()
    log: list[dict[str, Any]] = []

    class Progress(TrainerCallback):  # type: ignore[misc]
        def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **_: Any) -> None:
            if not logs or "train_runtime" in logs:
                return
            elapsed = time.perf_counter() - started
            consumed = state.global_step * cfg.batch_size * cfg.gradient_accumulation_steps
            entry = {"step": state.global_step, "elapsed_s": round(elapsed, 2),
                     "samples_per_s": round(consumed / elapsed, 4) if elapsed > 0 else 0.0, **logs}
            log.append(entry)
            with (out / LOG_FILE).open("a") as handle:
                handle.write(json.dumps(entry, default=float) + "\n")
            say(_progress_line(entry, cfg.max_steps))

        def on_step_end(self, args: Any, state: Any, control: Any, **_: Any) -> None:
            if cfg.time_budget_s is not None and time.perf_counter() - started >= cfg.time_budget_s:
                control.should_training_stop = True
                control.should_save = True

    common = {"output_dir": str(out / "checkpoints"), "max_steps": cfg.max_steps, "learning_rate": cfg.lr,
              "lr_scheduler_type": cfg.lr_scheduler_type,
              "gradient_accumulation_steps": cfg.gradient_accumulation_steps, "logging_steps": 1,
              "save_strategy": "steps", "save_steps": cfg.save_steps, "save_total_limit": 2, "report_to": [],
              "seed": cfg.seed, "use_cpu": not use_gpu(cfg), "bf16": use_bf16(cfg), "disable_tqdm": True,
              "dataloader_num_workers": 0}
    trainer = _trainer(cfg, model, tokenizer, lora, dataset, common, [Progress()])
    trainer.remove_callback(PrinterCallback)  # it prints raw log dicts to stdout; Progress reports instead
    checkpoint = get_last_checkpoint(str(out / "checkpoints")) if cfg.resume and (out / "checkpoints").is_dir() \
        else None
    if checkpoint:
        say(f"resuming from {checkpoint}")
    trainer.train(resume_from_checkpoint=checkpoint)
    adapter = out / ADAPTER_DIR
    trainer.save_model(str(adapter))
    lora_cfg = json.loads((adapter / "adapter_config.json").read_text())
    (adapter / ADAPTER_META).write_text(json.dumps({"base_gguf": str(base_gguf(cfg.base).resolve()),
                                                    "mode": cfg.mode, "steps": trainer.state.global_step,
                                                    "lora_alpha": lora_cfg.get("lora_alpha"),
                                                    "r": lora_cfg.get("r")}, indent=2) + "\n")
    return TrainResult(out, adapter, trainer.state.global_step, len(dataset), time.perf_counter() - started, log)


def _trainer(cfg: TrainConfig, model: Any, tokenizer: Any, lora: Any, dataset: Any, common: dict[str, Any],
             callbacks: list[Any]) -> Any:
    if common["use_cpu"]:
        _score_only_labelled_positions()
    if cfg.mode == "sft":
        from trl import SFTConfig, SFTTrainer

        args = SFTConfig(**common, per_device_train_batch_size=cfg.batch_size, max_length=None,
                         completion_only_loss=True, packing=False,
                         train_sampling_strategy="group_by_length" if cfg.group_by_length else "random")
        return SFTTrainer(model=model, args=args, train_dataset=dataset, processing_class=tokenizer,
                          peft_config=lora, callbacks=callbacks)
    from trl import GRPOConfig, GRPOTrainer

    from aoi.training.rewards import trl_rewards

    funcs, weights = trl_rewards()
    rollout = None
    if cfg.constrained:
        import os

        from aoi.training.constrained import grammar_rollout, sample_grammar
        from aoi.training.modeling import base_gguf

        os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")  # rollout_func is marked experimental in TRL
        rollout = grammar_rollout({row["prompt"]: sample_grammar(row) for row in dataset}, base_gguf(cfg.base))
    args = GRPOConfig(**common, per_device_train_batch_size=cfg.batch_size * cfg.num_generations,
                      num_generations=cfg.num_generations, max_completion_length=cfg.max_completion_length,
                      temperature=cfg.temperature, beta=cfg.beta, reward_weights=weights,
                      remove_unused_columns=False, log_completions=False)
    return GRPOTrainer(model=model, reward_funcs=funcs, args=args, train_dataset=dataset,
                       processing_class=tokenizer, peft_config=lora, callbacks=callbacks, rollout_func=rollout)


def _score_only_labelled_positions() -> None:
    """Make TRL's fused LM head score only the positions that carry a label, as it does on CUDA.

    Off CUDA it scores every position to keep tile shapes fixed for graph compilers (Neuron); a CPU has no such
    compiler, and for an Observer prompt of ~2,000 tokens with a ~100-token decision the 262k-word head over every
    position was about half of each SFT step (GRPO scores its completions through the same head). The loss and its
    gradient are the same: positions without a label contribute zero either way (tested).
    """
    import trl.trainer.utils as trl_utils

    if callable(getattr(trl_utils, "_use_triton", None)):
        trl_utils._use_triton = lambda device: True


def _progress_line(entry: dict[str, Any], max_steps: int) -> str:
    parts = [f"step {entry['step']}/{max_steps}", f"{entry['elapsed_s']:.0f}s",
             f"{float(entry.get('samples_per_s', 0.0)):.3f} samples/s"]
    if "loss" in entry:
        parts.append(f"loss {float(entry['loss']):.4f}")
    if "reward" in entry:
        parts.append(f"reward {float(entry['reward']):.3f}")
        detail = [f"{k.split('/')[1]} {float(v):.2f}" for k, v in entry.items()
                  if k.startswith("rewards/") and k.endswith("/mean") and isinstance(v, int | float) and v == v]
        parts.append("(" + ", ".join(detail) + ")")
    return "  ".join(parts)
