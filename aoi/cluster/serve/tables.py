"""`meta.k8s.io/v1` Table responses: the server-side printing kubectl relies on for `kubectl get` columns.

kubectl 1.32 has no printers of its own for these types: READY, STATUS, RESTARTS, AGE and the wide columns come
only from the Table, printed exactly as sent. The cells come from `aoi.cluster.render.tables`, the same printers
that render AOI's own `get` tables, so both agree by construction. Every row embeds the full object: `-A`,
`--show-labels` and `--sort-by` read it (kubectl panics on `--sort-by` without it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aoi.cluster.render.durations import since
from aoi.cluster.render.tables import canonical_resource, table_cells, table_columns
from aoi.cluster.serve.resources import Resource


def wants_table(accept: str) -> bool:
    return any("as=Table" in entry for entry in accept.split(","))


def to_table(resource: Resource, objects: list[dict[str, Any]], *, now: datetime, include_object: str = "Object",
             resource_version: int = 0) -> dict[str, Any]:
    """A Table of `objects` (embedded as they are: the caller serialises them, never changes them)."""
    try:
        plural = canonical_resource(resource.plural)
        columns = table_columns(plural)
    except (KeyError, ValueError):
        plural, columns = "", [("Name", False), ("Age", False)]
    definitions = []
    for name, wide in columns:
        definition: dict[str, Any] = {"name": name, "type": "string", "format": "name" if name == "Name" else "",
                                      "description": "", "priority": 1 if wide else 0}
        definitions.append(definition)
    rows = []
    for obj in objects:
        cells = table_cells(plural, obj, now=now) if plural else [
            obj["metadata"]["name"], since(obj["metadata"].get("creationTimestamp"), now)]
        row: dict[str, Any] = {"cells": cells}
        if include_object != "None":
            row["object"] = obj
        rows.append(row)
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1",
            "metadata": {"resourceVersion": str(resource_version)}, "columnDefinitions": definitions, "rows": rows}
