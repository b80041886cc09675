"""Everything the simulated cluster is, in one object, so that a snapshot is one deep copy.

Kubernetes objects live in the `ObjectStore`. What a real cluster keeps outside the API server lives here too:
per-container runtime bookkeeping (back-off timers, working sets), datastore contents (MongoDB users and roles),
node daemons, network chaos, image caches and the telemetry the traffic model produced.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field
from typing import Any

from aoi.cluster.sim.apps.model import AppSpec
from aoi.cluster.sim.clock import SimClock
from aoi.cluster.sim.store import ObjectStore
from aoi.cluster.sim.telemetry import Telemetry


@dataclass(slots=True)
class ContainerRuntime:
    """Kubelet-side bookkeeping of one container of one pod."""

    restarts: int = 0
    started_tick: int | None = None
    next_start_tick: int = 0
    backoff_seconds: int = 0
    backoff_updated_tick: int = 0
    exited_tick: int | None = None
    """When the latest instance of the container exited (None: none has)."""
    start_granted: bool = False
    """The kubelet already decided to start the next instance (a kill and restart in one pod sync)."""
    backoff_reported_tick: int | None = None
    liveness_failures: int = 0
    readiness_failures: int = 0
    image_pulled: bool = False
    memory_mib: float = 0.0
    exit_after_tick: int | None = None
    """When set, the running process exits at this tick (a crash decided at start)."""
    exit_code: int = 1
    exit_reason: str = "Error"
    last_error: str = ""
    listen_port: int | None = None
    """Port the process accepts connections on, once it has finished starting; None while down."""
    completed: bool = False
    """An init container whose program exited 0: it is not run again."""


@dataclass(slots=True)
class MongoUser:
    password: str
    roles: list[dict[str, str]]


@dataclass(slots=True)
class Datastore:
    """Application-level contents of a datastore workload (survive pod restarts: they live on the volume)."""

    kind: str
    users: dict[str, MongoUser] = field(default_factory=dict)


@dataclass(slots=True)
class NodeAgents:
    """System daemons of one node: running or stopped."""

    kubelet: bool = True
    kube_proxy: bool = True
    containerd: bool = True
    kube_scheduler: bool = True
    stopped_tick: dict[str, int] = field(default_factory=dict)
    network_delay_ms: float = 0.0
    network_loss: float = 0.0

    def running(self, component: str) -> bool:
        return bool(getattr(self, component.replace("-", "_")))

    def set_running(self, component: str, running: bool, tick: int) -> None:
        setattr(self, component.replace("-", "_"), running)
        if running:
            self.stopped_tick.pop(component, None)
        else:
            self.stopped_tick[component] = tick


@dataclass(slots=True)
class PodChaos:
    """A Chaos-Mesh-like experiment on the pods of one component (network delay/loss, container kill, failure)."""

    name: str
    action: str
    """`network-delay`, `network-loss`, `pod-failure`, `container-kill`, `cpu-stress`."""
    namespace: str
    component: str
    value: float = 0.0
    until_tick: int | None = None


@dataclass(slots=True)
class SimState:
    app: AppSpec
    seed: int
    clock: SimClock
    rng: random.Random
    store: ObjectStore
    telemetry: Telemetry
    containers: dict[str, dict[str, ContainerRuntime]] = field(default_factory=dict)
    """Pod uid → container name → runtime."""
    datastores: dict[str, Datastore] = field(default_factory=dict)
    """`namespace/component` → contents."""
    nodes: dict[str, NodeAgents] = field(default_factory=dict)
    chaos: list[PodChaos] = field(default_factory=list)
    images_on_node: dict[str, set[str]] = field(default_factory=dict)
    cpu_hog: dict[str, float] = field(default_factory=dict)
    """`namespace/component` → extra CPU demand in millicores (stress, busy loops)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Fault-specific state that must be snapshotted with the rest (e.g. kafka backlog)."""
    mesh: str | None = None
    """The service mesh installed in the cluster (`sim/mesh.py`), or None."""

    def snapshot(self) -> dict[str, Any]:
        return {
            "tick": self.clock.tick, "rng": self.rng.getstate(), "store": self.store.snapshot(),
            "rest": copy.deepcopy((self.telemetry, self.containers, self.datastores, self.nodes, self.chaos,
                                   self.images_on_node, self.cpu_hog, self.extra)),
        }

    def restore(self, snap: dict[str, Any]) -> None:
        self.clock.tick = snap["tick"]
        self.rng.setstate(snap["rng"])
        self.store.restore(snap["store"])
        (self.telemetry, self.containers, self.datastores, self.nodes, self.chaos, self.images_on_node,
         self.cpu_hog, self.extra) = copy.deepcopy(snap["rest"])
