package main

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The rules measure promises the 11 shipped sign-in rules, the 8 FOCI ones among them, and never a
// rule's test cases.
func TestSignInRulesAreTheShippedOnes(t *testing.T) {
	foci, all, err := signInRules(filepath.Join("..", "..", "rules"))
	if err != nil {
		t.Fatal(err)
	}
	if len(foci) != 8 || len(all) != 11 {
		t.Fatalf("got %d FOCI rules of %d, want 8 of 11: %v", len(foci), len(all), all)
	}
	if !slices.Contains(foci, filepath.Join("..", "..", v2Rule)) || !slices.Equal(all[:8], foci) {
		t.Errorf("the FOCI rules should come first and hold V2: %v", all)
	}
	for _, r := range all {
		if filepath.Ext(filepath.Base(r[:len(r)-len(".yaml")])) == ".test" {
			t.Errorf("%s is a rule's test cases", r)
		}
	}
}

// Medians are taken of each quantity alone: the median wall and the median peak RSS may come from
// different rounds.
func TestMedianOfTakesEachQuantityAlone(t *testing.T) {
	got := medianOf([]sample{
		{wall: 3 * time.Second, cpu: 1 * time.Second, rss: 300},
		{wall: 1 * time.Second, cpu: 5 * time.Second, rss: 100},
		{wall: 2 * time.Second, cpu: 2 * time.Second, rss: 900},
	})
	want := sample{wall: 2 * time.Second, cpu: 2 * time.Second, rss: 300}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if even := median([]time.Duration{4, 1, 3, 2}); even != 2 {
		t.Errorf("the median of 1..4 is %d, want 2 (the mean of 2 and 3, in whole nanoseconds)", even)
	}
}

// A round-by-round ratio pairs each round's two sides: a round the whole machine slowed weighs on
// neither, where the medians of each side alone come from different rounds.
func TestRoundByRoundPairsTheRounds(t *testing.T) {
	a := []time.Duration{10, 40, 11, 12, 44} // slowed in rounds 2 and 5, as b was
	b := []time.Duration{10, 40, 10, 10, 40}
	if got := roundByRound(a, b); math.Abs(got-1.1) > 1e-9 {
		t.Errorf("round by round: %.3f, want 1.1 (the median of 1, 1, 1.1, 1.2, 1.1)", got)
	}
	if ofMedians := median(a).Seconds() / median(b).Seconds(); math.Abs(ofMedians-1.1) < 1e-9 {
		t.Errorf("the medians' ratio is the round-by-round one, %.3f: the case shows nothing", ofMedians)
	}
}

func TestParseSizes(t *testing.T) {
	got, err := parseSizes("100000 1000000,3000000")
	if err != nil || !slices.Equal(got, []int{100000, 1000000, 3000000}) {
		t.Errorf("got %v, %v", got, err)
	}
	if _, err := parseSizes("100k"); err == nil {
		t.Error("100k should be refused")
	}
}

// CPU per row divides each round's CPU time by the rows of its side: the small file's side runs it
// several times, so its rows are the file's times that.
func TestCPUPerRowIsEachRoundsOwn(t *testing.T) {
	small := []sample{{cpu: 5 * 500 * time.Millisecond}, {cpu: 5 * 700 * time.Millisecond}}
	large := []sample{{cpu: 15 * time.Second}, {cpu: 21 * time.Second}}
	got := roundByRound(cpuPerRow(large, 3_000_000), cpuPerRow(small, 5*100_000))
	if math.Abs(got-1) > 1e-9 {
		t.Errorf("got %.3f, want 1: each round's 3M run costs per row what its five 100k runs do", got)
	}
	if per := cpuPerRow(large, 3_000_000); per[0] != 5*time.Microsecond || per[1] != 7*time.Microsecond {
		t.Errorf("CPU per row %v, want [5µs 7µs]", per)
	}
}

// Steal is read from /proc/stat's cpu line, the eighth counter, out of the first eight (the guest
// counters after them are in user and nice already).
func TestStealIsTheEighthCounter(t *testing.T) {
	before, ok := parseCPUTicks("cpu  100 0 50 800 10 0 5 35 7 0")
	after, ok2 := parseCPUTicks("cpu  150 0 70 830 10 0 5 135 9 0")
	if !ok || !ok2 || before.steal != 35 || before.total != 1000 {
		t.Fatalf("got %+v %v, want steal 35 of 1000", before, ok)
	}
	if note := stealNote(before, after); !strings.Contains(note, "steal: 50%") || !strings.Contains(note, "not this machine's alone") {
		t.Errorf("100 stolen of 200 ticks: %q", note)
	}
	if _, ok := parseCPUTicks("cpu0 1 2 3 4 5 6 7 8"); ok {
		t.Error("a single CPU's line is not the machine's")
	}
	if note := stealNote(after, after); note != "" {
		t.Errorf("no time passed, yet %q", note)
	}
}
