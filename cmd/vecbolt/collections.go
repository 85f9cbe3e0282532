package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vecbolt/vecbolt/query"
)

type collectionsOptions struct {
	*globalOptions
	JSON bool
}

func newCollectionsCommand(g *globalOptions) *cobra.Command {
	opts := &collectionsOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:     "collections",
		Aliases: []string{"ls"},
		Short:   "List the collections in a database",
		Long: `List the collections in the database file, sorted by name, with their record
count, dimension, metric and index parameters (M, efConstruction, the default
search ef and the level seed). It reads the configuration only: no graph is
loaded, so it is quick on any size of file.`,
		Example: `  vecbolt --db words.db collections
  vecbolt --db words.db collections --json | jq '.[].name'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCollections(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print as JSON")
	return cmd
}

// collectionJSON is one collection in the --json output of collections.
type collectionJSON struct {
	Name           string `json:"name"`
	Records        int    `json:"records"`
	Dim            int    `json:"dim"`
	Metric         string `json:"metric"`
	M              int    `json:"m"`
	EfConstruction int    `json:"ef_construction"`
	Ef             int    `json:"ef"`
	Seed           int64  `json:"seed"`
}

func runCollections(_ context.Context, opts *collectionsOptions, out io.Writer) (err error) {
	db, err := opts.open(true)
	if err != nil {
		return err
	}
	defer closeDB(db, &err)
	names, err := db.Collections()
	if err != nil {
		return err
	}
	list := make([]collectionJSON, 0, len(names))
	for _, n := range names {
		cfg, cnt, err := db.CollectionInfo(n)
		if err != nil {
			return err
		}
		list = append(list, collectionJSON{Name: n, Records: cnt, Dim: cfg.Dim, Metric: string(cfg.Metric),
			M: cfg.M, EfConstruction: cfg.EfConstruction, Ef: cfg.Ef, Seed: cfg.Seed})
	}
	if opts.JSON {
		return writeJSON(out, list)
	}
	if len(list) == 0 {
		_, err := fmt.Fprintf(out, "%s has no collections (create one with 'vecbolt create --dim D' or 'vecbolt import FILE')\n", opts.DB)
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tRECORDS\tDIM\tMETRIC\tM\tEF_CONSTRUCTION\tEF\tSEED")
	for _, c := range list {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%d\t%d\t%d\t%d\n", tableKey(c.Name), c.Records, c.Dim, c.Metric, c.M, c.EfConstruction, c.Ef, c.Seed)
	}
	return tw.Flush()
}

// completionDB opens the --db file read-only for shell completion, waiting
// at most a moment for the lock; nil when it cannot.
func completionDB(g *globalOptions) *query.DB {
	db, err := query.Open(g.DB, query.Options{ReadOnly: true, Timeout: 100 * time.Millisecond})
	if err != nil {
		return nil
	}
	return db
}

// completeCollections offers the names of the collections in --db.
func completeCollections(g *globalOptions) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(_ *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		db := completionDB(g)
		if db == nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		defer db.Close()
		names, _ := db.Collections()
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}

// completionLimit caps the keys shell completion offers.
const completionLimit = 200

// completeKeys offers the keys of the -c collection that start with what
// was typed: a prefix scan of the key index, at most completionLimit keys.
func completeKeys(g *globalOptions) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		db := completionDB(g)
		if db == nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		defer db.Close()
		var keys []string
		for k := range db.Scan(cmd.Context(), g.Collection, query.ScanOptions{Prefix: toComplete, Limit: completionLimit}).Keys() {
			keys = append(keys, k)
		}
		return keys, cobra.ShellCompDirectiveNoFileComp
	}
}
