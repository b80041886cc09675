"""``kubectl get`` tables: columns, alignment, status strings, restarts, ages, wide/labels/namespace variants."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from render_factories import (
    NOW,
    ago,
    container_status,
    make_deployment,
    make_endpoints,
    make_event,
    make_node,
    make_pod,
    make_service,
    terminated,
    waiting,
)

from aoi.cluster.render import DictSource, parse_kubectl_table, render_table, table_headers

SOURCE = DictSource([])


def table(resource_type: str, objects: list[dict[str, Any]], **flags: Any) -> str:
    return render_table(resource_type, objects, now=NOW, source=SOURCE, **flags)


def test_a_running_pod_renders_the_kubectl_header_and_row_with_three_space_gutters() -> None:
    out = table("pods", [make_pod("web-7d4b9c8f6-x2x9z", age=125)])
    assert out == (
        "NAME                  READY   STATUS    RESTARTS   AGE\n"
        "web-7d4b9c8f6-x2x9z   1/1     Running   0          2m5s\n"
    )


def test_a_crashlooping_pod_shows_its_restarts_with_the_time_since_the_last_one() -> None:
    status = container_status(state=waiting("CrashLoopBackOff"), ready=False, restarts=3, last_finished_ago=45)
    out = table("po", [make_pod("api-5f6d7-abcde", statuses=[status], age=600)])
    assert out.splitlines()[1] == "api-5f6d7-abcde   0/1     CrashLoopBackOff   3 (45s ago)   10m"


def _pod_with(state: dict[str, Any], phase: str = "Running", **kwargs: Any) -> dict[str, Any]:
    return make_pod("p-1", phase=phase, statuses=[container_status(state=state, ready=False)], **kwargs)


@pytest.mark.parametrize(
    ("pod", "expected"),
    [
        (_pod_with(waiting("ImagePullBackOff"), "Pending"), "ImagePullBackOff"),
        (_pod_with(waiting("ErrImagePull"), "Pending"), "ErrImagePull"),
        (_pod_with(waiting("CreateContainerConfigError"), "Pending"), "CreateContainerConfigError"),
        (_pod_with(waiting("ContainerCreating"), "Pending"), "ContainerCreating"),
        (_pod_with(terminated("OOMKilled", 137)), "OOMKilled"),
        (_pod_with(terminated("Error", 1), "Failed"), "Error"),
        (_pod_with(terminated("Completed", 0), "Succeeded"), "Completed"),
        (_pod_with(terminated("", 137)), "ExitCode:137"),
        (_pod_with(terminated("", 0, signal=9)), "Signal:9"),
        (make_pod("p-1", phase="Pending", statuses=[], node=None, ip=None), "Pending"),
    ],
)
def test_the_status_column_follows_the_container_state_like_kubectl(pod: dict[str, Any], expected: str) -> None:
    _, rows = parse_kubectl_table(table("pods", [pod]))
    assert rows[0][2] == expected


def test_a_pod_being_deleted_is_terminating_unless_its_node_was_lost() -> None:
    pod = make_pod("p-1")
    pod["metadata"]["deletionTimestamp"] = ago(5)
    assert parse_kubectl_table(table("pods", [pod]))[1][0][2] == "Terminating"
    pod["status"]["reason"] = "NodeLost"
    assert parse_kubectl_table(table("pods", [pod]))[1][0][2] == "Unknown"


def test_an_evicted_pod_shows_the_pod_level_reason() -> None:
    pod = make_pod("p-1", phase="Failed", statuses=[])
    pod["status"]["reason"] = "Evicted"
    assert parse_kubectl_table(table("pods", [pod]))[1][0][1:3] == ["0/1", "Evicted"]


def _with_init(init_state: dict[str, Any]) -> dict[str, Any]:
    pod = make_pod("p-1", phase="Pending", statuses=[container_status(state=waiting("PodInitializing"), ready=False)])
    pod["spec"]["initContainers"] = [{"name": "init-db", "image": "busybox"}]
    pod["status"]["initContainerStatuses"] = [container_status("init-db", state=init_state, ready=False, restarts=2)]
    pod["status"]["conditions"][0]["status"] = "False"
    return pod


@pytest.mark.parametrize(
    ("init_state", "expected"),
    [
        ({"running": {"startedAt": ago(10)}}, "Init:0/1"),
        (waiting("CrashLoopBackOff"), "Init:CrashLoopBackOff"),
        (terminated("Error", 1), "Init:Error"),
        (terminated("", 2), "Init:ExitCode:2"),
    ],
)
def test_an_initializing_pod_reports_its_init_container_progress(init_state: dict[str, Any], expected: str) -> None:
    _, rows = parse_kubectl_table(table("pods", [_with_init(init_state)]))
    assert rows[0][1:4] == ["0/1", expected, "2"]


def test_a_completed_sidecar_next_to_a_running_container_is_running_only_when_the_pod_is_ready() -> None:
    statuses = [container_status("main"), container_status("job", state=terminated("Completed", 0), ready=False)]
    ready = make_pod("p-1", statuses=statuses, ready_condition=True)
    not_ready = make_pod("p-2", statuses=copy.deepcopy(statuses), ready_condition=False)
    _, rows = parse_kubectl_table(table("pods", [ready, not_ready]))
    assert [r[1:3] for r in rows] == [["1/2", "Running"], ["1/2", "NotReady"]]


def test_wide_pods_add_ip_node_nominated_node_and_readiness_gates() -> None:
    scheduled = make_pod("a-1", ip="10.244.1.7", age=30)
    scheduled["spec"]["readinessGates"] = [{"conditionType": "Ready"}, {"conditionType": "example.com/gate"}]
    pending = make_pod("b-1", phase="Pending", statuses=[], node=None, ip=None, age=30)
    out = table("pods", [pending, scheduled], wide=True)
    assert out == (
        "NAME   READY   STATUS    RESTARTS   AGE   IP           NODE        NOMINATED NODE   READINESS GATES\n"
        "a-1    1/1     Running   0          30s   10.244.1.7   worker-01   <none>           1/2\n"
        "b-1    0/1     Pending   0          30s   <none>       <none>      <none>           <none>\n"
    )


def test_show_labels_appends_sorted_labels_and_all_namespaces_prepends_the_namespace() -> None:
    pod = make_pod("a-1", labels={"tier": "web", "app": "shop"}, age=30)
    other = make_pod("a-1", namespace="default", labels={}, age=30)
    out = table("pods", [pod, other], show_labels=True, all_namespaces=True)
    assert out == (
        "NAMESPACE   NAME   READY   STATUS    RESTARTS   AGE   LABELS\n"
        "boutique    a-1    1/1     Running   0          30s   app=shop,tier=web\n"
        "default     a-1    1/1     Running   0          30s   <none>\n"
    )


@pytest.mark.parametrize("alias", ["pods", "pod", "po", "Pods", "POD"])
def test_resource_aliases_and_singulars_render_the_same_table(alias: str) -> None:
    assert table(alias, [make_pod()]) == table("pods", [make_pod()])


def test_an_unknown_resource_type_is_rejected_like_the_server_does() -> None:
    with pytest.raises(ValueError, match='resource type "widgets"'):
        table("widgets", [])


def test_empty_lists_print_kubectls_no_resources_found_message() -> None:
    assert table("pods", [], namespace="boutique") == "No resources found in boutique namespace.\n"
    assert table("deploy", []) == "No resources found in default namespace.\n"
    assert table("pods", [], all_namespaces=True) == "No resources found\n"
    assert table("nodes", []) == "No resources found\n"
    assert table("pv", [], namespace="boutique") == "No resources found\n"


def test_events_are_listed_in_api_order_with_kind_slash_name_objects() -> None:
    pod = make_pod("web-1")
    late = make_event(pod, "BackOff", "Back-off restarting failed container", type_="Warning", count=5,
                      first_ago=300, last_ago=20, name="web-1.0002")  # fmt: skip
    early = make_event(pod, "Scheduled", "Successfully assigned boutique/web-1 to worker-01", first_ago=400,
                       component="default-scheduler", name="web-1.0001")  # fmt: skip
    out = table("events", [late, early])
    assert out == (
        "LAST SEEN   TYPE      REASON      OBJECT      MESSAGE\n"
        "6m40s       Normal    Scheduled   pod/web-1   Successfully assigned boutique/web-1 to worker-01\n"
        "20s         Warning   BackOff     pod/web-1   Back-off restarting failed container\n"
    )


def test_events_can_be_sorted_by_last_timestamp_like_sort_by() -> None:
    node = make_node("worker-02")
    first = make_event(node, "NodeNotReady", "Node worker-02 status is now: NodeNotReady", first_ago=50, name="a")
    second = make_event(node, "Rebooted", "Node worker-02 has been rebooted", first_ago=90, name="b")
    _, rows = parse_kubectl_table(table("ev", [first, second], sort_by=".lastTimestamp"))
    assert [r[2] for r in rows] == ["Rebooted", "NodeNotReady"]
    assert rows[0][3] == "node/worker-02"


def test_nodes_show_readiness_cordoning_roles_and_wide_system_info() -> None:
    nodes = [make_node("master", role="master", unschedulable=True), make_node("worker-01", ready=False)]
    out = table("no", nodes, wide=True)
    assert out.splitlines() == [
        "NAME        STATUS                     ROLES    AGE   VERSION   INTERNAL-IP    EXTERNAL-IP   "
        "OS-IMAGE             KERNEL-VERSION       CONTAINER-RUNTIME",
        "master      Ready,SchedulingDisabled   master   30d   v1.31.2   192.168.0.11   <none>        "
        "Ubuntu 22.04.5 LTS   5.15.0-138-generic   containerd://1.7.23",
        "worker-01   NotReady                   node     30d   v1.31.2   192.168.0.11   <none>        "
        "Ubuntu 22.04.5 LTS   5.15.0-138-generic   containerd://1.7.23",
    ]


def test_services_show_cluster_ip_ports_with_node_ports_and_the_wide_selector() -> None:
    out = table("svc", [make_service("web", node_port=30080), make_service("api", port=9555, target=9555)], wide=True)
    assert out == (
        "NAME   TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)        AGE   SELECTOR\n"
        "api    ClusterIP   10.96.0.10   <none>        9555/TCP       10m   app=api\n"
        "web    NodePort    10.96.0.10   <none>        80:30080/TCP   10m   app=web\n"
    )


def test_a_load_balancer_without_an_address_is_pending() -> None:
    svc = make_service("lb")
    svc["spec"]["type"] = "LoadBalancer"
    assert parse_kubectl_table(table("svc", [svc]))[1][0][3] == "<pending>"


def test_endpoints_list_ready_addresses_only_and_summarise_beyond_three() -> None:
    eps = [
        make_endpoints("a", ready=["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]),
        make_endpoints("b", not_ready=["10.0.0.9"]),
        make_endpoints("c"),
    ]
    _, rows = parse_kubectl_table(table("ep", eps))
    assert [r[1] for r in rows] == ["10.0.0.1:8080,10.0.0.2:8080,10.0.0.3:8080 + 1 more...", "", "<none>"]


def test_deployments_wide_list_containers_images_and_selector() -> None:
    out = table("deploy", [make_deployment("web", replicas=3, ready=1)], wide=True)
    assert out == (
        "NAME   READY   UP-TO-DATE   AVAILABLE   AGE   CONTAINERS   IMAGES                    SELECTOR\n"
        "web    1/3     3            1           10m   server       registry.example/web:v1   app=web\n"
    )


def test_an_empty_last_cell_leaves_the_trailing_padding_kubectl_prints() -> None:
    quota = {
        "kind": "ResourceQuota",
        "metadata": {"name": "cpu-quota", "namespace": "boutique", "creationTimestamp": ago(112)},
        "status": {"hard": {"requests.cpu": "1", "pods": "10"}, "used": {"requests.cpu": "1500m"}},
    }
    assert table("quota", [quota]) == (
        "NAME        AGE    REQUEST                             LIMIT\n"
        "cpu-quota   112s   pods: 0/10, requests.cpu: 1500m/1   \n"
    )


def test_quantities_are_printed_in_canonical_form() -> None:
    pvc = {
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data", "namespace": "boutique", "creationTimestamp": ago(60)},
        "spec": {"volumeName": "pv-1", "storageClassName": "standard"},
        "status": {
            "phase": "Bound",
            "capacity": {"storage": "1024Mi"},
            "accessModes": ["ReadWriteOnce", "ReadOnlyMany"],
        },
    }
    _, rows = parse_kubectl_table(table("pvc", [pvc]))
    assert rows[0] == ["data", "Bound", "pv-1", "1Gi", "RWO,ROX", "standard", "<unset>", "60s"]


def test_every_supported_resource_type_has_kubectls_header() -> None:
    assert table_headers("secrets") == ["NAME", "TYPE", "DATA", "AGE"]
    assert table_headers("jobs", wide=True) == [
        "NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE", "CONTAINERS", "IMAGES", "SELECTOR",
    ]  # fmt: skip
    assert table_headers("statefulsets") == ["NAME", "READY", "AGE"]
    assert table_headers("ds") == [
        "NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE",
    ]  # fmt: skip
    assert table_headers("ing") == ["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"]
    assert table_headers("netpol") == ["NAME", "POD-SELECTOR", "AGE"]
    assert table_headers("rolebindings", wide=True) == ["NAME", "ROLE", "AGE", "USERS", "GROUPS", "SERVICEACCOUNTS"]
    assert table_headers("ns") == ["NAME", "STATUS", "AGE"]
    assert table_headers("sa", show_labels=True) == ["NAME", "SECRETS", "AGE", "LABELS"]
    assert table_headers("cm", all_namespaces=True) == ["NAMESPACE", "NAME", "DATA", "AGE"]
    assert table_headers("sc", all_namespaces=True)[0] == "NAME"


_STATES = st.sampled_from(
    [
        {"running": {}},
        waiting("CrashLoopBackOff"),
        waiting("ImagePullBackOff"),
        terminated("OOMKilled", 137),
        terminated("Completed", 0),
    ]
)
_NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(_NAMES, _STATES, st.integers(0, 500), st.integers(0, 10**7)), max_size=12, unique_by=lambda t: t[0]
    ),
    st.booleans(),
    st.booleans(),
)
def test_every_row_starts_its_columns_where_the_header_does_and_each_pod_appears_once(
    specs: list[tuple[str, dict[str, Any], int, int]], wide: bool, show_labels: bool
) -> None:
    pods = []
    for name, state, restarts, age in specs:
        status = container_status(state=state, ready="running" in state, restarts=restarts,
                                  last_finished_ago=5 if restarts else None)  # fmt: skip
        pods.append(make_pod(name, statuses=[status], age=age))
    out = table("pods", pods, wide=wide, show_labels=show_labels)
    if not pods:
        assert out == "No resources found in default namespace.\n"
        return
    lines = out.splitlines()
    headers, rows = parse_kubectl_table(out)
    starts = [lines[0].index(h) for h in headers]
    for line in lines[1:]:
        for start in starts[1:]:
            assert line[start - 1] == " " and line[start] != " "
    assert sorted(r[0] for r in rows) == sorted(name for name, *_ in specs)
