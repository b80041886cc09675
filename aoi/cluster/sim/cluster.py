"""`SimCluster`: the embedded simulated cluster behind the same read and write interfaces as a real one."""

from __future__ import annotations

from typing import Any

from aoi.cluster.sim.apps.model import AppSpec
from aoi.cluster.sim.engine import WARMUP_TICKS, Engine
from aoi.cluster.sim.faults import Fault, choose_variant, make_fault
from aoi.cluster.sim.mesh import Mesh
from aoi.cluster.sim.noise import DEV_PROFILE
from aoi.cluster.sim.reader import SimReader
from aoi.cluster.sim.writer import SimWriter


class SimCluster(SimReader, SimWriter):
    """A deterministic simulated Kubernetes cluster running one app.

    `SimCluster("online-boutique", seed=3)` deploys the app and runs it until it serves; `tick(n)` advances time;
    `snapshot()`/`restore()` capture and rewind the whole state (objects, runtime, datastores, telemetry, RNG).
    Hand `ReadOnlyView(cluster)` to code that must not write.

    The cluster has a real one's background (`aoi.cluster.sim.noise`: earlier incidents' warning events, ages,
    scattered addresses, alert rules that are missing), drawn from the seed; `noise=False` builds the clean
    cluster, whose reads are those of the simulator before noise existed.

    `mesh="istio"` runs the app under Istio with sidecar injection (`aoi.cluster.sim.mesh`): pods 2/2 with an
    `istio-init` init container and an `istio-proxy` sidecar, probes rewritten to the agent, calls through Envoy.
    """

    def __init__(self, app: AppSpec | str, seed: int = 0, *, warmup_ticks: int = WARMUP_TICKS,
                 noise: bool = True, mesh: Mesh | None = None) -> None:
        """Raises:
            ValueError: `mesh` is not one the app can run under (Istio: Online Boutique only)."""
        self.engine = Engine(app, seed, warmup_ticks=warmup_ticks, noise=DEV_PROFILE if noise else None, mesh=mesh)
        self.noise = noise

    @property
    def app(self) -> AppSpec:
        return self.engine.state.app

    @property
    def namespace(self) -> str:
        return self.engine.state.app.namespace

    def inject(self, family: str, target: str | None = None, *, variant: str | None = None) -> Fault:
        """Inject a fault of the library into the running app; returns it (for its ground truth and predicate).

        `variant` picks the fault's shape; without one a clean cluster gets the family's default and a noisy one a
        variant drawn from the seed (`faults.choose_variant`); `fault.variant` says which.

        Raises:
            KeyError: unknown family or variant. ValueError: the family does not apply to this app.
        """
        chosen = choose_variant(family, self.engine.state.seed, noise=self.noise, variant=variant)
        fault = make_fault(family, self.app.name, target, chosen)
        fault.inject(self.engine)
        return fault

    def tick(self, n: int = 1) -> None:
        self.engine.run(n)

    def snapshot(self) -> dict[str, Any]:
        return self.engine.state.snapshot()

    def restore(self, snap: dict[str, Any]) -> None:
        self.engine.state.restore(snap)
