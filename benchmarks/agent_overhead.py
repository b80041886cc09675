"""How much of an episode's time is spent outside the model (graph, MCP, checkpoints, compression, simulator).

Runs one episode and reads the recorded step timings. Target: < 5% of step time outside the model for the
embedded model. With `--model scripted` it shows the absolute overhead per step.
Run: .venv/bin/python benchmarks/agent_overhead.py [--model embedded] [--steps 4]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from aoi.graph.state import Budget


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="embedded")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--cluster", default="sim:hotel-reservation/revoke_auth_mongodb?target=mongodb-geo")
    args = parser.parse_args()
    os.environ.setdefault("AOI_HOME", tempfile.mkdtemp(prefix="aoi-bench-"))
    from aoi.graph.models.scripted import ScriptedModel
    from aoi.graph.runner import EpisodeConfig, EpisodeRunner

    model = None
    if args.model == "scripted":
        probe = {"summary": "s", "phase": "investigate", "hypothesis": "h", "confidence": 10, "action": "probe",
                 "tool_calls": [{"tool": "get_resources", "args": {"resource_type": "pods"}},
                                {"tool": "get_alerts", "args": {}}]}
        model = ScriptedModel(lambda _messages: probe)
    config = EpisodeConfig(args.cluster, "localization", model=args.model, approve="deny",
                           budget=Budget(max_steps=args.steps, max_repeats=10_000))
    runner = EpisodeRunner(config, model=model)
    started = time.perf_counter()
    result = runner.run()
    total = time.perf_counter() - started
    steps = runner.store.steps(runner.thread_id)
    model_s = sum(s["model_s"] for s in steps)
    print(f"model: {runner.model.name}; {result.steps} steps, outcome {result.outcome}")
    print(f"episode wall time: {total:.2f} s; in the model: {model_s:.2f} s; outside: {total - model_s:.2f} s "
          f"({(total - model_s) / total * 100:.1f}% of the episode; {(total - model_s) / max(1, result.steps):.3f} "
          f"s per step)")


if __name__ == "__main__":
    main()
