"""Which names a probe output shows: the write-target check (invariant 4) accepts only these."""

from __future__ import annotations

from aoi.graph.nodes.observe import names_in


def test_a_dashless_node_name_counts_where_the_output_says_it_is_a_node() -> None:
    text = '1. kube_scheduler_unavailable on node/master (score 0.99)\n{"name": "worker1", "role": "worker"}'
    assert {"master", "worker1"} <= names_in(text, ["frontend"])


def test_a_dashless_word_in_prose_is_not_a_name() -> None:
    assert "master" not in names_in("the master branch of the repository failed", ["frontend"])
    assert "frontend" in names_in("frontend is slow", ["frontend"])
