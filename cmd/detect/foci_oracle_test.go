package main

// This file holds an independent oracle for the published "Suspicious FOCI token logins" queries
// (V1, V2 and their tuning options) and checks the engine against it.
//
// The reference implementation below does not use the engine packages (engine/...) at all. It reads
// the fixture with encoding/json and evaluates each query the way KQL does, written out by hand:
// the lookback, the home-tenant and FOCI filters, an inner join by nested loops on SessionId and
// UserPrincipalName, extract(), datetime_diff('minute', ...), the filters and the projection of each
// rule file, in the order the query states them. Each rule is then run through dispatch (the
// command line) and its alerts must equal the oracle's row by row: same columns in the same order,
// same values, same _sources. Both are also checked against the hand-derived fixtures/foci/expected.yaml.
//
// When the two disagree, fix whichever is wrong according to the rule files and KQL semantics; do
// not bend the oracle toward the engine.

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

const (
	fociOracleNow      = "2026-11-20T12:00:00Z"
	fociOracleFixture  = "../../fixtures/foci/signins.ndjson"
	fociOracleExpected = "../../fixtures/foci/expected.yaml"
	fociOracleRuleDir  = "../../rules/foci/"
	fociOracleFociCSV  = "../../rules/foci/foci-clients.csv"

	// let maxTimeDiff = 90;
	fociMaxTimeDiff = 90
	// SecondResourceIdentity == "00000002-0000-0000-c000-000000000000" (Windows Azure Active Directory)
	fociAADGraph = "00000002-0000-0000-c000-000000000000"
	// The Global Administrator role template id of tuning options 1 and 2.
	fociGlobalAdminRoleID = "62e90394-69f5-4237-9190-012177145e10"
	// The lookback: where TimeGenerated > ago(6h)
	fociLookback = 6 * time.Hour
)

// V2: | where SecondAppDisplayName in ("Microsoft Azure CLI", "Copilot App", "Microsoft Azure
// PowerShell", "Visual Studio - Legacy", "Microsoft Edge Enterprise New Tab Page")
var fociV2SecondLoginApps = []string{
	"Microsoft Azure CLI",
	"Copilot App",
	"Microsoft Azure PowerShell",
	"Visual Studio - Legacy",
	"Microsoft Edge Enterprise New Tab Page",
}

// V1: the second-login apps it flags.
var fociV1SecondLoginApps = []string{
	"Microsoft Azure CLI",
	"Microsoft Azure PowerShell",
	"Office 365 Management",
}

// extract("{\"key\":\"Oauth Scope Info\",\"value\":\"\\[(.*)\\]\"}", 1, ...)
var fociScopeInfo = regexp.MustCompile(`{"key":"Oauth Scope Info","value":"\[(.*)\]"}`)

// fociRow is one row of a (joined or projected) table: KQL column name to value. Values are
// strings, time.Time (TimeGenerated and its renamed copies) or int64 (TimeDiff); a column that is
// missing or null reads as "" through s, as a string column does in KQL.
type fociRow map[string]any

func (r fociRow) s(name string) string {
	switch v := r[name].(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		panic(fmt.Sprintf("column %s: want a string, have %T %v", name, v, v))
	}
}

func (r fociRow) t(name string) time.Time { return r[name].(time.Time) }
func (r fociRow) i(name string) int64     { return r[name].(int64) }

// fociLogRow is one input record and its line in the fixture (1-based).
type fociLogRow struct {
	line int
	cols fociRow
}

// fociCell is one projected column of an alert.
type fociCell struct {
	name  string
	value any // string, time.Time or int64
}

// fociAlert is one alert: the projected columns in projection order and the input lines of the first
// and the second login.
type fociAlert struct {
	cells   []fociCell
	sources []string
}

func (a fociAlert) get(name string) any {
	for _, c := range a.cells {
		if c.name == name {
			return c.value
		}
	}
	return nil
}

// fociOracleRule is one rule file and the oracle's evaluation of one joined row under it: the
// projected alert columns, or false when a filter drops the row.
type fociOracleRule struct {
	key  string // the rule file is rules/foci/<key>.yaml; the key in expected.yaml
	eval func(j fociRow) ([]fociCell, bool)
}

var fociOracleRules = []fociOracleRule{
	{"v2", func(j fociRow) ([]fociCell, bool) { return fociEvalV2(j, "ResultType", nil) }},
	{"v1", func(j fociRow) ([]fociCell, bool) { return fociEvalV1(j, -1, nil) }},
	// V1 with V2's time window: TimeDiff >= 0 and TimeDiff <= maxTimeDiff.
	{"v1-window", func(j fociRow) ([]fociCell, bool) { return fociEvalV1(j, fociMaxTimeDiff, nil) }},
	// V1, option 1, after V1's projection: it reads SecondAuthenticationProcessingDetails.
	{"v1-ga-scope", func(j fociRow) ([]fociCell, bool) {
		return fociEvalV1(j, -1, fociGAScope("SecondAuthenticationProcessingDetails", ""))
	}},
	// V2, option 1, before V2's projection: the second login's details are AuthenticationProcessingDetails1.
	{"v2-ga-scope", func(j fociRow) ([]fociCell, bool) {
		return fociEvalV2(j, "ResultType", fociGAScope("AuthenticationProcessingDetails1", ""))
	}},
	// V1, option 2: option 1 and todynamic(SecondDeviceDetail).isCompliant != "true".
	{"v1-ga-noncompliant", func(j fociRow) ([]fociCell, bool) {
		return fociEvalV1(j, -1, fociGAScope("SecondAuthenticationProcessingDetails", "SecondDeviceDetail"))
	}},
	// V2, option 2, before the projection (DeviceDetail1 is the second login's DeviceDetail).
	{"v2-ga-noncompliant", func(j fociRow) ([]fociCell, bool) {
		return fociEvalV2(j, "ResultType", fociGAScope("AuthenticationProcessingDetails1", "DeviceDetail1"))
	}},
	// V2 with SecondResult = ResultType1, the second login's result.
	{"v2-second-result", func(j fociRow) ([]fociCell, bool) { return fociEvalV2(j, "ResultType1", nil) }},
}

// fociEvalV2 is the published V2 query after the join. secondResult is the column projected as
// SecondResult (the published query has ResultType, the first login's); tuning, when not nil, is a
// tuning option applied just before the projection.
func fociEvalV2(j fociRow, secondResult string, tuning func(fociRow) bool) ([]fociCell, bool) {
	// | extend FirstOauthScopeInfo = extract(..., 1, AuthenticationProcessingDetails),
	//          SecondOauthScopeInfo = extract(..., 1, AuthenticationProcessingDetails1)
	j["FirstOauthScopeInfo"] = fociExtractScope(j.s("AuthenticationProcessingDetails"))
	j["SecondOauthScopeInfo"] = fociExtractScope(j.s("AuthenticationProcessingDetails1"))
	// | extend TimeDiff = datetime_diff('minute', SecondRequestTimeGenerated, TimeGenerated)
	j["TimeDiff"] = fociMinuteDiff(j.t("SecondRequestTimeGenerated"), j.t("TimeGenerated"))
	// | where TimeDiff >= 1 and TimeDiff <= maxTimeDiff
	if d := j.i("TimeDiff"); !(d >= 1 && d <= fociMaxTimeDiff) {
		return nil, false
	}
	if tuning != nil && !tuning(j) {
		return nil, false
	}
	// | project ...
	cells := fociProject(j, slices.Concat(fociLeadingColumns, [][2]string{
		{"SecondResult", secondResult},
		{"SecondResultDescription", "ResultDescription1"},
		{"SecondAppDisplayName", "SecondAppDisplayName"},
		{"SecondAppId", "SecondAppId"},
		{"SeconIncomingTokenType", "IncomingTokenType1"},
		{"SessionId", "SessionId"},
		{"TimeDiff", "TimeDiff"},
		{"FirstOauthScopeInfo", "FirstOauthScopeInfo"},
		{"SecondOauthScopeInfo", "SecondOauthScopeInfo"},
		{"FirstResourceIdentity", "ResourceIdentity"},
		{"SecondResourceIdentity", "ResourceIdentity1"},
	}))
	p := fociCellsRow(cells)
	// | where SecondAppDisplayName in (...) and SecondResourceIdentity == "00000002-..."
	if !slices.Contains(fociV2SecondLoginApps, p.s("SecondAppDisplayName")) || p.s("SecondResourceIdentity") != fociAADGraph {
		return nil, false
	}
	// | where SecondResult == 0 (ResultType is a string column: the text "0")
	if p.s("SecondResult") != "0" {
		return nil, false
	}
	return cells, true
}

// fociEvalV1 is V1 after the join. maxDiff < 0 means no upper bound on TimeDiff (V1 as published);
// tuning, when not nil, is a tuning option applied after everything else, on V1's projected columns.
func fociEvalV1(j fociRow, maxDiff int64, tuning func(fociRow) bool) ([]fociCell, bool) {
	// | where AppDisplayName != SecondAppDisplayName
	if j.s("AppDisplayName") == j.s("SecondAppDisplayName") {
		return nil, false
	}
	// | extend TimeDiff = datetime_diff('minute', SecondRequestTimeGenerated, TimeGenerated)
	j["TimeDiff"] = fociMinuteDiff(j.t("SecondRequestTimeGenerated"), j.t("TimeGenerated"))
	// | where TimeDiff >= 0
	if d := j.i("TimeDiff"); d < 0 || (maxDiff >= 0 && d > maxDiff) {
		return nil, false
	}
	// | project ...
	cells := fociProject(j, slices.Concat(fociLeadingColumns, [][2]string{
		{"SecondResult", "ResultType"}, // the published defect: the first login's result
		{"SecondResultDescription", "ResultDescription1"},
		{"SecondAppDisplayName", "SecondAppDisplayName"},
		{"SecondAppId", "SecondAppId"},
		{"SeconIncomingTokenType", "IncomingTokenType1"},
		{"SessionId", "SessionId"},
		{"TimeDiff", "TimeDiff"},
		{"AuthenticationProcessingDetails", "AuthenticationProcessingDetails"},
		{"SecondAuthenticationProcessingDetails", "AuthenticationProcessingDetails1"},
	}))
	p := fociCellsRow(cells)
	// | where SecondAppDisplayName in ("Microsoft Azure CLI", "Microsoft Azure PowerShell", "Office 365 Management")
	if !slices.Contains(fociV1SecondLoginApps, p.s("SecondAppDisplayName")) {
		return nil, false
	}
	if tuning != nil && !tuning(p) {
		return nil, false
	}
	return cells, true
}

// fociGAScope is tuning option 1, or option 2 when deviceCol is not empty:
//
//	| where SecondAppDisplayName in ("Microsoft Azure PowerShell", "Office 365 Management")
//	    or (SecondAppDisplayName == "Microsoft Azure CLI" and <apdCol> contains "62e90394-..."
//	        [and todynamic(<deviceCol>).isCompliant != "true"])
func fociGAScope(apdCol, deviceCol string) func(fociRow) bool {
	return func(r fociRow) bool {
		app := r.s("SecondAppDisplayName")
		if app == "Microsoft Azure PowerShell" || app == "Office 365 Management" {
			return true
		}
		if app != "Microsoft Azure CLI" || !fociContains(r.s(apdCol), fociGlobalAdminRoleID) {
			return false
		}
		return deviceCol == "" || !fociIsCompliant(r.s(deviceCol))
	}
}

// fociContains is KQL's contains: a case-insensitive substring test.
func fociContains(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// fociIsCompliant is the negation of todynamic(text).isCompliant != "true": true only when text is a
// JSON object whose isCompliant is JSON true. Absent, false, null, or text that is not a JSON object
// all count as not compliant.
func fociIsCompliant(text string) bool {
	var obj map[string]any
	if err := json.Unmarshal([]byte(text), &obj); err != nil || obj == nil {
		return false
	}
	return obj["isCompliant"] == true
}

// fociExtractScope is extract(regex, 1, text): group 1 of the first match, "" when none.
func fociExtractScope(text string) string {
	if m := fociScopeInfo.FindStringSubmatch(text); m != nil {
		return m[1]
	}
	return ""
}

// fociMinuteDiff is datetime_diff('minute', a, b): the minute boundaries crossed from b to a.
func fociMinuteDiff(a, b time.Time) int64 {
	return fociFloorDiv(a.Unix(), 60) - fociFloorDiv(b.Unix(), 60)
}

func fociFloorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// fociLeadingColumns are the first columns of both published projections (V1 and V2), as
// (output name, joined column).
var fociLeadingColumns = [][2]string{
	{"FirstRequestTimeGenerated", "TimeGenerated"},
	{"FirstResult", "ResultType"},
	{"FirstResultDescription", "ResultDescription"},
	{"Identity", "Identity"},
	{"Location", "Location"},
	{"FirstAppDisplayName", "AppDisplayName"},
	{"FirstAppId", "AppId"},
	{"ClientAppUsed", "ClientAppUsed"},
	{"DeviceDetail", "DeviceDetail"},
	{"SecondDeviceDetail", "DeviceDetail1"},
	{"IPAddress", "IPAddress"},
	{"LocationDetails", "LocationDetails"},
	{"UserAgent", "UserAgent"},
	{"SecondRequestTimeGenerated", "SecondRequestTimeGenerated"},
}

func fociProject(j fociRow, columns [][2]string) []fociCell {
	cells := make([]fociCell, len(columns))
	for k, c := range columns {
		v := j[c[1]]
		if v == nil { // a string column missing from the record, or null
			v = ""
		}
		cells[k] = fociCell{name: c[0], value: v}
	}
	return cells
}

func fociCellsRow(cells []fociCell) fociRow {
	r := fociRow{}
	for _, c := range cells {
		r[c.name] = c.value
	}
	return r
}

// fociReadLog reads the NDJSON fixture: one Log Analytics row per line, TimeGenerated as a time.
func fociReadLog(t *testing.T, path string) []fociLogRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []fociLogRow
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var cols fociRow
		if err := json.Unmarshal(sc.Bytes(), &cols); err != nil {
			t.Fatalf("%s:%d: %v", path, line, err)
		}
		text, _ := cols["TimeGenerated"].(string)
		tg, err := time.Parse(time.RFC3339Nano, text)
		if err != nil {
			t.Fatalf("%s:%d: TimeGenerated: %v", path, line, err)
		}
		cols["TimeGenerated"] = tg.UTC()
		rows = append(rows, fociLogRow{line: line, cols: cols})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// fociReadClientIDs reads the client_id column of the FOCI list (# lines are comments).
func fociReadClientIDs(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.Comment = '#'
	records, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(records) < 2 {
		t.Fatalf("%s: no clients", path)
	}
	col := slices.Index(records[0], "client_id")
	if col < 0 {
		t.Fatalf("%s: no client_id column in header %v", path, records[0])
	}
	var ids []string
	for _, rec := range records[1:] {
		ids = append(ids, rec[col])
	}
	return ids
}

// fociReference evaluates every rule over the fixture: the shared source, lookup and join of the
// published queries, then each rule's own stages on every joined row.
func fociReference(t *testing.T) map[string][]fociAlert {
	t.Helper()
	rows := fociReadLog(t, fociOracleFixture)
	foci := fociReadClientIDs(t, fociOracleFociCSV)
	now, err := time.Parse(time.RFC3339Nano, fociOracleNow)
	if err != nil {
		t.Fatal(err)
	}
	since := now.Add(-fociLookback)

	// let FociTokenRequest = AADNonInteractiveUserSignInLogs | where TimeGenerated > ago(6h)
	//     | where HomeTenantId == ResourceTenantId | where AppId in (FociClientApplications);
	var requests []fociLogRow
	for _, r := range rows {
		if r.cols.t("TimeGenerated").After(since) &&
			r.cols.s("HomeTenantId") == r.cols.s("ResourceTenantId") &&
			slices.Contains(foci, r.cols.s("AppId")) {
			requests = append(requests, r)
		}
	}
	// FociTokenRequest | where IncomingTokenType == "none"
	// | join kind=inner (FociTokenRequest | where IncomingTokenType != "none" | project-rename ...)
	//   on SessionId, UserPrincipalName
	var firsts, seconds []fociLogRow
	for _, r := range requests {
		if r.cols.s("IncomingTokenType") == "none" {
			firsts = append(firsts, r)
		} else {
			seconds = append(seconds, r)
		}
	}
	rename := map[string]string{
		"AppDisplayName": "SecondAppDisplayName",
		"TimeGenerated":  "SecondRequestTimeGenerated",
		"AppId":          "SecondAppId",
	}
	alerts := map[string][]fociAlert{}
	for _, first := range firsts {
		for _, second := range seconds {
			if first.cols.s("SessionId") != second.cols.s("SessionId") ||
				first.cols.s("UserPrincipalName") != second.cols.s("UserPrincipalName") {
				continue
			}
			sources := []string{
				fmt.Sprintf("%s:%d", fociOracleFixture, first.line),
				fmt.Sprintf("%s:%d", fociOracleFixture, second.line),
			}
			for _, rule := range fociOracleRules {
				// The joined row: the left side's columns as they are, the right side's renamed
				// by project-rename or, as every other right column's name is also a left
				// column's, suffixed with 1.
				j := fociRow{}
				for k, v := range first.cols {
					j[k] = v
				}
				for k, v := range second.cols {
					if n, ok := rename[k]; ok {
						j[n] = v
					} else {
						j[k+"1"] = v
					}
				}
				if cells, ok := rule.eval(j); ok {
					alerts[rule.key] = append(alerts[rule.key], fociAlert{cells: cells, sources: sources})
				}
			}
		}
	}
	return alerts
}

// fociEngineAlert is one alert line as the engine printed it, keys in the order printed.
type fociEngineAlert struct {
	keys    []string                   // every top-level key, in order
	values  map[string]json.RawMessage // every top-level value
	rule    struct{ ID, Name, File string }
	sources []string
}

// fociParseAlert reads one output line, keeping the order of its keys.
func fociParseAlert(line []byte) (*fociEngineAlert, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object (%v, %v)", tok, err)
	}
	a := &fociEngineAlert{values: map[string]json.RawMessage{}}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("key %v is not a string", tok)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("%s: %v", key, err)
		}
		if _, dup := a.values[key]; dup {
			return nil, fmt.Errorf("key %s twice", key)
		}
		a.keys = append(a.keys, key)
		a.values[key] = raw
	}
	if _, err := dec.Token(); err != nil { // the closing }
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("text after the object")
	}
	if raw, ok := a.values["_rule"]; ok {
		if err := json.Unmarshal(raw, &a.rule); err != nil {
			return nil, fmt.Errorf("_rule: %v", err)
		}
	}
	if raw, ok := a.values["_sources"]; ok {
		if err := json.Unmarshal(raw, &a.sources); err != nil {
			return nil, fmt.Errorf("_sources: %v", err)
		}
	}
	return a, nil
}

// columns are the keys other than _rule, _time and _sources.
func (a *fociEngineAlert) columns() []string {
	var cols []string
	for _, k := range a.keys {
		if k != "_rule" && k != "_time" && k != "_sources" {
			cols = append(cols, k)
		}
	}
	return cols
}

// show renders the engine's value of a column with its JSON type: a quoted string, a bare number,
// null, or the raw JSON of anything else; "(absent)" when there is no such column.
func (a *fociEngineAlert) show(col string) string {
	raw, ok := a.values[col]
	if !ok {
		return "(absent)"
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "(bad JSON " + string(raw) + ")"
	}
	switch v := v.(type) {
	case string:
		return strconv.Quote(v)
	case json.Number:
		return v.String()
	case nil:
		return "null"
	}
	return string(raw)
}

// fociShow renders an oracle value as the output prints it, in show's notation: datetimes in UTC
// with 7 fractional digits, longs as numbers, strings as they are.
func fociShow(v any) string {
	switch v := v.(type) {
	case string:
		return strconv.Quote(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case time.Time:
		return strconv.Quote(v.UTC().Format("2006-01-02T15:04:05.0000000Z"))
	}
	return fmt.Sprintf("(unexpected %T %v)", v, v)
}

// fociRunEngine runs one rule file through the command line and parses its alerts.
func fociRunEngine(t *testing.T, ruleFile string) []*fociEngineAlert {
	t.Helper()
	var out, errOut bytes.Buffer
	code := dispatch([]string{"run", "--rule", ruleFile, "--now", fociOracleNow, fociOracleFixture}, nil, &out, &errOut)
	if code != 0 {
		t.Errorf("detect run --rule %s: exit status %d, want 0; stderr:\n%s", ruleFile, code, errOut.String())
	}
	var alerts []*fociEngineAlert
	for n, line := range bytes.Split(out.Bytes(), []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		a, err := fociParseAlert(line)
		if err != nil {
			t.Fatalf("%s: output line %d: %v\n%s", ruleFile, n+1, err, line)
		}
		alerts = append(alerts, a)
	}
	return alerts
}

// fociExpected is one alert of fixtures/foci/expected.yaml.
type fociExpected struct {
	Scenario                   string `yaml:"scenario"`
	SessionId                  string `yaml:"SessionId"`
	FirstAppDisplayName        string `yaml:"FirstAppDisplayName"`
	SecondAppDisplayName       string `yaml:"SecondAppDisplayName"`
	FirstRequestTimeGenerated  string `yaml:"FirstRequestTimeGenerated"`
	SecondRequestTimeGenerated string `yaml:"SecondRequestTimeGenerated"`
	TimeDiff                   int64  `yaml:"TimeDiff"`
}

// fociExpectedKeyColumns are the columns expected.yaml lists, in the order of fociKey.
var fociExpectedKeyColumns = []string{
	"SessionId", "FirstAppDisplayName", "SecondAppDisplayName",
	"FirstRequestTimeGenerated", "SecondRequestTimeGenerated", "TimeDiff",
}

// fociKey joins the shown values of the key columns: the identity an alert has in the multiset.
func fociKey(show func(col string) string) string {
	parts := make([]string, len(fociExpectedKeyColumns))
	for k, col := range fociExpectedKeyColumns {
		parts[k] = col + "=" + show(col)
	}
	return strings.Join(parts, " ")
}

func (e fociExpected) key() string {
	return fociKey(func(col string) string {
		switch col {
		case "SessionId":
			return strconv.Quote(e.SessionId)
		case "FirstAppDisplayName":
			return strconv.Quote(e.FirstAppDisplayName)
		case "SecondAppDisplayName":
			return strconv.Quote(e.SecondAppDisplayName)
		case "FirstRequestTimeGenerated":
			return strconv.Quote(e.FirstRequestTimeGenerated)
		case "SecondRequestTimeGenerated":
			return strconv.Quote(e.SecondRequestTimeGenerated)
		case "TimeDiff":
			return strconv.FormatInt(e.TimeDiff, 10)
		}
		panic(col)
	})
}

// fociCheckMultiset reports the alerts expected but missing, and those present but not expected.
func fociCheckMultiset(t *testing.T, who string, want []fociExpected, got []string) {
	t.Helper()
	counts := map[string]int{}
	scenario := map[string]string{}
	for _, e := range want {
		counts[e.key()]++
		scenario[e.key()] = e.Scenario
	}
	for _, k := range got {
		counts[k]--
	}
	var missing, extra []string
	for k, n := range counts {
		for ; n > 0; n-- {
			missing = append(missing, fmt.Sprintf("scenario %s: %s", scenario[k], k))
		}
		for ; n < 0; n++ {
			extra = append(extra, k)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Errorf("%s against expected.yaml (%d expected, %d got):\n  missing:\n    %s\n  unexpected:\n    %s",
			who, len(want), len(got), strings.Join(missing, "\n    "), strings.Join(extra, "\n    "))
	}
}

// TestFociOracle runs every FOCI rule through the command line and compares its alerts with the
// independent reference evaluation above, row by row, and both with expected.yaml.
func TestFociOracle(t *testing.T) {
	reference := fociReference(t)

	data, err := os.ReadFile(fociOracleExpected)
	if err != nil {
		t.Fatal(err)
	}
	var expected map[string][]fociExpected
	if err := yaml.Unmarshal(data, &expected); err != nil {
		t.Fatalf("%s: %v", fociOracleExpected, err)
	}
	for key := range expected {
		if !slices.ContainsFunc(fociOracleRules, func(r fociOracleRule) bool { return r.key == key }) {
			t.Errorf("%s: rule %s has no oracle", fociOracleExpected, key)
		}
	}

	for _, rule := range fociOracleRules {
		t.Run(rule.key, func(t *testing.T) {
			ruleFile := fociOracleRuleDir + rule.key + ".yaml"
			var meta struct {
				ID   string `yaml:"id"`
				Name string `yaml:"name"`
			}
			data, err := os.ReadFile(ruleFile)
			if err != nil {
				t.Fatal(err)
			}
			if err := yaml.Unmarshal(data, &meta); err != nil || meta.ID == "" {
				t.Fatalf("%s: no id (%v)", ruleFile, err)
			}

			want := reference[rule.key]
			exp, ok := expected[rule.key]
			if !ok {
				t.Fatalf("%s has no %s", fociOracleExpected, rule.key)
			}

			// The oracle itself against the hand-derived expectations.
			if len(want) == 0 {
				t.Errorf("the oracle raises no alert: the comparison would be vacuous")
			}
			if len(want) != len(exp) {
				t.Errorf("the oracle raises %d alerts, expected.yaml lists %d", len(want), len(exp))
			}
			var wantKeys []string
			for _, a := range want {
				wantKeys = append(wantKeys, fociKey(func(col string) string { return fociShow(a.get(col)) }))
			}
			fociCheckMultiset(t, "oracle", exp, wantKeys)

			got := fociRunEngine(t, ruleFile)
			if len(got) == 0 {
				t.Errorf("the engine raises no alert")
			}

			// The engine against expected.yaml, as a multiset on the key columns.
			var gotKeys []string
			for _, a := range got {
				gotKeys = append(gotKeys, fociKey(a.show))
			}
			fociCheckMultiset(t, "engine", exp, gotKeys)

			// The engine against the oracle, row by row.
			if len(got) != len(want) {
				t.Errorf("engine raises %d alerts, the oracle %d", len(got), len(want))
			}
			for n := 0; n < max(len(got), len(want)); n++ {
				if n >= len(got) {
					t.Errorf("row %d: missing from the engine's output; the oracle has it from %v", n+1, want[n].sources)
					continue
				}
				if n >= len(want) {
					t.Errorf("row %d: not in the oracle's alerts; the engine has it from %v", n+1, got[n].sources)
					continue
				}
				fociCompareRow(t, n+1, want[n], got[n], meta.ID, meta.Name)
			}
		})
	}
}

// fociCompareRow reports, in one message, every difference between one oracle alert and the
// engine's alert at the same position.
func fociCompareRow(t *testing.T, n int, want fociAlert, got *fociEngineAlert, ruleID, ruleName string) {
	t.Helper()
	var diffs []string
	wantCols := make([]string, len(want.cells))
	for k, c := range want.cells {
		wantCols[k] = c.name
	}
	if gotCols := got.columns(); !slices.Equal(gotCols, wantCols) {
		diffs = append(diffs, fmt.Sprintf("columns:\n      want %v\n      got  %v", wantCols, gotCols))
	}
	wantKeys := append(slices.Clone(wantCols), "_rule", "_time", "_sources")
	if !slices.Equal(got.keys, wantKeys) {
		diffs = append(diffs, fmt.Sprintf("key order: want the columns, then _rule, _time and _sources; got %v", got.keys))
	}
	for _, c := range want.cells {
		if w, g := fociShow(c.value), got.show(c.name); w != g {
			diffs = append(diffs, fmt.Sprintf("%s:\n      want %s\n      got  %s", c.name, w, g))
		}
	}
	if !slices.Equal(got.sources, want.sources) {
		diffs = append(diffs, fmt.Sprintf("_sources:\n      want %q\n      got  %q", want.sources, got.sources))
	}
	if got.rule.ID != ruleID {
		diffs = append(diffs, fmt.Sprintf("_rule.id: want %q, got %q", ruleID, got.rule.ID))
	}
	if got.rule.Name != ruleName {
		diffs = append(diffs, fmt.Sprintf("_rule.name: want %q, got %q", ruleName, got.rule.Name))
	}
	if len(diffs) > 0 {
		t.Errorf("row %d (oracle sources %v):\n  %s", n, want.sources, strings.Join(diffs, "\n  "))
	}
}
