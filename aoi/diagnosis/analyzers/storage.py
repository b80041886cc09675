"""Storage: a PersistentVolumeClaim stays Pending, so the pod that mounts it cannot be scheduled.

Kubernetes behaviour encoded here: the PV controller binds a claim only to a volume of the same StorageClass whose
access modes include the claim's, whose capacity is at least the request, whose labels match the claim's
`selector`, and which is not bound to another claim; it silently skips volumes that do not fit (only a claim pinned
with `volumeName` gets a `VolumeMismatch` or `FailedBinding` event naming the reason). A class that does not exist
gets `ProvisioningFailed: storageclass ... not found`. The pod meanwhile reports `pod has unbound immediate
PersistentVolumeClaims`. So the claim's spec is compared with every volume and class, check by check, in the
controller's order; the check that rules out every volume is the cause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from aoi.diagnosis.analyzers.common import finding, service_object, unhealthy_workloads
from aoi.diagnosis.findings import Finding
from aoi.diagnosis.reads import Reads, quantity

_UNITS = {"": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
_MODES = {"RWO": "ReadWriteOnce", "ROX": "ReadOnlyMany", "RWX": "ReadWriteMany", "RWOP": "ReadWriteOncePod"}
_EVENT_CAUSES = (("already bound to a different claim", "pv_binding_occupied"),
                 ("requested PV is too small", "pvc_capacity_mismatch"),
                 ("storageClassName does not match", "pvc_storage_class_mismatch"),
                 ("incompatible accessMode", "pvc_access_mode_mismatch"),
                 ("storageclass.storage.k8s.io", "pvc_storage_class_mismatch"))


@dataclass(slots=True)
class _Claim:
    name: str
    status: str
    storage_class: str
    modes: tuple[str, ...]
    request: float | None
    selector: dict[str, str]
    volume_name: str
    source: str


@dataclass(slots=True)
class _Volume:
    name: str
    status: str
    claim: str
    storage_class: str
    modes: tuple[str, ...]
    capacity: float | None
    labels: dict[str, str]


def pending_claims(reads: Reads) -> list[Finding]:
    """Compare each Pending claim a workload mounts with the PersistentVolumes and StorageClasses."""
    findings = []
    claims = {row.get("NAME", ""): row for row in reads.table("persistentvolumeclaims")}
    users = _claim_users(reads)
    unhealthy = unhealthy_workloads(reads)
    redeployed: list[tuple[str, tuple[str, str]]] = []
    for name, row in claims.items():
        if row.get("STATUS") != "Pending":
            continue
        workload = users.get(name) or ""
        if not workload:
            continue
        claim = _claim(reads, workload, name, row)
        volumes = _volumes(reads)
        classes = {r.get("NAME", "").split(" ")[0] for r in reads.table("storageclasses")}
        candidates, evidence = _compare(claim, volumes, classes)
        for event in reads.events():
            if event.name == name and event.kind in ("persistentvolumeclaim", "pvc"):
                for text, cause in _EVENT_CAUSES:
                    if text in event.message:
                        candidates[cause] = max(candidates.get(cause, 0), 0.9)
                        evidence.insert(0, (event.line, reads.events_label()))
        if not candidates:
            continue
        if "pvc_unbindable_after_redeploy" in candidates:
            redeployed.append((name, evidence[-1]))
        evidence.append((f"claim {name} is Pending (class {claim.storage_class or '<none>'}, modes "
                            f"{','.join(claim.modes) or '?'}, request {row.get('CAPACITY') or '?'})",
                            reads.label("get_resources", resource_type="persistentvolumeclaims")))
        findings.append(finding("pending_claims", service_object(workload),
                                f"claim {name} of {workload} cannot bind", evidence, candidates.items(),
                                reads.label("describe_resource", resource_type="persistentvolumeclaims", name=name),
                                stale=workload not in unhealthy))
    if len(redeployed) >= 2:
        findings.append(finding("pending_claims", f"namespace/{reads.namespace}",
                                f"{len(redeployed)} claims were re-created while their volumes stay Released",
                                [line for _, line in redeployed[:3]], [("pvc_unbindable_after_redeploy", 0.92)],
                                reads.label("get_resources", resource_type="persistentvolumes")))
    return findings


def _claim_users(reads: Reads) -> dict[str, str]:
    """Claim name → the workload whose pod template mounts it."""
    users: dict[str, str] = {}
    for service in reads.services():
        workload = reads.workload(service)
        if workload is None:
            continue
        for volume in workload.pod_spec.get("volumes") or []:
            claim = ((volume or {}).get("persistentVolumeClaim") or {}).get("claimName")
            if claim:
                users.setdefault(str(claim), service)
    return users


def _claim(reads: Reads, workload: str, name: str, row: dict[str, str]) -> _Claim:
    found = reads.workload(workload)
    spec: dict[str, Any] = {}
    source = reads.label("get_resources", resource_type="persistentvolumeclaims")
    for doc in found.documents if found else ():
        if doc.get("kind") == "PersistentVolumeClaim" and (doc.get("metadata") or {}).get("name") == name:
            spec, source = doc.get("spec") or {}, reads.label("get_app_yaml", service=workload)
    modes = tuple(str(m) for m in spec.get("accessModes") or []) or tuple(
        _MODES.get(m.strip(), m.strip()) for m in row.get("ACCESS MODES", "").split(",") if m.strip())
    request = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
    selector = {str(k): str(v) for k, v in ((spec.get("selector") or {}).get("matchLabels") or {}).items()}
    for expr in (spec.get("selector") or {}).get("matchExpressions") or []:
        if isinstance(expr, dict) and expr.get("operator") == "In" and expr.get("values"):
            selector[str(expr.get("key"))] = str(expr["values"][0])
    return _Claim(name, row.get("STATUS", ""), str(spec.get("storageClassName") or row.get("STORAGECLASS", "")
                                                   ).strip(), modes,
                  quantity(str(request)) if request is not None else None, selector,
                  str(spec.get("volumeName") or ""), source)


def _volumes(reads: Reads) -> list[_Volume]:
    volumes = []
    for row in reads.table("persistentvolumes"):
        name = row.get("NAME", "")
        labels: dict[str, str] = {}
        text = reads.describe("persistentvolumes", name) or ""
        block = re.search(r"^Labels:\s+(.*?)(?=^\S)", text, re.M | re.S)
        for item in (block.group(1).split() if block else []):
            key, sep, value = item.partition("=")
            if sep:
                labels[key] = value
        volumes.append(_Volume(name, row.get("STATUS", ""), row.get("CLAIM", ""), row.get("STORAGECLASS", ""),
                               tuple(_MODES.get(m.strip(), m.strip()) for m in row.get("ACCESS MODES", "").split(",")
                                     if m.strip()), quantity(row.get("CAPACITY", "")), labels))
    return volumes


def _compare(claim: _Claim, volumes: list[_Volume], classes: set[str]) -> tuple[dict[str, float],
                                                                                  list[tuple[str, str]]]:
    """The checks of the PV controller, in order, over every volume; which check rules them all out."""
    source = "get_resources(resource_type=persistentvolumes)"
    candidates: dict[str, float] = {}
    evidence: list[tuple[str, str]] = []
    if claim.volume_name:
        pinned = next((v for v in volumes if v.name == claim.volume_name), None)
        if pinned is not None and pinned.claim and not pinned.claim.endswith("/" + claim.name):
            candidates["pv_binding_occupied"] = 0.9
            evidence.append((f"volume {pinned.name} is {pinned.status}, claimed by {pinned.claim}", source))
            return candidates, evidence
    same_class = [v for v in volumes if v.storage_class == claim.storage_class]
    if claim.storage_class and claim.storage_class not in classes and not same_class:
        candidates["pvc_storage_class_mismatch"] = 0.9
        evidence.append((f"no StorageClass or volume named {claim.storage_class} (classes: "
                         f"{', '.join(sorted(classes)) or 'none'})", "get_resources(resource_type=storageclasses)"))
        return candidates, evidence
    if not same_class:
        if volumes:
            candidates["pvc_storage_class_mismatch"] = 0.6
            evidence.append((f"no volume of class {claim.storage_class or '<none>'}; volumes: "
                             + ", ".join(f"{v.name} ({v.storage_class or '<none>'})" for v in volumes[:4]), source))
        return candidates, evidence
    free = [v for v in same_class if v.status == "Available" or not v.claim]
    released = [v for v in same_class if v.status == "Released" and v.claim.rsplit("/", 1)[-1] == claim.name]
    if not free and released:
        # A Retain volume keeps the claimRef (with the old uid) of the claim it served: a claim re-created with
        # the same name is a new object, and the volume stays Released until an admin clears the claimRef.
        candidates["pvc_unbindable_after_redeploy"] = 0.7
        candidates["pv_binding_occupied"] = 0.6
        evidence.append((f"volume {released[0].name} is Released, still held for an earlier {claim.name}", source))
        return candidates, evidence
    if not free:
        candidates["pv_binding_occupied"] = 0.85
        evidence.append(("every volume of the class is bound elsewhere: " + ", ".join(
            f"{v.name} → {v.claim}" for v in same_class[:3]), source))
        return candidates, evidence
    checks = (("pvc_selector_mismatch", lambda v: all(v.labels.get(k) == val for k, val in claim.selector.items()),
               f"selector {claim.selector}"),
              ("pvc_access_mode_mismatch", lambda v: not claim.modes or set(claim.modes) <= set(v.modes),
               f"access modes {','.join(claim.modes)}"),
              ("pvc_capacity_mismatch", lambda v: claim.request is None or v.capacity is None
               or v.capacity >= claim.request, "requested capacity"))
    if not claim.selector and not claim.modes and claim.request is None:
        # The claim's spec is not visible (describe shows none of it while Pending): an Available volume of its
        # class exists, so the claim asks for something that volume lacks.
        evidence.append((f"volume(s) {', '.join(v.name for v in free[:3])} of the claim's class are Available, yet "
                         "the claim stays Pending", source))
        return {"pvc_selector_mismatch": 0.5, "pvc_access_mode_mismatch": 0.45, "pvc_capacity_mismatch": 0.45}, \
            evidence
    for cause, fits, what in checks:
        failing = [v for v in free if not fits(v)]
        if failing and len(failing) == len(free):
            candidates[cause] = 0.9
            evidence.append((f"{what} of claim {claim.name} fits none of " + ", ".join(
                f"{v.name} ({','.join(v.modes)}, {_size(v.capacity)}, labels {v.labels or '{}'})" for v in free[:3]),
                source))
        elif failing:
            candidates[cause] = 0.4
    return candidates, evidence


def _size(value: float | None) -> str:
    if value is None:
        return "?"
    for unit in ("Ti", "Gi", "Mi", "Ki"):
        if value >= _UNITS[unit]:
            return f"{value / _UNITS[unit]:g}{unit}"
    return f"{value:g}"
