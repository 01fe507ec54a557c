package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// cpuTicks are the machine's CPU time counters of /proc/stat's first line (all CPUs): the total,
// and steal, the time the hypervisor gave this virtual machine's CPUs to other guests. A shared
// machine's steal moves every ratio the bench prints, unevenly between the two sides (a run of V2
// over 100k rows took 0.25 s at no steal and 0.69 s at 38%), so each measure says how much there
// was.
type cpuTicks struct{ total, steal uint64 }

// readCPUTicks reads /proc/stat; ok is false where there is none (not Linux) or it has no steal.
func readCPUTicks() (t cpuTicks, ok bool) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return t, false
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil {
		return t, false
	}
	return parseCPUTicks(line)
}

// parseCPUTicks reads the "cpu" line of /proc/stat: user nice system idle iowait irq softirq steal
// (guest times, which follow, are counted in user and nice already).
func parseCPUTicks(line string) (t cpuTicks, ok bool) {
	fields := strings.Fields(line)
	if len(fields) < 9 || fields[0] != "cpu" {
		return t, false
	}
	for i, field := range fields[1:9] {
		n, err := strconv.ParseUint(field, 10, 64)
		if err != nil {
			return t, false
		}
		t.total += n
		if i == 7 {
			t.steal = n
		}
	}
	return t, true
}

// stealNote is what share of the machine's CPU time from before to after was stolen, as a line
// to print after a measure ("" when it cannot be told).
func stealNote(before, after cpuTicks) string {
	total := after.total - before.total
	if total == 0 {
		return ""
	}
	share := float64(after.steal-before.steal) / float64(total)
	note := fmt.Sprintf("  steal: %.0f%% of the machine's CPU time went to other guests of its host during this measure", 100*share)
	if share >= 0.05 {
		note += " (its ratios are not this machine's alone)"
	}
	return note
}
