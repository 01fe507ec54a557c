package ruletest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signin-detect/detect/engine/record"
)

func TestMistakesInTestFilesAreReportedAtTheirPlace(t *testing.T) {
	dir := t.TempDir()
	ruleFile := filepath.Join(dir, "r.yaml")
	os.WriteFile(ruleFile, []byte("id: x\n"), 0o644)
	os.WriteFile(TestFile(ruleFile), []byte(`now: yesterday
colour: blue
rows:
  a: {AppId: x}
tests:
  - name: no expectation
    rows: [a]
  - name: unknown row
    rows: [b]
    expect: []
  - name: typo
    row: [a]
    expect: []
`), 0o644)
	_, err := Load(ruleFile)
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{
		"r.test.yaml:1:6: now: not an ISO 8601 datetime",
		`r.test.yaml:2:1: unknown key "colour" in a test file`,
		`r.test.yaml:6:5: case "no expectation" needs expect`,
		`r.test.yaml:9:12: no row called "b"`,
		`r.test.yaml:12:5: unknown key "row" in a case`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

func TestCompareMatchesExpectationsOneToOne(t *testing.T) {
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	alerts := []record.Row{
		record.NewRow(map[string]any{"App": "CLI", "TimeDiff": int64(5), "At": at}, nil),
		record.NewRow(map[string]any{"App": "CLI", "TimeDiff": int64(7), "At": at}, nil),
	}
	columns := []string{"App", "TimeDiff", "At"}
	// The looser expectation must not take the alert the stricter one needs.
	missing, unexpected := compare([]map[string]any{{"App": "CLI"}, {"App": "CLI", "TimeDiff": 5}}, alerts, columns)
	if len(missing) != 0 || len(unexpected) != 0 {
		t.Errorf("missing %v, unexpected %v", missing, unexpected)
	}
	missing, unexpected = compare([]map[string]any{{"TimeDiff": 5, "At": "2026-11-20T09:00:00.0000000Z"}, {"TimeDiff": 6}}, alerts, columns)
	if len(missing) != 1 || missing[0]["TimeDiff"] != 6 || len(unexpected) != 1 || unexpected[0]["TimeDiff"] != int64(7) {
		t.Errorf("missing %v, unexpected %v", missing, unexpected)
	}
}
