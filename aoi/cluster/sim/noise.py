"""The background a real cluster has and a freshly built simulation lacks, seeded from the cluster's seed.

A real cluster under diagnosis is not clean: earlier incidents left warning events behind, about pods and
ReplicaSets that have since been replaced; the cluster and its nodes are months old; Service addresses are
scattered over the service CIDR; some alert rules were never set up or never fire; and nobody looks at it exactly
two minutes after the fault (a `sim:` spec without `ticks` is observed `injection_ticks` later). This module adds
that history and shape as *state* — Event objects in the store, creation timestamps, the allocator's next
address, the set of alert rules that are off (in `SimState.extra`) — so snapshots capture it, the event TTL ages
it out like any other event, and nothing is attached to a fault. A fault, its ground truth and its mitigation
predicate never read it.

`NoiseProfile` holds the rates, measured on the Cloud-OpsBench dev recordings by `benchmarks/noise_profile.py`;
`Engine(..., noise=None)` (`SimCluster(..., noise=False)`, `sim:APP?clean=1`, `--clean`) builds today's clean
cluster: this module is then never called and takes no draws from the cluster's RNG.

Not modelled (see the profile's notes): random node count and names — Online Boutique's faults and ground truth
name `master` / `worker-01..03` as the benchmark does, and the kind apps' faults name `kind-worker*`, so the
shape of the node set stays the benchmark's; listings cut to their last lines (a recorder's artefact, not the
cluster's); error-log noise in healthy services.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aoi.cluster.sim.apps.manifests import app_objects
from aoi.cluster.sim.clock import TICK_SECONDS, rfc3339
from aoi.cluster.sim.scheduler import unschedulable_message
from aoi.cluster.sim.store import NAME_ALPHABET

if TYPE_CHECKING:
    from aoi.cluster.sim.engine import Engine

FiveNumbers = tuple[float, float, float, float, float]
"""min, first quartile, median, third quartile, max."""


@dataclass(frozen=True, slots=True)
class NoiseProfile:
    """Background rates of a real cluster, measured on the 30 Cloud-OpsBench dev recordings.

    Measured with `python benchmarks/noise_profile.py` (reads `../shared/data/cloud-opsbench-dev` at run time;
    30 cases, one per root cause, Online Boutique on 4 nodes). The numbers below are that script's output; no case
    is singled out.

    | rate                                   | value (min q1 median q3 max, or chance) | n                       |
    |----------------------------------------|-----------------------------------------|-------------------------|
    | stale warning objects per incident     | 1  3.8  5  15  15                       | 10 service-fault cases  |
    | LAST SEEN of warning rows, min         | 0  3.2  12.5  24  61                    | 478 rows, 19 listings   |
    | time from fault to snapshot, min       | 0.5  1.0  1.5  1.8  6.1                 | 30 cases                |
    | node age, days                         | 91  92  105.5  136  159                 | 120 nodes               |
    | alert rule on: REPLICAS_UNAVAILABLE    | 1/20  (fired 0 of 18)                   | cases with unready pods |
    | alert rule on: POD_RESTARTS            | 1/6   (fired 0 of 4)                    | cases with restarts     |
    | alert rule on: NODE_NOT_READY          | 1/3   (fired 0 of 1)                    | NotReady node           |
    | alert rule on: LATENCY_DEGRADATION     | 4/5   (fired 3 of 3)                    | latency symptom         |
    | alert rule on: ERROR_SPIKE             | 2/31  (fired 1 of 29)                   | frontend errors > 5%    |
    | no alert at all (not a parameter)      | 27/30                                   | 30 cases                |
    """

    stale_objects: FiveNumbers = (1, 3.8, 5, 15, 15)
    """Objects with warning events that are not about the faulted workload, per recording of a service fault whose
    events listing is non-empty (n=10; every one of them has some)."""
    stale_last_seen_min: FiveNumbers = (0, 3.2, 12.5, 24, 61)
    """LAST SEEN of the warning rows of the events listings, minutes (n=478 rows in 19 listings). Nothing is older
    than the API server's one-hour event TTL (plus the expiry sweep's lag)."""
    injection_age_min: FiveNumbers = (0.5, 1.0, 1.5, 1.8, 6.1)
    """Time from the fault to the snapshot, minutes: the AGE of the youngest pod (n=30; the benchmark re-applies
    the app with the fault, so every pod is about that old)."""
    node_age_days: FiveNumbers = (91, 92, 105.5, 136, 159)
    """AGE of the nodes (n=120 rows, 4 per recording)."""
    alert_rule_on: tuple[tuple[str, float], ...] = (
        ("REPLICAS_UNAVAILABLE", 1 / 20), ("POD_RESTARTS", 1 / 6), ("NODE_NOT_READY", 1 / 3),
        ("LATENCY_DEGRADATION", 4 / 5), ("ERROR_SPIKE", 2 / 31), ("THROUGHPUT_DROP", 1.0))
    """Chance that an alert rule is set up and fires when the state triggers it: Laplace's rule of succession,
    (fired + 1) / (due + 2), over the recordings whose state triggers the rule — unready pods 0/18, restarts 0/4, a
    NotReady node 0/1, a latency symptom 3/3, a frontend error ratio above 5% 1/29. THROUGHPUT_DROP needs the
    request rates, which the recordings lack; it stays on. 27 of the 30 recordings have no alert at all."""


DEV_PROFILE = NoiseProfile()
"""The profile every noisy cluster uses."""


def draw(rng: random.Random, five: FiveNumbers) -> float:
    """A value of a distribution known by its five-number summary: a quarter at random, then uniform within it."""
    quarter = rng.randrange(4)
    return rng.uniform(five[quarter], five[quarter + 1])


def alert_rules_off(rng: random.Random, profile: NoiseProfile) -> list[str]:
    """The alert rules this cluster's monitoring lacks (drawn once, when the cluster is built)."""
    return [rule for rule, chance in profile.alert_rule_on if rng.random() >= chance]


def injection_ticks(rng: random.Random, profile: NoiseProfile) -> int:
    """Ticks between injecting a fault and the first look at the cluster."""
    return max(1, round(draw(rng, profile.injection_age_min) * 60 / TICK_SECONDS))


def cluster_age(rng: random.Random, profile: NoiseProfile) -> timedelta:
    return timedelta(days=round(draw(rng, profile.node_age_days), 2))


def add_history(engine: Engine, profile: NoiseProfile) -> None:
    """Warning events of earlier incidents on pods and ReplicaSets that have since been replaced.

    Each stale object is one earlier incident of a workload of the app — a rollout whose pods failed their probes,
    a bad image tag, a scale-up that found no room, a crash loop, a deploy that raced its ServiceAccount — told the
    way the simulator's own components tell it, with its own count and LAST SEEN.
    """
    state = engine.state
    rng = state.rng
    now = state.clock.now
    # The manifests, not the store: workloads that wait for their datastores are not created yet.
    workloads = [o for o in app_objects(state.app) if o["kind"] == "Deployment"]
    for _ in range(round(draw(rng, profile.stale_objects))):
        dep = rng.choice(workloads)
        last = now - timedelta(minutes=min(60.0, draw(rng, profile.stale_last_seen_min)))
        first = last - timedelta(seconds=rng.randint(30, 900))
        incident = rng.choice(_INCIDENTS)
        obj, events = incident(engine, dep, rng)
        for reason, message, component, field_path in events:
            engine.events.record(obj, reason, message, type_="Warning", component=component,
                                 host=None if component != "kubelet" else rng.choice(state.app.nodes).name,
                                 field_path=field_path, first=rfc3339(first), last=rfc3339(last),
                                 count=rng.randint(1, 12))


Told = tuple[dict[str, Any], list[tuple[str, str, str, str | None]]]
"""The gone object, and its warning events as (reason, message, reporting component, fieldPath)."""


def _gone_pod(engine: Engine, dep: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    name = f"{dep['metadata']['name']}-{_hash(rng)}-{engine.state.store.random_suffix()}"
    return {"kind": "Pod", "metadata": {"name": name, "namespace": dep["metadata"]["namespace"],
                                        "uid": engine.state.store.new_uid()}}


def _hash(rng: random.Random) -> str:
    return "".join(rng.choice(NAME_ALPHABET) for _ in range(rng.choice((9, 10))))


def _container(dep: dict[str, Any]) -> dict[str, Any]:
    return dep["spec"]["template"]["spec"]["containers"][0]


def _probe_failures(engine: Engine, dep: dict[str, Any], rng: random.Random) -> Told:
    pod = _gone_pod(engine, dep, rng)
    container = _container(dep)
    port = next((p["containerPort"] for p in container.get("ports") or []), 8080)
    node = rng.randrange(len(engine.state.app.nodes))
    ip = f"{engine.state.app.pod_cidr}.{node}.{rng.randint(11, 250)}"
    label = rng.choice(("Readiness", "Liveness"))
    return pod, [("Unhealthy", f"{label} probe failed: dial tcp {ip}:{port}: connect: connection refused", "kubelet",
                  f"spec.containers{{{container['name']}}}")]


def _bad_image(engine: Engine, dep: dict[str, Any], rng: random.Random) -> Told:
    pod = _gone_pod(engine, dep, rng)
    container = _container(dep)
    image = container["image"].rsplit(":", 1)[0] + ":" + rng.choice(("v0.10.4-rc1", "latest-dev", "v2", "canary"))
    pulled = engine.catalog.pull(image, [], lambda _: None)
    path = f"spec.containers{{{container['name']}}}"
    return pod, [("Failed", pulled.message, "kubelet", path), ("Failed", "Error: ImagePullBackOff", "kubelet", path)]


def _no_room(engine: Engine, dep: dict[str, Any], rng: random.Random) -> Told:
    nodes = engine.state.app.nodes
    workers = [n.name for n in nodes if n.role == "worker"]
    reasons = {n.name: ["node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"] for n in nodes
               if n.role != "worker"}
    reasons.update({n: [rng.choice(("Insufficient cpu", "Insufficient memory"))] for n in workers})
    return _gone_pod(engine, dep, rng), [("FailedScheduling", unschedulable_message(len(nodes), reasons),
                                          "default-scheduler", None)]


def _crash_loop(engine: Engine, dep: dict[str, Any], rng: random.Random) -> Told:
    pod = _gone_pod(engine, dep, rng)
    meta, name = pod["metadata"], _container(dep)["name"]
    return pod, [("BackOff", f"Back-off restarting failed container {name} in pod {meta['name']}_{meta['namespace']}"
                  f"({meta['uid']})", "kubelet", f"spec.containers{{{name}}}")]


def _service_account_race(engine: Engine, dep: dict[str, Any], rng: random.Random) -> Told:
    ns = dep["metadata"]["namespace"]
    rs = f"{dep['metadata']['name']}-{_hash(rng)}"
    sa = dep["spec"]["template"]["spec"].get("serviceAccountName") or "default"
    obj = {"kind": "ReplicaSet", "apiVersion": "apps/v1",
           "metadata": {"name": rs, "namespace": ns, "uid": engine.state.store.new_uid()}}
    return obj, [("FailedCreate", f'Error creating: pods "{rs}-" is forbidden: error looking up service account '
                  f'{ns}/{sa}: serviceaccount "{sa}" not found', "replicaset-controller", None)]


_INCIDENTS = (_probe_failures, _probe_failures, _bad_image, _no_room, _crash_loop, _service_account_race)
"""Weighted as in the recordings' stale warnings: probe failures of replaced pods are the most common."""
