package main

import (
	"fmt"

	"github.com/vecbolt/vecbolt/bench"
)

// bestOf merges result files of repeated sweeps of the same index (the
// hnswlib runner's build and its --from-index passes): per curve and ef,
// the row of the first file with the fastest single-thread QPS and its
// latencies among all files. Recall must agree (the same index answers the
// same queries the same way); a disagreement is an error.
func bestOf(files []string, out string) error {
	if len(files) == 0 {
		return fmt.Errorf("-best-of: no result files")
	}
	var first *bench.Document
	at := map[string]int{}
	for i, f := range files {
		d, err := bench.ReadResultFile(f)
		if err != nil {
			return err
		}
		if i == 0 {
			first = d
			for j, r := range d.Rows {
				at[fmt.Sprintf("%s|%d", r.Label(), r.Ef)] = j
			}
			continue
		}
		for _, r := range d.Rows {
			j, ok := at[fmt.Sprintf("%s|%d", r.Label(), r.Ef)]
			if !ok {
				return fmt.Errorf("%s: curve %q ef %d is not in %s", f, r.Label(), r.Ef, files[0])
			}
			b := &first.Rows[j]
			if r.Recall != b.Recall {
				return fmt.Errorf("%s: curve %q ef %d has recall %.4f, %s has %.4f: not the same index", f, r.Label(), r.Ef, r.Recall, files[0], b.Recall)
			}
			if r.QPSSingle > b.QPSSingle {
				b.QPSSingle, b.P50Micros, b.P95Micros, b.P99Micros = r.QPSSingle, r.P50Micros, r.P95Micros, r.P99Micros
			}
			b.Runs += r.Runs
		}
	}
	first.Notes = append(first.Notes, fmt.Sprintf("single-thread QPS: the fastest of %d sweeps of the same index (one per file merged), runs counts them all", len(files)))
	return first.WriteFile(out)
}
