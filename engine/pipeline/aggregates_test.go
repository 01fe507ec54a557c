package pipeline

import (
	"strings"
	"testing"
	"time"

	"github.com/signin-detect/detect/engine/record"
)

// The _if forms aggregate only the rows whose predicate is true; count(x) counts the rows whose x
// is not null; make_set, make_list and make_bag stop at their maxSize (a literal or a param);
// unnamed aggregates are named as KQL names them.
// https://learn.microsoft.com/kusto/query/countif-aggregation-function,
// dcountif-aggregation-function, sumif-aggregation-function, avg-aggregation-function,
// avgif-aggregation-function, minif-aggregation-function, maxif-aggregation-function,
// make-set-aggregation-function, make-set-if-aggregation-function,
// make-list-if-aggregation-function, make-bag-aggregation-function,
// take-any-aggregation-function, count-aggregation-function ("null values are ignored").
func TestSummarizeConditionalAndSizedAggregates(t *testing.T) {
	p := mustCompileBody(t, `table: AADNonInteractiveUserSignInLogs
params: {maxApps: 2}
stages:
  - extend: {Device: todynamic(DeviceDetail).deviceId, Detail: todynamic(DeviceDetail)}
  - summarize:
      aggregates:
        - count()
        - count(Device)
        - countif(ResultType == "0")
        - dcountif(AppDisplayName, ResultType != "0")
        - sumif(DurationMs, ResultType == "0")
        - avg(DurationMs)
        - avgif(DurationMs, ResultType != "0")
        - minif(TimeGenerated, ResultType != "0")
        - maxif(TimeGenerated, ResultType == "0")
        - Apps: make_set(AppDisplayName, maxApps)
        - Failed: make_set_if(AppDisplayName, ResultType != "0")
        - make_list_if(DurationMs, ResultType == "0", 1)
        - make_bag(Detail)
        - any(Device)
        - take_any(Device)
      by: [UserPrincipalName]
`)
	cols := "UserPrincipalName, count_, count_Device, countif_, dcountif_AppDisplayName, sumif_DurationMs, avg_DurationMs, avgif_DurationMs, " +
		"minif_TimeGenerated, maxif_TimeGenerated, Apps, Failed, list_DurationMs, bag_Detail, any_Device, Device"
	if got := columnNames(p.Output); got != cols {
		t.Errorf("columns:\n got  %s\n want %s", got, cols)
	}
	mk := func(line int, result, app, hhmm string, duration any, detail string) record.Row {
		return tableRow(t, nonInteractive, line, map[string]any{"UserPrincipalName": "a@x", "ResultType": result,
			"AppDisplayName": app, "TimeGenerated": at(hhmm), "DurationMs": duration, "DeviceDetail": detail})
	}
	got := runTables(t, p, map[string][]record.Row{nonInteractive: {
		mk(1, "50126", "CLI", "09:10", nil, `{}`),
		mk(2, "0", "Teams", "09:00", int64(10), `{"deviceId":"d1","os":"Windows"}`),
		mk(3, "50126", "CLI", "08:00", int64(4), `{"os":"Linux","browser":"Edge"}`),
		mk(4, "0", "Word", "10:00", int64(20), ``),
		mk(5, "53003", "Graph", "11:00", int64(6), `{"deviceId":"d2"}`),
	}})
	expectRows(t, "aggregates", show(got, strings.Split(cols, ", ")...), []string{
		"UserPrincipalName=a@x count_=5 count_Device=2 countif_=2 dcountif_AppDisplayName=2 sumif_DurationMs=30 avg_DurationMs=10 avgif_DurationMs=5 " +
			"minif_TimeGenerated=08:00 maxif_TimeGenerated=10:00 Apps=[CLI Teams] Failed=[CLI Graph] list_DurationMs=[10] " +
			`bag_Detail={"deviceId":"d1","os":"Windows","browser":"Edge"} any_Device=d1 Device=d1 @1,2,3,4,5`,
	})
	// Over no rows: the counts 0, avg null, the arrays and the bag empty.
	whole := mustCompileBody(t, `table: AADNonInteractiveUserSignInLogs
stages:
  - summarize:
      aggregates:
        - countif(ResultType == "0")
        - avg(DurationMs)
        - make_set_if(AppId, ResultType == "0")
        - Bag: make_bag(todynamic(DeviceDetail))
`)
	got = runTables(t, whole, map[string][]record.Row{nonInteractive: nil})
	expectRows(t, "over no rows", show(got, "countif_", "avg_DurationMs", "set_AppId", "Bag"),
		[]string{"countif_=0 avg_DurationMs=<nil> set_AppId=[] Bag={} @"})
}

// take_any returns the values of one row, each column keeping its name; KQL picks any row (trying
// for a non-empty value), detect the first row whose first value is neither null nor empty, else
// the first row, so that runs repeat. take_any(*) returns every column but the group keys.
// https://learn.microsoft.com/kusto/query/take-any-aggregation-function
func TestTakeAnyPicksOneRowOfTheGroup(t *testing.T) {
	p := mustCompileBody(t, `table: AADNonInteractiveUserSignInLogs
stages:
  - summarize:
      aggregates: ["take_any(IPAddress, AppDisplayName)"]
      by: [UserPrincipalName]
`)
	if got := columnNames(p.Output); got != "UserPrincipalName, IPAddress, AppDisplayName" {
		t.Errorf("columns: %s", got)
	}
	mk := func(line int, user, ip, app string) record.Row {
		return tableRow(t, nonInteractive, line, map[string]any{"UserPrincipalName": user, "IPAddress": ip, "AppDisplayName": app})
	}
	rows := []record.Row{mk(1, "a@x", "", "Teams"), mk(2, "a@x", "192.0.2.7", "CLI"), mk(3, "a@x", "192.0.2.8", "Word"), mk(4, "b@x", "", "Graph")}
	got := runTables(t, p, map[string][]record.Row{nonInteractive: rows})
	expectRows(t, "take_any", show(got, "UserPrincipalName", "IPAddress", "AppDisplayName"), []string{
		"UserPrincipalName=a@x IPAddress=192.0.2.7 AppDisplayName=CLI @2",
		"UserPrincipalName=b@x IPAddress= AppDisplayName=Graph @4",
	})
	star := mustCompileBody(t, "table: AADNonInteractiveUserSignInLogs\nstages:\n  - summarize: {aggregates: ['take_any(*)'], by: [UserPrincipalName]}\n")
	if out := star.Output; out[0].Name != "UserPrincipalName" || len(out) != len(star.Stages[0].In) {
		t.Errorf("take_any(*) by UserPrincipalName columns: %s", columnNames(out))
	}
	got = runTables(t, star, map[string][]record.Row{nonInteractive: rows})
	expectRows(t, "take_any(*)", show(got, "UserPrincipalName", "IPAddress", "AppDisplayName"), []string{
		"UserPrincipalName=a@x IPAddress= AppDisplayName=Teams @1",
		"UserPrincipalName=b@x IPAddress= AppDisplayName=Graph @4",
	})
}

// A predicate must be a bool and a maxSize a constant: both are errors of the rule, at their place.
func TestAggregateArgumentMistakes(t *testing.T) {
	_, err := compileBody(t, `table: AADNonInteractiveUserSignInLogs
stages:
  - summarize:
      aggregates:
        - countif(AppDisplayName)
        - make_set(AppDisplayName, DurationMs)
        - dcountif(AppDisplayName)
`)
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{
		`rule.yaml:8:19: countif: the predicate AppDisplayName is a string, not a bool`,
		`rule.yaml:9:36: make_set: DurationMs must be a constant (a literal or a param), not read from the rows`,
		`rule.yaml:10:11: summarize: dcountif(expression, predicate[, accuracy]) takes two or three arguments`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%s", want, err)
		}
	}
}

// make-series gives its aggregates the rows of each bin as summarize does: countif counts only
// the rows whose predicate is true.
// https://learn.microsoft.com/kusto/query/make-series-operator, countif-aggregation-function
func TestMakeSeriesAggregatesAsSummarizeDoes(t *testing.T) {
	at := func(line int, user string, ago time.Duration) record.Row {
		return signin(line, map[string]any{"UserPrincipalName": user, "TimeGenerated": now.Add(-ago)})
	}
	p := mustCompile(t, `stages:
  - make-series:
      aggregates:
        - Old: countif(TimeGenerated < ago("3h"))
      on: TimeGenerated
      from: ago("4h")
      to: now()
      step: 1h
      by: [UserPrincipalName]
`)
	got := run(t, p, at(1, "a", 210*time.Minute), at(2, "a", 200*time.Minute), at(3, "b", 70*time.Minute), at(4, "a", 30*time.Minute))
	expectRows(t, "make-series countif", show(got, "UserPrincipalName", "Old"), []string{
		"UserPrincipalName=a Old=[2 0 0 0] @1,2,4",
		"UserPrincipalName=b Old=[0 0 0 0] @3",
	})
}
