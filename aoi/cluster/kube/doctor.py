"""What an identity may do on a live cluster, asked of the API server itself (SelfSubjectAccessReview), plus
whether the configured telemetry answers. `aoi doctor` prints it.

The probe identity must be read-only and must not read Secrets: any write or secret verb it is allowed is a
failure. The executor identity needs the namespaced writes AOI's write tools use; reading Secrets or writing
outside its namespace is reported as a warning.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from aoi.cluster.interface import ClusterError
from aoi.cluster.kube.api import KubeApi
from aoi.cluster.kube.reader import Telemetry

Role = Literal["probe", "executor"]
Verdict = Literal["ok", "warn", "fail"]


@dataclass(frozen=True, slots=True)
class Access:
    verb: str
    resource: str
    """`pods`, `deployments.apps`, `pods/log`: as kubectl names them."""
    namespaced: bool = True


READS = (Access("list", "pods"), Access("get", "pods/log"), Access("list", "events"), Access("list", "services"),
         Access("list", "endpoints"), Access("list", "deployments.apps"), Access("list", "replicasets.apps"),
         Access("list", "nodes", False), Access("list", "namespaces", False),
         Access("get", "leases.coordination.k8s.io"))
"""What the probe's tools read."""
WRITES = (Access("patch", "deployments.apps"), Access("patch", "deployments.apps/scale"),
          Access("patch", "statefulsets.apps"), Access("patch", "services"), Access("patch", "configmaps"),
          Access("delete", "pods"), Access("create", "configmaps"), Access("delete", "services"),
          Access("patch", "nodes", False))
"""What the executor's write tools send (all namespaced but cordon/uncordon's node patch)."""
CLUSTER_WRITES = (Access("delete", "namespaces", False),
                  Access("create", "clusterrolebindings.rbac.authorization.k8s.io", False))
"""Cluster-wide writes no AOI tool needs."""
SECRETS = (Access("get", "secrets"), Access("list", "secrets"), Access("watch", "secrets"))
ESCAPES = (Access("create", "pods/exec"), Access("create", "pods/portforward"), Access("create", "pods"),
           Access("impersonate", "serviceaccounts"))
"""Verbs that let an identity run code or act as someone else: never for the probe."""


@dataclass(frozen=True, slots=True)
class Check:
    verb: str
    resource: str
    namespace: str | None
    allowed: bool
    reason: str = ""


@dataclass(slots=True)
class Report:
    role: Role
    context: str
    server: str
    namespace: str
    config_path: str | None
    server_version: str = ""
    checks: list[Check] = field(default_factory=list)
    telemetry: dict[str, str] = field(default_factory=dict)
    """Service → `reachable (...)`, `not configured`, or the error."""
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> Verdict:
        return "fail" if self.failures else "warn" if self.warnings else "ok"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "verdict": self.verdict}


def _review(api: KubeApi, access: Access, namespace: str) -> Check:
    resource, _, subresource = access.resource.partition("/")
    plural, _, group = resource.partition(".")
    ns = namespace if access.namespaced else None
    allowed, reason = api.access_review(access.verb, plural, group=group, namespace=ns, subresource=subresource)
    return Check(access.verb, access.resource, ns, allowed, reason)


def diagnose(api: KubeApi, telemetry: Telemetry, *, role: Role, config_path: Path | None) -> Report:
    """Ask the API server what this identity may do, and probe the configured telemetry.

    Raises:
        ClusterError: the API server cannot be reached or refuses the access reviews.
    """
    report = Report(role, api.context, api.host, api.namespace, str(config_path) if config_path else None)
    version = api.version()
    report.server_version = str(version.get("gitVersion", ""))
    groups = (("reads", READS), ("writes", WRITES), ("cluster", CLUSTER_WRITES), ("secrets", SECRETS),
              ("escapes", ESCAPES))
    with ThreadPoolExecutor(max_workers=8) as pool:  # independent reviews: one round trip of latency, not 27
        futures = {group: [pool.submit(_review, api, a, api.namespace) for a in accesses] for group, accesses in groups}
        checks = {group: [f.result() for f in group_futures] for group, group_futures in futures.items()}
    report.checks = [c for group in checks.values() for c in group]
    granted = {group: [f"{c.verb} {c.resource}" for c in group_checks if c.allowed]
               for group, group_checks in checks.items()}
    missing_reads = [f"{c.verb} {c.resource}" for c in checks["reads"] if not c.allowed]
    if role == "probe":
        dangerous = granted["writes"] + granted["cluster"] + granted["escapes"]
        if dangerous:
            report.failures.append(f"the probe identity can WRITE: {', '.join(dangerous)}; it must be read-only "
                                   f"(apply deploy/rbac/probe.yaml and use its ServiceAccount)")
        if granted["secrets"]:
            report.failures.append(f"the probe identity can read Secrets: {', '.join(granted['secrets'])}; "
                                   f"remove secrets from its role (deploy/rbac/probe.yaml grants none)")
        if missing_reads:
            report.warnings.append(f"the probe cannot {', '.join(missing_reads)}; those tools will answer Forbidden")
    else:
        missing = [f"{c.verb} {c.resource}" for c in checks["writes"] if not c.allowed]
        if len(missing) == len(checks["writes"]):
            report.failures.append(f"the executor identity cannot perform any AOI write in namespace "
                                   f"{api.namespace} (apply deploy/rbac/executor.yaml)")
        elif missing:
            report.warnings.append(f"the executor cannot {', '.join(missing)}; those write tools will be refused")
        if granted["secrets"]:
            report.warnings.append(f"the executor identity can read Secrets ({', '.join(granted['secrets'])}); "
                                   f"AOI never needs to")
        if granted["cluster"]:
            report.warnings.append(f"the executor identity has cluster-wide writes AOI never needs "
                                   f"({', '.join(granted['cluster'])}); use deploy/rbac/executor.yaml")
    report.telemetry = _telemetry_status(telemetry)
    return report


def _telemetry_status(telemetry: Telemetry) -> dict[str, str]:
    status: dict[str, str] = {}
    probes = {"prometheus": (telemetry.prometheus, lambda c: f"version {c.ready().get('version', '?')}"),
              "jaeger": (telemetry.jaeger, lambda c: f"{len(c.services())} services with traces"),
              "loki": (telemetry.loki, lambda c: f"{len(c.labels().get('data') or [])} labels")}
    for name, (client, check) in probes.items():
        if client is None:
            status[name] = "not configured"
            continue
        try:
            status[name] = f"reachable at {client.url} ({check(client)})"
        except ClusterError as exc:
            status[name] = f"UNREACHABLE: {exc}"
    return status


def render(report: Report) -> str:
    """The human-readable report."""
    lines = [f"AOI doctor: context {report.context} ({report.server}), namespace {report.namespace}, "
             f"checked as the {report.role} identity",
             f"config file: {report.config_path or 'none found (telemetry not configured)'}",
             f"API server: reachable, Kubernetes {report.server_version or '(unknown version)'}", "",
             "What this identity may do (SelfSubjectAccessReview):"]
    for check in report.checks:
        where = f"in {check.namespace}" if check.namespace else "cluster-wide"
        lines.append(f"  {'yes' if check.allowed else 'no ':<4}{check.verb} {check.resource}  ({where})")
    lines += ["", "Telemetry:"]
    lines += [f"  {name:<11}{state}" for name, state in report.telemetry.items()]
    lines.append("")
    for failure in report.failures:
        lines.append(f"!!! FAIL: {failure}")
    for warning in report.warnings:
        lines.append(f"WARNING: {warning}")
    if report.verdict == "ok":
        lines.append("OK: the probe identity is read-only and cannot read Secrets." if report.role == "probe"
                     else "OK: the executor identity can make AOI's namespaced writes.")
    return "\n".join(lines) + "\n"
