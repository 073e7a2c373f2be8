#!/usr/bin/env bash
# The two runs of docs/notebook.md: (a) the seed notebook's configuration with its exact mixer
# (leviathan-same --notebook=true: 4-D correlate over batch rows and heads, Q/K detached, no mask),
# (b) the same configuration with the causal leviathan mixer. The gap between their validation
# losses is what the leak buys at the notebook's scale. Run for 200-400 steps only so far: the results section of
# docs/notebook.md is filled in from this script's output.
#
# Estimated time, from a few steps measured on the shared 2-core machine while it was busy (load
# average 3-4; a free machine should be faster), 2 threads:
#   (a) ~3.2 s per step x 5000 + 10 evaluations of 400 batches at ~1.4 s  ≈ 4.4 h + 1.6 h ≈ 6 h
#   (b) ~1.9 s per step x 5000 + 10 evaluations of 400 batches at ~0.56 s ≈ 2.6 h + 0.6 h ≈ 3.2 h
#   final evals: a few minutes. Run (a) and (b) one after the other (each uses both cores).
#
# Overrides (for a smoke test, e.g. STEPS=2 EVAL_ITERS=1 RUNS=/tmp/nb docs/notebook-runs.sh):
#   RUNS (run directories, default runs/notebook), STEPS (5000), EVAL_INTERVAL (500),
#   EVAL_ITERS (200), THREADS (2). A run interrupted with Ctrl-C saves a checkpoint; running the
#   script again resumes it (and skips a run that already finished).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

RUNS=${RUNS:-runs/notebook}
STEPS=${STEPS:-5000}
EVAL_INTERVAL=${EVAL_INTERVAL:-500}
EVAL_ITERS=${EVAL_ITERS:-200}
THREADS=${THREADS:-2}
mkdir -p "$RUNS"

# The notebook's TrainingConfig and LeviathanModelConfig, as far as the model allows (docs/notebook.md):
# 2 blocks, 2 heads, width 4, context 512, batch 64, constant lr 3e-4, PyTorch AdamW defaults
# (betas 0.9/0.999, eps 1e-8, weight decay 0.01), no gradient clipping (a bound no norm reaches),
# no warm-up, dropout 0.1, evaluation every 500 steps on 200 random batches per split, 5000 steps.
common=(--preset seed --data tinyshakespeare
        --layers=2 --heads=2 --width=4 --context=512 --batch=64 --steps="$STEPS"
        --lr=3e-4 --min_lr=3e-4 --warmup=0 --beta1=0.9 --beta2=0.999 --eps=1e-8 --weight_decay=0.01 --grad_clip=1e9
        --dropout=0.1 --eval_interval="$EVAL_INTERVAL" --eval_iters="$EVAL_ITERS" --sample_chars=0 --seed=1337)

# train DIR MIXER_ARGS...: a fresh run into DIR, or the continuation of the one DIR holds.
train() {
  local dir=$1
  shift
  if [ -f "$dir/model.safetensors" ]; then
    ./leviathan train --resume --out "$dir" --threads="$THREADS" 2>&1 | tee -a "$dir.log"
  else
    ./leviathan train "${common[@]}" "$@" --out "$dir" --threads="$THREADS" 2>&1 | tee -a "$dir.log"
  fi
}

# (a) the notebook: NOT causal, batch rows mix; every command says so.
train "$RUNS/a-notebook" --mixer=leviathan-same --notebook=true
# (b) the causal Leviathan mixer (SPEC 2.2, lags 4), same everything else.
train "$RUNS/b-leviathan" --mixer=leviathan --lags=4

# Both checkpoints on the whole validation split in batches of 64 (the batch the notebook mode was
# trained with: its outputs depend on the other rows of the batch), then the notebook checkpoint
# with one window per batch, where the batch axis of its correlation has nothing to mix.
./leviathan eval --checkpoint "$RUNS/a-notebook" --batch 64 --threads "$THREADS" 2>&1 | tee "$RUNS/a-notebook.eval"
./leviathan eval --checkpoint "$RUNS/b-leviathan" --batch 64 --threads "$THREADS" 2>&1 | tee "$RUNS/b-leviathan.eval"
./leviathan eval --checkpoint "$RUNS/a-notebook" --batch 1 --threads "$THREADS" 2>&1 | tee "$RUNS/a-notebook-batch1.eval"
