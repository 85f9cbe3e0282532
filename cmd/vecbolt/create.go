package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"

	"github.com/vecbolt/vecbolt/index"
	"github.com/vecbolt/vecbolt/query"
)

// maxEf bounds --ef and --ef-construction: a beam wider than this costs
// memory and time for no recall a graph of any size can give back.
const maxEf = 1 << 16

// indexFlags are the HNSW parameters shared by create and import.
type indexFlags struct {
	Metric         string
	M              int
	EfConstruction int
	Ef             int
	Quantize       string
}

func (f *indexFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.Metric, "metric", "cosine", "distance: cosine, dot or l2")
	fs.IntVar(&f.M, "m", 16, "HNSW links per node (M)")
	fs.IntVar(&f.EfConstruction, "ef-construction", 200, "HNSW build beam width")
	fs.IntVar(&f.Ef, "ef", 64, "default HNSW search beam width")
	fs.StringVar(&f.Quantize, "quantize", "none", "vectors in memory: none (float32), fp16 or int8; the exact vectors stay in the file and searches re-rank with them")
	_ = cmd.RegisterFlagCompletionFunc("metric", completeValues("cosine", "dot", "l2"))
	_ = cmd.RegisterFlagCompletionFunc("quantize", completeValues("none", "fp16", "int8"))
}

// config returns the collection configuration for dimension dim, checking
// the flags.
func (f *indexFlags) config(dim int) (query.CollectionConfig, error) {
	m := query.Metric(f.Metric)
	if !slices.Contains([]query.Metric{query.Cosine, query.Dot, query.L2}, m) {
		return query.CollectionConfig{}, usageErr(fmt.Errorf("--metric %q: want cosine, dot or l2", f.Metric))
	}
	for _, p := range []struct {
		name      string
		v, lo, hi int
	}{
		{"--m", f.M, 2, index.MaxM},
		{"--ef-construction", f.EfConstruction, 1, maxEf},
		{"--ef", f.Ef, 1, maxEf},
	} {
		if p.v < p.lo || p.v > p.hi {
			return query.CollectionConfig{}, usageErr(fmt.Errorf("%s is %d, want %d to %s", p.name, p.v, p.lo, humanCount(int64(p.hi))))
		}
	}
	if !slices.Contains([]string{"", "none", "fp16", "int8"}, f.Quantize) {
		return query.CollectionConfig{}, usageErr(fmt.Errorf("--quantize %q: want none, fp16 or int8", f.Quantize))
	}
	return query.CollectionConfig{Dim: dim, Metric: m, M: f.M, EfConstruction: f.EfConstruction, Ef: f.Ef, Quantize: f.Quantize}, nil
}

type createOptions struct {
	*globalOptions
	indexFlags
	Name string // positional; overrides -c
	Dim  int
	createTextFlags
}

func newCreateCommand(g *globalOptions) *cobra.Command {
	opts := &createOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "create [NAME] --dim D",
		Short: "Create a collection",
		Long: `Create a collection with a fixed dimension, metric and HNSW parameters.

The collection is NAME if given, otherwise the one named by -c. Creating a
collection that exists with the same settings does nothing; different
settings are an error. 'vecbolt import' creates collections too, taking the
dimension from the data.

--embedder SPEC makes a collection of documents embedded by SPEC, which is
recorded in the collection so that documents and queries are always embedded
the same way ('vecbolt add', 'import --text-field', 'search --text'):
  words:COLLECTION[?pool=mean|sif&...]  offline: the word vectors of COLLECTION
                                       in the same file, pooled (dim from it)
  ollama:MODEL                          an Ollama server's /api/embed
  openai:MODEL[?dimensions=N]           an OpenAI-compatible /v1/embeddings
Without --dim a server embedder is asked once for its dimension.`,
		Example: `  vecbolt create --dim 100
  vecbolt --db docs.db create articles --dim 384 --metric dot --m 32 --ef 128
  vecbolt --db words.db create articles --embedder "words:glove?pool=sif"`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Name = args[0]
			}
			opts.dimSet = cmd.Flags().Changed("dim")
			return runCreate(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	opts.indexFlags.register(cmd)
	cmd.Flags().IntVar(&opts.Dim, "dim", 0, "vector dimension (required unless --embedder gives it)")
	opts.createTextFlags.register(cmd)
	return cmd
}

func runCreate(ctx context.Context, opts *createOptions, out io.Writer) (err error) {
	name := opts.Collection
	if opts.Name != "" {
		name = opts.Name
	}
	if opts.Embedder == "" && !opts.dimSet && opts.Dim == 0 {
		return usageErr(errors.New("--dim is required (or give --embedder, which sets it)"))
	}
	if (opts.dimSet || opts.Dim != 0) && (opts.Dim <= 0 || opts.Dim > index.MaxDim) {
		return usageErr(fmt.Errorf("--dim is %d, want 1 to %s", opts.Dim, humanCount(index.MaxDim)))
	}
	cfg, err := opts.config(max(opts.Dim, 1))
	if err != nil {
		return err
	}
	db, err := opts.open(false)
	if err != nil {
		return err
	}
	defer closeDB(db, &err)
	if opts.Embedder != "" {
		if cfg, err = opts.embedderConfig(ctx, db, name, cfg, out); err != nil {
			return err
		}
	}
	names, err := db.Collections()
	if err != nil {
		return err
	}
	existed := slices.Contains(names, name)
	c, err := db.CreateCollection(ctx, name, cfg)
	if err != nil {
		return err
	}
	verb := "created"
	if existed {
		verb = "collection exists:"
	}
	cfg = c.Config()
	fmt.Fprintf(out, "%s %q in %s: dim %d, metric %s, M %d, efConstruction %d, ef %d",
		verb, name, opts.DB, cfg.Dim, cfg.Metric, cfg.M, cfg.EfConstruction, cfg.Ef)
	if cfg.Embedder != "" {
		fmt.Fprintf(out, ", embedder %s", cfg.Embedder)
	}
	if cfg.Quantize != "" {
		fmt.Fprintf(out, ", quantize %s", cfg.Quantize)
	}
	fmt.Fprintln(out)
	return nil
}
