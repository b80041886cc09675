"""API discovery documents: `/version`, aggregated discovery (`/api`, `/apis` as APIGroupDiscoveryList v2) and the
legacy documents (APIVersions, APIGroupList, APIResourceList) that older clients and `kubectl auth can-i` read.

Aggregated discovery must be answered only when the client asks for exactly that media type, with that exact
Content-Type: a v2 body sent as plain JSON is silently read as legacy discovery and every resource type
"does not exist" (see ../shared/notes/kubernetes-api-subset.md, trap 2).
"""

from __future__ import annotations

from typing import Any

from aoi.cluster.serve.resources import GROUPS, Resource, group_resources

AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

VERSION: dict[str, str] = {
    # The gcloud kubectl dispatcher runs kubectl.1.<minor>; 32 keeps it on its built-in v1.32 (trap 7).
    "major": "1", "minor": "32", "gitVersion": "v1.32.0-aoi-sim", "gitCommit": "0" * 40, "gitTreeState": "clean",
    "buildDate": "2026-01-05T09:00:00Z", "goVersion": "go1.23.4", "compiler": "gc", "platform": "linux/amd64",
}

_SUBRESOURCE_KINDS = {"scale": ("autoscaling", "v1", "Scale", ("get", "patch", "update")),
                      "log": ("", "v1", "Pod", ("get",))}


def wants_aggregated(accept: str) -> bool:
    """Whether an Accept header lists the aggregated discovery v2 media type (parameters compared exactly)."""
    for entry in accept.split(","):
        params = [p.strip() for p in entry.split(";")]
        if params[0] == "application/json" and set(params[1:]) == {"g=apidiscovery.k8s.io", "v=v2",
                                                                    "as=APIGroupDiscoveryList"}:
            return True
    return False


def aggregated(core: bool) -> dict[str, Any]:
    """The APIGroupDiscoveryList of `/api` (`core`) or `/apis`."""
    groups = [""] if core else list(GROUPS)
    items = []
    for group in groups:
        resources = group_resources(group)
        items.append({"metadata": {"name": group} if group else {},
                      "versions": [{"version": "v1", "freshness": "Current",
                                    "resources": [_aggregated_resource(r) for r in resources]}]})
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items}


def _aggregated_resource(r: Resource) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "resource": r.plural, "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
        "scope": "Namespaced" if r.namespaced else "Cluster", "singularResource": r.singular, "verbs": list(r.verbs),
    }
    if r.short_names:
        entry["shortNames"] = list(r.short_names)
    if r.categories:
        entry["categories"] = list(r.categories)
    if r.subresources:
        entry["subresources"] = []
        for sub in r.subresources:
            group, version, kind, verbs = _SUBRESOURCE_KINDS[sub]
            entry["subresources"].append({"subresource": sub, "verbs": list(verbs),
                                          "responseKind": {"group": group, "version": version, "kind": kind}})
    return entry


def api_versions(server_address: str) -> dict[str, Any]:
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}


def api_group_list() -> dict[str, Any]:
    groups = []
    for group in GROUPS:
        gv = {"groupVersion": f"{group}/v1", "version": "v1"}
        groups.append({"name": group, "versions": [gv], "preferredVersion": gv})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(group: str) -> dict[str, Any] | None:
    if group not in GROUPS:
        return None
    gv = {"groupVersion": f"{group}/v1", "version": "v1"}
    return {"kind": "APIGroup", "apiVersion": "v1", "name": group, "versions": [gv], "preferredVersion": gv}


def resource_list(group: str, version: str) -> dict[str, Any] | None:
    """The legacy APIResourceList of one group version, or None when it is not served."""
    resources = group_resources(group)
    if version != "v1" or not resources:
        return None
    entries: list[dict[str, Any]] = []
    for r in resources:
        entry: dict[str, Any] = {"name": r.plural, "singularName": r.singular, "namespaced": r.namespaced,
                                 "kind": r.kind, "verbs": list(r.verbs)}
        if r.short_names:
            entry["shortNames"] = list(r.short_names)
        if r.categories:
            entry["categories"] = list(r.categories)
        entries.append(entry)
        for sub in r.subresources:
            sub_group, sub_version, kind, verbs = _SUBRESOURCE_KINDS[sub]
            entries.append({"name": f"{r.plural}/{sub}", "singularName": "", "namespaced": r.namespaced,
                            "group": sub_group, "version": sub_version, "kind": kind, "verbs": list(verbs)})
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": resources[0].group_version,
            "resources": entries}
