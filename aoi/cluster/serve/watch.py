"""Watches (`?watch=true`): a stream of `{"type": ADDED|MODIFIED|DELETED, "object": ...}` lines, one per change.

`kubectl get -w`, `kubectl rollout status` and the Python client's `watch.Watch` need them. The simulator has no
change feed, so a watch polls the store (cheap: the session keeps the state in memory) and diffs resourceVersions.
Without a `resourceVersion` (or with "0") the stream starts with an ADDED event per existing object, like the
API server's; with one, only changes after it are sent.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from aoi.cluster.serve.objects import dumps_rebased, objects_of, select
from aoi.cluster.serve.resources import Resource
from aoi.cluster.serve.tables import to_table
from aoi.cluster.sim.session import SimSession

POLL_SECONDS = 1.0
DEFAULT_TIMEOUT_SECONDS = 1800
"""The API server's default: a watch ends after 30 minutes at most (clients re-establish it)."""


@dataclass(frozen=True, slots=True)
class WatchQuery:
    resource: Resource
    namespace: str | None
    label_selector: str | None = None
    field_selector: str | None = None
    since: int | None = None
    """Only changes after this resourceVersion; None sends the current objects first."""
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    table: bool = False
    """Send each object as a one-row Table (`kubectl get -w` asks for Tables)."""


def watch(session: SimSession, query: WatchQuery, stopping: threading.Event) -> Iterator[bytes]:
    """Event lines until the timeout, or until `stopping` is set (the server shuts down)."""
    known: dict[tuple[str, str], tuple[str, bytes]] = {}
    deadline = time.monotonic() + query.timeout_seconds
    first = True
    while True:
        lines = []
        with session.cluster(save=False) as cluster:
            offset = int(time.time() - cluster.engine.state.clock.now.timestamp())
            found = select(objects_of(cluster.engine.state.store, query.resource, query.namespace),
                           query.label_selector, query.field_selector)
            seen = set()
            for obj in found:
                meta = obj["metadata"]
                key, version = (meta.get("namespace") or "", meta["name"]), str(meta.get("resourceVersion", ""))
                seen.add(key)
                if key in known and known[key][0] == version:
                    continue
                shown = to_table(query.resource, [obj], now=cluster.engine.state.clock.now) if query.table else obj
                body = dumps_rebased(shown, offset)
                if first and query.since is not None and version.isdigit() and int(version) <= query.since:
                    known[key] = (version, body)
                    continue
                kind = "ADDED" if key not in known and (not first or query.since is None) else "MODIFIED"
                known[key] = (version, body)
                lines.append(_event(kind, body))
            for key in [k for k in known if k not in seen]:
                lines.append(_event("DELETED", known.pop(key)[1]))
        first = False
        yield from lines
        if stopping.wait(min(POLL_SECONDS, max(0.0, deadline - time.monotonic()))) or time.monotonic() >= deadline:
            return


def _event(kind: str, body: bytes) -> bytes:
    return b'{"type":' + json.dumps(kind).encode() + b',"object":' + body + b"}\n"
