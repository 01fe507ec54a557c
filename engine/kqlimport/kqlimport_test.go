package kqlimport

import (
	"errors"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/signin-detect/detect/engine/kqlparse"
	"github.com/signin-detect/detect/engine/sentinel"
)

func testTranslator() *translator {
	return &translator{place: func(p kqlparse.Pos) sentinel.Position {
		return sentinel.Position{File: "q.kql", Line: p.Line, Col: p.Col}
	}, scope: map[string]*binding{}, places: map[*yaml.Node]kqlparse.Pos{}}
}

// Every KQL operator translates by its entry in the tables, into the rule language's form (README
// "KQL to YAML"); the run-time equivalence of each is checked in cmd/detect's construct tests.
func TestExpressionsTranslate(t *testing.T) {
	for _, c := range []struct{ kql, want string }{
		{`A == "x" and B != 'y' or C <> 1`, `A == "x" and B != "y" or C != 1`},
		{`a =~ "S"`, `equals_ci(a, "S")`},
		{`a !~ "S"`, `not equals_ci(a, "S")`},
		{`a has "t" and a !has "u"`, `has(a, "t") and not has(a, "u")`},
		{`a has_cs "T"`, `has_cs(a, "T")`},
		{`a contains "c" or a !contains "d"`, `a contains "c" or not (a contains "d")`},
		{`a startswith "s" and a !endswith "e"`, `a startsWith "s" and not (a endsWith "e")`},
		{`a matches regex @"\d+\.x"`, "a matches `\\d+\\.x`"},
		{`a in ("x", "y")`, `a in ["x", "y"]`},
		{`a !in ("x")`, `a not in ["x"]`},
		{`a in~ ("X", "Y")`, `in_ci(a, ["X", "Y"])`},
		{`a !in~ ("X")`, `not in_ci(a, ["X"])`},
		{`a in (dynamic(["x", 2]), "z")`, `a in ["x", 2, "z"]`},
		{`x between (1 .. 5)`, `between(x, 1, 5)`},
		{`x !between (1 .. 5)`, `isnotnull(x) and not between(x, 1, 5)`},
		{`T between (datetime(2026-11-20) .. 1h)`, `between(T, todatetime("2026-11-20T00:00:00.0000000Z"), totimespan("1h"))`},
		{`TimeGenerated > ago(6h)`, `TimeGenerated > ago("6h")`},
		{`bin(TimeGenerated, 1d)`, `bin(TimeGenerated, "1d")`},
		{`now() - 90m`, `now() - totimespan("90m")`},
		{`1.5h`, `totimespan("90m")`},
		{`(a + b) * c - -d`, `(a + b) * c - -d`},
		{`a - (b - c)`, `a - (b - c)`},
		{`not(a == 1 or b == 2)`, `not (a == 1 or b == 2)`},
		{`(a or b) and c`, `(a or b) and c`},
		{`todynamic(D).isCompliant != "true"`, `todynamic(D).isCompliant != "true"`},
		{`todynamic(D)["odd key"][0]`, `todynamic(D)["odd key"][0]`},
		{`extract("\"scope\":\"\\[(.*)\\]\"", 1, X)`, "extract(`\"scope\":\"\\[(.*)\\]\"`, 1, X)"},
		{`strcat("a\tb", "` + "`" + `\\")`, `strcat("a\tb", "` + "`" + `\\")`},
		{`datetime_diff('minute', A, B)`, `datetime_diff("minute", A, B)`},
		{`iff(isempty(x), long(null), 2)`, `iff(isempty(x), nil, 2)`},
		{`2.0 * x`, `2.0 * x`},
		{`true and false`, `true and false`},
	} {
		x, err := kqlparse.ParseExpr(c.kql)
		if err != nil {
			t.Fatalf("%s: %v", c.kql, err)
		}
		got, err := testTranslator().expr(x)
		if err != nil || got != c.want {
			t.Errorf("%s\n got  %s (%v)\n want %s", c.kql, got, err, c.want)
		}
	}
}

// What has no translation is refused, naming the construct at its line:col.
func TestRefusalsNameTheConstructAndItsPlace(t *testing.T) {
	for _, c := range []struct{ kql, want string }{
		{"SigninLogs\n| where a hasprefix \"x\"", `q.kql:2:9: the operator hasprefix is not supported yet`},
		{"SigninLogs\n| where no_such_function(a)", `q.kql:2:9: the function no_such_function() is not supported yet`},
		{"SigninLogs\n| extend x = count()", `q.kql:2:14: the aggregate count() outside summarize is not supported yet`},
		{"SigninLogs\n| sample 5", `q.kql:2:3: the sample operator is not supported yet`},
		{"NoSuchTable_CL | where x == 1", `q.kql:1:1: the table NoSuchTable_CL (detect has no schema for it; add one with --tables) is not supported yet`},
		{"SigninLogs | join kind=fancy (U) on K", `q.kql:1:19: join kind=fancy is not supported yet`},
		{"SigninLogs | extend tostring(a)", `q.kql:1:21: an extend column without a name is not supported yet`},
		{"SigninLogs | summarize by strlen(a)", `q.kql:1:27: a summarize key without a name is not supported yet`},
		{"SigninLogs | where x in (\"a\", (SigninLogs | project y))", `q.kql:1:31: a subquery in a list is not supported yet`},
		{"_GetWatchlist(\"BreakGlass\") | project a", `q.kql:1:1: _GetWatchlist() (watchlists and ASIM parsers are functions of a Sentinel workspace, which detect does not have) is not supported yet`},
		{"SigninLogs | parse tolower(a) with * \"x\" b", `q.kql:1:20: parse of an expression other than a column is not supported yet`},
		{"SigninLogs | where x == toscalar(5)", `q.kql:1:25: toscalar() of a scalar is not supported yet`},
		{"let f = (a:string = \"x\") { SigninLogs | where b == a };\nf(\"x\")", `q.kql:1:10: a default value of a user function's parameter is not supported yet`},
		{"let f = (t:string) { let s = table(t); s | join (s) on a };\nf(\"SigninLogs\")", `q.kql:1:50: a let inside a user function read more than once is not supported yet`},
		{"let f = (t:string) { table(t) };\nf(\"SigninLogs\") | where f(\"x\")", `q.kql:2:25: a call of the user function f is not supported yet`},
		{"SigninLogs | where a == h\"secret\"", `q.kql:1:25: an obfuscated string (h"...") is not supported yet`},
		{"let starttime = totimespan('{{StartTimeISO}}');\nSigninLogs | where TimeGenerated > ago(starttime)", `q.kql:1:28: the hunting-query placeholder StartTimeISO is not supported yet`},
		{"SigninLogs | where TimeGenerated > datetime('{{StartTimeISO}}')", `q.kql:1:36: the hunting-query placeholder StartTimeISO is not supported yet`},
		{"SigninLogs | mv-expand bagexpansion=array A", `q.kql:1:24: mv-expand bagexpansion is not supported yet`},
		{"externaldata(a: string) [\"https://x.test/a.csv\"] | where a == 1", `q.kql:1:1: externaldata outside a let is not supported yet`},
	} {
		q, err := kqlparse.Parse(c.kql)
		if err != nil {
			t.Fatalf("%s: %v", c.kql, err)
		}
		tr := testTranslator()
		tr.src = c.kql
		_, err = tr.query(q)
		var refusal *Refusal
		if !errors.As(err, &refusal) || err.Error() != c.want {
			t.Errorf("%q\n got  %v\n want %s", c.kql, err, c.want)
		}
	}
}

// toscalar(rows) inside an expression becomes a toscalar let of its own, read by name there.
func TestToscalarInsideAnExpressionIsALet(t *testing.T) {
	src := "let hasFailures = isnotempty(toscalar(SigninLogs | where ResultType != \"0\" | summarize count()));\nSigninLogs | where hasFailures"
	q, err := kqlparse.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	tr := testTranslator()
	tr.src = src
	if _, err := tr.query(q); err != nil {
		t.Fatal(err)
	}
	if len(tr.letOrder) != 1 || tr.letOrder[0].name != "hasFailures_scalar" {
		t.Fatalf("lets %+v", tr.letOrder)
	}
	if got := tr.scope["hasFailures"].text; got != "isnotempty(hasFailures_scalar)" {
		t.Errorf("hasFailures is %s", got)
	}
}

// The output reads like a hand port: a scalar let is a param, a list from externaldata a lookup,
// a let read by other lets stays a let, the query's first let becomes its first stages (its last
// stage named after it, for the join that reads it), each stage has its KQL above it, and the
// metadata is carried.
func TestOutputReadsLikeAHandPort(t *testing.T) {
	file := `id: 0a5fb2a4-0f7d-4d1e-8c3a-6f1b2d3c4e5f
name: Example
description: 'Sign-ins of listed apps, paired.'
severity: Low
queryFrequency: 1h
queryPeriod: 3h
triggerOperator: gt
triggerThreshold: 2
tactics: [InitialAccess]
relevantTechniques: [T1078, T1A0007]
query: |
  let limit = 10;
  let Listed = toscalar(externaldata(app_id: string) [@"https://example.test/apps.csv"] with (format="csv", ignoreFirstRecord=true)
    | summarize make_set(app_id));
  let Signins = SigninLogs | where AppId in (Listed);
  let Counts = Signins | summarize N = count() by UserPrincipalName;
  Signins
  | join kind=inner (Counts) on UserPrincipalName
  | where N < limit
entityMappings:
  - entityType: Account
    fieldMappings:
      - identifier: FullName
        columnName: UserPrincipalName
kind: Scheduled
`
	r, err := sentinel.Decode("example.yaml", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Translate(r)
	if err != nil {
		t.Fatal(err)
	}
	got := string(res.YAML)
	for _, want := range []string{
		"# Imported from the Sentinel analytic rule example.yaml by detect import.",
		"description: |\n  Sign-ins of listed apps, paired.\n",
		"queryPeriod: 3h\nqueryFrequency: 1h\ntriggerOperator: gt\ntriggerThreshold: 2\n",
		"relevantTechniques: [T1078]",
		"  kind: Scheduled\n",
		"  relevantTechniques: [T1A0007]",
		"params:\n  # let limit = 10;\n  limit: 10\n",
		"lookups:\n  # let Listed = toscalar(externaldata(app_id: string)",
		"  Listed:\n    file: Listed.csv\n    column: app_id\n    url: https://example.test/apps.csv\n",
		"let:\n  # let Signins = SigninLogs | where AppId in (Listed);\n  Signins:\n    table: SigninLogs\n",
		"  # let Counts = Signins | summarize N = count() by UserPrincipalName;\n  Counts:\n    from: Signins\n",
		"table: SigninLogs\nstages:\n  # let Signins = SigninLogs | where AppId in (Listed);\n",
		"  # | join kind=inner (Counts) on UserPrincipalName\n  - join:\n      kind: inner\n      on: [UserPrincipalName]\n      right:\n        from: Counts\n",
		"  # | where N < limit\n  - where: N < limit\n",
		`between(TimeGenerated, ago("3h"), now())`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the rule lacks %q:\n%s", want, got)
		}
	}
	if len(res.Lookups) != 1 || res.Lookups[0].URL != "https://example.test/apps.csv" || res.Lookups[0].File != "Listed.csv" {
		t.Errorf("lookups %+v", res.Lookups)
	}
}
