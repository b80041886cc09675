"""Who calls whom: the neighbours of a faulty component in the simulated application's call graph.

Evidence that looks at the faulty component's callers or callees is relevant (symptoms travel along calls), so the
evidence reward needs them. The call graph is the simulator's own app model, the same one that produces the
telemetry; for an unknown app the neighbourhood is empty.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache


@lru_cache(maxsize=64)
def _neighbours(app: str, component: str) -> frozenset[str]:
    from aoi.cluster.sim.apps.catalog import APPS, get_app

    if app not in APPS:
        return frozenset()
    spec = get_app(app)
    if component not in spec.component_names:
        return frozenset()
    return frozenset(spec.callers_of(component)) | frozenset(spec.callees_of(component))


def neighbours(app: str, components: Iterable[str]) -> frozenset[str]:
    """Callers and callees of `components` in `app` (the components themselves excluded)."""
    wanted = set(components)
    found: set[str] = set()
    for component in wanted:
        found |= _neighbours(app, component)
    return frozenset(found - wanted)


def app_services(app: str) -> tuple[str, ...]:
    """The application's services (workload names), as the agent's task shows them; empty for an unknown app."""
    from aoi.cluster.sim.apps.catalog import APPS, get_app

    return get_app(app).component_names if app in APPS else ()
