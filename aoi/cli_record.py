"""`aoi sim record`: simulated incidents written as Cloud-OpsBench case folders, one or a whole set."""

from __future__ import annotations

from pathlib import Path

import click

from aoi.cluster.sim.apps.catalog import APPS
from aoi.cluster.sim.mesh import MESHES
from aoi.cluster.spec import MAX_SEED, MAX_TICKS


@click.command("record")
@click.option("--app", type=click.Choice(sorted(APPS)), default=None, help="Application to run (one incident).")
@click.option("--fault", "family", default=None, help="Fault family (see `aoi sim faults`); one incident.")
@click.option("--target", default=None, help="Fault target component (default: the family's usual target).")
@click.option("--variant", default=None, help="The fault's variant (see `aoi sim faults`; default: drawn from the "
              "seed); one incident.")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(0, MAX_SEED),
              help="Random seed: same seed, same bytes.")
@click.option("--ticks", default=24, show_default=True, type=click.IntRange(1, MAX_TICKS),
              help="Ticks (5 s each) to run after injecting the fault.")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path),
              help="Case folder to write (with --many: the set's root folder).")
@click.option("--force", is_flag=True, help="Replace --out if it exists and is not empty.")
@click.option("--many", is_flag=True, help="Record a whole set: every fault of each app, for each seed.")
@click.option("--apps", default="online-boutique", show_default=True,
              help="--many: comma-separated apps.")
@click.option("--faults", "families", default=None, help="--many: comma-separated fault families (default: all).")
@click.option("--seeds", default=1, show_default=True, type=click.IntRange(1, 100),
              help="--many: seeds 0..N-1 per fault.")
@click.option("--mesh", type=click.Choice(MESHES), default=None,
              help="Run the app under a service mesh (istio: sidecars; online-boutique only).")
def sim_record(app: str | None, family: str | None, target: str | None, variant: str | None, seed: int, ticks: int,
               out: Path, force: bool, many: bool, apps: str, families: str | None, seeds: int,
               mesh: str | None) -> None:
    """Write a simulated incident in the Cloud-OpsBench case layout, which `replay:` reads back.

    One incident: `tool_cache.json`, `raw_data/` and a `metadata.json` with the ground truth and a symptom
    query, in --out. With --many, a set: --out/<category>/<id>/ per case and --out/labels.json, which
    `aoi eval --suite cloud-opsbench --path OUT` runs. Nothing is left half-written.

    \b
    Examples:
      aoi sim record --app online-boutique --fault oom_killed --seed 1 --out cases/oom
      aoi sim record --app online-boutique --fault oom_killed --variant runtime --out cases/oom-runtime
      aoi triage --cluster replay:cases/oom
      aoi sim record --many --out synthetic --seeds 2
      aoi sim record --many --apps hotel-reservation --faults revoke_auth_mongodb,redeploy_without_PV --out hr
      aoi sim record --app online-boutique --fault service_selector_mismatch --mesh istio --out cases/mesh
    """
    from aoi.evals import synthetic

    if many:
        if app or family or target or variant:
            raise click.UsageError("--many records every fault of --apps, each in the variant its seed draws; leave "
                                   "out --app, --fault, --target and --variant (use --faults to choose)")
        app_names = _listed(apps)
        unknown = [a for a in app_names if a not in APPS]
        if unknown or not app_names:
            raise click.BadParameter(f"unknown app(s) {', '.join(map(repr, unknown))}; apps: {', '.join(APPS)}",
                                     param_hint="--apps")
        if mesh:
            _check_mesh(app_names, mesh)
        try:
            cases = synthetic.record_set(out, apps=app_names, seeds=seeds, ticks=ticks, force=force,
                                         families=_listed(families) if families is not None else None, mesh=mesh)
        except (KeyError, ValueError) as exc:
            raise click.BadParameter(str(exc.args[0]), param_hint="--faults") from exc
        except FileExistsError as exc:
            raise click.ClickException(str(exc)) from exc
        plural = "s" if len(cases) != 1 else ""
        click.echo(f"recorded {len(cases)} case{plural} under {out} (labels in {out / 'labels.json'})")
        return
    if app is None or family is None:
        raise click.UsageError("give --app and --fault (one incident), or --many (a set)")
    _check_spec(app, family, target, seed, ticks, variant)
    if mesh:
        _check_mesh([app], mesh)
    try:
        folder = synthetic.record_incident(app, family, out, target=target, seed=seed, ticks=ticks, force=force,
                                           mesh=mesh, variant=variant)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--target" if target else "--fault") from exc
    except FileExistsError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"recorded {app}/{family} (seed {seed}) in {folder}; replay it with --cluster replay:{folder}")


def _check_mesh(apps: list[str], mesh: str) -> None:
    from aoi.cluster.sim.mesh import check_mesh

    for app in apps:
        try:
            check_mesh(app, mesh)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--mesh") from exc


def _check_spec(app: str, family: str, target: str | None, seed: int, ticks: int, variant: str | None) -> None:
    """The incident as a `sim:` spec would name it, checked the way `sim:` specs are (fault, app, target name,
    variant)."""
    from urllib.parse import urlencode

    from aoi.cluster.interface import InvalidArgumentError
    from aoi.cluster.spec import parse_sim_spec

    query = urlencode({"seed": seed, "ticks": ticks, **({"target": target} if target is not None else {}),
                       **({"variant": variant} if variant is not None else {})})
    try:
        parse_sim_spec(f"sim:{app}/{family}?{query}")
    except InvalidArgumentError as exc:
        hint = next((f"--{w}" for w in ("variant", "target") if w in str(exc)), "--fault")
        raise click.BadParameter(str(exc), param_hint=hint) from exc
    if family == "noop":
        raise click.BadParameter("noop is the healthy control, not an incident; pick a fault from `aoi sim faults`",
                                 param_hint="--fault")


def _listed(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]
