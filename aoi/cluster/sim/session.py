"""A simulated cluster shared by several processes: the probe and executor MCP servers an IDE starts.

The state lives in one file (`$AOI_HOME/sim/<digest of the spec>.state`). Every call takes an exclusive lock,
loads the state, advances simulated time to match the wall clock (one tick per 5 real seconds, so a fix "heals
over time" while the user watches), runs the call, and saves. A write made through the executor process is
therefore what the probe process sees next.

The state is a pickle, so it is authenticated before it is loaded: every file starts with an HMAC-SHA256 of its
body under this installation's key (`$AOI_HOME/state.key`, created 0600). A file this installation did not write —
planted, copied in, or tampered with — is refused and never unpickled.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import os
import pickle
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aoi.cluster.grep import LogFilter
from aoi.cluster.interface import WRITE_METHODS, ClusterError
from aoi.cluster.readonly import READ_METHODS
from aoi.cluster.sim.clock import TICK_SECONDS
from aoi.cluster.sim.cluster import SimCluster
from aoi.cluster.sim.noise import DEV_PROFILE, injection_ticks
from aoi.store.db import data_dir
from aoi.store.ids import state_file

CLEAN_TICKS_AFTER_FAULT = 24
"""Ticks between the fault and the first read of a clean scenario (two minutes)."""
MAX_CATCH_UP_TICKS = 120
"""At most ten simulated minutes are replayed per call, however long the session sat idle."""

FORMAT_VERSION = 3
MAGIC = b"AOI-SIM-STATE-2\n"
"""Every state file starts with this, then the 32-byte HMAC of the rest."""
KEY_FILE = "state.key"


def state_key() -> bytes:
    """This installation's key for simulator state files (created on first use, readable by its owner only).

    Raises:
        ClusterError: the key file exists but is too short to be one.
    """
    path = data_dir() / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(32))
    key = path.read_bytes()
    if len(key) < 32:
        raise ClusterError(f"state key at {path} is too short; delete it and the simulator state files under "
                           f"{path.parent / 'sim'} to start again")
    return key


@dataclass(frozen=True, slots=True)
class SimSpec:
    app: str
    fault: str | None = None
    target: str | None = None
    seed: int = 0
    ticks_after_fault: int | None = None
    """Ticks run after injecting the fault; None: drawn from the seed (`noise.injection_ticks`), 24 if clean."""
    clean: bool = False
    """Without the background noise of a real cluster (`aoi.cluster.sim.noise`)."""
    mesh: str | None = None
    """The service mesh the app runs under (`aoi.cluster.sim.mesh`), or None."""
    variant: str | None = None
    """The fault's variant; None: the family's default if clean, else drawn from the seed (`choose_variant`)."""

    @property
    def name(self) -> str:
        parts = [self.app, self.fault or "healthy", self.variant or "", self.target or "", str(self.seed),
                 "clean" if self.clean else "", self.mesh or ""]
        return "-".join(p for p in parts if p)

    def fault_variant(self) -> str | None:
        """The variant of the fault this spec injects (None for a healthy cluster).

        Raises:
            KeyError: unknown fault or variant.
        """
        from aoi.cluster.sim.faults import choose_variant

        return choose_variant(self.fault, self.seed, noise=not self.clean, variant=self.variant) if self.fault \
            else None


class SimSession:
    def __init__(self, spec: SimSpec, *, path: Path | None = None, realtime: bool = True,
                 clock: Callable[[], float] = time.time) -> None:
        self.spec = spec
        self.path = path or state_file(data_dir() / "sim", spec.name)
        self._realtime = realtime
        self._clock = clock
        self._memo: tuple[tuple[int, int, int], SimCluster, float] | None = None
        """The state as this process last loaded or saved it, keyed by the file's identity: reused while no other
        process has replaced the file (loading costs tens of milliseconds)."""

    @contextmanager
    def cluster(self, *, save: bool = True) -> Iterator[SimCluster]:
        """The cluster, locked for the duration of the block and saved after it.

        `save=False` is for blocks that only read: the state is then saved only if catching up with the wall
        clock advanced it.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            cluster, wall = self._load()
            ticked = False
            if self._realtime:
                behind = int((self._clock() - wall) // TICK_SECONDS)
                if behind > 0:
                    cluster.tick(min(behind, MAX_CATCH_UP_TICKS))
                    wall += behind * TICK_SECONDS
                    ticked = True
            try:
                yield cluster
            except BaseException:
                self._memo = None  # the block may have left the in-memory state half-changed
                raise
            if save or ticked:
                self._save(cluster, wall)

    def reset(self) -> None:
        self.path.unlink(missing_ok=True)

    def _load(self) -> tuple[SimCluster, float]:
        if self._memo is not None and self._memo[0] == _file_key(self.path):
            return self._memo[1], self._memo[2]
        if self.path.exists():
            try:
                saved = pickle.loads(self._verified(self.path.read_bytes()))
                if saved.get("version") == FORMAT_VERSION and saved.get("spec") == self.spec:
                    key = _file_key(self.path)
                    self._memo = (key, saved["cluster"], saved["wall"]) if key is not None else None
                    return saved["cluster"], saved["wall"]
            except (OSError, pickle.UnpicklingError, EOFError, AttributeError, KeyError) as exc:
                raise ClusterError(f"simulated cluster state at {self.path} is unreadable ({exc}); delete it to "
                                   f"start the scenario again") from exc
        return build_cluster(self.spec), self._clock()

    def _verified(self, data: bytes) -> bytes:
        """The body of a state file whose HMAC this installation's key confirms.

        Raises:
            ClusterError: any other file (nothing of it is unpickled).
        """
        body = data[len(MAGIC) + 32:]
        mac = data[len(MAGIC):len(MAGIC) + 32]
        if not data.startswith(MAGIC) or not hmac.compare_digest(mac, hmac.digest(state_key(), body, hashlib.sha256)):
            raise ClusterError(f"simulated cluster state at {self.path} was not written by this installation (or "
                               "was changed since), so it is not loaded; delete it to start the scenario again")
        return body

    def _save(self, cluster: SimCluster, wall: float) -> None:
        tmp = self.path.with_suffix(".tmp")
        body = pickle.dumps({"version": FORMAT_VERSION, "spec": self.spec, "cluster": cluster, "wall": wall})
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(MAGIC + hmac.digest(state_key(), body, hashlib.sha256) + body)
        os.replace(tmp, self.path)
        key = _file_key(self.path)
        self._memo = (key, cluster, wall) if key is not None else None


def _file_key(path: Path) -> tuple[int, int, int] | None:
    """Changes whenever the state file is replaced (every save writes a new file and renames it into place)."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


class SessionCluster:
    """A `ClusterReader` + `ClusterWriter` whose every call runs against the shared session state."""

    def __init__(self, session: SimSession) -> None:
        self._session = session
        with session.cluster() as cluster:
            self.namespace = cluster.namespace
            self.services_list = list(cluster.app.component_names)

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        # A read changes nothing worth a save (pickling the state costs more as telemetry accumulates: triage's
        # sixty reads once cost seconds); this process keeps its in-memory state until the file is replaced.
        with self._session.cluster(save=method not in READ_METHODS) as cluster:
            return getattr(cluster, method)(*args, **kwargs)

    def logs(self, target: str, namespace: str, *, container: str | None = None, tail: int = 100,
             since_seconds: int | None = None, grep: str | None = None, previous: bool = False) -> str:
        """`SimCluster.logs`, with the caller's pattern compiled before and matched after the lock, so that a slow
        pattern never holds up other calls on the shared state."""
        log_filter = LogFilter.parse(grep) if grep else None
        lines = self._call("log_lines", target, namespace, container=container, tail=tail,
                           since_seconds=since_seconds, previous=previous)
        if log_filter is not None:
            lines = log_filter.select(lines)
        return "\n".join(lines[-tail:])


def _forward(method: str) -> Callable[..., Any]:
    def call(self: SessionCluster, *args: Any, **kwargs: Any) -> Any:
        return self._call(method, *args, **kwargs)

    call.__name__ = method
    call.__doc__ = getattr(SimCluster, method).__doc__
    return call


for _method in (*READ_METHODS, *WRITE_METHODS):
    if _method not in SessionCluster.__dict__:
        setattr(SessionCluster, _method, _forward(_method))


def build_cluster(spec: SimSpec) -> SimCluster:
    """The incident a spec describes, as it first looks: the app (noisy unless clean, under its mesh), the fault in
    its variant, and the ticks after it (drawn from the seed when the spec names none).

    Raises:
        KeyError: unknown fault or variant. ValueError: the fault does not apply to the app, or a bad mesh.
    """
    cluster = SimCluster(spec.app, spec.seed, noise=not spec.clean, mesh=spec.mesh)
    if spec.fault:
        cluster.inject(spec.fault, spec.target, variant=spec.variant)
        ticks = spec.ticks_after_fault
        if ticks is None:
            ticks = CLEAN_TICKS_AFTER_FAULT if spec.clean else injection_ticks(cluster.engine.state.rng, DEV_PROFILE)
        cluster.tick(ticks)
    return cluster
