package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signin-detect/detect/engine/rule"
)

// fociV2Sentinel is a Sentinel analytic rule written for these tests: its query is the published
// FOCI V2 detection's logic (the same lets, operators, expressions and projection, the published
// defect SecondResult = ResultType included), in the team's own words and layout.
const fociV2Sentinel = `id: 4fda9303-9745-483d-b533-8efed4bfefe9
name: Suspicious FOCI token logins (V2)
description: |
  A first FOCI sign-in without a token, then a refresh-token sign-in of the same session and user
  to an app adversaries use.
severity: Medium
queryFrequency: 6h
queryPeriod: 6h
triggerOperator: gt
triggerThreshold: 0
tactics:
  - Execution
  - CredentialAccess
relevantTechniques:
  - T1651
  - T1606
query: |
  // minutes allowed between the two sign-ins
  let maxTimeDiff = 90;
  // the family of client ids, from a published list
  let FociClientApplications = toscalar(
      externaldata(client_id: string)
      [@"https://example.test/foci/known-foci-clients.csv"]
      with (format="csv", ignoreFirstRecord=true)
      | summarize FociClientId = make_list(client_id));
  let FociTokenRequest = materialize(AADNonInteractiveUserSignInLogs
      | where TimeGenerated > ago(6h)
      | where HomeTenantId == ResourceTenantId   // home tenant only
      | where AppId in (FociClientApplications));
  FociTokenRequest
  | where IncomingTokenType == "none"
  | join kind=inner (FociTokenRequest
      | where IncomingTokenType != "none"
      | project-rename SecondAppDisplayName = AppDisplayName, SecondRequestTimeGenerated = TimeGenerated, SecondAppId = AppId)
    on SessionId, UserPrincipalName
  | extend FirstOauthScopeInfo = extract("{\"key\":\"Oauth Scope Info\",\"value\":\"\\[(.*)\\]\"}", 1, AuthenticationProcessingDetails),
      SecondOauthScopeInfo = extract("{\"key\":\"Oauth Scope Info\",\"value\":\"\\[(.*)\\]\"}", 1, AuthenticationProcessingDetails1)
  | extend TimeDiff = datetime_diff('minute', SecondRequestTimeGenerated, TimeGenerated)
  | where TimeDiff >= 1 and TimeDiff <= maxTimeDiff
  | project FirstRequestTimeGenerated = TimeGenerated, FirstResult = ResultType, FirstResultDescription = ResultDescription,
      Identity, Location, FirstAppDisplayName = AppDisplayName, FirstAppId = AppId, ClientAppUsed, DeviceDetail,
      SecondDeviceDetail = DeviceDetail1, IPAddress, LocationDetails, UserAgent, SecondRequestTimeGenerated,
      SecondResult = ResultType, SecondResultDescription = ResultDescription1, SecondAppDisplayName, SecondAppId,
      SeconIncomingTokenType = IncomingTokenType1, SessionId, TimeDiff, FirstOauthScopeInfo, SecondOauthScopeInfo,
      FirstResourceIdentity = ResourceIdentity, SecondResourceIdentity = ResourceIdentity1
  | where SecondAppDisplayName in ("Microsoft Azure CLI", "Copilot App", "Microsoft Azure PowerShell", "Visual Studio - Legacy", "Microsoft Edge Enterprise New Tab Page")
      and SecondResourceIdentity == "00000002-0000-0000-c000-000000000000"
  | where SecondResult == 0
`

// importRule imports the Sentinel rule text into dir with detect import and returns the rule's path.
func importRule(t *testing.T, dir, name, sentinelText string) string {
	t.Helper()
	src := filepath.Join(dir, "sentinel", name)
	if err := os.MkdirAll(filepath.Dir(src), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(src, []byte(sentinelText), 0o644); err != nil {
		t.Fatal(err)
	}
	res := detect(t, "", "import", "--output-dir", dir, src)
	if res.status != 0 {
		t.Fatalf("import: status %d\n%s", res.status, res.stderr)
	}
	return filepath.Join(dir, name)
}

// alertRows are a run's alerts without the rule each names, one JSON line each, in output order.
func alertRows(t *testing.T, args ...string) []string {
	t.Helper()
	res := detect(t, "", append([]string{"run"}, args...)...)
	if res.status != 0 {
		t.Fatalf("run %v: status %d\n%s", args, res.status, res.stderr)
	}
	var out []string
	for _, a := range res.alerts {
		delete(a, "_rule")
		line, _ := json.Marshal(a)
		out = append(out, string(line))
	}
	return out
}

func sameRows(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(want) == 0 {
		t.Fatalf("%s: the hand-written rule gives no alerts: the comparison would prove nothing", what)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s: the imported rule gives %d alerts, the hand-written one %d\nimported:\n%s\nhand-written:\n%s",
			what, len(got), len(want), strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// The done-when check of issue 18: the imported FOCI V2 query gives, row by row, the alerts of
// the hand port rules/foci/v2.yaml, on the fixture and on generated data, with --now at or after
// the newest row.
func TestImportedFociV2GivesTheHandPortsAlerts(t *testing.T) {
	dir := t.TempDir()
	imported := importRule(t, dir, "v2.yaml", fociV2Sentinel)
	data, err := os.ReadFile("../../rules/foci/foci-clients.csv")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "FociClientApplications.csv"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	generated := filepath.Join(dir, "generated.ndjson")
	if out, err := exec.Command("go", "run", "../gen", "-n", "10000", "-seed", "11", "-pivots", "0.05", "-o", generated).CombinedOutput(); err != nil {
		t.Fatalf("go run ../gen: %v\n%s", err, out)
	}
	// A now after the newest row, as a scheduled run would have; with an earlier one the imported
	// rule rightly leaves out the rows after now, which the hand port keeps.
	later := newestRow(t, generated).Add(10 * time.Minute).Format(time.RFC3339)
	for _, c := range []struct{ input, now string }{
		{fixture, "latest"}, {fixture, "2026-11-20T12:00:00Z"}, {generated, "latest"}, {generated, later},
	} {
		want := alertRows(t, "--rule", "../../rules/foci/v2.yaml", "--now", c.now, c.input)
		got := alertRows(t, "--rule", imported, "--now", c.now, c.input)
		sameRows(t, filepath.Base(c.input)+" at "+c.now, got, want)
	}
}

func newestRow(t *testing.T, path string) time.Time {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var newest time.Time
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var row struct{ TimeGenerated time.Time }
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatal(err)
		}
		if row.TimeGenerated.After(newest) {
			newest = row.TimeGenerated
		}
	}
	return newest
}

// Each construct the translator handles, in a query written for the test, against the same rule
// written by hand: the same alerts, row by row, over the FOCI fixture.
func TestEveryTranslatedConstructGivesTheHandWrittenRulesAlerts(t *testing.T) {
	for _, c := range []struct {
		name, kql, hand string
		// needs are the stage kinds the case's operators translate to; the case runs once the
		// rule language has them.
		needs []string
	}{
		{"string operators", `
  AADNonInteractiveUserSignInLogs
  | where AppDisplayName =~ "microsoft teams" or AppDisplayName has "cli" or AppDisplayName has_cs "PowerShell"
  | where UserAgent !has "okhttp" and ClientAppUsed !~ "browser" and UserAgent !contains "Copilot"
  | where UserPrincipalName startswith "Megan" or UserPrincipalName endswith "contoso.example" or UserAgent matches regex @"Teams/\d+"
  | where AppDisplayName !startswith "Outlook" and AppDisplayName !endswith "Mobile"
  | project TimeGenerated, UserPrincipalName, AppDisplayName`, `
  - where: equals_ci(AppDisplayName, "microsoft teams") or has(AppDisplayName, "cli") or has_cs(AppDisplayName, "PowerShell")
  - where: not has(UserAgent, "okhttp") and not equals_ci(ClientAppUsed, "browser") and not (UserAgent contains "Copilot")
  - where: UserPrincipalName startsWith "Megan" or UserPrincipalName endsWith "contoso.example" or UserAgent matches "Teams/\\d+"
  - where: not (AppDisplayName startsWith "Outlook") and not (AppDisplayName endsWith "Mobile")
  - project: [TimeGenerated, UserPrincipalName, AppDisplayName]`, nil},
		{"list operators and between", `
  let recent = 5h;
  AADNonInteractiveUserSignInLogs
  | where ResultType in ("0", "50126") and AppId !in ("29d9ed98-a469-4536-ade2-f981bc1d605e")
  | where UserPrincipalName in~ ("MEGAN.BOWEN@contoso.example", "Lee.Gu@contoso.example") or AppDisplayName in (dynamic(["Microsoft Azure CLI"]))
  | where TimeGenerated between (datetime(2026-11-20T05:00:00Z) .. recent)
  | extend Hour = datetime_diff('hour', TimeGenerated, datetime(2026-11-20))
  | where Hour !between (7 .. 8)
  | project TimeGenerated, UserPrincipalName, AppDisplayName, Hour`, `
  - where: ResultType in ["0", "50126"] and AppId not in ["29d9ed98-a469-4536-ade2-f981bc1d605e"]
  - where: in_ci(UserPrincipalName, ["MEGAN.BOWEN@contoso.example", "Lee.Gu@contoso.example"]) or AppDisplayName in ["Microsoft Azure CLI"]
  - where: between(TimeGenerated, todatetime("2026-11-20T05:00:00Z"), totimespan("5h"))
  - extend: {Hour: 'datetime_diff("hour", TimeGenerated, todatetime("2026-11-20"))'}
  - where: not between(Hour, 7, 8)
  - project: [TimeGenerated, UserPrincipalName, AppDisplayName, Hour]`, nil},
		{"params, extend, arithmetic and project-rename", `
  let minMinutes = 2;
  let app = "Microsoft Azure CLI";
  let ratio = 1.5;
  let strictMode = true;
  let since = datetime(2026-11-20T06:00:00Z);
  let window = 2h;
  let cutoff = ago(5h);
  AADNonInteractiveUserSignInLogs
  | where TimeGenerated >= since and TimeGenerated > cutoff and TimeGenerated > now() - window * 3
  | extend Minutes = datetime_diff('minute', now(), TimeGenerated), Scaled = ratio * 2, Flag = strictMode, Lower = tolower(AppDisplayName)
  | where Minutes >= minMinutes and (Lower == tolower(app) or -Minutes < -300)
  | project-rename User = UserPrincipalName
  | project User, Minutes, Scaled, Flag, Lower, Parsed = todynamic(AuthenticationProcessingDetails)[0].key`, `
  - where: TimeGenerated >= todatetime("2026-11-20T06:00:00Z") and TimeGenerated > ago("5h") and TimeGenerated > now() - totimespan("2h") * 3
  - extend:
      Minutes: datetime_diff("minute", now(), TimeGenerated)
      Scaled: 1.5 * 2
      Flag: true
      Lower: tolower(AppDisplayName)
  - where: Minutes >= 2 and (Lower == tolower("Microsoft Azure CLI") or -Minutes < -300)
  - project-rename: {User: UserPrincipalName}
  - project: [User, Minutes, Scaled, Flag, Lower, {Parsed: 'todynamic(AuthenticationProcessingDetails)[0].key'}]`, nil},
		{"joins of every kind, keys named on each side, right sides from a let and from a table", `
  let Teams = AADNonInteractiveUserSignInLogs | where AppDisplayName == "Microsoft Teams" | project SessionId, TeamsTime = TimeGenerated, TeamsUser = UserPrincipalName;
  AADNonInteractiveUserSignInLogs
  | where AppDisplayName != "Microsoft Teams"
  | join kind=leftouter (Teams) on SessionId
  | join kind=leftsemi (AADNonInteractiveUserSignInLogs | where IncomingTokenType == "none" | project-rename FirstUser = UserPrincipalName) on $left.UserPrincipalName == $right.FirstUser
  | join kind=anti (Teams | where TeamsTime < datetime(2026-11-20T06:00:00Z)) on SessionId
  | join (AADNonInteractiveUserSignInLogs | summarize Logins = count() by UserPrincipalName) on UserPrincipalName
  | join kind=inner hint.strategy=shuffle (Teams) on $left.SessionId == $right.SessionId
  | project UserPrincipalName, AppDisplayName, TeamsTime, Logins`, `
  - where: AppDisplayName != "Microsoft Teams"
  - join: {kind: leftouter, on: [SessionId], right: {from: Teams}}
  - join:
      kind: leftsemi
      on: [{left: UserPrincipalName, right: FirstUser}]
      right:
        table: AADNonInteractiveUserSignInLogs
        stages:
          - where: IncomingTokenType == "none"
          - project-rename: {FirstUser: UserPrincipalName}
  - join: {kind: leftanti, on: [SessionId], right: {from: Teams, stages: [where: 'TeamsTime < todatetime("2026-11-20T06:00:00Z")']}}
  - join:
      on: [UserPrincipalName]
      right: {table: AADNonInteractiveUserSignInLogs, stages: [summarize: {aggregates: [{Logins: count()}], by: [UserPrincipalName]}]}
  - join: {kind: inner, on: ["$left.SessionId == $right.SessionId"], right: {from: Teams}}
  - project: [UserPrincipalName, AppDisplayName, TeamsTime, Logins]
let:
  Teams:
    table: AADNonInteractiveUserSignInLogs
    stages:
      - where: AppDisplayName == "Microsoft Teams"
      - project: [SessionId, TeamsTime: TimeGenerated, TeamsUser: UserPrincipalName]`, nil},
		{"summarize, toscalar, mv-expand, distinct, a union and render", `
  let Apps = toscalar(AADNonInteractiveUserSignInLogs | where IncomingTokenType == "none" | summarize make_set(AppDisplayName));
  let Both = union isfuzzy=true AADNonInteractiveUserSignInLogs, SigninLogs;
  Both
  | where AppDisplayName in (Apps)
  | summarize Logins = count(), dcount(AppId), AppSet = make_set(AppDisplayName), arg_max(TimeGenerated, IPAddress), First = min(TimeGenerated) by UserPrincipalName, Hour = bin(TimeGenerated, 1h)
  | mv-expand App = AppSet
  | distinct UserPrincipalName, App, Logins
  | render table`, `
  - where: AppDisplayName in Apps
  - summarize:
      aggregates: [{Logins: count()}, dcount(AppId), {AppSet: make_set(AppDisplayName)}, 'arg_max(TimeGenerated, IPAddress)', {First: min(TimeGenerated)}]
      by: [UserPrincipalName, {Hour: 'bin(TimeGenerated, "1h")'}]
  - mv-expand: {App: AppSet}
  - distinct: [UserPrincipalName, App, Logins]
let:
  Apps:
    toscalar: true
    table: AADNonInteractiveUserSignInLogs
    stages:
      - where: IncomingTokenType == "none"
      - summarize: {aggregates: [make_set(AppDisplayName)]}`, nil},
		// Unnamed summarize keys and aggregates take the names KQL derives (summarize operator: "a
		// name derived from the expression"): tostring(Col) is Col, tolower(x) is Column1, and
		// make_set(tostring(Col)) is set_Col.
		{"summarize keys without a name", `
  AADNonInteractiveUserSignInLogs
  | extend App = AppDisplayName
  | summarize Logins = count(), make_set(tostring(ResultType)) by tolower(UserPrincipalName), tostring(App)
  | project Column1, App, Logins, set_ResultType`, `
  - extend: {App: AppDisplayName}
  - summarize: {aggregates: [{Logins: count()}, {set_ResultType: make_set(tostring(ResultType))}], by: [{Column1: tolower(UserPrincipalName)}, {App: tostring(App)}]}
  - project: [Column1, App, Logins, set_ResultType]`, nil},
		// User-defined functions (Learn: user-defined functions; table() function): a tabular
		// function over table(tableName) with a let inside, called in a let, a union and a join's
		// right side, and a scalar function called in an expression.
		{"user functions", `
  let threshold = 0;
  let classify = (app:string) { iff(app has "Teams", "teams", "other") };
  let perTable = (tableName:string) {
    let successes = table(tableName) | where ResultType == "0";
    successes | summarize Logins = count() by AppDisplayName | where Logins > threshold
  };
  let nonInt = perTable("AADNonInteractiveUserSignInLogs");
  union isfuzzy=true nonInt, perTable("SigninLogs")
  | join kind=inner (perTable("AADNonInteractiveUserSignInLogs") | project AppDisplayName, Again = Logins) on AppDisplayName
  | extend Kind = classify(AppDisplayName)
  | project AppDisplayName, Logins, Again, Kind`, `
  - join: {kind: inner, on: [AppDisplayName], right: {from: 'perTable("AADNonInteractiveUserSignInLogs")', stages: [project: [AppDisplayName, Again: Logins]]}}
  - extend: {Kind: 'classify(AppDisplayName)'}
  - project: [AppDisplayName, Logins, Again, Kind]
let:
  classify:
    params: [app: string]
    value: 'iff(has(app, "Teams"), "teams", "other")'
  perTable:
    params: [tableName: string]
    table: $tableName
    stages:
      - where: ResultType == "0"
      - summarize: {aggregates: [Logins: count()], by: [AppDisplayName]}
      - where: Logins > 0
  nonInt: {from: 'perTable("AADNonInteractiveUserSignInLogs")'}
union:
  isfuzzy: true
  of: [nonInt, 'perTable("SigninLogs")']`, nil},
		// A call's arguments are evaluated, then bound to the function's parameters (Learn:
		// user-defined functions): expressions over the query's lets, a timespan literal.
		{"a user function called with expressions", `
  let span = 2h;
  let lookback = 3h;
  let window = (start:timespan, finish:timespan) {
    AADNonInteractiveUserSignInLogs
    | where TimeGenerated >= ago(start) and TimeGenerated < ago(finish)
    | summarize Logins = count() by UserPrincipalName
    | extend Since = start
  };
  union window(lookback + span, span), window(span, 0d)
  | project UserPrincipalName, Logins, Since`, `
  - project: [UserPrincipalName, Logins, Since]
let:
  window:
    params: [start: timespan, finish: timespan]
    table: AADNonInteractiveUserSignInLogs
    stages:
      - where: TimeGenerated >= ago(start) and TimeGenerated < ago(finish)
      - summarize: {aggregates: [Logins: count()], by: [UserPrincipalName]}
      - extend: {Since: start}
union:
  of: ['window("5h", "2h")', 'window("2h", "0s")']`, nil},
		// make-series (Learn: make-series operator) with default=, from/to/step and by; a tuple
		// extend and an unnamed series_decompose (Learn: series_fit_line, series_decompose);
		// mv-expand ... to typeof() (Learn: mv-expand operator).
		{"make-series, series functions and typed mv-expand", `
  AADNonInteractiveUserSignInLogs
  | make-series Logins = count() default=0, dcount(AppId) on TimeGenerated from datetime(2026-11-20T00:00:00Z) to datetime(2026-11-20T12:00:00Z) step 1h by UserPrincipalName
  | extend (RSquare, Slope) = series_fit_line(Logins)
  | extend series_decompose(Logins)
  | mv-expand with_itemindex=Bin Logins to typeof(long), TimeGenerated to typeof(datetime), Baseline = series_decompose_Logins_baseline to typeof(real)
  | project UserPrincipalName, Bin, Logins, TimeGenerated, Slope, dcount_AppId, Baseline`, `
  - make-series: {aggregates: [Logins: count() default=0, dcount(AppId)], on: TimeGenerated, from: 'todatetime("2026-11-20T00:00:00Z")', to: 'todatetime("2026-11-20T12:00:00Z")', step: 1h, by: [UserPrincipalName]}
  - extend: {"(RSquare, Slope)": series_fit_line(Logins)}
  - extend: [series_decompose(Logins)]
  - mv-expand: [with_itemindex=Bin, Logins to typeof(long), TimeGenerated to typeof(datetime), Baseline: series_decompose_Logins_baseline to typeof(real)]
  - project: [UserPrincipalName, Bin, Logins, TimeGenerated, Slope, dcount_AppId, Baseline]`, []string{"make-series", "mv-expand"}},
		// Unnamed project and mv-expand columns of tostring(Col) and todynamic(Col) are named Col
		// (project operator, mv-expand operator: names derived from the expression); a dynamic
		// property bag literal (dynamic data type); typeof(string) as extractjson's type.
		{"derived names, property bags and typeof", `
  AADNonInteractiveUserSignInLogs
  | extend Agent = dynamic({"AgentType": "Browser", "AgentName": "Edge"})
  | extend Kind = tostring(Agent.AgentType), First = extractjson("$[0].key", AuthenticationProcessingDetails, typeof(string))
  | mv-expand todynamic(AuthenticationProcessingDetails)
  | project tostring(AuthenticationProcessingDetails), Kind, First, UserPrincipalName`, `
  - extend: {Agent: '{"AgentName": "Edge", "AgentType": "Browser"}'}
  - extend: {Kind: tostring(Agent.AgentType), First: 'extractjson("$[0].key", AuthenticationProcessingDetails, typeof(string))'}
  - mv-expand: {AuthenticationProcessingDetails: todynamic(AuthenticationProcessingDetails)}
  - project: [AuthenticationProcessingDetails: tostring(AuthenticationProcessingDetails), Kind, First, UserPrincipalName]`, nil},
		// in (subquery) (Learn: in operator, the subquery's first column) as a let of its own;
		// parse (Learn: parse operator) as written; T | union (Learn: union operator) as a stage.
		{"in a subquery, parse and the union operator", `
  AADNonInteractiveUserSignInLogs
  | where AppDisplayName in ((AADNonInteractiveUserSignInLogs | where ResultType == "0" | project AppDisplayName))
  | parse UserPrincipalName with User "@" Domain
  | union (AADNonInteractiveUserSignInLogs | where AppDisplayName == "Microsoft Teams")
  | project TimeGenerated, User, Domain, AppDisplayName`, `
  - where: AppDisplayName in Apps
  - parse: 'UserPrincipalName with User "@" Domain'
  - union: [{table: AADNonInteractiveUserSignInLogs, stages: [where: AppDisplayName == "Microsoft Teams"]}]
  - project: [TimeGenerated, User, Domain, AppDisplayName]
let:
  Apps:
    table: AADNonInteractiveUserSignInLogs
    stages: [where: ResultType == "0", project: [AppDisplayName]]`, []string{"parse", "union"}},
		// A join's right side that is a union (Learn: join operator, union operator) is a let of
		// its own, read by the join.
		{"a join whose right side is a union", `
  AADNonInteractiveUserSignInLogs
  | where AppDisplayName == "Microsoft Teams"
  | join kind=inner (union (AADNonInteractiveUserSignInLogs | where ResultType == "0"), SigninLogs | summarize Logins = count() by UserPrincipalName) on UserPrincipalName
  | project TimeGenerated, UserPrincipalName, Logins`, `
  - where: AppDisplayName == "Microsoft Teams"
  - join: {kind: inner, on: [UserPrincipalName], right: {from: Right}}
  - project: [TimeGenerated, UserPrincipalName, Logins]
let:
  Right:
    union: {of: [{table: AADNonInteractiveUserSignInLogs, stages: [where: ResultType == "0"]}, SigninLogs]}
    stages: [summarize: {aggregates: [Logins: count()], by: [UserPrincipalName]}]`, nil},
		{"in and !in a let of rows", `
  let Teams = AADNonInteractiveUserSignInLogs | where AppDisplayName == "Microsoft Teams" | distinct SessionId;
  let Guests = AADNonInteractiveUserSignInLogs | where UserPrincipalName endswith "fabrikam.example" | project UserPrincipalName;
  AADNonInteractiveUserSignInLogs
  | where SessionId in (Teams) and AppDisplayName != "Microsoft Teams"
  | where UserPrincipalName !in (Guests)
  | project TimeGenerated, SessionId, UserPrincipalName, AppDisplayName`, `
  - where: SessionId in Teams and AppDisplayName != "Microsoft Teams"
  - where: UserPrincipalName not in Guests
  - project: [TimeGenerated, SessionId, UserPrincipalName, AppDisplayName]
let:
  Teams:
    table: AADNonInteractiveUserSignInLogs
    stages: [where: AppDisplayName == "Microsoft Teams", distinct: [SessionId]]
  Guests:
    table: AADNonInteractiveUserSignInLogs
    stages: [where: UserPrincipalName endsWith "fabrikam.example", project: [UserPrincipalName]]`, nil},
		{"a union of a let, a pipeline and a table", `
  let Teams = AADNonInteractiveUserSignInLogs | where AppDisplayName == "Microsoft Teams";
  union isfuzzy=true Teams, (AADNonInteractiveUserSignInLogs | where AppDisplayName == "Microsoft Azure CLI"), SigninLogs
  | project TimeGenerated, UserPrincipalName, AppDisplayName`, `
  - project: [TimeGenerated, UserPrincipalName, AppDisplayName]
let:
  Teams:
    table: AADNonInteractiveUserSignInLogs
    stages: [where: AppDisplayName == "Microsoft Teams"]
union:
  isfuzzy: true
  of: [Teams, {table: AADNonInteractiveUserSignInLogs, stages: [where: AppDisplayName == "Microsoft Azure CLI"]}, SigninLogs]`, nil},
		{"the column operators", `
  AADNonInteractiveUserSignInLogs
  | where AppDisplayName == "Microsoft Azure CLI"
  | project-away AuthenticationProcessingDetails, Conditional*
  | project-keep TimeGenerated, UserPrincipalName, AppDisplayName, IPAddress
  | project-reorder AppDisplayName, TimeGenerated`, `
  - where: AppDisplayName == "Microsoft Azure CLI"
  - project-away: [AuthenticationProcessingDetails, 'Conditional*']
  - project-keep: [TimeGenerated, UserPrincipalName, AppDisplayName, IPAddress]
  - project-reorder: [AppDisplayName, TimeGenerated]`, []string{"project-away", "project-keep", "project-reorder"}},
		{"ordering", `
  AADNonInteractiveUserSignInLogs
  | project TimeGenerated, UserPrincipalName, AppDisplayName, IPAddress
  | order by TimeGenerated asc, UserPrincipalName desc nulls first
  | top 20 by TimeGenerated desc
  | limit 15`, `
  - project: [TimeGenerated, UserPrincipalName, AppDisplayName, IPAddress]
  - sort: [TimeGenerated asc, UserPrincipalName desc nulls first]
  - top: {count: 20, by: TimeGenerated desc}
  - take: 15`, []string{"sort", "top", "take"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, kind := range c.needs {
				if !slices.Contains(rule.StageKinds, kind) {
					t.Skipf("the rule language has no %s stage yet", kind)
				}
			}
			dir := t.TempDir()
			sentinelText := "id: 8d7b3c5e-4f1a-4b2c-9d3e-1f2a3b4c5d6e\nname: construct\nquery: |" + c.kql + "\n"
			imported := importRule(t, dir, "imported.yaml", sentinelText)
			tables := "AADNonInteractiveUserSignInLogs"
			if strings.Contains(c.kql, "let Both = union") {
				tables = "[AADNonInteractiveUserSignInLogs, SigninLogs]"
			}
			stages, lets, _ := strings.Cut(c.hand, "\nlet:")
			handText := "id: 8d7b3c5e-4f1a-4b2c-9d3e-1f2a3b4c5d6e\nname: construct by hand\nseverity: Informational\n"
			if !strings.Contains(c.hand, "\nunion:") {
				handText += "table: " + tables + "\n"
			}
			if lets != "" {
				handText += "let:" + lets + "\n"
			}
			handText += "stages:" + stages + "\n"
			hand := filepath.Join(dir, "hand.yaml")
			if err := os.WriteFile(hand, []byte(handText), 0o644); err != nil {
				t.Fatal(err)
			}
			want := alertRows(t, "--rule", hand, "--now", "2026-11-20T12:00:00Z", fixture)
			got := alertRows(t, "--rule", imported, "--now", "2026-11-20T12:00:00Z", fixture)
			if t.Failed() {
				return
			}
			sameRows(t, c.name, got, want)
			if t.Failed() {
				text, _ := os.ReadFile(imported)
				t.Logf("imported rule:\n%s", text)
			}
		})
	}
}

// A scheduled rule sees only its queryPeriod ending at now, on every table it reads: a row after
// now, or older than now - queryPeriod, is in no alert.
func TestAnImportedScheduledRuleReadsOnlyItsWindow(t *testing.T) {
	dir := t.TempDir()
	rule := `id: 8d7b3c5e-4f1a-4b2c-9d3e-1f2a3b4c5d6e
name: window
severity: Low
queryFrequency: 1h
queryPeriod: 2h
triggerOperator: gt
triggerThreshold: 0
query: |
  AADNonInteractiveUserSignInLogs
  | join kind=leftsemi (AADNonInteractiveUserSignInLogs | where IncomingTokenType == "none") on SessionId
  | project TimeGenerated, SessionId
`
	imported := importRule(t, dir, "window.yaml", rule)
	text, _ := os.ReadFile(imported)
	if n := strings.Count(string(text), `between(TimeGenerated, ago("2h"), now())`); n != 2 {
		t.Errorf("the window is applied to %d table reads, want 2 (the rule's and the join's):\n%s", n, text)
	}
	// The fixture's rows run from 05:10 to 11:52: at 10:00, rows after 10:00 and before 08:00 are out.
	res := detect(t, "", "run", "--rule", imported, "--now", "2026-11-20T10:00:00Z", fixture)
	if res.status != 0 || len(res.alerts) == 0 {
		t.Fatalf("status %d, %d alerts\n%s", res.status, len(res.alerts), res.stderr)
	}
	for _, a := range res.alerts {
		if ts := a["TimeGenerated"].(string); ts < "2026-11-20T08:00:00" || ts > "2026-11-20T10:00:00" {
			t.Errorf("an alert of %s, outside 08:00..10:00", ts)
		}
	}
}

// The trigger holds back a result that does not pass it; entity mappings become _entities.
func TestImportedTriggerAndEntities(t *testing.T) {
	dir := t.TempDir()
	rule := func(threshold int) string {
		return fmt.Sprintf(`id: 8d7b3c5e-4f1a-4b2c-9d3e-1f2a3b4c5d6e
name: cli logins
severity: Low
queryFrequency: 1d
queryPeriod: 1d
triggerOperator: gt
triggerThreshold: %d
query: |
  AADNonInteractiveUserSignInLogs
  | where AppDisplayName == "Microsoft Azure CLI"
  | project TimeGenerated, UserPrincipalName, IPAddress, Empty = ""
entityMappings:
  - entityType: Account
    fieldMappings:
      - identifier: FullName
        columnName: UserPrincipalName
  - entityType: IP
    fieldMappings:
      - identifier: Address
        columnName: IPAddress
  - entityType: Host
    fieldMappings:
      - identifier: HostName
        columnName: Empty
`, threshold)
	}
	low := importRule(t, dir, "low.yaml", rule(0))
	res := detect(t, "", "run", "--rule", low, "--now", "2026-11-20T12:00:00Z", fixture)
	if res.status != 0 || len(res.alerts) < 2 {
		t.Fatalf("status %d, %d alerts\n%s", res.status, len(res.alerts), res.stderr)
	}
	n := len(res.alerts)
	for _, a := range res.alerts {
		got, _ := json.Marshal(a["_entities"])
		want, _ := json.Marshal([]map[string]any{{"type": "Account", "FullName": a["UserPrincipalName"]}, {"type": "IP", "Address": a["IPAddress"]}})
		if string(got) != string(want) {
			t.Errorf("_entities %s, want %s", got, want)
		}
	}
	for _, c := range []struct {
		threshold int
		alerts    int
	}{{n - 1, n}, {n, 0}} {
		path := importRule(t, dir, fmt.Sprintf("t%d.yaml", c.threshold), rule(c.threshold))
		res := detect(t, "", "run", "--rule", path, "--now", "2026-11-20T12:00:00Z", fixture)
		if len(res.alerts) != c.alerts {
			t.Errorf("threshold %d over %d rows: %d alerts, want %d", c.threshold, n, len(res.alerts), c.alerts)
		}
		if c.alerts == 0 && !strings.Contains(res.stderr, fmt.Sprintf("the query gave %d rows, which do not pass the rule's trigger (gt %d)", n, c.threshold)) {
			t.Errorf("no word of the trigger:\n%s", res.stderr)
		}
	}
}

const refusedSentinel = `id: 8d7b3c5e-4f1a-4b2c-9d3e-1f2a3b4c5d6e
name: refused
query: |
  SigninLogs
  | where ResultType == 0
  | sample 10
`

// detect import: one file to standard output; several into --output-dir with a summary; a refusal
// names the construct at its line:col in the Sentinel file and makes the exit status 1.
func TestImportCommand(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	os.MkdirAll(in, 0o755)
	os.WriteFile(filepath.Join(in, "a.yaml"), []byte(fociV2Sentinel), 0o644)
	os.WriteFile(filepath.Join(in, "b.yaml"), []byte(refusedSentinel), 0o644)

	one := detect(t, "", "import", filepath.Join(in, "a.yaml"))
	if one.status != 0 || !strings.HasPrefix(one.stdout, "# Imported from the Sentinel analytic rule") || !strings.Contains(one.stderr, "import: 1 converted, 0 refused") {
		t.Errorf("one file: status %d\n%s\n%s", one.status, one.stdout, one.stderr)
	}
	out := filepath.Join(dir, "out")
	all := detect(t, "", "import", "--output-dir", out, in)
	wantRefusal := filepath.Join(in, "b.yaml") + ":6:5: the sample operator is not supported yet"
	if all.status != 1 || !strings.Contains(all.stderr, wantRefusal) || !strings.Contains(all.stderr, "import: 1 converted, 1 refused") {
		t.Errorf("folder: status %d\n%s", all.status, all.stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "a.yaml")); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(filepath.Join(out, "b.yaml")); err == nil {
		t.Error("a refused rule was written")
	}
	if res := detect(t, "", "check", filepath.Join(out, "a.yaml")); !strings.Contains(res.stdout, "lookup FociClientApplications") || !strings.Contains(res.stdout, "detect import --fetch") {
		t.Errorf("a missing lookup file should say how to get it:\n%s\n%s", res.stdout, res.stderr)
	}
}

// detect run and check read Sentinel rule files as they are, in folders mixed with rule files:
// one that cannot be translated is skipped with its reason at its place, the others run, the
// summary counts the skipped; --strict makes a skip an error.
func TestRunReadsSentinelFilesAndSkipsTheUntranslatable(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "v2.yaml"), []byte(fociV2Sentinel), 0o644)
	os.WriteFile(filepath.Join(dir, "refused.yaml"), []byte(refusedSentinel), 0o644)
	data, _ := os.ReadFile("../../rules/foci/foci-clients.csv")
	os.WriteFile(filepath.Join(dir, "FociClientApplications.csv"), data, 0o644)
	bof, _ := os.ReadFile("../../rules/entra/bof-token-request.yaml")
	os.WriteFile(filepath.Join(dir, "bof.yaml"), bof, 0o644)

	skipLine := filepath.Join(dir, "refused.yaml") + ":6:5: skipped: the sample operator is not supported yet"
	res := detect(t, "", "run", "--rule", dir, "--now", "latest", fixture)
	want := alertRows(t, "--rule", "../../rules/foci/v2.yaml", "--now", "latest", fixture)
	if res.status != 0 || len(res.alerts) != len(want) || !strings.Contains(res.stderr, skipLine) || !strings.Contains(res.stderr, ", 1 rules skipped") {
		t.Errorf("run: status %d, %d alerts (want %d)\n%s", res.status, len(res.alerts), len(want), res.stderr)
	}
	if strict := detect(t, "", "run", "--strict", "--rule", dir, "--now", "latest", fixture); strict.status != 1 || len(strict.alerts) != 0 {
		t.Errorf("run --strict: status %d, %d alerts\n%s", strict.status, len(strict.alerts), strict.stderr)
	}
	check := detect(t, "", "check", dir)
	if check.status != 0 || !strings.Contains(check.stderr, skipLine) || !strings.Contains(check.stderr, "2 rules checked, 0 problems, 1 skipped") {
		t.Errorf("check: status %d\n%s\n%s", check.status, check.stdout, check.stderr)
	}
	if strict := detect(t, "", "check", "--strict", dir); strict.status != 1 || !strings.Contains(strict.stdout, skipLine) {
		t.Errorf("check --strict: status %d\n%s", strict.status, strict.stdout)
	}
	// A problem of the translation is placed where what it ports is in the Sentinel file: here the
	// let of the list, whose file is missing.
	os.Remove(filepath.Join(dir, "FociClientApplications.csv"))
	missing := detect(t, "", "check", filepath.Join(dir, "v2.yaml"))
	if !strings.Contains(missing.stdout, filepath.Join(dir, "v2.yaml")+":21:3: lookup FociClientApplications: ") {
		t.Errorf("check without the list:\n%s", missing.stdout)
	}
	os.WriteFile(filepath.Join(dir, "FociClientApplications.csv"), data, 0o644)
	explain := detect(t, "", "explain", "--rule", filepath.Join(dir, "v2.yaml"), "--now", "latest", fixture)
	if explain.status != 0 || !strings.Contains(explain.stdout, "24 alerts") {
		t.Errorf("explain: status %d\n%s\n%s", explain.status, explain.stdout, explain.stderr)
	}
}

// detect import --fetch downloads an externaldata list once, into the file the rule reads; a
// plain import never touches the network. The server is on 127.0.0.1.
func TestImportFetchDownloadsTheLookup(t *testing.T) {
	csv, _ := os.ReadFile("../../rules/foci/foci-clients.csv")
	requests := 0
	server := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests++
		w.Write(csv)
	}))
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	server.Listener = listener
	server.Start()
	defer server.Close()
	dir := t.TempDir()
	src := filepath.Join(dir, "v2-sentinel.yaml")
	os.WriteFile(src, []byte(strings.Replace(fociV2Sentinel, "https://example.test/foci/known-foci-clients.csv", server.URL+"/known-foci-clients.csv", 1)), 0o644)
	out := filepath.Join(dir, "out")
	if res := detect(t, "", "import", "--output-dir", out, src); res.status != 0 || requests != 0 {
		t.Fatalf("import without --fetch: status %d, %d requests\n%s", res.status, requests, res.stderr)
	}
	res := detect(t, "", "import", "--fetch", "--output-dir", out, src)
	if res.status != 0 || requests != 1 {
		t.Fatalf("import --fetch: status %d, %d requests\n%s", res.status, requests, res.stderr)
	}
	got, err := os.ReadFile(filepath.Join(out, "FociClientApplications.csv"))
	if err != nil || string(got) != string(csv) {
		t.Fatalf("the downloaded list: %v", err)
	}
	rows := alertRows(t, "--rule", filepath.Join(out, "v2-sentinel.yaml"), "--now", "latest", fixture)
	sameRows(t, "fetched lookup", rows, alertRows(t, "--rule", "../../rules/foci/v2.yaml", "--now", "latest", fixture))
}

// externaldata as a table (Learn: externaldata operator) becomes a table lookup read from its file
// next to the rule, a let over it reads it as rows, and evaluate ipv4_lookup (Learn: ipv4_lookup
// plugin) becomes the ipv4-lookup stage: the imported rule gives the hand-written rule's alerts.
func TestImportedExternaldataTableAndIPv4Lookup(t *testing.T) {
	dir := t.TempDir()
	ranges := "network,provider\n198.51.100.0/25,Example VPS\n192.0.2.64/26,Other VPS\n"
	if err := os.WriteFile(filepath.Join(dir, "Ranges_file.csv"), []byte(ranges), 0o644); err != nil {
		t.Fatal(err)
	}
	imported := importRule(t, dir, "imported.yaml", `id: 8d7b3c5e-4f1a-4b2c-9d3e-1f2a3b4c5d6e
name: construct
query: |
  let Ranges = externaldata(network:string, provider:string)
    [@"https://example.test/ranges.csv"] with (format="csv", ignoreFirstRecord=true)
    | where provider != "none";
  AADNonInteractiveUserSignInLogs
  | evaluate ipv4_lookup(Ranges, IPAddress, network, return_unmatched = false)
  | project TimeGenerated, UserPrincipalName, IPAddress, network, provider
`)
	hand := filepath.Join(dir, "hand.yaml")
	if err := os.WriteFile(hand, []byte(`id: 8d7b3c5e-4f1a-4b2c-9d3e-1f2a3b4c5d6e
name: construct by hand
severity: Informational
lookups:
  Ranges_file: {file: Ranges_file.csv, format: csv, ignoreFirstRecord: true, columns: {network: string, provider: string}}
let:
  Ranges: {from: Ranges_file, stages: [where: provider != "none"]}
table: AADNonInteractiveUserSignInLogs
stages:
  - ipv4-lookup: {from: Ranges, ip: IPAddress, range: network, return_unmatched: false}
  - project: [TimeGenerated, UserPrincipalName, IPAddress, network, provider]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	want := alertRows(t, "--rule", hand, "--now", "2026-11-20T12:00:00Z", fixture)
	got := alertRows(t, "--rule", imported, "--now", "2026-11-20T12:00:00Z", fixture)
	if !t.Failed() {
		sameRows(t, "externaldata and ipv4_lookup", got, want)
	}
}

// A hunting query's {{StartTimeISO}} and {{EndTimeISO}}, which the Sentinel hunting page fills
// with the hunt's time range, become params: left empty they are the run's window (now -
// queryPeriod, or 1d, to now), and --set gives the hunt's range, as the hunting page would.
func TestImportedHuntingPlaceholdersAreTheHuntsTimeRange(t *testing.T) {
	const kql = `
  let starttime = todatetime('{{StartTimeISO}}');
  let endtime = todatetime('{{EndTimeISO}}');
  AADNonInteractiveUserSignInLogs
  | where TimeGenerated between (starttime .. endtime)
  | where TimeGenerated >= datetime('{{StartTimeISO}}')
  | project TimeGenerated, UserPrincipalName, AppDisplayName`
	hand := func(dir, between string) string {
		path := filepath.Join(dir, "hand.yaml")
		text := "id: 8d7b3c5e-4f1a-4b2c-9d3e-1f2a3b4c5d6e\nname: construct by hand\nseverity: Informational\n" +
			"table: AADNonInteractiveUserSignInLogs\nstages:\n  - where: " + between +
			"\n  - project: [TimeGenerated, UserPrincipalName, AppDisplayName]\n"
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	// The fixture's rows run from 05:10 to 11:52 on 2026-11-20.
	for _, c := range []struct {
		name, queryPeriod, now, between string
		set                             []string
	}{
		{"a day back by default", "", "2026-11-21T08:00:00Z", `between(TimeGenerated, ago("1d"), now())`, nil},
		{"the queryPeriod back by default", "queryPeriod: 3h\n", "2026-11-20T10:00:00Z", `between(TimeGenerated, ago("3h"), now())`, nil},
		{"the range --set gives", "", "2026-11-21T08:00:00Z",
			`between(TimeGenerated, todatetime("2026-11-20T06:00:00Z"), todatetime("2026-11-20T09:00:00Z"))`,
			[]string{"--set", "StartTimeISO=2026-11-20T06:00:00Z", "--set", "EndTimeISO=2026-11-20T09:00:00Z"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			imported := importRule(t, dir, "imported.yaml",
				"id: 8d7b3c5e-4f1a-4b2c-9d3e-1f2a3b4c5d6e\nname: construct\n"+c.queryPeriod+"query: |"+kql+"\n")
			want := alertRows(t, "--rule", hand(dir, c.between), "--now", c.now, fixture)
			args := append([]string{"--rule", imported, "--now", c.now}, c.set...)
			got := alertRows(t, append(args, fixture)...)
			all := alertRows(t, "--rule", hand(t.TempDir(), "true"), fixture)
			if len(want) == len(all) {
				t.Fatalf("the range keeps all %d rows: the comparison would prove nothing", len(all))
			}
			sameRows(t, c.name, got, want)
			if t.Failed() {
				text, _ := os.ReadFile(imported)
				t.Logf("imported rule:\n%s", text)
			}
		})
	}
}
