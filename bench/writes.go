package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/store"
)

// WritesOptions configures MeasureWrites.
type WritesOptions struct {
	// Path is the database file. If it is absent, MeasureWrites builds it
	// from Base (keys are the row numbers); if it exists, it must hold the
	// collection with len(Base) records and is reused, so that a large
	// collection is built once. Required.
	Path string
	// Collection is the collection's name; "" means "bench".
	Collection string
	// Metric, M and EfConstruction configure a collection MeasureWrites
	// builds; "" and 0 mean cosine, 16 and 200.
	Metric            Metric
	M, EfConstruction int
	// Base is the collection's records; Extra holds vectors that are not in
	// it (new keys and new vectors for updates). Extra needs 3*Ops rows.
	Base, Extra *Matrix
	// Ops is the number of operations per phase (at most Budget each).
	Ops    int
	Budget time.Duration
	// Writers is the number of goroutines of the group-commit phase; 0
	// means 16.
	Writers int
	// BuildThreads is handed to UpsertBatch when building; 0 = all cores.
	BuildThreads int
	// Progress, if set, receives build progress (records linked).
	Progress func(done int)
	// Logf, if set, reports what is going on.
	Logf func(format string, args ...any)
	// Seed picks the keys updated and re-upserted.
	Seed uint64
	// Freelist adds the freelist comparison: on a copy of the database,
	// one-key commits and a read-write open (after a Close and after a
	// crash) with bbolt's synced array freelist and with the unsynced
	// hashmap one, the default (store.Freelist).
	Freelist bool
	// Phases, if not empty, limits the timed phases to those named
	// (insert, update, metadata, noop, delete, group-insert); the raw
	// bbolt ceiling is always measured. Inserted records are deleted
	// again either way.
	Phases []string
}

// WritePhases are the phases MeasureWrites can time, in its order.
var WritePhases = []string{"insert", "update", "metadata", "noop", "delete", "group-insert"}

// WritePhase is one measured kind of write.
type WritePhase struct {
	Name         string  `json:"name"`    // raw-bbolt, insert, update, metadata, noop, delete, group-insert
	Writers      int     `json:"writers"` // concurrent goroutines
	Ops          int     `json:"ops"`
	Seconds      float64 `json:"seconds"`
	PerSecond    float64 `json:"per_second"`
	BytesPerOp   float64 `json:"bytes_written_per_op"` // bytes handed to write(2)/pwrite(2) by the process (/proc/self/io wchar), 0 if unknown
	CommitsPerOp float64 `json:"commits_per_op"`
	NodesPerOp   float64 `json:"nodes_written_per_op"`
	// Where the time of the committed writes went, in milliseconds per
	// op: graph work (Stage), the store writes in the transaction (Write)
	// and bbolt's commit, page writes and fsync (Commit).
	StageMs  float64 `json:"stage_ms_per_op,omitempty"`
	WriteMs  float64 `json:"write_ms_per_op,omitempty"`
	CommitMs float64 `json:"commit_ms_per_op,omitempty"`
}

// WritesReport is what MeasureWrites measured, in one run.
type WritesReport struct {
	N            int          `json:"n"`
	Dim          int          `json:"dim"`
	FileBytes    int64        `json:"file_bytes"`
	BuildSeconds float64      `json:"build_seconds,omitempty"` // 0 when the file was reused
	OpenSeconds  float64      `json:"open_seconds"`            // query.Open plus loading the collection
	Phases       []WritePhase `json:"phases"`
	// Freelists compares bbolt's freelist settings on a copy of the file
	// (with WritesOptions.Freelist).
	Freelists []FreelistProbe `json:"freelists,omitempty"`
}

// FreelistProbe is the cost of a commit and of an open of the database
// file under one freelist setting.
type FreelistProbe struct {
	Freelist        string  `json:"freelist"` // "synced-array" or "unsynced-hashmap"
	Commits         int     `json:"commits"`
	CommitsPerSec   float64 `json:"commits_per_second"`
	BytesPerCommit  float64 `json:"bytes_written_per_commit"` // /proc/self/io wchar
	PageBytesCommit float64 `json:"page_bytes_per_commit"`    // bbolt's own count
	FreePages       int     `json:"free_pages"`
	OpenSeconds     float64 `json:"store_open_seconds"` // store.Open read-write after a Close, no collection load
	// UncleanOpenSeconds is store.Open read-write of the file as a crash
	// after a commit leaves it (the unsynced freelist walks every page).
	UncleanOpenSeconds float64 `json:"store_open_unclean_seconds"`
}

// Phase returns the phase with the given name, or a zero WritePhase.
func (r *WritesReport) Phase(name string) WritePhase {
	for _, p := range r.Phases {
		if p.Name == name {
			return p
		}
	}
	return WritePhase{}
}

// MeasureWrites measures durable single writes against one collection, side
// by side in one run: the machine's ceiling (a raw bbolt loop of one-key
// commits in a scratch file beside Path, run first and last, the faster
// kept), then single-writer inserts of new
// keys, updates of existing keys to new vectors, metadata-only changes,
// re-upserts of identical vectors, deletes (of the inserted keys), and
// inserts from Writers goroutines at once (group commit). Every write is
// its own call and durable when it returns. The records it inserts are
// deleted again; updated records keep their new vectors.
func MeasureWrites(ctx context.Context, o WritesOptions) (*WritesReport, error) {
	if o.Path == "" || o.Base == nil || o.Base.Rows == 0 || o.Ops <= 0 {
		return nil, fmt.Errorf("%w: writes: need a path, base rows and a positive op count", ErrBadArgument)
	}
	if o.Extra == nil || o.Extra.Rows < 3*o.Ops || o.Extra.Dim != o.Base.Dim {
		return nil, fmt.Errorf("%w: writes: need %d extra rows of dimension %d", ErrBadArgument, 3*o.Ops, o.Base.Dim)
	}
	if o.Collection == "" {
		o.Collection = "bench"
	}
	if o.Metric == "" {
		o.Metric = Cosine
	}
	if o.Writers <= 0 {
		o.Writers = 16
	}
	if o.Budget <= 0 {
		o.Budget = 10 * time.Second
	}
	logf := o.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	rep := &WritesReport{N: o.Base.Rows, Dim: o.Base.Dim}
	if _, err := os.Stat(o.Path); errors.Is(err, fs.ErrNotExist) {
		logf("building %d records into %s", o.Base.Rows, o.Path)
		t0 := time.Now()
		if err := buildWrites(ctx, o); err != nil {
			os.Remove(o.Path)
			return nil, err
		}
		rep.BuildSeconds = time.Since(t0).Seconds()
		logf("built in %.1f s", rep.BuildSeconds)
	} else if err != nil {
		return nil, fmt.Errorf("bench: writes: %w", err)
	}

	nonce := strconv.FormatInt(time.Now().UnixNano(), 36)
	// The ceiling is measured before the other phases and again after
	// them, and the faster run is kept: on a shared machine the disk's
	// speed drifts.
	raw := func() (WritePhase, error) {
		path := filepath.Join(filepath.Dir(o.Path), ".raw-commits-"+nonce+".db")
		defer os.Remove(path)
		w0 := procWchar()
		p, err := store.ProbeCommits(ctx, path, store.Options{}, o.Ops, o.Budget)
		if err != nil {
			return WritePhase{}, fmt.Errorf("bench: writes: %w", err)
		}
		return WritePhase{Name: "raw-bbolt", Writers: 1, Ops: p.Commits, Seconds: p.Seconds,
			PerSecond: float64(p.Commits) / p.Seconds, BytesPerOp: perOp(procWchar()-w0, p.Commits), CommitsPerOp: 1}, nil
	}
	logf("raw bbolt one-key commits beside %s", o.Path)
	rawPhase, err := raw()
	if err != nil {
		return nil, err
	}
	rep.Phases = append(rep.Phases, rawPhase)

	if o.Freelist {
		if rep.Freelists, err = probeFreelists(ctx, o.Path, nonce, o.Ops, o.Budget, logf); err != nil {
			return nil, err
		}
	}

	t0 := time.Now()
	db, err := query.Open(o.Path, query.Options{Timeout: 10 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("bench: writes: %w", err)
	}
	defer db.Close()
	c, err := db.Collection(ctx, o.Collection)
	if err != nil {
		return nil, fmt.Errorf("bench: writes: %w", err)
	}
	rep.OpenSeconds = time.Since(t0).Seconds()
	if c.Len() < o.Base.Rows {
		return nil, fmt.Errorf("%w: writes: %s holds %d records, want %d", ErrBadArgument, o.Path, c.Len(), o.Base.Rows)
	}
	logf("opened %d records in %.2f s", c.Len(), rep.OpenSeconds)

	rng := rand.New(rand.NewPCG(o.Seed, uint64(time.Now().UnixNano())))
	randomKeys := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = strconv.Itoa(rng.IntN(o.Base.Rows))
		}
		return out
	}
	wanted := func(name string) bool { return len(o.Phases) == 0 || slices.Contains(o.Phases, name) }
	// phase times fn(i) for i = 0.. until ops or Budget, on one goroutine,
	// and returns the number of calls; 0 for a phase not wanted.
	phase := func(name string, ops int, fn func(i int) error) (int, error) {
		if !wanted(name) {
			return 0, nil
		}
		st0, w0 := c.WriteStats(), procWchar()
		t0 := time.Now()
		n := 0
		for ; n < ops && (n == 0 || time.Since(t0) < o.Budget); n++ {
			if err := fn(n); err != nil {
				return n, fmt.Errorf("bench: writes: %s %d: %w", name, n, err)
			}
		}
		rep.Phases = append(rep.Phases, measured(name, 1, n, time.Since(t0), st0, c.WriteStats(), procWchar()-w0))
		logf("%s: %.0f/s", name, rep.Phases[len(rep.Phases)-1].PerSecond)
		return n, nil
	}

	// One untimed insert first: the first insert after an open may grow
	// the graph's arrays, once.
	var inserted []string
	warm := "w-" + nonce + "-warm"
	if err := c.Upsert(ctx, warm, o.Extra.Row(o.Extra.Rows-1), nil); err != nil {
		return nil, fmt.Errorf("bench: writes: %w", err)
	}
	if _, err := phase("insert", o.Ops, func(i int) error {
		k := "w-" + nonce + "-" + strconv.Itoa(i)
		inserted = append(inserted, k)
		return c.Upsert(ctx, k, o.Extra.Row(i), nil)
	}); err != nil {
		return nil, err
	}
	upd := randomKeys(o.Ops)
	if _, err := phase("update", o.Ops, func(i int) error {
		return c.Upsert(ctx, upd[i], o.Extra.Row(o.Ops+i), nil)
	}); err != nil {
		return nil, err
	}
	mk := randomKeys(o.Ops)
	if _, err := phase("metadata", o.Ops, func(i int) error {
		return c.SetMetadata(ctx, mk[i], []byte(`{"bench":"`+nonce+`","i":`+strconv.Itoa(i)+`}`))
	}); err != nil {
		return nil, err
	}
	same := randomKeys(o.Ops)
	if !wanted("noop") {
		same = nil
	}
	vecs := make([][]float32, len(same))
	for i, k := range same {
		r, err := c.Get(ctx, k)
		if err != nil {
			return nil, fmt.Errorf("bench: writes: %w", err)
		}
		vecs[i] = r.Vector
	}
	if _, err := phase("noop", o.Ops, func(i int) error { return c.Upsert(ctx, same[i], vecs[i], nil) }); err != nil {
		return nil, err
	}
	n, err := phase("delete", len(inserted), func(i int) error {
		_, err := c.Delete(ctx, inserted[i])
		return err
	})
	if err != nil {
		return nil, err
	}
	if _, err := c.Delete(ctx, append(inserted[n:], warm)...); err != nil {
		return nil, fmt.Errorf("bench: writes: %w", err)
	}
	if !wanted("group-insert") {
		return finishWrites(rep, db, raw)
	}

	// Group commit: Writers goroutines insert new keys, one call each.
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
		keysMu   sync.Mutex // protects keys
		keys     []string
	)
	total := min(o.Extra.Rows-2*o.Ops, max(o.Ops, 8*o.Writers))
	st0, w0 := c.WriteStats(), procWchar()
	t0 = time.Now()
	for range o.Writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= total || time.Since(t0) > o.Budget && i > 0 {
					return
				}
				k := "g-" + nonce + "-" + strconv.Itoa(i)
				if err := c.Upsert(ctx, k, o.Extra.Row(2*o.Ops+i), nil); err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
				keysMu.Lock()
				keys = append(keys, k)
				keysMu.Unlock()
			}
		}()
	}
	wg.Wait()
	el := time.Since(t0)
	if firstErr != nil {
		return nil, fmt.Errorf("bench: writes: group insert: %w", firstErr)
	}
	rep.Phases = append(rep.Phases, measured("group-insert", o.Writers, len(keys), el, st0, c.WriteStats(), procWchar()-w0))
	logf("group-insert (%d writers): %.0f/s", o.Writers, rep.Phases[len(rep.Phases)-1].PerSecond)
	if len(keys) > 0 {
		if _, err := c.Delete(ctx, keys...); err != nil {
			return nil, fmt.Errorf("bench: writes: %w", err)
		}
	}
	return finishWrites(rep, db, raw)
}

// finishWrites records the file's size and measures the raw ceiling
// again, keeping the faster of its two runs.
func finishWrites(rep *WritesReport, db *query.DB, raw func() (WritePhase, error)) (*WritesReport, error) {
	var err error
	if rep.FileBytes, err = db.FileSize(); err != nil {
		return nil, fmt.Errorf("bench: writes: %w", err)
	}
	again, err := raw()
	if err != nil {
		return nil, err
	}
	if again.PerSecond > rep.Phases[0].PerSecond {
		rep.Phases[0] = again
	}
	return rep, nil
}

// probeFreelists copies the database beside itself and measures, for each
// freelist setting, a read-write store.Open and one-key commits.
func probeFreelists(ctx context.Context, path, nonce string, ops int, budget time.Duration, logf func(string, ...any)) ([]FreelistProbe, error) {
	cp := filepath.Join(filepath.Dir(path), ".freelist-"+nonce+".db")
	defer os.Remove(cp)
	if err := copyFile(path, cp); err != nil {
		return nil, fmt.Errorf("bench: writes: %w", err)
	}
	var out []FreelistProbe
	for _, fl := range []struct {
		name string
		mode store.Freelist
	}{{"synced-array", store.FreelistSynced}, {"unsynced-hashmap", store.FreelistUnsynced}} {
		opts := store.Options{Freelist: fl.mode}
		op, err := store.ProbeOpen(cp, opts)
		if err != nil {
			return nil, fmt.Errorf("bench: writes: %w", err)
		}
		w0 := procWchar()
		p, err := store.ProbeCommits(ctx, cp, opts, ops, budget)
		if err != nil {
			return nil, fmt.Errorf("bench: writes: %w", err)
		}
		fp := FreelistProbe{Freelist: fl.name, Commits: p.Commits, CommitsPerSec: float64(p.Commits) / p.Seconds,
			BytesPerCommit: perOp(procWchar()-w0, p.Commits), PageBytesCommit: perOp(p.PageBytes, p.Commits),
			FreePages: p.FreePages, OpenSeconds: op.CleanSeconds, UncleanOpenSeconds: op.UncleanSeconds}
		logf("freelist %s: %.0f commits/s, %.1f KiB/commit, %d free pages, open %.3f s (after a crash %.3f s)",
			fl.name, fp.CommitsPerSec, fp.BytesPerCommit/1024, fp.FreePages, fp.OpenSeconds, fp.UncleanOpenSeconds)
		out = append(out, fp)
	}
	return out, nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func measured(name string, writers, ops int, el time.Duration, a, b query.WriteStats, wchar int64) WritePhase {
	return WritePhase{Name: name, Writers: writers, Ops: ops, Seconds: el.Seconds(), PerSecond: float64(ops) / el.Seconds(),
		BytesPerOp: perOp(wchar, ops), CommitsPerOp: perOp(int64(b.Commits-a.Commits), ops), NodesPerOp: perOp(int64(b.Nodes-a.Nodes), ops),
		StageMs: msPerOp(b.Stage-a.Stage, ops), WriteMs: msPerOp(b.Write-a.Write, ops), CommitMs: msPerOp(b.Commit-a.Commit, ops)}
}

func msPerOp(d time.Duration, ops int) float64 {
	if ops == 0 {
		return 0
	}
	return d.Seconds() * 1000 / float64(ops)
}

func perOp(total int64, ops int) float64 {
	if ops == 0 || total < 0 {
		return 0
	}
	return float64(total) / float64(ops)
}

// buildWrites creates the collection of o.Base in o.Path, in batches of
// 50,000 records (one commit each), without fsync: a build that a crash
// interrupts is simply redone.
func buildWrites(ctx context.Context, o WritesOptions) error {
	db, err := query.Open(o.Path, query.Options{NoSync: true})
	if err != nil {
		return fmt.Errorf("bench: writes: %w", err)
	}
	defer db.Close()
	c, err := db.CreateCollection(ctx, o.Collection, query.CollectionConfig{
		Dim: o.Base.Dim, Metric: query.Metric(o.Metric), M: o.M, EfConstruction: o.EfConstruction, Seed: int64(o.Seed),
	})
	if err != nil {
		return fmt.Errorf("bench: writes: %w", err)
	}
	const chunk = 50_000
	for from := 0; from < o.Base.Rows; from += chunk {
		to := min(from+chunk, o.Base.Rows)
		recs := make([]query.Record, 0, to-from)
		for i := from; i < to; i++ {
			recs = append(recs, query.Record{Key: strconv.Itoa(i), Vector: o.Base.Row(i)})
		}
		var prog func(int)
		if o.Progress != nil {
			prog = func(done int) { o.Progress(from + done) }
		}
		if err := c.UpsertBatch(ctx, recs, query.BatchOptions{Workers: o.BuildThreads, Progress: prog}); err != nil {
			return fmt.Errorf("bench: writes: building rows %d-%d: %w", from, to, err)
		}
	}
	return db.Close()
}

// procWchar returns the bytes this process has handed to write(2) and
// pwrite(2) so far (Linux /proc/self/io), or -1 when unknown.
func procWchar() int64 {
	f, err := os.Open("/proc/self/io")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "wchar: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return -1
			}
			return n
		}
	}
	return -1
}
