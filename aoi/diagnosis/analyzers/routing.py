"""Service routing: the pods run, but traffic to them through their Service (or from a caller) goes nowhere.

Kubernetes behaviour encoded here:

* The endpoints controller lists the ready pods whose labels match the Service's `selector`; a selector that
  matches no pod leaves `Endpoints: <none>` while the workload's pods run. A named `targetPort` that no container
  port declares (name and protocol must match) also leaves no endpoints although the labels match.
* A numeric `targetPort` is copied unchecked: endpoints exist, but connections to a port nothing listens on are
  refused. A Service port whose protocol differs from the container port's (UDP vs TCP) carries no TCP traffic.
* A caller finds its dependency through an address in its environment (`*_ADDR`, `*_HOST`/`*_PORT`); an address
  whose host is not a Service of the namespace, or whose port is not that Service's port, fails in the caller's
  logs (`no such host`, `connection refused`, `deadline exceeded`) while the dependency itself is healthy. A
  client that resolved the name reports the address it dialled: the Service's ClusterIP and the wrong port.
"""

from __future__ import annotations

import re
from typing import Any

from aoi.diagnosis.analyzers.common import finding, service_object, unhealthy_workloads
from aoi.diagnosis.findings import Finding
from aoi.diagnosis.reads import Reads, Workload

_ADDRESS = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?):(\d{1,5})$")


def _service_ports(reads: Reads) -> dict[str, set[int]]:
    """Service name → its ports, from `get services` (`7070/TCP`, `80:30080/TCP`)."""
    out: dict[str, set[int]] = {}
    for row in reads.table("services"):
        ports = {int(p) for p in re.findall(r"(?:^|,)(\d+)(?::\d+)?/", row.get("PORT(S)", ""))}
        out[row.get("NAME", "")] = ports
    return out


def _service_ips(reads: Reads) -> dict[str, str]:
    """Service name → its ClusterIP: a client that resolved the name reports the address it dialled."""
    return {row.get("NAME", ""): row.get("CLUSTER-IP", "") for row in reads.table("services")
            if row.get("CLUSTER-IP", "") not in ("", "None", "<none>")}


def _endpoints(reads: Reads) -> dict[str, str]:
    return {row.get("NAME", ""): row.get("ENDPOINTS", "") for row in reads.table("endpoints")}


def _container_ports(workload: Workload) -> list[dict[str, Any]]:
    return [p for c in workload.containers for p in c.get("ports") or [] if isinstance(p, dict)]


def service_wiring(reads: Reads) -> list[Finding]:
    """Per workload with a Service: selector vs pod labels, targetPort vs container ports, protocols, endpoints."""
    findings = []
    endpoints = _endpoints(reads)
    for name in reads.services():
        workload = reads.workload(name)
        if workload is None or workload.service is None:
            continue
        svc_name = str((workload.service.get("metadata") or {}).get("name", name))
        spec = workload.service.get("spec") or {}
        selector = {str(k): str(v) for k, v in (spec.get("selector") or {}).items()}
        running = [p for p in reads.pods_of(name) if p.status == "Running"]
        yaml_source = reads.label("get_app_yaml", service=name)
        ep_source = reads.label("get_resources", resource_type="endpoints")
        ep = endpoints.get(svc_name)
        labels = workload.pod_labels
        mismatched = {k: v for k, v in selector.items() if labels.get(k) != v}
        declared = _container_ports(workload)
        numbers = {int(p["containerPort"]) for p in declared if str(p.get("containerPort", "")).isdigit()}
        names = {str(p.get("name")) for p in declared if p.get("name")}
        protocols = {int(p["containerPort"]): str(p.get("protocol", "TCP")) for p in declared
                     if str(p.get("containerPort", "")).isdigit()}
        if selector and labels and mismatched:
            findings.append(finding("service_wiring", service_object(name),
                                    f"Service {svc_name} selects no pod of {name}",
                                    [(f"selector {selector} vs pod labels {labels}", yaml_source),
                                     *([(f"{svc_name} endpoints {ep}", ep_source)] if ep is not None else [])],
                                    [("service_selector_mismatch", 0.92 if ep in ("<none>", "") else 0.6)],
                                    reads.label("describe_resource", resource_type="endpoints", name=svc_name)))
            continue
        for port in spec.get("ports") or []:
            if not isinstance(port, dict):
                continue
            target = port.get("targetPort", port.get("port"))
            proto = str(port.get("protocol", "TCP"))
            evidence = [(f"Service {svc_name} port {port.get('port')}/{proto} → targetPort {target}; container "
                         f"ports {sorted(numbers) or names or 'none declared'}", yaml_source)]
            if ep is not None:
                evidence.append((f"{svc_name} endpoints {ep or '<none>'}", ep_source))
            if isinstance(target, int) and numbers and target not in numbers:
                findings.append(finding("service_wiring", service_object(name),
                                        f"Service {svc_name} forwards to port {target}, which {name} does not serve",
                                        evidence, [("service_port_mapping_mismatch", 0.9)],
                                        reads.label("check_service_connectivity", service=svc_name,
                                                    port=int(port.get("port", target)))))
            elif isinstance(target, str) and not target.isdigit() and declared and target not in names:
                findings.append(finding("service_wiring", service_object(name),
                                        f"Service {svc_name} names targetPort {target!r}, which no container declares",
                                        evidence, [("service_port_mapping_mismatch", 0.85)], ep_source))
            elif isinstance(target, int) and target in protocols and protocols[target] != proto:
                findings.append(finding("service_wiring", service_object(name),
                                        f"Service {svc_name} speaks {proto} to a {protocols[target]} port", evidence,
                                        [("service_protocol_mismatch", 0.9)],
                                        reads.label("check_service_connectivity", service=svc_name,
                                                    port=int(port.get("port", target)))))
        if ep in ("<none>", "") and running and all(p.ready == p.total for p in running) and not findings_for(
                findings, name):
            findings.append(finding("service_wiring", service_object(name),
                                    f"Service {svc_name} has no endpoints while {name}'s pods are ready",
                                    [(f"{svc_name} endpoints <none>", ep_source)],
                                    [("service_selector_mismatch", 0.6), ("service_port_mapping_mismatch", 0.35)],
                                    reads.label("describe_resource", resource_type="services", name=svc_name)))
    return findings


def findings_for(findings: list[Finding], name: str) -> bool:
    return any(f.object == service_object(name) for f in findings)


def caller_addresses(reads: Reads) -> list[Finding]:
    """Environment addresses (`host:port`) of each workload that point at no Service, or at a wrong port of one."""
    findings = []
    ports = _service_ports(reads)
    if not ports:
        return findings
    ips = _service_ips(reads)
    for name in reads.services():
        workload = reads.workload(name)
        if workload is None:
            continue
        for container in workload.containers:
            for env in _addresses(container.get("env") or []):
                value = env["value"]
                match = _ADDRESS.match(value.strip())
                if match is None:
                    continue
                host, port = match.group(1), int(match.group(3))
                short, _, qualifier = host.partition(".")
                local = not qualifier or qualifier in (reads.namespace, f"{reads.namespace}.svc",
                                                       f"{reads.namespace}.svc.cluster.local")
                if not local:
                    # Another namespace (or an outside host): wrong only if the caller fails to reach it.
                    errors = _error_lines(reads, name, (host,))
                    if errors:
                        findings.append(finding(
                            "caller_addresses", service_object(name), f"{name} dials {host}, which it cannot reach",
                            [(f"{env.get('name')}={value}", reads.label("get_app_yaml", service=name)),
                             (errors[0], reads.label("get_error_logs", service=name))],
                            [("service_env_var_address_mismatch", 0.85 if short in ports else 0.7)],
                            reads.label("get_error_logs", service=name)))
                    continue
                if short in ports and (port in ports[short] or not ports[short]):
                    continue
                if short not in ports and short in reads.services():
                    continue  # a workload whose Service is missing: the Service's problem, not the caller's address
                problem = (f"{env.get('name')}={value}: no Service {short}" if short not in ports else
                           f"{env.get('name')}={value}: Service {short} listens on "
                           f"{', '.join(map(str, sorted(ports[short])))}")
                evidence = [(problem, reads.label("get_app_yaml", service=name))]
                errors = _error_lines(reads, name, (host,) if short not in ports else
                                      (f"{host}:{port}", *([f"{ips[short]}:{port}"] if short in ips else [])))
                evidence += [(line, reads.label("get_error_logs", service=name)) for line in errors[:1]]
                unhealthy = name in unhealthy_workloads(reads)
                # An address of an optional component that is not deployed is ordinary: only a caller that
                # errors about it, or is unhealthy, is failing because of it.
                confidence = 0.9 if errors else 0.6 if unhealthy else 0.15
                findings.append(finding("caller_addresses", service_object(name),
                                        f"{name} dials an address no Service answers", evidence,
                                        [("service_env_var_address_mismatch", confidence)],
                                        reads.label("get_error_logs", service=name)))
    return findings


def _addresses(env: list[Any]) -> list[dict[str, str]]:
    """Environment entries as `{name, value}`, plus one `host:port` entry for each `X_HOST` + `X_PORT` pair."""
    plain = {str(e.get("name", "")): str(e.get("value", "")) for e in env if isinstance(e, dict) and "value" in e}
    out = [{"name": k, "value": v} for k, v in plain.items()]
    for key, host in plain.items():
        if key.endswith("_HOST"):
            port = plain.get(key[:-5] + "_PORT", "")
            if port.isdigit() and host:
                out.append({"name": f"{key}/{key[:-5]}_PORT", "value": f"{host}:{port}"})
    return out


def _error_lines(reads: Reads, service: str, needles: tuple[str, ...]) -> list[str]:
    summary = reads.error_summary(service) or {}
    out = []
    for pattern in summary.get("patterns") or []:
        sample = str((pattern or {}).get("sample", "")) if isinstance(pattern, dict) else ""
        if any(n in sample for n in needles):
            out.append(sample)
    return out
