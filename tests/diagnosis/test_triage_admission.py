"""Triage of creates the API server refuses: ResourceQuota per resource (FailedCreate events for pods; the quota's
own usage and the missing object for directly created Services and claims) and a missing ServiceAccount."""

from __future__ import annotations

import pytest
from diagnosis_fakes import HASH, NS, FakeCluster, event, manifest, pending, pod, prefilter_error, ranked, shop, table

from aoi.diagnosis import triage
from aoi.diagnosis.triage import render


def quota_table(name: str, request: str) -> str:
    return table(["NAME", "AGE", "REQUEST", "LIMIT"], [[name, "5m", request, ""]])


def refused(cluster: FakeCluster, workload: str, error: str, *, last_seen: str = "20s") -> None:
    """The workload's ReplicaSet cannot create its pod: no pod exists, and its controller records FailedCreate."""
    cluster.set_pods(workload)
    cluster.endpoints[workload] = "<none>"
    cluster.event_rows.append(event("FailedCreate", f"replicaset/{workload}-{HASH}",
                                    f'Error creating: pods "{workload}-{HASH}-7kq2n" is forbidden: {error}',
                                    last_seen=last_seen))


@pytest.mark.parametrize(("quota", "requested", "used", "limited", "cause"), [
    ("compute", "requests.cpu=500m", "requests.cpu=1800m", "requests.cpu=2", "namespace_cpu_quota_exceeded"),
    ("compute", "requests.memory=512Mi", "requests.memory=1792Mi", "requests.memory=2Gi",
     "namespace_memory_quota_exceeded"),
    ("pod-count", "pods=1", "pods=3", "pods=3", "namespace_pod_quota_exceeded"),
], ids=["cpu", "memory", "pods"])
def test_a_replicaset_refused_by_a_quota_blames_the_namespace_for_that_resource(
        quota: str, requested: str, used: str, limited: str, cause: str) -> None:
    cluster = shop()
    refused(cluster, "api", f"exceeded quota: {quota}, requested: {requested}, used: {used}, limited: {limited}")
    cluster.tables["resourcequota"] = quota_table(quota, f"{used.replace('=', ': ')}/{limited.split('=')[1]}")

    assert ranked(triage(cluster, "shop")) == [(cause, f"namespace/{NS}")]


def test_a_missing_service_with_the_services_quota_full_is_a_service_quota_refusal() -> None:
    """A Service created directly gets an HTTP 403 and no event: the full quota and the missing Service are all."""
    cluster = shop()
    del cluster.services_table["cache"], cluster.endpoints["cache"]
    cluster.tables["resourcequota"] = quota_table("objects", "services: 2/2")

    assert ranked(triage(cluster, "shop")) == [("namespace_service_quota_exceeded", f"namespace/{NS}")]


def test_a_missing_claim_under_a_storage_quota_is_a_storage_quota_refusal() -> None:
    cluster = shop()
    cluster.manifests["cache"] = manifest("cache", claim="cache-data")
    cluster.tables["resourcequota"] = quota_table("storage", "requests.storage: 10Gi/10Gi")
    pending(cluster, "cache", prefilter_error('persistentvolumeclaim "cache-data" not found'))

    assert ranked(triage(cluster, "shop")) == [("namespace_storage_quota_exceeded", f"namespace/{NS}")]


def test_a_full_services_quota_with_every_service_present_is_not_a_fault() -> None:
    cluster = shop()
    cluster.tables["resourcequota"] = quota_table("objects", "services: 3/3")

    assert ranked(triage(cluster, "shop")) == []


def test_a_missing_service_under_a_services_quota_with_headroom_is_not_a_quota_refusal() -> None:
    cluster = shop()
    del cluster.services_table["cache"], cluster.endpoints["cache"]
    cluster.tables["resourcequota"] = quota_table("objects", "services: 2/5")

    assert "namespace_service_quota_exceeded" not in [h.cause for h in triage(cluster, "shop").hypotheses]


def test_a_quota_refusal_of_a_workload_that_has_since_recovered_is_history_not_a_hypothesis() -> None:
    cluster = shop()
    cluster.event_rows.append(event("FailedCreate", f"replicaset/web-{HASH}", f'Error creating: pods "web-{HASH}-'
                                    'p2x7d" is forbidden: exceeded quota: compute, requested: requests.cpu=500m, '
                                    'used: requests.cpu=1800m, limited: requests.cpu=2', last_seen="50m"))
    refused(cluster, "api", "exceeded quota: pod-count, requested: pods=1, used: pods=3, limited: pods=3")

    report = triage(cluster, "shop")

    assert ranked(report) == [("namespace_pod_quota_exceeded", f"namespace/{NS}")]
    assert [f.candidates[0].cause for f in report.findings if f.stale] == ["namespace_cpu_quota_exceeded"]
    assert "Earlier incidents, no longer current" not in render(report)  # shown only when nothing is current


# -- ServiceAccount admission ---------------------------------------------------------------------------------
SA_ERROR = 'error looking up service account shop/api-runner: serviceaccount "api-runner" not found'


def test_a_pod_template_naming_a_missing_service_account_is_refused() -> None:
    cluster = shop()
    cluster.manifests["api"] = manifest("api", service_account="api-runner")
    refused(cluster, "api", SA_ERROR)

    assert ranked(triage(cluster, "shop")) == [("missing_service_account", "service/api")]


def test_a_service_account_refusal_is_not_read_as_a_quota_refusal() -> None:
    cluster = shop()
    cluster.tables["resourcequota"] = quota_table("pod-count", "pods: 2/3")
    refused(cluster, "api", SA_ERROR)

    assert ranked(triage(cluster, "shop")) == [("missing_service_account", "service/api")]


def test_a_service_account_refusal_after_the_account_was_created_and_the_pods_recovered_is_stale() -> None:
    cluster = shop()
    cluster.event_rows.append(event("FailedCreate", f"replicaset/api-{HASH}",
                                    f'Error creating: pods "api-{HASH}-7kq2n" is forbidden: {SA_ERROR}',
                                    last_seen="30m"))
    cluster.tables["serviceaccounts"] = table(["NAME", "SECRETS", "AGE"],
                                              [[a, 0, "10m"] for a in ("default", "api", "api-runner", "web")])

    assert [(h.cause, h.object) for h in triage(cluster, "shop").hypotheses if h.score >= 0.5] == []


def test_a_refusal_on_a_replicaset_a_rollout_replaced_is_history_even_while_the_workload_is_unhealthy() -> None:
    cluster = shop()
    cluster.set_pods("api", pod("api", "CrashLoopBackOff", node="node-b"))  # pods of the current ReplicaSet
    cluster.event_rows.append(event("FailedCreate", "replicaset/api-4a1b2c3d9",
                                    f'Error creating: pods "api-4a1b2c3d9-7kq2n" is forbidden: {SA_ERROR}',
                                    last_seen="25m"))

    report = triage(cluster, "shop")
    assert ("missing_service_account", "service/api") not in ranked(report)
    assert any(f.stale and f.candidates[0].cause == "missing_service_account" for f in report.findings)
