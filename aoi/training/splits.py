"""Which split an episode belongs to, from the cluster it ran on.

The split of problems is the evaluation's (`aoi.evals.problems`): an episode on a simulated cluster is `train` when
its fault family is an `aiopslab-sim` training family (a healthy cluster counts as the `noop` control, which
trains), or a Kubernetes root cause that may train (`K8S_TRAIN_ROOT_CAUSES`, on any app) at a seed below
`K8S_EVAL_SEED_OFFSET`; else `heldout`. Replayed snapshots (external benchmark data) are `external` and never train.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs

SPLIT_CHOICES = ("train", "heldout", "external", "all")


def episode_family(cluster: str) -> str:
    """The fault family in a cluster spec (`sim:APP/FAMILY?...`); "" for a healthy or non-simulated cluster."""
    if not cluster.startswith("sim:"):
        return ""
    path = cluster.removeprefix("sim:").split("?", 1)[0]
    return path.split("/", 1)[1] if "/" in path else ""


def episode_seed(cluster: str) -> int:
    """The seed in a `sim:` spec (0 when it names none or an unreadable one)."""
    value = parse_qs(cluster.partition("?")[2]).get("seed", ["0"])[-1]
    return int(value) if re.fullmatch(r"[0-9]{1,12}", value) else 0


def episode_split(cluster: str) -> str:
    """`train`, `heldout` or `external` for an episode that ran on `cluster`."""
    from aoi.evals.problems import K8S_EVAL_SEED_OFFSET, K8S_TRAIN_ROOT_CAUSES, TRAIN_FAMILIES

    if not cluster.startswith("sim:"):
        return "external"
    family = episode_family(cluster) or "noop"
    if family in TRAIN_FAMILIES:
        return "train"
    trains = family in K8S_TRAIN_ROOT_CAUSES and episode_seed(cluster) < K8S_EVAL_SEED_OFFSET
    return "train" if trains else "heldout"
