"""Simulated clusters shared between processes: what one server writes, the other reads; time follows the wall
clock; a broken state file is reported, not silently replaced."""

from __future__ import annotations

import fcntl
from pathlib import Path

import pytest

from aoi.cluster.grep import LogFilter
from aoi.cluster.interface import ClusterError, InvalidArgumentError
from aoi.cluster.sim.session import SessionCluster, SimSession, SimSpec
from aoi.cluster.spec import parse_sim_spec

SPEC = SimSpec("online-boutique", "oom_killed", "adservice", seed=1, ticks_after_fault=6)


def test_a_write_through_one_session_is_seen_by_another(tmp_path: Path) -> None:
    path = tmp_path / "s.state"
    now = [1000.0]
    writer = SessionCluster(SimSession(SPEC, path=path, clock=lambda: now[0]))
    reader = SessionCluster(SimSession(SPEC, path=path, clock=lambda: now[0]))
    writer.scale("deployment", "emailservice", "boutique", 0)
    now[0] += 30
    pods = reader.get_resources("pods", namespace="boutique")
    assert "emailservice-" not in pods
    assert "adservice-" in pods


def test_simulated_time_follows_the_wall_clock_with_a_cap(tmp_path: Path) -> None:
    now = [0.0]
    session = SimSession(SPEC, path=tmp_path / "s.state", clock=lambda: now[0])
    with session.cluster() as cluster:
        start = cluster.engine.state.clock.tick
    now[0] += 50
    with session.cluster() as cluster:
        assert cluster.engine.state.clock.tick == start + 10
    now[0] += 100_000
    with session.cluster() as cluster:
        assert cluster.engine.state.clock.tick == start + 10 + 120


def test_an_unreadable_state_file_is_reported_with_the_way_out(tmp_path: Path) -> None:
    path = tmp_path / "s.state"
    path.write_bytes(b"\x80\x04garbage")
    with pytest.raises(ClusterError, match="delete it to start the scenario again"), \
            SimSession(SPEC, path=path).cluster():
        pass
    assert path.read_bytes() == b"\x80\x04garbage"


@pytest.mark.parametrize(("text", "expected"), [
    ("sim:online-boutique", SimSpec("online-boutique")),
    ("sim:hotel-reservation/revoke_auth_mongodb?target=mongodb-rate&seed=3&ticks=10",
     SimSpec("hotel-reservation", "revoke_auth_mongodb", "mongodb-rate", 3, 10)),
    ("sim:online-boutique/oom_killed?variant=runtime&clean=1",
     SimSpec("online-boutique", "oom_killed", clean=True, variant="runtime")),
])
def test_cluster_specs_parse(text: str, expected: SimSpec) -> None:
    assert parse_sim_spec(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("online-boutique", "must start with"),
    ("kube:prod", "not available in this version"),
    ("sim:nope", "unknown app"),
    ("sim:online-boutique/revoke_auth_mongodb", "does not apply"),
    ("sim:online-boutique?seed=x", "integers"),
    ("sim:online-boutique?colour=red", "unknown option"),
    ("sim:online-boutique/oom_killed?variant=boot", "has no variant 'boot'; variants: start, runtime"),
    ("sim:online-boutique?variant=runtime", "variant needs a fault"),
])
def test_bad_cluster_specs_say_what_is_accepted(text: str, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        parse_sim_spec(text)


class _Planted:
    """A pickle that would create a file when loaded: what an attacker leaves where a state file is expected."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (Path.touch, (self.marker,))


def test_a_state_file_this_installation_did_not_write_is_refused_and_never_unpickled(tmp_path: Path) -> None:
    import pickle

    path = tmp_path / "s.state"
    marker = tmp_path / "pwned"
    path.write_bytes(pickle.dumps({"version": 2, "spec": SPEC, "cluster": _Planted(marker), "wall": 0.0}))
    with pytest.raises(ClusterError, match="not written by this installation"):
        SessionCluster(SimSession(SPEC, path=path))
    assert not marker.exists()


def test_a_state_file_changed_after_it_was_written_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.state"
    SessionCluster(SimSession(SPEC, path=path, realtime=False)).scale("deployment", "emailservice", "boutique", 0)
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ClusterError, match="not written by this installation"):
        SessionCluster(SimSession(SPEC, path=path, realtime=False))
    assert path.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("spec", ["sim:online-boutique/oom_killed?target=../../x",
                                  "sim:online-boutique/oom_killed?target=a/b",
                                  "sim:online-boutique/oom_killed?ticks=100000000",
                                  "sim:online-boutique/oom_killed?ticks=-1",
                                  "sim:online-boutique?seed=-3"])
def test_spec_parameters_are_bounded_names_and_numbers(spec: str) -> None:
    with pytest.raises(InvalidArgumentError):
        parse_sim_spec(spec)


def test_a_grep_is_matched_outside_the_session_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A slow pattern must not hold up every other call on the shared state (the lock is an flock on a file)."""
    path = tmp_path / "s.state"
    cluster = SessionCluster(SimSession(SPEC, path=path, clock=lambda: 1000.0))
    held_while_matching = []
    select = LogFilter.select

    def probing_select(self: LogFilter, lines: list[str], **kwargs: float) -> list[str]:
        with open(path.with_suffix(".lock"), "w") as other:
            try:
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held_while_matching.append(False)
            except BlockingIOError:
                held_while_matching.append(True)
        return select(self, lines, **kwargs)

    monkeypatch.setattr(LogFilter, "select", probing_select)
    out = cluster.logs("frontend", "boutique", grep="GET|POST|request", tail=5)
    assert out
    assert held_while_matching == [False]
    with pytest.raises(InvalidArgumentError, match="grep"):
        cluster.logs("frontend", "boutique", grep="(")


def test_a_spec_names_the_variant_it_injects_drawn_from_the_seed_unless_clean_or_given() -> None:
    assert parse_sim_spec("sim:online-boutique/oom_killed?clean=1").fault_variant() == "start"
    assert parse_sim_spec("sim:online-boutique/oom_killed?variant=runtime").fault_variant() == "runtime"
    drawn = {parse_sim_spec(f"sim:online-boutique/oom_killed?seed={s}").fault_variant() for s in range(8)}
    assert drawn == {"start", "runtime"}
    assert parse_sim_spec("sim:online-boutique").fault_variant() is None
    assert SimSpec("online-boutique", "oom_killed", variant="runtime").name != SimSpec("online-boutique",
                                                                                        "oom_killed").name
