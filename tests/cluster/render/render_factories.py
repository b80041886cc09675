"""Synthetic Kubernetes objects for the renderer tests (shaped like ``kubectl get -o json`` output)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

NOW = datetime(2026, 1, 1, 0, 10, 0, tzinfo=UTC)
NS = "boutique"

_TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
]


def ago(seconds: float) -> str:
    """An RFC3339 timestamp ``seconds`` before ``NOW``."""
    return (NOW - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def container_status(
    name: str = "server",
    *,
    state: dict[str, Any] | None = None,
    ready: bool = True,
    restarts: int = 0,
    last_finished_ago: float | None = None,
    last_reason: str = "Error",
) -> dict[str, Any]:
    status: dict[str, Any] = {
        "name": name,
        "image": f"registry.example/{name}:v1",
        "imageID": f"registry.example/{name}@sha256:abc",
        "containerID": "containerd://0123456789abcdef",
        "state": state if state is not None else {"running": {"startedAt": ago(100)}},
        "ready": ready,
        "started": ready,
        "restartCount": restarts,
    }
    if last_finished_ago is not None:
        status["lastState"] = {
            "terminated": {
                "reason": last_reason,
                "exitCode": 1,
                "startedAt": ago(last_finished_ago + 2),
                "finishedAt": ago(last_finished_ago),
            }
        }
    return status


def waiting(reason: str) -> dict[str, Any]:
    return {"waiting": {"reason": reason}}


def terminated(reason: str = "", exit_code: int = 1, signal: int = 0) -> dict[str, Any]:
    term: dict[str, Any] = {"exitCode": exit_code, "startedAt": ago(60), "finishedAt": ago(30)}
    if reason:
        term["reason"] = reason
    if signal:
        term["signal"] = signal
    return {"terminated": term}


def make_pod(
    name: str = "web-7d4b9c8f6-x2x9z",
    *,
    namespace: str = NS,
    phase: str = "Running",
    statuses: list[dict[str, Any]] | None = None,
    containers: list[dict[str, Any]] | None = None,
    node: str | None = "worker-01",
    ip: str | None = "10.244.1.7",
    age: float = 120,
    labels: dict[str, str] | None = None,
    ready_condition: bool | None = None,
) -> dict[str, Any]:
    """A pod owned by a replica set; by default one ready, running ``server`` container."""
    statuses = [container_status()] if statuses is None else statuses
    containers = containers or [{"name": s["name"], "image": s["image"]} for s in statuses] or [{"name": "server"}]
    all_ready = all(s.get("ready") for s in statuses) and bool(statuses)
    is_ready = all_ready if ready_condition is None else ready_condition
    status: dict[str, Any] = {
        "phase": phase,
        "conditions": [
            {"type": "Initialized", "status": "True"},
            {"type": "Ready", "status": "True" if is_ready else "False"},
            {"type": "PodScheduled", "status": "True" if node else "False"},
        ],
        "containerStatuses": statuses,
        "qosClass": "BestEffort",
    }
    if node:
        status["hostIP"] = "192.168.0.11"
        status["startTime"] = ago(age)
    if ip:
        status["podIP"] = ip
        status["podIPs"] = [{"ip": ip}]
    spec: dict[str, Any] = {"containers": containers, "serviceAccountName": "default", "tolerations": _TOLERATIONS}
    if node:
        spec["nodeName"] = node
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": f"uid-{name}",
            "creationTimestamp": ago(age),
            "labels": labels if labels is not None else {"app": name.split("-")[0]},
            "ownerReferences": [
                {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": name.rsplit("-", 1)[0], "controller": True}
            ],
        },
        "spec": spec,
        "status": status,
    }


def make_node(
    name: str = "worker-01",
    *,
    ready: bool = True,
    unschedulable: bool = False,
    role: str = "node",
    cpu: str = "4",
    memory: str = "8Gi",
    age: float = 86400 * 30,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"podCIDR": "10.244.1.0/24", "podCIDRs": ["10.244.1.0/24"]}
    if unschedulable:
        spec["unschedulable"] = True
        spec["taints"] = [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}]
    heartbeat = ago(20)
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "uid": f"uid-{name}",
            "creationTimestamp": ago(age),
            "labels": {"kubernetes.io/hostname": name, "kubernetes.io/role": role},
        },
        "spec": spec,
        "status": {
            "conditions": [
                {
                    "type": "MemoryPressure",
                    "status": "False",
                    "lastHeartbeatTime": heartbeat,
                    "lastTransitionTime": ago(age),
                    "reason": "KubeletHasSufficientMemory",
                    "message": "kubelet has sufficient memory available",
                },
                {
                    "type": "Ready",
                    "status": "True" if ready else "Unknown",
                    "lastHeartbeatTime": heartbeat,
                    "lastTransitionTime": ago(age),
                    "reason": "KubeletReady" if ready else "NodeStatusUnknown",
                    "message": "kubelet is posting ready status" if ready else "Kubelet stopped posting node status.",
                },
            ],
            "addresses": [{"type": "InternalIP", "address": "192.168.0.11"}, {"type": "Hostname", "address": name}],
            "capacity": {"cpu": cpu, "memory": memory, "pods": "110"},
            "allocatable": {"cpu": cpu, "memory": memory, "pods": "110"},
            "nodeInfo": {
                "machineID": "m-1",
                "systemUUID": "s-1",
                "bootID": "b-1",
                "kernelVersion": "5.15.0-138-generic",
                "osImage": "Ubuntu 22.04.5 LTS",
                "operatingSystem": "linux",
                "architecture": "amd64",
                "containerRuntimeVersion": "containerd://1.7.23",
                "kubeletVersion": "v1.31.2",
                "kubeProxyVersion": "v1.31.2",
            },
        },
    }


def make_event(
    obj: dict[str, Any],
    reason: str,
    message: str,
    *,
    type_: str = "Normal",
    count: int = 1,
    first_ago: float = 60,
    last_ago: float | None = None,
    component: str = "kubelet",
    name: str | None = None,
) -> dict[str, Any]:
    md = obj["metadata"]
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": name or f"{md['name']}.{int(first_ago):08x}",
            "namespace": md.get("namespace") or "default",
        },
        "involvedObject": {
            "kind": obj["kind"],
            "name": md["name"],
            "namespace": md.get("namespace", ""),
            "uid": md.get("uid", ""),
        },
        "reason": reason,
        "message": message,
        "type": type_,
        "count": count,
        "firstTimestamp": ago(first_ago),
        "lastTimestamp": ago(first_ago if last_ago is None else last_ago),
        "source": {"component": component},
    }


def template(app: str, image: str = "registry.example/web:v1") -> dict[str, Any]:
    return {
        "metadata": {"labels": {"app": app}},
        "spec": {
            "containers": [
                {
                    "name": "server",
                    "image": image,
                    "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                    "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
                }
            ]
        },
    }


def make_deployment(app: str = "web", *, replicas: int = 2, ready: int = 2, age: float = 600) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": app,
            "namespace": NS,
            "uid": f"uid-deploy-{app}",
            "creationTimestamp": ago(age),
            "labels": {"app": app},
            "annotations": {"deployment.kubernetes.io/revision": "2"},
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": app}},
            "template": template(app),
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
        },
        "status": {
            "replicas": replicas,
            "updatedReplicas": replicas,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "unavailableReplicas": replicas - ready,
            "conditions": [
                {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"},
            ],
        },
    }


def make_replicaset(deployment: dict[str, Any], suffix: str, *, image: str | None = None, replicas: int = 2) -> dict:
    app = deployment["metadata"]["name"]
    tpl = copy.deepcopy(deployment["spec"]["template"])
    if image:
        tpl["spec"]["containers"][0]["image"] = image
    tpl["metadata"]["labels"]["pod-template-hash"] = suffix
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": f"{app}-{suffix}",
            "namespace": NS,
            "uid": f"uid-rs-{suffix}",
            "creationTimestamp": ago(500),
            "labels": {"app": app, "pod-template-hash": suffix},
            "ownerReferences": [
                {"kind": "Deployment", "name": app, "uid": deployment["metadata"]["uid"], "controller": True}
            ],
        },
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": app, "pod-template-hash": suffix}},
                 "template": tpl},
        "status": {"replicas": replicas, "readyReplicas": replicas},
    }  # fmt: skip


def make_service(name: str = "web", *, port: int = 80, target: int = 8080, node_port: int | None = None) -> dict:
    ports: dict[str, Any] = {"name": "http", "port": port, "targetPort": target, "protocol": "TCP"}
    if node_port:
        ports["nodePort"] = node_port
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": NS, "uid": f"uid-svc-{name}", "creationTimestamp": ago(600),
                     "labels": {"app": name}},
        "spec": {
            "type": "NodePort" if node_port else "ClusterIP",
            "selector": {"app": name},
            "clusterIP": "10.96.0.10",
            "clusterIPs": ["10.96.0.10"],
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "ports": [ports],
            "sessionAffinity": "None",
            "internalTrafficPolicy": "Cluster",
        },
    }  # fmt: skip


def make_endpoints(
    name: str = "web", *, ready: Sequence[str] = (), not_ready: Sequence[str] = (), port: int = 8080
) -> dict:
    subsets = []
    if ready or not_ready:
        subset: dict[str, Any] = {"ports": [{"name": "http", "port": port, "protocol": "TCP"}]}
        if ready:
            subset["addresses"] = [{"ip": ip} for ip in ready]
        if not_ready:
            subset["notReadyAddresses"] = [{"ip": ip} for ip in not_ready]
        subsets.append(subset)
    return {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": name, "namespace": NS, "creationTimestamp": ago(600), "labels": {"app": name}},
        "subsets": subsets,
    }
