"""Rule hygiene of the analyzers: they encode Kubernetes behaviour, never the benchmark's cases. No string literal
in their sources names a case, a recorded pod, an address, a time, or an app's namespace, service or node; every
registered analyzer says in its docstring what it reads, and its module which component's behaviour it encodes."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

import aoi.diagnosis
from aoi.cluster.sim.apps.catalog import APPS, ONLINE_BOUTIQUE
from aoi.diagnosis.triage import ANALYZERS

PACKAGE = Path(aoi.diagnosis.__file__).parent
SOURCES = sorted((PACKAGE / "analyzers").glob("*.py")) + [PACKAGE / n for n in ("messages.py", "reads.py",
                                                                                  "describe.py")]

PATTERNS = {
    "case id": re.compile(r"\b[A-Za-z_]+/\d+\b"),
    "pod-hash-suffixed name": re.compile(r"-[a-z0-9]{8,10}-[a-z0-9]{5}\b"),
    "IP address": re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])"),
    "timestamp": re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}:\d{2}:\d{2}\b"),
}


def _forbidden_names() -> set[str]:
    """Every sim app's namespace and node names, Online Boutique's services, and the other apps' services whose
    names are not ordinary words (`user`, `rate`, `geo` are)."""
    names = {ONLINE_BOUTIQUE.namespace, *ONLINE_BOUTIQUE.component_names}
    for app in APPS.values():
        names |= {app.namespace, *(n.name for n in app.nodes)}
        names |= {c for c in app.component_names if "-" in c}
    return names


FORBIDDEN_NAMES = _forbidden_names()
ROLE_VOCABULARY = {"master", "control-plane"}
"""Node role values Kubernetes itself uses (`kubernetes.io/role`, `node-role.kubernetes.io/<role>`): a tuple of them
is a role vocabulary, not a node called `master`."""
LABEL_KEYS = re.compile(r"node-role\.kubernetes\.io/[\w.-]*")


def _docstring_nodes(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(
                    first.value.value, str):
                out.add(id(first.value))
    return out


def _role_vocabulary_nodes(tree: ast.AST) -> set[int]:
    """String constants inside a tuple, list or set that also names another Kubernetes node role."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            values = [e for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            if len({e.value for e in values} & ROLE_VOCABULARY) >= 2:
                out |= {id(e) for e in values}
    return out


def literals(source: str) -> list[tuple[int, str, bool]]:
    """(line, value, part of a role vocabulary) of every string constant that is not a docstring; f-string parts
    are constants too."""
    tree = ast.parse(source)
    docs, roles = _docstring_nodes(tree), _role_vocabulary_nodes(tree)
    return [(node.lineno, node.value, id(node) in roles) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs]


def pattern_hits(source: str) -> list[tuple[int, str, str]]:
    return sorted((line, kind, value) for line, value, _ in literals(source)
                  for kind, pattern in PATTERNS.items() if pattern.search(value))


def name_hits(source: str) -> list[tuple[int, str, str]]:
    hits = []
    for line, value, role in sorted(literals(source)):
        text = LABEL_KEYS.sub("", value)
        for name in sorted(FORBIDDEN_NAMES - (ROLE_VOCABULARY if role else set())):
            if re.search(rf"(?<![\w-]){re.escape(name)}(?!\w)", text):
                hits.append((line, name, value))
    return hits


def test_the_hygiene_scan_covers_every_analyzer_module() -> None:
    modules = {Path(str(sys.modules[fn.__module__].__file__)) for fn in ANALYZERS.values()}

    assert modules <= set(SOURCES)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_string_literal_names_a_case_a_recorded_pod_an_address_or_a_time(path: Path) -> None:
    assert pattern_hits(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_string_literal_names_an_apps_namespace_service_or_node(path: Path) -> None:
    assert name_hits(path.read_text(encoding="utf-8")) == []


CAUGHT = '''"""A docstring may quote anything: 2025-01-05 09:02:00, admission/12, boutique."""
ROLES = ("control-plane", "master")
KEY = "node-role.kubernetes.io/master"
if node == "master" or ns == "boutique" or svc.startswith("redis-cart"):
    seen = ("admission/12", f"pod cartservice-5d8f9c7b6a-x2q8k", "10.244.1.17:7070", "at 09:02:00")
'''
"""A source with one of each forbidden literal (lines 4 and 5) and the allowed role vocabulary (lines 2 and 3)."""


def test_the_scan_catches_each_forbidden_literal_and_spares_docstrings_and_role_vocabulary() -> None:
    assert (pattern_hits(CAUGHT), name_hits(CAUGHT)) == (
        [(5, "IP address", "10.244.1.17:7070"), (5, "case id", "admission/12"),
         (5, "pod-hash-suffixed name", "pod cartservice-5d8f9c7b6a-x2q8k"), (5, "timestamp", "at 09:02:00")],
        [(4, "boutique", "boutique"), (4, "master", "master"), (4, "redis-cart", "redis-cart"),
         (5, "cartservice", "pod cartservice-5d8f9c7b6a-x2q8k")])


COMPONENTS = re.compile(r"Kubernetes behaviour|kube-scheduler|kubelet|kube-proxy|containerd|ResourceQuota|"
                        r"PV controller|endpoints controller|admission plugin")


@pytest.mark.parametrize("name", list(ANALYZERS))
def test_every_registered_analyzer_has_a_docstring(name: str) -> None:
    assert (ANALYZERS[name].__doc__ or "").strip()


@pytest.mark.parametrize("module", sorted({fn.__module__.rsplit(".", 1)[1] for fn in ANALYZERS.values()}))
def test_every_analyzer_module_docstring_names_the_kubernetes_behaviour_it_encodes(module: str) -> None:
    source = (PACKAGE / "analyzers" / f"{module}.py").read_text(encoding="utf-8")

    assert COMPONENTS.search(ast.get_docstring(ast.parse(source)) or "")
