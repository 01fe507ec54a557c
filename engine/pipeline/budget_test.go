package pipeline

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/signin-detect/detect/engine/record"
)

// runOverBudget runs a rule over rows under budget and returns the error it fails with.
func runOverBudget(t *testing.T, body string, files map[string]string, budget Budget, rows []record.Row) error {
	t.Helper()
	p, err := compileWithFiles(t, body, files, Options{Budget: budget})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	_, _, err = p.Run(map[string][]record.Row{nonInteractive: rows})
	return err
}

// hotRows are n sign-ins of one user from one address, a minute apart, and one of another user.
func hotRows(t *testing.T, n int) []record.Row {
	var rows []record.Row
	for i := range n {
		rows = append(rows, tableRow(t, nonInteractive, i+1, map[string]any{"UserPrincipalName": "hot@contoso.example",
			"IPAddress": "10.1.2.3", "SessionId": "s1", "AppDisplayName": fmt.Sprintf("App %d", i), "TimeGenerated": now.Add(-time.Duration(i) * time.Minute)}))
	}
	return append(rows, tableRow(t, nonInteractive, n+1, map[string]any{"UserPrincipalName": "cold@contoso.example",
		"IPAddress": "192.168.1.5", "SessionId": "s9", "AppDisplayName": "Cold App", "TimeGenerated": now}))
}

// A make-series makes one series for each group of its by keys: over --max-groups, it fails as a
// summarize does, naming the largest group so far.
func TestMakeSeriesOverItsGroupBudgetFails(t *testing.T) {
	body := `table: AADNonInteractiveUserSignInLogs
stages:
  - name: per-user
    make-series:
      aggregates:
        - N: count()
      on: TimeGenerated
      step: 1h
      by: [UserPrincipalName]
`
	rows := hotRows(t, 40)
	err := runOverBudget(t, body, nil, Budget{Groups: 1}, rows)
	want := `rule.yaml:6:5: stage per-user is over its budget of 1 groups (--max-groups): it makes 2; the hottest key is UserPrincipalName="hot@contoso.example" (40 rows, the largest group when the row from AADNonInteractiveUserSignInLogs.ndjson:41 made one too many)`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v\nwant %s", err, want)
	}
	if err := runOverBudget(t, body, nil, Budget{Groups: 2}, rows); err != nil {
		t.Errorf("within the budget: %v", err)
	}
}

const hotRangesCSV = "network,provider\n10.0.0.0/8,wide\n10.1.0.0/16,narrow\n10.1.2.0/24,narrower\n"

// An ipv4-lookup is a lookup, a join: the pairs of each address with the ranges that hold it count
// against --max-join-pairs, and over it the stage fails naming the address that makes the most.
func TestIPv4LookupOverItsPairBudgetFails(t *testing.T) {
	body := "table: AADNonInteractiveUserSignInLogs\n" + rangesLookup + "stages:\n  - name: ranges\n    ipv4-lookup: {from: ranges, ip: IPAddress, range: network}\n"
	files := map[string]string{"ranges.csv": hotRangesCSV}
	rows := hotRows(t, 40)
	err := runOverBudget(t, body, files, Budget{JoinPairs: 100}, rows)
	want := `stage ranges is over its budget of 100 join pairs (--max-join-pairs): it makes 120; the hottest key is IPAddress="10.1.2.3" (120 pairs: 40 rows with 3 ranges)`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v\nwant %s", err, want)
	}
	if err := runOverBudget(t, body, files, Budget{JoinPairs: 120}, rows); err != nil {
		t.Errorf("within the budget: %v", err)
	}
}

// A lookup runs as a join: its pairs count as a join's.
func TestLookupOverItsPairBudgetFails(t *testing.T) {
	body := "table: AADNonInteractiveUserSignInLogs\n" + ownersLookup + "stages:\n  - name: owners\n    lookup: {on: [SessionId], right: {from: owners}}\n"
	files := map[string]string{"owners.csv": ownersCSV}
	rows := hotRows(t, 40)
	err := runOverBudget(t, body, files, Budget{JoinPairs: 80}, rows)
	want := `stage owners is over its budget of 80 join pairs (--max-join-pairs): it makes 81; the hottest key is SessionId="s1" (80 pairs: 40 left rows with 2 right rows)`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v\nwant %s", err, want)
	}
	if err := runOverBudget(t, body, files, Budget{JoinPairs: 81}, rows); err != nil {
		t.Errorf("within the budget: %v", err)
	}
}
