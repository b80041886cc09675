"""Measure the background noise of the Cloud-OpsBench dev recordings: the numbers behind `aoi.cluster.sim.noise`.

Reads the evaluation-only recordings at run time (nothing of them is copied; see their PROVENANCE.md) and prints
counts and rates: how many warning events are about objects other than the faulted one or about objects that no
longer exist, how old the LAST SEEN values are, how often each alert rule fires when the state would trigger it,
how often healthy services log errors, and how long before the snapshot the fault was injected. A benchmark, not a
test: it prints numbers.
Run: .venv/bin/python benchmarks/noise_profile.py [--data ../shared/data/cloud-opsbench-dev]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "cloud-opsbench-dev"
_AGE = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def minutes(age: str) -> float:
    """kubectl's short age (`46m`, `2m17s`, `119s`, `3h5m`, `2d`) in minutes."""
    match = _AGE.match(age)
    if not match or not age:
        raise ValueError(f"not a kubectl age: {age!r}")
    d, h, m, s = (int(g or 0) for g in match.groups())
    return d * 1440 + h * 60 + m + s / 60


def table(text: str) -> list[dict[str, str]]:
    """Rows of a kubectl table; the last column keeps its spaces."""
    lines = [ln for ln in (text or "").splitlines() if ln.strip()]
    if not lines or not lines[0].startswith(("NAME", "LAST SEEN")):
        return []
    header = re.sub(r"(LAST|NOMINATED|READINESS) (SEEN|NODE|GATES)", r"\1_\2", lines[0])
    starts = [m.start() for m in re.finditer(r"(?<!\S)\S", header)]
    names = [header[a:b].strip().replace("_", " ") for a, b in zip(starts, [*starts[1:], None], strict=True)]
    return [{n: ln[a:b].strip() if b else ln[a:].strip() for n, a, b in zip(names, starts, [*starts[1:], None],
                                                                            strict=True)} for ln in lines[1:]]


def event_rows(text: str) -> tuple[list[dict[str, str]], bool]:
    """Rows of an events listing, and whether it was cut (the recorder kept only its last lines, header included)."""
    lines = [ln for ln in (text or "").splitlines() if ln.strip()]
    if not lines:
        return [], False
    cut = not lines[0].startswith("LAST SEEN")
    rows = [dict(zip(("LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"), ln.split(None, 4), strict=False))
            for ln in lines[0 if cut else 1:]]
    return rows, cut


def get(cache: dict[str, object], tool: str, **args: object) -> object:
    return cache.get(f"{tool}:{json.dumps(args, separators=(',', ':'))}", "")


def _error_ratio(summary: object) -> float:
    """`total_error_ratio` of a GetErrorLogs answer (an object, its JSON text, or empty when nothing erred)."""
    if isinstance(summary, str) and summary.strip().startswith("{"):
        summary = json.loads(summary)
    return float(summary.get("total_error_ratio", 0.0)) if isinstance(summary, dict) else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    cases = sorted(p.parent for p in args.data.glob("*/*/tool_cache.json"))
    if not cases:
        raise SystemExit(f"no recordings under {args.data}")
    with_events = service_cases = 0
    cut_lengths: list[int] = []
    stale_objects: list[int] = []
    gone_objects: list[int] = []
    oldest: list[float] = []
    warn_ages: list[float] = []
    rule_state = {rule: [0, 0] for rule in ("REPLICAS_UNAVAILABLE", "POD_RESTARTS", "NODE_NOT_READY",
                                            "LATENCY_DEGRADATION", "ERROR_SPIKE")}
    node_ages: list[float] = []
    no_alerts = 0
    healthy_errors: list[float] = []
    youngest: list[float] = []
    restarted_healthy = healthy_pods = 0
    for case in cases:
        cache = json.loads((case / "tool_cache.json").read_text())
        meta = json.loads((case / "metadata.json").read_text())
        truth = meta["result"]
        kind, _, obj = truth["fault_object"].partition("/")
        pods = table(str(get(cache, "GetResources", resource_type="pods", name="", namespace="boutique")))
        rsets = table(str(get(cache, "GetResources", resource_type="replicasets", name="", namespace="boutique")))
        nodes = table(str(get(cache, "GetResources", resource_type="nodes", name="", namespace="boutique")))
        existing = {f"pod/{p['NAME']}" for p in pods} | {f"replicaset/{r['NAME']}" for r in rsets}
        events, cut = event_rows(str(get(cache, "GetResources", resource_type="events", name="",
                                         namespace="boutique")))
        if cut:
            cut_lengths.append(len(events))
        warnings = [e for e in events if e["TYPE"] == "Warning"]
        if events:
            with_events += 1
            oldest.append(max(minutes(e["LAST SEEN"]) for e in events))
            warn_ages += [minutes(e["LAST SEEN"]) for e in warnings]
            gone_objects.append(len({e["OBJECT"] for e in warnings if e["OBJECT"].split("/")[0] in ("pod", "replicaset")
                                     and e["OBJECT"] not in existing}))
            if kind == "service":
                service_cases += 1
                stale_objects.append(len({e["OBJECT"] for e in warnings
                                          if not e["OBJECT"].split("/", 1)[-1].startswith(obj + "-")
                                          and e["OBJECT"].split("/", 1)[-1] != obj}))
        alerts = cache.get("GetAlerts:{}") or {}
        evidence = " ".join(" ".join(a.get("evidence", [])) for a in alerts.get("alerts", [])) \
            if isinstance(alerts, dict) else ""
        no_alerts += not evidence
        triggered = {"REPLICAS_UNAVAILABLE": any(p["READY"].split("/")[0] != p["READY"].split("/")[1] for p in pods),
                     "POD_RESTARTS": any(p["RESTARTS"].split()[0] not in ("0", "") for p in pods),
                     "NODE_NOT_READY": any("NotReady" in n.get("STATUS", "") for n in nodes),
                     "LATENCY_DEGRADATION": any(w in meta["query"].lower() for w in ("latency", "degradation")),
                     "ERROR_SPIKE": _error_ratio(get(cache, "GetErrorLogs", namespace="boutique",
                                                     service_name="frontend")) > 0.05}
        node_ages += [minutes(n["AGE"]) / 1440 for n in nodes]
        for rule, hit in triggered.items():
            if hit:
                rule_state[rule][1] += 1
                rule_state[rule][0] += rule in evidence or (rule == "NODE_NOT_READY" and "Node" in json.dumps(alerts))
        if pods:
            youngest.append(min(minutes(p["AGE"]) for p in pods))
        for p in pods:
            if kind == "service" and not p["NAME"].startswith(obj + "-"):
                healthy_pods += 1
                restarted_healthy += p["RESTARTS"].split()[0] != "0"
        for svc in {p["NAME"].rsplit("-", 2)[0] for p in pods}:
            if kind == "service" and svc == obj:
                continue
            healthy_errors.append(_error_ratio(get(cache, "GetErrorLogs", namespace="boutique", service_name=svc)))

    def quartiles(values: list[float]) -> str:
        if len(values) < 2:
            return str(values)
        q = statistics.quantiles(values, n=4)
        return (f"n={len(values)} min={min(values):.1f} q1={q[0]:.1f} median={q[1]:.1f} q3={q[2]:.1f} "
                f"max={max(values):.1f}")

    n = len(cases)
    print(f"cases: {n}")
    print(f"events table non-empty: {with_events}/{n}")
    print(f"events listing cut to its last lines (no header): {len(cut_lengths)}/{with_events}, lines kept: "
          f"{sorted(set(cut_lengths))}")
    print(f"oldest LAST SEEN per events table (min): {quartiles(oldest)}")
    print(f"LAST SEEN of warning rows (min): {quartiles(warn_ages)}")
    print(f"warning objects not about the faulted service, per service-fault case with events: "
          f"{quartiles(stale_objects)}"
          f" (cases with any: {sum(1 for v in stale_objects if v)}/{service_cases})")
    print(f"warning objects (pods, replicasets) that no longer exist, per case with events: {quartiles(gone_objects)}"
          f" (cases with any: {sum(1 for v in gone_objects if v)}/{with_events})")
    print(f"no alert at all: {no_alerts}/{n}")
    for rule, (fired, due) in rule_state.items():
        print(f"alert rule {rule}: fired in {fired} of the {due} cases whose state triggers it")
    nonzero = [v for v in healthy_errors if v > 0]
    print(f"healthy services logging any error: {len(nonzero)}/{len(healthy_errors)}; error ratio when they do: "
          f"{quartiles(nonzero)}")
    print(f"healthy pods with restarts > 0: {restarted_healthy}/{healthy_pods}")
    print(f"node age (days): {quartiles(node_ages)}")
    print(f"age of the youngest pod = time since the fault was applied (min): {quartiles(youngest)}")


if __name__ == "__main__":
    main()
