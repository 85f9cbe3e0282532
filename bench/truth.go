package bench

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/viterin/vek/vek32"
)

// Metric names a similarity measure. The zero value is invalid.
type Metric string

// The metrics vecbolt supports, with their names in results and files.
const (
	Cosine Metric = "cosine" // angular: vectors are normalised, then dot
	Dot    Metric = "dot"    // inner product, larger is closer
	L2     Metric = "l2"     // euclidean
)

// ParseMetric accepts cosine, dot and l2, and the ann-benchmarks and
// hnswlib/FAISS spellings angular, ip, inner_product and euclidean.
func ParseMetric(s string) (Metric, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "cosine", "angular", "cos":
		return Cosine, nil
	case "dot", "ip", "inner_product", "innerproduct":
		return Dot, nil
	case "l2", "euclidean":
		return L2, nil
	}
	return "", fmt.Errorf("%w: %q (want cosine, dot or l2)", ErrUnknownMetric, s)
}

// DefaultK is the ground-truth depth when none is given, as in
// ann-benchmarks' data sets.
const DefaultK = 100

// Truth holds the exact nearest neighbours of each query.
//
// Row q of IDs lists base row indices, closest first; ties in distance are
// broken by the lower index. Row q of Dists holds the matching distances,
// where smaller is closer: cosine 1 - cos(q, b), dot -q·b, l2 the squared
// euclidean distance (the same convention as the index package).
type Truth struct {
	Metric Metric
	K      int
	IDs    *IntMatrix
	Dists  *Matrix
}

// Normalize returns a copy of m with every row scaled to unit length.
// Zero rows stay zero.
func Normalize(m *Matrix) *Matrix {
	out := m.Clone()
	for i := 0; i < out.Rows; i++ {
		row := out.Row(i)
		if n := vek32.Norm(row); n > 0 {
			vek32.MulNumber_Inplace(row, 1/n)
		}
	}
	return out
}

// GroundTruth computes the exact top-k neighbours in base of every query
// by brute force, with vek32's SIMD kernels, on workers goroutines
// (0 = GOMAXPROCS). k is capped at base.Rows. Under Cosine both inputs are
// normalised (copies; the arguments are only read). It returns ctx.Err()
// if ctx is cancelled.
func GroundTruth(ctx context.Context, base, queries *Matrix, metric Metric, k, workers int) (*Truth, error) {
	if base.Rows == 0 || queries.Rows == 0 {
		return nil, fmt.Errorf("%w: ground truth over %d base rows and %d queries", ErrEmpty, base.Rows, queries.Rows)
	}
	if base.Dim != queries.Dim {
		return nil, fmt.Errorf("%w: base dimension %d, queries %d", ErrShape, base.Dim, queries.Dim)
	}
	if k <= 0 {
		return nil, fmt.Errorf("%w: k = %d", ErrBadArgument, k)
	}
	if _, err := ParseMetric(string(metric)); err != nil {
		return nil, err
	}
	k = min(k, base.Rows)
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if metric == Cosine {
		base, queries = Normalize(base), Normalize(queries)
	}
	t := &Truth{Metric: metric, K: k, IDs: NewIntMatrix(queries.Rows, k), Dists: NewMatrix(queries.Rows, k)}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := make(topK, 0, k)
			diff := make([]float32, base.Dim)
			for {
				if ctx.Err() != nil {
					return
				}
				q := int(next.Add(1) - 1)
				if q >= queries.Rows {
					return
				}
				qv := queries.Row(q)
				h = h[:0]
				for i := 0; i < base.Rows; i++ {
					h.push(k, distance(metric, qv, base.Row(i), diff), int32(i))
				}
				h.sortInto(t.IDs.Row(q), t.Dists.Row(q))
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return t, nil
}

// topK is a bounded max-heap on (dist, id): the root is the worst kept.
type topK []struct {
	d  float32
	id int32
}

func worse(ad float32, aid int32, bd float32, bid int32) bool {
	return ad > bd || (ad == bd && aid > bid)
}

func (h *topK) push(k int, d float32, id int32) {
	s := *h
	if len(s) == k {
		if !worse(s[0].d, s[0].id, d, id) {
			return
		}
		s[0].d, s[0].id = d, id
		h.down(0)
		return
	}
	s = append(s, struct {
		d  float32
		id int32
	}{d, id})
	*h = s
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !worse(s[i].d, s[i].id, s[p].d, s[p].id) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h topK) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		c := l
		if r := l + 1; r < len(h) && worse(h[r].d, h[r].id, h[l].d, h[l].id) {
			c = r
		}
		if !worse(h[c].d, h[c].id, h[i].d, h[i].id) {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}

// sortInto pops the heap (destroying it) into ids/dists, closest first.
func (h *topK) sortInto(ids []int32, dists []float32) {
	s := *h
	for n := len(s); n > 0; n-- {
		ids[n-1], dists[n-1] = s[0].id, s[0].d
		s[0] = s[n-1]
		s = s[:n-1]
		s.down(0)
	}
	*h = s
}

// TruthKey returns the SHA-256 (hex) of everything a ground truth depends
// on: the base and query matrices (shape and float32 bits), the metric and
// k. A cached truth is valid only under the same key.
func TruthKey(base, queries *Matrix, metric Metric, k int) string {
	h := sha256.New()
	fmt.Fprintf(h, "vecbolt-bench-truth/1\nmetric=%s\nk=%d\n", metric, k)
	buf := make([]byte, 0, 1<<16)
	for _, m := range []*Matrix{base, queries} {
		buf = binary.LittleEndian.AppendUint64(buf[:0], uint64(m.Rows))
		buf = binary.LittleEndian.AppendUint64(buf, uint64(m.Dim))
		h.Write(buf)
		buf = buf[:0]
		for _, v := range m.Data[:m.Rows*m.Dim] {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
			if len(buf) == cap(buf) {
				h.Write(buf)
				buf = buf[:0]
			}
		}
		h.Write(buf)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// truthSidecar is the JSON written next to a cached truth file.
type truthSidecar struct {
	Format    string `json:"format"`
	Key       string `json:"sha256"`
	Metric    Metric `json:"metric"`
	K         int    `json:"k"`
	BaseRows  int    `json:"base_rows"`
	Queries   int    `json:"queries"`
	Dim       int    `json:"dim"`
	DistsFile string `json:"dists_file"`
}

// TruthFiles returns the three files of a cached truth at path (an .ivecs
// file): the ids, the distances (.dist.fvecs) and the JSON sidecar
// (.json), e.g. truth.ivecs, truth.dist.fvecs, truth.json.
func TruthFiles(path string) (ids, dists, sidecar string) {
	stem := strings.TrimSuffix(path, filepath.Ext(path))
	return path, stem + ".dist.fvecs", stem + ".json"
}

// CachedGroundTruth returns the ground truth stored at path if its sidecar
// records the same TruthKey, and otherwise computes it with GroundTruth and
// stores it (ids as ivecs at path, distances and a JSON sidecar beside it;
// see TruthFiles). hit reports whether the cache was used. A cache that is
// missing, stale or unreadable is recomputed, never an error; failing to
// write it is. Not safe for concurrent use on the same path by several
// processes (the last writer wins; files are replaced atomically).
func CachedGroundTruth(ctx context.Context, path string, base, queries *Matrix, metric Metric, k, workers int) (t *Truth, hit bool, err error) {
	if k > 0 {
		k = min(k, base.Rows)
	}
	key := TruthKey(base, queries, metric, k)
	if t, err := loadCachedTruth(path, key); err == nil {
		return t, true, nil
	}
	t, err = GroundTruth(ctx, base, queries, metric, k, workers)
	if err != nil {
		return nil, false, err
	}
	if err := saveTruth(path, t, key, base.Rows, base.Dim); err != nil {
		return nil, false, err
	}
	return t, false, nil
}

// saveTruth writes t as a cache entry at path under key (see TruthFiles).
// The sidecar is written last, so an interrupted save leaves a stale entry,
// never a wrong one.
func saveTruth(path string, t *Truth, key string, baseRows, dim int) error {
	ids, dists, side := TruthFiles(path)
	os.Remove(side)
	if err := WriteIvecs(ids, t.IDs); err != nil {
		return err
	}
	if err := WriteFvecs(dists, t.Dists); err != nil {
		return err
	}
	sc := truthSidecar{Format: "vecbolt-bench-truth/1", Key: key, Metric: t.Metric, K: t.K,
		BaseRows: baseRows, Queries: t.IDs.Rows, Dim: dim, DistsFile: filepath.Base(dists)}
	b, err := json.MarshalIndent(sc, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(side, func(w io.Writer) error { _, err := w.Write(append(b, '\n')); return err })
}

var errStale = errors.New("stale truth cache")

func loadCachedTruth(path, key string) (*Truth, error) {
	ids, dists, side := TruthFiles(path)
	b, err := os.ReadFile(side)
	if err != nil {
		return nil, err
	}
	var sc truthSidecar
	if err := json.Unmarshal(b, &sc); err != nil {
		return nil, err
	}
	if sc.Key != key {
		return nil, errStale
	}
	im, err := ReadIvecs(ids)
	if err != nil {
		return nil, err
	}
	dm, err := ReadFvecs(dists)
	if err != nil {
		return nil, err
	}
	if im.Rows != sc.Queries || im.Dim != sc.K || dm.Rows != im.Rows || dm.Dim != im.Dim {
		return nil, errStale
	}
	return &Truth{Metric: sc.Metric, K: sc.K, IDs: im, Dists: dm}, nil
}
