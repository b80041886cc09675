"""Which split an episode belongs to, from the cluster it ran on.

The split of problems is the evaluation's (`aoi.evals.problems.TRAIN_FAMILIES`): an episode on a simulated cluster
is `train` when its fault family is a training family (a healthy cluster counts as the `noop` control, which
trains), else `heldout`. Replayed snapshots (external benchmark data) are `external` and never train.
"""

from __future__ import annotations

SPLIT_CHOICES = ("train", "heldout", "external", "all")


def episode_family(cluster: str) -> str:
    """The fault family in a cluster spec (`sim:APP/FAMILY?...`); "" for a healthy or non-simulated cluster."""
    if not cluster.startswith("sim:"):
        return ""
    path = cluster.removeprefix("sim:").split("?", 1)[0]
    return path.split("/", 1)[1] if "/" in path else ""


def episode_split(cluster: str) -> str:
    """`train`, `heldout` or `external` for an episode that ran on `cluster`."""
    from aoi.evals.problems import TRAIN_FAMILIES

    if not cluster.startswith("sim:"):
        return "external"
    family = episode_family(cluster) or "noop"
    return "train" if family in TRAIN_FAMILIES else "heldout"
