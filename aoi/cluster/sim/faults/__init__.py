"""The fault library: AIOpsLab's fault families and Cloud-OpsBench's Kubernetes root causes."""

from __future__ import annotations

import random

from aoi.cluster.sim.faults.aiopslab import AIOPSLAB_FAULTS
from aoi.cluster.sim.faults.base import DEFAULT_VARIANT, Fault, GroundTruth
from aoi.cluster.sim.faults.k8s import K8S_FAULTS

FAULTS: dict[str, type[Fault]] = {**AIOPSLAB_FAULTS, **K8S_FAULTS}
"""Family name → fault class."""


def _family(family: str) -> type[Fault]:
    if family not in FAULTS:
        raise KeyError(f"unknown fault family {family!r}; valid families: {', '.join(sorted(FAULTS))}")
    return FAULTS[family]


def make_fault(family: str, app: str, target: str | None = None, variant: str | None = None) -> Fault:
    """Instantiate a fault by family for an app, in `variant` (default: the family's first).

    Raises:
        KeyError: unknown family or variant (the message lists the valid ones).
        ValueError: the family does not apply to the app.
    """
    return _family(family)(app, target, variant)


def choose_variant(family: str, seed: int, *, noise: bool, variant: str | None = None) -> str:
    """The variant a cluster injects: the one asked for; else on a clean cluster the default (the benchmark's
    setting), and on a noisy one a variant drawn from the seed, so a training set covers them all.

    The draw has its own generator (`seed/family`): it takes nothing from the cluster's RNG, so the cluster's
    history and the fault's timing stay those of the same seed with any variant.

    Raises:
        KeyError: unknown family or variant (the message lists the valid ones).
    """
    cls = _family(family)
    if variant is not None:
        return cls.check_variant(variant)
    names = list(cls.variants)
    return random.Random(f"{seed}/{family}").choice(names) if noise and len(names) > 1 else names[0]


def catalog() -> list[dict[str, object]]:
    """One entry per (family, app) pair, for `aoi sim faults`: its target, taxonomy and variants."""
    entries = []
    for family, cls in sorted(FAULTS.items()):
        for app in cls.apps:
            fault = cls(app)
            entry = {**fault.describe(), **{"family": family, "app": app}}
            entry.pop("variant")
            entries.append(entry)
    return entries


__all__ = ["DEFAULT_VARIANT", "FAULTS", "Fault", "GroundTruth", "catalog", "choose_variant", "make_fault"]
