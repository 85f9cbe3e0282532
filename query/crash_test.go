package query_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/store"
)

// The crash test re-executes the test binary as a writer process (the
// os/exec TestHelperProcess pattern), kills it with SIGKILL at a random
// moment, and checks the database against the operations the child
// acknowledged.
//
// The child runs one to four writer goroutines at once (their writes share
// commits: group commit). Each owns its keys, so the last acknowledged
// write of a key is well defined. The child prints one line per operation
// step, each with a single write(2) on an unbuffered stdout (atomic on a
// pipe):
//
//	READY                          database open, collection loaded
//	I <op> U <ver> <key> <key>...   about to upsert these keys at version ver
//	I <op> M <ver> <key>            about to set this key's metadata to version ver
//	I <op> D <ver> <key> <key>...   about to delete these keys
//	A <op>                          the call returned nil: acknowledged
//
// An I line without its A line is an operation in flight at the kill (at
// most one per writer): each must be all there or not there at all. A
// partial last line is ignored.

var (
	crashTrials = flag.Int("crash.trials", 20, "number of SIGKILL trials in TestCrashSafety")
	crashDir    = flag.String("crash.dir", "", "directory for TestCrashSafety's database (default: /dev/shm when it is a tmpfs, else a temporary directory)")
)

// crashEnv selects the writer mode of the test binary; its value is
// "<db path>|<trial>|<seed>|<writers>".
const crashEnv = "VECBOLT_CRASH_WRITER"

const (
	crashCollection = "crash"
	crashDim        = 8
	crashMaxRecords = 1200 // the child favours deletes above this
)

var crashConfig = query.CollectionConfig{Dim: crashDim, Metric: query.L2, M: 8, EfConstruction: 48, Ef: 32, Seed: 5}

// crashVector is the vector every process derives for key at version ver.
func crashVector(key string, ver uint64) []float32 {
	h := fnv.New64a()
	h.Write([]byte(key))
	r := rand.New(rand.NewPCG(h.Sum64(), ver))
	v := make([]float32, crashDim)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// crashMeta is the metadata written with key at version ver.
func crashMeta(key string, ver uint64) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"k":%q,"v":%d}`, key, ver))
}

// TestCrashWriterProcess is not a test: it is the child process of
// TestCrashSafety, selected by the environment variable.
func TestCrashWriterProcess(t *testing.T) {
	spec := os.Getenv(crashEnv)
	if spec == "" {
		return
	}
	if err := crashWriter(spec); err != nil {
		fmt.Fprintf(os.Stdout, "E %v\n", err)
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	os.Exit(0)
}

// crashWriter runs random writes from several goroutines until killed (or
// for 60 seconds).
func crashWriter(spec string) error {
	parts := strings.Split(spec, "|")
	if len(parts) != 4 {
		return fmt.Errorf("bad %s=%q", crashEnv, spec)
	}
	trial, _ := strconv.Atoi(parts[1])
	seed, _ := strconv.ParseUint(parts[2], 10, 64)
	writers, _ := strconv.Atoi(parts[3])
	say := func(format string, args ...any) {
		// One write per line; os.Stdout is unbuffered.
		if _, err := os.Stdout.Write([]byte(fmt.Sprintf(format, args...) + "\n")); err != nil {
			os.Exit(4)
		}
	}

	db, err := query.Open(parts[0], query.Options{Timeout: 10 * time.Second})
	if err != nil {
		return err
	}
	c, err := db.CreateCollection(ctx, crashCollection, crashConfig)
	if err != nil {
		return err
	}
	owned := make([][]string, writers) // live keys of each writer, in no particular order
	i := 0
	if err := c.Keys(ctx, func(k string) error {
		owned[i%writers] = append(owned[i%writers], k)
		i++
		return nil
	}); err != nil {
		return err
	}
	say("READY")

	var ops atomic.Int64
	errc := make(chan error, writers)
	for w := range writers {
		go func() {
			errc <- crashWriterLoop(c, trial, w, writers, seed, owned[w], &ops, say)
		}()
	}
	for range writers {
		if err := <-errc; err != nil {
			return err
		}
	}
	return db.Close()
}

// crashWriterLoop is one writer goroutine of the child: random writes of
// its own keys.
func crashWriterLoop(c *query.Collection, trial, w, writers int, seed uint64, keys []string, ops *atomic.Int64, say func(string, ...any)) error {
	rng := rand.New(rand.NewPCG(seed, uint64(trial)<<8|uint64(w)))
	pos := map[string]int{}
	for i, k := range keys {
		pos[k] = i
	}
	remove := func(k string) {
		i := pos[k]
		last := keys[len(keys)-1]
		keys[i], pos[last] = last, i
		keys = keys[:len(keys)-1]
		delete(pos, k)
	}
	maxRecords := crashMaxRecords / writers
	next := 0
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		op := int(ops.Add(1))
		ver := uint64(trial)<<32 | uint64(op)
		newKey := func() string { next++; return fmt.Sprintf("t%d-w%d-%d", trial, w, next) }
		oldKey := func() string { return keys[rng.IntN(len(keys))] }
		x := rng.IntN(100)
		if len(keys) > maxRecords {
			x = 95
		}
		switch {
		case x < 65 || len(keys) < 10:
			// Upserts: a bulk import of new keys (some batches also update
			// old ones), a single insert, or a single update.
			var batch []string
			switch {
			case x < 25:
				for range 5 + rng.IntN(20) {
					batch = append(batch, newKey())
				}
				if x < 12 && len(keys) > 0 {
					for range 1 + rng.IntN(5) {
						if k := oldKey(); !slices.Contains(batch, k) {
							batch = append(batch, k)
						}
					}
				}
			case x < 45 || len(keys) == 0:
				batch = []string{newKey()}
			default:
				batch = []string{oldKey()}
			}
			say("I %d U %d %s", op, ver, strings.Join(batch, " "))
			recs := make([]query.Record, len(batch))
			for i, k := range batch {
				recs[i] = query.Record{Key: k, Vector: crashVector(k, ver), Metadata: crashMeta(k, ver)}
			}
			var err error
			if len(recs) == 1 {
				err = c.Upsert(ctx, recs[0].Key, recs[0].Vector, recs[0].Metadata)
			} else {
				err = c.UpsertBatch(ctx, recs, query.BatchOptions{})
			}
			if err != nil {
				return fmt.Errorf("op %d: upsert: %w", op, err)
			}
			say("A %d", op)
			for _, k := range batch {
				if _, ok := pos[k]; !ok {
					pos[k] = len(keys)
					keys = append(keys, k)
				}
			}
		case x < 75:
			// Metadata only: the vector keeps its version, the metadata
			// names the new one.
			k := oldKey()
			say("I %d M %d %s", op, ver, k)
			if err := c.SetMetadata(ctx, k, crashMeta(k, ver)); err != nil {
				return fmt.Errorf("op %d: set metadata: %w", op, err)
			}
			say("A %d", op)
		default:
			n := 1 + rng.IntN(3)
			if len(keys) > maxRecords {
				n = 20 + rng.IntN(30)
			}
			seen := map[string]bool{}
			var del []string
			for range n {
				if k := oldKey(); !seen[k] {
					seen[k] = true
					del = append(del, k)
				}
			}
			say("I %d D %d %s", op, ver, strings.Join(del, " "))
			if _, err := c.Delete(ctx, del...); err != nil {
				return fmt.Errorf("op %d: delete: %w", op, err)
			}
			say("A %d", op)
			for _, k := range del {
				remove(k)
			}
		}
	}
	return nil
}

// crashOp is an operation the child announced.
type crashOp struct {
	id   int
	kind byte // 'U' upsert, 'M' metadata only, 'D' delete
	ver  uint64
	keys []string
}

// parseCrashOutput returns the acknowledged operations in the order of
// their acknowledgements, those in flight (announced, not acknowledged) in
// the order announced, and whether the child reached READY. Only complete
// lines count.
func parseCrashOutput(out []byte) (acked []crashOp, inflight []crashOp, ready bool, err error) {
	if i := bytes.LastIndexByte(out, '\n'); i >= 0 {
		out = out[:i+1]
	} else {
		out = nil
	}
	open := map[int]crashOp{}
	var order []int
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 1 && f[0] == "READY":
			ready = true
		case len(f) >= 5 && f[0] == "I" && len(f[2]) == 1 && strings.Contains("UMD", f[2]):
			id := atoi(f[1])
			if _, dup := open[id]; dup {
				return nil, nil, ready, fmt.Errorf("op %d announced twice", id)
			}
			ver, _ := strconv.ParseUint(f[3], 10, 64)
			open[id] = crashOp{id: id, kind: f[2][0], ver: ver, keys: f[4:]}
			order = append(order, id)
		case len(f) == 2 && f[0] == "A":
			id := atoi(f[1])
			op, ok := open[id]
			if !ok {
				return nil, nil, ready, fmt.Errorf("acknowledgement %q of an operation not in flight", sc.Text())
			}
			acked = append(acked, op)
			delete(open, id)
		default:
			return nil, nil, ready, fmt.Errorf("unexpected line from the writer: %q", sc.Text())
		}
	}
	for _, id := range order {
		if op, ok := open[id]; ok {
			inflight = append(inflight, op)
		}
	}
	return acked, inflight, ready, sc.Err()
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

type crashStats struct {
	beforeReady, inflightApplied, inflightAbsent, idle, acked int
	searched, defaultMiss                                     int // self-searches, misses at the default ef
	child, verify                                             time.Duration
	deltas, folds                                             int // vector deltas after the last trial; trials after which they shrank (a block fold committed)
}

// crashLayout counts the vector deltas and blocks of the crash collection,
// so the test can report that kills met the block layout's folds.
func crashLayout(t *testing.T, path string, st *crashStats) {
	t.Helper()
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := db.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range s.Collections {
		if c.Name == crashCollection {
			if d := c.Buckets["vectors"].Keys; d < st.deltas {
				st.folds++
				st.deltas = d
			} else {
				st.deltas = d
			}
		}
	}
}

// crashState is what a key holds: the version of its vector and of its
// metadata.
type crashState struct{ vec, meta uint64 }

// crashModel is the expected content: key -> versions of its last writes.
type crashModel map[string]crashState

func (m crashModel) apply(op crashOp) {
	for _, k := range op.keys {
		switch op.kind {
		case 'D':
			delete(m, k)
		case 'M':
			if s, ok := m[k]; ok {
				m[k] = crashState{s.vec, op.ver}
			}
		default:
			m[k] = crashState{op.ver, op.ver}
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the exec copier and the test.
type syncBuffer struct {
	mu  sync.Mutex // protects buf
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.buf.Bytes()...)
}

func TestCrashSafety(t *testing.T) {
	trials := *crashTrials
	if trials <= 0 {
		t.Skip("-crash.trials=0")
	}
	path := filepath.Join(crashTempDir(t), "crash.db")
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d (dim %d, L2, M %d)", seed, crashDim, crashConfig.M)
	rng := rand.New(rand.NewPCG(seed, 1))
	model := crashModel{}
	var stats crashStats
	for trial := 1; trial <= trials; trial++ {
		start := time.Now()
		stdout := &syncBuffer{}
		var stderr bytes.Buffer
		// One writer, or up to four at once whose writes share commits.
		writers := 1 + trial%4
		cmd := crashChildCommand(t, "TestCrashWriterProcess", crashEnv, fmt.Sprintf("%s|%d|%d|%d", path, trial, seed, writers))
		cmd.Stdout, cmd.Stderr = stdout, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Most kills land while writing, a few while opening.
		var delay time.Duration
		if rng.IntN(10) > 0 {
			waitReady(t, stdout, cmd, &stderr)
			delay = time.Duration(rng.IntN(250_000)) * time.Microsecond
		} else {
			delay = time.Duration(rng.IntN(100_000)) * time.Microsecond
		}
		time.Sleep(delay)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("trial %d: writer ended with %v, not by SIGKILL\nstdout tail: %s\nstderr: %s", trial, err, tail(stdout.Bytes()), stderr.Bytes())
		}
		acked, inflight, ready, err := parseCrashOutput(stdout.Bytes())
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		if !ready {
			stats.beforeReady++
		}
		for _, op := range acked {
			model.apply(op)
		}
		stats.acked += len(acked)
		stats.child += time.Since(start)
		start = time.Now()
		applied := verifyAfterCrash(t, trial, path, model, inflight, &stats)
		crashLayout(t, path, &stats)
		stats.verify += time.Since(start)
		if len(inflight) == 0 {
			stats.idle++
		}
		for i, op := range inflight {
			if applied[i] {
				stats.inflightApplied++
				model.apply(op)
			} else {
				stats.inflightAbsent++
			}
		}
		if t.Failed() {
			keep := filepath.Join(os.TempDir(), fmt.Sprintf("vecbolt-crash-failed-%d.db", seed))
			if b, err := os.ReadFile(path); err == nil && os.WriteFile(keep, b, 0o600) == nil {
				t.Logf("database kept as %s", keep)
			}
			t.Fatalf("trial %d (killed %v after start, %d ops acknowledged, in flight %+v)", trial, delay, len(acked), inflight)
		}
	}
	t.Logf("vector deltas shrank (a block fold committed between kills) after %d of %d trials", stats.folds, trials)
	t.Logf("%d trials, all passed: %d acknowledged operations; kill before READY %d; in-flight ops found complete %d, absent %d; none in flight %d trials; %d records at the end; self-search found at default ef %d/%d; %v in writers, %v verifying",
		trials, stats.acked, stats.beforeReady, stats.inflightApplied, stats.inflightAbsent, stats.idle, len(model),
		stats.searched-stats.defaultMiss, stats.searched,
		stats.child.Round(time.Millisecond), stats.verify.Round(time.Millisecond))
}

// crashTempDir returns a directory for the crash database. SIGKILL ends
// the process, not the machine: the kernel keeps every write(2) the child
// made, so fsync buys nothing here and costs ~25 ms a commit on the CI
// disk. A tmpfs (/dev/shm) makes fsync free while still running the
// default, syncing configuration.
func crashTempDir(t *testing.T) string {
	dir := *crashDir
	if dir == "" {
		if onTmpfs("/dev/shm") {
			dir = "/dev/shm"
		}
	}
	if dir == "" {
		return t.TempDir()
	}
	d, err := os.MkdirTemp(dir, "vecbolt-crash-")
	if err != nil {
		t.Logf("%v: using a temporary directory", err)
		return t.TempDir()
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func tail(b []byte) []byte {
	if len(b) > 500 {
		return b[len(b)-500:]
	}
	return b
}

// waitReady waits until the child prints READY.
func waitReady(t *testing.T, out *syncBuffer, cmd *exec.Cmd, stderr *bytes.Buffer) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !bytes.Contains(out.Bytes(), []byte("READY\n")) {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("writer not ready after 60s\nstdout: %s\nstderr: %s", tail(out.Bytes()), stderr.Bytes())
		}
		time.Sleep(time.Millisecond)
	}
}

// verifyAfterCrash opens the database the child left and checks it against
// model, the acknowledged state. It reports, for each operation in flight,
// whether it is in the file (each must be entirely in or entirely out).
func verifyAfterCrash(t *testing.T, trial int, path string, model crashModel, inflight []crashOp, st *crashStats) (applied []bool) {
	t.Helper()
	applied = make([]bool, len(inflight))
	db, err := query.Open(path, query.Options{})
	if err != nil {
		t.Errorf("trial %d: reopen: %v", trial, err)
		return applied
	}
	defer db.Close()
	if err := db.Check(ctx); err != nil {
		t.Errorf("trial %d: Check: %v", trial, err)
		return applied
	}
	c, err := db.Collection(ctx, crashCollection)
	if errors.Is(err, query.ErrUnknownCollection) && len(model) == 0 {
		return applied // killed before the collection was created
	}
	if err != nil {
		t.Errorf("trial %d: %v", trial, err)
		return applied
	}

	want := make(crashModel, len(model))
	for k, v := range model {
		want[k] = v
	}
	// Operations in flight touch keys of different writers: each is
	// decided by its first key, and every other key must agree.
	for i, op := range inflight {
		rec, err := c.Get(ctx, op.keys[0])
		if op.kind == 'D' {
			applied[i] = errors.Is(err, query.ErrKeyNotFound)
		} else {
			applied[i] = err == nil && metaVersion(rec.Metadata) == op.ver
		}
		if applied[i] {
			want.apply(op)
		}
	}

	if n := c.Len(); n != len(want) {
		t.Errorf("trial %d: %d records, want %d", trial, n, len(want))
	}
	for k, s := range want {
		rec, err := c.Get(ctx, k)
		if err != nil {
			t.Errorf("trial %d: acknowledged key %q (version %+v): %v", trial, k, s, err)
			continue
		}
		if got := metaVersion(rec.Metadata); got != s.meta {
			t.Errorf("trial %d: key %q holds metadata version %d, want %d (in flight: %+v, applied %v)", trial, k, got, s.meta, inflight, applied)
			continue
		}
		if string(rec.Metadata) != string(crashMeta(k, s.meta)) {
			t.Errorf("trial %d: key %q metadata %s, want %s", trial, k, rec.Metadata, crashMeta(k, s.meta))
		}
		wv := crashVector(k, s.vec)
		for i := range wv {
			if math.Float32bits(rec.Vector[i]) != math.Float32bits(wv[i]) {
				t.Errorf("trial %d: key %q vector %v, want version %d %v", trial, k, rec.Vector, s.vec, wv)
				break
			}
		}
		// Reachable through the graph: a search for its own vector finds
		// it. With ef >= the number of records the level-0 beam never
		// fills, so it visits every node reachable from the entry point:
		// a miss there is a broken graph. A miss at the default ef is only
		// counted (search quality, not integrity).
		res, err := c.Search(ctx, wv, 1, query.SearchOptions{})
		if err != nil || len(res) == 0 || res[0].Key != k || res[0].Score != 0 {
			st.defaultMiss++
			res, err = c.Search(ctx, wv, 1, query.SearchOptions{Ef: len(want) + 1})
			if err != nil || len(res) == 0 || res[0].Key != k || res[0].Score != 0 {
				t.Errorf("trial %d: exhaustive graph search for %q's own vector gave %v, %v", trial, k, res, err)
			}
		}
		st.searched++
	}
	if err := c.Keys(ctx, func(k string) error {
		if _, ok := want[k]; !ok {
			t.Errorf("trial %d: key %q is stored but was never acknowledged (in flight: %+v, applied %v)", trial, k, inflight, applied)
		}
		return nil
	}); err != nil {
		t.Errorf("trial %d: %v", trial, err)
	}
	return applied
}

// metaVersion returns the "v" field of crash metadata, or 0.
func metaVersion(m json.RawMessage) uint64 {
	var v struct{ V uint64 }
	_ = json.Unmarshal(m, &v)
	return v.V
}
