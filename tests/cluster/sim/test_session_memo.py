"""A session keeps the state it last loaded or saved in memory: reads that change nothing neither reload nor
rewrite the state file, another process's save is still picked up, and a failed block leaves no trace."""

from __future__ import annotations

from pathlib import Path

import pytest

from aoi.cluster.sim.session import SimSession, SimSpec

SPEC = SimSpec("online-boutique", None, None, seed=2, ticks_after_fault=0)


def test_reads_reuse_the_state_until_another_session_replaces_the_file(tmp_path: Path) -> None:
    path = tmp_path / "s.state"
    mine, theirs = SimSession(SPEC, path=path, realtime=False), SimSession(SPEC, path=path, realtime=False)
    with mine.cluster() as cluster:
        first = cluster
    stamp = path.stat().st_mtime_ns
    with mine.cluster(save=False) as cluster:
        assert cluster is first
    assert path.stat().st_mtime_ns == stamp
    with theirs.cluster() as cluster:
        cluster.scale("deployment", "cartservice", "boutique", 3)
    with mine.cluster(save=False) as cluster:
        assert cluster is not first
        assert cluster.engine.state.store.get("Deployment", "boutique", "cartservice")["spec"]["replicas"] == 3


def test_a_read_that_catches_up_with_the_wall_clock_is_saved(tmp_path: Path) -> None:
    now = [0.0]
    path = tmp_path / "s.state"
    session = SimSession(SPEC, path=path, clock=lambda: now[0])
    with session.cluster() as cluster:
        start = cluster.engine.state.clock.tick
    saved = path.stat().st_mtime_ns
    now[0] += 20
    with session.cluster(save=False):
        pass
    assert path.stat().st_mtime_ns != saved
    with SimSession(SPEC, path=path, clock=lambda: now[0]).cluster(save=False) as cluster:
        assert cluster.engine.state.clock.tick == start + 4


def test_a_block_that_fails_leaves_the_saved_state(tmp_path: Path) -> None:
    session = SimSession(SPEC, path=tmp_path / "s.state", realtime=False)
    with session.cluster():
        pass
    with pytest.raises(RuntimeError), session.cluster() as cluster:
        cluster.engine.state.store.get("Deployment", "boutique", "cartservice")["spec"]["replicas"] = 9
        raise RuntimeError("half-way")
    with session.cluster(save=False) as cluster:
        assert cluster.engine.state.store.get("Deployment", "boutique", "cartservice")["spec"]["replicas"] == 1
