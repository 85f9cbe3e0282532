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
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/vecbolt/vecbolt/query"
)

// Helpers shared by backup, compact and check.

// largeFile is the size from which the maintenance commands draw a
// progress bar (on a terminal only).
const largeFile = 32 << 20

// fileSize returns the size of path, or 0.
func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// refuseExisting checks path as the destination of a new file that the
// maintenance commands write (they never overwrite, not even a device):
// it must not exist (exit 2) and its directory must (exit 1). It returns
// the path to write, a symbolic link to a missing file resolved.
func refuseExisting(path string) (string, error) {
	o, err := resolveOutput(path, "", false)
	if err != nil {
		return "", err
	}
	if o.special {
		return "", usageErr(&hintError{msg: fmt.Sprintf("%s already exists; remove it or choose another name", path), err: fs.ErrExist})
	}
	return o.path, nil
}

// tempBeside returns an unused name in path's directory for a file that
// will be renamed to path.
func tempBeside(path, what string) string {
	return filepath.Join(filepath.Dir(path), fmt.Sprintf(".%s.%s-%d-%d", filepath.Base(path), what, os.Getpid(), time.Now().UnixNano()))
}

// verifyFile opens path read-only and runs the full check on it.
func verifyFile(ctx context.Context, path string) error {
	db, err := query.Open(path, query.Options{ReadOnly: true, Timeout: -1})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Check(ctx)
}

// errSameProblems marks a copy that fails its check with exactly the
// problems of the database it was copied from: the copy is faithful, and
// is kept (backup and compact say so and exit 0).
var errSameProblems = errors.New("the copy has the same problems as the database")

// verifyCopy checks the copy at path of src (whose file is srcPath). A copy
// that passes returns nil. A copy that fails is compared with src: when
// src fails its check in the same words (a collection an older version
// saved with options this one refuses, say) the copy is as good as the
// original and verifyCopy returns an error wrapping errSameProblems;
// otherwise the copy's problems.
func verifyCopy(ctx context.Context, src *query.DB, srcPath, path string) error {
	err := verifyFile(ctx, path)
	if err == nil || ctx.Err() != nil {
		return err
	}
	srcErr := src.Check(ctx)
	if srcErr != nil && strings.ReplaceAll(err.Error(), path, srcPath) == srcErr.Error() {
		return fmt.Errorf("%w (run 'vecbolt check' on it): %w", errSameProblems, err)
	}
	return &exitError{code: exitDatabase, err: err}
}

// countingWriter forwards writes and moves a bar.
type countingWriter struct {
	w   io.Writer
	bar *progressbar.ProgressBar
}

func (cw countingWriter) Write(p []byte) (int, error) {
	n, err := cw.w.Write(p)
	if cw.bar != nil {
		_ = cw.bar.Add(n)
	}
	return n, err
}

// watchGrowth moves bar with the size of the files in dir whose names
// start with prefix, until stop is closed. It serves operations that write
// a file without reporting progress (bbolt's compaction).
func watchGrowth(bar *progressbar.ProgressBar, dir, prefix string, stop <-chan struct{}) {
	if bar == nil {
		return
	}
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			ents, _ := os.ReadDir(dir)
			var n int64
			for _, e := range ents {
				if strings.HasPrefix(e.Name(), prefix) {
					if fi, err := e.Info(); err == nil {
						n += fi.Size()
					}
				}
			}
			_ = bar.Set64(n)
		}
	}
}
