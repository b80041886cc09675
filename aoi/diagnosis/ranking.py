"""Ranking: findings → ordered (root cause, object) hypotheses.

Several findings may name the same pair (a scheduling histogram and the selector that explains it); their
confidences combine as independent evidence (noisy-or) across analyzers; within one analyzer (the same event
repeated, several pods of one workload) only the strongest counts. Stale evidence — events about pods that no
longer exist, a workload that has since recovered — counts for a fraction, so an old incident's warnings do not
outrank the present one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from aoi.diagnosis.findings import Evidence, Finding, Hypothesis

STALE_WEIGHT = 0.3
"""How much a stale finding's confidence counts."""
SECONDARY_WEIGHT = 0.85
"""A finding's later candidates count for this much of their confidence (the first is what the analyzer concluded)."""


def rank(findings: Sequence[Finding], category_of: Callable[[str], str]) -> list[Hypothesis]:
    """Hypotheses, best first; ties broken by cause and object names so the order is deterministic."""
    combined: dict[tuple[str, str], dict] = {}
    for item in findings:
        for index, candidate in enumerate(item.candidates):
            weight = (STALE_WEIGHT if item.stale else 1.0) * (1.0 if index == 0 else SECONDARY_WEIGHT)
            p = candidate.confidence * weight
            key = (candidate.cause, item.object)
            entry = combined.setdefault(key, {"by_analyzer": {}, "evidence": [], "analyzers": [], "confirm": "",
                                              "symptom": "", "best": -1.0})
            entry["by_analyzer"][item.analyzer] = max(entry["by_analyzer"].get(item.analyzer, 0.0), p)
            entry["evidence"].extend(item.evidence)
            entry["analyzers"].append(item.analyzer)
            if p > entry["best"]:
                entry["best"], entry["confirm"], entry["symptom"] = p, item.confirm, item.symptom
    hypotheses = [Hypothesis(cause=cause, object=obj, category=category_of(cause),
                             score=round(1.0 - math.prod(1.0 - p for p in entry["by_analyzer"].values()), 3),
                             evidence=tuple(dict.fromkeys(entry["evidence"]))[:4], confirm=entry["confirm"],
                             analyzers=tuple(dict.fromkeys(entry["analyzers"])), symptom=entry["symptom"])
                  for (cause, obj), entry in combined.items()]
    hypotheses.sort(key=lambda h: (-h.score, h.cause, h.object))
    return hypotheses


def evidence_sources(hypotheses: Sequence[Hypothesis]) -> list[Evidence]:
    return [e for h in hypotheses for e in h.evidence]
