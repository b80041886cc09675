"""Triage of containers that run and are then killed or taken out of service: OOM kills, and liveness and readiness
probe failures classified by their output, their spec and the ports the container declares."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from diagnosis_fakes import (
    Container,
    FakeCluster,
    describe_probe,
    event,
    http_probe,
    manifest,
    pod,
    pod_event,
    ranked,
    shop,
)

from aoi.diagnosis import triage

REFUSED = 'Get "http://{ip}:{port}/healthz": dial tcp {ip}:{port}: connect: connection refused'
DEADLINE = ('Get "http://{ip}:{port}/healthz": context deadline exceeded (Client.Timeout exceeded while awaiting '
            "headers)")
MALFORMED = ('Get "http://{ip}:{port}/healthz": net/http: HTTP/1.x transport connection broken: malformed HTTP '
             'response "\\x00\\x00\\x06\\x04\\x00\\x00\\x00\\x00\\x00"')
KILLING = "Container app failed liveness probe, will be restarted"


def crash_looping(*, last_reason: str = "Error", exit_code: int = 137, liveness: Mapping[str, Any] | None = None,
                  failures: Sequence[str] = (), killed: bool = False) -> FakeCluster:
    """`api` restarting: its last termination, its liveness probe (manifest and describe), the probe's failure
    outputs as `Unhealthy` events, and whether the kubelet killed it for the probe."""
    cluster = shop()
    row = pod("api", "CrashLoopBackOff", ready="0/1", restarts=4, node="node-b")
    cluster.set_pods("api", row)
    cluster.endpoints["api"] = "<none>"
    cluster.manifests["api"] = manifest("api", liveness=liveness, env={"CACHE_ADDR": "cache:6379"})
    lines = [pod_event("Unhealthy", f"Liveness probe failed: {f.format(ip=row.ip, port=_port(liveness))}")
             for f in failures]
    if killed:
        lines.append(pod_event("Killing", KILLING, type="Normal"))
    lines.append(pod_event("BackOff", f"Back-off restarting failed container app in pod {row.name}_shop(7c1d)"))
    cluster.event_rows += [event(e.reason, f"pod/{row.name}", e.message, type=e.type) for e in lines]
    cluster.describe_pod(row, containers=[Container(
        ports=("9090/TCP",), state="Waiting", reason="CrashLoopBackOff", last_state="Terminated",
        last_reason=last_reason, last_exit_code=exit_code, ready=False, restarts=4,
        liveness=describe_probe(liveness) if liveness else "")], events=lines)
    return cluster


def not_ready(readiness: Mapping[str, Any], failure: str, *, ready: str = "0/1") -> FakeCluster:
    """`api` running but (still, or no longer) failing its readiness probe; it never restarts."""
    cluster = shop()
    row = pod("api", "Running", ready=ready, node="node-b")
    cluster.set_pods("api", row)
    if ready == "0/1":
        cluster.endpoints["api"] = "<none>"
    cluster.manifests["api"] = manifest("api", readiness=readiness, env={"CACHE_ADDR": "cache:6379"})
    message = f"Readiness probe failed: {failure.format(ip=row.ip, port=_port(readiness))}"
    cluster.event_rows.append(event("Unhealthy", f"pod/{row.name}", message))
    cluster.describe_pod(row, containers=[Container(ports=("9090/TCP",), ready=ready == "1/1",
                                                    readiness=describe_probe(readiness))],
                         events=[pod_event("Unhealthy", message)])
    return cluster


def _port(probe: Mapping[str, Any] | None) -> object:
    return probe["httpGet"]["port"] if probe else 9090


# -- OOM --------------------------------------------------------------------------------------------------------
def test_a_container_whose_last_termination_is_oom_killed_is_killed_for_memory() -> None:
    cluster = crash_looping(last_reason="OOMKilled", exit_code=137)

    assert ranked(triage(cluster, "shop")) == [("oom_killed", "service/api")]


def test_a_container_running_again_after_an_oom_kill_is_still_killed_for_memory() -> None:
    cluster = crash_looping(last_reason="OOMKilled", exit_code=137)
    row = pod("api", "Running", restarts=4, node="node-b")
    cluster.set_pods("api", row)
    cluster.endpoints["api"] = f"{row.ip}:9090"
    cluster.describe_pod(row, containers=[Container(ports=("9090/TCP",), last_state="Terminated",
                                                    last_reason="OOMKilled", last_exit_code=137, restarts=4)])

    assert ranked(triage(cluster, "shop")) == [("oom_killed", "service/api")]


def test_exit_code_137_of_a_container_the_runtime_lost_is_not_an_oom_kill() -> None:
    """ContainerStatusUnknown also reports 137; the reason, not the code, says OOM."""
    cluster = crash_looping(last_reason="ContainerStatusUnknown", exit_code=137)

    assert ranked(triage(cluster, "shop")) == []


def test_a_liveness_kill_with_exit_code_137_is_not_an_oom_kill() -> None:
    """The kubelet's SIGKILL after the grace period also ends in 137, but with reason Error and a Killing event."""
    cluster = crash_looping(liveness=http_probe(9090), failures=[DEADLINE] * 3, killed=True)

    assert ranked(triage(cluster, "shop")) == [("liveness_probe_incorrect_timing", "service/api")]


def test_a_healthy_namespace_has_no_runtime_hypothesis() -> None:
    assert ranked(triage(shop(), "shop")) == []


# -- liveness vs readiness --------------------------------------------------------------------------------------
def test_a_liveness_probe_refused_on_a_port_the_container_does_not_declare_is_a_liveness_port_fault() -> None:
    cluster = crash_looping(liveness=http_probe(9091), failures=[REFUSED] * 3, killed=True)

    assert ranked(triage(cluster, "shop")) == [("liveness_probe_incorrect_port", "service/api")]


def test_a_readiness_probe_refused_on_a_port_the_container_does_not_declare_is_a_readiness_port_fault() -> None:
    cluster = not_ready(http_probe(9091), REFUSED)

    assert ranked(triage(cluster, "shop")) == [("readiness_probe_incorrect_port", "service/api")]


def test_a_liveness_probe_answered_in_another_protocol_is_a_liveness_protocol_fault() -> None:
    cluster = crash_looping(liveness=http_probe(9090), failures=[MALFORMED] * 3, killed=True)

    assert ranked(triage(cluster, "shop")) == [("liveness_probe_incorrect_protocol", "service/api")]


def test_a_readiness_probe_answered_in_another_protocol_is_a_readiness_protocol_fault() -> None:
    cluster = not_ready(http_probe(9090), MALFORMED)

    assert ranked(triage(cluster, "shop")) == [("readiness_probe_incorrect_protocol", "service/api")]


def test_readiness_failures_of_a_pod_that_is_ready_now_are_ordinary() -> None:
    """Readiness probes fail while a container starts; a pod that became ready has no probe fault."""
    cluster = not_ready(http_probe(9090), REFUSED, ready="1/1")

    assert ranked(triage(cluster, "shop")) == []


def test_a_liveness_probe_refused_on_the_declared_port_right_after_start_is_a_timing_fault() -> None:
    cluster = crash_looping(liveness=http_probe(9090, delay=0, timeout=1, period=2, failure=1),
                            failures=[REFUSED] * 3, killed=True)

    assert ranked(triage(cluster, "shop"))[0] == ("liveness_probe_incorrect_timing", "service/api")


# -- a crash is not a probe fault -------------------------------------------------------------------------------
@pytest.mark.parametrize("exit_code", [1, 2])
def test_probe_failures_of_a_container_that_exits_by_itself_are_discounted(exit_code: int) -> None:
    """Probes fail while the container is down; only a kill by the kubelet (SIGTERM/SIGKILL) blames the probe."""
    killed = triage(crash_looping(liveness=http_probe(9091), failures=[REFUSED] * 3, killed=True), "shop")
    exited = triage(crash_looping(liveness=http_probe(9091), failures=[REFUSED] * 3, exit_code=exit_code), "shop")

    assert ranked(killed) == ranked(exited) == [("liveness_probe_incorrect_port", "service/api")]
    assert exited.hypotheses[0].score < 0.5 <= killed.hypotheses[0].score
