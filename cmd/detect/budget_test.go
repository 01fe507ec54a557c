package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// hotKeyInput writes n sign-ins (the FOCI fixture's, repeated) that all share one
// UserPrincipalName, and returns the file.
func hotKeyInput(t *testing.T, n int) string {
	t.Helper()
	data, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	var b bytes.Buffer
	for i := range n {
		var row map[string]any
		if err := json.Unmarshal([]byte(lines[i%len(lines)]), &row); err != nil {
			t.Fatal(err)
		}
		row["UserPrincipalName"] = "hot@contoso.example"
		line, _ := json.Marshal(row)
		b.Write(line)
		b.WriteByte('\n')
	}
	path := filepath.Join(t.TempDir(), "hot.ndjson")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const hotJoinRule = `id: 0b5e1c8e-7f2d-4c59-9a43-2f1e0d7c6b5a
name: every sign-in of a user with every other
severity: Low
queryPeriod: 1d
table: AADNonInteractiveUserSignInLogs
stages:
  - name: user-pairs
    join:
      kind: inner
      on: [UserPrincipalName]
      right:
        stages:
          - project-rename: {OtherApp: AppDisplayName}
  - project: [UserPrincipalName, AppDisplayName, OtherApp]
`

const hotGroupRule = `id: 7c2d9e4f-1a3b-4c5d-8e6f-0a1b2c3d4e5f
name: sign-ins per time
severity: Low
queryPeriod: 1d
table: AADNonInteractiveUserSignInLogs
stages:
  - name: per-time
    summarize:
      by: [TimeGenerated, CorrelationId]
      aggregates:
        - N: count()
`

// A self-join whose key every row shares made 25 million pairs from 5,000 rows and died at 3 GB.
// Over --max-join-pairs it fails alone, before pairing, naming its rule, stage and hottest key;
// the other rules' alerts are written. (Its peak RSS, alone, is that of reading the rows: 25 MB
// under /usr/bin/time. A test cannot measure it: a child's ru_maxrss counts the test process it
// was forked from.)
func TestAJoinOverItsBudgetFailsAloneWithLittleMemory(t *testing.T) {
	binary := buildDetect(t)
	dir := t.TempDir()
	hot := filepath.Join(dir, "hot.yaml")
	if err := os.WriteFile(hot, []byte(hotJoinRule), 0o644); err != nil {
		t.Fatal(err)
	}
	input := hotKeyInput(t, 5000)
	cmd := exec.Command(binary, "run", "--rule", hot, "--rule", v2Rule, "--now", "latest", input)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	want := hot + `:7:5: stage user-pairs is over its budget of 5000000 join pairs (--max-join-pairs): it makes 25000000; the hottest key is UserPrincipalName="hot@contoso.example" (25000000 pairs: 5000 left rows with 5000 right rows)`
	if cmd.ProcessState.ExitCode() != 1 || !strings.Contains(stderr.String(), want) {
		t.Errorf("%v; want %s", err, want)
	}
	if !strings.Contains(stderr.String(), "rules/foci/v2.yaml: ") || !strings.Contains(stdout.String(), `"_rule":{"id":"4fda9303`) {
		t.Errorf("the other rule did not run on:\n%s", stderr.String())
	}
	raised := detect(t, "", "run", "--rule", hot, "--max-join-pairs", "0", "--now", "latest", hotKeyInput(t, 100))
	if raised.status != 0 || len(raised.alerts) != 100*100 {
		t.Errorf("--max-join-pairs 0: status %d, %d alerts\n%s", raised.status, len(raised.alerts), raised.stderr)
	}
}

func TestASummarizeOverItsGroupBudgetFailsAlone(t *testing.T) {
	dir := t.TempDir()
	hot := filepath.Join(dir, "groups.yaml")
	if err := os.WriteFile(hot, []byte(hotGroupRule), 0o644); err != nil {
		t.Fatal(err)
	}
	input := hotKeyInput(t, 300)
	over := detect(t, "", "run", "--rule", hot, "--rule", v2Rule, "--max-groups", "50", "--now", "latest", input)
	if over.status != 1 || !strings.Contains(over.stderr, hot+":7:5: stage per-time is over its budget of 50 groups (--max-groups): it makes 51; the hottest key is TimeGenerated=") ||
		!strings.Contains(over.stderr, "rules/foci/v2.yaml: ") {
		t.Errorf("status %d\n%s", over.status, over.stderr)
	}
	within := detect(t, "", "run", "--rule", hot, "--now", "latest", input)
	if within.status != 0 || len(within.alerts) <= 50 {
		t.Errorf("default budget: status %d, %d alerts\n%s", within.status, len(within.alerts), within.stderr)
	}
}

// A stream pairs a hot key's rows one by one, so its budget bounds the rows a key holds (and the
// pairs one row makes with them): over --max-join-pairs, the rule's stream stops alone, naming
// its stage and key, while the other rules stream on.
func TestAStreamedJoinOverItsBudgetStopsAlone(t *testing.T) {
	dir := t.TempDir()
	hot := filepath.Join(dir, "hot.yaml")
	if err := os.WriteFile(hot, []byte(hotJoinRule), 0o644); err != nil {
		t.Fatal(err)
	}
	input := hotKeyInput(t, 120) // the fixture once: in time order
	over := detect(t, "", "run", "--stream", "--rule", hot, "--rule", v2Rule, "--max-join-pairs", "50", input)
	want := hot + `:7:5: stage user-pairs is over its budget of 50 join pairs (--max-join-pairs): it makes 51; the hottest key is UserPrincipalName="hot@contoso.example" (51 left rows held under it, the latest from `
	if over.status != 1 || !strings.Contains(over.stderr, want) {
		t.Errorf("status %d; want %s\n%s", over.status, want, over.stderr)
	}
	fromV2 := 0
	for _, a := range over.alerts {
		if strings.HasPrefix(a["_rule"].(map[string]any)["id"].(string), "4fda9303") {
			fromV2++
		}
	}
	if fromV2 == 0 || !strings.Contains(over.stderr, "rules/foci/v2.yaml: streamed 120 rows") {
		t.Errorf("the other rule did not stream on: %d alerts\n%s", fromV2, over.stderr)
	}
	within := detect(t, "", "run", "--stream", "--rule", hot, "--max-join-pairs", "120", input)
	if within.status != 0 || len(within.alerts) == 0 {
		t.Errorf("within the budget: status %d, %d alerts\n%s", within.status, len(within.alerts), within.stderr)
	}
}
