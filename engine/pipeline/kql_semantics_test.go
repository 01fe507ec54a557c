package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/rule"
	"github.com/signin-detect/detect/engine/schema"
)

// compileBody plans a rule made of the metadata every rule needs and body (which names its table).
func compileBody(t *testing.T, body string) (*Plan, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rule.yaml")
	text := "id: 5b0f5a52-8d3c-4f1e-9a57-3c2b1d0e9f8a\nname: test\nseverity: Low\n" + body
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := rule.Load(path)
	if err != nil {
		return nil, err
	}
	return Compile(r, Options{Now: now})
}

func mustCompileBody(t *testing.T, body string) *Plan {
	t.Helper()
	p, err := compileBody(t, body)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return p
}

// tableRow makes a row of table as the reader would: every column, strings "" and the rest null
// unless given; its source is table.ndjson:line.
func tableRow(t testing.TB, table string, line int, values map[string]any) record.Row {
	t.Helper()
	schemaTable, err := schema.Lookup(table)
	if err != nil {
		t.Fatal(err)
	}
	row := map[string]any{}
	for _, col := range schemaTable.Columns {
		row[col.Name] = col.Type.Zero()
	}
	for k, v := range values {
		if _, ok := schemaTable.Column(k); !ok {
			t.Fatalf("%s has no column %s", table, k)
		}
		row[k] = v
	}
	return record.NewRow(row, []record.Source{{File: table + ".ndjson", Line: line}})
}

func runTables(t *testing.T, p *Plan, tables map[string][]record.Row) []record.Row {
	t.Helper()
	out, _, err := p.Run(tables)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// show prints rows as "col=value ... @sources" lines, for comparing with what KQL returns.
func show(rows []record.Row, cols ...string) []string {
	var out []string
	for _, r := range rows {
		var parts []string
		for _, c := range cols {
			v := r.Get(c)
			if tm, ok := v.(time.Time); ok {
				v = tm.Format("15:04")
			}
			parts = append(parts, fmt.Sprintf("%s=%v", c, v))
		}
		var src []string
		for _, s := range r.Sources {
			src = append(src, fmt.Sprint(s.Line))
		}
		out = append(out, strings.Join(parts, " ")+" @"+strings.Join(src, ","))
	}
	return out
}

func expectRows(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got  %q\n want %q", what, got, want)
	}
}

const nonInteractive = "AADNonInteractiveUserSignInLogs"

// joinRows: two left rows share key s1 (lines 1 and 2), one left row (3) has no partner, one (4)
// has an empty key; on the right, s1 has two rows (11, 12), "" one (13).
func joinRows(t *testing.T) []record.Row {
	mk := func(line int, session, app, token string) record.Row {
		return tableRow(t, nonInteractive, line, map[string]any{"SessionId": session, "AppDisplayName": app, "IncomingTokenType": token})
	}
	return []record.Row{
		mk(1, "s1", "Teams", "none"), mk(2, "s1", "Outlook", "none"), mk(3, "s2", "Word", "none"), mk(4, "", "Excel", "none"),
		mk(11, "s1", "CLI", "refreshToken"), mk(12, "s1", "PowerShell", "refreshToken"), mk(13, "", "Graph", "refreshToken"),
	}
}

// https://learn.microsoft.com/kusto/query/join-operator: innerunique (the default) keeps the
// first left row of each key and pairs it with every right row; inner pairs every left row with
// every right row; leftouter adds the left rows without a partner, their right columns null
// (strings ""); leftsemi and leftanti keep left rows, with left columns only, that have a partner
// or have none.
func TestJoinKinds(t *testing.T) {
	body := func(kind string) string {
		return `table: AADNonInteractiveUserSignInLogs
stages:
  - where: IncomingTokenType == "none"
  - join:
` + kind + `      on: [SessionId]
      right:
        stages:
          - where: IncomingTokenType != "none"
`
	}
	cases := []struct {
		kind string
		want []string
	}{
		{"", []string{"AppDisplayName=Teams AppDisplayName1=CLI @1,11", "AppDisplayName=Teams AppDisplayName1=PowerShell @1,12",
			"AppDisplayName=Excel AppDisplayName1=Graph @4,13"}},
		{"      kind: innerunique\n", []string{"AppDisplayName=Teams AppDisplayName1=CLI @1,11", "AppDisplayName=Teams AppDisplayName1=PowerShell @1,12",
			"AppDisplayName=Excel AppDisplayName1=Graph @4,13"}},
		{"      kind: inner\n", []string{"AppDisplayName=Teams AppDisplayName1=CLI @1,11", "AppDisplayName=Teams AppDisplayName1=PowerShell @1,12",
			"AppDisplayName=Outlook AppDisplayName1=CLI @2,11", "AppDisplayName=Outlook AppDisplayName1=PowerShell @2,12",
			"AppDisplayName=Excel AppDisplayName1=Graph @4,13"}},
		{"      kind: leftouter\n", []string{"AppDisplayName=Teams AppDisplayName1=CLI @1,11", "AppDisplayName=Teams AppDisplayName1=PowerShell @1,12",
			"AppDisplayName=Outlook AppDisplayName1=CLI @2,11", "AppDisplayName=Outlook AppDisplayName1=PowerShell @2,12",
			"AppDisplayName=Word AppDisplayName1= @3", "AppDisplayName=Excel AppDisplayName1=Graph @4,13"}},
		{"      kind: leftsemi\n", []string{"AppDisplayName=Teams AppDisplayName1=<nil> @1", "AppDisplayName=Outlook AppDisplayName1=<nil> @2",
			"AppDisplayName=Excel AppDisplayName1=<nil> @4"}},
		{"      kind: leftanti\n", []string{"AppDisplayName=Word AppDisplayName1=<nil> @3"}},
	}
	for _, c := range cases {
		p := mustCompileBody(t, body(c.kind))
		got := runTables(t, p, map[string][]record.Row{nonInteractive: joinRows(t)})
		expectRows(t, "join "+c.kind, show(got, "AppDisplayName", "AppDisplayName1"), c.want)
		hasRight := indexOf(p.Output, "AppDisplayName1") >= 0
		if semiOrAnti := strings.Contains(c.kind, "leftsemi") || strings.Contains(c.kind, "leftanti"); hasRight == semiOrAnti {
			t.Errorf("join %s: right columns in the output: %v", c.kind, hasRight)
		}
	}
	// leftouter's missing right datetime is null, not a zero time.
	p := mustCompileBody(t, body("      kind: leftouter\n"))
	for _, row := range runTables(t, p, map[string][]record.Row{nonInteractive: joinRows(t)}) {
		if row.Get("AppDisplayName") == "Word" && row.Get("TimeGenerated1") != nil {
			t.Errorf("an unmatched left row's right datetime is %v, want null", row.Get("TimeGenerated1"))
		}
	}
}

// Keys named differently on each side: $left.A == $right.B, or {left: A, right: B}; both columns
// stay in the output. A null key matches nothing, not even a null.
func TestJoinKeysNamedDifferently(t *testing.T) {
	for _, on := range []string{`["$left.UserPrincipalName == $right.AlternateSignInName"]`,
		`["$right.AlternateSignInName == $left.UserPrincipalName"]`, `[{left: UserPrincipalName, right: AlternateSignInName}]`} {
		p := mustCompileBody(t, `table: AADNonInteractiveUserSignInLogs
stages:
  - where: IncomingTokenType == "none"
  - join:
      kind: inner
      on: `+on+`
      right:
        stages:
          - where: IncomingTokenType != "none"
`)
		rows := []record.Row{
			tableRow(t, nonInteractive, 1, map[string]any{"IncomingTokenType": "none", "UserPrincipalName": "a@x"}),
			tableRow(t, nonInteractive, 2, map[string]any{"IncomingTokenType": "none", "UserPrincipalName": "b@x"}),
			tableRow(t, nonInteractive, 3, map[string]any{"IncomingTokenType": "refreshToken", "AlternateSignInName": "a@x", "UserPrincipalName": "other"}),
			tableRow(t, nonInteractive, 4, map[string]any{"IncomingTokenType": "refreshToken", "AlternateSignInName": "A@x"}),
		}
		got := runTables(t, p, map[string][]record.Row{nonInteractive: rows})
		expectRows(t, "on "+on, show(got, "UserPrincipalName", "AlternateSignInName1", "UserPrincipalName1"),
			[]string{"UserPrincipalName=a@x AlternateSignInName1=a@x UserPrincipalName1=other @1,3"})
	}
	p := mustCompileBody(t, `table: SigninLogs
stages:
  - extend: {K: todynamic(DeviceDetail).deviceId}
  - join:
      kind: inner
      on: [K]
      right:
        stages:
          - extend: {K: todynamic(DeviceDetail).deviceId}
`)
	got := runTables(t, p, map[string][]record.Row{"SigninLogs": {
		tableRow(t, "SigninLogs", 1, map[string]any{"DeviceDetail": map[string]any{}}),
		tableRow(t, "SigninLogs", 2, map[string]any{"DeviceDetail": map[string]any{}}),
	}})
	if len(got) != 0 {
		t.Errorf("null keys joined: %d rows", len(got))
	}
}

// https://learn.microsoft.com/kusto/query/union-operator: the union of tables has every column of
// each; a column the tables type differently becomes one column per type, Column_type; a row
// lacks nothing, missing columns being null ("" for strings).
func TestUnionOfTables(t *testing.T) {
	p := mustCompileBody(t, `table: [SigninLogs, AADNonInteractiveUserSignInLogs]
stages:
  - where: equals_ci(ResultSignature, "success")
`)
	cols := map[string]string{}
	for _, c := range p.Output {
		cols[c.Name] = c.Type.String()
	}
	for name, want := range map[string]string{"DeviceDetail_dynamic": "dynamic", "DeviceDetail_string": "string",
		"UserPrincipalName": "string", "TimeGenerated": "datetime", "AuthenticationDetails": "string"} {
		if cols[name] != want {
			t.Errorf("union column %s is %q, want %s", name, cols[name], want)
		}
	}
	if _, ok := cols["DeviceDetail"]; ok {
		t.Error("a column the tables type differently must not keep its plain name")
	}
	interactive := tableRow(t, "SigninLogs", 1, map[string]any{"ResultSignature": "SUCCESS", "DeviceDetail": map[string]any{"deviceId": "d1"}})
	other := tableRow(t, nonInteractive, 2, map[string]any{"ResultSignature": "success", "DeviceDetail": `{"deviceId":"d2"}`})
	failed := tableRow(t, nonInteractive, 3, map[string]any{"ResultSignature": "FAILURE"})
	got := runTables(t, p, map[string][]record.Row{"SigninLogs": {interactive}, nonInteractive: {other, failed}})
	expectRows(t, "union", show(got, "DeviceDetail_dynamic", "DeviceDetail_string"), []string{
		"DeviceDetail_dynamic=map[deviceId:d1] DeviceDetail_string= @1",
		"DeviceDetail_dynamic=<nil> DeviceDetail_string={\"deviceId\":\"d2\"} @2",
	})
	// Reading DeviceDetail_string reads the non-interactive table's DeviceDetail; nothing projects,
	// so every column of both tables is read.
	if len(p.Inputs) != 2 || len(p.Inputs[0].Columns) != len(p.Inputs[0].Table.Columns) {
		t.Errorf("inputs: %d tables", len(p.Inputs))
	}
	projected := mustCompileBody(t, `table: [SigninLogs, AADNonInteractiveUserSignInLogs]
stages:
  - project: [DeviceDetail_string, UserPrincipalName]
`)
	for _, in := range projected.Inputs {
		if got := strings.Join(in.Columns, ","); got != "DeviceDetail,UserPrincipalName" && got != "UserPrincipalName" {
			t.Errorf("%s columns read: %s", in.Table.Name, got)
		}
	}
}

func at(hhmm string) time.Time {
	t, err := time.Parse("2006-01-02T15:04", "2026-11-20T"+hhmm)
	if err != nil {
		panic(err)
	}
	return t
}

// https://learn.microsoft.com/kusto/query/summarize-operator: one row per distinct group key
// (nulls are a group of their own), the keys first, then the aggregates; nulls are ignored by
// the aggregates. count-aggregation-function, dcount-aggregation-function, sum-aggregation-function,
// min-aggregation-function, max-aggregation-function, make-set-aggregation-function,
// make-list-aggregation-function.
func TestSummarize(t *testing.T) {
	p := mustCompileBody(t, `table: AADNonInteractiveUserSignInLogs
stages:
  - extend: {Device: todynamic(DeviceDetail).deviceId}
  - summarize:
      aggregates:
        - count()
        - Apps: dcount(AppDisplayName)
        - First: min(TimeGenerated)
        - max(TimeGenerated)
        - Total: sum(DurationMs)
        - make_set(AppDisplayName)
        - Durations: make_list(DurationMs)
      by: [Device]
`)
	if got := columnNames(p.Output); got != "Device, count_, Apps, First, max_TimeGenerated, Total, set_AppDisplayName, Durations" {
		t.Errorf("columns: %s", got)
	}
	mk := func(line int, device, app, hhmm string, duration any) record.Row {
		detail := `{}`
		if device != "" {
			detail = `{"deviceId":"` + device + `"}`
		}
		values := map[string]any{"DeviceDetail": detail, "AppDisplayName": app, "DurationMs": duration}
		if hhmm != "" {
			values["TimeGenerated"] = at(hhmm)
		}
		return tableRow(t, nonInteractive, line, values)
	}
	got := runTables(t, p, map[string][]record.Row{nonInteractive: {
		mk(1, "d1", "Teams", "09:00", int64(10)),
		mk(2, "", "Teams", "09:30", int64(5)), // no deviceId: the null group
		mk(3, "d1", "CLI", "08:00", nil),
		mk(4, "d1", "Teams", "", int64(7)), // null time: ignored by min and max
		mk(5, "", "Word", "10:00", nil),
	}})
	expectRows(t, "summarize", show(got, "Device", "count_", "Apps", "First", "max_TimeGenerated", "Total", "set_AppDisplayName", "Durations"), []string{
		"Device=d1 count_=3 Apps=2 First=08:00 max_TimeGenerated=09:00 Total=17 set_AppDisplayName=[Teams CLI] Durations=[10 7] @1,3,4",
		"Device=<nil> count_=2 Apps=2 First=09:30 max_TimeGenerated=10:00 Total=5 set_AppDisplayName=[Teams Word] Durations=[5] @2,5",
	})
	// Without group keys: one row, even over no rows, with each aggregate's default.
	empty := runTables(t, p, map[string][]record.Row{nonInteractive: nil})
	if len(empty) != 0 {
		t.Errorf("with group keys, no rows give no groups: %d", len(empty))
	}
	whole := mustCompileBody(t, `table: AADNonInteractiveUserSignInLogs
stages:
  - summarize:
      aggregates: [count(), "dcount(AppId)", "sum(DurationMs)", "make_set(AppId)", "min(TimeGenerated)", "arg_max(TimeGenerated, AppId)"]
`)
	got = runTables(t, whole, map[string][]record.Row{nonInteractive: nil})
	expectRows(t, "summarize of no rows", show(got, "count_", "dcount_AppId", "sum_DurationMs", "set_AppId", "min_TimeGenerated", "TimeGenerated", "AppId"),
		[]string{"count_=0 dcount_AppId=0 sum_DurationMs=0 set_AppId=[] min_TimeGenerated=<nil> TimeGenerated=<nil> AppId= @"})
}

// https://learn.microsoft.com/kusto/query/bin-function: by bin(TimeGenerated, 1h) groups by hour
// and names the key after the column.
func TestSummarizeByBin(t *testing.T) {
	p := mustCompileBody(t, `table: AADNonInteractiveUserSignInLogs
stages:
  - summarize:
      aggregates: [count()]
      by: [UserPrincipalName, 'bin(TimeGenerated, "1h")']
`)
	if got := columnNames(p.Output); got != "UserPrincipalName, TimeGenerated, count_" {
		t.Errorf("columns: %s", got)
	}
	var rows []record.Row
	for i, hhmm := range []string{"09:00", "09:59", "10:00", "08:15"} {
		rows = append(rows, tableRow(t, nonInteractive, i+1, map[string]any{"UserPrincipalName": "a@x", "TimeGenerated": at(hhmm)}))
	}
	got := runTables(t, p, map[string][]record.Row{nonInteractive: rows})
	expectRows(t, "by hour", show(got, "TimeGenerated", "count_"), []string{"TimeGenerated=09:00 count_=2 @1,2",
		"TimeGenerated=10:00 count_=1 @3", "TimeGenerated=08:00 count_=1 @4"})
}

// https://learn.microsoft.com/kusto/query/arg-min-aggregation-function: arg_min(X, *) returns the
// whole row with the smallest X per group (the keys, then X, then the other columns); rows whose X
// is null are ignored unless every X of the group is null, when one row is picked. On a tie KQL
// returns any of the rows; detect returns the first, so that runs repeat.
func TestArgMinKeepsWholeRowsAndTheFirstOfATie(t *testing.T) {
	p := mustCompileBody(t, `table: AADNonInteractiveUserSignInLogs
stages:
  - summarize:
      aggregates: ["arg_min(TimeGenerated, *)"]
      by: [SessionId]
  - project: [SessionId, TimeGenerated, AppDisplayName]
`)
	mk := func(line int, session, hhmm, app string) record.Row {
		values := map[string]any{"SessionId": session, "AppDisplayName": app}
		if hhmm != "" {
			values["TimeGenerated"] = at(hhmm)
		}
		return tableRow(t, nonInteractive, line, values)
	}
	got := runTables(t, p, map[string][]record.Row{nonInteractive: {
		mk(1, "s1", "09:00", "Teams"), mk(2, "s1", "", "NullTime"), mk(3, "s1", "08:00", "CLI"), mk(4, "s1", "08:00", "PowerShell"),
		mk(5, "s2", "", "OnlyNull1"), mk(6, "s2", "", "OnlyNull2"),
		mk(7, "s3", "10:00", "Late"), mk(8, "s3", "07:00", "Early"),
	}})
	expectRows(t, "arg_min", show(got, "SessionId", "TimeGenerated", "AppDisplayName"), []string{
		"SessionId=s1 TimeGenerated=08:00 AppDisplayName=CLI @3",
		"SessionId=s2 TimeGenerated=<nil> AppDisplayName=OnlyNull1 @5",
		"SessionId=s3 TimeGenerated=07:00 AppDisplayName=Early @8",
	})
	summarized := p.Stages[0].Out
	if summarized[0].Name != "SessionId" || summarized[1].Name != "TimeGenerated" || indexOf(summarized[2:], "SessionId") >= 0 ||
		indexOf(summarized[2:], "TimeGenerated") >= 0 || len(summarized) != len(p.Stages[0].In) {
		t.Errorf("arg_min(TimeGenerated, *) by SessionId columns: %s", columnNames(summarized))
	}
	// Without a project after it, arg_min(X, *) lets every column reach the output: all are read;
	// with one, only what it reads.
	if in := p.Inputs[0]; strings.Join(in.Columns, ",") != "AppDisplayName,SessionId,TimeGenerated" {
		t.Errorf("arg_min(*) then a project reads %v", in.Columns)
	}
	whole := mustCompileBody(t, "table: AADNonInteractiveUserSignInLogs\nstages:\n  - summarize: {aggregates: ['arg_min(TimeGenerated, *)'], by: [SessionId]}\n")
	if in := whole.Inputs[0]; len(in.Columns) != len(in.Table.Columns) {
		t.Errorf("arg_min(*) reads %d of %d columns", len(in.Columns), len(in.Table.Columns))
	}
	max := mustCompileBody(t, `table: AADNonInteractiveUserSignInLogs
stages:
  - summarize:
      aggregates:
        - Last: arg_max(TimeGenerated, AppDisplayName)
      by: [SessionId]
`)
	if got := columnNames(max.Output); got != "SessionId, Last, AppDisplayName" {
		t.Errorf("columns: %s", got)
	}
	got = runTables(t, max, map[string][]record.Row{nonInteractive: {mk(1, "s1", "09:00", "A"), mk(2, "s1", "09:00", "B"), mk(3, "s1", "08:00", "C")}})
	expectRows(t, "arg_max", show(got, "Last", "AppDisplayName"), []string{"Last=09:00 AppDisplayName=A @1"})
}

// https://learn.microsoft.com/kusto/query/mv-expand-operator: a row per array element, the other
// columns copied; an empty array makes no row (the row is dropped); null makes one row with null;
// a property bag expands to one-property bags, in the bag's order; columns expanded together line up, the shorter
// padded with null.
func TestMvExpand(t *testing.T) {
	p := mustCompileBody(t, `table: SigninLogs
stages:
  - mv-expand:
      Step: todynamic(AuthenticationDetails)
      Policy: todynamic(ConditionalAccessPolicies)
  - project: [Id, Step, Policy]
`)
	mk := func(line int, id, details string, policies any) record.Row {
		return tableRow(t, "SigninLogs", line, map[string]any{"Id": id, "AuthenticationDetails": details, "ConditionalAccessPolicies": policies})
	}
	got := runTables(t, p, map[string][]record.Row{"SigninLogs": {
		mk(1, "two", `[{"m":"Password"},{"m":"MFA"}]`, []any{"p1"}),
		mk(2, "empty", `[]`, []any{}),
		mk(3, "null", `null`, nil),
		mk(4, "bag", `{"b":2,"a":1}`, nil),
	}})
	expectRows(t, "mv-expand", show(got, "Id", "Step", "Policy"), []string{
		`Id=two Step={"m":"Password"} Policy=p1 @1`,
		`Id=two Step={"m":"MFA"} Policy=<nil> @1`,
		"Id=null Step=<nil> Policy=<nil> @3",
		// A bag expands in its own order, not sorted.
		`Id=bag Step={"b":2} Policy=<nil> @4`,
		`Id=bag Step={"a":1} Policy=<nil> @4`,
	})
	_, err := compileBody(t, `table: SigninLogs
stages:
  - mv-expand: AuthenticationDetails
  - mv-expand: [Nope]
  - mv-expand: {X: tostring(Id)}
`)
	for _, want := range []string{
		"rule.yaml:6:16: mv-expand expands dynamic arrays; AuthenticationDetails is a string column (holding JSON text? expand AuthenticationDetails: todynamic(AuthenticationDetails))",
		"rule.yaml:7:17: mv-expand Nope: name the expanded column",
		"rule.yaml:8:17: mv-expand expands dynamic arrays; tostring(Id) gives a string",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in %v", want, err)
		}
	}
}

// https://learn.microsoft.com/kusto/query/distinct-operator: one row per combination of values.
func TestDistinct(t *testing.T) {
	p := mustCompileBody(t, `table: AADNonInteractiveUserSignInLogs
stages:
  - distinct: [UserPrincipalName, AppDisplayName]
`)
	mk := func(line int, upn, app string) record.Row {
		return tableRow(t, nonInteractive, line, map[string]any{"UserPrincipalName": upn, "AppDisplayName": app})
	}
	got := runTables(t, p, map[string][]record.Row{nonInteractive: {mk(1, "a", "Teams"), mk(2, "a", "teams"), mk(3, "a", "Teams"), mk(4, "b", "Teams")}})
	expectRows(t, "distinct", show(got, "UserPrincipalName", "AppDisplayName"), []string{
		"UserPrincipalName=a AppDisplayName=Teams @1,3", "UserPrincipalName=a AppDisplayName=teams @2", "UserPrincipalName=b AppDisplayName=Teams @4"})
	if columnNames(p.Output) != "UserPrincipalName, AppDisplayName" || strings.Join(p.Inputs[0].Columns, ",") != "AppDisplayName,UserPrincipalName" {
		t.Errorf("distinct reads and makes only its columns: %s / %v", columnNames(p.Output), p.Inputs[0].Columns)
	}
	all := mustCompileBody(t, "table: AADUserRiskEvents\nstages:\n  - distinct: '*'\n")
	if len(all.Output) != 27 {
		t.Errorf("distinct * keeps every column: %d", len(all.Output))
	}
}

// Lets: named results that stages, joins and later lets read; a toscalar let is a value for
// expressions (here the set of a let's sessions, as make_set() makes it).
// https://learn.microsoft.com/kusto/query/let-statement
// https://learn.microsoft.com/kusto/query/toscalar-function
func TestLetsAndToscalar(t *testing.T) {
	p := mustCompileBody(t, `table: AADNonInteractiveUserSignInLogs
let:
  risky:
    table: AADUserRiskEvents
    stages:
      - where: RiskLevel == "high"
  riskyUsers:
    toscalar: true
    from: risky
    stages:
      - summarize: {aggregates: ["make_set(UserPrincipalName)"]}
  riskCount:
    toscalar: true
    from: risky
    stages:
      - summarize: {aggregates: [count()]}
stages:
  - where: UserPrincipalName in riskyUsers
  - extend: {Risks: riskCount}
  - join:
      kind: leftsemi
      on: [UserPrincipalName]
      right: {from: risky}
  - project: [UserPrincipalName, Risks]
`)
	risk := func(line int, upn, level string) record.Row {
		return tableRow(t, "AADUserRiskEvents", line, map[string]any{"UserPrincipalName": upn, "RiskLevel": level})
	}
	signin := func(line int, upn string) record.Row {
		return tableRow(t, nonInteractive, line, map[string]any{"UserPrincipalName": upn})
	}
	got := runTables(t, p, map[string][]record.Row{
		"AADUserRiskEvents": {risk(1, "a@x", "high"), risk(2, "b@x", "low"), risk(3, "a@x", "high"), risk(4, "c@x", "high")},
		nonInteractive:      {signin(11, "a@x"), signin(12, "b@x"), signin(13, "A@x"), signin(14, "c@x")},
	})
	expectRows(t, "lets", show(got, "UserPrincipalName", "Risks"), []string{"UserPrincipalName=a@x Risks=3 @11", "UserPrincipalName=c@x Risks=3 @14"})
	if len(p.Inputs) != 2 || p.Inputs[0].Table.Name != "AADUserRiskEvents" || strings.Join(p.Inputs[0].Columns, ",") != "RiskLevel,UserPrincipalName" {
		t.Errorf("inputs: %v", p.Inputs)
	}
	// No risky users: make_set() of no rows is [], and nothing is in it.
	got = runTables(t, p, map[string][]record.Row{"AADUserRiskEvents": {risk(2, "b@x", "low")}, nonInteractive: {signin(11, "a@x"), signin(12, "b@x")}})
	if len(got) != 0 {
		t.Errorf("with no risky users: %d rows", len(got))
	}
}

// queryMistakesHead starts the rules of TestQueryMistakesPointIntoTheRuleFile: a let that reads
// nothing, and a toscalar let (lines 1 to 11, so that the expected places hold).
const queryMistakesHead = `table: AADNonInteractiveUserSignInLogs
let:
  n:
    toscalar: true
    from: nothing
  sessions:
    toscalar: true
    table: AADNonInteractiveUserSignInLogs
    stages:
      - summarize: {aggregates: ["make_set(SessionId)"]}
stages:
`

func TestQueryMistakesPointIntoTheRuleFile(t *testing.T) {
	_, err := compileBody(t, queryMistakesHead+`  - join:
      kind: inner
      on: ["$left.SessionId == $right.Nope", DurationMs]
      right:
        from: sessions
  - join:
      on: [{left: SessionId, right: TimeGenerated}]
      right: {table: NoTable}
`)
	if err == nil || !strings.Contains(err.Error(), `rule.yaml:20:5: table: unknown table "NoTable"`) {
		t.Errorf("an unknown join table: %v", err)
	}
	_, err = compileBody(t, queryMistakesHead+`  - join:
      kind: inner
      on: ["$left.SessionId == $right.Nope"]
      right:
        from: sessions
  - join:
      on: [{left: SessionId, right: TimeGenerated}]
      right: {table: AADUserRiskEvents}
  - summarize:
      aggregates:
        - count()
        - make_set(tolower(AppId))
        - Bad: median(DurationMs)
        - Sum: sum(AppId)
        - Arg: arg_min(TimeGenerated, Nope)
        - X: dcount(NoSuchColumn)
        - "Quoted: count()"
      by: ["tolower(AppId)"]
`)
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{
		`rule.yaml:6:3: let n from "nothing": no let of that name comes before this one`,
		`rule.yaml:15:5: join right from "sessions": that let is a toscalar, a value for expressions, not rows`,
		`rule.yaml:17:12: join key $left.SessionId == $right.Nope: no column Nope on the right side`,
		`rule.yaml:21:12: join key SessionId is a string on the left and a datetime on the right`,
		`rule.yaml:26:11: summarize make_set(tolower(AppId)): name this aggregate`,
		`rule.yaml:27:16: summarize: unknown aggregation median`,
		`rule.yaml:28:20: sum adds numbers; AppId is a string`,
		`rule.yaml:29:39: arg_min returns columns (or *); no column Nope here`,
		`rule.yaml:30:21: unknown name NoSuchColumn`,
		`rule.yaml:31:12: summarize aggregate Quoted: count(): write an aggregation call such as count(), make_set(Column) or arg_min(Column, *) (to name it, write - Name: call, unquoted)`,
		`rule.yaml:32:12: summarize by tolower(AppId): name this group key`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%s", want, err)
		}
	}
}
