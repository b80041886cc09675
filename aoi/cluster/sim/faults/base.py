"""What a fault is: how to inject it, what the truth is, and what "mitigated" means.

A fault only changes specs or state (a Service's targetPort, a MongoDB user's roles, a node daemon, a feature
flag) through the engine. It never writes evidence: the reconciler and the traffic model produce the symptoms.
Each fault also documents one correct mitigation, expressed as write-interface calls, and the tests check that
it makes `is_mitigated` true within a few ticks, and that a wrong mitigation does not.

A root cause that real clusters show in several shapes has `variants` (an OOM at start-up or at run time, a wrong
host or a wrong port in an address variable): each changes other specs, so other symptoms emerge, while the ground
truth (root cause and object) stays the family's. The first variant is the default, the benchmark's setting.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from aoi.cluster.interface import ClusterWriter

if TYPE_CHECKING:
    from aoi.cluster.sim.engine import Engine

DEFAULT_VARIANT = "default"
"""The one variant of a family that real clusters show in a single shape."""


@dataclass(frozen=True, slots=True)
class GroundTruth:
    faulty_components: tuple[str, ...]
    """Workloads (or nodes / the namespace) at fault; empty for a healthy control."""
    system_level: str
    """AIOpsLab system level (Application, Virtualization, ...) or Cloud-OpsBench taxonomy (Runtime_Fault, ...)."""
    fault_type: str
    """AIOpsLab fault type (Misconfiguration, ...) or Cloud-OpsBench root-cause code (oom_killed, ...)."""
    fault_object: str = ""
    """Cloud-OpsBench style object: `service/<name>`, `node/<name>` or `namespace/<name>`."""
    also_accepted: tuple[str, ...] = ()
    """Other names AIOpsLab's localization oracle accepts for this fault (the MongoDB faults accept the client)."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GroundTruth:
        """The inverse of `to_dict`, tolerant of records written before a field existed."""
        return cls(tuple(data.get("faulty_components", ())), data.get("system_level", ""),
                   data.get("fault_type", ""), data.get("fault_object", ""), tuple(data.get("also_accepted", ())))

    def to_dict(self) -> dict[str, Any]:
        return {"faulty_components": list(self.faulty_components), "system_level": self.system_level,
                "fault_type": self.fault_type, "fault_object": self.fault_object,
                "also_accepted": list(self.also_accepted)}


class Fault(ABC):
    """One injectable fault on one target of one app."""

    family: ClassVar[str]
    """Registry family name (AIOpsLab family or Cloud-OpsBench root-cause code)."""
    apps: ClassVar[tuple[str, ...]]
    """Apps this fault applies to (CLI names)."""
    default_targets: ClassVar[dict[str, str]] = {}
    """App → default target component."""
    system_level: ClassVar[str]
    fault_type: ClassVar[str]
    description: ClassVar[str] = ""
    mitigation_ticks: ClassVar[int] = 36
    """Ticks within which the documented mitigation must make the predicate true."""
    variants: ClassVar[dict[str, str]] = {DEFAULT_VARIANT: ""}
    """Variant name → one line on how it breaks the cluster; the first is the default. A family with one shape
    keeps the single `default` variant (described by `description`)."""

    def __init__(self, app: str, target: str | None = None, variant: str | None = None) -> None:
        """The fault on `app`'s `target` (default: the family's usual one) in `variant` (default: the first).

        Raises:
            ValueError: the family does not apply to the app. KeyError: an unknown variant (the message lists the
                valid ones).
        """
        if app not in self.apps:
            raise ValueError(f"fault {self.family!r} does not apply to app {app!r}; valid apps: {', '.join(self.apps)}")
        self.app = app
        self.target = target or self.default_targets.get(app, "")
        self.variant = self.check_variant(variant) if variant is not None else next(iter(self.variants))

    @classmethod
    def check_variant(cls, variant: str) -> str:
        """The variant, if the family has it.

        Raises:
            KeyError: an unknown variant (the message lists the valid ones).
        """
        if variant not in cls.variants:
            raise KeyError(f"fault {cls.family!r} has no variant {variant!r}; valid variants: "
                           f"{', '.join(cls.variants)}")
        return variant

    @abstractmethod
    def inject(self, engine: Engine) -> None:
        """Change the cluster's spec or state. Called once, between ticks."""

    def ground_truth(self) -> GroundTruth:
        kind = "node" if self.target in self._node_names() else "namespace" if self.target == "" else "service"
        obj = f"{kind}/{self.target}" if self.target else ""
        return GroundTruth((self.target,) if self.target else (), self.system_level, self.fault_type, obj)

    def _node_names(self) -> tuple[str, ...]:
        from aoi.cluster.sim.apps.catalog import get_app

        return tuple(n.name for n in get_app(self.app).nodes)

    @abstractmethod
    def is_mitigated(self, engine: Engine) -> bool:
        """The state predicate that means the fault no longer affects the cluster."""

    @abstractmethod
    def mitigate(self, cluster: ClusterWriter, engine: Engine) -> None:
        """The documented fix, through the write interface only."""

    def wrong_mitigation(self, cluster: ClusterWriter, engine: Engine) -> None:
        """A plausible but wrong fix (default: restart an unrelated workload)."""
        from aoi.cluster.sim.apps.catalog import get_app

        app = get_app(self.app)
        other = next(c.name for c in app.components if c.name not in self.ground_truth().faulty_components
                     and c.kind in ("service", "frontend"))
        cluster.rollout_restart("deployment", other, app.namespace)

    def describe(self) -> dict[str, Any]:
        return {"family": self.family, "app": self.app, "target": self.target, "system_level": self.system_level,
                "fault_type": self.fault_type, "description": self.description, "variant": self.variant,
                "variants": [{"name": name, "description": text or self.description}
                             for name, text in self.variants.items()]}
