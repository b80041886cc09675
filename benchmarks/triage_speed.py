"""Triage speed: milliseconds per `triage` call (median and p95 over N runs, after one warm-up).

Three backends: the largest simulated app in-process (a `SimCluster`, as the graph's environment holds it), the
same app as a shared simulator session (what `aoi triage --cluster sim:...` and a stdio `aoi mcp probe` pay: every
read locks, loads and saves the session file), and one replayed Cloud-OpsBench case.
Run: .venv/bin/python benchmarks/triage_speed.py [--fault liveness_probe_incorrect_port] [--runs 30]
     [--replay PATH]   (default: the dev split's first case, when `aoi.evals.opsbench.dev_split_dir()` finds it)
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import time
from pathlib import Path

from aoi.cluster.interface import ClusterReader, InvalidArgumentError
from aoi.cluster.readonly import ReadOnlyView
from aoi.cluster.sim.apps.catalog import APPS
from aoi.cluster.sim.cluster import SimCluster
from aoi.cluster.sim.faults import FAULTS
from aoi.diagnosis import triage
from aoi.evals.opsbench import case_dirs, dev_split_dir
from aoi.tools.wiring import open_cluster


def largest_app() -> str:
    return max(APPS.values(), key=lambda a: len(a.components)).name


def measure(label: str, backend: ClusterReader, namespace: str, runs: int) -> None:
    view = ReadOnlyView(backend)
    report = triage(view, namespace)  # warm-up: imports, parsers, caches
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        triage(view, namespace)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, math.ceil(0.95 * len(samples)) - 1)]
    first = f"{report.hypotheses[0].cause} on {report.hypotheses[0].object}" if report.hypotheses else "(none)"
    print(f"{label:<48} median {statistics.median(samples):7.1f} ms  p95 {p95:7.1f} ms  "
          f"({len(report.reads)} reads, {len(report.unavailable)} unavailable; first: {first})")


def default_replay() -> Path | None:
    root = dev_split_dir()
    cases = case_dirs(root) if root is not None else []
    return cases[0] if cases else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--app", default=largest_app(), choices=sorted(APPS))
    parser.add_argument("--fault", default="liveness_probe_incorrect_port", metavar="FAULT",
                        help="A fault family that applies to --app (see `aoi sim faults --app APP`).")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--replay", type=Path, default=None, help="A Cloud-OpsBench case folder (tool_cache.json).")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.fault not in FAULTS or args.app not in FAULTS[args.fault].apps:
        parser.error(f"fault {args.fault!r} does not apply to {args.app}")
    replay = args.replay or default_replay()
    try:
        snapshot = open_cluster(f"replay:{replay}") if replay is not None else None
    except InvalidArgumentError as exc:
        parser.error(str(exc))

    cluster = SimCluster(args.app, seed=args.seed)
    fault = cluster.inject(args.fault)
    cluster.tick(24)
    print(f"app: {args.app} ({len(cluster.app.components)} workloads, {len(cluster.engine.state.store.list('Pod'))} "
          f"pods), fault: {args.fault} on {fault.target}; {args.runs} runs after one warm-up")
    measure("sim, in-process SimCluster", cluster, cluster.namespace, args.runs)

    with tempfile.TemporaryDirectory(prefix="aoi-triage-bench-") as state_dir:
        session = open_cluster(f"sim:{args.app}/{args.fault}?seed={args.seed}", state_dir=Path(state_dir))
        measure("sim, shared session (aoi triage / stdio probe)", session, session.namespace, args.runs)

    if replay is None or snapshot is None:
        print("replay: skipped (no --replay given and the Cloud-OpsBench dev split was not found; "
              "set AOI_OPSBENCH_DEV_DIR)")
        return
    measure(f"replay {'/'.join(replay.parts[-2:])}", snapshot, snapshot.namespace, args.runs)


if __name__ == "__main__":
    main()
