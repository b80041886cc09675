"""Who may do what on the served simulator: two bearer-token identities and the access reviews that report them.

* the writer (`aoi-sim` context) may do everything the simulator's writer accepts;
* the read-only probe identity (`aoi-sim-readonly`) may get/list/watch every resource except Secrets, and gets
  403 Forbidden on every write and on Secrets, like the probe ClusterRole AOI ships.

`kubectl auth can-i` posts its SelfSubjectAccessReview / SelfSubjectRulesReview as protobuf and never falls back
to JSON, so this module decodes the few protobuf fields those reviews carry (trap 6 of the API-subset note).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aoi.cluster.serve.resources import RESOURCES
from aoi.cluster.serve.status import ApiError

READ_ONLY_VERBS = ("get", "list", "watch")
PROTOBUF = "application/vnd.kubernetes.protobuf"
_PROTOBUF_MAGIC = b"k8s\x00"


@dataclass(frozen=True, slots=True)
class Identity:
    user: str
    read_only: bool


WRITER = Identity("system:serviceaccount:aoi:aoi-executor", read_only=False)
READER = Identity("system:serviceaccount:aoi:aoi-probe", read_only=True)


def allowed(identity: Identity, verb: str, group: str, resource: str) -> bool:
    if not identity.read_only:
        return True
    return verb in READ_ONLY_VERBS and not (group == "" and resource == "secrets")


def check(identity: Identity, verb: str, group: str, resource: str, subresource: str, namespace: str | None,
          name: str) -> None:
    """Raise the API server's 403 when `identity` may not `verb` the resource.

    Raises:
        ApiError: 403 Forbidden, worded like RBAC's denial.
    """
    if allowed(identity, verb, group, resource):
        return
    qualified = f"{resource}.{group}" if group else resource
    target = f'{qualified} "{name}"' if name else qualified
    full = f"{resource}/{subresource}" if subresource else resource
    where = f' in the namespace "{namespace}"' if namespace else " at the cluster scope"
    raise ApiError(403, f'{target} is forbidden: User "{identity.user}" cannot {verb} resource "{full}" in API group '
                        f'"{group}"{where}', details={"name": name, "group": group, "kind": resource})


def access_review(identity: Identity, body: dict[str, Any]) -> dict[str, Any]:
    """Answer a SelfSubjectAccessReview (echo the spec, add the decision)."""
    spec = body.get("spec") or {}
    attrs = spec.get("resourceAttributes")
    if attrs is not None:
        ok = allowed(identity, attrs.get("verb", ""), attrs.get("group", ""), attrs.get("resource", ""))
    else:
        ok = not identity.read_only or (spec.get("nonResourceAttributes") or {}).get("verb") == "get"
    reason = "allowed by the simulator's access policy" if ok else ""
    status: dict[str, Any] = {"allowed": ok, "reason": reason} if ok else {"allowed": False}
    return {"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1", "metadata": {},
            "spec": spec, "status": status}


def rules_review(identity: Identity, body: dict[str, Any]) -> dict[str, Any]:
    """Answer a SelfSubjectRulesReview: what the identity may do in a namespace (`kubectl auth can-i --list`)."""
    if identity.read_only:
        groups: dict[str, list[str]] = {}
        for r in RESOURCES:
            if "list" in r.verbs and not (r.group == "" and r.plural == "secrets"):
                groups.setdefault(r.group, []).append(r.plural)
        rules = [{"verbs": list(READ_ONLY_VERBS), "apiGroups": [g], "resources": sorted(p)}
                 for g, p in groups.items()]
        rules.append({"verbs": ["create"], "apiGroups": ["authorization.k8s.io"],
                      "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]})
    else:
        rules = [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}]
    non_resource = [{"verbs": ["get"], "nonResourceURLs": ["/api", "/api/*", "/apis", "/apis/*", "/healthz",
                                                          "/livez", "/readyz", "/version", "/version/"]}]
    return {"kind": "SelfSubjectRulesReview", "apiVersion": "authorization.k8s.io/v1", "metadata": {},
            "spec": body.get("spec") or {},
            "status": {"resourceRules": rules, "nonResourceRules": non_resource, "incomplete": False}}


def decode_review(body: bytes, content_type: str, kind: str) -> dict[str, Any]:
    """The JSON shape of a posted access review, whether it came as JSON (or without Content-Type) or protobuf.

    Raises:
        ApiError: 400 when the body cannot be decoded.
    """
    if content_type.startswith(PROTOBUF):
        try:
            return _review_from_protobuf(body, kind)
        except (IndexError, ValueError, UnicodeDecodeError) as exc:
            raise ApiError(400, f"cannot decode the protobuf {kind}: {exc}") from exc
    try:
        decoded = json.loads(body or b"{}")
    except ValueError as exc:
        raise ApiError(400, f"the request body is not JSON: {exc}") from exc
    if not isinstance(decoded, dict):
        raise ApiError(400, f"a {kind} must be a JSON object")
    return decoded


def _review_from_protobuf(body: bytes, kind: str) -> dict[str, Any]:
    if not body.startswith(_PROTOBUF_MAGIC):
        raise ValueError("missing the k8s protobuf envelope")
    unknown = _fields(body[len(_PROTOBUF_MAGIC):])  # runtime.Unknown: 2 = raw message
    review = _fields(_one(unknown, 2))
    spec = _fields(_one(review, 2))
    if kind == "SelfSubjectRulesReview":
        return {"spec": {"namespace": _text(spec, 1)}}
    out: dict[str, Any] = {}
    if 1 in spec:
        attrs = _fields(_one(spec, 1))
        names = ("namespace", "verb", "group", "version", "resource", "subresource", "name")
        out["resourceAttributes"] = {n: _text(attrs, i) for i, n in enumerate(names, 1) if i in attrs}
    if 2 in spec:
        attrs = _fields(_one(spec, 2))
        out["nonResourceAttributes"] = {n: _text(attrs, i) for i, n in enumerate(("path", "verb"), 1) if i in attrs}
    return {"spec": out}


def _one(fields: dict[int, list[bytes]], number: int) -> bytes:
    values = fields.get(number)
    return values[-1] if values else b""


def _text(fields: dict[int, list[bytes]], number: int) -> str:
    return _one(fields, number).decode()


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _fields(data: bytes) -> dict[int, list[bytes]]:
    """The length-delimited fields of a protobuf message by field number (varint and fixed fields skipped)."""
    fields: dict[int, list[bytes]] = {}
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            _, pos = _varint(data, pos)
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        elif wire == 2:
            length, pos = _varint(data, pos)
            if pos + length > len(data):
                raise ValueError("truncated field")
            fields.setdefault(number, []).append(data[pos:pos + length])
            pos += length
        else:
            raise ValueError(f"unsupported wire type {wire}")
    return fields
