"""The `expert` baseline: a rule-based SRE behind the Observer's decision interface.

`ExpertPolicy` is a `Model`. Its `complete` reads only the prompt the language model would read (task, services,
the previous step's compressed tool output, earlier summaries) and answers one decision JSON that
`parse_decision` accepts, so it runs through the same graph, tools, compression, approval and safety path, and
its trajectories look like model trajectories (they seed SFT and repair failed episodes). It never sees ground
truth.

How it works, k8sgpt-style: triage (pods, warning events, alerts), then analyzers on what triage found — a
feature-flag audit on flagd apps, the crashed container's last log for crash loops, scheduling events for
Pending pods, and otherwise a walk down the call graph along the services that error lines blame, until the
deepest failing component, whose YAML and endpoints say what is wrong with it. A cause maps to AIOpsLab's
analysis labels and to a minimal fix.

It is stateless: everything it knows between steps it wrote into its own `summary` (after `Notes:`) and
`hypothesis`, which the prompt shows back — so a resumed thread makes the same decisions.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from typing import Any

from aoi.baselines import evidence as ev
from aoi.baselines.prompt_view import PromptView, read_prompt, render_notes
from aoi.diagnosis.reads import parse_call
from aoi.diagnosis.remedies import plan_reads, plan_writes, reads_complete
from aoi.diagnosis.taxonomy import BY_NAME, ROOT_CAUSES
from aoi.graph.decision import MAX_LOCALIZATION, MAX_SUMMARY
from aoi.graph.models.base import Completion, Message

Decision = dict[str, Any]

LABELS: dict[str, tuple[str, str]] = {
    "mongo_auth": ("Application", "Authentication Issue"),
    "mongo_user": ("Application", "Network/Storage Issue"),
    "mongo_tls": ("Application", "Misconfiguration"),
    "app_config": ("Application", "Misconfiguration"),
    "wrong_bin": ("Application", "Network/Storage Issue"),
    "flag": ("Application", "Misconfiguration"),
    "crash": ("Application", "Code Defect"),
    "oom": ("Virtualization", "Misconfiguration"),
    "target_port": ("Virtualization", "Misconfiguration"),
    "scaled_zero": ("Virtualization", "Operation Error"),
    "pvc_namespace": ("Virtualization", "Operation Error"),
    "sched_selector": ("Virtualization", "Dependency Problem"),
    "restarted": ("Virtualization", "Operation Error"),
    "network": ("Virtualization", "Network/Storage Issue"),
}
"""AIOpsLab's (system level, fault type) for each cause the analyzers name; the vocabulary of its analysis task.
Anything else is read as a Kubernetes misconfiguration (Virtualization / Misconfiguration)."""

CAUSE_TEXT: dict[str, str] = {
    "mongo_auth": "its client user lost a role on the database (not authorized)",
    "mongo_user": "the client user no longer exists (authentication failed)",
    "mongo_tls": "it requires TLS, which its clients do not speak",
    "app_config": "its new build dials its datastore wrongly (no reachable servers)",
    "wrong_bin": "its container runs another service's binary",
    "flag": "a feature flag is switched on",
    "crash": "its container crashes at start",
    "oom": "its container runs out of memory",
    "target_port": "its Service targetPort is not the port the container listens on",
    "scaled_zero": "it is scaled to zero replicas",
    "pvc_namespace": "its databases' claims cannot bind after a redeploy",
    "restarted": "its container was killed and restarted",
    "network": "calls to it time out",
}

FLAG_TARGETS: dict[str, str] = {
    "adFailure": "ad", "adHighCpu": "ad", "adManualGc": "ad", "cartFailure": "cart", "imageSlowLoad": "frontend",
    "kafkaQueueProblems": "kafka", "loadGeneratorFloodHomepage": "frontend", "paymentFailure": "payment",
    "paymentUnreachable": "checkout", "productCatalogFailure": "product-catalog",
    "recommendationCacheFailure": "recommendation",
}
"""The OpenTelemetry demo's documented flags and the service each one breaks."""

MAX_REMEDY_WRITES = 6
"""Each write of a remedy's plan is planned from a fresh read of the state (two steps a write); a plan stops and
verifies after this many writes so that the step budget still holds the verification."""
TRUST = 0.5
"""The triage score from which the expert takes a hypothesis as its diagnosis."""
_CRASH_STATES = ("CrashLoopBackOff", "Error", "OOMKilled", "RunContainerError", "CreateContainerError")
_START_STATES = ("ImagePullBackOff", "ErrImagePull", "InvalidImageName", "CreateContainerConfigError",
                 "ContainerCreating", "Init:0/1", "NotReady")
_FIX = re.compile(r"\[fix (\d+)/(\d+)\]")
_MONGO_CLIENT_USER = "admin"
"""The DeathStarBench apps' MongoDB client user (and password): the apps' documented defaults."""


class ExpertPolicy:
    """A deterministic rule-based SRE as a `Model`; it ignores `json_schema`, `temperature` and `seed`."""

    name = "expert"

    def __init__(self, prompt_profile: str = "full") -> None:
        self.prompt_profile = prompt_profile
        """The prompt to read (`full`, or `compact` to produce training data for a small model)."""

    def complete(self, messages: list[Message], *, json_schema: dict | None = None, max_tokens: int = 512,
                 temperature: float = 0.0, seed: int | None = None) -> Completion:
        """The next decision for the Observer prompt in `messages`, as JSON text.

        Raises:
            ValueError: `messages` hold no Observer prompt.
        """
        started = time.perf_counter()
        text = json.dumps(decide(read_prompt(messages)), sort_keys=True)
        words = sum(len(m.get("content", "").split()) for m in messages)
        return Completion(text=text, prompt_tokens=words, completion_tokens=len(text.split()),
                          latency_s=time.perf_counter() - started, model=self.name)


# -- the decision ---------------------------------------------------------------------------------------------------
def decide(view: PromptView) -> Decision:
    """The expert's decision for one prompt (a pure function of it)."""
    notes = dict(view.notes)
    findings = _ingest(view, notes)
    if view.previous_action == "act":
        return _after_write(view, notes)
    if "triage" not in _set(notes, "done"):
        return _probe(view, notes, "Start with triage and a broad look.",
                      [("triage", {}), ("get_resources", {"resource_type": "pods"}),
                       ("get_events", {"warnings_only": True})], "triage")
    confirm = _confirm_probe(view, notes)
    if confirm is not None:
        return confirm
    if not notes.get("tcause") and "alerts" not in _set(notes, "done"):
        # Alert rules are often missing or silent; failed requests still show in the traces.
        return _probe(view, notes, "Triage is not conclusive; check the alerts and the failing traces.",
                      [("get_alerts", {}), ("get_traces", {"errors_only": True, "limit": 5})], "alerts")
    if view.task == "detection":
        return _detect(view, notes, findings)
    if "fix" in notes:  # the writes are done and their verification came back
        return _after_verify(view, notes)
    if view.task == "mitigation" and notes.get("tcause") and "flagd" not in view.services:
        remedy = _remedy(view, notes)
        if remedy is not None:
            return remedy
    probe = _next_probe(view, notes)
    if probe is not None:
        return probe
    if view.task == "mitigation":
        return _mitigate(view, notes)
    return _submit(view, notes, findings or "Evidence collected.")


def _detect(view: PromptView, notes: dict[str, str], findings: str) -> Decision:
    if _set(notes, "bad") or _set(notes, "warn") or _set(notes, "alert") or notes.get("root") \
            or notes.get("tcause"):
        return _submit(view, notes, findings or "Anomalies found.", "Yes")
    done = _set(notes, "done")
    if "flagd" in view.services and "flags" not in done:
        return _probe(view, notes, "Nothing red yet; audit the feature flags.", [_FLAG_PROBE], "flags")
    if "workloads" not in done:
        return _probe(view, notes, "Nothing red yet; check replicas and endpoints.",
                      [("get_resources", {"resource_type": "deployments"}),
                       ("get_resources", {"resource_type": "endpoints"})], "workloads")
    return _submit(view, notes, "Pods, events, alerts, workloads and endpoints are all healthy.", "No")


_FLAG_PROBE = ("describe_resource", {"resource_type": "configmap", "name": "flagd-config"})


# -- reading the previous step's outputs ------------------------------------------------------------------------
def _ingest(view: PromptView, notes: dict[str, str]) -> str:
    """Update `notes` from the previous step's outputs; returns a one-line account of what they showed."""
    said: list[str] = []
    services = view.services
    pods_table = next((o.text for o in view.outputs if not o.error and o.tool == "get_resources"
                       and o.args.get("resource_type") == "pods" and not o.args.get("name")), None)
    for out in view.outputs:
        if out.error:
            continue
        tool, args, text = out.tool, out.args, out.text
        if tool == "get_resources" and args.get("resource_type") == "pods":
            bad = ev.unhealthy_pods(text, services)
            notes["bad"] = ",".join(dict.fromkeys(f"{p.component}:{p.status}" for p in bad))
            said.append(f"{len(bad)} unhealthy pod(s)" + (f" ({_short(notes['bad'])})" if bad else ""))
        elif tool == "get_events":
            warn = ev.warning_events(text, services, pods_table)
            notes["warn"] = ",".join(dict.fromkeys(f"{w.component}:{w.reason}:{w.detail}" for w in warn))
            said.append(f"{len(warn)} warning event(s)")
        elif tool == "triage":
            said.append(_ingest_triage(view, text, notes))
        elif tool == "get_alerts":
            names = ev.alerted(text, services)
            notes["alert"] = ",".join(dict.fromkeys([*names, *_list(notes, "alert")]))
            said.append("alerts on " + (", ".join(names) or "nothing"))
        elif tool == "get_traces":
            names = [n for n in ev.failing_in_traces(text, services) if n not in _list(notes, "alert")]
            notes["alert"] = ",".join([*_list(notes, "alert"), *names])
            said.append("failing spans in " + (", ".join(names) or "no trace"))
        elif tool == "describe_resource" and args.get("name") == "flagd-config":
            on, _ = ev.flags_on(text)
            if on:
                notes.update(root=FLAG_TARGETS.get(on[0], ""), cause="flag", flag=on[0])
                said.append(f"feature flag {on[0]} is on")
            else:
                said.append("all feature flags off")
        elif tool == "get_logs":
            said.append(_ingest_crash(str(args.get("target", "")), text, notes))
        elif tool == "get_error_logs":
            said.append(_ingest_errors(view, str(args.get("service", "")), text, notes))
        elif tool == "get_resources" and args.get("resource_type") == "deployments":
            zero = [ln.split()[0] for ln in text.splitlines()[1:] if re.match(r"^\S+\s+0/0\s", ln)]
            if zero:
                notes["alert"] = ",".join([*_list(notes, "alert"), *zero])
                said.append(f"scaled to zero: {', '.join(zero)}")
        elif tool == "get_resources" and args.get("resource_type") == "endpoints":
            empty = [n for n in ev.empty_endpoints(text) if n in services]
            if empty and not args.get("name"):
                notes["alert"] = ",".join([*_list(notes, "alert"), *empty])
                said.append(f"no endpoints: {', '.join(empty)}")
    yamls = {str(o.args.get("service")): o.text for o in view.outputs if o.tool == "get_app_yaml" and not o.error}
    if yamls:
        said.append(_ingest_yaml(view, yamls, notes))
    return "; ".join(s for s in said if s).capitalize()


def _ingest_triage(view: PromptView, text: str, notes: dict[str, str]) -> str:
    """Keep the ranked hypotheses; a confident one names the root and its cause for every task."""
    hypotheses = ev.triage_hypotheses(text)
    if not hypotheses:
        return "triage found no fault"
    notes["tri"] = "|".join(f"{h.cause}@{h.object}@{h.score:.2f}" for h in hypotheses[:3])
    top = hypotheses[0]
    if top.score >= TRUST:
        kind, _, name = top.object.partition("/")
        notes["tcause"] = top.cause
        notes["tconfirm"] = top.confirm
        if kind == "service" and name in view.services:
            notes.update(root=name, cause=top.cause)
        elif kind in ("node", "namespace"):
            notes["tobj"] = top.object
    return f"triage: {top.cause} on {top.object} ({top.score:.2f})"


def _triaged(notes: dict[str, str]) -> list[tuple[str, str, float]]:
    """(cause, object, score) of the triage hypotheses kept in the notes, best first."""
    out = []
    for item in notes["tri"].split("|") if notes.get("tri") else []:
        cause, _, rest = item.partition("@")
        obj, _, score = rest.rpartition("@")
        try:
            out.append((cause, obj, float(score)))
        except ValueError:
            continue
    return out


def _confirm_probe(view: PromptView, notes: dict[str, str]) -> Decision | None:
    """Once: the read triage names to confirm its top hypothesis (skipped if the first step already made it)."""
    done = _set(notes, "done")
    if "confirm" in done or not notes.get("tconfirm") or view.task == "detection" or _remedied(view, notes):
        notes.pop("tconfirm", None)
        return None
    call = parse_call(notes["tconfirm"])
    first = {("get_resources", (("resource_type", "pods"),)), ("get_alerts", ())}
    if call is None or (call[0], tuple(sorted(call[1].items()))) in first:
        return None
    cause = notes.get("tcause", "")
    notes.pop("tconfirm", None)  # used once; the summary's notes are short
    return _probe(view, notes, f"Triage points at {cause}; confirm it with the read it suggests.",
                  [call], "confirm", phase="hypothesize")


def _ingest_crash(target: str, text: str, notes: dict[str, str]) -> str:
    log = ev.crash_log(text)
    notes["client"] = target
    if log.cause in ("mongo_auth", "mongo_user") and log.host:
        database = log.database or _database_of(log.host)
        notes.update(root=log.host, cause=log.cause, db=database)
        return f"{target} crashes: {CAUSE_TEXT[log.cause]} on {log.host}"
    if log.cause == "mongo_unreachable" and log.host:
        notes.update(host=log.host, hport=str(log.port or ""), pending="datastore")
        return f"{target} cannot reach its datastore {log.host}"
    notes.update(root=target, cause=log.cause or "crash")
    return f"{target} crashes at start" + (f" ({log.cause})" if log.cause else "")


def _ingest_errors(view: PromptView, service: str, text: str, notes: dict[str, str]) -> str:
    finding = ev.error_lines(text, service, view.services)
    examined = [*_list(notes, "seen"), service]
    notes["seen"] = ",".join(dict.fromkeys(examined))
    fresh = [c for c in finding.callees if c not in examined]
    if fresh:
        notes["suspect"] = ",".join(dict.fromkeys([*fresh, *_list(notes, "suspect")]))
        notes["deeper"] = "1"
    if finding.kind:
        notes.setdefault("kind", finding.kind)
    if not finding.callees:
        notes["clean"] = ",".join(dict.fromkeys([*_list(notes, "clean"), service]))
    if not finding.kind:
        return f"{service} logs no errors"
    return f"{service} errors ({finding.kind})" + (f" blame {', '.join(finding.callees)}" if finding.callees else "")


def _ingest_yaml(view: PromptView, yamls: dict[str, str], notes: dict[str, str]) -> str:
    """Conclusions from workload YAML; the investigation sets `pending` to say what it wanted to learn."""
    pending = notes.pop("pending", "")
    said = []
    host, client = notes.get("host", ""), notes.get("client", "")
    if pending == "datastore" and host not in yamls:
        notes["pending"] = pending  # the datastore's spec is still to be read
    elif pending == "datastore":
        host_yaml = yamls[host]
        service_port = ev.workload_yaml(host_yaml).service_port
        if notes.get("hport") and service_port and int(notes["hport"]) != service_port:
            notes.update(root=client, cause="app_config")
            said.append(f"{client} dials {host}:{notes['hport']} but the Service listens on {service_port}")
        elif "--tlsMode" in host_yaml or "requireTLS" in host_yaml:
            notes.update(root=host, cause="mongo_tls")
            said.append(f"{host} requires TLS")
        else:
            notes.update(root=host, cause="crash")
            said.append(f"{host} is not serving")
    for service, text in yamls.items():
        facts = ev.workload_yaml(text)
        if facts.revision:
            notes[f"rev_{service}"] = str(facts.revision)
        if facts.node_selector:
            notes[f"nsel_{service}"] = "1"
        if pending != "walk" or service != notes.get("suspect_now"):
            continue
        if facts.replicas == 0:
            notes.update(root=service, cause="scaled_zero")
        elif facts.target_port and facts.container_port and facts.target_port != facts.container_port:
            notes.update(root=service, cause="target_port", port=str(facts.container_port))
        elif facts.command and facts.command[0] != service and facts.command[0] in view.services:
            notes.update(root=service, cause="wrong_bin")
        elif not notes.get("deeper"):
            restarted = any(b.startswith(f"{service}:") for b in _list(notes, "bad"))
            notes.update(root=service, cause="restarted" if restarted else
                         "network" if notes.get("kind") == "timeout" else "unknown")
        if notes.get("root") == service:
            said.append(f"{service}: {CAUSE_TEXT.get(notes['cause'], 'it is the deepest failing component')}")
    notes.pop("suspect_now", None)
    notes.pop("deeper", None)
    return "; ".join(said)


# -- choosing the next probe ----------------------------------------------------------------------------------
def _next_probe(view: PromptView, notes: dict[str, str]) -> Decision | None:
    done = _set(notes, "done")
    bad = [b.split(":", 1) for b in _list(notes, "bad")]
    warn = [w.split(":") for w in _list(notes, "warn")]
    if notes.get("pending") == "datastore":
        host, client = notes.get("host", ""), notes.get("client", "")
        if host in view.services and f"yaml:{host}" not in done:
            return _probe(view, notes, f"Check {host} and {client} specs.",
                          [("get_app_yaml", {"service": host}), ("get_app_yaml", {"service": client})],
                          f"yaml:{host},yaml:{client}")
        notes.pop("pending")
    if "flagd" in view.services and "flags" not in done:
        return _probe(view, notes, "Audit the feature flags first.", [_FLAG_PROBE], "flags")
    root = notes.get("root", "")
    if root:
        if view.task == "mitigation" and "plan" not in done:
            # Look at the target right before changing it. This step's summary also carries the conclusion: an
            # `act` step's own summary is replaced by the write's verdict, so the notes must be written down first.
            spec = ("describe_resource", {"resource_type": "deployment", "name": root}) if f"yaml:{root}" in done \
                else ("get_app_yaml", {"service": root})  # the YAML again would count as a repeated call
            calls = [_FLAG_PROBE] if notes.get("cause") == "flag" else [spec] if root in view.services \
                else [("get_resources", {"resource_type": "persistentvolumeclaims"})]
            return _probe(view, notes, f"Root cause found in {root}; read its current spec before fixing it.",
                          calls, "plan", phase="hypothesize")
        return None
    pending = [c for c, s in bad if s == "Pending"]
    pvc = [w[0] for w in warn if len(w) > 2 and w[2] == "pvc"]
    if len(set(pending)) > 1 and pvc:
        notes.update(root=view.namespace, cause="pvc_namespace", claims=",".join(dict.fromkeys(pending)))
        return _next_probe(view, notes)
    if pending or any(len(w) > 1 and w[1] in ("FailedScheduling", "FailedCreate") for w in warn):
        target = pending[0] if pending else next(w[0] for w in warn if w[1] in ("FailedScheduling", "FailedCreate"))
        detail = next((w[2] for w in warn if w[0] == target and len(w) > 2 and w[2]), "")
        notes.update(root=target, cause=f"sched_{detail}" if detail else "pending")
        return _next_probe(view, notes)
    crashing = [c for c, s in bad if s in _CRASH_STATES and c in view.services]
    if crashing:
        target = crashing[0]
        if f"logs:{target}" not in done:
            return _probe(view, notes, f"{target} is crash-looping; read its last crash.",
                          [("get_logs", {"target": target, "previous": True, "tail": 40}),
                           ("get_app_yaml", {"service": target})], f"logs:{target}")
    starting = [c for c, s in bad if s in _START_STATES and c in view.services]
    if starting:
        notes.update(root=starting[0], cause="start")
        return _next_probe(view, notes)
    return _walk(view, notes)


def _walk(view: PromptView, notes: dict[str, str]) -> Decision | None:
    """Follow the services the error lines blame, down to the deepest failing one: a blamed service whose own
    errors blame nobody is inspected first (its YAML and endpoints say what is wrong with it)."""
    done, seen, clean = _set(notes, "done"), _list(notes, "seen"), _set(notes, "clean")
    suspects = [s for s in _list(notes, "suspect") if f"walk:{s}" not in done]
    suspects.sort(key=lambda s: s not in clean)
    if suspects:
        target = suspects[0]
        notes.update(pending="walk", suspect_now=target)
        calls = [("get_error_logs", {"service": target})] if target not in seen else []
        calls += [("get_app_yaml", {"service": target}),
                  ("get_resources", {"resource_type": "endpoints", "name": target})]
        return _probe(view, notes, f"Errors lead to {target}; inspect it.", calls, f"walk:{target}")
    entry = [a for a in _list(notes, "alert") if a not in seen][:3]
    if entry and "errors" not in done:
        return _probe(view, notes, "Follow the alerting services' errors.",
                      [("get_error_logs", {"service": s}) for s in entry], "errors")
    restarted = [b.split(":", 1)[0] for b in _list(notes, "bad") if b.endswith(":Restarted")]
    candidates = restarted or [s for s in seen if s in _list(notes, "alert")] or _list(notes, "alert")
    if candidates:
        notes.update(root=candidates[-1] if not restarted else candidates[0],
                     cause="restarted" if restarted else notes.get("cause", "unknown"))
    return None


# -- writes ---------------------------------------------------------------------------------------------------------
def fix_plan(view: PromptView, notes: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
    """The minimal writes that remove the cause in `notes` (empty when the expert knows no safe fix)."""
    ns, root, cause = view.namespace, notes.get("root", ""), notes.get("cause", "")
    client = notes.get("client", "")
    restart_client = [("restart_workload", {"kind": "deployment", "name": client, "namespace": ns})] \
        if client and client != root else []
    rev = int(notes.get(f"rev_{root}", notes.get("rev", "1")) or 1)
    if cause == "mongo_auth":
        return [("datastore_admin", {"service": root, "namespace": ns, "operation": "grant_roles", "args": {
            "user": _MONGO_CLIENT_USER, "roles": [{"role": "readWrite", "db": notes.get("db", "")}]}}),
            *restart_client]
    if cause == "mongo_user":
        return [("datastore_admin", {"service": root, "namespace": ns, "operation": "create_user", "args": {
            "user": _MONGO_CLIENT_USER, "password": _MONGO_CLIENT_USER,
            "roles": [{"role": "readWrite", "db": notes.get("db", "")},
                      {"role": "userAdminAnyDatabase", "db": "admin"}]}}), *restart_client]
    if cause == "mongo_tls":
        return [_rollback(root, ns), *restart_client]
    if cause == "target_port" and notes.get("port"):
        return [("patch_resource", {"kind": "Service", "name": root, "namespace": ns, "patch_type": "json", "patch": [
            {"op": "replace", "path": "/spec/ports/0/targetPort", "value": int(notes["port"])}]})]
    if cause == "scaled_zero":
        return [("scale_workload", {"kind": "deployment", "name": root, "namespace": ns, "replicas": 1})]
    if cause == "wrong_bin":
        return [("patch_resource", {"kind": "Deployment", "name": root, "namespace": ns, "patch_type": "json",
                                    "patch": [{"op": "replace", "path": "/spec/template/spec/containers/0/command",
                                               "value": [root]}]})]
    if cause == "flag":
        return []  # planned from the ConfigMap itself, see `_flag_fix`
    if rev > 1 and root in view.services:
        return [_rollback(root, ns)]
    if cause == "sched_selector" and notes.get(f"nsel_{root}"):
        return [("patch_resource", {"kind": "Deployment", "name": root, "namespace": ns, "patch_type": "json",
                                    "patch": [{"op": "remove", "path": "/spec/template/spec/nodeSelector"}]})]
    return []


def _rollback(name: str, namespace: str) -> tuple[str, dict[str, Any]]:
    # Every optional argument is spelled out: the grant is bound to the arguments as proposed, and the executor
    # server fills omitted optionals with their defaults before checking it.
    return ("rollback_deployment", {"name": name, "namespace": namespace, "to_revision": None})


def _mitigate(view: PromptView, notes: dict[str, str]) -> Decision:
    if notes.get("cause") == "flag":
        return _flag_fix(view, notes)
    plan = fix_plan(view, notes)
    if not plan:
        return _verify(view, notes, "No safe fix is known for this cause; checking the state before submitting.")
    return _act(view, notes, plan[0], 1, len(plan))


def _flag_fix(view: PromptView, notes: dict[str, str]) -> Decision:
    """Turn the flag off in the ConfigMap (from its document, read now), then restart flagd to reload it."""
    described = next((o for o in view.outputs if o.tool == "describe_resource" and o.args.get("name") ==
                      "flagd-config" and not o.error), None)
    if described is None:
        return _verify(view, notes, "The flag document is not at hand.")
    _, document = ev.flags_on(described.text)
    key = re.search(r"^(\S+\.json):$", described.text, re.M)
    flag = notes.get("flag", "")
    if document is None or key is None or flag not in document.get("flags", {}):
        return _verify(view, notes, "The flag document could not be read whole.")
    document["flags"][flag]["defaultVariant"] = "off"
    patch = {"data": {key.group(1): json.dumps(document, indent=2)}}
    plan = [("patch_resource", {"kind": "ConfigMap", "name": "flagd-config", "namespace": view.namespace,
                                "patch": patch, "patch_type": "merge"}), *_flag_restarts(view, notes)]
    return _act(view, notes, plan[0], 1, len(plan))


def _flag_restarts(view: PromptView, notes: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
    """flagd reloads the flags on restart; a service the flag crashed is restarted out of its back-off."""
    restarts = [("restart_workload", {"kind": "deployment", "name": "flagd", "namespace": view.namespace})]
    root = notes.get("root", "")
    if any(b.split(":", 1) == [root, s] for b in _list(notes, "bad") for s in _CRASH_STATES):
        restarts.append(("restart_workload", {"kind": "deployment", "name": root, "namespace": view.namespace}))
    return restarts


def _triage_object(notes: dict[str, str]) -> str:
    return notes.get("tobj") or f"service/{notes.get('root', '')}"


def _remedied(view: PromptView, notes: dict[str, str]) -> bool:
    """Whether the triaged cause is fixed through `remedies` (also after a write, whose step carries no plan)."""
    return bool(view.task == "mitigation" and notes.get("tcause") and "flagd" not in view.services
                and plan_reads(notes["tcause"], _triage_object(notes), view.namespace))


def _remedy(view: PromptView, notes: dict[str, str], written: int = 0) -> Decision | None:
    """Plan the fix of the triaged cause: read (in rounds, as `remedies` asks) until the reads are complete, then
    the first write still needed. None when `remedies` knows no fix (the expert's own analysis takes over)."""
    cause, obj, ns = notes["tcause"], _triage_object(notes), view.namespace
    written = written or int(notes.get("wr") or 0)  # a re-plan's read step carries the count in the notes
    notes["wr"] = str(written)
    rounds = int(notes.get("pr") or 0)
    outputs = view.outputs if rounds else ()
    if rounds == 0 or not reads_complete(cause, obj, ns, outputs):
        reads = plan_reads(cause, obj, ns, outputs)
        if not reads or rounds >= 3:
            return None
        notes["pr"] = str(rounds + 1)
        return _probe(view, notes, f"Plan the fix of {cause} on {obj}: read what it changes.", reads,
                      f"plan{written}.{rounds + 1}", phase="hypothesize")
    writes = plan_writes(cause, obj, ns, outputs)
    if not writes:
        return None
    notes["pr"] = "0"
    return _act(view, notes, writes[0], written + 1, written + len(writes))


def _after_write(view: PromptView, notes: dict[str, str]) -> Decision:
    """The next write of the plan, or the verification once the plan is done."""
    match = _FIX.search(view.previous_hypothesis)
    done, total = (int(match.group(1)), int(match.group(2))) if match else (1, 1)
    if _remedied(view, notes):  # a remedy's plan: re-read the state and plan what is still needed
        if done < total and done < MAX_REMEDY_WRITES:
            notes["pr"] = "0"
            replanned = _remedy(view, notes, written=done)
            if replanned is not None:
                return replanned
        return _verify(view, notes, f"Applied {done} write(s); verify the pods.")
    flag = notes.get("cause") == "flag"
    plan = [("", {}), *_flag_restarts(view, notes)] if flag else fix_plan(view, notes)
    if done < total and done < len(plan):
        return _act(view, notes, plan[done], done + 1, total)
    return _verify(view, notes, f"Applied {done} write(s); verify the pods.")


def _act(view: PromptView, notes: dict[str, str], call: tuple[str, dict[str, Any]], number: int,
         total: int) -> Decision:
    """The `number`-th of `total` planned writes; the counter rides in the hypothesis, which survives the step."""
    tool, args = call
    cause = notes.get("cause", "")
    hypothesis = f"{notes.get('root')}: {CAUSE_TEXT.get(cause, cause)}"[:280] + f" [fix {number}/{total}]"
    return _decision(view, notes, f"Fixing: {tool} on {args.get('name') or args.get('service')}.", "mitigate",
                     hypothesis, 85, "act", [{"tool": tool, "args": args}])


_VERIFY_ROUNDS = ((("get_resources", {"resource_type": "pods", "wide": True}),
                   ("get_resources", {"resource_type": "deployments"})),
                  (("get_resources", {"resource_type": "pods", "show_labels": True}),
                   ("get_resources", {"resource_type": "deployments", "wide": True})),
                  (("get_resources", {"resource_type": "pods", "wide": True, "show_labels": True}),
                   ("get_resources", {"resource_type": "deployments", "show_labels": True})))
"""Successive checks while the cluster settles after a fix: pods, and Deployments at their desired availability
(pods can look ready before their Deployment counts them available). Different calls, so none is a repeat."""


def _after_verify(view: PromptView, notes: dict[str, str]) -> Decision:
    """Submit once the pods are healthy; give a recovering cluster a few more checks first."""
    rounds = int(notes.get("fix") or 1)
    still_bad = (_list(notes, "bad") and any(o.tool == "get_resources" and o.args.get("resource_type") == "pods"
                                             for o in view.outputs)) or any(
        o.tool == "get_resources" and o.args.get("resource_type") == "deployments" and ev.short_deployments(o.text)
        for o in view.outputs if not o.error)
    if still_bad and rounds < len(_VERIFY_ROUNDS) and view.step < view.max_steps - 1:
        notes["fix"] = str(rounds + 1)
        return _probe(view, notes, "Pods are still recovering; check again.", _VERIFY_ROUNDS[rounds],
                      f"verify{rounds + 1}", phase="verify")
    return _submit(view, notes, "Fix applied and verified." if not still_bad else "Fix applied.")


def _verify(view: PromptView, notes: dict[str, str], said: str) -> Decision:
    notes["fix"] = "1"
    return _probe(view, notes, said, _VERIFY_ROUNDS[0], "verify", phase="verify")


# -- decisions --------------------------------------------------------------------------------------------------
def _probe(view: PromptView, notes: dict[str, str], said: str, calls: Sequence[tuple[str, dict[str, Any]]],
           key: str, phase: str | None = None) -> Decision:
    notes["done"] = ",".join(dict.fromkeys([*_list(notes, "done"), key]))
    phase = phase or ("triage" if key == "triage" else "investigate")
    return _decision(view, notes, said, phase, _hypothesis(notes), 30 if not notes.get("root") else 70, "probe",
                     [{"tool": t, "args": dict(a)} for t, a in calls])


def _submit(view: PromptView, notes: dict[str, str], said: str, answer: Any = None) -> Decision:
    if answer is None:
        answer = _answer(view, notes)
    confidence = 90 if notes.get("root") or view.task == "detection" else 40
    return _decision(view, notes, said, "conclude", _hypothesis(notes), confidence, "submit", [], answer)


def _answer(view: PromptView, notes: dict[str, str]) -> Any:
    root, cause = notes.get("root", ""), notes.get("cause", "")
    if view.task == "localization":
        names = [root] if root in view.services else [c for c in _list(notes, "claims") if c in view.services]
        names = names or [b.split(":", 1)[0] for b in _list(notes, "bad") if b.split(":", 1)[0] in view.services]
        names = names or [a for a in _list(notes, "alert") if a in view.services]
        names = list(dict.fromkeys(names))[:MAX_LOCALIZATION]
        return names or list(view.services[:1])
    if view.task == "analysis":
        # A cause the expert's own analyzers named (a datastore, a flag) is finer than triage's; else triage's.
        row = BY_NAME.get(notes.get("tcause", ""))
        level, kind = LABELS.get(cause, row.aiopslab if row is not None else ("Virtualization", "Misconfiguration"))
        return {"system_level": level, "fault_type": kind}
    if view.task == "mitigation":
        return {}
    if view.task == "rca":
        return _rca_answer(view, root, cause, _triaged(notes))
    if view.task == "question":
        return f"Root cause: {root or 'unknown'}; {CAUSE_TEXT.get(cause, cause or 'no cause identified')}."
    return "Yes" if root or _set(notes, "bad") or _set(notes, "alert") else "No"


def _rca_answer(view: PromptView, root: str, cause: str,
                triaged: Sequence[tuple[str, str, float]] = ()) -> dict[str, list[str]]:
    """Cloud-OpsBench's ranked answer: triage's hypotheses in its order, padded with the top cause's neighbours
    in the taxonomy (same category and object kind); without triage, labels that share a word with the cause."""
    labels = [c for c, _, _ in triaged if c in view.root_causes]
    objects = [o for _, o, _ in triaged if o in view.fault_objects]
    if labels:
        top = BY_NAME.get(labels[0])
        labels += [r.name for r in ROOT_CAUSES if top is not None and r.name in view.root_causes
                   and r.category == top.category and r.object_kind == top.object_kind]
    else:
        words = set(re.split(r"[_\W]+", f"{cause} {CAUSE_TEXT.get(cause, '')}".lower())) - {"", "a", "the", "its",
                                                                                           "it"}
        labels = sorted(view.root_causes, key=lambda label: -len(words & set(label.lower().split("_"))))
    objects += sorted(view.fault_objects, key=lambda obj: obj.rsplit("/", 1)[-1] != root)
    return {"root_causes": list(dict.fromkeys(labels))[:3] or ["unknown"],
            "fault_objects": list(dict.fromkeys(objects))[:3] or [f"service/{root or 'unknown'}"]}


def _hypothesis(notes: dict[str, str]) -> str:
    root, cause = notes.get("root"), notes.get("cause", "")
    if root:
        return f"{root}: {CAUSE_TEXT.get(cause, cause or 'failing')}"[:300]
    suspect = _list(notes, "suspect") or _list(notes, "alert")
    return f"suspect {suspect[0]}" if suspect else "no fault located yet"


def _decision(view: PromptView, notes: dict[str, str], said: str, phase: str, hypothesis: str, confidence: int,
              action: str, calls: list[dict[str, Any]], submission: Any = None) -> Decision:
    said = " ".join(said.split())[:240].rstrip(".") + ". "
    summary = said + render_notes(notes, MAX_SUMMARY - len(said))
    decision: Decision = {"summary": summary, "phase": phase, "hypothesis": hypothesis[:300],
                          "confidence": confidence, "action": action, "tool_calls": calls}
    if action == "submit":
        decision["submission"] = submission
    return decision


# -- small helpers --------------------------------------------------------------------------------------------------
def _list(notes: dict[str, str], key: str) -> list[str]:
    return [v for v in notes.get(key, "").split(",") if v]


def _set(notes: dict[str, str], key: str) -> set[str]:
    return set(_list(notes, key))


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _database_of(host: str) -> str:
    """DeathStarBench names a service's database after it: `mongodb-geo` holds `geo-db`."""
    return f"{host.removeprefix('mongodb-')}-db"
