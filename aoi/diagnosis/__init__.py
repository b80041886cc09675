"""Triage: analyzers that turn cluster reads into findings, the root-cause taxonomy, and ranking.

Below `graph/`, above `cluster/`: pure functions over the `ClusterReader` protocol, so they run unchanged on the
simulator, a live cluster and a replayed snapshot, and never see ground truth.
"""

from aoi.diagnosis.findings import Candidate, Evidence, Finding, Hypothesis, TriageReport
from aoi.diagnosis.triage import ANALYZERS, as_json, render, triage

__all__ = ["ANALYZERS", "Candidate", "Evidence", "Finding", "Hypothesis", "TriageReport", "as_json", "render",
           "triage"]
