"""Builders for hand-made trajectories and scripted episodes on the simulated hotel-reservation fault."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aoi.evolve.trajectory import Call, Step, Trajectory

HOTEL = "sim:hotel-reservation/revoke_auth_mongodb?target=mongodb-geo"
NS = "test-hotel-reservation"
TRUTH = {"faulty_components": ["mongodb-geo"], "system_level": "Application", "fault_type": "Authentication Issue",
         "fault_object": "service/mongodb-geo"}
PODS = "NAME  READY  STATUS  RESTARTS  AGE\ngeo-x1  0/1  CrashLoopBackOff  4  2m\nfrontend-y  1/1  Running  0  4m"


def probe(*calls: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return {"summary": "looking", "phase": "investigate", "hypothesis": "unknown", "confidence": 20,
            "action": "probe", "tool_calls": [{"tool": t, "args": a} for t, a in calls], "submission": None}


def act(tool: str, args: dict[str, Any]) -> dict[str, Any]:
    return {"summary": "fixing", "phase": "mitigate", "hypothesis": "fix", "confidence": 70, "action": "act",
            "tool_calls": [{"tool": tool, "args": args}], "submission": None}


def submit(answer: Any) -> dict[str, Any]:
    return {"summary": "done", "phase": "conclude", "hypothesis": "found", "confidence": 90, "action": "submit",
            "tool_calls": [], "submission": answer}


def probe_step(index: int, *calls: tuple[str, dict[str, Any]], text: str = PODS, error: bool = False) -> Step:
    return Step(index, probe(*calls), calls=tuple(Call(t, a, error, text) for t, a in calls))


def write_step(index: int, tool: str, args: dict[str, Any], status: str = "applied") -> Step:
    return Step(index, act(tool, args), write=Call(tool, args, False, f"status: {status}"), write_status=status,
                approval="approve")


def trajectory(task: str, steps: list[Step], *, outcome: str = "submitted", submission: Any = None,
               score: float = 0.0, truth: dict[str, Any] | None = TRUTH) -> Trajectory:
    return Trajectory("t-" + task, task, HOTEL, outcome, submission, score, truth, tuple(steps))


PODS_CALL = ("get_resources", {"resource_type": "pods"})


# -- scripted episodes on the simulator ------------------------------------------------------------------------
def step_of(messages: list[dict[str, str]]) -> int:
    for message in reversed(messages):
        match = re.search(r"This is step (\d+)", message["content"])
        if match:
            return int(match.group(1)) - 1
    raise AssertionError("no step in the prompt")


def by_step(plan: list[dict[str, Any]]) -> Callable[[list[dict[str, str]]], dict[str, Any]]:
    return lambda messages: plan[min(step_of(messages), len(plan) - 1)]


def run_episode(home: Path, plan: list[dict[str, Any]], *, task: str = "localization", thread: str = "ep-1",
                cluster: str = HOTEL, guidance: Any = None, approver: str | None = None) -> Any:
    """Run `plan`; writes are approved by the person `approver` names, else by the automatic policy (which declines
    any write no triage diagnosis backs, as the fixes of these application-level faults are)."""
    from aoi.graph.models.scripted import ScriptedModel
    from aoi.graph.runner import EpisodeConfig, EpisodeRunner

    config = EpisodeConfig(cluster, task, model="scripted", approve="ask" if approver else "auto",  # type: ignore[arg-type]
                           thread_id=thread, db=home / "aoi.db", guidance=guidance)
    model = ScriptedModel(by_step(plan))
    answer = {"action": "approve", "approver": approver}
    return EpisodeRunner(config, model=model, ask_approval=(lambda _p: answer) if approver else None).run(), model
