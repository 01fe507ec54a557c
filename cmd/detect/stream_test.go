package main

import (
	"encoding/json"
	"os"
	"sort"
	"strings"
	"testing"
)

// canonical sorts alerts, their sources named by line alone (stdin is "-", a file its path), and
// without the id a stream gives them (which hashes the sources).
func canonical(alerts []map[string]any) []string {
	var out []string
	for _, a := range alerts {
		delete(a, "_id")
		var sources []string
		for _, s := range a["_sources"].([]any) {
			sources = append(sources, s.(string)[strings.LastIndex(s.(string), ":"):])
		}
		a["_sources"] = sources
		line, _ := json.Marshal(a)
		out = append(out, string(line))
	}
	sort.Strings(out)
	return out
}

// Over time-ordered input within the lookback, --stream on standard input gives the alerts of a
// batch run with --now latest, for every FOCI rule.
func TestStreamGivesTheBatchAlerts(t *testing.T) {
	data, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	var within []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var row map[string]any
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatal(err)
		}
		// The newest record is at 11:52:10.6675391: keep what its 6h lookback keeps.
		if ts, _ := row["TimeGenerated"].(string); ts > "2026-11-20T05:52:11" {
			within = append(within, line)
		}
	}
	path := t.TempDir() + "/within.ndjson"
	if err := os.WriteFile(path, []byte(strings.Join(within, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	batch := detect(t, "", "run", "--rule", "../../rules/foci", "--now", "latest", path)
	stream := detect(t, strings.Join(within, "\n")+"\n", "run", "--rule", "../../rules/foci", "--stream", "-")
	if stream.status != 0 || len(batch.alerts) < 100 {
		t.Fatalf("stream status %d, batch %d alerts\n%s", stream.status, len(batch.alerts), stream.stderr)
	}
	if strings.Join(canonical(stream.alerts), "\n") != strings.Join(canonical(batch.alerts), "\n") {
		t.Errorf("stream gives %d alerts, batch %d", len(stream.alerts), len(batch.alerts))
	}
	if !strings.Contains(stream.stderr, "rules/foci/v2.yaml: streamed 115 rows") {
		t.Errorf("stream stats:\n%s", stream.stderr)
	}
}

func TestRulesThatNeedAllRowsRefuseToStream(t *testing.T) {
	r := detect(t, "", "run", "--rule", "../../rules/entra/whfb-prt-overlap.yaml", "--stream", fixture)
	if r.status != 1 || !strings.Contains(r.stderr, "cannot stream") {
		t.Errorf("status %d: %s", r.status, r.stderr)
	}
}
