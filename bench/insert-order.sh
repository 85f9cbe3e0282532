#!/usr/bin/env bash
# The insertion-order study of issue 11: does inserting a word-vector file
# (sorted by frequency) in a seeded random order change graph quality
# (recall@10 at equal ef, distance computations per query, QPS at equal
# recall) or the build (time, distance computations)?
#
#   bench/insert-order.sh [RESULTS] [DATA] [SEEDS]
#
# For each seed i in 1..SEEDS (default 3), bench/cmd/quant builds the graph
# twice in one process, in file order and shuffled with seed i (graph
# seed i for both), and sweeps both interleaved per ef (VARIANTS, default
# "none,none/bfs": as built, and renumbered breadth-first, which takes the
# memory layout out of the comparison). QPS is the sweeping thread's CPU
# time (CLOCK=thread), so that a loaded machine does not decide. DATA is a
# prepared split (default bench/out/glove, made by bench/cmd/prepare if
# missing); RESULTS (default bench/out/insert-order) receives one result
# file and log per seed and summary.md (vecbolt bench plot --markdown).
# Settings: M=16 EFC=200 THREADS=2 RUNS=5 EFS=10,16,24,32,48,64,96,128 CLOCK=thread.
set -euo pipefail
cd "$(dirname "$0")/.."
results=${1:-bench/out/insert-order}
data=${2:-bench/out/glove}
seeds=${3:-3}
M=${M:-16} EFC=${EFC:-200} THREADS=${THREADS:-2} RUNS=${RUNS:-5} EFS=${EFS:-10,16,24,32,48,64,96,128}
VARIANTS=${VARIANTS:-none,none/bfs} CLOCK=${CLOCK:-thread}
export GOFLAGS=${GOFLAGS:--buildvcs=false}
mkdir -p "$results"
if [ ! -f "$data/truth.json" ]; then
  go run ./bench/cmd/prepare -out "$data"
fi
go build -o "$results/quant" ./bench/cmd/quant
go build -o "$results/vecbolt" ./cmd/vecbolt
files=()
for i in $(seq 1 "$seeds"); do
  out="$results/seed-$i.json"
  "$results/quant" -data "$data" -variants "$VARIANTS" -insert file,shuffle -seed "$i" -graph-seed "$i" -M "$M" \
    -efc "$EFC" -threads "$THREADS" -runs "$RUNS" -efs "$EFS" -clock "$CLOCK" -o "$out" 2>&1 |
    tee "$results/seed-$i.log" | grep -E "built|ef " || true
  files+=("$out")
done
"$results/vecbolt" bench plot --markdown "${files[@]}" --out "$results/insert-order.svg" | tee "$results/summary.md"
