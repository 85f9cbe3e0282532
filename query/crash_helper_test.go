package query_test

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/vecbolt/vecbolt/query"
)

// The SIGKILL tests re-execute this test binary as a child process (the
// os/exec TestHelperProcess pattern): a test named TestXCrashChild, which
// skips unless its environment variable is set, runs the operation under
// test and is killed at a random moment. This file holds what they share:
// building the child's command (crashChildCommand), the child's side of
// the START/DONE protocol (runCrashChild, runCrashChildDB), and the parent's trials of an
// all-or-nothing operation (killTrials). TestCrashSafety (crash_test.go)
// speaks its own line protocol and uses crashChildCommand only.

// The lines a killTrials child prints on its stdout, each alone on a line:
// childStart when the operation under test begins (the kill clock starts),
// childDone when it has returned nil (acknowledged), or "ERROR <error>"
// when something failed.
const (
	childStart = "START"
	childDone  = "DONE"
)

// crashChildCommand returns the command that runs the test binary again
// as the child test named child (only it, once), with env=value added to
// this process's environment.
func crashChildCommand(t *testing.T, child, env, value string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("cannot re-execute the test binary: %v", err)
	}
	cmd := exec.Command(exe, "-test.run=^"+child+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env+"="+value)
	return cmd
}

// runCrashChild is the body of a child test: it skips unless env is set,
// then runs body with env's value and exits with status 0, or prints
// "ERROR <err>" and exits with status 1 when body fails. body prints
// childStart and childDone itself (fmt.Println: os.Stdout is unbuffered, so a line is out
// before a kill), at the moments they mean.
func runCrashChild(t *testing.T, env string, body func(value string) error) {
	t.Helper()
	value := os.Getenv(env)
	if value == "" {
		t.Skip("child process only")
	}
	if err := body(value); err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// runCrashChildDB is runCrashChild for an operation on the database whose
// path env holds: it opens it read-write, prints childStart, runs op,
// prints childDone once op has returned nil, and closes the database.
func runCrashChildDB(t *testing.T, env string, op func(db *query.DB) error) {
	t.Helper()
	runCrashChild(t, env, func(path string) error {
		db, err := query.Open(path, query.Options{})
		if err != nil {
			return err
		}
		fmt.Println(childStart)
		if err := op(db); err != nil {
			return err
		}
		fmt.Println(childDone)
		return db.Close()
	})
}

// killTrials runs trials of an all-or-nothing operation in a child
// process. The first trial runs to completion and is timed; each later one
// is killed with SIGKILL after a random wait in [0, that time] (when it has
// not finished by then), so the kills spread over the whole operation.
// With Mark set, the child prints that line between two phases of the
// operation, and RunPhase aims a kill at one of them. The caller checks
// the file after each trial. Not safe for concurrent use.
type killTrials struct {
	t      *testing.T
	child  string     // the child test's name
	env    string     // the environment variable that selects the child mode
	rng    *rand.Rand // draws the waits
	full   time.Duration
	markAt time.Duration // from childStart to Mark, in the first trial
	trial  int           // trials run so far

	// Mark, when not empty, is a line the child prints, alone, between
	// the two phases of the operation (before the first trial).
	Mark string

	Killed          int // trials ended by SIGKILL before the child printed childDone
	KilledAfterMark int // of those, the ones killed after the child printed Mark
	Completed       int // trials whose child printed childDone
}

// newKillTrials prepares trials of the child test named child, whose mode
// env selects; rng draws the kill moments (a seeded source makes them
// repeatable, and several killTrials may share one).
func newKillTrials(t *testing.T, child, env string, rng *rand.Rand) *killTrials {
	return &killTrials{t: t, child: child, env: env, rng: rng}
}

// Full is how long the first, complete trial took (0 before it).
func (k *killTrials) Full() time.Duration { return k.full }

// MarkAt is how long the first trial took from childStart to Mark.
func (k *killTrials) MarkAt() time.Duration { return k.markAt }

// Run runs the next trial: the child with env=value, killed (after the
// first trial) at a random moment of the whole operation. It returns
// whether the child acknowledged the operation (printed childDone), which
// a kill may race with. It fails the test when the child does not start,
// reports an error, or ends without childDone unless killed.
func (k *killTrials) Run(value string) (done bool) {
	k.t.Helper()
	return k.run(value, -1)
}

// RunPhase is Run with the kill aimed at one phase of the operation:
// phase 0 from childStart to Mark, phase 1 from Mark to the end, each
// timed by the first trial. It needs Mark.
func (k *killTrials) RunPhase(value string, phase int) (done bool) {
	k.t.Helper()
	if k.Mark == "" {
		k.t.Fatal("killTrials.RunPhase without a Mark")
	}
	return k.run(value, phase)
}

// run runs a trial; phase is -1 (the whole operation), 0 or 1.
func (k *killTrials) run(value string, phase int) (done bool) {
	t := k.t
	t.Helper()
	trial := k.trial
	k.trial++
	cmd := crashChildCommand(t, k.child, k.env, value)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	if !sc.Scan() || sc.Text() != childStart {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("child did not start: %q", sc.Text())
	}
	started := time.Now()
	lines := make(chan string, 4)
	go func() {
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	// The first trial runs to completion (a nil channel never fires).
	draw := func(d time.Duration) <-chan time.Time {
		return time.After(time.Duration(k.rng.Int64N(int64(d) + 1)))
	}
	var deadline <-chan time.Time
	switch {
	case trial == 0:
	case phase < 0:
		deadline = draw(k.full)
	case phase == 0:
		deadline = draw(k.markAt)
	}
	marked, killed := false, false
loop:
	for {
		select {
		case l, ok := <-lines:
			switch {
			case !ok:
				break loop
			case l == childDone:
				done = true
			case k.Mark != "" && l == k.Mark:
				marked = true
				if trial == 0 {
					k.markAt = time.Since(started)
				} else if phase == 1 {
					deadline = draw(k.full - k.markAt)
				}
			default:
				t.Fatalf("child: %s", l)
			}
		case <-deadline:
			_ = cmd.Process.Signal(syscall.SIGKILL)
			killed = true
			for l := range lines {
				done = done || l == childDone
			}
			if !done {
				k.Killed++
				if marked {
					k.KilledAfterMark++
				}
			}
			break loop
		}
	}
	werr := cmd.Wait()
	if !done && !killed {
		t.Fatalf("child exited without printing %s: %v", childDone, werr)
	}
	if trial == 0 {
		if k.Mark != "" && !marked {
			t.Fatalf("the first trial did not print %q", k.Mark)
		}
		k.full = time.Since(started)
	}
	if done {
		k.Completed++
	}
	return done
}
