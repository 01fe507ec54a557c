package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
)

// sample is what one or more child processes cost: wall and CPU (user+sys) time summed, and the
// highest peak RSS of any of them (from its rusage, so the process's own).
type sample struct {
	wall, cpu time.Duration
	rss       int64 // bytes
}

func (s sample) plus(o sample) sample {
	return sample{s.wall + o.wall, s.cpu + o.cpu, max(s.rss, o.rss)}
}

// command is one child process to time.
type command struct {
	name string
	args []string
	// saveTo, when set, is the file the child's standard output of the first round is written to
	// (detect's alerts, which DuckDB's -check of the same round then reads).
	saveTo string
}

// timeCommand runs c, its standard output kept only when asked for, and tells what it cost.
func timeCommand(c command, keep bool) (sample, []byte, error) {
	cmd := exec.Command(c.name, c.args...)
	var stdout, stderr bytes.Buffer
	if keep {
		cmd.Stdout = &stdout
	}
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return sample{}, nil, fmt.Errorf("%s %s: %w\n%s", c.name, strings.Join(c.args, " "), err, stderr.String())
	}
	wall := time.Since(start)
	usage := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
	return sample{wall, cpu, usage.Maxrss * 1024}, stdout.Bytes(), nil
}

// side is what one side of a comparison runs in each round: one command, or several whose costs
// are summed (the 11 rules run one by one).
type side []command

// inTurns runs every side once per round, the sides one after the other, for runs rounds (so that
// what else the shared machine does weighs on all sides alike), and returns each side's samples.
func inTurns(runs int, sides ...side) ([][]sample, error) {
	samples := make([][]sample, len(sides))
	for round := range runs {
		for i, s := range sides {
			var total sample
			for _, c := range s {
				keep := round == 0 && c.saveTo != ""
				got, out, err := timeCommand(c, keep)
				if err != nil {
					return nil, err
				}
				if keep {
					if err := os.WriteFile(c.saveTo, out, 0o644); err != nil {
						return nil, err
					}
				}
				total = total.plus(got)
			}
			samples[i] = append(samples[i], total)
		}
	}
	return samples, nil
}

// medianOf is the median wall, CPU and peak RSS of samples, each taken alone.
func medianOf(samples []sample) sample {
	var walls, cpus []time.Duration
	var rss []int64
	for _, s := range samples {
		walls, cpus, rss = append(walls, s.wall), append(cpus, s.cpu), append(rss, s.rss)
	}
	slices.Sort(rss)
	return sample{median(walls), median(cpus), (rss[(len(rss)-1)/2] + rss[len(rss)/2]) / 2}
}

// median is the middle of ds (the mean of the two middle ones for an even count).
func median(ds []time.Duration) time.Duration {
	sorted := slices.Sorted(slices.Values(ds))
	n := len(sorted)
	return (sorted[(n-1)/2] + sorted[n/2]) / 2
}

// roundByRound is the median over the rounds of a's time over b's in the same round: a load
// that comes and goes between rounds weighs on both sides of a round alike, and drops out of the
// round's ratio, where it shifts the two medians apart.
func roundByRound(a, b []time.Duration) float64 {
	ratios := make([]float64, len(a))
	for i := range a {
		ratios[i] = a[i].Seconds() / b[i].Seconds()
	}
	slices.Sort(ratios)
	n := len(ratios)
	return (ratios[(n-1)/2] + ratios[n/2]) / 2
}

// walls is the wall time of each sample.
func walls(samples []sample) []time.Duration {
	out := make([]time.Duration, len(samples))
	for i, s := range samples {
		out[i] = s.wall
	}
	return out
}

// spread is the lowest and highest wall time of samples.
func spread(samples []sample) string {
	lo, hi := samples[0].wall, samples[0].wall
	for _, s := range samples {
		lo, hi = min(lo, s.wall), max(hi, s.wall)
	}
	return fmt.Sprintf("%.2f-%.2fs", lo.Seconds(), hi.Seconds())
}

func (s sample) String() string {
	return fmt.Sprintf("%6.2fs wall %6.2fs cpu %6.0f MB", s.wall.Seconds(), s.cpu.Seconds(), float64(s.rss)/1e6)
}

// ratio is a's wall, CPU and peak RSS over b's.
func ratio(a, b sample) string {
	return fmt.Sprintf("%.2f wall, %.2f cpu, %.2f peak RSS", a.wall.Seconds()/b.wall.Seconds(),
		a.cpu.Seconds()/b.cpu.Seconds(), float64(a.rss)/float64(b.rss))
}
