package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/vecbolt/vecbolt/index"
	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/embed"
	"github.com/vecbolt/vecbolt/query/server/api"
)

// Remote collections, create, drop, stats, put, get, delete and keys: the
// same checks and output as the embedded commands, with the server's URL
// where they name the database file.

func remoteCollections(ctx context.Context, r *remote, _ []string, out io.Writer) error {
	l, err := r.cl.List(ctx)
	if err != nil {
		return err
	}
	list := make([]collectionJSON, 0, len(l.Collections))
	for _, c := range l.Collections {
		cfg := c.Config
		list = append(list, collectionJSON{Name: c.Name, Records: c.Records, Dim: cfg.Dim, Metric: string(cfg.Metric),
			M: cfg.M, EfConstruction: cfg.EfConstruction, Ef: cfg.Ef, Seed: cfg.Seed})
	}
	if r.flag.on("json") {
		return writeJSON(out, list)
	}
	if len(list) == 0 {
		_, err := fmt.Fprintf(out, "%s has no collections (create one with 'vecbolt create --dim D' or 'vecbolt import FILE')\n", r.url)
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tRECORDS\tDIM\tMETRIC\tM\tEF_CONSTRUCTION\tEF\tSEED")
	for _, c := range list {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%d\t%d\t%d\t%d\n", tableKey(c.Name), c.Records, c.Dim, c.Metric, c.M, c.EfConstruction, c.Ef, c.Seed)
	}
	return tw.Flush()
}

// indexFlagsOf reads create's and import's HNSW flags.
func (r *remote) indexFlagsOf() indexFlags {
	return indexFlags{Metric: r.flag.str("metric"), M: r.flag.num("m"), EfConstruction: r.flag.num("ef-construction"), Ef: r.flag.num("ef")}
}

// find returns the listing entry of name, if any.
func find(l api.CollectionList, name string) (api.CollectionInfo, bool) {
	for _, c := range l.Collections {
		if c.Name == name {
			return c, true
		}
	}
	return api.CollectionInfo{}, false
}

func remoteCreate(ctx context.Context, r *remote, args []string, out io.Writer) error {
	name := r.Collection
	if len(args) == 1 {
		name = args[0]
	}
	dim, spec := r.flag.num("dim"), r.flag.str("embedder")
	if spec == "" && !r.flag.changed("dim") && dim == 0 {
		return usageErr(errors.New("--dim is required (or give --embedder, which sets it)"))
	}
	if (r.flag.changed("dim") || dim != 0) && (dim <= 0 || dim > index.MaxDim) {
		return usageErr(fmt.Errorf("--dim is %d, want 1 to %s", dim, humanCount(index.MaxDim)))
	}
	if err := r.noEmbedFlags(); err != nil {
		return err
	}
	f := r.indexFlagsOf()
	cfg, err := f.config(max(dim, 1))
	if err != nil {
		return err
	}
	before, err := r.cl.List(ctx)
	if err != nil {
		return err
	}
	if spec != "" {
		if cfg, err = r.embedderConfig(spec, name, dim, cfg, before); err != nil {
			return err
		}
	}
	_, existed := find(before, name)
	if _, err := r.cl.CreateCollection(ctx, name, cfg); err != nil {
		return err
	}
	after, err := r.cl.List(ctx)
	if err != nil {
		return err
	}
	if c, ok := find(after, name); ok {
		cfg = c.Config
	}
	verb := "created"
	if existed {
		verb = "collection exists:"
	}
	fmt.Fprintf(out, "%s %q in %s: dim %d, metric %s, M %d, efConstruction %d, ef %d",
		verb, name, r.url, cfg.Dim, cfg.Metric, cfg.M, cfg.EfConstruction, cfg.Ef)
	if cfg.Embedder != "" {
		fmt.Fprintf(out, ", embedder %s", cfg.Embedder)
	}
	fmt.Fprintln(out)
	return nil
}

// embedderConfig sets cfg's embedder from --embedder over --server, as
// create's embedderConfig does where the file is: a words embedder takes
// the dimension of its word collection on the server; a server embedder
// takes its dimensions parameter or --dim (the client does not ask the
// embedding server, which the vecbolt server, not this client, reaches).
func (r *remote) embedderConfig(flag, name string, dim int, cfg query.CollectionConfig, list api.CollectionList) (query.CollectionConfig, error) {
	spec, err := parseEmbedderFlag(flag)
	if err != nil {
		return cfg, err
	}
	cfg.Embedder = spec.String()
	switch spec.Provider {
	case embed.Words:
		if spec.Model == name {
			return cfg, usageErr(fmt.Errorf("--embedder %s: collection %q cannot embed its documents with its own vectors; name the word-vector collection", flag, name))
		}
		w, ok := find(list, spec.Model)
		if !ok {
			return cfg, &exitError{code: exitNotFound, err: fmt.Errorf("--embedder %s: no word-vector collection %q on %s", flag, spec.Model, r.url)}
		}
		if w.Records == 0 {
			return cfg, invalidErr(fmt.Errorf("--embedder %s: collection %q has no words", flag, spec.Model))
		}
		cfg.Dim = w.Config.Dim
	default:
		d := 0
		if v, ok := spec.Params["dimensions"]; ok {
			fmt.Sscan(v, &d)
		}
		if d == 0 {
			d = dim
		}
		if d <= 0 {
			return cfg, usageErr(fmt.Errorf("--embedder %s over --server: give --dim (the client cannot ask the embedding server)", flag))
		}
		cfg.Dim = d
	}
	return cfg, nil
}

func remoteDrop(ctx context.Context, r *remote, _ []string, out io.Writer) error {
	_, n, err := r.info(ctx)
	if err != nil {
		return err
	}
	asJSON := r.flag.on("json")
	if !r.flag.on("yes") {
		ok, err := r.confirm(fmt.Sprintf("drop collection %q with %d records from %s?", r.Collection, n, r.url))
		if err != nil {
			return err
		}
		if !ok {
			if asJSON {
				return writeJSON(out, dropJSON{Collection: r.Collection, Records: n})
			}
			_, err := fmt.Fprintln(out, "not dropped")
			return err
		}
	}
	if err := r.cl.DropCollection(ctx, r.Collection); err != nil {
		return r.unknown(ctx, err)
	}
	if asJSON {
		return writeJSON(out, dropJSON{Collection: r.Collection, Records: n, Dropped: true})
	}
	_, err = fmt.Fprintf(out, "dropped collection %q (%d records)\n", r.Collection, n)
	return err
}

func remoteStats(ctx context.Context, r *remote, _ []string, out io.Writer) error {
	l, err := r.cl.List(ctx)
	if err != nil {
		return err
	}
	if _, ok := find(l, r.Collection); !ok {
		return r.noCollection(l)
	}
	cs, err := r.col.Stats(ctx)
	if err != nil {
		return r.unknown(ctx, err)
	}
	names := make([]string, len(l.Collections))
	for i, c := range l.Collections {
		names[i] = c.Name
	}
	cfg := cs.Config
	s := statsJSON{
		Database: r.url, Collection: cs.Name, Collections: names,
		Records: cs.Records, Dim: cfg.Dim, Metric: string(cfg.Metric),
		M: cfg.M, EfConstruction: cfg.EfConstruction, Ef: cfg.Ef, Embedder: cfg.Embedder,
		FileBytes: l.FileBytes, Parameters: cs.Parameters,
		FP32Bytes: cs.BytesFP32, FP16Bytes: cs.BytesFP16, INT8Bytes: cs.BytesINT8,
		Graph: cs.Graph,
	}
	s.setEncoding(cs.Encoding) // stats.go
	if r.flag.on("json") {
		return writeJSON(out, s)
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	row := func(k, format string, args ...any) { fmt.Fprintf(tw, "%s\t"+format+"\n", append([]any{k}, args...)...) }
	row("database", "%s (%s)", s.Database, humanBytes(s.FileBytes))
	row("collection", "%s (of %d in the file)", s.Collection, len(names))
	row("records", "%s", humanCount(int64(s.Records)))
	row("dimension", "%d", s.Dim)
	row("metric", "%s", s.Metric)
	row("index", "HNSW, M %d, efConstruction %d, ef %d", s.M, s.EfConstruction, s.Ef)
	row("vectors", "%s", s.vectorsRow())
	gs := cs.Graph
	if gs.Nodes > 0 && len(gs.Levels) > 0 {
		row("graph", "%d levels, %s of %s nodes reachable, mean degree %.1f on level 0",
			gs.MaxLevel+1, humanCount(int64(gs.Reachable)), humanCount(int64(gs.Nodes)), gs.Levels[0].MeanDegree)
	}
	row("parameters", "%s (records x dimension)", humanCount(s.Parameters))
	row("  as fp32", "%s", humanBytes(s.FP32Bytes))
	row("  as fp16", "%s", humanBytes(s.FP16Bytes))
	row("  as int8", "%s", humanBytes(s.INT8Bytes))
	return tw.Flush()
}

func remotePut(ctx context.Context, r *remote, args []string, out io.Writer) error {
	key, vs, ms := args[0], r.flag.str("vector"), r.flag.str("metadata")
	var (
		vec  []float32
		meta json.RawMessage
		err  error
	)
	if r.flag.changed("vector") || vs != "" {
		if vec, err = parseVector(vs); err != nil {
			return err
		}
	}
	if ms != "" {
		if m := strings.TrimSpace(ms); m == "null" {
			meta = json.RawMessage(m)
		} else {
			var obj map[string]any
			if err := json.Unmarshal([]byte(ms), &obj); err != nil || obj == nil {
				return invalidErr(fmt.Errorf("--metadata must be a JSON object or null: %w", orNotObject(err)))
			}
			meta = json.RawMessage(ms)
		}
	}
	if vec == nil && meta == nil {
		return usageErr(errors.New("give --vector, --metadata or both"))
	}
	if vec == nil {
		if _, err := r.col.SetMetadata(ctx, key, meta); err != nil {
			return r.unknown(ctx, err)
		}
		verb := "set the metadata of"
		if isNullJSON(meta) {
			verb = "cleared the metadata of"
		}
		fmt.Fprintf(out, "%s %q in %q\n", verb, key, r.Collection)
		return nil
	}
	res, err := r.col.UpsertBatch(ctx, []query.Record{{Key: key, Vector: vec, Metadata: meta}})
	if err != nil {
		return r.unknown(ctx, err)
	}
	verb := "added"
	if res.Replaced > 0 {
		verb = "replaced"
	}
	fmt.Fprintf(out, "%s %q in %q (%d records)\n", verb, key, r.Collection, res.Records)
	return nil
}

func remoteGet(ctx context.Context, r *remote, keys []string, out io.Writer) error {
	if _, _, err := r.info(ctx); err != nil {
		return err
	}
	var recs []query.Record
	err := chunks(len(keys), remoteBatch, func(lo, hi int) error {
		got, missing, err := r.col.GetBatch(ctx, keys[lo:hi])
		if err != nil {
			return err
		}
		if len(missing) > 0 {
			return &query.KeyError{Collection: r.Collection, Key: missing[0]}
		}
		recs = append(recs, got...)
		return nil
	})
	if err != nil {
		return r.unknown(ctx, err)
	}
	if r.flag.on("json") {
		js := make([]recordJSON, len(recs))
		for i, rec := range recs {
			js[i] = recordJSON{Key: rec.Key, Vector: rec.Vector, Metadata: rec.Metadata}
		}
		if len(js) == 1 {
			return writeJSON(out, js[0])
		}
		return writeJSON(out, js)
	}
	for i, rec := range recs {
		if i > 0 {
			fmt.Fprintln(out)
		}
		fmt.Fprintf(out, "key:       %s\n", rec.Key)
		fmt.Fprintf(out, "dimension: %d\n", len(rec.Vector))
		fmt.Fprintf(out, "vector:    %s\n", formatVector(rec.Vector))
		if rec.Metadata != nil {
			fmt.Fprintf(out, "metadata:  %s\n", rec.Metadata)
		}
	}
	return nil
}

// remoteDelete deletes by keys in one request (one transaction on the
// server, so at most the server's --max-batch keys), or by filter: it
// counts the matches, asks, and deletes with the filter in one
// transaction (records that start or stop matching in between follow the
// filter, not the count).
func remoteDelete(ctx context.Context, r *remote, keys []string, out io.Writer) error {
	fs, missingOK, yes := r.flag.str("filter"), r.flag.on("missing-ok"), r.flag.on("yes")
	switch {
	case fs != "" && len(keys) > 0:
		return usageErr(errors.New("give keys or --filter, not both"))
	case fs == "" && len(keys) == 0:
		return usageErr(errors.New("give the keys to delete, or --filter"))
	case fs != "" && missingOK:
		return usageErr(errors.New("--missing-ok applies to keys, not --filter"))
	case fs == "" && yes:
		return usageErr(errors.New("--yes applies to --filter only"))
	}
	var filter query.Filter
	if fs != "" {
		var err error
		if filter, err = query.ParseFilter(fs); err != nil {
			return err
		}
	}
	if _, _, err := r.info(ctx); err != nil {
		return err
	}
	req := api.DeleteRequest{Keys: keys, MissingOK: missingOK}
	matched := len(keys)
	if fs != "" {
		n, err := r.countWhere(ctx, fs)
		if err != nil {
			return r.unknown(ctx, err)
		}
		matched = n
		req = api.DeleteRequest{Filter: fs}
		if n == 0 {
			req = api.DeleteRequest{MissingOK: true}
		} else if !yes {
			ok, err := r.confirm(fmt.Sprintf("delete %d %s matching %s from %q?", n, plural(n, "record"), filter, r.Collection))
			if err != nil {
				return err
			}
			if !ok {
				req = api.DeleteRequest{MissingOK: true}
			}
		}
	}
	res, err := r.col.DeleteRequest(ctx, req)
	if err != nil {
		return r.unknown(ctx, err)
	}
	if r.flag.on("json") {
		return writeJSON(out, deleteJSON{Collection: r.Collection, Matched: matched, Deleted: res.Deleted, Left: res.Left})
	}
	fmt.Fprintf(out, "deleted %d %s from %q (%d left)\n", res.Deleted, plural(res.Deleted, "record"), r.Collection, res.Left)
	return nil
}

// countWhere counts the keys whose metadata matches filter, a page of keys
// at a time.
func (r *remote) countWhere(ctx context.Context, filter string) (int, error) {
	n, after := 0, ""
	for {
		keys, next, err := r.col.Keys(ctx, "", after, filter, 0)
		if err != nil {
			return 0, err
		}
		n += len(keys)
		if next == "" {
			return n, nil
		}
		after = next
	}
}

// remoteKeys pages through the server's key listing (at most 10,000 keys
// a request), printing as it goes.
func remoteKeys(ctx context.Context, r *remote, _ []string, out io.Writer) error {
	prefix, after, limit, asJSON := r.flag.str("prefix"), r.flag.str("after"), r.flag.num("limit"), r.flag.on("json")
	if limit < 0 {
		return usageErr(fmt.Errorf("--limit must not be negative, got %d", limit))
	}
	if _, _, err := r.info(ctx); err != nil {
		return err
	}
	all := []string{}
	n, next := 0, ""
	for {
		want := 0
		if limit > 0 {
			want = limit - n
		}
		keys, nx, err := r.col.Keys(ctx, prefix, after, "", want)
		if err != nil {
			return r.unknown(ctx, err)
		}
		for _, k := range keys {
			if asJSON {
				all = append(all, k)
			} else if _, err := fmt.Fprintln(out, tableKey(k)); err != nil {
				return err
			}
		}
		n += len(keys)
		if nx == "" || limit > 0 && n >= limit {
			next = nx
			break
		}
		after = nx
	}
	if !asJSON {
		return nil
	}
	return writeJSON(out, keysJSON{Collection: r.Collection, Keys: all, Next: next})
}

// noEmbedFlags refuses the embedding-server flags over --server: the
// vecbolt server reaches its embedding server with its own settings.
func (r *remote) noEmbedFlags() error {
	for _, name := range []string{"embed-url", "embed-key-file", "embed-timeout", "embed-retries", "embed-batch"} {
		if r.flag.fs.Lookup(name) != nil && r.flag.changed(name) {
			return usageErr(fmt.Errorf("--%s does not apply over --server: the server reaches the embedding server with its own settings", name))
		}
	}
	return nil
}

// remoteAdd adds one document through POST .../documents: the server
// embeds it with the collection's embedder. Replacing a chunked document
// is refused by the server (409 document_exists): delete it first.
func remoteAdd(ctx context.Context, r *remote, args []string, out io.Writer) error {
	if err := r.noEmbedFlags(); err != nil {
		return err
	}
	var cf chunkFlags
	cf.Tokens, cf.Overlap = r.flag.num("chunk-tokens"), r.flag.num("chunk-overlap")
	if err := cf.check(); err != nil {
		return err
	}
	key := args[0]
	if key == "" {
		return invalidErr(errors.New("the key is empty"))
	}
	txt, err := readTextArg(r.stdin, r.flag.str("text"), r.flag.changed("text"), r.flag.str("text-file"))
	if err != nil {
		return err
	}
	meta, err := parseMetadataFlag(r.flag.str("metadata"))
	if err != nil {
		return err
	}
	cfg, _, err := r.info(ctx)
	if err != nil {
		return err
	}
	got, _, err := r.col.GetBatch(ctx, []string{key, key + "#0"})
	if err != nil {
		return r.unknown(ctx, err)
	}
	replaced := len(got) > 0
	rep, err := r.col.AddDocuments(ctx, []query.Document{{Key: key, Text: txt, Metadata: meta}}, cf.Tokens, cf.Overlap)
	if err != nil {
		return r.unknown(ctx, err)
	}
	sum := &addSummary{Collection: r.Collection, Embedder: cfg.Embedder, Documents: rep.Documents, Chunks: rep.Written,
		Words: int64(rep.Words), OOV: int64(rep.OOV), Records: rep.Records, Fitted: rep.Fitted}
	for _, w := range rep.OOVWords {
		sum.noteOOV(w)
	}
	if replaced {
		sum.Replaced = 1
	}
	return printAdd(out, key, sum, r.flag.on("json"))
}
