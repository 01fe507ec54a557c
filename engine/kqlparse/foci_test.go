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
}
