"""Infrastructure: a node or a node daemon fails underneath healthy specs.

Kubernetes behaviour encoded here:

* kubelet stopped: the node lifecycle controller sets Ready (and the pressure conditions) to `Unknown`, reason
  `NodeStatusUnknown`, `Kubelet stopped posting node status.`, taints the node `unreachable`, and after the
  toleration (300 s) evicts its pods; `systemctl status kubelet` shows it inactive.
* containerd down: the kubelet reports Ready=False (`container runtime is down`) and cannot create sandboxes:
  `FailedCreatePodSandBox ... dial unix /run/containerd/containerd.sock: connect: connection refused`; pods created
  on that node stay `ContainerCreating`.
* kube-proxy down: no event and no condition; Service rules stop being updated on that node only, so its daemon
  status (or its kube-system pod) is the evidence.
* kube-scheduler down: see the scheduling analyzer; its unit on the control-plane node is read here too.
* Node network: packet loss shows as TCP retransmissions on the node and slow, sometimes failing calls; delay
  shows as latency on every service with pods on that node.
"""

from __future__ import annotations

from collections import Counter

from aoi.diagnosis.analyzers.common import finding
from aoi.diagnosis.analyzers.performance import origins_share_a_node, slow_callees
from aoi.diagnosis.findings import Finding
from aoi.diagnosis.messages import unit_state
from aoi.diagnosis.reads import Reads

DAEMON_CAUSES = {"kubelet": "kubelet_unavailable", "containerd": "containerd_unavailable",
                 "kube-proxy": "kube_proxy_unavailable", "kube-scheduler": "kube_scheduler_unavailable"}


def node_daemons(reads: Reads) -> list[Finding]:
    """`systemctl status` of each node's daemons (kube-scheduler on control-plane nodes only)."""
    findings = []
    for node in reads.nodes():
        components = ["kubelet", "containerd", "kube-proxy"] + (["kube-scheduler"] if node.control_plane else [])
        for component in components:
            status = reads.node_status(node.name, component)
            if status is None or unit_state(status) != "stopped":
                continue
            source = reads.label("check_node_service_status", node=node.name, component=component)
            line = next((ln for ln in status.splitlines() if "Active:" in ln), status.splitlines()[0])
            evidence = [(line, source)]
            if node.ready not in ("True", ""):
                evidence.append((f"node {node.name} Ready={node.ready}", "get_cluster_configuration()"))
            findings.append(finding("node_daemons", f"node/{node.name}", f"{component} is not running on {node.name}",
                                    evidence, [(DAEMON_CAUSES[component], 0.9)], source))
    return findings


def node_conditions(reads: Reads) -> list[Finding]:
    """Nodes that are not Ready, with what the condition and the pods on them say."""
    findings = []
    pods = reads.pods()
    for node in reads.nodes():
        if node.ready in ("True", ""):
            continue
        on_node = [p for p in pods if p.node == node.name]
        stuck = [p for p in on_node if p.status in ("ContainerCreating", "Unknown", "Terminating", "Init:0/1")]
        sandbox = [e for e in reads.events() if e.reason == "FailedCreatePodSandBox"
                   and any(e.name == p.name for p in on_node)]
        candidates = {"kubelet_unavailable": 0.75 if node.ready == "Unknown" else 0.45,
                      "containerd_unavailable": 0.7 if sandbox else 0.4}
        evidence = [(f"node {node.name} Ready={node.ready}", "get_cluster_configuration()")]
        evidence += [(e.line, reads.events_label()) for e in sandbox[:1]]
        evidence += [(f"{p.name} {p.status} on {node.name}", reads.pods_label()) for p in stuck[:1]]
        findings.append(finding("node_conditions", f"node/{node.name}", f"node {node.name} is not Ready", evidence,
                                candidates.items(),
                                reads.label("check_node_service_status", node=node.name, component="kubelet")))
    for event in reads.events():
        if event.reason == "FailedCreatePodSandBox" and "containerd.sock" in event.message:
            pod = next((p for p in pods if p.name == event.name), None)
            if pod is not None and pod.node and pod.status != "Running":
                findings.append(finding("node_conditions", f"node/{pod.node}", f"{pod.node} cannot create sandboxes",
                                        [(event.line, reads.events_label())], [("containerd_unavailable", 0.8)],
                                        reads.label("check_node_service_status", node=pod.node,
                                                    component="containerd")))
    return findings


def node_network(reads: Reads) -> list[Finding]:
    """Node alerts on the network, and latency alerts concentrated on the pods of one node."""
    findings = []
    alerts = [a for a in reads.alerts().get("alerts") or [] if isinstance(a, dict)]
    for alert in alerts:
        if alert.get("type") != "Node":
            continue
        evidence = [str(e) for e in alert.get("evidence") or []]
        text = " ".join(evidence).lower()
        node = str(alert.get("name", ""))
        if "retrans" in text or "loss" in text or "network" in text:
            retrans = "retrans" in text or "loss" in text
            findings.append(finding("node_network", f"node/{node}", f"network quality of {node} degraded",
                                    [(e, "get_alerts()") for e in evidence[:2]],
                                    [("node_network_packet_loss", 0.8 if retrans else 0.5),
                                     ("node_network_delay", 0.5 if retrans else 0.7)], "get_alerts()"))
    slow = _latency_alerted(alerts)
    callees_of = slow_callees(reads, slow)
    origins = sorted(name for name in slow if not callees_of[name] & slow)
    node = origins_share_a_node(reads, origins) if len(origins) >= 2 else ""
    if node and not any(f.object == f"node/{node}" for f in findings):
        findings.append(finding("node_network", f"node/{node}",
                                f"{len(origins)} unrelated slow services all run on {node}",
                                [(f"slow with no slow callee: {', '.join(origins[:4])}", "get_alerts()"),
                                 (f"their pods all run on {node}", reads.pods_label())],
                                [("node_network_delay", 0.75), ("node_network_packet_loss", 0.5)],
                                reads.label("get_metrics", target=node)))
    elif len(slow) >= 2 and len(origins) != 1:
        nodes = Counter(p.node for p in reads.pods() if p.workload in slow and p.node)
        if nodes:
            node, count = nodes.most_common(1)[0]
            share = count / sum(nodes.values())
            if share >= 0.6 and not any(f.object == f"node/{node}" for f in findings):
                findings.append(finding("node_network", f"node/{node}",
                                        f"{count} of {sum(nodes.values())} slow pods run on {node}",
                                        [(f"latency alerts on {', '.join(sorted(slow)[:4])}", "get_alerts()"),
                                         (f"their pods run on {dict(nodes)}", reads.pods_label())],
                                        [("node_network_delay", 0.45 + 0.3 * share),
                                         ("node_network_packet_loss", 0.3 + 0.2 * share)],
                                        reads.label("get_metrics", target=node)))
    return findings


def _latency_alerted(alerts: list[dict]) -> set[str]:
    return {str(a.get("name")) for a in alerts if a.get("type") == "Service"
            and any("LATENCY" in str(e).upper() for e in a.get("evidence") or [])}
