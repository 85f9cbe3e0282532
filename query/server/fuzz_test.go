package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/server"
	"github.com/vecbolt/vecbolt/query/server/api"
)

// FuzzHandlers sends arbitrary bodies to every route that reads one. No
// input may cause a 500 or a panic, and every answer is JSON: a success,
// or an error with a code from the table.
func FuzzHandlers(f *testing.F) {
	db, err := query.Open(filepath.Join(f.TempDir(), "f.db"), query.Options{NoSync: true})
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	srv := server.New(db, server.Options{Limits: server.Limits{MaxBodyBytes: 1 << 16, MaxK: 50, MaxBatch: 50}})
	var posts []string
	for _, p := range srv.Routes() {
		if strings.HasPrefix(p, "POST ") {
			posts = append(posts, strings.Replace(strings.TrimPrefix(p, "POST "), "{name}", "c", 1))
		}
	}
	seed := func(method, path, body string) {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
		if rec.Code >= 300 {
			f.Fatalf("seed %s: %d %s", path, rec.Code, rec.Body)
		}
	}
	seed("POST", "/v1/collections", `{"name":"c","config":{"dim":3}}`)
	seed("POST", "/v1/collections/c/records", `{"records":[{"key":"a","vector":[1,0,0]},{"key":"b","vector":[0,1,0],"metadata":{"x":1}},{"key":"c","vector":[0,0,1]},{"key":"d","vector":[1,1,0]}]}`)
	for i := range posts {
		for _, body := range []string{
			`{}`, `{"records":[{"key":"e","vector":[1,2,3],"metadata":{"y":[1,2]}}]}`,
			`{"keys":["a","b","zz"]}`, `{"vector":[1,0,0],"k":2,"filter":"x >= 1"}`, `{"key":"a","threshold":0.5}`,
			`{"expr":"a - b + c","k":2}`, `{"vectors":[[1,0,0]],"k":1}`, `{"positive":["a","c"],"negative":["b"],"method":"mul"}`,
			`{"a":["a"],"b":["b"]}`, `{"a":["a","b"],"b":["c"],"sets":true}`, `{"keys":["a","b","c"],"rank":true}`,
			`{"filter":"x >= 1"}`, `{"keys":["a","zz"],"missing_ok":true}`, `{"positive":["a"],"among":["b","c"]}`,
			`{"vector":[1,0,0],"k":2,"offset":1,"with_vectors":true}`, `{"positive":["a"],"cosmul":true,"k":2}`,
			"a\tb\t1\nc\td\t2\n", ": s\na b c d\n", `{"name":"x","config":{"dim":2,"metric":"l2"}}`, `[[[[[[`, `{"k":1e999}`,
		} {
			f.Add(uint8(i), []byte(body))
		}
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		path := posts[int(route)%len(posts)]
		if path == "/v1/collections" || strings.HasSuffix(path, "/records") || strings.HasSuffix(path, "/delete") {
			// Writes change the state later inputs see; keep the fuzzed
			// database small and stable by answering them on a copy of
			// the route in a scratch collection.
			path = strings.Replace(path, "/c/", "/scratch/", 1)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("POST", path, bytes.NewReader(body)))
		if rec.Code >= 500 {
			t.Fatalf("%s %q: %d %s", path, body, rec.Code, rec.Body)
		}
		if rec.Code >= 400 {
			var eb api.ErrorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil {
				t.Fatalf("%s: error body %q: %v", path, rec.Body, err)
			}
			if c, ok := api.ByCode(eb.Error.Code); !ok || c.Status != rec.Code {
				t.Fatalf("%s: code %q with status %d", path, eb.Error.Code, rec.Code)
			}
		} else if !json.Valid(rec.Body.Bytes()) && rec.Code != http.StatusNoContent {
			t.Fatalf("%s: answer is not JSON: %q", path, rec.Body)
		}
	})
}
