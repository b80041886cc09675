"""A frozen cluster snapshot answering our read tools: the Cloud-OpsBench case layout (`replay:CASE_DIR`).

A case folder holds the recorded answers of the upstream diagnostic tools (`tool_cache.json`, keyed
`Tool:{compact json args}`), the container logs (`raw_data/logs.json`, absent in some cases), the alerts
(`raw_data/alert.json`) and sometimes a metrics time series (`raw_data/metrics.csv`). `ReplayReader` maps each of
our `ClusterReader` calls to the recorded key, derives what kubectl would print from recorded tables (one row of
a list, the rows a label selector picks from the `--show-labels` table, the rows of one object's events) and
answers a miss the way kubectl would (`Error from server (NotFound): ...`, `No resources found in NS namespace.`).
What was never recorded is said to be not captured: nothing is invented.

The folder's `metadata.json` is the ground truth. This module never opens it, never names a file in an answer,
and takes every answer from the recorded tool outputs only. A snapshot cannot change: `SnapshotWriter` refuses
every write.
"""

from __future__ import annotations

import csv
import json
import re
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aoi.cluster.grep import LogFilter
from aoi.cluster.interface import (
    WRITE_METHODS,
    ClusterError,
    ForbiddenError,
    InvalidArgumentError,
    NotFoundError,
)
from aoi.cluster.sim.store import parse_label_selector, selector_matches

TOOL_CACHE = "tool_cache.json"
STEP_SECONDS = 5
"""The metrics series has one row per 5 s."""
MAX_LOG_TAIL = 5000

_ALIASES: dict[str, tuple[str, ...]] = {
    "pods": ("po", "pod"), "services": ("svc", "service"), "deployments": ("deploy", "deployment"),
    "statefulsets": ("sts", "statefulset"), "daemonsets": ("ds", "daemonset"), "configmaps": ("cm", "configmap"),
    "persistentvolumeclaims": ("pvc", "persistentvolumeclaim"), "replicasets": ("rs", "replicaset"),
    "ingresses": ("ing", "ingress"), "networkpolicies": ("netpol", "networkpolicy"),
    "serviceaccounts": ("sa", "serviceaccount"), "endpoints": ("ep", "endpoint"),
    "persistentvolumes": ("pv", "persistentvolume"), "namespaces": ("ns", "namespace"), "nodes": ("no", "node"),
    "storageclasses": ("sc", "storageclass"), "events": ("ev", "event"),
    "resourcequota": ("quota", "resourcequotas"), "jobs": ("job",), "secrets": ("secret",),
    "rolebindings": ("rolebinding",), "roles": ("role",), "cronjobs": ("cj", "cronjob"),
    "horizontalpodautoscalers": ("hpa", "horizontalpodautoscaler"),
    "poddisruptionbudgets": ("pdb", "poddisruptionbudget"), "limitranges": ("limits", "limitrange"),
}
RESOURCE_TYPES: dict[str, str] = {alias: plural for plural, aliases in _ALIASES.items()
                                  for alias in (plural, *aliases)}
"""Every spelling → the plural name upstream used in its keys (it normalised aliases the same way)."""

CLUSTER_SCOPED = frozenset({"nodes", "persistentvolumes", "storageclasses", "namespaces"})
_API_GROUPS = {"deployments": "apps", "replicasets": "apps", "statefulsets": "apps", "daemonsets": "apps",
               "jobs": "batch", "cronjobs": "batch", "ingresses": "networking.k8s.io",
               "networkpolicies": "networking.k8s.io", "storageclasses": "storage.k8s.io",
               "rolebindings": "rbac.authorization.k8s.io", "roles": "rbac.authorization.k8s.io",
               "horizontalpodautoscalers": "autoscaling", "poddisruptionbudgets": "policy"}
"""kubectl names a missing object `deployments.apps "x"`; core kinds have no group."""

_EVENT_ROW = re.compile(r"(?:^|\s)(Normal|Warning)\s+(\S+)\s+(\S+)")
"""TYPE, REASON and OBJECT of an events row; some recorded tables lost their header line upstream."""
_DEPENDENCY_CHILD = re.compile(r"^[├└]── (\S+)(.*)$")


def _key(tool: str, args: dict[str, Any]) -> str:
    return tool + ":" + json.dumps(args, separators=(",", ":"))


def _not_found(resource_type: str, name: str) -> NotFoundError:
    group = _API_GROUPS.get(resource_type)
    return NotFoundError(f'Error from server (NotFound): {resource_type}{"." + group if group else ""} "{name}" '
                         "not found")


def _no_resources(namespace: str | None) -> str:
    return f"No resources found in {namespace} namespace." if namespace else "No resources found"


class NotCapturedError(ClusterError):
    """The snapshot holds no recording that answers this call (and guessing would invent data)."""


class ReplayReader:
    """`ClusterReader` over one recorded case folder. Loads everything at construction; every call is a lookup.

    Raises (constructor):
        InvalidArgumentError: the folder does not exist or holds no readable `tool_cache.json`.
    """

    def __init__(self, case_dir: str | Path) -> None:
        folder = Path(case_dir)
        try:
            cache = json.loads((folder / TOOL_CACHE).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InvalidArgumentError(f"replay: {str(case_dir)!r} is not a snapshot folder with a readable "
                                       f"{TOOL_CACHE} ({type(exc).__name__})") from exc
        if not isinstance(cache, dict):
            raise InvalidArgumentError(f"replay: {TOOL_CACHE} in {str(case_dir)!r} is not a JSON object")
        self._cache: dict[str, Any] = {k: v for k, v in cache.items() if ":" in k}
        self._calls: list[tuple[str, dict[str, Any]]] = []
        for key in self._cache:
            tool, _, raw = key.partition(":")
            try:
                args = json.loads(raw)
            except ValueError:
                continue
            if isinstance(args, dict):
                self._calls.append((tool, args))
        raw_data = folder / "raw_data"
        self._alerts = _read_json(raw_data / "alert.json")
        self._logs: dict[str, list[str]] | None = _read_json(raw_data / "logs.json")
        self._metrics = _read_metrics(raw_data / "metrics.csv")
        self._services = sorted({a["app_name"] for t, a in self._calls if t == "GetAppYAML" and "app_name" in a}
                                | {a["service_name"] for t, a in self._calls
                                   if t == "GetErrorLogs" and "service_name" in a})
        self._nodes = sorted({a["node_name"] for t, a in self._calls if t == "CheckNodeServiceStatus"}
                             | {n.get("name", "") for n in (self._cache.get("GetClusterConfiguration:{}") or {})
                                .get("nodes", []) if isinstance(n, dict)} - {""})
        namespaces = [a.get("namespace") for t, a in self._calls if t in ("GetErrorLogs", "CheckServiceConnectivity")]
        self.namespace: str = max(set(namespaces), key=namespaces.count) if namespaces else "default"
        """The application's namespace (where its workloads run)."""

    # -- inventory -----------------------------------------------------------------------------------------------
    @property
    def services_list(self) -> list[str]:
        return list(self._services)

    def namespaces(self) -> list[str]:
        return sorted({str(a["namespace"]) for _, a in self._calls if a.get("namespace")} | {self.namespace})

    def services(self, namespace: str) -> list[str]:
        return list(self._services) if namespace == self.namespace else []

    # -- kubectl views -------------------------------------------------------------------------------------------
    def get_resources(self, resource_type: str, name: str = "", namespace: str | None = None, *, wide: bool = False,
                      show_labels: bool = False, label_selector: str | None = None) -> str:
        plural = self._resource_type(resource_type)
        ns = self._scope(plural, namespace)
        if wide and show_labels:
            raise NotCapturedError("this snapshot recorded -o wide and --show-labels separately; ask for one of them")
        variant: dict[str, Any] = {"output_wide": True} if wide else {"show_labels": True} if show_labels else {}
        base = {"resource_type": plural, "name": name, "namespace": ns}
        if label_selector and not variant:
            recorded = self._cache.get(_key("GetResources", {**base, "label_selector": label_selector}))
            if recorded is not None:
                return self._table(recorded, ns, plural)
        if not label_selector:
            recorded = self._cache.get(_key("GetResources", {**base, **variant}))
            if recorded is not None and (recorded or not name):
                return self._table(recorded, ns, plural)
        listing = self._cache.get(_key("GetResources", {**base, "name": "", **variant}))
        if listing is None:
            if name and self._recorded("GetResources", plural, ns):
                raise _not_found(plural, name)
            raise NotCapturedError(f"kubectl get {plural} in namespace {ns} was not captured in this snapshot; "
                                   f"captured resource types: {', '.join(self._captured_types(ns))}")
        lines = [line for line in str(listing).splitlines() if line.strip()]
        header = lines[:1] if lines and lines[0].startswith("NAME ") else []
        rows = lines[len(header):]
        if name:
            rows = [r for r in rows if r.split()[0] == name]
            if not rows:
                raise _not_found(plural, name)
        if label_selector:
            rows = self._select(rows, plural, ns, label_selector)
        if not rows:
            return _no_resources(None if plural in CLUSTER_SCOPED else ns)
        return "\n".join(header + rows) + "\n"

    def describe(self, resource_type: str, name: str, namespace: str | None = None) -> str:
        plural = self._resource_type(resource_type)
        ns = self._scope(plural, namespace)
        recorded = self._cache.get(_key("DescribeResource", {"resource_type": plural, "name": name, "namespace": ns}))
        if recorded:
            return str(recorded)
        # kubectl describe falls back to every object whose name starts with the one given.
        matches = [str(self._cache[_key("DescribeResource", a)]) for t, a in self._calls
                   if t == "DescribeResource" and a.get("resource_type") == plural and a.get("namespace") == ns
                   and str(a.get("name", "")).startswith(name) and name]
        matches = [m for m in matches if m]
        if matches:
            return "\n\n".join(matches)
        if self._recorded("DescribeResource", plural, ns) or self._recorded("GetResources", plural, ns):
            raise _not_found(plural, name)
        raise NotCapturedError(f"kubectl describe {plural} was not captured in this snapshot")

    def events(self, namespace: str | None = None, *, object_name: str | None = None,
               warnings_only: bool = False) -> str:
        ns = namespace or self.namespace
        recorded = self._cache.get(_key("GetResources", {"resource_type": "events", "name": "", "namespace": ns}))
        if recorded is None:
            raise NotCapturedError(f"events in namespace {ns} were not captured in this snapshot")
        lines = [line for line in str(recorded).splitlines() if line.strip()]
        header = lines[:1] if lines and lines[0].startswith("LAST SEEN") else []
        rows = []
        for line in lines[len(header):]:
            match = _EVENT_ROW.search(line)
            if warnings_only and (match is None or match.group(1) != "Warning"):
                continue
            if object_name:
                obj = match.group(3).partition("/")[2] if match else ""
                if obj != object_name and not obj.startswith(object_name + "-"):
                    continue
            rows.append(line)
        return "\n".join(header + rows) + "\n" if rows else _no_resources(ns)

    def app_manifest(self, service: str, namespace: str) -> str:
        self._check_namespace(namespace)
        recorded = self._cache.get(_key("GetAppYAML", {"app_name": service}))
        if recorded is None:
            raise _not_found("deployments", service)
        return str(recorded)

    # -- logs ----------------------------------------------------------------------------------------------------
    def logs(self, target: str, namespace: str, *, container: str | None = None, tail: int = 100,
             since_seconds: int | None = None, grep: str | None = None, previous: bool = False) -> str:
        """The last `tail` recorded lines of a service's (or its pod's) container. One container per workload
        here, so `container` is not checked."""
        if not isinstance(tail, int) or not 1 <= tail <= MAX_LOG_TAIL:
            raise InvalidArgumentError(f"tail must be an integer between 1 and {MAX_LOG_TAIL}, got {tail!r}")
        log_filter = LogFilter.parse(grep) if grep else None
        self._check_namespace(namespace)
        service = self._service_of(target, namespace)
        if self._logs is None:
            raise NotCapturedError("logs not captured in this snapshot; get_error_logs has the recorded error-line "
                                   "patterns of each service")
        if previous:
            raise NotCapturedError("logs of previous (restarted) containers were not captured in this snapshot")
        if since_seconds is not None:
            raise NotCapturedError("since_seconds cannot be applied to this snapshot: its log lines have no common "
                                   "timestamp; use tail and grep")
        lines = self._logs.get(service, [])
        if log_filter is not None:
            lines = log_filter.select(lines)
        return "\n".join(lines[-tail:])

    def error_log_summary(self, service: str, namespace: str) -> dict[str, Any]:
        recorded = self._cache.get(_key("GetErrorLogs", {"namespace": namespace, "service_name": service}))
        if recorded is None:
            self._check_namespace(namespace)
            raise _not_found("deployments", service)
        if isinstance(recorded, str):
            recorded = json.loads(recorded) if recorded.strip() else {}
        return dict(recorded) if isinstance(recorded, dict) else {}

    # -- metrics and traces --------------------------------------------------------------------------------------
    def metrics(self, target: str, namespace: str, *, window_seconds: int = 300) -> dict[str, Any]:
        """The recorded series of a service (or its pod) or a node, under their recorded names (cpu, mem, rps,
        success_rate, p50latency, ...)."""
        if not isinstance(window_seconds, int) or not STEP_SECONDS <= window_seconds <= 3600:
            raise InvalidArgumentError("window_seconds must be an integer between 5 and 3600")
        if target in self._nodes:
            owner, level = target, "node"
        else:
            self._check_namespace(namespace)
            owner = self._service_of(target, namespace)
            level = "service" if owner == target else "pod"
        if self._metrics is None:
            raise NotCapturedError("metrics were not captured in this snapshot; get_alerts has the recorded "
                                   "anomalies")
        rows = max(1, window_seconds // STEP_SECONDS)
        result: dict[str, Any] = {"target": target, "level": level, "window_seconds": window_seconds,
                                  "step_seconds": STEP_SECONDS, "metrics": {}}
        for column, series in self._metrics.items():
            prefix, _, metric = column.rpartition("-")
            if prefix != owner:
                continue
            values = [v for v in series[-rows:] if v is not None]
            if not values:
                continue
            step = max(1, len(values) // 12)
            result["metrics"][metric] = {
                "last": values[-1], "min": min(values), "max": max(values), "mean": round(statistics.fmean(values), 3),
                "series": [round(statistics.fmean(values[i:i + step]), 3) for i in range(0, len(values), step)]}
        return result

    def traces(self, namespace: str, *, service: str | None = None, operation: str | None = None,
               errors_only: bool = False, limit: int = 20) -> dict[str, Any]:
        raise NotCapturedError("traces were not captured in this snapshot")

    def service_dependencies(self, service: str, namespace: str) -> dict[str, Any]:
        self._check_namespace(namespace)
        recorded = self._cache.get(_key("GetServiceDependencies", {"service_name": service}))
        if recorded is None:
            raise _not_found("services", service)
        return _parse_dependencies(service, str(recorded))

    def check_connectivity(self, service: str, port: int, namespace: str) -> str:
        if not isinstance(port, int) or not 0 < port < 65536:
            raise InvalidArgumentError(f"port must be an integer between 1 and 65535, got {port!r}")
        recorded = self._cache.get(_key("CheckServiceConnectivity", {"namespace": namespace, "service_name": service,
                                                                     "port": port}))
        if recorded is not None:
            return str(recorded)
        ports = sorted(a["port"] for t, a in self._calls if t == "CheckServiceConnectivity"
                       and a.get("service_name") == service and a.get("namespace") == namespace)
        if not ports:
            self._check_namespace(namespace)
            raise _not_found("services", service)
        raise NotCapturedError(f"connectivity to {service}:{port} was not captured in this snapshot; captured "
                               f"port(s) of {service}: {', '.join(map(str, ports))}")

    def alerts(self) -> dict[str, Any]:
        recorded = self._cache.get("GetAlerts:{}", self._alerts)
        if recorded is None:
            raise NotCapturedError("alerts were not captured in this snapshot")
        return dict(recorded) if isinstance(recorded, dict) else {}

    # -- nodes ---------------------------------------------------------------------------------------------------
    def cluster_configuration(self) -> dict[str, Any]:
        recorded = self._cache.get("GetClusterConfiguration:{}")
        if not isinstance(recorded, dict):
            raise NotCapturedError("the cluster configuration was not captured in this snapshot")
        return dict(recorded)

    def node_service_status(self, node: str, component: str) -> str:
        recorded = self._cache.get(_key("CheckNodeServiceStatus", {"node_name": node, "service_name": component}))
        if recorded is not None:
            return str(recorded)
        if node not in self._nodes:
            raise _not_found("nodes", node)
        return f"Unit {component}.service could not be found."

    # -- helpers -------------------------------------------------------------------------------------------------
    def _resource_type(self, resource_type: str) -> str:
        spelling = str(resource_type).strip().lower()
        plural = RESOURCE_TYPES.get(spelling) or RESOURCE_TYPES.get(spelling.split(".", 1)[0])
        if plural is None:
            raise InvalidArgumentError(f'error: the server doesn\'t have a resource type "{resource_type}"')
        return plural

    def _scope(self, plural: str, namespace: str | None) -> str:
        """The namespace of the recorded key: upstream keyed cluster-scoped objects with the app's namespace."""
        if plural in CLUSTER_SCOPED:
            return self.namespace
        return namespace or self.namespace

    def _recorded(self, tool: str, plural: str, namespace: str) -> bool:
        return any(t == tool and a.get("resource_type") == plural and a.get("namespace") == namespace
                   for t, a in self._calls)

    def _captured_types(self, namespace: str) -> list[str]:
        return sorted({str(a["resource_type"]) for t, a in self._calls
                       if t == "GetResources" and a.get("namespace") == namespace})

    def _table(self, recorded: Any, namespace: str, plural: str) -> str:
        text = str(recorded)
        return text if text.strip() else _no_resources(None if plural in CLUSTER_SCOPED else namespace)

    def _select(self, rows: list[str], plural: str, namespace: str, selector_text: str) -> list[str]:
        """The rows whose object's labels (from the recorded `--show-labels` table) match the selector."""
        try:
            selector = parse_label_selector(selector_text)
        except ValueError as exc:
            raise InvalidArgumentError(f"label_selector: {exc}") from exc
        labelled = self._cache.get(_key("GetResources", {"resource_type": plural, "name": "", "namespace": namespace,
                                                         "show_labels": True}))
        if labelled is None:
            raise NotCapturedError(f"the labels of {plural} were not captured in this snapshot, so label_selector "
                                   "cannot be applied")
        labels: dict[str, dict[str, str]] = {}
        for line in str(labelled).splitlines()[1:]:
            cells = line.split()
            if len(cells) >= 2:
                pairs = [p.partition("=") for p in cells[-1].split(",") if "=" in p]
                labels[cells[0]] = {k: v for k, _, v in pairs}
        return [r for r in rows if selector_matches(selector, labels.get(r.split()[0], {}))]

    def _check_namespace(self, namespace: str) -> None:
        if namespace != self.namespace:
            raise NotFoundError(f'Error from server (NotFound): namespaces "{namespace}" not found'
                                if namespace not in self.namespaces() else
                                f"no application workloads in namespace {namespace}; they run in {self.namespace}")

    def _service_of(self, target: str, namespace: str) -> str:
        """The workload a service or pod name belongs to."""
        if target in self._services:
            return target
        owners = [s for s in self._services if target.startswith(s + "-")]
        pods = self._cache.get(_key("GetResources", {"resource_type": "pods", "name": "", "namespace": namespace}))
        listed = {line.split()[0] for line in str(pods or "").splitlines()[1:] if line.strip()}
        if owners and (pods is None or target in listed):
            return max(owners, key=len)
        raise _not_found("pods", target)


class SnapshotWriter:
    """The writer of a replayed cluster: a frozen snapshot cannot change, so every write is refused."""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name not in WRITE_METHODS:
            raise AttributeError(name)

        def refuse(*_args: Any, **_kwargs: Any) -> Any:
            raise ForbiddenError("refused: this cluster is a recorded snapshot (replay:), which is read-only; "
                                 "writes cannot be applied or dry-run here")

        return refuse


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise InvalidArgumentError(f"replay: a recorded file is unreadable ({type(exc).__name__}: "
                                   f"{path.name})") from exc


def _read_metrics(path: Path) -> dict[str, list[float | None]] | None:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return None
    rows = list(csv.DictReader(text.splitlines()))
    columns: dict[str, list[float | None]] = {}
    for row in rows:
        for column, value in row.items():
            if column and column != "time":
                columns.setdefault(column, []).append(_number(value))
    return columns


def _number(value: str | None) -> float | None:
    try:
        number = float(value) if value not in (None, "") else None
    except ValueError:
        return None
    return None if number is None or number != number else round(number, 4)


def _parse_dependencies(service: str, text: str) -> dict[str, Any]:
    """Upstream's `[Service] / [Upstream (Called By)] / [Downstream (Calls)]` text as the simulator's shape:
    `{service, upstream, downstream: [{name, type}]}` (direct callees only)."""
    upstream: list[str] = []
    downstream: list[dict[str, str]] = []
    entry = False
    for line in text.splitlines():
        if line.startswith("[Service]:"):
            entry = "(Entrypoint)" in line
        elif line.startswith("[Upstream (Called By)]:"):
            callers = line.partition(":")[2]
            upstream = [c.strip() for c in callers.split(",") if c.strip() and not c.strip().startswith("(")]
        else:
            match = _DEPENDENCY_CHILD.match(line)
            if match:
                kind = "database" if "(Database)" in match.group(2) else "service"
                downstream.append({"name": match.group(1), "type": kind})
    result: dict[str, Any] = {"service": service, "upstream": upstream, "downstream": downstream}
    if entry:
        result["entrypoint"] = True
    return result
