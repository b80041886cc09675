"""Embedded model speed: prompt tok/s, generation tok/s, and ms per grammar-constrained JSON decision.

Needs llama-cpp-python and the embedded model package. Numbers are medians over --repeat runs.
Run: .venv/bin/python benchmarks/model_speed.py [--threads 2] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from aoi.graph.models.llamacpp import LlamaCppModel

SYSTEM = (
    "You are the Observer of an SRE agent diagnosing a Kubernetes microservice application. You never touch the "
    "cluster yourself: you read the compressed observations below, keep a root-cause hypothesis with a "
    "confidence from 0 to 100, and choose the next action: probe (read-only commands), executor (approved "
    "writes), or submit (when the answer is known). Phases: detection, localization, analysis, mitigation. "
    "Name target resources exactly as observed. Answer with one JSON object."
)
OBSERVATION = (
    "Iteration {i}. kubectl get pods -n social-network: compose-post-service-6c9f7 CrashLoopBackOff (restarts "
    "{i}), user-service-5d8c4 Running, media-service-7f6b2 Running, home-timeline-service-59c7d Running. Events: "
    "Back-off restarting failed container compose-post-service; Liveness probe failed: connection refused on "
    "port 9090. Error log summary: compose-post-service 41 errors in 5m, 'failed to connect to "
    "post-storage-mongodb:27017'. Metrics: p99 latency of nginx-thrift up from 120 ms to 2.3 s."
)
DECISION_SCHEMA = {
    "type": "object",
    "properties": {
        "phase": {"enum": ["detection", "localization", "analysis", "mitigation"]},
        "hypothesis": {"type": "string", "maxLength": 160},
        "confidence": {"type": "integer", "minimum": 0, "maximum": 100},
        "next_action": {"enum": ["probe", "executor", "submit"]},
        "targets": {"type": "array", "items": {"type": "string", "maxLength": 60}, "maxItems": 3},
    },
    "required": ["phase", "hypothesis", "confidence", "next_action", "targets"],
    "additionalProperties": False,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--gen-tokens", type=int, default=128)
    args = parser.parse_args()

    with LlamaCppModel(n_ctx=4096, n_threads=args.threads) as model:
        start = time.perf_counter()
        model.llama  # noqa: B018 - load now so that loading is timed apart from the calls
        print(f"model: {model.name}, threads: {args.threads}, load: {time.perf_counter() - start:.2f} s")

        # A unique first line defeats llama.cpp's prompt-prefix cache, so the whole prompt is evaluated each time.
        prompt_rates, prompt_tokens = [], 0
        for i in range(args.repeat):
            long_prompt = f"Run {i}.\n" + "\n".join(OBSERVATION.format(i=k) for k in range(6))
            done = model.complete([{"role": "user", "content": long_prompt}], max_tokens=1)
            prompt_tokens = done.prompt_tokens
            prompt_rates.append(done.prompt_tokens / done.latency_s)
        print(f"prompt: {statistics.median(prompt_rates):.0f} tok/s ({prompt_tokens}-token prompt)")

        # Evaluating the prompt once first leaves it cached, so the timed call is almost all generation.
        counting = [{"role": "user", "content": "Count from 1 to 500, separated by commas: 1, 2, 3,"}]
        model.complete(counting, max_tokens=1)
        gen_rates, gen_tokens = [], 0
        for _ in range(args.repeat):
            done = model.complete(counting, max_tokens=args.gen_tokens)
            gen_tokens = done.completion_tokens
            gen_rates.append(done.completion_tokens / done.latency_s)
        print(f"generation: {statistics.median(gen_rates):.0f} tok/s ({gen_tokens} tokens per run)")

        # One warm-up builds the grammar and caches the shared system prefix, as in a real episode.
        def decide(i: int) -> tuple[float, int, int]:
            messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": OBSERVATION.format(i=i)}]
            done = model.complete(messages, json_schema=DECISION_SCHEMA, max_tokens=256)
            json.loads(done.text)
            return done.latency_s * 1000, done.prompt_tokens, done.completion_tokens

        decide(0)
        runs = [decide(i) for i in range(1, args.repeat + 1)]
        print(f"decision: {statistics.median(r[0] for r in runs):.0f} ms per grammar-constrained JSON decision "
              f"(median of {len(runs)}; ~{runs[-1][1]} prompt tokens, "
              f"{statistics.median(r[2] for r in runs):.0f} completion tokens)")


if __name__ == "__main__":
    main()
