"""Fidelity against reality: the simulated Online Boutique with a Cloud-OpsBench root cause injected shows the same
columns, status strings, waiting reasons and event reasons as the real cluster recorded in that case; beyond the
tables, triage ranks the same root cause and object first on the simulated incident (seeded noise on) as on the
recording, and the faulty pod's warnings have the recorded message shapes and exit codes.

The recordings are read at run time from the dev split outside this repository (never copied in); the test
skips when they are absent. A snapshot catches a restart cycle at one instant, so states that are phases of
the same cycle compare equal: a crash-looping container is `CrashLoopBackOff` between restarts and `Running`
(with a terminated last state) just after one, and an image pull alternates `ErrImagePull`/`ImagePullBackOff`.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import pytest

from aoi.cluster.readonly import ReadOnlyView
from aoi.cluster.render import parse_kubectl_table
from aoi.cluster.replay import ReplayReader
from aoi.cluster.sim.cluster import SimCluster
from aoi.cluster.sim.faults import FAULTS
from aoi.diagnosis import triage
from aoi.evals.opsbench import case_dirs, dev_split_dir

ROOT = dev_split_dir()
CASES = [str(p.relative_to(ROOT)) for p in case_dirs(ROOT)] if ROOT else []
pytestmark = pytest.mark.skipif(ROOT is None, reason="Cloud-OpsBench dev split (shared/data) not present")

RESTART_CYCLE = "restart-cycle"
IMAGE_PULL = "image-pull"
EVENT_HEADER = ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]


def _key(tool: str, **args: Any) -> str:
    return tool + ":" + json.dumps(args, separators=(",", ":"))


@cache
def _case(case: str) -> tuple[dict[str, Any], dict[str, Any]]:
    assert ROOT is not None
    folder = ROOT / case
    return json.loads((folder / "metadata.json").read_text()), json.loads((folder / "tool_cache.json").read_text())


@cache
def _simulated(case: str) -> SimCluster:
    meta, _ = _case(case)
    kind, _, name = meta["result"]["fault_object"].partition("/")
    cluster = SimCluster("online-boutique", seed=0)
    # The benchmark's own setting of the fault is its first variant; the others are shapes other clusters show.
    family = meta["result"]["root_cause"]
    cluster.inject(family, None if kind == "namespace" else name, variant=next(iter(FAULTS[family].variants)))
    cluster.tick(24)
    return cluster


def _target(case: str) -> tuple[str, str]:
    meta, _ = _case(case)
    kind, _, name = meta["result"]["fault_object"].partition("/")
    return kind, name


def _table(text: str, fallback_header: list[str] | None = None) -> tuple[list[str], list[list[str]]]:
    try:
        return parse_kubectl_table(text)
    except ValueError:
        # Some recordings lost their header line upstream; their rows are still column-aligned.
        if fallback_header is None:
            raise
        rows = [re.split(r"\s{2,}", line.strip(), maxsplit=len(fallback_header) - 1)
                for line in text.splitlines() if line.strip()]
        return fallback_header, rows


def status_class(status: str, restarts: str) -> str:
    if status in ("CrashLoopBackOff", "Error", "OOMKilled") or (status == "Running" and restarts != "0"):
        return RESTART_CYCLE
    if status in ("ErrImagePull", "ImagePullBackOff"):
        return IMAGE_PULL
    return status


def _describe_summary(text: str) -> tuple[str | None, str | None, set[str]]:
    state = re.search(r"^    State:\s+(\S+)(?:\n\s+Reason:\s+(\S+))?", text, re.M)
    last = re.search(r"^    Last State:\s+(\S+)(?:\n\s+Reason:\s+(\S+))?", text, re.M)
    current = None
    if state:
        current = state.group(2) if state.group(1) == "Waiting" else state.group(1)
        if current == "Running" and last:
            current = "CrashLoopBackOff"
        current = {"CrashLoopBackOff": RESTART_CYCLE, "ErrImagePull": IMAGE_PULL,
                   "ImagePullBackOff": IMAGE_PULL}.get(current, current)
    warnings = set()
    for line in text.split("\nEvents:")[-1].splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "Warning":
            warnings.add(parts[1])
    return current, (last.group(2) if last else None), warnings


@pytest.mark.parametrize("case", CASES)
def test_every_recorded_root_cause_is_in_the_fault_library(case: str) -> None:
    meta, _ = _case(case)
    fault = FAULTS[meta["result"]["root_cause"]]("online-boutique", _target(case)[1] or None)
    truth = fault.ground_truth()
    assert truth.fault_object == meta["result"]["fault_object"]
    assert truth.system_level == meta["result"]["fault_taxonomy"]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize(("resource", "wide"), [("pods", False), ("pods", True), ("services", False),
                                                 ("endpoints", False), ("deployments", False), ("nodes", True)])
def test_kubectl_tables_have_the_recorded_columns(case: str, resource: str, wide: bool) -> None:
    _, cache_ = _case(case)
    args: dict[str, Any] = {"resource_type": resource, "name": "", "namespace": "boutique"}
    if wide:
        args["output_wide"] = True
    real = cache_.get(_key("GetResources", **args), "")
    if not real.strip() or real.startswith("No resources"):
        pytest.skip("no recorded table for this resource")
    simulated = _simulated(case).get_resources(resource, namespace="boutique", wide=wide)
    assert _table(simulated)[0] == _table(real)[0]


@pytest.mark.parametrize("case", CASES)
def test_the_faulty_workload_shows_the_recorded_pod_status(case: str) -> None:
    kind, name = _target(case)
    if kind != "service":
        pytest.skip("node and namespace faults have no single faulty workload")
    _, cache_ = _case(case)
    real = cache_.get(_key("GetResources", resource_type="pods", name="", namespace="boutique"), "")
    headers, rows = _table(real)
    status, restarts = headers.index("STATUS"), headers.index("RESTARTS")
    real_classes = {status_class(r[status], r[restarts].split()[0]) for r in rows if r[0].startswith(name + "-")}
    headers, rows = _table(_simulated(case).get_resources("pods", namespace="boutique"))
    sim_classes = {status_class(r[status], r[restarts].split()[0]) for r in rows if r[0].startswith(name + "-")}
    assert sim_classes == real_classes


def _faulty_pod_describes(case: str) -> tuple[list[str], list[str]]:
    """`describe pod` of the faulty workload's pods: as recorded, and on the simulated incident (skips node and
    namespace faults, which have no single faulty workload)."""
    kind, name = _target(case)
    if kind != "service":
        pytest.skip("node and namespace faults have no single faulty workload")
    _, cache_ = _case(case)
    prefix = _key("DescribeResource", resource_type="pods", name=name + "-")[:-3]
    cluster = _simulated(case)
    return ([v for k, v in cache_.items() if k.startswith(prefix)],
            [cluster.describe("pods", p["metadata"]["name"], "boutique")
             for p in cluster.engine.state.store.list("Pod", "boutique")
             if p["metadata"]["name"].startswith(name + "-")])


@pytest.mark.parametrize("case", CASES)
def test_the_faulty_pod_describes_with_the_recorded_state_and_warning_reasons(case: str) -> None:
    recorded, described = _faulty_pod_describes(case)
    real = [r for r in map(_describe_summary, recorded) if r[0] != "Terminated"]  # a replaced pod shutting down
    if not real:
        pytest.skip("no recorded describe of the faulty pod")
    name = _target(case)[1]
    simulated = [_describe_summary(d) for d in described]
    real_state, real_last, real_warnings = real[0]
    matching = [s for s in simulated if s[0] == real_state]
    assert matching, f"no simulated {name} pod in state {real_state}: {simulated}"
    _, sim_last, sim_warnings = matching[0]
    assert sim_last == real_last
    # Probes fail briefly while any container starts, so a stray real "Unhealthy" is not part of the fault.
    assert real_warnings - {"Unhealthy"} <= sim_warnings
    assert sim_warnings - real_warnings <= {"BackOff", "Unhealthy"}


@pytest.mark.parametrize("case", CASES)
def test_warning_event_reasons_of_the_fault_appear_in_the_simulated_events(case: str) -> None:
    kind, name = _target(case)
    _, cache_ = _case(case)
    real = cache_.get(_key("GetResources", resource_type="events", name="", namespace="boutique"), "")
    if not real.strip():
        pytest.skip("no recorded events")
    headers, rows = _table(real, EVENT_HEADER)

    def reasons(headers: list[str], rows: list[list[str]]) -> set[str]:
        t, r, o = headers.index("TYPE"), headers.index("REASON"), headers.index("OBJECT")
        def about_fault(row: list[str]) -> bool:
            if kind == "service":
                return f"/{name}" in row[o]
            if kind == "node":  # app-object warnings in a node case are leftovers of earlier experiments
                return row[r].startswith("Node") or row[o].startswith("node/")
            return True

        return {row[r] for row in rows if len(row) > o and row[t] == "Warning" and about_fault(row)}

    real_reasons = reasons(headers, rows)
    simulated = reasons(*_table(_simulated(case).events("boutique"), EVENT_HEADER))
    # The recording keeps an hour of events, including earlier experiments on the same namespace; the
    # simulated cluster must show the warnings the fault itself causes, which both agree on.
    if real_reasons:
        assert real_reasons & simulated, (real_reasons, simulated)



def _top(reader: Any) -> tuple[str, str] | None:
    report = triage(reader, "boutique")
    return (report.hypotheses[0].cause, report.hypotheses[0].object) if report.hypotheses else None


@pytest.mark.parametrize("case", CASES)
def test_triage_ranks_the_same_root_cause_and_object_first_on_the_simulation_as_on_the_recording(case: str) -> None:
    assert ROOT is not None
    assert _top(ReadOnlyView(_simulated(case))) == _top(ReplayReader(ROOT / case))


_SHAPES = ((re.compile(r'"[^"]*"'), '"…"'), (re.compile(r"https?://\S+"), "URL"),
           (re.compile(r"[\w.-]+(?:/[\w.-]+)+:[\w.-]+"), "IMAGE"), (re.compile(r"\{[^}]*\}"), "{…}"),
           (re.compile(r"\S+_boutique\([0-9a-f-]{36}\)"), "POD"), (re.compile(r"\d+(?:\.\d+)*"), "N"))
"""What varies between two clusters in the same state: quoted names, URLs and images, taint keys, pod identities,
counts."""
_WARNING = re.compile(r"^\s*Warning\s+(\S+)\s+.*?\s{2,}(?:kubelet|default-scheduler|[\w-]+-controller)\s{2,}(.*)$")


def _warning_shapes(describe: str) -> set[tuple[str, str]]:
    shapes = set()
    for line in describe.split("\nEvents:")[-1].splitlines():
        match = _WARNING.match(line)
        if match:
            message = match.group(2)
            for pattern, placeholder in _SHAPES:
                message = pattern.sub(placeholder, message)
            shapes.add((match.group(1), message))
    return shapes


def _exit_codes(describe: str) -> set[str]:
    return set(re.findall(r"^\s+Last State:\s+Terminated\n(?:\s+.*\n)*?\s+Exit Code:\s+(\d+)", describe, re.M))


@pytest.mark.parametrize("case", CASES)
def test_the_faulty_pods_warnings_and_exit_codes_have_the_recorded_shapes(case: str) -> None:
    real, simulated = _faulty_pod_describes(case)
    if not real:
        pytest.skip("no recorded describe of the faulty pod")
    real_shapes = set().union(*map(_warning_shapes, real))
    sim_shapes = set().union(*map(_warning_shapes, simulated))
    # Probes fail briefly while any container starts: a real Unhealthy is only required from the faulty probe.
    cause = _case(case)[0]["result"]["root_cause"]
    required = {s for s in real_shapes if s[0] != "Unhealthy" or s[1].lower().startswith(cause.split("_")[0])}
    assert required <= sim_shapes
    assert set().union(*map(_exit_codes, real)) <= set().union(*map(_exit_codes, simulated))
