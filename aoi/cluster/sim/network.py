"""Cluster networking as a client sees it: DNS, Service ports, kube-proxy rules, endpoints, listening sockets.

`connect()` answers "what happens when a process on node N dials host:port" with the error text the real
client would print. It reads only cluster state (Services, Endpoints, pods, node daemons, chaos), so
misconfigurations anywhere along the path show up as the right failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aoi.cluster.sim.state import PodChaos, SimState

DNS_SERVER = {"online-boutique": "169.254.20.10:53"}
DEFAULT_DNS = "10.96.0.10:53"


@dataclass(slots=True)
class Connection:
    ok: bool
    error: str = ""
    """'' | 'dns' | 'timeout' | 'refused' — how the dial failed."""
    message: str = ""
    service: str = ""
    ip: str = ""
    port: int = 0
    good_pods: list[dict[str, Any]] = field(default_factory=list)
    """Ready endpoint pods whose process listens on the target port."""
    bad_fraction: float = 0.0
    """Share of connections that land on endpoints that refuse them."""
    extra_latency_ms: float = 0.0
    loss: float = 0.0


def split_address(address: str, default_port: int) -> tuple[str, int | None]:
    host, _, port = address.rpartition(":") if ":" in address else (address, "", "")
    if not host:
        return address, default_port
    try:
        return host, int(port)
    except ValueError:
        return host, None


def connect(state: SimState, namespace: str, address: str, default_port: int, from_node: str | None, *,
            via_proxy: bool = False) -> Connection:
    """`via_proxy`: the caller's sidecar makes the connection; it routes to the endpoint pods itself, so the node's
    kube-proxy rules are not on the path."""
    host, port = split_address(address, default_port)
    dns = DNS_SERVER.get(state.app.name, DEFAULT_DNS)
    parts = host.split(".")
    svc_name, svc_ns = parts[0], parts[1] if len(parts) > 1 and parts[1] != "svc" else namespace
    svc = state.store.get("Service", svc_ns, svc_name)
    if svc is None or port is None:
        return Connection(False, "dns", f"dial tcp: lookup {host} on {dns}: no such host", service=svc_name)
    ip = svc["spec"].get("clusterIP", "")
    conn = Connection(False, service=svc_name, ip=ip, port=port)
    if from_node and not via_proxy and not state.nodes[from_node].kube_proxy:
        stopped = state.nodes[from_node].stopped_tick.get("kube-proxy", 0)
        if state.clock.tick - stopped > 6:  # the rules are flushed once the proxy has been down for ~30 s
            conn.error, conn.message = "timeout", f"dial tcp {ip}:{port}: i/o timeout"
            return conn
    svc_port = next((p for p in svc["spec"].get("ports") or [] if p.get("port") == port), None)
    if svc_port is None:
        conn.error, conn.message = "timeout", f"dial tcp {ip}:{port}: i/o timeout"
        return conn
    if svc_port.get("protocol", "TCP") != "TCP":
        conn.error, conn.message = "refused", f"dial tcp {ip}:{port}: connect: connection refused"
        return conn
    endpoints = state.store.get("Endpoints", svc_ns, svc_name)
    ready_pods = []
    for subset in (endpoints or {}).get("subsets") or []:
        if not any(p.get("name") == svc_port.get("name") or len(subset.get("ports") or []) == 1
                   for p in subset.get("ports") or []):
            continue
        for addr in subset.get("addresses") or []:
            ref = addr.get("targetRef") or {}
            pod = state.store.get("Pod", svc_ns, ref.get("name", ""))
            if pod is not None:
                ready_pods.append(pod)
    if not ready_pods:
        conn.error, conn.message = "refused", f"dial tcp {ip}:{port}: connect: connection refused"
        return conn
    target = svc_port.get("targetPort", port)
    good = [p for p in ready_pods if _listens(state, p, target)]
    if not good:
        conn.error, conn.message = "refused", f"dial tcp {ip}:{port}: connect: connection refused"
        return conn
    conn.ok = True
    conn.good_pods = good
    conn.bad_fraction = 1 - len(good) / len(ready_pods)
    conn.extra_latency_ms, conn.loss = path_impairment(state, svc_ns, good, from_node)
    if conn.loss >= 0.95:
        conn.ok, conn.error = False, "timeout"
        conn.message = f"dial tcp {ip}:{port}: i/o timeout"
    return conn


def path_impairment(state: SimState, namespace: str, pods: list[dict[str, Any]],
                    from_node: str | None) -> tuple[float, float]:
    """Extra latency (ms) and loss ratio on the way to the given pods: node and pod network chaos."""
    delays, losses = [], []
    for pod in pods:
        delay, loss = 0.0, 0.0
        node = pod["spec"].get("nodeName")
        if node in state.nodes:
            delay += state.nodes[node].network_delay_ms
            loss = max(loss, state.nodes[node].network_loss)
        for chaos in active_chaos(state, namespace, component_of(state, pod)):
            if chaos.action == "network-delay":
                delay += chaos.value
            elif chaos.action == "network-loss":
                loss = max(loss, chaos.value)
        delays.append(delay)
        losses.append(loss)
    if from_node in state.nodes:
        extra_delay, extra_loss = state.nodes[from_node].network_delay_ms, state.nodes[from_node].network_loss
        delays = [d + extra_delay for d in delays]
        losses = [max(l_, extra_loss) for l_ in losses]
    return sum(delays) / len(delays), sum(losses) / len(losses)


def active_chaos(state: SimState, namespace: str, component: str) -> list[PodChaos]:
    """The chaos experiments acting on a component's pods now (one with a duration stops at its `until_tick`)."""
    return [c for c in state.chaos if c.namespace == namespace and c.component == component
            and (c.until_tick is None or state.clock.tick < c.until_tick)]


def component_of(state: SimState, pod: dict[str, Any]) -> str:
    return (pod["metadata"].get("labels") or {}).get(state.app.label_key, pod["metadata"]["name"])


def _listens(state: SimState, pod: dict[str, Any], target: Any) -> bool:
    """Whether a running container of the pod has a process listening on the (possibly named) target port."""
    runtime = state.containers.get(pod["metadata"]["uid"], {})
    for spec in pod["spec"]["containers"]:
        port = target
        if isinstance(target, str):
            port = next((p["containerPort"] for p in spec.get("ports") or [] if p.get("name") == target), None)
        rt = runtime.get(spec["name"])
        if rt is not None and rt.listen_port is not None and rt.listen_port == port:
            return True
    return False
