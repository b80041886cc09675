"""Triage of containers that never start: the image pull error containerd returns (DNS, not found, auth), a
missing ConfigMap, and a volume the container cannot write."""

from __future__ import annotations

import pytest
from diagnosis_fakes import Container, FakeCluster, event, pod, pod_event, ranked, shop, table

from aoi.diagnosis import triage
from aoi.diagnosis.taxonomy import BY_NAME
from aoi.diagnosis.triage import render

IMAGE = "registry.example.com/shop/api:1.4.2"
PULL_ERRORS = {
    "denied": (f'failed to pull and unpack image "{IMAGE}": failed to resolve reference "{IMAGE}": pull access '
               "denied, repository does not exist or may require authorization: server message: insufficient_scope: "
               "authorization failed"),
    "dns": ('failed to pull and unpack image "registry.internal.example:5000/shop/api:1.4.2": failed to resolve '
            'reference "registry.internal.example:5000/shop/api:1.4.2": failed to do request: Head '
            '"https://registry.internal.example:5000/v2/shop/api/manifests/1.4.2": dial tcp: lookup '
            "registry.internal.example on 10.96.0.10:53: no such host"),
    "not-found": ('rpc error: code = NotFound desc = failed to pull and unpack image "registry.example.com/shop/api:'
                  '1.4.3-rc9": failed to resolve reference "registry.example.com/shop/api:1.4.3-rc9": '
                  "registry.example.com/shop/api:1.4.3-rc9: not found"),
    "auth": ('failed to pull and unpack image "registry.example.com/private/api:1.4.2": failed to resolve reference '
             '"registry.example.com/private/api:1.4.2": pull access denied, repository does not exist or may require '
             "authorization: server message: insufficient_scope: authorization failed"),
    "token-401": ('failed to pull and unpack image "registry.example.com/private/api:1.4.2": failed to resolve '
                  'reference "registry.example.com/private/api:1.4.2": failed to authorize: failed to fetch anonymous '
                  "token: unexpected status from GET request to https://registry.example.com/token?scope=repository"
                  "%3Aprivate%2Fapi%3Apull&service=registry.example.com: 401 Unauthorized"),
}


def cannot_pull(error: str, *, status: str = "ImagePullBackOff") -> FakeCluster:
    cluster = shop()
    row = pod("api", status, node="node-b")
    cluster.set_pods("api", row)
    cluster.endpoints["api"] = "<none>"
    failed = f'Failed to pull image "{IMAGE}": {error}'
    cluster.event_rows += [event("Failed", f"pod/{row.name}", failed),
                           event("Failed", f"pod/{row.name}", "Error: ErrImagePull"),
                           event("BackOff", f"pod/{row.name}", f'Back-off pulling image "{IMAGE}"', type="Normal"),
                           event("Failed", f"pod/{row.name}", "Error: ImagePullBackOff")]
    cluster.describe_pod(row, containers=[Container(image=IMAGE, ports=("9090/TCP",), state="Waiting", reason=status,
                                                    message=f'Back-off pulling image "{IMAGE}"', ready=False)],
                         events=[pod_event("Pulling", f'Pulling image "{IMAGE}"', type="Normal"),
                                 pod_event("Failed", failed), pod_event("Failed", "Error: ErrImagePull"),
                                 pod_event("Failed", "Error: ImagePullBackOff")])
    return cluster


def test_an_image_reference_that_does_not_parse_is_an_incorrect_reference() -> None:
    message = ('Failed to apply default image tag "registry.example.com/Shop/API:1.4.2": couldn\'t parse image '
               'reference "registry.example.com/Shop/API:1.4.2": invalid reference format: repository name must be '
               "lowercase")
    cluster = shop()
    row = pod("api", "InvalidImageName", node="node-b")
    cluster.set_pods("api", row)
    cluster.endpoints["api"] = "<none>"
    cluster.event_rows.append(event("InspectFailed", f"pod/{row.name}", message))
    cluster.describe_pod(row, containers=[Container(ports=("9090/TCP",), state="Waiting", reason="InvalidImageName",
                                                    message=message, ready=False)],
                         events=[pod_event("InspectFailed", message), pod_event("Failed", "Error: InvalidImageName")])

    assert ranked(triage(cluster, "shop")) == [("incorrect_image_reference", "service/api")]


@pytest.mark.parametrize(("error", "cause"), [
    (PULL_ERRORS["dns"], "image_registry_dns_failure"),
    (PULL_ERRORS["not-found"], "incorrect_image_reference"),
    (PULL_ERRORS["auth"], "missing_image_pull_secret"),
    (PULL_ERRORS["token-401"], "missing_image_pull_secret"),
], ids=["dns", "not-found", "auth", "token-401"])
def test_the_pull_error_says_why_the_image_cannot_be_pulled(error: str, cause: str) -> None:
    assert ranked(triage(cannot_pull(error), "shop")) == [(cause, "service/api")]


def test_a_refused_repository_named_almost_like_one_the_other_workloads_pull_is_a_typo() -> None:
    """A registry refuses a repository that does not exist as it refuses a private one; a pod without pull secrets
    asking for `shop/api` while the other workloads pull `shop/apis` has the name wrong."""
    cluster = cannot_pull(PULL_ERRORS["denied"])
    assert ranked(triage(cluster, "shop")) == [("missing_image_pull_secret", "service/api")]
    cluster.tables["deployments"] = table(
        ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"],
        [["web", "1/1", 1, 1, "10m", "web", "registry.example.com/shop/apis:1.4.2", "app=web"],
         ["api", "0/1", 1, 0, "10m", "api", IMAGE, "app=api"],
         ["cache", "1/1", 1, 1, "10m", "cache", "redis:7", "app=cache"]])
    assert ranked(triage(cluster, "shop"))[0] == ("incorrect_image_reference", "service/api")


def test_a_pull_failure_of_a_pod_that_is_gone_while_the_workload_runs_is_stale() -> None:
    cluster = shop()
    cluster.event_rows.append(event("Failed", "pod/api-5f8b7c6d4e-h3k9p",
                                    f'Failed to pull image "{IMAGE}": {PULL_ERRORS["not-found"]}', last_seen="45m"))

    report = triage(cluster, "shop")
    assert report.hypotheses == ()
    assert "Earlier incidents, no longer current (not ranked): pods of api cannot pull their image" in render(report)


# -- CreateContainerConfigError ---------------------------------------------------------------------------------
def missing_config_map(*, as_volume: bool) -> FakeCluster:
    cluster = shop()
    status = "ContainerCreating" if as_volume else "CreateContainerConfigError"
    row = pod("api", status, node="node-b")
    cluster.set_pods("api", row)
    cluster.endpoints["api"] = "<none>"
    if as_volume:
        message = 'MountVolume.SetUp failed for volume "settings" : configmap "api-settings" not found'
        events = [pod_event("FailedMount", message)]
        container = Container(ports=("9090/TCP",), state="Waiting", reason="ContainerCreating", ready=False)
        cluster.event_rows.append(event("FailedMount", f"pod/{row.name}", message))
    else:
        events = [pod_event("Failed", 'Error: configmap "api-settings" not found')]
        container = Container(ports=("9090/TCP",), state="Waiting", reason="CreateContainerConfigError",
                              message='configmap "api-settings" not found', ready=False)
        cluster.event_rows.append(event("Failed", f"pod/{row.name}", 'Error: configmap "api-settings" not found'))
    cluster.describe_pod(row, containers=[container], events=events)
    return cluster


def test_an_env_reference_to_a_missing_config_map_is_a_container_config_fault_of_its_workload() -> None:
    report = triage(missing_config_map(as_volume=False), "shop")

    assert [h.object for h in report.hypotheses] == ["service/api"]
    assert report.hypotheses[0].symptom == "api-6d4cf56db6-x2q8k cannot build its container config"


def test_a_container_config_fault_is_proposed_under_a_taxonomy_cause() -> None:
    report = triage(missing_config_map(as_volume=False), "shop")

    assert report.hypotheses[0].cause in BY_NAME


def test_a_config_map_missing_as_a_volume_is_not_a_container_config_error() -> None:
    """The same missing object mounted as a volume leaves the pod ContainerCreating with FailedMount."""
    assert ranked(triage(missing_config_map(as_volume=True), "shop")) == []


# -- volume permissions -----------------------------------------------------------------------------------------
def crash_looping_cache(log: str) -> FakeCluster:
    cluster = shop()
    row = pod("cache", "CrashLoopBackOff", ready="0/1", restarts=5, node="node-c")
    cluster.set_pods("cache", row)
    cluster.endpoints["cache"] = "<none>"
    cluster.container_logs["cache"] = log
    cluster.describe_pod(row, containers=[Container(
        ports=("6379/TCP",), state="Waiting", reason="CrashLoopBackOff", last_state="Terminated", last_reason="Error",
        last_exit_code=1, ready=False, restarts=5,
        mounts=("/data from data (rw)",
                "/var/run/secrets/kubernetes.io/serviceaccount from kube-api-access-7xq (ro)"))],
        events=[pod_event("BackOff", f"Back-off restarting failed container app in pod {row.name}_shop(0f1e)")])
    cluster.event_rows.append(event("BackOff", f"pod/{row.name}", "Back-off restarting failed container app in pod "
                                    f"{row.name}_shop(0f1e)"))
    return cluster


def test_a_crash_looping_container_that_cannot_write_under_its_mount_has_a_volume_permission_fault() -> None:
    cluster = crash_looping_cache("starting\nFatal error: can't open the append-only file /data/appendonly.aof: "
                                  "Permission denied")

    assert ranked(triage(cluster, "shop")) == [("volume_mount_permission_denied", "service/cache")]


def test_a_crash_looping_container_whose_log_says_something_else_has_no_volume_hypothesis() -> None:
    cluster = crash_looping_cache("starting\npanic: invalid configuration: maxmemory must be positive")

    assert ranked(triage(cluster, "shop")) == []


def test_a_datastore_that_finds_its_data_directory_read_only_is_a_volume_permission_fault() -> None:
    cluster = crash_looping_cache('{"s":"E","c":"STORAGE","msg":"DBException in initAndListen, terminating","attr":'
                                  '{"error":"IllegalOperation: Attempted to create a lock file on a read-only '
                                  'directory: /data/db"}}')

    assert ranked(triage(cluster, "shop")) == [("volume_mount_permission_denied", "service/cache")]
