"""Read-only HTTP clients for the telemetry a live cluster keeps outside the Kubernetes API: Prometheus (metrics,
alerts), Jaeger (traces, service dependencies) and Loki (aggregated logs). Each is optional and configured in the
AOI config file (`aoi.cluster.kube.config`)."""
