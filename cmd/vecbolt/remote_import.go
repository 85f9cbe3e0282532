package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/vecbolt/vecbolt/query"
)

// remoteBodyBytes bounds the estimated JSON size of one upsert request, well
// below the server's default --max-body (32 MiB).
const remoteBodyBytes = 8 << 20

// remoteImport reads, validates and counts records exactly as import does
// (readRecords) and sends them as upserts of at most remoteBatch records.
//
// It is not all-or-nothing: each request commits on its own, one
// transaction per batch on the server. A record that is invalid on the
// client stops the import before the batch holding it is sent; but an
// error later on (an invalid record further down the file, a server error,
// the server dying or the network failing midway, Ctrl-C) leaves the
// batches already acknowledged in the collection, and the error says how
// many records that is. Every acknowledged batch is durable (the server
// answers after its commit); the one in flight when the server dies is
// either wholly in the file or wholly absent. Running the same import again
// completes it: upserts of the same records are idempotent. A new
// collection is created only once the first batch is ready, so an input
// with no valid record creates nothing.
func remoteImport(ctx context.Context, r *remote, args []string, out io.Writer) (err error) {
	start := time.Now()
	fl := r.flag
	opts := &importOptions{globalOptions: r.globalOptions, indexFlags: r.indexFlagsOf(), File: args[0],
		Format: fl.str("format"), SkipInvalid: fl.on("skip-invalid"), JSON: fl.on("json"), Vocab: fl.str("vocab")}
	for _, f := range []string{"metric", "m", "ef-construction", "ef"} {
		opts.indexFlagsSet = opts.indexFlagsSet || fl.changed(f)
	}
	f, err := resolveFormat(opts.Format, opts.File, "reading")
	if err != nil {
		return err
	}
	if opts.Vocab != "" {
		if opts.counts, err = readCounts(opts.Vocab); err != nil {
			return err
		}
	}
	in := opts.stdin
	if opts.File != "-" {
		file, err := os.Open(opts.File)
		if err != nil {
			return err
		}
		defer file.Close()
		in = file
	}
	list, err := r.cl.List(ctx)
	if err != nil {
		return err
	}
	info, exists := find(list, opts.Collection)
	var cfg query.CollectionConfig
	if !exists {
		if cfg, err = opts.config(0); err != nil {
			return err
		}
	} else {
		cfg = info.Config
		if opts.indexFlagsSet {
			want, err := opts.config(cfg.Dim)
			if err != nil {
				return err
			}
			want.Seed = cfg.Seed
			if _, err := r.cl.CreateCollection(ctx, opts.Collection, want); err != nil {
				return err // the server's configuration mismatch
			}
		}
	}
	sum := importSummary{Collection: opts.Collection, File: opts.File, Format: f.String(), Created: !exists}
	var (
		seen    = make(map[string]struct{}) // keys read, for duplicates
		sent    = make(map[string]struct{}) // keys acknowledged by the server
		written int                         // records acknowledged
		created bool
	)
	send := func(batch []query.Record) error {
		// Keys already sent by this import are not "replaced" keys: the
		// server's count includes them, embedded import's does not.
		ours := map[string]struct{}{}
		for _, rec := range batch {
			if _, ok := sent[rec.Key]; ok {
				ours[rec.Key] = struct{}{}
			}
		}
		res, err := r.col.UpsertBatch(ctx, batch)
		if err != nil {
			return err
		}
		sum.Replaced += res.Replaced - len(ours)
		for _, rec := range batch {
			sent[rec.Key] = struct{}{}
		}
		written += len(batch)
		return nil
	}
	flush := func(batch []query.Record) error {
		if len(batch) == 0 {
			return nil
		}
		if !exists && !created {
			if _, err := r.cl.CreateCollection(ctx, opts.Collection, cfg); err != nil {
				return err
			}
			created = true
		}
		for _, rec := range batch {
			if _, dup := seen[rec.Key]; dup {
				sum.Duplicates++
				continue
			}
			seen[rec.Key] = struct{}{}
		}
		per := max(1, min(remoteBatch, remoteBodyBytes/(16*cfg.Dim+64)))
		return chunks(len(batch), per, func(lo, hi int) error { return send(batch[lo:hi]) })
	}
	err = readRecords(ctx, in, f, opts, &cfg, &sum, flush)
	if err != nil {
		err = r.unknown(ctx, err)
		if written == 0 {
			if created {
				_ = r.cl.DropCollection(context.WithoutCancel(ctx), opts.Collection) // nothing in it: leave nothing behind
			}
			return err
		}
		note := fmt.Sprintf("%s records already written stay: over --server each batch commits on its own; run the import again to complete it", humanCount(int64(written)))
		msg := err.Error()
		if strings.Contains(msg, "nothing imported") {
			msg = strings.Replace(msg, "nothing imported", note, 1)
		} else {
			msg += " (" + note + ")"
		}
		return &hintError{msg: msg, err: err}
	}
	if !exists && !created {
		return invalidErr(fmt.Errorf("import %s: no valid records; collection %q not created", displayName(opts.File), opts.Collection))
	}
	sum.Dim = cfg.Dim
	sum.Records = len(seen)
	sum.Seconds = time.Since(start).Seconds()
	if sum.Seconds > 0 {
		sum.RecordsPerSec = float64(sum.Records) / sum.Seconds
	}
	return printImportSummary(out, opts, &sum)
}
