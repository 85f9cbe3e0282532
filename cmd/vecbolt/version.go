package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// buildInfo is what --version and 'vecbolt version' print, read from the
// binary's build information (debug.ReadBuildInfo).
type buildInfo struct {
	Module    string `json:"module"`
	Version   string `json:"version"`                // module version, "(devel)" for a local build
	Revision  string `json:"vcs_revision,omitempty"` // VCS commit, when built in a checkout
	Time      string `json:"vcs_time,omitempty"`
	Modified  bool   `json:"vcs_modified,omitempty"` // uncommitted changes in the checkout
	GoVersion string `json:"go"`
	Platform  string `json:"platform"`
}

// readBuildInfo returns the version stamp of the running binary. Outside a
// module build (go test binaries have no main module version) the version
// is "(devel)".
func readBuildInfo() buildInfo {
	b := buildInfo{Module: "github.com/vecbolt/vecbolt", Version: "(devel)", GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	if bi.Main.Path != "" {
		b.Module = bi.Main.Path
	}
	if bi.Main.Version != "" {
		b.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

// String is the one-line form: "vecbolt v1.2.3 (abc123def456, 2026-12-02T03:00:00Z, modified) go1.26 linux/amd64".
func (b buildInfo) String() string {
	s := "vecbolt " + b.Version
	if b.Revision != "" {
		rev := b.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		s += " (" + rev
		if b.Time != "" {
			s += ", " + b.Time
		}
		if b.Modified {
			s += ", modified"
		}
		s += ")"
	}
	return s + " " + b.GoVersion + " " + b.Platform
}

type versionOptions struct {
	*globalOptions
	JSON bool
}

func newVersionCommand(g *globalOptions) *cobra.Command {
	opts := &versionOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version and build stamp",
		Long: `Print vecbolt's module version and the VCS stamp (commit, commit time, whether
the checkout had uncommitted changes) recorded in the binary when it was built,
with the Go version and platform. 'vecbolt --version' prints the same line.`,
		Example: `  vecbolt version
  vecbolt --version
  vecbolt version --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runVersion(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print as JSON")
	return cmd
}

func runVersion(_ context.Context, opts *versionOptions, out io.Writer) error {
	b := readBuildInfo()
	if opts.JSON {
		return writeJSON(out, b)
	}
	_, err := fmt.Fprintln(out, b)
	return err
}
