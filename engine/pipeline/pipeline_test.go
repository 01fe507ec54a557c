package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signin-detect/detect/engine/kql"
	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/rule"
	"github.com/signin-detect/detect/engine/schema"
)

var now = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

const header = `id: 5b0f5a52-8d3c-4f1e-9a57-3c2b1d0e9f8a
name: test
severity: Low
table: AADNonInteractiveUserSignInLogs
`

// compileRule writes a rule file with body after the standard header and plans it.
func compileRule(t *testing.T, body string) (*Plan, error) {
	t.Helper()
	return compileRuleB(t, body)
}

func compileRuleB(t testing.TB, body string) (*Plan, error) {
	path := filepath.Join(t.TempDir(), "rule.yaml")
	if err := os.WriteFile(path, []byte(header+body), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := rule.Load(path)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return Compile(r, Options{Now: now})
}

func mustCompile(t *testing.T, body string) *Plan {
	t.Helper()
	p, err := compileRule(t, body)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return p
}

// signin makes an input row with every column of the table, as the reader would: strings "" and
// other types null unless given.
func signin(line int, values map[string]any) record.Row {
	table, _ := schema.Lookup("AADNonInteractiveUserSignInLogs")
	row := map[string]any{}
	for _, col := range table.Columns {
		row[col.Name] = col.Type.Zero()
	}
	for k, v := range values {
		row[k] = v
	}
	return record.NewRow(row, []record.Source{{File: "in.ndjson", Line: line}})
}

func run(t *testing.T, p *Plan, rows ...record.Row) []record.Row {
	t.Helper()
	out, _, err := p.Run(map[string][]record.Row{"AADNonInteractiveUserSignInLogs": rows})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

const selfJoin = `stages:
  - name: first
    where: IncomingTokenType == "none"
  - name: pair
    join:
      kind: inner
      on: [SessionId, UserPrincipalName]
      right:
        stages:
          - where: IncomingTokenType != "none"
  - project: [SessionId, AppDisplayName, AppDisplayName1, SessionId1, UserPrincipalName1]
`

// https://learn.microsoft.com/kusto/query/join-operator: kind=inner emits every matching pair,
// duplicates included, and keys compare as ==: case-sensitively, "" equal to "".
func TestInnerJoinEmitsEveryPair(t *testing.T) {
	p := mustCompile(t, selfJoin)
	rows := []record.Row{
		signin(1, map[string]any{"SessionId": "s1", "UserPrincipalName": "a@x", "IncomingTokenType": "none", "AppDisplayName": "Teams"}),
		signin(2, map[string]any{"SessionId": "s1", "UserPrincipalName": "a@x", "IncomingTokenType": "none", "AppDisplayName": "Outlook"}),
		signin(3, map[string]any{"SessionId": "s1", "UserPrincipalName": "a@x", "IncomingTokenType": "refreshToken", "AppDisplayName": "CLI"}),
		signin(4, map[string]any{"SessionId": "s1", "UserPrincipalName": "a@x", "IncomingTokenType": "refreshToken", "AppDisplayName": "CLI"}),
		// Different case in the key: no match.
		signin(5, map[string]any{"SessionId": "s1", "UserPrincipalName": "A@x", "IncomingTokenType": "refreshToken", "AppDisplayName": "PowerShell"}),
		// Empty session ids match each other.
		signin(6, map[string]any{"SessionId": "", "UserPrincipalName": "b@x", "IncomingTokenType": "none", "AppDisplayName": "Teams"}),
		signin(7, map[string]any{"SessionId": "", "UserPrincipalName": "b@x", "AppDisplayName": "PowerShell"}),
	}
	got := run(t, p, rows...)
	var pairs []string
	for _, r := range got {
		pairs = append(pairs, r.Get("AppDisplayName").(string)+">"+r.Get("AppDisplayName1").(string)+"@"+
			r.Sources[0].String()+","+r.Sources[1].String())
	}
	want := []string{
		"Teams>CLI@in.ndjson:1,in.ndjson:3", "Teams>CLI@in.ndjson:1,in.ndjson:4",
		"Outlook>CLI@in.ndjson:2,in.ndjson:3", "Outlook>CLI@in.ndjson:2,in.ndjson:4",
		"Teams>PowerShell@in.ndjson:6,in.ndjson:7",
	}
	if strings.Join(pairs, " ") != strings.Join(want, " ") {
		t.Errorf("pairs:\n got  %v\n want %v", pairs, want)
	}
	// The right side's key columns are kept too, renamed as KQL names them.
	if got[0].Get("SessionId1") != "s1" || got[0].Get("UserPrincipalName1") != "a@x" {
		t.Errorf("right key columns: %v", got[0].Map())
	}
}

func TestJoinNamesClashingColumnsWithTheSmallestUnusedNumber(t *testing.T) {
	p := mustCompile(t, `stages:
  - extend:
      ResultType1: '"left column already called ResultType1"'
  - join:
      kind: inner
      on: [SessionId]
      right:
        stages: []
`)
	names := map[string]bool{}
	for _, c := range p.Output {
		names[c.Name] = true
	}
	for _, want := range []string{"ResultType", "ResultType1", "ResultType2", "DeviceDetail1", "SessionId1"} {
		if !names[want] {
			t.Errorf("no column %s in %d output columns", want, len(p.Output))
		}
	}
	got := run(t, p, signin(1, map[string]any{"SessionId": "s", "ResultType": "0"}), signin(2, map[string]any{"SessionId": "s", "ResultType": "50126"}))
	// Rows 1 and 2 pair with each other and themselves: 4 pairs; the pair (1, 2) is the second.
	if len(got) != 4 || got[1].Get("ResultType") != "0" || got[1].Get("ResultType2") != "50126" ||
		got[1].Get("ResultType1") != "left column already called ResultType1" {
		t.Errorf("rows: %d, pair (1,2): %v %v %v", len(got), got[1].Get("ResultType"), got[1].Get("ResultType1"), got[1].Get("ResultType2"))
	}
}

func TestJoinRightSideStartsFromANamedStage(t *testing.T) {
	p := mustCompile(t, `stages:
  - name: home
    where: HomeTenantId == ResourceTenantId
  - where: IncomingTokenType == "none"
  - join:
      kind: inner
      on: [SessionId]
      right:
        from: home
        stages:
          - where: IncomingTokenType != "none"
`)
	got := run(t, p,
		signin(1, map[string]any{"SessionId": "s", "IncomingTokenType": "none", "HomeTenantId": "t", "ResourceTenantId": "t"}),
		signin(2, map[string]any{"SessionId": "s", "IncomingTokenType": "refreshToken", "HomeTenantId": "t", "ResourceTenantId": "t"}),
		// A guest sign-in: dropped by "home" on the right side too.
		signin(3, map[string]any{"SessionId": "s", "IncomingTokenType": "refreshToken", "HomeTenantId": "t", "ResourceTenantId": "other"}),
	)
	if len(got) != 1 || got[0].Sources[1].Line != 2 {
		t.Errorf("want the one pair (1, 2), got %d rows", len(got))
	}
}

func TestExtendProjectAndRename(t *testing.T) {
	p := mustCompile(t, `stages:
  - extend:
      Minutes: datetime_diff('minute', now(), TimeGenerated)
      Hours: Minutes / 60
      AppDisplayName: toupper(AppDisplayName)
  - project-rename:
      App: AppDisplayName
  - project:
      - Hours
      - App
      - Late: Minutes > 90
`)
	if names := columnNames(p.Output); names != "Hours, App, Late" {
		t.Errorf("output columns %s", names)
	}
	got := run(t, p, signin(1, map[string]any{"TimeGenerated": now.Add(-150 * time.Minute), "AppDisplayName": "Teams"}))
	v := got[0].Map()
	// long / long truncates: 150 / 60 is 2 (https://learn.microsoft.com/kusto/query/numerical-operators).
	if v["App"] != "TEAMS" || v["Late"] != true || v["Hours"] != int64(2) || len(v) != 3 {
		t.Errorf("row %v", v)
	}
}

// https://learn.microsoft.com/kusto/query/ago-function: a where TimeGenerated > ago(6h) keeps
// rows strictly after now - 6h.
func TestLookbackIsStrict(t *testing.T) {
	p := mustCompile(t, "stages:\n  - where: TimeGenerated > ago(\"6h\")\n")
	got := run(t, p,
		signin(1, map[string]any{"TimeGenerated": now.Add(-6 * time.Hour)}),
		signin(2, map[string]any{"TimeGenerated": now.Add(-6*time.Hour + kql.Tick)}),
		signin(3, map[string]any{}), // null TimeGenerated: no comparison holds
	)
	if len(got) != 1 || got[0].Sources[0].Line != 2 {
		t.Errorf("want only row 2, got %d rows", len(got))
	}
	if !p.Stages[0].Lookback() {
		t.Error("the stage reads the clock: a lookback")
	}
}

func TestInputColumnsAreWhatTheRuleReads(t *testing.T) {
	p := mustCompile(t, selfJoin)
	if got := strings.Join(p.Inputs[0].Columns, ","); got != "AppDisplayName,IncomingTokenType,SessionId,UserPrincipalName" {
		t.Errorf("input columns %s", got)
	}
	unprojected := mustCompile(t, "stages:\n  - where: AppId == \"x\"\n")
	if in := unprojected.Inputs[0]; len(in.Columns) != len(in.Table.Columns) {
		t.Errorf("without a project every column reaches the output: %d", len(in.Columns))
	}
}

func TestCompileErrorsPointIntoTheRuleFile(t *testing.T) {
	_, err := compileRule(t, `stages:
  - where: AppId == NoSuchColumn
  - where: |
      AppId == "x"
        and datetime_diff('fortnight', TimeGenerated, TimeGenerated) > 0
  - where: tostring(AppId)
  - name: j
    join:
      kind: inner
      on: [SessionId, Missing]
      right:
        from: later
        stages: []
  - name: later
    project-rename:
      New: Nope
`)
	if err == nil {
		t.Fatal("want errors")
	}
	text := err.Error()
	for _, want := range []string{
		"rule.yaml:6:21: unknown name NoSuchColumn",
		"rule.yaml:9:27: datetime_diff: unknown period",
		"rule.yaml:10:12: where needs a true/false predicate",
		`rule.yaml:11:5: join right from "later": no stage of that name comes before this join`,
		"rule.yaml:14:23: join key Missing is not a column of the left and right side",
		"rule.yaml:20:7: project-rename New = Nope: no column Nope here",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in:\n%s", want, text)
		}
	}
}
