"""Score a GGUF's decisions on exported prompts with the step rewards (no grammar): what training changed.

Not a test. Greedy completions of each model on the first N distinct prompts of an `aoi export` folder, parsed and
scored with `aoi.training.rewards.score` against the samples' ground truth:

    python benchmarks/step_rewards.py --data /tmp/export-heldout --model embedded --model runs/sft.gguf -n 12

Without the agent's grammar the untrained base model rarely writes a decision at all, so this measures what the
weights learned, apart from constrained decoding.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--model", action="append", required=True, help="embedded or a GGUF path (repeatable)")
    parser.add_argument("-n", type=int, default=12)
    parser.add_argument("--max-tokens", type=int, default=256)
    args = parser.parse_args()

    from aoi.graph.models import load_model
    from aoi.training.rewards import context_from_columns, score

    rows, seen = [], set()
    for line in (args.data / "steps.jsonl").read_text().splitlines():
        row = json.loads(line)
        key = json.dumps(row["messages"])
        if row.get("decision") and key not in seen:
            seen.add(key)
            rows.append(row)
    rows = rows[: args.n]
    results = {}
    for spec in args.model:
        started = time.perf_counter()
        totals, valid = [], 0
        with load_model(spec) as model:
            for row in rows:
                text = model.complete(row["messages"], max_tokens=args.max_tokens).text
                ctx = context_from_columns(row, prompt="\n".join(m["content"] for m in row["messages"]))
                total, values = score(text, ctx)
                totals.append(total)
                valid += values["schema_validity"] == 1.0 and values["tool_call_validity"] == 1.0
        results[spec] = {"samples": len(rows), "mean_reward": round(statistics.mean(totals), 4),
                         "valid_decisions": valid, "seconds": round(time.perf_counter() - started, 1)}
        print(spec, results[spec], flush=True)
    teacher = [float(r["reward"]) for r in rows]
    print(json.dumps({"teacher_mean_reward": round(statistics.mean(teacher), 4), **results}, indent=2))


if __name__ == "__main__":
    main()
