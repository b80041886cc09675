"""Simulator fidelity against the Cloud-OpsBench dev recordings: for every recorded case, does triage rank the same
root cause and object first on the simulated incident (same fault, same target, Online Boutique) as on the
recording? Prints one row per case (the recording's top hypothesis and how many seeds agree) and the totals.

The recordings are read at run time from `../shared/data/cloud-opsbench-dev` (evaluation only, never copied);
the benchmark exits with a message when they are absent. A benchmark, not a test: it prints numbers.
Run: .venv/bin/python benchmarks/sim_fidelity.py [--seeds 5] [--clean] [--ticks 24] [--drawn-variants]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from aoi.cluster.readonly import ReadOnlyView
from aoi.cluster.replay import ReplayReader
from aoi.cluster.sim.cluster import SimCluster
from aoi.cluster.sim.faults import FAULTS
from aoi.diagnosis import triage
from aoi.evals.opsbench import case_dirs, dev_split_dir


def _top(reader: object, namespace: str) -> str:
    report = triage(reader, namespace)  # type: ignore[arg-type]
    return f"{report.hypotheses[0].cause} {report.hypotheses[0].object}" if report.hypotheses else "nothing"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=5, help="simulate each case with seeds 0..N-1")
    parser.add_argument("--clean", action="store_true", help="simulate without the seeded noise")
    parser.add_argument("--ticks", type=int, default=24, help="simulated ticks between the fault and triage")
    parser.add_argument("--drawn-variants", action="store_true",
                        help="inject the variant each seed draws, not the benchmark's own setting (the default one)")
    args = parser.parse_args()
    root = dev_split_dir()
    if root is None:
        sys.exit("the Cloud-OpsBench dev split (../shared/data/cloud-opsbench-dev) is not here")
    started = time.perf_counter()
    agree = runs = cases_all_agree = 0
    print(f"{'case':<20} {'recording: top hypothesis':<58} seeds agreeing")
    for folder in case_dirs(root):
        meta = json.loads((folder / "metadata.json").read_text())
        cause, fault_object = meta["result"]["root_cause"], meta["result"]["fault_object"]
        kind, _, name = fault_object.partition("/")
        recorded = _top(ReplayReader(folder), "boutique")
        simulated = []
        for seed in range(args.seeds):
            cluster = SimCluster("online-boutique", seed=seed, noise=not args.clean)
            variant = None if args.drawn_variants else next(iter(FAULTS[cause].variants))
            cluster.inject(cause, None if kind == "namespace" else name, variant=variant)
            cluster.tick(args.ticks)
            simulated.append(_top(ReadOnlyView(cluster), "boutique"))
        same = sum(s == recorded for s in simulated)
        agree, runs, cases_all_agree = agree + same, runs + len(simulated), cases_all_agree + (same == len(simulated))
        case = f"{folder.parent.name}/{folder.name}"
        others = sorted({s for s in simulated if s != recorded})
        print(f"{case:<20} {recorded:<58} {same}/{len(simulated)}" + (f"  (else: {'; '.join(others)})" if others
                                                                         else ""))
    print(f"\nsame top hypothesis in {agree}/{runs} simulated incidents ({100 * agree / runs:.1f}%); "
          f"{cases_all_agree}/{len(case_dirs(root))} cases agree on every seed; "
          f"noise {'off' if args.clean else 'on'}; variants {'drawn' if args.drawn_variants else 'default'}; "
          f"{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
