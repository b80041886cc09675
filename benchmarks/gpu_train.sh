#!/usr/bin/env bash
# SFT + GRPO of the embedded model on one NVIDIA GPU within 10 minutes, writing the LoRA adapter as a GGUF.
#
#   bash benchmarks/gpu_train.sh EXPORT_DIR [RUN_DIR]
#
# EXPORT_DIR is an `aoi export` folder (steps.jsonl), e.g. made on the CPU machine with
#   aoi train generate --seeds 12 && aoi export --split train --agent expert --out EXPORT_DIR
# The GPU stack (Unsloth, which pins older transformers/TRL than the CPU stack) lives in .venv-gpu, created here
# on first use. Stages and their time budgets (seconds): SFT 330, single-turn GRPO under the decision grammar 150,
# GGUF export ~30; model loading and the venv check take the rest. Every stage resumes when rerun.
set -euo pipefail
EXPORT=${1:?usage: gpu_train.sh EXPORT_DIR [RUN_DIR]}
RUN=${2:-runs/gpu-$(date +%Y%m%d-%H%M%S)}
VENV=${AOI_GPU_VENV:-.venv-gpu}
PY=${PYTHON:-python3.11}

nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
if [ ! -f "$VENV/.installed" ]; then
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e '.[gpu]'
  touch "$VENV/.installed"
fi
AOI="$VENV/bin/aoi"
START=$(date +%s)

"$AOI" train sft --config benchmarks/sft_default.yaml --data "$EXPORT" --out "$RUN/sft" --device cuda \
  --batch-size 8 --max-per-group 200 --time-budget 330
"$AOI" train export-gguf --run "$RUN/sft" --format merged --out "$RUN/sft-merged.gguf"
"$AOI" train grpo --data "$EXPORT" --out "$RUN/grpo" --base "$RUN/sft-merged.gguf" --device cuda \
  --batch-size 2 --max-steps 1000 --time-budget 150
"$AOI" train export-gguf --run "$RUN/grpo" --format adapter --out "$RUN/adapter.gguf"

echo "gpu_train: $(( $(date +%s) - START )) s; adapter $RUN/adapter.gguf (for the base $RUN/sft-merged.gguf)"
echo "measure: aoi eval --split heldout --agent aoi --model $RUN/sft-merged.gguf+lora:$RUN/adapter.gguf --runs 5"
