"""The traffic model: a load generator drives requests through the call graph every tick.

Each hop's outcome follows the callee's real state — DNS, Service ports, endpoints, listening processes,
datastore auth, network chaos, CPU throttling, feature flags — and produces the evidence: per-service and
per-pod metric samples, log lines in each program's style, and sampled traces with parent/child spans.
Flows are computed in aggregate (rates and probabilities), with a few concrete requests sampled per tick for
logs and traces, so a tick stays cheap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from aoi.cluster.sim import logs
from aoi.cluster.sim.apps.model import Call, Component
from aoi.cluster.sim.controllers import pod_ready
from aoi.cluster.sim.datastores import datastore_error
from aoi.cluster.sim.flags import flag_values
from aoi.cluster.sim.mesh import (
    OK,
    PROXY_CONTAINER,
    RETRIED_CONNECT_FAILURE,
    RETRIES,
    TCP_OK,
    EnvoyResponse,
    access_log_line,
    envoy_call,
    has_proxy,
)
from aoi.cluster.sim.network import Connection, active_chaos, component_of, connect, path_impairment, split_address
from aoi.cluster.sim.programs import Program, resolve_address
from aoi.cluster.sim.quantity import cpu_millicores
from aoi.cluster.sim.state import SimState
from aoi.cluster.sim.telemetry import Span

TIMEOUT_MS = 10_000.0
DEADLINE_MS = 5_000.0
"""A client's per-call deadline (the demo apps' gRPC clients give a call a few seconds). Call latencies have an
exponential tail, so a call whose mean latency is L misses the deadline with probability exp(-DEADLINE_MS / L):
nothing at healthy latencies, `context deadline exceeded` in the callers once a hop costs seconds."""
RETRANSMIT_MS = 200.0
"""TCP's minimum retransmission timeout (Linux `TCP_RTO_MIN`): a lost segment costs this much, not an error."""
SEGMENTS_PER_CALL = 4
"""Request, response and their acknowledgements: the segments a small RPC puts on the wire each way."""
THINK_TIME_MS = 5_500.0
"""A load-generator user's mean wait between requests (Locust's `between(1, 10)`). Users wait for each answer, so
a slower entry point means proportionally fewer requests."""


@dataclass(slots=True)
class CallResult:
    call: Call
    success: float
    latency_ms: float
    message: str = ""
    envoy: EnvoyResponse | None = None
    """How the caller's sidecar answered, when the call went through one."""


@dataclass(slots=True)
class Outcome:
    """How a component answers right now: success probability, latency and why it fails."""

    success: float
    latency_ms: float
    message: str = ""
    calls: list[CallResult] = field(default_factory=list)
    own_error: str = ""
    own_error_rate: float = 0.0


class TrafficModel:
    def __init__(self, state: SimState) -> None:
        self.state = state
        self._outcomes: dict[str, Outcome] = {}
        self._rates: dict[str, float] = {}
        self._flags: dict[str, Any] = {}
        self._pods_by_component: dict[str, list[dict[str, Any]]] = {}

    # -- per tick ----------------------------------------------------------------------------------------------
    def step(self) -> None:
        state = self.state
        if not self._load_running():
            return
        self._outcomes = {}
        self._pods_by_component = self._group_pods()
        self._flags = flag_values(state.store.get("ConfigMap", state.app.namespace, "flagd-config")) \
            if state.app.name == "astronomy-shop" else {}
        self._rates = self._propagate_rates()
        self._apply_flag_side_effects()
        for comp in state.app.components:
            self.outcome(comp.name)
        self._record_metrics()
        self._write_logs()
        if state.mesh:
            self._write_access_logs()
        self._sample_trace()

    def _load_running(self) -> bool:
        """The load generator starts once every workload of the app has been available (as after a deploy)."""
        state = self.state
        if "load_started_tick" in state.extra:
            return True
        if state.extra.get("deploying"):
            return False
        deployments = state.store.list("Deployment", state.app.namespace)
        available = deployments and all(int(d.get("status", {}).get("availableReplicas", 0)) >= int(d["spec"].get(
            "replicas", 1)) for d in deployments)
        programs = state.extra.get("programs", {})
        listening = all(rt.listen_port is not None or programs.get(f"{uid}/{name}") is None
                        or programs[f"{uid}/{name}"].listen_port is None
                        for uid, containers in state.containers.items() for name, rt in containers.items())
        if available and listening:
            state.extra["load_started_tick"] = state.clock.tick
            return True
        return False

    def outcome(self, name: str, _stack: tuple[str, ...] = ()) -> Outcome:
        if name in self._outcomes:
            return self._outcomes[name]
        if name in _stack:
            return Outcome(1.0, 1.0)
        comp = self.state.app.component(name)
        program, pod = self._serving_program(comp)
        if program is None:
            result = Outcome(0.0, TIMEOUT_MS, "no running process")
            self._outcomes[name] = result
            return result
        behaviour = program.behaviour
        latency = behaviour.base_latency_ms * self._throttle(comp)
        own_error, own_rate, extra_latency = self._flag_effects(comp)
        latency += extra_latency
        success = 1.0 - own_rate
        results: list[CallResult] = []
        env = self._env(pod)
        for call in behaviour.calls:
            result = self._call(behaviour, program, call, env, pod, (*_stack, name))
            results.append(result)
            latency += result.latency_ms * (1.0 if call.critical else 0.3)
            if call.critical:
                success *= result.success
        mix = self.state.app.mix_of(name)
        if mix:
            success = (1.0 - own_rate) * self._mixed_success(mix, results)
        failing = [r for r in results if r.success < 0.999 and r.call.critical]
        message = own_error or (failing[0].message if failing else "")
        outcome = Outcome(max(0.0, min(1.0, success)), min(latency, TIMEOUT_MS), message, results, own_error,
                          own_rate)
        self._outcomes[name] = outcome
        return outcome

    @staticmethod
    def _mixed_success(mix: tuple[tuple[str, float, tuple[str, ...]], ...], results: list[CallResult]) -> float:
        """Share-weighted success over the operations, each needing only its own critical callees."""
        by_target = {r.call.target: r for r in results}
        total = sum(share for _, share, _ in mix)
        success = 0.0
        for _, share, callees in mix:
            ok = 1.0
            for callee in callees:
                result = by_target.get(callee)
                if result is not None and result.call.critical:
                    ok *= result.success
            success += share / total * ok
        return success

    def _call(self, caller: Component, program: Program, call: Call, env: dict[str, str], pod: dict[str, Any],
              stack: tuple[str, ...]) -> CallResult:
        state = self.state
        try:
            callee = state.app.component(call.target)
        except KeyError:
            return CallResult(call, 0.0, 1.0, f"dial tcp: lookup {call.target}: no such host")
        default_port = callee.port or 0
        address = resolve_address(program, call, env, state.app.namespace, default_port)
        if self._flags.get("paymentUnreachable") and caller.name == "checkout" and call.target == "payment":
            address = "badAddress:50051"  # what the demo's checkout dials for payment while the flag is on
        proxied = self._proxied(pod)
        if proxied is False:  # iptables sends the call to the sidecar's outbound port, where nothing listens
            host, port = split_address(address, default_port)
            svc = state.store.get("Service", state.app.namespace, host.split(".")[0])
            ip = svc["spec"].get("clusterIP", host) if svc else host
            return CallResult(call, 0.0, 1.0, f"dial tcp {ip}:{port}: connect: connection refused")
        conn: Connection = connect(state, state.app.namespace, address, default_port, pod["spec"].get("nodeName"),
                                   via_proxy=bool(proxied))
        refused, envoy = conn.bad_fraction, None
        if proxied and conn.error != "dns":
            refused, envoy_message, envoy = envoy_call(conn, self._ready_endpoints(conn.service))
            if not conn.ok:
                latency = TIMEOUT_MS if conn.error == "timeout" else 1.0 + RETRIES * 25.0 * (envoy.flags != "UH")
                return CallResult(call, 0.0, latency, self._through_proxy(callee, pod, conn, envoy_message), envoy)
        if not conn.ok:
            latency = TIMEOUT_MS if conn.error == "timeout" else 1.0
            return CallResult(call, 0.0, latency, conn.message)
        error = datastore_error(state, state.app.namespace, call, caller)
        if error:
            return CallResult(call, 0.0, 2.0, error, envoy)
        served = self.outcome(callee.name, stack)
        latency = served.latency_ms + conn.extra_latency_ms + conn.loss * SEGMENTS_PER_CALL * RETRANSMIT_MS
        missed = math.exp(-DEADLINE_MS / latency) if latency > 0 else 0.0
        ok = (1 - refused) * (1 - missed) * served.success
        message = served.message
        if refused > 0.001 and not message:
            message = self._through_proxy(callee, pod, conn, RETRIED_CONNECT_FAILURE) if proxied else \
                f"dial tcp {conn.ip}:{conn.port}: connect: connection refused"
        if missed > 0.05 and not message:
            message = "context deadline exceeded"
        if served.success < 1 and served.message and call.target not in served.message:
            message = f"{call.target}: {served.message}"
        return CallResult(call, ok, latency, message, envoy)

    # -- the mesh ------------------------------------------------------------------------------------------------
    def _proxied(self, pod: dict[str, Any]) -> bool | None:
        """None: the pod's traffic goes out directly; True: through its running sidecar; False: iptables redirects
        it to a sidecar that is not listening."""
        if not self.state.mesh or not pod or not has_proxy(pod):
            return None
        rt = self.state.containers.get(pod["metadata"]["uid"], {}).get(PROXY_CONTAINER)
        return rt is not None and rt.listen_port is not None

    def _ready_endpoints(self, service: str) -> int:
        endpoints = self.state.store.get("Endpoints", self.state.app.namespace, service) or {}
        return sum(len(s.get("addresses") or []) for s in endpoints.get("subsets") or [])

    def _through_proxy(self, callee: Component, pod: dict[str, Any], conn: Connection, envoy_message: str) -> str:
        """What the app's client reports for a reply its sidecar made up: HTTP and gRPC clients read Envoy's 503
        body; a plain TCP client (Redis) only sees its connection closed."""
        if callee.protocol in ("http", "grpc"):
            return envoy_message
        return (f"read tcp {pod['status'].get('podIP', '')}:{40000 + conn.port % 20000}->{conn.ip}:{conn.port}: "
                f"read: connection reset by peer")

    # -- inputs --------------------------------------------------------------------------------------------------
    def _serving_program(self, comp: Component) -> tuple[Program | None, dict[str, Any]]:
        """A ready pod of the component and the program its first container runs."""
        state = self.state
        pods = self._pods(comp.name)
        ready = [p for p in pods if pod_ready(p)] or [p for p in pods if self._running(p)]
        for pod in ready:
            key = f"{pod['metadata']['uid']}/{pod['spec']['containers'][0]['name']}"
            program = state.extra.get("programs", {}).get(key)
            if program is not None and self._running(pod):
                return program, pod
        return None, {}

    def _group_pods(self) -> dict[str, list[dict[str, Any]]]:
        state = self.state
        groups: dict[str, list[dict[str, Any]]] = {}
        for pod in state.store.list("Pod", state.app.namespace):
            if not pod["metadata"].get("deletionTimestamp"):
                groups.setdefault(component_of(state, pod), []).append(pod)
        return groups

    def _pods(self, component: str) -> list[dict[str, Any]]:
        return self._pods_by_component.get(component, [])

    def _running(self, pod: dict[str, Any]) -> bool:
        return any("running" in (s.get("state") or {}) for s in pod.get("status", {}).get("containerStatuses") or [])

    def _env(self, pod: dict[str, Any]) -> dict[str, str]:
        from aoi.cluster.sim.kubelet import container_env

        return container_env(self.state, pod, pod["spec"]["containers"][0])

    def _propagate_rates(self) -> dict[str, float]:
        app = self.state.app
        rates = {c.name: 0.0 for c in app.components}
        flood = 4.0 if self._flags.get("loadGeneratorFloodHomepage") else 1.0
        waited = self.state.extra.get("entry_latency_ms", 0.0)
        rates[app.entry] = app.request_rate * flood * THINK_TIME_MS / (THINK_TIME_MS + waited)
        order = self._topological()
        for name in order:
            comp = app.component(name)
            mix = app.mix_of(name)
            total = sum(share for _, share, _ in mix)
            for call in comp.calls:
                if call.target not in rates:
                    continue
                if mix and any(call.target in callees for _, _, callees in mix):
                    share = sum(s for _, s, callees in mix if call.target in callees) / total
                elif mix:
                    share = 0.05
                else:
                    share = 1.0 if self.state.app.component(call.target).kind != "service" else 0.6
                rates[call.target] += rates[name] * share
        return rates

    def _topological(self) -> list[str]:
        app = self.state.app
        seen: list[str] = []
        visiting: set[str] = set()

        def visit(name: str) -> None:
            if name in seen or name in visiting:
                return
            visiting.add(name)
            for caller in app.callers_of(name):
                visit(caller)
            visiting.discard(name)
            seen.append(name)

        for c in app.components:
            visit(c.name)
        return seen

    def _throttle(self, comp: Component) -> float:
        demand = self._cpu_demand(comp)
        limit = comp.cpu_limit_m
        pods = self._pods(comp.name)
        if pods:
            lim = cpu_millicores(pods[0]["spec"]["containers"][0].get("resources", {}).get("limits", {}).get("cpu"))
            limit = lim or None
        if not limit:
            return 1.0
        return max(1.0, demand / limit) ** 2

    def _cpu_demand(self, comp: Component) -> float:
        pods = max(1, len([p for p in self._pods(comp.name) if self._running(p)]))
        hog = self.state.cpu_hog.get(f"{self.state.app.namespace}/{comp.name}", 0.0)
        hog += sum(c.value for c in active_chaos(self.state, self.state.app.namespace, comp.name)
                   if c.action == "cpu-stress")
        return 5.0 + self._rates.get(comp.name, 0.0) * comp.cpu_per_rps_m / pods + hog

    def _flag_effects(self, comp: Component) -> tuple[str, float, float]:
        """(error message, error rate, extra latency ms) a feature flag causes in this component."""
        f = self._flags
        if not f:
            return "", 0.0, 0.0
        name = comp.name
        if name == "ad" and f.get("adFailure"):
            return "rpc error: code = Unavailable desc = GetAds Failed: ad service failure (flag adFailure)", 0.1, 0.0
        if name == "ad" and f.get("adManualGc"):
            return "", 0.0, 450.0 if self.state.clock.tick % 3 == 0 else 40.0
        if name == "cart" and f.get("cartFailure"):
            return ("rpc error: code = FailedPrecondition desc = Can't access cart storage. "
                    "System.ApplicationException: Wasn't able to connect to redis"), 0.35, 0.0
        if name == "payment" and f.get("paymentFailure"):
            return "Payment request failed. Invalid token. app.loyalty.level=gold", float(f["paymentFailure"]), 0.0
        if name == "product-catalog" and f.get("productCatalogFailure"):
            return "rpc error: code = Internal desc = Error: Product Catalog Fail Feature Flag Enabled", 0.1, 0.0
        if name == "image-provider" and f.get("imageSlowLoad"):
            return "", 0.0, float(f["imageSlowLoad"])
        if name == "recommendation" and f.get("recommendationCacheFailure"):
            growth = self.state.extra.get("recommendation_cache_mi", 0.0)
            return "", 0.0, 50.0 + growth * 2
        if name == "kafka" and f.get("kafkaQueueProblems"):
            return "", 0.0, 200.0
        if name in ("accounting", "fraud-detection") and f.get("kafkaQueueProblems"):
            return "consumer lag too high, messages delayed", 0.0, 800.0
        return "", 0.0, 0.0

    def _apply_flag_side_effects(self) -> None:
        state, f, ns = self.state, self._flags, self.state.app.namespace
        if not f:
            return
        state.cpu_hog[f"{ns}/ad"] = 600.0 if f.get("adHighCpu") else 0.0
        grow = state.extra.get("recommendation_cache_mi", 0.0)
        state.extra["recommendation_cache_mi"] = grow + 6.0 if f.get("recommendationCacheFailure") else 0.0
        backlog = state.extra.get("kafka_backlog", 0.0)
        state.extra["kafka_backlog"] = backlog + 1500.0 if f.get("kafkaQueueProblems") else max(0.0, backlog - 5000)

    # -- outputs -------------------------------------------------------------------------------------------------
    def _record_metrics(self) -> None:
        state = self.state
        tick = state.clock.tick
        ns = state.app.namespace
        rng = state.rng
        node_packets: dict[str, float] = {}
        for comp in state.app.components:
            out = self._outcomes.get(comp.name)
            pods = self._pods(comp.name)
            serving = out is not None and out.latency_ms < TIMEOUT_MS and any(self._running(p) for p in pods)
            rate = self._rates.get(comp.name, 0.0) if serving or comp.name == state.app.entry else 0.0
            jitter = 1 + (rng.random() - 0.5) * 0.1
            error_rate = (1 - out.success) if out and rate else 0.0
            running = [p for p in pods if self._running(p)]
            # Latency as its callers see it: the answer leaves through the pods' own (possibly impaired) network.
            delay, loss = path_impairment(state, ns, running, None) if running else (0.0, 0.0)
            wire = delay + loss * SEGMENTS_PER_CALL * RETRANSMIT_MS
            p50 = ((out.latency_ms if out else 0.0) + wire) * jitter if rate else 0.0
            key = f"{ns}/{comp.name}"
            packets = round(rate * SEGMENTS_PER_CALL * (1 + len(comp.calls)) * jitter, 2)
            throttled = max(0.0, 1 - 1 / math.sqrt(self._throttle(comp))) if running else 0.0
            for metric, value in (("request_rate", round(rate * jitter, 3)), ("error_rate", round(error_rate, 4)),
                                  ("p50_ms", round(p50, 2)), ("p90_ms", round(p50 * 1.8, 2)),
                                  ("p95_ms", round(p50 * 2.1, 2)), ("p99_ms", round(p50 * 3.4, 2)),
                                  ("rx_pps", packets), ("tx_pps", round(packets * (1 + loss), 2)),
                                  ("cpu_throttled", round(throttled, 3))):
                state.telemetry.record(key, metric, tick, value)
                state.telemetry.learn(key, metric, value)
            for pod in running:
                node = pod["spec"].get("nodeName")
                if node:
                    node_packets[node] = node_packets.get(node, 0.0) + packets / len(running)
            cpu_total = mem_total = restarts_total = 0.0
            for pod in pods:
                uid = pod["metadata"]["uid"]
                rts = state.containers.get(uid, {})
                rt = rts.get(pod["spec"]["containers"][0]["name"])
                if rt is None:
                    continue
                cpu = mem = 0.0
                if rt.started_tick is not None:
                    cpu = self._cpu_demand(comp) * jitter
                    limit = cpu_millicores(pod["spec"]["containers"][0].get("resources", {}).get("limits", {})
                                           .get("cpu"))
                    cpu = min(cpu, limit) if limit else cpu
                    mem = comp.mem_working_mi * (1 + 0.02 * math.sin(tick / 7)) + self._extra_memory(comp)
                    if rt.exit_reason == "OOMKilled" and rt.exit_after_tick is not None:
                        mem = max(mem, comp.mem_working_mi * 3)
                    rt.memory_mib = mem
                pkey = f"{ns}/pod/{pod['metadata']['name']}"
                state.telemetry.record(pkey, "cpu_millicores", tick, round(cpu, 1))
                state.telemetry.record(pkey, "memory_mib", tick, round(mem, 1))
                state.telemetry.record(pkey, "restarts", tick, float(rt.restarts))
                state.telemetry.record(pkey, "request_rate", tick, round(rate / max(1, len(running)), 3)
                                       if rt.started_tick is not None else 0.0)
                state.telemetry.record(pkey, "error_rate", tick, round(error_rate, 4))
                cpu_total += cpu
                mem_total += mem
                restarts_total += rt.restarts
            state.telemetry.record(key, "cpu_millicores", tick, round(cpu_total, 1))
            state.telemetry.record(key, "memory_mib", tick, round(mem_total, 1))
            state.telemetry.record(key, "restarts", tick, restarts_total)
            if out is not None:
                state.extra.setdefault("health_latency_s", {})[key] = out.latency_ms / 1000.0 \
                    if comp.name in ("image-provider",) else comp.base_latency_ms * self._throttle(comp) / 1000.0
        entry = self._outcomes.get(state.app.entry)
        state.extra["entry_latency_ms"] = entry.latency_ms if entry is not None else 0.0
        for name, agents in state.nodes.items():
            # Segments lost on the node's interface are sent again: the node's TCP retransmission rate.
            retransmits = round(node_packets.get(name, 0.0) * agents.network_loss + 0.01, 3)
            state.telemetry.record(f"node/{name}", "tcp_retransmits", tick, retransmits)
            state.telemetry.learn(f"node/{name}", "tcp_retransmits", retransmits)

    def _extra_memory(self, comp: Component) -> float:
        if comp.name == "recommendation":
            return self.state.extra.get("recommendation_cache_mi", 0.0)
        if comp.name == "kafka":
            return self.state.extra.get("kafka_backlog", 0.0) / 100.0
        return 0.0

    def _write_logs(self) -> None:
        state = self.state
        rng = state.rng
        tick = state.clock.tick
        ns = state.app.namespace
        for comp in state.app.components:
            out = self._outcomes.get(comp.name)
            rate = self._rates.get(comp.name, 0.0)
            for pod in self._pods(comp.name):
                spec = pod["spec"]["containers"][0]
                rt = state.containers.get(pod["metadata"]["uid"], {}).get(spec["name"])
                program = state.extra.get("programs", {}).get(f"{pod['metadata']['uid']}/{spec['name']}")
                if rt is None or rt.started_tick is None or program is None or rt.listen_port is None:
                    continue
                behaviour = program.behaviour
                base_ts = state.clock.now
                name = pod["metadata"]["name"]

                def emit(text: str, error: bool, rt: Any = rt, name: str = name, spec: dict = spec) -> None:
                    state.telemetry.log(ns, name, spec["name"], rt.restarts, tick, text, error)

                if rate > 0 and out is not None:
                    for _ in range(1 if rng.random() < 0.6 else 2):
                        ts = base_ts + timedelta(milliseconds=rng.randint(0, 4999))
                        op = rng.choice(behaviour.operations) if behaviour.operations else "request"
                        if rng.random() < out.success or not out.message:
                            emit(logs.request_line(behaviour.log_style, behaviour, op, out.latency_ms, rng, ts), False)
                    for result in out.calls:
                        if result.success < 0.999 and result.message:
                            n_errors = 1 + int(rng.random() < (1 - result.success))
                            for _ in range(n_errors):
                                ts = base_ts + timedelta(milliseconds=rng.randint(0, 4999))
                                emit(logs.call_error_line(behaviour.log_style, behaviour, result.call, result.message,
                                                          result.call.critical, rng, ts), True)
                    if out.own_error and rng.random() < max(0.3, out.own_error_rate * 3):
                        ts = base_ts + timedelta(milliseconds=rng.randint(0, 4999))
                        op = behaviour.operations[0] if behaviour.operations else "request"
                        emit(logs.served_error_line(behaviour.log_style, behaviour, op, out.own_error, rng, ts), True)
                noise = logs.noise_line(behaviour.log_style, behaviour, rng, base_ts) if rng.random() < 0.15 else None
                if noise:
                    emit(noise, False)

    def _write_access_logs(self) -> None:
        """Envoy's access log in each running sidecar: a sample of the calls its app made (every reply the proxy
        made up itself among them) and of the requests it passed in to its app."""
        state = self.state
        rng = state.rng
        ns = state.app.namespace
        for comp in state.app.components:
            out = self._outcomes.get(comp.name)
            for pod in self._pods(comp.name):
                rt = state.containers.get(pod["metadata"]["uid"], {}).get(PROXY_CONTAINER)
                if rt is None or rt.listen_port is None or out is None:
                    continue
                ip = pod["status"].get("podIP", "")
                name = pod["metadata"]["name"]
                for result in out.calls:
                    if result.envoy is None:
                        continue
                    local_reply = result.envoy.flags != "-"
                    for _ in range(1 + int(local_reply and rng.random() < 0.5) if local_reply or rng.random() < 0.4
                                   else 0):
                        line = self._outbound_line(result, pod, rng)
                        state.telemetry.log(ns, name, PROXY_CONTAINER, rt.restarts, state.clock.tick, line,
                                            local_reply)
                if self._rates.get(comp.name, 0.0) > 0 and comp.port and pod_ready(pod) and rng.random() < 0.5:
                    op = rng.choice(comp.operations) if comp.operations else "request"
                    port = comp.container_port
                    ts = state.clock.now + timedelta(milliseconds=rng.randint(0, 4999))
                    remote = f"{self._caller_address(comp, rng)}:{rng.randint(32768, 60999)}"
                    line = access_log_line(
                        ts, self._request(comp, op), OK if comp.protocol in ("http", "grpc") else TCP_OK,
                        duration_ms=out.latency_ms, request_id=_request_id(rng), authority=f"{comp.name}:{comp.port}",
                        upstream_host=f"{ip}:{port}", cluster=f"inbound|{port}||", upstream_local=
                        f"127.0.0.6:{rng.randint(32768, 60999)}", downstream_local=f"{ip}:{port}",
                        downstream_remote=remote, server_name=f"outbound_.{comp.port}_._.{comp.name}.{ns}.svc."
                        "cluster.local", user_agent=_user_agent(comp, comp.name == state.app.entry))
                    state.telemetry.log(ns, name, PROXY_CONTAINER, rt.restarts, state.clock.tick, line, False)

    def _outbound_line(self, result: CallResult, pod: dict[str, Any], rng: Any) -> str:
        state = self.state
        callee = state.app.component(result.call.target)
        envoy = result.envoy or OK
        local_reply = envoy.flags != "-"
        if not local_reply and callee.protocol not in ("http", "grpc"):
            envoy = TCP_OK
        elif local_reply and callee.protocol not in ("http", "grpc"):
            envoy = replace(envoy, code=0)
        svc = state.store.get("Service", state.app.namespace, callee.name)
        cluster_ip = svc["spec"].get("clusterIP", "") if svc else ""
        ip = pod["status"].get("podIP", "")
        port = callee.port or 0
        upstream = "-"
        if not local_reply:
            pods = [p for p in self._pods(callee.name) if pod_ready(p)] or self._pods(callee.name)
            upstream = f"{pods[0]['status'].get('podIP', '')}:{callee.container_port}" if pods else "-"
        ts = state.clock.now + timedelta(milliseconds=rng.randint(0, 4999))
        return access_log_line(
            ts, self._request(callee, result.call.operation), envoy, duration_ms=result.latency_ms,
            request_id=_request_id(rng), authority=f"{callee.name}:{port}", upstream_host=upstream,
            cluster=f"outbound|{port}||{callee.name}.{state.app.namespace}.svc.cluster.local",
            upstream_local="-" if local_reply else f"{ip}:{rng.randint(32768, 60999)}",
            downstream_local=f"{cluster_ip}:{port}", downstream_remote=f"{ip}:{rng.randint(32768, 60999)}",
            user_agent=_user_agent(callee, False))

    def _caller_address(self, comp: Component, rng: Any) -> str:
        """A caller's pod IP; the entry point's visitors arrive from a node (the load balancer's SNAT)."""
        ips = [p["status"].get("podIP") for caller in self.state.app.callers_of(comp.name)
               for p in self._pods(caller) if p["status"].get("podIP")]
        return rng.choice(ips) if ips else rng.choice([n.ip for n in self.state.app.nodes if n.role == "worker"])

    @staticmethod
    def _request(comp: Component, operation: str) -> str:
        if comp.protocol == "grpc":
            return f"POST /{operation} HTTP/2"
        if comp.protocol == "http":
            method, _, path = operation.partition(" ")
            return f"{method} {path.replace('{id}', 'OLJCESPC7Z') or '/'} HTTP/1.1" if path else "GET / HTTP/1.1"
        return "- - -"

    def _sample_trace(self) -> None:
        state = self.state
        rng = state.rng
        app = state.app
        entry_out = self._outcomes.get(app.entry)
        if entry_out is None:
            return
        ops, weights = zip(*app.entry_operations, strict=True)
        op = rng.choices(ops, weights)[0]
        trace_id = f"{rng.getrandbits(64):016x}"
        start_us = int(state.clock.now.timestamp() * 1_000_000) + rng.randint(0, 4_000_000)
        spans: list[Span] = []
        self._span(app.entry, op, None, trace_id, start_us, spans, (), 0)
        state.telemetry.traces.append(spans)

    def _span(self, name: str, operation: str, parent: str | None, trace_id: str, start_us: int,
              spans: list[Span], stack: tuple[str, ...], depth: int) -> Span:
        rng = self.state.rng
        out = self._outcomes.get(name) or Outcome(0.0, TIMEOUT_MS, "no running process")
        span_id = f"{rng.getrandbits(64):016x}"
        failed = rng.random() >= out.success
        span = Span(trace_id, span_id, parent, name, operation, start_us, int(out.latency_ms * 1000), failed,
                    out.message if failed else "")
        spans.append(span)
        if depth >= 5 or name in stack:
            return span
        offset = start_us + 200
        for result in out.calls:
            callee = result.call.target
            if callee not in self._outcomes:
                continue
            if result.success == 0.0 and result.message and ("dial" in result.message or (
                    result.envoy is not None and result.envoy.flags != "-")):
                err = Span(trace_id, f"{rng.getrandbits(64):016x}", span_id, name, result.call.operation, offset,
                           int(min(result.latency_ms, TIMEOUT_MS) * 1000), True, result.message,
                           {"span.kind": "client", "peer.service": callee})
                spans.append(err)
                continue
            child = self._span(callee, result.call.operation, span_id, trace_id, offset, spans, (*stack, name),
                               depth + 1)
            offset += child.duration_us
        return span


def _request_id(rng: Any) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _user_agent(callee: Component, from_outside: bool) -> str:
    """The client a request to `callee` carries: a browser for the entry point's visitors, else gRPC or HTTP."""
    if from_outside:
        return "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
    return "grpc-go/1.64.0" if callee.protocol == "grpc" else "Go-http-client/1.1"
