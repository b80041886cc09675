"""Multi-turn GRPO: rollouts are whole episodes of the agent against the simulator, rewarded by the oracle.

Single-turn GRPO (`aoi train grpo`) scores one decision against a recorded prompt. Here the policy being trained
*is* the agent's model for a whole episode: `TransformersPolicy` answers every Observer step (grammar-constrained,
sampled, recording each prompt and completion), the episode runs through the real graph on a simulated cluster, and
its reward is

    reward = oracle score (the evaluator's grade of the submission, 0..1) + STEP_WEIGHT × mean step reward

where the step rewards are those of `aoi.training.rewards` (validity, evidence, safety, repeated calls), read from
the exported steps of the episode. A group of `group` rollouts starts from the same cluster state: a simulated
cluster is rebuilt exactly from its spec and seed (the simulator is deterministic given its seed), which is the
snapshot every rollout restores. Each turn of rollout g is trained with g's group-normalised advantage (GRPO's
outcome supervision), its log-probability averaged over its tokens.

`grpo_episodes` is the training loop: one optimiser step per problem group, a line per step in `train_log.jsonl`
(rewards of the group, the oracle scores, seconds), the LoRA adapter saved every `save_steps` and at the end, and a
rerun of the same command continues from the saved step. It is slow on a CPU (an episode is several generations
of ~150 tokens over ~2,000-token prompts); it is the GPU path's second stage (`benchmarks/gpu_train.sh`).
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aoi.graph.models.base import Completion, Message
from aoi.training.generate import Job

STEP_WEIGHT = 0.2
"""Weight of the mean step reward beside the oracle score (the outcome dominates; steps break ties)."""
LOG_FILE = "train_log.jsonl"
STATE_FILE = "multiturn_state.json"


@dataclass(frozen=True, slots=True)
class Turn:
    prompt_ids: list[int]
    completion_ids: list[int]


class TransformersPolicy:
    """The agent's `Model`, answered by a transformers model sampled under the decision grammar; every call is kept
    in `turns` (the training data of the rollout)."""

    prompt_profile = "compact"

    def __init__(self, model: Any, tokenizer: Any, gguf: Path, *, temperature: float = 1.0, seed: int = 0) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.gguf = gguf
        self.temperature = temperature
        self.seed = seed
        self.name = f"policy:{gguf.stem}"
        self.turns: list[Turn] = []

    def complete(self, messages: list[Message], *, json_schema: dict | None = None, max_tokens: int = 512,
                 temperature: float = 0.0, seed: int | None = None) -> Completion:
        import torch

        from aoi.graph.models.grammar import schema_to_gbnf
        from aoi.training.constrained import constrained_generate
        from aoi.training.modeling import prompt_text

        started = time.perf_counter()
        prompt_ids = self.tokenizer(prompt_text(messages))["input_ids"]
        grammar = schema_to_gbnf(json_schema) if json_schema is not None else 'root ::= [^\\x00]*'
        torch.manual_seed(self.seed * 1_000_003 + len(self.turns))
        completion = constrained_generate(self.model, self.tokenizer, [prompt_ids], [grammar], self.gguf,
                                          do_sample=True, temperature=self.temperature, top_k=0,
                                          max_new_tokens=max_tokens)[0]
        self.turns.append(Turn(list(prompt_ids), completion))
        text = self.tokenizer.decode(completion, skip_special_tokens=True)
        return Completion(text, len(prompt_ids), len(completion), time.perf_counter() - started, self.name)


@dataclass(slots=True)
class Rollout:
    thread_id: str
    oracle: float
    """The evaluator's score of the episode (0 when it has none: no submission, a failed episode)."""
    step_rewards: list[float]
    turns: list[Turn] = field(default_factory=list)

    @property
    def reward(self) -> float:
        mean_step = statistics.fmean(self.step_rewards) if self.step_rewards else 0.0
        return self.oracle + STEP_WEIGHT * mean_step


def rollout_episode(policy: TransformersPolicy, job: Job, db: Path, *, thread_id: str,
                    max_steps: int | None = None) -> Rollout:
    """Run one episode of `job` with `policy` on the simulator (at most `max_steps` decisions when given) and score
    it."""
    from aoi.graph.runner import EpisodeFailedError, EpisodeRunner
    from aoi.store.db import connect
    from aoi.store.episodes import EpisodeStore
    from aoi.training.export import step_samples
    from aoi.training.generate import episode_config

    policy.turns = []
    config = episode_config(job, db)
    config.thread_id = thread_id
    if max_steps is not None:
        config.budget = replace(config.budget, max_steps=max_steps)
    try:
        result = EpisodeRunner(config, model=policy).run()  # type: ignore[arg-type]
        oracle = float(result.score or 0.0)
    except EpisodeFailedError:
        oracle = 0.0
    conn = connect(db)
    try:
        store = EpisodeStore(conn)
        episode = store.episode(thread_id) or {}
        rows = step_samples(episode, store.steps(thread_id), "train") if episode else []
    finally:
        conn.close()
    return Rollout(thread_id, oracle, [float(r["reward"]) for r in rows], list(policy.turns))


def advantages(rewards: Sequence[float]) -> list[float]:
    """GRPO's group-normalised advantages: (r - mean) / std, all 0 when the group's rewards are equal."""
    mean = statistics.fmean(rewards)
    spread = statistics.pstdev(rewards)
    return [0.0 if spread < 1e-9 else (r - mean) / spread for r in rewards]


def policy_loss(model: Any, rollouts: Sequence[Rollout]) -> float:
    """Accumulate the gradient of -Σ A_g · mean log π(turn) over every turn of the group (one backward per turn,
    so memory holds one turn); returns the loss value."""
    import torch

    weights = advantages([r.reward for r in rollouts])
    turns = sum(len(r.turns) for r in rollouts) or 1
    total = 0.0
    device = next(model.parameters()).device
    for rollout, advantage in zip(rollouts, weights, strict=True):
        if advantage == 0.0:
            continue
        for turn in rollout.turns:
            if not turn.completion_ids:
                continue
            ids = torch.tensor([turn.prompt_ids + turn.completion_ids], device=device)
            logits = model(input_ids=ids).logits[0, len(turn.prompt_ids) - 1: -1].float()
            target = torch.tensor(turn.completion_ids, device=device)
            logp = torch.log_softmax(logits, dim=-1).gather(1, target[:, None]).mean()
            loss = -advantage * logp / turns
            loss.backward()
            total += float(loss)
    return total


def grpo_episodes(model: Any, tokenizer: Any, gguf: Path, jobs: Sequence[Job], out: Path, *, group: int = 4,
                  max_steps: int = 10, learning_rate: float = 1e-5, save_steps: int = 1,
                  time_budget_s: float | None = None, temperature: float = 1.0,
                  echo: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
    """Train the peft-wrapped `model` on episodes of `jobs` (cycled in order, one job per step); returns the log
    entries written this run. A rerun with the same `out` continues after the last saved step."""
    import torch

    out.mkdir(parents=True, exist_ok=True)
    state_path = out / STATE_FILE
    start = json.loads(state_path.read_text())["step"] if state_path.is_file() else 0
    if start and (out / "adapter").is_dir():
        from peft import set_peft_model_state_dict
        from safetensors.torch import load_file

        set_peft_model_state_dict(model, load_file(str(out / "adapter" / "adapter_model.safetensors")))
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=learning_rate)
    db = out / "rollouts.db"
    began = time.perf_counter()
    log: list[dict[str, Any]] = []
    for step in range(start, max_steps):
        if time_budget_s is not None and time.perf_counter() - began >= time_budget_s:
            break
        job = jobs[step % len(jobs)]
        step_began = time.perf_counter()
        model.eval()
        rollouts = []
        for g in range(group):
            policy = TransformersPolicy(model, tokenizer, gguf, temperature=temperature, seed=step * group + g)
            rollouts.append(rollout_episode(policy, job, db, thread_id=f"mt-{step}-{g}"))
        model.train()
        optimizer.zero_grad()
        loss = policy_loss(model, rollouts)
        optimizer.step()
        entry = {"step": step + 1, "job": f"{job.cluster}|{job.task}", "loss": round(loss, 6),
                 "reward": round(statistics.fmean(r.reward for r in rollouts), 4),
                 "rewards": [round(r.reward, 4) for r in rollouts], "oracle": [r.oracle for r in rollouts],
                 "turns": [len(r.turns) for r in rollouts], "seconds": round(time.perf_counter() - step_began, 1)}
        log.append(entry)
        with (out / LOG_FILE).open("a") as handle:
            handle.write(json.dumps(entry) + "\n")
        if echo:
            echo(f"step {entry['step']}/{max_steps}  reward {entry['reward']:.3f}  oracle {entry['oracle']}  "
                 f"{entry['seconds']:.0f}s")
        if (step + 1) % save_steps == 0:
            _save(model, out, step + 1)
    if log and log[-1]["step"] % save_steps:
        _save(model, out, log[-1]["step"])
    return log


def _save(model: Any, out: Path, step: int) -> None:
    model.save_pretrained(str(out / "adapter"))
    (out / STATE_FILE).write_text(json.dumps({"step": step}) + "\n")
