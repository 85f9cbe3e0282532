package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/vecbolt/vecbolt/query"
)

type statsOptions struct {
	*globalOptions
	JSON bool
}

func newStatsCommand(g *globalOptions) *cobra.Command {
	opts := &statsOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Describe a collection: size, shape and index parameters",
		Long: `Describe the collection named by -c: its record count, dimension, metric and
HNSW parameters and graph shape (levels, reachability, degree), the database
file's size, and the size of its embedding table (records x dimension
parameters) stored as float32, float16 and int8.`,
		Example: `  vecbolt --db words.db stats
  vecbolt --db words.db stats --json | jq .records`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runStats(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print as JSON")
	return cmd
}

// statsJSON is the --json output of stats.
type statsJSON struct {
	Database       string   `json:"database"`
	Collection     string   `json:"collection"`
	Collections    []string `json:"collections"`
	Records        int      `json:"records"`
	Dim            int      `json:"dim"`
	Metric         string   `json:"metric"`
	M              int      `json:"m"`
	EfConstruction int      `json:"ef_construction"`
	Ef             int      `json:"ef"`
	Embedder       string   `json:"embedder,omitempty"`
	// Encoding is how the graph holds the vectors in memory (none, fp16,
	// int8), VectorBytes what one vector costs there, EncodingParams the
	// INT8 parameters' scheme and origin (default or trained), ExactInRAM
	// the exact vectors held in memory for re-ranking (the others are
	// read from the mapped file).
	Encoding       string `json:"encoding"`
	VectorBytes    int    `json:"vector_bytes"`
	EncodingParams string `json:"encoding_params,omitempty"`
	ExactInRAM     int    `json:"exact_in_ram"`
	FileBytes      int64  `json:"file_bytes"`
	Parameters     int64  `json:"parameters"`
	FP32Bytes      int64  `json:"fp32_bytes"`
	FP16Bytes      int64  `json:"fp16_bytes"`
	INT8Bytes      int64  `json:"int8_bytes"`
	Graph          any    `json:"graph"` // index.Stats: levels, degrees, reachability
}

func runStats(ctx context.Context, opts *statsOptions, out io.Writer) (err error) {
	db, err := opts.open(true)
	if err != nil {
		return err
	}
	defer closeDB(db, &err)
	c, err := opts.collection(ctx, db)
	if err != nil {
		return err
	}
	names, err := db.Collections()
	if err != nil {
		return err
	}
	size, err := db.FileSize()
	if err != nil {
		return err
	}
	cs := c.Stats()
	cfg := cs.Config
	s := statsJSON{
		Database: opts.DB, Collection: cs.Name, Collections: names,
		Records: cs.Records, Dim: cfg.Dim, Metric: string(cfg.Metric),
		M: cfg.M, EfConstruction: cfg.EfConstruction, Ef: cfg.Ef, Embedder: cfg.Embedder,
		FileBytes: size, Parameters: cs.Parameters,
		FP32Bytes: cs.BytesFP32, FP16Bytes: cs.BytesFP16, INT8Bytes: cs.BytesINT8,
		Graph: cs.Graph,
	}
	s.setEncoding(cs.Encoding)
	if opts.JSON {
		return writeJSON(out, s)
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	row := func(k, format string, args ...any) { fmt.Fprintf(tw, "%s\t"+format+"\n", append([]any{k}, args...)...) }
	row("database", "%s (%s)", s.Database, humanBytes(s.FileBytes))
	row("collection", "%s (of %d in the file)", s.Collection, len(names))
	row("records", "%s", humanCount(int64(s.Records)))
	row("dimension", "%d", s.Dim)
	row("metric", "%s", s.Metric)
	row("index", "HNSW, M %d, efConstruction %d, ef %d", s.M, s.EfConstruction, s.Ef)
	if s.Embedder != "" {
		row("embedder", "%s", s.Embedder)
	}
	row("vectors", "%s", s.vectorsRow())
	gs := cs.Graph
	if gs.Nodes > 0 && len(gs.Levels) > 0 {
		row("graph", "%d levels, %s of %s nodes reachable, mean degree %.1f on level 0",
			gs.MaxLevel+1, humanCount(int64(gs.Reachable)), humanCount(int64(gs.Nodes)), gs.Levels[0].MeanDegree)
	}
	row("parameters", "%s (records x dimension)", humanCount(s.Parameters))
	row("  as fp32", "%s", humanBytes(s.FP32Bytes))
	row("  as fp16", "%s", humanBytes(s.FP16Bytes))
	row("  as int8", "%s", humanBytes(s.INT8Bytes))
	return tw.Flush()
}

// setEncoding fills the encoding fields from the collection's.
func (s *statsJSON) setEncoding(e query.EncodingInfo) {
	s.Encoding, s.VectorBytes, s.EncodingParams, s.ExactInRAM = e.Encoding, e.VectorBytes, e.Params, e.ExactInRAM
}

// vectorsRow describes how the vectors are held, for the "vectors" row.
func (s *statsJSON) vectorsRow() string {
	v := fmt.Sprintf("%s, %d bytes a vector in RAM (%s)", s.Encoding, s.VectorBytes, humanBytes(int64(s.VectorBytes)*int64(s.Records)))
	if s.EncodingParams != "" {
		v += ", params " + s.EncodingParams
	}
	if s.Encoding != "none" {
		v += fmt.Sprintf("; exact vectors re-ranked from the file, %d in RAM", s.ExactInRAM)
	}
	return v
}
