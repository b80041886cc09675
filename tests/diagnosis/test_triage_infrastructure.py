"""Triage of nodes and node daemons failing under healthy specs: systemctl status of kubelet, containerd and
kube-proxy, node conditions and sandbox failures, and node network alerts."""

from __future__ import annotations

import pytest
from diagnosis_fakes import (
    STOPPED,
    Container,
    FakeCluster,
    event,
    latency_alert,
    pod,
    pod_event,
    ranked,
    shop,
    unit_status,
)

from aoi.diagnosis import triage

SOCKET_REFUSED = ('Failed to create pod sandbox: rpc error: code = Unavailable desc = connection error: desc = '
                  '"transport: Error while dialing: dial unix /run/containerd/containerd.sock: connect: connection '
                  'refused"')


@pytest.mark.parametrize(("component", "active", "ready", "cause"), [
    ("kubelet", STOPPED, "Unknown", "kubelet_unavailable"),
    ("containerd", "failed (Result: exit-code) since Mon 2026-01-05 09:02:00 UTC; 2min ago", "False",
     "containerd_unavailable"),
    ("kube-proxy", STOPPED, "True", "kube_proxy_unavailable"),
    ("kube-proxy", "activating (auto-restart) (Result: exit-code) since Mon 2026-01-05 09:02:00 UTC; 3s ago", "True",
     "kube_proxy_unavailable"),
], ids=["kubelet", "containerd", "kube-proxy", "kube-proxy-crash-looping"])
def test_a_stopped_node_daemon_is_the_cause_on_its_node(component: str, active: str, ready: str, cause: str) -> None:
    cluster = shop()
    cluster.units[("node-b", component)] = unit_status("node-b", component, active)
    cluster.set_node("node-b", conditions={"Ready": ready})

    assert ranked(triage(cluster, "shop"))[0] == (cause, "node/node-b")


def test_a_unit_systemd_does_not_know_is_not_a_stopped_daemon() -> None:
    cluster = shop()
    cluster.units[("node-b", "kube-proxy")] = "Unit kube-proxy.service could not be found.\n"

    assert ranked(triage(cluster, "shop")) == []


def test_every_daemon_running_and_every_node_ready_has_no_infrastructure_hypothesis() -> None:
    assert ranked(triage(shop(), "shop")) == []


def sandbox_failures(cluster: FakeCluster) -> None:
    """`api` was placed on node-b and cannot get a sandbox from the runtime there."""
    row = pod("api", "ContainerCreating", ready="0/1", node="node-b")
    cluster.set_pods("api", row)
    cluster.endpoints["api"] = "<none>"
    cluster.event_rows.append(event("FailedCreatePodSandBox", f"pod/{row.name}", SOCKET_REFUSED))
    cluster.describe_pod(row, containers=[Container(ports=("9090/TCP",), state="Waiting", reason="ContainerCreating",
                                                    ready=False)],
                         events=[pod_event("FailedCreatePodSandBox", SOCKET_REFUSED)])


def test_sandbox_failures_on_the_containerd_socket_point_at_the_node_runtime() -> None:
    """Without any systemctl answer for the node, its condition and the sandbox errors are the evidence."""
    cluster = shop()
    del cluster.units[("node-b", "containerd")], cluster.units[("node-b", "kubelet")]
    cluster.set_node("node-b", conditions={"Ready": "False"})
    sandbox_failures(cluster)

    assert ranked(triage(cluster, "shop"))[0] == ("containerd_unavailable", "node/node-b")


def test_a_node_whose_status_is_unknown_without_daemon_answers_points_at_its_kubelet() -> None:
    cluster = shop()
    del cluster.units[("node-b", "containerd")], cluster.units[("node-b", "kubelet")]
    cluster.set_node("node-b", status="NotReady", conditions={"Ready": "Unknown"})

    assert ranked(triage(cluster, "shop"))[0] == ("kubelet_unavailable", "node/node-b")


# -- node network -----------------------------------------------------------------------------------------------
def node_alert(name: str, *evidence: str) -> dict[str, object]:
    return {"type": "Node", "name": name, "status": "ABNORMAL", "evidence": list(evidence)}



@pytest.mark.parametrize(("evidence", "cause"), [
    ("NODE_TCP_RETRANSMISSION [Network] | retransmission rate 8.5% (baseline 0.1%)", "node_network_packet_loss"),
    ("NODE_NETWORK_LATENCY [Network] | round-trip 350ms (baseline 0.4ms)", "node_network_delay"),
], ids=["retransmissions", "latency"])
def test_a_node_network_alert_names_the_node_and_its_kind(evidence: str, cause: str) -> None:
    cluster = shop()
    cluster.alert_list = [node_alert("node-b", evidence)]

    assert ranked(triage(cluster, "shop"))[0] == (cause, "node/node-b")


def test_unrelated_services_slow_together_on_one_node_point_at_that_node() -> None:
    cluster = shop()
    for workload in ("web", "api", "cache"):
        cluster.set_pods(workload, pod(workload, node="node-b"))
    # web's callee api is fast, so web's latency is its own, as is cache's: two origins, one node.
    cluster.alert_list = [latency_alert("web"), latency_alert("cache")]

    assert ranked(triage(cluster, "shop"))[0] == ("node_network_delay", "node/node-b")


def test_a_slow_chain_with_one_origin_points_at_the_origin_even_when_it_shares_a_node() -> None:
    cluster = shop()
    for workload in ("web", "api", "cache"):
        cluster.set_pods(workload, pod(workload, node="node-b"))
    cluster.alert_list = [latency_alert("web"), latency_alert("api"), latency_alert("cache")]

    assert ranked(triage(cluster, "shop"))[0] == ("pod_network_delay", "service/cache")


def test_latency_on_services_spread_over_nodes_does_not_point_at_a_node() -> None:
    cluster = shop()
    cluster.alert_list = [latency_alert("web"), latency_alert("api")]

    assert [o for _, o in ranked(triage(cluster, "shop")) if o.startswith("node/")] == []
