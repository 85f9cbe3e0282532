package server_test

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/server"
)

type openapiDoc struct {
	OpenAPI string                                `json:"openapi"`
	Paths   map[string]map[string]json.RawMessage `json:"paths"`
}

// TestOpenAPIMatchesRoutes checks both directions: every pattern on the
// mux is documented, and every documented operation answers (not a
// route_not_found, not a 405).
func TestOpenAPIMatchesRoutes(t *testing.T) {
	db, err := query.Open(filepath.Join(t.TempDir(), "t.db"), query.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	srv := server.New(db, server.Options{})
	ts := newHTTPTest(t, srv)
	setup(t, ts, "", 20)

	var doc openapiDoc
	if st, raw := call(t, ts, "", "GET", "/openapi.json", nil, &doc); st != 200 {
		t.Fatalf("%d %s", st, raw)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	registered := srv.Routes()
	sort.Strings(documented)
	sort.Strings(registered)
	if strings.Join(documented, "\n") != strings.Join(registered, "\n") {
		t.Fatalf("documented:\n%s\nregistered:\n%s", strings.Join(documented, "\n"), strings.Join(registered, "\n"))
	}
	if len(registered) < 20 {
		t.Fatalf("only %d routes", len(registered))
	}
	// Run the destructive ones last.
	sort.SliceStable(documented, func(i, j int) bool {
		return !strings.HasPrefix(documented[i], "DELETE") && strings.HasPrefix(documented[j], "DELETE")
	})
	for _, op := range documented {
		method, path, _ := strings.Cut(op, " ")
		path = strings.NewReplacer("{name}", "c", "{key}", "k001").Replace(path)
		var body any
		if method == "POST" {
			body = "{}"
		}
		st, raw := call(t, ts, "", method, path, body, nil)
		if st == http.StatusMethodNotAllowed || errCode(raw) == "route_not_found" {
			t.Errorf("%s: %d %s", op, st, raw)
		}
	}
}
