"""The Kubernetes API as plain dicts: one request path, typed errors, a table of the resource types AOI reads.

The official client's transport (kubeconfig loading, TLS, bearer tokens and exec plugins) is used as is, but
responses are decoded as JSON dicts rather than generated models: the renderers consume `kubectl get -o json`
shaped dicts, and the models reject objects that kubectl accepts. Every request carries a timeout; nothing is
retried (a write must run at most once; a read the caller can repeat).
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Literal

from aoi.cluster.interface import ClusterError, ConflictError, ForbiddenError, InvalidArgumentError, NotFoundError

PatchType = Literal["merge", "json", "strategic"]
FIELD_MANAGER = "aoi"
"""The field manager recorded on every object AOI changes (`kubectl get -o yaml --show-managed-fields`)."""

PATCH_CONTENT_TYPES: dict[str, str] = {"merge": "application/merge-patch+json",
                                       "json": "application/json-patch+json",
                                       "strategic": "application/strategic-merge-patch+json"}


@dataclass(frozen=True, slots=True)
class ResourceType:
    kind: str
    api_version: str
    """`v1` for the core group, else `group/version`."""
    plural: str
    namespaced: bool

    def path(self, namespace: str | None = None, name: str | None = None, subresource: str | None = None) -> str:
        base = "/api/v1" if self.api_version == "v1" else f"/apis/{self.api_version}"
        parts = [base]
        if self.namespaced and namespace:
            parts += ["namespaces", namespace]
        parts.append(self.plural)
        if name:
            parts.append(name)
            if subresource:
                parts.append(subresource)
        return "/".join(parts)


def _types(api_version: str, namespaced: bool, *kinds: tuple[str, str]) -> list[ResourceType]:
    return [ResourceType(kind, api_version, plural, namespaced) for kind, plural in kinds]


RESOURCE_TYPES: dict[str, ResourceType] = {t.kind: t for t in [
    *_types("v1", True, ("Pod", "pods"), ("Service", "services"), ("Endpoints", "endpoints"), ("Event", "events"),
            ("ConfigMap", "configmaps"), ("Secret", "secrets"), ("ServiceAccount", "serviceaccounts"),
            ("PersistentVolumeClaim", "persistentvolumeclaims"), ("ResourceQuota", "resourcequotas"),
            ("LimitRange", "limitranges")),
    *_types("v1", False, ("Node", "nodes"), ("Namespace", "namespaces"), ("PersistentVolume", "persistentvolumes")),
    *_types("apps/v1", True, ("Deployment", "deployments"), ("ReplicaSet", "replicasets"),
            ("StatefulSet", "statefulsets"), ("DaemonSet", "daemonsets")),
    *_types("batch/v1", True, ("Job", "jobs")),
    *_types("networking.k8s.io/v1", True, ("Ingress", "ingresses"), ("NetworkPolicy", "networkpolicies")),
    *_types("storage.k8s.io/v1", False, ("StorageClass", "storageclasses")),
    *_types("rbac.authorization.k8s.io/v1", True, ("RoleBinding", "rolebindings")),
    *_types("coordination.k8s.io/v1", True, ("Lease", "leases")),
    *_types("discovery.k8s.io/v1", True, ("EndpointSlice", "endpointslices")),
    *_types("chaos-mesh.org/v1alpha1", True, ("PodChaos", "podchaos"), ("NetworkChaos", "networkchaos"),
            ("StressChaos", "stresschaos")),
]}


def resource_type(kind: str) -> ResourceType:
    """Raises:
        InvalidArgumentError: a kind this backend does not know (lists the known ones).
    """
    found = RESOURCE_TYPES.get(kind)
    if found is None:
        raise InvalidArgumentError(f"unknown kind {kind!r}; known kinds: {', '.join(sorted(RESOURCE_TYPES))}")
    return found


class KubeApi:
    """A kubeconfig context's API server, spoken to with JSON dicts.

    `api_client` is the official client's `ApiClient` (it holds host, TLS and credentials); build one with
    `KubeApi.from_kubeconfig`.
    """

    def __init__(self, api_client: Any, *, context: str, namespace: str, timeout_s: float = 10.0) -> None:
        self._client = api_client
        self.context = context
        self.namespace = namespace
        self.timeout_s = timeout_s
        self.server_time: datetime | None = None
        """The API server's clock (its `Date` header) at the last response; table ages are computed with it."""

    @classmethod
    def from_kubeconfig(cls, kubeconfig: str | None = None, context: str | None = None, *,
                        namespace: str | None = None, timeout_s: float = 10.0) -> KubeApi:
        """Load a kubeconfig context (default: `$KUBECONFIG`, else `~/.kube/config`, else in-cluster credentials).

        Raises:
            InvalidArgumentError: the kubeconfig is missing or unreadable, or has no such context.
        """
        from kubernetes import client, config
        from kubernetes.config.config_exception import ConfigException

        path = Path(kubeconfig or os.environ.get("KUBECONFIG", "").split(os.pathsep)[0] or "~/.kube/config")
        path = path.expanduser()
        configuration = client.Configuration()
        if not path.exists() and kubeconfig is None and os.environ.get("KUBERNETES_SERVICE_HOST"):
            config.load_incluster_config(client_configuration=configuration)
            token_ns = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
            chosen_ns = namespace or (token_ns.read_text().strip() if token_ns.exists() else "default")
            configuration.retries = 0
            return cls(client.ApiClient(configuration), context="in-cluster", namespace=chosen_ns,
                       timeout_s=timeout_s)
        if not path.exists():
            raise InvalidArgumentError(f"kubeconfig {path} does not exist; set kube.kubeconfig in the AOI config, "
                                       f"$KUBECONFIG, or pass kube:CONTEXT with a kubeconfig in ~/.kube/config")
        try:
            contexts, current = config.list_kube_config_contexts(str(path))
            chosen = next((c for c in contexts if c["name"] == context), None) if context else current
            if chosen is None:
                names = ", ".join(c["name"] for c in contexts)
                raise InvalidArgumentError(f"context {context!r} is not in {path}; contexts: {names}")
            config.load_kube_config(config_file=str(path), context=chosen["name"], client_configuration=configuration,
                                    persist_config=False)
        except ConfigException as exc:
            raise InvalidArgumentError(f"kubeconfig {path}: {exc}") from exc
        configuration.retries = 0
        chosen_ns = namespace or chosen.get("context", {}).get("namespace") or "default"
        return cls(client.ApiClient(configuration), context=chosen["name"], namespace=chosen_ns, timeout_s=timeout_s)

    @property
    def host(self) -> str:
        return str(self._client.configuration.host)

    def close(self) -> None:
        self._client.close()

    # -- the one request path --------------------------------------------------------------------------------------
    def request(self, method: str, path: str, *, query: dict[str, Any] | None = None, body: Any = None,
                content_type: str | None = None, accept: str = "application/json") -> bytes:
        """Send one request; return the body of a 2xx answer.

        Raises:
            NotFoundError (404), ForbiddenError (403), ConflictError (409), InvalidArgumentError (400, 422),
            ClusterError (anything else, an unreachable server or a timeout), each with the server's message.
        """
        import urllib3
        from kubernetes.client.exceptions import ApiException

        headers = {"Accept": accept}
        if content_type:
            headers["Content-Type"] = content_type
        params = [(k, v) for k, v in (query or {}).items() if v is not None]
        try:
            _, url, headers, body, _ = self._client.param_serialize(method, path, query_params=params,
                                                                   header_params=headers, body=body,
                                                                   auth_settings=["BearerToken"])
            response = self._client.call_api(method, url, header_params=headers, body=body,
                                             _request_timeout=self.timeout_s)
            data = response.read()
        except urllib3.exceptions.HTTPError as exc:
            raise ClusterError(f"cannot reach the Kubernetes API server at {self.host} (context {self.context}): "
                               f"{exc}") from exc
        except ApiException as exc:  # TLS failures surface as ApiException(status=0)
            raise ClusterError(f"cannot reach the Kubernetes API server at {self.host}: {exc.reason}") from exc
        self._note_time(response.getheader("date"))
        if not 200 <= response.status < 300:
            raise status_error(response.status, data, f"{method} {path}")
        return bytes(data)

    def _note_time(self, header: str | None) -> None:
        if header:
            with contextlib.suppress(TypeError, ValueError):
                self.server_time = parsedate_to_datetime(header).astimezone(UTC)

    def now(self) -> datetime:
        """The server's clock when known (tables print ages as the API server computes them), else this one's."""
        return self.server_time or datetime.now(UTC)

    def json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        data = self.request(method, path, **kwargs)
        try:
            value = json.loads(data or b"{}")
        except ValueError as exc:
            raise ClusterError(f"{method} {path}: the API server answered with something other than JSON") from exc
        if not isinstance(value, dict):
            raise ClusterError(f"{method} {path}: expected a JSON object from the API server")
        return value

    # -- objects -------------------------------------------------------------------------------------------------
    def get(self, kind: str, namespace: str | None, name: str) -> dict[str, Any]:
        """Raises:
            NotFoundError: no such object. Other `ClusterError`s as `request`.
        """
        rt = resource_type(kind)
        obj = self.json("GET", rt.path(namespace, name))
        return _typed(obj, rt)

    def find(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        """The object, or None when it does not exist."""
        try:
            return self.get(kind, namespace, name)
        except NotFoundError:
            return None

    def list(self, kind: str, namespace: str | None = None, *, label_selector: str | None = None,
             field_selector: str | None = None) -> list[dict[str, Any]]:
        """Every object of `kind` in `namespace` (all namespaces when None), with `kind`/`apiVersion` set on each
        item (list items arrive without them)."""
        rt = resource_type(kind)
        items: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page = self.json("GET", rt.path(namespace), query={"labelSelector": label_selector,
                                                               "fieldSelector": field_selector, "limit": 500,
                                                               "continue": token})
            items += [_typed(item, rt) for item in page.get("items") or []]
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return items

    def patch(self, kind: str, namespace: str | None, name: str, body: Any, patch_type: PatchType, *,
              dry_run: bool) -> dict[str, Any]:
        rt = resource_type(kind)
        return _typed(self.json("PATCH", rt.path(namespace, name), body=body,
                                content_type=PATCH_CONTENT_TYPES[patch_type], query=_write_query(dry_run)), rt)

    def create(self, obj: dict[str, Any], *, dry_run: bool) -> dict[str, Any]:
        rt = resource_type(obj["kind"])
        namespace = obj["metadata"].get("namespace")
        return _typed(self.json("POST", rt.path(namespace), body=obj, content_type="application/json",
                                query=_write_query(dry_run)), rt)

    def delete(self, kind: str, namespace: str | None, name: str, *, resource_version: str | None,
               dry_run: bool) -> None:
        """Delete with a resourceVersion precondition (409 when the object changed since it was read)."""
        rt = resource_type(kind)
        options: dict[str, Any] = {"kind": "DeleteOptions", "apiVersion": "v1"}
        if resource_version:
            options["preconditions"] = {"resourceVersion": resource_version}
        if dry_run:
            options["dryRun"] = ["All"]
        self.request("DELETE", rt.path(namespace, name), body=options, content_type="application/json",
                     query={"dryRun": "All"} if dry_run else None)

    def pod_log(self, namespace: str, pod: str, *, container: str, tail: int | None, since_seconds: int | None,
                previous: bool) -> str:
        query = {"container": container, "tailLines": tail, "sinceSeconds": since_seconds,
                 "previous": "true" if previous else None}
        path = RESOURCE_TYPES["Pod"].path(namespace, pod, "log")
        return self.request("GET", path, query=query, accept="text/plain, application/json").decode(
            "utf-8", "replace")

    def access_review(self, verb: str, resource: str, *, group: str = "", namespace: str | None = None,
                      subresource: str = "", name: str = "") -> tuple[bool, str]:
        """SelfSubjectAccessReview: may the current identity do this? Returns (allowed, reason)."""
        attributes = {k: v for k, v in {"verb": verb, "resource": resource, "group": group, "namespace": namespace,
                                        "subresource": subresource, "name": name}.items() if v}
        review = {"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
                  "spec": {"resourceAttributes": attributes}}
        result = self.json("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body=review,
                           content_type="application/json")
        status = result.get("status") or {}
        return bool(status.get("allowed")), str(status.get("reason") or status.get("evaluationError") or "")

    def version(self) -> dict[str, Any]:
        return self.json("GET", "/version")


def _write_query(dry_run: bool) -> dict[str, Any]:
    return {"fieldManager": FIELD_MANAGER, "dryRun": "All" if dry_run else None}


def _typed(obj: dict[str, Any], rt: ResourceType) -> dict[str, Any]:
    obj.setdefault("kind", rt.kind)
    obj.setdefault("apiVersion", rt.api_version)
    obj.setdefault("metadata", {})
    return obj


def status_error(status: int, body: bytes, what: str) -> ClusterError:
    """The typed error for an API status code, carrying the server's `Status.message`."""
    message = ""
    try:
        decoded = json.loads(body or b"{}")
        if isinstance(decoded, dict):
            message = str(decoded.get("message") or "")
    except ValueError:
        message = body.decode("utf-8", "replace").strip()[:500]
    message = message or f"{what}: HTTP {status}"
    if status == 404:
        return NotFoundError(message)
    if status == 403:
        return ForbiddenError(message)
    if status == 409:
        return ConflictError(message)
    if status in (400, 422):
        return InvalidArgumentError(message)
    if status == 401:
        return ClusterError(f"the API server rejected the credentials (401 Unauthorized): {message}")
    return ClusterError(f"{what}: HTTP {status}: {message}")
