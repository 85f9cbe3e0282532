#!/usr/bin/env bash
# Prepares the GloVe split and runs the hnswlib and FAISS peer runners on it,
# one after the other, writing hnswlib.json and faiss.json to RESULTS.
#
#   bench/run-peers.sh [RESULTS] [DATA]
#
# RESULTS defaults to bench/out/results, DATA to bench/out/glove.
# Needs: apt-get install -y libhnswlib-dev g++ python3-faiss python3-numpy
# The metric comes from DATA/meta.json (METRIC=cosine|l2|dot overrides it).
# Settings (environment): M=16 EFC=200 BUILD_THREADS=2 SEARCH_THREADS=2 K=10 RUNS=3
# EFS=10,16,24,32,48,64,96,128,192,256,384,512 PEERS="hnswlib faiss"
set -euo pipefail
cd "$(dirname "$0")/.."
results=${1:-bench/out/results}
data=${2:-bench/out/glove}
M=${M:-16} EFC=${EFC:-200} BUILD_THREADS=${BUILD_THREADS:-2} SEARCH_THREADS=${SEARCH_THREADS:-2} K=${K:-10} RUNS=${RUNS:-3}
EFS=${EFS:-10,16,24,32,48,64,96,128,192,256,384,512}
PEERS=${PEERS:-hnswlib faiss}
commit=$(git rev-parse HEAD 2>/dev/null || echo "")
mkdir -p "$results"
if [ ! -f "$data/truth.json" ]; then
  go run ./bench/cmd/prepare -out "$data"
fi
dataset=$(sed -n 's/.*"dataset": "\(.*\)".*/\1/p' "$data/meta.json")
metric=${METRIC:-$(sed -n 's/.*"metric": "\(.*\)".*/\1/p' "$data/meta.json")}
metric=${metric:-cosine}
[ "$metric" = dot ] && metric=ip  # the runners' name for the inner product
common=(--base "$data/base.fvecs" --queries "$data/queries.fvecs" --truth "$data/truth.ivecs" --metric "$metric"
  --M "$M" --efc "$EFC" --k "$K" --efs "$EFS" --build-threads "$BUILD_THREADS" --search-threads "$SEARCH_THREADS" --runs "$RUNS"
  --dataset "$dataset" --commit "$commit")
for peer in $PEERS; do
  case $peer in
  hnswlib)
    bench/hnswlib/build.sh
    bench/hnswlib/runner "${common[@]}" --index "$results/hnswlib.index" --out "$results/hnswlib.json"
    rm -f "$results/hnswlib.index"
    ;;
  faiss)
    # Debian's interpreter: a pyenv python3 on PATH would not see python3-faiss.
    /usr/bin/python3 bench/faiss/runner.py "${common[@]}" --index "$results/faiss.index" --out "$results/faiss.json"
    rm -f "$results/faiss.index"
    ;;
  *) echo "unknown peer $peer" >&2; exit 2 ;;
  esac
done
echo "results in $results"
