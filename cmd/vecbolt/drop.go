package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

type dropOptions struct {
	*globalOptions
	Yes  bool
	JSON bool
}

func newDropCommand(g *globalOptions) *cobra.Command {
	opts := &dropOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "drop -c NAME",
		Short: "Delete a collection and everything in it",
		Long: `Delete the collection named by -c (--collection) with all its records and its
graph, in one transaction. It asks for confirmation on a terminal; --yes skips
the question, and is required when standard input is not a terminal (a script
must say so). The space is reused by later writes; 'vecbolt compact' returns it
to the file system.`,
		Example: `  vecbolt --db words.db drop -c scratch
  vecbolt --db words.db drop -c scratch --yes --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDrop(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print as JSON")
	return cmd
}

// dropJSON is the --json output of drop.
type dropJSON struct {
	Collection string `json:"collection"`
	Records    int    `json:"records"` // records deleted with it
	Dropped    bool   `json:"dropped"`
}

func runDrop(ctx context.Context, opts *dropOptions, out io.Writer) (err error) {
	db, err := opts.open(false)
	if err != nil {
		return err
	}
	defer closeDB(db, &err)
	_, n, err := opts.collectionInfo(db)
	if err != nil {
		return err
	}
	if !opts.Yes {
		ok, err := opts.confirm(fmt.Sprintf("drop collection %q with %d records from %s?", opts.Collection, n, opts.DB))
		if err != nil {
			return err
		}
		if !ok {
			if opts.JSON {
				return writeJSON(out, dropJSON{Collection: opts.Collection, Records: n})
			}
			_, err := fmt.Fprintln(out, "not dropped")
			return err
		}
	}
	if err := db.DropCollection(opts.Collection); err != nil {
		return opts.unknownCollection(db, err)
	}
	if opts.JSON {
		return writeJSON(out, dropJSON{Collection: opts.Collection, Records: n, Dropped: true})
	}
	_, err = fmt.Fprintf(out, "dropped collection %q (%d records)\n", opts.Collection, n)
	return err
}

// errNoTerminal is returned by confirm when it cannot ask.
var errNoTerminal = errors.New("standard input is not a terminal")

// stdinTerminal reports whether the process's standard input is a
// terminal; tests replace it.
var stdinTerminal = func(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// confirm asks question on stderr and reads a yes or no from stdin. It
// refuses (a usage error naming --yes) when stdin is not a terminal.
func (g *globalOptions) confirm(question string) (bool, error) {
	if !stdinTerminal(g.stdin) {
		return false, usageErr(fmt.Errorf("%s: %w; give --yes to go ahead", strings.TrimSuffix(question, "?"), errNoTerminal))
	}
	fmt.Fprintf(g.stderr, "%s [y/N] ", question)
	line, err := bufio.NewReader(g.stdin).ReadString('\n')
	if err != nil && line == "" {
		return false, nil
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}
