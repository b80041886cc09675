"""The expert's analyzers: small parsers that turn one tool output (as the prompt shows it) into findings.

k8sgpt-style: each analyzer knows one kind of output — a pods table, warning events, firing alerts, a crashed
container's log, a service's grouped error lines, a workload's YAML, a feature-flag ConfigMap — and returns
plain findings. None of them knows the fault; they read telemetry the way an SRE does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from aoi.diagnosis.reads import age_seconds, workload_of

_POD_ROW = re.compile(r"^(\S+)\s+(\d+)/(\d+)\s+(\S+)\s+(\d+)(?: \((\S+) ago\))?", re.M)
RESTART_CYCLE_SECONDS = 300
"""The kubelet's longest crash-loop back-off: a container restarted 3+ times within it is still cycling."""
_EVENT_ROW = re.compile(r"^\S+\s+Warning\s+(\S+)\s+(\S+)\s+(.*)$", re.M)
_ALERT_NAME = re.compile(r'"name": "([^"]+)"')
_GRPC = re.compile(r"\b(?:[a-z][\w]*\.)?([A-Z]\w*)/\w+ failed")
_HOST = re.compile(r"(?:New session to|Failed to connect to) ([a-z0-9][-a-z0-9.]*):(\d+)")
_NOISE = re.compile(r"flagd\.evaluation|ResolveBoolean")
"""Error lines every OTel-demo service prints while flagd starts: not a symptom of anything."""


@dataclass(slots=True)
class PodFinding:
    component: str
    status: str
    """`CrashLoopBackOff`, `Pending`, `NotReady` (Running but not ready), `Restarted` (Running, restarts > 0)…"""


def unhealthy_pods(table: str, services: Sequence[str]) -> list[PodFinding]:
    """Pods not Running and ready, or restarted, from a `get pods` table."""
    found: list[PodFinding] = []
    for name, ready, total, status, restarts, ago in _POD_ROW.findall(table):
        component = workload_of(name, services) or name
        since_restart = age_seconds(ago) if ago else None
        if status != "Running":
            found.append(PodFinding(component, status))
        elif int(restarts) >= 3 and since_restart is not None and since_restart <= RESTART_CYCLE_SECONDS:
            # Caught just after a restart: still in the crash loop (the kubelet restarts a container at once while
            # it lived longer than its back-off, which is at most five minutes).
            found.append(PodFinding(component, "CrashLoopBackOff"))
        elif ready != total:
            found.append(PodFinding(component, "NotReady"))
        elif int(restarts) > 0:
            found.append(PodFinding(component, "Restarted"))
    return found


@dataclass(slots=True)
class EventFinding:
    component: str
    reason: str
    detail: str
    """A short cause read from the message: `selector`, `pvc`, `cpu`, `memory`, `taint`, `cordon`, `quota`,
    `serviceaccount`, `probe`, `image` or ``."""


_EVENT_DETAILS = (
    ("pvc", r"unbound immediate PersistentVolumeClaims|persistentvolumeclaim .* not found"),
    ("selector", r"didn't match Pod's node affinity/selector"),
    ("cpu", r"Insufficient cpu"), ("memory", r"Insufficient memory"),
    ("cordon", r"were unschedulable|unschedulable"),
    ("antiaffinity", r"anti-affinity"),
    ("taint", r"untolerated taint"),
    ("quota", r"exceeded quota"), ("serviceaccount", r"serviceaccount"),
    ("probe", r"probe failed"), ("image", r"pull|image"), ("volume", r"mount|volume"),
)


def _current(kind: str, name: str, component: str, live: Sequence[str], unhealthy: set[str],
             services: Sequence[str]) -> bool:
    """An event's object is still in trouble: its pod exists; or its workload has no pod running at all; or the
    workload is unhealthy now and, for a ReplicaSet, the pods are that ReplicaSet's."""
    if kind == "pod":
        return name in live
    if component not in services:
        return True
    pods = [p for p in live if workload_of(p, services) == component]
    if not pods:  # nothing running contradicts it (every pod refused, or never scheduled)
        return True
    return component in unhealthy and (kind != "replicaset" or any(p.startswith(name + "-") for p in pods))


def warning_events(table: str, services: Sequence[str], pods_table: str | None = None) -> list[EventFinding]:
    """Warning events with the workload they concern and a short cause. Given the `get pods` table read beside
    them, only current ones (see `_current`): events about replaced pods and ReplicaSets and recovered workloads
    are earlier incidents."""
    live = re.findall(r"^(\S+)\s+\d+/\d+", pods_table or "", re.M)
    unhealthy = {p.component for p in unhealthy_pods(pods_table or "", services)}
    found = []
    for reason, obj, message in _EVENT_ROW.findall(table):
        kind, _, name = obj.rpartition("/")
        component = workload_of(name, services) or name
        if pods_table is not None and not _current(kind, name, component, live, unhealthy, services):
            continue
        detail = ""
        for key, pattern in _EVENT_DETAILS:
            if key == "taint" and "didn't match" in message:
                continue  # the control plane's taint is always listed beside the real reason
            if re.search(pattern, message, re.I):
                detail = key
                break
        found.append(EventFinding(component, reason, detail))
    return found


_SPAN = re.compile(r"\{[^{}]*\}")


def failing_in_traces(text: str, services: Sequence[str]) -> list[str]:
    """Services with failed spans in a `get_traces` answer, callers first (the order the spans are listed)."""
    names = []
    for span in _SPAN.findall(text):
        service = re.search(r'"service": "([^"]+)"', span)
        if service and re.search(r'"error": true', span) and service.group(1) in services:
            names.append(service.group(1))
    return list(dict.fromkeys(names))


def alerted(text: str, services: Sequence[str]) -> list[str]:
    """Services named in firing alerts (the compressed JSON keeps each `"name"` line)."""
    return [n for n in dict.fromkeys(_ALERT_NAME.findall(text)) if n in services]


@dataclass(slots=True)
class LogFinding:
    cause: str
    """`mongo_auth` (not authorized), `mongo_user` (authentication failed), `mongo_unreachable` (no servers),
    `oom`, `crash` or ``."""
    host: str = ""
    """The dependency the log names (a datastore host)."""
    port: int | None = None
    """The port the container dials on that host."""
    database: str = ""


def crash_log(text: str) -> LogFinding:
    """What a crashed container's last lines say."""
    hosts = _HOST.findall(text)
    host_name, port = (hosts[-1][0].split(".")[0], int(hosts[-1][1])) if hosts else ("", None)
    denied = re.search(r"not authorized on (\S+)", text)
    if denied:
        return LogFinding("mongo_auth", host_name, port, denied.group(1))
    if re.search(r"SASL authentication|Authentication failed", text, re.I):
        return LogFinding("mongo_user", host_name, port)
    if re.search(r"no reachable servers|No suitable servers found|server selection", text, re.I):
        return LogFinding("mongo_unreachable", host_name, port)
    if re.search(r"OutOfMemory|OOMKilled|out of memory", text, re.I):
        return LogFinding("oom", host_name, port)
    if re.search(r"panic|fatal|exception|error", text, re.I):
        return LogFinding("crash", host_name, port)
    return LogFinding("", host_name, port)


@dataclass(slots=True)
class ErrorFinding:
    callees: list[str] = field(default_factory=list)
    """Services the error lines blame, deepest named first in each line, most frequent line first."""
    kind: str = ""
    """`refused`, `timeout`, `dns`, `unavailable`, `other` or `` when there are no (meaningful) errors."""


def error_lines(text: str, service: str, services: Sequence[str]) -> ErrorFinding:
    """Blamed callees in a service's grouped error lines (`get_error_logs` or `get_logs`)."""
    finding = ErrorFinding()
    squashed = {s.replace("-", ""): s for s in services}
    lines = [ln for ln in text.splitlines() if not _NOISE.search(ln)
             and re.search(r"error|fail|refused|timeout|panic|exception|unavailable", ln, re.I)]
    for line in lines:
        named: list[tuple[int, str]] = []
        for other in services:
            if other == service:
                continue
            for match in re.finditer(rf"(?<![\w.-]){re.escape(other)}(?![\w-])", line):
                named.append((match.start(), other))
        for match in _GRPC.finditer(line):
            base = match.group(1).lower().removesuffix("service")
            candidate = squashed.get(base)
            if candidate and candidate != service:
                named.append((match.start(), candidate))
        if named:
            deepest = max(named)[1]
            if deepest not in finding.callees:
                finding.callees.append(deepest)
        if not finding.kind:
            finding.kind = _error_kind(line)
    return finding


def _error_kind(line: str) -> str:
    if re.search(r"connection refused", line, re.I):
        return "refused"
    if re.search(r"timeout|timed out|deadline exceeded", line, re.I):
        return "timeout"
    if re.search(r"lookup|no such host", line, re.I):
        return "dns"
    if re.search(r"unavailable", line, re.I):
        return "unavailable"
    return "other"


@dataclass(slots=True)
class WorkloadFinding:
    replicas: int | None = None
    revision: int | None = None
    command: list[str] = field(default_factory=list)
    container_port: int | None = None
    service_port: int | None = None
    target_port: int | None = None
    node_selector: bool = False
    image: str = ""


def workload_yaml(text: str) -> WorkloadFinding:
    """The facts of `get_app_yaml` an SRE checks: replicas, revision, command, ports, node selector, image."""
    finding = WorkloadFinding()
    replicas = re.search(r"^  replicas: (\d+)", text, re.M)
    revision = re.search(r'deployment\.kubernetes\.io/revision: "(\d+)"', text)
    command = re.search(r"^      - command:\n((?:        - .*\n)+)", text, re.M)
    container_port = re.search(r"containerPort: (\d+)", text)
    target_port = re.search(r"targetPort: (\d+)", text)
    service_port = re.search(r"^  - (?:name: \S+\n    )?port: (\d+)", text, re.M)
    image = re.search(r"^        image: (\S+)", text, re.M)
    finding.replicas = int(replicas.group(1)) if replicas else None
    finding.revision = int(revision.group(1)) if revision else None
    finding.command = [ln.strip()[2:] for ln in command.group(1).splitlines()] if command else []
    finding.container_port = int(container_port.group(1)) if container_port else None
    finding.target_port = int(target_port.group(1)) if target_port else None
    finding.service_port = int(service_port.group(1)) if service_port else None
    finding.node_selector = bool(re.search(r"^      nodeSelector:", text, re.M))
    finding.image = image.group(1) if image else ""
    return finding


def empty_endpoints(table: str) -> list[str]:
    """Services with no ready endpoint, from a `get endpoints` table."""
    empty = []
    for line in table.splitlines()[1:]:
        parts = line.split()
        if len(parts) == 2 or (len(parts) >= 2 and parts[1] == "<none>"):
            empty.append(parts[0])
    return empty


def flags_on(text: str) -> tuple[list[str], dict | None]:
    """Feature flags whose default variant is not `off` in a described flagd ConfigMap, and the flag document
    itself when the description shows it whole (None when it was cut)."""
    start = text.find("{")
    end = text.rfind("}")
    document = None
    if start >= 0 and end > start:
        try:
            document = json.loads(text[start:end + 1])
        except json.JSONDecodeError:
            document = None
    if document is not None and isinstance(document.get("flags"), dict):
        on = [name for name, flag in document["flags"].items()
              if isinstance(flag, dict) and flag.get("defaultVariant") not in (None, "off")]
        return on, document
    on, current = [], ""
    for line in text.splitlines():
        opener = re.match(r'\s*"(\w+)": \{', line)
        if opener:
            current = opener.group(1)
        variant = re.search(r'"defaultVariant": "([^"]+)"', line)
        if variant and variant.group(1) != "off" and current:
            on.append(current)
    return on, None


@dataclass(slots=True)
class TriageHypothesis:
    cause: str
    object: str
    score: float
    confirm: str = ""


_TRIAGE_HEAD = re.compile(r"^(\d+)\. (\w+) on (\S+) \(score ([\d.]+)", re.M)
_TRIAGE_CONFIRM = re.compile(r"^\s+confirm: (.*)$", re.M)


def triage_hypotheses(text: str) -> list[TriageHypothesis]:
    """The ranked hypotheses of a `triage` output (`1. cause on object (score 0.86, ...)` + `confirm: call`)."""
    found: list[TriageHypothesis] = []
    heads = list(_TRIAGE_HEAD.finditer(text))
    for i, head in enumerate(heads):
        block = text[head.end():heads[i + 1].start() if i + 1 < len(heads) else len(text)]
        confirm = _TRIAGE_CONFIRM.search(block)
        found.append(TriageHypothesis(head.group(2), head.group(3), float(head.group(4)),
                                      confirm.group(1).strip() if confirm else ""))
    return found


def short_deployments(table: str) -> list[str]:
    """Deployments of a `get deployments` table with fewer ready replicas than desired (`READY 0/1`)."""
    return [name for name, ready, want in re.findall(r"^(\S+)\s+(\d+)/(\d+)\s", table, re.M)
            if int(ready) < int(want)]
