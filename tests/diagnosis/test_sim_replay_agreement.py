"""Triage agrees across backends: the simulator with a fault, and a Cloud-OpsBench case folder recorded from that
same simulator's answers, give the same ranked hypotheses from the same reads.

The recorder wraps the simulator's read-only view; every call triage makes is written under the key the replay
looks it up by (`Tool:{compact json args}`, see `aoi/cluster/replay.py`), plus each service's error-log summary,
which every recorded case holds and from which the replay learns the application's namespace.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from diagnosis_fakes import ranked, scored

from aoi.cluster.interface import ClusterError, ClusterReader
from aoi.cluster.readonly import READ_METHODS, ReadOnlyView
from aoi.cluster.replay import CLUSTER_SCOPED, ReplayReader
from aoi.cluster.sim.cluster import SimCluster
from aoi.diagnosis import TriageReport, triage

Call = tuple[str, dict[str, Any], Any]
"""(method, its bound arguments with defaults, the answer or the ClusterError it raised)."""


class RecordingReader:
    """A `ClusterReader` that passes every read through and remembers it."""

    def __init__(self, reader: ClusterReader) -> None:
        self.calls: list[Call] = []
        for name in READ_METHODS:
            setattr(self, name, self._recording(name, getattr(reader, name)))

    def _recording(self, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(getattr(ClusterReader, name))

        def call(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(None, *args, **kwargs)
            bound.apply_defaults()
            arguments = {k: v for k, v in bound.arguments.items() if k != "self"}
            try:
                answer = method(*args, **kwargs)
            except ClusterError as exc:
                self.calls.append((name, arguments, exc))
                raise
            self.calls.append((name, arguments, answer))
            return answer

        return call


def _key(tool: str, **args: Any) -> str:
    return tool + ":" + json.dumps(args, separators=(",", ":"))


def _dependencies_text(answer: dict[str, Any]) -> str:
    """The upstream tool's `[Service] / [Upstream (Called By)] / [Downstream (Calls)]` text of a dependency map."""
    service = answer["service"]
    callees = answer.get("downstream") or []
    lines = [f"[Service]: {service}" + (" (Entrypoint)" if answer.get("entrypoint") else ""),
             f"[Upstream (Called By)]: {', '.join(answer.get('upstream') or []) or '(User Traffic)'}",
             "[Downstream (Calls)]:", service if callees else "(None - Leaf)"]
    for i, callee in enumerate(callees):
        branch = "└──" if i == len(callees) - 1 else "├──"
        lines.append(f"{branch} {callee['name']}" + ("          <-- (Database)" if callee.get("type") == "database"
                                                      else ""))
    return "\n".join(lines)


def write_case(folder: Path, calls: list[Call], namespace: str, error_logs: dict[str, Any]) -> Path:
    """A case folder in the Cloud-OpsBench layout holding every answered call (refused ones stay uncaptured)."""
    cache: dict[str, Any] = {}
    logs: dict[str, list[str]] = {}
    for method, a, answer in calls:
        if isinstance(answer, ClusterError) or method in ("services", "namespaces"):
            continue
        if method == "get_resources":
            plural = a["resource_type"]
            scope = namespace if plural in CLUSTER_SCOPED else a["namespace"] or namespace
            variant = {"output_wide": True} if a["wide"] else {"show_labels": True} if a["show_labels"] else {}
            if a["label_selector"]:
                variant = {"label_selector": a["label_selector"]}
            cache[_key("GetResources", resource_type=plural, name=a["name"], namespace=scope, **variant)] = answer
        elif method == "events":
            cache[_key("GetResources", resource_type="events", name="", namespace=a["namespace"] or namespace)] = answer
        elif method == "describe":
            plural = a["resource_type"]
            scope = namespace if plural in CLUSTER_SCOPED else a["namespace"] or namespace
            cache[_key("DescribeResource", resource_type=plural, name=a["name"], namespace=scope)] = answer
        elif method == "app_manifest":
            cache[_key("GetAppYAML", app_name=a["service"])] = answer
        elif method == "error_log_summary":
            cache[_key("GetErrorLogs", namespace=a["namespace"], service_name=a["service"])] = answer
        elif method == "alerts":
            cache["GetAlerts:{}"] = answer
        elif method == "cluster_configuration":
            cache["GetClusterConfiguration:{}"] = answer
        elif method == "node_service_status":
            cache[_key("CheckNodeServiceStatus", node_name=a["node"], service_name=a["component"])] = answer
        elif method == "check_connectivity":
            cache[_key("CheckServiceConnectivity", namespace=a["namespace"], service_name=a["service"],
                       port=a["port"])] = answer
        elif method == "service_dependencies":
            cache[_key("GetServiceDependencies", service_name=a["service"])] = _dependencies_text(answer)
        elif method == "logs" and not a["previous"] and a["since_seconds"] is None and a["grep"] is None:
            logs[a["target"]] = answer.splitlines()
        else:
            raise NotImplementedError(f"no Cloud-OpsBench recording for {method}({a}): extend write_case")
    for service, summary in error_logs.items():
        cache.setdefault(_key("GetErrorLogs", namespace=namespace, service_name=service), summary)
    (folder / "raw_data").mkdir(parents=True)
    (folder / "tool_cache.json").write_text(json.dumps(cache), encoding="utf-8")
    (folder / "raw_data" / "logs.json").write_text(json.dumps(logs), encoding="utf-8")
    return folder


def both_ways(tmp_path: Path, scheduling_fault: str) -> tuple[TriageReport, TriageReport]:
    cluster = SimCluster("online-boutique", seed=0, noise=False)  # the expected ranking is the clean cluster's
    cluster.inject("oom_killed")
    cluster.inject(scheduling_fault, "currencyservice")
    cluster.tick(24)
    recorder = RecordingReader(ReadOnlyView(cluster))
    live = triage(recorder, cluster.namespace)  # type: ignore[arg-type]
    error_logs = {s: cluster.error_log_summary(s, cluster.namespace) for s in cluster.services(cluster.namespace)}
    folder = write_case(tmp_path / "case", recorder.calls, cluster.namespace, error_logs)
    return live, triage(ReplayReader(folder), cluster.namespace)


@pytest.mark.parametrize("scheduling_fault", ["insufficient_node_cpu", "node_selector_mismatch",
                                              "pod_anti_affinity_conflict"])
def test_the_simulator_and_its_recording_rank_the_same_hypotheses_from_the_same_reads(
        tmp_path: Path, scheduling_fault: str) -> None:
    live, replayed = both_ways(tmp_path, scheduling_fault)

    assert scored(replayed) == scored(live)
    assert (replayed.reads, replayed.unavailable) == (live.reads, live.unavailable)
    assert sorted(ranked(live)) == sorted([(scheduling_fault, "service/currencyservice"),
                                           ("oom_killed", "service/adservice")])
