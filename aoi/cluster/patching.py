"""Kubernetes patch semantics on plain dicts: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and a
strategic merge patch for the list fields Kubernetes merges by key (containers, env, ports, volumes, ...).

Shared by every backend that has to apply or preview a patch locally (the simulator, dry-run diffs).
"""

from __future__ import annotations

import copy
from typing import Any

from aoi.cluster.interface import InvalidArgumentError

MERGE_KEYS = {"containers": "name", "initContainers": "name", "env": "name", "volumes": "name",
              "volumeMounts": "mountPath", "ports": "containerPort", "imagePullSecrets": "name",
              "tolerations": "key"}
"""List fields merged element-wise by this key in a strategic merge patch (as in the Kubernetes API types)."""


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, `null` deletes, everything else replaces."""
    return _merge(target, patch, strategic=False, field="")


def strategic_merge_patch(target: Any, patch: Any) -> Any:
    """A merge patch in which the list fields of `MERGE_KEYS` merge element-wise by their key (`$patch: delete`
    removes an element), as Kubernetes' strategic merge patch does for those fields."""
    return _merge(target, patch, strategic=True, field="")


def _merge(target: Any, patch: Any, *, strategic: bool, field: str) -> Any:
    if strategic and isinstance(patch, list) and field in MERGE_KEYS and isinstance(target, list):
        return _merge_list(target, patch, field)
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge(result.get(key), value, strategic=strategic, field=key)
    return result


def _merge_list(target: list[Any], patch: list[Any], field: str) -> list[Any]:
    key = MERGE_KEYS[field]
    result = copy.deepcopy(target)
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            raise InvalidArgumentError(f"strategic merge: every item of {field!r} needs its merge key {key!r}")
        index = next((i for i, cur in enumerate(result) if isinstance(cur, dict) and cur.get(key) == item[key]), None)
        if item.get("$patch") == "delete":
            if index is not None:
                result.pop(index)
        elif index is None:
            result.append(copy.deepcopy(item))
        else:
            result[index] = _merge(result[index], item, strategic=True, field="")
    return result


def json_patch(target: Any, operations: Any) -> Any:
    """RFC 6902 (add, remove, replace, move, copy, test).

    Raises:
        InvalidArgumentError: malformed operation, missing path, failed test.
    """
    if not isinstance(operations, list):
        raise InvalidArgumentError("a JSON patch must be a list of operations")
    doc = copy.deepcopy(target)
    for op in operations:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise InvalidArgumentError(f"JSON patch operation needs 'op' and 'path': {op!r}")
        kind = op["op"]
        if kind == "add":
            doc = _set(doc, op["path"], copy.deepcopy(_require(op, "value")), insert=True)
        elif kind == "replace":
            _get(doc, op["path"])
            doc = _set(doc, op["path"], copy.deepcopy(_require(op, "value")), insert=False)
        elif kind == "remove":
            doc = _remove(doc, op["path"])
        elif kind in ("move", "copy"):
            value = copy.deepcopy(_get(doc, _require(op, "from")))
            if kind == "move":
                doc = _remove(doc, op["from"])
            doc = _set(doc, op["path"], value, insert=True)
        elif kind == "test":
            if _get(doc, op["path"]) != _require(op, "value"):
                raise InvalidArgumentError(f"JSON patch test failed at {op['path']}")
        else:
            raise InvalidArgumentError(f"unknown JSON patch op {kind!r}; valid: add, remove, replace, move, copy, test")
    return doc


def _require(op: dict[str, Any], key: str) -> Any:
    if key not in op:
        raise InvalidArgumentError(f"JSON patch operation {op.get('op')!r} needs {key!r}")
    return op[key]


def _tokens(path: str) -> list[str]:
    if path == "":
        return []
    if not isinstance(path, str) or not path.startswith("/"):
        raise InvalidArgumentError(f"JSON pointer must start with '/': {path!r}")
    return [t.replace("~1", "/").replace("~0", "~") for t in path[1:].split("/")]


def _index(container: list[Any], token: str, *, allow_end: bool) -> int:
    if token == "-" and allow_end:
        return len(container)
    if not token.isdigit():
        raise InvalidArgumentError(f"list index expected, got {token!r}")
    index = int(token)
    if index > len(container) or (index == len(container) and not allow_end):
        raise InvalidArgumentError(f"list index {index} out of range")
    return index


def _get(doc: Any, path: str) -> Any:
    cur = doc
    for token in _tokens(path):
        if isinstance(cur, dict):
            if token not in cur:
                raise InvalidArgumentError(f"path {path!r} does not exist")
            cur = cur[token]
        elif isinstance(cur, list):
            cur = cur[_index(cur, token, allow_end=False)]
        else:
            raise InvalidArgumentError(f"path {path!r} does not exist")
    return cur


def _set(doc: Any, path: str, value: Any, *, insert: bool) -> Any:
    tokens = _tokens(path)
    if not tokens:
        return value
    parent = _get(doc, "/" + "/".join(t.replace("~", "~0").replace("/", "~1") for t in tokens[:-1])) \
        if len(tokens) > 1 else doc
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        index = _index(parent, last, allow_end=insert)
        if insert:
            parent.insert(index, value)
        else:
            parent[index] = value
    else:
        raise InvalidArgumentError(f"cannot set {path!r}: parent is not an object or list")
    return doc


def _remove(doc: Any, path: str) -> Any:
    tokens = _tokens(path)
    if not tokens:
        raise InvalidArgumentError("cannot remove the whole document")
    parent = _get(doc, "/" + "/".join(t.replace("~", "~0").replace("/", "~1") for t in tokens[:-1])) \
        if len(tokens) > 1 else doc
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise InvalidArgumentError(f"path {path!r} does not exist")
        del parent[last]
    elif isinstance(parent, list):
        parent.pop(_index(parent, last, allow_end=False))
    else:
        raise InvalidArgumentError(f"path {path!r} does not exist")
    return doc
