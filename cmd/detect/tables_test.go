package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A custom Log Analytics table (a _CL table a data collection rule fills), defined by a schema file
// the user writes: the built binary reads it from tables/ next to the rules or from --tables, runs
// a rule over its rows with their types, and check places every mistake in such a file.
func TestAUserTableRunsWithTheBuiltBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	binary := filepath.Join(dir, "detect")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	write := func(path, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(args ...string) (int, string, string) {
		cmd := exec.Command(binary, args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		status := 0
		if exit, ok := err.(*exec.ExitError); ok {
			status = exit.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return status, stdout.String(), stderr.String()
	}
	schema := `# Okta's System Log, as a data collection rule writes it to a custom table.
name: OktaSystemLog_CL
columns:
  TimeGenerated: datetime
  EventType: string
  ActorAlternateId: string
  OutcomeResult: string
  RiskScore: int
  Client: dynamic
  Type: string
`
	rule := `id: 3f9d2c41-7e6b-4a85-9c1d-0b2e4f6a8c90
name: Okta admin privilege grants from risky sessions
severity: Medium
table: OktaSystemLog_CL
stages:
  - where: EventType == "user.account.privilege.grant" and OutcomeResult == "SUCCESS" and RiskScore >= 60
  - project: [TimeGenerated, ActorAlternateId, RiskScore, Country: Client.geographicalContext.country]
`
	rows := strings.Join([]string{
		`{"TimeGenerated":"2026-11-20T09:00:00Z","EventType":"user.account.privilege.grant","ActorAlternateId":"ana.silva@contoso.example","OutcomeResult":"SUCCESS","RiskScore":75,"Client":{"geographicalContext":{"country":"Portugal"}},"Type":"OktaSystemLog_CL"}`,
		// Near misses: a low risk score, a failed grant, another event type.
		`{"TimeGenerated":"2026-11-20T09:05:00Z","EventType":"user.account.privilege.grant","ActorAlternateId":"bruno.costa@contoso.example","OutcomeResult":"SUCCESS","RiskScore":59,"Client":{"geographicalContext":{"country":"Portugal"}},"Type":"OktaSystemLog_CL"}`,
		`{"TimeGenerated":"2026-11-20T09:10:00Z","EventType":"user.account.privilege.grant","ActorAlternateId":"clara.weiss@contoso.example","OutcomeResult":"FAILURE","RiskScore":90,"Type":"OktaSystemLog_CL"}`,
		`{"TimeGenerated":"2026-11-20T09:15:00Z","EventType":"user.session.start","ActorAlternateId":"dmitri.ivanov@contoso.example","OutcomeResult":"SUCCESS","RiskScore":95,"Type":"OktaSystemLog_CL"}`,
		// A sign-in of a shipped table in the same export is counted, not read.
		`{"TimeGenerated":"2026-11-20T09:20:00Z","UserPrincipalName":"ana.silva@contoso.example","Type":"SigninLogs"}`,
	}, "\n") + "\n"
	rules := filepath.Join(dir, "rules")
	write(filepath.Join(rules, "okta.yaml"), rule)
	write(filepath.Join(dir, "okta.ndjson"), rows)
	wantAlert := func(stdout string) {
		t.Helper()
		var alert map[string]any
		if strings.Count(stdout, "\n") != 1 || json.Unmarshal([]byte(stdout), &alert) != nil {
			t.Fatalf("want one alert, got:\n%s", stdout)
		}
		if alert["ActorAlternateId"] != "ana.silva@contoso.example" || alert["RiskScore"] != float64(75) || alert["Country"] != "Portugal" {
			t.Errorf("alert %v", alert)
		}
	}

	// Without the schema the table is unknown.
	if status, _, stderr := run("run", "--rule", rules, "--now", "latest", filepath.Join(dir, "okta.ndjson")); status != 1 || !strings.Contains(stderr, `unknown table "OktaSystemLog_CL"`) {
		t.Errorf("without a schema: status %d\n%s", status, stderr)
	}
	// With it in --tables.
	write(filepath.Join(dir, "schemas", "okta.yaml"), schema)
	status, stdout, stderr := run("run", "--rule", rules, "--tables", filepath.Join(dir, "schemas"), "--now", "latest", filepath.Join(dir, "okta.ndjson"))
	if status != 0 || !strings.Contains(stderr, "5 records read (1 of tables no rule reads: SigninLogs 1), 0 rejected, 1 alerts") {
		t.Fatalf("--tables: status %d\n%s", status, stderr)
	}
	wantAlert(stdout)
	// With it in tables/ next to the rules, the rule named as a file or by its folder.
	write(filepath.Join(rules, "tables", "okta.yaml"), schema)
	for _, r := range []string{rules, filepath.Join(rules, "okta.yaml")} {
		status, stdout, stderr := run("run", "--rule", r, "--now", "latest", filepath.Join(dir, "okta.ndjson"))
		if status != 0 {
			t.Fatalf("tables/ next to %s: status %d\n%s", r, status, stderr)
		}
		wantAlert(stdout)
	}
	if status, stdout, stderr := run("check", rules); status != 0 || stdout != "" {
		t.Errorf("check of a sound table: status %d\n%s%s", status, stdout, stderr)
	}

	// A record whose column does not hold its type is rejected at its line.
	write(filepath.Join(dir, "bad.ndjson"), strings.Replace(rows, `"RiskScore":75`, `"RiskScore":"high"`, 1))
	if _, _, stderr := run("run", "--rule", rules, "--now", "latest", filepath.Join(dir, "bad.ndjson")); !strings.Contains(stderr, "bad.ndjson:1: wrong type: RiskScore") {
		t.Errorf("a wrong type in a user table's column:\n%s", stderr)
	}

	// Mistakes in a schema file, each at file:line:col, from check and run alike.
	bad := filepath.Join(rules, "tables", "okta.yaml")
	write(bad, strings.Replace(schema, "RiskScore: int", "RiskScore: integer", 1)+"colour: blue\n")
	want := bad + ":8:14: column RiskScore: unknown KQL type \"integer\"" + " (want string, datetime, long, int, real, bool, timespan, guid or dynamic)\n" +
		bad + ":11:1: unknown key colour (a table schema has name and columns)\n"
	if status, stdout, _ := run("check", rules); status != 1 || !strings.Contains(stdout, want) {
		t.Errorf("check: status %d\n%s\nwant among them:\n%s", status, stdout, want)
	}
	if status, _, stderr := run("run", "--rule", rules, "--now", "latest", filepath.Join(dir, "okta.ndjson")); status != 1 || !strings.Contains(stderr, bad+":8:14:") {
		t.Errorf("run over a faulty schema: status %d\n%s", status, stderr)
	}
	// A schema may not redefine a shipped table.
	write(bad, strings.Replace(schema, "name: OktaSystemLog_CL", "name: SigninLogs", 1))
	if status, stdout, _ := run("check", rules); status != 1 || !strings.Contains(stdout, bad+":1:1: table SigninLogs is already known (a table shipped with detect)") {
		t.Errorf("a shipped table redefined: status %d\n%s", status, stdout)
	}
}

const tablesDir = "../../fixtures/tables"

// enrichment is what an alert of role-assignment-enriched.yaml says of its target: the
// IdentityInfo columns it projects, as JSON.
func enrichment(alerts []map[string]any) []string {
	var out []string
	for _, a := range alerts {
		line, _ := json.Marshal([]any{a["TargetUserPrincipalName"], a["Department"], a["JobTitle"], a["AssignedRoles"], a["IsAccountEnabled"], a["IdentitySnapshot"]})
		out = append(out, string(line))
	}
	return out
}

// A rule that joins IdentityInfo leftouter runs where the input has none: IdentityInfo is an
// empty table of its schema, so every role assignment to a user comes out with null enrichment
// (strings "", the rest null), and the run says once that the table had no rows. With an
// IdentityInfo export, each gets its user's newest snapshot, and users it lacks stay null.
func TestALeftouterJoinWithATableWithoutRows(t *testing.T) {
	rule := filepath.Join(tablesDir, "role-assignment-enriched.yaml")
	base := []string{"run", "--rule", rule, "--now", shapesNow}
	notice := rule + ": the input has no rows of IdentityInfo: the rule read it as an empty table"

	without := detect(t, "", append(base, filepath.Join(auditDir, "la.ndjson"))...)
	want := []string{
		`["bruno.costa@contoso.example","","",null,null,null]`,
		`["clara.weiss@contoso.example","","",null,null,null]`,
		`["dmitri.ivanov@contoso.example","","",null,null,null]`,
		`["farid.haddad@contoso.example","","",null,null,null]`,
		`["gina.rossi@contoso.example","","",null,null,null]`,
	}
	if without.status != 0 || strings.Join(enrichment(without.alerts), "\n") != strings.Join(want, "\n") {
		t.Errorf("without IdentityInfo: status %d\n%s\nwant:\n%s\n%s", without.status, strings.Join(enrichment(without.alerts), "\n"), strings.Join(want, "\n"), without.stderr)
	}
	if strings.Count(without.stderr, notice) != 1 {
		t.Errorf("the run must say once that IdentityInfo had no rows:\n%s", without.stderr)
	}

	with := detect(t, "", append(base, filepath.Join(auditDir, "diag-PT1H.json"), filepath.Join(tablesDir, "IdentityInfo.ndjson"))...)
	want = []string{
		`["bruno.costa@contoso.example","Finance","Senior Accountant",["Global Administrator"],true,"2026-11-20T06:00:00.0000000Z"]`,
		`["clara.weiss@contoso.example","IT Operations","Identity Engineer",["Privileged Role Administrator"],true,"2026-11-20T05:00:00.0000000Z"]`,
		`["dmitri.ivanov@contoso.example","Sales","Account Executive",[],false,"2026-11-20T05:30:00.0000000Z"]`,
		`["farid.haddad@contoso.example","","",null,null,null]`,
		`["gina.rossi@contoso.example","","",null,null,null]`,
	}
	if with.status != 0 || strings.Join(enrichment(with.alerts), "\n") != strings.Join(want, "\n") {
		t.Errorf("with IdentityInfo: status %d\n%s\nwant:\n%s\n%s", with.status, strings.Join(enrichment(with.alerts), "\n"), strings.Join(want, "\n"), with.stderr)
	}
	if strings.Contains(with.stderr, "no rows of") {
		t.Errorf("IdentityInfo had rows:\n%s", with.stderr)
	}
}

// Each enrichment table's Log Analytics export in fixtures/tables is read whole, every column with
// its schema's type.
func TestEnrichmentTablesAreReadFromTheirExports(t *testing.T) {
	dir := t.TempDir()
	for table, check := range map[string]struct {
		rows   int
		column string
		want   string
	}{
		"IdentityInfo":      {5, "GroupMembership", `["Finance","All Staff"]`},
		"BehaviorAnalytics": {3, "InvestigationPriority", `3`},
		"OfficeActivity":    {3, "ClientIP", `"185.220.101.7:52311"`},
		"AWSCloudTrail":     {3, "SessionMfaAuthenticated", `false`},
	} {
		rule := filepath.Join(dir, table+".yaml")
		text := "id: 1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f\nname: every row of " + table + "\nseverity: Informational\ntable: " + table +
			"\nstages:\n  - where: isnotnull(TimeGenerated)\n"
		if err := os.WriteFile(rule, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		r := detect(t, "", "run", "--rule", rule, "--now", shapesNow, filepath.Join(tablesDir, table+".ndjson"))
		summary := fmt.Sprintf("summary: 1 files, %d records read, 0 rejected, %d alerts", check.rows, check.rows)
		if r.status != 0 || !strings.Contains(r.stderr, summary) {
			t.Errorf("%s: status %d, want %s\n%s", table, r.status, summary, r.stderr)
			continue
		}
		if got, _ := json.Marshal(r.alerts[0][check.column]); string(got) != check.want {
			t.Errorf("%s.%s = %s, want %s", table, check.column, got, check.want)
		}
		if len(r.alerts[0]) < 20 {
			t.Errorf("%s: an alert carries %d columns, not the table's", table, len(r.alerts[0]))
		}
	}
}
