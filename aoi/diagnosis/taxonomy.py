"""The root-cause taxonomy as data: one row per cause, every cause an answer may name.

The evaluation's `rca` task scores answers against these names, the expert baseline answers with them, the prompt
lists them, and analyzers propose causes by them (`Candidate.cause`). The 40 Cloud-OpsBench root causes keep their
benchmark codes (its public candidate label set); the other rows cover what AIOpsLab's fault families break that
none of the 40 expresses, and `AIOPSLAB_FAMILIES` says which row each family is an instance of.

Each row carries both benchmarks' labels: `taxonomy` (Cloud-OpsBench's `fault_taxonomy`, derived from `category`)
and `aiopslab` (the `(system_level, fault_type)` of AIOpsLab's analysis task). `mechanism` and `distinguishing`
are written from Kubernetes' own messages (scheduler, kubelet, PV controller, admission) and name the probe read
that shows them, so a prompt can quote them as they are.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal, get_args

Category = Literal["admission", "scheduling", "startup", "runtime", "routing", "performance", "infrastructure"]
"""Where in a workload's life the fault bites: admission (the API server refuses the object), scheduling (the pod
stays Pending), startup (the container never starts), runtime (the container runs but exits, restarts or
misbehaves: app errors, dependencies, health probes), routing (traffic does not reach healthy pods), performance
(it works, slowly), infrastructure (a node, its network or a cluster daemon)."""

ObjectKind = Literal["service", "node", "namespace"]
"""The kind of fault object an answer names (`service/<name>`, `node/<name>`, `namespace/<name>`)."""

CATEGORIES: tuple[Category, ...] = get_args(Category)

_TAXONOMY: dict[Category, str] = {
    "admission": "Admission_Fault", "scheduling": "Scheduling_Fault", "startup": "Startup_Fault",
    "runtime": "Runtime_Fault", "routing": "Service_Routing_Fault", "performance": "Performance_Fault",
    "infrastructure": "Infrastructure_Fault",
}

AIOPSLAB_SYSTEM_LEVELS = ("Hardware", "Operating System", "Virtualization", "Application")
AIOPSLAB_FAULT_TYPES = ("Misconfiguration", "Code Defect", "Authentication Issue", "Network/Storage Issue",
                        "Operation Error", "Dependency Problem")
"""AIOpsLab's analysis-task vocabulary: every row's `aiopslab` pair is drawn from these two."""

_HW, _VIRT, _APP = "Hardware", "Virtualization", "Application"
_MISCONFIG, _DEFECT, _AUTH = "Misconfiguration", "Code Defect", "Authentication Issue"
_NET, _OPERATION, _DEPENDENCY = "Network/Storage Issue", "Operation Error", "Dependency Problem"


def taxonomy_label(category: Category) -> str:
    """Cloud-OpsBench's `fault_taxonomy` label of a category (`routing` → `Service_Routing_Fault`).

    Raises:
        KeyError: `category` is not one of `CATEGORIES`.
    """
    return _TAXONOMY[category]


@dataclass(frozen=True, slots=True)
class RootCause:
    """One root cause: what breaks, how to tell it from its neighbours, and both benchmarks' labels for it."""

    name: str
    """snake_case; the Cloud-OpsBench root-cause code where one exists."""
    category: Category
    object_kind: ObjectKind
    """The kind of fault object an answer names: where the fault sits, not where it shows."""
    mechanism: str
    """One line: what breaks, in Kubernetes terms."""
    distinguishing: str
    """One line: what tells it apart from its nearest neighbours (named), and which read shows it."""
    taxonomy: str
    """Cloud-OpsBench `fault_taxonomy` label, derived from `category`."""
    aiopslab: tuple[str, str]
    """AIOpsLab analysis labels `(system_level, fault_type)`."""


def _cause(name: str, category: Category, object_kind: ObjectKind, aiopslab: tuple[str, str], mechanism: str,
           distinguishing: str) -> RootCause:
    return RootCause(name, category, object_kind, mechanism, distinguishing, taxonomy_label(category), aiopslab)


ROOT_CAUSES: tuple[RootCause, ...] = (
    # -- admission: the API server refuses the object ------------------------------------------------------------
    _cause("namespace_cpu_quota_exceeded", "admission", "namespace", (_VIRT, _MISCONFIG),
           "A ResourceQuota on requests.cpu/limits.cpu is used up: the ReplicaSet's pod create is refused "
           "(exceeded quota), so the workload has no pod.",
           "FailedCreate 'exceeded quota: …, requested: requests.cpu=…' names cpu, unlike "
           "namespace_memory_quota_exceeded; no Pending pod (insufficient_node_cpu); get_events"),
    _cause("namespace_memory_quota_exceeded", "admission", "namespace", (_VIRT, _MISCONFIG),
           "A ResourceQuota on requests.memory/limits.memory is used up: the ReplicaSet's pod create is refused "
           "(exceeded quota), so the workload has no pod.",
           "FailedCreate 'exceeded quota: …, requested: requests.memory=…' names memory, unlike "
           "namespace_cpu_quota_exceeded; no Pending pod (insufficient_node_memory); get_events"),
    _cause("namespace_pod_quota_exceeded", "admission", "namespace", (_VIRT, _MISCONFIG),
           "A ResourceQuota on the pod count is reached: the ReplicaSet's next pod create is refused (exceeded "
           "quota), so the workload is short of pods.",
           "FailedCreate 'exceeded quota: …, requested: pods=1' counts pods, not cpu or memory "
           "(namespace_cpu_quota_exceeded); describe_resource resourcequota shows used = hard"),
    _cause("namespace_service_quota_exceeded", "admission", "namespace", (_VIRT, _MISCONFIG),
           "A services ResourceQuota is reached: re-creating the Service is refused (403, no event), so callers "
           "cannot resolve its name while its pods stay healthy.",
           "the Service is absent from get_resources services and the quota's used = hard; pods run Ready, "
           "unlike service_selector_mismatch where the Service exists with no endpoints"),
    _cause("namespace_storage_quota_exceeded", "admission", "namespace", (_VIRT, _MISCONFIG),
           "A requests.storage ResourceQuota is smaller than the claim: creating the PVC is refused, so the pod "
           "that mounts it waits on a claim that does not exist.",
           "FailedScheduling 'persistentvolumeclaim \"<n>\" not found': the PVC is missing, not Pending as in "
           "pvc_capacity_mismatch; describe_resource resourcequota shows requests.storage"),
    _cause("missing_service_account", "admission", "service", (_VIRT, _MISCONFIG),
           "The pod template names a ServiceAccount that does not exist: ServiceAccount admission refuses every "
           "pod, so the ReplicaSet creates none.",
           "FailedCreate 'error looking up service account <ns>/<sa>: serviceaccount \"<sa>\" not found', not "
           "'exceeded quota' (namespace_pod_quota_exceeded); get_events on the ReplicaSet"),
    # -- scheduling: the pod stays Pending ------------------------------------------------------------------------
    _cause("node_cordoned", "scheduling", "service", (_VIRT, _OPERATION),
           "The nodes are cordoned (spec.unschedulable): new pods stay Pending with 'node(s) were unschedulable'; "
           "pods already running stay where they are.",
           "get_resources nodes shows Ready,SchedulingDisabled; 'were unschedulable', not 'untolerated taint' "
           "(taint_toleration_mismatch); node Ready, unlike kubelet_unavailable"),
    _cause("node_affinity_mismatch", "scheduling", "service", (_VIRT, _MISCONFIG),
           "A required node affinity term matches no node's labels: the pod stays Pending with 'node(s) didn't "
           "match Pod's node affinity/selector'.",
           "same scheduler text as node_selector_mismatch: get_app_yaml shows affinity.nodeAffinity "
           "(requiredDuringScheduling…) on labels no node has in get_resources nodes"),
    _cause("node_selector_mismatch", "scheduling", "service", (_VIRT, _MISCONFIG),
           "The pod's nodeSelector names a label no node carries: the pod stays Pending with 'node(s) didn't "
           "match Pod's node affinity/selector'.",
           "get_app_yaml shows spec.nodeSelector, not nodeAffinity (node_affinity_mismatch), on a label absent "
           "from nodes; a hostname that no node has is pod_assigned_to_nonexistent_node"),
    _cause("pod_anti_affinity_conflict", "scheduling", "service", (_VIRT, _MISCONFIG),
           "Required pod anti-affinity against its own pods, with more replicas than eligible nodes: the extra "
           "replicas stay Pending.",
           "FailedScheduling 'didn't match pod anti-affinity rules' while some replicas run, unlike "
           "node_affinity_mismatch where none do; get_events, get_app_yaml podAntiAffinity"),
    _cause("taint_toleration_mismatch", "scheduling", "service", (_VIRT, _MISCONFIG),
           "The nodes carry a NoSchedule taint the pod does not tolerate: it stays Pending with 'node(s) had "
           "untolerated taint {<key>: <value>}'.",
           "the scheduler names a taint, unlike node_cordoned ('were unschedulable'); describe_resource nodes "
           "shows Taints and get_app_yaml has no matching toleration"),
    _cause("insufficient_node_cpu", "scheduling", "service", (_VIRT, _MISCONFIG),
           "The container's CPU request exceeds every node's allocatable CPU minus what is requested: the pod "
           "stays Pending with 'Insufficient cpu'.",
           "FailedScheduling 'Insufficient cpu', not memory (insufficient_node_memory) and no FailedCreate "
           "(namespace_cpu_quota_exceeded); get_app_yaml resources.requests.cpu"),
    _cause("insufficient_node_memory", "scheduling", "service", (_VIRT, _MISCONFIG),
           "The container's memory request exceeds every node's allocatable memory minus what is requested: the "
           "pod stays Pending with 'Insufficient memory'.",
           "FailedScheduling 'Insufficient memory', not cpu (insufficient_node_cpu) and no FailedCreate "
           "(namespace_memory_quota_exceeded); get_app_yaml resources.requests.memory"),
    _cause("pvc_selector_mismatch", "scheduling", "service", (_VIRT, _MISCONFIG),
           "The PVC's spec.selector matches no PersistentVolume's labels: the claim stays Pending and its pod "
           "waits with 'pod has unbound immediate PersistentVolumeClaims'.",
           "describe_resource persistentvolumeclaims shows a selector no PV's labels meet while class, access "
           "mode and size fit (pvc_storage_class_mismatch, pvc_capacity_mismatch)"),
    _cause("pvc_storage_class_mismatch", "scheduling", "service", (_VIRT, _MISCONFIG),
           "The PVC names a StorageClass that does not exist and no PV has: the claim stays Pending and its pod "
           "waits on it.",
           "ProvisioningFailed 'storageclass.storage.k8s.io \"<sc>\" not found' on the PVC, unlike the silent "
           "pvc_selector_mismatch; describe_resource persistentvolumeclaims"),
    _cause("pvc_access_mode_mismatch", "scheduling", "service", (_VIRT, _MISCONFIG),
           "The PVC asks for an access mode (e.g. ReadWriteMany) no PV offers: the claim stays Pending and its "
           "pod waits on it.",
           "get_resources pv vs pvc: ACCESS MODES differ (RWX vs RWO) while class and size fit, unlike "
           "pvc_capacity_mismatch; VolumeMismatch 'incompatible accessMode' if pinned"),
    _cause("pvc_capacity_mismatch", "scheduling", "service", (_VIRT, _MISCONFIG),
           "The PVC requests more storage than any available PV holds: the claim stays Pending and its pod waits "
           "on it.",
           "the PVC's request exceeds every PV's CAPACITY (get_resources pv) while modes and class fit, unlike "
           "pvc_access_mode_mismatch; 'requested PV is too small' if pinned"),
    _cause("pv_binding_occupied", "scheduling", "service", (_VIRT, _OPERATION),
           "The PV the claim needs is already bound to another claim: the claim stays Pending and its pod waits "
           "on it.",
           "get_resources pv shows it Bound to a different live CLAIM ('already bound to a different claim'), "
           "unlike pvc_unbindable_after_redeploy where PVs are Released"),
    # -- infrastructure: a node, its network or a cluster daemon --------------------------------------------------
    _cause("node_network_delay", "infrastructure", "node", (_HW, _NET),
           "Traffic control adds delay on a node's network interface: every call into or out of pods on that "
           "node is slow while they stay Ready.",
           "the slow calls share one node (get_resources pods wide), not one workload (pod_network_delay); "
           "latency without errors, unlike node_network_packet_loss; get_traces"),
    _cause("node_network_packet_loss", "infrastructure", "node", (_HW, _NET),
           "Packet loss on a node's network interface: retransmissions slow the calls of pods on that node and "
           "some time out.",
           "timeouts and errors, not only latency (node_network_delay), on pods of one node, unlike "
           "pod_network_packet_loss on one workload; get_traces, get_resources pods wide"),
    _cause("containerd_unavailable", "infrastructure", "node", (_VIRT, _OPERATION),
           "containerd is stopped on a node: the kubelet reports 'container runtime is down', the node turns "
           "Ready=False (KubeletNotReady) and its pods lose readiness.",
           "Ready=False reason KubeletNotReady ('container runtime is down', 'PLEG is not healthy'), not Unknown "
           "(kubelet_unavailable); check_node_service_status containerd"),
    _cause("kubelet_unavailable", "infrastructure", "node", (_VIRT, _OPERATION),
           "The kubelet is stopped on a node: it stops posting status, Ready turns Unknown ('Kubelet stopped "
           "posting node status.') and its pods are evicted after 300 s.",
           "Ready=Unknown reason NodeStatusUnknown, not Ready=False (containerd_unavailable); describe_resource "
           "nodes, check_node_service_status kubelet"),
    _cause("kube_proxy_unavailable", "infrastructure", "node", (_VIRT, _OPERATION),
           "kube-proxy is stopped on a node: its Service rules are no longer kept, so calls from that node's pods "
           "to Services fail or time out.",
           "node and pods Ready, no event; only callers on one node fail, unlike service_selector_mismatch "
           "(Endpoints <none>); check_node_service_status kube-proxy"),
    _cause("kube_scheduler_unavailable", "infrastructure", "node", (_VIRT, _OPERATION),
           "kube-scheduler is down on the control plane: new pods stay Pending with no nodeName, no PodScheduled "
           "condition and no events.",
           "Pending with no FailedScheduling event at all, unlike node_cordoned or insufficient_node_cpu which "
           "always leave one; check_node_service_status kube-scheduler"),
    # -- startup: the container never starts ---------------------------------------------------------------------
    _cause("image_registry_dns_failure", "startup", "service", (_VIRT, _NET),
           "The image's registry host does not resolve: the pull fails with 'dial tcp: lookup <registry> … no "
           "such host' (ErrImagePull, then ImagePullBackOff).",
           "the pull error says 'no such host', not ': not found' (incorrect_image_reference) or 401/403 "
           "(missing_image_pull_secret); describe_resource pods events"),
    _cause("incorrect_image_reference", "startup", "service", (_VIRT, _MISCONFIG),
           "The image's tag or repository is wrong: the registry answers not found and the pod sits in "
           "ErrImagePull/ImagePullBackOff.",
           "the pull error ends ': not found', not 'no such host' (image_registry_dns_failure) or 'authorization "
           "failed' (missing_image_pull_secret); describe_resource pods"),
    _cause("missing_image_pull_secret", "startup", "service", (_VIRT, _AUTH),
           "The image is in a private registry and the pod lists no imagePullSecrets: the pull is denied (401/403, "
           "authorization failed).",
           "the pull error is 401/403 or 'authorization failed', not ': not found' (incorrect_image_reference); "
           "get_app_yaml has no imagePullSecrets though a registry Secret exists"),
    _cause("volume_mount_permission_denied", "startup", "service", (_VIRT, _MISCONFIG),
           "The pod runs as a non-root user without fsGroup: the process cannot open its mounted data directory "
           "and exits (CrashLoopBackOff, 'Permission denied').",
           "get_logs show 'Permission denied' (or a read-only directory) on the data path and get_app_yaml "
           "sets runAsUser without fsGroup; exit reason Error, not OOMKilled (oom_killed)"),
    _cause("container_config_missing", "startup", "service", (_VIRT, _MISCONFIG),
           "The container's env or envFrom names a ConfigMap, Secret or key that does not exist: the kubelet cannot "
           "build its config (CreateContainerConfigError) and never starts it.",
           "describe_resource pods: CreateContainerConfigError, '<kind> \"<name>\" not found'; as a volume it "
           "is FailedMount instead (not volume_mount_permission_denied)"),
    # -- runtime: the container runs but exits, restarts or misbehaves -------------------------------------------
    _cause("oom_killed", "runtime", "service", (_VIRT, _MISCONFIG),
           "The container's memory limit is below what it needs: the kernel OOM-kills it (exit 137, reason "
           "OOMKilled) and it restarts into CrashLoopBackOff.",
           "lastState reason OOMKilled, not Error with 137 (container_killed, or a liveness kill as in "
           "liveness_probe_incorrect_port); describe_resource pods, get_app_yaml limits"),
    _cause("liveness_probe_incorrect_protocol", "runtime", "service", (_VIRT, _MISCONFIG),
           "The liveness probe speaks the wrong protocol (HTTP to a gRPC server or the reverse): every probe "
           "fails, so the kubelet kills and restarts the container.",
           "'Liveness probe failed' with a protocol error (malformed HTTP response, no grpc health service), "
           "not 'connection refused' (liveness_probe_incorrect_port); get_events"),
    _cause("liveness_probe_incorrect_port", "runtime", "service", (_VIRT, _MISCONFIG),
           "The liveness probe targets a port nothing listens on: 'connect: connection refused', and the kubelet "
           "kills and restarts the container.",
           "'Liveness probe failed: … connection refused' plus Killing 'failed liveness probe'; "
           "readiness_probe_incorrect_port never restarts; get_app_yaml probe port vs containerPort"),
    _cause("liveness_probe_incorrect_timing", "runtime", "service", (_VIRT, _MISCONFIG),
           "The liveness probe starts too early or tolerates too little (initialDelaySeconds, failureThreshold): "
           "the container is killed before it finishes starting.",
           "probe port and protocol are right, unlike liveness_probe_incorrect_port; failures only while "
           "starting, then a kill; get_app_yaml probe timing, get_events Unhealthy"),
    _cause("readiness_probe_incorrect_protocol", "runtime", "service", (_VIRT, _MISCONFIG),
           "The readiness probe speaks the wrong protocol: the pod runs but never turns Ready, so the Service has "
           "no ready endpoints for it.",
           "Running 0/1 with 'Readiness probe failed' protocol errors and no restarts, unlike "
           "liveness_probe_incorrect_protocol; get_resources pods, get_events Unhealthy"),
    _cause("readiness_probe_incorrect_port", "runtime", "service", (_VIRT, _MISCONFIG),
           "The readiness probe targets a port nothing listens on: the pod runs but never turns Ready, so the "
           "Service has no ready endpoints for it.",
           "Running 0/1, 'Readiness probe failed: … connection refused', 0 restarts, unlike "
           "liveness_probe_incorrect_port; describe_resource endpoints lists it not ready"),
    # -- routing: traffic does not reach healthy pods ------------------------------------------------------------
    _cause("service_selector_mismatch", "routing", "service", (_VIRT, _MISCONFIG),
           "The Service's selector matches no pod's labels: its Endpoints are empty and callers' connections "
           "fail.",
           "describe_resource services shows 'Endpoints: <none>' while the workload's pods run Ready, unlike "
           "readiness_probe_incorrect_port (not Ready) or workload_scaled_to_zero (no pods)"),
    _cause("service_port_mapping_mismatch", "routing", "service", (_VIRT, _MISCONFIG),
           "The Service's targetPort is not the port the container listens on: endpoints exist and are ready, "
           "but connections to them are refused.",
           "endpoints ready yet callers get 'connection refused'; targetPort ≠ containerPort in get_app_yaml, "
           "unlike service_selector_mismatch (<none>) or wrong_container_binary"),
    _cause("service_protocol_mismatch", "routing", "service", (_VIRT, _MISCONFIG),
           "The Service port's protocol (e.g. UDP) is not the one the server speaks (TCP): callers' connections "
           "fail while the pods stay healthy.",
           "describe_resource services shows the wrong protocol on the port while selector and targetPort fit, "
           "unlike service_selector_mismatch and service_port_mapping_mismatch"),
    _cause("service_env_var_address_mismatch", "routing", "service", (_APP, _MISCONFIG),
           "A workload's environment variable gives a dependency's address wrongly (host, port or namespace): "
           "its calls fail while every pod stays healthy.",
           "the caller's get_logs name an address that does not resolve or answer while the dependency's "
           "Service is fine (service_selector_mismatch); get_app_yaml env of the caller"),
    # -- performance: it works, slowly ---------------------------------------------------------------------------
    _cause("pod_cpu_overload", "performance", "service", (_VIRT, _OPERATION),
           "A CPU-bound process (a stressor or a hot loop) fills the container's CPU limit: it is throttled and "
           "answers slowly.",
           "get_metrics shows CPU pinned at the limit on one workload, latency up without restarts, unlike "
           "pod_network_delay (CPU normal); get_traces"),
    _cause("pod_network_delay", "performance", "service", (_VIRT, _NET),
           "Latency added to one workload's pod network (NetworkChaos delay): every call to or from it is slower "
           "while its pods stay Ready.",
           "slow spans on one workload (get_traces) with normal CPU, unlike pod_cpu_overload; other pods on its "
           "node are fine, unlike node_network_delay"),
    # -- beyond Cloud-OpsBench: AIOpsLab's families ---------------------------------------------------------------
    _cause("datastore_user_role_revoked", "runtime", "service", (_APP, _AUTH),
           "The datastore user its clients log in as lost its role on their database: logins work, queries fail "
           "'not authorized', and the clients crash-loop.",
           "client get_logs say 'not authorized on <db> to execute command', not 'Authentication failed' "
           "(datastore_user_missing); the datastore's own pod is healthy"),
    _cause("datastore_user_missing", "runtime", "service", (_APP, _NET),
           "The datastore user its clients log in as was dropped: their logins fail SASL authentication at "
           "startup and they crash-loop.",
           "client get_logs say 'SASL authentication step: Authentication failed', not 'not authorized' "
           "(datastore_user_role_revoked) or 'connection closed' (datastore_tls_required)"),
    _cause("datastore_tls_required", "runtime", "service", (_APP, _MISCONFIG),
           "The datastore was switched to require TLS, which its clients do not speak: their plain connections "
           "are closed and they crash-loop.",
           "client get_logs say 'No suitable servers found … connection closed calling hello', not an auth error "
           "(datastore_user_missing); get_app_yaml shows --tlsMode requireTLS"),
    _cause("app_build_misconfigured", "runtime", "service", (_APP, _MISCONFIG),
           "The workload's image was swapped for a build whose baked-in config dials its datastore at the wrong "
           "address: it cannot connect and crash-loops.",
           "its own get_logs say 'no reachable servers' while the datastore is healthy and its image differs "
           "from the app's (get_app_yaml), unlike service_env_var_address_mismatch"),
    _cause("wrong_container_binary", "runtime", "service", (_APP, _NET),
           "The container's command starts another service's binary: the pod looks healthy but listens on the "
           "other service's port, so calls to its Service are refused.",
           "get_app_yaml command names another service and get_logs show its startup line, while the Service "
           "is right, unlike service_port_mapping_mismatch"),
    _cause("feature_flag_enabled", "runtime", "service", (_APP, _MISCONFIG),
           "A flagd feature flag (OpenTelemetry demo) is switched on in the flagd-config ConfigMap: the flagged "
           "service fails, slows or floods as the flag is built to.",
           "get_resources configmaps flagd-config shows a flag's defaultVariant on, with no spec change to the "
           "failing service, unlike app_build_misconfigured or pod_cpu_overload"),
    _cause("workload_scaled_to_zero", "routing", "service", (_VIRT, _OPERATION),
           "The Deployment is scaled to 0 replicas: no pod exists, so its Service has no endpoints and callers' "
           "connections fail.",
           "get_resources deployments shows 0/0 with no pods and no FailedCreate, unlike "
           "service_selector_mismatch (pods run) or namespace_pod_quota_exceeded (refused)"),
    _cause("pvc_unbindable_after_redeploy", "scheduling", "namespace", (_VIRT, _OPERATION),
           "The namespace was deleted and redeployed while its retained PVs kept claimRefs to the deleted claims: "
           "the new PVCs stay Pending, and so do their pods.",
           "every PVC of the namespace Pending and PVs Released, claimRef to the old claims (get_resources pv), "
           "unlike pv_binding_occupied (one PV bound to a live claim)"),
    _cause("pod_assigned_to_nonexistent_node", "scheduling", "service", (_VIRT, _DEPENDENCY),
           "The pod's nodeSelector pins kubernetes.io/hostname to a node that does not exist: it stays Pending "
           "with 'node(s) didn't match Pod's node affinity/selector'.",
           "get_app_yaml nodeSelector hostname names no node in get_resources nodes; a label that existing nodes "
           "lack is node_selector_mismatch"),
    _cause("container_killed", "runtime", "service", (_VIRT, _OPERATION),
           "The container was killed from outside (Chaos Mesh container-kill, SIGKILL): the kubelet restarts it "
           "and it recovers.",
           "restart count up, lastState Error exit 137, not OOMKilled (oom_killed) and no 'failed liveness "
           "probe' Killing event (liveness_probe_incorrect_port); describe_resource pods"),
    _cause("pod_failure", "runtime", "service", (_VIRT, _OPERATION),
           "Chaos Mesh pod-failure swaps the container's image for pause: the pod is Running but its process "
           "serves nothing and logs nothing.",
           "describe_resource pods shows the pause image and a PodChaos exists, with the Deployment spec "
           "unchanged, unlike wrong_container_binary or container_killed"),
    _cause("pod_network_packet_loss", "performance", "service", (_VIRT, _NET),
           "Packet loss on one workload's pod network (NetworkChaos loss): connections to it time out while its "
           "pods stay Ready.",
           "timeouts ('i/o timeout', deadline exceeded) to one workload only, unlike node_network_packet_loss "
           "(a node's pods) or pod_network_delay (slow, not failing); get_traces"),
    _cause("application_code_defect", "runtime", "service", (_APP, _DEFECT),
           "The application itself crashes (panic, unhandled exception) with its spec and dependencies intact: "
           "non-zero exit and CrashLoopBackOff.",
           "get_logs of the previous container end in a stack trace with no dependency error; reason Error, not "
           "OOMKilled (oom_killed), and no probe kill (liveness_probe_incorrect_port)"),
)
"""Every root cause an answer may name: the 40 Cloud-OpsBench codes first, then AIOpsLab's extra causes."""

BY_NAME: dict[str, RootCause] = {cause.name: cause for cause in ROOT_CAUSES}

AIOPSLAB_FAMILIES: dict[str, str] = {
    "k8s_target_port-misconfig": "service_port_mapping_mismatch",
    "auth_miss_mongodb": "datastore_tls_required",
    "revoke_auth_mongodb": "datastore_user_role_revoked",
    "user_unregistered_mongodb": "datastore_user_missing",
    "misconfig_app_hotel_res": "app_build_misconfigured",
    "wrong_bin_usage": "wrong_container_binary",
    "scale_pod_zero_social_net": "workload_scaled_to_zero",
    "assign_to_non_existent_node_social_net": "pod_assigned_to_nonexistent_node",
    "redeploy_without_PV": "pvc_unbindable_after_redeploy",
    "container_kill": "container_killed",
    "pod_failure_hotel_res": "pod_failure",
    "pod_kill_hotel_res": "pod_failure",
    "network_loss_hotel_res": "pod_network_packet_loss",
    "network_delay_hotel_res": "pod_network_delay",
    **dict.fromkeys((
        "astronomy_shop_ad_service_failure", "astronomy_shop_ad_service_high_cpu",
        "astronomy_shop_ad_service_manual_gc", "astronomy_shop_cart_service_failure",
        "astronomy_shop_image_slow_load", "astronomy_shop_kafka_queue_problems",
        "astronomy_shop_loadgenerator_flood_homepage", "astronomy_shop_payment_service_failure",
        "astronomy_shop_payment_service_unreachable", "astronomy_shop_product_catalog_service_failure",
        "astronomy_shop_recommendation_service_cache_failure"), "feature_flag_enabled"),
}
"""AIOpsLab fault family → the `ROOT_CAUSES` name it is an instance of. Every family that injects a fault has one;
`noop`, the healthy control, has no cause and so no entry (AIOpsLab's pod_kill is implemented as pod-failure, and
maps as one)."""

_SHOWN = 12
"""At most this many valid names in an unknown-name error."""


def root_cause(name: str) -> RootCause:
    """The row of a root-cause name.

    Raises:
        KeyError: no row has that name; the message lists the closest valid names, then some others.
    """
    try:
        return BY_NAME[name]
    except KeyError:
        close = difflib.get_close_matches(name, BY_NAME, n=5, cutoff=0.5)
        shown = [*close, *(n for n in BY_NAME if n not in close)][:_SHOWN]
        more = f" (+{len(BY_NAME) - len(shown)} more)" if len(BY_NAME) > len(shown) else ""
        raise KeyError(f"unknown root cause {name!r}; valid names: {', '.join(shown)}{more}") from None
