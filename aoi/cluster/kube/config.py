"""The one configuration file for live clusters: which kubeconfig context, and where telemetry lives.

`$AOI_HOME/config.yaml` (or the file given with `--config` / `AOI_CONFIG`), every section optional:

```yaml
kube:
  kubeconfig: ~/.kube/config      # default: $KUBECONFIG, else ~/.kube/config, else in-cluster
  context: kind-aiopslab          # default: the kubeconfig's current context
  namespace: test-hotel-reservation
  request_timeout_s: 10
prometheus:
  url: http://localhost:9090
  preset: kubernetes              # or aoi-sim, for `aoi sim serve`
  queries:                        # optional: override the default PromQL of a metric
    request_rate: sum(rate(istio_requests_total{destination_workload="$service"}[1m]))
jaeger:
  url: http://localhost:16686
loki:
  url: http://localhost:3100
```

The file is a trust boundary (users edit it), so it is validated with pydantic and an error names the bad key.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from aoi.cluster.interface import METRIC_NAMES, InvalidArgumentError
from aoi.store.db import data_dir

CONFIG_ENV = "AOI_CONFIG"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KubeSection(_Section):
    kubeconfig: str | None = None
    context: str | None = None
    namespace: str | None = None
    request_timeout_s: float = Field(default=10.0, gt=0, le=300)


class PrometheusSection(_Section):
    url: str
    preset: Literal["kubernetes", "aoi-sim"] = "kubernetes"
    """The default queries: `kubernetes` (cAdvisor, kube-state-metrics, HTTP request metrics) or `aoi-sim` (what
    `aoi sim serve` exposes)."""
    queries: dict[str, str] = Field(default_factory=dict)
    """Metric name → PromQL template overriding the preset (placeholders: $namespace, $service, $pods)."""
    pod_queries: dict[str, str] = Field(default_factory=dict)
    """The same for a single pod (placeholders: $namespace, $pod, $pods)."""
    timeout_s: float = Field(default=10.0, gt=0, le=120)

    @field_validator("queries", "pod_queries")
    @classmethod
    def _known_metrics(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(METRIC_NAMES))
        if unknown:
            raise ValueError(f"unknown metric(s) {', '.join(unknown)}; metrics: {', '.join(METRIC_NAMES)}")
        return value


class EndpointSection(_Section):
    url: str
    timeout_s: float = Field(default=10.0, gt=0, le=120)


class AoiConfig(_Section):
    kube: KubeSection = Field(default_factory=KubeSection)
    prometheus: PrometheusSection | None = None
    jaeger: EndpointSection | None = None
    loki: EndpointSection | None = None


def default_config_path() -> Path:
    """`$AOI_CONFIG` when set, else `$AOI_HOME/config.yaml`."""
    return Path(os.environ[CONFIG_ENV]) if os.environ.get(CONFIG_ENV) else data_dir() / "config.yaml"


def load_config(path: str | Path | None = None) -> tuple[AoiConfig, Path | None]:
    """The configuration and the file it came from (None when no file exists and none was named).

    Raises:
        InvalidArgumentError: a named file is missing, or the file is not valid YAML or not a valid config.
    """
    explicit = path is not None
    file = Path(path).expanduser() if path is not None else default_config_path()
    if not file.exists():
        if explicit:
            raise InvalidArgumentError(f"config file {file} does not exist")
        return AoiConfig(), None
    try:
        raw: Any = yaml.safe_load(file.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidArgumentError(f"config file {file} is not readable YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise InvalidArgumentError(f"config file {file} must hold a mapping with kube/prometheus/jaeger/loki keys")
    try:
        return AoiConfig.model_validate(raw), file
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise InvalidArgumentError(f"config file {file}: {problems}") from exc
