"""Triage of Pending pods: kube-scheduler's FailedScheduling histogram, the pod spec that explains it, and a
scheduler that is not running at all."""

from __future__ import annotations

import pytest
from diagnosis_fakes import (
    CONTROL_PLANE,
    CONTROL_PLANE_TAINT,
    STOPPED,
    PodRow,
    event,
    fit_error,
    manifest,
    pending,
    ranked,
    shop,
    unit_status,
)

from aoi.diagnosis import triage

SELECTOR = "node(s) didn't match Pod's node affinity/selector"


@pytest.mark.parametrize(("reason", "cause"), [
    ("Insufficient cpu", "insufficient_node_cpu"),
    ("Insufficient memory", "insufficient_node_memory"),
    ("node(s) had untolerated taint {dedicated: gpu}", "taint_toleration_mismatch"),
    ("node(s) didn't match pod anti-affinity rules", "pod_anti_affinity_conflict"),
])
def test_the_reason_that_excludes_every_worker_is_the_cause(reason: str, cause: str) -> None:
    cluster = shop()
    pending(cluster, "api", fit_error({CONTROL_PLANE_TAINT: 1, reason: 3}))

    assert ranked(triage(cluster, "shop")) == [(cause, "service/api")]


@pytest.mark.parametrize("taint", [CONTROL_PLANE_TAINT,
                                   "node(s) had untolerated taint {node-role.kubernetes.io/master: }"])
def test_a_control_plane_nodes_own_taint_in_the_histogram_is_ordinary(taint: str) -> None:
    cluster = shop()
    pending(cluster, "api", fit_error({taint: 1, "Insufficient memory": 3}))

    assert ranked(triage(cluster, "shop")) == [("insufficient_node_memory", "service/api")]


def test_a_healthy_namespace_has_no_scheduling_hypothesis() -> None:
    assert ranked(triage(shop(), "shop")) == []


CORDONED_STATUS = [
    "Ready",
    "Ready,SchedulingDisabled",
]
"""How a cordoned node's status is written: as the simulator does, and as kubectl's STATUS column does."""


@pytest.mark.parametrize("status", CORDONED_STATUS)
def test_a_cordoned_control_plane_node_in_the_histogram_is_ordinary(status: str) -> None:
    cluster = shop()
    cluster.set_node(CONTROL_PLANE, role="control-plane", status=status, unschedulable=True)
    pending(cluster, "api", fit_error({"node(s) were unschedulable": 1, "Insufficient cpu": 3}))

    assert ranked(triage(cluster, "shop")) == [("insufficient_node_cpu", "service/api")]


def test_a_node_selector_no_node_satisfies_is_a_selector_mismatch() -> None:
    cluster = shop()
    cluster.manifests["api"] = manifest("api", node_selector={"disktype": "nvme"})
    pending(cluster, "api", fit_error({CONTROL_PLANE_TAINT: 1, SELECTOR: 3}))

    assert ranked(triage(cluster, "shop")) == [("node_selector_mismatch", "service/api")]


def test_required_node_affinity_no_node_satisfies_is_an_affinity_mismatch() -> None:
    """kube-scheduler writes the same reason for nodeSelector and required node affinity: the pod spec decides."""
    cluster = shop()
    affinity = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "disktype", "operator": "In", "values": ["nvme"]}]}]}}}
    cluster.manifests["api"] = manifest("api", affinity=affinity)
    pending(cluster, "api", fit_error({CONTROL_PLANE_TAINT: 1, SELECTOR: 3}))

    assert ranked(triage(cluster, "shop")) == [("node_affinity_mismatch", "service/api")]


@pytest.mark.parametrize("status", CORDONED_STATUS)
def test_a_selector_that_only_a_cordoned_worker_satisfies_points_at_the_cordon(status: str) -> None:
    cluster = shop()
    cluster.set_node("node-c", status=status, labels={"disktype": "ssd"}, unschedulable=True)
    cluster.manifests["api"] = manifest("api", node_selector={"disktype": "ssd"})
    pending(cluster, "api", fit_error({CONTROL_PLANE_TAINT: 1, "node(s) were unschedulable": 1, SELECTOR: 2}))

    assert ranked(triage(cluster, "shop")) == [("node_cordoned", "service/api"),
                                               ("node_selector_mismatch", "service/api")]


def test_a_histogram_about_a_pod_that_no_longer_exists_is_history_not_a_hypothesis() -> None:
    cluster = shop()
    pending(cluster, "api", fit_error({CONTROL_PLANE_TAINT: 1, "Insufficient memory": 3}))
    gone = "web-5b7c9d8e7f-q4m2z"
    cluster.event_rows.append(event("FailedScheduling", f"pod/{gone}",
                                    fit_error({CONTROL_PLANE_TAINT: 1, "Insufficient cpu": 3}), last_seen="40m"))

    report = triage(cluster, "shop")

    assert ranked(report) == [("insufficient_node_memory", "service/api")]
    assert [(f.candidates[0].cause, f.object) for f in report.findings if f.stale] == [
        ("insufficient_node_cpu", "service/web")]


# -- scheduler down vs a constraint -------------------------------------------------------------------------------
def test_pending_pods_the_scheduler_never_saw_with_its_unit_dead_mean_the_scheduler_is_down() -> None:
    cluster = shop()
    pending(cluster, "api", None)
    pending(cluster, "web", None)
    cluster.units[(CONTROL_PLANE, "kube-scheduler")] = unit_status(CONTROL_PLANE, "kube-scheduler", STOPPED)

    assert ranked(triage(cluster, "shop")) == [("kube_scheduler_unavailable", f"node/{CONTROL_PLANE}")]


def test_pending_pods_the_scheduler_never_saw_with_its_static_pod_crashing_mean_the_scheduler_is_down() -> None:
    """A kubeadm control plane runs kube-scheduler as a static pod in kube-system, not as a systemd unit."""
    cluster = shop()
    pending(cluster, "api", None)
    cluster.units[(CONTROL_PLANE, "kube-scheduler")] = "Unit kube-scheduler.service could not be found.\n"
    cluster.pods["kube-system"] = [PodRow(f"kube-scheduler-{CONTROL_PLANE}", "CrashLoopBackOff", "0/1",
                                          "7 (40s ago)", "30d", "192.0.2.1", CONTROL_PLANE)]

    assert ranked(triage(cluster, "shop")) == [("kube_scheduler_unavailable", f"node/{CONTROL_PLANE}")]


def test_pending_pods_with_an_insufficient_cpu_event_are_not_a_scheduler_outage() -> None:
    cluster = shop()
    pending(cluster, "api", fit_error({CONTROL_PLANE_TAINT: 1, "Insufficient cpu": 3}))

    assert ranked(triage(cluster, "shop")) == [("insufficient_node_cpu", "service/api")]


def test_a_silent_pending_pod_with_the_scheduler_running_is_at_most_a_weak_scheduler_hypothesis() -> None:
    cluster = shop()
    pending(cluster, "api", None)

    report = triage(cluster, "shop")

    assert [(h.cause, h.object) for h in report.hypotheses if h.score >= 0.5] == []
