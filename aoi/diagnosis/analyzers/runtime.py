"""Runtime: the container runs, then is killed or taken out of service.

Kubernetes behaviour encoded here:

* OOM: the kernel kills a container over its memory limit; the kubelet reports `OOMKilled` (exit code 137) as the
  current or last terminated state. A liveness kill also ends in 137 or 143 but with reason `Error`, so the reason,
  not the code, tells them apart.
* Probes: a failed probe is a Warning `Unhealthy` (`Liveness probe failed: ...` / `Readiness probe failed: ...`).
  Liveness failures restart the container (`Killing: ... failed liveness probe, will be restarted`); readiness
  failures only take the pod out of endpoints (READY 0/1 — 1/2 beside a mesh sidecar that is fine — no restarts).
  The failure output says what is wrong:
  `connection refused` — nothing listens on the probed port (compare it with the ports the container declares);
  a malformed or wrong-protocol answer — the probe speaks another protocol than the server; a deadline exceeded —
  the probe's timing (timeout, initial delay, period, threshold) is too tight for an endpoint that does answer.
* Istio rewrites the app's probes to its agent (`http-get :15020/app-health/<container>/livez`), which runs the
  declared probe and answers `statuscode: 500` when it fails: the declared probe (`manifest_probes`) says what was
  checked, and for a gRPC or TCP probe the 500 stands for a failed connection.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from aoi.diagnosis.analyzers.common import finding, is_current, service_object
from aoi.diagnosis.describe import PodDetails, parse_pod
from aoi.diagnosis.findings import Finding
from aoi.diagnosis.messages import ProbeSpec, probe_failure
from aoi.diagnosis.reads import Pod, Reads

_NOT_RUNTIME = ("Pending", "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError")
"""States in which the container never ran: the scheduling and startup analyzers read them."""
MAX_DESCRIBES = 6
_OOM_TEXT = re.compile(r"OOMKilled|OOM-killed|out of memory|memory limit too low", re.I)


def _suspect_pods(reads: Reads) -> list[Pod]:
    """Pods that restarted or are not ready, worst first; at most `MAX_DESCRIBES` (each costs a describe)."""
    pods = [p for p in reads.pods() if p.workload and (p.restarts > 0 or not p.healthy)
            and p.status not in _NOT_RUNTIME]
    pods.sort(key=lambda p: (p.healthy, -p.restarts))
    out, seen = [], set()
    for pod in pods:
        if pod.workload not in seen:
            seen.add(pod.workload)
            out.append(pod)
    return out[:MAX_DESCRIBES]


def _details(reads: Reads, pod: Pod) -> tuple[PodDetails, str]:
    return parse_pod(reads.describe("pods", pod.name) or ""), reads.label("describe_resource", resource_type="pods",
                                                                          name=pod.name)


def oom(reads: Reads) -> list[Finding]:
    """Containers whose current or last termination reason is `OOMKilled`, or whose start was OOM-killed (runc:
    `container init was OOM-killed (memory limit too low?)` in `FailedCreatePodSandBox`)."""
    findings = []
    for pod in _suspect_pods(reads):
        details, source = _details(reads, pod)
        said = next((e for e in details.events if _OOM_TEXT.search(e.message)), None)
        if pod.status == "OOMKilled" or details.last_reason == "OOMKilled" or details.waiting_reason == "OOMKilled" \
                or said is not None:
            line = (f"{pod.name}: Last State Terminated, Reason OOMKilled, Exit Code {details.last_exit_code}"
                    if details.last_reason == "OOMKilled" else f"{pod.name}: {said.reason} {said.message}"
                    if said is not None else f"{pod.name} {pod.status}")
            findings.append(finding("oom", service_object(pod.workload), f"{pod.workload} is killed for memory",
                                    [(line, source), *([(f"{pod.restarts} restarts", reads.pods_label())]
                                                       if pod.restarts else [])],
                                    [("oom_killed", 0.92)], reads.label("get_app_yaml", service=pod.workload)))
    return findings


def probes(reads: Reads) -> list[Finding]:
    """Liveness and readiness failures, classified by the probe's output, its spec and the declared ports."""
    findings = []
    failures: dict[tuple[str, str], list[tuple[str, str]]] = {}
    pods_by_name = {p.name: p for p in reads.pods()}
    for event in reads.events():
        if event.reason != "Unhealthy" or not is_current(reads, event):
            continue
        pod = pods_by_name.get(event.name)
        kind = event.message.split(" ", 1)[0]
        if pod and pod.workload and kind in ("Liveness", "Readiness"):
            failures.setdefault((pod.workload, kind), []).append((event.message, event.line))
    for pod in _suspect_pods(reads):
        details, source = _details(reads, pod)
        for event in details.events:
            kind = event.message.split(" ", 1)[0]
            if event.reason == "Unhealthy" and kind in ("Liveness", "Readiness"):
                failures.setdefault((pod.workload, kind), []).append((event.message, f"{pod.name}: {event.message}"))
        if not any(k[0] == pod.workload for k in failures):
            static = _static_probe_check(pod, details)
            if static is not None:
                failures.setdefault((pod.workload, static), [])
    for (workload, kind), messages in failures.items():
        pod = next((p for p in _suspect_pods(reads) if p.workload == workload), None)
        if pod is None or (kind == "Readiness" and pod.ready == pod.total) or (kind == "Liveness" and not pod.restarts):
            continue  # probes that failed while a container started, or before it recovered, are ordinary
        details, source = _details(reads, pod)
        declared_spec = manifest_probes(reads, workload)
        spec = next((s for s in declared_spec if s.kind == kind), None) \
            or next((s for s in details.probes if s.kind == kind), None)
        if declared_spec:
            details = _with_ports(details, reads, workload)
        candidates, why = classify_probe(kind, spec, details, [m for m, _ in messages], pod)
        if not candidates:
            continue
        if _exits_by_itself(details):
            # A container that exits on its own (exit 1, 2, ...) fails every probe while it is down; the probe
            # failures are the crash's consequence. A liveness kill ends in SIGTERM/SIGKILL (143/137).
            candidates = {cause: p * 0.4 for cause, p in candidates.items()}
            why += f", but the container exits by itself (exit code {details.last_exit_code})"
        evidence = [(line, reads.events_label() if not line.startswith(pod.name) else source)
                    for _, line in messages[:2]]
        if spec is not None:
            evidence.append((f"{kind}: {spec.handler} port {spec.port} timeout={spec.timeout}s period={spec.period}s "
                             f"delay={spec.delay}s #failure={spec.failure_threshold}; declared ports "
                             f"{', '.join(f'{p}/{proto}' for p, proto in details.ports) or 'none'}", source))
        findings.append(finding("probes", service_object(workload), f"{kind.lower()} probe of {workload} fails: "
                                f"{why}", evidence, candidates, reads.label("get_app_yaml", service=workload)))
    return findings


def _exits_by_itself(details: PodDetails) -> bool:
    killed = any(e.reason == "Killing" and "probe" in e.message for e in details.events)
    return (details.last_state == "Terminated" and details.last_exit_code not in (None, 0, 137, 143)
            and not killed)


def manifest_probes(reads: Reads, workload: str) -> list[ProbeSpec]:
    """The probes as the workload's manifest declares them (a service mesh may rewrite what `describe` shows: Istio
    points HTTP probes at its agent's port 15020)."""
    found = reads.workload(workload)
    out = []
    for container in found.containers[:1] if found else []:
        names = {str(p.get("name")): int(p["containerPort"]) for p in container.get("ports") or []
                 if isinstance(p, dict) and p.get("name") and str(p.get("containerPort", "")).isdigit()}
        for field, kind in (("livenessProbe", "Liveness"), ("readinessProbe", "Readiness"), ("startupProbe",
                                                                                             "Startup")):
            probe = container.get(field)
            if isinstance(probe, dict):
                out.append(_spec(kind, probe, names))
    return out


def _spec(kind: str, probe: dict[str, Any], names: dict[str, int]) -> ProbeSpec:
    handler, body = next(((h, probe[k]) for k, h in (("httpGet", "http-get"), ("tcpSocket", "tcp-socket"),
                                                      ("grpc", "grpc"), ("exec", "exec")) if k in probe), ("", {}))
    raw = (body or {}).get("port") if isinstance(body, dict) else None
    port = raw if isinstance(raw, int) else names.get(str(raw)) if raw is not None else None
    if port is None and isinstance(raw, str) and raw.isdigit():
        port = int(raw)

    def number(key: str) -> int | None:
        value = probe.get(key)
        return value if isinstance(value, int) else None

    return ProbeSpec(kind, handler, port, str((body or {}).get("scheme", "")).lower() if isinstance(body, dict)
                     else "", number("initialDelaySeconds"), number("timeoutSeconds"), number("periodSeconds"),
                     number("failureThreshold"))


def _with_ports(details: PodDetails, reads: Reads, workload: str) -> PodDetails:
    """The declared ports of the workload's own containers (a mesh sidecar adds ports that are not the app's)."""
    found = reads.workload(workload)
    ports = tuple((int(p["containerPort"]), str(p.get("protocol", "TCP"))) for c in (found.containers[:1] if found
                                                                                        else [])
                  for p in c.get("ports") or [] if isinstance(p, dict) and str(p.get("containerPort", "")).isdigit())
    return replace(details, ports=ports) if ports else details


def _static_probe_check(pod: Pod, details: PodDetails) -> str | None:
    """With no probe events at hand: a probe aimed at a port the container does not declare, on a pod that restarts
    (liveness) or is not ready (readiness)."""
    declared = {p for p, _ in details.ports}
    for spec in details.probes:
        if spec.port is not None and declared and spec.port not in declared:
            if spec.kind == "Liveness" and pod.restarts > 0:
                return "Liveness"
            if spec.kind == "Readiness" and pod.ready < pod.total:
                return "Readiness"
    return None


def classify_probe(kind: str, spec: ProbeSpec | None, details: PodDetails, messages: list[str],
                   pod: Pod) -> tuple[dict[str, float], str]:
    """(cause → confidence, a few words why) for one probe kind's failures."""
    prefix = "liveness" if kind == "Liveness" else "readiness"
    declared = {p for p, _ in details.ports}
    kinds = [probe_failure(m) for m in messages]
    if spec is not None and spec.handler in ("grpc", "tcp-socket"):
        # Only Istio's agent turns a gRPC or TCP probe into an HTTP status: it answers 500 when its own check of
        # the app fails to connect (its gRPC client fails fast on a refused connection), so read it as refused.
        kinds = ["refused" if k == "status" else k for k in kinds]
    out: dict[str, float] = {}
    if spec is not None and spec.port is not None and declared and spec.port not in declared:
        out[f"{prefix}_probe_incorrect_port"] = 0.9
        why = f"probes port {spec.port}, the container declares {sorted(declared)}"
    elif "protocol" in kinds or (spec is not None and spec.handler == "http-get" and "status" in kinds):
        out[f"{prefix}_probe_incorrect_protocol"] = 0.85
        why = "the endpoint answers in another protocol"
    elif "refused" in kinds and prefix == "liveness" and spec is not None and spec.port in declared:
        # Refused on the port the container declares: the app is not listening yet when the probe starts.
        out["liveness_probe_incorrect_timing"] = 0.7
        out["liveness_probe_incorrect_port"] = 0.3
        why = "the declared port refuses the probe before the app listens"
    elif "refused" in kinds:
        out[f"{prefix}_probe_incorrect_port"] = 0.7
        out[f"{prefix}_probe_incorrect_protocol"] = 0.3
        why = "nothing listens where the probe connects"
    elif "timeout" in kinds:
        why = "the endpoint answers too slowly for the probe's timing"
        if prefix == "liveness":
            out["liveness_probe_incorrect_timing"] = 0.85
        else:
            out["readiness_probe_incorrect_protocol"] = 0.3
    elif spec is not None and (spec.timeout or 1) <= 1 and (spec.delay or 0) <= 1 and prefix == "liveness":
        out["liveness_probe_incorrect_timing"] = 0.6
        why = "the probe's timing is tight"
    else:
        out[f"{prefix}_probe_incorrect_protocol"] = 0.4
        out[f"{prefix}_probe_incorrect_port"] = 0.35
        why = "the probe fails"
    if prefix == "liveness" and pod.restarts == 0 and not messages:
        return {}, why
    return out, why
