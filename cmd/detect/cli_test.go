package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/signin-detect/detect/engine/aggregate"
	"github.com/signin-detect/detect/engine/kqlexpr"
)

const (
	fixture = "../../fixtures/foci/signins.ndjson"
	v2Rule  = "../../rules/foci/v2.yaml"
	now     = "2026-11-20T12:00:00Z"
)

type result struct {
	status         int
	stdout, stderr string
	alerts         []map[string]any
}

func detect(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	status := dispatch(args, strings.NewReader(stdin), &out, &errOut)
	r := result{status: status, stdout: out.String(), stderr: errOut.String()}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if !strings.HasPrefix(line, "{") {
			continue // not alerts: help text
		}
		var alert map[string]any
		if err := json.Unmarshal([]byte(line), &alert); err != nil {
			t.Fatalf("alert line is not JSON: %v\n%s", err, line)
		}
		r.alerts = append(r.alerts, alert)
	}
	return r
}

// withoutSources drops the provenance, which names input lines, to compare alerts across inputs.
func withoutSources(alerts []map[string]any) string {
	var b strings.Builder
	for _, a := range alerts {
		delete(a, "_sources")
		line, _ := json.Marshal(a)
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}

func TestMalformedLinesAreReportedAndTheRestIsProcessed(t *testing.T) {
	clean := detect(t, "", "run", "--rule", v2Rule, "--now", now, fixture)
	if clean.status != 0 || len(clean.alerts) == 0 {
		t.Fatalf("clean run: status %d, %d alerts\n%s", clean.status, len(clean.alerts), clean.stderr)
	}
	data, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	broken := strings.Join(lines[:40], "") + `{"TimeGenerated": "2026-11-20T10:00:00Z", "AppId": ` + "\n" + strings.Join(lines[40:], "")
	path := filepath.Join(t.TempDir(), "broken.ndjson")
	if err := os.WriteFile(path, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	got := detect(t, "", "run", "--rule", v2Rule, "--now", now, path)
	if got.status != 0 {
		t.Fatalf("status %d\n%s", got.status, got.stderr)
	}
	if !strings.Contains(got.stderr, path+":41: malformed JSON") {
		t.Errorf("stderr does not name the bad line:\n%s", got.stderr)
	}
	if !strings.Contains(got.stderr, "summary: 1 files, 120 records read, 1 rejected (malformed JSON 1)") {
		t.Errorf("summary:\n%s", got.stderr)
	}
	if withoutSources(got.alerts) != withoutSources(clean.alerts) {
		t.Error("the valid rows of a file with a bad line must give the same alerts as the clean file")
	}
}

func TestSetOverridesAParam(t *testing.T) {
	all := detect(t, "", "run", "--rule", v2Rule, "--now", now, fixture)
	tight := detect(t, "", "run", "--rule", v2Rule, "--now", now, "--set", "maxTimeDiff=5", fixture)
	if tight.status != 0 || len(tight.alerts) == 0 || len(tight.alerts) >= len(all.alerts) {
		t.Fatalf("maxTimeDiff=5 gives %d alerts of %d\n%s", len(tight.alerts), len(all.alerts), tight.stderr)
	}
	for _, a := range tight.alerts {
		if d := a["TimeDiff"].(float64); d < 1 || d > 5 {
			t.Errorf("TimeDiff %v outside 1..5", d)
		}
	}
	apps := detect(t, "", "run", "--rule", v2Rule, "--now", now, "--set", "secondLoginApps=Microsoft Azure PowerShell", fixture)
	for _, a := range apps.alerts {
		if a["SecondAppDisplayName"] != "Microsoft Azure PowerShell" {
			t.Errorf("a list param set to one app let %v through", a["SecondAppDisplayName"])
		}
	}
	for _, bad := range []string{"maxTimeDiff=soon", "noSuchParam=1", "maxTimeDiff"} {
		if r := detect(t, "", "run", "--rule", v2Rule, "--set", bad, fixture); r.status != 1 || !strings.Contains(r.stderr, "--set") {
			t.Errorf("--set %s: status %d, %s", bad, r.status, r.stderr)
		}
	}
}

// The upstream FOCI list (header client_id,application_name, no comments, CRLF line ends) must
// work as a drop-in replacement of the shipped one.
func TestLookupReplacesTheCSV(t *testing.T) {
	csv := "client_id,application_name\r\n" +
		"1fec8e78-bce4-4aaf-ab1b-5451cc387264,Microsoft Teams\r\n" +
		"04b07795-8ddb-461a-bbee-02f9e1bf7b46,Microsoft Azure CLI\r\n"
	path := filepath.Join(t.TempDir(), "known-foci-clients.csv")
	if err := os.WriteFile(path, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	r := detect(t, "", "run", "--rule", v2Rule, "--now", now, "--lookup", "FociClientApplications="+path, fixture)
	if r.status != 0 || len(r.alerts) == 0 {
		t.Fatalf("status %d, %d alerts\n%s", r.status, len(r.alerts), r.stderr)
	}
	for _, a := range r.alerts {
		first, second := a["FirstAppId"], a["SecondAppId"]
		if (first != "1fec8e78-bce4-4aaf-ab1b-5451cc387264" && first != "04b07795-8ddb-461a-bbee-02f9e1bf7b46") ||
			second != "04b07795-8ddb-461a-bbee-02f9e1bf7b46" {
			t.Errorf("an app outside the replaced list: %v -> %v", first, second)
		}
	}
	if bad := detect(t, "", "run", "--rule", v2Rule, "--lookup", "Nope="+path, fixture); bad.status != 1 {
		t.Errorf("an unknown lookup must fail: %s", bad.stderr)
	}
	missing := detect(t, "", "run", "--rule", v2Rule, "--lookup", "FociClientApplications="+path+".gone", fixture)
	if missing.status != 1 || !strings.Contains(missing.stderr, "v2.yaml:37:3: lookup FociClientApplications: "+path+".gone: no such file") ||
		strings.Contains(missing.stderr, "unknown name") {
		t.Errorf("a missing lookup file must fail at the lookup's place: %s", missing.stderr)
	}
}

func TestLookbackIsReportedAndNowLatestAnchorsIt(t *testing.T) {
	// Without --now, the lookback counts from the current time, long after the fixture.
	stale := detect(t, "", "run", "--rule", v2Rule, fixture)
	if stale.status != 0 || len(stale.alerts) != 0 {
		t.Fatalf("status %d, %d alerts", stale.status, len(stale.alerts))
	}
	dropped := regexp.MustCompile(`the lookback in stage lookback dropped (\d+) of the (\d+) rows that reached it`).FindStringSubmatch(stale.stderr)
	if dropped == nil || dropped[1] != dropped[2] || dropped[1] == "0" || !strings.Contains(stale.stderr, "pass --now latest") {
		t.Errorf("the dropped rows must be reported with a way out:\n%s", stale.stderr)
	}
	latest := detect(t, "", "run", "--rule", v2Rule, "--now", "latest", fixture)
	if latest.status != 0 || len(latest.alerts) == 0 {
		t.Errorf("--now latest: status %d, %d alerts\n%s", latest.status, len(latest.alerts), latest.stderr)
	}
	if bad := detect(t, "", "run", "--rule", v2Rule, "--now", "tomorrow", fixture); bad.status != 1 {
		t.Error("a bad --now must fail")
	}
}

func TestStandardInput(t *testing.T) {
	data, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	fromFile := detect(t, "", "run", "--rule", v2Rule, "--now", now, fixture)
	fromStdin := detect(t, string(data), "run", "--rule", v2Rule, "--now", now, "-")
	if len(fromStdin.alerts) == 0 {
		t.Fatalf("no alerts from stdin\n%s", fromStdin.stderr)
	}
	if sources := fromStdin.alerts[0]["_sources"].([]any); !strings.HasPrefix(sources[0].(string), "-:") {
		t.Errorf("records from stdin are named -:LINE, got %v", sources)
	}
	if withoutSources(fromStdin.alerts) != withoutSources(fromFile.alerts) {
		t.Errorf("stdin gave %d alerts, the file %d", len(fromStdin.alerts), len(fromFile.alerts))
	}
}

func TestAlertShape(t *testing.T) {
	r := detect(t, "", "run", "--rule", v2Rule, "--now", now, fixture)
	first := strings.SplitN(r.stdout, "\n", 2)[0]
	for _, want := range []string{`{"FirstRequestTimeGenerated":"2026-11-20T`, `"_rule":{"id":"4fda9303-9745-483d-b533-8efed4bfefe9","name":"Suspicious FOCI token logins (V2)","severity":"Medium","tactics":["Execution","CredentialAccess"],"techniques":["T1651","T1606"],"file":"../../rules/foci/v2.yaml"},"_time":"2026-11-20T`, `"_sources":["../../fixtures/foci/signins.ndjson:`} {
		if !strings.Contains(first, want) {
			t.Errorf("alert lacks %s:\n%s", want, first)
		}
	}
	if ts := r.alerts[0]["FirstRequestTimeGenerated"].(string); len(ts) != len("2026-11-20T09:00:01.1234567Z") {
		t.Errorf("datetimes carry seven fractional digits: %s", ts)
	}
}

func TestRuleErrorsStopTheRunWithTheirPlace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "broken.yaml")
	rule := "id: 0d1c5e9a-3f2b-4c6d-8e7f-9a0b1c2d3e4f\nname: broken\nseverity: Low\ntable: AADNonInteractiveUserSignInLogs\nstages:\n  - where: AppID == \"x\"\n"
	if err := os.WriteFile(path, []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	r := detect(t, "", "run", "--rule", path, fixture)
	if r.status != 1 || !strings.Contains(r.stderr, path+":6:12: unknown name AppID (did you mean the column AppId?") {
		t.Errorf("status %d\n%s", r.status, r.stderr)
	}
}

func TestHelpDescribesEveryFlag(t *testing.T) {
	r := detect(t, "", "run", "--help")
	for _, flag := range []string{"--rule", "--now", "--set", "--lookup", "datetime_diff(period: string, datetime1: datetime, datetime2: datetime) long"} {
		if !strings.Contains(r.stdout, flag) {
			t.Errorf("run --help lacks %s", flag)
		}
	}
	top := detect(t, "", "--help")
	if top.status != 0 || !strings.Contains(top.stdout, "detect run --rule PATH") {
		t.Errorf("detect --help: %s", top.stdout)
	}
	// Both helps list every registered function and aggregate, from the registries.
	for _, f := range kqlexpr.Functions() {
		if !strings.Contains(top.stdout, "\n  "+f.Signature()+"\n      "+f.Doc) || !strings.Contains(r.stdout, "\n  "+f.Signature()+"\n") {
			t.Errorf("--help lacks the function %s", f.Name)
		}
	}
	for _, a := range aggregate.All() {
		if !strings.Contains(top.stdout, "\n  "+a.Name+"(") || !strings.Contains(r.stdout, "\n  "+a.Name+"(") {
			t.Errorf("--help lacks the aggregate %s", a.Name)
		}
	}
	if r := detect(t, "", "frobnicate"); r.status != 1 {
		t.Error("an unknown command must fail")
	}
}

// A rule file dropped into a folder runs with the built binary: rules are data, not code.
func TestANewRuleRunsWithTheBuiltBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	binary := filepath.Join(dir, "detect")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	rules := filepath.Join(dir, "rules")
	if err := os.Mkdir(rules, 0o755); err != nil {
		t.Fatal(err)
	}
	rule := `id: 9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d
name: Azure CLI refresh-token sign-ins
severity: Informational
table: AADNonInteractiveUserSignInLogs
stages:
  - where: AppDisplayName == "Microsoft Azure CLI" and IncomingTokenType == "refreshToken"
  - project: [TimeGenerated, UserPrincipalName, SessionId]
`
	if err := os.WriteFile(filepath.Join(rules, "cli.yaml"), []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "run", "--rule", rules, fixture)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	// Count the fixture's Azure CLI refresh-token rows independently.
	data, _ := os.ReadFile(fixture)
	want := 0
	for _, line := range strings.Split(string(data), "\n") {
		var row map[string]any
		if json.Unmarshal([]byte(line), &row) == nil && row["AppDisplayName"] == "Microsoft Azure CLI" && row["IncomingTokenType"] == "refreshToken" {
			want++
		}
	}
	got := strings.Count(stdout.String(), "\n")
	if want == 0 || got != want {
		t.Errorf("the new rule gave %d alerts, the fixture has %d such rows", got, want)
	}
}

// --lookup replaces a table lookup's file too (KQL's externaldata, read in the table's format):
// the shipped VPN-server rule finds a sign-in from an address only once the list given has it,
// and the alert carries the given list's columns and names its line.
func TestLookupReplacesATableLookupsFile(t *testing.T) {
	rule := "../../rules/sentinel/signin-from-vpn-server.yaml"
	signin := `{"Type":"SigninLogs","TimeGenerated":"2026-11-20T10:00:00Z","UserPrincipalName":"ivy@contoso.example","IPAddress":"192.0.2.9","ResultType":"0"}` + "\n"
	if r := detect(t, signin, "run", "--rule", rule, "--now", now, "-"); r.status != 0 || len(r.alerts) != 0 {
		t.Fatalf("the shipped list: status %d, %d alerts\n%s", r.status, len(r.alerts), r.stderr)
	}
	list := filepath.Join(t.TempDir(), "servers.csv")
	text := "id,ip_address,search_keywords,categories,name,domain,price,flag,country,location,load,features\n" +
		"2001,192.0.2.9,[],[],Mine,mine.vpn.example,0,EX,Exampleland,{},1,{}\n"
	if err := os.WriteFile(list, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	r := detect(t, signin, "run", "--rule", rule, "--now", now, "--lookup", "nord_vpn_feed="+list, "-")
	if r.status != 0 || len(r.alerts) != 1 || r.alerts[0]["domain"] != "mine.vpn.example" ||
		!strings.Contains(string(mustJSON(t, r.alerts[0]["_sources"])), list+":2") {
		t.Fatalf("--lookup nord_vpn_feed=%s: status %d, alerts %v\n%s", list, r.status, r.alerts, r.stderr)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
