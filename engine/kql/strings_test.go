package kql

import (
	"testing"
	"time"
)

// https://learn.microsoft.com/kusto/query/datatypes-string-operators: =~ and in~ ignore case,
// == and in do not; has matches whole terms (maximal runs of ASCII letters and digits), ignoring
// case unless it is has_cs.
func TestCaseInsensitiveEqualityAndMembership(t *testing.T) {
	cases := []struct {
		got, want bool
		what      string
	}{
		{EqualFold("SUCCESS", "success"), true, `"SUCCESS" =~ "success"`},
		{EqualFold("deviceCode", "DEVICECODE"), true, `"deviceCode" =~ "DEVICECODE"`},
		{EqualFold("deviceCode", "deviceCodes"), false, `"deviceCode" =~ "deviceCodes"`},
		{EqualFold("", ""), true, `"" =~ ""`},
		{EqualFold(nil, ""), false, `null =~ ""`},
		{InFold("Teams", NewFoldSet([]any{"teams", "Outlook"})), true, `"Teams" in~ ("teams", "Outlook")`},
		{InFold("TEAMS", []any{"teams"}), true, `"TEAMS" in~ dynamic(["teams"])`},
		{InFold("Word", NewFoldSet([]any{"teams", "Outlook"})), false, `"Word" in~ ("teams", "Outlook")`},
		{In("Teams", NewSet([]any{"teams"})), false, `"Teams" in ("teams")`},
		// A fold set given to in must not make in ignore case.
		{In("Teams", NewFoldSet([]any{"teams"})), false, `"Teams" in (fold set of "teams")`},
		{!In("Teams", NewSet([]any{"Outlook"})), true, `"Teams" !in ("Outlook")`},
		{!In("Teams", NewSet([]any{"teams"})), true, `"Teams" !in ("teams"): !in minds case`},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
}

func TestHasMatchesWholeTerms(t *testing.T) {
	cases := []struct {
		text, term string
		want, cs   bool
	}{
		{"North America", "america", true, false},
		{"North America", "meric", false, false},
		{"North America", "North", true, true},
		{"North America", "north", true, false},
		{"Kusto: ad67d136-c1db-4f9f-88ef-d94f3b6b0b5a;KustoExplorerQueryRun", "c1db", true, true},
		{"Kusto: ad67d136-c1db-4f9f-88ef-d94f3b6b0b5a;KustoExplorerQueryRun", "Explorer", false, false},
		// A phrase: its ends must fall on term boundaries.
		{"Mozilla/5.0 (ur mum) TokenTactics", "ur mum", true, true},
		{"Mozilla/5.0 (four mums)", "ur mum", false, false},
		// The second occurrence is whole even though the first is not.
		{"tokens token", "token", true, true},
		{"", "x", false, false},
		{"x", "", false, false},
	}
	for _, c := range cases {
		if got := Has(c.text, c.term); got != c.want {
			t.Errorf("%q has %q = %v, want %v", c.text, c.term, got, c.want)
		}
		if got := HasCS(c.text, c.term); got != c.cs {
			t.Errorf("%q has_cs %q = %v, want %v", c.text, c.term, got, c.cs)
		}
	}
}

// https://learn.microsoft.com/kusto/query/between-operator: both ends are included; a datetime
// range may end in a timespan counted from its start.
func TestBetweenIncludesBothEnds(t *testing.T) {
	start := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	end := start.Add(2 * time.Hour)
	cases := []struct {
		v, lo, hi any
		want      bool
	}{
		{start, start, end, true},
		{end, start, end, true},
		{end.Add(Tick), start, end, false},
		{start.Add(-Tick), start, end, false},
		{end, start, 2 * time.Hour, true},
		{end.Add(Tick), start, 2 * time.Hour, false},
		{int64(50), int64(50), int64(55), true},
		{int64(56), int64(50), int64(55), false},
		{2.5, int64(2), int64(3), true},
		{nil, start, end, false},
		{start, nil, end, false},
		{start, int64(1), int64(2), false},
	}
	for _, c := range cases {
		if got := Between(c.v, c.lo, c.hi); got != c.want {
			t.Errorf("%v between (%v .. %v) = %v, want %v", c.v, c.lo, c.hi, got, c.want)
		}
	}
}

// https://learn.microsoft.com/kusto/query/bin-function: values round down to a multiple of the bin.
func TestBinRoundsDown(t *testing.T) {
	at := func(s string) time.Time { return mustTime(t, s) }
	cases := []struct {
		v, by, want any
	}{
		{at("2026-11-20T13:45:07.1234567Z"), time.Hour, at("2026-11-20T13:00:00Z")},
		{at("2026-11-20T13:45:07Z"), 24 * time.Hour, at("2026-11-20T00:00:00Z")},
		{at("2026-11-20T13:45:07Z"), 15 * time.Minute, at("2026-11-20T13:45:00Z")},
		// 7d bins count from 0001-01-01, a Monday: 2026-11-16 is the Monday before.
		{at("2026-11-20T13:45:07Z"), 7 * 24 * time.Hour, at("2026-11-16T00:00:00Z")},
		{at("1950-06-01T10:30:00Z"), time.Hour, at("1950-06-01T10:00:00Z")},
		{int64(17), int64(5), int64(15)},
		{int64(-3), int64(5), int64(-5)},
		{4.7, 0.5, 4.5},
		{90 * time.Minute, time.Hour, time.Hour},
		{nil, time.Hour, nil},
		{at("2026-11-20T13:45:07Z"), time.Duration(0), nil},
	}
	for _, c := range cases {
		got, err := Bin(c.v, c.by)
		if err != nil {
			t.Fatalf("bin(%v, %v): %v", c.v, c.by, err)
		}
		if gt, ok := got.(time.Time); ok {
			if !gt.Equal(c.want.(time.Time)) {
				t.Errorf("bin(%v, %v) = %v, want %v", c.v, c.by, got, c.want)
			}
			continue
		}
		if got != c.want {
			t.Errorf("bin(%v, %v) = %v, want %v", c.v, c.by, got, c.want)
		}
	}
	if _, err := Bin(at("2026-11-20T13:45:07Z"), int64(5)); err == nil {
		t.Error("a datetime binned by a number must be an error")
	}
	if _, err := Bin("abc", int64(5)); err == nil {
		t.Error("a string cannot be binned")
	}
}
