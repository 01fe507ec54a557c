package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// One odd value never stops a rule: KQL gives null and goes on. tolong of text is null and null
// + 1 is null (no failure at all); a string property plus a number is a failure that gives null,
// counted in the summary. The other rows still make their alerts.
// https://learn.microsoft.com/kusto/query/scalar-data-types/null-values
func TestOddValuesGiveNullAndTheRuleGoesOn(t *testing.T) {
	dir := t.TempDir()
	rule := `id: 0d1c5e9a-3f2b-4c6d-8e7f-9a0b1c2d3e4f
name: odd values
severity: Low
table: AADNonInteractiveUserSignInLogs
stages:
  - extend:
      Next: tolong(UserAgent) + 1
      N: todynamic(DeviceDetail).n + 1
  - project: [UserPrincipalName, Next, N]
`
	input := `{"Type":"AADNonInteractiveUserSignInLogs","TimeGenerated":"2026-11-20T10:00:00Z","UserPrincipalName":"a@contoso.com","UserAgent":"Mozilla/5.0","DeviceDetail":"{\"n\":\"x\"}"}
{"Type":"AADNonInteractiveUserSignInLogs","TimeGenerated":"2026-11-20T10:01:00Z","UserPrincipalName":"b@contoso.com","UserAgent":"41","DeviceDetail":"{\"n\":1}"}
{"Type":"AADNonInteractiveUserSignInLogs","TimeGenerated":"2026-11-20T10:02:00Z","UserPrincipalName":"c@contoso.com","UserAgent":"","DeviceDetail":"{\"n\":\"y\"}"}
`
	rulePath, inputPath := filepath.Join(dir, "odd.yaml"), filepath.Join(dir, "in.ndjson")
	if err := os.WriteFile(rulePath, []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(inputPath, []byte(input), 0o644); err != nil {
		t.Fatal(err)
	}
	r := detect(t, "", "run", "--rule", rulePath, "--now", "latest", inputPath)
	if r.status != 0 || len(r.alerts) != 3 {
		t.Fatalf("status %d, %d alerts\n%s", r.status, len(r.alerts), r.stderr)
	}
	if r.alerts[0]["Next"] != nil || r.alerts[0]["N"] != nil || r.alerts[1]["Next"] != 42.0 || r.alerts[1]["N"] != 2.0 {
		t.Errorf("alerts %v", r.alerts)
	}
	want := rulePath + ": 2 row evaluations of todynamic(DeviceDetail).n + 1 gave null (cannot apply + to a string and a long)"
	if !strings.Contains(r.stderr, want) || strings.Contains(r.stderr, "tolong(UserAgent) + 1 gave null") {
		t.Errorf("summary lacks %q:\n%s", want, r.stderr)
	}
}
