"""The real kubectl (1.32) against the served simulator: reads match our own renderers, writes reach the simulator,
and the read-only identity, conflicts and missing objects fail as on a real API server."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from aoi.cluster.render import render_table
from aoi.cluster.serve import ServedCluster

Kubectl = Callable[..., subprocess.CompletedProcess[str]]

_TIME = re.compile(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}")
_DURATION = re.compile(r"(?<![\w./-])(?=\d+[dhms])(\d+d)?(\d+h)?(\d+m)?(\d+s)?(?![\w./-])")
_UNIT = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def _durations(text: str) -> list[int]:
    return [sum(int(part[:-1]) * _UNIT[part[-1]] for part in m.groups() if part) for m in _DURATION.finditer(text)]


def _same_up_to_the_clock(kubectl_text: str, ours: str) -> None:
    """Equal once absolute times are masked (wall clock vs simulated clock) and with every relative age within a
    second: kubectl computes describe's ages on its own clock, a fraction of a second after the server answered."""
    def mask(text: str) -> str:
        return _DURATION.sub("<age>", _TIME.sub("<time>", text))

    assert mask(kubectl_text) == mask(ours)
    pairs = list(zip(_durations(kubectl_text), _durations(ours), strict=True))
    assert all(0 <= a - b <= 1 for a, b in pairs), pairs


def _render(served: ServedCluster, resource: str, *, namespace: str | None, wide: bool = False) -> str:
    with served.session.cluster() as cluster:
        store = cluster.engine.state.store
        kind = {"pods": "Pod", "deployments": "Deployment", "services": "Service", "nodes": "Node"}[resource]
        return render_table(resource, store.list(kind, namespace), now=cluster.engine.state.clock.now,
                            source=store, wide=wide, all_namespaces=namespace is None and kind != "Node",
                            namespace=namespace)


def _replicas(served: ServedCluster, deployment: str) -> int:
    with served.session.cluster() as cluster:
        return cluster.engine.state.store.get("Deployment", served.namespace, deployment)["spec"]["replicas"]


def _pod(served: ServedCluster, component: str) -> str:
    with served.session.cluster() as cluster:
        return next(p["metadata"]["name"] for p in cluster.engine.state.store.list("Pod", served.namespace)
                    if p["metadata"]["name"].startswith(component + "-"))


def test_get_pods_all_namespaces_prints_exactly_our_table(served: ServedCluster, kubectl: Kubectl) -> None:
    out = kubectl("get", "pods", "-A").stdout
    assert out == _render(served, "pods", namespace=None)
    assert re.search(r"geo-\S+\s+0/1\s+CrashLoopBackOff\s+\d+ \(\d+s ago\)", out)


@pytest.mark.parametrize(("args", "resource", "wide"), [
    (("get", "deploy", "-o", "wide"), "deployments", True),
    (("get", "svc"), "services", False),
    (("get", "nodes", "-o", "wide"), "nodes", True),
])
def test_get_tables_match_our_renderer(served: ServedCluster, kubectl: Kubectl, args: tuple[str, ...],
                                       resource: str, wide: bool) -> None:
    namespace = None if resource == "nodes" else served.namespace
    assert kubectl(*args, "-n", served.namespace).stdout == _render(served, resource, namespace=namespace, wide=wide)


def test_get_several_types_prefixes_names_with_their_type(served: ServedCluster, kubectl: Kubectl) -> None:
    out = kubectl("get", "deploy,svc", "-n", served.namespace).stdout
    deployments, services = out.strip().split("\n\n")
    assert deployments.splitlines()[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert services.splitlines()[0].split() == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    assert "deployment.apps/mongodb-geo" in deployments and "service/mongodb-geo" in services
    assert len(deployments.splitlines()) == len(services.splitlines()) == 20


@pytest.mark.parametrize(("kind", "name"), [("pod", "geo"), ("deployment", "geo"), ("service", "frontend"),
                                            ("node", "kind-worker")])
def test_describe_matches_our_renderer_up_to_absolute_times(served: ServedCluster, kubectl: Kubectl, kind: str,
                                                            name: str) -> None:
    name = _pod(served, name) if kind == "pod" else name
    namespace = None if kind == "node" else served.namespace
    out = kubectl("describe", kind, name, *(["-n", namespace] if namespace else [])).stdout
    with served.session.cluster() as cluster:
        ours = cluster.describe(kind, name, namespace)
    _same_up_to_the_clock(out, ours)
    if kind == "pod":
        assert re.search(r"Warning\s+BackOff\s+\d+s \(x\d+ over \d+m?\d*s\)\s+kubelet", out)


def test_logs_previous_with_tail_prints_the_simulated_container_log(served: ServedCluster, kubectl: Kubectl) -> None:
    pod = _pod(served, "geo")
    out = kubectl("logs", pod, "-n", served.namespace, "--previous", "--tail", "3").stdout
    with served.session.cluster() as cluster:
        expected = cluster.logs(pod, served.namespace, tail=3, previous=True)
    assert out == expected + "\n"
    assert len(out.splitlines()) == 3


def test_logs_of_a_healthy_pod_and_a_missing_previous_instance(served: ServedCluster, kubectl: Kubectl) -> None:
    pod = _pod(served, "frontend")
    assert len(kubectl("logs", pod, "-n", served.namespace, "--tail", "5").stdout.splitlines()) == 5
    missing = kubectl("logs", pod, "-n", served.namespace, "--previous", check=False)
    assert missing.returncode == 1
    assert "Error from server (BadRequest): previous terminated container" in missing.stderr


def test_get_events_lists_every_event_of_the_namespace(served: ServedCluster, kubectl: Kubectl) -> None:
    out = kubectl("get", "events", "-n", served.namespace, "--sort-by=.lastTimestamp").stdout
    lines = out.splitlines()
    assert lines[0].split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    with served.session.cluster() as cluster:
        count = len(cluster.engine.state.store.list("Event", served.namespace))
    assert len(lines) - 1 == count
    assert any("BackOff" in line and "pod/geo-" in line for line in lines)


def test_scale_with_server_dry_run_changes_nothing(served: ServedCluster, kubectl: Kubectl) -> None:
    before = _replicas(served, "search")
    out = kubectl("scale", "deployment", "search", "-n", served.namespace, "--replicas", "4", "--dry-run=server")
    assert out.stdout.strip() == "deployment.apps/search scaled (server dry run)"
    assert _replicas(served, "search") == before == 1


def test_scale_changes_the_simulated_deployment(served: ServedCluster, kubectl: Kubectl) -> None:
    out = kubectl("scale", "deployment", "rate", "-n", served.namespace, "--replicas", "3")
    assert out.stdout.strip() == "deployment.apps/rate scaled"
    assert _replicas(served, "rate") == 3


def test_merge_patch_lands_in_the_simulator_and_a_repeat_is_no_change(served: ServedCluster,
                                                                       kubectl: Kubectl) -> None:
    patch = json.dumps({"metadata": {"labels": {"team": "sre"}}})
    first = kubectl("patch", "service", "profile", "-n", served.namespace, "--type", "merge", "-p", patch)
    again = kubectl("patch", "service", "profile", "-n", served.namespace, "--type", "merge", "-p", patch)
    assert first.stdout.strip() == "service/profile patched"
    assert again.stdout.strip() == "service/profile patched (no change)"
    with served.session.cluster() as cluster:
        labels = cluster.engine.state.store.get("Service", served.namespace, "profile")["metadata"]["labels"]
    assert labels["team"] == "sre"


@pytest.mark.parametrize(("context", "verb", "resource", "answer"), [
    ("aoi-sim", "patch", "deployments", "yes"),
    ("aoi-sim", "get", "secrets", "yes"),
    ("aoi-sim-readonly", "get", "pods", "yes"),
    ("aoi-sim-readonly", "patch", "deployments", "no"),
    ("aoi-sim-readonly", "delete", "pods", "no"),
    ("aoi-sim-readonly", "get", "secrets", "no"),
])
def test_auth_can_i_reports_each_identity(served: ServedCluster, kubectl: Kubectl, context: str, verb: str,
                                          resource: str, answer: str) -> None:
    result = kubectl("auth", "can-i", verb, resource, "-n", served.namespace, context=context, check=False)
    assert result.stdout.strip() == answer
    assert result.returncode == (0 if answer == "yes" else 1)


def test_read_only_identity_is_forbidden_to_write_or_read_secrets(served: ServedCluster, kubectl: Kubectl) -> None:
    before = _replicas(served, "user")
    scale = kubectl("scale", "deployment", "user", "-n", served.namespace, "--replicas", "2",
                    context="aoi-sim-readonly", check=False)
    assert scale.returncode == 1
    assert scale.stderr.startswith('Error from server (Forbidden): deployments.apps "user" is forbidden: User '
                                   '"system:serviceaccount:aoi:aoi-probe" cannot patch resource "deployments/scale"')
    assert _replicas(served, "user") == before
    patch = kubectl("patch", "svc", "user", "-n", served.namespace, "-p", '{"metadata":{"labels":{"a":"b"}}}',
                    context="aoi-sim-readonly", check=False)
    assert "(Forbidden)" in patch.stderr
    secrets = kubectl("get", "secrets", "-n", served.namespace, context="aoi-sim-readonly", check=False)
    assert "(Forbidden): secrets is forbidden" in secrets.stderr
    assert kubectl("get", "pods", "-n", served.namespace, context="aoi-sim-readonly").stdout.startswith("NAME")


def test_stale_resource_version_is_a_conflict(served: ServedCluster, kubectl: Kubectl) -> None:
    patch = json.dumps({"metadata": {"resourceVersion": "1", "labels": {"stale": "yes"}}})
    result = kubectl("patch", "deployment", "geo", "-n", served.namespace, "--type", "merge", "-p", patch,
                     check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == ('Error from server (Conflict): Operation cannot be fulfilled on deployments.apps '
                                     '"geo": the object has been modified; please apply your changes to the latest '
                                     'version and try again')


def test_missing_pod_is_not_found(served: ServedCluster, kubectl: Kubectl) -> None:
    result = kubectl("get", "pod", "no-such-pod", "-n", served.namespace, check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == 'Error from server (NotFound): pods "no-such-pod" not found'


def test_get_watch_prints_a_row_when_the_simulator_changes(served: ServedCluster, kubectl: Kubectl,
                                                            kubectl_command: tuple[list[str], dict[str, str]]) -> None:
    argv, env = kubectl_command
    watcher = subprocess.Popen([*argv, "get", "deployment", "memcached-rate", "-n", served.namespace, "-w"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert watcher.stdout is not None
        assert watcher.stdout.readline().split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
        assert watcher.stdout.readline().split()[:2] == ["memcached-rate", "1/1"]
        kubectl("scale", "deployment", "memcached-rate", "-n", served.namespace, "--replicas", "2")
        assert watcher.stdout.readline().split()[:2] == ["memcached-rate", "1/2"]
    finally:
        watcher.kill()
        watcher.communicate()


def test_rollout_status_of_a_healthy_deployment(served: ServedCluster, kubectl: Kubectl) -> None:
    out = kubectl("rollout", "status", "deployment/frontend", "-n", served.namespace, "--timeout=20s")
    assert out.stdout.strip() == 'deployment "frontend" successfully rolled out'


def test_create_by_apply_and_delete_reach_the_simulator(served: ServedCluster, kubectl: Kubectl,
                                                        tmp_path: Path) -> None:
    manifest = tmp_path / "cm.json"
    manifest.write_text(json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "tuning"},
                                    "data": {"cache": "on"}}))
    # Without --validate=false kubectl first downloads the OpenAPI schema, which the simulator does not serve.
    out = kubectl("apply", "--validate=false", "-f", str(manifest), "-n", served.namespace)
    assert out.stdout.strip() == "configmap/tuning created"
    with served.session.cluster() as cluster:
        assert cluster.engine.state.store.get("ConfigMap", served.namespace, "tuning")["data"] == {"cache": "on"}
    assert kubectl("delete", "configmap", "tuning", "-n", served.namespace).stdout.strip() == \
        'configmap "tuning" deleted'
    with served.session.cluster() as cluster:
        assert cluster.engine.state.store.get("ConfigMap", served.namespace, "tuning") is None


def test_protobuf_bodies_of_typed_writes_are_refused_with_the_way_out(served: ServedCluster,
                                                                       kubectl: Kubectl) -> None:
    result = kubectl("create", "configmap", "extra", "--from-literal=a=b", "-n", served.namespace, check=False)
    assert result.returncode == 1
    assert "accepts JSON bodies only" in result.stderr and "kubectl create -f FILE" in result.stderr


def test_kubectl_pointed_at_plain_http_is_refused_with_the_https_url(
        served: ServedCluster, kubectl_command: tuple[list[str], dict[str, str]], tmp_path: Path) -> None:
    """kubectl drops the kubeconfig's token on http:// but sends `--token`; both are refused, with a warning
    (kubectl prints discovery errors as "unknown")."""
    config = yaml.safe_load(served.kubeconfig_path.read_text())
    config["clusters"][0]["cluster"] = {"server": served.url.replace("https://", "http://", 1)}
    plain = tmp_path / "plain.kubeconfig"
    plain.write_text(yaml.safe_dump(config))
    argv, env = kubectl_command
    argv = [argv[0], "--kubeconfig", str(plain), *argv[3:]]
    for extra in ((), ("--token", served.writer_token)):
        result = subprocess.run([*argv, *extra, "get", "pods"], capture_output=True, text=True, env=env, timeout=60)
        assert result.returncode == 1
        assert "Error from server (Forbidden)" in result.stderr, result.stderr
        assert re.search(rf"^Warning: .*served over TLS only: use {re.escape(served.url)} ", result.stderr, re.M)
