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
	"golang.org/x/term"

	"github.com/vecbolt/vecbolt/index"
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
	// mustExist is set for the commands that may not create the database
	// file (all but createsDatabase): they refuse a missing one. A runX
	// called directly (tests, bench) may create it.
	mustExist bool
	// created is set by open when it created the database file; a command
	// that then fails removes it again (execute), so a failed command
	// leaves no empty database behind.
	created bool

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
	// cobra's completion command binds the output stream when it is made:
	// make it now, then give it a usage error for an unknown shell.
	root.InitDefaultCompletionCmd(args...)
	if c, _, err := root.Find([]string{"completion"}); err == nil && c != root {
		requireSubcommand(c)
	}
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	if g.created {
		// The command created the file and then failed: nothing it was
		// asked to do is in it. Every command closes the database before
		// it returns.
		_ = os.Remove(g.DB)
	}
	code := exitCode(err)
	if code == exitCanceled {
		fmt.Fprintln(stderr, "vecbolt: interrupted")
		return code
	}
	fmt.Fprintf(stderr, "vecbolt: %s\n", cleanMessage(err.Error()))
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
			g.mustExist = !createsDatabase[cmd.Name()]
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
		newAddCommand(g),
		newReembedCommand(g),
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
		newQuantizeCommand(g),
		newCheckCommand(g),
		newBenchCommand(g),
		newUpgradeCommand(g),
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
	root.InitDefaultHelpCmd()
	if help, _, err := root.Find([]string{"help"}); err == nil && help != root && help.Run != nil {
		show := help.Run
		help.Run = nil
		help.Example = "  vecbolt help search\n  vecbolt help bench plot"
		help.RunE = func(c *cobra.Command, args []string) error {
			if cmd, _, err := c.Root().Find(args); cmd == nil || err != nil {
				return usageErr(fmt.Errorf("no help topic %q: run 'vecbolt help' for the commands", strings.Join(args, " ")))
			}
			show(c, args)
			return nil
		}
	}
	root.Version = readBuildInfo().String()
	root.SetVersionTemplate("{{.Version}}\n")
	_ = root.RegisterFlagCompletionFunc("collection", completeCollections(g))
	for _, c := range root.Commands() {
		c.Args = usageArgs(c.Args)
		requireSubcommand(c)
	}
	wireRemote(root, g) // --server: the commands as clients of 'vecbolt serve' (remote.go)
	return root
}

// requireSubcommand makes each command under c that only groups
// subcommands (eval, completion; bench runs on its own) fail with a usage
// error, exit 2, when its subcommand is missing or unknown: cobra would
// print the help and exit 0, so "vecbolt completion tcsh" seemed to work.
func requireSubcommand(c *cobra.Command) {
	for _, sub := range c.Commands() {
		requireSubcommand(sub)
	}
	if !c.HasSubCommands() || c.Runnable() {
		return
	}
	var names []string
	for _, sub := range c.Commands() {
		if sub.IsAvailableCommand() {
			names = append(names, sub.Name())
		}
	}
	want := strings.Join(names, ", ")
	c.Args = nil
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return usageErr(fmt.Errorf("%s needs one of: %s", cmd.CommandPath(), want))
		}
		return usageErr(fmt.Errorf("%s has no %q: want one of %s", cmd.CommandPath(), args[0], want))
	}
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

// createsDatabase names the commands that may create the database file
// (serve too: its clients create collections through the API).
// Every other command, read-only or not, says that a missing file does not
// exist and creates nothing.
var createsDatabase = map[string]bool{"create": true, "import": true, "demo": true, "serve": true}

// open opens the database file, read-only or read-write. Only the commands
// in createsDatabase create a missing file (and record that they did, so
// that a failure removes it again); the others say it does not exist.
func (g *globalOptions) open(readOnly bool) (*query.DB, error) {
	switch {
	case strings.TrimSpace(g.DB) == "":
		return nil, usageErr(errors.New("--db is empty: give the database file"))
	case g.Collection == "":
		return nil, usageErr(errors.New("-c is empty: give a collection name"))
	}
	_, statErr := os.Stat(g.DB)
	missing := errors.Is(statErr, fs.ErrNotExist)
	if missing && (readOnly || g.mustExist) {
		return nil, &hintError{msg: fmt.Sprintf("database %s does not exist (create it with 'vecbolt create' or 'vecbolt import')", g.DB), err: fs.ErrNotExist}
	}
	timeout := g.LockTimeout
	if timeout == 0 {
		timeout = -1 // try once
	}
	db, err := query.Open(g.DB, query.Options{ReadOnly: readOnly, Timeout: timeout})
	if err != nil {
		return nil, openError(g.DB, missing, err)
	}
	if missing {
		g.created = true
	}
	if w := db.Store().MetaDamage(); w != nil && g.stderr != nil {
		fmt.Fprintf(g.stderr, "vecbolt: warning: %v\n", w) // a read-only open of a file with a damaged meta page
	}
	return db, nil
}

// openError says in one sentence why the database file at path could not be
// opened or created. File system errors lose the layers of "open PATH:" that
// the store and the os package each add; the others already name the file.
func openError(path string, creating bool, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		verb := "open"
		if creating {
			verb = "create"
		}
		if creating && errors.Is(pe.Err, fs.ErrNotExist) {
			return &hintError{msg: fmt.Sprintf("cannot create database %s: directory %s does not exist", path, filepath.Dir(path)), err: pe.Err}
		}
		return fmt.Errorf("cannot %s database %s: %w", verb, path, pe.Err)
	}
	return err
}

// collection returns the collection named by -c, or an error listing the
// collections that exist.
func (g *globalOptions) collection(ctx context.Context, db *query.DB) (*query.Collection, error) {
	c, err := db.Collection(ctx, g.Collection)
	if errors.Is(err, index.ErrOptions) {
		return nil, legacyOptions(g.Collection, err)
	}
	return c, g.unknownCollection(db, err)
}

// legacyOptions explains a collection that older versions saved with index
// options that the graph refuses (M of 1, say): it cannot be searched, but
// its records can still be exported and the collection dropped.
func legacyOptions(name string, err error) error {
	return &exitError{code: exitDatabase, err: &hintError{
		msg: fmt.Sprintf("collection %q was saved by an older vecbolt with index options it cannot search with (%s); "+
			"'vecbolt export' still reads its records and 'vecbolt drop' removes it", name, cleanMessage(err.Error())),
		err: err,
	}}
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
