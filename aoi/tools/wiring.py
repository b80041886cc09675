"""Assemble the MCP servers from a cluster spec: one place that decides what each server is given.

The probe gets a `ReadOnlyView` and nothing else. The executor gets the writer, the database, the grant
authority and the audit log.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver import MCPServer

from aoi.cluster.readonly import ReadOnlyView
from aoi.cluster.replay import ReplayReader, SnapshotWriter
from aoi.cluster.sim.session import SessionCluster, SimSession
from aoi.cluster.spec import parse_replay_spec, parse_sim_spec
from aoi.store.db import connect, data_dir
from aoi.store.ids import state_file
from aoi.tools.audit import AuditLog
from aoi.tools.executor import Executor
from aoi.tools.executor_server import build_executor_server
from aoi.tools.grants import GrantAuthority, load_or_create_key
from aoi.tools.probe import ProbeServer, build_probe_server

if TYPE_CHECKING:
    from aoi.cluster.kube.cluster import KubeCluster


def open_cluster(spec: str, *, state_dir: Path | None = None) -> SessionCluster | ReplayReader | KubeCluster:
    """Raises:
        InvalidArgumentError: a malformed or unsupported spec.
    """
    if spec.startswith("replay:"):
        return ReplayReader(parse_replay_spec(spec))
    if spec.startswith("kube:"):
        from aoi.cluster.kube.cluster import open_kube
        from aoi.cluster.spec import parse_kube_spec

        return open_kube(parse_kube_spec(spec))
    sim_spec = parse_sim_spec(spec)
    path = state_file(state_dir or data_dir() / "sim", sim_spec.name)
    return SessionCluster(SimSession(sim_spec, path=path))


def probe_server(spec: str, *, output_budget: int | None = None) -> ProbeServer:
    cluster = open_cluster(spec)
    kwargs: dict[str, Any] = {"output_budget": output_budget} if output_budget else {}
    prometheus = getattr(getattr(cluster, "telemetry", None), "prometheus", None)
    if prometheus is not None:  # a live cluster with Prometheus configured: offer raw read-only PromQL
        kwargs["promql"] = prometheus.read_query
    return build_probe_server(ReadOnlyView(cluster), default_namespace=cluster.namespace, **kwargs)


def executor_server(spec: str, *, db_path: Path | None = None, trust_client_confirmation: bool = False) -> MCPServer:
    cluster = open_cluster(spec)
    conn = connect(db_path)
    key = load_or_create_key()
    authority = GrantAuthority(key)
    backend = SnapshotWriter() if isinstance(cluster, ReplayReader) else cluster  # a snapshot refuses every write
    executor = Executor(backend, conn, authority, AuditLog(conn, key))
    return build_executor_server(executor, authority, trust_client_confirmation=trust_client_confirmation)
