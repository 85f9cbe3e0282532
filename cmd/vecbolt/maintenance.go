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

// refuseExisting returns an error if path exists: the maintenance commands
// never overwrite a file.
func refuseExisting(path string) error {
	if _, err := os.Lstat(path); err == nil {
		return usageErr(fmt.Errorf("%s already exists; remove it or choose another name: %w", path, fs.ErrExist))
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
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
