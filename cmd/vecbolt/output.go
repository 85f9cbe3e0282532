package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"

	"github.com/vecbolt/vecbolt/query"
)

// errBadVector is wrapped by every --vector parse error.
var errBadVector = errors.New("invalid vector")

// plainDecimal is the syntax of one --vector component: a decimal number
// with an optional exponent. Go's ParseFloat also takes "1_0", "0x1p3",
// "Inf" and "NaN", which no one means on a command line.
var plainDecimal = regexp.MustCompile(`^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$`)

// parseVector parses a vector given on the command line: numbers separated
// by commas and/or spaces, optionally inside brackets, as in
// "0.1,-0.2, 0.3" or "[0.1 -0.2 0.3]".
func parseVector(s string) ([]float32, error) {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "[") {
		if !strings.HasSuffix(t, "]") {
			return nil, invalidErr(fmt.Errorf("%w %q: missing ']'", errBadVector, s))
		}
		t = t[1 : len(t)-1]
	}
	fields := strings.FieldsFunc(t, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
	if len(fields) == 0 {
		return nil, invalidErr(fmt.Errorf("%w %q: no components", errBadVector, s))
	}
	// Two commas in a row are an empty component, not one separator.
	if strings.Contains(strings.Join(strings.Fields(t), ""), ",,") ||
		strings.HasPrefix(strings.TrimSpace(t), ",") || strings.HasSuffix(strings.TrimSpace(t), ",") {
		return nil, invalidErr(fmt.Errorf("%w %q: empty component", errBadVector, s))
	}
	vec := make([]float32, len(fields))
	for i, f := range fields {
		if !plainDecimal.MatchString(f) {
			return nil, invalidErr(fmt.Errorf("%w: component %d is %q, want a decimal number such as -0.25 or 1e-3", errBadVector, i+1, f))
		}
		x, err := strconv.ParseFloat(f, 32)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, invalidErr(fmt.Errorf("%w: component %d is %q, outside the float32 range", errBadVector, i+1, f))
		}
		vec[i] = float32(x)
	}
	return vec, nil
}

// formatFloat formats x in the shortest form that reads back as the same
// float32.
func formatFloat(x float32) string { return strconv.FormatFloat(float64(x), 'g', -1, 32) }

// formatVector formats v as "[a, b, c]" with every component exact.
func formatVector(v []float32) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, x := range v {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(formatFloat(x))
	}
	b.WriteByte(']')
	return b.String()
}

// writeJSON writes v as indented JSON followed by a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// humanBytes formats n bytes in binary units with one decimal: "19.1 MiB".
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// humanCount formats n with thousands separators: 1,000,000.
func humanCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// scoreName names what a Score means under a metric, for table headers.
func scoreName(m query.Metric) string {
	switch m {
	case query.Dot:
		return "DOT"
	case query.L2:
		return "DISTANCE"
	}
	return "SIMILARITY"
}

// resultJSON is one result in --json output.
type resultJSON struct {
	Rank     int             `json:"rank"`
	Key      string          `json:"key"`
	Score    float32         `json:"score"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
}

func resultsJSON(rs []query.Result) []resultJSON {
	out := make([]resultJSON, len(rs))
	for i, r := range rs {
		out[i] = resultJSON{Rank: i + 1, Key: r.Key, Score: r.Score, Metadata: r.Metadata}
	}
	return out
}

// tableKey returns key as is, or quoted when it holds white space other
// than spaces or control characters that would break the table.
func tableKey(key string) string {
	if strings.IndexFunc(key, func(r rune) bool { return unicode.IsControl(r) || (unicode.IsSpace(r) && r != ' ') }) >= 0 {
		return strconv.Quote(key)
	}
	return key
}

// writeResults prints results as an aligned table: rank, key, score and,
// when withMeta, the metadata.
func writeResults(w io.Writer, rs []query.Result, scoreHeader string, withMeta bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := "RANK\tKEY\t" + scoreHeader
	if withMeta {
		header += "\tMETADATA"
	}
	fmt.Fprintln(tw, header)
	for i, r := range rs {
		line := fmt.Sprintf("%d\t%s\t%.4f", i+1, tableKey(r.Key), r.Score)
		if withMeta {
			line += "\t" + string(r.Metadata)
		}
		fmt.Fprintln(tw, line)
	}
	return tw.Flush()
}
