"""``kubectl describe`` pages: layout, alignment, probes, related objects from the source, events."""

from __future__ import annotations

import base64
from datetime import timedelta, timezone
from typing import Any

import pytest
from render_factories import (
    NOW,
    ago,
    container_status,
    make_deployment,
    make_endpoints,
    make_event,
    make_node,
    make_pod,
    make_replicaset,
    make_service,
    waiting,
)

from aoi.cluster.render import DictSource, describe_probe, render_describe


def describe(resource_type: str, obj: dict[str, Any], *related: dict[str, Any]) -> str:
    return render_describe(resource_type, obj, now=NOW, source=DictSource([obj, *related]))


def _crashlooping_pod() -> dict[str, Any]:
    status = container_status(state=waiting("CrashLoopBackOff"), ready=False, restarts=3, last_finished_ago=45)
    pod = make_pod("api-5f6d7-abcde", statuses=[status], age=600)
    pod["spec"]["containers"] = [
        {
            "name": "server",
            "image": "registry.example/server:v1",
            "ports": [{"containerPort": 8080, "protocol": "TCP"}],
            "resources": {"limits": {"cpu": "0.5", "memory": "128Mi"}, "requests": {"cpu": "100m", "memory": "64Mi"}},
            "livenessProbe": {"httpGet": {"path": "/health", "port": 8080, "scheme": "HTTP"}},
            "env": [
                {"name": "PORT", "value": "8080"},
                {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
                {"name": "POD_IP", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}}},
            ],
            "volumeMounts": [{"name": "config", "mountPath": "/etc/app", "readOnly": True}],
        }
    ]
    pod["spec"]["volumes"] = [{"name": "config", "configMap": {"name": "app-config"}}]
    pod["status"]["qosClass"] = "Burstable"
    return pod


def test_a_crashlooping_pod_is_described_line_for_line_like_kubectl() -> None:
    pod = _crashlooping_pod()
    events = [
        make_event(pod, "Scheduled", "Successfully assigned boutique/api-5f6d7-abcde to worker-01", first_ago=600,
                   component="default-scheduler"),
        make_event(pod, "BackOff", "Back-off restarting failed container server", type_="Warning", count=3,
                   first_ago=120, last_ago=15),
    ]  # fmt: skip
    assert describe("pods", pod, *events) == (
        "Name:             api-5f6d7-abcde\n"
        "Namespace:        boutique\n"
        "Service Account:  default\n"
        "Node:             worker-01/192.168.0.11\n"
        "Start Time:       Thu, 01 Jan 2026 00:00:00 +0000\n"
        "Labels:           app=api\n"
        "Annotations:      <none>\n"
        "Status:           Running\n"
        "IP:               10.244.1.7\n"
        "IPs:\n"
        "  IP:           10.244.1.7\n"
        "Controlled By:  ReplicaSet/api-5f6d7\n"
        "Containers:\n"
        "  server:\n"
        "    Container ID:   containerd://0123456789abcdef\n"
        "    Image:          registry.example/server:v1\n"
        "    Image ID:       registry.example/server@sha256:abc\n"
        "    Port:           8080/TCP\n"
        "    Host Port:      0/TCP\n"
        "    State:          Waiting\n"
        "      Reason:       CrashLoopBackOff\n"
        "    Last State:     Terminated\n"
        "      Reason:       Error\n"
        "      Exit Code:    1\n"
        "      Started:      Thu, 01 Jan 2026 00:09:13 +0000\n"
        "      Finished:     Thu, 01 Jan 2026 00:09:15 +0000\n"
        "    Ready:          False\n"
        "    Restart Count:  3\n"
        "    Limits:\n"
        "      cpu:     500m\n"
        "      memory:  128Mi\n"
        "    Requests:\n"
        "      cpu:     100m\n"
        "      memory:  64Mi\n"
        "    Liveness:  http-get http://:8080/health delay=0s timeout=1s period=10s #success=1 #failure=3\n"
        "    Environment:\n"
        "      PORT:         8080\n"
        "      DB_PASSWORD:  <set to the key 'password' in secret 'db'>  Optional: false\n"
        "      POD_IP:       10.244.1.7 (v1:status.podIP)\n"
        "    Mounts:\n"
        "      /etc/app from config (ro)\n"
        "Conditions:\n"
        "  Type           Status\n"
        "  Initialized    True \n"
        "  Ready          False \n"
        "  PodScheduled   True \n"
        "Volumes:\n"
        "  config:\n"
        "    Type:        ConfigMap (a volume populated by a ConfigMap)\n"
        "    Name:        app-config\n"
        "    Optional:    false\n"
        "QoS Class:       Burstable\n"
        "Node-Selectors:  <none>\n"
        "Tolerations:     node.kubernetes.io/not-ready:NoExecute op=Exists for 300s\n"
        "                 node.kubernetes.io/unreachable:NoExecute op=Exists for 300s\n"
        "Events:\n"
        "  Type     Reason     Age               From               Message\n"
        "  ----     ------     ----              ----               -------\n"
        "  Normal   Scheduled  10m               default-scheduler  Successfully assigned boutique/api-5f6d7-abcde"
        " to worker-01\n"
        "  Warning  BackOff    15s (x3 over 2m)  kubelet            Back-off restarting failed container server\n"
    )


def test_pod_events_come_from_the_source_and_read_none_when_there_are_none() -> None:
    pod = make_pod("web-1")
    other = make_pod("web-2")
    stranger = make_event(other, "Pulled", "not about web-1")
    text = describe("po", pod, other, stranger)
    assert text.endswith("Tolerations:     node.kubernetes.io/not-ready:NoExecute op=Exists for 300s\n"
                         "                 node.kubernetes.io/unreachable:NoExecute op=Exists for 300s\n"
                         "Events:          <none>\n")  # fmt: skip
    assert "not about web-1" not in text


def test_describe_prints_times_in_the_zone_of_now() -> None:
    pod = make_pod("web-1", age=0)
    shanghai = NOW.astimezone(timezone(timedelta(hours=8)))
    text = render_describe("pods", pod, now=shanghai, source=DictSource([pod]))
    assert "Start Time:       Thu, 01 Jan 2026 08:10:00 +0800\n" in text


@pytest.mark.parametrize(
    ("probe", "expected"),
    [
        ({"httpGet": {"path": "/health", "port": 8080}, "periodSeconds": 5},
         "http-get http://:8080/health delay=0s timeout=1s period=5s #success=1 #failure=3"),
        ({"httpGet": {"path": "/", "port": "http", "scheme": "HTTPS", "host": "10.0.0.1"}},
         "http-get https://10.0.0.1:http/ delay=0s timeout=1s period=10s #success=1 #failure=3"),
        ({"tcpSocket": {"port": 9555}, "initialDelaySeconds": 15, "failureThreshold": 5},
         "tcp-socket :9555 delay=15s timeout=1s period=10s #success=1 #failure=5"),
        ({"grpc": {"port": 9555}, "initialDelaySeconds": 5, "timeoutSeconds": 2},
         "grpc <pod>:9555  delay=5s timeout=2s period=10s #success=1 #failure=3"),
        ({"exec": {"command": ["cat", "/tmp/healthy"]}},
         "exec [cat /tmp/healthy] delay=0s timeout=1s period=10s #success=1 #failure=3"),
    ],
)  # fmt: skip
def test_probes_are_summarised_in_kubectls_one_line_format(probe: dict[str, Any], expected: str) -> None:
    assert describe_probe(probe) == expected


def test_a_node_lists_its_non_terminated_pods_and_allocated_resources() -> None:
    node = make_node("worker-01", cpu="4", memory="8Gi")
    busy = make_pod("api-1", age=3600)
    busy["spec"]["containers"] = [
        {"name": "a", "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}}},
        {"name": "b", "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}}},
    ]
    idle = make_pod("web-1", age=60)
    done = make_pod("job-1", phase="Succeeded")
    elsewhere = make_pod("db-1")
    elsewhere["spec"]["nodeName"] = "worker-02"
    lines = describe("nodes", node, busy, idle, done, elsewhere).splitlines()
    start = lines.index("Non-terminated Pods:          (2 in total)")
    assert lines[start:] == [
        "Non-terminated Pods:          (2 in total)",
        "  Namespace                   Name     CPU Requests  CPU Limits  Memory Requests  Memory Limits  Age",
        "  ---------                   ----     ------------  ----------  ---------------  -------------  ---",
        "  boutique                    api-1    750m (18%)    0 (0%)      1536Mi (18%)     2Gi (25%)      60m",
        "  boutique                    web-1    0 (0%)        0 (0%)      0 (0%)           0 (0%)         60s",
        "Allocated resources:",
        "  (Total limits may be over 100 percent, i.e., overcommitted.)",
        "  Resource           Requests      Limits",
        "  --------           --------      ------",
        "  cpu                750m (18%)    0 (0%)",
        "  memory             1536Mi (18%)  2Gi (25%)",
        "  ephemeral-storage  0 (0%)        0 (0%)",
        "Events:              <none>",
    ]


def test_a_node_shows_taints_conditions_and_the_lease_renewed_at_the_last_heartbeat() -> None:
    node = make_node("master", role="master", unschedulable=True)
    text = describe("node", node)
    assert "Taints:             node.kubernetes.io/unschedulable:NoSchedule\nUnschedulable:      true\n" in text
    assert "  HolderIdentity:  master\n  AcquireTime:     <unset>\n  RenewTime:       Thu, 01 Jan 2026 00:09:40" in text
    assert (
        "  Type             Status  LastHeartbeatTime                 LastTransitionTime                Reason"
        "                       Message\n"
    ) in text


def test_node_events_show_up_whether_recorded_with_an_empty_or_the_default_namespace() -> None:
    node = make_node("worker-01")
    rebooted = make_event(node, "Rebooted", "Node worker-01 has been rebooted", type_="Warning", first_ago=90)
    not_ready = make_event(node, "NodeNotReady", "Node worker-01 status is now: NodeNotReady", first_ago=30)
    not_ready["involvedObject"]["namespace"] = "default"
    assert describe("nodes", node, rebooted, not_ready).endswith(
        "Events:\n"
        "  Type     Reason        Age   From     Message\n"
        "  ----     ------        ----  ----     -------\n"
        "  Warning  Rebooted      90s   kubelet  Node worker-01 has been rebooted\n"
        "  Normal   NodeNotReady  30s   kubelet  Node worker-01 status is now: NodeNotReady\n"
    )


def test_a_deployment_names_its_new_and_old_replica_sets_from_the_source() -> None:
    deployment = make_deployment("web", replicas=2, ready=1)
    new = make_replicaset(deployment, "6f89c99b76", replicas=2)
    old = make_replicaset(deployment, "5d4c3b2a1", image="registry.example/web:v0", replicas=0)
    scaled = make_event(deployment, "ScalingReplicaSet", "Scaled up replica set web-6f89c99b76 to 2",
                        first_ago=300, component="deployment-controller")  # fmt: skip
    text = describe("deploy", deployment, new, old, scaled)
    assert "Replicas:               2 desired | 2 updated | 2 total | 1 available | 1 unavailable\n" in text
    assert "RollingUpdateStrategy:  25% max unavailable, 25% max surge\n" in text
    assert (
        "OldReplicaSets:  web-5d4c3b2a1 (0/0 replicas created)\n"
        "NewReplicaSet:   web-6f89c99b76 (2/2 replicas created)\n"
    ) in text
    assert text.endswith(
        "Events:\n"
        "  Type    Reason             Age   From                   Message\n"
        "  ----    ------             ----  ----                   -------\n"
        "  Normal  ScalingReplicaSet  5m    deployment-controller  Scaled up replica set web-6f89c99b76 to 2\n"
    )
    assert "  Containers:\n   server:\n    Image:      registry.example/web:v1\n" in text


def test_a_replica_set_counts_the_pods_it_controls_by_phase() -> None:
    deployment = make_deployment("web")
    rs = make_replicaset(deployment, "6f89c99b76")
    running = make_pod("web-6f89c99b76-aaaaa")
    pending = make_pod("web-6f89c99b76-bbbbb", phase="Pending")
    for pod in (running, pending):
        pod["metadata"]["ownerReferences"][0]["uid"] = rs["metadata"]["uid"]
    text = describe("rs", rs, running, pending)
    assert "Controlled By:  Deployment/web\nReplicas:       2 current / 2 desired\n" in text
    assert "Pods Status:    1 Running / 1 Waiting / 0 Succeeded / 0 Failed\n" in text


def test_a_service_lists_its_endpoints_including_not_ready_ones_like_kubectl_132() -> None:
    svc = make_service("web")
    endpoints = make_endpoints("web", ready=["10.244.1.7"], not_ready=["10.244.2.9"])
    assert describe("svc", svc, endpoints) == (
        "Name:                     web\n"
        "Namespace:                boutique\n"
        "Labels:                   app=web\n"
        "Annotations:              <none>\n"
        "Selector:                 app=web\n"
        "Type:                     ClusterIP\n"
        "IP Family Policy:         SingleStack\n"
        "IP Families:              IPv4\n"
        "IP:                       10.96.0.10\n"
        "IPs:                      10.96.0.10\n"
        "Port:                     http  80/TCP\n"
        "TargetPort:               8080/TCP\n"
        "Endpoints:                10.244.1.7:8080,10.244.2.9:8080\n"
        "Session Affinity:         None\n"
        "Internal Traffic Policy:  Cluster\n"
        "Events:                   <none>\n"
    )


def test_a_service_without_endpoints_object_shows_none_and_with_an_empty_one_shows_nothing() -> None:
    svc = make_service("web")
    assert "Endpoints:                <none>\n" in describe("svc", svc)
    assert "Endpoints:                \n" in describe("svc", svc, make_endpoints("web"))


def test_endpoints_describe_splits_ready_and_not_ready_addresses() -> None:
    text = describe("ep", make_endpoints("web", not_ready=["10.244.2.9"]))
    assert text.endswith(
        "Subsets:\n"
        "  Addresses:          <none>\n"
        "  NotReadyAddresses:  10.244.2.9\n"
        "  Ports:\n"
        "    Name  Port  Protocol\n"
        "    ----  ----  --------\n"
        "    http  8080  TCP\n"
        "\n"
        "Events:  <none>\n"
    )


def test_a_secret_shows_data_sizes_and_never_values() -> None:
    secret = {
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": "db", "namespace": "boutique"},
        "data": {
            "password": base64.b64encode(b"hunter2hunter").decode()[:16],
            "user": base64.b64encode(b"admin").decode(),
        },
    }
    text = describe("secret", secret)
    assert text == (
        "Name:         db\n"
        "Namespace:    boutique\n"
        "Labels:       <none>\n"
        "Annotations:  <none>\n"
        "\n"
        "Type:  Opaque\n"
        "\n"
        "Data\n"
        "====\n"
        "password:  12 bytes\n"
        "user:      5 bytes\n"
    )
    assert "hunter2" not in text and "admin" not in text


def test_a_configmap_prints_each_key_and_value_and_its_events() -> None:
    cm = {"kind": "ConfigMap", "metadata": {"name": "app", "namespace": "boutique"}, "data": {"b.conf": "x=1", "a": ""}}
    assert describe("cm", cm) == (
        "Name:         app\nNamespace:    boutique\nLabels:       <none>\nAnnotations:  <none>\n\n"
        "Data\n====\na:\n----\n\n\nb.conf:\n----\nx=1\n\n\nBinaryData\n====\n\nEvents:  <none>\n"
    )


def test_a_pending_claim_names_the_pods_that_use_it() -> None:
    pvc = {
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data", "namespace": "boutique", "finalizers": ["kubernetes.io/pvc-protection"]},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "volumeMode": "Filesystem",
            "resources": {"requests": {"storage": "1Gi"}},
        },
        "status": {"phase": "Pending"},
    }
    user = make_pod("redis-1")
    user["spec"]["volumes"] = [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]
    assert describe("pvc", pvc, user, make_pod("web-1")) == (
        "Name:          data\n"
        "Namespace:     boutique\n"
        "StorageClass:  \n"
        "Status:        Pending\n"
        "Volume:        \n"
        "Labels:        <none>\n"
        "Annotations:   <none>\n"
        "Finalizers:    [kubernetes.io/pvc-protection]\n"
        "Capacity:      \n"
        "Access Modes:  \n"
        "VolumeMode:    Filesystem\n"
        "Used By:       redis-1\n"
        "Events:        <none>\n"
    )


def test_a_service_account_lists_missing_pull_secrets_as_not_found() -> None:
    sa = {"kind": "ServiceAccount", "metadata": {"name": "web", "namespace": "boutique"},
          "imagePullSecrets": [{"name": "regcred"}]}  # fmt: skip
    assert describe("sa", sa) == (
        "Name:                web\n"
        "Namespace:           boutique\n"
        "Labels:              <none>\n"
        "Annotations:         <none>\n"
        "Image pull secrets:  regcred (not found)\n"
        "Mountable secrets:   <none>\n"
        "Tokens:              <none>\n"
        "Events:              <none>\n"
    )


def test_a_quota_shows_used_against_hard_per_resource() -> None:
    quota = {
        "kind": "ResourceQuota",
        "metadata": {"name": "mem", "namespace": "boutique"},
        "status": {"hard": {"requests.memory": "1Gi", "pods": "10"}, "used": {"requests.memory": "512Mi", "pods": "3"}},
    }
    assert describe("quota", quota) == (
        "Name:            mem\n"
        "Namespace:       boutique\n"
        "Resource         Used   Hard\n"
        "--------         ----   ----\n"
        "pods             3      10\n"
        "requests.memory  512Mi  1Gi\n"
    )


def test_a_namespace_summarises_its_quotas_and_limit_ranges() -> None:
    ns = {"kind": "Namespace", "metadata": {"name": "boutique"}, "status": {"phase": "Active"}}
    quota = {"kind": "ResourceQuota", "metadata": {"name": "pods", "namespace": "boutique"},
             "status": {"hard": {"pods": "10"}, "used": {"pods": "4"}}}  # fmt: skip
    assert describe("ns", ns, quota) == (
        "Name:         boutique\n"
        "Labels:       <none>\n"
        "Annotations:  <none>\n"
        "Status:       Active\n"
        "\n"
        "Resource Quotas\n"
        "  Name:     pods\n"
        "  Resource  Used  Hard\n"
        "  --------  ---   ---\n"
        "  pods      4     10\n"
        "\n"
        "No LimitRange resource.\n"
    )


def test_a_storage_class_reports_whether_it_is_the_default() -> None:
    sc = {
        "kind": "StorageClass",
        "metadata": {"name": "fast", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": "rancher.io/local-path",
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "WaitForFirstConsumer",
    }
    assert describe("sc", sc) == (
        "Name:                  fast\n"
        "IsDefaultClass:        Yes\n"
        "Annotations:           storageclass.kubernetes.io/is-default-class=true\n"
        "Provisioner:           rancher.io/local-path\n"
        "Parameters:            <none>\n"
        "AllowVolumeExpansion:  <unset>\n"
        "MountOptions:          <none>\n"
        "ReclaimPolicy:         Delete\n"
        "VolumeBindingMode:     WaitForFirstConsumer\n"
        "Events:                <none>\n"
    )


def test_types_without_a_describer_are_rejected() -> None:
    with pytest.raises(ValueError, match="no describer"):
        render_describe("ingresses", {"kind": "Ingress", "metadata": {"name": "x"}}, now=NOW, source=None)


def test_an_unscheduled_pod_reads_node_none_and_ip_empty() -> None:
    pod = make_pod("web-1", phase="Pending", statuses=[], node=None, ip=None)
    pod["metadata"]["creationTimestamp"] = ago(30)
    text = describe("pods", pod)
    assert "Node:             <none>\n" in text
    assert "IP:               \nIPs:              <none>\n" in text
    assert "    Image ID:" not in text
