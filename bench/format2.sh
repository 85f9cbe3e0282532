#!/usr/bin/env bash
# Format-2 figures side by side with hnswlib, one data set per run:
#
#   bench/format2.sh OUT DATA_DIR [V1_BINARY]
#
# DATA_DIR is a prepared split (go run ./bench/cmd/prepare -synthetic N,100
# -metric l2 -queries 100 -k 10 -out DATA_DIR). With GOMAXPROCS=2 and 2
# build threads for both, it measures:
#   - hnswlib (bench/hnswlib/runner, built by bench/hnswlib/build.sh): the
#     2-thread build (seconds, CPU, peak RSS from GNU time -v);
#   - vecbolt import of base.fvecs into a new database on disk (the same);
#   - open + first query in a fresh process, ROUNDS times (default 5),
#     alternating hnswlib's loadIndex + one query (the runner's --load mode)
#     and vecbolt's read-only open + load + one query (vecbolt bench
#     probe-open): wall and CPU time, RSS after the query, and how much of
#     that RSS is pages of the mapped database file (RssFile);
#   - bytes written per single upsert into a copy of the imported database
#     (bench/cmd/upsertbytes, UPSERTS new keys then UPSERTS replacements,
#     default 500 each; wchar of the process: pages, freelist, meta);
#   - with V1_BINARY (vecbolt built at the last format-1 commit), its import
#     and open for the format-1 baseline.
# ORDERS (environment, space-separated, e.g. "rcm none") imports once per
# node order (`import --order`): the first is the v2 database that the
# opens and upserts measure, the others (v2-ORDER) are measured for the
# import only (time, peak RSS, file size), each right after the last so
# that all meet the same load; unset, one import with the import's default.
# QUANTIZE (environment: fp16 or int8) imports with --quantize.
# M and EFC (environment, default 16 and 200) set both builds. OPEN_ONLY=1
# skips the builds and the upserts and measures the opens again on the
# hnswlib.bin and v2.db of an earlier run in OUT (with this tree's binary).
# Results: OUT/*.json, OUT/*.time (GNU time -v output), OUT/summary.txt
# (medians and ratios, written by the python3 at the end).
set -euo pipefail
out=$(mkdir -p "$1" && cd "$1" && pwd)
data=$(cd "$2" && pwd)
v1=${3:-}
cd "$(dirname "$0")/.."
M=${M:-16} EFC=${EFC:-200} ROUNDS=${ROUNDS:-5} UPSERTS=${UPSERTS:-500}
export GOMAXPROCS=2
go build -o "$out/vecbolt" ./cmd/vecbolt
go build -o "$out/upsertbytes" ./bench/cmd/upsertbytes
[ -x bench/hnswlib/runner ] || bench/hnswlib/build.sh
q=$(python3 -c "
import struct,sys
f=open('$data/queries.fvecs','rb'); d=struct.unpack('<i',f.read(4))[0]
print(','.join('%g'%x for x in struct.unpack('<%df'%d,f.read(4*d))))")
if [ -z "${OPEN_ONLY:-}" ]; then
uptime | tee "$out/load.txt"

echo "== hnswlib build (2 threads)"
/usr/bin/time -v -o "$out/hnswlib.time" bench/hnswlib/runner --base "$data/base.fvecs" --queries "$data/queries.fvecs" \
  --truth "$data/truth.ivecs" --metric l2 --M "$M" --efc "$EFC" --build-threads 2 --search-threads 0 --efs 64 --runs 1 \
  --index "$out/hnswlib.bin" --out "$out/hnswlib.json" 2> "$out/hnswlib.log"
grep -h "Maximum resident\|Elapsed\|User time\|System time" "$out/hnswlib.time"

import_vecbolt() { # name binary [order]
  local name=$1 bin=$2 db="$out/$1.db" order=()
  [ -n "${3:-}" ] && order=(--order "$3")
  rm -f "$db"
  echo "== $name import ${order[*]}"
  [ -n "${QUANTIZE:-}" ] && order+=(--quantize "$QUANTIZE")
  /usr/bin/time -v -o "$out/$name.import.time" "$bin" --db "$db" import "$data/base.fvecs" --metric l2 --m "$M" \
    --ef-construction "$EFC" "${order[@]}" > "$out/$name.import.txt"
  cat "$out/$name.import.txt"; grep -h "Maximum resident\|Elapsed\|User time\|System time" "$out/$name.import.time"
  stat -c '%s' "$db" > "$out/$name.size"; echo "file $(cat "$out/$name.size") bytes"
}
read -r -a orders <<< "${ORDERS:-}"
rm -f "$out"/v2-*.import.time
import_vecbolt v2 "$out/vecbolt" "${orders[0]:-}"
echo "${orders[0]:-default}" > "$out/v2.order"
for o in "${orders[@]:1}"; do
  uptime | tee -a "$out/load.txt"
  import_vecbolt "v2-$o" "$out/vecbolt" "$o"
  rm -f "$out/v2-$o.db"
done
fi
uptime | tee -a "$out/load.txt"

echo "== open + first query, fresh processes ($ROUNDS rounds, alternating)"
rm -f "$out/hnswlib.open.json" "$out/v2.open.json" "$out"/*.open.*.time
for i in $(seq "$ROUNDS"); do
  /usr/bin/time -v -o "$out/hnswlib.open.$i.time" bench/hnswlib/runner --load --index "$out/hnswlib.bin" \
    --queries "$data/queries.fvecs" --metric l2 --k 10 --efs 64 | tee -a "$out/hnswlib.open.json"
  /usr/bin/time -v -o "$out/v2.open.$i.time" "$out/vecbolt" --db "$out/v2.db" bench probe-open -c default \
    --query "$q" -k 10 | tee -a "$out/v2.open.json"
done
uptime | tee -a "$out/load.txt"

if [ -z "${OPEN_ONLY:-}" ]; then
  echo "== bytes per single upsert ($UPSERTS new keys, then $UPSERTS replacements)"
  cp "$out/v2.db" "$out/upsert.db"
  "$out/upsertbytes" -db "$out/upsert.db" -c default -ops "$UPSERTS" | tee "$out/v2.upsert.json"
  rm -f "$out/upsert.db"
fi

if [ -n "$v1" ] && [ -z "${OPEN_ONLY:-}" ]; then
  # probe-open of this binary cannot read a format-1 file; the v1 binary has its own
  import_vecbolt v1 "$v1"
  for i in $(seq "$ROUNDS"); do
    /usr/bin/time -v -o "$out/v1.open.$i.time" "$v1" --db "$out/v1.db" bench probe-open -c default --query "$q" -k 10 |
      tee -a "$out/v1.open.json"
  done
fi

python3 - "$out" <<'PY' | tee "$out/summary.txt"
import glob, json, os, re, statistics, sys
out = sys.argv[1]
def timev(path):
    t = open(path).read()
    f = lambda k: float(re.search(re.escape(k) + r': (\S+)', t).group(1))
    el = re.search(r'Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)', t).group(1).split(':')
    wall = sum(float(x) * 60 ** i for i, x in enumerate(reversed(el)))
    return {'wall': wall, 'cpu': f('User time (seconds)') + f('System time (seconds)'),
            'rss_mib': f('Maximum resident set size (kbytes)') / 1024}
def med(xs): return statistics.median(xs) if xs else float('nan')
def opens(name):
    ts = [timev(p) for p in sorted(glob.glob(f'{out}/{name}.open.*.time'))]
    js = [json.loads(l) for l in open(f'{out}/{name}.open.json') if l.strip().startswith('{')]
    return {'wall': med([t['wall'] for t in ts]), 'cpu': med([t['cpu'] for t in ts]),
            'open_s': med([j['open_seconds'] for j in js]),
            'rss_mib': med([j['rss_bytes_after_open'] / 2**20 for j in js]),
            'rss_file_mib': med([j.get('rss_file_bytes', 0) / 2**20 for j in js]), 'n': len(ts)}
h, v = timev(f'{out}/hnswlib.time'), timev(f'{out}/v2.import.time')
ho, vo = opens('hnswlib'), opens('v2')
print('load average:', ' | '.join(l.split('load average:')[-1].strip() for l in open(f'{out}/load.txt')))
print(f"build wall   vecbolt {v['wall']:.1f} s  hnswlib {h['wall']:.1f} s  ratio {v['wall']/h['wall']:.2f}")
print(f"build CPU    vecbolt {v['cpu']:.1f} s  hnswlib {h['cpu']:.1f} s  ratio {v['cpu']/h['cpu']:.2f}")
print(f"build peak RSS vecbolt {v['rss_mib']:.0f} MiB  hnswlib {h['rss_mib']:.0f} MiB  ratio {v['rss_mib']/h['rss_mib']:.2f}")
def size(name):
    p = f'{out}/{name}.size'
    return int(open(p).read()) / 2**20 if os.path.exists(p) else float('nan')
first = open(f'{out}/v2.order').read().strip() if os.path.exists(f'{out}/v2.order') else 'default'
imports = [(first, 'v2')] + [(os.path.basename(p)[3:-len('.import.time')], os.path.basename(p)[:-len('.import.time')])
                             for p in sorted(glob.glob(f'{out}/v2-*.import.time'))]
if len(imports) > 1 or os.path.exists(f'{out}/v2.size'):
    print('import by order (ratios to hnswlib\'s build):')
    for order, name in imports:
        t = timev(f'{out}/{name}.import.time')
        print(f"  --order {order:8s} wall {t['wall']:.1f} s ({t['wall']/h['wall']:.2f})  CPU {t['cpu']:.1f} s ({t['cpu']/h['cpu']:.2f})"
              f"  peak RSS {t['rss_mib']:.0f} MiB ({t['rss_mib']/h['rss_mib']:.2f})  file {size(name):.0f} MiB")
print(f"open+query wall (median of {vo['n']}) vecbolt {vo['wall']:.3f} s  hnswlib {ho['wall']:.3f} s  ratio {vo['wall']/ho['wall']:.2f}")
print(f"open+query in-process (median) vecbolt {vo['open_s']:.3f} s  hnswlib {ho['open_s']:.3f} s  ratio {vo['open_s']/ho['open_s']:.2f}")
print(f"open+query CPU (median) vecbolt {vo['cpu']:.3f} s  hnswlib {ho['cpu']:.3f} s  ratio {vo['cpu']/ho['cpu']:.2f}")
print(f"RSS after open vecbolt {vo['rss_mib']:.0f} MiB (of which mapped file {vo['rss_file_mib']:.0f} MiB)  hnswlib {ho['rss_mib']:.0f} MiB  ratio {vo['rss_mib']/ho['rss_mib']:.2f} (anonymous only {(vo['rss_mib']-vo['rss_file_mib'])/ho['rss_mib']:.2f})")
if os.path.exists(f'{out}/v2.upsert.json'):
    u = json.load(open(f'{out}/v2.upsert.json'))
    print(f"bytes per single upsert at n={u['n']} ({u['ops']} each): insert {u['insert_bytes']/1024:.1f} KiB, replace {u['update_bytes']/1024:.1f} KiB")
PY
