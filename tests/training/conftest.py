"""Each training test gets its own AOI home (database, keys, simulator state, assembled models)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def aoi_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AOI_HOME", str(tmp_path))
    return tmp_path
