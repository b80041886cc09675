"""Cluster specs as written on the command line and in IDE configs.

* `sim:APP` — the embedded simulator running APP, healthy;
* `sim:APP/FAULT?seed=N&target=COMPONENT&ticks=T&clean=1&mesh=istio&variant=NAME` — with a fault from the library
  injected, observed T ticks later (default: a time drawn from the seed as `aoi.cluster.sim.noise` measured it; 24
  ticks with `clean=1`, which also leaves out the rest of a real cluster's background noise), in the fault's variant
  NAME (default: the family's first with `clean=1`, else one drawn from the seed); `mesh=istio` runs the app under
  Istio with sidecars (`aoi.cluster.sim.mesh`);
* `kube:CONTEXT[/NAMESPACE][?kubeconfig=PATH&config=PATH]` — a live cluster (`parse_kube_spec`);
* `replay:PATH` — a frozen snapshot: one Cloud-OpsBench case folder (`parse_replay_spec`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from aoi.cluster.interface import InvalidArgumentError
from aoi.cluster.sim.apps.catalog import APPS
from aoi.cluster.sim.mesh import check_mesh
from aoi.cluster.sim.session import SimSpec

if TYPE_CHECKING:
    from aoi.cluster.kube.cluster import KubeSpec

SCHEMES = ("sim", "kube", "replay")


MAX_SEED = 2**31 - 1
MAX_TICKS = 720
"""At most an hour of simulated time after the fault (a tick is 5 s)."""
_OBJECT_NAME = re.compile(r"[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?")


def parse_sim_spec(text: str) -> SimSpec:
    """Parse `sim:APP[/FAULT][?seed=N&target=C&ticks=T&clean=1&mesh=istio&variant=V]`.

    Raises:
        InvalidArgumentError: with the accepted forms and valid values.
    """
    scheme, _, rest = text.partition(":")
    if scheme not in SCHEMES or not rest:
        raise InvalidArgumentError(f"cluster spec {text!r} must start with one of {', '.join(s + ':' for s in SCHEMES)}"
                                   f" e.g. sim:online-boutique or sim:hotel-reservation/revoke_auth_mongodb?seed=1")
    if scheme != "sim":
        raise InvalidArgumentError(f"{scheme}: clusters are not available in this version of AOI; use sim:APP")
    path, _, query = rest.partition("?")
    app, _, fault = path.partition("/")
    if app not in APPS:
        raise InvalidArgumentError(f"unknown app {app!r} in {text!r}; apps: {', '.join(APPS)}")
    params = {k: v[-1] for k, v in parse_qs(query, strict_parsing=False).items()}
    unknown = set(params) - {"seed", "target", "ticks", "clean", "mesh", "variant"}
    if unknown:
        raise InvalidArgumentError(f"unknown option(s) {', '.join(sorted(unknown))} in {text!r}; "
                                   f"options: seed, target, ticks, clean, mesh, variant")
    clean = params.get("clean", "0")
    if clean not in ("0", "1"):
        raise InvalidArgumentError(f"clean must be 0 or 1 in {text[:200]!r}")
    mesh = params.get("mesh")
    try:
        check_mesh(app, mesh)
    except ValueError as exc:
        raise InvalidArgumentError(f"{str(exc)[:200]} (in {text[:200]!r})") from exc
    try:
        seed = int(str(params.get("seed", 0))[:12])
        ticks = int(str(params["ticks"])[:12]) if "ticks" in params else None
    except ValueError as exc:
        raise InvalidArgumentError(f"seed and ticks must be integers in {text[:200]!r}") from exc
    if not 0 <= seed <= MAX_SEED or not 0 <= (ticks or 0) <= MAX_TICKS:
        raise InvalidArgumentError(f"seed must be in 0..{MAX_SEED} and ticks in 0..{MAX_TICKS}")
    target = params.get("target")
    if target is not None and not _OBJECT_NAME.fullmatch(target):
        raise InvalidArgumentError(f"target {target[:80]!r} is not a Kubernetes object name (lower-case letters, "
                                   "digits, '-' and '.', at most 253 characters)")
    if fault:
        from aoi.cluster.sim.faults import FAULTS

        if fault not in FAULTS:
            raise InvalidArgumentError(f"unknown fault {fault!r}; see `aoi sim faults`")
        if app not in FAULTS[fault].apps:
            raise InvalidArgumentError(f"fault {fault!r} does not apply to {app}; apps: "
                                       f"{', '.join(FAULTS[fault].apps)}")
    variant = params.get("variant")
    if variant is not None:
        if not fault:
            raise InvalidArgumentError(f"variant needs a fault in {text[:200]!r}: sim:APP/FAULT?variant=NAME")
        if variant not in FAULTS[fault].variants:
            raise InvalidArgumentError(f"fault {fault!r} has no variant {variant[:80]!r}; variants: "
                                       f"{', '.join(FAULTS[fault].variants)}")
    return SimSpec(app, fault or None, target, seed, ticks, clean=clean == "1", mesh=mesh, variant=variant)


def parse_replay_spec(text: str) -> Path:
    """Parse `replay:PATH` (PATH: a case folder holding `tool_cache.json`, e.g. `.../runtime/22`; `~` expands).

    Raises:
        InvalidArgumentError: not a `replay:` spec, or PATH is not a snapshot folder.
    """
    scheme, _, rest = text.partition(":")
    if scheme != "replay" or not rest:
        raise InvalidArgumentError(f"cluster spec {text!r} is not a snapshot replay; write replay:PATH, where PATH is "
                                   "a case folder holding tool_cache.json")
    path = Path(rest).expanduser()
    if not (path / "tool_cache.json").is_file():
        raise InvalidArgumentError(f"replay: {rest!r} is not a snapshot folder (no tool_cache.json in it); give one "
                                   "case folder, e.g. replay:DATA/runtime/22")
    return path


def parse_kube_spec(text: str) -> KubeSpec:
    """Parse `kube:[CONTEXT][/NAMESPACE][?kubeconfig=PATH&config=PATH]` (an empty CONTEXT is the kubeconfig's current
    context; `config` names the AOI config file with the Prometheus/Jaeger/Loki URLs).

    Raises:
        InvalidArgumentError: not a `kube:` spec, or an unknown option.
    """
    from aoi.cluster.kube.cluster import KubeSpec

    scheme, _, rest = text.partition(":")
    if scheme != "kube":
        raise InvalidArgumentError(f"cluster spec {text!r} is not a live cluster; write kube:CONTEXT[/NAMESPACE]")
    path, _, query = rest.partition("?")
    context, _, namespace = path.partition("/")
    params = {k: v[-1] for k, v in parse_qs(query, strict_parsing=False).items()}
    unknown = set(params) - {"kubeconfig", "config"}
    if unknown:
        raise InvalidArgumentError(f"unknown option(s) {', '.join(sorted(unknown))} in {text!r}; options: kubeconfig, "
                                   f"config")
    if "/" in namespace:
        raise InvalidArgumentError(f"{text!r}: write kube:CONTEXT/NAMESPACE (one namespace)")
    return KubeSpec(context or None, namespace or None, params.get("kubeconfig"), params.get("config"))
