#!/usr/bin/env bash
# Format-2 figures side by side with hnswlib, one data set per run:
#
#   bench/format2.sh OUT DATA_DIR [V1_BINARY]
#
# DATA_DIR is a prepared split (go run ./bench/cmd/prepare -synthetic N,100
# -metric l2 -queries 100 -k 10 -out DATA_DIR). It measures, with
# GOMAXPROCS=2 and 2 build threads for both:
#   - hnswlib (bench/hnswlib/runner, built by bench/hnswlib/build.sh): the
#     2-thread build (seconds, peak RSS from /usr/bin/time) and loadIndex +
#     one query in a fresh process (the runner's --load mode);
#   - vecbolt import of base.fvecs into a new database on disk (seconds,
#     peak RSS), then open + load + one query in a fresh process
#     (vecbolt bench probe-open) three times, the fastest kept;
#   - with V1_BINARY (vecbolt built at the last format-1 commit), the same
#     import and open for the format-1 baseline.
# Results: OUT/*.json and OUT/*.time (GNU time -v output).
set -euo pipefail
out=$(mkdir -p "$1" && cd "$1" && pwd)
data=$2
v1=${3:-}
cd "$(dirname "$0")/.."
M=${M:-16} EFC=${EFC:-200}
export GOMAXPROCS=2
go build -o "$out/vecbolt" ./cmd/vecbolt
[ -x bench/hnswlib/runner ] || bench/hnswlib/build.sh
q=$(python3 -c "
import struct,sys
f=open('$data/queries.fvecs','rb'); d=struct.unpack('<i',f.read(4))[0]
print(','.join('%g'%x for x in struct.unpack('<%df'%d,f.read(4*d))))")

echo "== hnswlib build (2 threads) and load"
/usr/bin/time -v -o "$out/hnswlib.time" bench/hnswlib/runner --base "$data/base.fvecs" --queries "$data/queries.fvecs" \
  --truth "$data/truth.ivecs" --metric l2 --M "$M" --efc "$EFC" --build-threads 2 --search-threads 0 --efs 64 --runs 1 \
  --index "$out/hnswlib.bin" --out "$out/hnswlib.json" 2> "$out/hnswlib.log"
grep -h "load+first query\|Maximum resident\|Elapsed" "$out/hnswlib.log" "$out/hnswlib.time"

run_vecbolt() { # name binary
  local name=$1 bin=$2 db="$out/$1.db"
  rm -f "$db"
  echo "== $name import"
  /usr/bin/time -v -o "$out/$name.import.time" "$bin" --db "$db" import "$data/base.fvecs" --metric l2 --m "$M" \
    --ef-construction "$EFC" > "$out/$name.import.txt"
  cat "$out/$name.import.txt"; grep -h "Maximum resident\|Elapsed" "$out/$name.import.time"
  echo "== $name open + first query, fresh process (3 runs)"
  for i in 1 2 3; do
    "$bin" --db "$db" bench probe-open -c default --query "$q" -k 10 | tee -a "$out/$name.open.json"
  done
}
run_vecbolt v2 "$out/vecbolt"
if [ -n "$v1" ]; then
  # probe-open of the v2 binary cannot read a format-1 file; the v1 binary has its own
  run_v1() {
    local db="$out/v1.db"; rm -f "$db"
    echo "== v1 import"
    /usr/bin/time -v -o "$out/v1.import.time" "$v1" --db "$db" import "$data/base.fvecs" --metric l2 --m "$M" \
      --ef-construction "$EFC" > "$out/v1.import.txt"
    cat "$out/v1.import.txt"; grep -h "Maximum resident\|Elapsed" "$out/v1.import.time"
    echo "== v1 open + first query"
    for i in 1 2 3; do "$v1" --db "$db" bench probe-open -c default --query "$q" -k 10 | tee -a "$out/v1.open.json"; done
  }
  run_v1
fi
