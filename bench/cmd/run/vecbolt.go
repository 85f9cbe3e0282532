package main

import (
	"os"
	"path/filepath"

	"github.com/vecbolt/vecbolt/bench"
)

// vecboltSystem is bench.Vecbolt on a database in a temporary directory
// that Close removes. For the full set of vecbolt figures (import, open in
// a fresh process, single inserts) use 'vecbolt bench'.
type vecboltSystem struct {
	*bench.Vecbolt
	dir string
}

func init() {
	systems["vecbolt"] = func(c config) (bench.System, bench.Row, error) {
		dir, err := os.MkdirTemp("", "vecbolt-bench-run-")
		if err != nil {
			return nil, bench.Row{}, err
		}
		v := bench.NewVecbolt(bench.VecboltOptions{Path: filepath.Join(dir, "bench.db"), Metric: c.Metric, M: c.M, EfConstruction: c.EfConstruct})
		return &vecboltSystem{Vecbolt: v, dir: dir}, bench.Row{System: "vecbolt", M: c.M, EfConstruction: c.EfConstruct}, nil
	}
}

func (s *vecboltSystem) Close() error {
	err := s.Vecbolt.Close()
	os.RemoveAll(s.dir)
	return err
}
