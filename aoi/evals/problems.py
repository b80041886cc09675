"""The evaluation problems: AIOpsLab's registry mirrored on the simulator, and the simulator's Kubernetes faults.

A problem is a fault family on an app and a target, plus a task type. Its cluster spec (`sim:APP/FAULT?target=…`)
injects the fault; the episode runner grades the submission with AIOpsLab's oracles (`aoi.evals.grading`) against
the fault's ground truth, and a mitigation by the fault's state predicate after the agent stops.

Two suites:

* `aiopslab-sim` — every problem of AIOpsLab's registry (`reference/aiopslab_registry.csv`) with the same ids and
  task types, except the two Flower problems (a docker-compose federated-learning app, not Kubernetes: nothing to
  simulate). The registry's disabled problems (KernelChaos, disk wear-out, TiDB operator,
  redeploy_without_PV-localization) are not in it, so not here either. 87 problems: 32 detection, 28 localization,
  13 analysis, 14 mitigation (the paper's "86 tasks" counts 13 mitigations).
* `k8s-sim` — Cloud-OpsBench's 40 Kubernetes root causes on online-boutique (the app that benchmark deploys, with its
  targets): detection and mitigation for each, localization where the faulty component is a service the answer
  schema can name (not a node or the namespace), plus the healthy control. No analysis task: the answer schema is
  AIOpsLab's label set, which cannot express Cloud-OpsBench's root-cause codes.

The split is fixed here. `aiopslab-sim`: 11 training fault families plus the healthy control (the paper trains
on 11 fault types and reports held-out tasks with unseen fault types); every other family is held out. `k8s-sim`:
the 30 root causes of the Cloud-OpsBench dev split may train, the other ten are held out, and the suite's problems
run at seeds no training episode uses (`K8S_EVAL_SEED_OFFSET`).
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Literal

from aoi.cluster.sim.apps.catalog import get_app
from aoi.cluster.sim.faults import FAULTS
from aoi.cluster.sim.faults.aiopslab import targets_of
from aoi.cluster.sim.faults.k8s import K8S_FAULTS

if TYPE_CHECKING:
    from aoi.graph.state import TaskType

Suite = Literal["aiopslab-sim", "k8s-sim"]
"""Which problem set: AIOpsLab's registry on the simulator, or the simulator's Kubernetes faults."""
Split = Literal["train", "heldout"]
"""Training families vs held-out families (see `TRAIN_FAMILIES`)."""

SUITES: tuple[Suite, ...] = ("aiopslab-sim", "k8s-sim")
SPLITS: tuple[Split, ...] = ("train", "heldout")
TASK_TYPES: tuple[TaskType, ...] = ("detection", "localization", "analysis", "mitigation")

_ALL: tuple[TaskType, ...] = ("detection", "localization", "analysis", "mitigation")
_DL: tuple[TaskType, ...] = ("detection", "localization")

REGISTRY_TASKS: dict[str, tuple[TaskType, ...]] = {
    "k8s_target_port-misconfig": _ALL,
    "auth_miss_mongodb": _ALL,
    "revoke_auth_mongodb": _ALL,
    "user_unregistered_mongodb": _ALL,
    "misconfig_app_hotel_res": _ALL,
    "scale_pod_zero_social_net": _ALL,
    "assign_to_non_existent_node_social_net": _ALL,
    "container_kill": _DL,
    "pod_failure_hotel_res": _DL,
    "pod_kill_hotel_res": _DL,
    "network_loss_hotel_res": _DL,
    "network_delay_hotel_res": _DL,
    "noop": ("detection",),
    "astronomy_shop_ad_service_failure": _DL,
    "astronomy_shop_ad_service_high_cpu": _DL,
    "astronomy_shop_ad_service_manual_gc": _DL,
    "astronomy_shop_cart_service_failure": _DL,
    "astronomy_shop_image_slow_load": _DL,
    "astronomy_shop_kafka_queue_problems": ("detection", "localization", "mitigation"),
    "astronomy_shop_loadgenerator_flood_homepage": _DL,
    "astronomy_shop_payment_service_failure": _DL,
    "astronomy_shop_payment_service_unreachable": _DL,
    "astronomy_shop_product_catalog_service_failure": _DL,
    "astronomy_shop_recommendation_service_cache_failure": _DL,
    "redeploy_without_PV": ("detection", "analysis", "mitigation"),
    "wrong_bin_usage": _ALL,
}
"""Registry family → its task types, in the registry's order (per target: detection, localization, analysis,
mitigation)."""

UNNUMBERED: frozenset[str] = frozenset({"container_kill"})
"""Families whose registry ids carry no `-N` suffix (`container_kill-detection`)."""

NOT_SIMULATED: dict[str, str] = {
    "flower_node_stop-detection": "Flower is a docker-compose federated-learning app, not a Kubernetes app",
    "flower_model_misconfig-detection": "Flower is a docker-compose federated-learning app, not a Kubernetes app",
}
"""Registry problems with no simulated counterpart, and why."""

TRAIN_FAMILIES: frozenset[str] = frozenset({
    "misconfig_app_hotel_res",
    "container_kill", "pod_failure_hotel_res", "network_delay_hotel_res",
    "astronomy_shop_ad_service_failure", "astronomy_shop_cart_service_failure", "astronomy_shop_image_slow_load",
    "astronomy_shop_payment_service_failure", "astronomy_shop_product_catalog_service_failure",
    "astronomy_shop_recommendation_service_cache_failure", "astronomy_shop_loadgenerator_flood_homepage",
    "noop",
})
"""The 11 training fault families, and the healthy control (so that training sees "No" answers too).

One family with all four task types (so training sees analysis and mitigation answers) and ten with detection
and localization: 27 registry problems train, 60 are held out, every one with a fault type training never saw.
"""

K8S_TRAIN_ROOT_CAUSES: frozenset[str] = frozenset({
    "incorrect_image_reference", "insufficient_node_cpu", "insufficient_node_memory", "kube_scheduler_unavailable",
    "kubelet_unavailable", "liveness_probe_incorrect_port", "liveness_probe_incorrect_protocol",
    "liveness_probe_incorrect_timing", "missing_image_pull_secret", "namespace_cpu_quota_exceeded",
    "namespace_memory_quota_exceeded", "namespace_pod_quota_exceeded", "namespace_service_quota_exceeded",
    "namespace_storage_quota_exceeded", "node_affinity_mismatch", "node_cordoned", "node_network_delay",
    "node_network_packet_loss", "node_selector_mismatch", "oom_killed", "pod_network_delay",
    "pvc_access_mode_mismatch", "pvc_selector_mismatch", "pvc_storage_class_mismatch",
    "readiness_probe_incorrect_port", "service_env_var_address_mismatch", "service_protocol_mismatch",
    "service_selector_mismatch", "taint_toleration_mismatch", "volume_mount_permission_denied",
})
"""The 30 Kubernetes root causes that may train: those occurring in the Cloud-OpsBench dev split (its labels, not
its cases). The other ten (containerd_unavailable, image_registry_dns_failure, kube_proxy_unavailable,
missing_service_account, pod_anti_affinity_conflict, pod_cpu_overload, pv_binding_occupied, pvc_capacity_mismatch,
readiness_probe_incorrect_protocol, service_port_mapping_mismatch) never train, on any app, so an evaluation on
them measures root causes a model never saw."""
K8S_EVAL_SEED_OFFSET = 10_000
"""`k8s-sim` problems run at seeds from here on; training data is generated below it, so even a root cause that
trains is evaluated on clusters (noise, variants, shapes) no training episode saw."""

K8S_APP = "online-boutique"


@dataclass(frozen=True, slots=True)
class Problem:
    id: str
    suite: Suite
    family: str
    app: str
    task: TaskType
    target: str
    """The faulty component the fault is injected into; "" for the healthy control and namespace-wide faults."""

    @property
    def split(self) -> Split:
        """`train` for a training family (`aiopslab-sim`) or a root cause that may train (`k8s-sim`)."""
        trains = TRAIN_FAMILIES if self.suite == "aiopslab-sim" else K8S_TRAIN_ROOT_CAUSES | {"noop"}
        return "train" if self.family in trains else "heldout"

    def cluster(self, seed: int = 0) -> str:
        """The cluster spec of this problem, for one run's seed (`k8s-sim`: offset by `K8S_EVAL_SEED_OFFSET`). A
        healthy control on an app the fault library has no `noop` for is the plain healthy app (the evaluation
        runner grades it against an empty ground truth)."""
        if self.suite == "k8s-sim":
            seed += K8S_EVAL_SEED_OFFSET
        if self.family == "noop" and self.app not in FAULTS["noop"].apps:
            return f"sim:{self.app}?seed={seed}"
        target = f"target={self.target}&" if self.target else ""
        return f"sim:{self.app}/{self.family}?{target}seed={seed}"


def _registry() -> list[Problem]:
    problems = []
    for family, tasks in REGISTRY_TASKS.items():
        cls = FAULTS[family]
        for app in cls.apps:
            if family == "noop":
                problems.append(Problem(f"noop_detection_{app.replace('-', '_')}-1", "aiopslab-sim", family, app,
                                        "detection", ""))
                continue
            for index, target in enumerate(targets_of(cls, app), start=1):
                for task in tasks:
                    suffix = "" if family in UNNUMBERED else f"-{index}"
                    problems.append(Problem(f"{family}-{task}{suffix}", "aiopslab-sim", family, app, task, target))
    return problems


def _k8s() -> list[Problem]:
    services = set(get_app(K8S_APP).component_names)
    problems = [Problem(f"noop_detection_{K8S_APP.replace('-', '_')}-1", "k8s-sim", "noop", K8S_APP, "detection", "")]
    for family, cls in K8S_FAULTS.items():
        target = cls(K8S_APP).target
        tasks: tuple[TaskType, ...] = ("detection", "localization", "mitigation") if target in services \
            else ("detection", "mitigation")
        problems += [Problem(f"{family}-{task}-1", "k8s-sim", family, K8S_APP, task, target) for task in tasks]
    return problems


PROBLEMS: tuple[Problem, ...] = (*_registry(), *_k8s())
"""Every problem of every suite, in a fixed order."""


def select(suite: Suite, split: Split | Literal["all"] = "all", patterns: tuple[str, ...] = ()) -> list[Problem]:
    """The problems of a suite and split whose id matches any of the glob `patterns` (all when none are given).

    Raises:
        ValueError: an unknown suite or split, or patterns that match no problem (the message lists examples).
    """
    if suite not in SUITES:
        raise ValueError(f"unknown suite {suite!r}; valid: {', '.join(SUITES)}")
    if split not in (*SPLITS, "all"):
        raise ValueError(f"unknown split {split!r}; valid: train, heldout, all")
    chosen = [p for p in PROBLEMS if p.suite == suite and (split == "all" or p.split == split)]
    if patterns:
        chosen = [p for p in chosen if any(fnmatchcase(p.id, pattern) for pattern in patterns)]
        if not chosen:
            examples = ", ".join(p.id for p in PROBLEMS if p.suite == suite)[:300]
            raise ValueError(f"no problem of {suite} ({split}) matches {', '.join(patterns)}; ids look like: "
                             f"{examples} ...")
    return chosen


def by_id(problem_id: str) -> Problem:
    """Raises: KeyError naming the id when there is no such problem."""
    for problem in PROBLEMS:
        if problem.id == problem_id:
            return problem
    raise KeyError(f"no problem {problem_id!r}; see `aoi eval problems`")
