// hnswlib peer runner for the vecbolt benchmark.
//
// Reads base.fvecs, queries.fvecs and truth.ivecs (as written by
// `go run ./bench/cmd/prepare`), builds an HNSW index with Debian's
// header-only hnswlib on N threads, then for every ef of the sweep searches
// each query once on one thread, one searchKnn call per query (recall@k
// against the truth, QPS, latency percentiles), and once more over
// --search-threads threads (qps_multi). It saves the index, re-runs itself
// with --load in a fresh process to time the load plus a first query and
// to read the RSS after it, and writes one result document in the schema
// of the Go package bench (format "vecbolt-bench/1"; see bench/doc.go).
//
// Build: bench/hnswlib/build.sh. Run: bench/hnswlib/runner --help.

#include <hnswlib/hnswlib.h>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#ifndef HNSWLIB_VERSION
#define HNSWLIB_VERSION "unknown"
#endif

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// thread_seconds is the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID):
// what --clock thread times the single-thread passes with, so that time the
// thread spends waiting for a core another process holds is not counted, as
// vecbolt's bench/cmd/quant -clock thread does.
double thread_seconds() {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct Mat {
    size_t rows = 0, dim = 0;
    std::vector<float> f;
    std::vector<int32_t> i;
    const float *row(size_t r) const { return f.data() + r * dim; }
    const int32_t *irow(size_t r) const { return i.data() + r * dim; }
};

// read_vecs reads an fvecs (ints=false) or ivecs (ints=true) file and fails
// loudly, naming the file, the vector and the byte offset, on a bad record.
Mat read_vecs(const std::string &path, bool ints) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot open");
    Mat m;
    int64_t off = 0;
    for (size_t v = 0;; v++) {
        int32_t d;
        in.read(reinterpret_cast<char *>(&d), 4);
        if (in.gcount() == 0) break;
        auto where = [&](const std::string &what) {
            std::ostringstream s;
            s << path << ": vector " << v << " at byte offset " << off << ": " << what;
            return std::runtime_error(s.str());
        };
        if (in.gcount() != 4) throw where("truncated dimension");
        if (d <= 0 || d > (1 << 20)) throw where("dimension out of range: " + std::to_string(d));
        if (m.dim == 0) m.dim = d;
        if ((size_t)d != m.dim) throw where("dimension differs from the first vector's");
        size_t old = ints ? m.i.size() : m.f.size();
        char *dst;
        if (ints) {
            m.i.resize(old + d);
            dst = reinterpret_cast<char *>(m.i.data() + old);
        } else {
            m.f.resize(old + d);
            dst = reinterpret_cast<char *>(m.f.data() + old);
        }
        in.read(dst, 4 * (std::streamsize)d);
        if (in.gcount() != 4 * d) throw where("truncated data");
        m.rows++;
        off += 4 + 4 * (int64_t)d;
    }
    return m;
}

void normalize(Mat &m) {
    for (size_t r = 0; r < m.rows; r++) {
        float *v = m.f.data() + r * m.dim;
        double s = 0;
        for (size_t j = 0; j < m.dim; j++) s += (double)v[j] * v[j];
        if (s > 0) {
            float inv = (float)(1.0 / std::sqrt(s));
            for (size_t j = 0; j < m.dim; j++) v[j] *= inv;
        }
    }
}

std::string proc_field(const char *path, const std::string &key) {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        auto c = line.find(':');
        if (c == std::string::npos) continue;
        std::string k = line.substr(0, c);
        while (!k.empty() && isspace((unsigned char)k.back())) k.pop_back();
        if (k == key) {
            std::string v = line.substr(c + 1);
            size_t a = v.find_first_not_of(" \t");
            return a == std::string::npos ? "" : v.substr(a);
        }
    }
    return "";
}

int64_t kb_field(const char *path, const std::string &key) {
    std::string v = proc_field(path, key);
    return v.empty() ? 0 : std::atoll(v.c_str()) * 1024;
}

std::string read_loadavg() {
    std::ifstream in("/proc/loadavg");
    std::string s;
    std::getline(in, s);
    return s;
}

int64_t rss_bytes() { return kb_field("/proc/self/status", "VmRSS"); }

std::string json_str(const std::string &s) {
    std::string o = "\"";
    for (char c : s) {
        switch (c) {
            case '"': o += "\\\""; break;
            case '\\': o += "\\\\"; break;
            case '\n': o += "\\n"; break;
            default:
                if ((unsigned char)c < 0x20) {
                    char b[8];
                    snprintf(b, sizeof b, "\\u%04x", c);
                    o += b;
                } else {
                    o += c;
                }
        }
    }
    return o + "\"";
}

std::string num(double v) {
    char b[64];
    snprintf(b, sizeof b, "%.10g", v);
    return b;
}

double percentile(std::vector<double> xs, double p) {
    if (xs.empty()) return 0;
    std::sort(xs.begin(), xs.end());
    long rank = (long)std::ceil(p / 100 * xs.size());
    rank = std::min<long>(std::max<long>(rank, 1), xs.size());
    return xs[rank - 1];
}

template <class F>
void parallel_for(size_t start, size_t end, int threads, F fn) {
    std::atomic<size_t> next(start);
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; t++) {
        ts.emplace_back([&] {
            for (;;) {
                size_t i = next.fetch_add(1);
                if (i >= end) return;
                fn(i);
            }
        });
    }
    for (auto &t : ts) t.join();
}

struct Options {
    std::string base, queries, truth, metric = "cosine", index = "/tmp/vecbolt-bench-hnswlib.bin", out, dataset = "dataset",
                                      commit;
    size_t M = 16, efc = 200, k = 10;
    int build_threads = 2, search_threads = 2, runs = 3;
    std::vector<size_t> efs = {10, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512};
    bool load = false, from_index = false;
    bool thread_clock = false; // --clock thread
};

void usage() {
    fprintf(stderr,
            "usage: runner --base base.fvecs --queries queries.fvecs --truth truth.ivecs [options]\n"
            "  --metric cosine|ip|l2       (default cosine: vectors normalised, InnerProductSpace)\n"
            "  --M 16 --efc 200 --k 10\n"
            "  --build-threads 2 --search-threads 2 (0 = skip the multi-thread pass)\n"
            "  --efs 10,16,24,...           ef sweep\n"
            "  --runs 3                     timed passes per ef, the fastest reported\n"
            "  --clock wall|thread          what a single-thread pass's time is: wall (default, QPS as\n"
            "                               published) or the thread's CPU time (A/B on a loaded machine)\n"
            "  --index PATH                 where the index is saved (default /tmp/vecbolt-bench-hnswlib.bin)\n"
            "  --dataset NAME --commit SHA  labels for the result\n"
            "  --out result.json            (default: standard output)\n"
            "  --from-index                 load the index saved at --index instead of building it (a second\n"
            "                               sweep of the same index; build_seconds is then 0)\n"
            "  --load                       internal: load --index, answer one query, print open figures\n");
}

Options parse(int argc, char **argv) {
    Options o;
    for (int a = 1; a < argc; a++) {
        std::string f = argv[a];
        auto val = [&]() -> std::string {
            if (a + 1 >= argc) {
                usage();
                throw std::runtime_error("missing value for " + f);
            }
            return argv[++a];
        };
        if (f == "--base") o.base = val();
        else if (f == "--queries") o.queries = val();
        else if (f == "--truth") o.truth = val();
        else if (f == "--metric") o.metric = val();
        else if (f == "--index") o.index = val();
        else if (f == "--out") o.out = val();
        else if (f == "--dataset") o.dataset = val();
        else if (f == "--commit") o.commit = val();
        else if (f == "--M") o.M = std::stoul(val());
        else if (f == "--efc") o.efc = std::stoul(val());
        else if (f == "--k") o.k = std::stoul(val());
        else if (f == "--build-threads") o.build_threads = std::stoi(val());
        else if (f == "--search-threads") o.search_threads = std::stoi(val());
        else if (f == "--runs") o.runs = std::stoi(val());
        else if (f == "--clock") {
            std::string c = val();
            if (c != "wall" && c != "thread") {
                usage();
                throw std::runtime_error("--clock " + c + ": want wall or thread");
            }
            o.thread_clock = c == "thread";
        }
        else if (f == "--efs") {
            o.efs.clear();
            std::stringstream ss(val());
            std::string t;
            while (std::getline(ss, t, ',')) o.efs.push_back(std::stoul(t));
        } else if (f == "--load") o.load = true;
        else if (f == "--from-index") o.from_index = true;
        else if (f == "-h" || f == "--help") {
            usage();
            std::exit(0);
        } else {
            usage();
            throw std::runtime_error("unknown flag " + f);
        }
    }
    if (o.metric == "dot" || o.metric == "inner_product") o.metric = "ip";
    if (o.metric == "euclidean") o.metric = "l2";
    if (o.metric != "cosine" && o.metric != "ip" && o.metric != "l2") throw std::runtime_error("unknown metric " + o.metric);
    if (o.build_threads < 1) o.build_threads = 1;
    return o;
}

std::unique_ptr<hnswlib::SpaceInterface<float>> make_space(const std::string &metric, size_t dim) {
    if (metric == "l2") return std::make_unique<hnswlib::L2Space>(dim);
    return std::make_unique<hnswlib::InnerProductSpace>(dim);
}

// load_mode runs in a fresh process: load the saved index, answer one
// query, report the time and the resident set.
int load_mode(const Options &o) {
    Mat q = read_vecs(o.queries, false);
    if (o.metric == "cosine") normalize(q);
    auto space = make_space(o.metric, q.dim);
    auto t0 = Clock::now();
    hnswlib::HierarchicalNSW<float> index(space.get(), o.index);
    index.setEf(o.efs.empty() ? 64 : o.efs[0]);
    auto res = index.searchKnn(q.row(0), o.k);
    double secs = seconds_since(t0);
    printf("{\"open_seconds\": %s, \"rss_bytes_after_open\": %lld, \"first_query_results\": %zu}\n", num(secs).c_str(),
           (long long)rss_bytes(), res.size());
    return 0;
}

std::string cpu_features() {
    std::string flags = proc_field("/proc/cpuinfo", "flags");
    static const std::map<std::string, std::string> names = {
        {"sse2", "SSE2"},         {"sse3", "SSE3"},         {"ssse3", "SSSE3"},       {"sse4_1", "SSE41"},
        {"sse4_2", "SSE42"},      {"avx", "AVX"},           {"avx2", "AVX2"},         {"fma", "FMA"},
        {"avx512f", "AVX512F"},   {"avx512dq", "AVX512DQ"}, {"avx512cd", "AVX512CD"}, {"avx512bw", "AVX512BW"},
        {"avx512vl", "AVX512VL"}, {"avx512_vnni", "AVX512VNNI"}};
    std::vector<std::string> have;
    std::stringstream ss(flags);
    std::string f;
    while (ss >> f) {
        auto it = names.find(f);
        if (it != names.end()) have.push_back(it->second);
    }
    std::sort(have.begin(), have.end());
    std::string o;
    for (size_t i = 0; i < have.size(); i++) o += (i ? ", " : "") + json_str(have[i]);
    return o;
}

std::string compiled_simd() {
#if defined(USE_AVX512)
    return "AVX512";
#elif defined(USE_AVX)
    return "AVX";
#elif defined(USE_SSE)
    return "SSE";
#else
    return "none";
#endif
}

int run(const Options &o, const char *self) {
    Mat base = read_vecs(o.base, false), q = read_vecs(o.queries, false), truth = read_vecs(o.truth, true);
    if (base.dim != q.dim) throw std::runtime_error("base and queries differ in dimension");
    if (truth.rows != q.rows || truth.dim < o.k) throw std::runtime_error("truth does not cover the queries to depth k");
    if (o.metric == "cosine") {
        normalize(base);
        normalize(q);
    }
    auto space = make_space(o.metric, base.dim);
    auto t0 = Clock::now();
    std::unique_ptr<hnswlib::HierarchicalNSW<float>> index;
    double build_secs = 0;
    if (o.from_index) {
        index = std::make_unique<hnswlib::HierarchicalNSW<float>>(space.get(), o.index);
        if (index->cur_element_count != base.rows) throw std::runtime_error(o.index + ": index holds a different base");
    } else {
        index = std::make_unique<hnswlib::HierarchicalNSW<float>>(space.get(), base.rows, o.M, o.efc);
        index->addPoint(base.row(0), 0);
        parallel_for(1, base.rows, o.build_threads, [&](size_t i) { index->addPoint(base.row(i), i); });
        build_secs = seconds_since(t0);
    }
    size_t n = base.rows, dim = base.dim;
    std::vector<float>().swap(base.f);  // the index keeps its own copy
    int64_t rss_build = rss_bytes();
    fprintf(stderr, "hnswlib: built %zu×%zu in %.2fs on %d threads, RSS %.1f MiB\n", n, dim, build_secs, o.build_threads,
            rss_build / 1048576.0);

    struct Row {
        size_t ef;
        double recall, qps, qps_multi, p50, p95, p99, dists;
    };
    std::vector<Row> rows;
    std::vector<double> lat(q.rows);
    std::vector<std::vector<size_t>> got(q.rows);
    for (size_t ef : o.efs) {
        index->setEf(ef);
        long d0 = index->metric_distance_computations.load(), d1 = d0;
        double total = 0;
        std::vector<double> best_lat;
        for (int run = 0; run < std::max(o.runs, 1); run++) {
            auto s0 = Clock::now();
            double c0 = thread_seconds();
            for (size_t i = 0; i < q.rows; i++) {
                double a = o.thread_clock ? thread_seconds() : 0;
                auto aw = Clock::now();
                auto res = index->searchKnn(q.row(i), o.k);
                lat[i] = o.thread_clock ? (thread_seconds() - a) * 1e6
                                        : std::chrono::duration<double, std::micro>(Clock::now() - aw).count();
                if (run == 0) {
                    got[i].clear();
                    while (!res.empty()) {
                        got[i].push_back(res.top().second);
                        res.pop();
                    }
                }
            }
            double t = o.thread_clock ? thread_seconds() - c0 : seconds_since(s0);
            if (run == 0) d1 = index->metric_distance_computations.load();
            if (run == 0 || t < total) {
                total = t;
                best_lat = lat;
            }
        }
        double hits = 0;
        for (size_t i = 0; i < q.rows; i++) {
            const int32_t *t = truth.irow(i);
            for (size_t id : got[i])
                for (size_t j = 0; j < o.k; j++)
                    if ((size_t)t[j] == id) {
                        hits++;
                        break;
                    }
        }
        Row r{ef, hits / (double)(q.rows * o.k), q.rows / total, 0, percentile(best_lat, 50), percentile(best_lat, 95),
              percentile(best_lat, 99), (double)(d1 - d0) / q.rows};
        if (o.search_threads > 1) {
            for (int run = 0; run < std::max(o.runs, 1); run++) {
                auto m0 = Clock::now();
                parallel_for(0, q.rows, o.search_threads, [&](size_t i) { index->searchKnn(q.row(i), o.k); });
                r.qps_multi = std::max(r.qps_multi, q.rows / seconds_since(m0));
            }
        }
        fprintf(stderr, "hnswlib: ef %4zu recall %.4f qps %8.0f p50 %6.1fus qps_multi %8.0f\n", ef, r.recall, r.qps, r.p50,
                r.qps_multi);
        rows.push_back(r);
    }

    if (!o.from_index) index->saveIndex(o.index);
    index.reset();
    int64_t file_bytes = 0;
    {
        std::ifstream f(o.index, std::ios::binary | std::ios::ate);
        file_bytes = f.tellg();
    }
    // A fresh process loads the index: time and RSS as a user would see.
    std::string cmd = std::string("'") + self + "' --load --index '" + o.index + "' --queries '" + o.queries +
                      "' --metric " + o.metric + " --k " + std::to_string(o.k) + " --efs " + std::to_string(o.efs[0]);
    FILE *p = popen(cmd.c_str(), "r");
    std::string loadout;
    if (p) {
        char buf[512];
        while (fgets(buf, sizeof buf, p)) loadout += buf;
        pclose(p);
    }
    double open_secs = 0;
    long long rss_open = 0;
    if (auto at = loadout.find("\"open_seconds\": "); at != std::string::npos) open_secs = atof(loadout.c_str() + at + 16);
    if (auto at = loadout.find("\"rss_bytes_after_open\": "); at != std::string::npos)
        rss_open = atoll(loadout.c_str() + at + 24);
    fprintf(stderr, "hnswlib: index file %.1f MiB, load+first query %.3fs, RSS after load %.1f MiB\n",
            file_bytes / 1048576.0, open_secs, rss_open / 1048576.0);

    std::string metric = o.metric == "ip" ? "dot" : o.metric;
    char created[32];
    time_t now = time(nullptr);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    std::ostringstream js;
    js << "{\n  \"format\": \"vecbolt-bench/1\",\n  \"created\": \"" << created << "\",\n  \"machine\": {\n"
       << "    \"cpu_model\": " << json_str(proc_field("/proc/cpuinfo", "model name")) << ",\n"
       << "    \"cpu_features\": [" << cpu_features() << "],\n"
       << "    \"simd\": true,\n"
       << "    \"cores\": " << std::thread::hardware_concurrency() << ",\n"
       << "    \"memory_bytes\": " << kb_field("/proc/meminfo", "MemTotal") << ",\n"
       << "    \"runtime\": " << json_str(std::string("g++ ") + __VERSION__ + " -O3 -march=native; hnswlib " + HNSWLIB_VERSION +
                                            " (Debian libhnswlib-dev), distance kernels compiled for " + compiled_simd())
       << ",\n"
       << "    \"load_average\": " << json_str(read_loadavg()) << ",\n"
       << "    \"os\": \"linux/amd64\"" << (o.commit.empty() ? "" : ",\n    \"vecbolt_commit\": " + json_str(o.commit))
       << "\n  },\n  \"notes\": [" << json_str("hnswlib's distance_computations_per_query is its metric_distance_computations counter (neighbour-list sizes scanned, visited or not)")
       << ", " << json_str("rss_bytes_after_build excludes the runner's copy of the base vectors (freed before measuring); queries and truth stay loaded")
       << (o.thread_clock ? ", " + json_str("qps_single and latencies from the sweeping thread's CPU time (CLOCK_THREAD_CPUTIME_ID), not wall clock: for comparisons on a loaded machine, only with results timed the same way") : "")
       << "],\n  \"rows\": [\n";
    for (size_t i = 0; i < rows.size(); i++) {
        const Row &r = rows[i];
        js << "    {\"system\": \"hnswlib\", \"version\": " << json_str(HNSWLIB_VERSION) << ", \"dataset\": " << json_str(o.dataset)
           << ", \"metric\": " << json_str(metric) << ", \"n\": " << n << ", \"dim\": " << dim << ", \"queries\": " << q.rows
           << ", \"k\": " << o.k << ", \"m\": " << o.M << ", \"ef_construction\": " << o.efc << ", \"ef\": " << r.ef
           << ", \"recall\": " << num(r.recall) << ", \"qps_single\": " << num(r.qps);
        if (r.qps_multi > 0) js << ", \"qps_multi\": " << num(r.qps_multi) << ", \"threads\": " << o.search_threads;
        js << ", \"runs\": " << std::max(o.runs, 1);
        js << ", \"latency_p50_us\": " << num(r.p50) << ", \"latency_p95_us\": " << num(r.p95)
           << ", \"latency_p99_us\": " << num(r.p99) << ", \"build_seconds\": " << num(build_secs)
           << ", \"build_threads\": " << o.build_threads << ", \"open_seconds\": " << num(open_secs)
           << ", \"distance_computations_per_query\": " << num(r.dists) << ", \"rss_bytes_after_build\": " << rss_build
           << ", \"rss_bytes_after_open\": " << rss_open << ", \"file_bytes\": " << file_bytes
           << ", \"bytes_per_vector\": " << num((double)file_bytes / n) << "}" << (i + 1 < rows.size() ? "," : "") << "\n";
    }
    js << "  ]\n}\n";
    if (o.out.empty()) {
        fputs(js.str().c_str(), stdout);
    } else {
        std::ofstream f(o.out);
        f << js.str();
        if (!f) throw std::runtime_error(o.out + ": write failed");
    }
    return 0;
}

}  // namespace

int main(int argc, char **argv) {
    try {
        Options o = parse(argc, argv);
        if (o.load) return load_mode(o);
        if (o.base.empty() || o.queries.empty() || o.truth.empty()) {
            usage();
            return 2;
        }
        char self[4096];
        ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
        if (len <= 0) throw std::runtime_error("cannot find own executable");
        self[len] = 0;
        return run(o, self);
    } catch (const std::exception &e) {
        fprintf(stderr, "runner: %s\n", e.what());
        return 1;
    }
}
