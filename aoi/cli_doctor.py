"""`aoi doctor`: what AOI can see and do on a live cluster, before an agent is let loose on it."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("doctor")
@click.option("--cluster", "spec", default="kube:", show_default=True,
              help="A live cluster spec: kube:CONTEXT[/NAMESPACE][?kubeconfig=PATH].")
@click.option("--role", type=click.Choice(["probe", "executor"]), default="probe", show_default=True,
              help="Which AOI identity this context is meant to be: the read-only probe or the executor.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="AOI config file (default: $AOI_CONFIG, else $AOI_HOME/config.yaml).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def doctor(spec: str, role: str, config_path: Path | None, as_json: bool) -> None:
    """Report what the current identity may do (SelfSubjectAccessReview), the config file found, and whether
    Prometheus, Jaeger and Loki answer. Exits 1 when the probe identity can write or read Secrets, or the
    executor identity can make none of AOI's writes.

    \b
    Examples:
      aoi doctor --cluster kube:kind-aiopslab/test-hotel-reservation
      aoi doctor --cluster kube:aoi-executor --role executor --json
    """
    from aoi.cluster.interface import ClusterError
    from aoi.cluster.kube.api import KubeApi
    from aoi.cluster.kube.cluster import telemetry_from
    from aoi.cluster.kube.config import load_config
    from aoi.cluster.kube.doctor import diagnose, render
    from aoi.cluster.spec import parse_kube_spec

    try:
        kube_spec = parse_kube_spec(spec)
        config, found = load_config(config_path or kube_spec.config)
        api = KubeApi.from_kubeconfig(kube_spec.kubeconfig or config.kube.kubeconfig,
                                      kube_spec.context or config.kube.context,
                                      namespace=kube_spec.namespace or config.kube.namespace,
                                      timeout_s=config.kube.request_timeout_s)
        report = diagnose(api, telemetry_from(config, found), role=role, config_path=found)  # type: ignore[arg-type]
    except ClusterError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(report.to_dict(), indent=2) if as_json else render(report), nl=as_json)
    if report.verdict == "fail":
        raise SystemExit(1)
