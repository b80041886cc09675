"""The kubectl passthrough accepts only read-only commands, answers them from a cluster reader exactly as the reader
would, and runs the real binary with the validated argv and no shell."""

from __future__ import annotations

import shlex
import stat
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aoi.cluster.interface import ClusterError, ForbiddenError, InvalidArgumentError, NotFoundError
from aoi.cluster.readonly import ReadOnlyView
from aoi.cluster.sim.cluster import SimCluster
from aoi.tools.kubectl import KubectlCommand, KubectlRefused, parse_kubectl, run_kubectl, run_kubectl_live
from aoi.tools.redaction import MARKER

# (command line, a part of it the refusal must name)
REFUSED: list[tuple[str, str]] = [
    # verbs that write, reach into containers, or are unknown
    ("kubectl exec -it frontend-abc -- sh", "exec"),
    ("kubectl cp frontend-abc:/etc/passwd /tmp/passwd", "cp"),
    ("kubectl port-forward svc/frontend 8080:80", "port-forward"),
    ("kubectl proxy --port=8001", "proxy"),
    ("kubectl edit deploy/frontend", "edit"),
    ("kubectl attach frontend-abc", "attach"),
    ("kubectl apply -f pod.yaml", "apply"),
    ("kubectl create secret generic leak --from-literal=a=b", "create"),
    ("kubectl delete pod frontend-abc", "delete"),
    ("kubectl patch deploy frontend -p '{\"spec\":{\"replicas\":0}}'", "patch"),
    ("kubectl scale deploy/frontend --replicas=0", "scale"),
    ("kubectl rollout restart deploy/frontend", "rollout"),
    ("kubectl rollout history deploy/frontend", "rollout"),
    ("kubectl set image deploy/frontend server=evil:1", "set"),
    ("kubectl label pod frontend-abc tier=x", "label"),
    ("kubectl annotate pod frontend-abc note=x", "annotate"),
    ("kubectl cordon worker-01", "cordon"),
    ("kubectl drain worker-01 --ignore-daemonsets", "drain"),
    ("kubectl taint nodes worker-01 key=value:NoSchedule", "taint"),
    ("kubectl run shell --image=busybox -- sh", "run"),
    ("kubectl expose deploy frontend --port=80", "expose"),
    ("kubectl replace -f pod.yaml", "replace"),
    ("kubectl auth can-i '*' '*'", "auth"),
    ("kubectl config view --raw", "config"),
    ("kubectl plugin list", "plugin"),
    ("kubectl debug node/worker-01 -it --image=busybox", "debug"),
    ("kubectl certificate approve csr-1", "certificate"),
    ("kubectl frobnicate pods", "frobnicate"),
    ("kubectl --kubeconfig /tmp/k exec frontend-abc -- sh", "exec"),
    # flags that pick credentials, clusters or identities, or escape the API
    ("kubectl get pods --kubeconfig=/root/.kube/config", "--kubeconfig"),
    ("kubectl --token=abc get pods", "--token"),
    ("kubectl get pods --as=system:admin", "--as"),
    ("kubectl get pods --as-group=system:masters", "--as-group"),
    ("kubectl get pods --as-uid=0", "--as-uid"),
    ("kubectl get pods -s https://evil:6443", "-s"),
    ("kubectl get pods --server=https://evil:6443", "--server"),
    ("kubectl get pods --user=admin", "--user"),
    ("kubectl get pods --cluster=prod", "--cluster"),
    ("kubectl get pods --context=prod", "--context"),
    ("kubectl get pods --insecure-skip-tls-verify", "--insecure-skip-tls-verify"),
    ("kubectl get --raw /api/v1/namespaces/default/secrets", "--raw"),
    ("kubectl get pods --certificate-authority=/tmp/ca.crt", "--certificate-authority"),
    ("kubectl get pods --client-key=/tmp/k.pem", "--client-key"),
    ("kubectl get pods --client-certificate=/tmp/c.pem", "--client-certificate"),
    ("kubectl get pods -v=9", "-v"),
    ("kubectl get pods --request-timeout=0", "--request-timeout"),
    ("kubectl get pods --log-file=/tmp/out", "--log-file"),
    ("kubectl get -f /etc/passwd", "-f"),
    # outputs that template arbitrary fields or print secret values
    ("kubectl get pods -o go-template='{{.items}}'", "go-template"),
    ("kubectl get pods -o go-template-file=/tmp/t", "go-template-file"),
    ("kubectl get pods -o templatefile=/tmp/t", "templatefile"),
    ("kubectl get pods -o template --template={{.}}", "template"),
    ("kubectl get pods -o jsonpath='{.items[*].spec}'", "jsonpath"),
    ("kubectl get pods -o jsonpath-file=/etc/passwd", "jsonpath-file"),
    ("kubectl get pods -o jsonpath-as-json='{.items}'", "jsonpath-as-json"),
    ("kubectl get pods -o custom-columns-file=/tmp/c", "custom-columns-file"),
    ("kubectl get secret mongodb-admin -o yaml", "-o yaml is refused on secrets"),
    ("kubectl get secrets -n boutique -o json", "-o json is refused on secrets"),
    ("kubectl get secret/mongodb-admin -ojson", "-o json is refused on secrets"),
    ("kubectl get pods,secrets -o yaml", "-o yaml is refused on secrets"),
    # shell metacharacters
    ("kubectl get pods; kubectl delete pod x", "';'"),
    ("kubectl get pods | sh", "'|'"),
    ("kubectl get pods && reboot", "'&'"),
    ("kubectl get pods $(whoami)", "'$'"),
    ("kubectl get pods `id`", "'`'"),
    ("kubectl get pods > /etc/passwd", "'>'"),
    ("kubectl get pods < /tmp/input", "'<'"),
    ("kubectl get pods\nkubectl delete pod x", "'\\n'"),
    ("kubectl get pods -n 'default;rm'", "';'"),
    # commands that would not terminate or would return without bound
    ("kubectl get pods -w", "-w"),
    ("kubectl get pods --watch", "--watch"),
    ("kubectl get pods --watch-only", "--watch-only"),
    ("kubectl logs frontend-abc -f", "-f"),
    ("kubectl logs frontend-abc --follow", "--follow"),
    ("kubectl logs frontend-abc --tail=100000", "--tail=100000"),
    ("kubectl logs frontend-abc --tail=-1", "--tail=-1"),
    ("kubectl logs frontend-abc --since=0s", "--since=0s"),
    # malformed or smuggled arguments
    ("kubectl logs frontend-abc -- cat /etc/shadow", "'--'"),
    ("kubectl get pods 'unterminated", "cannot be parsed"),
    ("kubectl", "no verb"),
    ("kubectl get pods --sort-by=.metadata.name", "--sort-by"),
    ("kubectl describe pods -it", "-it"),
    ("kubectl get -Ap pods", "-Ap"),
    ("kubectl top secrets", "secrets"),
    ("kubectl logs secret/mongodb-admin", "secret"),
    ("kubectl get pods -n Bad_Namespace", "Bad_Namespace"),
    ("kubectl get pods -n boutique -n default", "-n is given twice"),
    ("kubectl get pods -n boutique -A", "exclude each other"),
]


@pytest.mark.parametrize(("command", "offending"), REFUSED)
def test_a_command_that_is_not_read_only_is_refused_naming_what_is_wrong(command: str, offending: str) -> None:
    with pytest.raises(KubectlRefused) as refusal:
        parse_kubectl(command)
    assert offending in str(refusal.value)
    assert "Only read-only kubectl commands run here: get, describe, logs, top, events, explain, api-resources, " \
           "version." in str(refusal.value)


def test_the_refusal_table_is_large() -> None:
    assert len(REFUSED) >= 40


def test_a_refusal_is_a_cluster_error() -> None:
    assert issubclass(KubectlRefused, ClusterError)


ACCEPTED: list[tuple[str, KubectlCommand]] = [
    ("kubectl get pods", KubectlCommand("get", "pods")),
    ("get pods -n boutique -o wide", KubectlCommand("get", "pods", namespace="boutique", output="wide")),
    ("kubectl get deploy/frontend -n boutique", KubectlCommand("get", "deploy", "frontend", namespace="boutique")),
    ("kubectl get svc frontend --namespace=boutique --show-labels",
     KubectlCommand("get", "svc", "frontend", namespace="boutique", show_labels=True)),
    ("kubectl get pods -l 'app in (frontend, cart),!canary' -A",
     KubectlCommand("get", "pods", all_namespaces=True, selector="app in (frontend, cart),!canary")),
    ("kubectl get secrets -o wide -n boutique", KubectlCommand("get", "secrets", namespace="boutique", output="wide")),
    ("kubectl get secret mongodb-admin -o name", KubectlCommand("get", "secret", "mongodb-admin", output="name")),
    ("kubectl get events -n boutique --field-selector involvedObject.name=frontend-abc,type=Warning",
     KubectlCommand("get", "events", namespace="boutique",
                    field_selector="involvedObject.name=frontend-abc,type=Warning")),
    ("kubectl -n boutique get pods,svc -o yaml",
     KubectlCommand("get", "pods,svc", namespace="boutique", output="yaml")),
    ("get pods -ojson -nboutique", KubectlCommand("get", "pods", namespace="boutique", output="json")),
    ("kubectl describe pod frontend-d65mpj2pqq-rcq5x -n boutique",
     KubectlCommand("describe", "pod", "frontend-d65mpj2pqq-rcq5x", namespace="boutique")),
    ("kubectl describe node/worker-01", KubectlCommand("describe", "node", "worker-01")),
    ("kubectl logs frontend-d65mpj2pqq-rcq5x -n boutique",
     KubectlCommand("logs", "", "frontend-d65mpj2pqq-rcq5x", namespace="boutique", tail=100)),
    ("kubectl logs deploy/frontend -c server --tail=20 --since=1h30m -p -n boutique",
     KubectlCommand("logs", "deploy", "frontend", namespace="boutique", container="server", tail=20,
                    since_seconds=5400, previous=True)),
    ("kubectl logs frontend-abc server --previous=true --since 45s -n boutique",
     KubectlCommand("logs", "", "frontend-abc", namespace="boutique", container="server", tail=100,
                    since_seconds=45, previous=True)),
    ("kubectl top pods -n boutique -l app=frontend",
     KubectlCommand("top", "pods", namespace="boutique", selector="app=frontend")),
    ("kubectl top node worker-01", KubectlCommand("top", "node", "worker-01")),
    ("kubectl events -n boutique --for pod/frontend-abc --types=Warning",
     KubectlCommand("events", "pod", "frontend-abc", namespace="boutique", types=("Warning",))),
    ("kubectl explain pods.spec.containers --recursive",
     KubectlCommand("explain", "pods.spec.containers", recursive=True)),
    ("kubectl api-resources --namespaced=true -o wide",
     KubectlCommand("api-resources", output="wide", namespaced=True)),
    ("kubectl version --client -o json", KubectlCommand("version", output="json", client=True)),
]


@pytest.mark.parametrize(("command", "expected"), ACCEPTED)
def test_a_read_only_command_is_parsed_into_its_fields(command: str, expected: KubectlCommand) -> None:
    assert parse_kubectl(command) == expected


def test_the_argv_is_rebuilt_from_the_fields_in_long_form() -> None:
    command = parse_kubectl("kubectl logs deploy/frontend -c server --tail=20 --since=1h30m -p -n boutique")
    assert command.argv == ("logs", "deploy/frontend", "--namespace=boutique", "--container=server", "--tail=20",
                            "--since=5400s", "--previous")
    assert parse_kubectl("kubectl events --for pod/x --types Warning -A").argv == (
        "events", "--for=pod/x", "--all-namespaces", "--types=Warning")
    assert parse_kubectl("api-resources --namespaced=false").argv == ("api-resources", "--namespaced=false")


TOKENS = ["kubectl", "get", "describe", "logs", "top", "events", "explain", "api-resources", "version", "exec",
          "pods", "pod/x", "deploy/y", "secret", "secrets", "node", "-n", "boutique", "-A", "-o", "yaml", "wide",
          "-l", "app=x", "-c", "--tail", "5", "--since", "5m", "-p", "--for", "--types", "Warning", "--client",
          "--recursive", "--namespaced=true", "-oyaml", "--", "-", "=", "'", '"', "\\", "-w", "-f", "--show-labels",
          "--field-selector", "type=Warning", "--kubeconfig"]
command_lines = st.one_of(
    st.text(),
    st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=4)), max_size=10).map(" ".join),
)


@settings(max_examples=500, deadline=None)
@given(command_lines)
def test_parsing_any_text_either_succeeds_or_refuses(line: str) -> None:
    try:
        command = parse_kubectl(line)
    except KubectlRefused:
        return
    assert parse_kubectl(shlex.join(command.argv)) == command


# -- answering from a cluster reader ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cluster() -> SimCluster:
    return SimCluster("online-boutique", seed=0, warmup_ticks=6)


@pytest.fixture(scope="module")
def frontend_pod(cluster: SimCluster) -> str:
    return next(row.split()[0] for row in cluster.get_resources("pods").splitlines() if row.startswith("frontend-"))


def test_get_pods_prints_the_readers_table(cluster: SimCluster) -> None:
    assert run_kubectl("kubectl get pods", cluster) == cluster.get_resources("pods")
    assert run_kubectl("kubectl get pods -n boutique -o wide --show-labels", cluster) == cluster.get_resources(
        "pods", namespace="boutique", wide=True, show_labels=True)
    assert run_kubectl("kubectl get pods -l app=frontend", cluster) == cluster.get_resources(
        "pods", label_selector="app=frontend")


def test_describe_prints_the_readers_description(cluster: SimCluster, frontend_pod: str) -> None:
    assert run_kubectl(f"kubectl describe pod {frontend_pod} -n boutique", cluster) == cluster.describe(
        "pod", frontend_pod, "boutique")
    assert run_kubectl("kubectl describe deploy/frontend", cluster) == cluster.describe("deploy", "frontend")


def test_logs_print_the_readers_lines(cluster: SimCluster, frontend_pod: str) -> None:
    assert run_kubectl(f"kubectl logs {frontend_pod} -n boutique --tail=5", cluster) == cluster.logs(
        frontend_pod, "boutique", tail=5)
    assert run_kubectl("kubectl logs deploy/frontend -n boutique --since=1m", cluster) == cluster.logs(
        "frontend", "boutique", tail=100, since_seconds=60)


def test_events_print_the_readers_events(cluster: SimCluster, frontend_pod: str) -> None:
    assert run_kubectl("kubectl events -n boutique", cluster) == cluster.events("boutique")
    assert run_kubectl("kubectl get events", cluster) == cluster.get_resources("events")
    assert run_kubectl(f"kubectl events --for pod/{frontend_pod} --types=Warning", cluster) == cluster.events(
        object_name=frontend_pod, warnings_only=True)
    assert run_kubectl(f"kubectl get events --field-selector involvedObject.name={frontend_pod}",
                       cluster) == cluster.events(object_name=frontend_pod)


def test_a_read_only_view_answers_like_the_cluster(cluster: SimCluster) -> None:
    assert run_kubectl("kubectl get deploy -o wide", ReadOnlyView(cluster)) == cluster.get_resources(
        "deploy", wide=True)


def test_the_readers_own_errors_come_through(cluster: SimCluster) -> None:
    with pytest.raises(NotFoundError, match='pods "nope" not found'):
        run_kubectl("kubectl get pods nope", cluster)


@pytest.mark.parametrize(("command", "what"), [
    ("kubectl top pods", "kubectl top"),
    ("kubectl explain pods.spec", "kubectl explain"),
    ("kubectl api-resources", "kubectl api-resources"),
    ("kubectl version", "kubectl version"),
    ("kubectl get pods -A", "--all-namespaces"),
    ("kubectl get pods -o yaml", "-o yaml"),
    ("kubectl get pods,svc", "getting several resource types"),
    ("kubectl describe pods", "describe without an object name"),
    ("kubectl logs deploy/frontend", "kubectl logs without -n"),
    ("kubectl events --types=Normal", "--types=Normal"),
    ("kubectl get pods --field-selector status.phase=Running", "--field-selector"),
])
def test_what_the_reader_cannot_answer_is_refused_with_the_way_to_ask(cluster: SimCluster, command: str,
                                                                      what: str) -> None:
    with pytest.raises(KubectlRefused) as refusal:
        run_kubectl(command, cluster)
    assert str(refusal.value).startswith(f"{what}")
    assert "is not supported by this cluster backend; " in str(refusal.value)


def test_what_the_reader_returns_is_redacted() -> None:
    class LeakyReader:
        def logs(self, target: str, namespace: str, **_: Any) -> str:
            return f"{target} started with DB_PASSWORD=hunter22"

    leaked = run_kubectl("kubectl logs app-1 -n shop", LeakyReader())  # type: ignore[arg-type]
    assert leaked == f"app-1 started with DB_PASSWORD={MARKER}"


# -- the real binary ------------------------------------------------------------------------------------------------
def _fake_kubectl(directory: Path, body: str) -> None:
    script = directory / "kubectl"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def fake_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PATH", str(tmp_path))
    return tmp_path


def test_the_live_runner_passes_the_validated_argv_without_a_shell(fake_path: Path) -> None:
    _fake_kubectl(fake_path, 'for arg in "$@"; do printf "%s\\n" "$arg"; done')
    command = parse_kubectl("kubectl get pods -n boutique -l 'app in (a, b),!canary'")
    output = run_kubectl_live(command, "/etc/kube/config", "prod", 7)
    assert output.splitlines() == ["--kubeconfig=/etc/kube/config", "--context=prod", "--request-timeout=7s", "get",
                                   "pods", "--namespace=boutique", "--selector=app in (a, b),!canary"]


def test_the_live_runner_leaves_kubeconfig_and_context_to_kubectl_when_not_given(fake_path: Path) -> None:
    _fake_kubectl(fake_path, 'for arg in "$@"; do printf "%s\\n" "$arg"; done')
    output = run_kubectl_live(parse_kubectl("logs web-1 -n shop"), None, None, 2.5)
    assert output.splitlines() == ["--request-timeout=2500ms", "logs", "web-1", "--namespace=shop", "--tail=100"]


def test_the_live_runner_redacts_what_kubectl_prints(fake_path: Path) -> None:
    _fake_kubectl(fake_path, "echo 'DB_PASSWORD=hunter22'")
    assert run_kubectl_live(parse_kubectl("get pods"), None, None, 5) == f"DB_PASSWORD={MARKER}\n"


@pytest.mark.parametrize(("stderr", "error"), [
    ('Error from server (NotFound): pods "x" not found', NotFoundError),
    ('Error from server (Forbidden): pods is forbidden: User "u" cannot list', ForbiddenError),
    ("error: You must be logged in to the server (Unauthorized)", ClusterError),
])
def test_a_failing_kubectl_raises_the_matching_cluster_error(fake_path: Path, stderr: str,
                                                             error: type[ClusterError]) -> None:
    _fake_kubectl(fake_path, f"echo '{stderr}' >&2; exit 1")
    with pytest.raises(error) as raised:
        run_kubectl_live(parse_kubectl("get pods x"), None, None, 5)
    assert type(raised.value) is error
    assert str(raised.value) == stderr


def test_a_missing_kubectl_is_reported(fake_path: Path) -> None:
    with pytest.raises(ClusterError, match="kubectl is not on PATH"):
        run_kubectl_live(parse_kubectl("get pods"), None, None, 5)


def test_a_non_positive_timeout_is_rejected(fake_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="timeout_s must be positive"):
        run_kubectl_live(parse_kubectl("get pods"), None, None, 0)
