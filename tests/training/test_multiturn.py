"""Multi-turn GRPO on the simulator with a tiny random model: a rollout is a real episode through the graph, its
reward is the oracle's score plus the weighted step rewards, and a training step changes the adapter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("peft")

from aoi.graph.decision import DecisionError, parse_decision
from aoi.store.db import connect
from aoi.store.episodes import EpisodeStore
from aoi.training.generate import Job
from aoi.training.multiturn import STEP_WEIGHT, Rollout, TransformersPolicy, advantages, grpo_episodes, rollout_episode
from aoi.training.tiny import build_tiny_gguf

JOB = Job("sim:hotel-reservation/container_kill?seed=1", "detection")


@pytest.fixture(scope="module")
def tiny_policy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object, object]:
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AOI_HOME", str(home))
        from aoi.training.modeling import hf_checkpoint

        gguf = build_tiny_gguf(home / "tiny.gguf", seed=5)
        checkpoint = hf_checkpoint(gguf)
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(str(checkpoint)),
                           LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM"))
    return gguf, model, AutoTokenizer.from_pretrained(str(checkpoint))


@pytest.mark.slow
def test_a_rollout_is_a_recorded_episode_rewarded_by_the_oracle(tiny_policy: tuple, aoi_home: Path) -> None:
    gguf, model, tokenizer = tiny_policy
    policy = TransformersPolicy(model, tokenizer, gguf, seed=1)
    db = aoi_home / "rollouts.db"

    rollout = rollout_episode(policy, JOB, db, thread_id="mt-test", max_steps=2)

    conn = connect(db)
    episode, steps = EpisodeStore(conn).episode("mt-test"), EpisodeStore(conn).steps("mt-test")
    conn.close()
    assert episode is not None and episode["status"] == "done"
    assert rollout.oracle == (1.0 if episode["success"] else 0.0)  # detection's grade is its stored success
    assert rollout.turns and len(rollout.step_rewards) >= 1
    assert rollout.reward == pytest.approx(rollout.oracle + STEP_WEIGHT * sum(rollout.step_rewards)
                                           / len(rollout.step_rewards))
    decisions = [s for s in steps if s["node"] == "reason"]
    for step in decisions:  # sampled under the grammar: every decision parses
        parse_decision(step["completion"], "detection", ["triage", "get_logs", "get_resources", "kubectl",
                                                         "get_events", "get_metrics", "get_traces", "get_alerts",
                                                         "list_services", "describe_resource", "get_error_logs",
                                                         "get_service_dependencies", "check_service_connectivity",
                                                         "get_app_yaml", "get_cluster_configuration",
                                                         "check_node_service_status"], [], [], allow_act=False)


def test_advantages_are_group_normalised_and_zero_for_a_flat_group() -> None:
    assert advantages([1.0, 1.0, 1.0]) == [0.0, 0.0, 0.0]
    spread = advantages([0.0, 1.0])
    assert spread == [-1.0, 1.0]
    assert Rollout("t", 1.0, []).reward == 1.0


@pytest.mark.slow
def test_a_training_step_logs_the_group_and_resumes_after_it(tiny_policy: tuple, aoi_home: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    gguf, model, tokenizer = tiny_policy
    rewards = iter([0.0, 1.0, 0.5, 0.5])
    real = rollout_episode

    def short(policy: TransformersPolicy, job: Job, db: Path, *, thread_id: str) -> Rollout:
        rollout = real(policy, job, db, thread_id=thread_id, max_steps=1)
        rollout.oracle = next(rewards)  # a spread of outcomes, so the advantage is not zero
        return rollout

    monkeypatch.setattr("aoi.training.multiturn.rollout_episode", short)
    before = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
    out = aoi_home / "mt"
    log = grpo_episodes(model, tokenizer, gguf, [JOB], out, group=2, max_steps=1, learning_rate=1e-2)

    assert [e["step"] for e in log] == [1] and log[0]["oracle"] == [0.0, 1.0]
    assert json.loads((out / "train_log.jsonl").read_text().splitlines()[0])["rewards"] == log[0]["rewards"]
    assert (out / "adapter" / "adapter_model.safetensors").is_file()
    changed = [n for n, p in model.named_parameters() if p.requires_grad and not torch.equal(p, before[n])]
    assert changed
    again = grpo_episodes(model, tokenizer, gguf, [JOB], out, group=2, max_steps=2, learning_rate=1e-2)
    assert [e["step"] for e in again] == [2]


def test_a_decision_parse_error_is_what_the_grammar_prevents() -> None:
    with pytest.raises(DecisionError):
        parse_decision('{"action": "probe"', "detection", ["triage"], [], [])
