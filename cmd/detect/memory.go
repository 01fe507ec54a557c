package main

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// How detect uses memory, as one knob with three settings:
//   - the collector lets the heap grow to gcPercent% over what is live before collecting, less
//     (down to 100%) once that would be more than an eighth of the soft limit, so that its work
//     per row stays the same however many rows a run holds (a fixed heap bound makes it collect
//     over and over once the live heap nears it; paceToTheLiveHeap);
//   - a soft limit (--soft-memory; GOMEMLIMIT) where the collector works harder to stay under:
//     a quarter of the memory the process may use, or three quarters of --max-memory when lower;
//   - a ceiling (--max-memory; three quarters of the memory the process may use) past which the
//     run stops with exitOutOfMemory, judged after every collection and every 50 ms.
// Between the soft limit and the ceiling the collector fights first, and each of its cycles is
// a check, so that an allocation that outruns the timer is still caught.

// gcPercent is how far the heap grows past what is live before a collection. Reading makes much
// short-lived garbage (the values of records no rule keeps) beside a small live heap; at Go's
// default of 100, collecting took a fifth of a run.
const gcPercent = 400

// exitOutOfMemory is the exit status of a run stopped past memoryCeiling: neither success (0), a
// run that could not be done (1), nor --strict's rejected input (2).
const exitOutOfMemory = 3

// memoryCeiling is the memory past which the watchdog stops the process (0: none); --max-memory
// sets it.
var memoryCeiling atomic.Int64

// machineMemory is the memory the process may use: the machine's, or its container's (cgroup v2
// memory.max, cgroup v1 memory.limit_in_bytes) when lower; 0 when none can be read.
var machineMemory = sync.OnceValue(func() int64 {
	limit := int64(0)
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		limit = procField(data, "MemTotal:")
	}
	for _, path := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		data, err := os.ReadFile(path)
		if err != nil {
			continue // "max" (no limit) does not parse either
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64); err == nil && n > 0 && (limit == 0 || n < limit) {
			limit = n
		}
	}
	return limit
})

// procField is the size, in bytes, of a "Name:   123 kB" line of a /proc file (0 when absent).
func procField(data []byte, name string) int64 {
	scanner := bufio.NewScanner(bytes.NewReader(data))
	for scanner.Scan() {
		if rest, ok := strings.CutPrefix(scanner.Text(), name); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// defaultMemoryCeiling is three quarters of the memory the process may use (0: no ceiling, when
// that cannot be read).
func defaultMemoryCeiling() int64 { return machineMemory() / 4 * 3 }

// defaultSoftMemory is the soft limit under a ceiling: a quarter of the memory the process may
// use, or three quarters of the ceiling when lower, so that the collector fights before the
// watchdog stops the run (0: none).
func defaultSoftMemory(ceiling int64) int64 {
	soft := machineMemory() / 4
	if ceiling > 0 && (soft == 0 || ceiling/4*3 < soft) {
		soft = ceiling / 4 * 3
	}
	return soft
}

// paceGarbageCollection sets the collector's pace (gcPercent, unless GOGC is set) and its soft
// limit (unless GOMEMLIMIT is set and the limit was not given as a flag; 0: none).
func paceGarbageCollection(soft int64, given bool) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
		pacing.Store(true)
	}
	if given || os.Getenv("GOMEMLIMIT") == "" {
		if soft <= 0 {
			soft = math.MaxInt64
		}
		debug.SetMemoryLimit(soft)
	}
}

// crashDistinctly makes a fatal error of the Go runtime end the process by SIGABRT (status 134
// in a shell) instead of exit status 2, --strict's: chiefly its own out of memory, when the
// system refuses it memory before the watchdog could act (a ulimit -v, strict overcommit). It
// writes no core file, which would be as large as the memory that ran out.
func crashDistinctly() {
	debug.SetTraceback("crash")
	noCoreFile()
}

// pacing is set when detect paces the collector (GOGC is not set).
var pacing atomic.Bool

// paceToTheLiveHeap lowers the collector's pace from gcPercent towards 100 (Go's default) as the
// live heap grows, so that the garbage gathered between two collections stays within an eighth
// of the soft limit once four times the live heap would pass that: a run that holds many rows
// (every rule over a large input) peaks at about twice what it holds, not five times, while
// the collector's work per row stays the same at any size (the garbage allowed still grows with
// the live heap).
func paceToTheLiveHeap() {
	soft := debug.SetMemoryLimit(-1)
	if !pacing.Load() || soft == math.MaxInt64 {
		return
	}
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(live)
	percent := gcPercent
	if n := int64(live[0].Value.Uint64()); n > 0 {
		percent = int(min(max(soft/8*100/n, 100), gcPercent))
	}
	if percent != int(currentPercent.Load()) {
		currentPercent.Store(int64(percent))
		debug.SetGCPercent(percent)
	}
}

var currentPercent atomic.Int64

// watchMemory starts the watchdog: after every collection and every 50 ms, it stops the process
// with exitOutOfMemory, and a message, once it has used more than memoryCeiling, failing cleanly
// before the kernel kills it.
func watchMemory() {
	memoryCeiling.Store(defaultMemoryCeiling())
	go func() {
		for range time.Tick(50 * time.Millisecond) {
			checkMemory()
		}
	}()
	afterEveryCollection(func() {
		checkMemory()
		paceToTheLiveHeap()
	})
}

// afterEveryCollection calls f after each garbage collection, from a finalizer that arms the
// next: a burst of allocation past the soft limit starts a collection at once.
func afterEveryCollection(f func()) {
	runtime.SetFinalizer(&collectionMark{}, func(*collectionMark) {
		f()
		afterEveryCollection(f)
	})
}

// collectionMark is an object nothing holds, collected in the cycle after it is made. It holds a
// pointer so that it is not batched into a tiny allocation, whose finalizer may never run.
type collectionMark struct{ _ *int }

var stopOnce sync.Once

// checkMemory stops the process when memoryUsed is over memoryCeiling.
func checkMemory() {
	ceiling := memoryCeiling.Load()
	if ceiling <= 0 {
		return
	}
	if used := memoryUsed(); used > ceiling {
		stopOnce.Do(func() {
			fmt.Fprintf(os.Stderr, "\ndetect: out of memory: the process reached %d MB, over its limit of %d MB (--max-memory); stopped\n", used>>20, ceiling>>20)
			os.Exit(exitOutOfMemory)
		})
	}
}

// memoryUsed is the larger of the memory the Go runtime holds from the system (less what it has
// returned) and the process's peak resident memory (VmHWM), so that a peak between two checks
// counts.
func memoryUsed() int64 {
	samples := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(samples)
	used := int64(samples[0].Value.Uint64() - samples[1].Value.Uint64())
	if data, err := os.ReadFile("/proc/self/status"); err == nil {
		used = max(used, procField(data, "VmHWM:"))
	}
	return used
}
