package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// v2Rule is the rule DuckDB's SQL ports.
const v2Rule = "rules/foci/v2.yaml"

// v2AgainstDuckDB times detect run of V2 over rows generated rows at each size against DuckDB
// running it as SQL (duckdb, the binary of cmd/bench/duckdb; empty: detect alone), in turns, and
// prints wall, CPU, peak RSS and CPU per row of each, their ratios, and how CPU per row grows from
// the first size to the last. DuckDB checks in every first round that its alerts are detect's.
func v2AgainstDuckDB(sizes []int, runs int, detect, duckdb string, in inputs) error {
	type measured struct {
		rows         int
		input        string
		detect, duck sample
		detectPerRow float64 // CPU ns per row
		duckPerRow   float64
	}
	var all []measured
	for _, rows := range sizes {
		input, mb, err := in.file(rows)
		if err != nil {
			return err
		}
		alerts := filepath.Join(os.TempDir(), fmt.Sprintf("bench-v2-%d-%d.ndjson", rows, os.Getpid()))
		defer os.Remove(alerts)
		sides := []side{{{name: detect, args: []string{"run", "--rule", v2Rule, "--now", "latest", input}, saveTo: alerts}}}
		if duckdb != "" {
			sides = append(sides, side{{name: duckdb, args: []string{"-clients", "rules/foci/foci-clients.csv", "-check", alerts, input}}})
		}
		samples, err := inTurns(runs, sides...)
		if err != nil {
			return err
		}
		saved, err := os.ReadFile(alerts)
		if err != nil {
			return err
		}
		m := measured{rows: rows, input: input, detect: medianOf(samples[0])}
		m.detectPerRow = float64(m.detect.cpu.Nanoseconds()) / float64(rows)
		fmt.Printf("V2 over %d rows (%.0f MB, %s), medians of %d runs taken in turns:\n", rows, mb, input, runs)
		fmt.Printf("  detect %s  %5.2f µs cpu/row  (wall %s)  %d alerts\n", m.detect, m.detectPerRow/1e3, spread(samples[0]), bytes.Count(saved, []byte("\n")))
		if duckdb != "" {
			m.duck = medianOf(samples[1])
			m.duckPerRow = float64(m.duck.cpu.Nanoseconds()) / float64(rows)
			fmt.Printf("  DuckDB %s  %5.2f µs cpu/row  (wall %s)  the same alerts, in every column V2 projects\n", m.duck, m.duckPerRow/1e3, spread(samples[1]))
			fmt.Printf("  detect/DuckDB: %s (target: at most 0.8 wall, below 1 peak RSS)\n", ratio(m.detect, m.duck))
		}
		all = append(all, m)
	}
	if len(all) > 1 {
		first, last := all[0], all[len(all)-1]
		fmt.Printf("CPU per row at %d rows over that at %d: detect %.2f", last.rows, first.rows, last.detectPerRow/first.detectPerRow)
		if duckdb != "" {
			fmt.Printf(", DuckDB %.2f", last.duckPerRow/first.duckPerRow)
		}
		fmt.Printf(" (target for detect: at most 1.15)\n")
		return perRowInTurns(first.rows, first.input, last.rows, last.input, runs, detect)
	}
	return nil
}

// perRowInTurns times detect run of V2 over the small file (several times, so that its side is not
// a moment's sample) and over the large one in turns, and prints the median over the rounds of
// CPU per row at the large size over that at the small. Each size's medians above come from
// minutes apart, and the load of a shared machine changes in minutes: one run gave 1.30 from a
// quiet 100k measure and a busy 3M one, DuckDB's own ratio rising with it.
func perRowInTurns(small int, smallInput string, large int, largeInput string, runs int, detect string) error {
	if err := warm(smallInput); err != nil {
		return err
	}
	v2 := func(input string) command {
		return command{name: detect, args: []string{"run", "-q", "--rule", v2Rule, "--now", "latest", input}}
	}
	times := min(5, max(1, large/small))
	var smallSide side
	for range times {
		smallSide = append(smallSide, v2(smallInput))
	}
	samples, err := inTurns(runs, smallSide, side{v2(largeInput)})
	if err != nil {
		return err
	}
	fmt.Printf("  round by round (V2 over %d rows %d times, then over %d, in %d rounds): detect %.2f\n", small, times, large, runs,
		roundByRound(cpuPerRow(samples[1], large), cpuPerRow(samples[0], small*times)))
	return nil
}

// cpuPerRow is the CPU time of each sample over rows.
func cpuPerRow(samples []sample, rows int) []time.Duration {
	out := make([]time.Duration, len(samples))
	for i, s := range samples {
		out[i] = s.cpu / time.Duration(rows)
	}
	return out
}

// signInRules are the shipped rules over sign-in logs: those of rules/foci and rules/entra (their
// .test.yaml cases aside), the FOCI ones first.
func signInRules(dir string) (foci, all []string, err error) {
	for _, sub := range []string{"foci", "entra"} {
		files, err := filepath.Glob(filepath.Join(dir, sub, "*.yaml"))
		if err != nil {
			return nil, nil, err
		}
		files = slices.DeleteFunc(files, func(f string) bool { return strings.HasSuffix(f, ".test.yaml") })
		if sub == "foci" {
			foci = files
		}
		all = append(all, files...)
	}
	if len(foci) == 0 {
		return nil, nil, fmt.Errorf("no rules in %s/foci", dir)
	}
	return foci, all, nil
}

// rulesTogether times, in turns over rows generated rows, the sign-in rules in one run against the
// sum of each run alone, and the FOCI rules in one run against V2 alone.
func rulesTogether(rows, runs int, detect, rulesDir string, in inputs) error {
	input, mb, err := in.file(rows)
	if err != nil {
		return err
	}
	foci, all, err := signInRules(rulesDir)
	if err != nil {
		return err
	}
	run := func(rules ...string) command {
		args := []string{"run", "-q"}
		for _, r := range rules {
			args = append(args, "--rule", r)
		}
		return command{name: detect, args: append(args, "--now", "latest", input)}
	}
	together, focis, v2 := side{run(all...)}, side{run(foci...)}, side{run(v2Rule)}
	var alone side
	for _, r := range all {
		alone = append(alone, run(r))
	}
	samples, err := inTurns(runs, together, alone, focis, v2)
	if err != nil {
		return err
	}
	t, a, f, v := medianOf(samples[0]), medianOf(samples[1]), medianOf(samples[2]), medianOf(samples[3])
	fmt.Printf("rules over %d rows (%.0f MB), medians of %d runs taken in turns:\n", rows, mb, runs)
	fmt.Printf("  %2d sign-in rules in one run   %s\n", len(all), t)
	fmt.Printf("  %2d sign-in rules one by one   %s  (sum; peak RSS: the highest)\n", len(all), a)
	fmt.Printf("  %2d FOCI rules in one run      %s\n", len(foci), f)
	fmt.Printf("     V2 alone                   %s\n", v)
	fmt.Printf("  together/one by one: %s (target: at most 0.5 wall)\n", ratio(t, a))
	fmt.Printf("  FOCI rules/V2 alone: %s (target: at most 1.5 wall)\n", ratio(f, v))
	return nil
}

// streamAgainstBatch times, in turns over rows generated rows, V2 streaming the file against a
// batch run of it.
func streamAgainstBatch(rows, runs int, detect string, in inputs) error {
	input, mb, err := in.file(rows)
	if err != nil {
		return err
	}
	batch := side{{name: detect, args: []string{"run", "-q", "--rule", v2Rule, "--now", "latest", input}}}
	stream := side{{name: detect, args: []string{"run", "-q", "--rule", v2Rule, "--stream", input}}}
	samples, err := inTurns(runs, batch, stream)
	if err != nil {
		return err
	}
	b, s := medianOf(samples[0]), medianOf(samples[1])
	fmt.Printf("V2 streaming against a batch run over %d rows (%.0f MB), medians of %d runs taken in turns:\n", rows, mb, runs)
	fmt.Printf("  batch  %s\n  stream %s\n", b, s)
	fmt.Printf("  stream/batch: %s (target: at most 1.1 wall); round by round: %.2f wall\n", ratio(s, b), roundByRound(walls(samples[1]), walls(samples[0])))
	return nil
}
