"""What an episode runs against: the two MCP tool servers, reached only through MCP client sessions.

The graph's nodes never hold a cluster backend. They hold an `Environment`, whose read calls go to the probe
server (built from a read-only view) and whose writes go to the executor server with a grant. For simulated
clusters the environment also moves simulated time forward — to a tick that is a pure function of the step
number, so a node that re-runs after a crash does not advance the clock twice.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import anyio
from mcp import Client
from mcp.server.mcpserver import MCPServer

from aoi.cluster.readonly import ReadOnlyView
from aoi.cluster.replay import ReplayReader, SnapshotWriter
from aoi.cluster.sim.faults import Fault, make_fault
from aoi.cluster.sim.session import SessionCluster, SimSession, SimSpec
from aoi.cluster.spec import parse_replay_spec, parse_sim_spec
from aoi.store.db import data_dir
from aoi.store.ids import check_id, state_file
from aoi.tools.audit import AuditLog
from aoi.tools.executor import Executor
from aoi.tools.executor_server import build_executor_server
from aoi.tools.grants import GrantAuthority
from aoi.tools.probe import build_probe_server

T = TypeVar("T")
TICKS_PER_STEP = 2
"""Simulated seconds pass while the agent thinks: 10 s per step."""


@dataclass(frozen=True, slots=True)
class ToolResult:
    is_error: bool
    text: str


def run_async(fn: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine function from synchronous code, also when called inside a running event loop."""
    try:
        import asyncio

        asyncio.get_running_loop()
    except RuntimeError:
        return anyio.run(fn)
    box: dict[str, Any] = {}

    def worker() -> None:
        try:
            box["value"] = anyio.run(fn)
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def episode_state_path(thread_id: str) -> Path:
    """Where a simulated episode keeps its cluster between runs of its thread (a paused episode resumes from it):
    a file named by a digest of the (checked) thread id.

    Raises:
        ValueError: an invalid thread id (`aoi.store.ids.check_id`).
    """
    return state_file(data_dir() / "sim" / "episodes", check_id(thread_id))


def discard_episode_state(thread_id: str) -> None:
    """Delete a simulated episode's saved cluster (state, lock and temporary file) once nothing will resume it."""
    path = episode_state_path(thread_id)
    for suffix in (".state", ".lock", ".tmp"):
        path.with_suffix(suffix).unlink(missing_ok=True)


class Environment:
    """The tool servers of one cluster, plus (for simulations) the ground truth and the clock."""

    def __init__(self, spec: str, *, conn: Any, key: bytes, state_path: Any = None) -> None:
        self.spec = spec
        if spec.startswith("replay:"):
            self._init_replay(spec, conn, key)
            return
        if spec.startswith("kube:"):
            self._init_kube(spec, conn, key)
            return
        sim_spec: SimSpec = parse_sim_spec(spec)
        self.sim_spec: SimSpec | None = sim_spec
        self.app = sim_spec.app
        path = Path(state_path) if state_path else state_file(data_dir() / "sim", sim_spec.name)
        self._session: SimSession | None = SimSession(sim_spec, path=path, realtime=False)
        self._cluster = SessionCluster(self._session)
        self.namespace = self._cluster.namespace
        self.services = list(self._cluster.services_list)
        self.fault: Fault | None = make_fault(sim_spec.fault, sim_spec.app, sim_spec.target,
                                              sim_spec.fault_variant()) if sim_spec.fault else None
        self.authority = GrantAuthority(key)
        self.probe: MCPServer = build_probe_server(ReadOnlyView(self._cluster), default_namespace=self.namespace)
        executor = Executor(self._cluster, conn, self.authority, AuditLog(conn, key))
        self._executor = executor
        self.executor: MCPServer = build_executor_server(executor, self.authority)
        self._tool_schemas: dict[str, dict[str, dict[str, Any]]] = {}

    def _init_replay(self, spec: str, conn: Any, key: bytes) -> None:
        """A recorded snapshot: no clock, no fault object (the truth stays with the evaluator), no writes."""
        reader = ReplayReader(parse_replay_spec(spec))
        self.sim_spec, self.app, self._session, self.fault = None, "", None, None
        self.namespace = reader.namespace
        self.services = reader.services_list
        self.authority = GrantAuthority(key)
        self.probe = build_probe_server(ReadOnlyView(reader), default_namespace=self.namespace)
        self._executor = Executor(SnapshotWriter(), conn, self.authority, AuditLog(conn, key))  # type: ignore[arg-type]
        self.executor = build_executor_server(self._executor, self.authority)
        self._tool_schemas = {}

    def _init_kube(self, spec: str, conn: Any, key: bytes) -> None:
        """A live cluster: no clock to move and no ground truth; writes go through the executor as everywhere."""
        from aoi.tools.wiring import open_cluster

        cluster = open_cluster(spec)
        self.sim_spec, self.app, self._session, self.fault = None, "", None, None
        self.namespace = cluster.namespace
        self.services = list(cluster.services_list)
        self.authority = GrantAuthority(key)
        prometheus = getattr(getattr(cluster, "telemetry", None), "prometheus", None)
        self.probe = build_probe_server(ReadOnlyView(cluster), default_namespace=self.namespace,
                                        promql=prometheus.read_query if prometheus is not None else None)
        self._executor = Executor(cluster, conn, self.authority, AuditLog(conn, key))  # type: ignore[arg-type]
        self.executor = build_executor_server(self._executor, self.authority)
        self._tool_schemas = {}

    # -- tools -----------------------------------------------------------------------------------------------------
    def tool_schemas(self, server: str) -> dict[str, dict[str, Any]]:
        """Name → {description, input_schema} of the probe's or the executor's tools (as MCP lists them)."""
        if server not in self._tool_schemas:
            target = self.probe if server == "probe" else self.executor

            async def go() -> dict[str, dict[str, Any]]:
                async with Client(target) as client:
                    tools = (await client.list_tools()).tools
                return {t.name: {"description": t.description or "", "input_schema": t.input_schema} for t in tools}

            self._tool_schemas[server] = run_async(go)
        return self._tool_schemas[server]

    def call(self, server: str, tool: str, args: dict[str, Any]) -> ToolResult:
        target = self.probe if server == "probe" else self.executor

        async def go() -> ToolResult:
            async with Client(target) as client:
                result = await client.call_tool(tool, args)
            text = "\n".join(getattr(c, "text", "") for c in result.content)
            return ToolResult(bool(result.is_error), text)

        return run_async(go)

    def preview(self, tool: str, args: dict[str, Any]) -> Any:
        """Dry-run a proposed write (diff and target version), for the approval step. Changes nothing."""
        return self._executor.preview(tool, args)

    # -- simulated time and truth -------------------------------------------------------------------------------
    def simulation(self) -> Any:
        """The simulated cluster itself (a locked context manager), for fixtures and evaluation harnesses that set
        up a scenario. Never handed to a node: nodes reach the cluster only through the tool servers."""
        if self._session is None:
            raise RuntimeError(f"{self.spec} is not a simulation (a recorded snapshot or a live cluster)")
        return self._session.cluster()

    def current_tick(self) -> int:
        if self._session is None:  # a snapshot has no clock
            return 0
        with self._session.cluster() as cluster:
            return cluster.engine.state.clock.tick

    def advance_to(self, tick: int) -> None:
        """Move simulated time forward to `tick` (never backwards): idempotent for a re-run node."""
        if self._session is None:
            return
        with self._session.cluster() as cluster:
            behind = tick - cluster.engine.state.clock.tick
            if behind > 0:
                cluster.tick(behind)

    def mitigated(self) -> bool | None:
        if self.fault is None or self._session is None:
            return None
        with self._session.cluster() as cluster:
            return self.fault.is_mitigated(cluster.engine)

