"""Hand-made trajectories for the evolver's tests, and a fresh AOI home per test."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

_HELPERS = Path(__file__).with_name("trajectories.py")
if "evolve_trajectories" not in sys.modules:
    _spec = importlib.util.spec_from_file_location("evolve_trajectories", _HELPERS)
    assert _spec is not None and _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["evolve_trajectories"] = _module
    _spec.loader.exec_module(_module)


@pytest.fixture
def aoi_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AOI_HOME", str(tmp_path))
    return tmp_path


@pytest.fixture
def conn(aoi_home: Path) -> Any:
    from aoi.store.db import connect

    connection = connect(aoi_home / "aoi.db")
    yield connection
    connection.close()
