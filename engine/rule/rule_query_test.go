package rule

import (
	"strings"
	"testing"
)

const queryRule = `id: 5b0f5a52-8d3c-4f1e-9a57-3c2b1d0e9f8a
name: query
severity: Low
table: [SigninLogs, AADNonInteractiveUserSignInLogs]
let:
  risky:
    table: AADUserRiskEvents
    stages:
      - name: risky-window
        where: TimeGenerated > ago("1d")
  users:
    toscalar: true
    from: risky
    stages:
      - summarize:
          aggregates: [make_set(UserPrincipalName)]
stages:
  - where: UserPrincipalName in users
  - name: pair
    join:
      on: ["$left.UserPrincipalName == $right.UserPrincipalName", {left: IPAddress, right: IpAddress}, SessionId]
      right: {from: risky}
  - mv-expand: {Step: todynamic(AuthenticationDetails)}
  - summarize:
      aggregates:
        - First: arg_min(TimeGenerated, *)
      by: [UserPrincipalName]
  - distinct: [UserPrincipalName]
`

func TestQueriesDecode(t *testing.T) {
	dir := t.TempDir()
	r, err := Load(write(t, dir, "query.yaml", queryRule))
	if err != nil {
		t.Fatal(err)
	}
	if r.Meta.Table != "SigninLogs" || strings.Join(r.Meta.Tables, ",") != "SigninLogs,AADNonInteractiveUserSignInLogs" {
		t.Errorf("tables %q %v", r.Meta.Table, r.Meta.Tables)
	}
	if len(r.Lets) != 2 || r.Lets[0].Name != "risky" || r.Lets[0].Tables[0] != "AADUserRiskEvents" || r.Lets[0].Scalar ||
		r.Lets[1].From != "risky" || !r.Lets[1].Scalar || r.Lets[1].Stages[0].Summarize.Aggregates[0].Expr.Source != "make_set(UserPrincipalName)" {
		t.Errorf("lets %+v %+v", r.Lets[0], r.Lets[1])
	}
	j := r.Stages[1].Join
	if j.Kind != "innerunique" || j.From != "risky" {
		t.Errorf("a join without kind is KQL's innerunique: %q from %q", j.Kind, j.From)
	}
	var keys []string
	for _, k := range j.On {
		keys = append(keys, k.Column+"="+k.Right)
	}
	if strings.Join(keys, " ") != "UserPrincipalName=UserPrincipalName IPAddress=IpAddress SessionId=SessionId" {
		t.Errorf("keys %v", keys)
	}
	if s := r.Stages[2]; s.Kind != MvExpand || s.Columns[0].Column != "Step" || s.Columns[0].Expr.Source != "todynamic(AuthenticationDetails)" {
		t.Errorf("mv-expand %+v", s)
	}
	if s := r.Stages[3].Summarize; s.Aggregates[0].Column != "First" || s.By[0].Column != "" || s.By[0].Expr.Source != "UserPrincipalName" {
		t.Errorf("summarize %+v", s)
	}

	// A variant edits a stage inside a let and redefines a let.
	variant, err := Load(write(t, dir, "variant.yaml", `id: 7c1e6b63-9e4d-4a2f-8b68-4d3c2e1f0a9b
name: variant
extends: query.yaml
table: SigninLogs
let:
  users:
    toscalar: true
    table: AADUserRiskEvents
    stages:
      - summarize: {aggregates: [make_list(UserPrincipalName)]}
stages:
  - replace: risky-window
    where: TimeGenerated > ago("2d")
`))
	if err != nil {
		t.Fatal(err)
	}
	if variant.Lets[0].Stages[0].Where.Source != `TimeGenerated > ago("2d")` || variant.Lets[1].Tables[0] != "AADUserRiskEvents" ||
		strings.Join(variant.Meta.Tables, ",") != "SigninLogs" {
		t.Errorf("variant lets %+v %+v tables %v", variant.Lets[0].Stages[0], variant.Lets[1], variant.Meta.Tables)
	}
	if r.Lets[0].Stages[0].Where.Source != `TimeGenerated > ago("1d")` {
		t.Error("a variant's edit changed its base")
	}
}

func TestQueryMistakesAreReportedAtTheirPlace(t *testing.T) {
	dir := t.TempDir()
	path := write(t, dir, "broken.yaml", `id: 5b0f5a52-8d3c-4f1e-9a57-3c2b1d0e9f8a
name: broken
severity: Low
table: SigninLogs
params:
  limit: 5
let:
  both:
    table: SigninLogs
    from: other
  1bad:
    from: both
  flag:
    toscalar: yes please
    from: both
  limit:
    from: both
  pair:
    from: both
stages:
  - name: pair
    join:
      kind: outer
      on: ["$left.A == $left.B", "A == B", [x]]
      right: {from: pair, table: SigninLogs}
  - distinct: {Name: AppId}
  - summarize: {}
`)
	_, err := Load(path)
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{
		"broken.yaml:9:5: let both needs one of table (a table, or a list of tables to union), from (an earlier let or a call) and union",
		`broken.yaml:11:3: let "1bad": a let's name is a letter or _`,
		"broken.yaml:14:15: let flag toscalar must be true or false",
		"broken.yaml:16:3: let limit has the name of the param or lookup at",
		"broken.yaml:18:3: let pair has the name of the stage at",
		`broken.yaml:23:13: join kind "outer" is not supported (supported: innerunique, inner, leftouter, rightouter, fullouter, leftsemi, leftanti, rightsemi, rightanti)`,
		`broken.yaml:24:12: join key "$left.A == $left.B" compares two columns of the left side`,
		`broken.yaml:24:34: join key "A == B": write a column name, $left.A == $right.B, or {left: A, right: B}`,
		"broken.yaml:24:44: a join key is a column name, $left.A == $right.B, or {left: A, right: B}, not a list",
		"broken.yaml:25:14: join right reads from a let or stage, or from a table; not both",
		"broken.yaml:26:15: distinct takes column names (or *), not Name: expression",
		"broken.yaml:27:16: summarize needs aggregates",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%s", want, err)
		}
	}
}
