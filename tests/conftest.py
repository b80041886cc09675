"""Suite-wide settings: Hypothesis must not fail on timing when the 2-core CI machine is busy."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, settings
from mcp import Client

settings.register_profile("aoi", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("aoi")

# Tests never touch the user's AOI directory (database, keys, simulator sessions).
os.environ["AOI_HOME"] = tempfile.mkdtemp(prefix="aoi-test-home-")


def _list_tools(server: Any) -> dict[str, dict[str, Any]]:
    async def go() -> dict[str, dict[str, Any]]:
        async with Client(server) as client:
            return {t.name: dict(t.input_schema) for t in (await client.list_tools()).tools}

    return anyio.run(go)


@pytest.fixture(scope="session")
def hotel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, Any], dict[str, Any], list[str]]]:
    """(read tool schemas, write tool schemas, services) of the hotel-reservation app, from the real servers."""
    from aoi.cluster.readonly import ReadOnlyView
    from aoi.cluster.sim.cluster import SimCluster
    from aoi.store.db import connect
    from aoi.tools.audit import AuditLog
    from aoi.tools.executor import Executor
    from aoi.tools.executor_server import build_executor_server
    from aoi.tools.grants import GrantAuthority
    from aoi.tools.probe import build_probe_server

    key = b"h" * 32
    cluster = SimCluster("hotel-reservation", seed=0, warmup_ticks=1)
    conn = connect(Path(tmp_path_factory.mktemp("db")) / "aoi.db")
    authority = GrantAuthority(key)
    read = _list_tools(build_probe_server(ReadOnlyView(cluster), default_namespace=cluster.namespace))
    write = _list_tools(build_executor_server(Executor(cluster, conn, authority, AuditLog(conn, key)), authority))
    yield read, write, list(cluster.app.component_names)
    conn.close()
