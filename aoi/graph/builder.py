"""The state machine: reason ⇄ observe, reason → propose → approve (interrupt) → act → reason, reason → submit.

```
START → reason ─probe→ observe ─→ reason
          │ ─act──→ propose ─→ approve ─→ act ─→ reason
          │                     └(rejected/refused)→ reason
          │ ─submit→ submit → END
          └ (budget, repeats, invalid) → finish → END
```
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph

from aoi.graph.nodes.act import make_act
from aoi.graph.nodes.approve import make_approve, make_propose, route_after_approve, route_after_propose
from aoi.graph.nodes.observe import make_observe, route_after_observe
from aoi.graph.nodes.reason import make_reason, route_after_reason
from aoi.graph.nodes.submit import finish, submit
from aoi.graph.state import AgentState, Runtime


def build_graph(rt: Runtime) -> StateGraph:
    graph = StateGraph(AgentState)
    graph.add_node("reason", make_reason(rt))
    graph.add_node("observe", make_observe(rt))
    graph.add_node("propose", make_propose(rt))
    graph.add_node("approve", make_approve(rt))
    graph.add_node("act", make_act(rt))
    graph.add_node("submit", submit)
    graph.add_node("finish", finish)
    graph.add_edge(START, "reason")
    graph.add_conditional_edges("reason", route_after_reason,
                                ["observe", "propose", "submit", "finish", "reason"])
    graph.add_conditional_edges("observe", route_after_observe, ["reason", "finish"])
    graph.add_conditional_edges("propose", route_after_propose, ["approve", "reason"])
    graph.add_conditional_edges("approve", route_after_approve, ["act", "approve", "reason"])
    graph.add_edge("act", "reason")
    graph.add_edge("submit", END)
    graph.add_edge("finish", END)
    return graph


def checkpointer(db_path: Path | str) -> SqliteSaver:
    """A LangGraph SQLite saver on the AOI database file (its own connection, WAL mode).

    SqliteSaver is LangGraph's synchronous saver, the right one for a CLI running one episode at a time.
    """
    conn = sqlite3.connect(str(db_path), check_same_thread=False)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA busy_timeout = 5000")
    return SqliteSaver(conn)


def compile_graph(rt: Runtime, db_path: Path | str) -> Any:
    return build_graph(rt).compile(checkpointer=checkpointer(db_path))


def pending_approval(db_path: Path | str, thread_id: str) -> dict[str, Any] | None:
    """The proposal a thread is paused on, read through the checkpointer (no model, no cluster needed); None when
    the thread is not waiting for an approval."""
    saver = checkpointer(db_path)
    try:
        saved = saver.get_tuple({"configurable": {"thread_id": thread_id}})
    finally:
        saver.conn.close()
    for _task, channel, value in (saved.pending_writes or []) if saved else []:
        if channel == "__interrupt__":
            for interrupt in value if isinstance(value, list | tuple) else [value]:
                return dict(getattr(interrupt, "value", interrupt))
    return None
