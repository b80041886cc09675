"""Small helpers over Kubernetes object dicts shared by the table and describe renderers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from aoi.cluster.render._quantity import ZERO, Quantity, try_parse

NODE_ROLE_PREFIX = "node-role.kubernetes.io/"
NODE_ROLE_LABEL = "kubernetes.io/role"


def dig(obj: Any, *path: str | int, default: Any = None) -> Any:
    """Follow ``path`` through nested dicts/lists; ``default`` when any step is missing or ``None``."""
    cur = obj
    for key in path:
        if isinstance(cur, Mapping) and isinstance(key, str):
            cur = cur.get(key)
        elif isinstance(cur, list) and isinstance(key, int) and -len(cur) <= key < len(cur):
            cur = cur[key]
        else:
            return default
        if cur is None:
            return default
    return cur


def meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def name_of(obj: Mapping[str, Any]) -> str:
    return str(meta(obj).get("name") or "")


def namespace_of(obj: Mapping[str, Any]) -> str:
    return str(meta(obj).get("namespace") or "")


def labels_of(obj: Mapping[str, Any]) -> dict[str, str]:
    return dict(meta(obj).get("labels") or {})


def format_labels(labels: Mapping[str, Any] | None) -> str:
    """``labels.FormatLabels``: sorted ``k=v`` joined by commas, ``<none>`` when empty."""
    if not labels:
        return "<none>"
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def selector_string(selector: Mapping[str, Any] | None) -> str:
    """``LabelSelectorAsSelector(sel).String()``; empty string for an empty selector."""
    if not selector:
        return ""
    reqs: list[tuple[str, str]] = []
    for key, value in (selector.get("matchLabels") or {}).items():
        reqs.append((key, f"{key}={value}"))
    for expr in selector.get("matchExpressions") or []:
        key, op = expr.get("key", ""), expr.get("operator", "")
        values = ",".join(sorted(expr.get("values") or []))
        text = {
            "In": f"{key} in ({values})",
            "NotIn": f"{key} notin ({values})",
            "Exists": key,
            "DoesNotExist": f"!{key}",
        }.get(op, f"{key} {op.lower()} ({values})")
        reqs.append((key, text))
    reqs.sort(key=lambda r: r[0])
    return ",".join(text for _, text in reqs)


def format_label_selector(selector: Mapping[str, Any] | None) -> str:
    """``metav1.FormatLabelSelector``: like ``selector_string`` but ``<none>`` when empty."""
    return selector_string(selector) or "<none>"


def controller_of(obj: Mapping[str, Any]) -> dict[str, Any] | None:
    """The owner reference marked ``controller: true``, if any."""
    for ref in meta(obj).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None


def node_roles(node: Mapping[str, Any]) -> list[str]:
    """``findNodeRoles``: roles from ``node-role.kubernetes.io/<role>`` and ``kubernetes.io/role`` labels."""
    roles: set[str] = set()
    for key, value in labels_of(node).items():
        if key.startswith(NODE_ROLE_PREFIX) and key[len(NODE_ROLE_PREFIX) :]:
            roles.add(key[len(NODE_ROLE_PREFIX) :])
        elif key == NODE_ROLE_LABEL and value:
            roles.add(str(value))
    return sorted(roles)


def access_modes(modes: Iterable[str] | None) -> str:
    """``GetAccessModesAsString``: RWO, ROX, RWX, RWOP in that fixed order."""
    present = set(modes or [])
    order = (("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"), ("ReadWriteOncePod", "RWOP"))
    return ",".join(short for mode, short in order if mode in present)


def pv_class(pv: Mapping[str, Any]) -> str:
    beta = meta(pv).get("annotations") or {}
    if "volume.beta.kubernetes.io/storage-class" in beta:
        return str(beta["volume.beta.kubernetes.io/storage-class"])
    return str(dig(pv, "spec", "storageClassName", default=""))


def pvc_class(pvc: Mapping[str, Any]) -> str:
    beta = meta(pvc).get("annotations") or {}
    if "volume.beta.kubernetes.io/storage-class" in beta:
        return str(beta["volume.beta.kubernetes.io/storage-class"])
    return str(dig(pvc, "spec", "storageClassName", default=""))


def int_or_string(value: Any) -> str:
    """``IntOrString.String()``."""
    return "" if value is None else str(value)


def is_restartable_init(container: Mapping[str, Any]) -> bool:
    return container.get("restartPolicy") == "Always"


def _add_into(total: dict[str, Quantity], resources: Mapping[str, Any] | None) -> None:
    for name, raw in (resources or {}).items():
        q = raw if isinstance(raw, Quantity) else try_parse(raw)
        if q is None:
            continue
        total[name] = total[name] + q if name in total else q


def _max_into(total: dict[str, Quantity], other: Mapping[str, Quantity]) -> None:
    for name, q in other.items():
        if name not in total or q.value > total[name].value:
            total[name] = q


def _pod_resource_totals(pod: Mapping[str, Any], field: str) -> dict[str, Quantity]:
    """Sum a pod's container ``requests``/``limits`` the way kubectl's ``PodRequestsAndLimits`` does.

    Regular containers and restartable (sidecar) init containers add up; an ordinary init container only
    raises the total to its own value (plus the sidecars started before it); pod overhead is added on top.
    """
    total: dict[str, Quantity] = {}
    spec = pod.get("spec") or {}
    for container in spec.get("containers") or []:
        _add_into(total, dig(container, "resources", field))
    sidecars: dict[str, Quantity] = {}
    init_peak: dict[str, Quantity] = {}
    for container in spec.get("initContainers") or []:
        resources = dig(container, "resources", field)
        if is_restartable_init(container):
            _add_into(total, resources)
            _add_into(sidecars, resources)
            current = dict(sidecars)
        else:
            current = {}
            _add_into(current, resources)
            _add_into(current, sidecars)
        _max_into(init_peak, current)
    _max_into(total, init_peak)
    overhead = spec.get("overhead") or {}
    if field == "requests":
        _add_into(total, overhead)
    else:
        _add_into(total, {k: v for k, v in overhead.items() if k in total})
    return total


def pod_requests_and_limits(pod: Mapping[str, Any]) -> tuple[dict[str, Quantity], dict[str, Quantity]]:
    return _pod_resource_totals(pod, "requests"), _pod_resource_totals(pod, "limits")


def quantity_or_zero(resources: Mapping[str, Quantity], name: str) -> Quantity:
    return resources.get(name, ZERO)


def pod_qos_class(pod: Mapping[str, Any]) -> str:
    """``qos.GetPodQOS``: ``status.qosClass`` when set, otherwise computed from cpu/memory requests and limits.

    A limit without a request counts as a request of the same size, as the API server defaults it.
    """
    declared = dig(pod, "status", "qosClass")
    if declared:
        return str(declared)
    spec = pod.get("spec") or {}
    requests: dict[str, Quantity] = {}
    limits: dict[str, Quantity] = {}
    guaranteed = True
    for container in list(spec.get("containers") or []) + list(spec.get("initContainers") or []):
        lim = _positive_compute(dig(container, "resources", "limits"))
        req = {**lim, **_positive_compute(dig(container, "resources", "requests"))}
        _add_into(requests, req)
        _add_into(limits, lim)
        if not {"cpu", "memory"} <= set(lim):
            guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    matching = all(name in limits and limits[name].value == q.value for name, q in requests.items())
    if guaranteed and matching and len(requests) == len(limits):
        return "Guaranteed"
    return "Burstable"


def _positive_compute(resources: Mapping[str, Any] | None) -> dict[str, Quantity]:
    out: dict[str, Quantity] = {}
    for name in ("cpu", "memory"):
        q = try_parse((resources or {}).get(name))
        if q is not None and q.value > 0:
            out[name] = q
    return out


def sort_key(obj: Mapping[str, Any]) -> tuple[str, str]:
    """The API server's list order: by namespace, then name (etcd key order)."""
    return (namespace_of(obj), name_of(obj))
