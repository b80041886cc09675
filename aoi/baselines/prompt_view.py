"""What a policy can know: the Observer's prompt, read back into fields.

Baseline policies (`expert`, `random`) sit behind the same `Model.complete(messages)` interface as a language
model, so they see exactly the text the model sees: the task block, the previous step's head and its
`<tool_output>` elements, the one-line summaries of earlier steps and AOI's notes. This module parses that text
(the format `aoi.graph.prompts` renders) and nothing else; a policy that needs a fact the prompt does not show
cannot have it.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from typing import Any

from aoi.diagnosis.remedies import ToolOutput
from aoi.graph.models.base import Message

NOTES_MARK = "Notes: "
"""Where a policy's own notes start inside the summary it writes (the only memory that survives a step)."""

_TASK = re.compile(r"^Task: (\w+)$", re.M)
_APP = re.compile(r"^Application: (\S+) in namespace (\S+)$", re.M)
_SERVICES = re.compile(r"^Services: (.*)$", re.M)
_STEP = re.compile(r"This is step (\d+) of at most (\d+)\.")
_OUTPUT = re.compile(r"<tool_output tool='([^']*)' args='([^']*)'([^>]*)>\n(.*?)\n</tool_output>", re.S)
_PREVIOUS = re.compile(r"^Previous step (\d+):\n(.*?)(?=\n<tool_output |\n\nYour decision|\Z)", re.M | re.S)
_EARLIER = re.compile(r"^- step (\d+): (.*)$", re.M)
_FEEDBACK = re.compile(r"Note from AOI: (.*)$", re.S)
_WRITE_TOOLS = re.compile(r"^Write tools \(.*?\):\n((?:- .*\n?)+)", re.M)
_TOOL_LINE = re.compile(r"^- (\w+)\(", re.M)


@dataclass(frozen=True, slots=True)
class PromptView:
    task: str
    app: str
    namespace: str
    services: tuple[str, ...]
    step: int
    """1-based, as the prompt counts."""
    max_steps: int
    previous_summary: str = ""
    previous_hypothesis: str = ""
    previous_action: str = ""
    outputs: tuple[ToolOutput, ...] = ()
    earlier: tuple[str, ...] = ()
    """Summaries of the steps before the previous one, oldest first."""
    feedback: str = ""
    write_tools: tuple[str, ...] = ()
    root_causes: tuple[str, ...] = ()
    """`rca` only: the labels an answer may name."""
    fault_objects: tuple[str, ...] = ()
    notes: dict[str, str] = field(default_factory=dict)
    """The newest notes a policy left in a summary (previous step first, then earlier ones)."""


def read_prompt(messages: list[Message]) -> PromptView:
    """The fields of the Observer prompt in `messages` (a retry's extra turns are ignored).

    Raises:
        ValueError: the messages do not contain an Observer prompt (no task block).
    """
    system = next((m["content"] for m in messages if m.get("role") == "system"), "")
    user = next((m["content"] for m in messages if m.get("role") == "user" and _TASK.search(m["content"])), None)
    if user is None:
        raise ValueError("no Observer prompt in the messages (expected a user message with a 'Task:' line)")
    task = _TASK.search(user)
    app = _APP.search(user)
    services = _SERVICES.search(user)
    step = _STEP.search(user)
    names = services.group(1) if services else ""
    service_list = () if names.startswith("(unknown") else tuple(s.strip() for s in names.split(",") if s.strip())
    previous = _PREVIOUS.search(user)
    head = previous.group(2) if previous else ""
    summary = _field(head, "summary")
    earlier = tuple(m.group(2) for m in _EARLIER.finditer(user))
    # Only the previous step's outputs: a findings block above it (the compact profile) is an earlier step's.
    outputs = tuple(ToolOutput(m.group(1), _args(m.group(2)), html.unescape(m.group(4)), "error='true'" in m.group(3))
                    for m in _OUTPUT.finditer(user, previous.start())) if previous else ()
    feedback = _FEEDBACK.search(user)
    writes = _WRITE_TOOLS.search(system)
    notes = next((parse_notes(s) for s in (summary, *reversed(earlier)) if NOTES_MARK in s), {})
    return PromptView(task=task.group(1) if task else "", app=app.group(1) if app else "",
                      namespace=app.group(2) if app else "", services=service_list,
                      step=int(step.group(1)) if step else 1, max_steps=int(step.group(2)) if step else 15,
                      previous_summary=summary, previous_hypothesis=_field(head, r"hypothesis(?: \(confidence \d+\))?"),
                      previous_action=_action(head), outputs=outputs, earlier=earlier,
                      feedback=feedback.group(1).strip() if feedback else "",
                      write_tools=tuple(_TOOL_LINE.findall(writes.group(1))) if writes else (),
                      root_causes=_listed(user, "Root-cause labels"), fault_objects=_listed(user, "Fault objects"),
                      notes=notes)


def _listed(user: str, name: str) -> tuple[str, ...]:
    match = re.search(rf"^{name}: (.*)$", user, re.M)
    if match is None or match.group(1).startswith("(any)"):
        return ()
    # Labels may come grouped by category (`runtime: a, b; scheduling: c`).
    groups = (re.sub(r"^\s*\w+:\s+", "", group) for group in match.group(1).split(";"))
    return tuple(v.strip() for group in groups for v in group.split(",") if v.strip())


def _field(head: str, name: str) -> str:
    match = re.search(rf"^{name}: (.*)$", head, re.M)
    return match.group(1).strip() if match else ""


def _action(head: str) -> str:
    match = re.search(r"^phase: \S+; action: (\S+)$", head, re.M)
    return match.group(1) if match else ""


def _args(attribute: str) -> dict[str, Any]:
    try:
        value = json.loads(html.unescape(attribute))
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


# -- notes ------------------------------------------------------------------------------------------------------
def parse_notes(summary: str) -> dict[str, str]:
    """`key=value` pairs after `Notes: ` in a summary."""
    _, _, tail = summary.partition(NOTES_MARK)
    notes: dict[str, str] = {}
    for part in tail.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key:
            notes[key] = value.strip()
    return notes


_NOTES_IN_MEMORY = re.compile(r"^((?:- step \d+|summary): .*?)\s*Notes: .*$", re.M)


def without_notes(prompt: str) -> str:
    """`prompt` with the policy notes cut from its memory lines (`- step N: …` and the previous step's `summary:`).

    The notes are the `expert`'s private state; a model trained on its decisions writes plain summaries, so its
    training prompts must show memory as its own would look."""
    return _NOTES_IN_MEMORY.sub(r"\1", prompt)


def render_notes(notes: dict[str, str], budget: int) -> str:
    """`Notes: k=v; ...` within `budget` characters; the keys given first are kept first."""
    out = NOTES_MARK.rstrip()
    for key, value in notes.items():
        if not value:
            continue
        clean = re.sub(r"[;=\n]", " ", value)
        piece = f" {key}={clean};"
        if len(out) + len(piece) > budget:
            continue
        out += piece
    return out.rstrip(";")
