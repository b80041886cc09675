"""AOI: a trainable, safety-first SRE agent for Kubernetes microservice systems."""

__version__ = "0.1.0"
