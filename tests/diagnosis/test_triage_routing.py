"""Triage of traffic that goes nowhere while the pods run: a Service's selector, targetPort and protocol against the
pods, and a caller's environment address against the Services that exist."""

from __future__ import annotations

from diagnosis_fakes import manifest, ranked, scored, shop

from aoi.diagnosis import triage

NO_SUCH_HOST = {"total_log_count": 120, "total_errors": 40, "total_error_ratio": 0.33, "patterns": [
    {"count": 40, "ratio": 0.33, "sample": 'rpc error: code = Unavailable desc = connection error: desc = "transport: '
                                           "Error while dialing: dial tcp: lookup api-gateway on 10.96.0.10:53: no "
                                           'such host"'}]}
"""`web`'s error-log summary when it cannot resolve `api-gateway`."""


def test_a_service_selector_that_matches_no_pod_label_is_a_selector_mismatch() -> None:
    cluster = shop()
    cluster.manifests["api"] = manifest("api", selector={"app": "api-v2"}, env={"CACHE_ADDR": "cache:6379"})
    cluster.endpoints["api"] = "<none>"

    assert ranked(triage(cluster, "shop")) == [("service_selector_mismatch", "service/api")]


def test_a_numeric_target_port_nothing_listens_on_is_a_port_mapping_mismatch() -> None:
    """The selector matches and endpoints exist (a numeric targetPort is copied unchecked); connections fail."""
    cluster = shop()
    cluster.manifests["api"] = manifest("api", target_port=9091, env={"CACHE_ADDR": "cache:6379"})
    cluster.endpoints["api"] = "10.244.2.10:9091"

    assert ranked(triage(cluster, "shop")) == [("service_port_mapping_mismatch", "service/api")]


def test_a_named_target_port_no_container_declares_leaves_no_endpoints_but_is_not_a_selector_mismatch() -> None:
    cluster = shop()
    cluster.manifests["api"] = manifest("api", port_name="http", target_port="grpc", env={"CACHE_ADDR": "cache:6379"})
    cluster.endpoints["api"] = "<none>"

    assert ranked(triage(cluster, "shop")) == [("service_port_mapping_mismatch", "service/api")]


def test_a_service_port_whose_protocol_differs_from_the_container_port_is_a_protocol_mismatch() -> None:
    cluster = shop()
    cluster.manifests["api"] = manifest("api", service_protocol="UDP", env={"CACHE_ADDR": "cache:6379"})
    cluster.services_table["api"] = "9090/UDP"

    assert ranked(triage(cluster, "shop")) == [("service_protocol_mismatch", "service/api")]


def test_services_wired_to_their_pods_have_no_routing_hypothesis() -> None:
    assert ranked(triage(shop(), "shop")) == []


# -- caller addresses -------------------------------------------------------------------------------------------
def test_an_address_to_a_host_no_service_answers_is_flagged_when_the_caller_errors_about_it() -> None:
    cluster = shop()
    cluster.manifests["web"] = manifest("web", env={"API_ADDR": "api-gateway:9090"})
    cluster.error_logs["web"] = NO_SUCH_HOST

    assert ranked(triage(cluster, "shop")) == [("service_env_var_address_mismatch", "service/web")]


def test_an_address_to_a_wrong_port_of_a_service_is_flagged_when_the_caller_errors_about_it() -> None:
    cluster = shop()
    cluster.manifests["web"] = manifest("web", env={"API_ADDR": "api:9091"})
    cluster.error_logs["web"] = {"total_log_count": 120, "total_errors": 40, "total_error_ratio": 0.33, "patterns": [
        {"count": 40, "ratio": 0.33, "sample": "dial tcp api:9091: connect: connection refused"}]}

    assert ranked(triage(cluster, "shop")) == [("service_env_var_address_mismatch", "service/web")]


def test_a_host_and_port_pair_naming_no_service_is_flagged_when_the_caller_errors_about_it() -> None:
    cluster = shop()
    cluster.manifests["web"] = manifest("web", env={"API_HOST": "api-gateway", "API_PORT": "9090"})
    cluster.error_logs["web"] = NO_SUCH_HOST

    assert ranked(triage(cluster, "shop")) == [("service_env_var_address_mismatch", "service/web")]


def test_an_address_to_an_absent_host_is_not_flagged_when_the_caller_is_healthy_and_quiet() -> None:
    """An optional component that is not deployed is ordinary: only a caller that errors about it fails by it."""
    cluster = shop()
    cluster.manifests["web"] = manifest("web", env={"API_ADDR": "api:9090", "TRACING_ADDR": "collector:4317"})

    assert [(c, o) for c, o, score in scored(triage(cluster, "shop")) if score >= 0.5] == []
