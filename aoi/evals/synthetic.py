"""Synthetic Cloud-OpsBench cases recorded from the simulator (`aoi sim record`): one incident, or a whole set.

A case is a simulated app with one fault of the library injected and run for `ticks` ticks, frozen by
`aoi.cluster.sim.record` into the benchmark's case layout, with a `metadata.json` like the benchmark's:

* `result`: the ground truth `{fault_taxonomy, fault_object, root_cause}`. A Cloud-OpsBench root cause is its own
  code; an AIOpsLab family is named by the taxonomy row it is an instance of (`aoi.diagnosis.taxonomy`), the
  names the `rca` task scores against.
* `query`: the symptom as a user would report it, in the benchmark's own phrases, chosen from what the alerts
  and pods show (restarts, the entry service failing, some service failing, latency), never from the fault.
* `process`: the benchmark's two expert tool paths; a simulated case has none, so both are empty.
* `simulation`: app, fault, variant, target, seed and ticks, so the case can be simulated again
  (`sim:APP/FAULT?variant=V&...`). Without an explicit variant, each case's is drawn from its seed.

A set (`record_set`) is `<out>/<category>/<id>/` per case plus `<out>/labels.json` (the candidate root causes and
objects), the layout `aoi eval --suite cloud-opsbench --path OUT` runs. The same arguments give the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from aoi.cluster.sim.cluster import SimCluster
from aoi.cluster.sim.faults import FAULTS, Fault
from aoi.cluster.sim.mesh import Mesh
from aoi.cluster.sim.record import snapshot_files, staged, write_files, write_snapshot
from aoi.diagnosis.taxonomy import AIOPSLAB_FAMILIES, BY_NAME

DEFAULT_TICKS = 24
"""Two minutes after the fault, as `sim:` specs run it."""
HEALTHY = "noop"
"""The healthy control: not a case (every benchmark case has a fault)."""

QUERIES = {"restart": "Service abnormal restart.", "entry": "Service Availability Disruption.",
           "partial": "Partial Service Unreachability.", "latency": "Service latency increased significantly",
           "other": "Service quality degradation."}
"""The benchmark's symptom phrases, by what the cluster shows."""


def simulate(app: str, family: str, *, target: str | None = None, seed: int = 0,
             ticks: int = DEFAULT_TICKS, mesh: Mesh | None = None,
             variant: str | None = None) -> tuple[SimCluster, Fault]:
    """The incident as `sim:APP/FAULT?seed=N&target=T&ticks=K&mesh=M&variant=V` runs it: the app (under the mesh,
    if one is named), the fault (without `variant`, in the variant drawn from the seed), `ticks` ticks.

    Raises:
        KeyError: unknown fault or variant. ValueError: the fault does not apply to the app, a bad target, or a
        mesh the app cannot run under.
    """
    cluster = SimCluster(app, seed, mesh=mesh)
    fault = cluster.inject(family, target, variant=variant)
    cluster.tick(ticks)
    return cluster, fault


def benchmark_result(fault: Fault) -> dict[str, str]:
    """The ground truth as the benchmark's `result`: `{fault_taxonomy, fault_object, root_cause}`.

    Raises:
        ValueError: the fault is the healthy control (it has no root cause).
    """
    truth = fault.ground_truth()
    row = BY_NAME.get(AIOPSLAB_FAMILIES.get(fault.family, fault.family))
    if row is None:
        raise ValueError(f"fault {fault.family!r} has no root cause to record")
    return {"fault_taxonomy": row.taxonomy, "fault_object": truth.fault_object, "root_cause": row.name}


def symptom_query(cluster: SimCluster) -> str:
    """What a user would report, from the alerts: restarts, the entry service failing, another service failing,
    latency, else a generic degradation."""
    alerts = cluster.alerts().get("alerts") or []
    evidence = {(a["name"], str(e).split(" ", 1)[0]) for a in alerts for e in a.get("evidence") or []}
    kinds = {kind for _, kind in evidence}
    failing = {"ERROR_SPIKE", "THROUGHPUT_DROP", "REPLICAS_UNAVAILABLE"}
    if "POD_RESTARTS" in kinds:
        return QUERIES["restart"]
    if any(name == cluster.app.entry and kind in failing for name, kind in evidence):
        return QUERIES["entry"]
    if kinds & failing:
        return QUERIES["partial"]
    if "LATENCY_DEGRADATION" in kinds:
        return QUERIES["latency"]
    return QUERIES["other"]


def case_metadata(cluster: SimCluster, fault: Fault, *, seed: int, ticks: int) -> dict[str, Any]:
    """The case's `metadata.json` (see the module docstring)."""
    mesh = cluster.engine.state.mesh
    return {"namespace": cluster.namespace, "query": symptom_query(cluster), "result": benchmark_result(fault),
            "process": {"path1": [], "path2": []},
            "simulation": {"app": fault.app, "fault": fault.family, "variant": fault.variant, "target": fault.target,
                           "seed": seed, "ticks": ticks, **({"mesh": mesh} if mesh else {})}}


def record_incident(app: str, family: str, out: str | Path, *, target: str | None = None, seed: int = 0,
                    ticks: int = DEFAULT_TICKS, force: bool = False, mesh: Mesh | None = None,
                    variant: str | None = None) -> Path:
    """Simulate one incident and write it as a case folder at `out`.

    Raises:
        KeyError: unknown fault or variant. ValueError: the fault does not apply to the app, a bad target, or
            `noop`.
        FileExistsError: `out` exists and is not empty, and `force` is not set.
    """
    cluster, fault = simulate(app, family, target=target, seed=seed, ticks=ticks, mesh=mesh, variant=variant)
    return write_snapshot(cluster, out, case_metadata(cluster, fault, seed=seed, ticks=ticks), force=force)


def category_dir(result: dict[str, str]) -> str:
    """The benchmark's folder of a taxonomy: `Service_Routing_Fault` → `service`, `Runtime_Fault` → `runtime`."""
    return result["fault_taxonomy"].split("_", 1)[0].lower()


def set_faults(apps: Sequence[str], families: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """(app, family) of every fault of the library that applies to each app (or of those named), healthy control
    excluded, in app order then family order.

    Raises:
        KeyError: a named family is unknown.
    """
    wanted = sorted(FAULTS) if families is None else sorted(set(families))
    for family in wanted:
        if family not in FAULTS:
            raise KeyError(f"unknown fault family {family!r}; see `aoi sim faults`")
    return [(app, family) for app in apps for family in wanted if family != HEALTHY and app in FAULTS[family].apps]


def record_set(out: str | Path, *, apps: Sequence[str] = ("online-boutique",), seeds: int = 1,
               families: Iterable[str] | None = None, ticks: int = DEFAULT_TICKS, force: bool = False,
               mesh: Mesh | None = None) -> list[Path]:
    """Record every (app, fault, seed) as `<out>/<category>/<id>/`, ids numbered from 1 per category, plus
    `<out>/labels.json`; returns the case folders. The whole set appears at once or not at all.

    Raises:
        KeyError: an unknown fault family. ValueError: no fault applies, or `seeds` < 1.
        FileExistsError: `out` exists and is not empty, and `force` is not set.
    """
    if seeds < 1:
        raise ValueError("seeds must be at least 1")
    pairs = set_faults(apps, families)
    if not pairs:
        raise ValueError(f"no fault of the library applies to {', '.join(apps)}"
                         + (" among the ones named" if families is not None else ""))
    root = Path(out)
    counters: dict[str, int] = {}
    cases: list[Path] = []
    causes: dict[str, str] = {}
    objects: dict[str, list[str]] = {}
    with staged(root, force=force) as stage:
        for app, family in pairs:
            for seed in range(seeds):
                cluster, fault = simulate(app, family, seed=seed, ticks=ticks, mesh=mesh)
                metadata = case_metadata(cluster, fault, seed=seed, ticks=ticks)
                result = metadata["result"]
                category = category_dir(result)
                counters[category] = counters.get(category, 0) + 1
                relative = Path(category) / str(counters[category])
                write_files(stage / relative, snapshot_files(cluster, metadata))
                cases.append(root / relative)
                causes.setdefault(result["root_cause"], result["fault_object"].partition("/")[0])
            _add_objects(objects, cluster)
        (stage / "labels.json").write_text(_labels_json(causes, objects), encoding="utf-8")
    return cases


def _add_objects(objects: dict[str, list[str]], cluster: SimCluster) -> None:
    for kind, names in (("node", [n.name for n in cluster.app.nodes]),
                        ("service", list(cluster.app.component_names)), ("namespace", [cluster.namespace])):
        known = objects.setdefault(kind, [])
        known += [n for n in names if n not in known]


def _labels_json(causes: dict[str, str], objects: dict[str, list[str]]) -> str:
    labels = {"_note": "Candidate labels of a synthetic set recorded by `aoi sim record --many`: the root causes "
                       "recorded in it, with the kind of object each names, and every object of its apps.",
              "valid_objects": objects, "object_format": "service/<name>, node/<name> or namespace/<name>",
              "root_causes": [{"name": name, "target": kind} for name, kind in causes.items()]}
    return json.dumps(labels, indent=1)
