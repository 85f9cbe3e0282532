package query_test

import (
	"fmt"
	"os"
	"testing"
)

// testDir holds databases shared by several tests; removed after the run.
var testDir string

func TestMain(m *testing.M) {
	var err error
	testDir, err = os.MkdirTemp("", "vecbolt-query-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if glove.db != nil {
		glove.db.Close()
	}
	os.RemoveAll(testDir)
	os.Exit(code)
}
