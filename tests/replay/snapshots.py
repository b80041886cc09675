"""Synthetic Cloud-OpsBench case folders, written into tmp_path (the real data is never copied into the repo).

Every string of a case's `metadata.json` that is not a workload name carries a sentinel (`zqx`) that appears in no
recorded output, so a leak of the answer into any tool result or prompt is found by a plain substring search.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

NS = "shop"
SERVICES = ("cartservice", "frontend", "redis-cart")
NODES = ("master", "worker-01")
SENTINELS = ("zqxcause", "zqxtaxonomy", "zqxobject", "zqxpath", "zqxcategory")
"""Strings only the answer (metadata.json) and the case folder's path contain."""

PODS = {"cartservice": "cartservice-5d8f-abcde", "frontend": "frontend-77c9-fghij",
        "redis-cart": "redis-cart-6b4-klmno"}
PODS_TABLE = ("NAME                     READY   STATUS             RESTARTS      AGE\n"
              "cartservice-5d8f-abcde   0/1     CrashLoopBackOff   5 (20s ago)   3m\n"
              "frontend-77c9-fghij      1/1     Running            0             3m\n"
              "redis-cart-6b4-klmno     1/1     Running            0             3m\n")
PODS_WIDE = ("NAME                     READY   STATUS             RESTARTS      AGE   IP          NODE\n"
             "cartservice-5d8f-abcde   0/1     CrashLoopBackOff   5 (20s ago)   3m    10.0.0.7    worker-01\n"
             "frontend-77c9-fghij      1/1     Running            0             3m    10.0.0.8    worker-01\n"
             "redis-cart-6b4-klmno     1/1     Running            0             3m    10.0.0.9    worker-01\n")
PODS_LABELS = ("NAME                     READY   STATUS             RESTARTS      AGE   LABELS\n"
               "cartservice-5d8f-abcde   0/1     CrashLoopBackOff   5 (20s ago)   3m    app=cartservice,tier=backend\n"
               "frontend-77c9-fghij      1/1     Running            0             3m    app=frontend,tier=web\n"
               "redis-cart-6b4-klmno     1/1     Running            0             3m    app=redis-cart,tier=backend\n")
NODES_TABLE = ("NAME        STATUS   ROLES           AGE   VERSION\n"
               "master      Ready    control-plane   90d   v1.31.2\n"
               "worker-01   Ready    <none>          90d   v1.31.2\n")
EVENTS = ("2m    Warning   BackOff     pod/cartservice-5d8f-abcde   Back-off restarting failed container\n"
          "3m    Normal    Pulled      pod/frontend-77c9-fghij      Container image pulled\n"
          "4m    Warning   Unhealthy   pod/frontend-77c9-fghij      Readiness probe failed\n")
"""Headerless, as some recorded event tables are."""
DESCRIBE_CART = ("Name:         cartservice-5d8f-abcde\nNamespace:    shop\nState:        Waiting\n"
                 "  Reason: CrashLoopBackOff\n")
ALERTS = {"status": "has_anomalies", "alert_count": 1,
          "alerts": [{"type": "Service", "name": "cartservice", "status": "ABNORMAL",
                      "evidence": ["ERROR_RATE [Errors] | cartservice: 40%"]}]}
CONFIG = {"node_count": 2, "nodes": [{"name": "master", "role": "control-plane", "status": "Ready"},
                                     {"name": "worker-01", "role": "worker", "status": "Ready"}]}
DEPENDENCIES = ("[Service]: cartservice\n[Upstream (Called By)]: frontend\n[Downstream (Calls)]:\ncartservice\n"
                "└── redis-cart          <-- (Database)")
ERRORS = {"total_log_count": 10, "total_errors": 4, "total_error_ratio": 0.4,
          "patterns": [{"count": 4, "ratio": 0.4, "sample": "Can't access cart storage"}]}
LOGS = {"cartservice": [f"line {i}" for i in range(1, 8)] + ["ERROR redis timeout"],
        "frontend": ["GET / 200", "GET /cart 500"], "redis-cart": []}
METRICS = ("\ufefftime,cartservice-cpu,cartservice-p50latency,frontend-cpu,worker-01-cpu\n"
           + "".join(f"2025-01-01 00:00:{5 * i:02d},{0.1 * i:.1f},{10 + i},0.5,{20 + i}\n" for i in range(8)))


def key(tool: str, **args: Any) -> str:
    return tool + ":" + json.dumps(args, separators=(",", ":"))


def tool_cache() -> dict[str, Any]:
    cache: dict[str, Any] = {"collection_timestamp": "2025-01-01T00:00:40"}

    def get(resource: str, value: str, name: str = "", **variant: Any) -> None:
        cache[key("GetResources", resource_type=resource, name=name, namespace=NS, **variant)] = value

    get("pods", PODS_TABLE)
    get("pods", PODS_WIDE, output_wide=True)
    get("pods", PODS_LABELS, show_labels=True)
    get("pods", PODS_TABLE.splitlines()[0] + "\n" + PODS_TABLE.splitlines()[1] + "\n", name=PODS["cartservice"])
    get("pods", PODS_TABLE.splitlines()[0] + "\n" + PODS_TABLE.splitlines()[2] + "\n", label_selector="app=frontend")
    get("nodes", NODES_TABLE)
    get("ingresses", "")
    get("events", EVENTS)
    cache[key("DescribeResource", resource_type="pods", name=PODS["cartservice"], namespace=NS)] = DESCRIBE_CART
    cache[key("DescribeResource", resource_type="nodes", name="worker-01", namespace=NS)] = "Name: worker-01\n"
    for service in SERVICES:
        cache[key("GetAppYAML", app_name=service)] = f"kind: Deployment\nmetadata:\n  name: {service}\n"
        cache[key("GetServiceDependencies", service_name=service)] = DEPENDENCIES if service == "cartservice" else (
            f"[Service]: {service}\n[Upstream (Called By)]: (User Traffic)\n[Downstream (Calls)]:\n(None - Leaf)")
        cache[key("CheckServiceConnectivity", namespace=NS, service_name=service, port=7070)] = (
            "Connection Failed" if service == "cartservice" else "Connection Succeeded")
    cache[key("GetErrorLogs", namespace=NS, service_name="cartservice")] = json.dumps(ERRORS)
    cache[key("GetErrorLogs", namespace=NS, service_name="frontend")] = {"total_log_count": 2, "total_errors": 1,
                                                                           "total_error_ratio": 0.5, "patterns": []}
    cache[key("GetErrorLogs", namespace=NS, service_name="redis-cart")] = ""
    for node in NODES:
        for unit in ("kubelet", "containerd"):
            cache[key("CheckNodeServiceStatus", node_name=node, service_name=unit)] = \
                f"Service: {unit}\nNode: {node}\nActive: active (running)"
    cache["GetClusterConfiguration:{}"] = CONFIG
    cache["GetAlerts:{}"] = ALERTS
    return cache


def write_case(root: Path, category: str, case_id: str, *, truth: dict[str, str], logs: bool = True,
               metrics: bool = True, query: str = "Service abnormal restart.") -> Path:
    """One case folder in the Cloud-OpsBench layout."""
    folder = root / category / case_id
    (folder / "raw_data").mkdir(parents=True)
    (folder / "tool_cache.json").write_text(json.dumps(tool_cache()))
    (folder / "raw_data" / "alert.json").write_text(json.dumps(ALERTS))
    if logs:
        (folder / "raw_data" / "logs.json").write_text(json.dumps(LOGS))
    if metrics:
        (folder / "raw_data" / "metrics.csv").write_text(METRICS, encoding="utf-8")
    (folder / "metadata.json").write_text(json.dumps({
        "namespace": NS, "query": query, "result": truth,
        "process": {"path1": ["GetResources::pods", "zqxpath::1"], "path2": ["zqxpath::2"]}}))
    return folder


LABELS = {"valid_objects": {"service": list(SERVICES), "node": list(NODES), "namespace": [NS]},
          "root_causes": [{"name": "oom_killed", "target": "service"},
                          {"name": "liveness_probe_incorrect_port", "target": "service"},
                          {"name": "kubelet_unavailable", "target": "node"},
                          {"name": "namespace_pod_quota_exceeded", "target": "namespace"}]}
