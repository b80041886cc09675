"""Triage reads every variant of a root cause like an SRE: on a clean cluster the right (cause, object) is ranked
first whichever shape the fault takes, from what the reads show (never from the fault)."""

from __future__ import annotations

import pytest

from aoi.cluster.readonly import ReadOnlyView
from aoi.cluster.sim.cluster import SimCluster
from aoi.cluster.sim.faults.k8s import K8S_FAULTS
from aoi.diagnosis import triage

CASES = [("online-boutique", family, variant) for family, cls in sorted(K8S_FAULTS.items()) if len(cls.variants) > 1
         for variant in cls.variants]
# Docker Hub answers a misspelt repository as it answers a private one; the other workloads' images tell them apart.
CASES += [("hotel-reservation", "incorrect_image_reference", "repository"),
          ("hotel-reservation", "missing_image_pull_secret", "missing")]


@pytest.mark.parametrize(("app", "family", "variant"), CASES)
def test_triage_ranks_the_root_cause_first_in_every_variant(app: str, family: str, variant: str) -> None:
    cluster = SimCluster(app, seed=0, noise=False)
    fault = cluster.inject(family, variant=variant)
    cluster.tick(24)
    report = triage(ReadOnlyView(cluster), cluster.namespace)
    truth = fault.ground_truth()
    assert [(h.cause, h.object) for h in report.hypotheses[:1]] == [(truth.fault_type, truth.fault_object)]
