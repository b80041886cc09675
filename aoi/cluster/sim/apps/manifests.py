"""Turn an `AppSpec` into the Kubernetes objects a real deployment of it creates.

Infrastructure (nodes, namespaces, storage class) gets creation times in the past, as on a long-lived cluster;
the application's own objects are created "now", when the simulation deploys it.
"""

from __future__ import annotations

import json
from typing import Any

from aoi.cluster.sim.apps.model import AppSpec, Component, NodeSpec
from aoi.cluster.sim.flags import FLAG_DEFAULTS

MONGO_ADMIN_SECRET = "mongodb-admin"
STORAGE_CLASS = "standard"


def node_object(spec: NodeSpec, version: str) -> dict[str, Any]:
    labels = {
        "beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": spec.name, "kubernetes.io/os": "linux", **dict(spec.labels),
    }
    allocatable = {"cpu": str(spec.cpu), "memory": f"{spec.memory_ki}Ki", "pods": "110",
                   "ephemeral-storage": "94580335255", "hugepages-1Gi": "0", "hugepages-2Mi": "0"}
    return {
        "kind": "Node",
        "metadata": {"name": spec.name, "labels": labels,
                     "annotations": {"node.alpha.kubernetes.io/ttl": "0",
                                     "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
        "spec": {"podCIDR": "", "unschedulable": spec.unschedulable or None,
                 "taints": [{"key": k, "value": v or None, "effect": e} for k, v, e in spec.taints] or None},
        "status": {
            "capacity": {**allocatable, "memory": f"{spec.memory_ki + 102_400}Ki",
                         "ephemeral-storage": "102626232Ki"},
            "allocatable": allocatable,
            "addresses": [{"type": "InternalIP", "address": spec.ip}, {"type": "Hostname", "address": spec.name}],
            "conditions": [],
            "nodeInfo": {"kubeletVersion": version, "kubeProxyVersion": version,
                         "containerRuntimeVersion": "containerd://1.7.22", "osImage": "Ubuntu 22.04.4 LTS",
                         "kernelVersion": "5.15.0-122-generic", "operatingSystem": "linux", "architecture": "amd64",
                         "machineID": "", "systemUUID": "", "bootID": ""},
        },
    }


def app_objects(app: AppSpec) -> list[dict[str, Any]]:
    """Namespace-scoped objects (and the PVs backing its claims) in creation order."""
    ns = app.namespace
    objects: list[dict[str, Any]] = [
        {"kind": "ServiceAccount", "metadata": {"name": "default", "namespace": ns}},
        {"kind": "ConfigMap", "metadata": {"name": "kube-root-ca.crt", "namespace": ns},
         "data": {"ca.crt": "-----BEGIN CERTIFICATE-----\nMIIC/jCCAeagAwIBAgIBADANBgkqhkiG9w0BAQsFADAV\n"
                            "-----END CERTIFICATE-----\n"}},
    ]
    if any(c.kind == "mongodb" for c in app.components):
        objects.append({"kind": "Secret", "metadata": {"name": MONGO_ADMIN_SECRET, "namespace": ns}, "type": "Opaque",
                        "data": {"username": "YWRtaW4=", "password": "YWRtaW4="}})
    if app.name == "astronomy-shop":
        objects.append(flagd_configmap(ns))
    for comp in app.components:
        if comp.pvc:
            objects.extend(_volume_objects(app, comp))
        if app.name == "online-boutique" and comp.kind != "redis":
            objects.append({"kind": "ServiceAccount", "metadata": {"name": comp.name, "namespace": ns}})
        objects.append(deployment(app, comp))
        if comp.port is not None:
            objects.append(service(app, comp))
    return objects


def deployment(app: AppSpec, comp: Component) -> dict[str, Any]:
    labels = {app.label_key: comp.name}
    container: dict[str, Any] = {
        "name": comp.container, "image": comp.image, "imagePullPolicy": "IfNotPresent",
        "resources": _resources(comp), "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }
    if comp.command:
        container["command"] = list(comp.command)
    if comp.container_port is not None:
        container["ports"] = [{"containerPort": comp.container_port, "protocol": "TCP"}]
    env = [{"name": k, "value": v} for k, v in comp.env]
    if comp.kind == "mongodb":
        env += [{"name": "MONGO_INITDB_ROOT_USERNAME", "valueFrom": {"secretKeyRef": {
                    "name": MONGO_ADMIN_SECRET, "key": "username"}}},
                {"name": "MONGO_INITDB_ROOT_PASSWORD", "valueFrom": {"secretKeyRef": {
                    "name": MONGO_ADMIN_SECRET, "key": "password"}}}]
    if env:
        container["env"] = env
    if comp.probe and comp.container_port:
        probe = _probe(comp)
        container["readinessProbe"] = probe
        container["livenessProbe"] = dict(probe)
    pod_spec: dict[str, Any] = {"containers": [container], "restartPolicy": "Always",
                                "terminationGracePeriodSeconds": 5 if app.name == "online-boutique" else 30,
                                "dnsPolicy": "ClusterFirst", "schedulerName": "default-scheduler"}
    if app.name == "online-boutique" and comp.kind != "redis":
        pod_spec["serviceAccountName"] = comp.name
    if comp.pvc:
        container["volumeMounts"] = [{"name": f"{comp.name}-data", "mountPath": comp.mount_path}]
        pod_spec["volumes"] = [{"name": f"{comp.name}-data", "persistentVolumeClaim": {"claimName": comp.pvc}}]
    return {
        "kind": "Deployment",
        "metadata": {"name": comp.name, "namespace": app.namespace, "labels": dict(labels),
                     "annotations": {"deployment.kubernetes.io/revision": "1"}},
        "spec": {
            "replicas": comp.replicas, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
            "selector": {"matchLabels": dict(labels)},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": {"metadata": {"labels": dict(labels)}, "spec": pod_spec},
        },
        "status": {},
    }


def service(app: AppSpec, comp: Component) -> dict[str, Any]:
    assert comp.port is not None
    return {
        "kind": "Service",
        "metadata": {"name": comp.name, "namespace": app.namespace, "labels": {app.label_key: comp.name}},
        "spec": {"type": "ClusterIP", "selector": {app.label_key: comp.name}, "sessionAffinity": "None",
                 "ports": [{"name": comp.port_name or str(comp.port), "port": comp.port,
                            "targetPort": comp.container_port, "protocol": "TCP"}]},
        "status": {"loadBalancer": {}},
    }


def flagd_configmap(namespace: str) -> dict[str, Any]:
    """The OpenTelemetry demo's feature flags, all off: AstronomyShop faults switch one on."""
    flags = {name: {"state": "ENABLED", "variants": variants, "defaultVariant": default}
             for name, (variants, default) in FLAG_DEFAULTS.items()}
    return {"kind": "ConfigMap", "metadata": {"name": "flagd-config", "namespace": namespace,
                                              "labels": {"app.kubernetes.io/part-of": "opentelemetry-demo"}},
            "data": {"demo.flagd.json": json.dumps({"$schema": "https://flagd.dev/schema/v0/flags.json",
                                                    "flags": flags}, indent=2, sort_keys=True)}}


def storage_class() -> dict[str, Any]:
    return {"kind": "StorageClass", "metadata": {"name": STORAGE_CLASS, "annotations": {
        "storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": "rancher.io/local-path", "reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer"}


def _volume_objects(app: AppSpec, comp: Component) -> list[dict[str, Any]]:
    assert comp.pvc
    pv_name = comp.pvc.removesuffix("-pvc") + "-pv"
    pv = {"kind": "PersistentVolume", "metadata": {"name": pv_name},
          "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                   "persistentVolumeReclaimPolicy": "Retain", "storageClassName": "", "volumeMode": "Filesystem",
                   "hostPath": {"path": f"/mnt/data/{comp.name}", "type": "DirectoryOrCreate"}},
          "status": {"phase": "Available"}}
    pvc = {"kind": "PersistentVolumeClaim", "metadata": {"name": comp.pvc, "namespace": app.namespace},
           "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                    "storageClassName": "", "volumeMode": "Filesystem"},
           "status": {"phase": "Pending"}}
    return [pv, pvc]


def _resources(comp: Component) -> dict[str, Any]:
    res: dict[str, Any] = {"requests": {"cpu": f"{comp.cpu_request_m}m", "memory": f"{comp.mem_request_mi}Mi"}}
    limits = {}
    if comp.cpu_limit_m:
        limits["cpu"] = f"{comp.cpu_limit_m}m"
    if comp.mem_limit_mi:
        limits["memory"] = f"{comp.mem_limit_mi}Mi"
    if limits:
        res["limits"] = limits
    return res


def _probe(comp: Component) -> dict[str, Any]:
    port = comp.container_port
    action: dict[str, Any]
    if comp.probe == "grpc":
        action = {"grpc": {"port": port, "service": ""}}
    elif comp.probe == "http":
        action = {"httpGet": {"path": comp.probe_path, "port": port, "scheme": "HTTP"}}
    else:
        action = {"tcpSocket": {"port": port}}
    return {**action, "initialDelaySeconds": max(5, comp.startup_seconds + 5), "periodSeconds": 10,
            "timeoutSeconds": 1, "successThreshold": 1,
            "failureThreshold": 3}
