"""Episodes → training data: step-level samples and trajectory records, as JSONL and as Hugging Face datasets.

An export folder holds:

* `steps.jsonl` and `steps/` (a `datasets.Dataset` saved with `save_to_disk`): one **step sample** per Observer
  decision — the exact prompt the model answered and what it answered;
* `trajectories.jsonl` and `trajectories/`: one **trajectory record** per exported episode;
* `quarantine.jsonl`: one line per episode that was held back, with the reason (and no content);
* `manifest.json`: the filters, the counts and the schema version.

Step sample (every column is JSON/Arrow-friendly; structured values that vary in shape are JSON strings):

| column        | type        | meaning                                                                          |
|---------------|-------------|----------------------------------------------------------------------------------|
| id            | str         | sha256 (16 hex) of messages + completion: the de-duplication key                 |
| provenance    | str         | `episode:<thread>` for exported steps; the evolver writes its own                |
| thread_id     | str         | the episode                                                                       |
| step          | int         | the Observer step (0-based)                                                       |
| task_type     | str         | detection, localization, analysis, mitigation, question, rca                      |
| app           | str         | the simulated application ("" for replayed snapshots)                             |
| cluster       | str         | the cluster spec the episode ran on                                               |
| family        | str         | the fault family ("" for a healthy cluster)                                       |
| split         | str         | train, heldout or external                                                        |
| agent         | str         | the model (or policy) that answered                                               |
| messages      | list        | `[{role, content}]`: the Observer's exact prompt messages at this step            |
| completion    | str         | the raw completion                                                                |
| decision      | str         | the parsed decision as JSON, "" when the completion did not parse                 |
| action        | str         | probe, act or submit ("" when it did not parse)                                   |
| error         | str         | why it did not parse ("" when it did)                                             |
| services      | list[str]   | the application's services (the only valid service names)                         |
| tools         | str         | JSON `{"read": {name: input schema}, "write": {...}}`: the tool registry          |
| labels        | str         | JSON ground truth: faulty_components, system_level, fault_type, fault_object,     |
|               |             | mitigated_before_step (mitigation: the fault was fixed before this step)          |
| outcome       | str         | how the episode ended                                                             |
| episode_score | float       | the episode's oracle score (-1 when it has none)                                  |
| reward        | float       | the completion's weighted step reward (`aoi.training.rewards.score`)              |

A failed parse is exported too (GRPO uses every prompt); SFT keeps only rows with a `decision`. For a failed parse
the retry turns the agent appended after the completion are removed, so `messages` is still the prompt of
`completion`.

Safety: every text is passed through the redaction again (`aoi.tools.redaction`); an episode where that changes
anything is quarantined (a secret slipped past the agent's redaction). So are episodes whose telemetry was flagged
as a prompt-injection attempt, episodes with a write attempt that was not approved (refused before approval, a
write in a diagnosis task, a target seen only in injected telemetry, declined by automatic approval, rejected by
the operator, or executed with no recorded approval), and episodes with an approved write that no diagnosis backs
(`aoi.diagnosis.backing`: a person may approve such a write, but an episode that obeyed text in telemetry must not
become training data). Unfinished episodes are skipped.

`append_samples` is how other producers (the evolver's corrective samples) add rows to an export.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from aoi.store.episodes import EpisodeStore
from aoi.tools.redaction import redact, redact_text
from aoi.training.splits import SPLIT_CHOICES, episode_family, episode_split

SCHEMA_VERSION = 1
STEP_COLUMNS: tuple[str, ...] = (
    "id", "provenance", "thread_id", "step", "task_type", "app", "cluster", "family", "split", "agent", "messages",
    "completion", "decision", "action", "error", "services", "tools", "labels", "outcome", "episode_score", "reward")
"""The step sample's columns, in order (see the module docstring)."""

UNAPPROVED_FLAGS = {"write_in_diagnosis": "a write attempt in a diagnosis-only task",
                    "uncorroborated_target": "a write at a target the probe had not shown",
                    "injection_target": "a write at a target seen only in injected telemetry",
                    "refused_write": "a write refused before approval",
                    "unbacked_write": "a write no diagnosis backs, declined by automatic approval"}
_RETRY_PREFIX = "That decision was invalid"


class ExportError(ValueError):
    """The export cannot be made or extended as asked; the message says what to change."""


@dataclass(slots=True)
class ExportReport:
    out_dir: Path
    episodes: int = 0
    steps: int = 0
    duplicates: int = 0
    skipped: int = 0
    """Episodes not finished, or outside the filters."""
    quarantined: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"out_dir": str(self.out_dir), "episodes": self.episodes, "steps": self.steps,
                "duplicates": self.duplicates, "skipped": self.skipped, "quarantined": len(self.quarantined)}


def export_episodes(conn: sqlite3.Connection, out_dir: str | Path, *, split: str = "all",
                    agents: Sequence[str] = (), outcomes: Sequence[str] = (), datasets: bool = True) -> ExportReport:
    """Export the finished episodes of the database `conn` that pass the filters into `out_dir` (replaced).

    `agents` match an episode's model name, or its prefix before `:` (`embedded`, `expert`, `scripted`), or the
    agent an evaluation run recorded for it; `outcomes` match its outcome (`submitted`, `budget_exhausted`, ...).

    Raises:
        ExportError: an unknown split.
    """
    if split not in SPLIT_CHOICES:
        raise ExportError(f"unknown split {split!r}; valid: {', '.join(SPLIT_CHOICES)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    store = EpisodeStore(conn)
    eval_agents, eval_splits = _eval_index(conn)
    report = ExportReport(out)
    samples: dict[str, dict[str, Any]] = {}
    trajectories: list[dict[str, Any]] = []
    rows = conn.execute("SELECT thread_id FROM episodes ORDER BY created_at, thread_id").fetchall()
    for (thread,) in rows:
        episode = store.episode(thread)
        assert episode is not None
        # An evaluation's held-out label always stands; otherwise the cluster decides (seeds included).
        ep_split = "heldout" if eval_splits.get(thread) == "heldout" else episode_split(episode["cluster"])
        agent = str(episode["model"])
        if (episode["status"] != "done" or (split != "all" and ep_split != split)
                or (agents and not _agent_matches(agent, eval_agents.get(thread), agents))
                or (outcomes and episode.get("outcome") not in outcomes)):
            report.skipped += 1
            continue
        steps = store.steps(thread)
        approvals = store.approvals(thread)
        reason = quarantine_reason(episode, steps, approvals)
        if reason:
            report.quarantined.append({"thread_id": thread, "reason": reason, "flags": episode.get("flags") or []})
            continue
        episode_rows = step_samples(episode, steps, ep_split)
        for row in episode_rows:
            if row["id"] in samples:
                report.duplicates += 1
            else:
                samples[row["id"]] = row
        trajectories.append(trajectory_record(episode, steps, approvals, ep_split))
        report.episodes += 1
    report.steps = len(samples)
    _write_jsonl(out / "steps.jsonl", samples.values())
    _write_jsonl(out / "trajectories.jsonl", trajectories)
    _write_jsonl(out / "quarantine.jsonl", report.quarantined)
    if datasets:
        _save_dataset(out / "steps.jsonl", out / "steps")
        _save_dataset(out / "trajectories.jsonl", out / "trajectories")
    manifest = {"schema_version": SCHEMA_VERSION, "created_at": datetime.now(UTC).isoformat(),
                "filters": {"split": split, "agents": list(agents), "outcomes": list(outcomes)},
                **report.to_dict(), "out_dir": str(out)}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return report


def append_samples(out_dir: str | Path, samples: Iterable[Mapping[str, Any]], *, provenance: str,
                   datasets: bool = True) -> int:
    """Append step samples (the module's schema) to an export, de-duplicated by `id`; returns how many were new.

    Each sample needs at least `messages`, `completion`, `task_type`, `services`, `tools` and `labels`; missing
    optional columns get neutral values (`decision` and `action` are parsed from the completion), `id` is computed
    when absent, and `provenance` is set on every row (e.g.
    `evolver:repair:<thread>:<step>`). Set `split` from the problem the sample came from: training reads a sample
    without one as `train`, so a held-out problem's sample must carry `heldout`. Text is redacted before it is
    written. The `steps/` dataset is rebuilt.

    Raises:
        ExportError: `out_dir` is not an export, or a sample lacks a required column.
    """
    out = Path(out_dir)
    path = out / "steps.jsonl"
    if not path.is_file():
        raise ExportError(f"{out} has no steps.jsonl; create the export first with `aoi export --out {out}`")
    existing = {json.loads(line)["id"] for line in path.read_text().splitlines() if line.strip()}
    required = ("messages", "completion", "task_type", "services", "tools", "labels")
    new: list[dict[str, Any]] = []
    for i, sample in enumerate(samples):
        missing = [c for c in required if c not in sample]
        if missing:
            raise ExportError(f"sample {i} lacks {', '.join(missing)}; see the schema in aoi/training/export.py")
        row = _complete(dict(sample), provenance)
        if row["id"] not in existing:
            existing.add(row["id"])
            new.append(row)
    with path.open("a") as handle:
        for row in new:
            handle.write(json.dumps(row, sort_keys=True) + "\n")
    if datasets:
        _save_dataset(path, out / "steps")
    return len(new)


# -- what is exported ---------------------------------------------------------------------------------------------
def quarantine_reason(episode: Mapping[str, Any], steps: Sequence[Mapping[str, Any]],
                      approvals: Sequence[Mapping[str, Any]]) -> str:
    """Why an episode must not be trained on ("" when it may be)."""
    flags = list(episode.get("flags") or [])
    injected = sorted({f.split(":", 1)[1] for f in flags if f.startswith("injection:")})
    if injected:
        return f"telemetry flagged as a prompt-injection attempt ({', '.join(injected)})"
    for flag, why in UNAPPROVED_FLAGS.items():
        if flag in flags:
            return f"unapproved write attempt: {why}"
    rejected = [a for a in approvals if a.get("decision") != "approve"]
    if rejected:
        return f"unapproved write attempt: {rejected[0]['tool']} at step {rejected[0]['step']} was rejected"
    approved = [a for a in approvals if a.get("decision") == "approve"]
    unbacked = [a for a in approved if not a.get("backing")]
    if unbacked:
        return (f"a write no diagnosis backs: {unbacked[0]['tool']} at step {unbacked[0]['step']} was approved by "
                f"{unbacked[0].get('approver', '?')} without a triage hypothesis that object state shows")
    approved_steps = {a["step"] for a in approved}
    for step in steps:
        if step["node"] == "act" and step["step"] not in approved_steps:
            return f"unapproved write attempt: a write ran at step {step['step']} with no recorded approval"
    for step in steps:
        for column in ("prompt", "completion", "decision", "tool_calls", "results"):
            value = step.get(column)
            if value is not None and _redacted(value) != value:
                return f"the redaction re-check changed step {step['step']} ({column}): a secret was not redacted"
    return ""


def step_samples(episode: Mapping[str, Any], steps: Sequence[Mapping[str, Any]], split: str) -> list[dict[str, Any]]:
    """The step samples of one episode (its `reason` steps), in step order."""
    from aoi.training.topology import app_services

    app = _app_of(episode)
    truth = dict(episode.get("ground_truth") or {})
    fixed_after = _fixed_after(episode, steps)
    services = _services(steps) or list(app_services(app))
    rows = []
    for step in steps:
        if step["node"] != "reason" or not step.get("prompt"):
            continue
        messages = _prompt_of(step["prompt"], bool(step.get("error")))
        labels = {"faulty_components": list(truth.get("faulty_components", [])),
                  "system_level": truth.get("system_level", ""), "fault_type": truth.get("fault_type", ""),
                  "fault_object": truth.get("fault_object", ""),
                  "mitigated_before_step": fixed_after is not None and step["step"] > fixed_after}
        decision = step.get("decision")
        row = {"provenance": f"episode:{episode['thread_id']}", "thread_id": episode["thread_id"],
               "step": int(step["step"]), "task_type": episode["task_type"], "app": app,
               "cluster": episode["cluster"], "family": episode_family(episode["cluster"]), "split": split,
               "agent": str(episode["model"]), "messages": messages, "completion": step.get("completion") or "",
               "decision": json.dumps(decision, sort_keys=True) if decision else "",
               "action": (decision or {}).get("action", ""), "error": step.get("error") or "",
               "services": services, "tools": json.dumps(tool_registry(episode["task_type"] == "mitigation"),
                                                         sort_keys=True),
               "labels": json.dumps(labels, sort_keys=True), "outcome": episode.get("outcome") or "",
               "episode_score": float(episode["success"]) if episode.get("success") is not None else -1.0}
        rows.append(_complete(row, row["provenance"]))
    return rows


def trajectory_record(episode: Mapping[str, Any], steps: Sequence[Mapping[str, Any]],
                      approvals: Sequence[Mapping[str, Any]], split: str) -> dict[str, Any]:
    """One episode as a whole: its decisions, observations, writes and approvals, and its episode reward."""
    from aoi.cluster.sim.faults.base import GroundTruth
    from aoi.training.rewards import episode_reward

    truth = dict(episode.get("ground_truth") or {})
    gt = GroundTruth.from_dict(truth)
    score = episode.get("success")
    mitigated = bool(score) if episode["task_type"] == "mitigation" else None
    events = [{"step": s["step"], "node": s["node"], "decision": s.get("decision"), "error": s.get("error") or "",
               "tool_calls": s.get("tool_calls"), "results": s.get("results")} for s in steps]
    return {"thread_id": episode["thread_id"], "task_type": episode["task_type"], "app": _app_of(episode),
            "cluster": episode["cluster"], "family": episode_family(episode["cluster"]), "split": split,
            "agent": str(episode["model"]), "outcome": episode.get("outcome") or "",
            "episode_score": float(score) if score is not None else -1.0,
            "submission": json.dumps(episode.get("submission"), sort_keys=True),
            "labels": json.dumps(truth, sort_keys=True), "flags": list(episode.get("flags") or []),
            "steps": int(episode.get("steps") or 0), "events": json.dumps(_redacted(events), sort_keys=True),
            "approvals": json.dumps(_redacted([dict(a) for a in approvals]), sort_keys=True, default=str),
            "reward": episode_reward(episode["task_type"], episode.get("submission"), gt, mitigated=mitigated,
                                     flags=list(episode.get("flags") or []))}


@lru_cache(maxsize=2)
def tool_registry(with_writes: bool) -> dict[str, dict[str, Any]]:
    """The tool registry the Observer sees: read tools (the probe server's) and, for mitigation, write tools (the
    executor's), as name → MCP input schema. Built from the real servers on a throwaway simulated cluster."""
    from mcp import Client

    from aoi.cluster.readonly import ReadOnlyView
    from aoi.cluster.sim.cluster import SimCluster
    from aoi.graph.environment import run_async
    from aoi.store.db import connect
    from aoi.tools.audit import AuditLog
    from aoi.tools.executor import Executor
    from aoi.tools.executor_server import build_executor_server
    from aoi.tools.grants import GrantAuthority
    from aoi.tools.probe import build_probe_server

    cluster = SimCluster("hotel-reservation", seed=0)
    servers = {"read": build_probe_server(ReadOnlyView(cluster), default_namespace="default")}
    if with_writes:
        conn, key = connect(":memory:"), b"k" * 32
        authority = GrantAuthority(key)
        servers["write"] = build_executor_server(Executor(cluster, conn, authority, AuditLog(conn, key)), authority)

    async def listed(server: Any) -> dict[str, Any]:
        async with Client(server) as client:
            return {t.name: t.input_schema for t in (await client.list_tools()).tools}

    registry = {kind: run_async(lambda s=server: listed(s)) for kind, server in servers.items()}
    return {"read": registry["read"], "write": registry.get("write", {})}


# -- helpers --------------------------------------------------------------------------------------------------
def sample_id(messages: Any, completion: str) -> str:
    payload = json.dumps({"messages": messages, "completion": completion}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _complete(row: dict[str, Any], provenance: str) -> dict[str, Any]:
    """A sample with every column, redacted, its id and reward computed."""
    from aoi.training.rewards import context_from_columns, parse_completion, score

    defaults: dict[str, Any] = {"thread_id": "", "step": 0, "app": "", "cluster": "", "family": "", "split": "",
                                "agent": "", "decision": "", "action": "", "error": "", "outcome": "",
                                "episode_score": -1.0}
    row = {**defaults, **row, "provenance": provenance}
    row["messages"] = [{"role": str(m["role"]), "content": redact_text(str(m["content"]))} for m in row["messages"]]
    row["completion"] = redact_text(str(row["completion"]))
    row["services"] = [str(s) for s in row["services"]]
    for column in ("tools", "labels", "decision"):
        if not isinstance(row[column], str):
            row[column] = json.dumps(row[column], sort_keys=True)
    row["id"] = row.get("id") or sample_id(row["messages"], row["completion"])
    ctx = context_from_columns(row, prompt="\n".join(m["content"] for m in row["messages"]))
    if not row["decision"]:  # an appended sample may give only the completion
        parsed = parse_completion(row["completion"], ctx)
        if parsed.decision is not None:
            row["decision"] = json.dumps(parsed.decision.model_dump(), sort_keys=True)
            row["action"] = parsed.decision.action
    row["reward"] = round(score(row["completion"], ctx)[0], 6)
    return {column: row[column] for column in STEP_COLUMNS}


def _prompt_of(messages: list[dict[str, str]], failed: bool) -> list[dict[str, str]]:
    if failed and len(messages) >= 2 and messages[-1]["role"] == "user" \
            and messages[-1]["content"].startswith(_RETRY_PREFIX) and messages[-2]["role"] == "assistant":
        return messages[:-2]
    return messages


def _fixed_after(episode: Mapping[str, Any], steps: Sequence[Mapping[str, Any]]) -> int | None:
    """The step of the last applied write of a mitigation that ended mitigated (None otherwise): the fault is
    taken as fixed from the next step on, as nothing was written after it."""
    if episode["task_type"] != "mitigation" or not episode.get("success"):
        return None
    applied = [s["step"] for s in steps if s["node"] == "act"
               and any(str(r.get("verdict", "")).startswith("applied") and "rolled back" not in str(r.get("verdict"))
                       for r in s.get("results") or [])]
    return max(applied) if applied else None


def _services(steps: Sequence[Mapping[str, Any]]) -> list[str]:
    """The services line of the first prompt (what the Observer was told), else []."""
    for step in steps:
        for message in step.get("prompt") or []:
            for line in str(message.get("content", "")).splitlines():
                if line.startswith("Services: ") and "(unknown" not in line:
                    return [s.strip() for s in line.removeprefix("Services: ").split(",") if s.strip()]
    return []


def _app_of(episode: Mapping[str, Any]) -> str:
    cluster = str(episode.get("cluster") or "")
    if not cluster.startswith("sim:"):
        return ""
    return cluster.removeprefix("sim:").split("?", 1)[0].split("/", 1)[0]


def _redacted(value: Any) -> Any:
    return redact_text(value) if isinstance(value, str) else redact(value)


def _agent_matches(model: str, eval_agent: str | None, agents: Sequence[str]) -> bool:
    names = {model, model.split(":", 1)[0]} | ({eval_agent} if eval_agent else set())
    return any(a in names for a in agents)


def _eval_index(conn: sqlite3.Connection) -> tuple[dict[str, str], dict[str, str]]:
    """thread → agent and thread → split, for episodes an evaluation run recorded (empty without those tables)."""
    try:
        rows = conn.execute("SELECT e.thread_id, r.agent, e.split FROM eval_episodes e "
                            "JOIN eval_runs r ON r.name = e.run_name").fetchall()
    except sqlite3.OperationalError:
        return {}, {}
    return {r[0]: r[1] for r in rows}, {r[0]: r[2] for r in rows}


def _write_jsonl(path: Path, rows: Iterable[Mapping[str, Any]]) -> None:
    tmp = path.with_suffix(".jsonl.partial")
    with tmp.open("w") as handle:
        for row in rows:
            handle.write(json.dumps(row, sort_keys=True, default=str) + "\n")
    tmp.replace(path)


def _save_dataset(jsonl: Path, target: Path) -> None:
    """The JSONL as a `datasets.Dataset` on disk (replacing `target`); an empty file gives an empty dataset."""
    import shutil

    from datasets import Dataset

    rows = [json.loads(line) for line in jsonl.read_text().splitlines() if line.strip()]
    dataset = Dataset.from_list(rows) if rows else Dataset.from_dict({})
    tmp = target.with_name(target.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    dataset.save_to_disk(str(tmp))
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
