"""AIOpsLab's fault families, injected into the simulator the way AIOpsLab's injectors change a real cluster.

Each class changes what the injector changes (a Service's targetPort, a MongoDB user, a Deployment's image,
command, replicas or nodeSelector, a Chaos Mesh experiment, a flagd feature flag, a redeployed namespace) and
nothing else: pods crash, calls fail and telemetry turns red because the simulator's reconciler and traffic
model react to that state. `system_level` / `fault_type` are the labels of the family's analysis task in the
registry (`reference/aiopslab_registry.csv`); families without one carry our choice of AIOpsLab labels, said so
in their docstring. `is_mitigated` implements the registry's mitigation check; detection/localization-only
families count as mitigated once their chaos experiment or flag is gone and every pod is healthy again.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

from aoi.cluster.interface import ClusterWriter
from aoi.cluster.sim.apps.catalog import get_app
from aoi.cluster.sim.apps.manifests import app_objects
from aoi.cluster.sim.clock import rfc3339
from aoi.cluster.sim.controllers import mark_deleted, owned_by
from aoi.cluster.sim.datastores import CLIENT_USER
from aoi.cluster.sim.faults.base import Fault, GroundTruth
from aoi.cluster.sim.faults.predicates import all_pods_healthy, container_spec, deployment_available
from aoi.cluster.sim.flags import FLAG_DEFAULTS, flag_values, set_flag
from aoi.cluster.sim.network import component_of
from aoi.cluster.sim.state import PodChaos, SimState
from aoi.cluster.sim.store import CLUSTER_SCOPED

if TYPE_CHECKING:
    from aoi.cluster.sim.engine import Engine

HOTEL, SOCIAL, ASTRONOMY = "hotel-reservation", "social-network", "astronomy-shop"
MONGO_CLIENT_ROLE = "readWrite"


# -- shared state helpers ----------------------------------------------------------------------------------------
def healthy(state: SimState, namespace: str) -> bool:
    """AIOpsLab's all-pods-healthy check, minus the instant in which a crash-looping container looks ready.

    A process whose start already failed (the kubelet has scheduled its exit) is running and, without a readiness
    probe, ready for that one tick; AIOpsLab's evaluator would see it crash a moment later, so it does not count.
    """
    if not all_pods_healthy(state, namespace):
        return False
    for pod in state.store.list("Pod", namespace):
        if pod["metadata"].get("deletionTimestamp"):
            continue
        for runtime in state.containers.get(pod["metadata"]["uid"], {}).values():
            if runtime.started_tick is not None and runtime.exit_after_tick is not None:
                return False
    return True


def _pods(state: SimState, component: str) -> list[dict[str, Any]]:
    return [p for p in state.store.list("Pod", state.app.namespace)
            if component_of(state, p) == component and not p["metadata"].get("deletionTimestamp")]


def _delete_pods(state: SimState, component: str) -> None:
    """`kubectl delete pod` of a component's pods: the ReplicaSet replaces them."""
    for pod in _pods(state, component):
        mark_deleted(state, pod)


def _restart(state: SimState, name: str) -> None:
    """`kubectl rollout restart deployment/<name>`."""
    dep = state.store.get("Deployment", state.app.namespace, name)
    assert dep is not None, name
    meta = dep["spec"]["template"].setdefault("metadata", {})
    meta.setdefault("annotations", {})["kubectl.kubernetes.io/restartedAt"] = rfc3339(state.clock.now)
    state.store.touch(dep)


def _delete_and_apply(state: SimState, name: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Delete a Deployment (its ReplicaSets and pods go with it) and apply a changed copy of its manifest."""
    store, ns = state.store, state.app.namespace
    dep = store.get("Deployment", ns, name)
    assert dep is not None, name
    for rs in [r for r in store.list("ReplicaSet", ns) if owned_by(r, dep)]:
        for pod in [p for p in store.list("Pod", ns) if owned_by(p, rs)]:
            if pod["spec"].get("nodeName"):
                mark_deleted(state, pod)
            else:
                store.delete("Pod", ns, pod["metadata"]["name"])
        store.delete("ReplicaSet", ns, rs["metadata"]["name"])
    store.delete("Deployment", ns, name)
    manifest = copy.deepcopy(dep)
    manifest.pop("status", None)
    manifest["metadata"] = {k: v for k, v in dep["metadata"].items() if k in ("name", "namespace", "labels")}
    change(manifest["spec"]["template"]["spec"])
    store.create(manifest)


def _mongo_clients(app: str, datastore: str) -> list[tuple[str, str]]:
    """(client service, database) of every service that uses a MongoDB workload."""
    spec = get_app(app)
    return [(c.name, call.database or "admin") for c in spec.components if c.kind in ("service", "frontend")
            for call in c.calls if call.target == datastore]


class AIOpsLabFault(Fault):
    """An AIOpsLab family; `targets` lists the faulty components its registry problems use, per app."""

    targets: ClassVar[dict[str, tuple[str, ...]]] = {}

    @property
    def namespace(self) -> str:
        return get_app(self.app).namespace

    def is_mitigated(self, engine: Engine) -> bool:
        return healthy(engine.state, self.namespace)

    def wrong_mitigation(self, cluster: ClusterWriter, engine: Engine) -> None:
        """Restart the faulty workload: the symptom's home, but a restart keeps the broken spec or state."""
        cluster.rollout_restart("deployment", self.target, self.namespace)


# -- Virtualization-level misconfigurations -----------------------------------------------------------------------
class TargetPortMisconfig(AIOpsLabFault):
    """`kubectl patch service` sets the Service's targetPort to a port nothing listens on."""

    family = "k8s_target_port-misconfig"
    apps = (SOCIAL,)
    default_targets: ClassVar[dict[str, str]] = {SOCIAL: "user-service"}
    targets: ClassVar[dict[str, tuple[str, ...]]] = {SOCIAL: ("user-service", "text-service", "post-storage-service")}
    system_level, fault_type = "Virtualization", "Misconfiguration"
    description = "K8s Service targetPort misconfig (spec.ports[0].targetPort 9090->9999)"
    good_port, bad_port = 9090, 9999

    def inject(self, engine: Engine) -> None:
        svc = engine.state.store.get("Service", self.namespace, self.target)
        assert svc is not None, self.target
        svc["spec"]["ports"][0]["targetPort"] = self.bad_port
        engine.state.store.touch(svc)

    def is_mitigated(self, engine: Engine) -> bool:
        svc = engine.state.store.get("Service", self.namespace, self.target)
        return bool(svc) and svc["spec"]["ports"][0].get("targetPort") == self.good_port and super().is_mitigated(
            engine)

    def mitigate(self, cluster: ClusterWriter, engine: Engine) -> None:
        cluster.patch("service", self.target, self.namespace,
                      [{"op": "replace", "path": "/spec/ports/0/targetPort", "value": self.good_port}],
                      patch_type="json")


class ScalePodZeroSocialNet(AIOpsLabFault):
    """`kubectl scale deployment --replicas=0`: the Service keeps its name and port but has no endpoints."""

    family = "scale_pod_zero_social_net"
    apps = (SOCIAL,)
    default_targets: ClassVar[dict[str, str]] = {SOCIAL: "user-service"}
    system_level, fault_type = "Virtualization", "Operation Error"
    description = "Deployment scaled to 0 replicas (kubectl scale deployment user-service --replicas=0)"

    def inject(self, engine: Engine) -> None:
        dep = engine.state.store.get("Deployment", self.namespace, self.target)
        assert dep is not None, self.target
        dep["spec"]["replicas"] = 0
        engine.state.store.touch(dep)

    def is_mitigated(self, engine: Engine) -> bool:
        return deployment_available(engine.state, self.namespace, self.target, 1) and super().is_mitigated(engine)

    def mitigate(self, cluster: ClusterWriter, engine: Engine) -> None:
        cluster.scale("deployment", self.target, self.namespace, 1)


class AssignToNonExistentNodeSocialNet(AIOpsLabFault):
    """The Deployment is deleted and re-applied with a nodeSelector for a node that does not exist."""

    family = "assign_to_non_existent_node_social_net"
    apps = (SOCIAL,)
    default_targets: ClassVar[dict[str, str]] = {SOCIAL: "user-service"}
    system_level, fault_type = "Virtualization", "Dependency Problem"
    description = "Pod pinned to non-existent node: nodeSelector kubernetes.io/hostname=extra-node (pod Pending)"
    node_selector: ClassVar[dict[str, str]] = {"kubernetes.io/hostname": "extra-node"}

    def inject(self, engine: Engine) -> None:
        _delete_and_apply(engine.state, self.target,
                          lambda spec: spec.__setitem__("nodeSelector", dict(self.node_selector)))

    def is_mitigated(self, engine: Engine) -> bool:
        exists = any(self.target in p["metadata"]["name"] for p in engine.state.store.list("Pod", self.namespace))
        return exists and super().is_mitigated(engine)

    def mitigate(self, cluster: ClusterWriter, engine: Engine) -> None:
        cluster.patch("deployment", self.target, self.namespace,
                      [{"op": "remove", "path": "/spec/template/spec/nodeSelector"}], patch_type="json")


class RedeployWithoutPV(AIOpsLabFault):
    """The namespace is deleted and the app redeployed, but the retained PersistentVolumes still carry claimRefs
    to the deleted claims: the new claims stay Pending, so the MongoDB pods cannot schedule and every service that
    needs its database at startup crash-loops. No localization task: the whole namespace is the ground truth."""

    family = "redeploy_without_PV"
    apps = (HOTEL,)
    system_level, fault_type = "Virtualization", "Operation Error"
    description = "Namespace deleted and app redeployed without deleting PersistentVolumes (stale PV/PVC binding)"

    def ground_truth(self) -> GroundTruth:
        return GroundTruth((self.namespace,), self.system_level, self.fault_type, f"namespace/{self.namespace}")

    def inject(self, engine: Engine) -> None:
        state, store, ns = engine.state, engine.state.store, self.namespace
        for kind in store.kinds():
            if kind in CLUSTER_SCOPED:
                continue
            for obj in store.list(kind, ns):
                if kind == "Pod":
                    state.containers.pop(obj["metadata"]["uid"], None)
                    state.telemetry.drop_pod(ns, obj["metadata"]["name"])
                store.delete(kind, ns, obj["metadata"]["name"])
        old_ns = store.delete("Namespace", None, ns)
        assert old_ns is not None
        store.create({"kind": "Namespace", "metadata": {"name": ns, "labels": dict(old_ns["metadata"]["labels"])},
                      "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
        service_ip = 200  # a re-created Service gets a new cluster IP
        for obj in app_objects(state.app):
            if obj["kind"] == "PersistentVolume":
                continue  # retained, still bound to the old claims
            if obj["kind"] == "Service":
                service_ip += 1
                obj["spec"]["clusterIP"] = f"{state.app.service_cidr}.{service_ip // 250}.{service_ip % 250}"
                obj["spec"]["clusterIPs"] = [obj["spec"]["clusterIP"]]
            store.create(obj)

    def mitigate(self, cluster: ClusterWriter, engine: Engine) -> None:
        """Clear the stale claimRefs so the volumes bind to the new claims, then restart the services that gave up
        waiting for their databases (their crash-loop back-off would otherwise outlast the check)."""
        store = engine.state.store
        for pv in store.list("PersistentVolume"):
            if (pv["spec"].get("claimRef") or {}).get("namespace") == self.namespace:
                cluster.patch("persistentvolume", pv["metadata"]["name"], None, {"spec": {"claimRef": None}})
        for comp in get_app(self.app).components:
            if any(call.at_startup for call in comp.calls):
                cluster.rollout_restart("deployment", comp.name, self.namespace)

    def wrong_mitigation(self, cluster: ClusterWriter, engine: Engine) -> None:
        """Restart the databases: their new pods wait for the same unbindable claims."""
        for comp in get_app(self.app).components:
            if comp.pvc:
                cluster.rollout_restart("deployment", comp.name, self.namespace)


# -- Application-level faults ----------------------------------------------------------------------------------
class AuthMissMongodb(AIOpsLabFault):
    """A helm upgrade switches the MongoDB to `--tlsMode requireTLS`; its client, restarted, cannot connect over
    plain TCP and crash-loops."""

    family = "auth_miss_mongodb"
    apps = (SOCIAL,)
    default_targets: ClassVar[dict[str, str]] = {SOCIAL: "url-shorten-mongodb"}
    system_level, fault_type = "Application", "Misconfiguration"
    description = "MongoDB auth/TLS missing: url-shorten-mongodb switched to tls.mode=requireTLS via helm values"
    tls_args: ClassVar[tuple[str, ...]] = ("--tlsMode", "requireTLS", "--tlsCertificateKeyFile", "/etc/tls/tls.pem")

    def inject(self, engine: Engine) -> None:
        state = engine.state
        dep = state.store.get("Deployment", self.namespace, self.target)
        assert dep is not None, self.target
        container = dep["spec"]["template"]["spec"]["containers"][0]
        container["args"] = [*(container.get("args") or []), *self.tls_args]
        state.store.touch(dep)
        for client, _ in _mongo_clients(self.app, self.target):
            _restart(state, client)

    def mitigate(self, cluster: ClusterWriter, engine: Engine) -> None:
        """Roll the MongoDB back to its plain-TCP revision, then restart the clients out of their back-off."""
        cluster.rollout_undo(self.target, self.namespace)
        for client, _ in _mongo_clients(self.app, self.target):
            cluster.rollout_restart("deployment", client, self.namespace)

    def wrong_mitigation(self, cluster: ClusterWriter, engine: Engine) -> None:
        for client, _ in _mongo_clients(self.app, self.target):
            cluster.rollout_restart("deployment", client, self.namespace)


class RevokeAuthMongodb(AIOpsLabFault):
    """`db.revokeRolesFromUser('admin', [readWrite on <db>])` in the MongoDB, then the client pods are deleted:
    the new ones fail their first query with `not authorized` and crash-loop."""

    family = "revoke_auth_mongodb"
    apps = (HOTEL,)
    default_targets: ClassVar[dict[str, str]] = {HOTEL: "mongodb-geo"}
    targets: ClassVar[dict[str, tuple[str, ...]]] = {HOTEL: ("mongodb-geo", "mongodb-rate")}
    system_level, fault_type = "Application", "Authentication Issue"
    description = "MongoDB revoke auth: db.revokeRolesFromUser('admin',[readWrite on geo-db|rate-db]), clients deleted"

    def ground_truth(self) -> GroundTruth:
        """AIOpsLab's oracle also accepts the client service (`geo` for `mongodb-geo`)."""
        return replace(super().ground_truth(), also_accepted=(self.target.removeprefix("mongodb-"),))

    def inject(self, engine: Engine) -> None:
        user = engine.state.datastores[f"{self.namespace}/{self.target}"].users[CLIENT_USER[0]]
        databases = {db for _, db in _mongo_clients(self.app, self.target)}
        user.roles = [r for r in user.roles if not (r["role"] == MONGO_CLIENT_ROLE and r["db"] in databases)]
        for client, _ in _mongo_clients(self.app, self.target):
            _delete_pods(engine.state, client)

    def mitigate(self, cluster: ClusterWriter, engine: Engine) -> None:
        """Grant the role back, then restart the clients out of their crash-loop back-off."""
        clients = _mongo_clients(self.app, self.target)
        cluster.datastore_admin(self.target, self.namespace, "grant_roles", {
            "user": CLIENT_USER[0], "roles": [{"role": MONGO_CLIENT_ROLE, "db": db} for _, db in clients]})
        for client, _ in clients:
            cluster.rollout_restart("deployment", client, self.namespace)

    def wrong_mitigation(self, cluster: ClusterWriter, engine: Engine) -> None:
        for client, _ in _mongo_clients(self.app, self.target):
            cluster.rollout_restart("deployment", client, self.namespace)


class UserUnregisteredMongodb(AIOpsLabFault):
    """`db.dropUser('admin')` in the MongoDB, then the client pods are deleted: the new ones fail SASL
    authentication at startup and crash-loop."""

    family = "user_unregistered_mongodb"
    apps = (HOTEL,)
    default_targets: ClassVar[dict[str, str]] = {HOTEL: "mongodb-geo"}
    targets: ClassVar[dict[str, tuple[str, ...]]] = {HOTEL: ("mongodb-geo", "mongodb-rate")}
    system_level, fault_type = "Application", "Network/Storage Issue"
    description = "MongoDB user unregistered: db.dropUser('admin') in mongodb-geo|mongodb-rate, clients restarted"

    def ground_truth(self) -> GroundTruth:
        """AIOpsLab's oracle also accepts the client service (`geo` for `mongodb-geo`)."""
        return replace(super().ground_truth(), also_accepted=(self.target.removeprefix("mongodb-"),))

    def inject(self, engine: Engine) -> None:
        del engine.state.datastores[f"{self.namespace}/{self.target}"].users[CLIENT_USER[0]]
        for client, _ in _mongo_clients(self.app, self.target):
            _delete_pods(engine.state, client)

    def mitigate(self, cluster: ClusterWriter, engine: Engine) -> None:
        """Re-create the user the clients log in as (password from the `mongodb-admin` Secret), then restart them."""
        clients = _mongo_clients(self.app, self.target)
        roles = [{"role": MONGO_CLIENT_ROLE, "db": db} for _, db in clients]
        cluster.datastore_admin(self.target, self.namespace, "create_user", {
            "user": CLIENT_USER[0], "password": CLIENT_USER[1],
            "roles": [*roles, {"role": "userAdminAnyDatabase", "db": "admin"}]})
        for client, _ in clients:
            cluster.rollout_restart("deployment", client, self.namespace)

    def wrong_mitigation(self, cluster: ClusterWriter, engine: Engine) -> None:
        for client, _ in _mongo_clients(self.app, self.target):
            cluster.rollout_restart("deployment", client, self.namespace)


class MisconfigAppHotelRes(AIOpsLabFault):
    """The geo Deployment's image is swapped for a build whose baked-in config dials the wrong MongoDB port."""

    family = "misconfig_app_hotel_res"
    apps = (HOTEL,)
    default_targets: ClassVar[dict[str, str]] = {HOTEL: "geo"}
    system_level, fault_type = "Application", "Misconfiguration"
    description = "App misconfig: geo deployment image swapped to buggy image yinfangchen/geo:app3"
    bad_image = "yinfangchen/geo:app3"

    def inject(self, engine: Engine) -> None:
        dep = engine.state.store.get("Deployment", self.namespace, self.target)
        assert dep is not None, self.target
        dep["spec"]["template"]["spec"]["containers"][0]["image"] = self.bad_image
        engine.state.store.touch(dep)

    def mitigate(self, cluster: ClusterWriter, engine: Engine) -> None:
        comp = get_app(self.app).component(self.target)
        cluster.set_image("deployment", self.target, self.namespace, comp.container, comp.image)


class WrongBinUsage(AIOpsLabFault):
    """The profile Deployment is deleted and re-applied with the container command `geo`: the pod runs the geo
    server, which listens on geo's port, so the profile Service's endpoint refuses every connection while the pod
    itself looks healthy."""

    family = "wrong_bin_usage"
    apps = (HOTEL,)
    default_targets: ClassVar[dict[str, str]] = {HOTEL: "profile"}
    system_level, fault_type = "Application", "Network/Storage Issue"
    description = "Wrong binary: profile deployment container command changed from profile to geo"
    wrong_binary = "geo"

    def inject(self, engine: Engine) -> None:
        _delete_and_apply(engine.state, self.target,
                          lambda spec: spec["containers"][0].__setitem__("command", [self.wrong_binary]))

    def is_mitigated(self, engine: Engine) -> bool:
        command = container_spec(engine.state, self.namespace, self.target).get("command") or []
        return any(self.target in part for part in command) and super().is_mitigated(engine)

    def mitigate(self, cluster: ClusterWriter, engine: Engine) -> None:
        cluster.patch("deployment", self.target, self.namespace, [
            {"op": "replace", "path": "/spec/template/spec/containers/0/command", "value": [self.target]}],
            patch_type="json")


# -- Chaos Mesh symptom faults (detection and localization only) ------------------------------------------------
class ChaosFault(AIOpsLabFault):
    """A Chaos Mesh experiment on the target's pods; the fix is deleting the experiment.

    The experiment runs until deleted: AIOpsLab's 100-200 s durations are not modelled, so that the symptom lasts
    as long as the diagnosis does. No analysis task exists for these families; the labels are our choice.
    """

    kind: ClassVar[str]
    action: ClassVar[str]
    value: ClassVar[float] = 0.0
    apps = (HOTEL,)
    default_targets: ClassVar[dict[str, str]] = {HOTEL: "user"}
    system_level = "Virtualization"

    @property
    def experiment(self) -> str:
        return f"{self.action}-{self.target}"

    def inject(self, engine: Engine) -> None:
        engine.state.chaos.append(PodChaos(self.experiment, self.action, self.namespace, self.target, self.value))

    def is_mitigated(self, engine: Engine) -> bool:
        running = any(c.name == self.experiment for c in engine.state.chaos)
        return not running and super().is_mitigated(engine)

    def mitigate(self, cluster: ClusterWriter, engine: Engine) -> None:
        cluster.delete(self.kind, self.experiment, self.namespace)


class ContainerKill(ChaosFault):
    """PodChaos container-kill: the target's container is SIGKILLed once and restarted by the kubelet."""

    family = "container_kill"
    kind, action = "PodChaos", "container-kill"
    default_targets: ClassVar[dict[str, str]] = {HOTEL: "geo"}
    fault_type = "Operation Error"
    description = "Chaos Mesh PodChaos container-kill on container hotel-reserv-geo (mode one, 200s)"


class PodFailureHotelRes(ChaosFault):
    """PodChaos pod-failure: the target's container runs the pause image and serves nothing."""

    family = "pod_failure_hotel_res"
    kind, action = "PodChaos", "pod-failure"
    fault_type = "Operation Error"
    description = "Chaos Mesh PodChaos pod-failure on user (mode one, 100s)"


class PodKillHotelRes(PodFailureHotelRes):
    """AIOpsLab's pod_kill is implemented as pod-failure, and so is this one."""

    family = "pod_kill_hotel_res"
    description = "Chaos Mesh PodChaos (implemented as pod-failure, 100s) on user"


class NetworkLossHotelRes(ChaosFault):
    """NetworkChaos loss 99%: connections to the target time out."""

    family = "network_loss_hotel_res"
    kind, action, value = "NetworkChaos", "network-loss", 0.99
    fault_type = "Network/Storage Issue"
    description = "Chaos Mesh NetworkChaos loss 99% (correlation 100) on user, 200s"


class NetworkDelayHotelRes(ChaosFault):
    """NetworkChaos delay 10 s: every call to the target waits 10 s longer."""

    family = "network_delay_hotel_res"
    kind, action, value = "NetworkChaos", "network-delay", 10_000.0
    fault_type = "Network/Storage Issue"
    description = "Chaos Mesh NetworkChaos delay latency 10s (correlation 100) on user, 200s"


# -- the healthy control ----------------------------------------------------------------------------------------
class Noop(AIOpsLabFault):
    """No fault (AIOpsLab's detection control): nothing is injected and nothing needs fixing."""

    family = "noop"
    apps = (HOTEL, SOCIAL, ASTRONOMY)
    system_level, fault_type = "", ""
    description = "No fault injected (control)"

    def inject(self, engine: Engine) -> None:
        return None

    def ground_truth(self) -> GroundTruth:
        return GroundTruth((), "", "", "")

    def is_mitigated(self, engine: Engine) -> bool:
        return True

    def mitigate(self, cluster: ClusterWriter, engine: Engine) -> None:
        return None

    def wrong_mitigation(self, cluster: ClusterWriter, engine: Engine) -> None:
        return None


# -- AstronomyShop feature flags ---------------------------------------------------------------------------------
class FeatureFlagFault(AIOpsLabFault):
    """An OpenTelemetry-demo flagd flag switched on in the `flagd-config` ConfigMap, then flagd restarted.

    Only `astronomy_shop_kafka_queue_problems` has a task beyond detection and localization (mitigation), and none
    has an analysis task: Application / Misconfiguration is our label for a bad feature-flag setting.
    """

    flag: ClassVar[str]
    flag_value: ClassVar[str] = "on"
    """The flagd variant the flag is switched to (not a fault variant: see `Fault.variants`)."""
    apps = (ASTRONOMY,)
    system_level, fault_type = "Application", "Misconfiguration"
    configmap = "flagd-config"
    flagd = "flagd"

    def inject(self, engine: Engine) -> None:
        cm = engine.state.store.get("ConfigMap", self.namespace, self.configmap)
        assert cm is not None
        set_flag(cm, self.flag, self.flag_value)
        engine.state.store.touch(cm)
        _restart(engine.state, self.flagd)

    def is_mitigated(self, engine: Engine) -> bool:
        value = flag_values(engine.state.store.get("ConfigMap", self.namespace, self.configmap))[self.flag]
        variants, default = FLAG_DEFAULTS[self.flag]
        return value == variants[default] and super().is_mitigated(engine)

    def mitigate(self, cluster: ClusterWriter, engine: Engine) -> None:
        """Set the flag's default variant back to off in the ConfigMap and restart flagd to reload it."""
        cm = copy.deepcopy(engine.state.store.get("ConfigMap", self.namespace, self.configmap))
        assert cm is not None
        set_flag(cm, self.flag, FLAG_DEFAULTS[self.flag][1])
        cluster.patch("configmap", self.configmap, self.namespace, {"data": dict(cm["data"])})
        cluster.rollout_restart("deployment", self.flagd, self.namespace)


class AdServiceFailure(FeatureFlagFault):
    family, flag = "astronomy_shop_ad_service_failure", "adFailure"
    default_targets: ClassVar[dict[str, str]] = {ASTRONOMY: "ad"}
    description = "OTel demo flagd feature flag adFailure=on"


class AdServiceHighCpu(FeatureFlagFault):
    family, flag = "astronomy_shop_ad_service_high_cpu", "adHighCpu"
    default_targets: ClassVar[dict[str, str]] = {ASTRONOMY: "ad"}
    description = "OTel demo flagd feature flag adHighCpu=on"


class AdServiceManualGc(FeatureFlagFault):
    family, flag = "astronomy_shop_ad_service_manual_gc", "adManualGc"
    default_targets: ClassVar[dict[str, str]] = {ASTRONOMY: "ad"}
    description = "OTel demo flagd feature flag adManualGc=on"


class CartServiceFailure(FeatureFlagFault):
    family, flag = "astronomy_shop_cart_service_failure", "cartFailure"
    default_targets: ClassVar[dict[str, str]] = {ASTRONOMY: "cart"}
    description = "OTel demo flagd feature flag cartFailure=on"


class ImageSlowLoad(FeatureFlagFault):
    family, flag, flag_value = "astronomy_shop_image_slow_load", "imageSlowLoad", "10sec"
    default_targets: ClassVar[dict[str, str]] = {ASTRONOMY: "frontend"}
    description = "OTel demo flagd feature flag imageSlowLoad=10sec"


class KafkaQueueProblems(FeatureFlagFault):
    family, flag = "astronomy_shop_kafka_queue_problems", "kafkaQueueProblems"
    default_targets: ClassVar[dict[str, str]] = {ASTRONOMY: "kafka"}
    description = "OTel demo flagd feature flag kafkaQueueProblems=on"


class LoadGeneratorFloodHomepage(FeatureFlagFault):
    family, flag = "astronomy_shop_loadgenerator_flood_homepage", "loadGeneratorFloodHomepage"
    default_targets: ClassVar[dict[str, str]] = {ASTRONOMY: "frontend"}
    description = "OTel demo flagd feature flag loadGeneratorFloodHomepage=on"


class PaymentServiceFailure(FeatureFlagFault):
    family, flag, flag_value = "astronomy_shop_payment_service_failure", "paymentFailure", "100%"
    default_targets: ClassVar[dict[str, str]] = {ASTRONOMY: "payment"}
    description = "OTel demo flagd feature flag paymentFailure=100%"


class PaymentServiceUnreachable(FeatureFlagFault):
    family, flag = "astronomy_shop_payment_service_unreachable", "paymentUnreachable"
    default_targets: ClassVar[dict[str, str]] = {ASTRONOMY: "checkout"}
    description = "OTel demo flagd feature flag paymentUnreachable=on"


class ProductCatalogServiceFailure(FeatureFlagFault):
    family, flag = "astronomy_shop_product_catalog_service_failure", "productCatalogFailure"
    default_targets: ClassVar[dict[str, str]] = {ASTRONOMY: "product-catalog"}
    description = "OTel demo flagd feature flag productCatalogFailure=on"


class RecommendationServiceCacheFailure(FeatureFlagFault):
    family, flag = "astronomy_shop_recommendation_service_cache_failure", "recommendationCacheFailure"
    default_targets: ClassVar[dict[str, str]] = {ASTRONOMY: "recommendation"}
    description = "OTel demo flagd feature flag recommendationCacheFailure=on"


AIOPSLAB_FAULTS: dict[str, type[Fault]] = {cls.family: cls for cls in (
    TargetPortMisconfig, AuthMissMongodb, RevokeAuthMongodb, UserUnregisteredMongodb, MisconfigAppHotelRes,
    ScalePodZeroSocialNet, AssignToNonExistentNodeSocialNet, ContainerKill, PodFailureHotelRes, PodKillHotelRes,
    NetworkLossHotelRes, NetworkDelayHotelRes, Noop, AdServiceFailure, AdServiceHighCpu, AdServiceManualGc,
    CartServiceFailure, ImageSlowLoad, KafkaQueueProblems, LoadGeneratorFloodHomepage, PaymentServiceFailure,
    PaymentServiceUnreachable, ProductCatalogServiceFailure, RecommendationServiceCacheFailure, RedeployWithoutPV,
    WrongBinUsage)}
"""Registry family name → fault class (every AIOpsLab family except the Flower ones)."""


def targets_of(cls: type[Fault], app: str) -> tuple[str, ...]:
    """The faulty components the registry's problems of a family use on an app ('' for target-less families)."""
    listed = getattr(cls, "targets", {}).get(app)
    return listed or (cls.default_targets.get(app, ""),)
