"""Render Kubernetes object dicts as kubectl 1.32 prints them: ``get`` tables, ``describe`` pages, ``-o yaml``.

Objects are plain dicts shaped like ``kubectl get -o json`` output. Related objects (events, pods on a node,
endpoints of a service, replica sets of a deployment...) are fetched through an ``ObjectSource``.
"""

from __future__ import annotations

from aoi.cluster.render.describe import DESCRIBABLE, describe_probe, render_describe
from aoi.cluster.render.durations import human_duration, parse_timestamp, rfc1123z, since
from aoi.cluster.render.parse import parse_kubectl_table
from aoi.cluster.render.source import DictSource, ObjectSource
from aoi.cluster.render.tables import (
    canonical_resource,
    event_object,
    format_endpoints,
    is_namespaced,
    node_status,
    pod_status_reason,
    render_table,
    resource_kind,
    table_headers,
)
from aoi.cluster.render.yaml_dump import render_yaml

__all__ = [
    "DESCRIBABLE",
    "DictSource",
    "ObjectSource",
    "canonical_resource",
    "describe_probe",
    "event_object",
    "format_endpoints",
    "human_duration",
    "is_namespaced",
    "node_status",
    "parse_kubectl_table",
    "parse_timestamp",
    "pod_status_reason",
    "render_describe",
    "render_table",
    "render_yaml",
    "resource_kind",
    "rfc1123z",
    "since",
    "table_headers",
]
