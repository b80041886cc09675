"""Fixtures of synthetic Cloud-OpsBench snapshots (see snapshots.py); registers snapshots.py by path, since
pytest's importlib mode puts no test folder on sys.path."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

_SNAPSHOTS = Path(__file__).with_name("snapshots.py")
if "replay_snapshots" not in sys.modules:
    _spec = importlib.util.spec_from_file_location("replay_snapshots", _SNAPSHOTS)
    assert _spec is not None and _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["replay_snapshots"] = _module
    _spec.loader.exec_module(_module)

from replay_snapshots import LABELS, write_case  # noqa: E402


@pytest.fixture
def leaky_case(tmp_path: Path) -> Path:
    """A case whose answer is made of sentinels, in a folder whose path holds one too."""
    return write_case(tmp_path, "zqxcategory", "7", truth={"fault_taxonomy": "zqxtaxonomy",
                                                             "fault_object": "service/zqxobject",
                                                             "root_cause": "zqxcause"})


@pytest.fixture
def split(tmp_path: Path) -> Path:
    """A split root: labels.json and three cases in two categories (one without logs and metrics)."""
    root = tmp_path / "split"
    root.mkdir()
    (root / "labels.json").write_text(json.dumps(LABELS))
    write_case(root, "runtime", "1", truth={"fault_taxonomy": "Runtime_Fault", "fault_object": "service/cartservice",
                                            "root_cause": "oom_killed"})
    write_case(root, "runtime", "9", truth={"fault_taxonomy": "Runtime_Fault", "fault_object": "service/cartservice",
                                            "root_cause": "liveness_probe_incorrect_port"})
    write_case(root, "infrastructure", "30", logs=False, metrics=False,
               truth={"fault_taxonomy": "Infrastructure_Fault", "fault_object": "node/worker-01",
                      "root_cause": "kubelet_unavailable"})
    return root


@pytest.fixture
def aoi_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("AOI_HOME", str(home))
    return home
