package main

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signin-detect/detect/engine/session"
)

func TestOutputFormats(t *testing.T) {
	base := []string{"run", "--rule", fociRules + "v2.yaml", "--rule", signinLogRule, "--now", shapesNow, filepath.Join(shapesDir, "la.ndjson")}
	ndjson := detect(t, "", base...)
	table := detect(t, "", append(base, "--format", "table")...)
	if table.status != 0 || !strings.Contains(table.stdout, "../../rules/foci/v2.yaml: Suspicious FOCI token logins (V2): 4 alerts\n_time                 severity  rule  ") ||
		!strings.Contains(table.stdout, "signinlogs-rule.yaml: Interactive sign-ins and their device (fixture rule): 2 alerts") {
		t.Errorf("table: status %d\n%s", table.status, table.stdout)
	}
	out := detect(t, "", append(base, "--format", "csv")...)
	rows, err := csv.NewReader(strings.NewReader(out.stdout)).ReadAll()
	if err != nil || out.status != 0 || len(rows) != 1+len(ndjson.alerts) {
		t.Fatalf("csv: %v, status %d, %d rows for %d alerts", err, out.status, len(rows), len(ndjson.alerts))
	}
	header := strings.Join(rows[0], ",")
	// The rules run in the order of their paths: ../../fixtures/... first.
	if !strings.HasPrefix(header, "TimeGenerated,UserPrincipalName,AppDisplayName,ResultType,ResultDescription,OperatingSystem,Compliant,ErrorCode,SessionId,FirstRequestTimeGenerated,") ||
		!strings.HasSuffix(header, ",SecondResourceIdentity,_rule_id,_rule_name,_rule_file,_sources") {
		t.Errorf("csv header: %s", header)
	}
	// The CSV rows hold what the NDJSON alerts hold.
	for i, a := range ndjson.alerts {
		for j, col := range rows[0] {
			v, ok := a[col]
			if !ok || col == "_sources" {
				continue
			}
			if s, isString := v.(string); isString && rows[i+1][j] != s {
				t.Errorf("alert %d %s: csv %q, ndjson %q", i, col, rows[i+1][j], s)
			}
		}
	}
	// After "--", a name that looks like a flag is a file (here, one that does not exist).
	if dashes := detect(t, "", append(base, "--", "--format")...); dashes.status != 1 || !strings.Contains(dashes.stderr, "input --format does not exist") {
		t.Errorf("after --: %d %s", dashes.status, dashes.stderr)
	}
	if bad := detect(t, "", append(base, "--format", "xml")...); bad.status != 1 || !strings.Contains(bad.stderr, "--format") {
		t.Errorf("--format xml: %d %s", bad.status, bad.stderr)
	}
}

func TestOutputFileIsWrittenAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "alerts.ndjson")
	if err := os.WriteFile(path, []byte("the last run's alerts\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"run", "--rule", fociRules + "v2.yaml", "--now", shapesNow, "--output", path}
	// A run that cannot complete leaves the file as it was, and no temporary file.
	broken := filepath.Join(dir, "broken.yaml")
	if err := os.WriteFile(broken, []byte("id: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := detect(t, "", "run", "--rule", broken, "--output", path, filepath.Join(shapesDir, "la.ndjson")); r.status != 1 {
		t.Fatalf("a broken rule: status %d", r.status)
	}
	if got, _ := os.ReadFile(path); string(got) != "the last run's alerts\n" {
		t.Errorf("a failed run changed the output: %q", got)
	}
	r := detect(t, "", append(base, filepath.Join(shapesDir, "la.ndjson"))...)
	stdout := detect(t, "", "run", "--rule", fociRules+"v2.yaml", "--now", shapesNow, filepath.Join(shapesDir, "la.ndjson"))
	got, _ := os.ReadFile(path)
	if r.status != 0 || r.stdout != "" || string(got) != stdout.stdout || len(stdout.alerts) != 4 {
		t.Errorf("status %d, stdout %q, file:\n%s", r.status, r.stdout, got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("left in the folder: %v", entries)
	}
	if r := detect(t, "", append(base[:len(base)-1], filepath.Join(dir, "missing", "alerts.ndjson"), filepath.Join(shapesDir, "la.ndjson"))...); r.status != 1 {
		t.Errorf("an output in a missing folder: status %d", r.status)
	}
}

func TestCompressedStandardInput(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(shapesDir, "graph-pages.json.zst"))
	if err != nil {
		t.Fatal(err)
	}
	r := detect(t, string(data), "run", "--rule", fociRules+"v2.yaml", "--now", shapesNow, "-")
	if r.status != 0 || len(r.alerts) != 4 || !strings.HasPrefix(r.alerts[0]["_sources"].([]any)[0].(string), "-:") {
		t.Errorf("status %d, %d alerts\n%s", r.status, len(r.alerts), r.stderr)
	}
}

// The progress line is drawn on a terminal only; a pipe or a buffer gets none.
func TestProgressLine(t *testing.T) {
	r := detect(t, "", "run", "--rule", fociRules+"v2.yaml", "--now", shapesNow, filepath.Join(shapesDir, "la.ndjson"))
	if strings.Contains(r.stderr, "\r") || strings.Contains(r.stderr, "reading:") {
		t.Errorf("progress written to a buffer:\n%q", r.stderr)
	}
	var b bytes.Buffer
	read := &session.Read{Files: 2, Records: 120, Rejections: map[string]int{"malformed JSON": 1}}
	p := &progress{w: &b, on: true, start: time.Now().Add(-2 * time.Second)}
	reader := p.count(strings.NewReader(strings.Repeat("x", 1<<20)), read)
	buf := make([]byte, 1<<20)
	_, _ = reader.Read(buf)
	p.clear()
	if !strings.HasPrefix(b.String(), "\rreading: 2 files, 120 records, 0.5 MB/s, 1 rejected\x1b[K") || !strings.HasSuffix(b.String(), "\r\x1b[K") {
		t.Errorf("progress: %q", b.String())
	}
	if isTerminal(&b) {
		t.Error("a buffer is not a terminal")
	}
}
