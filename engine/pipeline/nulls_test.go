package pipeline

import (
	"testing"
	"time"

	"github.com/signin-detect/detect/engine/record"
)

// a - b where a leftouter join left b null is null, and the rule goes on with the row
// (https://learn.microsoft.com/kusto/query/scalar-data-types/null-values); it is KQL's null, not
// a failure, so the plan counts no runtime null. A value an operator cannot take is counted.
func TestLeftouterNullsFlowThroughArithmetic(t *testing.T) {
	p := mustCompileBody(t, `table: AADNonInteractiveUserSignInLogs
stages:
  - where: IncomingTokenType == "none"
  - join:
      kind: leftouter
      on: [SessionId]
      right:
        stages:
          - where: IncomingTokenType != "none"
  - extend:
      Gap: TimeGenerated1 - TimeGenerated
      Odd: todynamic(AppDisplayName1).n + 1
  - project: [AppDisplayName, Gap, Odd]
`)
	rows := joinRows(t)
	for i := range rows {
		values := rows[i].Map()
		values["TimeGenerated"] = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC).Add(time.Duration(rows[i].Sources[0].Line) * time.Minute)
		if i == 4 {
			values["AppDisplayName"] = `{"n":"x"}`
		}
		rows[i] = record.NewRow(values, rows[i].Sources)
	}
	got := runTables(t, p, map[string][]record.Row{nonInteractive: rows})
	expectRows(t, "leftouter then arithmetic", show(got, "AppDisplayName", "Gap", "Odd"), []string{
		`AppDisplayName=Teams Gap=10m0s Odd=<nil> @1,11`, `AppDisplayName=Teams Gap=11m0s Odd=<nil> @1,12`,
		`AppDisplayName=Outlook Gap=9m0s Odd=<nil> @2,11`, `AppDisplayName=Outlook Gap=10m0s Odd=<nil> @2,12`,
		`AppDisplayName=Word Gap=<nil> Odd=<nil> @3`, `AppDisplayName=Excel Gap=9m0s Odd=<nil> @4,13`,
	})
	nulls := p.RuntimeNulls()
	if len(nulls) != 1 || nulls[0].Source != "todynamic(AppDisplayName1).n + 1" || nulls[0].Count != 2 ||
		nulls[0].First != "cannot apply + to a string and a long" {
		t.Errorf("runtime nulls %+v", nulls)
	}
}
