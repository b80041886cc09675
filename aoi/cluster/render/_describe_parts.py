"""Building blocks shared by the describers: kubectl's prefix writer, multi-line label/annotation/taint lists,
event tables, container, volume and pod-template sections (``k8s.io/kubectl/pkg/describe``, v1.32 layout)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aoi.cluster.render._k8s import (
    controller_of,
    dig,
    format_label_selector,
    int_or_string,
    meta,
    name_of,
    namespace_of,
)
from aoi.cluster.render._quantity import ZERO, Quantity, quantity_str, try_parse
from aoi.cluster.render._tabwriter import DESCRIBE_MINWIDTH, DESCRIBE_PADDING, tabwrite
from aoi.cluster.render.durations import parse_timestamp, rfc1123z, since
from aoi.cluster.render.source import ObjectSource
from aoi.cluster.render.tables import join_host_port

Obj = Mapping[str, Any]

_NEVER = datetime.min.replace(tzinfo=UTC)
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
MAX_ANNOTATION_LEN = 140


class Writer:
    """kubectl's ``PrefixWriter``: each ``write`` is prefixed with two spaces per level."""

    def __init__(self) -> None:
        self._parts: list[str] = []

    def write(self, level: int, text: str) -> None:
        self._parts.append("  " * level + text)

    def line(self, text: str = "") -> None:
        """``WriteLine``: the text and a newline, without indentation."""
        self._parts.append(text + "\n")

    def render(self) -> str:
        return tabwrite("".join(self._parts), minwidth=DESCRIBE_MINWIDTH, padding=DESCRIBE_PADDING)


@dataclass(frozen=True)
class Ctx:
    now: datetime
    source: ObjectSource | None

    def list(self, kind: str, namespace: str | None = None) -> list[dict[str, Any]]:
        return list(self.source.list(kind, namespace)) if self.source is not None else []

    def get(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        return self.source.get(kind, namespace, name) if self.source is not None else None

    def since(self, timestamp: object) -> str:
        return since(timestamp, self.now)

    def time(self, timestamp: object) -> str:
        return rfc1123z(timestamp, self.now)


# ------------------------------------------------------------------------------------------ shared parts


def go_bool(value: object) -> str:
    return "true" if value else "false"


def title_bool(value: object) -> str:
    """``printBool``: ``True``/``False``."""
    return "True" if value else "False"


def labels_multiline(
    w: Writer, title: str, labels: Mapping[str, Any] | None, initial_indent: str = "", inner_indent: str = "\t"
) -> None:
    w.write(0, f"{initial_indent}{title}:{inner_indent}")
    if not labels:
        w.line("<none>")
        return
    for i, key in enumerate(sorted(labels)):
        if i:
            w.write(0, initial_indent)
            w.write(0, inner_indent)
        w.write(0, f"{key}={labels[key]}\n")


def annotations_multiline(w: Writer, title: str, annotations: Mapping[str, Any] | None) -> None:
    w.write(0, f"{title}:\t")
    keys = sorted(k for k in (annotations or {}) if k != LAST_APPLIED)
    if not keys:
        w.line("<none>")
        return
    for i, key in enumerate(keys):
        if i:
            w.write(0, "\t")
        value = str((annotations or {})[key]).removesuffix("\n")
        if len(value) + len(key) + 2 > MAX_ANNOTATION_LEN or "\n" in value:
            w.write(0, f"{key}:\n")
            for piece in value.split("\n"):
                shortened = piece if len(piece) <= MAX_ANNOTATION_LEN - 2 else piece[: MAX_ANNOTATION_LEN - 2] + "..."
                w.write(0, f"\t  {shortened}\n")
        else:
            w.write(0, f"{key}: {value}\n")


def multiline_list(w: Writer, title: str, items: Sequence[str]) -> None:
    w.write(0, f"{title}:\t")
    if not items:
        w.line("<none>")
        return
    for i, item in enumerate(items):
        if i:
            w.write(0, "\t")
        w.write(0, f"{item}\n")


def _taint_string(taint: Obj) -> str:
    if taint.get("value"):
        return f"{taint.get('key', '')}={taint['value']}:{taint.get('effect', '')}"
    return f"{taint.get('key', '')}:{taint.get('effect', '')}"


def taints_multiline(w: Writer, title: str, taints: Sequence[Obj] | None) -> None:
    ordered = sorted(taints or [], key=lambda t: f"{t.get('effect', '')},{t.get('key', '')}")
    multiline_list(w, title, [_taint_string(t) for t in ordered])


def _toleration_string(t: Obj) -> str:
    text = str(t.get("key") or "")
    if t.get("value"):
        text += f"={t['value']}"
    if t.get("effect"):
        text += f":{t['effect']}"
    if t.get("operator") == "Exists" and not t.get("value"):
        text += " op=Exists" if (t.get("key") or t.get("effect")) else "op=Exists"
    if t.get("tolerationSeconds") is not None:
        text += f" for {t['tolerationSeconds']}s"
    return text


def tolerations_multiline(w: Writer, title: str, tolerations: Sequence[Obj] | None) -> None:
    ordered = sorted(tolerations or [], key=lambda t: str(t.get("key") or ""))
    multiline_list(w, title, [_toleration_string(t) for t in ordered])


def _matches_involved(event: Obj, obj: Obj, kind: str | None, extra_uids: Sequence[str] = ()) -> bool:
    involved = event.get("involvedObject") or {}
    namespace = involved.get("namespace") or ""
    # Cluster-scoped objects (nodes, volumes) have events recorded in "default"; accept either spelling.
    same_namespace = namespace == namespace_of(obj) or (not namespace_of(obj) and namespace == "default")
    if involved.get("name") != name_of(obj) or not same_namespace:
        return False
    if kind is not None and involved.get("kind") not in (None, kind):
        return False
    uid = involved.get("uid")
    own_uid = meta(obj).get("uid")
    return not uid or not own_uid or uid == own_uid or uid in extra_uids


def events_for(ctx: Ctx, obj: Obj, kind: str | None, extra_uids: Sequence[str] = ()) -> list[dict[str, Any]]:
    """``searchEvents``: events whose involved object is ``obj`` (same name, namespace, kind and uid)."""
    namespace = namespace_of(obj) or None
    return [e for e in ctx.list("Event", namespace) if _matches_involved(e, obj, kind, extra_uids)]


def describe_events(w: Writer, ctx: Ctx, events: Sequence[Obj]) -> None:
    if not events:
        w.write(0, "Events:\t<none>\n")
        return
    ordered = sorted(events, key=lambda e: parse_timestamp(e.get("lastTimestamp")) or _NEVER)
    w.write(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n")
    w.write(1, "----\t------\t----\t----\t-------\n")
    for e in ordered:
        first = ctx.since(e.get("eventTime")) if e.get("eventTime") else ctx.since(e.get("firstTimestamp"))
        series = e.get("series")
        count = int(e.get("count") or 0)
        if series:
            interval = f"{ctx.since(series.get('lastObservedTime'))} (x{series.get('count', 0)} over {first})"
        elif count > 1:
            interval = f"{ctx.since(e.get('lastTimestamp'))} (x{count} over {first})"
        else:
            interval = first
        source = dig(e, "source", "component") or e.get("reportingController") or ""
        message = str(e.get("message") or "").strip()
        w.write(1, f"{e.get('type', '')}\t{e.get('reason', '')}\t{interval}\t{source}\t{message}\n")


def controlled_by(obj: Obj) -> str:
    ref = controller_of(obj)
    return f"{ref.get('kind', '')}/{ref.get('name', '')}" if ref else ""


def describe_resources(w: Writer, resources: Obj | None, level: int) -> None:
    for field, title in (("limits", "Limits"), ("requests", "Requests")):
        values = (resources or {}).get(field) or {}
        if values:
            w.write(level, f"{title}:\n")
        for name in sorted(values):
            w.write(level + 1, f"{name}:\t{quantity_str(values[name])}\n")


# ----------------------------------------------------------------------------------------------- probes


def describe_probe(probe: Obj) -> str:
    """``DescribeProbe``: ``http-get http://:8080/health delay=0s timeout=1s period=10s #success=1 #failure=3``."""
    attrs = (
        f"delay={int(probe.get('initialDelaySeconds') or 0)}s timeout={int(probe.get('timeoutSeconds') or 1)}s "
        f"period={int(probe.get('periodSeconds') or 10)}s #success={int(probe.get('successThreshold') or 1)} "
        f"#failure={int(probe.get('failureThreshold') or 3)}"
    )
    if probe.get("exec") is not None:
        return f"exec [{' '.join(str(c) for c in dig(probe, 'exec', 'command', default=[]))}] {attrs}"
    if probe.get("httpGet") is not None:
        http = probe["httpGet"]
        port = int_or_string(http.get("port"))
        host = str(http.get("host") or "")
        netloc = join_host_port(host, port) if port else host
        return f"http-get {str(http.get('scheme') or 'HTTP').lower()}://{netloc}{http.get('path') or ''} {attrs}"
    if probe.get("tcpSocket") is not None:
        tcp = probe["tcpSocket"]
        return f"tcp-socket {tcp.get('host') or ''}:{int_or_string(tcp.get('port'))} {attrs}"
    if probe.get("grpc") is not None:
        grpc = probe["grpc"]
        return f"grpc <pod>:{grpc.get('port')} {grpc.get('service') or ''} {attrs}"
    return f"unknown {attrs}"


# ------------------------------------------------------------------------------------------- containers

_EnvResolver = Callable[[Obj], str] | None


def pod_field(pod: Obj, path: str) -> str:
    """The value of a downward-API ``fieldRef`` path for ``pod`` (the paths the API allows)."""
    for prefix, field in (("metadata.labels", "labels"), ("metadata.annotations", "annotations")):
        if path.startswith(prefix + "['") and path.endswith("']"):
            return str((meta(pod).get(field) or {}).get(path[len(prefix) + 2 : -2], ""))
        if path == prefix:
            values = meta(pod).get(field) or {}
            return "\n".join(f'{k}="{values[k]}"' for k in sorted(values))
    simple = {
        "metadata.name": name_of(pod),
        "metadata.namespace": namespace_of(pod),
        "metadata.uid": str(meta(pod).get("uid") or ""),
        "spec.nodeName": str(dig(pod, "spec", "nodeName", default="")),
        "spec.serviceAccountName": str(dig(pod, "spec", "serviceAccountName", default="")),
        "status.hostIP": str(dig(pod, "status", "hostIP", default="")),
        "status.podIP": str(dig(pod, "status", "podIP", default="")),
        "status.podIPs": ",".join(ip.get("ip", "") for ip in dig(pod, "status", "podIPs", default=[])),
        "status.hostIPs": ",".join(ip.get("ip", "") for ip in dig(pod, "status", "hostIPs", default=[])),
    }
    return simple.get(path, "")


def _resource_field_value(ref: Obj, container: Obj) -> str:
    """``ExtractContainerResourceValue`` for ``limits.cpu``, ``requests.memory`` and friends."""
    resource = str(ref.get("resource") or "")
    field, _, name = resource.partition(".")
    if field not in ("limits", "requests") or not name:
        return ""
    value = try_parse(dig(container, "resources", field, name)) or ZERO
    divisor = try_parse(ref.get("divisor")) or Quantity.parse("1")
    if divisor.value == 0:
        divisor = Quantity.parse("1")
    if name == "cpu":
        return str(-(-value.milli_value() // divisor.milli_value()))
    return str(-(-value.int_value() // max(divisor.int_value(), 1)))


def _describe_env(w: Writer, container: Obj, resolver: _EnvResolver) -> None:
    env = container.get("env") or []
    w.write(2, "Environment:" + ("" if env else "\t<none>") + "\n")
    for e in env:
        name = e.get("name", "")
        source = e.get("valueFrom")
        if source is None:
            for i, piece in enumerate(str(e.get("value") or "").split("\n")):
                w.write(3, f"{name}:\t{piece}\n" if i == 0 else f"\t{piece}\n")
            continue
        if source.get("fieldRef") is not None:
            ref = source["fieldRef"]
            value = resolver(ref) if resolver is not None else ""
            w.write(3, f"{name}:\t{value} ({ref.get('apiVersion') or 'v1'}:{ref.get('fieldPath', '')})\n")
        elif source.get("resourceFieldRef") is not None:
            ref = source["resourceFieldRef"]
            value = _resource_field_value(ref, container)
            if value == "0" and ref.get("resource") in ("limits.cpu", "limits.memory"):
                value = "node allocatable"
            w.write(3, f"{name}:\t{value} ({ref.get('resource', '')})\n")
        elif source.get("secretKeyRef") is not None:
            ref = source["secretKeyRef"]
            w.write(
                3,
                f"{name}:\t<set to the key '{ref.get('key', '')}' in secret '{ref.get('name', '')}'>\t"
                f"Optional: {go_bool(ref.get('optional'))}\n",
            )
        elif source.get("configMapKeyRef") is not None:
            ref = source["configMapKeyRef"]
            w.write(
                3,
                f"{name}:\t<set to the key '{ref.get('key', '')}' of config map '{ref.get('name', '')}'>\t"
                f"Optional: {go_bool(ref.get('optional'))}\n",
            )


def _describe_env_from(w: Writer, container: Obj) -> None:
    w.write(2, "Environment Variables from:\n")
    for e in container.get("envFrom") or []:
        kind, ref = ("ConfigMap", e.get("configMapRef")) if e.get("configMapRef") else ("Secret", e.get("secretRef"))
        ref = ref or {}
        optional = go_bool(ref.get("optional"))
        if e.get("prefix"):
            w.write(3, f"{ref.get('name', '')}\t{kind} with prefix '{e['prefix']}'\tOptional: {optional}\n")
        else:
            w.write(3, f"{ref.get('name', '')}\t{kind}\tOptional: {optional}\n")


def _describe_mounts(w: Writer, container: Obj) -> None:
    mounts = container.get("volumeMounts") or []
    w.write(2, "Mounts:" + ("" if mounts else "\t<none>") + "\n")
    for m in sorted(mounts, key=lambda m: str(m.get("mountPath") or "")):
        flags = ["ro" if m.get("readOnly") else "rw"]
        if m.get("subPath"):
            flags.append(f'path="{m["subPath"]}"')
        w.write(3, f"{m.get('mountPath', '')} from {m.get('name', '')} ({','.join(flags)})\n")
    devices = container.get("volumeDevices") or []
    if devices:
        w.write(2, "Devices:\n")
        for d in sorted(devices, key=lambda d: str(d.get("devicePath") or "")):
            w.write(3, f"{d.get('devicePath', '')} from {d.get('name', '')}\n")


def _describe_state(w: Writer, ctx: Ctx, title: str, state: Obj | None) -> None:
    state = state or {}
    if state.get("running") is not None:
        w.write(2, f"{title}:\tRunning\n")
        w.write(3, f"Started:\t{ctx.time(state['running'].get('startedAt'))}\n")
    elif state.get("waiting") is not None:
        w.write(2, f"{title}:\tWaiting\n")
        if state["waiting"].get("reason"):
            w.write(3, f"Reason:\t{state['waiting']['reason']}\n")
    elif state.get("terminated") is not None:
        term = state["terminated"]
        w.write(2, f"{title}:\tTerminated\n")
        if term.get("reason"):
            w.write(3, f"Reason:\t{term['reason']}\n")
        if term.get("message"):
            w.write(3, f"Message:\t{term['message']}\n")
        w.write(3, f"Exit Code:\t{int(term.get('exitCode') or 0)}\n")
        if int(term.get("signal") or 0) > 0:
            w.write(3, f"Signal:\t{term['signal']}\n")
        w.write(3, f"Started:\t{ctx.time(term.get('startedAt'))}\n")
        w.write(3, f"Finished:\t{ctx.time(term.get('finishedAt'))}\n")
    else:
        w.write(2, f"{title}:\tWaiting\n")


def _port_list(ports: Sequence[Obj], field: str) -> str:
    return ", ".join(f"{int(p.get(field) or 0)}/{p.get('protocol') or 'TCP'}" for p in ports)


def describe_containers(
    w: Writer,
    ctx: Ctx,
    label: str,
    containers: Sequence[Obj],
    statuses: Sequence[Obj] | None,
    resolver: _EnvResolver,
    space: str,
) -> None:
    by_name = {s.get("name"): s for s in statuses or []}
    w.write(0, f"{space}{label}:{'' if containers else ' <none>'}\n")
    for c in containers:
        status = by_name.get(c.get("name")) if statuses is not None else None
        w.write(1, f"{' ' if space else ''}{c.get('name', '')}:\n")
        if status is not None:
            w.write(2, f"Container ID:\t{status.get('containerID') or ''}\n")
        w.write(2, f"Image:\t{c.get('image') or ''}\n")
        if status is not None:
            w.write(2, f"Image ID:\t{status.get('imageID') or ''}\n")
        ports = c.get("ports") or []
        ports_text, host_ports = _port_list(ports, "containerPort"), _port_list(ports, "hostPort")
        w.write(2, f"Ports:\t{ports_text}\n" if "," in ports_text else f"Port:\t{ports_text or '<none>'}\n")
        w.write(2, f"Host Ports:\t{host_ports}\n" if "," in host_ports else f"Host Port:\t{host_ports or '<none>'}\n")
        seccomp = dig(c, "securityContext", "seccompProfile")
        if seccomp:
            w.write(2, f"SeccompProfile:\t{seccomp.get('type', '')}\n")
            if seccomp.get("type") == "Localhost":
                w.write(3, f"LocalhostProfile:\t{seccomp.get('localhostProfile', '')}\n")
        for field, title in (("command", "Command"), ("args", "Args")):
            if c.get(field):
                w.write(2, f"{title}:\n")
                for item in c[field]:
                    for piece in str(item).split("\n"):
                        w.write(3, f"{piece}\n")
        if status is not None:
            _describe_state(w, ctx, "State", status.get("state"))
            if dig(status, "lastState", "terminated") is not None:
                _describe_state(w, ctx, "Last State", status.get("lastState"))
            w.write(2, f"Ready:\t{title_bool(status.get('ready'))}\n")
            w.write(2, f"Restart Count:\t{int(status.get('restartCount') or 0)}\n")
        describe_resources(w, c.get("resources"), 2)
        for field, title in (
            ("livenessProbe", "Liveness"),
            ("readinessProbe", "Readiness"),
            ("startupProbe", "Startup"),
        ):
            if c.get(field) is not None:
                w.write(2, f"{title}:\t{describe_probe(c[field])}\n")
        if c.get("envFrom"):
            _describe_env_from(w, c)
        _describe_env(w, c, resolver)
        _describe_mounts(w, c)


# ---------------------------------------------------------------------------------------------- volumes


def volume_source_lines(volume: Obj) -> list[str]:
    """The ``Type:`` block of one volume, one tab-separated line per entry (indented by the caller)."""
    if volume.get("hostPath") is not None:
        hp = volume["hostPath"]
        return [
            "Type:\tHostPath (bare host directory volume)",
            f"    Path:\t{hp.get('path', '')}",
            f"    HostPathType:\t{hp.get('type') or '<none>'}",
        ]
    if volume.get("emptyDir") is not None:
        ed = volume["emptyDir"]
        size = ed.get("sizeLimit")
        size_text = quantity_str(size) if size and (try_parse(size) or ZERO).value > 0 else "<unset>"
        return [
            "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)",
            f"    Medium:\t{ed.get('medium') or ''}",
            f"    SizeLimit:\t{size_text}",
        ]
    if volume.get("secret") is not None:
        s = volume["secret"]
        return [
            "Type:\tSecret (a volume populated by a Secret)",
            f"    SecretName:\t{s.get('secretName', '')}",
            f"    Optional:\t{go_bool(s.get('optional'))}",
        ]
    if volume.get("configMap") is not None:
        cm = volume["configMap"]
        return [
            "Type:\tConfigMap (a volume populated by a ConfigMap)",
            f"    Name:\t{cm.get('name', '')}",
            f"    Optional:\t{go_bool(cm.get('optional'))}",
        ]
    if volume.get("nfs") is not None:
        nfs = volume["nfs"]
        return [
            "Type:\tNFS (an NFS mount that lasts the lifetime of a pod)",
            f"    Server:\t{nfs.get('server', '')}",
            f"    Path:\t{nfs.get('path', '')}",
            f"    ReadOnly:\t{go_bool(nfs.get('readOnly'))}",
        ]
    if volume.get("persistentVolumeClaim") is not None:
        claim = volume["persistentVolumeClaim"]
        return [
            "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)",
            f"    ClaimName:\t{claim.get('claimName', '')}",
            f"    ReadOnly:\t{go_bool(claim.get('readOnly'))}",
        ]
    if volume.get("ephemeral") is not None:
        return [
            "Type:\tEphemeralVolume (an inline specification for a volume that gets created and deleted with the pod)"
        ]
    if volume.get("downwardAPI") is not None:
        lines = ["Type:\tDownwardAPI (a volume populated by information about the pod)", "    Items:"]
        for item in volume["downwardAPI"].get("items") or []:
            if item.get("fieldRef"):
                lines.append(f"      {item['fieldRef'].get('fieldPath', '')} -> {item.get('path', '')}")
            if item.get("resourceFieldRef"):
                lines.append(f"      {item['resourceFieldRef'].get('resource', '')} -> {item.get('path', '')}")
        return lines
    if volume.get("projected") is not None:
        return _projected_lines(volume["projected"])
    if volume.get("csi") is not None:
        csi = volume["csi"]
        attrs = csi.get("volumeAttributes") or {}
        lines = [
            "Type:\tCSI (a Container Storage Interface (CSI) volume source)",
            f"    Driver:\t{csi.get('driver', '')}",
            f"    FSType:\t{csi.get('fsType') or ''}",
            f"    ReadOnly:\t{go_bool(csi.get('readOnly'))}",
        ]
        if not attrs:
            return [*lines, "VolumeAttributes:\t<none>"]
        keys = sorted(attrs)
        lines.append(f"VolumeAttributes:\t{keys[0]}={attrs[keys[0]]}")
        lines.extend(f"        \t    {k}={attrs[k]}" for k in keys[1:])
        return lines
    return []


def write_source_lines(w: Writer, lines: Sequence[str]) -> None:
    """Lines starting with blanks carry their full indentation (kubectl writes them inside one multi-line
    ``Write(LEVEL_2, ...)`` call, so only the first line of such a call gets the level prefix)."""
    for line in lines:
        w.write(0 if line.startswith(" ") else 2, line + "\n")


def _optional_pointer(value: object) -> str:
    """Go prints a nil ``*bool`` with ``%v`` as ``<nil>``."""
    return "<nil>" if value is None else go_bool(value)


def _projected_lines(projected: Obj) -> list[str]:
    lines = ["Type:\tProjected (a volume that contains injected data from multiple sources)"]
    for source in projected.get("sources") or []:
        if source.get("secret") is not None:
            lines.append(f"SecretName:\t{source['secret'].get('name', '')}")
            lines.append(f"    SecretOptionalName:\t{_optional_pointer(source['secret'].get('optional'))}")
        elif source.get("downwardAPI") is not None:
            lines.append("DownwardAPI:\ttrue")
        elif source.get("configMap") is not None:
            lines.append(f"ConfigMapName:\t{source['configMap'].get('name', '')}")
            lines.append(f"    ConfigMapOptional:\t{_optional_pointer(source['configMap'].get('optional'))}")
        elif source.get("serviceAccountToken") is not None:
            lines.append(
                f"TokenExpirationSeconds:\t{int(source['serviceAccountToken'].get('expirationSeconds') or 3600)}"
            )
    return lines


def describe_volumes(w: Writer, volumes: Sequence[Obj] | None, space: str) -> None:
    if not volumes:
        w.write(0, f"{space}Volumes:\t<none>\n")
        return
    w.write(0, f"{space}Volumes:\n")
    for volume in volumes:
        w.write(1, f"{' ' if space else ''}{volume.get('name', '')}:\n")
        lines = volume_source_lines(volume)
        if not lines:
            w.write(1, "<unknown>\n")
        write_source_lines(w, lines)


def describe_pod_template(w: Writer, ctx: Ctx, template: Obj | None) -> None:
    w.write(0, "Pod Template:\n")
    if template is None:
        w.write(1, "<unset>")
        return
    spec = template.get("spec") or {}
    labels_multiline(w, "  Labels", (template.get("metadata") or {}).get("labels"))
    if (template.get("metadata") or {}).get("annotations"):
        annotations_multiline(w, "  Annotations", template["metadata"]["annotations"])
    if spec.get("serviceAccountName"):
        w.write(1, f"Service Account:\t{spec['serviceAccountName']}\n")
    if spec.get("initContainers"):
        describe_containers(w, ctx, "Init Containers", spec["initContainers"], None, None, "  ")
    describe_containers(w, ctx, "Containers", spec.get("containers") or [], None, None, "  ")
    describe_volumes(w, spec.get("volumes"), "  ")
    topology_spread(w, spec.get("topologySpreadConstraints"), "  ")
    if spec.get("priorityClassName"):
        w.write(1, f"Priority Class Name:\t{spec['priorityClassName']}\n")
    labels_multiline(w, "  Node-Selectors", spec.get("nodeSelector"))
    tolerations_multiline(w, "  Tolerations", spec.get("tolerations"))


def topology_spread(w: Writer, constraints: Sequence[Obj] | None, space: str) -> None:
    if not constraints:
        return
    w.write(0, f"{space}Topology Spread Constraints:\t")
    for i, tsc in enumerate(sorted(constraints, key=lambda c: str(c.get("topologyKey") or ""))):
        if i:
            w.write(0, f"{space}\t")
        text = f"{tsc.get('topologyKey', '')}:{tsc.get('whenUnsatisfiable', '')} when max skew {tsc.get('maxSkew', 0)}"
        text += " is exceeded"
        if tsc.get("labelSelector") is not None:
            text += f" for selector {format_label_selector(tsc['labelSelector'])}"
        w.write(0, text + "\n")
