package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func generate(t *testing.T, seed uint64, rows int) []byte {
	t.Helper()
	g, err := newGenerator(seed, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), 6*time.Hour, rows, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := g.write(&buf, rows); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRowsAreDeterministicCompleteAndInTimeOrder(t *testing.T) {
	a, b, other := generate(t, 7, 3000), generate(t, 7, 3000), generate(t, 8, 3000)
	if !bytes.Equal(a, b) || bytes.Equal(a, other) {
		t.Fatal("the same seed must give the same rows, another seed other rows")
	}
	lines := strings.Split(strings.TrimSpace(string(a)), "\n")
	if len(lines) != 3000 {
		t.Fatalf("%d rows", len(lines))
	}
	var previous string
	sessions, pivots := map[string]int{}, 0
	for i, line := range lines {
		var row map[string]any
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatalf("row %d: %v", i+1, err)
		}
		if len(row) != 86 {
			t.Fatalf("row %d has %d columns, the table 86", i+1, len(row))
		}
		tg := row["TimeGenerated"].(string)
		if tg < previous {
			t.Fatalf("row %d at %s comes after %s", i+1, tg, previous)
		}
		previous = tg
		if _, isText := row["DeviceDetail"].(string); !isText {
			t.Fatal("JSON-typed columns are strings holding JSON")
		}
		sessions[row["SessionId"].(string)]++
		if row["AppDisplayName"] == "Microsoft Azure CLI" || row["AppDisplayName"] == "Microsoft Azure PowerShell" {
			pivots++
		}
	}
	if len(sessions) > len(lines)/2 || pivots == 0 {
		t.Errorf("%d sessions for %d rows, %d pivots", len(sessions), len(lines), pivots)
	}
}
