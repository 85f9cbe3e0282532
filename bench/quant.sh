#!/usr/bin/env bash
# Issue 11's measurement: vecbolt's graph in FP32 (file order and reordered),
# FP16 and INT8 with exact rescoring, against native hnswlib (-O3
# -march=native, the same M and efConstruction), on seeded synthetic data
# that does not fit in cache: 200,000 × 128 and 1,000,000 × 100 (l2).
#
#   bench/quant.sh RESULTS [200k|1m|20k ...]   (20k: a one-minute check of the script)
#
# Per data set, in RESULTS/NAME:
#   1. the split (bench/cmd/prepare -synthetic, cached under DATA);
#   2. hnswlib: build on THREADS threads, sweep ef on one thread (one
#      searchKnn per query), save the index, load it in a fresh process
#      (open time, RSS after open)                      -> hnswlib-build.json
#   3. vecbolt's graph (package index, in memory) built once and copied per
#      variant, the variants swept interleaved per ef  -> vecbolt.json
#      (bench/cmd/quant; VARIANTS below)
#   4. hnswlib again, a second sweep of the saved index (--from-index)
#                                                       -> hnswlib-again.json
#      hnswlib.json keeps the faster of its two sweeps per ef: hnswlib gets
#      twice the chances of vecbolt to meet a quiet machine (conservative);
#   5. vecbolt bench plot: the picture and summary.md, QPS at recall 0.90 /
#      0.95 / 0.99 as ratios to hnswlib;
#   6. with RSS=1 (needs `vecbolt bench --quantize`): vecbolt through
#      package query on a database file, per encoding in RSS_ENCODINGS, for
#      the RSS after open in a fresh process  -> vecbolt-ENC.json, rss.md.
#
# Settings (environment): M=16, EFC=200 for 200k and 100 for 1m (EFC
# overrides both), THREADS=2 (build), RUNS=3, EFS=16,24,32,48,64,96,128,192,256,384,
# VARIANTS (see bench/cmd/quant: ENCODING[/ORDER][@OVERSAMPLE], comma-separated)
# default none,none/bfs,fp16@1,int8,int8/bfs,int8/bfs@3, RSS=0,
# RSS_ENCODINGS="none int8", CLOCK=wall (or thread: hnswlib's and vecbolt's
# single-thread passes both timed by the sweeping thread's CPU time, so that
# time spent waiting for a core other processes hold is not counted: for a
# loaded machine), DATA=bench/out, QUANT (a bench/cmd/quant
# binary to use instead of building one from this tree, e.g. with a patch
# under test). Needs Go, g++ and
# libhnswlib-dev (apt-get install -y libhnswlib-dev g++).
set -euo pipefail
if [ $# -lt 1 ]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
fi
results=$(mkdir -p "$1" && cd "$1" && pwd)
shift
sets=("$@")
[ ${#sets[@]} -eq 0 ] && sets=(200k 1m)
cd "$(dirname "$0")/.."
export GOFLAGS=${GOFLAGS:--buildvcs=false}

M=${M:-16} THREADS=${THREADS:-2} RUNS=${RUNS:-3}
EFS=${EFS:-16,24,32,48,64,96,128,192,256,384}
VARIANTS=${VARIANTS:-none,none/bfs,fp16@1,int8,int8/bfs,int8/bfs@3}
RSS=${RSS:-0} RSS_ENCODINGS=${RSS_ENCODINGS:-none int8} CLOCK=${CLOCK:-wall}
DATA=${DATA:-bench/out}

commit=$(git rev-parse HEAD 2>/dev/null || echo "")
if [ -n "$commit" ] && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  commit="$commit+dirty"
fi
echo "== building the tools ($commit)"
bench/hnswlib/build.sh
if [ -n "${QUANT:-}" ]; then
  cp "$QUANT" "$results/quant"
else
  go build -o "$results/quant" ./bench/cmd/quant
fi
go build -o "$results/vecbolt" ./cmd/vecbolt

# run_set NAME N DIM EFC
run_set() {
  local name=$1 n=$2 dim=$3 efc=$4 out="$results/$1"
  local data="$DATA/synthetic-${n}x${dim}-l2"
  mkdir -p "$out"
  if [ ! -f "$data/truth.json" ]; then
    go run ./bench/cmd/prepare -synthetic "$n,$dim" -metric l2 -queries 1000 -seed 42 -out "$data"
  fi
  local dataset
  dataset=$(sed -n 's/.*"dataset": "\(.*\)".*/\1/p' "$data/meta.json")
  local hnsw=(--base "$data/base.fvecs" --queries "$data/queries.fvecs" --truth "$data/truth.ivecs" --metric l2
    --M "$M" --efc "$efc" --k 10 --efs "$EFS" --build-threads "$THREADS" --search-threads 0 --runs "$RUNS"
    --dataset "$dataset" --commit "$commit" --index "$out/hnswlib.index" --clock "$CLOCK")
  echo "== $name: hnswlib build and sweep (load $(cut -d' ' -f1-3 /proc/loadavg))"
  bench/hnswlib/runner "${hnsw[@]}" --out "$out/hnswlib-build.json" 2>&1 | tee "$out/hnswlib-build.log"
  echo "== $name: vecbolt graph variants $VARIANTS (load $(cut -d' ' -f1-3 /proc/loadavg))"
  "$results/quant" -data "$data" -variants "$VARIANTS" -M "$M" -efc "$efc" -threads "$THREADS" -runs "$RUNS" \
    -clock "$CLOCK" -efs "$EFS" -commit "$commit" -o "$out/vecbolt.json" 2>&1 | tee "$out/vecbolt.log"
  echo "== $name: hnswlib second sweep (load $(cut -d' ' -f1-3 /proc/loadavg))"
  bench/hnswlib/runner "${hnsw[@]}" --from-index --out "$out/hnswlib-again.json" 2>&1 | tee "$out/hnswlib-again.log"
  "$results/quant" -best-of -o "$out/hnswlib.json" "$out/hnswlib-build.json" "$out/hnswlib-again.json"
  rm -f "$out/hnswlib.index"
  echo "== $name: summary"
  local title="Synthetic ${n}×${dim}, l2, M=$M efC=$efc: recall@10 vs QPS (one thread, one query per call)"
  "$results/vecbolt" bench plot "$out/hnswlib.json" "$out/vecbolt.json" --title "$title" \
    --out "$out/$name-quant.png" --out "$out/$name-quant.svg" | tee "$out/summary.txt"
  "$results/vecbolt" bench plot --markdown "$out/hnswlib.json" "$out/vecbolt.json" --title "$title" \
    --out "$out/$name-quant.svg" > "$out/summary.md"
  if [ "$RSS" = 1 ]; then
    local files=("$out/hnswlib.json")
    for enc in $RSS_ENCODINGS; do
      echo "== $name: vecbolt bench --quantize $enc (load $(cut -d' ' -f1-3 /proc/loadavg))"
      "$results/vecbolt" bench --base "$data/base.fvecs" --queries "$data/queries.fvecs" --truth "$data/truth.ivecs" \
        --metric l2 --m "$M" --ef-construction "$efc" --ef "$EFS" -k 10 --threads "$THREADS" --search-threads 1 \
        --runs 1 --inserts 0 --import=false --quantize "$enc" --commit "$commit" --work-dir "$out" \
        --out "$out/vecbolt-$enc.json" 2>&1 | tee "$out/vecbolt-$enc.log"
      files+=("$out/vecbolt-$enc.json")
    done
    "$results/vecbolt" bench plot --markdown "${files[@]}" --out "$out/$name-db.svg" > "$out/rss.md"
  fi
}

for set in "${sets[@]}"; do
  case $set in
  200k) run_set 200k 200000 128 "${EFC:-200}" ;;
  1m) run_set 1m 1000000 100 "${EFC:-100}" ;;
  20k) run_set 20k 20000 32 "${EFC:-100}" ;; # a quick check of the script itself
  *) echo "unknown data set $set (want 200k, 1m or 20k)" >&2; exit 2 ;;
  esac
done
echo "== results in $results"
