"""`aoi sim serve`: the simulated cluster over the Kubernetes API, Prometheus and Jaeger protocols."""

from __future__ import annotations

import shlex
import signal
import threading
from pathlib import Path

import click

from aoi.cluster.sim.apps.catalog import APPS
from aoi.cluster.sim.mesh import MESHES


@click.command("serve")
@click.option("--app", type=click.Choice(sorted(APPS)), required=True, help="Application to run.")
@click.option("--fault", default=None, help="Fault family to inject (see `aoi sim faults`); healthy without.")
@click.option("--target", default=None, help="Component the fault targets (default: the fault's own).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--clean", is_flag=True, help="Without the background of a real cluster (earlier incidents' events, "
              "ages, missing alert rules).")
@click.option("--mesh", type=click.Choice(MESHES), default=None,
              help="Run the app under a service mesh (istio: sidecars; online-boutique only).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="0 picks a free port.")
@click.option("--kubeconfig-out", "kubeconfig_out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the kubeconfig (default: beside the simulator state in $AOI_HOME/sim).")
def sim_serve(app: str, fault: str | None, target: str | None, seed: int, clean: bool, mesh: str | None, host: str,
              port: int, kubeconfig_out: Path | None) -> None:
    """Serve the simulated cluster to kubectl, the `kubernetes` client, Prometheus and Jaeger clients.

    The state is shared with `aoi mcp probe/executor --cluster` on the same spec, and simulated time follows
    the wall clock. Runs until Ctrl-C.

    \b
    Examples:
      aoi sim serve --app hotel-reservation --fault revoke_auth_mongodb --seed 1
      aoi sim serve --app online-boutique --port 6443 --kubeconfig-out ./sim.kubeconfig
      aoi sim serve --app online-boutique --mesh istio --fault service_selector_mismatch
    """
    from aoi.cluster.interface import ClusterError
    from aoi.cluster.serve import serve_cluster

    query = "&".join(f"{k}={v}" for k, v in (("seed", seed), ("target", target), ("clean", 1 if clean else None),
                                              ("mesh", mesh)) if v is not None)
    spec = f"sim:{app}{'/' + fault if fault else ''}?{query}"
    try:
        served = serve_cluster(spec, host=host, port=port, kubeconfig_path=kubeconfig_out)
    except ClusterError as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc}") from exc
    kubeconfig = shlex.quote(str(served.kubeconfig_path))
    click.echo(f"Kubernetes API  {served.url}  (namespace {served.namespace})")
    click.echo(f"kubeconfig      {served.kubeconfig_path}  (contexts aoi-sim, aoi-sim-readonly)")
    click.echo(f"Prometheus      {served.metrics_url}")
    click.echo(f"Jaeger query    {served.jaeger_url}/api/services")
    click.echo(f"Try:            kubectl --kubeconfig {kubeconfig} get pods -A")
    click.echo("Ctrl-C stops the server.", err=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        served.stop()
