"""The fault library: AIOpsLab's fault families and Cloud-OpsBench's Kubernetes root causes."""

from __future__ import annotations

from aoi.cluster.sim.faults.aiopslab import AIOPSLAB_FAULTS
from aoi.cluster.sim.faults.base import Fault, GroundTruth
from aoi.cluster.sim.faults.k8s import K8S_FAULTS

FAULTS: dict[str, type[Fault]] = {**AIOPSLAB_FAULTS, **K8S_FAULTS}
"""Family name → fault class."""


def make_fault(family: str, app: str, target: str | None = None) -> Fault:
    """Instantiate a fault by family for an app.

    Raises:
        KeyError: unknown family (the message lists the valid ones).
        ValueError: the family does not apply to the app.
    """
    if family not in FAULTS:
        raise KeyError(f"unknown fault family {family!r}; valid families: {', '.join(sorted(FAULTS))}")
    return FAULTS[family](app, target)


def catalog() -> list[dict[str, str]]:
    """One entry per (family, app) pair, for `aoi sim faults`."""
    entries = []
    for family, cls in sorted(FAULTS.items()):
        for app in cls.apps:
            fault = cls(app)
            entries.append({**fault.describe(), **{"family": family, "app": app}})
    return entries


__all__ = ["FAULTS", "Fault", "GroundTruth", "catalog", "make_fault"]
