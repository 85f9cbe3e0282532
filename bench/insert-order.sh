#!/usr/bin/env bash
# The insertion-order study of issue 11: does inserting a word-vector file
# (sorted by frequency) in a seeded random order change graph quality
# (recall@10 at equal ef, distance computations per query) or build time?
#
#   bench/insert-order.sh [RESULTS] [DATA] [PAIRS]
#
# Builds the graph PAIRS times (default 3) in file order and PAIRS times
# shuffled, alternating (file with graph seed i, shuffle with seed i), with
# bench/cmd/quant on the prepared split DATA (default bench/out/glove,
# made by bench/cmd/prepare if missing), and writes one result file per
# build to RESULTS (default bench/out/insert-order) plus summary.md
# (vecbolt bench plot --markdown). Settings: M=16 EFC=200 THREADS=2 RUNS=3
# EFS=10,16,24,32,48,64,96,128.
set -euo pipefail
cd "$(dirname "$0")/.."
results=${1:-bench/out/insert-order}
data=${2:-bench/out/glove}
pairs=${3:-3}
M=${M:-16} EFC=${EFC:-200} THREADS=${THREADS:-2} RUNS=${RUNS:-3} EFS=${EFS:-10,16,24,32,48,64,96,128}
export GOFLAGS=${GOFLAGS:--buildvcs=false}
mkdir -p "$results"
if [ ! -f "$data/truth.json" ]; then
  go run ./bench/cmd/prepare -out "$data"
fi
go build -o "$results/quant" ./bench/cmd/quant
go build -o "$results/vecbolt" ./cmd/vecbolt
files=()
for i in $(seq 1 "$pairs"); do
  for mode in file shuffle; do
    out="$results/$mode-$i.json"
    "$results/quant" -data "$data" -variants none -insert "$mode" -seed "$i" -graph-seed "$i" -M "$M" -efc "$EFC" \
      -threads "$THREADS" -runs "$RUNS" -efs "$EFS" -o "$out" 2>&1 | tee "$results/$mode-$i.log" | grep -E 'built|ef ' || true
    files+=("$out")
  done
done
"$results/vecbolt" bench plot --markdown "${files[@]}" --out "$results/insert-order.svg" | tee "$results/summary.md"
