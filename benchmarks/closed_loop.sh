#!/usr/bin/env bash
# The closed loop of issues 5-7, measured on the model subsets (benchmarks/model_subsets.sh):
#   1. the embedded base model (aoi agent; then the react agent on the smaller react subsets), k=5;
#   2. expert episodes on the whole train split -> `aoi export` -> SFT of the embedded model (time-boxed) -> GGUF;
#   3. the trained model on both subsets, k=5;
#   4. a short GRPO from the SFT model -> GGUF -> the held-out subset;
#   5. the evolver on the failed train episodes -> guidance; the held-out subset with guidance on;
#   6. a second SFT with the evolver's corrective samples appended -> the held-out subset again;
#      retrain-control: the same number of steps on the export alone (not in the default run).
# Not a test: it prints numbers (JSON per eval under $AOI_HOME/results/). Every step resumes when rerun.
# Usage: AOI_HOME=/tmp/aoi-loop SFT_BUDGET=1800 benchmarks/closed_loop.sh [STEP...]   (steps: base react expert
#        sft trained grpo evolve guided retrain; default all)
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/model_subsets.sh
: "${AOI_HOME:?set AOI_HOME to a measurement folder}"
SFT_BUDGET=${SFT_BUDGET:-1800}
AOI=${AOI:-.venv/bin/aoi}
OUT=$AOI_HOME/results
mkdir -p "$OUT"
STEPS=${*:-base react expert sft trained grpo evolve guided retrain}

evaluate() {  # NAME SPLIT SUBSET AGENT MODEL [EXTRA...]
  local name=$1 split=$2 subset=$3 agent=$4 model=$5; shift 5
  # shellcheck disable=SC2086
  ( time $AOI eval --suite aiopslab-sim --split "$split" --problems "$subset" --agent "$agent" --model "$model" \
      $MODEL_BUDGET --name "$name" --json "$@" > "$OUT/$name.json" ) 2>&1 | grep -v llama_kv_cache | tail -3
}

for step in $STEPS; do
  echo "== $step ($(date -u +%H:%M:%S))"
  case $step in
    base)
      evaluate embedded-heldout heldout "$HELDOUT_SUBSET" aoi embedded
      evaluate embedded-train train "$TRAIN_SUBSET" aoi embedded
      for agent in expert random; do
        evaluate "$agent-heldout-subset" heldout "$HELDOUT_SUBSET" "$agent" embedded
        evaluate "$agent-train-subset" train "$TRAIN_SUBSET" "$agent" embedded
      done ;;
    react)
      evaluate react-heldout heldout "$REACT_HELDOUT_SUBSET" react embedded
      evaluate react-train train "$REACT_TRAIN_SUBSET" react embedded ;;
    expert)
      $AOI eval --suite aiopslab-sim --split train --agent expert --runs 5 --workers 2 --name expert-train --json \
        > "$OUT/expert-train.json"
      $AOI export --split train --agent expert --outcome submitted --out "$AOI_HOME/export" --json \
        > "$OUT/export.json" ;;
    sft)
      time $AOI train sft --config benchmarks/sft_cpu.yaml --data "$AOI_HOME/export" --out "$AOI_HOME/sft" --agent expert \
        --time-budget "$SFT_BUDGET" --max-steps 100000
      $AOI train export-gguf --run "$AOI_HOME/sft" --out "$AOI_HOME/sft.gguf" ;;
    trained)
      evaluate sft-heldout heldout "$HELDOUT_SUBSET" aoi "$AOI_HOME/sft.gguf"
      evaluate sft-train train "$TRAIN_SUBSET" aoi "$AOI_HOME/sft.gguf" ;;
    grpo)
      time $AOI train grpo --data "$AOI_HOME/export" --out "$AOI_HOME/grpo" --base "$AOI_HOME/sft.gguf" --max-steps 4 \
        --time-budget 900 --max-completion-length 160 --max-prompt-tokens 1600
      $AOI train export-gguf --run "$AOI_HOME/grpo" --out "$AOI_HOME/grpo.gguf"
      evaluate grpo-heldout heldout "$HELDOUT_SUBSET" aoi "$AOI_HOME/grpo.gguf" ;;
    evolve)
      $AOI evolve mine
      $AOI evolve repair --split train --json > "$OUT/repair.json"
      $AOI evolve guidance list ;;
    guided)
      evaluate sft-heldout-guided heldout "$HELDOUT_SUBSET" aoi "$AOI_HOME/sft.gguf" --guidance on ;;
    retrain)
      cp -r "$AOI_HOME/export" "$AOI_HOME/export-corrective"
      $AOI evolve samples --out "$AOI_HOME/export-corrective"
      time $AOI train sft --config benchmarks/sft_cpu.yaml --data "$AOI_HOME/export-corrective" --out "$AOI_HOME/sft2" \
        --base "$AOI_HOME/sft.gguf" \
        --time-budget "$((SFT_BUDGET / 3))" --max-steps 100000
      $AOI train export-gguf --run "$AOI_HOME/sft2" --out "$AOI_HOME/sft2.gguf"
      evaluate sft2-heldout heldout "$HELDOUT_SUBSET" aoi "$AOI_HOME/sft2.gguf" ;;
    retrain-control)  # the same continued SFT, as many steps as `retrain` took, without the corrective samples
      steps=$(grep -c '"step"' "$AOI_HOME/sft2/train_log.jsonl")
      time $AOI train sft --config benchmarks/sft_cpu.yaml --data "$AOI_HOME/export" --out "$AOI_HOME/sft2-control" \
        --base "$AOI_HOME/sft.gguf" --time-budget "$SFT_BUDGET" --max-steps "$steps"
      $AOI train export-gguf --run "$AOI_HOME/sft2-control" --out "$AOI_HOME/sft2-control.gguf"
      evaluate sft2-control-heldout heldout "$HELDOUT_SUBSET" aoi "$AOI_HOME/sft2-control.gguf" ;;
    *) echo "unknown step $step" >&2; exit 2 ;;
  esac
done
