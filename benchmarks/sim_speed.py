"""Simulator speed: milliseconds per tick and per read operation on the largest app.

Targets (issue 2): < 20 ms per tick and < 5 ms per read op on a 2-core machine.
Run: .venv/bin/python benchmarks/sim_speed.py [--app social-network] [--ticks 200] [--mesh istio]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from aoi.cluster.sim.apps.catalog import APPS
from aoi.cluster.sim.cluster import SimCluster
from aoi.cluster.sim.mesh import MESHES


def largest_app() -> str:
    return max(APPS.values(), key=lambda a: len(a.components)).name


def timed(fn: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--app", default=largest_app(), choices=sorted(APPS))
    parser.add_argument("--ticks", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--mesh", choices=MESHES, default=None, help="run the app under a service mesh")
    args = parser.parse_args()

    start = time.perf_counter()
    cluster = SimCluster(args.app, seed=0, mesh=args.mesh)
    build_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    cluster.tick(args.ticks)
    tick_ms = (time.perf_counter() - start) * 1000 / args.ticks

    ns = cluster.namespace
    pod = cluster.engine.state.store.list("Pod", ns)[0]["metadata"]["name"]
    service = cluster.app.entry
    reads: dict[str, Callable[[], object]] = {
        "get pods -o wide": lambda: cluster.get_resources("pods", namespace=ns, wide=True),
        "get events": lambda: cluster.events(ns),
        "describe pod": lambda: cluster.describe("pods", pod, ns),
        "describe node": lambda: cluster.describe("nodes", cluster.app.nodes[1].name),
        "logs --tail 100": lambda: cluster.logs(pod, ns, tail=100),
        "error log summary": lambda: cluster.error_log_summary(service, ns),
        "metrics 5m": lambda: cluster.metrics(service, ns),
        "traces": lambda: cluster.traces(ns, service=service),
        "alerts": cluster.alerts,
        "check connectivity": lambda: cluster.check_connectivity(service, cluster.app.component(service).port, ns),
    }
    print(f"app: {args.app}{f' under {args.mesh}' if args.mesh else ''} ({len(cluster.app.components)} workloads, "
          f"{len(cluster.engine.state.store.list('Pod'))} pods)")
    print(f"build + warm-up: {build_ms:.0f} ms")
    print(f"tick: {tick_ms:.2f} ms (mean of {args.ticks}; target < 20 ms)")
    worst = 0.0
    for name, fn in reads.items():
        ms = timed(fn, args.repeat)
        worst = max(worst, ms)
        print(f"read {name:<22} {ms:7.2f} ms (median of {args.repeat})")
    print(f"slowest read op: {worst:.2f} ms (target < 5 ms)")


if __name__ == "__main__":
    main()
