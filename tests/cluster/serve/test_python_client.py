"""The official `kubernetes` Python client (37.0.2, strict pydantic models) against the served simulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from kubernetes import client, config, watch

from aoi.cluster.serve import ServedCluster


@pytest.fixture(scope="module")
def writer(served: ServedCluster) -> Iterator[client.ApiClient]:
    api = config.new_client_from_config(str(served.kubeconfig_path), context="aoi-sim")
    yield api
    api.close()


@pytest.fixture(scope="module")
def reader(served: ServedCluster) -> Iterator[client.ApiClient]:
    api = config.new_client_from_config(str(served.kubeconfig_path), context="aoi-sim-readonly")
    yield api
    api.close()


def _stored(served: ServedCluster, kind: str, name: str) -> dict:
    with served.session.cluster() as cluster:
        return cluster.engine.state.store.get(kind, served.namespace, name)


def test_lists_every_pod_and_node_with_timestamps_on_the_wall_clock(served: ServedCluster,
                                                                     writer: client.ApiClient) -> None:
    core = client.CoreV1Api(writer)
    pods = core.list_namespaced_pod(served.namespace).items
    with served.session.cluster() as cluster:
        expected = [p["metadata"]["name"] for p in cluster.engine.state.store.list("Pod", served.namespace)]
    assert [p.metadata.name for p in pods] == expected
    assert len(core.list_pod_for_all_namespaces().items) == len(expected)
    assert [n.metadata.name for n in core.list_node().items][:1] == ["kind-control-plane"]
    now = datetime.now(UTC)
    assert all(now - timedelta(hours=2) < p.metadata.creation_timestamp <= now for p in pods)


def test_label_and_field_selectors_filter_lists(served: ServedCluster, writer: client.ApiClient) -> None:
    core = client.CoreV1Api(writer)
    geo = core.list_namespaced_pod(served.namespace, label_selector="io.kompose.service=geo").items
    assert len(geo) == 1
    pod = geo[0]
    events = core.list_namespaced_event(served.namespace, field_selector=(
        f"involvedObject.name={pod.metadata.name},involvedObject.uid={pod.metadata.uid}")).items
    assert events and all(e.involved_object.name == pod.metadata.name for e in events)
    assert {e.reason for e in events} >= {"Scheduled", "BackOff"}
    assert core.list_namespaced_event(served.namespace, field_selector="involvedObject.uid=nope").items == []
    running = core.list_namespaced_pod(served.namespace, field_selector="status.phase!=Running").items
    assert running == []


def test_reads_a_pod_and_its_previous_log(served: ServedCluster, writer: client.ApiClient) -> None:
    core = client.CoreV1Api(writer)
    pod = core.list_namespaced_pod(served.namespace, label_selector="io.kompose.service=geo").items[0]
    assert core.read_namespaced_pod(pod.metadata.name, served.namespace).status.container_statuses[0].restart_count > 0
    text = core.read_namespaced_pod_log(pod.metadata.name, served.namespace, tail_lines=2, previous=True)
    with served.session.cluster() as cluster:
        assert text == cluster.logs(pod.metadata.name, served.namespace, tail=2, previous=True) + "\n"


def test_strategic_patch_with_dry_run_then_for_real(served: ServedCluster, writer: client.ApiClient) -> None:
    apps = client.AppsV1Api(writer)
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "hotel-reserv-reservation",
                                                             "env": [{"name": "LOG_LEVEL", "value": "debug"}]}]}}}}
    before = _stored(served, "Deployment", "reservation")
    preview = apps.patch_namespaced_deployment("reservation", served.namespace, patch, dry_run="All")
    assert preview.spec.template.spec.containers[0].env[-1].value == "debug"
    assert _stored(served, "Deployment", "reservation") == before
    done = apps.patch_namespaced_deployment("reservation", served.namespace, patch, field_manager="aoi")
    stored = _stored(served, "Deployment", "reservation")
    assert stored["spec"]["template"]["spec"]["containers"][0]["env"][-1] == {"name": "LOG_LEVEL", "value": "debug"}
    assert done.metadata.resource_version == stored["metadata"]["resourceVersion"] != before["metadata"][
        "resourceVersion"]


def test_scale_subresource_reads_and_patches(served: ServedCluster, writer: client.ApiClient) -> None:
    apps = client.AppsV1Api(writer)
    scale = apps.read_namespaced_deployment_scale("recommendation", served.namespace)
    assert (scale.spec.replicas, scale.status.selector) == (1, "io.kompose.service=recommendation")
    dry = apps.patch_namespaced_deployment_scale("recommendation", served.namespace, {"spec": {"replicas": 5}},
                                                 dry_run="All")
    assert dry.spec.replicas == 5
    assert _stored(served, "Deployment", "recommendation")["spec"]["replicas"] == 1
    apps.patch_namespaced_deployment_scale("recommendation", served.namespace, {"spec": {"replicas": 2}})
    assert _stored(served, "Deployment", "recommendation")["spec"]["replicas"] == 2


def test_replace_scale_with_a_stale_resource_version_conflicts(served: ServedCluster,
                                                               writer: client.ApiClient) -> None:
    apps = client.AppsV1Api(writer)
    scale = apps.read_namespaced_deployment_scale("consul", served.namespace)
    scale.metadata.resource_version = "7"
    scale.spec.replicas = 3
    with pytest.raises(client.ApiException) as caught:
        apps.replace_namespaced_deployment_scale("consul", served.namespace, scale)
    assert caught.value.status == 409
    assert json.loads(caught.value.body)["reason"] == "Conflict"
    assert _stored(served, "Deployment", "consul")["spec"]["replicas"] == 1


def test_reader_identity_gets_403_on_writes_and_a_negative_access_review(served: ServedCluster,
                                                                          reader: client.ApiClient) -> None:
    with pytest.raises(client.ApiException) as caught:
        client.AppsV1Api(reader).patch_namespaced_deployment("frontend", served.namespace,
                                                             {"metadata": {"labels": {"x": "y"}}})
    assert caught.value.status == 403
    with pytest.raises(client.ApiException) as secret:
        client.CoreV1Api(reader).list_namespaced_secret(served.namespace)
    assert secret.value.status == 403
    review = client.AuthorizationV1Api(reader).create_self_subject_access_review(client.V1SelfSubjectAccessReview(
        spec=client.V1SelfSubjectAccessReviewSpec(resource_attributes=client.V1ResourceAttributes(
            verb="patch", group="apps", resource="deployments", namespace=served.namespace))))
    assert review.status.allowed is False
    assert "x" not in (_stored(served, "Deployment", "frontend")["metadata"]["labels"])


def test_missing_objects_and_bad_tokens(served: ServedCluster, writer: client.ApiClient) -> None:
    with pytest.raises(client.ApiException) as missing:
        client.CoreV1Api(writer).read_namespaced_pod("nope", served.namespace)
    assert missing.value.status == 404
    assert json.loads(missing.value.body)["message"] == 'pods "nope" not found'
    configuration = client.Configuration()
    config.load_kube_config(str(served.kubeconfig_path), context="aoi-sim", client_configuration=configuration)
    configuration.refresh_api_key_hook = None  # the loader would put the real token back before each call
    configuration.api_key = {"authorization": "Bearer wrong"}
    with client.ApiClient(configuration) as anonymous, pytest.raises(client.ApiException) as denied:
        client.CoreV1Api(anonymous).list_namespaced_pod(served.namespace)
    assert denied.value.status == 401


def test_a_client_sending_its_token_over_plain_http_is_refused_and_told_the_https_url(served: ServedCluster) -> None:
    configuration = client.Configuration()
    config.load_kube_config(str(served.kubeconfig_path), context="aoi-sim", client_configuration=configuration)
    configuration.refresh_api_key_hook = None  # the loader would put the https URL back before each call
    configuration.host = served.url.replace("https://", "http://", 1)
    with client.ApiClient(configuration) as plain, pytest.raises(client.ApiException) as refused:
        client.CoreV1Api(plain).list_namespaced_pod(served.namespace)
    assert refused.value.status == 403
    assert served.url in json.loads(refused.value.body)["message"]


def test_watch_sends_every_object_then_only_changes_after_a_resource_version(served: ServedCluster,
                                                                            writer: client.ApiClient) -> None:
    apps = client.AppsV1Api(writer)
    first = [(e["type"], e["object"].metadata.name) for e in watch.Watch().stream(
        apps.list_namespaced_deployment, served.namespace, timeout_seconds=1)]
    assert len(first) == 19 and {t for t, _ in first} == {"ADDED"}
    version = apps.list_namespaced_deployment(served.namespace).metadata.resource_version
    apps.patch_namespaced_deployment("search", served.namespace, {"metadata": {"labels": {"watched": "yes"}}})
    changes = [(e["type"], e["object"].metadata.name, e["object"].metadata.labels.get("watched"))
               for e in watch.Watch().stream(apps.list_namespaced_deployment, served.namespace,
                                             resource_version=version, timeout_seconds=1)]
    assert changes == [("MODIFIED", "search", "yes")]
