"""Admission: the API server refuses to store an object, so a controller cannot create what a workload needs.

Kubernetes behaviour encoded here:

* The ResourceQuota admission plugin rejects a create that would push `used` past `hard` with
  `exceeded quota: <quota>, requested: <r>, used: <u>, limited: <l>`, naming only the exceeded resources. A
  ReplicaSet controller that is refused records a Warning `FailedCreate` (`Error creating: pods "x" is forbidden:
  ...`); a Service or PersistentVolumeClaim created directly gets an HTTP 403 and no event at all, so for those the
  quota's own `used`/`hard` and the object missing from the namespace are the evidence.
* The ServiceAccount admission plugin refuses a pod whose `serviceAccountName` does not exist: `error looking up
  service account <ns>/<sa>: serviceaccount "<sa>" not found`, again as a ReplicaSet `FailedCreate`.
"""

from __future__ import annotations

import re

from aoi.diagnosis.analyzers.common import event_workload, finding, is_current, service_object, unhealthy_workloads
from aoi.diagnosis.findings import Finding
from aoi.diagnosis.messages import parse_quota_rejection, quota_resource
from aoi.diagnosis.reads import Reads

QUOTA_CAUSES = {"cpu": "namespace_cpu_quota_exceeded", "memory": "namespace_memory_quota_exceeded",
                "pods": "namespace_pod_quota_exceeded", "services": "namespace_service_quota_exceeded",
                "storage": "namespace_storage_quota_exceeded"}
_SA_MISSING = re.compile(r'serviceaccount "([^"]+)" not found|error looking up service account \S+/(\S+?):')


def quota_exhaustion(reads: Reads) -> list[Finding]:
    """Quota rejections in `FailedCreate` events, and quotas whose `used` has reached `hard` for a resource whose
    objects are created directly (services, claims) while the namespace lacks one a workload needs."""
    findings: list[Finding] = []
    obj = f"namespace/{reads.namespace}"
    seen: dict[str, list[tuple[str, str]]] = {}
    stale: dict[str, bool] = {}
    for event in reads.events():
        rejection = parse_quota_rejection(event.message) if event.reason in ("FailedCreate", "Failed") else None
        if rejection is None:
            continue
        current = is_current(reads, event)
        for resource in {quota_resource(r) for r in rejection.requested if r in rejection.limited}:
            if resource in QUOTA_CAUSES:
                seen.setdefault(resource, []).append((event.line, reads.events_label()))
                stale[resource] = stale.get(resource, True) and not current
    limits = _quota_entries(reads)
    for resource, lines in seen.items():
        # The quota's own used/hard is object state showing the same limit the rejection message names.
        state = [(f"{kind}: used {used}, hard {hard}", source) for kind, used, hard, source in limits
                 if kind == resource][:1]
        findings.append(finding("quota_exhaustion", obj, f"creates refused by a ResourceQuota ({resource})",
                                [*lines[:1], *state, *lines[1:]], [(QUOTA_CAUSES[resource], 0.9)],
                                _quota_confirm(reads), stale=stale[resource]))
    for resource in ("services", "storage"):
        if resource in seen:
            continue
        entries = [e for e in limits if e[0] == resource]
        missing = _missing_objects(reads, resource)
        if not entries or not missing:
            continue
        full = [e for e in entries if e[1] == e[2]]
        if resource == "services" and not full:
            continue  # a count quota below its limit cannot refuse the create of one object
        # A direct create refused by quota leaves no event: the quota's headroom and the missing object are the
        # evidence. At its limit the refusal is certain; below it, the missing object may simply be larger.
        _, used, hard, source = (full or entries)[0]
        findings.append(finding("quota_exhaustion", obj, f"{missing[0]}, and a quota limits {resource} "
                                f"({used}/{hard})", [(f"{resource}: used {used}, hard {hard}", source),
                                                     *[(m, _missing_source(reads, resource)) for m in missing[:2]]],
                                [(QUOTA_CAUSES[resource], 0.85 if full else 0.75)], _quota_confirm(reads)))
    return findings


def _quota_confirm(reads: Reads) -> str:
    return reads.label("get_resources", resource_type="resourcequota")


def _quota_entries(reads: Reads) -> list[tuple[str, str, str, str]]:
    """(resource kind, used, hard, source) of every quota entry: from `get resourcequota`'s REQUEST/LIMIT cells
    (`services: 5/5`), else from each quota's `describe` table."""
    out = []
    source = reads.label("get_resources", resource_type="resourcequota")
    rows = reads.table("resourcequota")
    for row in rows:
        for cell in (row.get("REQUEST", ""), row.get("LIMIT", "")):
            for name, used, hard in re.findall(r"([\w./-]+): ([^,/\s]+)/([^,\s]+)", cell):
                out.append((quota_resource(name), used, hard, source))
    if out or not rows:
        return out
    for row in rows:
        text = reads.describe("resourcequota", row.get("NAME", ""))
        for line in (text or "").splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[0] not in ("Resource", "--------") and not parts[0].endswith(":"):
                out.append((quota_resource(parts[0]), parts[1], parts[2],
                            reads.label("describe_resource", resource_type="resourcequota", name=row.get("NAME", ""))))
    return out


def _missing_source(reads: Reads, resource: str) -> str:
    return reads.label("get_resources", resource_type="services" if resource == "services"
                       else "persistentvolumeclaims")


def _missing_objects(reads: Reads, resource: str) -> list[str]:
    """Services (or claims) that a workload's manifest needs and the namespace lacks."""
    out = []
    if resource == "services":
        present = {row.get("NAME") for row in reads.table("services")}
        workloads = reads.services()
        # Workloads conventionally have a Service of their own name; when most do, one that lacks it is missing.
        convention = sum(1 for w in workloads if w in present) * 2 >= len(workloads) > 0
        for name in unhealthy_or_all(reads):
            workload = reads.workload(name)
            wanted = str((workload.service.get("metadata") or {}).get("name", "")) if workload and workload.service \
                else name if convention else ""
            if wanted and wanted not in present:
                out.append(f"Service {wanted} does not exist")
        return out
    claims = {row.get("NAME") for row in reads.table("persistentvolumeclaims")}
    for name in unhealthy_or_all(reads):
        workload = reads.workload(name)
        for volume in workload.pod_spec.get("volumes") or [] if workload else []:
            claim = ((volume or {}).get("persistentVolumeClaim") or {}).get("claimName")
            if claim and claim not in claims:
                out.append(f"claim {claim} of {name} does not exist")
    return out


def unhealthy_or_all(reads: Reads) -> list[str]:
    bad = list(unhealthy_workloads(reads))
    return bad + [s for s in reads.services() if s not in bad]


def missing_service_account(reads: Reads) -> list[Finding]:
    """`FailedCreate` because the pod template names a ServiceAccount that does not exist."""
    findings = []
    accounts = {row.get("NAME") for row in reads.table("serviceaccounts")}
    for event in reads.events():
        match = _SA_MISSING.search(event.message)
        if match is None or event.reason not in ("FailedCreate", "Failed"):
            continue
        account = match.group(1) or match.group(2)
        workload = event_workload(reads, event)
        if not workload:
            continue
        evidence = [(event.line, reads.events_label())]
        if accounts and account not in accounts:
            evidence.append((f"serviceaccount {account} is not among {len(accounts)} ServiceAccounts",
                             reads.label("get_resources", resource_type="serviceaccounts")))
        findings.append(finding("missing_service_account", service_object(workload),
                                f"pods of {workload} are refused: ServiceAccount {account} not found", evidence,
                                [("missing_service_account", 0.9)],
                                reads.label("get_app_yaml", service=workload),
                                stale=not is_current(reads, event) or account in accounts))
    return findings
