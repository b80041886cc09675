"""Triage of a claim that stays Pending: the PV controller's checks (class, occupancy, selector, access modes,
capacity) compared against every volume, because it skips non-fitting volumes silently."""

from __future__ import annotations

from typing import Any

import pytest
from diagnosis_fakes import FakeCluster, manifest, pending, prefilter_error, ranked, shop, table

from aoi.diagnosis import triage

UNBOUND = prefilter_error("pod has unbound immediate PersistentVolumeClaims")


def claim_spec(*, modes: tuple[str, ...] = ("ReadWriteOnce",), size: str = "1Gi", storage_class: str = "manual",
               selector: dict[str, str] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"accessModes": list(modes), "storageClassName": storage_class,
                            "resources": {"requests": {"storage": size}}}
    if selector:
        spec["selector"] = {"matchLabels": selector}
    return spec


def with_claim(cluster: FakeCluster, spec: dict[str, Any], *, status: str = "Pending",
               volumes: tuple[tuple[str, str, str, str, str], ...] = (("pv-cache", "5Gi", "RWO", "Available", ""),),
               classes: tuple[str, ...] = ("manual",), labels: dict[str, str] | None = None) -> None:
    """`cache` mounts claim `cache-data` with `spec`; `volumes` are (name, capacity, modes, status, claim) of class
    `manual`; a Pending claim keeps the pod Pending with the scheduler's PreFilter message."""
    cluster.manifests["cache"] = manifest("cache", claim="cache-data", pvc=spec)
    bound = status == "Bound"
    cluster.tables["persistentvolumeclaims"] = table(
        ["NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS MODES", "STORAGECLASS", "VOLUMEATTRIBUTESCLASS", "AGE"],
        [["cache-data", status, "pv-cache" if bound else "", spec["resources"]["requests"]["storage"] if bound else "",
          "RWO" if bound else "", spec["storageClassName"], "<unset>", "3m"]])
    cluster.tables["persistentvolumes"] = table(
        ["NAME", "CAPACITY", "ACCESS MODES", "RECLAIM POLICY", "STATUS", "CLAIM", "STORAGECLASS",
         "VOLUMEATTRIBUTESCLASS", "REASON", "AGE"],
        [[name, size, modes, "Retain", state, claim, "manual", "<unset>", "", "1d"]
         for name, size, modes, state, claim in volumes])
    cluster.tables["storageclasses"] = table(
        ["NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE", "ALLOWVOLUMEEXPANSION", "AGE"],
        [[name, "kubernetes.io/no-provisioner", "Delete", "Immediate", "false", "1d"] for name in classes])
    for name, *_ in volumes:
        shown = ",".join(f"{k}={v}" for k, v in (labels or {}).items()) or "<none>"
        cluster.describes[("persistentvolumes", name)] = (f"Name:            {name}\nLabels:          {shown}\n"
                                                          "Annotations:     <none>\nStorageClass:    manual\n")
    if not bound:
        pending(cluster, "cache", UNBOUND)


@pytest.mark.parametrize(("spec", "volume", "cause"), [
    (claim_spec(size="5Gi"), ("pv-cache", "1Gi", "RWO", "Available", ""), "pvc_capacity_mismatch"),
    (claim_spec(modes=("ReadWriteMany",)), ("pv-cache", "5Gi", "RWO", "Available", ""), "pvc_access_mode_mismatch"),
    (claim_spec(storage_class="fast-ssd"), ("pv-cache", "5Gi", "RWO", "Available", ""), "pvc_storage_class_mismatch"),
    (claim_spec(), ("pv-cache", "5Gi", "RWO", "Bound", "shop/other-data"), "pv_binding_occupied"),
], ids=["capacity", "access-mode", "storage-class", "occupied"])
def test_the_check_that_rules_out_every_volume_is_the_cause(spec: dict[str, Any], volume: tuple[str, ...],
                                                            cause: str) -> None:
    """Capacity and access modes are neighbours: the same claim and volume differ in one field each."""
    cluster = shop()
    with_claim(cluster, spec, volumes=(volume,))

    assert ranked(triage(cluster, "shop")) == [(cause, "service/cache")]


def test_a_claim_selector_no_volume_label_matches_is_a_selector_mismatch() -> None:
    cluster = shop()
    with_claim(cluster, claim_spec(selector={"tier": "gold"}), labels={"tier": "silver"})

    assert ranked(triage(cluster, "shop")) == [("pvc_selector_mismatch", "service/cache")]


def test_a_bound_claim_has_no_storage_hypothesis() -> None:
    cluster = shop()
    with_claim(cluster, claim_spec(), status="Bound", volumes=(("pv-cache", "1Gi", "RWO", "Bound",
                                                                "shop/cache-data"),))

    assert ranked(triage(cluster, "shop")) == []


def test_a_pending_claim_that_one_of_two_volumes_fits_is_not_a_capacity_mismatch() -> None:
    """The PV controller binds to any volume that fits; one small volume among fitting ones explains nothing."""
    cluster = shop()
    with_claim(cluster, claim_spec(size="5Gi"), volumes=(("pv-small", "1Gi", "RWO", "Available", ""),
                                                         ("pv-large", "10Gi", "RWO", "Available", "")))

    assert [(h.cause, h.object) for h in triage(cluster, "shop").hypotheses if h.score >= 0.5] == []
