"""A live cluster as one object (reader + writer over the same API connection), opened from a `kube:` spec and the
AOI config file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aoi.cluster.kube.api import KubeApi
from aoi.cluster.kube.config import AoiConfig, load_config
from aoi.cluster.kube.reader import KubeReader, Telemetry
from aoi.cluster.kube.writer import KubeWriter
from aoi.cluster.telemetry.jaeger import JaegerClient
from aoi.cluster.telemetry.loki import LokiClient
from aoi.cluster.telemetry.prometheus import PrometheusClient


@dataclass(frozen=True, slots=True)
class KubeSpec:
    """`kube:CONTEXT[/NAMESPACE][?kubeconfig=PATH&config=PATH]`: an empty context means the kubeconfig's current
    one, an empty namespace the context's (or the config file's)."""

    context: str | None = None
    namespace: str | None = None
    kubeconfig: str | None = None
    config: str | None = None


class KubeCluster(KubeReader, KubeWriter):
    """`ClusterReader` + `ClusterWriter` of a live cluster. Code that must not write gets a `ReadOnlyView` of it."""

    def __init__(self, api: KubeApi, telemetry: Telemetry | None = None) -> None:
        KubeReader.__init__(self, api, telemetry)

    @property
    def services_list(self) -> list[str]:
        return self.services(self.namespace)


def telemetry_from(config: AoiConfig, config_path: Path | None) -> Telemetry:
    prom, jaeger, loki = config.prometheus, config.jaeger, config.loki
    return Telemetry(
        prometheus=PrometheusClient(prom.url, preset=prom.preset, queries=prom.queries, pod_queries=prom.pod_queries,
                                    timeout_s=prom.timeout_s) if prom else None,
        jaeger=JaegerClient(jaeger.url, timeout_s=jaeger.timeout_s) if jaeger else None,
        loki=LokiClient(loki.url, timeout_s=loki.timeout_s) if loki else None,
        config_hint=str(config_path) if config_path else "$AOI_HOME/config.yaml (or --config / $AOI_CONFIG)")


def open_kube(spec: KubeSpec) -> KubeCluster:
    """Connect to the spec's context with the config file's telemetry. Nothing is requested yet.

    Raises:
        InvalidArgumentError: a bad config file, a missing kubeconfig or an unknown context.
    """
    config, path = load_config(spec.config)
    api = KubeApi.from_kubeconfig(spec.kubeconfig or config.kube.kubeconfig, spec.context or config.kube.context,
                                  namespace=spec.namespace or config.kube.namespace,
                                  timeout_s=config.kube.request_timeout_s)
    return KubeCluster(api, telemetry_from(config, path))
