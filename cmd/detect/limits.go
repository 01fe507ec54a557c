package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// sizeFlag is a byte count given as 16GB, 500MB, 64KB or a plain number of bytes.
type sizeFlag int64

func (s *sizeFlag) String() string {
	n := int64(*s)
	for _, u := range sizeUnits {
		if n >= u.bytes && n%u.bytes == 0 {
			return strconv.FormatInt(n/u.bytes, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10)
}

func (s *sizeFlag) Set(text string) error {
	text = strings.ToUpper(strings.TrimSpace(text))
	scale := int64(1)
	for _, u := range sizeUnits {
		if number, ok := strings.CutSuffix(text, u.name); ok {
			text, scale = strings.TrimSpace(number), u.bytes
			break
		}
	}
	n, err := strconv.ParseFloat(text, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("want a size such as 16GB, 500MB or a number of bytes")
	}
	*s = sizeFlag(n * float64(scale))
	return nil
}

var sizeUnits = []struct {
	name  string
	bytes int64
}{{"TB", 1 << 40}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}}

// exitOutOfMemory is the exit status of a run stopped by memoryCeiling: neither success (0), a run
// that could not be done (1), nor --strict's rejected input (2).
const exitOutOfMemory = 3

// memoryCeiling is the memory (bytes the Go runtime holds from the system, less what it has
// returned) past which watchMemory stops the process; --max-memory sets it.
var memoryCeiling atomic.Int64

// watchMemory stops the process with exitOutOfMemory, and a message, when it holds more than
// memoryCeiling: failing cleanly before the kernel kills it, or before the Go runtime's own out
// of memory crash, whose exit status (2) is the one of --strict.
func watchMemory() {
	memoryCeiling.Store(defaultMemoryCeiling())
	samples := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	go func() {
		for range time.Tick(50 * time.Millisecond) {
			metrics.Read(samples)
			held := int64(samples[0].Value.Uint64() - samples[1].Value.Uint64())
			if ceiling := memoryCeiling.Load(); ceiling > 0 && held > ceiling {
				fmt.Fprintf(os.Stderr, "\ndetect: out of memory: the process holds %d MB, over its limit of %d MB (--max-memory); stopped\n", held>>20, ceiling>>20)
				os.Exit(exitOutOfMemory)
			}
		}
	}()
}

// defaultMemoryCeiling is three quarters of the memory the process may use: the machine's, or
// its container's (cgroup v2 memory.max) when lower; 0 (no ceiling) when neither can be read.
func defaultMemoryCeiling() int64 {
	limit := int64(0)
	if f, err := os.Open("/proc/meminfo"); err == nil {
		scanner := bufio.NewScanner(f)
		for scanner.Scan() {
			if rest, ok := strings.CutPrefix(scanner.Text(), "MemTotal:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
				limit = kb << 10
			}
		}
		f.Close()
	}
	if data, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64); err == nil && (limit == 0 || n < limit) {
			limit = n
		}
	}
	return limit / 4 * 3
}
