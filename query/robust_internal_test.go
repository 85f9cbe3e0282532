package query

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

func openInternal(t *testing.T) (*DB, *Collection) {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "x.db"), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c, err := db.CreateCollection(context.Background(), "c", CollectionConfig{Dim: 3, Metric: L2})
	if err != nil {
		t.Fatal(err)
	}
	return db, c
}

// TestCloseReleasesWriters: Close used to take every collection's writer
// mutex and keep it, so a writer already past the closed check blocked
// forever. Now Close leaves the mutex free and such a writer returns
// ErrClosed.
func TestCloseReleasesWriters(t *testing.T) {
	ctx := context.Background()
	t.Run("mutex free after Close", func(t *testing.T) {
		db, c := openInternal(t)
		if err := c.Upsert(ctx, "a", []float32{1, 2, 3}, nil); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		if !c.wmu.TryLock() {
			t.Fatal("Close left the collection's writer mutex locked: a queued writer would block forever")
		}
		c.wmu.Unlock()
		for name, err := range map[string]error{
			"Upsert": c.Upsert(ctx, "b", []float32{1, 2, 3}, nil),
			"Check":  c.Check(ctx),
		} {
			if !errors.Is(err, ErrClosed) {
				t.Errorf("%s after Close: %v, want ErrClosed", name, err)
			}
		}
		if _, err := c.Delete(ctx, "a"); !errors.Is(err, ErrClosed) {
			t.Errorf("Delete after Close: %v, want ErrClosed", err)
		}
	})
	t.Run("queued writers", func(t *testing.T) {
		// Writers queue on the mutex (held here) after passing the closed
		// check; Close queues too. Whoever wins, every writer returns (nil
		// if it ran before Close, ErrClosed after) and Close returns.
		for trial := 0; trial < 20; trial++ {
			db, c := openInternal(t)
			c.wmu.Lock()
			var wg sync.WaitGroup
			errs := make([]error, 4)
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = c.Upsert(ctx, "k"+strconv.Itoa(i), []float32{1, 2, float32(i)}, nil)
				}()
			}
			closed := make(chan error, 1)
			go func() { closed <- db.Close() }()
			c.wmu.Unlock()
			wg.Wait()
			if err := <-closed; err != nil {
				t.Fatal(err)
			}
			for i, err := range errs {
				if err != nil && !errors.Is(err, ErrClosed) {
					t.Errorf("trial %d writer %d: %v, want nil or ErrClosed", trial, i, err)
				}
			}
		}
	})
}

// TestReloadRace: load (run after a failed commit, under wmu) used to write
// c.cfg and c.metric while searches read them without a lock. Run with
// -race: it reports the data race on the old code.
func TestReloadRace(t *testing.T) {
	ctx := context.Background()
	_, c := openInternal(t)
	for i := 0; i < 50; i++ {
		if err := c.Upsert(ctx, "k"+strconv.Itoa(i), []float32{float32(i), 1, 2}, nil); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				rs, err := c.Search(ctx, []float32{3, 1, 2}, 3, SearchOptions{})
				if err != nil || len(rs) != 3 || rs[0].Key != "k3" {
					t.Errorf("search during reload: %v %v", rs, err)
					return
				}
				_ = c.Config()
			}
		}()
	}
	for i := 0; i < 5; i++ {
		c.wmu.Lock()
		err := c.load(ctx)
		c.wmu.Unlock()
		if err != nil {
			t.Error(err)
			break
		}
	}
	close(stop)
	wg.Wait()
}
