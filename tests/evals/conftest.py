"""Each evaluation test gets its own AOI home (database, keys, simulator state) and scripted Observer files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


def decision(action: str, **fields: Any) -> dict[str, Any]:
    base = {"summary": "s", "phase": "investigate" if action == "probe" else "conclude", "hypothesis": "h",
            "confidence": 50, "action": action}
    if action == "probe":
        base["tool_calls"] = fields.pop("calls")
    else:
        base["tool_calls"] = []
    return {**base, **fields}


PROBES = [
    [{"tool": "get_resources", "args": {"resource_type": "pods"}}],
    [{"tool": "get_resources", "args": {"resource_type": "services"}}],
    [{"tool": "get_events", "args": {}}],
    [{"tool": "get_alerts", "args": {}}],
    [{"tool": "get_resources", "args": {"resource_type": "deployments"}}],
    [{"tool": "list_services", "args": {}}],
]


def write_script(path: Path, answer: Any, probes: int = 1) -> Path:
    """A JSONL script: `probes` distinct probe decisions, then a submission of `answer`."""
    lines = [decision("probe", calls=PROBES[i % len(PROBES)]) for i in range(probes)]
    lines.append(decision("submit", submission=answer))
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def aoi_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AOI_HOME", str(tmp_path))
    return tmp_path


ScriptFactory = Callable[..., Path]


@pytest.fixture
def script(tmp_path: Path) -> ScriptFactory:
    """`script(name, answer, probes=1)` writes a scripted-model file and returns its path."""
    return lambda name, answer, probes=1: write_script(tmp_path / f"{name}.jsonl", answer, probes)
