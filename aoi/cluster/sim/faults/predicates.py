"""State predicates shared by faults' `is_mitigated` checks (AIOpsLab's mitigation oracles)."""

from __future__ import annotations

from typing import Any

from aoi.cluster.sim.state import SimState

BAD_WAITING = ("CrashLoopBackOff", "Error", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError",
               "RunContainerError")


def all_pods_healthy(state: SimState, namespace: str) -> bool:
    """AIOpsLab's check: every pod in the namespace has all containers ready, none waiting in a bad state,
    none terminated other than Completed — and at least one pod exists."""
    pods = [p for p in state.store.list("Pod", namespace) if not p["metadata"].get("deletionTimestamp")]
    if not pods:
        return False
    for pod in pods:
        statuses = pod.get("status", {}).get("containerStatuses") or []
        if not statuses or pod["status"].get("phase") not in ("Running", "Succeeded"):
            return False
        for s in statuses:
            state_ = s.get("state") or {}
            if state_.get("waiting", {}).get("reason") in BAD_WAITING:
                return False
            if "terminated" in state_ and state_["terminated"].get("reason") != "Completed":
                return False
            if not s.get("ready"):
                return False
    return True


def deployment(state: SimState, namespace: str, name: str) -> dict[str, Any] | None:
    return state.store.get("Deployment", namespace, name)


def container_spec(state: SimState, namespace: str, name: str) -> dict[str, Any]:
    dep = deployment(state, namespace, name)
    return dep["spec"]["template"]["spec"]["containers"][0] if dep else {}


def deployment_available(state: SimState, namespace: str, name: str, replicas: int = 1) -> bool:
    dep = deployment(state, namespace, name)
    return bool(dep) and int(dep["spec"].get("replicas", 0)) == replicas and int(
        dep.get("status", {}).get("availableReplicas", 0)) >= replicas
