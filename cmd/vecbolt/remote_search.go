package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/server/api"
	"github.com/vecbolt/vecbolt/store"
)

// Remote search, analogy, similar, odd and similarity: the flags are
// checked by the embedded commands' own checks before any request, and the
// answers printed by the same writers.

// searchOptionsOf reads search's flags into the embedded options, so its
// checks apply unchanged.
func (r *remote) searchOptionsOf() *searchOptions {
	f := r.flag
	return &searchOptions{
		globalOptions: r.globalOptions,
		Key:           f.str("key"), Vector: f.str("vector"), K: f.num("k"), Ef: f.num("ef"), Exact: f.on("exact"),
		Filter: f.str("filter"), Restrict: f.num("restrict"), Metadata: f.on("metadata"), JSON: f.on("json"),
		Threshold: f.f32("threshold"), Limit: f.num("limit"), Batch: f.str("batch"), BatchFormat: f.str("batch-format"),
		Expr: f.str("expr"), WithVectors: f.on("with-vectors"), Offset: f.num("offset"), Oversample: must(f.fs.GetFloat64("oversample")),
		thresholdSet: f.changed("threshold"), kSet: f.changed("k"),
	}
}

func remoteSearch(ctx context.Context, r *remote, _ []string, out io.Writer) (err error) {
	if err := checkOversample(must(r.flag.fs.GetFloat64("oversample"))); err != nil {
		return err
	}
	if text, ok := r.flag.optStr("text"); ok && text != "" {
		return remoteSearchText(ctx, r, text, out)
	}
	opts := r.searchOptionsOf()
	if err := opts.checkModes(); err != nil {
		return err
	}
	if err := opts.checkPage(); err != nil {
		return err
	}
	if opts.K <= 0 {
		return usageErr(fmt.Errorf("-k must be positive, got %d", opts.K))
	}
	if opts.Ef < 0 || opts.Restrict < 0 {
		return usageErr(errors.New("--ef and --restrict must not be negative"))
	}
	var filter query.Filter
	if opts.Filter != "" {
		if filter, err = query.ParseFilter(opts.Filter); err != nil {
			return err
		}
	}
	var queries []batchQuery
	switch {
	case opts.Expr != "":
		if _, err = query.ParseExpr(opts.Expr); err != nil {
			return err
		}
	case opts.Batch != "":
		if queries, err = opts.readBatch(); err != nil {
			return err
		}
	}
	var vec []float32
	if opts.Vector != "" {
		if vec, err = parseVector(opts.Vector); err != nil {
			return err
		}
	}
	cfg, _, err := r.info(ctx)
	if err != nil {
		return err
	}
	so := query.SearchOptions{
		Exact: opts.Exact, Ef: opts.Ef, Restrict: opts.Restrict, Filter: filter, Oversample: opts.Oversample,
		WithMetadata: opts.Metadata || opts.JSON,
		WithVectors:  opts.WithVectors, Offset: opts.Offset,
	}
	metric := cfg.Metric
	var (
		res []query.Result
		q   string
	)
	switch {
	case opts.Batch != "":
		return r.unknown(ctx, remoteSearchBatch(ctx, r, opts, cfg, queries, so, out))
	case opts.Expr != "":
		res, err = r.col.SearchExpr(ctx, opts.Expr, opts.K, so)
		if err != nil {
			return r.unknown(ctx, err)
		}
		if opts.JSON {
			return writeJSON(out, searchJSON{Collection: opts.Collection, Metric: string(metric), Query: opts.Expr, Results: resultsJSON(res)})
		}
		return writeResults(out, res, "COSINE", opts.Metadata)
	case opts.thresholdSet:
		if vec != nil {
			q = formatVector(vec)
			res, err = r.col.SearchWithin(ctx, vec, opts.Threshold, opts.Limit, so)
		} else {
			q = opts.Key
			res, err = r.col.SearchKeyWithin(ctx, opts.Key, opts.Threshold, opts.Limit, so)
		}
		if err != nil {
			return r.unknown(ctx, err)
		}
		if opts.JSON {
			return writeJSON(out, withinJSON{
				searchJSON: searchJSON{Collection: opts.Collection, Metric: string(metric), Query: q, Results: resultsJSON(res)},
				Threshold:  opts.Threshold,
				Limit:      opts.Limit,
			})
		}
		return writeResults(out, res, scoreName(metric), opts.Metadata)
	}
	if vec != nil {
		q = formatVector(vec)
		res, err = r.col.Search(ctx, vec, opts.K, so)
	} else {
		q = opts.Key
		res, err = r.col.SearchKey(ctx, opts.Key, opts.K, so)
	}
	if err != nil {
		return r.unknown(ctx, err)
	}
	if opts.WithVectors || opts.Offset > 0 {
		return writePage(out, opts, res, metric, q)
	}
	if opts.JSON {
		return writeJSON(out, searchJSON{Collection: opts.Collection, Metric: string(metric), Query: q, Results: resultsJSON(res)})
	}
	return writeResults(out, res, scoreName(metric), opts.Metadata)
}

// remoteSearchBatch resolves the batch lines as resolveBatch does (a line
// is a key when the server stores it, see search --help) and answers them
// in batch requests of at most remoteBatch queries.
func remoteSearchBatch(ctx context.Context, r *remote, opts *searchOptions, cfg query.CollectionConfig, qs []batchQuery, so query.SearchOptions, out io.Writer) error {
	stored := map[string]bool{}
	if opts.BatchFormat != batchVector {
		texts := make([]string, len(qs))
		for i, q := range qs {
			texts[i] = q.text
		}
		err := chunks(len(texts), remoteBatch, func(lo, hi int) error {
			recs, _, err := r.col.GetBatch(ctx, texts[lo:hi])
			for _, rec := range recs {
				stored[rec.Key] = true
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	name := displayName(opts.Batch)
	var vecs [][]float32
	var keys []string
	var vecIdx, keyIdx []int
	for i := range qs {
		q := &qs[i]
		isVec := opts.BatchFormat == batchVector || opts.BatchFormat != batchKey && !stored[q.text] && numbersOnly(q.text)
		if !isVec {
			if !stored[q.text] {
				return fmt.Errorf("%s:%d: %w", name, q.line, &query.KeyError{Collection: r.Collection, Key: q.text})
			}
			q.key = q.text
			keys, keyIdx = append(keys, q.key), append(keyIdx, i)
			continue
		}
		v, err := parseVector(q.text)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", name, q.line, err)
		}
		if len(v) != cfg.Dim {
			return fmt.Errorf("%s:%d: %w", name, q.line, &store.DimensionError{Got: len(v), Want: cfg.Dim})
		}
		if cfg.Metric == query.Cosine && isZero(v) {
			return fmt.Errorf("%s:%d: %w", name, q.line, store.ErrZeroVector)
		}
		q.vec = v
		vecs, vecIdx = append(vecs, v), append(vecIdx, i)
	}
	res := make([][]query.Result, len(qs))
	err := chunks(len(vecs), remoteBatch, func(lo, hi int) error {
		rs, err := r.col.SearchBatch(ctx, vecs[lo:hi], opts.K, so)
		for j := range rs {
			res[vecIdx[lo+j]] = rs[j]
		}
		return err
	})
	if err != nil {
		return err
	}
	err = chunks(len(keys), remoteBatch, func(lo, hi int) error {
		rs, err := r.col.SearchKeyBatch(ctx, keys[lo:hi], opts.K, so)
		for j := range rs {
			res[keyIdx[lo+j]] = rs[j]
		}
		return err
	})
	if err != nil {
		return err
	}
	if opts.JSON {
		js := make([]batchJSON, len(qs))
		for i, q := range qs {
			text := q.key
			if q.vec != nil {
				text = formatVector(q.vec)
			}
			js[i] = batchJSON{Line: q.line, Query: text, Results: resultsJSON(res[i])}
		}
		return writeJSON(out, js)
	}
	return writeBatchResults(out, qs, res, scoreName(cfg.Metric), opts.Metadata)
}

func remoteAnalogy(ctx context.Context, r *remote, args []string, out io.Writer) error {
	f := r.flag
	k, ef, restrict, asJSON, withMeta := f.num("k"), f.num("ef"), f.num("restrict"), f.on("json"), f.on("metadata")
	exprText := strings.Join(args, " ")
	if k <= 0 {
		return usageErr(fmt.Errorf("-k must be positive, got %d", k))
	}
	if ef < 0 || restrict < 0 {
		return usageErr(fmt.Errorf("--ef and --restrict must not be negative"))
	}
	method, err := query.ParseMethod(f.str("method"))
	if err != nil {
		return usageErr(err)
	}
	if _, err := query.ParseExpr(exprText); err != nil {
		return err
	}
	var filter query.Filter
	if fs := f.str("filter"); fs != "" {
		if filter, err = query.ParseFilter(fs); err != nil {
			return err
		}
	}
	cfg, _, err := r.info(ctx)
	if err != nil {
		return err
	}
	res, err := r.col.AnalogyExpr(ctx, exprText, k, query.AnalogyOptions{
		Method: method, Exact: f.on("exact"), Ef: ef, Restrict: restrict, Filter: filter,
		WithMetadata: withMeta || asJSON,
	})
	if err != nil {
		return r.unknown(ctx, err)
	}
	if asJSON {
		return writeJSON(out, searchJSON{Collection: r.Collection, Metric: string(cfg.Metric), Query: exprText, Results: resultsJSON(res)})
	}
	header := "COSINE"
	if method == query.CosMul {
		header = "3COSMUL"
	}
	return writeResults(out, res, header, withMeta)
}

func remoteSimilar(ctx context.Context, r *remote, args []string, out io.Writer) error {
	f := r.flag
	opts := &similarOptions{globalOptions: r.globalOptions,
		Positive: append(args, f.list("positive")...), Negative: f.list("negative"), K: f.num("k"), CosMul: f.on("cosmul"),
		Restrict: f.num("restrict"), Exact: f.on("exact"), Ef: f.num("ef"), Vector: f.str("vector"), Among: f.list("among"), JSON: f.on("json")}
	if err := opts.check(); err != nil {
		return err
	}
	req := api.SimilarRequest{Positive: opts.Positive, Negative: opts.Negative, K: opts.K, CosMul: opts.CosMul,
		Restrict: opts.Restrict, Exact: opts.Exact, Ef: opts.Ef, Among: opts.Among}
	if opts.Vector != "" {
		vec, err := parseVector(opts.Vector)
		if err != nil {
			return err
		}
		req.Vector = vec
	}
	if _, _, err := r.info(ctx); err != nil {
		return err
	}
	res, best, err := r.col.Similar(ctx, req)
	if err != nil {
		return r.unknown(ctx, err)
	}
	if len(opts.Among) > 0 {
		if opts.JSON {
			return writeJSON(out, givenJSON{Collection: opts.Collection, Key: opts.Positive[0], Among: opts.Among, Best: best})
		}
		_, err = fmt.Fprintln(out, tableKey(best))
		return err
	}
	method, header := "most_similar", "COSINE"
	switch {
	case req.Vector != nil:
		method = "similar_by_vector"
	case opts.CosMul:
		method, header = "most_similar_cosmul", "COSMUL"
	}
	if opts.JSON {
		pos, neg := opts.Positive, opts.Negative
		if pos == nil {
			pos = []string{}
		}
		if neg == nil {
			neg = []string{}
		}
		return writeJSON(out, similarJSON{Collection: opts.Collection, Method: method, Positive: pos, Negative: neg, Exact: opts.Exact, Results: resultsJSON(res)})
	}
	return writeResults(out, res, header, false)
}

func remoteOdd(ctx context.Context, r *remote, words []string, out io.Writer) error {
	if len(words) < 3 {
		return usageErr(fmt.Errorf("give at least three keys, got %d", len(words)))
	}
	asJSON, rank := r.flag.on("json"), r.flag.on("rank")
	if _, _, err := r.info(ctx); err != nil {
		return err
	}
	if !asJSON && !rank {
		odd, err := r.col.DoesntMatch(ctx, words)
		if err != nil {
			return r.unknown(ctx, err)
		}
		_, err = fmt.Fprintln(out, tableKey(odd))
		return err
	}
	ranking, err := r.col.RankByCentrality(ctx, words)
	if err != nil {
		return r.unknown(ctx, err)
	}
	if asJSON {
		return writeJSON(out, oddJSON{Collection: r.Collection, Odd: ranking[len(ranking)-1].Key, Ranking: resultsJSON(ranking)})
	}
	return writeResults(out, ranking, "COSINE", false)
}

func remoteSimilarity(ctx context.Context, r *remote, args []string, out io.Writer) error {
	sets := r.flag.on("sets")
	as, bs := []string{args[0]}, []string{args[1]}
	if sets {
		as, bs = strings.Fields(args[0]), strings.Fields(args[1])
		if len(as) == 0 || len(bs) == 0 {
			return usageErr(fmt.Errorf("--sets needs two non-empty lists of keys, got %d and %d", len(as), len(bs)))
		}
	}
	if _, _, err := r.info(ctx); err != nil {
		return err
	}
	var (
		s   float32
		err error
	)
	if sets {
		s, err = r.col.NSimilarity(ctx, as, bs)
	} else {
		s, err = r.col.Similarity(ctx, args[0], args[1])
	}
	if err != nil {
		return r.unknown(ctx, err)
	}
	if r.flag.on("json") {
		return writeJSON(out, similarityJSON{Collection: r.Collection, A: as, B: bs, Similarity: s, Distance: 1 - s})
	}
	_, err = fmt.Fprintln(out, formatFloat(s))
	return err
}

// remoteSearchText answers search --text over the server's SearchText. The
// text flags belong to the text CLI (search.go); they are read only when
// the command has them: --text, --mode (vector, keyword, hybrid), and the
// search flags -k, --filter, --restrict, --ef, --exact, --offset,
// --threshold, --metadata and --json. The answer prints as search's.
func remoteSearchText(ctx context.Context, r *remote, text string, out io.Writer) error {
	f := r.flag
	k, ef, restrict, offset := f.num("k"), f.num("ef"), f.num("restrict"), f.num("offset")
	if k <= 0 {
		return usageErr(fmt.Errorf("-k must be positive, got %d", k))
	}
	if ef < 0 || restrict < 0 || offset < 0 {
		return usageErr(errors.New("--ef, --restrict and --offset must not be negative"))
	}
	for _, other := range []string{"key", "vector", "expr", "batch"} {
		if f.str(other) != "" {
			return usageErr(fmt.Errorf("give exactly one of --key, --vector, --expr, --batch and --text"))
		}
	}
	if err := r.noEmbedFlags(); err != nil {
		return err
	}
	if f.fs.Lookup("limit") != nil && f.num("limit") != 0 {
		return usageErr(errors.New("--limit does not apply to --text; -k caps the results"))
	}
	mode, _ := f.optStr("mode")
	fusion, _ := f.optStr("fusion")
	asJSON, withMeta := f.on("json"), f.on("metadata")
	opts := query.TextSearchOptions{Mode: mode, SearchOptions: query.SearchOptions{
		Exact: f.on("exact"), Ef: ef, Restrict: restrict, Offset: offset, WithMetadata: withMeta || asJSON, WithText: true,
		Oversample: must(f.fs.GetFloat64("oversample"))}}
	if f.fs.Lookup("chunks") != nil {
		opts.Chunks = f.on("chunks")
	}
	if mode == modeHybrid {
		opts.Fusion = fusion
		if w, err := f.fs.GetFloat64("weight"); err == nil {
			opts.Weight = w
		}
	}
	if fs := f.str("filter"); fs != "" {
		filter, err := query.ParseFilter(fs)
		if err != nil {
			return err
		}
		opts.Filter = filter
	}
	if f.changed("threshold") {
		th := float64(f.f32("threshold"))
		if math.IsNaN(th) || math.IsInf(th, 0) {
			return usageErr(fmt.Errorf("--threshold must be a finite number, got %v", th))
		}
		opts.Threshold = &th
	}
	cfg, _, err := r.info(ctx)
	if err != nil {
		return err
	}
	res, err := r.col.SearchText(ctx, text, k, opts)
	if err != nil {
		return r.unknown(ctx, err)
	}
	hits := textHits(res)
	if !asJSON {
		return writeTextResults(out, hits, textScoreName(mode, fusion, cfg.Metric), withMeta)
	}
	return writeJSON(out, textSearchOutput(r.Collection, cfg.Embedder, mode, fusion, text, hits))
}
