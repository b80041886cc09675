"""Register the scripted plans module by path (pytest's importlib mode puts no test folder on sys.path), and give
each graph test its own AOI home (database, keys, simulator state)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_PLANS = Path(__file__).with_name("scripted_plans.py")
if "scripted_plans" not in sys.modules:
    _spec = importlib.util.spec_from_file_location("scripted_plans", _PLANS)
    assert _spec is not None and _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["scripted_plans"] = _module
    _spec.loader.exec_module(_module)


@pytest.fixture
def aoi_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AOI_HOME", str(tmp_path))
    return tmp_path
