"""The simulated cluster over the real protocols: the Kubernetes API for kubectl and the `kubernetes` client,
Prometheus exposition of its metrics, and a Jaeger-compatible query API for its traces.

```python
from aoi.cluster.serve import serve_cluster

with serve_cluster("sim:hotel-reservation/revoke_auth_mongodb?seed=1") as served:
    served.url              # https://127.0.0.1:PORT  Kubernetes API root (self-signed TLS, pinned in the kubeconfig)
    served.kubeconfig_path  # contexts "aoi-sim" (writer, current) and "aoi-sim-readonly" (403 on writes/Secrets)
    served.writer_token, served.reader_token
    served.metrics_url      # http://127.0.0.1:PORT/metrics   (also over https)
    served.jaeger_url       # http://127.0.0.1:PORT/jaeger    (GET {jaeger_url}/api/services, /api/traces?service=)
    served.namespace        # the app's namespace (default namespace of both contexts)
```

Differences from the first announced API: `url` is **https** — kubectl sends bearer tokens only over TLS — and the
Jaeger API lives under `/jaeger` (so `/api/...` stays the Kubernetes API). One port serves TLS and plain HTTP;
plain HTTP serves only `/version`, the health checks, `/metrics` and `/jaeger`, and answers 403 (a Status naming
the https URL, also as a `Warning` header) to the API and to any request that carries credentials, without
looking at them: the Python client would send its token over `http://`, so it must use `url` and the pinned
certificate (the kubeconfig does both). Each token carries 32 random bytes. `serve_cluster` also takes
`kubeconfig_path=`. Metric names: see `aoi.cluster.serve.metrics`.
"""

from aoi.cluster.serve.server import ServedCluster, serve_cluster

__all__ = ["ServedCluster", "serve_cluster"]
