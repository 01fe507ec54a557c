package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signin-detect/detect/engine/record"
	"github.com/signin-detect/detect/engine/rule"
)

// unionTables: two interactive sign-ins (lines 1, 2) and two non-interactive ones (11, 12), one of
// each failed.
func unionTables(t *testing.T) map[string][]record.Row {
	return map[string][]record.Row{
		"SigninLogs": {
			tableRow(t, "SigninLogs", 1, map[string]any{"UserPrincipalName": "ann", "ResultType": "0", "DeviceDetail": map[string]any{"deviceId": "d1"}}),
			tableRow(t, "SigninLogs", 2, map[string]any{"UserPrincipalName": "bob", "ResultType": "50126"}),
		},
		nonInteractive: {
			tableRow(t, nonInteractive, 11, map[string]any{"UserPrincipalName": "cat", "ResultType": "0", "DeviceDetail": `{"deviceId":"d3"}`}),
			tableRow(t, nonInteractive, 12, map[string]any{"UserPrincipalName": "dan", "ResultType": "50126"}),
		},
	}
}

// The idiom of the published sign-in rules, as written: a function let over table(tableName),
// called once per table, and the union of the calls. Each call is the let's body over its table,
// with its param a constant (Learn: let statement, tabular functions; table(); union).
func TestUnionOfFunctionLetCalls(t *testing.T) {
	p := mustCompileBody(t, `
let:
  aadFunc:                        # let aadFunc = (tableName:string) { table(tableName) | where ResultType != "0" | extend Source = tableName };
    params: [tableName: string]
    table: $tableName
    stages:
      - where: ResultType != "0"
      - extend: {Source: tableName}
union:                            # union isfuzzy=true aadFunc("SigninLogs"), aadFunc("AADNonInteractiveUserSignInLogs")
  isfuzzy: true
  of: ['aadFunc("SigninLogs")', "aadFunc('AADNonInteractiveUserSignInLogs')"]
stages:
  - project: [UserPrincipalName, Source]
`)
	expectRows(t, "union of calls", show(runTables(t, p, unionTables(t)), "UserPrincipalName", "Source"),
		[]string{"UserPrincipalName=bob Source=SigninLogs @2", "UserPrincipalName=dan Source=AADNonInteractiveUserSignInLogs @12"})
}

// union kind=outer names a column the operands type differently Name_type in each, and gives a
// row null ("" for strings) where its operand lacks a column; withsource names each row's
// operand: a table by its name, anything else union_argN. kind=inner keeps the columns (name and
// type) every operand has (Learn: union operator).
func TestUnionKindsWithsourceAndColumnNaming(t *testing.T) {
	outer := mustCompileBody(t, `
let:
  failed: {table: SigninLogs, stages: [where: ResultType != "0", project: [UserPrincipalName, Only: "'x'"]]}
union:
  withsource: From
  of: [AADNonInteractiveUserSignInLogs, failed, {table: SigninLogs, stages: [where: ResultType == "0"]}]
stages:
  - extend: {Device: tostring(DeviceDetail_dynamic.deviceId), DeviceText: DeviceDetail_string}
`)
	if outer.Output[0].Name != "From" {
		t.Errorf("withsource column comes first: %v", outer.Output[:3])
	}
	expectRows(t, "outer union", show(runTables(t, outer, unionTables(t)), "From", "UserPrincipalName", "Only", "Device", "DeviceText"),
		[]string{
			`From=AADNonInteractiveUserSignInLogs UserPrincipalName=cat Only= Device= DeviceText={"deviceId":"d3"} @11`,
			`From=AADNonInteractiveUserSignInLogs UserPrincipalName=dan Only= Device= DeviceText= @12`,
			`From=union_arg1 UserPrincipalName=bob Only=x Device= DeviceText= @2`,
			`From=union_arg2 UserPrincipalName=ann Only= Device=d1 DeviceText= @1`,
		})

	inner := mustCompileBody(t, `
union:
  kind: inner
  of: [SigninLogs, {table: AADNonInteractiveUserSignInLogs, stages: [project: [UserPrincipalName, ResultType, DeviceDetail]]}]
stages: []
`)
	var names []string
	for _, col := range inner.Output {
		names = append(names, col.Name)
	}
	if got := strings.Join(names, ","); got != "ResultType,UserPrincipalName" {
		t.Errorf("inner union columns %s, want the common ones of one type in the first operand's order", got)
	}
	if _, err := compileBody(t, "union: [SigninLogs, NoSuchTable]\nstages: []\n"); err == nil || !strings.Contains(err.Error(), "NoSuchTable") {
		t.Errorf("a union of a table that does not exist: %v", err)
	}
	if _, err := compileBody(t, "union: {isfuzzy: true, of: [SigninLogs, NoSuchTable]}\nstages: []\n"); err != nil {
		t.Errorf("isfuzzy leaves out a table that does not exist: %v", err)
	}
}

// T | union (U | where ...): the rows piped in come first, then the operand's (Learn: union).
func TestUnionAsAStage(t *testing.T) {
	p := mustCompileBody(t, `
table: SigninLogs
stages:
  - where: ResultType == "0"
  - union: [{table: AADNonInteractiveUserSignInLogs, stages: [where: ResultType == "0"]}]
  - project: [UserPrincipalName]
`)
	expectRows(t, "piped union", show(runTables(t, p, unionTables(t)), "UserPrincipalName"),
		[]string{"UserPrincipalName=ann @1", "UserPrincipalName=cat @11"})
}

// A rule's rows may start from a let or a call; x in L reads a let of rows as the values of its
// first column, an array value giving its elements, and x !in L is not in (Learn: in operator).
func TestFromALetAndInALetOfRows(t *testing.T) {
	p := mustCompileBody(t, `
let:
  failedUsers:                    # let failedUsers = SigninLogs | where ResultType != "0" | summarize make_set(UserPrincipalName);
    table: SigninLogs
    stages:
      - where: ResultType != "0"
      - summarize: {aggregates: [make_set(UserPrincipalName)]}
  okUsers: {table: AADNonInteractiveUserSignInLogs, stages: [where: ResultType == "0", project: [UserPrincipalName]]}
  everyone: {table: [SigninLogs, AADNonInteractiveUserSignInLogs]}
from: everyone
stages:
  - where: UserPrincipalName in failedUsers or UserPrincipalName in okUsers
  - where: UserPrincipalName not in okUsers
  - project: [UserPrincipalName]
`)
	expectRows(t, "in lets", show(runTables(t, p, unionTables(t)), "UserPrincipalName"), []string{"UserPrincipalName=bob @2"})
}

// An extend's later columns see its earlier ones (Learn: extend operator).
func TestExtendColumnsSeeEarlierOnes(t *testing.T) {
	p := mustCompileBody(t, `
table: SigninLogs
stages:
  - extend:
      A: strcat(UserPrincipalName, "1")
      B: strcat(A, "2")
      UserPrincipalName: strcat(B, "3")
  - project: [UserPrincipalName]
`)
	expectRows(t, "extend", show(runTables(t, p, unionTables(t))[:1], "UserPrincipalName"), []string{"UserPrincipalName=ann123 @1"})
}

// A union leg reads its table on a way of its own: the wheres before the union do not filter what
// the reader gives it.
func TestUnionLegsReadTheirTablesWhole(t *testing.T) {
	p := mustCompileBody(t, `
table: SigninLogs
stages:
  - where: ResultType == "0"
  - union: [{table: SigninLogs, stages: [where: ResultType != "0"]}]
`)
	if f := p.ReadFilters(false)["SigninLogs"]; f != nil {
		t.Errorf("a rule with a union leg over its table has a read filter over %v", f.Columns)
	}
	p = mustCompileBody(t, `
table: SigninLogs
stages:
  - where: ResultType == "0"
  - join: {kind: leftsemi, on: [UserPrincipalName], right: {stages: [union: [AADNonInteractiveUserSignInLogs]]}}
`)
	if f := p.ReadFilters(false)["SigninLogs"]; f != nil {
		t.Errorf("a rule with a union inside a join's right side has a read filter over %v", f.Columns)
	}
}

// A variant edits a stage inside a union's operand by its name, and leaves its base as it was.
func TestVariantEditsAUnionOperand(t *testing.T) {
	dir := t.TempDir()
	base := `id: 5b0f5a52-8d3c-4f1e-9a57-3c2b1d0e9f8a
name: base
severity: Low
union: [{table: SigninLogs, stages: [{name: failed, where: ResultType != "0"}]}]
stages: []
`
	variant := `id: 6b0f5a52-8d3c-4f1e-9a57-3c2b1d0e9f8a
name: variant
extends: base.yaml
stages:
  - replace: failed
    where: ResultType == "0"
`
	if err := os.WriteFile(filepath.Join(dir, "base.yaml"), []byte(base), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "variant.yaml"), []byte(variant), 0o644); err != nil {
		t.Fatal(err)
	}
	rules, err := rule.LoadPaths([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		p, err := Compile(r, Options{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"base": "UserPrincipalName=bob @2", "variant": "UserPrincipalName=ann @1"}[r.Meta.Name]
		expectRows(t, r.Meta.Name, show(runTables(t, p, unionTables(t)), "UserPrincipalName"), []string{want})
	}
}

// toscalar works on any let, one that calls a function let included; a rule may start from a
// call; a call with the wrong arguments, of a let without params, or naming no table is an error
// at its place (Learn: toscalar, let statement).
func TestCallsInFromAndToscalar(t *testing.T) {
	p := mustCompileBody(t, `
let:
  ofTable:
    params: [t: string, code: string]
    table: $t
    stages: [where: ResultType == code]
  failures:                      # let failures = toscalar(ofTable("SigninLogs", "50126") | summarize count());
    toscalar: true
    from: ofTable("SigninLogs", "50126")
    stages: [summarize: {aggregates: [count()]}]
from: ofTable("AADNonInteractiveUserSignInLogs", "0")
stages:
  - extend: {Failures: failures}
  - project: [UserPrincipalName, Failures]
`)
	expectRows(t, "from a call", show(runTables(t, p, unionTables(t)), "UserPrincipalName", "Failures"),
		[]string{"UserPrincipalName=cat Failures=1 @11"})
	for body, want := range map[string]string{
		"let: {f: {params: [t: string], table: $t}}\nfrom: f(\"SigninLogs\", \"x\")\nstages: []\n": "takes 1 arguments",
		"let: {f: {params: [t: string], table: $t}}\nfrom: f(\"NoSuchTable\")\nstages: []\n":       "NoSuchTable",
		"let: {f: {table: SigninLogs}}\nfrom: f(\"SigninLogs\")\nstages: []\n":                     "no let f with params",
		"let: {f: {params: [n: long], table: SigninLogs}}\nfrom: f(\"x\")\nstages: []\n":           "is not a long",
	} {
		if _, err := compileBody(t, body); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one saying %q", body, err, want)
		}
	}
}

// A let with params and a value is a scalar function, called by name in any expression of the
// rule; its body is checked where it is written (Learn: user-defined functions).
func TestScalarFunctionLet(t *testing.T) {
	p := mustCompileBody(t, `
let:
  failedCode:                     # let failedCode = (code:string) { iff(code == "0", "ok", strcat("failed ", code)) };
    params: [code: string]
    value: iff(code == "0", "ok", strcat("failed ", code))
table: SigninLogs
stages:
  - extend: {Outcome: failedCode(ResultType)}
  - where: failedCode(ResultType) != "ok"
  - project: [UserPrincipalName, Outcome]
`)
	expectRows(t, "scalar function", show(runTables(t, p, unionTables(t)), "UserPrincipalName", "Outcome"),
		[]string{"UserPrincipalName=bob Outcome=failed 50126 @2"})
	_, err := compileBody(t, "let:\n  f:\n    params: [x: long]\n    value: x + nosuch\ntable: SigninLogs\nstages: []\n")
	if err == nil || !strings.Contains(err.Error(), "rule.yaml:7:16") {
		t.Errorf("a mistake in a function's body: %v, want it at its place (7:16)", err)
	}
}
