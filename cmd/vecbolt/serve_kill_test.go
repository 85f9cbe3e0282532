package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vecbolt/vecbolt/query"
)

// TestServeSIGKILL kills `vecbolt serve` (this test binary standing in for
// it) with SIGKILL in the middle of a write load: every write the server
// acknowledged must be in the file afterwards, and Check must pass.
func TestServeSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("SIGKILL test skipped under -short")
	}
	path := tempDB(t)
	if r := vecbolt(t, "", "--db", path, "create", "-c", "w", "--dim", "4"); r.code != 0 {
		t.Fatalf("create: %+v", r)
	}
	cmd := exec.Command(os.Args[0], "--db", path, "serve", "--addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "VECBOLT_TEST_AS_CLI=1", keysEnv+"=")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("serve printed %q: %v", line, err)
	}
	url := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(line)
	if url == "" {
		t.Fatalf("no URL in %q", line)
	}
	var mu sync.Mutex
	acked := map[string]int{}
	var n atomic.Int64
	const writers, maxWrites = 8, 2000
	deadline := time.Now().Add(20 * time.Second)
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				i := int(n.Add(1))
				if i > maxWrites {
					return
				}
				body := fmt.Sprintf(`{"records":[{"key":"k%d","vector":[1,%d,2,3]}]}`, i, i)
				resp, err := http.Post(url+"/v1/collections/w/records", "application/json", strings.NewReader(body))
				if err != nil {
					return // the server is gone
				}
				resp.Body.Close()
				if resp.StatusCode == 200 {
					mu.Lock()
					acked[fmt.Sprintf("k%d", i)] = i
					mu.Unlock()
				}
			}
		})
	}
	// Kill once some writes are acknowledged (bounded by the deadline).
	for time.Now().Before(deadline) {
		mu.Lock()
		k := len(acked)
		mu.Unlock()
		if k >= 50 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	wg.Wait()
	if len(acked) == 0 {
		t.Fatal("no write was acknowledged before the kill")
	}
	db, err := query.Open(path, query.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	for k, i := range acked {
		r, err := db.Get(ctx, "w", k)
		if err != nil || r.Vector[1] != float32(i) {
			t.Fatalf("acknowledged write %s lost: %v %v", k, r, err)
		}
	}
	if err := db.Check(ctx); err != nil {
		t.Fatalf("check after SIGKILL: %v", err)
	}
	t.Logf("%d acknowledged writes, all present after SIGKILL; check passes", len(acked))
}
