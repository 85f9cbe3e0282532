package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/vecbolt/vecbolt/query"
)

// Defaults of the global flags.
const (
	defaultDB         = "vecbolt.db"
	defaultCollection = "default"
)

// globalOptions holds the persistent flags and the process's streams, shared
// by every subcommand through its own options struct.
type globalOptions struct {
	DB          string        // --db
	Collection  string        // --collection, -c
	LockTimeout time.Duration // --timeout

	// dbExplicit is true when --db was given on the command line (demo
	// builds in a temporary directory otherwise).
	dbExplicit bool

	stdin  io.Reader
	stderr io.Writer
	// progress reports whether to draw progress bars on stderr: only when
	// stderr is a terminal.
	progress bool
}

// execute runs the vecbolt command line args with the given streams and
// returns the process exit code. Errors are printed to stderr as
// "vecbolt: <error>".
func execute(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	g := &globalOptions{stdin: stdin, stderr: stderr, progress: isTerminal(stderr)}
	root := newRootCommand(g)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	code := exitCode(err)
	if code == exitCanceled {
		fmt.Fprintln(stderr, "vecbolt: interrupted")
		return code
	}
	fmt.Fprintf(stderr, "vecbolt: %v\n", err)
	if code == exitUsage && cmd != nil {
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	return code
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func newRootCommand(g *globalOptions) *cobra.Command {
	root := &cobra.Command{
		Use:   "vecbolt",
		Short: "An embedded vector database in one file",
		Long: `vecbolt stores embeddings under string keys, with optional JSON metadata, in one
file, and keeps an HNSW graph over them for fast nearest-neighbour search and
word-vector analogies.

A database file holds named collections; --db picks the file and -c the
collection. Start with "vecbolt demo".`,
		Example: `  # A first look: nearest neighbours and analogies over 10,000 GloVe words
  vecbolt demo

  # Load word vectors and query them
  vecbolt --db words.db import glove.6B.100d.txt.gz
  vecbolt --db words.db search --key coffee
  vecbolt --db words.db analogy "king - man + woman"`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			if f := cmd.Flags().Lookup("db"); f != nil {
				g.dbExplicit = f.Changed
			}
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.DB, "db", defaultDB, "database file")
	pf.StringVarP(&g.Collection, "collection", "c", defaultCollection, "collection name")
	pf.DurationVar(&g.LockTimeout, "timeout", time.Second, "how long to wait for a database locked by another process")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr(err) })

	root.AddCommand(
		newCreateCommand(g),
		newImportCommand(g),
		newPutCommand(g),
		newGetCommand(g),
		newDeleteCommand(g),
		newSearchCommand(g),
		newAnalogyCommand(g),
		newOddCommand(g),
		newStatsCommand(g),
		newExportCommand(g),
		newDemoCommand(g),
		newEvalCommand(g),
		newBackupCommand(g),
		newCompactCommand(g),
		newCheckCommand(g),
		newBenchCommand(g),
		newCollectionsCommand(g),
		newDropCommand(g),
		newKeysCommand(g),
		newSimilarityCommand(g),
		newRankCommand(g),
		newCloserThanCommand(g),
		newSimilarCommand(g),
		newVersionCommand(g),
		newRenameCommand(g),
		newServeCommand(g),
	)
	root.Version = readBuildInfo().String()
	root.SetVersionTemplate("{{.Version}}\n")
	_ = root.RegisterFlagCompletionFunc("collection", completeCollections(g))
	for _, c := range root.Commands() {
		c.Args = usageArgs(c.Args)
	}
	return root
}

// completeValues returns a flag completion function offering fixed values.
func completeValues(values ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

// formatNames are the --format values offered by shell completion.
var formatNames = []string{"glove", "word2vec", "word2vec-binary", "fvecs", "jsonl", "csv"}

// usageArgs wraps a cobra argument validator so that its errors are usage
// errors (exit code 2).
func usageArgs(v cobra.PositionalArgs) cobra.PositionalArgs {
	if v == nil {
		return nil
	}
	return func(cmd *cobra.Command, args []string) error {
		if err := v(cmd, args); err != nil {
			return usageErr(err)
		}
		return nil
	}
}

// open opens the database file. A read-only open of a missing file says so
// instead of creating it.
func (g *globalOptions) open(readOnly bool) (*query.DB, error) {
	if readOnly {
		if _, err := os.Stat(g.DB); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("database %s does not exist (create it with 'vecbolt create' or 'vecbolt import'): %w", g.DB, fs.ErrNotExist)
		}
	}
	timeout := g.LockTimeout
	if timeout == 0 {
		timeout = -1 // try once
	}
	db, err := query.Open(g.DB, query.Options{ReadOnly: readOnly, Timeout: timeout})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", g.DB, err)
	}
	if w := db.Store().MetaDamage(); w != nil && g.stderr != nil {
		fmt.Fprintf(g.stderr, "vecbolt: warning: %v\n", w) // a read-only open of a file with a damaged meta page
	}
	return db, nil
}

// collection returns the collection named by -c, or an error listing the
// collections that exist.
func (g *globalOptions) collection(ctx context.Context, db *query.DB) (*query.Collection, error) {
	c, err := db.Collection(ctx, g.Collection)
	return c, g.unknownCollection(db, err)
}

// collectionInfo is collection for commands that only read records: it
// returns the configuration and record count without loading the graph.
func (g *globalOptions) collectionInfo(db *query.DB) (query.CollectionConfig, int, error) {
	cfg, n, err := db.CollectionInfo(g.Collection)
	return cfg, n, g.unknownCollection(db, err)
}

// unknownCollection turns ErrUnknownCollection into a not-found exit error
// that lists the collections the file has; other errors pass unchanged.
func (g *globalOptions) unknownCollection(db *query.DB, err error) error {
	if errors.Is(err, query.ErrUnknownCollection) {
		names, _ := db.Collections()
		hint := "the database has no collections; create one with 'vecbolt create --dim D' or 'vecbolt import FILE'"
		if len(names) > 0 {
			hint = "collections: " + strings.Join(names, ", ")
		}
		return &exitError{code: exitNotFound, err: fmt.Errorf("no collection %q in %s (%s)", g.Collection, g.DB, hint)}
	}
	return err
}

// closeDB closes db, keeping the first error.
func closeDB(db *query.DB, err *error) {
	if cerr := db.Close(); cerr != nil && *err == nil {
		*err = cerr
	}
}
