"""Kubernetes events as the real components emit them: deduplicated by (object, reason, message) with a count.

Like client-go's event correlator, once an object has had 10 different messages for the same reason within ten
minutes, further ones are folded into one "(combined from similar events): <latest message>" event. Events age
out after an hour, like the API server's default TTL.
"""

from __future__ import annotations

from typing import Any

from aoi.cluster.sim.clock import TICK_SECONDS, rfc3339
from aoi.cluster.sim.store import ObjectStore

EVENT_TTL_TICKS = 3600 // TICK_SECONDS
SIMILAR_EVENTS = 10
SIMILAR_WINDOW_SECONDS = 600
COMBINED = "(combined from similar events): "


class EventRecorder:
    def __init__(self, store: ObjectStore, clock: Any) -> None:
        self._store = store
        self._clock = clock

    def emit(self, obj: dict[str, Any], reason: str, message: str, *, type_: str = "Normal",
             component: str = "kubelet", host: str | None = None, field_path: str | None = None) -> None:
        meta = obj["metadata"]
        namespace = meta.get("namespace") or "default"
        now = rfc3339(self._clock.now)
        recent = rfc3339(self._clock.now.__class__.fromtimestamp(
            self._clock.now.timestamp() - SIMILAR_WINDOW_SECONDS, self._clock.now.tzinfo))
        similar: set[str] = set()
        combined = None
        for ev in self._store.list("Event", namespace):
            inv = ev["involvedObject"]
            if inv["uid"] != meta.get("uid") or ev["reason"] != reason or ev["type"] != type_:
                continue
            if ev["message"] == message and inv.get("fieldPath") == field_path:
                ev["count"] += 1
                ev["lastTimestamp"] = now
                self._store.touch(ev)
                return
            if ev["message"].startswith(COMBINED):
                combined = ev
            elif ev["lastTimestamp"] >= recent:
                similar.add(ev["message"])
        if len(similar) >= SIMILAR_EVENTS:
            message = COMBINED + message
            if combined is not None:
                combined.update(message=message, lastTimestamp=now, count=combined["count"] + 1)
                self._store.touch(combined)
                return
        self.record(obj, reason, message, type_=type_, component=component, host=host, field_path=field_path,
                    first=now, last=now)

    def record(self, obj: dict[str, Any], reason: str, message: str, *, type_: str, component: str,
               host: str | None, field_path: str | None, first: str, last: str, count: int = 1) -> None:
        """Store one Event as the API server holds it, with the given times and count (no deduplication):
        `emit` for what happens now, and the cluster's history for what happened before the simulation."""
        meta = obj["metadata"]
        namespace = meta.get("namespace") or "default"
        involved = {"kind": obj["kind"], "namespace": namespace, "name": meta["name"], "uid": meta.get("uid", ""),
                    "apiVersion": obj.get("apiVersion", "v1"), "resourceVersion": meta.get("resourceVersion", "")}
        if field_path:
            involved["fieldPath"] = field_path
        source = {"component": component}
        if host:
            source["host"] = host
        self._store.create({
            "kind": "Event",
            # Like the real event recorder: object name + hex nanoseconds, so names sort in creation order.
            "metadata": {"name": f"{meta['name']}.{self._next_stamp():x}", "namespace": namespace},
            "involvedObject": involved, "reason": reason, "message": message, "type": type_,
            "source": source, "count": count, "firstTimestamp": first, "lastTimestamp": last,
            "reportingComponent": component, "reportingInstance": host or "",
        })

    def _next_stamp(self) -> int:
        stamp = int(self._clock.now.timestamp()) * 1_000_000_000 + self._store.resource_version
        return stamp

    def expire(self) -> None:
        cutoff = self._clock.tick - EVENT_TTL_TICKS
        if cutoff <= 0:
            return
        cutoff_time = rfc3339(self._clock.now.__class__.fromtimestamp(
            self._clock.now.timestamp() - EVENT_TTL_TICKS * TICK_SECONDS, self._clock.now.tzinfo))
        for ev in self._store.list("Event"):
            if ev["lastTimestamp"] < cutoff_time:
                self._store.delete("Event", ev["metadata"]["namespace"], ev["metadata"]["name"])
