// Command reordercost times the graph renumbering of Staged.Commit on an
// existing database: per order, a staged copy of the collection
// (DB.Stage with Copy) and its Commit with that order, wall and CPU time
// (getrusage) of each; the commit with order none is the baseline, so the
// difference is the renumbering. The database is renumbered in place.
//
//	reordercost DB COLLECTION none,rcm,bfs,gorder
//
// PROF=FILE writes a CPU profile of the whole run.
package main

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/vecbolt/vecbolt/query"
)

func main() {
	ctx := context.Background()
	path, name := os.Args[1], os.Args[2]
	if p := os.Getenv("PROF"); p != "" {
		f, _ := os.Create(p)
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	for _, order := range strings.Split(os.Args[3], ",") {
		db, err := query.Open(path, query.Options{})
		if err != nil {
			panic(err)
		}
		t0, c0 := time.Now(), cpu()
		s, err := db.Stage(ctx, name, query.CollectionConfig{}, query.StageOptions{Copy: true, Order: order})
		if err != nil {
			panic(err)
		}
		t1, c1 := time.Now(), cpu()
		if err := s.Commit(ctx); err != nil {
			panic(err)
		}
		t2, c2 := time.Now(), cpu()
		if err := db.Close(); err != nil {
			panic(err)
		}
		fmt.Printf("order %-7s stage-copy wall %.2fs cpu %.2fs | commit wall %.2fs cpu %.2fs\n", order, t1.Sub(t0).Seconds(), (c1 - c0).Seconds(), t2.Sub(t1).Seconds(), (c2 - c1).Seconds())
	}
}
