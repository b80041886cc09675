"""Cloud-OpsBench's Kubernetes root causes on the simulated Online Boutique: each injected fault shows the
evidence a real cluster shows (events, pod states, endpoints, callers' errors, metrics), a healthy cluster shows
none of it, the documented fix makes the fault's predicate true and a plausible wrong fix does not."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from aoi.cluster.sim.apps.catalog import APPS
from aoi.cluster.sim.cluster import SimCluster
from aoi.cluster.sim.faults import FAULTS, Fault, make_fault
from aoi.cluster.sim.faults.k8s import K8S_FAULTS
from aoi.cluster.sim.state import SimState

APP = "online-boutique"
NS = "boutique"
INJECT_TICKS = 24

Check = Callable[[SimState], bool]


# -- evidence probes -----------------------------------------------------------------------------------------------
def event(reason: str, *fragments: str, about: str = "") -> Check:
    def check(state: SimState) -> bool:
        return any(e["reason"] == reason and e["involvedObject"]["name"].startswith(about)
                   and all(f in e["message"] for f in fragments) for e in state.store.list("Event", NS))
    return check


def _pods(state: SimState, component: str) -> list[dict[str, Any]]:
    return [p for p in state.store.list("Pod", NS) if p["metadata"]["labels"].get("app") == component
            and not p["metadata"].get("deletionTimestamp")]


def _statuses(state: SimState, component: str) -> list[dict[str, Any]]:
    return [s for p in _pods(state, component) for s in p["status"].get("containerStatuses") or []]


def no_pod(component: str) -> Check:
    return lambda state: not _pods(state, component)


def pending_unscheduled(component: str) -> Check:
    return lambda state: any(p["status"]["phase"] == "Pending" and not p["spec"].get("nodeName")
                             for p in _pods(state, component))


def waiting(component: str, *reasons: str) -> Check:
    return lambda state: any((s["state"].get("waiting") or {}).get("reason") in reasons
                             for s in _statuses(state, component))


def restarted(component: str, at_least: int) -> Check:
    return lambda state: any(s["restartCount"] >= at_least for s in _statuses(state, component))


def running_not_ready(component: str) -> Check:
    return lambda state: any("running" in s["state"] and not s["ready"] and s["restartCount"] == 0
                             for s in _statuses(state, component))


def without_ip(component: str) -> Check:
    return lambda state: any(p["spec"].get("nodeName") and not p["status"].get("podIP")
                             for p in _pods(state, component))


def no_ready_endpoints(service: str) -> Check:
    def check(state: SimState) -> bool:
        ep = state.store.get("Endpoints", NS, service)
        return ep is None or not any(s.get("addresses") for s in ep.get("subsets") or [])
    return check


def endpoint_port(service: str, port: int) -> Check:
    def check(state: SimState) -> bool:
        ep = state.store.get("Endpoints", NS, service) or {}
        return any(p["port"] == port for s in ep.get("subsets") or [] for p in s.get("ports") or [])
    return check


def error_log(component: str, *fragments: str) -> Check:
    def check(state: SimState) -> bool:
        since = state.clock.tick - 6
        return any(line.error and line.tick >= since and all(f in line.text for f in fragments)
                   for key, lines in state.telemetry.logs.items() if key.startswith(f"{NS}/{component}-")
                   for line in lines)
    return check


def metric_above(component: str, metric: str, threshold: float) -> Check:
    def check(state: SimState) -> bool:
        window = state.telemetry.window(f"{NS}/{component}", metric, state.clock.tick - 4)
        return bool(window) and sum(v for _, v in window) / len(window) > threshold
    return check


def metric_below(component: str, metric: str, threshold: float) -> Check:
    def check(state: SimState) -> bool:
        window = state.telemetry.window(f"{NS}/{component}", metric, state.clock.tick - 4)
        return bool(window) and sum(v for _, v in window) / len(window) < threshold
    return check


def node_retransmitting(node: str) -> Check:
    def check(state: SimState) -> bool:
        window = state.telemetry.window(f"node/{node}", "tcp_retransmits", state.clock.tick - 4)
        return bool(window) and min(v for _, v in window) > 1
    return check


def node_condition(node: str, status: str, fragment: str) -> Check:
    def check(state: SimState) -> bool:
        ready = next(c for c in state.store.get("Node", None, node)["status"]["conditions"] if c["type"] == "Ready")
        return ready["status"] == status and fragment in ready["message"]
    return check


def exists(kind: str, name: str, *, absent: bool = False) -> Check:
    return lambda state: (state.store.get(kind, NS, name) is None) == absent


def pvc_pending(name: str) -> Check:
    return lambda state: (state.store.get("PersistentVolumeClaim", NS, name) or {}).get("status", {}).get(
        "phase") == "Pending"


UNSCHEDULABLE = "0/4 nodes are available: "
NO_PREEMPTION = "4 Preemption is not helpful for scheduling."
HEALTHY_P50_MS = 25.0
"""The frontend's median latency on the healthy cluster stays below this."""

ADS_DOWN = error_log("frontend", "failed to get ads", "connection refused")
CART_DOWN = error_log("frontend", "could not retrieve cart")
REDIS_UNREACHABLE = error_log("cartservice", "6379")
UNBOUND = event("FailedScheduling", UNSCHEDULABLE + "pod has unbound immediate PersistentVolumeClaims", NO_PREEMPTION,
                about="redis-cart")

EVIDENCE: dict[str, list[Check]] = {
    "namespace_cpu_quota_exceeded": [
        event("FailedCreate", "is forbidden: exceeded quota: cpu-quota, requested: requests.cpu=200m",
              about="adservice"),
        event("FailedCreate", "(combined from similar events): Error creating: pods \"adservice-"),
        no_pod("adservice"), ADS_DOWN],
    "namespace_memory_quota_exceeded": [
        event("FailedCreate", "exceeded quota: memory-quota, requested: requests.memory=180Mi", about="adservice"),
        no_pod("adservice"), ADS_DOWN],
    "namespace_pod_quota_exceeded": [
        event("FailedCreate", "exceeded quota: pod-count-quota, requested: pods=1, used: pods=10, limited: pods=10"),
        no_pod("adservice"), ADS_DOWN],
    "namespace_service_quota_exceeded": [
        exists("ResourceQuota", "service-count-quota"), exists("Service", "adservice", absent=True),
        error_log("frontend", "failed to get ads", "lookup adservice on 169.254.20.10:53: no such host")],
    "namespace_storage_quota_exceeded": [
        exists("ResourceQuota", "storage-quota"), exists("PersistentVolumeClaim", "redis-cart-pvc", absent=True),
        event("FailedScheduling", UNSCHEDULABLE + 'persistentvolumeclaim "redis-cart-pvc" not found', NO_PREEMPTION),
        pending_unscheduled("redis-cart"), REDIS_UNREACHABLE, CART_DOWN],
    "missing_service_account": [
        event("FailedCreate", 'Error creating: pods "adservice-', "is forbidden: error looking up service account "
              'boutique/adservice: serviceaccount "adservice" not found'),
        no_pod("adservice"), ADS_DOWN],
    "node_cordoned": [
        event("FailedScheduling", UNSCHEDULABLE + "4 node(s) were unschedulable.", NO_PREEMPTION),
        pending_unscheduled("cartservice"), CART_DOWN, metric_above("frontend", "error_rate", 0.5)],
    "node_affinity_mismatch": [
        event("FailedScheduling", UNSCHEDULABLE + "1 node(s) were unschedulable, 3 node(s) didn't match Pod's node "
              "affinity/selector.", NO_PREEMPTION), pending_unscheduled("adservice"), ADS_DOWN],
    "node_selector_mismatch": [
        event("FailedScheduling", "3 node(s) didn't match Pod's node affinity/selector.", about="adservice"),
        pending_unscheduled("adservice"), ADS_DOWN],
    "pod_anti_affinity_conflict": [
        event("FailedScheduling", "3 node(s) didn't match pod anti-affinity rules. preemption: 0/4 nodes are "
              "available: 1 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod."),
        pending_unscheduled("adservice")],
    "taint_toleration_mismatch": [
        event("FailedScheduling", "3 node(s) had untolerated taint {dedicated: infra}.", NO_PREEMPTION),
        pending_unscheduled("adservice"), ADS_DOWN],
    "insufficient_node_cpu": [
        event("FailedScheduling", UNSCHEDULABLE + "1 node(s) were unschedulable, 3 Insufficient cpu. preemption: 0/4 "
              "nodes are available: 1 Preemption is not helpful for scheduling, 3 No preemption victims found for "
              "incoming pod."), pending_unscheduled("cartservice"), CART_DOWN],
    "insufficient_node_memory": [
        event("FailedScheduling", "1 node(s) were unschedulable, 3 Insufficient memory."),
        pending_unscheduled("cartservice"), CART_DOWN],
    "pvc_selector_mismatch": [
        UNBOUND, pvc_pending("redis-cart-pvc"),
        event("FailedBinding", "no persistent volumes available for this claim and no storage class is set"),
        REDIS_UNREACHABLE],
    "pvc_storage_class_mismatch": [
        UNBOUND, event("ProvisioningFailed", 'storageclass.storage.k8s.io "fast-ssd" not found'), REDIS_UNREACHABLE],
    "pvc_access_mode_mismatch": [UNBOUND, pvc_pending("redis-cart-pvc"), event("FailedBinding"), CART_DOWN],
    "pvc_capacity_mismatch": [UNBOUND, pvc_pending("redis-cart-pvc"), event("FailedBinding"), CART_DOWN],
    "pv_binding_occupied": [
        UNBOUND, pvc_pending("redis-cart-pvc"),
        lambda s: s.store.get("PersistentVolume", None, "redis-cart-pv")["spec"]["claimRef"]["name"]
        == "redis-cart-pvc-backup", CART_DOWN],
    "image_registry_dns_failure": [
        event("Failed", 'Failed to pull image "registry.invalid/google-samples/microservices-demo/adservice:v0.10.3"',
              "lookup registry.invalid", "no such host"),
        event("Failed", "Error: ErrImagePull"), waiting("adservice", "ErrImagePull", "ImagePullBackOff"), ADS_DOWN],
    "incorrect_image_reference": [
        event("Failed", "adservice:v0.10.3-rc0", "rpc error: code = NotFound", "not found"),
        event("BackOff", 'Back-off pulling image "'), event("Failed", "Error: ImagePullBackOff"),
        waiting("adservice", "ErrImagePull", "ImagePullBackOff"), ADS_DOWN],
    "missing_image_pull_secret": [
        event("Failed", 'Failed to pull image "ghcr.io/aoi-private/adservice:v0.10.3"', "failed to authorize",
              "403 Forbidden"), waiting("adservice", "ErrImagePull", "ImagePullBackOff"), ADS_DOWN],
    "volume_mount_permission_denied": [
        waiting("redis-cart", "CrashLoopBackOff"), restarted("redis-cart", 2),
        event("BackOff", "Back-off restarting failed container redis in pod redis-cart-"),
        error_log("redis-cart", "can't open the RDB file dump.rdb for reading: Permission denied"), CART_DOWN],
    "oom_killed": [
        event("FailedCreatePodSandBox", "container init was OOM-killed (memory limit too low?)"),
        waiting("adservice", "ContainerCreating"), without_ip("adservice"), ADS_DOWN],
    "liveness_probe_incorrect_protocol": [
        event("Unhealthy", 'Liveness probe failed: Get "http://172.20.', ':9555/": net/http: HTTP/1.x transport '
              "connection broken: malformed HTTP status code"),
        event("Killing", "Container server failed liveness probe, will be restarted"), restarted("adservice", 2)],
    "liveness_probe_incorrect_port": [
        event("Unhealthy", 'Liveness probe failed: timeout: failed to connect service "172.20.', ':8080" within 1s: '
              "context deadline exceeded"), event("Killing", "failed liveness probe"), restarted("adservice", 2)],
    "liveness_probe_incorrect_timing": [
        event("Unhealthy", "Liveness probe failed: timeout: failed to connect service", ':9555" within 1s'),
        event("BackOff", "Back-off restarting failed container server in pod adservice-"),
        waiting("adservice", "CrashLoopBackOff"), restarted("adservice", 4)],
    "readiness_probe_incorrect_protocol": [
        event("Unhealthy", 'Readiness probe failed: Get "http://', "malformed HTTP status code"),
        running_not_ready("adservice"), no_ready_endpoints("adservice"), ADS_DOWN],
    "readiness_probe_incorrect_port": [
        event("Unhealthy", "Readiness probe failed: timeout: failed to connect service", ':9556" within 1s'),
        running_not_ready("adservice"), no_ready_endpoints("adservice"), ADS_DOWN],
    "service_selector_mismatch": [
        lambda s: s.store.get("Endpoints", NS, "adservice")["subsets"] == [], ADS_DOWN],
    "service_port_mapping_mismatch": [endpoint_port("adservice", 9556), ADS_DOWN],
    "service_protocol_mismatch": [
        lambda s: s.store.get("Service", NS, "adservice")["spec"]["ports"][0]["protocol"] == "UDP", ADS_DOWN],
    "service_env_var_address_mismatch": [
        error_log("frontend", "could not retrieve cart: rpc error: code = FailedPrecondition desc = Can't access cart "
                  "storage.", "lookup redis-cart.default on 169.254.20.10:53: no such host"),
        metric_above("frontend", "error_rate", 0.5)],
    "pod_cpu_overload": [
        metric_above("adservice", "cpu_millicores", 290), metric_above("adservice", "p50_ms", 10),
        metric_above("frontend", "p50_ms", HEALTHY_P50_MS)],
    "pod_network_delay": [metric_above("frontend", "p50_ms", 1.5 * HEALTHY_P50_MS)],
    "node_network_delay": [metric_above("frontend", "p50_ms", 40 * HEALTHY_P50_MS)],
    # Lost segments are retransmitted: slower answers and a retransmitting node, hardly any failed request.
    "node_network_packet_loss": [
        metric_above("frontend", "p50_ms", 5 * HEALTHY_P50_MS), node_retransmitting("worker-01")],
    # The old pods cannot be stopped and their replacements, placed before the node went NotReady, get no sandbox.
    "containerd_unavailable": [
        node_condition("worker-01", "False", "container runtime is down"),
        event("FailedCreatePodSandBox", "dial unix /run/containerd/containerd.sock: connect: connection refused",
              about="productcatalogservice"),
        waiting("productcatalogservice", "ContainerCreating"),
        no_ready_endpoints("productcatalogservice"), error_log("frontend", "could not retrieve products")],
    "kubelet_unavailable": [
        node_condition("worker-01", "Unknown", "Kubelet stopped posting node status."),
        event("NodeNotReady", "Node is not ready", about="productcatalogservice"),
        no_ready_endpoints("productcatalogservice"), error_log("frontend", "could not retrieve products")],
    "kube_proxy_unavailable": [
        error_log("frontend", "could not retrieve products", "i/o timeout"),
        metric_above("frontend", "error_rate", 0.5)],
    "kube_scheduler_unavailable": [
        pending_unscheduled("adservice"),
        lambda s: not any(e["reason"] in ("FailedScheduling", "Scheduled") and e["involvedObject"]["name"] in
                          {p["metadata"]["name"] for p in _pods(s, "adservice")} for e in s.store.list("Event", NS)),
        ADS_DOWN],
}

def last_terminated(component: str, reason: str, exit_code: int) -> Check:
    return lambda state: any((s.get("lastState") or {}).get("terminated", {}).get("reason") == reason
                             and s["lastState"]["terminated"]["exitCode"] == exit_code
                             for s in _statuses(state, component))


VARIANT_EVIDENCE: dict[tuple[str, str], list[Check]] = {
    ("oom_killed", "runtime"): [
        last_terminated("adservice", "OOMKilled", 137), restarted("adservice", 2),
        waiting("adservice", "CrashLoopBackOff"),
        event("BackOff", "Back-off restarting failed container server in pod adservice-"), ADS_DOWN],
    ("service_env_var_address_mismatch", "port"): [
        error_log("cartservice", ":6380: i/o timeout"), error_log("frontend", "could not retrieve cart"),
        metric_above("frontend", "error_rate", 0.5)],
    ("service_env_var_address_mismatch", "host"): [
        error_log("cartservice", "lookup redis-crat on 169.254.20.10:53: no such host"),
        error_log("frontend", "could not retrieve cart"), metric_above("frontend", "error_rate", 0.5)],
    ("service_port_mapping_mismatch", "named"): [
        # The labels match, the pod is ready, yet no endpoints: the named port resolves on no container.
        lambda s: s.store.get("Endpoints", NS, "adservice")["subsets"] == [],
        lambda s: s.store.get("Service", NS, "adservice")["spec"]["ports"][0]["targetPort"] == "grpc", ADS_DOWN],
    ("missing_image_pull_secret", "missing"): [
        event("FailedToRetrieveImagePullSecret", "Unable to retrieve some image pull secrets (ghcr-pull); attempting "
              "to pull the image may not succeed."),
        event("Failed", 'Failed to pull image "ghcr.io/aoi-private/adservice:v0.10.3"', "anonymous token",
              "403 Forbidden"), waiting("adservice", "ErrImagePull", "ImagePullBackOff"), ADS_DOWN],
    ("missing_image_pull_secret", "wrong"): [
        event("Failed", 'Failed to pull image "ghcr.io/aoi-private/adservice:v0.10.3"', "failed to fetch oauth token",
              "401 Unauthorized"), exists("Secret", "ghcr-pull"),
        waiting("adservice", "ErrImagePull", "ImagePullBackOff"), ADS_DOWN],
    ("node_cordoned", "pinned"): [
        event("FailedScheduling", UNSCHEDULABLE + "2 node(s) didn't match Pod's node affinity/selector, 2 node(s) "
              "were unschedulable.", NO_PREEMPTION),
        lambda s: [n["metadata"]["name"] for n in s.store.list("Node") if n["spec"].get("unschedulable")]
        == ["master", "worker-02"],
        pending_unscheduled("cartservice"), CART_DOWN],
    ("incorrect_image_reference", "repository"): [
        event("Failed", 'Failed to pull image "us-central1-docker.pkg.dev/google-samples/microservices-demo/adsevice:'
              'v0.10.3"', "code = NotFound", "not found"),
        event("Failed", "Error: ImagePullBackOff"), waiting("adservice", "ErrImagePull", "ImagePullBackOff"),
        ADS_DOWN],
    ("liveness_probe_incorrect_port", "tcp"): [
        event("Unhealthy", "Liveness probe failed: dial tcp 172.20.", ":8080: connect: connection refused"),
        event("Killing", "failed liveness probe"), restarted("adservice", 2)],
    ("readiness_probe_incorrect_port", "tcp"): [
        event("Unhealthy", "Readiness probe failed: dial tcp 172.20.", ":9556: connect: connection refused"),
        running_not_ready("adservice"), no_ready_endpoints("adservice"), ADS_DOWN],
}
"""Evidence of each variant other than the default (whose evidence is `EVIDENCE`), on a clean cluster."""

OBJECT_KINDS = {
    "namespace": {"namespace_cpu_quota_exceeded", "namespace_memory_quota_exceeded", "namespace_pod_quota_exceeded",
                  "namespace_service_quota_exceeded", "namespace_storage_quota_exceeded"},
    "node": {"node_network_delay", "node_network_packet_loss", "containerd_unavailable", "kubelet_unavailable",
             "kube_proxy_unavailable", "kube_scheduler_unavailable"},
}
"""Cloud-OpsBench's object type per root cause (every other one is a service)."""


@pytest.fixture(scope="module")
def healthy() -> SimCluster:
    # Clean: a noisy cluster's history holds earlier incidents' events, which some of these checks would match.
    cluster = SimCluster(APP, seed=0, noise=False)
    cluster.tick(INJECT_TICKS)
    return cluster


_INJECTED: dict[tuple[str, str], tuple[SimCluster, Fault, dict[str, Any]]] = {}


def default_variant(family: str) -> str:
    return next(iter(FAULTS[family].variants))


def injected(family: str, variant: str | None = None, *, noise: bool = True) -> tuple[SimCluster, Fault]:
    """The cluster `INJECT_TICKS` after the fault in `variant` (default: the family's first, whatever the seed
    would draw), rewound to that instant on every call (built once per fault and variant)."""
    variant = variant or default_variant(family)
    key = (family, variant, noise)
    if key not in _INJECTED:
        cluster = SimCluster(APP, seed=0, noise=noise)
        fault = cluster.inject(family, variant=variant)
        cluster.tick(INJECT_TICKS)
        _INJECTED[key] = (cluster, fault, cluster.snapshot())
    cluster, fault, snap = _INJECTED[key]
    cluster.restore(snap)
    return cluster, fault


def test_all_forty_cloud_opsbench_root_causes_are_in_the_fault_registry() -> None:
    assert len(K8S_FAULTS) == 40
    assert set(K8S_FAULTS) == set(EVIDENCE)
    assert all(FAULTS[family] is cls for family, cls in K8S_FAULTS.items())


@pytest.mark.parametrize("family", sorted(K8S_FAULTS))
def test_the_ground_truth_names_the_root_cause_its_taxonomy_and_the_benchmark_object(family: str) -> None:
    truth = make_fault(family, APP).ground_truth()
    kind = next((k for k, families in OBJECT_KINDS.items() if family in families), "service")
    assert truth.fault_type == family
    assert truth.system_level.endswith("_Fault")
    assert truth.fault_object.split("/")[0] == kind
    if kind == "namespace":
        assert truth.fault_object == "namespace/boutique"
    if family == "kube_scheduler_unavailable":
        assert truth.fault_object == "node/master"


@pytest.mark.parametrize("family", sorted(K8S_FAULTS))
def test_an_injected_root_cause_shows_its_evidence_and_the_healthy_cluster_shows_none(
        family: str, healthy: SimCluster) -> None:
    cluster, fault = injected(family)
    checks = EVIDENCE[family]
    assert [i for i, check in enumerate(checks) if not check(cluster.engine.state)] == []
    assert [i for i, check in enumerate(checks) if check(healthy.engine.state)] == []
    assert not fault.is_mitigated(cluster.engine)


def _alerts(cluster: SimCluster) -> dict[str, list[str]]:
    return {a["name"]: [e.split(" |")[0] for e in a["evidence"]] for a in cluster.alerts().get("alerts", [])}


def test_packet_loss_slows_calls_and_retransmits_on_its_node_but_hardly_fails_a_request() -> None:
    cluster, _ = injected("node_network_packet_loss")
    assert metric_below("frontend", "error_rate", 0.05)(cluster.engine.state)
    alerts = _alerts(cluster)
    assert alerts["worker-01"] == ["NETWORK_QUALITY_DEGRADED [TCP Retransmission]"]
    assert "LATENCY_DEGRADATION [Slow Response]" in alerts["frontend"]
    assert not any("ERROR_SPIKE [Success Rate Drop]" in evidence for evidence in alerts.values())


def test_a_delayed_pod_network_shows_in_the_latency_its_callers_see_and_the_alert_outlasts_an_hour() -> None:
    cluster, _ = injected("pod_network_delay")
    assert _alerts(cluster) == {"adservice": ["LATENCY_DEGRADATION [Slow Response]"]}
    cluster.tick(720)
    assert _alerts(cluster) == {"adservice": ["LATENCY_DEGRADATION [Slow Response]"]}


def test_a_cpu_stressor_shows_as_throttling_at_the_limit() -> None:
    cluster, _ = injected("pod_cpu_overload")
    assert "CPU_SATURATION [Throttling]" in _alerts(cluster)["adservice"]


def test_a_delayed_node_slows_the_closed_loop_load_everywhere() -> None:
    cluster, _ = injected("node_network_delay")
    alerts = _alerts(cluster)
    assert "THROUGHPUT_DROP [RPS]" in alerts["frontend"]
    assert all("TRAFFIC_ANOMALY [Network Drop]" in evidence for evidence in alerts.values())


def test_a_workload_manifest_declares_its_volume_and_claim_so_claim_faults_differ_on_the_manifest() -> None:
    kinds = re.compile(r"^kind: (\S+)", re.M)
    modes, _ = injected("pvc_access_mode_mismatch")
    manifest = modes.app_manifest("redis-cart", NS)
    assert kinds.findall(manifest) == ["PersistentVolume", "PersistentVolumeClaim", "Deployment", "Service"]
    assert "- ReadWriteMany" in manifest and "- ReadWriteOnce" in manifest
    capacity, _ = injected("pvc_capacity_mismatch")
    assert "storage: 20Gi" in capacity.app_manifest("redis-cart", NS)
    assert "PersistentVolume" not in capacity.app_manifest("adservice", NS)


def test_a_stopped_kube_proxy_fails_service_traffic_from_its_node_only() -> None:
    cluster, _ = injected("kube_proxy_unavailable")
    answer = cluster.check_connectivity("cartservice", 7070, NS)
    assert answer.startswith("Connection Failed from worker-02: dial tcp ")
    assert answer.endswith("i/o timeout (succeeded from worker-01, worker-03)")


def test_a_stopped_runtime_strands_the_old_pods_and_the_node_reports_pleg_after_three_minutes() -> None:
    cluster, _ = injected("containerd_unavailable")
    state = cluster.engine.state
    stranded = [p for p in state.store.list("Pod", NS) if p["spec"].get("nodeName") == "worker-01"
                and p["metadata"].get("deletionTimestamp")]
    assert stranded  # nothing can stop their containers: they stay Terminating
    cluster.tick(24)
    ready = next(c for c in state.store.get("Node", None, "worker-01")["status"]["conditions"] if c["type"] == "Ready")
    assert "PLEG is not healthy: pleg was last seen active 4m" in ready["message"]
    assert {t["key"] for t in state.store.get("Node", None, "worker-01")["spec"]["taints"]} == {
        "node.kubernetes.io/not-ready"}


def test_a_liveness_kill_restarts_at_once_until_the_back_off_outgrows_the_container() -> None:
    """kubelet back-off: a container that lived longer than the current back-off starts again immediately."""
    cluster = SimCluster(APP, seed=0)
    cluster.inject("liveness_probe_incorrect_port")
    cluster.tick(18)  # 90 s: killed twice, each time started again at once, serving (READY) in between
    (status,) = _statuses(cluster.engine.state, "adservice")
    assert "running" in status["state"] and status["ready"] and status["restartCount"] == 2
    assert status["lastState"]["terminated"]["exitCode"] == 143
    seen = set()
    for _ in range(60):
        cluster.tick()
        (status,) = _statuses(cluster.engine.state, "adservice")
        seen.add((status["state"].get("waiting") or {}).get("reason", "running"))
    assert seen == {"running", "CrashLoopBackOff"}


def mitigated_in_time(cluster: SimCluster, fault: Fault) -> bool:
    """Apply the documented mitigation; whether the predicate turns true within the fault's `mitigation_ticks`."""
    fault.mitigate(cluster, cluster.engine)
    for _ in range(fault.mitigation_ticks):
        cluster.tick()
        if fault.is_mitigated(cluster.engine):
            return True
    return False


@pytest.mark.parametrize("family", sorted(K8S_FAULTS))
def test_the_documented_mitigation_fixes_the_root_cause_in_time(family: str) -> None:
    cluster, fault = injected(family)
    assert mitigated_in_time(cluster, fault), f"{family} not mitigated within {fault.mitigation_ticks} ticks"


@pytest.mark.parametrize("family", sorted(K8S_FAULTS))
def test_a_plausible_wrong_mitigation_leaves_the_root_cause_in_place(family: str) -> None:
    cluster, fault = injected(family)
    fault.wrong_mitigation(cluster, cluster.engine)
    for _ in range(fault.mitigation_ticks):
        cluster.tick()
        assert not fault.is_mitigated(cluster.engine)


def test_a_redeployed_workload_keeps_no_pod_of_the_old_spec_serving() -> None:
    cluster, _ = injected("readiness_probe_incorrect_port")
    pods = [p for p in cluster.engine.state.store.list("Pod", NS) if p["metadata"]["labels"]["app"] == "adservice"]
    assert len(pods) == 1
    assert pods[0]["spec"]["containers"][0]["readinessProbe"]["grpc"]["port"] == 9556


@pytest.mark.slow
@pytest.mark.parametrize("app", sorted(set(APPS) - {APP}))
def test_every_root_cause_that_applies_to_another_app_breaks_it_and_its_fix_heals_it(app: str) -> None:
    for family, cls in sorted(K8S_FAULTS.items()):
        if app not in cls.apps:
            continue
        for variant in cls.variants:
            _breaks_and_heals(app, family, variant)


def _breaks_and_heals(app: str, family: str, variant: str) -> None:
    cluster = SimCluster(app, seed=0)
    fault = cluster.inject(family, variant=variant)
    cluster.tick(INJECT_TICKS)
    assert not fault.is_mitigated(cluster.engine), (family, variant)
    assert mitigated_in_time(cluster, fault), f"{family} ({variant}) on {app} not mitigated in time"


# -- variants ------------------------------------------------------------------------------------------------------
VARIANTS = [(family, variant) for family, cls in sorted(K8S_FAULTS.items()) for variant in cls.variants]


def test_every_variant_of_the_library_has_its_evidence_listed() -> None:
    others = {(f, v) for f, v in VARIANTS if v != default_variant(f)}
    assert set(VARIANT_EVIDENCE) == others
    assert {f for f, _ in others} >= {"oom_killed", "service_env_var_address_mismatch", "service_port_mapping_mismatch",
                                      "missing_image_pull_secret", "node_cordoned", "incorrect_image_reference"}


@pytest.mark.parametrize(("family", "variant"), sorted(VARIANT_EVIDENCE))
def test_a_variant_shows_its_own_evidence_and_the_healthy_cluster_shows_none(
        family: str, variant: str, healthy: SimCluster) -> None:
    cluster, fault = injected(family, variant, noise=False)
    checks = VARIANT_EVIDENCE[(family, variant)]
    assert fault.variant == variant
    assert [i for i, check in enumerate(checks) if not check(cluster.engine.state)] == []
    assert [i for i, check in enumerate(checks) if check(healthy.engine.state)] == []
    assert not fault.is_mitigated(cluster.engine)


def _has_event(cluster: SimCluster, reason: str) -> bool:
    return any(e["reason"] == reason for e in cluster.engine.state.store.list("Event", NS))


def test_variants_lack_the_evidence_of_the_default_where_real_clusters_do() -> None:
    """A runtime OOM has a sandbox and a pod IP; a refused login names no missing secret; a named targetPort that
    resolves nowhere leaves no endpoints although the pod is ready and the labels match."""
    runtime, _ = injected("oom_killed", "runtime", noise=False)
    assert not _has_event(runtime, "FailedCreatePodSandBox")
    assert all(p["status"].get("podIP") for p in _pods(runtime.engine.state, "adservice"))
    wrong, _ = injected("missing_image_pull_secret", "wrong", noise=False)
    assert not _has_event(wrong, "FailedToRetrieveImagePullSecret")
    named, _ = injected("service_port_mapping_mismatch", "named", noise=False)
    assert all(s["ready"] for s in _statuses(named.engine.state, "adservice"))


@pytest.mark.parametrize(("family", "variant"), sorted(VARIANT_EVIDENCE))
def test_a_variant_is_fixed_by_the_documented_mitigation_and_not_by_the_wrong_one(family: str, variant: str) -> None:
    cluster, fault = injected(family, variant, noise=False)
    fault.wrong_mitigation(cluster, cluster.engine)
    for _ in range(fault.mitigation_ticks):
        cluster.tick()
        assert not fault.is_mitigated(cluster.engine)
    cluster, fault = injected(family, variant, noise=False)
    assert mitigated_in_time(cluster, fault), f"{family} ({variant}) not mitigated in time"


@pytest.mark.parametrize("family", sorted({f for f, _ in VARIANT_EVIDENCE}))
def test_the_ground_truth_is_the_same_in_every_variant(family: str) -> None:
    truths = {make_fault(family, APP, None, variant).ground_truth() for variant in K8S_FAULTS[family].variants}
    assert len(truths) == 1


@pytest.mark.parametrize("family", ["oom_killed", "service_port_mapping_mismatch", "node_cordoned"])
def test_a_clean_cluster_injects_the_default_variant_exactly_as_before_variants_existed(family: str) -> None:
    """The default variant is the benchmark's setting: a clean cluster injecting the family without a variant is
    the cluster injecting the first variant by name, read for read."""
    implicit = SimCluster(APP, seed=0, noise=False)
    fault = implicit.inject(family)
    implicit.tick(INJECT_TICKS)
    explicit, _ = injected(family, default_variant(family), noise=False)
    assert fault.variant == default_variant(family)
    for kind in ("pods", "events", "endpoints", "nodes"):
        assert implicit.get_resources(kind, namespace=NS) == explicit.get_resources(kind, namespace=NS)


def test_a_noisy_cluster_draws_the_variant_from_its_seed_without_touching_the_clusters_own_draws() -> None:
    drawn = {}
    for seed in range(6):
        first = SimCluster(APP, seed=seed).inject("service_env_var_address_mismatch")
        again = SimCluster(APP, seed=seed).inject("service_env_var_address_mismatch")
        assert first.variant == again.variant
        assert first.ground_truth() == make_fault("service_env_var_address_mismatch", APP).ground_truth()
        drawn[seed] = first.variant
    assert len(set(drawn.values())) > 1  # the seeds cover more than one variant
    seed, variant = next((s, v) for s, v in drawn.items() if v != default_variant("service_env_var_address_mismatch"))
    implicit, named = SimCluster(APP, seed=seed), SimCluster(APP, seed=seed)
    implicit.inject("service_env_var_address_mismatch")
    named.inject("service_env_var_address_mismatch", variant=variant)
    implicit.tick(6)
    named.tick(6)
    assert implicit.get_resources("pods", namespace=NS) == named.get_resources("pods", namespace=NS)
    assert implicit.engine.state.rng.getstate() == named.engine.state.rng.getstate()


def test_an_unknown_variant_is_refused_with_the_valid_ones() -> None:
    with pytest.raises(KeyError, match="valid variants: start, runtime"):
        SimCluster(APP, seed=0, noise=False).inject("oom_killed", variant="boot")
    with pytest.raises(KeyError, match="valid variants: default"):
        make_fault("pod_cpu_overload", APP, None, "grpc")
