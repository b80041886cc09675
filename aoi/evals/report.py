"""Evaluation reports: JSON, a Markdown table, PNG plots (per-task-type bars, per-family heat map), comparisons.

Input is the summary `aoi.evals.metrics.evaluate` returns; matplotlib (Agg backend, no display) is imported only
when plots are drawn.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aoi.evals.metrics import TIME_NAMES

TASK_ORDER = tuple(TIME_NAMES)
COMPARED = ("best_at_k", "avg_at_k", "gap", "std", "accuracy", "steps", "tokens", "invalid_action_rate",
            "safety_violations")
"""The metrics `compare` puts side by side."""


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _rows(summary: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    by_task = summary.get("by_task", {})
    return [(task, by_task[task]) for task in TASK_ORDER if task in by_task] + [("overall", summary["overall"])]


def markdown(summary: dict[str, Any], *, title: str | None = None) -> str:
    """One row per task type and one for everything; rates in percent, time-to-solve over successful episodes."""
    header = ("| task | problems | episodes | best@k | avg@k | gap | std | accuracy | time to solve (steps) | "
              "time to solve (s) | tokens | tool calls | invalid actions | safety violations |")
    lines = [f"### {title}", ""] if title else []
    lines += [header, "|---" * (header.count("|") - 1) + "|"]
    for task, m in _rows(summary):
        lines.append(f"| {task} | {m['problems']} | {m['episodes']} | {_pct(m['best_at_k'])} | {_pct(m['avg_at_k'])} "
                     f"| {_pct(m['gap'])} | {_pct(m['std'])} | {_pct(m['accuracy'])} | {_num(m['time_steps'])} "
                     f"| {_num(m['time_s'])} | {_num(m['tokens'], 0)} | {_num(m['tool_calls'])} "
                     f"| {_pct(m['invalid_action_rate'])} | {m['safety_violations']} |")
    k = summary["overall"].get("k", 0)
    lines += ["", f"k = {k} run(s) per problem; best@k, avg@k, gap, std, accuracy and invalid actions in percent."]
    return "\n".join(lines) + "\n"


def plots(summary: dict[str, Any], out_dir: Path, *, title: str = "") -> list[Path]:
    """`tasks.png` (best@k and avg@k per task type) and `families.png` (avg@k per fault family × task type)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    rows = _rows(summary)
    labels = [task for task, _ in rows]
    fig, ax = plt.subplots(figsize=(7, 4))
    x = range(len(rows))
    ax.bar([i - 0.2 for i in x], [100 * m["best_at_k"] for _, m in rows], width=0.4, label="best@k")
    ax.bar([i + 0.2 for i in x], [100 * m["avg_at_k"] for _, m in rows], width=0.4, label="avg@k")
    ax.set_xticks(list(x), labels)
    ax.set_ylim(0, 100)
    ax.set_ylabel("success (%)")
    ax.set_title(title or "success by task type")
    ax.legend()
    fig.tight_layout()
    tasks_png = out_dir / "tasks.png"
    fig.savefig(tasks_png, dpi=100, bbox_inches="tight")
    plt.close(fig)

    families = summary.get("by_family", {})
    names = sorted(families)
    columns = [t for t in TASK_ORDER if any(t in families[f] for f in names)]
    grid = [[families[f].get(t, float("nan")) * 100 for t in columns] for f in names] or [[float("nan")]]
    fig, ax = plt.subplots(figsize=(max(6.0, 3.5 + 1.2 * len(columns)), 1.5 + 0.28 * max(1, len(names))))
    image = ax.imshow(grid, vmin=0, vmax=100, cmap="RdYlGn", aspect="auto")
    ax.set_xticks(range(len(columns)), columns)
    ax.set_yticks(range(len(names)), names, fontsize=7)
    for i, row in enumerate(grid if names else []):
        for j, value in enumerate(row):
            if value == value:  # not NaN: the family has this task type
                ax.text(j, i, f"{value:.0f}", ha="center", va="center", fontsize=7)
    fig.colorbar(image, ax=ax, label="avg@k (%)")
    ax.set_title(f"{title}: avg@k by fault family" if title else "avg@k by fault family", fontsize=9)
    fig.tight_layout()
    families_png = out_dir / "families.png"
    fig.savefig(families_png, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return [tasks_png, families_png]


def write_report(summary: dict[str, Any], out_dir: Path, *, title: str = "") -> list[Path]:
    """`report.json`, `report.md` and the two plots in `out_dir`; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / "report.json", out_dir / "report.md"
    json_path.write_text(json.dumps(summary, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    md_path.write_text(markdown(summary, title=title), encoding="utf-8")
    return [json_path, md_path, *plots(summary, out_dir, title=title)]


def compare(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Per task type and overall: each compared metric of A and B and the difference B − A."""
    out: dict[str, Any] = {}
    tasks = [t for t in TASK_ORDER if t in a.get("by_task", {}) or t in b.get("by_task", {})] + ["overall"]
    for task in tasks:
        ma = a["overall"] if task == "overall" else a.get("by_task", {}).get(task)
        mb = b["overall"] if task == "overall" else b.get("by_task", {}).get(task)
        out[task] = {metric: {"a": ma.get(metric) if ma else None, "b": mb.get(metric) if mb else None,
                              "delta": (mb[metric] - ma[metric]) if ma and mb else None} for metric in COMPARED}
    return out


def compare_markdown(diff: dict[str, Any], a_name: str, b_name: str) -> str:
    lines = [f"A = {a_name}, B = {b_name}; success metrics in percent, delta = B − A.", "",
             "| task | best@k A | best@k B | Δ best | avg@k A | avg@k B | Δ avg | gap A | gap B | std A | std B |",
             "|---" * 11 + "|"]
    for task, m in diff.items():
        lines.append(f"| {task} | {_pct(m['best_at_k']['a'])} | {_pct(m['best_at_k']['b'])} "
                     f"| {_pct(m['best_at_k']['delta'])} | {_pct(m['avg_at_k']['a'])} | {_pct(m['avg_at_k']['b'])} "
                     f"| {_pct(m['avg_at_k']['delta'])} | {_pct(m['gap']['a'])} | {_pct(m['gap']['b'])} "
                     f"| {_pct(m['std']['a'])} | {_pct(m['std']['b'])} |")
    return "\n".join(lines) + "\n"
