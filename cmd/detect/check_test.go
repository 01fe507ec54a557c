package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// One mistake of each kind gets exactly one file:line:col line.
func TestCheckReportsEveryMistakeOnceAtItsPlace(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"lookup.csv": "client_id,application_name\n1fec8e78-bce4-4aaf-ab1b-5451cc387264,Microsoft Teams\n",
		"good.yaml": `id: 11111111-2222-4333-8444-555555555555
name: good
severity: Low
table: AADNonInteractiveUserSignInLogs
params:
  maxTimeDiff: 90
stages:
  - name: first
    where: IncomingTokenType == "none"
`,
		"syntax.yaml": "id: 11111111-2222-4333-8444-555555555556\nname: [unclosed\n",
		"mistakes.yaml": `id: 11111111-2222-4333-8444-555555555557
severity: Low
table: AADNonInteractiveUserSignInLogs
colour: blue
params:
  apps: {a: b}
lookups:
  Gone:
    file: missing.csv
    column: client_id
  NoColumn:
    file: lookup.csv
    column: clientid
stages:
  - filter: AppId == "x"
  - where: AppId == NoSuchColumn
  - where: |
      AppId == "x"
        and ago("6 hours") < TimeGenerated
  - where: DeviceDetails contains "x"
  - join:
      kind: inner
      on: [SessionId, Nope]
      right:
        stages: []
`,
		"orphan.yaml": "id: 11111111-2222-4333-8444-555555555558\nname: orphan\nextends: nowhere.yaml\n",
		"variant.yaml": `id: 11111111-2222-4333-8444-555555555559
name: variant
extends: good.yaml
params:
  maxTimeDiff: soon
stages:
  - replace: second
    where: "true"
`,
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := detect(t, "", "check", dir)
	if r.status != 1 {
		t.Fatalf("status %d", r.status)
	}
	got := strings.Split(strings.TrimSpace(strings.ReplaceAll(r.stdout, dir+string(filepath.Separator), "")), "\n")
	want := []string{
		`mistakes.yaml:1:1: missing required key "name"`,
		`mistakes.yaml:4:1: rule: unknown key "colour"`,
		`mistakes.yaml:6:9: param apps must be a single value or a list, not a mapping`,
		`mistakes.yaml:8:3: lookup Gone: missing.csv: no such file or directory`,
		`mistakes.yaml:11:3: lookup NoColumn: lookup.csv has no column "clientid" in its header row (of 2 columns)`,
		`mistakes.yaml:15:5: unknown stage kind "filter"`,
		`mistakes.yaml:16:21: unknown name NoSuchColumn`,
		`mistakes.yaml:19:17: ago: not a timespan: "6 hours"`,
		`mistakes.yaml:20:12: unknown name DeviceDetails`,
		`mistakes.yaml:23:23: join key Nope is not a column of the left and right side`,
		`orphan.yaml:3:10: base rule nowhere.yaml: no such file or directory`,
		`syntax.yaml:2:1: YAML:`,
		`variant.yaml:5:3: param maxTimeDiff is a whole number in the base rule`,
		`variant.yaml:7:5: replace "second": the base rule has no stage of that name (its stages: first)`,
	}
	sort.Strings(got)
	if len(got) != len(want) {
		t.Errorf("got %d lines, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for _, w := range want {
		found := 0
		for _, g := range got {
			if strings.HasPrefix(g, w) {
				found++
			}
		}
		if found != 1 {
			t.Errorf("%d lines start with %q", found, w)
		}
	}

	asJSON := detect(t, "", "check", "--format", "json", dir)
	var problems []struct {
		File         string
		Line, Column int
		Message      string
	}
	if err := json.Unmarshal([]byte(asJSON.stdout), &problems); err != nil || len(problems) != len(want) || asJSON.status != 1 {
		t.Errorf("json: %v, %d problems, status %d", err, len(problems), asJSON.status)
	}

	clean := detect(t, "", "check", "../../rules")
	if clean.status != 0 || strings.TrimSpace(clean.stdout) != "" {
		t.Errorf("the shipped rules must check clean: %s", clean.stdout)
	}
}

func TestTestCommandShowsADiff(t *testing.T) {
	dir := t.TempDir()
	rule := `id: 11111111-2222-4333-8444-555555555555
name: cli refreshes
severity: Low
table: AADNonInteractiveUserSignInLogs
stages:
  - where: AppDisplayName == "Microsoft Azure CLI" and IncomingTokenType != "none"
  - project: [UserPrincipalName, AppDisplayName]
tests:
  - name: one refresh
    now: 2026-11-20T12:00:00Z
    rows:
      - {AppDisplayName: Microsoft Azure CLI, IncomingTokenType: refreshToken, UserPrincipalName: a@contoso.example}
      - {AppDisplayName: Microsoft Azure CLI, IncomingTokenType: none, UserPrincipalName: b@contoso.example}
    expect:
      - {UserPrincipalName: b@contoso.example}
  - name: passes
    now: 2026-11-20T12:00:00Z
    rows: [{AppDisplayName: Microsoft Teams}]
    expect: []
`
	path := filepath.Join(dir, "cli.yaml")
	if err := os.WriteFile(path, []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	r := detect(t, "", "test", path)
	for _, want := range []string{
		"FAIL " + path + ":9:5: one refresh",
		`missing alert:    {UserPrincipalName: "b@contoso.example"}`,
		`unexpected alert: {UserPrincipalName: "a@contoso.example"}`,
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.status != 1 || lines[len(lines)-1] != "1 passed, 1 failed" {
		t.Errorf("status %d, last line %q", r.status, lines[len(lines)-1])
	}
}

// Expressions are KQL only: detect check rejects every expr-lang builtin, method and unknown
// function, at any depth, at its file:line:col, before any input is read.
func TestCheckRejectsWhatIsNotKQL(t *testing.T) {
	dir := t.TempDir()
	rule := `id: 11111111-2222-4333-8444-555555555560
name: not kql
severity: Low
table: AADNonInteractiveUserSignInLogs
stages:
  - where: int(ResultType) == 0
  - where: tolower(nosuch(AppId)) == "x"
  - extend:
      Day: TimeGenerated.Format("2006-01-02")
      Parts: trim(" ", UserPrincipalName) + "x"
  - where: len(UserPrincipalName) > 3
`
	if err := os.WriteFile(filepath.Join(dir, "rule.yaml"), []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	r := detect(t, "", "check", dir)
	got := strings.TrimSpace(strings.ReplaceAll(r.stdout, dir+string(filepath.Separator), ""))
	want := []string{
		"rule.yaml:6:12: int is not a KQL function (did you mean toint(x)?)",
		"rule.yaml:7:20: nosuch is not a KQL function",
		`rule.yaml:9:26: Format(...) is a method call, which KQL does not have`,
		"rule.yaml:10:43: + does not join strings in KQL; write strcat(a, b)",
		"rule.yaml:11:12: len is not a KQL function (did you mean strlen(x) for a string, array_length(x) for an array?)",
	}
	lines := strings.Split(got, "\n")
	if r.status != 1 || len(lines) != len(want) {
		t.Fatalf("status %d, got:\n%s", r.status, got)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d: %q, want it to start %q", i+1, lines[i], w)
		}
	}
}
