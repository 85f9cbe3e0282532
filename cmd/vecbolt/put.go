package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vecbolt/vecbolt/store"
)

type putOptions struct {
	*globalOptions
	Key      string // positional
	Vector   string
	Metadata string

	vectorGiven bool // --vector was on the command line
}

func newPutCommand(g *globalOptions) *cobra.Command {
	opts := &putOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "put KEY (--vector V [--metadata JSON] | --metadata JSON)",
		Short: "Write one record, or change its metadata",
		Long: `Write one record to the collection named by -c, replacing the record under KEY
if there is one. The vector is a list of numbers separated by commas or spaces,
brackets optional; metadata is a JSON object.

Metadata of an existing record:
  --vector V                  new vector, metadata kept
  --vector V --metadata JSON  new vector and metadata
  --metadata JSON             metadata only: no graph work, the vector is kept
  --metadata null             clears the metadata (with or without --vector)

Writing the vector a record already has does no graph work; if the metadata is
unchanged too, nothing is written.`,
		Example: `  vecbolt create --dim 3
  vecbolt put apple --vector "0.1, -0.2, 0.3" --metadata '{"color": "red"}'
  vecbolt put pear --vector "[0.2 0.1 0.3]"
  vecbolt put apple --metadata '{"color": "green"}'
  vecbolt put apple --metadata null`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Key = args[0]
			opts.vectorGiven = cmd.Flags().Changed("vector")
			return runPut(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&opts.Vector, "vector", "", "the vector: numbers separated by commas or spaces")
	cmd.Flags().StringVar(&opts.Metadata, "metadata", "", "metadata: a JSON object, or null to clear it")
	cmd.MarkFlagsOneRequired("vector", "metadata")
	return cmd
}

func runPut(ctx context.Context, opts *putOptions, out io.Writer) (err error) {
	var vec []float32
	if opts.vectorGiven || opts.Vector != "" {
		if vec, err = parseVector(opts.Vector); err != nil {
			return err
		}
	}
	var meta json.RawMessage
	if opts.Metadata != "" {
		if m := strings.TrimSpace(opts.Metadata); m == "null" {
			meta = json.RawMessage(m)
		} else {
			var obj map[string]any
			if err := json.Unmarshal([]byte(opts.Metadata), &obj); err != nil || obj == nil {
				return invalidErr(fmt.Errorf("--metadata must be a JSON object or null: %w", orNotObject(err)))
			}
			meta = json.RawMessage(opts.Metadata)
		}
	}
	if vec == nil && meta == nil {
		return usageErr(errors.New("give --vector, --metadata or both"))
	}
	db, err := opts.open(false)
	if err != nil {
		return err
	}
	defer closeDB(db, &err)
	c, err := opts.collection(ctx, db)
	if err != nil {
		return err
	}
	if vec == nil {
		if err := c.SetMetadata(ctx, opts.Key, meta); err != nil {
			return err
		}
		verb := "set the metadata of"
		if isNullJSON(meta) {
			verb = "cleared the metadata of"
		}
		fmt.Fprintf(out, "%s %q in %q\n", verb, opts.Key, opts.Collection)
		return nil
	}
	replaced := c.Has(opts.Key)
	if err := c.Upsert(ctx, opts.Key, vec, meta); err != nil {
		return err
	}
	verb := "added"
	if replaced {
		verb = "replaced"
	}
	fmt.Fprintf(out, "%s %q in %q (%d records)\n", verb, opts.Key, opts.Collection, c.Len())
	return nil
}

func isNullJSON(m json.RawMessage) bool { return strings.TrimSpace(string(m)) == "null" }

// orNotObject returns err, or store.ErrInvalidMetadata when a JSON value
// parsed but was not an object.
func orNotObject(err error) error {
	if err == nil {
		return store.ErrInvalidMetadata
	}
	return err
}
