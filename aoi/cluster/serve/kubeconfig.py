"""The kubeconfig that points kubectl and the `kubernetes` client at the served simulator.

Two contexts on one cluster entry: `aoi-sim` (the writer identity, the current context) and `aoi-sim-readonly`
(the probe identity, 403 on every write and on Secrets). The server's self-signed certificate is pinned as the
cluster's certificate authority.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import yaml

CLUSTER = "aoi-sim"
WRITER_CONTEXT = "aoi-sim"
READER_CONTEXT = "aoi-sim-readonly"


def kubeconfig(server: str, ca_pem: bytes, writer_token: str, reader_token: str, namespace: str) -> dict:
    ca = base64.b64encode(ca_pem).decode()
    return {
        "apiVersion": "v1", "kind": "Config", "preferences": {}, "current-context": WRITER_CONTEXT,
        "clusters": [{"name": CLUSTER, "cluster": {"server": server, "certificate-authority-data": ca}}],
        "users": [{"name": "aoi-sim-writer", "user": {"token": writer_token}},
                  {"name": "aoi-sim-reader", "user": {"token": reader_token}}],
        "contexts": [
            {"name": WRITER_CONTEXT, "context": {"cluster": CLUSTER, "user": "aoi-sim-writer",
                                                 "namespace": namespace}},
            {"name": READER_CONTEXT, "context": {"cluster": CLUSTER, "user": "aoi-sim-reader",
                                                 "namespace": namespace}},
        ],
    }


def write_kubeconfig(path: Path, config: dict) -> Path:
    """Write the kubeconfig readable by its owner only (it holds both tokens)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        yaml.safe_dump(config, fh, sort_keys=False)
    return path
