"""Log lines in the style each real image writes: Go zerolog (hotel), C++ Thrift services, Online Boutique's
JSON loggers, the OpenTelemetry demo, MongoDB, Redis, memcached, Kafka.

The traffic model and the kubelet decide *what* happened (a request failed because the callee refused the
connection; a process panicked at start); this module only says it the way that program would.
"""

from __future__ import annotations

import json
import random
from datetime import datetime

from aoi.cluster.sim.apps.model import Call, Component


def _iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond:06d}Z"


def _hotel(ts: datetime, level: str, caller: str, message: str) -> str:
    return f"{ts.strftime('%Y-%m-%dT%H:%M:%SZ')} {level} {caller} > {message}"


def _cpp(ts: datetime, level: str, source: str, message: str) -> str:
    return f"[{ts.strftime('%Y-%b-%d %H:%M:%S')}.{ts.microsecond:06d}] <{level}>: ({source}) {message}"


def _boutique(ts: datetime, severity: str, message: str, **fields: object) -> str:
    return json.dumps({**fields, "message": message, "severity": severity, "timestamp": _iso(ts)},
                      separators=(",", ":"), sort_keys=True)


def _otel(ts: datetime, service: str, level: str, message: str) -> str:
    return json.dumps({"timestamp": _iso(ts), "level": level, "service.name": service, "message": message},
                      separators=(",", ":"))


def startup_lines(style: str, comp: Component, port: int | None, ts: datetime | None = None) -> list[str]:
    ts = ts or datetime(2026, 1, 5, 9, 0, 0)
    name = comp.name
    if style == "go-hotel":
        lines = [_hotel(ts, "INF", f"cmd/{name}/main.go:24", "Reading config..."),
                 _hotel(ts, "INF", f"cmd/{name}/main.go:37", f"Read target port: {port}"),
                 _hotel(ts, "INF", f"cmd/{name}/main.go:38", "Read consul address: consul:8500"),
                 _hotel(ts, "INF", f"cmd/{name}/main.go:39", "Read jaeger address: jaeger:6831")]
        for call in comp.calls:
            if call.target.startswith("mongodb"):
                lines.append(_hotel(ts, "INF", f"cmd/{name}/db.go:29", "New session successfull..."))
        lines.append(_hotel(ts, "INF", f"cmd/{name}/main.go:58", "Starting server..."))
        return lines
    if style == "cpp-thrift":
        return [_cpp(ts, "info", f"{comp.command[0] if comp.command else name}.cpp:61",
                     f"Starting the {name} server ...")]
    if style == "boutique":
        return [_boutique(ts, "info", f"starting server on :{port}"),
                _boutique(ts, "error", "Failed to fetch the Zone of the node where the pod is scheduledmetadata: GCE "
                          'metadata "instance/zone" not defined')] if name == "frontend" else [
            _boutique(ts, "info", f"{name} listening on port {port}")]
    if style == "otel":
        return [_otel(ts, name, "info", f"{name} service started on port {port}")]
    if style == "mongo":
        return [json.dumps({"t": {"$date": ts.strftime("%Y-%m-%dT%H:%M:%S.000+00:00")}, "s": "I", "c": "NETWORK",
                            "id": 23016, "ctx": "listener", "msg": "Waiting for connections",
                            "attr": {"port": 27017, "ssl": "off"}}, separators=(",", ":"))]
    if style == "redis":
        stamp = ts.strftime("%d %b %Y %H:%M:%S.000")
        return [f"1:M {stamp} * Server initialized", f"1:M {stamp} * Ready to accept connections tcp"]
    if style == "memcached":
        return [f"server listening (tcp) on port {port}"]
    if style == "kafka":
        return [f"[{ts.strftime('%Y-%m-%d %H:%M:%S,000')}] INFO [KafkaServer id=1] started (kafka.server.KafkaServer)"]
    if style in ("envoy", "istio-iptables"):
        return _istio_startup(style, ts)
    return [f"{ts.strftime('%Y/%m/%d %H:%M:%S')} {name} started"]


def _istio_startup(style: str, ts: datetime) -> list[str]:
    """pilot-agent starting Envoy, or `istio-iptables` writing the pod's redirection rules (Istio's zap format)."""
    stamp = _iso(ts)
    if style == "istio-iptables":
        rules = ["* nat", "-N ISTIO_INBOUND", "-N ISTIO_REDIRECT", "-N ISTIO_IN_REDIRECT", "-N ISTIO_OUTPUT",
                 "-A ISTIO_INBOUND -p tcp --dport 15008 -j RETURN",
                 "-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001",
                 "-A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006", "-A PREROUTING -p tcp -j ISTIO_INBOUND",
                 "-A ISTIO_INBOUND -p tcp --dport 15090 -j RETURN", "-A ISTIO_INBOUND -p tcp --dport 15021 -j RETURN",
                 "-A ISTIO_INBOUND -p tcp --dport 15020 -j RETURN", "-A ISTIO_INBOUND -p tcp -j ISTIO_IN_REDIRECT",
                 "-A OUTPUT -p tcp -j ISTIO_OUTPUT", "-A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN",
                 "-A ISTIO_OUTPUT -j ISTIO_REDIRECT", "COMMIT"]
        return [f"{stamp}\tinfo\tIstio iptables environment:", f"{stamp}\tinfo\tENVOY_PORT=15001",
                f"{stamp}\tinfo\tINBOUND_CAPTURE_PORT=15006", f"{stamp}\tinfo\tPROXY_UID=1337",
                f"{stamp}\tinfo\tRunning iptables-restore with the following input:", *rules,
                f"{stamp}\tinfo\tRunning iptables-save"]
    return [f"{stamp}\tinfo\tFLAG: --concurrency=\"0\"", f"{stamp}\tinfo\tFLAG: --domain=\"\"",
            f"{stamp}\tinfo\tVersion 1.22.3-1b4ea2bb4fb8f6df7b5ea0bc9fb8df4f9e06b5d3-Clean",
            f"{stamp}\tinfo\tProxy role\ttype=sidecar domain=svc.cluster.local",
            f"{stamp}\tinfo\tApply proxy config from env {{}}",
            f"{stamp}\tinfo\tStarting proxy agent",
            f"{stamp}\tinfo\tstarting",
            f"{stamp}\tinfo\tEnvoy command: [-c etc/istio/proxy/envoy-rev.json --drain-time-s 45 "
            f"--drain-strategy immediate --local-address-ip-version v4 --file-flush-interval 1000ms "
            f"--disable-hot-restart --allow-unknown-static-fields -l warning --component-log-level misc:error]",
            f"{stamp}\tinfo\txdsproxy\tInitializing with upstream address \"istiod.istio-system.svc:15012\" and "
            f"cluster \"Kubernetes\"",
            f"{stamp}\tinfo\tcache\tgenerated new workload certificate\tresourceName=default latency=38.2ms "
            f"ttl=23h59m59.1s",
            f"{stamp}\tinfo\tads\tADS: new connection for node:1",
            f"{stamp}\tinfo\tReadiness succeeded in 1.204182563s",
            f"{stamp}\tinfo\tEnvoy proxy is ready"]


def startup_dependency_failure(style: str, call: Call, address: str, message: str,
                               ts: datetime | None = None) -> tuple[str, ...]:
    ts = ts or datetime(2026, 1, 5, 9, 0, 0)
    if style == "go-hotel":
        text = message if "authoriz" in message or "Authentication" in message else "no reachable servers"
        return (_hotel(ts, "INF", "cmd/geo/db.go:26", f"New session to {address}"),
                f"panic: {text}", "", "goroutine 1 [running]:", "main.initializeDatabase({0xc000028012, 0xf})",
                "\t/go/src/github.com/harlow/go-micro-services/cmd/geo/db.go:31 +0x27b")
    if style == "cpp-thrift":
        return (_cpp(ts, "error", "utils_mongodb.h:47", f"Failed to connect to {address}: {message}"),)
    return (f"error: failed to connect to {call.target} at {address}: {message}",)


def permission_denied_lines(style: str, path: str, ts: datetime | None = None) -> tuple[str, ...]:
    ts = ts or datetime(2026, 1, 5, 9, 0, 0)
    stamp = ts.strftime("%d %b %Y %H:%M:%S.000")
    if style == "redis":
        return (f"1:M {stamp} * Server initialized",
                f"1:M {stamp} # Fatal error: can't open the RDB file dump.rdb for reading: Permission denied",
                f"1:M {stamp} # Fatal error loading the DB, check server logs. Exiting.")
    if style == "mongo":
        return (json.dumps({"t": {"$date": ts.strftime("%Y-%m-%dT%H:%M:%S.000+00:00")}, "s": "E", "c": "STORAGE",
                            "id": 20557, "ctx": "initandlisten", "msg": "DBException in initAndListen, terminating",
                            "attr": {"error": f"IllegalOperation: Attempted to create a lock file on a read-only "
                                              f"directory: {path}"}}, separators=(",", ":")),)
    return (f"open {path}: permission denied",)


_ERROR_MARKERS = ("panic", "error", "fatal", " ERR ", "exception", "failed", "<error>", '"s":"E"', '"s":"F"')


def is_error_line(line: str) -> bool:
    """Whether a line reads as an error to a log-pattern tool (as upstream's GetErrorLogs keyword match)."""
    lowered = line.lower()
    return any(marker.lower() in lowered for marker in _ERROR_MARKERS)


def oom_line(style: str) -> str:
    if style == "go-hotel":
        return "fatal error: runtime: out of memory"
    return "java.lang.OutOfMemoryError: Java heap space"


def request_line(style: str, comp: Component, operation: str, latency_ms: float, rng: random.Random,
                 ts: datetime) -> str:
    """An ordinary line written while serving a successful request."""
    if style == "go-hotel":
        return _hotel(ts, "DBG" if rng.random() < 0.7 else "INF", f"services/{comp.name}/server.go:96",
                      f"{operation} handled in {latency_ms:.2f}ms")
    if style == "cpp-thrift":
        return _cpp(ts, "info", f"{comp.command[0] if comp.command else comp.name}Handler.h:88",
                    f"{operation} done in {latency_ms:.1f} ms")
    if style == "boutique":
        if comp.name == "frontend":
            path = operation.split(" ", 1)[-1].replace("{id}", rng.choice(("OLJCESPC7Z", "66VCHSJNUP",
                                                                               "1YMWWN1N4O", "L9ECAV7KIM")))
            return _boutique(ts, "debug", "request complete", **{
                "http.req.id": _uuid(rng), "http.req.method": operation.split(" ", 1)[0], "http.req.path": path,
                "http.resp.bytes": rng.randint(4000, 12000), "http.resp.status": 200,
                "http.resp.took_ms": int(latency_ms), "session": _uuid(rng)})
        return _boutique(ts, "info", f"[{operation.rsplit('/', 1)[-1]}] received request")
    if style == "otel":
        return _otel(ts, comp.name, "info", f"{operation} ok ({latency_ms:.1f}ms)")
    if style == "mongo":
        return json.dumps({"t": {"$date": ts.strftime("%Y-%m-%dT%H:%M:%S.000+00:00")}, "s": "I", "c": "NETWORK",
                           "id": 22943, "ctx": "listener", "msg": "Connection accepted",
                           "attr": {"remote": f"10.244.1.{rng.randint(2, 250)}:{rng.randint(30000, 60000)}"}},
                          separators=(",", ":"))
    if style == "redis":
        return f"1:M {ts.strftime('%d %b %Y %H:%M:%S.000')} * 1 changes in 60 seconds. Saving..."
    return f"{ts.strftime('%Y/%m/%d %H:%M:%S')} {comp.name}: {operation} {latency_ms:.1f}ms"


def call_error_line(style: str, comp: Component, call: Call, message: str, critical: bool, rng: random.Random,
                    ts: datetime) -> str:
    """The line a caller writes when a call to a dependency fails."""
    if style == "go-hotel":
        return _hotel(ts, "ERR", f"services/{comp.name}/server.go:142",
                      f"{call.operation} failed: rpc error: code = Unavailable desc = connection error: desc = "
                      f'"transport: Error while dialing: {message}"' if "dial" in message
                      else f"{call.operation} failed: {message}")
    if style == "cpp-thrift":
        return _cpp(ts, "error", f"{comp.command[0] if comp.command else comp.name}Handler.h:120",
                    f"Failed to {call.operation} via {call.target}: {message}")
    if style == "boutique":
        grpc = _grpc_status(call, message)
        what = call.operation.rsplit("/", 1)[-1]
        if comp.name == "frontend":
            return _boutique(ts, "warning" if not critical else "error",
                             "failed to retrieve ads" if call.target == "adservice" else "request error",
                             error=f"{_FRONTEND_WRAP.get(what, f'could not {what}')}: {grpc}",
                             **{"http.req.id": _uuid(rng), "http.req.method": "GET", "http.req.path": "/",
                                "session": _uuid(rng)})
        return _boutique(ts, "error", f"{what} failed", error=grpc)
    if style == "otel":
        return _otel(ts, comp.name, "error", f"{call.operation} failed: {message}")
    return f"{ts.strftime('%Y/%m/%d %H:%M:%S')} ERROR {comp.name}: {call.operation} -> {call.target}: {message}"


_FRONTEND_WRAP = {
    "ListProducts": "could not retrieve products", "GetProduct": "could not retrieve product",
    "GetSupportedCurrencies": "could not retrieve currencies", "Convert": "failed to do currency conversion",
    "GetCart": "could not retrieve cart", "ListRecommendations": "failed to get product recommendations",
    "GetQuote": "failed to get shipping quote", "PlaceOrder": "failed to complete the order",
    "GetAds": "failed to get ads",
}
"""How Online Boutique's frontend handlers wrap a failed backend call (`errors.Wrap(err, ...)`)."""


def _grpc_status(call: Call, message: str) -> str:
    """The gRPC status a caller sees: a transport error when it could not reach the callee, else the error the
    callee returned (cartservice reports its storage failures as FailedPrecondition)."""
    if message.startswith(f"{call.target}: "):
        inner = message.split(": ", 1)[1]
        if call.target == "cartservice":
            return ("rpc error: code = FailedPrecondition desc = Can't access cart storage. "
                    f"StackExchange.Redis.RedisConnectionException: It was not possible to connect to the redis "
                    f"server(s). {inner}")
        return f"rpc error: code = Unknown desc = {inner}"
    if "dial" in message:
        return ('rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: '
                f'{message}"')
    return f"rpc error: code = Unavailable desc = {message}"


def served_error_line(style: str, comp: Component, operation: str, message: str, rng: random.Random,
                      ts: datetime) -> str:
    """The line a component writes when it fails a request itself (feature-flag failures, app bugs)."""
    if style == "otel":
        return _otel(ts, comp.name, "error", f"{operation} failed: {message}")
    if style == "boutique":
        return _boutique(ts, "error", f"{operation} failed", error=message)
    if style == "go-hotel":
        return _hotel(ts, "ERR", f"services/{comp.name}/server.go:77", f"{operation}: {message}")
    return f"{ts.strftime('%Y/%m/%d %H:%M:%S')} ERROR {comp.name}: {operation}: {message}"


def noise_line(style: str, comp: Component, rng: random.Random, ts: datetime) -> str | None:
    """Ordinary background chatter, some of it alarming-looking but harmless (red herrings)."""
    roll = rng.random()
    if style == "go-hotel" and roll < 0.3:
        return _hotel(ts, "WRN", "registry/registry.go:91", "consul: health check passed with warnings (retry=0)")
    if style == "boutique" and comp.name == "frontend" and roll < 0.2:
        return _boutique(ts, "error", "Failed to fetch the name of the cluster in which the pod is running"
                         'metadata: GCE metadata "instance/attributes/cluster-name" not defined')
    if style == "mongo" and roll < 0.4:
        return json.dumps({"t": {"$date": ts.strftime("%Y-%m-%dT%H:%M:%S.000+00:00")}, "s": "I", "c": "STORAGE",
                           "id": 22430, "ctx": "Checkpointer", "msg": "WiredTiger message",
                           "attr": {"message": "[1767603600:0][1:0x7f], WT_SESSION.checkpoint: saving checkpoint"}},
                          separators=(",", ":"))
    if style == "otel" and roll < 0.2:
        return _otel(ts, comp.name, "warn", "otel exporter: slow export, retrying (attempt 1)")
    return None


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"
