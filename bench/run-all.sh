#!/usr/bin/env bash
# Reproduces the benchmark figures of docs/benchmarks.md in one go:
#
#   1. the GloVe 50k split (bench/cmd/prepare: 49,000 base words, 1,000
#      held-out queries, seed 42, exact top-100 cosine truth);
#   2. hnswlib and FAISS on it (bench/run-peers.sh);
#   3. vecbolt bench on the same files (the binary is built first);
#   4. vecbolt bench plot: the recall/QPS picture and the summary tables;
#   5. the same for one synthetic scale run (SYNTH, default 200,000 x 128
#      clustered Gaussian, l2, 1,000 queries), written as fvecs/ivecs so the
#      peers read the very same vectors.
#
#   bench/run-all.sh RESULTS [glove|synthetic ...]
#
# RESULTS receives one directory per data set (hnswlib.json, faiss.json,
# vecbolt.json and .csv, summary.txt, summary.md, the logs). The plots go to
# FIGURES (default docs/): glove-recall-qps.png/.svg and
# synthetic-recall-qps.png/.svg. Without data set arguments both run.
#
# Needs Go, and for the peers: apt-get install -y libhnswlib-dev g++ python3-faiss python3-numpy
# Settings (environment): M=16 EFC=200 THREADS=2 (build and multi-thread search)
# RUNS=3 K=10 EFS=10,16,24,32,48,64,96,128,192,256,384,512 PEERS="hnswlib faiss"
# SYNTH=200000,128 SYNTH_METRIC=l2 DATA=bench/out (prepared splits, reused)
set -euo pipefail
if [ $# -lt 1 ]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
fi
results=$(mkdir -p "$1" && cd "$1" && pwd)
shift
sets=("$@")
[ ${#sets[@]} -eq 0 ] && sets=(glove synthetic)
cd "$(dirname "$0")/.."

M=${M:-16} EFC=${EFC:-200} THREADS=${THREADS:-2} RUNS=${RUNS:-3} K=${K:-10}
EFS=${EFS:-10,16,24,32,48,64,96,128,192,256,384,512}
PEERS=${PEERS:-hnswlib faiss}
SYNTH=${SYNTH:-200000,128} SYNTH_METRIC=${SYNTH_METRIC:-l2}
DATA=${DATA:-bench/out}
FIGURES=${FIGURES:-docs}
mkdir -p "$FIGURES"

commit=$(git rev-parse HEAD 2>/dev/null || echo "")
if [ -n "$commit" ] && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  commit="$commit+dirty"
fi
vecbolt="$results/vecbolt"
echo "== building $vecbolt ($commit)"
go build -o "$vecbolt" ./cmd/vecbolt

# run_set NAME DATA_DIR TITLE: peers, vecbolt, plot for one prepared split.
run_set() {
  local name=$1 data=$2 title=$3 out="$results/$1"
  mkdir -p "$out"
  local peers=()
  if [ -n "$PEERS" ]; then
    echo "== $name: peers ($PEERS)"
    M=$M EFC=$EFC BUILD_THREADS=$THREADS SEARCH_THREADS=$THREADS K=$K RUNS=$RUNS EFS=$EFS PEERS="$PEERS" \
      bench/run-peers.sh "$out" "$data" 2>&1 | tee "$out/peers.log"
    for p in $PEERS; do peers+=("$out/$p.json"); done
  fi
  echo "== $name: vecbolt"
  "$vecbolt" bench --base "$data/base.fvecs" --queries "$data/queries.fvecs" --truth "$data/truth.ivecs" \
    --metric "$(sed -n 's/.*"metric": "\(.*\)".*/\1/p' "$data/meta.json")" --m "$M" --ef-construction "$EFC" \
    --ef "$EFS" -k "$K" --threads "$THREADS" --search-threads "$THREADS" --runs "$RUNS" --commit "$commit" \
    --work-dir "$out" --out "$out/vecbolt.json" --out "$out/vecbolt.csv" 2> >(tee "$out/vecbolt.log" >&2) | tee "$out/vecbolt.txt"
  echo "== $name: plot"
  "$vecbolt" bench plot "${peers[@]}" "$out/vecbolt.json" --title "$title" \
    --out "$FIGURES/$name-recall-qps.png" --out "$FIGURES/$name-recall-qps.svg" | tee "$out/summary.txt"
  "$vecbolt" bench plot --markdown "${peers[@]}" "$out/vecbolt.json" --title "$title" \
    --out "$out/$name-recall-qps.svg" > "$out/summary.md"
}

for set in "${sets[@]}"; do
  case $set in
  glove)
    if [ ! -f "$DATA/glove/truth.json" ]; then
      go run ./bench/cmd/prepare -out "$DATA/glove"
    fi
    run_set glove "$DATA/glove" "GloVe 50k, 100d, cosine: recall@$K vs QPS (one thread, one query per call)"
    ;;
  synthetic)
    n=${SYNTH%,*} dim=${SYNTH#*,}
    dir="$DATA/synthetic-${n}x${dim}-$SYNTH_METRIC"
    if [ ! -f "$dir/truth.json" ]; then
      go run ./bench/cmd/prepare -synthetic "$SYNTH" -metric "$SYNTH_METRIC" -queries 1000 -seed 42 -out "$dir"
    fi
    run_set synthetic "$dir" "Synthetic ${n}×${dim} clustered, $SYNTH_METRIC: recall@$K vs QPS (one thread, one query per call)"
    ;;
  *) echo "unknown data set $set (want glove or synthetic)" >&2; exit 2 ;;
  esac
done
echo "== results in $results, figures in $FIGURES"
