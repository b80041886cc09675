"""How an episode streams to a terminal: one compact line per step, the diff and the question for a write."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click

Echo = Callable[[str], None]


def _args(args: dict[str, Any]) -> str:
    return ", ".join(f"{k}={json.dumps(v) if not isinstance(v, str) else v}" for k, v in args.items())


def _clip(text: str, width: int = 150) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def step_printer(echo: Echo = click.echo) -> Callable[[str, dict[str, Any]], None]:
    """An `EventHandler` that prints each superstep as it happens."""

    def on_event(node: str, update: dict[str, Any]) -> None:
        if node == "reason":
            decision = update.get("decision")
            if decision is None:
                if update.get("feedback"):
                    echo(click.style(f"  ✗ invalid decision: {_clip(update['feedback'], 200)}", fg="red"))
                return
            calls = "; ".join(f"{c['tool']}({_args(c.get('args', {}))})" for c in decision.get("tool_calls", []))
            echo(click.style(f"• {decision['phase']}", fg="cyan", bold=True)
                 + f" [{decision['confidence']}%] {_clip(decision.get('hypothesis', ''), 110)}")
            if decision["action"] == "submit":
                echo(click.style(f"  → submit {json.dumps(decision.get('submission'))}", fg="green"))
            else:
                echo(f"  → {decision['action']}: {_clip(calls, 200)}")
        elif node == "observe":
            for record in update.get("iterations", []):
                for obs in record.get("observations", [])[:3]:
                    first = next((ln for ln in obs["text"].splitlines() if ln.strip()), "")
                    marker = "✗ " if obs.get("error") else ""
                    echo(click.style(f"    {marker}{obs['tool']}: {_clip(first, 130)}", dim=True))
            for flag in update.get("flags", []):
                echo(click.style(f"  ⚠ {flag}", fg="yellow"))
        elif node == "propose" and update.get("flags"):
            echo(click.style(f"  ⚠ proposal refused: {_clip(update.get('feedback', ''), 200)}", fg="yellow"))
        elif node == "act":
            for write in update.get("writes", []):
                colour = "green" if write["status"] in ("applied", "noop") and not write["rolled_back"] else "red"
                echo(click.style(f"  ✎ {write['tool']} {write['status']}"
                                 f"{' (rolled back)' if write['rolled_back'] else ''}; unhealthy pods "
                                 f"{write['unhealthy_before']} → {write['unhealthy_after']}", fg=colour))
        elif node == "__approval__":
            echo(click.style(f"\n✋ approval needed: {update.get('tool')}({_args(update.get('args', {}))})",
                             fg="yellow", bold=True))
            echo(f"  hypothesis: {update.get('hypothesis', '')} ({update.get('confidence', 0)}%)")
            echo(f"  undo plan: {update.get('undo_plan', '')}")
            backing = update.get("backing")
            if backing:
                echo(f"  backed by: {backing['cause']} on {backing['object']} (triage score {backing['score']:.2f})")
                for line in backing.get("evidence", [])[:3]:
                    echo(click.style(f"    evidence: {_clip(line['line'], 150)} [{line['source']}]", dim=True))
            else:
                echo(click.style("  not backed: no triage hypothesis shown by object state derives this write; "
                                 "decide from the evidence yourself", fg="yellow"))
            for warning in update.get("warnings", []):
                echo(click.style(f"  ⚠ {_clip(warning, 240)}", fg="red"))
            echo(update.get("diff", "").rstrip() or "  (no change)")
        elif node in ("submit", "finish"):
            echo(click.style(f"■ {update.get('outcome')}: {json.dumps(update.get('submission'))}", bold=True))

    return on_event


def ask_on_terminal(proposal: dict[str, Any]) -> dict[str, Any]:
    """An `ApprovalHandler` that asks the person at the terminal: approve, reject (with a reason) or edit."""
    choice = click.prompt("approve / reject / edit", type=click.Choice(["approve", "reject", "edit"]),
                          default="reject")
    who = click.prompt("your name (recorded as approver)", default="operator")
    if choice == "reject":
        return {"action": "reject", "approver": who, "reason": click.prompt("reason", default="not now")}
    if choice == "edit":
        edited = click.edit(json.dumps(proposal.get("args", {}), indent=2), extension=".json")
        args = json.loads(edited) if edited else proposal.get("args", {})
        return {"action": "edit", "approver": who, "args": args}
    return {"action": "approve", "approver": who}
