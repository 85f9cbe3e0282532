#!/bin/sh
# Reproduces the single-write figures of docs/benchmarks.md ("Single
# writes"): durable single writes, group commit and the freelist
# comparison at 10k, 100k and 1M synthetic 100-dimension records (cosine,
# M=16, efConstruction=200).
#
#   go build -o /tmp/vecbolt ./cmd/vecbolt
#   VB=/tmp/vecbolt bench/writes.sh /tmp/w1m
#
# DIR keeps w10k.db, w100k.db and w1m.db between runs: a missing one is
# built first (the 1M one: 5 minutes on an idle 2-core machine, over an hour
# on a busy one).
# Each run measures a copy that has been through an import of 1,000 of its
# own records into the collection, the state an application's file is in
# after `vecbolt import` into an existing collection (the staged import
# copies the collection and frees the old one's pages at the swap), so the
# free pages that bbolt's synced freelist would rewrite at every commit are
# there. Results: DIR/r10k.json, r100k.json, r1m.json; the load average is
# printed before and after each run.
#
#   VB=/tmp/vecbolt bench/writes.sh /tmp/w1m reimport
#
# instead times `vecbolt import` of the 100k collection's records (exported
# as GloVe text) into a new database, then again into the same collection
# (the re-import), and
#
#   VB=/tmp/vecbolt bench/writes.sh /tmp/w1m quality
#
# compares the graph after 10,000 single inserts into the 100k collection,
# and after deleting and re-inserting 30% of it, with a fresh bulk build
# (DIR/q100k.json), on 4,000 queries (QUERIES); a second fresh build with
# another seed (CONTROLS=1) shows how far two fresh graphs differ. It keeps
# the databases (DIR/quality-fresh.db, quality-fresh-seed43.db,
# quality-single.db, quality-incremental.db) and ends with an interleaved
# sweep of them, all open at once. Sweep kept databases again with
#
#   VB=/tmp/vecbolt N=100000 K=10000 RUNS=5 bench/writes.sh DIR sweep
#
# (N and K as in the run that built them: 1000000 and 100000 for the 1M
# quality run; DIR/sweep-<N>.json), and
#
#   VB=/tmp/vecbolt ROUNDS=3 bench/writes.sh /tmp/w1m scaling
#
# times single-writer durable inserts alone (--phases insert) at 10k, 100k
# and 1M, the three sizes interleaved in ROUNDS rounds so that the
# machine's drift hits them alike, each round on a fresh copy of the
# imported file (DIR/s<size>-<round>.json), synced to disk before the run;
# compare the medians. OPS sets the writes per phase (default 200), PHASES
# the phases (default insert; e.g. insert,update,delete,metadata,noop,group-insert).
# SIZES limits the sizes (default "10000:10k 100000:100k 1000000:1m").
set -eu
VB=${VB:-vecbolt}
DIR=${1:?usage: bench/writes.sh DIR [reimport|quality|sweep|scaling]}
SIZES=${SIZES:-10000:10k 100000:100k 1000000:1m}
mkdir -p "$DIR"
case "${2:-}" in
reimport)
	[ -f "$DIR/s100k.txt" ] || "$VB" --db "$DIR/w100k.db" -c bench export "$DIR/s100k.txt" -f glove
	rm -f "$DIR/ri.db"
	for run in first again; do
		echo "load before the $run import: $(uptime)"
		"$VB" --db "$DIR/ri.db" -c r import "$DIR/s100k.txt" -f glove --json
	done
	echo "load after: $(uptime)"
	rm -f "$DIR/ri.db"
	exit 0
	;;
scaling)
	for spec in $SIZES; do
		s=${spec##*:}
		[ -f "$DIR/w$s.db" ] || { echo "missing $DIR/w$s.db: run bench/writes.sh $DIR first" >&2; exit 1; }
		cp "$DIR/w$s.db" "$DIR/i$s.db"
		"$VB" --db "$DIR/w$s.db" -c bench export - -f glove 2>/dev/null | head -1000 >"$DIR/part$s.txt"
		"$VB" --db "$DIR/i$s.db" -c bench import "$DIR/part$s.txt" -f glove >/dev/null
	done
	for r in $(seq "${ROUNDS:-3}"); do
		for spec in $SIZES; do
			n=${spec%%:*}
			s=${spec##*:}
			cp "$DIR/i$s.db" "$DIR/c$s.db"
			# The copy's dirty pages must reach the disk first: otherwise
			# the first fsync of the run writes them (up to the whole
			# 700 MB file at 1M) and the run times the copy.
			sync
			echo "round $r $s: $(uptime)"
			"$VB" bench writes --synthetic "$n",100 --db "$DIR/c$s.db" --ops "${OPS:-200}" --budget 20s --phases "${PHASES:-insert}" \
				--out "$DIR/s$s-$r.json" | grep -vE "^bench writes:|^synthetic"
			rm -f "$DIR/c$s.db"
		done
	done
	for spec in $SIZES; do rm -f "$DIR/i${spec##*:}.db"; done
	echo "load after: $(uptime)"
	# Medians over the rounds, and each size against the first, per phase.
	python3 - "$DIR" "${ROUNDS:-3}" $SIZES <<'PY'
import json, statistics, sys
d, rounds, sizes = sys.argv[1], int(sys.argv[2]), [s.split(":")[1] for s in sys.argv[3:]]
rate = {}  # (size, phase) -> per-round writes/s
for s in sizes:
    for r in range(1, rounds + 1):
        for p in json.load(open(f"{d}/s{s}-{r}.json"))["report"]["phases"]:
            rate.setdefault((s, p["name"]), []).append(p["per_second"])
phases = [p for (s, p) in rate if s == sizes[0]]
for p in phases:
    first = statistics.median(rate[(sizes[0], p)])
    for s in sizes:
        xs = rate[(s, p)]
        m = statistics.median(xs)
        line = f"{p} {s}: writes/s {' '.join(f'{x:.0f}' for x in xs)}, median {m:.0f} ({m / first:.2f}x {sizes[0]})"
        if p == "group-insert":
            if (s, "insert") in rate:
                line += f", {m / statistics.median(rate[(s, 'insert')]):.1f}x one writer"
            line += f", {m / statistics.median(rate[(s, 'raw-bbolt')]):.2f}x raw bbolt"
        print(line)
PY
	exit 0
	;;
quality)
	echo "load before: $(uptime)"
	"$VB" bench writes --synthetic 100000,100 --db "$DIR/w100k.db" --quality 10000 --churn 0.3 \
		--ef 10,16,24,32,48,64,96,128 --runs 3 --keep --queries "${QUERIES:-4000}" --controls "${CONTROLS:-1}" --out "$DIR/q100k.json"
	echo "load after: $(uptime)"
	exit 0
	;;
sweep)
	dbs=$DIR/quality-fresh.db
	for f in "$DIR"/quality-fresh-seed*.db "$DIR/quality-single.db" "$DIR/quality-incremental.db"; do
		[ -f "$f" ] && dbs=$dbs,$f
	done
	echo "load before: $(uptime)"
	"$VB" bench writes --synthetic "${N:?N=records of the base}",100 --quality "${K:?K=single inserts}" \
		--sweep "$dbs" \
		--ef 10,16,24,32,48,64,96,128 --runs "${RUNS:-5}" --queries "${QUERIES:-1000}" --out "$DIR/sweep-$N.json"
	echo "load after: $(uptime)"
	exit 0
	;;
esac
for spec in 10000:10k 100000:100k 1000000:1m; do
	n=${spec%%:*}
	s=${spec##*:}
	db=$DIR/w$s.db
	[ -f "$db" ] || "$VB" bench writes --synthetic "$n",100 --db "$db" --ops 1 --budget 1s >/dev/null
	cp "$db" "$DIR/c$s.db"
	"$VB" --db "$db" -c bench export - -f glove 2>/dev/null | head -1000 >"$DIR/part$s.txt"
	"$VB" --db "$DIR/c$s.db" -c bench import "$DIR/part$s.txt" -f glove
	echo "load before $s: $(uptime)"
	"$VB" bench writes --synthetic "$n",100 --db "$DIR/c$s.db" --ops 200 --budget 20s --freelist --out "$DIR/r$s.json"
	echo "load after $s: $(uptime)"
	rm -f "$DIR/c$s.db"
done
