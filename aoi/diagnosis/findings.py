"""What triage produces: findings from analyzers, and the ranked hypotheses built from them.

Plain frozen dataclasses, so a report can be compared, rendered and serialised without knowing which analyzer made
it. A `Finding` is one analyzer's reading of one object; a `Hypothesis` is one (root cause, object) pair after
ranking has weighed every finding that names it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

MAX_EVIDENCE_CHARS = 300
"""A quoted evidence line is cut to this many characters (a FailedScheduling message can run to kilobytes)."""


def quote(text: str, limit: int = MAX_EVIDENCE_CHARS) -> str:
    """One line of evidence: blanks collapsed, cut to `limit` characters with an ellipsis."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[:limit - 1] + "…"


FREE_TEXT_TOOLS = frozenset({"get_logs", "get_error_logs", "get_events"})
"""Reads whose lines are free text that whoever can write to a log or create an event controls (an application
echoing a request, a client posting an Event). What they say is data to weigh, never proof on its own."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """A quoted line and the read call it came from (a probe tool call that shows it again)."""

    line: str
    source: str

    @property
    def structural(self) -> bool:
        """The line comes from object state (a table, a spec, a status, a node's daemons, metrics), not from free
        text (`FREE_TEXT_TOOLS`)."""
        return self.source.partition("(")[0] not in FREE_TEXT_TOOLS


@dataclass(frozen=True, slots=True)
class Candidate:
    """A root cause (a taxonomy name) an analyzer proposes, with its confidence in [0, 1]."""

    cause: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Finding:
    """One analyzer's reading of one object."""

    analyzer: str
    object: str
    """`service/<name>`, `node/<name>` or `namespace/<name>`: where the fault sits, not where it shows."""
    symptom: str
    evidence: tuple[Evidence, ...]
    candidates: tuple[Candidate, ...]
    confirm: str
    """The read call that would confirm or refute the first candidate."""
    stale: bool = False
    """The evidence is about objects that no longer exist or a workload that has since recovered."""


@dataclass(frozen=True, slots=True)
class Hypothesis:
    """A ranked (root cause, object) pair with everything that supports it."""

    cause: str
    object: str
    category: str
    score: float
    evidence: tuple[Evidence, ...]
    confirm: str
    analyzers: tuple[str, ...]
    symptom: str = ""

    @property
    def structural(self) -> bool:
        """Object state, not only free text, shows this fault: what an automatic fix may rest on."""
        return any(e.structural for e in self.evidence)


@dataclass(frozen=True, slots=True)
class TriageReport:
    """The result of one triage run over a namespace."""

    namespace: str
    hypotheses: tuple[Hypothesis, ...]
    findings: tuple[Finding, ...]
    reads: tuple[str, ...]
    """Every read call triage made, in order (`tool(arg=value, ...)`)."""
    unavailable: tuple[str, ...] = field(default=())
    """Read calls the backend could not answer (not captured, not found); triage went on without them."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
