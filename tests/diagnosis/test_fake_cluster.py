"""The fake reader the triage tests build on: a `ClusterReader` whose tables parse back into the cells they were
built from, that refuses what it was not given, and on which no analyzer finds anything while the app is healthy."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from diagnosis_fakes import NS, FakeCluster, event, events_table, pod, pods_table, shop

from aoi.cluster.interface import ClusterReader, NotFoundError
from aoi.cluster.render.parse import parse_kubectl_table
from aoi.diagnosis import ANALYZERS, triage
from aoi.diagnosis.describe import parse_pod
from aoi.diagnosis.reads import Reads


def test_the_fake_cluster_is_a_cluster_reader() -> None:
    assert isinstance(shop(), ClusterReader)


def test_a_wide_pod_table_parses_back_into_its_cells_even_with_blank_and_multi_word_cells() -> None:
    rows = [pod("api", "CrashLoopBackOff", ready="0/1", restarts=4, node="node-b"), pod("web", "Pending")]

    assert parse_kubectl_table(pods_table(rows, wide=True)) == (
        ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES"],
        [["api-6d4cf56db6-x2q8k", "0/1", "CrashLoopBackOff", "4 (30s ago)", "10m", "10.244.2.10", "node-b", "<none>",
          "<none>"],
         ["web-6d4cf56db6-x2q8k", "0/1", "Pending", "0", "10m", "<none>", "<none>", "<none>", "<none>"]])


def test_an_events_table_parses_back_into_its_cells() -> None:
    text = events_table([event("FailedScheduling", "pod/api-6d4cf56db6-x2q8k", "0/4 nodes are available: 4 x.")])

    assert parse_kubectl_table(text) == (["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"],
                                         [["30s", "Warning", "FailedScheduling", "pod/api-6d4cf56db6-x2q8k",
                                           "0/4 nodes are available: 4 x."]])


def test_a_described_pod_reads_back_as_what_was_described() -> None:
    details = parse_pod(shop().describe("pods", "api-6d4cf56db6-x2q8k", NS))

    assert (details.ports, details.state, details.env, details.events) == (((9090, "TCP"),), "Running",
                                                                           (("CACHE_ADDR", "cache:6379"),), ())


@pytest.mark.parametrize("read", [
    lambda c: c.describe("pods", "api-0000000000-zzzzz", NS),
    lambda c: c.get_resources("ingresses", "", NS),
    lambda c: c.get_resources("pods", "", "elsewhere"),
    lambda c: c.app_manifest("nope", NS),
    lambda c: c.node_service_status("node-z", "kubelet"),
    lambda c: c.metrics("nope", NS),
    lambda c: c.traces(NS),
], ids=["describe", "unknown-table", "other-namespace", "manifest", "unit", "metrics", "traces"])
def test_anything_the_test_did_not_provide_is_not_found(read: Callable[[FakeCluster], object]) -> None:
    with pytest.raises(NotFoundError):
        read(shop())


@pytest.mark.parametrize("name", list(ANALYZERS))
def test_no_analyzer_finds_anything_in_a_healthy_namespace(name: str) -> None:
    assert ANALYZERS[name](Reads(shop(), NS)) == []


def test_triage_of_a_healthy_namespace_answers_every_read_it_makes() -> None:
    report = triage(shop(), NS)

    assert (report.hypotheses, report.unavailable) == ((), ())


def test_an_empty_fake_cluster_yields_no_hypothesis_and_lists_what_it_could_not_read() -> None:
    report = triage(FakeCluster(), NS)

    assert report.hypotheses == ()
    assert "get_cluster_configuration()" in report.unavailable
