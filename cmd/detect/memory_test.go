package main

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The watchdog looks after every collection, not only at its 50 ms ticks: the hook re-arms itself.
func TestTheWatchdogLooksAfterEveryCollection(t *testing.T) {
	var calls atomic.Int32
	afterEveryCollection(func() { calls.Add(1) })
	for want := int32(1); want <= 3; want++ {
		runtime.GC()
		for deadline := time.Now().Add(5 * time.Second); calls.Load() < want && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		if got := calls.Load(); got < want {
			t.Fatalf("after %d collections the hook ran %d times", want, got)
		}
	}
}

// A peak between two looks still counts: 96 MB made, touched and returned to the system are in
// what the watchdog judges, though the runtime no longer holds them.
func TestAPeakBetweenTwoLooksCounts(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc: the watchdog judges what the runtime holds")
	}
	burst := make([]byte, 96<<20)
	for i := range burst {
		burst[i] = 1
	}
	runtime.KeepAlive(burst)
	burst = nil
	debug.FreeOSMemory()
	if used := memoryUsed(); used < 96<<20 {
		t.Errorf("memoryUsed %d MB after a peak of 96 MB", used>>20)
	}
}

// The soft limit is a quarter of the machine's memory, or three quarters of --max-memory when
// lower: the collector fights before the watchdog stops the run.
func TestTheSoftLimitIsBelowTheCeiling(t *testing.T) {
	if machineMemory() == 0 {
		t.Skip("the machine's memory cannot be read here")
	}
	if got, want := defaultSoftMemory(defaultMemoryCeiling()), machineMemory()/4; got != want {
		t.Errorf("default soft limit %d, want a quarter of %d", got, machineMemory())
	}
	if got := defaultSoftMemory(400 << 20); got != 300<<20 {
		t.Errorf("soft limit under --max-memory 400MB: %d MB, want 300", got>>20)
	}
	if got := defaultSoftMemory(0); got != machineMemory()/4 {
		t.Errorf("soft limit with no ceiling: %d", got)
	}
}

// The pace follows the live heap: Go's default while the garbage budget is more than what is live,
// then less, but never below half, so that a large live heap is not collected over and over.
func TestThePaceFollowsTheLiveHeap(t *testing.T) {
	for _, c := range []struct {
		live int64
		want int
	}{
		{0, 100}, {30 << 20, 100}, {128 << 20, 100}, {256 << 20, 50}, {180 << 20, 71}, {600 << 20, 50}, {8 << 30, 50},
	} {
		if got := gcPercent(c.live); got != c.want {
			t.Errorf("live heap %d MB: pace %d%%, want %d%%", c.live>>20, got, c.want)
		}
	}
}

// writeLongLine writes a file of one sign-in whose AppId is size bytes long, then the fixture's
// records: a run reads the long line in one fast burst of allocation.
func writeLongLine(t *testing.T, size int) string {
	path := filepath.Join(t.TempDir(), "long.ndjson")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString(`{"TimeGenerated":"2026-11-20T09:00:00Z","AppId":"`)
	w.Write(bytes.Repeat([]byte{'x'}, size))
	w.WriteString("\"}\n")
	fixtureText, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(fixtureText)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

// Every way a run can run out of memory ends with a status of its own, never 0 nor --strict's 2:
// a fast allocation past --max-memory (a 64 MB line under a ceiling of 100 MB) exits 3 with its
// message; where the system refuses the Go runtime memory first (here a ulimit -v on its address
// space, which Go reserves generously), the runtime's own out of memory ends the process by
// SIGABRT (134 in a shell), not with its exit status 2.
func TestRunningOutOfMemoryEndsWithAStatusOfItsOwn(t *testing.T) {
	binary := buildDetect(t)
	long := writeLongLine(t, 64<<20)
	cmd := exec.Command(binary, "run", "--rule", v2Rule, "--now", now, "--max-memory", "100MB", long)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitOutOfMemory || !strings.Contains(stderr.String(), "detect: out of memory: the process reached") {
		t.Errorf("a 64 MB line under --max-memory 100MB: %v\n%s", err, tail(stderr.String()))
	}

	longer := writeLongLine(t, 100<<20)
	outOfMemory := 0
	for _, kb := range []string{"1600000", "2000000"} {
		cmd := exec.Command("sh", "-c", `ulimit -v `+kb+` && exec "$0" "$@"`, binary, "run", "--rule", v2Rule, "--now", now, "--max-memory", "4GB", longer)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		switch {
		case err == nil:
			continue // the system gave the run what it needed
		case !errors.As(err, &exit):
			t.Fatal(err)
		case exit.ExitCode() == exitOutOfMemory:
			outOfMemory++
		case exit.Sys().(syscall.WaitStatus).Signal() == syscall.SIGABRT && strings.Contains(stderr.String(), "out of memory"):
			outOfMemory++
		default:
			t.Errorf("ulimit -v %s: %v\n%s", kb, err, tail(stderr.String()))
		}
	}
	if outOfMemory == 0 {
		t.Errorf("no run under a ulimit -v ran out of memory")
	}
}

// tail is the last lines of a long standard error (a crash's goroutine dump).
func tail(text string) string {
	lines := strings.Split(text, "\n")
	return strings.Join(lines[max(0, len(lines)-5):], "\n")
}
