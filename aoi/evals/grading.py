"""AIOpsLab's oracles: how a submission is graded for each task type.

Detection: "Yes"/"No", case-insensitive. Localization: a list of service names — success iff it is exactly the
faulty component; accuracy 1/len when the list contains it (AIOpsLab's partial credit). Analysis: system level and
fault type, both exact, case-insensitive. Mitigation: the fault's state predicate on the cluster after the agent
stops.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aoi.cluster.sim.faults.base import GroundTruth


@dataclass(frozen=True, slots=True)
class Grade:
    success: bool
    score: float
    """1.0 for success; AIOpsLab's partial credit for localization; 0.0 otherwise."""
    reason: str


def grade(task: str, submission: Any, truth: GroundTruth, *, mitigated: bool | None = None) -> Grade:
    if task == "detection":
        expected = "yes" if truth.faulty_components or truth.fault_type else "no"
        given = submission.strip().lower() if isinstance(submission, str) else None
        if given not in ("yes", "no"):
            return Grade(False, 0.0, f"invalid format: expected \"Yes\" or \"No\", got {submission!r}")
        return Grade(given == expected, float(given == expected), f"expected {expected}, got {given}")
    if task == "localization":
        names = [submission] if isinstance(submission, str) else submission
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            return Grade(False, 0.0, f"invalid format: expected a list of service names, got {submission!r}")
        targets = set(truth.faulty_components) | set(truth.also_accepted)
        hit = any(n in targets for n in names)
        exact = hit and len(names) == 1
        return Grade(exact, 1.0 if exact else (1.0 / len(names) if hit else 0.0),
                     f"faulty: {sorted(targets)}, submitted: {names}")
    if task == "analysis":
        if not isinstance(submission, dict):
            return Grade(False, 0.0, f"invalid format: expected {{system_level, fault_type}}, got {submission!r}")
        level = str(submission.get("system_level", "")).lower()
        kind = str(submission.get("fault_type", "")).lower()
        ok = level == truth.system_level.lower() and kind == truth.fault_type.lower()
        return Grade(ok, float(ok), f"expected {truth.system_level}/{truth.fault_type}, got {level}/{kind}")
    if task == "mitigation":
        if mitigated is None:
            raise ValueError("grading a mitigation needs the cluster's state predicate (mitigated=...)")
        return Grade(mitigated, float(mitigated), "mitigated" if mitigated else "the fault's predicate is still false")
    if task == "rca":
        if not isinstance(submission, dict):
            return Grade(False, 0.0, f"invalid format: expected {{root_causes, fault_objects}}, got {submission!r}")
        causes, objects = submission.get("root_causes"), submission.get("fault_objects")
        if not isinstance(causes, list) or not isinstance(objects, list):
            return Grade(False, 0.0, f"invalid format: root_causes and fault_objects must be lists, got {submission!r}")
        cause_hit = bool(causes) and causes[0] == truth.fault_type
        object_hit = bool(objects) and objects[0] == truth.fault_object
        return Grade(cause_hit and object_hit, (cause_hit + object_hit) / 2,
                     f"expected {truth.fault_type} on {truth.fault_object}, got {causes[:1]} on {objects[:1]}")
    raise ValueError(f"unknown task type {task!r}; valid: detection, localization, analysis, mitigation, rca")
