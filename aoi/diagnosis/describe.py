"""`kubectl describe pod` read back into the facts triage needs: ports, states, probes, mounts, events."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from aoi.diagnosis.messages import ProbeSpec, parse_probe_specs

_PORT = re.compile(r"^\s+Ports?:\s+(.*)$", re.M)
_STATE = re.compile(r"^\s+State:\s+(\w+)\s*\n(?:\s+Reason:\s+(\S+)\s*\n)?(?:\s+Message:\s+(.*)\n)?", re.M)
_LAST = re.compile(r"^\s+Last State:\s+(\w+)\s*\n(?:\s+Reason:\s+(\S+)\s*\n)?(?:\s+Message:\s+.*\n)?"
                   r"(?:\s+Exit Code:\s+(\d{1,9}))?", re.M)
_EVENT = re.compile(r"^\s+(Normal|Warning)\s+(\S+)\s+(\S+(?: \(x\d+ over \S+\))?)\s+(\S+(?:, \S+)*)\s+(.*)$", re.M)
_MOUNT = re.compile(r"^\s+(/\S*) from (\S+)", re.M)
_ENV = re.compile(r"^\s+([A-Z_][A-Z0-9_]*):\s+(\S.*)$", re.M)


@dataclass(frozen=True, slots=True)
class PodEvent:
    type: str
    reason: str
    message: str


@dataclass(frozen=True, slots=True)
class PodDetails:
    ports: tuple[tuple[int, str], ...]
    """(port, protocol) the containers declare."""
    state: str
    waiting_reason: str
    waiting_message: str
    last_state: str
    last_reason: str
    last_exit_code: int | None
    probes: tuple[ProbeSpec, ...]
    mounts: tuple[str, ...]
    node_selectors: str
    events: tuple[PodEvent, ...] = field(default=())
    env: tuple[tuple[str, str], ...] = field(default=())


def parse_pod(text: str) -> PodDetails:
    """The facts of one `describe pod` text (the first container's state; every container's ports and probes)."""
    ports = []
    for cell in _PORT.findall(text):
        for number, proto in re.findall(r"(\d{1,5})/(TCP|UDP|SCTP)", cell):
            if number != "0":
                ports.append((int(number), proto))
    state = _STATE.search(text)
    last = _LAST.search(text)
    selectors = re.search(r"^Node-Selectors:\s+(.*)$", text, re.M)
    events_block = text.split("\nEvents:", 1)[1] if "\nEvents:" in text else ""
    events = tuple(PodEvent(m.group(1), m.group(2), m.group(5).strip()) for m in _EVENT.finditer(events_block))
    env_block = re.search(r"^\s+Environment:\s*\n((?:\s{6,}.*\n)+)", text, re.M)
    return PodDetails(
        ports=tuple(dict.fromkeys(ports)), state=state.group(1) if state else "",
        waiting_reason=(state.group(2) or "") if state and state.group(1) == "Waiting" else "",
        waiting_message=(state.group(3) or "").strip() if state else "",
        last_state=last.group(1) if last else "", last_reason=(last.group(2) or "") if last else "",
        last_exit_code=int(last.group(3)) if last and last.group(3) else None,
        probes=tuple(parse_probe_specs(text)), mounts=tuple(m for m, _ in _MOUNT.findall(text)),
        node_selectors=selectors.group(1).strip() if selectors else "", events=events,
        env=tuple(_ENV.findall(env_block.group(1))) if env_block else ())
