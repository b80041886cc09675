"""Parsers for the messages Kubernetes components write when something fails.

Each parser reads one component's wording, as its source prints it (see the module docstrings of the analyzers
for which behaviour each encodes): kube-scheduler's `FailedScheduling` histogram, the ResourceQuota admission
plugin's `exceeded quota`, the kubelet's image-pull and probe failures, and `systemctl status`. They are total:
any text gives a result or None, never an exception.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

# -- kube-scheduler ---------------------------------------------------------------------------------------------
_AVAILABLE = re.compile(r"(\d{1,9})/(\d{1,9}) nodes are available(?::\s*(.*))?", re.S)
_ENTRY_SPLIT = re.compile(r",\s+(?=\d+\s)")
_ENTRY = re.compile(r"^(\d{1,9})\s+(.+?)\.?$", re.S)


@dataclass(frozen=True, slots=True)
class SchedulingFailure:
    """kube-scheduler's `FitError` text: `0/N nodes are available: c1 reason1, c2 reason2.` (+ a preemption part)."""

    nodes: int | None
    """N, the number of nodes considered; None for `no nodes available to schedule pods`."""
    reasons: dict[str, int] = field(default_factory=dict)
    """Filter reason → how many nodes it excluded (one node can count under several reasons)."""
    prefilter: str = ""
    """A PreFilter rejection, which carries no per-node counts (`pod has unbound immediate PersistentVolumeClaims`)."""


def parse_failed_scheduling(message: str) -> SchedulingFailure | None:
    """The node histogram of a `FailedScheduling` message; None when the text is not one.

    The preemption suffix (`preemption: 0/N nodes are available: ...`) is a second histogram about victims and is
    ignored; counts are per reason as printed (kube-scheduler sorts the entries as strings, so order means nothing).
    """
    text = message.strip()
    if "no nodes available to schedule pods" in text:
        return SchedulingFailure(None, {}, "no nodes available to schedule pods")
    main = re.split(r"\s*preemption:\s*", text, maxsplit=1)[0]
    match = _AVAILABLE.search(main)
    if match is None:
        return None
    nodes = int(match.group(2))
    body = (match.group(3) or "").strip().rstrip(".").strip()
    reasons: dict[str, int] = {}
    prefilter = []
    for part in _ENTRY_SPLIT.split(body) if body else []:
        entry = _ENTRY.match(part.strip())
        if entry is None:
            prefilter.append(part.strip())
            continue
        reason = " ".join(entry.group(2).split()).rstrip(".")
        reasons[reason] = reasons.get(reason, 0) + int(entry.group(1))
    return SchedulingFailure(nodes, reasons, "; ".join(p for p in prefilter if p))


SchedulingReason = Literal["cpu", "memory", "cordoned", "selector", "taint", "anti_affinity", "affinity", "volume",
                           "ports", "pods", "other"]


def scheduling_reason(reason: str) -> SchedulingReason:
    """Which scheduler filter plugin wrote a reason (its wording, from the plugins' sources)."""
    text = reason.lower()
    if text.startswith("insufficient cpu"):
        return "cpu"
    if text.startswith("insufficient memory"):
        return "memory"
    if "were unschedulable" in text:
        return "cordoned"
    if "node affinity/selector" in text or "scheduler-enforced node affinity" in text:
        return "selector"
    if "taint" in text:
        return "taint"
    if "anti-affinity" in text:
        return "anti_affinity"
    if "pod affinity" in text:
        return "affinity"
    if "persistentvolumeclaim" in text or "persistent volume" in text or "volume node affinity" in text \
            or "free storage" in text or "bound to non-existent" in text:
        return "volume"
    if "free ports" in text:
        return "ports"
    if "too many pods" in text:
        return "pods"
    return "other"


_TAINT = re.compile(r"taint \{([^:}]+):\s*([^}]*)\}")


def taint_key(reason: str) -> str:
    """The taint key a `node(s) had untolerated taint {key: value}` reason names ("" if none)."""
    match = _TAINT.search(reason)
    return match.group(1).strip() if match else ""


# -- ResourceQuota admission ------------------------------------------------------------------------------------
_QUOTA = re.compile(r"exceeded quota: ([^,]+), requested: (\S+?), used: (\S+?), limited: (\S+)")


@dataclass(frozen=True, slots=True)
class QuotaRejection:
    quota: str
    requested: dict[str, str]
    used: dict[str, str]
    limited: dict[str, str]


def parse_quota_rejection(message: str) -> QuotaRejection | None:
    """`exceeded quota: <q>, requested: <r>, used: <u>, limited: <l>` (lists of `name=qty` joined by commas)."""
    match = _QUOTA.search(message)
    if match is None:
        return None

    def pairs(text: str) -> dict[str, str]:
        out = {}
        for item in text.rstrip(".,").split(","):
            name, sep, qty = item.partition("=")
            if sep:
                out[name.strip()] = qty.strip()
        return out

    return QuotaRejection(match.group(1).strip(), pairs(match.group(2)), pairs(match.group(3)),
                          pairs(match.group(4)))


QuotaResource = Literal["cpu", "memory", "pods", "services", "storage", "other"]


def quota_resource(name: str) -> QuotaResource:
    """The resource a quota key limits: `requests.cpu`/`limits.cpu`/`cpu`, `count/services`, `requests.storage`."""
    key = name.lower().removeprefix("count/")
    if key in ("cpu", "requests.cpu", "limits.cpu"):
        return "cpu"
    if key in ("memory", "requests.memory", "limits.memory"):
        return "memory"
    if key == "pods":
        return "pods"
    if key in ("services", "services.loadbalancers", "services.nodeports"):
        return "services"
    if key in ("requests.storage", "persistentvolumeclaims") or key.endswith(".storageclass.storage.k8s.io/"
                                                                              "requests.storage"):
        return "storage"
    return "other"


# -- kubelet: image pulls ---------------------------------------------------------------------------------------
PullCause = Literal["dns", "not_found", "auth", "denied", "other"]


def image_pull_cause(message: str) -> PullCause:
    """Why containerd could not pull, from the CRI error the kubelet reports.

    A registry host that does not resolve fails in the dial (`lookup <host> ... no such host`); a tag or digest that
    does not exist resolves to `not found` (or a registry's `manifest unknown`); missing or wrong credentials fail
    with `authorization failed`, `401`/`403`, `denied` (the pull of a private repository without a pull secret).
    Docker Hub answers an anonymous pull of a repository that does not exist as it answers one of a private
    repository (`pull access denied, repository does not exist or may require authorization`): "denied", which
    only the rest of the cluster tells apart (the pod's pull secrets, the repositories other workloads pull).
    """
    text = message.lower()
    if "no such host" in text or re.search(r"dial tcp: lookup \S+", text) or "server misbehaving" in text:
        return "dns"
    if "repository does not exist or may require authorization" in text:
        return "denied"
    if re.search(r"authoriz|unauthorized|\b401\b|\b403\b|denied|forbidden|failedtoretrieveimagepullsecret|"
                 r"unable to retrieve some image pull secrets|no basic auth credentials", text):
        return "auth"
    if re.search(r"\bnot found\b|manifest unknown|notfound|invalidimagename|invalid reference format", text):
        return "not_found"
    return "other"


# -- kubelet: probes --------------------------------------------------------------------------------------------
ProbeFailure = Literal["refused", "timeout", "protocol", "status", "other"]


def probe_failure(message: str) -> ProbeFailure:
    """What a probe's failure output says (`Liveness probe failed: <output>`).

    `connection refused` means nothing listens on the probed port; a deadline or i/o timeout means the endpoint
    answered too slowly for the probe's timeout; an answer in the wrong protocol (an HTTP probe against a gRPC or
    TLS server, a gRPC probe against a server without the health service, a reset or EOF) means the protocol is
    wrong; `statuscode: N` is an HTTP server that answered but not 2xx/3xx.
    """
    text = message.lower()
    if "connection refused" in text:
        return "refused"
    if re.search(r"malformed http|http response to https|https client|does not implement the grpc health|"
                 r"connection reset|\beof\b|http2|frame too large|first record does not look like a tls|"
                 r"tls: |bad handshake|protocol error|unexpected http status", text):
        return "protocol"
    if re.search(r"deadline exceeded|timed out|timeout|i/o timeout|awaiting headers", text):
        return "timeout"
    if "statuscode" in text or "status code" in text:
        return "status"
    return "other"


_PROBE_LINE = re.compile(r"^\s*(Liveness|Readiness|Startup):\s+(.*)$", re.M)
_PROBE_TARGET = re.compile(r"^(http-get|tcp-socket|grpc|exec)\s+(\S*)")
_PROBE_FIELD = re.compile(r"(delay|timeout|period|#success|#failure)=(\d{1,9})s?")


@dataclass(frozen=True, slots=True)
class ProbeSpec:
    """A probe as `kubectl describe pod` prints it: `http-get http://:8080/healthz delay=0s timeout=1s period=10s
    #success=1 #failure=3`."""

    kind: str
    """`Liveness`, `Readiness` or `Startup`."""
    handler: str
    """`http-get`, `tcp-socket`, `grpc` or `exec`."""
    port: int | None
    scheme: str
    delay: int | None
    timeout: int | None
    period: int | None
    failure_threshold: int | None


def parse_probe_specs(describe: str) -> list[ProbeSpec]:
    """Every probe line of a `describe pod` text."""
    specs = []
    for kind, rest in _PROBE_LINE.findall(describe):
        target = _PROBE_TARGET.match(rest.strip())
        handler, address = (target.group(1), target.group(2)) if target else ("", "")
        port_match = re.search(r":(\d{1,5})(?:/|$)", address) if handler != "exec" else None
        scheme = address.split("://", 1)[0] if "://" in address else ""
        fields = dict(_PROBE_FIELD.findall(rest))
        specs.append(ProbeSpec(kind, handler, int(port_match.group(1)) if port_match else None, scheme,
                               _opt(fields.get("delay")), _opt(fields.get("timeout")), _opt(fields.get("period")),
                               _opt(fields.get("#failure"))))
    return specs


def _opt(value: str | None) -> int | None:
    return int(value) if value is not None else None


# -- systemd ----------------------------------------------------------------------------------------------------
_ACTIVE = re.compile(r"^\s*Active:\s*(\w+)(?:\s*\((\w+)\))?", re.M)


def unit_state(status: str) -> Literal["running", "stopped", "unknown"]:
    """`systemctl status` → running (`Active: active (running)`), stopped (inactive, failed, activating after a
    crash) or unknown (no such unit, no Active line)."""
    match = _ACTIVE.search(status or "")
    if match is None:
        return "unknown"
    state, sub = match.group(1).lower(), (match.group(2) or "").lower()
    if state == "active" and sub in ("running", ""):
        return "running"
    if state in ("inactive", "failed", "deactivating") or sub in ("dead", "auto-restart", "exited"):
        return "stopped"
    return "unknown" if state == "active" else "stopped"
