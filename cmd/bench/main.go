// Command bench measures `detect run` against the floor of what reading the same input costs,
// and (with -hunt-n) `detect hunt` against one `detect run` over the same rows.
//
// It generates N rows with cmd/gen once (cached under .bench/), runs the built detect binary
// with a rule over them as a user would (a separate process, so that its peak RSS is its own), and
// measures the floor: one pass of gjson.Valid over every line of the same file, on all cores. Each
// is timed several times and the median kept, as one run's timing varies with what else the
// machine does. It prints records/s, MB/s, peak RSS and alerts for the engine, MB/s for the floor,
// and the ratio engine/floor.
//
// Usage:
//
//	bench [-n ROWS] [-runs N] [-rule FILE] [-detect BINARY] [-gen BINARY] [-dir DIR]
//	      [-hunt-n ROWS] [-hunt-span DURATION] [-hunt-every TIMESPAN] [-hunt-runs N]
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tidwall/gjson"
)

func main() {
	rows := flag.Int("n", 100000, "rows to generate and run over")
	runs := flag.Int("runs", 5, "times to time the engine and the floor; the median is kept")
	rule := flag.String("rule", "rules/foci/v2.yaml", "the rule to run")
	detect := flag.String("detect", "bin/detect", "the detect binary")
	gen := flag.String("gen", "bin/gen", "the generator binary")
	dir := flag.String("dir", ".bench", "where generated inputs are cached")
	huntRows := flag.Int("hunt-n", 0, "rows over -hunt-span to hunt the rule over every -hunt-every, against one run over them (0: no hunt)")
	huntSpan := flag.Duration("hunt-span", 30*24*time.Hour, "the span of the hunt's rows")
	huntEvery := flag.String("hunt-every", "1h", "how often the hunt evaluates the rule")
	huntRuns := flag.Int("hunt-runs", 3, "times to time the hunt and the run, taken in turns; the median is kept")
	flag.Parse()
	err := run(*rows, max(*runs, 1), *rule, *detect, *gen, *dir)
	if err == nil && *huntRows > 0 {
		err = huntVsRun(*huntRows, *huntSpan, *huntEvery, max(*huntRuns, 1), *rule, *detect, *gen, *dir)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

// generated is the file of rows generated rows over span (cmd/gen's default span when 0), made
// once and cached in dir.
func generated(gen, dir string, rows int, span time.Duration) (string, error) {
	name := fmt.Sprintf("signins-%d.ndjson", rows)
	args := []string{"-n", fmt.Sprint(rows)}
	if span > 0 {
		name = fmt.Sprintf("signins-%d-%s.ndjson", rows, span)
		args = append(args, "-span", span.String())
	}
	input := filepath.Join(dir, name)
	if _, err := os.Stat(input); err == nil {
		return input, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	fmt.Printf("generating %d rows into %s\n", rows, input)
	cmd := exec.Command(gen, append(args, "-o", input+".tmp")...)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s: %w", gen, err)
	}
	return input, os.Rename(input+".tmp", input)
}

// timed runs the detect binary with args, its alerts thrown away, and tells its wall and CPU
// time.
func timed(detect string, args ...string) (wall, cpu time.Duration, err error) {
	cmd := exec.Command(detect, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, 0, fmt.Errorf("%s %s: %w\n%s", detect, strings.Join(args, " "), err, stderr.String())
	}
	wall = time.Since(start)
	usage := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return wall, time.Duration(usage.Utime.Nano() + usage.Stime.Nano()), nil
}

// huntVsRun times detect hunt of the rule every huntEvery over rows spread over span against one
// detect run of it over the same file, taken in turns so that what else the machine does weighs
// on both alike, and prints the medians and their ratios.
func huntVsRun(rows int, span time.Duration, every string, runs int, rule, detect, gen, dir string) error {
	input, err := generated(gen, dir, rows, span)
	if err != nil {
		return err
	}
	var runWalls, runCPUs, huntWalls, huntCPUs []time.Duration
	for range runs {
		wall, cpu, err := timed(detect, "run", "-q", "--rule", rule, "--now", "latest", input)
		if err != nil {
			return err
		}
		runWalls, runCPUs = append(runWalls, wall), append(runCPUs, cpu)
		if wall, cpu, err = timed(detect, "hunt", "-q", "--rule", rule, "--every", every, input); err != nil {
			return err
		}
		huntWalls, huntCPUs = append(huntWalls, wall), append(huntCPUs, cpu)
	}
	fmt.Printf("hunt:   %s every %s over %d rows spread over %s (%s), medians of %d runs taken in turns:\n", rule, every, rows, span, input, runs)
	fmt.Printf("        run  %.2fs wall, %.2fs cpu\n", median(runWalls).Seconds(), median(runCPUs).Seconds())
	fmt.Printf("        hunt %.2fs wall, %.2fs cpu\n", median(huntWalls).Seconds(), median(huntCPUs).Seconds())
	fmt.Printf("ratio:  hunt/run = %.2f wall, %.2f cpu (target: at most 3)\n",
		median(huntWalls).Seconds()/median(runWalls).Seconds(), median(huntCPUs).Seconds()/median(runCPUs).Seconds())
	return nil
}

func run(rows, runs int, rule, detect, gen, dir string) error {
	input, err := generated(gen, dir, rows, 0)
	if err != nil {
		return err
	}
	info, err := os.Stat(input)
	if err != nil {
		return err
	}
	mb := float64(info.Size()) / 1e6

	// The engine, as a user runs it; then the floor (before, this process would hold the input
	// when it starts the engine, whose peak RSS would then count it).
	var walls, cpus, floors []time.Duration
	var peakRSS int64
	alerts := 0
	for range runs {
		cmd := exec.Command(detect, "run", "--rule", rule, "--now", "latest", input)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		start := time.Now()
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %w\n%s", detect, err, stderr.String())
		}
		walls = append(walls, time.Since(start))
		usage := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		cpus = append(cpus, time.Duration(usage.Utime.Nano()+usage.Stime.Nano()))
		peakRSS = max(peakRSS, usage.Maxrss)
		alerts = strings.Count(stdout.String(), "\n")
	}
	for range runs {
		floor, err := floorSeconds(input)
		if err != nil {
			return err
		}
		floors = append(floors, floor)
	}
	wall, cpu, floor := median(walls), median(cpus), median(floors)
	engineMBs := mb / wall.Seconds()
	floorMBs := mb / floor.Seconds()
	fmt.Printf("input:  %d rows, %.0f MB (%s)\n", rows, mb, input)
	fmt.Printf("engine: %s: %.2fs wall (%.2f-%.2fs over %d runs), %.2fs cpu (%.1f cores), %.0f records/s, %.0f MB/s, peak RSS %.0f MB (%.0f%% of input), %d alerts\n",
		rule, wall.Seconds(), slices.Min(walls).Seconds(), slices.Max(walls).Seconds(), runs, cpu.Seconds(), cpu.Seconds()/wall.Seconds(),
		float64(rows)/wall.Seconds(), engineMBs, float64(peakRSS)/1024, 100*float64(peakRSS)*1024/float64(info.Size()), alerts)
	fmt.Printf("floor:  gjson.Valid over every line on %d cores: %.2fs (%.2f-%.2fs), %.0f MB/s\n", runtime.NumCPU(), floor.Seconds(),
		slices.Min(floors).Seconds(), slices.Max(floors).Seconds(), floorMBs)
	fmt.Printf("ratio:  engine/floor = %.2f (medians)\n", engineMBs/floorMBs)
	return nil
}

// median is the middle of ds (the mean of the two middle ones for an even count).
func median(ds []time.Duration) time.Duration {
	sorted := slices.Sorted(slices.Values(ds))
	n := len(sorted)
	return (sorted[(n-1)/2] + sorted[n/2]) / 2
}

// floorSeconds times one pass of gjson.Valid over every line of the file, the lines shared among
// as many goroutines as there are cores; the file is read once before, so that both runs find it
// in the page cache.
func floorSeconds(path string) (time.Duration, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	workers := runtime.NumCPU()
	chunks := splitLines(data, workers)
	start := time.Now()
	var wg sync.WaitGroup
	invalid := make([]int, workers)
	for i, chunk := range chunks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := bufio.NewScanner(bytes.NewReader(chunk))
			sc.Buffer(make([]byte, 1<<20), 64<<20)
			for sc.Scan() {
				if !gjson.ValidBytes(sc.Bytes()) {
					invalid[i]++
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	for _, n := range invalid {
		if n > 0 {
			return 0, fmt.Errorf("%s has invalid lines", path)
		}
	}
	return elapsed, nil
}

// splitLines cuts data into n pieces at line ends.
func splitLines(data []byte, n int) [][]byte {
	var out [][]byte
	for i := 0; i < n && len(data) > 0; i++ {
		size := len(data) / (n - i)
		if end := bytes.IndexByte(data[size:], '\n'); end >= 0 && i < n-1 {
			size += end + 1
		} else {
			size = len(data)
		}
		out = append(out, data[:size])
		data = data[size:]
	}
	return out
}
