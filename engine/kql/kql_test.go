package kql

import (
	"math/rand/v2"
	"testing"
	"time"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := ParseDatetime(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// https://learn.microsoft.com/kusto/query/datetime-diff-function: the difference counts period
// boundaries between the two datetimes, not elapsed whole periods.
func TestDatetimeDiffCountsBoundaries(t *testing.T) {
	cases := []struct {
		period string
		a, b   string
		want   int64
	}{
		{"minute", "2026-11-20T10:01:00.1Z", "2026-11-20T10:00:59.9Z", 1},
		{"minute", "2026-11-20T10:00:59.9Z", "2026-11-20T10:00:00.0Z", 0},
		{"minute", "2026-11-20T10:00:00Z", "2026-11-20T10:05:30Z", -5},
		{"minute", "2026-11-20T11:30:00Z", "2026-11-20T10:00:00Z", 90},
		{"minute", "2026-11-20T11:31:59.9999999Z", "2026-11-20T10:01:00Z", 90},
		{"hour", "2026-11-20T11:00:00Z", "2026-11-20T10:59:59Z", 1},
		{"day", "2026-11-21T00:00:00Z", "2026-11-20T23:59:59Z", 1},
		{"year", "2027-01-01T00:00:00Z", "2026-12-31T23:59:59Z", 1},
		{"month", "2026-12-01T00:00:00Z", "2026-11-30T23:59:59Z", 1},
		{"quarter", "2026-10-01T00:00:00Z", "2026-09-30T00:00:00Z", 1},
		// 2026-11-22 is a Sunday: a week boundary.
		{"week", "2026-11-22T00:00:00Z", "2026-11-21T23:59:59Z", 1},
		{"week", "2026-11-21T23:59:59Z", "2026-11-15T00:00:00Z", 0},
		{"second", "2026-11-20T10:00:01.0Z", "2026-11-20T10:00:00.9Z", 1},
		{"millisecond", "2026-11-20T10:00:00.0010Z", "2026-11-20T10:00:00.0009Z", 1},
		{"minute", "1950-01-01T00:01:00Z", "1950-01-01T00:00:59Z", 1},
	}
	for _, c := range cases {
		got, err := DatetimeDiff(c.period, mustTime(t, c.a), mustTime(t, c.b))
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("datetime_diff(%q, %s, %s) = %d, want %d", c.period, c.a, c.b, got, c.want)
		}
	}
	if _, err := DatetimeDiff("fortnight", time.Now(), time.Now()); err == nil {
		t.Error("an unknown period must be an error")
	}
}

func TestParseDatetimeAcceptsZeroToSevenDigitsAndOffsets(t *testing.T) {
	want := time.Date(2026, 11, 20, 8, 40, 0, 500000000, time.UTC)
	for _, s := range []string{
		"2026-11-20T08:40:00.5Z",
		"2026-11-20T08:40:00.500Z",
		"2026-11-20T08:40:00.5000000Z",
		"2026-11-20T10:40:00.5+02:00",
		"2026-11-20T03:40:00.5-05:00",
		"2026-11-20T08:40:00.5",
		"2026-11-20T08:40:00.500000049Z", // beyond the tick: truncated
	} {
		got, err := ParseDatetime(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if !got.Equal(want) {
			t.Errorf("ParseDatetime(%s) = %v, want %v", s, got, want)
		}
	}
	whole := mustTime(t, "2026-11-20T08:15:00Z")
	if FormatDatetime(whole) != "2026-11-20T08:15:00.0000000Z" {
		t.Errorf("FormatDatetime = %s", FormatDatetime(whole))
	}
	if got := FormatDatetime(mustTime(t, "2026-11-20T09:00:01.1234567Z")); got != "2026-11-20T09:00:01.1234567Z" {
		t.Errorf("seven digits do not round-trip: %s", got)
	}
	for _, bad := range []string{"", "yesterday", "2026-13-01T00:00:00Z", "2026-11-20T25:00:00Z"} {
		if _, err := ParseDatetime(bad); err == nil {
			t.Errorf("ParseDatetime(%q) must fail", bad)
		}
	}
}

func TestParseTimespan(t *testing.T) {
	cases := map[string]time.Duration{
		"6h": 6 * time.Hour, "1d": 24 * time.Hour, "90m": 90 * time.Minute, "30s": 30 * time.Second,
		"100ms": 100 * time.Millisecond, "1.5h": 90 * time.Minute, "10microseconds": 10 * time.Microsecond,
		"5ticks": 500 * time.Nanosecond, "01:30:00": 90 * time.Minute, "1.00:00:00": 24 * time.Hour,
		"2days": 48 * time.Hour,
	}
	for in, want := range cases {
		got, err := ParseTimespan(in)
		if err != nil || got != want {
			t.Errorf("ParseTimespan(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "6", "six hours", "6y", "h"} {
		if _, err := ParseTimespan(bad); err == nil {
			t.Errorf("ParseTimespan(%q) must fail", bad)
		}
	}
	if FormatTimespan(90*time.Minute+Tick) != "01:30:00.0000001" || FormatTimespan(-26*time.Hour) != "-1.02:00:00" {
		t.Errorf("FormatTimespan: %s %s", FormatTimespan(90*time.Minute+Tick), FormatTimespan(-26*time.Hour))
	}
}

// https://learn.microsoft.com/kusto/query/datatypes-string-operators: == and in are
// case-sensitive, contains is not.
func TestStringOperatorsCase(t *testing.T) {
	if Equal("Microsoft Azure CLI", "microsoft azure cli") {
		t.Error("== must be case-sensitive")
	}
	if !Equal("none", "none") || Equal("None", "none") {
		t.Error("== on equal strings")
	}
	set := NewSet([]any{"Microsoft Azure CLI", "Microsoft Azure PowerShell"})
	if !In("Microsoft Azure CLI", set) || In("MICROSOFT AZURE CLI", set) {
		t.Error("in must be case-sensitive")
	}
	if !Contains(`[{"key":"Role","value":"62E90394-69F5-4237-9190-012177145E10"}]`, "62e90394-69f5-4237-9190-012177145e10") {
		t.Error("contains must ignore case")
	}
	if Contains("abc", "abd") || !Contains("abc", "") || !Contains("ÄBC", "äb") {
		t.Error("contains edge cases")
	}
	if !StartsWith("Microsoft Teams", "microsoft") || !EndsWith("Microsoft Teams", "TEAMS") || StartsWith("a", "ab") {
		t.Error("startswith/endswith ignore case")
	}
}

// https://learn.microsoft.com/kusto/query/scalar-data-types/null-values: strings are never null;
// null == x is false, null != x is true, null against null is null (false in a where).
func TestNullSemantics(t *testing.T) {
	if !Equal("", "") || !NotEqual("", "none") {
		t.Error(`a missing string is "": "" == "" and "" != "none"`)
	}
	if Equal(nil, "true") || !NotEqual(nil, "true") {
		t.Error("null compared with a value: == false, != true")
	}
	if Equal(nil, nil) || NotEqual(nil, nil) {
		t.Error("null against null is null, false in a where")
	}
	if _, ok := Compare(nil, int64(1)); ok {
		t.Error("ordering against null must not hold")
	}
	if String.Zero() != "" || Datetime.Zero() != nil {
		t.Error("zero values")
	}
}

func TestStringComparedWithNumber(t *testing.T) {
	if !Equal("0", int64(0)) || !Equal(int64(0), "0") || Equal("50126", int64(0)) || Equal("", int64(0)) {
		t.Error("ResultType == 0 holds when the text is the integer 0, and only then")
	}
	if !NotEqual("50126", 0) || NotEqual("0", 0) {
		t.Error("!= with a number")
	}
	if c, ok := Compare("15", int64(9)); !ok || c <= 0 {
		t.Error("a numeric string orders as its number")
	}
	if c, ok := Compare(int64(90), 90.0); !ok || c != 0 {
		t.Error("long against real")
	}
}

// https://learn.microsoft.com/kusto/query/parse-json-function
func TestParseJSONAndPropertyAccess(t *testing.T) {
	compliant := ParseJSON(`{"deviceId":"","isCompliant":true,"trustType":"AzureAD"}`)
	if !Equal(Property(compliant, "isCompliant"), "true") || NotEqual(Property(compliant, "isCompliant"), "true") {
		t.Error(`JSON true must equal "true"`)
	}
	for _, deviceDetail := range []any{
		`{"deviceId":"","operatingSystem":"Windows 10"}`, // no isCompliant
		`{"isCompliant":false}`,
		`{"isCompliant":"True"}`, // a string, and not "true"
		``,                       // not JSON
		`not json`,
		`[1,2]`,
		nil,
	} {
		if !NotEqual(Property(ParseJSON(deviceDetail), "isCompliant"), "true") {
			t.Errorf(`todynamic(%#v).isCompliant != "true" must hold`, deviceDetail)
		}
	}
	if ParseJSON("not json") != "not json" {
		t.Error("parse_json of a non-JSON string is that string")
	}
	if v := ParseJSON(`{"n":3,"f":1.5}`); Property(v, "n") != int64(3) || Property(v, "f") != 1.5 {
		t.Errorf("numbers: %#v", v)
	}
	arr := ParseJSON(`[{"a":1},{"a":2}]`)
	if Property(Index(arr, -1), "a") != int64(2) || Index(arr, 5) != nil || Index("x", 0) != nil {
		t.Error("array index")
	}
}

// https://learn.microsoft.com/kusto/query/extract-function: RE2, leftmost-first, greedy, over the
// raw text; "" without a match.
func TestExtract(t *testing.T) {
	const scopeRegex = `{"key":"Oauth Scope Info","value":"\[(.*)\]"}`
	details := `[{"key":"Legacy TLS (TLS 1.0, 1.1, 3DES)","value":"False"},{"key":"Oauth Scope Info","value":"[\"user_impersonation\"]"},{"key":"Is CAE Token","value":"False"}]`
	got, err := Extract(scopeRegex, 1, details)
	if err != nil || got != `\"user_impersonation\"` {
		t.Errorf("scope info = %q, %v", got, err)
	}
	// Greedy: (.*) runs to the last `]"}` in the text.
	greedy := `{"key":"Oauth Scope Info","value":"[\"a\"]"},{"key":"x","value":"[\"b\"]"}`
	if got, _ := Extract(scopeRegex, 1, greedy); got != `\"a\"]"},{"key":"x","value":"[\"b\"` {
		t.Errorf("greedy match = %q", got)
	}
	if got, _ := Extract(scopeRegex, 1, `[{"key":"Is CAE Token","value":"False"}]`); got != "" {
		t.Errorf("no match must give empty, got %q", got)
	}
	if got, _ := Extract(`(a)|(b)`, 2, "a"); got != "" {
		t.Errorf("a group outside the match gives empty, got %q", got)
	}
	if got, _ := Extract(`a+`, 0, "baaab"); got != "aaa" {
		t.Errorf("group 0 = %q", got)
	}
	if _, err := Extract(`(`, 1, "x"); err == nil {
		t.Error("a bad regex is an error")
	}
	if _, err := Extract(`(a)`, 2, "a"); err == nil {
		t.Error("a missing group is an error")
	}
}

func TestToString(t *testing.T) {
	cases := []struct {
		in   any
		want string
	}{
		{nil, ""}, {"x", "x"}, {true, "true"}, {int64(-3), "-3"}, {1.5, "1.5"},
		{mustTime(t, "2026-11-20T08:15:00Z"), "2026-11-20T08:15:00.0000000Z"},
		{90 * time.Minute, "01:30:00"},
		{map[string]any{"a": int64(1)}, `{"a":1}`},
	}
	for _, c := range cases {
		if got := ToString(c.in); got != c.want {
			t.Errorf("ToString(%#v) = %q, want %q", c.in, got, c.want)
		}
	}
}

// The exports' datetimes are read without time.Parse (ParseExportDatetime); every string reads as
// time.Parse reads it with the layouts ParseDatetime falls back to, or fails as it does: month
// ends, leap years, hours and seconds out of range, fractions of 0 to 9 digits.
func TestExportDatetimesReadAsTimeParseReadsThem(t *testing.T) {
	byLayouts := func(s string) (time.Time, bool) {
		t, err := time.Parse("2006-01-02T15:04:05.999999999Z07:00", s)
		return t.UTC().Truncate(Tick), err == nil
	}
	cases := []string{
		"2026-11-20T09:00:01Z", "2026-11-20T09:00:01.1234567Z", "2026-11-20T09:00:01.1Z", "2026-11-20T09:00:01.123456789Z",
		"2024-02-29T00:00:00Z", "2026-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2000-02-29T23:59:59.9999999Z",
		"2026-04-31T00:00:00Z", "2026-12-31T23:59:59Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z",
		"2026-11-00T00:00:00Z", "2026-11-20T24:00:00Z", "2026-11-20T23:60:00Z", "2026-11-20T23:59:60Z",
		"0000-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.9999999Z", "2026-11-20T09:00:01.Z",
		"2026-11-20T09:00:01,5Z", "2026-11-20T09:00:01.12a4Z", "2026-11-20t09:00:01Z", "2026-11-20T09:00:01z",
		"2026-11-20T09:00:01+02:00", "+026-11-20T09:00:01Z", "2026-1-20T09:00:01Z",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := []byte("2026-11-20T09:00:01.1234567Z")
		for i := range b {
			if b[i] >= '0' && b[i] <= '9' && rng.IntN(3) == 0 {
				b[i] = byte('0' + rng.IntN(10))
			}
		}
		cases = append(cases, string(b[:19+rng.IntN(10)])+"Z")
	}
	for _, s := range cases {
		want, wantOK := byLayouts(s)
		got, ok := ParseExportDatetime(s)
		if ok && (!wantOK || !got.Equal(want)) {
			t.Fatalf("ParseExportDatetime(%s) = %v; time.Parse: %v (%v)", s, got, want, wantOK)
		}
		parsed, err := ParseDatetime(s)
		if (err == nil) != wantOK || (wantOK && !parsed.Equal(want)) {
			t.Fatalf("ParseDatetime(%s) = %v, %v; time.Parse: %v (%v)", s, parsed, err, want, wantOK)
		}
	}
	if _, ok := ParseExportDatetime("2026-11-20T09:00:01.1234567Z"); !ok {
		t.Error("an export's datetime is not read by ParseExportDatetime")
	}
}
