package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/server"
	"github.com/vecbolt/vecbolt/query/server/api"
)

const (
	rwKey    = "rw-secret-0123456789"
	roKey    = "ro-secret-0123456789"
	otherKey = "other-secret-0123456789"
)

func testKeys(t testing.TB) []server.Key {
	keys, err := server.ParseKeys(strings.NewReader(
		"# test keys\n" + rwKey + " rw\n" + roKey + " ro ; " + otherKey + " rw other,more\n"))
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestParseKeys(t *testing.T) {
	keys := testKeys(t)
	if len(keys) != 3 || !keys[0].Write || keys[1].Write || fmt.Sprint(keys[2].Collections) != "[other more]" {
		t.Fatalf("keys %+v", keys)
	}
	for _, bad := range []string{"short rw", rwKey, rwKey + " admin", rwKey + " rw a b"} {
		if _, err := server.ParseKeys(strings.NewReader(bad)); !errors.Is(err, server.ErrKeys) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestCheckAddr(t *testing.T) {
	for _, tc := range []struct {
		addr string
		keys bool
		ok   bool
	}{
		{"127.0.0.1:7070", false, true},
		{"[::1]:7070", false, true},
		{"localhost:7070", false, true},
		{"0.0.0.0:7070", false, false},
		{":7070", false, false},
		{"192.168.1.5:7070", false, false},
		{"example.com:7070", false, false},
		{"0.0.0.0:7070", true, true},
		{"nonsense", true, false},
	} {
		err := server.CheckAddr(tc.addr, tc.keys)
		if (err == nil) != tc.ok {
			t.Errorf("%s keys=%v: %v", tc.addr, tc.keys, err)
		}
		if !tc.ok && tc.addr != "nonsense" && !errors.Is(err, server.ErrAddr) {
			t.Errorf("%s: %v does not wrap ErrAddr", tc.addr, err)
		}
	}
}

// documentedOps returns "METHOD path" -> scope from /openapi.json.
func documentedOps(t *testing.T, base string, c *http.Client) map[string]string {
	resp, err := c.Get(base + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Paths map[string]map[string]struct {
			Scope string `json:"x-scope"`
		} `json:"paths"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	ops := map[string]string{}
	for p, m := range doc.Paths {
		for method, op := range m {
			ops[strings.ToUpper(method)+" "+p] = op.Scope
		}
	}
	return ops
}

func TestAuth(t *testing.T) {
	ts, _ := newTestServer(t, server.Options{Keys: testKeys(t)})
	setup(t, ts, rwKey, 20)
	ops := documentedOps(t, ts.URL, ts.Client())
	writes := 0
	for op, scope := range ops {
		method, path, _ := strings.Cut(op, " ")
		path = strings.NewReplacer("{name}", "c", "{key}", "k001").Replace(path)
		var body any
		if method == "POST" {
			body = `{}`
		}
		if scope == "public" {
			if st, raw := call(t, ts, "", method, path, body, nil); st != 200 {
				t.Errorf("%s without a key: %d %s", op, st, raw)
			}
			continue
		}
		for _, key := range []string{"", "wrong-key-0123456789", rwKey + "x", rwKey[:len(rwKey)-1]} {
			if st, raw := call(t, ts, key, method, path, body, nil); st != 401 || errCode(raw) != "unauthorized" {
				t.Errorf("%s key %q: %d %s", op, key, st, raw)
			}
		}
		if scope == "write" || scope == "admin" {
			writes++
			if st, raw := call(t, ts, roKey, method, path, body, nil); st != 403 || errCode(raw) != "forbidden" {
				t.Errorf("%s read-only key: %d %s", op, st, raw)
			}
		}
		if strings.Contains(op, "{name}") || scope == "admin" {
			if st, raw := call(t, ts, otherKey, method, path, body, nil); st != 403 || errCode(raw) != "forbidden" {
				t.Errorf("%s key limited to other collections: %d %s", op, st, raw)
			}
		}
	}
	if writes < 7 {
		t.Fatalf("only %d write routes checked", writes)
	}
	// Nothing changed: the read-only and limited keys wrote nothing.
	var list api.CollectionList
	call(t, ts, rwKey, "GET", "/v1/collections", nil, &list)
	if len(list.Collections) != 1 || list.Collections[0].Records != 20 {
		t.Fatalf("after refused writes: %+v", list)
	}
	// The limited key sees no collection but may create its own.
	call(t, ts, otherKey, "GET", "/v1/collections", nil, &list)
	if len(list.Collections) != 0 {
		t.Fatalf("limited key lists %+v", list)
	}
	if st, raw := call(t, ts, otherKey, "POST", "/v1/collections", api.CreateCollectionRequest{Name: "other", Config: query.CollectionConfig{Dim: 2}}, nil); st != 201 {
		t.Fatalf("limited key create: %d %s", st, raw)
	}
	if st, raw := call(t, ts, otherKey, "POST", "/v1/collections", api.CreateCollectionRequest{Name: "c2", Config: query.CollectionConfig{Dim: 2}}, nil); st != 403 {
		t.Fatalf("limited key create elsewhere: %d %s", st, raw)
	}
	// X-API-Key works as well as Bearer.
	req, _ := http.NewRequest("GET", ts.URL+"/v1/collections", nil)
	req.Header.Set("X-API-Key", roKey)
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("X-API-Key: %d", resp.StatusCode)
	}
}

func TestBodyLimit(t *testing.T) {
	ts, _ := newTestServer(t, server.Options{Limits: server.Limits{MaxBodyBytes: 1024}})
	setup(t, ts, "", 0)
	big := `{"records":[{"key":"a","vector":[` + strings.Repeat("1,", 2000) + `1]}]}`
	for _, path := range []string{"/v1/collections/c/records", "/v1/collections/c/search", "/v1/collections/c/eval/similarity"} {
		if st, raw := call(t, ts, "", "POST", path, big, nil); st != 413 || errCode(raw) != "too_large" {
			t.Errorf("%s: %d %s", path, st, raw)
		}
	}
}

// heldRequest is a POST whose body never ends until release is called,
// so that, once in its handler, it holds its key's concurrency slot.
type heldRequest struct {
	pw   *io.PipeWriter
	done chan heldAnswer
}

type heldAnswer struct {
	st  int
	raw string
}

func startHeldRequest(t *testing.T, c *http.Client, url, key string) *heldRequest {
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", url, pr)
	req.Header.Set("Authorization", "Bearer "+key)
	h := &heldRequest{pw: pw, done: make(chan heldAnswer, 1)}
	go func() {
		resp, err := c.Do(req)
		if err != nil {
			h.done <- heldAnswer{0, err.Error()}
			return
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		h.done <- heldAnswer{resp.StatusCode, string(raw)}
	}()
	// However the test ends, the held request's body is closed, so that
	// the server's Close (which waits for active connections) cannot hang.
	t.Cleanup(func() { _ = pw.CloseWithError(errors.New("test ended")) })
	if _, err := pw.Write([]byte(`{"keys":["k001"`)); err != nil {
		t.Fatal(err)
	}
	return h
}

// holdSlot starts a held request with key and returns once the server
// refuses another request of the same key with 429, proving that the held
// one holds the key's only slot; release ends the held request's body and
// returns its answer. A probe can reach the handler before the held
// request does and take the slot for a moment, so that the held request
// is the one refused: then it is started again. Bounded by a generous
// deadline, as a loaded machine may take seconds to deliver a request.
func holdSlot(t *testing.T, c *http.Client, base, url, key string) (release func() (int, string)) {
	h := startHeldRequest(t, c, url, key)
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); {
		select {
		case a := <-h.done: // answered while its body is open: refused, or the connection failed
			if a.st != 429 && a.st != 0 {
				t.Fatalf("held request answered %d %s before its body ended", a.st, a.raw)
			}
			h = startHeldRequest(t, c, url, key)
		default:
		}
		req, _ := http.NewRequest("GET", base+"/v1/collections", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 429 {
			if errCode(raw) != "too_many_requests" {
				t.Fatalf("429 body %s", raw)
			}
			return func() (int, string) {
				_, _ = h.pw.Write([]byte(`]}`))
				_ = h.pw.Close()
				a := <-h.done
				return a.st, a.raw
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("no 429 while a request held the only slot")
	return nil
}

func TestConcurrencyLimit(t *testing.T) {
	ts, _ := newTestServer(t, server.Options{Keys: testKeys(t), Limits: server.Limits{MaxConcurrent: 1}})
	setup(t, ts, rwKey, 5)
	release := holdSlot(t, ts.Client(), ts.URL, ts.URL+"/v1/collections/c/records/get", roKey)
	// Another key has its own slots.
	if st, raw := call(t, ts, rwKey, "GET", "/v1/collections", nil, nil); st != 200 {
		t.Fatalf("other key: %d %s", st, raw)
	}
	if st, raw := release(); st != 200 {
		t.Fatalf("held request: %d %s", st, raw)
	}
	if st, raw := call(t, ts, roKey, "GET", "/v1/collections", nil, nil); st != 200 {
		t.Fatalf("after release: %d %s", st, raw)
	}
}

// startServer runs Serve on a loopback port with cfg until the returned
// stop is called; stop returns Serve's error.
func startServer(t *testing.T, opts server.Options, cfg server.Config) (base string, db *query.DB, stop func() error) {
	db, err := query.Open(filepath.Join(t.TempDir(), "t.db"), query.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	srv := server.New(db, opts)
	cfg.Addr = "127.0.0.1:0"
	ln, err := srv.Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ctx, ln, cfg) }()
	var once bool
	var serr error
	t.Cleanup(func() {
		if !once {
			cancel()
			<-errc
		}
	})
	return "http://" + ln.Addr().String(), db, func() error {
		once = true
		cancel()
		serr = <-errc
		return serr
	}
}

func TestSlowloris(t *testing.T) {
	base, _, _ := startServer(t, server.Options{}, server.Config{ReadHeaderTimeout: 200 * time.Millisecond, ReadTimeout: 400 * time.Millisecond})
	addr := strings.TrimPrefix(base, "http://")
	for _, tc := range []struct{ name, send string }{
		{"headers never end", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "},
		{"body never ends", "POST /v1/collections HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"name\":"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := conn.Write([]byte(tc.send)); err != nil {
				t.Fatal(err)
			}
			// The server must close the connection on its own; the
			// deadline only bounds the test if it does not.
			_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
			_, err = io.ReadAll(bufio.NewReader(conn))
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatal("the server kept a slow connection open")
			}
		})
	}
}

func TestDrain(t *testing.T) {
	keys := testKeys(t)
	base, db, stop := startServer(t, server.Options{Keys: keys, Limits: server.Limits{MaxConcurrent: 1}}, server.Config{})
	c := &http.Client{}
	{
		req, _ := http.NewRequest("POST", base+"/v1/collections", strings.NewReader(`{"name":"c","config":{"dim":2}}`))
		req.Header.Set("Authorization", "Bearer "+rwKey)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	release := holdSlot(t, c, base, base+"/v1/collections/c/records/get", roKey)
	errc := make(chan error, 1)
	go func() { errc <- stop() }()
	// Serve does not return while the request is in flight.
	select {
	case err := <-errc:
		t.Fatalf("Serve returned %v with a request in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	if st, raw := release(); st != 200 {
		t.Fatalf("in-flight request during drain: %d %s", st, raw)
	}
	if err := <-errc; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if _, err := c.Get(base + "/healthz"); err == nil {
		t.Fatal("the listener still answers after the drain")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestListenRefusesPublicWithoutKeys(t *testing.T) {
	db, err := query.Open(filepath.Join(t.TempDir(), "t.db"), query.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := server.New(db, server.Options{}).Listen(server.Config{Addr: "0.0.0.0:0"}); !errors.Is(err, server.ErrAddr) {
		t.Fatalf("got %v", err)
	}
	if _, err := server.New(db, server.Options{}).Listen(server.Config{Addr: "127.0.0.1:0", TLSCert: "x"}); !errors.Is(err, server.ErrTLS) {
		t.Fatalf("got %v", err)
	}
}
