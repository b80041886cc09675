"""The kubelet: pull images, check container config, start programs, run probes, restart with back-off.

Container states are derived from the spec and the world — whether the image exists, whether referenced
Secrets/ConfigMaps exist, what the program does when it starts (reach its database? open its data directory?),
whether the probes hit a listening port with the right protocol in time — never set by a fault directly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from aoi.cluster.sim import logs
from aoi.cluster.sim.clock import TICK_SECONDS, rfc3339
from aoi.cluster.sim.controllers import active
from aoi.cluster.sim.datastores import datastore_error
from aoi.cluster.sim.events import EventRecorder
from aoi.cluster.sim.mesh import PROXY_CONTAINER, agent_probe_result, is_agent_probe, original_probe
from aoi.cluster.sim.network import active_chaos, component_of, connect
from aoi.cluster.sim.programs import ImageCatalog, Program, resolve_address, with_behaviour
from aoi.cluster.sim.quantity import mebibytes
from aoi.cluster.sim.state import ContainerRuntime, SimState

MAX_BACKOFF = 300
DELETE_AFTER_TICKS = 1
SANDBOX_MIN_MEMORY_MI = 6
"""A pod memory limit below this OOM-kills runc's init process: the sandbox is never created."""
PAUSED = "chaos_paused"
"""`state.extra` key: `uid/container` of the containers running Chaos Mesh's pause image (pod-failure)."""


@dataclass(slots=True)
class StartOutcome:
    """What happens after a program starts: keeps running, or exits after `after_ticks` with a code and logs."""

    exit_code: int = 0
    reason: str = ""
    after_ticks: int = 0
    lines: tuple[str, ...] = ()

    @property
    def crashes(self) -> bool:
        return bool(self.reason)


def run_kubelets(state: SimState, catalog: ImageCatalog, events: EventRecorder) -> None:
    for pod in state.store.list("Pod"):
        node = pod["spec"].get("nodeName")
        if not node or not state.nodes[node].kubelet:
            continue
        if pod["metadata"].get("deletionTimestamp"):
            if state.nodes[node].containerd:  # without the runtime nothing can be stopped: the pod stays Terminating
                _finish_deletion(state, pod)
            continue
        if not active(pod):
            continue
        sync_pod(state, catalog, events, pod)


def _finish_deletion(state: SimState, pod: dict[str, Any]) -> None:
    key = f"deleting/{pod['metadata']['uid']}"
    seen = state.extra.setdefault("deleting", {})
    if key not in seen:
        seen[key] = state.clock.tick
        for status in pod["status"].get("containerStatuses") or []:
            status["ready"] = False
        for cond in pod["status"].get("conditions") or []:
            if cond["type"] in ("Ready", "ContainersReady"):
                cond["status"] = "False"
        for rt in state.containers.get(pod["metadata"]["uid"], {}).values():
            rt.listen_port = None
        state.store.touch(pod)
        return
    if state.clock.tick - seen[key] >= DELETE_AFTER_TICKS:
        del seen[key]
        state.store.delete("Pod", pod["metadata"]["namespace"], pod["metadata"]["name"])
        state.containers.pop(pod["metadata"]["uid"], None)
        state.telemetry.drop_pod(pod["metadata"]["namespace"], pod["metadata"]["name"])


def sync_pod(state: SimState, catalog: ImageCatalog, events: EventRecorder, pod: dict[str, Any]) -> None:
    uid = pod["metadata"]["uid"]
    runtimes = state.containers.setdefault(uid, {})
    node = pod["spec"]["nodeName"]
    if not state.nodes[node].containerd and pod["status"].get("podIP"):
        # With the runtime gone the kubelet can neither inspect nor change running containers (PLEG is
        # unhealthy): it reports nothing new, and the node controller's NotReady marking stands.
        return
    mount_error = _mount_error(state, pod)
    if mount_error:
        events.emit(pod, "FailedMount", mount_error, type_="Warning", host=node)
    blocked = mount_error or _sandbox_error(state, events, pod)
    if not blocked:
        _assign_pod_ip(state, pod)
    initialized = not blocked and _run_init_containers(state, catalog, events, pod, runtimes)
    for spec in pod["spec"]["containers"]:
        rt = runtimes.setdefault(spec["name"], ContainerRuntime())
        if blocked or not initialized:
            continue
        _sync_container(state, catalog, events, pod, spec, rt)
    _pod_status(state, pod, runtimes, blocked)


def _run_init_containers(state: SimState, catalog: ImageCatalog, events: EventRecorder, pod: dict[str, Any],
                         runtimes: dict[str, ContainerRuntime]) -> bool:
    """Run the init containers one after the other; True once all have completed (the app's containers start in
    the same sync, as the kubelet's pod worker does)."""
    for spec in pod["spec"].get("initContainers") or []:
        rt = runtimes.setdefault(spec["name"], ContainerRuntime())
        if rt.completed:
            continue
        _sync_container(state, catalog, events, pod, spec, rt)
        if not rt.completed:
            return False
    return True


def _sandbox_error(state: SimState, events: EventRecorder, pod: dict[str, Any]) -> str:
    """Why the pod sandbox cannot be created: the container runtime is not answering on its socket, or a pod
    memory limit below what runc's init process needs."""
    limits = [mebibytes(c.get("resources", {}).get("limits", {}).get("memory")) for c in pod["spec"]["containers"]]
    if not state.nodes[pod["spec"]["nodeName"]].containerd:
        message = ('Failed to create pod sandbox: rpc error: code = Unavailable desc = connection error: desc = '
                   '"transport: Error while dialing: dial unix /run/containerd/containerd.sock: connect: connection '
                   'refused"')
    elif all(limits) and sum(limits) < SANDBOX_MIN_MEMORY_MI:
        message = ("Failed to create pod sandbox: rpc error: code = Unknown desc = failed to create containerd task: "
                   "failed to create shim task: OCI runtime create failed: runc create failed: unable to start "
                   "container process: container init was OOM-killed (memory limit too low?): unknown")
    else:
        return ""
    retry = state.extra.setdefault("sandbox_retry", {})
    uid = pod["metadata"]["uid"]
    if state.clock.tick >= retry.get(uid, 0):  # the pod worker retries with back-off, like a crashing container
        events.emit(pod, "FailedCreatePodSandBox", message, type_="Warning", host=pod["spec"]["nodeName"])
        retry[uid] = state.clock.tick + 2
    return message


def _assign_pod_ip(state: SimState, pod: dict[str, Any]) -> None:
    """The CNI plugin gives the sandbox its address: a pod that never got a sandbox has no IP."""
    if pod["status"].get("podIP"):
        return
    node = pod["spec"]["nodeName"]
    index = [n.name for n in state.app.nodes].index(node)
    counter = state.extra.setdefault("ip_counter", {})
    counter[node] = counter.get(node, 10) + 1
    ip = f"{state.app.pod_cidr}.{index}.{counter[node]}"
    pod["status"]["podIP"] = ip
    pod["status"]["podIPs"] = [{"ip": ip}]


def _sync_container(state: SimState, catalog: ImageCatalog, events: EventRecorder, pod: dict[str, Any],
                    spec: dict[str, Any], rt: ContainerRuntime) -> None:
    tick = state.clock.tick
    node = pod["spec"]["nodeName"]
    name = spec["name"]
    path = f"spec.containers{{{name}}}"
    image = spec["image"]
    if rt.started_tick is not None:  # running
        if not _stopped_by_chaos(state, events, pod, spec, rt):
            _run_running(state, catalog, events, pod, spec, rt)
        if rt.started_tick is not None or not rt.start_granted:
            return
    if tick < rt.next_start_tick:
        return
    if not rt.start_granted and not _back_off_allows_start(rt, tick, rt.exited_tick):
        if rt.backoff_reported_tick != rt.exited_tick:
            rt.backoff_reported_tick = rt.exited_tick
            events.emit(pod, "BackOff", f"Back-off restarting failed container {name} in pod "
                        f"{pod['metadata']['name']}_{pod['metadata']['namespace']}({pod['metadata']['uid']})",
                        type_="Warning", field_path=path, host=node)
        return
    rt.start_granted = False
    if rt.image_pulled:  # a restart: the kubelet checks the image again before every start
        events.emit(pod, "Pulled", f'Container image "{image}" already present on machine', field_path=path,
                    host=node)
    else:
        cached = image in state.images_on_node.setdefault(node, set())
        if cached and spec.get("imagePullPolicy", "IfNotPresent") != "Always":
            rt.image_pulled = True
            events.emit(pod, "Pulled", f'Container image "{image}" already present on machine', field_path=path,
                        host=node)
        else:
            events.emit(pod, "Pulling", f'Pulling image "{image}"', field_path=path, host=node)
            secrets = [s.get("name", "") for s in pod["spec"].get("imagePullSecrets") or []]
            missing = [s for s in secrets if state.store.get("Secret", pod["metadata"]["namespace"], s) is None]
            if missing:
                events.emit(pod, "FailedToRetrieveImagePullSecret", f"Unable to retrieve some image pull secrets "
                            f"({', '.join(missing)}); attempting to pull the image may not succeed.", type_="Warning",
                            host=node)
            result = catalog.pull(image, secrets, lambda s: state.store.get("Secret", pod["metadata"]["namespace"], s))
            if not result.ok:
                events.emit(pod, "Failed", result.message, type_="Warning", field_path=path, host=node)
                events.emit(pod, "Failed", "Error: ErrImagePull", type_="Warning", field_path=path, host=node)
                if rt.last_error in ("ErrImagePull", "ImagePullBackOff"):
                    events.emit(pod, "BackOff", f'Back-off pulling image "{image}"', field_path=path, host=node)
                    events.emit(pod, "Failed", "Error: ImagePullBackOff", type_="Warning", field_path=path, host=node)
                rt.last_error = "ErrImagePull"
                _back_off(rt, tick)
                return
            rt.image_pulled = True
            state.images_on_node[node].add(image)
            events.emit(pod, "Pulled", f'Successfully pulled image "{image}" in 1.03s (1.03s including waiting). '
                        f"Image size: 48213562 bytes.", field_path=path, host=node)
    config_error = _config_error(state, pod, spec)
    if config_error:
        rt.last_error = "CreateContainerConfigError"
        rt.exit_reason = config_error
        events.emit(pod, "Failed", f"Error: {config_error}", type_="Warning", field_path=path, host=node)
        rt.next_start_tick = tick + 2
        return
    env = container_env(state, pod, spec)
    program = catalog.program(image, spec.get("command"), env, spec.get("args"))
    limit = mebibytes(spec.get("resources", {}).get("limits", {}).get("memory"))
    if not isinstance(program, str) and limit and limit < SANDBOX_MIN_MEMORY_MI:
        # The pod's sandbox had room (another container's limit counts toward it), this container's own cgroup
        # has not: runc's init process is OOM-killed while the container is created.
        program = ("failed to create containerd task: failed to create shim task: OCI runtime create failed: runc "
                   "create failed: unable to start container process: container init was OOM-killed (memory limit "
                   "too low?): unknown")
    if isinstance(program, str):
        events.emit(pod, "Created", f"Created container {name}", field_path=path, host=node)
        events.emit(pod, "Failed", f"Error: {program}", type_="Warning", field_path=path, host=node)
        _terminated(state, events, pod, spec, rt, 128, "StartError", program, started=False)
        return
    events.emit(pod, "Created", f"Created container {name}", field_path=path, host=node)
    events.emit(pod, "Started", f"Started container {name}", field_path=path, host=node)
    rt.started_tick = tick
    rt.last_error = ""
    rt.liveness_failures = rt.readiness_failures = 0
    paused = state.extra.setdefault(PAUSED, set())
    if _pod_failure(state, pod):
        # The pause image sleeps: it dials nothing, listens on nothing, logs nothing and never exits.
        paused.add(f"{pod['metadata']['uid']}/{name}")
        program = replace(with_behaviour(program, calls=(), operations=()), listen_port=None)
        outcome = StartOutcome()
    else:
        paused.discard(f"{pod['metadata']['uid']}/{name}")
        outcome = start_outcome(state, pod, spec, program, env)
        for line in logs.startup_lines(program.behaviour.log_style, program.behaviour, program.listen_port,
                                        state.clock.now):
            state.telemetry.log(pod["metadata"]["namespace"], pod["metadata"]["name"], name, rt.restarts, tick,
                                line, False)
    rt.exit_after_tick = tick + outcome.after_ticks if outcome.crashes else None
    rt.exit_code, rt.exit_reason = outcome.exit_code, outcome.reason
    state.extra.setdefault("crash_lines", {})[f"{pod['metadata']['uid']}/{name}"] = list(outcome.lines)
    state.extra.setdefault("programs", {})[f"{pod['metadata']['uid']}/{name}"] = program


def _pod_failure(state: SimState, pod: dict[str, Any]) -> bool:
    return any(c.action == "pod-failure"
               for c in active_chaos(state, pod["metadata"]["namespace"], component_of(state, pod)))


def _stopped_by_chaos(state: SimState, events: EventRecorder, pod: dict[str, Any], spec: dict[str, Any],
                      rt: ContainerRuntime) -> bool:
    """Chaos Mesh acting on a running container; True when it stopped the container this tick.

    container-kill SIGKILLs the containers of the selected pods once, when the experiment starts. pod-failure
    swaps the container image for `pause`, which the kubelet sees as a changed container definition: it restarts
    the container into the pause image, and back into the real one once the experiment is gone.
    """
    tick = state.clock.tick
    chaos = active_chaos(state, pod["metadata"]["namespace"], component_of(state, pod))
    fired = state.extra.setdefault("chaos_fired", {})
    if any(c.action == "container-kill" and fired.setdefault(c.name, tick) == tick for c in chaos):
        _terminated(state, events, pod, spec, rt, 137, "Error", "")
        return True
    failing = any(c.action == "pod-failure" for c in chaos)
    if failing != (f"{pod['metadata']['uid']}/{spec['name']}" in state.extra.get(PAUSED, ())):
        events.emit(pod, "Killing", f"Container {spec['name']} definition changed, will be restarted",
                    field_path=f"spec.containers{{{spec['name']}}}", host=pod["spec"]["nodeName"])
        _terminated(state, events, pod, spec, rt, 143, "Error", "", restart_now=True)
        return True
    return False


def _run_running(state: SimState, catalog: ImageCatalog, events: EventRecorder, pod: dict[str, Any],
                 spec: dict[str, Any], rt: ContainerRuntime) -> None:
    tick = state.clock.tick
    key = f"{pod['metadata']['uid']}/{spec['name']}"
    program: Program = state.extra["programs"][key]
    comp = program.behaviour
    assert rt.started_tick is not None
    up_seconds = (tick - rt.started_tick) * TICK_SECONDS
    if rt.exit_after_tick is not None and tick >= rt.exit_after_tick:
        for line in state.extra.get("crash_lines", {}).get(key, []):
            state.telemetry.log(pod["metadata"]["namespace"], pod["metadata"]["name"], spec["name"], rt.restarts,
                                tick, line, logs.is_error_line(line))
        if rt.exit_code == 0 and any(c["name"] == spec["name"] for c in pod["spec"].get("initContainers") or []):
            _completed(state, events, pod, spec, rt)
            return
        _terminated(state, events, pod, spec, rt, rt.exit_code, rt.exit_reason, "")
        return
    if up_seconds >= comp.startup_seconds and rt.exit_after_tick is None:
        rt.listen_port = program.listen_port
    limit = mebibytes(spec.get("resources", {}).get("limits", {}).get("memory"))
    if limit and rt.memory_mib > limit:
        state.telemetry.log(pod["metadata"]["namespace"], pod["metadata"]["name"], spec["name"], rt.restarts, tick,
                            logs.oom_line(comp.log_style), True)
        _terminated(state, events, pod, spec, rt, 137, "OOMKilled", "")
        return
    _probe(state, events, pod, spec, rt, "livenessProbe")
    if rt.started_tick is not None:
        _probe(state, events, pod, spec, rt, "readinessProbe")


def _probe(state: SimState, events: EventRecorder, pod: dict[str, Any], spec: dict[str, Any], rt: ContainerRuntime,
           which: str) -> None:
    probe = spec.get(which)
    if not probe or rt.started_tick is None:
        return
    up = (state.clock.tick - rt.started_tick) * TICK_SECONDS
    delay = int(probe.get("initialDelaySeconds", 0))
    period = max(1, int(probe.get("periodSeconds", 10)))
    program = state.extra["programs"].get(f"{pod['metadata']['uid']}/{spec['name']}")
    starting = replace(rt, listen_port=None)
    label = "Liveness" if which == "livenessProbe" else "Readiness"
    threshold = int(probe.get("failureThreshold", 3))
    node = pod["spec"]["nodeName"]
    path = f"spec.containers{{{spec['name']}}}"
    # Every probe the kubelet ran during this tick's seconds; one that ran before the process had finished
    # starting found nothing listening, even if it listens now.
    for second in range(up - TICK_SECONDS + 1, up + 1):
        if second < delay or (second - delay) % period:
            continue
        early = program is not None and second < program.behaviour.startup_seconds
        message = probe_failure(state, pod, spec, starting if early else rt, probe)
        if not message:
            if which == "livenessProbe":
                rt.liveness_failures = 0
            else:
                rt.readiness_failures = 0
            continue
        events.emit(pod, "Unhealthy", f"{label} probe failed: {message}", type_="Warning", field_path=path, host=node)
        if which != "livenessProbe":
            rt.readiness_failures += 1
            continue
        rt.liveness_failures += 1
        if rt.liveness_failures >= threshold:
            events.emit(pod, "Killing", f"Container {spec['name']} failed liveness probe, will be restarted",
                        field_path=path, host=node)
            # The first restart is immediate; a container killed again is restarted under crash back-off.
            _terminated(state, events, pod, spec, rt, 143, "Error", "", restart_now=True)
            return


def probe_failure(state: SimState, pod: dict[str, Any], spec: dict[str, Any], rt: ContainerRuntime,
                  probe: dict[str, Any]) -> str:
    """The kubelet's probe error text, or '' when the probe succeeds."""
    ip = pod["status"].get("podIP", "")
    program = state.extra["programs"].get(f"{pod['metadata']['uid']}/{spec['name']}")
    listening = rt.listen_port
    protocol = program.behaviour.protocol if program else None
    timeout = float(probe.get("timeoutSeconds", 1))
    slow = _response_seconds(state, pod, program) > timeout
    if "httpGet" in probe and is_agent_probe(probe):
        agent = state.containers.get(pod["metadata"]["uid"], {}).get(PROXY_CONTAINER)
        original = original_probe(pod, probe["httpGet"]["path"])
        failure = probe_failure(state, pod, spec, rt, original) if original is not None else None
        return agent_probe_result(pod, probe, agent is not None and agent.listen_port is not None, failure)
    if "httpGet" in probe:
        port = _probe_port(spec, probe["httpGet"].get("port"))
        url = f"http://{ip}:{port}{probe['httpGet'].get('path', '/')}"
        if listening != port:
            return f'Get "{url}": dial tcp {ip}:{port}: connect: connection refused'
        if protocol == "grpc":
            return (f'Get "{url}": net/http: HTTP/1.x transport connection broken: malformed HTTP status code '
                    '"\\x00\\x00\\x00\\x04\\b\\x00\\x00\\x00\\x00\\x00\\x00\\x0f\\x00\\x01\\x00\\x00+\\a\\x00\\x00'
                    '\\x00\\x00\\x00\\x7f\\xff\\xff\\xff\\x00\\x00\\x00\\x01Unexpected"')
        if slow:
            return f'Get "{url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
        return ""
    if "grpc" in probe:
        port = int(probe["grpc"].get("port", 0))
        if listening != port or protocol != "grpc":
            return (f'timeout: failed to connect service "{ip}:{port}" within {int(timeout)}s: context deadline '
                    "exceeded")
        if slow:
            return f"timeout: health rpc did not complete within {int(timeout)}s"
        return ""
    if "tcpSocket" in probe:
        port = _probe_port(spec, probe["tcpSocket"].get("port"))
        if listening != port:
            return f"dial tcp {ip}:{port}: connect: connection refused"
        return ""
    if "exec" in probe:
        return "" if listening else "command timed out"
    return ""


def _probe_port(spec: dict[str, Any], port: Any) -> int | None:
    if isinstance(port, str) and not port.isdigit():
        return next((p["containerPort"] for p in spec.get("ports") or [] if p.get("name") == port), None)
    return int(port) if port is not None else None


def _response_seconds(state: SimState, pod: dict[str, Any], program: Program | None) -> float:
    """How long the process takes to answer a health check right now (CPU starvation, GC pauses)."""
    if program is None:
        return 0.0
    key = f"{pod['metadata']['namespace']}/{program.behaviour.name}"
    return state.extra.get("health_latency_s", {}).get(key, 0.0)


def _terminated(state: SimState, events: EventRecorder, pod: dict[str, Any], spec: dict[str, Any],
                rt: ContainerRuntime, code: int, reason: str, message: str, *, started: bool = True,
                restart_now: bool = False) -> None:
    tick = state.clock.tick
    start = rt.started_tick if rt.started_tick is not None else tick
    state.extra.setdefault("last_state", {})[f"{pod['metadata']['uid']}/{spec['name']}"] = {
        "terminated": {"exitCode": code, "reason": reason, "message": message or None,
                       "startedAt": rfc3339(_at(state, start)) if started else "1970-01-01T00:00:00Z",
                       "finishedAt": rfc3339(state.clock.now), "containerID": _container_id(pod, spec, rt)}}
    rt.started_tick = None
    rt.listen_port = None
    rt.exit_after_tick = None
    rt.memory_mib = 0.0
    rt.restarts += 1
    rt.last_error = "CrashLoopBackOff"
    exited_before, rt.exited_tick = rt.exited_tick, tick
    # A container the kubelet kills (liveness, changed definition) is started again in the same pod sync, checked
    # against the instance that exited before it; one that exits by itself waits for the next sync's check.
    if restart_now and _back_off_allows_start(rt, tick, exited_before):
        rt.start_granted = True
        rt.last_error = ""
    rt.next_start_tick = tick if rt.start_granted else tick + 1


def _completed(state: SimState, events: EventRecorder, pod: dict[str, Any], spec: dict[str, Any],
               rt: ContainerRuntime) -> None:
    """An init container that did its job: terminated with exit code 0, never restarted."""
    start = rt.started_tick if rt.started_tick is not None else state.clock.tick
    state.extra.setdefault("last_state", {})[f"{pod['metadata']['uid']}/{spec['name']}"] = {
        "terminated": {"exitCode": 0, "reason": "Completed", "startedAt": rfc3339(_at(state, start)),
                       "finishedAt": rfc3339(state.clock.now), "containerID": _container_id(pod, spec, rt)}}
    rt.started_tick = None
    rt.listen_port = None
    rt.exit_after_tick = None
    rt.completed = True


def _back_off_allows_start(rt: ContainerRuntime, tick: int, exited_tick: int | None) -> bool:
    """The kubelet's crash-loop back-off (`doBackOff` over client-go's `flowcontrol.Backoff`): a container whose
    latest instance exited less than the current back-off ago waits; otherwise it starts and the back-off doubles
    (10 s, 20 s, ... up to 5 minutes; reset when the last change is over 10 minutes old). So a container that
    lives longer than its back-off restarts at once — a liveness kill every 30 s restarts immediately four times
    before the first CrashLoopBackOff."""
    if exited_tick is None:
        return True
    expired = not rt.backoff_seconds or (exited_tick - rt.backoff_updated_tick) * TICK_SECONDS > 2 * MAX_BACKOFF
    if not expired and (tick - exited_tick) * TICK_SECONDS < rt.backoff_seconds:
        return False
    rt.backoff_seconds = 10 if expired else min(MAX_BACKOFF, rt.backoff_seconds * 2)
    rt.backoff_updated_tick = tick
    return True


def _back_off(rt: ContainerRuntime, tick: int) -> None:
    rt.backoff_seconds = min(MAX_BACKOFF, rt.backoff_seconds * 2 if rt.backoff_seconds else 10)
    rt.next_start_tick = tick + max(1, rt.backoff_seconds // TICK_SECONDS)


def _at(state: SimState, tick: int) -> Any:
    from datetime import timedelta

    from aoi.cluster.sim.clock import EPOCH

    return EPOCH + timedelta(seconds=tick * TICK_SECONDS)


def _container_id(pod: dict[str, Any], spec: dict[str, Any], rt: ContainerRuntime) -> str:
    import hashlib

    seed = f"{pod['metadata']['uid']}/{spec['name']}/{rt.restarts}".encode()
    return "containerd://" + hashlib.sha256(seed).hexdigest()


def container_env(state: SimState, pod: dict[str, Any], spec: dict[str, Any]) -> dict[str, str]:
    env: dict[str, str] = {}
    ns = pod["metadata"]["namespace"]
    for item in spec.get("env") or []:
        if "value" in item:
            env[item["name"]] = str(item["value"])
            continue
        ref = item.get("valueFrom") or {}
        if "secretKeyRef" in ref:
            secret = state.store.get("Secret", ns, ref["secretKeyRef"]["name"])
            if secret and ref["secretKeyRef"]["key"] in (secret.get("data") or {}):
                import base64

                env[item["name"]] = base64.b64decode(secret["data"][ref["secretKeyRef"]["key"]]).decode()
        elif "configMapKeyRef" in ref:
            cm = state.store.get("ConfigMap", ns, ref["configMapKeyRef"]["name"])
            if cm and ref["configMapKeyRef"]["key"] in (cm.get("data") or {}):
                env[item["name"]] = cm["data"][ref["configMapKeyRef"]["key"]]
    return env


def _config_error(state: SimState, pod: dict[str, Any], spec: dict[str, Any]) -> str:
    ns = pod["metadata"]["namespace"]
    for item in spec.get("env") or []:
        ref = item.get("valueFrom") or {}
        for kind, field_ in (("Secret", "secretKeyRef"), ("ConfigMap", "configMapKeyRef")):
            if field_ not in ref or ref[field_].get("optional"):
                continue
            obj = state.store.get(kind, ns, ref[field_]["name"])
            if obj is None:
                return f'{kind.lower()} "{ref[field_]["name"]}" not found'
            if ref[field_]["key"] not in (obj.get("data") or {}):
                return f"couldn't find key {ref[field_]['key']} in {kind} {ns}/{ref[field_]['name']}"
    return ""


def _mount_error(state: SimState, pod: dict[str, Any]) -> str:
    ns = pod["metadata"]["namespace"]
    for vol in pod["spec"].get("volumes") or []:
        for kind, field_, key in (("ConfigMap", "configMap", "name"), ("Secret", "secret", "secretName")):
            src = vol.get(field_)
            if src and not src.get("optional") and state.store.get(kind, ns, src.get(key, "")) is None:
                return (f'MountVolume.SetUp failed for volume "{vol["name"]}" : {kind.lower()} "{src.get(key)}" '
                        f"not found")
    return ""


def start_outcome(state: SimState, pod: dict[str, Any], spec: dict[str, Any], program: Program,
                  env: dict[str, str]) -> StartOutcome:
    """Decide at start whether the program keeps running, from its dependencies, volumes and memory."""
    comp = program.behaviour
    style = comp.log_style
    ns = pod["metadata"]["namespace"]
    node = pod["spec"]["nodeName"]
    if comp.runs_for_seconds is not None:
        return StartOutcome(0, "Completed", max(1, -(-comp.runs_for_seconds // TICK_SECONDS)), ())
    if comp.pvc and _data_dir_denied(pod, spec):
        return StartOutcome(1, "Error", 1, logs.permission_denied_lines(style, comp.mount_path, state.clock.now))
    limit = mebibytes(spec.get("resources", {}).get("limits", {}).get("memory"))
    if limit and comp.mem_working_mi > limit:
        return StartOutcome(137, "OOMKilled", 2, ())
    for call in comp.calls:
        if not call.at_startup:
            continue
        target_comp = _component(state, call.target)
        default_port = target_comp.port if target_comp and target_comp.port else 0
        address = resolve_address(program, call, env, ns, default_port)
        conn = connect(state, ns, address, default_port, node)
        if not conn.ok:
            return StartOutcome(2 if style == "go-hotel" else 1, "Error", 2,
                                logs.startup_dependency_failure(style, call, address, conn.message,
                                                                state.clock.now))
        error = datastore_error(state, ns, call, comp)
        if error:
            return StartOutcome(2 if style == "go-hotel" else 1, "Error", 1,
                                logs.startup_dependency_failure(style, call, address, error, state.clock.now))
    return StartOutcome()


def _component(state: SimState, name: str) -> Any:
    try:
        return state.app.component(name)
    except KeyError:
        return None


def _data_dir_denied(pod: dict[str, Any], spec: dict[str, Any]) -> bool:
    """A non-root process cannot write a hostPath data dir unless fsGroup hands it the group, or it runs as root."""
    ctx = pod["spec"].get("securityContext") or {}
    cctx = spec.get("securityContext") or {}
    user = cctx.get("runAsUser", ctx.get("runAsUser"))
    if user in (None, 0):
        return False
    return "fsGroup" not in ctx


def _init_status(state: SimState, pod: dict[str, Any], spec: dict[str, Any],
                 rt: ContainerRuntime | None) -> dict[str, Any]:
    rt = rt or ContainerRuntime()
    status: dict[str, Any] = {"name": spec["name"], "image": spec["image"], "imageID": "",
                              "restartCount": rt.restarts, "started": rt.started_tick is not None,
                              "ready": rt.completed, "lastState": {}}
    if rt.completed:
        status["state"] = state.extra["last_state"][f"{pod['metadata']['uid']}/{spec['name']}"]
    elif rt.started_tick is not None:
        status["state"] = {"running": {"startedAt": rfc3339(_at(state, rt.started_tick))}}
    else:
        status["state"] = {"waiting": {"reason": rt.last_error or "PodInitializing"}}
    if rt.completed or rt.started_tick is not None:
        status["containerID"] = _container_id(pod, spec, rt)
        status["imageID"] = f"{spec['image'].rsplit(':', 1)[0]}@sha256:" + _container_id(pod, spec, rt)[-64:]
    return status


def _pod_status(state: SimState, pod: dict[str, Any], runtimes: dict[str, ContainerRuntime], mount_error: str) -> None:
    now = rfc3339(state.clock.now)
    statuses = []
    all_ready = True
    any_started = False
    inits = pod["spec"].get("initContainers") or []
    initialized = all(runtimes.get(c["name"], ContainerRuntime()).completed for c in inits)
    for spec in pod["spec"]["containers"]:
        rt = runtimes[spec["name"]]
        key = f"{pod['metadata']['uid']}/{spec['name']}"
        status: dict[str, Any] = {"name": spec["name"], "image": spec["image"], "imageID": "",
                                  "restartCount": rt.restarts, "started": rt.started_tick is not None}
        last = state.extra.get("last_state", {}).get(key)
        status["lastState"] = last or {}
        if rt.started_tick is not None:
            readiness = spec.get("readinessProbe")
            ready = rt.readiness_failures < int((readiness or {}).get("failureThreshold", 3)) if readiness else True
            if readiness and (state.clock.tick - rt.started_tick) * TICK_SECONDS < int(
                    readiness.get("initialDelaySeconds", 0)) + TICK_SECONDS:
                ready = False
            if rt.listen_port is None and readiness:
                ready = False
            status["state"] = {"running": {"startedAt": rfc3339(_at(state, rt.started_tick))}}
            status["ready"] = ready
            status["containerID"] = _container_id(pod, spec, rt)
            status["imageID"] = f"{spec['image'].rsplit(':', 1)[0]}@sha256:" + _container_id(pod, spec, rt)[-64:]
            any_started = True
        else:
            reason = rt.last_error or ("PodInitializing" if inits else "ContainerCreating")
            if reason == "ErrImagePull" and rt.backoff_seconds > 10 and state.clock.tick < rt.next_start_tick:
                reason = "ImagePullBackOff"
            waiting: dict[str, Any] = {"reason": reason}
            if reason == "CrashLoopBackOff":
                waiting["message"] = (f"back-off {(rt.backoff_seconds // 60 and f'{rt.backoff_seconds // 60}m') or ''}"
                                      f"{rt.backoff_seconds % 60 or ''}{'s' if rt.backoff_seconds % 60 else ''} "
                                      f"restarting failed container={spec['name']} pod={pod['metadata']['name']}_"
                                      f"{pod['metadata']['namespace']}({pod['metadata']['uid']})")
            elif reason == "CreateContainerConfigError":
                waiting["message"] = rt.exit_reason
            elif reason in ("ErrImagePull", "ImagePullBackOff"):
                waiting["message"] = (f'Back-off pulling image "{spec["image"]}"' if reason == "ImagePullBackOff"
                                      else "rpc error: code = NotFound desc = failed to pull and unpack image")
            status["state"] = {"waiting": waiting}
            status["ready"] = False
            if last:
                any_started = True
        if not status["ready"]:
            all_ready = False
        statuses.append(status)
    old = pod["status"]
    conditions = {c["type"]: c for c in old.get("conditions") or []}

    def cond(type_: str, value: bool, reason: str | None = None) -> dict[str, Any]:
        status_text = "True" if value else "False"
        prev = conditions.get(type_)
        c = {"type": type_, "status": status_text, "lastProbeTime": None,
             "lastTransitionTime": prev["lastTransitionTime"] if prev and prev["status"] == status_text else now}
        if not value and reason:
            c["reason"] = reason
        return c

    new_conditions = [
        cond("PodReadyToStartContainers", not mount_error),
        cond("Initialized", initialized, "ContainersNotInitialized"),
        cond("Ready", all_ready, "ContainersNotReady"),
        cond("ContainersReady", all_ready, "ContainersNotReady"),
        conditions.get("PodScheduled") or cond("PodScheduled", True),
    ]
    new_status = dict(old)
    new_status.update({"phase": "Running" if any_started else "Pending", "conditions": new_conditions,
                       "containerStatuses": statuses, "startTime": old.get("startTime") or now})
    if inits:
        new_status["initContainerStatuses"] = [_init_status(state, pod, spec, runtimes.get(spec["name"]))
                                               for spec in inits]
    if new_status != old:
        pod["status"] = new_status
        state.store.touch(pod)
