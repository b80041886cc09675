"""The live-cluster backend: the Kubernetes API through the official client, plus optional Prometheus, Jaeger and
Loki. `open_kube(KubeSpec(...))` gives a `KubeCluster`; `aoi.cluster.spec.parse_kube_spec` reads `kube:` specs."""

from aoi.cluster.kube.api import KubeApi
from aoi.cluster.kube.cluster import KubeCluster, KubeSpec, open_kube
from aoi.cluster.kube.reader import KubeReader, Telemetry
from aoi.cluster.kube.writer import KubeWriter

__all__ = ["KubeApi", "KubeCluster", "KubeReader", "KubeSpec", "KubeWriter", "Telemetry", "open_kube"]
