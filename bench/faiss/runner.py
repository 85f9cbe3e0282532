#!/usr/bin/python3
"""FAISS peer runner for the vecbolt benchmark.

Reads base.fvecs, queries.fvecs and truth.ivecs (as written by
`go run ./bench/cmd/prepare`), builds a FAISS IndexHNSWFlat (M,
efConstruction) on --build-threads OpenMP threads, then for every efSearch
of the sweep searches each query once with one thread, one query per call
(index.search(q[i:i+1], k)): recall@k against the truth, QPS, latency
percentiles; then the whole query batch in one call over --search-threads
threads (qps_multi, FAISS's own parallel batch search). It saves the index,
times faiss.read_index plus a first query in a fresh process (--load) and
writes one result document in the schema of the Go package bench (format
"vecbolt-bench/1"; see bench/doc.go).

Cosine: vectors are normalised and the index uses METRIC_INNER_PRODUCT.

Run with Debian's interpreter, which sees Debian's python3-faiss and
python3-numpy (a pyenv python3 earlier on PATH does not):

    /usr/bin/python3 bench/faiss/runner.py --base D/base.fvecs \
        --queries D/queries.fvecs --truth D/truth.ivecs --out faiss.json
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np

import faiss

DEFAULT_EFS = "10,16,24,32,48,64,96,128,192,256,384,512"


def read_vecs(path, dtype):
    """Reads an fvecs (dtype float32) or ivecs (int32) file, checking every
    record's dimension and the file length."""
    raw = np.fromfile(path, dtype="<i4")
    if raw.size == 0:
        raise SystemExit(f"{path}: empty file")
    dim = int(raw[0])
    if dim <= 0 or dim > 1 << 20:
        raise SystemExit(f"{path}: vector 0 at byte offset 0: dimension {dim} out of range")
    rec = dim + 1
    if raw.size % rec:
        full = raw.size // rec
        raise SystemExit(f"{path}: vector {full} at byte offset {full * rec * 4}: truncated data")
    m = raw.reshape(-1, rec)
    bad = np.nonzero(m[:, 0] != dim)[0]
    if bad.size:
        v = int(bad[0])
        raise SystemExit(f"{path}: vector {v} at byte offset {v * rec * 4}: dimension {m[v, 0]} differs from {dim}")
    return np.ascontiguousarray(m[:, 1:]).view(dtype) if dtype == np.float32 else np.ascontiguousarray(m[:, 1:])


def proc_field(path, key):
    try:
        with open(path) as f:
            for line in f:
                k, sep, v = line.partition(":")
                if sep and k.strip() == key:
                    return v.strip()
    except OSError:
        pass
    return ""


def kb_field(path, key):
    v = proc_field(path, key).split()
    return int(v[0]) * 1024 if v else 0


def rss_bytes():
    return kb_field("/proc/self/status", "VmRSS")


def percentile(xs, p):
    """Nearest-rank percentile, as bench.Percentile."""
    s = sorted(xs)
    if not s:
        return 0.0
    rank = int(np.ceil(p / 100 * len(s)))
    return float(s[min(max(rank, 1), len(s)) - 1])


def normalize(x):
    n = np.linalg.norm(x, axis=1, keepdims=True)
    n[n == 0] = 1
    return np.ascontiguousarray(x / n, dtype=np.float32)


def faiss_metric(metric):
    return faiss.METRIC_L2 if metric == "l2" else faiss.METRIC_INNER_PRODUCT


def load_mode(args):
    """Runs in a fresh process: read the saved index, answer one query."""
    q = read_vecs(args.queries, np.float32)[:1]
    if args.metric == "cosine":
        q = normalize(q)
    faiss.omp_set_num_threads(1)
    rss0 = rss_bytes()
    t0 = time.perf_counter()
    index = faiss.read_index(args.index)
    index.hnsw.efSearch = int(args.efs.split(",")[0])
    _, ids = index.search(q, args.k)
    secs = time.perf_counter() - t0
    print(json.dumps({"open_seconds": secs, "rss_bytes_after_open": rss_bytes(),
                      "rss_bytes_before_open": rss0, "first_query_results": int((ids[0] >= 0).sum())}))


def cpu_features():
    names = {"sse2": "SSE2", "sse3": "SSE3", "ssse3": "SSSE3", "sse4_1": "SSE41", "sse4_2": "SSE42", "avx": "AVX",
             "avx2": "AVX2", "fma": "FMA", "avx512f": "AVX512F", "avx512dq": "AVX512DQ", "avx512cd": "AVX512CD",
             "avx512bw": "AVX512BW", "avx512vl": "AVX512VL", "avx512_vnni": "AVX512VNNI"}
    flags = proc_field("/proc/cpuinfo", "flags").split()
    return sorted(names[f] for f in flags if f in names)


def run(args):
    metric = args.metric
    base = read_vecs(args.base, np.float32)
    q = read_vecs(args.queries, np.float32)
    truth = read_vecs(args.truth, np.int32)
    if base.shape[1] != q.shape[1]:
        raise SystemExit("base and queries differ in dimension")
    if truth.shape[0] != q.shape[0] or truth.shape[1] < args.k:
        raise SystemExit("truth does not cover the queries to depth k")
    if metric == "cosine":
        base, q = normalize(base), normalize(q)
    n, dim = base.shape
    k = args.k
    efs = [int(e) for e in args.efs.split(",")]

    faiss.omp_set_num_threads(args.build_threads)
    index = faiss.IndexHNSWFlat(dim, args.M, faiss_metric(metric))
    index.hnsw.efConstruction = args.efc
    t0 = time.perf_counter()
    index.add(base)
    build_secs = time.perf_counter() - t0
    del base  # the index keeps its own copy
    rss_build = rss_bytes()
    print(f"faiss: built {n}x{dim} in {build_secs:.2f}s on {args.build_threads} threads, RSS {rss_build / 2**20:.1f} MiB",
          file=sys.stderr)

    rows = []
    truth_sets = [set(t[:k].tolist()) for t in truth]
    for ef in efs:
        index.hnsw.efSearch = ef
        faiss.omp_set_num_threads(1)
        faiss.cvar.hnsw_stats.reset()
        got = []
        total, best_lat, ndis = None, None, 0
        for run in range(max(args.runs, 1)):
            lat = []
            s0 = time.perf_counter()
            for i in range(q.shape[0]):
                a = time.perf_counter()
                _, ids = index.search(q[i:i + 1], k)
                lat.append((time.perf_counter() - a) * 1e6)
                if run == 0:
                    got.append(ids[0])
            t = time.perf_counter() - s0
            if run == 0:
                st = faiss.cvar.hnsw_stats
                ndis = st.n3 + st.ndis
            if total is None or t < total:
                total, best_lat = t, lat
        hits = sum(len(truth_sets[i] & set(g.tolist())) for i, g in enumerate(got))
        row = {"system": "faiss-hnsw", "version": faiss.__version__, "dataset": args.dataset,
               "metric": "dot" if metric == "ip" else metric, "n": n, "dim": dim, "queries": q.shape[0], "k": k,
               "m": args.M, "ef_construction": args.efc, "ef": ef, "recall": hits / (q.shape[0] * k),
               "qps_single": q.shape[0] / total}
        if args.search_threads > 1:
            faiss.omp_set_num_threads(args.search_threads)
            best = 0.0
            for _ in range(max(args.runs, 1)):
                m0 = time.perf_counter()
                index.search(q, k)
                best = max(best, q.shape[0] / (time.perf_counter() - m0))
            row["qps_multi"] = best
            row["threads"] = args.search_threads
        row.update({"runs": max(args.runs, 1), "latency_p50_us": percentile(best_lat, 50),
                    "latency_p95_us": percentile(best_lat, 95), "latency_p99_us": percentile(best_lat, 99), "build_seconds": build_secs,
                    "build_threads": args.build_threads})
        if ndis:
            row["distance_computations_per_query"] = ndis / q.shape[0]
        row["rss_bytes_after_build"] = rss_build
        print(f"faiss: ef {ef:4d} recall {row['recall']:.4f} qps {row['qps_single']:8.0f} "
              f"p50 {row['latency_p50_us']:6.1f}us qps_multi {row.get('qps_multi', 0):8.0f}", file=sys.stderr)
        rows.append(row)

    faiss.write_index(index, args.index)
    del index
    file_bytes = os.path.getsize(args.index)
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--load", "--index", args.index,
                          "--queries", args.queries, "--metric", metric, "--k", str(k), "--efs", str(efs[0])],
                         capture_output=True, text=True, check=True)
    load = json.loads(out.stdout)
    print(f"faiss: index file {file_bytes / 2**20:.1f} MiB, load+first query {load['open_seconds']:.3f}s, "
          f"RSS after load {load['rss_bytes_after_open'] / 2**20:.1f} MiB "
          f"(interpreter and libraries before the load: {load['rss_bytes_before_open'] / 2**20:.1f} MiB)", file=sys.stderr)
    for row in rows:
        row.update({"open_seconds": load["open_seconds"], "rss_bytes_after_open": load["rss_bytes_after_open"],
                    "file_bytes": file_bytes, "bytes_per_vector": file_bytes / n})

    compile_opts = faiss.get_compile_options() if hasattr(faiss, "get_compile_options") else "unknown"
    doc = {
        "format": "vecbolt-bench/1",
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "cpu_model": proc_field("/proc/cpuinfo", "model name"),
            "cpu_features": cpu_features(),
            "simd": "AVX2" in compile_opts,
            "cores": os.cpu_count(),
            "memory_bytes": kb_field("/proc/meminfo", "MemTotal"),
            "runtime": f"Python {platform.python_version()}, numpy {np.__version__}, faiss {faiss.__version__} "
                       f"(Debian python3-faiss, compile options: {compile_opts.strip()})",
            "load_average": open("/proc/loadavg").read().strip() if os.path.exists("/proc/loadavg") else "",
            "os": "linux/amd64" if platform.machine() == "x86_64" else f"linux/{platform.machine()}",
        },
        "notes": [
            "Debian's python3-faiss is a generic build (compile options: %s): no AVX2/AVX512 distance kernels, "
            "so its figures understate an AVX2 build of FAISS" % compile_opts.strip(),
            "qps_single: one index.search call per query from Python, with faiss.omp_set_num_threads(1); "
            "the per-call Python/SWIG overhead is included",
            "qps_multi: one index.search call over the whole query batch with OpenMP threads",
            "rss_bytes_after_open includes the Python interpreter, numpy and faiss libraries "
            "(%d bytes before read_index)" % load["rss_bytes_before_open"],
            "distance_computations_per_query: (faiss.cvar.hnsw_stats.n3 + ndis) per query: FAISS 1.7's "
            "level-0 search counter; the greedy descent through the upper levels is not counted",
        ],
        "rows": rows,
    }
    if args.commit:
        doc["machine"]["vecbolt_commit"] = args.commit
    text = json.dumps(doc, indent=2) + "\n"
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base")
    p.add_argument("--queries", required=True)
    p.add_argument("--truth")
    p.add_argument("--metric", default="cosine", help="cosine, ip (dot) or l2")
    p.add_argument("--M", type=int, default=16)
    p.add_argument("--efc", type=int, default=200)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--efs", default=DEFAULT_EFS)
    p.add_argument("--runs", type=int, default=3, help="timed passes per ef; the fastest is reported")
    p.add_argument("--build-threads", type=int, default=2)
    p.add_argument("--search-threads", type=int, default=2, help="threads of the batch pass; <= 1 skips it")
    p.add_argument("--index", default="/tmp/vecbolt-bench-faiss.index")
    p.add_argument("--dataset", default="dataset")
    p.add_argument("--commit", default="")
    p.add_argument("--out", default="")
    p.add_argument("--load", action="store_true", help="internal: time loading --index in this process")
    args = p.parse_args()
    args.metric = {"dot": "ip", "inner_product": "ip", "euclidean": "l2", "angular": "cosine"}.get(args.metric, args.metric)
    if args.metric not in ("cosine", "ip", "l2"):
        p.error(f"unknown metric {args.metric}")
    if args.load:
        load_mode(args)
    else:
        if not (args.base and args.truth):
            p.error("--base and --truth are required")
        run(args)


if __name__ == "__main__":
    main()
