"""API writes (PATCH, PUT, POST, DELETE and the scale subresource) carried out by the simulator's own writer.

Every change goes through `SimWriter`, so validation, the allow-listed kinds and the undo semantics stay in the
simulator; this module only translates the API's shapes: patch media types, `dryRun=All`, resourceVersion
preconditions (409 Conflict), and the object (or autoscaling/v1 Scale) the API returns.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from aoi.cluster.interface import ClusterError
from aoi.cluster.patching import json_patch, merge_patch, strategic_merge_patch
from aoi.cluster.serve.resources import Resource
from aoi.cluster.serve.status import ApiError, conflict, from_cluster_error, not_found
from aoi.cluster.sim.cluster import SimCluster
from aoi.cluster.sim.writer import APPLICABLE_KINDS

PATCH_TYPES = {"application/merge-patch+json": "merge", "application/strategic-merge-patch+json": "strategic",
               "application/json-patch+json": "json"}
_RESOURCE_VERSION_PATH = "/metadata/resourceVersion"


def parse_body(body: bytes) -> Any:
    """The JSON of a request body (a missing Content-Type means JSON).

    Raises:
        ApiError: 400 when it is not JSON.
    """
    try:
        return json.loads(body or b"null")
    except ValueError as exc:
        raise ApiError(400, f"the request body is not valid JSON: {exc}") from exc


def patch_type_of(content_type: str) -> str:
    media = content_type.split(";")[0].strip()
    if media in PATCH_TYPES:
        return PATCH_TYPES[media]
    if media == "application/apply-patch+yaml":
        raise ApiError(415, "server-side apply is not supported by the simulated cluster; use a merge, strategic "
                            "merge or JSON patch (or kubectl apply --server-side=false)")
    raise ApiError(415, f'the body of the request was in an unknown format - accepted media types include: '
                        f'{", ".join(PATCH_TYPES)}')


def _stored(cluster: SimCluster, resource: Resource, namespace: str | None, name: str) -> dict[str, Any]:
    obj = cluster.engine.state.store.get(resource.kind, namespace if resource.namespaced else None, name)
    if obj is None:
        raise not_found(resource.qualified, name)
    return obj


def _apply_patch(obj: dict[str, Any], patch: Any, patch_type: str) -> dict[str, Any]:
    if patch_type == "json":
        return json_patch(obj, patch)
    if not isinstance(patch, dict):
        raise ApiError(400, f"a {patch_type} patch must be a JSON object")
    return merge_patch(obj, patch) if patch_type == "merge" else strategic_merge_patch(obj, patch)


def _check_precondition(resource: Resource, current: dict[str, Any], patch: Any, patch_type: str) -> Any:
    """Raise 409 when the patch carries a resourceVersion other than the object's; return the patch without it."""
    have = current["metadata"].get("resourceVersion")
    if patch_type == "json":
        if not isinstance(patch, list):
            raise ApiError(400, "a JSON patch must be a list of operations")
        wanted = [op.get("value") for op in patch if isinstance(op, dict) and op.get("path") == _RESOURCE_VERSION_PATH]
        if any(str(w) != have for w in wanted):
            raise conflict(resource.qualified, current["metadata"]["name"])
        return [op for op in patch if not (isinstance(op, dict) and op.get("path") == _RESOURCE_VERSION_PATH)]
    if isinstance(patch, dict) and isinstance(patch.get("metadata"), dict) and "resourceVersion" in patch["metadata"]:
        if str(patch["metadata"]["resourceVersion"]) != have:
            raise conflict(resource.qualified, current["metadata"]["name"])
        patch = copy.deepcopy(patch)
        del patch["metadata"]["resourceVersion"]
    return patch


def patch_object(cluster: SimCluster, resource: Resource, namespace: str | None, name: str, patch: Any,
                 patch_type: str, dry_run: bool) -> dict[str, Any]:
    """PATCH an object; returns it as stored after the patch (or as it would be, for a dry run)."""
    current = _stored(cluster, resource, namespace, name)
    patch = _check_precondition(resource, current, patch, patch_type)
    try:
        preview = _apply_patch(current, patch, patch_type)
        result = cluster.patch(resource.kind, name, namespace, patch, patch_type=patch_type, dry_run=dry_run)
    except ClusterError as exc:
        raise from_cluster_error(exc, resource.qualified, name) from exc
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise ApiError(422, f'{resource.qualified} "{name}" is invalid: {exc}') from exc
    if dry_run or not result.changed:
        preview["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        return preview
    return _stored(cluster, resource, namespace, name)


def scale_of(resource: Resource, obj: dict[str, Any]) -> dict[str, Any]:
    """The autoscaling/v1 Scale view of a Deployment, ReplicaSet or StatefulSet."""
    meta = obj["metadata"]
    labels = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    return {"kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {"name": meta["name"], "namespace": meta.get("namespace"), "uid": meta.get("uid"),
                         "resourceVersion": meta.get("resourceVersion"),
                         "creationTimestamp": meta.get("creationTimestamp")},
            "spec": {"replicas": int((obj.get("spec") or {}).get("replicas", 1))},
            "status": {"replicas": int((obj.get("status") or {}).get("replicas", 0)),
                       "selector": ",".join(f"{k}={v}" for k, v in sorted(labels.items()))}}


def get_scale(cluster: SimCluster, resource: Resource, namespace: str | None, name: str) -> dict[str, Any]:
    return scale_of(resource, _stored(cluster, resource, namespace, name))


def set_scale(cluster: SimCluster, resource: Resource, namespace: str | None, name: str, body: Any,
              patch_type: str | None, dry_run: bool) -> dict[str, Any]:
    """PATCH (`patch_type` given) or PUT (`None`) the scale subresource.

    A PUT carrying a stale `metadata.resourceVersion` is a 409. A PATCH never is: kubectl retries a 409 on the
    scale PATCH for five minutes and then only says `context deadline exceeded` (trap 5).
    """
    current = _stored(cluster, resource, namespace, name)
    scale = scale_of(resource, current)
    if patch_type is None:
        if not isinstance(body, dict):
            raise ApiError(400, "a Scale must be a JSON object")
        wanted_version = (body.get("metadata") or {}).get("resourceVersion")
        if wanted_version and str(wanted_version) != scale["metadata"]["resourceVersion"]:
            raise conflict(resource.qualified, name)
        new = body
    else:
        try:
            new = _apply_patch(scale, body, patch_type)
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise ApiError(422, f'Scale.autoscaling "{name}" is invalid: {exc}') from exc
    replicas = (new.get("spec") or {}).get("replicas")
    if not isinstance(replicas, int) or isinstance(replicas, bool):
        raise ApiError(422, f'Scale.autoscaling "{name}" is invalid: spec.replicas: Required value: an integer')
    try:
        result = cluster.scale(resource.kind, name, namespace or "", replicas, dry_run=dry_run)
    except ClusterError as exc:
        raise from_cluster_error(exc, resource.qualified, name) from exc
    if dry_run or not result.changed:
        scale["spec"]["replicas"] = replicas
        return scale
    return scale_of(resource, _stored(cluster, resource, namespace, name))


def replace_object(cluster: SimCluster, resource: Resource, namespace: str | None, name: str, body: Any,
                   dry_run: bool) -> dict[str, Any]:
    """PUT an object (kinds the simulator can apply); a stale `metadata.resourceVersion` is a 409."""
    current = _stored(cluster, resource, namespace, name)
    manifest = _manifest(resource, namespace, name, body)
    wanted_version = manifest["metadata"].pop("resourceVersion", None)
    if wanted_version and str(wanted_version) != current["metadata"]["resourceVersion"]:
        raise conflict(resource.qualified, name)
    _apply(cluster, resource, name, manifest, dry_run)
    if dry_run:
        preview = copy.deepcopy(current)
        preview.update({k: v for k, v in manifest.items() if k != "metadata"})
        return preview
    return _stored(cluster, resource, namespace, name)


def create_object(cluster: SimCluster, resource: Resource, namespace: str | None, body: Any,
                  dry_run: bool) -> dict[str, Any]:
    """POST a new object of a kind the simulator can apply; 409 AlreadyExists when the name is taken."""
    name = str(((body or {}).get("metadata") or {}).get("name", "")) if isinstance(body, dict) else ""
    if not name:
        raise ApiError(422, f"{resource.kind} is invalid: metadata.name: Required value: name is required")
    manifest = _manifest(resource, namespace, name, body)
    if cluster.engine.state.store.get(resource.kind, manifest["metadata"].get("namespace"), name) is not None:
        raise ApiError(409, f'{resource.qualified} "{name}" already exists', reason="AlreadyExists",
                       details={"name": name, "group": resource.group, "kind": resource.plural})
    _apply(cluster, resource, name, manifest, dry_run)
    if dry_run:
        return manifest
    return _stored(cluster, resource, namespace, name)


def delete_object(cluster: SimCluster, resource: Resource, namespace: str | None, name: str,
                  dry_run: bool) -> dict[str, Any]:
    """DELETE an object; returns it as it was (pods: marked for deletion by the simulator's kubelet)."""
    current = copy.deepcopy(_stored(cluster, resource, namespace, name))
    try:
        cluster.delete(resource.kind, name, namespace, dry_run=dry_run)
    except ClusterError as exc:
        raise from_cluster_error(exc, resource.qualified, name) from exc
    after = cluster.engine.state.store.get(resource.kind, namespace if resource.namespaced else None, name)
    return copy.deepcopy(after) if after is not None and not dry_run else current


def _manifest(resource: Resource, namespace: str | None, name: str, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(400, f"a {resource.kind} must be a JSON object")
    manifest = copy.deepcopy(body)
    manifest.setdefault("kind", resource.kind)
    manifest.setdefault("apiVersion", resource.group_version)
    if manifest["kind"] != resource.kind:
        raise ApiError(400, f"the body is a {manifest['kind']}, the URL names {resource.plural}")
    meta = manifest.setdefault("metadata", {})
    if meta.get("name", name) != name:
        raise ApiError(400, f"the name of the object ({meta.get('name')}) does not match the name on the URL ({name})")
    meta["name"] = name
    if resource.namespaced:
        if meta.get("namespace", namespace) != namespace:
            raise ApiError(400, "the namespace of the object does not match the namespace on the URL")
        meta["namespace"] = namespace
    return manifest


def _apply(cluster: SimCluster, resource: Resource, name: str, manifest: dict[str, Any], dry_run: bool) -> None:
    if resource.kind not in APPLICABLE_KINDS:
        raise ApiError(405, f"creating or replacing {resource.plural} is not supported by the simulated cluster "
                            f"(kinds: {', '.join(APPLICABLE_KINDS)}); use PATCH")
    try:
        cluster.apply(manifest, dry_run=dry_run)
    except ClusterError as exc:
        raise from_cluster_error(exc, resource.qualified, name) from exc
