"""The Observer prompt per profile (`full`, `compact`): prompt tokens per decision (median, p95), the expert's success
reading each, and the embedded model's decision latency on a sample of each profile's prompts.

The expert runs the same problems under each profile (its decisions read only the prompt, so a profile that drops
what a decision needs shows as failures); tokens are counted with the embedded model's tokenizer (Gemma 3). The
latency sample asks the embedded base model for grammar-constrained decisions. A benchmark, not a test.
Run: .venv/bin/python benchmarks/prompt_profiles.py [--suite k8s-sim] [--pattern '*-1'] [--latency 6]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path


def _quantile(values: list[int], q: float) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suite", default="aiopslab-sim", choices=("aiopslab-sim", "k8s-sim"))
    parser.add_argument("--pattern", action="append", default=[], help="problem id glob (repeatable; default all)")
    parser.add_argument("--latency", type=int, default=6, help="prompts per profile timed on the embedded model")
    args = parser.parse_args()
    os.environ["AOI_HOME"] = tempfile.mkdtemp(prefix="aoi-profiles-")
    from aoi.baselines.expert import ExpertPolicy
    from aoi.evals.problems import select
    from aoi.graph.decision import decision_schema, generation_schema
    from aoi.graph.models.llamacpp import LlamaCppModel
    from aoi.graph.runner import EpisodeConfig, EpisodeRunner

    problems = select(args.suite, "all", tuple(args.pattern))
    db = Path(os.environ["AOI_HOME"]) / "aoi.db"
    model = LlamaCppModel()
    prompts: dict[str, list[list[dict[str, str]]]] = {}
    for profile in ("full", "compact"):
        solved = 0
        started = time.perf_counter()
        for problem in problems:
            config = EpisodeConfig(problem.cluster(0), problem.task, approve="auto", db=db,  # type: ignore[arg-type]
                                   thread_id=f"{profile}-{problem.id}")
            solved += bool(EpisodeRunner(config, model=ExpertPolicy(profile)).run().success)
        rows = sqlite3.connect(db).execute("SELECT prompt FROM steps WHERE thread_id LIKE ? AND node = 'reason'",
                                           (f"{profile}-%",)).fetchall()
        prompts[profile] = [json.loads(r[0]) for r in rows if r[0]]
        tokens = [model.count_tokens("".join(m["content"] for m in messages)) for messages in prompts[profile]]
        print(f"{profile:8s} expert solved {solved}/{len(problems)} ({time.perf_counter() - started:.0f} s); "
              f"{len(tokens)} decisions: prompt tokens median {int(statistics.median(tokens))}, "
              f"p95 {_quantile(tokens, 0.95)}, max {max(tokens)}")
    schema = generation_schema(decision_schema("detection", {"triage": {"type": "object", "properties": {}}}, None,
                                               ["frontend"], allow_act=False))
    for profile, sample in prompts.items():
        timed = []
        for messages in sample[:: max(1, len(sample) // max(1, args.latency))][:args.latency]:
            timed.append(model.complete(messages, json_schema=schema, max_tokens=200).latency_s)
        if timed:
            print(f"{profile:8s} embedded decision latency: median {statistics.median(timed):.1f} s, "
                  f"max {max(timed):.1f} s over {len(timed)} prompts")


if __name__ == "__main__":
    main()
