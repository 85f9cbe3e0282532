package client_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/client"
	"github.com/vecbolt/vecbolt/query/server"
	"github.com/vecbolt/vecbolt/query/server/api"
)

const (
	rwKey = "rw-secret-0123456789"
	roKey = "ro-secret-0123456789"
)

// fixture serves a fresh database with a read-write and a read-only key.
func fixture(t *testing.T) (*query.DB, string) {
	db, err := query.Open(filepath.Join(t.TempDir(), "c.db"), query.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := server.ParseKeys(strings.NewReader(rwKey + " rw\n" + roKey + " ro\n"))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(server.New(db, server.Options{Keys: keys}))
	t.Cleanup(func() {
		ts.Close()
		_ = db.Close()
	})
	return db, ts.URL
}

func records(n int) []query.Record {
	rng := rand.New(rand.NewPCG(3, 4))
	recs := make([]query.Record, n)
	for i := range recs {
		v := make([]float32, 6)
		for j := range v {
			v[j] = float32(rng.NormFloat64())
		}
		recs[i] = query.Record{Key: fmt.Sprintf("w/%d", i), Vector: v, Metadata: []byte(fmt.Sprintf(`{"i":%d}`, i))}
	}
	return recs
}

func TestClientAgainstInProcess(t *testing.T) {
	db, url := fixture(t)
	ctx := context.Background()
	c, err := client.New(url, client.Options{APIKey: rwKey})
	if err != nil {
		t.Fatal(err)
	}
	col, err := c.CreateCollection(ctx, "c", query.CollectionConfig{Dim: 6, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	recs := records(200)
	if err := col.Upsert(ctx, recs...); err != nil {
		t.Fatal(err)
	}
	local, err := db.Collection(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	if local.Len() != 200 {
		t.Fatalf("server holds %d", local.Len())
	}
	// Every answer equals the in-process one (same database, same options).
	f := query.Lt("i", 100)
	for _, so := range []query.SearchOptions{{}, {Exact: true}, {Filter: f, WithMetadata: true}, {Ef: 100, Restrict: 150}} {
		want, _ := local.Search(ctx, recs[7].Vector, 5, so)
		got, err := col.Search(ctx, recs[7].Vector, 5, so)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("search %+v: %v %v, want %v", so, got, err, want)
		}
		want, _ = local.SearchKey(ctx, "w/9", 5, so)
		got, err = col.SearchKey(ctx, "w/9", 5, so)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("search key: %v %v, want %v", got, err, want)
		}
	}
	want, _ := local.SearchWithin(ctx, recs[1].Vector, 0.3, 0, query.SearchOptions{Exact: true})
	got, err := col.SearchWithin(ctx, recs[1].Vector, 0.3, 0, query.SearchOptions{Exact: true})
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("within: %v %v, want %v", got, err, want)
	}
	wantB, _ := local.SearchBatch(ctx, [][]float32{recs[1].Vector, recs[2].Vector}, 3, query.SearchOptions{})
	gotB, err := col.SearchBatch(ctx, [][]float32{recs[1].Vector, recs[2].Vector}, 3, query.SearchOptions{})
	if err != nil || fmt.Sprint(gotB) != fmt.Sprint(wantB) {
		t.Fatalf("batch: %v %v, want %v", gotB, err, wantB)
	}
	e, _ := query.ParseExpr("w/1 - w/2 + w/3")
	for _, m := range []query.Method{query.CosAdd, query.CosMul} {
		want, _ := local.Analogy(ctx, e, 4, query.AnalogyOptions{Method: m, Exact: true})
		got, err := col.Analogy(ctx, []string{"w/1", "w/3"}, []string{"w/2"}, 4, query.AnalogyOptions{Method: m, Exact: true})
		if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("analogy %v: %v %v, want %v", m, got, err, want)
		}
	}
	odd, _ := local.DoesntMatch(ctx, []string{"w/1", "w/2", "w/3", "w/4"})
	if got, err := col.DoesntMatch(ctx, []string{"w/1", "w/2", "w/3", "w/4"}); err != nil || got != odd {
		t.Fatalf("doesnt_match %q %v, want %q", got, err, odd)
	}
	r, err := col.Get(ctx, "w/5")
	if err != nil || fmt.Sprint(r) != fmt.Sprint(recs[5]) {
		t.Fatalf("get: %+v %v", r, err)
	}
	found, missing, err := col.GetBatch(ctx, []string{"w/5", "nope"})
	if err != nil || len(found) != 1 || fmt.Sprint(missing) != "[nope]" {
		t.Fatalf("get batch: %v %v %v", found, missing, err)
	}
	if n, err := col.Delete(ctx, "w/5", "w/6"); n != 2 || err != nil {
		t.Fatalf("delete: %d %v", n, err)
	}
	if err := col.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Check(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := col.Stats(ctx)
	if err != nil || st.Records != 198 {
		t.Fatalf("stats: %+v %v", st, err)
	}
	rep, err := col.EvaluateWordPairs(ctx, strings.NewReader("w/1\tw/2\t1\nw/3\tw/4\t2\nw/7\tw/8\t3\n"), query.PairsEvalOptions{CaseSensitive: true})
	wantRep, _ := local.EvaluateWordPairs(ctx, strings.NewReader("w/1\tw/2\t1\nw/3\tw/4\t2\nw/7\tw/8\t3\n"), query.PairsEvalOptions{CaseSensitive: true})
	if err != nil || rep.Pairs != 3 || fmt.Sprintf("%.6f", float64(rep.Spearman)) != fmt.Sprintf("%.6f", float64(wantRep.Spearman)) {
		t.Fatalf("eval: %+v %v, want %+v", rep, err, wantRep)
	}
	var buf bytes.Buffer
	if n, err := c.Backup(ctx, &buf); err != nil || n == 0 || int64(buf.Len()) != n {
		t.Fatalf("backup: %d %v", n, err)
	}
	list, err := c.Collections(ctx)
	if err != nil || len(list) != 1 || list[0].Records != 198 {
		t.Fatalf("collections: %+v %v", list, err)
	}
	if err := c.DropCollection(ctx, "c"); err != nil {
		t.Fatal(err)
	}
}

func TestClientErrorsRoundTrip(t *testing.T) {
	_, url := fixture(t)
	ctx := context.Background()
	rw, _ := client.New(url, client.Options{APIKey: rwKey})
	ro, _ := client.New(url, client.Options{APIKey: roKey})
	anon, _ := client.New(url, client.Options{})
	col, err := rw.CreateCollection(ctx, "c", query.CollectionConfig{Dim: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := col.Upsert(ctx, query.Record{Key: "a", Vector: []float32{1, 2}}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		err    error
		want   error
		status int
	}{
		{"missing key", second(col.Get(ctx, "zz")), query.ErrKeyNotFound, 404},
		{"unknown collection", second(rw.Collection("zz").Stats(ctx)), query.ErrUnknownCollection, 404},
		{"dimension", second(col.Search(ctx, []float32{1}, 1, query.SearchOptions{})), query.ErrDimension, 422},
		{"exists", second(rw.CreateCollection(ctx, "c", query.CollectionConfig{Dim: 3})), query.ErrCollectionExists, 409},
		{"read-only key", ro.Collection("c").Upsert(ctx, query.Record{Key: "b", Vector: []float32{1, 1}}), api.ErrForbidden, 403},
		{"no key", second(anon.Collections(ctx)), api.ErrUnauthorized, 401},
		{"syntax", second(col.SearchExpr(ctx, "a + + ", 1, query.SearchOptions{})), query.ErrSyntax, 400},
		{"k", second(col.SearchKey(ctx, "a", -1, query.SearchOptions{})), query.ErrInvalidK, 400},
	}
	for _, tc := range cases {
		var ae *api.Error
		if !errors.Is(tc.err, tc.want) || !errors.As(tc.err, &ae) || ae.Status != tc.status {
			t.Errorf("%s: %v, want %v with status %d", tc.name, tc.err, tc.want, tc.status)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := col.Get(cctx, "a"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
	if _, err := client.New("ftp://x", client.Options{}); err == nil {
		t.Error("ftp URL accepted")
	}
}

func second[T any](_ T, err error) error { return err }
