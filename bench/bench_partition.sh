#!/usr/bin/env bash
# Partitioned training against one training of the whole scene, on the built-in scene generated
# larger than the demo's: held-out PSNR of the merged cells and of the whole, Gaussians, and wall
# time (the cells run as one local batch, --parallel of them at a time; "cells_critical_path" is
# the longest cell, the wall time with one machine per cell). Prints one JSON line per figure.
# Usage: bench/bench_partition.sh [BUILD_DIR] [OUT_DIR]
#   env: CELLS (4), BALANCE (points: the built-in scene's cameras circle its content), ITERS (2000),
#        SIZE (200), TRAIN (96), TEST (16), PARALLEL (2), THREADS (nproc)
set -euo pipefail
build=${1:-build}
out=${2:-bench-partition}
bin="$build/splatscape"
cells=${CELLS:-4}
balance=${BALANCE:-points}
iters=${ITERS:-2000}
size=${SIZE:-200}
train=${TRAIN:-96}
test=${TEST:-16}
parallel=${PARALLEL:-2}
threads=${THREADS:-$(nproc)}
machine="$(nproc) cores, $(uname -m)"

rm -rf "$out"
mkdir -p "$out"
"$bin" -q generate shapes -o "$out/scene" --width "$size" --height "$size" --train "$train" --test "$test" >/dev/null

now() { date +%s.%N; }
json_get() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval('d'+sys.argv[2]))" "$@"; }

t0=$(now)
"$bin" -q train "$out/scene" -o "$out/whole" --device cpu --threads "$threads" --iters "$iters" \
    --scale-schedule >"$out/whole.log" 2>&1
t1=$(now)
whole_wall=$(python3 -c "print(round($t1 - $t0, 1))")

"$bin" -q partition "$out/scene" -o "$out/plan" --cells "$cells" --balance "$balance" >"$out/partition.log"
cat >"$out/cells.json" <<JOBS
{"defaults": {"iters": $iters, "device": "cpu", "args": ["--scale-schedule"]}, "jobs": [{"plan": "plan"}]}
JOBS
t0=$(now)
"$bin" -q batch "$out/cells.json" --parallel "$parallel" >"$out/batch.log" 2>&1
t1=$(now)
cells_wall=$(python3 -c "print(round($t1 - $t0, 1))")
"$bin" -q merge "$out/plan" -o "$out/merged.ply" --eval --threads "$threads" >"$out/merge.log" 2>&1

critical=$(python3 -c "
import json
s = json.load(open('$out/cells.batch/summary.json'))
print(round(max(j['wall_seconds'] for j in s['jobs']), 1))")
emit() { printf '{"bench": "partition", "machine": "%s", "scene": "shapes %dx%d, %d train / %d test views", "iters": %d, "cells": %d, "balance": "%s", "figure": "%s", "value": %s}\n' \
    "$machine" "$size" "$size" "$train" "$test" "$iters" "$cells" "$balance" "$1" "$2"; }
emit whole_psnr "$(json_get "$out/whole/eval.json" "['psnr']")"
emit whole_gaussians "$(json_get "$out/whole/eval.json" "['gaussians']")"
emit whole_wall_seconds "$whole_wall"
emit cells_psnr "$(json_get "$out/merged.merge.json" "['eval']['psnr']")"
emit cells_gaussians "$(json_get "$out/merged.merge.json" "['gaussians']")"
emit cells_wall_seconds_parallel_$parallel "$cells_wall"
emit cells_critical_path_seconds "$critical"
