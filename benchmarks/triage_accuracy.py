"""Triage accuracy on the simulator: for every Kubernetes fault on every app it applies to and each seed, is the
right (root cause, fault object) ranked first, or in the top 3? Prints one line per miss and the totals.

The faults' ground truth is read here, by the benchmark, after triage has run on the read-only view; triage never
sees it. A benchmark, not a test: it prints numbers.
Clusters carry a real one's background noise (`aoi.cluster.sim.noise`) unless `--clean`; each injects the variant
its seed draws (the default one when clean), or with `--variants` every variant of each fault in turn; `--mesh istio`
runs them under Istio with sidecars (apps without a mesh variant are skipped).
Run: .venv/bin/python benchmarks/triage_accuracy.py [--apps online-boutique,hotel-reservation] [--seeds 3]
     [--ticks 24] [--clean] [--variants] [--mesh istio]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from aoi.cluster.readonly import ReadOnlyView
from aoi.cluster.sim.apps.catalog import APPS
from aoi.cluster.sim.cluster import SimCluster
from aoi.cluster.sim.faults.k8s import K8S_FAULTS
from aoi.cluster.sim.mesh import MESH_APPS, MESHES
from aoi.diagnosis import triage
from aoi.diagnosis.taxonomy import BY_NAME


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--apps", default=",".join(APPS), help="comma-separated apps (default: all)")
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 per (fault, app)")
    parser.add_argument("--ticks", type=int, default=24, help="simulated ticks between the fault and triage")
    parser.add_argument("--clean", action="store_true", help="clusters without background noise")
    parser.add_argument("--mesh", choices=MESHES, default=None, help="run the apps under a service mesh")
    parser.add_argument("--variants", action="store_true", help="every variant of each fault, not the seed's draw")
    args = parser.parse_args()
    first = top3 = runs = 0
    misses_by_category: Counter[str] = Counter()
    started = time.perf_counter()
    for app in args.apps.split(","):
        if args.mesh and app not in MESH_APPS:
            print(f"skip {app}: no {args.mesh} variant")
            continue
        for family, cls in K8S_FAULTS.items():
            if app not in cls.apps:
                continue
            for seed, variant in [(s, v) for s in range(args.seeds)
                                  for v in (cls.variants if args.variants else (None,))]:
                cluster = SimCluster(app, seed=seed, noise=not args.clean, mesh=args.mesh)
                fault = cluster.inject(family, variant=variant)
                cluster.tick(args.ticks)
                report = triage(ReadOnlyView(cluster), cluster.namespace)
                truth = fault.ground_truth()
                ranked = [(h.cause, h.object) for h in report.hypotheses[:3]]
                runs += 1
                first += ranked[:1] == [(truth.fault_type, truth.fault_object)]
                top3 += (truth.fault_type, truth.fault_object) in ranked
                if ranked[:1] != [(truth.fault_type, truth.fault_object)]:
                    misses_by_category[BY_NAME[truth.fault_type].category] += 1
                    print(f"miss {app} {family} ({fault.variant}) seed {seed}: got {ranked or 'nothing'}")
    print(f"\n{runs} runs in {time.perf_counter() - started:.1f} s: right first {first} ({100 * first / runs:.1f}%), "
          f"in the top 3 {top3} ({100 * top3 / runs:.1f}%)")
    print("misses by category: " + (", ".join(f"{c} {n}" for c, n in misses_by_category.most_common()) or "none"))


if __name__ == "__main__":
    main()
