"""A read-only view exposes the reader methods and no path to a write."""

from __future__ import annotations

import pytest

from aoi.cluster.interface import WRITE_METHODS, ClusterReader, ClusterWriter
from aoi.cluster.readonly import READ_METHODS, ReadOnlyView
from aoi.cluster.sim.cluster import SimCluster


@pytest.fixture(scope="module")
def cluster() -> SimCluster:
    return SimCluster("online-boutique", seed=0, warmup_ticks=4)


def test_the_simulator_implements_both_interfaces(cluster: SimCluster) -> None:
    assert isinstance(cluster, ClusterReader)
    assert isinstance(cluster, ClusterWriter)


def test_the_view_has_every_read_method_and_no_write_method(cluster: SimCluster) -> None:
    view = ReadOnlyView(cluster)
    assert isinstance(view, ClusterReader)
    assert not isinstance(view, ClusterWriter)
    assert set(READ_METHODS) >= {"get_resources", "describe", "logs", "metrics", "traces", "alerts"}
    for name in WRITE_METHODS:
        assert not hasattr(view, name), name


def test_no_attribute_of_the_view_leads_back_to_the_backend(cluster: SimCluster) -> None:
    view = ReadOnlyView(cluster)
    for name in READ_METHODS:
        method = getattr(view, name)
        assert not hasattr(method, "__self__")
        assert not hasattr(method, "__wrapped__")
    assert not hasattr(view, "__dict__")
    with pytest.raises(AttributeError):
        view.engine = cluster.engine  # type: ignore[attr-defined]


def test_the_view_answers_like_the_backend(cluster: SimCluster) -> None:
    view = ReadOnlyView(cluster)
    assert view.get_resources("pods", namespace="boutique") == cluster.get_resources("pods", namespace="boutique")
