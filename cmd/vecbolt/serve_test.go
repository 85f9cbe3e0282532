package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query"
)

// TestServe runs serve in-process, writes through the API, stops it as a
// signal would and checks the write is in the file after the close.
func TestServe(t *testing.T) {
	path := tempDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	urls := make(chan string, 1)
	opts := &serveOptions{globalOptions: &globalOptions{DB: path, Collection: "default", LockTimeout: 0}, Addr: "127.0.0.1:0", ready: func(u string) { urls <- u }}
	var out bytes.Buffer
	errc := make(chan error, 1)
	go func() { errc <- runServe(ctx, opts, &out) }()
	var url string
	select {
	case url = <-urls:
	case err := <-errc:
		t.Fatalf("serve: %v", err)
	}
	post := func(p, body string) int {
		resp, err := http.Post(url+p, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			t.Logf("%s: %s", p, raw)
		}
		return resp.StatusCode
	}
	if st := post("/v1/collections", `{"name":"w","config":{"dim":2}}`); st != 201 {
		t.Fatal(st)
	}
	if st := post("/v1/collections/w/records", `{"records":[{"key":"a","vector":[1,2]}]}`); st != 200 {
		t.Fatal(st)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if !strings.Contains(out.String(), "serving ") || !strings.Contains(out.String(), "drained") {
		t.Fatalf("output:\n%s", out.String())
	}
	db, err := query.Open(path, query.Options{Timeout: -1})
	if err != nil {
		t.Fatalf("the database was not closed: %v", err)
	}
	defer db.Close()
	if r, err := db.Get(context.Background(), "w", "a"); err != nil || r.Vector[1] != 2 {
		t.Fatalf("acknowledged write: %v %v", r, err)
	}
}

func TestServeRefuses(t *testing.T) {
	t.Setenv(keysEnv, "")
	fails(t, exitUsage, []string{"--db", tempDB(t), "serve", "--addr", "0.0.0.0:0"}, "non-loopback", "VECBOLT_API_KEYS")
	fails(t, exitUsage, []string{"--db", tempDB(t), "serve", "--addr", "127.0.0.1:0", "--tls-cert", "x.pem"}, "tls")
	t.Setenv(keysEnv, "short rw")
	fails(t, exitUsage, []string{"--db", tempDB(t), "serve"}, "VECBOLT_API_KEYS", "16 bytes")
	t.Setenv(keysEnv, "")
	fails(t, exitUsage, []string{"--db", tempDB(t), "serve", "--keys-file", "/nonexistent/keys"}, "keys file")
}
