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

	"github.com/spf13/cobra"

	"github.com/vecbolt/vecbolt/query"
)

type backupOptions struct {
	*globalOptions
	Dest     string // positional
	NoVerify bool
}

func newBackupCommand(g *globalOptions) *cobra.Command {
	opts := &backupOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "backup DEST",
		Short: "Write a consistent copy of the database to a new file",
		Long: `Write a consistent copy of the database file to DEST, taken from one read
transaction (bbolt's hot backup, not a file copy): it reflects every write
committed before it started and none after, even while the application that
owns the database goes on writing through the same handle. DEST must not
exist. The copy is written under a temporary name, synced, checked (unless
--no-verify) and only then renamed to DEST: an interrupted or failed backup
leaves no DEST and never touches the database.`,
		Example: `  vecbolt --db words.db backup words-2024-06-01.db
  vecbolt --db words.db backup --no-verify words-copy.db`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Dest = args[0]
			return runBackup(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&opts.NoVerify, "no-verify", false, "skip checking the copy before renaming it into place")
	return cmd
}

func runBackup(ctx context.Context, opts *backupOptions, out io.Writer) (err error) {
	start := time.Now()
	db, err := opts.open(true)
	if err != nil {
		return err
	}
	defer closeDB(db, &err)
	n, err := backupDB(ctx, db, opts.Dest, !opts.NoVerify, opts.progress, opts.stderr)
	warning := ""
	if errors.Is(err, errSameProblems) {
		warning, err = fmt.Sprintf("; the database fails its check and the copy keeps the same problems: run 'vecbolt --db %s check'", opts.DB), nil
	}
	if err != nil {
		return err
	}
	verified := ""
	if !opts.NoVerify && warning == "" {
		verified = ", checked"
	}
	fmt.Fprintf(out, "backed up %s to %s: %s in %v%s%s\n", opts.DB, opts.Dest, humanBytes(n), time.Since(start).Round(time.Millisecond), verified, warning)
	return nil
}

// backupDB writes a hot backup of db to dest atomically and returns its
// size. db may be in use by other goroutines, writers included. With
// verify, the copy must open and pass Check before it is renamed to dest;
// a copy that fails with exactly the database's own problems is kept and
// the error wraps errSameProblems. dest must not exist (exit 2) and its
// directory must (exit 1); a failure to write it exits 1, a copy that fails
// its check 5.
func backupDB(ctx context.Context, db *query.DB, dest string, verify, progress bool, stderr io.Writer) (n int64, err error) {
	path, err := refuseExisting(dest)
	if err != nil {
		return 0, err
	}
	tmp := tempBeside(path, "backup")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, writeFailure("backup to", dest, err)
	}
	defer func() {
		if err != nil && !errors.Is(err, errSameProblems) {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	size, _ := db.FileSize()
	bar := newBytesBar(progress && size >= largeFile, stderr, size, "backup  ")
	n, err = db.Store().Backup(ctx, countingWriter{f, bar})
	if err != nil {
		return n, writeFailure("backup to", dest, err)
	}
	finishBar(bar)
	if err := f.Sync(); err != nil {
		return n, writeFailure("backup to", dest, err)
	}
	if err := f.Close(); err != nil {
		return n, writeFailure("backup to", dest, err)
	}
	var kept error
	if verify {
		if err := verifyCopy(ctx, db, db.Path(), tmp); errors.Is(err, errSameProblems) {
			kept = err
		} else if err != nil {
			return n, fmt.Errorf("backup to %s: the copy fails its check (not kept): %w", dest, err)
		}
	}
	if _, err := refuseExisting(dest); err != nil {
		return n, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return n, writeFailure("backup to", dest, err)
	}
	syncDir(filepath.Dir(path))
	return n, kept
}

// writeFailure says that writing the output file name failed, in one
// sentence (a file system error's own "op path:" layers, which name a
// temporary file, are dropped), with exit code 1 whatever the cause, unless
// the cause is an interrupt.
func writeFailure(what, name string, err error, note ...string) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = &hintError{msg: pe.Err.Error(), err: err}
	}
	return &exitError{code: exitFailure, err: fmt.Errorf("%s %s: %w%s", what, name, err, strings.Join(note, ""))}
}

// syncDir makes a rename in dir durable; best effort.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}
