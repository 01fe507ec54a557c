package kqlparse

import "testing"

// A query written for this test in the style of the FOCI token detections: a scalar let, a
// toscalar over externaldata, a materialized let joined with itself, project-rename, extract
// with an escaped regex, datetime_diff, and a where over an `in` list. The tree must have the
// shape a translator walks: lets in order, then the source and its operators.
const fociStyle = `// minutes allowed between the two sign-ins
let windowMinutes = 60;
let FamilyApps = toscalar(externaldata(app_id: string)
  [@"https://example.test/family-apps.csv"] with (format="csv", ignoreFirstRecord=true)
  | summarize AppIds = make_list(app_id));
let Requests = materialize(
  AADNonInteractiveUserSignInLogs
  | where TimeGenerated > ago(6h)
  | where HomeTenantId == ResourceTenantId and AppId in (FamilyApps));
Requests
| where IncomingTokenType == "none"
| join kind=inner (
    Requests
    | where IncomingTokenType != "none"
    | project-rename LaterApp = AppDisplayName, LaterTime = TimeGenerated
  ) on SessionId, UserPrincipalName
| extend Scope = extract("\"scope\":\"\\[(.*)\\]\"", 1, AuthenticationProcessingDetails)
| extend Gap = datetime_diff('minute', LaterTime, TimeGenerated)
| where Gap between (1 .. windowMinutes)
| project FirstTime = TimeGenerated, LaterTime, LaterApp, Gap, Scope
| where LaterApp in ("Azure CLI", "Azure PowerShell")
`

func TestParseAFociStyleQuery(t *testing.T) {
	q, err := Parse(fociStyle)
	if err != nil {
		t.Fatal(err)
	}
	checkPositions(t, fociStyle, q)
	var names []string
	for _, l := range q.Lets {
		names = append(names, l.Name.Name)
	}
	if got := dump(names); got != "[windowMinutes FamilyApps Requests]" {
		t.Errorf("lets %s", got)
	}
	family := q.Lets[1].Value.(*Call)
	if family.Fn.Name != "toscalar" {
		t.Fatalf("FamilyApps is %s", dump(family))
	}
	ext := family.Args[0].(*Pipeline)
	if got := dump(ext.Source); got != `(ExternalData Columns=[(ColumnDecl Name=app_id Type=string)] URLs=["https://example.test/family-apps.csv"] With=[(OpParam Name=format Value="csv") (OpParam Name=ignoreFirstRecord Value=bool:true)])` {
		t.Errorf("externaldata %s", got)
	}
	if q.Lets[2].Value.(*Call).Fn.Name != "materialize" {
		t.Errorf("Requests is not materialized")
	}
	pl := q.Result.(*Pipeline)
	var ops []string
	for _, op := range pl.Ops {
		ops = append(ops, op.Name())
	}
	if got := dump(ops); got != "[where join extend extend where project where]" {
		t.Errorf("operators %s", got)
	}
	join := pl.Ops[1].(*Join)
	if got := dump(join.On); got != "[SessionId UserPrincipalName]" {
		t.Errorf("join keys %s", got)
	}
	right := join.Right.(*Paren).X.(*Pipeline)
	if got := dump(right.Ops[1]); got != "(ProjectRename Columns=[(Assignment Names=[LaterApp] Value=AppDisplayName) (Assignment Names=[LaterTime] Value=TimeGenerated)])" {
		t.Errorf("project-rename %s", got)
	}
	if got := dump(pl.Ops[2].(*Extend).Columns[0].Value.(*Call).Args[0]); got != `"\"scope\":\"\\[(.*)\\]\""` {
		t.Errorf("the regex decodes to %s", got)
	}
	if got := pl.Ops[1].Position().String(); got != "12:3" {
		t.Errorf("join at %s", got)
	}
	// The text of each operator, as a translator quotes it above the stage it writes.
	for i, want := range []string{
		`where IncomingTokenType == "none"`,
		"join kind=inner (\n    Requests\n    | where IncomingTokenType != \"none\"\n    | project-rename LaterApp = AppDisplayName, LaterTime = TimeGenerated\n  ) on SessionId, UserPrincipalName",
		`extend Scope = extract("\"scope\":\"\\[(.*)\\]\"", 1, AuthenticationProcessingDetails)`,
	} {
		if got := pl.OperatorText(fociStyle, i); got != want {
			t.Errorf("operator %d:\n got %q\nwant %q", i, got, want)
		}
	}
	if got := pl.OperatorText(fociStyle, len(pl.Ops)-1); got != `where LaterApp in ("Azure CLI", "Azure PowerShell")` {
		t.Errorf("last operator %q", got)
	}
	if got := right.OperatorText(fociStyle, 1); got != "project-rename LaterApp = AppDisplayName, LaterTime = TimeGenerated" {
		t.Errorf("operator of the join's right side %q", got)
	}
	// A let's End closes its statement, before the semicolon.
	if l := q.Lets[0]; fociStyle[l.Offset:l.End.Offset] != "let windowMinutes = 60" {
		t.Errorf("let text %q", fociStyle[l.Offset:l.End.Offset])
	}
}

func TestOperatorTextLeavesOutTheCommentLinesAfterIt(t *testing.T) {
	src := "T\n| where A // keep this one\n// a note on the next step\n\n| take 5 // five\n// the end\n"
	q, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	pl := q.Result.(*Pipeline)
	if got := pl.OperatorText(src, 0); got != "where A // keep this one" {
		t.Errorf("where: %q", got)
	}
	if got := pl.OperatorText(src, 1); got != "take 5" {
		t.Errorf("take: %q", got)
	}
	if pl.End.String() != "5:9" {
		t.Errorf("pipeline ends at %s", pl.End)
	}
}
