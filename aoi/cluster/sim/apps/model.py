"""How an application is described to the simulator: components, the calls between them, and their cluster.

An `AppSpec` is data. `manifests.py` turns it into the Kubernetes objects a real deployment would create, and
`programs.py` gives each component's binary its runtime behaviour (what it listens on, whom it calls, how it
fails and what it logs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ComponentKind = Literal["service", "frontend", "mongodb", "memcached", "redis", "kafka", "consul", "jaeger",
                        "flagd", "loadgen", "worker", "proxy"]
"""What a component is. Datastores answer their own wire protocol; `worker`s consume a queue and listen on
nothing; `loadgen` drives traffic into the app's entry point; a `proxy` is a service mesh's sidecar (`sim/mesh.py`)."""

WireProtocol = Literal["grpc", "http", "thrift", "mongodb", "memcached", "redis", "kafka"]

LogStyle = Literal["go-hotel", "cpp-thrift", "boutique", "otel", "mongo", "redis", "memcached", "kafka", "plain",
                   "envoy", "istio-iptables"]
"""The log format a component's real image writes (see `sim/logs.py`)."""

ProbeKind = Literal["grpc", "tcp", "http", "exec"]


@dataclass(frozen=True, slots=True)
class Call:
    """A downstream call a component makes.

    The callee's address is read from the container's environment variable `env` when set (as Online Boutique
    does), else from `default_address`. `critical` calls fail the caller's request when they fail; others only
    degrade it (logged as warnings). `at_startup` calls must succeed for the process to start.
    """

    target: str
    operation: str
    env: str | None = None
    critical: bool = True
    at_startup: bool = False
    database: str | None = None
    """For MongoDB callees: the database the caller uses (auth is checked per database)."""


@dataclass(frozen=True, slots=True)
class Component:
    name: str
    kind: ComponentKind
    image: str
    port: int | None
    protocol: WireProtocol | None
    container: str
    command: tuple[str, ...] = ()
    target_port: int | None = None
    port_name: str | None = None
    calls: tuple[Call, ...] = ()
    operations: tuple[str, ...] = ()
    """Operations this component serves (span names)."""
    base_latency_ms: float = 2.0
    cpu_request_m: int = 100
    cpu_limit_m: int | None = 200
    mem_request_mi: int = 64
    mem_limit_mi: int | None = 128
    cpu_per_rps_m: float = 1.5
    """CPU use per request per second, in millicores."""
    mem_working_mi: int = 40
    probe: ProbeKind | None = None
    probe_path: str = "/_healthz"
    pvc: str | None = None
    """Name of a PVC mounted at `mount_path` (a PV of the same stem is created to back it)."""
    mount_path: str = "/data"
    env: tuple[tuple[str, str], ...] = ()
    log_style: LogStyle = "plain"
    startup_seconds: int = 5
    replicas: int = 1
    runs_for_seconds: int | None = None
    """A program that does its job and exits 0 after this long (an init container's), instead of serving."""

    @property
    def container_port(self) -> int | None:
        return self.target_port or self.port

    @property
    def is_datastore(self) -> bool:
        return self.kind in ("mongodb", "memcached", "redis", "kafka")


@dataclass(frozen=True, slots=True)
class NodeSpec:
    name: str
    role: Literal["control-plane", "worker"]
    cpu: int = 8
    memory_ki: int = 15_671_348
    labels: tuple[tuple[str, str], ...] = ()
    taints: tuple[tuple[str, str, str], ...] = ()
    """(key, value, effect)."""
    unschedulable: bool = False
    ip: str = "192.168.1.10"


@dataclass(frozen=True, slots=True)
class AppSpec:
    name: str
    """CLI name, e.g. `hotel-reservation`."""
    title: str
    """Name used by AIOpsLab, e.g. `HotelReservation`."""
    namespace: str
    label_key: str
    """Pod label that selects a component: `<label_key>=<component>`."""
    components: tuple[Component, ...]
    entry: str
    """The component the outside world (or the load generator) calls."""
    entry_operations: tuple[tuple[str, float], ...]
    """User-facing operations at the entry point with their share of traffic."""
    nodes: tuple[NodeSpec, ...]
    request_rate: float = 40.0
    """Requests per second the load generator sends to the entry point."""
    pod_cidr: str = "10.244"
    service_cidr: str = "10.96"
    kubernetes_version: str = "v1.31.2"
    extra_labels: tuple[tuple[str, str], ...] = field(default=())
    request_mix: tuple[tuple[str, tuple[tuple[str, float, tuple[str, ...]], ...]], ...] = ()
    """Per component, the operations it serves as (operation, share of its traffic, callees it uses): a request
    fails only if a callee *its* operation needs fails. Components not listed use all their calls."""

    def component(self, name: str) -> Component:
        for c in self.components:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def component_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.components)

    def mix_of(self, name: str) -> tuple[tuple[str, float, tuple[str, ...]], ...]:
        return next((mix for comp, mix in self.request_mix if comp == name), ())

    def callers_of(self, name: str) -> list[str]:
        return [c.name for c in self.components if any(call.target == name for call in c.calls)]

    def callees_of(self, name: str) -> list[str]:
        return [call.target for call in self.component(name).calls]


def kind_nodes(workers: int = 3) -> tuple[NodeSpec, ...]:
    """A kind-style cluster like AIOpsLab's: one control plane (tainted) and `workers` workers."""
    control = NodeSpec("kind-control-plane", "control-plane", ip="172.18.0.2",
                       labels=(("node-role.kubernetes.io/control-plane", ""),),
                       taints=(("node-role.kubernetes.io/control-plane", "", "NoSchedule"),))
    suffixes = [""] + [str(i) for i in range(2, workers + 1)]
    return (control, *(NodeSpec(f"kind-worker{s}", "worker", ip=f"172.18.0.{3 + i}") for i, s in enumerate(suffixes)))
