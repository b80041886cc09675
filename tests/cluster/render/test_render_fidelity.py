"""Format fidelity against kubectl output recorded on a real cluster (the Cloud-OpsBench dev split).

The recordings are read at run time only (their licence forbids copying them into this repository); every
test here skips when the folder is absent.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import pytest
from render_factories import (
    NOW,
    ago,
    container_status,
    make_deployment,
    make_event,
    make_node,
    make_pod,
    make_replicaset,
)

from aoi.cluster.render import DictSource, parse_kubectl_table, render_describe, render_table, resource_kind
from aoi.cluster.render._tabwriter import TABLE_MINWIDTH, TABLE_PADDING, tabwrite
from aoi.evals.opsbench import dev_split_dir

DATASET = dev_split_dir()
CASES = sorted(str(p.parent.relative_to(DATASET)) for p in DATASET.glob("*/*/tool_cache.json")) if DATASET else []
pytestmark = pytest.mark.skipif(DATASET is None, reason="Cloud-OpsBench dev recordings (shared/data) not present")


@cache
def _cache(case: str) -> dict[str, Any]:
    assert DATASET is not None
    return json.loads((DATASET / case / "tool_cache.json").read_text())


def _recorded(case: str, tool: str) -> list[tuple[dict[str, Any], str]]:
    """(arguments, output) of every recorded call of ``tool`` with text output."""
    calls = []
    for key, value in _cache(case).items():
        name, _, args = key.partition(":")
        if name == tool and isinstance(value, str) and args.startswith("{"):
            calls.append((json.loads(args), value))
    return calls


def _recorded_tables(case: str) -> list[tuple[dict[str, Any], str]]:
    """Recorded ``get`` outputs that carry a header line (some recordings are only the tail of a table)."""
    tables = []
    for args, text in _recorded(case, "GetResources"):
        first = text.split("\n", 1)[0]
        if first.startswith("NAME") or first.startswith("LAST SEEN"):
            tables.append((args, text))
    return tables


def _minimal(kind: str) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": kind,
        "metadata": {"name": "x", "namespace": "boutique", "creationTimestamp": ago(60), "labels": {"app": "x"}},
    }
    if kind == "Event":
        obj["involvedObject"] = {"kind": "Pod", "name": "x", "namespace": "boutique"}
    return obj


@pytest.mark.parametrize("case", CASES)
def test_our_tables_have_the_recorded_header_columns_for_every_recorded_get(case: str) -> None:
    tables = _recorded_tables(case)
    assert tables, "every case records kubectl get output"
    for args, text in tables:
        real_headers, _ = parse_kubectl_table(text)
        ours = render_table(
            args["resource_type"],
            [_minimal(resource_kind(args["resource_type"]))],
            now=NOW,
            source=DictSource([]),
            wide=bool(args.get("output_wide")),
            show_labels=bool(args.get("show_labels")),
        )
        assert parse_kubectl_table(ours)[0] == real_headers, args


@pytest.mark.parametrize("case", CASES)
def test_recorded_tables_realign_byte_for_byte_through_the_go_tabwriter_port(case: str) -> None:
    for args, text in _recorded_tables(case):
        headers, rows = parse_kubectl_table(text)
        cells = "\n".join("\t".join(line) for line in [headers, *rows]) + "\n"
        assert tabwrite(cells, minwidth=TABLE_MINWIDTH, padding=TABLE_PADDING) == text, args


def test_the_core_get_variants_the_brief_names_are_all_recorded() -> None:
    seen = {
        (args["resource_type"], bool(args.get("output_wide"))) for case in CASES for args, _ in _recorded_tables(case)
    }
    for wanted in [("pods", True), ("events", False), ("services", False), ("endpoints", False), ("nodes", True),
                   ("deployments", False)]:  # fmt: skip
        assert wanted in seen


_SECTION = re.compile(r"^([A-Za-z][A-Za-z -]*):")


def _sections(text: str) -> list[str]:
    """Top-level section names of a describe page (lines that start at column 0)."""
    return [m.group(1) for line in text.splitlines() if (m := _SECTION.match(line))]


def _value(text: str, section: str) -> str:
    for line in text.splitlines():
        if line.startswith(section + ":"):
            return line[len(section) + 1 :].strip()
    return ""


def _pod_like(real: str) -> dict[str, Any]:
    """A synthetic pod with the same optional parts as a recorded ``describe pod``."""
    sections = set(_sections(real))
    scheduled = _value(real, "Node") != "<none>"
    status = container_status(state=waiting_or_running(scheduled), ready=scheduled) if scheduled else None
    pod = make_pod("x-1", phase="Running" if scheduled else "Pending", statuses=[status] if status else [],
                   node="worker-01" if scheduled else None, ip="10.0.0.1" if scheduled else None)  # fmt: skip
    spec, st = pod["spec"], pod["status"]
    if "Priority" in sections:
        spec["priority"] = 0
    if "Service Account" not in sections:
        spec.pop("serviceAccountName")
    if "Start Time" not in sections:
        st.pop("startTime", None)
    for section, field in (("Reason", "reason"), ("Message", "message"), ("NominatedNodeName", "nominatedNodeName")):
        if section in sections:
            st[field] = "x"
    if "Controlled By" not in sections:
        pod["metadata"].pop("ownerReferences")
    if "Conditions" not in sections:
        st.pop("conditions")
    if "Init Containers" in sections:
        spec["initContainers"] = [{"name": "init", "image": "busybox"}]
    return pod


def waiting_or_running(scheduled: bool) -> dict[str, Any]:
    return {"running": {"startedAt": ago(60)}} if scheduled else {"waiting": {"reason": "ContainerCreating"}}


@pytest.mark.parametrize("case", CASES)
def test_our_pod_describe_has_the_recorded_top_level_sections_in_the_same_order(case: str) -> None:
    described = [(args, text) for args, text in _recorded(case, "DescribeResource") if args["resource_type"] == "pods"]
    assert described
    for args, real in described:
        pod = _pod_like(real)
        ours = render_describe("pods", pod, now=NOW, source=DictSource([pod, make_event(pod, "Pulled", "x")]))
        assert _sections(ours) == _sections(real), args["name"]


@pytest.mark.parametrize("case", CASES)
def test_our_node_and_deployment_describes_have_the_recorded_sections(case: str) -> None:
    node = make_node("worker-01")
    deployment = make_deployment("web")
    replica_set = make_replicaset(deployment, "abc")
    source = DictSource([node, deployment, replica_set, make_event(deployment, "ScalingReplicaSet", "x")])
    ours = {
        "nodes": _sections(render_describe("nodes", node, now=NOW, source=source)),
        "deployments": _sections(render_describe("deployments", deployment, now=NOW, source=source)),
    }
    for args, real in _recorded(case, "DescribeResource"):
        if args["resource_type"] in ours:
            assert ours[args["resource_type"]] == _sections(real), args["name"]
