package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/vecbolt/vecbolt/query"
)

type renameOptions struct {
	*globalOptions
	Old, New string // positional
	JSON     bool
}

func newRenameCommand(g *globalOptions) *cobra.Command {
	opts := &renameOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "rename OLD NEW",
		Short: "Rename a collection",
		Long: `Give collection OLD the name NEW, in one small transaction whatever its size
(collections are stored under ids in the version-2 file format). NEW must not
exist.`,
		Example: `  vecbolt --db words.db rename scratch glove
  vecbolt --db words.db rename glove glove-6b --json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Old, opts.New = args[0], args[1]
			return runRename(cmd.Context(), opts, cmd.OutOrStdout())
		},
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return completeCollections(g)(cmd, args, toComplete)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print as JSON")
	return cmd
}

// renameJSON is the --json output of rename.
type renameJSON struct {
	Old string `json:"old"`
	New string `json:"new"`
}

// collectionRenamer is the method the version-2 file format adds to
// query.DB (issue 10); until it lands, rename says it is not available.
type collectionRenamer interface {
	RenameCollection(ctx context.Context, oldName, newName string) error
}

// errNoRename is returned by rename on a build without collection ids.
var errNoRename = errors.New("rename needs the version-2 file format, which this build does not have")

func runRename(ctx context.Context, opts *renameOptions, out io.Writer) (err error) {
	db, err := opts.open(false)
	if err != nil {
		return err
	}
	defer closeDB(db, &err)
	r, ok := any(db).(collectionRenamer)
	if !ok {
		return errNoRename
	}
	if err := r.RenameCollection(ctx, opts.Old, opts.New); err != nil {
		if errors.Is(err, query.ErrUnknownCollection) {
			g := *opts.globalOptions
			g.Collection = opts.Old
			return g.unknownCollection(db, err)
		}
		if errors.Is(err, query.ErrCollectionExists) {
			return invalidErr(fmt.Errorf("rename %q: a collection %q exists already: %w", opts.Old, opts.New, err))
		}
		return err
	}
	if opts.JSON {
		return writeJSON(out, renameJSON{Old: opts.Old, New: opts.New})
	}
	_, err = fmt.Fprintf(out, "renamed collection %q to %q\n", opts.Old, opts.New)
	return err
}
