"""Properties of the parsers of Kubernetes components' failure messages: each reads the wording its component
prints (generated here in that format) back into what it says, and none raises on any other text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aoi.diagnosis.messages import (
    ProbeSpec,
    QuotaRejection,
    SchedulingFailure,
    image_pull_cause,
    parse_failed_scheduling,
    parse_probe_specs,
    parse_quota_rejection,
    probe_failure,
    quota_resource,
    scheduling_reason,
    taint_key,
    unit_state,
)

# -- kube-scheduler ---------------------------------------------------------------------------------------------
FILTER_REASONS: dict[str, str] = {
    "Insufficient cpu": "cpu",
    "Insufficient memory": "memory",
    "Insufficient ephemeral-storage": "other",
    "Insufficient nvidia.com/gpu": "other",
    "Too many pods": "pods",
    "node(s) didn't match Pod's node affinity/selector": "selector",
    "node(s) didn't match scheduler-enforced node affinity": "selector",
    "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }": "taint",
    "node(s) had untolerated taint {dedicated: gpu}": "taint",
    "node(s) had taint {dedicated: gpu}, that the pod didn't tolerate": "taint",
    "node(s) were unschedulable": "cordoned",
    "node(s) didn't have free ports for the requested pod ports": "ports",
    "node(s) didn't match pod affinity rules": "affinity",
    "node(s) didn't match pod anti-affinity rules": "anti_affinity",
    "node(s) didn't satisfy existing pods anti-affinity rules": "anti_affinity",
    "node(s) didn't match pod affinity/anti-affinity": "anti_affinity",
    "node(s) had volume node affinity conflict": "volume",
    "node(s) didn't find available persistent volumes to bind": "volume",
    "node(s) did not have enough free storage": "volume",
    "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)": "volume",
    "node(s) didn't satisfy plugin(s) [NodeAffinity]": "other",
}
"""Filter plugins' reasons as kube-scheduler writes them (current and ~v1.18 wordings), and the plugin kind each
names."""
PREEMPTION_REASONS = ("No preemption victims found for incoming pod", "Preemption is not helpful for scheduling")


def histogram(entries: dict[str, int]) -> str:
    """As `FitError.Error()` prints it: `<count> <reason>` entries through `sort.Strings`, joined with `, `."""
    return ", ".join(sorted(f"{count} {reason}" for reason, count in entries.items()))


@st.composite
def fit_errors(draw: st.DrawFn) -> tuple[str, int, dict[str, int]]:
    """(message, N, reason → count): a histogram whose counts may add up to more than N, optionally followed by
    the preemption verdict (which some releases end with `..`)."""
    nodes = draw(st.integers(1, 5000))
    reasons = draw(st.dictionaries(st.sampled_from(sorted(FILTER_REASONS)), st.integers(1, nodes), min_size=1,
                                   max_size=6))
    message = f"0/{nodes} nodes are available: {histogram(reasons)}."
    victims = draw(st.dictionaries(st.sampled_from(PREEMPTION_REASONS), st.integers(1, nodes), max_size=2))
    if victims:
        message += f" preemption: 0/{nodes} nodes are available: {histogram(victims)}" + draw(
            st.sampled_from([".", ".."]))
    return message, nodes, reasons


@given(fit_errors())
def test_a_failed_scheduling_histogram_reads_back_as_the_counts_it_was_made_of(
        case: tuple[str, int, dict[str, int]]) -> None:
    message, nodes, reasons = case

    assert parse_failed_scheduling(message) == SchedulingFailure(nodes, reasons, "")


@given(st.sampled_from(["pod has unbound immediate PersistentVolumeClaims", 'persistentvolumeclaim "data" not found',
                        "pod affinity terms conflict"]), st.integers(1, 500))
def test_a_prefilter_rejection_reads_back_as_a_prefilter_message_without_counts(reason: str, nodes: int) -> None:
    message = (f"0/{nodes} nodes are available: {reason}. preemption: 0/{nodes} nodes are available: {nodes} "
               "Preemption is not helpful for scheduling.")

    assert parse_failed_scheduling(message) == SchedulingFailure(nodes, {}, reason)


def test_no_nodes_at_all_reads_as_a_failure_without_a_node_count() -> None:
    assert parse_failed_scheduling("no nodes available to schedule pods") == SchedulingFailure(
        None, {}, "no nodes available to schedule pods")


@pytest.mark.parametrize(("reason", "kind"), sorted(FILTER_REASONS.items()))
def test_each_filter_reason_is_attributed_to_the_plugin_that_writes_it(reason: str, kind: str) -> None:
    assert scheduling_reason(reason) == kind


@given(st.from_regex(r"\A[a-z][a-z0-9.-]{0,20}(/[a-z][a-z0-9-]{0,20})?\Z"),
       st.from_regex(r"\A[A-Za-z0-9._-]{0,20}\Z"))
def test_the_taint_key_of_an_untolerated_taint_reason_is_recovered(key: str, value: str) -> None:
    assert taint_key(f"node(s) had untolerated taint {{{key}: {value}}}") == key


# -- ResourceQuota admission ------------------------------------------------------------------------------------
QUOTA_KEYS: dict[str, str] = {
    "requests.cpu": "cpu", "limits.cpu": "cpu", "cpu": "cpu",
    "requests.memory": "memory", "limits.memory": "memory", "memory": "memory",
    "pods": "pods", "count/pods": "pods",
    "services": "services", "count/services": "services", "services.loadbalancers": "services",
    "requests.storage": "storage", "persistentvolumeclaims": "storage",
    "gold.storageclass.storage.k8s.io/requests.storage": "storage",
    "count/deployments.apps": "other", "requests.nvidia.com/gpu": "other",
}
"""Keys a ResourceQuota's `hard` may name, and the resource each limits."""
QUANTITIES = st.from_regex(r"\A[1-9][0-9]{0,5}(m|k|Ki|Mi|Gi|Ti)?\Z")


@st.composite
def quota_rejections(draw: st.DrawFn) -> tuple[str, QuotaRejection]:
    """`exceeded quota: <q>, requested: <r>, used: <u>, limited: <l>`: each list `name=qty`, sorted by name, joined
    with `,`; wrapped by the Forbidden error of whatever was created."""
    quota = draw(st.from_regex(r"\A[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?\Z"))
    names = sorted(draw(st.sets(st.sampled_from(sorted(QUOTA_KEYS)), min_size=1, max_size=4)))
    lists = [{n: draw(QUANTITIES) for n in names} for _ in range(3)]
    rendered = [",".join(f"{n}={q}" for n, q in values.items()) for values in lists]
    wrapper = draw(st.sampled_from(['Error creating: pods "api-6d4cf56db6-x2q8k" is forbidden: ',
                                    'services "api" is forbidden: ', 'persistentvolumeclaims "data" is forbidden: ',
                                    "(combined from similar events): Error creating: pods \"api-6d4cf56db6-\" is "
                                    "forbidden: ", ""]))
    message = (f"{wrapper}exceeded quota: {quota}, requested: {rendered[0]}, used: {rendered[1]}, "
               f"limited: {rendered[2]}")
    return message, QuotaRejection(quota, *lists)


@given(quota_rejections())
def test_a_quota_rejection_reads_back_as_its_quota_and_value_lists(case: tuple[str, QuotaRejection]) -> None:
    message, expected = case

    assert parse_quota_rejection(message) == expected


@pytest.mark.parametrize(("key", "resource"), sorted(QUOTA_KEYS.items()))
def test_each_quota_key_names_the_resource_it_limits(key: str, resource: str) -> None:
    assert quota_resource(key) == resource


def test_a_forbidden_error_that_is_not_a_quota_rejection_reads_as_none() -> None:
    assert parse_quota_rejection('pods "api-6d4cf56db6-" is forbidden: error looking up service account shop/x: '
                                 'serviceaccount "x" not found') is None


# -- kubelet image pulls ----------------------------------------------------------------------------------------
HOSTS = st.from_regex(r"\A[a-z]{2,10}(\.[a-z]{2,10}){1,2}(:[0-9]{4})?\Z")
REPOS = st.from_regex(r"\A[a-z]{2,12}(/[a-z]{2,12}){0,2}\Z")
TAGS = st.from_regex(r"\Av?[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,2}\Z")


@st.composite
def pull_errors(draw: st.DrawFn) -> tuple[str, str]:
    """(CRI error as the kubelet reports it after `Failed to pull image "<img>": `, the cause it shows)."""
    host, repo, tag = draw(HOSTS), draw(REPOS), draw(TAGS)
    ref = f"{host}/{repo}:{tag}"
    resolve = f'failed to pull and unpack image "{ref}": failed to resolve reference "{ref}"'
    bare = host.split(":")[0]
    cause, error = draw(st.sampled_from([
        ("not_found", f"rpc error: code = NotFound desc = {resolve}: {ref}: not found"),
        ("denied", f"{resolve}: pull access denied, repository does not exist or may require authorization: server "
                   "message: insufficient_scope: authorization failed"),
        ("auth", f"{resolve}: failed to authorize: failed to fetch anonymous token: unexpected status from GET request "
                 f"to https://{host}/token?scope=repository%3A{repo}%3Apull&service={bare}: 401 Unauthorized"),
        ("auth", f"{resolve}: failed to authorize: failed to fetch oauth token: unexpected status from POST request "
                 f"to https://{host}/token: 401 Unauthorized"),
        ("auth", f"{resolve}: unexpected status from HEAD request to https://{host}/v2/{repo}/manifests/{tag}: "
                 "403 Forbidden"),
        ("dns", f"{resolve}: failed to do request: Head \"https://{host}/v2/{repo}/manifests/{tag}\": dial tcp: "
                f"lookup {bare} on 10.96.0.10:53: no such host"),
    ]))
    return f'Failed to pull image "{ref}": {error}', cause


@given(pull_errors())
def test_a_pull_error_is_classified_by_what_containerd_says(case: tuple[str, str]) -> None:
    message, cause = case

    assert image_pull_cause(message) == cause


# -- kubelet probes ---------------------------------------------------------------------------------------------
PATHS = st.sampled_from(["/", "/healthz", "/readyz", "/health/live", "/api/v1/status"])


@st.composite
def probe_outputs(draw: st.DrawFn) -> tuple[str, str]:
    """(`<Kind> probe failed: <output>`, the failure it shows), outputs as the HTTP, TCP, gRPC and exec probers
    print them."""
    ip, port, path = str(draw(st.ip_addresses(v=4))), draw(st.integers(1, 65535)), draw(PATHS)
    seconds = draw(st.integers(1, 30))
    failure, output = draw(st.sampled_from([
        ("refused", f'Get "http://{ip}:{port}{path}": dial tcp {ip}:{port}: connect: connection refused'),
        ("refused", f"dial tcp {ip}:{port}: connect: connection refused"),
        ("timeout", f'Get "http://{ip}:{port}{path}": context deadline exceeded (Client.Timeout exceeded while '
                    "awaiting headers)"),
        ("timeout", f"dial tcp {ip}:{port}: i/o timeout"),
        ("timeout", f"timeout: health rpc did not complete within {seconds}s"),
        ("timeout", f'timeout: failed to connect service "{ip}:{port}" within {seconds}s: context deadline exceeded'),
        ("timeout", 'command "cat /tmp/healthy" timed out'),
        ("protocol", f'Get "https://{ip}:{port}{path}": http: server gave HTTP response to HTTPS client'),
        ("protocol", f'Get "http://{ip}:{port}{path}": net/http: HTTP/1.x transport connection broken: malformed '
                     'HTTP response "\\x00\\x00\\x12\\x04\\x00\\x00\\x00\\x00\\x00"'),
        ("protocol", "error: this server does not implement the grpc health protocol (grpc.health.v1.Health): rpc "
                     "error: code = Unimplemented desc = unknown service grpc.health.v1.Health"),
        ("status", f"HTTP probe failed with statuscode: {draw(st.integers(400, 599))}"),
    ]))
    kind = draw(st.sampled_from(["Liveness", "Readiness", "Startup"]))
    verb = "errored" if failure == "timeout" and output.startswith("command") else "failed"
    return f"{kind} probe {verb}: {output}", failure


@given(probe_outputs())
def test_a_probe_failure_is_classified_by_its_output(case: tuple[str, str]) -> None:
    message, failure = case

    assert probe_failure(message) == failure


@st.composite
def probe_lines(draw: st.DrawFn) -> tuple[str, ProbeSpec]:
    """One probe line of `kubectl describe pod`, and the spec it prints."""
    kind = draw(st.sampled_from(["Liveness", "Readiness", "Startup"]))
    port: int | None = draw(st.integers(1, 65535))
    named = draw(st.booleans())
    shown = draw(st.from_regex(r"\A[a-z]{2,8}\Z")) if named else str(port)
    port = None if named else port
    handler, target, scheme = draw(st.sampled_from([
        ("http-get", f"http://:{shown}{draw(PATHS)}", "http"),
        ("http-get", f"https://:{shown}{draw(PATHS)}", "https"),
        ("tcp-socket", f":{shown}", ""),
        ("grpc", f"<pod>:{shown}", ""),
        ("exec", "[cat /tmp/healthy]", ""),
    ]))
    delay, timeout, period, failure = (draw(st.integers(0, 600)) for _ in range(4))
    line = (f"    {(kind + ':').ljust(11)} {handler} {target} delay={delay}s timeout={timeout}s period={period}s "
            f"#success=1 #failure={failure}")
    return line, ProbeSpec(kind, handler, None if handler == "exec" else port, scheme, delay, timeout, period,
                           failure)


@given(st.lists(probe_lines(), max_size=3))
def test_every_probe_line_of_a_described_pod_reads_back_as_its_spec(lines: list[tuple[str, ProbeSpec]]) -> None:
    text = "\n".join(["Containers:", "  app:", "    Image:          registry.example.com/shop/app:1.4.2",
                      "    Port:           8080/TCP", *(line for line, _ in lines), "    Environment:    <none>"])

    assert parse_probe_specs(text) == [spec for _, spec in lines]


# -- systemd ----------------------------------------------------------------------------------------------------
@st.composite
def unit_texts(draw: st.DrawFn) -> tuple[str, str]:
    """`systemctl status` of a node daemon, and whether it shows the daemon running."""
    unit = draw(st.sampled_from(["kubelet", "containerd", "kube-proxy", "kube-scheduler"]))
    since = "since Mon 2026-01-05 09:02:00 UTC; 2min ago"
    state, active = draw(st.sampled_from([
        ("running", f"active (running) {since}"),
        ("stopped", f"inactive (dead) {since}"),
        ("stopped", "inactive (dead)"),
        ("stopped", f"failed (Result: exit-code) {since}"),
        ("stopped", f"activating (auto-restart) (Result: exit-code) {since}"),
        ("stopped", f"deactivating (stop-sigterm) {since}"),
        ("unknown", None),
    ]))
    if active is None:
        return f"Unit {unit}.service could not be found.", state
    journal = draw(st.lists(st.sampled_from([f"Jan 05 09:02:00 node-b systemd[1]: Stopped {unit}.",
                                             f"Jan 05 09:00:00 node-b {unit}[812]: I0105 started"]), max_size=3))
    return "\n".join([f"Service: {unit}", "Node: node-b", f"Status: ● {unit}.service - {unit}",
                      f"     Loaded: loaded (/etc/systemd/system/{unit}.service; enabled; vendor preset: enabled)",
                      f"     Active: {active}", *journal]), state


@given(unit_texts())
def test_a_units_active_line_says_whether_the_daemon_runs(case: tuple[str, str]) -> None:
    text, state = case

    assert unit_state(text) == state


# -- totality ---------------------------------------------------------------------------------------------------
PARSERS: dict[str, Callable[[str], Any]] = {
    "parse_failed_scheduling": parse_failed_scheduling, "scheduling_reason": scheduling_reason,
    "taint_key": taint_key, "parse_quota_rejection": parse_quota_rejection, "quota_resource": quota_resource,
    "image_pull_cause": image_pull_cause, "probe_failure": probe_failure, "parse_probe_specs": parse_probe_specs,
    "unit_state": unit_state,
}
NEAR_FORMAT = st.sampled_from(["0/3 nodes are available: ", "preemption: ", "exceeded quota: ", ", requested: ",
                               ", used: ", ", limited: ", "    Liveness:   ", "Readiness: http-get http://:", " delay=",
                               "#failure=", "Active: ", "(", "taint {", "no such host", "connection refused", ", 3 "])
TEXTS = st.one_of(st.text(), st.lists(st.one_of(NEAR_FORMAT, st.text(max_size=8))).map("".join))
"""Arbitrary text, and text stitched from the formats' own fragments (to reach past the first regex)."""


@pytest.mark.parametrize("name", sorted(PARSERS))
@given(text=TEXTS)
def test_no_parser_raises_on_arbitrary_text(name: str, text: str) -> None:
    PARSERS[name](text)


@pytest.mark.parametrize(("name", "text"), [
    ("parse_failed_scheduling", "0/" + "9" * 5000 + " nodes are available: 1 Insufficient cpu."),
    ("parse_failed_scheduling", "0/3 nodes are available: " + "9" * 5000 + " Insufficient cpu."),
    ("parse_probe_specs", "    Liveness:   tcp-socket :" + "9" * 5000 + " delay=0s timeout=1s period=10s"),
], ids=["nodes", "count", "probe-port"])
def test_no_parser_raises_on_a_number_too_long_to_convert(name: str, text: str) -> None:
    PARSERS[name](text)


def test_a_quantity_too_long_or_with_a_huge_exponent_is_not_one() -> None:
    from aoi.diagnosis.reads import quantity

    assert (quantity("1Gi"), quantity("500m"), quantity("2")) == (2**30, 0.5, 2.0)
    assert quantity("1e999999999") is None and quantity("9" * 100) is None and quantity("fast") is None
