"""`ClusterWriter` over a live cluster.

Every write reads the object first (its pre-image becomes the undo record), then sends one request that carries
the pre-image's resourceVersion as a precondition (the API server answers 409 Conflict when the object changed in
between), `fieldManager=aoi`, and for a dry run `dryRun=All`: the server validates and admits the change and
returns the object as it would be, so the diff a human approves is the server's, not a local guess.

Changes computed here (scale, set image/env, restart, rollback, cordon, undo) are sent as a JSON patch from the
current object to the wanted one; a caller's own patch is sent in its own type. Datastore administration and node
daemons need a shell inside a pod or on a node, which AOI never opens on a live cluster: those are refused.
"""

from __future__ import annotations

import copy
import difflib
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
from aoi.cluster.kinds import DELETABLE_KINDS, PATCHABLE_KINDS, kind_of, normalise_kind, restart_kind, scale_kind
from aoi.cluster.kube.api import KubeApi, PatchType, resource_type

APPLICABLE_KINDS = ("Deployment", "Service", "ConfigMap", "ServiceAccount", "PersistentVolumeClaim",
                    "ResourceQuota")
NEVER_DELETED = ("Namespace", "PersistentVolume", "CustomResourceDefinition")
REVISION = "deployment.kubernetes.io/revision"
_RV = "/metadata/resourceVersion"
_NO_SHELL = ("needs a shell inside a pod or on a node, which AOI never opens on a live cluster; do it by hand "
             "(e.g. `kubectl exec` / `systemctl` on the node) and let AOI verify the result")
_NOISE = ("resourceVersion", "managedFields", "generation", "uid", "creationTimestamp", "selfLink")


class KubeWriter:
    """`ClusterWriter` over a `KubeApi`."""

    def __init__(self, api: KubeApi) -> None:
        self.api = api

    # -- the generic machinery -----------------------------------------------------------------------------------
    def _ns(self, kind: str, namespace: str | None) -> str | None:
        return (namespace or self.api.namespace) if resource_type(kind).namespaced else None

    def _object(self, kind: str, name: str, namespace: str | None) -> dict[str, Any]:
        ns = self._ns(kind, namespace)
        obj = self.api.find(kind, ns, name)
        if obj is None:
            existing = [o["metadata"]["name"] for o in self.api.list(kind, ns)][:30]
            where = f" in namespace {ns}" if ns else ""
            raise NotFoundError(f'{kind.lower()} "{name}" not found{where}; existing: {", ".join(existing) or "none"}')
        return obj

    def _send_patch(self, old: dict[str, Any], patch: Any, patch_type: PatchType, dry_run: bool) -> dict[str, Any]:
        """PATCH `old` with its resourceVersion as a precondition; returns the object the server made of it."""
        meta = old["metadata"]
        version = meta.get("resourceVersion")
        if patch_type == "json":
            body = [{"op": "replace", "path": _RV, "value": version}, *patch] if version else list(patch)
        else:
            body = copy.deepcopy(patch)
            if version and isinstance(body, dict):
                body_meta = body.setdefault("metadata", {})
                if isinstance(body_meta, dict):
                    body_meta.setdefault("resourceVersion", version)
        return self.api.patch(old["kind"], meta.get("namespace"), meta["name"], body, patch_type, dry_run=dry_run)

    def _modify(self, kind: str, name: str, namespace: str | None, mutate: Callable[[dict[str, Any]], None],
                summary: str, dry_run: bool) -> WriteResult:
        old = self._object(kind, name, namespace)
        wanted = copy.deepcopy(old)
        mutate(wanted)
        ops = json_patch_ops(old, wanted)
        if not ops:
            return WriteResult(dry_run, f"{summary} (no change)", "", UndoRecord(f"undo: {summary}", ()), ())
        new = self._send_patch(old, ops, "json", dry_run)
        return _result(summary, [old], [new], dry_run)

    # -- ClusterWriter -------------------------------------------------------------------------------------------
    def resource_version(self, kind: str, name: str, namespace: str | None) -> str:
        if kind in ("Datastore", "NodeService"):
            raise ForbiddenError(f"{kind} targets are not available on a live cluster: {kind} administration "
                                 f"{_NO_SHELL}")
        known = normalise_kind(kind) or kind
        obj = self.api.find(known, self._ns(known, namespace), name)
        return str(obj["metadata"].get("resourceVersion", "")) if obj is not None else "absent"

    def scale(self, kind: str, name: str, namespace: str, replicas: int, *, dry_run: bool = False) -> WriteResult:
        kind = scale_kind(kind, replicas)
        return self._modify(kind, name, namespace, lambda o: o["spec"].__setitem__("replicas", replicas),
                            f"scale {kind.lower()}/{name} to {replicas}", dry_run)

    def rollout_restart(self, kind: str, name: str, namespace: str, *, dry_run: bool = False) -> WriteResult:
        kind = restart_kind(kind)
        stamp = self.api.now().strftime("%Y-%m-%dT%H:%M:%SZ")

        def mutate(obj: dict[str, Any]) -> None:
            meta = obj["spec"]["template"].setdefault("metadata", {})
            meta.setdefault("annotations", {})["kubectl.kubernetes.io/restartedAt"] = stamp

        return self._modify(kind, name, namespace, mutate, f"rollout restart {kind.lower()}/{name}", dry_run)

    def rollout_undo(self, name: str, namespace: str, *, to_revision: int | None = None,
                     dry_run: bool = False) -> WriteResult:
        dep = self._object("Deployment", name, namespace)
        uid = dep["metadata"].get("uid")
        owned = [rs for rs in self.api.list("ReplicaSet", dep["metadata"].get("namespace"))
                 if any(o.get("uid") == uid and o.get("controller") for o in rs["metadata"].get("ownerReferences")
                        or [])]
        owned.sort(key=lambda rs: int((rs["metadata"].get("annotations") or {}).get(REVISION, 0)))
        current = (dep["metadata"].get("annotations") or {}).get(REVISION)
        candidates = [rs for rs in owned if (rs["metadata"].get("annotations") or {}).get(REVISION) != current]
        if to_revision is not None:
            candidates = [rs for rs in candidates if rs["metadata"]["annotations"].get(REVISION) == str(to_revision)]
        if not candidates:
            raise NotFoundError(f"no rollout history to undo to for deployment/{name}"
                                + (f" (revision {to_revision} not found)" if to_revision is not None else ""))
        target = candidates[-1]
        template = copy.deepcopy(target["spec"]["template"])
        template.setdefault("metadata", {}).get("labels", {}).pop("pod-template-hash", None)
        return self._modify("Deployment", name, namespace, lambda o: o["spec"].__setitem__("template", template),
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
        if patch_type == "json" and not (isinstance(patch, list) and all(isinstance(op, dict) for op in patch)):
            raise InvalidArgumentError("a json patch must be a list of operations")
        _check_identity(kind, name, patch)
        old = self._object(kind, name, namespace)
        summary = f"patch {kind.lower()}/{name} ({patch_type})"
        new = self._send_patch(old, patch, patch_type, dry_run)
        if _clean(new) == _clean(old):
            return WriteResult(dry_run, f"{summary} (no change)", "", UndoRecord(f"undo: {summary}", ()), ())
        return _result(summary, [old], [new], dry_run)

    def set_image(self, kind: str, name: str, namespace: str, container: str, image: str, *,
                  dry_run: bool = False) -> WriteResult:
        if not isinstance(image, str) or not image or any(c.isspace() for c in image):
            raise InvalidArgumentError(f"image must be a non-empty reference without spaces, got {image!r}")
        kind = kind_of(kind)
        return self._modify(kind, name, namespace, lambda o: _container(o, container).__setitem__("image", image),
                            f"set image {kind.lower()}/{name} {container}={image}", dry_run)

    def set_env(self, kind: str, name: str, namespace: str, container: str, env: dict[str, str | None], *,
                dry_run: bool = False) -> WriteResult:
        if not isinstance(env, dict) or not env:
            raise InvalidArgumentError("env must be a non-empty object of NAME: value (null removes)")
        kind = kind_of(kind)

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
                if index is None:
                    items.append({"name": key, "value": value})
                else:
                    items[index] = {"name": key, "value": value}
            if items:
                spec["env"] = items
            else:
                spec.pop("env", None)

        names = ", ".join(f"{k}={'-' if v is None else v}" for k, v in env.items())
        return self._modify(kind, name, namespace, mutate, f"set env {kind.lower()}/{name} {names}", dry_run)

    def delete_pod(self, name: str, namespace: str, *, dry_run: bool = False) -> WriteResult:
        return self.delete("Pod", name, namespace, dry_run=dry_run)

    def cordon(self, node: str, *, dry_run: bool = False) -> WriteResult:
        return self._modify("Node", node, None, lambda o: o.setdefault("spec", {}).__setitem__("unschedulable", True),
                            f"cordon node/{node}", dry_run)

    def uncordon(self, node: str, *, dry_run: bool = False) -> WriteResult:
        return self._modify("Node", node, None, lambda o: o.setdefault("spec", {}).pop("unschedulable", None),
                            f"uncordon node/{node}", dry_run)

    def datastore_admin(self, service: str, namespace: str, operation: str, args: dict[str, Any], *,
                        dry_run: bool = False) -> WriteResult:
        raise ForbiddenError(f"datastore administration ({operation} on {service}) {_NO_SHELL}")

    def node_service(self, node: str, component: str, action: Literal["start", "restart", "stop"], *,
                     dry_run: bool = False) -> WriteResult:
        raise ForbiddenError(f"systemctl {action} {component} on {node} {_NO_SHELL}")

    def apply(self, manifest: dict[str, Any], *, dry_run: bool = False) -> WriteResult:
        if not isinstance(manifest, dict) or "kind" not in manifest or "name" not in (manifest.get("metadata") or {}):
            raise InvalidArgumentError("manifest must be an object with kind and metadata.name")
        kind = manifest["kind"]
        if kind not in APPLICABLE_KINDS:
            raise ForbiddenError(f"applying {kind} is not allowed; applicable kinds: {', '.join(APPLICABLE_KINDS)}")
        wanted = copy.deepcopy(manifest)
        wanted.setdefault("apiVersion", resource_type(kind).api_version)
        meta = wanted["metadata"]
        if resource_type(kind).namespaced:
            meta["namespace"] = meta.get("namespace") or self.api.namespace
        current = self.api.find(kind, meta.get("namespace"), meta["name"])
        if current is None:
            created = self.api.create(wanted, dry_run=dry_run)
            absent = {"kind": kind, "apiVersion": wanted["apiVersion"],
                      "metadata": {"name": meta["name"], "namespace": meta.get("namespace")}, "__absent__": True}
            return _result(f"create {kind.lower()}/{meta['name']}", [absent], [created], dry_run)
        merged = copy.deepcopy(current)
        merged.update({k: v for k, v in wanted.items() if k not in ("metadata", "status")})
        merged["metadata"].update({k: v for k, v in meta.items() if k in ("labels", "annotations")})
        ops = json_patch_ops(current, merged)
        if not ops:
            return WriteResult(dry_run, f"{kind.lower()}/{meta['name']} unchanged", "", UndoRecord("noop", ()), ())
        new = self._send_patch(current, ops, "json", dry_run)
        return _result(f"configure {kind.lower()}/{meta['name']}", [current], [new], dry_run)

    def delete(self, kind: str, name: str, namespace: str | None, *, dry_run: bool = False) -> WriteResult:
        known = normalise_kind(kind) or kind
        if known in NEVER_DELETED:
            raise ForbiddenError(f"deleting {known} is never allowed")
        if known not in DELETABLE_KINDS:
            raise ForbiddenError(f"deleting {known} is not allowed; deletable kinds: {', '.join(DELETABLE_KINDS)}")
        old = self._object(known, name, namespace)
        meta = old["metadata"]
        self.api.delete(known, meta.get("namespace"), name, resource_version=meta.get("resourceVersion"),
                        dry_run=dry_run)
        return _result(f"delete {known.lower()}/{name}", [old], [None], dry_run)

    def apply_undo(self, record: UndoRecord, *, dry_run: bool = False) -> WriteResult:
        if record.inverse_calls:
            raise ForbiddenError(f"this undo record reverts datastore or node changes, which {_NO_SHELL}")
        if not record.pre_images:
            raise ClusterError("undo record is empty")
        befores: list[dict[str, Any]] = []
        afters: list[dict[str, Any] | None] = []
        skipped = []
        for image in record.pre_images:
            kind, meta = image["kind"], image["metadata"]
            current = self.api.find(kind, meta.get("namespace"), meta["name"])
            if image.get("__absent__"):
                if current is None:
                    continue
                self.api.delete(kind, meta.get("namespace"), meta["name"],
                                resource_version=current["metadata"].get("resourceVersion"), dry_run=dry_run)
                befores.append(current)
                afters.append(None)
            elif current is None:
                if kind == "Pod" and meta.get("ownerReferences"):
                    skipped.append(f"pod/{meta['name']} (its controller replaces it)")
                    continue
                befores.append({"kind": kind, "apiVersion": image.get("apiVersion"),
                                "metadata": {"name": meta["name"], "namespace": meta.get("namespace")},
                                "__absent__": True})
                afters.append(self.api.create(_recreatable(image), dry_run=dry_run))
            else:
                ops = json_patch_ops(current, image)
                if ops:
                    befores.append(current)
                    afters.append(self._send_patch(current, ops, "json", dry_run))
        summary = record.description + (f" (skipped {', '.join(skipped)})" if skipped else "")
        return _result(summary, befores, afters, dry_run)


# -- pure helpers ----------------------------------------------------------------------------------------------------
def json_patch_ops(current: dict[str, Any], wanted: dict[str, Any]) -> list[dict[str, Any]]:
    """RFC 6902 operations turning `current` into `wanted`, over what a write may change: every top-level field but
    `status`, `kind`, `apiVersion` and `metadata`, plus `metadata.labels` and `metadata.annotations`. Lists are
    replaced whole (their order and merge keys are the caller's business)."""
    ops: list[dict[str, Any]] = []
    for key in sorted(set(current) | set(wanted)):
        if key in ("status", "kind", "apiVersion", "metadata", "__absent__"):
            continue
        _diff_ops(current.get(key, _MISSING), wanted.get(key, _MISSING), "/" + _escape(key), ops)
    old_meta, new_meta = current.get("metadata") or {}, wanted.get("metadata") or {}
    for key in ("labels", "annotations"):
        _diff_ops(old_meta.get(key, _MISSING), new_meta.get(key, _MISSING), f"/metadata/{key}", ops)
    return ops


_MISSING: Any = object()


def _diff_ops(old: Any, new: Any, path: str, ops: list[dict[str, Any]]) -> None:
    if old is _MISSING and new is _MISSING:
        return
    if new is _MISSING:
        ops.append({"op": "remove", "path": path})
    elif old is _MISSING:
        ops.append({"op": "add", "path": path, "value": new})
    elif isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            _diff_ops(old.get(key, _MISSING), new.get(key, _MISSING), f"{path}/{_escape(key)}", ops)
    elif old != new or type(old) is not type(new):
        ops.append({"op": "replace", "path": path, "value": new})


def _escape(key: str) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def _check_identity(kind: str, name: str, patch: Any) -> None:
    """A patch may not rename an object or change its kind (the API server would refuse it too)."""
    if isinstance(patch, dict):
        if "kind" in patch and patch["kind"] != kind:
            raise InvalidArgumentError("a patch cannot change kind")
        if "apiVersion" in patch and patch["apiVersion"] != resource_type(kind).api_version:
            raise InvalidArgumentError("a patch cannot change apiVersion")
        if (patch.get("metadata") or {}).get("name", name) != name:
            raise InvalidArgumentError("a patch cannot change metadata.name")
    else:
        for op in patch:
            if op.get("path") in ("/kind", "/apiVersion", "/metadata/name") and op.get("op") != "test":
                raise InvalidArgumentError(f"a patch cannot change {op['path'].rsplit('/', 1)[-1]}")


def _container(obj: dict[str, Any], name: str) -> dict[str, Any]:
    spec = obj.get("spec", {}).get("template", {}).get("spec") or obj.get("spec", {})
    containers = spec.get("containers") or []
    for c in containers:
        if c["name"] == name:
            return c
    raise NotFoundError(f"container {name!r} not found in {obj['kind'].lower()}/{obj['metadata']['name']}; "
                        f"containers: {', '.join(c['name'] for c in containers)}")


def _recreatable(image: dict[str, Any]) -> dict[str, Any]:
    """A deleted object's pre-image as a create request: server-owned metadata and status dropped."""
    obj = copy.deepcopy(image)
    obj.pop("status", None)
    for key in (*_NOISE, "deletionTimestamp", "deletionGracePeriodSeconds"):
        obj["metadata"].pop(key, None)
    if obj.get("kind") == "Service":
        spec = obj.get("spec") or {}
        for key in ("clusterIP", "clusterIPs"):
            spec.pop(key, None)
    return obj


def _clean(obj: dict[str, Any] | None) -> dict[str, Any] | None:
    if obj is None or obj.get("__absent__"):
        return None
    clean = copy.deepcopy(obj)
    clean.pop("status", None)
    for key in _NOISE:
        clean.get("metadata", {}).pop(key, None)
    return clean


def _label(obj: dict[str, Any]) -> str:
    meta = obj["metadata"]
    ns = meta.get("namespace")
    return f"{obj['kind']}/{ns}/{meta['name']}" if ns else f"{obj['kind']}/{meta['name']}"


def _diff(old: dict[str, Any] | None, new: dict[str, Any] | None, label: str) -> str:
    def dump(o: dict[str, Any] | None) -> list[str]:
        clean = _clean(o)
        return [] if clean is None else yaml.safe_dump(clean, sort_keys=True).splitlines(keepends=True)

    return "".join(difflib.unified_diff(dump(old), dump(new), f"a/{label}", f"b/{label}"))


def _result(summary: str, before: list[dict[str, Any]], after: list[dict[str, Any] | None],
            dry_run: bool) -> WriteResult:
    """The diff before → after (None = deleted) and the undo record holding the pre-images."""
    diff = "".join(_diff(old, new, _label(new or old)) for old, new in zip(before, after, strict=True))
    undo = UndoRecord(f"undo: {summary}", tuple(copy.deepcopy(o) for o in before))
    changed = tuple(_label(new or old) for old, new in zip(before, after, strict=True))
    return WriteResult(dry_run, summary, diff, undo, changed)
