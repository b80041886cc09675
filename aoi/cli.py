"""The `aoi` command.

Nothing happens at import: commands build what they need when they run, and write results to stdout only
(diagnostics go to stderr), so the same entry point can later serve MCP over stdio.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from aoi.cluster.sim.apps.catalog import APPS
from aoi.cluster.sim.mesh import MESHES

if TYPE_CHECKING:
    from aoi.cluster.readonly import ReadOnlyView
    from aoi.tools.audit import AuditLog

DEMO_APP = "hotel-reservation"
DEMO_FAULT = "revoke_auth_mongodb"


class _CommandError(click.ClickException):
    """A failure the user can act on (a corrupt database, a bad spec, a model that raised): one redacted
    `Error: ...` line on stderr, exit 1, no traceback."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        from aoi.tools.redaction import redact_text

        line = " ".join(redact_text(message).split())
        super().__init__(line if len(line) <= 500 else line[:499] + "…")


class _Main(click.Group):
    """The `aoi` group: turns the failures every command can meet into a `_CommandError`.

    The `audit` commands are left to report for themselves: there a broken database is evidence of tampering.
    """

    def invoke(self, ctx: click.Context) -> Any:
        import sqlite3

        from aoi.cluster.interface import ClusterError
        from aoi.graph.models.base import ModelError
        from aoi.graph.runner import EpisodeFailedError
        from aoi.store.db import StoreError

        try:
            return super().invoke(ctx)
        except (StoreError, sqlite3.DatabaseError, ClusterError, EpisodeFailedError, ModelError, ValueError,
                OSError) as exc:
            if ctx.invoked_subcommand == "audit":
                raise
            prefix = "database: " if isinstance(exc, sqlite3.DatabaseError) else ""
            raise _CommandError(f"{prefix}{exc}") from exc


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(package_name="aoi")
def main() -> None:
    """AOI: a trainable, safety-first SRE agent for Kubernetes microservices.

    \b
    Start with the embedded simulated cluster:
      aoi sim faults                     # the fault library
      aoi sim show --app hotel-reservation --fault revoke_auth_mongodb --seed 0
      aoi demo                           # the same incident, as `make demo` shows it
    """


@main.group()
def sim() -> None:
    """The embedded simulated Kubernetes cluster and its fault library."""


@sim.command("faults")
@click.option("--app", type=click.Choice(sorted(APPS)), help="Only faults that apply to this app.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
def sim_faults(app: str | None, as_json: bool) -> None:
    """List the fault library: one entry per (family, app).

    \b
    Examples:
      aoi sim faults
      aoi sim faults --app online-boutique --json

    A root cause real clusters show in several shapes lists its variants (the first is the default); pick one with
    `aoi sim show --variant NAME` or `sim:APP/FAULT?variant=NAME`.
    """
    from aoi.cluster.sim.faults import catalog

    entries = [e for e in catalog() if app is None or e["app"] == app]
    if as_json:
        click.echo(json.dumps(entries, indent=2))
        return
    click.echo(f"{'FAMILY':<48}{'APP':<20}{'TARGET':<24}{'LEVEL':<24}{'FAULT TYPE':<48}VARIANTS")
    for e in entries:
        variants = ",".join(v["name"] for v in e["variants"])  # type: ignore[attr-defined]
        click.echo(f"{e['family']:<48}{e['app']:<20}{e['target'] or '-':<24}{e['system_level']:<24}"
                   f"{e['fault_type']:<48}{variants}")


@sim.command("show")
@click.option("--app", required=True, type=click.Choice(sorted(APPS)), help="Application to run.")
@click.option("--fault", "family", required=True, help="Fault family (see `aoi sim faults`), or `noop`.")
@click.option("--target", default=None, help="Fault target component (default: the family's usual target).")
@click.option("--seed", default=0, show_default=True, type=int, help="Random seed: same seed, same output.")
@click.option("--ticks", default=24, show_default=True, type=click.IntRange(1, 720),
              help="Ticks (5 s each) to run after injecting the fault.")
@click.option("--clean", is_flag=True, help="Without the background of a real cluster (earlier incidents' events, "
              "ages, missing alert rules).")
@click.option("--mesh", type=click.Choice(MESHES), default=None,
              help="Run the app under a service mesh (istio: sidecars; online-boutique only).")
@click.option("--variant", default=None, help="The fault's variant (see `aoi sim faults`; default: the first with "
              "--clean, else one drawn from the seed).")
@click.option("--json", "as_json", is_flag=True, help="Print {ground_truth, evidence, ...} as JSON.")
def sim_show(app: str, family: str, target: str | None, seed: int, ticks: int, clean: bool, mesh: str | None,
             variant: str | None,
             as_json: bool) -> None:
    """Inject a fault into the simulated app and show the incident as a human first sees it.

    \b
    Examples:
      aoi sim show --app online-boutique --fault oom_killed --seed 1
      aoi sim show --app social-network --fault k8s_target_port-misconfig --target text-service --json
      aoi sim show --app online-boutique --fault oom_killed --clean
      aoi sim show --app online-boutique --fault service_selector_mismatch --mesh istio
      aoi sim show --app online-boutique --fault oom_killed --variant runtime
    """
    click.echo(_show(app, family, target, seed, ticks, as_json, clean=clean, mesh=mesh, variant=variant), nl=False)


@main.command()
@click.option("--cluster", "spec", required=True,
              help="Cluster spec: sim:APP or sim:APP/FAULT?seed=N&target=COMPONENT.")
@click.option("--task", type=click.Choice(["detection", "localization", "analysis", "mitigation", "question"]),
              required=True)
@click.option("--question", default=None, help="The question, for --task question.")
@click.option("--model", default="embedded", show_default=True,
              help="embedded | scripted:FILE.jsonl | PATH.gguf | openai:NAME")
@click.option("--approve", type=click.Choice(["ask", "deny", "auto"]), default="ask", show_default=True,
              help="How proposed writes are approved; auto only on simulated clusters (recorded).")
@click.option("--thread", "thread_id", default=None, help="Thread id (default: a new one). Reuse to resume.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON instead of streaming.")
def diagnose(spec: str, task: str, question: str | None, model: str, approve: str, thread_id: str | None, seed: int,
             db: Path | None, as_json: bool) -> None:
    """Run one diagnosis episode, streaming each step.

    \b
    Examples:
      aoi diagnose --cluster 'sim:hotel-reservation/revoke_auth_mongodb?target=mongodb-geo' --task localization
      aoi diagnose --cluster sim:online-boutique/oom_killed --task mitigation --approve ask
      aoi diagnose --cluster sim:online-boutique --task detection --model scripted:decisions.jsonl --json
    """
    result = _run_episode(spec, task, question, model, approve, thread_id, seed, db, stream=not as_json)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, default=str))
    elif result.status == "awaiting_approval":
        click.echo(f"paused for approval; continue with: aoi diagnose --cluster '{spec}' --task {task} "
                   f"--thread {result.thread_id}")


@main.command("triage")
@click.option("--cluster", "spec", required=True,
              help="sim:APP[/FAULT?seed=N&target=COMPONENT], replay:CASE_DIR or kube:CONTEXT[/NAMESPACE].")
@click.option("--service", default=None, help="Only hypotheses about this service (plus node and namespace causes).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (hypotheses, reads, unavailable).")
@click.option("--limit", default=5, show_default=True, type=click.IntRange(1, 20), help="Hypotheses to show.")
def triage_cmd(spec: str, service: str | None, as_json: bool, limit: int) -> None:
    """Rank root-cause hypotheses for a cluster's namespace, read-only (like `k8sgpt analyze`).

    Analyzers read pods, events, nodes, claims, Services, specs and alerts through the probe's read-only view and
    rank (root cause, object) pairs, each with quoted evidence and the probe call that confirms it. No model, no
    writes, no ground truth. The namespace is the spec's (the simulated app's, the snapshot's, the kube context's).

    \b
    Examples:
      aoi triage --cluster sim:online-boutique/oom_killed
      aoi triage --cluster sim:social-network/liveness_probe_incorrect_port --service text-service
      aoi triage --cluster replay:../shared/data/cloud-opsbench-dev/runtime/22 --json
      aoi triage --cluster kube:aoi-probe/test-hotel-reservation --limit 3
    """
    from aoi.cluster.interface import ClusterError
    from aoi.diagnosis import as_json as report_json
    from aoi.diagnosis import render
    from aoi.diagnosis.triage import DEFAULT_BUDGET
    from aoi.tools.probe import checked_triage

    try:
        view, namespace = _read_only_view(spec)
        report = checked_triage(view, namespace, service)
    except (ClusterError, ValueError) as exc:
        raise _CommandError(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(report_json(report, limit=limit), indent=2))
    else:
        click.echo(render(report, budget=max(DEFAULT_BUDGET, 1000 * limit), limit=limit))


def _read_only_view(spec: str) -> tuple[ReadOnlyView, str]:
    """The cluster behind `spec` as a `ReadOnlyView`, and its default namespace, opened as `aoi mcp probe` opens it;
    the backend goes out of scope here, so the caller holds no write method."""
    from aoi.cluster.readonly import ReadOnlyView
    from aoi.tools.wiring import open_cluster

    cluster = open_cluster(spec)
    return ReadOnlyView(cluster), cluster.namespace


@main.command()
@click.option("--cluster", "spec", default=None, help="Cluster spec (default: pick a simulated incident).")
@click.option("--model", default="embedded", show_default=True)
@click.option("--resume", "thread_id", default=None, help="Continue a thread (also after a crash).")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None)
def chat(spec: str | None, model: str, thread_id: str | None, db: Path | None) -> None:
    """An interactive diagnosis session: describe a symptom (or pick an incident) and watch the agent work.

    Proposed writes show their diff and wait for you (approve / reject / edit). Ctrl-C pauses after the step in
    progress (twice: at once); resume with
    `aoi chat --resume THREAD`.
    """
    from aoi.store.episodes import EpisodeStore

    task, question = "question", None
    if thread_id:
        from aoi.store.db import connect

        episode = EpisodeStore(connect(db)).episode(thread_id)
        if episode is None:
            raise click.ClickException(f"no episode {thread_id!r}; see `aoi episodes list`")
        spec, task, question = episode["cluster"], episode["task_type"], episode["task_text"]
    if spec is None:
        spec = click.prompt("cluster", default=f"sim:{DEMO_APP}/{DEMO_FAULT}?target=mongodb-geo")
    if not thread_id:
        question = click.prompt("what do you see? (symptom or question)",
                                default="Users report errors when searching for hotels. What is wrong?")
    thread_id = thread_id or f"chat-{uuid.uuid4().hex[:10]}"
    pause = _PauseOnCtrlC()
    try:
        with pause:
            result = _run_episode(spec, task, question, model, "ask", thread_id, 0, db, stream=True,
                                  after_step=pause.check)
    except KeyboardInterrupt:
        # Every finished step is checkpointed (durability "sync"); a step cut short by a second Ctrl-C is redone.
        click.echo(f"\npaused; continue with: aoi chat --resume {thread_id}", err=True)
        sys.exit(130)
    click.echo(f"thread {result.thread_id}: {result.status}")


@main.group()
def episodes() -> None:
    """Recorded episodes (SQLite): what the agent saw, decided and did."""


@episodes.command("list")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--limit", default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def episodes_list(db: Path | None, limit: int, as_json: bool) -> None:
    """The most recent episodes, newest first."""
    from aoi.store.db import connect
    from aoi.store.episodes import EpisodeStore

    rows = EpisodeStore(connect(db)).episodes(limit=limit)
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    width = max([len("THREAD"), *(len(r["thread_id"]) for r in rows)]) + 2
    click.echo(f"{'THREAD':<{width}}{'TASK':<14}{'STATUS':<20}{'OUTCOME':<18}{'SCORE':>6}{'STEPS':>6}  CLUSTER")
    for r in rows:
        score = "-" if r["success"] is None else f"{r['success']:.2f}"
        click.echo(f"{r['thread_id']:<{width}}{r['task_type']:<14}{r['status']:<20}{r['outcome'] or '-':<18}"
                   f"{score:>6}{r['steps']:>6}  {r['cluster']}")


@episodes.command("show")
@click.argument("thread_id")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--json", "as_json", is_flag=True)
def episodes_show(thread_id: str, db: Path | None, as_json: bool) -> None:
    """One episode with its steps and approvals."""
    from aoi.store.db import connect
    from aoi.store.episodes import EpisodeStore

    store = EpisodeStore(connect(db))
    episode = store.episode(thread_id)
    if episode is None:
        raise click.ClickException(f"no episode {thread_id!r}; see `aoi episodes list`")
    data = {**episode, "steps_detail": store.steps(thread_id), "approvals": store.approvals(thread_id)}
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
        return
    click.echo(f"{thread_id}: {episode['task_type']} on {episode['cluster']} with {episode['model']} — "
               f"{episode['status']}, outcome {episode['outcome']}, score {episode['success']}")
    if episode.get("error"):
        click.echo(f"  error: {episode['error']}")
    for step in data["steps_detail"]:
        decision = step.get("decision") or {}
        what = decision.get("action") or step["node"]
        detail = step.get("error") or decision.get("hypothesis", "")
        click.echo(f"  {step['step']:>3} {step['node']:<8} {what:<8} {detail}"[:150])


@main.command()
@click.option("--model", default="embedded", show_default=True)
@click.option("--seed", default=0, show_default=True, type=int)
def demo(model: str, seed: int) -> None:
    """Diagnose a simulated incident (a revoked MongoDB role in HotelReservation) with the embedded model."""
    spec = f"sim:{DEMO_APP}/{DEMO_FAULT}?target=mongodb-geo&seed={seed}"
    click.echo(f"AOI demo: {spec}, task localization, model {model}", err=True)
    result = _run_episode(spec, "localization", None, model, "deny", None, seed, None, stream=True)
    verdict = {True: "correct", False: "wrong", None: "not graded"}[result.success]
    click.echo(f"submission: {json.dumps(result.submission)} ({verdict}); {result.steps} steps in "
               f"{result.wall_s:.1f} s; thread {result.thread_id} (aoi episodes show {result.thread_id})")


class _PauseOnCtrlC:
    """The first Ctrl-C pauses the episode after the step in progress (its checkpoint is written); a second one
    stops at once."""

    def __init__(self) -> None:
        self.asked = False
        self._previous: Any = None

    def __enter__(self) -> _PauseOnCtrlC:
        import signal

        self._previous = signal.signal(signal.SIGINT, self._on_sigint)
        return self

    def __exit__(self, *exc: object) -> None:
        import signal

        signal.signal(signal.SIGINT, self._previous)

    def _on_sigint(self, _signum: int, _frame: Any) -> None:
        if self.asked:
            raise KeyboardInterrupt
        self.asked = True
        click.echo("\npausing after this step (Ctrl-C again to stop at once)", err=True)

    def check(self) -> None:
        if self.asked:
            raise KeyboardInterrupt


def _run_episode(spec: str, task: str, question: str | None, model: str, approve: str, thread_id: str | None,
                 seed: int, db: Path | None, *, stream: bool, after_step: Callable[[], None] | None = None) -> Any:
    from aoi.cluster.interface import ClusterError
    from aoi.graph.display import ask_on_terminal, step_printer
    from aoi.graph.models.base import ModelError
    from aoi.graph.runner import EpisodeConfig, EpisodeFailedError, EpisodeRunner

    config = EpisodeConfig(spec, task, model=model, approve=approve, question=question,  # type: ignore[arg-type]
                           thread_id=thread_id, db=db, seed=seed)
    printer = step_printer() if stream else None

    def on_event(node: str, update: dict[str, Any]) -> None:
        if printer is not None:
            printer(node, update)
        if after_step is not None:
            after_step()

    try:
        runner = EpisodeRunner(config, on_event=on_event if stream or after_step else None,
                               ask_approval=ask_on_terminal if approve == "ask" and stream else None)
        if stream:
            click.echo(click.style(f"thread {runner.thread_id}", dim=True))
        return runner.run()
    except (ClusterError, ValueError, EpisodeFailedError, ModelError) as exc:
        raise _CommandError(str(exc)) from exc


@main.group()
def mcp() -> None:
    """MCP tool servers for IDE agents (Claude Code, Cursor, VS Code) and for AOI's own graph.

    \b
    The probe is read-only; the executor applies approved writes (dry-run, undo, audit).
    CLUSTER is sim:APP or sim:APP/FAULT?seed=N&target=COMPONENT, e.g.
      aoi mcp probe --cluster sim:hotel-reservation/revoke_auth_mongodb?target=mongodb-geo
      aoi mcp executor --cluster sim:hotel-reservation/revoke_auth_mongodb?target=mongodb-geo
    Both processes share the simulated cluster's state, so a write is visible to the probe.
    """


def _transport_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--cluster", "spec", required=True, help="Cluster spec, e.g. sim:online-boutique.")(fn)
    fn = click.option("--transport", type=click.Choice(["stdio", "http"]), default="stdio", show_default=True)(fn)
    fn = click.option("--host", default="127.0.0.1", show_default=True, help="HTTP only.")(fn)
    fn = click.option("--port", default=8765, show_default=True, type=int, help="HTTP only.")(fn)
    fn = click.option("--token", envvar="AOI_MCP_TOKEN", default=None,
                      help="HTTP bearer token (required for http; or AOI_MCP_TOKEN).")(fn)
    return fn


@mcp.command("probe")
@_transport_options
def mcp_probe(spec: str, transport: str, host: str, port: int, token: str | None) -> None:
    """Serve the read-only probe tools."""
    from aoi.tools.wiring import probe_server

    _serve(lambda: probe_server(spec), transport, host, port, token)


@mcp.command("executor")
@_transport_options
@click.option("--trust-client-confirmation", is_flag=True,
              help="Accept writes from clients that cannot show a confirmation prompt, trusting the IDE's own "
                   "per-call approval. Audited as 'trusted-client'.")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="AOI database (default: $AOI_HOME/aoi.db).")
def mcp_executor(spec: str, transport: str, host: str, port: int, token: str | None,
                 trust_client_confirmation: bool, db: Path | None) -> None:
    """Serve the write tools (every call approved, dry-run first, undoable, audited)."""
    from aoi.tools.wiring import executor_server

    _serve(lambda: executor_server(spec, db_path=db, trust_client_confirmation=trust_client_confirmation),
           transport, host, port, token)


@mcp.command("agent")
@click.option("--cluster", "spec", default=None, help="Default cluster spec for `diagnose` calls.")
@click.option("--model", default="embedded", show_default=True,
              help="embedded | PATH.gguf | openai:NAME | scripted:FILE.jsonl")
@click.option("--transport", type=click.Choice(["stdio", "http"]), default="stdio", show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="HTTP only.")
@click.option("--port", default=8766, show_default=True, type=int, help="HTTP only.")
@click.option("--token", envvar="AOI_MCP_TOKEN", default=None, help="HTTP bearer token (or AOI_MCP_TOKEN).")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None)
def mcp_agent(spec: str | None, model: str, transport: str, host: str, port: int, token: str | None,
              db: Path | None) -> None:
    """Serve the agent itself: `diagnose`, `approve_pending` (asks the user), `episode`, `list_episodes`."""
    from aoi.graph.agent_server import build_agent_server

    _serve(lambda: build_agent_server(default_cluster=spec, model=model, db=db), transport, host, port, token)


def _serve(build: Callable[[], Any], transport: str, host: str, port: int, token: str | None) -> None:
    from aoi.cluster.interface import ClusterError
    from aoi.tools.transports import serve

    try:
        serve(build(), transport, host=host, port=port, token=token)
    except ClusterError as exc:  # a bad spec or an unreachable cluster: one line, exit 1 (as `aoi triage`)
        raise click.ClickException(str(exc)) from exc
    except ValueError as exc:  # options that do not go together (an open HTTP server without a token)
        raise click.UsageError(str(exc)) from exc


@main.group()
def audit() -> None:
    """The audit trail of every write attempt (hash-chained, tamper-evident)."""


@audit.command("verify")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None)
def audit_verify(db: Path | None) -> None:
    """Check the audit trail; exits 1 and lists the problems if any record was edited, inserted or removed, the
    trail was wiped or truncated, a table was dropped, or the key it is signed with is gone."""
    import sqlite3

    from aoi.store.db import StoreError, connect
    from aoi.tools.audit import AuditLog
    from aoi.tools.grants import GrantError, load_key

    try:
        conn = connect(db)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        key = load_key()
    except GrantError as exc:
        try:
            history = AuditLog(conn, b"\0" * 32).has_history()
        except sqlite3.DatabaseError:
            history = True
        if history:
            click.echo(f"TAMPERED: {exc}; the trail cannot be verified without it (it is never regenerated)",
                       err=True)
            sys.exit(1)
        click.echo("ok: 0 audit records (no write was ever attempted with this database)")
        return
    log = AuditLog(conn, key)
    problems = log.verify()
    if problems:
        for problem in problems:
            click.echo(f"TAMPERED: {problem}", err=True)
        sys.exit(1)
    click.echo(f"ok: {len(log.records())} audit records, chain intact")


@audit.command("list")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--json", "as_json", is_flag=True)
def audit_list(db: Path | None, as_json: bool) -> None:
    """Show the audit trail, oldest first."""
    from dataclasses import asdict

    records = _audit_log(db).records()
    if as_json:
        click.echo(json.dumps([asdict(r) for r in records], indent=2))
        return
    for r in records:
        click.echo(f"{r.seq:>5} {r.time[:19]} {r.phase:<8} {r.tool:<20} {r.approval:<14} {r.approver:<18} "
                   f"{r.result[:60]}")


def _audit_log(db: Path | None) -> AuditLog:
    import sqlite3

    from aoi.store.db import StoreError, connect
    from aoi.tools.audit import AuditLog
    from aoi.tools.grants import GrantError, load_key

    try:
        conn = connect(db)
        conn.execute("SELECT 1 FROM audit LIMIT 1")
        return AuditLog(conn, load_key())
    except (StoreError, GrantError, sqlite3.DatabaseError) as exc:
        raise click.ClickException(f"{exc}; run `aoi audit verify`") from exc


def _show(app: str, family: str, target: str | None, seed: int, ticks: int, as_json: bool, *,
          clean: bool = False, mesh: str | None = None, variant: str | None = None) -> str:
    from aoi.cluster.sim.cluster import SimCluster
    from aoi.cluster.sim.faults import FAULTS
    from aoi.cluster.sim.incident import incident_evidence, render_incident

    if family not in FAULTS:
        raise click.BadParameter(f"unknown fault {family!r}; see `aoi sim faults` (e.g. {', '.join(sorted(FAULTS)[:4])}"
                                 ", ...)", param_hint="--fault")
    if variant is not None and variant not in FAULTS[family].variants:
        raise click.BadParameter(f"fault {family!r} has no variant {variant!r}; variants: "
                                 f"{', '.join(FAULTS[family].variants)}", param_hint="--variant")
    try:
        cluster = SimCluster(app, seed, noise=not clean, mesh=mesh)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--mesh") from exc
    try:
        fault = cluster.inject(family, target, variant=variant)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--fault") from exc
    cluster.tick(ticks)
    truth = fault.ground_truth()
    evidence = incident_evidence(cluster, cluster.namespace, list(cluster.app.component_names))
    if as_json:
        return json.dumps({"app": app, "fault": family, "variant": fault.variant, "target": fault.target,
                           "seed": seed, "ticks": ticks, "ground_truth": truth.to_dict(), "evidence": evidence},
                          indent=2, sort_keys=True) + "\n"
    label = family if len(fault.variants) == 1 else f"{family}, variant {fault.variant}"
    return render_incident(app, label, seed, ticks, truth, evidence)


from aoi.cli_eval import eval_group  # noqa: E402

main.add_command(eval_group)

from aoi.cli_serve import sim_serve  # noqa: E402

sim.add_command(sim_serve)

from aoi.cli_record import sim_record  # noqa: E402

sim.add_command(sim_record)

from aoi.cli_evolve import evolve  # noqa: E402

main.add_command(evolve)

from aoi.cli_doctor import doctor  # noqa: E402

main.add_command(doctor)

from aoi.cli_train import export_cmd, train_group  # noqa: E402

main.add_command(export_cmd)
main.add_command(train_group)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
