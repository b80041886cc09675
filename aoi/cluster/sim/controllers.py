"""The control plane's controllers: deployments, replica sets (with admission), volumes, endpoints and nodes.

Each function makes one pass, like one sync of the real controller, and reads only the object store and the
simulator state, so any change made through the write interface is picked up on the next tick.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
from typing import Any

from aoi.cluster.sim import mesh
from aoi.cluster.sim.clock import TICK_SECONDS, parse_rfc3339, rfc3339
from aoi.cluster.sim.events import EventRecorder
from aoi.cluster.sim.quantity import bytes_of, cpu_millicores, format_cpu, format_memory
from aoi.cluster.sim.state import SimState
from aoi.cluster.sim.store import NAME_ALPHABET, selector_matches

REVISION = "deployment.kubernetes.io/revision"
NODE_NOT_READY_AFTER_TICKS = 40 // TICK_SECONDS
EVICT_AFTER_TICKS = 300 // TICK_SECONDS
RUNTIME_DOWN_AFTER_TICKS = 30 // TICK_SECONDS
PLEG_THRESHOLD_TICKS = 180 // TICK_SECONDS


def template_hash(template: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).digest()
    return "".join(NAME_ALPHABET[b % len(NAME_ALPHABET)] for b in digest[:10])


def children_by_owner(objects: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Group objects by the uid of each owner they reference (one pass instead of a scan per owner)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for obj in objects:
        for ref in obj["metadata"].get("ownerReferences") or []:
            groups.setdefault(ref.get("uid", ""), []).append(obj)
    return groups


def owned_by(obj: dict[str, Any], owner: dict[str, Any]) -> bool:
    return any(ref.get("uid") == owner["metadata"]["uid"] for ref in obj["metadata"].get("ownerReferences") or [])


def owner_ref(owner: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": owner.get("apiVersion", "apps/v1"), "kind": owner["kind"], "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}


def pod_ready(pod: dict[str, Any]) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def active(pod: dict[str, Any]) -> bool:
    return not pod["metadata"].get("deletionTimestamp") and pod.get("status", {}).get("phase") not in (
        "Succeeded", "Failed")


# -- Deployments -------------------------------------------------------------------------------------------------
def reconcile_deployments(state: SimState, events: EventRecorder) -> None:
    store = state.store
    by_owner = children_by_owner(store.list("ReplicaSet"))
    for dep in store.list("Deployment"):
        template = dep["spec"]["template"]
        want_hash = template_hash(template)
        replica_sets = list(by_owner.get(dep["metadata"]["uid"], []))
        new_rs = next((rs for rs in replica_sets if rs["metadata"]["labels"].get("pod-template-hash") == want_hash),
                      None)
        desired = int(dep["spec"].get("replicas", 1))
        revision = max([int(rs["metadata"].get("annotations", {}).get(REVISION, 0)) for rs in replica_sets] or [0])
        if new_rs is None:
            new_rs = _create_replicaset(state, dep, want_hash, revision + 1)
            replica_sets.append(new_rs)
            new_rs["spec"]["replicas"] = 0
        elif int(new_rs["metadata"]["annotations"].get(REVISION, 0)) < revision:
            new_rs["metadata"]["annotations"][REVISION] = str(revision + 1)
        dep["metadata"].setdefault("annotations", {})[REVISION] = new_rs["metadata"]["annotations"][REVISION]
        old = [rs for rs in replica_sets if rs is not new_rs]
        _roll(state, dep, new_rs, old, desired, events)
        _deployment_status(state, dep, new_rs, replica_sets, desired)


def _create_replicaset(state: SimState, dep: dict[str, Any], pod_hash: str, revision: int) -> dict[str, Any]:
    template = copy.deepcopy(dep["spec"]["template"])
    template["metadata"].setdefault("labels", {})["pod-template-hash"] = pod_hash
    selector = copy.deepcopy(dep["spec"]["selector"])
    selector.setdefault("matchLabels", {})["pod-template-hash"] = pod_hash
    return state.store.create({
        "kind": "ReplicaSet",
        "metadata": {"name": f"{dep['metadata']['name']}-{pod_hash}", "namespace": dep["metadata"]["namespace"],
                     "labels": dict(template["metadata"]["labels"]), "ownerReferences": [owner_ref(dep)],
                     "annotations": {REVISION: str(revision), "deployment.kubernetes.io/desired-replicas":
                                     str(dep["spec"].get("replicas", 1))}},
        "spec": {"replicas": 0, "selector": selector, "template": template},
        "status": {"replicas": 0},
    })


def _roll(state: SimState, dep: dict[str, Any], new_rs: dict[str, Any], old: list[dict[str, Any]], desired: int,
          events: EventRecorder) -> None:
    """RollingUpdate with maxSurge/maxUnavailable 25%: the new replica set grows up to the surge, old pods go while
    enough stay available."""
    surge = math.ceil(desired * 0.25) if desired else 0
    unavailable = math.floor(desired * 0.25)
    if surge == 0 and unavailable == 0:
        surge = 1
    old_total = sum(_replicas(rs) for rs in old)
    new_current = _replicas(new_rs)
    recreate = dep["spec"].get("strategy", {}).get("type") == "Recreate"
    if recreate:  # every old pod goes first; the new ones come once none is left
        for rs in old:
            _scale_down(state, dep, rs, _replicas(rs), events)
        target_new = desired if old_total == 0 else 0
    else:
        target_new = min(desired, max(new_current, desired + surge - old_total))
        if not old:
            target_new = desired
    if target_new != new_current:
        verb = "up" if target_new > new_current else "down"
        # The controller's two wordings: a replica set it creates vs one it resizes.
        resized = f" from {new_current}" if new_rs.get("status", {}).get("observedGeneration") else ""
        events.emit(dep, "ScalingReplicaSet", f"Scaled {verb} replica set {new_rs['metadata']['name']} to "
                    f"{target_new}{resized}", component="deployment-controller")
        new_rs["spec"]["replicas"] = target_new
        state.store.touch(new_rs)
    if not recreate:
        _scale_down_old(state, dep, new_rs, old, desired - unavailable, events)


def _scale_down_old(state: SimState, dep: dict[str, Any], new_rs: dict[str, Any], old: list[dict[str, Any]],
                    min_available: int, events: EventRecorder) -> None:
    """The deployment controller's `reconcileOldReplicaSets`: first drop old pods that are not available, then
    available ones, never taking the pods below `min_available` plus the new ones still starting."""
    old = sorted(old, key=lambda r: r["metadata"]["creationTimestamp"])
    old_total = sum(_replicas(rs) for rs in old)
    new_replicas = _replicas(new_rs)
    budget = old_total + new_replicas - min_available - (new_replicas - _available(new_rs))
    if old_total == 0 or budget <= 0:
        return
    for rs in old:  # unhealthy first
        budget -= _scale_down(state, dep, rs, min(budget, _replicas(rs) - _available(rs)), events)
    surplus = _available(new_rs) + sum(_available(rs) for rs in old) - min_available
    for rs in old:  # then available ones, while more than min_available are available
        surplus -= _scale_down(state, dep, rs, min(surplus, _replicas(rs)), events)


def _replicas(rs: dict[str, Any]) -> int:
    return int(rs["spec"].get("replicas", 0))


def _available(rs: dict[str, Any]) -> int:
    return int(rs.get("status", {}).get("availableReplicas", 0))


def _scale_down(state: SimState, dep: dict[str, Any], rs: dict[str, Any], remove: int, events: EventRecorder) -> int:
    """Scale `rs` down by `remove` (nothing when it is not positive); returns how many went."""
    if remove <= 0:
        return 0
    current = _replicas(rs)
    events.emit(dep, "ScalingReplicaSet", f"Scaled down replica set {rs['metadata']['name']} to {current - remove} "
                f"from {current}", component="deployment-controller")
    rs["spec"]["replicas"] = current - remove
    state.store.touch(rs)
    return remove


def _deployment_status(state: SimState, dep: dict[str, Any], new_rs: dict[str, Any],
                       replica_sets: list[dict[str, Any]], desired: int) -> None:
    total = sum(int(rs.get("status", {}).get("replicas", 0)) for rs in replica_sets)
    ready = sum(int(rs.get("status", {}).get("readyReplicas", 0)) for rs in replica_sets)
    available = sum(int(rs.get("status", {}).get("availableReplicas", 0)) for rs in replica_sets)
    updated = int(new_rs.get("status", {}).get("replicas", 0))
    now = rfc3339(state.clock.now)
    old_status = dep.get("status") or {}
    conditions = {c["type"]: c for c in old_status.get("conditions") or []}

    def condition(type_: str, status: str, reason: str, message: str) -> dict[str, Any]:
        prev = conditions.get(type_)
        changed = prev is None or prev["status"] != status
        return {"type": type_, "status": status, "reason": reason, "message": message,
                "lastUpdateTime": now if changed or (prev and prev["reason"] != reason) else prev["lastUpdateTime"],
                "lastTransitionTime": now if changed else prev["lastTransitionTime"]}

    min_available = desired - math.floor(desired * 0.25)
    avail = condition("Available", "True" if available >= min_available else "False",
                      "MinimumReplicasAvailable" if available >= min_available else "MinimumReplicasUnavailable",
                      "Deployment has minimum availability." if available >= min_available
                      else "Deployment does not have minimum availability.")
    rs_name = new_rs["metadata"]["name"]
    if updated >= desired and int(new_rs.get("status", {}).get("availableReplicas", 0)) >= desired:
        prog = condition("Progressing", "True", "NewReplicaSetAvailable",
                         f'ReplicaSet "{rs_name}" has successfully progressed.')
    else:
        prev = conditions.get("Progressing")
        started = parse_rfc3339(new_rs["metadata"]["creationTimestamp"])
        if (state.clock.now - started).total_seconds() > int(dep["spec"].get("progressDeadlineSeconds", 600)):
            prog = condition("Progressing", "False", "ProgressDeadlineExceeded",
                             f'ReplicaSet "{rs_name}" has timed out progressing.')
        else:
            prog = condition("Progressing", "True", "ReplicaSetUpdated", f'ReplicaSet "{rs_name}" is progressing.')
            if prev and prev["status"] == "True":
                prog["lastTransitionTime"] = prev["lastTransitionTime"]
    status = {"observedGeneration": dep["metadata"].get("generation", 1), "replicas": total, "updatedReplicas": updated,
              "readyReplicas": ready, "availableReplicas": available, "conditions": [avail, prog]}
    if total - available > 0:
        status["unavailableReplicas"] = max(total, desired) - available
    for key in ("readyReplicas", "availableReplicas", "updatedReplicas"):
        if not status[key]:
            del status[key]
    if status != old_status:
        dep["status"] = status
        state.store.touch(dep)


# -- ReplicaSets (and admission of the pods they create) ----------------------------------------------------------
def reconcile_replicasets(state: SimState, events: EventRecorder) -> None:
    store = state.store
    by_owner = children_by_owner(store.list("Pod"))
    for rs in store.list("ReplicaSet"):
        pods = [p for p in by_owner.get(rs["metadata"]["uid"], []) if active(p)]
        want = int(rs["spec"].get("replicas", 0))
        if len(pods) < want:
            for _ in range(want - len(pods)):
                if not _create_pod(state, rs, events):
                    break
        elif len(pods) > want:
            # Prefer deleting unscheduled, then not-ready, then newest pods, as the real controller does.
            ranked = sorted(pods, key=lambda p: (bool(p["spec"].get("nodeName")), pod_ready(p),
                                                 p["metadata"]["creationTimestamp"]))
            for pod in ranked[: len(pods) - want]:
                mark_deleted(state, pod)
                events.emit(rs, "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}",
                            component="replicaset-controller")
        pods = [p for p in children_by_owner(store.list("Pod", rs["metadata"]["namespace"])).get(
            rs["metadata"]["uid"], []) if active(p)] if len(pods) != want else pods
        ready = [p for p in pods if pod_ready(p)]
        status = {"replicas": len(pods), "fullyLabeledReplicas": len(pods), "readyReplicas": len(ready),
                  "availableReplicas": len(ready), "observedGeneration": 1}
        for key in ("readyReplicas", "availableReplicas", "fullyLabeledReplicas"):
            if not status[key]:
                del status[key]
        if rs.get("status") != status:
            rs["status"] = status
            store.touch(rs)


def _create_pod(state: SimState, rs: dict[str, Any], events: EventRecorder) -> bool:
    ns = rs["metadata"]["namespace"]
    template = copy.deepcopy(rs["spec"]["template"])
    name = f"{rs['metadata']['name']}-{state.store.random_suffix()}"
    spec = template["spec"]
    sa = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
    if state.store.get("ServiceAccount", ns, sa) is None:
        events.emit(rs, "FailedCreate", f'Error creating: pods "{rs["metadata"]["name"]}-" is forbidden: error looking '
                    f'up service account {ns}/{sa}: serviceaccount "{sa}" not found', type_="Warning",
                    component="replicaset-controller")
        return False
    if state.mesh and mesh.injects(state.store.get("Namespace", None, ns), template["metadata"]):
        # The mesh's mutating webhook runs before the quota admission plugin: the sidecar's requests count.
        owner = next((o["name"] for o in rs["metadata"].get("ownerReferences") or []), rs["metadata"]["name"])
        mesh.inject(template["metadata"], spec, owner, ns)
    refusal = quota_refusal(state, ns, "Pod", spec, f"{rs['metadata']['name']}-{state.store.random_suffix()}")
    if refusal:
        events.emit(rs, "FailedCreate", f"Error creating: {refusal}", type_="Warning",
                    component="replicaset-controller")
        return False
    spec.setdefault("serviceAccountName", sa)
    spec.setdefault("serviceAccount", sa)
    spec.setdefault("tolerations", [
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
         "tolerationSeconds": 300}])
    spec.setdefault("volumes", [])
    spec["volumes"].append({"name": f"kube-api-access-{state.store.random_suffix()}", "projected": {
        "defaultMode": 420, "sources": [{"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}]}})
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    spec.setdefault("priority", 0)
    pod = {
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": template["metadata"].get("labels", {}),
                     "annotations": template["metadata"].get("annotations", {}),
                     "ownerReferences": [{**owner_ref(rs), "apiVersion": "apps/v1"}]},
        "spec": spec,
        "status": {"phase": "Pending", "qosClass": qos_class(spec)},
    }
    state.store.create(pod)
    events.emit(rs, "SuccessfulCreate", f"Created pod: {name}", component="replicaset-controller")
    return True


def qos_class(spec: dict[str, Any]) -> str:
    containers = spec.get("containers", [])
    requests = [c.get("resources", {}).get("requests", {}) for c in containers]
    limits = [c.get("resources", {}).get("limits", {}) for c in containers]
    if not any(requests) and not any(limits):
        return "BestEffort"
    if all(lim.get("cpu") and lim.get("memory") and (not req or (req.get("cpu") == lim.get("cpu") and
                                                                  req.get("memory") == lim.get("memory")))
           for req, lim in zip(requests, limits, strict=True)):
        return "Guaranteed"
    return "Burstable"


def pod_requests(spec: dict[str, Any]) -> dict[str, int]:
    """Summed requests and limits of a pod: cpu in millicores, memory in bytes."""
    totals = {"requests.cpu": 0, "requests.memory": 0, "limits.cpu": 0, "limits.memory": 0}
    for c in spec.get("containers", []):
        res = c.get("resources", {})
        totals["requests.cpu"] += cpu_millicores(res.get("requests", {}).get("cpu") or res.get("limits", {}).get("cpu"))
        totals["requests.memory"] += bytes_of(res.get("requests", {}).get("memory")
                                              or res.get("limits", {}).get("memory"))
        totals["limits.cpu"] += cpu_millicores(res.get("limits", {}).get("cpu"))
        totals["limits.memory"] += bytes_of(res.get("limits", {}).get("memory"))
    return totals


def quota_usage(state: SimState, namespace: str) -> dict[str, int]:
    pods = [p for p in state.store.list("Pod", namespace) if active(p)]
    used: dict[str, int] = {"pods": len(pods), "services": len(state.store.list("Service", namespace)),
                            "persistentvolumeclaims": len(state.store.list("PersistentVolumeClaim", namespace)),
                            "requests.storage": sum(bytes_of(c["spec"].get("resources", {}).get("requests", {})
                                                             .get("storage"))
                                                    for c in state.store.list("PersistentVolumeClaim", namespace))}
    for key in ("requests.cpu", "requests.memory", "limits.cpu", "limits.memory"):
        used[key] = sum(pod_requests(p["spec"])[key] for p in pods)
    used["cpu"], used["memory"] = used["requests.cpu"], used["requests.memory"]
    return used


def quota_refusal(state: SimState, namespace: str, kind: str, spec: dict[str, Any], name: str) -> str:
    """The admission error for creating an object against the namespace's ResourceQuotas, or '' when admitted."""
    quotas = state.store.list("ResourceQuota", namespace)
    if not quotas:
        return ""
    used = quota_usage(state, namespace)
    if kind == "Pod":
        requested = {"pods": 1, **pod_requests(spec)}
        requested["cpu"], requested["memory"] = requested["requests.cpu"], requested["requests.memory"]
        resource = "pods"
    elif kind == "Service":
        requested, resource = {"services": 1}, "services"
    else:
        storage = bytes_of(spec.get("resources", {}).get("requests", {}).get("storage"))
        requested, resource = {"persistentvolumeclaims": 1, "requests.storage": storage}, "persistentvolumeclaims"
    for quota in quotas:
        hard = quota["spec"].get("hard", {})
        over = []
        for key, limit in hard.items():
            if key not in requested or not requested[key]:
                continue
            is_cpu = key.endswith("cpu")
            is_count = key in ("pods", "services", "persistentvolumeclaims")
            limit_n = int(limit) if is_count else cpu_millicores(limit) if is_cpu else bytes_of(limit)
            if used.get(key, 0) + requested[key] > limit_n:
                over.append((key, requested[key], used.get(key, 0), limit))
        if over:
            def fmt(key: str, value: int) -> str:
                if key in ("pods", "services", "persistentvolumeclaims"):
                    return str(value)
                return format_cpu(value) if key.endswith("cpu") else format_memory(value)

            req = ",".join(f"{k}={fmt(k, r)}" for k, r, _, _ in over)
            use = ",".join(f"{k}={fmt(k, u)}" for k, _, u, _ in over)
            lim = ",".join(f"{k}={limit}" for k, _, _, limit in over)
            return (f'{resource} "{name}" is forbidden: exceeded quota: {quota["metadata"]["name"]}, '
                    f"requested: {req}, used: {use}, limited: {lim}")
    return ""


def reconcile_quotas(state: SimState) -> None:
    for quota in state.store.list("ResourceQuota"):
        used = quota_usage(state, quota["metadata"]["namespace"])
        shown = {}
        for key in quota["spec"].get("hard", {}):
            value = used.get(key, 0)
            if key in ("pods", "services", "persistentvolumeclaims"):
                shown[key] = str(value)
            elif key.endswith("cpu"):
                shown[key] = format_cpu(value)
            else:
                shown[key] = format_memory(value) if value else "0"
        status = {"hard": dict(quota["spec"].get("hard", {})), "used": shown}
        if quota.get("status") != status:
            quota["status"] = status
            state.store.touch(quota)


def mark_deleted(state: SimState, pod: dict[str, Any]) -> None:
    if pod["metadata"].get("deletionTimestamp"):
        return
    grace = int(pod["spec"].get("terminationGracePeriodSeconds", 30))
    pod["metadata"]["deletionTimestamp"] = rfc3339(state.clock.now)
    pod["metadata"]["deletionGracePeriodSeconds"] = grace
    state.store.touch(pod)


# -- Persistent volumes ------------------------------------------------------------------------------------------
def reconcile_volumes(state: SimState, events: EventRecorder) -> None:
    store = state.store
    for pvc in store.list("PersistentVolumeClaim"):
        if pvc.get("status", {}).get("phase") == "Bound":
            continue
        spec = pvc["spec"]
        sc_name = spec.get("storageClassName")
        if sc_name and store.get("StorageClass", None, sc_name) is None:
            events.emit(pvc, "ProvisioningFailed", f'storageclass.storage.k8s.io "{sc_name}" not found',
                        type_="Warning", component="persistentvolume-controller")
            continue
        want = bytes_of(spec.get("resources", {}).get("requests", {}).get("storage"))
        candidates = []
        for pv in store.list("PersistentVolume"):
            pv_spec = pv["spec"]
            claim = pv_spec.get("claimRef")
            # A claimRef with another claim's uid is a Released volume's memory of its old claim, even when a new
            # claim has the same name: it binds again only once an admin clears the claimRef.
            if claim and (claim.get("name") != pvc["metadata"]["name"]
                          or claim.get("namespace") != pvc["metadata"]["namespace"]
                          or claim.get("uid", pvc["metadata"]["uid"]) != pvc["metadata"]["uid"]):
                continue
            if (pv_spec.get("storageClassName") or "") != (sc_name or ""):
                continue
            if not set(spec.get("accessModes") or []) <= set(pv_spec.get("accessModes") or []):
                continue
            if bytes_of(pv_spec.get("capacity", {}).get("storage")) < want:
                continue
            if spec.get("selector") and not selector_matches(spec["selector"], pv["metadata"].get("labels")):
                continue
            if pv.get("status", {}).get("phase") not in ("Available", None) and not claim:
                continue
            candidates.append(pv)
        if not candidates:
            if sc_name:
                sc = store.get("StorageClass", None, sc_name)
                if sc and sc.get("volumeBindingMode") == "WaitForFirstConsumer":
                    events.emit(pvc, "WaitForFirstConsumer", "waiting for first consumer to be created before "
                                "binding", component="persistentvolume-controller")
                    continue
            events.emit(pvc, "FailedBinding", "no persistent volumes available for this claim and no storage class "
                        "is set", type_="Normal", component="persistentvolume-controller")
            continue
        pv = sorted(candidates, key=lambda v: bytes_of(v["spec"]["capacity"]["storage"]))[0]
        pv["spec"]["claimRef"] = {"kind": "PersistentVolumeClaim", "namespace": pvc["metadata"]["namespace"],
                                  "name": pvc["metadata"]["name"], "uid": pvc["metadata"]["uid"],
                                  "apiVersion": "v1"}
        pv["status"] = {"phase": "Bound"}
        store.touch(pv)
        pvc["spec"]["volumeName"] = pv["metadata"]["name"]
        pvc["status"] = {"phase": "Bound", "accessModes": list(pv["spec"]["accessModes"]),
                         "capacity": dict(pv["spec"]["capacity"])}
        pvc["metadata"].setdefault("annotations", {})["pv.kubernetes.io/bind-completed"] = "yes"
        store.touch(pvc)
    for pv in store.list("PersistentVolume"):
        claim = pv["spec"].get("claimRef")
        phase = pv.get("status", {}).get("phase")
        if claim and claim.get("uid"):
            bound = store.get("PersistentVolumeClaim", claim["namespace"], claim["name"])
            if (bound is None or bound["metadata"]["uid"] != claim["uid"]) and phase != "Released":
                pv["status"] = {"phase": "Released"}
                store.touch(pv)
        elif not claim and phase != "Available":  # an admin cleared the claimRef: the volume is free again
            pv["status"] = {"phase": "Available"}
            store.touch(pv)


# -- Endpoints ---------------------------------------------------------------------------------------------------
def reconcile_endpoints(state: SimState) -> None:
    store = state.store
    for svc in store.list("Service"):
        ns, name = svc["metadata"]["namespace"], svc["metadata"]["name"]
        selector = svc["spec"].get("selector")
        subsets: list[dict[str, Any]] = []
        if selector:
            ready, not_ready = [], []
            for pod in store.list("Pod", ns):
                if not selector_matches(selector, pod["metadata"].get("labels")) or not pod["status"].get("podIP"):
                    continue
                if pod["metadata"].get("deletionTimestamp"):
                    continue
                addr = {"ip": pod["status"]["podIP"], "nodeName": pod["spec"].get("nodeName"),
                        "targetRef": {"kind": "Pod", "name": pod["metadata"]["name"], "namespace": ns,
                                      "uid": pod["metadata"]["uid"]}}
                (ready if pod_ready(pod) else not_ready).append(addr)
            if ready or not_ready:
                ports = []
                for port in svc["spec"].get("ports") or []:
                    target = port.get("targetPort", port["port"])
                    if isinstance(target, str):
                        target = _named_port(store.list("Pod", ns), selector, target)
                        if target is None:
                            continue
                    ports.append({"name": port.get("name"), "port": target, "protocol": port.get("protocol", "TCP")})
                if ports:
                    subset: dict[str, Any] = {"ports": ports}
                    if ready:
                        subset["addresses"] = sorted(ready, key=lambda a: a["ip"])
                    if not_ready:
                        subset["notReadyAddresses"] = sorted(not_ready, key=lambda a: a["ip"])
                    subsets.append(subset)
        existing = store.get("Endpoints", ns, name)
        if existing is None:
            store.create({"kind": "Endpoints", "metadata": {"name": name, "namespace": ns,
                                                            "labels": dict(svc["metadata"].get("labels") or {})},
                          "subsets": subsets})
        elif existing.get("subsets") != subsets:
            existing["subsets"] = subsets
            store.touch(existing)
    for ep in store.list("Endpoints"):
        if store.get("Service", ep["metadata"]["namespace"], ep["metadata"]["name"]) is None:
            store.delete("Endpoints", ep["metadata"]["namespace"], ep["metadata"]["name"])


def _named_port(pods: list[dict[str, Any]], selector: dict[str, str], name: str) -> int | None:
    for pod in pods:
        if selector_matches(selector, pod["metadata"].get("labels")):
            for c in pod["spec"]["containers"]:
                for p in c.get("ports") or []:
                    if p.get("name") == name:
                        return int(p["containerPort"])
    return None


# -- Nodes -------------------------------------------------------------------------------------------------------
def reconcile_nodes(state: SimState, events: EventRecorder) -> None:
    now = rfc3339(state.clock.now)
    for node in state.store.list("Node"):
        name = node["metadata"]["name"]
        agents = state.nodes[name]
        conditions = {c["type"]: c for c in node["status"].get("conditions") or []}
        down_since = min([agents.stopped_tick[c] for c in ("kubelet", "containerd") if c in agents.stopped_tick]
                         or [state.clock.tick + 1])
        kubelet_lost = not agents.kubelet and state.clock.tick - down_since >= NODE_NOT_READY_AFTER_TICKS
        if kubelet_lost:
            ready = ("Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.")
        elif not agents.containerd and state.clock.tick - down_since >= RUNTIME_DOWN_AFTER_TICKS:
            ready = ("False", "KubeletNotReady", _runtime_down(state.clock.tick - down_since))
        else:
            ready = ("True", "KubeletReady", "kubelet is posting ready status")
        new = []
        for type_, (status, reason, message) in (
            ("MemoryPressure", ("False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available")),
            ("DiskPressure", ("False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure")),
            ("PIDPressure", ("False", "KubeletHasSufficientPID", "kubelet has sufficient PID available")),
            ("Ready", ready),
        ):
            if kubelet_lost and type_ != "Ready":
                status, reason, message = "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status."
            prev = conditions.get(type_)
            changed = prev is None or prev["status"] != status
            new.append({"type": type_, "status": status, "reason": reason, "message": message,
                        "lastHeartbeatTime": now if not kubelet_lost else (prev or {}).get("lastHeartbeatTime", now),
                        "lastTransitionTime": now if changed else prev["lastTransitionTime"]})
            if changed and prev is not None and type_ == "Ready":
                events.emit(node, "NodeNotReady" if status != "True" else "NodeReady",
                            f"Node {name} status is now: {'NodeNotReady' if status != 'True' else 'NodeReady'}",
                            component="node-controller" if status != "True" else "kubelet",
                            type_="Normal")
        taints = [t for t in node["spec"].get("taints") or [] if not t["key"].startswith("node.kubernetes.io/")
                  or t["key"] == "node.kubernetes.io/unschedulable"]
        if ready[0] == "Unknown":
            taints += [{"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule", "timeAdded": now},
                       {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "timeAdded": now}]
        elif ready[0] == "False":
            taints += [{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule", "timeAdded": now},
                       {"key": "node.kubernetes.io/not-ready", "effect": "NoExecute", "timeAdded": now}]
        if node["spec"].get("unschedulable") and not any(t["key"] == "node.kubernetes.io/unschedulable"
                                                         for t in taints):
            taints.append({"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule", "timeAdded": now})
        if not node["spec"].get("unschedulable"):
            taints = [t for t in taints if t["key"] != "node.kubernetes.io/unschedulable"]
        old_taints = node["spec"].get("taints") or []
        if [(t["key"], t["effect"]) for t in taints] == [(t["key"], t["effect"]) for t in old_taints]:
            taints = old_taints
        changed = [c["status"] for c in new] != [c["status"] for c in conditions.values()] or taints != old_taints
        node["status"]["conditions"] = new
        node["spec"]["taints"] = taints or None
        if changed:
            state.store.touch(node)
        not_ready_since = state.extra.setdefault("not_ready_since", {})
        if ready[0] != "True":
            _mark_pods_not_ready(state, events, name, now)
            since = not_ready_since.setdefault(name, state.clock.tick)
            if state.clock.tick - since >= EVICT_AFTER_TICKS:
                _evict_pods(state, events, name)
        else:
            not_ready_since.pop(name, None)


def _runtime_down(ticks: int) -> str:
    """The kubelet's Ready message once its runtime stopped answering: the runtime check fails after 30 s, the pod
    lifecycle event generator (PLEG) is declared unhealthy once it has not relisted for 3 minutes."""
    message = "container runtime is down"
    if ticks >= PLEG_THRESHOLD_TICKS:
        message += (f", PLEG is not healthy: pleg was last seen active {_go_duration(ticks * TICK_SECONDS)} ago; "
                    "threshold is 3m0s")
    return message


def _go_duration(seconds: int) -> str:
    """A whole number of seconds as Go's `time.Duration` prints it (`3m5s`, `1h0m0s`)."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return (f"{hours}h{minutes}m{secs}s" if hours else f"{minutes}m{secs}s" if minutes else f"{secs}s")


def _evict_pods(state: SimState, events: EventRecorder, node: str) -> None:
    """Taint-based eviction: pods tolerate not-ready/unreachable for 300 s, then are marked for deletion so their
    controllers replace them elsewhere (they stay Terminating until the node's kubelet confirms)."""
    for pod in state.store.list("Pod"):
        if pod["spec"].get("nodeName") == node and not pod["metadata"].get("deletionTimestamp"):
            events.emit(pod, "TaintManagerEviction", f"Marking for deletion Pod {pod['metadata']['namespace']}/"
                        f"{pod['metadata']['name']}", component="taint-eviction-controller")
            mark_deleted(state, pod)


def _mark_pods_not_ready(state: SimState, events: EventRecorder, node: str, now: str) -> None:
    for pod in state.store.list("Pod"):
        if pod["spec"].get("nodeName") != node:
            continue
        flipped = False
        for cond in pod.get("status", {}).get("conditions") or []:
            if cond["type"] in ("Ready", "ContainersReady") and cond["status"] == "True":
                cond["status"] = "False"
                cond["lastTransitionTime"] = now
                flipped = True
        if flipped:
            state.store.touch(pod)
            events.emit(pod, "NodeNotReady", "Node is not ready", type_="Warning", component="node-controller")
        for status in pod.get("status", {}).get("containerStatuses") or []:
            status["ready"] = False
