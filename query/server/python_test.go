package server_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query/server"
)

// TestPythonClient drives the API from Python's standard library alone,
// finding every call in /openapi.json by its operationId.
func TestPythonClient(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed; skipping the Python client test")
	}
	ts, _ := newTestServer(t, server.Options{Keys: testKeys(t)})
	cmd := exec.CommandContext(t.Context(), py, "testdata/drive.py", ts.URL)
	cmd.Env = append(os.Environ(), "VECBOLT_TEST_KEY="+rwKey, "NO_PROXY=127.0.0.1,localhost", "no_proxy=127.0.0.1,localhost")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "OK ") {
		t.Fatalf("python: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
