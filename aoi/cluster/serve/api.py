"""The Kubernetes API subset over the simulator: routing of one request to discovery, reads, writes and reviews.

Independent of HTTP plumbing (see `server.py`): `KubeApi.handle(Request) -> Response`. Every request that
touches the simulated cluster holds the session's lock for its duration (`SimSession.cluster()`), so writes
are immediately visible to the probe/executor MCP servers sharing the same session state.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from aoi.cluster.interface import ClusterError, InvalidArgumentError, NotFoundError
from aoi.cluster.serve import access, discovery, objects, writes
from aoi.cluster.serve.jaeger import JaegerApi
from aoi.cluster.serve.metrics import exposition
from aoi.cluster.serve.resources import Resource, lookup
from aoi.cluster.serve.status import ApiError, not_found
from aoi.cluster.serve.tables import to_table, wants_table
from aoi.cluster.serve.watch import DEFAULT_TIMEOUT_SECONDS, WatchQuery, watch
from aoi.cluster.sim.cluster import SimCluster
from aoi.cluster.sim.session import SimSession

JSON = "application/json"
MAX_LOG_LINES = 5000


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    """Header names in lower case."""
    body: bytes = b""
    tls: bool = False
    """Whether the request came over TLS; without it only the public paths answer, and never to credentials."""


@dataclass(slots=True)
class Response:
    code: int
    body: bytes
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)
    stream: Iterator[bytes] | None = None
    """Chunks sent after `body` with chunked transfer encoding (watches); the connection closes after them."""

    @classmethod
    def json(cls, obj: Any, code: int = 200, content_type: str = JSON, *, offset: int = 0) -> Response:
        """A JSON response; `offset` moves its timestamps from the simulator's clock to the wall clock."""
        return cls(code, objects.dumps_rebased(obj, offset), content_type)

    @classmethod
    def text(cls, text: str, code: int = 200, content_type: str = "text/plain; charset=utf-8") -> Response:
        return cls(code, text.encode(), content_type)


@dataclass(frozen=True, slots=True)
class _Route:
    resource: Resource
    namespace: str | None
    name: str
    subresource: str


_WRITE_VERBS = {"PATCH": "patch", "PUT": "update", "POST": "create", "DELETE": "delete"}


class KubeApi:
    """Answers API requests for one simulated cluster; `tokens` maps bearer tokens to identities."""

    def __init__(self, session: SimSession, tokens: Mapping[str, access.Identity], server_address: str) -> None:
        self._session = session
        self._tokens = {_token_digest(t): identity for t, identity in tokens.items()}
        """Keyed by the token's SHA-256: a lookup's timing can only tell a caller about a digest it cannot invert."""
        self._server_address = server_address
        self._jaeger = JaegerApi(session)
        self._stopping = threading.Event()

    def close(self) -> None:
        """End every open watch (the server is shutting down)."""
        self._stopping.set()

    # -- entry point ---------------------------------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        if not req.tls and ("authorization" in req.headers or not _public(req.path.rstrip("/") or "/")):
            return self._plain_http_refusal()
        try:
            return self._handle(req)
        except ApiError as exc:
            return Response.json(exc.status(), exc.code)

    def _plain_http_refusal(self) -> Response:
        """403 for the API or any credentials over plain HTTP; the token (if any) is never looked at.

        The reason also goes out as a `Warning` header: kubectl shows discovery errors as "unknown" unless their
        body is plain text, but prints every warning.
        """
        message = (f"the Kubernetes API of the simulated cluster is served over TLS only: use "
                   f"https://{self._server_address} with the certificate authority pinned in the kubeconfig; "
                   f"requests carrying credentials over plain HTTP are refused unchecked")
        response = Response.json(ApiError(403, message).status(), 403)
        response.headers["Warning"] = f'299 - "{message}"'
        return response

    def _handle(self, req: Request) -> Response:
        path = req.path.rstrip("/") or "/"
        if path == "/version":
            return Response.json(discovery.VERSION)
        if path in ("/healthz", "/livez", "/readyz"):
            return Response.text("ok")
        if path == "/metrics":
            with self._session.cluster(save=False) as cluster:
                return Response.text(exposition(cluster), content_type="text/plain; version=0.0.4; charset=utf-8")
        if path == "/jaeger" or path.startswith("/jaeger/"):
            code, body = self._jaeger.handle(path.removeprefix("/jaeger"), req.query)
            return Response.json(body, code)
        identity = self._identity(req)
        if path in ("/api", "/apis"):
            return self._discovery(path == "/api", req.headers.get("accept", ""))
        parts = path.strip("/").split("/")
        if parts[0] == "api" and len(parts) >= 2:
            group, version, rest = "", parts[1], parts[2:]
        elif parts[0] == "apis" and len(parts) >= 2:
            if len(parts) == 2:
                doc = discovery.api_group(parts[1])
                if doc is None:
                    raise _no_such_path()
                return Response.json(doc)
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise _no_such_path()
        if not rest:
            doc = discovery.resource_list(group, version)
            if doc is None:
                raise _no_such_path()
            return Response.json(doc)
        route = _route(group, version, rest)
        return self._resource(req, identity, route)

    def _identity(self, req: Request) -> access.Identity:
        scheme, _, token = req.headers.get("authorization", "").partition(" ")
        identity = self._tokens.get(_token_digest(token.strip())) if scheme.lower() == "bearer" else None
        if identity is None:
            raise ApiError(401, "Unauthorized")
        return identity

    def _discovery(self, core: bool, accept: str) -> Response:
        if discovery.wants_aggregated(accept):
            return Response.json(discovery.aggregated(core), content_type=discovery.AGGREGATED_V2)
        return Response.json(discovery.api_versions(self._server_address) if core else discovery.api_group_list())

    # -- resources -----------------------------------------------------------------------------------------------
    def _resource(self, req: Request, identity: access.Identity, route: _Route) -> Response:
        r = route.resource
        if r.group == "authorization.k8s.io":
            if req.method != "POST" or route.name:
                raise ApiError(405, f"{r.plural} only supports create")
            review = access.decode_review(req.body, req.headers.get("content-type", ""), r.kind)
            answer = access.access_review if r.plural == "selfsubjectaccessreviews" else access.rules_review
            return Response.json(answer(identity, review), 201)
        if req.method == "GET":
            verb = "get" if route.name else ("watch" if _flag(req.query.get("watch")) else "list")
        else:
            verb = _WRITE_VERBS.get(req.method, "")
            if not verb:
                raise ApiError(405, f"the method {req.method} is not supported")
        access.check(identity, verb, r.group, r.plural, route.subresource, route.namespace, route.name)
        if verb == "watch":
            return self._watch(req, route)
        if route.subresource and (route.subresource not in r.subresources or not route.name):
            raise _no_such_path()
        with self._session.cluster(save=req.method != "GET") as cluster:
            offset = int(time.time() - cluster.engine.state.clock.now.timestamp())
            if req.method == "GET":
                return self._read(req, route, cluster, offset)
            return self._write(req, route, cluster, offset)

    def _read(self, req: Request, route: _Route, cluster: SimCluster, offset: int) -> Response:
        r, store = route.resource, cluster.engine.state.store
        if route.subresource == "log":
            return self._log(req, route, cluster)
        if route.name:
            obj = objects.object_of(store, r, route.namespace, route.name)
            if obj is None:
                raise not_found(r.qualified, route.name)
            if route.subresource == "scale":
                return Response.json(writes.scale_of(r, obj), offset=offset)
            found = [obj]
        else:
            found = objects.select(objects.objects_of(store, r, route.namespace), req.query.get("labelSelector"),
                                   req.query.get("fieldSelector"))
        if wants_table(req.headers.get("accept", "")):
            return Response.json(to_table(r, found, now=cluster.engine.state.clock.now,
                                          include_object=req.query.get("includeObject", "Object"),
                                          resource_version=store.resource_version), offset=offset)
        if route.name:
            return Response.json(found[0], offset=offset)
        return Response.json(objects.list_body(r, found, store.resource_version), offset=offset)

    def _watch(self, req: Request, route: _Route) -> Response:
        q = req.query
        since = q.get("resourceVersion") or "0"
        if not since.isdigit():
            raise ApiError(400, f"resourceVersion: Invalid value: {since!r}: must be an integer")
        timeout = _int(q, "timeoutSeconds")
        query = WatchQuery(route.resource, route.namespace, q.get("labelSelector"), q.get("fieldSelector"),
                           int(since) or None, timeout if timeout and timeout > 0 else DEFAULT_TIMEOUT_SECONDS,
                           table=wants_table(req.headers.get("accept", "")))
        objects.select([], query.label_selector, query.field_selector)  # malformed selectors fail before streaming
        return Response(200, b"", JSON, stream=watch(self._session, query, self._stopping))

    def _log(self, req: Request, route: _Route, cluster: SimCluster) -> Response:
        if cluster.engine.state.store.get("Pod", route.namespace, route.name) is None:
            raise not_found("pods", route.name)
        q = req.query
        tail = _int(q, "tailLines")
        since = _int(q, "sinceSeconds")
        if since is not None and since < 1:
            raise ApiError(422, "sinceSeconds: Invalid value: must be greater than 0")
        if tail == 0:
            return Response.text("")
        try:
            text = cluster.logs(route.name, route.namespace or "", container=q.get("container") or None,
                                tail=min(tail, MAX_LOG_LINES) if tail is not None and tail > 0 else MAX_LOG_LINES,
                                since_seconds=since, previous=_flag(q.get("previous")))
        except (NotFoundError, InvalidArgumentError) as exc:
            raise ApiError(400, str(exc)) from exc
        out = text + "\n" if text else ""
        limit = _int(q, "limitBytes")
        return Response.text(out[:limit] if limit else out)

    def _write(self, req: Request, route: _Route, cluster: SimCluster, offset: int) -> Response:
        r, q = route.resource, req.query
        dry_run = _dry_run(q.get("dryRun"))
        content_type = req.headers.get("content-type", "")
        if content_type.startswith(access.PROTOBUF):
            # Typed clients (`kubectl create configmap`, `kubectl replace`) send protobuf; only reviews are decoded.
            raise ApiError(415, "the simulated cluster accepts JSON bodies only (protobuf is decoded for access "
                                "reviews alone); use `kubectl create -f FILE`, `kubectl apply --validate=false -f "
                                "FILE` or `kubectl patch`")
        body = objects.rebase(writes.parse_body(req.body), -offset) if req.body else None
        ns = route.namespace
        if r.derived:
            raise ApiError(405, f"{r.plural} are derived by the simulated cluster and cannot be written")
        if (req.method == "POST") == bool(route.name):
            raise ApiError(405, f"{req.method} {'on a named object' if route.name else 'on a collection'} is not "
                                f"supported by the simulated cluster")
        if route.subresource == "scale":
            patch_type = writes.patch_type_of(content_type) if req.method == "PATCH" else None
            if req.method not in ("PATCH", "PUT"):
                raise ApiError(405, "the scale subresource supports get, patch and update")
            return Response.json(writes.set_scale(cluster, r, ns, route.name, body, patch_type, dry_run),
                                 offset=offset)
        handlers: dict[str, Callable[[], tuple[dict[str, Any], int]]] = {
            "PATCH": lambda: (writes.patch_object(cluster, r, ns, route.name, body,
                                                  writes.patch_type_of(content_type), dry_run), 200),
            "PUT": lambda: (writes.replace_object(cluster, r, ns, route.name, body, dry_run), 200),
            "POST": lambda: (writes.create_object(cluster, r, ns, body, dry_run), 201),
            "DELETE": lambda: (writes.delete_object(cluster, r, ns, route.name, dry_run), 200),
        }
        try:
            obj, code = handlers[req.method]()
        except ClusterError as exc:  # raised outside the writer (e.g. by a patch routine)
            raise ApiError(422, f'{r.qualified} "{route.name}" is invalid: {exc}') from exc
        return Response.json(obj, code, offset=offset)


def _route(group: str, version: str, rest: list[str]) -> _Route:
    if rest[0] == "namespaces" and len(rest) >= 3:
        namespace, rest = rest[1], rest[2:]
    else:
        namespace = None
    resource = lookup(group, version, rest[0])
    if resource is None or len(rest) > 3:
        raise _no_such_path()
    if resource.namespaced != (namespace is not None) and (namespace is not None or len(rest) > 1):
        raise _no_such_path()
    return _Route(resource, namespace, rest[1] if len(rest) > 1 else "", rest[2] if len(rest) > 2 else "")


def _public(path: str) -> bool:
    """Paths served without credentials, also over plain HTTP (version, health, Prometheus and Jaeger)."""
    return path in ("/version", "/healthz", "/livez", "/readyz", "/metrics", "/jaeger") or path.startswith("/jaeger/")


def _no_such_path() -> ApiError:
    return ApiError(404, "the server could not find the requested resource", details={"causes": [
        {"reason": "UnexpectedServerResponse", "message": "404 page not found"}]})


def _flag(value: str | None) -> bool:
    return (value or "").lower() in ("true", "1")


def _int(query: Mapping[str, str], name: str) -> int | None:
    if not query.get(name):
        return None
    try:
        return int(query[name])
    except ValueError as exc:
        raise ApiError(400, f"{name}: invalid integer {query[name]!r}") from exc


def _dry_run(value: str | None) -> bool:
    if not value:
        return False
    if value != "All":
        raise ApiError(400, f'dryRun: Unsupported value: "{value}": supported values: "All"')
    return True


def _token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
