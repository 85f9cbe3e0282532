package bench

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// FormatVersion names the result document layout. It changes when a field
// is renamed or its meaning changes; adding a field does not change it.
const FormatVersion = "vecbolt-bench/1"

// Row is one measurement: one system, one build configuration, one search
// ef. Zero in a field marked "0 = not measured" means the runner did not
// measure it (hnswlib has no heap figure, FAISS no distance counter).
// Times are wall-clock. See the package documentation for every field.
type Row struct {
	System  string `json:"system"`            // "vecbolt", "hnswlib", "faiss-hnsw", "bruteforce"
	Version string `json:"version,omitempty"` // the system's version (library version, module version)
	Commit  string `json:"commit,omitempty"`  // the system's source commit, when known
	Config  string `json:"config,omitempty"`  // free-form build configuration label beyond m/ef_construction
	Dataset string `json:"dataset"`
	Metric  Metric `json:"metric"`

	N       int `json:"n"`       // base vectors indexed
	Dim     int `json:"dim"`     // dimension
	Queries int `json:"queries"` // queries measured
	K       int `json:"k"`       // neighbours asked for and recall depth

	M              int `json:"m,omitempty"`               // HNSW M
	EfConstruction int `json:"ef_construction,omitempty"` // HNSW efConstruction
	Ef             int `json:"ef"`                        // search ef (efSearch)

	Recall    float64 `json:"recall"`              // recall@k averaged over queries (QueryRecall)
	QPSSingle float64 `json:"qps_single"`          // queries per second, one thread, one query per call
	QPSMulti  float64 `json:"qps_multi,omitempty"` // queries per second over Threads threads; 0 = not measured
	Threads   int     `json:"threads,omitempty"`   // threads used for QPSMulti
	Runs      int     `json:"runs,omitempty"`      // timed passes per figure, the fastest reported (ann-benchmarks style); 0 = 1
	P50Micros float64 `json:"latency_p50_us"`      // single-thread latency percentiles, microseconds
	P95Micros float64 `json:"latency_p95_us"`      //
	P99Micros float64 `json:"latency_p99_us"`      //

	BuildSeconds     float64 `json:"build_seconds,omitempty"`      // index build from vectors in memory
	BuildThreads     int     `json:"build_threads,omitempty"`      // threads used for the build
	InsertsPerSecond float64 `json:"inserts_per_second,omitempty"` // single-record inserts, one per call; 0 = not measured
	ImportSeconds    float64 `json:"import_seconds,omitempty"`     // bulk import into a persistent file, end to end; 0 = not measured
	OpenSeconds      float64 `json:"open_seconds,omitempty"`       // open/load a saved index in a fresh process until the first query answers

	DistancesPerQuery float64 `json:"distance_computations_per_query,omitempty"` // 0 = not measured

	RSSAfterBuild  int64   `json:"rss_bytes_after_build,omitempty"`  // resident set after the build (peak where only the peak is known)
	HeapAfterBuild int64   `json:"heap_bytes_after_build,omitempty"` // Go heap in use after the build and a GC; 0 = not measured
	RSSAfterOpen   int64   `json:"rss_bytes_after_open,omitempty"`   // resident set after opening the saved index and one query
	HeapAfterOpen  int64   `json:"heap_bytes_after_open,omitempty"`  // Go heap after open and a GC; 0 = not measured
	FileBytes      int64   `json:"file_bytes,omitempty"`             // saved index or database file size
	BytesPerVector float64 `json:"bytes_per_vector,omitempty"`       // FileBytes / N
}

// Label names the curve a row belongs to in plots and tables: the system,
// its configuration and its build parameters, not ef.
func (r Row) Label() string {
	var b strings.Builder
	b.WriteString(r.System)
	if r.M > 0 {
		fmt.Fprintf(&b, " M=%d", r.M)
	}
	if r.EfConstruction > 0 {
		fmt.Fprintf(&b, " efC=%d", r.EfConstruction)
	}
	if r.Config != "" {
		b.WriteString(" " + r.Config)
	}
	return b.String()
}

// Document is a result file: the machine that measured, notes, and rows.
type Document struct {
	Format  string    `json:"format"` // FormatVersion
	Created time.Time `json:"created"`
	Machine Machine   `json:"machine"`
	Notes   []string  `json:"notes,omitempty"` // caveats a reader must know (a generic build, a busy machine)
	Rows    []Row     `json:"rows"`
}

// NewDocument returns a document stamped with FormatVersion and the
// current time.
func NewDocument(m Machine, rows ...Row) *Document {
	return &Document{Format: FormatVersion, Created: time.Now().UTC().Truncate(time.Second), Machine: m, Rows: rows}
}

// WriteJSON writes d as indented JSON.
func (d *Document) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}

// ReadJSON decodes a result document and checks its format name.
// Unknown fields are ignored so newer files stay readable.
func ReadJSON(r io.Reader) (*Document, error) {
	var d Document
	if err := json.NewDecoder(r).Decode(&d); err != nil {
		return nil, fmt.Errorf("bench: result document: %w", err)
	}
	if d.Format != FormatVersion {
		return nil, fmt.Errorf("%w: result document format %q, want %q", ErrUnknownFormat, d.Format, FormatVersion)
	}
	return &d, nil
}

// ReadResultFile reads a JSON result document from path.
func ReadResultFile(path string) (*Document, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer f.Close()
	d, err := ReadJSON(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

// WriteFile writes d to path: JSON for .json, CSV (rows only) for .csv.
func (d *Document) WriteFile(path string) error {
	switch {
	case strings.HasSuffix(path, ".json"):
		return writeFile(path, d.WriteJSON)
	case strings.HasSuffix(path, ".csv"):
		return writeFile(path, func(w io.Writer) error { return WriteCSV(w, d.Rows) })
	}
	return fmt.Errorf("%w: %s (want .json or .csv)", ErrUnknownFormat, path)
}

// CSVHeader returns the CSV column names: the JSON names of Row's fields
// in declaration order. The order is part of the format (a golden file
// guards it).
func CSVHeader() []string {
	t := reflect.TypeFor[Row]()
	cols := make([]string, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		cols = append(cols, name)
	}
	return cols
}

// WriteCSV writes a header line and one line per row. A zero in an
// optional (omitempty) field is written as an empty cell: not measured.
func WriteCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader()); err != nil {
		return err
	}
	t := reflect.TypeFor[Row]()
	rec := make([]string, t.NumField())
	for _, r := range rows {
		v := reflect.ValueOf(r)
		for i := range rec {
			f := v.Field(i)
			if f.IsZero() && strings.Contains(t.Field(i).Tag.Get("json"), "omitempty") {
				rec[i] = ""
				continue
			}
			switch f.Kind() {
			case reflect.String:
				rec[i] = f.String()
			case reflect.Int, reflect.Int64:
				rec[i] = strconv.FormatInt(f.Int(), 10)
			case reflect.Float64:
				rec[i] = strconv.FormatFloat(f.Float(), 'g', -1, 64)
			default:
				return fmt.Errorf("bench: csv: unsupported field kind %s", f.Kind())
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
