package output

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/record"
)

var (
	ruleA = &RuleRef{ID: "a-id", Name: "Rule A", Severity: "High", Tactics: []string{"CredentialAccess"}, Techniques: []string{"T1528"}, File: "rules/a.yaml"}
	ruleB = &RuleRef{ID: "b-id", Name: "Rule B", Severity: "Low", File: "rules/b.yaml"}
	when  = time.Date(2026, 11, 20, 9, 0, 1, 123456700, time.UTC)
)

func alert(rule *RuleRef, columns []string, values map[string]any, sources ...record.Source) Alert {
	return Alert{Rule: rule, Columns: columns, Row: record.NewRow(values, sources)}
}

func TestTableFitsTheWidthAndCutsLongValues(t *testing.T) {
	var b bytes.Buffer
	w, err := New("table", &b, Options{Width: 70})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 60)
	for _, a := range []Alert{
		alert(ruleA, []string{"User", "IPAddress"}, map[string]any{"User": "ana", "IPAddress": "203.0.113.7"}, record.Source{File: "in.json", Line: 2, Index: 1, Time: when}),
		alert(ruleB, []string{"Detail"}, map[string]any{"Detail": map[string]any{"long": long}}, record.Source{File: "in.ndjson", Line: 7}),
		alert(ruleA, []string{"User", "IPAddress"}, map[string]any{"User": "bruno.costa\nline two", "IPAddress": nil}, record.Source{File: "in.json", Line: 9, Index: 2, Time: when.Add(time.Hour)}),
	} {
		if err := w.Write(a); err != nil {
			t.Fatal(err)
		}
	}
	if b.Len() != 0 {
		t.Error("a table is written when all its rows are in")
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := `rules/a.yaml: Rule A: 2 alerts
_time                 severity  rule    User               IPAddress
2026-11-20T09:00:01Z  High      Rule A  ana                203.0.113.7
2026-11-20T10:00:01Z  High      Rule A  bruno.costa line…
`
	got := b.String()
	if !strings.HasPrefix(got, want) {
		t.Errorf("table:\n%s\nwant it to start:\n%s", got, want)
	}
	for _, line := range strings.Split(got, "\n") {
		if n := len([]rune(line)); n > 70 {
			t.Errorf("line of %d characters, wider than 70: %q", n, line)
		}
	}
	if !strings.Contains(got, "rules/b.yaml: Rule B: 1 alerts\n") || !strings.Contains(got, `{"long":"xxx`) || !strings.Contains(got, "…") {
		t.Errorf("rule B's block is missing or its long value is not cut:\n%s", got)
	}
}

// When even cut columns do not fit, the last are left out; the time and severity are never cut.
func TestTableLeavesOutColumnsThatDoNotFit(t *testing.T) {
	var b bytes.Buffer
	w, _ := New("table", &b, Options{Width: 64})
	w.Write(alert(ruleA, []string{"User", "IPAddress"}, map[string]any{"User": strings.Repeat("u", 30), "IPAddress": "203.0.113.7"}, record.Source{File: "in.json", Line: 2, Time: when}))
	w.Flush()
	want := "rules/a.yaml: Rule A: 1 alerts\n_time                 severity  rule    User\n2026-11-20T09:00:01Z  High      Rule A  " + strings.Repeat("u", 23) + "…\n"
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestColumnsPicksWhatTableAndListShow(t *testing.T) {
	for _, format := range []string{"table", "list"} {
		var b bytes.Buffer
		w, _ := New(format, &b, Options{Width: 100, Columns: []string{"IPAddress"}})
		w.Write(alert(ruleA, []string{"User", "IPAddress"}, map[string]any{"User": "ana", "IPAddress": "203.0.113.7"}))
		w.Flush()
		if strings.Contains(b.String(), "ana") || !strings.Contains(b.String(), "203.0.113.7") {
			t.Errorf("%s with --columns IPAddress:\n%s", format, b.String())
		}
	}
}

func TestListWritesABlockPerAlertAndWrapsLongValues(t *testing.T) {
	var b bytes.Buffer
	w, err := New("list", &b, Options{Width: 40})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("abcdefghij", 5)
	w.Write(alert(ruleA, []string{"User", "UserAgent"}, map[string]any{"User": "ana", "UserAgent": long}, record.Source{File: "in.json", Line: 2, Time: when}))
	w.Write(alert(ruleB, []string{"User"}, map[string]any{"User": "bruno"}, record.Source{File: "in.json", Line: 3}))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := `_time: 2026-11-20T09:00:01.1234567Z
rule: Rule A
severity: High
tactics: CredentialAccess, T1528
User: ana
UserAgent: abcdefghijabcdefghijabcdefghi
           jabcdefghijabcdefghij
_sources: in.json:2

rule: Rule B
severity: Low
User: bruno
_sources: in.json:3
`
	if b.String() != want {
		t.Errorf("list:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestCSVHasOneHeaderForEveryRule(t *testing.T) {
	var b bytes.Buffer
	w, err := New("csv", &b, Options{Rules: [][]string{{"TimeGenerated", "User"}, {"User", "Count"}}})
	if err != nil {
		t.Fatal(err)
	}
	_ = w.Write(alert(ruleA, []string{"TimeGenerated", "User"}, map[string]any{"TimeGenerated": when, "User": "ana, \"the first\""},
		record.Source{File: "a", Line: 1}, record.Source{File: "a", Line: 3}))
	_ = w.Write(alert(ruleB, []string{"User", "Count"}, map[string]any{"User": "bruno", "Count": int64(3)}, record.Source{File: "b", Line: 2}))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"TimeGenerated", "User", "Count", "_rule_id", "_rule_name", "_rule_file", "_sources"},
		{"2026-11-20T09:00:01.1234567Z", `ana, "the first"`, "", "a-id", "Rule A", "rules/a.yaml", "a:1 a:3"},
		{"", "bruno", "3", "b-id", "Rule B", "rules/b.yaml", "b:2"},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows %q", rows)
	}
	for i := range want {
		if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d: %q, want %q", i, rows[i], want[i])
		}
	}
	var empty bytes.Buffer
	w, _ = New("csv", &empty, Options{Rules: [][]string{{"User"}}})
	if err := w.Flush(); err != nil || empty.String() != "User,_rule_id,_rule_name,_rule_file,_sources\n" {
		t.Errorf("no alerts: %q %v", empty.String(), err)
	}
	if _, err := New("xml", &empty, Options{}); err == nil || !strings.Contains(err.Error(), "ndjson, table, list, csv") {
		t.Errorf("an unknown format: %v", err)
	}
}

func TestAtomicFileReplacesItsTargetOnlyOnCommit(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "alerts.ndjson")
	if err := os.WriteFile(target, []byte("old\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	f, err := CreateAtomic(target)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString("partial")
	if got, _ := os.ReadFile(target); string(got) != "old\n" {
		t.Errorf("the target changed before the commit: %q", got)
	}
	f.Abort()
	if got, _ := os.ReadFile(target); string(got) != "old\n" {
		t.Errorf("abort changed the target: %q", got)
	}
	f, err = CreateAtomic(target)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString("new\n")
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(target)
	if got, _ := os.ReadFile(target); string(got) != "new\n" || info.Mode().Perm() != 0o640 {
		t.Errorf("after commit: %q, mode %v", got, info.Mode())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	if _, err := CreateAtomic(filepath.Join(dir, "no", "such", "folder", "x")); err == nil {
		t.Error("a file in a missing folder must fail")
	}
}

// A dynamic value is written with its properties in the order its JSON had them.
func TestDynamicValuesKeepTheirKeyOrder(t *testing.T) {
	var buf bytes.Buffer
	w := NewNDJSON(&buf)
	bag := kql.ParseJSON(`{"zone":"<eu>","app":{"name":"Teams","id":2}}`)
	_ = w.Write(alert(ruleB, []string{"Detail"}, map[string]any{"Detail": bag}, record.Source{File: "in.ndjson", Line: 7}))
	_ = w.Flush()
	if want := `{"Detail":{"zone":"<eu>","app":{"name":"Teams","id":2}},`; !strings.HasPrefix(buf.String(), want) {
		t.Errorf("got %s, want it to start %s", buf.String(), want)
	}
}
