"""The simulation loop: build a cluster running an app, then advance it tick by tick.

One tick (5 simulated seconds) runs the control plane (controllers, scheduler), every node's kubelet, the
endpoints controller and the traffic model, in that order — the same order of cause and effect as a real
cluster, so evidence emerges from state rather than being attached to faults.
"""

from __future__ import annotations

import random
from datetime import timedelta

from aoi.cluster.sim import controllers, kubelet, scheduler
from aoi.cluster.sim.apps.catalog import get_app
from aoi.cluster.sim.apps.manifests import app_objects, node_object, storage_class
from aoi.cluster.sim.apps.model import AppSpec, Component
from aoi.cluster.sim.clock import EPOCH, SimClock, rfc3339
from aoi.cluster.sim.datastores import initial_datastores
from aoi.cluster.sim.events import EventRecorder
from aoi.cluster.sim.mesh import PROXY, PROXY_INIT, Mesh, check_mesh, install
from aoi.cluster.sim.noise import NoiseProfile, add_history, alert_rules_off, cluster_age
from aoi.cluster.sim.programs import ImageCatalog
from aoi.cluster.sim.state import NodeAgents, SimState
from aoi.cluster.sim.store import ObjectStore
from aoi.cluster.sim.telemetry import Telemetry
from aoi.cluster.sim.traffic import TrafficModel

WARMUP_TICKS = 24
"""Ticks run after deploying the app so that it is serving (and has history) before anything else happens."""

CLUSTER_AGE = timedelta(days=92)
NAMESPACE_AGE = timedelta(days=75)


def assign_cluster_ip(state: SimState, service: dict) -> None:
    """Give a new Service the next free address of the service CIDR (as the API server's allocator does)."""
    if service["spec"].get("clusterIP"):
        return
    if "service_ips" in state.extra:
        # The API server's allocator picks a random free address of the CIDR (a noisy cluster allocates like it).
        used = state.extra["service_ips"]
        n = next(n for n in iter(lambda: state.rng.randint(256, 65_000), None) if n not in used and n % 256)
        used.append(n)
        service["spec"]["clusterIP"] = f"{state.app.service_cidr}.{n // 256}.{n % 256}"
    else:
        n = state.extra.get("service_ip", 10) + 1
        state.extra["service_ip"] = n
        service["spec"]["clusterIP"] = f"{state.app.service_cidr}.{n // 250}.{n % 250}"
    service["spec"]["clusterIPs"] = [service["spec"]["clusterIP"]]


def spec_of(app: AppSpec, deployment: dict) -> Component:
    return app.component(deployment["metadata"]["name"])


def _depends_on_datastores(component: Component) -> bool:
    return any(call.at_startup for call in component.calls)


class Engine:
    """Owns the `SimState` and advances it."""

    def __init__(self, app: AppSpec | str, seed: int = 0, *, warmup_ticks: int = WARMUP_TICKS,
                 noise: NoiseProfile | None = None, mesh: Mesh | None = None) -> None:
        """Raises:
            ValueError: a mesh this app has no variant for (`mesh.check_mesh`)."""
        spec = get_app(app) if isinstance(app, str) else app
        check_mesh(spec.name, mesh)
        clock = SimClock()
        rng = random.Random(seed)
        self.state = SimState(app=spec, seed=seed, clock=clock, rng=rng, store=ObjectStore(clock, rng),
                              telemetry=Telemetry(), mesh=mesh)
        self.catalog = ImageCatalog(spec, (PROXY, PROXY_INIT) if mesh else ())
        self.events = EventRecorder(self.state.store, clock)
        self.traffic = TrafficModel(self.state)
        self._second_wave: list[dict] = []
        self._build(noise)
        for _ in range(warmup_ticks):
            self.tick()

    def _build(self, profile: NoiseProfile | None) -> None:
        """Deploy the app on a new cluster; with a noise profile, one with an age, a history and gaps in its
        monitoring (drawn from the seeded RNG; without one, no draw is taken for it)."""
        state, store = self.state, self.state.store
        age, namespace_age = CLUSTER_AGE, NAMESPACE_AGE
        if profile is not None:
            age = cluster_age(state.rng, profile)
            namespace_age = age * state.rng.uniform(0.2, 0.9)
            state.extra["service_ips"] = []
            state.extra["ip_counter"] = {n.name: state.rng.randint(10, 120) for n in state.app.nodes}
            state.extra["alert_rules_off"] = alert_rules_off(state.rng, profile)
        old = rfc3339(EPOCH - age)
        for node_spec in state.app.nodes:
            node = node_object(node_spec, state.app.kubernetes_version)
            node["metadata"]["creationTimestamp"] = old
            store.create(node)
            state.nodes[node_spec.name] = NodeAgents(kube_scheduler=node_spec.role == "control-plane")
        for ns in ("default", "kube-system", state.app.namespace):
            store.create({"kind": "Namespace", "metadata": {
                "name": ns, "creationTimestamp": rfc3339(EPOCH - (age if ns != state.app.namespace
                                                                   else namespace_age)),
                "labels": {"kubernetes.io/metadata.name": ns}}, "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"}})
        if state.mesh:
            store.create(install(store.get("Namespace", None, state.app.namespace), rfc3339(EPOCH - namespace_age)))
        sc = storage_class()
        sc["metadata"]["creationTimestamp"] = old
        store.create(sc)
        for obj in app_objects(state.app):
            if obj["kind"] in ("ServiceAccount", "ConfigMap") and obj["metadata"]["name"] in ("default",
                                                                                           "kube-root-ca.crt"):
                obj["metadata"]["creationTimestamp"] = rfc3339(EPOCH - namespace_age)
            if obj["kind"] == "Service":
                assign_cluster_ip(state, obj)
            if obj["kind"] == "Deployment" and _depends_on_datastores(spec_of(state.app, obj)):
                self._second_wave.append(obj)
                state.extra["deploying"] = True
                continue
            store.create(obj)
        initial_datastores(state)
        if profile is not None:
            add_history(self, profile)

    def _deploy_second_wave(self) -> None:
        """Services that connect to a datastore at start are deployed once the datastores serve — as an operator
        (or a chart's wait-for init container) would — so a fresh deployment does not start in crash loops."""
        store = self.state.store
        if all(int(d.get("status", {}).get("availableReplicas", 0)) >= int(d["spec"].get("replicas", 1))
               for d in store.list("Deployment")):
            for obj in self._second_wave:
                store.create(obj)
            self._second_wave = []
            self.state.extra.pop("deploying", None)

    def tick(self) -> None:
        state = self.state
        if self._second_wave:
            self._deploy_second_wave()
        state.clock.advance()
        controllers.reconcile_nodes(state, self.events)
        controllers.reconcile_deployments(state, self.events)
        controllers.reconcile_replicasets(state, self.events)
        controllers.reconcile_volumes(state, self.events)
        scheduler.schedule(state, self.events)
        kubelet.run_kubelets(state, self.catalog, self.events)
        controllers.reconcile_endpoints(state)
        controllers.reconcile_quotas(state)
        self.traffic.step()
        if state.clock.tick % 60 == 0:
            self.events.expire()

    def run(self, ticks: int) -> None:
        for _ in range(ticks):
            self.tick()
