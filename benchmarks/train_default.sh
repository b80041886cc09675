#!/usr/bin/env bash
# Reproduce the shipped default adapter from nothing, on this CPU (`make train-default`).
#
#   bash benchmarks/train_default.sh [WORK_DIR]        # default: ~/.aoi-train-default
#
# 1. expert episodes on the simulator's training pool (noise on; 5,112 episodes for 12 seeds, ~45 min on 2 cores);
# 2. export them as step samples (never held-out families, never Cloud-OpsBench recordings);
# 3. SFT of the embedded model on the student view of the expert's decisions (benchmarks/sft_default.yaml),
#    stopped after SFT_BUDGET seconds (default 4800) — rerun to train on from the last checkpoint;
# 4. the LoRA adapter as a llama.cpp GGUF, shipped into aoi/models/ with its manifest.
# Every stage resumes when rerun. Measure before you commit the result (MODEL_CARD.md says how).
set -euo pipefail
WORK=${1:-$HOME/.aoi-train-default}
BIN=${BIN:-.venv/bin}
mkdir -p "$WORK"
START=$(date +%s)
"$BIN/aoi" train generate --seeds "${SEEDS:-12}" --db "$WORK/gen.db"
"$BIN/aoi" export --db "$WORK/gen.db" --split train --agent expert --out "$WORK/export" --no-datasets
"$BIN/aoi" train sft --config benchmarks/sft_default.yaml --data "$WORK/export" --out "$WORK/sft" \
  --time-budget "${SFT_BUDGET:-4800}"
"$BIN/aoi" train export-gguf --run "$WORK/sft" --format adapter --out "$WORK/adapter.gguf"
"$BIN/aoi" train ship --adapter-gguf "$WORK/adapter.gguf" --run "$WORK/sft"
echo "train-default: $(( $(date +%s) - START )) s"
