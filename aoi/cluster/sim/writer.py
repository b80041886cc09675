"""The simulator's write interface: every change is computed on a copy, diffed, and returned with its undo.

A dry run stops after the diff. A real run stores the new objects; the controllers act on them from the next
tick on, exactly as a real cluster acts on an API write. This module validates what the API server would
(kinds, shapes, bounds); who may write what is decided earlier, by the executor's policy.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
from collections.abc import Callable
from typing import Any, Literal

import yaml

from aoi.cluster.interface import (
    ClusterError,
    ForbiddenError,
    InvalidArgumentError,
    NotFoundError,
    UndoRecord,
    WriteResult,
)
from aoi.cluster.kinds import (
    DELETABLE_KINDS,
    MAX_REPLICAS,
    PATCHABLE_KINDS,
    kind_of,
    normalise_kind,
    restart_kind,
    scale_kind,
)
from aoi.cluster.patching import json_patch, merge_patch, strategic_merge_patch
from aoi.cluster.sim.clock import rfc3339
from aoi.cluster.sim.controllers import REVISION, mark_deleted, owned_by, quota_refusal
from aoi.cluster.sim.datastores import mongo_admin
from aoi.cluster.sim.engine import Engine, assign_cluster_ip
from aoi.cluster.sim.state import PodChaos
from aoi.cluster.sim.store import CLUSTER_SCOPED

APPLICABLE_KINDS = ("Deployment", "Service", "ConfigMap", "ServiceAccount", "PersistentVolumeClaim",
                    "ResourceQuota", "Secret")
CHAOS_KINDS = {"network-delay": "NetworkChaos", "network-loss": "NetworkChaos", "pod-failure": "PodChaos",
               "container-kill": "PodChaos", "cpu-stress": "StressChaos"}

class SimWriter:
    """`ClusterWriter` over an `Engine`."""

    engine: Engine

    # -- the generic machinery -----------------------------------------------------------------------------------
    def _object(self, kind: str, name: str, namespace: str | None) -> dict[str, Any]:
        store = self.engine.state.store
        namespace = None if kind in CLUSTER_SCOPED else (namespace or self.engine.state.app.namespace)
        obj = store.get(kind, namespace, name)
        if obj is None:
            existing = [o["metadata"]["name"] for o in store.list(kind, namespace)][:30]
            where = f" in namespace {namespace}" if namespace else ""
            raise NotFoundError(f'{kind.lower()} "{name}" not found{where}; existing: {", ".join(existing) or "none"}')
        return obj

    def _change(self, summary: str, before: list[dict[str, Any]], after: list[dict[str, Any] | None],
                dry_run: bool, inverse_calls: tuple[dict[str, Any], ...] = (),
                commit: Callable[[], None] | None = None) -> WriteResult:
        """Diff `before` → `after` (None = deleted), store `after` unless dry-run, return the undo record."""
        diff_parts = []
        for old, new in zip(before, after, strict=True):
            label = _label(old if not old.get("__absent__") else new or old)
            diff_parts.append(_diff(None if old.get("__absent__") else old, new, label))
        pre_images = tuple(copy.deepcopy(o) for o in before)
        undo = UndoRecord(f"undo: {summary}", pre_images, inverse_calls)
        changed = tuple(_label(new or old) for old, new in zip(before, after, strict=True))
        if not dry_run:
            store = self.engine.state.store
            for old, new in zip(before, after, strict=True):
                kind, meta = (new or old)["kind"], (new or old)["metadata"]
                if new is None:
                    if kind == "Pod":
                        pod = store.get("Pod", meta.get("namespace"), meta["name"])
                        if pod is not None:
                            mark_deleted(self.engine.state, pod)
                    elif kind in CHAOS_KINDS.values():
                        self._remove_chaos(meta["name"])
                    else:
                        store.delete(kind, meta.get("namespace"), meta["name"])
                elif kind in CHAOS_KINDS.values():
                    self._restore_chaos(new)
                elif old.get("__absent__") or store.get(kind, meta.get("namespace"), meta["name"]) is None:
                    fresh = copy.deepcopy(new)
                    fresh["metadata"].pop("resourceVersion", None)
                    store.create(fresh)
                else:
                    store.replace(copy.deepcopy(new))
            if commit is not None:
                commit()
        return WriteResult(dry_run, summary, "".join(diff_parts), undo, changed)

    def _modify(self, kind: str, name: str, namespace: str | None, mutate: Callable[[dict[str, Any]], None],
                summary: str, dry_run: bool) -> WriteResult:
        old = self._object(kind, name, namespace)
        new = copy.deepcopy(old)
        mutate(new)
        _validate(new)
        if new == old:
            return WriteResult(dry_run, f"{summary} (no change)", "", UndoRecord(f"undo: {summary}", ()), ())
        return self._change(summary, [old], [new], dry_run)

    # -- ClusterWriter -----------------------------------------------------------------------------------------
    def resource_version(self, kind: str, name: str, namespace: str | None) -> str:
        state = self.engine.state
        if kind == "Datastore":
            store = state.datastores.get(f"{namespace}/{name}")
            return _digest(_users(store)) if store is not None else "absent"
        if kind == "NodeService":
            node, _, component = name.partition("/")
            agents = state.nodes.get(node)
            return f"{'running' if agents.running(component) else 'stopped'}" if agents else "absent"
        if kind in CHAOS_KINDS.values():
            chaos = next((c for c in state.chaos if c.name == name), None)
            return _digest(repr(chaos)) if chaos is not None else "absent"
        known = normalise_kind(kind)
        if known is None:
            raise InvalidArgumentError(f"unknown kind {kind!r}")
        ns = None if known in CLUSTER_SCOPED else (namespace or state.app.namespace)
        obj = state.store.get(known, ns, name)
        return obj["metadata"]["resourceVersion"] if obj is not None else "absent"

    def scale(self, kind: str, name: str, namespace: str, replicas: int, *, dry_run: bool = False) -> WriteResult:
        kind = scale_kind(kind, replicas)
        return self._modify(kind, name, namespace, lambda o: o["spec"].__setitem__("replicas", replicas),
                            f"scale {kind.lower()}/{name} to {replicas}", dry_run)

    def rollout_restart(self, kind: str, name: str, namespace: str, *, dry_run: bool = False) -> WriteResult:
        kind = restart_kind(kind)
        stamp = rfc3339(self.engine.state.clock.now)

        def mutate(obj: dict[str, Any]) -> None:
            meta = obj["spec"]["template"].setdefault("metadata", {})
            meta.setdefault("annotations", {})["kubectl.kubernetes.io/restartedAt"] = stamp

        return self._modify(kind, name, namespace, mutate, f"rollout restart {kind.lower()}/{name}", dry_run)

    def rollout_undo(self, name: str, namespace: str, *, to_revision: int | None = None,
                     dry_run: bool = False) -> WriteResult:
        dep = self._object("Deployment", name, namespace)
        state = self.engine.state
        replica_sets = sorted((rs for rs in state.store.list("ReplicaSet", dep["metadata"]["namespace"])
                               if owned_by(rs, dep)),
                              key=lambda rs: int(rs["metadata"].get("annotations", {}).get(REVISION, 0)))
        current = dep["metadata"].get("annotations", {}).get(REVISION)
        candidates = [rs for rs in replica_sets if rs["metadata"]["annotations"].get(REVISION) != current]
        if to_revision is not None:
            candidates = [rs for rs in candidates if rs["metadata"]["annotations"].get(REVISION) == str(to_revision)]
        if not candidates:
            raise NotFoundError(f"no rollout history to undo to for deployment/{name}"
                                + (f" (revision {to_revision} not found)" if to_revision is not None else ""))
        target = candidates[-1]
        template = copy.deepcopy(target["spec"]["template"])
        template["metadata"].get("labels", {}).pop("pod-template-hash", None)

        def mutate(obj: dict[str, Any]) -> None:
            obj["spec"]["template"] = template

        return self._modify("Deployment", name, namespace, mutate,
                            f"rollout undo deployment/{name} to revision "
                            f"{target['metadata']['annotations'].get(REVISION)}", dry_run)

    def patch(self, kind: str, name: str, namespace: str | None, patch: Any, *,
              patch_type: Literal["merge", "json", "strategic"] = "merge", dry_run: bool = False) -> WriteResult:
        kind = kind_of(kind)
        if kind not in PATCHABLE_KINDS:
            raise ForbiddenError(f"patching {kind} is not allowed; patchable kinds: {', '.join(PATCHABLE_KINDS)}")
        if patch_type not in ("merge", "json", "strategic"):
            raise InvalidArgumentError(f"unknown patch_type {patch_type!r}; valid: merge, json, strategic")
        if patch_type in ("merge", "strategic") and not isinstance(patch, dict):
            raise InvalidArgumentError(f"a {patch_type} patch must be an object")

        def mutate(obj: dict[str, Any]) -> None:
            if patch_type == "merge":
                new = merge_patch(obj, patch)
            elif patch_type == "strategic":
                new = strategic_merge_patch(obj, patch)
            else:
                new = json_patch(obj, patch)
            for key in ("kind", "apiVersion"):
                if new.get(key) != obj.get(key):
                    raise InvalidArgumentError(f"a patch cannot change {key}")
            if (new.get("metadata") or {}).get("name") != obj["metadata"]["name"]:
                raise InvalidArgumentError("a patch cannot change metadata.name")
            obj.clear()
            obj.update(new)

        return self._modify(kind, name, namespace, mutate, f"patch {kind.lower()}/{name} ({patch_type})", dry_run)

    def set_image(self, kind: str, name: str, namespace: str, container: str, image: str, *,
                  dry_run: bool = False) -> WriteResult:
        if not isinstance(image, str) or not image or any(c.isspace() for c in image):
            raise InvalidArgumentError(f"image must be a non-empty reference without spaces, got {image!r}")
        return self._modify(kind_of(kind), name, namespace, lambda o: _container(o, container).__setitem__(
            "image", image), f"set image {kind_of(kind).lower()}/{name} {container}={image}", dry_run)

    def set_env(self, kind: str, name: str, namespace: str, container: str, env: dict[str, str | None], *,
                dry_run: bool = False) -> WriteResult:
        if not isinstance(env, dict) or not env:
            raise InvalidArgumentError("env must be a non-empty object of NAME: value (null removes)")

        def mutate(obj: dict[str, Any]) -> None:
            spec = _container(obj, container)
            items = list(spec.get("env") or [])
            for key, value in env.items():
                index = next((i for i, e in enumerate(items) if e["name"] == key), None)
                if value is None:
                    if index is not None:
                        items.pop(index)
                    continue
                if not isinstance(value, str):
                    raise InvalidArgumentError(f"env value of {key!r} must be a string or null")
                entry = {"name": key, "value": value}
                if index is None:
                    items.append(entry)
                else:
                    items[index] = entry
            if items:
                spec["env"] = items
            else:
                spec.pop("env", None)

        names = ", ".join(f"{k}={'-' if v is None else v}" for k, v in env.items())
        return self._modify(kind_of(kind), name, namespace, mutate, f"set env {kind_of(kind).lower()}/{name} {names}",
                            dry_run)

    def delete_pod(self, name: str, namespace: str, *, dry_run: bool = False) -> WriteResult:
        return self.delete("Pod", name, namespace, dry_run=dry_run)

    def cordon(self, node: str, *, dry_run: bool = False) -> WriteResult:
        return self._modify("Node", node, None, lambda o: o["spec"].__setitem__("unschedulable", True),
                            f"cordon node/{node}", dry_run)

    def uncordon(self, node: str, *, dry_run: bool = False) -> WriteResult:
        return self._modify("Node", node, None, lambda o: o["spec"].pop("unschedulable", None),
                            f"uncordon node/{node}", dry_run)

    def datastore_admin(self, service: str, namespace: str, operation: str, args: dict[str, Any], *,
                        dry_run: bool = False) -> WriteResult:
        state = self.engine.state
        key = f"{namespace}/{service}"
        store = state.datastores.get(key)
        if store is None:
            known = [k.split("/", 1)[1] for k in state.datastores if k.startswith(f"{namespace}/")]
            raise NotFoundError(f"no datastore {service!r} in namespace {namespace}; datastores: "
                                f"{', '.join(known) or 'none'}")
        trial = copy.deepcopy(store)
        summary, inverse = mongo_admin(trial, operation, args)
        diff = f"--- {key} users\n+++ {key} users\n-{_users(store)}\n+{_users(trial)}\n"
        undo = UndoRecord(f"undo: {summary}", (), ({"method": "datastore_admin", "kwargs": {
            "service": service, "namespace": namespace, **inverse}},))
        if not dry_run:
            state.datastores[key] = trial
        return WriteResult(dry_run, f"{operation} on {service}: {summary}", diff, undo, (f"Datastore/{key}",))

    def apply(self, manifest: dict[str, Any], *, dry_run: bool = False) -> WriteResult:
        if not isinstance(manifest, dict) or "kind" not in manifest or "name" not in (manifest.get("metadata") or {}):
            raise InvalidArgumentError("manifest must be an object with kind and metadata.name")
        kind = manifest["kind"]
        if kind not in APPLICABLE_KINDS:
            raise ForbiddenError(f"applying {kind} is not allowed; applicable kinds: {', '.join(APPLICABLE_KINDS)}")
        store = self.engine.state.store
        new = copy.deepcopy(manifest)
        meta = new["metadata"]
        if kind not in CLUSTER_SCOPED:
            meta.setdefault("namespace", self.engine.state.app.namespace)
        existing = store.get(kind, meta.get("namespace"), meta["name"])
        _validate(new)
        if existing is None:
            refusal = quota_refusal(self.engine.state, meta["namespace"], kind, new.get("spec") or {}, meta["name"]) \
                if kind in ("Service", "PersistentVolumeClaim") else ""
            if refusal:
                raise ForbiddenError(f"Error from server (Forbidden): {refusal}")
            if kind == "Service":
                assign_cluster_ip(self.engine.state, new)
            before: dict[str, Any] = {"kind": kind, "metadata": {"name": meta["name"],
                                                                 "namespace": meta.get("namespace")},
                                      "__absent__": True}
            return self._change(f"create {kind.lower()}/{meta['name']}", [before], [new], dry_run)
        merged = copy.deepcopy(existing)
        merged.update({k: v for k, v in new.items() if k != "metadata"})
        merged["metadata"].update({k: v for k, v in meta.items() if k in ("labels", "annotations")})
        if merged == existing:
            return WriteResult(dry_run, f"{kind.lower()}/{meta['name']} unchanged", "", UndoRecord("noop", ()), ())
        return self._change(f"configure {kind.lower()}/{meta['name']}", [existing], [merged], dry_run)

    def delete(self, kind: str, name: str, namespace: str | None, *, dry_run: bool = False) -> WriteResult:
        if kind in ("Namespace", "namespace", "namespaces", "ns", "PersistentVolume", "pv", "persistentvolumes",
                    "CustomResourceDefinition", "crd"):
            raise ForbiddenError(f"deleting {kind} is never allowed")
        kind = kind if kind in CHAOS_KINDS.values() else kind_of(kind)
        if kind not in DELETABLE_KINDS:
            raise ForbiddenError(f"deleting {kind} is not allowed; deletable kinds: {', '.join(DELETABLE_KINDS)}")
        if kind in CHAOS_KINDS.values():
            chaos = next((c for c in self.engine.state.chaos if c.name == name and CHAOS_KINDS[c.action] == kind),
                         None)
            if chaos is None:
                names = [c.name for c in self.engine.state.chaos if CHAOS_KINDS[c.action] == kind]
                raise NotFoundError(f'{kind.lower()} "{name}" not found; existing: {", ".join(names) or "none"}')
            old = _chaos_object(chaos)
        else:
            old = self._object(kind, name, namespace)
        return self._change(f"delete {kind.lower()}/{name}", [old], [None], dry_run)

    def node_service(self, node: str, component: str, action: Literal["start", "restart", "stop"], *,
                     dry_run: bool = False) -> WriteResult:
        from aoi.cluster.interface import NODE_COMPONENTS

        state = self.engine.state
        if node not in state.nodes:
            raise NotFoundError(f"node {node!r} not found; nodes: {', '.join(state.nodes)}")
        if component not in NODE_COMPONENTS:
            raise InvalidArgumentError(f"unknown node component {component!r}; valid: {', '.join(NODE_COMPONENTS)}")
        if action not in ("start", "restart", "stop"):
            raise InvalidArgumentError(f"unknown action {action!r}; valid: start, restart, stop")
        agents = state.nodes[node]
        was = agents.running(component)
        will = action != "stop"
        diff = f"--- {node}/{component}\n+++ {node}/{component}\n-active: {was}\n+active: {will}\n"
        inverse = ({"method": "node_service", "kwargs": {"node": node, "component": component,
                                                         "action": "start" if was else "stop"}},)
        if not dry_run:
            agents.set_running(component, will, state.clock.tick)
        return WriteResult(dry_run, f"systemctl {action} {component} on {node}", diff,
                           UndoRecord(f"undo: systemctl {action} {component} on {node}", (), inverse),
                           (f"NodeService/{node}/{component}",))

    def apply_undo(self, record: UndoRecord, *, dry_run: bool = False) -> WriteResult:
        store = self.engine.state.store
        before, after = [], []
        for image in record.pre_images:
            kind, meta = image["kind"], image["metadata"]
            if kind in CHAOS_KINDS.values():
                current = next((_chaos_object(c) for c in self.engine.state.chaos if c.name == meta["name"]), None)
            else:
                current = store.get(kind, meta.get("namespace"), meta["name"])
            current_image = copy.deepcopy(current) if current is not None else {
                "kind": kind, "metadata": dict(meta), "__absent__": True}
            before.append(current_image)
            after.append(None if image.get("__absent__") else _without_version(image))
        results = []
        if before:
            results.append(self._change(record.description, before, after, dry_run))
        for call in record.inverse_calls:
            method = getattr(self, call["method"])
            results.append(method(**call["kwargs"], dry_run=dry_run))
        if not results:
            raise ClusterError("undo record is empty")
        undo = UndoRecord(f"undo: {record.description}", tuple(p for r in results for p in r.undo.pre_images),
                          tuple(c for r in results for c in r.undo.inverse_calls))
        return WriteResult(dry_run, record.description, "".join(r.diff for r in results), undo,
                           tuple(c for r in results for c in r.changed))

    # -- chaos experiments ---------------------------------------------------------------------------------------
    def _remove_chaos(self, name: str) -> None:
        self.engine.state.chaos = [c for c in self.engine.state.chaos if c.name != name]

    def _restore_chaos(self, obj: dict[str, Any]) -> None:
        self._remove_chaos(obj["metadata"]["name"])
        spec = obj["spec"]
        self.engine.state.chaos.append(PodChaos(obj["metadata"]["name"], spec["action"], obj["metadata"]["namespace"],
                                                spec["component"], float(spec.get("value", 0.0)),
                                                spec.get("untilTick")))


def _chaos_object(chaos: PodChaos) -> dict[str, Any]:
    return {"kind": CHAOS_KINDS[chaos.action], "apiVersion": "chaos-mesh.org/v1alpha1",
            "metadata": {"name": chaos.name, "namespace": chaos.namespace},
            "spec": {"action": chaos.action, "component": chaos.component, "value": chaos.value,
                     "untilTick": chaos.until_tick}}


def _container(obj: dict[str, Any], name: str) -> dict[str, Any]:
    spec = obj.get("spec", {}).get("template", {}).get("spec") or obj.get("spec", {})
    containers = spec.get("containers") or []
    for c in containers:
        if c["name"] == name:
            return c
    raise NotFoundError(f"container {name!r} not found in {obj['kind'].lower()}/{obj['metadata']['name']}; "
                        f"containers: {', '.join(c['name'] for c in containers)}")


def _validate(obj: dict[str, Any]) -> None:
    spec = obj.get("spec")
    kind = obj["kind"]
    if kind in ("Deployment", "StatefulSet", "ReplicaSet", "DaemonSet"):
        replicas = (spec or {}).get("replicas", 1)
        if not isinstance(replicas, int) or isinstance(replicas, bool) or not 0 <= replicas <= MAX_REPLICAS:
            raise InvalidArgumentError(f"spec.replicas must be an integer between 0 and {MAX_REPLICAS}")
        containers = ((spec or {}).get("template", {}).get("spec") or {}).get("containers")
        if not containers or not all(isinstance(c, dict) and c.get("name") and c.get("image") for c in containers):
            raise InvalidArgumentError("spec.template.spec.containers must be a non-empty list of {name, image}")
    if kind == "Service":
        for port in (spec or {}).get("ports") or []:
            if not isinstance(port, dict) or not isinstance(port.get("port"), int) or not 0 < port["port"] < 65536:
                raise InvalidArgumentError("every Service port needs an integer port between 1 and 65535")
            if port.get("protocol", "TCP") not in ("TCP", "UDP", "SCTP"):
                raise InvalidArgumentError("Service port protocol must be TCP, UDP or SCTP")


def _label(obj: dict[str, Any]) -> str:
    meta = obj["metadata"]
    ns = meta.get("namespace")
    return f"{obj['kind']}/{ns}/{meta['name']}" if ns else f"{obj['kind']}/{meta['name']}"


def _without_version(obj: dict[str, Any]) -> dict[str, Any]:
    clean = copy.deepcopy(obj)
    clean["metadata"].pop("resourceVersion", None)
    return clean


def _diff(old: dict[str, Any] | None, new: dict[str, Any] | None, label: str) -> str:
    def dump(o: dict[str, Any] | None) -> list[str]:
        if o is None:
            return []
        clean = copy.deepcopy(o)
        clean.pop("status", None)
        clean["metadata"].pop("resourceVersion", None)
        clean["metadata"].pop("managedFields", None)
        return yaml.safe_dump(clean, sort_keys=True, default_flow_style=False).splitlines(keepends=True)

    return "".join(difflib.unified_diff(dump(old), dump(new), f"a/{label}", f"b/{label}"))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _users(store: Any) -> str:
    return "; ".join(f"{n}: {[r['role'] + '@' + r['db'] for r in u.roles]}" for n, u in sorted(store.users.items()))
