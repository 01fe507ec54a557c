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
//   - the collector lets the heap grow past what is live by garbageBudget before collecting,
//     within half and all of the live heap (gcPercent; paceToTheLiveHeap), so that a run that
//     holds many rows peaks at one and a half to twice what it holds while the collector's work
//     per row stays about the same at any size;
//   - a soft limit (--soft-memory; GOMEMLIMIT) where the collector works harder to stay under:
//     a quarter of the memory the process may use, or three quarters of --max-memory when lower;
//   - a ceiling (--max-memory; three quarters of the memory the process may use) past which the
//     run stops with exitOutOfMemory, judged after every collection and every 50 ms.
// Between the soft limit and the ceiling the collector fights first, and each of its cycles is
// a check, so that an allocation that outruns the timer is still caught.

// The collector's pace, as Go's GOGC: how far the heap grows past what is live before a
// collection, in percent of the live heap. Measured over 100k, 1M and 3M generated rows (V2, in
// turns): Go's default of 100 costs less CPU than a larger heap at every size (the larger
// heap's fresh pages cost the kernel more than the collections it saves); 50 costs 5-10% more
// CPU at 1M rows than 100 (collection goes from 6% to 10% of it) and a quarter less memory.
const (
	gcPercentMost  = 100
	gcPercentLeast = 50
	garbageBudget  = 128 << 20
)

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

// paceGarbageCollection sets the collector's pace (gcPercentMost, unless GOGC is set) and its soft
// limit (unless GOMEMLIMIT is set and the limit was not given as a flag; 0: none).
func paceGarbageCollection(soft int64, given bool) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercentMost)
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

// paceToTheLiveHeap sets the collector's pace to the live heap (gcPercent).
func paceToTheLiveHeap() {
	if !pacing.Load() {
		return
	}
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(live)
	if percent := gcPercent(int64(live[0].Value.Uint64())); percent != int(currentPercent.Load()) {
		currentPercent.Store(int64(percent))
		debug.SetGCPercent(percent)
	}
}

// gcPercent is the pace for a live heap of live bytes: garbageBudget of garbage between two
// collections, within gcPercentLeast and gcPercentMost of the live heap. A small heap (a run
// over 100k rows holds about 30 MB) is collected at Go's default pace; a large one (V2 over 3M
// rows holds about 600 MB) at half, so that it peaks at about one and a half times what it
// holds, not twice.
func gcPercent(live int64) int {
	if live <= 0 {
		return gcPercentMost
	}
	return int(min(max(garbageBudget*100/live, gcPercentLeast), gcPercentMost))
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
