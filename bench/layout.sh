#!/usr/bin/env bash
# Issue 11's graph-layout measurement through the path users get: `vecbolt
# bench` builds each database staged, as `vecbolt import` builds a new
# collection, and its commit renumbers the graph (--order); against native
# hnswlib (-O3 -march=native, the same M and efConstruction) in the same
# run, on seeded synthetic 200,000 × 128 (l2, 1,000 queries).
#
#   bench/layout.sh RESULTS [200k|20k]   (20k: a one-minute check of the script)
#
# In RESULTS/NAME: hnswlib builds on THREADS threads and sweeps ef on one
# thread (hnswlib-build.json); then `vecbolt bench` once per variant in
# VARIANTS (ENCODING/ORDER, default none/none,none/rcm,int8/none,int8/rcm;
# a variant listed again is built and swept again, vecbolt-ENC-ORDER-2.json,
# so that repeats interleave with the others), each a build of its own
# (vecbolt-ENC-ORDER.json); then hnswlib sweeps its
# saved index again (hnswlib-again.json), and hnswlib.json keeps the faster
# of its two sweeps per ef (conservative); summary.md: QPS at recall 0.90 /
# 0.95 / 0.99 as ratios to hnswlib (`vecbolt bench plot --markdown`).
# Settings (environment): M=16, EFC=200, THREADS=2, RUNS=3,
# EFS=16,24,32,48,64,96,128,192,256,384, DATA=bench/out. Needs Go, g++ and
# libhnswlib-dev. Run heavy sets under `flock /work/heavy.lock` on a shared
# machine.
set -euo pipefail
if [ $# -lt 1 ]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
fi
results=$(mkdir -p "$1" && cd "$1" && pwd)
set=${2:-200k}
cd "$(dirname "$0")/.."
export GOFLAGS=${GOFLAGS:--buildvcs=false}
M=${M:-16} EFC=${EFC:-200} THREADS=${THREADS:-2} RUNS=${RUNS:-3}
EFS=${EFS:-16,24,32,48,64,96,128,192,256,384}
VARIANTS=${VARIANTS:-none/none,none/rcm,int8/none,int8/rcm}
DATA=${DATA:-bench/out}
case $set in
200k) n=200000 dim=128 ;;
20k) n=20000 dim=32 ;;
*) echo "unknown data set $set (want 200k or 20k)" >&2; exit 2 ;;
esac
commit=$(git rev-parse HEAD 2>/dev/null || echo "")
if [ -n "$commit" ] && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  commit="$commit+dirty"
fi
echo "== building the tools ($commit)"
bench/hnswlib/build.sh
go build -o "$results/vecbolt" ./cmd/vecbolt
go build -o "$results/quant" ./bench/cmd/quant
out="$results/$set"
mkdir -p "$out"
data="$DATA/synthetic-${n}x${dim}-l2"
if [ ! -f "$data/truth.json" ]; then
  go run ./bench/cmd/prepare -synthetic "$n,$dim" -metric l2 -queries 1000 -seed 42 -out "$data"
fi
dataset=$(sed -n 's/.*"dataset": "\(.*\)".*/\1/p' "$data/meta.json")
hnsw=(--base "$data/base.fvecs" --queries "$data/queries.fvecs" --truth "$data/truth.ivecs" --metric l2
  --M "$M" --efc "$EFC" --k 10 --efs "$EFS" --build-threads "$THREADS" --search-threads 0 --runs "$RUNS"
  --dataset "$dataset" --commit "$commit" --index "$out/hnswlib.index")
echo "== hnswlib build and sweep ($(uptime))"
bench/hnswlib/runner "${hnsw[@]}" --out "$out/hnswlib-build.json" 2>&1 | tee "$out/hnswlib-build.log"
files=()
declare -A seen=()
for v in ${VARIANTS//,/ }; do
  enc=${v%/*} order=${v#*/}
  # A variant listed again (to interleave repeats) gets its own files.
  name="$enc-$order"
  seen[$name]=$(( ${seen[$name]:-0} + 1 ))
  [ "${seen[$name]}" -gt 1 ] && name="$name-${seen[$name]}"
  echo "== vecbolt bench --quantize $enc --order $order ($(uptime))"
  "$results/vecbolt" bench --base "$data/base.fvecs" --queries "$data/queries.fvecs" --truth "$data/truth.ivecs" \
    --metric l2 --m "$M" --ef-construction "$EFC" --ef "$EFS" -k 10 --threads "$THREADS" --search-threads 1 \
    --runs "$RUNS" --inserts 0 --import=false --quantize "$enc" --order "$order" --commit "$commit" \
    --work-dir "$out" --out "$out/vecbolt-$name.json" 2>&1 | tee "$out/vecbolt-$name.log"
  files+=("$out/vecbolt-$name.json")
done
echo "== hnswlib second sweep ($(uptime))"
bench/hnswlib/runner "${hnsw[@]}" --from-index --out "$out/hnswlib-again.json" 2>&1 | tee "$out/hnswlib-again.log"
"$results/quant" -best-of -o "$out/hnswlib.json" "$out/hnswlib-build.json" "$out/hnswlib-again.json"
rm -f "$out/hnswlib.index"
title="Synthetic ${n}×${dim}, l2, M=$M efC=$EFC: vecbolt bench (staged build, renumbered at commit) vs hnswlib"
"$results/vecbolt" bench plot --markdown "$out/hnswlib.json" "${files[@]}" --title "$title" \
  --out "$out/$set-layout.svg" | tee "$out/summary.md"
echo "== done ($(uptime)); results in $out"
