"""Istio: the sidecar injector's pod mutation, the proxy's programs, and what Envoy makes of a call.

With the mesh on (`SimCluster(app, mesh="istio")`) the app's namespace carries `istio-injection=enabled` and the
ReplicaSet controller's pods pass through `inject()` at admission, as they pass through Istio's mutating webhook:
an `istio-init` init container (iptables redirection), an `istio-proxy` container (pilot-agent and Envoy), the
annotations, labels and volumes the injector adds, and the app's probes rewritten to the agent's
`/app-health/<container>/livez|readyz` on port 15020 (the originals travel in `ISTIO_KUBE_APP_PROBERS`). The
Deployment itself is unchanged: `kubectl get deploy -o yaml` shows the manifest as applied.

Everything else follows from that pod spec: the kubelet runs the init container, then both containers; the agent
answers a rewritten probe by running the original against the app; a caller whose pod has a running proxy reaches
its callees through Envoy (`envoy_call`), which routes to endpoint pods itself (kube-proxy is not on its path),
retries refused connections, and answers `no healthy upstream` or `upstream connect error ...` where a plain
client would see a dial error; each proxy writes Envoy's access log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from aoi.cluster.sim.apps.model import Component

if TYPE_CHECKING:
    from aoi.cluster.sim.network import Connection

Mesh = Literal["istio"]
"""A service mesh the simulator can install: Istio with sidecar injection."""
MESHES: tuple[str, ...] = ("istio",)
MESH_APPS = ("online-boutique",)
"""Apps whose manifests run under the mesh (Online Boutique ships an Istio variant)."""

ISTIO_VERSION = "1.22.3"
PROXY_IMAGE = f"docker.io/istio/proxyv2:{ISTIO_VERSION}"
PROXY_CONTAINER = "istio-proxy"
INIT_CONTAINER = "istio-init"
AGENT_PORT = 15020
"""pilot-agent: merged Prometheus metrics and the rewritten application probes (`/app-health/...`)."""
HEALTH_PORT = 15021
INJECT_LABEL = "istio-injection"
CA_CONFIGMAP = "istio-ca-root-cert"
"""istiod writes its root certificate into every namespace; the injected pod mounts it."""
PROBERS_ENV = "ISTIO_KUBE_APP_PROBERS"
NO_HEALTHY_UPSTREAM = "no healthy upstream"
CONNECT_FAILURE = ("upstream connect error or disconnect/reset before headers. reset reason: connection failure, "
                   "transport failure reason: delayed connect error: 111")
RETRIED_CONNECT_FAILURE = ("upstream connect error or disconnect/reset before headers. retried and the latest reset "
                           "reason: remote connection failure, transport failure reason: delayed connect error: 111")
CONNECT_TIMEOUT = "upstream connect error or disconnect/reset before headers. reset reason: connection timeout"
RETRIES = 2
"""Istio's default retry policy: two retries on connect-failure, refused-stream, unavailable and 503."""

PROXY = Component(name=PROXY_CONTAINER, kind="proxy", image=PROXY_IMAGE, port=None, protocol=None,
                  container=PROXY_CONTAINER, command=("proxy",), target_port=HEALTH_PORT, log_style="envoy",
                  startup_seconds=2, cpu_request_m=100, cpu_limit_m=2000, mem_request_mi=128, mem_limit_mi=1024,
                  mem_working_mi=45)
"""pilot-agent starting Envoy; the kubelet sees it listen on the health port once Envoy has its config."""
PROXY_INIT = Component(name=INIT_CONTAINER, kind="proxy", image=PROXY_IMAGE, port=None, protocol=None,
                       container=INIT_CONTAINER, command=("istio-iptables",), log_style="istio-iptables",
                       runs_for_seconds=2,
                       cpu_request_m=100, cpu_limit_m=2000, mem_request_mi=128, mem_limit_mi=1024, mem_working_mi=5)
"""`istio-iptables`: writes the redirection rules into the pod's network namespace and exits 0."""


def check_mesh(app: str, mesh: str | None) -> None:
    """Raises:
        ValueError: an unknown mesh, or an app without a mesh variant (the message names the valid ones)."""
    if mesh is None:
        return
    if mesh not in MESHES:
        raise ValueError(f"unknown mesh {mesh!r}; meshes: {', '.join(MESHES)}")
    if app not in MESH_APPS:
        raise ValueError(f"mesh {mesh!r} is available for {', '.join(MESH_APPS)} only, not {app}")


def install(namespace: dict[str, Any], ca_configmap_age: str) -> dict[str, Any]:
    """Label the app's namespace for injection; return istiod's root-certificate ConfigMap for it."""
    namespace["metadata"]["labels"][INJECT_LABEL] = "enabled"
    return {"kind": "ConfigMap", "metadata": {"name": CA_CONFIGMAP, "namespace": namespace["metadata"]["name"],
                                              "creationTimestamp": ca_configmap_age},
            "data": {"root-cert.pem": "-----BEGIN CERTIFICATE-----\nMIIC/DCCAeSgAwIBAgIQIstiodRootCA0\n"
                                      "-----END CERTIFICATE-----\n"}}


def injects(namespace: dict[str, Any] | None, meta: dict[str, Any]) -> bool:
    """Whether the webhook mutates a pod: its namespace is labelled and the pod did not opt out."""
    labels = (namespace or {}).get("metadata", {}).get("labels") or {}
    return labels.get(INJECT_LABEL) == "enabled" and \
        (meta.get("annotations") or {}).get("sidecar.istio.io/inject") != "false"


def inject(meta: dict[str, Any], spec: dict[str, Any], workload: str, namespace: str) -> None:
    """Mutate a pod as Istio's sidecar injector does (metadata and spec of the ReplicaSet's template copy)."""
    app = spec["containers"][0]
    probers: dict[str, Any] = {}
    for container in spec["containers"]:
        for field, kind in (("livenessProbe", "livez"), ("readinessProbe", "readyz"), ("startupProbe", "startupz")):
            probe = container.get(field)
            if not probe:
                continue
            path = f"/app-health/{container['name']}/{kind}"
            action = next(k for k in ("httpGet", "tcpSocket", "grpc", "exec") if k in probe)
            if action == "exec":
                continue  # the agent cannot run commands in another container: exec probes stay as they are
            original = {action: dict(probe[action])}
            if action == "grpc":
                original["grpc"].setdefault("service", None)
            original["timeoutSeconds"] = probe.get("timeoutSeconds", 1)
            probers[path] = original
            timing = {k: v for k, v in probe.items() if k not in ("httpGet", "tcpSocket", "grpc")}
            container[field] = {"httpGet": {"path": path, "port": AGENT_PORT, "scheme": "HTTP"}, **timing}
    labels = meta.setdefault("labels", {})
    labels["security.istio.io/tlsMode"] = "istio"
    labels["service.istio.io/canonical-name"] = labels.get("app.kubernetes.io/name") or labels.get("app") or workload
    labels["service.istio.io/canonical-revision"] = labels.get("version", "latest")
    volumes = ["workload-socket", "credential-socket", "workload-certs", "istio-envoy", "istio-data", "istio-podinfo",
               "istio-token", "istiod-ca-cert"]
    meta.setdefault("annotations", {}).update({
        "istio.io/rev": "default",
        "kubectl.kubernetes.io/default-container": app["name"],
        "kubectl.kubernetes.io/default-logs-container": app["name"],
        "prometheus.io/path": "/stats/prometheus",
        "prometheus.io/port": str(AGENT_PORT),
        "prometheus.io/scrape": "true",
        "sidecar.istio.io/status": json.dumps({"initContainers": [INIT_CONTAINER], "containers": [PROXY_CONTAINER],
                                               "volumes": volumes, "imagePullSecrets": None, "revision": "default"},
                                              separators=(",", ":")),
    })
    resources = {"limits": {"cpu": "2", "memory": "1Gi"}, "requests": {"cpu": "100m", "memory": "128Mi"}}
    spec["initContainers"] = [*(spec.get("initContainers") or []), {
        "name": INIT_CONTAINER, "image": PROXY_IMAGE, "imagePullPolicy": "IfNotPresent",
        "args": ["istio-iptables", "-p", "15001", "-z", "15006", "-u", "1337", "-m", "REDIRECT", "-i", "*", "-x", "",
                 "-b", "*", "-d", f"15090,{HEALTH_PORT},{AGENT_PORT}", "--log_output_level=default:info"],
        "resources": json.loads(json.dumps(resources)),
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"add": ["NET_ADMIN", "NET_RAW"],
                                                                              "drop": ["ALL"]},
                            "privileged": False, "readOnlyRootFilesystem": False, "runAsGroup": 0,
                            "runAsNonRoot": False, "runAsUser": 0},
        "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}]
    pod_ports = [p for c in spec["containers"] for p in c.get("ports") or []]

    def field_env(name: str, path: str) -> dict[str, Any]:
        return {"name": name, "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": path}}}

    env: list[dict[str, Any]] = [
        {"name": "PILOT_CERT_PROVIDER", "value": "istiod"},
        {"name": "CA_ADDR", "value": "istiod.istio-system.svc:15012"},
        field_env("POD_NAME", "metadata.name"), field_env("POD_NAMESPACE", "metadata.namespace"),
        field_env("INSTANCE_IP", "status.podIP"), field_env("SERVICE_ACCOUNT", "spec.serviceAccountName"),
        field_env("HOST_IP", "status.hostIP"),
        {"name": "ISTIO_CPU_LIMIT", "valueFrom": {"resourceFieldRef": {"divisor": "0", "resource": "limits.cpu"}}},
        {"name": "PROXY_CONFIG", "value": "{}\n"},
        {"name": "ISTIO_META_POD_PORTS", "value": json.dumps(pod_ports, separators=(",", ":"))},
        {"name": "ISTIO_META_APP_CONTAINERS", "value": ",".join(c["name"] for c in spec["containers"])},
        {"name": "ISTIO_META_CLUSTER_ID", "value": "Kubernetes"},
        field_env("ISTIO_META_NODE_NAME", "spec.nodeName"),
        {"name": "ISTIO_META_INTERCEPTION_MODE", "value": "REDIRECT"},
        {"name": "ISTIO_META_WORKLOAD_NAME", "value": workload},
        {"name": "ISTIO_META_OWNER",
         "value": f"kubernetes://apis/apps/v1/namespaces/{namespace}/deployments/{workload}"},
        {"name": "ISTIO_META_MESH_ID", "value": "cluster.local"},
        {"name": "TRUST_DOMAIN", "value": "cluster.local"},
    ]
    if probers:
        env.append({"name": PROBERS_ENV, "value": json.dumps(probers, separators=(",", ":"))})
    health = {"httpGet": {"path": "/healthz/ready", "port": HEALTH_PORT, "scheme": "HTTP"}, "timeoutSeconds": 3,
              "successThreshold": 1}
    spec["containers"].append({
        "name": PROXY_CONTAINER, "image": PROXY_IMAGE, "imagePullPolicy": "IfNotPresent",
        "args": ["proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local", "--proxyLogLevel=warning",
                 "--proxyComponentLogLevel=misc:error", "--log_output_level=default:info"],
        "env": env,
        "ports": [{"containerPort": 15090, "name": "http-envoy-prom", "protocol": "TCP"}],
        "readinessProbe": {**health, "failureThreshold": 4, "initialDelaySeconds": 0, "periodSeconds": 15},
        "startupProbe": {**health, "failureThreshold": 600, "initialDelaySeconds": 0, "periodSeconds": 1},
        "resources": resources,
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                            "privileged": False, "readOnlyRootFilesystem": True, "runAsGroup": 1337,
                            "runAsNonRoot": True, "runAsUser": 1337},
        "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
        "volumeMounts": [{"name": "workload-socket", "mountPath": "/var/run/secrets/workload-spiffe-uds"},
                         {"name": "credential-socket", "mountPath": "/var/run/secrets/credential-uds"},
                         {"name": "workload-certs", "mountPath": "/var/run/secrets/workload-spiffe-credentials"},
                         {"name": "istiod-ca-cert", "mountPath": "/var/run/secrets/istio"},
                         {"name": "istio-data", "mountPath": "/var/lib/istio/data"},
                         {"name": "istio-envoy", "mountPath": "/etc/istio/proxy"},
                         {"name": "istio-token", "mountPath": "/var/run/secrets/tokens"},
                         {"name": "istio-podinfo", "mountPath": "/etc/istio/pod"}],
    })
    spec["volumes"] = [
        *({"name": name, "emptyDir": {}} for name in ("workload-socket", "credential-socket", "workload-certs")),
        {"name": "istio-envoy", "emptyDir": {"medium": "Memory"}},
        {"name": "istio-data", "emptyDir": {}},
        {"name": "istio-podinfo", "downwardAPI": {"defaultMode": 420, "items": [
            {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.labels"}, "path": "labels"},
            {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.annotations"}, "path": "annotations"}]}},
        {"name": "istio-token", "projected": {"defaultMode": 420, "sources": [{"serviceAccountToken": {
            "audience": "istio-ca", "expirationSeconds": 43200, "path": "istio-token"}}]}},
        {"name": "istiod-ca-cert", "configMap": {"defaultMode": 420, "name": CA_CONFIGMAP}},
        *(spec.get("volumes") or []),
    ]


def has_proxy(pod: dict[str, Any]) -> bool:
    return any(c["name"] == PROXY_CONTAINER for c in pod["spec"]["containers"])


def is_agent_probe(probe: dict[str, Any]) -> bool:
    """A probe the injector rewrote: the kubelet asks the agent, which runs the original against the app."""
    action = probe.get("httpGet") or {}
    return str(action.get("path", "")).startswith("/app-health/") and action.get("port") == AGENT_PORT


def original_probe(pod: dict[str, Any], path: str) -> dict[str, Any] | None:
    """The probe as the manifest declared it, from the agent's `ISTIO_KUBE_APP_PROBERS`."""
    proxy = next((c for c in pod["spec"]["containers"] if c["name"] == PROXY_CONTAINER), None)
    raw = next((e.get("value") for e in (proxy or {}).get("env") or [] if e.get("name") == PROBERS_ENV), None)
    try:
        probers = json.loads(raw) if raw else {}
    except ValueError:
        return None
    found = probers.get(path) if isinstance(probers, dict) else None
    return found if isinstance(found, dict) else None


def agent_probe_result(pod: dict[str, Any], probe: dict[str, Any], agent_listening: bool,
                       original_failure: str | None) -> str:
    """The kubelet's output for a rewritten probe: the agent is down (refused), the original failed (the agent
    answers 500: its health check fails fast on a refused connection or a wrong protocol), the app answers too
    slowly (the kubelet's own deadline passes first), or ''."""
    ip = pod["status"].get("podIP", "")
    path = probe["httpGet"]["path"]
    url = f"http://{ip}:{AGENT_PORT}{path}"
    if not agent_listening:
        return f'Get "{url}": dial tcp {ip}:{AGENT_PORT}: connect: connection refused'
    if original_failure is None:
        return "HTTP probe failed with statuscode: 404"
    if not original_failure:
        return ""
    if "did not complete" in original_failure or "awaiting headers" in original_failure:
        return f'Get "{url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
    return "HTTP probe failed with statuscode: 500"


# -- Envoy on the caller's side ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class EnvoyResponse:
    """How the caller's Envoy answered one upstream cluster: its status, response flags and details."""

    code: int
    flags: str
    details: str
    transport_failure: str = "-"


OK = EnvoyResponse(200, "-", "via_upstream")
TCP_OK = EnvoyResponse(0, "-", "-")
NO_ENDPOINT = EnvoyResponse(503, "UH", "no_healthy_upstream")
REFUSED = EnvoyResponse(503, "URX,UF", "upstream_reset_before_response_started{remote_connection_failure,"
                                       "delayed_connect_error:_111}", "delayed_connect_error:_111")
TIMED_OUT = EnvoyResponse(503, "UF", "upstream_reset_before_response_started{connection_timeout}")


def envoy_call(conn: Connection, ready_endpoints: int) -> tuple[float, str, EnvoyResponse]:
    """(share of calls that fail at the proxy, the body of its reply, its answer) for a call whose raw network
    outcome is `conn`. Envoy answers 503 itself: no ready endpoint (`UH`), every try refused (`UF`, after its
    retries `URX`), no connection within its connect timeout (`UF`). An endpoint that refuses some tries is
    retried on another: only a call whose every try lands on one fails."""
    if not conn.ok and conn.error == "refused":
        return (1.0, NO_HEALTHY_UPSTREAM, NO_ENDPOINT) if not ready_endpoints else (1.0, RETRIED_CONNECT_FAILURE,
                                                                                    REFUSED)
    if not conn.ok:
        return 1.0, CONNECT_TIMEOUT, TIMED_OUT
    return conn.bad_fraction ** (RETRIES + 1), "", OK


def access_log_line(ts: datetime, request: str, response: EnvoyResponse, *, duration_ms: float, request_id: str,
                    authority: str, upstream_host: str, cluster: str, upstream_local: str, downstream_local: str,
                    downstream_remote: str, server_name: str = "-", route: str = "default",
                    user_agent: str = "grpc-go/1.64.0") -> str:
    """One line of Envoy's access log in Istio's default text format (`request`: `"POST /svc/Method HTTP/2"`,
    or `- - -` for a TCP connection, whose line carries no HTTP fields)."""
    local_reply = response.flags != "-"
    received, sent = (0, 19 if response.code else 0) if local_reply else (85, 120 + int(duration_ms * 37) % 900)
    upstream_time = "-" if local_reply or not response.code else str(max(0, int(duration_ms) - 1))
    http = response.code != 0
    return (f'[{ts.strftime("%Y-%m-%dT%H:%M:%S.")}{ts.microsecond // 1000:03d}Z] "{request}" {response.code} '
            f'{response.flags} {response.details} - "{response.transport_failure}" {received} {sent} '
            f'{int(duration_ms)} {upstream_time} "-" "{user_agent if http else "-"}" '
            f'"{request_id if http else "-"}" "{authority if http else "-"}" "{upstream_host}" {cluster} '
            f'{upstream_local} {downstream_local} {downstream_remote} {server_name} {route if http else "-"}')
