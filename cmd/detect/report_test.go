package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunReport(t *testing.T) {
	page := filepath.Join(t.TempDir(), "foci.html")
	r := detect(t, "", "run", "--rule", v2Rule, "--now", now, "--report", page, "--report-max-alerts", "10", fixture)
	if r.status != 0 || len(r.alerts) != 23 {
		t.Fatalf("status %d, %d alerts on standard output (want 23)\n%s", r.status, len(r.alerts), r.stderr)
	}
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	html := string(data)
	for _, want := range []string{
		"detect run: 23 alerts from 1 rules",
		"The first 10 of 23 alerts are shown; 13 are left out",
		// what the run said about the rule is on the page too
		"the lookback in stage lookback dropped 5 of the 71 rows",
		`id="run-now">2026-11-20T12:00:00.0000000Z`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the page does not say %q", want)
		}
	}
	if strings.Count(html, `<rect class="bar"`) == 0 {
		t.Error("the page has no timeline bars")
	}
}

func TestRunReportRefusesStream(t *testing.T) {
	page := filepath.Join(t.TempDir(), "foci.html")
	r := detect(t, "", "run", "--rule", v2Rule, "--stream", "--report", page, fixture)
	if r.status != 1 || !strings.Contains(r.stderr, "--report needs every alert's source records, which --stream does not keep") {
		t.Errorf("status %d, stderr %q", r.status, r.stderr)
	}
	if _, err := os.Stat(page); !os.IsNotExist(err) {
		t.Errorf("a page was written: %v", err)
	}
}

func TestRunReportNamesTablesWithoutRows(t *testing.T) {
	// the device-code rule reads SigninLogs and AADUserRiskEvents, which the FOCI fixture lacks
	page := filepath.Join(t.TempDir(), "entra.html")
	r := detect(t, "", "run", "--rule", "../../rules/entra/devicecode-risky-user.yaml", "--now", now, "--report", page, fixture)
	if r.status != 0 {
		t.Fatalf("status %d\n%s", r.status, r.stderr)
	}
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if want := `<dd id="run-empty-tables">SigninLogs, AADUserRiskEvents`; !strings.Contains(string(data), want) {
		t.Errorf("the page does not say %q", want)
	}
}

// A Sentinel rule's entity mappings name the page's entities, whatever its columns are called.
func TestRunReportEntitiesFromMappings(t *testing.T) {
	dir := t.TempDir()
	rule := importRule(t, dir, "who.yaml", `id: 0b4fd0e4-3c55-4bb2-a0f2-6f0b1c2d3e4f
name: cli logins by who
severity: Low
queryFrequency: 1d
queryPeriod: 1d
query: |
  AADNonInteractiveUserSignInLogs
  | where AppDisplayName == "Microsoft Azure CLI"
  | project TimeGenerated, Who = UserPrincipalName, From = IPAddress
entityMappings:
  - entityType: Account
    fieldMappings:
      - identifier: FullName
        columnName: Who
  - entityType: IP
    fieldMappings:
      - identifier: Address
        columnName: From
`)
	page := filepath.Join(dir, "who.html")
	r := detect(t, "", "run", "--rule", rule, "--now", now, "--report", page, fixture)
	if r.status != 0 || len(r.alerts) == 0 {
		t.Fatalf("status %d, %d alerts\n%s", r.status, len(r.alerts), r.stderr)
	}
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	html := string(data)
	for _, a := range r.alerts {
		for _, want := range []string{"<tr><td>Account</td><td>" + a["Who"].(string) + "</td>", "<tr><td>IP</td><td>" + a["From"].(string) + "</td>"} {
			if !strings.Contains(html, want) {
				t.Errorf("the entities do not list %q", want)
			}
		}
	}
}

func TestHuntReport(t *testing.T) {
	page := filepath.Join(t.TempDir(), "hunt.html")
	r := detect(t, "", "hunt", "--rule", v2Rule, "--report", page, fixture)
	if r.status != 0 || len(r.alerts) == 0 {
		t.Fatalf("status %d, %d alerts\n%s", r.status, len(r.alerts), r.stderr)
	}
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	html := string(data)
	for _, want := range []string{
		fmt.Sprintf("detect hunt: %d alerts from 1 rules", len(r.alerts)),
		`<dt>evaluations</dt><dd><div><a href="#rule-0">Suspicious FOCI token logins (V2)</a>: `,
		" alerts found, ",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the page does not say %q", want)
		}
	}
	if strings.Contains(html, `id="run-now"`) {
		t.Error("a hunt has no one now, but the page gives one")
	}
}
