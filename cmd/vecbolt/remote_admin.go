package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vecbolt/vecbolt/query"
)

// Remote eval, check, import and backup.

// evalInput checks --restrict and opens the test set, as the embedded eval
// does before it opens the database.
func (r *remote) evalInput(file string) (*os.File, int, error) {
	restrict := r.flag.num("restrict")
	if restrict <= 0 {
		return nil, 0, usageErr(fmt.Errorf("--restrict must be positive, got %d", restrict))
	}
	f, err := os.Open(file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, 0, &exitError{code: exitNotFound, err: err}
		}
		return nil, 0, err
	}
	return f, restrict, nil
}

// evalError names the test set in an error about its content.
func evalError(file string, err error) error {
	if errors.Is(err, query.ErrEvalInput) {
		return invalidErr(fmt.Errorf("%s: %w", file, err))
	}
	return err
}

func remoteEvalAnalogies(ctx context.Context, r *remote, args []string, out io.Writer) error {
	fl := r.flag
	method, err := query.ParseMethod(fl.str("method"))
	if err != nil {
		return usageErr(err)
	}
	ef, cand, workers := fl.num("ef"), fl.num("candidates"), fl.num("workers")
	if ef < 0 || workers < 0 || cand < 0 {
		return usageErr(errors.New("--ef, --candidates and --workers must not be negative"))
	}
	if workers > 0 {
		return usageErr(errors.New("--workers does not apply with --server: the server answers on all its cores"))
	}
	file := args[0]
	f, restrict, err := r.evalInput(file)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, _, err := r.info(ctx); err != nil {
		return err
	}
	exact := fl.on("exact")
	start := time.Now()
	rep, err := r.col.EvaluateAnalogies(ctx, f, query.AnalogyEvalOptions{
		Restrict: restrict, CaseSensitive: fl.on("case-sensitive"), Method: method, Exact: exact, Ef: ef, Candidates: cand,
	})
	if err != nil {
		return evalError(file, r.unknown(ctx, err))
	}
	elapsed := time.Since(start)
	if fl.on("json") {
		return writeJSON(out, evalAnalogiesJSON{Collection: r.Collection, File: file, AnalogyReport: rep, SkippedShare: rep.SkippedShare(), Seconds: elapsed.Seconds()})
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "SECTION\tCORRECT\tANSWERED\tACCURACY\t")
	row := func(s query.SectionScore) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.2f%%\t\n", s.Name, s.Correct, s.Total, 100*s.Accuracy())
	}
	for _, s := range rep.Sections {
		row(s)
	}
	fmt.Fprintln(tw, "\t\t\t\t")
	row(rep.Semantic)
	row(rep.Syntactic)
	row(rep.Total)
	if err := tw.Flush(); err != nil {
		return err
	}
	mode := "HNSW"
	if exact {
		mode = "exact"
	}
	_, err = fmt.Fprintf(out, "\n%d questions, %d skipped (%.1f%%) with a word outside the first %d records; 3Cos%s, %s, %.2f s\n",
		rep.Questions, rep.Skipped, 100*rep.SkippedShare(), rep.Vocabulary, map[query.Method]string{query.CosAdd: "Add", query.CosMul: "Mul"}[method], mode, elapsed.Seconds())
	return err
}

func remoteEvalSimilarity(ctx context.Context, r *remote, args []string, out io.Writer) error {
	file := args[0]
	f, restrict, err := r.evalInput(file)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, _, err := r.info(ctx); err != nil {
		return err
	}
	rep, err := r.col.EvaluateWordPairs(ctx, f, query.PairsEvalOptions{Restrict: restrict, CaseSensitive: r.flag.on("case-sensitive")})
	if err != nil {
		return evalError(file, r.unknown(ctx, err))
	}
	if r.flag.on("json") {
		return writeJSON(out, evalSimilarityJSON{Collection: r.Collection, File: file, PairsReport: rep, OOVShare: rep.OOVShare()})
	}
	corr := func(c query.Correlation) string {
		if !c.Defined() {
			return "undefined (" + rep.Undefined + ")"
		}
		return fmt.Sprintf("%.4f", float64(c))
	}
	_, err = fmt.Fprintf(out, "Pearson   %s\nSpearman  %s\npairs     %d scored, %d with a word outside the first %d records (%.1f%%)\n",
		corr(rep.Pearson), corr(rep.Spearman), rep.Pairs, rep.OOV, rep.Vocabulary, 100*rep.OOVShare())
	if err == nil && rep.Malformed > 0 {
		_, err = fmt.Fprintf(out, "%d malformed line(s) skipped (first: line %d)\n", rep.Malformed, rep.MalformedLines[0])
	}
	return err
}

// remoteCheck runs the server's whole-database check (it needs a
// read-write key limited to no collection) and prints its answer as check
// does: "ok: ..." or the problems, exit 5.
func remoteCheck(ctx context.Context, r *remote, _ []string, out io.Writer) error {
	start := time.Now()
	rep, err := r.cl.CheckReport(ctx)
	if err != nil {
		return err
	}
	if !rep.OK {
		var problems []string
		for _, line := range strings.Split(rep.Problems, "\n") {
			if line = strings.TrimSpace(line); line != "" {
				problems = append(problems, cleanMessage(translateBolt(line)))
			}
		}
		fmt.Fprintf(out, "%s: %d problem(s):\n", r.url, len(problems))
		for _, p := range problems {
			fmt.Fprintf(out, "\t%s\n", p)
		}
		return &exitError{code: exitDatabase, err: fmt.Errorf("check %s: failed (%d problem(s), listed above)", r.url, len(problems))}
	}
	l, err := r.cl.List(ctx)
	if err != nil {
		return err
	}
	records := 0
	for _, c := range l.Collections {
		records += c.Records
	}
	_, err = fmt.Fprintf(out, "ok: %s, %s, %d collection(s), %d record(s), checked in %v\n",
		r.url, humanBytes(l.FileBytes), len(l.Collections), records, time.Since(start).Round(time.Millisecond))
	return err
}

// remoteBackup streams the server's hot backup into DEST with backup's
// file rules: DEST must not exist; the copy is written under a temporary
// name beside it, synced, checked unless --no-verify, and only then
// renamed, so a failure (the server dying mid-stream included: a cut
// stream is an error, never a short copy) leaves no DEST.
func remoteBackup(ctx context.Context, r *remote, args []string, out io.Writer) (err error) {
	start := time.Now()
	dest := args[0]
	path, err := refuseExisting(dest)
	if err != nil {
		return err
	}
	tmp := tempBeside(path, "backup")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return writeFailure("backup to", dest, err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	n, err := r.cl.Backup(ctx, f)
	if err != nil {
		if n == 0 || errors.Is(err, context.Canceled) {
			return err // the server refused (its error, its exit code) or was not reached
		}
		return writeFailure("backup to", dest, err, fmt.Sprintf(" after %s; no copy kept", humanBytes(n)))
	}
	if err := f.Sync(); err != nil {
		return writeFailure("backup to", dest, err)
	}
	if err := f.Close(); err != nil {
		return writeFailure("backup to", dest, err)
	}
	verify := !r.flag.on("no-verify")
	if verify {
		if err := verifyFile(ctx, tmp); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return &exitError{code: exitDatabase, err: fmt.Errorf("backup to %s: the copy fails its check (not kept; run 'vecbolt --server %s check'): %w", dest, r.url, err)}
		}
	}
	if _, err := refuseExisting(dest); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return writeFailure("backup to", dest, err)
	}
	syncDir(filepath.Dir(path))
	verified := ""
	if verify {
		verified = ", checked"
	}
	fmt.Fprintf(out, "backed up %s to %s: %s in %v%s\n", r.url, dest, humanBytes(n), time.Since(start).Round(time.Millisecond), verified)
	return nil
}
