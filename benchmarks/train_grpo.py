"""GRPO speed on this machine: seconds per step and the reward curve, on the embedded model (or any GGUF).

Not a test. Needs an `aoi export` folder:

    aoi eval --suite aiopslab-sim --split train --agent expert --runs 1
    aoi export --split train --out /tmp/aoi-export
    python benchmarks/train_grpo.py --data /tmp/aoi-export --steps 3

Prints one line per step (from the trainer) and a summary: model load time, s/step, the reward curve.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from itertools import pairwise
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="an `aoi export` folder")
    parser.add_argument("--base", default="embedded", help="embedded or a GGUF path")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--max-completion-length", type=int, default=128)
    parser.add_argument("--max-prompt-tokens", type=int, default=None)
    parser.add_argument("--lora-r", type=int, default=16)
    parser.add_argument("--out", type=Path, default=None, help="run folder (default: a temporary one)")
    args = parser.parse_args()

    from aoi.training.config import load_config
    from aoi.training.trainer import train

    out = args.out or Path(tempfile.mkdtemp(prefix="aoi-bench-grpo-"))
    cfg = load_config(None, mode="grpo", data=args.data, out=out, base=args.base, max_steps=args.steps,
                      max_completion_length=args.max_completion_length, max_prompt_tokens=args.max_prompt_tokens,
                      lora_r=args.lora_r, lora_alpha=2 * args.lora_r, save_steps=max(args.steps, 1), resume=False)
    started = time.perf_counter()
    result = train(cfg)
    total = time.perf_counter() - started
    steps = [e for e in result.log if "reward" in e]
    per_step = [b["elapsed_s"] - a["elapsed_s"] for a, b in pairwise(steps)]
    first = steps[0]["elapsed_s"] if steps else float("nan")
    summary = {"base": args.base, "steps": result.steps, "prompts": result.samples, "group_size": cfg.num_generations,
               "max_completion_length": cfg.max_completion_length, "total_s": round(total, 1),
               "first_step_s": first, "s_per_step_after_first": round(sum(per_step) / len(per_step), 1)
               if per_step else None, "reward_curve": [round(r, 4) for r in result.rewards],
               "completion_mean_tokens": [e.get("completions/mean_length") for e in steps]}
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
