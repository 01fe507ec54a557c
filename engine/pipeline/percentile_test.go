package pipeline

import (
	"testing"

	"github.com/signin-detect/detect/engine/record"
)

// An unnamed percentile is named as KQL names it, percentile_Column_P, a fractional P's point
// written _ (Learn: percentile(Duration, 95) gives percentile_Duration_95); its value is the
// nearest rank: of 10, 20, 30, 40 per user, P 50 is rank 2 (20) and P 99.5 rank 4 (40).
// https://learn.microsoft.com/kusto/query/percentiles-aggregation-function
func TestSummarizePercentileNamesAndNearestRank(t *testing.T) {
	p := mustCompileBody(t, `table: AADNonInteractiveUserSignInLogs
stages:
  - summarize:
      aggregates: ["percentile(DurationMs, 50)", "percentiles(DurationMs, 99.5)", Median: "percentile(DurationMs, 50)"]
      by: [UserPrincipalName]
`)
	var rows []record.Row
	for i, d := range []int64{30, 10, 40, 20} {
		rows = append(rows, tableRow(t, nonInteractive, i+1, map[string]any{"UserPrincipalName": "a", "DurationMs": d}))
	}
	got := runTables(t, p, map[string][]record.Row{nonInteractive: rows})
	expectRows(t, "percentile", show(got, "UserPrincipalName", "percentile_DurationMs_50", "percentile_DurationMs_99_5", "Median"),
		[]string{"UserPrincipalName=a percentile_DurationMs_50=20 percentile_DurationMs_99_5=40 Median=20 @1,2,3,4"})
}
