"""Remedies: for a diagnosed root cause on its fault object, the reads that show what to change and the minimal
writes that remove the cause.

Triage names the cause (a `aoi.diagnosis.taxonomy` name) and the fault object (`service/<name>`, `node/<name>`,
`namespace/<name>`); this module knows, per cause, which probe reads show the objects a fix touches and how to turn
those outputs into executor writes. Like every analyzer of the expert it reads only tool output as text — tables,
describe output, YAML, JSON — so every name and value in a write comes from what the probe showed (invariant 4:
the graph refuses a write at a target the probe never showed). Writes are the smallest reversible change that
removes the cause: a patch before a delete, a delete only where the object must be re-created.

Use it in rounds until the reads are complete, then plan the writes:

    outputs = []
    while not reads_complete(cause, obj, ns, outputs):
        outputs = probe(plan_reads(cause, obj, ns, outputs))    # one round, two for the causes below
    writes = plan_writes(cause, obj, ns, outputs)               # [] when no safe fix is known

Two causes need a second round because the first reads only reveal which object to look at:
`namespace_service_quota_exceeded` (which Service is missing, then its workload's ports) and `pv_binding_occupied`
(which claim holds the volume, then whether any pod uses it). Each round's calls are complete on their own, so a
caller that keeps only the latest outputs converges too.

Plans converge: reading again after some of a plan's writes have landed plans the rest, and [] once the cause is
gone, so a stateless caller may apply the first write, read again and repeat. A rollback is the exception — it
makes a new revision, so planning again would roll back once more: apply a rollback plan once.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

Call = tuple[str, dict[str, Any]]
"""(tool name, arguments), as a decision's `tool_calls` carry them."""


@dataclass(frozen=True, slots=True)
class ToolOutput:
    """The result of one probe call as a reader of tool output sees it (a prompt's `<tool_output>`, or a call the
    approval step made): the call, its text (compressed or not, redacted) and whether it was an error."""

    tool: str
    args: dict[str, Any]
    text: str
    error: bool

ROLLBACK_CAUSES: frozenset[str] = frozenset({
    "node_affinity_mismatch", "node_selector_mismatch", "pod_anti_affinity_conflict", "insufficient_node_cpu",
    "insufficient_node_memory", "image_registry_dns_failure", "incorrect_image_reference",
    "missing_image_pull_secret", "volume_mount_permission_denied", "oom_killed", "liveness_probe_incorrect_protocol",
    "liveness_probe_incorrect_port", "liveness_probe_incorrect_timing", "readiness_probe_incorrect_protocol",
    "readiness_probe_incorrect_port",
})
"""Causes that live in a Deployment's pod template: rolling the template back to the previous revision removes
them when the revision shows it changed."""

QUOTA_RESOURCES: dict[str, tuple[str, ...]] = {
    "namespace_cpu_quota_exceeded": ("requests.cpu", "limits.cpu", "cpu"),
    "namespace_memory_quota_exceeded": ("requests.memory", "limits.memory", "memory"),
    "namespace_pod_quota_exceeded": ("pods", "count/pods"),
    "namespace_service_quota_exceeded": ("services", "count/services"),
    "namespace_storage_quota_exceeded": ("requests.storage",),
}
"""The ResourceQuota entries each quota cause may have used up."""

CLAIM_CAUSES: frozenset[str] = frozenset({
    "pvc_selector_mismatch", "pvc_storage_class_mismatch", "pvc_access_mode_mismatch", "pvc_capacity_mismatch"})
"""A claim whose spec no volume satisfies. A claim's spec is immutable and a Pending claim's describe output does
not show what it asks for, so the fix re-creates it with a spec read off the volume it should bind."""

NODE_DAEMONS: dict[str, str] = {
    "containerd_unavailable": "containerd", "kubelet_unavailable": "kubelet",
    "kube_proxy_unavailable": "kube-proxy", "kube_scheduler_unavailable": "kube-scheduler",
}

CHAOS_KINDS: dict[str, str] = {"pod_cpu_overload": "StressChaos", "pod_network_delay": "NetworkChaos"}
"""Chaos Mesh experiment kind behind each chaos-injected cause. Read through `kubectl get <kind>`: a live cluster
with Chaos Mesh answers; the simulator has no read path to its experiments (the tool errors), so there the
remedy is [] — deleting an experiment no read has shown would violate invariant 4."""

NODE_NETWORK_CAUSES: frozenset[str] = frozenset({"node_network_delay", "node_network_packet_loss"})
"""Traffic control on a node's interface. No write tool reaches a node's qdisc, so the fix is a drain (cordon,
then delete the namespace's pods there so their replacements run elsewhere). No read shows the impairment
itself, so this remedy trusts the diagnosis."""

SERVICE_ROUTING_CAUSES: frozenset[str] = frozenset({
    "service_selector_mismatch", "service_port_mapping_mismatch", "service_protocol_mismatch"})

_ACCESS_MODES = {"RWO": "ReadWriteOnce", "ROX": "ReadOnlyMany", "RWX": "ReadWriteMany", "RWOP": "ReadWriteOncePod"}
_CONTROL_PLANE_ROLES = ("control-plane", "master")
_SYSTEM_TAINTS = ("node.kubernetes.io/", "node-role.kubernetes.io/", "node.cloudprovider.kubernetes.io/")
"""Taints the node lifecycle sets (not-ready, unschedulable, ...) or that reserve the control plane: never
tolerated by a fix."""
_REVISION = re.compile(r"deployment\.kubernetes\.io/revision:\s*\"?(\d+)")
_QUOTA_ENTRY = re.compile(r"([\w./-]+):\s*([^\s,/]+)/([^\s,]+)")
_REQUESTED = re.compile(r"exceeded quota: ([-\w.]+), requested: ([^,]+(?:,[^:,]+=[^,]+)*), used:")
_MISSING_CLAIM = re.compile(r'persistentvolumeclaim "([-a-z0-9.]+)" not found')
_MISSING_ACCOUNT = re.compile(r'serviceaccount "([-a-z0-9.]+)" not found')
_ADDRESS = re.compile(r"^(?P<scheme>[a-z][a-z0-9+.-]*://)?(?P<host>[a-z][-a-z0-9.]*):(?P<port>\d{1,5})$")
_HEADER = re.compile(r"^[A-Z][A-Z0-9()_/.:-]*(?: [A-Z][A-Z0-9()_/.:-]*)*(?: {2,}[A-Z][A-Z0-9()_/.:-]*"
                     r"(?: [A-Z][A-Z0-9()_/.:-]*)*)+ *$")


# -- public API -----------------------------------------------------------------------------------------------------
def plan_reads(cause: str, obj: str, namespace: str, outputs: Sequence[ToolOutput] = ()) -> list[Call]:
    """The probe calls (at most 3) whose outputs `plan_writes` needs for `cause` on `obj`; [] for a cause or object
    this module has no remedy for. With `outputs` of an earlier round, the calls are refined to the objects those
    outputs revealed; the reads are complete once every call returned is answered in `outputs`."""
    kind, name = _split(obj)
    planner = _READS.get(cause)
    if planner is None or kind != _OBJECT_KIND.get(cause) or not name:
        return []
    return planner(cause, name, namespace, _Outputs(outputs, namespace))[:3]


def reads_complete(cause: str, obj: str, namespace: str, outputs: Sequence[ToolOutput]) -> bool:
    """Whether `outputs` answer every call `plan_reads` asks for given them (a tool error counts as an answer)."""
    seen = _Outputs(outputs, namespace)
    return all(seen.answered(tool, args) for tool, args in plan_reads(cause, obj, namespace, outputs))


def plan_writes(cause: str, obj: str, namespace: str, outputs: Sequence[ToolOutput]) -> list[Call]:
    """The executor writes, in order, that remove `cause` on `obj`, built only from `outputs` (the results of
    `plan_reads`); [] when the outputs show nothing to fix or no safe fix is known. Every optional argument is
    spelled out as the executor fills it, since a grant is bound to the arguments as proposed."""
    kind, name = _split(obj)
    planner = _WRITES.get(cause)
    if planner is None or kind != _OBJECT_KIND.get(cause) or not name:
        return []
    return planner(cause, name, namespace, _Outputs(outputs, namespace))


# -- outputs --------------------------------------------------------------------------------------------------------
class _Outputs:
    """The outputs at hand, looked up by call; a later output of the same call wins."""

    def __init__(self, outputs: Sequence[ToolOutput], namespace: str) -> None:
        self.items = list(outputs)
        self.namespace = namespace

    def _matches(self, out: ToolOutput, tool: str, args: dict[str, Any]) -> bool:
        if out.tool != tool:
            return False
        have = {k: v for k, v in out.args.items() if not (k == "namespace" and v in (None, self.namespace))}
        want = {k: v for k, v in args.items() if not (k == "namespace" and v in (None, self.namespace))}
        return all(have.get(k) == v for k, v in want.items()) and all(
            not v for k, v in have.items() if k not in want)

    def answered(self, tool: str, args: dict[str, Any]) -> bool:
        return any(self._matches(o, tool, args) for o in self.items)

    def text(self, tool: str, **args: Any) -> str | None:
        """The text of the latest successful output of this call, or None."""
        for out in reversed(self.items):
            if self._matches(out, tool, args):
                return None if out.error else out.text
        return None

    def error(self, tool: str, **args: Any) -> str | None:
        """The message of the latest output of this call if it was a tool error, or None."""
        for out in reversed(self.items):
            if self._matches(out, tool, args):
                return out.text if out.error else None
        return None

    def of_tool(self, tool: str) -> list[ToolOutput]:
        return [o for o in self.items if o.tool == tool and not o.error]


# -- reads ----------------------------------------------------------------------------------------------------------
def _get(resource_type: str, namespace: str | None = None, **extra: Any) -> Call:
    args: dict[str, Any] = {"resource_type": resource_type}
    if namespace is not None:
        args["namespace"] = namespace
    return ("get_resources", {**args, **extra})


def _yaml(service: str, namespace: str) -> Call:
    return ("get_app_yaml", {"service": service, "namespace": namespace})


def _warnings(namespace: str) -> Call:
    return ("get_events", {"namespace": namespace, "warnings_only": True})


def _reads_quota(cause: str, name: str, ns: str, seen: _Outputs) -> list[Call]:
    if cause == "namespace_storage_quota_exceeded":
        return [_get("resourcequotas", ns), _get("persistentvolumes"), _warnings(ns)]
    if cause != "namespace_service_quota_exceeded":
        return [_get("resourcequotas", ns), _warnings(ns)]
    quotas, missing = _service_quota_targets(seen)
    if not missing:
        return [_get("resourcequotas", ns), _get("services", ns), _get("deployments", ns)]
    calls = [("describe_resource", {"resource_type": "resourcequota", "name": q, "namespace": ns}) for q in quotas]
    return (calls + [_yaml(s, ns) for s in missing])[:3]


def _service_quota_targets(seen: _Outputs) -> tuple[list[str], list[str]]:
    """The quotas that count Services and the workloads whose Service is missing, from either round."""
    quotas = [q for q, entries in _quota_table(seen).items()
              if any(r in QUOTA_RESOURCES["namespace_service_quota_exceeded"] for r in entries)]
    quotas += [str(o.args.get("name")) for o in seen.of_tool("describe_resource")
               if o.args.get("resource_type") == "resourcequota" and o.args.get("name") not in quotas]
    services = seen.text("get_resources", resource_type="services")
    deployments = seen.text("get_resources", resource_type="deployments")
    missing: list[str] = []
    if services is not None and deployments is not None:
        have = {row.get("NAME") for row in _table(services)}
        missing = [n for n in (row.get("NAME", "") for row in _table(deployments)) if n and n not in have]
    missing += [str(o.args.get("service")) for o in seen.of_tool("get_app_yaml") if o.args.get("service")
                not in missing]
    return quotas[:1], missing[:2]


def _reads_account(cause: str, name: str, ns: str, seen: _Outputs) -> list[Call]:
    return [_yaml(name, ns), _warnings(ns)]


def _reads_cordon(cause: str, name: str, ns: str, seen: _Outputs) -> list[Call]:
    return [_get("nodes")]


def _reads_taint(cause: str, name: str, ns: str, seen: _Outputs) -> list[Call]:
    return [("get_cluster_configuration", {}), _yaml(name, ns)]


def _reads_yaml(cause: str, name: str, ns: str, seen: _Outputs) -> list[Call]:
    return [_yaml(name, ns)]


def _reads_claim(cause: str, name: str, ns: str, seen: _Outputs) -> list[Call]:
    first = [_yaml(name, ns), _get("persistentvolumeclaims", ns), _get("persistentvolumes")]
    if cause != "pv_binding_occupied":
        return first
    holder = _claim_holder(name, ns, seen)
    if holder is None:
        return first
    return [_yaml(name, ns), _get("persistentvolumes"),
            ("describe_resource", {"resource_type": "persistentvolumeclaim", "name": holder, "namespace": ns})]


def _reads_env(cause: str, name: str, ns: str, seen: _Outputs) -> list[Call]:
    return [_yaml(name, ns), _get("services", ns)]


def _reads_chaos(cause: str, name: str, ns: str, seen: _Outputs) -> list[Call]:
    return [("kubectl", {"command": f"kubectl get {CHAOS_KINDS[cause].lower()} -n {ns}"})]


def _reads_drain(cause: str, name: str, ns: str, seen: _Outputs) -> list[Call]:
    return [_get("nodes"), _get("pods", ns, wide=True)]


def _reads_daemon(cause: str, name: str, ns: str, seen: _Outputs) -> list[Call]:
    return [("check_node_service_status", {"node": name, "component": NODE_DAEMONS[cause]})]


# -- writes: admission ----------------------------------------------------------------------------------------------
def _writes_quota(cause: str, name: str, ns: str, seen: _Outputs) -> list[Call]:
    if cause == "namespace_service_quota_exceeded":
        return _writes_service_quota(ns, seen)
    claims: list[Call] = []
    need: dict[str, float] = _requested(seen)
    if cause == "namespace_storage_quota_exceeded":
        claims = _missing_claims(ns, seen)
        need = {"requests.storage": sum(_bytes(c[1]["manifest"]["spec"]["resources"]["requests"]["storage"]) or 0
                                        for c in claims)}
        if not claims:
            return []
    return [*_quota_patches(cause, ns, seen, need), *claims]


def _quota_patches(cause: str, ns: str, seen: _Outputs, need: dict[str, float]) -> list[Call]:
    """Raise every used-up (or too small) entry of the cause's resource to twice what it holds, and at least to
    what is used plus twice what is asked for."""
    writes = []
    for quota, entries in _quota_table(seen).items():
        hard_patch = {}
        for resource, (used, hard) in entries.items():
            if resource not in QUOTA_RESOURCES[cause]:
                continue
            asked = need.get(resource, 0)
            if used + asked <= hard and used < hard:
                continue
            value = max(2 * hard, 2 * used, used + 2 * asked, 1)
            hard_patch[resource] = _quantity(resource, value)
        if hard_patch:
            writes.append(_patch("ResourceQuota", quota, ns, {"spec": {"hard": hard_patch}}))
    return writes


def _quota_table(seen: _Outputs) -> dict[str, dict[str, tuple[float, float]]]:
    """quota → resource → (used, hard), from `get_resources resourcequotas` or `describe_resource resourcequota`."""
    found: dict[str, dict[str, tuple[float, float]]] = {}
    table = seen.text("get_resources", resource_type="resourcequotas")
    for line in (table or "").splitlines()[1:]:
        if not line.strip():
            continue
        found[line.split()[0]] = _quota_entries(_QUOTA_ENTRY.findall(line))
    for out in seen.of_tool("describe_resource"):
        if out.args.get("resource_type") == "resourcequota":
            rows = re.findall(r"^(\S+)\s+(\S+)\s+(\S+)\s*$", out.text, re.M)
            found[str(out.args.get("name"))] = _quota_entries(rows)
    return found


def _quota_entries(rows: list[tuple[str, str, str]]) -> dict[str, tuple[float, float]]:
    entries = {}
    for resource, used, hard in rows:
        u, h = _amount(resource, used), _amount(resource, hard)
        if u is not None and h is not None:
            entries[resource] = (u, h)
    return entries


def _requested(seen: _Outputs) -> dict[str, float]:
    """What the refused creates asked for (`exceeded quota: q, requested: requests.cpu=200m, used: ...`)."""
    asked: dict[str, float] = {}
    for _, requested in _REQUESTED.findall(seen.text("get_events", warnings_only=True) or ""):
        for item in requested.split(","):
            resource, _, value = item.strip().partition("=")
            amount = _amount(resource, value)
            if amount is not None:
                asked[resource] = max(asked.get(resource, 0), amount)
    return asked


def _writes_service_quota(ns: str, seen: _Outputs) -> list[Call]:
    _, missing = _service_quota_targets(seen)
    services = []
    for service in missing:
        text = seen.text("get_app_yaml", service=service)
        docs = _docs(text)
        deployment = _doc(docs, "Deployment")
        if deployment is None or _doc(docs, "Service") is not None:
            continue
        manifest = _service_for(deployment, service, ns)
        if manifest is not None:
            services.append(("apply_manifest", {"manifest": manifest}))
    if not services:
        return []
    patches = _quota_patches("namespace_service_quota_exceeded", ns, seen,
                             {r: float(len(services)) for r in QUOTA_RESOURCES["namespace_service_quota_exceeded"]})
    return [*patches, *services]


def _service_for(deployment: dict[str, Any], name: str, ns: str) -> dict[str, Any] | None:
    """A ClusterIP Service for a workload whose Service is gone: its pods' selector, one port per container port.
    The port a client dials is taken to be the container port (the manifest is not at hand)."""
    spec = deployment.get("spec") or {}
    selector = (spec.get("selector") or {}).get("matchLabels") or \
        ((spec.get("template") or {}).get("metadata") or {}).get("labels")
    ports = [p for c in _containers(deployment) for p in c.get("ports") or [] if p.get("containerPort")]
    if not selector or not ports:
        return None
    service_ports = []
    for i, port in enumerate(ports):
        entry = {"port": int(port["containerPort"]), "protocol": port.get("protocol") or "TCP",
                 "targetPort": int(port["containerPort"])}
        if port.get("name") or len(ports) > 1:
            entry["name"] = port.get("name") or f"port-{i}"
        service_ports.append(entry)
    labels = (deployment.get("metadata") or {}).get("labels") or dict(selector)
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": ns, "labels": dict(labels)},
            "spec": {"type": "ClusterIP", "selector": dict(selector), "ports": service_ports}}


def _missing_claims(ns: str, seen: _Outputs) -> list[Call]:
    """Claims a pod waits on that do not exist (`persistentvolumeclaim "x" not found`), re-created on the
    Available volume that fits them best. Events outlive their cause, so a claim a volume is bound to is not
    missing any more."""
    events = seen.text("get_events", warnings_only=True) or ""
    volumes = _table(seen.text("get_resources", resource_type="persistentvolumes") or "")
    bound = {row.get("CLAIM") for row in volumes}
    writes: list[Call] = []
    for claim in dict.fromkeys(_MISSING_CLAIM.findall(events)):
        if f"{ns}/{claim}" in bound:
            continue
        volume = _volume_for(claim, volumes)
        if volume is not None:
            writes.append(("apply_manifest", {"manifest": _claim_manifest(claim, ns, volume)}))
    return writes


def _writes_account(cause: str, name: str, ns: str, seen: _Outputs) -> list[Call]:
    docs = _docs(seen.text("get_app_yaml", service=name))
    deployment = _doc(docs, "Deployment")
    if deployment is None:
        return []
    pod_spec = ((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}
    account = pod_spec.get("serviceAccountName") or pod_spec.get("serviceAccount") or "default"
    # get_app_yaml shows the ServiceAccount the template names whenever it exists; the refused creates name it too.
    shown = any(d.get("kind") == "ServiceAccount" and (d.get("metadata") or {}).get("name") == account for d in docs)
    refused = account in _MISSING_ACCOUNT.findall(seen.text("get_events", warnings_only=True) or "")
    if shown or (account == "default" and not refused):
        return []  # `default` is not shown by get_app_yaml: only a refused create says it is missing
    return [("apply_manifest", {"manifest": {"apiVersion": "v1", "kind": "ServiceAccount",
                                             "metadata": {"name": account, "namespace": ns}}})]


# -- writes: scheduling ---------------------------------------------------------------------------------------------
def _writes_cordon(cause: str, name: str, ns: str, seen: _Outputs) -> list[Call]:
    rows = _table(seen.text("get_resources", resource_type="nodes") or "")
    return [("uncordon_node", {"node": row["NAME"]}) for row in rows
            if "SchedulingDisabled" in row.get("STATUS", "")
            and not any(r in row.get("ROLES", "") for r in _CONTROL_PLANE_ROLES)]


def _writes_taint(cause: str, name: str, ns: str, seen: _Outputs) -> list[Call]:
    deployment = _doc(_docs(seen.text("get_app_yaml", service=name)), "Deployment")
    try:
        config = json.loads(seen.text("get_cluster_configuration") or "")
    except ValueError:
        return []
    if deployment is None or not isinstance(config, dict):
        return []
    pod_spec = ((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}
    tolerations = list(pod_spec.get("tolerations") or [])
    blocking: list[list[dict[str, str]]] = []
    for node in config.get("nodes") or []:
        taints = [_taint(t) for t in node.get("taints") or []]
        if node.get("role") in _CONTROL_PLANE_ROLES or node.get("status") != "Ready" or any(
                t["key"].startswith(_SYSTEM_TAINTS) and t["effect"] != "PreferNoSchedule" for t in taints):
            continue  # not a node the pod could go to whatever it tolerates
        blocking.append([t for t in taints if t["effect"] in ("NoSchedule", "NoExecute")
                         and not t["key"].startswith(_SYSTEM_TAINTS)
                         and not any(_tolerates(x, t) for x in tolerations)])
    if not blocking or any(not taints for taints in blocking):
        return []  # some worker takes the pod as it is: a taint is not what keeps it Pending
    added: list[dict[str, str]] = []
    for taint in (t for taints in blocking for t in taints):
        if not any(_tolerates(x, taint) for x in added):
            added.append({"key": taint["key"], "operator": "Equal" if taint["value"] else "Exists",
                          **({"value": taint["value"]} if taint["value"] else {}), "effect": taint["effect"]})
    patch = {"spec": {"template": {"spec": {"tolerations": tolerations + added}}}}
    return [_patch("Deployment", name, ns, patch)]


def _taint(text: str) -> dict[str, str]:
    head, _, effect = text.rpartition(":")
    key, _, value = head.partition("=")
    return {"key": key, "value": value, "effect": effect}


def _tolerates(toleration: dict[str, Any], taint: dict[str, str]) -> bool:
    if toleration.get("effect") and toleration["effect"] != taint["effect"]:
        return False
    if toleration.get("operator") == "Exists":
        return not toleration.get("key") or toleration["key"] == taint["key"]
    return toleration.get("key") == taint["key"] and (toleration.get("value") or "") == taint["value"]


def _writes_claim(cause: str, name: str, ns: str, seen: _Outputs) -> list[Call]:
    deployment = _doc(_docs(seen.text("get_app_yaml", service=name)), "Deployment")
    claims_text = seen.text("get_resources", resource_type="persistentvolumeclaims")
    volumes = _table(seen.text("get_resources", resource_type="persistentvolumes") or "")
    if deployment is None or claims_text is None or not volumes:
        return []
    claims = {row.get("NAME"): row for row in _table(claims_text)}
    writes: list[Call] = []
    for claim in _claim_names(deployment):
        row = claims.get(claim)
        if row is not None and row.get("STATUS") != "Pending":
            continue
        volume = _volume_for(claim, volumes)
        if volume is None:
            continue
        if row is not None:
            writes.append(("delete_resource", {"kind": "PersistentVolumeClaim", "name": claim, "namespace": ns}))
        writes.append(("apply_manifest", {"manifest": _claim_manifest(claim, ns, volume)}))
    return writes


def _writes_occupied(cause: str, name: str, ns: str, seen: _Outputs) -> list[Call]:
    """Free the volume another claim holds: delete that claim — only when describe shows no pod uses it — and
    clear the volume's claimRef so the workload's own claim binds it (only the latter once the claim is gone)."""
    holder = _claim_holder(name, ns, seen)
    if holder is None:
        return []
    volume = next((row["NAME"] for row in _table(seen.text("get_resources", resource_type="persistentvolumes") or "")
                   if row.get("CLAIM") == f"{ns}/{holder}"), None)
    call = ("describe_resource", {"resource_type": "persistentvolumeclaim", "name": holder, "namespace": ns})
    gone = "not found" in (seen.error(call[0], **call[1]) or "").lower()
    used_by = re.search(r"^Used By:\s*(.*)$", seen.text(call[0], **call[1]) or "", re.M)
    if volume is None or not (gone or (used_by is not None and used_by.group(1).strip() == "<none>")):
        return []
    free = _patch("PersistentVolume", volume, None, {"spec": {"claimRef": None}})
    return [free] if gone else [("delete_resource", {"kind": "PersistentVolumeClaim", "name": holder,
                                                     "namespace": ns}), free]


def _claim_holder(name: str, ns: str, seen: _Outputs) -> str | None:
    """The other claim bound to the volume the workload's Pending claim should bind (the volume named most like
    the claim among those not bound to it)."""
    deployment = _doc(_docs(seen.text("get_app_yaml", service=name)), "Deployment")
    volumes = _table(seen.text("get_resources", resource_type="persistentvolumes") or "")
    if deployment is None or not volumes:
        return None
    for claim in _claim_names(deployment):
        if any(row.get("CLAIM") == f"{ns}/{claim}" for row in volumes):
            continue
        taken = [row for row in volumes if row.get("STATUS") in ("Bound", "Released")
                 and row.get("CLAIM", "").startswith(f"{ns}/")]
        if not taken or any(row.get("STATUS") == "Available" for row in volumes):
            continue
        best = max(taken, key=lambda row: _likeness(claim, row["NAME"]))
        return best["CLAIM"].split("/", 1)[1]
    return None


def _claim_names(deployment: dict[str, Any]) -> list[str]:
    pod_spec = ((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}
    return [v["persistentVolumeClaim"]["claimName"] for v in pod_spec.get("volumes") or []
            if isinstance(v.get("persistentVolumeClaim"), dict) and v["persistentVolumeClaim"].get("claimName")]


def _volume_for(claim: str, volumes: list[dict[str, str]]) -> dict[str, str] | None:
    free = [row for row in volumes if row.get("STATUS") == "Available" and not row.get("CLAIM")]
    return max(free, key=lambda row: _likeness(claim, row["NAME"])) if free else None


def _claim_manifest(claim: str, ns: str, volume: dict[str, str]) -> dict[str, Any]:
    """A claim that binds `volume` (a `get pv` row): its access modes, its capacity, its class — an explicit ""
    when it has none, so no default class is assigned — and pinned to it by name."""
    modes = [_ACCESS_MODES.get(m, m) for m in volume.get("ACCESS MODES", "").split(",") if m]
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": claim, "namespace": ns},
            "spec": {"accessModes": modes or ["ReadWriteOnce"],
                     "resources": {"requests": {"storage": volume.get("CAPACITY", "")}},
                     "storageClassName": volume.get("STORAGECLASS", ""), "volumeName": volume["NAME"]}}


# -- writes: templates and routing ----------------------------------------------------------------------------------
def _writes_rollback(cause: str, name: str, ns: str, seen: _Outputs) -> list[Call]:
    match = _REVISION.search(seen.text("get_app_yaml", service=name) or "")
    if match is None or int(match.group(1)) <= 1:
        return []  # no earlier template to go back to; the right values are not in any output
    return [rollback(name, ns)]


def _writes_unpin(cause: str, name: str, ns: str, seen: _Outputs) -> list[Call]:
    """A pod pinned (by `nodeSelector`) to a node that does not exist: roll the template back when it changed,
    else drop the selector so the scheduler may place the pod on any node."""
    text = seen.text("get_app_yaml", service=name) or ""
    match = _REVISION.search(text)
    if match is not None and int(match.group(1)) > 1:
        return [rollback(name, ns)]
    deployment = _doc(_docs(text), "Deployment")
    template = (((deployment or {}).get("spec") or {}).get("template") or {}).get("spec") or {}
    if not template.get("nodeSelector"):
        return []
    return [("patch_resource", {"kind": "Deployment", "name": name, "namespace": ns, "patch_type": "json",
                                "patch": [{"op": "remove", "path": "/spec/template/spec/nodeSelector"}]})]


def _reads_released(cause: str, name: str, ns: str, seen: _Outputs) -> list[Call]:
    return [_get("persistentvolumes"), _get("persistentvolumeclaims", ns)]


def _writes_released(cause: str, name: str, ns: str, seen: _Outputs) -> list[Call]:
    """Claims re-created after a redeploy stay Pending while their Retain volumes are Released, still holding the
    old claims' uid: clearing a volume's claimRef makes it Available to the new claim of the same name. One write
    per volume, the first still Released whose claim is Pending now."""
    claims = seen.text("get_resources", resource_type="persistentvolumeclaims", namespace=ns) or ""
    pending = {f"{ns}/{row.get('NAME')}" for row in _table(claims) if row.get("STATUS") == "Pending"}
    return [_patch("PersistentVolume", row["NAME"], None, {"spec": {"claimRef": None}})
            for row in _table(seen.text("get_resources", resource_type="persistentvolumes") or "")
            if row.get("STATUS") == "Released" and row.get("CLAIM") in pending]


def rollback(name: str, namespace: str) -> Call:
    """Roll a Deployment back to its previous revision (every optional argument spelled out: the executor fills
    omitted ones before checking the grant, which is bound to the arguments as proposed)."""
    return ("rollback_deployment", {"name": name, "namespace": namespace, "to_revision": None})


def _writes_service(cause: str, name: str, ns: str, seen: _Outputs) -> list[Call]:
    """Point the Service back at the workload: its selector at the pods' labels, each targetPort at a port the
    container declares, in that port's protocol."""
    docs = _docs(seen.text("get_app_yaml", service=name))
    deployment, service = _doc(docs, "Deployment"), _doc(docs, "Service")
    if deployment is None or service is None:
        return []
    spec = service.get("spec") or {}
    template = ((deployment.get("spec") or {}).get("template") or {}).get("metadata") or {}
    pod_labels = template.get("labels") or {}
    selector = spec.get("selector") or {}
    patch: dict[str, Any] = {}
    if pod_labels and any(pod_labels.get(k) != v for k, v in selector.items()):
        wanted = (deployment.get("spec") or {}).get("selector", {}).get("matchLabels") or pod_labels
        patch["selector"] = {**{k: None for k in selector if k not in wanted}, **wanted}
    container_ports = [p for c in _containers(deployment) for p in c.get("ports") or [] if p.get("containerPort")]
    ports, changed = [], False
    for port in spec.get("ports") or []:
        fixed = dict(port)
        target = _container_port(port, container_ports)
        if target is not None:
            if not _targets(port.get("targetPort", port.get("port")), target):
                fixed["targetPort"] = int(target["containerPort"])
            if (port.get("protocol") or "TCP") != (target.get("protocol") or "TCP"):
                fixed["protocol"] = target.get("protocol") or "TCP"
        changed |= fixed != port
        ports.append(fixed)
    if changed:
        patch["ports"] = ports
    return [_patch("Service", name, ns, {"spec": patch})] if patch else []


def _container_port(port: dict[str, Any], container_ports: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The container port a Service port should reach: the one it targets if any, else the only one, else the
    one with its name or number."""
    target = port.get("targetPort", port.get("port"))
    for candidate in container_ports:
        if _targets(target, candidate):
            return candidate
    if len(container_ports) == 1:
        return container_ports[0]
    return next((c for c in container_ports if port.get("name") and c.get("name") == port.get("name")),
                next((c for c in container_ports if c.get("containerPort") == port.get("port")), None))


def _targets(target: Any, container_port: dict[str, Any]) -> bool:
    if isinstance(target, str) and not target.isdigit():
        return container_port.get("name") == target
    return target is not None and int(target) == int(container_port["containerPort"])


def _writes_env(cause: str, name: str, ns: str, seen: _Outputs) -> list[Call]:
    """Re-point each address variable whose host is no Service of the namespace at the Service named most like
    it, on the port that Service serves; and one that names a Service here on a port it does not expose at the
    port it does, when it exposes one."""
    deployment = _doc(_docs(seen.text("get_app_yaml", service=name)), "Deployment")
    table = seen.text("get_resources", resource_type="services")
    if deployment is None or table is None:
        return []
    services = {row["NAME"]: _service_ports(row.get("PORT(S)", "")) for row in _table(table) if row.get("NAME")}
    writes: list[Call] = []
    for container in _containers(deployment):
        env: dict[str, str | None] = {}
        for var in container.get("env") or []:
            value = var.get("value")
            match = _ADDRESS.match(value) if isinstance(value, str) else None
            if match is None:
                continue
            if _resolves(match.group("host"), ns, services):
                ports = services.get(match.group("host").split(".", 1)[0], [])
                if len(ports) == 1 and int(match.group("port")) != ports[0]:
                    env[var["name"]] = f"{match.group('scheme') or ''}{match.group('host')}:{ports[0]}"
                continue
            first = match.group("host").split(".", 1)[0]
            close = difflib.get_close_matches(first, list(services), n=1, cutoff=0.6)
            if not close:
                continue
            port = int(match.group("port"))
            ports = services[close[0]]
            if port not in ports and len(ports) == 1:
                port = ports[0]
            if port in ports:
                env[var["name"]] = f"{match.group('scheme') or ''}{close[0]}:{port}"
        if env and container.get("name"):
            writes.append(("set_env", {"kind": "Deployment", "name": name, "namespace": ns,
                                       "container": container["name"], "env": env}))
    return writes


def _resolves(host: str, ns: str, services: dict[str, list[int]]) -> bool:
    """Whether a host is one of the namespace's Services (`svc`, `svc.ns`, `svc.ns.svc[.cluster.local]`). A host
    named like no Service here is taken for an external one and left alone."""
    first, _, rest = host.partition(".")
    if first in services:
        return rest in ("", ns) or rest.startswith(f"{ns}.svc")
    return not difflib.get_close_matches(first, list(services), n=1, cutoff=0.6)


def _service_ports(column: str) -> list[int]:
    return [int(m) for m in re.findall(r"(?:^|,)(\d+)(?::\d+)?/", column)]


# -- writes: performance and infrastructure -------------------------------------------------------------------------
def _writes_chaos(cause: str, name: str, ns: str, seen: _Outputs) -> list[Call]:
    kind = CHAOS_KINDS[cause]
    text = seen.text("kubectl", command=f"kubectl get {kind.lower()} -n {ns}")
    names = [row["NAME"] for row in _table(text or "") if row.get("NAME")]
    mine = [n for n in names if name in n] or (names if len(names) == 1 else [])
    return [("delete_resource", {"kind": kind, "name": n, "namespace": ns}) for n in mine]


def _writes_drain(cause: str, name: str, ns: str, seen: _Outputs) -> list[Call]:
    nodes = {row.get("NAME"): row for row in _table(seen.text("get_resources", resource_type="nodes") or "")}
    pods = [row["NAME"] for row in _table(seen.text("get_resources", resource_type="pods", wide=True) or "")
            if row.get("NODE") == name and row.get("STATUS") != "Terminating"]
    if name not in nodes or not pods:
        return []
    cordon = [] if "SchedulingDisabled" in nodes[name].get("STATUS", "") else [("cordon_node", {"node": name})]
    return [*cordon, *(("delete_pod", {"name": pod, "namespace": ns}) for pod in pods)]


def _writes_daemon(cause: str, name: str, ns: str, seen: _Outputs) -> list[Call]:
    component = NODE_DAEMONS[cause]
    status = seen.text("check_node_service_status", node=name, component=component) or ""
    active = re.search(r"^\s*Active:\s*(\S+)", status, re.M)
    if active is None or active.group(1) == "active":
        return []
    return [("node_service", {"node": name, "component": component, "action": "start"})]


# -- small parsers --------------------------------------------------------------------------------------------------
def _split(obj: str) -> tuple[str, str]:
    kind, _, name = obj.partition("/")
    return kind, name


def _patch(kind: str, name: str, namespace: str | None, patch: dict[str, Any]) -> Call:
    return ("patch_resource", {"kind": kind, "name": name, "namespace": namespace, "patch": patch,
                               "patch_type": "merge"})


def _table(text: str) -> list[dict[str, str]]:
    """Rows of a `kubectl get` table by column name, cut at the header's column starts (cells may be empty)."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    start = next((i for i, ln in enumerate(lines) if _HEADER.match(ln)), None)
    if start is None:
        return []
    header = lines[start]
    columns = [(m.start(), m.group().strip()) for m in re.finditer(r"\S+(?: \S+)*", header)]
    rows = []
    for line in lines[start + 1:]:
        if line.startswith("[") or _HEADER.match(line):
            continue
        cells = {}
        for i, (begin, title) in enumerate(columns):
            end = columns[i + 1][0] if i + 1 < len(columns) else len(line)
            cells[title] = line[begin:end].strip()
        rows.append(cells)
    return rows


def _docs(text: str | None) -> list[dict[str, Any]]:
    if not text:
        return []
    try:
        return [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]
    except yaml.YAMLError:
        return []  # cut or garbled: nothing is read from it rather than half of it


def _doc(docs: list[dict[str, Any]], kind: str) -> dict[str, Any] | None:
    return next((d for d in docs if d.get("kind") == kind), None)


def _containers(deployment: dict[str, Any]) -> list[dict[str, Any]]:
    pod_spec = ((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}
    return [c for c in pod_spec.get("containers") or [] if isinstance(c, dict)]


def _likeness(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio()


_BINARY = {"Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}


def _amount(resource: str, text: str) -> float | None:
    """A quota quantity as a number: millicores for cpu, bytes for memory and storage, a count otherwise."""
    text = text.strip()
    if resource.endswith("cpu"):
        match = re.fullmatch(r"(\d+(?:\.\d+)?)(m?)", text)
        return None if match is None else float(match.group(1)) * (1 if match.group(2) else 1000)
    if resource.endswith(("memory", "storage")):
        return _bytes(text)
    return float(text) if re.fullmatch(r"\d+", text) else None


def _bytes(text: str) -> float | None:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT]i?|k)?", text.strip())
    if match is None:
        return None
    return float(match.group(1)) * _BINARY.get(match.group(2) or "", 1)


def _quantity(resource: str, value: float) -> str:
    if resource.endswith("cpu"):
        return f"{math.ceil(value)}m"
    if resource.endswith(("memory", "storage")):
        mib = math.ceil(value / 2 ** 20)
        return f"{mib // 1024}Gi" if mib % 1024 == 0 else f"{mib}Mi"
    return str(math.ceil(value))


_Planner = Callable[[str, str, str, _Outputs], list[Call]]

_PLANS: dict[str, tuple[str, _Planner, _Planner]] = {
    **{c: ("namespace", _reads_quota, _writes_quota) for c in QUOTA_RESOURCES},
    "missing_service_account": ("service", _reads_account, _writes_account),
    "node_cordoned": ("service", _reads_cordon, _writes_cordon),
    "taint_toleration_mismatch": ("service", _reads_taint, _writes_taint),
    **{c: ("service", _reads_yaml, _writes_rollback) for c in ROLLBACK_CAUSES},
    **{c: ("service", _reads_claim, _writes_claim) for c in CLAIM_CAUSES},
    "pv_binding_occupied": ("service", _reads_claim, _writes_occupied),
    "pod_assigned_to_nonexistent_node": ("service", _reads_yaml, _writes_unpin),
    "pvc_unbindable_after_redeploy": ("namespace", _reads_released, _writes_released),
    **{c: ("service", _reads_yaml, _writes_service) for c in SERVICE_ROUTING_CAUSES},
    "service_env_var_address_mismatch": ("service", _reads_env, _writes_env),
    **{c: ("service", _reads_chaos, _writes_chaos) for c in CHAOS_KINDS},
    **{c: ("node", _reads_drain, _writes_drain) for c in NODE_NETWORK_CAUSES},
    **{c: ("node", _reads_daemon, _writes_daemon) for c in NODE_DAEMONS},
}
"""cause → (fault object kind, reads, writes)."""

_OBJECT_KIND = {cause: plan[0] for cause, plan in _PLANS.items()}
_READS = {cause: plan[1] for cause, plan in _PLANS.items()}
_WRITES = {cause: plan[2] for cause, plan in _PLANS.items()}

REMEDIED_CAUSES: frozenset[str] = frozenset(_PLANS)
"""Every cause this module plans reads and writes for."""
