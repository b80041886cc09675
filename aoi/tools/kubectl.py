"""A read-only `kubectl` passthrough: parse a command line, refuse anything that could write, escape or hang.

`parse_kubectl` is the policy: an allow-list of verbs and, per verb, of flags and their values; everything else is
refused with a reason that names the offending part and says what is allowed. An accepted command is rebuilt from
its parsed fields (`KubectlCommand.argv`), so no token the parser did not understand can reach a cluster.
`run_kubectl` answers through a `ClusterReader` (the simulator, a snapshot); `run_kubectl_live` runs the real binary
without a shell. Both redact what they return.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass, replace
from typing import Literal, get_args

from aoi.cluster.interface import ClusterError, ClusterReader, ForbiddenError, InvalidArgumentError, NotFoundError
from aoi.tools.redaction import redact_text

Verb = Literal["get", "describe", "logs", "top", "events", "explain", "api-resources", "version"]
"""The kubectl verbs that only read."""

VERBS: tuple[Verb, ...] = get_args(Verb)

DEFAULT_LOG_TAIL = 100
"""Lines `logs` returns when no `--tail` is given (kubectl's own default, every line, is unbounded)."""
MAX_LOG_TAIL = 5000

_GRACE_S = 1.0
"""How much longer than kubectl's own `--request-timeout` the process may run before it is killed."""


class KubectlRefused(ClusterError):
    """The command line is not an allowed read-only kubectl command, or this backend cannot answer it."""


@dataclass(frozen=True, slots=True)
class KubectlCommand:
    """An accepted read-only kubectl command. `argv` is rebuilt from these fields alone."""

    verb: Verb
    resource: str = ""
    """get/describe/top: the resource type (or comma-separated types); explain: the field path; logs and
    `events --for`: the kind of `name` when it was given as `kind/name` (empty for a plain pod name)."""
    name: str = ""
    """get/describe/top: the object's name; logs: the pod or workload; events: the `--for` object."""
    namespace: str | None = None
    all_namespaces: bool = False
    output: str | None = None
    """`-o` value; None is kubectl's default table."""
    show_labels: bool = False
    selector: str | None = None
    field_selector: str | None = None
    container: str | None = None
    tail: int | None = None
    """logs: lines to return (`DEFAULT_LOG_TAIL` when not given)."""
    since_seconds: int | None = None
    previous: bool = False
    types: tuple[str, ...] = ()
    """events: `--types` (Normal, Warning)."""
    recursive: bool = False
    client: bool = False
    namespaced: bool | None = None

    @property
    def argv(self) -> tuple[str, ...]:
        """The arguments after `kubectl`, every flag in its `--long=value` form."""
        args: list[str] = [self.verb]
        if self.verb in ("get", "describe", "top", "explain"):
            args += [self.resource, self.name] if self.name else [self.resource]
        elif self.verb == "logs":
            args.append(f"{self.resource}/{self.name}" if self.resource else self.name)
        elif self.verb == "events" and self.name:
            args.append(f"--for={self.resource}/{self.name}")
        options: tuple[tuple[str, str | int | bool | None], ...] = (
            ("namespace", self.namespace), ("all-namespaces", self.all_namespaces),
            ("types", ",".join(self.types) or None), ("output", self.output), ("show-labels", self.show_labels),
            ("selector", self.selector), ("field-selector", self.field_selector), ("container", self.container),
            ("tail", self.tail), ("since", f"{self.since_seconds}s" if self.since_seconds else None),
            ("previous", self.previous), ("recursive", self.recursive), ("client", self.client),
            ("namespaced", None if self.namespaced is None else str(self.namespaced).lower()),
        )
        for flag, value in options:
            if value is True:
                args.append(f"--{flag}")
            elif value is not None and value is not False:
                args.append(f"--{flag}={value}")
        return tuple(args)


# -- the policy -------------------------------------------------------------------------------------------------
_WRITES = "it changes the cluster"
_ESCAPES = "it reaches into a container or opens a connection into the cluster"
_REFUSED_VERBS: dict[str, str] = {
    **dict.fromkeys(("apply", "create", "delete", "patch", "scale", "rollout", "set", "label", "annotate", "cordon",
                     "uncordon", "drain", "taint", "edit", "replace", "expose", "autoscale", "run", "certificate"),
                    _WRITES),
    **dict.fromkeys(("exec", "cp", "attach", "port-forward", "proxy", "debug"), _ESCAPES),
    "auth": "it inspects or impersonates identities",
    "config": "it reads or changes kubeconfig credentials",
    "plugin": "it runs local binaries",
    "kustomize": "it reads local files",
    "diff": "it sends local manifests to the server",
    "wait": "it can block indefinitely",
    "completion": "it is not a cluster read",
}

_CREDENTIALS = "the backend chooses the cluster, the identity and the credentials"
_LOCAL_FILES = "it reads local files"
_REFUSED_FLAGS: dict[str, str] = {
    **dict.fromkeys(("--kubeconfig", "--context", "--cluster", "--user", "--server", "-s", "--token", "--username",
                     "--password", "--as", "--as-group", "--as-uid", "--certificate-authority", "--client-key",
                     "--client-certificate", "--tls-server-name"), _CREDENTIALS),
    "--insecure-skip-tls-verify": "it disables TLS verification",
    "--raw": "it reads arbitrary API paths",
    **dict.fromkeys(("-w", "--watch", "--watch-only", "--follow"), "it would not terminate"),
    **dict.fromkeys(("-f", "--filename", "-k", "--kustomize", "-R", "--recursive-files"), _LOCAL_FILES),
    "--template": "templates can print any field of any object",
    **dict.fromkeys(("-v", "--v", "--vmodule"), "verbose logging can print request headers and credentials"),
    **dict.fromkeys(("--cache-dir", "--log-file", "--log-dir", "--profile", "--profile-output"),
                    "it writes local files"),
    "--request-timeout": "the backend sets the timeout",
}
_REFUSED_VALUE_FLAGS = frozenset(_REFUSED_FLAGS) - {"--insecure-skip-tls-verify", "--raw", "-w", "--watch",
                                                    "--watch-only", "--follow", "-R", "--recursive-files"}
"""Refused flags that take a value: knowing them keeps the verb search from mistaking the value for the verb."""

_FLAGS: dict[str, tuple[str, bool]] = {
    "-n": ("namespace", True), "--namespace": ("namespace", True),
    "-A": ("all-namespaces", False), "--all-namespaces": ("all-namespaces", False),
    "-o": ("output", True), "--output": ("output", True),
    "-l": ("selector", True), "--selector": ("selector", True),
    "--show-labels": ("show-labels", False), "--field-selector": ("field-selector", True),
    "-c": ("container", True), "--container": ("container", True),
    "--tail": ("tail", True), "--since": ("since", True),
    "-p": ("previous", False), "--previous": ("previous", False),
    "--for": ("for", True), "--types": ("types", True),
    "--recursive": ("recursive", False), "--client": ("client", False), "--namespaced": ("namespaced", False),
}
"""Every flag any verb accepts: spelling -> (canonical name, takes a value)."""

_VERB_FLAGS: dict[str, tuple[str, ...]] = {
    "get": ("namespace", "all-namespaces", "output", "selector", "show-labels", "field-selector"),
    "describe": ("namespace", "all-namespaces", "selector"),
    "logs": ("namespace", "container", "tail", "since", "previous"),
    "top": ("namespace", "all-namespaces", "selector"),
    "events": ("namespace", "all-namespaces", "for", "types"),
    "explain": ("recursive",),
    "api-resources": ("namespaced", "output"),
    "version": ("client", "output"),
}
_OUTPUTS: dict[str, tuple[str, ...]] = {"get": ("wide", "name", "yaml", "json"), "api-resources": ("wide", "name"),
                                        "version": ("json", "yaml")}
_TEMPLATE_OUTPUTS = ("go-template", "go-template-file", "template", "templatefile", "jsonpath", "jsonpath-file",
                     "jsonpath-as-json", "custom-columns", "custom-columns-file")
_SECRET_OUTPUTS = (None, "wide", "name")
"""What `get secrets` may print: the table and names, never the values."""

_SHELL_CHARS = frozenset(";|&$`<>")
_NAMESPACE = re.compile(r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?")
_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._:-]{0,251}[A-Za-z0-9])?")
_RESOURCE = re.compile(r"[A-Za-z][A-Za-z0-9.-]{0,62}")
_FIELD_PATH = re.compile(r"[A-Za-z][A-Za-z0-9.-]{0,252}")
_SELECTOR = re.compile(r"[A-Za-z0-9._/=!, ()-]{1,256}")
_FIELD_SELECTOR = re.compile(r"[A-Za-z0-9._/=!,-]{1,256}")
_DURATION = re.compile(r"(?:(\d{1,6})h)?(?:(\d{1,8})m)?(?:(\d{1,10})s)?")
_LOG_KINDS = frozenset({"pod", "pods", "po", "deploy", "deployment", "deployments", "sts", "statefulset",
                        "statefulsets", "ds", "daemonset", "daemonsets", "rs", "replicaset", "replicasets", "job",
                        "jobs", "svc", "service", "services"})
_TOP_RESOURCES = frozenset({"pod", "pods", "po", "node", "nodes", "no"})
_EVENT_TYPES = ("Normal", "Warning")


def _refuse(reason: str) -> KubectlRefused:
    return KubectlRefused(f"{reason}. Only read-only kubectl commands run here: {', '.join(VERBS)}.")


def parse_kubectl(command: str) -> KubectlCommand:
    """Validate a kubectl command line (the leading `kubectl` is optional) and parse it.

    Raises:
        KubectlRefused: for anything but an allowed read-only command; the message names the offending part.
    """
    if not isinstance(command, str):
        raise _refuse(f"a command line must be text, not {type(command).__name__}")
    for char in command:
        if char in _SHELL_CHARS or (ord(char) < 32 and char != "\t") or ord(char) == 127:
            raise _refuse(f"the character {char!r} is refused: commands run without a shell, one at a time")
    try:
        tokens = shlex.split(command)
    except ValueError as exc:
        raise _refuse(f"the command line cannot be parsed ({exc})") from exc
    if tokens[:1] == ["kubectl"]:
        tokens = tokens[1:]
    verb = _find_verb(tokens)
    flags, positionals = _read_flags(tokens, verb)
    return _build(verb, positionals, flags)


def _find_verb(tokens: list[str]) -> Verb:
    """The first token that is neither a flag nor a flag's value: kubectl accepts flags before the verb."""
    skip = False
    for token in tokens:
        if skip:
            skip = False
        elif token.startswith("-") and token != "-":
            takes_value = _FLAGS.get(token, ("", False))[1] or token in _REFUSED_VALUE_FLAGS
            skip = takes_value and "=" not in token
        elif token in VERBS:
            return token  # type: ignore[return-value]
        elif token in _REFUSED_VERBS:
            raise _refuse(f"kubectl {token} is refused: {_REFUSED_VERBS[token]}")
        else:
            raise _refuse(f"unknown kubectl verb {token!r}")
    raise _refuse("the command has no verb")


def _read_flags(tokens: list[str], verb: Verb) -> tuple[dict[str, str], list[str]]:
    """Split tokens into {canonical flag: value} (`"true"`/`"false"` for switches) and positionals.

    Raises:
        KubectlRefused: a refused, unknown, repeated or valueless flag.
    """
    allowed = _VERB_FLAGS[verb]
    flags: dict[str, str] = {}
    positionals: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        if not token.startswith("-") or token == "-":
            positionals.append(token)
            continue
        if token == "--":
            raise _refuse("'--' is refused: what follows it would be a command for a container")
        if token.startswith("--"):
            spelling, has_value, value = token.partition("=")
        else:
            spelling, rest = token[:2], token[2:]
            has_value, value = bool(rest), rest.removeprefix("=")
        if spelling in _REFUSED_FLAGS or (verb == "logs" and spelling == "-f"):
            why = "it would not terminate" if verb == "logs" and spelling == "-f" else _REFUSED_FLAGS[spelling]
            raise _refuse(f"{spelling} is refused: {why}")
        name, takes_value = _FLAGS.get(spelling, ("", False))
        if name not in allowed:
            spellings = sorted(s for s, (n, _) in _FLAGS.items() if n in allowed)
            raise _refuse(f"unknown flag {token!r} for kubectl {verb}; allowed: {' '.join(spellings) or 'none'}")
        if name in flags:
            raise _refuse(f"{spelling} is given twice")
        if takes_value and not has_value:
            if i == len(tokens):
                raise _refuse(f"{spelling} needs a value")
            value, i = tokens[i], i + 1
        elif not takes_value:
            if has_value and value not in ("true", "false"):
                raise _refuse(f"{token!r} is refused: {spelling} is a switch (true or false); short switches "
                              "cannot be combined")
            value = value if has_value else "true"
        flags[name] = value
    return flags, positionals[1:]


def _build(verb: Verb, positionals: list[str], flags: dict[str, str]) -> KubectlCommand:
    namespace = flags.get("namespace")
    if namespace is not None and not _NAMESPACE.fullmatch(namespace):
        raise _refuse(f"namespace {namespace!r} is not a valid namespace name")
    all_namespaces = flags.get("all-namespaces") == "true"
    if all_namespaces and namespace is not None:
        raise _refuse("-n and --all-namespaces exclude each other")
    selector = _checked(flags.get("selector"), _SELECTOR, "--selector")
    output = _output(verb, flags.get("output"))
    if verb in ("get", "describe", "top"):
        resource, name = _object(verb, positionals)
        if verb == "top" and resource.lower() not in _TOP_RESOURCES:
            raise _refuse(f"kubectl top {resource!r} is refused: top reads pods or nodes")
        if verb == "get" and output not in _SECRET_OUTPUTS and any(
                r.lower().split(".", 1)[0] in ("secret", "secrets") for r in resource.split(",")):
            raise _refuse(f"-o {output} is refused on secrets: it would print their values; get secrets allows the "
                          "default table, -o wide and -o name")
        return KubectlCommand(verb, resource, name, namespace=namespace, all_namespaces=all_namespaces,
                              output=output, show_labels=flags.get("show-labels") == "true", selector=selector,
                              field_selector=_checked(flags.get("field-selector"), _FIELD_SELECTOR,
                                                      "--field-selector"))
    if verb == "logs":
        return _logs(positionals, flags, namespace)
    if verb == "events":
        kind, name, types = _events(positionals, flags)
        return KubectlCommand(verb, kind, name, namespace=namespace, all_namespaces=all_namespaces, types=types)
    if verb == "explain":
        if len(positionals) != 1 or not _FIELD_PATH.fullmatch(positionals[0]):
            raise _refuse(f"kubectl explain takes one field path such as pods.spec.containers, got {positionals}")
        return KubectlCommand(verb, positionals[0], recursive=flags.get("recursive") == "true")
    _no_positionals(verb, positionals)
    if verb == "api-resources":
        namespaced = flags.get("namespaced")
        return KubectlCommand(verb, output=output, namespaced=None if namespaced is None else namespaced == "true")
    return KubectlCommand(verb, output=output, client=flags.get("client") == "true")


def _output(verb: Verb, output: str | None) -> str | None:
    if output is None:
        return None
    kind = output.split("=", 1)[0]
    if kind in _TEMPLATE_OUTPUTS:
        raise _refuse(f"-o {output} is refused: templates and column files can print any field or read local "
                      f"files; allowed: {', '.join(_OUTPUTS[verb])}")
    if output not in _OUTPUTS[verb]:
        raise _refuse(f"-o {output} is not allowed for kubectl {verb}; allowed: {', '.join(_OUTPUTS[verb])}")
    return output


def _checked(value: str | None, pattern: re.Pattern[str], flag: str) -> str | None:
    if value is not None and not pattern.fullmatch(value):
        raise _refuse(f"{flag} {value!r} has characters a {flag} cannot contain")
    return value


def _object(verb: Verb, positionals: list[str]) -> tuple[str, str]:
    """`TYPE`, `TYPE NAME` or `TYPE/NAME` as (type, name)."""
    if not positionals:
        raise _refuse(f"kubectl {verb} needs a resource type, e.g. kubectl {verb} pods")
    first, rest = positionals[0], positionals[1:]
    resource, slash, name = first.partition("/")
    if (slash and rest) or len(rest) > 1:
        raise _refuse(f"kubectl {verb} takes one object; got {' '.join(positionals)!r}")
    name = name if slash else "".join(rest)
    for part in resource.split(","):
        if not _RESOURCE.fullmatch(part):
            raise _refuse(f"{part!r} is not a resource type")
    if (slash or name) and not _NAME.fullmatch(name):
        raise _refuse(f"{name!r} is not an object name")
    return resource, name


def _logs(positionals: list[str], flags: dict[str, str], namespace: str | None) -> KubectlCommand:
    if not 1 <= len(positionals) <= 2:
        raise _refuse("kubectl logs takes a pod (or kind/name) and optionally a container")
    kind, slash, name = positionals[0].rpartition("/")
    if slash and kind.lower() not in _LOG_KINDS:
        raise _refuse(f"kubectl logs cannot read {kind!r}; it reads pods and workloads "
                      f"({', '.join(sorted(_LOG_KINDS))})")
    if not _NAME.fullmatch(name):
        raise _refuse(f"{name!r} is not a pod or workload name")
    container = flags.get("container")
    if len(positionals) == 2:
        if container is not None:
            raise _refuse("the container is given twice (as -c and as an argument)")
        container = positionals[1]
    if container is not None and not _NAMESPACE.fullmatch(container):
        raise _refuse(f"{container!r} is not a container name")
    tail = flags.get("tail", str(DEFAULT_LOG_TAIL))
    if not tail.isdigit() or not 1 <= int(tail) <= MAX_LOG_TAIL:
        raise _refuse(f"--tail={tail} is refused: give a line count from 1 to {MAX_LOG_TAIL}")
    since = flags.get("since")
    return KubectlCommand("logs", kind, name, namespace=namespace, container=container, tail=int(tail),
                          since_seconds=None if since is None else _seconds(since),
                          previous=flags.get("previous") == "true")


def _seconds(duration: str) -> int:
    match = _DURATION.fullmatch(duration)
    seconds = 0 if match is None else sum(int(v or 0) * f for v, f in zip(match.groups(), (3600, 60, 1), strict=True))
    if seconds < 1:
        raise _refuse(f"--since={duration} is refused: give a positive duration such as 30s, 5m or 1h")
    return seconds


def _events(positionals: list[str], flags: dict[str, str]) -> tuple[str, str, tuple[str, ...]]:
    """The `--for` object as (kind, name), and the `--types`."""
    _no_positionals("events", positionals)
    kind, name = "", ""
    if "for" in flags:
        kind, slash, name = flags["for"].partition("/")
        if not slash or not _RESOURCE.fullmatch(kind) or not _NAME.fullmatch(name):
            raise _refuse(f"--for {flags['for']!r} is refused: give kind/name, e.g. --for pod/frontend-abc")
    types = tuple(t for t in flags.get("types", "").split(",") if t)
    if any(t not in _EVENT_TYPES for t in types):
        raise _refuse(f"--types {flags['types']!r} is refused: event types are {', '.join(_EVENT_TYPES)}")
    return kind, name, types


def _no_positionals(verb: str, positionals: list[str]) -> None:
    if positionals:
        raise _refuse(f"kubectl {verb} takes no arguments, got {' '.join(positionals)!r}")


# -- running ----------------------------------------------------------------------------------------------------
def run_kubectl(command: str, reader: ClusterReader, *, default_namespace: str | None = None) -> str:
    """Answer an accepted kubectl command from a `ClusterReader`, redacted.

    get, describe, logs and events map onto the reader's methods; what the reader cannot express (top, explain,
    api-resources, version, `-o yaml`, all namespaces at once) is refused with the way to ask instead.

    Raises:
        KubectlRefused: the command is not read-only, or this backend cannot answer it.
        ClusterError: the reader's own error for an accepted command (NotFoundError, InvalidArgumentError...).
    """
    cmd = parse_kubectl(command)
    if default_namespace and cmd.namespace is None and not cmd.all_namespaces:
        cmd = replace(cmd, namespace=default_namespace)
    return redact_text(_answer(cmd, reader))


def _unsupported(what: str, instead: str) -> KubectlRefused:
    return KubectlRefused(f"{what} is not supported by this cluster backend; {instead}")


def _answer(cmd: KubectlCommand, reader: ClusterReader) -> str:
    if cmd.verb in ("top", "explain", "api-resources", "version"):
        raise _unsupported(f"kubectl {cmd.verb}", "it answers kubectl get, describe, logs and events")
    if cmd.all_namespaces:
        raise _unsupported("--all-namespaces", f"name one with -n (namespaces: {', '.join(reader.namespaces())})")
    if cmd.verb == "describe":
        if not cmd.name or cmd.selector:
            raise _unsupported("describe without an object name", "name one object: kubectl describe TYPE NAME")
        return reader.describe(cmd.resource, cmd.name, cmd.namespace)
    if cmd.verb == "logs":
        if cmd.namespace is None:
            raise _unsupported("kubectl logs without -n", f"name the namespace with -n (namespaces: "
                                                          f"{', '.join(reader.namespaces())})")
        return reader.logs(cmd.name, cmd.namespace, container=cmd.container, tail=cmd.tail or DEFAULT_LOG_TAIL,
                           since_seconds=cmd.since_seconds, previous=cmd.previous)
    if cmd.verb == "events":
        if cmd.types == ("Normal",):
            raise _unsupported("--types=Normal", "ask for all events or --types=Warning")
        return reader.events(cmd.namespace, object_name=cmd.name or None, warnings_only=cmd.types == ("Warning",))
    return _get(cmd, reader)


def _get(cmd: KubectlCommand, reader: ClusterReader) -> str:
    if "," in cmd.resource:
        raise _unsupported("getting several resource types at once", "ask for one type per command")
    if cmd.output not in (None, "wide"):
        raise _unsupported(f"-o {cmd.output}", "use the default table or -o wide, and describe for details")
    is_events = cmd.resource.lower().split(".", 1)[0] in ("ev", "event", "events")
    if cmd.field_selector is not None:
        if not is_events or cmd.name or cmd.output or cmd.show_labels or cmd.selector:
            raise _unsupported("--field-selector", "it filters only a plain get events: "
                                                   "--field-selector=involvedObject.name=NAME,type=Warning")
        object_name, warnings_only = _event_filter(cmd.field_selector)
        return reader.events(cmd.namespace, object_name=object_name, warnings_only=warnings_only)
    return reader.get_resources(cmd.resource, cmd.name, cmd.namespace, wide=cmd.output == "wide",
                                show_labels=cmd.show_labels, label_selector=cmd.selector)


def _event_filter(field_selector: str) -> tuple[str | None, bool]:
    object_name, warnings_only = None, False
    for term in field_selector.split(","):
        key, _, value = term.replace("==", "=").partition("=")
        if key == "involvedObject.name" and value:
            object_name = value
        elif key == "type" and value == "Warning":
            warnings_only = True
        else:
            raise _unsupported(f"the field selector {term!r}", "use involvedObject.name=NAME and type=Warning")
    return object_name, warnings_only


def run_kubectl_live(command: KubectlCommand, kubeconfig: str | None, context: str | None, timeout_s: float) -> str:
    """Run an accepted command with the real `kubectl` on PATH, without a shell; return its redacted output.

    The argv is exactly `kubectl [--kubeconfig=...] [--context=...] --request-timeout=... <command.argv>`.

    Raises:
        InvalidArgumentError: `timeout_s` is not positive.
        NotFoundError: kubectl reports NotFound. ForbiddenError: kubectl reports Forbidden.
        ClusterError: kubectl is missing, cannot start, times out or fails otherwise (its redacted stderr).
    """
    if not timeout_s > 0:
        raise InvalidArgumentError(f"timeout_s must be positive, got {timeout_s!r}")
    binary = shutil.which("kubectl")
    if binary is None:
        raise ClusterError("kubectl is not on PATH; install it, or use the simulated cluster")
    argv = [binary]
    if kubeconfig:
        argv.append(f"--kubeconfig={kubeconfig}")
    if context:
        argv.append(f"--context={context}")
    timeout = f"{int(timeout_s)}s" if timeout_s == int(timeout_s) else f"{max(1, round(timeout_s * 1000))}ms"
    argv += [f"--request-timeout={timeout}", *command.argv]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, errors="replace", stdin=subprocess.DEVNULL,
                              timeout=timeout_s + _GRACE_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ClusterError(f"kubectl {command.verb} timed out after {timeout_s:g}s") from exc
    except OSError as exc:
        raise ClusterError(f"kubectl could not be started: {exc}") from exc
    if done.returncode != 0:
        message = redact_text(done.stderr.strip() or f"kubectl exited with status {done.returncode}")
        if "(NotFound)" in message:
            raise NotFoundError(message)
        if "(Forbidden)" in message:
            raise ForbiddenError(message)
        raise ClusterError(message)
    return redact_text(done.stdout)
