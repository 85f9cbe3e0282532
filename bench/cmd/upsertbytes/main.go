// Command upsertbytes measures the bytes a process writes per single
// upsert into an existing collection: wchar from /proc/self/io (every
// write and pwrite, which is how bbolt writes pages, its freelist and its
// meta page), divided by the number of upserts. Each upsert is one
// committed transaction, so the figure includes the amortised cost of the
// block folds the writes trigger. Linux only.
//
//	go run ./bench/cmd/upsertbytes -db FILE -c NAME -ops 1000
//
// It first upserts ops new keys (new ids, appended), then replaces the
// vectors of the same keys, and prints one JSON line:
// {"n":..., "ops":..., "insert_bytes":..., "update_bytes":...}.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"

	"github.com/vecbolt/vecbolt/query"
)

func wchar() (int64, error) {
	f, err := os.Open("/proc/self/io")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "wchar: "); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("upsertbytes: no wchar line in /proc/self/io")
}

func main() {
	path := flag.String("db", "", "database file (modified: use a copy)")
	name := flag.String("c", "default", "collection")
	ops := flag.Int("ops", 1000, "upserts per phase")
	flag.Parse()
	if err := run(*path, *name, *ops); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(path, name string, ops int) error {
	ctx := context.Background()
	db, err := query.Open(path, query.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	c, err := db.Collection(ctx, name)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewSource(1))
	vec := func() []float32 {
		v := make([]float32, c.Config().Dim)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return v
	}
	phase := func() (int64, error) {
		w0, err := wchar()
		if err != nil {
			return 0, err
		}
		for i := 0; i < ops; i++ {
			if err := c.Upsert(ctx, fmt.Sprintf("upsertbytes-%d", i), vec(), nil); err != nil {
				return 0, err
			}
		}
		w1, err := wchar()
		return (w1 - w0) / int64(ops), err
	}
	ins, err := phase()
	if err != nil {
		return err
	}
	upd, err := phase()
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]int64{"n": int64(c.Len()), "ops": int64(ops), "insert_bytes": ins, "update_bytes": upd})
}
