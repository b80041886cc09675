"""The agent as an MCP server: an IDE agent (Claude Code, Cursor, VS Code) asks AOI to diagnose, and the person
at the keyboard approves AOI's writes.

Tools:
* `diagnose` runs an episode until it submits or pauses at a proposed write; it returns the thread id, the outcome
  or the pending proposal (tool, arguments, dry-run diff, undo plan, evidence).
* `approve_pending` answers a paused thread's proposal. The answer comes from the person, never from the calling
  model: the server asks through MCP elicitation, showing the proposal and its diff, and resumes the thread with
  what the person said. A client that cannot elicit gets a refusal that says how to approve in a terminal
  (`aoi diagnose --thread ...`). There is no argument through which the model could approve on its own.
* `episode` and `list_episodes` read the record.

Episodes run in a worker thread (the runner is synchronous); each call opens its own runner, so a thread paused
here can be resumed from the terminal and the other way round.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio
from mcp.server.mcpserver import (
    AcceptedElicitation,
    CancelledElicitation,
    Context,
    DeclinedElicitation,
    Elicit,
    MCPServer,
    Resolve,
)
from mcp_types import ToolAnnotations
from pydantic import BaseModel

from aoi.cluster.interface import ClusterError
from aoi.graph.builder import pending_approval
from aoi.graph.runner import EpisodeConfig, EpisodeResult, EpisodeRunner, answer_once
from aoi.graph.state import Budget
from aoi.store.db import connect, default_db_path
from aoi.store.episodes import EpisodeStore
from aoi.store.ids import check_id
from aoi.tools.redaction import redact_text

IDE_APPROVER = "ide-user"
TaskName = Literal["detection", "localization", "analysis", "mitigation", "question"]


class Answer(BaseModel):
    """What the person is asked about a proposed write."""

    approve: bool
    """Apply exactly this change?"""
    reason: str = ""
    """Why (recorded with the decision; shown to the agent when you reject)."""


class AgentServer(MCPServer):
    """An MCPServer that knows where episodes are stored and how to open a runner for a thread."""

    def __init__(self, open_runner: Callable[..., EpisodeRunner], db: Path | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.open_runner = open_runner
        self.db = db

    def store(self) -> EpisodeStore:
        return EpisodeStore(connect(self.db))


def describe_proposal(proposal: dict[str, Any]) -> str:
    """The proposal as the person reads it: the write, why, the diff, how to undo it."""
    args = json.dumps(proposal.get("args", {}), sort_keys=True)
    evidence = "\n".join(f"  - {redact_text(str(e))}" for e in proposal.get("evidence", [])[:6])
    return (f"AOI proposes {proposal.get('tool')} {args}\n"
            f"Hypothesis: {redact_text(str(proposal.get('hypothesis', '')))} "
            f"(confidence {proposal.get('confidence', 0)}%)\n"
            + (f"Evidence:\n{evidence}\n" if evidence else "")
            + f"Dry-run diff:\n{redact_text(str(proposal.get('diff', ''))).rstrip() or '(no change)'}\n"
            f"Undo plan: {proposal.get('undo_plan', '')}")


def _pending_of(server: AgentServer, thread: str) -> dict[str, Any] | None:
    return pending_approval(server.db or default_db_path(), thread)


async def _ask_person(ctx: Context, thread: str) -> Any:
    """Resolver: elicit the person's answer to the thread's pending proposal; None when nobody can be asked."""
    server = ctx.mcp_server
    capabilities = ctx.client_capabilities
    if not isinstance(server, AgentServer) or capabilities is None or capabilities.elicitation is None:
        return None
    pending = await anyio.to_thread.run_sync(_pending_of, server, thread)
    if pending is None:
        return None
    return Elicit(f"{describe_proposal(pending)}\n\nApprove exactly this change?", Answer)


ApprovalParam = Annotated[AcceptedElicitation[Answer] | DeclinedElicitation | CancelledElicitation | None,
                          Resolve(_ask_person)]
"""Injected by the framework (never part of the tool's input schema): the person's answer; when nobody was asked
the framework passes an accepted outcome whose `data` is None."""


def render_result(result: EpisodeResult) -> str:
    """An episode result as the calling model reads it."""
    lines = [f"thread: {result.thread_id}", f"status: {result.status}", f"steps: {result.steps}"]
    if result.status == "awaiting_approval" and result.pending is not None:
        lines += ["", describe_proposal(result.pending), "",
                  "The person at the keyboard must approve or reject this: call approve_pending with this thread "
                  "(they will be asked), or run in a terminal: "
                  f"aoi diagnose --cluster '<same cluster>' --task <same task> --thread {result.thread_id}"]
    else:
        lines.append(f"outcome: {result.outcome}")
        lines.append(f"submission: {json.dumps(result.submission)}")
        if result.success is not None:
            lines.append(f"graded: score {result.score}")
    for write in result.writes:
        lines.append(f"write: {write.get('tool')} {write.get('status')}"
                     f"{' (rolled back)' if write.get('rolled_back') else ''}")
    if result.flags:
        lines.append(f"flags: {', '.join(result.flags)}")
    return "\n".join(lines)


def build_agent_server(*, default_cluster: str | None = None, model: str = "embedded", db: Path | None = None,
                       budget: Budget | None = None, model_override: Any = None) -> AgentServer:
    """The agent server. `model_override` (a `Model`) replaces `model` for every episode (tests, notebooks)."""

    def open_runner(*, thread: str, cluster: str | None = None, task: str = "question", question: str | None = None,
                    answer: dict[str, Any] | None = None) -> EpisodeRunner:
        if cluster is None:
            episode = EpisodeStore(connect(db)).episode(thread)
            if episode is None:
                raise ValueError(f"no episode {thread!r}")
            cluster, task, question = episode["cluster"], episode["task_type"], episode["task_text"]
        config = EpisodeConfig(cluster, task, model=model, approve="ask", question=question,  # type: ignore[arg-type]
                               thread_id=thread, db=db, budget=budget or Budget())
        return EpisodeRunner(config, model=model_override, ask_approval=answer_once(answer) if answer else None)

    server = AgentServer(open_runner, db, name="aoi-agent", log_level="WARNING", instructions=(
        "AOI diagnoses faults in Kubernetes microservices with read-only tools and proposes fixes that a person "
        "approves. Call `diagnose` with a cluster spec and a task; if it pauses for approval, call "
        "`approve_pending` — the user is asked, you cannot answer for them."))

    read = ToolAnnotations(read_only_hint=True, open_world_hint=False)

    @server.tool(annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False))
    async def diagnose(task: TaskName, cluster: str | None = None, question: str | None = None,
                       thread: str | None = None) -> str:
        """Diagnose a cluster: investigate with read-only tools, then submit (or, for `mitigation`, propose a fix
        that pauses for the user's approval). `cluster`: sim:APP[/FAULT?seed=N&target=C]; `question`: the
        symptom or question for task `question`; `thread`: continue an earlier thread."""
        spec = cluster or default_cluster
        if spec is None:
            return "error: no cluster given and the server has no default (start it with --cluster)"
        thread_id = thread or f"ide-{uuid.uuid4().hex[:10]}"
        try:
            runner = await anyio.to_thread.run_sync(
                lambda: open_runner(thread=thread_id, cluster=spec, task=task, question=question))
            result = await anyio.to_thread.run_sync(runner.run)
        except (ClusterError, ValueError) as exc:
            return f"error: {exc}"
        return render_result(result)

    @server.tool(annotations=ToolAnnotations(read_only_hint=False, destructive_hint=True, open_world_hint=False))
    async def approve_pending(thread: str, approval: ApprovalParam = None) -> str:
        """Ask the user to approve or reject the write a paused thread proposes, then continue the thread."""
        try:
            check_id(thread)
        except ValueError as exc:
            return f"error: {exc}"
        if approval is None or (isinstance(approval, AcceptedElicitation) and approval.data is None):
            return (f"refused: nobody was asked — this client cannot show the user a confirmation, or thread "
                    f"{thread!r} is not waiting for an approval. A person approves in a terminal with "
                    f"`aoi diagnose --cluster <spec> --task <task> --thread {thread}` (or `aoi chat --resume "
                    f"{thread}`).")
        if isinstance(approval, AcceptedElicitation) and approval.data.approve:
            answer = {"action": "approve", "approver": IDE_APPROVER, "channel": "elicitation",
                      "reason": approval.data.reason}
        else:
            reason = approval.data.reason if isinstance(approval, AcceptedElicitation) else ""
            answer = {"action": "reject", "approver": IDE_APPROVER,
                      "reason": reason or f"the user answered {getattr(approval, 'action', 'no')}"}
        try:
            runner = await anyio.to_thread.run_sync(lambda: open_runner(thread=check_id(thread), answer=answer))
            result = await anyio.to_thread.run_sync(runner.run)
        except (ClusterError, ValueError) as exc:
            return f"error: {exc}"
        return render_result(result)

    @server.tool(annotations=read)
    def episode(thread: str) -> str:
        """One episode: its task, status, outcome and each step's decision."""
        try:
            check_id(thread)
        except ValueError as exc:
            return f"error: {exc}"
        store = server.store()
        row = store.episode(thread)
        if row is None:
            return f"error: no episode {thread!r}; call list_episodes"
        lines = [f"{thread}: {row['task_type']} on {row['cluster']} — {row['status']}, outcome {row['outcome']}, "
                 f"score {row['success']}"]
        for step in store.steps(thread):
            decision = step.get("decision") or {}
            lines.append(f"{step['step']:>3} {step['node']:<8} {decision.get('action') or ''} "
                         f"{redact_text(step.get('error') or decision.get('hypothesis', ''))}"[:200])
        return "\n".join(lines)

    @server.tool(annotations=read)
    def list_episodes(limit: int = 20) -> str:
        """The most recent episodes, newest first."""
        rows = server.store().episodes(limit=max(1, min(limit, 200)))
        return "\n".join(f"{r['thread_id']} {r['task_type']} {r['status']} {r['outcome'] or '-'} {r['cluster']}"
                         for r in rows) or "no episodes yet"

    return server
