"""Turning a verified repair into a lesson: short, reusable, keyed by the symptoms, free of names and answers.

A lesson is advice for its failure mode plus the repair's path, with every component named by its role in the
symptoms ("a dependency of the service showing crashloopbackoff"), never by name. It never states an answer label
(a fault type, a system level) or a submission — only where to look and what to do — so it can be shown on any
problem without giving one away.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aoi.evolve.modes import Diagnosis, FailureMode
from aoi.evolve.repair import Repair
from aoi.evolve.symptoms import SYMPTOMS, abstract_names, signature
from aoi.evolve.trajectory import Trajectory

MAX_LESSON = 480
"""Characters of one lesson; the prompt drops guidance first when it is short of room."""
MAX_PLAN_CALLS = 4

ADVICE: Mapping[FailureMode, str] = {
    "premature_submission": "Do not answer from the first broad listing: follow the symptoms to one component and "
                            "read its events and logs before answering.",
    "wrong_diagnostic_path": "Follow the symptoms (failing pods, alerts, error logs) to the component they point at "
                             "and to what it depends on, not to components that look healthy.",
    "incomplete_diagnosis": "Check whether the failing component is the cause or a victim: read its logs for what "
                            "it cannot reach, and answer with the component at the end of that chain only.",
    "missing_verification": "After a write, probe the pods and alerts again and submit only once they are healthy.",
    "wrong_fix": "A write that does not remove the cause mitigates nothing: fix what the failing component's logs "
                 "and its dependencies point at, then verify.",
    "no_resolution": "A mitigation needs a write: once the cause is found, propose the smallest write that removes "
                     "it, verify, then submit.",
    "invalid_actions": "Use only the listed tools and arguments; when a call fails, read its error and fix the "
                       "argument instead of repeating it.",
    "budget_exhausted": "Do not repeat a call whose output you already have: go from the alerts to the failing "
                        "component and answer within the step budget.",
}


@dataclass(frozen=True, slots=True)
class Lesson:
    task_type: str
    signature: str
    text: str
    failure_mode: FailureMode
    source: dict[str, Any]
    """{thread_id, family, app, policy, branch_step}: provenance, kept beside the lesson, never inside it."""


def names_of(cluster: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(component names, node names) of a simulated cluster spec's app; empty for other clusters."""
    from aoi.cluster.sim.apps.catalog import get_app
    from aoi.cluster.spec import parse_sim_spec

    try:
        app = get_app(parse_sim_spec(cluster).app)
    except Exception:  # not a simulated cluster: nothing to abstract by catalogue
        return (), ()
    return app.component_names, tuple(n.name for n in app.nodes)


def roles(cluster: str, texts: Iterable[str]) -> dict[str, str]:
    """Each component or node name → a phrase for its role in what was seen (symptomatic, dependency, caller)."""
    from aoi.cluster.sim.apps.catalog import get_app
    from aoi.cluster.spec import parse_sim_spec

    components, nodes = names_of(cluster)
    if not components:
        return {}
    app = get_app(parse_sim_spec(cluster).app)
    showing: dict[str, str] = {}
    by_length = sorted(components, key=len, reverse=True)
    for text in texts:
        for line in text.splitlines():
            token = next((t for t, p in SYMPTOMS if p.search(line)), None)
            if token is None:
                continue
            for name in by_length:
                if name not in showing and re.search(rf"(?<![\w-]){re.escape(name)}(?:-[a-z0-9]+)*(?![\w-])", line):
                    showing[name] = token
    out = {n: "<a node>" for n in nodes}
    for name in components:
        if name in showing:
            out[name] = f"<the service showing {showing[name]}>"
            continue
        callers = [c for c in app.callers_of(name) if c in showing]
        callees = [c for c in app.callees_of(name) if c in showing]
        out[name] = (f"<a dependency of the service showing {showing[callers[0]]}>" if callers else
                     f"<a caller of the service showing {showing[callees[0]]}>" if callees else "<another service>")
    return out


def _abstract(value: Any, role_of: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        for name in sorted(role_of, key=len, reverse=True):
            value = abstract_names(value, [name], placeholder=role_of[name])
        return value
    if isinstance(value, dict):
        return {k: _abstract(v, role_of) for k, v in value.items()}
    if isinstance(value, list):
        return [_abstract(v, role_of) for v in value]
    return value


def plan_text(continuation: Iterable[Mapping[str, Any]], role_of: Mapping[str, str]) -> str:
    """The repair's calls as `tool(args)` with names replaced by roles, ending in `then answer`."""
    calls: list[str] = []
    for step in continuation:
        decision = step.get("decision") or {}
        for call in decision.get("tool_calls") or []:
            args = _abstract(dict(call.get("args") or {}), role_of)
            args.pop("namespace", None)
            shown = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in sorted(args.items()))
            calls.append(f"{call.get('tool')}({shown})")
    kept = calls[:MAX_PLAN_CALLS] + (["..."] if len(calls) > MAX_PLAN_CALLS else [])
    return "; ".join([*kept, "then answer"]) if kept else "answer"


def make_lesson(t: Trajectory, diagnosis: Diagnosis, repair: Repair, *, family: str = "") -> Lesson:
    """The lesson of a verified repair.

    Raises:
        ValueError: the repair did not pass the oracle (only verified repairs teach).
    """
    if not repair.passed:
        raise ValueError(f"repair of {t.thread_id} at step {repair.branch_step} has status {repair.status}; only "
                         f"repairs the oracle accepted make lessons")
    seen = [c.text for s in t.steps if s.index <= diagnosis.failed_step for c in s.calls] or \
        [c.text for s in t.steps for c in s.calls]
    role_of = roles(t.cluster, [*seen, *(c.text for s in t.steps for c in s.calls)])
    text = f"{ADVICE[diagnosis.mode]} Worked before on these symptoms: {plan_text(repair.continuation, role_of)}."
    components, nodes = names_of(t.cluster)
    text = abstract_names(text, [*components, *nodes], placeholder="<another service>")
    if len(text) > MAX_LESSON:
        text = text[:MAX_LESSON - 1] + "…"
    app = t.cluster.partition(":")[2].partition("/")[0]
    return Lesson(t.task_type, signature(t.task_type, seen), text, diagnosis.mode,
                  {"thread_id": t.thread_id, "family": family, "app": app, "policy": repair.policy,
                   "branch_step": repair.branch_step})
