package bench

import (
	"bufio"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"github.com/viterin/vek"
)

// Machine describes where a result was measured. Runners in other
// languages fill what they can and name their toolchain in Runtime.
type Machine struct {
	CPUModel      string   `json:"cpu_model"`                // /proc/cpuinfo "model name"
	CPUFeatures   []string `json:"cpu_features,omitempty"`   // SIMD-relevant CPU features, sorted
	SIMD          bool     `json:"simd"`                     // vek32 uses its AVX2/FMA kernels
	Cores         int      `json:"cores"`                    // logical CPUs
	GOMAXPROCS    int      `json:"gomaxprocs,omitempty"`     //
	MemoryBytes   int64    `json:"memory_bytes,omitempty"`   // /proc/meminfo MemTotal
	GoVersion     string   `json:"go_version,omitempty"`     //
	Runtime       string   `json:"runtime,omitempty"`        // non-Go runners: compiler or interpreter and library build notes
	OS            string   `json:"os"`                       // GOOS/GOARCH
	LoadAverage   string   `json:"load_average,omitempty"`   // /proc/loadavg when collected: the machine may be shared and busy
	VecboltCommit string   `json:"vecbolt_commit,omitempty"` // git commit of the vecbolt tree that ran the benchmark
}

// CollectMachine describes the current machine. commit is the vecbolt
// commit to record; when empty, the VCS revision stamped into the binary
// (go build / go run inside the repository) is used, with "+dirty" when the
// tree had local changes. Reading /proc may fail (non-Linux): those fields
// stay empty.
func CollectMachine(commit string) Machine {
	info := vek.Info()
	feats := slices.Clone(info.CPUFeatures)
	slices.Sort(feats)
	if commit == "" {
		commit = VCSRevision()
	}
	return Machine{
		CPUModel:      cpuModel(),
		CPUFeatures:   feats,
		SIMD:          info.Acceleration,
		Cores:         runtime.NumCPU(),
		GOMAXPROCS:    runtime.GOMAXPROCS(0),
		MemoryBytes:   memTotal(),
		GoVersion:     runtime.Version(),
		OS:            runtime.GOOS + "/" + runtime.GOARCH,
		LoadAverage:   loadAverage(),
		VecboltCommit: commit,
	}
}

// VCSRevision returns the vcs.revision the Go toolchain stamped into the
// running binary ("" in test binaries and builds outside a repository),
// suffixed "+dirty" when vcs.modified was set.
func VCSRevision() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var rev string
	var dirty bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev != "" && dirty {
		rev += "+dirty"
	}
	return rev
}

func cpuModel() string {
	return procField("/proc/cpuinfo", "model name", ":")
}

func memTotal() int64 {
	v := procField("/proc/meminfo", "MemTotal", ":")
	kb, err := strconv.ParseInt(strings.TrimSuffix(v, " kB"), 10, 64)
	if err != nil {
		return 0
	}
	return kb * 1024
}

// procField returns the trimmed value of the first line "key<sep>value".
func procField(path, key, sep string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), sep)
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// ProcessRSS returns the current resident set size of this process in
// bytes (VmRSS from /proc/self/status), or 0 when unavailable.
func ProcessRSS() int64 {
	v := procField("/proc/self/status", "VmRSS", ":")
	kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(v, "kB")), 10, 64)
	if err != nil {
		return 0
	}
	return kb * 1024
}

// ProcessRSSFile returns the part of the resident set that is file pages
// (RssFile in /proc/self/status: pages of mapped files, such as a database
// read through mmap), in bytes, or 0 where the kernel does not say.
func ProcessRSSFile() int64 {
	v := procField("/proc/self/status", "RssFile", ":")
	kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(v, "kB")), 10, 64)
	if err != nil {
		return 0
	}
	return kb * 1024
}

// HeapInUse runs a GC and returns the Go heap bytes in use (HeapInuse).
func HeapInUse() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapInuse)
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
