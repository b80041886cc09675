"""Cloud-OpsBench's 40 Kubernetes root causes as faults of the simulated cluster.

Each fault changes what the real one changes — a ResourceQuota object, a Deployment's pod template, a PVC, a
Service, a node daemon, a chaos experiment — and then replaces the workload's pods the way Cloud-OpsBench
applies a fault (delete and re-apply the manifest), so the new pods meet the broken spec with no old pod still
serving. The evidence (FailedCreate / FailedScheduling / Unhealthy events, waiting reasons, restarts, empty
endpoints, callers' error lines, latency) is produced by the controllers, scheduler, kubelet and traffic model.

Targets follow the benchmark: adservice for most service faults, cartservice for the cordon / node-capacity /
env-var faults, redis-cart for the volume faults, worker-01/02 for node faults, master for kube-scheduler and
the namespace (target "") for the quota faults.
"""

from __future__ import annotations

import copy
import math
from abc import abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from aoi.cluster.interface import ClusterWriter
from aoi.cluster.sim.apps.catalog import get_app
from aoi.cluster.sim.apps.manifests import app_objects
from aoi.cluster.sim.apps.model import Component
from aoi.cluster.sim.controllers import active, mark_deleted, owned_by, pod_requests, quota_usage
from aoi.cluster.sim.faults.base import Fault, GroundTruth
from aoi.cluster.sim.faults.predicates import all_pods_healthy
from aoi.cluster.sim.network import active_chaos, connect
from aoi.cluster.sim.programs import (
    PRIVATE_REGISTRY,
    PRIVATE_REGISTRY_LOGIN,
    UNRESOLVABLE_REGISTRIES,
    docker_config,
)
from aoi.cluster.sim.quantity import bytes_of, format_cpu, format_memory
from aoi.cluster.sim.state import PodChaos

if TYPE_CHECKING:
    from aoi.cluster.sim.engine import Engine

ADMISSION = "Admission_Fault"
SCHEDULING = "Scheduling_Fault"
STARTUP = "Startup_Fault"
RUNTIME = "Runtime_Fault"
ROUTING = "Service_Routing_Fault"
PERFORMANCE = "Performance_Fault"
INFRASTRUCTURE = "Infrastructure_Fault"

_ALL_APPS = ("online-boutique", "hotel-reservation", "social-network", "astronomy-shop")
_VOLUME_APPS = ("online-boutique", "hotel-reservation")
"""Apps with a workload that mounts a PersistentVolumeClaim."""

_SERVICE = {"online-boutique": "adservice", "hotel-reservation": "recommendation", "social-network": "text-service",
            "astronomy-shop": "ad"}
_CART = {**_SERVICE, "online-boutique": "cartservice"}
_VOLUME = {"online-boutique": "redis-cart", "hotel-reservation": "mongodb-geo"}
_ENV_CALLER = {"online-boutique": "cartservice", "astronomy-shop": "checkout"}
"""A workload that finds a dependency through an address environment variable."""
_KIND_NODES = ("hotel-reservation", "social-network", "astronomy-shop")
_WORKER_1 = {"online-boutique": "worker-01", **dict.fromkeys(_KIND_NODES, "kind-worker")}
_WORKER_2 = {"online-boutique": "worker-02", **dict.fromkeys(_KIND_NODES, "kind-worker2")}
_CONTROL_PLANE = {"online-boutique": "master", **dict.fromkeys(_KIND_NODES, "kind-control-plane")}
_NAMESPACE = dict.fromkeys(_ALL_APPS, "")

HOSTNAME = "kubernetes.io/hostname"
SANDBOX_LIMIT = "5Mi"
"""A memory limit too small for the container runtime's init process (the benchmark's oom_killed setting)."""


# -- state helpers -------------------------------------------------------------------------------------------------
def _ns(engine: Engine) -> str:
    return engine.state.app.namespace


def _deployment(engine: Engine, name: str) -> dict[str, Any]:
    dep = engine.state.store.get("Deployment", _ns(engine), name)
    if dep is None:
        raise ValueError(f"no deployment {name!r} in namespace {_ns(engine)}")
    return dep


def _component(engine: Engine, name: str) -> Component:
    return engine.state.app.component(name)


def _manifest(app: str, kind: str, name: str) -> dict[str, Any]:
    """The object as the app's manifests define it (the spec a fix restores)."""
    return next(o for o in app_objects(get_app(app)) if o["kind"] == kind and o["metadata"]["name"] == name)


def _pods_of(engine: Engine, component: str) -> list[dict[str, Any]]:
    state = engine.state
    return [p for p in state.store.list("Pod", _ns(engine)) if active(p)
            and (p["metadata"].get("labels") or {}).get(state.app.label_key) == component]


def _pods_on(engine: Engine, node: str) -> list[dict[str, Any]]:
    return [p for p in engine.state.store.list("Pod", _ns(engine)) if active(p) and p["spec"].get("nodeName") == node]


def redeploy(engine: Engine, name: str) -> None:
    """Replace a workload's pods the way `kubectl delete` + `kubectl apply` does: the running pods go now and the
    current template is rolled out from zero replicas, so no pod of the old spec keeps serving."""
    state = engine.state
    dep = _deployment(engine, name)
    sets = [rs for rs in state.store.list("ReplicaSet", _ns(engine)) if owned_by(rs, dep)]
    for rs in sets:
        if int(rs["spec"].get("replicas", 0)):
            rs["spec"]["replicas"] = 0
            state.store.touch(rs)
    for pod in state.store.list("Pod", _ns(engine)):
        if any(owned_by(pod, rs) for rs in sets):
            mark_deleted(state, pod)


def _edit_template(engine: Engine, name: str, edit: Callable[[dict[str, Any], dict[str, Any]], None]) -> None:
    """Change a Deployment's pod template (pod spec, first container) and redeploy it."""
    dep = _deployment(engine, name)
    spec = dep["spec"]["template"]["spec"]
    edit(spec, spec["containers"][0])
    engine.state.store.touch(dep)
    redeploy(engine, name)


def app_healthy(engine: Engine) -> bool:
    """Every pod of the app healthy (AIOpsLab's oracle) and every Deployment at its desired availability — a
    pod the API server refused to create never shows up as an unhealthy pod."""
    state = engine.state
    ns = _ns(engine)
    return all_pods_healthy(state, ns) and all(
        int(d.get("status", {}).get("availableReplicas", 0)) >= int(d["spec"].get("replicas", 1))
        for d in state.store.list("Deployment", ns))


def _reachable(engine: Engine, address: str, default_port: int) -> bool:
    return connect(engine.state, _ns(engine), address, default_port, None).ok


def _restore_paths(app: str, workload: str, paths: tuple[str, ...], current: dict[str, Any]) -> list[dict[str, Any]]:
    """A JSON patch that puts the given pod-spec paths (`containers/0/livenessProbe`, `affinity`) back to the
    manifest's values, removing what the manifest does not set."""
    original = _manifest(app, "Deployment", workload)["spec"]["template"]["spec"]
    ops = []
    for path in paths:
        want, have = _lookup(original, path), _lookup(current, path)
        pointer = f"/spec/template/spec/{path}"
        if want is None and have is not None:
            ops.append({"op": "remove", "path": pointer})
        elif want is not None and want != have:
            ops.append({"op": "add", "path": pointer, "value": copy.deepcopy(want)})
    return ops


def _lookup(doc: Any, path: str) -> Any:
    for token in path.split("/"):
        if isinstance(doc, list):
            doc = doc[int(token)] if int(token) < len(doc) else None
        elif isinstance(doc, dict):
            doc = doc.get(token)
        if doc is None:
            return None
    return doc


# -- bases ---------------------------------------------------------------------------------------------------------
class K8sFault(Fault):
    """A Cloud-OpsBench root cause: `fault_type` is its code, `system_level` its taxonomy."""

    apps: ClassVar[tuple[str, ...]] = _ALL_APPS
    default_targets: ClassVar[dict[str, str]] = _SERVICE

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "family" in cls.__dict__:
            cls.fault_type = cls.family

    def workload(self) -> str:
        """The Deployment whose pods the fault breaks."""
        return self.target

    def is_mitigated(self, engine: Engine) -> bool:
        return self.spec_fixed(engine) and app_healthy(engine)

    def spec_fixed(self, engine: Engine) -> bool:
        """The part of the predicate that healthy pods alone do not show (a Service, a probe, a node)."""
        return True

    def wrong_mitigation(self, cluster: ClusterWriter, engine: Engine) -> None:
        """Restarting the broken workload: the reflex that changes nothing, since the new pods meet the same cause."""
        cluster.rollout_restart("deployment", self.workload(), _ns(engine))


class TemplateFault(K8sFault):
    """A broken field of a workload's pod template; the fix puts the manifest's value back."""

    paths: ClassVar[tuple[str, ...]]
    """Pod-spec paths the fault changes, e.g. `affinity` or `containers/0/livenessProbe`."""

    def inject(self, engine: Engine) -> None:
        _edit_template(engine, self.workload(), lambda spec, c: self.edit(engine, spec, c))

    @abstractmethod
    def edit(self, engine: Engine, spec: dict[str, Any], container: dict[str, Any]) -> None:
        """Break the pod spec (and its first container) in place."""

    def mitigate(self, cluster: ClusterWriter, engine: Engine) -> None:
        current = _deployment(engine, self.workload())["spec"]["template"]["spec"]
        ops = _restore_paths(self.app, self.workload(), self.paths, current)
        cluster.patch("deployment", self.workload(), _ns(engine), ops, patch_type="json")


class NamespaceFault(K8sFault):
    """A fault of the namespace as a whole (its ResourceQuotas); the workload that meets it is the victim."""

    default_targets: ClassVar[dict[str, str]] = _NAMESPACE
    victims: ClassVar[dict[str, str]] = _SERVICE

    def workload(self) -> str:
        return self.victims[self.app]

    def ground_truth(self) -> GroundTruth:
        ns = get_app(self.app).namespace
        return GroundTruth((ns,), self.system_level, self.fault_type, f"namespace/{ns}")


# -- Admission -----------------------------------------------------------------------------------------------------
class QuotaFault(NamespaceFault):
    """A ResourceQuota that the namespace already fills: the victim's replacement pod is refused at admission
    (`exceeded quota`), so the workload has no pod at all."""

    system_level = ADMISSION
    quota_name: ClassVar[str]
    resource: ClassVar[str]
    relaxed: ClassVar[str]
    """The hard limit the fix raises the quota to."""

    def inject(self, engine: Engine) -> None:
        state = engine.state
        victim = _deployment(engine, self.workload())["spec"]["template"]["spec"]
        used = quota_usage(state, _ns(engine))[self.resource]
        own = {"pods": 1, **pod_requests(victim)}[self.resource]
        # Exactly what the other pods use: admitted as it is, but no room for the victim's next pod.
        hard = used - own * len(_pods_of(engine, self.workload()))
        state.store.create({"kind": "ResourceQuota", "metadata": {"name": self.quota_name, "namespace": _ns(engine)},
                            "spec": {"hard": {self.resource: _quantity(self.resource, hard)}}})
        redeploy(engine, self.workload())

    def mitigate(self, cluster: ClusterWriter, engine: Engine) -> None:
        cluster.patch("resourcequota", self.quota_name, _ns(engine), {"spec": {"hard": {self.resource: self.relaxed}}})


def _quantity(resource: str, value: int) -> str:
    if resource.endswith("cpu"):
        return format_cpu(max(value, 0))
    if resource.endswith(("memory", "storage")):
        return format_memory(max(value, 0)) if value > 0 else "0"
    return str(max(value, 0))


class NamespaceCpuQuotaExceeded(QuotaFault):
    family = "namespace_cpu_quota_exceeded"
    description = "A requests.cpu ResourceQuota the namespace already uses up refuses the redeployed pod."
    quota_name, resource, relaxed = "cpu-quota", "requests.cpu", "16"


class NamespaceMemoryQuotaExceeded(QuotaFault):
    family = "namespace_memory_quota_exceeded"
    description = "A requests.memory ResourceQuota the namespace already uses up refuses the redeployed pod."
    quota_name, resource, relaxed = "memory-quota", "requests.memory", "16Gi"


class NamespacePodQuotaExceeded(QuotaFault):
    family = "namespace_pod_quota_exceeded"
    description = "A pod-count ResourceQuota at the namespace's current pod count refuses the redeployed pod."
    quota_name, resource, relaxed = "pod-count-quota", "pods", "50"


class NamespaceServiceQuotaExceeded(NamespaceFault):
    family = "namespace_service_quota_exceeded"
    system_level = ADMISSION
    description = ("A services ResourceQuota at the namespace's count refuses re-creating a Service: callers cannot "
                   "resolve its name.")

    def inject(self, engine: Engine) -> None:
        state, ns = engine.state, _ns(engine)
        state.store.delete("Service", ns, self.workload())
        state.store.create({"kind": "ResourceQuota", "metadata": {"name": "service-count-quota", "namespace": ns},
                            "spec": {"hard": {"services": str(len(state.store.list("Service", ns)))}}})

    def spec_fixed(self, engine: Engine) -> bool:
        port = _component(engine, self.workload()).port or 0
        return _reachable(engine, f"{self.workload()}:{port}", port)

    def mitigate(self, cluster: ClusterWriter, engine: Engine) -> None:
        ns = _ns(engine)
        cluster.patch("resourcequota", "service-count-quota", ns, {"spec": {"hard": {"services": "50"}}})
        cluster.apply(_manifest(self.app, "Service", self.workload()))


class NamespaceStorageQuotaExceeded(NamespaceFault):
    family = "namespace_storage_quota_exceeded"
    system_level = ADMISSION
    apps = _VOLUME_APPS
    victims = _VOLUME
    description = ("A requests.storage ResourceQuota smaller than the claim refuses re-creating a PVC: the pod that "
                   "mounts it stays Pending.")

    def inject(self, engine: Engine) -> None:
        state, ns = engine.state, _ns(engine)
        claim = _component(engine, self.workload()).pvc or ""
        pvc = state.store.get("PersistentVolumeClaim", ns, claim)
        size = bytes_of((pvc or {}).get("spec", {}).get("resources", {}).get("requests", {}).get("storage"))
        _drop_claim(engine, claim)
        state.store.create({"kind": "ResourceQuota", "metadata": {"name": "storage-quota", "namespace": ns},
                            "spec": {"hard": {"requests.storage": format_memory(size // 2)}}})
        redeploy(engine, self.workload())

    def spec_fixed(self, engine: Engine) -> bool:
        return _claim_bound(engine, self.workload())

    def mitigate(self, cluster: ClusterWriter, engine: Engine) -> None:
        cluster.patch("resourcequota", "storage-quota", _ns(engine), {"spec": {"hard": {"requests.storage": "50Gi"}}})
        cluster.apply(_manifest(self.app, "PersistentVolumeClaim", _component(engine, self.workload()).pvc or ""))


class MissingServiceAccount(K8sFault):
    family = "missing_service_account"
    system_level = ADMISSION
    description = "The workload's ServiceAccount is gone: the ServiceAccount admission plugin refuses its pods."

    def _account(self, engine: Engine) -> str:
        spec = _deployment(engine, self.workload())["spec"]["template"]["spec"]
        return spec.get("serviceAccountName") or self.workload()

    def inject(self, engine: Engine) -> None:
        state, ns = engine.state, _ns(engine)
        dep = _deployment(engine, self.workload())
        spec = dep["spec"]["template"]["spec"]
        if spec.get("serviceAccountName") in (None, "default"):
            # Apps whose pods run as `default` get a template naming an account that was never created.
            spec["serviceAccountName"] = self.workload()
            state.store.touch(dep)
        state.store.delete("ServiceAccount", ns, self._account(engine))
        redeploy(engine, self.workload())

    def mitigate(self, cluster: ClusterWriter, engine: Engine) -> None:
        cluster.apply({"kind": "ServiceAccount", "metadata": {"name": self._account(engine), "namespace": _ns(engine)}})


# -- Scheduling ----------------------------------------------------------------------------------------------------
class NodeCordoned(K8sFault):
    family = "node_cordoned"
    system_level = SCHEDULING
    default_targets = _CART
    description = "Every worker node is cordoned: the redeployed pod stays Pending (node(s) were unschedulable)."
    variants: ClassVar[dict[str, str]] = {
        "all-workers": "Every worker is cordoned: FailedScheduling says every node was unschedulable.",
        "pinned": ("The workload is pinned by a kubernetes.io/hostname nodeSelector to the worker it ran on, and that "
                   "worker is cordoned (drained for maintenance): 1 node unschedulable, the others didn't match the "
                   "selector."),
    }

    def _workers(self, engine: Engine) -> list[str]:
        return [n.name for n in engine.state.app.nodes if n.role == "worker"]

    def _cordoned(self, engine: Engine) -> list[str]:
        """The nodes this fault cordons: every worker, or the one the workload is pinned to."""
        if self.variant == "all-workers":
            return self._workers(engine)
        spec = _deployment(engine, self.workload())["spec"]["template"]["spec"]
        pinned = (spec.get("nodeSelector") or {}).get(HOSTNAME)
        if pinned is None:  # before injection: the worker the workload runs on
            pinned = next((p["spec"]["nodeName"] for p in _pods_of(engine, self.workload())
                           if p["spec"].get("nodeName") in self._workers(engine)), self._workers(engine)[0])
        return [pinned]

    def inject(self, engine: Engine) -> None:
        store = engine.state.store
        cordoned = self._cordoned(engine)
        for name in cordoned:
            node = store.get("Node", None, name)
            node["spec"]["unschedulable"] = True
            store.touch(node)
        if self.variant == "pinned":
            dep = _deployment(engine, self.workload())
            dep["spec"]["template"]["spec"]["nodeSelector"] = {HOSTNAME: cordoned[0]}
            store.touch(dep)
        redeploy(engine, self.workload())

    def mitigate(self, cluster: ClusterWriter, engine: Engine) -> None:
        for name in self._cordoned(engine):
            cluster.uncordon(name)


class NodeAffinityMismatch(TemplateFault):
    family = "node_affinity_mismatch"
    system_level = SCHEDULING
    paths = ("affinity",)
    description = "A required node affinity on a label no node has: the pod stays Pending."

    def edit(self, engine: Engine, spec: dict[str, Any], container: dict[str, Any]) -> None:
        spec["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "environment", "operator": "In", "values": ["production", "canary"]}]}]}}}


class NodeSelectorMismatch(TemplateFault):
    family = "node_selector_mismatch"
    system_level = SCHEDULING
    paths = ("nodeSelector",)
    description = "A nodeSelector with a misspelt label key (disktype instead of disk-type): the pod stays Pending."

    def edit(self, engine: Engine, spec: dict[str, Any], container: dict[str, Any]) -> None:
        spec["nodeSelector"] = {"disktype": "ssd"}


class PodAntiAffinityConflict(TemplateFault):
    family = "pod_anti_affinity_conflict"
    system_level = SCHEDULING
    paths = ("affinity",)
    description = ("Required anti-affinity to its own pods on every host, with more replicas than schedulable nodes: "
                   "the surplus replica stays Pending.")

    def inject(self, engine: Engine) -> None:
        dep = _deployment(engine, self.workload())
        workers = [n for n in engine.state.store.list("Node") if not n["spec"].get("unschedulable")
                   and not any(t["effect"] == "NoSchedule" for t in n["spec"].get("taints") or [])]
        dep["spec"]["replicas"] = len(workers) + 1
        super().inject(engine)

    def edit(self, engine: Engine, spec: dict[str, Any], container: dict[str, Any]) -> None:
        key = engine.state.app.label_key
        spec["affinity"] = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{
            "labelSelector": {"matchLabels": {key: self.workload()}}, "topologyKey": "kubernetes.io/hostname"}]}}

    def mitigate(self, cluster: ClusterWriter, engine: Engine) -> None:
        super().mitigate(cluster, engine)
        replicas = _manifest(self.app, "Deployment", self.workload())["spec"]["replicas"]
        cluster.scale("deployment", self.workload(), _ns(engine), replicas)


class TaintTolerationMismatch(K8sFault):
    family = "taint_toleration_mismatch"
    system_level = SCHEDULING
    description = "Every worker carries a NoSchedule taint the workload does not tolerate: its pod stays Pending."
    taint: ClassVar[dict[str, str]] = {"key": "dedicated", "value": "infra", "effect": "NoSchedule"}

    def inject(self, engine: Engine) -> None:
        store = engine.state.store
        for spec in engine.state.app.nodes:
            if spec.role == "worker":
                node = store.get("Node", None, spec.name)
                node["spec"]["taints"] = [*(node["spec"].get("taints") or []), dict(self.taint)]
                store.touch(node)
        redeploy(engine, self.workload())

    def mitigate(self, cluster: ClusterWriter, engine: Engine) -> None:
        tolerations = [{**self.taint, "operator": "Equal"}]
        cluster.patch("deployment", self.workload(), _ns(engine),
                      {"spec": {"template": {"spec": {"tolerations": tolerations}}}}, patch_type="strategic")


class InsufficientNodeCpu(TemplateFault):
    family = "insufficient_node_cpu"
    system_level = SCHEDULING
    default_targets = _CART
    paths = ("containers/0/resources",)
    description = "The container requests more CPU than any node can allocate: Pending with Insufficient cpu."

    def edit(self, engine: Engine, spec: dict[str, Any], container: dict[str, Any]) -> None:
        container["resources"] = {"requests": {**container.get("resources", {}).get("requests", {}), "cpu": "16"},
                                  "limits": {**container.get("resources", {}).get("limits", {}), "cpu": "16"}}


class InsufficientNodeMemory(TemplateFault):
    family = "insufficient_node_memory"
    system_level = SCHEDULING
    default_targets = _CART
    paths = ("containers/0/resources",)
    description = "The container requests more memory than any node can allocate: Pending with Insufficient memory."

    def edit(self, engine: Engine, spec: dict[str, Any], container: dict[str, Any]) -> None:
        container["resources"] = {"requests": {**container.get("resources", {}).get("requests", {}), "memory": "20Gi"},
                                  "limits": {**container.get("resources", {}).get("limits", {}), "memory": "20Gi"}}


# -- Scheduling: volumes -------------------------------------------------------------------------------------------
def _drop_claim(engine: Engine, claim: str) -> None:
    """Delete a PVC and hand its PersistentVolume back as Available (a fresh volume, as after a re-deploy)."""
    store = engine.state.store
    pvc = store.delete("PersistentVolumeClaim", _ns(engine), claim)
    volume = store.get("PersistentVolume", None, ((pvc or {}).get("spec") or {}).get("volumeName") or "")
    if volume is not None:
        volume["spec"].pop("claimRef", None)
        volume["status"] = {"phase": "Available"}
        store.touch(volume)


def _claim_bound(engine: Engine, workload: str) -> bool:
    pvc = engine.state.store.get("PersistentVolumeClaim", _ns(engine), _component(engine, workload).pvc or "")
    return bool(pvc) and pvc.get("status", {}).get("phase") == "Bound"


class VolumeFault(K8sFault):
    """The workload's PVC cannot bind, so its pod stays Pending (`pod has unbound immediate
    PersistentVolumeClaims`) and its callers fail. PVC specs are immutable: the fix deletes the claim and applies
    the manifest's."""

    system_level = SCHEDULING
    apps = _VOLUME_APPS
    default_targets = _VOLUME

    def claim(self, engine: Engine) -> str:
        return _component(engine, self.workload()).pvc or ""

    def spec_fixed(self, engine: Engine) -> bool:
        return _claim_bound(engine, self.workload())

    def mitigate(self, cluster: ClusterWriter, engine: Engine) -> None:
        cluster.delete("PersistentVolumeClaim", self.claim(engine), _ns(engine))
        cluster.apply(_manifest(self.app, "PersistentVolumeClaim", self.claim(engine)))


class ClaimFault(VolumeFault):
    """The PVC re-created with a spec no PersistentVolume satisfies."""

    def inject(self, engine: Engine) -> None:
        pvc = _manifest(self.app, "PersistentVolumeClaim", self.claim(engine))
        _drop_claim(engine, self.claim(engine))
        self.edit(pvc)
        engine.state.store.create(pvc)
        redeploy(engine, self.workload())

    @abstractmethod
    def edit(self, pvc: dict[str, Any]) -> None:
        """Break the claim's manifest in place."""


class PvcSelectorMismatch(ClaimFault):
    family = "pvc_selector_mismatch"
    description = "The PVC selects volumes by a label no PersistentVolume carries."
    selector: ClassVar[dict[str, str]] = {"storage-tier": "fast"}

    def edit(self, pvc: dict[str, Any]) -> None:
        pvc["spec"]["selector"] = {"matchLabels": dict(self.selector)}

    def mitigate(self, cluster: ClusterWriter, engine: Engine) -> None:
        # The other fix: label the volume the claim was meant to bind.
        pv_name = next(pv["metadata"]["name"] for pv in engine.state.store.list("PersistentVolume")
                       if pv["spec"].get("hostPath", {}).get("path", "").endswith(f"/{self.workload()}"))
        cluster.patch("persistentvolume", pv_name, None, {"metadata": {"labels": dict(self.selector)}})


class PvcStorageClassMismatch(ClaimFault):
    family = "pvc_storage_class_mismatch"
    description = "The PVC names a StorageClass that does not exist (ProvisioningFailed)."

    def edit(self, pvc: dict[str, Any]) -> None:
        pvc["spec"]["storageClassName"] = "fast-ssd"


class PvcAccessModeMismatch(ClaimFault):
    family = "pvc_access_mode_mismatch"
    description = "The PVC asks for ReadWriteMany; the only volume offers ReadWriteOnce."

    def edit(self, pvc: dict[str, Any]) -> None:
        pvc["spec"]["accessModes"] = ["ReadWriteMany"]


class PvcCapacityMismatch(ClaimFault):
    family = "pvc_capacity_mismatch"
    description = "The PVC requests more storage than the only volume has."

    def edit(self, pvc: dict[str, Any]) -> None:
        pvc["spec"]["resources"] = {"requests": {"storage": "20Gi"}}


class PvBindingOccupied(VolumeFault):
    family = "pv_binding_occupied"
    description = "Another claim holds the PersistentVolume the workload's PVC needs."

    def squatter(self, engine: Engine) -> str:
        return f"{self.claim(engine)}-backup"

    def inject(self, engine: Engine) -> None:
        state, ns, claim = engine.state, _ns(engine), self.claim(engine)
        manifest = _manifest(self.app, "PersistentVolumeClaim", claim)
        _drop_claim(engine, claim)
        volume = next(pv for pv in state.store.list("PersistentVolume") if not pv["spec"].get("claimRef")
                      and pv["spec"].get("hostPath", {}).get("path", "").endswith(f"/{self.workload()}"))
        other = copy.deepcopy(manifest)
        other["metadata"]["name"] = self.squatter(engine)
        other["spec"]["volumeName"] = volume["metadata"]["name"]
        other["status"] = {"phase": "Bound", "accessModes": list(volume["spec"]["accessModes"]),
                           "capacity": dict(volume["spec"]["capacity"])}
        other = state.store.create(other)
        volume["spec"]["claimRef"] = {"kind": "PersistentVolumeClaim", "namespace": ns, "name": self.squatter(engine),
                                      "uid": other["metadata"]["uid"], "apiVersion": "v1"}
        volume["status"] = {"phase": "Bound"}
        state.store.touch(volume)
        state.store.create(manifest)
        redeploy(engine, self.workload())

    def mitigate(self, cluster: ClusterWriter, engine: Engine) -> None:
        pvc = engine.state.store.get("PersistentVolumeClaim", _ns(engine), self.squatter(engine))
        cluster.delete("PersistentVolumeClaim", self.squatter(engine), _ns(engine))
        cluster.patch("persistentvolume", pvc["spec"]["volumeName"], None, {"spec": {"claimRef": None}})


# -- Startup -------------------------------------------------------------------------------------------------------
class ImageFault(TemplateFault):
    system_level = STARTUP

    def mitigate(self, cluster: ClusterWriter, engine: Engine) -> None:
        original = _manifest(self.app, "Deployment", self.workload())["spec"]["template"]["spec"]["containers"][0]
        cluster.set_image("deployment", self.workload(), _ns(engine), original["name"], original["image"])


def _path_of(image: str) -> str:
    """The image reference without its registry host (`google-samples/.../adservice:v0.10.3`)."""
    first, _, rest = image.partition("/")
    return rest if rest and ("." in first or ":" in first) else image


class ImageRegistryDnsFailure(ImageFault):
    family = "image_registry_dns_failure"
    description = "The image is pulled from a registry host that does not resolve (ErrImagePull: no such host)."

    def edit(self, engine: Engine, spec: dict[str, Any], container: dict[str, Any]) -> None:
        container["image"] = UNRESOLVABLE_REGISTRIES[0] + _path_of(container["image"])


class IncorrectImageReference(ImageFault):
    family = "incorrect_image_reference"
    description = "The image tag has a typo: the registry answers not found (ErrImagePull, then ImagePullBackOff)."
    variants: ClassVar[dict[str, str]] = {
        "tag": "The image tag has a typo: the registry answers not found (ErrImagePull, then ImagePullBackOff).",
        "repository": ("The repository name has a typo: the registry knows no such repository (not found; Docker "
                       "Hub answers pull access denied, repository does not exist or may require authorization)."),
    }

    def edit(self, engine: Engine, spec: dict[str, Any], container: dict[str, Any]) -> None:
        repo, _, tag = container["image"].rpartition(":")
        if not repo or "/" in tag:
            repo, tag = container["image"], "latest"
        if self.variant == "tag":
            container["image"] = f"{repo}:{'lastest' if tag == 'latest' else tag + '-rc0'}"
            return
        # One letter of the image's own name dropped (`adservice` → `adsrvice`).
        head, _, last = repo.rpartition("/")
        typo = last[:len(last) // 2] + last[len(last) // 2 + 1:]
        container["image"] = f"{head + '/' if head else ''}{typo}:{tag}"


class MissingImagePullSecret(TemplateFault):
    family = "missing_image_pull_secret"
    system_level = STARTUP
    description = ("The image moved to a private registry; the namespace has the registry credentials but the pod "
                   "does not reference them (401/403 on the token request).")
    variants: ClassVar[dict[str, str]] = {
        "unreferenced": ("The namespace has the registry's pull secret but the pod does not reference it: the pull "
                         "goes anonymous and the token request is refused (403 Forbidden)."),
        "missing": ("The pod references a pull secret that does not exist (FailedToRetrieveImagePullSecret), so the "
                    "pull goes anonymous and is refused (403 Forbidden)."),
        "wrong": ("The pod references an existing pull secret whose token the registry no longer accepts: the "
                  "login is refused (401 Unauthorized)."),
    }
    secret: ClassVar[str] = "regcred"
    """The namespace's pull secret with the registry's current credentials."""
    other: ClassVar[str] = "ghcr-pull"
    """The secret the pod references instead (`missing`: never created; `wrong`: holding a revoked token)."""

    def inject(self, engine: Engine) -> None:
        state = engine.state
        host = PRIVATE_REGISTRY.split("/", 1)[0]
        logins = {self.secret: PRIVATE_REGISTRY_LOGIN}
        if self.variant == "wrong":
            logins[self.other] = (PRIVATE_REGISTRY_LOGIN[0], "ghp_revokedPullToken000000000000000000000")
        for name, (user, password) in logins.items():
            if state.store.get("Secret", _ns(engine), name) is None:
                state.store.create({"kind": "Secret", "metadata": {"name": name, "namespace": _ns(engine)},
                                    "type": "kubernetes.io/dockerconfigjson",
                                    "data": {".dockerconfigjson": docker_config(host, user, password)}})
        super().inject(engine)

    def edit(self, engine: Engine, spec: dict[str, Any], container: dict[str, Any]) -> None:
        container["image"] = PRIVATE_REGISTRY + container["image"].rsplit("/", 1)[-1]
        spec.pop("imagePullSecrets", None)
        if self.variant != "unreferenced":
            spec["imagePullSecrets"] = [{"name": self.other}]

    def mitigate(self, cluster: ClusterWriter, engine: Engine) -> None:
        """Reference the namespace's working pull secret (instead of the missing or refused one)."""
        cluster.patch("deployment", self.workload(), _ns(engine),  # a merge patch replaces the whole list
                      {"spec": {"template": {"spec": {"imagePullSecrets": [{"name": self.secret}]}}}})


class VolumeMountPermissionDenied(TemplateFault):
    family = "volume_mount_permission_denied"
    system_level = STARTUP
    apps = _VOLUME_APPS
    default_targets = _VOLUME
    description = ("The pod runs as a non-root user without an fsGroup: the datastore cannot open its data "
                   "directory and exits (CrashLoopBackOff, 'Permission denied').")

    def edit(self, engine: Engine, spec: dict[str, Any], container: dict[str, Any]) -> None:
        spec["securityContext"] = {"runAsUser": 1000, "runAsGroup": 1000, "runAsNonRoot": True}

    def mitigate(self, cluster: ClusterWriter, engine: Engine) -> None:
        # Keep the non-root user, give it the volume's group: the fix a security review would accept.
        cluster.patch("deployment", self.workload(), _ns(engine),
                      {"spec": {"template": {"spec": {"securityContext": {"fsGroup": 1000}}}}})


# -- Runtime -------------------------------------------------------------------------------------------------------
class OomKilled(TemplateFault):
    family = "oom_killed"
    system_level = RUNTIME
    paths = ("containers/0/resources",)
    description = ("A memory limit of a few MiB: the runtime's init process is OOM-killed while creating the "
                   "container (FailedCreatePodSandBox), the pod never starts.")
    variants: ClassVar[dict[str, str]] = {
        "start": ("A memory limit of a few MiB: the runtime's init process is OOM-killed while creating the "
                  "container (FailedCreatePodSandBox), the pod never starts."),
        "runtime": ("A memory limit below the program's working set: the container starts, the kernel kills it "
                    "(Last State OOMKilled, exit code 137), it restarts into CrashLoopBackOff."),
    }

    def edit(self, engine: Engine, spec: dict[str, Any], container: dict[str, Any]) -> None:
        limit = SANDBOX_LIMIT if self.variant == "start" else format_memory(
            max(16, _component(engine, self.workload()).mem_working_mi // 2) * 2**20)
        resources = container.setdefault("resources", {})
        resources["limits"] = {**resources.get("limits", {}), "memory": limit}
        resources["requests"] = {**resources.get("requests", {}), "memory": limit}


def _probe_port(container: dict[str, Any], port: Any) -> int | None:
    if isinstance(port, str) and not port.isdigit():
        return next((p["containerPort"] for p in container.get("ports") or [] if p.get("name") == port), None)
    return int(port) if port is not None else None


def probe_sound(engine: Engine, workload: str, which: str) -> bool:
    """Whether a workload's probe can pass against its program: right port, a protocol the server speaks, and —
    for liveness — enough failures allowed before the process has finished starting."""
    container = _deployment(engine, workload)["spec"]["template"]["spec"]["containers"][0]
    probe = container.get(which)
    if not probe:
        return True
    comp = _component(engine, workload)
    port = comp.container_port
    if "grpc" in probe:
        ok = comp.protocol == "grpc" and _probe_port(container, probe["grpc"].get("port")) == port
    elif "httpGet" in probe:
        ok = comp.protocol == "http" and _probe_port(container, probe["httpGet"].get("port")) == port
    elif "tcpSocket" in probe:
        ok = _probe_port(container, probe["tcpSocket"].get("port")) == port
    else:
        ok = True
    if which == "livenessProbe":
        delay, period = int(probe.get("initialDelaySeconds", 0)), max(1, int(probe.get("periodSeconds", 10)))
        early = max(0, math.ceil((comp.startup_seconds - delay) / period))
        ok = ok and early < int(probe.get("failureThreshold", 3))
    return ok


class ProbeFault(TemplateFault):
    system_level = RUNTIME
    which: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "which" in cls.__dict__:
            cls.paths = (f"containers/0/{cls.which}",)

    def _base_probe(self, engine: Engine, container: dict[str, Any]) -> dict[str, Any]:
        probe = copy.deepcopy(container.get(self.which) or container.get("readinessProbe") or {})
        for action in ("grpc", "httpGet", "tcpSocket", "exec"):
            probe.pop(action, None)
        return {"initialDelaySeconds": 5, "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1,
                "failureThreshold": 3, **probe}

    def spec_fixed(self, engine: Engine) -> bool:
        return probe_sound(engine, self.workload(), self.which)


def _wrong_protocol(comp: Component, port: int) -> dict[str, Any]:
    if comp.protocol == "grpc":
        return {"httpGet": {"path": "/", "port": port, "scheme": "HTTP"}}
    return {"grpc": {"port": port, "service": ""}}


def _right_protocol(comp: Component, port: int) -> dict[str, Any]:
    if comp.protocol == "grpc":
        return {"grpc": {"port": port, "service": ""}}
    if comp.protocol == "http":
        return {"httpGet": {"path": comp.probe_path, "port": port, "scheme": "HTTP"}}
    return {"tcpSocket": {"port": port}}


class LivenessProbeIncorrectProtocol(ProbeFault):
    family = "liveness_probe_incorrect_protocol"
    which = "livenessProbe"
    description = "An HTTP liveness probe against a gRPC server (or the reverse): every probe fails, restarts."

    def edit(self, engine: Engine, spec: dict[str, Any], container: dict[str, Any]) -> None:
        comp = _component(engine, self.workload())
        container[self.which] = {**self._base_probe(engine, container),
                                 **_wrong_protocol(comp, comp.container_port or 0)}


_PORT_PROBE_VARIANTS = {
    "native": ("A probe in the server's own protocol (gRPC health check, HTTP GET) on a port nothing listens on: "
               "the gRPC probe times out connecting, the HTTP one is refused."),
    "tcp": "A tcpSocket probe on a port nothing listens on: connect: connection refused.",
}


def _port_probe(comp: Component, port: int, variant: str) -> dict[str, Any]:
    return {"tcpSocket": {"port": port}} if variant == "tcp" else _right_protocol(comp, port)


class LivenessProbeIncorrectPort(ProbeFault):
    family = "liveness_probe_incorrect_port"
    which = "livenessProbe"
    description = "The liveness probe checks a port nothing listens on: the container is killed and restarted."
    variants: ClassVar[dict[str, str]] = _PORT_PROBE_VARIANTS

    def edit(self, engine: Engine, spec: dict[str, Any], container: dict[str, Any]) -> None:
        comp = _component(engine, self.workload())
        wrong = 8080 if comp.container_port != 8080 else 9090
        container[self.which] = {**self._base_probe(engine, container), **_port_probe(comp, wrong, self.variant)}


class LivenessProbeIncorrectTiming(ProbeFault):
    family = "liveness_probe_incorrect_timing"
    which = "livenessProbe"
    description = ("A liveness probe every second from the first second with a failure threshold of 1: the process "
                   "is killed before it has started listening (CrashLoopBackOff).")

    def edit(self, engine: Engine, spec: dict[str, Any], container: dict[str, Any]) -> None:
        comp = _component(engine, self.workload())
        container[self.which] = {**_right_protocol(comp, comp.container_port or 0), "initialDelaySeconds": 1,
                                 "periodSeconds": 1, "timeoutSeconds": 1, "successThreshold": 1,
                                 "failureThreshold": 1}


class ReadinessProbeIncorrectProtocol(ProbeFault):
    family = "readiness_probe_incorrect_protocol"
    which = "readinessProbe"
    description = "A readiness probe in the wrong protocol: the pod runs but never becomes Ready (no endpoints)."

    def edit(self, engine: Engine, spec: dict[str, Any], container: dict[str, Any]) -> None:
        comp = _component(engine, self.workload())
        container[self.which] = {**self._base_probe(engine, container),
                                 **_wrong_protocol(comp, comp.container_port or 0)}


class ReadinessProbeIncorrectPort(ProbeFault):
    family = "readiness_probe_incorrect_port"
    which = "readinessProbe"
    description = "The readiness probe checks a port nothing listens on: Running but 0/1 Ready, no endpoints."
    variants: ClassVar[dict[str, str]] = _PORT_PROBE_VARIANTS

    def edit(self, engine: Engine, spec: dict[str, Any], container: dict[str, Any]) -> None:
        comp = _component(engine, self.workload())
        container[self.which] = {**self._base_probe(engine, container),
                                 **_port_probe(comp, (comp.container_port or 0) + 1, self.variant)}


# -- Service routing -----------------------------------------------------------------------------------------------
class ServiceFault(K8sFault):
    """A change to the workload's Service object; its pods stay healthy."""

    system_level = ROUTING

    def inject(self, engine: Engine) -> None:
        store = engine.state.store
        svc = store.get("Service", _ns(engine), self.workload())
        self.edit(engine, svc["spec"])
        store.touch(svc)

    @abstractmethod
    def edit(self, engine: Engine, spec: dict[str, Any]) -> None:
        """Break the Service's spec in place."""

    def spec_fixed(self, engine: Engine) -> bool:
        port = _component(engine, self.workload()).port or 0
        return _reachable(engine, f"{self.workload()}:{port}", port)

    def mitigate(self, cluster: ClusterWriter, engine: Engine) -> None:
        original = _manifest(self.app, "Service", self.workload())["spec"]
        cluster.patch("service", self.workload(), _ns(engine),
                      {"spec": {"selector": original["selector"], "ports": original["ports"]}})


class ServiceSelectorMismatch(ServiceFault):
    family = "service_selector_mismatch"
    description = "The Service selects a label value no pod has: no endpoints, callers get connection refused."

    def edit(self, engine: Engine, spec: dict[str, Any]) -> None:
        spec["selector"] = {engine.state.app.label_key: f"{self.workload()}-v2"}


class ServicePortMappingMismatch(ServiceFault):
    family = "service_port_mapping_mismatch"
    description = "The Service's targetPort is not the port the container listens on: connection refused."
    variants: ClassVar[dict[str, str]] = {
        "numbered": ("targetPort is a number the container does not listen on: the endpoints carry it unchecked, "
                     "connections are refused."),
        "named": ("targetPort is a port name no container port declares: the endpoints controller cannot resolve "
                  "it and lists no endpoints although the selector matches the pods."),
    }

    def edit(self, engine: Engine, spec: dict[str, Any]) -> None:
        comp = _component(engine, self.workload())
        container = _deployment(engine, self.workload())["spec"]["template"]["spec"]["containers"][0]
        declared = {p.get("name") for p in container.get("ports") or []}
        name = next(n for n in (comp.protocol, "http", "server", "service-port") if n not in declared)
        for port in spec["ports"]:
            port["targetPort"] = (comp.container_port or 0) + 1 if self.variant == "numbered" else name


class ServiceProtocolMismatch(ServiceFault):
    family = "service_protocol_mismatch"
    description = "The Service port's protocol is UDP for a TCP server: callers' TCP connections are refused."

    def edit(self, engine: Engine, spec: dict[str, Any]) -> None:
        for port in spec["ports"]:
            port["protocol"] = "UDP"


class ServiceEnvVarAddressMismatch(K8sFault):
    family = "service_env_var_address_mismatch"
    system_level = ROUTING
    apps = ("online-boutique", "astronomy-shop")
    default_targets = _ENV_CALLER
    description = ("The address environment variable of a dependency points at the wrong namespace: the name does "
                   "not resolve, the workload's calls fail while its own pod stays healthy.")
    variants: ClassVar[dict[str, str]] = {
        "namespace": ("The address names the dependency in the wrong namespace (`redis-cart.default:6379`): the "
                      "lookup fails with no such host."),
        "port": ("The right host on a port its Service does not expose: kube-proxy has no rule for it, the calls "
                 "time out."),
        "host": ("A misspelt Service name in the address (`redis-crat:6379`): the lookup fails with no such "
                 "host."),
    }

    def _variable(self, engine: Engine) -> tuple[str, str, int]:
        call = next(c for c in _component(engine, self.workload()).calls if c.env)
        port = _component(engine, call.target).port or 0
        return call.env or "", call.target, port

    def _wrong_address(self, target: str, port: int) -> str:
        if self.variant == "namespace":
            return f"{target}.default:{port}"
        if self.variant == "port":
            return f"{target}:{port + 1}"
        # Two neighbouring letters swapped near the end, the typo a hand-edited manifest shows.
        i = len(target) - 3
        return f"{target[:i]}{target[i + 1]}{target[i]}{target[i + 2:]}:{port}"

    def inject(self, engine: Engine) -> None:
        name, target, port = self._variable(engine)

        def edit(spec: dict[str, Any], container: dict[str, Any]) -> None:
            env = [e for e in container.get("env") or [] if e["name"] != name]
            container["env"] = [*env, {"name": name, "value": self._wrong_address(target, port)}]

        _edit_template(engine, self.workload(), edit)

    def spec_fixed(self, engine: Engine) -> bool:
        name, target, port = self._variable(engine)
        container = _deployment(engine, self.workload())["spec"]["template"]["spec"]["containers"][0]
        value = next((e.get("value") for e in container.get("env") or [] if e["name"] == name), f"{target}:{port}")
        return _reachable(engine, value or "", port)

    def mitigate(self, cluster: ClusterWriter, engine: Engine) -> None:
        name, target, port = self._variable(engine)
        container = _deployment(engine, self.workload())["spec"]["template"]["spec"]["containers"][0]
        cluster.set_env("deployment", self.workload(), _ns(engine), container["name"], {name: f"{target}:{port}"})

    def wrong_mitigation(self, cluster: ClusterWriter, engine: Engine) -> None:
        """Restarting the dependency the errors name: it was never the problem."""
        cluster.rollout_restart("deployment", self._variable(engine)[1], _ns(engine))


# -- Performance ---------------------------------------------------------------------------------------------------
class ChaosFault(K8sFault):
    """A Chaos Mesh experiment on the workload's pods; the fix deletes the experiment."""

    system_level = PERFORMANCE
    action: ClassVar[str]
    kind: ClassVar[str]
    value: ClassVar[float]

    def experiment(self) -> str:
        return f"{self.workload()}-{self.action}"

    def inject(self, engine: Engine) -> None:
        engine.state.chaos.append(PodChaos(self.experiment(), self.action, _ns(engine), self.workload(), self.value))

    def spec_fixed(self, engine: Engine) -> bool:
        return not any(c.action == self.action for c in active_chaos(engine.state, _ns(engine), self.workload()))

    def mitigate(self, cluster: ClusterWriter, engine: Engine) -> None:
        cluster.delete(self.kind, self.experiment(), _ns(engine))


class PodCpuOverload(ChaosFault):
    family = "pod_cpu_overload"
    action, kind, value = "cpu-stress", "StressChaos", 2000.0
    description = "A CPU stressor (two busy workers) in the workload's pods: throttled at its limit, slow answers."


class PodNetworkDelay(ChaosFault):
    family = "pod_network_delay"
    action, kind, value = "network-delay", "NetworkChaos", 100.0
    description = "100 ms of added latency on the workload's pod network: its callers slow down."


# -- Infrastructure ------------------------------------------------------------------------------------------------
class NodeFault(K8sFault):
    system_level = INFRASTRUCTURE
    default_targets = _WORKER_1

    def workload(self) -> str:
        return ""

    def drain(self, cluster: ClusterWriter, engine: Engine) -> None:
        """Cordon the node and delete its pods, so their replacements run elsewhere."""
        cluster.cordon(self.target)
        for pod in _pods_on(engine, self.target):
            cluster.delete_pod(pod["metadata"]["name"], _ns(engine))


class NodeNetworkFault(NodeFault):
    """Traffic control on a node's interface. The simulator has no write path into a node's qdisc, so the
    documented fix is a drain: once no workload runs there, the impairment no longer touches the app."""

    def spec_fixed(self, engine: Engine) -> bool:
        agents = engine.state.nodes[self.target]
        return (agents.network_delay_ms == 0 and agents.network_loss == 0) or not _pods_on(engine, self.target)

    def mitigate(self, cluster: ClusterWriter, engine: Engine) -> None:
        self.drain(cluster, engine)

    def wrong_mitigation(self, cluster: ClusterWriter, engine: Engine) -> None:
        """Cordoning without draining: nothing new lands there, but the pods on it stay slow."""
        cluster.cordon(self.target)


class NodeNetworkDelay(NodeNetworkFault):
    family = "node_network_delay"
    default_targets = _WORKER_2
    description = "500 ms of delay on a worker's network interface: every call into or out of its pods is slow."

    def inject(self, engine: Engine) -> None:
        engine.state.nodes[self.target].network_delay_ms = 500.0


class NodeNetworkPacketLoss(NodeNetworkFault):
    family = "node_network_packet_loss"
    description = "10% packet loss on a worker's interface: retransmissions slow its pods' calls, some time out."

    def inject(self, engine: Engine) -> None:
        engine.state.nodes[self.target].network_loss = 0.1


class NodeDaemonFault(NodeFault):
    """A node daemon stopped (`systemctl stop`); the fix starts it again."""

    daemon: ClassVar[str]
    wrong_daemon: ClassVar[str] = "kube-proxy"

    def inject(self, engine: Engine) -> None:
        engine.state.nodes[self.target].set_running(self.daemon, False, engine.state.clock.tick)

    def spec_fixed(self, engine: Engine) -> bool:
        return engine.state.nodes[self.target].running(self.daemon) or not _pods_on(engine, self.target)

    def mitigate(self, cluster: ClusterWriter, engine: Engine) -> None:
        cluster.node_service(self.target, self.daemon, "start")

    def wrong_mitigation(self, cluster: ClusterWriter, engine: Engine) -> None:
        """Restarting the node's other daemon."""
        cluster.node_service(self.target, self.wrong_daemon, "restart")


class ContainerdUnavailable(NodeDaemonFault):
    family = "containerd_unavailable"
    daemon = "containerd"
    wrong_daemon = "kubelet"
    description = ("containerd stopped on a worker, then its pods restarted: the old ones cannot be stopped (stuck "
                   "Terminating), replacements placed there before the node goes NotReady cannot get a sandbox "
                   "(FailedCreatePodSandBox on the runtime socket, stuck ContainerCreating).")

    def inject(self, engine: Engine) -> None:
        super().inject(engine)
        for pod in _pods_on(engine, self.target):  # as the benchmark re-applies the workloads after a node fault
            mark_deleted(engine.state, pod)


class KubeletUnavailable(NodeDaemonFault):
    family = "kubelet_unavailable"
    daemon = "kubelet"
    description = ("The kubelet stopped on a worker: the node stops posting status (NotReady/Unknown), its pods "
                   "are marked not ready.")


class KubeProxyUnavailable(NodeDaemonFault):
    family = "kube_proxy_unavailable"
    daemon = "kube-proxy"
    wrong_daemon = "kubelet"
    default_targets = _WORKER_2
    description = "kube-proxy stopped on a worker: its Service rules are flushed, calls from its pods time out."


class KubeSchedulerUnavailable(NodeDaemonFault):
    family = "kube_scheduler_unavailable"
    daemon = "kube-scheduler"
    wrong_daemon = "kubelet"
    default_targets = _CONTROL_PLANE
    description = "kube-scheduler stopped on the control plane: a redeployed pod stays Pending with no event."
    victims: ClassVar[dict[str, str]] = _SERVICE

    def inject(self, engine: Engine) -> None:
        super().inject(engine)
        redeploy(engine, self.victims[self.app])

    def spec_fixed(self, engine: Engine) -> bool:
        return engine.state.nodes[self.target].running(self.daemon)


K8S_FAULTS: dict[str, type[Fault]] = {cls.family: cls for cls in (
    NamespaceCpuQuotaExceeded, NamespaceMemoryQuotaExceeded, NamespacePodQuotaExceeded, NamespaceServiceQuotaExceeded,
    NamespaceStorageQuotaExceeded, MissingServiceAccount,
    NodeCordoned, NodeAffinityMismatch, NodeSelectorMismatch, PodAntiAffinityConflict, TaintTolerationMismatch,
    InsufficientNodeCpu, InsufficientNodeMemory, PvcSelectorMismatch, PvcStorageClassMismatch, PvcAccessModeMismatch,
    PvcCapacityMismatch, PvBindingOccupied,
    ImageRegistryDnsFailure, IncorrectImageReference, MissingImagePullSecret, VolumeMountPermissionDenied,
    OomKilled, LivenessProbeIncorrectProtocol, LivenessProbeIncorrectPort, LivenessProbeIncorrectTiming,
    ReadinessProbeIncorrectProtocol, ReadinessProbeIncorrectPort,
    ServiceSelectorMismatch, ServicePortMappingMismatch, ServiceProtocolMismatch, ServiceEnvVarAddressMismatch,
    PodCpuOverload, PodNetworkDelay,
    NodeNetworkDelay, NodeNetworkPacketLoss, ContainerdUnavailable, KubeletUnavailable, KubeProxyUnavailable,
    KubeSchedulerUnavailable,
)}
"""Root-cause code → fault class (all 40 Cloud-OpsBench root causes)."""
