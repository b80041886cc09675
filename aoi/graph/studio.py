"""The graph for `langgraph dev` / LangGraph Studio (see `langgraph.json`).

A factory, not a module-level graph, so that importing this module has no side effects: the studio calls it with
its run config. `configurable` may set `cluster` (a sim spec), `model` (as for `aoi diagnose --model`) and
`approve` (ask|deny|auto).
"""

from __future__ import annotations

from typing import Any

from aoi.graph.builder import build_graph
from aoi.graph.environment import Environment, episode_state_path
from aoi.graph.models import load_model
from aoi.graph.state import Runtime
from aoi.store.db import connect
from aoi.store.episodes import EpisodeStore
from aoi.tools.grants import load_or_create_key

DEFAULT_CLUSTER = "sim:hotel-reservation/revoke_auth_mongodb?target=mongodb-geo"


def graph(config: dict[str, Any]) -> Any:
    configurable = config.get("configurable") or {}
    conn = connect()
    key = load_or_create_key()
    spec = configurable.get("cluster", DEFAULT_CLUSTER)
    thread = str(configurable.get("thread_id", "studio"))
    env = Environment(spec, conn=conn, key=key, state_path=episode_state_path(thread))
    runtime = Runtime(load_model(configurable.get("model", "embedded")), env, EpisodeStore(conn), thread,
                      configurable.get("approve", "ask"))
    return build_graph(runtime).compile()
