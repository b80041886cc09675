"""Symptom signatures: what an episode showed, as a short bag of canonical tokens free of names.

The same extractor reads a failed episode's tool output (to key a lesson) and a new episode's memory (to look
lessons up), so the two meet in the same vocabulary. Tokens are lowercase letters and digits only — SQLite FTS5's
default tokenizer keeps them whole — and never contain a service, pod or node name: guidance is keyed by what was
seen, never by which component it was seen on, nor by the problem.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

SYMPTOMS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((token, re.compile(pattern, re.I)) for token, pattern in (
    # pod and container states
    ("crashloopbackoff", r"CrashLoopBackOff"),
    ("imagepullbackoff", r"ImagePullBackOff|ErrImagePull|InvalidImageName"),
    ("oomkilled", r"OOMKilled"),
    ("createcontainerconfigerror", r"CreateContainerConfigError|CreateContainerError|RunContainerError"),
    ("podpending", r"\s0/\d+\s+Pending\s|\bPending\b.*\bnode"),
    ("containercreating", r"ContainerCreating"),
    ("podnotready", r"\s0/[1-9]\d*\s+Running\s"),
    ("evicted", r"\bEvicted\b"),
    # events
    ("failedscheduling", r"FailedScheduling|didn't match|Insufficient (?:cpu|memory)|untolerated taint"),
    ("failedmount", r"FailedMount|FailedAttachVolume|unbound immediate PersistentVolumeClaims|ProvisioningFailed"),
    ("failedcreate", r"FailedCreate|exceeded quota|forbidden: .*serviceaccount"),
    ("backoff", r"Back-off restarting failed container"),
    ("probefailed", r"Liveness probe failed|Readiness probe failed"),
    ("nodenotready", r"NodeNotReady|NODE_NOT_READY|\bNotReady\b"),
    # alerts and metrics
    ("errorspike", r"ERROR_SPIKE"),
    ("latency", r"LATENCY_DEGRADATION"),
    ("throughputdrop", r"THROUGHPUT_DROP"),
    ("podrestarts", r"POD_RESTARTS"),
    ("replicasunavailable", r"REPLICAS_UNAVAILABLE"),
    ("noanomaly", r'"status":\s*"(?:healthy|no_anomalies|normal)"|no anomalies'),
    # what the logs say
    ("authfailed", r"Authentication failed|not authori[sz]ed|unauthori[sz]ed|SASL authentication|auth(?:entication)? "
                   r"error|Invalid token"),
    ("connrefused", r"connection refused"),
    ("iotimeout", r"i/o timeout|context deadline exceeded|timed out"),
    ("dnsfailure", r"no such host|server misbehaving"),
    ("noreachableservers", r"no reachable servers"),
    ("permissiondenied", r"permission denied"),
    ("rpcunavailable", r"code = Unavailable"),
    ("featureflag", r"\(flag [A-Za-z]+\)|feature flag"),
    ("panic", r"\bpanic:|segmentation fault|core dumped"),
    ("noendpoints", r"no endpoints|endpoints:\s*<none>|Endpoints:\s*$"),
    ("portmismatch", r"targetPort|port mismatch"),
))
"""(token, pattern): a token joins the signature when its pattern matches anything the agent saw."""

TASK_TOKEN = "task{}"
"""The task type is part of every signature (`tasklocalization` ...), so lessons meet their kind of task."""

_TOKEN_SHAPE = re.compile(r"[a-z0-9]+")


def symptom_tokens(texts: Iterable[str]) -> list[str]:
    """The symptom tokens that any of `texts` shows, in vocabulary order (no duplicates)."""
    found: set[str] = set()
    for text in texts:
        for token, pattern in SYMPTOMS:
            if token not in found and pattern.search(text):
                found.add(token)
    return [token for token, _ in SYMPTOMS if token in found]


def signature(task_type: str, texts: Iterable[str]) -> str:
    """The symptom signature: the task token, then the symptom tokens, space-separated."""
    return " ".join([TASK_TOKEN.format(task_type), *symptom_tokens(texts)])


def is_token(text: str) -> bool:
    return bool(_TOKEN_SHAPE.fullmatch(text))


def abstract_names(text: str, names: Iterable[str], *, placeholder: str = "<service>") -> str:
    """`text` with every occurrence of one of `names` (also inside pod names or `geo-db`) replaced by `placeholder`.

    Longer names are replaced first, so `mongodb-geo` is not half-replaced by `geo`.
    """
    ordered = sorted({n for n in names if n}, key=len, reverse=True)
    if not ordered:
        return text
    pattern = re.compile(r"(?<![A-Za-z0-9])(?:" + "|".join(re.escape(n) for n in ordered) + r")(?:-[a-z0-9]+)*"
                         r"(?![A-Za-z0-9])", re.I)
    return pattern.sub(placeholder, text)
