package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/store"
)

type upgradeOptions struct {
	*globalOptions
}

func newUpgradeCommand(g *globalOptions) *cobra.Command {
	opts := &upgradeOptions{globalOptions: g}
	return &cobra.Command{
		Use:   "upgrade",
		Short: "Rewrite a database written by an older vecbolt in the current file format",
		Long: `Rewrite the database in the current file format (version ` + fmt.Sprint(store.FormatVersion) + `). Files written by
an older vecbolt (format 1) do not open until they are upgraded.

The new file is written beside the database (under the name <db>` + store.UpgradeSuffix + `),
checked, synced and renamed over the original while the database is locked,
so a crash or an error at any point leaves the original readable by the
vecbolt that wrote it. A file already in the current format is left alone.
Keep a backup anyway: older vecbolt builds cannot read the upgraded file.`,
		Example: `  vecbolt --db words.db upgrade`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runUpgrade(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
}

func runUpgrade(ctx context.Context, opts *upgradeOptions, out io.Writer) error {
	start := time.Now()
	timeout := opts.LockTimeout
	if timeout == 0 {
		timeout = -1
	}
	from, err := query.Upgrade(ctx, opts.DB, timeout)
	if err != nil {
		return fmt.Errorf("upgrade %s: %w", opts.DB, err)
	}
	if from == store.FormatVersion {
		fmt.Fprintf(out, "%s is already in format %d; nothing to do\n", opts.DB, from)
		return nil
	}
	fmt.Fprintf(out, "upgraded %s from format %d to %d in %v\n", opts.DB, from, store.FormatVersion, time.Since(start).Round(time.Millisecond))
	return nil
}
