// Command bench measures detect as a user runs it (a separate process each time, so that its peak
// RSS is its own), always against a baseline timed in turns with it, as the machine is shared:
//
//   - V2 over generated rows at each of -sizes against DuckDB running V2 as SQL over the same file
//     (-duckdb, the binary of cmd/bench/duckdb, which also checks that its alerts are detect's):
//     wall, CPU, peak RSS, CPU per row, their ratios, and how CPU per row grows with the input;
//   - the sign-in rules (rules/foci, rules/entra) in one run against the sum of each run alone, and
//     the FOCI rules in one run against V2 alone;
//   - V2 streaming the file (--stream) against a batch run of it;
//   - V2 against the floor of reading the input: one pass of gjson.Valid over every line on all
//     cores;
//   - with -hunt-n, detect hunt of V2 every hour against one detect run over the same rows.
//
// Inputs are generated with cmd/gen once and cached in -dir. Each measure takes the medians of
// -runs rounds (the stream and floor measures, of -short-runs). Each input is read once before its
// rounds, so that every round finds it in the page cache as far as the memory holds it (the first
// round, detect's, would otherwise read it from the disk alone).
//
// Usage:
//
//	bench [-measures v2,rules,stream,floor] [-n ROWS] [-sizes ROWS,...] [-runs N] [-short-runs N] [-duckdb BINARY] [-rules DIR] [-detect BINARY]
//	      [-gen BINARY] [-dir DIR] [-columns A,B,...] [-hunt-n ROWS] [-hunt-span DURATION]
//	      [-hunt-every TIMESPAN] [-hunt-runs N]
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tidwall/gjson"
)

func main() {
	rows := flag.Int("n", 100000, "rows of the rules, stream and floor measures")
	sizes := flag.String("sizes", "100000,1000000", "rows V2 runs over against DuckDB, comma- or space-separated (none: skip)")
	runs := flag.Int("runs", 3, "rounds of each measure; the medians are kept")
	shortRuns := flag.Int("short-runs", 9, "rounds of the stream and floor measures: two runs of a third of a second each, whose ratio a shared machine's load bends more than the others'")
	duckdb := flag.String("duckdb", "", "the binary of cmd/bench/duckdb (V2 as SQL in DuckDB); empty: detect's side alone")
	rules := flag.String("rules", "rules", "the folder of the shipped rules")
	detect := flag.String("detect", "bin/detect", "the detect binary")
	gen := flag.String("gen", "bin/gen", "the generator binary")
	dir := flag.String("dir", ".bench", "where generated inputs are cached")
	columns := flag.String("columns", "", "generate only these columns (comma-separated; cmd/gen -columns): the same rows, narrower")
	measures := flag.String("measures", "v2,rules,stream,floor", "which measures to take, comma- or space-separated: v2 (against DuckDB), rules, stream, floor")
	huntRows := flag.Int("hunt-n", 0, "rows over -hunt-span to hunt the rule over every -hunt-every, against one run over them (0: no hunt)")
	huntSpan := flag.Duration("hunt-span", 30*24*time.Hour, "the span of the hunt's rows")
	huntEvery := flag.String("hunt-every", "1h", "how often the hunt evaluates the rule")
	huntRuns := flag.Int("hunt-runs", 3, "times to time the hunt and the run, taken in turns; the median is kept")
	floorOf := flag.String("floor-of", "", "(internal) time the floor of reading this file and print it")
	flag.Parse()
	if *floorOf != "" {
		floor, err := floorSeconds(*floorOf)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: %v\n", err)
			os.Exit(1)
		}
		fmt.Println(floor)
		return
	}
	in := inputs{gen: *gen, dir: *dir, columns: *columns}
	n := max(*runs, 1)
	steps := map[string]func() error{
		"v2": func() error {
			sizes, err := parseSizes(*sizes)
			if err != nil || len(sizes) == 0 {
				return err
			}
			return v2AgainstDuckDB(sizes, n, *detect, *duckdb, in)
		},
		"rules":  func() error { return rulesTogether(*rows, n, *detect, *rules, in) },
		"stream": func() error { return streamAgainstBatch(*rows, max(*shortRuns, 1), *detect, in) },
		"floor":  func() error { return againstFloor(*rows, max(*shortRuns, 1), v2Rule, *detect, in) },
	}
	var chosen []func() error
	for _, name := range strings.FieldsFunc(*measures, func(r rune) bool { return r == ',' || r == ' ' }) {
		step, ok := steps[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "bench: -measures: no measure %q (v2, rules, stream, floor)\n", name)
			os.Exit(2)
		}
		chosen = append(chosen, step)
	}
	if *huntRows > 0 {
		chosen = append(chosen, func() error {
			return huntVsRun(*huntRows, *huntSpan, *huntEvery, max(*huntRuns, 1), v2Rule, *detect, in)
		})
	}
	for _, step := range chosen {
		before, known := readCPUTicks()
		if err := step(); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %v\n", err)
			os.Exit(1)
		}
		if after, ok := readCPUTicks(); known && ok {
			if note := stealNote(before, after); note != "" {
				fmt.Println(note)
			}
		}
	}
}

// parseSizes reads a list of row counts separated by commas or spaces.
func parseSizes(list string) ([]int, error) {
	var sizes []int
	for _, f := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' }) {
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("-sizes: %q is not a number of rows", f)
		}
		sizes = append(sizes, n)
	}
	return sizes, nil
}

// inputs are the generated files, made with gen once and cached in dir; with columns, only those
// columns are written.
type inputs struct {
	gen, dir, columns string
}

// file is the file of rows generated rows over cmd/gen's default span, and its size in MB.
func (in inputs) file(rows int) (string, float64, error) {
	path, err := in.generated(rows, 0)
	if err != nil {
		return "", 0, err
	}
	info, err := os.Stat(path)
	if err != nil {
		return "", 0, err
	}
	return path, float64(info.Size()) / 1e6, warm(path)
}

// warm reads the file at path once, into the page cache.
func warm(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(io.Discard, f)
	return err
}

// generated is the file of rows generated rows over span (cmd/gen's default span when 0). It is
// written to a temporary name and renamed once whole, so that a bench running beside this one
// never reads half a file.
func (in inputs) generated(rows int, span time.Duration) (string, error) {
	name := fmt.Sprintf("signins-%d", rows)
	args := []string{"-n", fmt.Sprint(rows)}
	if span > 0 {
		name += "-" + span.String()
		args = append(args, "-span", span.String())
	}
	if in.columns != "" {
		name += fmt.Sprintf("-%dcols", len(strings.Split(in.columns, ",")))
		args = append(args, "-columns", in.columns)
	}
	input := filepath.Join(in.dir, name+".ndjson")
	if _, err := os.Stat(input); err == nil {
		return input, nil
	}
	if err := os.MkdirAll(in.dir, 0o755); err != nil {
		return "", err
	}
	fmt.Printf("generating %d rows into %s\n", rows, input)
	tmp := fmt.Sprintf("%s.%d.tmp", input, os.Getpid())
	cmd := exec.Command(in.gen, append(args, "-o", tmp)...)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("%s: %w", in.gen, err)
	}
	return input, os.Rename(tmp, input)
}

// allDates is a --future-skew that no generated row's date passes (100 years).
const allDates = "876000h"

// huntVsRun times detect hunt of the rule every huntEvery over rows spread over span against one
// detect run of it over the same file, taken in turns so that what else the machine does weighs
// on both alike, and prints the medians and their ratios.
func huntVsRun(rows int, span time.Duration, every string, runs int, rule, detect string, in inputs) error {
	input, err := in.generated(rows, span)
	if err == nil {
		err = warm(input)
	}
	if err != nil {
		return err
	}
	// The generated rows start on a fixed day, so a month of them may reach past today: both sides
	// take them all, whatever the date the bench runs on.
	anyDate := "--future-skew=" + allDates
	samples, err := inTurns(runs,
		side{{name: detect, args: []string{"run", "-q", anyDate, "--rule", rule, "--now", "latest", input}}},
		side{{name: detect, args: []string{"hunt", "-q", anyDate, "--rule", rule, "--every", every, input}}})
	if err != nil {
		return err
	}
	r, h := medianOf(samples[0]), medianOf(samples[1])
	fmt.Printf("hunt:   %s every %s over %d rows spread over %s (%s), medians of %d runs taken in turns:\n", rule, every, rows, span, input, runs)
	fmt.Printf("        run  %s\n        hunt %s\n", r, h)
	fmt.Printf("ratio:  hunt/run = %s (target: at most 3 wall)\n", ratio(h, r))
	return nil
}

// againstFloor times detect run of the rule over rows generated rows and the floor of reading
// them, in turns, and prints records/s, MB/s and the ratio engine/floor.
func againstFloor(rows, runs int, rule, detect string, in inputs) error {
	input, mb, err := in.file(rows)
	if err != nil {
		return err
	}
	engine := command{name: detect, args: []string{"run", "-q", "--rule", rule, "--now", "latest", input}}
	var samples []sample
	var floors, floorCPUs []time.Duration
	for range runs {
		got, _, err := timeCommand(engine, false)
		if err != nil {
			return err
		}
		samples = append(samples, got)
		floor, floorCPU, err := floorInChild(input)
		if err != nil {
			return err
		}
		floors, floorCPUs = append(floors, floor), append(floorCPUs, floorCPU)
	}
	e, floor := medianOf(samples), median(floors)
	engineMBs := mb / e.wall.Seconds()
	floorMBs := mb / floor.Seconds()
	fmt.Printf("V2 against the floor of reading %d rows (%.0f MB), medians of %d runs taken in turns:\n", rows, mb, runs)
	fmt.Printf("  engine: %s (wall %s, %.1f cores), %.0f records/s, %.0f MB/s, peak RSS %.0f%% of input\n",
		e, spread(samples), e.cpu.Seconds()/e.wall.Seconds(), float64(rows)/e.wall.Seconds(), engineMBs,
		100*float64(e.rss)/(mb*1e6))
	floorCPU := median(floorCPUs)
	fmt.Printf("  floor:  gjson.Valid over every line on %d cores: %.2fs (%.2f-%.2fs), %.0f MB/s; %.2fs cpu, reading the file too\n",
		runtime.NumCPU(), floor.Seconds(), slices.Min(floors).Seconds(), slices.Max(floors).Seconds(), floorMBs, floorCPU.Seconds())
	fmt.Printf("  engine/floor = %.2f in MB/s (target: at least 0.8; round by round: %.2f); floor/engine = %.2f in CPU time\n",
		engineMBs/floorMBs, roundByRound(floors, walls(samples)), floorCPU.Seconds()/e.cpu.Seconds())
	return nil
}

// floorInChild times the floor over path in a child process (this program with -floor-of), and
// tells its wall time (reading the file aside) and its CPU time (all of it): a child's peak RSS
// counts the highest RSS of the process that started it (exec keeps the old memory's high-water
// mark), so this one never holds an input.
func floorInChild(path string) (wall, cpu time.Duration, err error) {
	self, err := os.Executable()
	if err != nil {
		return 0, 0, err
	}
	cmd := exec.Command(self, "-floor-of", path)
	out, err := cmd.Output()
	if err != nil {
		return 0, 0, fmt.Errorf("the floor of %s: %w", path, err)
	}
	usage := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	wall, err = time.ParseDuration(strings.TrimSpace(string(out)))
	return wall, time.Duration(usage.Utime.Nano() + usage.Stime.Nano()), err
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
