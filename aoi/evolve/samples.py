"""Corrective training samples from a verified repair, in the step-sample schema of `aoi/training/export.py`.

The `corrective` sample is the failed step's context — the prompt the agent answered wrongly, as recorded — paired
with the repair's decision at that step. The `continuation` samples are the repaired episode's later steps (its
own prompts and decisions), which show the way from there to an answer the oracle accepted. Ground truth goes in
`labels` (for rewards), never in the prompt. `aoi evolve samples --out DIR` appends them to an export with
`aoi.training.export.append_samples`, provenance `evolver:repair:<thread>:<step>`.
"""

from __future__ import annotations

import json
from typing import Any

from aoi.evolve.modes import Diagnosis
from aoi.evolve.repair import Repair
from aoi.evolve.trajectory import Trajectory, decision_text


def corrective_samples(t: Trajectory, diagnosis: Diagnosis, repair: Repair) -> list[dict[str, Any]]:
    """The samples of a verified repair, corrective first.

    Raises:
        ValueError: the repair did not pass the oracle.
    """
    if not repair.passed:
        raise ValueError(f"repair of {t.thread_id} has status {repair.status}; only verified repairs make samples")
    from aoi.training.splits import episode_family, episode_split

    truth = dict(t.ground_truth or {})
    labels = {"faulty_components": list(truth.get("faulty_components", [])),
              "system_level": truth.get("system_level", ""), "fault_type": truth.get("fault_type", ""),
              "fault_object": truth.get("fault_object", ""), "mitigated_before_step": False}
    app = t.cluster.partition(":")[2].partition("/")[0].partition("?")[0]
    rows = []
    for position, step in enumerate(repair.continuation):
        original = t.step(step["step"]) if position == 0 else None
        messages = [dict(m) for m in original.prompt[:2]] if original is not None and original.prompt else \
            step["messages"]
        if not messages:
            continue
        kind = "corrective" if position == 0 else "continuation"
        decision = step["decision"]
        rows.append({
            "thread_id": t.thread_id, "step": int(step["step"]), "task_type": t.task_type, "app": app,
            "cluster": t.cluster, "family": episode_family(t.cluster), "split": episode_split(t.cluster),
            "agent": f"evolver:{repair.policy}", "messages": messages, "completion": decision_text(decision),
            "decision": json.dumps(decision, sort_keys=True), "action": decision.get("action", ""), "error": "",
            "services": _services(messages), "labels": labels, "outcome": "submitted",
            "episode_score": float(repair.score or 0.0),
            "evolve": {"kind": kind, "failure_mode": diagnosis.mode, "failed_step": diagnosis.failed_step,
                       "branch_step": repair.branch_step, "policy": repair.policy,
                       "failed_completion": original.completion if original is not None else ""}})
    return rows


def _services(messages: list[dict[str, str]]) -> list[str]:
    for message in messages:
        for line in message.get("content", "").splitlines():
            if line.startswith("Services: "):
                return [s.strip() for s in line.removeprefix("Services: ").split(",") if s.strip()]
    return []


def provenance(sample: dict[str, Any]) -> str:
    return f"evolver:repair:{sample['thread_id']}:{sample['step']}"


def for_export(sample: dict[str, Any]) -> dict[str, Any]:
    """The sample as `append_samples` takes it: the export's columns plus the tool registry (built lazily)."""
    from aoi.training.export import STEP_COLUMNS, tool_registry

    row = {k: v for k, v in sample.items() if k in STEP_COLUMNS}
    row["tools"] = json.dumps(tool_registry(sample["task_type"] == "mitigation"), sort_keys=True)
    return row
