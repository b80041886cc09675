"""A simulated cluster frozen as a Cloud-OpsBench case folder: what `replay:DIR` reads back.

`write_snapshot(cluster, folder, metadata)` asks the simulator, through its read interface, every question the
benchmark's collector asked of its real cluster, and writes each answer under the key `ReplayReader` looks it up by:

* `tool_cache.json`: `Tool:{compact json args}` → answer, with the benchmark's argument order. For each of its
  resource types `GetResources` over the whole namespace (plain, `output_wide`, `show_labels`), for the types it
  also read one by one every object by name (the same three variants) and `DescribeResource`, and
  `label_selector` `<label_key>=<workload>` for deployments, pods, services and claims; events of the app's,
  `default` and `kube-system` namespaces and the pods of `kube-system`; per workload `GetAppYAML`,
  `GetServiceDependencies` (the upstream call-tree text), `GetErrorLogs` and `CheckServiceConnectivity` on the
  workload's port from the app's design (so a workload whose Service is missing is still probed, as upstream
  did); `CheckNodeServiceStatus` for every node daemon that exists; `GetClusterConfiguration`, `GetAlerts`, and a
  `collection_timestamp` (the simulated clock). An empty table is recorded as `""`, as kubectl's stdout was
  upstream (it prints `No resources found` on stderr); a call the simulator refuses is left out, as upstream
  left out calls on missing objects.
* `raw_data/alert.json` (the alerts), `raw_data/logs.json` (the last `LOG_LINES` lines of each workload's
  container: the current one, or while it waits to restart the one that last ran, as `kubectl logs` prints; `[]`
  when none ever ran) and `raw_data/metrics.csv` (the last `METRIC_ROWS` 5-s samples of each
  workload under the benchmark's column names: `cpu` in cores, `mem` in bytes, `rps`, `success_rate`,
  `p50latency`, `p95latency`; the simulator has no CFS, network or node series, so those columns are absent
  rather than invented).
* `metadata.json`: whatever the caller gives (the ground truth and symptom text, see `aoi.evals.synthetic`).

Not recorded, because the benchmark layout has no place for them: traces, logs of previous containers, metrics
of single pods. The replay says so when asked. Output is deterministic (same app, fault, seed and ticks → the same
bytes) and written atomically: into a temporary folder beside `folder`, renamed into place only when complete.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aoi.cluster.interface import NODE_COMPONENTS, ClusterError
from aoi.cluster.sim.clock import TICK_SECONDS

if TYPE_CHECKING:
    from aoi.cluster.sim.cluster import SimCluster

TOOL_CACHE = "tool_cache.json"
METADATA = "metadata.json"
RAW_DATA = "raw_data"

LISTED_TYPES = ("configmaps", "daemonsets", "deployments", "endpoints", "ingresses", "jobs", "networkpolicies",
                "nodes", "persistentvolumeclaims", "persistentvolumes", "pods", "replicasets", "resourcequota",
                "rolebindings", "secrets", "serviceaccounts", "services", "statefulsets", "storageclasses")
"""Resource types the benchmark listed in every case (in its plural spelling)."""
NAMED_TYPES = ("configmaps", "deployments", "endpoints", "nodes", "persistentvolumeclaims", "persistentvolumes",
               "pods", "replicasets", "resourcequota", "secrets", "serviceaccounts", "services", "storageclasses")
"""Resource types it also read object by object (`GetResources` by name and `DescribeResource`)."""
SELECTED_TYPES = ("deployments", "persistentvolumeclaims", "pods", "services")
"""Resource types it listed with a `label_selector` per workload."""
SYSTEM_NAMESPACES = ("default", "kube-system")
VARIANTS: tuple[dict[str, Any], ...] = ({}, {"output_wide": True}, {"show_labels": True})

LOG_LINES = 300
"""Log lines kept per workload (as in the dev split; upstream's GetRecentLogs returns the last 50)."""
METRIC_ROWS = 60
"""Metric samples kept: five minutes, the default window of `metrics`."""
_METRIC_COLUMNS: tuple[tuple[str, str, Callable[[float], float]], ...] = (
    ("cpu", "cpu_millicores", lambda v: v / 1000), ("mem", "memory_mib", lambda v: v * 1048576),
    ("rps", "request_rate", lambda v: v), ("success_rate", "error_rate", lambda v: 1 - v),
    ("p50latency", "p50_ms", lambda v: v), ("p95latency", "p95_ms", lambda v: v))
"""Benchmark column suffix, simulator metric, conversion."""
_DATABASE_KINDS = ("database",)


def tool_key(tool: str, **args: Any) -> str:
    """The benchmark's cache key: `Tool:` + compact JSON of the arguments in the order given."""
    return tool + ":" + json.dumps(args, separators=(",", ":"))


def write_snapshot(cluster: SimCluster, folder: str | Path, metadata: dict[str, Any], *,
                   force: bool = False) -> Path:
    """Record the cluster's current state as a case folder (see the module docstring) and return its path.

    Raises:
        FileExistsError: `folder` exists and is not empty, and `force` is not set.
        OSError: the folder cannot be written (nothing is left behind).
    """
    files = snapshot_files(cluster, metadata)
    with staged(Path(folder), force=force) as stage:
        write_files(stage, files)
    return Path(folder)


def write_files(folder: Path, files: dict[str, str]) -> None:
    """Write `snapshot_files` output under `folder` (the CSV with the byte-order mark the benchmark's has)."""
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8-sig" if name.endswith(".csv") else "utf-8")


def snapshot_files(cluster: SimCluster, metadata: dict[str, Any]) -> dict[str, str]:
    """Relative path → text of every file of the case folder."""
    alerts = cluster.alerts()
    return {TOOL_CACHE: json.dumps(tool_cache(cluster), indent=2, ensure_ascii=False),
            METADATA: json.dumps(metadata, indent=2, ensure_ascii=False),
            f"{RAW_DATA}/alert.json": json.dumps(alerts, indent=2),
            f"{RAW_DATA}/logs.json": json.dumps(recent_logs(cluster), indent=2),
            f"{RAW_DATA}/metrics.csv": metrics_csv(cluster)}


@contextmanager
def staged(folder: Path, *, force: bool = False) -> Iterator[Path]:
    """A fresh temporary folder beside `folder`; when the block ends without error it replaces `folder`.

    Raises:
        FileExistsError: `folder` exists and is not empty, and `force` is not set.
    """
    if folder.exists() and not folder.is_dir():
        raise FileExistsError(f"{folder} exists and is not a folder")
    if folder.is_dir() and any(folder.iterdir()) and not force:
        raise FileExistsError(f"{folder} exists and is not empty; pass --force to replace it")
    folder.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".partial", dir=folder.parent))
    try:
        yield stage
        stage.chmod(0o755)  # mkdtemp makes it private; a case folder is ordinary data
        old = None
        if folder.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".old", dir=folder.parent))
            os.replace(folder, old / folder.name)
        os.replace(stage, folder)
        if old is not None:
            shutil.rmtree(old)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def tool_cache(cluster: SimCluster) -> dict[str, Any]:
    """Every recorded tool answer under its benchmark key, `collection_timestamp` first."""
    ns = cluster.namespace
    now = cluster.engine.state.clock.now
    cache: dict[str, Any] = {"collection_timestamp": now.replace(tzinfo=None).isoformat(timespec="microseconds")}
    workloads = list(cluster.services(ns))

    def put(key: str, read: Callable[[], Any]) -> None:
        with suppress(ClusterError):
            cache[key] = read()

    def table(resource_type: str, name: str = "", namespace: str = ns, **variant: Any) -> None:
        put(tool_key("GetResources", resource_type=resource_type, name=name, namespace=namespace, **variant),
            lambda: _stdout(cluster.get_resources(resource_type, name, namespace,
                                                  wide=bool(variant.get("output_wide")),
                                                  show_labels=bool(variant.get("show_labels")),
                                                  label_selector=variant.get("label_selector"))))

    for resource_type in LISTED_TYPES:
        for variant in VARIANTS:
            table(resource_type, **variant)
        if resource_type in NAMED_TYPES:
            for name in _names(cache.get(tool_key("GetResources", resource_type=resource_type, name="",
                                                  namespace=ns))):
                for variant in VARIANTS:
                    table(resource_type, name, **variant)
        if resource_type in SELECTED_TYPES:
            for workload in workloads:
                table(resource_type, label_selector=f"{cluster.app.label_key}={workload}")
    for namespace in (ns, *SYSTEM_NAMESPACES):
        put(tool_key("GetResources", resource_type="events", name="", namespace=namespace),
            lambda namespace=namespace: _stdout(cluster.events(namespace)))
    for namespace in SYSTEM_NAMESPACES:
        table("pods", namespace=namespace)
    for resource_type in NAMED_TYPES:
        for name in _names(cache.get(tool_key("GetResources", resource_type=resource_type, name="", namespace=ns))):
            put(tool_key("DescribeResource", resource_type=resource_type, name=name, namespace=ns),
                lambda resource_type=resource_type, name=name: cluster.describe(resource_type, name, ns))
    for workload in workloads:
        put(tool_key("GetAppYAML", app_name=workload), lambda w=workload: cluster.app_manifest(w, ns))
    for workload in workloads:
        put(tool_key("GetServiceDependencies", service_name=workload),
            lambda w=workload: dependencies_text(lambda s: cluster.service_dependencies(s, ns), w))
    ports = {c.name: c.port for c in cluster.app.components}
    for workload in workloads:
        port = ports.get(workload)
        if port is not None:
            put(tool_key("CheckServiceConnectivity", namespace=ns, service_name=workload, port=port),
                lambda w=workload, p=port: cluster.check_connectivity(w, p, ns))
    for node in cluster.app.nodes:
        for component in sorted(NODE_COMPONENTS):
            put(tool_key("CheckNodeServiceStatus", node_name=node.name, service_name=component),
                lambda n=node.name, c=component: cluster.node_service_status(n, c))
    for workload in workloads:
        put(tool_key("GetErrorLogs", namespace=ns, service_name=workload),
            lambda w=workload: cluster.error_log_summary(w, ns))
    put("GetClusterConfiguration:{}", cluster.cluster_configuration)
    put("GetAlerts:{}", cluster.alerts)
    return cache


def dependencies_text(read: Callable[[str], dict[str, Any]], service: str) -> str:
    """The upstream `GetServiceDependencies` text of a service: its callers, then its call tree with datastores
    marked, e.g. `[Service]: cartservice` / `[Upstream (Called By)]: frontend` / `[Downstream (Calls)]:` /
    `cartservice` / `└── redis-cart          <-- (Database)`. `read` gives `service_dependencies` of a service."""
    answers: dict[str, dict[str, Any]] = {}

    def deps(name: str) -> dict[str, Any]:
        if name not in answers:
            answers[name] = read(name)
        return answers[name]

    def tree(name: str, prefix: str, seen: tuple[str, ...]) -> list[str]:
        callees = [c for c in deps(name).get("downstream") or [] if c["name"] not in seen]
        lines = []
        for i, callee in enumerate(callees):
            last = i == len(callees) - 1
            line = f"{prefix}{'└── ' if last else '├── '}{callee['name']}"
            if str(callee.get("type", "")).lower() in _DATABASE_KINDS:
                line = f"{line:<22}  <-- (Database)"
            lines.append(line)
            lines += tree(callee["name"], prefix + ("    " if last else "│   "), (*seen, callee["name"]))
        return lines

    answer = deps(service)
    upstream = ", ".join(answer.get("upstream") or []) or "(User Traffic)"
    entry = " (Entrypoint)" if not answer.get("upstream") and answer.get("downstream") else ""
    lines = [f"[Service]: {service}{entry}", f"[Upstream (Called By)]: {upstream}", "[Downstream (Calls)]:"]
    below = tree(service, "", (service,))
    return "\n".join(lines + ([service, *below] if below else ["(None - Leaf)"]))


def recent_logs(cluster: SimCluster) -> dict[str, list[str]]:
    """Workload → the last `LOG_LINES` lines of its container as `kubectl logs` prints them (while a crash-looping
    container waits to restart, the one that last ran; `[]` when none ever ran)."""
    ns = cluster.namespace
    logs: dict[str, list[str]] = {}
    for workload in cluster.services(ns):
        try:
            logs[workload] = cluster.logs(workload, ns, tail=LOG_LINES).splitlines()
        except ClusterError:
            logs[workload] = []
    return logs


def metrics_csv(cluster: SimCluster) -> str:
    """The last `METRIC_ROWS` samples of each workload's series, in the benchmark's CSV columns."""
    state = cluster.engine.state
    ns = cluster.namespace
    first = state.clock.tick - METRIC_ROWS + 1
    columns: dict[str, dict[int, float]] = {}
    for workload in cluster.services(ns):
        for suffix, metric, convert in _METRIC_COLUMNS:
            samples = state.telemetry.window(f"{ns}/{workload}", metric, first)
            columns[f"{workload}-{suffix}"] = {t: convert(v) for t, v in samples}
    ticks = sorted({t for samples in columns.values() for t in samples})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["time", *columns])
    for tick in ticks:
        moment = state.clock.now + timedelta(seconds=(tick - state.clock.tick) * TICK_SECONDS)
        writer.writerow([f"{moment:%Y-%m-%d %H:%M:%S}",
                         *(repr(round(c[tick], 4)) if tick in c else "" for c in columns.values())])
    return out.getvalue()


def _stdout(text: str) -> str:
    """What kubectl printed on stdout: nothing for an empty list (it says `No resources found` on stderr)."""
    return "" if text.startswith("No resources found") else text


def _names(table: Any) -> list[str]:
    """The object names (first column) of a recorded table."""
    lines = [line for line in str(table or "").splitlines() if line.strip()]
    return [line.split()[0] for line in lines[1:]] if lines and lines[0].startswith("NAME") else []
