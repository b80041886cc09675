"""The evolver's two passes over the episode store: `mine` (classify every failed episode and store its failure
mode) and `evolve` (repair classified failures; every verified repair adds a lesson to the guidance memory and
corrective samples to the store).

Only training-split episodes are evolved unless asked otherwise: lessons and samples made from held-out problems
would leak their answers into the very evaluation that is meant to measure generalisation.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aoi.evolve import records
from aoi.evolve.lessons import make_lesson
from aoi.evolve.memory import GuidanceMemory
from aoi.evolve.modes import Diagnosis, classify
from aoi.evolve.repair import Repair, RepairPolicy, search_repair
from aoi.evolve.samples import corrective_samples
from aoi.evolve.trajectory import failed_thread_ids, load_trajectory

SPLITS = ("train", "heldout", "all")


def split_of(cluster: str) -> str:
    from aoi.training.splits import episode_split

    return episode_split(cluster)


def family_of(cluster: str) -> str:
    from aoi.training.splits import episode_family

    return episode_family(cluster)


def mine(conn: sqlite3.Connection, *, since: str | None = None,
         reclassify: bool = False) -> list[tuple[str, Diagnosis]]:
    """Classify the failed episodes (finished since `since`) and store each failure mode with its episode.

    Already classified episodes are kept as they are unless `reclassify`.
    """
    out = []
    for thread in failed_thread_ids(conn, since=since):
        known = None if reclassify else records.load_diagnosis(conn, thread)
        if known is None:
            known = classify(load_trajectory(conn, thread))
            records.save_diagnosis(conn, thread, known)
        out.append((thread, known))
    return out


@dataclass(slots=True)
class EvolveReport:
    failures: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    attempts: Counter[str] = field(default_factory=Counter)
    """Repair attempts by status."""
    repaired: int = 0
    lessons: list[int] = field(default_factory=list)
    samples: int = 0
    by_mode: dict[str, list[int]] = field(default_factory=dict)
    """Failure mode → [failures, repaired]."""

    def to_dict(self) -> dict[str, Any]:
        return {"failures": self.failures, "skipped": dict(self.skipped), "attempts": dict(self.attempts),
                "repaired": self.repaired, "lessons": sorted(set(self.lessons)), "samples": self.samples,
                "by_mode": self.by_mode}


def evolve(conn: sqlite3.Connection, policies: Sequence[RepairPolicy], *, split: str = "train",
           threads: Sequence[str] = (), since: str | None = None, max_attempts: int = 6, limit: int | None = None,
           workdir: Path | None = None, on_repair: Callable[[str, Repair], None] | None = None) -> EvolveReport:
    """Repair failed episodes and learn from the verified repairs.

    `threads` (default: every failure `mine` finds) are repaired unless they already have a verified repair;
    episodes outside `split` are skipped. Every attempt is stored; only oracle-accepted ones make lessons and
    samples.

    Raises:
        ValueError: an unknown split.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; valid: {', '.join(SPLITS)}")
    mined = dict(mine(conn, since=since))
    chosen = list(threads) or list(mined)
    report = EvolveReport()
    memory = GuidanceMemory(conn)
    for thread in chosen:
        trajectory = load_trajectory(conn, thread)
        if not trajectory.failed:
            report.skipped["not failed"] = report.skipped.get("not failed", 0) + 1
            continue
        if split != "all" and split_of(trajectory.cluster) != split:
            report.skipped[f"not {split}"] = report.skipped.get(f"not {split}", 0) + 1
            continue
        if records.passed_repair(conn, thread):
            report.skipped["already repaired"] = report.skipped.get("already repaired", 0) + 1
            continue
        if limit is not None and report.failures >= limit:
            break
        diagnosis = mined.get(thread) or classify(trajectory)
        records.save_diagnosis(conn, thread, diagnosis)
        report.failures += 1
        counts = report.by_mode.setdefault(diagnosis.mode, [0, 0])
        counts[0] += 1
        for attempt in search_repair(trajectory, diagnosis.branch_points, policies, max_attempts=max_attempts,
                                     workdir=workdir):
            repair_id = records.save_repair(conn, attempt)
            report.attempts[attempt.status] += 1
            if on_repair is not None:
                on_repair(thread, attempt)
            if not attempt.passed:
                continue
            report.repaired += 1
            counts[1] += 1
            lesson = make_lesson(trajectory, diagnosis, attempt, family=family_of(trajectory.cluster))
            report.lessons.append(memory.add(lesson))
            report.samples += records.save_samples(conn, repair_id, corrective_samples(trajectory, diagnosis,
                                                                                         attempt))
    return report
