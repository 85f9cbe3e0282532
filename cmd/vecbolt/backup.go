package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
  vecbolt --db words.db backup --no-verify /mnt/backups/words.db`,
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
	if err != nil {
		return err
	}
	verified := ""
	if !opts.NoVerify {
		verified = ", checked"
	}
	fmt.Fprintf(out, "backed up %s to %s: %s in %v%s\n", opts.DB, opts.Dest, humanBytes(n), time.Since(start).Round(time.Millisecond), verified)
	return nil
}

// backupDB writes a hot backup of db to dest atomically and returns its
// size. db may be in use by other goroutines, writers included. With
// verify, the copy must open and pass Check before it is renamed to dest.
func backupDB(ctx context.Context, db *query.DB, dest string, verify, progress bool, stderr io.Writer) (n int64, err error) {
	if err := refuseExisting(dest); err != nil {
		return 0, err
	}
	tmp := tempBeside(dest, "backup")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	size, _ := db.FileSize()
	bar := newBytesBar(progress && size >= largeFile, stderr, size, "backup  ")
	n, err = db.Store().Backup(ctx, countingWriter{f, bar})
	if err != nil {
		return n, fmt.Errorf("backup to %s: %w", dest, err)
	}
	finishBar(bar)
	if err := f.Sync(); err != nil {
		return n, fmt.Errorf("backup to %s: sync: %w", dest, err)
	}
	if err := f.Close(); err != nil {
		return n, fmt.Errorf("backup to %s: %w", dest, err)
	}
	if verify {
		if err := verifyFile(ctx, tmp); err != nil {
			return n, fmt.Errorf("backup to %s: the copy fails its check (not kept): %w", dest, err)
		}
	}
	if err := refuseExisting(dest); err != nil {
		return n, err
	}
	if err := os.Rename(tmp, dest); err != nil {
		return n, fmt.Errorf("backup: %w", err)
	}
	syncDir(filepath.Dir(dest))
	return n, nil
}

// syncDir makes a rename in dir durable; best effort.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}
