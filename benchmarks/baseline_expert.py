"""Success of the `expert` baseline on the AIOpsLab registry's problems in the simulator (plus noop detection).

    .venv/bin/python benchmarks/baseline_expert.py [--k8s] [--clean] [--json]

Every (family, target, task) the registry lists, run through the real graph with `--approve auto`; prints the
per-task success rate and the failures. Uses a throw-away AOI_HOME. Clusters carry the simulator's seeded noise
unless `--clean`.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REGISTRY = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "aiopslab_registry.csv"
APPS = {"SocialNetwork": "social-network", "HotelReservation": "hotel-reservation"}


def problems(k8s: bool) -> list[tuple[str, str]]:
    """(cluster spec, task) pairs."""
    from aoi.cluster.sim.faults import FAULTS

    out = []
    if k8s:
        from aoi.cluster.sim.faults.k8s import K8S_FAULTS

        for family in sorted(K8S_FAULTS):
            for task in ("detection", "localization", "mitigation"):
                out.append((f"sim:online-boutique/{family}", task))
        return out
    for row in csv.DictReader(REGISTRY.open()):
        if row["family"] not in FAULTS:
            continue
        app = next((v for k, v in APPS.items() if row["app"].startswith(k)), "astronomy-shop")
        if row["family"] == "noop":
            out.append((f"sim:{app}", "detection"))
            continue
        target = row["faulty_component"] if not row["faulty_component"].startswith("(") else ""
        spec = f"sim:{app}/{row['family']}" + (f"?target={target}" if target else "")
        out.append((spec, row["task"]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--k8s", action="store_true", help="the simulator's Kubernetes faults on online-boutique")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--only", default="", help="substring filter on the cluster spec")
    parser.add_argument("--clean", action="store_true", help="simulate without the seeded noise")
    options = parser.parse_args()
    os.environ["AOI_HOME"] = tempfile.mkdtemp(prefix="aoi-expert-")
    from aoi.baselines.expert import ExpertPolicy
    from aoi.graph.runner import EpisodeConfig, EpisodeRunner

    db = Path(os.environ["AOI_HOME"]) / "aoi.db"
    by_task: dict[str, list[bool]] = defaultdict(list)
    failures = []
    started = time.perf_counter()
    for spec, task in problems(options.k8s):
        if options.only not in spec:
            continue
        if options.clean:
            spec += ("&" if "?" in spec else "?") + "clean=1"
        result = EpisodeRunner(EpisodeConfig(spec, task, approve="auto", db=db), model=ExpertPolicy()).run()  # type: ignore[arg-type]
        ok = bool(result.success) if "/" in spec.split("?")[0] or task != "detection" else result.submission == "No"
        by_task[task].append(ok)
        if not ok:
            failures.append({"cluster": spec, "task": task, "submission": result.submission, "steps": result.steps,
                             "outcome": result.outcome})
        print(f"{'ok  ' if ok else 'FAIL'} {task:12s} {spec} -> {result.submission} ({result.steps} steps)",
              file=sys.stderr)
    summary = {task: {"solved": sum(v), "episodes": len(v), "rate": round(sum(v) / len(v), 3)}
               for task, v in sorted(by_task.items())}
    total = [ok for v in by_task.values() for ok in v]
    summary["overall"] = {"solved": sum(total), "episodes": len(total),
                          "rate": round(sum(total) / max(1, len(total)), 3)}
    report = {"by_task": summary, "failures": failures, "wall_s": round(time.perf_counter() - started, 1)}
    print(json.dumps(report, indent=1) if options.json else "\n".join(
        f"{task:12s} {s['solved']}/{s['episodes']} ({s['rate']:.0%})" for task, s in summary.items())
        + f"\n{report['wall_s']} s")


if __name__ == "__main__":
    main()
