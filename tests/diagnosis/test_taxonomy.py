"""The root-cause taxonomy: Cloud-OpsBench's 40 public labels with their object kinds, a well-formed row for every
cause, and a row for every AIOpsLab fault family that agrees with the family's own labels."""

from __future__ import annotations

import re

import pytest

from aoi.cluster.sim.faults.aiopslab import AIOPSLAB_FAULTS
from aoi.cluster.sim.faults.k8s import K8S_FAULTS
from aoi.diagnosis.taxonomy import (
    AIOPSLAB_FAMILIES,
    AIOPSLAB_FAULT_TYPES,
    AIOPSLAB_SYSTEM_LEVELS,
    BY_NAME,
    CATEGORIES,
    ROOT_CAUSES,
    RootCause,
    root_cause,
    taxonomy_label,
)

CLOUD_OPSBENCH_LABELS: dict[str, tuple[str, str]] = {
    **dict.fromkeys(("namespace_cpu_quota_exceeded", "namespace_memory_quota_exceeded", "namespace_pod_quota_exceeded",
                     "namespace_service_quota_exceeded", "namespace_storage_quota_exceeded"),
                    ("namespace", "admission")),
    "missing_service_account": ("service", "admission"),
    **dict.fromkeys(("node_cordoned", "node_affinity_mismatch", "node_selector_mismatch", "pod_anti_affinity_conflict",
                     "taint_toleration_mismatch", "insufficient_node_cpu", "insufficient_node_memory",
                     "pvc_selector_mismatch", "pvc_storage_class_mismatch", "pvc_access_mode_mismatch",
                     "pvc_capacity_mismatch", "pv_binding_occupied"), ("service", "scheduling")),
    **dict.fromkeys(("node_network_delay", "node_network_packet_loss", "containerd_unavailable", "kubelet_unavailable",
                     "kube_proxy_unavailable", "kube_scheduler_unavailable"), ("node", "infrastructure")),
    **dict.fromkeys(("image_registry_dns_failure", "incorrect_image_reference", "missing_image_pull_secret",
                     "volume_mount_permission_denied"), ("service", "startup")),
    **dict.fromkeys(("oom_killed", "liveness_probe_incorrect_protocol", "liveness_probe_incorrect_port",
                     "liveness_probe_incorrect_timing", "readiness_probe_incorrect_protocol",
                     "readiness_probe_incorrect_port"), ("service", "runtime")),
    **dict.fromkeys(("service_selector_mismatch", "service_port_mapping_mismatch", "service_protocol_mismatch",
                     "service_env_var_address_mismatch"), ("service", "routing")),
    **dict.fromkeys(("pod_cpu_overload", "pod_network_delay"), ("service", "performance")),
}
"""The benchmark's public candidate label set: root-cause code → (object kind, category)."""

PROBE_READS = ("list_services", "get_resources", "describe_resource", "get_logs", "get_error_logs", "get_events",
               "get_metrics", "get_traces", "get_service_dependencies", "check_service_connectivity", "get_alerts",
               "get_app_yaml", "get_cluster_configuration", "check_node_service_status", "query_prometheus")
"""The probe's read tools: a distinguishing line that names one says where the evidence is."""

TAXONOMY_LABELS = {"admission": "Admission_Fault", "scheduling": "Scheduling_Fault", "startup": "Startup_Fault",
                   "runtime": "Runtime_Fault", "routing": "Service_Routing_Fault",
                   "performance": "Performance_Fault", "infrastructure": "Infrastructure_Fault"}


def test_the_benchmark_label_set_has_forty_names() -> None:
    assert len(CLOUD_OPSBENCH_LABELS) == 40


@pytest.mark.parametrize("name", sorted(CLOUD_OPSBENCH_LABELS))
def test_every_cloud_opsbench_root_cause_is_a_row_with_its_object_kind_and_category(name: str) -> None:
    kind, category = CLOUD_OPSBENCH_LABELS[name]
    cause = root_cause(name)
    assert (cause.name, cause.object_kind, cause.category) == (name, kind, category)


def test_the_simulator_faults_agree_with_the_table_on_taxonomy_and_object_kind() -> None:
    assert set(K8S_FAULTS) == set(CLOUD_OPSBENCH_LABELS)
    for name, cls in K8S_FAULTS.items():
        truth = cls(cls.apps[0]).ground_truth()
        assert truth.system_level == BY_NAME[name].taxonomy, name
        assert truth.fault_object.split("/")[0] == BY_NAME[name].object_kind, name


def test_names_are_unique_snake_case_and_indexed() -> None:
    names = [cause.name for cause in ROOT_CAUSES]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)+", n) for n in names), names
    assert {cause.name: cause for cause in ROOT_CAUSES} == BY_NAME


@pytest.mark.parametrize("cause", ROOT_CAUSES, ids=lambda c: c.name)
def test_every_row_has_a_valid_category_and_the_taxonomy_label_derived_from_it(cause: RootCause) -> None:
    assert cause.category in CATEGORIES
    assert cause.object_kind in ("service", "node", "namespace")
    assert cause.taxonomy == taxonomy_label(cause.category) == TAXONOMY_LABELS[cause.category]


@pytest.mark.parametrize("cause", ROOT_CAUSES, ids=lambda c: c.name)
def test_every_row_carries_aiopslab_labels_from_its_vocabulary(cause: RootCause) -> None:
    level, fault_type = cause.aiopslab
    assert level in AIOPSLAB_SYSTEM_LEVELS
    assert fault_type in AIOPSLAB_FAULT_TYPES


def test_the_category_alias_lists_exactly_the_seven_taxonomy_categories() -> None:
    assert set(CATEGORIES) == set(TAXONOMY_LABELS)


@pytest.mark.parametrize("cause", ROOT_CAUSES, ids=lambda c: c.name)
def test_mechanism_and_distinguishing_lines_are_single_non_empty_lines_of_at_most_200_chars(cause: RootCause) -> None:
    for line in (cause.mechanism, cause.distinguishing):
        assert line.strip() and "\n" not in line
        assert len(line) <= 200, (len(line), line)


@pytest.mark.parametrize("cause", ROOT_CAUSES, ids=lambda c: c.name)
def test_every_distinguishing_line_names_a_neighbouring_cause_and_the_read_that_shows_it(cause: RootCause) -> None:
    line = cause.distinguishing
    neighbours = [other for other in BY_NAME if other != cause.name and re.search(rf"\b{other}\b", line)]
    reads = [read for read in PROBE_READS if re.search(rf"\b{read}\b", line)]
    assert neighbours, line
    assert reads, line


def test_every_underscore_name_a_distinguishing_line_cites_is_a_row_or_a_read() -> None:
    """A renamed row must not leave a neighbour reference dangling."""
    for cause in ROOT_CAUSES:
        for token in re.findall(r"\b[a-z]+(?:_[a-z0-9]+)+\b", cause.distinguishing):
            assert token in BY_NAME or token in PROBE_READS, (cause.name, token)


def test_every_aiopslab_family_that_injects_a_fault_maps_to_a_row() -> None:
    faulty = {family for family, cls in AIOPSLAB_FAULTS.items() if cls.system_level}
    assert set(AIOPSLAB_FAMILIES) == faulty
    assert set(AIOPSLAB_FAULTS) - faulty == {"noop"}
    assert all(row in BY_NAME for row in AIOPSLAB_FAMILIES.values())


@pytest.mark.parametrize("family", sorted(AIOPSLAB_FAMILIES))
def test_a_row_agrees_with_the_aiopslab_labels_and_object_kind_of_the_families_mapped_onto_it(family: str) -> None:
    cls, cause = AIOPSLAB_FAULTS[family], BY_NAME[AIOPSLAB_FAMILIES[family]]
    assert cause.aiopslab == (cls.system_level, cls.fault_type)
    truth = cls(cls.apps[0]).ground_truth()
    assert truth.fault_object.split("/")[0] == cause.object_kind


def test_an_unknown_name_raises_key_error_listing_some_valid_names() -> None:
    with pytest.raises(KeyError) as raised:
        root_cause("nope")
    message = str(raised.value)
    assert "'nope'" in message
    listed = [n for n in BY_NAME if n in message]
    assert 0 < len(listed) < len(BY_NAME)
    assert "more)" in message


def test_an_unknown_name_close_to_a_real_one_suggests_it_first() -> None:
    with pytest.raises(KeyError, match="valid names: oom_killed"):
        root_cause("oom_kill")


def test_an_unknown_category_has_no_taxonomy_label() -> None:
    with pytest.raises(KeyError):
        taxonomy_label("network")  # type: ignore[arg-type]
